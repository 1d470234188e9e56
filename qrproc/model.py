"""The `Procedure` model and the small pure normalisers every source uses.

A `Procedure` is one administrative procedure (thủ tục hành chính, TTHC) as one catalogue lists
it. It is frozen: sources build new ones, nothing edits them. All text is NFC on entry.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Protocol

from qrproc.i18n import _

IN_FORCE = "in_force"
ABOLISHED = "abolished"
REPLACED = "replaced"
STATUSES = (IN_FORCE, ABOLISHED, REPLACED)

# What kind of procedure the source says it is (the portal's `type`; a list's "Loại TTHC").
KIND_NATIONAL = "national"   # thống nhất toàn quốc (portal STANDARD): applies in every province
KIND_SPECIFIC = "specific"   # riêng của một tỉnh (portal SPECIFIC): only in the promulgating province
KIND_INTERNAL = "internal"   # thủ tục nội bộ (portal STANDARD_INTERNAL): never posted for citizens
KINDS = ("", KIND_NATIONAL, KIND_SPECIFIC, KIND_INTERNAL)

# Levels (cấp thực hiện) a source gives. SHARED is an annex's "áp dụng chung" group: procedures
# carried out at every level, the commune included.
LEVEL_COMMUNE = "commune"
LEVEL_DISTRICT = "district"
LEVEL_PROVINCE = "province"
LEVEL_CENTRAL = "central"
LEVEL_OTHER = "other"
LEVEL_SHARED = "shared"

# The change a decision or change log states for a row ("Loại thay đổi").
CHANGE_NEW = "new"                # Ban hành mới
CHANGE_AMENDED = "amended"        # Sửa đổi, bổ sung
CHANGE_REPLACING = "replacing"    # Thay thế (this procedure replaces another)
CHANGE_REPLACED = "replaced"      # Được thay thế / Bị thay thế
CHANGE_ABOLISHED = "abolished"    # Bãi bỏ
CHANGES = ("", CHANGE_NEW, CHANGE_AMENDED, CHANGE_REPLACING, CHANGE_REPLACED, CHANGE_ABOLISHED)

#: Flag set on rows that came without a procedure code: kept, never silently dropped.
FLAG_NO_CODE = "no-code"
#: Flag set when a code was cleaned up from an irregular form (e.g. "1.0133611").
FLAG_CODE_FIXED = "code-fixed"
#: Flag set when the importer was told every row is the unit's own (`--own-list`), so a row with
#: no level of its own counts as received at the commune.
FLAG_LEVEL_ASSUMED = "level-assumed"
#: Flag set when a code was corrected by hand in the registry (`qrproc correct`).
FLAG_CODE_CORRECTED = "code-corrected"
#: Flag set on a name that looks broken by PDF text extraction ("c ấp l ại").
FLAG_NAME_BROKEN = "name-broken"

# National code: one digit, a dot, six digits (1.001193). A province's local version appends the
# publishing agency's identifier: 1.001193.000.00.00.H35. Lower-level identifiers exist too
# (000.09.23.H34), so the agency part is four dotted groups ending in a letter-prefixed group.
# ASCII digits only: `\d` would also take fullwidth and other scripts' digits ("１.００１１９３").
NATIONAL_CODE = re.compile(r"[0-9]\.[0-9]{6}")
LOCAL_CODE = re.compile(r"([0-9]\.[0-9]{6})\.([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})")
_CODE_IN_TEXT = re.compile(
    r"(?<![0-9.])([0-9]\.[0-9]{6})([0-9]*)((?:\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Za-z][0-9]{2})?)")

# The fields that appear on a printed label (any layout). A change in one of them means the
# label on the board is out of date and must be reprinted.
LABEL_FIELDS = ("code", "name", "field", "portal_id", "processing_time", "fees")

# PDF-to-text conversions of Vietnamese documents leave 'ƣ' (U+01A3) where 'ư' was meant; the
# national catalogue has a few such names. No Vietnamese word uses U+01A2/U+01A3.
_PDF_ARTEFACTS = str.maketrans({"\u01a3": "ư", "\u01a2": "Ư"})


# Terminal escape sequences (colour, cursor, window title) that a file or a server could plant.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def _printable(ch: str) -> bool:
    """Not a control or format character (C0/C1 controls, bidi overrides, zero-width marks)."""
    return unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n\r"


def nfc(value: object) -> str:
    """Text as NFC with runs of whitespace collapsed: '  Đăng  ký\\n' -> 'Đăng ký'.

    Also repairs the 'ƣ' for 'ư' that PDF conversions leave ('Ngƣời' -> 'Người'), and strips
    control and format characters and terminal escape sequences: nothing a file says can move a
    cursor or recolour a terminal when `diff` echoes it. (Legacy-encoding checks read the raw
    text before this, since VISCII keeps letters in the control ranges.)
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    if "\u01a3" in text or "\u01a2" in text:  # str.translate costs 14 µs a name, even with nothing to do
        text = text.translate(_PDF_ARTEFACTS)
    if not text.isprintable():
        text = "".join(ch for ch in _ESCAPES.sub("", text) if _printable(ch))
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
    if not text.isascii():
        # Fullwidth or other scripts' digits and dots ('１.００１１９３', '1．001193'): read them
        # as ASCII, but flag the row: somebody typed the code in an odd way.
        ascii_text = unicodedata.normalize("NFKC", text)
        if ascii_text != text:
            code, _fixed = normalise_code(ascii_text)
            return code, bool(code)
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


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_UUID_IN_URL = re.compile(r"(?<![0-9a-f-])([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
                          r"(?![0-9a-f-])", re.I)


def is_portal_id(text: str) -> bool:
    """True for a portal id in UUID form ('019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7')."""
    return bool(_UUID.fullmatch(text or ""))


def portal_id_in(value: object) -> str:
    """The portal id in a cell: a bare UUID, or the UUID of a portal page link such as
    'https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{uuid}' or '…/nop-ho-so?formalityId={uuid}'.
    Lower case; '' when the cell holds no UUID (free text, a cut-off id, a link by code)."""
    text = nfc(value)
    if is_portal_id(text):
        return text.lower()
    found = {m.lower() for m in _UUID_IN_URL.findall(text)} if "/" in text or "=" in text else set()
    return found.pop() if len(found) == 1 else ""


def is_valid_code(code: str) -> bool:
    """True for a national or local procedure code in its canonical form."""
    return bool(NATIONAL_CODE.fullmatch(code) or LOCAL_CODE.fullmatch(code))


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
_ISO_WITH_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
                            r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?)")


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
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:  # the registry's own ISO dates: the common case, without a regex or strptime
            return date.fromisoformat(value)
        except ValueError:
            pass
    text = nfc(value)
    m = re.search(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", text, re.I)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    # An ISO date may carry a time ('2026-11-28T09:00:00', '2026-11-28 09:00'); nothing else may
    # follow a date: '2026-07-011' is not 2026-07-01.
    iso = _ISO_WITH_TIME.fullmatch(text)
    if iso:
        text = iso.group(1)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("not a date: {text!r} (write it as 2026-11-28 or 28/11/2026)").format(text=text))


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure as a catalogue lists it.

    `origin` says where the row came from ('annex.docx, table 2 row 14') and is kept out of
    equality and of the content hash. `kind` is what the source says the procedure is
    (KIND_NATIONAL, KIND_SPECIFIC, KIND_INTERNAL, or '' when it does not say), `raw_code` the
    code cell as written when it was not a valid code (kept for correction), `promulgator`
    who promulgated it (a ministry, "UBND tỉnh Gia Lai", or an H-code), `change` the change its
    decision states for it (CHANGE_*; '' for a plain list). `levels` holds only what the source
    states (level flags, a level column, an annex's group); the scope rule (`qrproc.scope`)
    reads the executing agency on its own.
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
    kind: str = ""
    promulgator: str = ""
    change: str = ""
    raw_code: str = ""
    origin: str = dataclasses.field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in ("code", "name", "field", "agency", "portal_id", "processing_time", "fees",
                     "decision", "replaced_by", "promulgator", "raw_code"):
            value = getattr(self, name)
            clean = nfc(value)
            if clean != value:
                object.__setattr__(self, name, clean)
        object.__setattr__(self, "levels", tuple(nfc(v) for v in self.levels if nfc(v)))
        object.__setattr__(self, "flags", tuple(sorted(set(self.flags))))
        if self.status not in STATUSES:
            raise ValueError(_("unknown status {value!r} (one of {known})").format(
                value=self.status, known=", ".join(STATUSES)))
        if self.kind not in KINDS:
            raise ValueError(_("unknown kind {value!r} (one of {known})").format(
                value=self.kind, known=", ".join(KINDS[1:])))
        if self.change not in CHANGES:
            raise ValueError(_("unknown change {value!r} (one of {known})").format(
                value=self.change, known=", ".join(CHANGES[1:])))
        if self.code and not is_valid_code(self.code):
            raise ValueError(_("not a procedure code: {code!r}").format(code=self.code))

    @functools.cached_property
    def content_hash(self) -> str:
        """SHA-256 (first 16 hex digits) over the fields printed on a label (worked out once:
        the instance is frozen)."""
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
        out = {f: getattr(self, f) for f in _FIELD_NAMES}  # flat values: no deep copy needed
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
        return cls(**{k: v for k, v in data.items() if k in _FIELD_NAMES})

    def replace(self, **changes) -> "Procedure":
        return dataclasses.replace(self, **changes)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Procedure))


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
    raw = nfc(code) if (not clean or fixed) and not isinstance(code, float) else ""
    return Procedure(code=clean, name=nfc(name), origin=origin, flags=tuple(flags),
                     raw_code=fields.pop("raw_code", raw), **fields)


_ASCII_DIGITS = "0123456789"


def suggest_code(raw: object, known: Iterable[str]) -> str:
    """The one known code a mistyped code cell most likely meant, or ''.

    Tries what slips of the hand do: a comma or space for the dot ('1,012564'), an extra digit
    ('1.0011934'), a missing one ('2.00028'), two digits swapped. A suggestion is made only when
    exactly one known code fits: never a guess between two.
    """
    text = unicodedata.normalize("NFKC", nfc(raw)).replace(",", ".").replace(" ", "")
    text = re.sub(r"[^0-9.]", "", text)
    if not text:
        return ""
    known = set(known)
    candidates = {text}
    for i in range(len(text)):
        candidates.add(text[:i] + text[i + 1:])                       # one character too many
        for d in _ASCII_DIGITS:
            candidates.add(text[:i] + d + text[i:])                   # one digit missing
        if i + 1 < len(text):
            candidates.add(text[:i] + text[i + 1] + text[i] + text[i + 2:])  # two swapped
    for d in _ASCII_DIGITS:
        candidates.add(text + d)
    fits = sorted(c for c in candidates if NATIONAL_CODE.fullmatch(c) and c in known)
    return fits[0] if len(fits) == 1 else ""


@dataclass(frozen=True)
class Catalogue:
    """What one source yielded: the procedures plus what a human should know about them.

    `source` names the file or URL; `warnings` are one-line notes (rows flagged, codes fixed).
    `total` is the number of items the source said it has, when it says so (the portal's
    `total`), so an incomplete fetch can be told from a short list. A decision annex also says
    which decision it belongs to (`decision`, `decision_date`) and, in the decision's own text,
    from when it takes effect (`effective`, with the `effective_clause` as written).
    `levels_given` is False when no row of the source states a level (the portal's list items,
    a bare list of codes): such a source cannot say what a commune receives.
    """

    source: str
    procedures: tuple[Procedure, ...]
    warnings: tuple[str, ...] = ()
    total: int | None = None
    decision: str = ""
    decision_date: date | None = None
    effective: date | None = None
    effective_clause: str = ""
    levels_given: bool = True
    export_sha256: str = ""   # the province's catalogue export this came from (its manifest hash)

    @property
    def coded(self) -> tuple[Procedure, ...]:
        return tuple(p for p in self.procedures if p.code)

    def replace(self, **changes) -> "Catalogue":
        return dataclasses.replace(self, **changes)


# A level named in a phrase: "Cấp xã", "Thủ tục hành chính cấp huyện", "cấp tỉnh và cấp huyện".
_LEVEL_PHRASES = (
    (re.compile(r"\bcap (?:xa|phuong|xa phuong)\b"), LEVEL_COMMUNE),
    (re.compile(r"\bcap (?:huyen|quan)\b"), LEVEL_DISTRICT),
    (re.compile(r"\bcap tinh\b"), LEVEL_PROVINCE),
    (re.compile(r"\bcap (?:trung uong|bo)\b"), LEVEL_CENTRAL),
)
# A level cell that is one word or an English/portal name.
_LEVEL_WORDS = {
    LEVEL_COMMUNE: ("xa", "phuong", "xa phuong", "commune", "ward", "isward"),
    LEVEL_DISTRICT: ("huyen", "quan", "quan huyen", "district"),
    LEVEL_PROVINCE: ("tinh", "province", "isprovince"),
    LEVEL_CENTRAL: ("trung uong", "bo", "central", "ministry", "isministry"),
    LEVEL_OTHER: ("co quan khac", "other", "isotheragency", "nganh doc"),
    LEVEL_SHARED: ("ap dung chung", "dung chung", "shared"),
}
_SHARED_WORDS = ("ap dung chung", "dung chung")


def parse_levels(value: object) -> tuple[str, ...]:
    """'Cấp xã, Cấp tỉnh' -> ('commune', 'province'); 'Thủ tục hành chính áp dụng chung' ->
    ('shared',); 'dùng chung cho cấp tỉnh và cấp huyện' -> ('province', 'district');
    'Cấp Bộ, Cơ quan khác' -> ('central', 'other').

    Unknown parts are kept as written.
    """
    out: list[str] = []
    for part in re_split_list(nfc(value)):
        key = fold(part)
        found = sorted((m.start(), level) for pattern, level in _LEVEL_PHRASES
                       for m in pattern.finditer(key))
        if found:
            out.extend(level for _, level in found)
            continue
        for level, words in _LEVEL_WORDS.items():
            if key in words:
                out.append(level)
                break
        else:
            out.append(LEVEL_SHARED if any(w in key for w in _SHARED_WORDS) else part)
    return tuple(dict.fromkeys(out))


def re_split_list(text: str) -> list[str]:
    """Split 'a, b; c' into ['a', 'b', 'c']."""
    return [p.strip() for p in re.split(r"[,;/\n]| và ", text) if p.strip()]


# Folded words of a status cell ("Tình trạng"), Vietnamese or English.
_STATUS_WORDS = {
    ABOLISHED: ("bai bo", "bi bai bo", "da bai bo", "het hieu luc", "abolished", "repealed",
                "revoked", "annulled", "inactive", "expired"),
    REPLACED: ("thay the", "duoc thay the", "bi thay the", "da bi thay the", "da duoc thay the",
               "replaced", "superseded"),
    IN_FORCE: ("con hieu luc", "dang ap dung", "co hieu luc", "hieu luc", "dang hieu luc",
               "in force", "in_force", "active", "updated", "current", "valid", "moi ban hanh",
               "ban hanh moi", "sua doi bo sung", "sua doi", "bo sung", "modified", "amended",
               "new", ""),
}


def parse_status(value: object) -> str:
    """'Còn hiệu lực' -> 'in_force', 'Bãi bỏ' -> 'abolished', 'Được thay thế' -> 'replaced'."""
    key = fold(nfc(value))
    for status, words in _STATUS_WORDS.items():
        if key in words or any(w and key.startswith(w + " ") for w in words):
            return status
    raise ValueError(_("unknown status {value!r} (use 'Còn hiệu lực', 'Bãi bỏ' or 'Được thay thế')")
                     .format(value=nfc(value)))


# Folded words of a change-type cell ("Loại thay đổi", "Hình thức"): the change a decision makes.
_CHANGE_WORDS = (
    (CHANGE_REPLACED, ("duoc thay the", "bi thay the", "da bi thay the", "replaced", "superseded")),
    (CHANGE_ABOLISHED, ("bai bo", "bi bai bo", "abolished", "repealed", "revoked", "annulled")),
    (CHANGE_REPLACING, ("thay the", "ban hanh thay the", "replacing", "replaces")),
    (CHANGE_AMENDED, ("sua doi bo sung", "sua doi", "bo sung", "dieu chinh", "amended",
                      "modified", "updated")),
    (CHANGE_NEW, ("ban hanh moi", "moi ban hanh", "cong bo moi", "moi", "new", "added")),
)
#: change -> the status of the procedure once the change takes effect
CHANGE_STATUS = {CHANGE_NEW: IN_FORCE, CHANGE_AMENDED: IN_FORCE, CHANGE_REPLACING: IN_FORCE,
                 CHANGE_REPLACED: REPLACED, CHANGE_ABOLISHED: ABOLISHED}


def parse_change(value: object) -> str:
    """'Ban hành mới' -> 'new', 'Sửa đổi, bổ sung' -> 'amended', 'Thay thế' -> 'replacing',
    'Được thay thế' -> 'replaced', 'Bãi bỏ' -> 'abolished'; '' for an empty cell."""
    key = fold(nfc(value))
    if not key:
        return ""
    for change, words in _CHANGE_WORDS:
        if key in words or any(key.startswith(w + " ") for w in words):
            return change
    raise ValueError(_("unknown change type {value!r} (use 'Ban hành mới', 'Sửa đổi, bổ sung', "
                       "'Thay thế', 'Được thay thế' or 'Bãi bỏ')").format(value=nfc(value)))


# Folded words of a kind cell ("Loại TTHC", the portal's `type`).
_KIND_WORDS = (
    (KIND_INTERNAL, ("noi bo", "standard internal", "internal")),
    (KIND_SPECIFIC, ("specific", "dac thu", "rieng", "dia phuong", "cap tinh quy dinh",
                     "local regulation")),
    (KIND_NATIONAL, ("standard", "thong nhat", "toan quoc", "national", "trung uong")),
)


def parse_kind(value: object) -> str:
    """'STANDARD' / 'TTHC thống nhất toàn quốc' -> national, 'SPECIFIC' / 'TTHC đặc thù' ->
    specific, 'STANDARD_INTERNAL' / 'TTHC nội bộ' -> internal; '' when the cell says nothing
    recognisable."""
    key = fold(nfc(value))
    for kind, words in _KIND_WORDS:
        if any(f" {w} " in f" {key} " for w in words):
            return kind
    return ""


# A list number typed in front of a name: "1.\tSáp nhập…", "12) Cấp…". Letters are not
# taken: "a) …" may be how a real name begins.
_LIST_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.)]\s+(?=\S)")
# PDF extraction splits Vietnamese syllables: "c ấp l ại". A lone initial consonant cluster
# (never a word on its own) followed by a piece that starts with a vowel.
_CONSONANTS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d",
               "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x")
_VOWEL_START = re.compile(r"[aăâeêioôơuưy]", re.I)


def strip_list_number(name: str) -> str:
    """'1.\tSáp nhập …' -> 'Sáp nhập …' (the list numbers some exports glue onto names)."""
    return _LIST_NUMBER.sub("", name, count=1)


def looks_broken(name: str) -> bool:
    """True for a name whose syllables look split by PDF extraction ('Thủ tục c ấp l ại')."""
    words = name.split()
    for first, second in zip(words, words[1:]):
        if first.lower() in _CONSONANTS and first.islower():
            base = unicodedata.normalize("NFD", second[:1])
            if base and _VOWEL_START.match(base[0]) and second[:1].islower():
                return True
    return False


@dataclass(frozen=True)
class AuditFile:
    """One photo of a board audit: the evidence. `status` is 'ok' (codes found), 'no_code' or
    'unreadable' (not an image; `sha256` is None when the file could not be read at all).
    `codes` holds one dict per QR code found: payload, the procedure code it maps to (or None),
    and the centre of the symbol in the photo (x, y pixels)."""

    name: str
    sha256: str | None
    status: str
    width: int | None = None
    height: int | None = None
    codes: tuple[dict, ...] = ()
    note: str = ""


class PostedLabel(Protocol):
    """A label on the board: which version of a procedure, up since when (`registry.Posting` fits).

    The pure parts of the diff, the report and the audit take these, not the registry.
    """

    @property
    def procedure(self) -> Procedure: ...

    @property
    def posted_on(self) -> date: ...


#: How a Vietnamese list writes the model's levels, statuses, kinds and changes: messages in
#: Vietnamese and the files qrproc writes quote these (as a province's file would say it).
CELL_WORDS_VI = {
    "levels": {"commune": "Cấp xã", "district": "Cấp huyện", "province": "Cấp tỉnh",
               "central": "Cấp trung ương", "other": "Cơ quan khác", "shared": "Áp dụng chung"},
    "status": {"in_force": "Còn hiệu lực", "abolished": "Bãi bỏ", "replaced": "Được thay thế"},
    "kind": {"national": "TTHC thống nhất toàn quốc", "specific": "TTHC riêng của tỉnh",
             "internal": "TTHC nội bộ"},
    "change": {"new": "Ban hành mới", "amended": "Sửa đổi, bổ sung", "replacing": "Thay thế",
               "replaced": "Được thay thế", "abolished": "Bãi bỏ"},
}
