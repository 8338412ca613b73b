"""The daily run as recorded phases: each call of the cron carries on from
the phase and the case its last committed chunk reached, so a run stopped
mid-way (worker killed for time or memory, server restarted) resumes at the
next call with nothing done twice and nothing left out."""

import logging

from odoo import api
from odoo import fields
from odoo import models
from odoo.tools import SQL

from ..tools.job_slice import JobSlice
from ..tools.job_slice import session_lock
from .collection_case_daily import RUN_LOCK_KEY

_logger = logging.getLogger(__name__)

# the phases in order; aging, steps and tiers go chunk by chunk of cases
PHASES = [
    ("resubmissions", "Resubmissions back"),
    ("promises", "Promises judged"),
    ("agreements", "Payment plans followed"),
    ("aging", "Aging and scores"),
    ("rates", "Company rates"),
    ("strategies", "Strategies given"),
    ("steps", "Strategy steps carried out"),
    ("register", "Delinquent register"),
    ("snapshot", "Month snapshot and KPIs"),
    ("tiers", "Work-list tiers"),
    ("today", "Today lists planned"),
    ("done", "Done"),
]
PHASE_ORDER = [code for code, _label in PHASES]
# cases per committed chunk: small enough that no case row stays locked for
# more than a few hundred milliseconds while collectors work
CHUNK_CASES = {"aging": 2000, "steps": 500, "tiers": 5000}


class CollectionDailyRun(models.Model):
    _name = "collection.daily.run"
    _description = "Collection Daily Run"
    _order = "id desc"
    _rec_name = "date"

    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("abandoned", "Abandoned")],
        default="running",
        required=True,
        readonly=True,
    )
    phase = fields.Selection(PHASES, default="resubmissions", required=True, readonly=True)
    cursor = fields.Integer(readonly=True, help="The last case the current phase has worked (by id).")
    strategy_run_id = fields.Many2one("collection.strategy.run", readonly=True)
    date_start = fields.Datetime("Started", default=fields.Datetime.now, readonly=True)
    date_end = fields.Datetime("Finished", readonly=True)
    call_count = fields.Integer("Calls", readonly=True, help="Calls of the scheduled action the run took.")
    chunk_count = fields.Integer("Chunks", readonly=True, help="Chunks committed.")
    message = fields.Text(readonly=True)

    # ------------------------------------------------------------------
    # The cron's entry point
    # ------------------------------------------------------------------
    @api.model
    def _work(self):
        """Carry today's run on from where it stands, for one slice of time
        (see ``tools/job_slice``). Returns the run, or nothing when another
        process is running it or a strategy run."""
        job = JobSlice(self.env)
        # a session lock (survives the chunks' commits, released if the
        # worker dies): one process works the run at a time, and no manual
        # strategy run overlaps it
        with session_lock(self.env.cr, RUN_LOCK_KEY) as locked:
            if not locked:
                _logger.info("The daily run waits: another process holds the strategy lock.")
                self._retry_later()
                return self.browse()
            run = self._current()
            run._advance(job)
            job.report(run._remaining())
            return run

    def _retry_later(self):
        cron = self.env.ref("debt_collection.ir_cron_collection_daily_refresh", raise_if_not_found=False)
        if cron and self.env.context.get("ir_cron_progress_id"):
            cron.sudo()._trigger(fields.Datetime.add(fields.Datetime.now(), minutes=2))

    @api.model
    def _current(self):
        """Today's run still running, or a new one; a run of an earlier day
        left running is abandoned (today's run does what it had left)."""
        today = fields.Date.context_today(self)
        runs = self.sudo().search([("state", "=", "running")], order="id")
        stale = runs.filtered(lambda r: r.date != today)
        if stale:
            stale.write({"state": "abandoned", "date_end": fields.Datetime.now()})
            stale.strategy_run_id.filtered(lambda r: r.state == "running").write(
                {"state": "failed", "date_end": fields.Datetime.now()}
            )
        run = (runs - stale)[-1:]
        if run:
            _logger.info("Collection daily run %s resumed at phase %s after case %s", run.id, run.phase, run.cursor)
        else:
            run = self.sudo().create({"date": today})
        run.call_count += 1
        return run

    def _remaining(self):
        """Chunks and phases left (an estimate for the cron's progress)."""
        self.ensure_one()
        if self.state != "running":
            return 0
        left = len(PHASE_ORDER) - 1 - PHASE_ORDER.index(self.phase)
        size = CHUNK_CASES.get(self.phase)
        if size:
            self.env.cr.execute(
                SQL("SELECT COUNT(*) FROM collection_case WHERE state = 'open' AND id > %s", self.cursor)
            )
            left += -(-self.env.cr.fetchone()[0] // size)
        return max(left, 1)

    def _advance(self, job):
        """Work the phases from the current one, committing each chunk with
        the run's new position, until the run is done or the call's time
        is spent."""
        self.ensure_one()
        while self.phase != "done":
            finished = getattr(self, f"_phase_{self.phase}")(job)
            vals = {"chunk_count": self.chunk_count + 1}
            if finished:
                vals.update(phase=PHASE_ORDER[PHASE_ORDER.index(self.phase) + 1], cursor=0)
            self.write(vals)
            job.chunk_done()
            if job.spent():
                break
        if self.phase == "done" and self.state == "running":
            self.write({"state": "done", "date_end": fields.Datetime.now()})
            job.chunk_done(0)

    def _chunk(self, job, size, extra=None):
        """The next open cases after the cursor (all of them when chunks are
        not committed), by id."""
        where = SQL("state = 'open' AND id > %s", self.cursor)
        if extra:
            where = SQL("%s AND %s", where, extra)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM collection_case WHERE %s ORDER BY id %s",
                where,
                SQL("LIMIT %s", size) if job.committing else SQL(""),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------------
    # Phases: each returns True when it is finished
    # ------------------------------------------------------------------
    def _phase_resubmissions(self, job):
        self.env["collection.case"].sudo()._apply_due_resubmissions()
        return True

    def _phase_promises(self, job):
        self.env["collection.promise"].sudo()._judge_due()
        return True

    def _phase_agreements(self, job):
        self.env["collection.agreement"].sudo()._cron_follow_agreements()
        return True

    def _phase_aging(self, job):
        Case = self.env["collection.case"].sudo()
        if not job.committing:
            Case._refresh_aging()
            return True
        ids = self._chunk(job, CHUNK_CASES["aging"])
        if ids:
            Case._refresh_aging(ids)
            self.cursor = ids[-1]
        return len(ids) < CHUNK_CASES["aging"]

    def _phase_rates(self, job):
        self.env["collection.case"].sudo()._refresh_company_rates()
        return True

    def _phase_strategies(self, job):
        self.strategy_run_id = self.env["collection.case"].sudo()._strategy_run_start()
        return True

    def _phase_steps(self, job):
        Case = self.env["collection.case"].sudo()
        size = CHUNK_CASES["steps"]
        if not self.strategy_run_id:  # a run recorded before its strategies were given
            self.phase = "strategies"
            return False
        if not getattr(job, "ladders_loaded", False):
            # the steps of the versions cases are on, in a temporary table of this call's connection
            Case._load_ladders()
            job.ladders_loaded = True
        ids = Case._strategy_chunk_ids(self.cursor, size if job.committing else 10**9)
        for start in range(0, len(ids), size):
            Case._strategy_run_chunk(self.strategy_run_id, ids[start : start + size])
        if ids:
            self.cursor = ids[-1]
        if job.committing and len(ids) == size:
            return False
        self.strategy_run_id._finish()
        return True

    def _phase_register(self, job):
        self.env["collection.register"].sudo()._cron_register()
        return True

    def _phase_snapshot(self, job):
        self.env["collection.case.snapshot"].sudo()._take()
        return True

    def _phase_tiers(self, job):
        Case = self.env["collection.case"].sudo()
        if not job.committing:
            Case._refresh_work_tier()
            return True
        ids = self._chunk(job, CHUNK_CASES["tiers"])
        if ids:
            Case._refresh_work_tier(ids)
            self.cursor = ids[-1]
        return len(ids) < CHUNK_CASES["tiers"]

    def _phase_today(self, job):
        self.env["collection.case"].sudo()._plan_today()
        return True
