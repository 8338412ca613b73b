/** @odoo-module **/

import { registry } from "@web/core/registry";
import { formatDate } from "@web/core/l10n/dates";

const { DateTime } = luxon;

/**
 * A collector opens the work list, presses the phone button of a card,
 * logs the call with the result "Promise to pay" and takes the promise in
 * the same dialog; the card then shows the promise.
 */
registry.category("web_tour.tours").add("debt_collection_log_call", {
    url: "/odoo/action-debt_collection.collection_case_action",
    steps: () => [
        {
            content: "Log a call from the card",
            trigger: ".o_kanban_record:contains(Tour Caller) button.o_collection_card_log_call",
            run: "click",
        },
        {
            content: "The dialog proposes the debtor's mobile",
            trigger: ".modal div[name=phone] input:value(+573005550199)",
        },
        {
            content: "Choose the result",
            trigger: ".modal div[name=result_id] input",
            run: "edit Promise to pay",
        },
        {
            trigger: ".ui-menu-item a:contains(Promise to pay)",
            run: "click",
        },
        {
            content: "The promise is taken in the same dialog",
            trigger: ".modal div[name=promise_amount] input",
            run: "edit 120",
        },
        {
            trigger: ".modal div[name=promise_date] input",
            run: `edit ${formatDate(DateTime.now().plus({ days: 3 }))}`,
        },
        {
            trigger: ".modal div[name=note] textarea",
            run: "edit Will pay on Friday after payday",
        },
        {
            content: "Log the call",
            trigger: ".modal footer button[name=action_log]",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The card shows the promise",
            trigger: ".o_kanban_record:contains(Tour Caller) .fa-handshake-o",
        },
    ],
});
