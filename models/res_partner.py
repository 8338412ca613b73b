import pytz

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import ValidationError

from ..tools import geo
from ..tools import promises as promise_tools

# the debtor's collection figures: collection users and accountants
FIGURE_GROUPS = "debt_collection.group_collection_user,account.group_account_invoice"
# the debtor's contact permissions and collection contact data: collection users only
COLLECTION_GROUPS = "debt_collection.group_collection_user"
# what the debtor allowed or refused: every change goes to the event log
CONTACT_PERMISSION_FIELDS = ("collection_do_not_contact", "collection_channel_ids")


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_case_ids = fields.One2many("collection.case", "partner_id")
    collection_case_count = fields.Integer(
        "Number of Collection Cases", compute="_compute_collection_amounts", groups=FIGURE_GROUPS
    )
    collection_amount_open = fields.Monetary(
        "Open Collection Amount",
        compute="_compute_collection_amounts",
        currency_field="collection_currency_id",
        groups=FIGURE_GROUPS,
        help="Balance of the debtor's open collection cases, in the company currency.",
    )
    collection_currency_id = fields.Many2one(
        "res.currency", compute="_compute_collection_amounts", groups=FIGURE_GROUPS
    )
    collection_register_ids = fields.One2many(
        "collection.register", "partner_id", string="Register Entries", groups=COLLECTION_GROUPS
    )
    collection_register_state = fields.Selection(
        [("notice", "Pre-notice sent"), ("entered", "In the register")],
        string="Delinquent Register",
        compute="_compute_collection_register_state",
        groups=FIGURE_GROUPS,
        help="Whether the debtor is in the delinquent register, or was given its pre-notice.",
    )
    collection_is_lawyer = fields.Boolean(
        "Lawyer / Law Firm",
        groups=COLLECTION_GROUPS,
        help="Cases can be handed over to this partner for litigation; their users in the Collections / Lawyer group "
        "see those cases only.",
    )
    collection_lawyer_fee_rate = fields.Float(
        "Lawyer's Fee (%)",
        digits=(5, 2),
        groups=COLLECTION_GROUPS,
        help="The lawyer's percentage of what is collected on the cases in litigation with them.",
    )
    collection_other_phones = fields.Char(
        "Other Phones",
        groups=COLLECTION_GROUPS,
        help="Further phone numbers (E.164, comma separated) received with collection files.",
    )
    collection_phone_ids = fields.One2many(
        "collection.phone", "partner_id", string="Phone Book", groups=COLLECTION_GROUPS
    )
    collection_do_not_contact = fields.Boolean(
        "Do Not Contact",
        tracking=True,
        groups=COLLECTION_GROUPS,
        help="The debtor asked not to be contacted: every contact is refused unless a collection supervisor "
        "overrides it with a reason.",
    )
    collection_channel_ids = fields.Many2many(
        "collection.channel",
        "res_partner_collection_channel_rel",
        "partner_id",
        "channel_id",
        string="Authorised Channels",
        groups=COLLECTION_GROUPS,
        help="Channels the debtor authorised for collection contacts; contact policies that require it "
        "refuse the others.",
    )
    # the debtor's position is Odoo's own (partner_latitude / partner_longitude, filled by base_geolocalize's
    # geocoder when one is configured); these names stay for the collection views
    collection_latitude = fields.Float(
        "Latitude", related="partner_latitude", readonly=False, digits=(10, 7), groups=COLLECTION_GROUPS
    )
    collection_longitude = fields.Float(
        "Longitude", related="partner_longitude", readonly=False, digits=(10, 7), groups=COLLECTION_GROUPS
    )
    collection_location_ids = fields.One2many(
        "collection.partner.location", "partner_id", string="Position History", groups=COLLECTION_GROUPS
    )
    collection_promise_ids = fields.One2many(
        "collection.promise", "partner_id", string="Promises to Pay", groups=FIGURE_GROUPS
    )
    collection_promise_count = fields.Integer(
        "Promises", compute="_compute_collection_promise_stats", groups=FIGURE_GROUPS
    )
    collection_promise_broken_count = fields.Integer(
        "Broken Promises", compute="_compute_collection_promise_stats", groups=FIGURE_GROUPS
    )
    collection_promise_kept_rate = fields.Float(
        "Promises Kept (%)", compute="_compute_collection_promise_stats", digits=(5, 2), groups=FIGURE_GROUPS
    )

    @api.depends_context("company", "allowed_company_ids")
    def _compute_collection_amounts(self):
        """Counted as superuser within the allowed companies: accountants see
        the figure without any collection group."""
        company = self.env.company
        partners = self.commercial_partner_id | self
        groups = (
            self.env["collection.case"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("state", "=", "open"),
                    ("company_id", "in", self.env.companies.ids),
                ],
                ["partner_id", "currency_id"],
                ["__count", "amount_residual:sum"],
            )
        )
        today = fields.Date.context_today(self)
        counts, amounts = {}, {}
        for partner, currency, count, residual in groups:
            counts[partner.id] = counts.get(partner.id, 0) + count
            amounts[partner.id] = amounts.get(partner.id, 0.0) + currency._convert(
                residual, company.currency_id, company, today
            )
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.collection_case_count = counts.get(key, 0)
            partner.collection_amount_open = amounts.get(key, 0.0)
            partner.collection_currency_id = company.currency_id

    def _collection_lawyer_users(self):
        """The users who work the cases handed to this lawyer or law firm:
        its own users and its contacts', in the Lawyer group."""
        partners = (self | self.child_ids).sudo()
        return partners.user_ids.filtered(lambda user: user.has_group("debt_collection.group_collection_lawyer"))

    @api.depends("collection_register_ids.state")
    @api.depends_context("allowed_company_ids")
    def _compute_collection_register_state(self):
        states = {}
        Register = self.env["collection.register"].sudo()
        domain = [("partner_id", "in", self.ids), ("state", "in", ("notice", "entered"))]
        domain.append(("company_id", "in", self.env.companies.ids))
        for partner, state in Register._read_group(domain, ["partner_id", "state"]):
            if states.get(partner.id) != "entered":
                states[partner.id] = state
        for partner in self:
            partner.collection_register_state = states.get(partner.id, False)

    @api.depends("collection_promise_ids.state")
    @api.depends_context("allowed_company_ids")
    def _compute_collection_promise_stats(self):
        """The debtor's promise history in the allowed companies, counted
        as superuser (a figure, not the promises themselves)."""
        groups = (
            self.env["collection.promise"]
            .sudo()
            ._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "in", self.env.companies.ids)],
                ["partner_id", "state"],
                ["__count"],
            )
        )
        counts = {}
        for partner, state, count in groups:
            counts.setdefault(partner.id, {})[state] = count
        for partner in self:
            by_state = counts.get(partner.commercial_partner_id.id, {})
            rate = promise_tools.kept_rate(
                by_state.get("kept", 0), by_state.get("partial", 0), by_state.get("broken", 0)
            )
            partner.collection_promise_count = sum(by_state.values())
            partner.collection_promise_broken_count = by_state.get("broken", 0)
            partner.collection_promise_kept_rate = rate or 0.0

    @api.constrains("partner_latitude", "partner_longitude")
    def _check_collection_position(self):
        for partner in self:
            if not geo.valid_coordinates(partner.partner_latitude or 0.0, partner.partner_longitude or 0.0):
                raise ValidationError(
                    _(
                        "The position of %(name)s is out of range: a latitude is between -90 and 90, a longitude "
                        "between -180 and 180.",
                        name=partner.display_name,
                    )
                )

    def write(self, vals):
        positions = None
        if {"partner_latitude", "partner_longitude"} & set(vals):
            positions = {
                partner.id: (partner.partner_latitude or 0.0, partner.partner_longitude or 0.0)
                for partner in self.sudo()
            }
        permissions = [name for name in CONTACT_PERMISSION_FIELDS if name in vals]
        before = self._collection_permissions_before(vals, permissions) if permissions else None
        res = super().write(vals)
        if permissions:
            self._collection_permissions_after(permissions, before)
        if positions is not None:
            self._collection_position_moved(positions)
        return res

    def _collection_permissions_before(self, vals, permissions):
        """Refuse lifting *do not contact* to non-supervisors; the contact
        permissions before the write."""
        if (
            vals.get("collection_do_not_contact") is False
            and not self.env.su
            and not self.env.user.has_group("debt_collection.group_collection_supervisor")
            and self.sudo().filtered("collection_do_not_contact")
        ):
            raise AccessError(_("Only a collection supervisor can lift a debtor's request not to be contacted."))
        return {
            partner.id: {
                "collection_do_not_contact": partner.collection_do_not_contact,
                "collection_channel_ids": sorted(partner.collection_channel_ids.mapped("name")),
            }
            for partner in self.sudo()
        }

    def _collection_permissions_after(self, permissions, before):
        """Log every change of the debtors' contact permissions."""
        for partner in self.sudo():
            after = {
                "collection_do_not_contact": partner.collection_do_not_contact,
                "collection_channel_ids": sorted(partner.collection_channel_ids.mapped("name")),
            }
            changes = {
                name: {"old": before[partner.id][name], "new": after[name]}
                for name in permissions
                if before[partner.id][name] != after[name]
            }
            if changes:
                partner._collection_log_permissions(changes)

    def _collection_position_moved(self, before):
        """Keep the positions replaced in the debtors' position history (with
        where the new one comes from: context key ``collection_location_source``,
        and the visit that gave it) and put their open cases in the zone of
        their new position."""
        debtors = self.sudo().filtered("collection_case_ids")
        moved = debtors.filtered(lambda p: before[p.id] != (p.partner_latitude or 0.0, p.partner_longitude or 0.0))
        if moved:
            source = self.env.context.get("collection_location_source") or "manual"
            self.env["collection.partner.location"].sudo().create(
                [
                    {
                        "partner_id": partner.id,
                        "latitude": partner.partner_latitude,
                        "longitude": partner.partner_longitude,
                        "previous_latitude": before[partner.id][0],
                        "previous_longitude": before[partner.id][1],
                        "source": source,
                        "interaction_id": self.env.context.get("collection_location_interaction_id"),
                    }
                    for partner in moved
                ]
            )
            cases = moved.collection_case_ids
            self.env["collection.case"].sudo()._assign_zones(cases.company_id, case_ids=cases.ids)

    def _collection_log_permissions(self, changes):
        """One event per case of the debtor (or one for the company when they
        have none) saying who changed their contact permissions."""
        self.ensure_one()
        labels = []
        if "collection_do_not_contact" in changes:
            labels.append(
                _("do not contact set") if changes["collection_do_not_contact"]["new"] else _("do not contact lifted")
            )
        if "collection_channel_ids" in changes:
            labels.append(
                _(
                    "authorised channels: %s",
                    ", ".join(changes["collection_channel_ids"]["new"]) or _("none"),
                )
            )
        description = _(
            "Contact permissions of %(debtor)s changed by %(user)s: %(changes)s.",
            debtor=self.display_name,
            user=self.env.user.name,
            changes="; ".join(labels),
        )
        cases = self.env["collection.case"].sudo().search([("partner_id", "=", self.commercial_partner_id.id)])
        self.env["collection.event"]._log(
            "contact_permission",
            description,
            cases=cases or None,
            payload={"partner_id": self.id, "changes": changes},
        )

    def _collection_timezones(self, company):
        """Time zones in which contact rules are checked for this debtor:
        their own, else every time zone of their country (a contact must
        suit all of them), else the company's, else UTC."""
        self.ensure_one()
        if self.tz:
            return (self.tz,)
        country = self.country_id or company.country_id
        zones = pytz.country_timezones.get(country.code) if country else None
        if zones:
            return tuple(zones)
        return (company.partner_id.tz or "UTC",)

    def _collection_phone_numbers(self):
        """The debtor's numbers, best first, as (E.164 number, valid):
        mobile, phone, then the other phones and the phone book; numbers
        flagged invalid last."""
        self.ensure_one()
        seen = {}
        raw = [self.mobile, self.phone] + (self.collection_other_phones or "").split(",")
        raw += self.collection_phone_ids.mapped("number")
        invalid = set(self.collection_phone_ids.filtered(lambda p: not p.is_valid).mapped("number"))
        for number in raw:
            formatted = self._collection_format_phone(number)
            if formatted and formatted not in seen:
                seen[formatted] = formatted not in invalid
        return sorted(seen.items(), key=lambda item: not item[1])

    def _collection_format_phone(self, number):
        """``number`` in E.164 for the debtor's country, or as typed when
        it cannot be parsed."""
        number = (number or "").strip()
        if not number:
            return False
        return self._phone_format(number=number, country=self.country_id or self.env.company.country_id) or number

    def _collection_flag_phone_invalid(self, number, interaction=None):
        """Record ``number`` as invalid in the debtor's phone book (a wrong
        number); the number stays on the debtor for the history."""
        self.ensure_one()
        Phone = self.env["collection.phone"].sudo()
        formatted = self._collection_format_phone(number)
        phone = Phone.search([("partner_id", "=", self.id), ("number", "=", formatted)], limit=1)
        vals = {
            "is_valid": False,
            "date_invalid": fields.Datetime.now(),
            "invalid_user_id": self.env.uid,
            "note": _("Wrong number reported on %s.", interaction.case_id.name) if interaction else False,
        }
        if phone:
            phone.write(vals)
        else:
            Phone.create({"partner_id": self.id, "number": formatted, **vals})

    def action_view_collection_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_filter_open": 1, "create": False}
        return action
