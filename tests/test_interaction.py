from datetime import datetime
from datetime import timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestInteraction(CollectionCommon):
    """Logging calls and other contacts: every result-code effect, the
    one-dialog promise, and the append-only history."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call = cls.env.ref("debt_collection.collection_channel_call")
        cls.visit = cls.env.ref("debt_collection.collection_channel_visit")
        cls.email = cls.env.ref("debt_collection.collection_channel_email")
        cls.result = {
            code: cls.env.ref(f"debt_collection.collection_result_{code}")
            for code in (
                "contacted",
                "promise",
                "callback",
                "no_answer",
                "wrong_number",
                "refused",
                "dispute",
                "deceased",
                "nobody_home",
            )
        }
        # no country: no contact policy applies, only the do-not-contact flag
        cls.debtor = cls._debtor("Lucía Pardo", mobile="+57 312 555 0101", phone="+57 601 555 0102")
        cls.case = cls._case(cls.debtor, cls.collector_a, installments=((-40, 300.0), (-10, 200.0), (20, 100.0)))

    def _wizard(self, user=None, **values):
        """The log dialog created directly (what an RPC client would send)."""
        return (
            self.env["collection.interaction.log"]
            .with_user(user or self.collector_a)
            .create({"case_id": self.case.id, "channel_id": self.call.id, **values})
        )

    def _log(self, user=None, channel=None, **values):
        """Fill the log dialog as ``user`` (collector A by default) like the
        work list's phone button does, and press Log."""
        user = user or self.collector_a
        case = self.case.with_user(user)
        action = case.action_start_call() if channel in (None, self.call) else case.action_log_contact()
        form = Form(self.env[action["res_model"]].with_user(user).with_context(**action["context"]))
        if channel and channel != self.call:
            form.channel_id = channel
        for name, value in values.items():
            setattr(form, name, value)
        wizard = form.save()
        wizard.action_log()
        return self.case.interaction_ids.sorted("id")[-1:]

    def test_contacted_call_stamps_start_end_and_chatter(self):
        with freeze_time("2026-03-10 14:00:00"):
            action = self.case.with_user(self.collector_a).action_start_call()
        self.assertEqual(action["context"]["default_date_start"], "2026-03-10 14:00:00")
        with freeze_time("2026-03-10 14:06:00"):
            form = Form(self.env[action["res_model"]].with_user(self.collector_a).with_context(**action["context"]))
            self.assertEqual(form.phone, "+573125550101", "the mobile is proposed first, in E.164")
            form.result_id = self.result["contacted"]
            form.note = "Will call the bank tomorrow"
            form.next_action_date = fields.Date.to_date("2026-03-12")
            form.save().action_log()
        interaction = self.case.interaction_ids
        self.assertEqual(len(interaction), 1)
        self.assertEqual(interaction.date_start, datetime(2026, 3, 10, 14, 0))
        self.assertEqual(interaction.date_end, datetime(2026, 3, 10, 14, 6))
        self.assertEqual(interaction.duration, 6.0)
        self.assertEqual(interaction.user_id, self.collector_a)
        self.assertTrue(interaction.is_conversation)
        self.assertEqual(self.case.last_contact_date, datetime(2026, 3, 10, 14, 0))
        self.assertEqual(self.case.next_action_date, fields.Date.to_date("2026-03-12"))
        message = self.case.message_ids.filtered(lambda m: "Will call the bank tomorrow" in (m.body or ""))
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.collector_a.partner_id)
        self.assertIn("Contacted", message.body)

    def test_no_answer_is_not_a_contact(self):
        interaction = self._log(result_id=self.result["no_answer"])
        self.assertFalse(interaction.is_conversation)
        self.assertFalse(self.case.last_contact_date)
        self.assertTrue(self.case.last_interaction_date)

    def test_promise_result_takes_the_promise_in_the_same_dialog(self):
        promised_for = self.today + timedelta(days=5)
        with self.assertRefused(UserError, "amount and the date of the promise"):
            self._wizard(result_id=self.result["promise"].id, promise_amount=100.0).action_log()
        self.assertFalse(self.case.promise_ids)
        self.assertFalse(self.case.interaction_ids, "nothing is half-logged")
        interaction = self._log(result_id=self.result["promise"], promise_amount=250.0, promise_date=promised_for)
        promise = self.case.promise_ids
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.interaction_id, interaction)
        self.assertEqual(promise.channel_id, self.call)
        self.assertEqual(
            (promise.amount, promise.date_promise, promise.user_id), (250.0, promised_for, self.collector_a)
        )
        self.assertEqual(self.case.next_promise_date, promised_for)
        self.assertEqual(self.case.next_promise_amount, 250.0)

    def test_promise_required_through_rpc_too(self):
        with self.assertRefused(ValidationError, "requires a promise to pay"):
            self.env["collection.interaction"].with_user(self.collector_a).create(
                {"case_id": self.case.id, "channel_id": self.call.id, "result_id": self.result["promise"].id}
            )

    def test_callback_requires_a_time_and_schedules_an_activity(self):
        with self.assertRefused(ValidationError, "date and time to call back"):
            self._wizard(result_id=self.result["callback"].id).action_log()
        self.collector_a.tz = "America/Bogota"
        call_back_at = datetime.combine(self.today + timedelta(days=1), datetime.min.time()) + timedelta(hours=20)
        interaction = self._log(result_id=self.result["callback"], callback_date=call_back_at)
        activity = interaction.activity_id
        self.assertTrue(activity)
        self.assertEqual(activity.res_id, self.case.id)
        self.assertEqual(activity.user_id, self.collector_a)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        # 20:00 UTC is 15:00 in Bogotá, the same day
        self.assertEqual(activity.date_deadline, self.today + timedelta(days=1))
        self.assertIn("15:00", activity.summary)
        self.assertEqual(self.case.next_activity_date, self.today + timedelta(days=1))

    def test_wrong_number_flags_the_phone_and_the_next_call_proposes_another(self):
        self._log(result_id=self.result["wrong_number"])
        phone = self.debtor.collection_phone_ids
        self.assertEqual(phone.number, "+573125550101")
        self.assertFalse(phone.is_valid)
        self.assertEqual(phone.invalid_user_id, self.collector_a)
        # the mobile stays on the debtor, but the next call proposes the landline
        self.assertEqual(self.debtor.mobile, "+57 312 555 0101")
        action = self.case.with_user(self.collector_a).action_start_call()
        form = Form(self.env[action["res_model"]].with_user(self.collector_a).with_context(**action["context"]))
        self.assertEqual(form.phone, "+576015550102")
        self.assertIn("+573125550101 (reported wrong)", form.phone_numbers)

    def test_dispute_result_opens_a_dispute(self):
        old = self.case.installment_ids.sorted("date_due")[0]
        reason = self.env.ref("debt_collection.collection_dispute_reason_paid")
        interaction = self._log(
            result_id=self.result["dispute"],
            dispute_reason_id=reason,
            dispute_description="Paid in cash at the branch",
        )
        dispute = interaction.dispute_ids
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.reason_id, reason)
        # the overdue installments are proposed
        self.assertEqual(dispute.installment_ids, self.case.installment_ids.filtered(lambda i: i.date_due < self.today))
        self.assertTrue(old.is_disputed)
        self.assertEqual(self.case.open_dispute_count, 1)
        # the supervisor of the team is asked to review it
        self.assertIn(self.supervisor, dispute.activity_ids.user_id)

    def test_refusal_asks_the_supervisor_and_stage_result_moves_the_case(self):
        self._log(result_id=self.result["refused"])
        todo = self.case.activity_ids.filtered(lambda a: a.user_id == self.supervisor)
        self.assertEqual(todo.summary, "Debtor refuses to pay")
        self.assertTrue(self.case.last_contact_date, "a refusal is a right-party contact")
        self.assertEqual(self.case.stage_id, self.stage_delinquent)
        self._log(result_id=self.result["deceased"])
        self.assertEqual(self.case.stage_id, self.stage_prelegal)
        # a stage set by a result is kept by the daily run
        self.env["collection.case"]._cron_daily_refresh()
        self.assertEqual(self.case.stage_id, self.stage_prelegal)

    def test_visit_with_coordinates_and_photo(self):
        photo = (
            self.env["ir.attachment"]
            .with_user(self.collector_a)
            .create({"name": "door.jpg", "raw": b"\xff\xd8\xff jpeg", "res_model": "collection.interaction.log"})
        )
        interaction = self._log(
            channel=self.visit,
            result_id=self.result["nobody_home"],
            latitude=4.6097102,
            longitude=-74.081749,
        )
        self.assertEqual(interaction.channel_code, "visit")
        self.assertAlmostEqual(interaction.latitude, 4.6097102, places=6)
        self.assertFalse(interaction.phone)
        wizard = (
            self.env["collection.interaction.log"]
            .with_user(self.collector_a)
            .create(
                {
                    "case_id": self.case.id,
                    "channel_id": self.visit.id,
                    "result_id": self.result["nobody_home"].id,
                    "attachment_ids": [(6, 0, photo.ids)],
                }
            )
        )
        wizard.action_log()
        with_photo = self.case.interaction_ids.sorted("id")[-1]
        self.assertEqual(with_photo.attachment_ids, photo)
        self.assertEqual((photo.res_model, photo.res_id), ("collection.interaction", with_photo.id))
        # a visit-only result cannot be used for a call
        with self.assertRaises(ValidationError):
            self._log(result_id=self.result["nobody_home"])

    def test_collector_cannot_edit_or_delete_a_past_interaction(self):
        interaction = self._log(result_id=self.result["no_answer"], note="First try")
        as_collector = interaction.with_user(self.collector_a)
        with self.assertRaises(AccessError):
            as_collector.write({"note": "Reached the debtor"})
        with self.assertRaises(AccessError):
            as_collector.unlink()
        with self.assertRaises(UserError):
            interaction.with_user(self.manager).unlink()
        self.assertEqual(interaction.note, "First try")
        # a supervisor's correction is logged with the old and new values
        interaction.with_user(self.supervisor).write({"result_id": self.result["contacted"].id})
        event = (
            self.env["collection.event"]
            .with_user(self.auditor)
            .search([("event_type", "=", "interaction"), ("case_id", "=", self.case.id)])
        )
        self.assertEqual(len(event), 1)
        self.assertEqual(
            event.payload["changes"]["result_id"],
            {"old": self.result["no_answer"].id, "new": self.result["contacted"].id},
        )
        self.assertEqual(event.user_id, self.supervisor)
        # but not the facts: when and by whom
        with self.assertRaises(AccessError):
            interaction.with_user(self.supervisor).write({"date_start": fields.Datetime.now()})
        # voiding keeps the record
        interaction.with_user(self.supervisor).with_context(void_reason="Wrong case").action_void()
        self.assertTrue(interaction.exists())
        self.assertEqual((interaction.voided, interaction.void_reason), (True, "Wrong case"))
        with self.assertRaises(AccessError):
            interaction.with_user(self.collector_a).action_void()

    def test_no_interaction_on_closed_or_foreign_cases(self):
        other = self._case(self._debtor("Someone Else"), self.collector_b)
        with self.assertRaises(AccessError):
            other.with_user(self.collector_a).action_start_call()
        self.case._close("written_off")
        with self.assertRaises(UserError):
            self.case.with_user(self.collector_a).action_start_call()
        with self.assertRaises(UserError):
            self.env["collection.interaction"].with_user(self.collector_a).create(
                {"case_id": self.case.id, "channel_id": self.call.id, "result_id": self.result["no_answer"].id}
            )

    def test_history_table_lists_interactions_newest_first(self):
        with freeze_time("2026-03-10 14:00:00"):
            self._log(result_id=self.result["no_answer"])
        with freeze_time("2026-03-11 15:30:00"):
            self._log(result_id=self.result["contacted"], note="Second")
        history = self.case.with_user(self.collector_a).with_context(tz="UTC").interaction_ids
        self.assertEqual(history.mapped("note"), ["Second", False])
        self.assertEqual(history[0].time_start, "15:30")

    def test_interactions_follow_the_case_access_rules(self):
        interaction = self._log(result_id=self.result["no_answer"], note="Rang twice")
        self.assertEqual(interaction.with_user(self.supervisor).note, "Rang twice")
        for outsider in (self.collector_b, self.supervisor_other):
            with self.assertRaises(AccessError):
                interaction.with_user(outsider).read(["note"])
        self.assertFalse(
            self.env["collection.interaction"].with_user(self.collector_b).search([("case_id", "=", self.case.id)])
        )

    def test_phone_book_numbers_are_normalised_and_unique(self):
        debtor = self._debtor("Carlos Montoya", country_id=self.env.ref("base.co").id)
        case = self._case(debtor, self.collector_a)
        action = case.with_user(self.collector_a).action_open_phone_book()
        Phone = self.env["collection.phone"].with_user(self.collector_a).with_context(**action["context"])
        phone = Phone.create({"number": "312 659 0199", "kind": "reference", "note": "Sister"})
        self.assertEqual((phone.partner_id, phone.number), (debtor, "+573126590199"))
        self.assertEqual(Phone.search(action["domain"]), phone)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            Phone.create({"number": "+57 312 6590199"})
        debtor._collection_flag_phone_invalid("+57 312 6590199")
        self.assertFalse(phone.is_valid)
        self.assertEqual(debtor._collection_phone_numbers(), [("+573126590199", False)])
        phone.with_user(self.collector_a).is_valid = True
        self.assertFalse(phone.date_invalid)
        self.assertEqual(debtor._collection_phone_numbers(), [("+573126590199", True)])

    def test_interaction_times_must_be_real(self):
        Interaction = self.env["collection.interaction"].with_user(self.collector_a)
        vals = {"case_id": self.case.id, "channel_id": self.call.id, "result_id": self.result["no_answer"].id}
        now = fields.Datetime.now()
        with self.assertRefused(ValidationError, "cannot be in the future"):
            Interaction.create({**vals, "date_start": now + timedelta(hours=2)})
        with self.assertRefused(ValidationError, "cannot end before it starts"):
            Interaction.create({**vals, "date_start": now - timedelta(hours=1), "date_end": now - timedelta(hours=2)})
        self.assertFalse(self.case.interaction_ids)
