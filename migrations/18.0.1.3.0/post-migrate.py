from odoo import SUPERUSER_ID
from odoo import api


def migrate(cr, version):
    """18.0.1.3.0 follows overdue invoices from day one: a database upgraded
    from an earlier version gets, like a new installation, an active internal
    portfolio for every company that has none (the setting is on by default),
    so the next daily synchronisation links its overdue invoices to cases."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"].search([("collection_auto_follow", "=", True)])._collection_ensure_portfolio()
