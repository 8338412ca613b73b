from odoo import fields
from odoo import models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_min_overdue_days = fields.Integer(related="company_id.collection_min_overdue_days", readonly=False)
    collection_promise_grace_days = fields.Integer(related="company_id.collection_promise_grace_days", readonly=False)
