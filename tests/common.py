import subprocess
import tempfile
from contextlib import contextmanager
from datetime import timedelta

from odoo import Command
from odoo import fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class CollectionCommon(AccountTestInvoicingCommon):
    """A small collections world: one company with an internal and an external
    portfolio, two collectors in a team led by a supervisor, a manager, an
    auditor, an accountant, and helpers to build cases and invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.company = cls.env.company
        # the accounting test user also manages collections; roles are tested with with_user()
        cls.env.user.groups_id += cls.env.ref("debt_collection.group_collection_manager")
        cls.today = fields.Date.context_today(cls.env.user)
        ctx = {"no_reset_password": True}
        company_args = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.collector_a = new_test_user(
            cls.env,
            "dc_collector_a",
            "debt_collection.group_collection_user",
            ctx,
            name="Ana Collector",
            **company_args,
        )
        cls.collector_b = new_test_user(
            cls.env,
            "dc_collector_b",
            "debt_collection.group_collection_user",
            ctx,
            name="Boris Collector",
            **company_args,
        )
        cls.supervisor = new_test_user(
            cls.env,
            "dc_supervisor",
            "debt_collection.group_collection_supervisor",
            ctx,
            name="Sofia Supervisor",
            **company_args,
        )
        cls.supervisor_other = new_test_user(
            cls.env,
            "dc_supervisor_2",
            "debt_collection.group_collection_supervisor",
            ctx,
            name="Other Supervisor",
            **company_args,
        )
        cls.manager = new_test_user(
            cls.env, "dc_manager", "debt_collection.group_collection_manager", ctx, name="Mario Manager", **company_args
        )
        cls.auditor = new_test_user(
            cls.env, "dc_auditor", "debt_collection.group_collection_auditor", ctx, name="Aud Itor", **company_args
        )
        cls.accountant = new_test_user(
            cls.env, "dc_accountant", "account.group_account_invoice", ctx, name="Acc Ountant", **company_args
        )
        cls.team = cls.env["collection.team"].create(
            {
                "name": "Team One",
                "company_id": cls.company.id,
                "supervisor_id": cls.supervisor.id,
                "member_ids": [
                    Command.create({"user_id": cls.collector_a.id, "daily_capacity": 30}),
                    Command.create(
                        {"user_id": cls.collector_b.id, "daily_capacity": 30, "substitute_id": cls.collector_a.id}
                    ),
                ],
            }
        )
        cls.member_b = cls.team.member_ids.filtered(lambda m: m.user_id == cls.collector_b)
        cls.stage_preventive = cls.env.ref("debt_collection.collection_stage_preventive")
        cls.stage_current = cls.env.ref("debt_collection.collection_stage_current")
        cls.stage_delinquent = cls.env.ref("debt_collection.collection_stage_delinquent")
        cls.stage_prelegal = cls.env.ref("debt_collection.collection_stage_prelegal")
        cls.stage_closed = cls.env.ref("debt_collection.collection_stage_closed")
        cls.creditor = cls.env["res.partner"].create({"name": "Banco Andino S.A.", "is_company": True})
        cls.external = cls.env["collection.portfolio"].create(
            {
                "name": "Banco Andino - March",
                "kind": "external",
                "creditor_id": cls.creditor.id,
                "company_id": cls.company.id,
                "currency_id": cls.company.currency_id.id,
                "team_id": cls.team.id,
                "state": "active",
            }
        )
        cls.internal = cls.env["collection.portfolio"].create(
            {
                "name": "Own invoices",
                "kind": "internal",
                "company_id": cls.company.id,
                "currency_id": cls.company.currency_id.id,
                "team_id": cls.team.id,
                "state": "active",
            }
        )
        cls.pay_term_3 = cls.env["account.payment.term"].create(
            {
                "name": "30/60/90",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 30, "nb_days": 30}),
                    Command.create({"value": "percent", "value_amount": 30, "nb_days": 60}),
                    Command.create({"value": "percent", "value_amount": 40, "nb_days": 90}),
                ],
            }
        )

    @contextmanager
    def assertRefused(self, exception, text):
        """Like ``assertRaises`` (which rolls the failed operation back,
        unlike unittest's ``assertRaisesRegex``), and the message says
        ``text``."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(text, str(caught.exception))

    @classmethod
    def _new_user(cls, login, group, name):
        """A user of the test company with one collections group."""
        return new_test_user(
            cls.env,
            login,
            f"debt_collection.{group}",
            {"no_reset_password": True},
            name=name,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _debtor(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, **vals})

    @classmethod
    def _case(cls, partner, collector=None, installments=((-45, 100.0),), portfolio=None, **vals):
        """An external case with installments given as (days from today, amount)."""
        portfolio = portfolio or cls.external
        return cls.env["collection.case"].create(
            {
                "portfolio_id": portfolio.id,
                "partner_id": partner.id,
                "user_id": collector.id if collector else False,
                "team_id": portfolio.team_id.id,
                "installment_ids": [
                    Command.create(
                        {
                            "name": f"Installment {index + 1}",
                            "sequence": index + 1,
                            "date_due": cls.today + timedelta(days=days),
                            "amount": amount,
                        }
                    )
                    for index, (days, amount) in enumerate(installments)
                ],
                **vals,
            }
        )

    @classmethod
    def _invoice(cls, partner, amount, days_ago, payment_term=None):
        """A posted customer invoice dated ``days_ago`` days ago, without taxes,
        due that day unless a payment term is given."""
        invoice_date = cls.today - timedelta(days=days_ago)
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_payment_term_id": payment_term.id if payment_term else False,
                "invoice_date_due": False if payment_term else invoice_date,
                "invoice_line_ids": [
                    Command.create({"name": "Services", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _pay(self, invoice, amount, days_ago=0):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": self.today - timedelta(days=days_ago)})
            ._create_payments()
        )


def pdf_text(raw):
    """The text of a PDF, read back with pdftotext, whitespace collapsed."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(raw)
        pdf.flush()
        out = subprocess.run(["pdftotext", pdf.name, "-"], capture_output=True, check=True, text=True).stdout
    return " ".join(out.split())
