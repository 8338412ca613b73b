"""Where a debtor was located, and where from: every change of a debtor's
position is kept, with the position it replaced."""

from odoo import fields
from odoo import models

LOCATION_SOURCES = [
    ("manual", "Entered by hand"),
    ("visit", "Collector's GPS at a visit"),
    ("import", "Creditor's file"),
    ("geocoder", "Geocoder"),
]


class CollectionPartnerLocation(models.Model):
    """One position of a debtor, in the order they were set. Written by the
    debtor's position changes only; nobody edits or deletes it."""

    _name = "collection.partner.location"
    _description = "Debtor Position History"
    _order = "create_date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Debtor", required=True, readonly=True, index=True)
    latitude = fields.Float(digits=(10, 7), readonly=True)
    longitude = fields.Float(digits=(10, 7), readonly=True)
    previous_latitude = fields.Float(digits=(10, 7), readonly=True)
    previous_longitude = fields.Float(digits=(10, 7), readonly=True)
    source = fields.Selection(LOCATION_SOURCES, required=True, default="manual", readonly=True)
    interaction_id = fields.Many2one("collection.interaction", string="Visit", readonly=True, ondelete="set null")
