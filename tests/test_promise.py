from datetime import date
from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..tools import promises as promise_tools
from .common import CollectionCommon

# the promise is made on MADE for DUE; with 2 grace days it is judged on JUDGED
MADE = date(2026, 3, 2)
DUE = date(2026, 3, 10)
LAST_GRACE_DAY = date(2026, 3, 12)
JUDGED = date(2026, 3, 13)


@tagged("post_install", "-at_install")
class TestPromiseJudging(CollectionCommon):
    """Promises judged by the daily run after their date plus the grace
    days, against the money received since they were made."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.collection_promise_grace_days = 2

    def _external_case(self, name="Debtor", paid_before=0.0):
        with freeze_time(MADE - timedelta(days=30)):
            case = self._case(self._debtor(name), self.collector_a, installments=((-10, 300.0), (20, 200.0)))
        if paid_before:
            case.installment_ids.sorted("date_due")[0].amount_paid = paid_before
        return case

    def _promise(self, case, amount=100.0, user=None):
        with freeze_time(MADE):
            return (
                self.env["collection.promise"]
                .with_user(user or self.collector_a)
                .create({"case_id": case.id, "date_promise": DUE, "amount": amount})
            )

    def _judge(self, day):
        with freeze_time(day):
            return self.env["collection.promise"]._judge_due()

    def _pay_external(self, case, amount, day):
        """What a supervisor records on the oldest installment on ``day``."""
        with freeze_time(day):
            inst = case.installment_ids.sorted("date_due")[0]
            inst.amount_paid += amount

    # ------------------------------------------------------------------
    # external portfolios
    # ------------------------------------------------------------------
    def test_broken_only_after_the_grace_days(self):
        case = self._external_case()
        promise = self._promise(case)
        score = case.priority_score
        self._judge(LAST_GRACE_DAY)
        self.assertEqual(promise.state, "open", "still within the grace days")
        self._judge(JUDGED)
        self.assertEqual((promise.state, promise.amount_kept, promise.date_closed), ("broken", 0.0, JUDGED))
        self.assertEqual(case.broken_promise_count, 1)
        self.assertEqual(case.promise_kept_rate, 0.0)
        self.assertGreater(case.priority_score, score)
        self.assertFalse(case.next_promise_date)
        # the collector is told, on the case
        todo = case.activity_ids.filtered(lambda a: a.summary == "Broken promise")
        self.assertEqual(todo.user_id, self.collector_a)
        self.assertEqual(todo.date_deadline, JUDGED)
        # judged once: the next run leaves it alone
        self.assertEqual(self._judge(JUDGED + timedelta(days=1)), {})

    def test_payment_on_the_last_grace_day_keeps_the_promise(self):
        case = self._external_case()
        promise = self._promise(case)
        self._pay_external(case, 100.0, LAST_GRACE_DAY)
        self._judge(LAST_GRACE_DAY)
        self.assertEqual((promise.state, promise.amount_kept), ("kept", 100.0))
        self.assertEqual(case.promise_kept_rate, 100.0)
        self.assertEqual(case.broken_promise_count, 0)

    def test_full_payment_before_the_date_keeps_it_at_once(self):
        case = self._external_case()
        promise = self._promise(case)
        self._pay_external(case, 150.0, MADE + timedelta(days=1))
        result = self._judge(MADE + timedelta(days=1))
        self.assertEqual(result, {"kept": promise.ids})
        self.assertEqual((promise.state, promise.amount_kept), ("kept", 100.0))

    def test_partial_payment(self):
        case = self._external_case()
        promise = self._promise(case)
        self._pay_external(case, 40.0, DUE)
        self._judge(DUE)
        self.assertEqual(promise.state, "open", "a partial payment waits for the deadline")
        self._judge(JUDGED)
        self.assertEqual((promise.state, promise.amount_kept), ("partial", 40.0))
        self.assertEqual(case.broken_promise_count, 0)
        self.assertEqual(case.promise_kept_rate, 0.0, "kept in full only counts for the kept rate")

    def test_payment_before_the_promise_does_not_count(self):
        case = self._external_case(paid_before=120.0)
        promise = self._promise(case)
        self.assertEqual(promise.paid_baseline, 120.0)
        self._judge(JUDGED)
        self.assertEqual(promise.state, "broken")

    def test_collection_payments_count_by_their_date(self):
        case = self._external_case()
        kept = self._promise(case, amount=80.0)
        with freeze_time(LAST_GRACE_DAY):
            payment = self.env["collection.payment"].create(
                {"case_id": case.id, "amount": 80.0, "date": LAST_GRACE_DAY}
            )
            payment.action_post()
        self._judge(JUDGED)
        self.assertEqual((kept.state, kept.amount_kept), ("kept", 80.0))
        other = self._external_case("Late Payer")
        late = self._promise(other, amount=80.0)
        with freeze_time(JUDGED):
            payment = self.env["collection.payment"].create({"case_id": other.id, "amount": 80.0, "date": JUDGED})
            payment.action_post()
        self._judge(JUDGED)
        self.assertEqual(late.state, "broken", "paid after the grace days: too late, and counted once")

    # ------------------------------------------------------------------
    # internal portfolios: real payments in accounting
    # ------------------------------------------------------------------
    def _internal_case(self):
        """A 300 invoice due 15 days before the promise is made, synchronised."""
        self.invoice = self._move("out_invoice", 300.0, MADE - timedelta(days=15))
        with freeze_time(MADE - timedelta(days=1)):
            self.internal._sync_invoices()
            case = self.invoice.collection_case_id
            case.user_id = self.collector_a
        return case

    def _move(self, move_type, amount, day):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": self.partner_a.id,
                "invoice_date": day,
                "invoice_date_due": day,
                "invoice_line_ids": [(0, 0, {"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []})],
            }
        )
        move.action_post()
        return move

    def _pay_invoice(self, amount, day):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=self.invoice.ids)
            .create({"amount": amount, "payment_date": day})
            ._create_payments()
        )

    def test_internal_payment_within_the_grace_days_keeps_it(self):
        case = self._internal_case()
        promise = self._promise(case)
        self._pay_invoice(100.0, LAST_GRACE_DAY)
        self._judge(JUDGED)
        self.assertEqual((promise.state, promise.amount_kept), ("kept", 100.0))
        case.invalidate_recordset(["movement_ids"])  # as a new request would
        self.assertEqual(case.movement_ids.mapped("kind"), ["payment"])

    def test_internal_payment_after_the_grace_days_is_too_late(self):
        case = self._internal_case()
        promise = self._promise(case)
        self._pay_invoice(100.0, JUDGED)
        self._judge(JUDGED)
        self.assertEqual(promise.state, "broken")

    def test_internal_partial_and_earlier_payments(self):
        case = self._internal_case()
        self._pay_invoice(50.0, MADE - timedelta(days=1))  # before the promise: does not count
        promise = self._promise(case)
        self._pay_invoice(30.0, DUE)
        self._judge(JUDGED)
        self.assertEqual((promise.state, promise.amount_kept), ("partial", 30.0))

    def test_credit_note_is_not_a_payment(self):
        case = self._internal_case()
        promise = self._promise(case)
        credit_note = self._move("out_refund", 100.0, DUE)
        (credit_note + self.invoice).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        case.invalidate_recordset(["movement_ids"])  # as a new request would
        self.assertEqual(case.movement_ids.mapped("kind"), ["credit_note"])
        self._judge(JUDGED)
        self.assertEqual(promise.state, "broken")

    # ------------------------------------------------------------------
    # rules
    # ------------------------------------------------------------------
    def test_one_open_promise_per_case_unless_the_portfolio_allows_several(self):
        case = self._external_case()
        first = self._promise(case)
        with self.assertRefused(ValidationError, "already has an open promise"):
            self._promise(case, amount=50.0)
        with self.assertRaises(AccessError):
            self.external.with_user(self.supervisor).allow_several_promises = True
        self.external.with_user(self.manager).allow_several_promises = True
        second = self._promise(case, amount=50.0)
        open_ones = self.env["collection.promise"].search([("case_id", "=", case.id), ("state", "=", "open")])
        self.assertEqual(open_ones, first + second)
        self.external.allow_several_promises = False
        first.with_user(self.collector_a).action_cancel()
        self.assertEqual(first.state, "cancelled")
        # several promises of a case share the money received, earliest first
        self.external.allow_several_promises = True
        third = self._promise(case, amount=70.0)
        self._pay_external(case, 80.0, DUE)
        self._judge(JUDGED)
        self.assertEqual((second.state, second.amount_kept), ("kept", 50.0))
        self.assertEqual((third.state, third.amount_kept), ("partial", 30.0))

    def test_promise_dates_and_amounts(self):
        case = self._external_case()
        with freeze_time(MADE), self.assertRefused(ValidationError, "before the day it is made"):
            self.env["collection.promise"].create(
                {"case_id": case.id, "date_promise": MADE - timedelta(days=1), "amount": 5}
            )
        with self.assertRefused(ValidationError, "positive amount"):
            self.env["collection.promise"].create({"case_id": case.id, "date_promise": DUE, "amount": 0.0})

    def test_history_is_the_debtors_across_cases(self):
        debtor = self._debtor("Repeat Promiser")
        with freeze_time(MADE - timedelta(days=30)):
            case_a = self._case(debtor, self.collector_a, installments=((-10, 300.0),))
            other = self.external.copy({"name": "Second portfolio"})
            case_b = self._case(debtor, self.collector_b, installments=((-10, 300.0),), portfolio=other)
        promise = self._promise(case_a)
        self._judge(JUDGED)
        self.assertEqual(promise.state, "broken")
        self.assertEqual((case_a.broken_promise_count, case_b.broken_promise_count), (1, 1))
        self.assertEqual(case_a.priority_score, case_b.priority_score)
        self.assertEqual(debtor.collection_promise_broken_count, 1)
        self.assertEqual(debtor.collection_promise_kept_rate, 0.0)
        # a kept promise on the other case lifts the kept rate on both
        second = self._promise(case_b, user=self.collector_b)
        self._pay_external(case_b, 100.0, DUE)
        self._judge(DUE)
        self.assertEqual(second.state, "kept")
        self.assertEqual((case_a.promise_kept_rate, case_b.promise_kept_rate), (50.0, 50.0))
        self.assertEqual(debtor.collection_promise_count, 2)
        # a new case of the debtor takes the history
        new_case = self._case(debtor, self.collector_a, installments=((-3, 10.0),), portfolio=other.copy())
        self.assertEqual((new_case.broken_promise_count, new_case.promise_kept_rate), (1, 50.0))

    def test_judging_runs_in_the_daily_run_and_is_logged(self):
        case = self._external_case()
        promise = self._promise(case)
        with freeze_time(JUDGED):
            self.env["collection.case"]._cron_daily_refresh()
        self.assertEqual(promise.state, "broken")
        event = self.env["collection.event"].with_user(self.auditor).search([("event_type", "=", "promise")], limit=1)
        self.assertEqual(event.payload, {"broken": 1})
        self.assertIn("1 broken", event.description)


@tagged("post_install", "-at_install")
class TestPromiseTools(CollectionCommon):
    def test_take_payments_consumes_money_once_within_the_window(self):
        pool = [[date(2026, 3, 1), 50.0], [date(2026, 3, 5), 80.0], [None, 10.0]]
        first = promise_tools.take_payments(pool, date(2026, 3, 2), date(2026, 3, 10), 60.0)
        self.assertEqual(first, 60.0, "the payment before the promise is left out")
        self.assertEqual(pool, [[date(2026, 3, 1), 50.0], [date(2026, 3, 5), 20.0], [None, 10.0]])
        second = promise_tools.take_payments(pool, date(2026, 3, 2), date(2026, 3, 10), 100.0)
        self.assertEqual(second, 30.0)

    def test_judge_at_the_currency_rounding(self):
        self.assertEqual(promise_tools.judge(100.0, 99.996, 0.01, due=True), "kept")
        self.assertEqual(promise_tools.judge(100.0, 99.99, 0.01, due=True), "partial")
        self.assertIsNone(promise_tools.judge(100.0, 99.99, 0.01, due=False))
        self.assertEqual(promise_tools.judge(100.0, 0.004, 0.01, due=True), "broken")
        self.assertEqual(promise_tools.kept_rate(1, 1, 2), 25.0)
        self.assertIsNone(promise_tools.kept_rate(0, 0, 0))
