"""National identity and tax numbers of debtors, checked with python-stdnum.

A creditor's file puts personal numbers (Ecuadorian cédula, Spanish DNI,
Brazilian CPF…) and company numbers (RUC, CIF, CNPJ…) in one column. A
number is accepted when any identity module python-stdnum has for the
debtor's country validates it; its compact form (no spaces, dots or dashes)
is what is stored.

Pure functions, no database access: ``collection.portfolio`` calls them
while importing, and they are tested on their own.
"""

import functools
import importlib
import pkgutil
import re
from collections import namedtuple

# Modules of a country package that are no identity of a person or a company:
# bank accounts, postal codes, payment and document references, securities,
# property, meters, drugs, schools, pupils, patients; "us.atin" (a child
# being adopted, and any 9 digits pass) and "us.tin" (the other US modules
# together, ATIN included) are left out so an SSN or EIN is really checked.
NOT_IDENTITY = frozenset(
    {
        "aic",
        "bankaccount",
        "brin",
        "cbu",
        "ccc",
        "cups",
        "esr",
        "iban",
        "kontonr",
        "ncf",
        "nhs",
        "onderwijsnummer",
        "postal_code",
        "postcode",
        "postleitzahl",
        "postnummer",
        "referenciacatastral",
        "rtn",
        "sedol",
        "upn",
        "us.atin",
        "us.tin",
        "wkn",
    }
)
# the modules the import tried before any other (tax numbers), then the rest by name
PREFERRED = ("vat", "nit", "ruc", "rut", "rfc", "cuit")
# country codes that are Python keywords are suffixed in stdnum (stdnum.in_, stdnum.is_)
RESERVED = ("in", "is", "if")

IdFormat = namedtuple("IdFormat", "name label module")


class ColombianCedula:
    """Colombia's cédula de ciudadanía (and de extranjería), which
    python-stdnum does not know: it has no check digit, so its shape is all
    that can be checked. Up to 8 digits (issued before 2004), or 10
    beginning with 1 (since); no leading zero. A NIT carries a check digit
    and is checked by stdnum's ``co.nit``."""

    SHAPE = re.compile(r"[1-9][0-9]{2,7}|1[0-9]{9}")

    @staticmethod
    def compact(number):
        return re.sub(r"[\s.\-]", "", number or "")

    @classmethod
    def validate(cls, number):
        compact = cls.compact(number)
        if not cls.SHAPE.fullmatch(compact):
            raise ValueError("not a Colombian cédula")
        return compact


class _PlainNumber:
    """A personal number python-stdnum does not know whose shape is all
    there is to check (``SHAPE`` on the compact form: no spaces, dots or
    dashes, letters upper-cased), with an optional check digit
    (``check``)."""

    SHAPE = None

    @staticmethod
    def compact(number):
        return re.sub(r"[\s.\-/]", "", number or "").upper()

    @classmethod
    def check(cls, compact):
        return True

    @classmethod
    def validate(cls, number):
        compact = cls.compact(number)
        if not cls.SHAPE.fullmatch(compact) or not cls.check(compact):
            raise ValueError(f"not a {cls.__name__}")
        return compact


class VenezuelanCedula(_PlainNumber):
    """Venezuela's cédula de identidad: V (Venezuelan) or E (foreigner) and
    up to 8 digits, no check digit (the RIF, with one, is stdnum's
    ``ve.rif``)."""

    SHAPE = re.compile(r"[VE]?[1-9][0-9]{4,7}")

    @classmethod
    def validate(cls, number):
        # V (Venezuelan) is the default: stored without it, so that
        # "V-12.345.678" and "12345678" are one debtor
        compact = super().validate(number)
        return compact[1:] if compact.startswith("V") else compact


class UruguayanCedula(_PlainNumber):
    """Uruguay's cédula de identidad: up to 7 digits and a check digit
    (weights 2 9 8 7 6 3 4, modulo 10)."""

    SHAPE = re.compile(r"[0-9]{6,8}")

    @classmethod
    def check(cls, compact):
        body, digit = compact[:-1].rjust(7, "0"), int(compact[-1])
        total = sum(int(d) * w for d, w in zip(body, (2, 9, 8, 7, 6, 3, 4), strict=True))
        return (10 - total % 10) % 10 == digit


class ParaguayanCedula(_PlainNumber):
    """Paraguay's cédula de identidad: up to 8 digits, no check digit (the
    RUC adds one: stdnum's ``py.ruc``)."""

    SHAPE = re.compile(r"[1-9][0-9]{3,7}")


class GuatemalanCui(_PlainNumber):
    """Guatemala's DPI / CUI: 13 digits (a serial with its check digit, then
    department and municipality, neither 00). Only the shape is checked."""

    SHAPE = re.compile(r"[0-9]{9}(?!00)[0-9]{2}(?!00)[0-9]{2}")


class SalvadoranDui(_PlainNumber):
    """El Salvador's DUI: 8 digits and a verifier, not all zeros. Only the
    shape is checked."""

    SHAPE = re.compile(r"(?!0{9})[0-9]{9}")


# personal numbers python-stdnum does not have, tried after its own
EXTRA_FORMATS = {
    "co": (IdFormat("cc", "CC", ColombianCedula),),
    "ve": (IdFormat("ci", "CI", VenezuelanCedula),),
    "uy": (IdFormat("ci", "CI", UruguayanCedula),),
    "py": (IdFormat("ci", "CI", ParaguayanCedula),),
    "gt": (IdFormat("cui", "CUI", GuatemalanCui),),
    "sv": (IdFormat("dui", "DUI", SalvadoranDui),),
}


def _label(name, module):
    """The short name of a number ("CI", "RUC", "DNI"): the start of the
    module's description, or the module's name when that is long."""
    description = (module.__doc__ or "").strip().split("\n", 1)[0].strip(" .")
    short = description.split(" (", 1)[0].strip()
    return short if short and len(short) <= 20 else name.upper()


@functools.cache
def identity_formats(country_code):
    """The identity number formats python-stdnum knows for a country (ISO
    code, any case): a tuple of ``IdFormat(name, label, module)``, empty
    for a country it does not know. Imported once per country."""
    code = (country_code or "").strip().lower()
    if len(code) != 2 or not code.isalpha() or code == "eu":
        return ()
    package_name = f"stdnum.{code}_" if code in RESERVED else f"stdnum.{code}"
    try:
        package = importlib.import_module(package_name)
    except ImportError:
        return ()
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.ispkg
        and not info.name.startswith("_")
        and info.name not in NOT_IDENTITY
        and f"{code}.{info.name}" not in NOT_IDENTITY
    )
    names.sort(key=lambda name: PREFERRED.index(name) if name in PREFERRED else len(PREFERRED))
    formats = []
    for name in names:
        module = importlib.import_module(f"{package_name}.{name}")
        if callable(getattr(module, "validate", None)) and callable(getattr(module, "compact", None)):
            formats.append(IdFormat(name, _label(name, module), module))
    return tuple(formats) + EXTRA_FORMATS.get(code, ())


@functools.cache
def format_labels(country_code):
    """The short names of a country's formats, e.g. ``("RUC", "CI")``."""
    labels = []
    for id_format in identity_formats(country_code):
        if id_format.label not in labels:
            labels.append(id_format.label)
    return tuple(labels)


def check(number, country_code):
    """Check a national ID against every format of its country.

    Return ``(value, id_format, tried)``:

    * valid: the compact form, the ``IdFormat`` that validated it, ``()``;
    * invalid: the number as given, ``None`` and the labels of the formats
      tried;
    * a country stdnum does not know (or none): the number as given,
      ``None``, ``()``.

    A country prefix (``EC1792060346001``, ``ES54362315K``) is accepted, and
    so are the leading zeros a spreadsheet drops from a number typed as a
    number (``102030400`` for the cédula ``0102030400``).
    """
    formats = identity_formats(country_code)
    if not formats or not number:
        return number, None, ()
    candidates = [number]
    prefix = (country_code or "").strip().upper()
    stripped = number.strip()
    if stripped[:2].upper() == prefix and stripped[2:].strip(" -."):
        candidates.append(stripped[2:].lstrip(" -."))
    if stripped.isdigit():
        candidates += ["0" + stripped, "00" + stripped]
    for candidate in candidates:
        for id_format in formats:
            try:
                return id_format.module.validate(candidate), id_format, ()
            except Exception:  # noqa: BLE001 - stdnum raises ValidationError, a few modules ValueError on odd input
                continue
    return number, None, format_labels(country_code)
