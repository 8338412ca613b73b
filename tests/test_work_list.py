from datetime import timedelta

from odoo.tests import tagged

from .common import CollectionCommon

KANBAN_SPEC = {
    "partner_id": {"fields": {"display_name": {}}},
    "priority_score": {},
    "name": {},
    "portfolio_id": {"fields": {"display_name": {}}},
    "partner_phone": {},
    "partner_mobile": {},
    "days_overdue": {},
    "amount_residual": {},
    "currency_id": {"fields": {}},
    "state": {},
    "aging_bucket": {},
    "next_promise_date": {},
    "next_promise_amount": {},
    "next_action_date": {},
    "activity_ids": {"fields": {}},
    "user_id": {"fields": {"display_name": {}}},
    "stage_id": {"fields": {"display_name": {}}},
}
# queries of one kanban column page (40 cards) of the work list, as a collector
WORK_LIST_PAGE_QUERIES = 14


@tagged("post_install", "-at_install")
class TestWorkList(CollectionCommon):
    def _make_cases(self, count, collector):
        partners = self.env["res.partner"].create(
            [{"name": f"Debtor {i}", "phone": f"+57 300 555 {i:04d}"} for i in range(count)]
        )
        return self.env["collection.case"].create(
            [
                {
                    "portfolio_id": self.external.id,
                    "partner_id": partner.id,
                    "user_id": collector.id,
                    "team_id": self.team.id,
                    "next_action_date": self.today + timedelta(days=i % 7),
                    "installment_ids": [
                        (0, 0, {"name": "1", "date_due": self.today - timedelta(days=i % 90 + 1), "amount": 100 + i}),
                        (0, 0, {"name": "2", "date_due": self.today + timedelta(days=30), "amount": 50}),
                    ],
                }
                for i, partner in enumerate(partners)
            ]
        )

    def _kanban_page(self, user):
        Case = self.env["collection.case"].with_user(user).with_context(tracking_disable=False)
        domain = [
            ("acting_user_ids", "in", [user.id]),
            ("state", "=", "open"),
            ("stage_id", "=", self.stage_current.id),
        ]
        return Case.web_search_read(domain, KANBAN_SPEC, limit=40, order="next_action_date, priority_score desc, id")

    def _count_queries(self, user):
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self._kanban_page(user)  # warm the ormcaches (rules, views) like a running server
        self.env.invalidate_all()
        with self.assertQueryCount(WORK_LIST_PAGE_QUERIES):
            result = self._kanban_page(user)
        return result

    def test_work_list_query_count_is_constant(self):
        self._make_cases(10, self.collector_a)
        small = self._count_queries(self.collector_a)
        self.assertEqual(small["length"], 10)
        self._make_cases(190, self.collector_a)
        self._make_cases(50, self.collector_b)
        large = self._count_queries(self.collector_a)
        self.assertEqual(len(large["records"]), 40)
        self.assertGreater(large["length"], 40)

    def test_work_list_order_and_content(self):
        cases = self._make_cases(12, self.collector_a)
        self._make_cases(5, self.collector_b)
        page = self._kanban_page(self.collector_a)
        ids = [r["id"] for r in page["records"]]
        self.assertTrue(set(ids) <= set(cases.ids), "only the collector's own cases")
        ordered = self.env["collection.case"].browse(ids)
        keys = [(c.next_action_date, -c.priority_score) for c in ordered]
        self.assertEqual(keys, sorted(keys), "next action date first, then priority")
        card = page["records"][0]
        self.assertTrue(card["partner_phone"].startswith("+57"))
        self.assertGreater(card["days_overdue"], 0)

    def test_work_list_default_filter_and_grouping(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action")
        self.assertIn("search_default_filter_my_open", action["context"])
        self.assertTrue(action["view_mode"].startswith("kanban"))
        self._make_cases(3, self.collector_a)
        groups = (
            self.env["collection.case"]
            .with_user(self.collector_a)
            .web_read_group(
                [("acting_user_ids", "in", [self.collector_a.id]), ("state", "=", "open")],
                ["stage_id"],
                ["stage_id", "amount_residual:sum"],
            )["groups"]
        )
        stage_ids = [g["stage_id"][0] for g in groups]
        # empty automatic and legal stages show as columns too
        self.assertIn(self.stage_prelegal.id, stage_ids)
        current = next(g for g in groups if g["stage_id"][0] == self.stage_current.id)
        self.assertEqual(current["stage_id_count"], 3)
