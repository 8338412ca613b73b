"""The strategy side of the daily run (segments, due steps, their
execution in committed chunks) and the team queues collectors pull their
next case from."""

import logging

import psycopg2

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.tools import SQL

from ..tools import strategy as ladder
from ..tools.job_slice import session_lock
from .collection_strategy import StrategyRunBusy

_logger = logging.getLogger(__name__)

# cases whose due steps are inserted and carried out per transaction
STEP_CHUNK = 5000
# queue cases read per round when colleagues hold the best ones
QUEUE_CANDIDATES = 10
# the session lock that keeps two strategy runs from overlapping
RUN_LOCK_KEY = "debt_collection.strategy_run"


class CollectionCase(models.Model):
    _inherit = "collection.case"

    strategy_id = fields.Many2one(
        "collection.strategy",
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="The strategy the daily run gave the case: the first whose cases it is.",
    )
    strategy_version_id = fields.Many2one(
        "collection.strategy.version", readonly=True, index="btree_not_null", copy=False
    )
    strategy_date = fields.Date("Strategy Since", readonly=True, copy=False)
    step_ids = fields.One2many("collection.case.step", "case_id", string="Strategy Steps")
    proposed_step_count = fields.Integer(compute="_compute_proposed_step_count")
    queue_team_id = fields.Many2one(
        "collection.team",
        string="Queue",
        readonly=True,
        copy=False,
        help="The team queue the case was routed to; while no collector holds it, the next collector of the team "
        "to press Next Case gets it, best score first.",
    )
    queue_date = fields.Datetime("Taken From Queue", readonly=True, copy=False)

    def init(self):
        result = super().init()
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS collection_case_queue_idx ON collection_case"
                " (queue_team_id, priority_score DESC, id)"
                " WHERE queue_team_id IS NOT NULL AND user_id IS NULL AND state = 'open'"
            )
        )
        return result

    def _compute_proposed_step_count(self):
        counts = dict(
            self.env["collection.case.step"]._read_group(
                [("case_id", "in", self.ids), ("state", "=", "proposed")], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.proposed_step_count = counts.get(case, 0)

    def action_view_steps(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case.step",
            "view_mode": "list,form",
            "name": _("Strategy steps of %s", self.name),
            "domain": [("case_id", "=", self.id)],
        }

    # ------------------------------------------------------------------
    # Skip rules
    # ------------------------------------------------------------------
    def _step_skip_facts(self):
        """{case id: {dispute, promise, agreement, do_not_contact}} in one
        query for the batch."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT c.id,
                       COALESCE(c.amount_disputed, 0) > 0,
                       EXISTS (SELECT 1 FROM collection_promise p WHERE p.case_id = c.id AND p.state = 'open'),
                       EXISTS (SELECT 1 FROM collection_agreement a WHERE a.case_id = c.id AND a.state = 'active'),
                       COALESCE(d.collection_do_not_contact, FALSE)
                  FROM collection_case c
                  JOIN res_partner d ON d.id = c.partner_id
                 WHERE c.id = ANY(%s)
                """,
                self.ids,
            )
        )
        return {
            case_id: {"dispute": dispute, "promise": promise, "agreement": agreement, "do_not_contact": quiet}
            for case_id, dispute, promise, agreement, quiet in self.env.cr.fetchall()
        }

    # ------------------------------------------------------------------
    # The daily run
    # ------------------------------------------------------------------
    @api.model
    def _run_strategies(self, auto_commit=False):
        """Give every open case its strategy, then insert and carry out the
        step each has reached, chunk by chunk (each chunk committed when
        ``auto_commit``, as the cron does). A session lock keeps two runs
        from overlapping; the idempotency key of the steps (case, step,
        version, due date) makes a run restarted after a crash carry out
        only what the crashed one had not committed. Returns the run."""
        with session_lock(self.env.cr, RUN_LOCK_KEY) as locked:
            if not locked:
                _logger.info("Another collection strategy run is in progress: this one does nothing.")
                raise StrategyRunBusy(_("Another strategy run is in progress; try again when it has finished."))
            return self._run_strategies_locked(auto_commit)

    def _run_strategies_locked(self, auto_commit):
        run = self._strategy_run_start()
        self._commit_if(auto_commit)
        self._load_ladders()
        after = 0
        while True:
            chunk = self._strategy_chunk_ids(after, STEP_CHUNK)
            if not chunk:
                break
            self._strategy_run_chunk(run, chunk)
            after = chunk[-1]
            self._commit_if(auto_commit)
        run._finish()
        self._commit_if(auto_commit)
        return run

    def _strategy_run_start(self):
        """Open a strategy run: steps of closed cases cancelled, every open
        case given its strategy. Returns the run."""
        run = self.env["collection.strategy.run"].sudo().create({})
        self._cancel_steps_of_closed_cases()
        messages = []
        self._assign_strategies(messages, fields.Date.context_today(self))
        if messages:
            run.message = "\n".join(messages)
        return run

    def _strategy_chunk_ids(self, after, limit):
        """The next ``limit`` open cases after id ``after`` that have a
        strategy and something due, by id."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM collection_case WHERE state = 'open' AND strategy_version_id IS NOT NULL"
                " AND date_oldest_due IS NOT NULL AND id > %s ORDER BY id LIMIT %s",
                after,
                limit,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _strategy_run_chunk(self, run, chunk):
        """Insert and carry out the steps the cases of ``chunk`` have
        reached, for ``run``; a chunk that fails is rolled back and said on
        the run (its cases are worked by the next run)."""
        Step = self.env["collection.case.step"].sudo()
        today = fields.Date.context_today(self)
        # the instant the contact rules judge (the benchmark states one)
        now = self.env.context.get("collection_strategy_now") or fields.Datetime.now()
        try:
            with self.env.cr.savepoint():
                step_ids = Step._insert_due(chunk, run, today, now)
                Step.invalidate_model()
                Step.browse(step_ids)._execute(now=now)
                self.env.flush_all()
        except Exception as error:  # noqa: BLE001 - a chunk's fault is logged, the next chunks still run
            _logger.exception("Collection strategy run: a chunk of %s cases failed", len(chunk))
            message = _("%(count)s cases not worked (retried next run): %(error)s", count=len(chunk), error=error)
            self.env.invalidate_all()
            run.message = "\n".join(filter(None, [run.message, message]))
        run.case_count += len(chunk)

    def _cancel_steps_of_closed_cases(self):
        """Proposals, postponed steps and letters still to print of cases
        closed since are never carried out."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE collection_case_step s
                   SET state = 'cancelled', reason = %s, date_done = %s
                  FROM collection_case c
                 WHERE c.id = s.case_id AND c.state != 'open'
                   AND s.state IN ('new', 'proposed', 'postponed', 'to_print')
                """,
                _("The case is closed."),
                fields.Datetime.now(),
            )
        )
        self.env["collection.case.step"].invalidate_model(["state", "reason", "date_done"])

    def _commit_if(self, auto_commit):
        self.env.flush_all()
        if auto_commit:
            # the cron's daily run commits chunk by chunk: a crash loses one chunk, and the next run redoes it
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _assign_strategies(self, messages, today):
        """Give each open case the first active strategy (by sequence) whose
        segment holds it; return the ids of the open cases that have one,
        in order. See ``_match_strategies`` and ``_apply_strategies``."""
        self._match_strategies(messages)
        self._apply_strategies(today)
        self.env.cr.execute(
            SQL(
                "SELECT id FROM collection_case WHERE state = 'open' AND strategy_version_id IS NOT NULL"
                " AND date_oldest_due IS NOT NULL ORDER BY id"
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _match_strategies(self, messages):
        """The strategy of each open case, in one statement per strategy, in
        a temporary table of this connection (``collection_strategy_match``,
        kept across the commits of the daily run's chunks). A strategy whose
        domain no longer works is skipped and keeps the error."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "CREATE TEMP TABLE IF NOT EXISTS collection_strategy_match"
                " (case_id int PRIMARY KEY, strategy_id int, version_id int)"
            )
        )
        cr.execute(SQL("TRUNCATE collection_strategy_match"))
        strategies = self.env["collection.strategy"].sudo().search([], order="sequence, id")
        strategies._sync_version()
        for strategy in strategies:
            try:
                with cr.savepoint():
                    query = strategy._case_query()
                    cr.execute(
                        SQL(
                            """
                            INSERT INTO collection_strategy_match (case_id, strategy_id, version_id)
                            SELECT m.id, %s, %s FROM (%s) m
                            ON CONFLICT (case_id) DO NOTHING
                            """,
                            strategy.id,
                            strategy.version_id.id,
                            query.subselect(),
                        )
                    )
                if strategy.error:
                    strategy.error = False
            except Exception as error:  # noqa: BLE001 - a broken segment must not stop the run
                message = _("Strategy %(strategy)s skipped: %(error)s", strategy=strategy.name, error=error)
                strategy.error = message
                messages.append(message)

    def _apply_strategies(self, today, after=None, until=None):
        """Write the strategies ``_match_strategies`` found on the open cases
        whose strategy changes (those with ids in (``after``, ``until``]
        only, when given). Cases in litigation are left to their lawyer."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                UPDATE collection_case c
                   SET strategy_id = m.strategy_id,
                       strategy_version_id = m.version_id,
                       strategy_date = CASE WHEN m.strategy_id IS NULL THEN NULL
                                            WHEN c.strategy_id IS DISTINCT FROM m.strategy_id THEN %(today)s
                                            ELSE c.strategy_date END
                  FROM collection_case c2
                  LEFT JOIN collection_stage st ON st.id = c2.stage_id
                  LEFT JOIN collection_strategy_match m ON m.case_id = c2.id AND st.code IS DISTINCT FROM 'litigation'
                 WHERE c2.id = c.id AND c.state = 'open' AND %(range)s
                   AND (c.strategy_id IS DISTINCT FROM m.strategy_id
                        OR c.strategy_version_id IS DISTINCT FROM m.version_id)
                """,
                today=today,
                range=SQL("TRUE") if after is None else SQL("c.id > %s AND c.id <= %s", after, until),
            )
        )
        self.invalidate_model(["strategy_id", "strategy_version_id", "strategy_date"])

    def _load_ladders(self):
        """The steps of every version cases are on, as frozen, in a temporary
        table the step insertion reads (dropped at the end of the
        transaction; loaded again after each commit)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "CREATE TEMP TABLE IF NOT EXISTS collection_strategy_ladder"
                " (version_id int, strategy_id int, step_id int, sequence int, days int, name varchar,"
                " action varchar, mode varchar, letter_level varchar)"
            )
        )
        cr.execute(SQL("TRUNCATE collection_strategy_ladder"))
        cr.execute(
            SQL("SELECT DISTINCT strategy_version_id FROM collection_case WHERE strategy_version_id IS NOT NULL")
        )
        versions = self.env["collection.strategy.version"].sudo().browse([row[0] for row in cr.fetchall()])
        names = {step.id: step.name for step in versions.strategy_id.with_context(active_test=False).step_ids}
        rows = []
        for version in versions:
            _domain, steps = ladder.thaw(version.frozen)
            for step in steps:
                rows.append(
                    (version.id, version.strategy_id.id, step["id"], step["sequence"], step["days"],
                     names.get(step["id"]) or step["action"], step["action"], step["mode"],
                     step.get("letter_level") or None)
                )  # fmt: skip
        if rows:
            cr.execute(
                SQL(
                    "INSERT INTO collection_strategy_ladder"
                    " (version_id, strategy_id, step_id, sequence, days, name, action, mode, letter_level)"
                    " SELECT * FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[], %s::varchar[],"
                    " %s::varchar[], %s::varchar[], %s::varchar[])",
                    *[list(column) for column in zip(*rows, strict=True)],
                )
            )

    # ------------------------------------------------------------------
    # Queues
    # ------------------------------------------------------------------
    def _route_to_queue(self, team):
        """The cases wait, without a collector, in ``team``'s queue (their
        assignment line is closed)."""
        if not self:
            return
        self.env.flush_all()
        now = fields.Datetime.now()
        cr = self.env.cr
        cr.execute(
            SQL(
                "UPDATE collection_assignment SET date_end = %s WHERE case_id = ANY(%s) AND date_end IS NULL",
                now,
                self.ids,
            )
        )
        cr.execute(
            SQL(
                "UPDATE collection_case SET queue_team_id = %s, team_id = %s, user_id = NULL, today_user_id = NULL,"
                " queue_date = NULL WHERE id = ANY(%s)",
                team.id,
                team.id,
                self.ids,
            )
        )
        self.invalidate_recordset(["queue_team_id", "team_id", "user_id", "today_user_id", "queue_date"])
        self.env["collection.assignment"].invalidate_model(["date_end"])
        self.env["collection.event"].sudo()._log(
            "assignment", _("Case routed to the queue of %s.", team.name), cases=self, payload={"queue": team.id}
        )

    @api.model
    def action_next_case(self):
        """The best unclaimed case of the queues of the user's teams, locked
        and given to them (two collectors pulling at once never get the
        same case), opened in its form."""
        case = self._claim_next_case(self.env.user)
        if not case:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": _("Next case"),
                    "message": _("The queues of your teams are empty."),
                    "type": "info",
                },
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case",
            "res_id": case.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    @api.model
    def _lock_next_case(self, team_ids):
        """The id of the best unclaimed case of the queues, row-locked for
        this transaction, or None. Each candidate is locked with SKIP
        LOCKED; one claimed and committed by a colleague since this
        transaction began fails to lock (a REPEATABLE READ serialization
        failure, rolled back to a savepoint) and the next one is tried."""
        cr = self.env.cr
        passed = []
        while True:
            cr.execute(
                SQL(
                    """
                    SELECT id FROM collection_case
                     WHERE queue_team_id = ANY(%s) AND user_id IS NULL AND state = 'open' AND NOT (id = ANY(%s))
                     ORDER BY priority_score DESC, id
                     LIMIT %s
                    """,
                    team_ids,
                    passed,
                    QUEUE_CANDIDATES,
                )
            )
            candidates = [case_id for (case_id,) in cr.fetchall()]
            if not candidates:
                return None
            for case_id in candidates:
                try:
                    with cr.savepoint(flush=False):
                        cr.execute(
                            SQL(
                                "SELECT id FROM collection_case WHERE id = %s AND user_id IS NULL"
                                " FOR UPDATE SKIP LOCKED",
                                case_id,
                            ),
                            log_exceptions=False,
                        )
                        locked = cr.fetchone()
                except psycopg2.errors.SerializationFailure:
                    locked = None
                if locked:
                    return case_id
                passed.append(case_id)

    @api.model
    def _claim_next_case(self, user):
        """Claim the next case of the queues of ``user``'s teams for them:
        the case claimed (empty when the queues are empty)."""
        Member = self.env["collection.team.member"].sudo()
        teams = Member.search([("user_id", "=", user.id), ("team_id.queue", "=", True)]).team_id
        teams = teams.filtered(lambda team: team.company_id in user.company_ids)
        if not teams:
            return self.browse()
        self.env.flush_all()
        cr = self.env.cr
        now = fields.Datetime.now()
        row = self._lock_next_case(teams.ids)
        if not row:
            return self.browse()
        cr.execute(
            SQL(
                """
                UPDATE collection_case
                   SET user_id = %(user)s, team_id = queue_team_id, queue_date = %(now)s,
                       write_uid = %(user)s, write_date = %(now)s
                 WHERE id = %(case)s
                RETURNING id, queue_team_id
                """,
                case=row,
                user=user.id,
                now=now,
            )
        )
        case_id, team_id = cr.fetchone()
        self.env["collection.assignment"].sudo().create(
            {
                "case_id": case_id,
                "user_id": user.id,
                "team_id": team_id,
                "reason": "queue",
                "assigned_by_id": user.id,
                "date_start": now,
            }
        )
        case = self.browse(case_id)
        case.invalidate_recordset(["user_id", "team_id", "queue_date"])
        return case
