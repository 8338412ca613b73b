from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

PHONE_KINDS = [
    ("mobile", "Mobile"),
    ("landline", "Landline"),
    ("work", "Work"),
    ("reference", "Personal reference"),
    ("other", "Other"),
]


class CollectionPhone(models.Model):
    """A number in the debtor's phone book: numbers found by collectors and
    numbers reported wrong (which the call dialog then proposes last). The
    debtor's own Phone and Mobile fields stay as they are."""

    _name = "collection.phone"
    _description = "Debtor Phone Number"
    _order = "partner_id, is_valid desc, sequence, id"

    partner_id = fields.Many2one("res.partner", string="Debtor", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    number = fields.Char(required=True, help="Stored in E.164 when it can be read for the debtor's country.")
    kind = fields.Selection(PHONE_KINDS, default="mobile", required=True)
    is_valid = fields.Boolean("Valid", default=True)
    date_invalid = fields.Datetime("Reported Invalid On", readonly=True)
    invalid_user_id = fields.Many2one("res.users", string="Reported By", readonly=True)
    note = fields.Char()

    _sql_constraints = [
        ("partner_number_uniq", "unique(partner_id, number)", "This number is already in the debtor's phone book."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            partner_id = vals.get("partner_id") or self.env.context.get("default_partner_id")
            vals["number"] = self._formatted(partner_id, vals.get("number"))
        return super().create(vals_list)

    def write(self, vals):
        if "number" in vals:
            for phone in self:
                super(CollectionPhone, phone).write(
                    dict(vals, number=self._formatted(phone.partner_id.id, vals["number"]))
                )
            return True
        if vals.get("is_valid") is True:
            vals = dict(vals, date_invalid=False, invalid_user_id=False)
        return super().write(vals)

    @api.model
    def _formatted(self, partner_id, number):
        partner = self.env["res.partner"].browse(partner_id)
        formatted = partner._collection_format_phone(number) if partner else (number or "").strip()
        if not formatted:
            raise ValidationError(_("Enter a phone number."))
        return formatted
