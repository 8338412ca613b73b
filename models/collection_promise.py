from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError

PROMISE_STATES = [
    ("open", "Open"),
    ("kept", "Kept"),
    ("partial", "Partly kept"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]
# what the daily judging (or a supervisor) sets, never the collector
OUTCOME_FIELDS = {"state", "amount_kept", "date_closed", "user_id", "case_id"}


class CollectionPromise(models.Model):
    """A debtor's promise to pay an amount on a date.

    An open promise due today or earlier puts its case at the top of the
    work list; broken promises raise the case's priority score and show on
    the team overview. Promises are never deleted: cancel them instead.
    """

    _name = "collection.promise"
    _description = "Promise to Pay"
    _order = "date_promise desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True, readonly=True
    )
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True, precompute=True, string="Debtor")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True, precompute=True)
    user_id = fields.Many2one(
        "res.users", string="Collector", required=True, index=True, default=lambda self: self.env.user
    )
    date_promise = fields.Date("Promised For", required=True, index=True)
    amount = fields.Monetary(required=True)
    amount_kept = fields.Monetary(readonly=True)
    state = fields.Selection(PROMISE_STATES, required=True, default="open", index=True, readonly=True)
    date_closed = fields.Date("Judged On", readonly=True, index=True)
    note = fields.Text()

    @api.constrains("amount")
    def _check_amount(self):
        for promise in self:
            if promise.currency_id.compare_amounts(promise.amount, 0.0) <= 0:
                raise ValidationError(_("A promise to pay must be for a positive amount."))

    def write(self, vals):
        if not self.env.su:
            if OUTCOME_FIELDS & set(vals) and not self.env.user.has_group(
                "debt_collection.group_collection_supervisor"
            ):
                raise AccessError(
                    _("Only a collection supervisor can change the outcome, case or collector of a promise.")
                )
            if {"amount", "date_promise", "case_id"} & set(vals) and self.filtered(lambda p: p.state != "open"):
                raise UserError(_("Only open promises can be changed."))
        return super().write(vals)

    def unlink(self):  # pylint: disable=method-required-super
        self.check_access("unlink")
        raise UserError(_("Promises to pay are kept in the debtor's history: cancel them instead of deleting."))

    def action_cancel(self):
        open_ones = self.filtered(lambda p: p.state == "open")
        open_ones.check_access("write")
        open_ones.sudo().write({"state": "cancelled", "date_closed": fields.Date.context_today(self)})
        self.env["collection.event"]._log("promise", _("Promise cancelled."), cases=open_ones.case_id)
