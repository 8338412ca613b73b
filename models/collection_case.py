from collections import defaultdict

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import aging

OPEN_INSTALLMENT_STATES = ("pending", "partial")
AUTO_STAGE_CODES = ("preventive", "current", "delinquent")
# fields a collector may not change on the cases they work
SUPERVISOR_FIELDS = {
    "user_id",
    "team_id",
    "portfolio_id",
    "partner_id",
    "state",
    "close_reason",
    "date_closed",
    "amount_credit",
}
CLOSE_REASONS = [
    ("paid", "Paid"),
    ("written_off", "Written off"),
    ("returned", "Returned to creditor"),
    ("legal", "Transferred to legal"),
    ("cancelled", "Debt cancelled"),
    ("other", "Other"),
]
# reasons set by the case itself, lifted as soon as something is owed again
AUTO_CLOSE_REASONS = ("paid", "cancelled")


class CollectionCase(models.Model):
    _name = "collection.case"
    _description = "Collection Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "next_action_date, priority_score desc, id"
    _check_company_auto = True

    name = fields.Char(
        "Reference", required=True, readonly=True, copy=False, default=lambda self: _("New"), index="trigram"
    )
    portfolio_id = fields.Many2one(
        "collection.portfolio", required=True, index=True, tracking=True, check_company=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="portfolio_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="portfolio_id.currency_id", store=True, precompute=True)
    kind = fields.Selection(related="portfolio_id.kind", store=True, precompute=True)
    partner_id = fields.Many2one(
        "res.partner", string="Debtor", required=True, index=True, tracking=True, ondelete="restrict"
    )
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    partner_mobile = fields.Char(related="partner_id.mobile", string="Mobile")
    partner_email = fields.Char(related="partner_id.email", string="Email")
    partner_vat = fields.Char(related="partner_id.vat", string="Tax ID")
    user_id = fields.Many2one("res.users", string="Collector", index=True, tracking=True)
    team_id = fields.Many2one("collection.team", index=True, tracking=True, check_company=True)
    acting_user_ids = fields.Many2many(
        "res.users",
        string="Worked by",
        compute="_compute_acting_user_ids",
        search="_search_acting_user_ids",
        help="The collector, plus their substitute while the collector is absent.",
    )
    stage_id = fields.Many2one(
        "collection.stage",
        compute="_compute_stage_id",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        group_expand="_read_group_stage_ids",
        ondelete="restrict",
        domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
    )
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        compute="_compute_state",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
    )
    close_reason = fields.Selection(CLOSE_REASONS, compute="_compute_state", store=True, readonly=False, tracking=True)
    date_closed = fields.Date(compute="_compute_state", store=True, readonly=False)
    installment_ids = fields.One2many("collection.installment", "case_id", string="Installments")
    installment_count = fields.Integer(compute="_compute_installment_count")
    assignment_ids = fields.One2many("collection.assignment", "case_id", string="Assignment History")
    invoice_ids = fields.Many2many("account.move", compute="_compute_invoice_ids", string="Invoices")
    invoice_count = fields.Integer(compute="_compute_invoice_ids")
    amount_total = fields.Monetary("Total Debt", compute="_compute_amounts", store=True)
    amount_paid = fields.Monetary("Paid", compute="_compute_amounts", store=True)
    amount_residual = fields.Monetary("Balance", compute="_compute_amounts", store=True)
    amount_overdue = fields.Monetary("Overdue", compute="_compute_amounts", store=True)
    amount_credit = fields.Monetary(
        "Open Credits",
        readonly=True,
        help="Unreconciled credit notes and payments of the debtor in accounting; they reduce the balance.",
    )
    date_oldest_due = fields.Date("Oldest Due Date", compute="_compute_amounts", store=True)
    days_overdue = fields.Integer(compute="_compute_amounts", store=True, aggregator="max")
    aging_bucket = fields.Selection(
        [(key, label) for key, label, _low, _high in aging.AGING_BUCKETS],
        compute="_compute_amounts",
        store=True,
        index=True,
    )
    priority_score = fields.Float(compute="_compute_amounts", store=True, digits=(6, 2), aggregator="avg")
    next_action_date = fields.Date(tracking=True, index=True)
    next_promise_date = fields.Date(readonly=True, index=True)
    next_promise_amount = fields.Monetary(readonly=True)
    last_contact_date = fields.Datetime(readonly=True)
    external_ref = fields.Char("Creditor Reference", index=True, help="The creditor's reference of the debtor.")
    date_debt_since = fields.Date("Debt Since")
    contact_persons = fields.Text(help="Contact persons and personal references given by the creditor.")
    note = fields.Html()
    color = fields.Integer()

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "The case reference must be unique per company."),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("user_id")
    @api.depends_context("tz")
    def _compute_acting_user_ids(self):
        members = (
            self.env["collection.team.member"]
            .sudo()
            .search([("user_id", "in", self.user_id.ids), ("substitute_id", "!=", False), ("is_absent", "=", True)])
        )
        substitutes = {}
        for member in members:
            substitutes.setdefault(member.user_id.id, self.env["res.users"])
            substitutes[member.user_id.id] |= member.substitute_id
        for case in self:
            case.acting_user_ids = case.user_id | substitutes.get(case.user_id.id, self.env["res.users"])

    def _search_acting_user_ids(self, operator, value):
        if operator not in ("in", "="):
            raise UserError(_("Unsupported search on the collectors working a case."))
        user_ids = [value] if isinstance(value, int) else list(value or [])
        absent = self.env["collection.team.member"]._absent_user_ids_substituted_by(user_ids)
        return [("user_id", "in", user_ids + absent)]

    @api.depends(
        "installment_ids.amount",
        "installment_ids.amount_paid",
        "installment_ids.amount_residual",
        "installment_ids.state",
        "installment_ids.date_due",
        "amount_credit",
    )
    def _compute_amounts(self):
        """Totals of the installments, aggregated in two queries for all the
        stored cases of the batch (in Python for records not saved yet)."""
        today = fields.Date.context_today(self)
        stored = self.filtered(lambda c: isinstance(c.id, int))
        totals = {}
        if stored:
            Installment = self.env["collection.installment"].sudo()
            Installment.flush_model(["case_id", "amount", "amount_paid", "amount_residual", "state", "date_due"])
            for case, state, amount, paid, residual, oldest in Installment._read_group(
                [("case_id", "in", stored.ids)],
                ["case_id", "state"],
                ["amount:sum", "amount_paid:sum", "amount_residual:sum", "date_due:min"],
            ):
                t = totals.setdefault(
                    case.id, {"total": 0.0, "paid": 0.0, "residual": 0.0, "overdue": 0.0, "oldest": False}
                )
                if state in ("cancelled", "refinanced"):
                    continue
                t["total"] += amount
                t["paid"] += paid
                if state in OPEN_INSTALLMENT_STATES:
                    t["residual"] += residual
                    if oldest and (not t["oldest"] or oldest < t["oldest"]):
                        t["oldest"] = oldest
            for case, residual in Installment._read_group(
                [
                    ("case_id", "in", stored.ids),
                    ("state", "in", OPEN_INSTALLMENT_STATES),
                    ("date_due", "<", today),
                ],
                ["case_id"],
                ["amount_residual:sum"],
            ):
                totals[case.id]["overdue"] = residual
        stored_ids = set(stored.ids)
        for case in self:
            if case.id in stored_ids:
                t = totals.get(case.id) or {"total": 0.0, "paid": 0.0, "residual": 0.0, "overdue": 0.0, "oldest": False}
            else:
                counted = case.installment_ids.filtered(lambda i: i.state not in ("cancelled", "refinanced"))
                open_ones = counted.filtered(lambda i: i.state in OPEN_INSTALLMENT_STATES)
                due_dates = [d for d in open_ones.mapped("date_due") if d]
                t = {
                    "total": sum(counted.mapped("amount")),
                    "paid": sum(counted.mapped("amount_paid")),
                    "residual": sum(open_ones.mapped("amount_residual")),
                    "overdue": sum(
                        open_ones.filtered(lambda i: i.date_due and i.date_due < today).mapped("amount_residual")
                    ),
                    "oldest": min(due_dates) if due_dates else False,
                }
            credit = case.amount_credit
            oldest = t["oldest"]
            days = aging.days_overdue(oldest, today)
            case.amount_total = t["total"]
            case.amount_paid = t["paid"]
            case.amount_residual = max(t["residual"] - credit, 0.0)
            case.amount_overdue = max(t["overdue"] - credit, 0.0)
            case.date_oldest_due = oldest
            case.days_overdue = days
            case.aging_bucket = aging.aging_bucket(days if oldest and oldest < today else 0)
            case.priority_score = aging.priority_score(days, case.amount_residual)

    @api.depends("amount_residual", "installment_ids.state")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        states_of = self._installment_states()
        for case in self:
            state, reason, date_closed = case.state or "open", case.close_reason, case.date_closed
            # settled means no installment is left open; open credits that are not
            # reconciled yet lower the balance but do not close the case
            states = states_of[case.id]
            settled = bool(states) and not states & set(OPEN_INSTALLMENT_STATES)
            if state == "open" and settled:
                auto_reason = "paid" if states & {"paid", "written_off", "refinanced"} else "cancelled"
                state, reason, date_closed = "closed", auto_reason, today
            elif state == "closed" and reason in AUTO_CLOSE_REASONS and not settled:
                state, reason, date_closed = "open", False, False
            case.state = state
            case.close_reason = reason
            case.date_closed = date_closed

    def _installment_states(self):
        """{case id: set of its installments' states}, in one query for the
        stored cases of the batch."""
        result = defaultdict(set)
        stored = [case.id for case in self if isinstance(case.id, int)]
        if stored:
            Installment = self.env["collection.installment"].sudo()
            Installment.flush_model(["case_id", "state"])
            for case, state in Installment._read_group([("case_id", "in", stored)], ["case_id", "state"]):
                result[case.id].add(state)
        for case in self:
            if not isinstance(case.id, int):
                result[case.id] = set(case.installment_ids.mapped("state"))
        return result

    @api.depends("state", "days_overdue", "date_oldest_due", "company_id")
    def _compute_stage_id(self):
        stages = self.env["collection.stage"].search([])
        by_company = {}
        for case in self:
            company = case.company_id.id
            if company not in by_company:
                own = stages.filtered(lambda s: not s.company_id or s.company_id.id == company)
                automatic = sorted(
                    (s for s in own if s.code in AUTO_STAGE_CODES), key=lambda s: (s.min_days_overdue, s.sequence)
                )
                by_company[company] = ([(s.min_days_overdue, s) for s in automatic], own.filtered("is_closed")[:1])
            automatic, closed = by_company[company]
            stage = case.stage_id
            if case.state == "closed":
                stage = closed or stage
            elif not stage or stage.code in AUTO_STAGE_CODES or stage.is_closed:
                chosen = automatic[0][1] if automatic else stage
                for threshold, candidate in automatic:
                    if case.days_overdue >= threshold:
                        chosen = candidate
                stage = chosen
            case.stage_id = stage

    def _compute_installment_count(self):
        counts = dict(
            self.env["collection.installment"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.installment_count = counts.get(case, 0)

    @api.depends("installment_ids.move_id")
    def _compute_invoice_ids(self):
        for case in self:
            case.invoice_ids = case.installment_ids.move_id
            case.invoice_count = len(case.invoice_ids)

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([("company_id", "in", [False] + self.env.companies.ids)])

    @api.depends("partner_id")
    def _compute_display_name(self):
        for case in self:
            case.display_name = f"{case.name} - {case.partner_id.name}" if case.partner_id else case.name

    @api.model
    def _search_display_name(self, operator, value):
        if operator in ("ilike", "like", "=ilike", "=like", "not ilike") and value:
            positive = operator != "not ilike"
            op = operator if positive else "ilike"
            domain = ["|", ("name", op, value), ("partner_id", op, value)]
            return domain if positive else ["!"] + domain
        return super()._search_display_name(operator, value)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        new = _("New")
        unnamed = [vals for vals in vals_list if vals.get("name", new) == new]
        for vals, name in zip(unnamed, self._next_names(len(unnamed)), strict=True):
            vals["name"] = name
        cases = super().create(vals_list)
        cases.filtered("user_id")._record_assignment()
        return cases

    @api.model
    def _next_names(self, count):
        """``count`` case references from the case sequence, drawn in one
        query when the sequence is a standard PostgreSQL one."""
        if not count:
            return []
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", "collection.case"), ("company_id", "in", [self.env.company.id, False])],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            return [_("New")] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence.next_by_id() for _i in range(count)]
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}",
                count,
            )
        )
        return [sequence.get_next_char(number) for (number,) in self.env.cr.fetchall()]

    def write(self, vals):
        protected = SUPERVISOR_FIELDS & set(vals)
        if protected and not self.env.su and not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(
                _(
                    "Only a collection supervisor can change the collector, team, portfolio, debtor, "
                    "state or credits of a case."
                )
            )
        changed = self.env["collection.case"]
        if "user_id" in vals:
            changed = self.filtered(lambda c: c.user_id.id != (vals["user_id"] or False))
        res = super().write(vals)
        if changed:
            changed._record_assignment()
        return res

    def unlink(self):
        self.check_access("unlink")
        if not self.env.su:
            worked = self.filtered(lambda c: c.assignment_ids or c.installment_ids.filtered("amount_paid"))
            if worked:
                raise UserError(_("Cases that were worked or received payments cannot be deleted; close them instead."))
        return super().unlink()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_installments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_installment_action")
        action["domain"] = [("case_id", "=", self.id)]
        action["context"] = {"default_case_id": self.id}
        return action

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action["domain"] = [("id", "in", self.invoice_ids.ids)]
        action["context"] = {"create": False}
        return action

    def action_reopen(self):
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can reopen a case."))
        closed = self.filtered(lambda c: c.state == "closed")
        closed.write({"state": "open", "close_reason": False, "date_closed": False})
        closed._compute_stage_id()
        self.env["collection.event"]._log("case_reopen", _("Case reopened."), cases=closed)

    def _close(self, reason, note=False):
        """Close open cases with ``reason`` and log one event per case."""
        cases = self.filtered(lambda c: c.state == "open")
        if not cases:
            return cases
        cases.write({"state": "closed", "close_reason": reason, "date_closed": fields.Date.context_today(self)})
        label = dict(CLOSE_REASONS)[reason]
        description = _("Case closed: %s.", label) + (f"\n{note}" if note else "")
        self.env["collection.event"]._log("case_close", description, cases=cases, payload={"reason": reason})
        return cases

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _record_assignment(self):
        """Close the open assignment of each case and open one for its new
        collector, in two batched statements, with one event per case."""
        reason = self.env.context.get("collection_assignment_reason", "manual")
        now = fields.Datetime.now()
        Assignment = self.env["collection.assignment"].sudo()
        previous = Assignment.search([("case_id", "in", self.ids), ("date_end", "=", False)])
        previous_user = {a.case_id.id: a.user_id.id for a in previous}
        previous.write({"date_end": now})
        assigned = self.filtered("user_id")
        Assignment.create(
            [
                {
                    "case_id": case.id,
                    "user_id": case.user_id.id,
                    "previous_user_id": previous_user.get(case.id, False),
                    "team_id": case.team_id.id,
                    "date_start": now,
                    "reason": reason,
                    "assigned_by_id": self.env.uid,
                }
                for case in assigned
            ]
        )
        for user, cases in assigned.grouped("user_id").items():
            self.env["collection.event"]._log(
                "assignment",
                _("Case assigned to %(user)s (%(reason)s).", user=user.name, reason=reason),
                cases=cases,
                payload={"user_id": user.id, "reason": reason},
            )

    @api.model
    def _refresh_aging(self, case_ids=None):
        """Recompute, in one SQL statement per step, what moves with the
        calendar: oldest due date, days overdue, overdue amount, aging bucket,
        priority score and the automatic stage of open cases."""
        self.env.flush_all()
        today = fields.Date.context_today(self)
        where = SQL("c.state = 'open'")
        if case_ids is not None:
            where = SQL("c.state = 'open' AND c.id = ANY(%s)", list(case_ids))
        self.env.cr.execute(
            SQL(
                """
                WITH agg AS (
                    SELECT i.case_id,
                           MIN(i.date_due) AS oldest,
                           COALESCE(SUM(i.amount_residual) FILTER (WHERE i.date_due < %(today)s), 0) AS overdue
                      FROM collection_installment i
                      JOIN collection_case c ON c.id = i.case_id
                     WHERE %(where)s AND i.state IN ('pending', 'partial')
                     GROUP BY i.case_id
                ), fresh AS (
                    SELECT c.id,
                           agg.oldest,
                           COALESCE(%(days)s, 0) AS days,
                           GREATEST(COALESCE(agg.overdue, 0) - COALESCE(c.amount_credit, 0), 0) AS overdue
                      FROM collection_case c
                      LEFT JOIN agg ON agg.case_id = c.id
                     WHERE %(where)s
                )
                UPDATE collection_case c
                   SET date_oldest_due = fresh.oldest,
                       days_overdue = fresh.days,
                       amount_overdue = fresh.overdue,
                       aging_bucket = %(bucket)s,
                       priority_score = %(score)s
                  FROM fresh
                 WHERE fresh.id = c.id
                   AND (c.days_overdue IS DISTINCT FROM fresh.days
                        OR c.amount_overdue IS DISTINCT FROM fresh.overdue
                        OR c.date_oldest_due IS DISTINCT FROM fresh.oldest)
                """,
                today=today,
                where=where,
                days=SQL("GREATEST(%s - agg.oldest, 0)", today),
                bucket=SQL(aging.aging_bucket_sql_case("fresh.days")),
                score=SQL(aging.priority_score_sql("fresh.days", "c.amount_residual")),
            )
        )
        # automatic stages: Preventive / Current / Delinquent by threshold
        self.env.cr.execute(
            SQL(
                """
                UPDATE collection_case c
                   SET stage_id = target.stage_id
                  FROM (
                    SELECT c.id AS case_id,
                           (SELECT s.id FROM collection_stage s
                             WHERE s.active AND s.code IN ('preventive', 'current', 'delinquent')
                               AND (s.company_id IS NULL OR s.company_id = c.company_id)
                               AND s.min_days_overdue <= c.days_overdue
                             ORDER BY s.min_days_overdue DESC, s.sequence
                             LIMIT 1) AS stage_id
                      FROM collection_case c
                      JOIN collection_stage cur ON cur.id = c.stage_id
                     WHERE %(where)s AND cur.code IN ('preventive', 'current', 'delinquent')
                  ) target
                 WHERE target.case_id = c.id AND target.stage_id IS NOT NULL
                   AND c.stage_id IS DISTINCT FROM target.stage_id
                """,
                where=where,
            )
        )
        self.invalidate_model(
            ["date_oldest_due", "days_overdue", "amount_overdue", "aging_bucket", "priority_score", "stage_id"]
        )

    @api.model
    def _cron_daily_refresh(self):
        self._refresh_aging()
