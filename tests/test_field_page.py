import base64
from datetime import datetime

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from ..models.collection_field_submission import MAX_PHOTO_BYTES
from .common import CollectionCommon

# a 1×1 PNG, the photo of the door
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


class FieldCommon(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.collector_a | cls.supervisor | cls.supervisor_other).tz = "UTC"
        cls.visit = cls.env.ref("debt_collection.collection_channel_visit")
        cls.contacted = cls.env.ref("debt_collection.collection_result_contacted")
        cls.promised = cls.env["collection.result"].search([("requires_promise", "=", True)], limit=1)
        cls.casa = cls._case(
            cls._debtor("Casa Uno", partner_latitude=4.61, partner_longitude=-74.07, street="Calle 1 # 2-3"),
            cls.collector_a,
            installments=((-30, 300.0),),
        )
        cls.casa_dos = cls._case(
            cls._debtor("Casa Dos", partner_latitude=4.62, partner_longitude=-74.06),
            cls.collector_a,
            installments=((-60, 500.0),),
        )
        cls.day = fields.Date.context_today(cls.collector_a.with_context(tz="UTC"))
        cls.plan = cls.env["collection.visit.plan"].create(
            {"user_id": cls.collector_a.id, "date": cls.day, "start_latitude": 4.6, "start_longitude": -74.08}
        )
        cls.stops = cls.env["collection.visit.stop"].create(
            [
                {"plan_id": cls.plan.id, "case_id": cls.casa.id, "sequence": 1},
                {"plan_id": cls.plan.id, "case_id": cls.casa_dos.id, "sequence": 2},
            ]
        )

    def _visit(self, key, case, **extra):
        return {
            "key": key,
            "case_id": case.id,
            "stop_id": self.stops.filtered(lambda s: s.case_id == case).id,
            "result_id": self.contacted.id,
            "note": "Nadie en casa, dejé aviso",
            "latitude": 4.6101,
            "longitude": -74.0702,
            "accuracy": 15,
            "visited_at": fields.Datetime.to_string(fields.Datetime.now()),
            "photos": [{"name": "door.png", "mimetype": "image/png", "data": "data:image/png;base64," + PNG}],
            **extra,
        }

    def _interactions(self, case):
        self.env.invalidate_all()
        return self.env["collection.interaction"].search([("case_id", "=", case.id)])


@tagged("post_install", "-at_install")
class TestFieldPage(FieldCommon, HttpCase):
    """The phone page's server side, over HTTP as the page calls it."""

    def test_day_and_visit_sent_twice_is_stored_once(self):
        self.authenticate("dc_collector_a", "dc_collector_a")
        page = self.url_open("/collection/field")
        self.assertEqual(page.status_code, 200)
        self.assertIn('id="dc_field"', page.text)
        self.assertIn("field_app.js", page.text)
        worker = self.url_open("/collection/field-sw.js")
        self.assertEqual(worker.headers.get("Service-Worker-Allowed"), "/collection/")
        day = self.make_jsonrpc_request("/collection/field/day")
        self.assertEqual([s["case"]["debtor"] for s in day["stops"]], ["Casa Uno", "Casa Dos"])
        first = day["stops"][0]["case"]
        self.assertIn("Calle 1 # 2-3", first["address"])
        self.assertEqual(len(first["installments"]), 1)
        self.assertEqual(first["overdue_value"], 300.0)
        result_ids = [r["id"] for r in day["results"]]
        self.assertIn(self.contacted.id, result_ids)
        self.assertFalse(self.env["collection.result"].browse(result_ids).filtered("is_callback"))

        outcome = self.make_jsonrpc_request("/collection/field/visit", self._visit("k-1", self.casa))
        self.assertEqual(outcome["status"], "logged")
        again = self.make_jsonrpc_request("/collection/field/visit", self._visit("k-1", self.casa))
        self.assertEqual(again["status"], "duplicate")
        self.assertEqual(again["interaction_id"], outcome["interaction_id"])
        visit = self._interactions(self.casa)
        self.assertEqual(len(visit), 1)
        self.assertEqual((visit.channel_id, visit.user_id), (self.visit, self.collector_a))
        self.assertAlmostEqual(visit.latitude, 4.6101, places=4)
        self.assertEqual(visit.attachment_ids.mapped("name"), ["door.png"])
        self.assertEqual(visit.attachment_ids.res_model, "collection.interaction")
        self.assertEqual(base64.b64decode(visit.attachment_ids.datas), base64.b64decode(PNG))
        stop = self.stops.filtered(lambda s: s.case_id == self.casa)
        self.assertEqual((stop.state, stop.interaction_id), ("done", visit))
        self.assertEqual(outcome["stop_id"], stop.id)

    def test_the_day_costs_the_same_queries_whatever_its_stops(self):
        self.authenticate("dc_collector_a", "dc_collector_a")
        self.make_jsonrpc_request("/collection/field/day")  # routing map and caches warmed

        def add_stops(count, start):
            for index in range(start, start + count):
                debtor = self._debtor(
                    f"Otra {index}", partner_latitude=4.6, partner_longitude=-74.1, phone=f"+57 601 555 00{index:02d}"
                )
                case = self._case(debtor, self.collector_a, installments=((-30, 100.0), (-10, 50.0)))
                self.env["collection.visit.stop"].create({"plan_id": self.plan.id, "case_id": case.id})
            self.env.flush_all()

        def queries():
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            day = self.make_jsonrpc_request("/collection/field/day")
            return self.cr.sql_log_count - before, len(day["stops"])

        add_stops(1, 0)
        small, stops = queries()
        self.assertEqual(stops, 3)
        add_stops(5, 1)
        big, stops = queries()
        self.assertEqual(stops, 8)
        # five more stops: no query per stop (a flush or a cache miss of the test may add one or two)
        self.assertLessEqual(big, small + 2, "the field day's queries grow with its stops")
        self.assertLessEqual(small, 35)

    def test_promise_and_position_from_the_phone(self):
        self.authenticate("dc_collector_a", "dc_collector_a")
        promise_date = fields.Date.to_string(fields.Date.add(self.day, days=5))
        outcome = self.make_jsonrpc_request(
            "/collection/field/visit",
            self._visit(
                "k-promise",
                self.casa_dos,
                result_id=self.promised.id,
                promise_amount=200,
                promise_date=promise_date,
                update_position=True,
            ),
        )
        self.assertEqual(outcome["status"], "logged", outcome["message"])
        visit = self._interactions(self.casa_dos)
        self.assertEqual(visit.promise_ids.mapped("amount"), [200.0])
        self.assertEqual(fields.Date.to_string(visit.promise_ids.date_promise), promise_date)
        self.assertAlmostEqual(self.casa_dos.partner_id.partner_latitude, 4.6101, places=4)
        # a promise without its amount is refused, kept for the supervisor
        outcome = self.make_jsonrpc_request(
            "/collection/field/visit", self._visit("k-promise-2", self.casa, result_id=self.promised.id)
        )
        self.assertEqual(outcome["status"], "refused")
        self.assertIn("promise", outcome["message"])

    def test_conflict_is_kept_and_settled_by_the_supervisor(self):
        self.authenticate("dc_collector_a", "dc_collector_a")
        # the case went to Boris while Ana was in the street
        self.casa.sudo().user_id = self.collector_b
        outcome = self.make_jsonrpc_request("/collection/field/visit", self._visit("k-conflict", self.casa))
        self.assertEqual(outcome["status"], "conflict")
        self.assertIn("reassigned", outcome["message"])
        self.assertNotIn("Boris", outcome["message"])
        self.assertFalse(self._interactions(self.casa))
        submission = self.env["collection.field.submission"].search([("key", "=", "k-conflict")])
        self.assertEqual((submission.state, submission.photo_count), ("conflict", 1))
        # Ana still sees it; Boris and the other team's supervisor do not
        Submission = self.env["collection.field.submission"]
        self.assertEqual(Submission.with_user(self.collector_a).search([("key", "=", "k-conflict")]), submission)
        self.assertFalse(Submission.with_user(self.collector_b).search([("key", "=", "k-conflict")]))
        self.assertFalse(Submission.with_user(self.supervisor_other).search([("key", "=", "k-conflict")]))
        with self.assertRaises(AccessError):
            submission.with_user(self.collector_a).action_log_on_case()
        with self.assertRaises(AccessError):
            submission.with_user(self.collector_a).write({"note": "changed"})
        submission.with_user(self.supervisor).action_log_on_case()
        visit = self._interactions(self.casa)
        self.assertEqual((submission.state, submission.interaction_id), ("logged", visit))
        self.assertEqual(visit.user_id, self.collector_a)
        self.assertEqual(len(visit.attachment_ids), 1)

    def test_refused_by_the_contact_rules_and_overridden(self):
        self.authenticate("dc_collector_a", "dc_collector_a")
        self.casa.partner_id.collection_do_not_contact = True
        outcome = self.make_jsonrpc_request("/collection/field/visit", self._visit("k-refused", self.casa))
        self.assertEqual(outcome["status"], "refused")
        self.assertFalse(self._interactions(self.casa))
        submission = self.env["collection.field.submission"].search([("key", "=", "k-refused")])
        with self.assertRaises(UserError):
            submission.with_user(self.supervisor).action_log_on_case()
        submission.with_user(self.supervisor).override_reason = "The debtor called us to ask for the visit"
        submission.with_user(self.supervisor).action_log_on_case()
        self.assertEqual(submission.state, "logged")
        self.assertEqual(self._interactions(self.casa).override_reason, "The debtor called us to ask for the visit")

    def test_bad_input_is_refused_and_nothing_is_stored(self):
        self.authenticate("dc_collector_a", "dc_collector_a")
        too_big = base64.b64encode(b"\0" * (MAX_PHOTO_BYTES + 1)).decode()
        cases = {
            "over": {"photos": [{"name": "big.jpg", "mimetype": "image/jpeg", "data": too_big}]},
            "not a photo": {"photos": [{"name": "x.exe", "mimetype": "application/octet-stream", "data": PNG}]},
            "out of range": {"latitude": 95.0},
            "cannot be read": {"latitude": "north"},
        }
        for index, (text, extra) in enumerate(cases.items()):
            with self.subTest(text=text):
                outcome = self.make_jsonrpc_request(
                    "/collection/field/visit", self._visit(f"k-bad-{index}", self.casa, **extra)
                )
                self.assertEqual(outcome["status"], "error")
                self.assertIn(text, outcome["message"])
        # a case Ana never had (neither hers nor in her plans) is refused, nothing stored
        others = self._case(self._debtor("Ajeno"), self.collector_b)
        outcome = self.make_jsonrpc_request("/collection/field/visit", self._visit("k-bad-other", others))
        self.assertEqual(outcome["status"], "error")
        self.assertFalse(self.env["collection.field.submission"].search([("key", "like", "k-bad-")]))
        self.assertFalse(self._interactions(self.casa))
        outcome = self.make_jsonrpc_request(
            "/collection/field/visit", self._visit("k-bad-huge", self.casa, case_id=1e12)
        )
        self.assertEqual(outcome["status"], "error")
        # a collector cannot point a stop of their plan at another case
        with self.assertRaises(AccessError):
            self.stops[0].with_user(self.collector_a).write({"case_id": others.id})
        # a stop whose case went to someone else is left out of the day, the rest still loads
        self.casa_dos.sudo().user_id = self.collector_b
        day = self.make_jsonrpc_request("/collection/field/day")
        self.assertEqual([s["case"]["debtor"] for s in day["stops"]], ["Casa Uno"])
        # a user who is not a collector does not reach the page
        self.authenticate("dc_accountant", "dc_accountant")
        self.assertNotEqual(self.url_open("/collection/field").status_code, 200)


@tagged("post_install", "-at_install")
class TestFieldPositions(FieldCommon):
    def test_pings_only_in_working_hours_and_not_too_often(self):
        Position = self.env["collection.field.position"].with_user(self.collector_a)
        calendar = self.company.resource_calendar_id
        self.assertTrue(calendar)
        # Monday 7 December 2026, 10:00 UTC: a working hour of the standard schedule
        with freeze_time(datetime(2026, 12, 7, 10, 0)):
            self.assertTrue(Position._ping(4.61, -74.07, 10))
            self.assertFalse(Position._ping(4.62, -74.07, 10))  # the next one within two minutes
        with freeze_time(datetime(2026, 12, 7, 10, 5)):
            self.assertTrue(Position._ping(4.62, -74.07, 10))
        # Sunday: not kept
        with freeze_time(datetime(2026, 12, 6, 11, 0)):
            self.assertFalse(Position._ping(4.62, -74.07, 10))
        with self.assertRaises(UserError):
            Position._ping(123, -74.07)
        positions = self.env["collection.field.position"].search([("user_id", "=", self.collector_a.id)])
        self.assertEqual(len(positions), 2)
        self.assertEqual(positions.team_id, self.team)
        self.assertEqual(self.env["collection.field.position"].with_user(self.supervisor).search_count([]), 2)
        self.assertEqual(self.env["collection.field.position"].with_user(self.collector_b).search_count([]), 0)
        self.assertEqual(self.env["collection.field.position"].with_user(self.supervisor_other).search_count([]), 0)


@tagged("post_install", "-at_install")
class TestFieldPageOffline(FieldCommon, HttpCase):
    """The page in Chromium: two visits logged with the network off, sent
    once it is back."""

    def _eval(self, browser, expression):
        reply = browser._websocket_request(
            "Runtime.evaluate",
            params={"expression": expression, "awaitPromise": True, "returnByValue": True},
            timeout=30,
        )
        self.assertNotIn("exceptionDetails", reply, reply)
        return reply["result"].get("value")

    def _wait(self, browser, expression, message):
        self.assertTrue(browser._wait_ready(expression, timeout=30), message)

    def _offline(self, browser, offline):
        browser._websocket_request(
            "Network.emulateNetworkConditions",
            params={"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )

    def test_two_visits_offline_then_sent(self):
        browser = ChromeBrowser(self, headless=True, success_signal="test successful")
        try:
            self.authenticate("dc_collector_a", "dc_collector_a", browser=browser)
            browser._websocket_request(
                "Browser.grantPermissions", params={"permissions": ["geolocation"], "origin": self.base_url()}
            )
            browser._websocket_request(
                "Emulation.setGeolocationOverride", params={"latitude": 4.6101, "longitude": -74.0702, "accuracy": 12}
            )
            self.cr.flush()
            browser.navigate_to(self.base_url() + "/collection/field", wait_stop=True)
            self._wait(browser, "window.dcField && window.dcField.ready", "the page did not start")
            self._wait(
                browser, "navigator.serviceWorker.controller !== null", "the service worker does not control the page"
            )
            self._wait(
                browser,
                "caches.match('/collection/field').then((page) => Boolean(page))",
                "the page is not kept for offline use",
            )
            self.assertEqual(self._eval(browser, "document.querySelectorAll('#dc_stops li').length"), 2)

            self._offline(browser, True)
            self._wait(browser, "!navigator.onLine && document.querySelector('.dc_offline') !== null", "not offline")
            # the page reloaded without a network still shows the day from the phone
            browser.navigate_to(self.base_url() + "/collection/field", wait_stop=True)
            self._wait(browser, "window.dcField && window.dcField.ready", "the page did not start offline")
            self.assertEqual(self._eval(browser, "document.querySelectorAll('#dc_stops li').length"), 2)
            # a photo over the limit is refused on the phone, with a message, and nothing is queued
            self._eval(browser, self._log_visit_js(self.stops[0], "Too big", photo_bytes=MAX_PHOTO_BYTES + 1))
            self._wait(browser, "(document.getElementById('dc_error') || {}).textContent?.includes('MB')", "no message")
            self.assertEqual(self._eval(browser, "window.dcField.queueSize()"), 0)
            for stop in self.stops:
                self._eval(browser, self._log_visit_js(stop, f"Visita offline {stop.sequence}"))
                self._wait(browser, "document.getElementById('dc_stops') !== null", "the visit was not saved")
            self.assertEqual(self._eval(browser, "window.dcField.queueSize()"), 2)
            self.assertIn("2", self._eval(browser, "document.getElementById('dc_waiting').textContent"))
            self.assertFalse(self._interactions(self.casa) | self._interactions(self.casa_dos))

            self._offline(browser, False)
            self._wait(browser, "window.dcField.queueSize().then((size) => size === 0)", "the queue was not sent")
        finally:
            browser.stop()
            self._wait_remaining_requests()
        visits = self._interactions(self.casa) | self._interactions(self.casa_dos)
        self.assertEqual(len(visits), 2)
        self.assertEqual(sorted(visits.mapped("note")), ["Visita offline 1", "Visita offline 2"])
        for visit in visits:
            self.assertEqual(visit.channel_id, self.visit)
            self.assertEqual(len(visit.attachment_ids), 1)
            self.assertAlmostEqual(visit.latitude, 4.6101, places=4)
            self.assertAlmostEqual(visit.longitude, -74.0702, places=4)
        self.assertEqual(set(self.stops.mapped("state")), {"done"})
        self.assertEqual(
            self.env["collection.field.submission"].search_count([("user_id", "=", self.collector_a.id)]), 2
        )

    def _log_visit_js(self, stop, note, photo_bytes=0):
        photo = (
            f"new Uint8Array({photo_bytes})"
            if photo_bytes
            else f"Uint8Array.from(atob('{PNG}'), (c) => c.charCodeAt(0))"
        )
        return f"""(async () => {{
            if (!document.querySelector('li[data-stop]')) {{
                document.querySelector('.dc_detail > button').click();
            }}
            document.querySelector('li[data-stop="{stop.id}"]').click();
            const form = document.getElementById('dc_visit_form');
            form.querySelector('[name=result_id]').value = '{self.contacted.id}';
            form.querySelector('[name=note]').value = '{note}';
            const bytes = {photo};
            const files = new DataTransfer();
            files.items.add(new File([bytes], 'door.png', {{type: 'image/png'}}));
            form.querySelector('[name=photos]').files = files.files;
            form.requestSubmit();
            return true;
        }})()"""
