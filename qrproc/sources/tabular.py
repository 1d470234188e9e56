"""The shared core of every table-shaped source (CSV, XLSX, DOCX annex tables).

Pure: rows of cells in, a `Catalogue` out; nothing here opens a file. The header row is found by
its text (`columns.match_header`), in any column order, with or without diacritics, over one row
or two (a merged top cell such as 'Cách thức thực hiện' over 'Mức độ DVC | Thực hiện qua BCCI').
Below it, rows are procedures or headings: 'I | LĨNH VỰC HỘ TỊCH' sets the field of the rows that
follow, 'Thủ tục hành chính cấp xã' their level, and 'B. DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ'
marks them abolished.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from datetime import date, datetime
from typing import Callable, Iterable, Sequence

from qrproc.errors import ParseError
from qrproc.model import (
    ABOLISHED,
    FLAG_CODE_FIXED,
    FLAG_NO_CODE,
    IN_FORCE,
    Catalogue,
    Procedure,
    fold,
    make_procedure,
    nfc,
    normalise_code,
    parse_date,
    parse_levels,
    parse_status,
)
from qrproc.sources.columns import HEADER_ALIASES, REQUIRED, expected_headers, match_header
from qrproc.vntext import check_cells

#: How many rows from the top may hold title lines before the header row.
HEADER_SEARCH = 15
#: Longest value quoted in a message before it is cut with '…'.
QUOTE_CHARS = 60
#: A paragraph longer than this is body text, never a heading.
HEADING_MAX_CHARS = 300

# A group marker alone in its cell: 'I', 'II.', 'A.', 'I.1', 'b)'. Arabic numbers are row numbers.
_MARKER = re.compile(r"(?:[IVXLC]+|[A-Za-z])(?:\.\d+)*[.):]?")
# A marker in front of heading text: 'I. LĨNH VỰC…', 'A. Danh mục…', '2. Danh mục…', 'Phần I.'
_MARKER_PREFIX = re.compile(r"^(?:phần\s+)?(?:[IVXLC]+|[A-Za-z]|\d+)(?:\.\d+)*[.):]?\s+", re.I)
_PUNCT_PREFIX = re.compile(r"^[\s\-–—•*+.:]+")
_COUNT_SUFFIX = re.compile(r"\s*\(\s*\d+\s*(?:tthc|thủ tục[^)]*)\s*\)\s*$", re.I)
_NUMERAL_CELL = re.compile(r"\(?\d{1,3}\)?")
_LEVEL_PHRASE = re.compile(r"cấp\s+(xã|huyện|tỉnh|trung\s+ương|bộ)", re.I)
_DECISION_NUMBER = re.compile(r"(\d+)\s*/\s*(\d{4}\s*/\s*)?(Q[ĐD]\s*-\s*\w+(?:-\w+)*)", re.I)
_DATE_IN_TEXT = re.compile(
    r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", re.I)

# Folded words that say what kind of procedures a part lists.
_ABOLISHED_WORDS = ("bai bo",)
_IN_FORCE_WORDS = ("sua doi", "bo sung", "moi ban hanh", "thay the", "ban hanh moi")
_PROCEDURES_WORDS = ("thu tuc hanh chinh", "tthc", "cac thu tuc hanh chinh")
_LEVEL_STARTS = _PROCEDURES_WORDS + ("cap ",)
_SHARED_LEVEL_WORDS = ("ap dung chung", "dung chung")


class NoTableError(ParseError):
    """A source holds no table with the procedure code and name headers."""


def no_table_error(where: str) -> NoTableError:
    """The error for a source without a procedure table, naming the headers it needs."""
    return NoTableError(f"{where}: no procedure table found; expected headers {expected_headers()}")


@dataclass(frozen=True)
class Header:
    """Where the header is and which column holds which field."""

    columns: dict[str, int]
    labels: dict[str, str]  # field -> header text, for messages
    first_row: int  # index of the header's first row
    last_row: int  # index of its last row (the same, or the next one for a two-row header)


@dataclass
class GroupState:
    """What the headings above the current row said (field, level, abolished part)."""

    field: str = ""
    levels: tuple[str, ...] = ()
    status: str = IN_FORCE
    # True when the level came from a sub-group inside a field ('I.2 Thủ tục hành chính cấp
    # xã' under 'I LĨNH VỰC …'): the next field heading ends it. A level heading above the
    # fields ('A. Danh mục TTHC cấp tỉnh' over 'I. Lĩnh vực: …') lasts across them.
    levels_in_field: bool = False


@dataclass(frozen=True)
class Defaults:
    """Values every procedure of a document gets unless a column gives its own."""

    decision: str = ""
    decision_date: date | None = None


@dataclass
class Rows:
    """Procedures and warnings read from one table."""

    procedures: list[Procedure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


Place = Callable[[int], str]


def row_place(index: int) -> str:
    """'row 4' for the 0-based row index 3."""
    return f"row {index + 1}"


# --- public entry points --------------------------------------------------------------------


def parse_table(rows: Iterable[Sequence[object]], where: str, *,
                header_search: int = HEADER_SEARCH, defaults: Defaults | None = None) -> Catalogue:
    """Read one procedure table (title rows, header, procedures, headings) into a Catalogue."""
    grid = [list(r) for r in rows]
    check_rows(grid, where)
    header = find_header(grid, header_search=header_search)
    if header is None:
        raise no_table_error(where)
    state = GroupState()
    for row in grid[:header.first_row]:
        apply_title(row, state)
    found = read_rows(grid, header, where, state=state, defaults=defaults or Defaults())
    return build_catalogue(where, found.procedures, found.warnings)


def check_rows(grid: Sequence[Sequence[object]], where: str, place: Place = row_place) -> None:
    """Refuse the table if a row is legacy-encoded (TCVN3/VNI/VISCII), naming the first one."""
    for index, row in enumerate(grid):
        check_cells(distinct_texts(row), f"{where}, {place(index)}")


def find_header(grid: Sequence[Sequence[object]], *,
                header_search: int = HEADER_SEARCH) -> Header | None:
    """The header among the first `header_search` rows, over one row or two, or None."""
    for index in range(min(header_search, len(grid))):
        top = _texts(grid[index])
        one = _match_row(top)
        if index + 1 < len(grid):
            bottom = _texts(grid[index + 1])
            two = _match_two(top, bottom)
            # two rows only when the top row is itself part of the header (not a title)
            if (one[0] and _complete(two) and len(two[0]) > len(one[0])
                    and not _holds_code(bottom, two[0])):
                return Header(two[0], two[1], index, index + 1)
        if _complete(one):
            return Header(one[0], one[1], index, index)
    return None


def read_rows(grid: Sequence[Sequence[object]], header: Header, where: str, *,
              state: GroupState, defaults: Defaults = Defaults(),
              place: Place = row_place) -> Rows:
    """Turn the rows below `header` into procedures, following the headings as they come."""
    found = Rows()
    for index in range(header.last_row + 1, len(grid)):
        raw = list(grid[index])
        texts = _texts(raw)
        if _has_code(raw, texts, header) or not _skip_row(texts, header, state):
            _add_procedure(found, raw, texts, header, state, defaults, f"{where}, {place(index)}")
    return found


def build_catalogue(source: str, procedures: Iterable[Procedure], warnings: Iterable[str] = (),
                    total: int | None = None, *, strict: bool = True) -> Catalogue:
    """Merge identical duplicates; refuse a code listed twice with different content."""
    # Unless only one of the two codes was fixed from a noisy cell, or the source is not
    # `strict` (a portal catalogue nobody here can correct): the doubtful one loses its code.
    kept: list[Procedure] = []
    notes = list(warnings)
    by_key: dict[tuple, int] = {}
    for proc in procedures:
        key = _key(proc)
        if key not in by_key:
            by_key[key] = len(kept)
            kept.append(proc)
            continue
        first = kept[by_key[key]]
        if _content(first) == _content(proc):
            kept[by_key[key]] = first.replace(flags=first.flags + proc.flags)
            continue
        fixed_first, fixed_new = FLAG_CODE_FIXED in first.flags, FLAG_CODE_FIXED in proc.flags
        if strict and fixed_first == fixed_new:
            raise ParseError(_conflict_message(source, first, proc))
        keep, drop = (proc, first) if fixed_first and not fixed_new else (first, proc)
        kept[by_key[key]] = keep
        kept.append(_without_code(drop))
        notes.append(f"{drop.origin}: code {drop.code} is also used by {_place(source, keep)} "
                     f"for '{quote(keep.name)}'; kept without a code, check it")
    return Catalogue(source=source, procedures=tuple(kept), warnings=tuple(notes), total=total)


def _key(proc: Procedure) -> tuple:
    return ("code", proc.code) if proc.code else ("name", proc.name, _content(proc))


def _without_code(proc: Procedure) -> Procedure:
    return proc.replace(code="", flags=proc.flags + (FLAG_NO_CODE,))


# --- headings -------------------------------------------------------------------------------


def apply_title(row: Sequence[object], state: GroupState) -> bool:
    """Apply a title line above the header ('DANH MỤC … BỊ BÃI BỎ') to `state`."""
    texts = distinct_texts(row)
    return len(texts) == 1 and apply_heading(texts[0], state)


def apply_heading(text: str, state: GroupState) -> bool:
    """If `text` is a part, field or level heading, update `state` and return True."""
    text = nfc(text)
    if not text or len(text) > HEADING_MAX_CHARS:
        return False
    label = _PUNCT_PREFIX.sub("", _MARKER_PREFIX.sub("", _PUNCT_PREFIX.sub("", text)))
    key = fold(label)
    if key.startswith("linh vuc "):
        return _apply_field(label, state)
    if key.startswith("danh muc") or (key.startswith(_PROCEDURES_WORDS) and "bai bo" in key):
        _apply_part(label, key, state)
        return True
    if key.startswith(_LEVEL_STARTS) and (_LEVEL_PHRASE.search(label)
                                          or any(w in key for w in _SHARED_LEVEL_WORDS)):
        state.levels, state.levels_in_field = _levels_in(label), bool(state.field)
        return True
    return False


def _apply_field(label: str, state: GroupState) -> bool:
    words = label.split()[2:]
    name = _COUNT_SUFFIX.sub("", " ".join(words)).strip(" :-–.")
    if not name:
        return False
    state.field = sentence_case(name)
    if state.levels_in_field:
        state.levels, state.levels_in_field = (), False
    return True


def _apply_part(label: str, key: str, state: GroupState) -> None:
    """A new part: forget field and level; 'bãi bỏ' alone means the part lists abolished ones."""
    if any(w in key for w in _ABOLISHED_WORDS) and not any(w in key for w in _IN_FORCE_WORDS):
        state.status = ABOLISHED
    elif any(w in key for w in _IN_FORCE_WORDS):
        state.status = IN_FORCE
    state.field = ""
    state.levels, state.levels_in_field = _levels_in(label), False


def _levels_in(label: str) -> tuple[str, ...]:
    """('commune',) for '… cấp xã'; () for '… áp dụng chung'."""
    found: list[str] = []
    for match in _LEVEL_PHRASE.finditer(label):
        found.extend(parse_levels("Cấp " + match.group(1).lower()))
    return tuple(dict.fromkeys(found))


def sentence_case(text: str) -> str:
    """'HỘ TỊCH' -> 'Hộ tịch'; text already in mixed case is kept as written."""
    if text != text.upper():
        return text
    lower = text.lower()
    return lower[:1].upper() + lower[1:]


def _row_heading(texts: list[str], state: GroupState) -> bool:
    """Apply a grouping row ('I | LĨNH VỰC CHỨNG THỰC (17 TTHC)', a merged 'A. Danh mục …')."""
    if _MARKER.fullmatch(texts[0]):
        return bool(texts[1:]) and apply_heading(" ".join(texts[1:]), state)
    return len(texts) == 1 and apply_heading(texts[0], state)


# --- rows -----------------------------------------------------------------------------------


def distinct_texts(row: Sequence[object]) -> list[str]:
    """The non-empty cell texts of a row, each once (merged cells repeat their text)."""
    return list(dict.fromkeys(t for t in _texts(row) if t))


def cell_text(value: object) -> str:
    """A cell as NFC text: 3.0 -> '3', a datetime -> '2026-11-28', None -> ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return nfc(value)


def _texts(row: Sequence[object]) -> list[str]:
    return [cell_text(v) for v in row]


def _cell(texts: list[str], header: Header, name: str) -> str:
    col = header.columns.get(name)
    return texts[col] if col is not None and col < len(texts) else ""


def _raw(row: list[object], header: Header, name: str) -> object:
    col = header.columns.get(name)
    return row[col] if col is not None and col < len(row) else None


def _code_text(row: list[object], texts: list[str], header: Header) -> str:
    """The code cell; a number cell (1.00119 from Excel) is read back with six decimals."""
    value = _raw(row, header, "code")
    if isinstance(value, float) and 0 < value < 10 and not value.is_integer():
        return f"{value:.6f}"
    return _cell(texts, header, "code")


def _has_code(row: list[object], texts: list[str], header: Header) -> bool:
    return bool(normalise_code(_code_text(row, texts, header))[0])


def _skip_row(texts: list[str], header: Header, state: GroupState) -> bool:
    """True for rows that are not procedures: blank, headings, repeated headers, numbering."""
    present = [t for t in dict.fromkeys(texts) if t]
    if not present:
        return True
    if _row_heading(present, state):
        return True
    if all(_NUMERAL_CELL.fullmatch(t) for t in present):
        return True  # the '(1) (2) (3)' line under a header
    if sum(1 for t in present if match_header(t)) >= 2:
        return True  # the header repeated (a new page, or its second row)
    if _MARKER.fullmatch(present[0]) and len(present) <= 2:
        return True  # a grouping row we do not understand
    return not _cell(texts, header, "name")


def _add_procedure(found: Rows, row: list[object], texts: list[str], header: Header,
                   state: GroupState, defaults: Defaults, origin: str) -> None:
    raw_code = _code_text(row, texts, header)
    name = _cell(texts, header, "name")
    if not name:
        found.warnings.append(f"{origin}: code {raw_code} has no name; row skipped")
        return
    try:
        proc = make_procedure(code=raw_code, name=name, origin=origin,
                              **_fields(row, texts, header, state, defaults, origin))
    except ValueError as exc:
        raise ParseError(f"{origin}: {exc}") from None
    found.procedures.append(proc)
    if FLAG_NO_CODE in proc.flags:
        found.warnings.append(
            f"{origin}: no procedure code for '{quote(name)}'; kept and flagged {FLAG_NO_CODE}")
    elif FLAG_CODE_FIXED in proc.flags:
        found.warnings.append(
            f"{origin}: code '{raw_code}' read as {proc.code}; flagged {FLAG_CODE_FIXED}, check it")


def _fields(row: list[object], texts: list[str], header: Header, state: GroupState,
            defaults: Defaults, origin: str) -> dict:
    """The Procedure fields of a row besides code and name."""
    get = partial(_cell, texts, header)
    decision, decision_date = split_decision(get("decision"))
    if not decision:
        decision, decision_date = defaults.decision, defaults.decision_date
    levels = parse_levels(get("levels")) if get("levels") else state.levels
    return dict(
        field=get("field") or state.field,
        levels=levels,
        agency=get("agency"),
        portal_id=get("portal_id"),
        processing_time=get("processing_time"),
        fees=get("fees"),
        decision=decision,
        decision_date=decision_date,
        effective=_date(_raw(row, header, "effective"), header, origin),
        status=_status(get("status"), state, header, origin),
        replaced_by=normalise_code(get("replaced_by"))[0] or get("replaced_by"),
    )


def _date(value: object, header: Header, origin: str) -> date | None:
    try:
        return parse_date(value.strip() if isinstance(value, str) else value)
    except ValueError as exc:
        raise ParseError(f"{origin}: column '{header.labels['effective']}': {exc}") from None


def _status(text: str, state: GroupState, header: Header, origin: str) -> str:
    if not text:
        return state.status
    try:
        return parse_status(text)
    except ValueError as exc:
        raise ParseError(f"{origin}: column '{header.labels['status']}': {exc}") from None


def split_decision(text: str) -> tuple[str, date | None]:
    """'1766/QĐ-UBND ngày 03/8/2020' -> ('1766/QĐ-UBND', date(2020, 8, 3)); else text as is."""
    number, when = find_decision(text)
    return (number or nfc(text)), when


def find_decision(text: str) -> tuple[str, date | None]:
    """The decision number ('' when none) and the first date in `text`."""
    text = nfc(text)
    number = _DECISION_NUMBER.search(text)
    found = _DATE_IN_TEXT.search(text)
    when = None
    if found:
        try:
            when = parse_date(re.sub(r"[.-]", "/", found.group(0)))
        except ValueError:
            when = None
    if not number:
        return "", when
    year = re.sub(r"\s+", "", number.group(2) or "")
    body = re.sub(r"\s+", "", number.group(3))
    return f"{number.group(1)}/{year}{body}", when


# --- header matching ------------------------------------------------------------------------


def _match_row(texts: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, text in enumerate(texts):
        name = match_header(text)
        if name and name not in columns:
            columns[name], labels[name] = index, text
    return columns, labels


def _match_two(top: list[str], bottom: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Header fields over two rows: a bottom cell under a merged top cell wins."""
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index in range(max(len(top), len(bottom))):
        upper = top[index] if index < len(top) else ""
        lower = bottom[index] if index < len(bottom) else ""
        for text in (lower, f"{upper} {lower}".strip(), upper):
            name = match_header(text)
            if name:
                if name not in columns:
                    columns[name], labels[name] = index, text
                break
    return columns, labels


def _complete(match: tuple[dict[str, int], dict[str, str]]) -> bool:
    return all(name in match[0] for name in REQUIRED)


def _holds_code(texts: list[str], columns: dict[str, int]) -> bool:
    col = columns["code"]
    return col < len(texts) and bool(normalise_code(texts[col])[0])


# --- duplicates -----------------------------------------------------------------------------


def _content(proc: Procedure) -> Procedure:
    return proc.replace(flags=(), origin="")


def _conflict_message(source: str, first: Procedure, second: Procedure) -> str:
    """"list.csv: code X appears twice with different content: row 4 'A' and row 9 'B'"."""
    differing = next(f for f in _COMPARED if getattr(first, f) != getattr(second, f))
    what = " and ".join(
        f"{_place(source, p)} '{quote(_show(getattr(p, differing)))}'" for p in (first, second))
    column = "" if differing == "name" else f" ({_FIELD_WORDS.get(differing, differing)} differs)"
    return f"{source}: code {first.code} appears twice with different content: {what}{column}"


_COMPARED = ("name", "field", "levels", "agency", "portal_id", "processing_time", "fees",
             "decision", "decision_date", "effective", "status", "replaced_by")
_FIELD_WORDS = {f: HEADER_ALIASES[f][0] for f in _COMPARED if f in HEADER_ALIASES}
_FIELD_WORDS["decision_date"] = "Ngày quyết định"


def _place(source: str, proc: Procedure) -> str:
    prefix = f"{source}, "
    return proc.origin[len(prefix):] if proc.origin.startswith(prefix) else proc.origin


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(value)
    return "" if value is None else str(value)


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` cut to `limit` characters with '…' (for one-line messages)."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
