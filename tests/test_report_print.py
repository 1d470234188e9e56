"""The officer's report on paper and on a phone (issue 13): a 181-procedure report posted late
prints compactly with page numbers and a sign-off block, fits a 390 px screen without sideways
scrolling, and states the decision chain, the period and the sentence exactly. Chromium
(Debian's /usr/bin/chromium) through Playwright; the PDF is read back with pdftotext."""

from __future__ import annotations

import os
import subprocess
from datetime import date, datetime

import pypdfium2 as pdfium
import pytest

from qrproc import board, catalogue, report
from qrproc.demo import AMENDED_DECISION, AMENDED_EFFECTIVE, AMENDED_LIST, FIRST_LIST, sample_path
from qrproc.registry import Registry
from qrproc.sources import load_file

from test_report_browser import ARGS, CHROMIUM

AT = datetime(2026, 12, 20, 9)
LATE = date(2026, 7, 20)

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium")


@pytest.fixture(scope="module")
def late_report(tmp_path_factory):
    """The sample commune, its whole board put up 19 days late, then the amendment on time."""
    tmp = tmp_path_factory.mktemp("print")
    reg = Registry(tmp / "qrproc.db")
    board.setup_unit(reg, unit="UBND xã Mẫu", province="H31", at=AT,
                     centre="Trung tâm Phục vụ hành chính công xã Mẫu", preparer="Nguyễn Văn A",
                     head="Trần Thị B", place="Mẫu")
    catalogue.import_catalogue(reg, load_file(sample_path(FIRST_LIST)), at=AT)
    board.post_pending(reg, day=LATE, at=AT)
    catalogue.import_catalogue(reg, load_file(sample_path(AMENDED_LIST)), at=AT,
                               effective=AMENDED_EFFECTIVE, decision=AMENDED_DECISION)
    board.post_pending(reg, day=AMENDED_EFFECTIVE, at=AT)
    d = board.board_diff(reg, AMENDED_EFFECTIVE)
    board.take_down(reg, [i.code for i in d.to_take_down], day=AMENDED_EFFECTIVE, at=AT)
    rep = board.coverage_report(reg, date(2026, 12, 31), start=date(2026, 10, 1), today=date(2026, 12, 20))
    reg.close()
    path = tmp / "bao-cao.html"
    path.write_text(report.render_html(rep), encoding="utf-8")
    return rep, path


def test_the_sentence_chain_period_and_future_warning(late_report):
    rep, _ = late_report
    assert report.sentence(rep) == (
        "Tính đến ngày 31/12/2026, UBND xã Mẫu đã niêm yết công khai bằng mã QR 182/182 TTHC (100%) "
        "thuộc phạm vi tiếp nhận theo danh mục công bố tại Quyết định số 2345/QĐ-UBND (hiệu lực "
        "15/12/2026).")
    p = rep.period
    # taken down: 6 labels that ended, and the old label of the one reprinted
    assert (p.posted, p.taken_down, p.late, p.new, p.changed, p.ended) == (8, 7, 0, 7, 1, 6)
    assert rep.future and len(rep.coverage.late) == 174


def test_the_report_prints_compactly_with_page_numbers_and_a_sign_off(late_report, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    _, html = late_report
    pdf = tmp_path / "bao-cao.pdf"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(html.as_uri())
            page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
        finally:
            browser.close()
    pages = len(pdfium.PdfDocument(str(pdf)))
    assert pages <= 9, pages  # the first version printed 28 pages, most a 175-row late list
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert f"Trang 1/{pages}" in text and f"Trang {pages}/{pages}" in text
    assert "NGƯỜI LẬP BIỂU THỦ TRƯỞNG ĐƠN VỊ (Ký, ghi rõ họ tên) (Ký tên, đóng dấu)" in text
    assert "Nguyễn Văn A" in text and "Trần Thị B" in text
    assert "Mẫu, ngày 31 tháng 12 năm 2026" in text
    assert "Danh sách 174 TTHC niêm yết muộn: xem Phụ lục 1." in text
    assert "Phụ lục 1: TTHC niêm yết muộn (174)" in text


def test_the_report_fits_a_phone_screen(late_report, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    _, html = late_report
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
            page.goto(html.as_uri())
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
            table = page.get_by_test_id("by-field").bounding_box()
            assert table["x"] >= 0 and table["x"] + table["width"] <= 390
            assert page.get_by_test_id("future").is_visible()
            assert page.get_by_test_id("period-posted").inner_text() == "8"
            page.screenshot(path=str(tmp_path / "phone.png"), full_page=False)
        finally:
            browser.close()
