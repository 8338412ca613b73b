from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import Form
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
    "company_currency_id": {"fields": {}},
    "state": {},
    "work_tier": {},
    "resubmission_date": {},
    "amount_disputed": {},
    "partner_do_not_contact": {},
    "aging_bucket": {},
    "next_promise_date": {},
    "next_promise_amount": {},
    "next_action_date": {},
    "contact_allowed_now": {},
    "contact_now_note": {},
    "score_band": {},
    "absence_note": {},
    "covered_by_credits": {},
    "activity_ids": {"fields": {}},
    "user_id": {"fields": {"display_name": {}}},
    "stage_id": {"fields": {"display_name": {}}},
}
# queries of one kanban column page (40 cards) of the work list, as a collector
# (the contact-rule check of the cards adds up to five: debtors, countries, authorised channels, policy, contacts;
# the absences of the collectors one; the company currency of the column sums one)
WORK_LIST_PAGE_QUERIES = 21


@tagged("post_install", "-at_install")
class TestWorkList(CollectionCommon):
    def _make_cases(self, count, collector):
        partners = self.env["res.partner"].create(
            # Colombian debtors: the cards check Ley 2300's hours and contact limits
            [
                {"name": f"Debtor {i}", "phone": f"+57 300 555 {i:04d}", "country_id": self.env.ref("base.co").id}
                for i in range(count)
            ]
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

    def _kanban_page(self, user, today=False):
        Case = self.env["collection.case"].with_user(user).with_context(tracking_disable=False)
        domain = [
            ("today_user_id" if today else "acting_user_ids", "in", [user.id]),
            ("state", "=", "open"),
            ("stage_id", "=", self.stage_current.id),
        ]
        return Case.web_search_read(domain, KANBAN_SPEC, limit=40, order="work_tier, priority_score desc, id")

    def _count_queries(self, user, today=False):
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self._kanban_page(user, today)  # warm the ormcaches (rules, views) like a running server
        self.env.invalidate_all()
        with self.assertQueryCount(WORK_LIST_PAGE_QUERIES):
            result = self._kanban_page(user, today)
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

    def test_today_list_query_count_is_constant(self):
        member_a = self.team.member_ids.filtered(lambda m: m.user_id == self.collector_a)
        member_a.daily_capacity = 200
        self._make_cases(10, self.collector_a)
        self.env["collection.case"]._plan_today()
        small = self._count_queries(self.collector_a, today=True)
        self.assertEqual(small["length"], 10)
        self._make_cases(190, self.collector_a)
        self._make_cases(50, self.collector_b)
        self.env["collection.case"]._plan_today()
        large = self._count_queries(self.collector_a, today=True)
        self.assertEqual(len(large["records"]), 40)
        self.assertGreater(large["length"], 40)

    def test_work_list_order_and_content(self):
        cases = self._make_cases(12, self.collector_a)
        self._make_cases(5, self.collector_b)
        page = self._kanban_page(self.collector_a)
        ids = [r["id"] for r in page["records"]]
        self.assertTrue(set(ids) <= set(cases.ids), "only the collector's own cases")
        ordered = self.env["collection.case"].browse(ids)
        keys = [(c.work_tier, -c.priority_score) for c in ordered]
        self.assertEqual(keys, sorted(keys), "work-list reason first, then priority")
        card = page["records"][0]
        self.assertTrue(card["partner_phone"].startswith("+57"))
        self.assertGreater(card["days_overdue"], 0)

    def test_work_list_default_filter_and_grouping(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action")
        self.assertIn("search_default_filter_today", action["context"])
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

    # ------------------------------------------------------------------
    # Order: promise due, follow-up due, then score
    # ------------------------------------------------------------------
    def test_order_promise_then_follow_up_then_score(self):
        plain_big = self._case(self._debtor("Big and old"), self.collector_a, installments=((-300, 90000.0),))
        plain_small = self._case(self._debtor("Small"), self.collector_a, installments=((-20, 50.0),))
        promise_today = self._case(self._debtor("Promise today"), self.collector_a, installments=((-20, 10.0),))
        promise_late = self._case(self._debtor("Promise late"), self.collector_a, installments=((-20, 20.0),))
        promise_later = self._case(self._debtor("Promise next week"), self.collector_a, installments=((-20, 30.0),))
        callback = self._case(self._debtor("Call back"), self.collector_a, installments=((-20, 40.0),))
        action_due = self._case(self._debtor("Action due"), self.collector_a, installments=((-20, 45.0),))
        Promise = self.env["collection.promise"].with_user(self.collector_a)
        Promise.create({"case_id": promise_today.id, "date_promise": self.today, "amount": 5.0})
        # a promise taken five days ago (the promise's own dates are not the collector's to set)
        Promise.sudo().create(
            {
                "case_id": promise_late.id,
                "date_made": self.today - timedelta(days=5),
                "date_promise": self.today - timedelta(days=3),
                "amount": 5.0,
            }
        )
        Promise.create({"case_id": promise_later.id, "date_promise": self.today + timedelta(days=7), "amount": 5.0})
        callback.with_user(self.collector_a).activity_schedule(
            "mail.mail_activity_data_call", date_deadline=self.today, user_id=self.collector_a.id
        )
        action_due.with_user(self.collector_a).next_action_date = self.today - timedelta(days=1)
        self.assertEqual(promise_today.work_tier, "1_promise")
        self.assertEqual(promise_later.work_tier, "3_priority")
        self.assertEqual(callback.next_activity_date, self.today)
        self.assertEqual(callback.work_tier, "2_follow_up")
        cases = (
            self.env["collection.case"]
            .with_user(self.collector_a)
            .search([("acting_user_ids", "in", [self.collector_a.id]), ("state", "=", "open")])
        )
        order = [c.partner_id.name for c in cases]
        self.assertEqual(set(order[:2]), {"Promise today", "Promise late"})
        self.assertEqual(set(order[2:4]), {"Call back", "Action due"})
        self.assertEqual(order[4], plain_big.partner_id.name, "then by priority score")
        self.assertLess(order.index(plain_small.partner_id.name), len(order))
        # the promise's tier moves with the calendar through the daily run
        with freeze_time(self.today + timedelta(days=7)):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertEqual(promise_later.work_tier, "1_promise")
        # a broken promise raises the score
        score = plain_small.priority_score
        self.env["collection.promise"].create(
            {
                "case_id": plain_small.id,
                "date_made": self.today - timedelta(days=10),
                "date_promise": self.today - timedelta(days=9),
                "amount": 1.0,
            }
        ).write({"state": "broken"})
        self.assertEqual(plain_small.broken_promise_count, 1)
        self.assertGreater(plain_small.priority_score, score)
        # promises are never deleted
        with self.assertRaises(UserError):
            promise_today.promise_ids.unlink()

    # ------------------------------------------------------------------
    # Today: capped to the daily capacity, leftovers to team mates
    # ------------------------------------------------------------------
    def test_daily_run_caps_today_and_shares_leftovers(self):
        member_a = self.team.member_ids.filtered(lambda m: m.user_id == self.collector_a)
        member_a.daily_capacity = 3
        self.member_b.daily_capacity = 4
        cases_a = self._make_cases(6, self.collector_a)
        cases_b = self._make_cases(1, self.collector_b)
        self.env["collection.case"]._cron_daily_refresh()
        today_a = cases_a.filtered(lambda c: c.today_user_id == self.collector_a)
        self.assertEqual(len(today_a), 3)
        # A keeps their best three
        best = cases_a.sorted(lambda c: (c.work_tier, -c.priority_score, c.id))[:3]
        self.assertEqual(today_a, best)
        # B has room for 3 more: A's next best go to B today, A still holds them
        lent = cases_a - today_a
        self.assertEqual(lent.today_user_id, self.collector_b)
        self.assertEqual(lent.user_id, self.collector_a)
        self.assertEqual(cases_b.today_user_id, self.collector_b)
        # B works them today: the Today filter shows them, the record rules let B in
        today_of_b = (
            self.env["collection.case"]
            .with_user(self.collector_b)
            .search([("today_user_id", "=", self.collector_b.id)])
        )
        self.assertEqual(today_of_b, lent | cases_b)
        lent.with_user(self.collector_b).write({"note": "<p>Called for Ana</p>"})
        # the overview counts the lists
        overview = self.env["collection.team.overview"].search([("team_id", "=", self.team.id)])
        by_user = {line.user_id: line for line in overview}
        self.assertEqual(by_user[self.collector_a].today_count, 3)
        self.assertEqual(by_user[self.collector_b].today_count, 4)
        self.assertEqual(by_user[self.collector_a].open_case_count, 6)

    def test_absent_member_cases_go_to_substitute_and_come_back(self):
        cases_b = self._make_cases(2, self.collector_b)
        self.member_b.write(
            {"absence_from": self.today + timedelta(days=1), "absence_to": self.today + timedelta(days=2)}
        )
        self.env["collection.case"]._cron_daily_refresh()
        self.assertEqual(cases_b.today_user_id, self.collector_b)
        with freeze_time(self.today + timedelta(days=1)):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertEqual(cases_b.today_user_id, self.collector_a, "the substitute works them")
            self.assertEqual(cases_b.user_id, self.collector_b, "the absent collector still holds them")
            visible = self.env["collection.case"].with_user(self.collector_a).search([("id", "in", cases_b.ids)])
            self.assertEqual(visible, cases_b)
        with freeze_time(self.today + timedelta(days=3)):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertEqual(cases_b.today_user_id, self.collector_b, "back after the absence")
            self.env.invalidate_all()
            visible = self.env["collection.case"].with_user(self.collector_a).search([("id", "in", cases_b.ids)])
            self.assertFalse(visible)

    # ------------------------------------------------------------------
    # Reassign and resubmit
    # ------------------------------------------------------------------
    def _reassign(self, cases, user, **values):
        form = Form(
            self.env["collection.case.reassign"]
            .with_user(user)
            .with_context(active_model="collection.case", active_ids=cases.ids)
        )
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def test_resubmission_comes_back_on_its_date(self):
        case = self._case(self._debtor("Abroad"), self.collector_a)
        self.env["collection.case"]._plan_today()
        self.assertEqual(case.today_user_id, self.collector_a)
        day = self.today + timedelta(days=3)
        self._reassign(
            case, self.supervisor, mode="resubmit", user_id=self.collector_b, date=day, note="Abroad"
        ).action_apply()
        self.assertEqual(case.resubmission_date, day)
        self.assertFalse(case.today_user_id, "out of the work list until the date")
        self.assertEqual(case.user_id, self.collector_a)
        with freeze_time(day - timedelta(days=1)):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertFalse(case.today_user_id)
            self.assertEqual(case.user_id, self.collector_a)
        with freeze_time(day):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertEqual(case.user_id, self.collector_b)
            self.assertEqual(case.next_action_date, day)
            self.assertEqual(case.work_tier, "2_follow_up")
            self.assertEqual(case.today_user_id, self.collector_b)
            self.assertFalse(case.resubmission_date)
            last = case.assignment_ids.sorted("id")[-1:]
            self.assertEqual(last.reason, "resubmission")
            self.assertEqual(last.previous_user_id, self.collector_a)

    def test_collector_resubmits_own_cases_only_to_themselves(self):
        case = self._case(self._debtor("Postponed"), self.collector_a)
        wizard = self._reassign(case, self.collector_a, date=self.today + timedelta(days=2))
        self.assertEqual(wizard.mode, "resubmit")
        self.assertEqual(wizard.user_id, self.collector_a)
        wizard.action_apply()
        self.assertEqual(case.resubmission_user_id, self.collector_a)
        with self.assertRaises(AccessError):
            case.with_user(self.collector_a).write({"resubmission_user_id": self.collector_b.id})
        with self.assertRaises(UserError):
            self._reassign(case, self.collector_a, date=self.today).action_apply()
        wizard = (
            self.env["collection.case.reassign"]
            .with_user(self.collector_a)
            .create({"case_ids": [(6, 0, case.ids)], "mode": "now", "user_id": self.collector_b.id})
        )
        with self.assertRaises(AccessError):
            wizard.action_apply()

    def test_reassign_now_with_reason(self):
        cases = self._make_cases(3, self.collector_a)
        self._reassign(cases, self.supervisor, user_id=self.collector_b, note="Rebalancing").action_apply()
        self.assertEqual(cases.user_id, self.collector_b)
        history = cases.assignment_ids.filtered(lambda a: not a.date_end)
        self.assertEqual(set(history.mapped("note")), {"Rebalancing"})
        self.assertEqual(history.previous_user_id, self.collector_a)

    # ------------------------------------------------------------------
    # Supervisor: team board (drag and drop) and overview
    # ------------------------------------------------------------------
    def test_drag_to_another_collector_reassigns_with_history(self):
        case = self._case(self._debtor("Dragged"), self.collector_a)
        self.env["collection.case"]._plan_today()
        board = self.env["collection.case"].with_user(self.supervisor)
        groups = board.web_read_group([("state", "=", "open")], ["user_id"], ["user_id"])["groups"]
        columns = {g["user_id"][0] for g in groups if g["user_id"]}
        self.assertIn(self.collector_b.id, columns, "an empty column for every team member")
        events = self.env["collection.event"].sudo().search_count([("event_type", "=", "assignment")])
        # what the kanban does when a card is dropped in another collector's column
        board.browse(case.id).web_save({"user_id": self.collector_b.id}, {"display_name": {}})
        self.assertEqual(case.user_id, self.collector_b)
        old, new = case.assignment_ids.sorted("id")
        self.assertTrue(old.date_end)
        self.assertEqual(
            (new.user_id, new.previous_user_id, new.reason), (self.collector_b, self.collector_a, "manual")
        )
        self.assertEqual(new.assigned_by_id, self.supervisor)
        self.assertEqual(
            self.env["collection.event"].sudo().search_count([("event_type", "=", "assignment")]), events + 1
        )
        self.assertEqual(case.today_user_id, self.collector_b)
        with self.assertRaises(AccessError):
            case.with_user(self.collector_a).read(["name"])
        # collectors cannot drag cards to a colleague
        with self.assertRaises(AccessError):
            case.with_user(self.collector_b).web_save({"user_id": self.collector_a.id}, {})

    def test_team_overview(self):
        cases = self._make_cases(3, self.collector_a)
        self._make_cases(2, self.collector_b)
        Promise = self.env["collection.promise"]
        Promise.create(
            {"case_id": cases[0].id, "date_promise": self.today, "amount": 10.0, "user_id": self.collector_a.id}
        )
        broken = Promise.create(
            {
                "case_id": cases[1].id,
                "date_made": self.today - timedelta(days=3),
                "date_promise": self.today - timedelta(days=1),
                "amount": 10.0,
                "user_id": self.collector_a.id,
            }
        )
        broken.write({"state": "broken", "date_closed": self.today})
        call = self.env.ref("debt_collection.collection_channel_call")
        no_answer = self.env.ref("debt_collection.collection_result_no_answer")
        # worked today: the cases on which the collector logged interactions (a note alone is no contact)
        for case in (cases[2], cases[0], cases[0]):
            self.env["collection.interaction"].with_user(self.collector_a).create(
                {"case_id": case.id, "channel_id": call.id, "result_id": no_answer.id, "direction": "inbound"}
            )
        cases[1].with_user(self.collector_a).message_post(body="Looked at the file", message_type="comment")
        overview = self.env["collection.team.overview"].with_user(self.supervisor).search([])
        line = overview.filtered(lambda o: o.user_id == self.collector_a)
        self.assertEqual(line.open_case_count, 3)
        self.assertAlmostEqual(line.amount_residual, sum(cases.mapped("amount_residual")))
        self.assertEqual(line.worked_today_count, 2)
        self.assertEqual(line.promise_due_today_count, 1)
        self.assertEqual(line.broken_promise_week_count, 1)
        # another supervisor sees nothing of this team; collectors have no access
        self.assertFalse(
            self.env["collection.team.overview"]
            .with_user(self.supervisor_other)
            .search([("team_id", "=", self.team.id)])
        )
        with self.assertRaises(AccessError):
            self.env["collection.team.overview"].with_user(self.collector_a).search([])

    # ------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------
    def test_collector_cannot_take_over_a_colleague_case_by_resubmitting(self):
        member_a = self.team.member_ids.filtered(lambda m: m.user_id == self.collector_a)
        member_a.daily_capacity = 0
        case_a = self._case(self._debtor("Held by Ana"), self.collector_a)
        self.env["collection.case"]._plan_today()
        # Ana has no room today: her case is lent to Boris, who may work it...
        self.assertEqual(case_a.today_user_id, self.collector_b)
        case_a.with_user(self.collector_b).write({"note": "<p>Called</p>"})
        # ...but not park it for himself and receive it later
        with self.assertRaises(AccessError):
            self._reassign(case_a, self.collector_b, date=self.today + timedelta(days=1)).action_apply()
        with self.assertRaises(AccessError):
            case_a.with_user(self.collector_b).write({"resubmission_date": self.today + timedelta(days=1)})
        self.assertFalse(case_a.resubmission_date)

    def test_reassignment_cancels_a_pending_resubmission(self):
        case = self._case(self._debtor("Parked then moved"), self.collector_a)
        day = self.today + timedelta(days=3)
        self._reassign(case, self.supervisor, mode="resubmit", user_id=self.collector_a, date=day).action_apply()
        self._reassign(case, self.supervisor, user_id=self.collector_b).action_apply()
        self.assertEqual(case.user_id, self.collector_b)
        self.assertFalse(case.resubmission_date, "the latest assignment wins")
        other = self._case(self._debtor("Parked then dragged"), self.collector_a)
        other.write({"resubmission_date": day, "resubmission_user_id": self.collector_a.id})
        other.with_user(self.supervisor).write({"user_id": self.collector_b.id})
        self.assertFalse(other.resubmission_user_id)
        with freeze_time(day):
            self.env["collection.case"]._cron_daily_refresh()
            self.assertEqual((case | other).user_id, self.collector_b)

    def test_supervisor_assigns_only_within_their_teams(self):
        case = self._case(self._debtor("Guarded"), self.collector_a)
        outsider = self._new_user("dc_outsider_wl", "group_collection_user", "Olga Outsider")
        with self.assertRaises(AccessError):
            self._reassign(case, self.supervisor, user_id=outsider).action_apply()
        other_team = self.env["collection.team"].create(
            {"name": "Not Sofia's", "supervisor_id": self.supervisor_other.id}
        )
        with self.assertRaises(AccessError):
            self._reassign(case, self.supervisor, user_id=self.collector_b, team_id=other_team).action_apply()
        self.assertEqual(case.user_id, self.collector_a)

    def test_collector_cannot_rewrite_a_promise_outcome(self):
        case = self._case(self._debtor("Promised"), self.collector_a)
        promise = (
            self.env["collection.promise"]
            .with_user(self.collector_a)
            .create({"case_id": case.id, "date_promise": self.today, "amount": 10.0})
        )
        promise.write({"amount": 12.0, "note": "Will pay at noon"})
        promise.sudo().write({"state": "broken"})
        for vals in (
            {"state": "kept"},
            {"date_closed": False},
            {"case_id": self._case(self._debtor("X"), self.collector_a).id},
        ):
            with self.assertRaises(AccessError):
                promise.with_user(self.collector_a).write(vals)
        self.assertEqual(promise.state, "broken")
        self.assertEqual(case.broken_promise_count, 1)

    def test_done_activity_kept_as_history_leaves_the_follow_up_tier(self):
        case = self._case(self._debtor("Call back kept"), self.collector_a)
        call = self.env.ref("mail.mail_activity_data_call")
        call.keep_done = True
        activity = case.activity_schedule(act_type_xmlid="mail.mail_activity_data_call", date_deadline=self.today)
        self.assertEqual(case.work_tier, "2_follow_up")
        activity.action_feedback("Reached the debtor")
        self.assertFalse(case.next_activity_date)
        self.assertEqual(case.work_tier, "3_priority")
