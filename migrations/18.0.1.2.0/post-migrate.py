from odoo import SUPERUSER_ID
from odoo import api


def migrate(cr, version):
    """Broken promises and the kept rate now describe the debtor across all
    their cases of a company (they feed the priority score): recompute them
    for every debtor with promises."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute("SELECT DISTINCT company_id, partner_id FROM collection_promise")
    pairs = set(cr.fetchall())
    if pairs:
        env["collection.case"]._refresh_promise_stats(pairs)
