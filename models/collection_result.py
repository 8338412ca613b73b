from odoo import fields
from odoo import models


class CollectionResult(models.Model):
    _name = "collection.result"
    _description = "Collection Result Code"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to share the result between companies.")
    channel_ids = fields.Char(
        "Channels",
        help="Comma-separated channels where the result applies (call, visit, email, "
        "sms, letter, whatsapp); empty for all.",
    )
    is_contact = fields.Boolean("Right-Party Contact", help="The debtor in person was reached.")
    requires_promise = fields.Boolean(help="Logging this result opens the promise to pay.")
    is_callback = fields.Boolean("Call Back", help="Requires a date; schedules a call-back activity.")
    is_wrong_number = fields.Boolean(help="Flags the phone used as invalid on the debtor.")
    is_dispute = fields.Boolean(help="Opens a dispute.")
    is_refusal = fields.Boolean("Refused to Pay")
    stage_id = fields.Many2one("collection.stage", string="Move Case to Stage")
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "The result code must be unique per company."),
    ]
