import logging
import time

from odoo import Command
from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import datetime
from odoo.tools.safe_eval import dateutil
from odoo.tools.safe_eval import safe_eval

from ..tools import distribution

_logger = logging.getLogger(__name__)

METHODS = [
    ("balanced", "Balanced by amount and count"),
    ("count", "Equal number of cases"),
    ("zone", "By zone"),
    ("client", "Keep the debtor's collector"),
    ("manual", "All to one collector"),
]
METHOD_FUNCTIONS = {
    "balanced": distribution.balanced,
    "count": distribution.equal_count,
    "zone": distribution.by_zone,
    "client": distribution.by_client,
    "manual": distribution.manual,
}


class CollectionDistribute(models.TransientModel):
    """Distribute cases among collectors.

    The cases come from the selection in the case list, a saved filter, or a
    portfolio; the collectors from a team or a hand-picked list. *Preview*
    shows, per collector, the cases and amount before and after and the
    imbalance; *Distribute* computes the same plan again on the current data
    and writes it in a few SQL statements, with assignment history and one
    event in the log.

    Absent members' shares go to their substitute; members without a
    substitute are left out while absent. A member's *Portfolio Capacity*
    caps what they may hold; cases nobody can take stay as they are.
    """

    _name = "collection.distribute"
    _description = "Distribute Collection Cases"

    source = fields.Selection(
        [("selection", "Selected cases"), ("filter", "Saved filter"), ("portfolio", "Portfolio")],
        required=True,
        default="selection",
    )
    case_ids = fields.Many2many("collection.case", string="Cases")
    filter_id = fields.Many2one(
        "ir.filters", string="Saved Filter", domain=[("model_id", "=", "collection.case")], ondelete="cascade"
    )
    portfolio_id = fields.Many2one("collection.portfolio", ondelete="cascade")
    only_unassigned = fields.Boolean("Only Unassigned Cases", default=True)
    team_id = fields.Many2one("collection.team", ondelete="cascade")
    user_ids = fields.Many2many("res.users", string="Collectors", domain=lambda self: self._user_domain())
    method = fields.Selection(METHODS, required=True, default="balanced")
    manual_user_id = fields.Many2one(
        "res.users", string="Collector", ondelete="cascade", domain=lambda self: self._user_domain()
    )
    include_held = fields.Boolean(
        "Even Out Total Workload",
        help="Count the open cases the collectors already hold: those with fewer cases receive more.",
    )
    state = fields.Selection([("setup", "Setup"), ("preview", "Preview")], default="setup", required=True)
    line_ids = fields.One2many("collection.distribute.line", "wizard_id", string="Preview", readonly=True)
    case_count = fields.Integer("Cases to Distribute", readonly=True)
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    amount_total = fields.Monetary("Amount to Distribute", readonly=True)
    unassigned_count = fields.Integer("Left Unassigned", readonly=True)
    count_spread = fields.Integer(readonly=True, help="Most minus fewest cases given to a share.")
    amount_spread_pct = fields.Float(
        "Amount Spread (%)", readonly=True, digits=(6, 2), help="Largest minus smallest amount given, % of the mean."
    )
    warning = fields.Text(readonly=True)
    spread_note = fields.Text(readonly=True, help="Why the shares cannot be more even on a small selection.")

    @api.model
    def _user_domain(self):
        return [("groups_id", "in", self.env.ref("debt_collection.group_collection_user").id), ("share", "=", False)]

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "collection.case" and context.get("active_ids"):
            values["source"] = "selection"
            values["case_ids"] = [Command.set(context["active_ids"])]
        elif context.get("active_model") == "collection.portfolio" and context.get("active_id"):
            values["source"] = "portfolio"
            values["portfolio_id"] = context["active_id"]
            portfolio = self.env["collection.portfolio"].browse(context["active_id"])
            if portfolio.team_id:
                values["team_id"] = portfolio.team_id.id
        elif "source" in fields_list and not context.get("active_ids"):
            values["source"] = "portfolio"
        return values

    @api.onchange("team_id")
    def _onchange_team_id(self):
        if self.team_id:
            self.user_ids = self.team_id.member_ids.filtered("active").user_id

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_preview(self):
        self.ensure_one()
        plan = self._compute_plan()
        self._write_preview(plan)
        self.state = "preview"
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.write({"state": "setup", "line_ids": [Command.clear()]})
        return self._reopen()

    def action_apply(self):
        self.ensure_one()
        started = time.perf_counter()
        plan = self._compute_plan()
        if not plan["targets"]:
            raise UserError(_("Nothing to distribute: no case could be given to the chosen collectors."))
        Case = self.env["collection.case"].sudo()
        method_label = dict(self._fields["method"]._description_selection(self.env))[self.method]
        moved = Case._apply_assignments(
            plan["targets"],
            "distribution",
            # the event adds who received how many cases
            _("Distribution (%s), cases given:", method_label),
        )
        Case._top_up_today({user for user, _team in plan["targets"].values()})
        _logger.info(
            "Distributed %s cases (%s moved) to %s shares in %.2f s",
            len(plan["targets"]),
            moved,
            len(plan["slots"]),
            time.perf_counter() - started,
        )
        count = len(plan["targets"])
        users = len({user for user, _team in plan["targets"].values()})
        if count == 1:
            message = _("1 case distributed to 1 collector.")
        elif users == 1:
            message = _("%s cases distributed to 1 collector.", count)
        else:
            message = _("%(count)s cases distributed to %(users)s collectors.", count=count, users=users)
        if len(plan["unassigned"]) == 1:
            message += " " + _("1 case could not be given to anyone.")
        elif plan["unassigned"]:
            message += " " + _("%s cases could not be given to anyone.", len(plan["unassigned"]))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Distribution done"),
                "message": message,
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Distribute Cases"),
        }

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------
    def _check_rights(self):
        user = self.env.user
        if not user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only collection supervisors and managers can distribute cases."))

    def _case_domain(self):
        self.ensure_one()
        if self.source == "selection":
            domain = [("id", "in", self.case_ids.ids)]
        elif self.source == "filter":
            if not self.filter_id:
                raise UserError(_("Choose the saved filter whose cases to distribute."))
            domain = safe_eval(
                self.filter_id.domain or "[]",
                {
                    "uid": self.env.uid,
                    "datetime": datetime,
                    "relativedelta": dateutil.relativedelta.relativedelta,
                    "context_today": lambda: fields.Date.context_today(self),
                },
            )
        else:
            if not self.portfolio_id:
                raise UserError(_("Choose the portfolio whose cases to distribute."))
            domain = [("portfolio_id", "=", self.portfolio_id.id)]
            if self.only_unassigned:
                domain.append(("user_id", "=", False))
        return domain + [("state", "=", "open")]

    def _targets(self):
        """The users chosen, as a list of (share owner, target user) pairs:
        an absent member's share goes to their substitute."""
        self.ensure_one()
        users = self.manual_user_id if self.method == "manual" else self.user_ids
        if not users:
            raise UserError(_("Choose the collectors to distribute to."))
        members = self.env["collection.team.member"]._membership_by_user(users.ids, self.team_id)
        return [(user, members.get(user.id)) for user in users]

    def _compute_plan(self):
        """Compute the distribution on the current data.

        Returns a dict: ``targets`` {case id: (user id, team id)},
        ``unassigned`` case ids, ``slots`` [(owner, target user, member)],
        ``items`` {case id: (amount, current user id)}, ``warnings``."""
        self.ensure_one()
        self._check_rights()
        warnings = []
        Case = self.env["collection.case"]
        # the record rules of cases are the same for reading and writing: the
        # search keeps only cases the user may reassign
        Case.check_access("write")
        cases = Case._search(self._case_domain()).subselect()
        shares = self._targets()
        rows = self._case_rows(cases)

        # who receives each share: the member, or their substitute while absent
        today = fields.Date.context_today(self)
        owners = []
        for user, member in shares:
            target = user
            if member and member._absent_on(today):
                if not member.substitute_id:
                    warnings.append(_("%s is absent and has no substitute: left out.", user.name))
                    continue
                target = member.substitute_id
                warnings.append(_("%(user)s is absent: their share goes to %(sub)s.", user=user.name, sub=target.name))
            owners.append((user, target, member))
        Member = self.env["collection.team.member"]
        target_members = Member._membership_by_user({target.id for _user, target, _member in owners}, self.team_id)
        # the load held outside the cases being distributed
        held = self._held_load({u.id for user, target, _member in owners for u in (user, target)})
        for _cid, amount, current, _partner, _zone in rows:
            if current in held:
                count, total = held[current]
                held[current] = (count - 1, total - amount)
        # a collector's portfolio capacity is shared by all the shares they receive
        room = {}
        for target_id, member in target_members.items():
            if member.max_open_cases:
                room[target_id] = max(member.max_open_cases - held.get(target_id, (0, 0.0))[0], 0)
        share_count = {}
        for _user, target, _member in owners:
            share_count[target.id] = share_count.get(target.id, 0) + 1
        given_room = {}
        slots = []
        for user, target, member in owners:
            count, amount = held.get(user.id, (0, 0.0))
            capacity = None
            if member and member.max_open_cases:
                capacity = max(member.max_open_cases - count, 0)
            if target.id in room:
                n = share_count[target.id]
                part = room[target.id] // n + (1 if given_room.get(target.id, 0) < room[target.id] % n else 0)
                given_room[target.id] = given_room.get(target.id, 0) + 1
                capacity = part if capacity is None else min(capacity, part)
            slots.append(
                distribution.Slot(
                    capacity=capacity,
                    held_count=count,
                    held_amount=amount,
                    zones=member._covered_zone_ids() if member else frozenset(),
                )
            )
        if not slots:
            raise UserError(_("None of the chosen collectors can receive cases today."))
        self.env.cr.execute(SQL("SELECT DISTINCT company_id FROM collection_case WHERE id IN %s", cases))
        Case._check_assignment_targets(
            self.env["res.users"].union(*(user | target for user, target, _member in owners)),
            self.team_id,
            [company_id for (company_id,) in self.env.cr.fetchall()],
        )
        if self.method == "zone":
            items = [(cid, amount, zone) for cid, amount, _user, _partner, zone in rows]
            if not any(slot.zones for slot in slots):
                raise UserError(_("None of the chosen collectors covers a zone: set the zones of the team members."))
        elif self.method == "client":
            holders = self._debtor_holders(cases, [target.id for _owner, target, _member in owners])
            items = [(cid, amount, partner, holders.get(partner)) for cid, amount, _user, partner, _zone in rows]
        else:
            items = [(cid, amount) for cid, amount, _user, _partner, _zone in rows]
        # rows come most urgent first: the equal-count method deals them in that order
        function = METHOD_FUNCTIONS[self.method]
        if self.method == "manual":
            slots = slots[:1]
        plan, unassigned = function(items, slots, include_held=self.include_held)
        # (collector, team) of each share, read once: the plan maps thousands of cases to a few shares
        shares_to = [
            (target.id, (self.team_id or (member.team_id if member else self.team_id)).id or None)
            for _owner, target, member in owners
        ]
        targets = {case_id: shares_to[index] for case_id, index in plan.items()}
        if unassigned:
            warnings.append(_("%s cases could not be given to anyone (capacity or zone).", len(unassigned)))
        return {
            "targets": targets,
            "unassigned": unassigned,
            "slots": owners,
            "rows": rows,
            "warnings": warnings,
        }

    def _held_load(self, user_ids):
        """{user id: (open cases, open balance)} of what the users hold now."""
        if not user_ids:
            return {}
        self.env["collection.case"].flush_model(["user_id", "state", "amount_residual"])
        self.env.cr.execute(
            SQL(
                "SELECT user_id, COUNT(*), COALESCE(SUM(amount_residual), 0) FROM collection_case"
                " WHERE state = 'open' AND user_id = ANY(%s) GROUP BY user_id",
                list(set(user_ids)),
            )
        )
        return {user: (count, float(amount)) for user, count, amount in self.env.cr.fetchall()}

    def _case_rows(self, cases):
        """[(case id, balance, current collector, debtor, zone)] of the cases
        (an SQL subquery of their ids), most urgent first (the work-list
        order), read in one query; the debtor is the commercial partner for
        the client method."""
        self.env["collection.case"].flush_model(
            ["amount_residual", "user_id", "partner_id", "zone_id", "work_tier", "priority_score"]
        )
        debtor = SQL("c.partner_id")
        join = SQL()
        if self.method == "client":
            debtor = SQL("p.commercial_partner_id")
            join = SQL("JOIN res_partner p ON p.id = c.partner_id")
        self.env.cr.execute(
            SQL(
                """
                SELECT c.id, c.amount_residual, c.user_id, %s, c.zone_id
                  FROM collection_case c %s
                 WHERE c.id IN %s
                 ORDER BY c.work_tier, c.priority_score DESC, c.id
                """,
                debtor,
                join,
                cases,
            )
        )
        return [
            (cid, float(amount or 0.0), user, partner, zone)
            for cid, amount, user, partner, zone in self.env.cr.fetchall()
        ]

    def _debtor_holders(self, cases, target_ids):
        """{debtor: slot index} for the debtors of ``cases`` (an SQL subquery)
        whose other open cases are held by one of the target collectors (the
        one holding most of them)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT p.commercial_partner_id, c.user_id, COUNT(*)
                  FROM collection_case c JOIN res_partner p ON p.id = c.partner_id
                 WHERE c.state = 'open' AND c.user_id = ANY(%s) AND c.id NOT IN %s
                   AND p.commercial_partner_id IN (
                        SELECT p2.commercial_partner_id FROM collection_case c2
                          JOIN res_partner p2 ON p2.id = c2.partner_id WHERE c2.id IN %s)
                 GROUP BY p.commercial_partner_id, c.user_id
                 ORDER BY COUNT(*) DESC, c.user_id
                """,
                target_ids,
                cases,
                cases,
            )
        )
        index_of = {}
        for index, target in enumerate(target_ids):
            index_of.setdefault(target, index)
        holders = {}
        for partner, user, _count in self.env.cr.fetchall():
            holders.setdefault(partner, index_of[user])
        return holders

    def _write_preview(self, plan):
        """One line per collector concerned (receiving or losing cases):
        open cases and balance before and after, what the distribution gives
        them, and how far their share is from the average share."""
        rows = {cid: (amount, user) for cid, amount, user, _partner, _zone in plan["rows"]}
        targets = list(dict.fromkeys(target.id for _owner, target, _member in plan["slots"]))
        received = {uid: [0, 0.0] for uid in targets}
        delta = {}
        for case_id, (user_id, _team) in plan["targets"].items():
            amount, current = rows[case_id]
            received[user_id][0] += 1
            received[user_id][1] += amount
            if current != user_id:
                for uid, sign in ((user_id, 1), (current, -1)):
                    if uid:
                        entry = delta.setdefault(uid, [0, 0.0])
                        entry[0] += sign
                        entry[1] += sign * amount
        users = targets + sorted(set(delta) - set(targets))
        before = self._held_load(users)
        amounts = [received[uid][1] for uid in targets]
        counts = [received[uid][0] for uid in targets]
        mean = sum(amounts) / len(amounts) if amounts else 0.0
        lines = []
        for uid in users:
            count_before, amount_before = before.get(uid, (0, 0.0))
            new_count, new_amount = received.get(uid, (0, 0.0))
            change_count, change_amount = delta.get(uid, (0, 0.0))
            lines.append(
                Command.create(
                    {
                        "user_id": uid,
                        "before_count": count_before,
                        "before_amount": amount_before,
                        "new_count": new_count,
                        "new_amount": new_amount,
                        "after_count": count_before + change_count,
                        "after_amount": amount_before + change_amount,
                        "deviation_pct": ((new_amount - mean) / mean * 100.0) if mean and uid in received else 0.0,
                    }
                )
            )
        self.write(
            {
                "line_ids": [Command.clear()] + lines,
                "case_count": len(rows),
                "amount_total": sum(amount for amount, _user in rows.values()),
                "unassigned_count": len(plan["unassigned"]),
                "count_spread": distribution.spread(counts),
                "amount_spread_pct": (distribution.spread(amounts) / mean * 100.0) if mean else 0.0,
                "warning": "\n".join(plan["warnings"]) or False,
                "spread_note": self._spread_note([rows[cid][0] for cid in plan["targets"]], len(targets), mean),
            }
        )

    def _spread_note(self, amounts, shares, mean):
        """On a selection too small to share evenly, why: whole cases, and
        single debts larger than the differences left."""
        cases = len(amounts)
        if not shares or not cases or cases >= 10 * shares:
            return False
        low, extra = divmod(cases, shares)
        notes = []
        if extra:
            notes.append(
                _(
                    "%(cases)s cases for %(shares)s collectors cannot be shared equally: each receives %(low)s or "
                    "%(high)s cases.",
                    cases=cases,
                    shares=shares,
                    low=low,
                    high=low + 1,
                )
            )
        largest = max(amounts)
        if mean and largest > mean * 0.1:
            notes.append(
                _(
                    "A case is not split: the largest debt (%(amount)s) is %(pct)s%% of an average share, so the "
                    "amounts cannot be evened out more finely than that.",
                    amount=self.currency_id.format(largest),
                    pct=round(largest / mean * 100),
                )
            )
        return " ".join(notes) or False


class CollectionDistributeLine(models.TransientModel):
    _name = "collection.distribute.line"
    _description = "Distribution Preview Line"
    _order = "new_count desc, id"

    wizard_id = fields.Many2one("collection.distribute", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    before_count = fields.Integer("Cases Before", readonly=True)
    before_amount = fields.Monetary("Amount Before", readonly=True)
    new_count = fields.Integer("Cases Given", readonly=True)
    new_amount = fields.Monetary("Amount Given", readonly=True)
    after_count = fields.Integer("Cases After", readonly=True)
    after_amount = fields.Monetary("Amount After", readonly=True)
    deviation_pct = fields.Float(
        "Imbalance (%)", readonly=True, digits=(6, 2), help="Amount given compared with the average share."
    )
