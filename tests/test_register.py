"""The delinquent register on real cases: pre-notice, entry after the
notice period, exit by payment (collection payment and payment registered
in Accounting), the notice letter for debtors without e-mail, entries and
removals by hand, the strategy step and the export."""

import base64
import csv
import io
import shutil
from datetime import datetime
from datetime import time
from datetime import timedelta

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import CollectionCommon
from .common import pdf_text

DAY0 = "2026-04-01 15:00:00"


@tagged("post_install", "-at_install")
@freeze_time(DAY0)
class TestRegister(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["collection.strategy"].search([]).active = False
        cls.company.write(
            {
                "collection_register_days": 30,
                "collection_register_amount": 100.0,
                "collection_register_notice_days": 20,
                "collection_register_exit_installments": 2,
            }
        )
        cls.Register = cls.env["collection.register"]

    def _at(self, days_later):
        """15:00 UTC of that day: the same date in every time zone of the Americas and Europe."""
        return freeze_time(datetime.combine(self.today + timedelta(days=days_later), time(15, 0)))

    def _daily(self, days_later=0):
        with self._at(days_later):
            self.env["collection.case"]._refresh_aging()
            self.Register._cron_register()

    def _entry(self, case):
        return self.Register.search([("case_id", "=", case.id)], order="id desc", limit=1)

    def test_notice_then_entry_then_exit_by_collection_payment(self):
        case = self._case(self._debtor("Ana Morosa", email="ana@example.com"), self.collector_a,
                          installments=((-40, 500.0),))  # fmt: skip
        small = self._case(self._debtor("Beto Poco", email="beto@example.com"), self.collector_a,
                           installments=((-40, 50.0),))  # fmt: skip
        recent = self._case(self._debtor("Caro Reciente", email="caro@example.com"), self.collector_a,
                            installments=((-10, 900.0),))  # fmt: skip
        self._daily()
        entry = self._entry(case)
        self.assertEqual((entry.state, entry.date_notice, entry.date_entry_planned),
                         ("notice", self.today, self.today + timedelta(days=20)))  # fmt: skip
        self.assertFalse(self._entry(small), "under the amount")
        self.assertFalse(self._entry(recent), "not yet 30 days overdue")
        notice = self.env["mail.mail"].search([("model", "=", "collection.case"), ("res_id", "=", case.id)])
        self.assertEqual(len(notice), 1)
        self.assertIn("delinquent register", notice.subject)
        self.assertEqual(case.register_state, "notice")
        # a second run does not send another notice
        self._daily(1)
        self.assertEqual(self.Register.search_count([("case_id", "=", case.id)]), 1)
        self._daily(19)
        self.assertEqual(entry.state, "notice", "the notice period is not over")
        self._daily(20)
        self.assertEqual((entry.state, entry.date_entry), ("entered", self.today + timedelta(days=20)))
        self.assertEqual(case.partner_id.collection_register_state, "entered")
        events = (
            self.env["collection.event"].sudo().search([("case_id", "=", case.id), ("event_type", "=", "register")])
        )
        self.assertEqual(len(events), 2, "notice and entry logged")
        with self._at(21):
            payment = self.env["collection.payment"].create({"case_id": case.id, "amount": 500.0, "method": "cash"})
            payment.action_post()
        self.assertEqual(case.state, "closed")
        self._daily(21)
        self.assertEqual((entry.state, entry.exit_reason), ("exited", "paid"))
        self.assertFalse(case.partner_id.collection_register_state)
        with self.assertRaises(UserError):
            entry.unlink()

    def test_internal_invoice_paid_in_accounting_leaves_the_register(self):
        debtor = self._debtor("Delta Ltda", email="delta@example.com")
        invoice = self._invoice(debtor, 1000.0, 60)
        self.internal._sync_invoices()
        case = invoice.collection_case_id
        self.assertTrue(case)
        self._daily()
        entry = self._entry(case)
        self.assertEqual(entry.state, "notice")
        self.assertEqual(invoice.collection_register_state, "notice")
        self._daily(20)
        self.assertEqual(entry.state, "entered")
        self.assertEqual(invoice.collection_register_state, "entered")
        with self._at(22):
            self._pay(invoice, 1000.0)
        self.assertEqual(case.state, "closed")
        self._daily(22)
        self.assertEqual((entry.state, entry.exit_reason), ("exited", "paid"))

    def test_agreement_kept_for_two_installments_takes_the_debtor_out(self):
        case = self._case(self._debtor("Hilda Plan", email="hilda@example.com"), self.collector_a,
                          installments=((-60, 600.0),))  # fmt: skip
        self._daily()
        self._daily(20)
        entry = self._entry(case)
        self.assertEqual(entry.state, "entered")
        with self._at(21):
            agreement = (
                self.env["collection.agreement"]
                .with_user(self.collector_a)
                .create(
                    {
                        "case_id": case.id,
                        "replaced_installment_ids": [Command.set(case.installment_ids.ids)],
                        "installment_count": 3,
                        "first_due_date": self.today + timedelta(days=25),
                    }
                )
            )
            agreement.action_submit()
            self.assertEqual(agreement.state, "active")
            first = agreement.installment_ids.sorted("date_due")[0]
            self.env["collection.payment"].create({"case_id": case.id, "amount": first.amount}).action_post()
        self._daily(22)
        self.assertEqual(entry.state, "entered", "one installment kept is not enough")
        with self._at(23):
            second = agreement.installment_ids.sorted("date_due")[1]
            self.env["collection.payment"].create({"case_id": case.id, "amount": second.amount}).action_post()
        self._daily(23)
        self.assertEqual((entry.state, entry.exit_reason), ("exited", "agreement"))
        # the open agreement keeps the debtor out: no new notice
        self._daily(24)
        self.assertEqual(self.Register.search_count([("case_id", "=", case.id)]), 1)

    def test_notice_letter_when_no_email_and_paid_before_entry(self):
        case = self._case(self._debtor("Elsa Sin Correo"), self.collector_a, installments=((-45, 700.0),))
        self._daily()
        entry = self._entry(case)
        self.assertEqual((entry.state, entry.date_notice), ("notice", False))
        letter = entry.notice_step_id
        self.assertEqual((letter.state, letter.letter_level), ("to_print", "register"))
        self._daily(25)
        self.assertEqual(entry.state, "notice", "no entry before the notice is printed")
        with self._at(25):
            letter.sudo()._mark_printed({})
        self.assertEqual(entry.date_entry_planned, self.today + timedelta(days=45))
        # paid before the entry: the notice is withdrawn
        with self._at(30):
            self.env["collection.payment"].create({"case_id": case.id, "amount": 700.0, "method": "cash"}).action_post()
        self._daily(30)
        self.assertEqual((entry.state, entry.exit_reason), ("withdrawn", "paid"))

    def test_by_hand_with_override_logged_and_refused_to_collectors(self):
        case = self._case(self._debtor("Fede Manual"), self.collector_a, installments=((-5, 300.0),))
        Manual = self.env["collection.register.manual"]
        with self.assertRaises(AccessError):
            Manual.with_user(self.collector_a).create({"case_ids": [Command.set(case.ids)], "action": "enter"})
        wizard = Manual.with_user(self.supervisor).create(
            {"case_ids": [Command.set(case.ids)], "action": "enter", "reason": "Court order"}
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()  # no notice, no override
        wizard.override = True
        wizard.action_confirm()
        entry = self._entry(case)
        self.assertEqual((entry.state, entry.origin, entry.note), ("entered", "manual", "Court order"))
        events = (
            self.env["collection.event"].sudo().search([("case_id", "=", case.id), ("event_type", "=", "register")])
        )
        self.assertTrue(any("overridden" in event.description for event in events))
        remove = Manual.with_user(self.supervisor).create(
            {"case_ids": [Command.set(case.ids)], "action": "remove", "reason": "Identity theft proven"}
        )
        remove.action_confirm()
        self.assertEqual((entry.state, entry.exit_reason, entry.note), ("exited", "manual", "Identity theft proven"))

    def test_strategy_step_and_export(self):
        strategy = self.env["collection.strategy"].create(
            {
                "name": "Register ladder",
                "domain": f"[('portfolio_id', '=', {self.external.id})]",
                "step_ids": [Command.create({"name": "Register notice", "days": 15, "action": "register"})],
            }
        )
        self.company.collection_register_days = 0  # the rule is off: only the strategy step notifies
        case = self._case(self._debtor("Gala Step", email="gala@example.com", vat="900123"), self.collector_a,
                          installments=((-20, 400.0),))  # fmt: skip
        with self._at(0):
            self.env["collection.case"]._refresh_aging()
            self.env["collection.case"]._run_strategies()
        entry = self._entry(case)
        self.assertEqual((entry.state, entry.origin), ("notice", "strategy"))
        self.assertEqual(case.step_ids.filtered(lambda s: s.strategy_id == strategy).state, "done")
        self.company.collection_register_days = 10
        self._daily(20)
        self.assertEqual(entry.state, "entered")
        Manual = self.env["collection.register.manual"].with_user(self.supervisor)
        with self._at(20):
            Manual.create(
                {"case_ids": [Command.set(case.ids)], "action": "remove", "reason": "Agreement"}
            ).action_confirm()
        export = (
            self.env["collection.register.export"]
            .with_user(self.supervisor)
            .create(
                {
                    "date_from": self.today,
                    "date_to": self.today + timedelta(days=30),
                    "layout_id": self.env.ref("debt_collection.collection_register_layout_default").id,
                    "file_format": "csv",
                }
            )
        )
        with self._at(20):
            export.action_export()
        rows = list(csv.reader(io.StringIO(base64.b64decode(export.file).decode("utf-8-sig")), delimiter=";"))
        self.assertEqual(
            rows[0], ["EVENT", "DATE", "ID_NUMBER", "NAME", "OBLIGATION", "AMOUNT", "DAYS_OVERDUE", "EXIT_REASON"]
        )
        self.assertEqual(
            [row[:4] + row[7:] for row in rows[1:]],
            [
                ["entry", str(self.today + timedelta(days=20)), "900123", "Gala Step", ""],
                ["exit", str(self.today + timedelta(days=20)), "900123", "Gala Step", "Removed by hand"],
            ],
        )
        self.assertEqual(rows[1][5], "400.00")
        export.file_format = "xlsx"
        export.action_export()
        self.assertTrue(base64.b64decode(export.file).startswith(b"PK"))


@tagged("post_install", "-at_install")
class TestRegisterReports(CollectionCommon, HttpCase):
    """The register report (PDF and XLSX) and a case's dossier, rendered by
    wkhtmltopdf through the test server and read back with pdftotext."""

    def test_register_report_and_dossier(self):
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is needed to read the reports back")
        Register = self.env["collection.register"].sudo()
        cases = [
            self._case(
                self._debtor(f"Report Debtor {n}"),
                self.collector_a if n < 2 else self.collector_b,
                installments=((-50, 100.0 * (n + 1)),),
            )  # fmt: skip
            for n in range(3)
        ]
        entries = Register.create(
            [
                {"partner_id": case.partner_id.id, "case_id": case.id, "user_id": case.user_id.id,
                 "contract_ref": "CARD" if n else "LOAN", "amount": 100.0 * (n + 1), "state": "entered",
                 "origin": "manual"}
                for n, case in enumerate(cases)
            ]
        )  # fmt: skip
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, _kind = Report._render_qweb_pdf("debt_collection.action_report_collection_register", entries.ids)
        text = pdf_text(pdf)
        self.assertIn("Delinquent register", text)
        self.assertIn("3 entries", text)
        self.assertIn(self.collector_a.name, text)
        self.assertIn("LOAN", text)
        self.assertIn("600.00", text, "the total")
        action = entries.with_user(self.supervisor).action_summary_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        book = openpyxl.load_workbook(io.BytesIO(attachment.raw))
        self.assertEqual(book.sheetnames, ["Entries", "Status", "Holder", "Product - Contract", "Portfolio"])
        holders = {row[0]: row[1] for row in book["Holder"].iter_rows(min_row=2, values_only=True)}
        self.assertEqual(holders, {self.collector_a.name: 2, self.collector_b.name: 1})
        with self.assertRaises(AccessError):
            entries.with_user(self.collector_a).action_summary_xlsx()
        case = cases[0]
        self.env["collection.promise"].create(
            {"case_id": case.id, "amount": 40.0, "date_promise": self.today + timedelta(days=4)}
        )
        pdf, _kind = Report._render_qweb_pdf("debt_collection.action_report_collection_dossier", case.ids)
        text = pdf_text(pdf)
        self.assertIn(f"Case dossier {case.name}", text)
        self.assertIn("Report Debtor 0", text)
        self.assertIn("Delinquent register: In the register", text)
        self.assertIn("Days to the next due action: 4", text)
        self.assertIn("Installment 1", text)
