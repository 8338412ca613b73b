"""Remittances to creditors: what was collected on an external portfolio in a
period, the agency's commission, the net owed to the creditor, and the
commission rules both remittances and collector settlements use."""

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools import xlsx
from .collection_payment import PAYMENT_METHODS


class CollectionCommissionRule(models.Model):
    """One commission rate of a portfolio.

    ``agency`` rules say what the agency charges the creditor, ``collector``
    rules what the agency pays its collector. A payment is matched on the
    days it was overdue when collected (its date minus the oldest aging date
    of the installments it paid, 0 when paid before the due date): a rule for
    the payment's collector wins over a rule for everybody, and among those
    the range containing the days, the highest ``days_from`` first. Without
    an agency rule the portfolio's commission rate applies; without a
    collector rule the collector earns nothing on the payment. The matching
    is done in SQL for all payments at once (``_payment_rows``).
    """

    _name = "collection.commission.rule"
    _description = "Commission Rule"
    _order = "portfolio_id, kind, user_id, days_from, id"
    _check_company_auto = True

    portfolio_id = fields.Many2one("collection.portfolio", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="portfolio_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [("agency", "Agency (charged to the creditor)"), ("collector", "Collector (paid by the agency)")],
        required=True,
        default="agency",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Collector",
        check_company=True,
        help="Only for the payments this collector collected; empty: every collector.",
    )
    days_from = fields.Integer("From Days Overdue", default=0, required=True)
    days_to = fields.Integer("To Days Overdue", help="Included; 0: no upper limit.")
    rate = fields.Float("Rate (%)", digits=(5, 2), required=True)

    @api.constrains("days_from", "days_to", "rate")
    def _check_range(self):
        for rule in self:
            if rule.days_from < 0 or rule.days_to < 0:
                raise ValidationError(_("The days overdue of a commission rule cannot be negative."))
            if rule.days_to and rule.days_to < rule.days_from:
                raise ValidationError(_("A commission rule's day range ends before it starts."))
            if not 0 <= rule.rate <= 100:
                raise ValidationError(_("A commission rate is between 0 and 100%."))

    @api.model
    def _payment_rows(self, condition):
        """One dict per posted or cancelled payment matching ``condition``
        (an ``SQL`` on the alias ``p`` = collection_payment), in one query:
        date, debtor, collector, method, amount in the portfolio currency,
        days overdue at collection, the installments paid, and the agency and
        collector rates and commissions (rounded by the portfolio currency).

        The amount is ``amount_case``: all the debtor paid, converted to the
        portfolio's currency (what is owed to the creditor, credit kept on
        the case included)."""

        def rate_of(kind):
            return SQL(
                """(SELECT r.rate FROM collection_commission_rule r
                     WHERE r.portfolio_id = p.portfolio_id AND r.kind = %s
                       AND (r.user_id IS NULL OR r.user_id = p.user_id)
                       AND r.days_from <= d.days_overdue
                       AND (COALESCE(r.days_to, 0) = 0 OR r.days_to >= d.days_overdue)
                     ORDER BY r.user_id IS NULL, r.days_from DESC, r.id
                     LIMIT 1)""",
                kind,
            )

        query = SQL(
            """
            SELECT p.id AS payment_id, p.date, p.partner_id, p.method, p.user_id, p.portfolio_id,
                   p.company_id, pf.currency_id, p.amount_case AS amount, p.state,
                   d.days_overdue, COALESCE(d.installments, '') AS installments,
                   rates.agency_rate, rates.collector_rate,
                   ROUND(p.amount_case * rates.agency_rate / 100.0 / cur.rounding) * cur.rounding
                       AS agency_commission,
                   ROUND(p.amount_case * rates.collector_rate / 100.0 / cur.rounding) * cur.rounding
                       AS collector_commission
              FROM collection_payment p
              JOIN collection_portfolio pf ON pf.id = p.portfolio_id
              JOIN res_currency cur ON cur.id = pf.currency_id
              CROSS JOIN LATERAL (
                    SELECT GREATEST(COALESCE(p.date - MIN(COALESCE(i.date_aging, i.date_due)), 0), 0)
                               AS days_overdue,
                           STRING_AGG(i.name, ', ' ORDER BY i.date_due, i.id) AS installments
                      FROM collection_payment_line pl
                      JOIN collection_installment i ON i.id = pl.installment_id
                     WHERE pl.payment_id = p.id
              ) d
              CROSS JOIN LATERAL (
                    SELECT COALESCE(%(agency)s, pf.commission_rate, 0)::numeric AS agency_rate,
                           COALESCE(%(collector)s, 0)::numeric AS collector_rate
              ) rates
             WHERE %(condition)s
             ORDER BY p.date, p.id
            """,
            agency=rate_of("agency"),
            collector=rate_of("collector"),
            condition=condition,
        )
        self.env["collection.payment"].flush_model()
        self.env["collection.payment.line"].flush_model()
        self.env["collection.installment"].flush_model(["date_aging", "date_due", "name"])
        self.flush_model()
        self.env.cr.execute(query)
        rows = self.env.cr.dictfetchall()
        numeric = ("amount", "agency_rate", "collector_rate", "agency_commission", "collector_commission")
        for row in rows:
            row.update({key: float(row[key] or 0.0) for key in numeric})
        return rows


class CollectionRemittance(models.Model):
    """What the agency hands over to a creditor for one external portfolio
    and period.

    *Compute* lists the posted payments of the period not yet in a sent
    remittance, and the remitted payments reversed since (negative lines),
    in one SQL statement. *Mark as sent* freezes them: the payments point at
    the remittance and cannot be cancelled any more except by a supervisor's
    reversal (``collection.payment.action_reverse_remitted``), which the next
    remittance of the portfolio reports. Managers create, compute and send
    remittances; supervisors read and print those of their teams'
    portfolios; auditors read them; collectors have no access.
    """

    _name = "collection.remittance"
    _description = "Creditor Remittance"
    _inherit = ["mail.thread"]
    _order = "date_to desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: _("New"))
    portfolio_id = fields.Many2one(
        "collection.portfolio",
        required=True,
        index=True,
        check_company=True,
        domain="[('kind', '=', 'external')]",
        tracking=True,
    )
    company_id = fields.Many2one(related="portfolio_id.company_id", store=True, index=True, precompute=True)
    currency_id = fields.Many2one(related="portfolio_id.currency_id", store=True, precompute=True)
    creditor_id = fields.Many2one(related="portfolio_id.creditor_id", string="Creditor")
    date_from = fields.Date("From", required=True, tracking=True)
    date_to = fields.Date("To", required=True, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("sent", "Sent"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
        index=True,
    )
    line_ids = fields.One2many("collection.remittance.line", "remittance_id", string="Payments", readonly=True)
    payment_count = fields.Integer(compute="_compute_totals")
    amount_collected = fields.Monetary("Collected", compute="_compute_totals")
    amount_reversed = fields.Monetary("Reversals", compute="_compute_totals")
    amount_commission = fields.Monetary("Agency Commission", compute="_compute_totals")
    amount_collector_commission = fields.Monetary("Collectors' Commission", compute="_compute_totals")
    amount_net = fields.Monetary("Net to Remit", compute="_compute_totals")
    date_sent = fields.Datetime(readonly=True, copy=False)
    sent_by_id = fields.Many2one("res.users", readonly=True, copy=False)

    @api.depends("line_ids.amount", "line_ids.agency_commission", "line_ids.net")
    def _compute_totals(self):
        groups = self.env["collection.remittance.line"]._read_group(
            [("remittance_id", "in", self.ids)],
            ["remittance_id", "is_reversal"],
            ["__count", "amount:sum", "agency_commission:sum", "collector_commission:sum", "net:sum"],
        )
        totals = {}
        for remittance, reversal, count, amount, commission, collector, net in groups:
            t = totals.setdefault(remittance.id, dict.fromkeys(("count", "in", "out", "com", "col", "net"), 0))
            t["count"] += 0 if reversal else count
            t["out" if reversal else "in"] += amount
            t["com"] += commission
            t["col"] += collector
            t["net"] += net
        for remittance in self:
            t = totals.get(remittance.id, {})
            remittance.payment_count = t.get("count", 0)
            remittance.amount_collected = t.get("in", 0.0)
            remittance.amount_reversed = t.get("out", 0.0)
            remittance.amount_commission = t.get("com", 0.0)
            remittance.amount_collector_commission = t.get("col", 0.0)
            remittance.amount_net = t.get("net", 0.0)

    @api.constrains("portfolio_id", "date_from", "date_to")
    def _check_portfolio(self):
        for remittance in self:
            if remittance.portfolio_id.kind != "external":
                raise ValidationError(
                    _(
                        "%s holds the company's own invoices: remittances are for creditor (external) portfolios.",
                        remittance.portfolio_id.name,
                    )
                )
            if remittance.date_to < remittance.date_from:
                raise ValidationError(_("The remittance period ends before it starts."))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["name"] = self.env["ir.sequence"].next_by_code("collection.remittance") or _("New")
        return super().create(vals_list)

    def write(self, vals):
        if {"portfolio_id", "date_from", "date_to"} & set(vals) and self.filtered(lambda r: r.state != "draft"):
            raise UserError(_("A sent or cancelled remittance cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_if_not_sent(self):
        if self.filtered(lambda r: r.state == "sent"):
            raise UserError(_("A sent remittance is kept as the record of what the creditor received."))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def _check_manager(self):
        if not self.env.user.has_group("debt_collection.group_collection_manager"):
            raise AccessError(_("Only a collection manager can compute, send or cancel a remittance."))
        self.check_access("write")

    def action_compute(self):
        """Replace the lines by the payments of the period (see the class
        docstring), in one INSERT ... SELECT."""
        self._check_manager()
        for remittance in self:
            if remittance.state != "draft":
                raise UserError(_("Only a draft remittance can be computed."))
        Line = self.env["collection.remittance.line"]
        self.line_ids.unlink()
        for remittance in self:
            rows = self.env["collection.commission.rule"]._payment_rows(
                SQL(
                    "p.portfolio_id = %s AND p.state = 'posted' AND p.remittance_id IS NULL "
                    "AND p.date BETWEEN %s AND %s",
                    remittance.portfolio_id.id,
                    remittance.date_from,
                    remittance.date_to,
                )
            )
            reversals = remittance._pending_reversals()
            now, uid = fields.Datetime.now(), self.env.uid
            values = [
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    remittance.id, remittance.company_id.id, row["payment_id"], row["date"], row["partner_id"],
                    row["installments"], row["method"], row["user_id"], row["amount"], row["days_overdue"],
                    row["agency_rate"], row["agency_commission"], row["collector_rate"], row["collector_commission"],
                    row["amount"] - row["agency_commission"], reversal, uid, now, uid, now,
                )
                for reversal, rows_ in ((False, rows), (True, reversals))
                for row in rows_
            ]  # fmt: skip
            if values:
                self.env.cr.execute(
                    SQL(
                        """INSERT INTO collection_remittance_line
                               (remittance_id, company_id, payment_id, date, partner_id, installments, method, user_id,
                                amount, days_overdue, agency_rate, agency_commission, collector_rate,
                                collector_commission, net, is_reversal, create_uid, create_date, write_uid,
                                write_date)
                           VALUES %s""",
                        SQL(", ").join(values),
                    )
                )
        Line.invalidate_model()
        self.invalidate_recordset(["line_ids"])
        return True

    def _pending_reversals(self):
        """The reversed payments of the portfolio not reported yet, as
        negative rows with the rates of the remittance that held them."""
        self.ensure_one()
        self.env["collection.payment"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id AS payment_id, COALESCE(p.date_cancelled::date, p.date) AS date, l.partner_id,
                       l.installments, l.method, l.user_id, -l.amount AS amount, l.days_overdue,
                       l.agency_rate, -l.agency_commission AS agency_commission, l.collector_rate,
                       -l.collector_commission AS collector_commission
                  FROM collection_payment p
                  JOIN collection_remittance_line l
                    ON l.payment_id = p.id AND l.remittance_id = p.remittance_id AND NOT l.is_reversal
                 WHERE p.portfolio_id = %s AND p.remittance_reversal_pending
                 ORDER BY p.date_cancelled, p.id
                """,
                self.portfolio_id.id,
            )
        )
        return self.env.cr.dictfetchall()

    def action_send(self):
        """Mark as sent and freeze the payments it holds; refused if one of
        them was remitted or cancelled since the remittance was computed."""
        self._check_manager()
        for remittance in self:
            if remittance.state != "draft":
                raise UserError(_("Only a draft remittance can be sent."))
            if not remittance.line_ids:
                raise UserError(_("The remittance %s has no payment: compute it first.", remittance.name))
            Payment = self.env["collection.payment"].sudo()
            normal = remittance.line_ids.filtered(lambda line: not line.is_reversal)
            reversed_ = remittance.line_ids.filtered("is_reversal")
            ids = (normal | reversed_).payment_id.ids
            self.env.cr.execute(SQL("SELECT id FROM collection_payment WHERE id IN %s FOR UPDATE", tuple(ids)))
            Payment.browse(ids).invalidate_recordset(["state", "remittance_id", "remittance_reversal_pending"])
            stale = normal.payment_id.filtered(lambda p: p.remittance_id or p.state != "posted")
            stale |= reversed_.payment_id.filtered(lambda p: not p.remittance_reversal_pending)
            if stale:
                raise UserError(
                    _(
                        "These payments were remitted, cancelled or reported since the remittance was computed: "
                        "%s. Compute it again.",
                        ", ".join(stale.mapped("name")),
                    )
                )
            normal.payment_id.sudo().write({"remittance_id": remittance.id})
            reversed_.payment_id.sudo().write(
                {"remittance_reversal_pending": False, "remittance_reversal_id": remittance.id}
            )
            remittance.write({"state": "sent", "date_sent": fields.Datetime.now(), "sent_by_id": self.env.uid})
            currency = remittance.currency_id
            self.env["collection.event"]._log(
                "export",
                _(
                    "Remittance %(name)s sent to %(creditor)s: %(count)s payments, %(collected)s collected, "
                    "%(reversed)s reversed, net %(net)s.",
                    name=remittance.name,
                    creditor=remittance.creditor_id.name or "",
                    count=remittance.payment_count,
                    collected=currency.format(remittance.amount_collected),
                    reversed=currency.format(remittance.amount_reversed),
                    net=currency.format(remittance.amount_net),
                ),
                portfolio=remittance.portfolio_id,
                payload={"remittance_id": remittance.id, "payment_ids": ids},
            )
        return True

    def action_cancel(self):
        self._check_manager()
        if self.filtered(lambda r: r.state != "draft"):
            raise UserError(_("Only a draft remittance can be cancelled; a sent one is kept."))
        self.write({"state": "cancelled"})
        return True

    def action_reset_draft(self):
        self._check_manager()
        self.filtered(lambda r: r.state == "cancelled").write({"state": "draft"})
        return True

    def action_print(self):
        self.ensure_one()
        self.check_access("read")
        return self.env.ref("debt_collection.action_report_collection_remittance").report_action(self)

    def action_export_xlsx(self):
        """The remittance as an XLSX file: its lines, then its totals."""
        self.ensure_one()
        self.check_access("read")
        methods = dict(PAYMENT_METHODS)
        headers = [
            _("Date"), _("Receipt"), _("Debtor"), _("Installments"), _("Method"), _("Collector"), _("Days Overdue"),
            _("Amount"), _("Agency Rate (%)"), _("Agency Commission"), _("Net"), _("Reversal"), _("Currency"),
        ]  # fmt: skip
        rows = [
            [fields.Date.to_string(line.date), line.payment_id.name, line.partner_id.name or "", line.installments,
             methods.get(line.method, ""), line.user_id.name or "", line.days_overdue, line.amount,
             line.agency_rate, line.agency_commission, line.net, _("Yes") if line.is_reversal else "",
             self.currency_id.name]
            for line in self.line_ids
        ]  # fmt: skip
        totals = [
            [_("Collected"), self.amount_collected],
            [_("Reversals"), self.amount_reversed],
            [_("Agency Commission"), self.amount_commission],
            [_("Net to Remit"), self.amount_net],
        ]
        data = xlsx.workbook(
            [
                (_("Payments"), headers, rows),
                (_("Totals"), [self.name, self.currency_id.name], totals),
            ]
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": _("Remittance %s.xlsx", self.name.replace("/", "-")),
                "raw": data,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}


class CollectionRemittanceLine(models.Model):
    """One payment (or the reversal of one remitted earlier) in a
    remittance, with the rates matched when it was computed; written by
    ``collection.remittance.action_compute`` only."""

    _name = "collection.remittance.line"
    _description = "Creditor Remittance Line"
    _order = "remittance_id, is_reversal, date, id"

    remittance_id = fields.Many2one("collection.remittance", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="remittance_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="remittance_id.currency_id")
    payment_id = fields.Many2one("collection.payment", required=True, index=True, ondelete="restrict")
    date = fields.Date(required=True)
    partner_id = fields.Many2one("res.partner", string="Debtor")
    installments = fields.Char()
    method = fields.Selection(PAYMENT_METHODS)
    user_id = fields.Many2one("res.users", string="Collector")
    amount = fields.Monetary(help="In the portfolio's currency; negative for a reversal.")
    days_overdue = fields.Integer(help="Days between the oldest due date paid and the payment.")
    agency_rate = fields.Float("Agency Rate (%)", digits=(5, 2))
    agency_commission = fields.Monetary()
    collector_rate = fields.Float("Collector Rate (%)", digits=(5, 2))
    collector_commission = fields.Monetary()
    net = fields.Monetary(help="The amount less the agency's commission.")
    is_reversal = fields.Boolean("Reversal")
