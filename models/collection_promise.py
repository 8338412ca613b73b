from collections import defaultdict

from odoo import Command
from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.misc import format_date

from ..tools import promises as promise_tools

PROMISE_STATES = [
    ("open", "Open"),
    ("kept", "Kept"),
    ("partial", "Partly kept"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]
JUDGED_STATES = ("kept", "partial", "broken")
# what the daily judging (or a supervisor) sets, never the collector
OUTCOME_FIELDS = {"state", "amount_kept", "date_closed", "user_id", "case_id"}
# what a collector gives when taking a promise; the rest is the promise's own (when it was made, what
# had been paid then, its outcome)
USER_FIELDS = {
    "case_id",
    "amount",
    "date_promise",
    "installment_ids",
    "channel_id",
    "note",
    "interaction_id",
    "user_id",
}
# what can be corrected on an open promise
EDITABLE_FIELDS = {"amount", "date_promise", "installment_ids", "channel_id", "note"}
# a supervisor may also record a promise taken earlier (by someone else, on another day)
SUPERVISOR_FIELDS = USER_FIELDS | {"date_made"}


class CollectionPromise(models.Model):
    """A debtor's promise to pay an amount on a date.

    An open promise due today or earlier puts its case at the top of the
    work list. The daily run judges each promise once its date plus the
    company's grace days has passed, against the money received since it
    was made: kept, partly kept (with the amount kept) or broken; a promise
    paid in full earlier is kept at once. The debtor's kept rate and broken
    promises feed the priority score of their cases. Promises are never
    deleted: cancel them instead.
    """

    _name = "collection.promise"
    _description = "Promise to Pay"
    _order = "date_promise desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True, readonly=True
    )
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True, precompute=True, string="Debtor")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True, precompute=True)
    user_id = fields.Many2one(
        "res.users", string="Collector", required=True, index=True, default=lambda self: self.env.user
    )
    interaction_id = fields.Many2one(
        "collection.interaction", index="btree_not_null", readonly=True, ondelete="restrict", check_company=True
    )
    channel_id = fields.Many2one("collection.channel", compute="_compute_channel_id", store=True, readonly=False)
    installment_ids = fields.Many2many(
        "collection.installment",
        "collection_promise_installment_rel",
        "promise_id",
        "installment_id",
        string="Installments Covered",
        check_company=True,
        domain="[('case_id', '=', case_id), ('state', 'in', ('pending', 'partial'))]",
    )
    date_made = fields.Date("Made On", required=True, readonly=True, default=fields.Date.context_today)
    made_at = fields.Datetime(
        readonly=True, default=fields.Datetime.now, help="When the promise was recorded: payments posted later count."
    )
    date_promise = fields.Date("Promised For", required=True, index=True)
    amount = fields.Monetary(required=True)
    amount_kept = fields.Monetary(readonly=True)
    paid_baseline = fields.Monetary(
        readonly=True,
        help="What the case's installments had received when the promise was made (external portfolios: "
        "money recorded afterwards counts for the promise).",
    )
    state = fields.Selection(PROMISE_STATES, required=True, default="open", index=True, readonly=True)
    date_closed = fields.Date("Judged On", readonly=True, index=True)
    note = fields.Text()

    @api.depends("interaction_id.channel_id")
    def _compute_channel_id(self):
        for promise in self:
            promise.channel_id = promise.interaction_id.channel_id or promise.channel_id

    @api.constrains("amount")
    def _check_amount(self):
        for promise in self:
            if promise.currency_id.compare_amounts(promise.amount, 0.0) <= 0:
                raise ValidationError(_("A promise to pay must be for a positive amount."))

    @api.constrains("date_promise", "date_made")
    def _check_dates(self):
        for promise in self:
            if promise.state == "open" and promise.date_promise < promise.date_made:
                raise ValidationError(_("A promise to pay cannot be for a date before the day it is made."))

    @api.constrains("state", "case_id")
    def _check_one_open(self):
        """One open promise per case, unless the portfolio allows several."""
        cases = self.filtered(lambda p: p.state == "open").case_id
        if not cases:
            return
        self.flush_model(["case_id", "state"])
        # serialise promises taken at the same time on the same case
        self.env.cr.execute(SQL("SELECT id FROM collection_case WHERE id = ANY(%s) FOR UPDATE", cases.ids))
        counts = dict(
            self.sudo()._read_group([("case_id", "in", cases.ids), ("state", "=", "open")], ["case_id"], ["__count"])
        )
        for case in cases.sudo():
            if counts.get(case, 0) > 1 and not case.portfolio_id.allow_several_promises:
                raise ValidationError(
                    _(
                        "%(case)s already has an open promise to pay. Wait until it is judged or cancel it; "
                        "a manager can allow several open promises on the portfolio %(portfolio)s.",
                        case=case.name,
                        portfolio=case.portfolio_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            supervisor = self.env.user.has_group("debt_collection.group_collection_supervisor")
            allowed = SUPERVISOR_FIELDS if supervisor else USER_FIELDS
            for vals in vals_list:
                refused = set(vals) - allowed
                if vals.get("state", "open") == "open":
                    refused.discard("state")
                if refused:
                    raise AccessError(
                        _(
                            "These details of a promise to pay are set by the promise itself: %s.",
                            ", ".join(sorted(refused)),
                        )
                    )
                if not supervisor and vals.get("user_id", self.env.uid) != self.env.uid:
                    raise AccessError(_("Only a collection supervisor can record a promise taken by someone else."))
        cases = self.env["collection.case"].browse([vals["case_id"] for vals in vals_list if vals.get("case_id")])
        baseline = cases._paid_baselines()
        for vals in vals_list:
            vals.setdefault("paid_baseline", baseline.get(vals.get("case_id"), 0.0))
        closed = cases.filtered(lambda c: c.state != "open")
        if closed and not self.env.su:
            raise UserError(_("Promises can only be taken on open cases (%s).", ", ".join(closed.mapped("name"))))
        promises = super().create(vals_list)
        if promises.filtered(lambda p: p.state != "open"):
            promises._refresh_debtor_stats()
        for promise in promises:
            self.env["collection.event"]._log(
                "promise",
                _(
                    "Promise to pay taken: %(amount)s on %(date)s.",
                    amount=promise.currency_id.format(promise.amount),
                    date=format_date(self.env, promise.date_promise),
                ),
                cases=promise.case_id,
                payload={
                    "promise_ids": promise.ids,
                    "amount": promise.amount,
                    "date_promise": fields.Date.to_string(promise.date_promise),
                },
            )
        return promises

    def write(self, vals):
        if not self.env.su:
            if OUTCOME_FIELDS & set(vals) and not self.env.user.has_group(
                "debt_collection.group_collection_supervisor"
            ):
                raise AccessError(
                    _("Only a collection supervisor can change the outcome, case or collector of a promise.")
                )
            supervisor = self.env.user.has_group("debt_collection.group_collection_supervisor")
            refused = set(vals) - EDITABLE_FIELDS - (OUTCOME_FIELDS if supervisor else set())
            if refused:
                raise AccessError(
                    _(
                        "These details of a promise to pay are set by the promise itself: %s.",
                        ", ".join(sorted(refused)),
                    )
                )
            if {"amount", "date_promise", "case_id"} & set(vals) and self.filtered(lambda p: p.state != "open"):
                raise UserError(_("Only open promises can be changed."))
        res = super().write(vals)
        if "state" in vals:
            self._refresh_debtor_stats()
        return res

    @api.model
    def _contact_commands(self, case, amount, date_promise, channel, **vals):
        """The promise a contact's result requires, as the commands of the
        interaction's ``promise_ids``; refused without an amount and a date."""
        if not amount or not date_promise:
            raise UserError(_("Enter the amount and the date of the promise to pay."))
        return [
            Command.create(
                {"case_id": case.id, "amount": amount, "date_promise": date_promise, "channel_id": channel.id, **vals}
            )
        ]

    def unlink(self):  # pylint: disable=method-required-super
        self.check_access("unlink")
        raise UserError(_("Promises to pay are kept in the debtor's history: cancel them instead of deleting."))

    def action_cancel(self):
        open_ones = self.filtered(lambda p: p.state == "open")
        open_ones.check_access("write")
        open_ones.sudo().write({"state": "cancelled", "date_closed": fields.Date.context_today(self)})
        self.env["collection.event"]._log("promise", _("Promise cancelled."), cases=open_ones.case_id)

    # ------------------------------------------------------------------
    # Judging
    # ------------------------------------------------------------------
    @api.model
    def _judge_due(self, cases=None, only_kept=False):
        """Judge the open promises: those whose date plus the company's
        grace days has passed become kept, partly kept or broken by the money
        received since they were made; those already paid in full are kept.
        Set-based: a few queries whatever the number of promises. Returns
        {state: promise ids}.

        ``cases``: only the promises of these cases; ``only_kept``: only
        the promises now paid in full (a payment just posted), the others
        wait for the daily run."""
        self.env.flush_all()
        today = fields.Date.context_today(self)
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT p.id, p.case_id, p.amount, p.date_promise, p.date_made, p.paid_baseline,
                       p.date_promise + COALESCE(co.collection_promise_grace_days, 0) AS deadline,
                       pf.kind, cur.rounding, COALESCE(p.made_at, p.create_date)
                  FROM collection_promise p
                  JOIN collection_case c ON c.id = p.case_id
                  JOIN collection_portfolio pf ON pf.id = c.portfolio_id
                  JOIN res_company co ON co.id = p.company_id
                  JOIN res_currency cur ON cur.id = p.currency_id
                 WHERE p.state = 'open' AND %s
                 ORDER BY p.case_id, p.date_promise, p.id
                """,
                SQL("TRUE") if cases is None else SQL("p.case_id = ANY(%s)", cases.ids),
            )
        )
        rows = cr.fetchall()
        if not rows:
            return {}
        received = self._received_money(rows)
        outcome = {}
        by_case = defaultdict(list)
        for row in rows:
            by_case[row[1]].append(row)
        for case_id, promises in by_case.items():
            pool = received.get(case_id, [])
            for promise_id, _case, amount, _date, made, _base, deadline, _kind, rounding, _created in promises:
                money = promise_tools.take_payments(pool, made, deadline, amount)
                state = promise_tools.judge(amount, money, rounding, due=today > deadline)
                if state and (state == "kept" or not only_kept):
                    outcome[promise_id] = (state, money if state != "broken" else 0.0)
        if not outcome:
            return {}
        ids = list(outcome)
        cr.execute(
            SQL(
                """
                UPDATE collection_promise p
                   SET state = v.state, amount_kept = v.kept, date_closed = %s, write_uid = %s, write_date = NOW()
                  FROM unnest(%s::int[], %s::varchar[], %s::numeric[]) AS v(id, state, kept)
                 WHERE p.id = v.id
                """,
                today,
                self.env.uid,
                ids,
                [state for state, _kept in outcome.values()],
                [kept for _state, kept in outcome.values()],
            )
        )
        promises = self.browse(ids)
        promises.invalidate_recordset(["state", "amount_kept", "date_closed"])
        promises.modified(["state", "amount_kept"])
        promises._refresh_debtor_stats()
        by_state = defaultdict(list)
        for promise_id, (state, _kept) in outcome.items():
            by_state[state].append(promise_id)
        self.browse(by_state.get("broken", []))._notify_broken()
        self.env["collection.event"]._log(
            "promise",
            _(
                "Promises judged: %(kept)s kept, %(partial)s partly kept, %(broken)s broken.",
                kept=len(by_state.get("kept", [])),
                partial=len(by_state.get("partial", [])),
                broken=len(by_state.get("broken", [])),
            ),
            payload={state: len(promise_ids) for state, promise_ids in by_state.items()},
        )
        return dict(by_state)

    @api.model
    def _received_money(self, rows):
        """{case id: [(date, amount), ...]} of the money received by the
        cases of the promise ``rows`` that may count for them.

        Internal portfolios: payments, statement lines and other credits
        reconciled in accounting with the case's receivable lines (not credit
        notes), dated by the credit line. External portfolios: the collection
        payments posted since the promise was made, dated by their payment
        date (one dated before the promise then counts for nothing), and what else the
        installments received since the promise was made (their paid amount
        above the earliest open promise's baseline, e.g. from the creditor's
        files), of unknown date."""
        internal = sorted({row[1] for row in rows if row[7] == "internal"})
        money = defaultdict(list)
        if internal:
            earliest = min(row[4] for row in rows if row[7] == "internal")
            self.env.cr.execute(
                SQL(
                    """
                    SELECT i.case_id, cl.date, SUM(apr.amount)
                      FROM collection_installment i
                      JOIN account_partial_reconcile apr ON apr.debit_move_id = i.move_line_id
                      JOIN account_move_line cl ON cl.id = apr.credit_move_id
                      JOIN account_move cm ON cm.id = cl.move_id
                     WHERE i.case_id = ANY(%s) AND cl.date >= %s
                       AND cm.move_type NOT IN ('out_refund', 'in_refund')
                     GROUP BY i.case_id, cl.date
                     ORDER BY i.case_id, cl.date
                    """,
                    internal,
                    earliest,
                )
            )
            for case_id, day, amount in self.env.cr.fetchall():
                money[case_id].append([day, float(amount)])
        external = {}
        for row in rows:
            if row[7] != "internal":
                baseline, created = external.get(row[1], (float("inf"), row[9]))
                external[row[1]] = (min(baseline, float(row[5] or 0.0)), min(created, row[9]))
        if external:
            case_ids = list(external)
            # collection payments posted since the promise was made, by their payment date
            self.env["collection.payment"].flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT p.case_id, p.date, SUM(p.amount_case), SUM(p.amount_allocated)
                      FROM collection_payment p
                      JOIN unnest(%s::int[], %s::timestamp[]) AS made(case_id, created) ON made.case_id = p.case_id
                     WHERE p.state = 'posted' AND p.date_posted >= made.created
                     GROUP BY p.case_id, p.date
                     ORDER BY p.case_id, p.date
                    """,
                    case_ids,
                    [external[case_id][1] for case_id in case_ids],
                )
            )
            allocated = defaultdict(float)
            for case_id, day, amount, paid in self.env.cr.fetchall():
                money[case_id].append([day, float(amount)])
                allocated[case_id] += float(paid)
            # what the installments received otherwise (the creditor's files,
            # corrections), above what they had when the promise was made
            paid_now = self.env["collection.case"].browse(case_ids)._paid_baselines()
            for case_id, (baseline, _created) in external.items():
                extra = paid_now.get(case_id, 0.0) - baseline - allocated[case_id]
                if extra > 0:
                    money[case_id].append([None, extra])
        return money

    def _notify_broken(self):
        """Tell the collectors: a to-do activity on each case, due today."""
        if not self:
            return
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        model_id = self.env["ir.model"]._get_id("collection.case")
        today = fields.Date.context_today(self)
        vals_list = []
        for promise in self.sudo():
            case = promise.case_id
            user = case.user_id or promise.user_id
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": case.id,
                    "activity_type_id": todo.id if todo else False,
                    "user_id": user.id,
                    "date_deadline": today,
                    "summary": _("Broken promise"),
                    "note": _(
                        "%(debtor)s promised %(amount)s for %(date)s and did not pay.",
                        debtor=case.partner_id.name,
                        amount=promise.currency_id.format(promise.amount),
                        date=promise.date_promise,
                    ),
                    "automated": True,
                }
            )
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)

    def _refresh_debtor_stats(self):
        """Broken promises and kept rate of the debtors of ``self``, on all
        their cases of the same company, and the cases' priority score."""
        pairs = {(p.company_id.id, p.partner_id.id) for p in self.sudo()}
        if pairs:
            self.env["collection.case"]._refresh_promise_stats(pairs)
