from datetime import timedelta

from markupsafe import Markup
from markupsafe import escape

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools import geo
from .collection_case_contact import ContactRefused
from .collection_channel import VISIT_CHANNELS

DIRECTIONS = [("outbound", "Outbound"), ("inbound", "Inbound")]
# clocks of phones and browsers drift: a start this far ahead of the server is accepted
FUTURE_TOLERANCE = timedelta(minutes=5)
# what a supervisor may correct on a logged interaction (each change is logged)
CORRECTABLE_FIELDS = {
    "result_id",
    "note",
    "channel_id",
    "direction",
    "phone",
    "email",
    "next_action_date",
    "latitude",
    "longitude",
    "voided",
    "void_reason",
}

# what a user gives when logging an interaction; its contact policy, the rule overridden, the call-back
# activity and voiding are the interaction's own or a supervisor's correction
USER_FIELDS = {
    "case_id",
    "channel_id",
    "direction",
    "date_start",
    "date_end",
    "phone",
    "email",
    "result_id",
    "note",
    "next_action_date",
    "callback_date",
    "promise_ids",
    "dispute_ids",
    "attachment_ids",
    "latitude",
    "longitude",
    "override_reason",
    "user_id",
}


class CollectionInteraction(models.Model):
    """One collection action done (gestión): a call, visit, e-mail, SMS,
    letter, WhatsApp or fax, its result and what it produced.

    Interactions are append-only for collectors: a correction is a new
    interaction, or a supervisor's correction, which goes to the event log.
    Nobody deletes them; a supervisor voids one logged by mistake. Future
    work is a standard ``mail.activity`` (call-backs)."""

    _name = "collection.interaction"
    _description = "Collection Interaction"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True, readonly=True
    )
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True, precompute=True, string="Debtor")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True, precompute=True)
    portfolio_id = fields.Many2one(related="case_id.portfolio_id", store=True, index=True, precompute=True)
    user_id = fields.Many2one(
        "res.users", string="Collector", required=True, index=True, default=lambda self: self.env.user, readonly=True
    )
    channel_id = fields.Many2one("collection.channel", required=True, ondelete="restrict")
    channel_code = fields.Char(related="channel_id.code", store=True, precompute=True)
    direction = fields.Selection(DIRECTIONS, required=True, default="outbound")
    date_start = fields.Datetime("Start", required=True, default=fields.Datetime.now, index=True, readonly=True)
    date_end = fields.Datetime("End", readonly=True)
    time_start = fields.Char("Start Time", compute="_compute_times")
    time_end = fields.Char("End Time", compute="_compute_times")
    duration = fields.Float("Duration (min)", compute="_compute_duration", store=True, digits=(8, 1), aggregator="avg")
    phone = fields.Char("Phone Used")
    email = fields.Char("E-mail Used")
    result_id = fields.Many2one("collection.result", required=True, ondelete="restrict")
    is_conversation = fields.Boolean(
        "Conversation",
        compute="_compute_is_conversation",
        store=True,
        help="The debtor in person was reached (right-party contact), as the result said when logged.",
    )
    note = fields.Text()
    next_action_date = fields.Date()
    callback_date = fields.Datetime("Call Back At")
    activity_id = fields.Many2one("mail.activity", string="Call-back Activity", readonly=True, ondelete="set null")
    promise_ids = fields.One2many("collection.promise", "interaction_id", string="Promises")
    dispute_ids = fields.One2many("collection.dispute", "interaction_id", string="Disputes")
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "collection_interaction_attachment_rel",
        "interaction_id",
        "attachment_id",
        string="Photos and Files",
    )
    latitude = fields.Float(digits=(10, 7))
    longitude = fields.Float(digits=(10, 7))
    policy_id = fields.Many2one("collection.contact.policy", string="Contact Policy", readonly=True)
    override_reason = fields.Char(
        "Rule Override", readonly=True, help="Why a supervisor allowed this contact against the contact policy."
    )
    overridden_rule = fields.Char(readonly=True)
    voided = fields.Boolean(help="Logged by mistake: kept, but no longer counted.")
    void_reason = fields.Char()

    @api.depends("date_start", "date_end")
    def _compute_duration(self):
        for interaction in self:
            if interaction.date_start and interaction.date_end:
                interaction.duration = max((interaction.date_end - interaction.date_start).total_seconds(), 0) / 60
            else:
                interaction.duration = 0.0

    @api.depends("date_start", "date_end")
    @api.depends_context("tz")
    def _compute_times(self):
        for interaction in self:
            start, end = interaction.date_start, interaction.date_end
            interaction.time_start = fields.Datetime.context_timestamp(self, start).strftime("%H:%M") if start else ""
            interaction.time_end = fields.Datetime.context_timestamp(self, end).strftime("%H:%M") if end else ""

    @api.depends("result_id")
    def _compute_is_conversation(self):
        # frozen when logged: changing the result code later does not rewrite history
        for interaction in self:
            interaction.is_conversation = interaction.result_id.is_contact

    @api.depends("channel_id", "result_id", "date_start")
    def _compute_display_name(self):
        for interaction in self:
            parts = [interaction.channel_id.name, interaction.result_id.name]
            interaction.display_name = " – ".join(part for part in parts if part) or _("Interaction")

    @api.constrains("result_id", "channel_id")
    def _check_result_channel(self):
        for interaction in self:
            channels = interaction.result_id.channel_ids
            if channels and interaction.channel_id not in channels:
                raise ValidationError(
                    _(
                        "The result %(result)s cannot be used for a %(channel)s.",
                        result=interaction.result_id.name,
                        channel=interaction.channel_id.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD: append-only
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        Case = self.env["collection.case"]
        supervisor = self.env.su or self.env.user.has_group("debt_collection.group_collection_supervisor")
        checked = []
        now = fields.Datetime.now()
        for vals in vals_list:
            if not self.env.su:
                refused = set(vals) - USER_FIELDS
                if refused:
                    raise AccessError(
                        _(
                            "These details of an interaction are set when it is logged: %s.",
                            ", ".join(sorted(refused)),
                        )
                    )
                if not supervisor and vals.get("user_id", self.env.uid) != self.env.uid:
                    raise AccessError(_("An interaction is logged by the collector who made it."))
            vals.setdefault("date_end", now)
            vals.setdefault("date_start", now)
            start = fields.Datetime.to_datetime(vals["date_start"])
            if start > now + FUTURE_TOLERANCE:
                raise ValidationError(
                    _("An interaction is logged once it has started: its start cannot be in the future.")
                )
            if fields.Datetime.to_datetime(vals["date_end"]) < start:
                raise ValidationError(_("An interaction cannot end before it starts."))
            case = Case.browse(vals.get("case_id"))
            if case and case.state == "closed" and not supervisor:
                raise UserError(_("The case %s is closed: interactions can no longer be logged on it.", case.name))
            reason = (vals.get("override_reason") or "").strip()
            if reason and not supervisor:
                raise AccessError(_("Only a collection supervisor can override the contact rules."))
            if self.env.su and self.env.context.get("collection_automatic_contact"):
                # a strategy's message: the contact rules were checked for the whole batch before sending
                checked.append((self.env["collection.contact.policy"], False))
                continue
            checked.append(self._check_contact_rules(vals, case, reason))
        interactions = super().create(vals_list)
        if self.env.su and self.env.context.get("collection_automatic_contact"):
            interactions._note_automatic_contacts()
            return interactions
        for interaction, (policy, overridden) in zip(interactions, checked, strict=True):
            interaction._check_result_requirements()
            if overridden:
                rule, message = overridden
                self.env["collection.event"]._log(
                    "contact_override",
                    _(
                        "Contact rule overridden by %(user)s: %(refusal)s Reason: %(reason)s",
                        user=self.env.user.name,
                        refusal=message,
                        reason=interaction.override_reason,
                    ),
                    cases=interaction.case_id,
                    payload={"interaction_id": interaction.id, "policy_id": policy.id, "rule": rule},
                )
        interactions._apply_result_effects()
        interactions._mark_visit_stops()
        return interactions

    def _mark_visit_stops(self):
        """A visit logged on a case planned that day for its collector marks
        the stop visited, with the visit."""
        visits = self.filtered(lambda i: i.channel_code in VISIT_CHANNELS and not i.voided)
        if not visits:
            return
        Stop = self.env["collection.visit.stop"].sudo()
        stops = Stop.search(
            [
                ("case_id", "in", visits.case_id.ids),
                ("state", "=", "planned"),
                ("plan_id.user_id", "in", visits.user_id.ids),
            ]
        )
        for visit in visits:
            # the collector's day, in their own time zone
            day = fields.Datetime.context_timestamp(
                visit.with_context(tz=visit.user_id.tz or "UTC"), visit.date_start
            ).date()
            stop = stops.filtered(
                lambda s, v=visit, d=day: (
                    s.case_id == v.case_id and s.plan_id.user_id == v.user_id and s.plan_id.date == d
                )
            )[:1]
            if stop:
                stop.write({"state": "done", "interaction_id": visit.id})

    def _check_contact_rules(self, vals, case, override_reason):
        """Refuse an outbound contact the debtor's contact policy forbids,
        unless a supervisor overrides it with a reason. Returns (policy,
        (rule, refusal message) overridden, or False) and fills the
        interaction's policy fields in ``vals``."""
        channel = self.env["collection.channel"].browse(vals.get("channel_id"))
        if not case or not channel or vals.get("direction", "outbound") != "outbound":
            return self.env["collection.contact.policy"], False
        when = fields.Datetime.to_datetime(vals["date_start"])
        verdict, policy, timezones = case._contact_verdict(channel.code, when)
        vals["policy_id"] = policy.id
        if verdict.allowed:
            vals.pop("override_reason", None)
            return policy, False
        message = case._contact_refusal_message(verdict, policy, timezones, channel)
        if not override_reason:
            raise ContactRefused(message)
        vals["override_reason"] = override_reason
        vals["overridden_rule"] = verdict.rule
        return policy, (verdict.rule, message)

    def _check_result_requirements(self):
        """What the result code requires: a promise, a call-back date, a dispute."""
        for interaction in self:
            result = interaction.result_id
            if result.requires_promise and not interaction.promise_ids:
                raise ValidationError(
                    _("The result %s requires a promise to pay: enter its amount and date.", result.name)
                )
            if result.is_callback and not interaction.callback_date:
                raise ValidationError(_("The result %s requires the date and time to call back.", result.name))
            if result.is_dispute and not interaction.dispute_ids:
                raise ValidationError(
                    _("The result %s opens a dispute: choose its reason and the installments contested.", result.name)
                )
            if result.is_wrong_number and not interaction.phone:
                raise ValidationError(_("The result %s needs the phone number that was wrong.", result.name))

    def write(self, vals):
        if not self.env.su:
            if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
                raise AccessError(
                    _(
                        "Logged interactions cannot be changed. Log a new interaction to add or correct "
                        "something, or ask a supervisor."
                    )
                )
            refused = set(vals) - CORRECTABLE_FIELDS
            if refused:
                raise AccessError(
                    _("These details of a logged interaction cannot be changed: %s.", ", ".join(sorted(refused)))
                )
            self._log_correction(vals)
        return super().write(vals)

    def _log_correction(self, vals):
        """One event per corrected interaction with the old and new values."""
        Event = self.env["collection.event"]
        for interaction in self:
            changes = {}
            for name, new in vals.items():
                field = self._fields[name]
                old = field.convert_to_write(interaction[name], interaction)
                if old != new and not (field.type == "many2one" and old == (new or False)):
                    changes[name] = {"old": old, "new": new}
            if changes:
                Event._log(
                    "interaction",
                    _(
                        "Interaction of %(date)s corrected by %(user)s: %(fields)s.",
                        date=interaction.date_start,
                        user=self.env.user.name,
                        fields=", ".join(self._fields[name].string for name in changes),
                    ),
                    cases=interaction.case_id,
                    payload={"interaction_id": interaction.id, "changes": changes},
                )

    def unlink(self):  # pylint: disable=method-required-super
        self.check_access("unlink")
        raise UserError(
            _("Interactions are kept in the case history and cannot be deleted; a supervisor can void one.")
        )

    # ------------------------------------------------------------------
    # Effects of the result
    # ------------------------------------------------------------------
    def _apply_result_effects(self):
        """Apply what each interaction's result code implies: last contact,
        next action, call-back activity, invalid phone, stage; then post the
        interaction in the case's chatter."""
        call_type = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        for interaction in self:
            case = interaction.case_id
            result = interaction.result_id
            case_vals = {}
            if not case.last_interaction_date or case.last_interaction_date < interaction.date_start:
                case_vals["last_interaction_date"] = interaction.date_start
            if result.is_contact and (not case.last_contact_date or case.last_contact_date < interaction.date_start):
                case_vals["last_contact_date"] = interaction.date_start
            if interaction.next_action_date:
                case_vals["next_action_date"] = interaction.next_action_date
            elif case.next_action_date and case.next_action_date <= interaction._local_date():
                # the follow-up that was due is done by this contact
                case_vals["next_action_date"] = False
            if result.stage_id and case.state == "open" and case.stage_id != result.stage_id:
                case_vals["stage_id"] = result.stage_id.id
            if case_vals:
                # the case's own record of its last contact: set by the interaction the user was allowed to log
                case.sudo().write(case_vals)
            supervisor = case.team_id.supervisor_id
            if result.is_refusal and supervisor:
                case.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=_("Debtor refuses to pay"),
                    note=escape(interaction.note or ""),
                    user_id=supervisor.id,
                )
            if result.is_wrong_number and interaction.phone:
                case.partner_id._collection_flag_phone_invalid(interaction.phone, interaction)
            interaction._answer_due_callbacks()
            if result.is_callback and interaction.callback_date:
                user = interaction.user_id
                local = fields.Datetime.context_timestamp(interaction.with_user(user), interaction.callback_date)
                activity = case.activity_schedule(
                    activity_type_id=call_type.id if call_type else False,
                    date_deadline=local.date(),
                    summary=_("Call back at %s", local.strftime("%H:%M")),
                    note=escape(interaction.note or ""),
                    user_id=user.id,
                    automated=False,
                )
                interaction.sudo().activity_id = activity
            case.message_post(
                body=interaction._chatter_body(),
                subtype_xmlid="mail.mt_note",
                author_id=interaction.user_id.partner_id.id,
            )

    def _note_automatic_contacts(self):
        """A strategy's messages only move their cases' last interaction date
        (one statement): no follow-up is done, no call-back answered, and
        the message itself is the chatter's record."""
        self.flush_recordset(["case_id", "date_start"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE collection_case c
                   SET last_interaction_date = i.date_start
                  FROM (SELECT case_id, MAX(date_start) AS date_start FROM collection_interaction
                         WHERE id = ANY(%s) GROUP BY case_id) i
                 WHERE c.id = i.case_id
                   AND (c.last_interaction_date IS NULL OR c.last_interaction_date < i.date_start)
                """,
                self.ids,
            )
        )
        self.env["collection.case"].invalidate_model(["last_interaction_date"])

    def _local_date(self):
        """The interaction's day in its collector's time zone."""
        self.ensure_one()
        return fields.Datetime.context_timestamp(self.with_user(self.user_id), self.date_start).date()

    def _answer_due_callbacks(self):
        """Mark done the call activities of the case that this contact
        answers: due on or before its day, for its collector. Returns them
        (done activities are archived by Odoo and stay in the chatter)."""
        self.ensure_one()
        due = self.case_id._collection_due_call_activities(self.user_id, self._local_date())
        if due:
            due.with_user(self.user_id).sudo().action_feedback(
                feedback=_("Answered by the contact logged on %s.", self.display_name)
            )
        return due

    def _chatter_body(self):
        self.ensure_one()
        direction = dict(DIRECTIONS)[self.direction]
        head = Markup("<b>%s</b> (%s) – %s") % (self.channel_id.name, direction, self.result_id.name)
        used = self.phone or self.email
        lines = [head + (Markup(" · %s") % used if used else "")]
        if self.note:
            lines.append(escape(self.note))
        for promise in self.promise_ids:
            lines.append(
                escape(
                    _(
                        "Promise to pay %(amount)s on %(date)s.",
                        amount=promise.currency_id.format(promise.amount),
                        date=promise.date_promise,
                    )
                )
            )
        for dispute in self.dispute_ids:
            lines.append(
                escape(_("Dispute %(name)s opened: %(reason)s.", name=dispute.name, reason=dispute.reason_id.name))
            )
        if self.override_reason:
            lines.append(escape(_("Contact rule overridden: %s", self.override_reason)))
        return Markup("<br/>").join(lines)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_void(self):
        """Supervisors void interactions logged by mistake (kept, logged,
        no longer counted by the contact rules)."""
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can void an interaction."))
        self.filtered(lambda i: not i.voided).write(
            {"voided": True, "void_reason": self.env.context.get("void_reason") or _("Voided by a supervisor")}
        )

    def action_update_debtor_position(self):
        """Place the debtor where this visit was logged (the collector's GPS
        position): the collector who logged it or a supervisor; the position
        it replaces stays in the debtor's position history."""
        self.ensure_one()
        self.check_access("read")
        if self.env.user != self.user_id and not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only the collector who logged the visit or a supervisor can move the debtor."))
        if self.voided or not geo.has_position(self.latitude, self.longitude):
            raise UserError(_("This interaction holds no position to place the debtor at."))
        self.partner_id.sudo().with_context(
            collection_location_source="visit", collection_location_interaction_id=self.id
        ).write({"partner_latitude": self.latitude, "partner_longitude": self.longitude})
        return True
