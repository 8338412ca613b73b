"""The figures of the managers' and creditors' reports (portfolio summary,
collector effectiveness), each computed in a few set-based SQL statements
over the cases the reading user may see."""

from odoo import api
from odoo import models
from odoo.tools import SQL

from ..tools import aging
from ..tools import kpi


def rate_sql(currency, company, date):
    """A SQL expression converting one unit of ``currency`` into the
    currency of ``company`` at ``date`` with Odoo's rates (the newest rate
    on or before the date, the company's own before a shared one; 1 when
    none). The three arguments are SQL expressions written by the caller."""

    def rate_of(cur):
        return SQL(
            """COALESCE((SELECT r.rate FROM res_currency_rate r
                          WHERE r.currency_id = %(cur)s AND r.name <= %(date)s
                            AND (r.company_id = %(company)s OR r.company_id IS NULL)
                          ORDER BY r.company_id NULLS LAST, r.name DESC LIMIT 1), 1.0)""",
            cur=cur,
            date=date,
            company=company,
        )

    company_currency = SQL("(SELECT rc.currency_id FROM res_company rc WHERE rc.id = %s)", company)
    return SQL(
        "(CASE WHEN %(cur)s = %(cc)s THEN 1.0 ELSE %(to)s / NULLIF(%(frm)s, 0) END)",
        cur=currency,
        cc=company_currency,
        to=rate_of(company_currency),
        frm=rate_of(currency),
    )


class CollectionReport(models.AbstractModel):
    """Report figures shared by the PDF and XLSX outputs and the benchmark.

    Every figure is scoped by ``filters``: a period (``date_from``,
    ``date_to``), portfolios, teams and collectors (empty = all), and always
    by what the user may read: the cases come through the case model's
    record rules (``_search``), so a supervisor's report holds the teams they
    lead. Amounts are in the company's currency: payments and promises at
    the rate of their own date, balances at the cases' current rate (moved
    by the daily run); portfolio lines also give the portfolio's own
    currency. A collector's effectiveness report holds only their own line.
    """

    _name = "collection.report"
    _description = "Collection Report Figures"

    @api.model
    def _case_scope(self, filters):
        """SQL: the ids of the cases of the filters that the user may read."""
        domain = []
        if filters.get("portfolio_ids"):
            domain.append(("portfolio_id", "in", list(filters["portfolio_ids"])))
        if filters.get("team_ids"):
            domain.append(("team_id", "in", list(filters["team_ids"])))
        if filters.get("company_ids"):
            domain.append(("company_id", "in", list(filters["company_ids"])))
        query = self.env["collection.case"].with_context(active_test=False)._search(domain)
        return query.subselect()

    # ------------------------------------------------------------------
    # Portfolio summary
    # ------------------------------------------------------------------
    @api.model
    def _portfolio_summary(self, filters):
        """One dict per portfolio: cases open and closed in the period by
        close reason, open balance by stage and by aging bucket, collected
        in the period and to date, the recovery rate (collected to date ÷
        debt assigned), promises taken and judged kept in the period,
        agreements running and broken."""
        cr = self.env.cr
        self.env.flush_all()
        scope = self._case_scope(filters)
        date_from, date_to = filters["date_from"], filters["date_to"]
        cr.execute(
            SQL(
                """
                SELECT c.portfolio_id,
                       COUNT(*) FILTER (WHERE c.state = 'open'),
                       COALESCE(SUM(c.amount_total), 0),
                       COALESCE(SUM(c.amount_residual) FILTER (WHERE c.state = 'open'), 0),
                       COALESCE(SUM(c.amount_residual_company) FILTER (WHERE c.state = 'open'), 0)
                  FROM collection_case c
                 WHERE c.id IN %(scope)s
                 GROUP BY c.portfolio_id
                """,
                scope=scope,
            )
        )
        rows = {
            pid: {
                "open_count": n_open,
                "assigned": assigned,
                "balance": balance,
                "balance_company": balance_company,
                "closed": {},
                "by_stage": {},
                "by_bucket": {},
                "collected": 0.0,
                "collected_company": 0.0,
                "collected_to_date": 0.0,
                "promise_count": 0,
                "promise_amount_company": 0.0,
                "promise_judged": 0,
                "promise_kept": 0,
                "agreement_running": 0,
                "agreement_broken": 0,
                "agreement_new": 0,
            }
            for pid, n_open, assigned, balance, balance_company in cr.fetchall()
        }
        if not rows:
            return []
        cr.execute(
            SQL(
                """
                SELECT c.portfolio_id, c.close_reason, COUNT(*)
                  FROM collection_case c
                 WHERE c.id IN %(scope)s AND c.state = 'closed' AND c.date_closed BETWEEN %(df)s AND %(dt)s
                 GROUP BY 1, 2
                """,
                scope=scope,
                df=date_from,
                dt=date_to,
            )
        )
        for pid, reason, count in cr.fetchall():
            rows[pid]["closed"][reason or "other"] = count
        cr.execute(
            SQL(
                """
                SELECT c.portfolio_id, c.stage_id, c.aging_bucket, SUM(c.amount_residual_company)
                  FROM collection_case c
                 WHERE c.id IN %(scope)s AND c.state = 'open'
                 GROUP BY 1, 2, 3
                """,
                scope=scope,
            )
        )
        for pid, stage_id, bucket, amount in cr.fetchall():
            row = rows[pid]
            row["by_stage"][stage_id] = row["by_stage"].get(stage_id, 0.0) + (amount or 0.0)
            row["by_bucket"][bucket] = row["by_bucket"].get(bucket, 0.0) + (amount or 0.0)
        cr.execute(
            SQL(
                """
                SELECT p.portfolio_id,
                       SUM(p.amount_allocated) FILTER (WHERE p.date BETWEEN %(df)s AND %(dt)s),
                       SUM(ROUND(p.amount_allocated * %(rate)s, 2)) FILTER (WHERE p.date BETWEEN %(df)s AND %(dt)s),
                       SUM(p.amount_allocated) FILTER (WHERE p.date <= %(dt)s)
                  FROM collection_payment p
                 WHERE p.case_id IN %(scope)s AND p.state = 'posted'
                 GROUP BY 1
                """,
                scope=scope,
                df=date_from,
                dt=date_to,
                rate=rate_sql(SQL("p.currency_id"), SQL("p.company_id"), SQL("p.date")),
            )
        )
        for pid, collected, collected_company, to_date in cr.fetchall():
            rows[pid].update(
                collected=collected or 0.0, collected_company=collected_company or 0.0, collected_to_date=to_date or 0.0
            )
        cr.execute(
            SQL(
                """
                SELECT c.portfolio_id,
                       COUNT(*) FILTER (WHERE pr.date_made BETWEEN %(df)s AND %(dt)s),
                       SUM(ROUND(pr.amount * %(rate)s, 2)) FILTER (WHERE pr.date_made BETWEEN %(df)s AND %(dt)s),
                       COUNT(*) FILTER (WHERE pr.date_closed BETWEEN %(df)s AND %(dt)s
                                          AND pr.state IN ('kept', 'partial', 'broken')),
                       COUNT(*) FILTER (WHERE pr.date_closed BETWEEN %(df)s AND %(dt)s AND pr.state = 'kept')
                  FROM collection_promise pr
                  JOIN collection_case c ON c.id = pr.case_id
                 WHERE pr.case_id IN %(scope)s
                   AND (pr.date_made BETWEEN %(df)s AND %(dt)s OR pr.date_closed BETWEEN %(df)s AND %(dt)s)
                 GROUP BY 1
                """,
                scope=scope,
                df=date_from,
                dt=date_to,
                rate=rate_sql(SQL("pr.currency_id"), SQL("pr.company_id"), SQL("pr.date_made")),
            )
        )
        for pid, taken, amount, judged, kept in cr.fetchall():
            rows[pid].update(
                promise_count=taken, promise_amount_company=amount or 0.0, promise_judged=judged, promise_kept=kept
            )
        cr.execute(
            SQL(
                """
                SELECT c.portfolio_id,
                       COUNT(*) FILTER (WHERE a.state = 'active'),
                       COUNT(*) FILTER (WHERE a.state = 'broken'),
                       COUNT(*) FILTER (WHERE a.state IN ('active', 'completed', 'broken')
                                          AND a.date_agreement BETWEEN %(df)s AND %(dt)s)
                  FROM collection_agreement a
                  JOIN collection_case c ON c.id = a.case_id
                 WHERE a.case_id IN %(scope)s
                 GROUP BY 1
                """,
                scope=scope,
                df=date_from,
                dt=date_to,
            )
        )
        for pid, running, broken, new in cr.fetchall():
            rows[pid].update(agreement_running=running, agreement_broken=broken, agreement_new=new)
        portfolios = self.env["collection.portfolio"].sudo().browse(list(rows))
        result = []
        for portfolio in portfolios.sorted(lambda p: (p.company_id.id, p.name or "")):
            row = rows[portfolio.id]
            row.update(
                portfolio=portfolio,
                currency=portfolio.currency_id,
                company_currency=portfolio.company_id.currency_id,
                closed_count=sum(row["closed"].values()),
                recovery_rate=kpi.percent(row["collected_to_date"], row["assigned"]),
                kept_rate=kpi.percent(row["promise_kept"], row["promise_judged"]),
            )
            result.append(row)
        return result

    # ------------------------------------------------------------------
    # Collector effectiveness
    # ------------------------------------------------------------------
    @api.model
    def _effectiveness(self, filters):
        """(collector lines, team lines) for the period: contacts attempted
        (interactions logged by the collector, not voided, automatic
        messages left out), right-party contacts and their rate, promises
        taken and their amount, promises judged in the period and the kept
        rate, payments registered and the amount collected, cases closed
        paid while they held them and the average days from placement to
        paid. A collector who is not a supervisor gets their own line only."""
        cr = self.env.cr
        self.env.flush_all()
        user_ids = list(filters.get("user_ids") or [])
        supervisor = self.env.user.has_group("debt_collection.group_collection_supervisor")
        if not supervisor:
            user_ids = [self.env.uid]
            scope = SQL("(SELECT id FROM collection_case WHERE company_id = ANY(%s))", list(self.env.companies.ids))
        else:
            scope = self._case_scope(filters)
        user_filter = SQL("TRUE")
        if user_ids:
            user_filter = SQL("u_id = ANY(%s)", user_ids)
        sent = self.env.ref("debt_collection.collection_result_sent", raise_if_not_found=False)
        team_filter = SQL("TRUE")
        if filters.get("team_ids"):
            team_filter = SQL("c.team_id = ANY(%s)", list(filters["team_ids"]))
        params = {
            "scope": scope,
            "df": filters["date_from"],
            "dt": filters["date_to"],
            "sent": sent.id if sent else 0,
            "team_filter": team_filter,
        }
        cr.execute(
            SQL(
                """
                WITH facts AS (
                    SELECT i.user_id AS u_id, c.team_id,
                           1 AS attempts, CASE WHEN i.is_conversation THEN 1 ELSE 0 END AS rpc,
                           0 AS promises, 0.0 AS promised, 0 AS judged, 0 AS kept,
                           0 AS payments, 0.0 AS collected, 0 AS closed_paid, 0 AS days_to_collect
                      FROM collection_interaction i
                      JOIN collection_case c ON c.id = i.case_id
                     WHERE i.case_id IN %(scope)s AND %(team_filter)s
                       AND i.voided IS NOT TRUE AND i.result_id != %(sent)s
                       AND i.date_start >= %(df)s AND i.date_start < %(dt)s::date + 1
                    UNION ALL
                    SELECT pr.user_id, c.team_id, 0, 0,
                           CASE WHEN pr.date_made BETWEEN %(df)s AND %(dt)s THEN 1 ELSE 0 END,
                           CASE WHEN pr.date_made BETWEEN %(df)s AND %(dt)s
                                THEN ROUND(pr.amount * %(prate)s, 2) ELSE 0 END,
                           CASE WHEN pr.date_closed BETWEEN %(df)s AND %(dt)s
                                 AND pr.state IN ('kept', 'partial', 'broken') THEN 1 ELSE 0 END,
                           CASE WHEN pr.date_closed BETWEEN %(df)s AND %(dt)s AND pr.state = 'kept' THEN 1 ELSE 0 END,
                           0, 0.0, 0, 0
                      FROM collection_promise pr
                      JOIN collection_case c ON c.id = pr.case_id
                     WHERE pr.case_id IN %(scope)s AND %(team_filter)s
                       AND (pr.date_made BETWEEN %(df)s AND %(dt)s OR pr.date_closed BETWEEN %(df)s AND %(dt)s)
                    UNION ALL
                    SELECT p.user_id, c.team_id, 0, 0, 0, 0.0, 0, 0,
                           1, ROUND(p.amount_allocated * %(payrate)s, 2), 0, 0
                      FROM collection_payment p
                      JOIN collection_case c ON c.id = p.case_id
                     WHERE p.case_id IN %(scope)s AND %(team_filter)s
                       AND p.state = 'posted' AND p.date BETWEEN %(df)s AND %(dt)s
                    UNION ALL
                    SELECT c.user_id, c.team_id, 0, 0, 0, 0.0, 0, 0, 0, 0.0,
                           1, GREATEST(c.date_closed - c.create_date::date, 0)
                      FROM collection_case c
                     WHERE c.id IN %(scope)s AND %(team_filter)s
                       AND c.state = 'closed' AND c.close_reason = 'paid'
                       AND c.date_closed BETWEEN %(df)s AND %(dt)s AND c.user_id IS NOT NULL
                )
                SELECT u_id, team_id, SUM(attempts), SUM(rpc), SUM(promises), SUM(promised), SUM(judged),
                       SUM(kept), SUM(payments), SUM(collected), SUM(closed_paid), SUM(days_to_collect)
                  FROM facts
                 WHERE u_id IS NOT NULL AND %(user_filter)s
                 GROUP BY GROUPING SETS ((u_id), (team_id))
                """,
                **params,
                user_filter=user_filter,
                prate=rate_sql(SQL("pr.currency_id"), SQL("pr.company_id"), SQL("pr.date_made")),
                payrate=rate_sql(SQL("p.currency_id"), SQL("p.company_id"), SQL("p.date")),
            )
        )
        collectors, teams = {}, {}
        for user_id, team_id, *values in cr.fetchall():
            line = dict(
                zip(
                    (
                        "attempts",
                        "rpc",
                        "promises",
                        "promised",
                        "judged",
                        "kept",
                        "payments",
                        "collected",
                        "closed_paid",
                        "days_to_collect",
                    ),
                    values,
                    strict=True,
                )
            )
            line.update(
                rpc_rate=kpi.percent(line["rpc"], line["attempts"]),
                kept_rate=kpi.percent(line["kept"], line["judged"]),
                avg_days_to_collect=kpi.ratio(line["days_to_collect"], line["closed_paid"]),
            )
            if user_id is not None:
                collectors[user_id] = line
            elif team_id is not None:
                teams[team_id] = line
        if not supervisor:
            teams = {}
        users = self.env["res.users"].sudo().browse(list(collectors))
        team_records = self.env["collection.team"].sudo().browse(list(teams))
        collector_lines = [dict(collectors[u.id], user=u) for u in users.sorted(lambda u: u.name or "")]
        team_lines = [dict(teams[t.id], team=t) for t in team_records.sorted(lambda t: t.name or "")]
        return collector_lines, team_lines

    @api.model
    def _bucket_labels(self):
        """[(bucket key, translated label)] in aging order."""
        labels = dict(self.env["collection.case"]._fields["aging_bucket"]._description_selection(self.env))
        return [(key, labels.get(key, key)) for key, _label, _low, _high in aging.AGING_BUCKETS]


class ReportCollectionStatement(models.AbstractModel):
    """Values of the debtor's statement of account: the cases, once the
    reader is known to be allowed to read them (the template then reads
    their installments, payments and agreements as a whole)."""

    _name = "report.debt_collection.report_collection_statement"
    _description = "Collection Statement of Account"

    @api.model
    def _get_report_values(self, docids, data=None):
        cases = self.env["collection.case"].browse(docids)
        cases.check_access("read")
        return {"doc_ids": docids, "doc_model": "collection.case", "docs": cases, "data": data}
