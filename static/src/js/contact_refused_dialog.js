/** @odoo-module **/

import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { WarningDialog } from "@web/core/errors/error_dialogs";

/**
 * A contact the debtor's contact policy refuses is shown in a dialog titled
 * as such, not as a generic "Invalid Operation".
 */
export class ContactRefusedDialog extends WarningDialog {
    inferTitle() {
        return _t("Contact refused by the contact rules");
    }
}

registry
    .category("error_dialogs")
    .add("odoo.addons.debt_collection.models.collection_case_contact.ContactRefused", ContactRefusedDialog);
