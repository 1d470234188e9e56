"""The reception desk's web page (`qrproc serve`, issue 12), served by waitress on 127.0.0.1 and
spoken to over HTTP with requests: who may talk to it (Host, Origin, CSRF), what it refuses
(oversized uploads, bad files) and how it says so, that it never creates a registry except by the
explicit set-up, and the import, fetch, print, marking and audit flows behind its forms.

The browser walk through a whole year is in test_web_browser.py.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
import requests

from qrproc import board
from qrproc.demo import sample_path
from qrproc.registry import Registry
from qrproc.web import create_app
from qrproc.web.server import make_server, stop

from portal_server import FakePortal, detail_for, list_item

JUL = date(2026, 7, 1)
DEC = date(2026, 12, 15)
UPLOAD_MB = 1


class Clock:
    """The desk's clock, set by the test (a year passes in a few seconds)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date, hour: int = 10) -> None:
        self.now = datetime(day.year, day.month, day.day, hour)


@dataclass
class Desk:
    app: object
    url: str
    clock: Clock
    db: Path
    http: requests.Session

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.url + path, **kw)

    def token(self) -> str:
        page = self.get("/cai-dat/").text
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(self, path: str, data=None, files=None, **kw) -> requests.Response:
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.http.post(self.url + path, data=data, files=files, **kw)

    def wait(self, path: str, timeout: float = 60) -> str:
        """The page of a background job, once the job is finished."""
        deadline = time.monotonic() + timeout
        while True:
            page = self.get(path).text
            if 'data-testid="job-running"' not in page:
                return page
            assert time.monotonic() < deadline, f"{path} still running"
            time.sleep(0.1)

    def registry(self) -> Registry:
        return Registry(self.db, readonly=True)


def serve(db: Path, clock: Clock, **options):
    options.setdefault("max_upload_mb", UPLOAD_MB)
    app = create_app(db, clock=clock, fetch_rate=None, **options)
    server = make_server(app, 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return app, server, thread


@contextlib.contextmanager
def running_desk(folder: Path, **options):
    """The desk on a free port of 127.0.0.1, its clock on 1 July 2026, no registry yet."""
    clock = Clock(datetime(2026, 7, 1, 9, 0))
    db = folder / "qrproc.db"
    options.setdefault("portal_url", "http://127.0.0.1:9")  # no fetch in these tests
    app, server, thread = serve(db, clock, **options)
    http = requests.Session()
    try:
        yield Desk(app, f"http://127.0.0.1:{server.effective_port}", clock, db, http)
    finally:
        http.close()
        stop(server)
        thread.join(5)
        app.extensions["qrproc"].close()


@pytest.fixture
def desk(tmp_path):
    with running_desk(tmp_path) as d:
        yield d


def set_up(d: Desk, unit: str = "UBND xã Mẫu") -> None:
    r = d.post("/cai-dat/don-vi", {"don_vi": unit, "tinh": "H31"})
    assert r.status_code == 200 and "Đã tạo sổ đăng ký" in r.text


def upload(d: Desk, path: Path, **fields) -> str:
    with open(path, "rb") as f:
        r = d.post("/nhap/tai-len", fields, files={"tep": (path.name, f)}, allow_redirects=False)
    assert r.status_code == 302, r.text
    return r.headers["Location"]


def imported(d: Desk, path: Path, **fields) -> None:
    preview = upload(d, path, **fields)
    assert 'data-testid="preview"' in d.wait(preview)
    page = d.post(preview + "/xac-nhan").text
    assert 'data-testid="import-saved"' in page


def shown(page: str, test_id: str) -> str:
    m = re.search(rf'data-testid="{test_id}"[^>]*>([^<]*)<', page)
    assert m, f"no {test_id} on the page"
    return m.group(1).strip()


# -- who may talk to the desk -----------------------------------------------------------------------

def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(desk):
    set_up(desk)
    before = desk.db.read_bytes()
    r = desk.http.post(desk.url + "/cai-dat/don-vi", data={"don_vi": "UBND xã Khác", "tinh": "H31"})
    assert r.status_code == 403
    assert "Yêu cầu bị từ chối: thiếu mã bảo vệ của trang" in r.text
    assert 'lang="vi"' in r.text and "Traceback" not in r.text
    r = desk.http.post(desk.url + "/cai-dat/don-vi",
                       data={"don_vi": "UBND xã Khác", "tinh": "H31", "csrf_token": "đoán-bừa"})
    assert r.status_code == 403
    with desk.registry() as reg:
        assert reg.get_setting("unit") == "UBND xã Mẫu"
    assert desk.db.read_bytes() == before


def test_another_browser_session_cannot_use_this_ones_token(desk):
    set_up(desk)
    token = desk.token()
    stranger = requests.post(desk.url + "/cai-dat/don-vi",
                             data={"don_vi": "UBND xã Khác", "tinh": "H31", "csrf_token": token})
    assert stranger.status_code == 403


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1",
                                  "127.0.0.1:1", "localhost.evil.example:{port}", ""])
def test_a_request_with_a_foreign_host_header_is_refused(desk, host):
    port = desk.url.rsplit(":", 1)[1]
    r = desk.http.get(desk.url + "/cai-dat/", headers={"Host": host.format(port=port)})
    assert r.status_code == 400
    assert "Địa chỉ truy cập không hợp lệ" in r.text
    assert "qrproc.db" not in r.text  # nothing about the registry for a page that is not ours


def test_the_desk_answers_on_its_own_names(desk):
    port = desk.url.rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert desk.http.get(desk.url + "/cai-dat/", headers={"Host": host}).status_code == 200


def test_a_post_from_another_origin_is_refused_even_with_the_token(desk):
    set_up(desk)
    r = desk.post("/cai-dat/don-vi", {"don_vi": "UBND xã Khác", "tinh": "H31"},
                  headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "không được gửi từ một trang của chương trình" in r.text
    with desk.registry() as reg:
        assert reg.get_setting("unit") == "UBND xã Mẫu"


def test_pages_forbid_other_sites_to_frame_them_and_load_nothing_from_elsewhere(desk):
    r = desk.get("/cai-dat/")
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
    policy = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'self'" in policy
    assert "http" not in policy
    assert not re.search(r'(src|href)="(https?:)?//', r.text)


def test_the_server_listens_on_127_0_0_1_only(desk):
    port = int(desk.url.rsplit(":", 1)[1])
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    # Another address of the loopback range reaches a server bound to every interface, not ours.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", port), timeout=2).close()


# -- uploads and error pages -------------------------------------------------------------------------

def test_an_oversized_upload_is_refused_with_a_message(desk, tmp_path):
    set_up(desk)
    big = tmp_path / "danh-muc-lon.csv"
    big.write_bytes(b"STT,M\xc3\xa3 TTHC\n" + b"1,1.001193\n" * (UPLOAD_MB * 1024 * 1024 // 10 + 10))
    with open(big, "rb") as f:
        r = desk.post("/nhap/tai-len", files={"tep": (big.name, f)})
    assert r.status_code == 413
    assert f"Tệp tải lên quá lớn: mỗi lần tải lên tối đa {UPLOAD_MB} MB" in r.text
    with desk.registry() as reg:
        assert reg.snapshots() == []


def test_an_upload_keeps_its_own_name_and_stays_in_the_upload_folder(desk, tmp_path):
    set_up(desk)
    with open(sample_path("xa-mau-2026-07.csv"), "rb") as f:
        r = desk.post("/nhap/tai-len", files={"tep": ("..\\..\\../danh mục xã.csv", f)},
                      allow_redirects=False)
    page = desk.wait(r.headers["Location"])
    assert "Nhập danh mục: danh mục xã.csv" in page and 'data-testid="preview"' in page
    root = desk.app.extensions["qrproc"].uploads.root
    assert [p.name for p in root.glob("*/*")] == ["danh mục xã.csv"]
    assert [p.name for p in tmp_path.rglob("danh mục xã.csv")] == []


def test_a_file_the_importers_cannot_read_is_said_in_a_vietnamese_frame(desk, tmp_path):
    set_up(desk)
    old = tmp_path / "danh-muc.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0 old Word")
    with open(old, "rb") as f:
        r = desk.post("/nhap/tai-len", files={"tep": (old.name, f)})
    assert r.status_code == 200 and r.url.endswith("/nhap/")
    assert ("Không thực hiện được:</b> Tệp danh-muc.doc không phải tệp danh mục được hỗ trợ "
            "(chỉ nhận csv, xlsx, docx, json).") in r.text

    broken = tmp_path / "danh-muc.xlsx"
    broken.write_bytes(b"not a zip")
    preview = upload(desk, broken)
    page = desk.wait(preview)
    assert 'data-testid="job-error"' in page and "Không thực hiện được:" in page
    assert "danh-muc.xlsx" in page and "Traceback" not in page


def test_a_bug_is_an_apology_without_a_traceback_and_is_logged(tmp_path, caplog):
    db = tmp_path / "qrproc.db"
    # A file whose schema version says 'current' but whose tables are gone: reading it fails in
    # sqlite itself, which is not an error qrproc raises on purpose.
    import sqlite3

    from qrproc.registry import SCHEMA_VERSION

    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    con.execute("CREATE TABLE unrelated (x)")
    con.commit()
    con.close()
    app = create_app(db, port=5000)
    try:
        with caplog.at_level(logging.ERROR, logger="qrproc.web.app"):
            r = app.test_client().get("/", base_url="http://127.0.0.1:5000")
    finally:
        app.extensions["qrproc"].close()
    assert r.status_code == 500
    text = r.get_data(as_text=True)
    assert "Xin lỗi, chương trình gặp một lỗi ngoài dự kiến" in text
    assert "Traceback" not in text and "sqlite3" not in text and "no such table" not in text
    assert any("unexpected error on GET /" in rec.message and rec.exc_info for rec in caplog.records)


def test_an_unknown_page_is_said_in_vietnamese(desk):
    r = desk.get("/khong-co")
    assert r.status_code == 404 and "Không tìm thấy trang này." in r.text


# -- no registry is created behind the receptionist's back ------------------------------------------

def test_without_a_registry_every_page_leads_to_the_set_up_and_nothing_is_created(desk):
    for path in ("/", "/nhap/", "/in/", "/danh-dau/", "/bao-cao/", "/kiem-tra/"):
        r = desk.get(path, allow_redirects=False)
        assert r.status_code == 302 and r.headers["Location"].endswith("/cai-dat/")
    page = desk.get("/cai-dat/").text
    assert "Chưa có sổ đăng ký tại" in page and "Tạo sổ đăng ký" in page
    r = desk.post("/cai-dat/don-vi", {"don_vi": "", "tinh": "H31"})
    assert "Hãy nhập tên đơn vị" in r.text
    r = desk.post("/cai-dat/don-vi", {"don_vi": "UBND xã Mẫu", "tinh": "H99"})
    assert "Hãy chọn tỉnh, thành phố" in r.text
    assert not desk.db.exists()
    set_up(desk)
    with desk.registry() as reg:
        assert reg.settings()["unit"] == "UBND xã Mẫu" and reg.settings()["province"] == "H31"


def test_serve_opens_no_registry_it_was_not_given_and_stops_on_a_signal(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "qrproc", "serve", "--no-browser", "--port", "0"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r" tại (http://127\.0\.0\.1:\d+/) — bấm Ctrl\+C để dừng\.$", line)
        assert m, line  # (its stderr is read only once it has stopped: reading it now would hang)
        assert "(chưa có sổ đăng ký: hãy tạo ở trang Cài đặt)" in line
        r = requests.get(m.group(1), timeout=10)
        assert r.status_code == 200 and "Chưa có sổ đăng ký tại" in r.text
        assert not (tmp_path / "qrproc.db").exists()
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode == 0, proc.stderr.read()


def test_serve_says_when_its_port_is_taken(tmp_path):
    from click.testing import CliRunner

    from qrproc.cli import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["--db", str(tmp_path / "qrproc.db"), "serve",
                                          "--no-browser", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port N" in result.output
    assert not (tmp_path / "qrproc.db").exists()


def test_serve_refuses_a_file_that_is_not_a_registry(tmp_path):
    from click.testing import CliRunner

    from qrproc.cli import cli

    bad = tmp_path / "qrproc.db"
    bad.write_text("không phải sổ", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", str(bad), "serve", "--no-browser", "--port", "0"])
    assert result.exit_code == 1 and "not a qrproc registry" in result.output


# -- the flows behind the forms --------------------------------------------------------------------

def test_a_decision_without_an_effective_date_asks_for_it_and_the_preview_saves_nothing(desk, tmp_path):
    set_up(desk)
    imported(desk, sample_path("xa-mau-2026-07.csv"))
    # The annex of changes of decision 2345/QĐ-UBND: its own rows, without their dates.
    with open(sample_path("xa-mau-2026-12.csv"), encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    when = header.index("Ngày hiệu lực")
    annex = tmp_path / "qd-2345-phu-luc.csv"
    with open(annex, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(row[:when] + [""] + row[when + 1:] for row in rows if "2345/QĐ-UBND" in row)

    preview = upload(desk, annex, sua_doi="1")
    page = desk.wait(preview)
    assert 'data-testid="job-error"' in page
    assert "không ghi ngày có hiệu lực" in page  # the library's own words, in Vietnamese, in our frame
    assert "Hãy ghi ngày vào ô “Ngày hiệu lực”" in page  # the form's box, not the CLI's flag
    assert "--effective" not in page
    assert "Nhập thông tin còn thiếu rồi xem trước lại" in page
    with desk.registry() as reg:
        assert len(reg.snapshots()) == 1

    r = desk.post(preview + "/xem-lai", {"hieu_luc": "15/12/2026", "sua_doi": "1"},
                  allow_redirects=False)
    again = r.headers["Location"]
    page = desk.wait(again)
    assert shown(page, "effective") == "15/12/2026" and shown(page, "decision") == "2345/QĐ-UBND"
    assert "theo ngày đã nhập vào ô Ngày hiệu lực" in page
    with desk.registry() as reg:
        assert len(reg.snapshots()) == 1  # a preview is a dry run
    # The old preview was replaced: it cannot be confirmed any more.
    assert "đã được xác nhận hoặc hủy rồi" in desk.post(preview + "/xac-nhan").text
    assert 'data-testid="import-saved"' in desk.post(again + "/xac-nhan").text
    with desk.registry() as reg:
        assert [s.effective for s in reg.snapshots()] == [JUL, DEC]
    # Confirming twice imports once.
    assert "đã được xác nhận hoặc hủy rồi" in desk.post(again + "/xac-nhan").text


def test_a_refusal_on_the_desk_names_the_forms_boxes_not_the_command_lines_flags(desk, tmp_path):
    """The library says what to do next; on the desk that is a box to tick, which the receptionist
    can see, not a flag to type. The same refusal on the command line keeps its flags."""
    set_up(desk)
    imported(desk, sample_path("xa-mau-2026-07.csv"))
    with open(sample_path("xa-mau-2026-07.csv"), encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    few = tmp_path / "thieu.csv"  # a quarter of the list: as a full list it drops too much
    with open(few, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header] + rows[:len(rows) // 4])
    page = desk.wait(upload(desk, few, hieu_luc="15/12/2026"))
    assert 'data-testid="job-error"' in page
    assert "hãy đánh dấu ô “Tệp chỉ liệt kê các thay đổi”" in page
    assert ("hãy đánh dấu ô “Chấp nhận danh mục thiếu hơn 20% số thủ tục của danh mục trước” trong "
            "“Tùy chọn khác”") in page
    assert "--amend" not in page and "--accept-drop" not in page

    from click.testing import CliRunner

    from qrproc.cli import cli

    r = CliRunner().invoke(cli, ["--db", str(desk.db), "import", str(few), "--effective",
                                 "2026-12-15"], env={"QRPROC_LANG": "vi"})
    assert r.exit_code == 1
    assert "hãy dùng --amend" in r.output and "hãy dùng --accept-drop" in r.output


def test_a_preview_is_not_confirmed_once_the_registry_changed(desk):
    set_up(desk)
    preview = upload(desk, sample_path("xa-mau-2026-07.csv"))
    desk.wait(preview)
    # Meanwhile, someone changes the unit (a journaled change).
    desk.post("/cai-dat/don-vi", {"don_vi": "UBND xã Mẫu Sơn", "tinh": "H31"})
    page = desk.post(preview + "/xac-nhan").text
    assert "Sổ đăng ký đã thay đổi kể từ lúc xem trước" in page
    with desk.registry() as reg:
        assert reg.snapshots() == []


def test_a_cancelled_import_leaves_nothing_and_removes_the_upload(desk):
    set_up(desk)
    preview = upload(desk, sample_path("xa-mau-2026-07.csv"))
    desk.wait(preview)
    uploads = desk.app.extensions["qrproc"].uploads.root
    assert list(uploads.glob("*/xa-mau-2026-07.csv"))
    page = desk.post(preview + "/huy").text
    assert "Đã hủy: không có gì được lưu" in page
    assert not list(uploads.glob("*/xa-mau-2026-07.csv"))
    with desk.registry() as reg:
        assert reg.snapshots() == []


PORTAL_ITEMS = [
    list_item("019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7", "1.001193", "Thủ tục đăng ký khai sinh"),
    list_item("019d2bfd-41aa-7b01-9c11-7f3e1a2b3c4d", "1.000894", "Thủ tục đăng ký kết hôn"),
    list_item("019d2bfd-4a1c-7c2e-8d3f-0b1c2d3e4f50", "1.000656", "Thủ tục đăng ký khai tử"),
    list_item("019d2bff-44af-74e9-bab9-2f56edd7097c", "1.004227", "Cấp giấy phép xây dựng",
              field="Hoạt động xây dựng"),
]


def test_a_fetch_runs_in_the_background_then_shows_the_preview(tmp_path):
    details = {i["id"]: detail_for(i, ward=i["code"] != "1.004227", province=i["code"] == "1.004227")
               for i in PORTAL_ITEMS}
    clock = Clock(datetime(2026, 7, 1, 9, 0))
    with FakePortal(PORTAL_ITEMS, details) as portal:
        portal.always("detail", ("sleep", 0.3))  # slow enough to be seen running
        app, server, thread = serve(tmp_path / "qrproc.db", clock, portal_url=portal.url,
                                    cache=tmp_path / "cache")
        d = Desk(app, f"http://127.0.0.1:{server.effective_port}", clock, tmp_path / "qrproc.db",
                 requests.Session())
        try:
            set_up(d)
            r = d.post("/nhap/lay-tu-cong", allow_redirects=False)
            job = r.headers["Location"]
            first = d.get(job).text
            assert 'data-testid="job-running"' in first and "<progress" in first
            page = d.wait(job)
            assert shown(page, "in-scope") == "3" and shown(page, "out-of-scope") == "1"
            assert "cấp tỉnh" in page  # the reason the fourth is left out
            assert "Cổng Dịch vụ công quốc gia (Hưng Yên)" in page
            assert 'data-testid="import-saved"' in d.post(job + "/xac-nhan").text
            assert portal.count("detail") == 4
            with d.registry() as reg:
                assert len(reg.snapshots()) == 1
        finally:
            stop(server)
            thread.join(5)
            app.extensions["qrproc"].close()


def test_printing_nothing_says_so_and_a_field_prints_only_that_field(desk):
    set_up(desk)
    imported(desk, sample_path("xa-mau-2026-07.csv"))
    with desk.registry() as reg:
        in_force = [p for p in board.board_diff(reg, JUL).to_post]
    r = desk.post("/in/", {"chon": "field", "linh_vuc": "Giảm nghèo", "kieu": "single", "giay": "A4",
                           "ngay": "01/07/2026"}, allow_redirects=False)
    page = desk.wait(r.headers["Location"])
    assert shown(page, "verified") == "4"
    assert shown(page, "pages") == "4"
    pdf = desk.get(re.search(r'href="(/in/tep/\d+)"', page).group(1))
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert 'filename=linh-vuc-giam-ngheo-tung-thu-tuc-2026-07-01.pdf' in pdf.headers["Content-Disposition"]
    assert len([i for i in in_force if i.procedure.field == "Giảm nghèo"]) == 4

    r = desk.post("/in/", {"chon": "codes", "ma": "1.001193, không-phải-mã", "kieu": "grid",
                           "giay": "A4", "ngay": "01/07/2026"})
    assert "“không-phải-mã” không phải mã TTHC" in r.text
    # The whole board, put up: then nothing is left to print.
    r = desk.post("/in/", {"chon": "all", "kieu": "grid", "giay": "A4", "ngay": "01/07/2026"},
                  allow_redirects=False)
    page = desk.wait(r.headers["Location"])
    batch = re.search(r"đợt in số (\d+)", page).group(1)
    r = desk.post("/danh-dau/xem-truoc", {"viec": "lo", "lo": batch, "ngay": "01/07/2026"})
    mark = re.search(r'name="moc" value="(\d+)"', r.text).group(1)
    desk.post("/danh-dau/ghi", {"viec": "lo", "lo": batch, "ngay": "01/07/2026", "moc": mark})
    r = desk.post("/in/", {"chon": "changed", "kieu": "grid", "giay": "A4", "ngay": "01/07/2026"},
                  allow_redirects=False)
    page = desk.wait(r.headers["Location"])
    assert "Không có gì cần in" in page
    assert not list((desk.db.parent / "posters").glob("thay-doi-*"))


def test_ticking_takedowns_refuses_a_label_still_in_force_and_undo_takes_back_the_last(desk):
    set_up(desk)
    imported(desk, sample_path("xa-mau-2026-07.csv"))
    with desk.registry() as reg:
        codes = [i.code for i in board.board_diff(reg, JUL).to_post][:3]
    r = desk.post("/danh-dau/xem-truoc", {"viec": "dan", "ma": codes, "ngay": "01/07/2026"})
    assert shown(r.text, "count") == "3"
    with desk.registry() as reg:
        assert reg.posted() == {}  # the confirmation page is a dry run
    mark = re.search(r'name="moc" value="(\d+)"', r.text).group(1)
    r = desk.post("/danh-dau/ghi", {"viec": "dan", "ma": codes, "ngay": "01/07/2026", "moc": mark})
    assert "Đã ghi nhận dán 3 thẻ ngày 01/07/2026." in r.text
    r = desk.post("/danh-dau/xem-truoc", {"viec": "go", "ma": codes[:1], "ngay": "02/07/2026"})
    assert "Không thực hiện được:" in r.text and "vẫn còn hiệu lực" in r.text
    # what the desk can do about a torn label (the CLI's --force has no box here)
    assert "hãy in lại thẻ đó ở trang “In” (chọn “Một số thủ tục (theo mã)”) rồi dán lại" in r.text
    assert "--force" not in r.text
    r = desk.post("/danh-dau/xem-truoc", {"viec": "dan", "ngay": "01/07/2026",
                                          "back": "//evil.example/"}, allow_redirects=False)
    assert r.headers["Location"] == "/danh-dau/"  # a refusal goes back to a page of the desk only
    r = desk.post("/danh-dau/xem-truoc", {"viec": "dan", "ngay": "01/07/2026"})
    assert "Chưa đánh dấu thẻ nào" in r.text
    r = desk.post("/danh-dau/xem-truoc", {"viec": "dan", "ma": codes, "ngay": "31/02/2026"})
    assert "Ngày dán hoặc gỡ: “31/02/2026” không phải một ngày" in r.text

    page = desk.get("/danh-dau/?ngay=01/07/2026").text
    last = re.search(r'name="thay_doi" value="(\d+)"', page).group(1)
    r = desk.post("/danh-dau/xem-truoc", {"viec": "hoan-tac", "thay_doi": last, "ngay": "01/07/2026"})
    assert f"Sẽ hoàn tác thay đổi số <b>{last}</b>" in r.text
    mark = re.search(r'name="moc" value="(\d+)"', r.text).group(1)
    r = desk.post("/danh-dau/ghi", {"viec": "hoan-tac", "thay_doi": last, "ngay": "01/07/2026",
                                    "moc": mark})
    assert f"Đã hoàn tác thay đổi số {last}." in r.text
    with desk.registry() as reg:
        assert reg.posted() == {}
    # The same undo again: the page showed a change that is no longer the latest in force.
    r = desk.post("/danh-dau/xem-truoc", {"viec": "hoan-tac", "thay_doi": last, "ngay": "01/07/2026"})
    assert "Thay đổi gần nhất không còn là thay đổi trang đã hiện" in r.text


def test_settings_change_the_scope_and_the_links_with_reasons(desk):
    set_up(desk)
    imported(desk, sample_path("xa-mau-2026-07.csv"))
    r = desk.post("/cai-dat/pham-vi", {"viec": "loai-co-quan", "co_quan": "Công an cấp xã", "ly_do": ""})
    assert "Hãy ghi lý do" in r.text
    r = desk.post("/cai-dat/pham-vi", {"viec": "loai-co-quan", "co_quan": "Công an cấp xã",
                                       "ly_do": "Công an xã niêm yết riêng"})
    assert "Đã lưu phạm vi niêm yết." in r.text and "Công an xã niêm yết riêng" in r.text
    page = desk.get("/?ngay=01/07/2026").text
    assert "ngoài phạm vi" in page
    with desk.registry() as reg:
        out = board.board_diff(reg, JUL).out_of_scope
    assert out and all("Công an" in v.reason_vi or v.detail for _, v in out)

    r = desk.post("/cai-dat/lien-ket", {"mau": "https://dichvucong.hungyen.gov.vn/tthc/{code}",
                                        "mau_ma": "", "ten_mien": ""})
    assert "Không thực hiện được:" in r.text  # the host is not allowed yet
    assert ("hãy thêm dichvucong.hungyen.gov.vn vào ô “Tên miền được phép thêm” ở trang “Cài đặt”"
            in r.text and "--allow-host" not in r.text)
    r = desk.post("/cai-dat/lien-ket", {"mau": "https://dichvucong.hungyen.gov.vn/tthc/{code}",
                                        "mau_ma": "", "ten_mien": "dichvucong.hungyen.gov.vn"})
    assert "Đã lưu liên kết của mã QR." in r.text
    with desk.registry() as reg:
        config = board.payload_config(reg)
    assert config.template == "https://dichvucong.hungyen.gov.vn/tthc/{code}"
    assert config.extra_hosts == ("dichvucong.hungyen.gov.vn",)
    # Removing the host again is refused while the template needs it, and changes nothing.
    r = desk.post("/cai-dat/lien-ket", {"mau": "https://dichvucong.hungyen.gov.vn/tthc/{code}",
                                        "mau_ma": "", "ten_mien": ""})
    assert "Không thực hiện được:" in r.text
    with desk.registry() as reg:
        assert board.payload_config(reg).extra_hosts == ("dichvucong.hungyen.gov.vn",)


def blank_photo_audited(desk, tmp_path):
    """The sample list imported, and a photo of a blank wall sent to the audit page: the page's
    address once the preview is read."""
    from PIL import Image

    set_up(desk)
    imported(desk, sample_path("xa-mau-2026-07.csv"))
    blank = tmp_path / "tuong-trong.png"
    Image.new("L", (400, 300), 255).save(blank)
    with open(blank, "rb") as f:
        r = desk.post("/kiem-tra/", {"ngay": "01/07/2026"}, files={"anh": (blank.name, f)},
                      allow_redirects=False)
    return r.headers["Location"]


def test_an_audit_whose_photo_shows_no_code_cannot_be_applied(desk, tmp_path):
    where = blank_photo_audited(desk, tmp_path)
    page = desk.wait(where)
    assert 'data-testid="apply-refused"' in page and "không tìm thấy mã QR nào" in page
    assert "tuong-trong.png: không tìm thấy mã QR nào" in page
    assert str(desk.app.extensions["qrproc"].uploads.root) not in page  # no temporary path
    assert 'data-testid="apply"' not in page
    assert "không tìm thấy mã QR nào" in page
    token = where.rsplit("/", 1)[1]
    r = desk.post(f"/kiem-tra/{token}/ghi", {"cach": "apply"})
    assert "Không áp dụng được kết quả kiểm tra này." in r.text
    with desk.registry() as reg:
        assert reg.latest_audit() is None


def test_a_print_batch_is_ticked_as_a_whole_up_and_its_takedown_sheet_down(desk):
    set_up(desk)
    imported(desk, sample_path("xa-mau-2026-07.csv"))
    assert 'data-testid="post-batch-' not in desk.get("/danh-dau/?ngay=01/07/2026").text
    imported(desk, sample_path("xa-mau-2026-12.csv"), hieu_luc="15/12/2026", quyet_dinh="2345/QĐ-UBND")
    with desk.registry() as reg:
        on_dec = board.board_diff(reg, DEC)
    # Everything of July is up (recorded as the CLI would), then the December changes printed.
    with Registry(desk.db) as reg:
        board.post_codes(reg, [i.code for i in board.board_diff(reg, JUL).to_post], day=JUL,
                         at=datetime(2026, 7, 1, 12))
    r = desk.post("/in/", {"chon": "changed", "kieu": "grid", "giay": "A4", "ngay": "15/12/2026"},
                  allow_redirects=False)
    page = desk.wait(r.headers["Location"])
    batch = re.search(r"đợt in số (\d+)", page).group(1)
    page = desk.get("/danh-dau/?ngay=15/12/2026").text
    assert f'data-testid="post-batch-{batch}"' in page and f'data-testid="take-down-batch-{batch}"' in page

    for action, count, said in (("lo", 8, "dán 8 thẻ"), ("go-lo", 6, "gỡ 6 nhãn")):
        r = desk.post("/danh-dau/xem-truoc", {"viec": action, "lo": batch, "ngay": "15/12/2026"})
        assert shown(r.text, "count") == str(count)
        mark = re.search(r'name="moc" value="(\d+)"', r.text).group(1)
        r = desk.post("/danh-dau/ghi", {"viec": action, "lo": batch, "ngay": "15/12/2026",
                                        "moc": mark})
        assert f"Đã ghi nhận {said} ngày 15/12/2026." in r.text
    assert "Không có đợt in nào còn thẻ chưa dán hay nhãn chưa gỡ." in r.text
    with desk.registry() as reg:
        after = board.board_diff(reg, DEC)
    assert on_dec.to_post and after.is_clean


def test_counter_labels_printed_on_the_desk_are_not_offered_for_the_board(desk):
    """A batch of counter labels is not to go up: no 'put up' button, and the print page says why."""
    set_up(desk)
    imported(desk, sample_path("xa-mau-2026-07.csv"))
    imported(desk, sample_path("xa-mau-2026-12.csv"), hieu_luc="15/12/2026", quyet_dinh="2345/QĐ-UBND")
    with Registry(desk.db) as reg:  # links short enough for a label
        reg.set_settings({"payload_template_code": "https://dichvucong.gov.vn/tt/{code}"},
                         at=datetime(2026, 7, 1, 12))
    r = desk.post("/in/", {"chon": "changed", "kieu": "labels", "giay": "A4", "ngay": "15/12/2026"},
                  allow_redirects=False)
    page = desk.wait(r.headers["Location"])
    batch = re.search(r"đợt in số (\d+)", page).group(1)
    assert f'data-testid="post-batch-{batch}"' not in desk.get("/danh-dau/?ngay=15/12/2026").text
    assert "nhãn nhỏ dán tại quầy, không tính là đã niêm yết" in desk.get("/in/?ngay=15/12/2026").text
    r = desk.post("/danh-dau/xem-truoc", {"viec": "lo", "lo": batch, "ngay": "15/12/2026"})
    assert f"đợt in số {batch} chỉ có nhãn nhỏ dán tại quầy" in r.text


def test_a_page_sees_a_finished_job_only_with_its_result():
    """The race CI met: a page read `result` (None, still running), the job then finished, and
    the template saw a finished job without its result. A view is one moment's state."""
    from qrproc.web.jobs import DONE, RUNNING, JobRunner

    go, started = threading.Event(), threading.Event()

    def work(job):
        started.set()
        go.wait(10)
        return "preview"

    jobs = JobRunner()
    job = jobs.start("import", work)
    assert started.wait(10)
    before = job.view()
    go.set()
    deadline = time.monotonic() + 10
    while not job.finished:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert (before.state, before.result, before.finished) == (RUNNING, None, False)
    after = job.view()
    assert (after.state, after.result) == (DONE, "preview") and after is not job


def test_photos_handed_to_the_saving_job_survive_the_desk_forgetting_old_jobs(desk, tmp_path,
                                                                              monkeypatch):
    """Starting a job forgets the oldest finished ones and removes their uploads; the preview's
    photos must pass to the job that records them before that happens."""
    from qrproc.web import jobs

    where = blank_photo_audited(desk, tmp_path)
    desk.wait(where)
    token = where.rsplit("/", 1)[1]
    monkeypatch.setattr(jobs, "KEEP", 1)  # the next start forgets the preview's job
    r = desk.post(f"/kiem-tra/{token}/ghi", {"cach": "record"}, allow_redirects=False)
    desk.wait(r.headers["Location"])
    with desk.registry() as reg:
        files = reg.latest_audit().files
    assert [(f.status, f.sha256 is not None) for f in files] == [("no_code", True)]
    # recorded under the name it was sent with, not the desk's temporary copy
    assert [f.name for f in files] == ["tuong-trong.png"]
