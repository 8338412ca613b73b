from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests import tagged

from ..tools import allocation
from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestCollectionPayment(CollectionCommon):
    """Money collected on a case lands on the right installments, with who
    collected it and how; on own invoices it is real accounting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.external.commission_rate = 10.0
        # overdue 100 (60 days), overdue 50 (30 days), 80 due in 10 days
        cls.case = cls._case(
            cls._debtor("Marisol Cárdenas", lang="en_US"),
            cls.collector_a,
            installments=((-60, 100.0), (-30, 50.0), (10, 80.0)),
        )
        cls.first, cls.second, cls.third = cls.case.installment_ids.sorted("date_due")
        cls.company.collection_journal_cash_id = cls.company_data["default_journal_cash"]
        cls.company.collection_journal_transfer_id = cls.company_data["default_journal_bank"]

    def _payment(self, amount, user=None, case=None, **vals):
        user = user or self.collector_a
        return (
            self.env["collection.payment"]
            .with_user(user)
            .create({"case_id": (case or self.case).id, "amount": amount, "method": "cash", **vals})
        )

    # ------------------------------------------------------------------
    # creditor portfolios
    # ------------------------------------------------------------------
    def test_oldest_due_first_and_partial(self):
        payment = self._payment(120.0, reference="Caja 12")
        payment.action_post()
        self.assertEqual(payment.state, "posted")
        self.assertEqual(
            [(line.installment_id, line.amount) for line in payment.line_ids],
            [(self.first, 100.0), (self.second, 20.0)],
        )
        self.assertEqual((self.first.state, self.first.amount_residual), ("paid", 0.0))
        self.assertEqual(
            (self.second.state, self.second.amount_paid, self.second.amount_residual), ("partial", 20.0, 30.0)
        )
        self.assertEqual(
            dict(self.env["collection.installment"]._fields["state"].selection)["partial"], "Pending to collect"
        )
        self.assertEqual(self.third.state, "pending")
        self.assertEqual((self.case.amount_paid, self.case.amount_residual), (120.0, 110.0))
        # who collected it, how, and the commission basis
        self.assertEqual((payment.user_id, payment.method), (self.collector_a, "cash"))
        self.assertEqual((payment.commission_rate, payment.commission_amount), (10.0, 12.0))
        event = self.env["collection.event"].with_user(self.auditor).search([("event_type", "=", "payment")])
        self.assertEqual(event.payload["payment_id"], payment.id)
        self.assertIn("REC/", payment.name)
        self.assertTrue(self.case.message_ids.filtered(lambda m: payment.name in (m.body or "")))
        # supervisors see what each collector collected this month, and the commission
        overview = self.env["collection.team.overview"].with_user(self.supervisor).search([])
        line = overview.filtered(lambda o: o.user_id == self.collector_a)
        self.assertEqual((line.collected_month_amount, line.commission_month_amount), (120.0, 12.0))
        # the Movements tab lists it
        self.case.invalidate_recordset(["movement_ids"])
        self.assertEqual(sorted(self.case.movement_ids.mapped("amount")), [20.0, 100.0])

    def test_allocation_by_hand(self):
        payment = self._payment(
            60.0, allocation_mode="manual", line_ids=[Command.create({"installment_id": self.third.id, "amount": 60.0})]
        )
        payment.action_post()
        self.assertEqual((self.third.state, self.third.amount_residual), ("partial", 20.0))
        self.assertEqual(self.first.state, "pending")
        too_much = self._payment(
            60.0,
            allocation_mode="manual",
            line_ids=[Command.create({"installment_id": self.second.id, "amount": 55.0})],
        )
        with self.assertRefused(UserError, "cannot receive more"):
            too_much.action_post()
        over = self._payment(
            30.0, allocation_mode="manual", line_ids=[Command.create({"installment_id": self.first.id, "amount": 40.0})]
        )
        with self.assertRefused(UserError, "adds up to more than the payment"):
            over.action_post()
        self.assertEqual((too_much.state, over.state), ("draft", "draft"))
        self.assertEqual(self.first.amount_paid, 0.0, "nothing half-posted")

    def test_full_payment_closes_the_case(self):
        self._payment(230.0).action_post()
        self.assertEqual(set(self.case.installment_ids.mapped("state")), {"paid"})
        self.assertEqual((self.case.state, self.case.close_reason), ("closed", "paid"))
        with self.assertRefused(UserError, "open cases only"):
            self._payment(10.0)

    def test_overpayment_refused_unless_kept_as_credit(self):
        payment = self._payment(300.0)
        with self.assertRefused(UserError, "is larger than the open balance"):
            payment.action_post()
        self.assertEqual((payment.state, self.case.amount_paid), ("draft", 0.0))
        payment.keep_credit = True
        payment.action_post()
        self.assertEqual((payment.amount_allocated, payment.amount_credit), (230.0, 70.0))
        self.assertEqual(payment.commission_amount, 23.0, "commission on the money applied to the debt")
        self.assertEqual(self.case.amount_credit, 70.0)
        self.assertEqual(self.case.state, "closed")

    def test_cancel_reverses_and_keeps_everything(self):
        payment = self._payment(230.0, keep_credit=True)
        payment.action_post()
        self.assertEqual(self.case.state, "closed")
        with self.assertRaises(AccessError):
            payment.with_user(self.collector_a).action_cancel()
        with self.assertRaises(UserError):
            payment.with_user(self.supervisor).write({"amount": 10.0})
        payment.with_user(self.supervisor).with_context(cancel_reason="Cheque bounced").action_cancel()
        self.assertEqual((payment.state, payment.cancel_reason), ("cancelled", "Cheque bounced"))
        self.assertEqual(self.case.installment_ids.mapped("amount_paid"), [0.0, 0.0, 0.0])
        self.assertEqual(self.case.installment_ids.mapped("state"), ["pending"] * 3)
        self.assertEqual((self.case.state, self.case.amount_residual), ("open", 230.0))
        self.assertEqual(len(payment.line_ids), 3, "the allocation is kept")
        cancelled = self.env["collection.event"].with_user(self.auditor).search([("event_type", "=", "payment_cancel")])
        self.assertIn("Cheque bounced", cancelled.description)
        with self.assertRefused(UserError, "cannot be deleted; cancel them instead"):
            payment.sudo().unlink()
        self.case.invalidate_recordset(["movement_ids"])
        self.assertFalse(self.case.movement_ids, "a cancelled payment is no longer a movement")

    def test_posting_is_the_only_way_to_a_posted_payment(self):
        Payment = self.env["collection.payment"].with_user(self.collector_a)
        with self.assertRaises(AccessError):
            Payment.create({"case_id": self.case.id, "amount": 500.0, "state": "posted", "commission_amount": 99.0})
        draft = self._payment(50.0)
        with self.assertRaises(AccessError):
            draft.with_user(self.collector_a).write({"state": "posted"})
        draft.action_post()
        copy = draft.copy()
        self.assertEqual((copy.state, copy.line_ids, copy.commission_amount), ("draft", copy.line_ids.browse(), 0.0))
        self.assertNotEqual(copy.name, draft.name)
        # the allocation of a posted payment is the payment's own
        Line = self.env["collection.payment.line"].with_user(self.collector_a)
        with self.assertRaises(AccessError):
            Line.create({"payment_id": draft.id, "installment_id": self.third.id, "amount": 500.0})
        with self.assertRaises(AccessError):
            draft.line_ids.with_user(self.collector_a).write({"amount": 1.0})
        other = self._case(self._debtor("Someone Else"), self.collector_a)
        with self.assertRefused(ValidationError, "installments of its own case"):
            copy.with_user(self.collector_a).write(
                {"line_ids": [Command.create({"installment_id": other.installment_ids.id, "amount": 5.0})]}
            )

    def test_manual_excess_must_go_to_the_other_installments(self):
        payment = self._payment(
            120.0,
            allocation_mode="manual",
            keep_credit=True,
            line_ids=[Command.create({"installment_id": self.third.id, "amount": 80.0})],
        )
        with self.assertRefused(UserError, "give them the excess"):
            payment.action_post()

    def test_no_cancel_once_the_installment_was_refinanced(self):
        payment = self._payment(40.0)
        payment.action_post()
        agreement = (
            self.env["collection.agreement"]
            .with_user(self.manager)
            .create(
                {
                    "case_id": self.case.id,
                    "replaced_installment_ids": [Command.set(self.case.installment_ids.ids)],
                    "installment_count": 2,
                }
            )
        )
        agreement.with_user(self.manager).action_submit()
        self.assertEqual(self.first.state, "refinanced")
        with self.assertRefused(UserError, "can no longer be cancelled"):
            payment.with_user(self.supervisor).action_cancel()
        self.assertEqual(payment.state, "posted")

    def test_collector_and_rights(self):
        with self.assertRaises(AccessError):
            self._payment(10.0, user_id=self.collector_b.id)
        on_behalf = self._payment(10.0, user=self.supervisor, user_id=self.collector_b.id)
        self.assertEqual(on_behalf.user_id, self.collector_b)
        other = self._case(self._debtor("Not Mine"), self.collector_b)
        with self.assertRaises(AccessError):
            self._payment(10.0, case=other)

    def test_payment_in_another_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        payment = self._payment(100.0, currency_id=eur.id)
        self.assertEqual(payment.amount_case, 50.0)
        payment.action_post()
        self.assertEqual(self.first.amount_paid, 50.0)

    def test_register_dialog_and_receipt(self):
        action = self.case.with_user(self.collector_a).action_register_payment()
        form = Form(
            self.env[action["res_model"]].with_user(self.collector_a).with_context(**action["context"]),
            view=action["views"][0][0],
        )
        form.amount = 150.0
        form.method = "transfer"
        payment = form.save()
        feedback = payment.action_post_and_close()
        self.assertEqual(feedback["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.assertIn(f"Payment {payment.name} of $\xa0150.00 posted.", feedback["params"]["message"])
        self.assertEqual(self.second.state, "paid")
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("debt_collection.report_collection_payment_receipt", payment.ids)[0]
            .decode()
        )
        self.assertIn("One Hundred And Fifty Dollars", html)
        self.assertIn(self.first.name, html)
        self.assertIn("Ana Collector", html)
        self.assertIn("Bank transfer", html)

    # ------------------------------------------------------------------
    # own invoices: real accounting
    # ------------------------------------------------------------------
    def _internal_case(self, *amounts):
        invoices = self.env["account.move"]
        for days_ago, amount in amounts:
            invoices |= self._invoice(self.partner_a, amount, days_ago=days_ago)
        self.internal._sync_invoices()
        case = invoices[0].collection_case_id
        case.user_id = self.collector_a
        return case, invoices

    def test_internal_payment_is_a_reconciled_account_payment(self):
        case, (old, recent) = self._internal_case((60, 300.0), (20, 200.0))
        payment = self._payment(400.0, case=case)
        payment.action_post()
        account_payment = payment.account_payment_id
        self.assertTrue(account_payment)
        self.assertEqual(account_payment.journal_id, self.company_data["default_journal_cash"])
        self.assertEqual((account_payment.amount, account_payment.partner_id), (400.0, self.partner_a))
        self.assertIn(old.payment_state, ("paid", "in_payment"))
        self.assertEqual(recent.amount_residual, 100.0)
        old_inst, recent_inst = case.installment_ids.sorted("date_due")
        self.assertEqual((old_inst.state, recent_inst.state, recent_inst.amount_paid), ("paid", "partial", 100.0))
        self.assertEqual(
            [(line.installment_id, line.amount) for line in payment.line_ids], [(old_inst, 300.0), (recent_inst, 100.0)]
        )
        self.assertEqual(case.amount_paid, 400.0)
        # cancelling cancels the accounting payment and reopens the invoices
        payment.with_user(self.supervisor).action_cancel()
        self.assertEqual(account_payment.state, "canceled")
        self.assertEqual((old.amount_residual, recent.amount_residual), (300.0, 200.0))
        self.assertEqual((old_inst.state, recent_inst.state), ("pending", "pending"))
        self.assertEqual(case.amount_residual, 500.0)

    def test_no_double_counting_between_accounting_and_collection(self):
        case, invoices = self._internal_case((45, 500.0))
        self._pay(invoices, 200.0)  # registered directly in Accounting
        self.assertEqual(case.amount_paid, 200.0)
        payment = self._payment(100.0, case=case, method="transfer")
        payment.action_post()
        self.assertEqual(invoices.amount_residual, 200.0)
        self.assertEqual((case.amount_paid, case.amount_residual), (300.0, 200.0))
        self.assertEqual(case.installment_ids.amount_paid, 300.0)

    def test_payment_undone_in_accounting_is_cancelled_in_collections(self):
        case, invoices = self._internal_case((45, 300.0))
        payment = self._payment(100.0, case=case)
        payment.action_post()
        payment.account_payment_id.with_user(self.accountant).action_draft()
        self.assertEqual((payment.state, payment.cancel_reason), ("cancelled", "Reset to draft in Accounting"))
        self.assertEqual(invoices.amount_residual, 300.0)
        self.assertEqual(case.amount_paid, 0.0)
        event = self.env["collection.event"].with_user(self.auditor).search([("event_type", "=", "payment_cancel")])
        self.assertEqual(event.case_id, case)

    def test_internal_overpayment_stays_as_open_credit(self):
        case, invoices = self._internal_case((45, 100.0))
        payment = self._payment(130.0, case=case, keep_credit=True)
        payment.action_post()
        self.assertIn(invoices.payment_state, ("paid", "in_payment"))
        self.assertEqual(case.amount_credit, 30.0, "the unreconciled excess is an open credit in accounting")

    def test_internal_needs_the_journal_of_the_method(self):
        case, _invoices = self._internal_case((45, 100.0))
        with self.assertRefused(UserError, "Set the journal for Card payments"):
            self._payment(50.0, case=case, method="card").action_post()


@tagged("post_install", "-at_install")
class TestAllocationTools(CollectionCommon):
    def test_oldest_first_and_checks(self):
        items = [("c", "2026-03-01", 80.0), ("a", "2026-01-01", 100.0), ("b", "2026-02-01", 50.0)]
        self.assertEqual(allocation.oldest_first(120.0, items, 0.01), ([("a", 100.0), ("b", 20.0)], 0.0))
        self.assertEqual(allocation.oldest_first(300.0, items, 0.01), ([("a", 100.0), ("b", 50.0), ("c", 80.0)], 70.0))
        self.assertEqual(allocation.check_manual(50.0, {"a": 60.0}, {"a": 100.0}, 0.01), [("exceeds_amount", None)])
        self.assertEqual(allocation.check_manual(100.0, {"b": 60.0}, {"b": 50.0}, 0.01), [("exceeds_balance", "b")])
        self.assertTrue(allocation.fills_in_order([("a", 100.0), ("b", 20.0)], {"a": 100.0, "b": 50.0}, 0.01))
        self.assertFalse(allocation.fills_in_order([("a", 30.0), ("b", 20.0)], {"a": 100.0, "b": 50.0}, 0.01))
