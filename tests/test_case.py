from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests import tagged

from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestCase(CollectionCommon):
    def test_sequence_and_totals(self):
        debtor = self._debtor("Lucía Fernández")
        case = self._case(debtor, self.collector_a, installments=[(-40, 100.0), (-10, 50.0), (20, 70.0)])
        self.assertTrue(case.name.startswith("CASE/"))
        self.assertEqual(case.currency_id, self.company.currency_id)
        self.assertEqual(case.amount_total, 220.0)
        self.assertEqual(case.amount_residual, 220.0)
        self.assertEqual(case.amount_overdue, 150.0)
        self.assertEqual(case.date_oldest_due, self.today - timedelta(days=40))
        self.assertEqual(case.days_overdue, 40)
        self.assertEqual(case.aging_bucket, "d031_060")
        self.assertEqual(case.stage_id, self.stage_delinquent)
        self.assertGreater(case.priority_score, 0)
        self.assertEqual(case.display_name, f"{case.name} - Lucía Fernández")

    def test_external_installment_states_and_close_on_paid(self):
        case = self._case(self._debtor("Georgi Ivanov"), self.collector_a, installments=[(-20, 100.0), (10, 100.0)])
        first, second = case.installment_ids.sorted("date_due")
        self.assertEqual(first.state, "pending")
        first.amount_paid = 40.0
        self.assertEqual(first.state, "partial")
        self.assertEqual(dict(first._fields["state"].selection)["partial"], "Pending to collect")
        self.assertEqual(case.amount_residual, 160.0)
        self.assertEqual(case.state, "open")
        first.amount_paid = 100.0
        self.assertEqual(first.state, "paid")
        self.assertEqual(case.amount_overdue, 0.0)
        self.assertEqual(case.stage_id, self.stage_preventive, "nothing overdue any more")
        second.amount_paid = 100.0
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.close_reason, "paid")
        self.assertEqual(case.stage_id, self.stage_closed)
        # a correction that re-opens the debt re-opens the case
        second.amount_paid = 90.0
        self.assertEqual(case.state, "open")
        self.assertFalse(case.close_reason)

    def test_overpayment_and_bad_amounts_refused(self):
        case = self._case(self._debtor("John Smith"), self.collector_a, installments=[(-5, 100.0)])
        with self.assertRaises(ValidationError):
            case.installment_ids.amount_paid = 150.0
        with self.assertRaises(ValidationError):
            self._case(self._debtor("Jane Doe"), installments=[(-5, -10.0)])

    def test_manual_close_logs_event_and_keeps_reason(self):
        case = self._case(self._debtor("Petar Petrov"), self.collector_a)
        wizard = Form(
            self.env["collection.case.close"]
            .with_user(self.supervisor)
            .with_context(active_model="collection.case", active_ids=case.ids)
        )
        wizard.close_reason = "returned"
        wizard.note = "Creditor recalled the file"
        wizard.save().action_close()
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.close_reason, "returned")
        events = (
            self.env["collection.event"].sudo().search([("case_id", "=", case.id), ("event_type", "=", "case_close")])
        )
        self.assertEqual(len(events), 1)
        self.assertIn("Creditor recalled the file", events.description)
        case.with_user(self.supervisor).action_reopen()
        self.assertEqual(case.state, "open")
        self.assertEqual(case.stage_id, self.stage_delinquent)

    def test_assignment_history_and_event(self):
        case = self._case(self._debtor("Maria Lopez"), self.collector_a)
        self.assertEqual(len(case.assignment_ids), 1)
        case.with_user(self.supervisor).write({"user_id": self.collector_b.id})
        history = case.assignment_ids.sorted("id")
        self.assertEqual(len(history), 2)
        self.assertTrue(history[0].date_end, "the previous assignment is closed")
        self.assertEqual(history[1].user_id, self.collector_b)
        self.assertEqual(history[1].previous_user_id, self.collector_a)
        self.assertFalse(history[1].date_end)
        events = (
            self.env["collection.event"].sudo().search([("case_id", "=", case.id), ("event_type", "=", "assignment")])
        )
        self.assertEqual(len(events), 2)

    def test_manual_stage_kept_until_closing(self):
        case = self._case(self._debtor("Ivan Kolev"), self.collector_a, installments=[(-50, 100.0)])
        case.stage_id = self.stage_prelegal
        case.installment_ids.amount_paid = 10.0
        self.assertEqual(case.stage_id, self.stage_prelegal, "manual stages are not overridden by amounts")
        case.installment_ids.amount_paid = 100.0
        self.assertEqual(case.stage_id, self.stage_closed)

    def test_daily_refresh_moves_aging_with_the_calendar(self):
        case = self._case(self._debtor("Emily Clark"), self.collector_a, installments=[(-25, 100.0), (40, 50.0)])
        self.assertEqual(case.stage_id, self.stage_current)
        self.assertEqual(case.aging_bucket, "d001_030")
        with freeze_time(self.today + timedelta(days=10)):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertEqual(case.days_overdue, 35)
            self.assertEqual(case.aging_bucket, "d031_060")
            self.assertEqual(case.stage_id, self.stage_delinquent)
            self.assertEqual(case.amount_overdue, 100.0)
        with freeze_time(self.today + timedelta(days=45)):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertEqual(case.amount_overdue, 150.0)
            self.assertEqual(case.days_overdue, 70)

    def test_portfolio_totals_and_delete_protection(self):
        self._case(self._debtor("A"), self.collector_a, installments=[(-5, 100.0)])
        self._case(self._debtor("B"), self.collector_b, installments=[(-5, 60.0), (5, 40.0)])
        self.assertEqual(self.external.case_count, 2)
        self.assertEqual(self.external.amount_residual, 200.0)
        self.assertEqual(self.external.amount_overdue, 160.0)
        with self.assertRaises(UserError):
            self.external.unlink()

    def test_one_active_internal_portfolio_per_company(self):
        with self.assertRaises(ValidationError):
            self.env["collection.portfolio"].create(
                {"name": "Second internal", "kind": "internal", "state": "active", "company_id": self.company.id}
            )

    def test_team_member_absence(self):
        self.member_b.write(
            {"absence_from": self.today - timedelta(days=1), "absence_to": self.today + timedelta(days=1)}
        )
        self.assertTrue(self.member_b.is_absent)
        self.assertIn(self.member_b, self.env["collection.team.member"].search([("is_absent", "=", True)]))
        with self.assertRaises(ValidationError):
            self.member_b.absence_to = self.today - timedelta(days=5)
        with self.assertRaises(ValidationError):
            self.env["collection.team.member"].create(
                {"team_id": self.team.id, "user_id": self.supervisor.id, "substitute_id": self.supervisor.id}
            )

    def test_partner_smart_button(self):
        debtor = self._debtor("Carmen Ruiz")
        self._case(debtor, self.collector_a, installments=[(-5, 80.0)])
        other = self.env["collection.portfolio"].create(
            {"name": "Other", "kind": "external", "creditor_id": self.creditor.id, "team_id": self.team.id}
        )
        self._case(debtor, self.collector_a, installments=[(-5, 20.0)], portfolio=other)
        self.assertEqual(debtor.collection_case_count, 2)
        self.assertEqual(debtor.collection_amount_open, 100.0)
        action = debtor.action_view_collection_cases()
        self.assertEqual(self.env["collection.case"].search_count(action["domain"]), 2)

    def test_case_form_onchange_with_new_installments(self):
        form = Form(self.env["collection.case"].with_user(self.manager))
        form.portfolio_id = self.external
        form.partner_id = self._debtor("Form Debtor")
        with form.installment_ids.new() as line:
            line.name = "Cuota 1"
            line.date_due = self.today - timedelta(days=3)
            line.amount = 75.0
        self.assertEqual(form.amount_residual, 75.0)
        case = form.save()
        self.assertEqual(case.installment_ids.amount_residual, 75.0)
        self.assertEqual(case.stage_id, self.stage_current)
        case.installment_ids = [Command.create({"name": "Cuota 2", "date_due": self.today, "amount": 25.0})]
        self.assertEqual(case.amount_total, 100.0)
