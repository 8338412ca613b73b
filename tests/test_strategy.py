"""Strategies on real cases: segments and versions, explained scores, each
kind of step, proposals, skip rules, contact-rule postponement, letters,
and a run restarted after a crash sending nothing twice."""

import base64
import shutil
from datetime import datetime
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.sql_db import db_connect
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from ..models import collection_case_daily
from ..models.collection_strategy import StrategyRunBusy
from .common import CollectionCommon
from .common import pdf_text

FROZEN_DAY = "2026-03-10"


class WorkerKilled(BaseException):
    """Stands for the worker process dying in the middle of a run (not an
    error the run could catch)."""


class StrategyCommon(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # the shipped strategies stay out of the way: these tests build their own
        env["collection.strategy"].search([]).active = False
        cls.colombia = env.ref("base.co")
        cls.mail_template = env.ref("debt_collection.mail_template_collection_reminder")
        cls.channels = env["collection.channel"].search([("code", "in", ("email", "sms", "call", "visit", "letter"))])
        cls.sms_template = env.ref("debt_collection.sms_template_collection_overdue")
        cls.queue_team = env["collection.team"].create(
            {
                "name": "Queue team",
                "queue": True,
                "company_id": cls.company.id,
                "member_ids": [
                    Command.create({"user_id": cls.collector_a.id}),
                    Command.create({"user_id": cls.collector_b.id}),
                ],
            }
        )
        cls.strategy = env["collection.strategy"].create(
            {
                "name": "Test ladder",
                "sequence": 50,
                "domain": f"[('portfolio_id', '=', {cls.external.id})]",
                "step_ids": [
                    Command.create(
                        {"name": "Reminder", "days": -3, "action": "email", "mail_template_id": cls.mail_template.id}
                    ),
                    Command.create({"name": "SMS", "days": 1, "action": "sms", "sms_template_id": cls.sms_template.id}),
                    Command.create({"name": "Call", "days": 5, "action": "call"}),
                    Command.create({"name": "Formal letter", "days": 10, "action": "letter", "letter_level": "formal"}),
                    Command.create({"name": "Pre-legal", "days": 30, "action": "letter", "letter_level": "prelegal"}),
                    Command.create({"name": "Legal review", "days": 60, "action": "legal", "mode": "proposed"}),
                ],
            }
        )

    def _debtor_case(self, name, due_in, amount=500.0, **debtor_vals):
        debtor_vals.setdefault("country_id", self.colombia.id)
        # Ley 2300: the debtor authorised these channels
        debtor_vals.setdefault("collection_channel_ids", [Command.set(self.channels.ids)])
        debtor_vals.setdefault("email", f"{name.split()[0].lower()}@example.com")
        debtor_vals.setdefault("mobile", "+57 312 555 0101")
        return self._case(self._debtor(name, **debtor_vals), self.collector_a, installments=((due_in, amount),))

    def _run(self, when=FROZEN_DAY + " 15:00:00"):
        """The daily run's strategy part at ``when`` (UTC): 10:00 in Bogotá."""
        with freeze_time(when):
            Case = self.env["collection.case"]
            Case._refresh_aging()
            return Case._run_strategies()

    def _steps(self, case):
        return case.step_ids.sorted("id")


@tagged("post_install", "-at_install")
@freeze_time(FROZEN_DAY + " 15:00:00")
class TestStrategy(StrategyCommon):
    # ------------------------------------------------------------ segments and versions
    def test_first_matching_strategy_and_versions(self):
        big = self._debtor_case("Ana Big", -20, amount=5000.0)
        small = self._debtor_case("Beto Small", -20, amount=50.0)
        large = self.env["collection.strategy"].create(
            {
                "name": "Large balances",
                "sequence": 10,
                "domain": f"[('portfolio_id', '=', {self.external.id}), ('amount_residual', '>=', 1000)]",
                "step_ids": [Command.create({"name": "Big call", "days": 1, "action": "call"})],
            }
        )
        run = self._run()
        self.assertEqual((big.strategy_id, small.strategy_id), (large, self.strategy))
        self.assertEqual(big.strategy_date.isoformat(), FROZEN_DAY)
        self.assertEqual(big.strategy_version_id, large.version_id)
        self.assertEqual(large.version_id.number, 1)
        # one step reached per case, the rung of 20 days overdue
        self.assertEqual(self._steps(big).mapped("name"), ["Big call"])
        self.assertEqual(self._steps(small).mapped("name"), ["Formal letter"])
        self.assertEqual(run.case_count >= 2, True)
        line = run.line_ids.filtered(lambda line: line.strategy_id == large)
        self.assertEqual((line.state, line.count), ("done", 1))

        # editing a strategy in use makes a new version; cases keep theirs until the next run
        v1 = large.version_id
        large.step_ids.days = 2
        self.assertEqual(large.version_id.number, 2)
        self.assertEqual(big.strategy_version_id, v1, "kept until the next run")
        self.assertEqual(self._steps(big).version_id, v1, "the history says which version did what")
        self._run(FROZEN_DAY + " 16:00:00")
        self.assertEqual(big.strategy_version_id, large.version_id)
        # the new version's rung is a new step for the case (its key names the version)
        self.assertEqual(self._steps(big).mapped("version_id.number"), [1, 2])
        with self.assertRaises(UserError):
            large.unlink()
        # an unused version follows edits instead of multiplying
        unused = self.env["collection.strategy"].create({"name": "Unused", "domain": "[('id', '=', 0)]"})
        unused.write({"step_ids": [Command.create({"name": "x", "days": 3, "action": "call"})]})
        self.assertEqual(unused.version_id.number, 1)
        unused.unlink()

    def test_invalid_domain_refused_and_a_broken_one_skipped_by_the_run(self):
        with self.assertRaises(ValidationError):
            self.env["collection.strategy"].create({"name": "Bad", "domain": "[('no_such_field', '=', 1)]"})
        with self.assertRaises(ValidationError):
            self.env["collection.strategy"].create({"name": "Bad", "domain": "[('amount_residual', '>'"})
        broken = self.env["collection.strategy"].create({"name": "Breaks later", "sequence": 1, "domain": "[]"})
        # a field removed later: the stored domain no longer works
        self.env.cr.execute(
            "UPDATE collection_strategy SET domain = %s WHERE id = %s", ["[('gone_field', '=', 1)]", broken.id]
        )
        broken.invalidate_recordset()
        case = self._debtor_case("Carla Later", -20)
        run = self._run()
        self.assertIn("Breaks later", run.message)
        self.assertIn("gone_field", broken.error)
        self.assertEqual(case.strategy_id, self.strategy, "the other strategies still run")

    # ------------------------------------------------------------ score
    def test_score_rules_explained_and_configurable(self):
        case = self._debtor_case("Diego Score", -40, amount=600.0)
        self.assertEqual(round(case.priority_score), 24)
        self.assertIn("Days overdue", case.score_explanation)
        self.assertIn("5.48", case.score_explanation, "40 of 365 days of 50 points")
        tag = self.env["res.partner.category"].create({"name": "VIP debtor"})
        case.partner_id.category_id = tag
        rule = self.env["collection.score.rule"].create(
            {"name": "VIP", "fact": "debtor_tag", "method": "flag", "weight": 20.0, "tag_id": tag.id}
        )
        case.invalidate_recordset()
        self.assertEqual(round(case.priority_score), 44, "the daily SQL applies the new rule at once")
        self.assertIn("VIP", case.score_explanation)
        self.assertEqual(case.score_band, "medium")
        self.company.collection_score_medium = 50.0
        case.invalidate_recordset(["score_band"])
        self.assertEqual(case.score_band, "low")
        self.assertIn(case, self.env["collection.case"].search([("score_band", "=", "low"), ("id", "=", case.id)]))
        with self.assertRaises(ValidationError):
            rule.copy({"fact": "days_overdue", "method": "flag"})
        bands = self.env["collection.score.rule"].create(
            {
                "name": "Bands",
                "fact": "days_overdue",
                "method": "bands",
                "band_ids": [
                    Command.create({"value_from": 30, "points": 7}),
                    Command.create({"value_from": 90, "points": 9}),
                ],
            }
        )
        case.invalidate_recordset()
        self.assertEqual(round(case.priority_score), 51)
        bands.active = False
        rule.active = False
        case.invalidate_recordset()
        self.assertEqual(round(case.priority_score), 24)

    # ------------------------------------------------------------ actions
    def test_each_action_of_the_ladder(self):
        early = self._debtor_case("Elena Early", 3)
        sms = self._debtor_case("Fabio Sms", -1)
        call = self._debtor_case("Gina Call", -6)
        letter = self._debtor_case("Hugo Letter", -12)
        legal = self._debtor_case("Iris Legal", -70)
        self._run()
        mail = self.env["mail.mail"].search([("model", "=", "collection.case"), ("res_id", "=", early.id)])
        self.assertEqual(len(mail), 1)
        self.assertIn(early.name, mail.subject)
        self.assertIn("Elena Early", mail.body_html)
        self.assertEqual(mail.state, "outgoing", "queued for Odoo's mail queue, not sent by the run")
        self.assertEqual(self._steps(early).mail_message_id, mail.mail_message_id)
        # a message sent is a contact of the case: its history and the contact limits count it
        self.assertEqual(
            early.interaction_ids.mapped(lambda i: (i.channel_id.code, i.result_id.code, i.email)),
            [("email", "SENT", "elena@example.com")],
        )

        text = self.env["sms.sms"].search([("partner_id", "=", sms.partner_id.id)])
        self.assertEqual((len(text), text.state, text.number), (1, "outgoing", "+573125550101"))
        self.assertIn(sms.name, text.body)
        self.assertEqual(sms.interaction_ids.channel_id.code, "sms")

        activity = self._steps(call).activity_id
        self.assertEqual(
            (activity.user_id, activity.activity_type_id, activity.res_id),
            (self.collector_a, self.env.ref("mail.mail_activity_data_call"), call.id),
        )
        self.assertEqual((self._steps(letter).state, self._steps(letter).letter_level), ("to_print", "formal"))
        step = self._steps(legal)
        self.assertEqual(step.state, "proposed")
        self.assertEqual(legal.stage_id.code, "delinquent", "a proposed step waits")
        # a second run the same day does nothing twice
        self._run(FROZEN_DAY + " 16:00:00")
        self.assertEqual(
            len(self.env["mail.mail"].search([("res_id", "=", early.id), ("model", "=", "collection.case")])), 1
        )
        self.assertEqual(len(sms.step_ids), 1)

    def test_stage_and_queue_steps_and_next_case(self):
        stage = self.stage_prelegal
        self.strategy.step_ids.filtered(lambda s: s.days == 5).write({"action": "stage", "stage_id": stage.id})
        self.strategy.step_ids.filtered(lambda s: s.days == 10).write(
            {"action": "queue", "team_id": self.queue_team.id, "letter_level": False}
        )
        staged = self._debtor_case("Jorge Stage", -6)
        low = self._debtor_case("Karen Queue", -12, amount=100.0)
        high = self._debtor_case("Luis Queue", -14, amount=90000.0)
        self._run()
        self.assertEqual(staged.stage_id, stage)
        self.assertEqual((high.queue_team_id, high.user_id.id, low.user_id.id), (self.queue_team, False, False))
        Case = self.env["collection.case"]
        first = Case.with_user(self.collector_b)._claim_next_case(self.collector_b)
        self.assertEqual(first, high, "best score first")
        self.assertEqual((high.user_id, high.team_id), (self.collector_b, self.queue_team))
        self.assertEqual(high.assignment_ids.filtered(lambda a: not a.date_end).reason, "queue")
        action = Case.with_user(self.collector_b).action_next_case()
        self.assertEqual(action["res_id"], low.id)
        empty = Case.with_user(self.collector_b).action_next_case()
        self.assertEqual(empty["tag"], "display_notification")
        self.assertEqual(Case.with_user(self.supervisor)._claim_next_case(self.supervisor), Case, "not a team member")

    def test_proposals_confirmed_postponed_skipped_by_whom_may(self):
        cases = [self._debtor_case(f"Proposal {n}", -70) for n in range(3)]
        other = self._case(self._debtor("Other collector's"), self.collector_b, installments=((-70, 10.0),))
        self._run()
        steps = (
            self.env["collection.case.step"]
            .search([("case_id", "in", [c.id for c in cases])])
            .sorted(lambda step: step.case_id.id)
        )
        self.assertEqual(set(steps.mapped("state")), {"proposed"})
        Step = self.env["collection.case.step"]
        with self.assertRaises(AccessError):
            Step.with_user(self.collector_a).browse(other.step_ids.ids).action_confirm()
        mine = Step.with_user(self.collector_a).browse(steps.ids)
        mine[0].action_confirm()
        self.assertEqual(cases[0].stage_id.code, "litigation")
        self.assertEqual((steps[0].state, steps[0].done_by_id), ("done", self.collector_a))
        mine[1].action_skip()
        self.assertEqual(steps[1].state, "skipped")
        self.assertIn(self.collector_a.name, steps[1].reason)
        wizard = (
            self.env["collection.case.step.postpone"]
            .with_user(self.collector_a)
            .with_context(active_model="collection.case.step", active_ids=steps[2].ids)
            .create({"date": self.today + timedelta(days=3)})
        )
        wizard.action_postpone()
        self.assertEqual((steps[2].state, steps[2].date_planned.date()), ("proposed", self.today + timedelta(days=3)))
        self.assertNotIn(steps[2], Step.search([("state", "=", "proposed"), ("date_planned", "<=", datetime.now())]))
        # a supervisor decides in bulk on another collector's case
        Step.with_user(self.supervisor).browse(other.step_ids.ids).action_skip()
        self.assertEqual(other.step_ids.state, "skipped")

    def test_skip_rules_and_closed_cases(self):
        promised = self._debtor_case("Mario Promise", -2)
        self.env["collection.promise"].create(
            {"case_id": promised.id, "amount": 100.0, "date_promise": self.today + timedelta(days=3)}
        )
        quiet = self._debtor_case("Nora Quiet", -2, collection_do_not_contact=True)
        self._run()
        self.assertEqual(self._steps(promised).state, "skipped")
        self.assertEqual(self._steps(promised).reason, "A promise to pay is running.")
        self.assertEqual(self._steps(quiet).reason, "The debtor asked not to be contacted.")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "in", (promised | quiet).partner_id.ids)]))
        # a proposed step on a case closed in the meantime is never carried out
        legal = self._debtor_case("Olga Closed", -70)
        self._run()
        step = self._steps(legal)
        legal._close("returned", "test")
        step.action_confirm()
        self.assertEqual(step.state, "cancelled")
        self.assertNotEqual(legal.stage_id.code, "litigation")
        # nor is a letter printed for a case paid after the run queued it
        paid = self._debtor_case("Pablo Paid", -12)
        self._run()
        letter = self._steps(paid)
        self.assertEqual(letter.state, "to_print")
        paid._close("returned", "test")
        self.assertNotIn(letter.id, self.env["collection.case.step"]._letter_ids_to_print())
        self._run(FROZEN_DAY + " 16:00:00")
        self.assertEqual((letter.state, letter.reason), ("cancelled", "The case is closed."))

    def test_contact_rules_postpone_in_the_debtors_time_zone(self):
        us = self.env.ref("base.us")
        case = self._debtor_case("Peter Night", -1, country_id=us.id, tz="America/New_York", mobile="+1 212 555 0199")
        # 03:00 UTC is 23:00 in New York (summer time since 8 March): Regulation F allows 8:00 to 21:00 local
        self._run("2026-03-11 03:00:00")
        step = self._steps(case)
        self.assertEqual((step.state, step.date_planned), ("postponed", datetime(2026, 3, 11, 12, 0)))
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", case.partner_id.id)]))
        with freeze_time("2026-03-11 11:59:00"):
            self.env["collection.case.step"]._cron_run_due()
        self.assertEqual(step.state, "postponed")
        with freeze_time("2026-03-11 12:05:00"):
            self.env["collection.case.step"]._cron_run_due()
        self.assertEqual(step.state, "done")
        self.assertEqual(len(self.env["sms.sms"].search([("partner_id", "=", case.partner_id.id)])), 1)

    def test_template_error_on_one_case_is_logged_on_that_case(self):
        template = self.mail_template.copy(
            {
                "body_html": (
                    '<p>Dear <t t-out="object.partner_id.name"/>'
                    " <t t-out=\"1 / (object.partner_id.ref != 'BAD')\"/></p>"
                )
            }
        )
        self.strategy.step_ids.filtered(lambda s: s.days == -3).mail_template_id = template
        good = self._debtor_case("Quinn Good", 3)
        bad = self._debtor_case("Rita Bad", 3, ref="BAD")
        with mute_logger("odoo.addons.mail.models.mail_render_mixin"):  # Odoo logs the failed rendering
            self._run()
        self.assertEqual(self._steps(good).state, "done")
        self.assertEqual(self._steps(bad).state, "failed")
        self.assertIn("could not be prepared", self._steps(bad).reason)

    def test_no_double_sending_after_a_crash(self):
        cases = [self._debtor_case(f"Crash {n}", 3) for n in range(4)]
        original = type(self.env["collection.case.step"])._send_mails
        calls = []

        def crash_on_second_chunk(steps, template, now):
            calls.append(steps.case_id.ids)
            if len(calls) == 2:
                raise WorkerKilled()
            return original(steps, template, now)

        Step = type(self.env["collection.case.step"])
        with (
            patch.object(collection_case_daily, "STEP_CHUNK", 2),
            patch.object(Step, "_send_mails", crash_on_second_chunk),
        ):
            # not assertRaises: it would roll back what the first chunk did
            died = False
            try:
                self._run()
            except WorkerKilled:
                died = True
            self.assertTrue(died, "the run should have died")
        self.env.invalidate_all()
        sent = self.env["mail.mail"].search(
            [("model", "=", "collection.case"), ("res_id", "in", [c.id for c in cases])]
        )
        self.assertEqual(len(sent), 2, "the first chunk went through")
        with patch.object(collection_case_daily, "STEP_CHUNK", 2):
            self._run(FROZEN_DAY + " 15:30:00")
        sent = self.env["mail.mail"].search(
            [("model", "=", "collection.case"), ("res_id", "in", [c.id for c in cases])]
        )
        self.assertEqual(sorted(sent.mapped("res_id")), sorted(c.id for c in cases), "one e-mail per case, none twice")

    def test_overlapping_runs_are_refused(self):
        # a second connection (another worker) runs the strategies
        with db_connect(get_db_name()).cursor() as other:
            other.execute("SELECT pg_advisory_lock(hashtext(%s))", [collection_case_daily.RUN_LOCK_KEY])
            try:
                with self.assertRaises(StrategyRunBusy):
                    self.env["collection.case"]._run_strategies()
            finally:
                other.execute("SELECT pg_advisory_unlock(hashtext(%s))", [collection_case_daily.RUN_LOCK_KEY])
        self.assertTrue(self.env["collection.case"]._run_strategies(), "free again")


@tagged("post_install", "-at_install")
class TestStrategyLetters(StrategyCommon, HttpCase):
    """Letters are rendered by wkhtmltopdf, which fetches the report styles
    from the test server (an HttpCase, and no frozen clock)."""

    def _run(self, when=None):
        Case = self.env["collection.case"]
        Case._refresh_aging()
        return Case._run_strategies()

    def test_batch_letters_pdf(self):
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is needed to read the letters back")
        first = self._debtor_case("Sara Letter", -12, amount=1234.5, lang="en_US")
        second = self._debtor_case("Tomás Carta", -35, amount=800.0)
        self.company.collection_payment_instructions = "Transfer to IBAN CO00 1234 quoting your case reference"
        self._run()
        steps = (first | second).step_ids
        self.assertEqual(set(steps.mapped("state")), {"to_print"})
        batch = (
            self.env["collection.letter.batch"]
            .with_context(
                force_report_rendering=True, active_model="collection.portfolio", active_ids=self.external.ids
            )
            .create({})
        )
        self.assertEqual(batch.letter_count, 2)
        with self.assertRaises(AccessError):
            batch.with_user(self.collector_a).action_print()
        action = batch.action_print()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        text = pdf_text(base64.b64decode(attachment.datas))
        self.assertIn("Formal demand for payment", text)
        self.assertIn("Pre-legal notice", text)
        self.assertIn("Sara Letter", text)
        self.assertIn("One Thousand, Two Hundred And Thirty-Four", text)
        self.assertIn("IBAN CO00 1234", text)
        self.assertEqual(set(steps.mapped("state")), {"done"})
        archived = first.step_ids.attachment_id
        self.assertEqual((archived.res_model, archived.res_id), ("collection.case", first.id))
        self.assertIn("Formal demand for payment", pdf_text(archived.raw))
        self.assertNotIn("Tomás Carta", pdf_text(archived.raw), "each case keeps its own letter")
