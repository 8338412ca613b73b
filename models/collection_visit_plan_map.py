"""The supervisor's map of a field day: planned and done visits coloured by
result, each field collector's last known position and route followed,
their figures of the day, and a stop moved to another collector."""

from collections import defaultdict
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
from odoo.tools.misc import format_amount
from odoo.tools.misc import format_datetime

from ..tools import geo

# one colour per collector on the map (routes, positions), in order
COLLECTOR_COLOURS = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#2c7a7b", "#975a16", "#4a5568"]
# stops, by what came of them
STOP_COLOURS = {
    "planned": "#3182ce",
    "promise": "#38a169",
    "contact": "#dd6b20",
    "no_contact": "#e53e3e",
    "skipped": "#a0aec0",
    "out_of_reach": "#718096",
}


class CollectionVisitPlan(models.Model):
    _inherit = "collection.visit.plan"

    @api.model
    def field_map_data(self, day=None, team_id=None):
        """Everything the supervisor's map shows for ``day`` (the user's
        today by default): the plans the user may read, with their stops,
        the collectors' figures, positions and routes."""
        user = self.env.user
        tz = pytz.timezone(user.tz or "UTC")
        day = fields.Date.to_date(day) or fields.Date.context_today(self.with_context(tz=tz.zone))
        domain = [("date", "=", day)]
        if team_id:
            domain.append(("team_id", "=", int(team_id)))
        plans = self.search(domain)
        supervisor = user.has_group("debt_collection.group_collection_supervisor")
        # the collectors on the map: those with a plan that day, and the members of the teams the supervisor leads
        collectors = plans.user_id
        if supervisor:
            teams = self.env["collection.team"].search([("supervisor_id", "=", user.id)])
            if team_id:
                teams = teams.filtered(lambda t: t.id == int(team_id))
            collectors |= teams.member_ids.filtered("active").user_id
        collectors = collectors.sorted("name")
        start = tz.localize(datetime.combine(day, time.min)).astimezone(pytz.UTC).replace(tzinfo=None)
        end = start + timedelta(days=1)
        visits = self.env["collection.interaction"].search(
            [
                ("user_id", "in", collectors.ids),
                ("channel_code", "=", "visit"),
                ("voided", "=", False),
                ("date_start", ">=", start),
                ("date_start", "<", end),
            ]
        )
        positions = self.env["collection.field.position"].search(
            [("user_id", "in", collectors.ids), ("date", ">=", start), ("date", "<", end)], order="date"
        )
        stops = plans.stop_ids.sorted(lambda s: (s.plan_id.user_id.name or "", s.sequence, s.id))
        # a stop whose case the user may no longer read (reassigned since) is left off the map
        readable = stops.case_id._filtered_access("read")
        return {
            "date": fields.Date.to_string(day),
            "can_reassign": supervisor,
            "collectors": self._map_collectors(collectors, plans, visits, positions, start, end, tz, day),
            "stops": [
                self._map_stop(stop)
                for stop in stops
                if stop.case_id in readable and geo.has_position(stop.latitude, stop.longitude)
            ],
            "tile_url": self._map_tile_url(),
            "attribution": self.env["ir.config_parameter"].sudo().get_param("leaflet.copyright", "") or "",
        }

    @api.model
    def _map_tile_url(self):
        url = (self.env["ir.config_parameter"].sudo().get_param("leaflet.tile_url") or "").strip()
        return "" if url in ("False", "0") else url

    @api.model
    def _map_collectors(self, collectors, plans, visits, positions, start, end, tz, day=None):
        company_currency = self.env.company.currency_id
        payments = self.env["collection.payment"].search(
            [("user_id", "in", collectors.ids), ("state", "=", "posted"), ("date", "=", day)]
        )
        promises = self.env["collection.promise"].search(
            [("user_id", "in", collectors.ids), ("create_date", ">=", start), ("create_date", "<", end)]
        )
        collected = defaultdict(float)
        for payment in payments:
            collected[payment.user_id.id] += payment.currency_id._convert(
                payment.amount, company_currency, self.env.company, payment.date
            )
        promised = defaultdict(float)
        promise_count = defaultdict(int)
        for promise in promises:
            promise_count[promise.user_id.id] += 1
            promised[promise.user_id.id] += promise.currency_id._convert(
                promise.amount, company_currency, self.env.company, promise.date_made
            )
        track = defaultdict(list)
        for visit in visits:
            if geo.has_position(visit.latitude, visit.longitude):
                track[visit.user_id.id].append((visit.date_start, visit.latitude, visit.longitude))
        for position in positions:
            track[position.user_id.id].append((position.date, position.latitude, position.longitude))
        rows = []
        for index, collector in enumerate(collectors):
            stops = plans.filtered(lambda p, c=collector: p.user_id == c).stop_ids
            points = sorted(track[collector.id])
            last = points[-1] if points else None
            rows.append(
                {
                    "id": collector.id,
                    "name": collector.name,
                    "colour": COLLECTOR_COLOURS[index % len(COLLECTOR_COLOURS)],
                    "planned": len(stops),
                    "done": len(stops.filtered(lambda s: s.state == "done")),
                    "visits": len(visits.filtered(lambda v, c=collector: v.user_id == c)),
                    "promises": promise_count[collector.id],
                    "promised": format_amount(self.env, promised[collector.id], company_currency),
                    "collected": format_amount(self.env, collected[collector.id], company_currency),
                    "track": [[lat, lon] for _when, lat, lon in points],
                    "last": last
                    and {
                        "latitude": last[1],
                        "longitude": last[2],
                        "at": format_datetime(self.env, last[0], tz=tz.zone, dt_format="HH:mm"),
                    },
                }
            )
        return rows

    @api.model
    def _map_stop(self, stop):
        result = stop.interaction_id.result_id
        if stop.state == "done":
            kind = "promise" if result.requires_promise else "contact" if result.is_contact else "no_contact"
        elif stop.state == "skipped":
            kind = "skipped"
        else:
            kind = "out_of_reach" if stop.out_of_reach else "planned"
        return {
            "id": stop.id,
            "plan_id": stop.plan_id.id,
            "user_id": stop.plan_id.user_id.id,
            "sequence": stop.sequence,
            "state": stop.state,
            "kind": kind,
            "colour": STOP_COLOURS[kind],
            "debtor": stop.partner_id.name,
            "case": stop.case_id.name,
            "balance": format_amount(self.env, stop.amount_residual, stop.currency_id),
            "result": result.name or "",
            "arrival": "%02d:%02d" % divmod(round(stop.arrival * 60), 60) if stop.arrival else "",
            "latitude": stop.latitude,
            "longitude": stop.longitude,
        }


class CollectionVisitStop(models.Model):
    _inherit = "collection.visit.stop"

    def action_move_to(self, user_id=False):
        """Move planned stops to another field collector's plan of the same
        day (created when they have none), and put the cases in that
        collector's Today list so they may work them. Supervisors only."""
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can move a visit to another collector."))
        self.check_access("write")
        try:
            target = self.env["res.users"].browse(int(user_id or 0)).exists()
        except (TypeError, ValueError):
            target = self.env["res.users"]
        manager = self.env.user.has_group("debt_collection.group_collection_manager")
        Member = self.env["collection.team.member"].sudo()
        members = Member.search([("user_id", "=", target.id), ("active", "=", True)]) if target else Member
        if not manager:
            members = members.filtered(lambda m: m.team_id.supervisor_id == self.env.user)
        if not target or not target.active or not members:
            raise UserError(_("Choose a field collector of your teams to take the visit."))
        Plan = self.env["collection.visit.plan"]
        for stop in self:
            if stop.state != "planned":
                raise UserError(_("Only a planned visit can be moved (%s).", stop.partner_id.name))
            plan = stop.plan_id
            if plan.user_id == target:
                continue
            if plan.company_id not in target.company_ids:
                raise UserError(_("%s does not work for this company.", target.name))
            other = Plan.sudo().search(
                [("user_id", "=", target.id), ("date", "=", plan.date), ("company_id", "=", plan.company_id.id)],
                limit=1,
            ) or Plan.create(
                {
                    "user_id": target.id,
                    "date": plan.date,
                    "company_id": plan.company_id.id,
                    "start_latitude": plan.start_latitude,
                    "start_longitude": plan.start_longitude,
                    "state": "planned",
                }
            )
            if other.stop_ids.filtered(lambda s, c=stop.case_id: s.case_id == c):
                raise UserError(_("%s is already in that collector's plan.", stop.partner_id.name))
            sequence = max(other.stop_ids.mapped("sequence") or [0]) + 1
            stop.write({"plan_id": other.id, "sequence": sequence, "arrival": 0.0, "out_of_reach": False})
            if plan.date == fields.Date.context_today(self):
                # today's visit: the case goes to the collector's Today list so they may work it now
                stop.case_id.sudo().write({"today_user_id": target.id})
            self.env["collection.event"].sudo()._log(
                "assignment",
                _(
                    "Visit of %(date)s moved from %(old)s to %(new)s by %(user)s.",
                    date=plan.date,
                    old=plan.user_id.name,
                    new=target.name,
                    user=self.env.user.name,
                ),
                cases=stop.case_id,
                payload={"stop_id": stop.id, "from_plan_id": plan.id, "to_plan_id": other.id},
            )
        return True
