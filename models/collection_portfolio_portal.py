"""The debtor's self-service: signed links that open a debtor's cases
without a login, the throttle on wrong links, and each portfolio's rules
for what a debtor may do alone (promises, relief plans)."""

import secrets
from datetime import timedelta

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import ValidationError

# a link is valid this many days unless told otherwise; wrong links from one address: at most this many
LINK_DAYS = 30
MAX_FAILURES, FAILURE_MINUTES = 10, 15


class CollectionPortalLink(models.Model):
    """A signed link to a debtor's page.

    Strategies put one in their letters, e-mails and SMS (``{{
    object._collection_portal_url() }}`` in a template); a collector sends
    one from the case (*Portal Link*). The link opens only the cases of its
    debtor, until it expires or is revoked; a wrong or dead link counts
    against the address that tried it, and too many are refused for a
    while."""

    _name = "collection.portal.link"
    _description = "Debtor Portal Link"
    _order = "id desc"

    partner_id = fields.Many2one("res.partner", string="Debtor", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    token = fields.Char(required=True, readonly=True, copy=False, groups="base.group_system", index=True)
    url = fields.Char("Link", compute="_compute_url", compute_sudo=True, groups="base.group_system")
    date_expiry = fields.Datetime("Valid Until", required=True, readonly=True)
    revoked = fields.Boolean(readonly=True)
    last_used = fields.Datetime(readonly=True)
    use_count = fields.Integer("Uses", readonly=True)

    _sql_constraints = [("token_unique", "UNIQUE(token)", "A portal link is unique.")]

    def _compute_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for link in self:
            link.url = f"{base}/collection/debts/t/{link.sudo().token}" if link.id else False

    @api.model
    def _new_link(self, partner, days=LINK_DAYS):
        partner = partner.commercial_partner_id
        return self.sudo().create(
            {
                "partner_id": partner.id,
                "company_id": self.env.company.id,
                "token": secrets.token_urlsafe(32),
                "date_expiry": fields.Datetime.now() + timedelta(days=days),
            }
        )

    def action_revoke(self):
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Only a collection supervisor can revoke a portal link."))
        self.check_access("read")
        self.sudo().write({"revoked": True})
        for link in self:
            self.env["collection.event"].sudo()._log(
                "portal",
                _(
                    "Portal link of %(debtor)s revoked by %(user)s.",
                    debtor=link.partner_id.name,
                    user=self.env.user.name,
                ),
                cases=link.partner_id.collection_case_ids.filtered(lambda c: c.state == "open"),
                payload={"link_id": link.id},
            )
        return True

    @api.model
    def _resolve(self, token, address):
        """The valid link of ``token``, or an empty recordset; a failure is
        counted against ``address``."""
        Attempt = self.env["collection.portal.attempt"].sudo()
        # a valid link always opens (its 256-bit token cannot be guessed); wrong ones count against the address
        link = self.sudo().search([("token", "=", token)], limit=1) if token else self.browse()
        if not link or link.revoked or link.date_expiry < fields.Datetime.now():
            if Attempt._blocked(address):
                return self.browse(), True
            Attempt.create({"address": address or ""})
            return self.browse(), False
        link.write({"last_used": fields.Datetime.now(), "use_count": link.use_count + 1})
        return link, False


class CollectionPortalAttempt(models.Model):
    """A wrong or dead portal link tried from an address (kept a day)."""

    _name = "collection.portal.attempt"
    _description = "Failed Debtor Portal Attempt"

    address = fields.Char(index=True)
    create_date = fields.Datetime(index=True)

    @api.model
    def _blocked(self, address):
        since = fields.Datetime.now() - timedelta(minutes=FAILURE_MINUTES)
        return self.sudo().search_count([("address", "=", address or ""), ("create_date", ">=", since)]) >= MAX_FAILURES

    @api.autovacuum
    def _gc_attempts(self):
        self.sudo().search([("create_date", "<", fields.Datetime.now() - timedelta(days=1))]).unlink()


class CollectionReliefBand(models.Model):
    """A condonation band of a portfolio's relief policy: a plan of at most
    this many installments writes off this share of the debt."""

    _name = "collection.relief.band"
    _description = "Relief Plan Condonation Band"
    _order = "portfolio_id, max_installments"

    portfolio_id = fields.Many2one("collection.portfolio", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="portfolio_id.company_id", store=True, index=True)
    max_installments = fields.Integer("Up to Installments", required=True, default=1)
    condonation_percent = fields.Float("Condonation (%)", digits=(5, 2))

    @api.constrains("max_installments", "condonation_percent")
    def _check_band(self):
        for band in self:
            if band.max_installments < 1:
                raise ValidationError(_("A condonation band is for at least one installment."))
            if not 0 <= band.condonation_percent <= 100:
                raise ValidationError(_("A condonation is between 0 and 100%."))


class CollectionPortfolio(models.Model):
    _inherit = "collection.portfolio"

    portal_enabled = fields.Boolean(
        "Debtor Self-Service",
        default=True,
        help="Debtors of this portfolio see their cases on the portal and may promise, dispute and pay online.",
    )
    portal_promise_max_days = fields.Integer(
        "Promise At Most (days ahead)", default=15, help="A debtor's promise is for a date at most this far away."
    )
    portal_promise_min_percent = fields.Float(
        "Promise At Least (% of overdue)", default=30.0, help="A debtor's promise is for at least this share."
    )
    relief_max_installments = fields.Integer(
        "Plan Up to Installments",
        default=0,
        help="A debtor may ask alone for a payment plan of at most this many monthly installments (0: no plans "
        "on the portal).",
    )
    relief_min_down_percent = fields.Float("Minimum Down Payment (%)", default=10.0)
    relief_grace_days = fields.Integer(
        "Grace Days", default=30, help="The first installment of the plan is due at most this many days ahead."
    )
    relief_band_ids = fields.One2many("collection.relief.band", "portfolio_id", string="Condonation Bands")

    @api.constrains("portal_promise_min_percent", "relief_min_down_percent", "relief_max_installments")
    def _check_relief(self):
        for portfolio in self:
            if (
                not 0 <= portfolio.portal_promise_min_percent <= 100
                or not 0 <= portfolio.relief_min_down_percent <= 100
            ):
                raise ValidationError(_("A share of the debt is between 0 and 100%."))
            if portfolio.relief_max_installments < 0:
                raise ValidationError(_("The number of installments of a relief plan cannot be negative."))

    def _relief_condonation(self, installments):
        """The condonation percent of a plan of ``installments``: the first
        band that holds it, else none."""
        self.ensure_one()
        for band in self.relief_band_ids.sorted("max_installments"):
            if installments <= band.max_installments:
                return band.condonation_percent
        return 0.0


class CollectionAgreementLevel(models.Model):
    _inherit = "collection.agreement.level"

    portal_self_approval = fields.Boolean(
        "Debtor May Get It Alone",
        help="A payment plan a debtor asks for on the portal is approved at once when it stays within this level; "
        "beyond it, it waits for the approval of the level it needs.",
    )


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _collection_portal_url(self, days=LINK_DAYS):
        """A new signed link to this debtor's page, for templates and messages."""
        self.ensure_one()
        if not self.env.su:
            # only for a debtor whose open case the user may read
            cases = self.env["collection.case"].search_count(
                [("partner_id.commercial_partner_id", "=", self.commercial_partner_id.id), ("state", "=", "open")],
                limit=1,
            )
            if not cases:
                raise AccessError(_("You cannot make a portal link for %s.", self.display_name))
        return self.env["collection.portal.link"]._new_link(self, days=days).sudo().url


class CollectionCase(models.Model):
    _inherit = "collection.case"

    def _portal_holder(self):
        """Who holds what the debtor does alone on the portal (their promise,
        plan or online payment): the case's collector, else the system."""
        self.ensure_one()
        return self.user_id or self.env.ref("base.user_root")

    def action_portal_link(self):
        """A new signed link to the debtor's page, to send them (shown once,
        with a button to copy it)."""
        self.ensure_one()
        self.check_access("write")
        link = self.env["collection.portal.link"]._new_link(self.partner_id)
        self.env["collection.event"].sudo()._log(
            "portal",
            _("Portal link for %(debtor)s made by %(user)s.", debtor=self.partner_id.name, user=self.env.user.name),
            cases=self,
            payload={"link_id": link.id},
        )
        share = self.env["collection.portal.link.share"].create({"link_id": link.id, "url": link.sudo().url})
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.portal.link.share",
            "res_id": share.id,
            "view_mode": "form",
            "target": "new",
        }


class CollectionPortalLinkShare(models.TransientModel):
    """The link just made, shown once to the one who made it."""

    _name = "collection.portal.link.share"
    _description = "Share a Debtor Portal Link"

    link_id = fields.Many2one(
        "collection.portal.link", string="Portal Link", required=True, readonly=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="link_id.partner_id", string="Debtor")
    date_expiry = fields.Datetime(related="link_id.date_expiry")
    url = fields.Char("Link", readonly=True)
