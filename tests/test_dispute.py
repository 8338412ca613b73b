from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestDispute(CollectionCommon):
    """What an open dispute covers stays owed and shown, but leaves the
    overdue totals that drive escalation and the automatic actions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reason = cls.env.ref("debt_collection.collection_dispute_reason_amount")
        cls.case = cls._case(
            cls._debtor("Ferretería El Tornillo"),
            cls.collector_a,
            installments=((-100, 400.0), (-10, 100.0), (15, 50.0)),
        )
        cls.old, cls.recent, cls.future = cls.case.installment_ids.sorted("date_due")

    def _open(self, installments, user=None, **vals):
        return (
            self.env["collection.dispute"]
            .with_user(user or self.collector_a)
            .create(
                {
                    "case_id": self.case.id,
                    "reason_id": self.reason.id,
                    "installment_ids": [(6, 0, installments.ids)],
                    **vals,
                }
            )
        )

    def test_open_dispute_leaves_the_overdue_totals_but_not_the_balance(self):
        self.assertEqual((self.case.amount_overdue, self.case.days_overdue), (500.0, 100))
        self.assertEqual(self.case.stage_id, self.stage_delinquent)
        score = self.case.priority_score
        dispute = self._open(self.old)
        self.assertEqual(dispute.amount, 400.0, "the whole balance contested by default")
        self.assertTrue(self.old.is_disputed)
        self.assertEqual(self.case.amount_residual, 550.0, "still owed and shown")
        self.assertEqual(self.case.amount_disputed, 400.0)
        self.assertEqual(self.case.amount_overdue, 100.0)
        self.assertEqual(self.case.days_overdue, 10)
        self.assertEqual(self.case.aging_bucket, "d001_030")
        self.assertEqual(self.case.date_oldest_due, self.old.date_due, "the oldest due date is still shown")
        self.assertLess(self.case.priority_score, score)
        self.assertEqual(self.case.stage_id, self.stage_current, "no escalation on the contested debt")
        # the daily SQL refresh agrees with the ORM
        values = self.case.read(["amount_overdue", "days_overdue", "aging_bucket", "priority_score"])[0]
        self.case.invalidate_recordset()
        self.env["collection.case"]._refresh_aging([self.case.id])
        self.assertEqual(
            self.case.read(["amount_overdue", "days_overdue", "aging_bucket", "priority_score"])[0], values
        )
        # rejected: back in the totals
        dispute.with_user(self.supervisor).action_reject()
        self.assertEqual(dispute.state, "rejected")
        self.assertFalse(self.old.is_disputed)
        self.assertEqual((self.case.amount_overdue, self.case.days_overdue), (500.0, 100))
        self.assertEqual(self.case.stage_id, self.stage_delinquent)

    def test_automatic_actions_skip_what_is_disputed(self):
        email = "email"
        self.assertEqual(self.case._automatic_contact_allowed(email), self.case)
        dispute = self._open(self.old + self.recent)
        self.assertEqual(self.case.amount_overdue, 0.0)
        self.assertFalse(self.case._automatic_contact_allowed(email), "nothing overdue outside the dispute")
        dispute.with_user(self.supervisor).action_review()
        self.assertEqual(dispute.state, "review")
        self.assertFalse(self.case._automatic_contact_allowed(email), "in review still suspends")
        dispute.with_user(self.supervisor).action_reject()
        self.assertEqual(self.case._automatic_contact_allowed(email), self.case)

    def test_accepted_external_dispute_writes_the_amount_off(self):
        dispute = self._open(self.old + self.recent, amount=450.0, description="Interest charged twice")
        with self.assertRaises(AccessError):
            dispute.with_user(self.collector_a).action_accept()
        with self.assertRaises(AccessError):
            dispute.with_user(self.collector_a).write({"state": "accepted"})
        dispute.with_user(self.supervisor).action_accept()
        self.assertEqual((dispute.state, dispute.amount_written_off), ("accepted", 450.0))
        # oldest due first: 400 of the first installment, 50 of the second
        self.assertEqual(
            (self.old.state, self.old.amount_residual, self.old.amount_written_off), ("written_off", 0.0, 400.0)
        )
        self.assertEqual((self.recent.state, self.recent.amount_residual), ("pending", 50.0))
        self.assertEqual(self.case.amount_residual, 100.0)
        self.assertEqual(self.case.amount_disputed, 0.0)
        events = self.env["collection.event"].with_user(self.auditor).search([("case_id", "=", self.case.id)])
        self.assertIn("write_off", events.mapped("event_type"))
        self.assertIn("dispute", events.mapped("event_type"))
        with self.assertRaises(UserError):
            dispute.with_user(self.supervisor).write({"amount": 10.0})

    def test_fully_written_off_case_closes_as_written_off(self):
        dispute = self._open(self.case.installment_ids)
        dispute.with_user(self.supervisor).action_accept()
        self.assertEqual((self.case.state, self.case.close_reason), ("closed", "written_off"))

    def test_accepted_internal_dispute_asks_accounting_for_a_credit_note(self):
        salesperson = self._new_user("dc_sales", "group_collection_user", "Sam Sales")
        invoice = self._invoice(self.partner_a, 800.0, days_ago=40)
        invoice.invoice_user_id = salesperson
        self.internal._sync_invoices()
        case = invoice.collection_case_id
        case.user_id = self.collector_a
        self.assertEqual(invoice.collection_status, "in_collection")
        dispute = (
            self.env["collection.dispute"]
            .with_user(self.collector_a)
            .create(
                {"case_id": case.id, "reason_id": self.reason.id, "installment_ids": [(6, 0, case.installment_ids.ids)]}
            )
        )
        self.assertEqual(dispute.invoice_ids, invoice)
        self.assertEqual(invoice.collection_status, "in_dispute")
        dispute.with_user(self.supervisor).action_accept()
        self.assertEqual(invoice.collection_status, "in_collection")
        todo = invoice.activity_ids.filtered(lambda a: dispute.name in (a.summary or ""))
        self.assertEqual(todo.user_id, salesperson)
        self.assertFalse(case.installment_ids.amount_written_off, "accounting decides, not the collection")
        action = dispute.with_user(self.accountant).action_credit_note()
        self.assertEqual((action["res_model"], action["context"]["active_ids"]), ("account.move.reversal", invoice.ids))

    def test_bad_disputes_are_refused(self):
        self._open(self.old)
        with self.assertRefused(ValidationError, "already contested"):
            self._open(self.old + self.recent)
        with self.assertRefused(ValidationError, "larger than the open balance"):
            self._open(self.recent, amount=150.0)
        other = self._case(self._debtor("Other"), self.collector_a)
        with self.assertRefused(ValidationError, "its own case"):
            self._open(other.installment_ids)
        with self.assertRefused(ValidationError, "Choose the installments"):
            self._open(self.env["collection.installment"])
        dispute = self._open(self.recent, amount=60.0)
        with self.assertRaises(UserError):
            dispute.with_user(self.manager).unlink()
        # another collector's case is out of reach
        with self.assertRaises(AccessError):
            self._open(self.future, user=self.collector_b)
