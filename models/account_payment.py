from odoo import _
from odoo import fields
from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    collection_payment_ids = fields.One2many(
        "collection.payment", "account_payment_id", string="Collection Payments", readonly=True
    )

    def action_draft(self):
        self._cancel_collection_payments(_("Reset to draft in Accounting"))
        return super().action_draft()

    def action_cancel(self):
        self._cancel_collection_payments(_("Cancelled in Accounting"))
        return super().action_cancel()

    def _cancel_collection_payments(self, reason):
        """A payment collected on own invoices and undone in Accounting (a
        bounced cheque, a mistake) is no longer collected money: its
        collection payment is cancelled too, and logged."""
        if self.env.context.get("collection_payment_cancelling"):
            return
        for payment in self.sudo().collection_payment_ids.filtered(lambda p: p.state == "posted"):
            payment._mark_cancelled(reason)
