import io
from datetime import timedelta

from odoo import Command
from odoo import fields
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tools.pdf import PdfReader


@tagged("post_install", "-at_install")
class TestCollectionPdf(HttpCase):
    """The payment receipt and the agreement document render to PDF with
    wkhtmltopdf (which fetches the report styles from the test server, so
    this runs as an HttpCase), from HTML that carries the amounts in words.
    wkhtmltopdf draws the text as shapes, so the words are checked in the
    HTML it is given and the PDF by its pages."""

    def setUp(self):
        super().setUp()
        env = self.env
        today = fields.Date.context_today(env.user)
        portfolio = env["collection.portfolio"].create(
            {"name": "PDF Portfolio", "kind": "external", "state": "active", "commission_rate": 8.0}
        )
        debtor = env["res.partner"].create({"name": "PDF Debtor", "street": "Calle 10 # 43D-25", "city": "Medellín"})
        self.case = env["collection.case"].create(
            {
                "portfolio_id": portfolio.id,
                "partner_id": debtor.id,
                "installment_ids": [
                    Command.create({"name": "Cuota 1", "date_due": today - timedelta(days=40), "amount": 300.0}),
                    Command.create({"name": "Cuota 2", "date_due": today - timedelta(days=10), "amount": 250.0}),
                ],
            }
        )
        self.Report = env["ir.actions.report"].with_context(force_report_rendering=True)

    def _render(self, report, records):
        """(HTML given to wkhtmltopdf, number of pages of the PDF)."""
        html = self.Report._render_qweb_html(report, records.ids)[0].decode()
        pdf, report_type = self.Report._render_qweb_pdf(report, records.ids)
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        return html, len(PdfReader(io.BytesIO(pdf)).pages)

    def test_receipt_pdf(self):
        payment = self.env["collection.payment"].create({"case_id": self.case.id, "amount": 325.5, "method": "cheque"})
        payment.action_post()
        html, pages = self._render("debt_collection.report_collection_payment_receipt", payment)
        self.assertEqual(pages, 1)
        self.assertIn(payment.name, html)
        self.assertIn("Three Hundred And Twenty-Five Dollars and Fifty Cents", html)
        self.assertIn(payment._amount_in_words(), html)
        self.assertIn("Cuota 2", html)

    def test_agreement_pdf(self):
        agreement = self.env["collection.agreement"].create(
            {
                "case_id": self.case.id,
                "replaced_installment_ids": [Command.set(self.case.installment_ids.ids)],
                "installment_count": 5,
                "interest_method": "french",
                "annual_rate": 18.0,
            }
        )
        agreement.action_submit()
        html, pages = self._render("debt_collection.report_collection_agreement", agreement)
        self.assertGreaterEqual(pages, 1)
        self.assertIn(agreement.name, html)
        self.assertIn(agreement.currency_id.amount_to_text(agreement.amount_total), html)
        self.assertIn("Five Hundred", html)
        self.assertIn("The debtor", html)
