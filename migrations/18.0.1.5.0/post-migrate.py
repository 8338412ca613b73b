from odoo import SUPERUSER_ID
from odoo import api


def migrate(cr, version):
    """The fixed priority formula became the default score rules (loaded
    with the module's data, same figures): every open case's score is
    written once from the rules, so the work list keeps its order."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["collection.case"]._refresh_aging()
