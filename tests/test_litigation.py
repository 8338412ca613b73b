"""Litigation on real cases: hand-over to a lawyer only, the lawyer's reach
through RPC as that user, legal costs paid first with the lawyer's fee,
outcomes and the return to the collector."""

import xmlrpc.client

from odoo import Command
from odoo import http
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import HttpCase
from odoo.tests import new_test_user
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CollectionCommon


@tagged("post_install", "-at_install")
class TestLitigation(CollectionCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        ctx = {"no_reset_password": True}
        company_args = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.lawyer_user = new_test_user(
            env, "dc_lawyer", "debt_collection.group_collection_lawyer", ctx, name="Lucas Abogado", **company_args
        )
        cls.other_lawyer_user = new_test_user(
            env, "dc_lawyer_2", "debt_collection.group_collection_lawyer", ctx, name="Other Lawyer", **company_args
        )
        cls.firm = env["res.partner"].create(
            {"name": "Abogados Andinos", "is_company": True, "collection_is_lawyer": True,
             "collection_lawyer_fee_rate": 10.0}
        )  # fmt: skip
        cls.lawyer_user.partner_id.write({"parent_id": cls.firm.id, "collection_is_lawyer": True})
        cls.other_firm = env["res.partner"].create({"name": "Otro Bufete", "collection_is_lawyer": True})
        cls.other_lawyer_user.partner_id.write({"collection_is_lawyer": True})
        cls.case = cls._case(cls._debtor("Litigio Uno"), cls.collector_a, installments=((-90, 1000.0),))
        cls.other_case = cls._case(cls._debtor("Litigio Dos"), cls.collector_b, installments=((-90, 500.0),))

    def _legal(self, cases, user, **vals):
        wizard = (
            self.env["collection.case.legal"]
            .with_user(user)
            .with_context(default_case_ids=cases.ids)
            .create({"case_ids": [Command.set(cases.ids)], **vals})
        )
        return wizard.action_confirm()

    def test_hand_over_work_and_come_back(self):
        with self.assertRaises(UserError):
            self._legal(self.case, self.supervisor, action="handover", lawyer_id=self._debtor("Not a lawyer").id)
        with self.assertRaises(AccessError):
            self._legal(self.case, self.collector_a, action="handover", lawyer_id=self.lawyer_user.partner_id.id)
        self._legal(self.case, self.supervisor, action="handover", lawyer_id=self.firm.id,
                    reason="Ninety days, no answer")  # fmt: skip
        case = self.case
        self.assertEqual((case.stage_id.code, case.user_id.id, case.legal_previous_user_id),
                         ("litigation", False, self.collector_a))  # fmt: skip
        self.assertFalse(
            self.env["collection.case"].with_user(self.collector_a).search([("id", "=", case.id)]),
            "out of the collector's work list",
        )
        task = self.env["mail.activity"].search(
            [("res_model", "=", "collection.case"), ("res_id", "=", case.id), ("user_id", "=", self.lawyer_user.id)]
        )
        self.assertEqual(task.summary, "Case handed over for litigation")
        # the strategies leave it to the lawyer
        self.env["collection.strategy"].search([]).active = False
        self.env["collection.strategy"].create({"name": "All", "domain": "[]"})
        self.env["collection.case"]._run_strategies()
        self.assertFalse(case.strategy_id)
        # the lawyer records the court data, not the amounts or the collector
        as_lawyer = case.with_user(self.lawyer_user)
        as_lawyer.write({"legal_court": "Juzgado 12 Civil", "legal_file_number": "2026-00123"})
        with self.assertRaises(AccessError):
            as_lawyer.write({"user_id": self.lawyer_user.id})
        with self.assertRaises(AccessError):
            case.with_user(self.other_lawyer_user).read(["legal_court"])
        # a legal cost, paid before the debt, and the lawyer's fee on what is collected
        self._legal(case, self.lawyer_user, action="cost", amount=80.0, description="Court fees")
        cost = case.installment_ids.filtered(lambda i: i.kind == "legal_cost")
        self.assertEqual((cost.amount, cost.state), (80.0, "pending"))
        payment = self.env["collection.payment"].create({"case_id": case.id, "amount": 100.0, "method": "transfer"})
        payment.action_post()
        self.assertEqual(cost.state, "paid", "legal costs are paid first")
        self.assertEqual(payment.line_ids.filtered(lambda line: line.installment_id != cost).amount, 20.0)
        self.assertEqual((payment.lawyer_id, payment.lawyer_fee_amount), (self.firm, 10.0))
        fees = self.env["collection.case"]._lawyer_fees(payment.date, payment.date)
        self.assertEqual([(lawyer, collected, fee) for lawyer, _cur, collected, fee in fees],
                         [(self.firm, 100.0, 10.0)])  # fmt: skip
        # back to the collector, with a reason
        with self.assertRaises(UserError):
            self._legal(case, self.supervisor, action="return", reason=" ")
        self._legal(case, self.supervisor, action="return", reason="Debtor proposes a plan")
        self.assertEqual((case.user_id, case.lawyer_id.id), (self.collector_a, False))
        self.assertNotEqual(case.stage_id.code, "litigation")
        self.assertIn("Back from litigation", case.legal_action_ids.mapped("name"))
        events = (
            self.env["collection.event"].sudo().search([("case_id", "=", case.id), ("event_type", "=", "litigation")])
        )
        self.assertEqual(len(events), 2)

    def test_uncollectable_outcome_writes_off(self):
        self._legal(self.other_case, self.supervisor, action="handover", lawyer_id=self.other_lawyer_user.partner_id.id)
        self._legal(
            self.other_case, self.other_lawyer_user, action="outcome", outcome="uncollectable", reason="No assets"
        )
        self.assertEqual((self.other_case.state, self.other_case.close_reason), ("closed", "written_off"))
        self.assertEqual(self.other_case.legal_outcome, "uncollectable")

    def test_lawyer_reach_through_rpc(self):
        self._legal(self.case, self.supervisor, action="handover", lawyer_id=self.lawyer_user.partner_id.id)
        self._legal(self.other_case, self.supervisor, action="handover", lawyer_id=self.other_lawyer_user.partner_id.id)
        self.env.flush_all()
        db = self.env.cr.dbname
        uid = self.lawyer_user.id
        rpc = self.xmlrpc_object
        found = rpc.execute_kw(db, uid, "dc_lawyer", "collection.case", "search_read", [[]], {"fields": ["name"]})
        self.assertEqual([row["id"] for row in found], self.case.ids, "only the cases handed to their firm")
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as refused:
            rpc.execute_kw(db, uid, "dc_lawyer", "collection.case", "read", [self.other_case.ids, ["name"]])
        self.assertIn("doesn't have 'read' access", refused.exception.faultString)
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as refused:
            rpc.execute_kw(db, uid, "dc_lawyer", "collection.event", "search_read", [[]], {"fields": ["description"]})
        self.assertIn("Collection Event", refused.exception.faultString)
        rpc.execute_kw(db, uid, "dc_lawyer", "collection.case", "write", [self.case.ids, {"legal_court": "Juzgado 3"}])
        self.case.invalidate_recordset()
        self.assertEqual(self.case.legal_court, "Juzgado 3")


@tagged("post_install", "-at_install")
class TestLitigationPortal(CollectionCommon, HttpCase):
    """A law firm's lawyer without an internal user works its cases on the
    portal, and only those."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.firm = cls.env["res.partner"].create(
            {"name": "Bufete Portal", "is_company": True, "collection_is_lawyer": True}
        )
        cls.portal_lawyer = new_test_user(
            cls.env, "dc_portal_lawyer", "base.group_portal", {"no_reset_password": True}, name="Paula Portal"
        )
        cls.portal_lawyer.partner_id.parent_id = cls.firm
        cls.case = cls._case(cls._debtor("Portal Litigio"), cls.collector_a, installments=((-90, 700.0),))
        cls.other = cls._case(cls._debtor("Otro Litigio"), cls.collector_b, installments=((-90, 300.0),))
        cls.case.with_user(cls.supervisor)._hand_to_lawyer(cls.firm, "portal")
        other_firm = cls.env["res.partner"].create({"name": "Another firm", "collection_is_lawyer": True})
        cls.other.with_user(cls.supervisor)._hand_to_lawyer(other_firm, "portal")

    def test_portal_lawyer_sees_and_records_only_their_firms_cases(self):
        self.authenticate("dc_portal_lawyer", "dc_portal_lawyer")
        page = self.url_open("/my/litigation")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.case.name, page.text)
        self.assertNotIn(self.other.name, page.text)
        self.assertEqual(self.url_open(f"/my/litigation/{self.other.id}").status_code, 404)
        detail = self.url_open(f"/my/litigation/{self.case.id}")
        self.assertIn("Portal Litigio", detail.text)
        response = self.url_open(
            f"/my/litigation/{self.case.id}",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "legal_court": "Juzgado 5 Civil",
                "legal_file_number": "2026-777",
                "legal_filing_date": "2026-11-02",
                "action_name": "Demand filed",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.case.invalidate_recordset()
        self.assertEqual((self.case.legal_court, self.case.legal_file_number), ("Juzgado 5 Civil", "2026-777"))
        self.assertIn("Demand filed", self.case.legal_action_ids.mapped("name"))
        # no direct access to the models
        with self.assertRaises(AccessError):
            self.case.with_user(self.portal_lawyer).read(["name"])
