"""The HTML report in a real headless browser: Chromium driven by Playwright.

Opens the written file by its file:// URL, reads the headline numbers off the page, and checks that
nothing but the file itself was requested, that no script ran (the hostile procedure name shows as
text, no dialog opens) and that the console stayed clean. A screenshot is saved in the test's tmp
folder.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest

from qrproc import board, report
from qrproc.registry import Registry

from test_report import D2, XSS, build_scenario

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is not installed: no browser to open the report")


@pytest.fixture
def html_file(tmp_path):
    reg = build_scenario(Registry(tmp_path / "qrproc.db"))
    try:
        rep = board.coverage_report(reg, D2)
    finally:
        reg.close()
    path = tmp_path / f"bao-cao-niem-yet-{D2.isoformat()}.html"
    path.write_text(report.render_html(rep), encoding="utf-8")
    return path


def test_report_opens_offline_and_shows_the_numbers(html_file, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    requests, console_errors, page_errors, dialogs = [], [], [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(html_file.as_uri(), wait_until="load")

            assert page.get_by_test_id("applicable").inner_text() == "6"
            assert page.get_by_test_id("posted").inner_text() == "2"
            assert page.get_by_test_id("coverage").inner_text() == "33,3%"
            assert page.get_by_test_id("missing-count").inner_text() == "2"
            assert page.get_by_test_id("orphan-count").inner_text() == "3"
            # The hostile name is visible text in the missing list, not a script.
            missing = page.get_by_test_id("missing-list")
            assert XSS in missing.inner_text()
            assert page.locator("script").count() == 0
            assert page.title().startswith("Báo cáo niêm yết TTHC bằng mã QR")
            # The chart is drawn: one dot per history point, inside the visible page.
            dots = page.locator("svg circle.dot")
            assert dots.count() == 5
            box = page.get_by_test_id("chart").bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 80
            # The print stylesheet applies without error.
            page.emulate_media(media="print")
            assert page.get_by_test_id("coverage").is_visible()
            page.emulate_media(media="screen")

            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("QRPROC_REPORT_SCREENSHOT"):
                page.screenshot(path=os.environ["QRPROC_REPORT_SCREENSHOT"], full_page=True)
        finally:
            browser.close()

    assert requests == [html_file.as_uri()]
    assert console_errors == [] and page_errors == []
    assert dialogs == []


def test_report_for_an_empty_registry_says_coverage_is_undefined(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    reg = Registry(":memory:")
    reg.set_settings({"unit": "UBND xã Trống", "province": "H31"}, at=datetime(2026, 7, 1))
    path = tmp_path / "empty.html"
    path.write_text(report.render_html(board.coverage_report(reg, date(2026, 7, 1))), encoding="utf-8")
    reg.close()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(path.as_uri())
            assert page.get_by_test_id("coverage").inner_text() == "Không xác định"
            assert "Chưa tính được tỷ lệ" in page.get_by_test_id("undefined").inner_text()
        finally:
            browser.close()
