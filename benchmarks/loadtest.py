"""bin/loadtest's driver: Odoo started with prefork workers on a copy of the
load world, the big jobs timed alone, then fifty collectors (Locust,
headless) at work while the daily run, an invoice sync and an import run
together. Reports per action p50/p95/p99, throughput and failures, the jobs'
durations (alone and under load), Odoo's retries of concurrency errors and
the peak memory of the workers, as a table and as JSON.

Run by bin/loadtest (which finds Odoo and prepares the world); every request
goes to the local server it starts, bounded by --duration.
"""

import argparse
import csv
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import psycopg2

JOBS = ("daily", "sync", "import")
# timed alone in this order: the daily run last, on the cases the sync and
# the import created, as under load (where it meets them while it runs)
ALONE_ORDER = ("sync", "import", "daily")
ACTIONS = ("work list", "open case", "log call", "log call + promise", "payment", "next case")
TARGET_P95_MS = 1000
RETRY_LINE = re.compile(r"tries left, try again in")
MEMORY_LINE = re.compile(r"virtual memory limit|CPU time limit|Worker \(\d+\) timeout|killed", re.IGNORECASE)
MIB = 1024 * 1024


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--odoo", type=shlex.split, required=True, help="the command that starts Odoo")
    parser.add_argument("--db-args", type=shlex.split, default=[])
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--world-db", required=True)
    parser.add_argument("--world", required=True, help="world.json")
    parser.add_argument("--locust", required=True, help="the locust executable")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--think", default="5,15", help="seconds a collector waits between two cases: min,max")
    parser.add_argument("--stagger", type=float, default=0, help="seconds between the starts of the three jobs")
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=30, help="seconds of load before the jobs start")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cron-workers", type=int, default=3, help="one per big job: they run side by side")
    parser.add_argument("--port", type=int, default=8169)
    parser.add_argument("--job-timeout", type=int, default=1800)
    parser.add_argument("--skip-alone", action="store_true", help="do not time the jobs alone first")
    parser.add_argument("--json", default="loadtest.json")
    parser.add_argument("--work-dir", required=True)
    return parser.parse_args()


def pg(dbname):
    return psycopg2.connect(
        dbname=dbname,
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", "5432"),
        user=os.environ.get("PGUSER", "odoo"),
        password=os.environ.get("PGPASSWORD") or None,
    )


def sql(dbname, query, params=None, fetch=True):
    connection = pg(dbname)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if fetch and cursor.description else None
    finally:
        connection.close()


def copy_db(source, target):
    sql("postgres", f'DROP DATABASE IF EXISTS "{target}"', fetch=False)
    sql("postgres", f'CREATE DATABASE "{target}" TEMPLATE "{source}"', fetch=False)


class Server:
    """Odoo in prefork mode on the run database, its log in a file."""

    def __init__(self, args, db, log_path):
        self.args, self.db, self.log_path = args, db, log_path
        self.process = None

    def start(self):
        command = [
            *self.args.odoo,
            *self.args.db_args,
            "--addons-path", self.args.addons_path,
            "-d", self.db,
            "--db-filter", f"^{re.escape(self.db)}$",
            "--workers", str(self.args.workers),
            "--max-cron-threads", str(self.args.cron_workers),
            "--http-interface", "127.0.0.1",
            "--http-port", str(self.args.port),
            "--gevent-port", str(self.args.port + 1),
            "--log-level", "info",
            "--logfile", str(self.log_path),
            "--db_maxconn", str(max(64, self.args.users * 2)),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, start_new_session=True)
        deadline = time.monotonic() + 180
        import urllib.request  # noqa: PLC0415

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"Odoo stopped at start; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.args.port}/web/login", timeout=5) as page:
                    if page.status == 200:
                        return
            except OSError:
                time.sleep(1)
        sys.exit(f"Odoo did not answer within 180 s; see {self.log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def log_count(self, pattern, since=0):
        if not self.log_path.exists():
            return 0
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            log.seek(since)
            return sum(1 for line in log if pattern.search(line))

    def log_size(self):
        return self.log_path.stat().st_size if self.log_path.exists() else 0


class MemorySampler(threading.Thread):
    """Resident and virtual memory and CPU time of each of the server's
    processes, sampled every 0.25 s; peaks kept per process. The CPU time of
    the PostgreSQL backends each process uses (known by Odoo's
    ``application_name``, odoo-<pid>) is added to the process's own as
    ``db_cpu``; cron workers are told apart by their niceness (10)."""

    def __init__(self, pid, db=None):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.db = db
        self.peaks = {}
        self.cpu = {}
        self.db_cpu = {}
        self.cron = set()
        self.running = True
        self.lock = threading.Lock()

    @staticmethod
    def _backends(processes, sessions):
        """{backend pid: odoo pid} of the database sessions ({backend pid:
        client port}) the server's processes hold, matched by the client's
        port (the application name is the parent's pid when the registry
        was loaded before the workers were forked)."""
        pg_port = int(os.environ.get("PGPORT", "5432"))
        owner_of_port = {}
        for process in processes:
            try:
                # psutil < 6 (Odoo's pin) names it connections()
                connections = getattr(process, "net_connections", None) or process.connections
                for conn in connections(kind="tcp"):
                    if conn.raddr and conn.raddr.port == pg_port:
                        owner_of_port[conn.laddr.port] = process.pid
            except psutil.Error:
                continue
        return {pid: owner_of_port[port] for pid, port in sessions.items() if port in owner_of_port}

    def run(self):
        connection = None
        if self.db:
            connection = pg("postgres")
            connection.autocommit = True
        backend_cpu = {}
        owner_of_backend = {}
        tick = 0
        while self.running:
            try:
                processes = self.root.children(recursive=True)
            except psutil.Error:
                break
            # the database side once a second (light: the sampler must not
            # take the CPU it measures); sockets read only for new sessions
            if connection is not None and tick % 4 == 0:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL")
                        sessions = dict(cursor.fetchall())
                except psycopg2.Error:
                    sessions = {}
                if any(pid not in owner_of_backend for pid in sessions):
                    found = self._backends(processes, sessions)
                    # sessions of other programs (this sampler's own...) are remembered as no one's
                    owner_of_backend.update({pid: found.get(pid) for pid in sessions})
                for pid in sessions:
                    if owner_of_backend.get(pid):
                        try:
                            times = psutil.Process(pid).cpu_times()
                        except psutil.Error:
                            continue
                        backend_cpu[pid] = (owner_of_backend[pid], times.user + times.system)
            tick += 1
            for process in processes:
                try:
                    memory = process.memory_info()
                    times = process.cpu_times()
                    nice = process.nice()
                except psutil.Error:
                    continue
                with self.lock:
                    rss, vms = self.peaks.get(process.pid, (0, 0))
                    self.peaks[process.pid] = (max(rss, memory.rss), max(vms, memory.vms))
                    self.cpu[process.pid] = times.user + times.system
                    if nice >= 10:
                        self.cron.add(process.pid)
            with self.lock:
                totals = {}
                for owner, seconds in backend_cpu.values():
                    totals[owner] = totals.get(owner, 0.0) + seconds
                self.db_cpu = totals
            time.sleep(0.25)
        if connection is not None:
            connection.close()

    def snapshot(self):
        with self.lock:
            return dict(self.peaks), dict(self.cpu)

    def cpu_by_kind(self):
        """CPU seconds so far: {(cron|http, odoo|db): seconds}."""
        with self.lock:
            totals = {}
            for pid in set(self.cpu) | set(self.db_cpu):
                kind = "cron" if pid in self.cron else "http"
                totals[(kind, "odoo")] = totals.get((kind, "odoo"), 0.0) + self.cpu.get(pid, 0.0)
                totals[(kind, "db")] = totals.get((kind, "db"), 0.0) + self.db_cpu.get(pid, 0.0)
            return totals

    def reset_peaks(self):
        with self.lock:
            self.peaks = {}


def cpu_spent(before, after):
    """CPU seconds between two ``cpu_by_kind`` readings, as 'cron odoo' etc."""
    return {f"{kind} {side}": round(after.get((kind, side), 0.0) - before.get((kind, side), 0.0), 1)
            for kind in ("cron", "http") for side in ("odoo", "db")}  # fmt: skip


def trigger(db, cron_ids):
    """Make the crons due now and wake the cron workers."""
    sql(db, "UPDATE ir_cron SET nextcall = (now() at time zone 'UTC') - interval '1 second' WHERE id = ANY(%s)",
        (list(cron_ids),), fetch=False)  # fmt: skip
    sql("postgres", "SELECT pg_notify('cron_trigger', %s)", (db,))


def start_job(db, world, job, marks):
    """Start one job; return its 'done' test."""
    crons = world["crons"]
    if job == "daily":
        marks["daily"] = sql(db, "SELECT COALESCE(MAX(id), 0) FROM collection_daily_run")[0][0]
        trigger(db, [crons["daily"]])
        return lambda: bool(
            sql(db, "SELECT 1 FROM collection_daily_run WHERE id > %s AND state = 'done'", (marks["daily"],))
        )
    if job == "sync":
        marks["sync"] = sql(db, "SELECT COALESCE(MAX(id), 0) FROM collection_event")[0][0]
        trigger(db, [crons["sync"]])
        # done: the sync of the internal portfolio logged its last, complete chunk
        return lambda: bool(
            sql(
                db,
                "SELECT 1 FROM collection_event WHERE id > %s AND event_type = 'sync'"
                " AND (payload->>'complete')::boolean",
                (marks["sync"],),
            )
        )
    # the import job the world queued (the wizard's way), run by the cron
    trigger(db, [crons["import"]])
    job_id = world["import_job_id"]
    return lambda: bool(
        sql(db, "SELECT 1 FROM collection_import_job WHERE id = %s AND state IN ('done', 'failed')", (job_id,))
    )


def wait_jobs(pending, timeout, starts=None, starters=()):
    """Wait until each job's test passes; {job: seconds since it started}.
    ``starters``: (seconds from now, job, start function) of jobs started
    meanwhile (staggered starts)."""
    start = time.monotonic()
    starts = dict(starts or {})
    starters = sorted(starters, key=lambda item: item[0])
    durations = {}
    while (pending or starters) and time.monotonic() - start < timeout:
        while starters and time.monotonic() - start >= starters[0][0]:
            _delay, job, begin = starters.pop(0)
            starts[job] = time.monotonic()
            pending[job] = begin()
        for job, done in list(pending.items()):
            if done():
                durations[job] = time.monotonic() - starts.get(job, start)
                del pending[job]
        time.sleep(0.5)
    for job in pending:
        durations[job] = None
    return durations


def job_outcomes(db, world):
    """What the jobs left: the daily run, the import job, the sync's cases."""
    daily = sql(db, "SELECT state, call_count, chunk_count FROM collection_daily_run ORDER BY id DESC LIMIT 1")
    job = sql(db, "SELECT state, rows_total, cases_created, installments_created, message, chunk_count,"
                  " interruptions FROM collection_import_job WHERE id = %s", (world["import_job_id"],))  # fmt: skip
    synced = sql(db, "SELECT COUNT(*) FROM collection_installment WHERE move_line_id IS NOT NULL")
    return {
        "daily": daily[0] if daily else None,
        "import": job[0] if job else None,
        "installments from invoices": synced[0][0],
    }


def time_alone(args, world, server, sampler):
    """Each job alone on the idle server: duration and the peak memory of the
    cron worker that ran it (the worker that used the most CPU meanwhile)."""
    results = {}
    for job in ALONE_ORDER:
        sampler.reset_peaks()
        _peaks, cpu_before = sampler.snapshot()
        kinds_before = sampler.cpu_by_kind()
        seconds = wait_jobs(
            {}, args.job_timeout, starters=[(0, job, lambda job=job: start_job(server.db, world, job, {}))]
        )[job]
        peaks, cpu_after = sampler.snapshot()
        worker = max(cpu_after, key=lambda pid: cpu_after[pid] - cpu_before.get(pid, 0.0), default=None)
        rss, vms = peaks.get(worker, (0, 0))
        cpu = cpu_spent(kinds_before, sampler.cpu_by_kind())
        results[job] = {"seconds": seconds, "peak_rss_mib": rss / MIB, "peak_vms_mib": vms / MIB, "cpu_s": cpu}
        print(f"  alone: {job} in {seconds if seconds is None else round(seconds, 1)} s, "
              f"peak RSS {rss / MIB:.0f} MiB (virtual {vms / MIB:.0f} MiB), CPU s {cpu}", flush=True)  # fmt: skip
    return results


def run_locust(args, world_path, db, prefix):
    env = dict(os.environ, DC_LOADTEST_WORLD=str(world_path), DC_LOADTEST_DB=db, DC_LOADTEST_THINK=args.think)
    command = [
        args.locust,
        "-f", str(Path(__file__).with_name("locustfile.py")),
        "--headless",
        "--host", f"http://127.0.0.1:{args.port}",
        "-u", str(args.users),
        "-r", str(args.spawn_rate),
        "--run-time", f"{args.duration}s",
        "--stop-timeout", "30",
        "--csv", str(prefix),
        "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env)


def read_stats(prefix):
    stats = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                continue
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "rps": float(row["Requests/s"] or 0),
            }
    failures = []
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with open(path, encoding="utf-8") as handle:
            failures = [dict(row) for row in csv.DictReader(handle)]
    # exceptions raised in the simulated users themselves (not requests)
    path = Path(f"{prefix}_exceptions.csv")
    if path.exists():
        with open(path, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                failures.append({"Name": "(user)", "Error": row.get("Message"), "Occurrences": row.get("Count")})
    return stats, failures


def main():
    args = parse_args()
    work = Path(args.work_dir)
    world = json.loads(Path(args.world).read_text(encoding="utf-8"))
    run_db = f"{args.world_db}_run"
    report = {
        "users": args.users,
        "think_s": args.think,
        "stagger_s": args.stagger,
        "duration_s": args.duration,
        "workers": args.workers,
        "cron_workers": args.cron_workers,
        "world": {k: world[k] for k in ("cases", "invoices", "import_rows")},
    }
    alone = {}
    if not args.skip_alone:
        print("== the jobs alone", flush=True)
        copy_db(args.world_db, run_db)
        server = Server(args, run_db, work / "odoo_alone.log")
        server.start()
        sampler = MemorySampler(server.process.pid, run_db)
        sampler.start()
        try:
            alone = time_alone(args, world, server, sampler)
            report["alone_outcomes"] = job_outcomes(run_db, world)
        finally:
            sampler.running = False
            server.stop()
    report["alone"] = alone

    print(f"== {args.users} collectors for {args.duration} s, the jobs started after {args.warmup} s", flush=True)
    copy_db(args.world_db, run_db)
    server = Server(args, run_db, work / "odoo_load.log")
    server.start()
    log_start = server.log_size()
    sampler = MemorySampler(server.process.pid, run_db)
    sampler.start()
    prefix = work / "locust"
    locust = run_locust(args, args.world, run_db, prefix)
    try:
        time.sleep(min(args.warmup, args.duration))
        kinds_before, jobs_start = sampler.cpu_by_kind(), time.monotonic()
        marks = {}
        # together (--stagger 0), or one after the other every --stagger seconds
        starters = [
            (index * args.stagger, job, lambda job=job: start_job(run_db, world, job, marks))
            for index, job in enumerate(JOBS)
        ]
        under_load = wait_jobs({}, args.job_timeout, starters=starters)
        load_cpu = cpu_spent(kinds_before, sampler.cpu_by_kind())
        load_cpu["wall"] = round(time.monotonic() - jobs_start, 1)
        shown = ", ".join(f"{job} {s if s is None else round(s, 1)} s" for job, s in under_load.items())
        print(f"  under load: {shown}; CPU s while the jobs ran {load_cpu}", flush=True)
        locust.wait(args.duration + 120)
    finally:
        if locust.poll() is None:
            locust.terminate()
        sampler.running = False
        peaks, _cpu = sampler.snapshot()
        retries = server.log_count(RETRY_LINE, log_start)
        limits = server.log_count(MEMORY_LINE, log_start)
        report["load_outcomes"] = job_outcomes(run_db, world)
        server.stop()
    stats, failures = read_stats(prefix)
    report.update(
        actions=stats,
        failures=failures,
        jobs_under_load=under_load,
        cpu_while_jobs_ran_s=load_cpu,
        odoo_retries=retries,
        worker_limit_lines=limits,
        peak_rss_mib=max((rss for rss, _vms in peaks.values()), default=0) / MIB,
        peak_vms_mib=max((vms for _rss, vms in peaks.values()), default=0) / MIB,
    )
    checks = []
    total_failures = sum(s["failures"] for s in stats.values()) + sum(
        int(f.get("Occurrences") or 1) for f in failures if f.get("Name") == "(user)"
    )
    checks.append(("0 failed requests", total_failures == 0))
    slow = [name for name in ACTIONS if name in stats and stats[name]["p95_ms"] > TARGET_P95_MS]
    checks.append(("p95 under 1 s for every action", not slow))
    for job in JOBS:
        base, loaded = (alone.get(job) or {}).get("seconds"), under_load.get(job)
        if loaded is None:
            checks.append((f"{job} finished under load", False))
        elif base:
            checks.append((f"{job} under load within 2x alone", loaded <= 2 * max(base, 1.0)))
    report["checks"] = dict(checks)

    print()
    print(f"{'action':24} {'requests':>9} {'failed':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, row in sorted(stats.items(), key=lambda item: item[0]):
        print(f"{name:24} {row['requests']:>9} {row['failures']:>7} {row['rps']:>7.1f} {row['p50_ms']:>8.0f} "
              f"{row['p95_ms']:>8.0f} {row['p99_ms']:>8.0f}")  # fmt: skip
    print()
    print(f"{'job':10} {'alone s':>9} {'under load s':>13} {'peak RSS MiB':>13} {'peak virtual MiB':>17}")
    for job in JOBS:
        row = alone.get(job) or {}
        loaded = under_load.get(job)
        print(f"{job:10} {row.get('seconds') or 0:>9.1f} {loaded or 0:>13.1f} {row.get('peak_rss_mib', 0):>13.0f} "
              f"{row.get('peak_vms_mib', 0):>17.0f}")  # fmt: skip
    daily_alone = (report.get("alone_outcomes") or {}).get("daily")
    daily_load = report["load_outcomes"].get("daily")
    if daily_alone and daily_load:
        # the same work: alone it runs after the sync and the import, as it meets their cases under load
        print(f"daily run chunks: {daily_alone[2]} alone, {daily_load[2]} under load")
    print()
    print(f"Odoo retries of concurrency errors: {retries}; worker limit lines in the log: {limits}")
    print(f"peak RSS of any Odoo process: {report['peak_rss_mib']:.0f} MiB (virtual {report['peak_vms_mib']:.0f} MiB)")
    for failure in failures[:10]:
        print(f"  failure: {failure.get('Name')}: {failure.get('Error')} x{failure.get('Occurrences')}")
    for name, ok in checks:
        print(f"{'OK  ' if ok else 'MISS'} {name}")
    Path(args.json).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(f"results written to {args.json}")
    sql("postgres", f'DROP DATABASE IF EXISTS "{run_db}"', fetch=False)
    # the exit status says whether a request failed (what CI asserts)
    sys.exit(1 if total_failures else 0)


if __name__ == "__main__":
    main()
