from odoo import fields
from odoo import models
from odoo.tools import SQL

from ..tools import aging


class CollectionAgingAnalysis(models.Model):
    """Open balance by aging bucket: one line per open installment (pending
    or partly paid) of an open case.

    A SQL view read by supervisors (the cases of the teams they lead),
    managers and auditors (every case of their companies). Days overdue and
    the bucket are counted from the installment's aging date to the
    database's CURRENT_DATE at query time, in calendar days of the database
    server (UTC): an installment due today or later is "Not due" with 0 days
    overdue (days overdue never go negative). Installments in dispute are
    included and flagged. Amounts are at face value in their portfolios'
    currencies (``amount_residual``, for a pivot grouped by currency or
    portfolio) and in the company's currency at today's rate
    (``amount_residual_company``, the default measure: totals never add
    different currencies). The buckets are gross; the debtors' unapplied
    credits (open credit notes, unallocated payments) are a measure of their
    own (``amount_credit_company``, negative), spread over the case's open
    installments in proportion to their balances (credits beyond the open
    balance are not shown: nothing is owed), so that gross plus credits is
    what is really owed. Credit rows of their own (a UNION) would cost the
    pivot its hash aggregation.

    The view is one flat SELECT (no aggregate, subquery or DISTINCT), so
    PostgreSQL inlines it into the pivot's GROUP BY and a grouping costs
    about what the same GROUP BY on the installments costs.
    """

    _name = "collection.aging.analysis"
    _description = "Collection Aging Analysis"
    _auto = False
    _rec_name = "installment_id"
    _order = "date_aging, id"
    _depends = {
        "collection.installment": [
            "case_id",
            "portfolio_id",
            "company_id",
            "currency_id",
            "partner_id",
            "date_due",
            "date_aging",
            "amount",
            "amount_residual",
            "state",
            "is_disputed",
        ],
        "collection.case": ["user_id", "team_id", "stage_id", "state", "company_rate", "amount_credit"],
    }

    installment_id = fields.Many2one("collection.installment", readonly=True)
    case_id = fields.Many2one("collection.case", readonly=True)
    portfolio_id = fields.Many2one("collection.portfolio", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Debtor", readonly=True)
    user_id = fields.Many2one("res.users", string="Collector", readonly=True)
    team_id = fields.Many2one("collection.team", readonly=True)
    stage_id = fields.Many2one("collection.stage", readonly=True)
    date_due = fields.Date("Due Date", readonly=True)
    date_aging = fields.Date(
        "Aging Date",
        readonly=True,
        help="The date the installment ages from: its due date, or for a broken payment plan the oldest due "
        "date of the debt it refinanced.",
    )
    days_overdue = fields.Integer(
        readonly=True,
        aggregator="max",
        help="Days since the aging date, counted on the database server's date; 0 when not due yet.",
    )
    aging_bucket = fields.Selection(
        [(key, label) for key, label, _low, _high in aging.AGING_BUCKETS],
        string="Aging",
        readonly=True,
        group_expand="_group_expand_aging_bucket",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    amount_credit_company = fields.Monetary(
        "Unapplied Credits (Company Currency)",
        readonly=True,
        aggregator="sum",
        currency_field="company_currency_id",
        help="The debtors' open credit notes and unallocated payments (negative), spread over their cases' open "
        "installments by balance; add them to the open balance for what is really owed.",
    )
    amount_residual_company = fields.Monetary(
        "Open Balance (Company Currency)",
        readonly=True,
        aggregator="sum",
        currency_field="company_currency_id",
        help="The open balance converted to the company's currency at today's rate.",
    )
    amount_residual = fields.Monetary("Open Balance", readonly=True, aggregator="sum", currency_field="currency_id")
    amount = fields.Monetary("Installment Amount", readonly=True, aggregator="sum", currency_field="currency_id")
    is_disputed = fields.Boolean("In Dispute", readonly=True)

    def _group_expand_aging_bucket(self, buckets, domain):
        """Every bucket, in its natural order ("Not due" first)."""
        return [key for key, _label, _low, _high in aging.AGING_BUCKETS]

    @property
    def _table_query(self):
        # date_aging is stored and computed from the required due date, so it
        # is always set; a COALESCE with date_due here would make PostgreSQL
        # expect thousands of groups and sort the rows instead of hashing them
        days = "(CURRENT_DATE - i.date_aging)"
        return SQL(
            """
            SELECT i.id AS id,
                   i.id AS installment_id,
                   i.case_id AS case_id,
                   i.portfolio_id AS portfolio_id,
                   i.company_id AS company_id,
                   i.currency_id AS currency_id,
                   i.partner_id AS partner_id,
                   c.user_id AS user_id,
                   c.team_id AS team_id,
                   c.stage_id AS stage_id,
                   i.date_due AS date_due,
                   i.date_aging AS date_aging,
                   GREATEST(%(days)s, 0) AS days_overdue,
                   %(bucket)s AS aging_bucket,
                   i.amount_residual AS amount_residual,
                   ROUND(i.amount_residual * COALESCE(c.company_rate, 1.0)::numeric, 2) AS amount_residual_company,
                   -ROUND(LEAST(i.amount_residual,
                                i.amount_residual * COALESCE(c.amount_credit, 0)
                                    / NULLIF(c.amount_residual + COALESCE(c.amount_credit, 0), 0))
                          * COALESCE(c.company_rate, 1.0)::numeric, 2) AS amount_credit_company,
                   i.amount AS amount,
                   COALESCE(i.is_disputed, FALSE) AS is_disputed
              FROM collection_installment i
              JOIN collection_case c ON c.id = i.case_id
             WHERE i.state IN ('pending', 'partial')
               AND c.state = 'open'
            """,
            days=SQL(days),
            bucket=SQL(aging.aging_bucket_sql_case(days)),
        )
