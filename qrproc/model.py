"""The `Procedure` model and the small pure normalisers every source uses.

A `Procedure` is one administrative procedure (thủ tục hành chính, TTHC) as one catalogue lists
it. It is frozen: sources build new ones, nothing edits them. All text is NFC on entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

IN_FORCE = "in_force"
ABOLISHED = "abolished"
REPLACED = "replaced"
STATUSES = (IN_FORCE, ABOLISHED, REPLACED)

#: Flag set on rows that came without a procedure code: kept, never silently dropped.
FLAG_NO_CODE = "no-code"
#: Flag set when a code was cleaned up from an irregular form (e.g. "1.0133611").
FLAG_CODE_FIXED = "code-fixed"

# National code: one digit, a dot, six digits (1.001193). A province's local version appends the
# publishing agency's identifier: 1.001193.000.00.00.H35. Lower-level identifiers exist too
# (000.09.23.H34), so the agency part is four dotted groups ending in a letter-prefixed group.
NATIONAL_CODE = re.compile(r"\d\.\d{6}")
LOCAL_CODE = re.compile(r"(\d\.\d{6})\.(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})")
_CODE_IN_TEXT = re.compile(r"(?<![\d.])(\d\.\d{6})(\d*)((?:\.\d{3}\.\d{2}\.\d{2}\.[A-Za-z]\d{2})?)")

# The fields that appear on a printed label (any layout). A change in one of them means the
# label on the board is out of date and must be reprinted.
LABEL_FIELDS = ("code", "name", "field", "portal_id", "processing_time", "fees")

LEVEL_NAMES = {
    "commune": "Cấp xã",
    "province": "Cấp tỉnh",
    "central": "Cấp trung ương",
    "other": "Cơ quan khác",
}


# PDF-to-text conversions of Vietnamese documents leave 'ƣ' (U+01A3) where 'ư' was meant; the
# national catalogue has a few such names. No Vietnamese word uses U+01A2/U+01A3.
_PDF_ARTEFACTS = str.maketrans({"\u01a3": "ư", "\u01a2": "Ư"})


def nfc(value: object) -> str:
    """Text as NFC with runs of whitespace collapsed: '  Đăng  ký\\n' -> 'Đăng ký'.

    Also repairs the 'ƣ' for 'ư' that PDF conversions leave ('Ngƣời' -> 'Người').
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).translate(_PDF_ARTEFACTS)
    return " ".join(text.split())


_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vi_sort_key(text: str) -> tuple:
    """Vietnamese alphabetical order: a < ă < â < b … d < đ …; tone marks only break ties."""
    primary, tones = [], []
    for ch in text.lower():
        parts = unicodedata.normalize("NFD", ch)
        tone = 0
        mods = ""
        for mark in parts[1:]:
            if mark in _TONES:
                tone = _TONES[mark]
            else:
                mods += mark
        letter = unicodedata.normalize("NFC", parts[0] + mods)
        primary.append((1, _RANK[letter]) if letter in _RANK else (0, ord(letter)))
        tones.append(tone)
    return tuple(primary), tuple(tones)


def fold(text: str) -> str:
    """Lower-case ASCII skeleton for matching headers: 'Mã số TTHC' -> 'ma so tthc'."""
    text = unicodedata.normalize("NFD", nfc(text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^0-9a-zA-Z]+", " ", text.lower())
    return " ".join(text.split())


def normalise_code(raw: object) -> tuple[str, bool]:
    """Return (code, fixed) for a raw code cell; ('', False) when there is no code.

    Accepts the national form '1.001193' and a province's local form '1.001193.000.00.00.H35'.
    Real lists carry noise: '1.0133611', '1.014955-Xoa', '2.009182739'. Such a cell gives its
    national code and `fixed=True`, so the row can be flagged for a human to check. Surrounding
    whitespace (' 1.014325') is not noise: it is stripped and the code is not 'fixed'.
    """
    text = nfc(raw)
    if not text:
        return "", False
    if NATIONAL_CODE.fullmatch(text):
        return text, False
    m = LOCAL_CODE.fullmatch(text.upper())
    if m:
        return f"{m.group(1)}.{m.group(2).upper()}", False
    m = _CODE_IN_TEXT.search(text)
    if not m:
        return "", False
    code = m.group(1) + (m.group(3).upper() if m.group(3) else "")
    return code, True


def is_valid_code(code: str) -> bool:
    """True for a national or local procedure code in its canonical form."""
    return bool(NATIONAL_CODE.fullmatch(code) or LOCAL_CODE.fullmatch(code))


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


def parse_date(value: object) -> date | None:
    """Parse a date written as 2026-11-28, 28/11/2026, 28-11-2026 or an epoch-ms number."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)):
        # The new portal API writes dates as epoch milliseconds; Vietnam is UTC+7.
        from datetime import timedelta, timezone

        return datetime.fromtimestamp(value / 1000, tz=timezone(timedelta(hours=7))).date()
    text = nfc(value)
    m = re.search(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", text, re.I)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text[:10] if fmt.startswith("%Y") else text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r} (write it as 2026-11-28 or 28/11/2026)")


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure as a catalogue lists it.

    `origin` says where the row came from ('annex.docx, table 2 row 14') and is kept out of
    equality and of the content hash.
    """

    code: str
    name: str
    field: str = ""
    levels: tuple[str, ...] = ()
    agency: str = ""
    portal_id: str = ""
    processing_time: str = ""
    fees: str = ""
    decision: str = ""
    decision_date: date | None = None
    effective: date | None = None
    status: str = IN_FORCE
    replaced_by: str = ""
    flags: tuple[str, ...] = ()
    origin: str = dataclasses.field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in ("code", "name", "field", "agency", "portal_id", "processing_time", "fees",
                     "decision", "replaced_by"):
            value = getattr(self, name)
            clean = nfc(value)
            if clean != value:
                object.__setattr__(self, name, clean)
        object.__setattr__(self, "levels", tuple(nfc(v) for v in self.levels if nfc(v)))
        object.__setattr__(self, "flags", tuple(sorted(set(self.flags))))
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r} (one of {', '.join(STATUSES)})")
        if self.code and not is_valid_code(self.code):
            raise ValueError(f"not a procedure code: {self.code!r}")

    @property
    def content_hash(self) -> str:
        """SHA-256 (first 16 hex digits) over the fields printed on a label."""
        payload = json.dumps([getattr(self, f) for f in LABEL_FIELDS], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    @property
    def in_force(self) -> bool:
        return self.status == IN_FORCE

    def applies_on(self, day: date) -> bool:
        """In force and already effective on `day`."""
        return self.in_force and (self.effective is None or self.effective <= day)

    def label_changes(self, older: "Procedure") -> list[str]:
        """Names of the label fields that differ from `older`'s."""
        return [f for f in LABEL_FIELDS if getattr(self, f) != getattr(older, f)]

    def to_dict(self) -> dict:
        """A JSON-ready dict (dates as ISO strings)."""
        out = dataclasses.asdict(self)
        out["levels"] = list(self.levels)
        out["flags"] = list(self.flags)
        for key in ("decision_date", "effective"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Procedure":
        """Inverse of `to_dict`."""
        data = dict(data)
        data["levels"] = tuple(data.get("levels") or ())
        data["flags"] = tuple(data.get("flags") or ())
        for key in ("decision_date", "effective"):
            data[key] = parse_date(data.get(key))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def replace(self, **changes) -> "Procedure":
        return dataclasses.replace(self, **changes)


def make_procedure(*, code: object, name: object, origin: str = "", **fields) -> Procedure:
    """Build a Procedure from raw cells: normalise the code and set the right flags.

    A row without a usable code is kept with code '' and the 'no-code' flag.
    """
    clean, fixed = normalise_code(code)
    flags = set(fields.pop("flags", ()))
    if not clean:
        flags.add(FLAG_NO_CODE)
    elif fixed:
        flags.add(FLAG_CODE_FIXED)
    return Procedure(code=clean, name=nfc(name), origin=origin, flags=tuple(flags), **fields)


@dataclass(frozen=True)
class Catalogue:
    """What one source yielded: the procedures plus what a human should know about them.

    `source` names the file or URL; `warnings` are one-line notes (rows flagged, codes fixed).
    `total` is the number of items the source said it has, when it says so (the portal's
    `total`), so an incomplete fetch can be told from a short list.
    """

    source: str
    procedures: tuple[Procedure, ...]
    warnings: tuple[str, ...] = ()
    total: int | None = None

    @property
    def coded(self) -> tuple[Procedure, ...]:
        return tuple(p for p in self.procedures if p.code)


_LEVEL_WORDS = {
    "commune": ("cap xa", "xa", "phuong", "xa phuong", "commune", "ward", "iswward", "isward"),
    "province": ("cap tinh", "tinh", "province", "isprovince"),
    "central": ("cap trung uong", "trung uong", "cap bo", "bo", "central", "isministry"),
    "other": ("co quan khac", "other", "isotheragency", "nganh doc"),
}


def parse_levels(value: object) -> tuple[str, ...]:
    """'Cấp xã, Cấp tỉnh' -> ('commune', 'province'); unknown parts are kept as written."""
    out: list[str] = []
    for part in re_split_list(nfc(value)):
        key = fold(part)
        for level, words in _LEVEL_WORDS.items():
            if key in words or any(key.startswith(w + " ") for w in words if w.startswith("cap ")):
                out.append(level)
                break
        else:
            out.append(part)
    return tuple(dict.fromkeys(out))


def re_split_list(text: str) -> list[str]:
    """Split 'a, b; c' into ['a', 'b', 'c']."""
    return [p.strip() for p in re.split(r"[,;/\n]| và ", text) if p.strip()]


_STATUS_WORDS = {
    ABOLISHED: ("bai bo", "bi bai bo", "het hieu luc", "abolished", "bãi bỏ"),
    REPLACED: ("thay the", "duoc thay the", "bi thay the", "replaced"),
    IN_FORCE: ("con hieu luc", "dang ap dung", "co hieu luc", "hieu luc", "in force", "in_force",
               "active", "updated", "moi ban hanh", "sua doi bo sung", ""),
}


def parse_status(value: object) -> str:
    """'Còn hiệu lực' -> 'in_force', 'Bãi bỏ' -> 'abolished', 'Được thay thế' -> 'replaced'."""
    key = fold(nfc(value))
    for status, words in _STATUS_WORDS.items():
        if key in words or any(w and key.startswith(w) for w in words):
            return status
    raise ValueError(f"unknown status {nfc(value)!r} (use 'Còn hiệu lực', 'Bãi bỏ' or 'Được thay thế')")


class PostedLabel(Protocol):
    """A label on the board: which version of a procedure, up since when (`registry.Posting` fits).

    The pure parts of the diff, the report and the audit take these, not the registry.
    """

    @property
    def procedure(self) -> Procedure: ...

    @property
    def posted_on(self) -> date: ...
