"""The paper loop (issue 13) and safe output files (issue 11), through the real command line:
a changes document titled as such, whose checklist and cards say what each new card replaces and
the field it goes under; a takedown sheet with field, date, person and signature lines; distinct
file names for the changes and the whole board; `batches`, `post --batch`, `takedown --batch`;
reprints and PNG exports that reuse their batch; the wall's scan instruction, decisions and
centre details; two `posters` runs at once; a symlink where the output would go. Every PDF is
read back with pdftotext."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from qrproc.catalogue import import_catalogue
from qrproc.model import ABOLISHED, REPLACED, Catalogue, Procedure
from qrproc.registry import Registry

from test_poster_pdf import decode_pdf, pdftotext, squash
from cli_runner import cli_runner

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")

AT = datetime(2026, 11, 28, 9, 0, 0)
JUL, DEC = date(2026, 7, 1), date(2026, 12, 15)
CENTRE = "Trung tâm Phục vụ hành chính công xã Mẫu"
ADDRESS = "Thôn Đông, xã Mẫu, tỉnh Hưng Yên"
HOTLINE = "0221 3862 345"


def proc(code, name, field="Hộ tịch", **kw):
    return Procedure(code=code, name=name, field=field, levels=("commune",),
                     processing_time="05 ngày làm việc", fees=kw.pop("fees", "Không"),
                     decision=kw.pop("decision", "1234/QĐ-UBND"), **kw)


KHAI_SINH = proc("1.001193", "Thủ tục đăng ký khai sinh", portal_id="019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7")
KET_HON = proc("1.000894", "Thủ tục đăng ký kết hôn")
KHAI_TU = proc("1.000656", "Thủ tục đăng ký khai tử")
HOA_GIAI = proc("2.002080", "Thủ tục thôi làm hòa giải viên", field="Hòa giải ở cơ sở")
JULY = (KHAI_SINH, KET_HON, KHAI_TU, HOA_GIAI)
DECEMBER = (
    KHAI_SINH,
    KET_HON.replace(fees="Miễn lệ phí", decision="2345/QĐ-UBND"),
    KHAI_TU.replace(status=ABOLISHED, decision="2345/QĐ-UBND"),
    HOA_GIAI.replace(status=REPLACED, replaced_by="1.014060", decision="2345/QĐ-UBND"),
    proc("1.014060", "Thủ tục thôi làm hòa giải viên (theo quy định mới)", field="Hòa giải ở cơ sở",
         decision="2345/QĐ-UBND"),
    proc("1.014057", "Đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
         decision="2345/QĐ-UBND"),
)


@pytest.fixture
def commune(tmp_path, monkeypatch):
    """A commune whose July board is up, with the December list imported: returns a runner."""
    db = tmp_path / "qrproc.db"
    reg = Registry(db)
    try:
        reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31", "centre": CENTRE,
                          "address": ADDRESS, "hotline": HOTLINE}, at=AT)
        import_catalogue(reg, Catalogue(source="thang-7.csv", procedures=JULY), effective=JUL,
                         decision="1234/QĐ-UBND", at=AT)
        reg.post(JULY, day=JUL, at=AT)
        import_catalogue(reg, Catalogue(source="thang-12.csv", procedures=DECEMBER), effective=DEC,
                         decision="2345/QĐ-UBND", at=AT)
    finally:
        reg.close()
    monkeypatch.chdir(tmp_path)
    run = cli_runner(db)
    run.db = db
    return run


def pages_text(path: Path) -> list[str]:
    return [squash(t) for t in pdftotext(path, "-layout").split("\f") if t.strip()]


def row(path: Path, page: int, code: str) -> str:
    """The line of a table (pdftotext -layout) that starts the row of `code`, squashed."""
    text = pdftotext(path, "-layout", "-f", str(page), "-l", str(page))
    (line,) = [ln for ln in text.splitlines() if f" {code} " in f" {ln} "]
    return squash(line)


def test_the_changes_document_says_what_each_card_does_and_the_takedown_sheet_is_signed(commune):
    r = commune("posters", "--as-of", "2026-12-15", "--silent")
    assert "Wrote posters/thay-doi-2026-12-15.pdf (grid, A4, " in r.output
    assert "3 procedures and a takedown sheet of 2)" in r.output
    assert "once the sheets are up: qrproc post --batch 1 and qrproc takedown --batch 1" in r.output
    pdf = Path("posters/thay-doi-2026-12-15.pdf")
    pages = pages_text(pdf)
    checklist, cards, sheet = pages[0], pages[1:-1], pages[-1]
    # the checklist: titled as a changes document, each card with the field it goes under
    assert "THẺ QR BỔ SUNG, THAY THẾ TRÊN BẢNG NIÊM YẾT TTHC" in checklist
    assert "DANH SÁCH THẺ CẦN DÁN LÊN BẢNG" in checklist and "MỤC LỤC" not in checklist
    # by field as on the board (Hòa giải ở cơ sở before Hộ tịch), each with what to do
    assert row(pdf, 1, "1.014060").endswith("Hòa giải ở cơ sở Thay cho thẻ 2.002080")
    assert row(pdf, 1, "1.000894") == "2 1.000894 Thủ tục đăng ký kết hôn Hộ tịch Thay thẻ cũ cùng mã (đổi"
    assert row(pdf, 1, "1.014057").endswith("Hộ tịch Thẻ mới: dán thêm vào")
    assert "Thay thẻ cũ cùng mã (đổi phí, lệ phí)" in checklist
    assert "Ngày dán: ....../....../20......" in checklist and "Người dán (họ tên):" in checklist
    # the cards: each says what it does, and how to use it
    card_text = " ".join(cards)
    assert "BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH" not in card_text
    assert card_text.count("Quét mã để xem thủ tục") == 3
    assert "Thay cho thẻ 2.002080" in card_text and "Thay thẻ cũ cùng mã (đổi phí, lệ phí)" in card_text
    assert "thẻ, dán vào mục này trên bảng" in card_text
    # the takedown sheet: field to find the card, reason, date, person and signature lines
    assert "DANH SÁCH THỦ TỤC CẦN GỠ KHỎI BẢNG NIÊM YẾT" in sheet
    assert "Lĩnh vực (tìm ở mục)" in sheet and "Đã gỡ" in sheet
    last = len(pages)
    assert row(pdf, last, "2.002080") == ("1 2.002080 Thủ tục thôi làm hòa giải viên Hòa giải ở cơ sở "
                                          "Được thay thế bởi 1.014060")
    assert row(pdf, last, "1.000656") == "2 1.000656 Thủ tục đăng ký khai tử Hộ tịch Bãi bỏ (QĐ 2345/QĐ-UBND)"
    assert "Ngày gỡ: ....../....../20......" in sheet and "Người gỡ (họ tên):" in sheet
    assert "Ký tên:" in sheet
    # every page: the decisions, the centre, its address and hotline
    for page in pages:
        assert "Danh mục thủ tục hành chính áp dụng ngày 15/12/2026 theo Quyết định 2345/QĐ-UBND" in page
        assert f"{CENTRE} · Địa chỉ: {ADDRESS} · Đường dây nóng: {HOTLINE}" in page


def test_the_whole_board_has_its_own_name_title_and_index(commune):
    commune("posters", "--as-of", "2026-12-15", "--silent")
    r = commune("posters", "--all", "--as-of", "2026-12-15", "--silent")
    assert "Wrote posters/bang-niem-yet-2026-12-15.pdf" in r.output
    pages = pages_text(Path("posters/bang-niem-yet-2026-12-15.pdf"))
    assert "MỤC LỤC THEO LĨNH VỰC" in pages[0] and "BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH" in pages[0]
    assert " ".join(pages).count("Quét mã để xem thủ tục") == 4
    assert "Thay cho thẻ" not in " ".join(pages)  # notes are for a changes document only
    assert sorted(p.name for p in Path("posters").iterdir()) == [
        "bang-niem-yet-2026-12-15.pdf", "thay-doi-2026-12-15.pdf"]


def test_batches_post_batch_and_takedown_batch_close_the_loop(commune):
    commune("posters", "--as-of", "2026-12-15", "--silent")
    r = commune("batches", "--as-of", "2026-12-15")
    assert "Batch 1: grid, printed " in r.output and " for 15/12/2026, 3 cards (0 up)" in r.output
    assert "  print: posters/thay-doi-2026-12-15.pdf" in r.output
    # in the order of the sheets: by field, as on the board
    assert "  to put up (3): 1.014060, 1.000894, 1.014057  -> qrproc post --batch 1" in r.output
    assert "  to take down (2): 2.002080, 1.000656  -> qrproc takedown --batch 1" in r.output
    assert "Open print batches: 1 (qrproc batches)" in commune("status", "--as-of", "2026-12-15").output
    # a dry run changes nothing
    dry = commune("takedown", "--batch", "1", "--date", "2026-12-15", "--dry-run")
    assert "Took down 2 labels on 15/12/2026." in dry.output and "Dry run" in dry.output
    assert "to take down (2)" in commune("batches", "--as-of", "2026-12-15").output
    commune("post", "--batch", "1", "--date", "2026-12-15")
    assert "to put up" not in commune("batches", "--as-of", "2026-12-15").output
    done = commune("takedown", "--batch", "1", "--date", "2026-12-15")
    assert "Took down 2 labels on 15/12/2026." in done.output
    assert "No open print batch on 15/12/2026" in commune("batches", "--as-of", "2026-12-15").output
    rep = commune("report", "--as-of", "2026-12-15", "--format", "text")
    assert "4/4 TTHC (100%)" in rep.output
    # and the whole loop is undoable, one change at a time
    commune("undo")
    assert "to take down (2)" in commune("batches", "--as-of", "2026-12-15").output


def test_counter_labels_are_not_marked_as_posted_until_reprinted_for_the_wall(commune):
    """Labels (0.55 mm modules) are for the counter: marking them as put up would count cards
    the board does not have, and the coverage figure would say so."""
    commune("payload", "--template-code", "https://dichvucong.gov.vn/tt/{code}")  # short enough for a label
    r = commune("posters", "--layout", "labels", "--as-of", "2026-12-15", "--silent")
    assert ("Print batch 1: labels for the counter, not for the notice board (they do not count "
            "as posted).") in r.output
    assert "Once the labels on its takedown sheet are down: qrproc takedown --batch 1" in r.output
    assert "qrproc post --batch" not in r.output
    listed = commune("batches", "--as-of", "2026-12-15").output
    assert "to put up" not in listed and "to take down (2)" in listed
    r = commune("post", "--batch", "1", "--date", "2026-12-15", ok=False)
    assert r.exit_code == 1
    assert "Error: print batch 1 holds only counter labels" in r.output
    r = commune("post", "--batch", "7", "--date", "2026-12-15", ok=False)
    assert r.exit_code == 1 and "no print batch 7" in r.output
    assert "1/4 TTHC" in commune("report", "--as-of", "2026-12-15", "--format", "text").output
    # reprinted for the wall, the same batch can be marked
    commune("posters", "--batch", "1", "--layout", "grid", "--silent")
    assert "to put up (3)" in commune("batches", "--as-of", "2026-12-15").output
    commune("post", "--batch", "1", "--date", "2026-12-15")
    assert "4/4 TTHC (100%)" in commune("report", "--as-of", "2026-12-15", "--format", "text").output


def test_takedown_takes_codes_or_a_batch_not_both(commune):
    r = commune("takedown", "1.000656", "--batch", "1", ok=False)
    assert r.exit_code == 2 and "give procedure CODES or --batch N (exactly one)" in r.output
    r = commune("takedown", ok=False)
    assert r.exit_code == 2
    commune("posters", "--all", "--as-of", "2026-12-15", "--silent")
    r = commune("takedown", "--batch", "1", ok=False)
    assert r.exit_code == 1 and "Error: print batch 1 has no takedown sheet" in r.output


def test_a_reprint_and_a_png_export_reuse_their_batch(commune):
    commune("posters", "--as-of", "2026-12-15", "--silent")
    # the catalogue changes again before the sheet is lost: the reprint is still batch 1's cards
    r = commune("posters", "--batch", "1", "--silent")
    assert "Wrote posters/thay-doi-2026-12-15-in-lai-dot-1.pdf" in r.output
    assert "Recorded as a file of print batch 1 (no new batch)." in r.output
    assert "Thay cho thẻ 2.002080" in " ".join(
        pages_text(Path("posters/thay-doi-2026-12-15-in-lai-dot-1.pdf")))
    r = commune("posters", "--batch", "1", "--png", "the", "--no-pdf", "--silent")
    assert "Wrote 3 PNG cards to the." in r.output
    assert sorted(p.name for p in Path("the").iterdir()) == [
        "1.000894-dang-ky-ket-hon.png",
        "1.014057-dang-ky-khai-sinh-dang-ky-thuong-tru-cap.png",
        "1.014060-thoi-lam-hoa-giai-vien-theo-quy-dinh-moi.png"]
    reg = Registry(commune.db, readonly=True)
    try:
        assert [b.id for b in reg.batches()] == [1]
        assert [(f.kind, f.path) for f in reg.batch_files(1)] == [
            ("print", "posters/thay-doi-2026-12-15.pdf"),
            ("reprint", "posters/thay-doi-2026-12-15-in-lai-dot-1.pdf"), ("png", "the")]
    finally:
        reg.close()
    r = commune("posters", "--batch", "1", "--all", ok=False)
    assert r.exit_code == 2 and "--batch N prints that batch as it was" in r.output
    r = commune("posters", "--no-pdf", ok=False)
    assert r.exit_code == 2 and "--no-pdf needs --png DIR" in r.output


def test_two_posters_runs_at_once_write_two_files_each_batch_its_own(commune, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    cmd = [sys.executable, "-m", "qrproc", "--db", str(commune.db), "posters", "--all",
           "--as-of", "2026-12-15", "--silent"]
    for _ in range(3):
        runs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for p in runs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
    reg = Registry(commune.db, readonly=True)
    try:
        paths = [b.path for b in reg.batches()]
    finally:
        reg.close()
    assert sorted(paths) == sorted(f"posters/{p.name}" for p in (tmp_path / "posters").iterdir())
    assert len(set(paths)) == 6
    for path in paths:  # each file is complete, and holds the board it was recorded with
        assert len(decode_pdf(tmp_path / path)) == 4
    assert not [p for p in (tmp_path / "posters").iterdir() if p.name.startswith(".")]


def test_a_symlink_where_the_output_would_go_is_never_written_through(commune, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch")
    Path("posters").mkdir()
    os.symlink(victim, "posters/bang-niem-yet-2026-12-15.pdf")
    r = commune("posters", "--all", "--as-of", "2026-12-15", "--silent")
    assert "Wrote posters/bang-niem-yet-2026-12-15-2.pdf" in r.output
    assert victim.read_text() == "do not touch"
