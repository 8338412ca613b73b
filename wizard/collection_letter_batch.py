"""The day's collection letters of one or more portfolios as one PDF for
printing, each followed by its case's statement of account if asked: the
letters are marked as sent and each one is archived on its case."""

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
STATEMENT_REPORT = "debt_collection.action_report_collection_statement"


class CollectionLetterBatch(models.TransientModel):
    _name = "collection.letter.batch"
    _description = "Print the Day's Collection Letters"

    portfolio_ids = fields.Many2many(
        "collection.portfolio", string="Portfolios", help="Leave empty for the letters of every portfolio."
    )
    step_ids = fields.Many2many("collection.case.step", string="Letters", compute="_compute_step_ids")
    letter_count = fields.Integer(compute="_compute_step_ids")
    attach_statement = fields.Boolean(
        "Attach the Statement",
        help="Print each case's statement of account after its letter (also in the letter archived on the case).",
    )

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
        pdf, per_letter = self._render(steps, with_statement=self.attach_statement)
        steps.sudo()._mark_printed(per_letter)
        names = ", ".join(self.portfolio_ids.mapped("name")) or _("all portfolios")
        # as the superuser: a supervisor may print a portfolio's letters without the right to change it
        batch = (
            self.env["ir.attachment"]
            .sudo()
            .create(
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
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{batch.id}?download=true", "target": "self"}

    @api.model
    def _render(self, steps, with_statement=False):
        """(batch PDF, {step id: its letter's PDF}), each letter followed by
        its case's statement when ``with_statement``. A wkhtmltopdf built
        with patched Qt renders the batch at once and Odoo splits it per
        letter by its outlines; Debian's (unpatched Qt) takes one page
        source per call, so there each letter is rendered alone and the
        batch is their merge."""
        per_letter, html = self._render_each(LETTER_REPORT, steps.ids)
        if per_letter is None:  # tests without force_report_rendering get the HTML
            return html, {}
        if with_statement:
            statements = self._render_each(STATEMENT_REPORT, steps.case_id.ids)[0] or {}
            per_letter = {
                step.id: merge_pdf([per_letter[step.id], statements[step.case_id.id]])
                if step.case_id.id in statements
                else per_letter[step.id]
                for step in steps
            }
        return merge_pdf([per_letter[step.id] for step in steps]), per_letter

    @api.model
    def _render_each(self, report, res_ids):
        """({record id: its PDF}, None) of the report, or (None, the HTML)
        when it is rendered as HTML (tests without force_report_rendering)."""
        Report = self.env["ir.actions.report"].sudo()
        if len(res_ids) > 1 and _patched_wkhtmltopdf():
            streams, report_type = Report._pre_render_qweb_pdf(report, res_ids, {"report_type": "pdf"})
            if report_type != "pdf":
                return None, streams
            if all(streams.get(res_id, {}).get("stream") for res_id in res_ids):
                return {res_id: streams[res_id]["stream"].getvalue() for res_id in res_ids}, None
        result = {}
        for res_id in res_ids:
            streams, report_type = Report._pre_render_qweb_pdf(report, [res_id], {"report_type": "pdf"})
            if report_type != "pdf":
                return None, streams
            result[res_id] = streams[res_id]["stream"].getvalue()
        return result, None


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
