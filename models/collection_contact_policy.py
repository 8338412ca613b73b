from datetime import timedelta

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo import tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools import contact_rules

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]
LIMIT_SCOPES = [
    ("all", "All channels together"),
    ("channel", "Same channel"),
    ("channels", "Different channels"),
]
# how far ahead holidays are read to tell when contact is next allowed
HOLIDAY_HORIZON_DAYS = 400


class CollectionContactPolicyCache(models.AbstractModel):
    """Changing a policy, its hours or its limits drops the compiled
    policies cached for the contact checks."""

    _name = "collection.contact.policy.cache"
    _description = "Contact Policy Cache Invalidation"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res


class CollectionContactPolicy(models.Model):
    """When, how often and through which channels a debtor may be contacted.

    A policy applies to the debtors of its countries (or to every debtor
    when it has no country) in its company (or in every company when it has
    none); the most specific one wins. The rules are checked in the debtor's
    time zone by the pure function ``tools/contact_rules.check_contact``
    whenever a contact is started or logged and before any automatic message.
    """

    _name = "collection.contact.policy"
    _inherit = ["collection.contact.policy.cache"]
    _description = "Contact Policy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to apply the policy in every company.")
    country_ids = fields.Many2many(
        "res.country",
        string="Countries",
        help="Debtors of these countries follow this policy; leave empty for a default policy that "
        "applies to the debtors of every other country.",
    )
    legal_reference = fields.Char(help="The law or rule the policy implements.")
    window_ids = fields.One2many(
        "collection.contact.policy.window",
        "policy_id",
        string="Allowed Hours",
        copy=True,
        help="Hours of the debtor's local time when contact is allowed, per weekday; a weekday without "
        "any line is closed. Without any line, every hour is allowed.",
    )
    limit_ids = fields.One2many("collection.contact.policy.limit", "policy_id", string="Frequency Limits", copy=True)
    exclude_holidays = fields.Boolean(
        "No Contact on Public Holidays",
        help="Refuse contacts during the public holidays (global time off) of the holiday calendar.",
    )
    holiday_calendar_id = fields.Many2one(
        "resource.calendar",
        help="Working schedule whose public holidays (time off without a resource) apply.",
    )
    conversation_gap_days = fields.Integer(
        "Days After a Conversation",
        help="After a right-party conversation on a channel, no further contact on that channel "
        "before this many days have passed (the conversation's day counts as the first).",
    )
    authorised_channels_only = fields.Boolean(
        "Only Authorised Channels",
        help="Contact debtors only through the channels they authorised (debtor's Collections tab).",
    )
    allow_visits = fields.Boolean("Field Visits Allowed", default=True)
    note = fields.Text()

    @api.constrains("conversation_gap_days")
    def _check_gap(self):
        if any(policy.conversation_gap_days < 0 for policy in self):
            raise ValidationError(_("The days after a conversation cannot be negative."))

    # ------------------------------------------------------------------
    # Which policy applies, compiled for the pure checks
    # ------------------------------------------------------------------
    @api.model
    @tools.ormcache("company_id")
    def _candidates(self, company_id):
        """(policy id, country ids, is company-specific) of the active
        policies of ``company_id``, most specific and first by sequence first."""
        policies = self.sudo().search([("company_id", "in", [company_id, False])])
        return tuple(
            (policy.id, frozenset(policy.country_ids.ids), bool(policy.company_id))
            for policy in policies.sorted(lambda p: (not p.company_id, p.sequence, p.id))
        )

    @api.model
    def _policy_for(self, country_id, company_id):
        """The policy for a debtor of ``country_id`` in ``company_id``: one
        naming the country, else one without countries; a company's own
        policy before a shared one. Empty recordset when none applies."""
        candidates = self._candidates(company_id)
        for policy_id, countries, _own in candidates:
            if country_id and country_id in countries:
                return self.browse(policy_id)
        for policy_id, countries, _own in candidates:
            if not countries:
                return self.browse(policy_id)
        return self.browse()

    @api.model
    @tools.ormcache("policy_id")
    def _compiled(self, policy_id):
        """The policy's static rules as ``contact_rules.Policy`` (holidays
        are added per check)."""
        policy = self.sudo().browse(policy_id)
        return contact_rules.Policy(
            name=policy.name,
            windows=tuple(
                contact_rules.Window(int(window.weekday), window.hour_from, window.hour_to)
                for window in policy.window_ids
            ),
            limits=tuple(
                contact_rules.Limit(
                    scope=limit.scope,
                    period_days=limit.period_days,
                    max_contacts=limit.max_contacts,
                    channel=limit.channel_id.code or None,
                    conversations_only=limit.conversations_only,
                )
                for limit in policy.limit_ids
            ),
            conversation_gap_days=policy.conversation_gap_days,
            authorised_only=policy.authorised_channels_only,
            allow_visits=policy.allow_visits,
        )

    def _rules(self, when):
        """The compiled rules of this policy with the public holidays from
        the day before ``when`` to the holiday horizon, in one query."""
        self.ensure_one()
        compiled = self._compiled(self.id)
        if not (self.exclude_holidays and self.holiday_calendar_id):
            return compiled
        self.env.cr.execute(
            SQL(
                """
                SELECT date_from, date_to, name FROM resource_calendar_leaves
                 WHERE resource_id IS NULL AND calendar_id = %s
                   AND date_to >= %s AND date_from <= %s
                 ORDER BY date_from
                """,
                self.holiday_calendar_id.id,
                when - timedelta(days=1),
                when + timedelta(days=HOLIDAY_HORIZON_DAYS),
            )
        )
        holidays = tuple(contact_rules.Holiday(start, end, name or "") for start, end, name in self.env.cr.fetchall())
        return contact_rules.Policy(**{**compiled.__dict__, "holidays": holidays})


class CollectionContactPolicyWindow(models.Model):
    _name = "collection.contact.policy.window"
    _inherit = ["collection.contact.policy.cache"]
    _description = "Contact Policy Allowed Hours"
    _order = "policy_id, weekday, hour_from"

    policy_id = fields.Many2one("collection.contact.policy", required=True, ondelete="cascade", index=True)
    weekday = fields.Selection(WEEKDAYS, required=True)
    hour_from = fields.Float("From", required=True, help="Debtor's local time.")
    hour_to = fields.Float("To", required=True, help="Debtor's local time; contact must start before it.")

    @api.constrains("hour_from", "hour_to")
    def _check_hours(self):
        for window in self:
            if not 0 <= window.hour_from < window.hour_to <= 24:
                raise ValidationError(_("Allowed hours must run forward within the day (from 0:00 to 24:00)."))


class CollectionContactPolicyLimit(models.Model):
    _name = "collection.contact.policy.limit"
    _inherit = ["collection.contact.policy.cache"]
    _description = "Contact Policy Frequency Limit"
    _order = "policy_id, id"

    policy_id = fields.Many2one("collection.contact.policy", required=True, ondelete="cascade", index=True)
    scope = fields.Selection(
        LIMIT_SCOPES,
        required=True,
        default="all",
        help="All channels together: every contact counts. Same channel: only contacts on the channel "
        "being used (or only on the chosen channel). Different channels: how many different channels "
        "may be used in the period.",
    )
    channel_id = fields.Many2one(
        "collection.channel", string="Only for Channel", help="Same channel scope: apply only to this channel."
    )
    period_days = fields.Integer(
        "Period (Days)",
        required=True,
        default=1,
        help="1 = the debtor's calendar day; 7 = that day and the six before.",
    )
    max_contacts = fields.Integer(
        "Maximum", required=True, default=1, help="Most contacts (or different channels) in the period."
    )
    conversations_only = fields.Boolean(help="Count only right-party conversations, not attempts.")

    @api.constrains("period_days", "max_contacts")
    def _check_limit(self):
        for limit in self:
            if limit.period_days < 1 or limit.max_contacts < 1:
                raise ValidationError(
                    _("A frequency limit needs a period of at least one day and a maximum of at least one.")
                )
