"""The debtor's self-service pages (/collection/debts): what they owe, their
statement and receipts, a promise to pay, a payment plan within the
portfolio's relief policy, a dispute, and paying online through Odoo's
payment providers. A debtor comes as a portal user or through a signed link;
every page reads only that debtor's cases, every amount is recomputed here
and every action is an event of the case."""

import base64
from datetime import timedelta

from werkzeug.exceptions import NotFound

from odoo import Command
from odoo import _
from odoo import fields
from odoo import http
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.http import content_disposition
from odoo.http import request
from odoo.tools import float_compare
from odoo.tools.misc import format_amount
from odoo.tools.misc import format_date

from odoo.addons.payment.controllers.portal import PaymentPortal

from ..tools import schedule as schedule_tools
from ..tools.form_values import finite_number
from ..tools.form_values import record_id

SESSION_KEY = "debt_collection_portal_link"
FLASH_KEY = "debt_collection_portal_flash"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class CollectionDebtorPortal(PaymentPortal):
    # ------------------------------------------------------------------
    # Who the visitor is, what they may see
    # ------------------------------------------------------------------
    def _collection_debtor(self):
        """The debtor of the visit (commercial partner) and the link that
        opened it: the signed link kept in the session, else the logged-in
        user's own partner."""
        user = request.env.user
        if not user._is_public():
            # a logged-in debtor is themselves, whatever link was opened in their browser
            return user.partner_id.commercial_partner_id, None
        link_id = request.session.get(SESSION_KEY)
        if link_id:
            link = request.env["collection.portal.link"].sudo().browse(link_id).exists()
            if link and not link.revoked and link.date_expiry >= fields.Datetime.now():
                return link.partner_id.commercial_partner_id, link
            request.session.pop(SESSION_KEY, None)
        return request.env["res.partner"], None

    def _collection_cases(self, debtor):
        if not debtor:
            return request.env["collection.case"].sudo().browse()
        return (
            request.env["collection.case"]
            .sudo()
            .search(
                [
                    ("partner_id.commercial_partner_id", "=", debtor.id),
                    ("state", "=", "open"),
                    ("portfolio_id.portal_enabled", "=", True),
                ],
                order="id desc",
            )
        )

    def _collection_case(self, case_id):
        """The debtor's case ``case_id``, in the debtor's language; anything
        else is not found (the same answer for another debtor's case as for
        one that does not exist)."""
        debtor, link = self._collection_debtor()
        case = self._collection_cases(debtor).filtered(lambda c: c.id == case_id)
        if not case:
            raise NotFound()
        if link and debtor.lang:
            request.update_context(lang=debtor.lang)
        return case, debtor

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "debts_count" in counters:
            debtor, _link = self._collection_debtor()
            values["debts_count"] = len(self._collection_cases(debtor))
        return values

    def _collection_log(self, case, description, payload=None):
        debtor, link = self._collection_debtor()
        request.env["collection.event"].sudo()._log(
            "portal",
            description,
            cases=case,
            payload=dict(payload or {}, debtor_id=debtor.id, link_id=link.id if link else False),
        )

    def _collection_redirect(self, case, message=None, error=None):
        """Back to the debt page, the outcome kept in the session for it
        (never in the address, where anyone could write a message)."""
        request.session[FLASH_KEY] = {"case_id": case.id, "success": message or "", "error": error or ""}
        return request.redirect(f"/collection/debts/{case.id}#dc_actions", local=True)

    def _collection_flash(self, case):
        flash = request.session.pop(FLASH_KEY, None) or {}
        if flash.get("case_id") != case.id:
            return "", ""
        return flash.get("success") or "", flash.get("error") or ""

    def _collection_pdf(self, case, report, record):
        """``report`` of ``record`` as an inline PDF, in the debtor's language."""
        Report = request.env["ir.actions.report"].sudo().with_context(lang=case.partner_id.lang or None)
        pdf, _kind = Report._render_qweb_pdf(report, record.ids)
        filename = record.name.replace("/", "-") + ".pdf"
        return request.make_response(
            pdf,
            headers=[
                ("Content-Type", "application/pdf"),
                ("Content-Disposition", content_disposition(filename, disposition_type="inline")),
            ],
        )

    # ------------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------------
    @http.route(
        "/collection/debts/t/<string:token>", type="http", auth="public", methods=["GET"], website=True, sitemap=False
    )
    def collection_link(self, token, **_kw):
        address = request.httprequest.remote_addr
        link, blocked = request.env["collection.portal.link"].sudo()._resolve(token, address)
        if blocked:
            return request.render("debt_collection.portal_debts_refused", {"blocked": True}, status=429)
        if not link:
            return request.render("debt_collection.portal_debts_refused", {"blocked": False}, status=404)
        if request.session.get(SESSION_KEY) != link.id:
            request.session[SESSION_KEY] = link.id
            cases = self._collection_cases(link.partner_id)
            if cases:
                request.env["collection.event"].sudo()._log(
                    "portal",
                    _("The debtor opened their portal link."),
                    cases=cases,
                    payload={"link_id": link.id, "address": address},
                )
        return request.redirect("/collection/debts", local=True)

    @http.route("/collection/debts", type="http", auth="public", methods=["GET"], website=True, sitemap=False)
    def collection_debts(self, **_kw):
        debtor, link = self._collection_debtor()
        if not debtor:
            return request.redirect("/web/login?redirect=/collection/debts", local=True)
        if link and debtor.lang:
            request.update_context(lang=debtor.lang)
        cases = self._collection_cases(debtor)
        creditors = {}
        for case in cases:
            creditor = case.portfolio_id.creditor_id or case.company_id.partner_id
            creditors.setdefault(creditor, request.env["collection.case"].sudo().browse())
            creditors[creditor] |= case
        values = self._prepare_portal_layout_values()
        values.update({"debtor": debtor, "creditors": creditors, "page_name": "collection_debts", "link": link})
        return request.render("debt_collection.portal_debts", values)

    @http.route(
        "/collection/debts/<int:case_id>", type="http", auth="public", methods=["GET"], website=True, sitemap=False
    )
    def collection_debt(self, case_id, amount=None, installments=None, down=None, first_due=None, **kw):
        case, debtor = self._collection_case(case_id)
        success, error = self._collection_flash(case)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "case": case,
                "debtor": debtor,
                "page_name": "collection_debts",
                "success": success,
                "error": error,
                "today": fields.Date.context_today(case),
                "promise_max_date": fields.Date.context_today(case)
                + timedelta(days=max(case.portfolio_id.portal_promise_max_days, 0)),
                "promise_min_amount": self._promise_min_amount(case),
                "reasons": request.env["collection.dispute.reason"].sudo().search([]),
                "open_installments": case.installment_ids.filtered(
                    lambda i: i.state in ("pending", "partial") and not i.is_disputed
                ),
                "payments": case.payment_ids.filtered(lambda p: p.state == "posted").sorted("date", reverse=True),
                "agreements": case.agreement_ids.filtered(lambda a: a.state in ("to_approve", "active", "broken")),
                "format_amount": lambda value: format_amount(request.env, value, case.currency_id),
            }
        )
        values.update(self._collection_plan_values(case, installments, down, first_due))
        values.update(self._collection_payment_values(case, debtor, amount))
        return request.render("debt_collection.portal_debt", values)

    @http.route(
        "/collection/debts/<int:case_id>/statement",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def collection_statement(self, case_id, **_kw):
        case, _debtor = self._collection_case(case_id)
        return self._collection_pdf(case, "debt_collection.action_report_collection_statement", case)

    @http.route(
        "/collection/debts/<int:case_id>/receipt/<int:payment_id>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def collection_receipt(self, case_id, payment_id, **_kw):
        case, _debtor = self._collection_case(case_id)
        payment = case.payment_ids.filtered(lambda p: p.id == payment_id and p.state == "posted")
        if not payment:
            raise NotFound()
        return self._collection_pdf(case, "debt_collection.action_report_collection_payment_receipt", payment)

    # ------------------------------------------------------------------
    # Promise to pay
    # ------------------------------------------------------------------
    def _promise_min_amount(self, case):
        share = case.portfolio_id.portal_promise_min_percent / 100.0
        base = case.amount_overdue or case.amount_residual
        return case.currency_id.round(base * share)

    @http.route(
        "/collection/debts/<int:case_id>/promise",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def collection_promise(self, case_id, amount=None, date_promise=None, **_kw):
        case, _debtor = self._collection_case(case_id)
        currency = case.currency_id
        today = fields.Date.context_today(case)
        try:
            amount = currency.round(finite_number(amount or 0))
            date_promise = fields.Date.to_date(date_promise or False)
        except (TypeError, ValueError, OverflowError):
            return self._collection_redirect(case, error=_("Enter the amount and the date of your promise."))
        latest = today + timedelta(days=max(case.portfolio_id.portal_promise_max_days, 0))
        minimum = self._promise_min_amount(case)
        if not date_promise or not today <= date_promise <= latest:
            return self._collection_redirect(
                case, error=_("Promise to pay by %s at the latest.", format_date(request.env, latest))
            )
        if (
            float_compare(amount, minimum, precision_rounding=currency.rounding) < 0
            or float_compare(amount, case.amount_residual, precision_rounding=currency.rounding) > 0
        ):
            return self._collection_redirect(
                case,
                error=_(
                    "Promise between %(min)s and %(max)s.",
                    min=format_amount(request.env, minimum, currency),
                    max=format_amount(request.env, case.amount_residual, currency),
                ),
            )
        try:
            with request.env.cr.savepoint():
                promise = (
                    request.env["collection.promise"]
                    .sudo()
                    .create(
                        {
                            "case_id": case.id,
                            "amount": amount,
                            "date_promise": date_promise,
                            "channel_id": request.env.ref("debt_collection.collection_channel_portal").id,
                            "user_id": case._portal_holder().id,
                            "note": _("Taken on the debtor portal."),
                        }
                    )
                )
        except (UserError, ValidationError):
            return self._collection_redirect(
                case, error=_("Your promise could not be recorded (you may already have one running): contact us.")
            )
        self._collection_log(
            case,
            _(
                "Promise to pay of %(amount)s for %(date)s taken on the portal.",
                amount=format_amount(request.env, amount, currency),
                date=format_date(request.env, date_promise),
            ),
            {"promise_id": promise.id},
        )
        return self._collection_redirect(case, message=_("Thank you: your promise is recorded."))

    # ------------------------------------------------------------------
    # Relief plan
    # ------------------------------------------------------------------
    def _collection_plan_terms(self, case, installments, down, first_due):
        """The plan the debtor asks for, checked against the portfolio's
        relief policy; raises UserError with what is wrong."""
        portfolio = case.portfolio_id
        currency = case.currency_id
        today = fields.Date.context_today(case)
        replaced = case.installment_ids.filtered(
            lambda i: (
                i.state in ("pending", "partial")
                and not i.is_disputed
                and not (i.agreement_id and i.agreement_id.state == "active")
                and (case.kind != "internal" or i.move_line_id)
            )
        )
        if not portfolio.relief_max_installments or not replaced:
            raise UserError(_("No payment plan can be asked for on this account: contact us."))
        if case.agreement_ids.filtered(lambda a: a.state == "to_approve"):
            raise UserError(_("A payment plan you asked for is waiting for approval."))
        try:
            count = int(finite_number(installments or 0))
            down = currency.round(finite_number(down or 0))
            first_due = fields.Date.to_date(first_due or False) or today + timedelta(days=30)
        except (TypeError, ValueError, OverflowError) as error:
            raise UserError(_("The plan cannot be read.")) from error
        balance = currency.round(sum(replaced.mapped("amount_residual")))
        condonation_percent = portfolio._relief_condonation(count)
        condonation = currency.round(balance * condonation_percent / 100.0)
        minimum_down = currency.round(balance * portfolio.relief_min_down_percent / 100.0)
        if not 1 <= count <= portfolio.relief_max_installments:
            raise UserError(_("A plan has from 1 to %s installments.", portfolio.relief_max_installments))
        if float_compare(down, minimum_down, precision_rounding=currency.rounding) < 0:
            raise UserError(_("The down payment is at least %s.", format_amount(request.env, minimum_down, currency)))
        if float_compare(down + condonation, balance, precision_rounding=currency.rounding) >= 0:
            raise UserError(_("The down payment is more than what the plan finances."))
        latest = today + timedelta(days=max(portfolio.relief_grace_days, 1))
        if not today < first_due <= latest:
            raise UserError(_("The first installment is due by %s at the latest.", format_date(request.env, latest)))
        rows, totals = schedule_tools.plan(
            balance, condonation, down, count, "none", 0.0, "monthly", first_due, currency.rounding, 0.0
        )
        return {
            "replaced": replaced,
            "count": count,
            "down": down,
            "first_due": first_due,
            "balance": balance,
            "condonation": condonation,
            "condonation_percent": condonation_percent,
            "rows": rows,
            "total": totals["total"],
        }

    def _collection_plan_values(self, case, installments, down, first_due):
        portfolio = case.portfolio_id
        values = {"plan_enabled": bool(portfolio.relief_max_installments), "plan": None, "plan_error": None}
        if installments:
            try:
                values["plan"] = self._collection_plan_terms(case, installments, down, first_due)
            except UserError as error:
                values["plan_error"] = error.args[0]
        return values

    @http.route(
        "/collection/debts/<int:case_id>/plan",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def collection_plan(self, case_id, installments=None, down=None, first_due=None, **_kw):
        case, _debtor = self._collection_case(case_id)
        try:
            terms = self._collection_plan_terms(case, installments, down, first_due)
        except UserError as error:
            return self._collection_redirect(case, error=error.args[0])
        Agreement = request.env["collection.agreement"].sudo()
        try:
            with request.env.cr.savepoint():
                agreement = Agreement.create(
                    {
                        "case_id": case.id,
                        "user_id": case._portal_holder().id,
                        "replaced_installment_ids": [Command.set(terms["replaced"].ids)],
                        "condonation_kind": "principal",
                        "condonation_type": "percent",
                        "condonation_value": terms["condonation_percent"],
                        "down_payment": terms["down"],
                        "interest_method": "none",
                        "installment_count": terms["count"],
                        "frequency": "monthly",
                        "first_due_date": terms["first_due"],
                        "note": _("Asked for by the debtor on the portal."),
                    }
                )
                agreement._check_ready()
                # a debtor whose earlier plan broke does not get a new one alone
                broken = case.agreement_ids.filtered(lambda a: a.state == "broken")
                if agreement.level_id.portal_self_approval and not broken:
                    agreement._approve()
                else:
                    agreement.action_submit()
        except (UserError, ValidationError):
            return self._collection_redirect(
                case, error=_("Your payment plan could not be recorded: contact us to agree on one.")
            )
        approved = agreement.state == "active"
        self._collection_log(
            case,
            _(
                "Payment plan %(name)s of %(count)s installments asked for on the portal: %(outcome)s.",
                name=agreement.name,
                count=terms["count"],
                outcome=_("approved") if approved else _("waiting for approval (%s)", agreement.level_id.name),
            ),
            {"agreement_id": agreement.id},
        )
        if approved:
            return self._collection_redirect(case, message=_("Your payment plan %s is approved.", agreement.name))
        return self._collection_redirect(
            case, message=_("Your payment plan %s is sent for approval: we will answer you shortly.", agreement.name)
        )

    # ------------------------------------------------------------------
    # Dispute
    # ------------------------------------------------------------------
    @http.route(
        "/collection/debts/<int:case_id>/dispute",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def collection_dispute(self, case_id, reason_id=None, description=None, **kw):
        case, _debtor = self._collection_case(case_id)
        installment_ids = {record_id(value) for value in request.httprequest.form.getlist("installment_ids")}
        installments = case.installment_ids.filtered(
            lambda i: i.id in installment_ids and i.state in ("pending", "partial") and not i.is_disputed
        )
        reason = request.env["collection.dispute.reason"].sudo().search([("id", "=", record_id(reason_id))], limit=1)
        description = (description or "").strip()
        if not installments or not reason or not description:
            return self._collection_redirect(
                case, error=_("Choose the installments you contest, the reason, and tell us why.")
            )
        upload = kw.get("attachment")
        data = upload.read(MAX_ATTACHMENT_BYTES + 1) if upload and getattr(upload, "filename", None) else b""
        if len(data) > MAX_ATTACHMENT_BYTES:
            return self._collection_redirect(case, error=_("The document is over 10 MB."))
        try:
            with request.env.cr.savepoint():
                dispute = (
                    request.env["collection.dispute"]
                    .sudo()
                    .create(
                        {
                            "case_id": case.id,
                            "reason_id": reason.id,
                            "installment_ids": [Command.set(installments.ids)],
                            "amount": sum(installments.mapped("amount_residual")),
                            "description": description[:4000],
                        }
                    )
                )
                if data:
                    request.env["ir.attachment"].sudo().create(
                        {
                            "name": upload.filename[:128],
                            "datas": base64.b64encode(data),
                            "res_model": "collection.dispute",
                            "res_id": dispute.id,
                        }
                    )
        except (UserError, ValidationError):
            return self._collection_redirect(case, error=_("Your dispute could not be recorded: contact us."))
        self._collection_log(
            case, _("Dispute %s opened by the debtor on the portal.", dispute.name), {"dispute_id": dispute.id}
        )
        return self._collection_redirect(
            case, message=_("Your dispute %s is recorded: we will look into it.", dispute.name)
        )

    # ------------------------------------------------------------------
    # Paying online
    # ------------------------------------------------------------------
    def _collection_payable(self, case):
        """What may be paid online: the open installments outside disputes."""
        open_installments = case.installment_ids.filtered(
            lambda i: i.state in ("pending", "partial") and not i.is_disputed
        )
        return case.currency_id.round(sum(open_installments.mapped("amount_residual")))

    def _collection_amount(self, case, amount):
        """The amount to pay: what the debtor asked (at most what may be
        paid), else the overdue amount, else all that may be paid."""
        currency = case.currency_id
        payable = self._collection_payable(case)
        default = min(case.amount_overdue or payable, payable)
        try:
            value = currency.round(finite_number(amount)) if amount else default
        except (TypeError, ValueError, OverflowError):
            value = default
        if currency.compare_amounts(value, 0.0) <= 0 or currency.compare_amounts(value, payable) > 0:
            value = default
        return value

    def _collection_providers(self, case, debtor, amount):
        """The payment providers and methods the debtor may pay this case with."""
        providers = (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(case.company_id.id, debtor.id, amount, currency_id=case.currency_id.id)
        )
        methods = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(providers.ids, debtor.id, currency_id=case.currency_id.id)
        )
        return providers, methods

    def _collection_payment_values(self, case, debtor, amount):
        amount = self._collection_amount(case, amount)
        providers, methods = self._collection_providers(case, debtor, amount)
        return {
            "pay_amount": amount,
            "providers_sudo": providers,
            "payment_methods_sudo": methods,
            "tokens_sudo": request.env["payment.token"].sudo().browse(),
            "show_tokenize_input_mapping": {provider.id: False for provider in providers},
            "currency": case.currency_id,
            "partner_id": debtor.id,
            "transaction_route": f"/collection/debts/{case.id}/transaction",
            "landing_route": f"/collection/debts/{case.id}",
            "access_token": "",
            "reference_prefix": case.name,
            "mode": "payment",
            "allow_token_selection": False,
            "allow_token_deletion": False,
        }

    @http.route("/collection/debts/<int:case_id>/transaction", type="json", auth="public", sitemap=False)
    def collection_transaction(self, case_id, access_token=None, **kwargs):
        """Create the transaction of an online payment: the amount is checked
        here (between a cent and the balance), the debtor, the currency and
        where the debtor lands afterwards are the server's."""
        case, debtor = self._collection_case(case_id)
        currency = case.currency_id
        payable = self._collection_payable(case)
        try:
            amount = currency.round(finite_number(kwargs.get("amount") or 0))
        except (TypeError, ValueError, OverflowError) as error:
            raise ValidationError(_("The amount cannot be read.")) from error
        if currency.compare_amounts(amount, 0.0) <= 0 or currency.compare_amounts(amount, payable) > 0:
            raise ValidationError(_("Pay between a cent and %s.", format_amount(request.env, payable, currency)))
        self._validate_transaction_kwargs(kwargs)
        # only the providers and methods the page offers
        providers, methods = self._collection_providers(case, debtor, amount)
        provider_id = record_id(kwargs.get("provider_id"))
        method_id = record_id(kwargs.get("payment_method_id"))
        if provider_id not in providers.ids or method_id not in methods.ids:
            raise ValidationError(_("This payment method is not available."))
        kwargs.update(
            {
                "amount": amount,
                "currency_id": currency.id,
                "partner_id": debtor.id,
                "reference_prefix": case.name,
                "tokenization_requested": False,
                "landing_route": f"/collection/debts/{case.id}",
                "is_validation": False,
            }
        )
        if kwargs.get("flow") == "token":
            raise ValidationError(_("Pay with a new payment method."))
        tx = self._create_transaction(custom_create_values={"collection_case_id": case.id}, **kwargs)
        self._collection_log(
            case,
            _(
                "Online payment %(reference)s of %(amount)s started by the debtor.",
                reference=tx.reference,
                amount=format_amount(request.env, amount, currency),
            ),
            {"transaction_id": tx.id},
        )
        return tx._get_processing_values()
