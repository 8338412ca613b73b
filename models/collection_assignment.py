from odoo import fields
from odoo import models


class CollectionAssignment(models.Model):
    """Who held a case, from when to when, and why."""

    _name = "collection.assignment"
    _description = "Collection Case Assignment"
    _order = "date_start desc, id desc"
    # an append-only history that says itself who assigned and when: without
    # create/write stamps a distribution of 100 000 cases writes 3 foreign
    # keys less per line
    _log_access = False

    case_id = fields.Many2one("collection.case", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True, precompute=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor")
    user_id = fields.Many2one("res.users", string="Collector", required=True, index=True, readonly=True)
    previous_user_id = fields.Many2one("res.users", string="Previous Collector", readonly=True)
    team_id = fields.Many2one("collection.team", readonly=True)
    date_start = fields.Datetime("From", required=True, default=fields.Datetime.now, readonly=True)
    date_end = fields.Datetime("To", readonly=True)
    reason = fields.Selection(
        [
            ("distribution", "Distribution"),
            ("manual", "Manual"),
            ("substitution", "Substitution"),
            ("resubmission", "Resubmission"),
            ("queue", "Taken from a queue"),
        ],
        required=True,
        default="manual",
        readonly=True,
    )
    assigned_by_id = fields.Many2one("res.users", string="Assigned by", readonly=True)
    note = fields.Char()
