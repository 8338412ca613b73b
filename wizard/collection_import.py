import base64

from markupsafe import Markup
from markupsafe import escape

from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

from ..models.collection_import_job import SYNC_ROW_LIMIT
from ..models.collection_import_template import COLUMN_SELECTION
from ..tools import import_parser
from ..tools.import_parser import ParseError

PREVIEW_ROWS = 8


class CollectionImport(models.TransientModel):
    """Load a creditor's XLSX or CSV file into an external portfolio:
    upload, check the column mapping on a preview, import."""

    _name = "collection.import"
    _description = "Import Creditor File"

    portfolio_id = fields.Many2one(
        "collection.portfolio", required=True, domain="[('kind', '=', 'external'), ('state', '!=', 'closed')]"
    )
    creditor_id = fields.Many2one(related="portfolio_id.creditor_id")
    file = fields.Binary(required=True, attachment=False)
    file_name = fields.Char()
    template_id = fields.Many2one(
        "collection.import.template",
        domain="['|', ('creditor_id', '=', False), ('creditor_id', '=', creditor_id)]",
    )
    line_ids = fields.One2many("collection.import.line", "wizard_id", string="Columns")
    decimal_separator = fields.Selection(import_parser.DECIMAL_SEPARATOR_CHOICES, default="auto", required=True)
    date_format = fields.Selection(import_parser.DATE_FORMAT_CHOICES, default="auto", required=True)
    mode = fields.Selection(
        [("all", "All or nothing"), ("valid", "Import the valid rows, keep the rejected ones in the error file")],
        default="all",
        required=True,
    )
    mark_missing = fields.Boolean(
        "Return Missing Cases",
        help="The file is the creditor's whole portfolio: open cases whose debtor is not in it are "
        "closed as returned to the creditor. A file without rows or with rejected rows returns nothing.",
    )
    save_template = fields.Boolean("Save Mapping as Template")
    template_name = fields.Char()
    state = fields.Selection([("upload", "Upload"), ("map", "Mapping")], default="upload", required=True)
    file_info = fields.Char(readonly=True)
    preview = fields.Html(readonly=True, sanitize=False)
    check_result = fields.Html(readonly=True, sanitize=False, help="What Check the Whole File found.")
    row_count = fields.Integer(readonly=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "collection.portfolio" and self.env.context.get("active_id"):
            res.setdefault("portfolio_id", self.env.context["active_id"])
        return res

    @api.onchange("portfolio_id")
    def _onchange_portfolio_id(self):
        template = self.portfolio_id.import_template_id or self.env["collection.import.template"]._for_creditor(
            self.portfolio_id.creditor_id
        )
        if template:
            self.template_id = template

    @api.onchange("template_id")
    def _onchange_template_id(self):
        if self.template_id:
            self.decimal_separator = self.template_id.decimal_separator
            self.date_format = self.template_id.date_format

    def _mapping(self):
        return {line.header: line.column for line in self.line_ids if line.column}

    def _read(self, mapping=None):
        if not self.file:
            raise UserError(_("Choose the file to import."))
        return self.portfolio_id._import_read_file(base64.b64decode(self.file), self.file_name or "", mapping)

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Import Creditor File"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "context": self.env.context,
        }

    def action_read(self):
        """Read the headers, propose the mapping, show the preview."""
        self.ensure_one()
        mapping = self.template_id._as_mapping() if self.template_id else None
        records, headers, info = self._read(mapping)
        column_map = info["column_map"]
        samples = records[0].get("_cells", []) if records else []
        self.line_ids = [fields.Command.clear()] + [
            fields.Command.create(
                {
                    "sequence": index,
                    "header": header or _("Column %s", index + 1),
                    "column": column_map.get(index),
                    "sample": import_parser.clean(samples[index]) if index < len(samples) else "",
                }
            )
            for index, header in enumerate(headers)
        ]
        details = [info["format"].upper(), _("%s rows", len(records))]
        if info.get("encoding"):
            details.append(_("encoding %s", info["encoding"]))
        if info.get("delimiter"):
            details.append(_("separator %s", repr(info["delimiter"])))
        if info.get("debtor_sheet"):
            details.append(_("debtor sheet joined"))
        self.write({"state": "map", "file_info": ", ".join(details), "row_count": len(records)})
        self._build_preview(records[:PREVIEW_ROWS])
        return self._reopen()

    def action_check(self):
        """Validate the whole file without writing anything."""
        self.ensure_one()
        records, _headers, _info = self._read(self._mapping())
        result = self.portfolio_id._import_records(records, self._options(dry_run=True))
        self._build_preview(records[:PREVIEW_ROWS], result["errors"])
        return self._reopen()

    def _options(self, dry_run=False):
        return {
            "mode": self.mode,
            "mark_missing": self.mark_missing,
            "decimal_separator": self.decimal_separator,
            "date_format": self.date_format,
            "dry_run": dry_run,
            "source": "wizard",
        }

    def action_import(self):
        self.ensure_one()
        if self.state == "upload":
            self.action_read()
        mapping = self._mapping()
        if not {"due_date", "installment_amount"} <= set(mapping.values()):
            raise UserError(_("Map at least the due date and the installment amount to a column of the file."))
        if self.save_template:
            self._save_template(mapping)
        job = self.env["collection.import.job"].create(
            {
                "name": self.file_name or _("import"),
                "portfolio_id": self.portfolio_id.id,
                "source": "wizard",
                "file": self.file,
                "mapping": mapping,
                "mode": self.mode,
                "mark_missing": self.mark_missing,
                "decimal_separator": self.decimal_separator,
                "date_format": self.date_format,
            }
        )
        if self.row_count <= SYNC_ROW_LIMIT:
            job._run()
        else:
            self.env.ref("debt_collection.ir_cron_collection_import_jobs")._trigger()
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.import.job",
            "res_id": job.id,
            "view_mode": "form",
            "target": "current",
        }

    def _save_template(self, mapping):
        vals = {
            "name": self.template_name or _("%s columns", self.portfolio_id.creditor_id.name or self.portfolio_id.name),
            "creditor_id": self.portfolio_id.creditor_id.id,
            "company_id": self.portfolio_id.company_id.id,
            "decimal_separator": self.decimal_separator,
            "date_format": self.date_format,
            "line_ids": [fields.Command.clear()]
            + [fields.Command.create({"header": header, "column": column}) for header, column in mapping.items()],
        }
        if self.template_id and not self.template_name:
            self.template_id.write(vals)
            template = self.template_id
        else:
            template = self.env["collection.import.template"].create(vals)
        if not self.portfolio_id.import_template_id:
            self.portfolio_id.import_template_id = template

    def _build_preview(self, records, errors=None):
        """An HTML table of the first rows as they will be read."""
        columns = [line for line in self.line_ids.sorted("sequence") if line.column]
        labels = dict(COLUMN_SELECTION)
        head = Markup("").join(Markup("<th>%s</th>") % labels[line.column] for line in columns)
        body = []
        for record in records:
            cells = record.get("_cells") or []
            values = []
            for line in columns:
                raw = cells[line.sequence] if line.sequence < len(cells) else None
                values.append(Markup("<td>%s</td>") % self._preview_value(line.column, raw))
            body.append(Markup("<tr><td>%s</td>%s</tr>") % (record["_row"], Markup("").join(values)))
        # one line per row, scrolled sideways: a wide file stays readable
        html = Markup(
            '<div class="table-responsive"><table class="table table-sm table-bordered text-nowrap '
            'o_collection_import_preview"><thead><tr><th>%s</th>%s</tr></thead><tbody>%s</tbody></table></div>'
        ) % (_("Row"), head, Markup("").join(body))
        self.preview = html
        # the result of a check is shown first, above the mapping
        self.check_result = False
        html = Markup("")
        if errors is not None:
            if errors:
                items = Markup("").join(
                    Markup("<li>%s</li>") % self.env._("Row %(row)s: %(message)s", row=row, message=message)
                    for row, message in sorted(errors.items())[:200]
                )
                html += Markup('<div class="alert alert-danger" role="alert"><strong>%s</strong><ul>%s</ul></div>') % (
                    _("%s rows have errors:", len(errors)),
                    items,
                )
            else:
                html += Markup('<div class="alert alert-success" role="status">%s</div>') % _(
                    "All %s rows are valid.", self.row_count
                )
            self.check_result = html

    def _preview_value(self, column, raw):
        try:
            if column in ("installment_amount", "debt_amount"):
                value = import_parser.parse_amount(raw, self.decimal_separator)
            elif column in ("due_date", "debt_since"):
                value = import_parser.parse_date(raw, self.date_format)
            else:
                value = import_parser.clean(raw)
        except ParseError as exc:
            return Markup('<span class="text-danger">%s</span>') % self.portfolio_id._import_parse_message(exc)
        return escape("" if value is None else str(value))


class CollectionImportLine(models.TransientModel):
    _name = "collection.import.line"
    _description = "Import Creditor File Column"
    _order = "sequence"

    wizard_id = fields.Many2one("collection.import", required=True, ondelete="cascade")
    sequence = fields.Integer()
    header = fields.Char("File Header", readonly=True)
    column = fields.Selection(COLUMN_SELECTION, string="Field")
    sample = fields.Char("First Row", readonly=True)
