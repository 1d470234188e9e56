"""Spot Vietnamese text in a legacy 8-bit encoding (TCVN3/ABC, VNI, VISCII) and refuse it.

Before Unicode, Vietnamese offices typed in TCVN3 (.VnTime fonts), VNI (VNI-Times) or VISCII.
Such text read as Windows-1252/Latin-1 turns into mojibake: TCVN3 'Céng hoµ x· héi chñ nghÜa
ViÖt Nam', VNI 'Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam'. Converting it silently is risky
(posting-rules.md §E4), so qrproc detects it and asks for a Unicode file instead.

Detection works on phrases, not single characters: each candidate table decodes the text, and
the words that change are checked against the shape of a Vietnamese syllable. The text is
legacy-encoded when several words turn from nonsense into syllables ('hoµ' -> 'hoà') and few
turn the other way. Spanish or German ('Señor', 'Müller') never gains syllables, and text that
already holds precomposed Vietnamese letters is never touched.

`number` writes a number in a message the way its reader does (5,670 in English, 5.670 in
Vietnamese, where the comma is the decimal mark).
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Sequence

from qrproc.errors import LegacyEncodingError, ParseError
from qrproc.i18n import _, language

TCVN3 = "TCVN3"
VNI = "VNI"
VISCII = "VISCII"
CP1258 = "Windows-1258"
#: Encodings `check_text` looks for in already-decoded text; `decode_bytes` also tries CP1258.
TEXT_ENCODINGS = (TCVN3, VNI, VISCII)
BYTE_ENCODINGS = (TCVN3, VNI, VISCII, CP1258)

#: A phrase is legacy text when at least this many words become Vietnamese syllables ...
MIN_IMPROVED = 2
#: ... they are at least this share of the changed words that are not syllables before and after
#: decoding (a word that is a syllable both ways, 'Tù' -> 'Tự', says nothing) ...
MIN_IMPROVED_SHARE = 0.6
#: ... and for every word that stops being a syllable, this many become one.
IMPROVED_PER_WORSENED = 4
#: Length of the sample quoted in error messages.
SAMPLE_CHARS = 40

# Frequent syllables of administrative text; used to break ties between candidate tables.
COMMON_SYLLABLES = frozenset(
    "thủ tục cấp đăng ký của hành chính xã người và các cộng hòa hoà hội chủ nghĩa việt nam "
    "độc lập tự do hạnh phúc ngày tháng năm quyết định về việc được có không trong theo giấy "
    "chứng nhận đối với lĩnh vực thực hiện hồ sơ tỉnh huyện ủy ban nhân dân sở phòng lệ phí "
    "mã số tên khai sinh tịch kết hôn nhà ở đất".split()
)

# --- Unicode letters --------------------------------------------------------------------------

_TONE_MARKS = {"\u0300": "grave", "\u0309": "hook", "\u0303": "tilde", "\u0301": "acute",
               "\u0323": "dot"}
_TONES = ("grave", "hook", "tilde", "acute", "dot")
_MARK_OF = {name: mark for mark, name in _TONE_MARKS.items()}
# Base vowels with their Vietnamese modifiers (breve, circumflex, horn) as NFD tails.
_BASES = {"a": "a", "ă": "a\u0306", "â": "a\u0302", "e": "e", "ê": "e\u0302", "i": "i",
          "o": "o", "ô": "o\u0302", "ơ": "o\u031b", "u": "u", "ư": "u\u031b", "y": "y"}


def _letter(base: str, tone: str | None) -> str:
    """The precomposed letter for a base vowel ('â') and a tone name ('acute') -> 'ấ'."""
    return unicodedata.normalize("NFC", _BASES[base] + (_MARK_OF[tone] if tone else ""))


#: The 134 precomposed Vietnamese letters (67 lower-case, 67 upper-case).
VIETNAMESE_LETTERS = frozenset(
    [c for b in _BASES for t in (None, *_TONES) if (c := _letter(b, t)) not in "aeiouy"]
    + ["đ"]
    + [c.upper() for b in _BASES for t in (None, *_TONES) if (c := _letter(b, t)) not in "aeiouy"]
    + ["Đ"]
)
# Letters no Latin-1/CP1252 mojibake can contain: their presence proves real Unicode.
_UNICODE_ONLY = frozenset(c for c in VIETNAMESE_LETTERS if ord(c) > 0xFF)

# --- TCVN3 (TCVN 5712:1993 VN3, the ABC fonts) ------------------------------------------------
# VN3 has lower-case toned letters only; upper-case text was typed in the '.VnTimeH' fonts with
# the same codes, so encoding maps an upper-case toned letter to its lower-case slot.
_TCVN3_PAIRS = (
    ("\xb5\xb6\xb7\xb8\xb9", "àảãáạ"),
    ("\xa8\xbb\xbc\xbd\xbe\xc6", "ăằẳẵắặ"),
    ("\xa9\xc7\xc8\xc9\xca\xcb", "âầẩẫấậ"),
    ("\xcc\xce\xcf\xd0\xd1", "èẻẽéẹ"),
    ("\xaa\xd2\xd3\xd4\xd5\xd6", "êềểễếệ"),
    ("\xd7\xd8\xdc\xdd\xde", "ìỉĩíị"),
    ("\xdf\xe1\xe2\xe3\xe4", "òỏõóọ"),
    ("\xab\xe5\xe6\xe7\xe8\xe9", "ôồổỗốộ"),
    ("\xac\xea\xeb\xec\xed\xee", "ơờởỡớợ"),
    ("\xef\xf1\xf2\xf3\xf4", "ùủũúụ"),
    ("\xad\xf5\xf6\xf7\xf8\xf9", "ưừửữứự"),
    ("\xfa\xfb\xfc\xfd\xfe", "ỳỷỹýỵ"),
    ("\xae\xa1\xa2\xa3\xa4\xa5\xa6\xa7", "đĂÂÊÔƠƯĐ"),
)
TCVN3_TO_UNICODE = {ord(b): u for bs, us in _TCVN3_PAIRS for b, u in zip(bs, us)}
# Text extracted from PDFs turns TCVN3 ư (0xAD, the soft-hyphen slot) into U+2212 and ã into
# U+2219 (viparse changelog); read them back as those bytes.
_TCVN3_PDF_CHARS = {"\u2212": 0xAD, "\u2219": 0xB7}

# --- VISCII (RFC 1456) ------------------------------------------------------------------------
_VISCII_HIGH = (
    "ẠẮẰẶẤẦẨẬẼẸẾỀỂỄỆỐ"  # 0x80
    "ỒỔỖỘỢỚỜỞỊỎỌỈỦŨỤỲ"  # 0x90
    "Õắằặấầẩậẽẹếềểễệố"  # 0xA0
    "ồổỗỠƠộờởịỰỨỪỬơớƯ"  # 0xB0
    "ÀÁÂÃẢĂẳẵÈÉÊẺÌÍĨỳ"  # 0xC0
    "ĐứÒÓÔạỷừửÙÚỹỵÝỡư"  # 0xD0
    "àáâãảăữẫèéêẻìíĩỉ"  # 0xE0
    "đựòóôõỏọụùúũủýợỮ"  # 0xF0
)
VISCII_TO_UNICODE = {0x80 + i: c for i, c in enumerate(_VISCII_HIGH)}
VISCII_TO_UNICODE.update({0x02: "Ẳ", 0x05: "Ẵ", 0x06: "Ẫ", 0x14: "Ỷ", 0x19: "Ỹ", 0x1E: "Ỵ"})

# --- VNI (VNI-Windows) ------------------------------------------------------------------------
# A VNI letter is an ASCII base letter followed by a modifier byte, except the letters that have
# a byte of their own (đ ơ ư and the i-family). Lower-case modifiers; upper-case ones are 0x20 less.
_VNI_TONE = {"grave": 0xF8, "hook": 0xFB, "tilde": 0xF5, "acute": 0xF9, "dot": 0xEF}
_VNI_CIRCUMFLEX = {None: 0xE2, "grave": 0xE0, "hook": 0xE5, "tilde": 0xE3, "acute": 0xE1,
                   "dot": 0xE4}
_VNI_BREVE = {None: 0xEA, "grave": 0xE8, "hook": 0xFA, "tilde": 0xFC, "acute": 0xE9, "dot": 0xEB}
_VNI_SINGLE = {"đ": 0xF1, "ơ": 0xF4, "ư": 0xF6, "ì": 0xEC, "ỉ": 0xE6, "ĩ": 0xF3, "í": 0xED,
               "ị": 0xF2, "ỵ": 0xEE}
_VNI_CASE_SHIFT = 0x20


def _vni_lower_table() -> dict[str, bytes]:
    """Unicode lower-case letter -> VNI bytes."""
    table: dict[str, bytes] = {}
    for base, nfd in _BASES.items():
        ascii_base = nfd[0]
        for tone in (None, *_TONES):
            char = _letter(base, tone)
            if char in _VNI_SINGLE:
                table[char] = bytes([_VNI_SINGLE[char]])
            elif base in "âêô":
                table[char] = bytes([ord(ascii_base), _VNI_CIRCUMFLEX[tone]])
            elif base == "ă":
                table[char] = bytes([ord(ascii_base), _VNI_BREVE[tone]])
            elif base in "ơư":
                head = _VNI_SINGLE[base]
                table[char] = bytes([head] + ([_VNI_TONE[tone]] if tone else []))
            elif tone:
                table[char] = bytes([ord(ascii_base), _VNI_TONE[tone]])
    table["đ"] = bytes([_VNI_SINGLE["đ"]])
    return table


def _vni_upper(seq: bytes) -> bytes:
    """Upper-case form of a VNI byte sequence (ASCII letters and modifier bytes alike)."""
    return bytes(b - _VNI_CASE_SHIFT if b >= 0xC0 or 0x61 <= b <= 0x7A else b for b in seq)


UNICODE_TO_VNI = _vni_lower_table()
UNICODE_TO_VNI.update({c.upper(): _vni_upper(s) for c, s in list(UNICODE_TO_VNI.items())})


def _vni_decoder_table() -> dict[bytes, str]:
    """VNI byte sequence -> Unicode letter; a base letter of either case takes either modifier."""
    table = {seq: char for char, seq in UNICODE_TO_VNI.items()}
    for seq, char in list(table.items()):
        if len(seq) == 2:
            first, mod = seq
            other = mod + _VNI_CASE_SHIFT if mod < 0xE0 else mod - _VNI_CASE_SHIFT
            table.setdefault(bytes([first, other]), char)
    return table


VNI_TO_UNICODE = _vni_decoder_table()

# --- reading bytes the way a Windows program does ---------------------------------------------


def _cp1252_char(byte: int) -> str:
    """How Windows-1252 shows a byte (its five undefined bytes shown as Latin-1)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_CP1252 = [_cp1252_char(b) for b in range(256)]
_BYTE_OF = {c: b for b, c in enumerate(_CP1252)}
_BYTE_OF.update({chr(b): b for b in range(256)})  # Latin-1 readings too (C1 controls)

Units = Sequence[int]  # bytes 0..255; values above 255 are code points that are not bytes


def _units_from_text(text: str, encoding: str) -> list[int]:
    """The bytes a mojibake string was read from; other characters pass through as code points."""
    extra = _TCVN3_PDF_CHARS if encoding == TCVN3 else {}
    return [extra.get(c, _BYTE_OF.get(c, ord(c))) for c in text]


def _unit_char(unit: int) -> str:
    return _CP1252[unit] if unit <= 0xFF else chr(unit)


_WORD = re.compile(r"\S+")


def _decode_single(units: Units, table: dict[int, str]) -> str:
    """Decode with a one-byte-per-letter table (TCVN3, VISCII)."""
    return "".join(table.get(u) or _unit_char(u) for u in units)


def _decode_tcvn3(units: Units) -> str:
    """Decode TCVN3. A word typed in capitals comes back in capitals ('THñ TôC' -> 'THỦ TỤC'):
    the .VnTimeH fonts draw capitals from the lower-case codes."""
    text = _decode_single(units, TCVN3_TO_UNICODE)
    return _WORD.sub(lambda m: m[0].upper() if _shouted(m[0]) else m[0], text)


def _shouted(word: str) -> bool:
    letters = [c for c in word if c.isascii() and c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _decode_vni(units: Units) -> str:
    """Decode VNI: a base letter plus modifier byte, or a single letter byte."""
    out: list[str] = []
    i = 0
    while i < len(units):
        pair = bytes(units[i:i + 2]) if all(u <= 0xFF for u in units[i:i + 2]) else b""
        if len(pair) == 2 and pair in VNI_TO_UNICODE:
            out.append(VNI_TO_UNICODE[pair])
            i += 2
            continue
        one = bytes([units[i]]) if units[i] <= 0xFF else b""
        out.append(VNI_TO_UNICODE.get(one) or _unit_char(units[i]))
        i += 1
    return "".join(out)


def _decode_cp1258(units: Units) -> str:
    if any(u > 0xFF for u in units):
        return "".join(_unit_char(u) for u in units)
    return unicodedata.normalize("NFC", bytes(units).decode("cp1258", errors="replace"))


_DECODERS: dict[str, Callable[[Units], str]] = {
    TCVN3: _decode_tcvn3,
    VISCII: lambda units: _decode_single(units, VISCII_TO_UNICODE),
    VNI: _decode_vni,
    CP1258: _decode_cp1258,
}

# --- how Vietnamese is a word? ----------------------------------------------------------------

_INITIALS = "ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_NUCLEI = (
    "iêu yêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu "
    "ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui uô uơ uy ưa ưi ươ ưu yê "
    "a ă â e ê i o ô ơ u ư y"
).split()
_FINALS = "ch|nh|ng|c|m|n|p|t"
_SYLLABLE = re.compile(rf"(?:{_INITIALS})?(?:{'|'.join(_NUCLEI)})(?:{_FINALS})?")
_STRIP = string.punctuation  # ASCII only: TCVN3 and VISCII letters sit on «, », “, ” …


def _untoned(word: str) -> tuple[str, int]:
    """('ấp' ->) ('âp', 1): the word without tone marks, and how many tone marks it had."""
    nfd = unicodedata.normalize("NFD", word)
    tones = sum(1 for c in nfd if c in _TONE_MARKS)
    bare = "".join(c for c in nfd if c not in _TONE_MARKS)
    return unicodedata.normalize("NFC", bare), tones


def is_syllable(word: str) -> bool:
    """True when `word` has the shape of one Vietnamese syllable: 'người', 'xã', 'Nam'."""
    if word not in (word.lower(), word.upper(), word.capitalize()):
        return False  # 'mƠm' is a decoding accident, not a word
    bare, tones = _untoned(word.lower())
    return tones <= 1 and bool(_SYLLABLE.fullmatch(bare))


@dataclass(frozen=True)
class _Verdict:
    """What decoding a text with one table did to its words."""

    encoding: str
    improved: int  # words that became syllables
    worsened: int  # syllables that stopped being one
    unclear: int  # changed words that are no syllable before or after
    common: int  # improved words that are frequent syllables
    first: int  # index of the first improved word, for the sample

    @property
    def is_legacy(self) -> bool:
        return (self.improved >= MIN_IMPROVED
                and self.improved >= MIN_IMPROVED_SHARE * (self.improved + self.unclear)
                and self.worsened * IMPROVED_PER_WORSENED <= self.improved)

    @property
    def rank(self) -> tuple[int, int]:
        return (self.improved - self.worsened, self.common)


def _judge(encoding: str, seen: str) -> _Verdict:
    """Decode each word of `seen` (text as shown) with `encoding`'s table and count the gains."""
    improved = worsened = unclear = common = 0
    first = -1
    decode = _DECODERS[encoding]
    for i, word in enumerate(seen.split()):
        old = word.strip(_STRIP)
        if not old or any(c.isdigit() for c in old):
            continue
        new = decode(_units_from_text(old, encoding)).strip(_STRIP)
        if new == old:
            continue
        good_old, good_new = is_syllable(old), is_syllable(new)
        if good_new and not good_old:
            improved += 1
            common += new.lower() in COMMON_SYLLABLES
            first = i if first < 0 else first
        elif good_old and not good_new:
            worsened += 1
        elif not good_new:
            unclear += 1
    return _Verdict(encoding, improved, worsened, unclear, common, first)


def _best(verdicts: list[_Verdict]) -> _Verdict | None:
    legacy = [v for v in verdicts if v.is_legacy]
    return max(legacy, key=lambda v: v.rank) if legacy else None


def _sample(text: str, first_word: int) -> str:
    words = text.split()
    sample = " ".join(words[max(first_word - 1, 0):])
    return sample if len(sample) <= SAMPLE_CHARS else sample[:SAMPLE_CHARS - 1] + "…"


def _suspicious(text: str) -> bool:
    """Could `text` be mojibake at all? (high characters, and no letter only Unicode has)."""
    if not any(ord(c) > 0x7F or c in "\x02\x05\x06\x14\x19\x1e" for c in text):
        return False
    return not any(c in _UNICODE_ONLY for c in text)


def detect_text(text: str) -> str | None:
    """The legacy encoding `text` is mojibake of ('TCVN3', 'VNI', 'VISCII'), or None."""
    verdict = _verdict(unicodedata.normalize("NFC", text), TEXT_ENCODINGS)
    return verdict.encoding if verdict else None


def check_text(text: str, where: str) -> None:
    """Raise LegacyEncodingError when `text` is TCVN3, VNI or VISCII mojibake."""
    text = unicodedata.normalize("NFC", text)
    verdict = _verdict(text, TEXT_ENCODINGS)
    if verdict:
        raise LegacyEncodingError(verdict.encoding, where, _sample(text, verdict.first))


def check_cells(cells: Iterable[str], where: str) -> None:
    """`check_text` for a table row, reading the cells that could be mojibake as one phrase."""
    # Short cells ('Hé tÞch') then count, and cells of real Unicode do not hide the others.
    suspects = [c for c in (unicodedata.normalize("NFC", c) for c in cells) if _suspicious(c)]
    if suspects:
        check_text(" ".join(suspects), where)


def _verdict(seen: str, encodings: tuple[str, ...]) -> _Verdict | None:
    """The best legacy reading of `seen`, or None when it is not legacy text."""
    if not _suspicious(seen):
        return None
    return _best([_judge(enc, seen) for enc in encodings])


def decode_legacy(data: bytes, encoding: str) -> str:
    """Decode bytes written in a legacy encoding ('TCVN3', 'VNI', 'VISCII', 'Windows-1258')."""
    if encoding not in _DECODERS:
        raise ValueError(f"unknown encoding {encoding!r} (one of {', '.join(_DECODERS)})")  # developers only
    return _DECODERS[encoding](list(data))


def encode_legacy(text: str, encoding: str) -> bytes:
    """Encode Unicode text as TCVN3, VNI or VISCII bytes (for tests and conversion previews)."""
    text = unicodedata.normalize("NFC", text)
    encoder = _ENCODERS.get(encoding)
    if encoder is None:
        raise ValueError(f"unknown encoding {encoding!r} (one of {', '.join(_ENCODERS)})")  # developers only
    return b"".join(encoder(c) for c in text)


def _encoder(table: dict[str, bytes], name: str, fold_case: bool = False):
    """A one-character encoder; punctuation outside ASCII falls back to its CP1252 byte when
    the encoding leaves that byte free."""
    used = {b for seq in table.values() for b in seq}

    def encode(char: str) -> bytes:
        if char.isascii():
            return char.encode("ascii")
        if char in table:
            return table[char]
        if fold_case and char.lower() in table:
            return table[char.lower()]
        byte = _BYTE_OF.get(char)
        if byte is not None and (byte < 0x80 or _CP1252[byte] == char) and byte not in used:
            return bytes([byte])
        raise ValueError(f"{char!r} cannot be written in {name}")  # developers only
    return encode


_ENCODERS = {
    TCVN3: _encoder({u: bytes([b]) for b, u in TCVN3_TO_UNICODE.items()}, TCVN3, fold_case=True),
    VNI: _encoder(UNICODE_TO_VNI, VNI),
    VISCII: _encoder({u: bytes([b]) for b, u in VISCII_TO_UNICODE.items()}, VISCII),
}

# --- whole files ------------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_bytes(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM) bytes as NFC text; legacy Vietnamese bytes are refused."""
    if data.startswith(_UTF16_BOMS):
        text = data.decode("utf-16")  # Excel's "Unicode text" export
    else:
        try:
            text = data.removeprefix(_UTF8_BOM).decode("utf-8")
        except UnicodeDecodeError as exc:
            _refuse_legacy(data, where)
            raise ParseError(
                _("{where}: not UTF-8 text (byte 0x{byte:02X} at offset {offset}); "
                  "save the file as UTF-8 and import it again").format(
                    where=where, byte=data[exc.start], offset=exc.start)
            ) from None
    return unicodedata.normalize("NFC", text)


def _refuse_legacy(data: bytes, where: str) -> None:
    """Raise LegacyEncodingError if non-UTF-8 `data` reads as Vietnamese in a legacy table."""
    seen = "".join(_CP1252[b] for b in data)
    verdict = _verdict(seen, BYTE_ENCODINGS)
    if verdict is None:
        return
    for number, line in enumerate(seen.splitlines(), 1):
        found = _judge(verdict.encoding, line)
        if found.improved:
            raise LegacyEncodingError(verdict.encoding, line_place(where, number),
                                      _sample(line, found.first))
    raise LegacyEncodingError(verdict.encoding, where, _sample(seen, verdict.first))


# --- numbers and places in messages -----------------------------------------------------------


def number(value: float, spec: str = ",") -> str:
    """`value` formatted with `spec` ("," for 5,670; "g" for 1.3; ",.0f") in the reader's
    language: Vietnamese swaps the marks (5.670; 1,3)."""
    text = format(value, spec)
    return text.translate(_VI_MARKS) if language() == "vi" else text


_VI_MARKS = str.maketrans({",": ".", ".": ","})


def line_place(where: str, line: int) -> str:
    """'list.csv, line 3' (a line of a text file) in the reader's language."""
    return _("{where}, line {line}").format(where=where, line=line)


def date_text(day: date) -> str:
    """A date in a message: 28/11/2026 in Vietnamese; 2026-11-28 in English, as the command
    line's options are written."""
    return day.strftime("%d/%m/%Y") if language() == "vi" else day.isoformat()
