"""Write a laid-out `Document` as a vector PDF: a thin renderer plus a minimal PDF writer.

Why a hand-written writer: the measured cost of a poster page is the QR paths and the text, and
a writer that only knows what the layout produces (grey rectangles, lines of text in two fonts,
QR symbols) is several times faster than a general library. Each QR symbol is one path of
rectangles (a run of dark modules, merged with identical runs in the rows below) in module units
under a ``cm`` scale, so its operands are small integers. Pages are independent, so their content
streams are built in two worker processes (fork) while the main process subsets the fonts, then
written into one file.

Text: Be Vietnam Pro (the PyPI package fontpkg-be-vietnam-pro), Regular and Bold, embedded as
subset TrueType (CIDFontType2, Identity-H, original glyph ids) with a ToUnicode map, so
``pdftotext`` gives back NFC Vietnamese. A character the font lacks raises `QrprocError`: a
letter is never silently dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import multiprocessing
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from qrproc.errors import QrprocError
from qrproc.poster.layout import DOTS_PER_MM, PT, Document, Page, QrArea, module_dots
from qrproc.poster.payload import Encoder, QrSymbol, default_encoder

K = 72 / 25.4  # points per millimetre
PAGES_PER_TASK = 8
#: zlib level of the page content: level 9 takes 7 times as long as 6 on QR paths (2.2 against
#: 0.3 ms per symbol) for 7 % less.
ZLIB_LEVEL = 6
FONT_FILES = {False: "BeVietnamPro-Regular.ttf", True: "BeVietnamPro-Bold.ttf"}

ProgressFn = Callable[[str, int, int], None]


# -- fonts ----------------------------------------------------------------------------------------

def font_dir() -> Path:
    """Where fontpkg-be-vietnam-pro keeps its TTF files."""
    try:
        import fontpkg_be_vietnam_pro as pkg
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise QrprocError("the font package fontpkg-be-vietnam-pro is not installed "
                          "(pip install fontpkg-be-vietnam-pro)") from e
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
            raise QrprocError(f"{self.path}: not a TrueType font")
        n_tables = struct.unpack_from(">H", data, 4)[0]
        self.tables: dict[str, tuple[int, int]] = {}
        for i in range(n_tables):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
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
        self._codes = _GlyphCodes(self.gid)
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
            raise QrprocError(f"{self.path}: no {tag!r} table") from None
        return self.data[offset:offset + length]

    def missing(self, text: str) -> list[str]:
        """Characters of `text` (spaces aside) that the font has no glyph for."""
        return sorted({c for c in text if ord(c) not in self.gid and not c.isspace()})

    def width(self, text: str) -> float:
        """Advance width of `text` in ems (no kerning: the PDF is set the same way)."""
        adv = self.advance
        try:
            return sum(adv[ord(c)] for c in text)
        except KeyError:
            raise QrprocError(_missing_message(self, text)) from None

    def encode(self, text: str) -> bytes:
        """`text` as a PDF literal string of 2-byte glyph ids (Identity-H), parentheses included.
        Binary rather than hex: a third smaller once compressed."""
        try:
            return b"(" + text.translate(self._codes).encode("latin-1") + b")"
        except UnicodeEncodeError:  # a character with no glyph (see _GlyphCodes)
            raise QrprocError(_missing_message(self, text)) from None

    def subset(self, codepoints: Iterable[int]) -> bytes:
        """The font with only the outlines of `codepoints` (and .notdef, and the components of
        composite glyphs); every other glyph is emptied, so glyph ids stay what the content
        streams use. Layout tables (GSUB, GPOS…) are left out: the PDF places every glyph."""
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


class _GlyphCodes(dict):
    """A `str.translate` table: code point -> its glyph id as two escaped PDF string bytes (one
    latin-1 character each). A code point without a glyph gives U+FFFF, which fails the latin-1
    encoding that follows, so no character is ever passed through or dropped."""

    _ESCAPE = {0x5C: "\\\\", 0x28: "\\(", 0x29: "\\)", 0x0D: "\\r"}

    def __init__(self, gid: dict[int, int]):
        super().__init__()
        self.gid = gid

    def __missing__(self, cp: int) -> str:
        g = self.gid.get(cp)
        if g is None:
            return "\uffff"
        code = "".join(self._ESCAPE.get(b, chr(b)) for b in (g >> 8, g & 0xFF))
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
    raise QrprocError("the font has no Unicode character map")


def _read_ps_name(name: bytes) -> str:
    count, string_offset = struct.unpack_from(">HH", name, 2)
    for i in range(count):
        platform, encoding, _, name_id, length, offset = struct.unpack_from(">HHHHHH", name, 6 + 12 * i)
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
    return (f"the font {font.ps_name} has no glyph for {chars} in {text[:80]!r}; "
            "refusing to drop letters")


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


# -- content streams --------------------------------------------------------------------------------

# -- QR symbols -------------------------------------------------------------------------------------
#
# A QR symbol is one filled vector path: its dark modules merged into non-overlapping rectangles
# (each row's runs of dark modules, a run joined with identical runs directly below it), in module
# units under a ``cm`` that scales one unit to one module, and filled once with ``f``. Why this
# and nothing cleverer: every PDF engine fills an ordinary path the same way, and one fill per
# symbol leaves no anti-aliasing seam between abutting rectangles. (Drawing the rows as text in
# clipping mode through a generated one-glyph-per-8-modules font made the file 2.5 times smaller,
# but MuPDF, pdf.js and Ghostscript drew light seams between rows and even wrong modules.)


def dark_rectangles(dark) -> "np.ndarray":
    """Rectangles (column, row, width, height), in modules, that cover exactly the dark modules
    of `dark` (a boolean matrix, row 0 at the top) without overlapping; sorted by row, then
    column. Each is a horizontal run of dark modules, extended down over identical runs."""
    import numpy as np

    n_rows, n_cols = dark.shape
    padded = np.zeros((n_rows, n_cols + 2), dtype=np.int8)
    padded[:, 1:-1] = dark
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)  # same order as the starts: row by row, left to right
    if not len(rows):
        return np.zeros((0, 4), dtype=np.int64)
    key = starts * (n_cols + 2) + ends
    order = np.lexsort((rows, key))  # identical runs together, top to bottom
    key, rows, starts, ends = key[order], rows[order], starts[order], ends[order]
    first = np.ones(len(key), dtype=bool)  # a run that does not continue the one above it
    first[1:] = (key[1:] != key[:-1]) | (rows[1:] != rows[:-1] + 1)
    heads = np.flatnonzero(first)
    heights = np.diff(np.append(heads, len(key)))
    rects = np.stack([starts[heads], rows[heads], ends[heads] - starts[heads], heights], axis=1)
    return rects[np.lexsort((rects[:, 0], rects[:, 1]))]


def _format_rects(rects) -> tuple[bytes, "np.ndarray"]:
    """``c r w h re`` lines for rectangles with operands below 1000, and each line's length:
    digits are laid out with numpy, which is ten times faster than %-formatting them."""
    import numpy as np

    n = len(rects)
    v = np.asarray(rects, dtype=np.int32)
    chars = np.empty((n, 4, 4), dtype=np.uint8)
    chars[..., 0] = v // 100 + 48
    chars[..., 1] = v // 10 % 10 + 48
    chars[..., 2] = v % 10 + 48
    chars[..., 3] = 32
    keep = np.ones((n, 4, 4), dtype=bool)
    keep[..., 0] = v >= 100
    keep[..., 1] = v >= 10
    line = np.concatenate([chars.reshape(n, 16), np.broadcast_to(np.frombuffer(b"re\n", np.uint8), (n, 3))], axis=1)
    mask = np.concatenate([keep.reshape(n, 16), np.ones((n, 3), dtype=bool)], axis=1)
    return line[mask].tobytes(), mask.sum(axis=1)


def qr_paths(matrices: Sequence) -> list[bytes]:
    """The path of each symbol (one ``c r w h re`` per rectangle of `dark_rectangles`, in module
    units; the caller sets the ``cm`` and fills). The symbols are stacked, one empty row apart,
    and cut up in one pass: numpy's cost per call is paid once per page, not once per symbol."""
    import numpy as np

    if not matrices:
        return []
    width = max(m.shape[1] for m in matrices)
    tops = np.cumsum([0] + [m.shape[0] + 1 for m in matrices])
    stacked = np.zeros((int(tops[-1]), width), dtype=bool)
    for m, top in zip(matrices, tops):
        stacked[top:top + m.shape[0], :m.shape[1]] = m
    rects = dark_rectangles(stacked)
    which = np.searchsorted(tops, rects[:, 1], side="right") - 1
    rects[:, 1] -= tops[which]
    text, lengths = _format_rects(rects)
    offsets = np.concatenate([[0], np.cumsum(lengths)])  # byte offset of each rectangle's line
    cuts = offsets[np.concatenate([[0], np.cumsum(np.bincount(which, minlength=len(matrices)))])]
    out = [text[int(a):int(b)] for a, b in zip(cuts[:-1], cuts[1:])]
    return out


def symbol_geometry(area: QrArea, symbol: QrSymbol) -> tuple[float, float, float]:
    """(x, y, module) in mm of the symbol's top-left corner and its module size: the largest
    module of whole 600 dpi dots that fits the area with the quiet zone, the symbol centred, its
    corner on a whole dot from the page's top-left corner. Refuses modules below the minimum."""
    total = symbol.size + 2 * area.quiet
    dots = math.floor(area.box.w * DOTS_PER_MM / total + 1e-9)
    if dots < module_dots(area.min_module):
        raise QrprocError(
            f"{area.code}: QR version {symbol.version} does not fit its {area.box.w:.1f} mm area "
            f"with modules of at least {area.min_module} mm")
    side = symbol.size * dots
    x = round(area.box.x * DOTS_PER_MM + (area.box.w * DOTS_PER_MM - side) / 2)
    y = round(area.box.y * DOTS_PER_MM + (area.box.h * DOTS_PER_MM - side) / 2)
    return x / DOTS_PER_MM, y / DOTS_PER_MM, dots / DOTS_PER_MM


def page_stream(page: Page, height: float, fonts: Fonts,
                encoder: Encoder) -> tuple[bytes, dict[str, QrSymbol]]:
    """The page's content stream (compressed) and the symbol drawn for each code on it."""
    out: list[bytes] = []
    for r in page.rects:
        b = r.box
        coords = (b.x * K, (height - b.y - b.h) * K, b.w * K, b.h * K)
        if r.fill is not None:
            out.append(b"%.3g g %.2f %.2f %.2f %.2f re f\n" % ((r.fill,) + coords))
        if r.stroke is not None:
            out.append(b"%.3g G %.2f w %.2f %.2f %.2f %.2f re S\n" % ((r.stroke, r.line_width * K) + coords))
    if page.texts:
        out.append(b"BT 0 g\n")  # text is solid black: grey small type halftones on a laser
        font_key = None
        for t in page.texts:
            if (t.bold, t.size) != font_key:
                font_key = (t.bold, t.size)
                out.append(b"/F%d %.2f Tf\n" % (2 if t.bold else 1, t.size))
            out.append(b"1 0 0 1 %.2f %.2f Tm %s Tj\n"
                       % (t.x * K, (height - t.baseline) * K, fonts.faces[t.bold].encode(t.text)))
        out.append(b"ET\n")
    symbols: dict[str, QrSymbol] = {}
    drawn = [encoder(area.code, area.payload, area.ec) for area in page.qrs]
    for area, symbol, path in zip(page.qrs, drawn, qr_paths([d.dark for d in drawn])):
        x, y, module = symbol_geometry(area, symbol)
        # One unit = one module, y flipped so that row 0 is the top row. The module and the
        # corner are whole 600 dpi dots (0.12 pt) from the top-left corner of the page.
        out.append(b"q 0 g %.2f 0 0 %.2f %.2f %.4f cm\n" % (module * K, -module * K, x * K, (height - y) * K))
        out.append(path)
        out.append(b"f Q\n")
        symbols[area.code] = symbol
    return zlib.compress(b"".join(out), ZLIB_LEVEL), symbols


# -- worker processes -------------------------------------------------------------------------------

_TASK: Callable[[int], object] | None = None


def _run_task(i: int):
    return _TASK(i)  # type: ignore[misc]


@contextlib.contextmanager
def fork_map(func: Callable[[int], object], n_tasks: int, workers: int) -> Iterator[Iterator]:
    """Results of func(0..n_tasks-1), in order, from `workers` forked processes.

    Forked workers inherit `func` and everything it closes over (the document, the fonts, an
    injected encoder), so nothing large is pickled on the way in. With one worker, one task or no
    fork (not Linux), it runs in this process.
    """
    global _TASK
    if workers <= 1 or n_tasks <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield (func(i) for i in range(n_tasks))
        return
    _TASK = func
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, n_tasks)) as pool:
            yield pool.imap(_run_task, range(n_tasks))
    finally:
        _TASK = None


def chunk_size(n_pages: int, workers: int) -> int:
    """Pages per task: at most PAGES_PER_TASK, and at least ~4 tasks per worker so the workers
    finish together on small jobs."""
    return max(1, min(PAGES_PER_TASK, math.ceil(n_pages / (4 * max(1, workers)))))


def default_workers() -> int:
    import os

    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))


# -- the PDF file -----------------------------------------------------------------------------------

def _pdf_text(text: str) -> bytes:
    """A PDF text string (UTF-16BE with BOM, hex)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _to_unicode(font: TrueTypeFont, codepoints: Sequence[int]) -> bytes:
    pairs = sorted({font.gid[cp]: cp for cp in codepoints if cp in font.gid}.items())
    out = [b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
           b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
           b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
           b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"]
    for i in range(0, len(pairs), 100):
        chunk = pairs[i:i + 100]
        out.append(b"%d beginbfchar\n" % len(chunk))
        for gid, cp in chunk:
            out.append(b"<%04X> <%s>\n" % (gid, chr(cp).encode("utf-16-be").hex().upper().encode()))
        out.append(b"endbfchar\n")
    out.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    return b"".join(out)


class _Writer:
    def __init__(self, f):
        self.f = f
        self.pos = 0
        self.offsets: dict[int, int] = {}

    def write(self, data: bytes) -> None:
        self.f.write(data)
        self.pos += len(data)

    def obj(self, num: int, body: bytes) -> None:
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")

    def stream(self, num: int, entries: bytes, data: bytes) -> None:
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (num, entries, len(data)))
        self.write(data)
        self.write(b"\nendstream\nendobj\n")


def write_pdf(path: Path, doc: Document, streams: Sequence[bytes], fonts: Fonts,
              font_files: dict[bool, bytes], used: dict[bool, set[int]], *, title: str,
              created: datetime | None = None) -> int:
    """Assemble the file from page content streams; returns its size in bytes."""
    w_pt, h_pt = doc.paper.width * K, doc.paper.height * K
    n_pages = len(streams)
    font_base = 5
    page_base = font_base + 10
    with open(path, "wb") as f:
        w = _Writer(f)
        w.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        kids = b" ".join(b"%d 0 R" % (page_base + 2 * i) for i in range(n_pages))
        # Print at 100 % by default (a "fit to printable area" of 94-97 % shrinks every module),
        # on paper of the page's size.
        w.obj(1, b"<< /Type /Catalog /Pages 2 0 R /ViewerPreferences << /DisplayDocTitle true "
                 b"/PrintScaling /None /PickTrayByPDFSize true >> >>")
        w.obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages))
        w.obj(3, b"<< /Font << /F1 %d 0 R /F2 %d 0 R >> /ProcSet [/PDF /Text] >>"
              % (font_base, font_base + 5))
        when = (created or datetime(2000, 1, 1)).strftime("D:%Y%m%d%H%M%S").encode()
        w.obj(4, b"<< /Title %s /Producer (qrproc) /Creator (qrproc posters) /CreationDate (%s) >>"
              % (_pdf_text(title), when))
        for k, bold in enumerate((False, True)):
            face = fonts.faces[bold]
            cps = sorted(used[bold])
            tag = "".join(chr(65 + b % 26) for b in hashlib.sha1(repr(cps).encode()).digest()[:6])
            name = f"{tag}+{face.ps_name}".encode("ascii")
            base = font_base + 5 * k
            gids = sorted({face.gid[cp] for cp in cps if cp in face.gid})
            widths = b" ".join(b"%d [%d]" % (g, face.gid_width.get(g, 0)) for g in gids)
            w.obj(base, b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
                        b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (name, base + 1, base + 4))
            w.obj(base + 1, b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "
                            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                            b"/FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 0 /W [%s] >>"
                  % (name, base + 2, widths))
            w.obj(base + 2, b"<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] "
                            b"/ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV %d "
                            b"/FontFile2 %d 0 R >>"
                  % ((name,) + face.bbox + (face.ascent, face.descent, face.cap_height,
                                            140 if bold else 80, base + 3)))
            data = font_files[bold]
            w.stream(base + 3, b"/Length1 %d /Filter /FlateDecode" % len(data), zlib.compress(data, 6))
            w.stream(base + 4, b"/Filter /FlateDecode", zlib.compress(_to_unicode(face, cps), 6))
        for i, content in enumerate(streams):
            num = page_base + 2 * i
            w.obj(num, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources 3 0 R "
                       b"/Contents %d 0 R >>" % (w_pt, h_pt, num + 1))
            w.stream(num + 1, b"/Filter /FlateDecode", content)
        size = page_base + 2 * n_pages
        xref = w.pos
        w.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        w.write(b"".join(b"%010d 00000 n \n" % w.offsets[i] for i in range(1, size)))
        digest = hashlib.md5(b"".join(streams[:4]) + title.encode()).hexdigest().encode()
        w.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
                % (size, digest, digest, xref))
        return w.pos


@dataclass(frozen=True)
class RenderInfo:
    pages: int
    size: int  # bytes
    symbols: dict  # code -> the QrSymbol drawn

    @property
    def versions(self) -> dict[str, int]:
        """code -> QR version actually drawn."""
        return {code: s.version for code, s in self.symbols.items()}


def used_codepoints(doc: Document) -> dict[bool, set[int]]:
    used: dict[bool, set[int]] = {False: {ord(" ")}, True: {ord(" ")}}
    for page in doc.pages:
        for t in page.texts:
            used[t.bold].update(map(ord, t.text))
    return used


def render(doc: Document, path: str | Path, *, fonts: Fonts | None = None,
           encoder: Encoder = default_encoder, workers: int = 1,
           on_progress: ProgressFn | None = None, title: str | None = None,
           created: datetime | None = None) -> RenderInfo:
    """Write `doc` to `path` as PDF; pages are built by `workers` processes."""
    fonts = fonts or default_fonts()
    pages = doc.pages
    height = doc.paper.height
    size = chunk_size(len(pages), workers)
    chunks = [range(i, min(i + size, len(pages))) for i in range(0, len(pages), size)]

    def task(k: int):
        return [page_stream(pages[i], height, fonts, encoder) for i in chunks[k]]

    streams: list[bytes] = []
    symbols: dict[str, QrSymbol] = {}
    with fork_map(task, len(chunks), workers) as results:
        used = used_codepoints(doc)  # meanwhile, in this process: the font subsets
        font_files = {bold: fonts.faces[bold].subset(used[bold]) for bold in (False, True)}
        for part in results:
            for content, drawn in part:
                streams.append(content)
                symbols.update(drawn)
            if on_progress:
                on_progress("render", len(streams), len(pages))
    size = write_pdf(Path(path), doc, streams, fonts, font_files, used,
                     title=title or doc.title, created=created)
    return RenderInfo(pages=len(streams), size=size, symbols=symbols)
