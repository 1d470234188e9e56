"""CSV lists: UTF-8 with or without BOM, comma, semicolon or tab separated.

The separator is the one that splits the header row into the code and name columns (a
semicolon file whose names contain commas must not be read as comma-separated); when no header
is found that way, the one that splits the most lines alike. A file cut off in the middle of a
row (an unclosed quote at the end, or a last line shorter than the header with no line end) is
refused: its last procedure would be stored with a truncated name.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from qrproc.errors import ParseError
from qrproc.i18n import _
from qrproc.model import Catalogue
from qrproc.sources.columns import REQUIRED, match_header
from qrproc.sources.tabular import HEADER_SEARCH, find_header, parse_table
from qrproc.vntext import decode_bytes

#: Separators tried (Excel in a Vietnamese locale writes ";"); on a tie the first wins.
DELIMITERS = (",", ";", "\t")
#: How many lines the separator is sniffed from.
SNIFF_LINES = 30


def load(path: str | Path, **kw) -> Catalogue:
    """Read a CSV file of procedures."""
    path = Path(path)
    return parse_csv(decode_bytes(path.read_bytes(), path.name), path.name, **kw)


def parse_csv(text: str, where: str, *, header_search: int = HEADER_SEARCH) -> Catalogue:
    """Parse CSV text (already decoded) into a Catalogue."""
    delimiter = sniff_delimiter(text, header_search=header_search)
    rows = _read(text, delimiter, where, strict=True)
    if rows is None:  # a stray quote strict reading refuses but Excel accepts
        rows = _read(text, delimiter, where, strict=False)
    _check_complete(rows, text, where, header_search)
    return parse_table(rows, where, header_search=header_search)


def _read(text: str, delimiter: str, where: str, *, strict: bool) -> list[list[str]] | None:
    """The rows; None when strict reading found a quote out of place (read again leniently)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        if "end of data" in str(exc):
            raise ParseError(_("{where}, row {row}: the file ends inside a quoted cell; it looks "
                               "cut off: get the whole file again").format(
                                   where=where, row=len(rows) + 1)) from None
        if strict:
            return None
        raise ParseError(_("{where}, row {row}: not valid CSV ({problem})").format(
            where=where, row=reader.line_num, problem=exc)) from None
    return rows


def _check_complete(rows: list[list[str]], text: str, where: str, header_search: int) -> None:
    """Refuse a file whose last line stops short of the header's columns with no line end."""
    if not rows or text.endswith(("\n", "\r")):
        return
    header = find_header(rows, header_search=header_search)
    if header is None or header.last_row == len(rows) - 1:
        return
    width = max(header.columns.values()) + 1
    last = rows[-1]
    if len(last) < width:
        raise ParseError(_("{where}, row {row}: the file ends in the middle of this row ({cells} "
                           "of {width} columns); it looks cut off: get the whole file again").format(
                               where=where, row=len(rows), cells=len(last), width=width))


def sniff_delimiter(text: str, *, header_search: int = HEADER_SEARCH) -> str:
    """The separator that splits the header row into the code and name columns, else the one
    that splits the most lines into the same number of columns."""
    lines = text.splitlines()
    sample = "\n".join(lines[:max(SNIFF_LINES, header_search)])
    best, best_score = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        try:
            parsed = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue  # reading fails the same way below, with a row number
        for row in parsed[:header_search]:
            if all(name in {match_header(c) for c in row} for name in REQUIRED):
                return delimiter
        widths = [len(r) for r in parsed[:SNIFF_LINES] if r]
        common = Counter(w for w in widths if w > 1).most_common(1)
        score = common[0][1] * common[0][0] if common else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best
