"""Reading creditor files: XLSX / CSV into rows, header matching, and the
value parsers (amounts with decimal comma or point, the common date formats).

Pure functions, no database access: the import engine on
``collection.portfolio`` calls them, and they are tested on their own.
"""

import csv
import io
import logging
import math
import re
import unicodedata
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation

# Canonical columns of a creditor file, with the header names recognised in
# English, Spanish, Portuguese, French and Bulgarian. Headers are compared
# as words (``header_tokens``): case, accents, punctuation, word order,
# little words ("de", "of", "на") and the ways of writing "number" ("Nro",
# "N°", "#", "Número") do not matter, so "CUOTA NRO" is "Número de cuota".
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
        "client name",
        "borrower",
        "borrower name",
        "account holder",
        "account name",
        "company name",
        "nombre",
        "nombre completo",
        "nombres",
        "nombres y apellidos",
        "apellidos y nombres",
        "deudor",
        "nombre deudor",
        "nombre del deudor",
        "cliente",
        "nombre cliente",
        "nombre del cliente",
        "razon social",
        "nombre o razon social",
        "titular",
        "socio",
        "nome",
        "nome completo",
        "devedor",
        "nome do devedor",
        "nome do cliente",
        "sacado",
        "nom",
        "nom complet",
        "debiteur",
        "nom du debiteur",
        "nom du client",
        "raison sociale",
        "titulaire",
        "име",
        "имена",
        "трите имена",
        "име на длъжника",
        "длъжник",
        "клиент",
        "име на клиента",
        "наименование",
    ),
    "vat": (
        "tax id",
        "taxid",
        "tax id number",
        "tax number",
        "tin",
        "national id",
        "personal id",
        "vat",
        "vat number",
        "ssn",
        "ein",
        "identification",
        "id number",
        "nit",
        "ruc",
        "ci",
        "cedula",
        "cedula de identidad",
        "numero de cedula",
        "dni",
        "nie",
        "nif",
        "cif",
        "rfc",
        "curp",
        "cuit",
        "cuil",
        "rut",
        "run",
        "cui",
        "rif",
        "rnc",
        "documento",
        "numero documento",
        "documento de identidad",
        "identificacion",
        "numero de identificacion",
        "cpf",
        "cnpj",
        "nipc",
        "contribuinte",
        "numero de contribuinte",
        "siren",
        "siret",
        "nir",
        "numero fiscal",
        "identifiant fiscal",
        "numero de tva",
        "eik",
        "egn",
        "pnf",
        "егн",
        "еик",
        "лнч",
        "булстат",
        "идентификационен номер",
    ),
    "partner_ref": (
        "customer ref",
        "customer reference",
        "customer number",
        "client id",
        "client number",
        "client ref",
        "customer id",
        "debtor id",
        "debtor ref",
        "debtor number",
        "external reference",
        "external ref",
        "creditor reference",
        "codigo cliente",
        "id cliente",
        "referencia cliente",
        "cod cliente",
        "numero de cliente",
        "referencia externa",
        "codigo deudor",
        "codigo socio",
        "codigo do cliente",
        "referencia do cliente",
        "reference client",
        "code client",
        "numero client",
        "identifiant client",
        "клиентски номер",
        "номер на клиента",
        "код на клиента",
        "клиентски код",
    ),
    "street": (
        "address",
        "address line 1",
        "street address",
        "street",
        "direccion",
        "direccion domicilio",
        "calle",
        "domicilio",
        "endereco",
        "logradouro",
        "rua",
        "morada",
        "adresse",
        "rue",
        "адрес",
        "улица",
    ),
    "city": (
        "city",
        "town",
        "ciudad",
        "municipio",
        "localidad",
        "canton",
        "cidade",
        "localidade",
        "ville",
        "commune",
        "localite",
        "град",
        "населено място",
    ),
    "state": (
        "state",
        "province",
        "region",
        "county",
        "departamento",
        "provincia",
        "estado",
        "uf",
        "distrito",
        "departement",
        "област",
    ),
    "zip": (
        "zip",
        "zip code",
        "zipcode",
        "postal code",
        "postcode",
        "codigo postal",
        "cp",
        "cep",
        "code postal",
        "пощенски код",
    ),
    "country": ("country", "country code", "pais", "codigo pais", "pays", "държава", "страна"),
    "latitude": ("latitude", "lat", "latitud", "geo lat", "gps lat", "географска ширина", "ширина"),
    "longitude": (
        "longitude",
        "lon",
        "lng",
        "long",
        "longitud",
        "geo lon",
        "gps lon",
        "географска дължина",
        "дължина",
    ),
    "phone1": (
        "phone",
        "phone 1",
        "phone number",
        "telephone",
        "telephone number",
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
        "telefono",
        "telefono 1",
        "telefono celular",
        "telefono movil",
        "telefono domicilio",
        "telefono fijo",
        "telefono trabajo",
        "telefono oficina",
        "home phone",
        "work phone",
        "celular",
        "movil",
        "telefone",
        "telemovel",
        "portable",
        "телефон",
        "мобилен",
        "мобилен телефон",
    ),
    "phone2": (
        "phone 2",
        "telephone 2",
        "mobile 2",
        "telefono 2",
        "celular 2",
        "movil 2",
        "telefone 2",
        "телефон 2",
    ),
    "phone3": (
        "phone 3",
        "telephone 3",
        "mobile 3",
        "telefono 3",
        "celular 3",
        "movil 3",
        "telefone 3",
        "телефон 3",
    ),
    "email": (
        "email",
        "e-mail",
        "email address",
        "mail",
        "correo",
        "correo electronico",
        "courriel",
        "adresse email",
        "имейл",
        "е-мейл",
        "електронна поща",
    ),
    "contacts": (
        "contact",
        "contacts",
        "contact person",
        "contact persons",
        "contacto",
        "contactos",
        "persona de contacto",
        "referencias personales",
        "contato",
        "contatos",
        "pessoa de contato",
        "personne a contacter",
        "interlocuteur",
        "лице за контакт",
        "лица за контакт",
        "контакт",
    ),
    "notes": (
        "notes",
        "note",
        "comment",
        "comments",
        "remarks",
        "notas",
        "observaciones",
        "observacion",
        "comentarios",
        "observacoes",
        "obs",
        "remarques",
        "commentaires",
        "observations",
        "бележки",
        "забележка",
        "забележки",
        "коментар",
    ),
    # debt
    "debt_amount": (
        "amount owed",
        "debt",
        "debt amount",
        "total debt",
        "total due",
        "total owed",
        "outstanding",
        "outstanding balance",
        "outstanding amount",
        "balance",
        "total",
        "monto adeudado",
        "deuda",
        "monto deuda",
        "monto total",
        "valor adeudado",
        "valor deuda",
        "total adeudado",
        "saldo",
        "saldo deudor",
        "saldo pendiente",
        "deuda total",
        "saldo total",
        "valor total",
        "valor da divida",
        "divida",
        "saldo devedor",
        "valor devido",
        "divida total",
        "montant du",
        "dette",
        "montant de la dette",
        "solde",
        "encours",
        "montant total",
        "дълг",
        "задължение",
        "общо задължение",
        "дължима сума",
        "сума на дълга",
    ),
    "debt_since": (
        "debt since",
        "since",
        "origination date",
        "default date",
        "delinquent since",
        "overdue since",
        "fecha deuda",
        "deuda desde",
        "fecha mora",
        "fecha inicio mora",
        "en mora desde",
        "mora desde",
        "vencido desde",
        "fecha de origen",
        "data da divida",
        "em atraso desde",
        "inadimplente desde",
        "date de la dette",
        "impaye depuis",
        "date d impaye",
        "просрочие от",
        "дата на просрочие",
    ),
    "installment_count": (
        "installments",
        "number of installments",
        "installment count",
        "cuotas",
        "numero de cuotas",
        "cantidad de cuotas",
        "total cuotas",
        "parcelas",
        "numero de parcelas",
        "quantidade de parcelas",
        "total de parcelas",
        "prestacoes",
        "nombre d echeances",
        "nombre de mensualites",
        "брой вноски",
        "вноски",
    ),
    "installment_number": (
        "installment",
        "installment number",
        "sequence",
        "payment number",
        "cuota",
        "numero de cuota",
        "dividendo",
        "numero de dividendo",
        "secuencia",
        "parcela",
        "numero da parcela",
        "prestacao",
        "numero d echeance",
        "numero de mensualite",
        "вноска",
        "номер на вноска",
    ),
    "due_date": (
        "due date",
        "due",
        "payment due date",
        "maturity",
        "maturity date",
        "fecha vencimiento",
        "vencimiento",
        "fecha de vencimiento",
        "fecha vencimiento cuota",
        "vencimiento cuota",
        "fecha limite de pago",
        "data de vencimento",
        "vencimento",
        "date d echeance",
        "echeance",
        "date limite",
        "падеж",
        "дата на падеж",
        "падежна дата",
    ),
    "installment_amount": (
        "installment amount",
        "amount",
        "amount due",
        "payment amount",
        "valor cuota",
        "monto cuota",
        "importe cuota",
        "valor dividendo",
        "valor a pagar",
        "monto a pagar",
        "importe",
        "monto",
        "valor",
        "valor da parcela",
        "valor da prestacao",
        "montante",
        "montant",
        "montant echeance",
        "mensualite",
        "montant mensualite",
        "сума",
        "сума на вноска",
        "размер на вноска",
    ),
    "installment_ref": (
        "installment ref",
        "installment reference",
        "document",
        "document number",
        "invoice",
        "invoice number",
        "bill number",
        "referencia cuota",
        "documento cuota",
        "factura",
        "numero factura",
        "comprobante",
        "numero comprobante",
        "letra",
        "fatura",
        "numero da fatura",
        "nota fiscal",
        "boleto",
        "facture",
        "numero de facture",
        "reference echeance",
        "piece",
        "фактура",
        "номер на фактура",
    ),
    "contract_ref": (
        "contract",
        "contract ref",
        "contract number",
        "contract id",
        "product",
        "account number",
        "loan",
        "loan number",
        "loan id",
        "agreement",
        "agreement number",
        "operation number",
        "contrato",
        "producto",
        "numero contrato",
        "operacion",
        "numero operacion",
        "obligacion",
        "numero obligacion",
        "credito",
        "numero credito",
        "prestamo",
        "numero prestamo",
        "numero de cuenta",
        "tarjeta",
        "numero de tarjeta",
        "numero do contrato",
        "produto",
        "operacao",
        "numero da operacao",
        "contrat",
        "numero de contrat",
        "numero du contrat",
        "dossier",
        "numero de dossier",
        "pret",
        "numero de pret",
        "produit",
        "договор",
        "номер на договор",
        "кредит",
        "партида",
        "продукт",
    ),
    "currency": (
        "currency",
        "currency code",
        "moneda",
        "tipo de moneda",
        "divisa",
        "moeda",
        "devise",
        "monnaie",
        "валута",
    ),
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
    "latitude": "Latitude",
    "longitude": "Longitude",
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
    "latitude",
    "longitude",
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
# what a cell may hold: amounts below MAX_AMOUNT (exact to the cent as
# floats), dates between MIN_DATE and MAX_DATE, whole numbers up to
# MAX_INTEGER (an integer column)
MAX_AMOUNT = Decimal(10) ** 13
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2199, 12, 31)
MAX_INTEGER = 999_999_999
# the longest text kept per column: names, references and e-mails end in
# indexed columns (a btree entry holds at most ~2700 bytes, 4 per character)
TEXT_LIMITS = {
    "partner_name": 256,
    "vat": 64,
    "partner_ref": 128,
    "street": 256,
    "city": 128,
    "state": 128,
    "zip": 32,
    "country": 64,
    "latitude": 64,
    "longitude": 64,
    "phone1": 64,
    "phone2": 64,
    "phone3": 64,
    "email": 254,
    "contacts": 1_000_000,
    "notes": 1_000_000,
    "installment_ref": 128,
    "contract_ref": 128,
    "currency": 64,
}
# C0 control characters but tab, newline and carriage return, and lone
# surrogates (only an API caller can send those): not stored
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_SCIENTIFIC = re.compile(r"\d\s*[eE][+-]?\d")
_LONG_WORD = re.compile(rb"([A-Za-z\x80-\xff]{32})[A-Za-z\x80-\xff]+")
_logger = logging.getLogger(__name__)


class ParseError(ValueError):
    """A value or file that cannot be read. ``kind`` (encoding, workbook,
    csv, amount, amount_range, date, date_range, integer, integer_range)
    and ``value`` let the caller word a translated message; ``str()``
    gives an English one."""

    MESSAGES = {
        "encoding": "The file is not text in a known encoding.",
        "workbook": "The file is not a readable XLSX workbook.",
        "amount": "'%s' is not an amount.",
        "date": "'%s' is not a date (expected e.g. 2026-03-31 or 31/03/2026).",
        "integer": "'%s' is not a whole number.",
        "amount_range": "'%s' is too large an amount.",
        "date_range": "'%s' is not a date between 1900 and 2199.",
        "integer_range": "'%s' is not a whole number between 0 and 999999999.",
        "csv": "The CSV file cannot be read (line %s).",
    }

    def __init__(self, kind, value=None):
        self.kind = kind
        self.value = value
        message = self.MESSAGES[kind]
        super().__init__(message % (excerpt(value),) if "%s" in message else message)


def excerpt(value, size=60):
    """A cell's value as an error message quotes it: at most ``size``
    characters, control characters shown as "?"."""
    text = _CONTROL_CHARACTERS.sub("?", value if isinstance(value, str) else clean(value))
    return text if len(text) <= size else text[: size - 1] + "…"


def text_problem(value, limit):
    """Why a cleaned text cannot be stored: "length" beyond ``limit``
    characters, "control" for control characters; None when it can."""
    if len(value) > limit:
        return "length"
    # most cells are printable: the search runs only on the others
    if not value.isprintable() and _CONTROL_CHARACTERS.search(value):
        return "control"
    return None


def normalize_header(text):
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"\bn[o°º]\b", "no", text)


# words written in several ways, folded into one before headers are compared
_WORD_ALIASES = {
    "no": ("nro", "nr", "num", "numero", "number", "nbr", "n", "nummer", "номер"),
    "mail": ("email",),
    "telefono": ("tel", "telf", "tlf", "tfno", "fono", "telef"),
    "celular": ("cel",),
    "vencimiento": ("venc", "vcto", "vto", "vencto"),
    "fecha": ("fec", "fch", "f"),
    "data": ("dt",),
    "direccion": ("dir", "direc"),
    "operacion": ("op", "oper"),
    "codigo": ("cod",),
    "ref": ("reference", "referencia"),
    "cantidad": ("cant",),
    "quantidade": ("qtd", "qtde"),
    "identificacion": ("ident", "identif"),
    "valor": ("vlr",),
    "installment": ("instalment",),
    "installments": ("instalments",),
    "брой": ("бр",),
}
# little words a header may have or not: "Fecha de vencimiento", "Date d'échéance"
_STOP_WORDS = frozenset(
    "de del la el los las lo of the do da dos das d l le les a al en em y e and et para pour por "
    "o ou or на за и или".split()
)
# between alternatives of one column: "RUC/CI", "CPF ou CNPJ", "ЕГН или ЕИК"
_ALTERNATIVES = re.compile(r"\s*[/|\\]\s*|\s+(?:o|ou|or|или)\s+", re.IGNORECASE)


def _header_words(text):
    """The words of a header: lowercase, without accents, split at anything
    but letters and digits and between letters and digits ("Phone1")."""
    text = re.sub(r"\b[nN]\s*[°º]", " no ", str(text or "")).replace("#", " no ").replace("№", " no ")
    text = "".join(c for c in unicodedata.normalize("NFKD", text).casefold() if not unicodedata.combining(c))
    return re.findall(r"\d+|[^\W\d_]+", text)


_WORD_FOLD = {word: canonical for canonical, words in _WORD_ALIASES.items() for word in words}


def header_tokens(text):
    """A header as a set of canonical words: case, accents, punctuation,
    word order, little words and the ways of writing "number" ("Nro", "N°",
    "#", "Número") aside. ``header_tokens("CUOTA NRO") ==
    header_tokens("Número de cuota")``."""
    words = (_WORD_FOLD.get(word, word) for word in _header_words(text))
    return frozenset(word for word in words if word not in _STOP_WORDS)


def _token_synonyms():
    """{token set: key} of the names in COLUMNS, and the token sets that two
    keys share (left out: they would be a guess)."""
    keys = {}
    for key, names in COLUMNS.items():
        for name in names:
            tokens = header_tokens(name)
            if tokens:
                keys.setdefault(tokens, set()).add(key)
    synonyms = {tokens: next(iter(found)) for tokens, found in keys.items() if len(found) == 1}
    return synonyms, {tokens for tokens, found in keys.items() if len(found) > 1}


def _spelling(text):
    """A header as ``normalize_header`` writes it, or "" when that would drop
    letters (Cyrillic): such headers are compared by their words only."""
    folded = unicodedata.normalize("NFKD", str(text or ""))
    if any(char.isalpha() and not char.isascii() for char in folded if not unicodedata.combining(char)):
        return ""
    return normalize_header(text)


_SYNONYMS = {_spelling(name): key for key, names in COLUMNS.items() for name in names if _spelling(name)}
# a file written with the column keys themselves ("partner_name", "due_date"), as
# an integrator's export or the API's rows name them
for _key in COLUMNS:
    _SYNONYMS.setdefault(_spelling(_key), _key)
_TOKEN_SYNONYMS, _AMBIGUOUS_TOKENS = _token_synonyms()
# a column recognised as the first phone when that is taken is the next one
_OVERFLOW = {"phone1": ("phone2", "phone3")}


def _alternatives_key(header, synonyms):
    """The key of a header naming one column in several ways ("RUC/CI",
    "Cédula o NIT", "CPF-CNPJ"): every alternative, or else every word,
    is a name of the same column."""
    parts = [tokens for tokens in map(header_tokens, _ALTERNATIVES.split(str(header or ""))) if tokens]
    if len(parts) < 2:
        parts = [frozenset((word,)) for word in header_tokens(header)]
    if len(parts) < 2:
        return None
    keys = {synonyms.get(tokens) for tokens in parts}
    return keys.pop() if len(keys) == 1 and None not in keys else None


def _saved_lookups(saved):
    """A template's {header: key} as lookups by normalised header and by words."""
    items = [(name, key) for name, key in (saved or {}).items() if key]
    return (
        {_spelling(name): key for name, key in items if _spelling(name)},
        {header_tokens(name): key for name, key in items if header_tokens(name)},
    )


def recognise_header(header, saved=None):
    """The key of one header and how sure that is, as ``(level, key)``
    (lower is surer), or ``(None, None)``:

    0. the creditor's template (``saved``: header → key) names it,
    1. the template names the same words,
    2. a built-in name written the same way (case, accents, punctuation aside),
    3. a built-in name with the same words (``header_tokens``),
    4. alternatives that all name one column ("RUC/CI").
    """
    return _recognise(header, _saved_lookups(saved))


def _recognise(header, lookups):
    saved_exact, saved_tokens = lookups
    spelling, tokens = _spelling(header), header_tokens(header)
    if not tokens:
        return None, None
    found = (
        saved_exact.get(spelling) if spelling else None,
        saved_tokens.get(tokens),
        _SYNONYMS.get(spelling) if spelling else None,
        _TOKEN_SYNONYMS.get(tokens),
    )
    for level, key in enumerate(found):
        if key:
            return level, key
    key = _alternatives_key(header, _TOKEN_SYNONYMS)
    return (4, key) if key else (None, None)


def match_headers(headers, saved=None):
    """Map each column index to a canonical key.

    ``saved`` (a template) maps header names to keys and wins over the
    built-in names (``recognise_header`` gives each header a key and a
    level of certainty). A key is given once: to the surest claim, between
    equally sure ones to the first column; a column whose key is taken stays
    unmapped (two columns are never read into one field), except a second
    and third phone column, which become Phone 2 and Phone 3.
    """
    lookups = _saved_lookups(saved)
    claims = []
    for index, header in enumerate(headers):
        level, key = _recognise(header, lookups)
        if key:
            claims.append((level, index, key))
    mapping, taken, left = {}, set(), []
    for _level, index, key in sorted(claims):
        if key in taken:
            left.append((index, key))
            continue
        mapping[index] = key
        taken.add(key)
    for index, key in sorted(left):
        spare = next((other for other in _OVERFLOW.get(key, ()) if other not in taken), None)
        if spare:
            mapping[index] = spare
            taken.add(spare)
    return dict(sorted(mapping.items()))


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

        # chardet takes time quadratic in the length of a word: a sample,
        # its words cut to 32 bytes (a 200 KB cell of letters took minutes)
        guess = chardet.detect(_LONG_WORD.sub(rb"\1", data[:65536])).get("encoding")
    except ImportError:  # pragma: no cover - chardet is an Odoo requirement
        guess = None
    for encoding in filter(None, (guess, "cp1252", "latin-1")):
        try:
            return data.decode(encoding), encoding.lower()
        except (UnicodeDecodeError, LookupError):
            continue
    raise ParseError("encoding")


def sniff_delimiter(text):
    # the first lines, of the first 64 KiB (the sniffer's patterns slow down on long lines)
    sample = "\n".join(text[:65536].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=first.count) if first else ","


def read_csv(data):
    """The rows of a CSV file: any line ending (a lone carriage return
    too), cells as long as the file."""
    text, encoding = decode_text(data)
    delimiter = sniff_delimiter(text)
    # the csv module refuses a cell over 128 KiB unless told otherwise (a
    # process-wide limit: raised, never lowered)
    if len(text) > csv.field_size_limit():
        csv.field_size_limit(len(text))
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        rows = share_repeated_cells(reader)
    except csv.Error as exc:
        raise ParseError("csv", reader.line_num) from exc
    return rows, {"encoding": encoding, "delimiter": delimiter}


# a line with its ending (CR LF, LF or a lone CR), or the last one without
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text):
    """The lines of a text one by one, split where ``open(newline="")``
    splits them, for the csv module: a StringIO over a large file would hold
    it again, four bytes a character."""
    for match in _LINE.finditer(text):
        yield match.group()


def share_repeated_cells(rows):
    """The rows as lists, a cell equal to the one above it being the same
    string object: the debtor's columns repeat on each of their
    installment rows, and a large file holds them once per debtor instead
    of once per row."""
    result = []
    previous = ()
    for row in rows:
        if len(row) == len(previous):
            # equal and of the same type: 1 stays 1 under a True, 1.0 under a 1
            row = [
                above if cell == above and type(cell) is type(above) else cell
                for cell, above in zip(row, previous, strict=True)
            ]
        result.append(row)
        previous = row
    return result


def read_xlsx(data):
    """Every non-empty sheet of a workbook as {sheet name: rows}."""
    import openpyxl

    # openpyxl raises many types for a bad file, while opening or reading it
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = {}
        for sheet in workbook.worksheets:
            rows = share_repeated_cells(list(row) for row in sheet.iter_rows(values_only=True))
            while rows and not any(cell not in (None, "") for cell in rows[-1]):
                rows.pop()
            if rows:
                sheets[sheet.title] = rows
        workbook.close()
    except Exception as exc:  # noqa: BLE001 - any failure is an unreadable workbook
        raise ParseError("workbook", str(exc)) from exc
    return sheets


def is_xlsx(data, filename=""):
    return data[:2] == b"PK" or (filename or "").lower().endswith((".xlsx", ".xlsm"))


def clean(value):
    """A cell as text, trimmed; NUL characters (padding of some exports,
    never storable) dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.strip()


def parse_amount(value, decimal_separator="auto"):
    """Read an amount such as ``1.234,56``, ``1,234.56``, ``1234.5`` or
    ``$ 1 234,50``; return a Decimal, or None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        amount = Decimal(value) if isinstance(value, int) else Decimal(str(value))
        if not amount.is_finite():
            raise ParseError("amount", value)
    else:
        amount = _parse_amount_text(value, decimal_separator)
    if abs(amount) >= MAX_AMOUNT:
        raise ParseError("amount_range", value)
    return amount


def _parse_amount_text(value, decimal_separator):
    text = str(value).strip()
    # Excel's scientific notation (1,23457E+21) lost the digits: no amount
    if _SCIENTIFIC.search(text):
        raise ParseError("amount", value)
    text = re.sub(r"[^\d,.\-()]", "", text)
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
    if date_format != "auto" and date_format not in DATE_FORMATS:
        raise ValueError(f"Unknown date format {date_format!r}")
    result = _read_date(value, date_format)
    if not MIN_DATE <= result <= MAX_DATE:
        raise ParseError("date_range", value)
    return result


def _read_date(value, date_format):
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
        return _read_date(float(text), date_format)
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
    """Read a whole number between 0 and MAX_INTEGER; None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ParseError("integer", value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, (float, Decimal)):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if not finite or value != int(value):
            raise ParseError("integer", value)
        number = int(value)
    else:
        match = re.fullmatch(r"0*(\d+)(?:\.0+)?", str(value).strip())
        if not match:
            raise ParseError("integer", value)
        if len(match.group(1)) > len(str(MAX_INTEGER)):
            raise ParseError("integer_range", value)
        number = int(match.group(1))
    if not 0 <= number <= MAX_INTEGER:
        raise ParseError("integer_range", value)
    return number


class RowRecord:
    """A data row of a file read as a record: ``record[key]`` and
    ``record.get(key)`` give the cell of a column key (None when the row is
    shorter), ``"_row"`` its spreadsheet row number and ``"_cells"`` the
    row's cells. The row is not copied into a dictionary: a file of
    hundreds of thousands of rows stays one list of cells per row.
    Values set on the record (a debtor sheet completing the row) are kept
    beside the cells."""

    __slots__ = ("_number", "_cells", "_columns", "_set")

    def __init__(self, cells, number, columns):
        self._cells = cells
        self._number = number
        # {column key: cell index}, shared by the rows of a sheet
        self._columns = columns
        self._set = None

    def get(self, key, default=None):
        if self._set is not None and key in self._set:
            return self._set[key]
        index = self._columns.get(key)
        if index is not None:
            return self._cells[index] if index < len(self._cells) else None
        if key == "_row":
            return self._number
        if key == "_cells":
            return self._cells
        return default

    def __getitem__(self, key):
        value = self.get(key, KeyError)
        if value is KeyError:
            raise KeyError(key)
        return value

    def as_dict(self):
        """The record as a plain dictionary of its column keys (the values
        set on it included) and ``_row``."""
        values = {key: self.get(key) for key in self._columns}
        values.update(self._set or {})
        values["_row"] = self._number
        return values

    def __setitem__(self, key, value):
        if self._set is None:
            self._set = {}
        self._set[key] = value

    def __contains__(self, key):
        return self.get(key, KeyError) is not KeyError

    def keys(self):
        return ["_row", "_cells", *self._columns, *(self._set or ())]

    def __repr__(self):
        return f"RowRecord({self._number}, {self._cells!r})"


def rows_to_records(rows, mapping, first_row_number=2):
    """Turn data rows into records keyed by canonical column
    (``RowRecord``), each with its spreadsheet row number under ``_row``;
    skip empty rows."""
    columns = {key: index for index, key in mapping.items()}
    records = []
    for offset, row in enumerate(rows):
        if not any(clean(cell) for cell in row):
            continue
        records.append(RowRecord(row, first_row_number + offset, columns))
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


def record_json_default(value):
    """``json.dumps`` default for the cell values of a record (a workbook's
    dates and times, exact amounts): tagged to be read back as they were."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    return str(value)


def record_json_hook(obj):
    """``json.loads`` object hook reading back ``record_json_default``."""
    if len(obj) == 1:
        ((key, value),) = obj.items()
        if key == "$datetime":
            return datetime.fromisoformat(value)
        if key == "$date":
            return date.fromisoformat(value)
        if key == "$time":
            return time.fromisoformat(value)
        if key == "$decimal":
            return Decimal(value)
    return obj
