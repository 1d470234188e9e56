"""The shared core of every table-shaped source (CSV, XLSX, DOCX annex tables).

Pure: rows of cells in, a `Catalogue` out; nothing here opens a file. The header row is found by
its text (`columns.match_header`), in any column order, with or without diacritics, over one row
or two (a merged top cell such as 'Cách thức thực hiện' over 'Mức độ DVC | Thực hiện qua BCCI').
Below it, rows are procedures or headings: 'I | LĨNH VỰC HỘ TỊCH' sets the field of the rows that
follow, 'Thủ tục hành chính cấp xã' (or '… áp dụng chung') their level, and 'B. DANH MỤC THỦ TỤC
HÀNH CHÍNH BỊ BÃI BỎ' marks them abolished. A heading that states a count ('(17 TTHC)') is
checked against the rows under it.

Each row keeps what it says itself: its own decision, decision date, effective date, change type
('Loại thay đổi': Ban hành mới, Sửa đổi, bổ sung, Thay thế, Bãi bỏ) and the code it replaces. The
text around the table (the decision's 'Số: …/QĐ-UBND', the letterhead date, its 'có hiệu lực …'
article) gives the file-level defaults (`read_decision`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from functools import partial
from typing import Callable, Iterable, Sequence

from qrproc.errors import ParseError
from qrproc.i18n import place, _, language, ngettext
from qrproc.model import (
    ABOLISHED,
    CELL_WORDS_VI,
    CHANGE_REPLACED,
    CHANGE_STATUS,
    FLAG_CODE_FIXED,
    FLAG_NAME_BROKEN,
    FLAG_NO_CODE,
    IN_FORCE,
    REPLACED,
    Catalogue,
    Procedure,
    fold,
    looks_broken,
    make_procedure,
    nfc,
    normalise_code,
    parse_change,
    parse_date,
    parse_kind,
    parse_levels,
    parse_status,
    portal_id_in,
    strip_list_number,
)
from qrproc.scope import names_commune_body
from qrproc.sources.columns import HEADER_ALIASES, REQUIRED, expected_headers, match_header
from qrproc.vntext import check_cells, date_text

#: How many rows from the top may hold title lines before the header row.
HEADER_SEARCH = 15
#: Longest value quoted in a message before it is cut with '…'.
QUOTE_CHARS = 60
#: A paragraph longer than this is body text, never a heading.
HEADING_MAX_CHARS = 300
#: At most this many ignored columns are named in the warning.
IGNORED_SHOWN = 8
#: Rows of one file whose link cell holds no portal id that are each named in a warning; past
#: that, one warning names the first and counts the rest (a decision annex often gives every
#: row the old portal's search link: 49 identical lines would hide the other warnings).
UNLINKED_SHOWN = 3

# A group marker alone in its cell: 'I', 'II.', 'A.', 'I.1', 'b)'. Arabic numbers are row numbers.
_MARKER = re.compile(r"(?:[IVXLC]+|[A-Za-z])(?:\.\d+)*[.):]?")
# A marker in front of heading text: 'I. LĨNH VỰC…', 'A. Danh mục…', '2. Danh mục…', 'Phần I.'
_MARKER_PREFIX = re.compile(r"^(?:phần\s+)?(?:[IVXLC]+|[A-Za-z]|\d+)(?:\.\d+)*[.):]?\s+", re.I)
_PUNCT_PREFIX = re.compile(r"^[\s\-–—•*+.:]+")
_COUNT = re.compile(r"\(\s*(\d+)\s*(?:tthc|thủ tục[^)]*)\s*\)", re.I)
_COUNT_SUFFIX = re.compile(r"\s*\(\s*\d+\s*(?:tthc|thủ tục[^)]*)\s*\)\s*$", re.I)
_NUMERAL_CELL = re.compile(r"\(?\d{1,3}\)?")
_LEVEL_PHRASE = re.compile(r"cấp\s+(xã|huyện|tỉnh|trung\s+ương|bộ)", re.I)
_DECISION_NUMBER = re.compile(r"(\d+)\s*/\s*(\d{4}\s*/\s*)?(Q[ĐD]\s*-\s*\w+(?:-\w+)*)", re.I)
_DATE_IN_TEXT = re.compile(
    r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", re.I)
# The decision's own number: 'Số: 1766/QĐ-UBND' (a cited one reads 'Quyết định số …', no colon).
_OWN_NUMBER = re.compile(r"\bSố\s*:\s*(\d+\s*/\s*(?:\d{4}\s*/\s*)?Q[ĐD]\s*-\s*\S+)", re.I)
# The place and date line of the letterhead: 'Bình Thuận, ngày 3 tháng 8 năm 2020'.
_SIGNED_ON = re.compile(r",\s*(ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})", re.I)
# The annex's reference to its decision: '(Kèm theo Quyết định số 378/QĐ-UBND ngày …)'.
_ANNEXED_TO = re.compile(r"(?:kèm theo|ban hành kèm theo) Quyết định số\s*(.{0,80})", re.I)
# The decision's effective article: 'Quyết định này có hiệu lực (thi hành) kể từ ngày ký (ban
# hành)' or '… kể từ ngày 15/12/2026' / '… từ ngày 15 tháng 12 năm 2026'.
_EFFECTIVE = re.compile(
    r"có\s+hiệu\s+lực(?:\s+thi\s+hành)?\s+(?:kể\s+)?từ\s+(?:ngày\s+)?"
    r"(?P<signed>ký(?:\s+ban\s+hành)?|ban\s+hành)?"
    r"(?P<date>\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4})?", re.I)

# Folded words that say what kind of procedures a part lists.
_ABOLISHED_WORDS = ("bai bo",)
_IN_FORCE_WORDS = ("sua doi", "bo sung", "moi ban hanh", "thay the", "ban hanh moi")
_PROCEDURES_WORDS = ("thu tuc hanh chinh", "tthc", "cac thu tuc hanh chinh")
_LEVEL_STARTS = _PROCEDURES_WORDS + ("cap ",)
_SHARED_LEVEL_WORDS = ("ap dung chung", "dung chung")
# A unit in a header: 'Thời hạn giải quyết (Ngày làm việc)', 'Phí, lệ phí (vnđ)'.
_HEADER_UNIT = re.compile(r"\(([^()]+)\)")
_TIME_UNITS = {"ngay lam viec": "ngày làm việc", "ngay": "ngày", "gio": "giờ", "thang": "tháng"}
_MONEY_UNITS = {"vnd": "đồng", "dong": "đồng", "vn dong": "đồng", "viet nam dong": "đồng"}
_BARE_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

# Heading ranks, for the stated-count check: a part closes fields and levels, a field levels.
_PART, _FIELD, _LEVEL = 0, 1, 2


class NoTableError(ParseError):
    """A source holds no table with the procedure code and name headers."""


def no_table_error(where: str) -> NoTableError:
    """The error for a source without a procedure table, naming the headers it needs."""
    return NoTableError(_("{where}: no procedure table found; expected headers {headers}").format(
        where=where, headers=expected_headers()))


@dataclass(frozen=True)
class Header:
    """Where the header is, which column holds which field, and the columns nobody reads."""

    columns: dict[str, int]
    labels: dict[str, str]  # field -> header text, for messages
    first_row: int  # index of the header's first row
    last_row: int  # index of its last row (the same, or the next one for a two-row header)
    ignored: tuple[str, ...] = ()


@dataclass
class _Count:
    """A heading's stated count ('LĨNH VỰC CHỨNG THỰC (17 TTHC)') and the rows seen under it."""

    rank: int
    label: str
    stated: int
    seen: int = 0


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
    counts: list[_Count] = dc_field(default_factory=list, compare=False, repr=False)
    notes: list[str] = dc_field(default_factory=list, compare=False, repr=False)
    # (origin, column, text, is a link) of each link cell that holds no portal id
    unlinked: list[tuple[str, str, str, bool]] = dc_field(default_factory=list, compare=False,
                                                          repr=False)

    def open_count(self, rank: int, label: str) -> None:
        """Close the counts a heading of `rank` ends, and open its own if it states one."""
        self.close_counts(rank)
        m = _COUNT.search(label)
        if m:
            self.counts.append(_Count(rank, _COUNT_SUFFIX.sub("", label).strip(" :-–."),
                                      int(m.group(1))))

    def close_counts(self, rank: int = _PART) -> None:
        while self.counts and self.counts[-1].rank >= rank:
            c = self.counts.pop()
            if c.seen != c.stated:
                self.notes.append(ngettext(
                    "heading '{label} ({stated:02d} TTHC)' states {stated} procedure; the table "
                    "lists {seen} under it",
                    "heading '{label} ({stated:02d} TTHC)' states {stated} procedures; the table "
                    "lists {seen} under it", c.stated).format(
                        label=quote(c.label), stated=c.stated, seen=c.seen))

    def count_row(self) -> None:
        for c in self.counts:
            c.seen += 1

    def close(self) -> None:
        """At the end of the file: close every count, and note the link cells without a portal
        id (each, or the first and how many more: UNLINKED_SHOWN)."""
        self.close_counts()
        groups: dict[tuple[str, bool], list[tuple[str, str]]] = {}
        for origin, column, text, link in self.unlinked:
            groups.setdefault((column, link), []).append((origin, text))
        for (column, link), cells in groups.items():
            if len(cells) <= UNLINKED_SHOWN:
                for origin, text in cells:
                    message = (_("{origin}: column '{column}': '{text}' is a link without a "
                                 "portal id; the card links to the portal's search by code") if link
                               else _("{origin}: column '{column}': '{text}' is not a portal id; "
                                      "the card links to the portal's search by code"))
                    self.notes.append(message.format(origin=place(origin), column=column,
                                                     text=quote(text, 50)))
                continue
            message = (_("{origin} and {more} more rows: column '{column}' holds links without a "
                         "portal id (for example '{text}'); their cards link to the portal's "
                         "search by code") if link
                       else _("{origin} and {more} more rows: column '{column}' holds no portal id "
                              "(for example '{text}'); their cards link to the portal's search by "
                              "code"))
            origin, text = cells[0]
            self.notes.append(message.format(origin=place(origin), more=len(cells) - 1,
                                             column=column, text=quote(text, 50)))


@dataclass(frozen=True)
class Defaults:
    """What the text around the tables says: the decision, its date, and from when it takes
    effect (its 'có hiệu lực …' article, quoted in `clause`)."""

    decision: str = ""
    decision_date: date | None = None
    effective: date | None = None
    clause: str = ""


@dataclass
class Rows:
    """Procedures and warnings read from one table."""

    procedures: list[Procedure] = dc_field(default_factory=list)
    warnings: list[str] = dc_field(default_factory=list)
    ignored: list[str] = dc_field(default_factory=list)


Place = Callable[[int], str]


def row_place(index: int) -> str:
    """'row 4' for the 0-based row index 3: part of a row's origin, which is data and the same in
    every language (`i18n.place` translates it where it is shown)."""
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
    titles = []
    for row in grid[:header.first_row]:
        apply_title(row, state)
        titles.extend(distinct_texts(row))
    defaults = defaults or read_decision(titles)
    found = read_rows(grid, header, where, state=state, defaults=defaults)
    state.close()
    return build_catalogue(where, found.procedures,
                           found.warnings + ignored_warning(where, header.ignored) + state.notes,
                           defaults=defaults)


def check_rows(grid: Sequence[Sequence[object]], where: str, place: Place = row_place) -> None:
    """Refuse the table if a row is legacy-encoded (TCVN3/VNI/VISCII), naming the first one."""
    for index, row in enumerate(grid):
        # the raw text: VISCII keeps letters where cleaning would see control characters
        raw = [str(v) for v in row if v is not None and not isinstance(v, (int, float, date))]
        check_cells(list(dict.fromkeys(t for t in raw if t.strip())), f"{where}, {place(index)}")


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
                return Header(two[0], two[1], index, index + 1, _ignored(top, bottom, two[0]))
        if _complete(one):
            return Header(one[0], one[1], index, index, _ignored(top, [], one[0]))
    return None


def read_rows(grid: Sequence[Sequence[object]], header: Header, where: str, *,
              state: GroupState, defaults: Defaults = Defaults(),
              place: Place = row_place) -> Rows:
    """Turn the rows below `header` into procedures, following the headings as they come."""
    found = Rows(ignored=list(header.ignored))
    for index in range(header.last_row + 1, len(grid)):
        raw = list(grid[index])
        texts = _texts(raw)
        if _has_code(raw, texts, header) or not _skip_row(texts, header, state):
            _add_procedure(found, raw, texts, header, state, defaults, f"{where}, {place(index)}")
    return found


def ignored_warning(where: str, ignored: Sequence[str]) -> list[str]:
    """One line naming the columns nothing reads (so a misspelt header is noticed)."""
    names = list(dict.fromkeys(ignored))
    if not names:
        return []
    shown = ", ".join(f"'{quote(n, 40)}'" for n in names[:IGNORED_SHOWN])
    if len(names) > IGNORED_SHOWN:
        return [_("{where}: columns not used: {columns} and {more} more").format(
            where=where, columns=shown, more=len(names) - IGNORED_SHOWN)]
    return [_("{where}: columns not used: {columns}").format(where=where, columns=shown)]


def build_catalogue(source: str, procedures: Iterable[Procedure], warnings: Iterable[str] = (),
                    total: int | None = None, *, strict: bool = True,
                    defaults: Defaults | None = None, levels_given: bool | None = None) -> Catalogue:
    """Merge identical duplicates; refuse a code listed twice with different content, and a
    portal id given to two procedures. Add the rows replaced procedures imply."""
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
        notes.append(_("{place}: code {code} is also used by {other} for '{name}'; kept without "
                       "a code, check it").format(place=place(drop.origin), code=drop.code,
                                                   other=_place(source, keep), name=quote(keep.name)))
    _check_ids(source, kept)
    d = defaults or Defaults()
    if levels_given is None:
        levels_given = any(p.levels or names_commune_body(p.agency) for p in kept)
    return Catalogue(source=source, procedures=tuple(kept), warnings=tuple(notes), total=total,
                     decision=d.decision, decision_date=d.decision_date, effective=d.effective,
                     effective_clause=d.clause, levels_given=levels_given)


def _check_ids(source: str, procedures: Sequence[Procedure]) -> None:
    """One portal id, one procedure: two rows sharing an id would print the same QR code."""
    seen: dict[str, Procedure] = {}
    for p in procedures:
        if not p.portal_id:
            continue
        other = seen.get(p.portal_id)
        if other is not None and other.code != p.code:
            raise ParseError(_(
                "{source}: portal id {id} is given to two procedures: {first_place} ({first_code} "
                "'{first_name}') and {second_place} ({second_code} '{second_name}'); each procedure "
                "has its own id on the portal: correct the file").format(
                    source=source, id=p.portal_id, first_place=_place(source, other),
                    first_code=other.code or _("no code"), first_name=quote(other.name, 40),
                    second_place=_place(source, p), second_code=p.code or _("no code"),
                    second_name=quote(p.name, 40)))
        seen[p.portal_id] = p


def _key(proc: Procedure) -> tuple:
    return ("code", proc.code) if proc.code else ("name", proc.name, _content(proc))


def _without_code(proc: Procedure) -> Procedure:
    return proc.replace(code="", flags=proc.flags + (FLAG_NO_CODE,))


# --- the text around the tables ---------------------------------------------------------------


def read_decision(texts: Iterable[str]) -> Defaults:
    """The decision's number and date (the letterhead, or the annex's 'Kèm theo …' line) and its
    effective article ('Quyết định này có hiệu lực kể từ ngày ký')."""
    texts = [nfc(t) for t in texts if t]
    number = signed = None
    for text in texts:
        if number is None and (m := _OWN_NUMBER.search(text)):
            number = find_decision(m.group(1))[0]
        if signed is None and (m := _SIGNED_ON.search(text)):
            signed = _lenient_date(m.group(1))
    if not number:
        for text in texts:
            if m := _ANNEXED_TO.search(text):
                found, when = find_decision(m.group(1))
                if found:
                    number, signed = found, signed or when
                    break
    if not number:
        return Defaults()
    effective, clause = find_effective(texts, signed)
    return Defaults(number, signed, effective, clause)


def find_effective(texts: Iterable[str], signed: date | None) -> tuple[date | None, str]:
    """The date a decision's effective article gives, and the article as written.

    'có hiệu lực kể từ ngày ký (ban hành)' gives the signing date; 'có hiệu lực (thi hành) kể từ
    ngày 15/12/2026' or '… ngày 15 tháng 12 năm 2026' gives that date.
    """
    for text in texts:
        m = _EFFECTIVE.search(text)
        if not m:
            continue
        clause = quote(text[m.start():].split(".")[0].strip(), 120)
        if m.group("date"):
            when = _lenient_date(re.sub(r"[.-]", "/", m.group("date")) if "tháng" not in m.group("date")
                                 else "ngày " + m.group("date"))
            if when:
                return when, clause
        if m.group("signed") and signed:
            return signed, clause
    return None, ""


def _lenient_date(text: str) -> date | None:
    try:
        return parse_date(text)
    except ValueError:  # 'ngày 31 tháng 2 năm 2020': a typo, not a reason to refuse the file
        return None


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
        if _apply_field(label, state):
            state.open_count(_FIELD, label)
            return True
        return False
    if key.startswith("danh muc") or (key.startswith(_PROCEDURES_WORDS) and "bai bo" in key):
        _apply_part(label, key, state)
        state.open_count(_PART, label)
        return True
    if key.startswith(_LEVEL_STARTS) and (_LEVEL_PHRASE.search(label)
                                          or any(w in key for w in _SHARED_LEVEL_WORDS)):
        state.levels, state.levels_in_field = parse_levels(label), bool(state.field)
        state.open_count(_LEVEL, label)
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
    levels = parse_levels(label) if _LEVEL_PHRASE.search(label) else ()
    state.levels, state.levels_in_field = levels, False


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
    raw_name = _cell(texts, header, "name")
    name = strip_list_number(raw_name)
    if not name:
        found.warnings.append(_("{origin}: code {code} has no name; row skipped").format(
            origin=place(origin), code=raw_code))
        return
    state.count_row()
    try:
        fields = _fields(row, texts, header, state, defaults, origin, found.warnings)
        if looks_broken(name):
            fields["flags"] = (FLAG_NAME_BROKEN,)
        proc = make_procedure(code=raw_code, name=name, origin=origin, **fields)
    except ValueError as exc:
        raise ParseError(f"{place(origin)}: {exc}") from None
    found.procedures.append(proc)
    replaced = _replaced_row(row, texts, header, proc, origin)
    if replaced is not None:
        found.procedures.append(replaced)
    if FLAG_NO_CODE in proc.flags:
        found.warnings.append(no_code_warning(origin, quote(name)))
    elif FLAG_CODE_FIXED in proc.flags:
        found.warnings.append(code_fixed_warning(origin, f"'{raw_code}'", proc.code))
    if FLAG_NAME_BROKEN in proc.flags:
        found.warnings.append(_("{origin}: the name '{name}' looks broken by PDF text extraction "
                                "(split syllables); flagged {flag}, check it").format(
                                    origin=place(origin), name=quote(name), flag=FLAG_NAME_BROKEN))


def no_code_warning(origin: str, name: str) -> str:
    """The warning for a row kept without a procedure code."""
    return _("{origin}: no procedure code for '{name}'; kept and flagged {flag}").format(
        origin=place(origin), name=name, flag=FLAG_NO_CODE)


def code_fixed_warning(origin: str, written: str, code: str) -> str:
    """The warning for a code read from a noisy cell (`written` as quoted in the message)."""
    return _("{origin}: code {written} read as {code}; flagged {flag}, check it").format(
        origin=place(origin), written=written, code=code, flag=FLAG_CODE_FIXED)


def _fields(row: list[object], texts: list[str], header: Header, state: GroupState,
            defaults: Defaults, origin: str, warnings: list[str]) -> dict:
    """The Procedure fields of a row besides code and name."""
    get = partial(_cell, texts, header)
    decision, decision_date = split_decision(get("decision"))
    own_date = _date(_raw(row, header, "decision_date"), header, origin, "decision_date")
    if not decision:
        decision, decision_date = defaults.decision, defaults.decision_date
    change = _change(get("change"), header, origin)
    status = _status(get("status"), state, header, origin)
    if change and not get("status"):
        status = CHANGE_STATUS[change]
    levels = parse_levels(get("levels")) if get("levels") else state.levels
    return dict(
        field=get("field") or state.field,
        levels=levels,
        agency=get("agency"),
        portal_id=_portal_id(get("portal_id"), header, origin, state),
        processing_time=_with_unit(get("processing_time"), header, "processing_time", _TIME_UNITS,
                                   origin, warnings),
        fees=_with_unit(get("fees"), header, "fees", _MONEY_UNITS, origin, warnings),
        decision=decision,
        decision_date=own_date or decision_date,
        effective=_date(_raw(row, header, "effective"), header, origin, "effective"),
        status=status,
        replaced_by=normalise_code(get("replaced_by"))[0] or get("replaced_by"),
        kind=parse_kind(get("kind")),
        promulgator=get("promulgator"),
        change=change,
    )


def _replaced_row(row: list[object], texts: list[str], header: Header, new: Procedure,
                  origin: str) -> Procedure | None:
    """The procedure a 'Thay thế' row replaces ('Số hồ sơ TTHC được thay thế'), marked replaced
    by the new one, with the same decision and date."""
    old_code, fixed = normalise_code(_cell(texts, header, "replaces"))
    if not old_code or not new.code or old_code == new.code:
        return None
    name = _cell(texts, header, "replaces_name") or f"(được thay thế bởi {new.code})"
    return make_procedure(code=old_code, name=name, origin=f"{origin} (replaced)",
                          flags=(FLAG_CODE_FIXED,) if fixed else (), field=new.field,
                          levels=new.levels, agency=new.agency, decision=new.decision,
                          decision_date=new.decision_date, effective=new.effective,
                          status=REPLACED, replaced_by=new.code, kind=new.kind,
                          promulgator=new.promulgator, change=CHANGE_REPLACED)


def _portal_id(text: str, header: Header, origin: str, state: GroupState) -> str:
    """The portal id of an 'ID trên Cổng' / url / link cell; a cell that holds none is noted in
    `state` (`GroupState.close` words the notes)."""
    if not text:
        return ""
    found = portal_id_in(text)
    if not found:
        state.unlinked.append((origin, header.labels.get("portal_id", "ID"), text, "/" in text))
    return found


def _with_unit(text: str, header: Header, name: str, units: dict[str, str], origin: str,
               warnings: list[str]) -> str:
    """A bare number under a header that names the unit ('Thời hạn giải quyết (Ngày làm việc)'
    over '05') gets it: '05 ngày làm việc'. A bare number whose unit nobody states is unknown."""
    if not text or not _BARE_NUMBER.fullmatch(text):
        return text
    label = header.labels.get(name, "")
    for m in _HEADER_UNIT.finditer(label):
        unit = units.get(fold(m.group(1)))
        if unit:
            if name == "fees":
                number = text.replace(".", "").replace(",", "")
                return f"{int(number):,} {unit}".replace(",", ".") if number.isdigit() else text
            return f"{text} {unit}"
    if name == "fees" and not text.strip("0"):
        return text  # '0': free, whatever the unit
    warnings.append(_("{origin}: column '{column}': '{text}' has no unit; left unverified").format(
        origin=place(origin), column=label, text=text))
    return ""


def _date(value: object, header: Header, origin: str, name: str) -> date | None:
    try:
        return parse_date(value.strip() if isinstance(value, str) else value)
    except ValueError as exc:
        raise ParseError(column_error(origin, header.labels[name], exc)) from None


def _status(text: str, state: GroupState, header: Header, origin: str) -> str:
    if not text:
        return state.status
    try:
        return parse_status(text)
    except ValueError as exc:
        raise ParseError(column_error(origin, header.labels["status"], exc)) from None


def _change(text: str, header: Header, origin: str) -> str:
    try:
        return parse_change(text)
    except ValueError as exc:
        raise ParseError(column_error(origin, header.labels["change"], exc)) from None


def column_error(origin: str, column: str, problem: object) -> str:
    """'list.csv, row 4: column 'Ngày hiệu lực': not a date: …'."""
    return _("{origin}: column '{column}': {problem}").format(origin=place(origin), column=column,
                                                               problem=problem)


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
        when = _lenient_date(re.sub(r"[.-]", "/", found.group(0)))
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


def _ignored(top: list[str], bottom: list[str], columns: dict[str, int]) -> tuple[str, ...]:
    """Header texts of the columns no field was read from."""
    used = set(columns.values())
    out = []
    for index in range(max(len(top), len(bottom))):
        if index in used:
            continue
        for text in (bottom[index] if index < len(bottom) else "", top[index] if index < len(top) else ""):
            if text and not match_header(text):
                out.append(text)
                break
    return tuple(dict.fromkeys(out))


def _complete(match: tuple[dict[str, int], dict[str, str]]) -> bool:
    return all(name in match[0] for name in REQUIRED)


def _holds_code(texts: list[str], columns: dict[str, int]) -> bool:
    col = columns["code"]
    return col < len(texts) and bool(normalise_code(texts[col])[0])


# --- duplicates -------------------------------------------------------------------------------


def _content(proc: Procedure) -> Procedure:
    return proc.replace(flags=(), origin="")


def _conflict_message(source: str, first: Procedure, second: Procedure) -> str:
    """"list.csv: code X appears twice with different content: row 4 'A' and row 9 'B'"."""
    differing = next(f for f in _COMPARED if getattr(first, f) != getattr(second, f))
    values = dict(source=source, code=first.code,
                  first_place=_place(source, first), first=quote(_show(first, differing)),
                  second_place=_place(source, second),
                  second=quote(_show(second, differing)))
    if differing == "name":
        return _("{source}: code {code} appears twice with different content: {first_place} "
                 "'{first}' and {second_place} '{second}'").format(**values)
    return _("{source}: code {code} appears twice with different content: {first_place} "
             "'{first}' and {second_place} '{second}' ({column} differs)").format(
                 column=_FIELD_WORDS.get(differing, differing), **values)


_COMPARED = ("name", "field", "levels", "agency", "portal_id", "processing_time", "fees",
             "decision", "decision_date", "effective", "status", "replaced_by", "kind",
             "promulgator", "change")
_FIELD_WORDS = {f: HEADER_ALIASES[f][0] for f in _COMPARED if f in HEADER_ALIASES}


def _place(source: str, proc: Procedure) -> str:
    prefix = f"{source}, "
    return place(proc.origin[len(prefix):] if proc.origin.startswith(prefix) else proc.origin)


def _show(proc: Procedure, field: str) -> str:
    """One field of a procedure as a message quotes it."""
    value = getattr(proc, field)
    words = CELL_WORDS_VI.get(field, {}) if language() == "vi" else {}
    if isinstance(value, tuple):
        return ", ".join(words.get(v, v) for v in value)
    if isinstance(value, str) and value in words:
        return words[value]
    if isinstance(value, date):
        return date_text(value)
    return "" if value is None else str(value)


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` cut to `limit` characters with '…' (for one-line messages)."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


__all__ = ["Defaults", "GroupState", "Header", "NoTableError", "Rows", "apply_heading",
           "apply_title", "build_catalogue", "cell_text", "check_rows", "code_fixed_warning",
           "column_error", "distinct_texts", "find_decision", "find_effective", "find_header",
           "ignored_warning", "no_code_warning", "no_table_error",
           "parse_table", "quote", "read_decision", "read_rows", "row_place", "sentence_case",
           "split_decision"]
