"""The field collector's phone page: /collection/field shows today's visit
plan and logs visits; it keeps working without a connection (a service
worker keeps the page, the phone's IndexedDB the day and the visits waiting
to be sent)."""

import json

from odoo import _
from odoo import fields
from odoo import http
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools.misc import file_open
from odoo.tools.misc import format_amount
from odoo.tools.misc import format_date

from ..models.collection_field_position import PING_SECONDS
from ..models.collection_field_submission import MAX_PHOTO_BYTES
from ..models.collection_field_submission import MAX_PHOTOS

HISTORY = 5
EXCLUDED_RESULTS = ("is_callback", "is_dispute", "is_wrong_number")


def _page_strings():
    """The page's words, in the collector's language."""
    return {
        "online": _("Online"),
        "offline": _("Offline: visits are kept on the phone"),
        "waiting": _("%s visit(s) waiting to be sent"),
        "no_plan": _("No visits planned today."),
        "visited": _("Visited"),
        "planned": _("Planned"),
        "skipped": _("Skipped"),
        "out_of_reach": _("Out of reach"),
        "arrival": _("Arrival"),
        "balance": _("Balance"),
        "overdue": _("Overdue"),
        "promise_due": _("Promise due"),
        "phones": _("Phones"),
        "email": _("E-mail"),
        "address": _("Address"),
        "map": _("Map"),
        "history": _("History"),
        "no_history": _("No contact logged yet."),
        "installments": _("Open installments"),
        "log_visit": _("Log the visit"),
        "result": _("Result"),
        "note": _("Note"),
        "promise_amount": _("Promised amount"),
        "promise_date": _("Promised for"),
        "photos": _("Photos"),
        "found_here": _("The debtor lives here (update their position)"),
        "save": _("Save the visit"),
        "back": _("Back"),
        "saved": _("Visit saved."),
        "queued": _("Visit saved on the phone: it will be sent when the connection is back."),
        "sent": _("Visit logged on the case."),
        "duplicate": _("This visit was already received."),
        "not_logged": _("Not logged"),
        "choose_result": _("Choose the result of the visit."),
        "promise_needed": _("Enter the amount and the date of the promise."),
        "photo_too_big": _("The photo %(name)s is over %(limit)s MB: take it again at a lower resolution."),
        "too_many_photos": _("A visit carries at most %s photos."),
        "not_photo": _("%s is not a photo."),
        "no_gps": _("No GPS position: the visit is saved without one."),
        "loaded_at": _("Loaded at"),
        "refresh": _("Refresh"),
        "dismiss": _("Hide"),
    }


class CollectionFieldPage(http.Controller):
    def _check_collector(self):
        if not request.env.user.has_group("debt_collection.group_collection_user"):
            raise AccessError(_("The field page is for collectors."))

    @http.route("/collection/field", type="http", auth="user", methods=["GET"])
    def field_page(self, **_kw):
        self._check_collector()
        values = {
            "user": request.env.user,
            "strings_json": json.dumps(_page_strings()),
            "lang": (request.env.user.lang or "en_US").replace("_", "-"),
        }
        return request.render("debt_collection.field_page", values)

    @http.route("/collection/field-sw.js", type="http", auth="public", methods=["GET"])
    def field_service_worker(self, **_kw):
        with file_open("debt_collection/static/src/field/field_sw.js", "rb") as script:
            body = script.read()
        return request.make_response(
            body,
            headers=[
                ("Content-Type", "text/javascript; charset=utf-8"),
                ("Service-Worker-Allowed", "/collection/"),
                ("Cache-Control", "no-cache"),
            ],
        )

    @http.route("/collection/field/day", type="json", auth="user", methods=["POST"])
    def field_day(self, **_kw):
        """Today's plan of the current user, with what a visit needs."""
        self._check_collector()
        env = request.env
        user = env.user
        today = fields.Date.context_today(user.with_context(tz=user.tz or "UTC"))
        plan = env["collection.visit.plan"].search([("user_id", "=", user.id), ("date", "=", today)], limit=1)
        stops = plan.stop_ids.sorted("sequence")
        # a stop whose case was reassigned since is left out (a visit sent for it is kept as a conflict)
        readable = stops.case_id._filtered_access("read")
        stops = stops.filtered(lambda s: s.case_id in readable)
        visit = env.ref("debt_collection.collection_channel_visit")
        results = (
            env["collection.result"]
            .search([])
            .filtered(
                lambda r: (not r.channel_ids or visit in r.channel_ids) and not any(r[f] for f in EXCLUDED_RESULTS)
            )
        )
        cases = stops.case_id
        history = {}
        if cases:
            for interaction in env["collection.interaction"].search(
                [("case_id", "in", cases.ids), ("voided", "=", False)], order="date_start desc"
            ):
                rows = history.setdefault(interaction.case_id.id, [])
                if len(rows) < HISTORY:
                    rows.append(
                        {
                            "date": format_date(env, interaction.date_start),
                            "channel": interaction.channel_id.name,
                            "result": interaction.result_id.name,
                            "user": interaction.user_id.name,
                            "note": interaction.note or "",
                        }
                    )
        return {
            "user": user.name,
            "date": format_date(env, today),
            "plan": {"id": plan.id, "name": plan.name, "distance_km": round(plan.distance_km, 1)} if plan else False,
            "stops": [self._stop_data(stop, history.get(stop.case_id.id, [])) for stop in stops],
            "results": [{"id": r.id, "name": r.name, "requires_promise": r.requires_promise} for r in results],
            "max_photos": MAX_PHOTOS,
            "max_photo_bytes": MAX_PHOTO_BYTES,
            "ping_seconds": PING_SECONDS,
            "loaded_at": fields.Datetime.now().isoformat() + "Z",
        }

    def _stop_data(self, stop, history):
        env = request.env
        case = stop.case_id
        partner = case.partner_id
        currency = case.currency_id
        installments = case.installment_ids.filtered(lambda i: i.state in ("pending", "partial")).sorted("date_due")
        promise = case.promise_ids.filtered(lambda p: p.state == "open").sorted("date_promise")[:1]

        def hours(value):
            return "%02d:%02d" % divmod(round(value * 60), 60) if value else ""

        return {
            "id": stop.id,
            "sequence": stop.sequence,
            "state": stop.state,
            "arrival": hours(stop.arrival),
            "window": f"{hours(stop.window_from)}–{hours(stop.window_to)}" if stop.window_to else "",
            "out_of_reach": stop.out_of_reach,
            "case": {
                "id": case.id,
                "name": case.name,
                "debtor": partner.name,
                "address": partner._display_address(without_company=True).strip(),
                "phones": [number for number, valid in partner._collection_phone_numbers() if valid][:5],
                "email": partner.email or "",
                "balance": format_amount(env, case.amount_residual, currency),
                "overdue": format_amount(env, case.amount_overdue, currency),
                "overdue_value": currency.round(case.amount_overdue),
                "currency_digits": currency.decimal_places,
                "promise": {
                    "date": format_date(env, promise.date_promise),
                    "amount": format_amount(env, promise.amount, currency),
                }
                if promise
                else False,
                "installments": [
                    {
                        "name": inst.display_name,
                        "date_due": format_date(env, inst.date_due),
                        "residual": format_amount(env, inst.amount_residual, currency),
                        "days_overdue": inst.days_overdue,
                    }
                    for inst in installments
                ],
                "history": history,
                "latitude": stop.latitude,
                "longitude": stop.longitude,
                "map_url": stop.map_url or "",
            },
        }

    @http.route("/collection/field/visit", type="json", auth="user", methods=["POST"])
    def field_visit(self, **payload):
        """Store one visit sent by the page; the same key twice is stored once."""
        self._check_collector()
        try:
            return request.env["collection.field.submission"]._receive(payload)
        except (UserError, AccessError) as error:
            return {
                "key": payload.get("key"),
                "status": "error",
                "message": str(error.args[0] if error.args else error),
            }

    @http.route("/collection/field/ping", type="json", auth="user", methods=["POST"])
    def field_ping(self, latitude=None, longitude=None, accuracy=None, **_kw):
        self._check_collector()
        try:
            return {"kept": request.env["collection.field.position"]._ping(latitude, longitude, accuracy)}
        except UserError as error:
            return {"kept": False, "message": str(error.args[0])}
