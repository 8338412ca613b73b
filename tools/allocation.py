"""Pure payment allocation: how collected money is spread over installments.
No database access.

Amounts are compared at the currency's ``rounding`` (0.01 for most
currencies): a difference smaller than half of it is no difference.
"""


def _round(value, rounding):
    return round(round(value / rounding) * rounding, 10)


def oldest_first(amount, installments, rounding):
    """Allocate ``amount`` to ``installments`` — ``(key, due date, open
    balance)`` — oldest due date first (then in the given order): each gets
    its whole balance until the money runs out; the last one reached may be
    paid in part. Returns ``([(key, allocated), ...], left over)``."""
    half = rounding / 2.0
    left = _round(amount, rounding)
    lines = []
    ordered = sorted(enumerate(installments), key=lambda item: (item[1][1], item[0]))
    for _index, (key, _due, balance) in ordered:
        if left < half:
            break
        if balance < half:
            continue
        part = min(left, _round(balance, rounding))
        lines.append((key, part))
        left = _round(left - part, rounding)
    return lines, max(left, 0.0)


def check_manual(amount, allocations, balances, rounding):
    """Problems of a hand-made allocation: ``allocations`` maps an
    installment key to the amount given to it, ``balances`` a key to its
    open balance. Returns a list of ``(problem, key)`` — ``"negative"``,
    ``"exceeds_balance"`` (more than the installment's open balance),
    ``"exceeds_amount"`` (key None: more allocated than paid) — empty when
    the allocation is valid."""
    half = rounding / 2.0
    problems = []
    for key, allocated in allocations.items():
        if allocated < half:
            problems.append(("negative", key))
        elif allocated > balances.get(key, 0.0) + half:
            problems.append(("exceeds_balance", key))
    if sum(allocations.values()) > amount + half:
        problems.append(("exceeds_amount", None))
    return problems


def fills_in_order(allocations, balances, rounding):
    """Whether the allocation ``[(key, amount), ...]`` pays each installment
    in full except possibly the last one, as a reconciliation in that order
    would do."""
    half = rounding / 2.0
    for key, allocated in allocations[:-1]:
        if abs(allocated - balances[key]) >= half:
            return False
    return True
