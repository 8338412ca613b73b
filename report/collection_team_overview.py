from odoo import fields
from odoo import models
from odoo.tools import SQL


class CollectionTeamOverview(models.Model):
    """Per team member: the load they hold and what happened today, in the
    team's company.

    A SQL view read by supervisors (the teams they lead) and managers. Days
    are calendar days of the database server (UTC); amounts are in the
    company's currency, converted at today's rate (the cases' stored rate,
    moved by the daily run). A collector in two teams of one company shows
    the same figures on both lines.
    """

    _name = "collection.team.overview"
    _description = "Collection Team Overview"
    _auto = False
    _order = "team_id, open_case_count desc, user_id"
    _depends = {
        "collection.team.member": ["team_id", "user_id", "daily_capacity", "absence_from", "absence_to", "active"],
        "collection.team": ["company_id", "active"],
        "collection.case": [
            "user_id",
            "today_user_id",
            "state",
            "amount_residual_company",
            "company_rate",
            "company_id",
        ],
        "collection.interaction": ["user_id", "company_id", "case_id", "date_start", "voided"],
        "collection.promise": ["user_id", "state", "date_promise", "date_closed", "company_id"],
        "collection.payment": ["user_id", "state", "date", "amount_case", "commission_amount", "company_id"],
    }

    team_id = fields.Many2one("collection.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    daily_capacity = fields.Integer(readonly=True, aggregator="sum")
    is_absent = fields.Boolean("Absent Today", readonly=True)
    open_case_count = fields.Integer("Open Cases", readonly=True, aggregator="sum")
    amount_residual = fields.Monetary(
        "Open Balance", readonly=True, aggregator="sum", help="In the company's currency, at today's rate."
    )
    today_count = fields.Integer("In Today's List", readonly=True, aggregator="sum")
    worked_today_count = fields.Integer(
        "Worked Today",
        readonly=True,
        aggregator="sum",
        help="Cases on which the collector logged an interaction today (calls, visits, messages they logged "
        "themselves; not voided).",
    )
    promise_due_today_count = fields.Integer("Promises Due Today", readonly=True, aggregator="sum")
    broken_promise_week_count = fields.Integer("Broken This Week", readonly=True, aggregator="sum")
    collected_month_amount = fields.Monetary(
        "Collected This Month",
        readonly=True,
        aggregator="sum",
        help="Posted payments the collector collected since the first of the month, in the company's currency.",
    )
    commission_month_amount = fields.Monetary(
        "Commission This Month",
        readonly=True,
        aggregator="sum",
        help="Commission on those payments at their portfolios' rates.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT m.id AS id,
                   m.team_id AS team_id,
                   m.user_id AS user_id,
                   t.company_id AS company_id,
                   co.currency_id AS currency_id,
                   m.daily_capacity AS daily_capacity,
                   COALESCE(m.absence_from <= CURRENT_DATE
                            AND (m.absence_to IS NULL OR m.absence_to >= CURRENT_DATE), FALSE) AS is_absent,
                   COALESCE(load.open_count, 0) AS open_case_count,
                   COALESCE(load.residual, 0) AS amount_residual,
                   COALESCE(planned.today_count, 0) AS today_count,
                   COALESCE(worked.case_count, 0) AS worked_today_count,
                   COALESCE(promises.due_today, 0) AS promise_due_today_count,
                   COALESCE(promises.broken_week, 0) AS broken_promise_week_count,
                   COALESCE(collected.amount, 0) AS collected_month_amount,
                   COALESCE(collected.commission, 0) AS commission_month_amount
              FROM collection_team_member m
              JOIN collection_team t ON t.id = m.team_id
              JOIN res_company co ON co.id = t.company_id
              JOIN res_users u ON u.id = m.user_id
              LEFT JOIN (
                    SELECT user_id, company_id, COUNT(*) AS open_count, SUM(amount_residual_company) AS residual
                      FROM collection_case
                     WHERE state = 'open' AND user_id IS NOT NULL
                     GROUP BY user_id, company_id
              ) load ON load.user_id = m.user_id AND load.company_id = t.company_id
              LEFT JOIN (
                    SELECT today_user_id, company_id, COUNT(*) AS today_count
                      FROM collection_case
                     WHERE state = 'open' AND today_user_id IS NOT NULL
                     GROUP BY today_user_id, company_id
              ) planned ON planned.today_user_id = m.user_id AND planned.company_id = t.company_id
              LEFT JOIN (
                    SELECT user_id, company_id, COUNT(DISTINCT case_id) AS case_count
                      FROM collection_interaction
                     WHERE date_start >= CURRENT_DATE AND voided IS NOT TRUE AND create_uid = user_id
                     GROUP BY user_id, company_id
              ) worked ON worked.user_id = m.user_id AND worked.company_id = t.company_id
              LEFT JOIN (
                    SELECT user_id, company_id,
                           COUNT(*) FILTER (WHERE state = 'open' AND date_promise = CURRENT_DATE) AS due_today,
                           COUNT(*) FILTER (WHERE state = 'broken'
                                              AND date_closed >= date_trunc('week', CURRENT_DATE)::date)
                               AS broken_week
                      FROM collection_promise
                     GROUP BY user_id, company_id
              ) promises ON promises.user_id = m.user_id AND promises.company_id = t.company_id
              LEFT JOIN (
                    SELECT p.user_id, p.company_id,
                           SUM(p.amount_case * COALESCE(c.company_rate, 1.0)) AS amount,
                           SUM(p.commission_amount * COALESCE(c.company_rate, 1.0)) AS commission
                      FROM collection_payment p
                      JOIN collection_case c ON c.id = p.case_id
                     WHERE p.state = 'posted' AND p.date >= date_trunc('month', CURRENT_DATE)::date
                     GROUP BY p.user_id, p.company_id
              ) collected ON collected.user_id = m.user_id AND collected.company_id = t.company_id
             WHERE m.active AND t.active
            """
        )
