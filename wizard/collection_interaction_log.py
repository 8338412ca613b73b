from odoo import Command
from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from ..models.collection_interaction import DIRECTIONS
from ..tools.work_list import WORK_TIERS


class CollectionInteractionLog(models.TransientModel):
    """The dialog a collector fills in after a call or another contact: the
    result and, when the result asks for it, the promise to pay, the
    call-back time or the dispute, all in one step. Logging creates the
    ``collection.interaction`` (and its promise or dispute) and applies the
    result's effects; the contact rules are checked again at that moment."""

    _name = "collection.interaction.log"
    _description = "Log a Collection Interaction"

    # the case's figures are read as the user (not as superuser, as related fields are by default): the
    # dialog shows only what the user may read of a case they may work
    case_id = fields.Many2one("collection.case", required=True, readonly=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor", compute_sudo=False)
    currency_id = fields.Many2one(related="case_id.currency_id", compute_sudo=False)
    amount_residual = fields.Monetary(related="case_id.amount_residual", string="Balance", compute_sudo=False)
    amount_overdue = fields.Monetary(related="case_id.amount_overdue", string="Overdue", compute_sudo=False)
    call_started = fields.Boolean(readonly=True)
    channel_id = fields.Many2one("collection.channel", required=True)
    channel_code = fields.Char(related="channel_id.code")
    direction = fields.Selection(DIRECTIONS, required=True, default="outbound")
    date_start = fields.Datetime("Started", required=True, default=fields.Datetime.now)
    phone = fields.Char("Phone Used", compute="_compute_contact_point", store=True, readonly=False, compute_sudo=False)
    phone_numbers = fields.Text("Debtor's Numbers", compute="_compute_phone_numbers")
    email = fields.Char("E-mail Used", compute="_compute_contact_point", store=True, readonly=False, compute_sudo=False)
    result_id = fields.Many2one(
        "collection.result",
        domain="['|', ('channel_ids', '=', False), ('channel_ids', 'in', channel_id)]",
    )
    requires_promise = fields.Boolean(related="result_id.requires_promise")
    is_callback = fields.Boolean(related="result_id.is_callback")
    is_dispute = fields.Boolean(related="result_id.is_dispute")
    is_wrong_number = fields.Boolean(related="result_id.is_wrong_number")
    note = fields.Text()
    next_action_date = fields.Date("Next Action")
    callback_date = fields.Datetime("Call Back At")
    promise_amount = fields.Monetary("Promised Amount")
    promise_date = fields.Date("Promised For")
    promise_installment_ids = fields.Many2many(
        "collection.installment",
        "collection_interaction_log_promise_installment_rel",
        string="Installments Promised",
        domain="[('case_id', '=', case_id), ('state', 'in', ('pending', 'partial'))]",
    )
    dispute_reason_id = fields.Many2one("collection.dispute.reason")
    dispute_installment_ids = fields.Many2many(
        "collection.installment",
        "collection_interaction_log_dispute_installment_rel",
        string="Installments Contested",
        domain="[('case_id', '=', case_id), ('state', 'in', ('pending', 'partial'))]",
    )
    dispute_amount = fields.Monetary("Disputed Amount")
    dispute_description = fields.Text("Debtor's Claim")
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))
    attachment_ids = fields.Many2many(
        "ir.attachment", "collection_interaction_log_attachment_rel", string="Photos and Files"
    )
    contact_warning = fields.Text(compute="_compute_contact_warning")
    can_override = fields.Boolean(compute="_compute_contact_warning")
    override_reason = fields.Char(help="Supervisors only: why this contact is allowed against the contact policy.")

    def _check_case_access(self):
        """The case must be one the user may work (record rules, companies):
        refused before anything of it is read or logged."""
        cases = self.case_id
        if cases:
            cases.check_access("write")

    @api.depends("channel_id", "case_id")
    def _compute_contact_point(self):
        self._check_case_access()
        for wizard in self:
            partner = wizard.case_id.partner_id
            if wizard.channel_id and wizard.channel_id._uses_phone():
                numbers = partner._collection_phone_numbers() if partner else []
                wizard.phone = numbers[0][0] if numbers and numbers[0][1] else wizard.phone
                wizard.email = False
            elif wizard.channel_id and wizard.channel_id._uses_email():
                wizard.email = partner.email
                wizard.phone = False
            else:
                wizard.phone = wizard.email = False

    @api.depends("case_id")
    def _compute_phone_numbers(self):
        self._check_case_access()
        for wizard in self:
            partner = wizard.case_id.partner_id
            numbers = partner._collection_phone_numbers() if partner else []
            lines = []
            for number, valid in numbers:
                lines.append(number if valid else _("%s (reported wrong)", number))
            wizard.phone_numbers = "\n".join(lines)

    @api.depends("case_id", "channel_id", "direction", "date_start")
    def _compute_contact_warning(self):
        self._check_case_access()
        supervisor = self.env.user.has_group("debt_collection.group_collection_supervisor")
        for wizard in self:
            wizard.contact_warning = False
            wizard.can_override = False
            if not (wizard.case_id and wizard.channel_id and wizard.date_start) or wizard.direction != "outbound":
                continue
            verdict, policy, timezones = wizard.case_id._contact_verdict(wizard.channel_id.code, wizard.date_start)
            if not verdict.allowed:
                wizard.contact_warning = wizard.case_id._contact_refusal_message(
                    verdict, policy, timezones, wizard.channel_id
                )
                wizard.can_override = supervisor

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        wizards._check_case_access()
        return wizards

    def write(self, vals):
        res = super().write(vals)
        if "case_id" in vals:
            self._check_case_access()
        return res

    @api.onchange("result_id")
    def _onchange_result_id(self):
        case = self.case_id
        if self.requires_promise and not self.promise_amount:
            self.promise_amount = case.amount_overdue or case.amount_residual
        if self.is_dispute and not self.dispute_installment_ids:
            overdue = case.installment_ids.filtered(
                lambda i: i.state in ("pending", "partial") and not i.is_disputed and i.days_overdue > 0
            )
            self.dispute_installment_ids = overdue
            self.dispute_amount = sum(overdue.mapped("amount_residual"))

    @api.onchange("dispute_installment_ids")
    def _onchange_dispute_installment_ids(self):
        self.dispute_amount = sum(self.dispute_installment_ids.mapped("amount_residual"))

    def action_log(self):
        """Create the interaction with what the result requires, apply its
        effects, and close the dialog."""
        self.ensure_one()
        self._check_case_access()
        if not self.result_id:
            raise UserError(_("Choose the result of the contact."))
        if self.direction == "outbound" and not self.override_reason:
            verdict, policy, timezones = self.case_id._contact_verdict(self.channel_id.code, self.date_start)
            if not verdict.allowed:
                return self.env["collection.contact.refusal"]._open(
                    self.case_id, verdict, policy, timezones, self.channel_id
                )
        vals = {
            "case_id": self.case_id.id,
            "channel_id": self.channel_id.id,
            "direction": self.direction,
            "date_start": self.date_start,
            "date_end": fields.Datetime.now(),
            "phone": self.phone if self.channel_id._uses_phone() else False,
            "email": self.email if self.channel_id._uses_email() else False,
            "result_id": self.result_id.id,
            "note": self.note,
            "next_action_date": self.next_action_date,
            "callback_date": self.callback_date if self.is_callback else False,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "override_reason": self.override_reason,
        }
        if self.requires_promise:
            vals["promise_ids"] = self.env["collection.promise"]._contact_commands(
                self.case_id,
                self.promise_amount,
                self.promise_date,
                self.channel_id,
                installment_ids=[Command.set(self.promise_installment_ids.ids)],
            )
        if self.is_dispute:
            if not self.dispute_reason_id:
                raise UserError(_("Choose the reason of the dispute."))
            vals["dispute_ids"] = [
                Command.create(
                    {
                        "case_id": self.case_id.id,
                        "reason_id": self.dispute_reason_id.id,
                        "installment_ids": [Command.set(self.dispute_installment_ids.ids)],
                        "amount": self.dispute_amount,
                        "description": self.dispute_description,
                    }
                )
            ]
        case = self.case_id
        due_before = case._collection_due_calls()
        was_follow_up = case.work_tier
        interaction = self.env["collection.interaction"].create(vals)
        if self.attachment_ids:
            attachments = self.attachment_ids.filtered(lambda a: a.create_uid == self.env.user or self.env.su)
            attachments.sudo().write({"res_model": interaction._name, "res_id": interaction.id})
            interaction.sudo().attachment_ids = [Command.set(attachments.ids)]
        answered = due_before - case._collection_due_calls()
        return case._collection_feedback(self._log_summary(interaction, answered, was_follow_up), _("Contact logged"))

    def _log_summary(self, interaction, answered, was_tier):
        """What logging the contact changed, in a few sentences."""
        case = interaction.case_id
        parts = [_("%(result)s logged on %(case)s.", result=interaction.result_id.name, case=case.name)]
        for summary in answered:
            parts.append(_("Call-back done: %s.", summary))
        for promise in interaction.promise_ids:
            parts.append(
                _(
                    "Promise of %(amount)s on %(date)s recorded.",
                    amount=promise.currency_id.format(promise.amount),
                    date=format_date(self.env, promise.date_promise),
                )
            )
        if interaction.activity_id:
            parts.append(_("Call-back scheduled: %s.", interaction.activity_id.summary or ""))
        for dispute in interaction.dispute_ids:
            parts.append(_("Dispute %s opened.", dispute.display_name))
        case.invalidate_recordset(["work_tier"])
        if was_tier != case.work_tier and was_tier in ("1_promise", "2_follow_up"):
            parts.append(_('The case is no longer "%s" on the work list.', dict(WORK_TIERS)[was_tier]))
        return " ".join(parts)
