"""Configurable weighted rules of the priority score (see ``tools/scoring``):
the manager's rule set, read as pure rules for the case form's explanation
and as one SQL expression for the daily run."""

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

from ..tools import scoring


class CollectionScoreRule(models.Model):
    _name = "collection.score.rule"
    _description = "Collection Score Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty for a rule every company scores with; a company's own rules add to those."
    )
    fact = fields.Selection(
        [(code, label) for code, (label, _kind) in scoring.FACTS.items()],
        required=True,
        default="days_overdue",
        help="What of the case the rule reads.",
    )
    method = fields.Selection(
        [
            ("linear", "Linear between two values"),
            ("log", "Logarithmic up to a value"),
            ("per_unit", "Points per unit"),
            ("bands", "Bands"),
            ("flag", "When true"),
        ],
        required=True,
        default="linear",
    )
    weight = fields.Float(
        "Maximum Points",
        digits=(6, 2),
        help="Points of the rule at full strength; negative points lower the score.",
    )
    low = fields.Float("From", digits=(16, 2), help="Linear: the value that gives no points.")
    high = fields.Float("Up To", digits=(16, 2), help="Linear and logarithmic: the value that gives all the points.")
    unit_points = fields.Float("Points per Unit", digits=(6, 2))
    tag_id = fields.Many2one("res.partner.category", string="Debtor Tag", help="Debtor tag rule: the tag that counts.")
    band_ids = fields.One2many("collection.score.rule.band", "rule_id", string="Bands", copy=True)

    @api.constrains("fact", "method", "tag_id", "high", "low")
    def _check_method(self):
        for rule in self:
            kind = scoring.FACTS[rule.fact][1]
            if (kind == "flag") != (rule.method == "flag"):
                raise ValidationError(
                    _(
                        "Rule %(rule)s: a yes/no fact scores with the method 'When true', and only such a fact does.",
                        rule=rule.name,
                    )
                )
            if rule.fact == "debtor_tag" and not rule.tag_id:
                raise ValidationError(_("Rule %(rule)s: choose the debtor tag that counts.", rule=rule.name))
            if rule.method == "log" and rule.high <= 1:
                raise ValidationError(
                    _("Rule %(rule)s: a logarithmic rule needs a value above 1 for all its points.", rule=rule.name)
                )
            if rule.method == "linear" and rule.high < rule.low:
                raise ValidationError(_("Rule %(rule)s: 'Up To' must not be below 'From'.", rule=rule.name))

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules._rescore()
        return rules

    def write(self, vals):
        result = super().write(vals)
        self._rescore()
        return result

    def unlink(self):
        result = super().unlink()
        self.browse()._rescore()
        return result

    def _rescore(self):
        """Scores follow a rule change at once (one SQL statement over the
        open cases), not only at the next daily run."""
        if self.env.context.get("install_mode"):
            return  # module data: the upgrade's post-migration rescores once
        self.env["collection.case"]._refresh_aging()

    @api.model
    def _rules_of(self, company_ids):
        """{company id: [scoring.Rule, ...]} of the active rules each company
        scores with (shared rules, then its own, by sequence)."""
        rules = self.sudo().with_context(active_test=True).search([("company_id", "in", [False, *company_ids])])
        result = {}
        for company_id in company_ids:
            result[company_id] = [
                rule._as_rule() for rule in rules if not rule.company_id or rule.company_id.id == company_id
            ]
        return result

    def _as_rule(self):
        self.ensure_one()
        return scoring.Rule(
            key=self.id,
            name=self.name,
            fact=self.fact,
            method=self.method,
            weight=self.weight,
            low=self.low,
            high=self.high,
            unit_points=self.unit_points,
            tag_id=self.tag_id.id or 0,
            bands=tuple((band.value_from, band.points) for band in self.band_ids),
        )

    @api.model
    def _score_sql(self, exprs, company_expr, company_ids):
        """One SQL expression of every company's score (a CASE on
        ``company_expr`` when companies score with different rules)."""
        rules_of = self._rules_of(company_ids)
        by_text = {}
        for company_id, rules in rules_of.items():
            by_text.setdefault(scoring.score_sql(rules, exprs), []).append(company_id)
        if len(by_text) <= 1:
            return next(iter(by_text), scoring.score_sql([], exprs))
        whens = " ".join(
            f"WHEN {company_expr} IN ({', '.join(str(int(c)) for c in companies)}) THEN {text}"
            for text, companies in by_text.items()
        )
        return f"CASE {whens} ELSE 0 END"


class CollectionScoreRuleBand(models.Model):
    _name = "collection.score.rule.band"
    _description = "Collection Score Rule Band"
    _order = "value_from, id"

    rule_id = fields.Many2one("collection.score.rule", required=True, index=True, ondelete="cascade")
    value_from = fields.Float("From Value", digits=(16, 2), required=True)
    points = fields.Float(digits=(6, 2), required=True)

    @api.model_create_multi
    def create(self, vals_list):
        bands = super().create(vals_list)
        bands.rule_id._rescore()
        return bands

    def write(self, vals):
        result = super().write(vals)
        self.rule_id._rescore()
        return result
