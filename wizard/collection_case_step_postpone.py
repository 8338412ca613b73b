"""Postpone proposed strategy steps to a later date, in bulk."""

from datetime import datetime
from datetime import time

import pytz

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError


class CollectionCaseStepPostpone(models.TransientModel):
    _name = "collection.case.step.postpone"
    _description = "Postpone Proposed Strategy Steps"

    step_ids = fields.Many2many("collection.case.step", string="Steps")
    date = fields.Date(
        "Until", required=True, default=lambda self: fields.Date.add(fields.Date.context_today(self), days=1)
    )
    note = fields.Char("Reason")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "collection.case.step":
            steps = self.env["collection.case.step"].browse(self.env.context.get("active_ids") or [])
            steps.check_access("read")
            values["step_ids"] = [fields.Command.set(steps.ids)]
        return values

    def action_postpone(self):
        self.ensure_one()
        if self.date <= fields.Date.context_today(self):
            raise UserError(_("Postpone to a day after today."))
        tz = pytz.timezone(self.env.user.tz or "UTC")
        when = tz.localize(datetime.combine(self.date, time(8, 0))).astimezone(pytz.utc).replace(tzinfo=None)
        steps = self.step_ids._postpone(when, self.note)
        return self.step_ids._decision_feedback(steps)
