"""Day one for accountants: every company follows its overdue invoices from
the install (or from its creation) through an automatic internal portfolio,
without a manager having to create one; Settings turn it off and set the
days overdue before an invoice enters collection."""

import importlib.util
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests import new_test_user
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.misc import file_path

from odoo.addons.debt_collection import post_init_hook

from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestDayOne(CollectionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # sudo: the checks look at every company, whichever the test user may see
        cls.Portfolio = cls.env["collection.portfolio"].sudo().with_context(active_test=False)
        cls.day_one_data = cls.setup_other_company(name="Day One Trading")
        cls.day_one = cls.day_one_data["company"]
        cls.debtor = cls._debtor("Comercial Los Andes S.A.S.", is_company=True)
        cls.accountant_day_one = new_test_user(
            cls.env,
            "dayone_accountant",
            "account.group_account_invoice",
            {"no_reset_password": True},
            name="Day One Accountant",
            company_id=cls.day_one.id,
            company_ids=[Command.set(cls.day_one.ids)],
        )

    # ------------------------------------------------------------ helpers
    def _automatic(self, company):
        return self.Portfolio.search([("is_automatic", "=", True), ("company_id", "=", company.id)])

    def _active_internal(self, company):
        return self.Portfolio.search(
            [
                ("kind", "=", "internal"),
                ("state", "=", "active"),
                ("active", "=", True),
                ("company_id", "=", company.id),
            ]
        )

    def _invoice_in(self, company_data, amount, days_overdue):
        """A posted customer invoice of ``company_data``'s company, due
        ``days_overdue`` days ago."""
        company = company_data["company"]
        due = self.today - timedelta(days=days_overdue)
        invoice = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.debtor.id,
                    "journal_id": company_data["default_journal_sale"].id,
                    "invoice_date": due,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create({"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []})
                    ],
                }
            )
        )
        invoice.action_post()
        return invoice

    def _settings(self, company, **values):
        """Change the collections settings of ``company`` through the
        Settings form, as an administrator does."""
        with Form(self.env["res.config.settings"].with_company(company)) as settings:
            for name, value in values.items():
                setattr(settings, name, value)
        settings.save().execute()

    def _cron(self):
        self.env["collection.portfolio"]._cron_sync_invoices()

    # ------------------------------------------------------------ a new company
    def test_new_company_gets_its_active_internal_portfolio(self):
        portfolio = self._automatic(self.day_one)
        self.assertEqual(len(portfolio), 1)
        self.assertRecordValues(
            portfolio,
            [
                {
                    "name": "Day One Trading – Overdue invoices",
                    "kind": "internal",
                    "state": "active",
                    "active": True,
                    "company_id": self.day_one.id,
                    "currency_id": self.day_one.currency_id.id,
                    "creditor_id": self.day_one.partner_id.id,
                    "team_id": False,
                }
            ],
        )
        self.assertEqual(self._active_internal(self.day_one), portfolio)
        # each company's portfolio stays in that company: the main company's manager does not see it
        visible = self.env["collection.portfolio"].with_user(self.manager).search([("kind", "=", "internal")])
        self.assertNotIn(portfolio, visible)
        self.assertIn(self.internal, visible)
        # the copy of an automatic portfolio is an ordinary one; a second automatic one is refused
        copy = portfolio.copy({"state": "draft"})
        self.assertFalse(copy.is_automatic)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.Portfolio.create(
                {"name": "Another", "kind": "internal", "is_automatic": True, "company_id": self.day_one.id}
            )

    def test_overdue_invoice_is_followed_after_the_cron_and_shown_to_the_accountant(self):
        overdue = self._invoice_in(self.day_one_data, 500.0, 5)
        due_today = self._invoice_in(self.day_one_data, 80.0, 0)
        self.assertFalse(overdue.collection_case_id)
        self._cron()
        case = overdue.collection_case_id
        self.assertEqual(case.portfolio_id, self._automatic(self.day_one))
        self.assertEqual(case.partner_id, self.debtor)
        self.assertEqual(case.amount_residual, 500.0)
        self.assertFalse(case.team_id)
        self.assertFalse(due_today.collection_case_id, "due today is not yet one day overdue")
        values = overdue.with_user(self.accountant_day_one).web_read(
            {"collection_status": {}, "collection_case_name": {}}
        )[0]
        self.assertEqual(values["collection_status"], "in_collection")
        self.assertEqual(values["collection_case_name"], case.name)

    def test_days_overdue_before_collection(self):
        self._settings(self.day_one, collection_min_overdue_days=10)
        self.assertEqual(self.day_one.collection_min_overdue_days, 10)
        recent = self._invoice_in(self.day_one_data, 100.0, 9)
        old = self._invoice_in(self.day_one_data, 200.0, 10)
        self._cron()
        self.assertTrue(old.collection_case_id)
        self.assertFalse(recent.collection_case_id)
        self._settings(self.day_one, collection_min_overdue_days=3)
        self._cron()
        self.assertEqual(recent.collection_case_id, old.collection_case_id)

    # ------------------------------------------------------------ the setting
    def test_company_created_without_automatic_follow_gets_nothing(self):
        quiet = self.setup_other_company(name="Quiet Co", collection_auto_follow=False)
        self.assertFalse(self.Portfolio.search([("company_id", "=", quiet["company"].id)]))
        invoice = self._invoice_in(quiet, 300.0, 20)
        self._cron()
        self.assertFalse(invoice.collection_case_id)
        # turned on later in Settings: its portfolio is created and the next run follows the invoice
        self._settings(quiet["company"], collection_auto_follow=True)
        portfolio = self._automatic(quiet["company"])
        self.assertEqual(portfolio.state, "active")
        self._cron()
        self.assertEqual(invoice.collection_case_id.portfolio_id, portfolio)

    def test_turning_it_off_stops_the_daily_sync_and_deletes_nothing(self):
        portfolio = self._automatic(self.day_one)
        followed = self._invoice_in(self.day_one_data, 100.0, 30)
        self._cron()
        case = followed.collection_case_id
        self.assertTrue(case)
        self._settings(self.day_one, collection_auto_follow=False)
        self.assertFalse(self.day_one.collection_auto_follow)
        self.assertRecordValues(portfolio, [{"state": "active", "active": True}])
        self.assertEqual(case.state, "open")
        self.assertEqual(followed.collection_status, "in_collection")
        later = self._invoice_in(self.day_one_data, 40.0, 30)
        self._cron()
        self.assertFalse(later.collection_case_id, "the daily job skips the company")
        # the main company still follows automatically
        main_invoice = self._invoice(self._debtor("Main Debtor"), 60.0, 30)
        self._cron()
        self.assertEqual(main_invoice.collection_case_id.portfolio_id, self.internal)
        # by hand it still works
        portfolio.sudo(False).action_sync_invoices()
        self.assertEqual(later.collection_case_id, case)
        # off and on again: the same portfolio, no second one
        self._settings(self.day_one, collection_auto_follow=True)
        self.assertEqual(self._automatic(self.day_one), portfolio)

    def test_turned_on_again_reopens_the_automatic_portfolio(self):
        portfolio = self._automatic(self.day_one)
        portfolio.action_close()
        self.day_one.collection_auto_follow = False
        self.assertFalse(self._active_internal(self.day_one))
        self.day_one.collection_auto_follow = True
        self.assertEqual(self._automatic(self.day_one), portfolio)
        self.assertRecordValues(portfolio, [{"state": "active", "close_date": False}])

    # ------------------------------------------------------------ a manager's own portfolio
    def test_a_managers_internal_portfolio_replaces_the_empty_automatic_one(self):
        # the test company's automatic portfolio gave way to the common "Own invoices"
        retired = self._automatic(self.company)
        self.assertEqual(len(retired), 1)
        self.assertRecordValues(retired, [{"state": "closed", "active": False}])
        self.assertEqual(self._active_internal(self.company), self.internal)
        # once the automatic portfolio follows invoices, it stays and a second one is refused
        self._invoice_in(self.day_one_data, 100.0, 30)
        self._cron()
        automatic = self._automatic(self.day_one)
        self.assertTrue(automatic.case_ids)
        with self.assertRaises(ValidationError):
            self.Portfolio.create({"name": "Own", "kind": "internal", "state": "active", "company_id": self.day_one.id})
        self.assertTrue(automatic.active)

    def test_the_automatic_portfolio_follows_the_company_currency(self):
        """A chart of accounts installed after the company was created may
        change its currency: the still empty automatic portfolio follows."""
        company = self.setup_other_company(name="Euro Co")["company"]
        self.assertEqual(self._automatic(company).currency_id, company.currency_id)
        other = self.env.ref("base.USD" if company.currency_id.name == "EUR" else "base.EUR")
        other.active = True
        company.currency_id = other
        self.assertEqual(self._automatic(company).currency_id, other)

    # ------------------------------------------------------------ install
    def test_install_leaves_one_active_internal_portfolio_per_company(self):
        companies = self.env["res.company"].search([])
        for company in companies.filtered("collection_auto_follow"):
            self.assertEqual(len(self._active_internal(company)), 1, company.name)
            self.assertLessEqual(len(self._automatic(company)), 1, company.name)
        demo = self.env.ref("debt_collection.collection_portfolio_demo_internal", raise_if_not_found=False)
        main = self.env.ref("base.main_company")
        if demo:
            self.assertFalse(self._automatic(main), "the demo's internal portfolio is kept, no duplicate")
        else:
            self.assertTrue(self._automatic(main).active)
        # the install hook on companies without a portfolio: one each, and only once
        fresh = self.env["res.company"].create(
            [{"name": "Hook A", "collection_auto_follow": False}, {"name": "Hook B", "collection_auto_follow": False}]
        )
        self.env.cr.execute("UPDATE res_company SET collection_auto_follow = TRUE WHERE id IN %s", [tuple(fresh.ids)])
        fresh.invalidate_recordset(["collection_auto_follow"])
        count = self.Portfolio.search_count([])
        post_init_hook(self.env)
        self.assertEqual(self.Portfolio.search_count([]), count + 2)
        for company in fresh:
            self.assertEqual(self._active_internal(company), self._automatic(company))
        post_init_hook(self.env)
        self.assertEqual(self.Portfolio.search_count([]), count + 2)

    # ------------------------------------------------------------ upgrade
    def test_upgrade_gives_a_portfolio_to_companies_that_have_none(self):
        """A database upgraded from 18.0.1.2.0 has companies without any
        internal portfolio, or with only an archived one: the migration gives
        each the active automatic portfolio a new installation has."""
        path = file_path("debt_collection/migrations/18.0.1.3.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("dc_post_migrate_18_0_1_3_0", path)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)

        bare, archived = self.env["res.company"].create(
            [{"name": "Upgraded Bare", "collection_auto_follow": False}, {"name": "Upgraded Archived"}]
        )
        # what an older version left: one company with nothing, one whose only internal
        # portfolio a manager archived while it was still active
        self.env.cr.execute("UPDATE res_company SET collection_auto_follow = TRUE WHERE id = %s", [bare.id])
        bare.invalidate_recordset(["collection_auto_follow"])
        old = self._automatic(archived)
        old.write({"is_automatic": False, "name": "Old own receivables"})
        old.active = False
        self.assertFalse(self._active_internal(bare) | self._active_internal(archived))

        script.migrate(self.env.cr, "18.0.1.2.0")
        for company in bare | archived:
            automatic = self._automatic(company)
            self.assertEqual(self._active_internal(company), automatic, company.name)
        self.assertFalse(old.active, "the archived portfolio stays archived")
        # a fresh install runs no migration; running it twice adds nothing
        count = self.Portfolio.search_count([])
        script.migrate(self.env.cr, None)
        script.migrate(self.env.cr, "18.0.1.2.0")
        self.assertEqual(self.Portfolio.search_count([]), count)
