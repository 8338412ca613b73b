import csv
import io
import time
from datetime import date

from odoo.tests import TransactionCase
from odoo.tests import tagged

from ..tools import national_id
from .common import CollectionCommon

# (country, number as written, compact form stored, format that validates it)
VALID = [
    ("EC", "1714307103", "1714307103", "CI"),
    ("EC", "171430710-3", "1714307103", "CI"),
    ("EC", "0102030400", "0102030400", "CI"),
    ("EC", "1714307103001", "1714307103001", "RUC"),  # a person's RUC
    ("EC", "1792060346-001", "1792060346001", "RUC"),  # a company
    ("EC", "1760001550001", "1760001550001", "RUC"),  # a public body
    ("EC", "EC1792060346001", "1792060346001", "RUC"),  # country prefix
    ("CO", "213.123.432-1", "2131234321", "NIT"),  # a person's NIT (cédula and check digit)
    ("CO", "900123455", "900123455", "NIT"),
    ("CO", "79.845.123", "79845123", "CC"),  # a cédula, no check digit
    ("CO", "1.020.345.678", "1020345678", "CC"),  # a 10-digit cédula (since 2004)
    ("CO", "456789", "456789", "CC"),  # cédula de extranjería
    # personal numbers python-stdnum lacks (only a RIF, RUT, RUC or NIT there)
    ("VE", "V-12.345.678", "12345678", "CI"),  # V is the default: one debtor with or without it
    ("VE", "12345678", "12345678", "CI"),
    ("VE", "E-81234567", "E81234567", "CI"),
    ("UY", "1.234.567-2", "12345672", "CI"),  # check digit: weights 2 9 8 7 6 3 4
    ("PY", "4.123.456", "4123456", "CI"),
    ("GT", "2534 56789 0101", "2534567890101", "CUI"),
    ("SV", "02345678-9", "023456789", "DUI"),
    ("PE", "10117410", "10117410", "CUI"),  # DNI
    ("PE", "10117410-2", "101174102", "CUI"),
    ("PE", "20512333797", "20512333797", "RUC"),
    ("PE", "10101174102", "10101174102", "RUC"),
    ("MX", "BOXW310820HNERXN09", "BOXW310820HNERXN09", "CURP"),
    ("MX", "GODE 561231 GR8", "GODE561231GR8", "RFC"),  # a person
    ("MX", "MAB-930714-8T4", "MAB9307148T4", "RFC"),  # a company
    ("BR", "390.533.447-05", "39053344705", "CPF"),
    ("BR", "16.727.230/0001-97", "16727230000197", "CNPJ"),
    ("AR", "20.123.456", "20123456", "DNI"),
    ("AR", "20-05536168-2", "20055361682", "CUIT"),
    ("AR", "30500010912", "30500010912", "CUIT"),
    ("CL", "12.531.909-2", "125319092", "RUT"),  # a person's RUN
    ("CL", "76086428-5", "760864285", "RUT"),
    ("ES", "54362315-K", "54362315K", "DNI"),
    ("ES", "X2482300W", "X2482300W", "NIE"),
    ("ES", "B58378431", "B58378431", "CIF"),
    ("ES", "ES54362315K", "54362315K", "NIF"),
    ("BG", "7523169263", "7523169263", "VAT"),  # EGN, also a VAT number
    ("BG", "175074752", "175074752", "VAT"),  # BULSTAT
    ("BG", "BG175074752", "175074752", "VAT"),
    ("US", "536-90-4399", "536904399", "SSN"),
    ("US", "04-2103594", "042103594", "EIN"),
    ("US", "900-70-0000", "900700000", "ITIN"),
]
# (country, number, formats named in the error)
INVALID = [
    ("EC", "1714307104", ("RUC", "CI")),
    ("EC", "17143071", ("RUC", "CI")),
    ("EC", "1763154690001", ("RUC", "CI")),
    ("CO", "2131234325", ("NIT", "CC")),
    ("CO", "900123456", ("NIT", "CC")),
    ("CO", "0079845123", ("NIT", "CC")),
    ("CO", "12", ("NIT", "CC")),
    ("UY", "1.234.567-3", ("RUT", "CI")),
    ("VE", "X-12345678", ("RIF", "CI")),
    ("GT", "2534 56789 0001", ("NIT", "CUI")),
    ("SV", "00000000-0", ("NIT", "DUI")),
    ("PE", "10117410-3", ("RUC", "CUI")),
    ("PE", "20512333798", ("RUC", "CUI")),
    ("MX", "ABC", ("RFC", "CURP")),
    ("BR", "390.533.447-06", ("CNPJ", "CPF")),
    ("BR", "16.727.230/0001-98", ("CNPJ", "CPF")),
    ("AR", "20267565392", ("CUIT", "DNI")),
    ("CL", "12531909-3", ("RUT",)),
    ("ES", "54362315Z", ("CIF", "DNI", "NIE", "NIF")),
    ("BG", "7523169264", ("VAT", "EGN", "PNF")),
    ("US", "000-00-0000", ("EIN", "ITIN", "PTIN", "SSN")),
    ("US", "123", ("EIN", "ITIN", "PTIN", "SSN")),
]


@tagged("post_install", "-at_install")
class TestNationalId(TransactionCase):
    def test_valid_personal_and_company_numbers(self):
        for country, number, compact, label in VALID:
            with self.subTest(country=country, number=number):
                value, id_format, tried = national_id.check(number, country)
                self.assertEqual(value, compact)
                self.assertEqual(id_format.label, label)
                self.assertEqual(tried, ())

    def test_invalid_numbers_name_the_formats_tried(self):
        for country, number, formats in INVALID:
            with self.subTest(country=country, number=number):
                self.assertEqual(national_id.check(number, country), (number, None, formats))

    def test_unknown_country_keeps_the_number(self):
        for country in ("", None, "XK", "AQ", "EU", "ecu"):
            with self.subTest(country=country):
                self.assertEqual(national_id.check("12-34 X", country), ("12-34 X", None, ()))
        self.assertEqual(national_id.check("", "EC"), ("", None, ()))

    def test_formats_are_the_countrys_identity_modules(self):
        self.assertEqual(national_id.format_labels("ec"), ("RUC", "CI"))
        self.assertEqual(national_id.format_labels("ES"), ("CIF", "DNI", "NIE", "NIF"))
        self.assertEqual(national_id.format_labels("BR"), ("CNPJ", "CPF"))
        self.assertEqual(national_id.format_labels("BG"), ("VAT", "EGN", "PNF"))
        # discovered in stdnum, Python keywords included (stdnum.in_, stdnum.is_)
        self.assertIn("Aadhaar", national_id.format_labels("IN"))
        self.assertIn("Kennitala", national_id.format_labels("IS"))
        # bank accounts, postal codes and payment references are no identity
        names = {f.name for cc in ("AR", "ES", "NL", "NO", "US", "CH", "GB") for f in national_id.identity_formats(cc)}
        self.assertFalse(names & {"cbu", "iban", "ccc", "postcode", "kontonr", "rtn", "esr", "sedol", "atin"})
        self.assertIs(national_id.identity_formats("EC"), national_id.identity_formats("EC"), "cached per country")

    def test_leading_zero_lost_by_a_spreadsheet(self):
        value, id_format, _tried = national_id.check("102030400", "EC")
        self.assertEqual((value, id_format.label), ("0102030400", "CI"))
        value, id_format, _tried = national_id.check("1234567890", "BR")
        self.assertEqual((value, id_format.label), ("01234567890", "CPF"))

    def test_per_id_cost(self):
        """The import checks up to 100 000 debtors: a few tens of
        microseconds each, valid or not."""
        numbers = [number for country, number, _c, _l in VALID if country == "EC"] + ["1714307104", "17143071"]
        national_id.check(numbers[0], "EC")  # modules imported once
        rounds = 2000
        start = time.perf_counter()
        for _round in range(rounds):
            for number in numbers:
                national_id.check(number, "EC")
        per_id = (time.perf_counter() - start) / (rounds * len(numbers))
        self.assertLess(per_id, 0.0005, f"{per_id * 1e6:.1f} µs per ID")


@tagged("post_install", "-at_install")
class TestNationalIdImport(CollectionCommon):
    """An Ecuadorian bank's portfolio: Spanish headers, day-first dates,
    decimal commas, cédulas and RUCs in one RUC/CI column."""

    HEADERS = [
        "RUC/CI",
        "NOMBRES",
        "NRO OPERACION",
        "CUOTA NRO",
        "FECHA VENCIMIENTO",
        "VALOR CUOTA",
        "SALDO TOTAL",
        "TELÉFONO",
        "CIUDAD",
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ecuador = cls.env.ref("base.ec")
        cls.company.country_id = cls.ecuador

    def _debtor(self, vat, name, operation, installments):
        total = sum(amount for _due, amount in installments)
        return [
            [vat, name, operation, number, due, self._amount(amount), self._amount(total), "0991234567", "Quito"]
            for number, (due, amount) in enumerate(installments, start=1)
        ]

    @staticmethod
    def _amount(value):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")

    def _csv(self, rows):
        text = io.StringIO()
        writer = csv.writer(text, delimiter=";")
        writer.writerow(self.HEADERS)
        writer.writerows(rows)
        return text.getvalue().encode("utf-8")

    def test_ecuador_file_with_cedulas_and_rucs(self):
        rows = (
            self._debtor("1714307103", "María Quishpe", "OP-100", [("31/01/2026", 1250.5), ("28/02/2026", 1250.5)])
            + self._debtor("0102030400", "Luis Andrade", "OP-101", [("15/03/2026", 85.75)])
            + self._debtor("102030405", "Sin Cero", "OP-102", [("15/03/2026", 10.0)])  # no valid CI, even with 0
            + self._debtor("1792060346001", "Comercial Andina S.A.", "OP-200", [("20/01/2026", 3400.0)])
            + self._debtor("1714307103001", "María Quishpe (RUC)", "OP-201", [("20/02/2026", 40.0)])
            + self._debtor("1714307104", "Dígito Malo", "OP-300", [("10/01/2026", 10.0)])
            + self._debtor("17143071", "Muy Corto", "OP-301", [("10/01/2026", 10.0)])
            + self._debtor("1792060346-001", "Comercial Andina S.A.", "OP-202", [("20/04/2026", 100.0)])
        )
        records, _headers, info = self.external._import_read_file(self._csv(rows), "cartera_ec.csv")
        self.assertEqual(
            [info["column_map"].get(index) for index in range(len(self.HEADERS))],
            [
                "vat",
                "partner_name",
                "contract_ref",
                "installment_number",
                "due_date",
                "installment_amount",
                "debt_amount",
                "phone1",
                "city",
            ],
        )
        result = self.external._import_records(records, {"mode": "valid"})
        self.assertEqual(
            result["errors"],
            {
                5: "Tax ID '102030405' is not valid for Ecuador. Formats tried: RUC, CI.",
                8: "Tax ID '1714307104' is not valid for Ecuador. Formats tried: RUC, CI.",
                9: "Tax ID '17143071' is not valid for Ecuador. Formats tried: RUC, CI.",
            },
        )
        cases = self.env["collection.case"].search([("portfolio_id", "=", self.external.id)])
        by_vat = {case.partner_id.vat: case for case in cases}
        self.assertEqual(set(by_vat), {"1714307103", "0102030400", "1792060346001", "1714307103001"})
        maria = by_vat["1714307103"]
        self.assertEqual(maria.amount_total, 2501.0, "1.250,50 read with a decimal comma")
        self.assertEqual(
            maria.installment_ids.sorted("sequence").mapped("date_due"), [date(2026, 1, 31), date(2026, 2, 28)]
        )
        self.assertEqual(maria.partner_id.mobile, "+593991234567")
        andina = by_vat["1792060346001"]
        self.assertEqual(
            sorted(andina.installment_ids.mapped("contract_ref")),
            ["OP-200", "OP-202"],
            "the RUC written with a dash is the same debtor",
        )
        self.assertEqual(
            self.env["res.partner"].search_count([("vat", "=", "1792060346001")]), 1, "one partner per RUC"
        )

    def test_check_vat_through_the_model(self):
        Portfolio = self.env["collection.portfolio"]
        peru, spain = self.env.ref("base.pe"), self.env.ref("base.es")
        self.assertEqual(Portfolio._import_check_vat("10117410", peru), ("10117410", None))
        self.assertEqual(Portfolio._import_check_vat("ES X2482300W", spain), ("X2482300W", None))
        self.assertEqual(
            Portfolio._import_check_vat("54362315Z", spain),
            ("54362315Z", "Tax ID '54362315Z' is not valid for Spain. Formats tried: CIF, DNI, NIE, NIF."),
        )
        self.assertEqual(Portfolio._import_check_vat("A-123", self.env.ref("base.aq")), ("A-123", None))
