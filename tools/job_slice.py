"""A cron call's share of a long job (the daily run, the invoice sync, a
queued import).

Under Odoo's cron runner each job works in chunks committed one by one, for a
bounded time per call (``debt_collection.cron_slice_seconds``, 5 s by
default), and reports what it did and what is left with Odoo 18's cron
progress (``ir.cron._notify_progress``). While something is left the runner
calls the job again at once, up to ten times in one pass; a job stops its
pass earlier once its calls of the pass have taken
``debt_collection.cron_pass_seconds`` (30 s by default) and comes back at
the next pass (a trigger due now), so that every job a cron worker runs in
one pass fits in the worker's time limits (``limit_time_real``, 120 s by
default, covers the whole pass). The job carries on from what its committed
chunks recorded: a worker killed mid-chunk loses that chunk only (rolled
back), and the next call does it again. A chunk that meets a concurrent
update (a serialization failure, a deadlock or a lock timeout with a
collector's request) is rolled back and done again.

Jobs someone waits for (a queued import, the invoice sync) mark themselves
with a shared session lock while they run (``waited_job``); the daily run, a
batch nobody waits for by the minute, then works at a reduced pace
(``JobSlice.give_way``: after each chunk it pauses for a share of the time
the chunk took, ``debt_collection.daily_run_shared_pace``), leaving them the
CPU its PostgreSQL queries would take (Odoo runs cron workers at a lower
priority than requests, but the database's processes all at the same one).

Outside the cron runner (a button, a test, a shell) nothing is committed and
there is no time limit: the job runs to its end in the caller's transaction,
as before. The context key ``collection_commit_chunks`` asks for committed
chunks elsewhere (a worker process driven by hand, the crash tests).
"""

import contextlib
import logging
import random
import time

import psycopg2.errors
from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# seconds of work per cron call, and per job in one pass of a cron worker
# (Odoo's defaults: limit_time_cpu 60 s, limit_time_real 120 s for the pass)
DEFAULT_SLICE_SECONDS = 5.0
SLICE_PARAMETER = "debt_collection.cron_slice_seconds"
DEFAULT_PASS_SECONDS = 30.0
PASS_PARAMETER = "debt_collection.cron_pass_seconds"
# the shared session lock of the jobs someone waits for, and the share of its
# time the daily run works while one of them runs (a third: it pauses twice as
# long as each chunk took; measured with bin/loadtest, a half left the import
# at up to 2.4 times its time alone)
WAITED_JOB_KEY = "debt_collection.waited_job"
DEFAULT_SHARED_PACE = 1 / 3
SHARED_PACE_PARAMETER = "debt_collection.daily_run_shared_pace"
# what a concurrent transaction can make a chunk meet: done again
CONCURRENCY_ERRORS = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.LockNotAvailable,
)
# the calls of each job in this process: {(database, cron id): [first call of the pass, end of the last call]}
_PASSES = {}
# a call that starts this soon after the previous one ended is the runner's next call of the same pass
SAME_PASS_GAP = 1.0


def _seconds(env, key, default, minimum=0.5):
    value = env["ir.config_parameter"].sudo().get_param(key)
    try:
        return max(float(value), minimum) if value else default
    except ValueError:
        return default


def chunks_by(items, key, size):
    """``items`` cut into lists holding the items of ``size`` keys each (a
    key's items all in one list, keys in the order they first come)."""
    chunks, chunk_of = [], {}
    for item in items:
        item_key = key(item)
        index = chunk_of.get(item_key)
        if index is None:
            index = chunk_of[item_key] = len(chunk_of) // size
            if index == len(chunks):
                chunks.append([])
        chunks[index].append(item)
    return chunks


class JobSlice:
    """The chunk-by-chunk bookkeeping of one call of a long job."""

    def __init__(self, env, seconds=None):
        self.env = env
        context = env.context
        self.progress = bool(context.get("ir_cron_progress_id"))
        self.committing = self.progress or bool(context.get("collection_commit_chunks"))
        self.seconds = seconds if seconds is not None else _seconds(env, SLICE_PARAMETER, DEFAULT_SLICE_SECONDS)
        self.start = time.monotonic()
        self.done = 0
        self.pass_key = None
        self.pass_start = self.start
        if self.progress and context.get("cron_id"):
            self.pass_key = (env.cr.dbname, context["cron_id"])
            previous = _PASSES.get(self.pass_key)
            if previous and self.start - previous[1] < SAME_PASS_GAP:
                self.pass_start = previous[0]
            _PASSES[self.pass_key] = [self.pass_start, self.start]
        self.pass_seconds = _seconds(env, PASS_PARAMETER, DEFAULT_PASS_SECONDS)

    def spent(self):
        """True when this call has used its time (never outside the cron
        runner and without committed chunks: the job then runs to its end)."""
        return self.committing and time.monotonic() - self.start >= self.seconds

    def chunk_done(self, count=1, cr=None):
        """A chunk of the job is written: flush it and, when committing,
        commit it with the job's own record of where it is. ``cr``: a
        cursor of the job's own (an import's), committed in any case."""
        self.done += count
        if cr is not None:
            cr.commit()  # pylint: disable=invalid-commit
        else:
            self.env.flush_all()
        if self.committing:
            if self.progress:
                # committed work is on record even if the call fails later
                # (a deadlock, the worker's limits): the runner then calls
                # again rather than wait for the next day
                self.env["ir.cron"].sudo()._notify_progress(done=max(self.done, 1), remaining=1)
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def report(self, remaining):
        """Tell the cron runner how much this call did and how much is left,
        and commit it. With work left, the runner calls again at once; once
        the job's calls of this pass have taken their time, the job asks for
        the next pass instead (a trigger due now: the runner ends the pass
        for this job, and the trigger, newer than the pass, keeps it due)."""
        remaining = max(int(remaining), 0)
        if self.progress:
            now = time.monotonic()
            if remaining and now - self.pass_start >= self.pass_seconds:
                cron = self.env["ir.cron"].sudo().browse(self.env.context.get("cron_id"))
                if cron:
                    cron._trigger()
                    # done 0 and work left: the runner takes the job as done for this pass
                    self.env["ir.cron"].sudo()._notify_progress(done=0, remaining=remaining)
                    remaining = None
                    # the next call starts the next pass, however soon it comes
                    _PASSES.pop(self.pass_key, None)
                    self.pass_key = None
            if remaining is not None:
                # done > 0 with remaining > 0 is what makes the runner call again
                self.env["ir.cron"].sudo()._notify_progress(
                    done=max(self.done, 1) if remaining else self.done, remaining=remaining
                )
                if remaining:
                    # after its ten calls the runner's next pass comes at once,
                    # not a minute later: the cron workers are woken once this commits
                    self.env.cr.postcommit.add(self.env["ir.cron"].sudo()._notifydb)
            if self.pass_key:
                _PASSES[self.pass_key] = [self.pass_start, time.monotonic()]
        self.env.flush_all()
        if self.committing:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def give_way(self, worked):
        """After a chunk that took ``worked`` seconds: while a job someone
        waits for runs (``waited_job``, held by another session), pause so
        that this job works only its share of the time
        (``debt_collection.daily_run_shared_pace``, 0.1 to 1), within the
        call's time. Only when chunks are committed (the pause is taken
        outside any transaction). Returns the seconds paused."""
        if not self.committing or worked <= 0:
            return 0.0
        pace = min(_seconds(self.env, SHARED_PACE_PARAMETER, DEFAULT_SHARED_PACE, minimum=0.1), 1.0)
        left = self.seconds - (time.monotonic() - self.start)
        if pace >= 1.0 or left <= 0 or not waited_job_running(self.env.cr):
            return 0.0
        pause = min(worked * (1.0 - pace) / pace, left)
        self.env.cr.commit()  # pylint: disable=invalid-commit
        time.sleep(pause)
        return pause

    def concurrent(self, error, cr=None):
        """A chunk met a concurrent update: when committing, roll it back
        (the job's last committed chunk stands) and return True for the
        caller to do it again; else False (the caller raises)."""
        if not self.committing or not isinstance(error, CONCURRENCY_ERRORS):
            return False
        cr = cr if cr is not None else self.env.cr
        cr.rollback()
        self.env.invalidate_all()
        _logger.info("A chunk met a concurrent update (%s); it is done again.", error.pgcode)
        time.sleep(random.uniform(0.05, 0.5))  # noqa: S311 - a pause, not a secret
        return True


@contextlib.contextmanager
def session_lock(cr, key, number=None, shared=False):
    """Hold PostgreSQL's session-level advisory lock ``key`` (and
    ``number``) for the block: it survives the chunks' commits and is
    released with the connection when the worker dies. Yields False, without
    waiting, when another session holds it (``shared``: holds it in
    exclusive mode). Released at the end even when the block failed in the
    database (its transaction is rolled back first, as the caller would: a
    lock left on a pooled connection would stop the job for good)."""
    lock = SQL("hashtext(%s)", key) if number is None else SQL("hashtext(%s), %s", key, int(number))
    mode = SQL("_shared") if shared else SQL("")
    cr.execute(SQL("SELECT pg_try_advisory_lock%s(%s)", mode, lock))
    if not cr.fetchone()[0]:
        yield False
        return
    try:
        yield True
    finally:
        if cr._cnx.get_transaction_status() == TRANSACTION_STATUS_INERROR:
            cr.rollback()
        cr.execute(SQL("SELECT pg_advisory_unlock%s(%s)", mode, lock))


def waited_job(cr, running=True):
    """Mark, for the block, that a job someone waits for runs on this
    connection (a shared session lock: any number of them at once); the
    daily run gives way to it (``JobSlice.give_way``). ``running`` False:
    nothing to run, nothing marked."""
    if not running:
        return contextlib.nullcontext(False)
    return session_lock(cr, WAITED_JOB_KEY, 0, shared=True)


def waited_job_running(cr):
    """True when another session runs a job someone waits for."""
    cr.execute(
        SQL(
            """SELECT EXISTS(SELECT 1 FROM pg_locks
                              WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
                                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                                AND classid = hashtext(%s)::oid AND objid = 0 AND objsubid = 2)""",
            WAITED_JOB_KEY,
        )
    )
    return cr.fetchone()[0]
