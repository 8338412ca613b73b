from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import new_test_user
from odoo.tests import tagged

from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestSecurity(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.case_a = cls._case(cls._debtor("Debtor of A"), cls.collector_a)
        cls.case_b = cls._case(cls._debtor("Debtor of B"), cls.collector_b)
        cls.other_team = cls.env["collection.team"].create(
            {"name": "Team Two", "supervisor_id": cls.supervisor_other.id, "company_id": cls.company.id}
        )
        cls.case_other_team = cls._case(cls._debtor("Debtor of team two"), cls.collector_a, team_id=cls.other_team.id)

    def _visible(self, user):
        return self.env["collection.case"].with_user(user).search([])

    def test_collector_works_only_own_cases(self):
        Case = self.env["collection.case"].with_user(self.collector_a)
        self.assertEqual(set(Case.search([]).ids), {self.case_a.id, self.case_other_team.id})
        # own case: read and edit
        self.case_a.with_user(self.collector_a).write({"note": "<p>Called twice</p>", "next_action_date": self.today})
        self.assertEqual(self.case_a.with_user(self.collector_a).installment_ids.amount, 100.0)
        # another collector's case: neither read nor write
        with self.assertRaises(AccessError):
            self.case_b.with_user(self.collector_a).read(["name"])
        with self.assertRaises(AccessError):
            self.case_b.with_user(self.collector_a).write({"note": "<p>Not mine</p>"})
        with self.assertRaises(AccessError):
            self.case_b.installment_ids.with_user(self.collector_a).read(["amount"])
        with self.assertRaises(AccessError):
            self.case_b.assignment_ids.with_user(self.collector_a).read(["user_id"])
        # a collector does not reassign, create or delete cases
        with self.assertRaises(AccessError):
            self.case_a.with_user(self.collector_a).write({"user_id": self.collector_b.id})
        with self.assertRaises(AccessError):
            self.case_a.with_user(self.collector_a).write({"state": "closed", "close_reason": "written_off"})
        # moving the card to another stage is allowed
        self.case_a.with_user(self.collector_a).write({"stage_id": self.stage_prelegal.id})
        self.assertEqual(self.case_a.stage_id, self.stage_prelegal)
        with self.assertRaises(AccessError):
            Case.create({"portfolio_id": self.external.id, "partner_id": self.creditor.id})
        with self.assertRaises(AccessError):
            self.case_a.with_user(self.collector_a).unlink()
        with self.assertRaises(AccessError):
            self.case_a.installment_ids.with_user(self.collector_a).write({"amount_paid": 10.0})

    def test_substitute_sees_cases_only_during_absence(self):
        self.assertNotIn(self.case_b, self._visible(self.collector_a))
        self.member_b.write(
            {"absence_from": self.today - timedelta(days=2), "absence_to": self.today + timedelta(days=2)}
        )
        self.assertIn(self.case_b, self._visible(self.collector_a))
        self.case_b.with_user(self.collector_a).write({"next_action_date": self.today})
        self.assertEqual(self.case_b.installment_ids.with_user(self.collector_a).read(["amount"])[0]["amount"], 100.0)
        # the absence is over: access returns to the holder only
        self.member_b.write(
            {"absence_from": self.today - timedelta(days=10), "absence_to": self.today - timedelta(days=1)}
        )
        self.assertNotIn(self.case_b, self._visible(self.collector_a))
        with self.assertRaises(AccessError):
            self.case_b.with_user(self.collector_a).read(["name"])

    def test_reassignment_moves_access(self):
        self.case_a.with_user(self.supervisor).write({"user_id": self.collector_b.id})
        self.assertNotIn(self.case_a, self._visible(self.collector_a))
        self.assertIn(self.case_a, self._visible(self.collector_b))
        with self.assertRaises(AccessError):
            self.case_a.with_user(self.collector_a).read(["name"])

    def test_supervisor_sees_teams_they_lead(self):
        visible = self._visible(self.supervisor)
        self.assertIn(self.case_a, visible)
        self.assertIn(self.case_b, visible)
        self.assertNotIn(self.case_other_team, visible)
        with self.assertRaises(AccessError):
            self.case_other_team.with_user(self.supervisor).read(["name"])
        self.case_b.with_user(self.supervisor).write({"user_id": self.collector_a.id})
        self.assertEqual(self.case_b.user_id, self.collector_a)
        self.assertEqual(self._visible(self.supervisor_other), self.case_other_team)
        # a supervisor does not configure
        with self.assertRaises(AccessError):
            self.env["collection.stage"].with_user(self.supervisor).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.other_team.with_user(self.supervisor).write({"name": "Taken over"})

    def test_manager_sees_all_of_their_companies(self):
        visible = self._visible(self.manager)
        self.assertTrue({self.case_a, self.case_b, self.case_other_team} <= set(visible))
        self.env["collection.stage"].with_user(self.manager).create({"name": "Agency"})
        self.case_other_team.with_user(self.manager).write({"user_id": self.collector_b.id})

    def test_multi_company_isolation(self):
        company_2 = self.setup_other_company(name="Second Co")["company"]
        portfolio_2 = self.env["collection.portfolio"].create(
            {
                "name": "Second Co portfolio",
                "kind": "external",
                "company_id": company_2.id,
                "currency_id": company_2.currency_id.id,
            }
        )
        case_2 = self._case(self._debtor("Foreign debtor"), self.collector_a, portfolio=portfolio_2)
        for user in (self.manager, self.collector_a):
            self.assertNotIn(case_2, self._visible(user))
            with self.assertRaises(AccessError):
                case_2.with_user(user).read(["name"])
            with self.assertRaises(AccessError):
                case_2.installment_ids.with_user(user).read(["amount"])
            with self.assertRaises(AccessError):
                portfolio_2.with_user(user).read(["name"])
        manager_2 = new_test_user(
            self.env,
            "dc_manager_2",
            "debt_collection.group_collection_manager",
            {"no_reset_password": True},
            company_id=company_2.id,
            company_ids=[Command.set(company_2.ids)],
        )
        self.assertEqual(self._visible(manager_2), case_2)

    def test_event_log_is_append_only_and_auditor_only(self):
        self.case_a.with_user(self.supervisor).write({"user_id": self.collector_b.id})
        events = self.env["collection.event"].sudo().search([("case_id", "=", self.case_a.id)])
        self.assertTrue(events)
        for user in (self.collector_a, self.supervisor, self.manager, self.accountant):
            with self.assertRaises(AccessError):
                events.with_user(user).read(["description"])
            with self.assertRaises(AccessError):
                self.env["collection.event"].with_user(user).create(
                    {"event_type": "other", "description": "forged", "company_id": self.company.id}
                )
        auditor_events = self.env["collection.event"].with_user(self.auditor).search([("case_id", "=", self.case_a.id)])
        self.assertEqual(auditor_events, events)
        self.assertTrue(auditor_events.read(["description", "user_id", "event_type"]))
        with self.assertRaises(AccessError):
            auditor_events.write({"description": "edited"})
        with self.assertRaises(AccessError):
            auditor_events.unlink()
        # not even the superuser can change or delete an event through the ORM
        with self.assertRaises(UserError):
            events.sudo().write({"description": "edited"})
        with self.assertRaises(UserError):
            events.sudo().unlink()
        self.assertEqual(
            len(self.env["collection.event"].sudo().search([("case_id", "=", self.case_a.id)])), len(events)
        )
