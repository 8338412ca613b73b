"""What the field page sends: each visit result, stored once under the key
the phone gave it, logged on the case when it still may be, kept for the
supervisor when it may not."""

import base64
import binascii

from odoo import Command
from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools import geo
from ..tools.form_values import finite_number
from ..tools.form_values import record_id

# photos: at most this many per visit, each at most this size (the page refuses bigger ones before sending)
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/gif")
KEY_LENGTH = 64
SUBMISSION_STATES = [
    ("logged", "Logged"),
    ("conflict", "Conflict"),
    ("refused", "Refused"),
    ("dismissed", "Dismissed"),
]


class CollectionFieldSubmission(models.Model):
    """One visit result sent from the field page.

    The phone gives every result a key when the collector saves it (online
    or not); the key is unique per collector, so a result sent twice (a
    lost answer, a retry after reconnecting, two tabs) is stored and logged
    once. A result that can no longer be logged as sent stays here with
    why: the case was reassigned or closed meanwhile (*conflict*), or the
    contact rules refuse the visit (*refused*). The collector sees it on the
    page; their supervisor logs it on the case (with a reason when the
    contact rules must be overridden) or dismisses it. Nothing is deleted.
    """

    _name = "collection.field.submission"
    _description = "Visit Sent from the Field Page"
    _order = "id desc"
    _rec_name = "key"

    key = fields.Char(required=True, readonly=True, index=True, help="Given by the phone when the visit was saved.")
    user_id = fields.Many2one("res.users", string="Field Collector", required=True, readonly=True, index=True)
    team_id = fields.Many2one("collection.team", readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    case_id = fields.Many2one("collection.case", readonly=True, index=True, ondelete="set null")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Debtor")
    stop_id = fields.Many2one("collection.visit.stop", string="Planned Stop", readonly=True, ondelete="set null")
    result_id = fields.Many2one("collection.result", readonly=True, ondelete="restrict")
    visited_at = fields.Datetime(readonly=True, help="When the collector saved it on the phone.")
    latitude = fields.Float(digits=(10, 7), readonly=True)
    longitude = fields.Float(digits=(10, 7), readonly=True)
    accuracy = fields.Float("GPS Accuracy (m)", readonly=True)
    update_position = fields.Boolean(
        "Debtor Found Here", readonly=True, help="The collector marked the visit's GPS as the debtor's position."
    )
    note = fields.Text(readonly=True)
    currency_id = fields.Many2one(related="case_id.currency_id")
    promise_amount = fields.Monetary(readonly=True)
    promise_date = fields.Date(readonly=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Photos", readonly=True)
    photo_count = fields.Integer(compute="_compute_photo_count")
    state = fields.Selection(SUBMISSION_STATES, required=True, readonly=True, index=True)
    message = fields.Text("Why", readonly=True)
    interaction_id = fields.Many2one("collection.interaction", string="Visit Logged", readonly=True)
    override_reason = fields.Char(help="Supervisors: why the visit is logged against the contact rules.")

    _sql_constraints = [
        ("user_key_unique", "UNIQUE(user_id, key)", "A visit sent from the field page is stored once."),
    ]

    @api.depends("attachment_ids")
    def _compute_photo_count(self):
        for submission in self:
            submission.photo_count = len(submission.attachment_ids)

    def write(self, vals):
        if set(vals) - {"override_reason"} and not self.env.su:
            raise AccessError(_("A visit sent from the field page is kept as it was sent."))
        return super().write(vals)

    # ------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------
    @api.model
    def _receive(self, payload):
        """Store and log one result sent by the current user; return its
        outcome for the page. The same key again returns the first outcome."""
        user = self.env.user
        key = str(payload.get("key") or "").strip()
        if not key or len(key) > KEY_LENGTH:
            raise UserError(_("The visit has no valid key: update the field page and save it again."))
        existing = self.sudo().search([("user_id", "=", user.id), ("key", "=", key)], limit=1)
        if existing:
            return existing._outcome(duplicate=True)
        vals = self._parse(payload)
        photos = self._parse_photos(payload.get("photos") or [])
        # claim the key first: a concurrent request with the same key waits here, then finds it taken
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO collection_field_submission
                       (key, user_id, company_id, state, create_uid, write_uid, create_date, write_date)
                VALUES (%s, %s, %s, 'refused', %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
                ON CONFLICT (user_id, key) DO NOTHING
                RETURNING id
                """,
                key,
                user.id,
                vals["company_id"],
                user.id,
                user.id,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return {"key": key, "status": "duplicate", "message": _("This visit was already received.")}
        submission = self.sudo().browse(row[0])
        submission.write(vals)
        if photos:
            attachments = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    [
                        {
                            "name": name,
                            "datas": data,
                            "mimetype": mimetype,
                            "res_model": self._name,
                            "res_id": submission.id,
                        }
                        for name, mimetype, data in photos
                    ]
                )
            )
            submission.attachment_ids = [Command.set(attachments.ids)]
        submission._log_visit()
        return submission._outcome()

    @api.model
    def _parse(self, payload):
        """The submission's values from the page's payload; a value that
        cannot be read is a clear error, nothing is stored."""
        user = self.env.user
        try:
            case_id = record_id(payload.get("case_id"))
            result_id = record_id(payload.get("result_id"))
            stop_id = record_id(payload.get("stop_id"))
            latitude = finite_number(payload["latitude"]) if payload.get("latitude") not in (None, "") else 0.0
            longitude = finite_number(payload["longitude"]) if payload.get("longitude") not in (None, "") else 0.0
            accuracy = finite_number(payload.get("accuracy") or 0.0)
            promise_amount = finite_number(payload.get("promise_amount") or 0.0)
        except (TypeError, ValueError, OverflowError) as error:
            raise UserError(_("The visit sent from the field page cannot be read.")) from error
        if not geo.valid_coordinates(latitude, longitude):
            raise UserError(_("The visit's GPS position is out of range."))
        case = self.env["collection.case"].sudo().browse(case_id).exists()
        result = self.env["collection.result"].sudo().browse(result_id).exists()
        if not case or not result:
            raise UserError(_("The visit names a case or a result that does not exist."))
        # a case the collector may work, or one they held or had in a visit plan (reassigned since: a conflict)
        known = (
            case.with_user(user).has_access("read")
            or self.env["collection.visit.stop"]
            .sudo()
            .search_count([("case_id", "=", case.id), ("plan_id.user_id", "=", user.id)], limit=1)
            or self.env["collection.assignment"]
            .sudo()
            .search_count([("case_id", "=", case.id), ("user_id", "=", user.id)], limit=1)
        )
        if case.company_id not in user.company_ids or not known:
            raise AccessError(_("You cannot log a visit on this case."))
        try:
            visited_at = fields.Datetime.to_datetime(payload.get("visited_at")) or fields.Datetime.now()
            promise_date = fields.Date.to_date(payload.get("promise_date") or False)
        except (TypeError, ValueError) as error:
            raise UserError(_("The visit's date cannot be read.")) from error
        stop = self.env["collection.visit.stop"].sudo().browse(stop_id).exists()
        member = (
            self.env["collection.team.member"]
            .sudo()
            .search([("user_id", "=", user.id), ("company_id", "=", case.company_id.id)], limit=1)
        )
        return {
            "case_id": case.id,
            "company_id": case.company_id.id,
            "team_id": member.team_id.id or case.team_id.id,
            "stop_id": stop.id if stop and stop.case_id == case else False,
            "result_id": result.id,
            "visited_at": min(visited_at.replace(tzinfo=None), fields.Datetime.now()),
            "latitude": latitude,
            "longitude": longitude,
            "accuracy": accuracy,
            "update_position": bool(payload.get("update_position")) and geo.has_position(latitude, longitude),
            "note": str(payload.get("note") or "").strip()[:4000] or False,
            "promise_amount": promise_amount,
            "promise_date": promise_date,
        }

    @api.model
    def _parse_photos(self, photos):
        """[(name, mimetype, base64)] from the page's photos; too many, too
        big or not an image is refused with a clear message."""
        if not isinstance(photos, list):
            raise UserError(_("The visit's photos cannot be read."))
        if len(photos) > MAX_PHOTOS:
            raise UserError(_("A visit carries at most %s photos.", MAX_PHOTOS))
        parsed = []
        for index, photo in enumerate(photos, start=1):
            photo = photo if isinstance(photo, dict) else {}
            name = str(photo.get("name") or _("Photo %s", index))[:128]
            mimetype = str(photo.get("mimetype") or "").lower()
            if mimetype not in PHOTO_TYPES:
                raise UserError(_("%s is not a photo.", name))
            data = photo.get("data") or ""
            if not isinstance(data, str):
                raise UserError(_("The photo %s cannot be read.", name))
            if "," in data[:100]:
                data = data.split(",", 1)[1]  # a data: URL
            try:
                raw = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError) as error:
                raise UserError(_("The photo %s cannot be read.", name)) from error
            if len(raw) > MAX_PHOTO_BYTES:
                raise UserError(
                    _("The photo %(name)s is over %(limit)s MB.", name=name, limit=MAX_PHOTO_BYTES // (1024 * 1024))
                )
            parsed.append((name, mimetype, base64.b64encode(raw)))
        return parsed

    # ------------------------------------------------------------------
    # Logging on the case
    # ------------------------------------------------------------------
    def _conflict(self):
        """Why the collector may no longer log this visit on the case, or ''."""
        case = self.case_id.sudo()
        if not case:
            return _("The case no longer exists.")
        if case.state != "open":
            return _("The case %s was closed meanwhile.", case.name)
        if self.user_id not in case.acting_user_ids and case.today_user_id != self.user_id:
            return _(
                "The case %s was reassigned meanwhile: your supervisor decides what becomes of the visit.", case.name
            )
        return ""

    def _interaction_vals(self):
        visit = self.env.ref("debt_collection.collection_channel_visit")
        vals = {
            "case_id": self.case_id.id,
            "channel_id": visit.id,
            "direction": "outbound",
            "user_id": self.user_id.id,
            "date_start": self.visited_at,
            "date_end": self.visited_at,
            "result_id": self.result_id.id,
            "note": self.note,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }
        if self.override_reason:
            vals["override_reason"] = self.override_reason
        if self.result_id.requires_promise:
            vals["promise_ids"] = self.env["collection.promise"]._contact_commands(
                self.case_id, self.promise_amount, self.promise_date, visit, user_id=self.user_id.id
            )
        return vals

    def _log_visit(self, logger=None):
        """Log the visit on the case as ``logger`` (the collector, or the
        supervisor accepting it); record a conflict or a refusal instead
        when it may not be logged."""
        self.ensure_one()
        logger = logger or self.user_id
        conflict = self._conflict() if logger == self.user_id else ""
        if conflict:
            self.sudo().write({"state": "conflict", "message": conflict})
            return False
        try:
            with self.env.cr.savepoint():
                interaction = self.env["collection.interaction"].with_user(logger).create(self._interaction_vals())
        except (UserError, ValidationError, AccessError) as error:
            self.sudo().write({"state": "refused", "message": str(error.args[0] if error.args else error)})
            return False
        if self.attachment_ids:
            self.attachment_ids.sudo().write({"res_model": interaction._name, "res_id": interaction.id})
            interaction.sudo().attachment_ids = [Command.set(self.attachment_ids.ids)]
        if self.update_position:
            interaction.with_user(logger).action_update_debtor_position()
        self.sudo().write({"state": "logged", "message": False, "interaction_id": interaction.id})
        return interaction

    def _outcome(self, duplicate=False):
        self.ensure_one()
        stop = self.interaction_id and self.env["collection.visit.stop"].sudo().search(
            [("interaction_id", "=", self.interaction_id.id)], limit=1
        )
        return {
            "key": self.key,
            "status": "duplicate" if duplicate and self.state == "logged" else self.state,
            "message": self.message or "",
            "interaction_id": self.interaction_id.id or False,
            "case_id": self.case_id.id or False,
            "stop_id": (stop and stop.id) or self.stop_id.id or False,
        }

    # ------------------------------------------------------------------
    # Supervisor buttons
    # ------------------------------------------------------------------
    def _check_supervisor(self):
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can settle a visit sent from the field."))
        self.check_access("write")

    def action_log_on_case(self):
        """Log the visit on its case as it was made (its collector, its time),
        overriding the contact rules with the reason given when needed."""
        self._check_supervisor()
        for submission in self:
            if submission.state not in ("conflict", "refused"):
                raise UserError(_("Only a visit in conflict or refused can be logged by a supervisor."))
            if not submission.case_id:
                raise UserError(_("The case of this visit no longer exists."))
            submission._log_visit(logger=self.env.user)
            if submission.state != "logged":
                raise UserError(submission.message)
        return True

    def action_dismiss(self):
        self._check_supervisor()
        if self.filtered(lambda s: s.state == "logged"):
            raise UserError(_("A visit logged on its case cannot be dismissed: void the interaction instead."))
        self.sudo().write({"state": "dismissed"})
        return True
