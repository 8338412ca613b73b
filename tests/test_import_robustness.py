"""Whatever a creditor's file or an API caller sends, the import answers
with row errors, never a Python exception (issue 14).

``test_mutated_rows_give_row_errors_only`` builds thousands of rows with a
seeded generator: valid debts whose cells are then replaced by junk (wrong
types, structures, control characters, formulas, unicode, 10 000
characters, huge or non-finite numbers, impossible dates, missing columns,
rows that are no rows) and sends them through the real engine, as the API
does (a check, then an import of the valid rows) and as files do (CSV and
XLSX bytes, themselves damaged, read by ``_import_read_file``). Every
answer must be rows with a status, every rejected row a message, the
untouched debts imported. ``DC_FUZZ_SEED`` and ``DC_FUZZ_BATCHES`` run it
with another seed or longer. The other tests pin each crash it found.
"""

import base64
import csv
import io
import json
import math
import os
import random
import traceback
import xmlrpc.client
import zipfile
from datetime import date
from datetime import datetime
from datetime import timedelta

import xlsxwriter

from odoo import Command
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests import tagged

from ..tools import import_parser
from ..tools import schedule
from .common import CollectionCommon

SEED = int(os.environ.get("DC_FUZZ_SEED", "14"))
BATCHES = int(os.environ.get("DC_FUZZ_BATCHES", "60"))
# the canonical columns of a file
KEYS = tuple(import_parser.COLUMN_LABELS)
# the columns a whole file may lack (the debtor's reference recognises the
# debtors of these files: it stays)
OPTIONAL_KEYS = tuple(
    key for key in KEYS if key not in ("partner_name", "partner_ref", "due_date", "installment_amount")
)
# text a cell may hold that must be stored as it is
AWKWARD = (
    "\\N", "\\.", "\\", "C:\\new\\table", "a\tb", "line 1\nline 2", "a\r\nb", '"quoted"', "O'Brien", "=1+1",
    '=HYPERLINK("http://example.com")', "@SUM(A1)", "+57 1", "-2+3", "名前", "Ωμέγα", "e\u0301", "ß", "\U0001f600",
    "a,b;c|d", "NULL", "None", "False", "0", "x" * 100,
)  # fmt: skip
DONE = ("created", "updated", "unchanged")

# cells a creditor's file or an API caller may hold
JUNK = (
    None, "", " ", "\t", False, True, 0, -1, 1, 0.0, -0.0, 0.5, 1e308, -1e308, math.inf, -math.inf, math.nan,
    10**30, -(10**30), 2**31, 2**63, 10**400, "9" * 27, "1" + "0" * 30, "-5", "0", "0,00", "0.001", "1e400",
    "1,23457E+21", "NaN", "inf", "-Infinity", "(12,50)", "$ 1 234,50", "1.234.567,89", "12..5", "1,2,3", "--1", "()",
    "31/02/2026", "29/02/2025", "0000-00-00", "0001-01-01", "9999-12-31", "99999-01-01", "2026-13-01",
    "2026-01-32", "00/00/0000", "1899-12-31", "2200-01-01", "45000", "45000.0", 45000, 45000.5, 99999, 20000,
    "T", "2026-01-01T25:99", "20260101T00:00:00", date(2026, 1, 1), datetime(2026, 1, 1, 10, 30),
    date(1, 1, 1), date(9999, 12, 31),
    "=1+1", '=HYPERLINK("http://example.com","x")', "@SUM(A1:A2)", "+57 1", "-2+3", "=cmd|' /C calc'!A0",
    "\\N", "\\.", "\\", "\\\\N", "a\tb", "a\nb", "a\r\nb", "\r", '"', '""', "'", "a,b;c|d", "\\.\n\\N",
    "\x00", "abc\x00def", "\x00" * 5, "\x01\x02", "\x1b[31mred", "\x7f", "\u200b", "\ufeff", "\u202e", "\U0001f600",
    "名前", "Ωμέγα", "e\u0301", "ß", "İ", "\ud800", "x\udfffy",
    [], [1, 2], {}, {"a": 1}, ["2026-01-01"], {"due_date": "2026-01-01"},
    "x" * 129, "x" * 257, "y" * 10_000, "é" * 700, "\U0001f600" * 700,
)  # fmt: skip


def valid_debt(tag, index, size, currency):
    """The rows of one valid debt: a debtor recognised by the creditor's
    reference, ``size`` monthly installments adding up to the amount owed."""
    return [
        {
            "partner_name": f"Debtor {tag}-{index}",
            "partner_ref": f"R-{tag}-{index}",
            "street": "Calle 10 # 20-30",
            "city": "Bogotá",
            "zip": "110111",
            "country": "CO",
            "phone1": "+57 310 765 4321",
            "email": f"d{tag}.{index}@example.com",
            "contacts": "Ana (sister)",
            "notes": "Calls in the morning.",
            "debt_amount": f"{100.5 * size:.2f}",
            "debt_since": "2025-06-01",
            "installment_count": size,
            "installment_number": number,
            "due_date": (date(2026, 1, 15) + timedelta(days=30 * number)).isoformat(),
            "installment_amount": "100.50",
            "installment_ref": f"F-{tag}-{index}-{number}",
            "contract_ref": f"K-{index}",
            "currency": currency,
        }
        for number in range(1, size + 1)
    ]


def junk(rng):
    """A cell from JUNK, or random text: any code point, latin-1 bytes, long."""
    kind = rng.random()
    if kind < 0.75:
        return rng.choice(JUNK)
    if kind < 0.85:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(1, 12)))
    if kind < 0.95:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 12))).decode("latin-1")
    return rng.choice("ab\x00\n\\é😀") * rng.choice((300, 3000, 200_000))


def mutated_batch(rng, tag, currency):
    """(rows, control): valid debts, the others mutated. The first ones
    stay valid with text that is awkward but fine (backslashes, ``\\N``,
    tabs, line breaks, quotes, formulas, unicode) in their names, addresses,
    notes and contracts; ``control`` maps their installment references to
    their contract."""
    rows, control = [], {}
    dropped = {key for key in OPTIONAL_KEYS if rng.random() < 0.15}
    if rng.random() < 0.4:
        dropped.add("installment_number")
    for index in range(rng.randint(10, 30)):
        debt = valid_debt(tag, index, rng.randint(1, 5), currency)
        awkward = rng.choice(AWKWARD)
        for row in debt:
            if index < 3:
                row.update(
                    dict.fromkeys(("partner_name", "street", "city", "contacts", "notes", "contract_ref"), awkward)
                )
                row["partner_ref"] = f"{awkward}:{row['partner_ref']}"
                row["installment_ref"] = f"{awkward}:{row['installment_ref']}"
            for key in dropped:
                row.pop(key, None)
        rows += debt
        if index < 3:
            if "installment_ref" not in dropped:
                control.update((row["installment_ref"], row.get("contract_ref") or False) for row in debt)
            continue
        for row in debt:
            for key in list(row):
                if rng.random() < 0.08:
                    row[key] = junk(rng)
                elif rng.random() < 0.02:
                    del row[key]
            if rng.random() < 0.02:
                row[rng.choice(("unknown", "_row", "_cells", ""))] = junk(rng)
        if rng.random() < 0.05:
            debt.append(dict(rng.choice(debt)))
    for _i in range(rng.randint(0, 2)):
        rows.insert(rng.randrange(len(rows) + 1), rng.choice((None, "row", [1, 2], 5, {})))
    return rows, control


def as_text(value):
    """A cell as a CSV file writes it."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def csv_bytes(rng, rows):
    """The rows as a CSV file, in a random encoding and separator, then
    damaged at random (junk bytes, NULs, lone CRs, an open quote, cut)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=rng.choice(",;\t|"))
    writer.writerow(KEYS)
    for row in rows:
        if isinstance(row, dict):
            writer.writerow([as_text(row.get(key)) for key in KEYS])
    encoding = rng.choice(("utf-8", "utf-8-sig", "cp1252", "utf-16"))
    data = bytearray(text.getvalue().encode(encoding, errors="replace"))
    for _i in range(rng.choice((0, 0, 1, 3, 10))):
        position = rng.randrange(len(data) + 1)
        data[position:position] = rng.choice(
            (bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))), b"\x00", b"\r", b'"', b"\xff\xfe", b"\n\n")
        )
    if rng.random() < 0.1:
        del data[rng.randrange(len(data) + 1) :]
    return bytes(data)


def xlsx_bytes(rng, rows):
    """The rows as a workbook, each cell with the writer of its type, some
    as formulas; at times a damaged archive."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, import_parser.SAFE_WORKBOOK_OPTIONS)
    sheet = workbook.add_worksheet(rng.choice(("Cartera", "Hoja1", "=cmd", "名前")))
    for col, key in enumerate(KEYS):
        sheet.write_string(0, col, key)
    written = 0
    for row in rows:
        if not isinstance(row, dict):
            continue
        written += 1
        for col, key in enumerate(KEYS):
            value = row.get(key)
            if isinstance(value, str):
                # the XML of a workbook cannot hold lone surrogates
                value = value.encode("utf-8", "replace").decode()
            if rng.random() < 0.02:
                sheet.write_formula(written, col, rng.choice(("=1/0", "=A1", "=NOW()", "=SUM(1,2)")))
            elif isinstance(value, (list, dict)):
                sheet.write_string(written, col, str(value))
            elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**300:
                sheet.write_string(written, col, "9" * 50)
            else:
                import_parser.write_cell(sheet, written, col, value)
    workbook.close()
    data = output.getvalue()
    if rng.random() < 0.1:
        data = bytearray(data)
        for _i in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
    return data


@tagged("post_install", "-at_install")
class TestImportRobustness(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.external.currency_id.name
        cls.Portfolio = cls.env["collection.portfolio"].with_user(cls.manager)
        cls.portfolio = cls.external.with_user(cls.manager)

    # ------------------------------------------------------------ helpers
    def _row(self, number, **values):
        """A valid one-installment debt of its own; ``...`` leaves a column out."""
        row = valid_debt("t", number, 1, self.currency)[0]
        row.update(values)
        return {key: value for key, value in row.items() if value is not Ellipsis}

    def _errors(self, rows, **options):
        result = self.Portfolio.import_rows(self.external.id, rows, {"dry_run": True, **options})
        return {error["row"]: error["message"] for error in result["errors"]}

    def assertAnswered(self, result, rows_sent, written):
        """Every row has a status; a rejected one has a message; nothing else
        is said of a row that was not written. The answer goes through
        XML-RPC and JSON."""
        rows = result["rows"]
        self.assertEqual([row["row"] for row in rows], list(range(1, rows_sent + 1)))
        errors = {error["row"]: error["message"] for error in result["errors"]}
        for row in rows:
            if row["status"] == "error":
                self.assertTrue(isinstance(row.get("message"), str) and row["message"].strip(), row)
                self.assertEqual(errors.get(row["row"]), row["message"])
            elif written:
                self.assertIn(row["status"], DONE, row)
                self.assertTrue(row["case_id"], row)
            else:
                self.assertEqual(row["status"], "valid", row)
        self.assertEqual(set(errors), {row["row"] for row in rows if row["status"] == "error"})
        self.assertEqual(result["counts"]["rejected"], len(errors))
        xmlrpc.client.loads(xmlrpc.client.dumps((result,), methodresponse=True))
        json.dumps(result)

    def _rpc_round(self, rng, tag, failures):
        rows, control = mutated_batch(rng, tag, self.currency)
        options = {"mark_missing": rng.random() < 0.2}
        try:
            with self.env.cr.savepoint():
                checked = self.Portfolio.import_rows(self.external.id, rows, dict(options, dry_run=True))
                self.assertAnswered(checked, len(rows), written=False)
                result = self.Portfolio.import_rows(self.external.id, rows, dict(options, mode="valid"))
                self.assertAnswered(result, len(rows), written=True)
                self.assertLessEqual(
                    {error["row"] for error in checked["errors"]}, {error["row"] for error in result["errors"]}
                )
                imported = {
                    row["installment_ref"]: answer
                    for row, answer in zip(rows, result["rows"], strict=True)
                    if isinstance(row, dict)
                    and isinstance(row.get("installment_ref"), str)
                    and row["installment_ref"] in control
                }
                self.assertEqual(set(imported), set(control), "the valid debts are in the batch")
                self.assertTrue(all(answer["status"] in DONE for answer in imported.values()), imported)
                found = self.env["collection.installment"].search(
                    [
                        ("case_id", "in", [answer["case_id"] for answer in imported.values()]),
                        ("external_ref", "in", list(control)),
                    ]
                )
                self.assertEqual({inst.external_ref: inst.contract_ref for inst in found}, control, "stored as sent")
        except Exception as exc:  # noqa: BLE001 - collected, reported with the seed below
            failures.append(("rpc", tag, exc, rows))
        return len(rows)

    def _file_round(self, rng, tag, failures):
        rows, _control = mutated_batch(rng, tag, self.currency)
        xlsx = rng.random() < 0.3
        data = xlsx_bytes(rng, rows) if xlsx else csv_bytes(rng, rows)
        name = "cartera.xlsx" if xlsx else rng.choice(("cartera.csv", "cartera.txt", ""))
        try:
            with self.env.cr.savepoint():
                try:
                    records, headers, _info = self.portfolio._import_read_file(data, name, {key: key for key in KEYS})
                except UserError:
                    return 0  # a file that cannot be read is refused as a whole, with a message
                for options, statuses in (({"dry_run": True}, ("valid",)), ({"mode": "valid"}, DONE)):
                    result = self.portfolio._import_records(records, options)
                    errors = result["errors"]
                    self.assertEqual(set(errors) - {record["_row"] for record in records}, set())
                    self.assertTrue(all(isinstance(m, str) and m.strip() for m in errors.values()))
                    for row in result["rows"]:
                        self.assertIn(row["status"], ("error", *statuses), row)
                        self.assertEqual(row["status"] == "error", row["row"] in errors, row)
                    import_parser.error_workbook(headers, records, errors)
        except Exception as exc:  # noqa: BLE001 - collected, reported with the seed below
            failures.append(("xlsx" if xlsx else "csv", tag, exc, data[:300]))
            return 0
        return len(records)

    # ------------------------------------------------------------ property
    def test_mutated_rows_give_row_errors_only(self):
        rng = random.Random(SEED)
        failures, sent = [], 0
        for batch in range(BATCHES):
            # a debt comes back in a later batch at times: updates, unchanged rows
            tag = rng.randrange(max(batch, 1) + 1)
            sent += self._rpc_round(rng, f"{SEED}.{tag}", failures)
            sent += self._file_round(rng, f"{SEED}.{batch}f", failures)
            if len(failures) >= 5:
                break
        if failures:
            self.fail(
                f"seed {SEED}, {len(failures)} failures:\n"
                + "\n".join(
                    f"[{channel} batch {tag}] {''.join(traceback.format_exception(exc))[-2000:]}"
                    f"    input: {sample!r:.1000}"
                    for channel, tag, exc, sample in failures
                )
            )
        self.assertGreater(sent, 1000 * BATCHES // 12, "thousands of rows went through")

    # ------------------------------------------------------------ crashes found
    def test_unparsed_due_date_when_installments_are_numbered_by_date(self):
        rows = valid_debt("u", 0, 2, self.currency)
        for row in rows:
            del row["installment_number"]
        rows[1]["due_date"] = "31/02/2026"
        self.assertIn("'31/02/2026' is not a date", self._errors(rows)[2])
        result = self.Portfolio.import_rows(self.external.id, rows, {"mode": "valid"})
        self.assertEqual([row["status"] for row in result["rows"]], ["error", "error"])
        self.assertIn("Left out", result["rows"][0]["message"])

    def test_amounts_too_large_or_not_finite(self):
        rows = [
            self._row(1, installment_amount="1" * 27),
            self._row(2, installment_amount=1e30),
            self._row(3, installment_amount=math.nan),
            self._row(4, installment_amount=-math.inf),
            self._row(5, installment_amount="0,001", debt_amount=...),
            self._row(6, installment_amount="1,23457E+21"),
            self._row(7, installment_amount=-5, debt_amount=...),
            self._row(8, installment_amount="9999999999999,99", debt_amount=...),
        ]
        errors = self._errors(rows)
        self.assertIn("too large an amount", errors[1])
        self.assertIn("too large an amount", errors[2])
        self.assertIn("is not an amount", errors[3])
        self.assertIn("is not an amount", errors[4])
        self.assertIn("is zero once rounded", errors[5])
        self.assertIn("is not an amount", errors[6])
        self.assertIn("must be positive", errors[7])
        self.assertNotIn(8, errors, "the largest amount accepted")

    def test_unknown_options_are_refused_with_the_accepted_values(self):
        rows = [self._row(1)]
        cases = self.env["collection.case"].search_count([])
        for options, accepted in (
            ({"date_format": "yyyy"}, "'dmy'"),
            ({"decimal_separator": ";"}, "','"),
            ({"mode": "partial"}, "'valid'"),
            ({"mark_missing": "false"}, "False"),
            ({"dryrun": True}, "dry_run"),
        ):
            with self.assertRefused(UserError, accepted):
                self.Portfolio.import_rows(self.external.id, rows, options)
        with self.assertRefused(UserError, "list of dictionaries"):
            self.Portfolio.import_rows(self.external.id, {"rows": rows})
        with self.assertRefused(UserError, "whole number"):
            self.Portfolio.import_rows([self.external.id], rows)
        self.assertEqual(self.env["collection.case"].search_count([]), cases, "nothing written")
        with self.assertRaises(ValueError):
            import_parser.parse_date("2026-01-01", "yyyy")

    def test_structures_as_values_are_row_errors(self):
        rows = [
            self._row(1, installment_amount=[100]),
            self._row(2, due_date={"date": "2026-01-01"}),
            ["not", "a", "row"],
            self._row(4, email=False, vat=False),
            self._row(5, notes=True),
        ]
        errors = self._errors(rows)
        self.assertIn("Installment amount: list is not a value", errors[1])
        self.assertIn("Due date: dict is not a value", errors[2])
        self.assertIn("not a dictionary", errors[3])
        self.assertNotIn(4, errors, "False is an empty cell")
        self.assertIn("Notes: true is not a value", errors[5])

    def test_csv_cells_over_128_kib_and_lone_carriage_returns(self):
        note = "n" * 200_000
        text = "partner_name;partner_ref;due_date;installment_amount;notes\r"
        text += f"Long Note;LN-1;2026-03-01;10;{note}\r"
        records, _headers, _info = self.portfolio._import_read_file(
            text.encode(), "long.csv", {key: key for key in KEYS}
        )
        self.assertEqual([len(record["notes"]) for record in records], [200_000])
        result = self.portfolio._import_records(records)
        self.assertFalse(result["errors"])
        case = self.env["collection.case"].search([("external_ref", "=", "LN-1")])
        self.assertEqual(len(case.note), len(f"<p>{note}</p>"))

    def test_copy_keeps_backslashes_tabs_and_line_breaks(self):
        texts = {
            "partner_name": "\\N",
            "partner_ref": "\\N",
            "installment_ref": "\\.",
            "contract_ref": "C:\\new\\table\tx",
            "contacts": "line 1\nline 2\r\n\\N",
        }
        rows = [self._row(1, **texts)]
        result = self.Portfolio.import_rows(self.external.id, rows)
        self.assertEqual(result["rows"][0]["status"], "created", result)
        case = self.env["collection.case"].browse(result["rows"][0]["case_id"])
        self.assertEqual(
            (case.partner_id.name, case.external_ref, case.contact_persons), ("\\N", "\\N", texts["contacts"])
        )
        self.assertEqual(
            (case.installment_ids.external_ref, case.installment_ids.contract_ref), ("\\.", texts["contract_ref"])
        )
        again = self.Portfolio.import_rows(self.external.id, rows)
        self.assertEqual(again["rows"][0]["status"], "unchanged", "found again, not duplicated")
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "\\N")]), 1)

    def test_cells_that_cannot_be_stored_are_row_errors(self):
        rng = random.Random(SEED)
        long_name = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _i in range(3000))
        rows = [
            self._row(1, partner_name="Ana\x00 Ruiz"),
            self._row(2, partner_ref="CTRL\x01"),
            self._row(3, partner_name=long_name),
            self._row(4, installment_ref="R" * 129),
            self._row(5, due_date="0001-01-01"),
            self._row(6, due_date="99999-01-01"),
            self._row(7, due_date="0000-01-01"),
            self._row(8, due_date=45000),
            self._row(9, due_date="45000", debt_since=date(1899, 12, 31)),
            self._row(10, installment_amount=True, debt_amount=...),
            self._row(11, installment_number=2**40),
            self._row(12, installment_count="9" * 400),
        ]
        result = self.Portfolio.import_rows(self.external.id, rows, {"mode": "valid"})
        errors = {error["row"]: error["message"] for error in result["errors"]}
        self.assertEqual(set(errors), {2, 3, 4, 5, 6, 7, 9, 10, 11, 12}, errors)
        self.assertIn("control characters", errors[2])
        self.assertIn("3000 characters, more than the 256 accepted", errors[3])
        self.assertIn("129 characters, more than the 128 accepted", errors[4])
        self.assertIn("not a date between 1900 and 2199", errors[5])
        self.assertIn("is not a date", errors[6])
        self.assertIn("is not a date", errors[7])
        self.assertIn("not a date between 1900 and 2199", errors[9])
        self.assertIn("true is not a value", errors[10])
        self.assertIn("between 0 and 999999999", errors[11])
        self.assertIn("between 0 and 999999999", errors[12])
        first = self.env["collection.case"].browse(result["rows"][0]["case_id"])
        self.assertEqual(first.partner_id.name, "Ana Ruiz", "NUL characters are dropped")
        serial = self.env["collection.case"].browse(result["rows"][7]["case_id"])
        self.assertEqual(serial.installment_ids.date_due, date(2023, 3, 15), "an Excel serial date")

    def test_agreement_installments_are_bounded(self):
        case = self._case(self._debtor("Plan Debtor"), self.collector_a, installments=((-30, 900.0),))
        Agreement = self.env["collection.agreement"].with_user(self.collector_a)
        vals = {"case_id": case.id, "replaced_installment_ids": [(6, 0, case.installment_ids.ids)]}
        with self.assertRefused(ValidationError, "at most 600 installments"):
            Agreement.create(dict(vals, installment_count=10**6))
        with self.assertRefused(ValidationError, "after the year 9999"):
            Agreement.create(dict(vals, installment_count=600, first_due_date=date(9990, 1, 1)))
        with self.assertRefused(ValidationError, "after the year 9999"):
            Agreement.create(dict(vals, installment_count=600, frequency="weekly", first_due_date=date(9999, 1, 1)))
        # the simulation shows no schedule for such terms, it does not fail
        form = Form(Agreement.with_context(default_case_id=case.id))
        form.installment_count = 2**31 - 1
        self.assertEqual(len(form.line_ids), 0)
        form.installment_count = 600
        form.first_due_date = date(9999, 12, 1)
        self.assertEqual(len(form.line_ids), 0)
        self.assertEqual(len(schedule.due_dates(date(2026, 1, 31), 600, "monthly")), 600)
        with self.assertRaises(ValueError):
            schedule.due_dates(date(9999, 12, 28), 2, "weekly")

    def test_wizard_checks_and_imports_a_damaged_file(self):
        """The known crash: no installment-number column and a due date that
        does not exist; with NULs, control characters, a 200 KB cell."""
        template = self.env["collection.import.template"].create(
            {
                "name": "Canonical keys",
                "line_ids": [Command.create({"header": key, "column": key}) for key in KEYS],
            }
        )
        lines = [
            "partner_name;partner_ref;due_date;installment_amount;notes;contract_ref",
            "Ana\x00 Ruiz;W-1;2026-03-01;10;fine;K",
            "Ana\x00 Ruiz;W-1;31/02/2026;10;\x01bell;K",
            f"Bo Diaz;W-2;2026-03-01;1e400;{'n' * 200_000};K",
            "Cy Ito;W-3;2026-04-01;12,50;\\N;\\N",
        ]
        form = Form(
            self.env["collection.import"]
            .with_user(self.manager)
            .with_context(
                active_model="collection.portfolio", active_id=self.external.id, default_file_name="damaged.csv"
            )
        )
        form.file = base64.b64encode("\n".join(lines).encode("cp1252", "replace"))
        form.template_id = template
        form.mode = "valid"
        wizard = form.save()
        wizard.action_read()
        wizard.action_check()
        self.assertIn("2 rows have errors", wizard.check_result)
        self.assertIn("31/02/2026", wizard.preview)
        job = self.env["collection.import.job"].browse(wizard.action_import()["res_id"])
        self.assertEqual(
            (job.state, job.error_count, job.cases_created), ("done", 3, 1), job.message
        )  # row 2 left out with row 3
        self.assertTrue(job.error_file, "the rejected rows in the error file")
        case = self.env["collection.case"].search([("external_ref", "=", "W-3")])
        self.assertEqual((case.partner_id.name, case.installment_ids.contract_ref), ("Cy Ito", "\\N"))

    def test_damaged_files_are_refused_with_a_message(self):
        mapping = {key: key for key in KEYS}
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as workbook:
            workbook.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='x' r:id='1'/></sheets></workbook>")
        for data, name in (
            (b"PK\x03\x04" + bytes(range(256)) * 4, "cartera.xlsx"),
            (archive.getvalue(), "cartera.xlsx"),
            (b"", "cartera.csv"),
        ):
            with self.assertRaises(UserError):
                self.portfolio._import_read_file(data, name, mapping)
        records, _headers, _info = self.portfolio._import_read_file(b"partner_name\n\x00\x00\n", "nul.csv", mapping)
        self.assertEqual(records, [], "NUL characters are no content")
