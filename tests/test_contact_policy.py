from datetime import datetime
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import Form
from odoo.tests import tagged

from ..models.collection_case_contact import ContactRefused
from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestContactPolicy(CollectionCommon):
    """The shipped presets on real cases: which timestamps each one allows
    and refuses in the debtor's time zone, frequency caps, holidays, and the
    supervisor's logged override."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.call = ref("debt_collection.collection_channel_call")
        cls.sms = ref("debt_collection.collection_channel_sms")
        cls.email = ref("debt_collection.collection_channel_email")
        cls.visit = ref("debt_collection.collection_channel_visit")
        cls.no_answer = ref("debt_collection.collection_result_no_answer")
        cls.contacted = ref("debt_collection.collection_result_contacted")
        cls.sent = ref("debt_collection.collection_result_sent")
        cls.regf = ref("debt_collection.collection_contact_policy_us_regf")
        cls.ley2300 = ref("debt_collection.collection_contact_policy_co_ley2300")
        cls.condusef = ref("debt_collection.collection_contact_policy_mx_condusef")
        us, co, mx = ref("base.us"), ref("base.co"), ref("base.mx")
        cls.us_case = cls._case(cls._debtor("John Doe", country_id=us.id, tz="America/New_York"), cls.collector_a)
        cls.us_unknown_tz = cls._case(cls._debtor("Jane Roe", country_id=us.id, tz=False), cls.collector_a)
        cls.co_debtor = cls._debtor(
            "Luz Ospina",
            country_id=co.id,
            collection_channel_ids=[(6, 0, (cls.call + cls.email + cls.visit).ids)],
        )
        cls.co_case = cls._case(cls.co_debtor, cls.collector_a)
        cls.mx_case = cls._case(
            cls._debtor("Pedro Páramo", country_id=mx.id, tz="America/Mexico_City"), cls.collector_a
        )

    def assertContact(self, case, channel, when, rule=None, next_allowed=None):
        """``case`` may (rule None) or may not (refused by ``rule``) be
        contacted through ``channel`` at ``when`` (UTC); when refused,
        contact is next allowed at ``next_allowed``."""
        verdict, _policy, _tz = case._contact_verdict(channel.code, datetime.fromisoformat(when))
        self.assertEqual(verdict.rule, rule, f"{channel.code} at {when}: {verdict}")
        self.assertEqual(verdict.allowed, rule is None)
        if rule:
            expected = datetime.fromisoformat(next_allowed) if next_allowed else None
            self.assertEqual(verdict.next_allowed, expected, f"next allowed after {when}")

    def _contact(self, case, channel, when, result=None, **vals):
        """A contact made at ``when`` (UTC), logged by the case's collector
        two minutes later."""
        start = datetime.fromisoformat(when)
        with freeze_time(start + timedelta(minutes=2)):
            return (
                self.env["collection.interaction"]
                .with_user(self.collector_a)
                .create(
                    {
                        "case_id": case.id,
                        "channel_id": channel.id,
                        "result_id": (result or self.no_answer).id,
                        "date_start": start,
                        "phone": "+15555550100" if channel._uses_phone() else False,
                        **vals,
                    }
                )
            )

    # ------------------------------------------------------------------
    # United States: Regulation F
    # ------------------------------------------------------------------
    def test_regf_hours_in_the_debtors_time_zone_across_dst(self):
        self.assertEqual(self.us_case._contact_verdict("call")[1], self.regf)
        # Friday 6 March 2026, Eastern Standard Time (UTC-5)
        self.assertContact(self.us_case, self.call, "2026-03-06 12:59", "hours", "2026-03-06 13:00")
        self.assertContact(self.us_case, self.call, "2026-03-06 13:00")
        self.assertContact(self.us_case, self.call, "2026-03-07 01:59")
        self.assertContact(self.us_case, self.call, "2026-03-07 02:00", "hours", "2026-03-07 13:00")
        # Monday 9 March 2026, Eastern Daylight Time (UTC-4) since Sunday
        self.assertContact(self.us_case, self.call, "2026-03-09 11:59", "hours", "2026-03-09 12:00")
        self.assertContact(self.us_case, self.call, "2026-03-09 12:00")
        self.assertContact(self.us_case, self.call, "2026-03-10 00:59")
        self.assertContact(self.us_case, self.call, "2026-03-10 01:00", "hours", "2026-03-10 12:00")
        # back to standard time on Sunday 1 November 2026
        self.assertContact(self.us_case, self.call, "2026-10-31 12:00")
        self.assertContact(self.us_case, self.call, "2026-11-01 12:00", "hours", "2026-11-01 13:00")

    def test_regf_unknown_time_zone_must_suit_every_us_time_zone(self):
        # 8:00 in New York is 3:00 in Honolulu: the call waits until 8:00 there (18:00 UTC)
        self.assertContact(self.us_unknown_tz, self.call, "2026-03-06 13:00", "hours", "2026-03-06 18:00")
        self.assertContact(self.us_unknown_tz, self.call, "2026-03-06 18:00")
        self.assertContact(self.us_unknown_tz, self.call, "2026-03-07 02:00", "hours", "2026-03-07 18:00")

    def test_regf_seven_calls_in_seven_days(self):
        for day in range(2, 9):  # one call attempt a day, 2 to 8 March, 10:00 or 11:00 local
            self._contact(self.us_case, self.call, f"2026-03-{day:02d} 15:00")
        # the eighth call attempt waits until the first one leaves the seven days
        self.assertContact(self.us_case, self.call, "2026-03-08 18:00", "limit", "2026-03-09 12:00")
        self.assertContact(self.us_case, self.call, "2026-03-09 12:00")
        # other channels are not capped by the call limit
        self.assertContact(self.us_case, self.sms, "2026-03-08 18:00")
        with self.assertRefused(UserError, "at most 7 contact"):
            self._contact(self.us_case, self.call, "2026-03-08 18:00")

    def test_regf_no_call_within_seven_days_of_a_conversation(self):
        self._contact(self.us_case, self.call, "2026-03-02 15:00", result=self.contacted)
        self.assertContact(self.us_case, self.call, "2026-03-05 15:00", "conversation_gap", "2026-03-09 12:00")
        self.assertContact(self.us_case, self.call, "2026-03-08 23:00", "conversation_gap", "2026-03-09 12:00")
        self.assertContact(self.us_case, self.call, "2026-03-09 12:00")
        self.assertContact(self.us_case, self.email, "2026-03-05 15:00")
        # a call the debtor makes is not refused, and a voided contact no longer counts
        self._contact(self.us_case, self.call, "2026-03-05 03:00", direction="inbound")
        self.us_case.interaction_ids.filtered("is_conversation").with_user(self.supervisor).action_void()
        self.assertContact(self.us_case, self.call, "2026-03-05 15:00")

    # ------------------------------------------------------------------
    # Colombia: Ley 2300 de 2023
    # ------------------------------------------------------------------
    def test_ley2300_hours_sundays_and_holidays(self):
        self.assertEqual(self.co_case._contact_verdict("call")[1], self.ley2300)
        # Friday 4 December 2026, Bogotá is UTC-5 all year
        self.assertContact(self.co_case, self.call, "2026-12-04 11:59", "hours", "2026-12-04 12:00")
        self.assertContact(self.co_case, self.call, "2026-12-04 23:59")
        self.assertContact(self.co_case, self.call, "2026-12-05 00:00", "hours", "2026-12-05 13:00")
        # Saturday until 15:00, no Sunday: back on Monday 7:00
        self.assertContact(self.co_case, self.call, "2026-12-05 19:59")
        self.assertContact(self.co_case, self.call, "2026-12-05 20:00", "hours", "2026-12-07 12:00")
        self.assertContact(self.co_case, self.call, "2026-12-06 15:00", "hours", "2026-12-07 12:00")
        # Tuesday 8 December is a public holiday (Inmaculada Concepción)
        self.assertContact(self.co_case, self.call, "2026-12-08 15:00", "holiday", "2026-12-09 12:00")
        verdict = self.co_case._contact_verdict("call", datetime(2026, 12, 8, 15))[0]
        self.assertEqual(verdict.params["holiday"], "Inmaculada Concepción")

    def test_ley2300_one_contact_a_day_and_one_channel_a_week(self):
        self._contact(self.co_case, self.call, "2026-12-07 14:00")
        # the next day is a holiday: the second contact waits until Wednesday 7:00
        self.assertContact(self.co_case, self.call, "2026-12-07 16:00", "limit", "2026-12-09 12:00")
        self._contact(self.co_case, self.call, "2026-12-09 14:00", result=self.contacted)
        # after a conversation by phone, no e-mail in the same week
        self.assertContact(self.co_case, self.email, "2026-12-10 14:00", "limit", "2026-12-16 12:00")
        self.assertContact(self.co_case, self.call, "2026-12-10 14:00")

    def test_ley2300_authorised_channels_and_no_visits(self):
        self.assertContact(self.co_case, self.sms, "2026-12-04 15:00", "channel_not_authorised")
        self.assertContact(self.co_case, self.visit, "2026-12-04 15:00", "visits_forbidden")
        # other countries have no such rule
        self.assertContact(self.us_case, self.visit, "2026-03-06 15:00")

    # ------------------------------------------------------------------
    # Mexico: CONDUSEF
    # ------------------------------------------------------------------
    def test_condusef_hours(self):
        self.assertEqual(self.mx_case._contact_verdict("call")[1], self.condusef)
        # Mexico City is UTC-6 all year
        self.assertContact(self.mx_case, self.call, "2026-07-01 12:59", "hours", "2026-07-01 13:00")
        self.assertContact(self.mx_case, self.call, "2026-07-01 13:00")
        self.assertContact(self.mx_case, self.call, "2026-07-02 03:59")
        self.assertContact(self.mx_case, self.call, "2026-07-02 04:00", "hours", "2026-07-02 13:00")

    # ------------------------------------------------------------------
    # enforcement, override, flags
    # ------------------------------------------------------------------
    def test_refused_contact_says_which_rule_and_when(self):
        with freeze_time("2026-03-06 12:30:00"):
            action = self.us_case.with_user(self.collector_a).action_start_call()
        # a dialog titled as a contact-rule refusal, and the attempt logged for compliance
        self.assertEqual(action["name"], "Contact refused by the contact rules")
        refusal = self.env[action["res_model"]].browse(action["res_id"])
        message = refusal.message
        self.assertIn("outside the hours allowed by United States – Regulation F", message)
        event = self.env["collection.event"].with_user(self.auditor).search([("event_type", "=", "contact_refused")])
        self.assertEqual(
            (event.case_id, event.user_id, event.payload["rule"]), (self.us_case, self.collector_a, "hours")
        )
        self.assertIn("Contact is allowed again from", message)
        self.assertIn("America/New_York", message)
        with freeze_time("2026-03-06 14:30:00"):
            action = self.us_case.with_user(self.collector_a).action_start_call()
        self.assertEqual(action["res_model"], "collection.interaction.log")

    def test_supervisor_override_is_logged(self):
        night = "2026-03-06 04:00"
        with self.assertRaises(UserError):
            self._contact(self.us_case, self.call, night)
        with self.assertRaises(AccessError):
            self._contact(self.us_case, self.call, night, override_reason="Debtor asked")
        with freeze_time("2026-03-06 04:05:00"):
            interaction = (
                self.env["collection.interaction"]
                .with_user(self.supervisor)
                .create(
                    {
                        "case_id": self.us_case.id,
                        "channel_id": self.call.id,
                        "result_id": self.contacted.id,
                        "date_start": datetime.fromisoformat(night),
                        "override_reason": "The debtor asked to be called back tonight",
                    }
                )
            )
        self.assertEqual((interaction.overridden_rule, interaction.policy_id), ("hours", self.regf))
        event = self.env["collection.event"].with_user(self.auditor).search([("event_type", "=", "contact_override")])
        self.assertEqual(len(event), 1)
        self.assertEqual(event.case_id, self.us_case)
        self.assertEqual(event.user_id, self.supervisor)
        self.assertEqual(event.payload["rule"], "hours")
        self.assertIn("The debtor asked to be called back tonight", event.description)
        with self.assertRaises(AccessError):
            event.with_user(self.supervisor).read(["description"])
        # in the dialog, the supervisor sees why and gives the reason
        with freeze_time("2026-03-06 04:30:00"):
            action = self.us_case.with_user(self.supervisor).action_start_call()
            form = Form(self.env[action["res_model"]].with_user(self.supervisor).with_context(**action["context"]))
            self.assertIn("outside the hours", form.contact_warning)
            self.assertTrue(form.can_override)

    def test_do_not_contact_refuses_every_channel(self):
        self.us_case.partner_id.collection_do_not_contact = True
        self.assertContact(self.us_case, self.call, "2026-03-06 15:00", "do_not_contact")
        self.assertContact(self.us_case, self.email, "2026-03-06 15:00", "do_not_contact")
        plain = self._case(self._debtor("No Country", collection_do_not_contact=True), self.collector_a)
        self.assertContact(plain, self.call, "2026-03-06 15:00", "do_not_contact")
        action = plain.with_user(self.collector_a).action_start_call()
        self.assertIn("asked not to be contacted", self.env[action["res_model"]].browse(action["res_id"]).message)
        # an interaction created against the rule (RPC) is refused as such
        with self.assertRefused(ContactRefused, "asked not to be contacted"):
            self._contact(plain, self.call, "2026-03-06 15:00")
        self.assertFalse(plain._automatic_contact_allowed("email"))

    def test_the_most_specific_policy_applies(self):
        Policy = self.env["collection.contact.policy"]
        own = Policy.create(
            {
                "name": "Stricter US policy",
                "company_id": self.company.id,
                "country_ids": [(6, 0, self.env.ref("base.us").ids)],
                "window_ids": [(0, 0, {"weekday": str(day), "hour_from": 9.0, "hour_to": 17.0}) for day in range(5)],
            }
        )
        default = Policy.create(
            {"name": "Everywhere else", "window_ids": [(0, 0, {"weekday": "0", "hour_from": 9.0, "hour_to": 10.0})]}
        )
        self.assertEqual(self.us_case._contact_verdict("call")[1], own)
        self.assertContact(self.us_case, self.call, "2026-03-06 13:30", "hours", "2026-03-06 14:00")
        self.assertEqual(self.co_case._contact_verdict("call")[1], self.ley2300)
        plain = self._case(self._debtor("Somewhere", country_id=self.env.ref("base.fr").id), self.collector_a)
        self.assertEqual(plain._contact_verdict("call")[1], default)
        own.active = False
        self.assertEqual(self.us_case._contact_verdict("call")[1], self.regf)

    def test_a_check_costs_a_few_queries_whatever_the_history(self):
        for day in range(2, 8):
            self._contact(self.us_case, self.call, f"2026-03-{day:02d} 15:00")
        when = datetime(2026, 3, 8, 16, 0)
        self.us_case._contact_verdict("call", when)  # warm the policy caches like a running server
        self.us_case.invalidate_recordset()
        self.us_case.partner_id.invalidate_recordset()
        with self.assertQueryCount(4):
            verdict = self.us_case._contact_verdict("call", when)[0]
        self.assertTrue(verdict.allowed)
