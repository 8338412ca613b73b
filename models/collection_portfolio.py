import logging
from collections import defaultdict
from datetime import timedelta

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools.job_slice import CONCURRENCY_ERRORS
from ..tools.job_slice import JobSlice
from ..tools.job_slice import chunks_by
from ..tools.job_slice import waited_job

_logger = logging.getLogger(__name__)

SYNC_BATCH = 2000
# debtors whose new invoice lines are written per committed chunk of a sync
# run by the cron (a chunk locks their cases and invoices until its commit)
SYNC_CHUNK_DEBTORS = 500
# a chunk that meets concurrent updates this many times in a row ends the call (the runner calls again)
SYNC_CHUNK_ATTEMPTS = 5


# bulk writes (invoice sync, file import) are not tracked in the chatter, one by one
BULK_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


class CollectionPortfolio(models.Model):
    _name = "collection.portfolio"
    _description = "Collection Portfolio"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "load_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(help="Short reference, e.g. the creditor's batch number.")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True, tracking=True
    )
    kind = fields.Selection(
        [("internal", "Own invoices (internal)"), ("external", "Creditor portfolio (external)")],
        required=True,
        default="external",
        tracking=True,
        help="Internal portfolios are built from the company's posted customer invoices and "
        "follow accounting; external portfolios hold debts loaded for a creditor.",
    )
    creditor_id = fields.Many2one(
        "res.partner",
        tracking=True,
        check_company=True,
        help="Who the debt is owed to; the company itself for internal portfolios.",
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id, tracking=True
    )
    commission_rate = fields.Float(
        "Commission (%)",
        digits=(5, 2),
        tracking=True,
        help="The agency's commission when no agency commission rule of the portfolio matches a payment.",
    )
    commission_rule_ids = fields.One2many(
        "collection.commission.rule",
        "portfolio_id",
        string="Commission Rules",
        help="Agency and collector rates by days overdue at collection, optionally per collector.",
    )
    max_annual_rate = fields.Float(
        "Maximum Annual Rate (%)",
        digits=(6, 3),
        tracking=True,
        help="The highest annual interest rate of a payment agreement on this portfolio's cases (the creditor's "
        "or the law's); 0: the company's cap applies. The lower of the two wins.",
    )
    register_days = fields.Integer(
        "Register From Days Overdue", help="The portfolio's own delinquent register rule; 0: the company's."
    )
    register_amount = fields.Monetary(
        "Register From Amount Overdue", help="In the portfolio's currency; 0: the company's amount."
    )
    load_date = fields.Date(default=fields.Date.context_today, required=True)
    close_date = fields.Date(tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("closed", "Closed")],
        default="draft",
        required=True,
        tracking=True,
    )
    team_id = fields.Many2one(
        "collection.team",
        string="Default Team",
        check_company=True,
        help="Team given to the cases created in this portfolio.",
    )
    active = fields.Boolean(default=True)
    allow_several_promises = fields.Boolean(
        "Several Open Promises",
        tracking=True,
        help="Allow more than one open promise to pay per case (e.g. one per installment).",
    )
    note = fields.Html()
    case_ids = fields.One2many("collection.case", "portfolio_id", string="Cases")
    case_count = fields.Integer("Number of Cases", compute="_compute_totals")
    open_case_count = fields.Integer("Open Cases", compute="_compute_totals")
    amount_total = fields.Monetary("Total Debt", compute="_compute_totals")
    amount_paid = fields.Monetary("Collected", compute="_compute_totals")
    amount_residual = fields.Monetary("Balance", compute="_compute_totals")
    amount_overdue = fields.Monetary("Overdue", compute="_compute_totals")
    last_sync_date = fields.Datetime(readonly=True)
    is_automatic = fields.Boolean(
        "Created Automatically",
        readonly=True,
        copy=False,
        help="The internal portfolio the addon created for the company so that its overdue invoices are "
        "followed from day one (Settings, Collections: Follow overdue invoices automatically).",
    )

    _sql_constraints = [
        (
            "automatic_company_uniq",
            "EXCLUDE (company_id WITH =) WHERE (is_automatic)",
            "A company has only one automatic internal portfolio.",
        ),
    ]

    def _compute_totals(self):
        groups = self.env["collection.case"]._read_group(
            [("portfolio_id", "in", self.ids)],
            ["portfolio_id", "state"],
            ["__count", "amount_total:sum", "amount_paid:sum", "amount_residual:sum", "amount_overdue:sum"],
        )
        totals = {}
        for portfolio, state, count, total, paid, residual, overdue in groups:
            t = totals.setdefault(portfolio.id, dict.fromkeys(("count", "open", "total", "paid", "res", "over"), 0))
            t["count"] += count
            t["open"] += count if state == "open" else 0
            t["total"] += total
            t["paid"] += paid
            t["res"] += residual
            t["over"] += overdue
        for portfolio in self:
            t = totals.get(portfolio.id, {})
            portfolio.case_count = t.get("count", 0)
            portfolio.open_case_count = t.get("open", 0)
            portfolio.amount_total = t.get("total", 0.0)
            portfolio.amount_paid = t.get("paid", 0.0)
            portfolio.amount_residual = t.get("res", 0.0)
            portfolio.amount_overdue = t.get("over", 0.0)

    @api.constrains("kind", "currency_id", "company_id", "state", "active")
    def _check_internal(self):
        for portfolio in self.filtered(lambda p: p.kind == "internal"):
            if portfolio.currency_id != portfolio.company_id.currency_id:
                raise ValidationError(
                    _(
                        "The internal portfolio %(name)s follows accounting and must be in the "
                        "company currency (%(currency)s).",
                        name=portfolio.name,
                        currency=portfolio.company_id.currency_id.name,
                    )
                )
            if portfolio.active and portfolio.state == "active":
                others = self.search_count(
                    [
                        ("id", "!=", portfolio.id),
                        ("kind", "=", "internal"),
                        ("state", "=", "active"),
                        ("active", "=", True),
                        ("company_id", "=", portfolio.company_id.id),
                    ]
                )
                if others:
                    raise ValidationError(_("%s already has an active internal portfolio.", portfolio.company_id.name))

    @api.onchange("kind", "company_id")
    def _onchange_kind(self):
        if self.kind == "internal":
            self.creditor_id = self.company_id.partner_id
            self.currency_id = self.company_id.currency_id

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("kind") == "internal" and not vals.get("creditor_id"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["creditor_id"] = company.partner_id.id
        self._retire_automatic(
            {
                vals.get("company_id") or self.env.company.id
                for vals in vals_list
                if vals.get("kind") == "internal"
                and vals.get("state") == "active"
                and vals.get("active", True)
                and not vals.get("is_automatic")
            }
        )
        return super().create(vals_list)

    def write(self, vals):
        if {"kind", "state", "active", "company_id"} & vals.keys():
            self._retire_automatic(
                {
                    vals.get("company_id") or portfolio.company_id.id
                    for portfolio in self
                    if vals.get("kind", portfolio.kind) == "internal"
                    and vals.get("state", portfolio.state) == "active"
                    and vals.get("active", portfolio.active)
                    and not portfolio.is_automatic
                }
            )
        return super().write(vals)

    def unlink(self):
        self.check_access("unlink")
        if self.env["collection.case"].sudo().search_count([("portfolio_id", "in", self.ids)], limit=1):
            raise UserError(_("A portfolio that holds cases cannot be deleted; close or archive it instead."))
        return super().unlink()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_activate(self):
        self.write({"state": "active"})
        for portfolio in self:
            self.env["collection.event"]._log("portfolio", _("Portfolio activated."), portfolio=portfolio)

    def action_close(self):
        self.write({"state": "closed", "close_date": fields.Date.context_today(self)})
        for portfolio in self:
            self.env["collection.event"]._log("portfolio", _("Portfolio closed."), portfolio=portfolio)

    def action_reset_draft(self):
        self.write({"state": "draft", "close_date": False})

    def action_view_cases(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action")
        action["domain"] = [("portfolio_id", "=", self.id)]
        action["context"] = {"default_portfolio_id": self.id, "search_default_filter_open": 1}
        return action

    def action_sync_invoices(self):
        # the synchronisation runs as superuser: only who may change the portfolios may start it
        self.check_access("write")
        internal = self.filtered(lambda p: p.kind == "internal")
        if not internal:
            raise UserError(_("Only internal portfolios are synchronised from invoices."))
        if internal.filtered(lambda p: p.state != "active"):
            raise UserError(_("Activate the portfolio before synchronising it."))
        result = internal._sync_invoices()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": _("Invoices synchronised"),
                "message": _(
                    "%(cases)s new cases and %(installments)s new installments; %(updated)s cases updated.",
                    **result,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------
    # Internal portfolios: invoices -> cases and installments
    # ------------------------------------------------------------------
    def _sync_invoices(self, job=None):
        """Create and refresh cases and installments from posted customer invoices.

        An invoice enters the portfolio once one of its receivable lines is
        overdue by the company's minimum days and still open; every
        receivable line of that invoice becomes one installment (a payment
        term with three due dates gives three). Amounts follow accounting:
        the installments' paid and residual amounts are computed from the
        receivable lines, so payments, credit notes and refunds reconciled in
        Accounting show up without a sync. Unreconciled credits of the debtor
        (open credit notes, unallocated payments) are stored on the case and
        reduce what is owed.

        Set-based: one query finds the receivable lines not followed yet;
        new cases and installments are written with COPY, their stored
        figures set by the models' own formulas
        (``collection_portfolio_bulk``); cases that existed are recomputed
        by the ORM in one batch, and reopened when they had been closed by
        hand.
        """
        Case = self.env["collection.case"].sudo()
        job = job or JobSlice(self.env)
        result = {"cases": 0, "installments": 0, "updated": 0, "remaining": 0}
        touched = set()
        for portfolio in self.sudo().with_context(**BULK_CONTEXT):
            if job.spent():
                result["remaining"] += 1
                continue
            company = portfolio.company_id
            today = fields.Date.context_today(portfolio)
            limit_date = today - timedelta(days=company.collection_min_overdue_days)
            lines = portfolio._sync_new_lines(limit_date)
            counts = {"cases": 0, "installments": 0, "updated": 0}
            # committed chunk by chunk of debtors under the cron runner: the
            # next call's query leaves out the lines already followed
            chunks = chunks_by(lines, lambda line: line[2], SYNC_CHUNK_DEBTORS if job.committing else len(lines) or 1)
            attempts = 0
            while chunks:
                chunk = chunks[0]
                try:
                    created, updated = portfolio._sync_write(chunk)
                    # new debt on a case closed by hand (written off, returned...) reopens it
                    reopened = updated.filtered(lambda c: c.state == "closed")
                    if reopened:
                        reopened.write({"state": "open", "close_reason": False, "date_closed": False})
                        reopened._compute_stage_id()
                        self.env["collection.event"]._log(
                            "case_reopen", _("Case reopened: new overdue invoice."), cases=reopened
                        )
                    if len(chunks) > 1 and job.committing:
                        Case._refresh_aging(sorted(set(created.ids) | set(updated.ids)))
                        job.chunk_done()
                except CONCURRENCY_ERRORS as error:
                    # a collector's request met on a case: the chunk is rolled back and done again
                    attempts += 1
                    if attempts >= SYNC_CHUNK_ATTEMPTS or not job.concurrent(error):
                        raise
                    continue
                attempts = 0
                chunks.pop(0)
                counts["cases"] += len(created)
                counts["updated"] += len(updated)
                counts["installments"] += len(chunk)
                if not (chunks and job.committing):
                    touched.update(created.ids, updated.ids)
                if chunks and job.spent():
                    result["remaining"] += sum(len(c) for c in chunks)
                    break
            else:
                touched.update(portfolio._sync_credits())
                portfolio.last_sync_date = fields.Datetime.now()
            for key, value in counts.items():
                result[key] += value
            self.env["collection.event"]._log(
                "sync",
                _(
                    "Invoice synchronisation: %(cases)s new cases, %(installments)s new installments.",
                    **counts,
                ),
                portfolio=portfolio,
                payload=dict(counts, complete=not chunks),
            )
        if job.committing:
            Case._refresh_aging(sorted(touched))
        else:
            Case._refresh_aging()
        job.chunk_done()
        return result

    def _sync_new_lines(self, limit_date):
        """The receivable lines of this company's posted customer invoices
        that have a line overdue since ``limit_date`` and still open, and
        that no installment follows yet: one query, as plain rows, oldest
        due date first for each debtor."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH receivable AS (
                    SELECT l.id, l.move_id, l.date_maturity, l.balance, l.amount_residual, l.reconciled
                      FROM account_move_line l
                      JOIN account_move m ON m.id = l.move_id
                      JOIN account_account a ON a.id = l.account_id
                     WHERE l.company_id = %(company)s
                       AND l.parent_state = 'posted'
                       AND m.move_type = 'out_invoice'
                       AND a.account_type = 'asset_receivable'
                ),
                overdue AS (
                    SELECT DISTINCT move_id
                      FROM receivable
                     WHERE NOT reconciled AND amount_residual > 0 AND date_maturity <= %(limit)s
                ),
                numbered AS (
                    SELECT r.*,
                           COUNT(*) OVER (PARTITION BY r.move_id) AS dues,
                           ROW_NUMBER() OVER (PARTITION BY r.move_id ORDER BY r.date_maturity, r.id) AS sequence
                      FROM receivable r
                      JOIN overdue o ON o.move_id = r.move_id
                )
                SELECT n.id, n.move_id, m.commercial_partner_id, m.name, COALESCE(n.date_maturity, m.invoice_date_due),
                       n.balance, n.amount_residual, n.dues, n.sequence
                  FROM numbered n
                  JOIN account_move m ON m.id = n.move_id
                 WHERE NOT EXISTS (SELECT 1 FROM collection_installment i WHERE i.move_line_id = n.id)
                 ORDER BY m.commercial_partner_id, 5, n.id
                """,
                company=self.company_id.id,
                limit=limit_date,
            )
        )
        return self.env.cr.fetchall()

    def _sync_write(self, lines):
        """Write the installments of ``lines`` (rows of ``_sync_new_lines``)
        and the cases of debtors new to the portfolio. Returns (new cases,
        existing cases that received installments)."""
        self.ensure_one()
        Case = self.env["collection.case"].sudo().with_context(**BULK_CONTEXT)
        currency = self.currency_id
        partner_ids = sorted({row[2] for row in lines})
        case_of = {
            case.partner_id.id: case.id
            for case in Case.search_fetch(
                [("portfolio_id", "=", self.id), ("partner_id", "in", partner_ids)], ["partner_id"]
            )
        }
        existing = set(case_of.values())
        items_by_partner = defaultdict(list)
        for line_id, move_id, partner_id, move_name, date_due, balance, residual, dues, sequence in lines:
            amount, residual = currency.round(float(balance)), currency.round(float(residual))
            paid = currency.round(amount - residual)
            if currency.compare_amounts(residual, 0.0) <= 0:
                state = "paid"
            elif currency.compare_amounts(paid, 0.0) > 0:
                state = "partial"
            else:
                state = "pending"
            items_by_partner[partner_id].append(
                {
                    "partner_id": partner_id,
                    "move_line_id": line_id,
                    "move_id": move_id,
                    "name": move_name if dues <= 1 else f"{move_name} ({sequence})",
                    "external_ref": move_name,
                    "sequence": sequence,
                    "date_due": date_due,
                    "amount": amount,
                    "paid": paid,
                    "amount_paid": paid,
                    "residual": residual,
                    "amount_residual": residual,
                    "state": state,
                }
            )
        # new debtors whose lines leave something open get a case with its final figures
        new_partners = [
            partner_id
            for partner_id in partner_ids
            if partner_id not in case_of and any(item["state"] != "paid" for item in items_by_partner[partner_id])
        ]
        self.env.cr.execute(
            SQL("SELECT id, country_id, state_id, city, zip FROM res_partner WHERE id = ANY(%s)", new_partners)
        )
        address_of = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        figures = self._new_case_figures(
            {partner_id: items_by_partner[partner_id] for partner_id in new_partners}, address_of
        )
        created = Case.browse()
        for start in range(0, len(new_partners), SYNC_BATCH * 10):
            chunk = new_partners[start : start + SYNC_BATCH * 10]
            cases = self._bulk_insert_cases([(partner_id, {}) for partner_id in chunk], figures)
            case_of.update(zip(chunk, cases.ids, strict=True))
            created |= cases
        # debtors new to the portfolio whose new lines are all paid get a case computed by the ORM
        orphans = [partner_id for partner_id in partner_ids if partner_id not in case_of]
        late = Case.create(
            [{"portfolio_id": self.id, "partner_id": partner_id, "team_id": self.team_id.id} for partner_id in orphans]
        )
        case_of.update(zip(orphans, late.ids, strict=True))
        vals_list = []
        for partner_id in partner_ids:
            for item in items_by_partner[partner_id]:
                item["case_id"] = case_of[partner_id]
                vals_list.append(item)
        for start in range(0, len(vals_list), SYNC_BATCH * 10):
            self._bulk_insert_installments(vals_list[start : start + SYNC_BATCH * 10])
        # the invoices show their collection case and status
        move_ids = sorted({item["move_id"] for item in vals_list})
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_move m
                   SET collection_case_id = i.case_id, collection_status = 'in_collection'
                  FROM (SELECT DISTINCT ON (move_id) move_id, case_id
                          FROM collection_installment
                         WHERE move_id = ANY(%s)
                         ORDER BY move_id, id) i
                 WHERE m.id = i.move_id AND m.collection_case_id IS NULL
             RETURNING m.id
                """,
                move_ids,
            )
        )
        marked = {row[0] for row in self.env.cr.fetchall()}
        Move = self.env["account.move"].sudo()
        Move.browse(move_ids).invalidate_recordset(
            ["collection_case_id", "collection_status", "collection_installment_ids"]
        )
        # invoices that were already followed (a further due date) are recomputed by the ORM
        others = Move.browse(sorted(set(move_ids) - marked))
        for name in ("collection_case_id", "collection_status"):
            self.env.add_to_compute(Move._fields[name], others)
        updated = Case.browse(sorted(existing & {item["case_id"] for item in vals_list}))
        self._recompute_cases(updated | late)
        created._inherit_promise_stats()
        return created | late, updated

    def _sync_credits(self):
        """Store on each case of the internal portfolio the debtor's open
        credits in accounting: unreconciled credit notes, payments and bank
        statement lines (not miscellaneous entries)."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH credit AS (
                    SELECT m.commercial_partner_id AS partner_id, -SUM(l.amount_residual) AS amount
                      FROM account_move_line l
                      JOIN account_move m ON m.id = l.move_id
                      JOIN account_account a ON a.id = l.account_id
                     WHERE l.company_id = %(company)s
                       AND l.parent_state = 'posted'
                       AND a.account_type = 'asset_receivable'
                       AND l.amount_residual < 0
                       AND (m.move_type = 'out_refund'
                            OR m.origin_payment_id IS NOT NULL
                            OR m.statement_line_id IS NOT NULL)
                     GROUP BY m.commercial_partner_id
                )
                UPDATE collection_case c
                   SET amount_credit = COALESCE(credit.amount, 0)
                  FROM collection_case c2
                  LEFT JOIN credit ON credit.partner_id = c2.partner_id
                 WHERE c.id = c2.id
                   AND c.portfolio_id = %(portfolio)s
                   AND c.amount_credit IS DISTINCT FROM COALESCE(credit.amount, 0)
             RETURNING c.id
                """,
                company=self.company_id.id,
                portfolio=self.id,
            )
        )
        case_ids = [row[0] for row in self.env.cr.fetchall()]
        if case_ids:
            cases = self.env["collection.case"].browse(case_ids)
            cases.invalidate_recordset(["amount_credit"])
            cases.modified(["amount_credit"])
        return case_ids

    def _retire_automatic(self, company_ids):
        """Make way for an internal portfolio a manager activates in
        ``company_ids``: the automatic portfolio of those companies, when it
        is still empty (it never followed an invoice, nothing is lost), is
        closed and archived. One that holds cases stays, and the rule of one
        active internal portfolio per company applies."""
        if not company_ids:
            return
        Portfolio = self.env["collection.portfolio"].sudo()
        automatic = Portfolio.search(
            [
                ("is_automatic", "=", True),
                ("state", "=", "active"),
                ("company_id", "in", list(company_ids)),
                ("id", "not in", self.ids),
            ]
        )
        if not automatic:
            return
        followed = {
            portfolio.id
            for [portfolio] in self.env["collection.case"]
            .sudo()
            .with_context(active_test=False)
            ._read_group([("portfolio_id", "in", automatic.ids)], ["portfolio_id"])
        }
        empty = automatic.filtered(lambda p: p.id not in followed)
        if empty:
            empty.write({"state": "closed", "close_date": fields.Date.context_today(self), "active": False})
            for portfolio in empty:
                self.env["collection.event"]._log(
                    "portfolio",
                    _("Automatic portfolio closed: another internal portfolio follows the invoices."),
                    portfolio=portfolio,
                )

    @api.model
    def _cron_sync_invoices(self):
        """Synchronise the active internal portfolios of the companies that
        follow their overdue invoices automatically (Settings); the others
        are left alone and can still be synchronised by hand. Under the cron
        runner the work goes in committed chunks for a slice of time per
        call, the rest in the next calls (``tools/job_slice``)."""
        job = JobSlice(self.env)
        portfolios = self.search(
            [
                ("kind", "=", "internal"),
                ("state", "=", "active"),
                ("company_id.collection_auto_follow", "=", True),
            ]
        )
        remaining = 0
        # someone waits for the invoices to show as cases: the daily run gives way meanwhile
        with waited_job(self.env.cr, bool(portfolios)):
            for portfolio in portfolios:
                if job.spent():
                    remaining += 1
                    continue
                try:
                    remaining += portfolio.with_company(portfolio.company_id)._sync_invoices(job)["remaining"]
                except CONCURRENCY_ERRORS as error:
                    # met again and again: rolled back, the runner calls again
                    if not job.concurrent(error):
                        raise
                    remaining += 1
        job.report(remaining)
