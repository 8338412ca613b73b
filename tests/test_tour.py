from datetime import timedelta

from odoo import Command
from odoo import fields
from odoo.tests import HttpCase
from odoo.tests import new_test_user
from odoo.tests import tagged


class WorkListWorld(HttpCase):
    """A supervisor, a collector in their team, and four cases of a
    portfolio: a promise due today, a call-back due today, a big debt and
    a small one."""

    def setUp(self):
        super().setUp()
        env = self.env
        today = fields.Date.context_today(env.user)
        self.supervisor = new_test_user(
            env, "dc_tour_supervisor", "debt_collection.group_collection_supervisor", name="Tour Supervisor"
        )
        self.collector = new_test_user(
            env, "dc_tour_ana", "debt_collection.group_collection_user", name="Ana Collector", tz="UTC"
        )
        team = env["collection.team"].create(
            {
                "name": "Tour Team",
                "supervisor_id": self.supervisor.id,
                "member_ids": [Command.create({"user_id": self.collector.id, "daily_capacity": 10})],
            }
        )
        portfolio = env["collection.portfolio"].create(
            {"name": "Tour Portfolio", "kind": "external", "team_id": team.id, "state": "active"}
        )
        # (debtor, days overdue, balance): the big one in the Delinquent stage,
        # the others in Current
        debts = [
            ("Tour Small", 10, 100.0),
            ("Tour Big", 45, 9000.0),
            ("Tour Callback", 10, 50.0),
            ("Tour Promise", 10, 40.0),
        ]
        self.cases = env["collection.case"].create(
            [
                {
                    "portfolio_id": portfolio.id,
                    "team_id": team.id,
                    "partner_id": env["res.partner"].create({"name": name}).id,
                    "installment_ids": [
                        Command.create({"name": "1", "date_due": today - timedelta(days=days), "amount": amount})
                    ],
                }
                for name, days, amount in debts
            ]
        )
        small, big, callback, promise = self.cases
        callback.next_action_date = today
        env["collection.promise"].create({"case_id": promise.id, "date_promise": today, "amount": 40.0})
        self.assertEqual([case.stage_id.code for case in self.cases], ["current", "delinquent", "current", "current"])


@tagged("post_install", "-at_install")
class TestDistributionTour(WorkListWorld):
    """In headless Chromium: a supervisor distributes a portfolio from the
    wizard, then the collector logs in, lands on the work list and finds
    the cases in order, in one list across stages."""

    def test_supervisor_distributes_and_collector_works_in_order(self):
        self.start_tour("/odoo", "debt_collection_distribute", login="dc_tour_supervisor")
        self.cases.invalidate_recordset()
        self.assertEqual(self.cases.user_id, self.collector)
        self.assertEqual(set(self.cases.assignment_ids.mapped("reason")), {"distribution"})
        self.assertEqual(self.cases.today_user_id, self.collector)
        # the collector lands on the work list after login
        self.assertEqual(self.collector.action_id.id, self.env.ref("debt_collection.collection_case_action").id)
        self.assertEqual(
            self.supervisor.action_id.id, self.env.ref("debt_collection.collection_case_action_team_board").id
        )
        self.start_tour("/odoo", "debt_collection_work_list", login="dc_tour_ana")


@tagged("post_install", "-at_install")
class TestWorkListOnAPhone(WorkListWorld):
    """On a phone (390 px wide), the first card of the work list is the best
    case."""

    browser_size = "390x844"
    touch_enabled = True

    def test_first_card_is_the_best_case(self):
        self.cases.user_id = self.collector
        self.env["collection.case"]._plan_today()
        self.start_tour("/odoo", "debt_collection_work_list_phone", login="dc_tour_ana")


@tagged("post_install", "-at_install")
class TestLogCallTour(HttpCase):
    """In headless Chromium: a collector logs a call with a promise to pay
    from the work list kanban, in one dialog."""

    def setUp(self):
        super().setUp()
        env = self.env
        today = fields.Date.context_today(env.user)
        self.collector = new_test_user(
            env, "dc_tour_caller", "debt_collection.group_collection_user", name="Carla Caller", tz="UTC"
        )
        team = env["collection.team"].create(
            {"name": "Call Team", "member_ids": [Command.create({"user_id": self.collector.id, "daily_capacity": 10})]}
        )
        portfolio = env["collection.portfolio"].create(
            {"name": "Call Portfolio", "kind": "external", "team_id": team.id, "state": "active"}
        )
        # no country: no contact policy restricts the hour the tour runs at
        debtor = env["res.partner"].create({"name": "Tour Caller", "mobile": "+57 300 555 0199"})
        self.case = env["collection.case"].create(
            {
                "portfolio_id": portfolio.id,
                "team_id": team.id,
                "user_id": self.collector.id,
                "partner_id": debtor.id,
                "installment_ids": [
                    Command.create({"name": "1", "date_due": today - timedelta(days=12), "amount": 240.0})
                ],
            }
        )
        env["collection.case"].create(
            {
                "portfolio_id": portfolio.id,
                "team_id": team.id,
                "user_id": self.collector.id,
                "partner_id": env["res.partner"].create({"name": "Tour Other", "mobile": "+57 300 555 0200"}).id,
                "installment_ids": [
                    Command.create({"name": "1", "date_due": today - timedelta(days=3), "amount": 50.0})
                ],
            }
        )
        env["collection.case"]._plan_today()
        self.assertEqual(self.case.today_user_id, self.collector)

    def test_collector_logs_a_call_with_a_promise(self):
        self.start_tour(
            "/odoo/action-debt_collection.collection_case_action", "debt_collection_log_call", login="dc_tour_caller"
        )
        interaction = self.case.interaction_ids
        self.assertEqual(len(interaction), 1)
        self.assertEqual(interaction.user_id, self.collector)
        self.assertEqual(interaction.result_id, self.env.ref("debt_collection.collection_result_promise"))
        self.assertEqual(interaction.phone, "+573005550199")
        self.assertEqual(interaction.note, "Will pay on Friday after payday")
        promise = interaction.promise_ids
        self.assertEqual((promise.amount, promise.state), (120.0, "open"))
        self.assertEqual(promise.date_promise, fields.Date.today() + timedelta(days=3))
        self.assertEqual(self.case.next_promise_date, promise.date_promise)
