from odoo import api
from odoo import fields
from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_installment_ids = fields.One2many("collection.installment", "move_id", readonly=True)
    collection_case_id = fields.Many2one(
        "collection.case",
        compute="_compute_collection_case",
        store=True,
        index="btree_not_null",
        compute_sudo=True,
    )
    collection_case_name = fields.Char(related="collection_case_id.name", string="Collection Case Ref.")
    collection_stage_id = fields.Many2one(related="collection_case_id.stage_id", string="Collection Stage")
    collection_user_id = fields.Many2one(related="collection_case_id.user_id", string="Collector")
    collection_covered = fields.Boolean(
        related="collection_case_id.covered_by_credits",
        string="Covered by Credits",
        help="The customer's open credits cover what is overdue: collection does not chase them.",
    )
    collection_register_state = fields.Selection(
        related="partner_id.commercial_partner_id.collection_register_state", string="Delinquent Register"
    )
    collection_status = fields.Selection(
        [("in_collection", "In collection"), ("in_dispute", "In dispute"), ("closed", "Collection closed")],
        compute="_compute_collection_case",
        store=True,
        compute_sudo=True,
        index="btree_not_null",
    )

    @api.depends(
        "collection_installment_ids.case_id",
        "collection_installment_ids.case_id.state",
        "collection_installment_ids.is_disputed",
    )
    def _compute_collection_case(self):
        for move in self:
            case = move.collection_installment_ids.case_id[:1]
            move.collection_case_id = case
            if not case:
                move.collection_status = False
            elif case.state != "open":
                move.collection_status = "closed"
            elif any(move.collection_installment_ids.mapped("is_disputed")):
                move.collection_status = "in_dispute"
            else:
                move.collection_status = "in_collection"

    def action_open_collection_case(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case",
            "res_id": self.collection_case_id.id,
            "view_mode": "form",
        }
