import random
from collections import Counter
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import Form
from odoo.tests import new_test_user
from odoo.tests import tagged

from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestDistribution(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector_c = cls._new_user("dc_collector_c", "group_collection_user", "Carla Collector")
        cls.collector_d = cls._new_user("dc_collector_d", "group_collection_user", "Dario Collector")
        cls.team.member_ids = [
            Command.create({"user_id": cls.collector_c.id}),
            Command.create({"user_id": cls.collector_d.id}),
        ]
        cls.collectors = cls.collector_a | cls.collector_b | cls.collector_c | cls.collector_d
        cls.member_of = {m.user_id: m for m in cls.team.member_ids}
        cls.co = cls.env.ref("base.co")
        cls.bg = cls.env.ref("base.bg")

    def _portfolio_cases(self, count, seed, **partner_vals):
        """``count`` unassigned open cases of the team with random, skewed balances."""
        rng = random.Random(seed)
        partners = self.env["res.partner"].create(
            [{"name": f"Debtor {seed}-{i}", **partner_vals} for i in range(count)]
        )
        return self.env["collection.case"].create(
            [
                {
                    "portfolio_id": self.external.id,
                    "partner_id": partner.id,
                    "team_id": self.team.id,
                    "installment_ids": [
                        Command.create(
                            {
                                "name": "1",
                                "date_due": self.today - timedelta(days=rng.randint(1, 400)),
                                "amount": round(rng.lognormvariate(6, 1.2), 2),
                            }
                        )
                    ],
                }
                for partner in partners
            ]
        )

    def _wizard(self, cases, user=None, **values):
        user = user or self.supervisor
        form = Form(
            self.env["collection.distribute"]
            .with_user(user)
            .with_context(active_model="collection.case", active_ids=cases.ids)
        )
        form.team_id = self.team
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def _held(self, cases):
        cases.invalidate_recordset()
        return Counter(case.user_id for case in cases)

    def test_balanced_on_random_portfolios(self):
        for seed in (1, 2, 3):
            cases = self._portfolio_cases(41 + seed * 7, seed)
            wizard = self._wizard(cases)
            self.assertEqual(wizard.user_ids, self.collectors, "the team's members are proposed")
            wizard.action_preview()
            self.assertEqual(wizard.state, "preview")
            self.assertEqual(wizard.case_count, len(cases))
            self.assertLessEqual(wizard.count_spread, 1)
            self.assertEqual(sum(wizard.line_ids.mapped("new_count")), len(cases))
            events_before = self.env["collection.event"].sudo().search_count([("event_type", "=", "assignment")])
            wizard.action_apply()
            held = self._held(cases)
            self.assertEqual(set(held), set(self.collectors), f"seed {seed}")
            self.assertLessEqual(max(held.values()) - min(held.values()), 1, f"seed {seed}")
            amounts = {
                user: sum(cases.filtered(lambda c, u=user: c.user_id == u).mapped("amount_residual")) for user in held
            }
            largest = max(cases.mapped("amount_residual"))
            self.assertLessEqual(max(amounts.values()) - min(amounts.values()), largest, f"seed {seed}")
            # the preview announced what was applied
            for line in wizard.line_ids:
                self.assertEqual(line.new_count, held[line.user_id])
                self.assertAlmostEqual(line.new_amount, amounts[line.user_id], places=2)
            # history: one open distribution line per case, by the supervisor; one event for all
            history = cases.assignment_ids
            self.assertEqual(len(history), len(cases))
            self.assertEqual(set(history.mapped("reason")), {"distribution"})
            self.assertEqual(history.assigned_by_id, self.supervisor)
            self.assertFalse(any(history.mapped("date_end")))
            events = (
                self.env["collection.event"]
                .sudo()
                .search([("event_type", "=", "assignment")], order="id desc", limit=1)
            )
            self.assertEqual(
                self.env["collection.event"].sudo().search_count([("event_type", "=", "assignment")]), events_before + 1
            )
            self.assertEqual(events.payload["cases"], len(cases))
            self.assertEqual(events.user_id, self.supervisor)
            cases.write({"user_id": False})

    def test_equal_count_and_manual(self):
        cases = self._portfolio_cases(10, 7)
        self._wizard(cases, method="count").action_apply()
        held = self._held(cases)
        self.assertEqual(sorted(held.values()), [2, 2, 3, 3])
        more = self._portfolio_cases(5, 8)
        wizard = self._wizard(more, method="manual", manual_user_id=self.collector_c)
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.filtered(lambda line: line.user_id == self.collector_c).new_count, 5)
        wizard.action_apply()
        self.assertEqual(more.user_id, self.collector_c)
        with self.assertRaises(AssertionError):
            # the collector is required for the manual method
            self._wizard(more, method="manual")

    def test_by_zone(self):
        Zone = self.env["collection.zone"]
        bogota = Zone.create({"name": "Bogotá", "country_ids": [Command.set(self.co.ids)], "cities": "Bogotá"})
        rest = Zone.create({"name": "Colombia", "country_ids": [Command.set(self.co.ids)], "sequence": 90})
        bulgaria = Zone.create({"name": "Bulgaria", "country_ids": [Command.set(self.bg.ids)]})
        self.member_of[self.collector_a].zone_ids = bogota
        self.member_of[self.collector_b].zone_ids = bogota
        self.member_of[self.collector_c].zone_ids = rest
        bog_cases = self._portfolio_cases(9, 11, country_id=self.co.id, city="BOGOTA")
        cali_cases = self._portfolio_cases(4, 12, country_id=self.co.id, city="Cali")
        sofia_cases = self._portfolio_cases(2, 13, country_id=self.bg.id, city="Sofia")
        nowhere = self._portfolio_cases(1, 14)
        self.assertEqual(bog_cases.zone_id, bogota, "the most specific zone, accents ignored")
        self.assertEqual(cali_cases.zone_id, rest)
        self.assertEqual(sofia_cases.zone_id, bulgaria)
        self.assertFalse(nowhere.zone_id)
        all_cases = bog_cases | cali_cases | sofia_cases | nowhere
        wizard = self._wizard(all_cases, method="zone")
        wizard.action_preview()
        self.assertEqual(wizard.unassigned_count, 3, "Bulgaria is not covered, one case has no zone")
        wizard.action_apply()
        held = self._held(bog_cases)
        self.assertEqual(set(held), {self.collector_a, self.collector_b})
        self.assertLessEqual(abs(held[self.collector_a] - held[self.collector_b]), 1)
        self.assertEqual(cali_cases.user_id, self.collector_c)
        self.assertFalse((sofia_cases | nowhere).user_id)
        # a new zone matching some debtors moves their cases to it
        north = Zone.create(
            {"name": "Bogotá north", "country_ids": [Command.set(self.co.ids)], "cities": "Bogota", "zip_codes": "1101"}
        )
        bog_cases[0].partner_id.zip = "110111"
        self.assertEqual(bog_cases[0].zone_id, north)
        self.assertEqual(bog_cases[1].zone_id, bogota)

    def test_by_client_keeps_the_debtor_collector(self):
        debtor = self._debtor("Repeat Debtor")
        old_case = self._case(debtor, self.collector_b, portfolio=self.internal)
        new_case = self._case(debtor, None)
        others = self._portfolio_cases(6, 21)
        self._wizard(new_case | others, method="client").action_apply()
        self.assertEqual(new_case.user_id, self.collector_b, "same debtor, same collector")
        self.assertEqual(old_case.user_id, self.collector_b)
        held = self._held(others)
        self.assertEqual(sum(held.values()), 6)

    def test_capacity_and_absent_members(self):
        self.member_of[self.collector_c].max_open_cases = 2
        # D is absent without a substitute, B is absent and A substitutes B
        self.member_of[self.collector_d].write({"absence_from": self.today - timedelta(days=1)})
        self.member_b.write({"absence_from": self.today, "absence_to": self.today + timedelta(days=5)})
        cases = self._portfolio_cases(12, 31)
        wizard = self._wizard(cases)
        wizard.action_preview()
        self.assertIn("Dario Collector", wizard.warning)
        self.assertIn("Boris Collector", wizard.warning)
        self.assertFalse(wizard.line_ids.filtered(lambda line: line.user_id in self.collector_b | self.collector_d))
        wizard.action_apply()
        held = self._held(cases)
        # C stops at capacity; A receives their own share and B's share
        self.assertEqual(held[self.collector_c], 2)
        self.assertEqual(held[self.collector_a], 10)
        self.assertNotIn(self.collector_b, held)
        self.assertNotIn(self.collector_d, held)
        # capacity counts what C already holds
        more = self._portfolio_cases(3, 32)
        wizard = self._wizard(more, user_ids=self.collector_c)
        with self.assertRaises(UserError):
            wizard.action_apply()
        self.assertFalse(more.user_id, "C is full: nothing given")

    def test_substitute_capacity_covers_all_their_shares(self):
        self.member_b.write({"absence_from": self.today})
        self.member_of[self.collector_a].max_open_cases = 3
        cases = self._portfolio_cases(10, 33)
        self._wizard(cases, user_ids=self.collector_a | self.collector_b | self.collector_c).action_apply()
        held = self._held(cases)
        self.assertEqual(held[self.collector_a], 3, "own share and B's share together stay within A's capacity")
        self.assertEqual(held[self.collector_c], 7)
        self.assertNotIn(self.collector_b, held)

    def test_even_out_total_workload(self):
        loaded = self._portfolio_cases(6, 41)
        loaded.write({"user_id": self.collector_a.id})
        cases = self._portfolio_cases(10, 42)
        self._wizard(cases, include_held=True, user_ids=self.collector_a | self.collector_b).action_apply()
        held = self._held(cases)
        self.assertEqual(held[self.collector_b], 8)
        self.assertEqual(held[self.collector_a], 2)

    def test_sources_saved_filter_and_portfolio(self):
        cases = self._portfolio_cases(4, 51)
        assigned = self._portfolio_cases(2, 52)
        assigned.write({"user_id": self.collector_d.id})
        wizard = (
            self.env["collection.distribute"]
            .with_user(self.supervisor)
            .create(
                {
                    "source": "portfolio",
                    "portfolio_id": self.external.id,
                    "team_id": self.team.id,
                    "user_ids": [Command.set((self.collector_a | self.collector_b).ids)],
                }
            )
        )
        wizard.action_apply()
        self.assertEqual(set(cases.mapped("user_id")), {self.collector_a, self.collector_b})
        self.assertEqual(assigned.user_id, self.collector_d, "only unassigned cases of the portfolio")
        saved = self.env["ir.filters"].create(
            {
                "name": "Debtors 52",
                "model_id": "collection.case",
                "domain": "[('partner_id.name', 'like', 'Debtor 52-')]",
                "user_id": self.supervisor.id,
            }
        )
        # a favourite using the search view's date helpers
        dated = self.env["ir.filters"].create(
            {
                "name": "Not parked",
                "model_id": "collection.case",
                "domain": "[('partner_id.name', 'like', 'Debtor 51-'), '|', ('resubmission_date', '=', False),"
                " ('resubmission_date', '<=', context_today().strftime('%Y-%m-%d'))]",
                "user_id": self.supervisor.id,
            }
        )
        self._wizard(
            self.env["collection.case"],
            source="filter",
            filter_id=dated,
            method="manual",
            manual_user_id=self.collector_d,
        ).action_apply()
        self.assertEqual(cases.user_id, self.collector_d)
        self._wizard(
            self.env["collection.case"],
            source="filter",
            filter_id=saved,
            method="manual",
            manual_user_id=self.collector_c,
        ).action_apply()
        self.assertEqual(assigned.user_id, self.collector_c)

    def test_rights(self):
        cases = self._portfolio_cases(3, 61)
        with self.assertRaises(AccessError):
            self.env["collection.distribute"].with_user(self.collector_a).create({"team_id": self.team.id})
        # a supervisor only distributes to the members of the teams they lead
        outsider = new_test_user(
            self.env, "dc_outsider", "debt_collection.group_collection_user", {"no_reset_password": True}
        )
        wizard = self._wizard(cases, user_ids=self.collector_a | outsider)
        with self.assertRaises(AccessError):
            wizard.action_preview()
        # another supervisor does not see these cases: nothing to distribute
        other_team = self.env["collection.team"].create(
            {
                "name": "Team Two",
                "supervisor_id": self.supervisor_other.id,
                "member_ids": [Command.create({"user_id": outsider.id})],
            }
        )
        wizard = (
            self.env["collection.distribute"]
            .with_user(self.supervisor_other)
            .create(
                {
                    "case_ids": [Command.set(cases.ids)],
                    "team_id": other_team.id,
                    "user_ids": [Command.set(outsider.ids)],
                }
            )
        )
        with self.assertRaises(UserError):
            wizard.action_apply()
        self.assertFalse(cases.user_id)

    def test_old_collector_loses_access_after_distribution(self):
        case = self._case(self._debtor("Moving Debtor"), self.collector_a)
        self.env["collection.case"]._plan_today()
        self.assertEqual(case.today_user_id, self.collector_a)
        case.with_user(self.collector_a).read(["name"])
        self._wizard(case, method="manual", manual_user_id=self.collector_c).action_apply()
        self.assertEqual(case.user_id, self.collector_c)
        self.assertEqual(case.today_user_id, self.collector_c, "it enters the new collector's Today list")
        with self.assertRaises(AccessError):
            case.with_user(self.collector_a).read(["name"])
        with self.assertRaises(AccessError):
            case.installment_ids.with_user(self.collector_a).read(["amount"])
        case.with_user(self.collector_c).read(["name"])
        closed, opened = case.assignment_ids.sorted("id")
        self.assertTrue(closed.date_end)
        self.assertEqual(opened.previous_user_id, self.collector_a)
        self.assertEqual(opened.reason, "distribution")
