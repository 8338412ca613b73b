import base64
from datetime import timedelta

from odoo import Command
from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user
from odoo.tests import tagged

from .common import CollectionCommon

ADDON_MODULE = "odoo.addons.debt_collection."
# what every record answers over RPC besides the addon's own methods
ORM_CALLS = {
    "read": lambda records: records.read(["display_name"]),
    "write": lambda records: records.write({}),
    "unlink": lambda records: records.unlink(),
    "copy": lambda records: records.copy(),
}
# configuration shared by every company (no company of their own): readable by every collection user;
# the strategy and daily runs span every company and are read by managers only
SHARED_MODELS = {
    "collection.channel",
    "collection.daily.run",
    "collection.dispute.reason",
    "collection.strategy.run",
    "collection.strategy.run.line",
}
# hooks Odoo itself calls on every model (table set-up), not actions on records
FRAMEWORK_METHODS = {"init"}
# model-level methods of the addon that act on a record given as an argument
MODEL_CALLS = {
    ("collection.portfolio", "import_rows"): lambda model, record: model.import_rows(record.id, []),
}


class Allowed(Exception):
    """Raised after a call that was not refused, to roll it back."""


@tagged("post_install", "-at_install")
class TestRoleProbe(CollectionCommon):
    """The role probe: as each role, over the calls an RPC client can make
    (``env[model].browse(ids).method()``), every public method of every
    model of the addon, and read/write/unlink/copy, on records the role
    cannot reach (another company's) is refused with an AccessError."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.setup_other_company(name="Probe Co")["company"]
        cls.company_2 = company
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=[company.id, cls.company.id]))
        boss = new_test_user(
            env,
            "dc_probe_boss",
            "debt_collection.group_collection_manager,account.group_account_invoice,base.group_partner_manager",
            {"no_reset_password": True},
            name="Probe Boss",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        env = env(user=boss, context=dict(env.context, allowed_company_ids=company.ids))
        team = env["collection.team"].create(
            {
                "name": "Probe team",
                "company_id": company.id,
                "supervisor_id": boss.id,
                "member_ids": [Command.create({"user_id": boss.id})],
            }
        )
        portfolio = env["collection.portfolio"].create(
            {
                "name": "Probe portfolio",
                "kind": "external",
                "company_id": company.id,
                "currency_id": company.currency_id.id,
                "team_id": team.id,
                "state": "active",
            }
        )
        debtor = env["res.partner"].create({"name": "Probe debtor", "mobile": "+34 600 111 222"})
        case = env["collection.case"].create(
            {
                "portfolio_id": portfolio.id,
                "partner_id": debtor.id,
                "user_id": boss.id,
                "team_id": team.id,
                "installment_ids": [
                    Command.create(
                        {"name": "One", "sequence": 1, "date_due": cls.today - timedelta(days=40), "amount": 300.0}
                    ),
                    Command.create(
                        {"name": "Two", "sequence": 2, "date_due": cls.today - timedelta(days=10), "amount": 300.0}
                    ),
                ],
            }
        )
        call = env.ref("debt_collection.collection_channel_call")
        interaction = env["collection.interaction"].create(
            {
                "case_id": case.id,
                "channel_id": call.id,
                "direction": "inbound",
                "result_id": env.ref("debt_collection.collection_result_contacted").id,
            }
        )
        promise = env["collection.promise"].create(
            {"case_id": case.id, "amount": 50.0, "date_promise": cls.today + timedelta(days=5)}
        )
        dispute = env["collection.dispute"].create(
            {
                "case_id": case.id,
                "reason_id": env["collection.dispute.reason"].search([], limit=1).id,
                "installment_ids": [Command.set(case.installment_ids[1].ids)],
            }
        )
        payment = env["collection.payment"].create({"case_id": case.id, "amount": 40.0, "method": "cash"})
        agreement = env["collection.agreement"].create(
            {
                "case_id": case.id,
                "replaced_installment_ids": [Command.set(case.installment_ids[0].ids)],
                "installment_count": 2,
                "first_due_date": cls.today + timedelta(days=10),
            }
        )
        policy = env["collection.contact.policy"].create(
            {
                "name": "Probe policy",
                "company_id": company.id,
                "window_ids": [Command.create({"weekday": "0", "hour_from": 8, "hour_to": 20})],
                "limit_ids": [Command.create({"max_contacts": 3, "period_days": 7})],
            }
        )
        template = env["collection.import.template"].create(
            {
                "name": "Probe layout",
                "company_id": company.id,
                "line_ids": [Command.create({"header": "Nombre", "column": "partner_name"})],
            }
        )
        job = env["collection.import.job"].create(
            {"name": "probe.csv", "portfolio_id": portfolio.id, "file": base64.b64encode(b"partner_name\n")}
        )
        posted = env["collection.payment"].create({"case_id": case.id, "amount": 20.0, "method": "cash"})
        posted.action_post()
        sudo = env(su=True)
        cls.targets = {
            "collection.portfolio": portfolio,
            "collection.case": case,
            "collection.installment": case.installment_ids[:1],
            "collection.assignment": case.assignment_ids[:1],
            "collection.interaction": interaction,
            "collection.promise": promise,
            "collection.dispute": dispute,
            "collection.payment": payment,
            "collection.agreement": agreement,
            "collection.agreement.line": agreement.line_ids[:1],
            "collection.agreement.level": env["collection.agreement.level"].create(
                {
                    "name": "Probe level",
                    "company_id": company.id,
                    "group_id": env.ref("debt_collection.group_collection_manager").id,
                }
            ),
            "collection.team": team,
            "collection.team.member": team.member_ids,
            "collection.zone": env["collection.zone"].create({"name": "Probe zone", "company_id": company.id}),
            "collection.stage": env["collection.stage"].create({"name": "Probe stage", "company_id": company.id}),
            "collection.result": env["collection.result"].create(
                {"name": "Probe result", "code": "probe", "company_id": company.id}
            ),
            "collection.phone": env["collection.phone"].create({"partner_id": debtor.id, "number": "+34600111333"}),
            "collection.contact.policy": policy,
            "collection.contact.policy.window": policy.window_ids,
            "collection.contact.policy.limit": policy.limit_ids,
            "collection.import.template": template,
            "collection.import.template.line": template.line_ids,
            "collection.import.job": job,
            "collection.event": sudo["collection.event"].search([("company_id", "=", company.id)], limit=1),
            "collection.aging.analysis": sudo["collection.aging.analysis"].search(
                [("company_id", "=", company.id)], limit=1
            ),
            "collection.team.overview": sudo["collection.team.overview"].search(
                [("company_id", "=", company.id)], limit=1
            ),
            "collection.case.movement": sudo["collection.case.movement"].search(
                [("company_id", "=", company.id)], limit=1
            ),
            # wizards: another user's dialog on another company's records
            "collection.interaction.log": env["collection.interaction.log"].create(
                {"case_id": case.id, "channel_id": call.id}
            ),
            "collection.contact.refusal": env["collection.contact.refusal"].create(
                {"case_id": case.id, "message": "Contact refused."}
            ),
            "collection.case.close": env["collection.case.close"].create({"case_ids": [Command.set(case.ids)]}),
            "collection.case.reassign": env["collection.case.reassign"].create(
                {"case_ids": [Command.set(case.ids)], "user_id": boss.id}
            ),
            "collection.distribute": env["collection.distribute"].create(
                {
                    "source": "portfolio",
                    "portfolio_id": portfolio.id,
                    "only_unassigned": False,
                    "user_ids": [Command.set(boss.ids)],
                }
            ),
            "collection.import": env["collection.import"].create(
                {"portfolio_id": portfolio.id, "file": base64.b64encode(b"partner_name\nX\n"), "file_name": "x.csv"}
            ),
        }
        strategy = env["collection.strategy"].create(
            {
                "name": "Probe strategy",
                "company_id": company.id,
                "domain": "[]",
                "step_ids": [
                    Command.create({"name": "Probe review", "days": 30, "action": "legal", "mode": "proposed"})
                ],
            }
        )
        score_rule = env["collection.score.rule"].create(
            {
                "name": "Probe rule",
                "company_id": company.id,
                "fact": "days_overdue",
                "method": "bands",
                "band_ids": [Command.create({"value_from": 30, "points": 5})],
            }
        )
        case_step = sudo["collection.case.step"].create(
            {
                "name": "Probe review",
                "case_id": case.id,
                "strategy_id": strategy.id,
                "version_id": strategy.version_id.id,
                "step_id": strategy.step_ids.id,
                "action": "legal",
                "mode": "proposed",
                "state": "proposed",
            }
        )
        register = sudo["collection.register"].create(
            {"partner_id": debtor.id, "case_id": case.id, "origin": "manual", "state": "entered"}
        )
        layout = env["collection.register.layout"].create(
            {
                "name": "Probe layout",
                "company_id": company.id,
                "line_ids": [Command.create({"header": "NAME", "column": "debtor_name"})],
            }
        )
        cls.targets.update(
            {
                "collection.register": register,
                "collection.legal.action": env["collection.legal.action"].create(
                    {"case_id": case.id, "name": "Probe filing"}
                ),
                "collection.case.legal": env["collection.case.legal"].create(
                    {"case_ids": [Command.set(case.ids)], "action": "return", "reason": "probe"}
                ),
                "collection.register.layout": layout,
                "collection.register.layout.line": layout.line_ids,
                "collection.register.manual": env["collection.register.manual"].create(
                    {"case_ids": [Command.set(case.ids)], "action": "remove", "reason": "probe"}
                ),
                "collection.register.export": env["collection.register.export"].create(
                    {"layout_id": layout.id, "date_from": cls.today, "date_to": cls.today}
                ),
                "collection.strategy": strategy,
                "collection.strategy.step": strategy.step_ids,
                "collection.strategy.version": strategy.version_id,
                "collection.score.rule": score_rule,
                "collection.score.rule.band": score_rule.band_ids,
                "collection.case.step": case_step,
                "collection.case.step.postpone": env["collection.case.step.postpone"].create(
                    {"step_ids": [Command.set(case_step.ids)]}
                ),
                "collection.letter.batch": env["collection.letter.batch"].create(
                    {"portfolio_ids": [Command.set(portfolio.ids)]}
                ),
            }
        )
        # monthly snapshots of the probe case (last month's and this month's), its KPIs and roll rates
        sudo["collection.case.snapshot"].create(
            {
                "month": (cls.today.replace(day=1) - timedelta(days=1)).replace(day=1),
                "case_id": case.id,
                "company_id": company.id,
                "portfolio_id": portfolio.id,
                "team_id": team.id,
                "user_id": boss.id,
                "state": "open",
                "aging_bucket": "d001_030",
                "amount_residual_company": 600.0,
            }
        )
        sudo["collection.case.snapshot"]._take()
        debtor.write({"partner_latitude": 4.6, "partner_longitude": -74.1})
        visit_plan = env["collection.visit.plan"].create(
            {"user_id": boss.id, "company_id": company.id, "date": cls.today, "team_id": team.id}
        )
        env["collection.visit.stop"].create({"plan_id": visit_plan.id, "case_id": case.id})
        remittance = env["collection.remittance"].create(
            {"portfolio_id": portfolio.id, "date_from": cls.today, "date_to": cls.today}
        )
        remittance.action_compute()
        cls.targets.update(
            {
                "collection.case.snapshot": sudo["collection.case.snapshot"].search(
                    [("company_id", "=", company.id)], limit=1
                ),
                "collection.kpi.month": sudo["collection.kpi.month"].search([("company_id", "=", company.id)], limit=1),
                "collection.kpi.roll": sudo["collection.kpi.roll"].search([("company_id", "=", company.id)], limit=1),
                "collection.report.wizard": env["collection.report.wizard"].create(
                    {"company_id": company.id, "date_from": cls.today, "date_to": cls.today}
                ),
                "collection.visit.plan": visit_plan,
                "collection.visit.stop": visit_plan.stop_ids,
                "collection.partner.location": sudo["collection.partner.location"].create(
                    {"partner_id": debtor.id, "latitude": 4.6, "longitude": -74.1}
                ),
                "collection.commission.rule": env["collection.commission.rule"].create(
                    {"portfolio_id": portfolio.id, "rate": 10.0}
                ),
                "collection.remittance": remittance,
                "collection.payment.reverse": env["collection.payment.reverse"].create(
                    {"payment_id": posted.id, "reason": "probe"}
                ),
                "collection.remittance.line": remittance.line_ids[:1],
                "collection.commission.settlement": env["collection.commission.settlement"].create(
                    {"date_from": cls.today, "date_to": cls.today}
                ),
                "collection.field.submission": sudo["collection.field.submission"].create(
                    {
                        "key": "probe",
                        "user_id": boss.id,
                        "company_id": company.id,
                        "team_id": team.id,
                        "case_id": case.id,
                        "state": "conflict",
                    }
                ),
                "collection.portal.link": sudo["collection.portal.link"].with_company(company)._new_link(debtor),
                "collection.portal.attempt": sudo["collection.portal.attempt"].create({"address": "192.0.2.1"}),
                "collection.portal.link.share": env["collection.portal.link.share"].create(
                    {"link_id": sudo["collection.portal.link"].search([], limit=1).id, "url": "probe"}
                ),
                "collection.relief.band": sudo["collection.relief.band"].create(
                    {"portfolio_id": portfolio.id, "max_installments": 3, "condonation_percent": 5.0}
                ),
                "collection.field.position": sudo["collection.field.position"].create(
                    {
                        "user_id": boss.id,
                        "company_id": company.id,
                        "team_id": team.id,
                        "date": fields.Datetime.now(),
                        "latitude": 4.6,
                        "longitude": -74.1,
                    }
                ),
            }
        )
        cls.targets["collection.distribute"].action_preview()
        cls.targets["collection.distribute.line"] = cls.targets["collection.distribute"].line_ids[:1]
        cls.targets["collection.import"].action_read()
        cls.targets["collection.import.line"] = cls.targets["collection.import"].line_ids[:1]
        cls.targets["collection.payment.line"] = posted.line_ids[:1]
        cls.env.flush_all()

    def _addon_methods(self, model):
        """Public methods the addon defines (or overrides) on ``model``."""
        names = set()
        for cls in type(model).__mro__:
            if not cls.__module__.startswith(ADDON_MODULE):
                continue
            for name, attr in vars(cls).items():
                if name.startswith("_") or not callable(attr) or name in ORM_CALLS or name in FRAMEWORK_METHODS:
                    continue
                if getattr(attr, "_api", None) in ("model", "model_create"):
                    continue
                names.add(name)
        return sorted(names)

    def test_every_model_of_the_addon_is_probed(self):
        addon_models = {
            name
            for name, model in self.env.registry.items()
            if name.startswith("collection.") and not model._abstract and model._original_module == "debt_collection"
        }
        self.assertEqual(
            addon_models - set(self.targets) - SHARED_MODELS, set(), "every model of the addon has a probe target"
        )
        empty = sorted(name for name, records in self.targets.items() if not records)
        self.assertEqual(empty, [], "every probe target exists")

    def test_roles_are_refused_out_of_reach(self):
        roles = {
            "collector": self.collector_a,
            "supervisor": self.supervisor,
            "manager": self.manager,
            "auditor": self.auditor,
            "accountant": self.accountant,
        }
        leaks = []
        calls = 0
        for role, user in roles.items():
            for model_name, records in self.targets.items():
                target = records.with_user(user)
                probes = [(name, lambda r, n=name: getattr(r, n)()) for name in self._addon_methods(target)]
                probes += list(ORM_CALLS.items())
                probes += [
                    (method, lambda r, call=call: call(r.browse(), r))
                    for (model, method), call in MODEL_CALLS.items()
                    if model == model_name
                ]
                for name, probe in probes:
                    calls += 1
                    try:
                        with self.env.cr.savepoint():
                            probe(target)
                            raise Allowed  # roll back whatever the call did
                    except AccessError:
                        continue
                    except Allowed:
                        leaks.append(f"{role}: {model_name}.{name}() was allowed")
                    except Exception as exc:  # noqa: BLE001 - anything but a refusal is reported
                        leaks.append(f"{role}: {model_name}.{name}() raised {type(exc).__name__}: {exc}")
                    finally:
                        self.env.invalidate_all()
        self.assertGreater(calls, 500)
        self.assertEqual(leaks, [], "\n".join(leaks))
