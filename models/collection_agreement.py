from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools import allocation
from ..tools import schedule as schedule_tools

AGREEMENT_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To approve"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]
INTEREST_METHODS = [("none", "No interest"), ("flat", "Flat (simple)"), ("french", "French amortisation")]
FREQUENCIES = [("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("monthly", "Monthly")]
CONDONATION_KINDS = [("interest", "Interest"), ("fees", "Fees"), ("principal", "Principal")]
# what defines the plan: changing one of them rebuilds the schedule
SCHEDULE_FIELDS = {
    "replaced_installment_ids",
    "condonation_type",
    "condonation_value",
    "down_payment",
    "interest_method",
    "annual_rate",
    "installment_count",
    "frequency",
    "first_due_date",
    "fee_percent",
}
# what users enter on a draft agreement; figures, level, schedule and states are the agreement's own
USER_FIELDS = SCHEDULE_FIELDS | {"case_id", "user_id", "date_agreement", "condonation_kind", "note", "name"}


class CollectionAgreement(models.Model):
    """A payment agreement (refinancing, relief plan) on some installments
    of a case.

    The replaced installments' balance, less the condonation and the down
    payment, is financed over new installments with the chosen interest
    method and collection fee (``tools/schedule.py``). Submitting routes the
    agreement to the approval level its condonation, term and amount
    require; on approval the replaced installments become refinanced, the
    down payment and the new installments are created on the case, and the
    case moves to the Payment Plan stage. An installment of the plan unpaid
    after the company's grace days breaks the agreement: the case goes back
    to its former stage and the rest of the plan is due at once, aging from
    the oldest due date of the debt it refinanced; a plan paid in full
    completes it.

    On the company's own invoices accounting keeps the debt: the plan's
    installments are paid, oldest first, by the money reconciled with the
    refinanced invoices after approval; such plans have no interest nor
    fee, and a condonation asks accounting for a credit note.
    """

    _name = "collection.agreement"
    _description = "Payment Agreement"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_agreement desc, id desc"
    _check_company_auto = True

    name = fields.Char("Reference", required=True, readonly=True, copy=False, default=lambda self: _("New"))
    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True, tracking=True
    )
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True, precompute=True, string="Debtor")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True, precompute=True)
    kind = fields.Selection(related="case_id.kind")
    user_id = fields.Many2one(
        "res.users", string="Collector", required=True, default=lambda self: self._default_user_id(), tracking=True
    )
    state = fields.Selection(
        AGREEMENT_STATES, required=True, default="draft", readonly=True, tracking=True, index=True, copy=False
    )
    date_agreement = fields.Date("Agreement Date", required=True, default=fields.Date.context_today)
    replaced_installment_ids = fields.Many2many(
        "collection.installment",
        "collection_agreement_installment_rel",
        "agreement_id",
        "installment_id",
        string="Installments Refinanced",
        check_company=True,
        domain="[('case_id', '=', case_id), ('state', 'in', ('pending', 'partial')), ('is_disputed', '=', False)]",
    )
    amount_balance = fields.Monetary(
        "Debt Refinanced", readonly=True, copy=False, help="Open balance of the installments refinanced."
    )
    condonation_kind = fields.Selection(CONDONATION_KINDS, string="Condonation Of", default="interest")
    condonation_type = fields.Selection(
        [("amount", "Amount"), ("percent", "Percent")], required=True, default="amount", string="Condonation As"
    )
    condonation_value = fields.Float("Condonation", help="Amount, or percent of the debt refinanced, written off.")
    amount_condonation = fields.Monetary("Amount Written Off", readonly=True, copy=False)
    condonation_percent = fields.Float("Condonation (%)", readonly=True, digits=(5, 2), copy=False)
    down_payment = fields.Monetary(help="Paid at once: the first installment of the plan, due on the agreement date.")
    interest_method = fields.Selection(INTEREST_METHODS, required=True, default="none")
    annual_rate = fields.Float("Annual Rate (%)", digits=(6, 3))
    installment_count = fields.Integer("Installments", required=True, default=6)
    frequency = fields.Selection(FREQUENCIES, required=True, default="monthly")
    first_due_date = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self) + timedelta(days=30)
    )
    fee_percent = fields.Float("Collection Fee (%)", digits=(5, 2), help="Fee on the amount financed, in equal parts.")
    amount_financed = fields.Monetary(readonly=True, copy=False)
    amount_interest = fields.Monetary("Interest", readonly=True, copy=False)
    amount_fee = fields.Monetary("Fees", readonly=True, copy=False)
    amount_total = fields.Monetary("Total to Pay", readonly=True, copy=False)
    line_ids = fields.One2many("collection.agreement.line", "agreement_id", string="Schedule", copy=False)
    installment_ids = fields.One2many("collection.installment", "agreement_id", string="Plan Installments")
    amount_received = fields.Monetary(
        compute="_compute_amount_received",
        store=True,
        help="Own invoices: money paid on the refinanced invoices since approval (credit notes and write-offs "
        "excluded).",
    )
    amount_residual_approved = fields.Monetary(
        "Invoices Open at Approval",
        readonly=True,
        copy=False,
        help="Own invoices: what the refinanced invoice lines still owed when the plan was approved.",
    )
    level_id = fields.Many2one("collection.agreement.level", string="Approval Level", readonly=True, copy=False)
    approver_id = fields.Many2one("res.users", string="Approved By", readonly=True, copy=False)
    date_approved = fields.Datetime(readonly=True, copy=False)
    previous_stage_id = fields.Many2one("collection.stage", readonly=True, copy=False)
    date_original_due = fields.Date(
        "Original Due Date",
        readonly=True,
        copy=False,
        help="Oldest due date of the debt refinanced: a broken plan ages from it again.",
    )
    date_closed = fields.Date(readonly=True, copy=False)
    note = fields.Text("Terms")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("replaced_installment_ids.move_line_id.amount_residual", "date_approved", "amount_residual_approved")
    def _compute_amount_received(self):
        """Own invoices: how much less the refinanced invoice lines owe than
        at approval, less what credit notes and other non-money entries
        (write-offs, exchange differences) reconciled since then. A payment
        unreconciled and reconciled again counts once."""
        internal = self.filtered(lambda a: a.kind == "internal" and a.date_approved and isinstance(a.id, int))
        not_money = {}
        if internal:
            self.env["collection.agreement"].flush_model(["date_approved", "replaced_installment_ids"])
            self.env["collection.installment"].flush_model(["move_line_id"])
            self.env["account.move.line"].flush_model(["move_id"])
            self.env["account.move"].flush_model(["move_type", "origin_payment_id", "statement_line_id"])
            self.env["account.partial.reconcile"].flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT a.id, COALESCE(SUM(apr.amount), 0)
                      FROM collection_agreement a
                      JOIN collection_agreement_installment_rel rel ON rel.agreement_id = a.id
                      JOIN collection_installment i ON i.id = rel.installment_id
                      JOIN account_partial_reconcile apr ON apr.debit_move_id = i.move_line_id
                      JOIN account_move_line cl ON cl.id = apr.credit_move_id
                      JOIN account_move cm ON cm.id = cl.move_id
                     WHERE a.id = ANY(%s) AND apr.create_date >= a.date_approved
                       AND cm.origin_payment_id IS NULL AND cm.statement_line_id IS NULL
                     GROUP BY a.id
                    """,
                    internal.ids,
                )
            )
            not_money = dict(self.env.cr.fetchall())
        for agreement in self:
            if agreement in internal:
                residual = sum(agreement.sudo().replaced_installment_ids.move_line_id.mapped("amount_residual"))
                received = agreement.amount_residual_approved - residual - not_money.get(agreement.id, 0.0)
                agreement.amount_received = agreement.currency_id.round(max(received, 0.0))
            else:
                agreement.amount_received = 0.0

    def _installments_paid(self):
        """{plan installment id: paid} of an internal plan: the money
        received, oldest installment first."""
        self.ensure_one()
        installments = self.installment_ids.sorted(lambda i: (i.date_due, i.sequence, i.id))
        lines, _left = allocation.oldest_first(
            self.amount_received,
            [(inst.id, inst.date_due, inst.amount) for inst in installments],
            self.currency_id.rounding,
        )
        return dict(lines)

    # ------------------------------------------------------------------
    # The plan
    # ------------------------------------------------------------------
    def _plan(self):
        """(rows, totals) of the schedule (``tools/schedule.plan``)."""
        self.ensure_one()
        currency = self.currency_id or self.company_id.currency_id
        balance = currency.round(sum(self.replaced_installment_ids.mapped("amount_residual")))
        return schedule_tools.plan(
            balance,
            self._condonation_amount(balance),
            self.down_payment or 0.0,
            max(self.installment_count, 1),
            self.interest_method,
            self.annual_rate,
            self.frequency,
            self.first_due_date or fields.Date.context_today(self),
            currency.rounding,
            self.fee_percent,
        )

    def _condonation_amount(self, balance):
        self.ensure_one()
        currency = self.currency_id or self.company_id.currency_id
        if self.condonation_type == "percent":
            return currency.round(balance * (self.condonation_value or 0.0) / 100.0)
        return currency.round(self.condonation_value or 0.0)

    def _plan_values(self):
        """The figures, approval level and schedule lines (as commands) of
        the agreement's current terms; empty figures while they do not add
        up (the constraints say why on saving)."""
        self.ensure_one()
        currency = self.currency_id or self.company_id.currency_id
        balance = currency.round(sum(self.replaced_installment_ids.mapped("amount_residual")))
        condonation = self._condonation_amount(balance)
        values = {
            "amount_balance": balance,
            "amount_condonation": condonation,
            "condonation_percent": 100.0 * condonation / balance if balance else 0.0,
            "amount_financed": 0.0,
            "amount_interest": 0.0,
            "amount_fee": 0.0,
            "amount_total": 0.0,
            "line_ids": [Command.clear()],
        }
        try:
            rows, totals = self._plan()
        except ValueError:
            rows = []
        else:
            values.update(
                amount_financed=totals["financed"],
                amount_interest=totals["interest"],
                amount_fee=totals["fee"],
                amount_total=totals["total"],
            )
        if self.down_payment:
            values["line_ids"].append(
                Command.create(
                    {
                        "sequence": 0,
                        "date_due": self.date_agreement,
                        "principal": self.down_payment,
                        "amount": self.down_payment,
                        # what is left to finance after it
                        "balance": currency.round(balance - condonation - self.down_payment),
                        "is_down_payment": True,
                    }
                )
            )
        for number, row in enumerate(rows, start=1):
            if currency.is_zero(row["amount"]):
                continue
            values["line_ids"].append(
                Command.create(
                    {
                        "sequence": number,
                        "date_due": row["date"],
                        "principal": row["principal"],
                        "interest": row["interest"],
                        "fee": row["fee"],
                        "amount": row["amount"],
                        "balance": row["balance"],
                    }
                )
            )
        last_due = max((row["date"] for row in rows), default=self.first_due_date)
        values["level_id"] = self._required_level(values["amount_balance"], values["condonation_percent"], last_due).id
        return values

    def _required_level(self, balance, condonation_percent, last_due=None):
        """The first approval level whose limits the terms stay within (the
        last one when none does): condonation, number of installments,
        amount, how far off the first installment is due and how long the
        plan runs (both counted from the agreement date, or today when that
        is earlier)."""
        self.ensure_one()
        company = self.company_id or self.env.company
        levels = self.env["collection.agreement.level"].sudo().search([("company_id", "in", [company.id, False])])
        currency = self.currency_id or company.currency_id
        amount = currency._convert(balance, company.currency_id, company, self.date_agreement or fields.Date.today())
        start = min(self.date_agreement or fields.Date.context_today(self), fields.Date.context_today(self))
        first_due = self.first_due_date or start
        for level in levels[:-1]:
            if level._accepts(condonation_percent, self.installment_count, amount) and level._accepts_term(
                start, first_due, last_due or first_due
            ):
                return level
        return levels[-1:]

    def _default_user_id(self):
        """The case's collector (who negotiates the plan), else the user."""
        case = self.env["collection.case"].browse(self.env.context.get("default_case_id")).exists()
        return (case.user_id or self.env.user).id

    def _max_annual_rate(self):
        """The usury cap on this agreement: the lower of the company's and
        the portfolio's (0: none)."""
        self.ensure_one()
        caps = [
            cap
            for cap in (self.company_id.collection_max_annual_rate, self.case_id.portfolio_id.max_annual_rate)
            if cap and cap > 0
        ]
        return min(caps) if caps else 0.0

    @api.onchange(*SCHEDULE_FIELDS, "date_agreement")
    def _onchange_simulate(self):
        """The simulation: figures and schedule shown live while the terms change."""
        self.update(self._plan_values())

    @api.onchange("case_id")
    def _onchange_case_id(self):
        if self.case_id and not self.replaced_installment_ids:
            self.replaced_installment_ids = self.case_id.installment_ids.filtered(
                lambda i: i.state in ("pending", "partial") and not i.is_disputed
            )
        if self.case_id.user_id:
            self.user_id = self.case_id.user_id

    @api.constrains(*SCHEDULE_FIELDS, "state")
    def _check_terms(self):
        for agreement in self.filtered(lambda a: a.state in ("draft", "to_approve")):
            if agreement.installment_count < 1:
                raise ValidationError(_("A payment plan needs at least one installment."))
            if agreement.installment_count > schedule_tools.MAX_INSTALLMENTS:
                raise ValidationError(_("A payment plan has at most %s installments.", schedule_tools.MAX_INSTALLMENTS))
            try:
                schedule_tools.due_dates(agreement.first_due_date, agreement.installment_count, agreement.frequency)
            except ValueError as exc:
                raise ValidationError(
                    _("The last installment of this plan would be due after the year 9999: move its dates.")
                ) from exc
            if agreement.annual_rate < 0 or agreement.fee_percent < 0 or agreement.condonation_value < 0:
                raise ValidationError(_("Rates, fees and condonation cannot be negative."))
            if agreement.condonation_type == "percent" and agreement.condonation_value > 100:
                raise ValidationError(_("The condonation cannot be more than 100%."))
            if agreement.interest_method != "none" and agreement.annual_rate <= 0:
                raise ValidationError(_("Give the annual rate of the interest, or choose no interest."))
            cap = agreement._max_annual_rate()
            if cap and agreement.interest_method != "none" and agreement.annual_rate > cap:
                raise ValidationError(
                    _(
                        "The annual rate of %(rate)s%% is above the maximum of %(cap)s%% allowed for this portfolio "
                        "(usury cap).",
                        rate=agreement.annual_rate,
                        cap=cap,
                    )
                )
            installments = agreement.replaced_installment_ids
            if installments.case_id - agreement.case_id:
                raise ValidationError(_("An agreement can only refinance installments of its own case."))
            if installments.filtered(lambda i: i.state not in ("pending", "partial") or i.is_disputed):
                raise ValidationError(_("Only open installments outside disputes can be refinanced."))
            running = installments.agreement_id.filtered(lambda a: a.state == "active" and a != agreement)
            if running:
                raise ValidationError(
                    _(
                        "These installments belong to the running agreement %s: renegotiate it once it is broken.",
                        running[0].name,
                    )
                )
            if agreement.kind == "internal" and installments.filtered(lambda i: not i.move_line_id):
                raise ValidationError(
                    _("On own invoices only invoice installments can be refinanced, not those of an earlier plan.")
                )
            if agreement.kind == "internal" and (
                agreement.interest_method != "none" or agreement.fee_percent or agreement.annual_rate
            ):
                raise ValidationError(
                    _(
                        "A payment plan on your own invoices carries no interest nor fee: accounting keeps the debt. "
                        "Invoice interest or fees in Accounting if they are due."
                    )
                )
            currency = agreement.currency_id
            balance = currency.round(sum(installments.mapped("amount_residual")))
            condonation = agreement._condonation_amount(balance)
            if currency.compare_amounts(condonation + (agreement.down_payment or 0.0), balance) > 0:
                raise ValidationError(
                    _(
                        "The condonation (%(condonation)s) and the down payment (%(down)s) are more than the debt "
                        "refinanced (%(balance)s).",
                        condonation=currency.format(condonation),
                        down=currency.format(agreement.down_payment or 0.0),
                        balance=currency.format(balance),
                    )
                )
            if agreement.first_due_date < agreement.date_agreement:
                raise ValidationError(_("The first installment cannot be due before the agreement date."))

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not self.env.su:
                refused = set(vals) - USER_FIELDS
                if refused:
                    raise AccessError(
                        _(
                            "These details of an agreement are set by the agreement itself: %s.",
                            ", ".join(sorted(refused)),
                        )
                    )
            vals["name"] = self.env["ir.sequence"].next_by_code("collection.agreement") or _("New")
        agreements = super().create(vals_list)
        if agreements.case_id.filtered(lambda c: c.state != "open"):
            raise UserError(_("Payment agreements are made on open cases only."))
        for agreement in agreements:
            agreement.sudo().write(agreement._plan_values())
        return agreements

    def write(self, vals):
        if not self.env.su:
            refused = set(vals) - (USER_FIELDS - {"case_id", "name"}) - {"message_main_attachment_id"}
            if refused:
                raise AccessError(
                    _(
                        "These details of an agreement are set by its buttons and its terms: %s.",
                        ", ".join(sorted(refused)),
                    )
                )
            frozen = set(vals) - {"note", "message_main_attachment_id"}
            if frozen and self.filtered(lambda a: a.state != "draft"):
                raise UserError(
                    _("Only draft agreements can be changed: put an agreement awaiting approval back to draft first.")
                )
        res = super().write(vals)
        if (SCHEDULE_FIELDS | {"date_agreement"}) & set(vals):
            for agreement in self.filtered(lambda a: a.state == "draft"):
                super(CollectionAgreement, agreement.sudo()).write(agreement._plan_values())
        return res

    def unlink(self):
        self.check_access("unlink")
        if self.filtered(lambda a: a.state != "draft"):
            raise UserError(_("Only draft agreements can be deleted; cancel the others."))
        return super().unlink()

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------
    def action_submit(self):
        """Send the agreement to its approval level: approved at once when
        the level is the collector's own, else to the approvers with an
        activity each."""
        for agreement in self:
            if agreement.state != "draft":
                raise UserError(_("Only draft agreements can be submitted."))
            agreement.check_access("write")
            agreement._check_ready()
            level = agreement.level_id
            if level and agreement._may_approve(self.env.user):
                agreement._approve()
                continue
            agreement.sudo().write({"state": "to_approve"})
            for approver in agreement._approvers():
                agreement.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=_("Approve payment agreement %s", agreement.name),
                    note=_(
                        "%(level)s approval: %(count)s installments, condonation %(percent).2f%%, %(amount)s.",
                        level=level.name,
                        count=agreement.installment_count,
                        percent=agreement.condonation_percent,
                        amount=agreement.currency_id.format(agreement.amount_balance),
                    ),
                    user_id=approver.id,
                )
        return True

    def _check_ready(self):
        """The terms on the installments' current balances (a payment may
        have come meanwhile), with a schedule that adds up."""
        self.ensure_one()
        if not self.replaced_installment_ids:
            raise UserError(_("Choose the installments the agreement refinances."))
        self.sudo().write(self._plan_values())
        self._check_terms()
        if not self.line_ids:
            raise UserError(_("The agreement has no schedule: check its terms."))

    def _approvers(self):
        """Who is asked to approve: the level's approver, else the team's
        supervisor for a supervisor level, else the company's managers."""
        self.ensure_one()
        level = self.level_id
        if level.approver_id:
            return level.approver_id
        supervisor = self.case_id.team_id.supervisor_id
        if level.group_id == self.env.ref("debt_collection.group_collection_supervisor") and supervisor:
            return supervisor
        managers = self.env.ref("debt_collection.group_collection_manager").users
        return managers.filtered(
            lambda u: self.company_id in u.company_ids and not u.share and u.active and not u._is_superuser()
        )

    def _may_approve(self, user):
        """Whether ``user`` holds the group of the agreement's level (a
        manager may approve every level; a supervisor only the cases of the
        teams they lead)."""
        self.ensure_one()
        group = self.level_id.group_id
        if not group or user.has_group("debt_collection.group_collection_manager"):
            return True
        if self.level_id.approver_id:
            return self.level_id.approver_id == user
        if group not in user.groups_id:
            return False
        supervisor_group = self.env.ref("debt_collection.group_collection_supervisor")
        if group == supervisor_group:
            return self.case_id.team_id.supervisor_id == user
        return True

    def action_approve(self):
        for agreement in self:
            if agreement.state != "to_approve":
                raise UserError(_("Only agreements awaiting approval can be approved."))
            agreement.check_access("write")
            # on the current balances: a payment since the submission may raise the level
            agreement._check_ready()
            if not agreement._may_approve(self.env.user):
                raise AccessError(
                    _(
                        "The agreement %(name)s needs the approval of the level %(level)s (condonation "
                        "%(percent).2f%%, %(count)s installments, %(amount)s).",
                        name=agreement.name,
                        level=agreement.level_id.name,
                        percent=agreement.condonation_percent,
                        count=agreement.installment_count,
                        amount=agreement.currency_id.format(agreement.amount_balance),
                    )
                )
            agreement._approve()
        return True

    def _approve(self):
        """Refinance the replaced installments and create the plan's (the
        terms were checked on the current balances by the caller)."""
        self.ensure_one()
        case = self.case_id
        if case.state != "open":
            raise UserError(_("The case %s was closed meanwhile: the agreement can no longer be approved.", case.name))
        today = fields.Date.context_today(self)
        if self.first_due_date < today:
            raise UserError(
                _(
                    "The first installment of %s would already be due: put it back to draft and move its date.",
                    self.name,
                )
            )
        replaced = self.replaced_installment_ids
        replaced._lock_for_payment(case)
        stale = replaced.filtered(lambda i: i.state not in ("pending", "partial"))
        if stale:
            raise UserError(
                _(
                    "These installments were paid or changed meanwhile; review the agreement: %s",
                    ", ".join(stale.mapped("name")),
                )
            )
        previous_stage = case.stage_id
        Installment = self.env["collection.installment"].sudo()
        # the new schedule first: the case never looks settled in between
        Installment.create(
            [
                {
                    "case_id": case.id,
                    "agreement_id": self.id,
                    "name": _("%(plan)s down payment", plan=self.name)
                    if line.is_down_payment
                    else _(
                        "%(plan)s installment %(number)s/%(count)s",
                        plan=self.name,
                        number=line.sequence,
                        count=self.installment_count,
                    ),
                    "sequence": line.sequence,
                    # a down payment agreed earlier is due on the day the plan starts
                    "date_due": max(line.date_due, today) if line.is_down_payment else line.date_due,
                    "amount": line.amount,
                    "contract_ref": self.name,
                }
                for line in self.line_ids
            ]
        )
        replaced.sudo().write({"state": "refinanced"})
        self.env.flush_all()
        plan_stage = self.env.ref("debt_collection.collection_stage_agreement", raise_if_not_found=False)
        self.sudo().write(
            {
                "state": "active",
                "approver_id": self.env.uid,
                # the transaction's time: reconciliations from now on count for the plan
                "date_approved": self.env.cr.now(),
                "previous_stage_id": previous_stage.id,
                "date_original_due": min(replaced.mapped(lambda i: i.date_aging or i.date_due)),
                "amount_residual_approved": sum(replaced.sudo().move_line_id.mapped("amount_residual")),
            }
        )
        if plan_stage:
            case.sudo().stage_id = plan_stage
        if self.kind == "internal" and self.amount_condonation:
            self._request_credit_note()
        self.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_todo")
        ).sudo().action_feedback(feedback=_("Approved"))
        self._log(
            "approval",
            _(
                "Payment agreement %(name)s approved by %(user)s (%(level)s): %(count)s installments, %(total)s.",
                name=self.name,
                user=self.env.user.name,
                level=self.level_id.name or _("no approval needed"),
                count=self.installment_count,
                total=self.currency_id.format(self.amount_total),
            ),
        )
        if self.amount_condonation:
            self._log(
                "write_off",
                _(
                    "%(amount)s condoned by the payment agreement %(name)s.",
                    amount=self.currency_id.format(self.amount_condonation),
                    name=self.name,
                ),
            )

    def _request_credit_note(self):
        """Own invoices: a to-do for the salesperson of the oldest invoice
        to issue the credit note of the condoned amount."""
        invoice = self.sudo().replaced_installment_ids.move_id.sorted("invoice_date_due")[:1]
        if invoice:
            invoice.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Credit note for payment agreement %s", self.name),
                note=_(
                    "The payment agreement %(name)s condones %(amount)s of this debt: issue the credit note.",
                    name=self.name,
                    amount=self.currency_id.format(self.amount_condonation),
                ),
                user_id=(invoice.invoice_user_id or self.env.user).id,
            )

    def action_reject(self):
        for agreement in self.filtered(lambda a: a.state == "to_approve"):
            agreement.check_access("write")
            # on the current balances: a payment since the submission may raise the level
            agreement._check_ready()
            if not agreement._may_approve(self.env.user):
                raise AccessError(_("Only the approvers of the agreement %s can reject it.", agreement.name))
            agreement.sudo().write({"state": "rejected", "date_closed": fields.Date.context_today(self)})
            agreement.activity_unlink(["mail.mail_activity_data_todo"])
            agreement._log("approval", _("Payment agreement %s rejected.", agreement.name))
        return True

    def action_cancel(self):
        for agreement in self.filtered(lambda a: a.state in ("draft", "to_approve")):
            agreement.check_access("write")
            agreement.sudo().write({"state": "cancelled", "date_closed": fields.Date.context_today(self)})
            agreement.activity_unlink(["mail.mail_activity_data_todo"])
        return True

    def action_draft(self):
        """Back to draft to change the terms (withdrawn from approval)."""
        for agreement in self.filtered(lambda a: a.state in ("to_approve", "rejected", "cancelled")):
            agreement.activity_unlink(["mail.mail_activity_data_todo"])
            agreement.check_access("write")
            agreement.sudo().write({"state": "draft", "date_closed": False})
        return True

    def action_print(self):
        self.ensure_one()
        self.check_access("read")
        return self.env.ref("debt_collection.action_report_collection_agreement").report_action(self)

    def _log(self, event_type, description):
        self.ensure_one()
        self.env["collection.event"]._log(
            event_type, description, cases=self.case_id, payload={"agreement_id": self.id, "state": self.state}
        )
        self.case_id.message_post(body=description, subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------
    # Daily follow-up
    # ------------------------------------------------------------------
    @api.model
    def _cron_follow_agreements(self):
        """Active agreements paid in full are completed; those with an
        installment unpaid past the company's grace days are broken and
        their case goes back to its former stage."""
        today = fields.Date.context_today(self)
        active = self.sudo().search([("state", "=", "active")])
        completed = active.filtered(lambda a: a.installment_ids and all(i.state == "paid" for i in a.installment_ids))
        for agreement in completed:
            agreement.write({"state": "completed", "date_closed": today})
            case = agreement.case_id
            if case.state == "open" and case.stage_id.code == "agreement" and agreement.previous_stage_id:
                case.stage_id = agreement.previous_stage_id
            agreement._log("approval", _("Payment agreement %s completed: paid in full.", agreement.name))
        # a payment cancelled after completion opens the plan again
        reopened = (
            self.sudo()
            .search([("state", "=", "completed")])
            .filtered(lambda a: any(i.state in ("pending", "partial") for i in a.installment_ids))
        )
        for agreement in reopened:
            agreement.write({"state": "active", "date_closed": False})
            agreement._log(
                "approval", _("Payment agreement %s is running again: a payment was cancelled.", agreement.name)
            )
        active |= reopened
        broken = (active - completed).filtered(
            lambda a: any(
                i.state in ("pending", "partial")
                and i.date_due + timedelta(days=a.company_id.collection_promise_grace_days) < today
                for i in a.installment_ids
            )
        )
        for agreement in broken:
            case = agreement.case_id
            agreement.write({"state": "broken", "date_closed": today})
            if case.state == "open" and agreement.previous_stage_id:
                case.stage_id = agreement.previous_stage_id
            case.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Payment agreement broken"),
                note=_("An installment of the payment agreement %s is unpaid after the grace days.", agreement.name),
                user_id=(case.user_id or agreement.user_id).id,
            )
            agreement._log("approval", _("Payment agreement %s broken: an installment is unpaid.", agreement.name))
        return {"completed": completed.ids, "broken": broken.ids}


class CollectionAgreementLine(models.Model):
    """One installment of an agreement's schedule (the simulation, then
    the plan the approval creates)."""

    _name = "collection.agreement.line"
    _description = "Payment Agreement Schedule Line"
    _order = "agreement_id, sequence, id"

    agreement_id = fields.Many2one("collection.agreement", required=True, ondelete="cascade", index=True)
    currency_id = fields.Many2one(related="agreement_id.currency_id")
    sequence = fields.Integer("No.")
    is_down_payment = fields.Boolean()
    date_due = fields.Date("Due Date")
    principal = fields.Monetary()
    interest = fields.Monetary()
    fee = fields.Monetary()
    amount = fields.Monetary("Installment")
    balance = fields.Monetary("Principal Left")


class CollectionAgreementLevel(models.Model):
    """Who approves a payment agreement: the first level (by sequence)
    whose limits the agreement stays within; the last level approves
    everything beyond (its limits are not used)."""

    _name = "collection.agreement.level"
    _description = "Payment Agreement Approval Level"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one("res.company", help="Leave empty to apply the level in every company.")
    group_id = fields.Many2one(
        "res.groups",
        string="Approved By Group",
        required=True,
        domain=lambda self: [("category_id", "=", self.env.ref("debt_collection.module_category_collections").id)],
        help="Collector: approved at once by whoever submits it. Supervisor: the supervisor of the case's team. "
        "Manager: a collections manager.",
    )
    approver_id = fields.Many2one("res.users", help="Ask this person rather than the group.")
    max_condonation_percent = fields.Float("Max. Condonation (%)", digits=(5, 2))
    max_installments = fields.Integer("Max. Installments")
    max_amount = fields.Float("Max. Debt Refinanced", help="In the company's currency.")
    max_first_due_days = fields.Integer(
        "Max. Days to First Installment",
        default=30,
        help="Latest first due date of the plan, in days after the agreement date. 0 means no limit.",
    )
    max_term_months = fields.Integer(
        "Max. Plan Length (Months)",
        default=6,
        help="Latest due date of the plan's last installment, in months after the agreement date. 0 means no limit.",
    )

    def _accepts(self, condonation_percent, installments, amount):
        self.ensure_one()
        return (
            condonation_percent <= self.max_condonation_percent + 1e-6
            and installments <= self.max_installments
            and amount <= self.max_amount + 1e-6
        )

    def _accepts_term(self, start, first_due, last_due):
        """Whether a plan agreed on ``start``, first due on ``first_due`` and
        last due on ``last_due`` stays within the level's term limits."""
        self.ensure_one()
        if self.max_first_due_days and first_due > start + timedelta(days=self.max_first_due_days):
            return False
        return not (self.max_term_months and last_due > start + relativedelta(months=self.max_term_months))
