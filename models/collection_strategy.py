"""Collection strategies: a segment of cases (a domain), a ladder of steps
by days from the oldest due date, and the frozen versions cases are
worked under."""

from ast import literal_eval

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import strategy as ladder

LETTER_LEVELS = [
    ("friendly", "Friendly reminder"),
    ("formal", "Formal demand"),
    ("prelegal", "Pre-legal notice"),
    ("register", "Delinquent register pre-notice"),
]


class StrategyRunBusy(UserError):
    """Another strategy run holds the lock."""


class CollectionStrategy(models.Model):
    _name = "collection.strategy"
    _description = "Collection Strategy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="The daily run gives each open case the first strategy that matches.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty for a strategy of every company.")
    description = fields.Text(translate=True)
    domain = fields.Char(
        "Cases",
        default="[]",
        required=True,
        help="The cases the strategy applies to: portfolio, creditor, balance, days overdue, priority band, stage, "
        "debtor tags or country, installment references...",
    )
    step_ids = fields.One2many("collection.strategy.step", "strategy_id", string="Steps", copy=True)
    version_id = fields.Many2one("collection.strategy.version", string="Current Version", readonly=True, copy=False)
    version_ids = fields.One2many("collection.strategy.version", "strategy_id", string="Versions", readonly=True)
    version_number = fields.Integer(related="version_id.number", string="Version")
    case_count = fields.Integer(compute="_compute_case_count", string="Cases Now")
    error = fields.Text(
        readonly=True,
        copy=False,
        help="Why the last daily run could not evaluate the strategy (it was skipped); cleared when it works again.",
    )

    def _compute_case_count(self):
        counts = dict(
            self.env["collection.case"]._read_group(
                [("strategy_id", "in", self.ids), ("state", "=", "open")], ["strategy_id"], ["__count"]
            )
        )
        for strategy in self:
            strategy.case_count = counts.get(strategy, 0)

    @api.constrains("domain")
    def _check_domain(self):
        for strategy in self:
            strategy._case_query()

    def _case_query(self):
        """The open cases of the strategy's segment and company, as a query;
        a ValidationError naming the problem when the domain is invalid."""
        self.ensure_one()
        try:
            domain = literal_eval(self.domain or "[]")
            if not isinstance(domain, list | tuple):
                raise ValueError(_("a domain is a list of conditions"))
            full = expression.AND([list(domain), [("state", "=", "open")]])
            if self.company_id:
                full = expression.AND([full, [("company_id", "=", self.company_id.id)]])
            return self.env["collection.case"].sudo().with_context(active_test=False)._search(full)
        except Exception as error:  # noqa: BLE001 - any fault of the domain is the user's to fix
            raise ValidationError(
                _("The cases of strategy %(strategy)s cannot be selected: %(error)s", strategy=self.name, error=error)
            ) from error

    @api.model_create_multi
    def create(self, vals_list):
        strategies = super().create(vals_list)
        strategies._sync_version()
        return strategies

    def write(self, vals):
        result = super().write(vals)
        if {"domain", "step_ids", "company_id"} & set(vals):
            self._sync_version()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        """A strategy that cases follow or followed keeps its history:
        archive it instead."""
        used = self.env["collection.case.step"].sudo().search_count([("strategy_id", "in", self.ids)], limit=1)
        used = used or self.env["collection.case"].sudo().search_count([("strategy_id", "in", self.ids)], limit=1)
        if used:
            raise UserError(
                _("A strategy with a history of steps or cases following it cannot be deleted: archive it.")
            )

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        return [
            dict(vals, name=self.env._("%s (copy)", strategy.name))
            for strategy, vals in zip(self, vals_list, strict=True)
        ]

    # ------------------------------------------------------------------
    # Versions
    # ------------------------------------------------------------------
    def _frozen(self):
        self.ensure_one()
        steps = []
        for step in self.step_ids.filtered("active"):
            data = {"id": step.id}
            for name in ladder.STEP_FIELDS:
                value = step[name]
                data[name] = value.id if isinstance(value, models.BaseModel) else value
            steps.append(data)
        return ladder.freeze(self.domain or "[]", steps)

    def _sync_version(self):
        """Freeze the rules and steps: a new version when they changed and
        the current one is in use (cases or a step history), else the
        current one follows the edit."""
        Version = self.env["collection.strategy.version"].sudo()
        for strategy in self:
            frozen = strategy._frozen()
            current = strategy.sudo().version_id
            if current and current.frozen == frozen:
                continue
            if current and not current._in_use():
                current.frozen = frozen
                continue
            version = Version.create(
                {"strategy_id": strategy.id, "number": (current.number or 0) + 1, "frozen": frozen}
            )
            strategy.sudo().write({"version_id": version.id})

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_view_cases(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action")
        action.update(
            {
                "domain": [("strategy_id", "=", self.id)],
                "context": {"search_default_open": 1},
                "name": _("Cases of %s", self.name),
            }
        )
        return action

    @api.model
    def action_run_now(self):
        """Run every strategy now (what the daily run does after the scores),
        then show the run's summary."""
        if not self.env.user.has_group("debt_collection.group_collection_manager"):
            raise AccessError(_("Only collection managers run the strategies by hand."))
        self.env["collection.case"].sudo()._refresh_aging()
        run = self.env["collection.case"].sudo()._run_strategies()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.strategy.run",
            "res_id": run.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_preview(self):
        """The open cases the segment selects now (before the next run)."""
        self.ensure_one()
        self.check_access("read")
        query = self._case_query()
        action = self.action_view_cases()
        action["domain"] = [("id", "in", query)]
        action["name"] = _("Cases matching %s", self.name)
        return action


class CollectionStrategyStep(models.Model):
    _name = "collection.strategy.step"
    _description = "Collection Strategy Step"
    _order = "days, sequence, id"

    strategy_id = fields.Many2one("collection.strategy", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="strategy_id.company_id")
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    days = fields.Integer(
        "Day",
        help="Days from the oldest unpaid due date when the step runs; negative: days before it (preventive).",
    )
    action = fields.Selection(ladder.ACTIONS, required=True, default="email")
    mode = fields.Selection(
        [("auto", "Automatic"), ("proposed", "Proposed")],
        required=True,
        default="auto",
        help="Automatic steps run in the daily run; proposed ones wait in Proposed Actions for the collector or a "
        "supervisor to confirm, postpone or skip.",
    )
    mail_template_id = fields.Many2one(
        "mail.template", string="E-mail Template", domain="[('model', '=', 'collection.case')]"
    )
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS Template", domain="[('model', '=', 'collection.case')]"
    )
    letter_level = fields.Selection(LETTER_LEVELS)
    stage_id = fields.Many2one("collection.stage", string="Move to Stage")
    team_id = fields.Many2one("collection.team", string="Queue of Team", domain="[('queue', '=', True)]")
    skip_dispute = fields.Boolean("Skip When Disputed", default=True, help="An open dispute covers what is overdue.")
    skip_promise = fields.Boolean("Skip During a Promise", default=True, help="A promise to pay is running.")
    skip_agreement = fields.Boolean(
        "Skip During an Agreement", default=True, help="An approved payment agreement is running."
    )
    skip_do_not_contact = fields.Boolean(
        "Skip Debtors Not to Contact",
        default=True,
        help="The debtor asked not to be contacted (messages, letters, calls and visits).",
    )

    _sql_constraints = [
        ("days_range", "CHECK(days BETWEEN -365 AND 3650)", "A step runs within a year before the due date."),
    ]

    @api.constrains("action", "mail_template_id", "sms_template_id", "letter_level", "stage_id", "team_id")
    def _check_action(self):
        needs = {
            "email": ("mail_template_id", _("an e-mail template")),
            "sms": ("sms_template_id", _("an SMS template")),
            "letter": ("letter_level", _("a letter level")),
            "stage": ("stage_id", _("a stage")),
            "queue": ("team_id", _("a team whose queue receives the cases")),
        }
        for step in self:
            if step.action in needs and not step[needs[step.action][0]]:
                raise ValidationError(_("Step %(step)s needs %(what)s.", step=step.name, what=needs[step.action][1]))

    @api.model_create_multi
    def create(self, vals_list):
        steps = super().create(vals_list)
        steps.strategy_id._sync_version()
        return steps

    def write(self, vals):
        strategies = self.strategy_id
        result = super().write(vals)
        (strategies | self.strategy_id)._sync_version()
        return result

    def unlink(self):
        """Steps with a history are archived, not deleted: the history keeps
        naming them."""
        strategies = self.strategy_id
        used = self.filtered(lambda step: step._has_history())
        used.write({"active": False})
        result = super(CollectionStrategyStep, self - used).unlink()
        strategies.exists()._sync_version()
        return result

    def _has_history(self):
        self.ensure_one()
        return bool(self.env["collection.case.step"].sudo().search_count([("step_id", "=", self.id)], limit=1))


class CollectionStrategyVersion(models.Model):
    _name = "collection.strategy.version"
    _description = "Collection Strategy Version"
    _order = "strategy_id, number desc"
    _rec_names_search = ["strategy_id"]

    strategy_id = fields.Many2one("collection.strategy", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="strategy_id.company_id")
    number = fields.Integer(required=True, readonly=True)
    frozen = fields.Text("Frozen Rules and Steps", readonly=True)
    domain = fields.Char(compute="_compute_frozen_parts")
    step_summary = fields.Text("Steps", compute="_compute_frozen_parts")

    _sql_constraints = [
        ("number_uniq", "unique(strategy_id, number)", "A strategy's versions are numbered once."),
    ]

    @api.depends("strategy_id.name", "number")
    def _compute_display_name(self):
        for version in self:
            version.display_name = _(
                "%(strategy)s v%(number)s", strategy=version.strategy_id.name, number=version.number
            )

    @api.depends("frozen")
    def _compute_frozen_parts(self):
        actions = dict(self.env["collection.strategy.step"]._fields["action"]._description_selection(self.env))
        modes = dict(self.env["collection.strategy.step"]._fields["mode"]._description_selection(self.env))
        for version in self:
            domain, steps = ladder.thaw(version.frozen)
            version.domain = domain
            lines = []
            for step in steps:
                lines.append(
                    _("Day %(day)s: %(action)s (%(mode)s)", day=step["days"], action=actions.get(step["action"]),
                      mode=modes.get(step["mode"]))
                )  # fmt: skip
            version.step_summary = "\n".join(lines)

    def _in_use(self):
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT EXISTS(SELECT 1 FROM collection_case WHERE strategy_version_id = %s)"
                " OR EXISTS(SELECT 1 FROM collection_case_step WHERE version_id = %s)",
                self.id,
                self.id,
            )
        )
        return self.env.cr.fetchone()[0]
