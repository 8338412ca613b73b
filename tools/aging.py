"""Pure aging and priority helpers, shared by the ORM computes and the SQL
daily refresh. No database access here."""

import math

# (key, label, lower bound in days overdue, upper bound or None)
AGING_BUCKETS = [
    ("not_due", "Not due", None, 0),
    ("d001_030", "1-30 days", 1, 30),
    ("d031_060", "31-60 days", 31, 60),
    ("d061_090", "61-90 days", 61, 90),
    ("d091_180", "91-180 days", 91, 180),
    ("d181_360", "181-360 days", 181, 360),
    ("d361_plus", "Over 360 days", 361, None),
]


def aging_bucket(days_overdue):
    """Return the bucket key for a number of days overdue (<= 0: not due)."""
    days = days_overdue or 0
    for key, _label, _low, high in AGING_BUCKETS:
        if high is None or days <= high:
            return key
    return AGING_BUCKETS[-1][0]


def aging_bucket_sql_case(days_expr):
    """A SQL CASE text mapping ``days_expr`` to the bucket key.

    Only static constants are interpolated; ``days_expr`` must be a column or
    expression written by the caller, never user input."""
    parts = []
    for key, _label, _low, high in AGING_BUCKETS:
        if high is None:
            parts.append(f"ELSE '{key}'")
        else:
            parts.append(f"WHEN {days_expr} <= {int(high)} THEN '{key}'")
    return "CASE " + " ".join(parts) + " END"


def days_overdue(oldest_due_date, today):
    """Whole days between the oldest unpaid due date and today, never negative."""
    if not oldest_due_date:
        return 0
    return max((today - oldest_due_date).days, 0)


def priority_score(days, residual, broken_promises=0, kept_rate=None):
    """Priority of a case on the work list, 0..100.

    Older debt, larger balances and a poor promise record come first: up to
    50 points for age (a year or more gives all 50), up to 40 for the balance
    on a log scale (1 000 000 or more gives all 40), 5 per broken promise of
    the debtor up to 10, minus up to 5 for a debtor who keeps their promises
    (``kept_rate``, 0-100, None without any judged promise). Never below 0.
    """
    if residual is None or residual <= 0:
        return 0.0
    age = min(max(days or 0, 0), 365) / 365.0 * 50.0
    amount = min(math.log10(1.0 + residual) / 6.0, 1.0) * 40.0
    promises = min(max(broken_promises or 0, 0) * 5.0, 10.0)
    reliable = min(max(kept_rate, 0.0), 100.0) / 100.0 * 5.0 if kept_rate is not None else 0.0
    return round(max(age + amount + promises - reliable, 0.0), 2)


def priority_score_sql(days_expr, residual_expr, broken_expr="0", kept_rate_expr="NULL"):
    """The same formula as :func:`priority_score`, as a SQL expression."""
    return (
        f"CASE WHEN {residual_expr} <= 0 THEN 0 ELSE ROUND(GREATEST("
        f"LEAST(GREATEST({days_expr}, 0), 365) / 365.0 * 50.0"
        f" + LEAST(LOG(1.0 + {residual_expr}) / 6.0, 1.0) * 40.0"
        f" + LEAST(GREATEST({broken_expr}, 0) * 5.0, 10.0)"
        f" - COALESCE(LEAST(GREATEST(({kept_rate_expr})::numeric, 0), 100) / 100.0 * 5.0, 0), 0)::numeric, 2) END"
    )


# score bands of the work list: (code, label, lowest score of the band), best first
SCORE_BANDS = [("high", "High", 60.0), ("medium", "Medium", 35.0), ("low", "Low", 0.0)]


def score_band(score):
    """The band (``SCORE_BANDS`` code) of a priority score."""
    for code, _label, low in SCORE_BANDS:
        if (score or 0.0) >= low:
            return code
    return SCORE_BANDS[-1][0]
