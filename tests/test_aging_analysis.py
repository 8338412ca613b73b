from collections import defaultdict
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from ..tools import aging
from .common import CollectionCommon

PIVOT_GROUPBY = ["aging_bucket", "portfolio_id"]
PIVOT_AGGREGATES = ["amount_residual:sum", "__count"]
# the pivot's grouped read is one SELECT, with 10 rows or 500
PIVOT_QUERIES = 1
PIVOT_WEB_QUERIES = 2


@tagged("post_install", "-at_install")
class TestAgingAnalysis(CollectionCommon):
    """The aging analysis shows the open balance of open cases by how long it
    has been overdue, by portfolio, collector, team, stage or debtor.

    The buckets are counted from the database's CURRENT_DATE, so the dates
    here are too, and keep away from the bucket boundaries (15 and 45 days
    overdue, 10 days ahead) so the tests hold at any time of the day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.cr.execute("SELECT CURRENT_DATE")
        db_today = cls.env.cr.fetchone()[0]
        # the helpers count days from the user's today; the view from the database's
        cls.shift = (db_today - cls.today).days
        cls.other_team = cls.env["collection.team"].create(
            {"name": "Team Two", "supervisor_id": cls.supervisor_other.id, "company_id": cls.company.id}
        )
        cls.second = cls.env["collection.portfolio"].create(
            {
                "name": "Retail Sur - April",
                "kind": "external",
                "creditor_id": cls.creditor.id,
                "company_id": cls.company.id,
                "currency_id": cls.company.currency_id.id,
                "team_id": cls.other_team.id,
                "state": "active",
            }
        )
        cls.Analysis = cls.env["collection.aging.analysis"]
        cls.ours = [("portfolio_id", "in", (cls.external | cls.second).ids)]

    @classmethod
    def _aged_case(cls, name, installments, collector=None, portfolio=None, **vals):
        """A case whose installments are given as (days overdue on the
        database's date, amount); negative days are not due yet."""
        portfolio = portfolio or cls.external
        return cls._case(
            cls._debtor(name),
            collector or cls.collector_a,
            installments=[(cls.shift - days, amount) for days, amount in installments],
            portfolio=portfolio,
            team_id=portfolio.team_id.id,
            **vals,
        )

    def _rows(self, records):
        return self.Analysis.search([("installment_id", "in", records.installment_ids.ids)])

    def _totals(self, user=None, domain=None):
        """{(bucket, portfolio id): (open balance, count)} from the pivot's read."""
        Analysis = self.Analysis.with_user(user) if user else self.Analysis
        return {
            (bucket, portfolio.id): (total, count)
            for bucket, portfolio, total, count in Analysis._read_group(
                domain if domain is not None else self.ours, PIVOT_GROUPBY, PIVOT_AGGREGATES
            )
        }

    def test_buckets_and_open_balance(self):
        case = self._aged_case("Julia Ramos", [(45, 300.0), (15, 200.0), (-10, 100.0)])
        old, recent, future = case.installment_ids.sorted("date_due")
        payment = self.env["collection.payment"].create({"case_id": case.id, "amount": 120.0, "method": "cash"})
        payment.action_post()
        self.assertEqual((old.state, old.amount_residual), ("partial", 180.0))

        rows = {row.installment_id: row for row in self._rows(case)}
        self.assertEqual(set(rows), set(case.installment_ids))
        self.assertEqual(
            [(rows[inst].aging_bucket, rows[inst].days_overdue) for inst in (old, recent, future)],
            [("d031_060", 45), ("d001_030", 15), ("not_due", 0)],
        )
        labels = dict(self.Analysis._fields["aging_bucket"].selection)
        self.assertEqual(
            [labels[rows[inst].aging_bucket] for inst in (old, recent, future)], ["31-60 days", "1-30 days", "Not due"]
        )
        # the residual after the partial payment is what is owed, the amount stays
        self.assertEqual((rows[old].amount_residual, rows[old].amount), (180.0, 300.0))
        row = rows[recent]
        self.assertEqual(
            (row.case_id, row.partner_id, row.user_id, row.team_id, row.stage_id, row.portfolio_id),
            (case, case.partner_id, self.collector_a, self.team, case.stage_id, self.external),
        )
        self.assertEqual((row.company_id, row.currency_id), (self.company, self.company.currency_id))
        self.assertEqual((row.date_due, row.date_aging), (recent.date_due, recent.date_aging))
        self.assertFalse(row.is_disputed)
        # the pivot sums the open balance by bucket
        totals = self._totals(domain=[("case_id", "=", case.id)])
        self.assertEqual(
            totals,
            {
                ("d031_060", self.external.id): (180.0, 1),
                ("d001_030", self.external.id): (200.0, 1),
                ("not_due", self.external.id): (100.0, 1),
            },
        )
        overdue = self.Analysis._read_group(
            [("case_id", "=", case.id), ("aging_bucket", "!=", "not_due")], [], ["amount_residual:sum"]
        )
        self.assertEqual(overdue[0][0], 380.0)

    def test_only_open_installments_of_open_cases(self):
        case = self._aged_case("Pedro Salas", [(45, 100.0), (45, 50.0), (15, 70.0), (15, 80.0), (-10, 90.0)])
        paid, cancelled, refinanced, kept_open, future = case.installment_ids.sorted("sequence")
        paid.amount_paid = 100.0
        cancelled.state = "cancelled"
        refinanced.state = "refinanced"
        self.assertEqual(paid.state, "paid")
        self.assertEqual(self._rows(case).installment_id, kept_open | future)

        closed = self._aged_case("Rosa Closed", [(45, 100.0), (15, 100.0)])
        self.assertEqual(len(self._rows(closed)), 2)
        closed._close("returned")
        self.assertFalse(self._rows(closed), "a case returned to the creditor leaves the analysis")
        closed.action_reopen()
        self.assertEqual(len(self._rows(closed)), 2)

    def test_disputed_installments_are_flagged(self):
        case = self._aged_case("Dario Disputes", [(45, 100.0), (15, 60.0)])
        contested, other = case.installment_ids.sorted("date_due")
        self.env["collection.dispute"].create(
            {
                "case_id": case.id,
                "reason_id": self.env.ref("debt_collection.collection_dispute_reason_amount").id,
                "installment_ids": [Command.set(contested.ids)],
            }
        )
        self.assertTrue(contested.is_disputed)
        domain = [("case_id", "=", case.id)]
        disputed = self.Analysis.search(domain + [("is_disputed", "=", True)])
        self.assertEqual(disputed.installment_id, contested)
        # still owed: it stays in its bucket
        self.assertEqual(disputed.aging_bucket, "d031_060")
        self.assertEqual(self.Analysis.search(domain + [("is_disputed", "=", False)]).installment_id, other)

    def test_pivot_sums_match_sql(self):
        self._aged_case("Ana One", [(45, 100.0), (15, 20.5), (-10, 33.3)])
        self._aged_case("Bea Two", [(45, 12.25), (400, 99.0), (120, 7.0)], portfolio=self.second)
        self._aged_case("Carl Three", [(75, 61.0), (200, 18.0)], collector=self.collector_b)
        closed = self._aged_case("Dan Closed", [(45, 1000.0)])
        closed._close("returned")
        self.env.flush_all()
        # the same figures from the installments, the buckets by the Python definition
        self.env.cr.execute(
            SQL(
                """
                SELECT i.portfolio_id, CURRENT_DATE - COALESCE(i.date_aging, i.date_due),
                       SUM(i.amount_residual), COUNT(*)
                  FROM collection_installment i
                  JOIN collection_case c ON c.id = i.case_id
                 WHERE i.state IN ('pending', 'partial') AND c.state = 'open' AND i.company_id = %s
                 GROUP BY 1, 2
                """,
                self.company.id,
            )
        )
        expected = defaultdict(lambda: [0.0, 0])
        for portfolio_id, days, total, count in self.env.cr.fetchall():
            key = (aging.aging_bucket(days), portfolio_id)
            expected[key][0] += float(total)
            expected[key][1] += count
        # the whole company as a manager (demo portfolios included), then ours
        totals = self._totals(self.manager, domain=[])
        self.assertEqual(set(totals), set(expected))
        for key, (total, count) in totals.items():
            self.assertAlmostEqual(total, expected[key][0], places=2, msg=key)
            self.assertEqual(count, expected[key][1], key)
        self.assertEqual(
            self._totals(),
            {
                ("d031_060", self.external.id): (100.0, 1),
                ("d001_030", self.external.id): (20.5, 1),
                ("not_due", self.external.id): (33.3, 1),
                ("d031_060", self.second.id): (12.25, 1),
                ("d361_plus", self.second.id): (99.0, 1),
                ("d091_180", self.second.id): (7.0, 1),
                ("d061_090", self.external.id): (61.0, 1),
                ("d181_360", self.external.id): (18.0, 1),
            },
        )

    def test_who_sees_what(self):
        mine = self._aged_case("Team One Debtor", [(45, 100.0), (15, 50.0)])
        theirs = self._aged_case("Team Two Debtor", [(45, 70.0)], portfolio=self.second)
        ours = mine | theirs
        domain = [("case_id", "in", ours.ids)]

        def visible(user):
            return self.Analysis.with_user(user).search(domain).case_id

        self.assertEqual(visible(self.supervisor), mine)
        self.assertEqual(visible(self.supervisor_other), theirs)
        self.assertEqual(visible(self.manager), ours)
        self.assertEqual(visible(self.auditor), ours)
        self.assertEqual(
            self._totals(self.supervisor, domain),
            {("d031_060", self.external.id): (100.0, 1), ("d001_030", self.external.id): (50.0, 1)},
        )
        # collectors and accountants do not read the analysis
        for user in (self.collector_a, self.accountant):
            with self.assertRaises(AccessError):
                self.Analysis.with_user(user).search(domain)
            with self.assertRaises(AccessError):
                self.Analysis.with_user(user)._read_group(domain, PIVOT_GROUPBY, PIVOT_AGGREGATES)
        # nobody writes it, not even a manager
        row = self.Analysis.with_user(self.manager).search(domain, limit=1)
        with self.assertRaises(AccessError):
            row.write({"amount_residual": 1.0})
        with self.assertRaises(AccessError):
            row.unlink()

    def test_auditor_opens_the_views(self):
        """The auditor reads neither cases nor portfolios, but opens the
        report: the groups and the list show the names."""
        self._aged_case("Viewed Debtor", [(45, 100.0)])
        Analysis = self.Analysis.with_user(self.auditor)
        groups = Analysis.web_read_group(self.ours, ["amount_residual:sum"], PIVOT_GROUPBY, lazy=False)["groups"]
        self.assertIn(
            ("d031_060", (self.external.id, self.external.display_name)),
            [(group["aging_bucket"], group["portfolio_id"]) for group in groups],
        )
        spec = {
            name: {"fields": {"display_name": {}}} if field.type == "many2one" else {}
            for name, field in Analysis._fields.items()
            if name in Analysis.get_views([(False, "list")])["models"][Analysis._name]["fields"]
        }
        page = Analysis.web_search_read(self.ours, spec, limit=80)
        self.assertTrue(page["length"])
        self.assertEqual(page["records"][0]["partner_id"]["display_name"], "Viewed Debtor")

    def test_pivot_query_count_is_constant(self):
        Analysis = self.Analysis.with_user(self.supervisor)

        def pivot():
            self.env.invalidate_all()
            with self.assertQueryCount(PIVOT_QUERIES):
                groups = Analysis._read_group([], PIVOT_GROUPBY, PIVOT_AGGREGATES)
            # what the pivot view asks, with the portfolios' names
            self.env.invalidate_all()
            with self.assertQueryCount(PIVOT_WEB_QUERIES):
                Analysis.web_read_group([], ["amount_residual:sum"], PIVOT_GROUPBY, lazy=False)
            return groups

        self._aged_case("Few", [(45, 10.0), (15, 10.0)])
        Analysis.web_read_group([], ["amount_residual:sum"], PIVOT_GROUPBY, lazy=False)  # warm the caches
        few = pivot()
        self.env["collection.case"].create(
            [
                {
                    "portfolio_id": portfolio.id,
                    "partner_id": partner.id,
                    "user_id": self.collector_b.id,
                    "team_id": self.team.id,
                    "installment_ids": [
                        Command.create(
                            {"name": str(n), "date_due": self.today + timedelta(days=self.shift - n * 37), "amount": 5}
                        )
                        for n in range(4)
                    ],
                }
                for portfolio in (self.external, self.second)
                for partner in self.env["res.partner"].create([{"name": f"Many {i}"} for i in range(60)])
            ]
        )
        many = pivot()
        self.assertGreater(sum(count for *_keys, _total, count in many), sum(count for *_keys, _total, count in few))
        self.assertEqual(sum(count for *_keys, _total, count in many), 2 + 2 * 60 * 4)
