"""Pure page layout for the posters: cards, pages, index, takedown sheet.

Everything here is geometry in millimetres, measured from the top-left corner of the page (y
grows downwards), and text wrapping. Fonts are reached only through a `measure(text, bold,
size_pt) -> width_mm` callable, so the same layout drives the PDF and the PNG renderers and can
be tested with numbers. The result is a `Document` of frozen dataclasses: text lines (each with
the box it must stay inside), rectangles and QR areas.

Rules kept here:

* a name is wrapped at spaces only (never inside a word), shrunk step by step until it fits its
  card; a card that still cannot hold its name (or its QR at the minimum module size) spans two or
  more grid cells; if nothing fits, `QrprocError`/`PayloadError` names the procedure;
* a QR area is a square that includes the 4-module quiet zone; no text or rule enters it;
* on grid pages every field's cards sit under a band naming the field (lĩnh vực); small fields
  share a page, a field that does not fit in what is left of a page starts a new one, a long one
  continues under a repeated band; an index lists the fields, their number of procedures and their
  pages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from datetime import date
from typing import Callable, Iterable, Sequence

from qrproc.errors import PayloadError, QrprocError
from qrproc.i18n import _, option
from qrproc.model import vi_sort_key
from qrproc.states import NO_FIELD
from qrproc.diff import vn_date

PT = 25.4 / 72  # millimetres per point
LEADING = 1.22  # line height, in ems
ASCENT = 0.93  # baseline below the top of its line, in ems
DOTS_PER_MM = 600 / 25.4  # module sizes are whole dots of a 600 dpi printer
#: How far above and below its baseline a line may put ink, in ems. A line's box runs from ASCENT
#: above the baseline, but stacked Vietnamese diacritics reach higher (Ẳ: 1.22 em in Be Vietnam
#: Pro Bold, Ổ 1.17), and marks below (ạ, ç) 0.26 em down. No ink may enter a QR area.
INK_ASCENT = 1.25
INK_DESCENT = 0.30
#: Print dialogs shrink a page to fit the printable area ("fit", 94–97 %); modules are sized so
#: that they keep their minimum size even at this scale.
FIT_SCALE = 0.94
#: The smallest module for a code read from a wall board at arm's length (posting rules §D7).
WALL_MODULE = 0.8

#: width in mm of `text` set in the (bold) font at `size` points.
Measure = Callable[[str, bool, float], float]

TITLE = "BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH"
#: The title of a changes document: the new and reprinted cards for the board, not the board.
CHANGES_TITLE = "THẺ QR BỔ SUNG, THAY THẾ TRÊN BẢNG NIÊM YẾT TTHC"
CHECKLIST_TITLE = "DANH SÁCH THẺ CẦN DÁN LÊN BẢNG"
#: Printed on every card, under or beside its code: older citizens need to be told.
SCAN_HINT = "Quét mã để xem thủ tục"
TAKEDOWN_TITLE = "DANH SÁCH THỦ TỤC CẦN GỠ KHỎI BẢNG NIÊM YẾT"
INDEX_TITLE = "MỤC LỤC THEO LĨNH VỰC"
BAND_H = 8.0  # the grey band naming a field, mm
BAND_GAP = 2.5


# -- value types -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Paper:
    name: str
    width: float
    height: float


PAPERS = {"A4": Paper("A4", 210.0, 297.0), "A3": Paper("A3", 297.0, 420.0)}


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def contains(self, other: "Box", tol: float = 1e-6) -> bool:
        return (other.x >= self.x - tol and other.y >= self.y - tol
                and other.right <= self.right + tol and other.bottom <= self.bottom + tol)

    def overlaps(self, other: "Box") -> bool:
        return (self.x < other.right and other.x < self.right
                and self.y < other.bottom and other.y < self.bottom)

    def moved(self, dx: float, dy: float) -> "Box":
        return Box(self.x + dx, self.y + dy, self.w, self.h)


@dataclass(frozen=True)
class Text:
    """One line of text. `x` is its left edge, `baseline` its baseline; `width` is what `measure`
    said; `box` is the area the line must stay inside (a card's text area, a table cell)."""

    text: str
    x: float
    baseline: float
    size: float
    bold: bool
    width: float
    box: Box

    @property
    def top(self) -> float:
        return self.baseline - self.size * PT * ASCENT

    @property
    def ink(self) -> Box:
        """Where the line's glyphs may put ink: its width, from INK_ASCENT above the baseline to
        INK_DESCENT below (stacked diacritics reach above the line's top)."""
        top = self.baseline - self.size * PT * INK_ASCENT
        return Box(self.x, top, self.width, self.size * PT * (INK_ASCENT + INK_DESCENT))

    def moved(self, dx: float, dy: float) -> "Text":
        return Text(self.text, self.x + dx, self.baseline + dy, self.size, self.bold, self.width,
                    self.box.moved(dx, dy))


@dataclass(frozen=True)
class Rect:
    box: Box
    fill: float | None = None  # grey level 0 (black) .. 1 (white)
    stroke: float | None = None
    line_width: float = 0.2  # mm

    def moved(self, dx: float, dy: float) -> "Rect":
        return replace(self, box=self.box.moved(dx, dy))


@dataclass(frozen=True)
class QrArea:
    """Where a QR code goes: a square `box` that includes the quiet zone. The renderer draws the
    symbol with whole 600-dpi-dot modules of at least `min_module` mm, centred in the box."""

    box: Box
    code: str
    payload: str
    ec: str
    min_module: float
    quiet: int = 4

    def moved(self, dx: float, dy: float) -> "QrArea":
        return QrArea(self.box.moved(dx, dy), self.code, self.payload, self.ec, self.min_module,
                      self.quiet)


#: Printed for a processing time or fee the source does not state (never "none": a zero fee the
#: council sets, or a time in an unknown unit, is left empty by the importers).
UNVERIFIED = "Chưa xác minh"


@dataclass(frozen=True)
class CardSpec:
    """What goes on one card (the layout's input). `note` says, on a changes document, what the
    card does on the board ("Thẻ mới", "Thay thẻ 1.001193")."""

    code: str
    name: str
    field: str
    payload: str
    ec: str
    version: int  # the QR version the payload needs at most (payload.version_bound)
    processing_time: str = ""
    fees: str = ""
    note: str = ""


@dataclass(frozen=True)
class Furniture:
    """What every page says besides its cards: the decisions the list comes from and the
    centre's name, address and hotline (footer); `changes` makes it a changes document (its own
    title, a checklist of the cards to put up first, each card saying what it replaces)."""

    decisions: tuple[str, ...] = ()
    centre: str = ""
    address: str = ""
    hotline: str = ""
    changes: bool = False

    @property
    def contact(self) -> str:
        parts = [self.centre, f"Địa chỉ: {self.address}" if self.address else "",
                 f"Đường dây nóng: {self.hotline}" if self.hotline else ""]
        return " · ".join(p for p in parts if p)

    @property
    def title(self) -> str:
        return CHANGES_TITLE if self.changes else TITLE


@dataclass(frozen=True)
class TakedownRow:
    code: str
    name: str
    field: str
    reason: str


@dataclass(frozen=True)
class Card:
    """A laid-out card: its box, QR area and text lines (`name_lines` are the name's)."""

    code: str
    name: str
    box: Box
    qr: QrArea
    name_lines: tuple[Text, ...]
    texts: tuple[Text, ...]  # every line of the card, name lines included
    span: int = 1

    def moved(self, dx: float, dy: float) -> "Card":
        texts = tuple(t.moved(dx, dy) for t in self.texts)
        return Card(self.code, self.name, self.box.moved(dx, dy), self.qr.moved(dx, dy),
                    texts[:len(self.name_lines)], texts, self.span)


@dataclass(frozen=True)
class Page:
    kind: str  # "index", "cards", "single", "labels" or "takedown"
    number: int
    field: str
    texts: tuple[Text, ...]
    rects: tuple[Rect, ...]
    qrs: tuple[QrArea, ...]
    cards: tuple[Card, ...] = ()
    codes: tuple[str, ...] = ()  # procedure codes listed on the page (takedown sheet)
    fields: tuple[str, ...] = ()  # the fields whose cards are on the page, each under its band


@dataclass(frozen=True)
class IndexEntry:
    field: str
    count: int
    first_page: int
    last_page: int


@dataclass(frozen=True)
class Document:
    layout: str
    paper: Paper
    title: str
    pages: tuple[Page, ...]
    index: tuple[IndexEntry, ...] = ()

    @property
    def qr_count(self) -> int:
        return sum(len(p.qrs) for p in self.pages)

    @property
    def min_module(self) -> float:
        return min((q.min_module for p in self.pages for q in p.qrs), default=1.0)


# -- text -----------------------------------------------------------------------------------

class _Cached:
    """`measure` with caches: names share most of their syllables, and wrapping tries several
    sizes. Widths are measured once at 1 pt and scaled, so `measure` must be proportional to the
    size (true of unhinted font metrics, which both renderers use)."""

    def __init__(self, measure: Measure):
        self.measure = measure
        self.unit: dict[tuple[str, bool], float] = {}
        self.paras: dict[tuple[str, bool], tuple[list[str], list[float], float]] = {}
        self.totals: dict[tuple[str, bool], float] = {}

    def __call__(self, text: str, bold: bool, size: float) -> float:
        key = (text, bold)
        w = self.unit.get(key)
        if w is None:
            w = self.unit[key] = self.measure(text, bold, 1.0)
        return w * size

    def words(self, text: str, bold: bool) -> tuple[list[str], list[float], float]:
        """The words of `text`, their widths at 1 pt, and the width of a space at 1 pt."""
        key = (text, bold)
        r = self.paras.get(key)
        if r is None:
            words = text.split()
            r = self.paras[key] = (words, [self(w, bold, 1.0) for w in words], self(" ", bold, 1.0))
        return r

    def total(self, text: str, bold: bool) -> float:
        """Width at 1 pt of the text's words laid end to end with single spaces."""
        key = (text, bold)
        t = self.totals.get(key)
        if t is None:
            words, widths, space = self.words(text, bold)
            t = self.totals[key] = sum(widths) + space * max(0, len(words) - 1)
        return t


def line_height(size: float) -> float:
    return size * PT * LEADING


def wrap(text: str, width: float, measure: Measure, *, bold: bool = False,
         size: float = 9.0) -> tuple[str, ...] | None:
    """Greedy wrap at spaces into lines no wider than `width`; None if a word alone is wider.

    Words are never split. The lines, joined with single spaces, give back the text with its
    whitespace collapsed.
    """
    cached = measure if isinstance(measure, _Cached) else _Cached(measure)
    words, widths, space = cached.words(text, bold)
    if not words:
        return ()
    limit = (width - 1e-6) / size  # compare at 1 pt; the margin absorbs float rounding
    lines: list[str] = []
    start = 0
    current = -1.0
    for i, w in enumerate(widths):
        if w > limit:
            return None
        if current < 0:
            current = w
        elif current + space + w > limit:
            lines.append(" ".join(words[start:i]))
            start, current = i, w
        else:
            current += space + w
    lines.append(" ".join(words[start:]))
    return tuple(lines)


@dataclass(frozen=True)
class _Para:
    text: str
    bold: bool
    sizes: tuple[float, ...]  # tried largest first


def _fit(paras: Sequence[_Para], width: float, height: float, measure: Measure,
         gap: float = 0.0) -> list[tuple[_Para, float, tuple[str, ...]]] | None:
    """Shrink all paragraphs together (step i uses each one's i-th size) to the first step at
    which they fit. Smaller type never needs more height, so the step is found by bisection."""
    cached = measure if isinstance(measure, _Cached) else _Cached(measure)
    steps = max(len(p.sizes) for p in paras)
    n_gaps = gap * (sum(1 for p in paras if p.text.strip()) - 1)

    def attempt(i: int):
        sizes = [p.sizes[min(i, len(p.sizes) - 1)] for p in paras]
        # A lower bound first (each paragraph's text laid end to end), to skip hopeless wraps.
        bound = n_gaps
        for p, size in zip(paras, sizes):
            total = cached.total(p.text, p.bold) * size
            if total:
                bound += max(1, math.ceil(total / width - 1e-9)) * line_height(size)
        if bound > height + 1e-9:
            return None
        out, total_h = [], n_gaps
        for p, size in zip(paras, sizes):
            lines = wrap(p.text, width, cached, bold=p.bold, size=size)
            if lines is None:
                return None
            out.append((p, size, lines))
            total_h += len(lines) * line_height(size)
        return out if total_h <= height + 1e-9 else None

    best = attempt(0)  # most texts fit at their largest size
    if best is not None:
        return best
    best = attempt(steps - 1)
    if best is None:
        return None
    lo, hi = 1, steps - 1
    while lo < hi:
        mid = (lo + hi) // 2
        got = attempt(mid)
        if got is not None:
            hi, best = mid, got
        else:
            lo = mid + 1
    return best


def _set(fitted, box: Box, measure: Measure, *, align: str = "left", top: float | None = None,
         gap: float = 0.0) -> list[Text]:
    """Turn fitted paragraphs into Text lines from `top` (default: the box top) down."""
    y = box.y if top is None else top
    out: list[Text] = []
    for p, size, lines in fitted:
        if not lines:
            continue
        for line in lines:
            w = measure(line, p.bold, size)
            x = box.x + (box.w - w) / 2 if align == "center" else (
                box.right - w if align == "right" else box.x)
            out.append(Text(line, x, y + size * PT * ASCENT, size, p.bold, w, box))
            y += line_height(size)
        y += gap
    return out


def _block_height(fitted, gap: float = 0.0) -> float:
    used = [f for f in fitted if f[2]]
    return sum(len(lines) * line_height(size) for _, size, lines in used) + gap * max(0, len(used) - 1)


def text_in_box(text: str, box: Box, measure: Measure, *, bold: bool = False,
                sizes: Sequence[float] = (9,), align: str = "left", valign: str = "top") -> list[Text]:
    """Lines of `text` fitted into `box` (largest size that fits). Raises QrprocError if none does."""
    fitted = _fit([_Para(text, bold, tuple(sizes))], box.w, box.h, measure)
    if fitted is None:
        raise QrprocError(_("text does not fit in {width}×{height} mm even at {size} pt: "
                            "{text!r}").format(width=f"{box.w:.0f}", height=f"{box.h:.0f}",
                                               size=min(sizes), text=text[:80]))
    h = _block_height(fitted)
    top = box.y + {"top": 0.0, "middle": (box.h - h) / 2, "bottom": box.h - h}[valign]
    return _set(fitted, box, measure, align=align, top=top)


# -- cards ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardStyle:
    name_sizes: tuple[float, ...]
    code_size: float
    field_size: float
    qr_box: float  # preferred QR square (quiet zone included), mm
    min_module: float  # mm
    pad: float = 2.2
    vertical: bool = True  # QR on top (a span-1 grid card) or at the left


#: Wall cards: modules of at least 0.8 mm even printed at 94 % (21 dots, 0.889 mm), so the portal
#: link (version 7, 53 modules with the quiet zone) takes a 47 mm square; a shorter link gets
#: larger modules in the same square. A name smaller than 7 pt is not set: the card widens.
GRID_STYLE = CardStyle(name_sizes=(9.5, 9, 8.5, 8, 7.5, 7), code_size=8.5,
                       field_size=7, qr_box=47.2, min_module=WALL_MODULE)
#: Counter labels, cut out and kept at the desk, scanned at hand distance: modules of at least
#: 0.5 mm at 94 % (13 dots, 0.55 mm). Too small for the wall board, and print_posters warns.
#: Names are wrapped onto more lines, never set below 6 pt: a longer name takes a wider label.

LABEL_STYLE = CardStyle(name_sizes=(8, 7.5, 7, 6.5, 6), code_size=6.5,
                        field_size=6, qr_box=31.0, min_module=0.5, pad=1.6, vertical=False)


def module_dots(min_module: float) -> int:
    """The smallest module, in whole 600 dpi dots, that stays at least `min_module` mm when the
    page is printed at FIT_SCALE: 0.8 mm -> 21 dots = 0.889 mm (0.836 mm at 94 %); 0.5 mm -> 13
    dots = 0.550 mm."""
    return math.ceil(min_module / FIT_SCALE * DOTS_PER_MM - 1e-9)


def ink_clearance(size: float) -> float:
    """How far below a QR area (mm) the top of a line at `size` points must start for its
    highest diacritics stay out of it (0.1 mm spare)."""
    return (INK_ASCENT - ASCENT) * size * PT + 0.1


def qr_side(version: int, min_module: float, preferred: float, quiet: int = 4) -> float:
    """Side of a QR area: the preferred size, or more if the symbol needs it at `min_module`."""
    n = 17 + 4 * version + 2 * quiet
    return max(preferred, n * module_dots(min_module) / DOTS_PER_MM)


def _card_at_origin(spec: CardSpec, w: float, h: float, style: CardStyle, measure: Measure,
                    span: int) -> Card | None:
    """Lay `spec` out in a w×h card at (0, 0), or None if it does not fit."""
    need = qr_side(spec.version, style.min_module, 0)
    q = max(need, style.qr_box)
    vertical = style.vertical and span == 1
    pad = style.pad
    name = _Para(spec.name, True, style.name_sizes)
    code = _Para(f"Mã TTHC: {spec.code}", False, (style.code_size,) + tuple(
        s for s in style.name_sizes if s < style.code_size))
    fld = _Para(spec.field or NO_FIELD, False, (style.field_size,) + tuple(
        s for s in style.name_sizes if s < style.field_size))
    small = (style.field_size,) + tuple(s for s in style.name_sizes if s < style.field_size)
    paras = [name, code, fld, _Para(SCAN_HINT, False, small)]
    if spec.note:
        paras.insert(1, _Para(spec.note, True, small))
    if vertical:
        if q > w - 1.0 or q > h - 1.0:
            return None
        qr_box = Box((w - q) / 2, 0.6, q, q)
        top = qr_box.bottom + ink_clearance(style.name_sizes[0])
        area = Box(pad, top, w - 2 * pad, h - top - pad * 0.6)
        align = "center"
    else:
        q = min(q, h - 1.0)  # at the left, the QR may take the card's whole height
        if q < need - 1e-9:
            return None
        qr_box = Box(0.5, (h - q) / 2, q, q)
        area = Box(qr_box.right + 0.6, pad, w - qr_box.right - 0.6 - pad, h - 2 * pad)
        align = "left"
    if area.w < 12 or area.h < 6:
        return None
    gap = 0.6
    fitted = None
    if not vertical:
        # Text level with the symbol (inside its quiet zone) looks tidier, when it fits.
        quiet = 4 * q / (17 + 4 * spec.version + 8)
        top, bottom = max(area.y, qr_box.y + quiet), min(area.bottom, qr_box.bottom - quiet)
        level = Box(area.x, top, area.w, bottom - top)
        fitted = _fit(paras, level.w, level.h, measure, gap=gap)
        if fitted is not None:
            area = level
    if fitted is None:
        fitted = _fit(paras, area.w, area.h, measure, gap=gap)
    if fitted is None:
        return None
    name_fit, rest = fitted[:1], fitted[1:]
    name_lines = _set(name_fit, area, measure, align=align)
    rest_h = _block_height(rest)
    rest_lines = _set(rest, area, measure, align=align, top=area.bottom - rest_h)
    qr = QrArea(qr_box, spec.code, spec.payload, spec.ec, style.min_module)
    return Card(spec.code, spec.name, Box(0, 0, w, h), qr, tuple(name_lines),
                tuple(name_lines + rest_lines), span)


def fit_card(spec: CardSpec, cell_w: float, cell_h: float, gap: float, max_span: int,
             style: CardStyle, measure: Measure) -> Card:
    """The narrowest span (1..max_span cells) whose card holds the QR and the whole name."""
    for span in range(1, max_span + 1):
        card = _card_at_origin(spec, cell_w * span + gap * (span - 1), cell_h, style, measure, span)
        if card is not None:
            return card
    need = qr_side(spec.version, style.min_module, 0)
    if need > cell_h - 1.0:
        raise PayloadError(_(
            "{code}: its link needs QR version {version} ({modules} modules): {need} mm at the "
            "minimum module size {module} mm, more than the {room} mm a {card} mm card has for it. "
            "A link to the procedure's own page is shorter ({find_links}); or shorten the link "
            "({set_template}), or {use_single}").format(
                code=spec.code, version=spec.version, modules=17 + 4 * spec.version,
                need=f"{need:.1f}", module=style.min_module, room=f"{cell_h - 1.0:.1f}",
                card=f"{cell_h:.0f}", find_links=option("find_links"),
                set_template=option("set_template"), use_single=option("use_single")))
    raise QrprocError(_(
        "{code}: the name ({n} characters) does not fit even a card {span} cells wide at {size} pt; "
        "{use_single}: {name}…").format(code=spec.code, n=len(spec.name), span=max_span,
                                        size=min(style.name_sizes), name=spec.name[:80],
                                        use_single=option("use_single")))


# -- page furniture ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Frame:
    """Where things go on a page of a given paper."""

    paper: Paper
    margin: float
    furniture: Furniture = Furniture()

    @property
    def inner(self) -> Box:
        m = self.margin
        return Box(m, m, self.paper.width - 2 * m, self.paper.height - 2 * m)

    @property
    def footer_lines(self) -> int:
        return 2 if self.furniture.contact else 1

    @property
    def footer_top(self) -> float:
        return self.paper.height - self.margin - FOOTER_LINE * self.footer_lines


FOOTER_LINE = 3.2  # mm per footer line


def _frame(paper: Paper, furniture: Furniture | None = None) -> _Frame:
    return _Frame(paper, 8.0 if paper.name == "A4" else 10.0, furniture or Furniture())


def _header(fr: _Frame, unit: str, title: str, measure: Measure) -> tuple[list[Text], float]:
    """Unit name and title; returns the lines and the y below them."""
    inner = fr.inner
    texts = text_in_box(unit.upper(), Box(inner.x, inner.y, inner.w, 4.2), measure, bold=True,
                        sizes=(9, 8, 7, 6))
    texts += text_in_box(title, Box(inner.x, inner.y + 4.6, inner.w, 6.4), measure, bold=True,
                         sizes=(14, 13, 12, 11, 10), align="center")
    return texts, inner.y + 11.8


def _band(fr: _Frame, y: float, label: str, note: str, measure: Measure) -> tuple[list[Text], Rect, float]:
    """A grey band naming the field (lĩnh vực) at `y`; returns lines, rect and the y below."""
    inner = fr.inner
    band = Box(inner.x, y, inner.w, BAND_H)
    note_w = measure(note, False, 8) if note else 0.0
    note_box = Box(band.right - 2.5 - note_w, band.y + 1.0, note_w + 0.01, band.h - 2.0)
    label_box = Box(band.x + 2.5, band.y + 0.6, band.w - 5.0 - note_w - 3.0, band.h - 1.2)
    texts = text_in_box(label, label_box, measure, bold=True,
                        sizes=(10.5, 10, 9.5, 9, 8.5, 8, 7.5, 7, 6.5, 6, 5.5, 5), valign="middle")
    if note:
        texts += text_in_box(note, note_box, measure, sizes=(8,), align="right", valign="middle")
    return texts, Rect(band, fill=0.9), band.bottom + BAND_GAP


FOOTER_SIZES = (7, 6.5, 6, 5.5, 5)


def _footer(fr: _Frame, as_of: date, number: int, total: int, measure: Measure) -> list[Text]:
    """Line 1: the list's date and decisions, and the page number; line 2 (when set): the
    centre's name, address and hotline."""
    inner = fr.inner
    f = fr.furniture
    page = f"Trang {number}/{total}"
    page_w = measure(page, False, 7) + 3.0
    box = Box(inner.x, fr.footer_top, inner.w, FOOTER_LINE)
    source = f"Danh mục thủ tục hành chính áp dụng ngày {vn_date(as_of)}"
    if f.decisions:
        source += " theo Quyết định " + ", ".join(f.decisions)
    texts = text_in_box(source, Box(box.x, box.y, box.w - page_w, box.h), measure,
                        sizes=FOOTER_SIZES)
    texts += text_in_box(page, box, measure, sizes=(7,), align="right")
    if f.contact:
        texts += text_in_box(f.contact, Box(box.x, box.y + FOOTER_LINE, box.w, FOOTER_LINE),
                             measure, sizes=FOOTER_SIZES)
    return texts


@dataclass
class _Draft:
    """A page being built (numbers and footers come at the end)."""

    kind: str
    field: str = ""
    texts: list[Text] = dc_field(default_factory=list)
    rects: list[Rect] = dc_field(default_factory=list)
    cards: list[Card] = dc_field(default_factory=list)
    codes: list[str] = dc_field(default_factory=list)
    fields: list[str] = dc_field(default_factory=list)  # fields with a band on the page
    frames: bool = True  # draw the cards' outlines


def _finish(drafts: Sequence[_Draft], fr: _Frame, as_of: date, measure: Measure) -> tuple[Page, ...]:
    total = len(drafts)
    pages = []
    for i, d in enumerate(drafts, start=1):
        texts = list(d.texts)
        for c in d.cards:
            texts.extend(c.texts)
        texts.extend(_footer(fr, as_of, i, total, measure))
        # Card outlines: a visible frame on the board, a faint cutting guide on label sheets.
        stroke, lw = (0.55, 0.25) if d.kind == "cards" else (0.8, 0.12)
        rects = list(d.rects) + ([Rect(c.box, stroke=stroke, line_width=lw) for c in d.cards]
                                 if d.frames else [])
        pages.append(Page(d.kind, i, d.field, tuple(texts), tuple(rects),
                          tuple(c.qr for c in d.cards), tuple(d.cards), tuple(d.codes),
                          tuple(d.fields)))
    return tuple(pages)


# -- tables (index, takedown sheet) -------------------------------------------------------------

@dataclass(frozen=True)
class _Col:
    title: str
    width: float | None  # None: takes the rest
    align: str = "left"
    bold: bool = False
    checkbox: bool = False  # an empty square to tick by hand, instead of text


def _table(cols: Sequence[_Col], rows: Sequence[Sequence[str]], *, x: float, width: float,
           first_top: float, next_top: float, bottom: float, measure: Measure,
           size: float = 9.0) -> list[tuple[list[Text], list[Rect], list[int]]]:
    """Rows wrapped into cells and split over pages; the header row repeats on every page.
    Returns, per page, its lines, rules and the indexes of the rows on it."""
    fixed = sum(c.width or 0 for c in cols)
    widths = [c.width if c.width is not None else width - fixed for c in cols]
    pad = 1.4
    pages: list[tuple[list[Text], list[Rect], list[int]]] = []

    def cell_lines(text, w, bold, sz):
        lines = wrap(text, w - 2 * pad, measure, bold=bold, size=sz)
        if lines is None:  # a single very long word: shrink it
            for smaller in (8, 7, 6, 5):
                lines = wrap(text, w - 2 * pad, measure, bold=bold, size=smaller)
                if lines is not None:
                    return smaller, lines
            raise QrprocError(_("table cell does not fit: {text!r}").format(text=text[:60]))
        return sz, lines

    def header(y):
        texts, rects = [], []
        hh = line_height(size) + 2 * pad
        rects.append(Rect(Box(x, y, width, hh), fill=0.88))
        cx = x
        for c, w in zip(cols, widths):
            cell = Box(cx + pad, y + pad, w - 2 * pad, hh - 2 * pad)
            texts += text_in_box(c.title, cell, measure, bold=True, sizes=(size, size - 1, size - 2),
                                 align=c.align)
            cx += w
        return texts, rects, y + hh

    texts, rects, y = header(first_top)
    on_page: list[int] = []
    for i, row in enumerate(rows):
        cells = [cell_lines(v, w, c.bold, size) for v, w, c in zip(row, widths, cols)]
        rh = max(len(lines) * line_height(sz) for sz, lines in cells) + 2 * pad
        if y + rh > bottom and on_page:
            pages.append((texts, rects, on_page))
            texts, rects, y = header(next_top)
            on_page = []
        cx = x
        for (sz, lines), w, c, v in zip(cells, widths, cols, row):
            cell = Box(cx + pad, y + pad, w - 2 * pad, rh - 2 * pad)
            if c.checkbox:
                side = min(3.6, line_height(size))
                rects.append(Rect(Box(cx + (w - side) / 2, y + pad, side, side), stroke=0.2,
                                  line_width=0.25))
            else:
                texts += _set([(_Para(v, c.bold, (sz,)), sz, lines)], cell, measure, align=c.align)
            cx += w
        rects.append(Rect(Box(x, y + rh - 0.15, width, 0.15), fill=0.7))
        on_page.append(i)
        y += rh
    pages.append((texts, rects, on_page))
    return pages


# -- sorting and reasons ------------------------------------------------------------------------

# -- documents ----------------------------------------------------------------------------------

DEFAULT_GRID = {("grid", "A4"): (3, 3), ("grid", "A3"): (4, 5),
                ("labels", "A4"): (3, 7), ("labels", "A3"): (4, 10)}
GAP = 3.0


def _group(cards: Iterable[CardSpec]) -> list[tuple[str, list[CardSpec]]]:
    groups: dict[str, list[CardSpec]] = {}
    for c in cards:
        groups.setdefault(c.field or NO_FIELD, []).append(c)
    return [(f, sorted(groups[f], key=lambda c: c.code)) for f in sorted(groups, key=vi_sort_key)]


def _place(specs: Sequence[CardSpec], *, area: Box, cols: int, rows: int, style: CardStyle,
           measure: Measure) -> list[list[Card]]:
    """Cards into pages of a cols×rows grid inside `area`, in order; wide cards span cells."""
    cell_w = (area.w - GAP * (cols - 1)) / cols
    cell_h = (area.h - GAP * (rows - 1)) / rows
    pages: list[list[Card]] = [[]]
    row = col = 0
    for spec in specs:
        card = fit_card(spec, cell_w, cell_h, GAP, cols, style, measure)
        if col + card.span > cols:
            row, col = row + 1, 0
        if row >= rows:
            pages.append([])
            row = col = 0
        pages[-1].append(card.moved(area.x + col * (cell_w + GAP), area.y + row * (cell_h + GAP)))
        col += card.span
    return pages


SIGN_OFF_H = 16.0  # the sign-off lines under a takedown or checklist table, mm


def _sign_off(fr: _Frame, who: str, measure: Measure) -> list[Text]:
    """Date, person and signature lines at the foot of a sheet, filled in by hand."""
    inner = fr.inner
    top = fr.footer_top - SIGN_OFF_H
    dots = "." * 36
    line1 = f"Ngày {who}: ....../....../20......          Người {who} (họ tên): {dots}"
    texts = text_in_box(line1, Box(inner.x, top + 2.0, inner.w, 5.0), measure, sizes=(9, 8.5, 8))
    texts += text_in_box(f"Chức vụ: {dots}          Ký tên: {dots}",
                         Box(inner.x, top + 8.5, inner.w, 5.0), measure, sizes=(9, 8.5, 8))
    return texts


def _takedown_drafts(rows: Sequence[TakedownRow], fr: _Frame, unit: str, as_of: date,
                     measure: Measure) -> list[_Draft]:
    """The takedown sheet: what to take down, found by its field, ticked when done, then dated
    and signed by the person who did it."""
    inner = fr.inner
    cols = [_Col("STT", 9, "right"), _Col("Mã TTHC", 24, bold=True), _Col("Tên thủ tục", None),
            _Col("Lĩnh vực (tìm ở mục)", 34), _Col("Lý do", 50),
            _Col("Đã gỡ", 13, "center", checkbox=True)]
    rows = sorted(rows, key=lambda r: (vi_sort_key(r.field or NO_FIELD), r.code))  # as on the board
    data = [[str(i), r.code, r.name, r.field or NO_FIELD, r.reason, ""]
            for i, r in enumerate(rows, start=1)]
    head, y = _header(fr, unit, TAKEDOWN_TITLE, measure)
    note = text_in_box(f"Theo danh mục áp dụng ngày {vn_date(as_of)}: {len(rows)} thủ tục cần gỡ "
                       "khỏi bảng; gỡ xong đánh dấu vào cột cuối, ghi ngày và ký tên.",
                       Box(inner.x, y + 0.5, inner.w, 4.0), measure, sizes=(8.5, 8, 7))
    parts = _table(cols, data, x=inner.x, width=inner.w, first_top=y + 6.0, next_top=y + 6.0,
                   bottom=fr.footer_top - SIGN_OFF_H - 1.0, measure=measure)
    drafts = []
    for texts, rects, idx in parts:
        d = _Draft("takedown")
        d.texts += head + note + texts + _sign_off(fr, "gỡ", measure)
        d.rects += rects
        d.codes += [rows[i].code for i in idx]
        drafts.append(d)
    return drafts


def _checklist_drafts(groups: Sequence[tuple[str, list[CardSpec]]], fr: _Frame, unit: str,
                      as_of: date, measure: Measure) -> list[_Draft]:
    """A changes document's first sheet: every card in it, the field it goes under on the board
    and what it does there (new, or which card it replaces), ticked when up, dated and signed."""
    inner = fr.inner
    cols = [_Col("STT", 9, "right"), _Col("Mã TTHC", 24, bold=True), _Col("Tên thủ tục", None),
            _Col("Dán vào mục lĩnh vực", 38), _Col("Việc cần làm", 44),
            _Col("Đã dán", 13, "center", checkbox=True)]
    specs = [c for _, group in groups for c in group]
    data = [[str(i), c.code, c.name, c.field or NO_FIELD, c.note or "Dán thẻ", ""]
            for i, c in enumerate(specs, start=1)]
    head, y = _header(fr, unit, fr.furniture.title, measure)
    sub = text_in_box(CHECKLIST_TITLE, Box(inner.x, y + 0.5, inner.w, 6.0), measure, bold=True,
                      sizes=(11, 10), align="center")
    note = text_in_box(f"Theo danh mục áp dụng ngày {vn_date(as_of)}: {len(specs)} thẻ để dán vào "
                       "bảng niêm yết, mỗi thẻ dán vào mục lĩnh vực của nó; thẻ thay thế dán thay "
                       "cho thẻ cũ (gỡ thẻ cũ theo danh sách cần gỡ). Dán xong đánh dấu, ghi ngày "
                       "và ký tên.", Box(inner.x, y + 7.0, inner.w, 8.0), measure,
                       sizes=(8.5, 8, 7.5, 7))
    parts = _table(cols, data, x=inner.x, width=inner.w, first_top=y + 16.0, next_top=y + 16.0,
                   bottom=fr.footer_top - SIGN_OFF_H - 1.0, measure=measure)
    drafts = []
    for texts, rects, idx in parts:
        d = _Draft("checklist")
        d.texts += head + sub + note + texts + _sign_off(fr, "dán", measure)
        d.rects += rects
        d.codes += [specs[i].code for i in idx]
        drafts.append(d)
    return drafts


@dataclass
class _Section:
    """One field's run of cards on one page, under its own band."""

    field: str
    count: int
    band_y: float
    cards: list[Card] = dc_field(default_factory=list)
    part: int = 0
    parts: int = 1


def _place_sections(groups: Sequence[tuple[str, list[CardSpec]]], *, band_top: float, bottom: float,
                    x: float, width: float, cols: int, rows: int, style: CardStyle,
                    measure: Measure) -> list[list[_Section]]:
    """Fields in order, each a band then its cards in grid rows. A field goes on the current page
    when it fits there whole, else it starts a new page; a field longer than a page starts where
    there is room for its band and a row, and continues under a repeated band."""
    cell_w = (width - GAP * (cols - 1)) / cols
    cell_h = (bottom - band_top - BAND_H - BAND_GAP - GAP * (rows - 1)) / rows
    pages: list[list[_Section]] = []
    y = bottom  # no page yet
    for name, specs in groups:
        card_rows: list[list[tuple[Card, int]]] = []
        col = cols
        for spec in specs:
            card = fit_card(spec, cell_w, cell_h, GAP, cols, style, measure)
            if col + card.span > cols:
                card_rows.append([])
                col = 0
            card_rows[-1].append((card, col))
            col += card.span
        # A field that does not fit whole in what is left of the page starts on a new page,
        # unless it is longer than a page anyway.
        need = BAND_H + BAND_GAP + len(card_rows) * (cell_h + GAP) - GAP
        if (pages and y > band_top + 1e-6 and y + need > bottom + 1e-6
                and band_top + need <= bottom + 1e-6):
            y = bottom
        sections = []
        i = 0
        while i < len(card_rows):
            if y + BAND_H + BAND_GAP + cell_h > bottom + 1e-6:
                pages.append([])
                y = band_top
            section = _Section(name, len(specs), y)
            y += BAND_H + BAND_GAP
            while i < len(card_rows) and y + cell_h <= bottom + 1e-6:
                for card, c in card_rows[i]:
                    section.cards.append(card.moved(x + c * (cell_w + GAP), y))
                y += cell_h + GAP
                i += 1
            pages[-1].append(section)
            sections.append(section)
        for k, section in enumerate(sections):
            section.part, section.parts = k, len(sections)
    return pages


def grid_document(cards: Sequence[CardSpec], *, unit: str, as_of: date, paper: Paper,
                  grid: tuple[int, int] | None, measure: Measure,
                  takedown: Sequence[TakedownRow] = (),
                  furniture: Furniture | None = None) -> Document:
    """Index page(s), then the cards by field on pages of a cols×rows grid (a small field shares
    its page with the next, each under its own band), then the takedown sheet. A changes
    document starts with its checklist instead of the index."""
    measure = _Cached(measure)
    fr = _frame(paper, furniture)
    title = fr.furniture.title
    cols, rows = grid or DEFAULT_GRID[("grid", paper.name)]
    inner = fr.inner
    _top, below_header = _header(fr, unit, title, measure)
    groups = _group(cards)
    card_pages = _place_sections(groups, band_top=below_header, bottom=fr.footer_top - 1.5,
                                 x=inner.x, width=inner.w, cols=cols, rows=rows, style=GRID_STYLE,
                                 measure=measure)

    def entries_from(first: int) -> list[IndexEntry]:
        where: dict[str, list[int]] = {}
        for k, sections in enumerate(card_pages):
            for section in sections:
                where.setdefault(section.field, []).append(first + k)
        return [IndexEntry(name, len(specs), where[name][0], where[name][-1]) for name, specs in groups]

    # The index: its length does not depend on the page numbers it shows, so lay it out once
    # with placeholders to count its pages, then again with the real numbers.
    def index_drafts(first_page: int | None) -> tuple[list[_Draft], list[IndexEntry]]:
        entries = entries_from((first_page or 0) + 1)
        page = (first_page or 0) + len(card_pages)
        data = [[str(i), e.field, str(e.count),
                 (f"{e.first_page}" if e.first_page == e.last_page else f"{e.first_page}–{e.last_page}")
                 if first_page is not None else "0000–0000"]
                for i, e in enumerate(entries, start=1)]
        if takedown:
            n_td = len(_takedown_drafts(takedown, fr, unit, as_of, measure))
            data.append(["", "Danh sách thủ tục cần gỡ khỏi bảng", str(len(takedown)),
                         (f"{page + 1}" if n_td == 1 else f"{page + 1}–{page + n_td}")
                         if first_page is not None else "0000–0000"])
        head, y = _header(fr, unit, title, measure)
        sub = text_in_box(INDEX_TITLE, Box(inner.x, y + 0.5, inner.w, 6.0), measure, bold=True,
                          sizes=(11, 10), align="center")
        total = sum(len(specs) for _, specs in groups)
        note = text_in_box(f"{total} thủ tục thuộc {len(groups)} lĩnh vực, theo danh mục áp "
                           f"dụng ngày {vn_date(as_of)}. Quét mã QR trên từng thẻ để xem chi tiết "
                           "thủ tục.", Box(inner.x, y + 7.0, inner.w, 8.0), measure,
                           sizes=(8.5, 8, 7.5, 7), align="center")
        cols_ = [_Col("STT", 11, "right"), _Col("Lĩnh vực", None, bold=True),
                 _Col("Số thủ tục", 24, "right"), _Col("Trang", 30, "right")]
        parts = _table(cols_, data, x=inner.x, width=inner.w, first_top=y + 16.0,
                       next_top=y + 16.0, bottom=fr.footer_top - 2.0, measure=measure, size=9.5)
        drafts = []
        for texts, rects, _bottom in parts:
            d = _Draft("index")
            d.texts += head + sub + note + texts
            d.rects += rects
            drafts.append(d)
        return drafts, entries

    drafts: list[_Draft] = []
    entries: list[IndexEntry] = []
    if card_pages and fr.furniture.changes:
        drafts = _checklist_drafts(groups, fr, unit, as_of, measure)
        entries = entries_from(len(drafts) + 1)
    elif card_pages:
        n_index = len(index_drafts(None)[0])
        drafts, entries = index_drafts(n_index)
    for sections in card_pages:
        d = _Draft("cards", field=sections[0].field)
        head, _below = _header(fr, unit, title, measure)
        d.texts += head
        for section in sections:
            what = "thẻ, dán vào mục này trên bảng" if fr.furniture.changes else "thủ tục"
            note = f"{section.count} {what}" + (
                f" · tờ {section.part + 1}/{section.parts}" if section.parts > 1 else "")
            band_texts, band, _band_bottom = _band(fr, section.band_y, f"Lĩnh vực: {section.field}", note, measure)
            d.texts += band_texts
            d.rects.append(band)
            d.cards += section.cards
            d.fields.append(section.field)
        drafts.append(d)
    if takedown:
        drafts += _takedown_drafts(takedown, fr, unit, as_of, measure)
    return Document("grid", paper, title, _finish(drafts, fr, as_of, measure), tuple(entries))


def labels_document(cards: Sequence[CardSpec], *, unit: str, as_of: date, paper: Paper,
                    grid: tuple[int, int] | None, measure: Measure,
                    takedown: Sequence[TakedownRow] = (),
                    furniture: Furniture | None = None) -> Document:
    """Small cards (QR at the left) on a label-sheet grid, for cutting; then the takedown sheet."""
    measure = _Cached(measure)
    fr = _frame(paper, furniture)
    cols, rows = grid or DEFAULT_GRID[("labels", paper.name)]
    inner = fr.inner
    area = Box(inner.x, inner.y, inner.w, fr.footer_top - 1.0 - inner.y)
    groups = _group(cards)
    specs = [c for _, group in groups for c in group]
    drafts = _checklist_drafts(groups, fr, unit, as_of, measure) if (
        specs and fr.furniture.changes) else []
    if specs:
        for page_cards in _place(specs, area=area, cols=cols, rows=rows, style=LABEL_STYLE,
                                 measure=measure):
            d = _Draft("labels")
            d.cards += page_cards
            drafts.append(d)
    if takedown:
        drafts += _takedown_drafts(takedown, fr, unit, as_of, measure)
    return Document("labels", paper, fr.furniture.title, _finish(drafts, fr, as_of, measure))


SINGLE_QR_MAX = {"A4": 130.0, "A3": 185.0}


def _single_page(spec: CardSpec, fr: _Frame, unit: str, measure: Measure) -> _Draft:
    inner = fr.inner
    d = _Draft("single", field=spec.field or NO_FIELD, frames=False)
    head, y = _header(fr, unit, fr.furniture.title, measure)
    band_texts, band, y = _band(fr, y, f"Lĩnh vực: {spec.field or NO_FIELD}", "", measure)
    d.texts += head + band_texts
    d.rects.append(band)
    bottom = fr.footer_top - 2.0
    scale = fr.paper.width / 210.0
    body = Box(inner.x + 4, y + 2.0, inner.w - 8, bottom - y - 2.0)
    # The name, large, in at most 28 % of the page body.
    name_sizes = tuple(s * scale for s in (22, 20, 18, 16, 15, 14, 13, 12, 11, 10, 9, 8))
    name_fit = _fit([_Para(spec.name, True, name_sizes)], body.w, body.h * 0.28, measure)
    if name_fit is None:
        raise QrprocError(_("{code}: the name does not fit its page: {name}…").format(
            code=spec.code, name=spec.name[:80]))
    name_h = _block_height(name_fit)
    # The details table under the QR: label | value rows, values shrunk together to fit.
    label_w = 48.0 * scale
    rows = [("Mã thủ tục", spec.code), ("Lĩnh vực", spec.field or NO_FIELD),
            ("Thời hạn giải quyết", spec.processing_time or UNVERIFIED),
            ("Phí, lệ phí", spec.fees or UNVERIFIED)]
    q_min = qr_side(spec.version, WALL_MODULE, 0)
    caption_size = 10 * scale
    caption_gap = ink_clearance(caption_size)  # keeps its diacritics out of the quiet zone
    caption_h = 9.0 + caption_gap
    table_max = body.h - name_h - q_min - caption_h - 6.0
    fitted_rows = None
    for sz in tuple(s * scale for s in (12, 11, 10, 9, 8, 7, 6)):
        candidate = []
        for label, value in rows:
            lf = _fit([_Para(label, True, (sz,))], label_w - 2, 1e9, measure)
            vf = _fit([_Para(value, False, (sz,))], body.w - label_w - 2, 1e9, measure)
            if lf is None or vf is None:
                break
            candidate.append((lf, vf, max(_block_height(lf), _block_height(vf)) + 3.0))
        else:
            if sum(r[2] for r in candidate) <= table_max:
                fitted_rows = candidate
                break
    if fitted_rows is None:
        raise QrprocError(_("{code}: the details (processing time, fees) do not fit on one "
                            "page").format(code=spec.code))
    table_h = sum(r[2] for r in fitted_rows)
    q = max(q_min, min(SINGLE_QR_MAX[fr.paper.name], body.h - name_h - table_h - caption_h - 6.0))
    # The stack (name, QR, caption, table) centred in the body.
    top = body.y + max(0.0, (body.h - (name_h + 3.0 + q + caption_h + 2.0 + table_h)) / 2)
    name_lines = _set(name_fit, Box(body.x, top, body.w, name_h), measure, align="center")
    qr = QrArea(Box(body.x + (body.w - q) / 2, top + name_h + 3.0, q, q), spec.code,
                spec.payload, spec.ec, WALL_MODULE)
    caption = Box(body.x, qr.box.bottom + caption_gap, body.w, caption_h - caption_gap - 1.0)
    d.texts += name_lines
    caption_text = "Quét mã QR để xem đầy đủ thủ tục trên Cổng Dịch vụ công quốc gia"
    if spec.note:
        caption_text = f"{spec.note}. {caption_text}"
    d.texts += text_in_box(caption_text, caption, measure, sizes=(caption_size, 9, 8, 7),
                           align="center", valign="middle")
    ty = caption.bottom + 2.0
    d.rects.append(Rect(Box(body.x, ty, body.w, 0.25), fill=0.6))
    for lf, vf, rh in fitted_rows:
        d.texts += _set(lf, Box(body.x + 1, ty + 1.5, label_w - 2, rh - 3.0), measure)
        d.texts += _set(vf, Box(body.x + label_w + 1, ty + 1.5, body.w - label_w - 2, rh - 3.0),
                        measure)
        ty += rh
        d.rects.append(Rect(Box(body.x, ty - 0.25, body.w, 0.25), fill=0.6))
    d.cards.append(Card(spec.code, spec.name, body, qr, tuple(name_lines), (), 1))
    return d


def single_document(cards: Sequence[CardSpec], *, unit: str, as_of: date, paper: Paper,
                    grid: tuple[int, int] | None, measure: Measure,
                    takedown: Sequence[TakedownRow] = (),
                    furniture: Furniture | None = None) -> Document:
    """One page per procedure: a large QR, the name, code, field, processing time and fees."""
    measure = _Cached(measure)
    fr = _frame(paper, furniture)
    groups = _group(cards)
    drafts = _checklist_drafts(groups, fr, unit, as_of, measure) if (
        cards and fr.furniture.changes) else []
    drafts += [_single_page(c, fr, unit, measure) for _, group in groups for c in group]
    if takedown:
        drafts += _takedown_drafts(takedown, fr, unit, as_of, measure)
    return Document("single", paper, fr.furniture.title, _finish(drafts, fr, as_of, measure))


def share_card(spec: CardSpec, *, unit: str, measure: Measure, width: float = 90.0,
               height: float = 120.0) -> Page:
    """A stand-alone card for sharing online (the PNG export): unit, QR, name, code, field and
    the scan instruction. A long name is wrapped, never set below 8 pt: the card grows taller."""
    measure = _Cached(measure)
    pad = 5.0
    texts = text_in_box(unit.upper(), Box(pad, pad, width - 2 * pad, 4.5), measure, bold=True,
                        sizes=(9, 8, 7, 6), align="center")
    q = max(64.0, qr_side(spec.version, WALL_MODULE, 0))
    if q > width - 2:
        raise PayloadError(_("{code}: its link is too long for a shared card").format(code=spec.code))
    qr = QrArea(Box((width - q) / 2, pad + 5.0, q, q), spec.code, spec.payload, spec.ec, WALL_MODULE)
    top = qr.box.bottom + ink_clearance(12)
    paras = [_Para(spec.name, True, (12, 11, 10, 9, 8)),
             _Para(f"Mã TTHC: {spec.code}", False, (9, 8, 7, 6.5)),
             _Para(f"Lĩnh vực: {spec.field or NO_FIELD}", False, (8, 7, 6.5)),
             _Para(SCAN_HINT, False, (8, 7, 6.5))]
    fitted = None
    while fitted is None:
        area = Box(pad, top, width - 2 * pad, height - top - pad)
        fitted = _fit(paras, area.w, area.h, measure, gap=1.2)
        if fitted is None:
            if height >= 3 * width:
                raise QrprocError(_("{code}: the name does not fit a shared card: "
                                    "{name}…").format(code=spec.code, name=spec.name[:80]))
            height += 10.0
    name_lines = _set(fitted[:1], area, measure, align="center")
    rest = _set(fitted[1:], area, measure, align="center", top=area.bottom - _block_height(fitted[1:], 1.2),
                gap=1.2)
    card = Card(spec.code, spec.name, Box(0, 0, width, height), qr, tuple(name_lines),
                tuple(name_lines + rest))
    return Page("share", 1, spec.field, tuple(texts + name_lines + rest), (), (qr,), (card,))


LAYOUTS: dict[str, Callable[..., Document]] = {
    "grid": grid_document,
    "single": single_document,
    "labels": labels_document,
}


def build(layout: str, cards: Sequence[CardSpec], *, unit: str, as_of: date, paper: str = "A4",
          grid: tuple[int, int] | None = None, measure: Measure,
          takedown: Sequence[TakedownRow] = (), furniture: Furniture | None = None) -> Document:
    """Lay out a document: `layout` is one of LAYOUTS, `paper` one of PAPERS."""
    try:
        make = LAYOUTS[layout]
    except KeyError:
        raise QrprocError(_("unknown layout {layout!r} (one of {choices})").format(
            layout=layout, choices=", ".join(LAYOUTS))) from None
    try:
        sheet = PAPERS[paper]
    except KeyError:
        raise QrprocError(_("unknown paper {paper!r} (one of {choices})").format(
            paper=paper, choices=", ".join(PAPERS))) from None
    if grid is not None and (grid[0] < 1 or grid[1] < 1 or grid[0] > 8 or grid[1] > 16):
        raise QrprocError(_("grid {columns}x{rows} is out of range (1..8 columns, 1..16 "
                            "rows)").format(columns=grid[0], rows=grid[1]))
    return make(cards, unit=unit, as_of=as_of, paper=sheet, grid=grid, measure=measure,
                takedown=takedown, furniture=furniture)
