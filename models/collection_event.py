from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

EVENT_TYPES = [
    ("assignment", "Assignment"),
    ("sync", "Invoice synchronisation"),
    ("import", "Import"),
    ("export", "Export"),
    ("case_close", "Case closed"),
    ("case_reopen", "Case reopened"),
    ("portfolio", "Portfolio change"),
    ("payment", "Payment"),
    ("payment_cancel", "Payment cancelled"),
    ("promise", "Promise"),
    ("interaction", "Interaction corrected"),
    ("contact_override", "Contact rule overridden"),
    ("contact_refused", "Contact refused by a contact rule"),
    ("dispute", "Dispute"),
    ("approval", "Approval"),
    ("write_off", "Write-off"),
    ("correction", "Correction by hand"),
    ("contact_permission", "Contact permission changed"),
    ("register", "Delinquent register"),
    ("litigation", "Litigation"),
    ("portal", "Debtor portal"),
    ("other", "Other"),
]


class CollectionEvent(models.Model):
    """Append-only audit log.

    Records are created by the addon's own code (through ``_log``, as
    superuser); nobody, not even the superuser, can change or delete one
    through the ORM. Only the Auditor group may read them.
    """

    _name = "collection.event"
    _description = "Collection Event Log"
    _order = "date desc, id desc"
    _rec_name = "description"

    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    event_type = fields.Selection(EVENT_TYPES, required=True, readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="Done by", readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    case_id = fields.Many2one("collection.case", readonly=True, index=True, ondelete="restrict")
    portfolio_id = fields.Many2one("collection.portfolio", readonly=True, index=True, ondelete="restrict")
    res_model = fields.Char("Related Model", readonly=True)
    res_id = fields.Many2oneReference("Related Record", model_field="res_model", readonly=True)
    description = fields.Text(required=True, readonly=True)
    payload = fields.Json(readonly=True)

    @api.model
    def _log(self, event_type, description, cases=None, portfolio=None, payload=None, company=None):
        """Write one event per case in ``cases`` (or a single one without
        cases) in a single ``create``; return the created events."""
        user = self.env.user
        vals_list = []
        if cases:
            for case in cases:
                vals_list.append(
                    {
                        "event_type": event_type,
                        "description": description,
                        "user_id": user.id,
                        "case_id": case.id,
                        "portfolio_id": case.portfolio_id.id,
                        "company_id": case.company_id.id,
                        "payload": payload,
                    }
                )
        else:
            vals_list.append(
                {
                    "event_type": event_type,
                    "description": description,
                    "user_id": user.id,
                    "portfolio_id": portfolio.id if portfolio else False,
                    "company_id": (company or (portfolio and portfolio.company_id) or self.env.company).id,
                    "payload": payload,
                }
            )
        return self.sudo().create(vals_list)

    def write(self, vals):  # pylint: disable=method-required-super
        self.check_access("write")
        raise UserError(_("The collection event log is append-only: events cannot be changed."))

    def unlink(self):  # pylint: disable=method-required-super
        self.check_access("unlink")
        raise UserError(_("The collection event log is append-only: events cannot be deleted."))
