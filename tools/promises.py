"""Pure promise-to-pay helpers: the money that counts for a promise, its
outcome, and the debtor's kept rate. No database access."""


def take_payments(pool, made, deadline, amount):
    """Take, from ``pool``, the money that counts for one promise and return
    how much was taken.

    ``pool`` is a list of ``[date, amount]`` entries in date order (``date``
    None: money whose date is unknown, which counts for any promise); only
    entries dated from ``made`` to ``deadline`` (both included) count, up to
    ``amount``. Entries are consumed in place, so that the next promise of
    the same case does not count the same money twice."""
    taken = 0.0
    for entry in pool:
        if taken >= amount:
            break
        day, left = entry
        if left <= 0 or (day is not None and not made <= day <= deadline):
            continue
        used = min(left, amount - taken)
        entry[1] = left - used
        taken += used
    return taken


def judge(amount, received, rounding, due):
    """Outcome of a promise of ``amount`` that received ``received``.

    Paid in full: ``kept`` (even before its date); otherwise None while the
    promise is not ``due`` (its date plus the grace days has not passed),
    then ``partial`` when some money came, ``broken`` when none did.
    Amounts are compared at the currency's ``rounding``."""
    half = rounding / 2.0
    if received >= amount - half:
        return "kept"
    if not due:
        return None
    return "partial" if received >= half else "broken"


def kept_rate(kept, partial, broken):
    """Share (0-100) of the judged promises that were kept in full; None
    without any judged promise."""
    judged = kept + partial + broken
    if not judged:
        return None
    return round(100.0 * kept / judged, 2)
