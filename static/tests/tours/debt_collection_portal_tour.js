/** @odoo-module **/

import {registry} from "@web/core/registry";

function inDays(days) {
    const date = new Date(Date.now() + days * 86400000);
    return date.toISOString().slice(0, 10);
}

/**
 * A debtor follows the link of their letter: their debt, the statement PDF,
 * a payment plan simulated and accepted within the portfolio's policy, then
 * the down payment paid online with Odoo's demo provider; the receipt is on
 * the page afterwards.
 */
registry.category("web_tour.tours").add("debt_collection_debtor_portal", {
    steps: () => [
        {
            content: "The debtor's open debt",
            trigger: "tr.dc_portal_case a",
            run: "click",
        },
        {
            content: "The statement of account is a PDF",
            trigger: "a.dc_portal_statement",
            run: async function () {
                const response = await fetch(this.anchor.getAttribute("href"));
                const type = response.headers.get("Content-Type") || "";
                if (!response.ok || !type.includes("application/pdf")) {
                    throw new Error(`The statement is not a PDF (${response.status} ${type})`);
                }
            },
        },
        {
            content: "Six monthly installments",
            trigger: "form.dc_portal_simulate input[name=installments]",
            run: "edit 6",
        },
        {
            content: "A down payment of 60",
            trigger: "form.dc_portal_simulate input[name=down]",
            run: "edit 60",
        },
        {
            content: "The first installment in twenty days",
            trigger: "form.dc_portal_simulate input[name=first_due]",
            run: function () {
                this.anchor.value = inDays(20);
            },
        },
        {
            content: "Simulate the plan",
            trigger: "form.dc_portal_simulate button[type=submit]",
            run: "click",
        },
        {
            content: "Accept the plan simulated",
            trigger: "table.dc_portal_plan ~ form button.dc_portal_accept_plan",
            run: "click",
        },
        {
            content: "The plan is approved at once",
            trigger: ".dc_portal_success:contains(is approved)",
        },
        {
            content: "Pay the down payment: 60",
            trigger: "#dc_pay_amount",
            run: "edit 60",
        },
        {
            trigger: "#dc_pay_amount + button, form:has(#dc_pay_amount) button[type=submit]",
            run: "click",
        },
        {
            content: "The amount to pay",
            trigger: ".dc_portal_pay_amount:contains(60.00)",
        },
        {
            content: "The demo provider's card details",
            trigger: "#customer_input",
            run: "edit 4111 1111 1111 1111",
        },
        {
            content: "Pay",
            trigger: "button[name=o_payment_submit_button]:enabled",
            run: "click",
        },
        {
            content: "Back on the debt, the receipt of the payment",
            trigger: ".dc_portal_debt a[href*='/receipt/']",
            timeout: 20000,
        },
    ],
});
