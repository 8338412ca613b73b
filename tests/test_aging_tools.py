import math
from datetime import date

from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import SQL

from ..tools import aging
from ..tools import scoring


@tagged("post_install", "-at_install")
class TestAgingTools(TransactionCase):
    def test_buckets_at_their_bounds(self):
        self.assertEqual(aging.aging_bucket(0), "not_due")
        self.assertEqual(aging.aging_bucket(1), "d001_030")
        self.assertEqual(aging.aging_bucket(30), "d001_030")
        self.assertEqual(aging.aging_bucket(31), "d031_060")
        self.assertEqual(aging.aging_bucket(90), "d061_090")
        self.assertEqual(aging.aging_bucket(91), "d091_180")
        self.assertEqual(aging.aging_bucket(360), "d181_360")
        self.assertEqual(aging.aging_bucket(361), "d361_plus")
        self.assertEqual(aging.aging_bucket(5000), "d361_plus")

    def test_days_overdue_never_negative(self):
        today = date(2026, 3, 10)
        self.assertEqual(aging.days_overdue(date(2026, 3, 1), today), 9)
        self.assertEqual(aging.days_overdue(date(2026, 4, 1), today), 0)
        self.assertEqual(aging.days_overdue(False, today), 0)

    @staticmethod
    def _legacy(days, residual, broken=0, kept_rate=None):
        """The fixed priority formula cases had before score rules, written
        out: the default rule set must give the same figures."""
        if residual <= 0:
            return 0.0
        age = min(max(days, 0), 365) / 365.0 * 50.0
        amount = min(math.log10(1.0 + residual) / 6.0, 1.0) * 40.0
        promises = min(broken * 5.0, 10.0)
        reliable = kept_rate / 100.0 * 5.0 if kept_rate is not None else 0.0
        return round(max(age + amount + promises - reliable, 0.0), 2)

    def _score(self, days, residual, broken=0, kept_rate=None):
        facts = {"days_overdue": days, "balance": residual, "broken_promises": broken, "kept_rate": kept_rate}
        return scoring.score(scoring.DEFAULT_RULES, facts)

    def test_priority_grows_with_age_amount_and_broken_promises(self):
        base = self._score(30, 1000)
        self.assertGreater(self._score(200, 1000), base)
        self.assertGreater(self._score(30, 50000), base)
        self.assertGreater(self._score(30, 1000, broken=2), base)
        self.assertEqual(self._score(400, 0), 0.0)
        self.assertLessEqual(self._score(10000, 10**9, 10), 100.0)

    def test_default_rules_are_the_former_formula_in_python_and_sql(self):
        samples = [
            (0, 10.0, 0, None),
            (15, 999.5, 1, 50.0),
            (120, 123456.0, 3, 100.0),
            (800, 5.0, 0, 0.0),
            (2, 3.0, 0, 100.0),
            (365, 1_000_000.0, 2, None),
            (40, 600.0, 0, None),
        ]
        exprs = {
            "days_overdue": "%(d)s",
            "balance": "%(r)s",
            "broken_promises": "%(b)s",
            "kept_rate": "%(k)s::numeric",
            "days_since_contact": "0",
            "open_dispute": "FALSE",
            "broken_agreement": "FALSE",
            "debtor_tag": lambda tag: "FALSE",
        }
        for days, residual, broken, kept_rate in samples:
            query = SQL(
                "SELECT %s, %s",
                SQL(scoring.score_sql(scoring.DEFAULT_RULES, exprs), d=days, r=residual, b=broken, k=kept_rate),
                SQL(aging.aging_bucket_sql_case("%(d)s"), d=days),
            )
            self.env.cr.execute(query)
            score, bucket = self.env.cr.fetchone()
            expected = self._legacy(days, residual, broken, kept_rate)
            self.assertAlmostEqual(self._score(days, residual, broken, kept_rate), expected, places=2)
            self.assertAlmostEqual(float(score), expected, places=2)
            self.assertEqual(bucket, aging.aging_bucket(days))

    def test_promise_record_moves_the_score(self):
        base = self._score(30, 1000)
        self.assertEqual(self._score(30, 1000, 0, None), base, "no history: neutral")
        self.assertAlmostEqual(self._score(30, 1000, 0, 100.0), base - 5.0, places=2)
        self.assertAlmostEqual(self._score(30, 1000, 0, 50.0), base - 2.5, places=2)
        self.assertAlmostEqual(self._score(30, 1000, 2, 0.0), base + 10.0, places=2)
        self.assertEqual(self._score(0, 1.0, 0, 100.0), 0.0, "never below zero")
