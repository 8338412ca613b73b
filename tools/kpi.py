"""Pure collection KPI formulas (DSO, best possible DSO, ADD, CEI, roll, kept and right-party rates), no database."""

import calendar
from collections import namedtuple
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal

# Amounts reach these functions already rounded by their currency; anything
# closer to zero than this is a float artefact (0.1 + 0.2 - 0.3), not money.
ZERO = 1e-9

Countback = namedtuple("Countback", ["days", "exhausted"])
Countback.__doc__ = """Result of a count-back walk.

``days``: days of sales the receivables represent; ``exhausted``: True when
the sales history ran out before the receivables did, so ``days`` is only a
lower bound (the most the history can show)."""


def _is_zero(value):
    return value is None or abs(value) < ZERO


def ratio(numerator, denominator):
    """``numerator / denominator`` as a float, or None when the denominator
    is 0 or None (a rate over nothing is unknown, not 0). A None numerator
    counts as 0 (a SQL SUM over no rows)."""
    if _is_zero(denominator):
        return None
    return float(numerator or 0.0) / float(denominator)


def percent(numerator, denominator):
    """``ratio`` × 100, or None when the denominator is 0 or None."""
    value = ratio(numerator, denominator)
    return None if value is None else value * 100.0


def rounded(value, digits=1):
    """Round half away from zero on the decimal value a person reads
    (58.65 → 58.7, where ``round(58.65, 1)`` gives 58.6 because of the binary
    float, and 2.5 → 3 where ``round`` goes to even); None stays None. KPIs are published to one decimal."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------
# Calendar helpers
# ---------------------------------------------------------------------------


def days_in_month(year, month):
    """Calendar days of ``month`` of ``year`` (28, 29, 30 or 31)."""
    return calendar.monthrange(year, month)[1]


def month_days(day):
    """Calendar days of the month that contains the date ``day``."""
    return days_in_month(day.year, day.month)


def months_back(day, count):
    """The ``count`` months ending with the month of ``day``, newest first,
    as ``(year, month)`` tuples: the order ``dso_countback`` walks."""
    year, month = day.year, day.month
    months = []
    for _index in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def month_bounds(year, month):
    """First and last date of ``month`` of ``year``."""
    return date(year, month, 1), date(year, month, days_in_month(year, month))


# ---------------------------------------------------------------------------
# Days Sales Outstanding
# ---------------------------------------------------------------------------


def countback(receivables, periods):
    """Count-back ("exhaustion", "working back") walk, with its completeness.

    Method (Credit Today / Nestlé as told in "Why You Should Switch to the
    Countback Method to Calculate DSO", academy.highako.com; step by step in
    "Mastering DSO Calculation: The Count-Back Method Explained",
    support.benjipays.com): start from the receivables at the end of the
    latest period; while they exceed that period's sales, add the period's
    days and subtract its sales, then step one period back; in the period
    where they run out add ``remaining / sales × days``.

    ``periods``: iterable of ``(sales, days)``, newest first; ``sales`` is the
    credit sales (debt placed) of the period, ``days`` its calendar days.
    A period with no sales (0, None or negative, i.e. credit notes above
    invoices) cannot hold the receivables: its full days are added and the
    remainder carried to the older period.

    Returns ``Countback(days, exhausted)``. When the history ends before the
    receivables are used up, ``days`` is the sum of all periods' days (the
    most the history can show, a lower bound of the true DSO) and
    ``exhausted`` is True. No receivables (0, None, negative): 0 days."""
    remaining = float(receivables or 0.0)
    days_counted = 0.0
    if remaining < ZERO:
        return Countback(0.0, False)
    for sales, days in periods:
        sales = float(sales or 0.0)
        if sales < ZERO:
            days_counted += days
            continue
        if remaining > sales:
            days_counted += days
            remaining -= sales
            continue
        return Countback(days_counted + remaining / sales * days, False)
    return Countback(days_counted, True)


def dso_countback(ar_end, periods):
    """Days Sales Outstanding by the count-back method (see ``countback``).

    Published example (support.benjipays.com, "Mastering DSO Calculation: The
    Count-Back Method Explained"): receivables 212,000, sales 100,000,
    80,000, 70,000 newest first, 30-day months → 30 + 30 + 32,000/70,000 × 30
    = 73.7 days.

    When the sales history runs out first, returns the days of the whole
    history (the maximum knowable); use ``countback`` to know it happened."""
    return countback(ar_end, periods).days


def dso_simple(ar_end, sales, days):
    """Classic single-period DSO = ending total receivables / credit sales of
    the period × days of the period (Credit Research Foundation, "Performance
    Measures for Credit, Collections and Accounts Receivable"); None without
    sales."""
    value = ratio(ar_end, sales)
    return None if value is None else value * days


def best_possible_dso(current_ar, periods):
    """Best Possible DSO by count-back: the same walk as ``dso_countback``
    applied to the receivables that are not yet due (current).

    The Credit Research Foundation defines Best Possible DSO as current
    receivables × days in period / credit sales of the period
    (``best_possible_dso_simple``; also vcalc.com "Best Possible Days Sales
    Outstanding", money-zine.com "Best Possible DSO"). This addon uses the
    count-back form so that it stands on the same basis as
    ``dso_countback`` and ``average_days_delinquent`` = DSO − BPDSO compares
    like with like; with equal monthly sales both forms agree. History
    exhausted: as in ``dso_countback``."""
    return countback(current_ar, periods).days


def best_possible_dso_simple(current_ar, sales, days):
    """Classic Best Possible DSO (Credit Research Foundation) = current
    receivables × days in period / credit sales of the period; None without
    sales. Kept for comparison; reports use ``best_possible_dso``."""
    value = ratio(current_ar, sales)
    return None if value is None else value * days


def average_days_delinquent(dso, best_dso):
    """Average Days Delinquent = DSO − Best Possible DSO (Credit Research
    Foundation): the days the receivables run beyond terms. None when either
    side is unknown."""
    if dso is None or best_dso is None:
        return None
    return dso - best_dso


# ---------------------------------------------------------------------------
# Collection effectiveness and rates
# ---------------------------------------------------------------------------


def cei(ar_begin, sales, ar_end_total, ar_end_current, months=1):
    """Collection Effectiveness Index in percent (Credit Research Foundation):

        (beginning receivables + sales/N − ending total receivables)
        / (beginning receivables + sales/N − ending current receivables) × 100

    where N is the number of months the sales cover (the CRF formula, as
    creditguru.com "Collection Effectiveness Index (CEI)" reproduces it;
    ``months=1`` is the single-period form, e.g. one year's sales against
    that year's receivables). What was collected over what was collectable;
    None when nothing was collectable (denominator 0)."""
    period_sales = float(sales or 0.0) / (months or 1)
    begin = float(ar_begin or 0.0)
    collected = begin + period_sales - float(ar_end_total or 0.0)
    collectable = begin + period_sales - float(ar_end_current or 0.0)
    return percent(collected, collectable)


def roll_rate(amount_from, amount_rolled):
    """Roll rate in percent: of the balance that sat in an aging bucket at
    month m−1 (``amount_from``), the share found in the next worse bucket at
    month m (``amount_rolled``). None when the bucket was empty."""
    return percent(amount_rolled, amount_from)


def kept_rate(kept, taken):
    """Promise kept rate in percent: promises kept / promises taken (due and
    evaluated). None when no promise was taken."""
    return percent(kept, taken)


def right_party_rate(rpc, attempts):
    """Right-party contact rate in percent: contacts with the debtor (or a
    person entitled to speak for them) / contact attempts. None without
    attempts."""
    return percent(rpc, attempts)
