import json

from odoo import fields
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase
from odoo.tests import tagged

from .test_field_page import FieldCommon


@tagged("post_install", "-at_install")
class TestFieldMap(FieldCommon):
    """What the supervisor's map shows, to whom, and a visit moved from it."""

    def _log_visit(self, user, case, result, **vals):
        return (
            self.env["collection.interaction"]
            .with_user(user)
            .create(
                {
                    "case_id": case.id,
                    "channel_id": self.visit.id,
                    "result_id": result.id,
                    "latitude": 4.611,
                    "longitude": -74.071,
                    **vals,
                }
            )
        )

    def test_the_day_on_the_map(self):
        data = self.env["collection.visit.plan"].with_user(self.supervisor).field_map_data(self.day)
        self.assertTrue(data["can_reassign"])
        self.assertEqual([s["debtor"] for s in data["stops"]], ["Casa Uno", "Casa Dos"])
        self.assertEqual({s["kind"] for s in data["stops"]}, {"planned"})
        collectors = {c["name"]: c for c in data["collectors"]}
        # Ana has the plan; Boris is in the supervisor's team, without one
        self.assertEqual((collectors["Ana Collector"]["done"], collectors["Ana Collector"]["planned"]), (0, 2))
        self.assertEqual(collectors["Boris Collector"]["planned"], 0)
        self.assertIsNone(collectors["Ana Collector"]["last"])

        # Ana visits Casa Uno and takes a promise; her position is pinged
        self._log_visit(
            self.collector_a,
            self.casa,
            self.promised,
            promise_ids=[
                fields.Command.create(
                    {"case_id": self.casa.id, "amount": 120.0, "date_promise": fields.Date.add(self.day, days=3)}
                )
            ],
        )
        self.env["collection.field.position"].sudo().create(
            {
                "user_id": self.collector_a.id,
                "company_id": self.company.id,
                "team_id": self.team.id,
                "date": fields.Datetime.add(fields.Datetime.now(), seconds=30),
                "latitude": 4.615,
                "longitude": -74.065,
            }
        )
        data = self.env["collection.visit.plan"].with_user(self.supervisor).field_map_data(self.day)
        stops = {s["debtor"]: s for s in data["stops"]}
        self.assertEqual(stops["Casa Uno"]["kind"], "promise")
        self.assertEqual(stops["Casa Dos"]["kind"], "planned")
        self.assertNotEqual(stops["Casa Uno"]["colour"], stops["Casa Dos"]["colour"])
        ana = next(c for c in data["collectors"] if c["name"] == "Ana Collector")
        self.assertEqual((ana["done"], ana["planned"], ana["visits"], ana["promises"]), (1, 2, 1, 1))
        self.assertIn("120.00", ana["promised"])
        self.assertEqual(ana["track"], [[4.611, -74.071], [4.615, -74.065]])
        self.assertEqual((ana["last"]["latitude"], ana["last"]["longitude"]), (4.615, -74.065))

        # a collector sees their own day only; another team's supervisor nothing
        own = self.env["collection.visit.plan"].with_user(self.collector_a).field_map_data(self.day)
        self.assertEqual(len(own["stops"]), 2)
        self.assertFalse(own["can_reassign"])
        other = self.env["collection.visit.plan"].with_user(self.collector_b).field_map_data(self.day)
        self.assertEqual((other["stops"], other["collectors"]), ([], []))
        other = self.env["collection.visit.plan"].with_user(self.supervisor_other).field_map_data(self.day)
        self.assertEqual(other["stops"], [])
        self.assertNotIn("Ana Collector", [c["name"] for c in other["collectors"]])

    def test_a_visit_moved_to_another_collector(self):
        stop = self.stops.filtered(lambda s: s.case_id == self.casa_dos)
        with self.assertRaises(AccessError):
            stop.with_user(self.collector_a).action_move_to(self.collector_b.id)
        with self.assertRaises(UserError):
            stop.with_user(self.supervisor).action_move_to(self.accountant.id)
        stop.with_user(self.supervisor).action_move_to(self.collector_b.id)
        self.assertEqual(stop.plan_id.user_id, self.collector_b)
        self.assertEqual(stop.plan_id.date, self.day)
        self.assertEqual(self.plan.stop_ids.case_id, self.casa)
        self.assertEqual(self.casa_dos.today_user_id, self.collector_b)
        event = (
            self.env["collection.event"].sudo().search([("case_id", "=", self.casa_dos.id)], order="id desc", limit=1)
        )
        self.assertIn("Boris Collector", event.description)
        # Boris may now work the case and his visit marks the stop visited
        self.collector_b.tz = "UTC"
        visit = self._log_visit(self.collector_b, self.casa_dos, self.contacted)
        self.assertEqual((stop.state, stop.interaction_id), ("done", visit))
        # a visit done stays where it was done
        with self.assertRefused(UserError, "Only a planned visit"):
            stop.with_user(self.supervisor).action_move_to(self.collector_a.id)
        # Ana's visit sent from the phone for the moved case is now a conflict, kept for the supervisor
        self.casa_dos.sudo().today_user_id = self.collector_b
        self.casa_dos.sudo().user_id = self.collector_b
        outcome = (
            self.env["collection.field.submission"]
            .with_user(self.collector_a)
            ._receive(self._visit("k-moved", self.casa_dos, photos=[]))
        )
        self.assertEqual(outcome["status"], "conflict")

    def test_the_plan_starts_where_the_collector_starts(self):
        member = self.team.member_ids.filtered(lambda m: m.user_id == self.collector_b)
        member.write({"start_latitude": 4.7, "start_longitude": -74.05})
        plan = (
            self.env["collection.visit.plan"]
            .with_user(self.supervisor)
            .create({"user_id": self.collector_b.id, "date": self.day})
        )
        self.assertEqual((plan.start_latitude, plan.start_longitude), (4.7, -74.05))
        with self.assertRaises(ValidationError):
            member.start_latitude = 123.0


@tagged("post_install", "-at_install")
class TestFieldMapBrowser(FieldCommon, HttpCase):
    def test_the_map_loads_and_a_stop_is_moved(self):
        code = f"""(async () => {{
            const wait = async (check, what) => {{
                for (let i = 0; i < 200; i++) {{
                    if (check()) return;
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }}
                throw new Error("timeout: " + what);
            }};
            const rows = () => [...document.querySelectorAll(".dc_map_collector_row")].map((r) => r.textContent);
            await wait(() => document.querySelectorAll(".dc_map_stop").length === 2, "two stops on the map");
            await wait(() => rows().some((t) => t.includes("Ana Collector") && t.includes("0 / 2")), "Ana's figures");
            document.querySelector(".dc_map_stop").dispatchEvent(new MouseEvent("click", {{bubbles: true}}));
            await wait(() => document.querySelector(".dc_map_move_to"), "the stop's popup");
            document.querySelector(".dc_map_move_to").value = "{self.collector_b.id}";
            document.querySelector(".dc_map_move").click();
            await wait(() => rows().some((t) => t.includes("Boris Collector") && t.includes("0 / 1")), "moved");
            await wait(() => rows().some((t) => t.includes("Ana Collector") && t.includes("0 / 1")), "left Ana");
            console.log("test successful");
        }})()"""
        self.supervisor.tz = "UTC"
        self.browser_js(
            "/odoo/action-debt_collection.collection_field_map_action",
            code,
            ready="!!document.querySelector('.dc_field_map .leaflet-container')",
            login="dc_supervisor",
        )
        self.assertEqual(len(self.plan.stop_ids), 1)


@tagged("post_install", "-at_install")
class TestZoneAreaDrawing(FieldCommon, HttpCase):
    def test_an_area_drawn_on_the_map(self):
        zone = self.env["collection.zone"].create({"name": "Chapinero", "team_id": self.team.id})
        self.assertEqual(
            self.env["collection.zone"].with_user(self.manager).area_map_centre(),
            {"latitude": 4.615, "longitude": -74.065},
        )
        with self.assertRaises(AccessError):
            self.env["collection.zone"].with_user(self.collector_a).area_map_centre()
        # three corners clicked around the two debtors, then Finish and Save
        code = """(async () => {
            const wait = async (check, what) => {
                for (let i = 0; i < 200; i++) {
                    if (check()) return;
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                throw new Error("timeout: " + what);
            };
            await wait(() => document.querySelector(".dc_area_draw"), "the map of the area");
            await new Promise((resolve) => setTimeout(resolve, 500));
            document.querySelector(".dc_area_draw").click();
            await wait(() => document.querySelector(".dc_area_finish"), "drawing");
            const map = document.querySelector(".dc_zone_area_canvas");
            const box = map.getBoundingClientRect();
            for (const [x, y] of [[0.15, 0.15], [0.85, 0.15], [0.5, 0.9]]) {
                const point = {clientX: box.left + box.width * x, clientY: box.top + box.height * y, bubbles: true};
                map.dispatchEvent(new MouseEvent("mousedown", point));
                map.dispatchEvent(new MouseEvent("mouseup", point));
                map.dispatchEvent(new MouseEvent("click", point));
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            await wait(() => !document.querySelector(".dc_area_finish").disabled, "three corners");
            document.querySelector(".dc_area_finish").click();
            await wait(() => document.querySelector(".dc_area_clear"), "the area drawn");
            document.querySelector(".o_form_button_save").click();
            await wait(() => document.querySelector(".o_form_status_indicator_buttons.invisible"), "saved");
            console.log("test successful");
        })()"""
        self.browser_js(
            f"/odoo/action-debt_collection.collection_zone_action/{zone.id}",
            code,
            ready="!!document.querySelector('.dc_zone_area_canvas.leaflet-container')",
            login="dc_manager",
        )
        zone.invalidate_recordset()
        area = json.loads(zone.area_geojson)
        self.assertEqual(area["type"], "Polygon")
        self.assertEqual(len(area["coordinates"][0]), 4)
        # the area holds the debtors it was drawn around: their cases move to the zone
        self.env["collection.case"]._assign_zones(self.company)
        self.assertEqual((self.casa | self.casa_dos).zone_id, zone)
