"""The litigation dialog: hand cases over to a lawyer, charge a legal
cost, record the outcome, or take the cases back from litigation."""

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

from ..models.collection_case_legal import LEGAL_OUTCOMES


class CollectionCaseLegal(models.TransientModel):
    _name = "collection.case.legal"
    _description = "Litigation"

    case_ids = fields.Many2many("collection.case", string="Cases")
    action = fields.Selection(
        [
            ("handover", "Hand over to a lawyer"),
            ("cost", "Charge a legal cost"),
            ("outcome", "Record the outcome"),
            ("return", "Take back from litigation"),
        ],
        required=True,
        default="handover",
    )
    lawyer_id = fields.Many2one("res.partner", domain="[('collection_is_lawyer', '=', True)]")
    currency_id = fields.Many2one("res.currency", compute="_compute_currency_id")
    amount = fields.Monetary()
    description = fields.Char(default=lambda self: _("Legal costs"))
    outcome = fields.Selection(LEGAL_OUTCOMES)
    reason = fields.Char("Note / Reason")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        cases = self.env["collection.case"].browse(self.env.context.get("default_case_ids") or [])
        cases.check_access("read")
        return values

    @api.depends("case_ids")
    def _compute_currency_id(self):
        for wizard in self:
            wizard.currency_id = wizard.case_ids[:1].currency_id or self.env.company.currency_id

    def action_confirm(self):
        self.ensure_one()
        cases = self.case_ids
        cases.check_access("read")
        if self.action == "handover":
            if not self.lawyer_id:
                raise UserError(_("Choose the lawyer."))
            cases._hand_to_lawyer(self.lawyer_id, self.reason)
        elif self.action == "cost":
            for case in cases:
                case._add_legal_cost(self.amount, self.description or _("Legal costs"))
        elif self.action == "outcome":
            if not self.outcome:
                raise UserError(_("Choose the outcome."))
            cases._set_legal_outcome(self.outcome, self.reason)
        else:
            cases._return_from_litigation(self.reason)
        return {"type": "ir.actions.act_window_close"}
