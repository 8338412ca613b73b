"""The daily run as recorded phases: each call of the cron carries on from
the phase and the case its last committed chunk reached, so a run stopped
mid-way (worker killed for time or memory, server restarted) resumes at the
next call with nothing done twice and nothing left out."""

import logging
import time

from odoo import api
from odoo import fields
from odoo import models
from odoo.tools import SQL

from ..tools.job_slice import CONCURRENCY_ERRORS
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
CHUNK_CASES = {
    "promises": 2000,
    "aging": 2000,
    "strategies": 5000,
    "steps": 500,
    "snapshot": 5000,
    "tiers": 5000,
    "today": 5000,
}
# a chunk that meets concurrent updates this many times in a row ends the call (the runner calls again)
CHUNK_ATTEMPTS = 5
# a call that fails (or finds the run locked) is tried again this many minutes later
RETRY_MINUTES = 3


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
    paused_seconds = fields.Float(
        "Paused (s)",
        default=0.0,
        readonly=True,
        digits=(16, 1),
        help="Seconds the run paused between its chunks to give way to imports and invoice synchronisations "
        "running at the same time.",
    )
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
            if not job.committing:
                run._advance(job)
                job.report(run._remaining())
                return run
            self.env.cr.commit()  # pylint: disable=invalid-commit
            try:
                run._advance(job)
            except CONCURRENCY_ERRORS as error:
                # met again and again: rolled back, the runner calls again
                job.concurrent(error)
                job.report(max(run._remaining(), 1))
                return run
            except Exception:
                # the call failed (its chunk rolled back): tried again in a few
                # minutes rather than at the next day's run
                self.env.cr.rollback()
                self._retry_later()
                self.env.cr.commit()  # pylint: disable=invalid-commit
                raise
            job.report(run._remaining())
            return run

    def _retry_later(self, minutes=RETRY_MINUTES):
        cron = self.env.ref("debt_collection.ir_cron_collection_daily_refresh", raise_if_not_found=False)
        if cron and self.env.context.get("ir_cron_progress_id"):
            cron.sudo()._trigger(fields.Datetime.add(fields.Datetime.now(), minutes=minutes))

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
        is spent. A chunk that meets a concurrent update (a collector's
        request on the same case) is rolled back and done again."""
        self.ensure_one()
        attempts = 0
        while self.phase != "done":
            started = time.monotonic()
            try:
                finished = getattr(self, f"_phase_{self.phase}")(job)
                vals = {"chunk_count": self.chunk_count + 1}
                if finished:
                    vals.update(phase=PHASE_ORDER[PHASE_ORDER.index(self.phase) + 1], cursor=0)
                self.write(vals)
                job.chunk_done()
            except CONCURRENCY_ERRORS as error:
                attempts += 1
                if attempts >= CHUNK_ATTEMPTS or not job.concurrent(error):
                    raise
                # what this call kept in temporary tables went with the rollback
                job.ladders_loaded = job.strategy_match = False
                job.today_plan = None
                continue
            attempts = 0
            if self.phase != "done":
                # a batch nobody waits for by the minute: while an import or
                # an invoice sync runs, it works at a reduced pace
                paused = job.give_way(time.monotonic() - started)
                if paused:
                    self.paused_seconds += paused
            if job.spent():
                break
        if self.phase == "done" and self.state == "running":
            self.write({"state": "done", "date_end": fields.Datetime.now()})
            job.chunk_done(0)

    def _in_chunks(self, job, whole, part, extra=None, open_only=True):
        """Work the current phase over the cases: ``whole()`` at once when
        chunks are not committed, else ``part(ids, after)`` on the next
        chunk of cases (open ones only by default, ``extra`` a further
        condition) after the cursor, which moves to its last case. True
        once the last chunk is done."""
        if not job.committing:
            whole()
            return True
        size = CHUNK_CASES[self.phase]
        where = SQL("id > %s", self.cursor)
        if open_only:
            where = SQL("%s AND state = 'open'", where)
        if extra:
            where = SQL("%s AND %s", where, extra)
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT id FROM collection_case WHERE %s ORDER BY id LIMIT %s", where, size))
        ids = [row[0] for row in self.env.cr.fetchall()]
        if ids:
            part(ids, self.cursor)
            self.cursor = ids[-1]
        return len(ids) < size

    # ------------------------------------------------------------------
    # Phases: each returns True when it is finished
    # ------------------------------------------------------------------
    def _phase_resubmissions(self, job):
        self.env["collection.case"].sudo()._apply_due_resubmissions()
        return True

    def _phase_promises(self, job):
        Promise = self.env["collection.promise"].sudo()
        Case = self.env["collection.case"].sudo()
        return self._in_chunks(
            job,
            Promise._judge_due,
            lambda ids, after: Promise._judge_due(cases=Case.browse(ids)),
            SQL(
                "EXISTS (SELECT 1 FROM collection_promise p WHERE p.case_id = collection_case.id AND p.state = 'open')"
            ),
            open_only=False,
        )

    def _phase_agreements(self, job):
        self.env["collection.agreement"].sudo()._cron_follow_agreements()
        return True

    def _phase_aging(self, job):
        Case = self.env["collection.case"].sudo()
        return self._in_chunks(job, Case._refresh_aging, lambda ids, after: Case._refresh_aging(ids))

    def _phase_rates(self, job):
        self.env["collection.case"].sudo()._refresh_company_rates()
        return True

    def _phase_strategies(self, job):
        Case = self.env["collection.case"].sudo()
        if not self.strategy_run_id:
            self.strategy_run_id = self.env["collection.strategy.run"].sudo().create({})
            Case._cancel_steps_of_closed_cases()
            if job.committing:
                return False
        today = fields.Date.context_today(self)
        if not getattr(job, "strategy_match", False):
            # once per call, in a temporary table this call's chunks read
            messages = []
            Case._match_strategies(messages)
            self.strategy_run_id.message = "\n".join(messages) or False
            job.strategy_match = True
        return self._in_chunks(
            job,
            lambda: Case._apply_strategies(today),
            lambda ids, after: Case._apply_strategies(today, after=after, until=ids[-1]),
        )

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
        Snapshot = self.env["collection.case.snapshot"].sudo()
        today = fields.Date.context_today(self)
        finished = self._in_chunks(
            job,
            Snapshot._take,
            lambda ids, after: Snapshot._write_snapshots(today, after=after, until=ids[-1]),
            open_only=False,
        )
        if finished and job.committing:
            Snapshot._refresh_kpis()
        return finished

    def _phase_tiers(self, job):
        Case = self.env["collection.case"].sudo()
        return self._in_chunks(job, Case._refresh_work_tier, lambda ids, after: Case._refresh_work_tier(ids))

    def _phase_today(self, job):
        Case = self.env["collection.case"].sudo()

        def part(ids, after):
            if getattr(job, "today_plan", None) is None:
                job.today_plan = Case._make_today_plan()
            Case._plan_today(after=after, until=ids[-1], plan=job.today_plan)

        return self._in_chunks(job, Case._plan_today, part, open_only=False)
