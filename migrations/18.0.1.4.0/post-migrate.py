from odoo import SUPERUSER_ID
from odoo import api


def migrate(cr, version):
    """Collection users land on their work list, supervisors on their
    team's board, from the first login after the upgrade (a home action
    chosen by hand is kept)."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    users = env.ref("debt_collection.group_collection_user").users
    users._collection_set_home_action()
