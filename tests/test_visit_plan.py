import itertools
import random
import shutil
from datetime import date

from odoo import fields
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import HttpCase
from odoo.tests import TransactionCase
from odoo.tests import tagged

from ..tools import routing
from .common import CollectionCommon
from .common import pdf_text

START = (4.60, -74.08)


@tagged("post_install", "-at_install")
class TestRouting(TransactionCase):
    """The route optimiser against brute force on small instances."""

    def _instance(self, seed, count):
        rng = random.Random(seed)
        return [(START[0] + rng.uniform(-0.05, 0.05), START[1] + rng.uniform(-0.05, 0.05)) for _i in range(count)]

    def test_shortest_open_route_is_found(self):
        for seed in range(5):
            stops = self._instance(seed, 6)
            matrix = routing.distance_matrix([START, *stops])
            best = min(routing.path_length(matrix, order) for order in itertools.permutations(range(6)))
            route = routing.plan_route(START, stops, time_limit_s=0.3)
            with self.subTest(seed=seed):
                self.assertEqual(sorted(route.order), list(range(6)))
                self.assertEqual(route.distance_m, best)
                self.assertEqual(route.arrivals, sorted(route.arrivals))

    def test_time_windows_are_met_or_the_stop_dropped(self):
        stops = self._instance(7, 5)
        # the first stop may only be visited in the afternoon, the second not before 10:00 nor after 10:30
        windows = [(14 * 60, 18 * 60), (10 * 60, 10 * 60 + 30), None, None, None]
        route = routing.plan_route(START, stops, windows=windows, time_limit_s=0.3)
        arrival = dict(zip(route.order, route.arrivals, strict=True))
        self.assertGreaterEqual(arrival[0], 14 * 60)
        self.assertTrue(10 * 60 <= arrival[1] <= 10 * 60 + 30)
        # the best among the orders that meet the windows (brute force with the same driving times)
        matrix = routing.distance_matrix([START, *stops])
        feasible = []
        for order in itertools.permutations(range(5)):
            clock, previous, ok = 8 * 60, 0, True
            for position, stop in enumerate(order):
                clock += (15 if position else 0) + -(-matrix[previous][stop + 1] // (25_000 / 60))
                low, high = windows[stop] or (0, 24 * 60)
                clock = max(clock, low)
                ok = ok and clock <= high
                previous = stop + 1
            if ok:
                feasible.append(routing.path_length(matrix, order))
        self.assertEqual(route.distance_m, min(feasible))
        # a window that ends before the day starts cannot be met: the stop is left out
        route = routing.plan_route(START, stops, windows=[(6 * 60, 7 * 60), None, None, None, None], time_limit_s=0.3)
        self.assertEqual(route.dropped, [0])


@tagged("post_install", "-at_install")
class TestVisitPlan(CollectionCommon):
    """A field collector's day planned automatically: which cases, in
    which order, and who may do what."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector_a.tz = "America/Bogota"

        def located(name, lat, lon, **vals):
            return cls._debtor(name, partner_latitude=lat, partner_longitude=lon, **vals)

        cls.promise_case = cls._case(located("Promesa", 4.61, -74.07), cls.collector_a, installments=((-30, 100.0),))
        cls.big_case = cls._case(located("Grande", 4.65, -74.05), cls.collector_a, installments=((-90, 9000.0),))
        cls.small_case = cls._case(located("Pequeña", 4.58, -74.10), cls.collector_a, installments=((-20, 50.0),))
        cls.nowhere = cls._case(cls._debtor("Sin ubicación"), cls.collector_a, installments=((-200, 5000.0),))
        cls.refuses = cls._case(
            located("No contactar", 4.62, -74.09, collection_do_not_contact=True),
            cls.collector_a,
            installments=((-300, 8000.0),),
        )
        # Colombian debtors are under Ley 2300: no field visits
        cls.colombian = cls._case(
            located("Ley 2300", 4.63, -74.06, country_id=cls.env.ref("base.co").id),
            cls.collector_a,
            installments=((-150, 7000.0),),
        )
        cls.others = cls._case(located("De Boris", 4.60, -74.08), cls.collector_b, installments=((-100, 9999.0),))
        cls.env["collection.promise"].create(
            {"case_id": cls.promise_case.id, "amount": 50.0, "date_promise": cls.today}
        )
        cls.env["collection.case"]._refresh_aging()

    def _plan(self, user, **vals):
        return (
            self.env["collection.visit.plan"]
            .with_user(user)
            .create({"user_id": self.collector_a.id, "date": self.today, "start_latitude": START[0],
                     "start_longitude": START[1], **vals})
        )  # fmt: skip

    def test_the_days_visits_are_chosen_and_ordered(self):
        plan = self._plan(self.supervisor, daily_visits=2)
        self.assertEqual(plan.team_id, self.team)
        plan.with_user(self.supervisor).action_plan_automatically()
        self.assertEqual(plan.state, "planned")
        # the promise due today first, then the best score; never a debtor without position, one who refused
        # contact, one the contact rules forbid to visit, nor another collector's case
        self.assertEqual(plan.stop_ids.case_id, self.promise_case | self.big_case)
        stops = plan.stop_ids.sorted("sequence")
        self.assertEqual(stops.mapped("arrival"), sorted(stops.mapped("arrival")))
        self.assertTrue(all(8.0 <= stop.window_from < stop.window_to <= 20.0 for stop in stops))
        matrix = routing.distance_matrix([START, *[(s.latitude, s.longitude) for s in stops]])
        self.assertAlmostEqual(plan.distance_km, routing.path_length(matrix, [0, 1]) / 1000.0, places=1)
        self.assertLessEqual(routing.path_length(matrix, [0, 1]), routing.path_length(matrix, [1, 0]))
        # a bigger day takes the small case too, and still not the others
        plan.daily_visits = 10
        plan.action_plan_automatically()
        self.assertEqual(plan.stop_ids.case_id, self.promise_case | self.big_case | self.small_case)

    def test_who_plans_and_sees_what(self):
        with self.assertRaises(AccessError):
            self._plan(self.collector_b)
        # the collector's own day, in their time zone (the visit below is logged on it)
        day = fields.Datetime.context_timestamp(
            self.collector_a.with_context(tz="America/Bogota"), fields.Datetime.now()
        ).date()
        plan = self._plan(self.collector_a, date=day)
        plan.action_plan_automatically()
        self.assertTrue(plan.stop_ids)
        self.assertFalse(self.env["collection.visit.plan"].with_user(self.collector_b).search([("id", "=", plan.id)]))
        self.assertEqual(
            self.env["collection.visit.plan"].with_user(self.supervisor).search([("id", "=", plan.id)]), plan
        )
        self.assertFalse(
            self.env["collection.visit.plan"].with_user(self.supervisor_other).search([("id", "=", plan.id)])
        )
        # a supervisor adds a stop by hand; a debtor without a position cannot be one
        with self.assertRefused(UserError, "has no position"):
            self.env["collection.visit.stop"].with_user(self.supervisor).create(
                {"plan_id": plan.id, "case_id": self.nowhere.id}
            )
        with self.assertRaises(AccessError):
            plan.with_user(self.collector_b).write({"daily_visits": 3})
        # the collector's visit logged on a planned case marks its stop visited; a visit done stays in its plan
        stop = plan.stop_ids[:1]
        visit = (
            self.env["collection.interaction"]
            .with_user(self.collector_a)
            .create(
                {
                    "case_id": stop.case_id.id,
                    "channel_id": self.env.ref("debt_collection.collection_channel_visit").id,
                    "result_id": self.env.ref("debt_collection.collection_result_contacted").id,
                    "latitude": 4.61,
                    "longitude": -74.07,
                }
            )
        )
        self.assertEqual((stop.state, stop.interaction_id), ("done", visit))
        self.assertEqual(plan.done_count, 1)
        with self.assertRefused(UserError, "stays in its plan"):
            stop.with_user(self.supervisor).unlink()


@tagged("post_install", "-at_install")
class TestRouteSheet(CollectionCommon, HttpCase):
    def test_route_sheet_pdf(self):
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is needed to read the route sheet back")
        debtor = self._debtor(
            "Visitada Ruta", partner_latitude=4.61, partner_longitude=-74.07, street="Calle 10 # 5-20"
        )
        self._case(debtor, self.collector_a, installments=((-30, 321.0),))
        plan = self.env["collection.visit.plan"].create(
            {"user_id": self.collector_a.id, "date": date.today(), "start_latitude": 4.6, "start_longitude": -74.08}
        )
        plan.action_plan_automatically()
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, _kind = Report._render_qweb_pdf("debt_collection.action_report_collection_route_sheet", plan.ids)
        text = pdf_text(pdf)
        self.assertIn("Route sheet", text)
        self.assertIn("Visitada Ruta", text)
        self.assertIn("Calle 10 # 5-20", text)
        self.assertIn("321.00", text)
