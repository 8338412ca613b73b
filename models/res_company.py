from odoo import fields
from odoo import models


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_min_overdue_days = fields.Integer(
        "Days Overdue Before Collection",
        default=1,
        help="A posted customer invoice enters the internal collection portfolio once one of its "
        "due dates is at least this many days past.",
    )
    collection_promise_grace_days = fields.Integer(
        "Promise Grace Days",
        default=2,
        help="Days after a promise's date during which a payment still keeps it; the daily run judges the "
        "promise the day after.",
    )
    collection_journal_cash_id = fields.Many2one(
        "account.journal",
        string="Journal for Cash Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
    collection_journal_card_id = fields.Many2one(
        "account.journal",
        string="Journal for Card Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
    collection_journal_transfer_id = fields.Many2one(
        "account.journal",
        string="Journal for Transfer Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
    collection_journal_cheque_id = fields.Many2one(
        "account.journal",
        string="Journal for Cheque Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
    collection_journal_other_id = fields.Many2one(
        "account.journal",
        string="Journal for Other Collections",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
    )
