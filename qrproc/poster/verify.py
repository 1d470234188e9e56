"""Check a written poster PDF: render every QR code of every page, decode it, compare.

For each QR area the layout placed, pypdfium2 rasterises that area of the page (quiet zone
included; in-process, greyscale, at a resolution giving every module at least 2.5 pixels), and
zxing-cpp decodes it: first as a "pure" symbol (fast: the crop holds nothing else), then with its
full detector. A code that cannot be read, reads as another payload, or was printed at another
error-correction level is a `Problem`; a file with the wrong number of pages is one too. The
result is a report; raising `VerificationError` is the caller's choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from qrproc.poster.layout import Document, Page, QrArea
from qrproc.poster.render_pdf import chunk_size, fork_map

MIN_PIXELS_PER_MODULE = 2.5


@dataclass(frozen=True)
class Problem:
    """One code that failed: `kind` is 'missing' (nothing readable), 'wrong' (another payload),
    'ec' (another error-correction level) or 'pages' (the file has the wrong number of pages)."""

    code: str
    page: int
    kind: str
    expected: str
    found: str = ""

    def describe(self, name: str = "") -> str:
        who = f"{self.code} {name}".strip()
        if self.kind == "missing":
            return f"{who} (page {self.page}): no readable QR code where it should be"
        if self.kind == "wrong":
            return f"{who} (page {self.page}): decodes to {self.found!r} instead of {self.expected!r}"
        if self.kind == "ec":
            return f"{who} (page {self.page}): error correction {self.found} instead of {self.expected}"
        return f"the file has {self.found} pages instead of {self.expected}"


@dataclass(frozen=True)
class VerificationReport:
    path: str
    pages: int
    expected: int  # QR codes the layout placed
    verified: int  # of those, decoded to exactly the expected payload and level
    dpi: float
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and self.verified == self.expected

    def describe(self, names: Mapping[str, str] | None = None, limit: int = 20) -> str:
        """A multi-line account of the problems, naming the procedures."""
        names = names or {}
        lines = [p.describe(names.get(p.code, "")) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"… and {len(self.problems) - limit} more")
        return "\n".join(lines)


def choose_dpi(doc: Document) -> float:
    """The lowest resolution giving each module at least MIN_PIXELS_PER_MODULE pixels."""
    dpi = MIN_PIXELS_PER_MODULE * 25.4 / doc.min_module
    return float(min(300, max(72, math.ceil(dpi / 10) * 10)))


def decode_region(gray, ec_hint: str | None = None):
    """Decode the one QR code in a greyscale array; returns (text, ec_level) or None."""
    import zxingcpp

    fmt = zxingcpp.BarcodeFormat.QRCode
    r = zxingcpp.read_barcode(gray, formats=fmt, is_pure=True, try_rotate=False,
                              try_downscale=False, try_invert=False)
    if r is None or not r.valid:
        r = zxingcpp.read_barcode(gray, formats=fmt, try_invert=False)
    if r is None or not r.valid:
        return None
    return r.text, r.ec_level


def check_area(gray, area: QrArea, dpi: float, page_number: int, *, cropped: bool = False) -> Problem | None:
    """Decode `area` of a page rendered at `dpi` (or, if `cropped`, of just the area itself);
    None when it reads back exactly."""
    if cropped:
        crop = gray
    else:
        s = dpi / 25.4
        b = area.box
        crop = gray[max(0, math.floor(b.y * s)):math.ceil(b.bottom * s),
                    max(0, math.floor(b.x * s)):math.ceil(b.right * s)]
    got = decode_region(crop)
    if got is None:
        return Problem(area.code, page_number, "missing", area.payload)
    text, ec = got
    if text != area.payload:
        return Problem(area.code, page_number, "wrong", area.payload, text)
    if ec != area.ec:
        return Problem(area.code, page_number, "ec", area.ec, ec)
    return None


def render_area(pdf_page, area: QrArea, dpi: float):
    """Rasterise just the area of a QR code (its quiet zone included) in greyscale: pdfium skips
    what lies outside, so this is cheaper than rendering the whole page."""
    k = 72 / 25.4
    width, height = pdf_page.get_size()
    b = area.box
    crop = (max(0.0, b.x * k), max(0.0, height - b.bottom * k), max(0.0, width - b.right * k),
            max(0.0, b.y * k))
    return pdf_page.render(scale=dpi / 72, grayscale=True, crop=crop).to_numpy()


def _check_pages(path: str, pages: Sequence[Page], indexes: Sequence[int], dpi: float) -> list[Problem]:
    import pypdfium2 as pdfium

    problems: list[Problem] = []
    pdf = pdfium.PdfDocument(path)
    try:
        for i in indexes:
            page = pages[i]
            if not page.qrs:
                continue
            pdf_page = pdf[i]
            for area in page.qrs:
                problem = check_area(render_area(pdf_page, area, dpi), area, dpi, i + 1, cropped=True)
                if problem is not None:
                    problems.append(problem)
            pdf_page.close()
    finally:
        pdf.close()
    return problems


def page_count(path: str | Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def verify_pdf(path: str | Path, doc: Document, *, workers: int = 1, dpi: float | None = None,
               on_progress: Callable[[str, int, int], None] | None = None) -> VerificationReport:
    """Render every page of the PDF at `path` and decode every QR area `doc` placed."""
    path = str(path)
    dpi = dpi or choose_dpi(doc)
    expected = doc.qr_count
    n = page_count(path)
    if n != len(doc.pages):
        return VerificationReport(path, n, expected, 0, dpi,
                                  (Problem("", 0, "pages", str(len(doc.pages)), str(n)),))
    size = chunk_size(n, workers)
    chunks = [range(i, min(i + size, n)) for i in range(0, n, size)]
    pages = doc.pages

    def task(k: int) -> list[Problem]:
        return _check_pages(path, pages, chunks[k], dpi)

    problems: list[Problem] = []
    done = 0
    with fork_map(task, len(chunks), workers) as results:
        for k, part in enumerate(results):
            problems.extend(part)
            done += len(chunks[k])
            if on_progress:
                on_progress("verify", done, n)
    return VerificationReport(path, n, expected, expected - len({(p.page, p.code) for p in problems}),
                              dpi, tuple(problems))


def verify_image(image, area: QrArea, dpi: float) -> Problem | None:
    """Decode `area` of a rendered image (a PIL image or an array) at `dpi` pixels per inch."""
    import numpy as np

    gray = np.asarray(image.convert("L") if hasattr(image, "convert") else image)
    return check_area(gray, area, dpi, 1)
