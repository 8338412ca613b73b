"""Where field collectors were: a light position ping from the field page
while it is open during working hours, for the supervisor's map."""

from datetime import timedelta

import pytz

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

from ..tools import geo

# at most one ping kept every this many seconds per collector; pings kept this many days
PING_SECONDS = 120
KEEP_DAYS = 30


class CollectionFieldPosition(models.Model):
    """A field collector's position at a moment.

    Privacy: the field page sends one only while it is open, at most every
    two minutes, and the server keeps it only inside the collector's working
    hours (their working schedule, else their company's); positions older
    than 30 days are deleted by Odoo's daily clean-up. Supervisors see the
    positions of the collectors of the teams they lead, a collector their
    own. The route a collector followed on the supervisor's map joins these
    pings with the GPS of the visits they logged.
    """

    _name = "collection.field.position"
    _description = "Field Collector Position"
    _order = "date desc, id desc"

    user_id = fields.Many2one("res.users", string="Field Collector", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    team_id = fields.Many2one("collection.team", readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, index=True)
    latitude = fields.Float(digits=(10, 7), required=True, readonly=True)
    longitude = fields.Float(digits=(10, 7), required=True, readonly=True)
    accuracy = fields.Float("Accuracy (m)", readonly=True)

    @api.model
    def _working_now(self, user, when):
        """Whether ``when`` (UTC, naive) is inside the user's working hours."""
        calendar = user.resource_calendar_id or user.company_id.resource_calendar_id
        if not calendar:
            return True
        tz = pytz.timezone(user.tz or calendar.tz or "UTC")
        start = pytz.UTC.localize(when)
        intervals = calendar._work_intervals_batch(start, start + timedelta(minutes=1), tz=tz)[False]
        return bool(list(intervals))

    @api.model
    def _ping(self, latitude, longitude, accuracy=0.0):
        """Keep the current user's position when they are working and the
        last one is old enough; return whether it was kept."""
        user = self.env.user
        try:
            latitude, longitude, accuracy = float(latitude), float(longitude), float(accuracy or 0.0)
        except (TypeError, ValueError) as error:
            raise UserError(_("The position cannot be read.")) from error
        if not geo.valid_coordinates(latitude, longitude) or not geo.has_position(latitude, longitude):
            raise UserError(_("The position is out of range."))
        now = fields.Datetime.now()
        if not self._working_now(user, now):
            return False
        Position = self.sudo()
        if Position.search_count(
            [("user_id", "=", user.id), ("date", ">", now - timedelta(seconds=PING_SECONDS - 5))], limit=1
        ):
            return False
        member = self.env["collection.team.member"].sudo().search([("user_id", "=", user.id)], limit=1)
        Position.create(
            {
                "user_id": user.id,
                "company_id": user.company_id.id,
                "team_id": member.team_id.id,
                "date": now,
                "latitude": latitude,
                "longitude": longitude,
                "accuracy": accuracy,
            }
        )
        return True

    @api.autovacuum
    def _gc_old_positions(self):
        self.sudo().search([("date", "<", fields.Datetime.now() - timedelta(days=KEEP_DAYS))]).unlink()
