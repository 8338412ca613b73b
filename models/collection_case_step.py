"""The step history of a case: every rung of a strategy the daily run
reached for it, what it did (or why it did not), and the proposed actions
waiting for a person; carrying out the actions in batches."""

from datetime import timedelta

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools import split_every

from ..tools import strategy as ladder
from .collection_strategy import LETTER_LEVELS

STEP_STATES = [
    ("new", "To run"),
    ("proposed", "Proposed"),
    ("postponed", "Postponed"),
    ("to_print", "Letter to print"),
    ("done", "Done"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
# steps a person or a later run may still carry out
PENDING_STATES = ("new", "proposed", "postponed")
# e-mails rendered per template call: a rendering error is retried case by case
MAIL_BATCH = 200


class CollectionCaseStep(models.Model):
    _name = "collection.case.step"
    _description = "Collection Strategy Step of a Case"
    _order = "date_planned desc, id desc"
    _check_company_auto = True

    name = fields.Char("Step", required=True, readonly=True)
    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="cascade", readonly=True, check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor")
    user_id = fields.Many2one(related="case_id.user_id", string="Collector")
    team_id = fields.Many2one(related="case_id.team_id", string="Team")
    portfolio_id = fields.Many2one(related="case_id.portfolio_id", string="Portfolio")
    amount_overdue = fields.Monetary(related="case_id.amount_overdue")
    currency_id = fields.Many2one(related="case_id.currency_id")
    strategy_id = fields.Many2one("collection.strategy", readonly=True, index=True, ondelete="set null")
    version_id = fields.Many2one("collection.strategy.version", readonly=True, index=True, ondelete="set null")
    step_id = fields.Many2one(
        "collection.strategy.step", string="Strategy Step", readonly=True, index=True, ondelete="set null"
    )
    run_id = fields.Many2one("collection.strategy.run", readonly=True, index="btree_not_null", ondelete="set null")
    action = fields.Selection(ladder.ACTIONS, required=True, readonly=True)
    mode = fields.Selection([("auto", "Automatic"), ("proposed", "Proposed")], required=True, readonly=True)
    letter_level = fields.Selection(LETTER_LEVELS, readonly=True)
    anchor_date = fields.Date(
        "Due Date Counted From", readonly=True, help="The oldest unpaid due date the step's day counts from."
    )
    state = fields.Selection(STEP_STATES, required=True, default="new", readonly=True, index=True)
    date_planned = fields.Datetime("Planned", readonly=True, index=True)
    date_done = fields.Datetime("Done On", readonly=True)
    done_by_id = fields.Many2one("res.users", string="Confirmed by", readonly=True)
    reason = fields.Char(readonly=True, help="Why the step was skipped, postponed or failed.")
    mail_message_id = fields.Many2one("mail.message", string="E-mail", readonly=True, ondelete="set null")
    sms_id = fields.Many2one("sms.sms", string="SMS", readonly=True, ondelete="set null")
    activity_id = fields.Many2one("mail.activity", string="Task", readonly=True, ondelete="set null")
    attachment_id = fields.Many2one("ir.attachment", string="Letter", readonly=True, ondelete="set null")

    _sql_constraints = [
        (
            "idempotency_uniq",
            "unique(case_id, step_id, version_id, anchor_date)",
            "A strategy step runs once per case, version and due date.",
        ),
    ]

    def _compute_display_name(self):
        for step in self:
            step.display_name = f"{step.case_id.name} - {step.name}"

    # ------------------------------------------------------------------
    # People's decisions on proposed actions
    # ------------------------------------------------------------------
    def _check_may_decide(self):
        """The case's collector (or their substitute) and supervisors decide
        on a proposed step; they must see it (record rules)."""
        self.check_access("read")
        if self.env.user.has_group("debt_collection.group_collection_supervisor") or self.env.su:
            return
        mine = self.env["collection.case"].search(
            [("id", "in", self.case_id.ids), ("acting_user_ids", "in", self.env.uid)]
        )
        if self.case_id - mine:
            raise AccessError(_("Only the collector of a case or a supervisor decides on its proposed actions."))

    def _waiting_for_decision(self):
        """The steps a person may still confirm, postpone or skip."""
        steps = self.filtered(lambda step: step.state in ("proposed", "postponed"))
        if not steps:
            raise UserError(_("None of the selected steps is waiting for a decision."))
        return steps

    def action_confirm(self):
        self._check_may_decide()
        steps = self._waiting_for_decision().sudo()
        steps.write({"done_by_id": self.env.uid})
        steps._execute(confirmed=True)
        return self._decision_feedback(steps)

    def action_skip(self):
        self._check_may_decide()
        steps = self._waiting_for_decision().sudo()
        steps.write(
            {
                "state": "skipped",
                "reason": _("Skipped by %s", self.env.user.name),
                "done_by_id": self.env.uid,
                "date_done": fields.Datetime.now(),
            }
        )
        return self._decision_feedback(steps)

    def action_postpone(self):
        self._check_may_decide()
        steps = self._waiting_for_decision()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case.step.postpone",
            "view_mode": "form",
            "target": "new",
            "name": _("Postpone"),
            "context": {"active_model": self._name, "active_ids": steps.ids},
        }

    def _postpone(self, when, note=False):
        self._check_may_decide()
        steps = self._waiting_for_decision().sudo()
        steps.write(
            {
                "date_planned": when,
                "reason": note or _("Postponed by %s", self.env.user.name),
                "done_by_id": self.env.uid,
            }
        )
        return steps

    def _decision_feedback(self, steps):
        states = dict(self._fields["state"]._description_selection(self.env))
        counts = {}
        for step in steps:
            counts[states[step.state]] = counts.get(states[step.state], 0) + 1
        message = ", ".join(f"{label}: {count}" for label, count in sorted(counts.items()))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Proposed actions"),
                "message": message,
                "type": "success" if "failed" not in {step.state for step in steps} else "warning",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------
    # Carrying out steps
    # ------------------------------------------------------------------
    @api.model
    def _cron_run_due(self):
        """Postponed steps whose time has come (the next instant the contact
        rules allow), every hour."""
        steps = self.search([("state", "=", "postponed"), ("date_planned", "<=", fields.Datetime.now())])
        for chunk in split_every(2000, steps.ids, self.browse):
            chunk._execute(confirmed=True)

    def _execute(self, confirmed=False, now=None):
        """Carry out the steps of ``self`` (as the superuser: the daily run,
        or a decision already checked). New automatic steps and confirmed or
        due ones run; new proposed steps wait for a person. Every step ends
        done, to print, postponed, skipped or failed, with its reason."""
        now = now or fields.Datetime.now()
        steps = self.sudo().filtered(lambda step: step.state in PENDING_STATES)
        if not steps:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT id FROM collection_case WHERE id = ANY(%s) AND state != 'open'", steps.case_id.ids)
        )
        closed_ids = {case_id for (case_id,) in self.env.cr.fetchall()}
        closed = steps.filtered(lambda step: step.case_id.id in closed_ids)
        closed.write({"state": "cancelled", "reason": _("The case is closed."), "date_done": now})
        steps -= closed
        frozen = steps._frozen_steps()
        facts = steps.case_id._step_skip_facts()
        reasons = {
            "dispute": _("An open dispute covers what is overdue."),
            "promise": _("A promise to pay is running."),
            "agreement": _("A payment agreement is running."),
            "do_not_contact": _("The debtor asked not to be contacted."),
        }
        by_reason = {}
        for step in steps:
            code = ladder.skip_reason(frozen[step.id], facts[step.case_id.id])
            if code:
                by_reason.setdefault(code, []).append(step.id)
        for code, ids in by_reason.items():
            self.browse(ids).write({"state": "skipped", "reason": reasons[code], "date_done": now})
        steps = steps.filtered(lambda step: step.state in PENDING_STATES)
        if not confirmed:
            waiting = steps.filtered(lambda step: step.mode == "proposed" and step.state == "new")
            waiting.write({"state": "proposed"})
            steps -= waiting
        for action, group in steps.grouped("action").items():
            getattr(group, f"_run_{action}")(now, frozen)

    def _frozen_steps(self):
        """{step id: the strategy step as frozen in the step's version} (the
        live strategy step, or safe defaults, when the version is gone)."""
        by_version = {}
        for version in self.version_id:
            _domain, steps = ladder.thaw(version.frozen)
            by_version[version.id] = {step["id"]: step for step in steps}
        result = {}
        for step in self:
            data = by_version.get(step.version_id.id, {}).get(step.step_id.id)
            if not data:
                live = step.step_id
                data = {"action": step.action, "days": 0, "sequence": 0, "id": live.id}
                for name in ladder.STEP_FIELDS:
                    if name in ("days", "sequence", "action"):
                        continue
                    value = live[name] if live else (name.startswith("skip_") or False)
                    data[name] = value.id if isinstance(value, models.BaseModel) else value
            result[step.id] = data
        return result

    def _by_target(self, frozen, key, model):
        """[(record of ``model`` named by the frozen step's ``key``, steps)]:
        an empty record when the step names none or it no longer exists."""
        Model = self.env[model]
        return [
            (Model.browse(target_id).exists() if target_id else Model, group)
            for target_id, group in self.grouped(lambda step: frozen[step.id].get(key)).items()
        ]

    def _done(self, now, **vals):
        self.write(dict(vals, state="done", date_done=now, reason=False))

    def _skip(self, now, reason):
        self.write({"state": "skipped", "date_done": now, "reason": reason})

    def _fail(self, now, reason):
        self.write({"state": "failed", "date_done": now, "reason": reason[:500]})

    def _allowed_by_contact_rules(self, channel_code, now):
        """The steps the debtor's contact policy allows now; the others are
        postponed to the next instant it allows, or skipped when it never
        will (do not contact, channel not authorised)."""
        cases = self.case_id
        verdicts = cases._contact_verdicts(channel_code, now)
        allowed = self.browse()
        for step in self:
            verdict, _policy, _timezones = verdicts[step.case_id.id]
            if verdict.allowed:
                allowed |= step
            elif verdict.next_allowed:
                step.write(
                    {
                        "state": "postponed",
                        "date_planned": verdict.next_allowed,
                        "reason": _("Outside what the contact rules allow now; sent when they allow it."),
                    }
                )
            else:
                step._skip(now, _("The contact rules refuse this channel for the debtor."))
        return allowed

    def _run_email(self, now, frozen):
        steps = self._allowed_by_contact_rules("email", now)
        no_address = steps.filtered(lambda step: not step.case_id.partner_id.email)
        no_address._skip(now, _("The debtor has no e-mail address."))
        steps -= no_address
        for template, group in steps._by_target(frozen, "mail_template_id", "mail.template"):
            if not template:
                group._fail(now, _("The step has no e-mail template."))
                continue
            for chunk in split_every(MAIL_BATCH, group.ids, self.browse):
                chunk._send_mails(template, now)

    def _send_mails(self, template, now):
        """One batch render of the template; a case whose rendering fails is
        retried alone and, failing again, logged as failed on its case."""
        try:
            with self.env.cr.savepoint():
                mails = template.sudo().send_mail_batch(self.case_id.ids, force_send=False)
        except Exception:  # noqa: BLE001 - one bad case must not stop the batch
            for step in self:
                try:
                    with self.env.cr.savepoint():
                        mail = template.sudo().send_mail_batch([step.case_id.id], force_send=False)
                    step._done(now, mail_message_id=mail.mail_message_id.id)
                    step._log_contacts("email", now, {step.id: step.case_id.partner_id.email})
                except Exception as error:  # noqa: BLE001
                    step._fail(now, _("The e-mail could not be prepared: %s", error))
            return
        message_of = {mail.res_id: mail.mail_message_id.id for mail in mails}
        for step in self:
            step._done(now, mail_message_id=message_of.get(step.case_id.id))
        self._log_contacts("email", now, {step.id: step.case_id.partner_id.email for step in self})

    def _run_sms(self, now, frozen):
        steps = self._allowed_by_contact_rules("sms", now)
        numbers = {}
        for step in steps:
            debtor = step.case_id.partner_id
            raw = debtor.mobile or debtor.phone
            numbers[step.id] = debtor._phone_format(number=raw, force_format="E164") if raw else False
        no_number = steps.filtered(lambda step: not numbers[step.id])
        no_number._skip(now, _("The debtor has no valid mobile number."))
        steps -= no_number
        Sms = self.env["sms.sms"].sudo()
        for template, group in steps._by_target(frozen, "sms_template_id", "sms.template"):
            if not template:
                group._fail(now, _("The step has no SMS template."))
                continue
            try:
                with self.env.cr.savepoint():
                    bodies = template._render_field("body", group.case_id.ids, compute_lang=True)
            except Exception as error:  # noqa: BLE001
                group._fail(now, _("The SMS could not be prepared: %s", error))
                continue
            sms_list = Sms.create(
                [
                    {
                        "number": numbers[step.id],
                        "partner_id": step.case_id.partner_id.id,
                        "body": bodies[step.case_id.id],
                        "state": "outgoing",
                    }
                    for step in group
                ]
            )
            for step, sms in zip(group, sms_list, strict=True):
                step._done(now, sms_id=sms.id)
            group._log_contacts("sms", now, numbers)

    def _log_contacts(self, channel_code, now, address_of):
        """Each message sent is an interaction of the case (result *Message
        sent*): the debtor's contact history and the contact policies' limits
        count it like a collector's."""
        channel = self.env["collection.channel"].sudo().search([("code", "=", channel_code)], limit=1)
        result = self.env.ref("debt_collection.collection_result_sent", raise_if_not_found=False)
        if not channel or not result or not self:
            return
        address_field = "email" if channel_code == "email" else "phone"
        self.env["collection.interaction"].sudo().with_context(collection_automatic_contact=True).create(
            [
                {
                    "case_id": step.case_id.id,
                    "user_id": step.case_id.user_id.id or self.env.uid,
                    "channel_id": channel.id,
                    "direction": "outbound",
                    "date_start": now,
                    "date_end": now,
                    "result_id": result.id,
                    address_field: address_of.get(step.id) or False,
                    "note": _("Strategy step: %s", step.name),
                }
                for step in self
            ]
        )

    def _run_letter(self, now, frozen):
        self.write({"state": "to_print", "reason": False})

    def _run_call(self, now, frozen):
        self._create_tasks(now, self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False))

    def _run_visit(self, now, frozen):
        self._create_tasks(now, self.env.ref("debt_collection.mail_activity_type_collection_visit"))

    def _create_tasks(self, now, activity_type):
        """A task for whoever holds the case (its team's supervisor when no
        collector does), due today, without notification e-mails."""
        model_id = self.env["ir.model"]._get_id("collection.case")
        today = fields.Date.context_today(self)
        vals_list, steps = [], self.browse()
        for step in self:
            case = step.case_id
            holder = case.user_id or case.team_id.supervisor_id
            if not holder:
                step._skip(now, _("Nobody holds the case to do the task."))
                continue
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": case.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": step.name,
                    "user_id": holder.id,
                    "date_deadline": today,
                }
            )
            steps |= step
        activities = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)
        for step, activity in zip(steps, activities, strict=True):
            step._done(now, activity_id=activity.id)

    def _run_stage(self, now, frozen):
        for stage, group in self._by_target(frozen, "stage_id", "collection.stage"):
            if not stage:
                group._fail(now, _("The step has no stage."))
                continue
            group.case_id.write({"stage_id": stage.id})
            group._done(now)

    def _run_queue(self, now, frozen):
        for team, group in self._by_target(frozen, "team_id", "collection.team"):
            if not team:
                group._fail(now, _("The step has no queue."))
                continue
            group.case_id._route_to_queue(team)
            group._done(now)

    def _run_legal(self, now, frozen):
        for company_cases in self.case_id.grouped("company_id").values():
            stage = company_cases[0]._litigation_stage()
            if not stage:
                self.filtered(lambda step, cc=company_cases: step.case_id in cc)._fail(
                    now, _("There is no litigation stage.")
                )
                continue
            company_cases.write({"stage_id": stage.id})
            self.env["collection.event"].sudo()._log(
                "other", _("Case handed over to legal by its collection strategy."), cases=company_cases
            )
        self.filtered(lambda step: step.state in PENDING_STATES)._done(now)

    def _run_register(self, now, frozen):
        """The register's pre-notice (the entry follows after the notice
        period, in the daily run)."""
        self.case_id._register_notice("strategy")
        self._done(now)

    # ------------------------------------------------------------------
    # Letters
    # ------------------------------------------------------------------
    def _letter_lines(self):
        """The open installments a letter lists, oldest first."""
        self.ensure_one()
        return self.case_id.installment_ids.filtered(lambda i: i.state in ("pending", "partial")).sorted(
            lambda i: (i.date_due or fields.Date.today(), i.id)
        )

    def _letter_amount_in_words(self):
        self.ensure_one()
        case = self.case_id
        return case.currency_id.with_context(lang=case.partner_id.lang or self.env.lang).amount_to_text(
            case.amount_residual
        )

    def _letter_payments(self):
        """The last payments received on the case, for the letter's statement."""
        self.ensure_one()
        return (
            self.env["collection.payment"]
            .sudo()
            .search([("case_id", "=", self.case_id.id), ("state", "=", "posted")], order="date desc, id desc", limit=10)
        )

    @api.model
    def _letter_ids_to_print(self, portfolio_ids=None):
        domain = [("state", "=", "to_print"), ("case_id.state", "=", "open")]
        if portfolio_ids:
            domain.append(("case_id.portfolio_id", "in", portfolio_ids))
        return self.search(domain, order="id").ids

    def _mark_printed(self, pdf_streams):
        """Letters printed: done, each one's PDF archived on its case."""
        now = fields.Datetime.now()
        Attachment = self.env["ir.attachment"].sudo()
        for step in self:
            raw = pdf_streams.get(step.id)
            attachment = Attachment
            if raw:
                attachment = Attachment.create(
                    {
                        "name": _("Letter %(case)s %(date)s.pdf", case=step.case_id.name, date=fields.Date.today()),
                        "raw": raw,
                        "res_model": "collection.case",
                        "res_id": step.case_id.id,
                        "mimetype": "application/pdf",
                    }
                )
            step._done(now, attachment_id=attachment.id)
            step.case_id.sudo().message_post(
                body=_("Letter printed: %s", step.name), attachment_ids=attachment.ids, message_type="comment"
            )
        self._log_contacts("letter", now, {})
        self._register_notices_printed()

    def _register_notices_printed(self):
        """A register pre-notice letter printed: the notice period starts."""
        today = fields.Date.context_today(self)
        for entry in (
            self.env["collection.register"]
            .sudo()
            .search([("notice_step_id", "in", self.ids), ("date_notice", "=", False)])
        ):
            days = entry.company_id.collection_register_notice_days
            entry.write({"date_notice": today, "date_entry_planned": today + timedelta(days=days)})

    def unlink(self):
        self.check_access("unlink")
        if not self.env.su:
            raise UserError(_("The step history of a case is kept: steps cannot be deleted."))
        return super().unlink()

    @api.model
    def _insert_due(self, case_ids, run, today, now):
        """Insert, in one statement, the step each case of ``case_ids`` has
        reached in its strategy version (the temporary table
        ``collection_strategy_ladder`` holds the versions' steps), unless
        the same case, step, version and due date already has one: the
        idempotency key. Returns the ids of the new steps."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO collection_case_step
                       (name, case_id, company_id, strategy_id, version_id, step_id, run_id, action, mode,
                        letter_level, anchor_date, state, date_planned, create_uid, create_date, write_uid, write_date)
                SELECT s.name, c.id, c.company_id, s.strategy_id, s.version_id, s.step_id, %(run)s, s.action,
                       s.mode, s.letter_level, c.date_oldest_due, 'new', %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM collection_case c
                  JOIN LATERAL (
                        SELECT * FROM collection_strategy_ladder l
                         WHERE l.version_id = c.strategy_version_id
                           AND l.days <= %(today)s::date - c.date_oldest_due
                         ORDER BY l.days DESC, l.sequence DESC, l.step_id DESC
                         LIMIT 1
                  ) s ON TRUE
                 WHERE c.id = ANY(%(ids)s) AND c.state = 'open' AND c.date_oldest_due IS NOT NULL
                ON CONFLICT ON CONSTRAINT collection_case_step_idempotency_uniq DO NOTHING
                RETURNING id
                """,
                run=run.id if run else None,
                now=now,
                uid=self.env.uid,
                today=today,
                ids=list(case_ids),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]
