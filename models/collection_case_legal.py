"""Litigation: a case handed over to a lawyer, its legal data, actions and
costs, its outcome, and its return to the collectors."""

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools import SQL

LEGAL_OUTCOMES = [
    ("judgment", "Judgment"),
    ("settlement", "Settlement"),
    ("uncollectable", "Uncollectable"),
]
# what a lawyer may write on the cases handed to them
LAWYER_FIELDS = {"legal_court", "legal_file_number", "legal_filing_date", "legal_action_ids"}


class CollectionLegalAction(models.Model):
    _name = "collection.legal.action"
    _description = "Legal Action"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one("collection.case", required=True, index=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    name = fields.Char("Action", required=True, help="Filing, hearing, judgment, appeal, seizure...")
    note = fields.Text()
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user, readonly=True)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The legal actions log keeps every action: correct it with a new one."))


class CollectionCase(models.Model):
    _inherit = "collection.case"

    lawyer_id = fields.Many2one(
        "res.partner",
        readonly=True,
        index="btree_not_null",
        copy=False,
        domain="[('collection_is_lawyer', '=', True)]",
    )
    legal_date = fields.Date("In Litigation Since", readonly=True, copy=False)
    legal_court = fields.Char("Court", copy=False)
    legal_file_number = fields.Char("Court File Number", copy=False)
    legal_filing_date = fields.Date("Filing Date", copy=False)
    legal_outcome = fields.Selection(LEGAL_OUTCOMES, string="Outcome", readonly=True, copy=False)
    legal_outcome_date = fields.Date("Outcome Date", readonly=True, copy=False)
    legal_previous_user_id = fields.Many2one(
        "res.users", string="Collector Before Litigation", readonly=True, copy=False
    )
    legal_action_ids = fields.One2many("collection.legal.action", "case_id", string="Legal Actions")

    # ------------------------------------------------------------------
    # Hand-over and return
    # ------------------------------------------------------------------
    def _litigation_stage(self):
        self.ensure_one()
        stages = self.env["collection.stage"].sudo().search([("code", "=", "litigation")])
        return (
            stages.filtered(lambda s: s.company_id == self.company_id)[:1]
            or stages.filtered(lambda s: not s.company_id)[:1]
        )

    def _hand_to_lawyer(self, lawyer, note=False):
        """The case goes to litigation with ``lawyer``: the litigation stage,
        out of its collector's hands (work list, Today list, queues),
        strategies stop; the lawyer's users get a task."""
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Handing a case over to a lawyer is for supervisors."))
        self.check_access("write")
        if not lawyer.sudo().collection_is_lawyer:
            raise UserError(_("%s is not marked as a lawyer or law firm.", lawyer.display_name))
        today = fields.Date.context_today(self)
        for case in self:
            if case.state != "open":
                raise UserError(_("The case %s is closed.", case.name))
            if case.lawyer_id:
                raise UserError(
                    _("The case %(case)s is already with %(lawyer)s.", case=case.name, lawyer=case.lawyer_id.name)
                )
            stage = case._litigation_stage()
            if not stage:
                raise UserError(_("There is no litigation stage."))
            previous = case.user_id
            case.sudo().write(
                {
                    "lawyer_id": lawyer.id,
                    "legal_date": today,
                    "legal_outcome": False,
                    "legal_outcome_date": False,
                    "legal_previous_user_id": previous.id,
                    "stage_id": stage.id,
                    "queue_team_id": False,
                    "user_id": False,
                }
            )
            self.env["collection.legal.action"].sudo().create(
                {"case_id": case.id, "name": _("Handed over to %s", lawyer.name), "note": note or False}
            )
            self.env["collection.event"].sudo()._log(
                "litigation",
                _("Case handed over to the lawyer %(lawyer)s.", lawyer=lawyer.name) + (f" {note}" if note else ""),
                cases=case,
                payload={"lawyer_id": lawyer.id, "previous_user_id": previous.id},
            )
            for user in lawyer._collection_lawyer_users():
                case.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=_("Case handed over for litigation"),
                    note=note or "",
                    user_id=user.id,
                )
        return True

    def _return_from_litigation(self, reason):
        """The case comes back to its collector, with a reason; the automatic
        stage follows its days overdue again."""
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Taking a case back from litigation is for supervisors."))
        self.check_access("write")
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Say why the case comes back from litigation."))
        for case in self:
            if not case.lawyer_id:
                raise UserError(_("The case %s is not in litigation.", case.name))
            lawyer = case.lawyer_id
            stage = (
                self.env["collection.stage"]
                .sudo()
                .search([("code", "=", "delinquent"), ("company_id", "in", [False, case.company_id.id])], limit=1)
            )
            case.sudo().write(
                {
                    "lawyer_id": False,
                    "stage_id": stage.id or case.stage_id.id,
                    "user_id": case.legal_previous_user_id.id,
                }
            )
            self.env["collection.legal.action"].sudo().create(
                {"case_id": case.id, "name": _("Back from litigation"), "note": reason}
            )
            self.env["collection.event"].sudo()._log(
                "litigation",
                _("Case back from litigation with %(lawyer)s: %(reason)s", lawyer=lawyer.name, reason=reason),
                cases=case,
                payload={"lawyer_id": lawyer.id},
            )
        self.env["collection.case"]._refresh_aging(self.ids)
        return True

    def _set_legal_outcome(self, outcome, note=False):
        """Record the outcome; uncollectable writes the balance off and closes
        the case."""
        self.check_access("write")
        today = fields.Date.context_today(self)
        labels = dict(LEGAL_OUTCOMES)
        for case in self:
            if not case.lawyer_id:
                raise UserError(_("The case %s is not in litigation.", case.name))
            case._check_lawyer_or_supervisor()
            case.sudo().write({"legal_outcome": outcome, "legal_outcome_date": today})
            self.env["collection.legal.action"].sudo().create(
                {"case_id": case.id, "name": _("Outcome: %s", labels[outcome]), "note": note or False}
            )
            self.env["collection.event"].sudo()._log(
                "litigation", _("Litigation outcome: %s.", labels[outcome]), cases=case, payload={"outcome": outcome}
            )
            if outcome == "uncollectable":
                case.sudo()._write_off_uncollectable(note or labels[outcome])
        return True

    def _write_off_uncollectable(self, note):
        """Write the open installments off and close the case as written off."""
        self.ensure_one()
        open_ones = self.installment_ids.filtered(lambda i: i.state in ("pending", "partial"))
        for installment in open_ones:
            installment.write({"amount_written_off": installment.amount_residual + installment.amount_written_off})
        self.env.flush_all()
        self._close("written_off", note)
        self.env["collection.event"].sudo()._log(
            "write_off", _("Written off as uncollectable after litigation."), cases=self
        )

    def _check_lawyer_or_supervisor(self):
        self.ensure_one()
        user = self.env.user
        if user.has_group("debt_collection.group_collection_supervisor") or self.env.su:
            return
        if user not in self.lawyer_id._collection_lawyer_users():
            raise AccessError(_("Only the case's lawyer or a supervisor records its litigation."))

    def _add_legal_cost(self, amount, description, date_due=None):
        """A legal cost or fee charged to the debtor: an installment of kind
        *legal cost* on an external case (on own invoices, charge it with an
        invoice in Accounting)."""
        self.ensure_one()
        self._check_lawyer_or_supervisor()
        if self.kind == "internal":
            raise UserError(_("Legal costs of a case on your own invoices are charged with an invoice in Accounting."))
        if not self.lawyer_id:
            raise UserError(_("Legal costs are charged to cases in litigation."))
        if self.currency_id.compare_amounts(amount, 0.0) <= 0:
            raise UserError(_("A legal cost is a positive amount."))
        installment = (
            self.env["collection.installment"]
            .sudo()
            .create(
                {
                    "case_id": self.id,
                    "name": description,
                    "kind": "legal_cost",
                    "amount": self.currency_id.round(amount),
                    "date_due": date_due or fields.Date.context_today(self),
                    "sequence": 1000,
                }
            )
        )
        self.env["collection.legal.action"].sudo().create(
            {
                "case_id": self.id,
                "name": _("Legal cost charged: %s", description),
                "note": self.currency_id.format(amount),
            }
        )
        return installment

    # ------------------------------------------------------------------
    # Lawyers' writes
    # ------------------------------------------------------------------
    @api.model
    def _lawyer_writable_fields(self):
        return LAWYER_FIELDS

    def action_legal(self):
        """The litigation dialog: hand over, record an outcome or a cost, or
        take the case back."""
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case.legal",
            "view_mode": "form",
            "target": "new",
            "name": _("Litigation"),
            "context": {"default_case_ids": self.ids},
        }

    def action_schedule_hearing(self):
        self.ensure_one()
        self.check_access("read")
        hearing = self.env.ref("debt_collection.mail_activity_type_collection_hearing", raise_if_not_found=False)
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.activity",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": _("Next Hearing"),
            "context": {
                "default_res_model_id": self.env["ir.model"]._get_id("collection.case"),
                "default_res_id": self.id,
                "default_activity_type_id": hearing.id if hearing else False,
                "default_user_id": self.env.uid,
            },
        }

    @api.model
    def _lawyer_fees(self, date_from, date_to):
        """[(lawyer, currency, collected, fee)] of the payments posted in
        the period on cases in litigation."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.lawyer_id, c.currency_id, SUM(p.amount_allocated), SUM(p.lawyer_fee_amount)
                  FROM collection_payment p JOIN collection_case c ON c.id = p.case_id
                 WHERE p.state = 'posted' AND p.lawyer_id IS NOT NULL AND p.date BETWEEN %s AND %s
                   AND c.company_id = ANY(%s)
                 GROUP BY p.lawyer_id, c.currency_id
                """,
                date_from,
                date_to,
                self.env.companies.ids,
            )
        )
        Partner, Currency = self.env["res.partner"], self.env["res.currency"]
        return [
            (Partner.browse(lawyer), Currency.browse(currency), collected, fee)
            for lawyer, currency, collected, fee in self.env.cr.fetchall()
        ]
