from odoo import Command
from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools.misc import format_date

from ..tools import allocation

PAYMENT_METHODS = [
    ("cash", "Cash"),
    ("card", "Card"),
    ("transfer", "Bank transfer"),
    ("cheque", "Cheque"),
    ("online", "Online (payment provider)"),
    ("other", "Other"),
]
PAYMENT_STATES = [("draft", "Draft"), ("posted", "Posted"), ("cancelled", "Cancelled")]
OPEN_STATES = ("pending", "partial")
# what users enter on a draft payment; everything else is set by posting and cancelling
USER_FIELDS = {
    "case_id",
    "currency_id",
    "date",
    "amount",
    "method",
    "user_id",
    "reference",
    "note",
    "allocation_mode",
    "line_ids",
    "keep_credit",
    "name",
}
# what a creditor remittance reported about a payment
REMITTED_FIELDS = {"amount", "currency_id", "date", "case_id", "user_id", "amount_case"}


class CollectionPayment(models.Model):
    """Money collected on a case: who collected it, how, and which
    installments it paid.

    Posting allocates the amount (converted to the case's currency) to the
    open installments, oldest due date first unless chosen by hand; an
    amount larger than what is open is refused unless the excess is kept as
    a credit on the case. For creditor portfolios the installments' paid
    amounts move with the allocation; for the company's own invoices
    posting creates an ``account.payment`` in the journal set for the
    method and reconciles it with the installments' receivable lines
    through Odoo's reconciliation, and the installments follow accounting.
    Cancelling reverses all of it; nothing is deleted.
    """

    _name = "collection.payment"
    _description = "Collection Payment"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char("Receipt", required=True, readonly=True, copy=False, default=lambda self: _("New"))
    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True, tracking=True
    )
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True, precompute=True, string="Debtor")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True, precompute=True)
    portfolio_id = fields.Many2one(related="case_id.portfolio_id", store=True, index=True, precompute=True)
    kind = fields.Selection(related="case_id.kind")
    case_currency_id = fields.Many2one(related="case_id.currency_id", string="Case Currency")
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        precompute=True,
        help="Currency the debtor paid in; converted to the case's currency at the payment date.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True, index=True)
    amount = fields.Monetary(required=True, tracking=True)
    amount_case = fields.Monetary(
        "Amount in Case Currency",
        currency_field="case_currency_id",
        compute="_compute_amount_case",
        store=True,
        help="The amount converted to the case's currency at the payment date.",
    )
    method = fields.Selection(PAYMENT_METHODS, required=True, default="cash", tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        required=True,
        index=True,
        default=lambda self: self.env.user,
        tracking=True,
        help="Who collected the money; their commission is based on it.",
    )
    reference = fields.Char(help="Bank reference, cheque number, card authorisation...")
    note = fields.Text()
    state = fields.Selection(
        PAYMENT_STATES, required=True, default="draft", readonly=True, tracking=True, index=True, copy=False
    )
    allocation_mode = fields.Selection(
        [("auto", "Oldest due first"), ("manual", "Chosen by hand")],
        string="Allocation",
        required=True,
        default="auto",
    )
    line_ids = fields.One2many("collection.payment.line", "payment_id", string="Installments Paid", copy=False)
    amount_allocated = fields.Monetary(
        currency_field="case_currency_id", compute="_compute_amount_allocated", store=True
    )
    keep_credit = fields.Boolean(
        "Keep the Excess as a Credit",
        help="Accept a payment larger than the open installments: the excess stays on the case as a credit.",
    )
    amount_credit = fields.Monetary(
        "Credit Kept", currency_field="case_currency_id", readonly=True, copy=False, help="The excess kept as a credit."
    )
    transaction_id = fields.Many2one(
        "payment.transaction", string="Online Transaction", readonly=True, copy=False, index="btree_not_null"
    )
    account_payment_id = fields.Many2one(
        "account.payment", string="Accounting Payment", readonly=True, copy=False, check_company=True
    )
    commission_rate = fields.Float(
        "Commission (%)",
        digits=(5, 2),
        readonly=True,
        copy=False,
        help="The agency's commission rate when the payment was posted, as the portfolio's commission rules "
        "give it (days overdue at collection, collector), else the portfolio's rate.",
    )
    commission_amount = fields.Monetary(
        currency_field="case_currency_id",
        readonly=True,
        copy=False,
        help="Commission earned on the money applied to the debt.",
    )
    lawyer_id = fields.Many2one(
        "res.partner", readonly=True, copy=False, help="The case was in litigation with this lawyer."
    )
    lawyer_fee_amount = fields.Monetary(
        "Lawyer's Fee",
        currency_field="case_currency_id",
        readonly=True,
        copy=False,
        help="The lawyer's percentage of the money collected while the case was in litigation.",
    )
    date_posted = fields.Datetime(readonly=True, copy=False)
    date_cancelled = fields.Datetime(readonly=True, copy=False)
    cancel_reason = fields.Char(readonly=True, copy=False)
    remittance_id = fields.Many2one(
        "collection.remittance",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The creditor remittance that reported this payment; once it is sent the payment is frozen.",
    )
    remittance_reversal_pending = fields.Boolean(
        "Reversal to Report",
        readonly=True,
        copy=False,
        help="Reversed after it was remitted: the next remittance of the portfolio reports it as a negative line.",
    )
    remittance_reversal_id = fields.Many2one(
        "collection.remittance", string="Reversal Reported In", readonly=True, copy=False
    )

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "A payment must be for a positive amount."),
    ]

    @api.depends("case_id")
    def _compute_currency_id(self):
        for payment in self:
            payment.currency_id = payment.currency_id or payment.case_id.currency_id or payment.company_id.currency_id

    @api.depends("amount", "currency_id", "date", "case_id")
    def _compute_amount_case(self):
        for payment in self:
            payment.amount_case = payment._to_case_currency(payment.amount)

    @api.depends("line_ids.amount")
    def _compute_amount_allocated(self):
        for payment in self:
            payment.amount_allocated = sum(payment.line_ids.mapped("amount"))

    def _to_case_currency(self, amount):
        self.ensure_one()
        target = self.case_id.currency_id
        if not target or not self.currency_id or self.currency_id == target:
            return amount
        return self.currency_id._convert(amount, target, self.company_id, self.date or fields.Date.context_today(self))

    @api.constrains("user_id", "state")
    def _check_user(self):
        for payment in self.filtered(lambda p: p.state == "draft"):
            if not payment.user_id.has_group("debt_collection.group_collection_user"):
                raise ValidationError(_("%s is not a collector and cannot collect payments.", payment.user_id.name))

    @api.model_create_multi
    def create(self, vals_list):
        supervisor = self.env.su or self.env.user.has_group("debt_collection.group_collection_supervisor")
        for vals in vals_list:
            if not self.env.su:
                refused = set(vals) - USER_FIELDS
                if refused:
                    raise AccessError(
                        _("These details of a payment are set by posting it: %s.", ", ".join(sorted(refused)))
                    )
            if not supervisor and vals.get("user_id", self.env.uid) != self.env.uid:
                raise AccessError(_("Only a collection supervisor can record a payment collected by someone else."))
            vals["name"] = self.env["ir.sequence"].next_by_code("collection.payment") or _("New")
        payments = super().create(vals_list)
        if payments.case_id.filtered(lambda c: c.state != "open"):
            raise UserError(_("Payments are recorded on open cases only."))
        return payments

    def write(self, vals):
        if not self.env.su:
            if "user_id" in vals and not self.env.user.has_group("debt_collection.group_collection_supervisor"):
                raise AccessError(_("Only a collection supervisor can change who collected a payment."))
            refused = set(vals) - (USER_FIELDS - {"case_id", "name"}) - {"message_main_attachment_id"}
            if refused:
                raise AccessError(
                    _("These details of a payment are set by posting it: %s.", ", ".join(sorted(refused)))
                )
            frozen = set(vals) - {"note", "message_main_attachment_id"}
            if frozen and self.filtered(lambda p: p.state != "draft"):
                raise UserError(_("A posted or cancelled payment cannot be changed; cancel it and record a new one."))
        # what the creditor was told stays as told, whoever asks (superuser included)
        remitted = REMITTED_FIELDS & set(vals) and self.filtered("remittance_id")
        if remitted:
            raise UserError(
                _(
                    "The payment %s was remitted to the creditor: its amount, date, case and collector cannot change.",
                    ", ".join(remitted.mapped("name")),
                )
            )
        return super().write(vals)

    def copy(self, default=None):
        # a copy is a new draft of the same payment details
        default = dict(default or {}, line_ids=[])
        return super().copy(default)

    def unlink(self):  # pylint: disable=method-required-super
        self.check_access("unlink")
        raise UserError(_("Payments are kept in the case history and cannot be deleted; cancel them instead."))

    # ------------------------------------------------------------------
    # Posting
    # ------------------------------------------------------------------
    def action_post(self):
        """Allocate and post draft payments (see the class docstring)."""
        for payment in self:
            if payment.state != "draft":
                raise UserError(_("The payment %s is not a draft.", payment.name))
            payment.check_access("write")
            payment.case_id.check_access("write")
            payment.sudo()._post()
        return True

    def action_post_and_close(self):
        """Post from the case's Register Payment dialog, close it, and say
        what the payment did."""
        self.ensure_one()
        open_promises = self.case_id.promise_ids.filtered(lambda p: p.state == "open")
        self.action_post()
        return self.case_id._collection_feedback(self._post_summary(open_promises), _("Payment posted"))

    def action_post_and_print(self):
        """Post from the Register Payment dialog and print the receipt, in
        one click; the dialog closes when the receipt is downloaded."""
        self.ensure_one()
        self.action_post()
        action = self.action_print_receipt()
        action["close_on_report_download"] = True
        return action

    def _post_summary(self, open_promises):
        """What posting the payment changed, in a few sentences: the
        installments it paid and the promises it kept."""
        self.ensure_one()
        parts = [
            _("Payment %(name)s of %(amount)s posted.", name=self.name, amount=self.currency_id.format(self.amount))
        ]
        paid = self.line_ids.installment_id.filtered(lambda i: i.state == "paid")
        if paid:
            parts.append(_("Paid in full: %s.", ", ".join(paid.mapped("name"))))
        for promise in open_promises.filtered(lambda p: p.state == "kept"):
            parts.append(
                _(
                    "Promise of %(amount)s for %(date)s kept.",
                    amount=promise.currency_id.format(promise.amount),
                    date=format_date(self.env, promise.date_promise),
                )
            )
        if self.amount_credit:
            parts.append(_("%s kept as a credit on the case.", self.case_id.currency_id.format(self.amount_credit)))
        return " ".join(parts)

    def _post(self):
        self.ensure_one()
        case = self.case_id
        currency = case.currency_id
        rounding = currency.rounding
        if case.state != "open":
            raise UserError(_("The case %s is closed: reopen it before recording a payment.", case.name))
        amount = currency.round(self._to_case_currency(self.amount))
        targets = self._target_installments()
        targets._lock_for_payment(case)
        targets.invalidate_recordset()
        balances = {inst.id: inst.amount_residual for inst in targets}
        if self.allocation_mode == "manual":
            installments = self.line_ids.installment_id
            if len(installments) != len(self.line_ids):
                raise UserError(_("Each installment can be chosen once per payment."))
            chosen = {line.installment_id.id: line.amount for line in self.line_ids}
            problems = allocation.check_manual(amount, chosen, balances, rounding)
            if problems:
                raise UserError(self._allocation_message(problems[0], amount))
            planned = [
                (inst.id, chosen[inst.id]) for inst in targets.sorted(lambda i: (i.date_due, i.id)) if inst.id in chosen
            ]
        else:
            # legal costs go first or last, by the company's choice; then oldest due first
            planned, _left = allocation.oldest_first(
                amount,
                [(inst.id, (inst._allocation_rank(), inst.date_due), balances[inst.id]) for inst in targets],
                rounding,
            )
        allocated = currency.round(sum(part for _key, part in planned))
        excess = currency.round(amount - allocated)
        if currency.compare_amounts(excess, 0.0) > 0:
            if not self.keep_credit:
                raise UserError(
                    _(
                        "The payment of %(amount)s is larger than the open balance of the installments it pays "
                        "(%(open)s). Reduce it, or keep the excess of %(excess)s as a credit on the case.",
                        amount=currency.format(amount),
                        open=currency.format(allocated),
                        excess=currency.format(excess),
                    )
                )
            others = case.installment_ids.filtered(lambda i: i.state in OPEN_STATES and not i.is_disputed) - targets
            if others:
                raise UserError(
                    _(
                        "Other installments of the case are still open (%s): give them the excess before keeping "
                        "a credit.",
                        ", ".join(others.mapped("name")),
                    )
                )
        if not planned and not self.keep_credit:
            raise UserError(_("The case %s has no open installment to pay.", case.name))
        if self._follows_accounting():
            planned = self._post_in_accounting(planned, balances, targets)
            allocated = currency.round(sum(part for _key, part in planned))
            excess = currency.round(amount - allocated)
        else:
            paid = {inst.id: inst.amount_paid for inst in targets}
            for key, part in planned:
                self.env["collection.installment"].browse(key).amount_paid = currency.round(paid[key] + part)
            if currency.compare_amounts(excess, 0.0) > 0:
                case.amount_credit = currency.round(case.amount_credit + excess)
        self.line_ids = [Command.clear()] + [
            Command.create({"installment_id": key, "amount": part}) for key, part in planned
        ]
        # the agency's rate as the portfolio's commission rules give it for this payment (days overdue, collector)
        self.flush_recordset(["line_ids", "user_id", "date"])
        matched = self.env["collection.commission.rule"].sudo()._payment_rows(SQL("p.id = %s", self.id))
        rate = matched[0]["agency_rate"] if matched else case.portfolio_id.commission_rate
        lawyer = case.sudo().lawyer_id
        self.write(
            {
                "state": "posted",
                "date_posted": fields.Datetime.now(),
                "amount_case": amount,
                "amount_credit": max(excess, 0.0),
                "commission_rate": rate,
                "commission_amount": currency.round(allocated * rate / 100.0),
                "lawyer_id": lawyer.id,
                "lawyer_fee_amount": currency.round(allocated * lawyer.collection_lawyer_fee_rate / 100.0),
            }
        )
        self.env["collection.event"]._log(
            "payment",
            _(
                "Payment %(name)s of %(amount)s posted (%(method)s, collected by %(user)s).",
                name=self.name,
                amount=self.currency_id.format(self.amount),
                method=dict(PAYMENT_METHODS)[self.method],
                user=self.user_id.name,
            ),
            cases=case,
            payload={"payment_id": self.id, "amount": self.amount, "allocated": allocated, "credit": max(excess, 0.0)},
        )
        # a promise the money now covers is kept at once (the daily run judges the rest)
        self.env["collection.promise"]._judge_due(cases=case, only_kept=True)
        case.message_post(
            body=_(
                "Payment %(name)s of %(amount)s received (%(method)s).",
                name=self.name,
                amount=self.currency_id.format(self.amount),
                method=dict(PAYMENT_METHODS)[self.method],
            ),
            subtype_xmlid="mail.mt_note",
            author_id=self.user_id.partner_id.id,
        )

    def _target_installments(self):
        """The open installments the payment may pay: those chosen by hand,
        else every open installment of the case outside open disputes."""
        self.ensure_one()
        if self.allocation_mode == "manual":
            installments = self.line_ids.installment_id
            if not installments:
                raise UserError(_("Choose the installments the payment goes to, or let it pay the oldest first."))
            foreign = installments.filtered(lambda i: i.case_id != self.case_id)
            closed = installments.filtered(lambda i: i.state not in OPEN_STATES)
            if foreign or closed:
                raise UserError(
                    _(
                        "Only open installments of the case can be paid: %s.",
                        ", ".join((foreign | closed).mapped("name")),
                    )
                )
            return installments
        return self.case_id.installment_ids.filtered(lambda i: i.state in OPEN_STATES and not i.is_disputed)

    def _allocation_message(self, problem, amount):
        kind, key = problem
        inst = self.env["collection.installment"].browse(key)
        if kind == "negative":
            return _("The amount allocated to %s must be positive.", inst.name)
        if kind == "exceeds_balance":
            return _(
                "%(name)s has %(balance)s left to pay: it cannot receive more.",
                name=inst.name,
                balance=inst.currency_id.format(inst.amount_residual),
            )
        return _("The allocation adds up to more than the payment (%s).", self.case_id.currency_id.format(amount))

    def _follows_accounting(self):
        """Own invoices: the money goes through accounting."""
        self.ensure_one()
        return self.case_id.kind == "internal"

    # ------------------------------------------------------------------
    # Accounting (internal portfolios)
    # ------------------------------------------------------------------
    def _journal(self):
        self.ensure_one()
        if self.transaction_id:
            # paid online: the payment provider's journal
            return self.transaction_id.provider_id.journal_id
        company = self.company_id
        journal = company[f"collection_journal_{self.method}_id"]
        if not journal:
            raise UserError(
                _(
                    "Set the journal for %(method)s payments in Settings > Collections before recording one on "
                    "%(company)s's own invoices.",
                    method=dict(PAYMENT_METHODS)[self.method],
                    company=company.name,
                )
            )
        return journal

    def _receivable_lines(self, planned):
        """The receivable lines behind the planned installments: the
        installments' own lines, or for a payment plan on own invoices the
        open lines of the invoices it refinanced."""
        installments = self.env["collection.installment"].browse([key for key, _part in planned])
        lines = installments.move_line_id
        plan = installments.agreement_id
        if plan:
            lines |= plan.replaced_installment_ids.move_line_id.filtered(lambda line: not line.reconciled)
        return lines

    def _post_in_accounting(self, planned, balances, targets):
        """Create the ``account.payment`` and reconcile it with the lines it
        pays through Odoo's payment register, which reconciles oldest due
        date first; then record, as the allocation, what accounting did to
        each installment. Returns that allocation."""
        currency = self.case_id.currency_id
        installments = self.env["collection.installment"].browse([key for key, _part in planned])
        if self.allocation_mode == "manual":
            if installments.agreement_id:
                raise UserError(
                    _(
                        "On own invoices a payment plan is paid oldest installment first: let the payment "
                        "allocate itself."
                    )
                )
            if not allocation.fills_in_order(planned, balances, currency.rounding):
                raise UserError(
                    _(
                        "On own invoices accounting pays the chosen installments oldest first: give each its whole "
                        "balance except the last one."
                    )
                )
        lines = self._receivable_lines(planned)
        if not lines:
            raise UserError(_("The case %s has no open invoice to pay.", self.case_id.name))
        journal = self._journal()
        before = {inst.id: inst.amount_paid for inst in targets}
        residual_before = sum(lines.mapped("amount_residual"))
        register = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move.line", active_ids=lines.ids)
            .create(
                {
                    "amount": self.amount,
                    "currency_id": self.currency_id.id,
                    "payment_date": self.date,
                    "journal_id": journal.id,
                    "communication": self.reference or self.name,
                    "group_payment": True,
                    "payment_difference_handling": "open",
                }
            )
        )
        payments = register._create_payments()
        if len(payments) != 1:
            raise UserError(_("The invoices of this case cannot be paid by one payment; pay them in Accounting."))
        lines.invalidate_recordset(["amount_residual"])
        if not payments.move_id or currency.is_zero(residual_before - sum(lines.mapped("amount_residual"))):
            raise UserError(
                _(
                    "The journal %s records this payment without a journal entry, so the invoices stay unpaid. "
                    "Give its payment method an outstanding receipts account, or choose another journal in Settings.",
                    journal.name,
                )
            )
        self.account_payment_id = payments
        self.case_id.portfolio_id._sync_credits()
        targets.invalidate_recordset()
        done = []
        for inst in targets.sorted(lambda i: (i.date_due, i.id)):
            part = currency.round(inst.amount_paid - before[inst.id])
            if currency.compare_amounts(part, 0.0) > 0:
                done.append((inst.id, part))
        return done

    # ------------------------------------------------------------------
    # Cancelling
    # ------------------------------------------------------------------
    def action_cancel(self):
        """Reverse posted payments: the installments get their balance back
        (for own invoices, Odoo unreconciles and cancels the accounting
        payment). The payment and its allocation stay, cancelled."""
        reason = self.env.context.get("cancel_reason") or _("Cancelled")
        for payment in self:
            if payment.state == "cancelled":
                continue
            payment.check_access("write")
            if payment.state == "posted" and not self.env.user.has_group("debt_collection.group_collection_supervisor"):
                raise AccessError(_("Only a collection supervisor can cancel a posted payment."))
            payment._check_not_remitted()
            payment.sudo()._cancel(reason)
        return True

    def _check_not_remitted(self):
        for payment in self:
            if payment.sudo().remittance_id.state == "sent":
                raise UserError(
                    _(
                        "The payment %(name)s was remitted to the creditor in %(remittance)s and cannot be cancelled. "
                        "A supervisor can reverse it instead (Reverse Remitted Payment); the next remittance "
                        "reports the reversal.",
                        name=payment.name,
                        remittance=payment.sudo().remittance_id.name,
                    )
                )

    def action_reverse_remitted(self):
        """Cancel payments already remitted to the creditor, through the
        normal cancel path (installments and accounting reversed the same
        way), and flag them so the next remittance of their portfolio reports
        them as negative lines. Supervisors only, with a reason given in the
        ``cancel_reason`` context key (as for ``action_cancel``)."""
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can reverse a remitted payment."))
        self.check_access("write")
        reason = (self.env.context.get("cancel_reason") or "").strip()
        if not reason:
            raise UserError(_("Give the reason for reversing a payment the creditor was told about."))
        for payment in self:
            remittance = payment.sudo().remittance_id
            if payment.state != "posted" or remittance.state != "sent":
                raise UserError(_("Only posted payments remitted in a sent remittance are reversed: %s.", payment.name))
            payment.sudo().with_context(collection_remittance_reversal=True)._cancel(reason)
            payment.sudo().remittance_reversal_pending = True
            self.env["collection.event"]._log(
                "correction",
                _(
                    "Payment %(name)s of %(amount)s, remitted in %(remittance)s, reversed: %(reason)s. The next "
                    "remittance reports it.",
                    name=payment.name,
                    amount=payment.currency_id.format(payment.amount),
                    remittance=remittance.name,
                    reason=reason,
                ),
                cases=payment.case_id,
                payload={"payment_id": payment.id, "remittance_id": remittance.id},
            )
        return True

    def _cancel(self, reason):
        self.ensure_one()
        if not self.env.context.get("collection_remittance_reversal"):
            self._check_not_remitted()
        posted = self.state == "posted"
        case = self.case_id
        currency = case.currency_id
        if posted:
            installments = self.line_ids.installment_id
            changed = installments.filtered(lambda i: i.state not in ("pending", "partial", "paid"))
            if changed:
                raise UserError(
                    _(
                        "The installments this payment paid were refinanced, written off or cancelled since "
                        "(%s): the payment can no longer be cancelled. Record the correction on the case instead.",
                        ", ".join(changed.mapped("name")),
                    )
                )
            installments._lock_for_payment(case)
            if self._follows_accounting():
                account_payment = self.account_payment_id
                if account_payment.is_matched:
                    raise UserError(
                        _(
                            "The payment %s is already matched with a bank statement in Accounting: ask an accountant "
                            "to cancel it there, which cancels this one too.",
                            account_payment.name,
                        )
                    )
                if account_payment.state != "canceled":
                    account_payment.with_context(collection_payment_cancelling=True).action_draft()
                    account_payment.with_context(collection_payment_cancelling=True).action_cancel()
                case.portfolio_id._sync_credits()
            else:
                installments.invalidate_recordset()
                for line in self.line_ids:
                    inst = line.installment_id
                    inst.amount_paid = currency.round(max(inst.amount_paid - line.amount, 0.0))
                if currency.compare_amounts(self.amount_credit, 0.0) > 0:
                    case.amount_credit = currency.round(max(case.amount_credit - self.amount_credit, 0.0))
        self._mark_cancelled(reason)

    def _mark_cancelled(self, reason):
        """Record the cancellation (the money movements are undone by the caller)."""
        self.ensure_one()
        posted = self.state == "posted"
        self.write({"state": "cancelled", "date_cancelled": fields.Datetime.now(), "cancel_reason": reason})
        if posted:
            self.env["collection.event"]._log(
                "payment_cancel",
                _(
                    "Payment %(name)s of %(amount)s cancelled: %(reason)s",
                    name=self.name,
                    amount=self.currency_id.format(self.amount),
                    reason=reason,
                ),
                cases=self.case_id,
                payload={"payment_id": self.id, "amount": self.amount},
            )

    def action_print_receipt(self):
        self.ensure_one()
        if self.state != "posted":
            raise UserError(_("Only posted payments have a receipt."))
        return self.env.ref("debt_collection.action_report_collection_payment_receipt").report_action(self)

    def _amount_in_words(self):
        """The amount in words in the payment's currency (Odoo's
        ``amount_to_text``, num2words in the user's language)."""
        self.ensure_one()
        return self.currency_id.with_context(lang=self.partner_id.lang or self.env.lang).amount_to_text(self.amount)


class CollectionPaymentLine(models.Model):
    """The part of a payment allocated to one installment, in the case's
    currency. Kept when the payment is cancelled."""

    _name = "collection.payment.line"
    _description = "Collection Payment Allocation"
    _order = "payment_id, date_due, id"

    payment_id = fields.Many2one("collection.payment", required=True, ondelete="cascade", index=True)
    installment_id = fields.Many2one("collection.installment", required=True, index=True, ondelete="restrict")
    case_id = fields.Many2one(related="payment_id.case_id", store=True, index=True)
    company_id = fields.Many2one(related="payment_id.company_id", store=True)
    currency_id = fields.Many2one(related="payment_id.case_currency_id", string="Currency")
    date_due = fields.Date(related="installment_id.date_due")
    installment_residual = fields.Monetary(related="installment_id.amount_residual", string="Open Balance")
    amount = fields.Monetary(required=True)
    state = fields.Selection(related="payment_id.state", store=True)

    @api.constrains("installment_id", "payment_id")
    def _check_installment(self):
        for line in self:
            if line.installment_id.case_id != line.payment_id.case_id:
                raise ValidationError(_("A payment can only pay installments of its own case."))

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._check_draft()
        return lines

    def write(self, vals):
        self._check_draft()
        return super().write(vals)

    def unlink(self):
        self._check_draft()
        return super().unlink()

    def _check_draft(self):
        """Users shape the allocation of a draft payment; posting and
        cancelling (as superuser) own it afterwards."""
        if not self.env.su and self.filtered(lambda line: line.payment_id.state != "draft"):
            raise AccessError(_("The allocation of a posted or cancelled payment cannot be changed."))
