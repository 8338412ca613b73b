"""The scheduled jobs run as Odoo's cron runner runs them: the data they work
on is committed first (through a real second cursor), then the job is
acquired and processed by ``ir.cron._process_job`` in its own transaction
(REPEATABLE READ, as every Odoo cursor), and what it committed is read back
from yet another cursor. Everything committed is removed afterwards."""

import base64
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from datetime import timedelta
from unittest.mock import patch

import psycopg2.errors

from odoo import SUPERUSER_ID
from odoo import Command
from odoo import api
from odoo import fields
from odoo.modules.registry import Registry
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tests.common import BaseCase
from odoo.tests.common import get_db_name
from odoo.tools import config
from odoo.tools import mute_logger

from ..models import collection_daily_run
from ..models import collection_import_job
from ..models.collection_import_job import JOB_LOCK_KEY
from ..models.collection_import_job import SYNC_ROW_LIMIT
from ..tools.job_slice import PASS_PARAMETER
from ..tools.job_slice import SHARED_PACE_PARAMETER
from ..tools.job_slice import SLICE_PARAMETER
from ..tools.job_slice import JobSlice
from ..tools.job_slice import waited_job
from ..tools.job_slice import waited_job_running

IMPORT_CRON = "debt_collection.ir_cron_collection_import_jobs"
SYNC_CRON = "debt_collection.ir_cron_collection_sync_invoices"
FOLDER_CRON = "debt_collection.ir_cron_collection_import_folders"
DAILY_CRON = "debt_collection.ir_cron_collection_daily_refresh"
DUE_STEPS_CRON = "debt_collection.ir_cron_collection_due_steps"
JOB_LOGGER = "odoo.addons.debt_collection.models.collection_import_job"
HEADERS = ["Name", "Customer ref", "Installment number", "Due date", "Amount"]


class InjectedCommitFailure(Exception):
    """Stands for what can make a commit fail (a serialization failure, the
    connection lost) after the import itself went well."""


class CommittedCase(BaseCase):
    """Jobs run by the cron runner on committed data, removed afterwards."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        self.tag = uuid.uuid4().hex[:8]
        self.portfolio_ids = []
        self.folders = []
        with self.registry.cursor() as cr:
            env = self._env(cr)
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM res_partner")
            self.partner_watermark = cr.fetchone()[0]
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM ir_cron_progress")
            self.progress_watermark = cr.fetchone()[0]
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM ir_cron_trigger")
            self.trigger_watermark = cr.fetchone()[0]
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM collection_daily_run")
            self.daily_watermark = cr.fetchone()[0]
            self.admin_id = env.ref("base.user_admin").id
            self.cron_ids = [env.ref(xmlid).id for xmlid in (IMPORT_CRON, FOLDER_CRON, DAILY_CRON, SYNC_CRON)]
            cr.execute(
                "SELECT id, nextcall, lastcall, failure_count, first_failure_date, active FROM ir_cron WHERE id IN %s",
                [tuple(self.cron_ids)],
            )
            self.cron_rows = cr.fetchall()
            self.creditor_id = env["res.partner"].create({"name": f"Cron Creditor {self.tag}", "is_company": True}).id
        self.addCleanup(self._remove_data)
        self.portfolio_id = self._portfolio("Cron portfolio")

    # ------------------------------------------------------------ helpers
    def _env(self, cr, uid=SUPERUSER_ID):
        return api.Environment(cr, uid, {})

    def _portfolio(self, name, **vals):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            portfolio = env["collection.portfolio"].create(
                {
                    "name": f"{name} {self.tag}",
                    "kind": "external",
                    "creditor_id": self.creditor_id,
                    "currency_id": env.company.currency_id.id,
                    "state": "active",
                    **vals,
                }
            )
            self.portfolio_ids.append(portfolio.id)
            return portfolio.id

    def _folder(self):
        folder = tempfile.mkdtemp(prefix="dc_cron_")
        self.folders.append(folder)
        return folder

    def _remove_data(self):
        """What the tests committed goes away again: jobs (with their
        attachments) through the ORM, the rest through SQL (events refuse
        deletion, cases hold restrictive keys), the crons as they were."""
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            portfolios = tuple(self.portfolio_ids) or (0,)
            env["collection.import.job"].search([("portfolio_id", "in", list(portfolios))]).unlink()
            cr.execute("SELECT id, partner_id FROM collection_case WHERE portfolio_id IN %s", [portfolios])
            rows = cr.fetchall()
            cases = tuple(r[0] for r in rows) or (0,)
            partners = tuple({r[1] for r in rows if r[1] > self.partner_watermark} | {self.creditor_id})
            params = {"cases": cases, "portfolios": portfolios, "partners": partners}
            for query in (
                "DELETE FROM collection_event WHERE case_id IN %(cases)s OR portfolio_id IN %(portfolios)s",
                "DELETE FROM mail_activity WHERE res_model = 'collection.case' AND res_id IN %(cases)s",
                "DELETE FROM mail_message WHERE model = 'collection.case' AND res_id IN %(cases)s",
                "DELETE FROM mail_followers WHERE res_model = 'collection.case' AND res_id IN %(cases)s",
                "DELETE FROM mail_message WHERE model = 'collection.portfolio' AND res_id IN %(portfolios)s",
                "DELETE FROM mail_followers WHERE res_model = 'collection.portfolio' AND res_id IN %(portfolios)s",
                "DELETE FROM collection_interaction WHERE case_id IN %(cases)s",
                "DELETE FROM sms_sms WHERE partner_id IN %(partners)s",
                "DELETE FROM collection_installment WHERE case_id IN %(cases)s",
                "DELETE FROM collection_case WHERE id IN %(cases)s",
                "DELETE FROM collection_portfolio WHERE id IN %(portfolios)s",
                "DELETE FROM mail_followers WHERE partner_id IN %(partners)s",
                "DELETE FROM res_partner WHERE id IN %(partners)s",
            ):
                cr.execute(query, params)
            cr.execute("DELETE FROM collection_daily_run WHERE id > %s", [self.daily_watermark])
            cr.execute("DELETE FROM ir_cron_progress WHERE id > %s", [self.progress_watermark])
            cr.execute("DELETE FROM ir_cron_trigger WHERE id > %s", [self.trigger_watermark])
            for cron_id, nextcall, lastcall, failure_count, first_failure_date, active in self.cron_rows:
                cr.execute(
                    "UPDATE ir_cron SET nextcall = %s, lastcall = %s, failure_count = %s, first_failure_date = %s, "
                    "active = %s WHERE id = %s",
                    [nextcall, lastcall, failure_count, first_failure_date, active, cron_id],
                )

    def _run_cron(self, xmlid):
        """Acquire and process the cron job as ``ir.cron._process_jobs``
        does; return its failure count and active flag afterwards."""
        IrCron = self.registry["ir.cron"]
        with self.registry.cursor() as cr:
            cron_id = self._env(cr).ref(xmlid).id
            cr.execute(
                "UPDATE ir_cron SET nextcall = (now() at time zone 'UTC') - interval '1 minute', active = true "
                "WHERE id = %s",
                [cron_id],
            )
        db = db_connect(get_db_name())
        with db.cursor() as cron_cr:
            job = IrCron._acquire_one_job(cron_cr, cron_id)
            self.assertTrue(job, "the cron is ready and free")
            IrCron._process_job(db, cron_cr, job)
        with self.registry.cursor() as cr:
            cr.execute("SELECT failure_count, active FROM ir_cron WHERE id = %s", [cron_id])
            failure_count, active = cr.fetchone()
        return {"failure_count": failure_count, "active": active}

    def _csv(self, debtors, installments=1, prefix="D", name="Debtor"):
        """A CSV file with ``debtors`` debtors of ``installments`` rows each."""
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(HEADERS)
        for debtor in range(debtors):
            for number in range(1, installments + 1):
                writer.writerow(
                    [
                        f"{name} {prefix}{debtor}",
                        f"{self.tag}-{prefix}{debtor}",
                        number,
                        date(2027, number, 15).isoformat(),
                        "10.50",
                    ]
                )
        return text.getvalue().encode()

    def _queue(self, data, name="queued.csv", state=None):
        """A committed job as the import wizard queues it."""
        with self.registry.cursor() as cr:
            job = self._env(cr)["collection.import.job"].create(
                {
                    "name": name,
                    "portfolio_id": self.portfolio_id,
                    "source": "wizard",
                    "file": base64.b64encode(data),
                    "mapping": {},
                    "user_id": self.admin_id,
                }
            )
            if state:
                cr.execute(
                    "UPDATE collection_import_job SET state = %s, date_start = (now() at time zone 'UTC') - "
                    "interval '1 hour' WHERE id = %s",
                    [state, job.id],
                )
            return job.id

    def _read_job(self, job_id, names=("state", "message", "imported", "date_done", "progress")):
        with self.registry.cursor() as cr:
            return self._env(cr)["collection.import.job"].browse(job_id).read(list(names))[0]

    def _cases(self, portfolio_id=None):
        with self.registry.cursor() as cr:
            cases = self._env(cr)["collection.case"].search([("portfolio_id", "=", portfolio_id or self.portfolio_id)])
            return {case.partner_id.name: case.state for case in cases}

    def _kill_worker_at(self, xmlid, model, method, call, patch=None):
        """Run the cron job ``xmlid`` in a worker process of its own, as the
        cron runner does, and kill it (SIGKILL) once the ``call``-th call of
        ``model.method`` has done its work, before its commit; return when
        the database has dropped the worker's sessions."""
        folder = self._folder()
        marker = os.path.join(folder, "paused")
        log_path = os.path.join(folder, "worker.log")
        odoo_args = ["--addons-path", config["addons_path"], "--log-level", "warn", "--max-cron-threads", "0"]
        for option, key in (("--db_host", "db_host"), ("--db_port", "db_port"), ("--db_user", "db_user"),
                            ("--db_password", "db_password"), ("--data-dir", "data_dir")):  # fmt: skip
            if config.get(key):
                odoo_args += [option, str(config[key])]
        args = {
            "db": get_db_name(),
            "odoo_args": odoo_args,
            "cron": xmlid,
            "pause": {"model": model, "method": method, "call": call},
            "marker": marker,
            "patch": patch or {},
        }
        script = os.path.join(os.path.dirname(__file__), "crash_worker.py")
        with open(log_path, "wb") as log:
            worker = subprocess.Popen([sys.executable, script, json.dumps(args)], stdout=log, stderr=log)
        deadline = time.monotonic() + 180
        while not os.path.exists(marker):
            if worker.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                with open(log_path, encoding="utf-8", errors="replace") as log:
                    self.fail(f"the worker did not reach its pause:\n{log.read()[-3000:]}")
            time.sleep(0.1)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        # PostgreSQL ends the dead worker's sessions (and their locks) once it sees the sockets closed
        while time.monotonic() < deadline:
            with self.registry.cursor() as cr:
                cr.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = %s", [f"odoo-{worker.pid}"])
                if not cr.fetchone()[0]:
                    return
            time.sleep(0.1)
        self.fail("the killed worker's sessions did not end")


@tagged("post_install", "-at_install")
class TestCronJobs(CommittedCase):
    """Queued imports, the folder import and the daily run, each run by the
    cron runner on committed data."""

    # ------------------------------------------------------------ queued imports
    def test_queued_import_from_the_wizard_ends_done(self):
        """A 3 600-row file is queued by the wizard, then imported by the
        "run queued imports" job; its progress shows from another
        transaction while it runs, and the job ends done with its cases."""
        data = self._csv(1200, installments=3)
        with self.registry.cursor() as cr:
            wizard = (
                self._env(cr, self.admin_id)["collection.import"]
                .with_context(active_model="collection.portfolio", active_id=self.portfolio_id)
                .create({"file": base64.b64encode(data), "file_name": "big.csv"})
            )
            job_id = wizard.action_import()["res_id"]
            self.assertGreater(wizard.row_count, SYNC_ROW_LIMIT)
        self.assertEqual(self._read_job(job_id)["state"], "queued")
        Job = self.registry["collection.import.job"]
        publish = Job._set_progress
        seen = []

        def observe(job, done, total):
            publish(job, done, total)
            seen.append(self._read_job(job_id, ("state", "progress")))

        started = time.monotonic()
        with patch.object(Job, "_set_progress", observe):
            cron = self._run_cron(IMPORT_CRON)
        self.assertLess(time.monotonic() - started, 60)
        self.assertEqual(cron["failure_count"], 0, "the scheduled job did not fail")
        job = self._read_job(job_id, ("state", "imported", "rows_total", "cases_created", "installments_created"))
        self.assertEqual(
            (job["state"], job["imported"], job["rows_total"], job["cases_created"], job["installments_created"]),
            ("done", True, 3600, 1200, 3600),
        )
        self.assertEqual(len(self._cases()), 1200)
        self.assertTrue(
            any(s["state"] == "running" and 0 < s["progress"] < 100 for s in seen),
            f"the progress is visible from another transaction while the job runs: {seen}",
        )

    def test_queued_import_that_fails_ends_failed(self):
        """An import that raises after it published its progress ends
        failed with its reason, committed, and the cron itself succeeds."""
        job_id = self._queue(self._csv(3))
        with self.registry.cursor() as cr:
            self._env(cr)["collection.portfolio"].browse(self.portfolio_id).state = "closed"
        cron = self._run_cron(IMPORT_CRON)
        self.assertEqual(cron["failure_count"], 0)
        job = self._read_job(job_id)
        self.assertEqual(job["state"], "failed")
        self.assertIn("is closed", job["message"])
        self.assertTrue(job["date_done"])
        self.assertFalse(self._cases())

    def test_interrupted_job_resumed_then_failed_after_three_interruptions(self):
        """A job left running by a worker that died (no session holds its
        lock) is resumed by the next run; one whose worker stopped three
        times is marked failed, not tried again."""
        job_id = self._queue(self._csv(3), state="running")
        with mute_logger(JOB_LOGGER):
            cron = self._run_cron(IMPORT_CRON)
        self.assertEqual(cron["failure_count"], 0)
        job = self._read_job(job_id, ("state", "interruptions", "cases_created"))
        self.assertEqual((job["state"], job["interruptions"], job["cases_created"]), ("done", 1, 3))
        self.assertEqual(len(self._cases()), 3)

        stuck_id = self._queue(self._csv(2, prefix="S"), name="stuck.csv", state="running")
        with self.registry.cursor() as cr:
            # checked and staged before the worker stopped the first two times
            cr.execute(
                "UPDATE collection_import_job SET interruptions = 2, staged = TRUE, chunk_count = 1 WHERE id = %s",
                [stuck_id],
            )
            cr.execute(
                "INSERT INTO collection_import_job_chunk (job_id, seq, records) VALUES (%s, 0, '[]')", [stuck_id]
            )
        with mute_logger(JOB_LOGGER):
            self._run_cron(IMPORT_CRON)
        job = self._read_job(stuck_id, ("state", "message", "interruptions"))
        self.assertEqual((job["state"], job["interruptions"]), ("failed", 3))
        self.assertIn("interrupted 3 times", job["message"])
        with self.registry.cursor() as cr:
            cr.execute("SELECT COUNT(*) FROM collection_import_job_chunk WHERE job_id = %s", [stuck_id])
            self.assertEqual(cr.fetchone()[0], 0, "nothing staged is left behind")
        self.assertEqual(len(self._cases()), 3, "the stuck file was not imported")

    def test_job_held_by_another_worker_is_left_alone(self):
        """Jobs another worker runs (it holds their session lock) are
        neither run a second time nor declared interrupted, and the job does
        not wait for them."""
        queued_id = self._queue(self._csv(2, prefix="Q"), name="queued.csv")
        running_id = self._queue(self._csv(2, prefix="R"), name="running.csv", state="running")
        worker = self.registry.cursor()
        self.addCleanup(worker.close)
        for job_id in (queued_id, running_id):
            worker.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", [JOB_LOCK_KEY, job_id])
        self.addCleanup(worker.execute, "SELECT pg_advisory_unlock_all()")
        started = time.monotonic()
        cron = self._run_cron(IMPORT_CRON)
        elapsed = time.monotonic() - started
        self.assertEqual(cron["failure_count"], 0)
        self.assertLess(elapsed, 15, "the job does not wait for a job another worker holds")
        self.assertEqual(self._read_job(queued_id)["state"], "queued")
        self.assertEqual(self._read_job(running_id, ("state", "interruptions"))["interruptions"], 0)
        self.assertFalse(self._cases())

    def test_import_in_slices_reports_progress_to_the_cron_runner(self):
        """A queued import whose slice of time is spent after each part waits
        queued between the calls (not counted as interrupted); the cron
        runner calls it again at once while it reports work left, until the
        import is done."""
        job_id = self._queue(self._csv(20, installments=2))
        with (
            patch.object(collection_import_job, "STAGE_CHUNK_DEBTORS", 5),
            patch.object(JobSlice, "spent", lambda job_slice: job_slice.done >= 1),
        ):
            cron = self._run_cron(IMPORT_CRON)
        self.assertEqual(cron["failure_count"], 0)
        job = self._read_job(job_id, ("state", "interruptions", "chunks_done", "cases_created", "installments_created"))
        self.assertEqual(
            (job["state"], job["interruptions"], job["chunks_done"], job["cases_created"], job["installments_created"]),
            ("done", 0, 4, 20, 40),
        )
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT done, remaining FROM ir_cron_progress WHERE id > %s AND cron_id = %s ORDER BY id",
                [self.progress_watermark, self._ref_id(IMPORT_CRON)],
            )
            calls = cr.fetchall()
        # the check, one call per part (the last one concludes the import)
        self.assertEqual(len(calls), 5, calls)
        self.assertTrue(all(remaining for _done, remaining in calls[:-1]), calls)
        self.assertEqual(calls[-1][1], 0, "nothing left at the end")

    def test_import_worker_killed_mid_chunk_resumes(self):
        """A queued import whose worker is killed (kill -9) while it writes
        its second chunk keeps its first chunk; the next run resumes it from
        the second: every debtor imported once, no installment twice, the
        counts those of the whole file."""
        job_id = self._queue(self._csv(20, installments=2))
        self._kill_worker_at(
            IMPORT_CRON,
            "collection.portfolio",
            "_import_write_staged",
            2,
            patch={"odoo.addons.debt_collection.models.collection_import_job.STAGE_CHUNK_DEBTORS": 5},
        )
        job = self._read_job(job_id, ("state", "staged", "chunk_count", "chunks_done"))
        self.assertEqual(
            (job["state"], job["staged"], job["chunk_count"], job["chunks_done"]),
            ("running", True, 4, 1),
            "the file was checked and staged, its first chunk committed, the second lost with the worker",
        )
        self.assertEqual(len(self._cases()), 5)
        with patch.object(collection_import_job, "STAGE_CHUNK_DEBTORS", 5), mute_logger(JOB_LOGGER):
            cron = self._run_cron(IMPORT_CRON)
        self.assertEqual(cron["failure_count"], 0)
        job = self._read_job(
            job_id,
            ("state", "interruptions", "chunks_done", "cases_created", "installments_created", "rows_total"),
        )
        self.assertEqual(
            (job["state"], job["interruptions"], job["chunks_done"], job["cases_created"]),
            ("done", 1, 4, 20),
        )
        self.assertEqual((job["installments_created"], job["rows_total"]), (40, 40))
        self.assertEqual(len(self._cases()), 20)
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT COUNT(*), COUNT(DISTINCT (i.case_id, i.external_ref, i.date_due)) FROM collection_installment i"
                " JOIN collection_case c ON c.id = i.case_id WHERE c.portfolio_id = %s",
                [self.portfolio_id],
            )
            self.assertEqual(cr.fetchone(), (40, 40), "no installment written twice")
            cr.execute(
                "SELECT COUNT(*) FROM res_partner WHERE id > %s AND name LIKE 'Debtor D%%'", [self.partner_watermark]
            )
            self.assertEqual(cr.fetchone()[0], 20, "no debtor created twice")
            cr.execute("SELECT COUNT(*) FROM collection_import_job_chunk WHERE job_id = %s", [job_id])
            self.assertEqual(cr.fetchone()[0], 0, "the staged rows are gone")

    # ------------------------------------------------------------ folder import
    def _write(self, folder, name, data):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(data)

    def test_import_and_sync_say_someone_waits_for_them(self):
        """While the cron runs a queued import or the invoice sync, another
        connection sees that a job someone waits for runs (what the daily
        run gives way to); once they are done, it sees none."""
        self._queue(self._csv(2))
        watcher = self.registry.cursor()
        self.addCleanup(watcher.close)
        seen = {}
        ImportJob = self.registry["collection.import.job"]
        Portfolio = self.registry["collection.portfolio"]
        original = ImportJob._run_staged

        def run_staged(job, job_slice):
            seen["import"] = waited_job_running(watcher)
            return original(job, job_slice)

        def sync(portfolio, job=None):
            seen["sync"] = waited_job_running(watcher)
            return {"cases": 0, "installments": 0, "updated": 0, "remaining": 0}

        with self.registry.cursor() as cr:
            followed = self._env(cr)["collection.portfolio"].search_count(
                [("kind", "=", "internal"), ("state", "=", "active"), ("company_id.collection_auto_follow", "=", True)]
            )
        self.assertTrue(followed, "the demo company follows its own invoices")
        self.assertFalse(waited_job_running(watcher))
        with patch.object(ImportJob, "_run_staged", run_staged), patch.object(Portfolio, "_sync_invoices", sync):
            self.assertEqual(self._run_cron(IMPORT_CRON)["failure_count"], 0)
            self.assertEqual(self._run_cron(SYNC_CRON)["failure_count"], 0)
        self.assertEqual(seen, {"import": True, "sync": True})
        self.assertFalse(waited_job_running(watcher), "released at the end of the call")

    def test_folder_import_moves_each_file_after_its_commit(self):
        """Each file is imported and committed on its own, then moved:
        done/ only once its data is committed; a file whose transaction
        rolls back ends in failed/ with its reason; a header-only file
        returns no case."""
        folder = self._folder()
        portfolio_id = self._portfolio("Folder portfolio", import_directory=folder, import_mark_missing=True)
        self._write(folder, "good.csv", self._csv(2, prefix="G", name="Good"))
        bad = self._csv(2, prefix="B", name="Bad").replace(b"10.50", b"abc", 1)
        self._write(folder, "bad.csv", bad)
        self._write(folder, "rollback.csv", self._csv(2, prefix="RB", name="Rolled"))
        self._write(folder, "zz_empty.csv", ",".join(HEADERS).encode() + b"\n")
        self._write(folder, "notes.txt", b"not a portfolio")
        Job = self.registry["collection.import.job"]
        run = Job._run

        def failing_commit(jobs):
            """The import of rollback.csv goes well, then its commit fails."""
            result = run(jobs)
            if jobs.name == "rollback.csv":

                def fail():
                    raise InjectedCommitFailure("could not serialize access due to concurrent update")

                jobs.env.cr.precommit.add(fail)
            return result

        with patch.object(Job, "_run", failing_commit), mute_logger(JOB_LOGGER):
            cron = self._run_cron(FOLDER_CRON)
        self.assertEqual(cron["failure_count"], 0)
        listing = {
            sub: sorted(os.listdir(os.path.join(folder, sub))) if sub else sorted(os.listdir(folder))
            for sub in ("", "done", "failed")
        }
        self.assertEqual(listing[""], ["done", "failed", "notes.txt"], "other files are left alone")
        self.assertEqual(listing["done"], ["good.csv", "zz_empty.csv"])
        self.assertEqual(listing["failed"], ["bad.csv", "bad.errors.xlsx", "rollback.csv", "rollback.csv.error.txt"])
        with open(os.path.join(folder, "failed", "rollback.csv.error.txt"), encoding="utf-8") as handle:
            self.assertIn("could not serialize", handle.read())
        self.assertEqual(
            self._cases(portfolio_id),
            {"Good G0": "open", "Good G1": "open"},
            "the rolled-back file left no data; the header-only file returned no case",
        )
        with self.registry.cursor() as cr:
            jobs = self._env(cr)["collection.import.job"].search([("portfolio_id", "=", portfolio_id)])
            states = {job.name: (job.state, job.source) for job in jobs}
            rolled_back = jobs.filtered(lambda j: j.name == "rollback.csv")
            self.assertIn("could not serialize", rolled_back.message)
        self.assertEqual(
            states,
            {
                "bad.csv": ("done", "folder"),
                "good.csv": ("done", "folder"),
                "rollback.csv": ("failed", "folder"),
                "zz_empty.csv": ("done", "folder"),
            },
        )

    def test_folder_import_refuses_links(self):
        """A link to another server file is neither read nor imported; a
        done/ or failed/ that is a link stops the folder: nothing is written
        outside it."""
        outside = self._folder()
        secret = os.path.join(outside, "secret.csv")
        self._write(outside, "secret.csv", self._csv(1, prefix="S", name="Secret"))
        folder = self._folder()
        portfolio_id = self._portfolio("Linked files", import_directory=folder)
        os.symlink(secret, os.path.join(folder, "link.csv"))
        os.symlink(outside, os.path.join(folder, "dir.csv"))
        self._write(folder, "good.csv", self._csv(1, prefix="G", name="Good"))
        # a second folder whose done/ leads elsewhere
        elsewhere = self._folder()
        linked_done = self._folder()
        other_id = self._portfolio("Linked done", import_directory=linked_done)
        os.symlink(elsewhere, os.path.join(linked_done, "done"))
        self._write(linked_done, "other.csv", self._csv(1, prefix="O", name="Other"))
        with mute_logger(JOB_LOGGER):
            cron = self._run_cron(FOLDER_CRON)
        self.assertEqual(cron["failure_count"], 0)
        self.assertEqual(sorted(os.listdir(outside)), ["secret.csv"], "the linked file stays where it is")
        self.assertEqual(self._cases(portfolio_id), {"Good G0": "open"}, "the linked file was not imported")
        self.assertTrue(os.path.islink(os.path.join(folder, "failed", "link.csv")), "the link itself is set aside")
        self.assertTrue(os.path.exists(os.path.join(folder, "failed", "link.csv.error.txt")))
        with self.registry.cursor() as cr:
            jobs = self._env(cr)["collection.import.job"].search([("portfolio_id", "=", portfolio_id)])
            for job in jobs:
                self.assertNotIn(b"Secret", base64.b64decode(job.file or b""))
            self.assertEqual(jobs.filtered(lambda j: j.name == "link.csv").state, "failed")
        self.assertEqual(os.listdir(elsewhere), [], "nothing is written through a linked done/")
        self.assertEqual(sorted(os.listdir(linked_done)), ["done", "other.csv"])
        self.assertFalse(self._cases(other_id))

    # ------------------------------------------------------------ online payments
    def test_online_payment_post_processed_by_the_payment_cron(self):
        """A debtor's online payment marked done is turned into a posted
        collection payment by Odoo's payment post-processing job, in its own
        transaction on committed data; the job running again records it once."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            provider = env.ref("payment.payment_provider_demo")
            if provider.code != "demo" or not provider.journal_id:
                self.skipTest("Odoo's demo payment provider (payment_demo) with a journal is needed")
            cron = env.ref("payment.cron_post_process_payment_tx")
            cron_row = (cron.id, cron.nextcall, cron.lastcall, cron.active)
            case = env["collection.case"].create(
                {
                    "portfolio_id": self.portfolio_id,
                    "partner_id": env["res.partner"].create({"name": f"Online payer {self.tag}"}).id,
                    "installment_ids": [
                        Command.create({"name": "1", "date_due": date.today() - timedelta(days=30), "amount": 100.0}),
                    ],
                }
            )
            tx = env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": provider.payment_method_ids[:1].id,
                    "reference": f"CRON-{self.tag}",
                    "amount": 60.0,
                    "currency_id": case.currency_id.id,
                    "partner_id": case.partner_id.id,
                    "operation": "online_direct",
                    "collection_case_id": case.id,
                }
            )
            tx._set_done()
            case_id, tx_id = case.id, tx.id
        self.addCleanup(self._remove_online_payment, tx_id, case_id, cron_row)
        for _run in range(2):
            self.assertEqual(self._run_cron("payment.cron_post_process_payment_tx")["failure_count"], 0)
            with self.registry.cursor() as cr:
                env = self._env(cr)
                payments = env["collection.payment"].search([("case_id", "=", case_id)])
                self.assertEqual(payments.mapped("state"), ["posted"])
                self.assertEqual((payments.amount, payments.method), (60.0, "online"))
                self.assertEqual(payments.case_id.installment_ids.amount_residual, 40.0)
                tx = env["payment.transaction"].browse(tx_id)
                self.assertTrue(tx.is_post_processed)
                self.assertEqual(tx.collection_payment_id, payments)

    def _remove_online_payment(self, tx_id, case_id, cron_row):
        with self.registry.cursor() as cr:
            cr.execute("SELECT id, move_id FROM account_payment WHERE payment_transaction_id = %s", [tx_id])
            rows = cr.fetchall()
            moves = tuple(r[1] for r in rows if r[1]) or (0,)
            for query, params in (
                (
                    "UPDATE payment_transaction SET payment_id = NULL, collection_payment_id = NULL WHERE id = %s",
                    [tx_id],
                ),
                ("DELETE FROM account_payment WHERE payment_transaction_id = %s", [tx_id]),
                ("DELETE FROM account_move_line WHERE move_id IN %s", [moves]),
                ("DELETE FROM mail_message WHERE model = 'account.move' AND res_id IN %s", [moves]),
                ("DELETE FROM account_move WHERE id IN %s", [moves]),
                ("DELETE FROM collection_payment WHERE case_id = %s", [case_id]),
                ("DELETE FROM payment_transaction WHERE id = %s", [tx_id]),
            ):
                cr.execute(query, params)
            cron_id, nextcall, lastcall, active = cron_row
            cr.execute(
                "UPDATE ir_cron SET nextcall = %s, lastcall = %s, active = %s WHERE id = %s",
                [nextcall, lastcall or None, active, cron_id],
            )

    # ------------------------------------------------------------ daily run
    def test_daily_refresh_runs_in_its_own_transaction(self):
        cron = self._run_cron(DAILY_CRON)
        self.assertEqual(cron["failure_count"], 0)
        with self.registry.cursor() as cr:
            cr.execute("SELECT lastcall FROM ir_cron WHERE id = %s", [self._env(cr).ref(DAILY_CRON).id])
            self.assertTrue(cr.fetchone()[0])

    def test_daily_refresh_moves_the_rates_to_company_currency(self):
        """The daily run, as the cron runner runs it, gives a case in another
        currency today's rate and its balance in the company's currency."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            eur = env.ref("base.EUR")
            was_active = eur.active
            eur.active = True
        if not was_active:
            self.addCleanup(self._set_currency_active, "base.EUR", False)
        portfolio_id = self._portfolio("Cron euro portfolio", currency_id=self._ref_id("base.EUR"))
        with self.registry.cursor() as cr:
            env = self._env(cr)
            today = fields.Date.context_today(env.user)
            case = env["collection.case"].create(
                {
                    "portfolio_id": portfolio_id,
                    "partner_id": env["res.partner"].create({"name": f"Euro debtor {self.tag}"}).id,
                    "installment_ids": [
                        Command.create({"name": "1", "date_due": today - timedelta(days=10), "amount": 300.0})
                    ],
                }
            )
            expected_rate = case._company_rate(case.currency_id, case.company_id, today)
            case_id = case.id
            # a rate of another day, as the cases keep until the daily run
            cr.execute(
                "UPDATE collection_case SET company_rate = 7.0, amount_residual_company = 2100 WHERE id = %s",
                [case_id],
            )
        cron = self._run_cron(DAILY_CRON)
        self.assertEqual(cron["failure_count"], 0)
        with self.registry.cursor() as cr:
            cr.execute("SELECT company_rate, amount_residual_company FROM collection_case WHERE id = %s", [case_id])
            rate, amount = cr.fetchone()
        self.assertAlmostEqual(rate, expected_rate)
        self.assertAlmostEqual(float(amount), round(300.0 * expected_rate, 2))
        # the same run took the month's snapshot of the case and the portfolio's KPIs, at that rate
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT amount_residual_company, aging_bucket FROM collection_case_snapshot "
                "WHERE case_id = %s AND month = date_trunc('month', %s::date)",
                [case_id, today],
            )
            snapshot = cr.fetchone()
            cr.execute(
                "SELECT SUM(ar_end) FROM collection_kpi_month WHERE portfolio_id = %s "
                "AND month = date_trunc('month', %s::date)",
                [portfolio_id, today],
            )
            (kpi_ar_end,) = cr.fetchone()
        self.assertEqual(snapshot[1], "d001_030")
        self.assertAlmostEqual(float(snapshot[0]), round(300.0 * expected_rate, 2))
        self.assertAlmostEqual(float(kpi_ar_end), round(300.0 * expected_rate, 2))

    def _ref_id(self, xmlid):
        with self.registry.cursor() as cr:
            return self._env(cr).ref(xmlid).id

    def _set_currency_active(self, xmlid, active):
        with self.registry.cursor() as cr:
            self._env(cr).ref(xmlid).active = active


class WorkerKilled(BaseException):
    """Stands for the worker process dying in the middle of a job (not an
    error the job could catch)."""


@tagged("post_install", "-at_install")
class TestStrategyCommitted(CommittedCase):
    """The strategy run as the cron runner runs it (chunks committed one by
    one, a crash between two of them, the run restarted) and the queues'
    Next case pulled by two connections at once, on committed data."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            strategies = env["collection.strategy"].search([])
            self.active_strategy_ids = strategies.ids
            strategies.active = False
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM collection_strategy_run")
            self.run_watermark = cr.fetchone()[0]
            self.team_id = False
            strategy = env["collection.strategy"].create(
                {
                    "name": f"Committed ladder {self.tag}",
                    "domain": f"[('portfolio_id', '=', {self.portfolio_id})]",
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Reminder",
                                "days": -3,
                                "action": "email",
                                "mail_template_id": env.ref("debt_collection.mail_template_collection_reminder").id,
                            }
                        )
                    ],
                }
            )
            self.strategy_id = strategy.id
        self.addCleanup(self._remove_strategy_data)

    def _remove_strategy_data(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM collection_strategy_run WHERE id > %s", [self.run_watermark])
            cr.execute("DELETE FROM collection_case_step WHERE strategy_id = %s", [self.strategy_id])
            cr.execute("DELETE FROM collection_strategy WHERE id = %s", [self.strategy_id])
            if self.active_strategy_ids:
                cr.execute(
                    "UPDATE collection_strategy SET active = true WHERE id IN %s", [tuple(self.active_strategy_ids)]
                )
            if self.team_id:
                cr.execute("DELETE FROM collection_assignment WHERE team_id = %s", [self.team_id])
                cr.execute(
                    "UPDATE collection_case SET queue_team_id = NULL, team_id = NULL WHERE queue_team_id = %s",
                    [self.team_id],
                )
                cr.execute("DELETE FROM collection_team_member WHERE team_id = %s", [self.team_id])
                cr.execute("DELETE FROM collection_team WHERE id = %s", [self.team_id])

    def _cases(self, count, due_in):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            today = fields.Date.context_today(env.user)
            cases = env["collection.case"].create(
                [
                    {
                        "portfolio_id": self.portfolio_id,
                        "partner_id": env["res.partner"]
                        .create({"name": f"Strategy debtor {n} {self.tag}", "email": f"d{n}@example.com"})
                        .id,
                        "installment_ids": [
                            Command.create(
                                {"name": "1", "date_due": today + timedelta(days=due_in), "amount": 100.0 + n}
                            )
                        ],
                    }
                    for n in range(count)
                ]
            )
            return cases.ids

    def _mails(self, case_ids):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT res_id, COUNT(*) FROM mail_mail m JOIN mail_message msg ON msg.id = m.mail_message_id"
                " WHERE msg.model = 'collection.case' AND msg.res_id IN %s GROUP BY res_id",
                [tuple(case_ids)],
            )
            return dict(cr.fetchall())

    def test_strategy_run_restarted_after_a_crash_sends_nothing_twice(self):
        case_ids = self._cases(4, 3)
        Step = self.registry["collection.case.step"]
        original = Step._send_mails
        calls = []

        def crash_on_second_chunk(steps, template, now):
            calls.append(steps.ids)
            if len(calls) == 2:
                raise WorkerKilled()
            return original(steps, template, now)

        died = False
        with (
            patch.dict(collection_daily_run.CHUNK_CASES, {"steps": 2}),
            patch.object(Step, "_send_mails", crash_on_second_chunk),
        ):
            try:
                self._run_cron(DAILY_CRON)
            except WorkerKilled:
                died = True
        self.assertTrue(died)
        sent = self._mails(case_ids)
        self.assertEqual(sum(sent.values()), 2, "the first chunk was committed before the worker died")
        cron = self._run_cron(DAILY_CRON)
        self.assertEqual(cron["failure_count"], 0)
        self.assertEqual(self._mails(case_ids), dict.fromkeys(case_ids, 1), "one e-mail each, none twice")
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT state, COUNT(*) FROM collection_case_step WHERE case_id IN %s GROUP BY state",
                [tuple(case_ids)],
            )
            self.assertEqual(dict(cr.fetchall()), {"done": 4})

    def test_daily_run_worker_killed_mid_chunk_resumes(self):
        """The daily run's worker killed (kill -9) while it carries out its
        second chunk of strategy steps: the first chunk's e-mails are
        committed, the run is left at that case; the next call resumes
        there: one e-mail per case, none twice, the run done."""
        case_ids = self._cases(4, 3)
        self._kill_worker_at(
            DAILY_CRON,
            "collection.case",
            "_strategy_run_chunk",
            2,
            patch={"odoo.addons.debt_collection.models.collection_daily_run.CHUNK_CASES": {"steps": 2}},
        )
        self.assertEqual(sum(self._mails(case_ids).values()), 2, "the first chunk was committed")
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT id, state, phase, cursor FROM collection_daily_run WHERE id > %s ORDER BY id",
                [self.daily_watermark],
            )
            runs = cr.fetchall()
        self.assertEqual([run[1:] for run in runs], [("running", "steps", sorted(case_ids)[1])])
        with patch.dict(collection_daily_run.CHUNK_CASES, {"steps": 2}):
            cron = self._run_cron(DAILY_CRON)
        self.assertEqual(cron["failure_count"], 0)
        self.assertEqual(self._mails(case_ids), dict.fromkeys(case_ids, 1), "one e-mail each, none twice")
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT d.state, d.phase, d.call_count, s.state, s.case_count FROM collection_daily_run d"
                " JOIN collection_strategy_run s ON s.id = d.strategy_run_id WHERE d.id = %s",
                [runs[0][0]],
            )
            self.assertEqual(cr.fetchone(), ("done", "done", 2, "done", 4), "the same run resumed and ended")

    def test_daily_run_meets_a_deadlock_then_a_failing_call(self):
        """A chunk of the daily run that meets a deadlock (a collector's
        request on the same cases) is rolled back and done again; a call that
        fails after it committed chunks (another error) is not a failed job:
        the cron runner calls it again at once and the run ends the same day."""
        self._cases(4, 3)
        Case = self.registry["collection.case"]
        original = Case._refresh_aging
        calls = []

        def deadlock_then_error(cases, case_ids=None):
            calls.append(case_ids)
            if case_ids is not None and len(calls) == 2:
                raise psycopg2.errors.DeadlockDetected("deadlock detected")
            if case_ids is not None and len(calls) == 4:
                raise RuntimeError("the call fails")
            return original(cases, case_ids)

        with (
            patch.dict(collection_daily_run.CHUNK_CASES, {"aging": 2}),
            patch.object(Case, "_refresh_aging", deadlock_then_error),
            mute_logger("odoo.addons.base.models.ir_cron"),
        ):
            cron = self._run_cron(DAILY_CRON)
        self.assertEqual(cron["failure_count"], 0, "not counted as a failure")
        self.assertEqual(calls[1], calls[2], "the chunk that met the deadlock was done again")
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT state, call_count FROM collection_daily_run WHERE id > %s ORDER BY id", [self.daily_watermark]
            )
            runs = cr.fetchall()
        self.assertEqual(runs, [("done", 2)], "one run: the failed call, then the call that finished it")

    def test_daily_run_spread_over_passes_of_the_cron_worker(self):
        """Once a job's calls of one pass of the cron worker have taken their
        time (``debt_collection.cron_pass_seconds``), it leaves the pass with
        a trigger due now and goes on at the next pass, until done."""
        self._cases(4, 3)
        self._set_params({PASS_PARAMETER: "0.5", SLICE_PARAMETER: "0.5"})
        passes = 0
        with patch.dict(collection_daily_run.CHUNK_CASES, {"aging": 50}), self._slow_aging(0.3):
            while passes < 50:
                passes += 1
                self._run_cron(DAILY_CRON)
                with self.registry.cursor() as cr:
                    cr.execute("SELECT state FROM collection_daily_run WHERE id > %s", [self.daily_watermark])
                    if cr.fetchall() == [("done",)]:
                        break
        self.assertGreater(passes, 1, "the run took several passes")
        with self.registry.cursor() as cr:
            cr.execute("SELECT state, call_count FROM collection_daily_run WHERE id > %s", [self.daily_watermark])
            ((state, calls),) = cr.fetchall()
        self.assertEqual(state, "done")
        self.assertGreaterEqual(calls, passes)

    def test_daily_run_gives_way_while_an_import_or_a_sync_runs(self):
        """Alone, the daily run does not pause; while another connection
        runs a job someone waits for (an import, an invoice sync), it pauses
        after each chunk as long as the chunk took (pace 0.5), says so on the
        run, and still ends the same day."""
        self._cases(4, 3)
        self._set_params({SHARED_PACE_PARAMETER: "0.5"})

        def run_once():
            with self.registry.cursor() as cr:
                cr.execute("SELECT COALESCE(MAX(id), 0) FROM collection_daily_run")
                watermark = cr.fetchone()[0]
            started = time.monotonic()
            self.assertEqual(self._run_cron(DAILY_CRON)["failure_count"], 0)
            elapsed = time.monotonic() - started
            with self.registry.cursor() as cr:
                cr.execute("SELECT state, paused_seconds FROM collection_daily_run WHERE id > %s", [watermark])
                return cr.fetchall(), elapsed

        with patch.dict(collection_daily_run.CHUNK_CASES, {"aging": 1000}), self._slow_aging(0.2):
            alone, alone_elapsed = run_once()
            other = self.registry.cursor()
            self.addCleanup(other.close)
            with waited_job(other) as marked:
                self.assertTrue(marked)
                shared, shared_elapsed = run_once()
        self.assertEqual(alone, [("done", 0.0)], "alone: no pause")
        ((state, paused),) = shared
        self.assertEqual(state, "done")
        self.assertGreaterEqual(paused, 0.2, "paused at least as long as its slowed aging chunk took")
        self.assertGreater(shared_elapsed, alone_elapsed + 0.15, "the pause made the run longer")

    def _set_params(self, values):
        """Set system parameters for the test, put back as they were after."""
        with self.registry.cursor() as cr:
            params = self._env(cr)["ir.config_parameter"]
            for key, value in values.items():
                self.addCleanup(self._set_param, key, params.get_param(key))
                params.set_param(key, value)

    def _slow_aging(self, seconds):
        """Each aging chunk of the daily run takes ``seconds`` more."""
        Case = self.registry["collection.case"]
        original = Case._refresh_aging

        def slow(cases, case_ids=None):
            time.sleep(seconds)
            return original(cases, case_ids)

        return patch.object(Case, "_refresh_aging", slow)

    def _set_param(self, key, value):
        with self.registry.cursor() as cr:
            self._env(cr)["ir.config_parameter"].set_param(key, value or False)

    def test_postponed_steps_sent_by_the_hourly_job(self):
        """A step the contact rules postponed is sent by the hourly cron in
        its own transaction, once its time has come."""
        (case_id,) = self._cases(1, 3)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            cron = env.ref(DUE_STEPS_CRON)
            self.addCleanup(self._restore_cron, cron.id, cron.nextcall, cron.lastcall)
            strategy = env["collection.strategy"].browse(self.strategy_id)
            env["collection.case.step"].create(
                {
                    "name": "Reminder",
                    "case_id": case_id,
                    "strategy_id": strategy.id,
                    "version_id": strategy.version_id.id,
                    "step_id": strategy.step_ids.id,
                    "action": "email",
                    "mode": "auto",
                    "state": "postponed",
                    "date_planned": fields.Datetime.now() - timedelta(hours=1),
                }
            )
        cron = self._run_cron(DUE_STEPS_CRON)
        self.assertEqual(cron["failure_count"], 0)
        self.assertEqual(self._mails([case_id]), {case_id: 1})
        with self.registry.cursor() as cr:
            cr.execute("SELECT state FROM collection_case_step WHERE case_id = %s", [case_id])
            self.assertEqual(cr.fetchall(), [("done",)])

    def _restore_cron(self, cron_id, nextcall, lastcall):
        with self.registry.cursor() as cr:
            cr.execute(
                "UPDATE ir_cron SET nextcall = %s, lastcall = %s WHERE id = %s",
                [nextcall or None, lastcall or None, cron_id],
            )

    def test_next_case_pulled_by_two_connections(self):
        case_ids = self._cases(4, -20)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            a, b = (
                env["res.users"]
                .with_context(no_reset_password=True)
                .create(
                    [
                        {
                            "name": f"Queue collector {n} {self.tag}",
                            "login": f"queue.{n}.{self.tag}",
                            "groups_id": [Command.set(env.ref("debt_collection.group_collection_user").ids)],
                        }
                        for n in "ab"
                    ]
                )
            )
            self.user_ids = [a.id, b.id]
            team = env["collection.team"].create(
                {
                    "name": f"Queue {self.tag}",
                    "queue": True,
                    "member_ids": [Command.create({"user_id": a.id}), Command.create({"user_id": b.id})],
                }
            )
            self.team_id = team.id
            env["collection.case"].browse(case_ids)._route_to_queue(team)
            # the scores order the queue: the last case first
            for rank, case_id in enumerate(case_ids):
                cr.execute("UPDATE collection_case SET priority_score = %s WHERE id = %s", [10 + rank, case_id])
        self.addCleanup(self._remove_users)
        db = db_connect(get_db_name())
        with db.cursor() as cr_a, db.cursor() as cr_b, db.cursor() as cr_late:
            # a transaction that began before the others claimed anything
            cr_late.execute("SELECT 1")
            env_a = api.Environment(cr_a, self.user_ids[0], {})
            env_b = api.Environment(cr_b, self.user_ids[1], {})
            got_a = env_a["collection.case"]._claim_next_case(env_a.user)
            # A holds its row lock (not committed): B gets the next case at once
            got_b = env_b["collection.case"]._claim_next_case(env_b.user)
            self.assertEqual((got_a.id, got_b.id), (case_ids[3], case_ids[2]))
            cr_a.commit()
            cr_b.commit()
            # the older snapshot still sees those two as free: their lock fails, the next one is taken
            env_late = api.Environment(cr_late, self.user_ids[0], {})
            got_late = env_late["collection.case"]._claim_next_case(env_late.user)
            self.assertEqual(got_late.id, case_ids[1])
            cr_late.commit()
        with self.registry.cursor() as cr:
            cr.execute("SELECT id, user_id FROM collection_case WHERE id IN %s ORDER BY id", [tuple(case_ids)])
            holders = dict(cr.fetchall())
        self.assertEqual(
            holders,
            {
                case_ids[0]: None,
                case_ids[1]: self.user_ids[0],
                case_ids[2]: self.user_ids[1],
                case_ids[3]: self.user_ids[0],
            },
        )

    def _remove_users(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM collection_team_member WHERE user_id IN %s", [tuple(self.user_ids)])
            cr.execute("DELETE FROM collection_assignment WHERE user_id IN %s", [tuple(self.user_ids)])
            cr.execute("UPDATE collection_case SET user_id = NULL WHERE user_id IN %s", [tuple(self.user_ids)])
            self._env(cr)["res.users"].browse(self.user_ids).unlink()


# the parent's tests run once, in their own class
for _name in dir(TestCronJobs):
    if _name.startswith("test_") and callable(getattr(TestCronJobs, _name)):
        setattr(TestStrategyCommitted, _name, None)
