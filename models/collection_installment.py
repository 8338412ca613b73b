from psycopg2.errors import LockNotAvailable

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools import mute_logger

INSTALLMENT_STATES = [
    ("pending", "Pending"),
    ("partial", "Pending to collect"),
    ("paid", "Paid"),
    ("refinanced", "Refinanced"),
    ("written_off", "Written off"),
    ("cancelled", "Cancelled"),
]

# what describes an installment: supervisors and managers may edit it
DESCRIPTION_FIELDS = {"name", "external_ref", "contract_ref", "sequence"}
# the money and the due date: changed by payments, agreements and disputes; a manager may correct a
# creditor's figure on an external case by hand, and the correction is logged
FIGURE_FIELDS = {"amount", "date_due", "amount_paid", "amount_written_off", "state"}
# what a user gives when adding an installment by hand
CREATE_FIELDS = DESCRIPTION_FIELDS | {"case_id", "date_due", "amount"}


class CollectionInstallment(models.Model):
    """One amount due on one date.

    For internal portfolios it mirrors one receivable line of a posted
    customer invoice: amount, paid and residual come from accounting. For
    external portfolios paid comes from collection payments.
    """

    _name = "collection.installment"
    _description = "Collection Installment"
    _order = "date_due, sequence, id"
    _check_company_auto = True

    name = fields.Char("Description", required=True)
    case_id = fields.Many2one("collection.case", required=True, index=True, ondelete="cascade", check_company=True)
    portfolio_id = fields.Many2one(related="case_id.portfolio_id", store=True, index=True, precompute=True)
    # the company rule filters on it, but one company holds most rows: no index (cheaper loads)
    company_id = fields.Many2one(related="case_id.company_id", store=True, precompute=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True, precompute=True)
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True, precompute=True, string="Debtor")
    sequence = fields.Integer(default=1)
    external_ref = fields.Char("Reference", index="btree_not_null", help="Creditor's reference, or the invoice number.")
    contract_ref = fields.Char("Product / Contract")
    date_due = fields.Date(
        "Due Date", compute="_compute_from_move_line", store=True, readonly=False, required=True, index=True
    )
    amount = fields.Monetary(compute="_compute_from_move_line", store=True, readonly=False, required=True)
    amount_paid = fields.Monetary("Paid", compute="_compute_amount_paid", store=True, readonly=False)
    amount_residual = fields.Monetary("Residual", compute="_compute_amount_residual", store=True)
    state = fields.Selection(INSTALLMENT_STATES, compute="_compute_state", store=True, readonly=False)
    # looked up through the unique constraint's index
    move_line_id = fields.Many2one("account.move.line", string="Receivable Line", readonly=True, ondelete="set null")
    move_id = fields.Many2one(related="move_line_id.move_id", store=True, index="btree_not_null", string="Invoice")
    amount_written_off = fields.Monetary(
        "Written Off", readonly=True, help="Part of the amount written off, e.g. after an accepted dispute."
    )
    dispute_ids = fields.Many2many(
        "collection.dispute", "collection_dispute_installment_rel", "installment_id", "dispute_id", string="Disputes"
    )
    is_disputed = fields.Boolean(
        "In Dispute",
        compute="_compute_is_disputed",
        store=True,
        help="Contested in an open dispute: still owed, but left out of the overdue amount, the days overdue "
        "and the automatic actions until the dispute is resolved.",
    )
    days_overdue = fields.Integer(compute="_compute_days_overdue")
    agreement_id = fields.Many2one(
        "collection.agreement",
        string="Payment Plan",
        index="btree_not_null",
        readonly=True,
        ondelete="restrict",
        help="The payment agreement that created this installment.",
    )
    payment_line_ids = fields.One2many("collection.payment.line", "installment_id", string="Payments")
    date_aging = fields.Date(
        "Aging Date",
        compute="_compute_date_aging",
        store=True,
        help="The date the installment ages from: its due date, or for a broken payment plan the oldest due "
        "date of the debt it refinanced (the rest of the plan is due at once).",
    )
    kind_internal = fields.Boolean(compute="_compute_kind_internal")
    kind = fields.Selection(
        [("debt", "Debt"), ("legal_cost", "Legal cost")],
        default="debt",
        help="Legal costs and fees charged to the debtor in litigation are paid before or after the debt, as the "
        "company chooses.",
    )

    _sql_constraints = [
        ("move_line_uniq", "unique(move_line_id)", "A receivable line can be followed by one installment only."),
        ("amount_paid_positive", "CHECK(amount_paid >= 0)", "The paid amount cannot be negative."),
    ]

    @api.depends("move_line_id.balance", "move_line_id.date_maturity")
    def _compute_from_move_line(self):
        """Internal installments follow their receivable line, even when the
        invoice is reset to draft and changed in Accounting."""
        for inst in self:
            line = inst.move_line_id
            inst.amount = line.balance if line else inst.amount
            inst.date_due = (line.date_maturity or line.move_id.invoice_date_due) if line else inst.date_due

    @api.depends("move_line_id.balance", "move_line_id.amount_residual", "amount", "agreement_id.amount_received")
    def _compute_amount_paid(self):
        """From the receivable line for own invoices; for a payment plan on
        own invoices, the money received in accounting since the plan was
        approved, oldest installment first; otherwise as recorded by
        collection payments (and by the creditor's files)."""
        plans = self.agreement_id.filtered(lambda a: a.kind == "internal")
        paid_by_plan = {plan.id: plan._installments_paid() for plan in plans}
        for inst in self:
            if inst.move_line_id:
                inst.amount_paid = inst.move_line_id.balance - inst.move_line_id.amount_residual
            elif inst.agreement_id.id in paid_by_plan:
                inst.amount_paid = paid_by_plan[inst.agreement_id.id].get(inst.id, 0.0)
            else:
                inst.amount_paid = inst.amount_paid or 0.0

    @api.depends("amount", "amount_paid", "amount_written_off", "move_line_id.amount_residual")
    def _compute_amount_residual(self):
        for inst in self:
            if inst.move_line_id:
                inst.amount_residual = inst.move_line_id.amount_residual
            else:
                inst.amount_residual = inst.currency_id.round(inst.amount - inst.amount_paid - inst.amount_written_off)

    @api.depends("amount_residual", "amount_paid", "move_line_id", "move_line_id.parent_state")
    def _compute_state(self):
        for inst in self:
            currency = inst.currency_id
            # own invoices follow accounting, except the installments of a payment plan
            follows_accounting = inst.move_line_id or (inst.portfolio_id.kind == "internal" and not inst.agreement_id)
            if inst.state in ("refinanced", "written_off") or (inst.state == "cancelled" and not follows_accounting):
                inst.state = inst.state
            elif follows_accounting and (not inst.move_line_id or inst.move_line_id.parent_state != "posted"):
                # an invoice reset to draft, cancelled or deleted in Accounting
                # takes its installments out of the debt until it is posted again
                inst.state = "cancelled"
            elif currency.compare_amounts(inst.amount_residual, 0.0) <= 0:
                written_off = currency.compare_amounts(inst.amount_written_off, 0.0) > 0
                inst.state = "written_off" if written_off and not inst.amount_paid else "paid"
            elif currency.compare_amounts(inst.amount_paid, 0.0) > 0:
                inst.state = "partial"
            else:
                inst.state = "pending"

    @api.depends("date_due", "agreement_id.state", "agreement_id.date_original_due")
    def _compute_date_aging(self):
        for inst in self:
            plan = inst.agreement_id
            if plan.state == "broken" and plan.date_original_due and inst.date_due:
                inst.date_aging = min(inst.date_due, plan.date_original_due)
            else:
                inst.date_aging = inst.date_due

    @api.depends("portfolio_id.kind")
    def init(self):
        result = super().init()
        # installments written in bulk (file import, invoice sync) are debts
        self.env.cr.execute(SQL("ALTER TABLE collection_installment ALTER COLUMN kind SET DEFAULT 'debt'"))
        return result

    def _allocation_rank(self):
        """0 is paid first: legal costs before the debt, or after it."""
        self.ensure_one()
        first = self.company_id.collection_legal_costs_first
        if self.kind == "legal_cost":
            return 0 if first else 2
        return 1

    def _compute_kind_internal(self):
        for inst in self:
            inst.kind_internal = inst.portfolio_id.kind == "internal"

    @api.depends("dispute_ids.state")
    def _compute_is_disputed(self):
        for inst in self:
            inst.is_disputed = any(dispute.state in ("open", "review") for dispute in inst.sudo().dispute_ids)

    @api.depends("date_due", "state")
    @api.depends_context("tz")
    def _compute_days_overdue(self):
        today = fields.Date.context_today(self)
        for inst in self:
            open_due = inst.state in ("pending", "partial") and inst.date_due and inst.date_due < today
            inst.days_overdue = (today - inst.date_due).days if open_due else 0

    @api.constrains("amount", "amount_paid")
    def _check_amounts(self):
        for inst in self.filtered(lambda i: not i.move_line_id):
            if inst.currency_id.compare_amounts(inst.amount, 0.0) <= 0:
                raise ValidationError(_("The installment %s must have a positive amount.", inst.name))
            if inst.currency_id.compare_amounts(inst.amount_paid + inst.amount_written_off, inst.amount) > 0:
                raise ValidationError(
                    _("%(name)s: the paid amount is larger than the installment amount.", name=inst.name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                # a form sends the computed defaults it shows (nothing paid, pending): not a choice
                refused = {name for name, value in vals.items() if value not in (False, None, "pending")}
                refused -= CREATE_FIELDS
                if refused:
                    raise AccessError(
                        _(
                            "These details of an installment are set by payments, agreements and disputes: %s.",
                            ", ".join(sorted(refused)),
                        )
                    )
        installments = super().create(vals_list)
        if not self.env.su and not self.env.context.get("collection_case_creating"):
            for inst in installments:
                self.env["collection.event"]._log(
                    "correction",
                    _(
                        "Installment %(name)s of %(amount)s due %(date)s added by %(user)s.",
                        name=inst.name,
                        amount=inst.currency_id.format(inst.amount),
                        date=inst.date_due,
                        user=self.env.user.name,
                    ),
                    cases=inst.case_id,
                    payload={"installment_id": inst.id, "amount": inst.amount, "date_due": str(inst.date_due)},
                )
        return installments

    def write(self, vals):
        accounting = {"amount", "amount_paid", "date_due"} & set(vals)
        follows_accounting = self.filtered(lambda i: i.move_line_id or (i.agreement_id and i.kind_internal))
        if accounting and follows_accounting and not self.env.su:
            raise UserError(
                _("Installments of internal portfolios follow their invoice: change the invoice in Accounting.")
            )
        if self.env.su:
            return super().write(vals)
        refused = set(vals) - DESCRIPTION_FIELDS - FIGURE_FIELDS
        if refused:
            raise AccessError(
                _(
                    "These details of an installment are set by payments, agreements and disputes: %s.",
                    ", ".join(sorted(refused)),
                )
            )
        figures = FIGURE_FIELDS & set(vals)
        if figures and not self.env.user.has_group("debt_collection.group_collection_manager"):
            raise AccessError(
                _(
                    "Amounts, due dates and payments of installments change through payments, payment agreements "
                    "and disputes, which follow the approval levels. Only a collection manager can correct them "
                    "by hand."
                )
            )
        changes = {}
        if figures:
            for inst in self:
                diff = {}
                for name in figures:
                    field = self._fields[name]
                    old = field.convert_to_write(inst[name], inst)
                    new = field.convert_to_write(field.convert_to_cache(vals[name], inst), inst)
                    if old != new:
                        diff[name] = {"old": str(old) if old is not False else False, "new": str(new)}
                if diff:
                    changes[inst] = diff
        res = super().write(vals)
        for inst, diff in changes.items():
            self.env["collection.event"]._log(
                "correction",
                _(
                    "Installment %(name)s corrected by %(user)s: %(changes)s.",
                    name=inst.name,
                    user=self.env.user.name,
                    changes=", ".join(
                        f"{self._fields[name].string} {change['old']} → {change['new']}"
                        for name, change in diff.items()
                    ),
                ),
                cases=inst.case_id,
                payload={"installment_id": inst.id, "changes": diff},
            )
        return res

    def _lock_for_payment(self, case):
        """Lock these installments until the end of the transaction: two
        payments (or a payment and an agreement) on the same installments
        never use the same balance twice; the second one is asked to try
        again rather than wait."""
        if not self:
            return
        if self.env.context.get("collection_lock_wait"):
            # a background job (an online payment's post-processing) waits its turn rather than fail
            self.env.cr.execute(
                SQL("SELECT id FROM collection_installment WHERE id = ANY(%s) FOR NO KEY UPDATE", self.ids)
            )
            return
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL("SELECT id FROM collection_installment WHERE id = ANY(%s) FOR NO KEY UPDATE NOWAIT", self.ids)
                )
        except LockNotAvailable:
            raise UserError(
                _(
                    "Another payment or agreement is being recorded on the case %s right now. Try again in a moment.",
                    case.name,
                )
            ) from None

    def _write_off(self, amount):
        """Write ``amount`` off the open balance of these installments,
        oldest due first; a fully written-off installment without payments
        becomes written off, one partly paid becomes paid. Returns the
        amount written off."""
        left = amount
        for inst in self.filtered(lambda i: i.state in ("pending", "partial")).sorted(lambda i: (i.date_due, i.id)):
            currency = inst.currency_id
            if currency.compare_amounts(left, 0.0) <= 0:
                break
            part = min(left, inst.amount_residual)
            inst.amount_written_off = currency.round(inst.amount_written_off + part)
            left = currency.round(left - part)
        return amount - left

    def unlink(self):
        self.check_access("unlink")
        if not self.env.su and self.filtered(lambda i: i.amount_paid or i.move_line_id):
            raise UserError(
                _("Installments with payments or linked to an invoice cannot be deleted; cancel them instead.")
            )
        return super().unlink()
