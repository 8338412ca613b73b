from odoo import fields
from odoo import models


class CollectionStage(models.Model):
    _name = "collection.stage"
    _description = "Collection Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    code = fields.Selection(
        [
            ("preventive", "Preventive"),
            ("current", "Current"),
            ("delinquent", "Delinquent"),
            ("agreement", "Payment plan"),
            ("prelegal", "Pre-legal"),
            ("litigation", "Litigation"),
            ("closed", "Closed"),
            ("other", "Other"),
        ],
        default="other",
        required=True,
        help="What the stage means to the automatic rules: new and synchronised "
        "cases are placed by days overdue in Preventive (not yet due), Current "
        "(up to the delinquency threshold) or Delinquent; closed cases go to the "
        "Closed stage.",
    )
    min_days_overdue = fields.Integer(
        "From Days Overdue",
        help="Automatic placement: cases at least this many days overdue land here "
        "(Preventive, Current and Delinquent stages only).",
    )
    fold = fields.Boolean("Folded in Kanban")
    is_closed = fields.Boolean("Closing Stage")
    description = fields.Text(translate=True)
    company_id = fields.Many2one("res.company", help="Leave empty to share the stage between companies.")
    active = fields.Boolean(default=True)
