from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form
from odoo.tests import new_test_user
from odoo.tests import tagged

from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestAccessReview(CollectionCommon):
    """What each role may and may not do to what it can reach: team
    memberships, the contact dialog, phone books, system-set details of
    promises, cases, disputes and interactions, agreement schedules and
    approval terms, installment figures, debtors' contact permissions and
    the invoice synchronisation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call = cls.env.ref("debt_collection.collection_channel_call")
        cls.sms = cls.env.ref("debt_collection.collection_channel_sms")
        cls.contacted = cls.env.ref("debt_collection.collection_result_contacted")
        cls.case_a = cls._case(cls._debtor("Debtor of A", mobile="+57 312 555 0199"), cls.collector_a)
        cls.case_b = cls._case(
            cls._debtor("Debtor of B", mobile="+57 312 555 0198", email="b@example.com"), cls.collector_b
        )
        cls.other_team = cls.env["collection.team"].create(
            {
                "name": "Team Two",
                "supervisor_id": cls.supervisor_other.id,
                "company_id": cls.company.id,
                "member_ids": [Command.create({"user_id": cls.collector_b.id})],
            }
        )
        cls.member_b_other = cls.other_team.member_ids
        cls.case_b_other_team = cls._case(
            cls._debtor("Debtor of B in team two"), cls.collector_b, team_id=cls.other_team.id
        )

    def _visible(self, user):
        return self.env["collection.case"].with_user(user).search([])

    # ------------------------------------------------------------------ 5. teams and substitution
    def test_supervisor_cannot_edit_memberships_of_teams_they_do_not_lead(self):
        absent = {"substitute_id": self.supervisor.id, "absence_from": self.today - timedelta(days=1)}
        with self.assertRaises(AccessError):
            self.member_b_other.with_user(self.supervisor).write(absent)
        with self.assertRaises(AccessError):
            self.env["collection.team.member"].with_user(self.supervisor).create(
                {"team_id": self.other_team.id, "user_id": self.collector_a.id}
            )
        # their own team's memberships stay theirs to manage
        self.member_b.with_user(self.supervisor).write({"daily_capacity": 25})
        self.assertEqual(self.member_b.daily_capacity, 25)
        self.assertNotIn(self.case_b_other_team, self._visible(self.supervisor))

    def test_substitution_opens_only_the_cases_of_that_team(self):
        # the supervisor puts the victim in their own team with themselves as substitute
        member = (
            self.env["collection.team.member"]
            .with_user(self.supervisor)
            .search([("team_id", "=", self.team.id), ("user_id", "=", self.collector_b.id)])
        )
        member.with_user(self.supervisor).write(
            {"substitute_id": self.collector_a.id, "absence_from": self.today - timedelta(days=1)}
        )
        visible = self._visible(self.collector_a)
        self.assertIn(self.case_b, visible, "the substitute works the absent colleague's cases of the team")
        self.assertNotIn(self.case_b_other_team, visible, "but not those the colleague holds in another team")
        self.assertEqual(self.case_b.acting_user_ids, self.collector_b | self.collector_a)
        self.assertEqual(self.case_b_other_team.acting_user_ids, self.collector_b)
        with self.assertRaises(AccessError):
            self.case_b_other_team.with_user(self.collector_a).read(["amount_residual"])
        # the Today lists follow the same rule
        plan = self.env["collection.case"]._plan_today()
        self.assertEqual(plan.get(self.case_b.id), self.collector_a.id)
        self.assertNotEqual(plan.get(self.case_b_other_team.id), self.collector_a.id)

    # ------------------------------------------------------------------ 6. the contact dialog
    def test_contact_dialog_refuses_cases_out_of_reach(self):
        Log = self.env["collection.interaction.log"].with_user(self.collector_a)
        with self.assertRaises(AccessError):
            Log.create({"case_id": self.case_b.id, "channel_id": self.call.id})
        with self.assertRaises(AccessError):
            Form(Log.with_context(default_case_id=self.case_b.id, default_channel_id=self.call.id))
        company_2 = self.setup_other_company(name="Dialog Co")["company"]
        portfolio_2 = self.env["collection.portfolio"].create(
            {"name": "Foreign", "kind": "external", "company_id": company_2.id, "currency_id": company_2.currency_id.id}
        )
        case_2 = self._case(
            self._debtor("Foreign debtor", phone="+34 600 000 000"), self.manager, portfolio=portfolio_2
        )
        with self.assertRaises(AccessError):
            self.env["collection.interaction.log"].with_user(self.manager).create(
                {"case_id": case_2.id, "channel_id": self.call.id}
            )
        # the collector's own case opens normally
        wizard = Log.create({"case_id": self.case_a.id, "channel_id": self.call.id})
        self.assertEqual(wizard.amount_residual, 100.0)
        self.assertTrue(wizard.phone)

    # ------------------------------------------------------------------ 7. phone books and line rules
    def test_phone_books_follow_the_cases(self):
        Phone = self.env["collection.phone"]
        phone_b = Phone.create({"partner_id": self.case_b.partner_id.id, "number": "+57 312 555 0111"})
        phone_a = Phone.create({"partner_id": self.case_a.partner_id.id, "number": "+57 312 555 0112"})
        self.assertEqual(Phone.with_user(self.collector_a).search([("id", "in", (phone_a | phone_b).ids)]), phone_a)
        with self.assertRaises(AccessError):
            phone_b.with_user(self.collector_a).read(["number"])
        with self.assertRaises(AccessError):
            phone_b.with_user(self.collector_a).write({"is_valid": False})
        with self.assertRaises(AccessError):
            Phone.with_user(self.collector_a).create(
                {"partner_id": self.case_b.partner_id.id, "number": "+573125550113"}
            )
        Phone.with_user(self.collector_a).create({"partner_id": self.case_a.partner_id.id, "number": "+573125550114"})
        self.assertEqual(len(self.case_a.partner_id.collection_phone_ids), 2)

    def test_lines_follow_their_parent_company(self):
        company_2 = self.setup_other_company(name="Lines Co")["company"]
        policy = self.env["collection.contact.policy"].create(
            {
                "name": "Foreign policy",
                "company_id": company_2.id,
                "window_ids": [Command.create({"weekday": "0", "hour_from": 8, "hour_to": 20})],
            }
        )
        template = self.env["collection.import.template"].create(
            {
                "name": "Foreign layout",
                "company_id": company_2.id,
                "line_ids": [Command.create({"header": "Cliente", "column": "partner_name"})],
            }
        )
        for records in (policy.window_ids, template.line_ids):
            with self.assertRaises(AccessError):
                records.with_user(self.manager).read(["id"])

    # ------------------------------------------------------------------ 8. allow-lists
    def test_collector_cannot_set_what_the_promise_sets_itself(self):
        Promise = self.env["collection.promise"].with_user(self.collector_a)
        base = {"case_id": self.case_a.id, "amount": 50.0, "date_promise": self.today + timedelta(days=3)}
        for extra in (
            {"state": "kept"},
            {"paid_baseline": -1000.0},
            {"made_at": "2020-01-01 00:00:00"},
            {"date_made": self.today - timedelta(days=30)},
            {"amount_kept": 50.0},
            {"user_id": self.collector_b.id},
        ):
            with self.subTest(extra=extra), self.assertRaises(AccessError):
                Promise.create(dict(base, **extra))
        promise = Promise.create(base)
        self.assertEqual((promise.state, promise.user_id), ("open", self.collector_a))
        with self.assertRaises(AccessError):
            promise.write({"paid_baseline": -500.0})
        promise.write({"amount": 60.0, "note": "confirmed by SMS"})
        self.assertEqual(promise.amount, 60.0)

    def test_nobody_writes_the_figures_of_a_case(self):
        for user, vals in (
            (self.collector_a, {"amount_residual": 0.0}),
            (self.collector_a, {"priority_score": 99.0}),
            (self.collector_a, {"work_tier": "1_promise"}),
            (self.collector_a, {"promise_kept_rate": 100.0}),
            (self.collector_a, {"last_contact_date": "2020-01-01 00:00:00"}),
            (self.supervisor, {"amount_overdue": 0.0}),
            (self.supervisor, {"amount_credit": 500.0}),
            (self.manager, {"days_overdue": 0}),
        ):
            with self.subTest(user=user.login, vals=vals), self.assertRaises(AccessError):
                self.case_a.with_user(user).write(vals)
        with self.assertRaises(AccessError):
            self.env["collection.case"].with_user(self.supervisor).create(
                {"portfolio_id": self.external.id, "partner_id": self.case_a.partner_id.id, "priority_score": 99.0}
            )
        self.case_a.with_user(self.collector_a).write({"next_action_date": self.today, "color": 3})
        self.assertEqual(self.case_a.amount_residual, 100.0)

    def test_disputes_open_as_open_and_interactions_by_their_author(self):
        Dispute = self.env["collection.dispute"].with_user(self.collector_a)
        reason = self.env["collection.dispute.reason"].search([], limit=1)
        base = {
            "case_id": self.case_a.id,
            "reason_id": reason.id,
            "installment_ids": [Command.set(self.case_a.installment_ids.ids)],
        }
        for extra in ({"state": "accepted"}, {"amount_written_off": 100.0}, {"date_opened": "2020-01-01"}):
            with self.subTest(extra=extra), self.assertRaises(AccessError):
                Dispute.create(dict(base, **extra))
        self.assertEqual(Dispute.create(base).state, "open")
        Interaction = self.env["collection.interaction"].with_user(self.collector_a)
        base = {"case_id": self.case_a.id, "channel_id": self.call.id, "result_id": self.contacted.id}
        for extra in ({"user_id": self.collector_b.id}, {"overridden_rule": "hours"}, {"voided": True}):
            with self.subTest(extra=extra), self.assertRaises(AccessError):
                Interaction.create(dict(base, **extra))
        self.assertEqual(Interaction.create(base).user_id, self.collector_a)

    # ------------------------------------------------------------------ 9. agreements
    def test_agreement_lines_are_written_by_the_agreement_only(self):
        case = self._case(self._debtor("Plan debtor"), self.collector_a, installments=((-60, 300.0), (-30, 300.0)))
        agreement = (
            self.env["collection.agreement"]
            .with_user(self.collector_a)
            .create(
                {
                    "case_id": case.id,
                    "replaced_installment_ids": [Command.set(case.installment_ids.ids)],
                    "installment_count": 3,
                    "first_due_date": self.today + timedelta(days=10),
                }
            )
        )
        agreement.action_submit()
        self.assertEqual(agreement.state, "active", "a small plan is the collector's to approve")
        line = agreement.line_ids[:1].with_user(self.collector_a)
        with self.assertRaises(AccessError):
            line.write({"amount": 1.0})
        with self.assertRaises(AccessError):
            line.unlink()
        with self.assertRaises(AccessError):
            self.env["collection.agreement.line"].with_user(self.collector_a).create(
                {"agreement_id": agreement.id, "amount": 1.0}
            )

    def test_approval_levels_bound_the_first_due_date_and_the_length(self):
        collector_level = self.env.ref("debt_collection.collection_agreement_level_collector")
        manager_level = self.env.ref("debt_collection.collection_agreement_level_manager")
        for first_due, count, frequency in (
            (self.today + timedelta(days=10), 3, "monthly"),
            (self.today + timedelta(days=10), 6, "biweekly"),
        ):
            case = self._case(self._debtor(f"Far plan {count}"), self.collector_a, installments=((-60, 600.0),))
            vals = {
                "case_id": case.id,
                "replaced_installment_ids": [Command.set(case.installment_ids.ids)],
                "installment_count": count,
                "frequency": frequency,
                "first_due_date": first_due,
            }
            agreement = self.env["collection.agreement"].with_user(self.collector_a).create(vals)
            self.assertEqual(agreement.level_id, collector_level, "within the collector's term")
        far = self._case(self._debtor("Far plan"), self.collector_a, installments=((-60, 600.0),))
        agreement = (
            self.env["collection.agreement"]
            .with_user(self.collector_a)
            .create(
                {
                    "case_id": far.id,
                    "replaced_installment_ids": [Command.set(far.installment_ids.ids)],
                    "installment_count": 3,
                    "first_due_date": self.today + timedelta(days=365 * 60),
                }
            )
        )
        self.assertNotEqual(agreement.level_id, collector_level)
        agreement.action_submit()
        self.assertEqual(agreement.state, "to_approve", "a plan first due decades away is not self-approved")
        long_plan = self._case(self._debtor("Long plan"), self.collector_a, installments=((-60, 600.0),))
        agreement = (
            self.env["collection.agreement"]
            .with_user(self.collector_a)
            .create(
                {
                    "case_id": long_plan.id,
                    "replaced_installment_ids": [Command.set(long_plan.installment_ids.ids)],
                    "installment_count": 6,
                    "frequency": "monthly",
                    "first_due_date": self.today + timedelta(days=3010),
                    "date_agreement": self.today + timedelta(days=3000),
                }
            )
        )
        self.assertEqual(agreement.level_id, manager_level, "a future agreement date does not move the term")

    # ------------------------------------------------------------------ 10. installment figures
    def test_installment_figures_change_through_their_flows_or_a_logged_correction(self):
        inst = self.case_a.installment_ids
        for vals in (
            {"amount": 10.0},
            {"date_due": self.today + timedelta(days=400)},
            {"amount_paid": 100.0},
            {"amount_written_off": 100.0},
            {"state": "written_off"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                inst.with_user(self.supervisor).write(vals)
        with self.assertRaises(AccessError):
            inst.with_user(self.manager).write({"case_id": self.case_b.id})
        inst.with_user(self.supervisor).write({"name": "Card 4411 - March"})
        inst.with_user(self.manager).write({"amount": 80.0})
        self.assertEqual(self.case_a.amount_residual, 80.0)
        event = (
            self.env["collection.event"]
            .sudo()
            .search([("case_id", "=", self.case_a.id), ("event_type", "=", "correction")])
        )
        self.assertEqual(len(event), 1)
        self.assertEqual(event.user_id, self.manager)
        self.assertEqual(event.payload["changes"]["amount"], {"old": "100.0", "new": "80.0"})

    # ------------------------------------------------------------------ 11. debtors' contact permissions
    def test_contact_permissions_are_the_collection_groups_and_logged(self):
        sales = new_test_user(self.env, "dc_sales", "base.group_user,base.group_partner_manager", name="Sam Sales")
        debtor = self.case_a.partner_id
        with self.assertRaises(AccessError):
            debtor.with_user(sales).write({"collection_do_not_contact": True})
        with self.assertRaises(AccessError):
            debtor.with_user(sales).write({"collection_channel_ids": [Command.set(self.sms.ids)]})
        for fname in ("collection_amount_open", "collection_promise_kept_rate", "collection_do_not_contact"):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                debtor.with_user(sales).read([fname])
        # the accountant sees the figures, not the contact data
        self.assertEqual(
            debtor.with_user(self.accountant).read(["collection_amount_open"])[0]["collection_amount_open"], 100.0
        )
        with self.assertRaises(AccessError):
            debtor.with_user(self.accountant).write({"collection_do_not_contact": True})
        # a collector who may edit contacts records the debtor's wish; lifting it is a supervisor's decision
        collector = new_test_user(
            self.env,
            "dc_collector_contacts",
            "debt_collection.group_collection_user,base.group_partner_manager",
            name="Carla Contacts",
        )
        debtor.with_user(collector).write({"collection_do_not_contact": True})
        with self.assertRaises(AccessError):
            debtor.with_user(collector).write({"collection_do_not_contact": False})
        supervisor = new_test_user(
            self.env,
            "dc_supervisor_contacts",
            "debt_collection.group_collection_supervisor,base.group_partner_manager",
            name="Sara Contacts",
        )
        debtor.with_user(supervisor).write({"collection_do_not_contact": False})
        events = (
            self.env["collection.event"]
            .sudo()
            .search([("case_id", "=", self.case_a.id), ("event_type", "=", "contact_permission")], order="id")
        )
        self.assertEqual(events.user_id, collector | supervisor)
        self.assertEqual([e.payload["changes"]["collection_do_not_contact"]["new"] for e in events], [True, False])

    # ------------------------------------------------------------------ 12. invoice synchronisation
    def test_only_managers_start_the_invoice_sync(self):
        for user in (self.collector_a, self.supervisor, self.accountant):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.internal.with_user(user).action_sync_invoices()
        self.internal.with_user(self.manager).action_sync_invoices()
