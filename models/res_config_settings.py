from odoo import fields
from odoo import models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_auto_follow = fields.Boolean(related="company_id.collection_auto_follow", readonly=False)
    collection_min_overdue_days = fields.Integer(related="company_id.collection_min_overdue_days", readonly=False)
    collection_promise_grace_days = fields.Integer(related="company_id.collection_promise_grace_days", readonly=False)
    collection_max_annual_rate = fields.Float(related="company_id.collection_max_annual_rate", readonly=False)
    collection_register_days = fields.Integer(related="company_id.collection_register_days", readonly=False)
    collection_register_amount = fields.Monetary(related="company_id.collection_register_amount", readonly=False)
    collection_register_notice_days = fields.Integer(
        related="company_id.collection_register_notice_days", readonly=False
    )
    collection_register_exit_installments = fields.Integer(
        related="company_id.collection_register_exit_installments", readonly=False
    )
    collection_legal_costs_first = fields.Boolean(related="company_id.collection_legal_costs_first", readonly=False)
    collection_score_high = fields.Float(related="company_id.collection_score_high", readonly=False)
    collection_score_medium = fields.Float(related="company_id.collection_score_medium", readonly=False)
    collection_payment_instructions = fields.Text(related="company_id.collection_payment_instructions", readonly=False)
    collection_journal_cash_id = fields.Many2one(related="company_id.collection_journal_cash_id", readonly=False)
    collection_journal_card_id = fields.Many2one(related="company_id.collection_journal_card_id", readonly=False)
    collection_journal_transfer_id = fields.Many2one(
        related="company_id.collection_journal_transfer_id", readonly=False
    )
    collection_journal_cheque_id = fields.Many2one(related="company_id.collection_journal_cheque_id", readonly=False)
    collection_journal_other_id = fields.Many2one(related="company_id.collection_journal_other_id", readonly=False)
    # the field map's tiles (the parameters of OCA's web_leaflet_lib); no URL, no tiles: the map shows the points only
    collection_map_tile_url = fields.Char(
        "Map Tile Server",
        config_parameter="leaflet.tile_url",
        help="URL template of the map tiles, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (mind the tile "
        "server's usage policy) or your own tile server.",
    )
    collection_map_copyright = fields.Char("Map Attribution", config_parameter="leaflet.copyright")
