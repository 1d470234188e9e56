"""Check a written poster PDF: render every QR code of every page, decode it, and compare it
module by module with the symbol that was meant to be printed.

For each QR area the layout placed, pdfium rasterises the symbol with its quiet zone
(in-process, greyscale, anti-aliased like a viewer) on a pixel grid the modules fit exactly: a
whole number of pixels per module, at least 150 dpi and 3 pixels, the symbol's corner on a pixel
corner (`SymbolRenderer`). Then:

* `check_blocks` looks at every pixel of every module, quiet zone included: on that grid a
  correct rendering is pure black or white in every pixel, so a module whose centre is the wrong
  colour is a wrong module, and any other pixel that is not its module's colour is a seam, a
  speck or a misplaced edge. Either is a `Problem` even when the code still decodes: error
  correction hides a few wrong modules from the decoder, but they use up the margin a scuffed or
  badly lit label needs;
* zxing-cpp decodes it, as a "pure" symbol first (the picture holds nothing else), then with its
  full detector; when every pixel was its module's colour it reads the picture with one pixel a
  module, which then holds all of it. A code that cannot be read, reads as another payload or
  was printed at another error-correction level is a `Problem`.

Drawing on the modules' own grid costs pdfium's anti-aliasing rasteriser a fifth less than
150 dpi off the grid (0.23 against 0.29 s for a 400-code board), though it has more pixels. It
hides nothing: a path that strays from the grid by a tenth of a module turns a row of pixels
grey. `bench/verify_budget.py` compares the whole check with the decode-only 80 dpi one it
replaced. Pictures rendered elsewhere, at any resolution (the test suite's other engines, the PNG
cards), are compared by `check_modules`, which samples the centre, edges and corners of every
module.

The pages are checked by forked workers (`workers.fork_map`) in tasks of about equal numbers of
codes (`workers.balanced_chunks`); each worker opens the file and loads its fonts once, for all
its tasks.

A file with the wrong number of pages is a problem too. The result is a report with one line per
procedure; raising `VerificationError` is the caller's choice.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping, Sequence

from qrproc.i18n import _, ngettext
from qrproc.poster.layout import Document, Page, QrArea
from qrproc.poster.payload import QrSymbol, encode
from qrproc.poster.qr_geometry import symbol_geometry
from qrproc.poster.workers import balanced_chunks, chunk_size, fork_map

MIN_DPI = 150
MIN_PIXELS_PER_MODULE = 3.0
#: Grey levels (0 black … 255 white) a sample must reach: a dark module's centre at most
#: DARK_MAX, a light one's at least LIGHT_MIN. Inside a module a correct rendering is pure black
#: or white at these resolutions; anything in between is a seam or a misplaced edge.
DARK_MAX = 64
LIGHT_MIN = 191
K = 72 / 25.4  # points per millimetre


@dataclass(frozen=True)
class ModuleCheck:
    """How a rendered symbol compares with its module matrix.

    `wrong`: modules (quiet zone included) whose centre is not clearly their colour; `seams`:
    what else is not its colour (a light line between dark modules, a dark speck between light
    ones, an edge out of place): for `check_modules` the edges and corners between modules of one
    colour, for `check_blocks` the modules with such a pixel; `first`: (row, column) of the module
    at the first wrong point, counted from the symbol's top-left module (the quiet zone is at
    -1 … -quiet).
    """

    wrong: int
    seams: int
    first: tuple[int, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.wrong and not self.seams


@dataclass(frozen=True)
class Problem:
    """One code that failed: `kind` is 'missing' (nothing readable), 'wrong' (another payload),
    'ec' (another error-correction level), 'modules' (it decodes, but modules are printed wrong)
    or 'pages' (the file has the wrong number of pages)."""

    code: str
    page: int
    kind: str
    expected: str
    found: str = ""

    def describe(self, name: str = "") -> str:
        who = f"{self.code} {name}".strip()
        if self.kind == "missing":
            message = _("{who} (page {page}): no readable QR code where it should be")
        elif self.kind == "wrong":
            message = _("{who} (page {page}): decodes to {found!r} instead of {expected!r}")
        elif self.kind == "ec":
            message = _("{who} (page {page}): error correction {found} instead of {expected}")
        elif self.kind == "modules":
            message = _("{who} (page {page}): the printed code differs from its pattern: {found}")
        else:
            message = _("the file has {found} pages instead of {expected}")
        return message.format(who=who, page=self.page, found=self.found, expected=self.expected)


@dataclass(frozen=True)
class CodeResult:
    """What the check found for one procedure's code."""

    code: str
    page: int
    version: int
    module: float  # mm, as drawn
    decoded: bool  # read back to exactly the expected payload and level
    wrong: int  # modules
    seams: int

    @property
    def ok(self) -> bool:
        return self.decoded and not self.wrong and not self.seams


@dataclass(frozen=True)
class VerificationReport:
    path: str
    pages: int
    expected: int  # QR codes the layout placed
    verified: int  # of those, decoded to exactly the expected payload and level, every module right
    dpi: float
    problems: tuple[Problem, ...]
    results: tuple[CodeResult, ...] = ()  # one per code, in page order

    @property
    def ok(self) -> bool:
        return not self.problems and self.verified == self.expected

    def describe(self, names: Mapping[str, str] | None = None, limit: int = 20) -> str:
        """A multi-line account of the problems, naming the procedures."""
        names = names or {}
        lines = [p.describe(names.get(p.code, "")) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(_("… and {n} more").format(n=len(self.problems) - limit))
        return "\n".join(lines)


def pixels_per_module(module: float, min_dpi: float = MIN_DPI) -> int:
    """Whole pixels per module of `module` mm for a check at `min_dpi` or more: at least
    MIN_PIXELS_PER_MODULE."""
    return max(math.ceil(MIN_PIXELS_PER_MODULE),
               math.ceil(min_dpi * module / 25.4 - 1e-9))


# -- comparing a picture with a module matrix -------------------------------------------------------

def expected_samples(dark, quiet: int):
    """What every half-module point of a symbol with its quiet zone must be: two boolean
    matrices (must be dark, must be light); an edge between a dark and a light module is neither.

    Point (i, j), for i, j in 1 … 2n - 1 (n = modules across, quiet zone included), lies i/2
    modules below and j/2 modules right of the quiet zone's outer corner: odd i and j are module
    centres, the others edges and corners between modules."""
    import numpy as np

    n = dark.shape[0] + 2 * quiet
    full = np.zeros((n, n), dtype=np.uint8)
    full[quiet:n - quiet, quiet:n - quiet] = dark
    up = np.repeat(np.repeat(full, 2, 0), 2, 1)  # each module as 2 x 2 half-modules
    # point (i, j) touches the half-modules (i-1 or i, j-1 or j): count the dark ones
    touching = up[:-1, :-1] + up[:-1, 1:] + up[1:, :-1] + up[1:, 1:]
    return touching == 4, touching == 0


@lru_cache(maxsize=1)
def _colours():
    """A light module's pixel value and a dark one's, to look up with a 0/1 matrix."""
    import numpy as np

    return np.array([255, 0], dtype=np.uint8)


@lru_cache(maxsize=16)
def _half_steps(points: int, quiet: int):
    import numpy as np

    return np.arange(1, points + 1) / 2 - quiet


def check_modules(gray, dark, *, left: float, top: float, step_x: float, step_y: float,
                  quiet: int = 4) -> ModuleCheck:
    """Compare the greyscale picture `gray` with the module matrix `dark` (True = dark, row 0 at
    the top). The symbol's top-left module starts at pixel coordinates (`left`, `top`) (pixel i
    covers [i, i + 1)), and a module is `step_x` × `step_y` pixels. A sample off the picture counts
    as wrong."""
    import numpy as np

    must_dark, must_light = expected_samples(dark, quiet)
    half = _half_steps(must_dark.shape[0], quiet)  # module units from the symbol's corner
    cols = np.floor(left + half * step_x).astype(np.intp)
    rows = np.floor(top + half * step_y).astype(np.intp)
    h, w = gray.shape[:2]
    off = None
    if rows[0] < 0 or cols[0] < 0 or rows[-1] >= h or cols[-1] >= w:
        off = ~(((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :])
        rows, cols = np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)
    got = np.asarray(gray).take(rows, axis=0).take(cols, axis=1)
    bad = must_dark & (got > DARK_MAX)
    bad |= must_light & (got < LIGHT_MIN)
    if off is not None:
        bad |= off & (must_dark | must_light)
    if not bad.any():
        return ModuleCheck(0, 0)
    centre = np.arange(must_dark.shape[0]) % 2 == 0  # index 0 is point 1, a module's centre
    centres = centre[:, None] & centre[None, :]
    wrong = int((bad & centres).sum())
    seams = int((bad & ~centres).sum())
    i, j = np.argwhere(bad)[0]
    return ModuleCheck(wrong, seams, (math.floor(half[i]), math.floor(half[j])))


def check_blocks(gray, dark, pixels: int, quiet: int = 4) -> ModuleCheck:
    """Compare `gray`, a rendering of the symbol `dark` (True = dark, row 0 at the top) with its
    quiet zone on a grid of `pixels` × `pixels` pixels per module (the outer corner at pixel
    (0, 0)), pixel by pixel: every pixel of a dark module must be at most DARK_MAX, every pixel of
    a light one at least LIGHT_MIN. `wrong` counts modules whose centre fails, `seams` the
    modules whose centre is right but some other pixel is not (a seam, a speck, an edge out of
    place). A picture smaller than the symbol counts its missing modules as wrong; pixels right
    of or below the symbol are not looked at."""
    import numpy as np

    n = dark.shape[0] + 2 * quiet
    side = n * pixels
    g = np.asarray(gray)
    dark = np.asarray(dark, dtype=bool)
    if g.shape[0] < side or g.shape[1] < side:
        g = np.pad(g[:side, :side], ((0, max(0, side - g.shape[0])), (0, max(0, side - g.shape[1]))),
                   constant_values=128)  # neither dark nor light: off the picture is wrong
    c = pixels // 2
    # Nearly always a correct rendering on this grid is pure black and white, the module matrix
    # blown up, with light padding on the right: one comparison settles it (8 pixels at a time
    # when the rows' length allows, as `SymbolRenderer`'s does), and the pixel-by-pixel pass
    # below is not needed.
    g = np.ascontiguousarray(g)
    stride = g.shape[1]
    want = np.full((n, -(-stride // pixels)), 255, dtype=np.uint8)
    want[quiet:n - quiet, quiet:n - quiet] = _colours().take(dark.view(np.uint8))
    row = want.repeat(pixels, axis=1)[:, :stride]  # each module row's pixel row
    word = np.uint64 if stride % 8 == 0 else np.uint8
    if (g[:side].view(word).reshape(n, pixels, -1) == row.view(word)[:, None, :]).all():
        return ModuleCheck(0, 0)
    full = np.zeros((n, n), dtype=bool)
    full[quiet:n - quiet, quiet:n - quiet] = dark
    g = g[:side, :side]
    rows = g.reshape(n, pixels, side)  # each module row's pixel rows
    darkest = rows.min(axis=1).reshape(n, n, pixels).min(axis=2)
    lightest = rows.max(axis=1).reshape(n, n, pixels).max(axis=2)
    bad = np.where(full, lightest > DARK_MAX, darkest < LIGHT_MIN)
    if not bad.any():
        return ModuleCheck(0, 0)
    centre = g[c::pixels, c::pixels][:n, :n]
    wrong_centre = np.where(full, centre > DARK_MAX, centre < LIGHT_MIN)
    i, j = np.argwhere(bad)[0]
    return ModuleCheck(int(wrong_centre.sum()), int((bad & ~wrong_centre).sum()),
                       (int(i) - quiet, int(j) - quiet))


def describe_check(check: ModuleCheck, size: int, quiet: int = 4) -> str:
    """What went wrong, for a symbol of `size` modules across (quiet zone excluded)."""
    n = size
    parts = []
    if check.wrong:
        parts.append(_("{wrong} of {total} modules wrong").format(wrong=check.wrong,
                                                                  total=(n + 2 * quiet) ** 2))
    if check.seams:
        parts.append(ngettext("{n} seam or speck between modules",
                              "{n} seams or specks between modules", check.seams).format(
                                  n=check.seams))
    what = _("{first} and {second}").format(first=parts[0], second=parts[1]) if len(parts) == 2 \
        else parts[0]
    if check.first is not None:
        r, c = check.first
        return _("{what} (first near row {row}, column {column} of 0–{last}), though it may still "
                 "decode").format(what=what, row=r, column=c, last=n - 1)
    return _("{what}, though it may still decode").format(what=what)


# -- decoding --------------------------------------------------------------------------------------

def decode_region(gray):
    """Decode the one QR code in a greyscale array; returns (text, ec_level) or None."""
    import zxingcpp

    fmt = zxingcpp.BarcodeFormat.QRCode
    # A fixed threshold is enough for a clean rendering and a third faster than the default.
    r = zxingcpp.read_barcode(gray, formats=fmt, is_pure=True, try_rotate=False,
                              try_downscale=False, try_invert=False,
                              binarizer=zxingcpp.Binarizer.FixedThreshold)
    if r is None or not r.valid:
        r = zxingcpp.read_barcode(gray, formats=fmt, try_invert=False)
    if r is None or not r.valid:
        return None
    return r.text, r.ec_level


def decode_problem(gray, area: QrArea, page_number: int) -> Problem | None:
    """None when `gray` (the area's picture) decodes to exactly the area's payload and level."""
    got = decode_region(gray)
    if got is None:
        return Problem(area.code, page_number, "missing", area.payload)
    text, ec = got
    if text != area.payload:
        return Problem(area.code, page_number, "wrong", area.payload, text)
    if ec != area.ec:
        return Problem(area.code, page_number, "ec", area.ec, ec)
    return None


@dataclass(frozen=True)
class Compared:
    """A symbol compared pixel by pixel (`check`), and the picture to decode: one pixel per
    module when every pixel was its module's colour (the picture then holds all of it, and
    zxing-cpp reads it a third faster), else the whole rendering."""

    area: QrArea
    symbol: QrSymbol
    page: int
    module: float  # mm
    check: ModuleCheck
    picture: object  # a greyscale array


def compare_area(gray, area: QrArea, symbol: QrSymbol, page_number: int, *, pixels: int,
                 module: float) -> Compared:
    """Compare one symbol rendered by `SymbolRenderer` (`pixels` per module) with its matrix,
    and keep a copy of what the decoder needs (the renderer reuses `gray`)."""
    import numpy as np

    check = check_blocks(gray, symbol.dark, pixels, area.quiet)
    if check.ok:
        c = pixels // 2
        side = (symbol.size + 2 * area.quiet) * pixels
        picture = np.ascontiguousarray(gray[c:side:pixels, c:side:pixels])
    else:
        picture = np.array(gray)
    return Compared(area, symbol, page_number, module, check, picture)


def read_compared(compared: Compared) -> tuple[CodeResult, list[Problem]]:
    """Decode what `compare_area` kept; (the procedure's result, its problems)."""
    area, symbol, page_number, check = compared.area, compared.symbol, compared.page, compared.check
    problem = decode_problem(compared.picture, area, page_number)
    if problem is not None and check.ok:  # the same picture, blown up to 3 pixels a module
        problem = decode_problem(compared.picture.repeat(3, 0).repeat(3, 1), area, page_number)
    problems = [problem] if problem is not None else []
    if not check.ok:
        problems.append(Problem(area.code, page_number, "modules", area.payload,
                                describe_check(check, symbol.size, area.quiet)))
    return (CodeResult(area.code, page_number, symbol.version, compared.module, problem is None,
                       check.wrong, check.seams), problems)


# -- the PDF -----------------------------------------------------------------------------------------

class SymbolRenderer:
    """Rasterises one QR symbol of a pdfium page at a time, with its quiet zone, in greyscale,
    into a reused buffer, on the modules' own pixel grid.

    pdfium draws only what meets the picture, so this costs about 0.55 ms for a version 7 code
    at 6 pixels a module (171 dpi for grid cards), and going through pdfium's C API with one
    buffer per size saves pypdfium2's bitmap objects (0.1 ms). The picture returned is only valid
    until the next call."""

    FLAGS = 0  # anti-aliased, like a viewer

    def __init__(self, min_dpi: float = MIN_DPI):
        self.min_dpi = min_dpi
        self.buffers: dict[int, tuple[object, object]] = {}

    def render(self, pdf_page, x: float, y: float, module: float, across: int):
        """The square of `across` modules whose top-left corner is `x` mm from the page's left
        edge and `y` mm from its top, modules of `module` mm: (gray, pixels per module); `gray`
        may have a few light columns more on the right."""
        import ctypes

        import numpy as np
        import pypdfium2.raw as pdfium_c

        pixels = pixels_per_module(module, self.min_dpi)
        side = across * pixels
        if side not in self.buffers:
            # rows padded to a multiple of 8 bytes, light: `check_blocks` compares them 8
            # pixels at a time
            array = np.empty((side, -(-side // 8) * 8), dtype=np.uint8)
            bitmap = pdfium_c.FPDFBitmap_CreateEx(side, side, pdfium_c.FPDFBitmap_Gray,
                                                  array.ctypes.data_as(ctypes.c_void_p),
                                                  array.shape[1])
            self.buffers[side] = (array, bitmap)
        array, bitmap = self.buffers[side]
        array.fill(255)
        # pdfium maps the page to points from its top-left corner, then applies this matrix
        scale = pixels / (module * K)  # pixels per point
        matrix = pdfium_c.FS_MATRIX(scale, 0, 0, scale, -x * K * scale, -y * K * scale)
        clip = pdfium_c.FS_RECTF(0, 0, side, side)
        pdfium_c.FPDF_RenderPageBitmapWithMatrix(bitmap, pdf_page.raw, matrix, clip, self.FLAGS)
        return array, pixels

    def close(self) -> None:
        import pypdfium2.raw as pdfium_c

        for _array, bitmap in self.buffers.values():
            pdfium_c.FPDFBitmap_Destroy(bitmap)
        self.buffers.clear()


# In each process that checks pages: the file each check has open there, and its renderer.
# A worker is handed several tasks of a check; opening the file and loading its fonts once per
# worker, not once per task, saves about 3 ms a task (a tenth of a second on the national
# catalogue).
_OPEN: dict[int, tuple[object, SymbolRenderer]] = {}
_CHECKS = itertools.count()

# pdfium is not thread-safe. The desk runs two print jobs at once, in two threads, and a short
# print (one task) is checked in the job's own thread: two such checks at once crashed the
# whole server (SIGTRAP, or "malloc(): unsorted double linked list corrupted"). Every use of
# pdfium in this process holds this lock, forking included, so a worker never starts with
# another thread's pdfium call half done; a forked worker has pdfium to itself.
_PDFIUM = threading.Lock()


def _opened(check: int, path: str, min_dpi: float) -> tuple[object, SymbolRenderer]:
    if check not in _OPEN:
        import pypdfium2 as pdfium

        _OPEN[check] = (pdfium.PdfDocument(path), SymbolRenderer(min_dpi))
    return _OPEN[check]


def _close(check: int) -> None:
    """Close what check `check` has open in this process (its workers' end with them)."""
    opened = _OPEN.pop(check, None)
    if opened is not None:
        pdf, renderer = opened
        renderer.close()
        pdf.close()


def _check_pages(check: int, path: str, pages: Sequence[Page], indexes: Sequence[int],
                 min_dpi: float, symbols: Mapping[str, QrSymbol] | None
                 ) -> tuple[list[CodeResult], list[Problem]]:
    results: list[CodeResult] = []
    problems: list[Problem] = []
    compared: list[Compared] = []
    pdf, renderer = _opened(check, path, min_dpi)
    for i in indexes:
        page = pages[i]
        if not page.qrs:
            continue
        pdf_page = pdf[i]
        try:
            for area in page.qrs:
                symbol = symbols[area.code] if symbols is not None else encode(area.payload, area.ec)
                x, y, module = symbol_geometry(area, symbol)
                q = area.quiet
                gray, pixels = renderer.render(pdf_page, x - q * module, y - q * module, module,
                                               symbol.size + 2 * q)
                compared.append(compare_area(gray, area, symbol, i + 1, pixels=pixels,
                                             module=module))
        finally:
            pdf_page.close()
    # Decoded together, after the pages are drawn: zxing-cpp then runs with its own code and
    # tables in the processor's caches, not pdfium's (a board's check: 5% less time).
    for item in compared:
        result, found = read_compared(item)
        results.append(result)
        problems.extend(found)
    return results, problems


def _page_count(path: str) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


def verify_pdf(path: str | Path, doc: Document, *, workers: int = 1, dpi: float = MIN_DPI,
               symbols: Mapping[str, QrSymbol] | None = None,
               on_progress: Callable[[str, int, int], None] | None = None) -> VerificationReport:
    """Render every page of the PDF at `path` and check every QR area `doc` placed.

    `symbols` (procedure code -> the symbol drawn, as `render_pdf.render` returns them) are what
    the modules are compared with; without them each payload is encoded again. Each symbol is
    rendered at `dpi` or a little more (`SymbolRenderer`); the report gives the lowest.

    Checks in several threads of this process take turns (`_PDFIUM`)."""
    with _PDFIUM:
        return _verify_pdf(str(path), doc, workers, dpi, symbols, on_progress)


def _verify_pdf(path: str, doc: Document, workers: int, dpi: float,
                symbols: Mapping[str, QrSymbol] | None,
                on_progress: Callable[[str, int, int], None] | None) -> VerificationReport:
    expected = doc.qr_count
    n = _page_count(path)
    if n != len(doc.pages):
        return VerificationReport(path, n, expected, 0, dpi,
                                  (Problem("", 0, "pages", str(len(doc.pages)), str(n)),))
    pages = doc.pages
    # as many tasks as chunk_size gives, each with about as many codes to check
    chunks = balanced_chunks([len(p.qrs) for p in pages], math.ceil(n / chunk_size(n, workers)))

    check = next(_CHECKS)
    import zxingcpp  # noqa: F401 - here, not in each worker: forked workers inherit it

    def task(k: int):
        return _check_pages(check, path, pages, chunks[k], dpi, symbols)

    results: list[CodeResult] = []
    problems: list[Problem] = []
    done = 0
    try:
        with fork_map(task, len(chunks), workers) as parts:
            for k, (part_results, part_problems) in enumerate(parts):
                results.extend(part_results)
                problems.extend(part_problems)
                done += len(chunks[k])
                if on_progress:
                    on_progress("verify", done, n)
    finally:
        _close(check)  # open here when the tasks ran in this process
    lowest = min((pixels_per_module(r.module, dpi) * 25.4 / r.module for r in results),
                 default=float(dpi))
    return VerificationReport(path, n, expected, sum(r.ok for r in results), lowest,
                              tuple(problems), tuple(results))


def verify_image(image, area: QrArea, dpi: float, *, symbol: QrSymbol | None = None,
                 placement: tuple[float, float, float] | None = None) -> Problem | None:
    """Check `area` of a rendered image (a PIL image or an array) at `dpi` pixels per inch.

    With `symbol` and `placement` ((x, y, module) of the symbol in pixels) the modules are
    compared too; the first problem found is returned, or None."""
    import numpy as np

    gray = np.asarray(image.convert("L") if hasattr(image, "convert") else image)
    s = dpi / 25.4
    b = area.box
    crop = gray[max(0, math.floor(b.y * s)):math.ceil(b.bottom * s),
                max(0, math.floor(b.x * s)):math.ceil(b.right * s)]
    problem = decode_problem(crop, area, 1)
    if problem is not None or symbol is None or placement is None:
        return problem
    x, y, module = placement
    check = check_modules(gray, symbol.dark, left=x, top=y, step_x=module, step_y=module,
                          quiet=area.quiet)
    if check.ok:
        return None
    return Problem(area.code, 1, "modules", area.payload, describe_check(check, symbol.size, area.quiet))
