from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

from ..models.collection_case import CLOSE_REASONS


class CollectionCaseClose(models.TransientModel):
    _name = "collection.case.close"
    _description = "Close Collection Cases"

    case_ids = fields.Many2many("collection.case", string="Cases", required=True)
    close_reason = fields.Selection(
        [(key, label) for key, label in CLOSE_REASONS if key not in ("paid", "cancelled")],
        required=True,
        default="written_off",
    )
    note = fields.Text()

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "case_ids" in fields_list and self.env.context.get("active_model") == "collection.case":
            res["case_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return res

    def action_close(self):
        self.ensure_one()
        cases = self.case_ids.filtered(lambda c: c.state == "open")
        if not cases:
            raise UserError(_("The selected cases are already closed."))
        cases._close(self.close_reason, self.note)
        return {"type": "ir.actions.act_window_close"}
