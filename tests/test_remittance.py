"""Creditor remittances, commission rules and collector settlements,
checked against a world computed by hand."""

import io
import shutil
from datetime import timedelta

import openpyxl

from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import CollectionCommon
from .common import pdf_text

HYPERLINK = '=HYPERLINK("http://evil.example","click")'


class RemittanceWorld(CollectionCommon):
    """External portfolio (fallback rate 5 %) with agency rules 0-90 days
    10 %, 91+ days 20 %, 15 % for Boris whatever the days; collector rules
    3 % for everybody and 5 % for Ana. Period: the last 30 days.

    ======  ========  =====  ======  ==========  ======  =====  =========
    pay     collector days   amount  agency      net     coll.  in period
    ======  ========  =====  ======  ==========  ======  =====  =========
    p1      Ana       95     100.00  20 % 20.00  80.00   5.00   yes
    p2      Ana       30     150.00  10 % 15.00  135.00  7.50   yes
    p3      Boris     57     80.00   15 % 12.00  68.00   2.40   yes
    p4      Ana       0      50.00   -           -       -      no (40 days ago)
    ======  ========  =====  ======  ==========  ======  =====  =========
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.external.commission_rate = 5.0
        Rule = cls.env["collection.commission.rule"]
        Rule.create(
            [
                {"portfolio_id": cls.external.id, "kind": "agency", "days_from": 0, "days_to": 90, "rate": 10.0},
                {"portfolio_id": cls.external.id, "kind": "agency", "days_from": 91, "rate": 20.0},
                {"portfolio_id": cls.external.id, "kind": "agency", "user_id": cls.collector_b.id, "rate": 15.0},
                {"portfolio_id": cls.external.id, "kind": "collector", "rate": 3.0},
                {"portfolio_id": cls.external.id, "kind": "collector", "user_id": cls.collector_a.id, "rate": 5.0},
            ]
        )
        cls.case1 = cls._case(cls._debtor("Debtor One"), cls.collector_a, installments=((-100, 100.0),))
        cls.case2 = cls._case(cls._debtor("Debtor Two"), cls.collector_a, installments=((-40, 200.0),))
        cls.case3 = cls._case(cls._debtor(HYPERLINK), cls.collector_b, installments=((-60, 80.0),))
        cls.p4 = cls._payment(cls.case2, cls.collector_a, 50.0, -40)
        cls.p1 = cls._payment(cls.case1, cls.collector_a, 100.0, -5)
        cls.p2 = cls._payment(cls.case2, cls.collector_a, 150.0, -10)
        cls.p3 = cls._payment(cls.case3, cls.collector_b, 80.0, -3)
        cls.date_from = cls.today - timedelta(days=30)

    @classmethod
    def _payment(cls, case, collector, amount, days):
        payment = cls.env["collection.payment"].create(
            {
                "case_id": case.id,
                "user_id": collector.id,
                "amount": amount,
                "date": cls.today + timedelta(days=days),
                "method": "cash",
            }
        )
        payment.action_post()
        return payment

    def _remittance(self):
        remittance = (
            self.env["collection.remittance"]
            .with_user(self.manager)
            .create({"portfolio_id": self.external.id, "date_from": self.date_from, "date_to": self.today})
        )
        remittance.action_compute()
        return remittance


@tagged("post_install", "-at_install")
class TestRemittance(RemittanceWorld):
    def test_lines_commissions_and_net_by_hand(self):
        remittance = self._remittance()
        self.assertTrue(remittance.name.startswith("REM/"))
        got = {
            line.payment_id: (
                line.days_overdue, line.amount, line.agency_rate, line.agency_commission, line.net,
                line.collector_rate, line.collector_commission, line.user_id, line.is_reversal,
            )
            for line in remittance.line_ids
        }  # fmt: skip
        self.assertEqual(
            got,
            {
                self.p1: (95, 100.0, 20.0, 20.0, 80.0, 5.0, 5.0, self.collector_a, False),
                self.p2: (30, 150.0, 10.0, 15.0, 135.0, 5.0, 7.5, self.collector_a, False),
                self.p3: (57, 80.0, 15.0, 12.0, 68.0, 3.0, 2.4, self.collector_b, False),
            },
        )
        # the payment itself carries the agency's rate its rules gave when it was posted
        self.assertEqual((self.p1.commission_rate, self.p1.commission_amount), (20.0, 20.0))
        self.assertEqual((self.p2.commission_rate, self.p3.commission_rate), (10.0, 15.0))
        line = remittance.line_ids.filtered(lambda line: line.payment_id == self.p1)
        self.assertEqual(
            (line.installments, line.method, line.partner_id), ("Installment 1", "cash", self.case1.partner_id)
        )
        self.assertEqual(
            (
                remittance.payment_count,
                remittance.amount_collected,
                remittance.amount_commission,
                remittance.amount_net,
            ),
            (3, 330.0, 47.0, 283.0),
        )
        # without an agency rule the portfolio's rate applies
        self.external.commission_rule_ids.filtered(lambda r: r.kind == "agency").unlink()
        remittance.action_compute()
        self.assertEqual((remittance.amount_commission, remittance.amount_net), (16.5, 313.5))

    def test_send_freezes_and_reversal_shows_next_time(self):
        remittance = self._remittance()
        remittance.action_send()
        self.assertEqual(remittance.state, "sent")
        self.assertEqual(self.p1.remittance_id, remittance)
        # nothing sent is listed again
        again = self._remittance()
        self.assertFalse(again.line_ids)
        # frozen: no cancel, not even by a supervisor; no change of what was reported, not even as superuser
        with self.assertRefused(UserError, "was remitted to the creditor"):
            self.p1.with_user(self.supervisor).with_context(cancel_reason="Bounced").action_cancel()
        with self.assertRefused(UserError, "was remitted to the creditor"):
            self.p1.sudo().write({"amount": 90.0})
        with self.assertRefused(UserError, "Only a draft remittance can be cancelled"):
            remittance.with_user(self.manager).action_cancel()
        with self.assertRefused(UserError, "sent remittance is kept"):
            remittance.with_user(self.manager).unlink()
        # reversal: supervisors only, with a reason
        with self.assertRaises(AccessError):
            self.p1.with_user(self.collector_a).with_context(cancel_reason="x").action_reverse_remitted()
        with self.assertRefused(UserError, "Give the reason"):
            self.p1.with_user(self.supervisor).action_reverse_remitted()
        with self.assertRaises(AccessError):
            self.env["collection.payment.reverse"].with_user(self.collector_a).create(
                {"payment_id": self.p1.id, "reason": "x"}
            )
        # the supervisor's dialog on the payment form
        dialog = (
            self.env["collection.payment.reverse"]
            .with_user(self.supervisor)
            .create({"payment_id": self.p1.id, "reason": "Cheque bounced"})
        )
        dialog.action_confirm()
        self.assertEqual((self.p1.state, self.p1.remittance_reversal_pending), ("cancelled", True))
        self.assertEqual(self.p1.cancel_reason, "Cheque bounced")
        self.assertEqual(self.case1.installment_ids.amount_residual, 100.0, "the installment is open again")
        # the next remittance nets the reversal against a new payment
        p5 = self._payment(self.case1, self.collector_a, 100.0, 0)
        again.action_compute()
        lines = {(line.payment_id, line.is_reversal): (line.amount, line.agency_commission, line.net)
                 for line in again.line_ids}  # fmt: skip
        self.assertEqual(lines, {(p5, False): (100.0, 20.0, 80.0), (self.p1, True): (-100.0, -20.0, -80.0)})
        self.assertEqual(
            (again.amount_collected, again.amount_reversed, again.amount_commission, again.amount_net),
            (100.0, -100.0, 0.0, 0.0),
        )
        again.action_send()
        self.assertFalse(self.p1.remittance_reversal_pending)
        self.assertFalse(self._remittance().line_ids, "a reversal is reported once")
        events = self.env["collection.event"].sudo().search([("description", "ilike", remittance.name)])
        self.assertTrue(events.filtered(lambda e: e.event_type == "export"))
        self.assertTrue(events.filtered(lambda e: e.event_type == "correction"))

    def test_send_refuses_stale_and_double(self):
        first = self._remittance()
        second = self._remittance()
        first.action_send()
        with self.assertRefused(UserError, "Compute it again"):
            second.action_send()

    def test_access(self):
        remittance = self._remittance()
        with self.assertRaises(AccessError):
            remittance.with_user(self.collector_a).read(["name"])
        with self.assertRaises(AccessError):
            self.env["collection.remittance"].with_user(self.collector_a).search([])
        # supervisors of the portfolio's team read and print, but do not send
        self.assertEqual(remittance.with_user(self.supervisor).amount_net, 283.0)
        with self.assertRaises(AccessError):
            remittance.with_user(self.supervisor).action_send()
        self.assertFalse(self.env["collection.remittance"].with_user(self.supervisor_other).search([]))
        self.assertEqual(self.env["collection.remittance"].with_user(self.auditor).search([]), remittance)
        with self.assertRefused(ValidationError, "creditor (external) portfolios"):
            self.env["collection.remittance"].with_user(self.manager).create(
                {"portfolio_id": self.internal.id, "date_from": self.date_from, "date_to": self.today}
            )

    def test_xlsx_keeps_text(self):
        action = self._remittance().with_user(self.supervisor).action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        book = openpyxl.load_workbook(io.BytesIO(attachment.raw))
        cells = [row[2] for row in book["Payments"].iter_rows(min_row=2)]
        evil = next(cell for cell in cells if cell.value == HYPERLINK)
        self.assertEqual(evil.data_type, "s")
        totals = {row[0]: row[1] for row in book["Totals"].iter_rows(min_row=2, values_only=True)}
        self.assertEqual(totals["Net to Remit"], 283.0)

    def test_settlement_per_collector(self):
        Settlement = self.env["collection.commission.settlement"]
        mine = Settlement.with_user(self.collector_a).create({"date_from": self.date_from, "date_to": self.today})
        self.assertEqual(mine.user_ids, self.collector_a)
        (entry,) = mine._settlement()
        self.assertEqual([row["payment_id"] for row in entry["lines"]], [self.p2.id, self.p1.id])
        self.assertEqual(entry["total_company"], 12.5)
        with self.assertRaises(AccessError):
            Settlement.with_user(self.collector_a).create(
                {"date_from": self.date_from, "date_to": self.today, "user_ids": self.collector_b.ids}
            )._settlement()
        team = Settlement.with_user(self.supervisor).create({"date_from": self.date_from, "date_to": self.today})
        totals = {entry["user"]: entry["total_company"] for entry in team._settlement()}
        self.assertEqual(totals, {self.collector_a: 12.5, self.collector_b: 2.4})
        action = team.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        book = openpyxl.load_workbook(io.BytesIO(attachment.raw))
        rows = {row[0]: row[3] for row in book["Collectors"].iter_rows(min_row=2, values_only=True)}
        self.assertEqual(rows, {self.collector_a.name: 12.5, self.collector_b.name: 2.4})


@tagged("post_install", "-at_install")
class TestRemittanceReports(RemittanceWorld, HttpCase):
    def test_pdfs(self):
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is needed to read the reports back")
        remittance = self._remittance()
        remittance.action_send()
        self.p3.with_user(self.supervisor).with_context(cancel_reason="Bank recall").action_reverse_remitted()
        following = self._remittance()
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        text = pdf_text(
            Report._render_qweb_pdf("debt_collection.action_report_collection_remittance", remittance.ids)[0]
        )
        self.assertIn(f"Creditor remittance {remittance.name}", text)
        self.assertIn("Debtor Two", text)
        self.assertIn("Net to remit", text)
        self.assertIn("283.00", text)
        text = pdf_text(
            Report._render_qweb_pdf("debt_collection.action_report_collection_remittance", following.ids)[0]
        )
        self.assertIn("Reversals of payments remitted earlier", text)
        # Odoo's monetary widget puts a zero-width space after the minus sign
        self.assertIn("Net to remit $ -68.00", text.replace("\u200b", ""), "the reversal nets the next remittance")
        wizard = (
            self.env["collection.commission.settlement"]
            .with_user(self.supervisor)
            .create({"date_from": self.date_from, "date_to": self.today, "user_ids": self.collector_a.ids})
        )
        text = pdf_text(
            Report._render_qweb_pdf("debt_collection.action_report_collection_commission_settlement", wizard.ids)[0]
        )
        self.assertIn(f"Commission settlement {self.collector_a.name}", text)
        self.assertIn("Commission due", text)
        self.assertIn("12.50", text)
