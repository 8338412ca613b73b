import re
from datetime import timedelta

import phonenumbers
from markupsafe import Markup

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import format_date
from odoo.tools.misc import format_datetime
from odoo.tools.misc import formatLang

from ..tools import aging
from ..tools import contact_rules
from ..tools import geo
from ..tools import scoring
from .collection_channel import VISIT_CHANNELS

# contacts read for the frequency rules: the longest period or gap, plus a day
MIN_LOOKBACK_DAYS = 8


def _search_numbers(value, country_codes):
    """The E.164 forms ``value`` may stand for: as an international number,
    and as a national number of each of ``country_codes``."""
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if len(re.sub(r"\D", "", text)) < 6 or re.search(r"[A-Za-z]", text):
        return []
    numbers = []
    for region in [None, *country_codes] if text.startswith("+") else country_codes:
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(parsed):
            number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if number not in numbers:
                numbers.append(number)
    return numbers


class ContactRefused(UserError):
    """A contact the debtor's contact policy refuses: shown to the user in a
    dialog titled as a contact-rule refusal (``static/src``)."""


def _lookback_days(rules):
    """How far back the rules look at a debtor's contacts, in days."""
    return max([MIN_LOOKBACK_DAYS, rules.conversation_gap_days + 1] + [limit.period_days + 1 for limit in rules.limits])


class CollectionCase(models.Model):
    """Working a case: interactions, contact rules, disputes (the case side)."""

    _inherit = "collection.case"

    interaction_ids = fields.One2many("collection.interaction", "case_id", string="Interactions")
    last_interaction_date = fields.Datetime(
        "Last Action", readonly=True, help="Last interaction logged, contact or not."
    )
    dispute_ids = fields.One2many("collection.dispute", "case_id", string="Disputes")
    payment_ids = fields.One2many("collection.payment", "case_id", string="Payments")
    agreement_ids = fields.One2many("collection.agreement", "case_id", string="Payment Agreements")
    open_dispute_count = fields.Integer("Open Disputes", compute="_compute_open_dispute_count")
    partner_phone_ids = fields.One2many(related="partner_id.collection_phone_ids", string="Phone Book")
    partner_other_phones = fields.Char(related="partner_id.collection_other_phones")
    partner_do_not_contact = fields.Boolean(
        related="partner_id.collection_do_not_contact",
        string="Do Not Contact",
        groups="debt_collection.group_collection_user,account.group_account_invoice,debt_collection.group_collection_lawyer",
    )
    partner_tz = fields.Selection(related="partner_id.tz", string="Debtor Time Zone")
    partner_street = fields.Char(related="partner_id.street", string="Street")
    partner_street2 = fields.Char(related="partner_id.street2", string="Street 2")
    partner_city = fields.Char(related="partner_id.city", string="City")
    partner_zip = fields.Char(related="partner_id.zip", string="ZIP")
    partner_state_id = fields.Many2one(related="partner_id.state_id", string="State / Province")
    partner_country_id = fields.Many2one(related="partner_id.country_id", string="Country")
    partner_latitude = fields.Float(related="partner_id.collection_latitude", string="Latitude")
    partner_longitude = fields.Float(related="partner_id.collection_longitude", string="Longitude")
    partner_child_ids = fields.One2many(related="partner_id.child_ids", string="Contacts")
    movement_ids = fields.One2many("collection.case.movement", compute="_compute_movement_ids", string="Movements")
    debtor_search = fields.Char(
        "Debtor, Phone, ID or Reference",
        compute="_compute_debtor_search",
        search="_search_debtor_search",
        help="Finds a case by the debtor's name, any of their phone numbers (in any format), tax ID, the "
        "creditor's reference or the case reference.",
    )
    absence_note = fields.Char(
        "Absence",
        compute="_compute_absence_note",
        help="The collector is absent today: who works the case in their place.",
    )
    covered_by_credits = fields.Boolean(
        compute="_compute_covered_by_credits",
        search="_search_covered_by_credits",
        help="The debtor's open credits (credit notes, unallocated payments) cover what is overdue: the case is "
        "not chased and leaves the work list until something is overdue beyond its credits.",
    )
    score_band = fields.Selection(
        [(code, label) for code, label, _low in aging.SCORE_BANDS],
        "Priority Band",
        compute="_compute_score_band",
        search="_search_score_band",
        help="High, medium or low by the company's thresholds of priority score (Settings).",
    )
    score_explanation = fields.Html(
        compute="_compute_score_explanation",
        sanitize=False,
        help="The points each score rule gives the case.",
    )
    user_can_manage = fields.Boolean(
        compute="_compute_user_can_manage",
        help="The user is a supervisor: they may change the case's portfolio, team, debtor and collector.",
    )
    contact_allowed_now = fields.Boolean(
        "May Be Called Now",
        compute="_compute_contact_now",
        help="Whether the contact policy of the debtor allows a call now.",
    )
    contact_now_note = fields.Char(
        "Call Now?",
        compute="_compute_contact_now",
        help="Whether the debtor may be called now under their contact policy and, if not, from when (the "
        "debtor's time and yours).",
    )

    def _compute_open_dispute_count(self):
        counts = dict(
            self.env["collection.dispute"]._read_group(
                [("case_id", "in", self.ids), ("state", "in", ("open", "review"))], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.open_dispute_count = counts.get(case, 0)

    def _compute_movement_ids(self):
        # read from the accounting view each time: a new case would otherwise
        # keep the empty list it was created with until the end of the transaction
        movements = self.env["collection.case.movement"].search([("case_id", "in", self.ids)])
        by_case = movements.grouped("case_id")
        for case in self:
            case.movement_ids = by_case.get(case, movements.browse())

    def _compute_absence_note(self):
        open_cases = self.filtered(lambda c: c.state == "open" and c.user_id)
        absent = {}
        if open_cases:
            for user_id, team_id, substitute_id in self.env["collection.team.member"]._absent_substitutions(
                user_ids=open_cases.user_id.ids
            ):
                absent[(user_id, team_id)] = substitute_id
        Users = self.env["res.users"].sudo()
        for case in self:
            substitute = absent.get((case.user_id.id, case.team_id.id)) if case in open_cases else None
            case.absence_note = (
                _(
                    "%(collector)s is absent today: %(substitute)s works this case.",
                    collector=case.user_id.sudo().name,
                    substitute=Users.browse(substitute).name,
                )
                if substitute
                else False
            )

    @api.depends("amount_credit", "amount_overdue", "days_overdue", "state")
    def _compute_covered_by_credits(self):
        for case in self:
            case.covered_by_credits = (
                case.state == "open"
                and case.amount_credit > 0
                and case.days_overdue > 0
                and case.currency_id.is_zero(case.amount_overdue)
            )

    def _search_covered_by_credits(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return NotImplemented
        covered = [
            ("state", "=", "open"),
            ("amount_credit", ">", 0),
            ("days_overdue", ">", 0),
            ("amount_overdue", "=", 0),
        ]
        if (operator == "=") == value:
            return covered
        return [
            "|",
            "|",
            "|",
            "|",
            ("state", "!=", "open"),
            ("amount_credit", "=", False),
            ("amount_credit", "<=", 0),
            ("days_overdue", "<=", 0),
            ("amount_overdue", "!=", 0),
        ]

    def _compute_debtor_search(self):
        self.debtor_search = False

    def _search_debtor_search(self, operator, value):
        if operator not in ("ilike", "like", "=", "=ilike") or not isinstance(value, str) or not value.strip():
            return NotImplemented
        value = value.strip()
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        # one condition per way of naming the debtor, any of them finds it
        terms = [("name", "ilike", value), ("ref", "=ilike", value)]
        compact = re.sub(r"[\s.\-/]", "", value)
        if len(compact) >= 3:
            terms.append(("vat", "=ilike", compact))
        numbers = _search_numbers(value, self.env.companies.country_id.mapped("code"))
        if numbers:
            terms += [(name, "in", numbers) for name in ("phone", "mobile", "phone_sanitized")]
            terms.append(("collection_phone_ids.number", "in", numbers))
            terms += [("collection_other_phones", "ilike", number) for number in numbers]
        digits = re.sub(r"\D", "", value)
        if len(digits) >= 7 and len(digits) >= len(value.replace(" ", "")) - 3:
            # a local number whose country is not the company's: matched on its last digits
            terms += [
                (name, "=like", f"%{digits}") for name in ("phone_sanitized", "mobile", "collection_phone_ids.number")
            ]
        partner_domain = [[term] for term in terms]
        partners = Partner.search(expression.OR(partner_domain))
        return expression.OR(
            [
                [("partner_id", "in", (partners | partners.commercial_partner_id).ids)],
                [("name", "ilike", value)],
                [("external_ref", "ilike", value)],
            ]
        )

    @api.depends("priority_score", "company_id.collection_score_high", "company_id.collection_score_medium")
    def _compute_score_band(self):
        for case in self:
            company = case.company_id
            case.score_band = scoring.band(
                case.priority_score, company.collection_score_high, company.collection_score_medium
            )

    def _search_score_band(self, operator, value):
        """Bands as score ranges of each company's thresholds."""
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Unsupported search on the priority band."))
        bands = {value} if isinstance(value, str) else set(value or ())
        domains = []
        for company in self.env["res.company"].sudo().search([]):
            high, medium = company.collection_score_high, company.collection_score_medium
            ranges = {
                "high": [("priority_score", ">=", high)],
                "medium": [("priority_score", ">=", medium), ("priority_score", "<", high)],
                "low": ["|", ("priority_score", "<", medium), ("priority_score", "=", False)],
            }
            for band in bands & set(ranges):
                domains.append(expression.AND([[("company_id", "=", company.id)], ranges[band]]))
        domain = expression.OR(domains) if domains else expression.FALSE_DOMAIN
        return expression.distribute_not(["!", *domain]) if operator in ("!=", "not in") else domain

    @api.depends("priority_score")
    def _compute_score_explanation(self):
        rules_of = self.env["collection.score.rule"]._rules_of(self.company_id.ids)
        facts_of = self._score_facts()
        for case in self:
            total, lines = scoring.explain(rules_of.get(case.company_id.id, []), facts_of[case.id])
            case.score_explanation = self._score_explanation_html(total, lines, facts_of[case.id])

    def _score_explanation_html(self, total, lines, facts):
        rows = []
        for rule, value, points in lines:
            if isinstance(value, bool):
                shown = _("yes") if value else _("no")
            elif value is None:
                shown = _("unknown")
            elif rule.fact == "days_since_contact" and value >= scoring.NEVER_CONTACTED_DAYS:
                shown = _("never contacted")
            else:
                shown = formatLang(self.env, value, digits=0 if float(value).is_integer() else 2)
            rows.append(
                Markup("<tr><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td></tr>")
                % (rule.name, shown, formatLang(self.env, points, digits=2))
            )
        note = ""
        if (facts.get("balance") or 0.0) <= 0:
            note = Markup("<p class='text-muted'>%s</p>") % _("Nothing to escalate outside disputes: the score is 0.")
        return Markup(
            "<table class='table table-sm o_collection_score'><thead><tr><th>%s</th><th class='text-end'>%s</th>"
            "<th class='text-end'>%s</th></tr></thead><tbody>%s</tbody><tfoot><tr><th>%s</th><th></th>"
            "<th class='text-end'>%s</th></tr></tfoot></table>%s"
        ) % (
            _("Rule"),
            _("Value"),
            _("Points"),
            Markup("").join(rows),
            _("Score (0 to 100)"),
            formatLang(self.env, total, digits=2),
            note,
        )

    @api.depends_context("uid")
    def _compute_user_can_manage(self):
        supervisor = self.env.user.has_group("debt_collection.group_collection_supervisor")
        for case in self:
            case.user_can_manage = supervisor

    def _compute_contact_now(self):
        now = fields.Datetime.now()
        open_cases = self.filtered(lambda c: c.state == "open" and c.id and c.partner_id)
        verdicts = open_cases._contact_verdicts("call", now)
        for case in self:
            if case not in open_cases:
                case.contact_allowed_now = False
                case.contact_now_note = False
                continue
            verdict, _policy, timezones = verdicts[case.id]
            case.contact_allowed_now = verdict.allowed
            case.contact_now_note = case._contact_now_text(verdict, timezones)

    def _contact_now_text(self, verdict, timezones):
        """A card's short answer to "may I call now?"."""
        if verdict.allowed:
            return _("Call allowed now")
        if verdict.next_allowed:
            return _(
                "No call now; from %(debtor_time)s debtor's time (%(user_time)s yours)",
                debtor_time=format_datetime(self.env, verdict.next_allowed, tz=timezones[0], dt_format="EEE HH:mm"),
                user_time=format_datetime(self.env, verdict.next_allowed, dt_format="EEE HH:mm"),
            )
        return _("No call: refused by the contact rules")

    # ------------------------------------------------------------------
    # Contact rules
    # ------------------------------------------------------------------
    def _contact_verdict(self, channel_code, when=None):
        """Whether the debtor may be contacted through ``channel_code`` at
        ``when`` (now by default) under the contact policy that applies to
        them. Returns (verdict, policy, time zones); a few queries, no
        more, whatever the debtor's history."""
        self.ensure_one()
        return self._contact_verdicts(channel_code, when)[self.id]

    def _contact_verdicts(self, channel_code, when=None):
        """``_contact_verdict`` of every case, {case id: (verdict, policy,
        time zones)}: the policies' holidays once per policy and the
        debtors' recent contacts in one query, whatever the number of
        cases (a page of work-list cards)."""
        when = when or fields.Datetime.now()
        # the policies are configuration the check reads whatever the user
        Policy = self.env["collection.contact.policy"].sudo()
        rules_of, plan = {}, []
        lookback = 0
        for case in self:
            debtor = case.partner_id.sudo()
            policy = Policy._policy_for(debtor.country_id.id, case.company_id.id)
            if policy.id not in rules_of:
                rules_of[policy.id] = policy._rules(when) if policy else None
            rules = rules_of[policy.id]
            if rules is not None:
                lookback = max(lookback, _lookback_days(rules))
            plan.append((case, debtor, policy, rules))
        contacts = self._recent_contacts_of(when, lookback) if lookback else {}
        verdicts = {}
        for case, debtor, policy, rules in plan:
            timezones = debtor._collection_timezones(case.company_id)
            recent = ()
            if rules is not None:
                since = when - timedelta(days=_lookback_days(rules))
                recent = tuple(
                    contact for contact in contacts.get((debtor.id, case.company_id.id), ()) if contact.when > since
                )
            verdict = contact_rules.check_contact(
                rules,
                when,
                channel_code,
                recent,
                timezones,
                do_not_contact=debtor.collection_do_not_contact,
                authorised_channels=frozenset(debtor.collection_channel_ids.mapped("code")),
                visit_channels=VISIT_CHANNELS,
            )
            verdicts[case.id] = (verdict, policy, timezones)
        return verdicts

    def _recent_contacts(self, when, rules):
        """The debtor's outbound contacts in this company over the period
        the rules look back on."""
        self.ensure_one()
        if rules is None:
            return ()
        contacts = self._recent_contacts_of(when, _lookback_days(rules))
        return tuple(contacts.get((self.partner_id.id, self.company_id.id), ()))

    def _recent_contacts_of(self, when, lookback):
        """{(debtor id, company id): (Contact, ...)} of the outbound contacts
        of the cases' debtors in the last ``lookback`` days, in one query."""
        self.env["collection.interaction"].flush_model(
            ["partner_id", "company_id", "direction", "voided", "date_start", "channel_code", "is_conversation"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, company_id, date_start, channel_code, is_conversation
                  FROM collection_interaction
                 WHERE partner_id = ANY(%s) AND company_id = ANY(%s) AND direction = 'outbound'
                   AND voided IS NOT TRUE AND date_start > %s AND date_start <= %s
                """,
                list(set(self.partner_id.ids)),
                list(set(self.company_id.ids)),
                when - timedelta(days=lookback),
                when,
            )
        )
        contacts = {}
        for partner_id, company_id, start, code, conversation in self.env.cr.fetchall():
            contacts.setdefault((partner_id, company_id), []).append(
                contact_rules.Contact(start, code or "other", bool(conversation))
            )
        return contacts

    def _contact_refusal_message(self, verdict, policy, timezones, channel):
        """The translated message of a refused contact: which rule, and when
        contact is next allowed (debtor's time and the user's)."""
        self.ensure_one()
        params = verdict.params
        debtor = self.partner_id.name
        policy_name = policy.name or _("the contact policy")
        rule = verdict.rule
        if rule == "do_not_contact":
            reason = _("%s asked not to be contacted (Do Not Contact).", debtor)
        elif rule == "channel_not_authorised":
            reason = _("%(debtor)s has not authorised contact by %(channel)s.", debtor=debtor, channel=channel.name)
        elif rule == "visits_forbidden":
            reason = _("%s does not allow field visits.", policy_name)
        elif rule == "holiday":
            reason = _(
                "It is a public holiday (%(holiday)s) and %(policy)s forbids contact on holidays.",
                holiday=params.get("holiday") or _("holiday"),
                policy=policy_name,
            )
        elif rule == "hours":
            reason = _(
                "It is %(local)s for the debtor (%(tz)s), outside the hours allowed by %(policy)s.",
                local=format_datetime(self.env, params["local"].replace(tzinfo=None), tz="UTC", dt_format="EEE HH:mm"),
                tz=params["tz"],
                policy=policy_name,
            )
        elif rule == "limit":
            scope = params.get("scope")
            if scope == "channels":
                reason = _(
                    "%(policy)s allows at most %(max)s different channel(s) in %(days)s day(s).",
                    policy=policy_name,
                    max=params["max_contacts"],
                    days=params["period_days"],
                )
            else:
                reason = _(
                    "%(policy)s allows at most %(max)s contact(s)%(what)s in %(days)s day(s); %(count)s already made.",
                    policy=policy_name,
                    max=params["max_contacts"],
                    what=_(" by %s", channel.name) if scope == "channel" else "",
                    days=params["period_days"],
                    count=params["count"],
                )
        elif rule == "conversation_gap":
            reason = _(
                "%(policy)s: no %(channel)s within %(days)s day(s) of a conversation (on %(since)s).",
                policy=policy_name,
                channel=channel.name,
                days=params["days"],
                since=format_date(self.env, params["since"]),
            )
        else:
            reason = _("The contact policy refuses this contact.")
        if verdict.next_allowed:
            after = _(
                "Contact is allowed again from %(debtor_time)s (debtor's time, %(tz)s), %(user_time)s your time.",
                debtor_time=format_datetime(self.env, verdict.next_allowed, tz=timezones[0], dt_format="short"),
                tz=timezones[0],
                user_time=format_datetime(self.env, verdict.next_allowed, dt_format="short"),
            )
        else:
            after = _("Contact stays refused until this changes.")
        return _("Contact refused for %(case)s. %(reason)s %(after)s", case=self.name, reason=reason, after=after)

    def _automatic_contact_allowed(self, channel_code, when=None):
        """The open cases of ``self`` on which an automatic step (message,
        letter, call task) may run through ``channel_code`` now: something
        overdue outside open disputes, and allowed by the contact rules.
        Strategies call this before acting."""
        allowed = self.browse()
        for case in self.filtered(lambda c: c.state == "open" and c.amount_overdue > 0):
            if case._contact_verdict(channel_code, when)[0].allowed:
                allowed |= case
        return allowed

    # ------------------------------------------------------------------
    # Actions: log a call or another contact
    # ------------------------------------------------------------------
    def action_start_call(self):
        """Stamp the start of a call and open the dialog to log it. A call
        the contact rules refuse is stopped here for collectors; supervisors
        see why and may override with a reason."""
        self.ensure_one()
        call = self.env.ref("debt_collection.collection_channel_call")
        now = fields.Datetime.now()
        verdict, policy, timezones = self._contact_verdict(call.code, now)
        if not verdict.allowed and not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            return self.env["collection.contact.refusal"]._open(self, verdict, policy, timezones, call)
        return self._interaction_log_action(call, now, started=True)

    def action_log_contact(self):
        """Open the dialog to log a visit, e-mail, SMS, letter or other contact."""
        self.ensure_one()
        return self._interaction_log_action(self.env["collection.channel"], fields.Datetime.now(), started=False)

    def _interaction_log_action(self, channel, start, started):
        if self.state != "open":
            raise UserError(_("The case %s is closed.", self.name))
        return {
            "type": "ir.actions.act_window",
            "name": _("Log a Call") if started else _("Log a Contact"),
            "res_model": "collection.interaction.log",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_case_id": self.id,
                "default_channel_id": channel.id,
                "default_date_start": fields.Datetime.to_string(start),
                "default_call_started": started,
            },
        }

    def _collection_due_call_activities(self, user, day):
        """``user``'s call activities on the case due on ``day`` or before:
        what a contact of that day answers."""
        self.ensure_one()
        call_type = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        if not call_type:
            return self.env["mail.activity"]
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("activity_type_id", "=", call_type.id),
                    ("user_id", "=", user.id),
                    ("date_deadline", "<=", day),
                ]
            )
        )

    def _collection_due_calls(self):
        """{summary or type name} of the user's call activities on the case
        due today or before."""
        activities = self._collection_due_call_activities(self.env.user, fields.Date.context_today(self))
        return {activity.summary or activity.activity_type_id.name for activity in activities}

    def _collection_feedback(self, message, title):
        """Close the dialog and tell the user, in a short notification, what
        their action changed."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_register_payment(self):
        """Record money collected on the case (the payment form in a dialog)."""
        self.ensure_one()
        if self.state != "open":
            raise UserError(_("The case %s is closed.", self.name))
        return {
            "type": "ir.actions.act_window",
            "name": _("Register a Payment"),
            "res_model": "collection.payment",
            "view_mode": "form",
            "views": [(self.env.ref("debt_collection.collection_payment_view_form_register").id, "form")],
            "target": "new",
            "context": {"default_case_id": self.id, "default_amount": self._collection_expected_payment()},
        }

    def _collection_expected_payment(self):
        """The amount a payment on the case most likely has: the open
        promise's, else what is overdue, else the balance."""
        self.ensure_one()
        return self.next_promise_amount or self.amount_overdue or self.amount_residual

    def action_new_agreement(self):
        """Negotiate a payment agreement on the case's open installments."""
        self.ensure_one()
        if self.state != "open":
            raise UserError(_("The case %s is closed.", self.name))
        return {
            "type": "ir.actions.act_window",
            "name": _("Payment Agreement"),
            "res_model": "collection.agreement",
            "view_mode": "form",
            "context": {"default_case_id": self.id},
        }

    def action_open_phone_book(self):
        """The debtor's phone book as an editable list: collectors add the
        numbers they find and flag or clear wrong ones."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Phone Book of %s", self.partner_id.name),
            "res_model": "collection.phone",
            "view_mode": "list",
            "domain": [("partner_id", "=", self.partner_id.id)],
            "context": {"default_partner_id": self.partner_id.id},
            "target": "new",
        }

    def action_view_interactions(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_interaction_action")
        action["domain"] = [("case_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_open_dispute(self):
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": _("Open a Dispute"),
            "res_model": "collection.dispute",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    def action_geolocate_debtors(self):
        """Ask the geocoder configured in Odoo's settings (base_geolocalize)
        for the position of the debtors of these cases who have none; the
        positions found go to their position history as the geocoder's.
        Supervisors only: the debtors' addresses leave for an outside
        service."""
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can send debtors' addresses to the geocoder."))
        self.check_access("read")
        debtors = self.partner_id.sudo().filtered(
            lambda p: not geo.has_position(p.partner_latitude, p.partner_longitude)
        )
        if not debtors:
            raise UserError(_("Every debtor of these cases already has a position."))
        debtors.with_context(collection_location_source="geocoder", force_geo_localize=True).geo_localize()
        located = debtors.filtered(lambda p: geo.has_position(p.partner_latitude, p.partner_longitude))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if located else "warning",
                "message": _("%(located)s of %(asked)s debtors located.", located=len(located), asked=len(debtors)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
