/** @odoo-module **/

import { registry } from "@web/core/registry";
import { formatDate } from "@web/core/l10n/dates";

const { DateTime } = luxon;

/**
 * A collector opens the work list, presses the phone button of a card,
 * logs the call with the result "Promise to pay" and takes the promise in
 * the same dialog; a confirmation says what changed and the card shows the
 * promise. The card said beforehand that the debtor may be called now; the
 * debtor is then found by their number typed in another format.
 */
registry.category("web_tour.tours").add("debt_collection_log_call", {
    url: "/odoo/action-debt_collection.collection_case_action",
    steps: () => [
        {
            content: "The card says the debtor may be called now",
            trigger: ".o_kanban_record:contains(Tour Caller) .o_collection_contact_now:contains(Call allowed now)",
        },
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
            content: "A confirmation says what changed",
            trigger: ".o_notification:contains(Promise to pay logged on):contains(recorded)",
        },
        {
            content: "The card shows the promise",
            trigger: ".o_kanban_record:contains(Tour Caller) .fa-handshake-o",
        },
        {
            content: "A debtor calling in is found by the number they call from, in any format",
            trigger: ".o_searchview_input",
            run: "edit (300) 555-0199",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            trigger: ".o_searchview .o_facet_value:contains(555-0199)",
        },
        {
            content: "Only that debtor's case is left",
            trigger: ".o_kanban_renderer:not(:has(.o_kanban_record:contains(Tour Other))) .o_kanban_record:contains(Tour Caller)",
        },
    ],
});
