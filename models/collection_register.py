"""The delinquent-payer register: a debtor's entries, with the pre-notice
that must come first, automatic entry and exit in the daily run, entries
and removals by hand, and the export for a credit bureau. An entry is
never deleted: it ends as exited or withdrawn, with its date and reason."""

from datetime import timedelta

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import xlsx

REGISTER_STATES = [
    ("notice", "Pre-notice sent"),
    ("entered", "In the register"),
    ("exited", "Left the register"),
    ("withdrawn", "Notice withdrawn"),
]
OPEN_REGISTER_STATES = ("notice", "entered")
EXIT_REASONS = [
    ("paid", "Paid"),
    ("closed", "Case closed"),
    ("agreement", "Payment agreement kept"),
    ("manual", "Removed by hand"),
]


class CollectionRegister(models.Model):
    _name = "collection.register"
    _description = "Delinquent Register Entry"
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Debtor", required=True, index=True, readonly=True)
    case_id = fields.Many2one(
        "collection.case", required=True, index=True, readonly=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    portfolio_id = fields.Many2one(related="case_id.portfolio_id", store=True, index=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True)
    user_id = fields.Many2one("res.users", string="Holder", readonly=True, help="The case's collector at the notice.")
    contract_ref = fields.Char("Product / Contract", readonly=True)
    state = fields.Selection(REGISTER_STATES, required=True, default="notice", readonly=True, index=True)
    amount = fields.Monetary("Amount Overdue", readonly=True, help="What was overdue at the notice or the entry.")
    days_overdue = fields.Integer(readonly=True)
    date_notice = fields.Date(
        "Pre-notice Sent", readonly=True, help="Empty while the notice letter waits to be printed."
    )
    date_entry_planned = fields.Date("Entry From", readonly=True)
    date_entry = fields.Date("Entered", readonly=True, index=True)
    date_exit = fields.Date("Left", readonly=True, index=True)
    origin = fields.Selection(
        [("rule", "Register rule"), ("strategy", "Strategy step"), ("manual", "By hand")],
        required=True,
        default="rule",
        readonly=True,
    )
    exit_reason = fields.Selection(EXIT_REASONS, readonly=True)
    note = fields.Char("Reason", readonly=True, help="Why it was entered or removed by hand, or the notice skipped.")
    notice_step_id = fields.Many2one("collection.case.step", string="Notice Letter", readonly=True)

    # ------------------------------------------------------------------
    # Register report
    # ------------------------------------------------------------------
    def _summary(self):
        """The entries summarised by status, holder, product and portfolio:
        [(title, [(label, count, {currency: amount})])] plus the totals,
        amounts kept per currency (never added across currencies)."""
        states = dict(self._fields["state"]._description_selection(self.env))
        dimensions = [
            (_("Status"), lambda entry: states[entry.state]),
            (_("Holder"), lambda entry: entry.user_id.name or _("Nobody")),
            (_("Product / Contract"), lambda entry: entry.contract_ref or _("Not given")),
            (_("Portfolio"), lambda entry: entry.portfolio_id.display_name),
        ]
        sections = []
        for title, key in dimensions:
            groups = {}
            for entry in self:
                count, amounts = groups.setdefault(key(entry), [0, {}])
                groups[key(entry)][0] = count + 1
                amounts[entry.currency_id] = amounts.get(entry.currency_id, 0.0) + entry.amount
            sections.append((title, sorted(((label, count, amounts) for label, (count, amounts) in groups.items()),
                                           key=lambda line: (-line[1], line[0]))))  # fmt: skip
        totals = {}
        for entry in self:
            totals[entry.currency_id] = totals.get(entry.currency_id, 0.0) + entry.amount
        return sections, len(self), totals

    def action_summary_xlsx(self):
        """The register report as an XLSX download: the entries, then one
        sheet per summary."""
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("The register report is for supervisors and managers."))
        self.check_access("read")
        entries = self or self.search([("state", "in", OPEN_REGISTER_STATES)])
        states = dict(self._fields["state"]._description_selection(self.env))
        detail = [
            [entry.partner_id.name, entry.partner_id.vat or "", entry.case_id.name, entry.portfolio_id.display_name,
             entry.user_id.name or "", entry.contract_ref or "", states[entry.state],
             fields.Date.to_string(entry.date_notice) or "", fields.Date.to_string(entry.date_entry) or "",
             entry.amount, entry.currency_id.name, entry.days_overdue]
            for entry in entries
        ]  # fmt: skip
        sheets = [
            (
                _("Entries"),
                [_("Debtor"), _("Tax ID"), _("Case"), _("Portfolio"), _("Holder"), _("Product / Contract"),
                 _("Status"), _("Pre-notice"), _("Entered"), _("Amount"), _("Currency"), _("Days Overdue")],
                detail,
            )
        ]  # fmt: skip
        sections, _count, _totals = entries._summary()
        for title, lines in sections:
            rows = []
            for label, count, amounts in lines:
                for currency, amount in sorted(amounts.items(), key=lambda item: item[0].name):
                    rows.append([label, count, amount, currency.name])
            sheets.append((title, [title, _("Entries"), _("Amount"), _("Currency")], rows))
        data = xlsx.workbook(sheets)
        attachment = self.env["ir.attachment"].create(
            {
                "name": _("Delinquent register %s.xlsx", fields.Date.context_today(self)),
                "raw": data,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The delinquent register keeps every entry: entries cannot be deleted."))

    # ------------------------------------------------------------------
    # Rules
    # ------------------------------------------------------------------
    @api.model
    def _rule_where(self):
        """The cases the register rule takes: open, and past the days
        overdue and the overdue amount of their portfolio (or company); a
        rule without days is off."""
        return SQL(
            """
            c.state = 'open'
              AND COALESCE(NULLIF(pf.register_days, 0), co.collection_register_days, 0) > 0
              AND c.days_overdue >= COALESCE(NULLIF(pf.register_days, 0), co.collection_register_days)
              AND CASE WHEN COALESCE(pf.register_amount, 0) > 0 THEN c.amount_overdue >= pf.register_amount
                       ELSE c.amount_overdue * COALESCE(c.company_rate, 1) >= COALESCE(co.collection_register_amount, 0)
                  END
              AND c.amount_overdue > 0
            """
        )

    @api.model
    def _cron_register(self):
        """The register's part of the daily run: pre-notices for the cases
        the rule takes, entries once the notice period has passed, exits of
        the cases paid, closed or with an agreement kept."""
        self._exit_settled()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT c.id FROM collection_case c
                  JOIN collection_portfolio pf ON pf.id = c.portfolio_id
                  JOIN res_company co ON co.id = c.company_id
                 WHERE %s
                   AND NOT EXISTS (SELECT 1 FROM collection_register r
                                    WHERE r.case_id = c.id AND r.state IN ('notice', 'entered'))
                 ORDER BY c.id
                """,
                self._rule_where(),
            )
        )
        cases = self.env["collection.case"].browse([row[0] for row in self.env.cr.fetchall()])
        if cases:
            cases._register_notice("rule")
        self._enter_due()

    def _exit_settled(self):
        """Exits: the case paid or closed (a notice not yet followed by an
        entry is withdrawn), or a payment agreement kept for the company's
        number of installments."""
        today = fields.Date.context_today(self)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT r.id, c.state = 'open', c.close_reason = 'paid'
                  FROM collection_register r JOIN collection_case c ON c.id = r.case_id
                 WHERE r.state IN ('notice', 'entered')
                """
            )
        )
        rows = self.env.cr.fetchall()
        Register = self.sudo()
        Register.browse([entry for entry, is_open, paid in rows if not is_open and paid])._exit("paid", today)
        Register.browse([entry for entry, is_open, paid in rows if not is_open and not paid])._exit("closed", today)
        still_open = Register.browse([entry for entry, is_open, _paid in rows if is_open])
        still_open._agreement_kept()._exit("agreement", today)

    def _agreement_kept(self):
        """The entries whose case runs or completed a payment agreement with
        at least the company's number of its installments paid."""
        if not self:
            return self.browse()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT r.id
                  FROM collection_register r
                  JOIN collection_case c ON c.id = r.case_id
                  JOIN res_company co ON co.id = c.company_id
                 WHERE r.id = ANY(%s) AND COALESCE(co.collection_register_exit_installments, 0) > 0
                   AND EXISTS (
                        SELECT 1 FROM collection_agreement a
                         WHERE a.case_id = c.id AND a.state IN ('active', 'completed')
                           AND (SELECT COUNT(*) FROM collection_installment i
                                 WHERE i.agreement_id = a.id AND i.state = 'paid')
                               >= co.collection_register_exit_installments)
                """,
                self.ids,
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _exit(self, reason, day, note=False):
        reasons = dict(self._fields["exit_reason"]._description_selection(self.env))
        for entry in self:
            entry.write(
                {
                    "state": "exited" if entry.state == "entered" else "withdrawn",
                    "date_exit": day,
                    "exit_reason": reason,
                    "note": note or entry.note,
                }
            )
            self.env["collection.event"].sudo()._log(
                "register",
                _("%(debtor)s left the delinquent register: %(reason)s.", debtor=entry.partner_id.name,
                  reason=reasons[reason] + (f" ({note})" if note else ""))
                if entry.state == "exited"
                else _("Register pre-notice withdrawn: %s.", reasons[reason]),
                cases=entry.case_id,
                payload={"register_id": entry.id, "exit_reason": reason},
            )  # fmt: skip

    def _enter_due(self):
        """Notices whose period has passed become entries, if the case still
        meets the rule (a notice whose case no longer meets it waits)."""
        today = fields.Date.context_today(self)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT r.id FROM collection_register r
                  JOIN collection_case c ON c.id = r.case_id
                  JOIN collection_portfolio pf ON pf.id = c.portfolio_id
                  JOIN res_company co ON co.id = c.company_id
                 WHERE r.state = 'notice' AND r.date_notice IS NOT NULL AND r.date_entry_planned <= %s AND %s
                """,
                today,
                self._rule_where(),
            )
        )
        entries = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        entries._enter(today)

    def _enter(self, day, note=False):
        for entry in self:
            case = entry.case_id
            entry.write(
                {
                    "state": "entered",
                    "date_entry": day,
                    "amount": case.amount_overdue,
                    "days_overdue": case.days_overdue,
                    "note": note or entry.note,
                }
            )
        for entry in self:
            self.env["collection.event"].sudo()._log(
                "register",
                _("%s entered the delinquent register.", entry.partner_id.name)
                + (f" {entry.note}" if entry.note else ""),
                cases=entry.case_id,
                payload={"register_id": entry.id},
            )

    # ------------------------------------------------------------------
    # By hand
    # ------------------------------------------------------------------
    def _check_supervisor(self):
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Entering or removing a debtor from the register is for supervisors."))

    def _remove_by_hand(self, reason):
        """Take the debtor out of the register by hand, with a reason."""
        self._check_supervisor()
        self.check_access("read")
        if not (reason or "").strip():
            raise UserError(_("Say why the debtor leaves the register."))
        entries = self.filtered(lambda entry: entry.state in OPEN_REGISTER_STATES)
        if not entries:
            raise UserError(_("The debtor is not in the register."))
        entries.sudo()._exit("manual", fields.Date.context_today(self), reason.strip())
        return True


class CollectionCase(models.Model):
    _inherit = "collection.case"

    register_ids = fields.One2many("collection.register", "case_id", string="Register Entries")
    register_state = fields.Selection(
        REGISTER_STATES, string="Register", compute="_compute_register_state", help="The delinquent register status."
    )

    @api.depends("register_ids.state")
    def _compute_register_state(self):
        states = {}
        for case, state in (
            self.env["collection.register"]
            .sudo()
            ._read_group([("case_id", "in", self.ids), ("state", "in", OPEN_REGISTER_STATES)], ["case_id", "state"])
        ):
            if states.get(case.id) != "entered":
                states[case.id] = state
        for case in self:
            case.register_state = states.get(case.id, False)

    def _register_entry_vals(self, origin):
        """What a new register entry records of its case."""
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "case_id": self.id,
            "user_id": self.user_id.id,
            "contract_ref": self.installment_ids[:1].contract_ref,
            "origin": origin,
        }

    def _register_notice(self, origin, note=False):
        """Open a register entry in the pre-notice state for each case: the
        notice is e-mailed to a debtor with an address (sent: the notice
        period starts today) or queued as a letter to print (the period
        starts when it is printed)."""
        Register = self.env["collection.register"].sudo()
        today = fields.Date.context_today(self)
        template = self.env.ref("debt_collection.mail_template_collection_register_notice", raise_if_not_found=False)
        open_cases = set(
            Register.search([("case_id", "in", self.ids), ("state", "in", OPEN_REGISTER_STATES)]).case_id.ids
        )
        cases = self.filtered(lambda case: case.id not in open_cases and case.state == "open")
        if not cases:
            return Register
        by_email = cases.filtered(lambda case: case.partner_id.email)
        by_letter = cases - by_email
        if by_email and template:
            template.sudo().send_mail_batch(by_email.ids, force_send=False)
        Step = self.env["collection.case.step"].sudo()
        letters = Step.create(
            [
                {
                    "name": self.env._("Delinquent register pre-notice"),
                    "case_id": case.id,
                    "action": "letter",
                    "mode": "auto",
                    "letter_level": "register",
                    "state": "to_print",
                    "date_planned": fields.Datetime.now(),
                }
                for case in by_letter
            ]
        )
        letter_of = {step.case_id.id: step.id for step in letters}
        vals_list = []
        for case in cases:
            emailed = case in by_email and bool(template)
            notice_days = case.company_id.collection_register_notice_days
            vals_list.append(
                dict(
                    case._register_entry_vals(origin),
                    amount=case.amount_overdue,
                    days_overdue=case.days_overdue,
                    date_notice=today if emailed else False,
                    date_entry_planned=today + timedelta(days=notice_days) if emailed else False,
                    note=note,
                    notice_step_id=letter_of.get(case.id),
                )
            )
        entries = Register.create(vals_list)
        self.env["collection.event"].sudo()._log(
            "register", _("Delinquent register pre-notice sent."), cases=cases, payload={"origin": origin}
        )
        return entries

    def _register_enter_by_hand(self, reason, override=False):
        """A supervisor enters the debtor by hand: after the notice period,
        or at once with ``override`` and a reason (logged)."""
        self.env["collection.register"]._check_supervisor()
        self.check_access("read")
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Say why the debtor enters the register."))
        Register = self.env["collection.register"].sudo()
        today = fields.Date.context_today(self)
        for case in self:
            entry = Register.search([("case_id", "=", case.id), ("state", "in", OPEN_REGISTER_STATES)], limit=1)
            if entry.state == "entered":
                raise UserError(_("%s is already in the register.", case.partner_id.name))
            notice_over = entry and entry.date_notice and entry.date_entry_planned <= today
            if not notice_over and not override:
                raise UserError(
                    _(
                        "%s cannot enter the register before the pre-notice period has passed; a supervisor may "
                        "override it with a reason.",
                        case.partner_id.name,
                    )
                )
            if not entry:
                entry = Register.create(case._register_entry_vals("manual"))
            if not notice_over:
                self.env["collection.event"].sudo()._log(
                    "register",
                    _("Register pre-notice overridden by %(user)s: %(reason)s", user=self.env.user.name, reason=reason),
                    cases=case,
                    payload={"register_id": entry.id, "override": True},
                )
            entry._enter(today, reason)
        return True

    def _register_remove_by_hand(self, reason):
        self.check_access("read")
        entries = (
            self.env["collection.register"]
            .sudo()
            .search([("case_id", "in", self.ids), ("state", "in", OPEN_REGISTER_STATES)])
        )
        return entries.with_env(self.env)._remove_by_hand(reason)

    def _dossier_days_to_next_action(self):
        """Days from today to the case's next due action (promise, follow-up
        or activity); negative when late; None without any."""
        self.ensure_one()
        dates = [d for d in (self.next_promise_date, self.next_action_date, self.next_activity_date) if d]
        return (min(dates) - fields.Date.context_today(self)).days if dates else None

    def action_register(self):
        """The dialog to enter the debtor in the register or take them out."""
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.register.manual",
            "view_mode": "form",
            "target": "new",
            "name": _("Delinquent Register"),
            "context": {"default_case_ids": self.ids},
        }
