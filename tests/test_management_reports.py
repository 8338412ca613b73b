import base64
import io
import json
import shutil
from datetime import date
from datetime import timedelta

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase
from odoo.tests import tagged

from ..tools import kpi
from .common import CollectionCommon
from .common import pdf_text


class ReportWorld(CollectionCommon):
    """A small world whose figures are computed by hand in the tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.period = (cls.today - timedelta(days=20), cls.today)
        cls.alpha = cls._case(cls._debtor("Alpha"), cls.collector_a, installments=((-45, 100.0), (-10, 200.0)))
        cls.beta = cls._case(cls._debtor("Beta"), cls.collector_b, installments=((-100, 300.0),))
        cls.gamma = cls._case(cls._debtor("Gamma"), cls.collector_a, installments=((10, 50.0),))
        cls.delta = cls._case(cls._debtor("Delta"), cls.collector_b, installments=((-5, 80.0),))
        cls.env["collection.case"]._refresh_aging()
        payment = cls.env["collection.payment"].create(
            {"case_id": cls.alpha.id, "amount": 120.0, "method": "cash", "user_id": cls.collector_a.id}
        )
        payment.action_post()
        old = cls.env["collection.payment"].create(
            {
                "case_id": cls.beta.id,
                "amount": 30.0,
                "method": "cash",
                "user_id": cls.collector_b.id,
                "date": cls.today - timedelta(days=60),
            }
        )
        old.action_post()
        cls.delta._close("returned")
        call = cls.env.ref("debt_collection.collection_channel_call")
        contacted = cls.env.ref("debt_collection.collection_result_contacted")
        no_answer = cls.env.ref("debt_collection.collection_result_no_answer")
        interactions = []
        for case, user, result in (
            (cls.alpha, cls.collector_a, contacted),
            (cls.alpha, cls.collector_a, no_answer),
            (cls.gamma, cls.collector_a, no_answer),
            (cls.gamma, cls.collector_a, contacted),
            (cls.beta, cls.collector_b, no_answer),
        ):
            interactions.append({"case_id": case.id, "user_id": user.id, "channel_id": call.id, "result_id": result.id})
        cls.env["collection.interaction"].create(interactions)
        cls.promise = cls.env["collection.promise"].create(
            {
                "case_id": cls.beta.id,
                "user_id": cls.collector_b.id,
                "amount": 75.0,
                "date_promise": cls.today + timedelta(days=3),
            }
        )

    def _wizard(self, user, report, **vals):
        return (
            self.env["collection.report.wizard"]
            .with_user(user)
            .create(
                {
                    "report": report,
                    "date_from": self.period[0],
                    "date_to": self.period[1],
                    "portfolio_ids": [Command.set(self.external.ids)],
                    **vals,
                }
            )
        )


@tagged("post_install", "-at_install")
class TestPortfolioSummary(ReportWorld):
    def test_figures_computed_by_hand(self):
        """Open cases, closed by reason, balance by bucket and stage,
        collected in the period and to date, recovery and kept rates."""
        data = self._wizard(self.supervisor, "portfolio_summary")._report_data()
        (line,) = data["lines"]
        self.assertEqual(line["portfolio"], self.external)
        self.assertEqual(line["open_count"], 3)
        self.assertEqual(line["closed"], {"returned": 1})
        # debt assigned: every case of the portfolio, the returned one included
        self.assertAlmostEqual(line["assigned"], 100 + 200 + 300 + 50 + 80)
        # open balance: alpha 300-120, beta 300-30, gamma 50
        self.assertAlmostEqual(line["balance"], 180 + 270 + 50)
        # alpha's payment paid the oldest installment (100) and 20 of the one 10 days overdue
        self.assertAlmostEqual(line["by_bucket"]["d001_030"], 180.0)
        self.assertAlmostEqual(line["by_bucket"]["d091_180"], 270.0)
        self.assertAlmostEqual(line["by_bucket"]["not_due"], 50.0)
        self.assertAlmostEqual(sum(line["by_stage"].values()), 500.0)
        # the payment of 60 days ago is outside the period but counts to date
        self.assertAlmostEqual(line["collected"], 120.0)
        self.assertAlmostEqual(line["collected_to_date"], 150.0)
        self.assertAlmostEqual(line["recovery_rate"], 150.0 / 730.0 * 100)
        self.assertEqual(line["promise_count"], 1)
        self.assertAlmostEqual(line["promise_amount_company"], 75.0)

    def test_supervisor_of_another_team_sees_nothing(self):
        data = self._wizard(self.supervisor_other, "portfolio_summary", portfolio_ids=False)._report_data()
        self.assertFalse([line for line in data["lines"] if line["portfolio"] == self.external])

    def test_collector_may_not_print_it(self):
        wizard = self._wizard(self.collector_a, "portfolio_summary", portfolio_ids=False)
        with self.assertRefused(AccessError, "supervisors and managers"):
            wizard._report_data()

    def test_xlsx_keeps_text_as_text(self):
        """A portfolio named like a formula stays text in the file; the
        figures are numbers."""
        self.external.name = '=HYPERLINK("http://evil","x")'
        wizard = self._wizard(self.manager, "portfolio_summary")
        action = wizard.action_export_xlsx()
        self.assertIn("download=true", action["url"])
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file)))
        sheet = book.worksheets[0]
        self.assertEqual(sheet.cell(2, 1).value, self.external.name)
        self.assertEqual(sheet.cell(2, 1).data_type, "s")
        headers = [cell.value for cell in sheet[1]]
        self.assertEqual(sheet.cell(2, headers.index("Open Cases") + 1).value, 3)
        self.assertAlmostEqual(sheet.cell(2, headers.index("Collected in the Period") + 1).value, 120.0)


@tagged("post_install", "-at_install")
class TestCollectorEffectiveness(ReportWorld):
    def test_supervisor_sees_every_collector_and_the_team(self):
        data = self._wizard(self.supervisor, "effectiveness")._report_data()
        lines = {line["user"]: line for line in data["collectors"]}
        a, b = lines[self.collector_a], lines[self.collector_b]
        self.assertEqual((a["attempts"], a["rpc"]), (4, 2))
        self.assertAlmostEqual(a["rpc_rate"], 50.0)
        self.assertEqual((a["payments"], a["collected"]), (1, 120.0))
        self.assertEqual((b["attempts"], b["rpc"], b["promises"]), (1, 0, 1))
        self.assertAlmostEqual(b["promised"], 75.0)
        # the payment of 60 days ago is outside the period
        self.assertEqual(b["payments"], 0)
        (team,) = data["teams"]
        self.assertEqual(team["team"], self.team)
        self.assertEqual((team["attempts"], team["rpc"], team["payments"]), (5, 2, 1))

    def test_collector_sees_only_their_own_line(self):
        data = self._wizard(
            self.collector_b, "effectiveness", user_ids=[Command.set(self.collector_a.ids)]
        )._report_data()
        self.assertEqual([line["user"] for line in data["collectors"]], [self.collector_b])
        self.assertEqual(data["teams"], [])

    def test_cases_closed_paid_and_days_to_collect(self):
        self.gamma.installment_ids.date_due = self.today - timedelta(days=1)
        payment = self.env["collection.payment"].create(
            {"case_id": self.gamma.id, "amount": 50.0, "method": "cash", "user_id": self.collector_a.id}
        )
        payment.action_post()
        self.assertEqual(self.gamma.close_reason, "paid")
        data = self._wizard(self.supervisor, "effectiveness")._report_data()
        line = next(line for line in data["collectors"] if line["user"] == self.collector_a)
        self.assertEqual(line["closed_paid"], 1)
        self.assertEqual(line["avg_days_to_collect"], (self.gamma.date_closed - self.gamma.create_date.date()).days)


@tagged("post_install", "-at_install")
class TestManagementPdf(ReportWorld, HttpCase):
    """The PDFs as managers print them, read back with pdftotext."""

    def test_portfolio_summary_and_effectiveness_pdf(self):
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is needed to read the reports back")
        Report = self.env["ir.actions.report"].with_user(self.manager).with_context(force_report_rendering=True)
        wizard = self._wizard(self.manager, "portfolio_summary")
        pdf, _kind = Report._render_qweb_pdf("debt_collection.action_report_collection_portfolio_summary", wizard.ids)
        text = pdf_text(pdf)
        self.assertIn("Portfolio Summary", text)
        self.assertIn(self.external.name, text)
        self.assertIn("Recovery rate", text)
        self.assertIn("20.5 %", text)  # 150 / 730
        wizard = self._wizard(self.manager, "effectiveness")
        pdf, _kind = Report._render_qweb_pdf("debt_collection.action_report_collection_effectiveness", wizard.ids)
        text = pdf_text(pdf)
        self.assertIn("Collector Effectiveness", text)
        self.assertIn(self.collector_a.name, text)
        self.assertIn("50.0 %", text)


@tagged("post_install", "-at_install")
class TestKpiMonth(CollectionCommon):
    """Month-end snapshots, KPIs and roll rates over two months, computed by
    hand (see the docstring of each figure)."""

    def _placed(self, case, day):
        self.env.flush_all()
        self.env.cr.execute("UPDATE collection_installment SET create_date = %s WHERE case_id = %s", (day, case.id))

    def _take(self, day):
        with freeze_time(day):
            Case = self.env["collection.case"]
            Case._refresh_aging()
            Case._refresh_company_rates()
            self.env["collection.case.snapshot"]._take(day)

    def test_dso_cei_and_roll_rates(self):
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 0.5), ("2026-11-05", 0.4)])
        euro_portfolio = self.env["collection.portfolio"].create(
            {
                "name": "Euro creditor",
                "kind": "external",
                "company_id": self.company.id,
                "currency_id": eur.id,
                "team_id": self.team.id,
                "state": "active",
            }
        )
        with freeze_time("2026-10-01"):
            one = self._case(self._debtor("One"), self.collector_a, installments=((15, 1000.0),))
            two = self._case(self._debtor("Two"), self.collector_a, installments=((20, 500.0),))
            three = self._case(self._debtor("Three"), self.collector_a, installments=((75, 400.0),))
            euro = self._case(
                self._debtor("Euro"), self.collector_b, installments=((20, 100.0),), portfolio=euro_portfolio
            )
        for case, due in ((one, "2026-10-16"), (two, "2026-10-21"), (three, "2026-12-15"), (euro, "2026-10-21")):
            case.installment_ids.date_due = due
        # new debt: 1 500 in September, 400 in November
        self._placed(one, "2026-09-10")
        self._placed(two, "2026-09-20")
        self._placed(three, "2026-11-03")
        self._placed(euro, "2026-09-20")
        self._take(date(2026, 10, 31))
        with freeze_time("2026-11-10"):
            for case, amount, user in ((two, 500.0, self.collector_a), (euro, 100.0, self.collector_b)):
                payment = self.env["collection.payment"].create(
                    {"case_id": case.id, "amount": amount, "method": "transfer", "user_id": user.id}
                )
                payment.action_post()
        self.assertEqual(two.state, "closed")
        self._take(date(2026, 11, 30))

        Kpi = self.env["collection.kpi.month"]
        november = [("month", "=", "2026-11-01")]
        [(dso, best, add, cei, ar_begin, ar_end, placed)] = Kpi._read_group(
            [*november, ("portfolio_id", "=", self.external.id)],
            [],
            ["dso:avg", "best_dso:avg", "add_days:avg", "cei:avg", "ar_begin:sum", "ar_end:sum", "placed:sum"],
        )
        self.assertEqual((ar_begin, ar_end, placed), (1900.0, 1400.0, 400.0))
        # count-back: 1 400 owed; November's 400 (30 days), October's 0 (31 days), then 1 000 of September's
        # 1 500 (2/3 of 30 days): 30 + 31 + 20 = 81 days; the 400 not due yet are November's sales: 30 days
        self.assertEqual((dso, best, add), (81.0, 30.0, 51.0))
        # CEI: (1 900 + 400 - 1 400) / (1 900 + 400 - 400) = 47.4 %
        self.assertEqual(cei, 47.4)
        self.assertEqual(cei, kpi.rounded(kpi.cei(1900, 400, 1400, 400)))
        # the euro payment converted at the payment date's rate (1 EUR = 2.5), not October's (1 EUR = 2)
        [(collected,)] = Kpi._read_group([*november, ("portfolio_id", "=", euro_portfolio.id)], [], ["collected:sum"])
        self.assertEqual(collected, 250.0)
        [(collected, payments)] = Kpi._read_group(
            [*november, ("user_id", "=", self.collector_a.id)], [], ["collected:sum", "payment_count:sum"]
        )
        self.assertEqual((collected, payments), (500.0, 1))

        Roll = self.env["collection.kpi.roll"]
        rolls = {
            bucket: (roll, cure, amount)
            for bucket, roll, cure, amount in Roll._read_group(
                [*november, ("portfolio_id", "=", self.external.id)],
                ["bucket_from"],
                ["roll_rate:avg", "cure_rate:avg", "amount:sum"],
            )
        }
        # 1-30 days at the end of October: one (1 000) rolled to 31-60, two (500) was paid
        self.assertEqual(rolls["d001_030"], (66.7, 33.3, 1500.0))
        self.assertEqual(rolls["not_due"], (0.0, 0.0, 400.0))

        # the same day's run again changes nothing; a collector reads only their own lines
        self._take(date(2026, 11, 30))
        self.assertEqual(Kpi.search_count(november), Kpi.search_count(november))
        mine = Kpi.with_user(self.collector_b).search(november)
        self.assertTrue(mine)
        self.assertEqual(mine.user_id, self.collector_b)
        with self.assertRaises(AccessError):
            Roll.with_user(self.collector_a).search([])

    def test_pivot_query_count(self):
        """The KPI pivot costs the same queries whatever the data."""
        self._case(self._debtor("One"), self.collector_a)
        self.env["collection.case.snapshot"]._take()
        Kpi = self.env["collection.kpi.month"].with_user(self.manager)
        Kpi.read_group([], ["dso:avg", "cei:avg", "kept_rate:avg"], ["portfolio_id"])
        with self.assertQueryCount(2):
            Kpi.read_group([], ["dso:avg", "cei:avg", "kept_rate:avg", "ar_end:sum"], ["portfolio_id"])


@tagged("post_install", "-at_install")
class TestCollectionsDashboard(ReportWorld, HttpCase):
    """The Collections spreadsheet dashboard: every pivot and chart it holds
    asks the KPI models for fields and measures that exist and answer, as a
    supervisor; and it opens in the browser."""

    def _dashboard_data(self):
        dashboard = self.env.ref("debt_collection.spreadsheet_dashboard_collections")
        return dashboard, json.loads(base64.b64decode(dashboard.spreadsheet_binary_data))

    def test_every_pivot_and_chart_answers(self):
        # last month's snapshot of alpha, so that roll rates have a month to roll from
        self.env["collection.case.snapshot"].sudo().create(
            {
                "month": (self.today.replace(day=1) - timedelta(days=1)).replace(day=1),
                "case_id": self.alpha.id,
                "company_id": self.company.id,
                "portfolio_id": self.external.id,
                "team_id": self.team.id,
                "user_id": self.collector_a.id,
                "state": "open",
                "aging_bucket": "d001_030",
                "amount_residual_company": 300.0,
            }
        )
        self.env["collection.case.snapshot"]._take()
        dashboard, data = self._dashboard_data()
        self.assertIn(self.env.ref("debt_collection.group_collection_supervisor"), dashboard.group_ids)
        asked = []
        for pivot in data["pivots"].values():
            # the read_group the spreadsheet makes: measures named "<field>_<aggregator>_id:<aggregator>(<field>)"
            specs = {
                f"{m['fieldName']}_{m['aggregator']}_id": f"{m['fieldName']}_{m['aggregator']}_id:{m['aggregator']}"
                f"({m['fieldName']})"
                for m in pivot["measures"]
            }
            asked.append((pivot["model"], specs, [r["fieldName"] for r in pivot["rows"]]))
        for sheet in data["sheets"]:
            for figure in sheet["figures"]:
                meta = figure["data"].get("metaData")
                if meta:
                    field = self.env[meta["resModel"]]._fields[meta["measure"]]
                    asked.append(
                        (meta["resModel"], {meta["measure"]: f"{meta['measure']}:{field.aggregator}"}, meta["groupBy"])
                    )
        self.assertGreaterEqual(len(asked), 8)
        for model_name, specs, groupby in asked:
            Model = self.env[model_name].with_user(self.supervisor)
            groups = Model.read_group([], list(specs.values()), groupby, lazy=False)
            self.assertTrue(groups, f"{model_name} by {groupby} has data")
            for key in specs:
                self.assertIn(key, groups[0], f"{model_name}: {key} is answered")
            ratios = [key for key in specs if key.split("_")[0] in ("dso", "cei", "kept", "rpc", "roll", "cure")]
            self.assertTrue(all(groups[0][key] is not None for key in ratios if key.startswith(("dso", "cei"))))
        # the formulas of the scorecards point at measures of the first pivot
        formulas = [cell["content"] for cell in data["sheets"][1]["cells"].values() if "PIVOT.VALUE" in cell["content"]]
        pivot_measures = {m["fieldName"] for m in data["pivots"]["1"]["measures"]}
        for formula in formulas:
            self.assertIn(formula.split('"')[1], pivot_measures)

    def test_dashboard_opens_in_the_browser(self):
        self.env["collection.case.snapshot"]._take()
        self.start_tour(
            "/odoo/action-debt_collection.collection_dashboard_action",
            "debt_collection_dashboard",
            login=self.supervisor.login,
        )
