from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError

DISPUTE_STATES = [
    ("open", "Open"),
    ("review", "In review"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
]
OPEN_DISPUTE_STATES = ("open", "review")
# what a user gives when opening a dispute; its state, dates and write-off come from its review
USER_FIELDS = {"case_id", "reason_id", "installment_ids", "amount", "description", "user_id", "interaction_id"}


class CollectionDisputeReason(models.Model):
    _name = "collection.dispute.reason"
    _description = "Dispute Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)


class CollectionDispute(models.Model):
    """A debtor's claim or request for clarification on some installments
    (or invoices, for internal portfolios).

    While a dispute is open or in review, the installments it covers stay
    on the case and its balance, but they leave the overdue amount, the days
    overdue and the priority score that drive escalation, and automatic
    actions skip them. Accepting it writes the amount off (external
    portfolios) or asks accounting for a credit note (internal ones)."""

    _name = "collection.dispute"
    _description = "Collection Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_opened desc, id desc"
    _check_company_auto = True

    name = fields.Char("Reference", required=True, readonly=True, copy=False, default=lambda self: _("New"))
    case_id = fields.Many2one(
        "collection.case", required=True, index=True, ondelete="restrict", check_company=True, tracking=True
    )
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True, precompute=True, string="Debtor")
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True, precompute=True)
    kind = fields.Selection(related="case_id.kind")
    reason_id = fields.Many2one("collection.dispute.reason", required=True, tracking=True)
    installment_ids = fields.Many2many(
        "collection.installment",
        "collection_dispute_installment_rel",
        "dispute_id",
        "installment_id",
        string="Installments Contested",
        check_company=True,
        domain="[('case_id', '=', case_id), ('state', 'in', ('pending', 'partial'))]",
    )
    invoice_ids = fields.Many2many("account.move", compute="_compute_invoice_ids", string="Invoices Contested")
    amount_covered = fields.Monetary(
        "Balance Contested", compute="_compute_amount_covered", help="Open balance of the installments contested."
    )
    amount = fields.Monetary(
        "Disputed Amount",
        compute="_compute_amount",
        store=True,
        readonly=False,
        tracking=True,
        help="What the debtor contests; by default the whole balance of the installments.",
    )
    amount_written_off = fields.Monetary(readonly=True)
    description = fields.Text("Debtor's Claim")
    resolution = fields.Text()
    state = fields.Selection(DISPUTE_STATES, required=True, default="open", tracking=True, index=True, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        default=lambda self: self.env.user,
        help="Who reviews the dispute.",
    )
    date_opened = fields.Date(required=True, default=fields.Date.context_today, readonly=True)
    date_closed = fields.Date(readonly=True)
    interaction_id = fields.Many2one(
        "collection.interaction", index="btree_not_null", readonly=True, ondelete="restrict", check_company=True
    )

    @api.depends("installment_ids.move_id")
    def _compute_invoice_ids(self):
        for dispute in self:
            dispute.invoice_ids = dispute.sudo().installment_ids.move_id.with_env(self.env)

    @api.depends("installment_ids.amount_residual")
    def _compute_amount_covered(self):
        for dispute in self:
            dispute.amount_covered = sum(dispute.installment_ids.mapped("amount_residual"))

    @api.depends("installment_ids")
    def _compute_amount(self):
        for dispute in self:
            if dispute.state in OPEN_DISPUTE_STATES:
                dispute.amount = sum(dispute.installment_ids.mapped("amount_residual"))

    @api.constrains("installment_ids", "amount", "state", "case_id")
    def _check_installments(self):
        for dispute in self.filtered(lambda d: d.state in OPEN_DISPUTE_STATES):
            installments = dispute.installment_ids
            if not installments:
                raise ValidationError(_("Choose the installments the debtor contests."))
            if installments.case_id != dispute.case_id:
                raise ValidationError(_("A dispute can only cover installments of its own case."))
            currency = dispute.currency_id
            if currency.compare_amounts(dispute.amount, 0.0) <= 0:
                raise ValidationError(_("The disputed amount must be positive."))
            if currency.compare_amounts(dispute.amount, dispute.amount_covered) > 0:
                raise ValidationError(
                    _(
                        "The disputed amount (%(amount)s) is larger than the open balance of the installments "
                        "contested (%(covered)s).",
                        amount=currency.format(dispute.amount),
                        covered=currency.format(dispute.amount_covered),
                    )
                )
            others = self.search(
                [
                    ("installment_ids", "in", installments.ids),
                    ("id", "!=", dispute.id),
                    ("state", "in", OPEN_DISPUTE_STATES),
                ],
                limit=1,
            )
            if others:
                raise ValidationError(
                    _(
                        "Installments already contested in the open dispute %s: add the claim to it instead.",
                        others[0].name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if not self.env.su:
                refused = set(vals) - USER_FIELDS
                if vals.get("state", "open") == "open":
                    refused.discard("state")
                if refused:
                    raise AccessError(
                        _(
                            "These details of a dispute are set by its review: %s. Open it, then accept or "
                            "reject it with its buttons.",
                            ", ".join(sorted(refused)),
                        )
                    )
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = sequence.next_by_code("collection.dispute") or _("New")
        disputes = super().create(vals_list)
        for dispute in disputes:
            if dispute.case_id.state != "open":
                raise UserError(_("A dispute can only be opened on an open case (%s).", dispute.case_id.name))
            supervisor = dispute.case_id.team_id.supervisor_id
            if supervisor and dispute.user_id != supervisor:
                dispute.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=_("Review dispute %s", dispute.name),
                    user_id=supervisor.id,
                )
            dispute._log_event(
                _("Dispute %(name)s opened: %(reason)s.", name=dispute.name, reason=dispute.reason_id.name)
            )
        return disputes

    def write(self, vals):
        if not self.env.su:
            if "state" in vals or "amount_written_off" in vals:
                raise AccessError(_("Use the dispute's buttons to change its state."))
            refused = set(vals) - USER_FIELDS - {"resolution"} - set(self.env["mail.thread"]._fields)
            refused -= set(self.env["mail.activity.mixin"]._fields)
            if refused:
                raise AccessError(
                    _("These details of a dispute are set by its review: %s.", ", ".join(sorted(refused)))
                )
            closed = self.filtered(lambda d: d.state not in OPEN_DISPUTE_STATES)
            if closed and set(vals) - {"resolution", "message_main_attachment_id"}:
                raise UserError(_("A dispute that was accepted or rejected can no longer be changed."))
        return super().write(vals)

    def unlink(self):  # pylint: disable=method-required-super
        self.check_access("unlink")
        raise UserError(_("Disputes are kept in the case history and cannot be deleted; reject them instead."))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_supervisor(self):
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can review, accept or reject a dispute."))
        self.check_access("write")

    def action_review(self):
        self._check_supervisor()
        disputes = self.filtered(lambda d: d.state == "open")
        disputes.sudo().write({"state": "review"})
        for dispute in disputes:
            dispute._log_event(_("Dispute %s taken in review.", dispute.name))

    def action_reject(self):
        self._check_supervisor()
        disputes = self.filtered(lambda d: d.state in OPEN_DISPUTE_STATES)
        disputes.sudo().write({"state": "rejected", "date_closed": fields.Date.context_today(self)})
        for dispute in disputes:
            dispute._log_event(_("Dispute %s rejected: the debt stands.", dispute.name))

    def action_accept(self):
        """Accept the claim: external portfolios write the disputed amount
        off the installments, oldest due first; internal portfolios follow
        accounting, so a credit note is asked for on the invoices."""
        self._check_supervisor()
        for dispute in self.filtered(lambda d: d.state in OPEN_DISPUTE_STATES):
            written_off = 0.0
            if dispute.kind == "internal":
                dispute._request_credit_note()
            else:
                written_off = dispute.installment_ids.sudo()._write_off(dispute.amount)
            dispute.sudo().write(
                {
                    "state": "accepted",
                    "date_closed": fields.Date.context_today(self),
                    "amount_written_off": written_off,
                }
            )
            if written_off:
                self.env["collection.event"]._log(
                    "write_off",
                    _(
                        "%(amount)s written off after the dispute %(name)s was accepted.",
                        amount=dispute.currency_id.format(written_off),
                        name=dispute.name,
                    ),
                    cases=dispute.case_id,
                    payload={"dispute_id": dispute.id, "amount": written_off},
                )
            dispute._log_event(_("Dispute %s accepted.", dispute.name))

    def _request_credit_note(self):
        """Accepted on own invoices: a to-do for the invoices' salesperson
        (or the accepting user) to issue the credit note in Accounting."""
        self.ensure_one()
        for invoice in self.sudo().invoice_ids:
            invoice.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Credit note for dispute %s", self.name),
                note=_(
                    "The collection dispute %(name)s was accepted for %(amount)s (%(reason)s): issue a credit note.",
                    name=self.name,
                    amount=self.currency_id.format(self.amount),
                    reason=self.reason_id.name,
                ),
                user_id=(invoice.invoice_user_id or self.env.user).id,
            )

    def action_credit_note(self):
        """Open Accounting's credit-note wizard on the contested invoices."""
        self.ensure_one()
        self.check_access("read")
        if not self.invoice_ids:
            raise UserError(_("This dispute covers no invoice."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Credit Note"),
            "res_model": "account.move.reversal",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": "account.move",
                "active_ids": self.invoice_ids.ids,
                "default_reason": _("Collection dispute %s", self.name),
            },
        }

    def _log_event(self, description):
        self.ensure_one()
        self.env["collection.event"]._log(
            "dispute", description, cases=self.case_id, payload={"dispute_id": self.id, "state": self.state}
        )
        self.case_id.message_post(body=description, subtype_xmlid="mail.mt_note")
