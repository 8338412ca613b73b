"""The monthly snapshot of every case (its balance, aging bucket and holder
as the month ends), kept by the daily run, from which the KPIs and roll
rates are computed."""

from odoo import api
from odoo import fields
from odoo import models
from odoo.tools import SQL

from ..tools import aging

SNAPSHOT_BUCKETS = [(key, label) for key, label, _low, _high in aging.AGING_BUCKETS] + [("closed", "Closed")]


class CollectionCaseSnapshot(models.Model):
    """One row per case and month: the case as it stood on the last daily
    run of that month (the current month's row moves with every run until
    the month ends). Cases closed during the month keep a row of that month
    with state *closed* and no balance, so roll rates see them leave.
    Amounts in the company's currency are converted at the rate of the
    snapshot date. Written by SQL only; nobody edits it."""

    _name = "collection.case.snapshot"
    _description = "Collection Case Monthly Snapshot"
    _order = "month desc, case_id"
    _rec_name = "case_id"

    month = fields.Date(required=True, readonly=True, index=True, help="The first day of the month.")
    date_snapshot = fields.Date("Taken On", readonly=True)
    case_id = fields.Many2one("collection.case", required=True, readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    portfolio_id = fields.Many2one("collection.portfolio", readonly=True)
    team_id = fields.Many2one("collection.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    state = fields.Selection([("open", "Open"), ("closed", "Closed")], readonly=True)
    aging_bucket = fields.Selection(SNAPSHOT_BUCKETS, string="Aging", readonly=True)
    days_overdue = fields.Integer(readonly=True)
    amount_residual = fields.Monetary("Balance", readonly=True)
    amount_overdue = fields.Monetary("Overdue", readonly=True)
    amount_residual_company = fields.Monetary(
        "Balance (Company Currency)", readonly=True, currency_field="company_currency_id"
    )
    amount_overdue_company = fields.Monetary(
        "Overdue (Company Currency)", readonly=True, currency_field="company_currency_id"
    )

    _sql_constraints = [
        ("case_month_unique", "UNIQUE(case_id, month)", "A case has one snapshot per month."),
    ]

    @api.model
    def _take(self, today=None):
        """Take this month's snapshot of every open case and of the cases
        closed this month, then refresh the month's KPIs and roll rates.
        Three set-based statements; called by the daily run."""
        today = today or fields.Date.context_today(self)
        self._write_snapshots(today)
        self._refresh_kpis(today)

    @api.model
    def _refresh_kpis(self, today=None):
        """The month's KPIs and roll rates from its snapshots."""
        month = (today or fields.Date.context_today(self)).replace(day=1)
        self.env["collection.kpi.month"]._refresh(month)
        self.env["collection.kpi.roll"]._refresh(month)

    @api.model
    def _write_snapshots(self, today, after=None, until=None):
        """This month's snapshot of the open cases and of those closed this
        month (with ids in (``after``, ``until``] only, when given: the daily
        run's chunks)."""
        month = today.replace(day=1)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO collection_case_snapshot
                       (month, date_snapshot, case_id, company_id, portfolio_id, team_id, user_id, currency_id,
                        state, aging_bucket, days_overdue, amount_residual, amount_overdue,
                        amount_residual_company, amount_overdue_company,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(month)s, %(today)s, c.id, c.company_id, c.portfolio_id, c.team_id, c.user_id, c.currency_id,
                       c.state,
                       CASE WHEN c.state = 'open' THEN COALESCE(c.aging_bucket, 'not_due') ELSE 'closed' END,
                       CASE WHEN c.state = 'open' THEN COALESCE(c.days_overdue, 0) ELSE 0 END,
                       CASE WHEN c.state = 'open' THEN c.amount_residual ELSE 0 END,
                       CASE WHEN c.state = 'open' THEN c.amount_overdue ELSE 0 END,
                       CASE WHEN c.state = 'open'
                            THEN ROUND(c.amount_residual * COALESCE(c.company_rate, 1.0)::numeric, 2) ELSE 0 END,
                       CASE WHEN c.state = 'open'
                            THEN ROUND(c.amount_overdue * COALESCE(c.company_rate, 1.0)::numeric, 2) ELSE 0 END,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM collection_case c
                 WHERE (c.state = 'open' OR c.date_closed >= %(month)s) AND %(range)s
                ON CONFLICT (case_id, month) DO UPDATE
                   SET date_snapshot = EXCLUDED.date_snapshot,
                       company_id = EXCLUDED.company_id,
                       portfolio_id = EXCLUDED.portfolio_id,
                       team_id = EXCLUDED.team_id,
                       user_id = EXCLUDED.user_id,
                       currency_id = EXCLUDED.currency_id,
                       state = EXCLUDED.state,
                       aging_bucket = EXCLUDED.aging_bucket,
                       days_overdue = EXCLUDED.days_overdue,
                       amount_residual = EXCLUDED.amount_residual,
                       amount_overdue = EXCLUDED.amount_overdue,
                       amount_residual_company = EXCLUDED.amount_residual_company,
                       amount_overdue_company = EXCLUDED.amount_overdue_company,
                       write_date = EXCLUDED.write_date
                """,
                month=month,
                today=today,
                uid=self.env.uid,
                range=SQL("TRUE") if after is None else SQL("c.id > %s AND c.id <= %s", after, until),
            )
        )
        self.invalidate_model()
