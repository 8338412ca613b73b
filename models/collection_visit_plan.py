"""A field collector's day: the debtors to visit, chosen automatically or by
hand, in the order of the shortest route that meets the hours the contact
rules allow."""

from datetime import datetime
from datetime import time
from datetime import timedelta

import pytz

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError

from ..tools import geo
from ..tools import routing

# the planned day, in the collector's time zone: visits from 8:00 to 20:00, checked every half hour
DAY_START, DAY_END, SLOT_MINUTES = 8 * 60, 20 * 60, 30
SERVICE_MINUTES = 20
SPEED_KMH = 25.0
DEFAULT_DAILY_VISITS = 10
STOP_STATES = [("planned", "Planned"), ("done", "Visited"), ("skipped", "Skipped")]


class CollectionVisitPlan(models.Model):
    """The visits of one field collector on one day.

    *Plan Automatically* picks the day's visits among the open cases the
    collector holds (in the zones they cover, when they cover some) whose
    debtor has a position: promises due that day first, then resubmissions
    due, then by priority score and open balance, up to the collector's
    daily visits; a case whose debtor may not be visited at any time of the
    day under the contact rules (visits forbidden, do not contact, a public
    holiday, outside the allowed hours in the debtor's time zone, a
    frequency limit) is left out. *Optimise Route* orders the stops by the
    shortest route from the start point (OR-Tools, ``tools/routing.py``)
    that reaches each stop within the hours it may be visited; a stop whose
    hours cannot be met stays at the end, flagged. Supervisors add, remove
    and reorder stops by hand; the collector works the plan.
    """

    _name = "collection.visit.plan"
    _description = "Visit Plan"
    _inherit = ["mail.thread"]
    _order = "date desc, user_id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    user_id = fields.Many2one(
        "res.users", string="Field Collector", required=True, index=True, default=lambda self: self.env.user
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    team_id = fields.Many2one("collection.team", check_company=True, index=True)
    start_latitude = fields.Float(digits=(10, 7), help="Where the day starts (the office, the collector's home).")
    start_longitude = fields.Float(digits=(10, 7))
    daily_visits = fields.Integer(default=DEFAULT_DAILY_VISITS, help="At most this many visits are planned.")
    stop_ids = fields.One2many("collection.visit.stop", "plan_id", string="Stops", copy=False)
    stop_count = fields.Integer(compute="_compute_figures")
    done_count = fields.Integer("Visited", compute="_compute_figures")
    distance_km = fields.Float("Route (km)", digits=(10, 1), readonly=True, copy=False)
    state = fields.Selection(
        [("draft", "Draft"), ("planned", "Planned"), ("done", "Done")], default="draft", required=True, tracking=True
    )

    _sql_constraints = [
        ("user_date_unique", "UNIQUE(user_id, date, company_id)", "A field collector has one visit plan a day."),
    ]

    @api.depends("user_id", "date")
    def _compute_name(self):
        for plan in self:
            plan.name = f"{plan.user_id.name or ''} – {plan.date or ''}"

    @api.depends("stop_ids.state")
    def _compute_figures(self):
        for plan in self:
            plan.stop_count = len(plan.stop_ids)
            plan.done_count = len(plan.stop_ids.filtered(lambda s: s.state == "done"))

    @api.constrains("start_latitude", "start_longitude")
    def _check_start(self):
        for plan in self:
            if not geo.valid_coordinates(plan.start_latitude, plan.start_longitude):
                raise ValidationError(_("The start point of a visit plan is out of range."))

    @api.model_create_multi
    def create(self, vals_list):
        Member = self.env["collection.team.member"].sudo()
        for vals in vals_list:
            member = Member.search([("user_id", "=", vals.get("user_id", self.env.uid))], limit=1)
            if not vals.get("team_id"):
                vals["team_id"] = member.team_id.id
            # the day starts where the collector's field day starts, unless given
            if not vals.get("start_latitude") and not vals.get("start_longitude") and member.start_latitude:
                vals["start_latitude"] = member.start_latitude
                vals["start_longitude"] = member.start_longitude
        plans = super().create(vals_list)
        plans._check_planner()
        return plans

    def write(self, vals):
        if set(vals) - {"state"}:
            self._check_planner()
        return super().write(vals)

    def _check_planner(self):
        """Supervisors plan anyone's days; a collector only their own."""
        supervisor = self.env.su or self.env.user.has_group("debt_collection.group_collection_supervisor")
        if not supervisor and any(plan.user_id != self.env.user for plan in self):
            raise AccessError(_("Only a collection supervisor can plan another collector's visits."))

    # ------------------------------------------------------------------
    # Planning
    # ------------------------------------------------------------------
    def _tz(self):
        return pytz.timezone(self.user_id.tz or self.env.user.tz or "UTC")

    def _slots(self):
        """The planned day's half-hour slots: [(minute of the day, UTC naive datetime)]."""
        tz = self._tz()
        midnight = tz.localize(datetime.combine(self.date, time(0, 0)))
        return [
            (minute, (midnight + timedelta(minutes=minute)).astimezone(pytz.UTC).replace(tzinfo=None))
            for minute in range(DAY_START, DAY_END, SLOT_MINUTES)
        ]

    def _visit_windows(self, cases):
        """{case id: (first, last) minute of the day a visit is allowed},
        from the contact rules checked at every slot of the day; cases
        never allowed are left out."""
        allowed = {}
        for minute, when in self._slots():
            for case_id, (verdict, _policy, _zones) in cases._contact_verdicts("visit", when).items():
                if verdict.allowed:
                    first, _last = allowed.get(case_id, (minute, minute))
                    allowed[case_id] = (first, minute + SLOT_MINUTES)
        return allowed

    def _candidates(self):
        """The open cases the collector holds, in their zones, whose debtor
        has a position, best first (promise due that day, resubmission due,
        score, balance)."""
        self.ensure_one()
        domain = [
            ("state", "=", "open"),
            ("user_id", "=", self.user_id.id),
            ("company_id", "=", self.company_id.id),
            ("id", "not in", self._planned_elsewhere()),
        ]
        member = (
            self.env["collection.team.member"]
            .sudo()
            .search([("user_id", "=", self.user_id.id), ("company_id", "=", self.company_id.id)], limit=1)
        )
        if member.zone_ids:
            domain.append(("zone_id", "in", member.zone_ids.ids))
        cases = self.env["collection.case"].sudo().search(domain)
        cases = cases.filtered(
            lambda c: geo.has_position(c.partner_id.partner_latitude, c.partner_id.partner_longitude)
        )

        def rank(case):
            promise_due = bool(case.next_promise_date and case.next_promise_date <= self.date)
            resubmission_due = bool(case.resubmission_date and case.resubmission_date <= self.date)
            return (
                not promise_due,
                not resubmission_due,
                -(case.priority_score or 0.0),
                -(case.amount_residual or 0.0),
            )

        return cases.sorted(rank)

    def _planned_elsewhere(self):
        """Cases already in another plan of that day."""
        stops = (
            self.env["collection.visit.stop"]
            .sudo()
            .search([("plan_id.date", "=", self.date), ("plan_id", "not in", self.ids), ("state", "=", "planned")])
        )
        return stops.case_id.ids

    def action_plan_automatically(self):
        """Replace the planned stops by the day's best visits, then order
        them by the shortest route."""
        self.ensure_one()
        self._check_planner()
        if self.state == "done":
            raise UserError(_("The visit plan of %s is done.", self.name))
        candidates = self._candidates()
        # the contact rules are checked for the best candidates only (a few times the day's visits)
        shortlist = candidates[: max(self.daily_visits, 1) * 3]
        windows = self._visit_windows(shortlist)
        chosen = shortlist.filtered(lambda c: c.id in windows)[: self.daily_visits]
        self.stop_ids.filtered(lambda s: s.state == "planned").unlink()
        self.env["collection.visit.stop"].create(
            [
                {
                    "plan_id": self.id,
                    "case_id": case.id,
                    "sequence": index,
                    "window_from": windows[case.id][0] / 60.0,
                    "window_to": windows[case.id][1] / 60.0,
                }
                for index, case in enumerate(chosen, start=1)
            ]
        )
        self.action_optimise_route()
        self.state = "planned"
        return True

    def action_optimise_route(self):
        """Order the planned stops by the shortest route that meets their
        hours; stops out of reach go last, flagged."""
        self.ensure_one()
        self._check_planner()
        stops = self.stop_ids.filtered(lambda s: s.state == "planned").sorted("sequence")
        if not stops:
            self.distance_km = 0.0
            return True
        start = (self.start_latitude, self.start_longitude)
        if not geo.has_position(*start):
            start = (stops[0].latitude, stops[0].longitude)
        route = routing.plan_route(
            start,
            [(stop.latitude, stop.longitude) for stop in stops],
            windows=[(round(stop.window_from * 60), round(stop.window_to * 60)) for stop in stops],
            service_minutes=SERVICE_MINUTES,
            speed_kmh=SPEED_KMH,
            day_start=DAY_START,
            day_end=DAY_END,
            time_limit_s=1.0,
        )
        done = len(self.stop_ids) - len(stops)
        for position, (index, arrival) in enumerate(zip(route.order, route.arrivals, strict=True), start=1):
            stops[index].write({"sequence": done + position, "arrival": arrival / 60.0, "out_of_reach": False})
        for position, index in enumerate(route.dropped, start=done + len(route.order) + 1):
            stops[index].write({"sequence": position, "arrival": 0.0, "out_of_reach": True})
        self.distance_km = route.distance_m / 1000.0
        return True

    def action_print_route_sheet(self):
        self.ensure_one()
        self.check_access("read")
        return self.env.ref("debt_collection.action_report_collection_route_sheet").report_action(self)


class CollectionVisitStop(models.Model):
    """One debtor to visit in a plan: when they may be visited, when the
    route reaches them, and what came of it."""

    _name = "collection.visit.stop"
    _description = "Visit Stop"
    _order = "plan_id, sequence, id"
    _check_company_auto = True

    plan_id = fields.Many2one("collection.visit.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    case_id = fields.Many2one("collection.case", required=True, ondelete="cascade", check_company=True, index=True)
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor")
    latitude = fields.Float(related="case_id.partner_id.partner_latitude", digits=(10, 7))
    longitude = fields.Float(related="case_id.partner_id.partner_longitude", digits=(10, 7))
    currency_id = fields.Many2one(related="case_id.currency_id")
    amount_residual = fields.Monetary(related="case_id.amount_residual", string="Balance")
    next_promise_date = fields.Date(related="case_id.next_promise_date")
    window_from = fields.Float(
        "Visit From", help="Hour of the day (collector's time zone) from which visits are allowed."
    )
    window_to = fields.Float("Visit Until")
    arrival = fields.Float("Planned Arrival", readonly=True)
    out_of_reach = fields.Boolean(
        readonly=True, help="The route cannot reach the debtor in the hours they may be visited."
    )
    state = fields.Selection(STOP_STATES, default="planned", required=True)
    interaction_id = fields.Many2one("collection.interaction", string="Visit", readonly=True)
    map_url = fields.Char(compute="_compute_map_url")

    _sql_constraints = [
        ("plan_case_unique", "UNIQUE(plan_id, case_id)", "A debtor is visited once in a plan."),
    ]

    def _compute_map_url(self):
        for stop in self:
            stop.map_url = (
                f"https://www.openstreetmap.org/?mlat={stop.latitude:.6f}&mlon={stop.longitude:.6f}#map=17/"
                f"{stop.latitude:.6f}/{stop.longitude:.6f}"
                if geo.has_position(stop.latitude, stop.longitude)
                else False
            )

    @api.model_create_multi
    def create(self, vals_list):
        stops = super().create(vals_list)
        stops.plan_id._check_planner()
        for stop in stops:
            if not geo.has_position(stop.latitude, stop.longitude):
                raise UserError(
                    _("%s has no position: locate the debtor before planning a visit.", stop.partner_id.name)
                )
            stop.case_id.check_access("read")
        return stops

    def write(self, vals):
        if set(vals) - {"state", "interaction_id"}:
            self.plan_id._check_planner()
        if {"case_id", "plan_id"} & set(vals) and not (
            self.env.su or self.env.user.has_group("debt_collection.group_collection_supervisor")
        ):
            raise AccessError(_("Only a collection supervisor can move a visit to another case or plan."))
        return super().write(vals)

    def unlink(self):
        self.plan_id._check_planner()
        if self.filtered(lambda s: s.state == "done"):
            raise UserError(_("A visit done stays in its plan."))
        return super().unlink()
