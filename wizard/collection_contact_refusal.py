from odoo import _
from odoo import fields
from odoo import models


class CollectionContactRefusal(models.TransientModel):
    """The dialog that tells a collector why the contact policy refuses a
    contact now and from when it is allowed. Opening it logs the refused
    attempt (an event with the rule) for compliance reporting."""

    _name = "collection.contact.refusal"
    _description = "Contact Refused by the Contact Rules"

    case_id = fields.Many2one("collection.case", readonly=True)
    message = fields.Text(readonly=True)

    def _open(self, case, verdict, policy, timezones, channel):
        """Log the refused attempt on ``case`` and return the dialog."""
        message = case._contact_refusal_message(verdict, policy, timezones, channel)
        self.env["collection.event"].sudo()._log(
            "contact_refused",
            _("%(user)s tried: %(message)s", user=self.env.user.name, message=message),
            cases=case,
            payload={"rule": verdict.rule, "channel": channel.code, "policy_id": policy.id or False},
        )
        refusal = self.create({"case_id": case.id, "message": message})
        return {
            "type": "ir.actions.act_window",
            "name": _("Contact refused by the contact rules"),
            "res_model": self._name,
            "res_id": refusal.id,
            "view_mode": "form",
            "views": [(self.env.ref("debt_collection.collection_contact_refusal_view_form").id, "form")],
            "target": "new",
        }
