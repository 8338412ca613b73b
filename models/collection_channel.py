from odoo import fields
from odoo import models

# channels whose contact goes to a phone number / an e-mail address / the debtor's address
PHONE_CHANNELS = frozenset({"call", "sms", "whatsapp", "fax"})
EMAIL_CHANNELS = frozenset({"email"})
VISIT_CHANNELS = frozenset({"visit"})


class CollectionChannel(models.Model):
    """A way of contacting a debtor: call, visit, e-mail, SMS, letter,
    WhatsApp, fax or another one a manager adds. The code drives the
    behaviour (which number or address is used, what the contact rules
    count); the name is what users read."""

    _name = "collection.channel"
    _description = "Collection Contact Channel"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="call, visit, email, sms, letter, whatsapp and fax have a built-in meaning "
        "(number or address used, field visit rules); other codes behave as 'other'.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    icon = fields.Char(help="Font Awesome icon shown on the interaction history, e.g. fa-phone.")

    _sql_constraints = [
        ("code_uniq", "unique(code)", "The channel code must be unique."),
    ]

    def _uses_phone(self):
        self.ensure_one()
        return self.code in PHONE_CHANNELS

    def _uses_email(self):
        self.ensure_one()
        return self.code in EMAIL_CHANNELS

    def _is_visit(self):
        self.ensure_one()
        return self.code in VISIT_CHANNELS
