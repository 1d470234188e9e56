"""The annex of a provincial "Quyết định công bố danh mục thủ tục hành chính" (.docx).

The body is walked in order, paragraphs and tables alike, because a paragraph between two
tables ('B. DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ') says what the next table lists. Tables
without the code and name headers (the letterhead, the 'Nơi nhận' box) are skipped; a table
without a header of its own but with the previous table's columns continues it. The decision's
number and date are read from the text ('Số: 1766/QĐ-UBND', 'Bình Thuận, ngày 03 tháng 8 năm
2020', or 'Kèm theo Quyết định số 378/QĐ-UBND ngày 18 tháng 3 năm 2022'), and so is the date it
takes effect ('Quyết định này có hiệu lực kể từ ngày ký'): `tabular.read_decision`.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from qrproc.errors import ParseError
from qrproc.i18n import _
from qrproc.model import Catalogue, normalise_code
from qrproc.sources.tabular import (
    HEADER_SEARCH,
    GroupState,
    Header,
    Rows,
    apply_heading,
    build_catalogue,
    check_rows,
    find_header,
    ignored_warning,
    no_table_error,
    read_decision,
    read_rows,
)
from qrproc.vntext import check_text
from qrproc.sources.archive import check_zip

#: Errors python-docx raises for a file that is not a readable document.
_BROKEN = (PackageNotFoundError, zipfile.BadZipFile, KeyError, OSError, ValueError)


@dataclass(frozen=True)
class _Grid:
    """One table of the body as rows of cell texts, with its 1-based number."""

    number: int
    rows: list[list[str]]


@dataclass(frozen=True)
class _Text:
    """One paragraph of the body, with its 1-based number (empty paragraphs count too)."""

    number: int
    text: str


Block = Union[_Text, _Grid]


def load(path: str | Path, **kw) -> Catalogue:
    """Read the procedure tables of a .docx annex."""
    path = Path(path)
    check_zip(path)
    try:
        document = docx.Document(str(path))
    except _BROKEN as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ParseError(_("{file}: not a readable .docx document ({detail})").format(
            file=path.name, detail=detail)) from None
    return parse_document(document, path.name, **kw)


def parse_document(document: Document, where: str, *,
                   header_search: int = HEADER_SEARCH) -> Catalogue:
    """Read every procedure table of `document`, in body order, into one Catalogue."""
    blocks = list(body_blocks(document))
    defaults = read_decision(_all_texts(blocks))
    state = GroupState()
    found = Rows()
    ignored: list[str] = []
    previous: Header | None = None
    for block in blocks:
        if isinstance(block, _Text):
            check_text(block.text, _("{where}, paragraph {paragraph}").format(
                where=where, paragraph=block.number))
            apply_heading(block.text, state)
            continue
        place = _table_place(block.number)
        check_rows(block.rows, where, place)
        header = find_header(block.rows, header_search=header_search) or _continued(block, previous)
        if header is None:
            continue
        rows = read_rows(block.rows, header, where, state=state, defaults=defaults, place=place)
        found.procedures.extend(rows.procedures)
        found.warnings.extend(rows.warnings)
        ignored.extend(rows.ignored)
        previous = header
    if previous is None:
        raise no_table_error(where)
    state.close()
    return build_catalogue(where, found.procedures,
                           found.warnings + ignored_warning(where, ignored) + state.notes,
                           defaults=defaults)


def body_blocks(document: Document) -> Iterator[Block]:
    """The paragraphs and tables (as grids of texts) of the body, in document order."""
    paragraphs = tables = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraphs += 1
            text = Paragraph(child, document).text  # raw: the legacy check reads it first
            if text.strip():
                yield _Text(paragraphs, text)
        elif tag == "tbl":
            tables += 1
            yield _Grid(tables, table_grid(Table(child, document)))


def table_grid(table: Table) -> list[list[str]]:
    """Cell texts by grid column, a horizontal merge's text in its first column only."""
    # python-docx repeats a merged cell in every grid column it spans; a vertical merge keeps
    # its text in every row, which is what a data row needs.
    grid = []
    for row in table.rows:
        texts: list[str] = []
        previous = None
        for cell in row.cells:
            texts.append("" if cell._tc is previous else cell.text)
            previous = cell._tc
        grid.append(texts)
    return grid


def _all_texts(blocks: list[Block]) -> list[str]:
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, _Text):
            texts.append(block.text)
        else:
            texts.extend(t for row in block.rows for t in row if t)
    return texts


def _table_place(number: int):
    # an origin is data, the same in every language (i18n.place translates it when shown)
    return lambda index: f"table {number} row {index + 1}"


def _continued(block: _Grid, previous: Header | None) -> Header | None:
    """The previous table's header, for a table that carries on without one of its own."""
    if previous is None or not block.rows:
        return None
    width = max(previous.columns.values()) + 1
    code_col = previous.columns["code"]
    same_shape = all(len(r) >= width for r in block.rows)
    has_codes = any(code_col < len(r) and normalise_code(r[code_col])[0] for r in block.rows)
    if not (same_shape and has_codes):
        return None
    return Header(previous.columns, previous.labels, first_row=-1, last_row=-1)
