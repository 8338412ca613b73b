"""Law firms on the portal: a lawyer without an internal user sees, on
/my/litigation, the cases handed over to their firm and records the court
data and the legal actions; nothing else of the addon is reachable."""

from odoo import _
from odoo import fields
from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class CollectionLawyerPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "litigation_count" in counters:
            values["litigation_count"] = len(self._litigation_cases())
        return values

    def _litigation_cases(self):
        """The open cases handed to the user's firm (their own partner or
        their company, marked as lawyer), read as the superuser: the portal
        user has no access to the models themselves."""
        partner = request.env.user.partner_id.sudo()
        firms = (partner | partner.parent_id).filtered("collection_is_lawyer")
        if not firms:
            return request.env["collection.case"].sudo().browse()
        return (
            request.env["collection.case"]
            .sudo()
            .search([("lawyer_id", "in", firms.ids), ("state", "=", "open")], order="legal_date desc, id desc")
        )

    @http.route(["/my/litigation"], type="http", auth="user", website=True)
    def portal_my_litigation(self, **kw):
        values = self._prepare_portal_layout_values()
        values.update({"cases": self._litigation_cases(), "page_name": "litigation"})
        return request.render("debt_collection.portal_my_litigation", values)

    @http.route(["/my/litigation/<int:case_id>"], type="http", auth="user", methods=["GET", "POST"], website=True)
    def portal_litigation_case(self, case_id, **post):
        case = self._litigation_cases().filtered(lambda c: c.id == case_id)
        if not case:
            return request.not_found()
        message = False
        if request.httprequest.method == "POST":
            vals = {}
            for name in ("legal_court", "legal_file_number"):
                if name in post:
                    vals[name] = (post.get(name) or "").strip()[:256] or False
            if "legal_filing_date" in post:
                try:
                    vals["legal_filing_date"] = fields.Date.to_date(post.get("legal_filing_date") or False)
                except ValueError:
                    message = _("The filing date is not a date.")
            if vals and not message:
                case.write(vals)
            action = (post.get("action_name") or "").strip()
            if action and not message:
                request.env["collection.legal.action"].sudo().create(
                    {
                        "case_id": case.id,
                        "name": action[:256],
                        "note": (post.get("action_note") or "").strip() or False,
                        "user_id": request.env.user.id,
                    }
                )
            message = message or _("Saved.")
        values = self._prepare_portal_layout_values()
        values.update({"case": case, "page_name": "litigation", "message": message})
        return request.render("debt_collection.portal_litigation_case", values)
