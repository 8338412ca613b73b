"""Pure payment-plan maths: the installments of an agreement. No database.

All amounts are computed in whole units of the currency's ``rounding``
(cents for most currencies, half-up), so that the schedule adds up to the
cent: the principal parts sum to the amount financed, and every
installment is its principal plus its interest plus its fee.

Interest methods:

* ``none``: the principal in equal parts;
* ``flat``: simple interest on the whole amount financed for the whole term
  (annual rate × years), in equal parts with the principal;
* ``french``: French amortisation (constant installment): the periodic rate
  is the annual rate divided by the periods of a year; each period's
  interest is on the balance left, the installment is constant and the last
  one closes the balance exactly.

The collection fee is a percentage of the amount financed, in equal parts.
Equal parts put the rounding remainder on the last installment.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal

from dateutil.relativedelta import relativedelta

PERIODS_PER_YEAR = {"weekly": 52, "biweekly": 26, "monthly": 12}
METHODS = ("none", "flat", "french")
# the longest plan: 50 years of monthly installments
MAX_INSTALLMENTS = 600


def _units(value, rounding):
    """``value`` in whole units of ``rounding``, half-up."""
    return int((Decimal(str(value)) / Decimal(str(rounding))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _amount(units, rounding):
    return float(Decimal(units) * Decimal(str(rounding)))


def _equal_parts(total, count):
    """``total`` units in ``count`` parts, the remainder on the last one."""
    part = total // count
    return [part] * (count - 1) + [total - part * (count - 1)]


def due_dates(first_due, count, frequency):
    """The ``count`` due dates from ``first_due``: every 7 or 14 days, or on
    the same day of each following month (the month's last day when it is
    shorter). Raises ValueError for more than MAX_INSTALLMENTS or a date
    after the year 9999."""
    if count > MAX_INSTALLMENTS:
        raise ValueError("too_many")
    try:
        if frequency == "weekly":
            return [first_due + timedelta(days=7 * k) for k in range(count)]
        if frequency == "biweekly":
            return [first_due + timedelta(days=14 * k) for k in range(count)]
        return [first_due + relativedelta(months=k) for k in range(count)]
    except (OverflowError, ValueError) as exc:  # beyond date.max
        raise ValueError("beyond_calendar") from exc


def amortize(principal, count, method, annual_rate, periods_per_year, rounding, fee_percent=0.0):
    """The rows of a plan financing ``principal`` in ``count`` installments.

    Returns a list of dicts ``{principal, interest, fee, amount, balance}``
    (amounts as floats rounded to ``rounding``; ``balance`` is the principal
    left after the installment)."""
    if count < 1:
        raise ValueError("A plan needs at least one installment.")
    if count > MAX_INSTALLMENTS:
        raise ValueError(f"A plan has at most {MAX_INSTALLMENTS} installments.")
    if method not in METHODS:
        raise ValueError(f"Unknown interest method {method!r}")
    financed = _units(principal, rounding)
    rate = Decimal(str(annual_rate or 0)) / 100 / Decimal(periods_per_year)
    if method == "french" and rate > 0:
        payment = _units(Decimal(financed) * rate / (1 - (1 + rate) ** -count), 1)
        principals, interests, balance = [], [], financed
        for index in range(count):
            interest = _units(Decimal(balance) * rate, 1)
            part = balance if index == count - 1 else payment - interest
            principals.append(part)
            interests.append(interest)
            balance -= part
    else:
        principals = _equal_parts(financed, count)
        if method == "flat" and rate > 0:
            total_interest = _units(Decimal(financed) * rate * count, 1)
            interests = _equal_parts(total_interest, count)
        else:
            interests = [0] * count
    fees = _equal_parts(_units(Decimal(financed) * Decimal(str(fee_percent or 0)) / 100, 1), count)
    rows, balance = [], financed
    for part, interest, fee in zip(principals, interests, fees, strict=True):
        balance -= part
        rows.append(
            {
                "principal": _amount(part, rounding),
                "interest": _amount(interest, rounding),
                "fee": _amount(fee, rounding),
                "amount": _amount(part + interest + fee, rounding),
                "balance": _amount(balance, rounding),
            }
        )
    return rows


def plan(
    balance, condonation, down_payment, count, method, annual_rate, frequency, first_due, rounding, fee_percent=0.0
):
    """The whole plan of an agreement on a debt of ``balance``: the
    ``condonation`` written off, the ``down_payment`` due at once, the rest
    financed over ``count`` installments from ``first_due``.

    Returns ``(rows, totals)``: rows with their ``date`` added, totals with
    ``financed``, ``interest``, ``fee`` and ``total`` (down payment plus all
    installments). Raises ValueError when the amounts do not add up."""
    half = rounding / 2.0
    if condonation < -half or down_payment < -half:
        raise ValueError("negative")
    financed = _amount(
        _units(balance, rounding) - _units(condonation, rounding) - _units(down_payment, rounding), rounding
    )
    if financed < -half:
        raise ValueError("exceeds_balance")
    rows = amortize(financed, count, method, annual_rate, PERIODS_PER_YEAR[frequency], rounding, fee_percent)
    for row, day in zip(rows, due_dates(first_due, count, frequency), strict=True):
        row["date"] = day
    units = {key: sum(_units(row[key], rounding) for row in rows) for key in ("interest", "fee", "amount")}
    totals = {
        "financed": financed,
        "interest": _amount(units["interest"], rounding),
        "fee": _amount(units["fee"], rounding),
        "total": _amount(units["amount"] + _units(down_payment, rounding), rounding),
    }
    return rows, totals
