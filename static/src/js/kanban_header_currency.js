/** @odoo-module **/

import { getCurrency } from "@web/core/currency";
import { patch } from "@web/core/utils/patch";
import { KanbanHeader } from "@web/views/kanban/kanban_header";

/**
 * A kanban column's sum of a monetary field shows its currency symbol when
 * every card of the column is in the same currency (the cases' balance in
 * their company's currency, on the Team Board and the Work List).
 */
patch(KanbanHeader.prototype, {
    get groupAggregate() {
        const aggregate = super.groupAggregate;
        const { sumField } = this.props.progressBarState.progressAttributes;
        if (aggregate.currency || !sumField || sumField.type !== "monetary") {
            return aggregate;
        }
        const currencyField = sumField.currency_field || "currency_id";
        const ids = new Set(
            (this.props.group.list.records || []).map((record) => {
                const value = record.data[currencyField];
                return Array.isArray(value) ? value[0] : value && value.id;
            })
        );
        if (ids.size !== 1) {
            return aggregate;
        }
        const currency = getCurrency([...ids][0]);
        return currency ? { ...aggregate, currency } : aggregate;
    },
});
