/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * A supervisor opens Collections > Supervision > Distribute Cases, picks the
 * portfolio, gives its unassigned cases to one collector, checks the preview
 * and distributes.
 */
registry.category("web_tour.tours").add("debt_collection_distribute", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("debt_collection.debt_collection_menu_root", "Open the Collections app"),
        {
            content: "Open the supervision menu",
            trigger: ".o_menu_sections button:contains(Supervision)",
            run: "click",
        },
        {
            content: "Open the distribution wizard",
            trigger: ".dropdown-item:contains(Distribute Cases)",
            run: "click",
        },
        {
            content: "Choose the portfolio",
            trigger: ".modal div[name=portfolio_id] input",
            run: "edit Tour Portfolio",
        },
        {
            trigger: ".ui-menu-item a:contains(Tour Portfolio)",
            run: "click",
        },
        {
            content: "All to one collector",
            trigger: ".modal div[name=method] label:contains(All to one collector)",
            run: "click",
        },
        {
            content: "Choose the collector",
            trigger: ".modal div[name=manual_user_id] input",
            run: "edit Ana Collector",
        },
        {
            trigger: ".ui-menu-item a:contains(Ana Collector)",
            run: "click",
        },
        {
            content: "Preview the distribution",
            trigger: ".modal footer button[name=action_preview]",
            run: "click",
        },
        {
            content: "The preview gives the four cases to Ana",
            trigger: ".modal div[name=line_ids] .o_data_row:contains(Ana Collector) td[name=new_count]:contains(4)",
        },
        {
            content: "Distribute",
            trigger: ".modal footer button[name=action_apply]",
            run: "click",
        },
        {
            content: "The wizard closes",
            trigger: "body:not(:has(.modal))",
        },
    ],
});

/**
 * The collector logs in and lands on the work list (their Today list): one
 * ordered list of cards across stages — promise due, call-back due, then by
 * priority score — with grouping by stage one click away.
 */
const workListOrder = [
    {
        content: "The collector lands on the work list",
        trigger: ".o_web_client:has(.o_kanban_view):contains(Work List)",
    },
    {
        content: "One list, not columns by stage",
        trigger: ".o_kanban_renderer:not(.o_kanban_grouped)",
    },
    {
        content: "First the promise due today",
        trigger: ".o_kanban_record:not(.o_kanban_ghost):eq(0):contains(Tour Promise)",
    },
];

registry.category("web_tour.tours").add("debt_collection_work_list", {
    url: "/odoo",
    steps: () => [
        ...workListOrder,
        {
            content: "The Today filter is on",
            trigger: ".o_searchview .o_facet_value:contains(Today)",
        },
        {
            content: "Then the call-back due today",
            trigger: ".o_kanban_record:not(.o_kanban_ghost):eq(1):contains(Tour Callback)",
        },
        {
            content: "Then the largest, oldest debt (another stage)",
            trigger: ".o_kanban_record:not(.o_kanban_ghost):eq(2):contains(Tour Big)",
        },
        {
            content: "And last the small one",
            trigger: ".o_kanban_record:not(.o_kanban_ghost):eq(3):contains(Tour Small)",
        },
        {
            content: "Grouping by stage is one click away",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            trigger: ".o_group_by_menu .o_menu_item:contains(Stage)",
            run: "click",
        },
        {
            content: "The cases in their stage columns",
            trigger: ".o_kanban_group:has(.o_column_title:contains(Delinquent)) .o_kanban_record:contains(Tour Big)",
        },
        {
            content: "The column's balance carries its currency symbol",
            trigger: ".o_kanban_group:has(.o_column_title:contains(Delinquent)) .o_animated_number:contains($)",
        },
        {
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Open the first card",
            trigger: ".o_kanban_record:contains(Tour Promise)",
            run: "click",
        },
        {
            content: "The case form of the debtor opens",
            trigger: ".o_control_panel .o_breadcrumb:contains(Tour Promise)",
        },
        {
            content: "Open the promises",
            trigger: ".o_form_view .o_notebook a:contains(Promises)",
            run: "click",
        },
        {
            content: "The promise due today is listed",
            trigger: ".o_form_view div[name=promise_ids] .o_data_row:contains(Open)",
        },
    ],
});

registry.category("web_tour.tours").add("debt_collection_work_list_phone", {
    url: "/odoo",
    steps: () => [
        ...workListOrder,
        {
            content: "The best case is the first card on the screen",
            trigger: ".o_kanban_record:not(.o_kanban_ghost):eq(0):contains(Tour Promise)",
            run() {
                const card = this.anchor.getBoundingClientRect();
                if (card.top > window.innerHeight || card.left > window.innerWidth) {
                    throw new Error("The first card is off-screen");
                }
            },
        },
    ],
});
