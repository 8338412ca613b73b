from odoo import fields
from odoo import models
from odoo.tools import SQL

MOVEMENT_KINDS = [
    ("payment", "Payment"),
    ("credit_note", "Credit note"),
    ("other", "Other credit"),
]


class CollectionCaseMovement(models.Model):
    """Money movements of a case (the Movements tab): for internal
    portfolios, each payment, credit note or other credit reconciled in
    accounting with one of the case's receivable lines; for creditor
    portfolios, the posted collection payments as allocated to the
    installments.

    A SQL view over ``account.partial.reconcile`` and
    ``collection.payment.line``; collectors read it for the cases they work,
    without any accounting right."""

    _name = "collection.case.movement"
    _description = "Collection Case Movement"
    _auto = False
    _order = "date desc, id desc"
    _depends = {
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "amount", "company_id"],
        "account.move.line": ["date", "move_id", "payment_id", "statement_line_id"],
        "account.move": ["name", "ref", "move_type", "journal_id"],
        "collection.installment": ["case_id", "move_line_id", "move_id", "company_id", "currency_id"],
        "collection.payment": ["name", "reference", "date", "state", "case_id"],
        "collection.payment.line": ["payment_id", "installment_id", "amount"],
    }

    case_id = fields.Many2one("collection.case", readonly=True)
    installment_id = fields.Many2one("collection.installment", readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(readonly=True)
    name = fields.Char("Entry", readonly=True)
    ref = fields.Char("Reference", readonly=True)
    journal_id = fields.Many2one("account.journal", readonly=True)
    kind = fields.Selection(MOVEMENT_KINDS, readonly=True)
    amount = fields.Monetary(readonly=True, aggregator="sum")
    payment_id = fields.Many2one("collection.payment", string="Collection Payment", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT apr.id * 2 AS id,
                   i.case_id AS case_id,
                   i.id AS installment_id,
                   i.move_id AS invoice_id,
                   i.company_id AS company_id,
                   co.currency_id AS currency_id,
                   cl.date AS date,
                   cm.name AS name,
                   cm.ref AS ref,
                   cm.journal_id AS journal_id,
                   CASE WHEN cm.move_type = 'out_refund' THEN 'credit_note'
                        WHEN cl.payment_id IS NOT NULL OR cl.statement_line_id IS NOT NULL THEN 'payment'
                        ELSE 'other' END AS kind,
                   apr.amount AS amount,
                   NULL::int AS payment_id
              FROM account_partial_reconcile apr
              JOIN collection_installment i ON i.move_line_id = apr.debit_move_id
              JOIN account_move_line cl ON cl.id = apr.credit_move_id
              JOIN account_move cm ON cm.id = cl.move_id
              JOIN res_company co ON co.id = i.company_id
            UNION ALL
            SELECT pl.id * 2 + 1 AS id,
                   i.case_id AS case_id,
                   i.id AS installment_id,
                   NULL::int AS invoice_id,
                   i.company_id AS company_id,
                   i.currency_id AS currency_id,
                   p.date AS date,
                   p.name AS name,
                   p.reference AS ref,
                   NULL::int AS journal_id,
                   'payment' AS kind,
                   pl.amount AS amount,
                   p.id AS payment_id
              FROM collection_payment_line pl
              JOIN collection_payment p ON p.id = pl.payment_id
              JOIN collection_installment i ON i.id = pl.installment_id
             WHERE p.state = 'posted' AND p.account_payment_id IS NULL
            """
        )
