"""Loading creditor portfolios: the import engine shared by the import
wizard, the folder job and the RPC method ``import_rows``.

Everything is validated before anything is written; matching never
duplicates (debtor by tax ID, else by the creditor's reference; case by
portfolio and debtor; installment by reference, else by due date and
number); writes are batched.
"""

import logging
import re
from array import array
from collections import defaultdict
from collections import namedtuple
from datetime import date
from datetime import datetime
from decimal import Decimal

import phonenumbers

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools import email_normalize

from odoo.addons.phone_validation.tools import phone_validation

from ..tools import geo
from ..tools import import_parser
from ..tools import national_id
from ..tools.import_parser import ParseError
from ..tools.job_slice import chunks_by
from .collection_portfolio import BULK_CONTEXT
from .collection_portfolio_bulk import CopyPipe
from .collection_portfolio_bulk import amount_rounder

_logger = logging.getLogger(__name__)

WRITE_BATCH = 2000
# stored computed fields of a new debtor (no parent company, no user) that the import sets itself
PARTNER_FIELDS_SET = {
    "commercial_partner_id",
    "complete_name",
    "email_normalized",
    "phone_sanitized",
    "partner_share",
    "commercial_company_name",
    "company_registry",
    "user_id",
}
WRITE_COUNTS = import_parser.WRITE_COUNTS
IMPORT_CONTEXT = BULK_CONTEXT
# the options an API caller may give, and their values
RPC_OPTIONS = ("mode", "mark_missing", "dry_run", "decimal_separator", "date_format")
OPTION_VALUES = {
    "mode": ("all", "valid"),
    "decimal_separator": tuple(value for value, _label in import_parser.DECIMAL_SEPARATOR_CHOICES),
    "date_format": tuple(value for value, _label in import_parser.DATE_FORMAT_CHOICES),
    "mark_missing": (True, False, None),
    "dry_run": (True, False, None),
}
# what a cell of an API row may hold (XML-RPC sends dates as datetimes)
RPC_CELL_TYPES = frozenset((str, int, float, date, datetime, type(None)))
TEXT_LIMITS = import_parser.TEXT_LIMITS


# the columns of the debtor, repeated on each of their installment rows
DEBTOR_COLUMNS = (
    "partner_name",
    "vat",
    "partner_ref",
    "country",
    "state",
    "street",
    "city",
    "zip",
    "latitude",
    "longitude",
    "contacts",
    "notes",
    "email",
    "phone1",
    "phone2",
    "phone3",
)


# the debtors whose rows are written together (partners, cases and
# installments of a chunk, then the next): bounds the memory of a large file
WRITE_CHUNK_DEBTORS = 10000
# distinct cell values whose parse is remembered (dates and numbers repeat)
PARSE_CACHE_SIZE = 50000
# the status of a row in the result, by code
ROW_STATUSES = ("valid", "error", "created", "updated", "unchanged")


class ImportDebtor:
    """The checked columns of a debtor, shared by the debtor's rows, read
    like a dictionary (``debtor["vat"]``)."""

    __slots__ = (
        "partner_name",
        "vat",
        "partner_ref",
        "country_id",
        "state_id",
        "state_name",
        "street",
        "city",
        "zip",
        "latitude",
        "longitude",
        "contacts",
        "notes",
        "email",
        "phones",
        "debtor_key",
    )

    def __init__(self, values):
        for key, value in values.items():
            setattr(self, key, value)

    def __getitem__(self, key):
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key, default=None):
        return getattr(self, key, default)


class ImportLine:
    """A checked installment row waiting to be written, read like a
    dictionary (``line["vat"]``): its own values in slots, the debtor's
    checked values in the dictionary shared by every row of the debtor. A
    file of hundreds of thousands of rows holds no copy of the debtor per
    row."""

    OWN = frozenset(
        (
            "_row",
            "index",
            "installment_ref",
            "contract_ref",
            "date_due",
            "amount",
            "debt_amount",
            "debt_since",
            "installment_count",
            "sequence",
            "debtor_key",
            "group",
            "group_size",
        )
    )
    __slots__ = ("debtor", *OWN)

    def __init__(self, debtor, row, index):
        self.debtor = debtor
        self._row = row
        # the row's place among the records given
        self.index = index
        self.debtor_key = debtor["debtor_key"]
        self.group_size = None

    def __getitem__(self, key):
        return getattr(self if key in ImportLine.OWN else self.debtor, key)

    def __setitem__(self, key, value):
        setattr(self, key, value)

    def get(self, key, default=None):
        if key in ImportLine.OWN:
            return getattr(self, key, default)
        return self.debtor.get(key, default)


# the staged parts of a queued import hold the checked lines (format 2), not
# the file's cells again: a part is written without a second check
STAGED_FORMAT = 2
# a staged line's own values, in this order after its debtor's place
STAGED_LINE_FIELDS = tuple(sorted(ImportLine.OWN - {"index"}))


def stage_lines(lines):
    """The checked lines of a part of a queued import as JSON-ready data
    (dates and amounts through ``import_parser.record_json_default``): each
    debtor once, each line's own values after its debtor's place."""
    debtors, place_of = [], {}
    rows = []
    for line in lines:
        place = place_of.get(id(line.debtor))
        if place is None:
            place = place_of[id(line.debtor)] = len(debtors)
            debtors.append(
                {key: getattr(line.debtor, key) for key in ImportDebtor.__slots__ if hasattr(line.debtor, key)}
            )
        rows.append([place, *(getattr(line, key) for key in STAGED_LINE_FIELDS)])
    return {"format": STAGED_FORMAT, "debtors": debtors, "lines": rows}


def unstage_lines(data):
    """The lines ``stage_lines`` staged, read back from JSON (the keys that
    were tuples made tuples again, a debt's rows sharing one group)."""
    debtors = []
    for values in data["debtors"]:
        values["debtor_key"] = tuple(values["debtor_key"])
        debtors.append(ImportDebtor(values))
    lines, groups = [], {}
    for index, row in enumerate(data["lines"]):
        line = ImportLine(debtors[row[0]], None, index)
        for key, value in zip(STAGED_LINE_FIELDS, row[1:], strict=True):
            setattr(line, key, value)
        line.debtor_key = tuple(line.debtor_key)
        group = (tuple(line.group[0]), line.group[1])
        line.group = groups.setdefault(group, group)
        lines.append(line)
    return lines


class RowResults:
    """The outcome of each row given, by its place among the records: a
    status code and a case id per row in flat arrays, the message of the
    rows that have one."""

    def __init__(self, size):
        self.status = bytearray(size)
        self.case_ids = array("q", bytes(8 * size))
        self.messages = {}

    def set(self, index, status, case_id=None, message=None):
        self.status[index] = ROW_STATUSES.index(status)
        if case_id is not None:
            self.case_ids[index] = case_id
        if message is not None:
            self.messages[index] = message

    def as_dicts(self, records):
        """[{row, status, case_id[, message]}] in the order of the records."""
        rows = []
        for index, record in enumerate(records):
            row = {"row": record["_row"], "status": ROW_STATUSES[self.status[index]]}
            row["case_id"] = self.case_ids[index] or False
            if index in self.messages:
                row["message"] = self.messages[index]
            rows.append(row)
        return rows


# a plain address (no display name, no list): Odoo's full parser gives it back lowercased
PLAIN_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _normalize_email(email):
    """``email_normalize`` with a fast path for plain addresses (the usual
    case in creditor files)."""
    if PLAIN_EMAIL.match(email):
        return email.lower()
    return email_normalize(email)


def _phone_e164(number, country):
    """The number in E.164, or None when it is not valid for the country.
    A number valid at first parse is formatted at once; any other goes
    through Odoo's ``phone_format`` (which also rescues "00…" and missing
    "+" prefixes)."""
    code = country.code if country else None
    try:
        parsed = phonenumbers.parse(number, code)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    try:
        return phone_validation.phone_format(number, code, country.phone_code if country else None, "E164")
    except UserError:
        return None


# an installment already in the database, as the import matches it
ExistingInstallment = namedtuple(
    "ExistingInstallment", "id case_id external_ref date_due sequence amount amount_paid contract_ref"
)


def _phone_fields(phones):
    """The debtor's phone fields for E.164 ``phones`` (in the file's
    order): a mobile number in Mobile, a landline in Phone, by the number's
    type (phonenumbers); a number that may be either (US, Canada) takes the
    first of the two left empty; the rest go to the other phones."""
    slots = {"phone": False, "mobile": False}
    undecided, others = [], []
    for number in phones:
        try:
            kind = phonenumbers.number_type(phonenumbers.parse(number))
        except phonenumbers.NumberParseException:
            kind = None
        field = {
            phonenumbers.PhoneNumberType.MOBILE: "mobile",
            phonenumbers.PhoneNumberType.FIXED_LINE: "phone",
        }.get(kind)
        if field and not slots[field]:
            slots[field] = number
        else:
            undecided.append(number)
    for number in undecided:
        empty = next((field for field in ("phone", "mobile") if not slots[field]), None)
        if empty:
            slots[empty] = number
        else:
            others.append(number)
    return dict(slots, collection_other_phones=", ".join(others) or False)


def _vat_key(vat):
    return re.sub(r"[\s.\-/]", "", vat or "").upper()


class CollectionPortfolio(models.Model):
    _inherit = "collection.portfolio"

    import_template_id = fields.Many2one(
        "collection.import.template",
        check_company=True,
        help="Column mapping used by the folder import and proposed by the import wizard.",
    )
    import_directory = fields.Char(
        groups="base.group_system",
        help="Server folder watched by the scheduled import: every .xlsx or .csv file put there is "
        "imported into this portfolio, then moved to done/ or failed/ (with its error file). Only "
        "administrators can set it, as the server's files are moved.",
    )
    import_job_ids = fields.One2many("collection.import.job", "portfolio_id", string="Imports")
    import_count = fields.Integer(compute="_compute_import_count")
    import_mark_missing = fields.Boolean(
        "Return Missing Cases",
        help="Scheduled import: a file is the creditor's whole portfolio; open cases whose debtor is "
        "not in it are closed as returned to the creditor. A file without rows or with rejected rows "
        "returns nothing.",
    )

    def _compute_import_count(self):
        counts = dict(
            self.env["collection.import.job"]._read_group(
                [("portfolio_id", "in", self.ids)], ["portfolio_id"], ["__count"]
            )
        )
        for portfolio in self:
            portfolio.import_count = counts.get(portfolio, 0)

    def action_view_imports(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_import_job_action")
        action["domain"] = [("portfolio_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # RPC entry point
    # ------------------------------------------------------------------
    @api.model
    def import_rows(self, portfolio_id, rows, options=None):
        """Import debts into a portfolio from a list of dicts (external RPC).

        :param int portfolio_id: the external portfolio
        :param list rows: one dict per installment, keys among
            ``tools.import_parser.COLUMNS`` (partner_name, vat, partner_ref,
            street, city, state, zip, country, phone1..3, email, contacts,
            notes, debt_amount, debt_since, installment_count,
            installment_number, due_date, installment_amount,
            installment_ref, contract_ref, currency); dates as ISO strings,
            amounts as numbers or strings
        :param dict options: ``mode`` ('all' – default, nothing is written
            if a row is wrong – or 'valid'), ``mark_missing`` (bool),
            ``dry_run`` (bool), ``decimal_separator``, ``date_format``
        :return: dict with ``counts``, ``errors`` ([{row, message}]),
            ``rows`` ([{row, status, case_id, message}]; status
            ``created``, ``updated``, ``unchanged``, ``error`` with its
            message, or ``valid`` when nothing was written: a dry run, or
            errors on other rows in mode 'all'), rows numbered
            from 1 in the order given, and ``warnings`` (e.g. why no case
            was returned: ``mark_missing`` returns nothing when no row is
            given or a row is rejected)
        """
        if not isinstance(portfolio_id, int) or isinstance(portfolio_id, bool):
            raise UserError(_("The portfolio is given by its id (a whole number)."))
        portfolio = self.browse(portfolio_id).exists()
        if not portfolio:
            raise UserError(_("Portfolio %s does not exist.", portfolio_id))
        portfolio.check_access("write")
        if not isinstance(rows, list | tuple):
            raise UserError(_("The rows are a list of dictionaries, one per installment."))
        if options is not None and not isinstance(options, dict):
            raise UserError(_("The options are a dictionary."))
        unknown = sorted(set(options or {}) - set(RPC_OPTIONS), key=str)
        if unknown:
            raise UserError(
                _(
                    "Unknown import option %(options)s; the options are %(accepted)s.",
                    options=", ".join(import_parser.excerpt(str(key)) for key in unknown),
                    accepted=", ".join(RPC_OPTIONS),
                )
            )
        records, row_errors = self._import_rpc_records(rows)
        result = portfolio._import_records(records, dict(options or {}, source="rpc", _row_errors=row_errors))
        return {
            "counts": result["counts"],
            "errors": [{"row": r, "message": m} for r, m in sorted(result["errors"].items())],
            "rows": result["rows"],
            "warnings": result["warnings"],
        }

    @api.model
    def _import_rpc_records(self, rows):
        """The rows of an API call as records, and {row: [error messages]}
        for what a cell cannot hold: a row that is no dictionary, a list, a
        dictionary or other structure as a value (such cells are left
        empty). ``False`` is an empty cell, as elsewhere in Odoo."""
        records, errors = [], {}
        labels = None
        for index, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                records.append({"_row": index})
                errors[index] = [_("The row is not a dictionary of column names and values.")]
                continue
            record = dict(row, _row=index)
            records.append(record)
            # the usual row holds plain values only: one check of their types
            if set(map(type, row.values())) <= RPC_CELL_TYPES:
                continue
            for key, value in row.items():
                # other keys are not read (nor is "_row", which the row's place gives)
                if key not in import_parser.COLUMN_LABELS:
                    continue
                if value is None or type(value) in RPC_CELL_TYPES:
                    continue
                if value is False:
                    record[key] = None
                    continue
                if labels is None:
                    labels = dict(
                        self.env["collection.import.template.line"]._fields["column"]._description_selection(self.env)
                    )
                record[key] = None
                errors.setdefault(index, []).append(
                    _(
                        "%(column)s: %(value)s is not a value of a cell (text, number or date).",
                        column=labels[key],
                        value="true" if value is True else type(value).__name__,
                    )
                )
        return records, errors

    # ------------------------------------------------------------------
    # Engine
    # ------------------------------------------------------------------
    def _import_records(self, records, options=None):
        """Validate and import canonical records (dicts with ``_row``).

        Return ``{"counts": {...}, "errors": {row: message}, "rows": [...],
        "imported": bool, "warnings": [...]}``. With mode 'all' (default)
        any error means nothing is written; with 'valid' the debts with an
        error are left out (all rows of the same debtor and contract
        together). ``mark_missing`` returns the open cases whose debtor is
        not in the file only when the file has rows and none is rejected:
        otherwise it is no complete picture, and a warning says so.
        """
        self.ensure_one()
        self.check_access("write")
        if self.kind != "external":
            raise UserError(_("Files are loaded into external portfolios; internal ones follow invoices."))
        if self.state == "closed":
            raise UserError(_("The portfolio %s is closed.", self.name))
        opts = {"mode": "all", "mark_missing": False, "dry_run": False, "decimal_separator": "auto"}
        opts.update(options or {})
        opts.setdefault("date_format", "auto")
        self._import_check_options(opts)
        lookups = self._import_lookups()
        # rows found wrong before (an API call's cells that are no values)
        errors = defaultdict(list, {row: list(messages) for row, messages in opts.pop("_row_errors", {}).items()})
        progress = opts.get("progress") or (lambda done, total: None)
        lines = self._import_check_lines(records, opts, lookups, errors, progress)
        counts = dict.fromkeys(
            ("rows", "rejected", *WRITE_COUNTS),
            0,
        )
        counts["rows"] = len(records)
        flat_errors = {row: " ".join(dict.fromkeys(messages)) for row, messages in errors.items()}
        # a row without error stays "valid" when nothing is written (a check,
        # or an all-or-nothing import with errors elsewhere)
        results = RowResults(len(records))
        if flat_errors:
            for index, record in enumerate(records):
                if record["_row"] in flat_errors:
                    results.set(index, "error", message=flat_errors[record["_row"]])
        write = not opts["dry_run"] and (not flat_errors or opts["mode"] == "valid")
        if write:
            rejected_groups = {line["group"] for line in lines if line["_row"] in flat_errors}
            good = [line for line in lines if line["group"] not in rejected_groups]
            for line in lines:
                if line["group"] in rejected_groups and line["_row"] not in flat_errors:
                    flat_errors[line["_row"]] = _("Left out with the other installments of this debt.")
                    results.set(line.index, "error", message=flat_errors[line["_row"]])
            progress(len(records), 2 * len(records))
            opts["_rows_total"] = len(records)
            if opts.get("stage"):
                # a queued import writes later, chunk by chunk in transactions of their own
                opts["stage"](good, records, lines)
            else:
                self._import_write(good, opts, counts, results)
            del good
        counts["rejected"] = len(flat_errors)
        if write and opts.get("stage"):
            return {"counts": counts, "errors": flat_errors, "rows": [], "imported": True, "warnings": []}
        warnings = []
        if write:
            present = None
            if opts.get("mark_missing") and records and not flat_errors:
                present = self._import_present_case_ids(lines)
                present.update(case_id for case_id in results.case_ids if case_id)
            warnings = self._import_conclude(len(records), len(flat_errors), present, counts, opts)
        return {
            "counts": counts,
            "errors": flat_errors,
            # the import job reads no row's outcome: it asks for none
            "rows": results.as_dicts(records) if opts.get("row_results", True) else [],
            "imported": write,
            "warnings": warnings,
        }

    def _import_check_lines(self, records, opts, lookups, errors, progress=None):
        """Check and convert every record (``_import_normalize``), then
        across rows (``_import_check_groups``): the lines, the messages of
        the rows found wrong added to ``errors``."""
        lines = []
        total = 2 * len(records)
        for index, record in enumerate(records):
            if progress and index and not index % 5000:
                progress(index, total)
            line, messages = self._import_normalize(record, opts, lookups, index)
            if messages:
                errors[record["_row"]].extend(messages)
            if line:
                lines.append(line)
        # rows of one debtor that give only the creditor's reference join the
        # rows that also give the tax ID
        ref_keys = {line["partner_ref"]: line["debtor_key"] for line in lines if line["vat"] and line["partner_ref"]}
        for line in lines:
            if not line["vat"] and line["partner_ref"] in ref_keys:
                line["debtor_key"] = ref_keys[line["partner_ref"]]
                line["group"] = (line["debtor_key"], line["contract_ref"])
        self._import_check_groups(lines, errors)
        return lines

    def _import_conclude(self, rows, rejected, present, counts, opts):
        """The end of an import that wrote: the cases missing from a
        complete file returned (``present``: the cases the file names, or
        None), the import's event. Returns the warnings."""
        warnings = []
        if opts.get("mark_missing"):
            if not rows:
                warnings.append(
                    _("The file has no rows: it says nothing about the portfolio, so no case was returned.")
                )
            elif rejected:
                warnings.append(
                    _(
                        "%s rows were rejected: the file is not a complete picture of the portfolio, so no case "
                        "was returned.",
                        rejected,
                    )
                )
            elif present is not None:
                self._import_return_missing(present, counts)
        description = _(
            "Import (%(origin)s): %(rows)s rows, %(cases_created)s cases created, %(cases_updated)s "
            "updated, %(installments_created)s installments created, %(installments_updated)s updated, "
            "%(rejected)s rows rejected, %(cases_returned)s cases returned.",
            origin=opts.get("source", "file"),
            **counts,
        )
        self.env["collection.event"]._log(
            "import",
            " ".join([description, *warnings]),
            portfolio=self,
            payload=dict(counts, source=opts.get("source", "file"), warnings=warnings),
        )
        return warnings

    @api.model
    def _import_check_options(self, opts):
        """Refuse an option value the import does not know, naming the
        accepted ones."""
        for option, accepted in OPTION_VALUES.items():
            value = opts.get(option)
            # == rather than hashing: an API caller may send any structure
            if not any(value == choice and type(value) is type(choice) for choice in accepted):
                raise UserError(
                    _(
                        "The import option %(option)s cannot be %(value)s; accepted values: %(accepted)s.",
                        option=option,
                        value=import_parser.excerpt(repr(value)),
                        accepted=", ".join(repr(choice) for choice in accepted),
                    )
                )

    def _import_lookups(self):
        Country = self.env["res.country"].sudo().with_context(lang="en_US")
        countries = {}
        for country in Country.search([]):
            for key in (country.code, country.name, country.with_context(lang=self.env.lang).name):
                countries[import_parser.normalize_header(key)] = country
        states = {}
        for state in self.env["res.country.state"].sudo().search([]):
            for key in (state.code, state.name):
                states[(state.country_id.id, import_parser.normalize_header(key))] = state
        currencies = {
            c.name.upper(): c for c in self.env["res.currency"].sudo().with_context(active_test=False).search([])
        }
        column = self.env["collection.import.template.line"]._fields["column"]
        labels = dict(column._description_selection(self.env))
        return {
            "countries": countries,
            "states": states,
            "currencies": currencies,
            "labels": labels,
            # an installment amount must stay above zero once rounded to the currency
            "min_amount": Decimal(str(self.currency_id.rounding)) / 2,
        }

    def _import_normalize(self, record, opts, lookups, index=0):
        """Check and convert the row at ``index`` of the records; return
        (``ImportLine`` or None, [error messages]).

        The debtor's columns repeat on every installment row: they are
        checked once per distinct debtor (``_import_normalize_debtor``)."""
        get = import_parser.clean
        debtors = lookups.setdefault("debtors", {})
        debtor_key = tuple(map(record.get, DEBTOR_COLUMNS))
        if debtor_key not in debtors:
            raw = {key: get(value) for key, value in zip(DEBTOR_COLUMNS, debtor_key, strict=True)}
            debtors[debtor_key] = self._import_normalize_debtor(raw, lookups)
        debtor, debtor_messages = debtors[debtor_key]
        messages = list(debtor_messages)
        # cell values repeat (due dates, numbers): each distinct one is parsed once
        parsed = lookups.setdefault("parsed", {})
        parsers = lookups.get("parsers")
        if parsers is None:
            parsers = lookups["parsers"] = {
                "amount": lambda value: import_parser.parse_amount(value, opts["decimal_separator"]),
                "date": lambda value: import_parser.parse_date(value, opts["date_format"]),
                "int": import_parser.parse_int,
            }

        def parse(kind, key):
            value = record.get(key)
            cache_key = (kind, value)
            if cache_key not in parsed:
                # amounts seldom repeat: the cache is emptied rather than grown without end
                if len(parsed) >= PARSE_CACHE_SIZE:
                    parsed.clear()
                try:
                    parsed[cache_key] = (parsers[kind](value), None)
                except ParseError as exc:
                    parsed[cache_key] = (None, exc)
            result, error = parsed[cache_key]
            if error:
                label = lookups["labels"].get(key, key)
                messages.append(
                    self.env._("%(column)s: %(error)s", column=label, error=self._import_parse_message(error))
                )
            return result

        line = ImportLine(debtor, record["_row"], index)
        for key in ("installment_ref", "contract_ref"):
            value = line[key] = get(record.get(key))
            # the usual reference is short and printable: nothing more to check
            if len(value) > TEXT_LIMITS[key] or not value.isprintable():
                problem = import_parser.text_problem(value, TEXT_LIMITS[key])
                if problem:
                    messages.append(self._import_text_message(key, problem, value, lookups))
        line["date_due"] = parse("date", "due_date")
        if not line["date_due"] and not record.get("due_date"):
            messages.append(_("The due date is missing."))
        amount = parse("amount", "installment_amount")
        if amount is None and not record.get("installment_amount"):
            messages.append(_("The installment amount is missing."))
        elif amount is not None and amount <= 0:
            messages.append(_("The installment amount must be positive."))
        elif amount is not None and amount < lookups["min_amount"]:
            messages.append(
                _(
                    "The installment amount %(amount)s is zero once rounded to %(currency)s.",
                    amount=amount,
                    currency=self.currency_id.name,
                )
            )
        line["amount"] = amount
        line["debt_amount"] = parse("amount", "debt_amount")
        line["debt_since"] = parse("date", "debt_since")
        line["installment_count"] = parse("int", "installment_count")
        line["sequence"] = parse("int", "installment_number")
        currency_code = get(record.get("currency")).upper()
        if currency_code:
            currency = lookups["currencies"].get(currency_code)
            if not currency:
                messages.append(_("Unknown currency '%s'.", import_parser.excerpt(currency_code)))
            elif currency != self.currency_id:
                messages.append(
                    _(
                        "The currency %(currency)s differs from the portfolio's (%(portfolio)s).",
                        currency=currency_code,
                        portfolio=self.currency_id.name,
                    )
                )
        # one tuple per debt, shared by its rows
        group = (line["debtor_key"], line["contract_ref"])
        line["group"] = lookups.setdefault("groups", {}).setdefault(group, group)
        return line, messages

    def _import_normalize_debtor(self, raw, lookups):
        """Check and convert the debtor's columns of a row: (values,
        [error messages])."""
        messages = []
        # text too long for its column or holding control characters is
        # reported and goes through no other check
        bad = set()
        for key, value in raw.items():
            if len(value) > TEXT_LIMITS[key] or not value.isprintable():
                problem = import_parser.text_problem(value, TEXT_LIMITS[key])
                if problem:
                    messages.append(self._import_text_message(key, problem, value, lookups))
                    bad.add(key)
        line = {
            "partner_name": raw["partner_name"],
            "vat": raw["vat"],
            "partner_ref": raw["partner_ref"],
        }
        if not line["partner_name"]:
            messages.append(_("The debtor's name is missing."))
        if not line["vat"] and not line["partner_ref"]:
            messages.append(_("A tax ID or the creditor's debtor reference is needed to recognise the debtor."))
        if "company_country" not in lookups:
            lookups["company_country"] = self.company_id.country_id
        country = lookups["company_country"]
        if raw["country"]:
            country = "country" not in bad and lookups["countries"].get(import_parser.normalize_header(raw["country"]))
            if not country and "country" not in bad:
                messages.append(_("Unknown country '%s'.", import_parser.excerpt(raw["country"])))
        line["country_id"] = country.id if country and raw["country"] else False
        line["state_id"] = False
        if raw["state"] and country:
            state = lookups["states"].get((country.id, import_parser.normalize_header(raw["state"])))
            line["state_id"] = state.id if state else False
        line["state_name"] = raw["state"]
        if line["vat"] and country and "vat" not in bad:
            line["vat"], vat_error = self._import_check_vat(line["vat"], country)
            if vat_error:
                messages.append(vat_error)
        for key in ("street", "city", "zip", "contacts", "notes"):
            line[key] = raw[key]
        line["latitude"] = line["longitude"] = False
        if (raw["latitude"] or raw["longitude"]) and not {"latitude", "longitude"} & bad:
            latitude, longitude = geo.parse_coordinate(raw["latitude"]), geo.parse_coordinate(raw["longitude"])
            if latitude is None or longitude is None or not geo.has_position(latitude, longitude):
                messages.append(
                    _(
                        "'%(latitude)s, %(longitude)s' is not a position: a latitude between -90 and 90 and a "
                        "longitude between -180 and 180, both given.",
                        latitude=import_parser.excerpt(raw["latitude"]),
                        longitude=import_parser.excerpt(raw["longitude"]),
                    )
                )
            else:
                line["latitude"], line["longitude"] = latitude, longitude
        line["email"] = False
        if raw["email"] and "email" not in bad:
            line["email"] = _normalize_email(raw["email"])
            if not line["email"]:
                messages.append(_("'%s' is not an e-mail address.", import_parser.excerpt(raw["email"])))
        phones = []
        for number, key in enumerate(("phone1", "phone2", "phone3"), start=1):
            if not raw[key] or key in bad:
                continue
            formatted = _phone_e164(raw[key], country)
            if formatted:
                phones.append(formatted)
            else:
                messages.append(
                    _(
                        "Phone %(number)s '%(phone)s' is not a valid number%(country)s.",
                        number=number,
                        phone=import_parser.excerpt(raw[key]),
                        country=_(" for %s", country.name) if country else "",
                    )
                )
        line["phones"] = phones
        line["debtor_key"] = ("vat", _vat_key(line["vat"])) if line["vat"] else ("ref", line["partner_ref"])
        return ImportDebtor(line), messages

    @api.model
    def _import_parse_message(self, exc):
        """The translated wording of a ParseError."""
        value = import_parser.excerpt(exc.value)
        largest = f"{import_parser.MAX_AMOUNT - 1:,}"
        messages = {
            "encoding": _("The file is not text in a known encoding."),
            "workbook": _("The file is not a readable XLSX workbook."),
            "csv": _("The CSV file cannot be read (line %s).", value),
            "amount": _("'%s' is not an amount.", value),
            "amount_range": _(
                "'%(value)s' is too large an amount (at most %(max)s).",
                value=value,
                max=largest,
            ),
            "date": _("'%s' is not a date (expected e.g. 2026-03-31 or 31/03/2026).", value),
            "date_range": _(
                "'%(value)s' is not a date between %(min)s and %(max)s.",
                value=value,
                min=import_parser.MIN_DATE.year,
                max=import_parser.MAX_DATE.year,
            ),
            "integer": _("'%s' is not a whole number.", value),
            "integer_range": _(
                "'%(value)s' is not a whole number between 0 and %(max)s.", value=value, max=import_parser.MAX_INTEGER
            ),
        }
        return messages.get(exc.kind, str(exc))

    @api.model
    def _import_text_message(self, key, problem, value, lookups):
        """The translated wording of a ``text_problem`` of a column."""
        label = lookups["labels"].get(key, key)
        if problem == "length":
            return _(
                "%(column)s: %(length)s characters, more than the %(limit)s accepted.",
                column=label,
                length=len(value),
                limit=TEXT_LIMITS[key],
            )
        return _(
            "%(column)s: '%(value)s' holds control characters, which cannot be stored.",
            column=label,
            value=import_parser.excerpt(value),
        )

    @api.model
    def _import_check_vat(self, vat, country):
        """Compact and check a debtor's national ID: valid when any personal
        or company number format python-stdnum knows for the country accepts
        it (``tools.national_id``); kept as given for a country it does not
        know. Return (value to store, error message or None)."""
        value, _id_format, tried = national_id.check(vat, country.code)
        if tried:
            return vat, _(
                "Tax ID '%(vat)s' is not valid for %(country)s. Formats tried: %(formats)s.",
                vat=vat,
                country=country.name,
                formats=", ".join(tried),
            )
        return value, None

    def _import_check_groups(self, lines, errors):
        """Checks across rows: duplicate references, installments that do not
        add up to the amount owed, a wrong number of installments. Done
        debtor by debtor: what is compared lives only while its debtor is
        checked."""
        lines_of = defaultdict(list)
        for line in lines:
            lines_of[line["debtor_key"]].append(line)
        for debtor_lines in lines_of.values():
            self._import_check_debtor(debtor_lines, errors)

    def _import_check_debtor(self, lines, errors):
        """``_import_check_groups`` on the lines of one debtor."""
        seen_refs = {}
        seen_dates = {}
        duplicates = set()
        groups = defaultdict(list)
        for line in lines:
            if line["installment_ref"]:
                key = line["installment_ref"]
                if key in seen_refs:
                    duplicates.add(line["_row"])
                    errors[line["_row"]].append(
                        _(
                            "The installment reference %(ref)s is already on row %(row)s.",
                            ref=import_parser.excerpt(line["installment_ref"]),
                            row=seen_refs[key],
                        )
                    )
                else:
                    seen_refs[key] = line["_row"]
            elif line["date_due"]:
                key = (line["group"], line["date_due"], line["sequence"])
                if key in seen_dates:
                    duplicates.add(line["_row"])
                    errors[line["_row"]].append(
                        _("The same installment (due date and number) is already on row %s.", seen_dates[key])
                    )
                else:
                    seen_dates[key] = line["_row"]
        for line in lines:
            if line["_row"] in duplicates or line["amount"] is None:
                continue
            groups[line["group"]].append(line)
        currency = self.currency_id
        for group_lines in groups.values():
            declared = {line["debt_amount"] for line in group_lines if line["debt_amount"] is not None}
            total = sum((line["amount"] or Decimal(0)) for line in group_lines)
            rows = ", ".join(str(line["_row"]) for line in group_lines)
            if len(declared) > 1:
                for line in group_lines:
                    errors[line["_row"]].append(_("Rows %s give different amounts owed for the same debt.", rows))
            elif declared:
                owed = declared.pop()
                if currency.compare_amounts(float(total), float(owed)) != 0:
                    for line in group_lines:
                        errors[line["_row"]].append(
                            _(
                                "The installments (rows %(rows)s) add up to %(total)s but the amount owed is %(owed)s.",
                                rows=rows,
                                total=total,
                                owed=owed,
                            )
                        )
            counts = {line["installment_count"] for line in group_lines if line["installment_count"]}
            if counts and counts != {len(group_lines)}:
                for line in group_lines:
                    errors[line["_row"]].append(
                        _(
                            "The file has %(found)s installments for this debt (rows %(rows)s) but announces "
                            "%(count)s.",
                            found=len(group_lines),
                            rows=rows,
                            count=", ".join(str(c) for c in sorted(counts)),
                        )
                    )
            # installments without a number are numbered by due date within their debt
            if any(line["sequence"] is None for line in group_lines):
                # a row whose due date did not parse (rejected) sorts last
                by_date = sorted(
                    group_lines, key=lambda x: (x["date_due"] is None, x["date_due"] or date.min, x["_row"])
                )
                for index, line in enumerate(by_date, 1):
                    if line["sequence"] is None:
                        line["sequence"] = index
            for line in group_lines:
                line["group_size"] = len(group_lines)

    def _import_write(self, lines, opts, counts, results):
        """Match and write the validated lines, by chunks of
        ``WRITE_CHUNK_DEBTORS`` debtors (their partners, cases and
        installments, then the next): what a chunk prepares is freed before
        the next, so a file of hundreds of thousands of rows needs no more
        memory than its lines. All is checked before the first chunk; the
        chunks are one transaction."""
        if not lines:
            return
        chunks = chunks_by(lines, lambda line: line["debtor_key"], WRITE_CHUNK_DEBTORS)
        progress = opts.get("progress") or (lambda done, total: None)
        rows = opts.get("_rows_total") or len(lines)
        # cases created by an earlier chunk are not counted as updated by a later one
        state = {"created": set(), "updated": set()}
        done = 0
        while chunks:
            chunk = chunks.pop(0)
            self._import_write_chunk(chunk, counts, results, state)
            done += len(chunk)
            del chunk
            if chunks:
                # what the chunk read through the ORM leaves the cache
                self.env.flush_all()
                self.env.invalidate_all()
            progress(rows + rows * done // len(lines), 2 * rows)
        counts["cases_updated"] = len(state["updated"] - state["created"])
        self._import_zone_cases(any(line["latitude"] for line in lines))

    def _import_zone_cases(self, placed):
        """Zones drawn as areas take the debtors the file placed in them
        (``placed``: some row gave a position)."""
        if placed and self.env["collection.zone"]._areas(self.company_id.ids):
            self.env.flush_all()
            cases = self.env["collection.case"].sudo().search([("portfolio_id", "=", self.id), ("state", "=", "open")])
            self.env["collection.case"].sudo()._assign_zones(self.company_id, case_ids=cases.ids)

    def _import_write_staged(self, records, opts, lookups=None):
        """Write one staged part of a queued import: its checked lines
        (``stage_lines``), or — a part staged as the file's cells, before
        lines were staged — its records checked again (every debtor's rows
        are in the same part, all found valid when the file was checked).
        Returns (counts, ids of the cases the rows went to, cases created,
        cases that existed and received rows)."""
        # what may have changed since the file was checked: the portfolio, the user's rights
        self.check_access("write")
        if self.state == "closed":
            raise UserError(_("The portfolio %s is closed.", self.name))
        if isinstance(records, dict) and records.get("format") == STAGED_FORMAT:
            lines = unstage_lines(records)
        else:
            lookups = {
                key: value
                for key, value in (lookups or self._import_lookups()).items()
                if key in ("countries", "states", "currencies", "labels", "min_amount")
            }
            errors = defaultdict(list)
            lines = self._import_check_lines(records, opts, lookups, errors)
            if errors:
                # the data changed since the file was checked (a currency archived...): the part is not written
                row, messages = min(errors.items())
                raise UserError(_("Row %(row)s: %(message)s", row=row, message=" ".join(messages)))
        counts = dict.fromkeys(WRITE_COUNTS, 0)
        results = RowResults(len(lines))
        state = {"created": set(), "updated": set()}
        self._import_write_chunk(lines, counts, results, state)
        case_ids = sorted({case_id for case_id in results.case_ids if case_id})
        return counts, case_ids, sorted(state["created"]), sorted(state["updated"])

    def _import_write_chunk(self, lines, counts, results, state):
        """Match and write the lines of a chunk of debtors."""
        env = self.env(context=dict(self.env.context, **IMPORT_CONTEXT))
        Partner = env["res.partner"].sudo()
        Case = env["collection.case"].sudo()
        Installment = env["collection.installment"].sudo()
        currency = self.currency_id
        # -------- debtors
        debtors = {}
        for line in lines:
            debtors.setdefault(line["debtor_key"], line)
        vat_keys = [key[1] for key in debtors if key[0] == "vat"]
        partner_by_key = {}
        if vat_keys:
            vats = {debtors[("vat", k)]["vat"] for k in vat_keys} | set(vat_keys)
            for partner in Partner.with_context(active_test=False).search_fetch(
                [("vat", "in", list(vats))], ["vat", "commercial_partner_id"], order="id"
            ):
                partner_by_key.setdefault(("vat", _vat_key(partner.vat)), partner.commercial_partner_id)
        refs = [key[1] for key in debtors if key[0] == "ref"]
        if refs:
            creditor_cases = Case.search_fetch(
                [
                    ("external_ref", "in", refs),
                    "|",
                    ("portfolio_id", "=", self.id),
                    ("portfolio_id.creditor_id", "=", self.creditor_id.id or 0),
                ],
                ["external_ref", "partner_id"],
                order="id",
            )
            for case in creditor_cases:
                partner_by_key.setdefault(("ref", case.external_ref), case.partner_id)
        missing = [key for key in debtors if key not in partner_by_key]
        # known debtors: fill what is empty
        self._import_fill_partners([(partner, debtors[key]) for key, partner in partner_by_key.items()])
        # new debtors: ids drawn now, rows copied below with the cases and installments
        new_partners_ids = self._next_ids("res.partner", len(missing)) if missing else []
        partner_by_key.update(zip(missing, Partner.browse(new_partners_ids), strict=True))
        counts["partners_created"] += len(missing)
        # -------- cases
        pid_of = {key: partner.id for key, partner in partner_by_key.items()}
        partner_ids = set(pid_of.values())
        known_partner_ids = partner_ids - set(new_partners_ids)
        case_by_partner = {
            case.partner_id.id: case
            for case in Case.search([("portfolio_id", "=", self.id), ("partner_id", "in", list(known_partner_ids))])
        }
        new_partners = {}
        for key, line in debtors.items():
            partner_id = pid_of[key]
            if partner_id not in case_by_partner and partner_id not in new_partners:
                new_partners[partner_id] = line
        lines_of = defaultdict(list)
        for line in lines:
            lines_of[pid_of[line["debtor_key"]]].append(line)
        items = list(new_partners.items())
        round_amount = amount_rounder(currency)
        # new cases: references and ids drawn now, rows copied below
        case_names = Case._next_names(len(items))
        new_case_ids = self._next_ids("collection.case", len(items)) if items else []
        case_by_partner.update(zip((partner_id for partner_id, _line in items), Case.browse(new_case_ids), strict=True))
        counts["cases_created"] += len(items)
        created_case_ids = set(new_case_ids)
        updated_cases = set()
        reopen = Case.browse()
        for key, line in debtors.items():
            case = case_by_partner[pid_of[key]]
            if case.id in created_case_ids:
                continue
            vals = {}
            if line["partner_ref"] and case.external_ref != line["partner_ref"]:
                vals["external_ref"] = line["partner_ref"]
            if line["debt_since"] and case.date_debt_since != line["debt_since"]:
                vals["date_debt_since"] = line["debt_since"]
            if line["contacts"] and case.contact_persons != line["contacts"]:
                vals["contact_persons"] = line["contacts"]
            if vals:
                case.write(vals)
                updated_cases.add(case.id)
            if case.state == "closed" and case.close_reason == "returned":
                reopen |= case
        if reopen:
            reopen.write({"state": "open", "close_reason": False, "date_closed": False})
            reopen._compute_stage_id()
            updated_cases.update(reopen.ids)
            self.env["collection.event"]._log(
                "case_reopen", _("Case reopened: back in the creditor's file."), cases=reopen
            )
        # -------- installments
        case_ids = [case.id for case in case_by_partner.values()]
        by_ref, by_date = {}, {}
        # the installments of the existing cases, read as plain rows: a file
        # sent again matches hundreds of thousands of them
        Installment.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT id, case_id, external_ref, date_due, sequence, amount, amount_paid, contract_ref
                     FROM collection_installment WHERE case_id = ANY(%s)""",
                sorted(set(case_ids) - created_case_ids),
            )
        )
        for inst in map(ExistingInstallment._make, self.env.cr.fetchall()):
            if inst.external_ref:
                by_ref[(inst.case_id, inst.external_ref)] = inst
            by_date[(inst.case_id, inst.contract_ref or "", inst.date_due, inst.sequence)] = inst
        to_create = []
        default_label = _("Installment")
        for line in lines:
            partner_id = pid_of[line["debtor_key"]]
            case = case_by_partner[partner_id]
            index = line.index
            amount = round_amount(line["amount"])
            inst = (
                by_ref.get((case.id, line["installment_ref"]))
                if line["installment_ref"]
                else by_date.get((case.id, line["contract_ref"], line["date_due"], line["sequence"]))
            )
            if not inst:
                to_create.append(
                    {
                        "case_id": case.id,
                        "partner_id": partner_id,
                        "name": self._import_installment_name(line, default_label),
                        "sequence": line["sequence"],
                        "date_due": line["date_due"],
                        "amount": amount,
                        "external_ref": line["installment_ref"] or False,
                        "contract_ref": line["contract_ref"] or False,
                    }
                )
                results.set(index, "created", case.id)
                continue
            vals = {}
            if currency.compare_amounts(float(inst.amount), amount) != 0:
                if currency.compare_amounts(float(inst.amount_paid), amount) > 0:
                    results.set(
                        index,
                        "error",
                        case.id,
                        message=_(
                            "Installment %(name)s was already paid %(paid)s, more than the new amount %(amount)s; "
                            "left unchanged.",
                            name=Installment.browse(inst.id).display_name,
                            paid=float(inst.amount_paid),
                            amount=amount,
                        ),
                    )
                    continue
                vals["amount"] = amount
            if inst.date_due != line["date_due"]:
                vals["date_due"] = line["date_due"]
            if (inst.contract_ref or "") != line["contract_ref"]:
                vals["contract_ref"] = line["contract_ref"] or False
            if vals:
                Installment.browse(inst.id).write(vals)
                counts["installments_updated"] += 1
                updated_cases.add(case.id)
                results.set(index, "updated", case.id)
            else:
                counts["installments_unchanged"] += 1
                results.set(index, "unchanged", case.id)
        installment_ids = self._next_ids("collection.installment", len(to_create)) if to_create else []
        figure_context = self._case_figure_context()
        # what the rows below read from the portfolio is in the cache before the pipe starts
        self.read(["team_id", "kind", "company_id", "currency_id"])
        self.env.flush_all()
        # -------- writing: debtors, cases and installments are copied by a
        # CopyPipe while the next rows are prepared; no query until drained
        pipe = CopyPipe(self.env.cr)
        try:
            if missing:
                columns, partner_rows = self._import_partner_copy(
                    [self._import_partner_vals(debtors[key]) for key in missing], new_partners_ids
                )
                self._bulk_copy("res.partner", columns, partner_rows, ids=new_partners_ids, pipe=pipe)
                del partner_rows
            if items:
                amounts = {
                    partner_id: [
                        {"amount": amount, "paid": 0.0, "residual": amount, "date_due": line["date_due"]}
                        for line in lines_of[partner_id]
                        for amount in [round_amount(line["amount"])]
                    ]
                    for partner_id, _line in items
                }
                figures = self._new_case_figures(
                    amounts,
                    {pid: (line["country_id"], line["state_id"], line["city"], line["zip"]) for pid, line in items},
                    figure_context,
                )
                self._bulk_insert_cases(items, figures, names=case_names, ids=new_case_ids, pipe=pipe)
                del amounts, figures
            step = WRITE_BATCH * 50
            for start in range(0, len(to_create), step):
                self._bulk_insert_installments(
                    to_create[start : start + step], ids=installment_ids[start : start + step], pipe=pipe
                )
        finally:
            pipe.drain()
        if missing:
            self._import_partners_computed(Partner.browse(new_partners_ids))
        # the new cases were inserted with their final figures; existing cases
        # that received installments are recomputed (the installments changed
        # above went through the ORM, which recomputes their cases itself)
        received = {vals["case_id"] for vals in to_create}
        self._recompute_cases(Case.browse(sorted(received - created_case_ids)))
        Case.browse(sorted(created_case_ids))._inherit_promise_stats()
        counts["installments_created"] += len(to_create)
        updated_cases.update(received)
        state["created"].update(created_case_ids)
        state["updated"].update(updated_cases)

    def _import_present_case_ids(self, lines):
        """The open cases of the portfolio whose debtor is in the file, on a
        valid row or not, recognised by the keys the import matches debtors
        with: the tax ID (as written and compacted) and the creditor's
        reference."""
        vats, refs = set(), set()
        for line in lines:
            if line["vat"]:
                vats.update((line["vat"], _vat_key(line["vat"])))
            if line["partner_ref"]:
                refs.add(line["partner_ref"])
        Case = self.env["collection.case"].sudo()
        domains = []
        if vats:
            Partner = self.env["res.partner"].sudo().with_context(active_test=False)
            partners = Partner.search([("vat", "in", list(vats))])
            domains.append([("partner_id", "in", (partners | partners.commercial_partner_id).ids)])
        if refs:
            domains.append([("external_ref", "in", list(refs))])
        if not domains:
            return set()
        domain = expression.AND([[("portfolio_id", "=", self.id), ("state", "=", "open")], expression.OR(domains)])
        return set(Case.search(domain).ids)

    def _import_return_missing(self, present_case_ids, counts):
        """Close as returned to the creditor the open cases of the portfolio
        that are not in the file. Only for a complete file (rows, none
        rejected): ``_import_records`` decides."""
        missing = (
            self.env["collection.case"]
            .sudo()
            .search([("portfolio_id", "=", self.id), ("state", "=", "open"), ("id", "not in", list(present_case_ids))])
        )
        if missing:
            missing._close("returned", _("Not in the creditor's latest file."))
        counts["cases_returned"] = len(missing)

    def _import_partner_copy(self, vals_list, ids):
        """(columns, rows) that insert new debtors with COPY under ``ids``:
        the model's defaults (computed once), the given values converted to
        columns by their fields, and the stored computed fields the import
        knows (commercial partner, complete name, normalised e-mail and
        phone). The others (added by other modules) are computed afterwards
        by ``_import_partners_computed``."""
        Partner = self.env["res.partner"].sudo().with_context(**IMPORT_CONTEXT)
        defaults = Partner.default_get(list(Partner._fields))
        names = [
            name
            for name, field in Partner._fields.items()
            if field.store
            and field.column_type
            and not field.compute
            and not field.company_dependent
            and name not in models.LOG_ACCESS_COLUMNS
            and name != "id"
            and (name in defaults or any(name in vals for vals in vals_list))
        ]
        fields_ = [Partner._fields[name] for name in names]
        # a default nobody overrides is converted once for all the debtors
        given = {name for vals in vals_list for name in vals}
        constant = {
            name: field.convert_to_column_insert(defaults.get(name), Partner, defaults)
            for name, field in zip(names, fields_, strict=True)
            if name not in given
        }
        rows = []
        # each debtor is its own commercial partner
        for partner_id, vals in zip(ids, vals_list, strict=True):
            merged = {**defaults, **vals}
            row = [
                constant[name]
                if name in constant
                else field.convert_to_column_insert(merged.get(name), Partner, merged)
                for name, field in zip(names, fields_, strict=True)
            ]
            row += [
                partner_id,
                merged.get("name"),
                _normalize_email(merged["email"]) if merged.get("email") else None,
                merged.get("mobile") or merged.get("phone") or None,
                True,
            ]
            rows.append(row)
        columns = [
            *names,
            "commercial_partner_id",
            "complete_name",
            "email_normalized",
            "phone_sanitized",
            "partner_share",
        ]
        return columns, rows

    def _import_partners_computed(self, partners):
        """The stored computed fields of new debtors the import does not set
        itself, computed once per distinct set of inputs
        (``_bulk_compute_stored``)."""
        Partner = partners.env["res.partner"].sudo().with_context(**IMPORT_CONTEXT)
        partners = Partner.browse(partners.ids)
        partners.invalidate_recordset()
        self.with_env(Partner.env)._bulk_compute_stored(
            partners,
            [
                field
                for name, field in Partner._fields.items()
                if field.store and field.compute and field.column_type and name not in PARTNER_FIELDS_SET
            ],
        )

    def _import_partner_vals(self, line):
        phones = line["phones"]
        return {
            "name": line["partner_name"],
            "vat": line["vat"] or False,
            "street": line["street"] or False,
            "city": line["city"] or False,
            "zip": line["zip"] or False,
            "state_id": line["state_id"],
            "country_id": line["country_id"],
            "email": line["email"] or False,
            "partner_latitude": line["latitude"] or False,
            "partner_longitude": line["longitude"] or False,
            **_phone_fields(phones),
        }

    def _import_fill_partners(self, pairs):
        """Existing debtors: fill what is empty, never overwrite what is there
        (a collector may have corrected it, or another creditor sent it)."""
        for partner, line in pairs:
            new = self._import_partner_vals(line)
            vals = {}
            for field in ("street", "city", "zip", "state_id", "country_id", "email", "vat"):
                if new[field] and not partner[field]:
                    vals[field] = new[field]
            # a position the debtor lacks (the import's own: kept in the position history)
            if new["partner_latitude"] and not geo.has_position(partner.partner_latitude, partner.partner_longitude):
                vals["partner_latitude"] = new["partner_latitude"]
                vals["partner_longitude"] = new["partner_longitude"]
            known = {p for p in (partner.phone, partner.mobile) if p}
            known.update(p.strip() for p in (partner.collection_other_phones or "").split(",") if p.strip())
            extra = [p for p in line["phones"] if p not in known]
            # a new number goes to the empty field of its type (mobile or landline), else to the other phones
            typed = _phone_fields(extra)
            for field in ("phone", "mobile"):
                if typed[field] and not partner[field]:
                    vals[field] = typed[field]
                    extra.remove(typed[field])
            if extra:
                vals["collection_other_phones"] = ", ".join(filter(None, [partner.collection_other_phones] + extra))
            if vals:
                partner.with_context(collection_location_source="import").write(vals)

    @api.model
    def _import_installment_name(self, line, default_label=None):
        label = line["contract_ref"] or default_label or _("Installment")
        return f"{label} {line['sequence']}/{line['group_size']}"

    # ------------------------------------------------------------------
    # Files
    # ------------------------------------------------------------------
    @api.model
    def _import_read_file(self, data, filename, mapping=None):
        """Read a creditor file into (records, headers, info).

        ``mapping`` maps file headers to column keys (a template), completed
        by the built-in English and Spanish header names. A workbook with a
        debtor sheet and an installment sheet is joined on the tax ID or the
        creditor's debtor reference.
        """
        try:
            return self._import_read_file_raw(data, filename, mapping)
        except ParseError as exc:
            raise UserError(_("The file cannot be read: %s", self._import_parse_message(exc))) from exc

    @api.model
    def _import_read_file_raw(self, data, filename, mapping=None):
        info = {}
        if import_parser.is_xlsx(data, filename):
            sheets = import_parser.read_xlsx(data)
            if not sheets:
                raise UserError(_("The workbook is empty."))
            (headers, rows), debtor_sheet = import_parser.split_workbook(sheets)
            info["format"] = "xlsx"
        else:
            rows, info = import_parser.read_csv(data)
            if not rows:
                raise UserError(_("The file is empty."))
            headers, rows, debtor_sheet = [import_parser.clean(h) for h in rows[0]], rows[1:], None
            info["format"] = "csv"
        column_map = import_parser.match_headers(headers, mapping)
        records = import_parser.rows_to_records(rows, column_map)
        if debtor_sheet:
            d_headers, d_rows = debtor_sheet
            d_records = import_parser.rows_to_records(d_rows, import_parser.match_headers(d_headers, mapping))
            by_key = {}
            for debtor in d_records:
                for key in ("vat", "partner_ref"):
                    value = import_parser.clean(debtor.get(key))
                    if value:
                        by_key.setdefault((key, value), debtor)
            for record in records:
                debtor = by_key.get(("vat", import_parser.clean(record.get("vat")))) or by_key.get(
                    ("partner_ref", import_parser.clean(record.get("partner_ref")))
                )
                if debtor:
                    for key in import_parser.DEBTOR_COLUMNS:
                        if not import_parser.clean(record.get(key)) and debtor.get(key) not in (None, ""):
                            record[key] = debtor[key]
            info["debtor_sheet"] = True
        info["column_map"] = column_map
        return records, headers, info
