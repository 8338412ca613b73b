import random
from datetime import date
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests import TransactionCase
from odoo.tests import tagged

from ..tools import schedule
from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestScheduleTools(TransactionCase):
    """The plan maths, to the cent, against published examples."""

    def test_french_matches_a_published_table_to_the_unit(self):
        # A loan of 6,000,000 pesetas over 5 years in 10 half-yearly installments at 5.83% a half year
        # ("Ejercicio 1", cuadro de amortización, método francés, scribd.com/document/299284576):
        # constant installment 808,655; the published capital and interest of installments 1 to 9.
        rows = schedule.amortize(6_000_000, 10, "french", 11.66, 2, 1)
        published = [
            (458855, 349800),
            (485606, 323049),
            (513917, 294738),
            (543878, 264777),
            (575587, 233068),
            (609143, 199512),
            (644656, 163999),
            (682240, 126415),
            (722014, 86641),
        ]
        self.assertEqual([(row["principal"], row["interest"]) for row in rows[:9]], published)
        self.assertEqual({row["amount"] for row in rows[:9]}, {808655})
        # the last installment closes the balance exactly (the published 764,108 rounds the formula instead)
        self.assertEqual((rows[-1]["interest"], rows[-1]["principal"], rows[-1]["balance"]), (44547, 764104, 0))
        self.assertEqual(sum(row["principal"] for row in rows), 6_000_000)

    def test_french_in_cents(self):
        # $1,000 at 2% a month over 6 months (sapling.com, "Calculate reducing balance interest rate"):
        # installment 178.53; month 1: interest 20.00, principal 158.53, balance 841.47; month 2: interest 16.83,
        # principal 161.70. Rounding each installment to the cent, the last one is 178.51.
        rows = schedule.amortize(1000.0, 6, "french", 24.0, 12, 0.01)
        self.assertEqual(
            [(row["amount"], row["interest"], row["principal"], row["balance"]) for row in rows[:2]],
            [(178.53, 20.0, 158.53, 841.47), (178.53, 16.83, 161.7, 679.77)],
        )
        self.assertEqual(rows[-1]["amount"], 178.51)
        self.assertEqual(round(sum(row["interest"] for row in rows), 2), 71.16)
        self.assertEqual(round(sum(row["amount"] for row in rows), 2), 1071.16)

    def test_every_plan_adds_up_to_the_cent(self):
        rng = random.Random(7)
        for _i in range(300):
            balance = round(rng.uniform(10, 50_000), 2)
            condonation = round(balance * rng.choice((0, 0.05, 0.2)), 2)
            down = round((balance - condonation) * rng.choice((0, 0.1, 0.3)), 2)
            count = rng.randint(1, 48)
            method = rng.choice(("none", "flat", "french"))
            rate = rng.choice((0.0, 9.5, 24.0, 36.0)) if method != "none" else 0.0
            fee = rng.choice((0.0, 5.0, 12.5))
            rows, totals = schedule.plan(
                balance, condonation, down, count, method, rate, "monthly", date(2026, 1, 31), 0.01, fee
            )
            cents = [round(row["amount"] * 100) for row in rows]
            self.assertEqual(round(sum(row["principal"] for row in rows) * 100), round(totals["financed"] * 100))
            self.assertEqual(
                round(totals["total"] * 100),
                round((balance - condonation + totals["interest"] + totals["fee"]) * 100),
                (balance, condonation, down, count, method, rate, fee),
            )
            self.assertEqual(sum(cents) + round(down * 100), round(totals["total"] * 100))
            for row in rows:
                self.assertEqual(
                    round(row["amount"] * 100), round((row["principal"] + row["interest"] + row["fee"]) * 100)
                )

    def test_flat_none_and_due_dates(self):
        rows = schedule.amortize(1000.0, 3, "flat", 12.0, 12, 0.01)
        self.assertEqual([row["interest"] for row in rows], [10.0, 10.0, 10.0])
        self.assertEqual([row["principal"] for row in rows], [333.33, 333.33, 333.34])
        rows = schedule.amortize(100.0, 3, "none", 0.0, 12, 0.01, fee_percent=10.0)
        self.assertEqual([row["amount"] for row in rows], [36.66, 36.66, 36.68])
        self.assertEqual(
            schedule.due_dates(date(2026, 1, 31), 3, "monthly"),
            [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)],
        )
        self.assertEqual(schedule.due_dates(date(2026, 1, 1), 2, "biweekly"), [date(2026, 1, 1), date(2026, 1, 15)])
        with self.assertRaises(ValueError):
            schedule.plan(100.0, 60.0, 50.0, 3, "none", 0, "monthly", date(2026, 1, 1), 0.01)


@tagged("post_install", "-at_install")
class TestAgreement(CollectionCommon):
    """Payment agreements: simulation, approval levels, the new schedule,
    breaking and completing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_plan = cls.env.ref("debt_collection.collection_stage_agreement")
        cls.case = cls._case(
            cls._debtor("Héctor Valencia", lang="en_US"), cls.collector_a, installments=((-90, 600.0), (-60, 400.0))
        )

    def _agreement(self, user=None, case=None, **vals):
        case = case or self.case
        return (
            self.env["collection.agreement"]
            .with_user(user or self.collector_a)
            .create(
                {
                    "case_id": case.id,
                    "replaced_installment_ids": [Command.set(case.installment_ids.ids)],
                    "installment_count": 4,
                    "first_due_date": self.today + timedelta(days=30),
                    **vals,
                }
            )
        )

    def test_simulation_shows_the_schedule_before_saving(self):
        form = Form(
            self.env["collection.agreement"].with_user(self.collector_a).with_context(default_case_id=self.case.id)
        )
        self.assertEqual(form.amount_balance, 1000.0, "the case's open installments are proposed")
        form.installment_count = 5
        form.down_payment = 100.0
        form.condonation_type = "percent"
        form.condonation_value = 10.0
        self.assertEqual(form.amount_condonation, 100.0)
        self.assertEqual(form.amount_financed, 800.0)
        self.assertEqual(len(form.line_ids), 6, "the down payment and five installments, before saving")
        agreement = form.save()
        self.assertEqual(agreement.line_ids.sorted("sequence").mapped("amount"), [100.0] + [160.0] * 5)
        self.assertEqual(sum(agreement.line_ids.mapped("amount")), 900.0)
        self.assertEqual(agreement.level_id, self.env.ref("debt_collection.collection_agreement_level_supervisor"))

    def test_small_plan_is_approved_by_the_collector(self):
        agreement = self._agreement(installment_count=3)
        self.assertEqual(agreement.level_id, self.env.ref("debt_collection.collection_agreement_level_collector"))
        agreement.action_submit()
        self.assertEqual(agreement.state, "active")
        self.assertEqual(agreement.approver_id, self.collector_a)
        self.assertEqual(
            set(self.case.installment_ids.filtered(lambda i: not i.agreement_id).mapped("state")), {"refinanced"}
        )
        plan = agreement.installment_ids.sorted("date_due")
        self.assertEqual(plan.mapped("amount"), [333.33, 333.33, 333.34])
        self.assertEqual(self.case.amount_residual, 1000.0)
        self.assertEqual(self.case.stage_id, self.stage_plan)
        self.assertEqual(agreement.previous_stage_id, self.stage_delinquent)
        events = self.env["collection.event"].with_user(self.auditor).search([("case_id", "=", self.case.id)])
        self.assertIn("approval", events.mapped("event_type"))

    def test_condonation_routes_to_the_supervisor_of_the_team(self):
        agreement = self._agreement(condonation_type="percent", condonation_value=10.0, installment_count=6)
        agreement.action_submit()
        self.assertEqual(agreement.state, "to_approve")
        self.assertEqual(agreement.activity_ids.user_id, self.supervisor, "an activity for the approver")
        with self.assertRaises(AccessError):
            agreement.with_user(self.collector_a).action_approve()
        with self.assertRaises(AccessError):
            agreement.with_user(self.supervisor_other).action_approve()
        agreement.with_user(self.supervisor).action_approve()
        self.assertEqual((agreement.state, agreement.approver_id), ("active", self.supervisor))
        self.assertEqual(agreement.amount_condonation, 100.0)
        self.assertEqual(sum(agreement.installment_ids.mapped("amount")), 900.0)
        self.assertFalse(agreement.activity_ids, "the approval activity is done")
        write_off = self.env["collection.event"].with_user(self.auditor).search([("event_type", "=", "write_off")])
        self.assertEqual(write_off.case_id, self.case)

    def test_the_level_cannot_be_talked_down(self):
        Agreement = self.env["collection.agreement"].with_user(self.collector_a)
        with self.assertRaises(AccessError):
            Agreement.create({"case_id": self.case.id, "state": "active", "approver_id": self.collector_a.id})
        agreement = self._agreement(condonation_type="percent", condonation_value=50.0)
        agreement.action_submit()
        self.assertEqual(agreement.state, "to_approve")
        collector_level = self.env.ref("debt_collection.collection_agreement_level_collector")
        with self.assertRaises(AccessError):
            agreement.with_user(self.collector_a).write({"level_id": collector_level.id})
        with self.assertRefused(UserError, "put an agreement awaiting approval back to draft"):
            agreement.with_user(self.collector_a).write({"condonation_value": 0.0})
        # a supervisor cannot approve what the terms now put beyond their level
        with self.assertRaises(AccessError):
            agreement.with_user(self.supervisor).action_approve()
        agreement.with_user(self.collector_a).action_draft()
        self.assertEqual((agreement.state, agreement.activity_ids), ("draft", agreement.activity_ids.browse()))
        agreement.with_user(self.collector_a).write({"condonation_value": 5.0})
        self.assertEqual(agreement.level_id, self.env.ref("debt_collection.collection_agreement_level_supervisor"))
        copy = agreement.copy()
        self.assertEqual((copy.state, copy.approver_id), ("draft", copy.approver_id.browse()))

    def test_named_approver_and_expired_terms(self):
        level = self.env.ref("debt_collection.collection_agreement_level_supervisor")
        level.approver_id = self.supervisor_other
        agreement = self._agreement(condonation_type="percent", condonation_value=10.0)
        agreement.action_submit()
        self.assertEqual(agreement.activity_ids.user_id, self.supervisor_other)
        self.assertTrue(agreement._may_approve(self.supervisor_other))
        self.assertFalse(agreement._may_approve(self.supervisor), "the level names its approver")
        agreement.with_user(self.manager).action_draft()
        agreement.with_user(self.manager).write({"first_due_date": self.today + timedelta(days=5)})
        agreement.with_user(self.manager).action_submit()
        self.assertEqual(agreement.state, "active", "a manager approves at once")
        late = self._agreement(case=self._case(self._debtor("Late"), self.collector_a), installment_count=2)
        late.with_user(self.collector_a).write({"first_due_date": self.today + timedelta(days=3)})
        with freeze_time(self.today + timedelta(days=4)), self.assertRefused(UserError, "would already be due"):
            late.with_user(self.collector_a).action_submit()

    def test_a_running_plan_is_not_refinanced_again(self):
        first = self._agreement(installment_count=2)
        first.action_submit()
        with self.assertRefused(ValidationError, "belong to the running agreement"):
            self._agreement(case=self.case, replaced_installment_ids=[Command.set(first.installment_ids.ids)])

    def test_large_relief_needs_a_manager(self):
        agreement = self._agreement(condonation_type="percent", condonation_value=30.0, installment_count=24)
        self.assertEqual(agreement.level_id, self.env.ref("debt_collection.collection_agreement_level_manager"))
        agreement.action_submit()
        self.assertIn(self.manager, agreement.activity_ids.user_id)
        with self.assertRaises(AccessError) as refused:
            agreement.with_user(self.supervisor).action_approve()
        self.assertIn("Manager", str(refused.exception))
        agreement.with_user(self.manager).action_reject()
        self.assertEqual(agreement.state, "rejected")
        self.assertEqual(set(self.case.installment_ids.mapped("state")), {"pending"}, "nothing changed on the case")

    def test_french_plan_on_the_case(self):
        agreement = self._agreement(
            interest_method="french", annual_rate=24.0, installment_count=6, down_payment=0.0, user=self.manager
        )
        agreement.with_user(self.manager).action_submit()
        plan = agreement.installment_ids.sorted("date_due")
        self.assertEqual(len(plan), 6)
        self.assertEqual(plan[0].amount, 178.53)
        self.assertEqual(round(sum(plan.mapped("amount")), 2), 1071.16)
        self.assertEqual(agreement.amount_total, 1071.16)
        self.assertEqual(self.case.amount_residual, 1071.16)

    def test_broken_agreement_sends_the_case_back(self):
        agreement = self._agreement(installment_count=2)
        agreement.action_submit()
        first = agreement.installment_ids.sorted("date_due")[0]
        grace = self.company.collection_promise_grace_days
        with freeze_time(first.date_due + timedelta(days=grace)):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertEqual(agreement.state, "active", "still within the grace days")
        with freeze_time(first.date_due + timedelta(days=grace + 1)):
            self.env["collection.case"]._cron_daily_refresh()
        self.assertEqual(agreement.state, "broken")
        self.assertEqual(self.case.stage_id, self.stage_delinquent)
        self.assertTrue(self.case.activity_ids.filtered(lambda a: a.summary == "Payment agreement broken"))

    def test_paid_plan_is_completed_and_closes_the_case(self):
        agreement = self._agreement(installment_count=2, down_payment=200.0)
        agreement.action_submit()
        self.assertEqual(agreement.installment_ids.sorted("date_due")[0].amount, 200.0)
        payment = (
            self.env["collection.payment"]
            .with_user(self.collector_a)
            .create({"case_id": self.case.id, "amount": 1000.0})
        )
        payment.action_post()
        self.assertEqual(set(agreement.installment_ids.mapped("state")), {"paid"})
        self.env["collection.case"]._cron_daily_refresh()
        self.assertEqual(agreement.state, "completed")
        self.assertEqual((self.case.state, self.case.close_reason), ("closed", "paid"))

    def test_bad_terms_are_refused(self):
        with self.assertRefused(ValidationError, "more than the debt refinanced"):
            self._agreement(condonation_value=800.0, down_payment=300.0)
        with self.assertRefused(ValidationError, "annual rate"):
            self._agreement(interest_method="french", annual_rate=0.0)
        agreement = self._agreement()
        agreement.action_submit()
        with self.assertRaises(UserError):
            agreement.write({"installment_count": 12})
        with self.assertRaises(UserError):
            agreement.unlink()
        with self.assertRaises(AccessError):
            self._agreement(user=self.collector_b)

    def test_internal_plan_follows_accounting(self):
        invoice = self._invoice(self.partner_a, 900.0, days_ago=60)
        self.internal._sync_invoices()
        case = invoice.collection_case_id
        case.user_id = self.collector_a
        with self.assertRefused(ValidationError, "carries no interest"):
            self._agreement(case=case, interest_method="flat", annual_rate=10.0)
        agreement = self._agreement(case=case, installment_count=3)
        agreement.action_submit()
        self.assertEqual(agreement.state, "active")
        plan = agreement.installment_ids.sorted("date_due")
        self.assertEqual(plan.mapped("state"), ["pending"] * 3)
        self.assertEqual(case.amount_residual, 900.0)
        # a payment registered in Accounting on the invoice pays the plan, oldest first
        self._pay(invoice, 400.0)
        self.assertEqual(agreement.amount_received, 400.0)
        self.assertEqual(plan.mapped("amount_paid"), [300.0, 100.0, 0.0])
        self.assertEqual(plan.mapped("state"), ["paid", "partial", "pending"])
        # a collection payment on the plan goes to the invoice in accounting, counted once
        self.company.collection_journal_cash_id = self.company_data["default_journal_cash"]
        payment = (
            self.env["collection.payment"].with_user(self.collector_a).create({"case_id": case.id, "amount": 500.0})
        )
        payment.action_post()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(agreement.amount_received, 900.0)
        self.assertEqual(plan.mapped("state"), ["paid"] * 3)
        self.assertEqual((case.state, case.amount_residual), ("closed", 0.0))
        # money unreconciled and reconciled again counts once
        receivable = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        receivable.remove_move_reconcile()
        self.assertEqual(agreement.amount_received, 0.0)
        payment_lines = self.env["account.move.line"].search(
            [("partner_id", "=", self.partner_a.id), ("account_id", "=", receivable.account_id.id), ("credit", ">", 0)]
        )
        (payment_lines + receivable).reconcile()
        self.assertEqual(agreement.amount_received, 900.0)

    def test_agreement_document_renders_with_the_amount_in_words(self):
        agreement = self._agreement(installment_count=3, down_payment=100.0)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("debt_collection.report_collection_agreement", agreement.ids)[0]
            .decode()
        )
        self.assertIn("One Thousand Dollars", html)
        self.assertIn("Proposal, not yet approved", html)
        self.assertIn("The debtor", html)

    def test_internal_condonation_asks_for_a_credit_note(self):
        invoice = self._invoice(self.partner_a, 500.0, days_ago=40)
        self.internal._sync_invoices()
        case = invoice.collection_case_id
        case.user_id = self.collector_a
        agreement = self._agreement(case=case, installment_count=2, condonation_value=50.0)
        agreement.action_submit()
        agreement.with_user(self.supervisor).action_approve()
        self.assertEqual(sum(agreement.installment_ids.mapped("amount")), 450.0)
        todo = invoice.activity_ids.filtered(lambda a: agreement.name in (a.summary or ""))
        self.assertEqual(len(todo), 1)
        self.assertIn("50.00", str(todo.note))
        self.assertEqual(invoice.amount_residual, 500.0, "accounting decides: nothing is written off there")

    def test_down_payment_row_usury_cap_and_collector(self):
        agreement = self._agreement(down_payment=200.0)
        down = agreement.line_ids.filtered("is_down_payment")
        self.assertEqual((down.amount, down.balance), (200.0, 800.0), "the principal left after the down payment")
        # the plan is the case's collector's, even when a supervisor opens it
        action = self.case.with_user(self.supervisor).action_new_agreement()
        form = Form(self.env["collection.agreement"].with_user(self.supervisor).with_context(**action["context"]))
        self.assertEqual(form.user_id, self.collector_a)
        # the usury cap: the company's, lowered by the portfolio's
        self.company.collection_max_annual_rate = 25.0
        with self.assertRefused(ValidationError, "above the maximum of 25.0% allowed"):
            self._agreement(interest_method="french", annual_rate=30.0)
        self._agreement(interest_method="french", annual_rate=24.0).action_cancel()
        self.external.max_annual_rate = 18.0
        with self.assertRefused(ValidationError, "above the maximum of 18.0% allowed"):
            self._agreement(interest_method="flat", annual_rate=24.0)
