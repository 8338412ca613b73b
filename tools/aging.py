"""Pure aging and priority helpers, shared by the ORM computes and the SQL
daily refresh. No database access here."""

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


# score bands of the work list: (code, label, default lowest score of the
# band), best first; each company sets its own thresholds
SCORE_BANDS = [("high", "High", 60.0), ("medium", "Medium", 35.0), ("low", "Low", 0.0)]
