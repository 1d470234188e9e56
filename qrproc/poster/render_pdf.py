"""Write a laid-out `Document` as a vector PDF: build every page's content, then the file.

`render` builds the pages' content streams in worker processes (`workers.fork_map`) while the
main process subsets the fonts (`fonts`), then writes the file (`pdf_writer`). A page's content
is its rectangles, its lines of text (solid black, in the two faces) and its QR symbols, each one
filled vector path placed by `qr_geometry` (a symbol's path is made once, in module units, and
placed with a ``cm``; for a commune's board `poster.encode_meanwhile` has made them while the
layout was built, otherwise the page workers make them). It returns the symbols it drew,
which is what the verifier compares the rendering with.

The names other modules have imported from here stay importable (fonts, workers, geometry).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from qrproc.poster.fonts import FONT_FILES, Fonts, TrueTypeFont, default_fonts, font_dir  # noqa: F401
from qrproc.poster.layout import Document, Page
from qrproc.poster.payload import Encoder, QrSymbol, default_encoder, encode_all
from qrproc.poster.pdf_writer import flate, write_pdf
from qrproc.poster.qr_geometry import symbol_geometry, with_paths
from qrproc.poster.workers import chunk_size, default_workers, fork_map  # noqa: F401

K = 72 / 25.4  # points per millimetre

ProgressFn = Callable[[str, int, int], None]


def page_stream(page: Page, height: float, fonts: Fonts,
                encoder: Encoder) -> tuple[bytes, dict[str, QrSymbol]]:
    """The page's content stream (compressed) and the symbol drawn for each code on it."""
    content, symbols = page_content(page, height, fonts, encoder)
    return flate(content), symbols


def page_content(page: Page, height: float, fonts: Fonts,
                 encoder: Encoder) -> tuple[bytes, dict[str, QrSymbol]]:
    """The page's content stream, uncompressed, and the symbol drawn for each code on it."""
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
    drawn = with_paths(encode_all(encoder, [(area.code, area.payload, area.ec) for area in page.qrs]))
    for area, symbol in zip(page.qrs, drawn):
        x, y, module = symbol_geometry(area, symbol)
        # One unit = one module, y flipped so that row 0 is the top row. The module and the
        # corner are whole 600 dpi dots (0.12 pt) from the top-left corner of the page.
        out.append(b"q 0 g %.2f 0 0 %.2f %.2f %.4f cm\n" % (module * K, -module * K, x * K, (height - y) * K))
        out.append(symbol.path)
        out.append(b"f Q\n")
        # what the verifier compares with; the path stays here (it is in the page)
        symbols[area.code] = replace(symbol, path=b"")
    return b"".join(out), symbols


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
