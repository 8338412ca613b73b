"""The debtor's statement of account: the PDF in the debtor's language, the
e-mail template that attaches it, the letters printed with it, and who may
print it."""

import shutil
import subprocess
import tempfile
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import CollectionCommon
from .common import pdf_text

STATEMENT = "debt_collection.action_report_collection_statement"
# the statement's own terms in Spanish (the rest comes from i18n/es.po)
SPANISH = {
    "Statement of Account": "Estado de cuenta",
    "Total received": "Total recibido",
    "Open balance": "Saldo pendiente",
    "Overdue balance": "Saldo vencido",
    "Cancelled - not counted": "Anulado - no computado",
}


def _pdf_rows(raw):
    """The lines of a PDF as laid out on the page (a label and its amount on
    one line), whitespace collapsed."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(raw)
        pdf.flush()
        out = subprocess.run(["pdftotext", "-layout", pdf.name, "-"], capture_output=True, check=True, text=True)
    return [" ".join(line.split()) for line in out.stdout.splitlines() if line.strip()]


@tagged("post_install", "-at_install")
class TestStatement(CollectionCommon, HttpCase):
    """Rendered by wkhtmltopdf through the test server and read back with
    pdftotext, one case at a time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.env["ir.module.module"]._load_module_terms(["debt_collection"], ["es_ES"], overwrite=True)
        cls.env.ref("debt_collection.report_collection_statement_document").update_field_translations(
            "arch_db", {"es_ES": SPANISH}
        )
        cls.company.collection_payment_instructions = "Transferencia a la cuenta ES00 1234 indicando su referencia"
        cls.debtor = cls._debtor(
            "Lucía Fernández", lang="es_ES", street="Calle Mayor 5", city="Madrid", email="lucia@example.com"
        )
        # 1000 overdue for 40 days, 500 due in 20 days
        cls.case = cls._case(cls.debtor, cls.collector_a, installments=((-40, 1000.0), (20, 500.0)))
        Payment = cls.env["collection.payment"].with_user(cls.collector_a)
        partial = Payment.create({"case_id": cls.case.id, "amount": 300.0, "method": "cash"})
        partial.action_post()
        bounced = Payment.create({"case_id": cls.case.id, "amount": 250.0, "method": "cheque"})
        bounced.action_post()
        bounced.with_user(cls.supervisor).with_context(cancel_reason="Cheque devuelto").action_cancel()
        cls.payments = partial | bounced

    def setUp(self):
        super().setUp()
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is needed to read the statement back")

    def _money(self, amount):
        """An amount as the statement prints it for the Spanish debtor."""
        return " ".join(self.case.currency_id.with_context(lang="es_ES").format(amount).split())

    def _statement(self, user):
        Report = self.env["ir.actions.report"].with_user(user).with_context(force_report_rendering=True)
        pdf, _kind = Report._render_qweb_pdf(STATEMENT, self.case.ids)
        return pdf

    def test_statement_in_the_debtors_language(self):
        self.assertEqual(
            (self.case.amount_residual, self.case.amount_paid), (1200.0, 300.0), "the cancelled payment was reversed"
        )
        pdf = self._statement(self.collector_a)
        text, rows = pdf_text(pdf), _pdf_rows(pdf)
        self.assertIn("Estado de cuenta", text)
        self.assertIn("Lucía Fernández", text)
        self.assertIn("Madrid", text)
        self.assertIn(self.case.name, text)
        self.assertIn("Banco Andino S.A.", text, "the creditor the debt is collected for")
        self.assertIn("Pendiente por cobrar", text, "the partly paid installment, in Spanish")
        first_due = self.case.installment_ids.sorted("date_due")[0].date_due
        self.assertIn(first_due.strftime("%d/%m/%Y"), text, "dates in the Spanish format")
        self.assertIn(f"Saldo pendiente {self._money(1200.0)}", rows)
        self.assertIn(f"Saldo vencido {self._money(700.0)}", rows)
        self.assertIn(f"Total recibido {self._money(300.0)}", rows)
        self.assertIn("Anulado - no computado", text, "the bounced cheque is shown as cancelled")
        self.assertEqual(text.count(self._money(250.0)), 1, "the cancelled amount counts in no total")
        self.assertNotIn(self._money(950.0), text)
        self.assertNotIn(self._money(550.0), text)
        self.assertIn("ES00 1234", text, "how to pay")

    def test_statement_refused_to_who_cannot_read_the_case(self):
        outsider = self._new_user("dc_collector_c", "group_collection_user", "Carla Collector")
        self.env["collection.team"].create(
            {
                "name": "Team Two",
                "company_id": self.company.id,
                "supervisor_id": self.supervisor_other.id,
                "member_ids": [Command.create({"user_id": outsider.id, "daily_capacity": 30})],
            }
        )
        # a plain access error, before any rendering
        with self.assertRaises(AccessError):
            self._statement(outsider)
        with self.assertRaises(AccessError):
            self._statement(self.collector_b)

    def test_mail_template_attaches_the_statement(self):
        template = self.env.ref("debt_collection.mail_template_collection_statement")
        # from the case's chatter, by its collector
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.collector_a)
            .with_context(force_report_rendering=True)
            .create(
                {
                    "model": "collection.case",
                    "res_ids": self.case.ids,
                    "template_id": template.id,
                    "composition_mode": "comment",
                }
            )
        )
        # named in the debtor's language
        self.assertEqual(
            composer.attachment_ids.mapped("name"), [f"Estado de cuenta - Lucía Fernández - {self.case.name}.pdf"]
        )
        composer._action_send_mail()
        message = self.case.message_ids[0]
        self.assertEqual(message.partner_ids, self.debtor)
        self.assertIn("Estado de cuenta", pdf_text(message.attachment_ids.raw))
        # a strategy step of action e-mail sends the template in batch (collection.case.step._send_mails)
        mail = template.sudo().with_context(force_report_rendering=True).send_mail_batch(self.case.ids)
        self.assertEqual(len(mail.attachment_ids), 1)
        self.assertIn(f"Saldo pendiente {self._money(1200.0)}", _pdf_rows(mail.attachment_ids.raw))

    def test_letters_with_their_statement(self):
        step = (
            self.env["collection.case.step"]
            .sudo()
            .create(
                {
                    "name": "Formal letter",
                    "case_id": self.case.id,
                    "action": "letter",
                    "mode": "auto",
                    "letter_level": "formal",
                    "state": "to_print",
                    "anchor_date": self.today - timedelta(days=40),
                }
            )
        )
        Batch = (
            self.env["collection.letter.batch"]
            .with_user(self.supervisor)
            .with_context(
                force_report_rendering=True, active_model="collection.portfolio", active_ids=self.external.ids
            )
        )
        self.assertFalse(Batch.create({}).attach_statement, "off unless asked")
        batch = Batch.create({"attach_statement": True})
        self.assertEqual(batch.step_ids, step)
        action = batch.action_print()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        for text in (pdf_text(attachment.raw), pdf_text(step.attachment_id.raw)):
            self.assertIn("Requerimiento formal de pago", text, "the letter, in Spanish")
            self.assertIn("Estado de cuenta", text, "followed by the statement")
            self.assertLess(text.index("Requerimiento formal de pago"), text.index("Estado de cuenta"))
        self.assertEqual(step.state, "done")
