"""Commission settlement: what each collector earned on the payments they
collected in a period, as a PDF or an XLSX file."""

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..models.collection_payment import PAYMENT_METHODS
from ..tools import xlsx


class CollectionCommissionSettlement(models.TransientModel):
    """Per collector, the posted payments they collected in the period with
    the collector commission of each (the same SQL matching as remittance
    lines, on internal portfolios too) and their total in the company's
    currency (each payment converted at its date's rate).

    Who may settle whom: managers every collector of their companies,
    supervisors the members of the teams they lead (and themselves), a
    collector only themself. The payments are selected by collector, not
    by the case record rules, so a settlement stays complete when cases
    moved to another team after the money was collected.
    """

    _name = "collection.commission.settlement"
    _description = "Commission Settlement"

    date_from = fields.Date("From", required=True, default=lambda self: fields.Date.context_today(self).replace(day=1))
    date_to = fields.Date("To", required=True, default=fields.Date.context_today)
    portfolio_ids = fields.Many2many("collection.portfolio", string="Portfolios", help="Empty: every portfolio.")
    user_ids = fields.Many2many(
        "res.users",
        string="Collectors",
        help="Empty: every collector you may settle.",
        domain="[('share', '=', False)]",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "user_ids" in fields_list and not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            values["user_ids"] = [fields.Command.set(self.env.user.ids)]
        return values

    def _allowed_users(self):
        """The collectors the user may settle; None: anyone."""
        user = self.env.user
        if user.has_group("debt_collection.group_collection_manager"):
            return None
        if user.has_group("debt_collection.group_collection_supervisor"):
            teams = self.env["collection.team"].sudo().search([("supervisor_id", "=", user.id)])
            return teams.member_ids.user_id | user
        if user.has_group("debt_collection.group_collection_user"):
            return user
        raise AccessError(_("Commission settlements are for collectors, supervisors and managers."))

    def _collectors(self):
        self.ensure_one()
        allowed = self._allowed_users()
        if allowed is not None and self.user_ids - allowed:
            raise AccessError(
                _(
                    "You may not see the commission of %s.",
                    ", ".join((self.user_ids - allowed).mapped("name")),
                )
            )
        return self.user_ids or allowed

    def _settlement(self):
        """[{user, lines: [row], total_company, totals: {currency: amount}}]
        by collector name; one SQL query for all the payments."""
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(_("The period ends before it starts."))
        collectors = self._collectors()
        conditions = [
            SQL("p.state = 'posted'"),
            SQL("p.date BETWEEN %s AND %s", self.date_from, self.date_to),
            SQL("p.company_id IN %s", tuple(self.env.companies.ids)),
        ]
        if collectors is not None:
            conditions.append(SQL("p.user_id IN %s", tuple(collectors.ids) or (0,)))
        if self.portfolio_ids:
            self.portfolio_ids.check_access("read")
            conditions.append(SQL("p.portfolio_id IN %s", tuple(self.portfolio_ids.ids)))
        rows = self.env["collection.commission.rule"]._payment_rows(SQL(" AND ").join(conditions))
        company = self.company_id
        target = company.currency_id
        Currency = self.env["res.currency"]
        rates = {}
        users = self.env["res.users"].sudo().browse({row["user_id"] for row in rows})
        partners = self.env["res.partner"].sudo().browse({row["partner_id"] for row in rows})
        portfolios = self.env["collection.portfolio"].sudo().browse({row["portfolio_id"] for row in rows})
        payments = self.env["collection.payment"].sudo().browse([row["payment_id"] for row in rows])
        names = dict(zip(payments.ids, payments.mapped("name"), strict=True))
        by_user = {}
        for row in rows:
            currency = Currency.browse(row["currency_id"])
            key = (currency.id, row["date"])
            if key not in rates:
                rates[key] = Currency._get_conversion_rate(currency, target, company, row["date"])
            row.update(
                receipt=names[row["payment_id"]],
                currency=currency,
                partner=partners.browse(row["partner_id"]),
                portfolio=portfolios.browse(row["portfolio_id"]),
                commission_company=target.round(row["collector_commission"] * rates[key]),
                amount_company=target.round(row["amount"] * rates[key]),
            )
            entry = by_user.setdefault(
                row["user_id"],
                {"user": users.browse(row["user_id"]), "lines": [], "total_company": 0.0, "amount_company": 0.0},
            )
            entry["lines"].append(row)
            entry["total_company"] = target.round(entry["total_company"] + row["commission_company"])
            entry["amount_company"] = target.round(entry["amount_company"] + row["amount_company"])
        return sorted(by_user.values(), key=lambda entry: (entry["user"].name or "", entry["user"].id))

    def action_print(self):
        self.ensure_one()
        self._settlement()  # refuse what the user may not see before printing
        return self.env.ref("debt_collection.action_report_collection_commission_settlement").report_action(self)

    def action_export_xlsx(self):
        self.ensure_one()
        methods = dict(PAYMENT_METHODS)
        currency = self.currency_id
        headers = [
            _("Collector"), _("Date"), _("Receipt"), _("Portfolio"), _("Debtor"), _("Installments"), _("Method"),
            _("Days Overdue"), _("Amount"), _("Currency"), _("Collector Rate (%)"), _("Commission"),
            _("Commission (%s)", currency.name),
        ]  # fmt: skip
        rows, totals = [], []
        for entry in self._settlement():
            name = entry["user"].name or ""
            for row in entry["lines"]:
                rows.append(
                    [name, fields.Date.to_string(row["date"]), row["receipt"], row["portfolio"].name or "",
                     row["partner"].name or "", row["installments"], methods.get(row["method"], ""),
                     row["days_overdue"], row["amount"], row["currency"].name, row["collector_rate"],
                     row["collector_commission"], row["commission_company"]]
                )  # fmt: skip
            totals.append([name, len(entry["lines"]), entry["amount_company"], entry["total_company"]])
        data = xlsx.workbook(
            [
                (_("Payments"), headers, rows),
                (
                    _("Collectors"),
                    [
                        _("Collector"),
                        _("Payments"),
                        _("Collected (%s)", currency.name),
                        _("Commission (%s)", currency.name),
                    ],
                    totals,
                ),
            ]  # fmt: skip
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": _("Commission settlement %(start)s %(end)s.xlsx", start=self.date_from, end=self.date_to),
                "raw": data,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}
