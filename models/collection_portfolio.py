import logging
from collections import Counter
from datetime import timedelta

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

SYNC_BATCH = 2000


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
    commission_rate = fields.Float("Commission (%)", digits=(5, 2), tracking=True)
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
        return super().create(vals_list)

    def unlink(self):
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
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action")
        action["domain"] = [("portfolio_id", "=", self.id)]
        action["context"] = {"default_portfolio_id": self.id, "search_default_filter_open": 1}
        return action

    def action_sync_invoices(self):
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
    def _sync_invoices(self):
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

        Works set-based: one search per step and batch, batched ``create``.
        """
        Case = self.env["collection.case"].sudo()
        Installment = self.env["collection.installment"].sudo()
        AML = self.env["account.move.line"].sudo()
        result = {"cases": 0, "installments": 0, "updated": 0}
        for portfolio in self.sudo():
            company = portfolio.company_id
            today = fields.Date.context_today(portfolio)
            limit_date = today - timedelta(days=company.collection_min_overdue_days)
            receivable = [
                ("company_id", "=", company.id),
                ("parent_state", "=", "posted"),
                ("move_id.move_type", "=", "out_invoice"),
                ("account_id.account_type", "=", "asset_receivable"),
            ]
            overdue_moves = [
                move
                for [move] in AML._read_group(
                    receivable
                    + [
                        ("reconciled", "=", False),
                        ("amount_residual", ">", 0),
                        ("date_maturity", "<=", limit_date),
                    ],
                    ["move_id"],
                )
            ]
            known_line_ids = set()
            for start in range(0, len(overdue_moves), SYNC_BATCH):
                move_ids = [m.id for m in overdue_moves[start : start + SYNC_BATCH]]
                lines = AML.search(receivable + [("move_id", "in", move_ids)], order="date_maturity, id")
                existing = Installment.with_context(active_test=False).search_fetch(
                    [("move_line_id", "in", lines.ids)], ["move_line_id"]
                )
                known_line_ids.update(existing.move_line_id.ids)
                new_lines = lines.filtered(lambda line: line.id not in known_line_ids)
                if not new_lines:
                    continue
                partners = new_lines.move_id.commercial_partner_id
                cases = {
                    case.partner_id.id: case
                    for case in Case.search([("portfolio_id", "=", portfolio.id), ("partner_id", "in", partners.ids)])
                }
                result["updated"] += len(cases)
                missing = partners.filtered(lambda p: p.id not in cases)
                if missing:
                    created = Case.with_context(
                        collection_assignment_reason="distribution",
                        mail_create_nolog=True,
                        mail_create_nosubscribe=True,
                    ).create(
                        [
                            {
                                "portfolio_id": portfolio.id,
                                "partner_id": partner.id,
                                "team_id": portfolio.team_id.id,
                            }
                            for partner in missing
                        ]
                    )
                    result["cases"] += len(created)
                    cases.update({case.partner_id.id: case for case in created})
                # receivable lines per invoice: one due date keeps the invoice number as name
                dues = Counter(line.move_id.id for line in lines)
                sequences = {}
                vals_list = []
                for line in new_lines:
                    move = line.move_id
                    sequences[move.id] = sequences.get(move.id, 0) + 1
                    vals_list.append(
                        {
                            "case_id": cases[move.commercial_partner_id.id].id,
                            "move_line_id": line.id,
                            "name": move.name if dues[move.id] <= 1 else f"{move.name} ({sequences[move.id]})",
                            "sequence": sequences[move.id],
                            "date_due": line.date_maturity or move.invoice_date_due,
                            "amount": line.balance,
                            "external_ref": move.name,
                        }
                    )
                Installment.create(vals_list)
                result["installments"] += len(vals_list)
                # new debt on a case closed by hand (written off, returned...) reopens it
                reopened = (
                    self.env["collection.case"]
                    .browse([v["case_id"] for v in vals_list])
                    .filtered(lambda c: c.state == "closed")
                )
                if reopened:
                    reopened.write({"state": "open", "close_reason": False, "date_closed": False})
                    reopened._compute_stage_id()
                    self.env["collection.event"]._log(
                        "case_reopen", _("Case reopened: new overdue invoice."), cases=reopened
                    )
                known_line_ids.update(new_lines.ids)
            portfolio._sync_credits()
            portfolio.last_sync_date = fields.Datetime.now()
            self.env["collection.event"]._log(
                "sync",
                _(
                    "Invoice synchronisation: %(cases)s new cases, %(installments)s new installments.",
                    **result,
                ),
                portfolio=portfolio,
                payload=dict(result),
            )
        self.env["collection.case"]._refresh_aging()
        return result

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

    @api.model
    def _cron_sync_invoices(self):
        portfolios = self.search([("kind", "=", "internal"), ("state", "=", "active")])
        for portfolio in portfolios:
            portfolio.with_company(portfolio.company_id)._sync_invoices()
