from odoo import api
from odoo import fields
from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_case_ids = fields.One2many("collection.case", "partner_id")
    collection_case_count = fields.Integer("Number of Collection Cases", compute="_compute_collection_amounts")
    collection_amount_open = fields.Monetary(
        "Open Collection Amount",
        compute="_compute_collection_amounts",
        currency_field="collection_currency_id",
        help="Balance of the debtor's open collection cases, in the company currency.",
    )
    collection_currency_id = fields.Many2one("res.currency", compute="_compute_collection_amounts")
    collection_other_phones = fields.Char(
        "Other Phones", help="Further phone numbers (E.164, comma separated) received with collection files."
    )

    @api.depends_context("company", "allowed_company_ids")
    def _compute_collection_amounts(self):
        """Counted as superuser within the allowed companies: accountants see
        the figure without any collection group."""
        company = self.env.company
        partners = self.commercial_partner_id | self
        groups = (
            self.env["collection.case"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("state", "=", "open"),
                    ("company_id", "in", self.env.companies.ids),
                ],
                ["partner_id", "currency_id"],
                ["__count", "amount_residual:sum"],
            )
        )
        today = fields.Date.context_today(self)
        counts, amounts = {}, {}
        for partner, currency, count, residual in groups:
            counts[partner.id] = counts.get(partner.id, 0) + count
            amounts[partner.id] = amounts.get(partner.id, 0.0) + currency._convert(
                residual, company.currency_id, company, today
            )
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.collection_case_count = counts.get(key, 0)
            partner.collection_amount_open = amounts.get(key, 0.0)
            partner.collection_currency_id = company.currency_id

    def action_view_collection_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_filter_open": 1, "create": False}
        return action
