from . import models
from . import report
from . import wizard


def post_init_hook(env):
    """Day one: every company that follows its overdue invoices automatically
    (the default) gets its active internal portfolio, unless it already has
    one (the demo data makes one for the main company)."""
    companies = env["res.company"].search([("collection_auto_follow", "=", True)])
    companies._collection_ensure_portfolio()
