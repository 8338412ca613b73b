"""The register's entries and exits of a period, as CSV or XLSX in a
layout a credit bureau asks for."""

import base64
import csv
import io

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tools import float_repr

from ..tools import xlsx


class CollectionRegisterExport(models.TransientModel):
    _name = "collection.register.export"
    _description = "Export the Delinquent Register"

    date_from = fields.Date("From", required=True, default=lambda self: fields.Date.context_today(self).replace(day=1))
    date_to = fields.Date("To", required=True, default=fields.Date.context_today)
    layout_id = fields.Many2one("collection.register.layout", required=True)
    file_format = fields.Selection([("csv", "CSV"), ("xlsx", "Excel (XLSX)")], required=True, default="xlsx")
    file = fields.Binary(readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        layout = self.env["collection.register.layout"].search([], limit=1)
        values.setdefault("layout_id", layout.id)
        return values

    def _rows(self):
        """[(column key -> value)] of the entries and exits of the period,
        by date, the records the user may read."""
        Register = self.env["collection.register"]
        entries = Register.search(
            [("date_entry", ">=", self.date_from), ("date_entry", "<=", self.date_to)], order="date_entry, id"
        )
        exits = Register.search(
            [("date_exit", ">=", self.date_from), ("date_exit", "<=", self.date_to), ("state", "=", "exited")],
            order="date_exit, id",
        )
        reasons = dict(Register._fields["exit_reason"]._description_selection(self.env))
        date_format = self.layout_id.date_format

        def day(value):
            return value.strftime(date_format) if value else ""

        rows = []
        for event, records in (("entry", entries), ("exit", exits)):
            for entry in records:
                case, debtor = entry.case_id, entry.partner_id
                rows.append(
                    {
                        "event": _("entry") if event == "entry" else _("exit"),
                        "event_date": day(entry.date_entry if event == "entry" else entry.date_exit),
                        "debtor_name": debtor.name or "",
                        "debtor_vat": debtor.vat or "",
                        "debtor_ref": debtor.ref or "",
                        "debtor_country": debtor.country_id.code or "",
                        "case_ref": case.name,
                        "creditor_ref": case.external_ref or "",
                        "portfolio": entry.portfolio_id.name or "",
                        "creditor": case.portfolio_id.creditor_id.name or "",
                        "contract_ref": entry.contract_ref or "",
                        "amount": float_repr(entry.amount, entry.currency_id.decimal_places),
                        "currency": entry.currency_id.name or "",
                        "days_overdue": str(entry.days_overdue),
                        "notice_date": day(entry.date_notice),
                        "entry_date": day(entry.date_entry),
                        "exit_date": day(entry.date_exit),
                        "exit_reason": reasons.get(entry.exit_reason, "") if event == "exit" else "",
                        "note": entry.note or "",
                        "_sort": (entry.date_entry if event == "entry" else entry.date_exit, entry.id),
                    }
                )
        rows.sort(key=lambda row: row["_sort"])
        return rows

    def action_export(self):
        self.ensure_one()
        if not self.env.user.has_group("debt_collection.group_collection_supervisor"):
            raise AccessError(_("Exporting the delinquent register is for supervisors and managers."))
        if self.date_to < self.date_from:
            raise UserError(_("The period ends before it starts."))
        columns = self.layout_id.line_ids
        if not columns:
            raise UserError(_("The layout %s has no column.", self.layout_id.name))
        rows = self._rows()
        headers = columns.mapped("header")
        table = [[row[line.column] for line in columns] for row in rows]
        if self.file_format == "csv":
            text = io.StringIO()
            writer = csv.writer(text, delimiter=self.layout_id.delimiter or ";")
            writer.writerow(headers)
            writer.writerows(table)
            data = text.getvalue().encode("utf-8-sig")
        else:
            data = xlsx.workbook([(_("Register"), headers, table)])
        name = f"register_{self.date_from}_{self.date_to}.{self.file_format}"
        self.write({"file": base64.b64encode(data), "file_name": name})
        self.env["collection.event"].sudo()._log(
            "export",
            _("Delinquent register exported (%(count)s rows, %(start)s to %(end)s).", count=len(rows),
              start=self.date_from, end=self.date_to),
            company=self.env.company,
        )  # fmt: skip
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file/{name}?download=true",
            "target": "self",
        }
