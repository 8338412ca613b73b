from odoo import fields
from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

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
