"""The managers' report dialog: a period, portfolios, teams and collectors,
then the portfolio summary or the collector effectiveness as a PDF or an
XLSX file."""

import base64

from dateutil.relativedelta import relativedelta

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError

from ..tools import xlsx

REPORTS = [("portfolio_summary", "Portfolio Summary"), ("effectiveness", "Collector Effectiveness")]
REPORT_ACTIONS = {
    "portfolio_summary": "debt_collection.action_report_collection_portfolio_summary",
    "effectiveness": "debt_collection.action_report_collection_effectiveness",
}


class CollectionReportWizard(models.TransientModel):
    """Choose what the report covers. The figures come from
    ``collection.report`` and hold only what the user may read: the
    portfolio summary is for supervisors (their teams' cases) and managers;
    a collector may print their own effectiveness line."""

    _name = "collection.report.wizard"
    _description = "Collection Report"

    report = fields.Selection(REPORTS, required=True, default="portfolio_summary")
    date_from = fields.Date("From", required=True, default=lambda self: self._default_date_from())
    date_to = fields.Date("To", required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    portfolio_ids = fields.Many2many(
        "collection.portfolio", string="Portfolios", domain="[('company_id', '=', company_id)]"
    )
    team_ids = fields.Many2many("collection.team", string="Teams", domain="[('company_id', '=', company_id)]")
    user_ids = fields.Many2many("res.users", string="Collectors")
    file = fields.Binary(readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    def _default_date_from(self):
        return fields.Date.context_today(self).replace(day=1)

    @api.onchange("date_to")
    def _onchange_date_to(self):
        if self.date_to and self.date_from and self.date_from > self.date_to:
            self.date_from = self.date_to - relativedelta(months=1)

    def _filters(self):
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(_("The period ends before it starts."))
        supervisor = self.env.user.has_group("debt_collection.group_collection_supervisor")
        if self.report == "portfolio_summary" and not supervisor:
            raise AccessError(_("The portfolio summary is for supervisors and managers."))
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "company_ids": self.company_id.ids,
            "portfolio_ids": self.portfolio_ids.ids,
            "team_ids": self.team_ids.ids,
            "user_ids": self.user_ids.ids if supervisor else [self.env.uid],
        }

    def _report_data(self):
        """What the PDF and the XLSX print."""
        self.ensure_one()
        Report = self.env["collection.report"]
        filters = self._filters()
        data = {"wizard": self, "currency": self.company_id.currency_id, "buckets": Report._bucket_labels()}
        if self.report == "portfolio_summary":
            lines = Report._portfolio_summary(filters)
            stage_ids = sorted({stage for line in lines for stage in line["by_stage"]}, key=lambda s: (s is None, s))
            stages = self.env["collection.stage"].sudo().browse([s for s in stage_ids if s])
            data.update(
                lines=lines,
                stages=stages.sorted(lambda s: (s.sequence, s.id)),
                has_no_stage=None in stage_ids,
                close_reasons=self.env["collection.case"]._fields["close_reason"]._description_selection(self.env),
            )
        else:
            collectors, teams = Report._effectiveness(filters)
            data.update(collectors=collectors, teams=teams)
        return data

    def action_print(self):
        self.ensure_one()
        self._filters()
        return self.env.ref(REPORT_ACTIONS[self.report]).report_action(self)

    def action_export_xlsx(self):
        self.ensure_one()
        data = self._report_data()
        sheets = (
            self._portfolio_sheets(data) if self.report == "portfolio_summary" else self._effectiveness_sheets(data)
        )
        label = dict(self._fields["report"]._description_selection(self.env))[self.report]
        name = f"{label} {self.date_from} {self.date_to}.xlsx".replace(" ", "_")
        self.write({"file": base64.b64encode(xlsx.workbook(sheets)), "file_name": name})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file/{name}?download=true",
            "target": "self",
        }

    def _portfolio_sheets(self, data):
        reasons = data["close_reasons"]
        headers = [
            _("Portfolio"),
            _("Currency"),
            _("Open Cases"),
            _("Closed in the Period"),
            *[self.env._("Closed: %s", label) for _key, label in reasons],
            _("Debt Assigned"),
            _("Open Balance"),
            _("Collected in the Period"),
            _("Collected in the Period (%s)", data["currency"].name),
            _("Collected to Date"),
            _("Recovery Rate (%)"),
            _("Promises Taken"),
            _("Amount Promised (%s)", data["currency"].name),
            _("Promises Judged"),
            _("Promises Kept"),
            _("Kept Rate (%)"),
            _("Agreements Running"),
            _("Agreements Broken"),
            _("Agreements Made in the Period"),
        ]
        rows = []
        for line in data["lines"]:
            rows.append(
                [
                    line["portfolio"].name,
                    line["currency"].name,
                    line["open_count"],
                    line["closed_count"],
                    *[line["closed"].get(key, 0) for key, _label in reasons],
                    line["assigned"],
                    line["balance"],
                    line["collected"],
                    line["collected_company"],
                    line["collected_to_date"],
                    line["recovery_rate"],
                    line["promise_count"],
                    line["promise_amount_company"],
                    line["promise_judged"],
                    line["promise_kept"],
                    line["kept_rate"],
                    line["agreement_running"],
                    line["agreement_broken"],
                    line["agreement_new"],
                ]
            )
        balance_headers = [
            _("Portfolio"),
            *[label for _key, label in data["buckets"]],
            *[stage.name for stage in data["stages"]],
        ]
        balance_rows = [
            [
                line["portfolio"].name,
                *[line["by_bucket"].get(key, 0.0) for key, _label in data["buckets"]],
                *[line["by_stage"].get(stage.id, 0.0) for stage in data["stages"]],
            ]
            for line in data["lines"]
        ]
        return [
            (_("Portfolios"), headers, rows),
            (_("Balance (%s)", data["currency"].name), balance_headers, balance_rows),
        ]

    def _effectiveness_sheets(self, data):
        headers = [
            _("Contacts Attempted"),
            _("Right-Party Contacts"),
            _("Right-Party Contact Rate (%)"),
            _("Promises Taken"),
            _("Amount Promised (%s)", data["currency"].name),
            _("Promises Judged"),
            _("Promises Kept"),
            _("Kept Rate (%)"),
            _("Payments Registered"),
            _("Collected (%s)", data["currency"].name),
            _("Cases Closed Paid"),
            _("Average Days to Collect"),
        ]

        def figures(line):
            return [
                line["attempts"],
                line["rpc"],
                line["rpc_rate"],
                line["promises"],
                line["promised"],
                line["judged"],
                line["kept"],
                line["kept_rate"],
                line["payments"],
                line["collected"],
                line["closed_paid"],
                line["avg_days_to_collect"],
            ]

        sheets = [
            (
                _("Collectors"),
                [_("Collector"), *headers],
                [[line["user"].name, *figures(line)] for line in data["collectors"]],
            )
        ]
        if data["teams"]:
            sheets.append(
                (_("Teams"), [_("Team"), *headers], [[line["team"].name, *figures(line)] for line in data["teams"]])
            )
        return sheets


class ReportCollectionPortfolioSummary(models.AbstractModel):
    """Values of the portfolio summary PDF (and of the effectiveness PDF,
    which inherits it)."""

    _name = "report.debt_collection.report_collection_portfolio_summary"
    _description = "Collection Portfolio Summary Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        wizards = self.env["collection.report.wizard"].browse(docids)
        return {"docs": wizards, "report_data": {wizard.id: wizard._report_data() for wizard in wizards}}


class ReportCollectionEffectiveness(models.AbstractModel):
    _name = "report.debt_collection.report_collection_effectiveness"
    _inherit = "report.debt_collection.report_collection_portfolio_summary"
    _description = "Collection Effectiveness Report"
