/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A supervisor opens Collections > Reporting > Dashboard: the Collections
 * spreadsheet dashboard loads its KPI and roll-rate data (a failed data
 * request fails the tour) and offers its filters.
 */
registry.category("web_tour.tours").add("debt_collection_dashboard", {
    url: "/odoo/action-debt_collection.collection_dashboard_action",
    steps: () => [
        {
            content: "The Collections dashboard is the one shown",
            trigger: ".o_spreadsheet_dashboard_action .o_search_panel_category_value.active:contains(Collections)",
        },
        {
            content: "Its spreadsheet is drawn",
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
        },
        {
            content: "Its data is loaded: it filters by month, portfolio, team and collector",
            trigger: ".o_filter_value_container .o-filter-value[title='Portfolio']",
        },
        {
            trigger: ".o_filter_value_container .o-filter-value[title='Collector']",
        },
    ],
});
