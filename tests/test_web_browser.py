"""A year at the reception desk, in Debian's Chromium driven by Playwright (issue 12).

The receptionist sets the unit up, imports the commune's list (preview, confirm), prints the whole
board and downloads it, ticks it posted; in December imports the amended list, prints the
changes, ticks the new cards and the takedowns, undoes the takedown tick, reads the report (in the
page and in its frame), then uploads a photo of the wall and applies the audit after the page has
said how many postings it changes. Along the way: no request leaves 127.0.0.1, the console stays
clean, every page is `lang="vi"` and fits 1366 px and 390 px without horizontal scrolling.

With QRPROC_GUIDE_SCREENSHOTS=docs/huong-dan (docs/make-screenshots.sh) it also saves the
screenshots of docs/huong-dan-su-dung.md there, as small palette PNGs.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from qrproc import board
from qrproc.catalogue import import_catalogue
from qrproc.demo import sample_path
from qrproc.poster import Selection
from qrproc.registry import Registry
from qrproc.sources import load_file

from test_web import DEC, running_desk

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDE, NARROW = {"width": 1366, "height": 900}, {"width": 390, "height": 844}
#: Every page of the menu.
PAGES = ("/", "/nhap/", "/in/", "/danh-dau/", "/bao-cao/", "/kiem-tra/", "/cai-dat/")
SLOW = 90_000  # ms: printing or reading photos on a busy CI machine

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is not installed: no browser for the desk")


@pytest.fixture
def desk(tmp_path):
    with running_desk(tmp_path, max_upload_mb=40) as d:
        yield d


@pytest.fixture(scope="module")
def wall_photo(tmp_path_factory) -> Path:
    """A photo of the wall on 15/12/2026 as it really is: every label of the catalogue then in
    force, the old ones gone. Made from qrproc's own verified board, printed in a registry of its
    own, its pages side by side like sheets pinned to a board."""
    import pypdfium2 as pdfium
    from PIL import Image

    folder = tmp_path_factory.mktemp("wall")
    at = datetime(2026, 12, 15, 8, 0)
    reg = Registry(folder / "wall.db")
    try:
        reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=at)
        import_catalogue(reg, load_file(sample_path("xa-mau-2026-07.csv")), at=at)
        import_catalogue(reg, load_file(sample_path("xa-mau-2026-12.csv")), effective=DEC,
                         decision="2345/QĐ-UBND", at=at)
        printed = board.print_posters(reg, selection=Selection.all(), as_of=DEC,
                                      out=folder / "bang.pdf", at=at)
    finally:
        reg.close()
    pdf = pdfium.PdfDocument(printed.path)
    sheets = [pdf[k].render(scale=1.0).to_pil().convert("L") for k in range(len(pdf))]
    pdf.close()
    cols, (w, h) = 6, sheets[0].size
    wall = Image.new("L", (cols * w + 80, -(-len(sheets) // cols) * h + 80), 200)
    for k, sheet in enumerate(sheets):
        wall.paste(sheet, (40 + (k % cols) * w, 40 + (k // cols) * h))
    path = folder / "anh-bang-niem-yet.jpg"
    wall.save(path, quality=85)
    return path


class Walk:
    """The browser and what the test checks on every page it opens."""

    def __init__(self, page, base: str, guide: Path | None):
        self.page, self.base, self.guide = page, base, guide

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.vietnamese()
        assert self.fits(), f"{path} scrolls sideways at {self.page.viewport_size['width']} px"

    def vietnamese(self) -> None:
        assert self.page.locator("html").get_attribute("lang") == "vi", self.page.url
        text = self.page.locator("body").inner_text()
        assert "Traceback" not in text and "Internal Server Error" not in text

    def test_id(self, name: str):
        return self.page.get_by_test_id(name)

    def text(self, name: str) -> str:
        return self.test_id(name).first.inner_text().strip()

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def wait_for_job(self, done: str) -> bool:
        """Wait for a background job's page to show `done`; True if its progress was seen."""
        self.page.wait_for_selector(f'[data-testid="job-running"], [data-testid="{done}"], '
                                    '[data-testid="job-error"], [data-testid="error"]', timeout=SLOW)
        assert self.test_id("error").count() == 0, self.test_id("error").inner_text()
        seen = self.test_id("job-running").count() > 0
        if seen:
            assert self.page.locator('[data-testid="job-running"] progress').count() == 1
            assert self.page.locator("[data-job-label]").inner_text().startswith("Đang")
        self.page.wait_for_selector(f'[data-testid="{done}"], [data-testid="job-error"]',
                                    timeout=SLOW)
        assert self.test_id("job-error").count() == 0, self.test_id("job-error").inner_text()
        self.vietnamese()
        return seen

    def preview_import(self, name: str, effective: str = "", decision: str = "") -> None:
        """Upload a sample list on Nhập danh mục, with the date and decision the file lacks."""
        self.open("/nhap/")
        self.page.set_input_files("#tep", sample_path(name))
        self.page.fill("#hieu_luc", effective)
        self.page.fill("#quyet_dinh", decision)
        self.button("Xem trước").click()
        self.wait_for_job("preview")

    def download(self, test_id: str) -> bytes:
        with self.page.expect_download() as info:
            self.test_id(test_id).click()
        return Path(info.value.path()).read_bytes()

    def fits(self) -> bool:
        return self.page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    def shot(self, name: str, at=None) -> None:
        """A screenshot for the guide (only when QRPROC_GUIDE_SCREENSHOTS names a folder)."""
        if self.guide is None:
            return
        from PIL import Image

        if at is not None:
            at.first.scroll_into_view_if_needed()
            self.page.evaluate("window.scrollBy(0, -12)")
        else:
            self.page.evaluate("window.scrollTo(0, 0)")
        png = self.page.screenshot()
        image = Image.open(io.BytesIO(png)).convert("RGB")
        small = image.quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        self.guide.mkdir(parents=True, exist_ok=True)
        small.save(self.guide / f"{name}.png", optimize=True)


def rows_of(csv_bytes: bytes) -> list[dict]:
    assert csv_bytes.startswith("\ufeff".encode())  # for Excel
    return list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))


def test_a_year_at_the_desk(desk, wall_photo):
    sync_api = pytest.importorskip("playwright.sync_api")
    guide_dir = os.environ.get("QRPROC_GUIDE_SCREENSHOTS")
    requests_seen, console_errors, page_errors = [], [], []
    clock = desk.clock
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport=WIDE, accept_downloads=True, locale="vi-VN")
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=desk.url)
            context.on("request", lambda r: requests_seen.append(r.url))
            page = context.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            walk = Walk(page, desk.url, Path(guide_dir) if guide_dir else None)

            # -- 1 July: set the unit up (there is no registry yet) ---------------------------------
            walk.open("/")
            assert page.url == desk.url + "/cai-dat/"
            assert "Chưa có sổ đăng ký" in walk.text("setup-needed")
            page.fill("#don_vi", "UBND xã Mẫu")
            page.select_option("#tinh", "H31")
            page.fill("#centre", "Trung tâm Phục vụ hành chính công xã Mẫu")
            page.fill("#preparer", "Nguyễn Thị Lan")
            walk.shot("01-cai-dat")
            walk.button("Tạo sổ đăng ký").click()
            assert "Đã tạo sổ đăng ký cho UBND xã Mẫu" in walk.text("flash-ok")
            assert walk.text("unit") == "UBND xã Mẫu"

            # -- import the commune's list: preview, then confirm ----------------------------------
            page.set_input_files("#tep", sample_path("xa-mau-2026-07.csv"))
            assert page.inner_text("#tep-ten") == "xa-mau-2026-07.csv"
            walk.shot("02-nhap-danh-muc")
            walk.button("Xem trước").click()
            walk.wait_for_job("preview")
            assert walk.text("in-scope") == "181" and walk.text("in-force") == "181"
            assert walk.text("effective") == "01/07/2026" and walk.text("decision") == "1234/QĐ-UBND"
            assert walk.text("added") == "181"
            with Registry(desk.db, readonly=True) as reg:
                assert reg.snapshots() == []  # the preview saved nothing
            walk.shot("03-xem-truoc", at=walk.test_id("preview"))
            walk.test_id("confirm").click()
            assert "Đã lưu danh mục xa-mau-2026-07.csv" in walk.text("flash-ok")
            assert walk.test_id("import-saved").is_visible()

            walk.open("/?ngay=01/07/2026")
            assert walk.text("count-to_post") == "181"

            # -- print the whole board and download it ------------------------------------------
            walk.open("/in/?ngay=01/07/2026")
            page.check('input[name="chon"][value="all"]')
            walk.shot("04-in")
            walk.button("In và kiểm tra mã QR").click()
            assert walk.wait_for_job("print-done"), "no progress was shown while printing"
            assert walk.text("verified") == "181"
            pages = int(walk.text("pages"))
            pdf = walk.download("download")
            assert pdf.startswith(b"%PDF") and len(pdfium.PdfDocument(pdf)) == pages
            walk.shot("05-in-xong")

            # -- tick the whole print batch as put up ------------------------------------------------
            walk.open("/danh-dau/?ngay=01/07/2026")
            walk.test_id("post-batch-1").click()
            assert walk.text("count") == "181"
            walk.shot("06-xac-nhan-dan")
            walk.test_id("confirm").click()
            assert walk.text("flash-ok") == "Đã ghi nhận dán 181 thẻ ngày 01/07/2026."

            # -- 1 December: the amended list, announced for 15 December ---------------------------
            clock.set(date(2026, 12, 1))
            walk.preview_import("xa-mau-2026-12.csv", "15/12/2026", "2345/QĐ-UBND")
            assert walk.text("effective") == "15/12/2026" and walk.text("decision") == "2345/QĐ-UBND"
            after = walk.text("after")
            assert "cần in và dán 6, in lại 2, gỡ xuống 6 thẻ" in after, after
            walk.shot("07-xem-truoc-sua-doi", at=walk.test_id("changes"))
            walk.test_id("confirm").click()
            assert walk.test_id("import-saved").is_visible()

            walk.open("/")  # today, 1 December: the changes are announced, not in force
            assert walk.text("count-to_post") == "0"
            assert walk.text("count-not_yet_effective") == "14"

            # -- 15 December: print the changes, with the takedown sheet ---------------------------
            clock.set(DEC)
            walk.open("/")
            assert [walk.text(f"count-{k}") for k in ("to_post", "to_reprint", "to_take_down")] == \
                ["6", "2", "6"]
            walk.shot("08-bang-niem-yet")
            page.fill("#tim", "khai sinh")
            walk.button("Xem").click()
            assert walk.text("search-result").startswith("Kết quả tìm “khai sinh”:")
            assert walk.test_id("section-to_take_down").is_visible()  # the abolished joint ones
            assert "Bãi bỏ" in walk.text("section-to_take_down")

            walk.open("/in/")
            walk.button("In và kiểm tra mã QR").click()  # the default: the changes
            walk.wait_for_job("print-done")
            assert walk.text("verified") == "8"
            sheet = walk.test_id("takedown-sheet")
            assert sheet.locator("li").count() == 6 and "Được thay thế bởi 1.014057" in sheet.inner_text()
            assert walk.download("download").startswith(b"%PDF")
            walk.shot("09-in-thay-doi", at=walk.test_id("print-done"))

            # -- tick the new cards (all at once) and each old label taken down --------------------
            walk.open("/danh-dau/")
            cards = walk.test_id("to-post")
            cards.locator("input[data-check-all]").check()
            assert cards.locator('input[name="ma"]:checked').count() == 8
            walk.shot("10-danh-dau", at=cards)
            cards.get_by_role("button").click()
            assert walk.text("count") == "8"
            walk.test_id("confirm").click()
            assert walk.text("flash-ok") == "Đã ghi nhận dán 8 thẻ ngày 15/12/2026."
            labels = walk.test_id("to-take-down")
            boxes = labels.locator('input[name="ma"]')
            assert boxes.count() == 6
            for k in range(6):
                boxes.nth(k).check()
            labels.get_by_role("button").click()
            assert walk.text("count") == "6"
            walk.test_id("confirm").click()
            assert walk.text("flash-ok") == "Đã ghi nhận gỡ 6 nhãn ngày 15/12/2026."
            assert "Không có nhãn nào cần gỡ." in walk.test_id("to-take-down").inner_text()

            # -- undo the last tick ---------------------------------------------------------------
            assert "Ghi nhận gỡ nhãn" in walk.text("last-change")
            walk.shot("11-hoan-tac", at=walk.test_id("last-change"))
            walk.test_id("undo").click()
            assert "Sẽ hoàn tác thay đổi số" in walk.text("confirm-box")
            walk.test_id("confirm").click()
            assert walk.text("flash-ok").startswith("Đã hoàn tác thay đổi số ")
            assert walk.test_id("to-take-down").locator('input[name="ma"]').count() == 6

            # -- the report: its figures, the sentence and its copy, the downloads ----------------
            walk.open("/bao-cao/")
            report = page.frame_locator('[data-testid="report-frame"]')
            assert report.get_by_test_id("coverage").first.inner_text() == "100%"
            assert report.get_by_test_id("applicable").first.inner_text() == "182"
            assert report.get_by_test_id("posted").first.inner_text() == "182"
            assert report.get_by_test_id("orphan-count").inner_text() == "6"  # the undone takedowns
            sentence = walk.text("sentence")
            assert sentence.startswith("Tính đến ngày 15/12/2026, UBND xã Mẫu đã niêm yết công khai "
                                       "bằng mã QR 182/182 TTHC (100%)")
            assert "6 nhãn TTHC không còn áp dụng hoặc chưa có hiệu lực cần gỡ xuống" in sentence
            walk.button("Sao chép câu báo cáo").click()
            page.wait_for_function("document.getElementById('da-sao-chep').textContent !== ''")
            assert walk.text("copy-status") == "Đã sao chép."
            assert page.evaluate("navigator.clipboard.readText()") == sentence
            walk.shot("12-bao-cao")
            rows = rows_of(walk.download("download-csv"))
            assert sum(r["state"] == "orphan" for r in rows) == 6
            data = json.loads(walk.download("download-json"))
            assert (data["applicable"], data["posted"], len(data["orphan"])) == (182, 182, 6)
            assert walk.download("download-html").decode("utf-8").count("<script") == 0

            # -- the photo of the wall: what it shows, then apply after the confirmation ----------
            walk.open("/kiem-tra/")
            page.set_input_files("#anh", wall_photo)
            walk.button("Đọc ảnh").click()
            assert walk.wait_for_job("audit-plan"), "no progress was shown while reading the photo"
            assert walk.text("labels-seen") == "182" and walk.text("current") == "182"
            assert walk.text("changes") == "6"
            walk.shot("13-kiem-tra-anh", at=walk.test_id("audit-plan"))
            walk.test_id("apply").click()
            assert walk.text("changes") == "6" and walk.text("to-close") == "6"
            assert walk.text("to-post") == "0"
            with Registry(desk.db, readonly=True) as reg:
                assert len(reg.posted()) == 188 and reg.latest_audit() is None  # all dry runs so far
            walk.shot("14-xac-nhan-ap-dung")
            walk.test_id("confirm").click()
            walk.wait_for_job("audit-applied")
            assert "ghi nhận 0 nhãn đang dán và 6 nhãn đã gỡ" in walk.text("audit-applied")

            walk.open("/bao-cao/")
            report = page.frame_locator('[data-testid="report-frame"]')
            assert report.get_by_test_id("orphan-count").inner_text() == "0"
            assert report.get_by_test_id("audit-codes").inner_text() == "182"
            sentence = walk.text("sentence")
            assert "182/182 TTHC (100%)" in sentence and "cần gỡ xuống" not in sentence

            # -- every page at 390 px too (each page opened above fit 1366 px) -------------------
            walk.open("/cai-dat/")
            walk.shot("15-cai-dat-pham-vi", at=walk.test_id("scope"))
            page.set_viewport_size(NARROW)
            for path in PAGES:
                walk.open(path)  # Vietnamese, and no sideways scrolling
                if path in ("/", "/danh-dau/"):
                    walk.shot(f"16-dien-thoai-{'bang' if path == '/' else 'danh-dau'}")
            # The longest page: a preview (here of the list already imported), then cancelled.
            walk.preview_import("xa-mau-2026-12.csv", "15/12/2026", "2345/QĐ-UBND")
            assert walk.fits() and walk.test_id("already").is_visible()
            walk.button("Hủy").click()
            assert walk.text("flash-ok") == "Đã hủy: không có gì được lưu vào sổ đăng ký."
        finally:
            browser.close()

    foreign = [url for url in requests_seen if not url.startswith(desk.url + "/")]
    assert foreign == []
    assert len(requests_seen) > 50
    assert console_errors == [] and page_errors == []
    with Registry(desk.db, readonly=True) as reg:
        assert len(reg.posted()) == 182
        assert reg.latest_audit().applied
        assert [c.command for c in reg.changes()] == ["init", "import", "post", "import", "post",
                                                      "takedown", "undo", "audit"]
