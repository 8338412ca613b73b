"""Explainable priority scores: weighted rules over a case's facts, summed
to 0..100, each rule's points kept for the explanation. The same rules
are also written as one SQL expression for the daily run. No database
access here.

A rule reads one fact of the case (``FACTS``) and turns it into points by
one method:

* ``linear``: ``weight`` × where the value lies between ``low`` and
  ``high`` (0 at or below ``low``, all of it at or above ``high``);
* ``log``: ``weight`` × log10(1 + value) / log10(``high``), capped at 1
  (balances: the first thousands count more than the last);
* ``per_unit``: ``unit_points`` per unit of the value, capped at
  ``weight`` (broken promises);
* ``bands``: the points of the highest band whose lower bound the value
  reaches (``bands`` is a list of (lower bound, points));
* ``flag``: ``weight`` when the fact is true (open dispute, broken
  agreement, the debtor carries the rule's tag).

A negative weight lowers the score (a debtor who keeps their promises).
A fact that is unknown (no promise judged yet) gives no points. A case
with nothing left to escalate (balance outside disputes of 0) scores 0.
"""

import math
from dataclasses import dataclass
from dataclasses import field

# fact code -> (label, kind of value)
FACTS = {
    "days_overdue": ("Days overdue", "number"),
    "balance": ("Balance outside disputes", "number"),
    "broken_promises": ("Broken promises", "number"),
    "kept_rate": ("Promises kept (%)", "number"),
    "days_since_contact": ("Days since the last contact", "number"),
    "open_dispute": ("Open dispute", "flag"),
    "broken_agreement": ("Broken payment agreement", "flag"),
    "debtor_tag": ("Debtor tag", "flag"),
}
METHODS = ["linear", "log", "per_unit", "bands", "flag"]
# days since the last contact of a debtor never reached
NEVER_CONTACTED_DAYS = 9999


@dataclass(frozen=True)
class Rule:
    """One weighted rule (the database record's figures)."""

    key: int
    name: str
    fact: str
    method: str
    weight: float = 0.0
    low: float = 0.0
    high: float = 0.0
    unit_points: float = 0.0
    tag_id: int = 0
    bands: tuple = field(default_factory=tuple)


def _clamp(value, low=0.0, high=1.0):
    return min(max(value, low), high)


def rule_points(rule, value):
    """Points ``rule`` gives to the fact value ``value`` (None: unknown)."""
    if value is None:
        return 0.0
    if rule.method == "flag":
        return rule.weight if value else 0.0
    value = float(value)
    if rule.method == "linear":
        span = rule.high - rule.low
        share = (1.0 if value >= rule.high else 0.0) if span <= 0 else _clamp((value - rule.low) / span)
        return rule.weight * share
    if rule.method == "log":
        if rule.high <= 1:
            return 0.0
        return rule.weight * _clamp(math.log10(1.0 + max(value, 0.0)) / math.log10(rule.high))
    if rule.method == "per_unit":
        points = max(value, 0.0) * rule.unit_points
        return min(points, rule.weight) if rule.weight >= 0 else max(points, rule.weight)
    if rule.method == "bands":
        points = 0.0
        for lower, band_points in sorted(rule.bands):
            if value >= lower:
                points = band_points
        return points
    return 0.0


def fact_value(rule, facts):
    """The value of the rule's fact in ``facts`` (a dict of fact code ->
    value; ``debtor_tags`` is the set of the debtor's tag ids)."""
    if rule.fact == "debtor_tag":
        return rule.tag_id in facts.get("debtor_tags", ())
    return facts.get(rule.fact)


def explain(rules, facts):
    """(score 0..100, [(rule, value, points), ...]) of a case's ``facts``."""
    lines = [(rule, fact_value(rule, facts), 0.0) for rule in rules]
    if (facts.get("balance") or 0.0) <= 0:
        return 0.0, lines
    lines = [(rule, value, rule_points(rule, value)) for rule, value, _points in lines]
    total = sum(points for _rule, _value, points in lines)
    return round(_clamp(total, 0.0, 100.0), 2), lines


def score(rules, facts):
    """The score 0..100 of a case's ``facts`` under ``rules``."""
    return explain(rules, facts)[0]


def band(value, high, medium):
    """``high`` / ``medium`` / ``low`` band of a score under the thresholds."""
    value = value or 0.0
    if value >= high:
        return "high"
    if value >= medium:
        return "medium"
    return "low"


def _num(value):
    """A float as a SQL numeric literal (rule figures are floats from the
    database, never text)."""
    return f"{float(value)!r}::numeric"


def rule_sql(rule, exprs):
    """The points of ``rule`` as a SQL expression over ``exprs`` (fact code
    -> SQL expression written by the caller; ``debtor_tag`` is a function
    of the tag id). Only numbers of the rule are interpolated."""
    if rule.fact == "debtor_tag":
        value = exprs["debtor_tag"](int(rule.tag_id or 0))
    else:
        value = f"({exprs[rule.fact]})"
    if rule.method == "flag":
        return f"(CASE WHEN {value} THEN {_num(rule.weight)} ELSE 0 END)"
    value = f"({value})::numeric"
    if rule.method == "linear":
        span = rule.high - rule.low
        if span <= 0:
            return f"COALESCE(CASE WHEN {value} >= {_num(rule.high)} THEN {_num(rule.weight)} ELSE 0 END, 0)"
        return f"COALESCE({_num(rule.weight)} * LEAST(GREATEST(({value} - {_num(rule.low)}) / {_num(span)}, 0), 1), 0)"
    if rule.method == "log":
        if rule.high <= 1:
            return "0"
        return (
            f"COALESCE({_num(rule.weight)} * LEAST(LOG(1.0 + GREATEST({value}, 0)) / "
            f"{_num(math.log10(rule.high))}, 1), 0)"
        )
    if rule.method == "per_unit":
        points = f"GREATEST({value}, 0) * {_num(rule.unit_points)}"
        bound = "LEAST" if rule.weight >= 0 else "GREATEST"
        return f"COALESCE({bound}({points}, {_num(rule.weight)}), 0)"
    if rule.method == "bands":
        whens = " ".join(
            f"WHEN {value} >= {_num(lower)} THEN {_num(points)}" for lower, points in sorted(rule.bands, reverse=True)
        )
        return f"COALESCE(CASE {whens} ELSE 0 END, 0)" if whens else "0"
    return "0"


def score_sql(rules, exprs):
    """The score of :func:`score` as one SQL expression."""
    parts = [rule_sql(rule, exprs) for rule in rules] or ["0"]
    return (
        f"CASE WHEN COALESCE({exprs['balance']}, 0) <= 0 THEN 0 "
        f"ELSE ROUND(LEAST(GREATEST({' + '.join(parts)}, 0), 100)::numeric, 2) END"
    )


# the default rule set: the priority formula every case had before rules
# were configurable (50 points for a year overdue, 40 for a balance of a
# million on a log scale, 5 per broken promise up to 10, minus up to 5 for
# a debtor who keeps their promises), so that no order changes on upgrade
DEFAULT_RULES = [
    Rule(1, "Days overdue", "days_overdue", "linear", weight=50.0, low=0.0, high=365.0),
    Rule(2, "Balance", "balance", "log", weight=40.0, high=1_000_000.0),
    Rule(3, "Broken promises", "broken_promises", "per_unit", weight=10.0, unit_points=5.0),
    Rule(4, "Promises kept", "kept_rate", "linear", weight=-5.0, low=0.0, high=100.0),
]
