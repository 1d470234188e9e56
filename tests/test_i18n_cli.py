"""The command line in Vietnamese, the language its users read by default: real commands run with
QRPROC_LANG=vi, their output asserted exactly; and English when asked for."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from qrproc.cli import AppContext
from qrproc.registry import Registry

from test_cli import ROWS, write_csv
from test_registry import dump
from cli_runner import cli_runner

AT = datetime(2026, 7, 1, 8, 30)


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Run `qrproc ARGS…` in tmp_path, in Vietnamese, on tmp_path/qrproc.db, at a fixed time."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QRPROC_DB", str(tmp_path / "qrproc.db"))
    monkeypatch.setenv("QRPROC_LANG", "vi")
    monkeypatch.setattr(AppContext, "now", staticmethod(lambda: AT))
    return cli_runner(prog_name="qrproc", terminal_width=80)


@pytest.fixture
def board(run, tmp_path):
    """The five procedures of test_cli imported, all posted on 01/07/2026."""
    run("init", "--unit", "UBND xã Mẫu", "--province", "H31")
    write_csv(tmp_path / "v1.csv", ROWS)
    run("import", "v1.csv", "--decision", "1234/QĐ-UBND")
    run("post", "--all-pending", "--date", "2026-07-01")
    return tmp_path


def test_init_and_import_speak_vietnamese(run, tmp_path):
    r = run("init", "--unit", "UBND xã Mẫu", "--province", "h31")
    assert r.stdout == f"Sổ đăng ký {tmp_path / 'qrproc.db'} đã sẵn sàng cho UBND xã Mẫu (H31).\n"
    write_csv(tmp_path / "v1.csv", ROWS)
    r = run("import", "v1.csv", "--decision", "1234/QĐ-UBND")
    assert r.stdout == (
        "Đã nhập v1.csv: đã lưu 5 dòng dưới dạng danh mục đầy đủ, Quyết định công bố 1234/QĐ-UBND; "
        "có hiệu lực từ 01/07/2026 (theo ngày ghi trên từng dòng).\n"
        "  Thuộc phạm vi tiếp nhận của xã: 5 (5 đang có hiệu lực, 0 đã công bố và sẽ có hiệu lực "
        "sau, 0 đã bãi bỏ hoặc được thay thế, 0 chưa có mã).\n"
        "  Liên kết của mã QR: 0 dẫn tới trang riêng của thủ tục trên Cổng DVC, 5 dẫn tới trang tra "
        "cứu theo mã trên Cổng DVC.\n"
        "So với danh mục trước: 5 thủ tục mới, 0 thủ tục thay đổi, 0 thủ tục không còn trong danh "
        "mục.\n")
    assert r.stderr == ""
    again = run("import", "v1.csv", "--decision", "1234/QĐ-UBND")
    assert again.stdout == ("Đã nhập v1.csv: nội dung này đã được nhập lúc 01/07/2026 08:30 "
                            "(v1.csv); không có gì thay đổi.\n")


def test_import_warns_in_vietnamese_and_an_amendment_says_so(run, tmp_path):
    run("init", "--unit", "UBND xã Mẫu", "--province", "H31")
    write_csv(tmp_path / "v1.csv", ROWS)
    run("import", "v1.csv")
    write_csv(tmp_path / "qd.csv", [["1", "1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", "Cấp xã",
                                     "15/12/2026", "Bãi bỏ"]])
    r = run("import", "qd.csv", "--amend", "--decision", "2345/QĐ-UBND", "--dry-run")
    assert r.stdout.splitlines()[0] == "Chạy thử: những gì lệnh sẽ làm, chưa lưu gì vào sổ đăng ký:"
    assert r.stdout.splitlines()[1] == (
        "Đã nhập qd.csv: đã lưu 1 dòng dưới dạng danh mục sửa đổi, bổ sung, Quyết định công bố "
        "2345/QĐ-UBND; có hiệu lực từ 15/12/2026 (theo ngày ghi trên từng dòng).")
    assert r.stdout.endswith("\nChạy thử: không có gì thay đổi.\n")


def test_diff_prints_the_vietnamese_reasons(run, board):
    rows = [r[:] for r in ROWS]
    rows[1][2] = "Thủ tục đăng ký kết hôn (sửa đổi, bổ sung)"
    rows[1][5] = "15/12/2026"
    rows[2][5:7] = ["15/12/2026", "Bãi bỏ"]
    write_csv(board / "v2.csv", rows)
    run("import", "v2.csv", "--decision", "2345/QĐ-UBND")
    assert run("diff", "--as-of", "2026-12-15").stdout == (
        "Đối chiếu bảng niêm yết với danh mục TTHC có hiệu lực ngày 15/12/2026:\n"
        "Cần in và niêm yết (0):\n"
        "Cần in lại (1):\n"
        "  1.000894                 Thủ tục đăng ký kết hôn (sửa đổi, bổ sung)  [Hộ tịch]  — Nội dung "
        "thay đổi: tên\n"
        "Cần gỡ khỏi bảng (1):\n"
        "  1.000656                 Thủ tục đăng ký khai tử  [Hộ tịch]  — Bãi bỏ (QĐ 2345/QĐ-UBND)\n"
        "Đã công bố, chưa có hiệu lực (0):\n"
        "Không thay đổi: 3\n")
    before = run("diff", "--as-of", "2026-12-14").stdout
    assert before.splitlines()[-4:] == [
        "Đã công bố, chưa có hiệu lực (2):",
        "  1.000656                 Thủ tục đăng ký khai tử  [Hộ tịch]  — Bãi bỏ từ 15/12/2026 (QĐ "
        "2345/QĐ-UBND)",
        "  1.000894                 Thủ tục đăng ký kết hôn (sửa đổi, bổ sung)  [Hộ tịch]  — Nội "
        "dung thay đổi từ 15/12/2026 (QĐ 2345/QĐ-UBND): tên",
        "Không thay đổi: 5",
    ]


def test_post_and_takedown(run, board):
    r = run("post", "1.001193", "--date", "2026-07-02")
    assert r.stdout == ("Đã niêm yết 0 thẻ ngày 02/07/2026; 1 thẻ đã có trên bảng, đúng phiên bản "
                        "hiện hành.\n")
    r = run("takedown", "1.001193", "1.001612", "--date", "2026-08-01", "--force")
    assert r.stdout == "Đã gỡ 1 thẻ khỏi bảng ngày 01/08/2026.\n"
    assert r.stderr == "Cảnh báo: 1.001612 không có trên bảng niêm yết\n"


def test_takedown_of_a_procedure_still_in_force_is_refused_and_changes_nothing(run, board):
    before = dump(board / "qrproc.db")
    r = run("takedown", "1.001193", "--date", "2026-08-01", ok=False)
    assert r.exit_code == 1 and r.stdout == ""
    # One line, behind click's Vietnamese "Lỗi:". Its text is the library's (qrproc/board.py),
    # translated with the library's messages.
    assert r.stderr.startswith("Lỗi: 1.001193 ") and r.stderr.count("\n") == 1
    assert "--force" in r.stderr
    assert dump(board / "qrproc.db") == before
    r = run("takedown", "1.001193", "--date", "2026-08-01", "--force", "--dry-run")
    assert r.stdout == ("Chạy thử: những gì lệnh sẽ làm, chưa lưu gì vào sổ đăng ký:\n"
                        "Đã gỡ 1 thẻ khỏi bảng ngày 01/08/2026.\nChạy thử: không có gì thay đổi.\n")
    assert dump(board / "qrproc.db") == before


def test_usage_errors_are_vietnamese(run, board):
    r = run("post", "1.001193", "--date", "2026-07-011", ok=False)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == (
        "Cách dùng: qrproc post [TÙY CHỌN] [CODES]...\n"
        "Xem hướng dẫn: 'qrproc post --help'.\n\n"
        "Lỗi: Giá trị không hợp lệ cho '--date': '2026-07-011' không phải là ngày hợp lệ; hãy viết "
        "theo dạng 2026-11-28 hoặc 28/11/2026\n")
    r = run("post", ok=False)
    assert r.exit_code == 2 and r.stderr.endswith(
        "\nLỗi: hãy cho mã thủ tục (CODES), --all-pending hoặc --batch N (chỉ một trong ba)\n")
    r = run("post", "ABC-1", ok=False)
    assert r.stderr.endswith(
        "\nLỗi: Giá trị không hợp lệ cho '[CODES]...': 'ABC-1' không phải là mã thủ tục hành chính "
        "(dạng 1.001193 hoặc 1.001193.000.00.00.H35)\n")


def test_a_missing_registry_is_explained_in_vietnamese(run, tmp_path):
    r = run("--db", str(tmp_path / "sai.db"), "status", ok=False)
    assert r.exit_code == 1
    assert r.stderr == (f"Lỗi: {tmp_path / 'sai.db'}: chưa có sổ đăng ký ở đây; hãy tạo bằng lệnh: "
                        f"qrproc --db {tmp_path / 'sai.db'} init --unit \"UBND xã …\" --province H31\n")
    assert not (tmp_path / "sai.db").exists()


def test_status(run, board):
    r = run("status", "--as-of", "2026-07-02")
    assert r.stdout == (
        f"Đơn vị: UBND xã Mẫu (H31)   sổ đăng ký: {board / 'qrproc.db'}\n"
        "Danh mục TTHC đang có hiệu lực: v1.csv, có hiệu lực từ 01/07/2026, 1234/QĐ-UBND (5 thủ tục "
        "thuộc phạm vi của đơn vị, 0 thủ tục ngoài phạm vi)\n"
        "Trên bảng niêm yết: 5 thẻ; cần in 0, cần in lại 0, cần gỡ 0, chưa có hiệu lực 0.\n"
        "Tỷ lệ niêm yết ngày 02/07/2026: 5/5 thủ tục đã niêm yết (100%), theo cách tính của báo "
        "cáo.\n")


def test_posters_batches_and_the_loop(run, board):
    write_csv(board / "v2.csv", ROWS + [
        ["6", "1.001022", "Thủ tục đăng ký nhận cha, mẹ, con", "Hộ tịch", "Cấp xã", "01/07/2026",
         "Còn hiệu lực"]])
    run("import", "v2.csv")
    r = run("posters", "--as-of", "2026-07-01", "--silent")
    assert r.stdout == (
        "Đã kiểm tra 1/1 mã QR: từng mã được đọc lại và so khớp đến từng ô với liên kết in bên "
        "dưới.\n"
        "Liên kết: 0 dẫn tới trang riêng của thủ tục trên Cổng DVC, 1 dẫn tới trang tra cứu theo mã "
        "trên Cổng DVC.\n"
        "Đã ghi posters/thay-doi-2026-07-01.pdf (grid, A4, 2 trang: 1 thủ tục).\n"
        "Đợt in số 1; sau khi dán các tờ lên bảng, hãy chạy: qrproc post --batch 1\n")
    assert run("batches", "--as-of", "2026-07-01").stdout == (
        "Đợt in số 1: grid, in lúc 01/07/2026 08:30 theo danh mục ngày 01/07/2026, 1 thẻ (0 đã niêm "
        "yết)\n"
        "  bản in: posters/thay-doi-2026-07-01.pdf\n"
        "  cần niêm yết (1): 1.001022  -> qrproc post --batch 1\n")
    assert run("post", "--batch", "1", "--date", "2026-07-03").stdout == \
        "Đã niêm yết 1 thẻ ngày 03/07/2026.\n"
    assert run("batches", "--as-of", "2026-07-03").stdout == (
        "Không còn đợt in nào dở dang ngày 03/07/2026: mọi thẻ đã in đều đã niêm yết, mọi thẻ trong "
        "danh sách cần gỡ đều đã được gỡ.\n")
    assert run("posters", "--as-of", "2026-07-03", "--silent").stdout == (
        "Không có gì cần in: bảng niêm yết đã khớp với danh mục TTHC có hiệu lực ngày 03/07/2026.\n")
    r = run("posters", "--field", "Hộ tịch", "--codes", "1.001193", ok=False)
    assert r.exit_code == 2 and r.stderr.endswith(
        "\nLỗi: chỉ dùng --field hoặc --codes, không dùng cả hai\n")


def test_log_and_undo(run, board):
    log = run("log").stdout.splitlines()
    assert len(log) == 3
    *_, last = log
    m = re.fullmatch(r"   3  01/07/2026 08:30  post      (.+)", last)
    assert m, last
    summary = m.group(1)  # the library's words for the change, shown as they were recorded
    assert run("undo").stdout == f"Đã hoàn tác thay đổi 3 (post): {summary}\n"
    log = run("log").stdout.splitlines()
    assert log[2] == f"{last}  [đã hoàn tác bởi thay đổi 4]"
    assert run("undo", "--dry-run").stdout.endswith("\nChạy thử: không có gì thay đổi.\n")


def test_log_of_a_registry_without_changes(run, tmp_path):
    Registry(tmp_path / "qrproc.db").close()
    assert run("log").stdout == "Chưa có thay đổi nào được ghi lại.\n"


def test_report_fail_under_writes_its_figures_the_vietnamese_way(run, board):
    run("takedown", "1.001193", "--date", "2026-07-02", "--force")
    r = run("report", "--as-of", "2026-07-02", "--format", "json", "--fail-under", "99.5", ok=False)
    assert r.exit_code == 2
    assert r.stderr == "Tỷ lệ niêm yết 4/5 (80%) thấp hơn mức --fail-under 99,5%.\n"


def test_help_is_vietnamese(run, monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "en")  # click keeps the --help option it made in English
    assert run("takedown", "--help").stdout.endswith("  -h, --help   Show this message and exit.\n")
    monkeypatch.setenv("QRPROC_LANG", "vi")
    r = run("takedown", "--help")
    assert r.stdout.splitlines()[:8] == [
        "Cách dùng: qrproc takedown [TÙY CHỌN] [CODES]...",
        "",
        "  Ghi nhận các thẻ đã được gỡ khỏi bảng: các mã CODES đã cho (cách nhau bằng dấu",
        "  phẩy hoặc dấu cách), hoặc các thẻ trong danh sách cần gỡ của đợt in số N.",
        "",
        "  Ví dụ: qrproc takedown 1.000775,1.012563 --date 2026-12-15",
        "  Ví dụ: qrproc takedown --batch 3 --date 2026-12-15",
        "",
    ]
    assert r.stdout.splitlines()[8:] == [
        "Tùy chọn:",
        "  --batch N    Gỡ các thẻ có trong danh sách cần gỡ của đợt in số N.  [x>=1]",
        "  --date DATE  Ngày gỡ thẻ khỏi bảng (mặc định: hôm nay).",
        "  --force      Ghi nhận cả thẻ của thủ tục vẫn còn hiệu lực là đã gỡ (thủ tục đó",
        "               khi ấy được tính là chưa niêm yết).",
        "  --dry-run    Chạy thử: cho biết những gì sẽ thay đổi, không thay đổi gì.",
        "  -h, --help   Hiện hướng dẫn này rồi thoát.",
    ]


def test_demo_speaks_vietnamese(run, tmp_path):
    r = run("demo", "--out", "demo", "--silent")
    assert r.stderr.splitlines()[:3] == [
        "[1/7] Đang nhập danh mục mẫu của xã xa-mau-2026-07.csv",
        "[2/7] Đang ghi nhận 181 thủ tục của danh mục là đã niêm yết ngày 01/07/2026",
        "[3/7] Đang nhập danh mục sửa đổi, bổ sung xa-mau-2026-12.csv",
    ]
    assert r.stdout.splitlines()[:4] == [
        "Đơn vị mẫu: UBND xã Mẫu (H31); sổ đăng ký demo/qrproc-demo.db",
        "Trước khi danh mục sửa đổi, bổ sung có hiệu lực (14/12/2026): 0 thủ tục cần in, 14 thay đổi "
        "đã công bố nhưng chưa có hiệu lực.",
        "Đối chiếu bảng niêm yết với danh mục TTHC có hiệu lực ngày 15/12/2026:",
        "Cần in và niêm yết (6):",
    ]
    assert r.stdout.splitlines()[-4:] == [
        "Toàn bộ bảng niêm yết: demo/bang-niem-yet-2026-12-15.pdf (29 trang, đã kiểm tra 182 mã QR)",
        "Thẻ thay đổi + danh sách cần gỡ: demo/thay-doi-2026-12-15.pdf (5 trang, đã kiểm tra 8 mã QR)",
        "Đã niêm yết các thẻ thay đổi ngày 16/12/2026; tỷ lệ niêm yết 182/182 (100%), 8 thẻ niêm yết "
        "muộn.",
        "Báo cáo tỷ lệ niêm yết: demo/bao-cao-niem-yet-2026-12-16.html",
    ]


@pytest.mark.parametrize("env", [{"QRPROC_LANG": "en"}, {"LANG": "en_US.UTF-8"}])
def test_english_when_asked_for(run, board, monkeypatch, env):
    for var in ("QRPROC_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    r = run("takedown", "1.001193", "1.001612", "--date", "2026-08-01", "--force")
    assert r.stdout == "Took down 1 label on 01/08/2026.\n"
    assert r.stderr == "Warning: 1.001612 was not on the board\n"
    r = run("post", "1.001193", "--date", "2026-07-011", ok=False)
    assert r.stderr.endswith("\nError: Invalid value for '--date': '2026-07-011' is not a date; write "
                             "it as 2026-11-28 or 28/11/2026\n")


def test_audit_reports_in_vietnamese(run, tmp_path):
    from test_audit import AT as AUDIT_AT, FOREIGN, KET_HON, KHAI_SINH, KHAI_TU, SEP, new_registry, photo, url

    reg = new_registry(tmp_path / "qrproc.db")
    reg.post([KHAI_SINH, KHAI_TU], day=SEP, at=AUDIT_AT)
    reg.close()
    path = photo(tmp_path, "bang.jpg", [url(KHAI_SINH), url(KET_HON), FOREIGN])
    r = run("audit", str(path), "--date", "2026-12-15")
    lines = r.stdout.splitlines()
    assert lines[0] == "Kiểm tra ảnh bảng niêm yết ngày 15/12/2026: 1 ảnh, đọc được 3 mã QR."
    assert re.fullmatch(rf"  {re.escape(str(path))}: 3 mã, sha256 [0-9a-f]{{64}}", lines[1])
    assert lines[2:] == [
        "Thấy trong ảnh, đúng phiên bản hiện hành: 2",
        "Thấy trong ảnh nhưng không nhận ra (1):",
        f"  {FOREIGN}  — tên miền example.com không phải Cổng DVC và không thuộc các tên miền được "
        "phép",
        "Thuộc phạm vi nhưng không thấy trong ảnh (3):",
        "  1.000656                 Thủ tục đăng ký khai tử  — sổ đăng ký ghi đã niêm yết nhưng "
        "không thấy trong ảnh",
        "  1.001022                 Thủ tục đăng ký giám hộ  — chưa niêm yết: cần in và dán lên bảng",
        "  1.001695                 Thủ tục đăng ký nhận cha, mẹ, con  — chưa niêm yết: cần in và dán "
        "lên bảng",
        "Đã ghi nhận là lần kiểm tra ảnh số 1; nếu dùng --apply sẽ ghi nhận 1 lượt niêm yết mới và "
        "đóng 1 lượt niêm yết.",
    ]


def test_the_usage_line_and_required_options_read_vietnamese(run):
    out = run("init", "--help").stdout
    assert out.startswith("Cách dùng: qrproc init [TÙY CHỌN]\n")
    assert " ".join(out.split()).count("[bắt buộc]") == 2  # --unit and --province (click wraps)
    assert "[OPTIONS]" not in out and "required" not in out
