"""bin/loadtest's collectors (Locust): each simulated collector logs in as
their own user and works their list as the web client does, over Odoo's
JSON-RPC routes (``/web/dataset/call_kw``):

* ``work list``: a page of their Today list (the kanban's read);
* ``open case``: one case of it, read as its form reads it;
* ``log call``: the Log Contact dialog saved and logged with a phone result;
  one call in five takes a promise (``log call + promise``);
* ``payment``: one case in ten gets a cash payment registered and posted;
* ``next case``: collectors of a queue team press Next Case.

A JSON-RPC error (an exception in Odoo) counts as a failed request, with
its message. Requests go to the host given to Locust only (the local
server); the run is bounded by Locust's ``--run-time``. Settings come from
the environment: DC_LOADTEST_WORLD (the world's handles, world.json),
DC_LOADTEST_DB, DC_LOADTEST_THINK (seconds between two cases, "5,15").
"""

import itertools
import json
import os
import random
from datetime import date
from datetime import timedelta

from locust import HttpUser
from locust import between
from locust import task

with open(os.environ["DC_LOADTEST_WORLD"], encoding="utf-8") as handle:
    WORLD = json.load(handle)
DB = os.environ["DC_LOADTEST_DB"]
# seconds a collector waits between two cases (on the phone, writing notes)
THINK = [float(value) for value in os.environ.get("DC_LOADTEST_THINK", "5,15").split(",")]
LOGINS = itertools.cycle(WORLD["collectors"])
QUEUE_LOGINS = set(WORLD["queue_collectors"])

CARD = {
    "name": {},
    "partner_id": {"fields": {"display_name": {}}},
    "portfolio_id": {"fields": {"display_name": {}}},
    "amount_residual": {},
    "amount_overdue": {},
    "days_overdue": {},
    "aging_bucket": {},
    "work_tier": {},
    "priority_score": {},
    "next_action_date": {},
    "next_promise_date": {},
    "currency_id": {"fields": {}},
}
FORM = dict(
    CARD,
    state={},
    user_id={"fields": {"display_name": {}}},
    team_id={"fields": {"display_name": {}}},
    stage_id={"fields": {"display_name": {}}},
    installment_ids={
        "fields": {
            "name": {},
            "date_due": {},
            "amount": {},
            "amount_paid": {},
            "amount_residual": {},
            "state": {},
            "days_overdue": {},
        },
        "limit": 40,
    },
    promise_ids={"fields": {"date_promise": {}, "amount": {}, "state": {}}, "limit": 40},
    interaction_ids={
        "fields": {"date_start": {}, "channel_id": {"fields": {"display_name": {}}}, "result_id": {"fields": {}}},
        "limit": 40,
    },
)


class RpcError(Exception):
    pass


class Collector(HttpUser):
    wait_time = between(THINK[0], THINK[-1])

    def on_start(self):
        self.login = next(LOGINS)
        self.ids = itertools.count(1)
        self.rng = random.Random(self.login)
        result = self.rpc(
            "/web/session/authenticate",
            {"db": DB, "login": self.login, "password": WORLD["password"]},
            name="login",
        )
        self.uid = result["uid"]
        self.user_context = result.get("user_context") or {}
        # read once per collector, during the ramp-up of logins (like the login, not a work action)
        channels = self.call(
            "collection.channel", "search_read", [[("code", "=", "call")]], {"fields": ["id"]}, name="start-up reads"
        )
        self.phone = channels[0]["id"]
        results = self.call(
            "collection.result",
            "search_read",
            [[]],
            {"fields": ["requires_promise", "is_callback", "is_dispute", "is_wrong_number", "channel_ids"]},
            name="start-up reads",
        )
        usable = [r for r in results if not r["channel_ids"] or self.phone in r["channel_ids"]]
        self.promise_result = next(r["id"] for r in usable if r["requires_promise"])
        self.plain_results = [
            r["id"]
            for r in usable
            if not (r["requires_promise"] or r["is_callback"] or r["is_dispute"] or r["is_wrong_number"])
        ]
        self.cases = []

    # ------------------------------------------------------------------ JSON-RPC
    def rpc(self, path, params, name):
        payload = {"jsonrpc": "2.0", "method": "call", "id": next(self.ids), "params": params}
        with self.client.post(path, json=payload, name=name, catch_response=True) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"not JSON (HTTP {response.status_code})")
                raise RpcError(name) from None
            if response.status_code != 200 or body.get("error"):
                error = body.get("error") or {}
                message = (error.get("data") or {}).get("message") or error.get("message") or response.status_code
                response.failure(f"{name}: {message}")
                raise RpcError(name)
            response.success()
            return body.get("result")

    def call(self, model, method, args, kwargs=None, name=None):
        kwargs = dict(kwargs or {})
        kwargs.setdefault("context", self.user_context)
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
            name=name or f"{model}.{method}",
        )

    # ------------------------------------------------------------------ tasks
    @task(10)
    def work(self):
        """Open the work list, then a case of it; log a call on it, with a
        promise one time in five; a payment one time in ten."""
        try:
            page = self.call(
                "collection.case",
                "web_search_read",
                [],
                {
                    "domain": [("today_user_id", "=", self.uid)],
                    "specification": CARD,
                    "limit": 40,
                    "order": "work_tier, priority_score desc, id",
                    "count_limit": 10001,
                },
                name="work list",
            )
            records = (
                page["records"]
                or self.call(
                    "collection.case",
                    "web_search_read",
                    [],
                    {
                        "domain": [("user_id", "=", self.uid), ("state", "=", "open")],
                        "specification": CARD,
                        "limit": 40,
                    },
                    name="work list",
                )["records"]
            )
            if not records:
                return
            case = self.rng.choice(records)
            self.open_case(case["id"])
            roll = self.rng.random()
            # a promise on a case without an open one (the portfolio allows one at a time)
            self.log_call(case, promise=roll < 0.2 and not case.get("next_promise_date"))
            if roll > 0.9:
                self.payment(case)
        except RpcError:
            pass

    @task(1)
    def next_case(self):
        """Collectors of the queue team press Next Case."""
        if self.login not in QUEUE_LOGINS:
            return
        try:
            action = self.call("collection.case", "action_next_case", [], name="next case")
            if action.get("res_id"):
                self.open_case(action["res_id"])
        except RpcError:
            pass

    def open_case(self, case_id):
        return self.call("collection.case", "web_read", [[case_id]], {"specification": FORM}, name="open case")

    def log_call(self, case, promise):
        context = dict(self.user_context, default_case_id=case["id"], default_channel_id=self.phone)
        values = {
            "case_id": case["id"],
            "channel_id": self.phone,
            "direction": "outbound",
            "note": "Load test call",
        }
        if promise:
            amount = max(round(float(case.get("amount_overdue") or case.get("amount_residual") or 10.0) / 2, 2), 1.0)
            values.update(
                result_id=self.promise_result,
                promise_amount=amount,
                promise_date=(date.today() + timedelta(days=7)).isoformat(),
            )
        else:
            values["result_id"] = self.rng.choice(self.plain_results)
        name = "log call + promise" if promise else "log call"
        wizard = self.call(
            "collection.interaction.log",
            "web_save",
            [[], values],
            {"specification": {"contact_warning": {}}, "context": context},
            name=name,
        )
        self.call("collection.interaction.log", "action_log", [[wizard[0]["id"]]], {"context": context}, name=name)

    def payment(self, case):
        amount = max(round(float(case.get("amount_residual") or 10.0) / 10, 2), 1.0)
        payment = self.call(
            "collection.payment",
            "web_save",
            [[], {"case_id": case["id"], "amount": amount, "method": "cash"}],
            {"specification": {}},
            name="payment",
        )
        self.call("collection.payment", "action_post_and_close", [[payment[0]["id"]]], name="payment")
