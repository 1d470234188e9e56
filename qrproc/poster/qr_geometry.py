"""Where a QR symbol goes on the page, and the rectangles its path is made of.

Shared by the PDF renderer (which draws the symbol there) and the verifier (which samples the
rendering at every module of it).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Sequence

from qrproc.errors import QrprocError
from qrproc.i18n import _
from qrproc.poster.layout import DOTS_PER_MM, QrArea, module_dots
from qrproc.poster.payload import QrSymbol

if TYPE_CHECKING:
    import numpy as np


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
    _end_rows, ends = np.nonzero(step == -1)  # same order as the starts: row by row, left to right
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


def with_paths(symbols: Sequence[QrSymbol]) -> list[QrSymbol]:
    """The symbols, each with its path (`qr_paths`): made in one pass for those without one."""
    out = list(symbols)
    todo = [i for i, s in enumerate(out) if not s.path]
    for i, path in zip(todo, qr_paths([out[i].dark for i in todo])):
        out[i] = dataclasses.replace(out[i], path=path)
    return out


def symbol_geometry(area: QrArea, symbol: QrSymbol) -> tuple[float, float, float]:
    """(x, y, module) in mm of the symbol's top-left corner and its module size: the largest
    module of whole 600 dpi dots that fits the area with the quiet zone, the symbol centred, its
    corner on a whole dot from the page's top-left corner. Refuses modules below the minimum."""
    total = symbol.size + 2 * area.quiet
    dots = math.floor(area.box.w * DOTS_PER_MM / total + 1e-9)
    if dots < module_dots(area.min_module):
        raise QrprocError(_(
            "{code}: QR version {version} does not fit its {width} mm area with modules of at "
            "least {module} mm").format(code=area.code, version=symbol.version,
                                        width=f"{area.box.w:.1f}", module=area.min_module))
    side = symbol.size * dots
    x = round(area.box.x * DOTS_PER_MM + (area.box.w * DOTS_PER_MM - side) / 2)
    y = round(area.box.y * DOTS_PER_MM + (area.box.h * DOTS_PER_MM - side) / 2)
    return x / DOTS_PER_MM, y / DOTS_PER_MM, dots / DOTS_PER_MM
