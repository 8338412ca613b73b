"""Set-based writes shared by the portfolio import and the invoice sync.

New cases and installments are written with PostgreSQL's COPY, every stored
column set by the same formulas as the models' computes (``tools/aging.py``,
automatic stages, zones), so that loading a 400 000-row file or 50 000
invoices does not pay the ORM's per-record work. Cases that already existed
are recomputed by the ORM in one batch."""

import io
import json
import queue
import threading
from collections import defaultdict
from decimal import ROUND_HALF_UP
from decimal import Decimal

from psycopg2.extras import Json

from odoo import fields
from odoo import models
from odoo.tools import SQL
from odoo.tools import plaintext2html

from ..tools import aging
from ..tools import scoring
from ..tools import zones as zone_tools
from .collection_case import AUTO_STAGE_CODES
from .collection_portfolio import BULK_CONTEXT

# NULL in COPY's text format, and what a text value has escaped there
NULL_COPY = "\\N"
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# the stored fields of a case computed from its installments
CASE_COMPUTED_FIELDS = (
    "amount_total",
    "amount_paid",
    "amount_residual",
    "company_rate",
    "amount_residual_company",
    "amount_overdue",
    "date_oldest_due",
    "days_overdue",
    "aging_bucket",
    "priority_score",
    "state",
    "close_reason",
    "date_closed",
    "stage_id",
    "zone_id",
    "next_promise_date",
    "next_promise_amount",
    "amount_disputed",
    "next_activity_date",
    "work_tier",
)
INSTALLMENT_COLUMNS = (
    "case_id",
    "portfolio_id",
    "company_id",
    "currency_id",
    "partner_id",
    "sequence",
    "name",
    "external_ref",
    "contract_ref",
    "move_line_id",
    "move_id",
    "date_due",
    "date_aging",
    "amount",
    "amount_paid",
    "amount_residual",
    "amount_written_off",
    "state",
    "is_disputed",
)


class CopyPipe:
    """COPY statements run in order on the transaction's connection by a
    thread of their own, while the caller prepares the next ones: psycopg2
    lets go of the GIL while PostgreSQL inserts and checks the rows, so
    Python and the database work at the same time.

    Between the first ``submit`` and ``drain`` the caller must not use the
    cursor (every read and id draw comes first; libpq refuses a second
    command during a COPY). ``drain`` waits for the last COPY and raises
    the first error met, after which nothing else was copied."""

    def __init__(self, cr):
        self._cursor = cr._obj
        self._queue = queue.SimpleQueue()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="collection-copy", daemon=True)
        self._thread.start()

    def _run(self):
        while (item := self._queue.get()) is not None:
            statement, buffer, size = item
            if self._error is None:
                try:
                    # the whole buffer in one read: the thread takes the GIL once per statement
                    self._cursor.copy_expert(statement, buffer, size=size)
                except Exception as error:  # noqa: BLE001 - raised again by drain()
                    self._error = error

    def submit(self, statement, buffer):
        """Queue a COPY of ``buffer`` (as written, not yet rewound)."""
        size = max(buffer.tell(), 8192)
        buffer.seek(0)
        self._queue.put((statement, buffer, size))

    def drain(self):
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def _copy_value(value):
    """A value as COPY's text format reads it: ``\\N`` for None, JSON for
    jsonb, text with its backslashes, tabs, newlines and carriage returns
    escaped (a cell holding ``\\N`` or ``\\.`` stays that text)."""
    if value is None:
        return NULL_COPY
    if not isinstance(value, str):
        if isinstance(value, Json):
            value = json.dumps(value.adapted)
        elif isinstance(value, dict):
            value = json.dumps(value)
        else:
            # numbers, booleans, dates: their str() is what PostgreSQL reads
            return str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(COPY_ESCAPES)
    return value


def amount_rounder(currency):
    """A function rounding a Decimal amount to the currency: exactly, half
    up, when the currency rounds to decimal places (the usual case);
    through ``currency.round`` otherwise (e.g. to 0.05)."""
    quantum = Decimal(1).scaleb(-currency.decimal_places)
    if currency.compare_amounts(currency.rounding, float(quantum)) == 0:
        return lambda amount: float(Decimal(amount).quantize(quantum, ROUND_HALF_UP))
    return lambda amount: currency.round(float(amount))


class CollectionPortfolio(models.Model):
    _inherit = "collection.portfolio"

    def _next_ids(self, model_name, count):
        """``count`` new ids drawn from the table's sequence."""
        table = self.env[model_name]._table
        self.env.cr.execute(SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"{table}_id_seq", count))
        return [row[0] for row in self.env.cr.fetchall()]

    def _bulk_copy(self, model_name, columns, rows, ids=None, pipe=None):
        """Insert ``rows`` (plain Python values of ``columns``, or values
        converted by the fields' ``convert_to_column_insert``) with
        PostgreSQL's COPY, the ids drawn from the table's sequence first
        unless given. With a ``CopyPipe`` the COPY is handed to it (the ids
        must be given and the ORM flushed before). Returns the new ids, in
        the order of the rows."""
        if not rows:
            return []
        if pipe is None:
            self.env.flush_all()
            ids = ids or self._next_ids(model_name, len(rows))
        table = self.env[model_name]._table
        uid, now = self.env.uid, fields.Datetime.now()
        buffer = io.StringIO()
        write = buffer.write
        tail = f"\t{uid}\t{now}\t{uid}\t{now}\n"
        for record_id, row in zip(ids, rows, strict=True):
            write(f"{record_id}\t")
            write("\t".join(map(_copy_value, row)))
            write(tail)
        names = ", ".join(
            ["id", *(f'"{name}"' for name in columns), "create_uid", "create_date", "write_uid", "write_date"]
        )
        # the text format: tab-separated, NULL as \N
        statement = f"COPY {table} ({names}) FROM STDIN"
        if pipe is None:
            buffer.seek(0)
            self.env.cr._obj.copy_expert(statement, buffer)
        else:
            pipe.submit(statement, buffer)
        return ids

    def _bulk_compute_stored(self, records, fields_):
        """Compute the stored computed ``fields_`` of ``records`` just
        inserted in SQL (their columns still empty), once per distinct set of
        inputs: records whose dependencies hold the same values compute the
        same values (what the ORM's own recomputation relies on), so the ORM
        computes one record of each group and the others get its values in
        one UPDATE per group, none when they stay empty. A field without
        declared dependencies is computed for every record."""
        if not records or not fields_:
            return
        model = records.browse()
        if not any(model.pool.field_depends[field] for field in fields_):
            for field in fields_:
                self.env.add_to_compute(field, records)
            self.env.flush_all()
            return
        table = model._table
        outputs = {field.name for field in fields_}
        per_record = [field for field in fields_ if not model.pool.field_depends[field]]
        grouped = [field for field in fields_ if model.pool.field_depends[field]]
        # a dependency is keyed on the column it starts from (a related
        # field on the column it follows): equal columns, equal values down
        # the path; a dependency without such a column is read by the ORM
        columns, others = set(), set()
        for field in grouped:
            for path in model.pool.field_depends[field]:
                first = model._fields[path.split(".")[0]]
                while first.related and not first.store:
                    first = model._fields[first.related.split(".")[0]]
                if first.name in outputs:
                    continue
                if first.store and first.column_type:
                    columns.add(first.name)
                else:
                    others.add(path)
        columns, others = sorted(columns), sorted(others)
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM %s WHERE id = ANY(%s)",
                SQL(", ").join(SQL.identifier(name) for name in ["id", *columns]),
                SQL.identifier(table),
                records.ids,
            )
        )
        groups = defaultdict(list)
        for row in self.env.cr.fetchall():
            # translated (jsonb) values are keyed by their text
            key = tuple(str(v) if isinstance(v, dict | list) else v for v in row[1:])
            if others:
                record = records.browse(row[0])
                key += tuple(str(record.mapped(path)) for path in others)
            groups[key].append(row[0])
        leaders = model.browse([ids[0] for ids in groups.values()])
        for field in grouped:
            self.env.add_to_compute(field, leaders)
        for field in per_record:
            self.env.add_to_compute(field, records)
        self.env.flush_all()
        columns = [field.name for field in grouped]
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM %s WHERE id = ANY(%s)",
                SQL(", ").join(SQL.identifier(name) for name in columns),
                SQL.identifier(table),
                leaders.ids,
            )
        )
        computed = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for ids in groups.values():
            values = computed[ids[0]]
            if len(ids) == 1 or all(v is None for v in values):
                continue
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s WHERE id = ANY(%s)",
                    SQL.identifier(table),
                    SQL(", ").join(
                        SQL("%s = %s", SQL.identifier(name), Json(v) if isinstance(v, dict) else v)
                        for name, v in zip(columns, values, strict=True)
                    ),
                    ids[1:],
                )
            )
        records.invalidate_recordset(columns)

    def _case_figure_context(self):
        """What ``_new_case_figures`` reads from the database: today, the
        automatic stages' thresholds and the zone criteria of the company."""
        currency = self.currency_id
        currency.read(["rounding", "decimal_places"])
        stages = self.env["collection.stage"].search(
            [("code", "in", AUTO_STAGE_CODES), ("company_id", "in", [False, self.company_id.id])]
        )
        return {
            "today": fields.Date.context_today(self),
            "thresholds": sorted((stage.min_days_overdue, stage.sequence, stage.id) for stage in stages),
            "criteria": self.env["collection.zone"]._criteria(self.company_id.ids).get(self.company_id.id),
            "rules": self.env["collection.score.rule"]._rules_of(self.company_id.ids)[self.company_id.id],
        }

    def _new_case_figures(self, items_by_partner, address_of, context=None):
        """{partner id: figures} of new cases of this portfolio.

        ``items_by_partner`` maps a partner to its installments as dicts
        with ``amount``, ``paid``, ``residual`` (rounded floats) and
        ``date_due``, at least one of them open; ``address_of`` maps it to
        (country id, state id, city, zip) for the zone. The same formulas as
        the case's computes for a case without credit, dispute nor promise:
        totals over every installment, balance, overdue amount and aging
        over the open ones. ``context`` (``_case_figure_context``) is read
        here when not given."""
        context = context or self._case_figure_context()
        today, thresholds, criteria = context["today"], context["thresholds"], context["criteria"]
        rules = context["rules"]
        currency = self.currency_id
        figures = {}
        for partner_id, items in items_by_partner.items():
            open_items = [item for item in items if currency.compare_amounts(item["residual"], 0.0) > 0]
            residual = currency.round(sum(item["residual"] for item in open_items))
            oldest = min(item["date_due"] for item in open_items)
            days = aging.days_overdue(oldest, today)
            stage_id = thresholds[0][2] if thresholds else None
            for threshold, _sequence, candidate in thresholds:
                if days >= threshold:
                    stage_id = candidate
            zone_id = None
            if criteria:
                country_id, state_id, city, zip_code = address_of[partner_id]
                zone_id = zone_tools.best_zone(criteria, country_id or None, state_id or None, city, zip_code)
            figures[partner_id] = {
                "total": currency.round(sum(item["amount"] for item in items)),
                "paid": currency.round(sum(item["paid"] for item in items)),
                "residual": residual,
                "overdue": currency.round(sum(item["residual"] for item in open_items if item["date_due"] < today)),
                "oldest": oldest,
                "days": days,
                "bucket": aging.aging_bucket(days if oldest < today else 0),
                "score": scoring.score(
                    rules,
                    {"days_overdue": days, "balance": residual, "days_since_contact": scoring.NEVER_CONTACTED_DAYS},
                ),
                "stage_id": stage_id,
                "zone_id": zone_id or None,
            }
        return figures

    def _bulk_insert_cases(self, chunk, figures, names=None, ids=None, pipe=None):
        """Create open cases of this portfolio: ``chunk`` is [(partner id,
        extra)] where ``extra`` may give ``partner_ref``, ``debt_since``,
        ``contacts`` and ``notes``; ``figures`` comes from
        ``_new_case_figures``; ``names`` and ``ids`` are drawn here when not
        given (they must be with a ``pipe``). Returns the cases, in the order
        of the chunk."""
        Case = self.env["collection.case"]
        names = names or Case._next_names(len(chunk))
        columns = [
            "name", "portfolio_id", "company_id", "currency_id", "kind", "partner_id", "team_id", "external_ref",
            "date_debt_since", "contact_persons", "note", "state", "amount_total", "amount_paid", "amount_residual",
            "amount_overdue", "amount_credit", "amount_disputed", "date_oldest_due", "days_overdue",
            "priority_score", "aging_bucket", "stage_id", "zone_id", "work_tier", "broken_promise_count",
            "promise_judged_count", "promise_kept_rate", "company_rate", "amount_residual_company",
        ]  # fmt: skip
        portfolio_id, company_id, currency_id = self.id, self.company_id.id, self.currency_id.id
        team_id = self.team_id.id or None
        rate = Case._company_rate(self.currency_id, self.company_id, fields.Date.context_today(self))
        company_currency = self.company_id.currency_id
        rows = []
        for name, (partner_id, extra) in zip(names, chunk, strict=True):
            fig = figures[partner_id]
            notes = extra.get("notes")
            rows.append(
                (name, portfolio_id, company_id, currency_id, self.kind, partner_id, team_id,
                 extra.get("partner_ref") or None, extra.get("debt_since") or None, extra.get("contacts") or None,
                 plaintext2html(notes) if notes else None, "open", fig["total"], fig["paid"], fig["residual"],
                 fig["overdue"], 0.0, 0.0, fig["oldest"], fig["days"], fig["score"], fig["bucket"], fig["stage_id"],
                 fig["zone_id"], "3_priority", 0, 0, 0.0, rate, company_currency.round(fig["residual"] * rate))
            )  # fmt: skip
        return Case.browse(self._bulk_copy("collection.case", columns, rows, ids=ids, pipe=pipe))

    def _bulk_insert_installments(self, vals_list, ids=None, pipe=None):
        """Insert installments of this portfolio from dicts with ``case_id``,
        ``partner_id``, ``sequence``, ``name``, ``date_due``, ``amount`` and
        optionally ``external_ref``, ``contract_ref``, ``move_line_id``,
        ``move_id``, ``amount_paid``, ``amount_residual`` and ``state``
        (nothing paid, pending, by default). Returns the new ids."""
        portfolio_id, company_id, currency_id = self.id, self.company_id.id, self.currency_id.id
        rows = []
        for vals in vals_list:
            amount = vals["amount"]
            rows.append(
                (vals["case_id"], portfolio_id, company_id, currency_id, vals["partner_id"], vals["sequence"],
                 vals["name"], vals.get("external_ref") or None, vals.get("contract_ref") or None,
                 vals.get("move_line_id") or None, vals.get("move_id") or None, vals["date_due"], vals["date_due"],
                 amount, vals.get("amount_paid", 0.0), vals.get("amount_residual", amount), 0.0,
                 vals.get("state", "pending"), False)
            )  # fmt: skip
        return self._bulk_copy("collection.installment", INSTALLMENT_COLUMNS, rows, ids=ids, pipe=pipe)

    def _recompute_cases(self, cases):
        """After bulk inserts into existing cases: drop what the ORM cached
        and recompute the stored computed fields of those cases in one go,
        without tracking them in the chatter."""
        self.env["collection.installment"].invalidate_model()
        Case = self.env["collection.case"]
        Case.invalidate_model(["installment_ids"])
        cases = cases.with_context(**BULK_CONTEXT)
        cases.invalidate_recordset()
        for name in CASE_COMPUTED_FIELDS:
            cases.env.add_to_compute(Case._fields[name], cases)
        cases.env.flush_all()
        cases._inherit_promise_stats()
