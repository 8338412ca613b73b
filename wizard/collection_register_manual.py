"""Enter debtors in the delinquent register, or take them out, by hand."""

from odoo import _
from odoo import api
from odoo import fields
from odoo import models


class CollectionRegisterManual(models.TransientModel):
    _name = "collection.register.manual"
    _description = "Delinquent Register by Hand"

    case_ids = fields.Many2many("collection.case", string="Cases")
    action = fields.Selection(
        [("notice", "Send the pre-notice"), ("enter", "Enter in the register"), ("remove", "Remove from the register")],
        required=True,
        default="notice",
    )
    reason = fields.Char(help="Why: kept in the register and the event log.")
    override = fields.Boolean(
        "Without Waiting for the Pre-notice",
        help="Enter at once although the pre-notice period has not passed (supervisors, with a reason; logged).",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        cases = self.env["collection.case"].browse(self.env.context.get("default_case_ids") or [])
        cases.check_access("read")
        return values

    def action_confirm(self):
        self.ensure_one()
        self.env["collection.register"]._check_supervisor()
        cases = self.case_ids
        cases.check_access("read")
        if self.action == "notice":
            cases.sudo()._register_notice("manual", self.reason)
        elif self.action == "enter":
            cases._register_enter_by_hand(self.reason, self.override)
        else:
            cases._register_remove_by_hand(self.reason)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Delinquent Register"),
                "message": _("Done for %s case(s).", len(cases)),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
