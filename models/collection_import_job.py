import base64
import logging
import os
import shutil
import time

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import import_parser

_logger = logging.getLogger(__name__)

# files up to this many rows are imported at once from the wizard; larger
# ones are queued and imported by the scheduled job, progress shown on the job
SYNC_ROW_LIMIT = 3000


class CollectionImportJob(models.Model):
    """One load of a creditor file into a portfolio, with its options,
    progress, counts and error file."""

    _name = "collection.import.job"
    _description = "Collection Import"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char("File Name", required=True)
    portfolio_id = fields.Many2one("collection.portfolio", required=True, index=True, check_company=True)
    company_id = fields.Many2one(related="portfolio_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", string="Started by", default=lambda self: self.env.user, readonly=True)
    source = fields.Selection(
        [("wizard", "Import wizard"), ("folder", "Folder"), ("rpc", "API")], default="wizard", required=True
    )
    file = fields.Binary(attachment=True, readonly=True)
    mapping = fields.Json(readonly=True, help="File header -> field")
    mode = fields.Selection(
        [("all", "All or nothing"), ("valid", "Import the valid rows")], default="all", required=True
    )
    mark_missing = fields.Boolean("Return Missing Cases")
    decimal_separator = fields.Char(default="auto")
    date_format = fields.Char(default="auto")
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="queued",
        required=True,
        readonly=True,
    )
    rows_total = fields.Integer(readonly=True)
    rows_done = fields.Integer(readonly=True)
    progress = fields.Float(compute="_compute_progress")
    imported = fields.Boolean(readonly=True, help="Something was written.")
    partners_created = fields.Integer("Debtors Created", readonly=True)
    cases_created = fields.Integer(readonly=True)
    cases_updated = fields.Integer(readonly=True)
    cases_returned = fields.Integer(readonly=True)
    installments_created = fields.Integer(readonly=True)
    installments_updated = fields.Integer(readonly=True)
    installments_unchanged = fields.Integer(readonly=True)
    error_count = fields.Integer("Rejected Rows", readonly=True)
    error_summary = fields.Text("Errors", readonly=True)
    error_file = fields.Binary(attachment=True, readonly=True)
    error_file_name = fields.Char(readonly=True)
    message = fields.Text(readonly=True)
    date_start = fields.Datetime(readonly=True)
    date_done = fields.Datetime(readonly=True)
    duration = fields.Float("Duration (s)", readonly=True, digits=(10, 1))

    @api.depends("rows_done", "rows_total", "state")
    def _compute_progress(self):
        for job in self:
            if job.state == "done":
                job.progress = 100.0
            else:
                job.progress = 100.0 * job.rows_done / job.rows_total if job.rows_total else 0.0

    def _set_progress(self, done, total):
        """Publish the progress from a separate transaction, so that the user
        sees it while the import itself stays one atomic transaction."""
        self.ensure_one()
        if not self.id or self.env.context.get("collection_import_no_progress"):
            return
        try:
            with self.env.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '2s'")
                cr.execute(
                    SQL(
                        "UPDATE collection_import_job SET rows_done = %s, rows_total = %s, state = 'running' "
                        "WHERE id = %s",
                        int(done),
                        int(total),
                        self.id,
                    )
                )
        except Exception:  # the job row is locked or not committed yet: progress is best effort
            _logger.debug("progress of import job %s not published", self.id, exc_info=True)

    def _run(self):
        """Import the file; errors of the data end in the error file, an
        unexpected failure rolls everything back and marks the job failed."""
        for job in self:
            start = time.monotonic()
            try:
                with self.env.cr.savepoint():
                    job._run_import()
            except Exception as exc:  # report it on the job, keep the cron alive
                if isinstance(exc, UserError):
                    _logger.info("Collection import %s refused: %s", job.id, exc)
                else:
                    _logger.exception("Collection import %s failed", job.id)
                job.write(
                    {
                        "state": "failed",
                        "message": str(exc.args[0] if isinstance(exc, UserError) and exc.args else exc),
                        "date_done": fields.Datetime.now(),
                    }
                )
            job.duration = time.monotonic() - start

    def _run_import(self):
        self.ensure_one()
        start = fields.Datetime.now()
        data = base64.b64decode(self.file or b"")
        records, headers, _info = self.portfolio_id._import_read_file(data, self.name, self.mapping)
        # no write on the job row until the end: the progress is published by
        # another transaction, which must not wait for a lock held by this one
        self._set_progress(0, len(records))
        options = {
            "mode": self.mode,
            "mark_missing": self.mark_missing,
            "decimal_separator": self.decimal_separator or "auto",
            "date_format": self.date_format or "auto",
            "source": self.source,
            "progress": self._set_progress,
        }
        result = self.portfolio_id.with_user(self.user_id)._import_records(records, options)
        counts, errors = result["counts"], result["errors"]
        vals = {key: counts[key] for key in import_parser.WRITE_COUNTS}
        vals.update(
            state="done",
            date_start=start,
            imported=result["imported"],
            rows_total=len(records),
            rows_done=len(records),
            error_count=len(errors),
            date_done=fields.Datetime.now(),
            error_summary="\n".join(
                self.env._("Row %(row)s: %(message)s", row=r, message=m) for r, m in sorted(errors.items())
            )
            or False,
        )
        if errors:
            base = os.path.splitext(self.name)[0]
            vals["error_file"] = base64.b64encode(
                import_parser.error_workbook(headers, records, errors, only_errors=result["imported"])
            )
            vals["error_file_name"] = f"{base}.errors.xlsx"
        if not result["imported"]:
            vals["message"] = _(
                "Nothing was imported: %s rows have errors. Correct them (see the error file) or choose "
                "to import the valid rows.",
                len(errors),
            )
        self.write(vals)
        return result

    def action_download_errors(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/collection.import.job/{self.id}/error_file/{self.error_file_name}?download=true",
            "target": "self",
        }

    def action_view_cases(self):
        self.ensure_one()
        return self.portfolio_id.action_view_cases()

    @api.model
    def _cron_run_queued(self):
        jobs = self.search([("state", "in", ("queued", "running"))], order="id")
        jobs._run()

    # ------------------------------------------------------------------
    # Folder import
    # ------------------------------------------------------------------
    @api.model
    def _cron_import_folders(self):
        """Import every .xlsx / .csv file found in the folder of a portfolio,
        with its template, then move it to ``done/`` or ``failed/`` (with its
        error file next to it)."""
        portfolios = (
            self.env["collection.portfolio"]
            .sudo()
            .search([("import_directory", "!=", False), ("state", "=", "active"), ("kind", "=", "external")])
        )
        jobs = self.browse()
        for portfolio in portfolios:
            folder = portfolio.import_directory
            if not os.path.isdir(folder):
                _logger.warning("Import folder %s of portfolio %s does not exist", folder, portfolio.name)
                continue
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if not os.path.isfile(path) or not name.lower().endswith((".xlsx", ".csv")):
                    continue
                with open(path, "rb") as handle:
                    data = handle.read()
                template = portfolio.import_template_id
                job = self.create(
                    {
                        "name": name,
                        "portfolio_id": portfolio.id,
                        "source": "folder",
                        "file": base64.b64encode(data),
                        "mapping": template._as_mapping() if template else {},
                        "decimal_separator": template.decimal_separator if template else "auto",
                        "date_format": template.date_format if template else "auto",
                        "mark_missing": portfolio.import_mark_missing,
                        "mode": "all",
                    }
                )
                job.with_context(collection_import_no_progress=True)._run()
                ok = job.state == "done" and job.imported and not job.error_count
                target = os.path.join(folder, "done" if ok else "failed")
                os.makedirs(target, exist_ok=True)
                shutil.move(path, os.path.join(target, name))
                if job.error_file:
                    with open(os.path.join(target, job.error_file_name), "wb") as handle:
                        handle.write(base64.b64decode(job.error_file))
                elif job.state == "failed":
                    with open(os.path.join(target, f"{name}.error.txt"), "w", encoding="utf-8") as handle:
                        handle.write(job.message or "")
                jobs |= job
        return jobs
