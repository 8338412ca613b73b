"""Strategy ladders: which step of a frozen version a case has reached,
which skip rule holds it back, and the frozen form of a version. No
database access here.

A step is due for a case when the case's offset (today minus its oldest
open due date: negative before that date, for preventive reminders) has
reached the step's day and no later step's. Rungs passed over while the
case had another strategy, or before the strategy existed, are not sent
late: only the rung reached runs, once per case, step, version and due
date (a new due date, e.g. the next installment of a plan, starts the
ladder again).
"""

import json

ACTIONS = [
    ("email", "Send an e-mail"),
    ("sms", "Send an SMS"),
    ("letter", "Print a letter"),
    ("call", "Call task"),
    ("visit", "Visit task"),
    ("stage", "Move to a stage"),
    ("queue", "Route to a team queue"),
    ("legal", "Hand over to legal"),
    ("register", "Add to the delinquent register"),
]
# actions that contact the debtor at once: the contact rules decide when
CONTACT_ACTIONS = {"email": "email", "sms": "sms"}
# actions that reach the debtor (a letter included): "do not contact" skips them
DEBTOR_ACTIONS = {"email", "sms", "letter", "call", "visit"}

# the fields of a step frozen in a version (besides its id)
STEP_FIELDS = (
    "sequence",
    "days",
    "action",
    "mode",
    "mail_template_id",
    "sms_template_id",
    "letter_level",
    "stage_id",
    "team_id",
    "skip_dispute",
    "skip_promise",
    "skip_agreement",
    "skip_do_not_contact",
)


def freeze(domain, steps):
    """The frozen text of a version: its domain and its steps (dicts with
    ``id`` and ``STEP_FIELDS``), in a stable order."""
    ordered = sorted(steps, key=lambda step: (step["days"], step["sequence"], step["id"]))
    return json.dumps({"domain": domain, "steps": ordered}, sort_keys=True)


def thaw(text):
    """(domain, steps) of a frozen version."""
    data = json.loads(text or "{}")
    return data.get("domain") or "[]", data.get("steps") or []


def due_step(steps, offset):
    """The step reached at ``offset`` days from the oldest due date (the
    last one whose day is not after it), or None."""
    reached = None
    for step in sorted(steps, key=lambda s: (s["days"], s["sequence"], s["id"])):
        if step["days"] <= offset:
            reached = step
    return reached


def skip_reason(step, facts):
    """The code of the first skip rule of ``step`` that ``facts`` (booleans
    ``dispute``, ``promise``, ``agreement``, ``do_not_contact``) meets, or
    None."""
    if step.get("skip_dispute") and facts.get("dispute"):
        return "dispute"
    if step.get("skip_promise") and facts.get("promise"):
        return "promise"
    if step.get("skip_agreement") and facts.get("agreement"):
        return "agreement"
    if step["action"] in DEBTOR_ACTIONS and step.get("skip_do_not_contact") and facts.get("do_not_contact"):
        return "do_not_contact"
    return None
