from odoo import Command
from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError


class CollectionCaseReassign(models.TransientModel):
    """Move cases to another collector now, or resubmit them: the cases
    leave the work list and come back on the chosen date to the chosen
    collector (the daily run applies due resubmissions).

    Supervisors do both for the cases they see; a collector may only
    resubmit their own cases to themselves (postpone them)."""

    _name = "collection.case.reassign"
    _description = "Reassign or Resubmit Cases"

    case_ids = fields.Many2many("collection.case", string="Cases", required=True)
    case_count = fields.Integer(compute="_compute_case_count")
    is_supervisor = fields.Boolean(default=lambda self: self._is_supervisor())
    mode = fields.Selection(
        [("now", "Reassign now"), ("resubmit", "Resubmit on a date")],
        required=True,
        default=lambda self: "now" if self._is_supervisor() else "resubmit",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        default=lambda self: False if self._is_supervisor() else self.env.user,
        domain=lambda self: [("groups_id", "in", self.env.ref("debt_collection.group_collection_user").id)],
    )
    team_id = fields.Many2one("collection.team", help="Leave empty to keep the cases' team.")
    date = fields.Date("Resubmission Date")
    note = fields.Char("Reason")

    @api.model
    def _is_supervisor(self):
        return self.env.user.has_group("debt_collection.group_collection_supervisor")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "collection.case" and context.get("active_ids"):
            values["case_ids"] = [Command.set(context["active_ids"])]
        return values

    @api.depends("case_ids")
    def _compute_case_count(self):
        for wizard in self:
            wizard.case_count = len(wizard.case_ids)

    def action_apply(self):
        self.ensure_one()
        cases = self.case_ids.filtered(lambda c: c.state == "open")
        if not cases:
            raise UserError(_("Only open cases can be reassigned or resubmitted."))
        if not self.user_id:
            raise UserError(_("Choose the collector."))
        cases.check_access("write")
        if self.mode == "now":
            return self._reassign_now(cases)
        return self._resubmit(cases)

    def _reassign_now(self, cases):
        if not self._is_supervisor():
            raise AccessError(_("Only a collection supervisor can reassign cases."))
        Case = self.env["collection.case"]
        Case._check_assignment_targets(self.user_id, self.team_id, cases.company_id.ids)
        Case = Case.sudo()
        targets = {case.id: (self.user_id.id, self.team_id.id or None) for case in cases}
        Case._apply_assignments(
            targets,
            "manual",
            _("1 case reassigned to %s.", self.user_id.name)
            if len(cases) == 1
            else _("%(count)s cases reassigned to %(user)s.", count=len(cases), user=self.user_id.name),
            note=self.note,
        )
        Case._top_up_today(self.user_id.ids)
        return {"type": "ir.actions.act_window_close"}

    def _resubmit(self, cases):
        today = fields.Date.context_today(self)
        if not self.date or self.date <= today:
            raise UserError(_("A resubmission date must be after today."))
        if self.user_id != self.env.user and not self._is_supervisor():
            raise AccessError(_("A collector can only resubmit cases to themselves."))
        if self._is_supervisor():
            self.env["collection.case"]._check_assignment_targets(
                self.user_id, self.env["collection.team"], cases.company_id.ids
            )
        cases.write(
            {
                "resubmission_date": self.date,
                "resubmission_user_id": self.user_id.id,
                "resubmission_note": self.note or False,
            }
        )
        # parked until the date: the case leaves today's list
        cases.filtered("today_user_id").sudo().write({"today_user_id": False})
        body = _(
            "Resubmitted to %(user)s on %(date)s. %(note)s",
            user=self.user_id.name,
            date=fields.Date.to_string(self.date),
            note=self.note or "",
        )
        cases._message_log_batch(dict.fromkeys(cases.ids, body))
        return {"type": "ir.actions.act_window_close"}
