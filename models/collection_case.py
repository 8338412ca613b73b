import io
import logging
from collections import defaultdict

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import aging
from ..tools import geo
from ..tools import scoring
from ..tools import work_list
from ..tools import zones as zone_tools
from .collection_team import DEFAULT_DAILY_CAPACITY

_logger = logging.getLogger(__name__)

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
    "today_user_id",
    "zone_id",
}
CLOSE_REASONS = [
    ("paid", "Paid"),
    ("written_off", "Written off"),
    ("returned", "Returned to creditor"),
    ("legal", "Transferred to legal"),
    ("cancelled", "Debt cancelled"),
    ("other", "Other"),
]
RESUBMISSION_FIELDS = {"resubmission_date", "resubmission_user_id", "resubmission_note"}
# what a collector may change on the cases they work; every other field is the supervisors' or the
# case's own (its figures are computed, never written by a user)
COLLECTOR_FIELDS = {"next_action_date", "note", "color", "stage_id", "contact_persons"} | RESUBMISSION_FIELDS
# what a supervisor (or manager) may change besides
# (installments added, changed or removed through the case follow the installments' own rules)
SUPERVISOR_WRITE_FIELDS = (SUPERVISOR_FIELDS - {"amount_credit"}) | {
    "external_ref",
    "date_debt_since",
    "installment_ids",
}
# what a user may give when creating a case by hand (imports and the invoice sync create the others)
CREATE_FIELDS = (
    COLLECTOR_FIELDS | SUPERVISOR_WRITE_FIELDS | {"installment_ids", "name", "portfolio_id", "partner_id"}
) - {"today_user_id", "state", "close_reason", "date_closed"}
# an assignment event lists the case ids up to this many cases
EVENT_CASE_IDS_LIMIT = 1000
# NULL in PostgreSQL's COPY text format
NULL_COPY = "\\N"
# reasons set by the case itself, lifted as soon as something is owed again
AUTO_CLOSE_REASONS = ("paid", "cancelled")


def _earliest(current, candidate):
    """The earlier of two optional dates."""
    if not candidate:
        return current
    return candidate if not current or candidate < current else current


class CollectionCase(models.Model):
    _name = "collection.case"
    _description = "Collection Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "work_tier, priority_score desc, id"
    _check_company_auto = True

    name = fields.Char(
        "Reference", required=True, readonly=True, copy=False, default=lambda self: _("New")
    )  # the unique (name, company) constraint indexes it; a trigram index would cost every reassignment
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
    user_id = fields.Many2one(
        "res.users", string="Collector", index=True, tracking=True, group_expand="_read_group_user_ids"
    )
    team_id = fields.Many2one("collection.team", index=True, tracking=True, check_company=True)
    zone_id = fields.Many2one(
        "collection.zone",
        compute="_compute_zone_id",
        store=True,
        readonly=False,
        index=True,
        check_company=True,
        help="Territory of the debtor's address, from the zones' criteria.",
    )
    today_user_id = fields.Many2one(
        "res.users",
        string="In Today's List Of",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The collector whose Today list holds the case: set by the daily run, which caps each "
        "collector's list to their daily capacity and gives what is left over to colleagues with room.",
    )
    work_tier = fields.Selection(
        work_list.WORK_TIERS,
        string="Work List Reason",
        compute="_compute_work_tier",
        store=True,
        help="Why the case comes first on the work list: a promise due, a follow-up due, or its priority.",
    )
    resubmission_date = fields.Date(
        index="btree_not_null",
        copy=False,
        help="The case leaves the work list until this date, when it comes back to the chosen collector.",
    )
    resubmission_user_id = fields.Many2one("res.users", string="Resubmit To", copy=False)
    resubmission_note = fields.Char(copy=False)
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
    amount_disputed = fields.Monetary(
        "In Dispute",
        compute="_compute_amounts",
        store=True,
        help="Balance of the installments contested in open disputes: still owed, left out of the overdue "
        "amount and the escalation.",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    company_rate = fields.Float(
        "Rate to Company Currency",
        digits=0,
        compute="_compute_company_rate",
        store=True,
        help="Today's rate from the case's currency to its company's (1 when they are the same); the daily run "
        "moves it with the rates.",
    )
    amount_residual_company = fields.Monetary(
        "Balance (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_amount_residual_company",
        store=True,
        help="The balance converted to the company's currency at today's rate: what team and portfolio totals "
        "add up, never amounts of different currencies.",
    )
    amount_credit = fields.Monetary(
        "Open Credits",
        readonly=True,
        help="Unreconciled credit notes and payments of the debtor in accounting; they reduce the balance.",
    )
    date_oldest_due = fields.Date("Oldest Due Date", compute="_compute_amounts", store=True)
    days_overdue = fields.Integer(
        compute="_compute_amounts",
        store=True,
        aggregator="max",
        help="Days since the oldest unpaid due date, leaving out installments in dispute.",
    )
    aging_bucket = fields.Selection(
        [(key, label) for key, label, _low, _high in aging.AGING_BUCKETS],
        compute="_compute_amounts",
        store=True,
    )
    priority_score = fields.Float(
        compute="_compute_priority_score",
        store=True,
        digits=(6, 2),
        aggregator="avg",
        help="0 to 100, from the score rules (Configuration > Score Rules); the case form shows the points of each.",
    )
    next_action_date = fields.Date(tracking=True, index="btree_not_null")
    next_activity_date = fields.Date(
        "Next Activity", compute="_compute_next_activity_date", store=True, help="Earliest open activity."
    )
    promise_ids = fields.One2many("collection.promise", "case_id", string="Promises")
    next_promise_date = fields.Date(compute="_compute_promises", store=True, index="btree_not_null")
    next_promise_amount = fields.Monetary(compute="_compute_promises", store=True)
    broken_promise_count = fields.Integer(
        "Broken Promises", readonly=True, help="Promises to pay the debtor broke, on all their cases of the company."
    )
    promise_judged_count = fields.Integer(
        "Promises Judged", readonly=True, help="Promises to pay of the debtor judged so far (company-wide)."
    )
    promise_kept_rate = fields.Float(
        "Promises Kept (%)",
        readonly=True,
        digits=(5, 2),
        aggregator="avg",
        help="Share of the debtor's judged promises kept in full (company-wide).",
    )
    last_contact_date = fields.Datetime(readonly=True)
    external_ref = fields.Char(
        "Creditor Reference", index="btree_not_null", help="The creditor's reference of the debtor."
    )
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
    @api.depends("user_id", "team_id")
    @api.depends_context("tz")
    def _compute_acting_user_ids(self):
        substitutes = defaultdict(set)
        Member = self.env["collection.team.member"]
        for absent_id, team_id, substitute_id in Member._absent_substitutions(user_ids=self.user_id.ids):
            substitutes[absent_id, team_id].add(substitute_id)
        for case in self:
            extra = substitutes.get((case.user_id.id, case.team_id.id), ())
            case.acting_user_ids = case.user_id | self.env["res.users"].browse(sorted(extra))

    def _search_acting_user_ids(self, operator, value):
        """The cases held by ``value``, plus those of the absent colleagues
        they stand in for, in the team where they stand in."""
        if operator not in ("in", "="):
            raise UserError(_("Unsupported search on the collectors working a case."))
        user_ids = [value] if isinstance(value, int) else list(value or [])
        domains = [[("user_id", "in", user_ids)]]
        for absent_id, team_id, _substitute in self.env["collection.team.member"]._absent_substitutions(user_ids):
            domains.append([("user_id", "=", absent_id), ("team_id", "=", team_id)])
        return expression.OR(domains)

    @api.depends(
        "installment_ids.amount",
        "installment_ids.amount_paid",
        "installment_ids.amount_residual",
        "installment_ids.state",
        "installment_ids.date_due",
        "installment_ids.date_aging",
        "installment_ids.is_disputed",
        "amount_credit",
    )
    def _compute_amounts(self):
        """Totals of the installments, aggregated in two queries for all the
        stored cases of the batch (in Python for records not saved yet).

        Installments in an open dispute count in the balance and the oldest
        due date, but not in the overdue amount, the days overdue, the aging
        bucket, which drive escalation (and the priority score)."""
        today = fields.Date.context_today(self)
        stored = self.filtered(lambda c: isinstance(c.id, int))
        totals = {}

        def empty():
            return {
                "total": 0.0,
                "paid": 0.0,
                "residual": 0.0,
                "overdue": 0.0,
                "disputed": 0.0,
                "oldest": False,
                "oldest_undisputed": False,
            }

        if stored:
            Installment = self.env["collection.installment"].sudo()
            Installment.flush_model(
                [
                    "case_id",
                    "amount",
                    "amount_paid",
                    "amount_residual",
                    "state",
                    "date_due",
                    "date_aging",
                    "is_disputed",
                ]
            )
            for case, state, disputed, amount, paid, residual, oldest, aging_from in Installment._read_group(
                [("case_id", "in", stored.ids)],
                ["case_id", "state", "is_disputed"],
                ["amount:sum", "amount_paid:sum", "amount_residual:sum", "date_due:min", "date_aging:min"],
            ):
                t = totals.setdefault(case.id, empty())
                if state in ("cancelled", "refinanced"):
                    continue
                t["total"] += amount
                t["paid"] += paid
                if state in OPEN_INSTALLMENT_STATES:
                    t["residual"] += residual
                    t["oldest"] = _earliest(t["oldest"], oldest)
                    if disputed:
                        t["disputed"] += residual
                    else:
                        t["oldest_undisputed"] = _earliest(t["oldest_undisputed"], aging_from or oldest)
            for case, residual in Installment._read_group(
                [
                    ("case_id", "in", stored.ids),
                    ("state", "in", OPEN_INSTALLMENT_STATES),
                    "|",
                    ("date_aging", "<", today),
                    "&",
                    ("date_aging", "=", False),
                    ("date_due", "<", today),
                    ("is_disputed", "=", False),
                ],
                ["case_id"],
                ["amount_residual:sum"],
            ):
                totals[case.id]["overdue"] = residual
        stored_ids = set(stored.ids)
        for case in self:
            if case.id in stored_ids:
                t = totals.get(case.id) or empty()
            else:
                counted = case.installment_ids.filtered(lambda i: i.state not in ("cancelled", "refinanced"))
                open_ones = counted.filtered(lambda i: i.state in OPEN_INSTALLMENT_STATES)
                undisputed = open_ones.filtered(lambda i: not i.is_disputed)
                due_dates = [d for d in open_ones.mapped("date_due") if d]
                undisputed_dates = [i.date_aging or i.date_due for i in undisputed if i.date_aging or i.date_due]
                t = {
                    "total": sum(counted.mapped("amount")),
                    "paid": sum(counted.mapped("amount_paid")),
                    "residual": sum(open_ones.mapped("amount_residual")),
                    "overdue": sum(
                        undisputed.filtered(lambda i: (i.date_aging or i.date_due or today) < today).mapped(
                            "amount_residual"
                        )
                    ),
                    "disputed": sum((open_ones - undisputed).mapped("amount_residual")),
                    "oldest": min(due_dates) if due_dates else False,
                    "oldest_undisputed": min(undisputed_dates) if undisputed_dates else False,
                }
            credit = case.amount_credit
            escalating = t["oldest_undisputed"]
            days = aging.days_overdue(escalating, today)
            case.amount_total = t["total"]
            case.amount_paid = t["paid"]
            case.amount_residual = max(t["residual"] - credit, 0.0)
            case.amount_overdue = max(t["overdue"] - credit, 0.0)
            case.amount_disputed = t["disputed"]
            case.date_oldest_due = t["oldest"]
            case.days_overdue = days
            case.aging_bucket = aging.aging_bucket(days if escalating and escalating < today else 0)

    @api.depends(
        "days_overdue",
        "amount_residual",
        "amount_disputed",
        "broken_promise_count",
        "promise_kept_rate",
        "promise_judged_count",
        "last_contact_date",
        "partner_id.category_id",
        "agreement_ids.state",
    )
    def _compute_priority_score(self):
        """The score rules over each case's facts (a few queries for the
        batch); the daily run writes the same figures in SQL."""
        facts_of = self._score_facts()
        rules_of = self.env["collection.score.rule"]._rules_of(self.company_id.ids)
        for case in self:
            case.priority_score = scoring.score(rules_of.get(case.company_id.id, []), facts_of[case.id])

    def _score_facts(self):
        """{case id: the facts the score rules read} of the cases."""
        today = fields.Date.context_today(self)
        stored = [case.id for case in self if isinstance(case.id, int)]
        broken = set()
        if stored:
            Agreement = self.env["collection.agreement"].sudo()
            Agreement.flush_model(["case_id", "state"])
            broken = {
                case.id
                for [case] in Agreement._read_group([("case_id", "in", stored), ("state", "=", "broken")], ["case_id"])
            }
        facts = {}
        for case in self:
            contact = case.last_contact_date
            facts[case.id] = {
                "days_overdue": case.days_overdue or 0,
                "balance": max((case.amount_residual or 0.0) - (case.amount_disputed or 0.0), 0.0),
                "broken_promises": case.broken_promise_count or 0,
                "kept_rate": case.promise_kept_rate if case.promise_judged_count else None,
                "days_since_contact": (today - contact.date()).days if contact else scoring.NEVER_CONTACTED_DAYS,
                "open_dispute": (case.amount_disputed or 0.0) > 0,
                "broken_agreement": case.id in broken,
                "debtor_tags": set(case.partner_id.category_id.ids),
            }
        return facts

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
                if states & {"paid", "refinanced"}:
                    auto_reason = "paid"
                elif "written_off" in states:
                    auto_reason = "written_off"
                else:
                    auto_reason = "cancelled"
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

    @api.depends(
        "partner_id.country_id",
        "partner_id.state_id",
        "partner_id.city",
        "partner_id.zip",
        "partner_id.partner_latitude",
        "partner_id.partner_longitude",
        "company_id",
    )
    def _compute_zone_id(self):
        Zone = self.env["collection.zone"]
        criteria = Zone._criteria(self.company_id.ids)
        # which drawn areas hold each located debtor: one vectorised test per company and area
        hits = {}
        for company_id, company_areas in Zone._areas(self.company_id.ids).items():
            located = [
                (case.id, case.partner_id.sudo())
                for case in self
                if case.company_id.id == company_id
                and geo.has_position(case.partner_id.sudo().partner_latitude, case.partner_id.sudo().partner_longitude)
            ]
            if located:
                hits.update(
                    geo.area_hits(
                        company_areas,
                        [case_id for case_id, _partner in located],
                        [partner.partner_longitude for _case_id, partner in located],
                        [partner.partner_latitude for _case_id, partner in located],
                    )
                )
        for case in self:
            zones = criteria.get(case.company_id.id)
            partner = case.partner_id.sudo()
            key = None
            if zones and partner:
                inside = hits.get(case.id, frozenset())
                key = zone_tools.best_zone(
                    zones, partner.country_id.id, partner.state_id.id, partner.city, partner.zip, inside
                )
            case.zone_id = key or False

    @api.depends("currency_id", "company_id")
    def _compute_company_rate(self):
        today = fields.Date.context_today(self)
        rates = {}
        for case in self:
            key = (case.currency_id, case.company_id)
            if key not in rates:
                rates[key] = self.sudo()._company_rate(key[0].sudo(), key[1].sudo(), today)
            case.company_rate = rates[key]

    @api.model
    def _company_rate(self, currency, company, day):
        """The rate from ``currency`` to ``company``'s currency on ``day``."""
        if not currency or not company or currency == company.currency_id:
            return 1.0
        return currency._get_conversion_rate(currency, company.currency_id, company, day)

    @api.depends("amount_residual", "company_rate")
    def _compute_amount_residual_company(self):
        for case in self:
            amount = (case.amount_residual or 0.0) * (case.company_rate or 1.0)
            currency = case.company_currency_id
            case.amount_residual_company = currency.round(amount) if currency else amount

    @api.model
    def _refresh_company_rates(self):
        """Move the open cases' rates to their company currency with today's
        rates, and their converted balances: a rate looked up per pair of
        currency and company that differ, then two UPDATEs that touch only
        the cases whose figures change."""
        self.env.flush_all()
        today = fields.Date.context_today(self)
        self.env.cr.execute(
            """
            SELECT DISTINCT c.currency_id, c.company_id
              FROM collection_case c JOIN res_company co ON co.id = c.company_id
             WHERE c.state = 'open' AND c.currency_id IS DISTINCT FROM co.currency_id
            """
        )
        pairs = self.env.cr.fetchall()
        # the rates of every company of the database, whatever the user running the daily job
        Currency, Company = self.env["res.currency"].sudo(), self.env["res.company"].sudo()
        rates = [
            (currency, company, self.sudo()._company_rate(Currency.browse(currency), Company.browse(company), today))
            for currency, company in pairs
        ]
        self.env.cr.execute(
            """
            UPDATE collection_case c
               SET company_rate = 1.0, amount_residual_company = c.amount_residual
              FROM res_company co
             WHERE co.id = c.company_id AND c.currency_id = co.currency_id AND c.state = 'open'
               AND (c.company_rate IS DISTINCT FROM 1.0 OR c.amount_residual_company IS DISTINCT FROM c.amount_residual)
            """
        )
        if rates:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE collection_case c
                       SET company_rate = r.rate,
                           amount_residual_company = ROUND(c.amount_residual * r.rate::numeric, cur.decimal_places)
                      FROM unnest(%s::int[], %s::int[], %s::float8[]) AS r(currency_id, company_id, rate),
                           res_company co, res_currency cur
                     WHERE r.currency_id = c.currency_id AND r.company_id = c.company_id AND c.state = 'open'
                       AND co.id = c.company_id AND cur.id = co.currency_id
                       AND (c.company_rate IS DISTINCT FROM r.rate
                            OR c.amount_residual_company IS DISTINCT FROM
                               ROUND(c.amount_residual * r.rate::numeric, cur.decimal_places))
                    """,
                    [rate[0] for rate in rates],
                    [rate[1] for rate in rates],
                    [rate[2] for rate in rates],
                )
            )
        self.invalidate_model(["company_rate", "amount_residual_company"])

    @api.depends("next_promise_date", "next_action_date", "next_activity_date")
    def _compute_work_tier(self):
        # stored: today's date when the case changes; the daily run moves it with the calendar
        today = fields.Date.context_today(self)
        for case in self:
            case.work_tier = work_list.work_tier(
                today, case.next_promise_date, case.next_action_date, case.next_activity_date
            )

    @api.depends("activity_ids.date_deadline", "activity_ids.active")
    def _compute_next_activity_date(self):
        for case in self:
            dates = case.sudo().activity_ids.mapped("date_deadline")
            case.next_activity_date = min(dates) if dates else False

    @api.depends("promise_ids.state", "promise_ids.date_promise", "promise_ids.amount")
    def _compute_promises(self):
        for case in self:
            promises = case.sudo().promise_ids
            open_ones = promises.filtered(lambda p: p.state == "open").sorted(lambda p: (p.date_promise, p.id))
            case.next_promise_date = open_ones[:1].date_promise
            case.next_promise_amount = open_ones[:1].amount

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

    @api.model
    def _read_group_user_ids(self, users, domain):
        """Grouped by collector, supervisors see a column for every member
        of the teams they lead (managers: of every team), so that a card can
        be dragged to a collector who has no case yet."""
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            return users
        team_domain = [("company_id", "in", self.env.companies.ids)]
        if not self.env.user.has_group("debt_collection.group_collection_manager"):
            team_domain.append(("supervisor_id", "=", self.env.uid))
        teams = self.env["collection.team"].sudo().search(team_domain)
        members = teams.member_ids.filtered("active").user_id
        return users | members.with_env(self.env)

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
        if not self.env.su:
            for vals in vals_list:
                # a form sends the defaults of what it shows (an open state, no promises): not a choice
                given = {name for name, value in vals.items() if value not in (False, None, [], "open")}
                self._check_writable_fields(given, CREATE_FIELDS)
        new = _("New")
        unnamed = [vals for vals in vals_list if vals.get("name", new) == new]
        for vals, name in zip(unnamed, self._next_names(len(unnamed)), strict=True):
            vals["name"] = name
        # the installments of a new case are its opening figures, not corrections to log
        cases = super(CollectionCase, self.with_context(collection_case_creating=True)).create(vals_list)
        cases = cases.with_env(self.env)
        cases.filtered("user_id")._record_assignment()
        cases._inherit_promise_stats()
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
        # what get_next_char does for each number, with the prefix interpolated once
        prefix, suffix = sequence._get_prefix_suffix()
        pattern = "%%0%sd" % sequence.padding
        return [prefix + pattern % number + suffix for (number,) in self.env.cr.fetchall()]

    @api.model
    def _mail_fields(self):
        """Fields of the chatter and activities, written by Odoo's mail."""
        return set(self.env["mail.thread"]._fields) | set(self.env["mail.activity.mixin"]._fields)

    def _check_writable_fields(self, fnames, allowed):
        """Refuse the fields of ``fnames`` outside ``allowed`` (and the chatter's)."""
        refused = set(fnames) - allowed - self._mail_fields()
        if refused:
            names = ", ".join(sorted(self._fields[name].string if name in self._fields else name for name in refused))
            raise AccessError(
                _("These details of a case are computed or set by its actions, not written by hand: %s.", names)
            )

    def write(self, vals):
        if not self.env.su:
            supervisor = self.env.user.has_group("debt_collection.group_collection_supervisor")
            if SUPERVISOR_FIELDS & set(vals) and not supervisor:
                raise AccessError(
                    _(
                        "Only a collection supervisor can change the collector, team, zone, portfolio, debtor, "
                        "state or credits of a case, or its place in a Today list."
                    )
                )
            if RESUBMISSION_FIELDS & set(vals) and not supervisor:
                if vals.get("resubmission_user_id") not in (None, False, self.env.uid):
                    raise AccessError(_("A collector can only resubmit cases to themselves."))
                if self.filtered(lambda c: c.user_id != self.env.user):
                    raise AccessError(_("A collector can only resubmit the cases they hold."))
            allowed = COLLECTOR_FIELDS | (SUPERVISOR_WRITE_FIELDS if supervisor else set())
            if supervisor or self.env.user.has_group("debt_collection.group_collection_lawyer"):
                allowed = allowed | self._lawyer_writable_fields()
            self._check_writable_fields(vals, allowed)
        changed = self.env["collection.case"]
        if "user_id" in vals:
            changed = self.filtered(lambda c: c.user_id.id != (vals["user_id"] or False))
            if changed and not RESUBMISSION_FIELDS & set(vals):
                # the latest assignment wins over a pending resubmission
                vals = dict(vals, resubmission_date=False, resubmission_user_id=False, resubmission_note=False)
        res = super().write(vals)
        if changed:
            # the case leaves the Today list of its former collector
            changed.filtered("today_user_id").sudo().write({"today_user_id": False})
            changed._record_assignment()
            self._top_up_today(changed.user_id.ids)
        return res

    def unlink(self):
        self.check_access("unlink")
        if not self.env.su:
            worked = self.filtered(
                lambda c: (
                    c.assignment_ids
                    or c.interaction_ids
                    or c.promise_ids
                    or c.dispute_ids
                    or c.installment_ids.filtered("amount_paid")
                )
            )
            if worked:
                raise UserError(_("Cases that were worked or received payments cannot be deleted; close them instead."))
        return super().unlink()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_installments(self):
        self.ensure_one()
        self.check_access("read")
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

    def action_schedule_call(self):
        """Open Odoo's activity scheduler on the case with a call to the
        collector who works it, due today."""
        self.ensure_one()
        call = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        return {
            "type": "ir.actions.act_window",
            "name": _("Schedule a Call"),
            "res_model": "mail.activity.schedule",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": self._name,
                "active_ids": self.ids,
                "active_id": self.id,
                "default_activity_type_id": call.id if call else False,
                "default_activity_user_id": (self.today_user_id or self.user_id or self.env.user).id,
            },
        }

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
                           MIN(COALESCE(i.date_aging, i.date_due))
                               FILTER (WHERE i.is_disputed IS NOT TRUE) AS escalating,
                           COALESCE(SUM(i.amount_residual)
                                    FILTER (WHERE COALESCE(i.date_aging, i.date_due) < %(today)s
                                              AND i.is_disputed IS NOT TRUE), 0) AS overdue
                      FROM collection_installment i
                      JOIN collection_case c ON c.id = i.case_id
                     WHERE %(where)s AND i.state IN ('pending', 'partial')
                     GROUP BY i.case_id
                ), dated AS (
                    SELECT c.id,
                           %(today)s::date AS today,
                           agg.oldest,
                           COALESCE(%(days)s, 0) AS days,
                           GREATEST(COALESCE(agg.overdue, 0) - COALESCE(c.amount_credit, 0), 0) AS overdue
                      FROM collection_case c
                      LEFT JOIN agg ON agg.case_id = c.id
                     WHERE %(where)s
                ), fresh AS (
                    SELECT dated.*, %(score)s AS score
                      FROM dated JOIN collection_case c ON c.id = dated.id
                )
                UPDATE collection_case c
                   SET date_oldest_due = fresh.oldest,
                       days_overdue = fresh.days,
                       amount_overdue = fresh.overdue,
                       aging_bucket = %(bucket)s,
                       priority_score = fresh.score
                  FROM fresh
                 WHERE fresh.id = c.id
                   AND (c.days_overdue IS DISTINCT FROM fresh.days
                        OR c.amount_overdue IS DISTINCT FROM fresh.overdue
                        OR c.date_oldest_due IS DISTINCT FROM fresh.oldest
                        OR c.priority_score IS DISTINCT FROM fresh.score)
                """,
                today=today,
                where=where,
                days=SQL("GREATEST(%s - agg.escalating, 0)", today),
                bucket=SQL(aging.aging_bucket_sql_case("fresh.days")),
                score=SQL(self._score_sql()),
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
    def _score_sql(self):
        """The score rules of every company as one SQL expression over the
        ``dated`` and ``c`` rows of :meth:`_refresh_aging`."""
        exprs = {
            "days_overdue": "dated.days",
            "balance": "GREATEST(c.amount_residual - COALESCE(c.amount_disputed, 0), 0)",
            "broken_promises": "COALESCE(c.broken_promise_count, 0)",
            "kept_rate": "CASE WHEN c.promise_judged_count > 0 THEN c.promise_kept_rate END",
            "days_since_contact": f"COALESCE(dated.today - c.last_contact_date::date, {scoring.NEVER_CONTACTED_DAYS})",
            "open_dispute": "COALESCE(c.amount_disputed, 0) > 0",
            "broken_agreement": (
                "EXISTS (SELECT 1 FROM collection_agreement a WHERE a.case_id = c.id AND a.state = 'broken')"
            ),
            "debtor_tag": lambda tag: (
                "EXISTS (SELECT 1 FROM res_partner_res_partner_category_rel r"
                f" WHERE r.partner_id = c.partner_id AND r.category_id = {int(tag)})"
            ),
        }
        companies = self.env["res.company"].sudo().search([]).ids
        return self.env["collection.score.rule"]._score_sql(exprs, "c.company_id", companies)

    @api.model
    def _refresh_promise_stats(self, pairs):
        """Broken promises, judged promises and kept rate of each (company
        id, debtor id) in ``pairs``, written on all the debtor's cases of the
        company in one statement, then their priority score."""
        self.env["collection.promise"].flush_model(["company_id", "partner_id", "state"])
        companies = [company for company, _partner in pairs]
        partners = [partner for _company, partner in pairs]
        self.env.cr.execute(
            SQL(
                """
                WITH debtor AS (
                    SELECT * FROM unnest(%(companies)s::int[], %(partners)s::int[]) AS d(company_id, partner_id)
                ), stats AS (
                    SELECT d.company_id, d.partner_id,
                           COUNT(p.id) FILTER (WHERE p.state = 'broken') AS broken,
                           COUNT(p.id) FILTER (WHERE p.state IN ('kept', 'partial', 'broken')) AS judged,
                           COUNT(p.id) FILTER (WHERE p.state = 'kept') AS kept
                      FROM debtor d
                      LEFT JOIN collection_promise p ON p.company_id = d.company_id AND p.partner_id = d.partner_id
                     GROUP BY d.company_id, d.partner_id
                ), rated AS (
                    SELECT stats.*, COALESCE(ROUND(100.0 * kept / NULLIF(judged, 0), 2), 0) AS kept_rate FROM stats
                )
                UPDATE collection_case c
                   SET broken_promise_count = stats.broken,
                       promise_judged_count = stats.judged,
                       promise_kept_rate = stats.kept_rate
                  FROM rated stats
                 WHERE c.company_id = stats.company_id AND c.partner_id = stats.partner_id
                   AND (c.broken_promise_count IS DISTINCT FROM stats.broken
                        OR c.promise_judged_count IS DISTINCT FROM stats.judged
                        OR c.promise_kept_rate IS DISTINCT FROM stats.kept_rate)
                RETURNING c.id
                """,
                companies=companies,
                partners=partners,
            )
        )
        case_ids = [case_id for (case_id,) in self.env.cr.fetchall()]
        self.invalidate_model(["broken_promise_count", "promise_judged_count", "promise_kept_rate"])
        if case_ids:
            self._refresh_aging(case_ids)
        return case_ids

    def _inherit_promise_stats(self):
        """New cases of debtors with a promise history in the company take
        their broken count and kept rate (one query when there is none)."""
        if not self:
            return
        self.flush_recordset(["company_id", "partner_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT c.company_id, c.partner_id
                  FROM collection_case c
                  JOIN collection_promise p ON p.company_id = c.company_id AND p.partner_id = c.partner_id
                 WHERE c.id = ANY(%s)
                """,
                self.ids,
            )
        )
        pairs = set(self.env.cr.fetchall())
        if pairs:
            self._refresh_promise_stats(pairs)

    def _paid_baselines(self):
        """{case id: amount its installments received so far}, in one query."""
        if not self:
            return {}
        Installment = self.env["collection.installment"].sudo()
        Installment.flush_model(["case_id", "amount_paid", "state"])
        groups = Installment._read_group(
            [("case_id", "in", self.ids), ("state", "not in", ("cancelled", "refinanced"))],
            ["case_id"],
            ["amount_paid:sum"],
        )
        return {case.id: paid for case, paid in groups}

    @api.model
    def _cron_daily_refresh(self):
        """The daily run, in order: due resubmissions come back, promises
        are judged, payment agreements are completed or broken, aging and
        scores move with the calendar, strategies are evaluated and their
        due steps carried out, the month's snapshot and KPIs are taken,
        work-list tiers follow today's date, and every collector's Today
        list is planned."""
        # recorded phases, committed chunk by chunk under the cron runner
        # and resumed where they stopped (collection.daily.run)
        return self.env["collection.daily.run"]._work()

    # ------------------------------------------------------------------
    # Assignment in bulk, resubmissions, Today lists
    # ------------------------------------------------------------------
    @api.model
    def _apply_assignments(self, targets, reason, description, note=False):
        """Give cases to collectors in a few set-based SQL statements.

        ``targets`` maps a case id to ``(user id, team id or None)``; a team
        of None keeps the case's team. The plan is copied into a temporary
        table; open cases whose collector changes get their open
        ``collection.assignment`` line closed and a new one, and leave any
        Today list; one event per company is logged with the counts. Access
        is the caller's business (the wizards check it). Returns how many
        cases changed collector."""
        if not targets:
            return 0
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "CREATE TEMP TABLE IF NOT EXISTS collection_case_assign"
                " (case_id int PRIMARY KEY, user_id int, team_id int) ON COMMIT DROP"
            )
        )
        cr.execute(SQL("TRUNCATE collection_case_assign"))
        buffer = io.StringIO(
            "".join(
                f"{case_id}\t{user_id or NULL_COPY}\t{team_id or NULL_COPY}\n"
                for case_id, (user_id, team_id) in targets.items()
            )
        )
        cr._obj.copy_from(buffer, "collection_case_assign", columns=("case_id", "user_id", "team_id"))
        cr.execute(SQL("ANALYZE collection_case_assign"))
        moves = SQL(
            """
            collection_case_assign a JOIN collection_case c ON c.id = a.case_id
            WHERE c.state = 'open' AND c.user_id IS DISTINCT FROM a.user_id
            """
        )
        cr.execute(SQL("SELECT c.company_id, a.user_id, COUNT(*) FROM %s GROUP BY c.company_id, a.user_id", moves))
        by_company = defaultdict(dict)
        for company_id, user_id, count in cr.fetchall():
            by_company[company_id][str(user_id or 0)] = count
        moved = sum(sum(per_user.values()) for per_user in by_company.values())
        case_ids_of, cases_by_user = {}, defaultdict(dict)
        if moved and moved <= EVENT_CASE_IDS_LIMIT:
            cr.execute(SQL("SELECT c.company_id, a.user_id, c.id FROM %s ORDER BY c.id", moves))
            for company_id, user_id, case_id in cr.fetchall():
                case_ids_of.setdefault(company_id, []).append(case_id)
                cases_by_user[company_id].setdefault(str(user_id or 0), []).append(case_id)
        now = fields.Datetime.now()
        if moved:
            cr.execute(
                SQL(
                    """
                    UPDATE collection_assignment h SET date_end = %s
                      FROM %s AND h.case_id = c.id AND h.date_end IS NULL
                    """,
                    now,
                    moves,
                )
            )
            cr.execute(
                SQL(
                    """
                    INSERT INTO collection_assignment
                           (case_id, company_id, user_id, previous_user_id, team_id, date_start, reason,
                            assigned_by_id, note)
                    SELECT c.id, c.company_id, a.user_id, c.user_id, COALESCE(a.team_id, c.team_id), %(now)s,
                           %(reason)s, %(uid)s, %(note)s
                      FROM %(moves)s AND a.user_id IS NOT NULL
                    """,
                    now=now,
                    reason=reason,
                    uid=self.env.uid,
                    note=note or None,
                    moves=moves,
                )
            )
        cr.execute(
            SQL(
                """
                UPDATE collection_case c
                   SET user_id = a.user_id,
                       team_id = COALESCE(a.team_id, c.team_id),
                       today_user_id = CASE WHEN c.user_id IS DISTINCT FROM a.user_id THEN NULL
                                            ELSE c.today_user_id END,
                       resubmission_date = CASE WHEN c.user_id IS DISTINCT FROM a.user_id THEN NULL
                                                ELSE c.resubmission_date END,
                       resubmission_user_id = CASE WHEN c.user_id IS DISTINCT FROM a.user_id THEN NULL
                                                   ELSE c.resubmission_user_id END,
                       resubmission_note = CASE WHEN c.user_id IS DISTINCT FROM a.user_id THEN NULL
                                                ELSE c.resubmission_note END,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM collection_case_assign a
                 WHERE c.id = a.case_id AND c.state = 'open'
                   AND (c.user_id IS DISTINCT FROM a.user_id
                        OR (a.team_id IS NOT NULL AND c.team_id IS DISTINCT FROM a.team_id))
                """,
                uid=self.env.uid,
                now=now,
            )
        )
        self.invalidate_model(
            [
                "user_id",
                "team_id",
                "today_user_id",
                "resubmission_date",
                "resubmission_user_id",
                "resubmission_note",
                "write_uid",
                "write_date",
                "assignment_ids",
            ]
        )
        self.env["collection.assignment"].invalidate_model()
        Event = self.env["collection.event"]
        Users = self.env["res.users"].sudo()
        for company_id, per_user in by_company.items():
            case_ids = case_ids_of.get(company_id)
            # who received how many (the assignment history lists each case)
            shares = "; ".join(
                self.env._(
                    "%(user)s: %(count)s",
                    user=Users.browse(int(uid)).name if int(uid) else self.env._("nobody"),
                    count=count,
                )
                for uid, count in sorted(per_user.items(), key=lambda item: -item[1])
            )
            Event._log(
                "assignment",
                f"{description} {shares}.",
                cases=self.browse(case_ids) if case_ids and len(case_ids) == 1 else None,
                payload={
                    "reason": reason,
                    "cases": sum(per_user.values()),
                    "by_user": per_user,
                    "case_ids": case_ids,
                    "case_ids_by_user": cases_by_user.get(company_id) or None,
                    "note": note or None,
                },
                company=self.env["res.company"].browse(company_id),
            )
        return moved

    @api.model
    def _check_assignment_targets(self, users, team, company_ids):
        """Refuse, with a clear message, to give cases of ``company_ids`` to
        ``users`` (and ``team``) that the current user may not assign them to:
        a supervisor only to members of the teams they lead and to those
        teams; anyone only to collectors and a team of the cases' companies."""
        Team = self.env["collection.team"]
        if not self.env.su and not self.env.user.has_group("debt_collection.group_collection_manager"):
            led = Team.search([("supervisor_id", "=", self.env.uid)])
            outside = users - led.member_ids.user_id
            if outside:
                raise AccessError(
                    _(
                        "You can only assign cases to members of the teams you lead: %s.",
                        ", ".join(outside.mapped("name")),
                    )
                )
            if team and team not in led:
                raise AccessError(_("You can only assign cases to the teams you lead."))
        companies = self.env["res.company"].browse(company_ids)
        if team and companies - team.company_id:
            raise UserError(
                _("The team %(team)s belongs to %(company)s only.", team=team.name, company=team.company_id.name)
            )
        for user in users.sudo():
            missing = companies - user.company_ids
            if missing:
                raise UserError(
                    _(
                        "%(user)s has no access to %(companies)s and cannot work its cases.",
                        user=user.name,
                        companies=", ".join(missing.mapped("name")),
                    )
                )

    @api.model
    def _absent_substitutes(self):
        """[(absent collector id, team id, substitute id)] for today."""
        return self.env["collection.team.member"]._absent_substitutions()

    @api.model
    def _daily_capacities(self, user_ids):
        """({user id: daily capacity}, {user id: team id}); absent members
        have no capacity, collectors outside any team the default one."""
        members = self.env["collection.team.member"]._membership_by_user(user_ids)
        capacities, team_of = {}, {}
        for user_id in user_ids:
            member = members.get(user_id)
            if member:
                capacities[user_id] = 0 if member.is_absent else member.daily_capacity
                team_of[user_id] = member.team_id.id
            else:
                capacities[user_id] = DEFAULT_DAILY_CAPACITY
        return capacities, team_of

    def _worklist_query(self, today):
        """SQL of the open, not parked cases with their worker (the
        collector, or their substitute while absent), in work-list order."""
        absent = self._absent_substitutes()
        return SQL(
            """
            SELECT c.id, COALESCE(sub.substitute_id, c.user_id) AS worker, c.work_tier, c.priority_score,
                   c.team_id
              FROM collection_case c
              LEFT JOIN unnest(%(absent)s::int[], %(teams)s::int[], %(subs)s::int[])
                        AS sub(absent_id, team_id, substitute_id)
                     ON sub.absent_id = c.user_id AND sub.team_id = c.team_id
             WHERE c.state = 'open' AND c.user_id IS NOT NULL
               AND (c.resubmission_date IS NULL OR c.resubmission_date <= %(today)s)
               -- covered by the debtor's open credits: not chased
               AND NOT (COALESCE(c.amount_credit, 0) > 0 AND c.days_overdue > 0 AND c.amount_overdue = 0)
             ORDER BY c.work_tier, c.priority_score DESC, c.id
            """,
            absent=[row[0] for row in absent],
            teams=[row[1] for row in absent],
            subs=[row[2] for row in absent],
            today=today,
        )

    @api.model
    def _plan_today(self, after=None, until=None, plan=None):
        """Plan every collector's Today list: their best cases up to their
        daily capacity, what is left over to team mates with room
        (``tools/work_list.plan_today``). Returns {case id: collector id}.

        ``after``/``until``: write the plan on the cases with ids in that
        range only (the daily run's chunks), ``plan``: the plan already made
        by an earlier chunk of the same call."""
        self.env.flush_all()
        if plan is None:
            plan = self._make_today_plan()
        cr = self.env.cr
        in_range = SQL("TRUE") if after is None else SQL("id > %s AND id <= %s", after, until)
        # only the rows whose planning changes are written (and locked)
        cr.execute(
            SQL(
                "UPDATE collection_case SET today_user_id = NULL"
                " WHERE today_user_id IS NOT NULL AND NOT (id = ANY(%s)) AND %s",
                list(plan),
                in_range,
            )
        )
        if plan:
            cr.execute(
                SQL(
                    """
                    UPDATE collection_case c SET today_user_id = v.user_id
                      FROM unnest(%s::int[], %s::int[]) AS v(id, user_id)
                     WHERE c.id = v.id AND c.today_user_id IS DISTINCT FROM v.user_id AND %s
                    """,
                    list(plan),
                    list(plan.values()),
                    SQL("TRUE") if after is None else SQL("c.id > %s AND c.id <= %s", after, until),
                )
            )
        self.invalidate_model(["today_user_id"])
        return plan

    @api.model
    def _make_today_plan(self):
        """{case id: collector id} of today's lists (see ``_plan_today``)."""
        today = fields.Date.context_today(self)
        cr = self.env.cr
        cr.execute(self._worklist_query(today))
        queues = defaultdict(list)
        case_team = {}
        for case_id, worker, tier, score, team_id in cr.fetchall():
            queues[worker].append(((tier or "3_priority", -(score or 0.0), case_id), case_id))
            case_team[case_id] = team_id
        members = (
            self.env["collection.team.member"].sudo().search([("active", "=", True), ("team_id.active", "=", True)])
        )
        capacities, _team_of = self._daily_capacities(set(queues) | set(members.user_id.ids))
        # cases left over go to members of the case's own team only
        teams_of = defaultdict(set)
        for member in members:
            teams_of[member.user_id.id].add(member.team_id.id)
        return work_list.plan_today(queues, capacities, teams_of, case_team)

    @api.model
    def _top_up_today(self, user_ids):
        """Fill the Today lists of ``user_ids`` (or of those they stand in
        for) up to their daily capacity with their best cases not planned
        yet: new cases appear at once, without re-planning the day."""
        absent = self._absent_substitutes()
        user_ids = {uid for uid in user_ids if uid}
        user_ids = list(user_ids | {sub for holder, _team, sub in absent if holder in user_ids})
        if not user_ids:
            return
        self.env.flush_all()
        today = fields.Date.context_today(self)
        capacities, _team_of = self._daily_capacities(user_ids)
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT today_user_id, COUNT(*) FROM collection_case"
                " WHERE today_user_id = ANY(%s) AND state = 'open' GROUP BY today_user_id",
                user_ids,
            )
        )
        planned = dict(cr.fetchall())
        room = {uid: capacities[uid] - planned.get(uid, 0) for uid in user_ids if capacities[uid] > planned.get(uid, 0)}
        if not room:
            return
        # whose cases each collector works: their own, and those of the absent colleagues they stand in for
        held = [(uid, uid, 0) for uid in room]
        held += [(sub, holder, team) for holder, team, sub in absent if sub in room]
        cr.execute(
            SQL(
                """
                WITH room AS (SELECT * FROM unnest(%(workers)s::int[], %(room)s::int[]) AS r(worker, size)),
                     held AS (SELECT * FROM unnest(%(held_by)s::int[], %(holders)s::int[], %(teams)s::int[])
                                   AS h(worker, holder, team))
                UPDATE collection_case c SET today_user_id = pick.worker
                  FROM (
                    SELECT room.worker, best.id
                      FROM room CROSS JOIN LATERAL (
                        SELECT w.id FROM collection_case w
                         WHERE EXISTS (SELECT 1 FROM held
                                        WHERE held.worker = room.worker AND held.holder = w.user_id
                                          AND (held.team = 0 OR held.team = w.team_id))
                           AND w.state = 'open' AND w.today_user_id IS NULL
                           AND (w.resubmission_date IS NULL OR w.resubmission_date <= %(today)s)
                         ORDER BY w.work_tier, w.priority_score DESC, w.id
                         LIMIT room.size
                      ) best
                  ) pick
                 WHERE c.id = pick.id
                """,
                workers=list(room),
                room=list(room.values()),
                held_by=[worker for worker, _holder, _team in held],
                holders=[holder for _worker, holder, _team in held],
                teams=[team for _worker, _holder, team in held],
                today=today,
            )
        )
        self.invalidate_model(["today_user_id"])

    @api.model
    def _refresh_work_tier(self, case_ids=None):
        """Move the work-list tiers with the calendar, in one statement (of
        the open cases, or of ``case_ids`` only)."""
        self.env.flush_all()
        tier = SQL(
            work_list.work_tier_sql("%s::date", "c.next_promise_date", "c.next_action_date", "c.next_activity_date"),
            *([fields.Date.context_today(self)] * 3),
        )
        self.env.cr.execute(
            SQL(
                "UPDATE collection_case c SET work_tier = %s"
                " WHERE c.state = 'open' AND c.work_tier IS DISTINCT FROM %s AND %s",
                tier,
                tier,
                SQL("TRUE") if case_ids is None else SQL("c.id = ANY(%s)", list(case_ids)),
            )
        )
        self.invalidate_model(["work_tier"])

    @api.model
    def _apply_due_resubmissions(self):
        """Cases whose resubmission date has come back to the chosen
        collector's work list, with the date as their next action."""
        today = fields.Date.context_today(self)
        due = self.sudo().search([("resubmission_date", "<=", today), ("state", "=", "open")])
        if not due:
            return due
        targets = {
            case.id: (case.resubmission_user_id.id, None)
            for case in due
            if case.resubmission_user_id and case.resubmission_user_id != case.user_id
        }
        by_date = due.grouped("resubmission_date")
        self._apply_assignments(targets, "resubmission", _("Resubmitted cases came back to the work list."))
        for day, cases in by_date.items():
            cases.with_context(tracking_disable=True).write(
                {
                    "next_action_date": day,
                    "resubmission_date": False,
                    "resubmission_user_id": False,
                    "resubmission_note": False,
                }
            )
        self._top_up_today(due.user_id.ids)
        return due

    @api.model
    def _assign_zones(self, companies, case_ids=None):
        """Give the open cases of ``companies`` (or only ``case_ids``) the
        zone of their debtor's address and position, in one query to read,
        one vectorised point-in-polygon test per zone area and one query to
        write."""
        if not companies:
            return
        self.env.flush_all()
        Zone = self.env["collection.zone"]
        criteria = Zone._criteria(companies.ids)
        areas = Zone._areas(companies.ids)
        cr = self.env.cr
        only = SQL("TRUE") if case_ids is None else SQL("c.id = ANY(%s)", list(case_ids))
        cr.execute(
            SQL(
                """
                SELECT c.id, c.company_id, c.zone_id, p.country_id, p.state_id, p.city, p.zip,
                       COALESCE(p.partner_latitude, 0), COALESCE(p.partner_longitude, 0)
                  FROM collection_case c JOIN res_partner p ON p.id = c.partner_id
                 WHERE c.company_id = ANY(%s) AND c.state = 'open' AND %s
                """,
                companies.ids,
                only,
            )
        )
        rows = cr.fetchall()
        hits = {}
        for company_id, company_areas in areas.items():
            located = [row for row in rows if row[1] == company_id and geo.has_position(row[7], row[8])]
            if not located:
                continue
            hits.update(
                geo.area_hits(
                    company_areas,
                    [row[0] for row in located],
                    [row[8] for row in located],
                    [row[7] for row in located],
                )
            )
        ids, zone_ids = [], []
        for case_id, company_id, zone_id, country_id, state_id, city, zip_code, _lat, _lon in rows:
            zones = criteria.get(company_id)
            inside = hits.get(case_id, frozenset())
            new = zone_tools.best_zone(zones, country_id, state_id, city, zip_code, inside) if zones else None
            if new != zone_id:
                ids.append(case_id)
                zone_ids.append(new)
        if ids:
            cr.execute(
                SQL(
                    "UPDATE collection_case c SET zone_id = v.zone_id"
                    " FROM unnest(%s::int[], %s::int[]) AS v(id, zone_id) WHERE c.id = v.id",
                    ids,
                    zone_ids,
                )
            )
            self.invalidate_model(["zone_id"])
