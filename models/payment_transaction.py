"""A debtor's online payment of a case, through Odoo's payment providers:
once the transaction is done it becomes a posted collection payment."""

import logging

from odoo import _
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    collection_case_id = fields.Many2one("collection.case", readonly=True, index=True)
    collection_payment_id = fields.Many2one("collection.payment", readonly=True, copy=False)

    def _post_process(self):
        """A done transaction of a case becomes a posted collection payment,
        allocated oldest installment first; on own invoices it is posted in
        accounting (the provider's journal) and reconciled with them, and
        becomes the transaction's payment, so that Odoo does not create a
        second one. The debtor gets the receipt by e-mail. A transaction
        cancelled or failed changes nothing."""
        for tx in self.filtered(
            lambda t: (
                t.state == "done"
                and t.collection_case_id
                and not t.collection_payment_id
                and t.operation != "validation"
            )
        ):
            tx._collection_register_payment()
        return super()._post_process()

    def _collection_register_payment(self):
        """Record the money of this transaction on its case. When it cannot
        be (the case was closed meanwhile, say), nothing is recorded on the
        case: Odoo books the transaction's own payment in accounting as it
        does for any payment, and an event and an activity ask the case's
        supervisor to settle it by hand (on own invoices: reconcile that
        payment in Accounting rather than register a second one)."""
        self.ensure_one()
        case = self.collection_case_id.sudo()
        amount = self.currency_id._convert(self.amount, case.currency_id, case.company_id, fields.Date.today())
        try:
            with self.env.cr.savepoint():
                payment = (
                    self.env["collection.payment"]
                    .sudo()
                    .with_context(collection_lock_wait=True)
                    .create(
                        {
                            "case_id": case.id,
                            "amount": amount,
                            "currency_id": case.currency_id.id,
                            "method": "online",
                            "reference": self.reference,
                            "user_id": case._portal_holder().id,
                            "transaction_id": self.id,
                            "keep_credit": True,
                        }
                    )
                )
                payment._post()
        except UserError as error:
            message = error.args[0] if error.args else str(error)
            self.env["collection.event"].sudo()._log(
                "portal",
                _(
                    "Online payment %(reference)s of %(amount)s received but not recorded on the case: %(reason)s",
                    reference=self.reference,
                    amount=self.currency_id.format(self.amount),
                    reason=message,
                ),
                cases=case,
                payload={"transaction_id": self.id},
            )
            supervisor = case.team_id.supervisor_id or case.user_id
            if supervisor:
                case.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=_("Settle the online payment %s", self.reference),
                    note=_(
                        "The debtor paid %(amount)s online (%(reference)s) but it could not be recorded on the case: "
                        "%(reason)s",
                        amount=self.currency_id.format(self.amount),
                        reference=self.reference,
                        reason=message,
                    ),
                    user_id=supervisor.id,
                )
            _logger.warning("Online payment %s of case %s not recorded: %s", self.reference, case.name, message)
            return self.env["collection.payment"]
        self.collection_payment_id = payment
        if payment.account_payment_id:
            self.payment_id = payment.account_payment_id
            payment.account_payment_id.payment_transaction_id = self
        self.env["collection.event"].sudo()._log(
            "portal",
            _(
                "Online payment %(reference)s of %(amount)s by the debtor posted as %(payment)s.",
                reference=self.reference,
                amount=self.currency_id.format(self.amount),
                payment=payment.name,
            ),
            cases=case,
            payload={"transaction_id": self.id, "payment_id": payment.id},
        )
        template = self.env.ref("debt_collection.mail_template_collection_payment_receipt", raise_if_not_found=False)
        if template and case.partner_id.email:
            template.sudo().send_mail(payment.id)
        return payment
