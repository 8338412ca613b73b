import base64
import contextlib
import errno
import json
import logging
import os
import stat
import time

import psycopg2
import psycopg2.errors

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import import_parser
from ..tools.job_slice import CONCURRENCY_ERRORS
from ..tools.job_slice import JobSlice
from ..tools.job_slice import chunks_by
from ..tools.job_slice import session_lock
from ..tools.job_slice import waited_job
from .collection_portfolio_import import stage_lines

_logger = logging.getLogger(__name__)

# files up to this many rows are imported at once from the wizard; larger
# ones are queued and imported by the scheduled job, progress shown on the job
SYNC_ROW_LIMIT = 3000
# written only by the short transactions that publish a running import's progress
PROGRESS_TABLE = "collection_import_job_progress"
# the rows of a queued import waiting to be written, chunk by chunk
CHUNK_TABLE = "collection_import_job_chunk"
# debtors per staged chunk (written and committed together)
STAGE_CHUNK_DEBTORS = 1000
# the session lock a worker holds on a job it runs (released if it dies)
JOB_LOCK_KEY = "debt_collection.import_job"
# a job whose worker stopped this many times is not resumed again
MAX_INTERRUPTIONS = 3
# a part that meets concurrent updates this many times in a row fails the call (the next one resumes it)
CHUNK_ATTEMPTS = 5
# the folder import: files read, and where they go once imported
FOLDER_EXTENSIONS = (".xlsx", ".csv")
DONE, FAILED = "done", "failed"


class NotRegularFile(OSError):
    """A folder entry that is a link, a folder or a special file: never read."""


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
    staged = fields.Boolean(readonly=True, help="The file is checked and its rows wait in chunks to be written.")
    chunk_count = fields.Integer("Parts", readonly=True)
    chunks_done = fields.Integer("Parts Written", readonly=True)
    interruptions = fields.Integer(readonly=True, help="Times the worker running the import stopped.")
    stage_info = fields.Json(readonly=True)

    @api.depends("rows_done", "rows_total", "state")
    def _compute_progress(self):
        # a running import publishes its progress in PROGRESS_TABLE
        running = [job.id for job in self if job.state == "running" and isinstance(job.id, int)]
        live = {}
        if running:
            self.env.cr.execute(
                SQL(
                    "SELECT job_id, rows_done, rows_total FROM %s WHERE job_id = ANY(%s)",
                    SQL.identifier(PROGRESS_TABLE),
                    running,
                )
            )
            live = {job_id: (done, total) for job_id, done, total in self.env.cr.fetchall()}
        for job in self:
            if job.state == "done":
                job.progress = 100.0
            else:
                done, total = live.get(job.id, (job.rows_done, job.rows_total))
                job.progress = 100.0 * done / total if total else 0.0

    def init(self):
        """The progress of running imports has a table of its own: only the
        short transactions of ``_set_progress`` write it, never the
        import's, so neither waits for the other and the import's final
        write on its job row meets no concurrent update."""
        res = super().init()
        self.env.cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS %s (
                       job_id integer PRIMARY KEY REFERENCES collection_import_job (id) ON DELETE CASCADE,
                       rows_done integer NOT NULL,
                       rows_total integer NOT NULL,
                       write_date timestamp without time zone NOT NULL
                   )""",
                SQL.identifier(PROGRESS_TABLE),
            )
        )
        self.env.cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS %s (
                       job_id integer NOT NULL REFERENCES collection_import_job (id) ON DELETE CASCADE,
                       seq integer NOT NULL,
                       records jsonb NOT NULL,
                       done boolean NOT NULL DEFAULT FALSE,
                       counts jsonb,
                       case_ids integer[],
                       created integer[],
                       updated integer[],
                       PRIMARY KEY (job_id, seq)
                   )""",
                SQL.identifier(CHUNK_TABLE),
            )
        )
        return res

    def _set_progress(self, done, total):
        """Publish the progress of a queued import from a transaction of its
        own (committed at once), so that users follow it while the import
        stays one transaction. Best effort."""
        self.ensure_one()
        total = max(int(total), 0)
        done = min(max(int(done), 0), total)
        try:
            with self.env.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '2s'")
                cr.execute(
                    SQL(
                        """INSERT INTO %s (job_id, rows_done, rows_total, write_date)
                           VALUES (%s, %s, %s, now() at time zone 'UTC')
                           ON CONFLICT (job_id) DO UPDATE SET rows_done = EXCLUDED.rows_done,
                               rows_total = EXCLUDED.rows_total, write_date = EXCLUDED.write_date""",
                        SQL.identifier(PROGRESS_TABLE),
                        self.id,
                        done,
                        total,
                    ),
                    log_exceptions=False,
                )
        except psycopg2.Error:  # progress is best effort, the import goes on
            _logger.debug("progress of import job %s not published", self.id, exc_info=True)

    def _run(self):
        """Import the files of these jobs in the current transaction (the
        wizard's small files, the folder import): errors of the data end in
        the error file; an import that raises is rolled back to a savepoint
        and its job marked failed with the reason."""
        for job in self:
            start = time.monotonic()
            try:
                with self.env.cr.savepoint():
                    job._run_import()
            except Exception as exc:  # report it on the job, keep the caller alive
                job._log_failure(exc)
                job.write(job._failure_vals(exc))
            job.duration = time.monotonic() - start

    def _log_failure(self, exc):
        if isinstance(exc, UserError):
            _logger.info("Collection import %s refused: %s", self.id, exc)
        else:
            _logger.error("Collection import %s failed", self.id, exc_info=exc)

    def _failure_vals(self, exc):
        message = exc.args[0] if isinstance(exc, UserError) and exc.args else exc
        return {"state": "failed", "message": str(message), "date_done": fields.Datetime.now()}

    def _run_import(self):
        self.ensure_one()
        start = fields.Datetime.now()
        records, headers = self._read_records()
        result = self.portfolio_id.with_user(self.user_id)._import_records(records, self._import_options())
        counts, errors = result["counts"], result["errors"]
        vals = {key: counts[key] for key in import_parser.WRITE_COUNTS}
        vals.update(
            self._error_vals(errors, headers, records, result["imported"]),
            state="done",
            date_start=start,
            imported=result["imported"],
            rows_total=len(records),
            rows_done=len(records),
            date_done=fields.Datetime.now(),
        )
        messages = list(result.get("warnings") or [])
        if not result["imported"]:
            messages.insert(
                0,
                _(
                    "Nothing was imported: %s rows have errors. Correct them (see the error file) or choose "
                    "to import the valid rows.",
                    len(errors),
                ),
            )
        vals["message"] = "\n".join(messages) or False
        self.write(vals)
        return result

    def _read_records(self):
        """(records, headers) of the job's file. The file is read once:
        neither its encoded nor its decoded bytes stay in memory beside its
        rows."""
        data = base64.b64decode(self.file or b"")
        self.invalidate_recordset(["file"])
        records, headers, _info = self.portfolio_id._import_read_file(data, self.name, self.mapping)
        return records, headers

    def _error_vals(self, errors, headers, records, imported):
        """The job's error count, summary and error file."""
        vals = {
            "error_count": len(errors),
            "error_summary": "\n".join(
                self.env._("Row %(row)s: %(message)s", row=r, message=m) for r, m in sorted(errors.items())
            )
            or False,
        }
        if errors:
            vals["error_file"] = base64.b64encode(
                import_parser.error_workbook(headers, records, errors, only_errors=imported)
            )
            vals["error_file_name"] = f"{os.path.splitext(self.name)[0]}.errors.xlsx"
        return vals

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

    # ------------------------------------------------------------------
    # Queued imports
    # ------------------------------------------------------------------
    @api.model
    def _cron_run_queued(self):
        """Run the queued imports, each in transactions of its own (the
        cron's transaction only lists them), for one slice of time per call
        (``tools/job_slice``):

        1. the job is taken under a session lock of its own (another worker
           that holds it is left alone, never waited for) and marked
           ``running``, committed;
        2. the file is read and checked; the error file and the counts of
           rejected rows are written, and the rows to import are staged in
           chunks of debtors (``collection_import_job_chunk``), committed;
        3. each chunk is written and committed with its mark of done, one by
           one; a worker that dies loses the chunk it was writing only, and
           the next call carries on with the chunks not done;
        4. the import is concluded: missing cases returned, its event, the
           job done.

        An import that raises is marked failed with the reason (what its
        committed chunks imported stays, and the job says how far it got).
        Jobs whose worker stopped are resumed; one stopped three times
        (time or memory limit) is marked failed."""
        job_slice = JobSlice(self.env)
        self._recover_interrupted()
        remaining = 0
        jobs = self.search([("state", "in", ("queued", "running"))], order="id")
        # someone waits for these: the daily run gives way while they run
        with waited_job(self.env.cr, bool(jobs)):
            for job in jobs:
                if job_slice.spent():
                    remaining += 1
                    continue
                if job._run_queued(job_slice) is False:
                    remaining += 1
        job_slice.report(remaining)

    def _run_queued(self, job_slice=None):
        """Take this job and carry it on for the slice's time; True when it
        ended (done or failed), False when there is more to do, None when
        another worker holds it."""
        self.ensure_one()
        job_slice = job_slice or JobSlice(self.env)
        start = time.monotonic()
        with self.env.registry.cursor() as cr, session_lock(cr, JOB_LOCK_KEY, self.id) as locked:
            if not locked:
                return None
            job = self.with_env(self.env(cr=cr))
            if not job._claim():
                return None
            cr.commit()  # pylint: disable=invalid-commit
            try:
                finished = job._run_staged(job_slice)
            except CONCURRENCY_ERRORS:  # met again and again: the next call carries on
                cr.rollback()
                _logger.info("Collection import %s waits for concurrent updates; resumed by the next call", self.id)
                job.invalidate_recordset()
                finished = False
            except Exception as exc:  # the chunk rolled back: say why on the job, go on with the next one
                cr.rollback()
                job._log_failure(exc)
                job.invalidate_recordset()
                vals = job._failure_vals(exc)
                vals.update(job._partial_vals(vals["message"]))
                job.write(vals)
                job._drop_staged()
                finished = True
            if not finished:
                # its slice of time is spent: it waits, queued, for the next call (a job left
                # running by a worker that no longer holds its lock is one that was interrupted)
                job.state = "queued"
            job.duration = (job.duration or 0.0) + time.monotonic() - start
            cr.commit()  # pylint: disable=invalid-commit
            return finished

    def _claim(self):
        """Mark this job running (it is queued, or running and free: left by
        a worker that stopped); False when it is neither, or another
        transaction holds its row (``SKIP LOCKED``: never wait for it)."""
        self.ensure_one()
        try:
            self.env.cr.execute(
                SQL(
                    """UPDATE collection_import_job
                          SET state = 'running', date_start = COALESCE(date_start, now() at time zone 'UTC'),
                              write_date = now() at time zone 'UTC', write_uid = %s
                        WHERE id IN (SELECT id FROM collection_import_job
                                      WHERE id = %s AND state IN ('queued', 'running')
                                        FOR NO KEY UPDATE SKIP LOCKED)
                    RETURNING id""",
                    self.env.uid,
                    self.id,
                ),
                log_exceptions=False,
            )
            claimed = bool(self.env.cr.fetchall())
        except psycopg2.errors.SerializationFailure:  # another worker changed it meanwhile
            self.env.cr.rollback()
            return False
        self.invalidate_recordset()
        return claimed

    def _run_staged(self, job_slice):
        """Check and stage the file (first call), then write its chunks
        until the slice's time is spent; True when the import is done."""
        self.ensure_one()
        if not self.staged:
            if self._stage():
                return True
            job_slice.chunk_done(cr=self.env.cr)
        attempts = 0
        while True:
            self.env.cr.execute(
                SQL(
                    "SELECT seq, records::text FROM %s WHERE job_id = %s AND NOT done ORDER BY seq LIMIT 1",
                    SQL.identifier(CHUNK_TABLE),
                    self.id,
                )
            )
            row = self.env.cr.fetchone()
            if not row:
                break
            if job_slice.spent():
                return False
            seq, payload = row
            portfolio = self.portfolio_id.with_user(self.user_id)
            records = json.loads(payload, object_hook=import_parser.record_json_hook)
            try:
                counts, case_ids, created, updated = portfolio._import_write_staged(records, self._import_options())
                self.env.flush_all()
            except CONCURRENCY_ERRORS as error:
                # a collector's request met on a case: the part is rolled back and written again
                attempts += 1
                if attempts >= CHUNK_ATTEMPTS or not job_slice.concurrent(error, cr=self.env.cr):
                    raise
                continue
            attempts = 0
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET done = TRUE, records = '[]', counts = %s, case_ids = %s, created = %s,"
                    " updated = %s WHERE job_id = %s AND seq = %s",
                    SQL.identifier(CHUNK_TABLE),
                    json.dumps(counts),
                    case_ids,
                    created,
                    updated,
                    self.id,
                    seq,
                )
            )
            self.chunks_done += 1
            rows = self.rows_total
            self._set_progress(rows + rows * self.chunks_done // max(self.chunk_count, 1), 2 * rows)
            # committed with its mark of done; what it read through the ORM leaves the cache
            job_slice.chunk_done(cr=self.env.cr)
            self.env.invalidate_all()
        self._conclude()
        return True

    def _import_options(self):
        return {
            "row_results": False,
            "mode": self.mode,
            "mark_missing": self.mark_missing,
            "decimal_separator": self.decimal_separator or "auto",
            "date_format": self.date_format or "auto",
            "source": self.source,
        }

    def _stage(self):
        """Read and check the file; write the error file and the counts of
        the check; stage the rows to import in chunks of debtors. True when
        nothing is to be written (the job is then done)."""
        self.ensure_one()
        records, headers = self._read_records()
        options = self._import_options()
        self._set_progress(0, len(records))
        options["progress"] = self._set_progress
        staged = {}

        def stage(good, records, lines):
            chunks = chunks_by(good, lambda line: line["debtor_key"], STAGE_CHUNK_DEBTORS)
            for seq, chunk in enumerate(chunks):
                # the checked lines: a part is written without checking its rows again
                payload = json.dumps(stage_lines(chunk), default=import_parser.record_json_default)
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO %s (job_id, seq, records) VALUES (%s, %s, %s)",
                        SQL.identifier(CHUNK_TABLE),
                        self.id,
                        seq,
                        payload,
                    )
                )
            # what returning the missing cases needs once every chunk is written
            vats, refs = set(), set()
            for line in lines:
                if line["vat"]:
                    vats.add(line["vat"])
                if line["partner_ref"]:
                    refs.add(line["partner_ref"])
            staged.update(
                chunks=len(chunks),
                keys={"vats": sorted(vats), "refs": sorted(refs)},
                placed=any(line["latitude"] for line in good),
            )

        options["stage"] = stage
        result = self.portfolio_id.with_user(self.user_id)._import_records(records, options)
        errors = result["errors"]
        vals = dict(
            self._error_vals(errors, headers, records, result["imported"]),
            staged=True,
            rows_total=len(records),
            chunk_count=staged.get("chunks", 0),
            stage_info={"keys": staged.get("keys"), "placed": staged.get("placed"), "rejected": len(errors)},
        )
        del records
        if not result["imported"] or not staged.get("chunks"):
            vals.update(state="done", imported=False, rows_done=vals["rows_total"], date_done=fields.Datetime.now())
            if not result["imported"]:
                vals["message"] = _(
                    "Nothing was imported: %s rows have errors. Correct them (see the error file) or choose "
                    "to import the valid rows.",
                    len(errors),
                )
            self.write(vals)
            if result["imported"]:  # valid rows only, none valid: the import's end as usual
                self.write({"imported": True})
                self._conclude()
            return True
        self.write(vals)
        return False

    def _chunk_counts(self):
        """The counts of the chunks written so far, and how many."""
        self.env.cr.execute(
            SQL(
                "SELECT counts, created, updated FROM %s WHERE job_id = %s AND done",
                SQL.identifier(CHUNK_TABLE),
                self.id,
            )
        )
        totals = dict.fromkeys(import_parser.WRITE_COUNTS, 0)
        created, updated = set(), set()
        rows = self.env.cr.fetchall()
        for counts, chunk_created, chunk_updated in rows:
            for key in totals:
                totals[key] += (counts or {}).get(key, 0)
            created.update(chunk_created or ())
            updated.update(chunk_updated or ())
        totals["cases_updated"] = len(updated - created)
        return totals, len(rows)

    def _partial_vals(self, reason):
        """What a job that stops for good says of the chunks it wrote (kept)."""
        counts, done = self._chunk_counts()
        if not done:
            return {}
        return dict(
            counts,
            imported=True,
            message=_(
                "%(reason)s\nThe import stopped after %(done)s of %(total)s parts were written; they are kept.",
                reason=reason,
                done=done,
                total=self.chunk_count,
            ),
        )

    def _conclude(self):
        """Every chunk is written: the missing cases returned (a complete
        file), the import's event, the job done with its counts; the staged
        rows go."""
        self.ensure_one()
        portfolio = self.portfolio_id.with_user(self.user_id).sudo()
        info = self.stage_info or {}
        counts, _done = self._chunk_counts()
        counts.update(rows=self.rows_total, rejected=info.get("rejected", self.error_count))
        portfolio._import_zone_cases(bool(info.get("placed")))
        present = None
        if self.mark_missing and self.rows_total and not self.error_count:
            self.env.cr.execute(
                SQL(
                    "SELECT DISTINCT unnest(case_ids) FROM %s WHERE job_id = %s",
                    SQL.identifier(CHUNK_TABLE),
                    self.id,
                )
            )
            present = {row[0] for row in self.env.cr.fetchall()}
            keys = info.get("keys") or {}
            present |= portfolio._import_present_case_ids(
                [{"vat": vat, "partner_ref": False} for vat in keys.get("vats") or []]
                + [{"vat": False, "partner_ref": ref} for ref in keys.get("refs") or []]
            )
        warnings = portfolio._import_conclude(
            self.rows_total, info.get("rejected", self.error_count), present, counts, self._import_options()
        )
        vals = {key: counts[key] for key in import_parser.WRITE_COUNTS}
        vals.update(
            state="done",
            imported=True,
            rows_done=self.rows_total,
            date_done=fields.Datetime.now(),
            message="\n".join(warnings) or False,
        )
        self.write(vals)
        self._drop_staged()

    def _drop_staged(self):
        """The staged rows of an import that ended (done or failed) go."""
        self.env.cr.execute(SQL("DELETE FROM %s WHERE job_id = %s", SQL.identifier(CHUNK_TABLE), self.id))

    @api.model
    def _recover_interrupted(self):
        """Jobs left ``running`` by a worker that stopped (server restarted,
        worker killed for time or memory; no session holds their lock) are
        resumed by this run from their last committed chunk; one stopped
        ``MAX_INTERRUPTIONS`` times is marked failed (a file that stops
        every worker it meets), what its chunks imported kept."""
        failed = []
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT id FROM collection_import_job WHERE state = 'running' ORDER BY id"
                    " FOR NO KEY UPDATE SKIP LOCKED"
                )
            )
            for (job_id,) in cr.fetchall():
                cr.execute(SQL("SELECT pg_try_advisory_xact_lock(hashtext(%s), %s)", JOB_LOCK_KEY, job_id))
                if not cr.fetchone()[0]:  # a worker is on it
                    continue
                job = self.with_env(self.env(cr=cr)).browse(job_id)
                job.interruptions += 1
                _logger.warning("Collection import %s was interrupted (%s times)", job_id, job.interruptions)
                if job.interruptions >= MAX_INTERRUPTIONS:
                    vals = {
                        "state": "failed",
                        "date_done": fields.Datetime.now(),
                        "message": self.env._(
                            "The import was interrupted %s times (the server stopped while it ran): it is not "
                            "tried again. Split the file or ask the administrator to raise the workers' limits.",
                            job.interruptions,
                        ),
                    }
                    vals.update(job._partial_vals(vals["message"]))
                    job.write(vals)
                    job._drop_staged()
                    failed.append(job_id)
            # the progress of finished imports is of no more use
            cr.execute(
                SQL(
                    "DELETE FROM %s p USING collection_import_job j WHERE j.id = p.job_id AND j.state != 'running'",
                    SQL.identifier(PROGRESS_TABLE),
                )
            )
        return failed

    # ------------------------------------------------------------------
    # Folder import
    # ------------------------------------------------------------------
    @api.model
    def _cron_import_folders(self):
        """Import every .xlsx / .csv file found in the folder of a portfolio,
        with its template, then move it to ``done/`` or ``failed/`` (with its
        error file next to it).

        Each file is imported and committed in a transaction of its own and
        moved only once that transaction has ended: a file is in ``done/``
        only when its data is committed; one whose import raised or whose
        transaction could not commit goes to ``failed/`` with the reason.
        Only regular files directly in the folder are read (no link is
        followed), and ``done/`` and ``failed/`` must be directories of the
        folder itself. Return the jobs (committed by their own
        transactions)."""
        portfolios = (
            self.env["collection.portfolio"]
            .sudo()
            .search([("import_directory", "!=", False), ("state", "=", "active"), ("kind", "=", "external")])
        )
        job_ids = []
        for portfolio in portfolios:
            try:
                folder = self._import_folder(portfolio)
                names = sorted(os.listdir(folder)) if folder else []
            except OSError:
                _logger.warning("Import folder of portfolio %s cannot be read", portfolio.name, exc_info=True)
                continue
            for name in names:
                if name.lower().endswith(FOLDER_EXTENSIONS):
                    job_ids.append(self._import_folder_file(portfolio, folder, name))
        return self.browse(filter(None, job_ids))

    @api.model
    def _import_folder(self, portfolio):
        """The portfolio's folder (links in its own path resolved, as the
        administrator set it), with ``done/`` and ``failed/`` created; None
        when it is missing or those are not directories of the folder."""
        folder = os.path.realpath(portfolio.import_directory)
        if not os.path.isdir(folder):
            _logger.warning("Import folder %s of portfolio %s does not exist", folder, portfolio.name)
            return None
        for sub in (DONE, FAILED):
            path = os.path.join(folder, sub)
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o750)
            if not stat.S_ISDIR(os.lstat(path).st_mode):  # lstat: a link is not a directory
                _logger.warning(
                    "Import folder %s of portfolio %s: %s is not a directory of the folder (a link?); no file imported",
                    folder,
                    portfolio.name,
                    sub,
                )
                return None
        return folder

    @api.model
    def _import_folder_file(self, portfolio, folder, name):
        """Import one file of the folder in a transaction of its own, then
        move it; return its job's id."""
        template = portfolio.import_template_id
        vals = {
            "name": name,
            "portfolio_id": portfolio.id,
            "source": "folder",
            "mapping": template._as_mapping() if template else {},
            "decimal_separator": template.decimal_separator if template else "auto",
            "date_format": template.date_format if template else "auto",
            "mark_missing": portfolio.import_mark_missing,
            "mode": "all",
        }
        try:
            data = self._import_folder_read(folder, name)
        except FileNotFoundError:  # taken away meanwhile
            return None
        except OSError as exc:
            _logger.warning("Import folder %s: %s not read: %s", folder, name, exc)
            if isinstance(exc, NotRegularFile) or exc.errno == errno.ELOOP:
                message = self.env._(
                    "%s is not a regular file of the import folder (a link, a folder or a special file): it was "
                    "not read.",
                    name,
                )
            else:
                message = self.env._("%(file)s could not be read: %(error)s", file=name, error=exc.strerror or exc)
            job_id = self._create_failed(vals, message)
            self._import_folder_move(folder, name, {"ok": False, "message": message})
            return job_id
        vals["file"] = base64.b64encode(data)
        start = time.monotonic()
        try:
            with self.env.registry.cursor() as cr:
                job = self.with_env(self.env(cr=cr)).create(vals)
                job._run()
                outcome = {
                    "ok": job.state == "done" and job.imported and not job.error_count,
                    "message": job.message,
                    "error_file": job.error_file and base64.b64decode(job.error_file),
                    "error_file_name": job.error_file_name,
                }
                job_id = job.id
        except Exception as exc:  # the import's transaction rolled back: the file is not done
            _logger.error("Folder import of %s failed", os.path.join(folder, name), exc_info=exc)
            outcome = {"ok": False, "message": self._failure_vals(exc)["message"]}
            job_id = self._create_failed(dict(vals, duration=time.monotonic() - start), outcome["message"])
        self._import_folder_move(folder, name, outcome)
        return job_id

    @api.model
    def _create_failed(self, vals, message):
        with self.env.registry.cursor() as cr:
            return (
                self.with_env(self.env(cr=cr))
                .create(dict(vals, state="failed", message=message, date_done=fields.Datetime.now()))
                .id
            )

    @api.model
    def _import_folder_read(self, folder, name):
        """The bytes of a regular file directly in ``folder``. Links are
        never followed (``lstat``, ``O_NOFOLLOW``), anything else than a
        regular file (device, pipe, folder) is refused: NotRegularFile."""
        path = os.path.join(folder, name)
        if not stat.S_ISREG(os.lstat(path).st_mode) or os.path.dirname(os.path.realpath(path)) != folder:
            raise NotRegularFile(errno.EPERM, "not a regular file of the folder", path)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # replaced since the lstat
                raise NotRegularFile(errno.EPERM, "not a regular file of the folder", path)
            return handle.read()

    @api.model
    def _import_folder_move(self, folder, name, outcome):
        """Move the folder entry (a link is moved itself, not followed) to
        ``done/`` or ``failed/`` and write its error file or reason next to
        it. Runs after the file's transaction ended: if it fails, the file
        stays and is imported again next time (an import is idempotent)."""
        target = os.path.join(folder, DONE if outcome["ok"] else FAILED)
        try:
            os.replace(os.path.join(folder, name), os.path.join(target, name))
            if outcome.get("error_file"):
                self._write_file(target, outcome["error_file_name"], outcome["error_file"])
            elif not outcome["ok"]:
                self._write_file(target, f"{name}.error.txt", (outcome["message"] or "").encode())
        except OSError:
            _logger.exception("Import folder %s: %s could not be moved to %s", folder, name, target)

    @api.model
    def _write_file(self, folder, name, data):
        """Write a new file in ``folder`` without following a link planted there."""
        fd = os.open(
            os.path.join(folder, name),
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
            0o640,
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
