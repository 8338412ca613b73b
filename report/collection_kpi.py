"""Collection KPIs per month (DSO, best possible DSO, average days
delinquent, CEI, promise kept rate, right-party contact rate) and roll
rates between aging buckets, per portfolio, team and collector, filled from
the monthly snapshot by the daily run and read in pivot and graph views."""

from dateutil.relativedelta import relativedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.tools import SQL

from ..tools import aging
from ..tools import kpi
from .collection_report import rate_sql

HISTORY_MONTHS = 12
BUCKET_ORDER = {key: index for index, (key, _label, _low, _high) in enumerate(aging.AGING_BUCKETS)}
ROLL_BUCKETS = [(key, label) for key, label, _low, _high in aging.AGING_BUCKETS] + [("closed", "Closed")]


class RatioMeasuresMixin(models.AbstractModel):
    """Ratio measures that stay right at every level of a pivot or graph:
    each is computed from the sums of its components in the group (never an
    average of the rows' ratios), by the formulas of ``tools/kpi.py``.

    ``_ratio_measures`` maps a measure to (its component columns, a function
    of their sums in that order)."""

    _name = "collection.kpi.ratio.mixin"
    _description = "Collection KPI Ratio Measures"
    _ratio_measures = {}

    def _read_group_select(self, aggregate_spec, query):
        fname = aggregate_spec.split(":")[0]
        if fname in self._ratio_measures:
            parts = []
            for column in self._ratio_measures[fname][0]:
                if column == "month":
                    parts.append(SQL("MAX(%s)::text", self._field_to_sql(self._table, "month", query)))
                elif column.startswith("placed_history."):
                    index = int(column.split(".")[1])
                    history = self._field_to_sql(self._table, "placed_history", query)
                    parts.append(SQL("SUM(COALESCE((%s->>%s)::numeric, 0))", history, index))
                else:
                    parts.append(SQL("SUM(%s)", self._field_to_sql(self._table, column, query)))
            return SQL("jsonb_build_array(%s)", SQL(", ").join(parts))
        return super()._read_group_select(aggregate_spec, query)

    def _read_group_postprocess_aggregate(self, aggregate_spec, raw_values):
        fname = aggregate_spec.split(":")[0]
        if fname in self._ratio_measures:
            function = self._ratio_measures[fname][1]
            return (function(*[self._ratio_value(v) for v in values]) if values else None for values in raw_values)
        return super()._read_group_postprocess_aggregate(aggregate_spec, raw_values)

    @staticmethod
    def _ratio_value(value):
        if isinstance(value, str) and len(value) == 10 and value[4] == "-":
            return fields.Date.to_date(value)
        return float(value) if value is not None else 0.0

    def _compute_ratio_measures(self):
        for record in self:
            for fname, (columns, function) in self._ratio_measures.items():
                values = []
                for column in columns:
                    if column == "month":
                        values.append(record.month)
                    elif column.startswith("placed_history."):
                        history = record.placed_history or []
                        index = int(column.split(".")[1])
                        values.append(float(history[index]) if index < len(history) else 0.0)
                    else:
                        values.append(record[column] or 0.0)
                record[fname] = function(*values)


def _countback_args(month, ar, *history):
    """(receivables, [(sales, days)] newest first) for the count-back of a
    group whose latest month is ``month``."""
    if not month:
        return ar, []
    periods = []
    for index, sales in enumerate(history):
        start = month - relativedelta(months=index)
        periods.append((sales, kpi.month_days(start)))
    return ar, periods


def _dso(month, ar, *history):
    return kpi.rounded(kpi.dso_countback(*_countback_args(month, ar, *history)))


def _add(month, ar, current, *history):
    dso = kpi.dso_countback(*_countback_args(month, ar, *history))
    best = kpi.best_possible_dso(*_countback_args(month, current, *history))
    return kpi.rounded(kpi.average_days_delinquent(dso, best))


HISTORY = tuple(f"placed_history.{index}" for index in range(HISTORY_MONTHS))


class CollectionKpiMonth(models.Model):
    """KPIs of one month for one portfolio, team and collector.

    Balances belong to whoever held the case at the month's snapshot
    (``ar_begin`` is the same cases' balance at the previous month's
    snapshot); the activity (contacts, promises, payments) belongs to the
    collector who did it, on the case's portfolio and team. New debt
    placed (the "sales" of DSO and CEI) is the amount of the installments
    created in the month, payment-plan installments left out (they replace
    debt already placed). Amounts are in the company's currency: balances
    and new debt at the snapshot date's rate, payments and promises at the
    rate of their own date.

    DSO is the count-back method over the last twelve months of new debt
    of the group; the best possible DSO is the same count-back over the
    receivables not yet due, and the average days delinquent is their
    difference. Ratios are computed from the group's sums at every level
    (``collection.kpi.ratio.mixin``); DSO and CEI are meant per month: a
    group over several months counts back from the latest one with the
    receivables of all of them.
    """

    _name = "collection.kpi.month"
    _inherit = ["collection.kpi.ratio.mixin"]
    _description = "Collection KPIs per Month"
    _order = "month desc, portfolio_id, team_id, user_id"
    _rec_name = "month"
    _ratio_measures = {
        "dso": (("month", "ar_end", *HISTORY), _dso),
        "best_dso": (
            ("month", "ar_end_current", *HISTORY),
            _dso,
        ),
        "add_days": (("month", "ar_end", "ar_end_current", *HISTORY), _add),
        "cei": (
            ("ar_begin", "placed", "ar_end", "ar_end_current"),
            lambda begin, placed, end, current: kpi.rounded(kpi.cei(begin, placed, end, current)),
        ),
        "kept_rate": (
            ("promise_kept_count", "promise_judged_count"),
            lambda kept, judged: kpi.rounded(kpi.kept_rate(kept, judged)),
        ),
        "rpc_rate": (
            ("rpc_count", "attempt_count"),
            lambda rpc, attempts: kpi.rounded(kpi.right_party_rate(rpc, attempts)),
        ),
    }

    month = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    portfolio_id = fields.Many2one("collection.portfolio", readonly=True)
    team_id = fields.Many2one("collection.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    case_count = fields.Integer("Open Cases", readonly=True, aggregator="sum")
    ar_begin = fields.Monetary("Receivables at Start", readonly=True, aggregator="sum")
    ar_end = fields.Monetary("Receivables at End", readonly=True, aggregator="sum")
    ar_end_current = fields.Monetary("Not Due at End", readonly=True, aggregator="sum")
    ar_end_overdue = fields.Monetary("Overdue at End", readonly=True, aggregator="sum")
    placed = fields.Monetary("New Debt Placed", readonly=True, aggregator="sum")
    placed_history = fields.Json(readonly=True, help="New debt placed in this month and the eleven before it.")
    collected = fields.Monetary(readonly=True, aggregator="sum")
    payment_count = fields.Integer("Payments", readonly=True, aggregator="sum")
    attempt_count = fields.Integer("Contacts Attempted", readonly=True, aggregator="sum")
    rpc_count = fields.Integer("Right-Party Contacts", readonly=True, aggregator="sum")
    promise_count = fields.Integer("Promises Taken", readonly=True, aggregator="sum")
    promise_amount = fields.Monetary("Amount Promised", readonly=True, aggregator="sum")
    promise_judged_count = fields.Integer("Promises Judged", readonly=True, aggregator="sum")
    promise_kept_count = fields.Integer("Promises Kept", readonly=True, aggregator="sum")
    closed_paid_count = fields.Integer("Cases Closed Paid", readonly=True, aggregator="sum")
    dso = fields.Float("DSO (days)", compute="_compute_ratio_measures", aggregator="avg", digits=(16, 1))
    best_dso = fields.Float(
        "Best Possible DSO (days)", compute="_compute_ratio_measures", aggregator="avg", digits=(16, 1)
    )
    add_days = fields.Float(
        "Average Days Delinquent", compute="_compute_ratio_measures", aggregator="avg", digits=(16, 1)
    )
    cei = fields.Float("CEI (%)", compute="_compute_ratio_measures", aggregator="avg", digits=(16, 1))
    kept_rate = fields.Float("Kept Rate (%)", compute="_compute_ratio_measures", aggregator="avg", digits=(16, 1))
    rpc_rate = fields.Float(
        "Right-Party Contact Rate (%)", compute="_compute_ratio_measures", aggregator="avg", digits=(16, 1)
    )

    @api.model
    def _refresh(self, month):
        """Recompute the month's rows from the snapshots of this month and
        the previous one and the month's activity, in one statement."""
        cr = self.env.cr
        self.env.flush_all()
        next_month = month + relativedelta(months=1)
        oldest = month - relativedelta(months=HISTORY_MONTHS - 1)
        sent = self.env.ref("debt_collection.collection_result_sent", raise_if_not_found=False)
        placed_columns = SQL(", ").join(
            SQL(
                "CASE WHEN pl.m = %(start)s THEN ROUND(pl.amount * COALESCE(c.company_rate, 1.0)::numeric, 2) "
                "ELSE 0 END",
                start=month - relativedelta(months=index),
            )
            for index in range(HISTORY_MONTHS)
        )
        zeros = SQL(", ").join(SQL("0") for _index in range(HISTORY_MONTHS))
        sums = SQL(", ").join(
            SQL("SUM(%s) AS %s", SQL.identifier(f"p{index}"), SQL.identifier(f"p{index}"))
            for index in range(HISTORY_MONTHS)
        )
        history_names = SQL(", ").join(SQL.identifier(f"p{index}") for index in range(HISTORY_MONTHS))
        cr.execute(SQL("DELETE FROM collection_kpi_month WHERE month = %s", month))
        cr.execute(
            SQL(
                """
                WITH placed AS (
                    SELECT i.case_id, date_trunc('month', i.create_date)::date AS m, SUM(i.amount) AS amount
                      FROM collection_installment i
                     WHERE i.create_date >= %(oldest)s AND i.create_date < %(next)s
                       AND i.agreement_id IS NULL AND i.state != 'cancelled'
                     GROUP BY 1, 2
                ),
                facts AS (
                    SELECT s.company_id, s.portfolio_id, s.team_id, s.user_id,
                           CASE WHEN s.state = 'open' THEN 1 ELSE 0 END AS cases,
                           COALESCE(prev.amount_residual_company, 0) AS ar_begin,
                           s.amount_residual_company AS ar_end,
                           s.amount_residual_company - s.amount_overdue_company AS ar_current,
                           s.amount_overdue_company AS ar_overdue,
                           0.0 AS collected, 0 AS payments, 0 AS attempts, 0 AS rpc, 0 AS promises,
                           0.0 AS promised, 0 AS judged, 0 AS kept,
                           CASE WHEN c.state = 'closed' AND c.close_reason = 'paid'
                                 AND c.date_closed >= %(month)s AND c.date_closed < %(next)s THEN 1 ELSE 0 END
                               AS closed_paid,
                           %(zeros)s
                      FROM collection_case_snapshot s
                      JOIN collection_case c ON c.id = s.case_id
                      LEFT JOIN collection_case_snapshot prev
                             ON prev.case_id = s.case_id AND prev.month = %(previous)s
                     WHERE s.month = %(month)s
                    UNION ALL
                    SELECT c.company_id, c.portfolio_id, c.team_id, c.user_id, 0, 0, 0, 0, 0, 0.0, 0, 0, 0, 0,
                           0.0, 0, 0, 0, %(placed_columns)s
                      FROM placed pl
                      JOIN collection_case c ON c.id = pl.case_id
                    UNION ALL
                    SELECT c.company_id, c.portfolio_id, c.team_id, p.user_id, 0, 0, 0, 0, 0,
                           ROUND(p.amount_allocated * %(payrate)s, 2), 1, 0, 0, 0, 0.0, 0, 0, 0, %(zeros)s
                      FROM collection_payment p
                      JOIN collection_case c ON c.id = p.case_id
                     WHERE p.state = 'posted' AND p.date >= %(month)s AND p.date < %(next)s
                    UNION ALL
                    SELECT c.company_id, c.portfolio_id, c.team_id, i.user_id, 0, 0, 0, 0, 0, 0.0, 0,
                           1, CASE WHEN i.is_conversation THEN 1 ELSE 0 END, 0, 0.0, 0, 0, 0, %(zeros)s
                      FROM collection_interaction i
                      JOIN collection_case c ON c.id = i.case_id
                     WHERE i.date_start >= %(month)s AND i.date_start < %(next)s
                       AND i.voided IS NOT TRUE AND i.result_id != %(sent)s
                    UNION ALL
                    SELECT c.company_id, c.portfolio_id, c.team_id, pr.user_id, 0, 0, 0, 0, 0, 0.0, 0, 0, 0,
                           CASE WHEN pr.date_made >= %(month)s AND pr.date_made < %(next)s THEN 1 ELSE 0 END,
                           CASE WHEN pr.date_made >= %(month)s AND pr.date_made < %(next)s
                                THEN ROUND(pr.amount * %(prate)s, 2) ELSE 0 END,
                           CASE WHEN pr.date_closed >= %(month)s AND pr.date_closed < %(next)s
                                 AND pr.state IN ('kept', 'partial', 'broken') THEN 1 ELSE 0 END,
                           CASE WHEN pr.date_closed >= %(month)s AND pr.date_closed < %(next)s
                                 AND pr.state = 'kept' THEN 1 ELSE 0 END,
                           0, %(zeros)s
                      FROM collection_promise pr
                      JOIN collection_case c ON c.id = pr.case_id
                     WHERE (pr.date_made >= %(month)s AND pr.date_made < %(next)s)
                        OR (pr.date_closed >= %(month)s AND pr.date_closed < %(next)s)
                ),
                grouped AS (
                    SELECT company_id, portfolio_id, team_id, user_id,
                           SUM(cases) AS cases, SUM(ar_begin) AS ar_begin, SUM(ar_end) AS ar_end,
                           SUM(ar_current) AS ar_current, SUM(ar_overdue) AS ar_overdue,
                           SUM(collected) AS collected, SUM(payments) AS payments, SUM(attempts) AS attempts,
                           SUM(rpc) AS rpc, SUM(promises) AS promises, SUM(promised) AS promised,
                           SUM(judged) AS judged, SUM(kept) AS kept, SUM(closed_paid) AS closed_paid,
                           %(sums)s
                      FROM facts AS f (company_id, portfolio_id, team_id, user_id, cases, ar_begin, ar_end,
                                       ar_current, ar_overdue, collected, payments, attempts, rpc, promises,
                                       promised, judged, kept, closed_paid, %(history_names)s)
                     GROUP BY company_id, portfolio_id, team_id, user_id
                )
                INSERT INTO collection_kpi_month
                       (month, company_id, currency_id, portfolio_id, team_id, user_id, case_count, ar_begin,
                        ar_end, ar_end_current, ar_end_overdue, placed, placed_history, collected, payment_count,
                        attempt_count, rpc_count, promise_count, promise_amount, promise_judged_count,
                        promise_kept_count, closed_paid_count, create_uid, create_date, write_uid, write_date)
                SELECT %(month)s, g.company_id, rc.currency_id, g.portfolio_id, g.team_id, g.user_id, g.cases,
                       g.ar_begin, g.ar_end, g.ar_current, g.ar_overdue, g.p0,
                       jsonb_build_array(%(history_out)s), g.collected, g.payments, g.attempts, g.rpc,
                       g.promises, g.promised, g.judged, g.kept, g.closed_paid,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM grouped g
                  JOIN res_company rc ON rc.id = g.company_id
                """,
                month=month,
                next=next_month,
                previous=month - relativedelta(months=1),
                oldest=oldest,
                sent=sent.id if sent else 0,
                zeros=zeros,
                sums=sums,
                history_names=history_names,
                history_out=SQL(", ").join(SQL("g.%s", SQL.identifier(f"p{index}")) for index in range(HISTORY_MONTHS)),
                placed_columns=placed_columns,
                uid=self.env.uid,
                payrate=rate_sql(SQL("p.currency_id"), SQL("p.company_id"), SQL("p.date")),
                prate=rate_sql(SQL("pr.currency_id"), SQL("pr.company_id"), SQL("pr.date_made")),
            )
        )
        self.invalidate_model()


class CollectionKpiRoll(models.Model):
    """Roll rates: for each month, the balance each aging bucket held at
    the previous month's snapshot and where it stood at this month's, per
    portfolio, team and collector (who held the case the month before).
    The roll rate of a bucket is the share of its balance that moved to a
    worse bucket; the cure rate, the share that moved to a better bucket
    or left (case closed). In the company's currency at the previous
    snapshot's rate."""

    _name = "collection.kpi.roll"
    _inherit = ["collection.kpi.ratio.mixin"]
    _description = "Collection Roll Rates"
    _order = "month desc, bucket_from, bucket_to"
    _rec_name = "month"
    _ratio_measures = {
        "roll_rate": (("amount", "amount_rolled"), lambda amount, rolled: kpi.rounded(kpi.roll_rate(amount, rolled))),
        "cure_rate": (("amount", "amount_cured"), lambda amount, cured: kpi.rounded(kpi.roll_rate(amount, cured))),
    }

    month = fields.Date(required=True, readonly=True, index=True, help="The month the balance rolled into.")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    portfolio_id = fields.Many2one("collection.portfolio", readonly=True)
    team_id = fields.Many2one("collection.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    bucket_from = fields.Selection(
        ROLL_BUCKETS[:-1], string="From Bucket", readonly=True, group_expand="_group_expand_bucket_from"
    )
    bucket_to = fields.Selection(ROLL_BUCKETS, string="To Bucket", readonly=True)
    case_count = fields.Integer("Cases", readonly=True, aggregator="sum")
    amount = fields.Monetary("Balance at Start", readonly=True, aggregator="sum")
    amount_rolled = fields.Monetary("Rolled to a Worse Bucket", readonly=True, aggregator="sum")
    amount_cured = fields.Monetary("Cured or Closed", readonly=True, aggregator="sum")
    roll_rate = fields.Float("Roll Rate (%)", compute="_compute_ratio_measures", aggregator="avg", digits=(16, 1))
    cure_rate = fields.Float("Cure Rate (%)", compute="_compute_ratio_measures", aggregator="avg", digits=(16, 1))

    def _group_expand_bucket_from(self, buckets, domain):
        return [key for key, _label in ROLL_BUCKETS[:-1]]

    @api.model
    def _refresh(self, month):
        """Recompute the month's roll lines from the two snapshots, in one
        statement."""
        cr = self.env.cr
        order = SQL("ARRAY[%s]::varchar[]", SQL(", ").join(SQL("%s", key) for key in BUCKET_ORDER))
        cr.execute(SQL("DELETE FROM collection_kpi_roll WHERE month = %s", month))
        cr.execute(
            SQL(
                """
                INSERT INTO collection_kpi_roll
                       (month, company_id, currency_id, portfolio_id, team_id, user_id, bucket_from, bucket_to,
                        case_count, amount, amount_rolled, amount_cured,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(month)s, prev.company_id, rc.currency_id, prev.portfolio_id, prev.team_id, prev.user_id,
                       prev.aging_bucket, COALESCE(cur.aging_bucket, 'closed'), COUNT(*),
                       SUM(prev.amount_residual_company),
                       SUM(prev.amount_residual_company) FILTER (
                           WHERE cur.aging_bucket != 'closed'
                             AND array_position(%(order)s, cur.aging_bucket::varchar)
                                 > array_position(%(order)s, prev.aging_bucket::varchar)),
                       SUM(prev.amount_residual_company) FILTER (
                           WHERE COALESCE(cur.aging_bucket, 'closed') = 'closed'
                              OR array_position(%(order)s, cur.aging_bucket::varchar)
                                 < array_position(%(order)s, prev.aging_bucket::varchar)),
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM collection_case_snapshot prev
                  JOIN res_company rc ON rc.id = prev.company_id
                  LEFT JOIN collection_case_snapshot cur ON cur.case_id = prev.case_id AND cur.month = %(month)s
                 WHERE prev.month = %(previous)s AND prev.state = 'open'
                 GROUP BY prev.company_id, rc.currency_id, prev.portfolio_id, prev.team_id, prev.user_id,
                          prev.aging_bucket, COALESCE(cur.aging_bucket, 'closed')
                """,
                month=month,
                previous=month - relativedelta(months=1),
                order=order,
                uid=self.env.uid,
            )
        )
        cr.execute(
            SQL(
                "UPDATE collection_kpi_roll SET amount_rolled = COALESCE(amount_rolled, 0), "
                "amount_cured = COALESCE(amount_cured, 0) WHERE month = %s",
                month,
            )
        )
        self.invalidate_model()
