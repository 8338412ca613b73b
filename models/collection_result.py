from odoo import fields
from odoo import models


class CollectionResult(models.Model):
    """What came out of a collection action (result code), with its effects
    applied when an interaction is logged with it."""

    _name = "collection.result"
    _description = "Collection Result Code"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to share the result between companies.")
    channel_ids = fields.Many2many(
        "collection.channel",
        string="Channels",
        help="Channels where collectors may choose this result; empty for all.",
    )
    is_contact = fields.Boolean(
        "Right-Party Contact",
        help="The debtor in person was reached: the case's last contact date moves, and the contact "
        "rules count it as a conversation.",
    )
    requires_promise = fields.Boolean(help="Logging this result requires a promise to pay, taken in the same dialog.")
    is_callback = fields.Boolean(
        "Call Back", help="Requires a date and time; schedules a call activity for the collector."
    )
    is_wrong_number = fields.Boolean(help="Flags the phone number used as invalid on the debtor.")
    is_dispute = fields.Boolean(help="Opens a dispute on the installments the debtor contests.")
    is_refusal = fields.Boolean(
        "Refused to Pay", help="The debtor refuses to pay: the team supervisor gets a to-do to decide the next step."
    )
    stage_id = fields.Many2one("collection.stage", string="Move Case to Stage")
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "The result code must be unique per company."),
    ]
