"""The one XLSX builder every export uses: text cells are written as text
(never as a formula or a link), numbers as numbers. No database access."""

import io
import re
from numbers import Number

import xlsxwriter


def workbook(sheets):
    """The bytes of an XLSX file of ``sheets``: [(name, headers, rows)],
    rows being lists of cell values (None for an empty cell); characters a
    sheet name may not hold become dashes."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    for name, headers, rows in sheets:
        sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", "-", name)[:31])
        for col, header in enumerate(headers):
            sheet.write_string(0, col, str(header), bold)
        for row_index, values in enumerate(rows, start=1):
            for col, value in enumerate(values):
                if value is None or value is False:
                    continue
                if isinstance(value, Number) and not isinstance(value, bool):
                    sheet.write_number(row_index, col, value)
                else:
                    sheet.write_string(row_index, col, str(value))
        sheet.set_column(0, max(len(headers) - 1, 0), 18)
    book.close()
    return output.getvalue()
