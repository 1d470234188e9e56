"""The text fonts of the posters: finding them, measuring text, encoding it, and subsetting them.

Be Vietnam Pro (the PyPI package fontpkg-be-vietnam-pro), Regular and Bold. `TrueTypeFont` is a
small reader of the few tables this needs (head, hhea, maxp, hmtx, cmap, name, OS/2, loca,
glyf): advance widths for the layout, character codes (CIDs) for the content streams, and a
subset for embedding that keeps the original glyph ids (the outlines of unused glyphs are
emptied). A character the font lacks raises `QrprocError`: a letter is never silently dropped.

The content streams do not use the glyph ids as character codes: each character of the font has
a CID of its own, 1, 2, 3 … in `CID_ORDER` (the characters of procedure texts, most frequent
first), and the PDF maps them to glyph ids with a /CIDToGIDMap stream. Why: pdfium, which the
product verifies with and Chromium displays with, keeps a character's box only for codes below
256, and Be Vietnam Pro's Vietnamese letters have glyph ids above 255, so with glyph ids as codes
44 % of a catalogue's characters had their outline read from the font again each time a page
was parsed. A width is looked up by scanning the /W array, which now begins with the frequent
characters.

Why not fontTools' subsetter: measured on the demo board's text, it takes 120-210 ms per face,
plus 310 ms to import, against 2-5 ms here, and its subsets are only 5 % smaller; both pass the
OpenType Sanitizer and fontTools reads both back (tests/test_poster_fonts.py).
"""

from __future__ import annotations

import math
import struct
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from qrproc.errors import QrprocError
from qrproc.i18n import _
from qrproc.poster.layout import PT
from qrproc.vntext import VIETNAMESE_LETTERS

FONT_FILES = {False: "BeVietnamPro-Regular.ttf", True: "BeVietnamPro-Bold.ttf"}

# The characters of the national catalogue's poster texts (names, fields, codes, captions), most
# frequent first; then the other printable ASCII characters and Vietnamese letters, then every
# other character of the font, in code point order. All of the first two groups get CIDs below
# 256.
CID_ORDER = (" nhtcgiuđmTpaụ1oã0HủàCấyváeưểx2dM,Qérệk:lsạ.Nôảbộếậị73qốề45ớ6/8ự"
             "ứGợờêâổBíĐơ9ăửýDởóUẩầILXỉĩVọỦồì()ặYPữỤÀẢÃẾÊÍẪ·ừòK;ỗúắễSAỹ-ùOằẻỏ–"
             'ỡũỘẫƯERÁẤẠỷÔỔ“ỊỞ”ỈẬỨèỀỜẹỢỆỂẳFỰÝĂỚỸÓ%ỳỐƠỬỒWẶÌẵĨ"ÉỮỠÂõẮẦẰÚỲỪỌJwẺỄẽ'
             "ÒfZz")


def font_dir() -> Path:
    """Where fontpkg-be-vietnam-pro keeps its TTF files."""
    try:
        import fontpkg_be_vietnam_pro as pkg
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise QrprocError(_("the font package fontpkg-be-vietnam-pro is not installed "
                            "(pip install fontpkg-be-vietnam-pro)")) from e
    root = Path(getattr(pkg, "ROOT", Path(pkg.__file__).resolve().parent))
    return root / "files"


class TrueTypeFont:
    """One static TrueType font: advance widths, glyph ids, and subsetting for embedding.

    A small reader of the few tables this needs (head, hhea, maxp, hmtx, cmap, name, OS/2, loca,
    glyf): loading and subsetting take milliseconds, which matters for a one-page run.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.data = data = self.path.read_bytes()
        if data[:4] not in (b"\x00\x01\x00\x00", b"true"):
            raise QrprocError(_("{path}: not a TrueType font").format(path=self.path))
        n_tables = struct.unpack_from(">H", data, 4)[0]
        self.tables: dict[str, tuple[int, int]] = {}
        for i in range(n_tables):
            tag, _checksum_, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            self.tables[tag.decode("latin-1")] = (offset, length)
        head = self._table("head")
        upem = struct.unpack_from(">H", head, 18)[0]
        x0, y0, x1, y1 = struct.unpack_from(">hhhh", head, 36)
        self.loca_long = struct.unpack_from(">h", head, 50)[0] == 1
        hhea = self._table("hhea")
        ascent, descent = struct.unpack_from(">hh", hhea, 4)
        n_metrics = struct.unpack_from(">H", hhea, 34)[0]
        self.num_glyphs = struct.unpack_from(">H", self._table("maxp"), 4)[0]
        hmtx = self._table("hmtx")
        adv = [struct.unpack_from(">H", hmtx, 4 * i)[0] for i in range(n_metrics)]
        adv += [adv[-1]] * (self.num_glyphs - n_metrics)
        self.gid = _read_cmap(self._table("cmap"))
        common = sorted({ord(c) for c in VIETNAMESE_LETTERS} | set(range(0x20, 0x7F)))
        first = [cp for cp in dict.fromkeys([ord(c) for c in CID_ORDER] + common)
                 if cp in self.gid]
        rest = sorted(set(self.gid) - set(first))
        self.cid = {cp: i for i, cp in enumerate(first + rest, start=1)}  # code point -> CID
        self._codes = _CharCodes(self.cid)
        self.advance = {cp: adv[g] / upem for cp, g in self.gid.items()}  # ems
        self.gid_width = {g: adv[g] * 1000 // upem for g in range(self.num_glyphs)}
        self.ps_name = _read_ps_name(self._table("name")) or self.path.stem
        self.bbox = tuple(v * 1000 // upem for v in (x0, y0, x1, y1))
        self.ascent = ascent * 1000 // upem
        self.descent = descent * 1000 // upem
        os2 = self._table("OS/2") if "OS/2" in self.tables else b""
        cap = struct.unpack_from(">h", os2, 88)[0] if len(os2) >= 90 else 700 * upem // 1000
        self.cap_height = cap * 1000 // upem

    def _table(self, tag: str) -> bytes:
        try:
            offset, length = self.tables[tag]
        except KeyError:
            raise QrprocError(_("{path}: no {tag!r} table").format(path=self.path, tag=tag)) from None
        return self.data[offset:offset + length]

    def missing(self, text: str) -> list[str]:
        """Characters of `text` (spaces aside) that the font has no glyph for."""
        return sorted(c for c in set(text) if ord(c) not in self.gid and not c.isspace())

    def width(self, text: str) -> float:
        """Advance width of `text` in ems (no kerning: the PDF is set the same way)."""
        try:
            return sum(map(self.advance.__getitem__, map(ord, text)))
        except KeyError:
            raise QrprocError(_missing_message(self, text)) from None

    def encode(self, text: str) -> bytes:
        """`text` as a PDF literal string of 2-byte CIDs (Identity-H), parentheses included.
        Binary rather than hex: a third smaller once compressed."""
        try:
            return b"(" + text.translate(self._codes).encode("latin-1") + b")"
        except UnicodeEncodeError:  # a character with no glyph (see _CharCodes)
            raise QrprocError(_missing_message(self, text)) from None

    def subset(self, codepoints: Iterable[int]) -> bytes:
        """The font with only the outlines of `codepoints` (and .notdef, and the components of
        composite glyphs); every other glyph is emptied, so glyph ids stay what `cid_to_gid`
        maps the content streams' codes to. Layout tables (GSUB, GPOS…) are left out: the PDF
        places every glyph."""
        glyf, loca_raw = self._table("glyf"), self._table("loca")
        n = self.num_glyphs + 1
        loca = (struct.unpack_from(f">{n}I", loca_raw) if self.loca_long
                else tuple(2 * v for v in struct.unpack_from(f">{n}H", loca_raw)))
        keep = {0} | {self.gid[cp] for cp in codepoints if cp in self.gid}
        todo = list(keep)
        while todo:  # composite glyphs pull in their components
            g = todo.pop()
            for c in _components(glyf[loca[g]:loca[g + 1]]):
                if c not in keep and c < self.num_glyphs:
                    keep.add(c)
                    todo.append(c)
        new_glyf = bytearray()
        offsets = []
        for g in range(self.num_glyphs):
            offsets.append(len(new_glyf))
            if g in keep:
                new_glyf += glyf[loca[g]:loca[g + 1]]
                new_glyf += b"\x00" * (-len(new_glyf) % 4)
        offsets.append(len(new_glyf))
        head = bytearray(self._table("head"))
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
        struct.pack_into(">h", head, 50, 1)  # long loca
        post = struct.pack(">IihhIIIII", 0x00030000, 0, 0, 0, 0, 0, 0, 0, 0)
        tables = {"head": bytes(head), "glyf": bytes(new_glyf), "post": post,
                  "loca": struct.pack(f">{len(offsets)}I", *offsets)}
        for tag in ("hhea", "maxp", "OS/2", "hmtx", "cmap", "name", "cvt ", "fpgm", "prep", "gasp"):
            if tag in self.tables:
                tables[tag] = self._table(tag)
        return _sfnt(tables)


    def cid_to_gid(self, codepoints: Iterable[int]) -> bytes:
        """The /CIDToGIDMap stream for a document using `codepoints`: two bytes per CID, from 0
        to the highest used, the glyph id (0, .notdef, for an unused CID)."""
        cids = {self.cid[cp]: self.gid[cp] for cp in codepoints if cp in self.cid}
        table = [0] * (max(cids, default=0) + 1)
        for c, g in cids.items():
            table[c] = g
        return struct.pack(f">{len(table)}H", *table)

    def width_of_cid(self, codepoints: Iterable[int]) -> dict[int, int]:
        """CID -> advance width in thousandths of an em, for those of `codepoints` the font has."""
        return {self.cid[cp]: self.gid_width[self.gid[cp]] for cp in codepoints if cp in self.cid}


class _CharCodes(dict):
    """A `str.translate` table: code point -> its CID as two escaped PDF string bytes (one
    latin-1 character each). A code point without a glyph gives U+FFFF, which fails the latin-1
    encoding that follows, so no character is ever passed through or dropped."""

    _ESCAPE = {0x5C: "\\\\", 0x28: "\\(", 0x29: "\\)", 0x0D: "\\r"}

    def __init__(self, cid: dict[int, int]):
        super().__init__()
        self.cid = cid

    def __missing__(self, cp: int) -> str:
        cid = self.cid.get(cp)
        if cid is None:
            return "\uffff"
        code = "".join(self._ESCAPE.get(b, chr(b)) for b in (cid >> 8, cid & 0xFF))
        self[cp] = code
        return code


def _read_cmap(cmap: bytes) -> dict[int, int]:
    """Code point -> glyph id, from the best Unicode subtable (format 12, else format 4)."""
    n = struct.unpack_from(">H", cmap, 2)[0]
    subtables = {}
    for i in range(n):
        platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
        fmt = struct.unpack_from(">H", cmap, offset)[0]
        subtables[(platform, encoding, fmt)] = offset
    out: dict[int, int] = {}
    for key in ((3, 10, 12), (0, 4, 12), (0, 6, 12), (3, 1, 4), (0, 3, 4), (0, 4, 4)):
        if key not in subtables:
            continue
        off = subtables[key]
        if key[2] == 12:
            groups = struct.unpack_from(">I", cmap, off + 12)[0]
            for g in range(groups):
                start, end, gid = struct.unpack_from(">III", cmap, off + 16 + 12 * g)
                for cp in range(start, end + 1):
                    out[cp] = gid + cp - start
            return out
        segs = struct.unpack_from(">H", cmap, off + 6)[0] // 2
        ends = struct.unpack_from(f">{segs}H", cmap, off + 14)
        starts = struct.unpack_from(f">{segs}H", cmap, off + 16 + 2 * segs)
        deltas = struct.unpack_from(f">{segs}h", cmap, off + 16 + 4 * segs)
        ro_pos = off + 16 + 6 * segs
        ranges = struct.unpack_from(f">{segs}H", cmap, ro_pos)
        for i in range(segs):
            for cp in range(starts[i], ends[i] + 1):
                if cp == 0xFFFF:
                    continue
                if ranges[i] == 0:
                    gid = (cp + deltas[i]) & 0xFFFF
                else:
                    pos = ro_pos + 2 * i + ranges[i] + 2 * (cp - starts[i])
                    gid = struct.unpack_from(">H", cmap, pos)[0]
                    gid = (gid + deltas[i]) & 0xFFFF if gid else 0
                if gid:
                    out[cp] = gid
        return out
    raise QrprocError(_("the font has no Unicode character map"))


def _read_ps_name(name: bytes) -> str:
    count, string_offset = struct.unpack_from(">HH", name, 2)
    for i in range(count):
        platform, encoding, _language, name_id, length, offset = struct.unpack_from(
            ">HHHHHH", name, 6 + 12 * i)
        if name_id != 6:
            continue
        raw = name[string_offset + offset:string_offset + offset + length]
        return raw.decode("utf-16-be" if platform in (0, 3) else "latin-1", "replace")
    return ""


def _components(glyph: bytes) -> list[int]:
    """Glyph ids a composite glyph refers to (empty for a simple glyph)."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
        return []
    out, pos = [], 10
    while pos + 4 <= len(glyph):
        flags, gid = struct.unpack_from(">HH", glyph, pos)
        out.append(gid)
        pos += 4 + (4 if flags & 0x0001 else 2)
        pos += 2 if flags & 0x0008 else 4 if flags & 0x0040 else 8 if flags & 0x0080 else 0
        if not flags & 0x0020:
            break
    return out


def _checksum(data: bytes) -> int:
    data += b"\x00" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def _sfnt(tables: dict[str, bytes]) -> bytes:
    """Assemble a TrueType file from its tables (sorted directory, checksums, head adjustment)."""
    tags = sorted(tables)
    n = len(tags)
    entry = 2 ** int(math.log2(n))
    header = struct.pack(">IHHHH", 0x00010000, n, entry * 16, int(math.log2(n)), n * 16 - entry * 16)
    offset = 12 + 16 * n
    directory, body = b"", b""
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data), offset, len(data))
        padded = data + b"\x00" * (-len(data) % 4)
        body += padded
        offset += len(padded)
    font = bytearray(header + directory + body)
    head_offset = struct.unpack_from(">I", directory, 16 * tags.index("head") + 8)[0]
    struct.pack_into(">I", font, head_offset + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


def _missing_message(font: TrueTypeFont, text: str) -> str:
    missing = font.missing(text)
    chars = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
    return _("the font {font} has no glyph for {chars} in {text!r}; refusing to drop "
             "letters").format(font=font.ps_name, chars=chars, text=text[:80])


class Fonts:
    """The regular and bold faces; `measure` is the layout's measure callable."""

    def __init__(self, regular: TrueTypeFont, bold: TrueTypeFont):
        self.faces = {False: regular, True: bold}

    def measure(self, text: str, bold: bool, size: float) -> float:
        """Width in mm of `text` at `size` points."""
        return self.faces[bold].width(text) * size * PT

    def missing(self, text: str) -> list[str]:
        return sorted(set(self.faces[False].missing(text)) | set(self.faces[True].missing(text)))


@lru_cache(maxsize=1)
def default_fonts() -> Fonts:
    d = font_dir()
    return Fonts(TrueTypeFont(d / FONT_FILES[False]), TrueTypeFont(d / FONT_FILES[True]))
