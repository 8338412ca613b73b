import base64
import csv
import io
from datetime import date

import openpyxl
import psycopg2
import xlsxwriter

from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import Form
from odoo.tests import tagged
from odoo.tools import file_open

from ..models.collection_portfolio_bulk import CopyPipe
from .common import CollectionCommon

ES_HEADERS = [
    "Nombre completo",
    "NIT",
    "Código cliente",
    "Dirección",
    "Ciudad",
    "País",
    "Teléfono 1",
    "Teléfono 2",
    "Correo",
    "Monto adeudado",
    "Nro cuotas",
    "Cuota",
    "Fecha vencimiento",
    "Valor cuota",
    "Contrato",
    "Moneda",
]


def debtor_rows(name, nit, ref, phone, installments, contract="CR-1", owed=None, city="Bogotá"):
    """File rows (Spanish layout) of one debtor: one row per installment,
    debtor columns repeated; amounts with decimal comma, dates day first."""
    owed = owed if owed is not None else sum(amount for _due, amount in installments)
    return [
        [
            name,
            nit,
            ref,
            "Calle 10 # 20-30",
            city,
            "CO",
            phone,
            "",
            f"{ref.lower()}@example.com",
            f"{owed:.2f}".replace(".", ","),
            len(installments),
            index,
            due.strftime("%d/%m/%Y"),
            f"{amount:.2f}".replace(".", ","),
            contract,
            "",
        ]
        for index, (due, amount) in enumerate(installments, start=1)
    ]


@tagged("post_install", "-at_install")
class TestImport(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.COP").active = True
        cls.external.currency_id = cls.company.currency_id
        cls.rows = (
            debtor_rows(
                "Andrés Gómez",
                "900123455",
                "C-001",
                "300 123 4567",
                [(date(2026, 1, 10), 100.5), (date(2026, 2, 10), 100.5)],
            )
            + debtor_rows("Lucía Pérez", "", "C-002", "+57 310 765 4321", [(date(2026, 3, 5), 250.0)])
            + debtor_rows(
                "Jorge Ruiz",
                "",
                "C-003",
                "3157778899",
                [(date(2026, 1, 1), 40.0), (date(2026, 2, 1), 40.0), (date(2026, 3, 1), 20.0)],
            )
        )

    # ------------------------------------------------------------ helpers
    def _xlsx(self, rows, headers=None, sheets=None):
        headers = headers or ES_HEADERS
        output = io.BytesIO()
        # the cells keep the text given (a creditor's "=1+1" is text in their file too)
        workbook = xlsxwriter.Workbook(
            output, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        for title, (sheet_headers, sheet_rows) in (sheets or {"Cartera": (headers, rows)}).items():
            sheet = workbook.add_worksheet(title)
            for col, header in enumerate(sheet_headers):
                sheet.write(0, col, header)
            for r, row in enumerate(sheet_rows, start=1):
                for col, value in enumerate(row):
                    sheet.write(r, col, value)
        workbook.close()
        return output.getvalue()

    def _csv(self, rows, headers=None, delimiter=";", encoding="cp1252"):
        headers = headers or ES_HEADERS
        text = io.StringIO()
        writer = csv.writer(text, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
        return text.getvalue().encode(encoding)

    def _wizard(self, data, filename, user=None, **options):
        wizard = Form(
            self.env["collection.import"]
            .with_user(user or self.manager)
            .with_context(active_model="collection.portfolio", active_id=self.external.id, default_file_name=filename)
        )
        wizard.file = base64.b64encode(data)
        for key, value in options.items():
            setattr(wizard, key, value)
        record = wizard.save()
        record.action_read()
        return record

    def _import(self, data, filename="cartera.xlsx", **options):
        wizard = self._wizard(data, filename, **options)
        action = wizard.action_import()
        return self.env["collection.import.job"].browse(action["res_id"])

    def _snapshot(self):
        return (
            self.env["res.partner"].search_count([]),
            self.env["collection.case"].search_count([]),
            self.env["collection.installment"].search_count([]),
        )

    def _cases(self):
        return self.env["collection.case"].search([("portfolio_id", "=", self.external.id)])

    # ------------------------------------------------------------ tests
    def test_clean_xlsx_import(self):
        wizard = self._wizard(self._xlsx(self.rows), "cartera.xlsx")
        mapped = {line.header: line.column for line in wizard.line_ids}
        self.assertEqual(mapped["Nombre completo"], "partner_name")
        self.assertEqual(mapped["NIT"], "vat")
        self.assertEqual(mapped["Fecha vencimiento"], "due_date")
        self.assertEqual(mapped["Valor cuota"], "installment_amount")
        self.assertIn("100.5", wizard.preview)
        self.assertIn("2026-01-10", wizard.preview)
        wizard.action_check()
        self.assertIn("All 6 rows are valid", wizard.check_result)
        job = self.env["collection.import.job"].browse(wizard.action_import()["res_id"])
        self.assertEqual(job.state, "done")
        self.assertTrue(job.imported)
        self.assertEqual((job.cases_created, job.installments_created, job.error_count), (3, 6, 0))
        cases = self._cases()
        self.assertEqual(len(cases), 3)
        andres = cases.filtered(lambda c: c.partner_id.name == "Andrés Gómez")
        self.assertEqual(andres.partner_id.vat, "900123455")
        # stored in E.164, a mobile number in the Mobile field
        self.assertEqual(andres.partner_id.mobile, "+573001234567")
        self.assertFalse(andres.partner_id.phone)
        self.assertEqual(andres.partner_id.country_id.code, "CO")
        self.assertEqual(andres.external_ref, "C-001")
        self.assertEqual(andres.amount_total, 201.0)
        self.assertEqual(andres.installment_ids.mapped("contract_ref"), ["CR-1", "CR-1"])
        self.assertEqual(andres.installment_ids.sorted("sequence").mapped("name"), ["CR-1 1/2", "CR-1 2/2"])
        events = self.env["collection.event"].sudo().search([("event_type", "=", "import")])
        self.assertEqual(len(events), 1)
        self.assertEqual(events.payload["cases_created"], 3)

    def test_csv_semicolon_windows_encoding(self):
        job = self._import(self._csv(self.rows), "cartera.csv")
        self.assertEqual(job.state, "done", job.message)
        self.assertEqual(job.installments_created, 6)
        self.assertTrue(self.env["res.partner"].search([("name", "=", "Andrés Gómez")]))
        # comma separated, UTF-8, ISO dates, decimal point: detected too
        rows = [
            row[:12]
            + [row[12].split("/")[2] + "-" + row[12].split("/")[1] + "-" + row[12].split("/")[0]]
            + [row[13].replace(",", ".")]
            + row[14:]
            for row in self.rows
        ]
        other = self.env["collection.portfolio"].create(
            {"name": "Other bank", "kind": "external", "creditor_id": self.creditor.id, "state": "active"}
        )
        wizard = self._wizard(self._csv(rows, delimiter=",", encoding="utf-8"), "other.csv")
        wizard.portfolio_id = other
        job = self.env["collection.import.job"].browse(wizard.action_import()["res_id"])
        self.assertEqual((job.state, job.installments_created), ("done", 6), job.error_summary)

    def test_two_sheet_workbook(self):
        debtors = [
            ["Nombre", "NIT", "Código cliente", "Teléfono", "País"],
        ]
        debtor_data = [
            ["Andrés Gómez", "900123455", "C-001", "3001234567", "CO"],
            ["Lucía Pérez", "", "C-002", "3107654321", "CO"],
        ]
        installments = [
            ["Código cliente", "Fecha vencimiento", "Valor cuota", "Cuota"],
        ]
        inst_data = [["C-001", "2026-01-10", 100, 1], ["C-001", "2026-02-10", 100, 2], ["C-002", "2026-03-05", 250, 1]]
        data = self._xlsx(None, sheets={"Deudores": (debtors[0], debtor_data), "Cuotas": (installments[0], inst_data)})
        job = self._import(data)
        self.assertEqual((job.state, job.cases_created, job.installments_created), ("done", 2, 3), job.error_summary)
        lucia = self._cases().filtered(lambda c: c.external_ref == "C-002")
        self.assertEqual(lucia.partner_id.name, "Lucía Pérez")
        self.assertEqual(lucia.partner_id.mobile, "+573107654321")

    def test_bad_rows_are_reported_and_nothing_is_written(self):
        rows = [list(row) for row in self.rows]
        rows[0][0] = ""  # row 2: no name
        rows[1][12] = "31/02/2026"  # row 3: no such date
        rows[2][13] = "abc"  # row 4: not an amount
        rows[3][15] = "XYZ"  # row 5: unknown currency
        rows[4][1] = "900123456"  # row 6: NIT with a wrong check digit
        rows[5][6] = "12"  # row 7: not a phone number
        bad = debtor_rows(
            "Sum Wrong", "", "C-009", "3001112233", [(date(2026, 1, 1), 10.0), (date(2026, 2, 1), 10.0)], owed=25.0
        )
        dup = debtor_rows("Dup Ref", "", "C-010", "3001112244", [(date(2026, 1, 1), 10.0)])
        rows += bad + dup + dup  # rows 8-9 do not add up, row 11 repeats row 10
        before = self._snapshot()
        job = self._import(self._xlsx(rows))
        self.assertEqual(job.state, "done")
        self.assertFalse(job.imported)
        self.assertEqual(self._snapshot(), before, "nothing is half-imported")
        self.assertFalse(self.env["collection.event"].sudo().search([("event_type", "=", "import")]))
        summary = job.error_summary
        self.assertIn("Row 2: The debtor's name is missing.", summary)
        self.assertIn("Row 3: Due date:", summary)
        self.assertIn("Row 4: Installment amount: 'abc' is not an amount.", summary)
        self.assertIn("Row 5: Unknown currency 'XYZ'.", summary)
        self.assertIn("Row 6: Tax ID '900123456' is not valid for Colombia.", summary)
        self.assertIn("Row 7: Phone 1 '12' is not a valid number for Colombia.", summary)
        self.assertIn("Row 8: The installments (rows 8, 9) add up to 20.00 but the amount owed is 25.00.", summary)
        self.assertIn("Row 11: The same installment (due date and number) is already on row 10.", summary)
        self.assertNotIn("Row 10:", summary)
        self.assertIn("Nothing was imported", job.message)
        # the error file is the file with an added error column
        workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(job.error_file)))
        sheet = workbook.active
        self.assertEqual(sheet.cell(1, len(ES_HEADERS) + 1).value, "error")
        self.assertEqual(sheet.max_row, len(rows) + 1)
        self.assertIn("name is missing", sheet.cell(2, len(ES_HEADERS) + 1).value)
        self.assertIsNone(sheet.cell(10, len(ES_HEADERS) + 1).value)

    def test_import_valid_rows_only(self):
        rows = [list(row) for row in self.rows]
        rows[2][13] = "abc"  # Lucía's only installment
        rows[0][12] = "not a date"  # Andrés' first installment: his whole debt is left out
        job = self._import(self._xlsx(rows), mode="valid")
        self.assertTrue(job.imported)
        self.assertEqual((job.cases_created, job.installments_created, job.error_count), (1, 3, 3))
        self.assertEqual(self._cases().partner_id.mapped("name"), ["Jorge Ruiz"])
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(job.error_file))).active
        self.assertEqual(sheet.max_row, 4, "the error file keeps only the rejected rows")
        self.assertIn("Left out with the other installments", job.error_summary)

    def test_figures_written_in_bulk_are_what_the_orm_computes(self):
        """New debtors, cases and installments are written set-based;
        recomputing their stored figures through the ORM changes nothing."""
        self._import(self._xlsx(self.rows))
        cases = self._cases()
        self.assertEqual(len(cases), 3)
        installments = cases.installment_ids
        partners = cases.partner_id
        case_fields = [
            "amount_total", "amount_paid", "amount_residual", "amount_overdue", "date_oldest_due", "days_overdue",
            "aging_bucket", "priority_score", "state", "stage_id", "zone_id", "work_tier",
        ]  # fmt: skip
        installment_fields = [
            "amount", "amount_paid", "amount_residual", "state", "date_aging", "is_disputed", "portfolio_id",
            "company_id", "currency_id", "partner_id",
        ]  # fmt: skip
        partner_fields = ["commercial_partner_id", "complete_name", "email_normalized", "phone_sanitized"]
        records = ((cases, case_fields), (installments, installment_fields), (partners, partner_fields))
        before = [recs.read(names) for recs, names in records]
        self.env.invalidate_all()
        for recs, names in records:
            for name in names:
                self.env.add_to_compute(recs._fields[name], recs)
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(before, [recs.read(names) for recs, names in records])

    def test_debtor_fields_computed_once_per_set_of_inputs_are_the_orms(self):
        """Stored computed fields of new debtors that the import does not set
        itself (added by other modules, such as the Peppol address of
        account_edi_ubl_cii) are computed once per distinct set of inputs and
        copied to the other debtors: an ORM recompute changes nothing."""
        rows = [
            {
                "partner_name": f"Debtor {ref}",
                "partner_ref": ref,
                "country": country,
                "vat": vat,
                "due_date": "2026-05-01",
                "installment_amount": 50.0,
                "installment_ref": f"{ref}-1",
            }
            for ref, country, vat in [
                ("BE-1", "BE", ""),
                ("BE-2", "BE", ""),
                ("BE-3", "BE", "BE0477472701"),
                ("CO-1", "CO", ""),
                ("CO-2", "CO", ""),
            ]
        ]
        result = self.env["collection.portfolio"].with_user(self.manager).import_rows(self.external.id, rows)
        self.assertEqual(result["errors"], [])
        partners = self.env["collection.case"].browse([r["case_id"] for r in result["rows"]]).partner_id
        self.assertEqual(len(partners), 5)
        Partner = self.env["res.partner"]
        names = [
            name
            for name, field in Partner._fields.items()
            if field.store and field.compute and field.column_type and name not in ("write_date", "write_uid")
        ]
        before = partners.read(names)
        self.env.invalidate_all()
        for name in names:
            self.env.add_to_compute(Partner._fields[name], partners)
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(before, partners.read(names))
        if "peppol_eas" in Partner._fields:
            belgians = partners.filtered(lambda p: p.country_id.code == "BE")
            self.assertTrue(all(belgians.mapped("peppol_eas")), "the group's value was copied to all its debtors")

    def test_copy_pipe_copies_in_order_and_raises_what_the_database_refused(self):
        """The import's writer thread runs its COPY statements in the order
        given, and a row the database refuses fails the import with that
        error once the writer is drained."""
        self.env.cr.execute("CREATE TEMP TABLE dc_pipe_test (n integer, d date)")
        pipe = CopyPipe(self.env.cr)
        for first in (1, 3):
            buffer = io.StringIO()
            buffer.write(f"{first},2026-01-0{first}\n{first + 1},2026-01-0{first + 1}\n")
            pipe.submit("COPY dc_pipe_test (n, d) FROM STDIN WITH (FORMAT csv)", buffer)
        pipe.drain()
        self.env.cr.execute("SELECT n FROM dc_pipe_test ORDER BY ctid")
        self.assertEqual([row[0] for row in self.env.cr.fetchall()], [1, 2, 3, 4])
        with self.assertRaises(psycopg2.DataError):
            pipe = CopyPipe(self.env.cr)
            buffer = io.StringIO()
            buffer.write("5,not a date\n")
            pipe.submit("COPY dc_pipe_test (n, d) FROM STDIN WITH (FORMAT csv)", buffer)
            pipe.drain()

    def test_reimport_is_idempotent_and_updates(self):
        data = self._xlsx(self.rows)
        self._import(data)
        before = self._snapshot()
        job = self._import(data)
        self.assertEqual(self._snapshot(), before, "re-importing the same file changes nothing")
        self.assertEqual((job.cases_created, job.cases_updated, job.installments_updated), (0, 0, 0))
        self.assertEqual(job.installments_unchanged, 6)
        # a newer file: one amount changes, one installment is added
        rows = [list(row) for row in self.rows]
        rows[2][13] = "300,00"
        rows[2][9] = "300,00"
        rows += debtor_rows("Jorge Ruiz", "", "C-003", "3157778899", [(date(2026, 4, 1), 15.0)], contract="CR-2")
        job = self._import(self._xlsx(rows))
        self.assertEqual((job.cases_created, job.installments_created, job.installments_updated), (0, 1, 1))
        self.assertEqual(job.cases_updated, 2)
        lucia = self._cases().filtered(lambda c: c.external_ref == "C-002")
        self.assertEqual(lucia.amount_total, 300.0)
        jorge = self._cases().filtered(lambda c: c.external_ref == "C-003")
        self.assertEqual(jorge.amount_total, 115.0)
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Jorge Ruiz")]), 1)

    def test_missing_cases_returned_to_creditor(self):
        self._import(self._xlsx(self.rows))
        job = self._import(self._xlsx(self.rows[:3]), mark_missing=True)
        self.assertEqual(job.cases_returned, 1)
        jorge = self._cases().filtered(lambda c: c.external_ref == "C-003")
        self.assertEqual((jorge.state, jorge.close_reason), ("closed", "returned"))
        event = (
            self.env["collection.event"].sudo().search([("case_id", "=", jorge.id), ("event_type", "=", "case_close")])
        )
        self.assertIn("Not in the creditor's latest file", event.description)
        # back in a later file: reopened
        self._import(self._xlsx(self.rows))
        self.assertEqual(jorge.state, "open")

    def test_return_missing_spares_debtors_whose_rows_were_rejected(self):
        """Valid rows only: the debtor whose row was rejected is in the file,
        and rejected rows mean the file is no complete picture: nothing is
        returned, and the job says why."""
        self._import(self._xlsx(self.rows))
        rows = [list(row) for row in self.rows]
        rows[2][13] = "abc"  # Lucía's only installment is rejected
        job = self._import(self._xlsx(rows[:3]), mode="valid", mark_missing=True)
        self.assertTrue(job.imported)
        self.assertEqual((job.error_count, job.cases_returned), (1, 0))
        self.assertIn("1 rows were rejected", job.message)
        self.assertEqual(set(self._cases().mapped("state")), {"open"}, "Lucía (rejected) and Jorge stay open")

    def test_return_missing_never_on_a_file_without_valid_rows(self):
        self._import(self._xlsx(self.rows))
        rows = [list(row) for row in self.rows]
        for row in rows:
            row[13] = "abc"
        job = self._import(self._xlsx(rows), mode="valid", mark_missing=True)
        self.assertEqual((job.cases_returned, job.error_count), (0, 6))
        self.assertEqual(set(self._cases().mapped("state")), {"open"})
        # a header-only file (as dropped in the watched folder) says nothing about the portfolio
        job = self._import(self._csv([]), "empty.csv", mark_missing=True)
        self.assertEqual((job.state, job.cases_returned), ("done", 0))
        self.assertIn("no rows", job.message)
        self.assertEqual(set(self._cases().mapped("state")), {"open"})
        result = self.external.import_rows(self.external.id, [], {"mark_missing": True})
        self.assertEqual(result["counts"]["cases_returned"], 0)
        self.assertTrue(result["warnings"])
        self.assertEqual(set(self._cases().mapped("state")), {"open"})

    def test_return_missing_matches_debtors_by_their_keys(self):
        """A debtor is in the file when a row gives their tax ID (however
        written) or the creditor's reference, the keys the import matches
        debtors with; a complete file returns the others."""
        self._import(self._xlsx(self.rows))
        cases = {case.external_ref: case for case in self._cases()}
        lines = [{"vat": "900.123.455", "partner_ref": ""}, {"vat": "", "partner_ref": "C-003"}]
        self.assertEqual(self.external._import_present_case_ids(lines), {cases["C-001"].id, cases["C-003"].id})
        job = self._import(self._xlsx(self.rows[:2] + self.rows[3:]), mark_missing=True)
        self.assertEqual((job.error_count, job.cases_returned), (0, 1))
        self.assertEqual(
            {ref: case.state for ref, case in cases.items()}, {"C-001": "open", "C-002": "closed", "C-003": "open"}
        )

    def test_error_file_keeps_cell_text_as_text(self):
        """Text of the file that looks like a formula, a link or a number is
        written to the error file as text (no formula injection)."""
        texts = ['=HYPERLINK("http://x","y")', "=1+1", "http://evil.example.com", "+1234", "@SUM(A1)"]

        def rows_of(texts):
            rows = []
            for index, text in enumerate(texts):
                row = list(self.rows[2])  # Lucía's row, one installment
                row[0], row[2], row[13] = text, f"F-{index}", "abc"
                rows.append(row)
            return rows

        # (a quoted cell holding the delimiter misleads the CSV dialect sniffer: the CSV leaves that one out)
        for data, filename, given in (
            (self._xlsx(rows_of(texts)), "formulas.xlsx", texts),
            (self._csv(rows_of(texts[1:])), "formulas.csv", texts[1:]),
        ):
            job = self._import(data, filename)
            self.assertEqual(job.error_count, len(given), job.error_summary)
            sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(job.error_file))).active
            for row_index, text in enumerate(given, start=2):
                cell = sheet.cell(row_index, 1)
                self.assertEqual((cell.value, cell.data_type), (text, "s"), "text stays text, not a formula")
                self.assertIsNone(cell.hyperlink, "no link")
            self.assertEqual(sheet.cell(1, 1).data_type, "s")

    def test_rpc_import_rows(self):
        rows = [
            {
                "partner_name": "API Debtor",
                "partner_ref": "API-1",
                "phone1": "+359 88 123 4567",
                "country": "BG",
                "vat": "BG175074752",
                "due_date": "2026-05-01",
                "installment_amount": 120.0,
                "installment_ref": "F-1",
            },
            {
                "partner_name": "API Debtor",
                "partner_ref": "API-1",
                "due_date": "2026-06-01",
                "installment_amount": "80,50",
                "installment_ref": "F-2",
            },
            {"partner_name": "No Date", "partner_ref": "API-2", "installment_amount": 10},
        ]
        Portfolio = self.env["collection.portfolio"].with_user(self.manager)
        result = Portfolio.import_rows(self.external.id, rows)
        self.assertEqual(result["errors"], [{"row": 3, "message": "The due date is missing."}])
        self.assertEqual(result["counts"]["installments_created"], 0, "all or nothing by default")
        result = Portfolio.import_rows(self.external.id, rows, {"mode": "valid"})
        self.assertEqual([r["status"] for r in result["rows"]], ["created", "created", "error"])
        case = self.env["collection.case"].browse(result["rows"][0]["case_id"])
        self.assertEqual(case.partner_id.vat, "175074752")
        self.assertEqual(case.partner_id.mobile, "+359881234567")
        self.assertEqual(case.amount_total, 200.5)
        again = Portfolio.import_rows(self.external.id, rows[:2])
        self.assertEqual([r["status"] for r in again["rows"]], ["unchanged", "unchanged"])
        with self.assertRaises(AccessError):
            Portfolio.with_user(self.collector_a).import_rows(self.external.id, rows[:2])

    def test_shared_debtor_is_one_partner_with_two_cases(self):
        self._import(self._xlsx(self.rows[:2]))
        second = self.env["collection.portfolio"].create(
            {"name": "Utility", "kind": "external", "creditor_id": self._debtor("Utility Co").id, "state": "active"}
        )
        result = second.import_rows(
            second.id,
            [
                {
                    "partner_name": "Andres Gomez",
                    "vat": "900.123.455",
                    "country": "Colombia",
                    "due_date": "2026-07-01",
                    "installment_amount": 60,
                }
            ],
        )
        self.assertFalse(result["errors"])
        partner = self.env["res.partner"].search([("vat", "=", "900123455")])
        self.assertEqual(len(partner), 1)
        self.assertEqual(len(partner.collection_case_ids), 2)

    def test_job_runs_in_the_current_transaction(self):
        """``_run`` (the wizard's small files, the folder import) imports in
        the caller's transaction; the scheduled run of queued jobs, which
        commits, is tested in test_cron_jobs."""
        job = self.env["collection.import.job"].create(
            {
                "name": "small.xlsx",
                "portfolio_id": self.external.id,
                "file": base64.b64encode(self._xlsx(self.rows)),
                "mapping": {},
                "user_id": self.manager.id,
            }
        )
        self.assertEqual((job.state, job.progress), ("queued", 0.0))
        job._run()
        self.assertEqual((job.state, job.progress, job.rows_total), ("done", 100.0, 6))
        self.assertEqual(job.installments_created, 6)
        # a file that cannot be read fails the job with its reason, nothing else
        broken = job.copy({"name": "broken.xlsx", "file": base64.b64encode(b"PK broken"), "state": "queued"})
        broken._run()
        self.assertEqual(broken.state, "failed")
        self.assertIn("cannot be read", broken.message)

    def test_shipped_sample_file(self):
        usd = self.env.ref("base.USD")
        portfolio = self.env["collection.portfolio"].create(
            {
                "name": "Sample",
                "kind": "external",
                "creditor_id": self.creditor.id,
                "currency_id": usd.id,
                "state": "active",
            }
        )
        with file_open("debt_collection/static/sample/portfolio_sample.csv", "rb") as handle:
            data = handle.read()
        records, _headers, info = portfolio._import_read_file(data, "portfolio_sample.csv")
        self.assertEqual((info["delimiter"], len(records)), (";", 6))
        result = portfolio._import_records(records)
        self.assertFalse(result["errors"])
        self.assertEqual(result["counts"]["cases_created"], 3)
        self.assertEqual(sum(portfolio.case_ids.mapped("amount_total")), 1551.5)

    def test_refusals(self):
        with self.assertRaises(AccessError):
            self._wizard(self._xlsx(self.rows), "cartera.xlsx", user=self.supervisor)
        with self.assertRaises(UserError):
            self.internal.import_rows(self.internal.id, [])
        # the watched server folder is an administrator's setting
        with self.assertRaises(AccessError):
            self.external.with_user(self.manager).write({"import_directory": "/etc"})
        with self.assertRaises(UserError):
            self._wizard(b"PK\x03\x04 broken", "broken.xlsx")

    def test_phones_land_in_the_field_of_their_type(self):
        rows = [
            {
                "partner_name": "Dos Teléfonos",
                "partner_ref": "PH-1",
                "country": "CO",
                # a mobile first, then a Bogotá landline: each in its field
                "phone1": "310 765 4321",
                "phone2": "601 555 0102",
                "phone3": "315 000 1111",
                "due_date": "2026-03-05",
                "installment_amount": 50.0,
            }
        ]
        result = self.env["collection.portfolio"].import_rows(self.external.id, rows)
        self.assertFalse(result["errors"])
        partner = self.env["res.partner"].search([("name", "=", "Dos Teléfonos")])
        self.assertEqual(
            (partner.mobile, partner.phone, partner.collection_other_phones),
            ("+573107654321", "+576015550102", "+573150001111"),
        )
        # a later file brings a landline for a debtor who has only a mobile: it fills Phone
        only_mobile = dict(rows[0], partner_name="Solo Móvil", partner_ref="PH-2", phone2="", phone3="")
        self.env["collection.portfolio"].import_rows(self.external.id, [only_mobile])
        again = dict(only_mobile, phone1="601 555 0199", installment_ref="X-2", due_date="2026-04-05")
        self.env["collection.portfolio"].import_rows(self.external.id, [again], {"mode": "valid"})
        partner = self.env["res.partner"].search([("name", "=", "Solo Móvil")])
        self.assertEqual((partner.mobile, partner.phone), ("+573107654321", "+576015550199"))
