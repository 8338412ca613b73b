from . import controllers
from . import models
from . import report
from . import wizard


def post_init_hook(env):
    """Day one: every company that follows its overdue invoices automatically
    (the default) gets its active internal portfolio, unless it already has
    one (the demo data makes one for the main company)."""
    companies = env["res.company"].search([("collection_auto_follow", "=", True)])
    companies._collection_ensure_portfolio()
    # collection users land on their work list (or their team's board)
    users = (
        env.ref("debt_collection.group_collection_user").users
        | env.ref("debt_collection.group_collection_supervisor").users
    )
    users._collection_set_home_action()
