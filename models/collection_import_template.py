from odoo import api
from odoo import fields
from odoo import models

from ..tools import import_parser

COLUMN_SELECTION = [(key, label) for key, label in import_parser.COLUMN_LABELS.items()]


class CollectionImportTemplate(models.Model):
    """A saved column mapping for a creditor's files: which header of the
    file feeds which field, and how its numbers and dates are written."""

    _name = "collection.import.template"
    _description = "Collection Import Template"
    _order = "creditor_id, name"
    _check_company_auto = True

    name = fields.Char(required=True)
    creditor_id = fields.Many2one("res.partner", index=True, check_company=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    active = fields.Boolean(default=True)
    line_ids = fields.One2many("collection.import.template.line", "template_id", string="Columns", copy=True)
    decimal_separator = fields.Selection(import_parser.DECIMAL_SEPARATOR_CHOICES, default="auto", required=True)
    date_format = fields.Selection(import_parser.DATE_FORMAT_CHOICES, default="auto", required=True)

    def _as_mapping(self):
        """{file header: column key}"""
        self.ensure_one()
        return {line.header: line.column for line in self.line_ids if line.column}

    @api.model
    def _for_creditor(self, creditor):
        return self.search([("creditor_id", "=", creditor.id)], limit=1) if creditor else self.browse()


class CollectionImportTemplateLine(models.Model):
    _name = "collection.import.template.line"
    _description = "Collection Import Template Column"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one("collection.import.template", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    header = fields.Char("File Header", required=True)
    column = fields.Selection(COLUMN_SELECTION, string="Field")
