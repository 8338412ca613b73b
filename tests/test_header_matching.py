from odoo.tests import TransactionCase
from odoo.tests import tagged

from ..tools import import_parser

# headers as creditors write them, and the column each is read into
HEADERS = [
    # Ecuador, Colombia, Peru, Mexico...
    ("RUC/CI", "vat"),
    ("Cédula/NIT", "vat"),
    ("Cédula o RUC", "vat"),
    ("Nro. Identificación", "vat"),
    ("DNI/NIE", "vat"),
    ("NOMBRES", "partner_name"),
    ("Nombres y Apellidos", "partner_name"),
    ("Nombre / Razón social", "partner_name"),
    ("Código cliente", "partner_ref"),
    ("Dirección", "street"),
    ("Cantón", "city"),
    ("Provincia", "state"),
    ("Código Postal", "zip"),
    ("País", "country"),
    ("TELÉFONO", "phone1"),
    ("Teléfono 2", "phone2"),
    ("Celular 3", "phone3"),
    ("Correo electrónico", "email"),
    ("Persona de contacto", "contacts"),
    ("Observaciones", "notes"),
    ("SALDO TOTAL", "debt_amount"),
    ("Fecha de mora", "debt_since"),
    ("N° de cuotas", "installment_count"),
    ("CUOTA NRO", "installment_number"),
    ("NRO CUOTA", "installment_number"),
    ("N° de cuota", "installment_number"),
    ("Nº cuota", "installment_number"),
    ("# Cuota", "installment_number"),
    ("No. Dividendo", "installment_number"),
    ("Fecha vencimiento", "due_date"),
    ("Fecha de Vencimiento", "due_date"),
    ("Vencimiento", "due_date"),
    ("F. Vcto.", "due_date"),
    ("VALOR CUOTA", "installment_amount"),
    ("Cuota - Valor", "installment_amount"),
    ("Nro. Factura", "installment_ref"),
    ("NRO OPERACION", "contract_ref"),
    ("Num. Operación", "contract_ref"),
    ("Número de préstamo", "contract_ref"),
    ("Moneda", "currency"),
    # Brazil, Portugal
    ("CPF/CNPJ", "vat"),
    ("Nome do devedor", "partner_name"),
    ("Endereço", "street"),
    ("CEP", "zip"),
    ("Valor da dívida", "debt_amount"),
    ("Quantidade de parcelas", "installment_count"),
    ("Nº parcela", "installment_number"),
    ("Data de vencimento", "due_date"),
    ("Valor da parcela", "installment_amount"),
    ("Número do contrato", "contract_ref"),
    # France
    ("Nom du débiteur", "partner_name"),
    ("SIREN", "vat"),
    ("Code postal", "zip"),
    ("Courriel", "email"),
    ("Montant dû", "debt_amount"),
    ("Nombre d'échéances", "installment_count"),
    ("N° échéance", "installment_number"),
    ("Date d'échéance", "due_date"),
    ("Montant échéance", "installment_amount"),
    ("N° de facture", "installment_ref"),
    ("Devise", "currency"),
    # Bulgaria
    ("ЕГН/ЕИК", "vat"),
    ("Име на длъжника", "partner_name"),
    ("Адрес", "street"),
    ("Град", "city"),
    ("Пощенски код", "zip"),
    ("Телефон", "phone1"),
    ("Е-мейл", "email"),
    ("Дълг", "debt_amount"),
    ("Брой вноски", "installment_count"),
    ("№ на вноска", "installment_number"),
    ("Дата на падеж", "due_date"),
    ("Сума на вноска", "installment_amount"),
    ("Номер на договор", "contract_ref"),
    ("Валута", "currency"),
    # English
    ("SSN / EIN", "vat"),
    ("Customer No.", "partner_ref"),
    ("Address line 1", "street"),
    ("ZIP code", "zip"),
    ("Phone1", "phone1"),
    ("E-mail address", "email"),
    ("Amount owed", "debt_amount"),
    ("Delinquent since", "debt_since"),
    ("Number of instalments", "installment_count"),
    ("Installment #", "installment_number"),
    ("Due_Date", "due_date"),
    ("Amount due", "installment_amount"),
    ("Invoice #", "installment_ref"),
    ("Loan number", "contract_ref"),
    ("currency.code", "currency"),
]
# headers that are no column of ours, or could be two
UNKNOWN = [
    "Tipo identificación",
    "Días mora",
    "Saldo capital",
    "Agencia",
    "Nro",
    "Referencia",
    "Cuota / Saldo",
    "",
    "123",
    "---",
]


@tagged("post_install", "-at_install")
class TestHeaderMatching(TransactionCase):
    def test_real_headers(self):
        self.assertGreaterEqual(len(HEADERS), 40)
        for header, key in HEADERS:
            with self.subTest(header=header):
                self.assertEqual(import_parser.match_headers([header]), {0: key})

    def test_unknown_headers_stay_unmapped(self):
        for header in UNKNOWN:
            with self.subTest(header=header):
                self.assertEqual(import_parser.match_headers([header]), {})

    def test_words_not_spelling(self):
        tokens = import_parser.header_tokens
        self.assertEqual(tokens("CUOTA NRO"), tokens("Número de cuota"))
        self.assertEqual(tokens("cuota_nro."), tokens("N° Cuota"))
        self.assertEqual(tokens("Fecha-Vencimiento"), tokens("fecha de vencimiento"))
        self.assertNotEqual(tokens("Nro cuotas"), tokens("Nro cuota"), "the count is not the number")

    def test_column_keys_name_their_columns(self):
        """A file written with the column keys (an integrator's export, the
        rows of the API) is read without a template."""
        keys = sorted(import_parser.COLUMNS)
        self.assertEqual(import_parser.match_headers(keys), dict(enumerate(keys)))
        self.assertEqual(import_parser.match_headers(["PARTNER-NAME", "Due Date"]), {0: "partner_name", 1: "due_date"})

    def test_every_built_in_name_is_recognised_as_its_column(self):
        self.assertFalse(import_parser._AMBIGUOUS_TOKENS, "no two columns share a name")
        for key, names in import_parser.COLUMNS.items():
            for name in names:
                with self.subTest(name=name):
                    self.assertEqual(import_parser.match_headers([name]), {0: key})

    def test_saved_template_wins(self):
        headers = ["Valor", "Monto cuota", "Cliente"]
        self.assertEqual(
            import_parser.match_headers(headers),
            {0: "installment_amount", 2: "partner_name"},
            "a recognised name taken by an earlier column leaves the later one unmapped",
        )
        saved = {"monto cuota": "installment_amount", "VALOR": "debt_amount", "Cliente": "partner_ref"}
        self.assertEqual(
            import_parser.match_headers(headers, saved),
            {0: "debt_amount", 1: "installment_amount", 2: "partner_ref"},
        )
        # the template names words, in any spelling and order
        self.assertEqual(import_parser.match_headers(["SOCIO NRO"]), {})
        self.assertEqual(
            import_parser.match_headers(["SOCIO NRO", "Nombre"], {"Nro. Socio": "partner_ref"}),
            {0: "partner_ref", 1: "partner_name"},
        )

    def test_two_columns_never_read_into_one_field(self):
        # the surest claim wins, whatever the order; the other column is left out
        self.assertEqual(import_parser.match_headers(["RUC/CI", "RUC"]), {1: "vat"})
        self.assertEqual(import_parser.match_headers(["Fecha vencimiento", "Vencimiento"]), {0: "due_date"})
        self.assertEqual(import_parser.match_headers(["Monto", "Monto"]), {0: "installment_amount"})
        # more phone columns than phone 1 fill phone 2 and 3
        self.assertEqual(
            import_parser.match_headers(["Teléfono", "Teléfono 2", "Celular", "Teléfono trabajo"]),
            {0: "phone1", 1: "phone2", 2: "phone3"},
        )

    def test_split_workbook_recognises_spanish_sheets(self):
        sheets = {
            "Deudores": [["RUC/CI", "Nombres", "Teléfono"], ["1714307103", "María", "0991234567"]],
            "Cuotas": [["RUC/CI", "CUOTA NRO", "Fecha Vcto.", "Valor Cuota"], ["1714307103", 1, "31/01/2026", "10,5"]],
        }
        (headers, rows), debtors = import_parser.split_workbook(sheets)
        self.assertEqual(headers[1], "CUOTA NRO")
        self.assertEqual(debtors[0], ["RUC/CI", "Nombres", "Teléfono"])
