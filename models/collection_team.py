from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

from ..tools import geo

DEFAULT_DAILY_CAPACITY = 40


class CollectionTeam(models.Model):
    _name = "collection.team"
    _description = "Collection Team"
    _inherit = ["mail.thread"]
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    supervisor_id = fields.Many2one(
        "res.users",
        tracking=True,
        index=True,
        domain=lambda self: [("groups_id", "in", self.env.ref("debt_collection.group_collection_supervisor").id)],
    )
    member_ids = fields.One2many("collection.team.member", "team_id", string="Members")
    case_ids = fields.One2many("collection.case", "team_id", string="Cases")
    zone_ids = fields.One2many("collection.zone", "team_id", string="Zones")
    open_case_count = fields.Integer(compute="_compute_open_case_count")
    queue = fields.Boolean(
        "Works a Queue",
        help="Strategies may route cases to the team's queue; its members press Next Case to take the best one.",
    )
    queue_case_count = fields.Integer("Cases Waiting", compute="_compute_queue_case_count")

    def _compute_open_case_count(self):
        counts = dict(
            self.env["collection.case"]._read_group(
                [("team_id", "in", self.ids), ("state", "=", "open")], ["team_id"], ["__count"]
            )
        )
        for team in self:
            team.open_case_count = counts.get(team, 0)

    def _compute_queue_case_count(self):
        # the waiting cases have no collector yet: counted whatever the user sees
        counts = dict(
            self.env["collection.case"]
            .sudo()
            ._read_group(
                [("queue_team_id", "in", self.ids), ("user_id", "=", False), ("state", "=", "open")],
                ["queue_team_id"],
                ["__count"],
            )
        )
        for team in self:
            team.queue_case_count = counts.get(team, 0)

    def action_view_cases(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action")
        action["domain"] = [("team_id", "=", self.id)]
        action["context"] = {"search_default_filter_open": 1, "default_team_id": self.id}
        return action


class CollectionTeamMember(models.Model):
    _name = "collection.team.member"
    _description = "Collection Team Member"
    _order = "team_id, sequence, id"
    _check_company_auto = True

    team_id = fields.Many2one("collection.team", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="team_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        required=True,
        index=True,
        domain=lambda self: [("groups_id", "in", self.env.ref("debt_collection.group_collection_user").id)],
    )
    daily_capacity = fields.Integer(
        default=DEFAULT_DAILY_CAPACITY,
        help="How many cases the collector works in a day: the daily run puts at most this many "
        "cases in their Today list.",
    )
    max_open_cases = fields.Integer(
        "Portfolio Capacity",
        help="Most open cases the collector may hold; distributions stop giving them cases there. 0 means no limit.",
    )
    zone_ids = fields.Many2many(
        "collection.zone",
        "collection_team_member_zone_rel",
        "member_id",
        "zone_id",
        string="Zones",
        check_company=True,
        help="Zones this collector covers in zone distributions; empty means the zones of the team.",
    )
    start_latitude = fields.Float(
        "Field Start Latitude",
        digits=(10, 7),
        help="Where this collector's field day starts (office, home): their visit plans start from it.",
    )
    start_longitude = fields.Float("Field Start Longitude", digits=(10, 7))
    substitute_id = fields.Many2one(
        "res.users",
        index=True,
        help="Works this member's cases while the member is absent.",
    )
    absence_from = fields.Date()
    absence_to = fields.Date()
    is_absent = fields.Boolean(compute="_compute_is_absent", search="_search_is_absent", string="Absent Today")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("user_team_uniq", "unique(team_id, user_id)", "A collector can be a member of a team only once."),
    ]

    @api.constrains("start_latitude", "start_longitude")
    def _check_start(self):
        for member in self:
            if not geo.valid_coordinates(member.start_latitude, member.start_longitude):
                raise ValidationError(_("The field start point of %s is out of range.", member.user_id.name))

    @api.depends("absence_from", "absence_to")
    @api.depends_context("tz")
    def _compute_is_absent(self):
        today = fields.Date.context_today(self)
        for member in self:
            member.is_absent = member._absent_on(today)

    def _search_is_absent(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise ValidationError(_("Unsupported search on absence."))
        today = fields.Date.context_today(self)
        domain = [
            ("absence_from", "!=", False),
            ("absence_from", "<=", today),
            "|",
            ("absence_to", "=", False),
            ("absence_to", ">=", today),
        ]
        return domain if (operator == "=") == value else ["!"] + domain

    def _absent_on(self, day):
        self.ensure_one()
        return bool(self.absence_from and self.absence_from <= day and (not self.absence_to or self.absence_to >= day))

    @api.constrains("absence_from", "absence_to", "substitute_id", "user_id", "daily_capacity", "max_open_cases")
    def _check_absence(self):
        for member in self:
            if member.absence_from and member.absence_to and member.absence_to < member.absence_from:
                raise ValidationError(_("The absence of %s ends before it starts.", member.user_id.name))
            if member.substitute_id and member.substitute_id == member.user_id:
                raise ValidationError(_("%s cannot substitute themselves.", member.user_id.name))
            if member.daily_capacity < 0 or member.max_open_cases < 0:
                raise ValidationError(_("The capacities of %s cannot be negative.", member.user_id.name))

    @api.model
    def _absent_substitutions(self, substitute_ids=None, user_ids=None):
        """[(absent collector id, team id, substitute id)] for today (of the
        given substitutes or absent collectors). A substitute stands in for
        the collector within that team only: the collector's cases of other
        teams stay with them."""
        domain = [("substitute_id", "!=", False), ("is_absent", "=", True), ("active", "=", True)]
        if substitute_ids is not None:
            domain.append(("substitute_id", "in", list(substitute_ids)))
        if user_ids is not None:
            domain.append(("user_id", "in", list(user_ids)))
        members = self.sudo().search(domain)
        return [(member.user_id.id, member.team_id.id, member.substitute_id.id) for member in members]

    def _covered_zone_ids(self):
        """The zones this member covers: their own, else their team's."""
        self.ensure_one()
        return frozenset((self.zone_ids or self.team_id.zone_ids).ids)

    @api.model
    def _membership_by_user(self, user_ids, team=None):
        """{user id: member} for the active members among ``user_ids``, the
        membership in ``team`` first, else the first one by team order."""
        members = self.sudo().search([("user_id", "in", list(user_ids)), ("team_id.active", "=", True)])
        result = {}
        for member in members.sorted(lambda m: (m.team_id != team, m.team_id.sequence, m.team_id.id, m.id)):
            result.setdefault(member.user_id.id, member)
        return result
