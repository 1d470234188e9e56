"""The service and output area in Vietnamese (qrproc.i18n, locale/vi/core.po): real refusals and
records, provoked through the library and the command line with QRPROC_LANG=vi, read back word
for word; and the same in English when asked for it.

The suite runs in English (tests/conftest.py); each test here sets the language it reads.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime

import pytest
from click.testing import CliRunner
from PIL import Image

from faults import wrong_payload_encoder
from qrproc import audit, board
from qrproc.catalogue import import_catalogue
from qrproc.cli import cli
from qrproc.errors import AuditError, ImportRefused, PayloadError, QrprocError, RegistryError
from qrproc.errors import VerificationError
from qrproc.model import Catalogue, Procedure
from qrproc.poster import Selection
from qrproc.poster import payload as pl
from qrproc.registry import Registry

from test_audit import photo
from test_cli import ROWS, write_csv

AT = datetime(2026, 11, 28, 9, 0, 0)
JUL = date(2026, 7, 1)
AUG = date(2026, 8, 1)


@pytest.fixture
def vi(monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "vi")


def proc(code, name, field="Hộ tịch", **kw):
    return Procedure(code=code, name=name, field=field, levels=("commune",), **kw)


FIVE = (proc("1.001193", "Thủ tục đăng ký khai sinh",
             portal_id="019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"),
        proc("1.000894", "Thủ tục đăng ký kết hôn"),
        proc("1.000656", "Thủ tục đăng ký khai tử"),
        proc("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", field="Chứng thực"),
        proc("2.002080", "Thủ tục thôi làm hòa giải viên", field="Hòa giải ở cơ sở"))


@pytest.fixture
def reg():
    """A commune of Hưng Yên with the five procedures in force from 01/07/2026."""
    registry = Registry(":memory:")
    registry.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    import_catalogue(registry, Catalogue("v1.csv", FIVE), effective=JUL, decision="1234/QĐ-UBND",
                     at=AT)
    yield registry
    registry.close()


@pytest.fixture
def run(tmp_path, monkeypatch):
    """The command line on a registry in tmp_path, with its five procedures imported."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QRPROC_DB", str(tmp_path / "qrproc.db"))
    runner = CliRunner()

    def invoke(*args, code=0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output + result.stderr
        return result

    invoke("init", "--unit", "UBND xã Mẫu", "--province", "H31")
    write_csv(tmp_path / "v1.csv", ROWS)
    invoke("import", "v1.csv")
    return invoke


# -- importing a list ----------------------------------------------------------------------------

def test_an_import_that_would_drop_more_than_a_fifth_is_refused_in_vietnamese(run, tmp_path, vi):
    write_csv(tmp_path / "short.csv", ROWS[:2])
    r = run("import", "short.csv", code=1)
    assert r.stderr == (
        "Lỗi: short.csv: tệp có 2 thủ tục nhưng thiếu 3 trong số 5 thủ tục đang có hiệu lực của "
        "danh mục trước (60% > 20%); chưa nhập gì vào sổ đăng ký. Nếu tệp chỉ liệt kê các thay "
        "đổi (phụ lục của một Quyết định), hãy dùng --amend; nếu đúng là các thủ tục đó đã bị bỏ, "
        "hãy dùng --accept-drop\n")


def test_another_provinces_list_is_refused_naming_both_provinces(reg, vi):
    gia_lai = [Procedure(code=f"1.11690{i}", name=f"Thủ tục riêng {i}", levels=("commune",),
                         kind="specific", promulgator="UBND tỉnh Gia Lai") for i in range(3)]
    with pytest.raises(ImportRefused) as e:
        import_catalogue(reg, Catalogue("gia-lai.json", (FIVE[0], *gia_lai)), at=AT)
    assert str(e.value) == (
        "gia-lai.json: đây là danh mục của Gia Lai: 3 thủ tục riêng của tỉnh trong tệp đều do Gia "
        "Lai công bố, không có thủ tục nào do Hưng Yên công bố; sổ đăng ký này là của UBND xã Mẫu "
        "tại Hưng Yên (H31). Chưa nhập gì vào sổ đăng ký (nếu đúng là cần nhập danh mục này, hãy "
        "nhập với --other-province)")


def test_a_list_that_gives_no_level_is_refused(reg, vi):
    bare = tuple(Procedure(code=p.code, name=p.name, field=p.field) for p in FIVE)
    with pytest.raises(ImportRefused) as e:
        import_catalogue(reg, Catalogue("danh-sach.csv", bare, levels_given=False), at=AT)
    assert str(e.value) == (
        "danh-sach.csv: không dòng nào ghi cấp thực hiện, nên qrproc không xác định được những thủ "
        "tục nào do cấp xã tiếp nhận; chưa nhập gì vào sổ đăng ký. Nếu tệp này là danh mục riêng "
        "của đơn vị, hãy nhập với --own-list; danh sách thủ tục trên Cổng DVC không ghi cấp thực "
        "hiện: hãy dùng qrproc fetch (lệnh này đọc thông tin chi tiết của từng thủ tục), hoặc nhập "
        "tệp thông tin chi tiết của các thủ tục")


def test_the_import_plan_warns_in_vietnamese_with_dates_as_ddmmyyyy(reg, vi):
    out = import_catalogue(reg, Catalogue("moi.csv", FIVE[:4]), at=AT)
    assert out.warnings[-1] == (
        "moi.csv: 1 thủ tục đang có hiệu lực không có trong tệp này (2.002080); vì tệp không ghi "
        "ngày nên các thủ tục này được tính là không còn trong danh mục từ hôm nay, 28/11/2026. "
        "Nếu các thủ tục này chỉ hết hiệu lực từ ngày của một Quyết định sau, hãy nhập lại tệp, "
        "ghi ngày bằng --effective NGÀY")


def test_no_catalogue_in_force_yet_gives_both_dates_as_ddmmyyyy(reg, vi):
    with pytest.raises(RegistryError) as e:
        board.board_diff(reg, date(2026, 6, 30))
    assert str(e.value) == ("chưa có danh mục TTHC nào có hiệu lực vào ngày 30/06/2026: danh mục "
                            "đầu tiên có hiệu lực từ ngày 01/07/2026")


# -- the board -----------------------------------------------------------------------------------

def test_taking_down_a_procedure_still_in_force_is_refused(reg, vi):
    board.post_codes(reg, ["1.001193", "1.000894"], day=JUL, at=AT)
    with pytest.raises(RegistryError) as e:
        board.take_down(reg, ["1.001193"], day=AUG, at=AT)
    assert str(e.value) == (
        "1.001193 vẫn còn hiệu lực vào ngày 01/08/2026 (1234/QĐ-UBND): thẻ của thủ tục này phải có "
        "trên bảng niêm yết, nên chưa gỡ thẻ nào. Nếu thẻ thực sự đã không còn trên bảng (rách, "
        "mất), hãy dùng --force: thủ tục sẽ được tính là chưa niêm yết cho đến khi dán lại thẻ")
    with pytest.raises(RegistryError) as e:
        board.take_down(reg, ["1.001193", "1.000894"], day=AUG, at=AT)
    assert str(e.value).startswith(
        "1.001193 (1234/QĐ-UBND) và 1 thủ tục khác vẫn còn hiệu lực vào ngày 01/08/2026: thẻ của "
        "các thủ tục này phải có trên bảng niêm yết, nên chưa gỡ thẻ nào.")
    assert set(reg.posted()) == {"1.001193", "1.000894"}


def test_an_undo_with_nothing_to_undo(tmp_path, monkeypatch, vi):
    db = tmp_path / "qrproc.db"
    with Registry(db) as registry:  # set up without a change of the journal
        registry.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["--db", str(db), "undo"])
    assert r.exit_code == 1
    assert r.stderr == ("Lỗi: không có gì để hoàn tác: chưa có thay đổi nào được ghi nhận "
                        "(qrproc log)\n")


def test_a_locked_registry_says_another_qrproc_is_writing(tmp_path, vi):
    db = tmp_path / "qrproc.db"
    with Registry(db) as registry:
        registry.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Registry(db, timeout=0.2) as registry, pytest.raises(RegistryError) as e:
            registry.set_settings({"unit": "x"}, at=AT)
        assert str(e.value) == (f"{db}: một phiên qrproc khác đang ghi vào sổ đăng ký này; hãy "
                                "chờ phiên đó xong rồi chạy lại lệnh")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- the change journal --------------------------------------------------------------------------

def test_log_shows_the_journal_in_vietnamese(run, vi):
    run("post", "1.001193", "1.000894", "--date", "2026-07-01")
    run("takedown", "1.000894", "--date", "2026-08-01", "--force")
    run("undo")
    lines = run("log").stdout.splitlines()
    # (init and import may have run in English: an entry is shown in the reader's language)
    # id, date, time, command, then the summary (and the command line's own note of an undo)
    summaries = [line.split(maxsplit=4)[4].split("  [")[0] for line in lines]
    assert summaries == [
        "đơn vị UBND xã Mẫu (H31)",
        "danh mục v1.csv: 5 dòng, 5 thủ tục đang có hiệu lực thuộc phạm vi tiếp nhận của đơn vị, "
        "có hiệu lực từ ngày 01/07/2026",
        "đã niêm yết 2 thẻ ngày 01/07/2026",
        "đã gỡ 1 thẻ ngày 01/08/2026",
        "hoàn tác thay đổi số 4: đã gỡ 1 thẻ ngày 01/08/2026",
    ]


def test_the_journal_is_read_in_the_readers_language_whoever_wrote_it(reg, monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "vi")
    board.post_codes(reg, ["1.001193"], day=JUL, at=AT)  # written by a Vietnamese desk
    monkeypatch.setenv("QRPROC_LANG", "en")  # the same journal, read in English
    assert [c.summary for c in reg.changes()] == [
        "list v1.csv: 5 rows, 5 in force for the unit, effective 01/07/2026",
        "1 label put up on 01/07/2026"]
    # the file keeps the English text, what any tool reading it sees
    assert [r[0] for r in reg.conn.execute("SELECT summary FROM changes ORDER BY id")] == [
        "list v1.csv: 5 rows, 5 in force for the unit, effective 01/07/2026",
        "1 label put up on 01/07/2026"]
    monkeypatch.setenv("QRPROC_LANG", "vi")
    assert reg.changes()[-1].summary == "đã niêm yết 1 thẻ ngày 01/07/2026"


def test_an_entry_written_before_keeps_its_text(reg, vi):
    reg.conn.execute("INSERT INTO changes (at, command, summary) VALUES (?, 'post', ?)",
                     (AT.isoformat(), "3 labels put up on 01/07/2026"))
    assert reg.changes()[-1].summary == "3 labels put up on 01/07/2026"


# -- the audit -----------------------------------------------------------------------------------

def test_an_audit_apply_from_one_field_is_refused(reg, tmp_path, vi):
    board.post_codes(reg, ["1.001193", "2.000815"], day=JUL, at=AT)
    url = pl.payload_for(FIVE[0].code, FIVE[0].portal_id, pl.PayloadConfig())
    path = photo(tmp_path, "ho-tich.png", [url])
    with pytest.raises(AuditError) as e:
        board.audit_board(reg, [path], day=AUG, at=AT, apply=True)
    assert str(e.value) == (
        "không áp dụng kết quả kiểm tra ảnh: các ảnh chỉ có thẻ của 1 lĩnh vực, nhưng nếu áp dụng "
        "thì sẽ ghi gỡ thêm 1 trong số 1 thẻ cần ghi gỡ, thuộc 1 lĩnh vực không có trong ảnh nào "
        "(Chứng thực). Hãy chụp cả những phần đó của bảng niêm yết, hoặc dùng --force nếu các thẻ "
        "đó thực sự không còn trên bảng. Sổ đăng ký không thay đổi")


def test_an_audit_apply_with_a_blank_photo_is_refused_from_the_command_line(run, tmp_path, vi):
    blank = tmp_path / "tuong-trang.jpg"
    Image.new("RGB", (640, 480), (230, 225, 215)).save(blank)
    r = run("audit", str(blank), "--date", "2026-12-15", "--apply", code=1)
    assert r.stderr.endswith(
        "Lỗi: không tìm thấy mã QR nào trong 1 ảnh chụp; chưa ghi nhận hay thay đổi gì (ảnh không "
        "có mã QR không chứng minh được bảng niêm yết đang trống: hãy chụp lại gần hơn và rõ nét "
        "hơn)\n")
    assert audit.read_photo(blank).note == "không tìm thấy mã QR nào"  # as the audit records it


# -- posters -------------------------------------------------------------------------------------

def test_a_wrong_code_on_a_poster_fails_verification_naming_the_procedure(reg, tmp_path, vi):
    out = tmp_path / "posters" / "bang.pdf"
    with pytest.raises(VerificationError) as e:
        board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=out, at=AT,
                            encoder=wrong_payload_encoder(["1.001193"]), workers=1)
    lines = str(e.value).splitlines()
    assert lines[0] == (f"kiểm tra mã QR không đạt: 1/5 mã QR đọc lại không đúng; chưa ghi tệp "
                        f"PDF ({out}).")
    good = pl.payload_for(FIVE[0].code, FIVE[0].portal_id, pl.PayloadConfig())
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    page = re.search(r"\(trang (\d+)\)", lines[1]).group(1)  # Hộ tịch's page of the board
    assert lines[1:] == [f"1.001193 Thủ tục đăng ký khai sinh (trang {page}): mã đọc ra {wrong!r} "
                         f"thay vì {good!r}"]
    assert not out.exists()


def test_a_module_check_says_what_is_wrong_and_where():
    from qrproc.poster.verify import ModuleCheck, describe_check

    check = ModuleCheck(wrong=3, seams=1, first=(2, 5))
    assert describe_check(check, 25) == (  # in English, as the suite runs
        "3 of 1089 modules wrong and 1 seam or speck between modules (first near row 2, column 5 "
        "of 0–24), though it may still decode")


def test_a_module_check_in_vietnamese(vi):
    from qrproc.poster.verify import ModuleCheck, describe_check

    assert describe_check(ModuleCheck(wrong=3, seams=2, first=(2, 5)), 25) == (
        "3/1089 mô-đun sai và 2 vệt hở hoặc đốm giữa các mô-đun (chỗ đầu tiên gần hàng 2, cột 5 "
        "trong khoảng 0–24), dù mã có thể vẫn đọc được")
    assert describe_check(ModuleCheck(wrong=0, seams=1), 25) == (
        "1 vệt hở hoặc đốm giữa các mô-đun, dù mã có thể vẫn đọc được")


def test_a_letter_the_font_lacks_names_the_procedure(tmp_path, vi):
    registry = Registry(":memory:")
    registry.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    broken = proc("1.013858", "Đăng ký bản công bố sản phẩm 漢 nhập khẩu", field="An toàn thực phẩm")
    import_catalogue(registry, Catalogue("list.csv", (*FIVE, broken)), effective=JUL, at=AT)
    with pytest.raises(QrprocError) as e:
        board.print_posters(registry, selection=Selection.all(), as_of=JUL,
                            out=tmp_path / "bang.pdf", at=AT)
    assert str(e.value) == (
        "1.013858: phông chữ in bảng không có ký tự '漢' (U+6F22) trong tên thủ tục 'Đăng ký bản "
        "công bố sản phẩm 漢 nhập khẩu'; hãy sửa danh mục nguồn (qrproc không bao giờ bỏ bớt chữ)")
    registry.close()


def test_a_link_off_the_allow_list_is_refused(run, vi):
    r = run("payload", "--template", "https://example.com/tthc/{id}", code=1)
    assert r.stderr == (
        "Lỗi: không đưa liên kết 'https://example.com/tthc/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7' "
        "vào mã QR: máy chủ 'example.com' không có trong danh sách máy chủ được phép "
        "(csdl.dichvucong.gov.vn, dichvucong.gov.vn, thutuc.dichvucong.gov.vn, "
        "www.dichvucong.gov.vn); có thể thêm bằng lệnh: qrproc payload --allow-host example.com\n")


def test_a_link_without_a_host_is_refused_as_such(vi):
    with pytest.raises(PayloadError) as e:
        pl.check_url("https:///thu-tuc", {"dichvucong.gov.vn"})
    assert str(e.value) == ("không đưa liên kết 'https:///thu-tuc' vào mã QR: liên kết không ghi "
                            "máy chủ; các máy chủ được phép: dichvucong.gov.vn")


# -- English on request --------------------------------------------------------------------------

def test_english_when_asked_for(run, tmp_path, monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "en")
    write_csv(tmp_path / "short.csv", ROWS[:2])
    r = run("import", "short.csv", code=1)
    assert r.stderr == (
        "Error: short.csv: lists 2 procedures but drops 3 of the 5 in force in the previous list "
        "(60% > 20%); nothing was imported. If the file lists only changes (a decision annex), "
        "use --amend; if the drop is real, use --accept-drop\n")
    run("post", "1.001193", "--date", "2026-07-01")
    assert run("log").stdout.splitlines()[-1].endswith(" 1 label put up on 01/07/2026")


def test_dates_in_english_messages_stay_iso(reg, monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "en")
    with pytest.raises(RegistryError) as e:
        board.current_versions(reg, ["1.014057"], JUL)
    assert str(e.value) == "1.014057 is not in the catalogue in force on 2026-07-01"
    monkeypatch.setenv("QRPROC_LANG", "vi")
    with pytest.raises(RegistryError) as e:
        board.current_versions(reg, ["1.014057"], JUL)
    assert str(e.value) == "1.014057 không có trong danh mục TTHC có hiệu lực ngày 01/07/2026"

