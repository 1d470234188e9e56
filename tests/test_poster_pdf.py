"""Posters end to end: real PDFs, decoded with zxing-cpp, read with pdftotext, through the CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import astuple
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import click
import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from qrproc.catalogue import import_catalogue
from qrproc.cli import cli
from qrproc.errors import QrprocError, VerificationError
from qrproc.model import ABOLISHED, Catalogue, Procedure
from qrproc import board

from faults import wrong_payload_encoder
from qrproc.poster import Selection
from qrproc.poster import payload as pl
from qrproc.poster import verify
from qrproc.registry import Registry

from test_poster_layout import ALL_LETTERS_NAME, LONG_WORD_NAME, VERY_LONG_NAME

AT = datetime(2026, 11, 28, 9, 0, 0)
JUL = date(2026, 7, 1)
DEC = date(2026, 12, 15)
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def proc(code, name, field="Hộ tịch", portal_id="", **kw):
    return Procedure(code=code, name=name, field=field, portal_id=portal_id, levels=("commune",),
                     processing_time="05 ngày làm việc", fees="Không", **kw)


KHAI_SINH = proc("1.001193", "Thủ tục đăng ký khai sinh", portal_id="019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7")
KET_HON = proc("1.000894", "Thủ tục đăng ký kết hôn")
KHAI_TU = proc("1.000656", "Thủ tục đăng ký khai tử", portal_id="019d2bfd-4a1c-7c2e-8d3f-0b1c2d3e4f50")
CHUNG_THUC = proc("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", field="Chứng thực")
HOA_GIAI = proc("2.002080", "Thủ tục thôi làm hòa giải viên", field="Hòa giải ở cơ sở")
ALL_LETTERS = proc("1.004227", ALL_LETTERS_NAME, field="Đất đai")
LONG_WORD = proc("1.004228", LONG_WORD_NAME, field="Đất đai")
VERY_LONG = proc("1.115763", VERY_LONG_NAME, field="Đất đai")
BOARD = (KHAI_SINH, KET_HON, KHAI_TU, CHUNG_THUC, HOA_GIAI, ALL_LETTERS, LONG_WORD, VERY_LONG)


def new_registry(path=":memory:", procs=BOARD) -> Registry:
    reg = Registry(path)
    reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    import_catalogue(reg, Catalogue(source="list.csv", procedures=tuple(procs)), effective=JUL,
                     decision="1234/QĐ-UBND", at=AT)
    return reg


def decode_pdf(path: Path, dpi: int = 150) -> list[str]:
    """Every QR code on every page, found by zxing-cpp on the whole rendered page."""
    found = []
    pdf = pdfium.PdfDocument(str(path))
    try:
        for page in pdf:
            image = page.render(scale=dpi / 72, grayscale=True).to_numpy()
            found += [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    finally:
        pdf.close()
    return found


def pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("layout", ["grid", "single", "labels"])
def test_every_code_of_every_layout_decodes_to_its_payload(tmp_path, layout):
    reg = new_registry()
    out = tmp_path / f"{layout}.pdf"
    result = board.print_posters(reg, layout=layout, selection=Selection.all(), as_of=JUL, out=out, at=AT,
                          workers=2)
    expected = [pl.payload_for(p.code, p.portal_id, pl.PayloadConfig()) for p in result.procedures]
    assert sorted(result.payloads) == sorted(expected) and len(expected) == len(BOARD)
    assert sorted(decode_pdf(out)) == sorted(expected)
    assert result.report.ok and result.verified == len(BOARD)
    assert f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{KHAI_SINH.portal_id}" in expected
    assert any("keyword=1.000894" in u for u in expected)  # no portal id: search by code


@needs_poppler
def test_pdftotext_returns_the_nfc_names(tmp_path):
    reg = new_registry()
    out = tmp_path / "board.pdf"
    board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=out, at=AT)
    text = pdftotext(out, "-raw")
    assert unicodedata.is_normalized("NFC", text)
    flat = squash(text)
    for p in BOARD:
        assert squash(unicodedata.normalize("NFC", p.name)) in flat, p.code
        assert f"Mã TTHC: {p.code}" in flat
    assert "BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH" in flat and "Trang 1/" in flat


def test_a_letter_the_font_lacks_is_an_error_naming_the_procedure(tmp_path):
    broken = proc("1.013858", "Đăng ký bản công bố sản phẩm 漢 nhập khẩu", field="An toàn thực phẩm")
    reg = new_registry(procs=BOARD + (broken,))
    out = tmp_path / "board.pdf"
    with pytest.raises(QrprocError, match=r"1\.013858: the poster font has no glyph for '漢' \(U\+6F22\).*letters are never dropped"):
        board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=out, at=AT)
    assert not out.exists() and list(tmp_path.iterdir()) == []


@needs_poppler
def test_changed_prints_new_labels_and_a_takedown_sheet_with_the_right_codes(tmp_path):
    reg = new_registry()
    reg.post(BOARD, day=JUL, at=AT)
    later = tuple(p for p in BOARD if p.code not in ("1.000894", "2.002080"))
    later += (KET_HON.replace(status=ABOLISHED, decision="2345/QĐ-UBND"),
              proc("1.014057", "Đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi"))
    import_catalogue(reg, Catalogue(source="dec.csv", procedures=later), effective=DEC, at=AT)
    out = tmp_path / "changed.pdf"
    result = board.print_posters(reg, selection=Selection.changed(), as_of=DEC, out=out, at=AT)
    assert [p.code for p in result.procedures] == ["1.014057"]
    assert sorted(i.code for i in result.takedown) == ["1.000894", "2.002080"]
    sheet = [p for p in result.document.pages if p.kind == "takedown"]
    # Listed as on the board: by field in Vietnamese order (Hòa giải ở cơ sở < Hộ tịch).
    assert [c for p in sheet for c in p.codes] == ["2.002080", "1.000894"]
    last = pdftotext(out, "-f", str(result.pages), "-l", str(result.pages))
    assert "DANH SÁCH THỦ TỤC CẦN GỠ KHỎI BẢNG NIÊM YẾT" in last
    assert "1.000894" in last and "2.002080" in last and "Bãi bỏ (QĐ 2345/QĐ-UBND)" in last
    assert "Không còn trong danh mục" in last and "1.001193" not in last
    assert decode_pdf(out) == [result.payloads[0]]


def test_a3_paper(tmp_path):
    reg = new_registry()
    out = tmp_path / "a3.pdf"
    result = board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=out, at=AT, paper="A3")
    pdf = pdfium.PdfDocument(str(out))
    try:
        assert [tuple(round(v) for v in page.get_size()) for page in pdf] == [(842, 1191)] * result.pages
    finally:
        pdf.close()
    assert result.paper == "A3" and result.report.ok
    assert sorted(decode_pdf(out)) == sorted(result.payloads)


def test_png_export_cards_decode(tmp_path):
    reg = new_registry()
    result = board.print_posters(reg, selection=Selection.of_field("hộ tịch"), as_of=JUL,
                          out=tmp_path / "ho-tich.pdf", at=AT, png_dir=tmp_path / "png")
    assert sorted(p.name for p in result.png_files) == [
        "1.000656-dang-ky-khai-tu.png", "1.000894-dang-ky-ket-hon.png",
        "1.001193-dang-ky-khai-sinh.png"]
    for path, payload in zip(sorted(result.png_files), sorted(zip([p.code for p in result.procedures],
                                                                   result.payloads))):
        image = Image.open(path)
        assert image.size[0] >= 1000
        got = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert got is not None and got.text == payload[1]


def test_an_injected_wrong_encoder_fails_verification_and_writes_nothing(tmp_path):
    reg = new_registry()
    out = tmp_path / "posters" / "board.pdf"
    with pytest.raises(VerificationError) as err:
        board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=out, at=AT,
                            encoder=wrong_payload_encoder(["1.001193"]), workers=2)
    message = str(err.value)
    assert "1.001193 Thủ tục đăng ký khai sinh" in message and "decodes to" in message
    assert "1.000894" not in message
    assert list(out.parent.iterdir()) == []  # no PDF, no temporary file
    assert reg.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0


def qr_paths_of_page(pdf: bytes, page: int) -> list[tuple[int, int]]:
    """(start, end) byte ranges of the QR paths in a page's content, in a QDF (uncompressed) file."""
    start = pdf.index(b"%%%% Contents for page %d\n" % page)
    end = pdf.index(b"endstream", start)
    return [(start + m.start(1), start + m.end(1))
            for m in re.finditer(rb" cm\n(.*?)f Q\n", pdf[start:end], re.S)]


def test_a_missing_module_is_caught_even_though_the_code_still_decodes(tmp_path):
    """Error correction hides a few wrong modules from the decoder; verification must not."""
    reg = new_registry()
    result = board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=tmp_path / "b.pdf", at=AT)
    assert result.report.ok and {r.code for r in result.report.results} == {p.code for p in BOARD}
    assert all(r.ok and r.wrong == 0 and r.seams == 0 for r in result.report.results)
    # Uncompress the file, and take one lone dark module in the data region out of the first
    # symbol on page 2 (its rectangle gets zero height; same length, so the file stays valid).
    qdf = tmp_path / "qdf.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(tmp_path / "b.pdf"), str(qdf)],
                   check=True)
    data = bytearray(qdf.read_bytes())
    start, end = qr_paths_of_page(bytes(data), 2)[0]
    lone = [m for m in re.finditer(rb"^(\d+) (\d+) 1 1 re$", bytes(data[start:end]), re.M)
            if all(10 <= int(v) <= 34 and not 19 <= int(v) <= 25 for v in m.groups())]
    m = lone[0]
    data[start + m.end() - 4:start + m.end() - 3] = b"0"
    qdf.write_bytes(bytes(data))
    page = result.document.pages[1]
    code = page.qrs[0].code
    # The code still decodes, to the right link ...
    assert sorted(decode_pdf(qdf)) == sorted(result.payloads)
    # ... but the check names the procedure, the module and nothing else.
    report = verify.verify_pdf(qdf, result.document)
    assert not report.ok and report.verified == len(BOARD) - 1
    (problem,) = report.problems
    assert (problem.code, problem.kind, problem.page) == (code, "modules", 2)
    col, row = int(m.group(1)), int(m.group(2))
    assert re.search(r": 1 of \d+ modules wrong", problem.describe())
    assert f"row {row}, column {col}" in problem.describe()
    (bad,) = [r for r in report.results if not r.ok]
    assert bad.code == code and bad.decoded and bad.wrong == 1


def test_a_hairline_seam_between_dark_modules_is_caught(tmp_path):
    """A light line a tenth of a module wide between two dark modules (a rectangle of the path
    cut in two) is what a seam looks like; the code still decodes, the check names it."""
    reg = new_registry()
    result = board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=tmp_path / "b.pdf", at=AT)
    assert result.report.ok
    qdf = tmp_path / "qdf.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(tmp_path / "b.pdf"), str(qdf)],
                   check=True)
    data = qdf.read_bytes()
    start, end = qr_paths_of_page(data, 2)[0]
    tall = [m for m in re.finditer(rb"^(\d+) (\d+) 1 ([2-9]) re$", data[start:end], re.M)
            if 10 <= int(m.group(1)) <= 34 and 10 <= int(m.group(2)) <= 30][0]
    col, row, height = (int(v) for v in tall.groups())
    split = b"%d %d 1 0.95 re\n%d %.2f 1 %.2f re" % (col, row, col, row + 1.05, height - 1.05)
    cut = data[:start + tall.start()] + split + data[start + tall.end():]
    fixed = subprocess.run(["fix-qdf"], input=cut, capture_output=True, check=True).stdout
    qdf.write_bytes(fixed)
    code = result.document.pages[1].qrs[0].code
    assert sorted(decode_pdf(qdf)) == sorted(result.payloads)
    report = verify.verify_pdf(qdf, result.document)
    (problem,) = report.problems
    assert (problem.code, problem.kind, problem.page) == (code, "modules", 2)
    (bad,) = [r for r in report.results if not r.ok]
    assert bad.decoded and bad.wrong == 0 and bad.seams == 2  # the modules above and below it
    assert f"row {row}, column {col}" in problem.describe()


def test_the_check_renders_each_symbol_on_its_modules_own_pixel_grid(tmp_path):
    """Whole pixels per module, at least 150 dpi: grid modules of 21 dots (0.889 mm) are checked
    at 6 pixels (171 dpi), and the report gives that resolution."""
    reg = new_registry()
    result = board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=tmp_path / "b.pdf", at=AT)
    modules = {round(r.module, 4) for r in result.report.results}
    assert modules == {round(21 / 600 * 25.4, 4)}
    assert verify.pixels_per_module(21 / 600 * 25.4) == 6
    assert result.report.dpi == pytest.approx(6 / (21 / 600), rel=1e-6)
    assert verify.pixels_per_module(13 / 600 * 25.4) == 4  # counter labels: 3.25 at 150 dpi
    assert verify.pixels_per_module(0.2) == 3  # never fewer than 3


def test_a_check_in_this_process_leaves_no_file_open(tmp_path):
    """The file is opened once per process that checks pages, not once per task; a check that
    ran in this process closes it, also when it found problems or the wrong number of pages."""
    import dataclasses
    import os

    reg = new_registry()
    result = board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=tmp_path / "b.pdf",
                                 at=AT, workers=1)
    doc = result.document
    assert len(doc.pages) > 1  # several tasks
    symbols = {a.code: pl.encode(a.payload, a.ec) for page in doc.pages for a in page.qrs}
    version = symbols[BOARD[0].code].version
    one, other = [code for code in symbols if symbols[code].version == version][:2]
    wrong = {**symbols, one: symbols[other]}  # another procedure's code, of the same size
    before = sorted(os.listdir("/proc/self/fd"))
    assert verify.verify_pdf(tmp_path / "b.pdf", doc, workers=1, symbols=symbols).ok
    assert not verify.verify_pdf(tmp_path / "b.pdf", doc, workers=1, symbols=wrong).ok
    short = dataclasses.replace(doc, pages=doc.pages[:1])
    assert not verify.verify_pdf(tmp_path / "b.pdf", short, workers=1).ok
    assert sorted(os.listdir("/proc/self/fd")) == before and verify._OPEN == {}


def test_checks_in_several_threads_of_this_process_take_turns_with_pdfium(tmp_path):
    """pdfium is not thread-safe. The desk runs two print jobs at once in two threads, and a
    short print (one task) is checked in the job's own thread: two such checks at once crashed
    the whole process, in about one run in five (SIGTRAP, or "malloc(): unsorted double linked
    list corrupted"). Here three threads check at once while pdfium's rendering call is watched
    (it waits 5 ms inside, to give another thread every chance to come in): never more than one
    thread is in it. In a child process, so that a crash fails this test, not the suite."""
    import pickle
    import sys

    reg = new_registry()
    result = board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=tmp_path / "b.pdf",
                                 at=AT, workers=1)
    (tmp_path / "doc.pickle").write_bytes(pickle.dumps(result.document))
    script = (
        "import pickle, sys, threading, time\n"
        "import pypdfium2.raw as pdfium_c\n"
        "from qrproc.poster import verify\n"
        "doc = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "inside, most, guard = [0], [0], threading.Lock()\n"
        "real = pdfium_c.FPDF_RenderPageBitmapWithMatrix\n"
        "def watched(*args):\n"
        "    with guard:\n"
        "        inside[0] += 1\n"
        "        most[0] = max(most[0], inside[0])\n"
        "    time.sleep(0.005)\n"
        "    try:\n"
        "        return real(*args)\n"
        "    finally:\n"
        "        with guard:\n"
        "            inside[0] -= 1\n"
        "pdfium_c.FPDF_RenderPageBitmapWithMatrix = watched\n"
        "ok = []\n"
        "def job():\n"
        "    for _ in range(3):\n"
        "        ok.append(verify.verify_pdf(sys.argv[2], doc, workers=1).ok)\n"
        "threads = [threading.Thread(target=job) for _ in range(3)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "print(sum(ok), len(ok), most[0])\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "doc.pickle"),
                           str(tmp_path / "b.pdf")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert done.stdout.split() == ["9", "9", "1"]  # every check passed, one thread at a time


def blown_up(dark, pixels, quiet=4):
    full = np.pad(dark, quiet)
    return np.where(np.kron(full, np.ones((pixels, pixels), dtype=bool)), 0, 255).astype(np.uint8)


def padded(picture):
    """The picture with light columns added to a multiple of 8 pixels, as SymbolRenderer's."""
    extra = -picture.shape[1] % 8 or 8
    return np.pad(picture, ((0, 0), (0, extra)), constant_values=255)


@pytest.mark.parametrize("shape", [lambda p: p, padded], ids=["exact width", "padded rows"])
def test_check_blocks_looks_at_every_pixel_of_every_module(shape):
    symbol = pl.encode("https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193", "M")
    dark = symbol.dark
    clean = blown_up(dark, 6)

    def check(picture):
        return verify.check_blocks(shape(picture), dark, 6)

    assert check(clean).ok
    # one module's colour flipped: a wrong module, where it is
    flipped = clean.copy()
    r, c = 12, 20
    flipped[(r + 4) * 6:(r + 5) * 6, (c + 4) * 6:(c + 5) * 6] ^= 255
    assert astuple(check(flipped)) == (1, 0, (r, c))
    # a one-pixel speck off the centre of a light module: not wrong, but not clean either
    light = [(i, j) for i in range(10, 30) for j in range(10, 30) if not dark[i, j]][0]
    speck = clean.copy()
    speck[(light[0] + 4) * 6, (light[1] + 4) * 6] = 0
    assert astuple(check(speck)) == (0, 1, light)
    # grey within the thresholds' margin is clean; beyond it is not
    soft = clean.copy()
    soft[soft == 0] = verify.DARK_MAX
    assert check(soft).ok
    soft[0, 0] = verify.LIGHT_MIN - 1  # the quiet zone's corner
    assert check(soft).first == (-4, -4)
    # the whole symbol a pixel off the grid: every edge between a dark and a light module fails
    shifted = np.roll(clean, 1, axis=1)
    result = check(shifted)
    assert not result.ok and result.wrong == 0 and result.seams > 100
    # a picture that stops short of the symbol
    assert check(clean[:-6]).wrong == dark.shape[0] + 8


def test_labels_are_counter_labels_and_say_so(tmp_path):
    reg = new_registry()
    result = board.print_posters(reg, layout="labels", selection=Selection.all(), as_of=JUL,
                          out=tmp_path / "labels.pdf", at=AT)
    modules = {round(r.module, 3) for r in result.report.results}
    assert modules == {0.55}  # 13 dots of 600 dpi: 0.517 mm even printed at 94 %
    assert any("modules of 0.55 mm" in w and "not for the wall board" in w for w in result.warnings)
    grid = board.print_posters(reg, layout="grid", selection=Selection.all(), as_of=JUL,
                        out=tmp_path / "grid.pdf", at=AT)
    assert min(r.module for r in grid.report.results) >= 0.8 / 0.94
    assert not any("wall board" in w for w in grid.warnings)


def test_viewers_are_asked_to_print_at_full_size(tmp_path):
    reg = new_registry()
    board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=tmp_path / "b.pdf", at=AT)
    pdf = pdfium.PdfDocument(str(tmp_path / "b.pdf"))
    try:
        import pypdfium2.raw as pdfium_c
        assert pdfium_c.FPDF_VIEWERREF_GetPrintScaling(pdf.raw) == 0  # /PrintScaling /None
    finally:
        pdf.close()
    check = subprocess.run(["qpdf", "--check", str(tmp_path / "b.pdf")], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_progress_is_reported_per_stage(tmp_path):
    reg = new_registry()
    calls = []
    board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=tmp_path / "b.pdf", at=AT,
                 on_progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = [c[0] for c in calls]
    assert stages[0] == "render" and stages[-1] == "verify"
    assert calls[-1][1] == calls[-1][2]


def test_nothing_to_print_writes_nothing(tmp_path):
    reg = new_registry()
    reg.post(BOARD, day=JUL, at=AT)
    result = board.print_posters(reg, as_of=JUL, out=tmp_path / "none.pdf", at=AT)
    assert result.path is None and result.batch is None and list(tmp_path.iterdir()) == []


# -- through the command line ----------------------------------------------------------------------

def cli_registry(db_path: Path) -> None:
    reg = Registry(db_path)
    try:
        import_catalogue(reg, Catalogue(source="list.csv", procedures=BOARD[:5]), effective=JUL, at=AT)
    finally:
        reg.close()


def test_posters_records_a_batch_that_post_batch_puts_up(db_path, tmp_path, monkeypatch):
    cli_registry(db_path)
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)  # the default output folder posters/ is relative to it
    res = runner.invoke(cli, ["--db", str(db_path), "posters", "--as-of", "2026-07-01"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "Verified 5 of 5 QR codes" in res.output
    assert "Wrote posters/thay-doi-2026-07-01.pdf" in res.output
    assert Path("posters/thay-doi-2026-07-01.pdf").exists()
    assert "qrproc post --batch 1" in res.output
    posted = runner.invoke(cli, ["--db", str(db_path), "post", "--batch", "1", "--date", "2026-07-01"],
                           catch_exceptions=False)
    assert posted.exit_code == 0 and "Posted 5 labels" in posted.output
    again = runner.invoke(cli, ["--db", str(db_path), "posters", "--as-of", "2026-07-01"],
                          catch_exceptions=False)
    assert "Nothing to print" in again.output
    reg = Registry(db_path)
    try:
        batch = reg.batch(1)
        assert batch.layout == "grid" and batch.count == 5
        assert sorted(reg.posted()) == sorted(p.code for p in BOARD[:5])
        assert {p.batch_id for p in reg.posted().values()} == {1}
    finally:
        reg.close()


def test_a_wrong_code_fails_the_command_with_exit_1_and_leaves_no_pdf(db_path, tmp_path, monkeypatch):
    cli_registry(db_path)
    # the fault at the encoder (zxing-cpp) boundary: the command prints a wrong link for one card
    monkeypatch.setattr(pl, "default_encoder", wrong_payload_encoder(["1.001193"]))
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(cli, ["--db", str(db_path), "posters", "--all", "--as-of", "2026-07-01",
                              "--silent"])
    assert res.exit_code == 1
    assert "Error: verification failed: 1 of 5 QR codes did not read back" in res.output
    assert "1.001193 Thủ tục đăng ký khai sinh (page" in res.output
    assert not Path("posters").exists() or list(Path("posters").iterdir()) == []
    reg = Registry(db_path)
    try:
        assert reg.conn.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0
    finally:
        reg.close()


def test_cli_options_select_layout_paper_and_codes(db_path, tmp_path):
    cli_registry(db_path)
    runner = CliRunner()
    out = tmp_path / "two.pdf"
    res = runner.invoke(cli, ["--db", str(db_path), "posters", "--codes", "1.001193,2.000815",
                              "--layout", "single", "--paper", "A3", "--as-of", "2026-07-01",
                              "--out", str(out), "--silent"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "(single, A3, 2 pages: 2 procedures)" in res.output
    assert sorted(decode_pdf(out)) == sorted(pl.payload_for(p.code, p.portal_id, pl.PayloadConfig())
                                             for p in (KHAI_SINH, CHUNG_THUC))
    bad = runner.invoke(cli, ["--db", str(db_path), "posters", "--codes", "1.999999", "--as-of", "2026-07-01"])
    assert bad.exit_code == 1 and "1.999999 is not in the catalogue" in bad.output
    usage = runner.invoke(cli, ["--db", str(db_path), "posters", "--grid", "three"])
    assert usage.exit_code == 2


@pytest.mark.parametrize("name", ["posters", "payload"])
def test_commands_have_help_with_an_example(name):
    command = cli.get_command(click.Context(cli), name)
    assert command.help and "Example: qrproc " + name in command.help
