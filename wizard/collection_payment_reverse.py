"""The dialog in which a supervisor reverses a payment already remitted to
its creditor, with the reason the creditor will read."""

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError


class CollectionPaymentReverse(models.TransientModel):
    _name = "collection.payment.reverse"
    _description = "Reverse a Remitted Payment"

    payment_id = fields.Many2one("collection.payment", required=True, readonly=True)
    reason = fields.Char(required=True)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        # the dialog shows the payment: its reader must be allowed to change it
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can reverse a remitted payment."))
        records.payment_id.check_access("write")
        return records

    def action_confirm(self):
        self.ensure_one()
        self.payment_id.with_context(cancel_reason=self.reason).action_reverse_remitted()
        return {"type": "ir.actions.act_window_close"}
