"""Posters render right in every PDF engine a commune may print or view them with.

Each layout (grid, labels, single) on each paper (A4, A3) is rendered by pdfium (pypdfium2, what
the product checks with), poppler (pdftoppm: splash; pdftocairo: cairo), MuPDF (mutool draw) and
Ghostscript (gs, anti-aliased as a viewer draws it, and without anti-aliasing as a print filter
rasterises) at 150 and 300 dpi. On one representative page of each (the one with the most codes,
preferring a name in capitals with stacked diacritics), every code must decode to its link and
match its module matrix exactly: no wrong module, no seam between modules, nothing in the quiet
zone. The symbols are measured again from
a 600 dpi rendering, without the product's geometry: module size and quiet zone.

The external engines are Debian commands (poppler-utils, mupdf-tools, ghostscript, qpdf; .ci/run
installs them). A missing one fails the test with the package to install: it never passes by
being skipped.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from qrproc.catalogue import import_catalogue
from qrproc.model import Catalogue
from qrproc import board
from qrproc.poster import Selection
from qrproc.poster import layout as L
from qrproc.poster import payload as pl
from qrproc.poster import verify
from qrproc.poster.qr_geometry import symbol_geometry
from qrproc.registry import Registry
from qrproc.sources import load_file

from test_poster_pdf import ALL_LETTERS, AT, JUL, KET_HON, VERY_LONG

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "xa-mau-2026-07.csv"
K = 72 / 25.4
PACKAGES = {"pdftoppm": "poppler-utils", "pdftocairo": "poppler-utils", "mutool": "mupdf-tools",
            "gs": "ghostscript", "qpdf": "qpdf"}
LAYOUTS = [(layout, paper) for layout in ("grid", "labels", "single") for paper in ("A4", "A3")]


def need(command: str) -> str:
    path = shutil.which(command)
    if path is None:
        pytest.fail(f"{command} is not installed: apt-get install {PACKAGES[command]} "
                    "(the README's test command installs it)")
    return path


# -- the documents ----------------------------------------------------------------------------------

def board_procedures():
    """Real names: the sample commune's Hộ tịch field and its names written in capitals (stacked
    diacritics: ĐỀ, ĐỔI, TỔ), plus every Vietnamese letter, a very long name, and a procedure
    without a portal id (the long search-by-code link: QR version 10)."""
    sample = load_file(SAMPLE).procedures
    chosen = [p for p in sample if p.field == "Hộ tịch"][:24] + [p for p in sample if p.name.isupper()]
    return chosen + [ALL_LETTERS, VERY_LONG, KET_HON.replace(code="1.000895")]


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """(layout, paper) -> (pdf path, Document, representative page index) of a verified run."""
    folder = tmp_path_factory.mktemp("engines")
    reg = Registry(":memory:")
    reg.set_settings({"unit": "UBND xã Nghĩa Trụ", "province": "H31"}, at=AT)
    import_catalogue(reg, Catalogue(source="board.csv", procedures=tuple(board_procedures())),
                     effective=JUL, at=AT)
    out = {}
    for layout, paper in LAYOUTS:
        path = folder / f"{layout}-{paper}.pdf"
        result = board.print_posters(reg, layout=layout, selection=Selection.all(), as_of=JUL, out=path,
                              at=AT, paper=paper)
        assert result.report.ok
        pages = result.document.pages

        def score(i):
            capitals = any(t.text.isupper() and any(c in t.text for c in "ỀỔỒỘẾỂ")
                           for t in pages[i].texts if pages[i].qrs)
            return (capitals, len(pages[i].qrs), -i)

        out[(layout, paper)] = (path, result.document, max(range(len(pages)), key=score))
    reg.close()
    return out


# -- the engines ---------------------------------------------------------------------------------------

def read_pgm(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


def render_pdfium(pdf: Path, page: int, dpi: int, tmp: Path) -> tuple[np.ndarray, float, float]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        p = doc[page]
        width, height = p.get_size()
        gray = p.render(scale=dpi / 72, grayscale=True).to_numpy()
    finally:
        doc.close()
    # pdfium fills ceil(size·scale) pixels in each direction
    return gray, math.ceil(width * dpi / 72) / width, math.ceil(height * dpi / 72) / height


def render_pdftoppm(pdf: Path, page: int, dpi: int, tmp: Path) -> tuple[np.ndarray, float, float]:
    out = tmp / "poppler"
    subprocess.run([need("pdftoppm"), "-gray", "-r", str(dpi), "-f", str(page + 1), "-l",
                    str(page + 1), "-singlefile", str(pdf), str(out)], check=True)
    return read_pgm(out.with_suffix(".pgm")), dpi / 72, dpi / 72


def render_pdftocairo(pdf: Path, page: int, dpi: int, tmp: Path) -> tuple[np.ndarray, float, float]:
    out = tmp / "cairo"
    subprocess.run([need("pdftocairo"), "-png", "-gray", "-r", str(dpi), "-f", str(page + 1),
                    "-l", str(page + 1), "-singlefile", str(pdf), str(out)], check=True)
    return read_pgm(out.with_suffix(".png")), dpi / 72, dpi / 72


def render_mutool(pdf: Path, page: int, dpi: int, tmp: Path) -> tuple[np.ndarray, float, float]:
    out = tmp / "mupdf.pgm"
    subprocess.run([need("mutool"), "draw", "-q", "-r", str(dpi), "-c", "gray", "-o", str(out),
                    str(pdf), str(page + 1)], check=True, capture_output=True)
    return read_pgm(out), dpi / 72, dpi / 72


def render_gs(pdf: Path, page: int, dpi: int, tmp: Path, *, smooth: bool = True) -> tuple[np.ndarray, float, float]:
    out = tmp / "gs.pgm"
    alpha = ["-dTextAlphaBits=4", "-dGraphicsAlphaBits=4"] if smooth else []
    subprocess.run([need("gs"), "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pgmraw",
                    f"-r{dpi}", f"-dFirstPage={page + 1}", f"-dLastPage={page + 1}", *alpha,
                    f"-sOutputFile={out}", str(pdf)], check=True)
    return read_pgm(out), dpi / 72, dpi / 72


def render_gs_print(pdf: Path, page: int, dpi: int, tmp: Path) -> tuple[np.ndarray, float, float]:
    """Ghostscript as a print path rasterises (CUPS filters): no anti-aliasing."""
    return render_gs(pdf, page, dpi, tmp, smooth=False)


ENGINES = {"pdfium": render_pdfium, "poppler": render_pdftoppm, "poppler-cairo": render_pdftocairo,
           "mupdf": render_mutool, "ghostscript": render_gs, "ghostscript-print": render_gs_print}


def check_page(gray: np.ndarray, sx: float, sy: float, page: L.Page) -> list[str]:
    """Every code of `page` in the rendering `gray` (`sx`, `sy` pixels per point): decoded, and
    compared module by module."""
    s, t = sx * K, sy * K  # pixels per mm
    failures = []
    for area in page.qrs:
        symbol = pl.encode(area.payload, area.ec)
        x, y, module = symbol_geometry(area, symbol)
        b = area.box
        crop = gray[math.floor(b.y * t):math.ceil(b.bottom * t), math.floor(b.x * s):math.ceil(b.right * s)]
        problem = verify.decode_problem(crop, area, page.number)
        if problem is not None:
            failures.append(problem.describe())
        check = verify.check_modules(gray, symbol.dark, left=x * s, top=y * t, step_x=module * s,
                                     step_y=module * t, quiet=area.quiet)
        if not check.ok:
            failures.append(f"{area.code}: {verify.describe_check(check, symbol.size, area.quiet)}")
    return failures


@pytest.mark.parametrize("dpi", [150, 300])
@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("layout,paper", LAYOUTS)
def test_every_code_decodes_and_every_module_is_right(documents, layout, paper, engine, dpi, tmp_path):
    pdf, doc, index = documents[(layout, paper)]
    page = doc.pages[index]
    gray, sx, sy = ENGINES[engine](pdf, index, dpi, tmp_path)
    width_pt, height_pt = doc.paper.width * K, doc.paper.height * K
    assert abs(gray.shape[1] - width_pt * sx) <= 1 and abs(gray.shape[0] - height_pt * sy) <= 1
    assert page.qrs
    failures = check_page(gray, sx, sy, page)
    assert not failures, f"{engine} at {dpi} dpi, {layout} {paper} page {index + 1}:\n" + "\n".join(failures)


@pytest.mark.parametrize("layout,paper", LAYOUTS)
def test_qpdf_finds_nothing_wrong_with_the_file(documents, layout, paper):
    pdf, _, _ = documents[(layout, paper)]
    res = subprocess.run([need("qpdf"), "--check", str(pdf)], capture_output=True, text=True)
    assert res.returncode == 0 and "No syntax or stream encoding errors" in res.stdout, res.stdout + res.stderr


# -- measured at 600 dpi ---------------------------------------------------------------------------

def measure_symbol(pdf: Path, page: int, area: L.QrArea, size: int, dpi: int = 600) -> tuple[float, float]:
    """(module mm, quiet zone in modules) of one code, from poppler's 600 dpi rendering of the
    area and 8 mm around it: the symbol is the bounding box of the dark pixels inside the area,
    the quiet zone the distance from it to the nearest other dark pixel. Nothing of the product's
    geometry is used but where to look."""
    s = dpi / 25.4
    margin = 8.0
    x0, y0 = max(0, math.floor((area.box.x - margin) * s)), max(0, math.floor((area.box.y - margin) * s))
    x1, y1 = math.ceil((area.box.right + margin) * s), math.ceil((area.box.bottom + margin) * s)
    out = pdf.parent / f"m600-{pdf.stem}-{page}-{area.code.replace('.', '_')}"
    subprocess.run([need("pdftoppm"), "-gray", "-r", str(dpi), "-f", str(page + 1), "-l", str(page + 1),
                    "-x", str(x0), "-y", str(y0), "-W", str(x1 - x0), "-H", str(y1 - y0),
                    "-singlefile", str(pdf), str(out)], check=True)
    dark = read_pgm(out.with_suffix(".pgm")) < 128
    ax0, ay0 = round(area.box.x * s) - x0, round(area.box.y * s) - y0
    ax1, ay1 = round(area.box.right * s) - x0, round(area.box.bottom * s) - y0
    inside = np.zeros_like(dark)
    inside[ay0:ay1, ax0:ax1] = dark[ay0:ay1, ax0:ax1]
    rows, cols = np.nonzero(inside)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    module_px = ((right - left) + (bottom - top)) / 2 / size
    others = dark.copy()
    others[top:bottom, left:right] = False
    oy, ox = np.nonzero(others)
    dx = np.maximum(np.maximum(left - ox, ox - (right - 1)), 0)
    dy = np.maximum(np.maximum(top - oy, oy - (bottom - 1)), 0)
    nearest = np.maximum(dx, dy).min() - 1 if len(ox) else 2 * margin * s  # white pixels between
    return module_px / s, nearest / module_px


@pytest.mark.parametrize("layout,paper", LAYOUTS)
def test_module_size_and_quiet_zone_measured_at_600_dpi(documents, layout, paper):
    pdf, doc, index = documents[(layout, paper)]
    page = doc.pages[index]
    smallest = 0.5 if layout == "labels" else 0.8
    for area in page.qrs:
        symbol = pl.encode(area.payload, area.ec)
        module, quiet = measure_symbol(pdf, index, area, symbol.size)
        _, _, drawn = symbol_geometry(area, symbol)
        assert abs(module - drawn) <= 0.5 / 600 * 25.4, (area.code, module, drawn)
        assert module * L.FIT_SCALE >= smallest, (area.code, module)  # even printed at 94 %
        assert quiet >= 4, (area.code, quiet)
