from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models import collection_portfolio
from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestInvoiceSync(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.debtor = cls._debtor("Comercial Los Andes S.A.S.", is_company=True)
        # dated 40 days ago with 30/60/90: due 10 days ago, in 20 and in 50 days
        cls.invoice = cls._invoice(cls.debtor, 1000.0, 40, cls.pay_term_3)

    def _sync(self):
        return self.internal._sync_invoices()

    def _installments(self):
        return self.invoice.collection_installment_ids.sorted("date_due")

    def test_three_due_dates_give_three_installments(self):
        result = self._sync()
        self.assertEqual(result["cases"], 1)
        self.assertEqual(result["installments"], 3)
        case = self.env["collection.case"].search([("portfolio_id", "=", self.internal.id)])
        self.assertEqual(case.partner_id, self.debtor)
        self.assertEqual(case.team_id, self.team)
        installments = self._installments()
        self.assertEqual(installments.mapped("amount"), [300.0, 300.0, 400.0])
        self.assertEqual(installments.mapped("state"), ["pending"] * 3)
        self.assertEqual(installments[0].date_due, self.today - timedelta(days=10))
        self.assertEqual(case.amount_total, 1000.0)
        self.assertEqual(case.amount_overdue, 300.0)
        self.assertEqual(case.days_overdue, 10)
        self.assertEqual(case.stage_id, self.stage_current)
        # the invoice shows it
        self.assertEqual(self.invoice.collection_case_id, case)
        self.assertEqual(self.invoice.collection_status, "in_collection")
        self.assertEqual(self.invoice.collection_stage_id, self.stage_current)
        in_collection = self.env["account.move"].search([("collection_status", "=", "in_collection")])
        self.assertIn(self.invoice, in_collection)
        # the sync is logged
        event = (
            self.env["collection.event"]
            .sudo()
            .search([("event_type", "=", "sync"), ("portfolio_id", "=", self.internal.id)])
        )
        self.assertEqual(len(event), 1)

    def test_sync_is_idempotent_and_adds_new_invoices(self):
        self._sync()
        again = self._sync()
        self.assertEqual((again["cases"], again["installments"]), (0, 0))
        self.assertEqual(len(self.env["collection.installment"].search([("portfolio_id", "=", self.internal.id)])), 3)
        second = self._invoice(self.debtor, 200.0, 15)
        again = self._sync()
        self.assertEqual((again["cases"], again["installments"]), (0, 1))
        case = self.invoice.collection_case_id
        self.assertEqual(second.collection_case_id, case, "one case per debtor in the portfolio")
        self.assertEqual(case.amount_total, 1200.0)

    def test_new_invoice_reopens_a_case_closed_by_hand(self):
        self._sync()
        case = self.invoice.collection_case_id
        case._close("written_off")
        self.assertEqual(case.state, "closed")
        self._invoice(self.debtor, 70.0, 20)
        self._sync()
        self.assertEqual(case.state, "open")
        self.assertFalse(case.close_reason)
        self.assertEqual(case.stage_id, self.stage_current)
        events = self.env["collection.event"].sudo().search([("case_id", "=", case.id)])
        self.assertEqual(events.mapped("event_type").count("case_reopen"), 1)

    def test_not_overdue_enough_is_left_out(self):
        recent = self._invoice(self._debtor("Fresh Debtor"), 500.0, 0)  # due today
        self.company.collection_min_overdue_days = 5
        self._sync()
        self.assertFalse(recent.collection_case_id)
        self.assertTrue(self.invoice.collection_case_id, "10 days overdue >= 5")
        self.company.collection_min_overdue_days = 15
        late = self._invoice(self._debtor("Late Debtor"), 500.0, 14)
        self._sync()
        self.assertFalse(late.collection_case_id)

    def test_figures_written_in_bulk_are_what_the_orm_computes(self):
        """The sync writes new cases and installments set-based; recomputing
        every stored figure through the ORM afterwards changes nothing, for
        invoices paid in part before their first sync too."""
        self._pay(self.invoice, 150.0)  # half of the first due date
        other = self._debtor("Ferretería El Tornillo")
        older = self._invoice(other, 800.0, 70, self.pay_term_3)  # 240 due 40 days ago, 240 10 days ago, 320 ahead
        self._pay(older, 300.0)  # the first due date paid, the second partly
        self._invoice(other, 120.0, 35)
        self._sync()
        cases = self.env["collection.case"].search([("portfolio_id", "=", self.internal.id)])
        self.assertEqual(len(cases), 2)
        installments = cases.installment_ids
        self.assertEqual(self._installments().mapped("state"), ["partial", "pending", "pending"])
        self.assertEqual(
            older.collection_installment_ids.sorted("date_due").mapped("state"),
            ["paid", "partial", "pending"],
            "every due date of an overdue invoice is followed, the paid one too",
        )
        moves = installments.move_id
        case_fields = [
            "amount_total", "amount_paid", "amount_residual", "amount_overdue", "amount_disputed", "date_oldest_due",
            "days_overdue", "aging_bucket", "priority_score", "state", "stage_id", "zone_id", "work_tier",
        ]  # fmt: skip
        installment_fields = [
            "amount", "amount_paid", "amount_residual", "state", "date_due", "date_aging", "is_disputed", "move_id",
            "portfolio_id", "company_id", "currency_id", "partner_id",
        ]  # fmt: skip
        move_fields = ["collection_case_id", "collection_status"]
        before = (cases.read(case_fields), installments.read(installment_fields), moves.read(move_fields))
        self.env.invalidate_all()
        for records, names in ((cases, case_fields), (installments, installment_fields), (moves, move_fields)):
            for name in names:
                self.env.add_to_compute(records._fields[name], records)
        self.env.flush_all()
        self.env.invalidate_all()
        after = (cases.read(case_fields), installments.read(installment_fields), moves.read(move_fields))
        self.assertEqual(before, after)
        self.assertEqual(self.invoice.collection_case_id.amount_residual, 850.0)
        self.assertEqual(older.collection_case_id.amount_total, 920.0)
        self.assertEqual(older.collection_case_id.amount_paid, 300.0)
        self.assertEqual(older.collection_case_id.amount_overdue, 300.0, "180 left of the second due date, and 120")

    def test_payments_in_accounting_move_installments(self):
        self._sync()
        case = self.invoice.collection_case_id
        first, second, third = self._installments()
        self._pay(self.invoice, 200.0)
        self.assertEqual(first.state, "partial")
        self.assertEqual(first.amount_paid, 200.0)
        self.assertEqual(first.amount_residual, 100.0)
        self.assertEqual(case.amount_residual, 800.0)
        self.assertEqual(case.amount_overdue, 100.0)
        self.assertEqual(case.state, "open")
        self._pay(self.invoice, 800.0)
        self.assertEqual((first | second | third).mapped("state"), ["paid"] * 3)
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.close_reason, "paid")
        self.assertEqual(case.stage_id, self.stage_closed)
        self.assertEqual(self.invoice.collection_status, "closed")

    def test_reconciled_credit_note_reduces_debt(self):
        self._sync()
        case = self.invoice.collection_case_id
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.debtor.id,
                "invoice_date": self.today,
                "invoice_line_ids": [
                    Command.create({"name": "Discount", "quantity": 1, "price_unit": 250.0, "tax_ids": []})
                ],
            }
        )
        refund.action_post()
        # unreconciled: counted as an open credit after the next sync
        self._sync()
        self.assertEqual(case.amount_credit, 250.0)
        self.assertEqual(case.amount_residual, 750.0)
        self.assertEqual(case.amount_overdue, 50.0)
        # a miscellaneous entry crediting the receivable is not a credit of the debtor
        receivable = refund.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).account_id
        misc = self.env["account.move"].create(
            {
                "move_type": "entry",
                "line_ids": [
                    Command.create({"account_id": receivable.id, "partner_id": self.debtor.id, "credit": 5000.0}),
                    Command.create({"account_id": self.company_data["default_account_revenue"].id, "debit": 5000.0}),
                ],
            }
        )
        misc.action_post()
        self._sync()
        self.assertEqual(case.amount_credit, 250.0)
        self.assertEqual(case.state, "open")
        # reconciled with the invoice: the installments carry it, the credit is gone
        refund_line = refund.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        self.invoice.js_assign_outstanding_line(refund_line.id)
        self._sync()
        self.assertEqual(case.amount_credit, 0.0)
        self.assertEqual(self._installments()[0].amount_paid, 250.0)
        self.assertEqual(case.amount_residual, 750.0)

    def test_full_credit_note_closes_case(self):
        self._sync()
        case = self.invoice.collection_case_id
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=self.invoice.ids)
            .create({"journal_id": self.invoice.journal_id.id, "reason": "cancelled order"})
        )
        reversal.refund_moves()
        refund = self.invoice.reversal_move_ids
        if refund.state == "draft":
            refund.action_post()
        refund_line = refund.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        if not refund_line.reconciled:
            self.invoice.js_assign_outstanding_line(refund_line.id)
        self.assertEqual(self.invoice.payment_state, "reversed")
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.amount_residual, 0.0)

    def test_invoice_reset_to_draft_leaves_the_debt(self):
        self._sync()
        case = self.invoice.collection_case_id
        self.invoice.button_draft()
        self.assertEqual(self._installments().mapped("state"), ["cancelled"] * 3)
        self.assertEqual(case.amount_residual, 0.0)
        self.assertEqual((case.state, case.close_reason), ("closed", "cancelled"))
        self.invoice.action_post()
        self.assertEqual(self._installments().mapped("state"), ["pending"] * 3)
        self.assertEqual(case.state, "open")
        self.assertEqual(case.amount_residual, 1000.0)
        # edited while in draft: Odoo replaces the receivable lines, the next sync follows
        self.invoice.button_draft()
        self.invoice.invoice_line_ids[0].price_unit = 500.0
        self.invoice.action_post()
        self._sync()
        open_installments = self.invoice.collection_installment_ids.filtered(lambda i: i.state == "pending")
        self.assertEqual(sum(open_installments.mapped("amount")), 500.0)
        self.assertEqual(case.amount_residual, 500.0)

    def test_sync_button_and_cron(self):
        action = self.internal.action_sync_invoices()
        self.assertEqual(action["tag"], "display_notification")
        self.assertTrue(self.invoice.collection_case_id)
        with self.assertRaises(UserError):
            self.external.action_sync_invoices()
        other = self._invoice(self._debtor("Cron Debtor"), 90.0, 30)
        self.env["collection.portfolio"]._cron_sync_invoices()
        self.assertTrue(other.collection_case_id)

    def test_accountant_sees_status_read_only(self):
        self._sync()
        invoice = self.invoice.with_user(self.accountant)
        values = invoice.web_read(
            {
                "collection_status": {},
                "collection_case_name": {},
                "collection_stage_id": {"fields": {"display_name": {}}},
                "collection_user_id": {"fields": {"display_name": {}}},
            }
        )[0]
        self.assertEqual(values["collection_status"], "in_collection")
        self.assertEqual(values["collection_case_name"], self.invoice.collection_case_id.name)
        self.assertEqual(values["collection_stage_id"]["display_name"], "Current")
        partner = self.debtor.with_user(self.accountant)
        self.assertEqual(partner.collection_amount_open, 1000.0)
        self.assertEqual(partner.collection_case_count, 1)
        case = self.invoice.collection_case_id.with_user(self.accountant)
        self.assertEqual(case.stage_id, self.stage_current)
        with self.assertRaises(AccessError):
            case.write({"note": "accountants do not edit cases"})


class WorkerKilled(BaseException):
    """Stands for the worker process dying in the middle of a chunk."""


@tagged("post_install", "-at_install")
class TestInvoiceSyncChunks(CollectionCommon):
    """The sync as the cron runner runs it: committed chunk by chunk of
    debtors, resumed after a crash. A chunk's COMMIT is stood for by a
    savepoint (what came before it survives the crash), the crash by
    rolling back to the last one."""

    def test_sync_killed_mid_chunk_resumes_with_nothing_twice(self):
        debtors = [self._debtor(f"Chunk debtor {n}") for n in range(5)]
        invoices = [self._invoice(debtor, 100.0 + n, 40) for n, debtor in enumerate(debtors)]
        cr = self.env.cr
        commits = []

        def commit():
            self.env.flush_all()
            cr.execute("SAVEPOINT chunk_committed")
            commits.append(1)

        Portfolio = self.registry["collection.portfolio"]
        original = Portfolio._sync_write

        def crash_on_debtor_two(portfolio, lines):
            result = original(portfolio, lines)
            if debtors[2].id in {line[2] for line in lines}:
                raise WorkerKilled()
            return result

        cr.execute("SAVEPOINT chunk_committed")
        died = False
        portfolio = self.internal.with_context(collection_commit_chunks=True)
        with (
            patch.object(collection_portfolio, "SYNC_CHUNK_DEBTORS", 2),
            patch.object(Portfolio, "_sync_write", crash_on_debtor_two),
            patch.object(cr, "commit", commit),
        ):
            # not assertRaises: it would roll back to a savepoint of its own
            try:
                portfolio._sync_invoices()
            except WorkerKilled:
                died = True
        self.assertTrue(died)
        cr.execute("ROLLBACK TO SAVEPOINT chunk_committed")
        self.env.invalidate_all()

        self.assertTrue(commits, "chunks were committed before the crash")
        self.assertTrue(invoices[0].collection_installment_ids, "the chunks before the crash stay")
        self.assertFalse(invoices[2].collection_installment_ids, "the chunk of the crash is lost")
        # the next call carries on: every invoice followed once, one case per debtor
        with patch.object(collection_portfolio, "SYNC_CHUNK_DEBTORS", 2):
            self.internal._sync_invoices()
        for invoice in invoices:
            self.assertEqual(len(invoice.collection_installment_ids), 1, invoice.partner_id.name)
        cases = self.env["collection.case"].search([("partner_id", "in", [d.id for d in debtors])])
        self.assertEqual(sorted(cases.partner_id.ids), sorted(d.id for d in debtors))
        residual = {case.partner_id.id: case.amount_residual for case in cases}
        self.assertEqual([residual[d.id] for d in debtors], [100.0 + n for n in range(5)])
