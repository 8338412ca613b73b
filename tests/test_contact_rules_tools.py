"""The pure contact rules (tools/contact_rules.py) on the regulatory presets.

US Regulation F (12 CFR 1006), Colombia's Ley 2300 de 2023 and Mexico's CONDUSEF hours, with exact
UTC instants on both sides of the DST changes. A grid test checks that every refusal's next allowed
instant is allowed and that the second before it is not."""

from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytz

from odoo.tests import TransactionCase
from odoo.tests import tagged

from ..tools import contact_rules
from ..tools.contact_rules import Contact
from ..tools.contact_rules import Holiday
from ..tools.contact_rules import Limit
from ..tools.contact_rules import Policy
from ..tools.contact_rules import Window

REG_F = Policy(
    "Regulation F",
    windows=tuple(Window(weekday, 8.0, 21.0) for weekday in range(7)),
    limits=(Limit("channel", 7, 7, channel="call"),),
    conversation_gap_days=7,
)
COLOMBIA = Policy(
    "Ley 2300",
    windows=tuple(Window(weekday, 7.0, 19.0) for weekday in range(5)) + (Window(5, 8.0, 15.0),),
    limits=(Limit("all", 1, 1), Limit("channels", 7, 1, conversations_only=True)),
    authorised_only=True,
    allow_visits=False,
)
MEXICO = Policy("CONDUSEF", windows=tuple(Window(weekday, 7.0, 22.0) for weekday in range(7)))

NEW_YORK = ("America/New_York",)
BOGOTA = ("America/Bogota",)
US_ZONES = tuple(pytz.country_timezones["US"])
MX_ZONES = tuple(pytz.country_timezones["MX"])
AUTHORISED = frozenset({"call", "sms", "email", "whatsapp"})

# Colombia, March 2026: Sunday 1, Monday 2 ... Saturday 7, Sunday 8, Monday 9; Monday 23 is San José
SAN_JOSE = Holiday(datetime(2026, 3, 23, 5), datetime(2026, 3, 24, 5), "San José")


def colombia(when, channel="call", contacts=(), policy=COLOMBIA, **kwargs):
    kwargs.setdefault("authorised_channels", AUTHORISED)
    return contact_rules.check_contact(policy, when, channel, contacts, BOGOTA, **kwargs)


@tagged("post_install", "-at_install")
class TestContactRulesTools(TransactionCase):
    def assertRefused(self, verdict, rule, next_allowed):
        self.assertFalse(verdict.allowed, verdict)
        self.assertEqual(verdict.rule, rule, verdict)
        self.assertEqual(verdict.next_allowed, next_allowed, verdict)

    def assertAllowed(self, verdict, when):
        self.assertEqual((verdict.allowed, verdict.rule, verdict.params, verdict.next_allowed), (True, None, {}, when))

    # --- US Regulation F -------------------------------------------------------------------------

    def test_reg_f_hours_in_new_york(self):
        def check(when):
            return contact_rules.check_contact(REG_F, when, "call", (), NEW_YORK)

        # winter (EST, UTC-5): 8:00-21:00 local is 13:00-02:00 UTC
        verdict = check(datetime(2026, 3, 5, 12, 59))
        self.assertRefused(verdict, "hours", datetime(2026, 3, 5, 13, 0))
        self.assertEqual(verdict.params["tz"], "America/New_York")
        self.assertEqual(verdict.params["local"].replace(tzinfo=None), datetime(2026, 3, 5, 7, 59))
        self.assertAllowed(check(datetime(2026, 3, 5, 13, 0)), datetime(2026, 3, 5, 13, 0))
        self.assertAllowed(check(datetime(2026, 3, 6, 1, 59)), datetime(2026, 3, 6, 1, 59))
        self.assertRefused(check(datetime(2026, 3, 6, 2, 0)), "hours", datetime(2026, 3, 6, 13, 0))
        # summer (EDT, UTC-4): 12:00-01:00 UTC
        self.assertRefused(check(datetime(2026, 7, 1, 11, 59)), "hours", datetime(2026, 7, 1, 12, 0))
        self.assertAllowed(check(datetime(2026, 7, 1, 12, 0)), datetime(2026, 7, 1, 12, 0))
        self.assertAllowed(check(datetime(2026, 7, 2, 0, 59)), datetime(2026, 7, 2, 0, 59))
        verdict = check(datetime(2026, 7, 2, 1, 0))
        self.assertRefused(verdict, "hours", datetime(2026, 7, 2, 12, 0))
        self.assertEqual(verdict.params["local"].replace(tzinfo=None), datetime(2026, 7, 1, 21, 0))

    def test_reg_f_across_dst_changes(self):
        # Saturday 21:00 EST -> Sunday 8:00 EDT (clocks go forward on 2026-03-08)
        verdict = contact_rules.check_contact(REG_F, datetime(2026, 3, 8, 2, 0), "call", (), NEW_YORK)
        self.assertRefused(verdict, "hours", datetime(2026, 3, 8, 12, 0))
        # Saturday 21:00 EDT -> Sunday 8:00 EST (clocks go back on 2026-11-01)
        verdict = contact_rules.check_contact(REG_F, datetime(2026, 11, 1, 1, 0), "call", (), NEW_YORK)
        self.assertRefused(verdict, "hours", datetime(2026, 11, 1, 13, 0))
        self.assertEqual(contact_rules.local_day_start(date(2026, 3, 8), "America/New_York"), datetime(2026, 3, 8, 5))
        self.assertEqual(contact_rules.local_day_start(date(2026, 3, 9), "America/New_York"), datetime(2026, 3, 9, 4))
        self.assertEqual(contact_rules.local_day_start(date(2026, 11, 1), "America/New_York"), datetime(2026, 11, 1, 4))
        self.assertEqual(contact_rules.local_day_start(date(2026, 11, 2), "America/New_York"), datetime(2026, 11, 2, 5))
        self.assertEqual(
            contact_rules.next_window_start(datetime(2026, 3, 8, 2, 0), REG_F.windows, NEW_YORK),
            datetime(2026, 3, 8, 12, 0),
        )

    def test_reg_f_unknown_zone_needs_every_us_zone(self):
        def check(when):
            return contact_rules.check_contact(REG_F, when, "call", (), US_ZONES)

        # summer: from 8:00 in Honolulu (UTC-10) = 18:00 UTC to 21:00 in New York (EDT) = 01:00 UTC
        verdict = check(datetime(2026, 7, 1, 12, 30))
        self.assertRefused(verdict, "hours", datetime(2026, 7, 1, 18, 0))
        # New York is at 8:30 already, the first zone refusing is a Central one, at 7:30
        self.assertEqual(verdict.params["local"].utcoffset(), timedelta(hours=-5))
        self.assertEqual(verdict.params["local"].replace(tzinfo=None), datetime(2026, 7, 1, 7, 30))
        self.assertTrue(contact_rules.check_contact(REG_F, datetime(2026, 7, 1, 12, 30), "call", (), NEW_YORK).allowed)
        self.assertAllowed(check(datetime(2026, 7, 1, 19, 30)), datetime(2026, 7, 1, 19, 30))
        self.assertRefused(check(datetime(2026, 7, 1, 17, 59)), "hours", datetime(2026, 7, 1, 18, 0))
        self.assertAllowed(check(datetime(2026, 7, 2, 0, 59)), datetime(2026, 7, 2, 0, 59))
        self.assertRefused(check(datetime(2026, 7, 2, 1, 0)), "hours", datetime(2026, 7, 2, 18, 0))
        # winter: New York closes at 21:00 EST = 02:00 UTC
        self.assertAllowed(check(datetime(2026, 1, 7, 1, 30)), datetime(2026, 1, 7, 1, 30))
        verdict = check(datetime(2026, 1, 7, 2, 0))
        self.assertRefused(verdict, "hours", datetime(2026, 1, 7, 18, 0))
        self.assertEqual(verdict.params["tz"], "America/New_York")
        verdict = check(datetime(2026, 1, 7, 17, 59))
        self.assertRefused(verdict, "hours", datetime(2026, 1, 7, 18, 0))
        self.assertIn(verdict.params["tz"], ("America/Adak", "Pacific/Honolulu"))
        self.assertEqual(verdict.params["local"].replace(tzinfo=None), datetime(2026, 1, 7, 7, 59))

    def test_reg_f_seven_calls_in_seven_days(self):
        # 7 calls on Monday June 29, Tuesday 30 and Wednesday July 1, 10:00 EDT
        calls = [Contact(datetime(2026, 6, day, 14, minute), "call") for day in (29, 30) for minute in (0, 1, 2)]
        calls += [Contact(datetime(2026, 7, 1, 14, 0), "call")]
        when = datetime(2026, 7, 1, 16, 0)
        verdict = contact_rules.check_contact(REG_F, when, "call", calls, NEW_YORK)
        # June 29 leaves the 7-day period on July 6, first allowed at 8:00 EDT
        self.assertRefused(verdict, "limit", datetime(2026, 7, 6, 12, 0))
        self.assertEqual(
            verdict.params, {"scope": "channel", "period_days": 7, "max_contacts": 7, "channel": "call", "count": 7}
        )
        # without hours, the call is allowed from 00:00 EDT on July 6
        verdict = contact_rules.check_contact(replace(REG_F, windows=()), when, "call", calls, NEW_YORK)
        self.assertRefused(verdict, "limit", datetime(2026, 7, 6, 4, 0))
        # the cap is on calls only: an sms is not limited, and sms do not count
        self.assertAllowed(contact_rules.check_contact(REG_F, when, "sms", calls, NEW_YORK), when)
        sms = [replace(contact, channel="sms") for contact in calls[:3]]
        self.assertAllowed(contact_rules.check_contact(REG_F, when, "call", sms + calls[3:], NEW_YORK), when)

    def test_reg_f_conversation_gap(self):
        talk = Contact(datetime(2026, 7, 1, 15, 0), "call", conversation=True)
        verdict = contact_rules.check_contact(REG_F, datetime(2026, 7, 7, 15, 0), "call", [talk], NEW_YORK)
        # a conversation on July 1: no call through July 7, calls again from July 8 (8:00 EDT)
        self.assertRefused(verdict, "conversation_gap", datetime(2026, 7, 8, 12, 0))
        self.assertEqual(verdict.params, {"days": 7, "since": date(2026, 7, 1), "channel": "call"})
        when = datetime(2026, 7, 8, 12, 0)
        self.assertAllowed(contact_rules.check_contact(REG_F, when, "call", [talk], NEW_YORK), when)
        # the gap is per channel
        when = datetime(2026, 7, 2, 15, 0)
        self.assertAllowed(contact_rules.check_contact(REG_F, when, "email", [talk], NEW_YORK), when)
        # outside the hours, "hours" is reported first, but the next allowed instant satisfies both
        verdict = contact_rules.check_contact(REG_F, datetime(2026, 7, 3, 2, 0), "call", [talk], NEW_YORK)
        self.assertRefused(verdict, "hours", datetime(2026, 7, 8, 12, 0))
        # contacts after the proposed instant are ignored
        when = datetime(2026, 6, 30, 15, 0)
        self.assertAllowed(contact_rules.check_contact(REG_F, when, "call", [talk], NEW_YORK), when)

    # --- Colombia, Ley 2300 ----------------------------------------------------------------------

    def test_colombia_hours(self):
        # Bogota is UTC-5 all year: Monday-Friday 12:00-00:00 UTC, Saturday 13:00-20:00 UTC
        self.assertRefused(colombia(datetime(2026, 3, 1, 15, 0)), "hours", datetime(2026, 3, 2, 12, 0))
        self.assertAllowed(colombia(datetime(2026, 3, 2, 12, 0)), datetime(2026, 3, 2, 12, 0))
        self.assertAllowed(colombia(datetime(2026, 3, 2, 23, 59)), datetime(2026, 3, 2, 23, 59))
        self.assertRefused(colombia(datetime(2026, 3, 3, 0, 0)), "hours", datetime(2026, 3, 3, 12, 0))
        self.assertRefused(colombia(datetime(2026, 3, 7, 12, 59)), "hours", datetime(2026, 3, 7, 13, 0))
        self.assertAllowed(colombia(datetime(2026, 3, 7, 19, 59)), datetime(2026, 3, 7, 19, 59))
        self.assertRefused(colombia(datetime(2026, 3, 7, 20, 0)), "hours", datetime(2026, 3, 9, 12, 0))

    def test_colombia_holidays(self):
        policy = replace(COLOMBIA, holidays=(SAN_JOSE,))
        verdict = colombia(datetime(2026, 3, 23, 15, 0), policy=policy)
        self.assertRefused(verdict, "holiday", datetime(2026, 3, 24, 12, 0))
        self.assertEqual(verdict.params, {"holiday": "San José", "until": datetime(2026, 3, 24, 5, 0)})
        # on Sunday, the hours refuse first; Monday being a holiday, the next allowed is Tuesday 7:00
        self.assertRefused(colombia(datetime(2026, 3, 22, 15, 0), policy=policy), "hours", datetime(2026, 3, 24, 12, 0))
        # touching holidays are merged
        tuesday = Holiday(datetime(2026, 3, 24, 5), datetime(2026, 3, 25, 5), "Bridge")
        verdict = colombia(datetime(2026, 3, 23, 15, 0), policy=replace(COLOMBIA, holidays=(tuesday, SAN_JOSE)))
        self.assertRefused(verdict, "holiday", datetime(2026, 3, 25, 12, 0))
        self.assertEqual(verdict.params, {"holiday": "San José", "until": datetime(2026, 3, 25, 5, 0)})

    def test_colombia_one_contact_a_day(self):
        sms = Contact(datetime(2026, 3, 3, 14, 0), "sms")
        verdict = colombia(datetime(2026, 3, 3, 19, 0), "call", [sms])
        self.assertRefused(verdict, "limit", datetime(2026, 3, 4, 12, 0))
        self.assertEqual(
            verdict.params, {"scope": "all", "period_days": 1, "max_contacts": 1, "channel": None, "count": 1}
        )
        self.assertAllowed(colombia(datetime(2026, 3, 4, 12, 0), "call", [sms]), datetime(2026, 3, 4, 12, 0))
        # on Friday, the next day is a Saturday, open from 8:00
        friday_sms = Contact(datetime(2026, 3, 6, 14, 0), "sms")
        self.assertRefused(
            colombia(datetime(2026, 3, 6, 19, 0), "call", [friday_sms]), "limit", datetime(2026, 3, 7, 13)
        )

    def test_colombia_one_channel_a_week_after_a_conversation(self):
        talk = Contact(datetime(2026, 3, 2, 15, 0), "call", conversation=True)
        verdict = colombia(datetime(2026, 3, 4, 15, 0), "email", [talk])
        # the conversation of Monday March 2 leaves the week on Monday March 9
        self.assertRefused(verdict, "limit", datetime(2026, 3, 9, 12, 0))
        self.assertEqual(
            verdict.params, {"scope": "channels", "period_days": 7, "max_contacts": 1, "channel": None, "count": 2}
        )
        self.assertAllowed(colombia(datetime(2026, 3, 4, 15, 0), "call", [talk]), datetime(2026, 3, 4, 15, 0))
        # an attempt without conversation does not tie the debtor to its channel
        attempt = replace(talk, conversation=False)
        self.assertAllowed(colombia(datetime(2026, 3, 4, 15, 0), "email", [attempt]), datetime(2026, 3, 4, 15, 0))

    def test_colombia_channels_refused_for_good(self):
        when = datetime(2026, 3, 2, 15, 0)
        verdict = colombia(when, "fax")
        self.assertRefused(verdict, "channel_not_authorised", None)
        self.assertEqual(verdict.params, {"channel": "fax"})
        self.assertRefused(colombia(when, "call", authorised_channels=None), "channel_not_authorised", None)
        # a visit is refused as unauthorised, or, when authorised, as a visit
        self.assertRefused(colombia(when, "visit"), "channel_not_authorised", None)
        verdict = colombia(when, "visit", authorised_channels=AUTHORISED | {"visit"})
        self.assertRefused(verdict, "visits_forbidden", None)
        self.assertEqual(verdict.params, {"channel": "visit"})
        verdict = colombia(when, "call", do_not_contact=True)
        self.assertRefused(verdict, "do_not_contact", None)
        self.assertEqual(verdict.params, {})

    # --- Mexico, CONDUSEF ------------------------------------------------------------------------

    def test_mexico_every_zone(self):
        def check(when, zones=MX_ZONES):
            return contact_rules.check_contact(MEXICO, when, "call", (), zones)

        # Mexico City is UTC-6 all year: 7:00-22:00 is 13:00-04:00 UTC
        self.assertRefused(
            check(datetime(2026, 7, 1, 12, 59), ("America/Mexico_City",)), "hours", datetime(2026, 7, 1, 13)
        )
        self.assertAllowed(check(datetime(2026, 7, 2, 3, 59), ("America/Mexico_City",)), datetime(2026, 7, 2, 3, 59))
        # every zone, summer: from 7:00 in Hermosillo and Tijuana (UTC-7) to 22:00 in Cancun (UTC-5)
        self.assertRefused(check(datetime(2026, 7, 1, 13, 59)), "hours", datetime(2026, 7, 1, 14, 0))
        self.assertAllowed(check(datetime(2026, 7, 2, 2, 59)), datetime(2026, 7, 2, 2, 59))
        self.assertRefused(check(datetime(2026, 7, 2, 3, 0)), "hours", datetime(2026, 7, 2, 14, 0))
        # winter: Tijuana is on UTC-8 and opens at 15:00 UTC
        verdict = check(datetime(2026, 1, 7, 14, 30))
        self.assertRefused(verdict, "hours", datetime(2026, 1, 7, 15, 0))
        self.assertEqual(verdict.params["tz"], "America/Tijuana")

    # --- generic behaviour -----------------------------------------------------------------------

    def test_without_policy_or_windows(self):
        when = datetime(2026, 7, 1, 3, 0)
        self.assertAllowed(contact_rules.check_contact(None, when, "visit"), when)
        self.assertRefused(contact_rules.check_contact(None, when, "call", do_not_contact=True), "do_not_contact", None)
        caps_only = Policy("caps only", limits=(Limit("channel", 1, 2),))
        self.assertAllowed(contact_rules.check_contact(caps_only, when, "call"), when)
        self.assertEqual(contact_rules.next_window_start(when, (), NEW_YORK), when)
        # a "channel" limit without a channel counts the contacts on the proposed channel
        sms = [Contact(datetime(2026, 7, 1, 1, minute), "sms") for minute in (0, 1)]
        verdict = contact_rules.check_contact(caps_only, when, "sms", sms)
        self.assertRefused(verdict, "limit", datetime(2026, 7, 2, 0, 0))
        self.assertEqual(verdict.params["channel"], "sms")
        self.assertAllowed(contact_rules.check_contact(caps_only, when, "call", sms), when)

    def test_windows_never_open_together(self):
        # 8:00-9:00 in Tokyo and in New York never overlap
        policy = Policy("disjoint", windows=tuple(Window(weekday, 8.0, 9.0) for weekday in range(7)))
        zones = ("Asia/Tokyo", "America/New_York")
        when = datetime(2026, 7, 1, 12, 0)
        self.assertIsNone(contact_rules.next_window_start(when, policy.windows, zones))
        self.assertRefused(contact_rules.check_contact(policy, when, "call", (), zones), "hours", None)

    def test_window_start_in_a_dst_gap(self):
        # 2:30 does not exist on 2026-03-08 in New York: the window opens at 3:30 EDT
        policy = Policy("night", windows=(Window(6, 2.5, 4.0),))
        start = contact_rules.next_window_start(datetime(2026, 3, 8, 6, 0), policy.windows, NEW_YORK)
        self.assertEqual(start, datetime(2026, 3, 8, 7, 30))
        self.assertTrue(contact_rules.check_contact(policy, start, "call", (), NEW_YORK).allowed)

    def test_next_allowed_is_allowed_and_earliest(self):
        """Over a grid of instants around a DST change, a refusal's next allowed instant is allowed and
        the second before it is refused."""
        us_history = [Contact(datetime(2026, 3, 2, 14 + hour), "call") for hour in range(7)]
        us_history += [Contact(datetime(2026, 3, 10, 16), "call", conversation=True)]
        co_history = [
            Contact(datetime(2026, 3, 3, 14), "sms"),
            Contact(datetime(2026, 3, 5, 15), "call", conversation=True),
            Contact(datetime(2026, 3, 13, 17), "email"),
        ]
        mx_history = [Contact(datetime(2026, 3, 6, 18), "call"), Contact(datetime(2026, 3, 7, 18), "sms")]
        presets = [
            (REG_F, NEW_YORK, us_history, "call", {}),
            (REG_F, US_ZONES, us_history, "call", {}),
            (REG_F, US_ZONES, us_history, "sms", {}),
            (replace(COLOMBIA, holidays=(SAN_JOSE,)), BOGOTA, co_history, "email", {"authorised_channels": AUTHORISED}),
            (replace(COLOMBIA, holidays=(SAN_JOSE,)), BOGOTA, co_history, "call", {"authorised_channels": AUTHORISED}),
            (replace(MEXICO, limits=(Limit("all", 7, 2),)), MX_ZONES, mx_history, "call", {}),
        ]
        for policy, zones, history, channel, kwargs in presets:
            when = datetime(2026, 2, 27, 0, 7)
            while when < datetime(2026, 3, 28):
                past = [contact for contact in history if contact.when <= when]
                verdict = contact_rules.check_contact(policy, when, channel, past, zones, **kwargs)
                label = f"{policy.name} {zones[0]} {channel} at {when}: {verdict}"
                if verdict.allowed:
                    self.assertEqual(verdict.next_allowed, when, label)
                else:
                    self.assertIn(verdict.rule, contact_rules.RULES, label)
                    self.assertGreater(verdict.next_allowed, when, label)
                    again = contact_rules.check_contact(policy, verdict.next_allowed, channel, past, zones, **kwargs)
                    self.assertTrue(again.allowed, f"{label} -> {again}")
                    before = verdict.next_allowed - timedelta(seconds=1)
                    earlier = contact_rules.check_contact(policy, before, channel, past, zones, **kwargs)
                    self.assertFalse(earlier.allowed, label)
                when += timedelta(hours=3, minutes=17)
