"""Column layouts of the register export a credit bureau receives."""

from odoo import fields
from odoo import models

# column key -> label; the export fills each from an entry or exit
REGISTER_COLUMNS = [
    ("event", "Event (entry / exit)"),
    ("event_date", "Event date"),
    ("debtor_name", "Debtor name"),
    ("debtor_vat", "Debtor tax ID"),
    ("debtor_ref", "Debtor reference"),
    ("debtor_country", "Debtor country code"),
    ("case_ref", "Case reference"),
    ("creditor_ref", "Creditor's reference"),
    ("portfolio", "Portfolio"),
    ("creditor", "Creditor"),
    ("contract_ref", "Product / contract"),
    ("amount", "Amount overdue"),
    ("currency", "Currency"),
    ("days_overdue", "Days overdue"),
    ("notice_date", "Pre-notice date"),
    ("entry_date", "Entry date"),
    ("exit_date", "Exit date"),
    ("exit_reason", "Exit reason"),
    ("note", "Reason given"),
]


class CollectionRegisterLayout(models.Model):
    _name = "collection.register.layout"
    _description = "Register Export Layout"
    _check_company_auto = True

    name = fields.Char(required=True)
    company_id = fields.Many2one("res.company", help="Leave empty for every company.")
    delimiter = fields.Char("CSV Delimiter", default=";", size=1, required=True)
    date_format = fields.Char(default="%Y-%m-%d", required=True, help="Python strftime format of the dates.")
    line_ids = fields.One2many("collection.register.layout.line", "layout_id", string="Columns", copy=True)


class CollectionRegisterLayoutLine(models.Model):
    _name = "collection.register.layout.line"
    _description = "Register Export Column"
    _order = "sequence, id"

    layout_id = fields.Many2one("collection.register.layout", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    header = fields.Char(required=True)
    column = fields.Selection(REGISTER_COLUMNS, required=True)
