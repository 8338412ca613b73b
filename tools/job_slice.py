"""A cron call's share of a long job (the daily run, the invoice sync, a
queued import).

Under Odoo's cron runner each job works in chunks committed one by one, for a
bounded time per call (``debt_collection.cron_slice_seconds``, 10 s by
default), and reports what it did and what is left with Odoo 18's cron
progress (``ir.cron._notify_progress``). While something is left the runner
calls the job again at once (up to 10 times in one pass) and then in its next
pass: the job carries on from what its committed chunks recorded. A worker
killed mid-chunk loses that chunk only (rolled back), and the next call does
it again.

Outside the cron runner (a button, a test, a shell) nothing is committed and
there is no time limit: the job runs to its end in the caller's transaction,
as before. The context key ``collection_commit_chunks`` asks for committed
chunks elsewhere (a worker process driven by hand, the crash tests).
"""

import contextlib
import time

from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo.tools import SQL

# seconds of work per cron call: ten calls of a pass stay under Odoo's
# default limits of a cron worker (limit_time_cpu 60 s, limit_time_real 120 s)
DEFAULT_SLICE_SECONDS = 5.0
SLICE_PARAMETER = "debt_collection.cron_slice_seconds"


class JobSlice:
    """The chunk-by-chunk bookkeeping of one call of a long job."""

    def __init__(self, env, seconds=None):
        self.env = env
        context = env.context
        self.progress = bool(context.get("ir_cron_progress_id"))
        self.committing = self.progress or bool(context.get("collection_commit_chunks"))
        if seconds is None:
            value = env["ir.config_parameter"].sudo().get_param(SLICE_PARAMETER)
            try:
                seconds = float(value) if value else DEFAULT_SLICE_SECONDS
            except ValueError:
                seconds = DEFAULT_SLICE_SECONDS
        self.seconds = max(float(seconds), 0.5)
        self.start = time.monotonic()
        self.done = 0

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
        """Tell the cron runner how much this call did and how much is left
        (``remaining`` > 0: call again), and commit it."""
        if self.progress:
            # done > 0 with remaining > 0 is what makes the runner call again
            self.env["ir.cron"].sudo()._notify_progress(
                done=max(self.done, 1) if remaining else self.done, remaining=max(int(remaining), 0)
            )
            if remaining:
                # after its ten calls the runner's next pass comes at once, not
                # a minute later: the cron workers are woken once this commits
                # (no trigger row: one made during the run would outlive it and
                # start the job again once it is done)
                self.env.cr.postcommit.add(self.env["ir.cron"].sudo()._notifydb)
        self.env.flush_all()
        if self.committing:
            self.env.cr.commit()  # pylint: disable=invalid-commit


@contextlib.contextmanager
def session_lock(cr, key, number=None):
    """Hold PostgreSQL's session-level advisory lock ``key`` (and
    ``number``) for the block: it survives the chunks' commits and is
    released with the connection when the worker dies. Yields False, without
    waiting, when another session holds it. Released at the end even when
    the block failed in the database (its transaction is rolled back first,
    as the caller would: a lock left on a pooled connection would stop the
    job for good)."""
    lock = SQL("hashtext(%s)", key) if number is None else SQL("hashtext(%s), %s", key, int(number))
    cr.execute(SQL("SELECT pg_try_advisory_lock(%s)", lock))
    if not cr.fetchone()[0]:
        yield False
        return
    try:
        yield True
    finally:
        if cr._cnx.get_transaction_status() == TRANSACTION_STATUS_INERROR:
            cr.rollback()
        cr.execute(SQL("SELECT pg_advisory_unlock(%s)", lock))
