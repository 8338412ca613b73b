from datetime import timedelta

from odoo import SUPERUSER_ID
from odoo import api
from odoo import fields
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import tagged
from odoo.tests.common import BaseCase
from odoo.tests.common import get_db_name


@tagged("post_install", "-at_install")
class TestPaymentConcurrency(BaseCase):
    """Two payments on the same installment in two concurrent transactions
    (two real cursors, committed data) never over-allocate: the second one
    is refused while the first holds the installment, and after the first
    commits, what is left to pay is what counts."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            portfolio = env["collection.portfolio"].create(
                {"name": "Concurrency portfolio", "kind": "external", "state": "active"}
            )
            debtor = env["res.partner"].create({"name": "Concurrent Debtor"})
            case = env["collection.case"].create(
                {
                    "portfolio_id": portfolio.id,
                    "partner_id": debtor.id,
                    "installment_ids": [
                        (
                            0,
                            0,
                            {
                                "name": "Only installment",
                                "date_due": fields.Date.today() - timedelta(days=10),
                                "amount": 100.0,
                            },
                        )
                    ],
                }
            )
            self.case_id, self.installment_id = case.id, case.installment_ids.id
            self.portfolio_id, self.debtor_id = portfolio.id, debtor.id
        self.addCleanup(self._remove_data)

    def _remove_data(self):
        """Committed test data goes away again (through SQL: payments and
        events refuse to be deleted through the ORM)."""
        with self.registry.cursor() as cr:
            payments = "SELECT id FROM collection_payment WHERE case_id = %(case)s"
            for query in (
                f"DELETE FROM mail_message WHERE model = 'collection.payment' AND res_id IN ({payments})",
                f"DELETE FROM mail_followers WHERE res_model = 'collection.payment' AND res_id IN ({payments})",
                "DELETE FROM collection_payment_line WHERE case_id = %(case)s",
                "DELETE FROM collection_payment WHERE case_id = %(case)s",
                "DELETE FROM collection_event WHERE case_id = %(case)s OR portfolio_id = %(portfolio)s",
                "DELETE FROM mail_message WHERE model = 'collection.case' AND res_id = %(case)s",
                "DELETE FROM mail_followers WHERE res_model = 'collection.case' AND res_id = %(case)s",
                "DELETE FROM mail_message WHERE model = 'collection.portfolio' AND res_id = %(portfolio)s",
                "DELETE FROM mail_followers WHERE res_model = 'collection.portfolio' AND res_id = %(portfolio)s",
                "DELETE FROM collection_installment WHERE case_id = %(case)s",
                "DELETE FROM collection_assignment WHERE case_id = %(case)s",
                "DELETE FROM collection_case WHERE id = %(case)s",
                "DELETE FROM collection_portfolio WHERE id = %(portfolio)s",
                "DELETE FROM res_partner WHERE id = %(debtor)s",
            ):
                cr.execute(query, {"case": self.case_id, "portfolio": self.portfolio_id, "debtor": self.debtor_id})

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _payment(self, env, amount):
        return env["collection.payment"].create({"case_id": self.case_id, "amount": amount, "method": "cash"})

    def test_two_transactions_never_over_allocate(self):
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            first = self._payment(self._env(cr1), 60.0)
            first.action_post()  # holds the installment until cr1 ends
            second = self._payment(self._env(cr2), 60.0)
            with self.assertRaises(UserError) as refused:
                second.action_post()
            self.assertIn("is being recorded on the case", str(refused.exception))
            cr2.rollback()
            cr1.commit()
        with self.registry.cursor() as cr3:
            env = self._env(cr3)
            retry = self._payment(env, 60.0)
            with self.assertRaises(UserError) as refused:
                retry.action_post()  # only 40 is left to pay
            self.assertIn("larger than the open balance", str(refused.exception))
            cr3.rollback()
            installment = env["collection.installment"].browse(self.installment_id)
            self.assertEqual((installment.amount_paid, installment.state), (60.0, "partial"))
            posted = env["collection.payment"].search([("case_id", "=", self.case_id), ("state", "=", "posted")])
            self.assertEqual(len(posted), 1)
            self.assertEqual(sum(posted.line_ids.mapped("amount")), 60.0)
