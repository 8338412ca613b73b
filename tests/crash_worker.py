"""A cron worker for debt_collection's crash tests (run as a script, not a
test module): it runs one scheduled job as Odoo's cron runner does, in a
process of its own, and stops at a given point — after the N-th call of a
model's method, that call's work done but not committed — where it writes a
marker file and waits for the test to kill it (SIGKILL).

    python crash_worker.py '{"db": ..., "odoo_args": [...], "cron": xmlid,
        "pause": {"model": ..., "method": ..., "call": n}, "marker": path,
        "patch": {"module.NAME": value}}'
"""

import importlib
import json
import sys
import time


def main():
    args = json.loads(sys.argv[1])
    from odoo import SUPERUSER_ID
    from odoo import api
    from odoo.modules.registry import Registry
    from odoo.sql_db import db_connect
    from odoo.tools import config

    config.parse_config(args["odoo_args"])
    registry = Registry(args["db"])
    for dotted, value in (args.get("patch") or {}).items():
        module, name = dotted.rsplit(".", 1)
        target = getattr(importlib.import_module(module), name)
        if isinstance(target, dict):
            target.update(value)
        else:
            setattr(importlib.import_module(module), name, value)
    pause = args["pause"]
    model = registry[pause["model"]]
    original = getattr(model, pause["method"])
    calls = []

    def paused(self, *call_args, **call_kwargs):
        result = original(self, *call_args, **call_kwargs)
        calls.append(1)
        if len(calls) == pause["call"]:
            self.env.flush_all()
            with open(args["marker"], "w", encoding="utf-8") as marker:
                marker.write("paused")
            time.sleep(600)
        return result

    setattr(model, pause["method"], paused)
    with registry.cursor() as cr:
        cron_id = api.Environment(cr, SUPERUSER_ID, {}).ref(args["cron"]).id
        cr.execute(
            "UPDATE ir_cron SET nextcall = (now() at time zone 'UTC') - interval '1 minute' WHERE id = %s", [cron_id]
        )
    ir_cron = registry["ir.cron"]
    db = db_connect(args["db"])
    with db.cursor() as cron_cr:
        job = ir_cron._acquire_one_job(cron_cr, cron_id)
        if not job:
            sys.exit("the cron job is not ready or held")
        ir_cron._process_job(db, cron_cr, job)
    sys.exit("the job ended without reaching its pause")


if __name__ == "__main__":
    main()
