"""Reading creditor files: XLSX / CSV into rows, header matching, and the
value parsers (amounts with decimal comma or point, the common date formats).

Pure functions, no database access: the import engine on
``collection.portfolio`` calls them, and they are tested on their own.
"""

import csv
import io
import logging
import re
import unicodedata
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation

# Canonical columns of a creditor file, with the header names recognised in
# English and Spanish (compared without accents, case, spaces or punctuation).
COLUMNS = {
    # debtor
    "partner_name": (
        "name",
        "full name",
        "debtor",
        "debtor name",
        "customer",
        "customer name",
        "client",
        "nombre",
        "nombre completo",
        "nombres",
        "deudor",
        "nombre deudor",
        "cliente",
        "razon social",
        "titular",
    ),
    "vat": (
        "tax id",
        "taxid",
        "vat",
        "vat number",
        "nit",
        "ruc",
        "ci",
        "cedula",
        "dni",
        "rfc",
        "nif",
        "cuit",
        "rut",
        "identification",
        "id number",
        "documento",
        "numero documento",
        "identificacion",
        "eik",
        "egn",
    ),
    "partner_ref": (
        "customer ref",
        "customer reference",
        "client id",
        "customer id",
        "debtor id",
        "debtor ref",
        "external reference",
        "external ref",
        "creditor reference",
        "codigo cliente",
        "id cliente",
        "referencia cliente",
        "cod cliente",
        "referencia externa",
        "codigo deudor",
    ),
    "street": ("address", "street", "direccion", "calle", "domicilio"),
    "city": ("city", "town", "ciudad", "municipio", "localidad"),
    "state": ("state", "province", "region", "county", "departamento", "provincia", "estado"),
    "zip": ("zip", "zip code", "postal code", "postcode", "codigo postal", "cp"),
    "country": ("country", "country code", "pais", "codigo pais"),
    "phone1": (
        "phone",
        "phone 1",
        "phone1",
        "telephone",
        "mobile",
        "cell",
        "telefono",
        "telefono 1",
        "celular",
        "movil",
    ),
    "phone2": ("phone 2", "phone2", "telephone 2", "telefono 2", "celular 2", "movil 2"),
    "phone3": ("phone 3", "phone3", "telephone 3", "telefono 3", "celular 3", "movil 3"),
    "email": ("email", "e-mail", "mail", "correo", "correo electronico"),
    "contacts": (
        "contact",
        "contacts",
        "contact person",
        "contact persons",
        "contacto",
        "contactos",
        "persona de contacto",
        "referencias personales",
    ),
    "notes": ("notes", "note", "comments", "remarks", "notas", "observaciones", "comentarios"),
    # debt
    "debt_amount": (
        "amount owed",
        "debt",
        "debt amount",
        "total debt",
        "balance",
        "total",
        "monto adeudado",
        "deuda",
        "monto deuda",
        "saldo",
        "deuda total",
        "saldo total",
    ),
    "debt_since": (
        "debt since",
        "since",
        "origination date",
        "default date",
        "fecha deuda",
        "deuda desde",
        "fecha mora",
        "fecha de origen",
    ),
    "installment_count": (
        "installments",
        "number of installments",
        "installment count",
        "cuotas",
        "numero de cuotas",
        "nro cuotas",
        "total cuotas",
    ),
    "installment_number": (
        "installment",
        "installment number",
        "installment no",
        "sequence",
        "cuota",
        "nro cuota",
        "numero cuota",
        "no cuota",
        "secuencia",
    ),
    "due_date": (
        "due date",
        "due",
        "maturity",
        "maturity date",
        "fecha vencimiento",
        "vencimiento",
        "fecha de vencimiento",
    ),
    "installment_amount": (
        "installment amount",
        "amount",
        "amount due",
        "valor cuota",
        "monto cuota",
        "importe",
        "monto",
        "valor",
    ),
    "installment_ref": (
        "installment ref",
        "installment reference",
        "document",
        "document number",
        "invoice",
        "invoice number",
        "referencia cuota",
        "documento cuota",
        "factura",
        "numero factura",
        "letra",
    ),
    "contract_ref": (
        "contract",
        "contract ref",
        "contract number",
        "product",
        "account number",
        "loan",
        "contrato",
        "producto",
        "numero contrato",
        "obligacion",
        "numero obligacion",
        "credito",
    ),
    "currency": ("currency", "currency code", "moneda", "divisa"),
}
COLUMN_LABELS = {
    "partner_name": "Debtor name",
    "vat": "Tax ID",
    "partner_ref": "Creditor's debtor reference",
    "street": "Address",
    "city": "City",
    "state": "State",
    "zip": "ZIP",
    "country": "Country",
    "phone1": "Phone 1",
    "phone2": "Phone 2",
    "phone3": "Phone 3",
    "email": "E-mail",
    "contacts": "Contact persons",
    "notes": "Notes",
    "debt_amount": "Amount owed",
    "debt_since": "Debt since",
    "installment_count": "Number of installments",
    "installment_number": "Installment number",
    "due_date": "Due date",
    "installment_amount": "Installment amount",
    "installment_ref": "Installment reference",
    "contract_ref": "Product / contract",
    "currency": "Currency",
}
DEBTOR_COLUMNS = (
    "partner_name",
    "vat",
    "partner_ref",
    "street",
    "city",
    "state",
    "zip",
    "country",
    "phone1",
    "phone2",
    "phone3",
    "email",
    "contacts",
    "notes",
)
DATE_FORMATS = {
    "dmy": ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y"),
    "mdy": ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"),
    "ymd": ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"),
}
# what an import counts of what it wrote (also the fields of an import job)
WRITE_COUNTS = (
    "partners_created",
    "cases_created",
    "cases_updated",
    "cases_returned",
    "installments_created",
    "installments_updated",
    "installments_unchanged",
)
DECIMAL_SEPARATOR_CHOICES = [("auto", "Detect"), (".", "Point (1234.56)"), (",", "Comma (1234,56)")]
DATE_FORMAT_CHOICES = [
    ("auto", "Detect (ISO or day first)"),
    ("dmy", "Day/Month/Year"),
    ("mdy", "Month/Day/Year"),
    ("ymd", "Year-Month-Day"),
]
EXCEL_EPOCH = date(1899, 12, 30)
_logger = logging.getLogger(__name__)


class ParseError(ValueError):
    """A value or file that cannot be read. ``kind`` (encoding, workbook,
    amount, date, integer) and ``value`` let the caller word a translated
    message; ``str()`` gives an English one."""

    MESSAGES = {
        "encoding": "The file is not text in a known encoding.",
        "workbook": "The file is not a readable XLSX workbook.",
        "amount": "'%s' is not an amount.",
        "date": "'%s' is not a date (expected e.g. 2026-03-31 or 31/03/2026).",
        "integer": "'%s' is not a whole number.",
    }

    def __init__(self, kind, value=None):
        self.kind = kind
        self.value = value
        message = self.MESSAGES[kind]
        super().__init__(message % (value,) if "%s" in message else message)


def normalize_header(text):
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"\bn[o°º]\b", "no", text)


_SYNONYMS = {normalize_header(name): key for key, names in COLUMNS.items() for name in names}


def match_headers(headers, saved=None):
    """Map each column index to a canonical key.

    ``saved`` (a template) maps normalised header names to keys and wins over
    the built-in names. A key is given to the first column that claims it.
    """
    saved = {normalize_header(k): v for k, v in (saved or {}).items()}
    mapping, taken = {}, set()
    for index, header in enumerate(headers):
        norm = normalize_header(header)
        key = saved.get(norm) or _SYNONYMS.get(norm)
        if key and key not in taken:
            mapping[index] = key
            taken.add(key)
    return mapping


def decode_text(data):
    """Decode CSV bytes: UTF-8 (with or without BOM), else what chardet guesses,
    else Windows-1252, which accepts any byte."""
    if not data.startswith(b"\xff\xfe") and not data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            _logger.debug("not UTF-8, guessing the encoding")
    try:
        import chardet

        guess = chardet.detect(data[:200000]).get("encoding")
    except ImportError:  # pragma: no cover - chardet is an Odoo requirement
        guess = None
    for encoding in filter(None, (guess, "cp1252", "latin-1")):
        try:
            return data.decode(encoding), encoding.lower()
        except (UnicodeDecodeError, LookupError):
            continue
    raise ParseError("encoding")


def sniff_delimiter(text):
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=first.count) if first else ","


def read_csv(data):
    text, encoding = decode_text(data)
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return rows, {"encoding": encoding, "delimiter": delimiter}


def read_xlsx(data):
    """Every non-empty sheet of a workbook as {sheet name: rows}."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise ParseError("workbook", str(exc)) from exc
    sheets = {}
    for sheet in workbook.worksheets:
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        while rows and not any(cell not in (None, "") for cell in rows[-1]):
            rows.pop()
        if rows:
            sheets[sheet.title] = rows
    workbook.close()
    return sheets


def is_xlsx(data, filename=""):
    return data[:2] == b"PK" or (filename or "").lower().endswith((".xlsx", ".xlsm"))


def clean(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_amount(value, decimal_separator="auto"):
    """Read an amount such as ``1.234,56``, ``1,234.56``, ``1234.5`` or
    ``$ 1 234,50``; return a Decimal, or None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Decimal(str(value))
    text = re.sub(r"[^\d,.\-()]", "", str(value).strip())
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    text = text.strip("-()")
    if not text or not re.search(r"\d", text):
        raise ParseError("amount", value)
    sep = decimal_separator
    if sep == "auto":
        last_comma, last_point = text.rfind(","), text.rfind(".")
        if last_comma >= 0 and last_point >= 0:
            sep = "," if last_comma > last_point else "."
        elif last_comma >= 0 or last_point >= 0:
            mark = "," if last_comma >= 0 else "."
            other = "." if mark == "," else ","
            integer, _sep, decimals = text.rpartition(mark)
            # "1.234.567" or "12.500": thousands; "1234,5", "0,125", "99.90": decimals
            thousands_like = text.count(mark) > 1 or (len(decimals) == 3 and integer.strip("0") != "")
            sep = other if thousands_like else mark
        else:
            sep = "."
    thousands = "." if sep == "," else ","
    text = text.replace(thousands, "")
    if sep == ",":
        text = text.replace(",", ".")
    if text.count(".") > 1:
        raise ParseError("amount", value)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ParseError("amount", value) from exc
    return -amount if negative else amount


def parse_date(value, date_format="auto"):
    """Read a date from a cell: a date/datetime, an Excel serial number, or
    text in ISO, day-first (31/12/2026, 31.12.2026) or, when asked, month-first
    order. Return None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 < value < 80000:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ParseError("date", value)
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return parse_date(float(text))
    text = text.split("T")[0].split(" ")[0]
    orders = ("ymd", "dmy") if date_format == "auto" else (date_format,)
    if date_format == "auto" and re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", text):
        orders = ("dmy",)
    for order in orders:
        for fmt in DATE_FORMATS[order]:
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise ParseError("date", value)


def parse_int(value):
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(float(text))
    raise ParseError("integer", value)


def rows_to_records(rows, mapping, first_row_number=2):
    """Turn data rows into dicts keyed by canonical column, each with its
    spreadsheet row number under ``_row``; skip empty rows."""
    records = []
    for offset, row in enumerate(rows):
        if not any(clean(cell) for cell in row):
            continue
        record = {"_row": first_row_number + offset, "_cells": list(row)}
        for index, key in mapping.items():
            record[key] = row[index] if index < len(row) else None
        records.append(record)
    return records


def split_workbook(sheets):
    """Find the debtor and installment sheets of a two-sheet workbook, or the
    single sheet of a one-row-per-installment file.

    Return ``(installment_rows, debtor_rows or None)`` where each is
    ``(headers, data_rows)``.
    """
    parsed = []
    for name, rows in sheets.items():
        headers = [clean(h) for h in rows[0]]
        keys = set(match_headers(headers).values())
        parsed.append((name, headers, rows[1:], keys))
    with_installments = [p for p in parsed if {"due_date", "installment_amount"} <= p[3]]
    if not with_installments:
        with_installments = [p for p in parsed if "due_date" in p[3]] or parsed[:1]
    inst = with_installments[0]
    debtors = [p for p in parsed if p is not inst and "partner_name" in p[3] and "due_date" not in p[3]]
    return (inst[1], inst[2]), ((debtors[0][1], debtors[0][2]) if debtors else None)


# what the file's cells say is written as it is: text never becomes a
# formula, a link or a number in the spreadsheet the user opens
SAFE_WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
}


def write_cell(sheet, row, col, value, cell_format=None):
    """Write a value with the writer of its type; text always as text."""
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, (int, float, Decimal)):
        sheet.write_number(row, col, float(value), cell_format)
    elif isinstance(value, (datetime, date, time)):
        sheet.write_datetime(row, col, value, cell_format)
    else:
        sheet.write_string(row, col, str(value), cell_format)


def error_workbook(headers, records, errors, only_errors=False):
    """The file's rows with an added "error" column, as XLSX bytes."""
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, dict(SAFE_WORKBOOK_OPTIONS, default_date_format="yyyy-mm-dd"))
    sheet = workbook.add_worksheet("rows")
    bold = workbook.add_format({"bold": True})
    red = workbook.add_format({"font_color": "#B00020"})
    columns = list(headers) + ["error"]
    for col, header in enumerate(columns):
        write_cell(sheet, 0, col, clean(header), bold)
    row_index = 1
    for record in records:
        message = errors.get(record["_row"], "")
        if only_errors and not message:
            continue
        for col, value in enumerate(record.get("_cells") or []):
            write_cell(sheet, row_index, col, value)
        write_cell(sheet, row_index, len(columns) - 1, message or None, red)
        row_index += 1
    sheet.set_column(len(columns) - 1, len(columns) - 1, 60)
    workbook.close()
    return output.getvalue()
