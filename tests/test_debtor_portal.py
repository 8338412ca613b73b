import re
from datetime import timedelta

from odoo import Command
from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase
from odoo.tests import new_test_user
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from ..models.collection_portfolio_portal import MAX_FAILURES
from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestDebtorPortal(CollectionCommon, HttpCase):
    """The debtor's self-service over HTTP: two debtors, signed links, and
    every form a debtor can send (tampered ones included)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.external.write(
            {
                "portal_promise_max_days": 15,
                "portal_promise_min_percent": 30.0,
                "relief_max_installments": 6,
                "relief_min_down_percent": 10.0,
                "relief_grace_days": 30,
                "relief_band_ids": [
                    Command.create({"max_installments": 1, "condonation_percent": 20.0}),
                    Command.create({"max_installments": 3, "condonation_percent": 5.0}),
                ],
            }
        )
        cls.env.ref("debt_collection.collection_agreement_level_collector").portal_self_approval = True
        cls.carla = cls._debtor("Carla Deudora", email="carla@example.com", lang="en_US")
        cls.diego = cls._debtor("Diego Deudor", email="diego@example.com")
        cls.case_carla = cls._case(cls.carla, cls.collector_a, installments=((-60, 300.0), (-30, 200.0), (10, 100.0)))
        cls.case_diego = cls._case(cls.diego, cls.collector_b, installments=((-40, 999.0),))
        cls.link = cls.env["collection.portal.link"]._new_link(cls.carla)

    def _open(self, link=None):
        link = link or self.link
        return self.url_open(f"/collection/debts/t/{link.sudo().token}")

    def _csrf(self, html):
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def _page(self, case=None, **params):
        query = "&".join(f"{key}={value}" for key, value in params.items())
        return self.url_open(f"/collection/debts/{(case or self.case_carla).id}" + (f"?{query}" if query else ""))

    def _post(self, route, data, files=None):
        page = self._page()
        self.assertEqual(page.status_code, 200)
        return self.url_open(
            f"/collection/debts/{self.case_carla.id}/{route}",
            data={"csrf_token": self._csrf(page.text), **data},
            files=files,
        )

    def _events(self):
        return (
            self.env["collection.event"]
            .sudo()
            .search([("case_id", "=", self.case_carla.id), ("event_type", "=", "portal")])
        )

    def test_a_link_opens_its_debtor_only(self):
        response = self._open()
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.case_carla.name, response.text)
        self.assertNotIn(self.case_diego.name, response.text)
        self.assertIn("Diego", self.case_diego.partner_id.name)
        self.assertNotIn("Diego Deudor", response.text)
        # another debtor's case, by a tampered id: not found, as a case that does not exist
        self.assertEqual(self._page(self.case_diego).status_code, 404)
        self.assertEqual(self.url_open(f"/collection/debts/{self.case_diego.id}/statement").status_code, 404)
        page = self._page()
        self.assertEqual(page.status_code, 200)
        self.assertIn("Installment 1", page.text)
        # the statement PDF of her own case
        statement = self.url_open(f"/collection/debts/{self.case_carla.id}/statement")
        self.assertEqual(statement.status_code, 200)
        self.assertTrue(statement.content.startswith(b"%PDF") or b"<html" in statement.content[:500].lower())
        self.assertTrue(self._events().filtered(lambda e: "opened" in e.description))

    def test_a_portal_user_sees_their_own_debts(self):
        user = new_test_user(
            self.env, "dc_portal_carla", "base.group_portal", {"no_reset_password": True}, partner_id=self.carla.id
        )
        self.assertEqual(user.partner_id, self.carla)
        self.authenticate("dc_portal_carla", "dc_portal_carla")
        home = self.url_open("/my/home")
        self.assertIn("/collection/debts", home.text)
        debts = self.url_open("/collection/debts")
        self.assertIn(self.case_carla.name, debts.text)
        self.assertNotIn(self.case_diego.name, debts.text)
        self.assertEqual(self._page(self.case_diego).status_code, 404)
        # a form sent without Odoo's CSRF token is refused, nothing recorded
        today = fields.Date.context_today(self.case_carla)
        refused = self.url_open(
            f"/collection/debts/{self.case_carla.id}/promise",
            data={"amount": "200", "date_promise": str(today + timedelta(days=5))},
        )
        self.assertEqual(refused.status_code, 400)
        self.assertFalse(self.case_carla.promise_ids)

    def test_the_page_speaks_the_debtors_language(self):
        if not self.env["res.lang"]._lang_get("es_419"):
            self.skipTest("Spanish (Latin America) is not installed")
        self.carla.lang = "es_419"
        self._open()
        page = self._page()
        self.assertIn("Cuotas", page.text)
        self.assertIn("Promesa de pago", page.text)

    def test_the_collector_makes_a_link_a_supervisor_revokes_it(self):
        action = self.case_carla.with_user(self.collector_a).action_portal_link()
        share = self.env["collection.portal.link.share"].with_user(self.collector_a).browse(action["res_id"])
        link = share.link_id
        self.assertEqual(link.partner_id, self.carla)
        url = share.url
        # the link's address is shown once: the link itself does not give it away over RPC
        with self.assertRaises(AccessError):
            link.with_user(self.collector_a).read(["url"])
        with self.assertRaises(AccessError):
            self.diego.with_user(self.collector_a)._collection_portal_url()
        self.assertIn("/collection/debts/t/", url)
        with self.assertRaises(AccessError):
            self.case_carla.with_user(self.collector_b).action_portal_link()
        with self.assertRaises(AccessError):
            link.with_user(self.collector_a).action_revoke()
        self.assertEqual(self.url_open(url.split(self.base_url(), 1)[-1]).status_code, 200)
        link.with_user(self.supervisor).action_revoke()
        self.opener.cookies.clear()
        self.assertEqual(self.url_open(url.split(self.base_url(), 1)[-1]).status_code, 404)

    def test_the_debt_page_costs_the_same_queries_whatever_its_size(self):
        self._open()
        self._page()  # routing map and caches warmed

        def queries(case):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self.assertEqual(self._page(case).status_code, 200)
            return self.cr.sql_log_count - before

        small = queries(self.case_carla)
        big_case = self._case(
            self.carla, self.collector_a, installments=[(-300 + 30 * index, 100.0) for index in range(12)]
        )
        big = queries(big_case)
        self.assertLessEqual(big, small + 3, "the debt page's queries grow with its installments")

    def test_dead_links_and_too_many_tries(self):
        self.opener.cookies.clear()
        self.assertEqual(self.url_open("/collection/debts/t/not-a-token").status_code, 404)
        revoked = self.env["collection.portal.link"]._new_link(self.carla)
        revoked.with_user(self.supervisor).action_revoke()
        self.assertEqual(self._open(revoked).status_code, 404)
        expired = self.env["collection.portal.link"]._new_link(self.carla)
        expired.sudo().date_expiry = fields.Datetime.now() - timedelta(minutes=1)
        self.assertEqual(self._open(expired).status_code, 404)
        # without a valid link, nothing: the list asks to log in, a case is not found
        self.assertNotIn(self.case_carla.name, self.url_open("/collection/debts").text)
        self.assertEqual(self._page().status_code, 404)
        for _attempt in range(MAX_FAILURES):
            self.url_open("/collection/debts/t/guess")
        # too many wrong links from this address: the next wrong one is refused for a while, a good one still opens
        self.assertEqual(self.url_open("/collection/debts/t/guess-again").status_code, 429)
        self.assertEqual(self._open().status_code, 200)

    def test_promise_within_the_portfolio_rules(self):
        self._open()
        today = fields.Date.context_today(self.case_carla)
        # overdue 500: at least 150, at most 15 days ahead; tampered values are refused
        too_small = self._post("promise", {"amount": "100", "date_promise": str(today + timedelta(days=5))})
        self.assertIn("Promise between", too_small.text)
        too_late = self._post("promise", {"amount": "200", "date_promise": str(today + timedelta(days=40))})
        self.assertIn("at the latest", too_late.text)
        self.assertFalse(self.case_carla.promise_ids)
        done = self._post("promise", {"amount": "200", "date_promise": str(today + timedelta(days=5))})
        self.assertIn("your promise is recorded", done.text)
        promise = self.case_carla.promise_ids
        self.assertEqual((promise.amount, promise.state), (200.0, "open"))
        self.assertEqual(promise.channel_id, self.env.ref("debt_collection.collection_channel_portal"))
        self.assertEqual(promise.user_id, self.collector_a)
        self.assertTrue(self._events().filtered(lambda e: "Promise to pay" in e.description))

    def test_plan_within_the_relief_policy(self):
        self._open()
        today = fields.Date.context_today(self.case_carla)
        first_due = str(today + timedelta(days=20))
        # simulation: 6 installments of the 600 still open, 60 down, no condonation
        page = self._page(installments=3, down=60, first_due=first_due)
        # 600 open, 5 % written off (30), 60 down, 3 × 170: the total to pay is 570
        self.assertIn("570.00", page.text)
        self.assertNotIn("630.00", page.text)
        page = self._page(installments=6, down=60, first_due=first_due)
        self.assertIn("dc_portal_plan", page.text)
        self.assertIn("Accept this plan", page.text)
        # outside the policy: too many installments, too small a down payment, too late a start
        for terms, text in (
            ({"installments": "12", "down": "60", "first_due": first_due}, "from 1 to 6"),
            ({"installments": "6", "down": "10", "first_due": first_due}, "at least"),
            ({"installments": "6", "down": "60", "first_due": str(today + timedelta(days=90))}, "at the latest"),
        ):
            with self.subTest(terms=terms):
                self.assertIn(text, self._post("plan", terms).text)
        self.assertFalse(self.case_carla.agreement_ids)
        # within the collector's level, which a debtor may get alone: approved at once
        done = self._post("plan", {"installments": "6", "down": "60", "first_due": first_due})
        self.assertIn("is approved", done.text)
        agreement = self.case_carla.agreement_ids
        self.assertEqual((agreement.state, agreement.installment_count, agreement.down_payment), ("active", 6, 60.0))
        self.assertTrue(self._events().filtered(lambda e: agreement.name in e.description))

    def test_plan_beyond_the_debtor_levels_waits_for_approval(self):
        self._open()
        first_due = str(fields.Date.context_today(self.case_carla) + timedelta(days=20))
        # one installment: 20 % written off, beyond the collector's level (0 %)
        done = self._post("plan", {"installments": "1", "down": "100", "first_due": first_due})
        self.assertIn("sent for approval", done.text)
        agreement = self.case_carla.agreement_ids
        self.assertEqual(agreement.state, "to_approve")
        self.assertAlmostEqual(agreement.condonation_percent, 20.0)
        self.assertNotEqual(agreement.level_id, self.env.ref("debt_collection.collection_agreement_level_collector"))

    def test_dispute_with_a_document(self):
        self._open()
        first = self.case_carla.installment_ids.sorted("date_due")[0]
        reason = self.env["collection.dispute.reason"].search([], limit=1)
        # another debtor's installment in the form is ignored
        foreign = self._post(
            "dispute",
            {"installment_ids": str(self.case_diego.installment_ids.id), "reason_id": reason.id, "description": "x"},
        )
        self.assertIn("Choose the installments", foreign.text)
        done = self._post(
            "dispute",
            {"installment_ids": str(first.id), "reason_id": reason.id, "description": "Ya pagué en efectivo"},
            files={"attachment": ("recibo.pdf", b"%PDF-1.4 receipt", "application/pdf")},
        )
        self.assertIn("is recorded", done.text)
        dispute = self.case_carla.dispute_ids
        self.assertEqual(dispute.installment_ids, first)
        self.assertEqual(dispute.description, "Ya pagué en efectivo")
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "collection.dispute"), ("res_id", "=", dispute.id)]
        )
        self.assertEqual(attachment.name, "recibo.pdf")
        self.assertTrue(self._events().filtered(lambda e: dispute.name in e.description))

    def _provider(self):
        """Odoo's demo provider (module payment_demo), in the test company."""
        demo = self.env.ref("payment.payment_provider_demo").sudo()
        if demo.code != "demo":
            self.skipTest("Odoo's demo payment provider (payment_demo) is needed to pay online")
        provider = demo.copy({"company_id": self.company.id, "state": "test", "is_published": True})
        provider.journal_id = self.company_data["default_journal_bank"]
        return provider

    def _pay(self, provider, amount, case=None):
        return self.make_jsonrpc_request(
            f"/collection/debts/{(case or self.case_carla).id}/transaction",
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "token_id": None,
                "amount": amount,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": "https://evil.example.com/",
                "is_validation": False,
                "access_token": "",
            },
        )

    def test_pay_online(self):
        provider = self._provider()
        self._open()
        page = self._page(amount=250)
        self.assertIn('id="o_payment_form"', page.text)
        # a tampered amount over the balance is refused
        with self.assertRaises(JsonRpcException):
            self._pay(provider, 5000.0)
        self._pay(provider, 250.0)
        tx = self.env["payment.transaction"].search([("collection_case_id", "=", self.case_carla.id)])
        self.assertEqual(
            (tx.amount, tx.partner_id, tx.landing_route), (250.0, self.carla, f"/collection/debts/{self.case_carla.id}")
        )
        # a failed transaction changes nothing
        tx._set_error("Declined")
        tx._post_process()
        self.assertFalse(self.case_carla.payment_ids)
        # a successful one is a posted payment, oldest installment first, with its receipt e-mailed
        self._pay(provider, 350.0)
        tx = self.env["payment.transaction"].search(
            [("collection_case_id", "=", self.case_carla.id), ("state", "=", "draft")]
        )
        tx._set_done()
        tx._post_process()
        tx._post_process()  # post-processing twice (poll and cron) pays once
        payment = self.case_carla.payment_ids
        self.assertEqual((payment.state, payment.amount, payment.method), ("posted", 350.0, "online"))
        first, second, _third = self.case_carla.installment_ids.sorted("date_due")
        self.assertEqual((first.amount_residual, second.amount_residual), (0.0, 150.0))
        self.assertEqual(tx.collection_payment_id, payment)
        mail = self.env["mail.mail"].search([("model", "=", "collection.payment"), ("res_id", "=", payment.id)])
        self.assertEqual(mail.recipient_ids, self.carla)
        self.assertTrue(mail.attachment_ids)
        self.assertTrue(self._events().filtered(lambda e: tx.reference in e.description and "posted" in e.description))
        # the receipt on the portal
        receipt = self.url_open(f"/collection/debts/{self.case_carla.id}/receipt/{payment.id}")
        self.assertEqual(receipt.status_code, 200)

    def test_pay_online_own_invoices(self):
        """On own invoices the online payment is a real account.payment in the
        provider's journal, reconciled with the invoices oldest first, and the
        transaction's payment (Odoo makes no second one)."""
        provider = self._provider()
        old = self._invoice(self.carla, 300.0, days_ago=60)
        recent = self._invoice(self.carla, 200.0, days_ago=20)
        self.internal._sync_invoices()
        case = old.collection_case_id
        self.assertEqual(recent.collection_case_id, case)
        self._open()
        self.assertEqual(self._page(case).status_code, 200)
        self._pay(provider, 400.0, case=case)
        tx = self.env["payment.transaction"].search([("collection_case_id", "=", case.id)])
        tx._set_done()
        tx._post_process()
        payment = case.payment_ids
        self.assertEqual((payment.state, payment.method), ("posted", "online"))
        self.assertTrue(payment.account_payment_id)
        self.assertEqual(tx.payment_id, payment.account_payment_id)
        self.assertEqual(payment.account_payment_id.journal_id, provider.journal_id)
        self.assertEqual(self.env["account.payment"].search_count([("payment_transaction_id", "=", tx.id)]), 1)
        self.assertEqual((old.payment_state, recent.amount_residual), ("paid", 100.0))

    def test_a_debtor_pays_online_in_the_browser(self):
        """The link, the statement, a plan and its down payment paid online, in Chromium."""
        provider = self._provider()
        self.start_tour(f"/collection/debts/t/{self.link.sudo().token}", "debt_collection_debtor_portal")
        agreement = self.case_carla.agreement_ids
        self.assertEqual((agreement.state, agreement.installment_count), ("active", 6))
        payment = self.case_carla.payment_ids
        self.assertEqual((payment.state, payment.amount, payment.method), ("posted", 60.0, "online"))
        self.assertEqual(payment.transaction_id.provider_id, provider)

    def test_tampered_payments_and_odd_input_are_refused(self):
        provider = self._provider()
        hidden = provider.copy({"is_published": False})
        self._open()
        # a provider the page does not offer (unpublished) is refused
        with self.assertRaises(JsonRpcException):
            self._pay(hidden, 100.0)
        # a contested installment cannot be paid online: the amount payable leaves it out
        first = self.case_carla.installment_ids.sorted("date_due")[0]
        reason = self.env["collection.dispute.reason"].search([], limit=1)
        self._post("dispute", {"installment_ids": str(first.id), "reason_id": reason.id, "description": "No"})
        with self.assertRaises(JsonRpcException):
            self._pay(provider, 600.0)
        self._pay(provider, 300.0)
        self.assertEqual(
            self.env["payment.transaction"].search([("collection_case_id", "=", self.case_carla.id)]).amount, 300.0
        )
        # odd values give a message, never a server error
        for route, data in (
            ("dispute", {"installment_ids": "\u00b2", "reason_id": "abc", "description": "x"}),
            ("promise", {"amount": "1e999", "date_promise": "2026-13-45"}),
            ("plan", {"installments": "nan", "down": "1e999", "first_due": "x"}),
        ):
            with self.subTest(route=route):
                self.assertEqual(self._post(route, data).status_code, 200)
        self.assertEqual(self._page(amount="1e999").status_code, 200)
        # a message written into the address is not shown on the page
        self.assertNotIn("Pay to account 666", self._page(error="Pay to account 666").text)
