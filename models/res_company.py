from odoo import _
from odoo import api
from odoo import fields
from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_auto_follow = fields.Boolean(
        "Follow Overdue Invoices Automatically",
        default=True,
        help="The company always has an active internal collection portfolio (created for it if needed) and "
        "the daily synchronisation links its overdue customer invoices to collection cases. Turned off, "
        "nothing is deleted: the daily job no longer synchronises the company's internal portfolios, "
        "which can still be synchronised by hand.",
    )
    collection_min_overdue_days = fields.Integer(
        "Days Overdue Before Collection",
        default=1,
        help="A posted customer invoice enters the internal collection portfolio once one of its "
        "due dates is at least this many days past.",
    )
    collection_promise_grace_days = fields.Integer(
        "Promise Grace Days",
        default=2,
        help="Days after a promise's date during which a payment still keeps it; the daily run judges the "
        "promise the day after.",
    )
    collection_max_annual_rate = fields.Float(
        "Maximum Annual Rate (%)",
        digits=(6, 3),
        help="The highest annual interest rate a payment agreement may carry (the legal usury cap); 0 for no cap. "
        "A portfolio may set a lower one.",
    )
    collection_score_high = fields.Float(
        "High Priority From",
        digits=(6, 2),
        default=60.0,
        help="Cases scoring this or more are in the high band of the work list and queues.",
    )
    collection_score_medium = fields.Float(
        "Medium Priority From",
        digits=(6, 2),
        default=35.0,
        help="Cases scoring this or more (and less than the high band) are in the medium band; below, low.",
    )
    collection_payment_instructions = fields.Text(
        "Payment Instructions",
        translate=True,
        help="How debtors pay (bank account, reference to quote, where to pay in cash): printed on collection letters.",
    )
    collection_register_days = fields.Integer(
        "Register From Days Overdue",
        help="A case this many days overdue (and over the amount) puts its debtor in the delinquent register, after "
        "the pre-notice; 0 turns the register rule off. A portfolio may set its own.",
    )
    collection_register_amount = fields.Monetary(
        "Register From Amount Overdue",
        currency_field="currency_id",
        help="The overdue amount (company currency) from which the register rule applies.",
    )
    collection_register_notice_days = fields.Integer(
        "Register Pre-notice Days",
        default=20,
        help="Days between the pre-notice and the entry in the register (Colombia's Ley 2157 de 2021: 20).",
    )
    collection_register_exit_installments = fields.Integer(
        "Register Exit After Installments Kept",
        default=3,
        help="A debtor leaves the register once this many installments of a payment agreement are paid; 0: only "
        "when the case is paid or closed.",
    )
    collection_legal_costs_first = fields.Boolean(
        "Legal Costs Paid First",
        default=True,
        help="A payment of a case in litigation pays its legal costs before the debt (else after it).",
    )
    collection_journal_cash_id = fields.Many2one(
        "account.journal",
        string="Journal for Cash Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
    collection_journal_card_id = fields.Many2one(
        "account.journal",
        string="Journal for Card Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
    collection_journal_transfer_id = fields.Many2one(
        "account.journal",
        string="Journal for Transfer Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
    collection_journal_cheque_id = fields.Many2one(
        "account.journal",
        string="Journal for Cheque Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
    collection_journal_other_id = fields.Many2one(
        "account.journal",
        string="Journal for Other Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies.filtered("collection_auto_follow")._collection_ensure_portfolio()
        return companies

    def write(self, vals):
        turned_on = self.browse()
        if vals.get("collection_auto_follow"):
            turned_on = self.filtered(lambda c: not c.collection_auto_follow)
        res = super().write(vals)
        if "currency_id" in vals:
            # a chart of accounts loaded after the company was created may change its currency:
            # the automatic portfolio, still empty (accounting refuses the change once there are
            # journal items), follows it
            portfolios = (
                self.env["collection.portfolio"]
                .sudo()
                .with_context(active_test=False)
                .search([("is_automatic", "=", True), ("company_id", "in", self.ids)])
            )
            for portfolio in portfolios.filtered(lambda p: p.currency_id != p.company_id.currency_id):
                portfolio.currency_id = portfolio.company_id.currency_id
        turned_on._collection_ensure_portfolio()
        return res

    def _collection_ensure_portfolio(self):
        """Give each company of ``self`` an active internal portfolio, so the
        next invoice synchronisation follows its overdue invoices.

        A company that already has one (the demo's, or one a manager made) is
        left alone; otherwise the company's automatic portfolio (flag
        ``is_automatic``, at most one per company) is reopened when it exists,
        or created: kind internal, company currency, no team, named after the
        company in its language. Returns the portfolios created or reopened."""
        Portfolio = self.env["collection.portfolio"].sudo().with_context(active_test=False)
        if not self:
            return Portfolio
        followed = {
            company.id
            for [company] in Portfolio._read_group(
                [
                    ("company_id", "in", self.ids),
                    ("kind", "=", "internal"),
                    ("state", "=", "active"),
                    ("active", "=", True),
                ],
                ["company_id"],
            )
        }
        companies = self.filtered(lambda c: c.id not in followed)
        if not companies:
            return Portfolio
        automatic = Portfolio.search([("is_automatic", "=", True), ("company_id", "in", companies.ids)])
        if automatic:
            automatic.write({"active": True, "state": "active", "close_date": False})
        new = Portfolio.create(
            [
                {
                    "name": company._collection_portfolio_name(),
                    "kind": "internal",
                    "is_automatic": True,
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "state": "active",
                }
                for company in companies - automatic.company_id
            ]
        )
        Event = self.env["collection.event"]
        for portfolio in automatic:
            Event._log("portfolio", _("Automatic portfolio reopened to follow overdue invoices."), portfolio=portfolio)
        for portfolio in new:
            Event._log(
                "portfolio", _("Portfolio created automatically to follow overdue invoices."), portfolio=portfolio
            )
        return automatic | new

    def _collection_portfolio_name(self):
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        return env._("%(company)s – Overdue invoices", company=self.name)
