"""The day's collection letters of one or more portfolios as one PDF for
printing: the letters are marked as sent and each one is archived on its
case."""

import base64
import subprocess

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

LETTER_REPORT = "debt_collection.action_report_collection_letter"


class CollectionLetterBatch(models.TransientModel):
    _name = "collection.letter.batch"
    _description = "Print the Day's Collection Letters"

    portfolio_ids = fields.Many2many(
        "collection.portfolio", string="Portfolios", help="Leave empty for the letters of every portfolio."
    )
    step_ids = fields.Many2many("collection.case.step", string="Letters", compute="_compute_step_ids")
    letter_count = fields.Integer(compute="_compute_step_ids")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "collection.portfolio" and self.env.context.get("active_ids"):
            values["portfolio_ids"] = [fields.Command.set(self.env.context["active_ids"])]
        return values

    @api.depends("portfolio_ids")
    def _compute_step_ids(self):
        Step = self.env["collection.case.step"]
        for batch in self:
            batch.step_ids = Step.browse(Step._letter_ids_to_print(batch.portfolio_ids.ids))
            batch.letter_count = len(batch.step_ids)

    def action_print(self):
        """Render the letters once, archive each on its case, mark them sent,
        and download the batch."""
        self.ensure_one()
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Printing the letters of a portfolio is for supervisors and managers."))
        steps = self.step_ids
        if not steps:
            raise UserError(_("There is no letter to print."))
        pdf, per_letter = self._render(steps)
        steps.sudo()._mark_printed(per_letter)
        names = ", ".join(self.portfolio_ids.mapped("name")) or _("all portfolios")
        batch = self.env["ir.attachment"].create(
            {
                "name": _(
                    "Letters %(date)s - %(portfolios)s.pdf", date=fields.Date.context_today(self), portfolios=names
                ),
                "datas": base64.b64encode(pdf),
                "mimetype": "application/pdf",
                "res_model": "collection.portfolio" if len(self.portfolio_ids) == 1 else False,
                "res_id": self.portfolio_ids.id if len(self.portfolio_ids) == 1 else False,
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{batch.id}?download=true", "target": "self"}

    @api.model
    def _render(self, steps):
        """(batch PDF, {step id: its letter's PDF}). A wkhtmltopdf built with
        patched Qt renders the batch at once and Odoo splits it per letter
        by its outlines; Debian's (unpatched Qt) takes one page source per
        call, so there each letter is rendered alone and the batch is their
        merge."""
        Report = self.env["ir.actions.report"].sudo()
        if len(steps) > 1 and _patched_wkhtmltopdf():
            streams, report_type = Report._pre_render_qweb_pdf(LETTER_REPORT, steps.ids, {"report_type": "pdf"})
            if report_type == "pdf" and all(streams.get(step_id, {}).get("stream") for step_id in steps.ids):
                per_letter = {step_id: streams[step_id]["stream"].getvalue() for step_id in steps.ids}
                return merge_pdf([per_letter[step_id] for step_id in steps.ids]), per_letter
        per_letter = {}
        for step in steps:
            streams, report_type = Report._pre_render_qweb_pdf(LETTER_REPORT, [step.id], {"report_type": "pdf"})
            if report_type != "pdf":  # tests without force_report_rendering get the HTML
                return streams, {}
            per_letter[step.id] = streams[step.id]["stream"].getvalue()
        return merge_pdf([per_letter[step.id] for step in steps]), per_letter


_PATCHED = {}


def _patched_wkhtmltopdf():
    """Whether the wkhtmltopdf found is built with patched Qt (asked once)."""
    if "answer" not in _PATCHED:
        try:
            version = subprocess.run(
                [_get_wkhtmltopdf_bin(), "--version"], capture_output=True, text=True, timeout=20, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            version = ""
        _PATCHED["answer"] = "patched qt" in version
    return _PATCHED["answer"]
