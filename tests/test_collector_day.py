"""The collector's and supervisor's day: where they land, what a contact or
a payment changes at once, whether a debtor may be called now, a readable
case, and a search that finds debtors."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import Form
from odoo.tests import new_test_user
from odoo.tests import tagged

from ..tools import scoring
from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestCollectorDay(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.call = ref("debt_collection.collection_channel_call")
        cls.no_answer = ref("debt_collection.collection_result_no_answer")
        cls.call_type = ref("mail.mail_activity_data_call")
        # no country: no contact policy restricts the hour the tests run at
        cls.debtor = cls._debtor("Marta Quintero Arboleda", mobile="+57 310 765 4321", vat="900123455")
        cls.case = cls._case(
            cls.debtor, cls.collector_a, installments=((-40, 300.0), (-10, 200.0), (20, 100.0)), external_ref="BA-778"
        )

    # ------------------------------------------------------------ landing
    def test_collectors_land_on_the_work_list_supervisors_on_the_board(self):
        work_list = self.env.ref("debt_collection.collection_case_action")
        board = self.env.ref("debt_collection.collection_case_action_team_board")
        self.assertEqual(self.collector_a.action_id.id, work_list.id)
        self.assertEqual(self.supervisor.action_id.id, board.id)
        self.assertEqual(self.manager.action_id.id, board.id)
        self.assertFalse(self.accountant.action_id)
        # promoted later: lands on the board; a home chosen by hand is kept
        self.collector_b.groups_id += self.env.ref("debt_collection.group_collection_supervisor")
        self.assertEqual(self.collector_b.action_id.id, board.id)
        other = self.env.ref("debt_collection.collection_payment_action")
        user = new_test_user(self.env, "dc_own_home", "base.group_user", action_id=other.id)
        user.groups_id += self.env.ref("debt_collection.group_collection_user")
        self.assertEqual(user.action_id.id, other.id)

    # ------------------------------------------------------------ instant feedback
    def _log(self, result, **values):
        action = self.case.with_user(self.collector_a).action_start_call()
        form = Form(self.env[action["res_model"]].with_user(self.collector_a).with_context(**action["context"]))
        form.result_id = result
        for name, value in values.items():
            setattr(form, name, value)
        return form.save().action_log()

    def test_a_contact_answers_the_due_call_back_and_says_so(self):
        self.case.activity_schedule(
            activity_type_id=self.call_type.id,
            date_deadline=self.today,
            summary="Call back at 10:00",
            user_id=self.collector_a.id,
        )
        # tomorrow's call and a colleague's stay
        tomorrow = self.case.activity_schedule(
            activity_type_id=self.call_type.id,
            date_deadline=self.today + timedelta(days=1),
            summary="Call tomorrow",
            user_id=self.collector_a.id,
        )
        self.case.next_action_date = self.today
        self.assertEqual(self.case.work_tier, "2_follow_up")
        action = self._log(self.no_answer)
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})
        message = action["params"]["message"]
        self.assertIn("Call-back done: Call back at 10:00.", message)
        self.assertIn('no longer "Follow-up due"', message)
        self.assertEqual(self.case.activity_ids, tomorrow)
        self.assertFalse(self.case.next_action_date)
        self.assertEqual(self.case.work_tier, "3_priority")
        done = self.env["mail.message"].search(
            [("model", "=", "collection.case"), ("res_id", "=", self.case.id), ("body", "ilike", "Answered by")]
        )
        self.assertEqual(len(done), 1)

    def test_a_payment_keeps_the_promise_it_covers_at_once(self):
        promise = self.env["collection.promise"].create(
            {"case_id": self.case.id, "date_promise": self.today + timedelta(days=2), "amount": 300.0}
        )
        self.assertEqual(self.case.next_promise_date, promise.date_promise)
        action = self.case.with_user(self.collector_a).action_register_payment()
        # the dialog proposes the promise's amount
        self.assertEqual(action["context"]["default_amount"], 300.0)
        form = Form(
            self.env[action["res_model"]].with_user(self.collector_a).with_context(**action["context"]),
            view=action["views"][0][0],
        )
        self.assertEqual(form.amount, 300.0)
        payment = form.save()
        feedback = payment.action_post_and_close()
        self.assertEqual(promise.state, "kept")
        self.assertFalse(self.case.next_promise_date)
        message = feedback["params"]["message"]
        self.assertIn(f"Payment {payment.name} of", message)
        self.assertIn("Paid in full: Installment 1.", message)
        self.assertIn("kept.", message)

    def test_a_partial_payment_leaves_the_promise_to_the_daily_run(self):
        promise = self.env["collection.promise"].create(
            {
                "case_id": self.case.id,
                "date_made": self.today - timedelta(days=10),
                "date_promise": self.today - timedelta(days=5),
                "amount": 250.0,
            }
        )
        self.assertEqual(self.case.work_tier, "1_promise")
        payment = self.env["collection.payment"].create({"case_id": self.case.id, "amount": 100.0})
        payment.action_post()
        self.assertEqual(promise.state, "open", "judged by the daily run, with its grace days")
        # without a promise the dialog proposes the overdue amount
        other = self._case(self._debtor("No Promise"), self.collector_a, installments=((-5, 80.0), (30, 50.0)))
        self.assertEqual(other.action_register_payment()["context"]["default_amount"], 80.0)

    def test_post_and_print_receipt_in_one_click(self):
        payment = self.env["collection.payment"].create({"case_id": self.case.id, "amount": 300.0})
        action = payment.with_user(self.collector_a).action_post_and_print()
        self.assertEqual(payment.state, "posted")
        self.assertEqual(action["report_name"], "debt_collection.report_collection_payment_receipt")
        self.assertTrue(action["close_on_report_download"])
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("debt_collection.report_collection_payment_receipt", payment.ids)[0]
            .decode()
        )
        # the issuing company is named in the body, not only in the layout's header
        self.assertIn("Issued by", html)
        body = html.split("Issued by", 1)[1]
        self.assertIn(self.company.name, body.split("Received from", 1)[0])

    # ------------------------------------------------------------ contact allowed now
    def test_cards_say_whether_the_debtor_may_be_called_now(self):
        self.assertTrue(self.case.contact_allowed_now)
        self.assertEqual(self.case.contact_now_note, "Call allowed now")
        us_case = self._case(
            self._debtor("John Doe", country_id=self.env.ref("base.us").id, tz="America/New_York"), self.collector_a
        )
        with freeze_time("2026-03-06 12:30:00"):  # 7:30 in New York, before Regulation F's 8:00
            us_case.invalidate_recordset(["contact_allowed_now", "contact_now_note"])
            self.assertFalse(us_case.contact_allowed_now)
            self.assertIn("No call now; from Fri 08:00 debtor's time", us_case.contact_now_note)
        self.case.partner_id.collection_do_not_contact = True
        self.case.invalidate_recordset(["contact_allowed_now", "contact_now_note"])
        self.assertEqual(self.case.contact_now_note, "No call: refused by the contact rules")

    # ------------------------------------------------------------ readable case
    def test_score_band_and_what_a_collector_may_change(self):
        self.assertEqual(
            [scoring.band(score, 60.0, 35.0) for score in (100, 60, 59.99, 35, 34.9, 0, None)],
            ["high", "high", "medium", "medium", "low", "low", "low"],
        )
        # 40 days overdue, 600 owed: about 24 points
        self.assertEqual((round(self.case.priority_score), self.case.score_band), (24, "low"))
        self.assertFalse(self.case.with_user(self.collector_a).user_can_manage)
        self.assertTrue(self.case.with_user(self.supervisor).user_can_manage)
        form = Form(self.case.with_user(self.collector_a))
        for name in ("portfolio_id", "team_id", "user_id", "partner_id", "zone_id", "external_ref"):
            self.assertTrue(form._get_modifier(name, "readonly"), name)
        form.next_action_date = self.today + timedelta(days=3)
        form.save()  # no Access Error: nothing read-only was sent
        self.assertEqual(self.case.next_action_date, self.today + timedelta(days=3))
        with self.assertRaises(AccessError):
            self.case.with_user(self.collector_a).write({"team_id": False})

    # ------------------------------------------------------------ search
    def test_search_finds_the_debtor_by_name_phone_id_or_reference(self):
        Case = self.env["collection.case"].with_user(self.collector_a)
        self.env["collection.phone"].create({"partner_id": self.debtor.id, "number": "+57 601 555 0199"})
        other = self._case(self._debtor("Other Person", mobile="+57 311 000 1111"), self.collector_a)
        for text in (
            "quintero arb",
            "310 765 4321",
            "3107654321",
            "+57 310-765-4321",
            "0057 3107654321",
            "(310) 765.4321",
            "6015550199",
            "900.123.455",
            "BA-778",
            self.case.name,
        ):
            with self.subTest(text=text):
                self.assertEqual(Case.search([("debtor_search", "ilike", text)]), self.case)
        self.assertEqual(Case.search([("debtor_search", "ilike", "311 000 1111")]), other)
        self.assertFalse(Case.search([("debtor_search", "ilike", "999 999 9999")]))

    def test_search_by_number_is_quick_on_a_large_book(self):
        """A debtor calling in is found by the number they call from among
        thousands of debtors, in a bounded number of queries."""
        self.env["res.partner"].create([{"name": f"Filler {i}", "mobile": f"+57 300 {i:07d}"} for i in range(300)])
        Case = self.env["collection.case"].with_user(self.collector_a)
        Case.search([("debtor_search", "ilike", "3107654321")])  # warm the caches
        with self.assertQueryCount(8):
            found = Case.search([("debtor_search", "ilike", "3107654321")])
        self.assertEqual(found, self.case)


@tagged("post_install", "-at_install")
class TestHonestTotals(CollectionCommon):
    """No figure adds different currencies: team and aging totals are in the
    company's currency at today's rate."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        cls.euro_desk = cls.env["collection.portfolio"].create(
            {
                "name": "Europe Desk",
                "kind": "external",
                "currency_id": cls.eur.id,
                "team_id": cls.team.id,
                "state": "active",
            }
        )
        cls.usd_case = cls._case(cls._debtor("Dollar Debtor"), cls.collector_a, installments=((-20, 100.0),))
        cls.eur_case = cls._case(
            cls._debtor("Euro Debtor"),
            cls.collector_a,
            installments=((-20, 300.0), (10, 100.0)),
            portfolio=cls.euro_desk,
        )

    def test_balances_in_company_currency(self):
        self.assertEqual((self.usd_case.company_rate, self.usd_case.amount_residual_company), (1.0, 100.0))
        # 400 EUR at 2 EUR a dollar
        self.assertEqual(self.eur_case.amount_residual, 400.0)
        self.assertEqual(self.eur_case.amount_residual_company, 200.0)
        overview = self.env["collection.team.overview"].search(
            [("user_id", "=", self.collector_a.id), ("team_id", "=", self.team.id)]
        )
        self.assertEqual(overview.currency_id, self.company.currency_id)
        self.assertEqual(overview.amount_residual, 300.0)
        groups = self.env["collection.aging.analysis"]._read_group(
            [("case_id", "in", (self.usd_case | self.eur_case).ids)],
            ["aging_bucket"],
            ["amount_residual_company:sum"],
        )
        self.assertEqual(dict(groups), {"not_due": 50.0, "d001_030": 250.0})
        # the daily run moves the rate
        self.env["res.currency.rate"].create({"currency_id": self.eur.id, "name": self.today, "rate": 4.0})
        self.env["collection.case"]._refresh_company_rates()
        self.assertEqual(self.eur_case.amount_residual_company, 100.0)
        self.assertEqual(self.usd_case.amount_residual_company, 100.0)

    def test_aging_buckets_in_natural_order(self):
        groups = self.env["collection.aging.analysis"].read_group([], ["amount_residual_company:sum"], ["aging_bucket"])
        self.assertEqual(
            [group["aging_bucket"] for group in groups],
            ["not_due", "d001_030", "d031_060", "d061_090", "d091_180", "d181_360", "d361_plus"],
        )

    def test_worked_today_counts_the_collectors_own_interactions(self):
        call = self.env.ref("debt_collection.collection_channel_call")
        no_answer = self.env.ref("debt_collection.collection_result_no_answer")
        values = {"case_id": self.usd_case.id, "channel_id": call.id, "result_id": no_answer.id}
        # loaded for the collector by someone else (demo data, an import): not their work
        self.env["collection.interaction"].sudo().create(dict(values, user_id=self.collector_a.id))
        overview = self.env["collection.team.overview"]
        domain = [("user_id", "=", self.collector_a.id), ("team_id", "=", self.team.id)]
        self.assertEqual(overview.search(domain).worked_today_count, 0)
        self.env["collection.interaction"].with_user(self.collector_a).create(values)
        self.env.invalidate_all()
        self.assertEqual(overview.search(domain).worked_today_count, 1)

    def test_credits_that_cover_the_overdue_are_not_chased(self):
        case = self.usd_case
        case.sudo().amount_credit = 120.0
        self.env["collection.case"]._refresh_aging(case.ids)
        case.invalidate_recordset()
        self.assertEqual(case.amount_overdue, 0.0)
        self.assertTrue(case.covered_by_credits)
        Case = self.env["collection.case"]
        self.assertIn(case, Case.search([("covered_by_credits", "=", True)]))
        self.assertNotIn(case, Case.search([("covered_by_credits", "=", False)]))
        self.assertIn(self.eur_case, Case.search([("covered_by_credits", "=", False)]))
        # it leaves the work list: not planned in anyone's Today list
        plan = Case._plan_today()
        self.assertNotIn(case.id, plan)
        self.assertEqual(plan.get(self.eur_case.id), self.collector_a.id)
        # the Aging Analysis shows the credits beside the gross buckets: here they cover the whole balance
        groups = self.env["collection.aging.analysis"]._read_group(
            [("case_id", "=", case.id)], ["aging_bucket"], ["amount_residual_company:sum", "amount_credit_company:sum"]
        )
        self.assertEqual(groups, [("d001_030", 100.0, -100.0)])
        # something overdue beyond the credits: chased again
        case.sudo().amount_credit = 60.0
        case.invalidate_recordset()
        self.env["collection.case"]._refresh_aging(case.ids)
        case.invalidate_recordset()
        self.assertFalse(case.covered_by_credits)
        groups = self.env["collection.aging.analysis"]._read_group(
            [("case_id", "=", case.id)], ["aging_bucket"], ["amount_residual_company:sum", "amount_credit_company:sum"]
        )
        self.assertEqual(groups, [("d001_030", 100.0, -60.0)])


@tagged("post_install", "-at_install")
class TestTeamScreens(CollectionCommon):
    def test_absent_collector_shows_who_stands_in(self):
        case = self._case(self._debtor("Absent Case"), self.collector_b)
        self.assertFalse(case.absence_note)
        self.member_b.write({"absence_from": self.today, "absence_to": self.today})
        case.invalidate_recordset(["absence_note"])
        self.assertEqual(case.absence_note, "Boris Collector is absent today: Ana Collector works this case.")
        # the absent collector keeps a column on the board
        groups = (
            self.env["collection.case"]
            .with_user(self.supervisor)
            .web_read_group([("state", "=", "open")], ["user_id"], ["user_id"])
        )
        self.assertIn(self.collector_b.id, [group["user_id"][0] for group in groups["groups"] if group["user_id"]])

    def test_distribution_preview_explains_a_small_spread(self):
        cases = self._case(self._debtor("Big"), installments=((-10, 900.0),))
        cases |= self._case(self._debtor("Small"), installments=((-10, 100.0),))
        cases |= self._case(self._debtor("Tiny"), installments=((-10, 50.0),))
        form = Form(
            self.env["collection.distribute"]
            .with_user(self.supervisor)
            .with_context(active_model="collection.case", active_ids=cases.ids)
        )
        form.team_id = self.team
        wizard = form.save()
        wizard.action_preview()
        self.assertTrue(wizard.spread_note, wizard.read(["case_count", "warning", "count_spread", "unassigned_count"]))
        self.assertIn(
            "3 cases for 2 collectors cannot be shared equally: each receives 1 or 2 cases.", wizard.spread_note
        )
        self.assertIn(
            "the largest debt ($ 900.00) is 171% of an average share", wizard.spread_note.replace("\xa0", " ")
        )


@tagged("post_install", "-at_install")
class TestEventDetails(CollectionCommon):
    def _last_event(self, event_type):
        return self.env["collection.event"].sudo().search([("event_type", "=", event_type)], order="id desc", limit=1)

    def test_promise_event_carries_amount_and_date(self):
        case = self._case(self._debtor("Event Debtor"), self.collector_a)
        promise = self.env["collection.promise"].create(
            {"case_id": case.id, "amount": 120.0, "date_promise": self.today + timedelta(days=4)}
        )
        event = self._last_event("promise")
        self.assertEqual(event.case_id, case)
        self.assertIn("Promise to pay taken: $\xa0120.00 on", event.description)
        self.assertEqual(event.payload["amount"], 120.0)
        self.assertEqual(event.payload["date_promise"], str(promise.date_promise))

    def test_reassignment_says_who_received_which_cases(self):
        one = self._case(self._debtor("One"), self.collector_a)
        two = self._case(self._debtor("Two"), self.collector_a)
        reassign = self.env["collection.case.reassign"].with_user(self.supervisor)
        wizard = reassign.with_context(active_model="collection.case", active_ids=one.ids).create(
            {"case_ids": [(6, 0, one.ids)], "user_id": self.collector_b.id}
        )
        wizard.action_apply()
        event = self._last_event("assignment")
        self.assertTrue(event.description.startswith("1 case reassigned to Boris Collector."), event.description)
        self.assertIn("Boris Collector: 1", event.description)
        self.assertEqual(event.payload["case_ids_by_user"], {str(self.collector_b.id): one.ids})
        wizard = reassign.with_context(active_model="collection.case", active_ids=(one | two).ids).create(
            {"case_ids": [(6, 0, (one | two).ids)], "user_id": self.collector_a.id}
        )
        wizard.action_apply()
        self.assertIn("2 cases reassigned to Ana Collector.", self._last_event("assignment").description)
