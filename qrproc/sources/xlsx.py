"""Excel lists (.xlsx), such as the national portal's list export.

The export has a title row or two above the header (Mã TTHC, Tên TTHC, Lĩnh vực, Đối tượng,
Cơ quan công khai, Cấp thực hiện, Tình trạng, QĐ Công bố) and merged header cells, so the
workbook is opened in normal mode (not read-only, which cannot see merged ranges) and every
merged range is filled with its top-left value before the table is read.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from qrproc.errors import ParseError
from qrproc.i18n import _
from qrproc.model import Catalogue
from qrproc.sources.archive import check_zip
from qrproc.sources.tabular import HEADER_SEARCH, NoTableError, no_table_error, parse_table

#: Errors openpyxl raises for a file that is not a readable workbook.
_BROKEN = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError)


def load(path: str | Path, **kw) -> Catalogue:
    """Read the first sheet of an .xlsx workbook that holds a procedure table."""
    path = Path(path)
    check_zip(path)
    try:
        workbook = load_workbook(path, data_only=True)
    except _BROKEN as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ParseError(_("{file}: not a readable .xlsx workbook ({detail})").format(
            file=path.name, detail=detail)) from None
    try:
        sheets = [(ws.title, sheet_rows(ws)) for ws in workbook.worksheets]
    finally:
        workbook.close()
    return parse_sheets(sheets, path.name, **kw)


def parse_sheets(sheets: list[tuple[str, list[list[object]]]], where: str, *,
                 header_search: int = HEADER_SEARCH) -> Catalogue:
    """The Catalogue of the first sheet (title, rows) that holds a procedure table."""
    for title, rows in sheets:
        label = where if len(sheets) == 1 else _("{where}, sheet '{sheet}'").format(where=where, sheet=title)
        try:
            found = parse_table(rows, label, header_search=header_search)
        except NoTableError:
            continue
        return found.replace(source=where)
    raise no_table_error(where)


def sheet_rows(ws: Worksheet) -> list[list[object]]:
    """The sheet's values as rows, each merged range filled with its top-left value."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    for merged in ws.merged_cells.ranges:
        top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
        for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
            row = rows[r]
            row.extend([None] * (merged.max_col - len(row)))
            for c in range(merged.min_col - 1, merged.max_col):
                row[c] = top
    return rows
