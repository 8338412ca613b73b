"""A large file is written by chunks of debtors: the chunks write exactly
what one pass would, an all-or-nothing import with a wrong row in its last
chunk writes nothing, and a file's repeated cells are held once."""

import contextlib
import json
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models import collection_portfolio_import
from ..models.collection_portfolio_import import stage_lines
from ..tools import import_parser
from ..tools.job_slice import chunks_by
from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestImportChunks(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.external.currency_id = cls.company.currency_id

    def _rows(self, debtors=7, amount=100.0):
        """Three installments per debtor; the first debtor's last installment
        comes at the end of the file, after every other debtor's rows."""
        rows, tail = [], []
        for d in range(debtors):
            for number in (1, 2, 3):
                row = {
                    "partner_name": f"Debtor {d}",
                    "partner_ref": f"CH-{d:03d}",
                    "country": "CO",
                    "debt_amount": 3 * amount,
                    "installment_count": 3,
                    "installment_number": number,
                    "due_date": f"2026-0{number}-15",
                    "installment_amount": amount,
                    "installment_ref": f"CH-{d:03d}-{number}",
                    "contract_ref": f"LN-{d:03d}",
                }
                (tail if d == 0 and number == 3 else rows).append(row)
        return [dict(row, _row=index) for index, row in enumerate(rows + tail, start=2)]

    def _import(self, records, **options):
        # chunks of two debtors: seven debtors are written in four chunks
        with patch.object(collection_portfolio_import, "WRITE_CHUNK_DEBTORS", 2):
            return self.external._import_records(records, options)

    def _cases(self):
        return self.env["collection.case"].search([("portfolio_id", "=", self.external.id)])

    def test_chunks_write_what_one_pass_writes(self):
        result = self._import(self._rows())
        self.assertTrue(result["imported"])
        counts = result["counts"]
        self.assertEqual(
            (counts["partners_created"], counts["cases_created"], counts["cases_updated"]),
            (7, 7, 0),
        )
        self.assertEqual(counts["installments_created"], 21)
        cases = self._cases()
        self.assertEqual(len(cases), 7)
        self.assertEqual(len(cases.partner_id), 7)
        for case in cases:
            self.assertEqual(len(case.installment_ids), 3, case.partner_id.name)
            self.assertAlmostEqual(case.amount_total, 300.0)
        # the debtor whose rows were split across the file has one case, all its installments
        first = cases.filtered(lambda c: c.external_ref == "CH-000")
        self.assertEqual(
            first.installment_ids.sorted("sequence").mapped("name"), ["LN-000 1/3", "LN-000 2/3", "LN-000 3/3"]
        )
        self.assertEqual({row["status"] for row in result["rows"]}, {"created"})
        self.assertEqual({row["case_id"] for row in result["rows"]}, set(cases.ids))
        # one import event for the whole file, not one per chunk
        events = self.env["collection.event"].sudo().search([("event_type", "=", "import")])
        self.assertEqual(len(events), 1)
        self.assertEqual(events.payload["installments_created"], 21)

        # the same file again: nothing changes
        again = self._import(self._rows())
        self.assertEqual(
            (again["counts"]["installments_unchanged"], again["counts"]["cases_created"]),
            (21, 0),
        )
        self.assertEqual(again["counts"]["cases_updated"], 0)

        # one amount changed in the last chunk: one installment and its case updated
        rows = self._rows()
        changed = next(row for row in rows if row["partner_ref"] == "CH-006" and row["installment_number"] == 2)
        changed["installment_amount"] = 150.0
        for row in rows:
            if row["partner_ref"] == "CH-006":
                row["debt_amount"] = 350.0
        third = self._import(rows)
        self.assertEqual(
            (third["counts"]["installments_updated"], third["counts"]["cases_updated"]),
            (1, 1),
        )
        self.assertAlmostEqual(cases.filtered(lambda c: c.external_ref == "CH-006").amount_total, 350.0)

    def test_all_or_nothing_writes_nothing_when_the_last_chunk_is_wrong(self):
        rows = self._rows()
        rows[-2]["due_date"] = "31/02/2026"
        partners = self.env["res.partner"].search_count([])
        result = self._import(rows)
        self.assertFalse(result["imported"])
        self.assertEqual(list(result["errors"]), [rows[-2]["_row"]])
        self.assertFalse(self._cases())
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        statuses = [row["status"] for row in result["rows"]]
        self.assertEqual(statuses.count("error"), 1)
        self.assertEqual(statuses.count("valid"), 20)
        # importing the valid rows writes every other debt, chunk by chunk
        result = self._import(rows, mode="valid")
        self.assertTrue(result["imported"])
        # the wrong row is the last debtor's (in the last chunk): its debt is left out
        self.assertEqual(result["counts"]["cases_created"], 6)
        self.assertEqual(len(self._cases()), 6)
        self.assertNotIn("CH-006", self._cases().mapped("external_ref"))

    def _rich_rows(self):
        """Two debtors with every column a debtor can have: one known by its
        tax ID (a third row gives only its reference, and joins it), one by
        the creditor's reference in a country with states."""
        debtor = {
            "partner_name": "Jan Peeters",
            "vat": "BE0477472701",
            "partner_ref": "BE-7",
            "country": "Belgium",
            "street": "Rue Haute 12",
            "city": "Bruxelles",
            "zip": "1000",
            "phone1": "0470 12 34 56",
            "email": "Jan.Peeters@Example.com",
            "latitude": "50.8503",
            "longitude": "4.3517",
            "contacts": "Marie (sister)",
            "notes": "Prefers mornings",
            "contract_ref": "LN-7",
            "debt_since": "2025-11-30",
            "debt_amount": "301.50",
            "installment_count": "3",
        }
        rows = [
            dict(debtor, installment_number="1", due_date="2026-01-15", installment_amount="100.50"),
            dict(debtor, installment_number="2", due_date="15/02/2026", installment_amount="100,50"),
            {
                "partner_name": "Jan Peeters",
                "partner_ref": "BE-7",
                "contract_ref": "LN-7",
                "installment_number": "3",
                "due_date": "2026-03-15",
                "installment_amount": "100.50",
            },
            {
                "partner_name": "Ann Lee",
                "partner_ref": "US-1",
                "country": "US",
                "state": "California",
                "phone1": "+1 650 253 0000",
                "installment_ref": "US-1-1",
                "due_date": "2026-04-01",
                "installment_amount": "75",
            },
        ]
        return [dict(row, _row=index) for index, row in enumerate(rows, start=2)]

    def _written(self):
        """What the import wrote, comparable across two imports."""
        return sorted(
            (
                case.external_ref,
                case.partner_id.name,
                case.partner_id.vat,
                case.partner_id.country_id.code,
                case.partner_id.state_id.code,
                case.partner_id.street,
                case.partner_id.city,
                case.partner_id.zip,
                case.partner_id.email,
                case.partner_id.phone,
                case.partner_id.mobile,
                case.partner_id.partner_latitude,
                case.partner_id.partner_longitude,
                case.contact_persons,
                str(case.date_debt_since),
                case.amount_total,
                tuple(
                    (inst.name, inst.sequence, str(inst.date_due), inst.amount, inst.external_ref, inst.contract_ref)
                    for inst in case.installment_ids.sorted("sequence")
                ),
            )
            for case in self._cases()
        )

    def test_staged_lines_write_what_the_direct_import_writes(self):
        """A queued import stages the checked lines of each part (JSON, in
        the database) and writes them later without checking the rows
        again: every value comes back as the check made it — tuples, dates,
        exact amounts, coordinates, phones, the row that joined its debtor by
        reference."""

        class Undo(Exception):
            pass

        # the direct import, then undone (rolled back to the savepoint)
        with contextlib.suppress(Undo), self.env.cr.savepoint():
            result = self.external._import_records(self._rich_rows(), {})
            self.assertTrue(result["imported"], result["errors"])
            self.env.flush_all()
            direct = self._written()
            raise Undo
        self.env.invalidate_all()
        self.assertFalse(self._cases(), "the direct import was undone")
        self.assertEqual(len(direct), 2)
        jan = next(row for row in direct if row[0] == "BE-7")
        self.assertEqual(jan[2:4], ("0477472701", "BE"), "the tax ID as the check compacted it")
        self.assertEqual(len(jan[-1]), 3, "the reference-only row joined the debtor known by its tax ID")
        self.assertEqual(jan[10], "+32470123456")

        parts = []

        def stage(good, records, lines):
            for part in chunks_by(good, lambda line: line["debtor_key"], 1):
                payload = json.dumps(stage_lines(part), default=import_parser.record_json_default)
                parts.append(json.loads(payload, object_hook=import_parser.record_json_hook))

        result = self.external._import_records(self._rich_rows(), {"stage": stage})
        self.assertTrue(result["imported"])
        self.assertEqual(len(parts), 2, "one part per debtor")
        self.assertFalse(self._cases(), "staging writes nothing")
        created = []
        for part in parts:
            counts, case_ids, new, _updated = self.external._import_write_staged(part, {}, {})
            self.assertEqual(counts["cases_created"], 1)
            created += new
        self.env.flush_all()
        self.assertEqual(sorted(created), sorted(self._cases().ids))
        self.assertEqual(self._written(), direct)
        # a portfolio closed once the file was checked takes no further part
        self.external.state = "closed"
        with self.assertRaisesRegex(UserError, "is closed"):
            self.external._import_write_staged(parts[0], {}, {})

    def test_part_staged_as_cells_is_checked_and_written(self):
        """A part staged as the file's cells (a job queued before parts held
        checked lines) is checked again, then written."""
        records = [row for row in self._rows(debtors=2) if row["partner_ref"] == "CH-001"]
        lookups = self.external._import_lookups()
        lookups["min_amount"] = 0.005
        opts = {"decimal_separator": "auto", "date_format": "auto", "mode": "all"}
        counts, case_ids, created, _updated = self.external._import_write_staged(records, opts, lookups)
        self.assertEqual((counts["cases_created"], counts["installments_created"]), (1, 3))
        self.assertEqual(created, case_ids)
        self.assertEqual(self._cases().external_ref, "CH-001")

    def test_repeated_cells_are_held_once(self):
        data = "partner_name;partner_ref;due_date;installment_amount\n"
        data += "Ana Pérez;R-1;2026-01-10;10\nAna Pérez;R-1;2026-02-10;10\n"
        records, _headers, _info = self.external._import_read_file(data.encode(), "cartera.csv")
        self.assertEqual([record["_row"] for record in records], [2, 3])
        self.assertIs(records[0]["partner_name"], records[1]["partner_name"])
        self.assertEqual(records[1]["_cells"], ["Ana Pérez", "R-1", "2026-02-10", "10"])
        # equal but of another type: kept as it is (a workbook's 1 under a TRUE)
        rows = import_parser.share_repeated_cells([[True, 1.0], [1, 1.0]])
        self.assertIs(type(rows[1][0]), int)
        self.assertIs(rows[1][1], rows[0][1])
