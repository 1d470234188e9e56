"""CSV lists: UTF-8 with or without BOM, comma, semicolon or tab separated (sniffed)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from qrproc.errors import ParseError
from qrproc.model import Catalogue
from qrproc.sources.tabular import HEADER_SEARCH, parse_table
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
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ParseError(f"{where}, row {reader.line_num}: not valid CSV ({exc})") from None
    return parse_table(rows, where, header_search=header_search)


def sniff_delimiter(text: str) -> str:
    """The separator that splits the most lines into the same number of columns."""
    sample = "\n".join(text.splitlines()[:SNIFF_LINES])
    best, best_score = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue  # reading fails the same way below, with a row number
        common = Counter(w for w in widths if w > 1).most_common(1)
        score = common[0][1] * common[0][0] if common else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best
