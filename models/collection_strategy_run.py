"""The summary of each daily strategy run: cases evaluated, and how many
steps of each strategy were done, proposed, postponed, skipped or failed."""

from odoo import fields
from odoo import models

from .collection_case_step import STEP_STATES


class CollectionStrategyRun(models.Model):
    _name = "collection.strategy.run"
    _description = "Collection Strategy Run"
    _order = "date_start desc, id desc"
    _rec_name = "date_start"

    date_start = fields.Datetime("Started", required=True, readonly=True, default=fields.Datetime.now)
    date_end = fields.Datetime("Finished", readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")], default="running", readonly=True
    )
    case_count = fields.Integer("Cases Evaluated", readonly=True)
    step_count = fields.Integer("Steps Reached", readonly=True)
    message = fields.Text(readonly=True, help="Strategies skipped and errors met by the run.")
    line_ids = fields.One2many("collection.strategy.run.line", "run_id", string="Outcomes", readonly=True)

    def _finish(self):
        """The run has worked every case: done, with its outcomes counted."""
        self.write({"state": "done", "date_end": fields.Datetime.now()})
        self._summarise()

    def _summarise(self):
        """Count the run's steps by strategy, step and outcome."""
        self.ensure_one()
        Step = self.env["collection.case.step"].sudo()
        Step.flush_model()
        groups = Step._read_group([("run_id", "=", self.id)], ["strategy_id", "step_id", "state"], ["__count"])
        self.line_ids.unlink()
        self.env["collection.strategy.run.line"].sudo().create(
            [
                {"run_id": self.id, "strategy_id": strategy.id, "step_id": step.id, "state": state, "count": count}
                for strategy, step, state, count in groups
            ]
        )
        self.step_count = sum(count for *_keys, count in groups)


class CollectionStrategyRunLine(models.Model):
    _name = "collection.strategy.run.line"
    _description = "Collection Strategy Run Outcome"
    _order = "run_id, strategy_id, step_id, state"

    run_id = fields.Many2one("collection.strategy.run", required=True, index=True, ondelete="cascade")
    strategy_id = fields.Many2one("collection.strategy", ondelete="set null")
    step_id = fields.Many2one("collection.strategy.step", ondelete="set null")
    action = fields.Selection(related="step_id.action")
    state = fields.Selection(STEP_STATES, string="Outcome")
    count = fields.Integer()

    def action_view_steps(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case.step",
            "view_mode": "list,form",
            "name": self.step_id.name or self.strategy_id.name,
            "domain": [("run_id", "=", self.run_id.id), ("step_id", "=", self.step_id.id), ("state", "=", self.state)],
        }
