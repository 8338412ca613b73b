from datetime import date

from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import SQL

from ..tools import aging


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

    def test_priority_grows_with_age_amount_and_broken_promises(self):
        base = aging.priority_score(30, 1000)
        self.assertGreater(aging.priority_score(200, 1000), base)
        self.assertGreater(aging.priority_score(30, 50000), base)
        self.assertGreater(aging.priority_score(30, 1000, broken_promises=2), base)
        self.assertEqual(aging.priority_score(400, 0), 0.0)
        self.assertLessEqual(aging.priority_score(10000, 10**9, 10), 100.0)

    def test_sql_formula_matches_python(self):
        cases = [
            (0, 10.0, 0, None),
            (15, 999.5, 1, 50.0),
            (120, 123456.0, 3, 100.0),
            (800, 5.0, 0, 0.0),
            (2, 3.0, 0, 100.0),
        ]
        for days, residual, broken, kept_rate in cases:
            query = SQL(
                "SELECT %s, %s",
                SQL(
                    aging.priority_score_sql("%(d)s", "%(r)s", "%(b)s", "%(k)s::numeric"),
                    d=days,
                    r=residual,
                    b=broken,
                    k=kept_rate,
                ),
                SQL(aging.aging_bucket_sql_case("%(d)s"), d=days),
            )
            self.env.cr.execute(query)
            score, bucket = self.env.cr.fetchone()
            self.assertAlmostEqual(float(score), aging.priority_score(days, residual, broken, kept_rate), places=2)
            self.assertEqual(bucket, aging.aging_bucket(days))

    def test_promise_record_moves_the_score(self):
        base = aging.priority_score(30, 1000)
        self.assertEqual(aging.priority_score(30, 1000, 0, None), base, "no history: neutral")
        self.assertAlmostEqual(aging.priority_score(30, 1000, 0, 100.0), base - 5.0, places=2)
        self.assertAlmostEqual(aging.priority_score(30, 1000, 0, 50.0), base - 2.5, places=2)
        self.assertAlmostEqual(aging.priority_score(30, 1000, 2, 0.0), base + 10.0, places=2)
        self.assertEqual(aging.priority_score(0, 1.0, 0, 100.0), 0.0, "never below zero")
