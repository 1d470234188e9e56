"""What a civil servant reads when an input is bad, in Vietnamese (the default language).

Real bad inputs end to end: small files written in tmp_path and read through `load_file`, and
fetches from the loopback portal (tests/portal_server.py) and the hostile server
(tests/hostile_server.py). Each test asserts the exact Vietnamese message; the last ones check
that English is still there on request (QRPROC_LANG=en).
"""

from __future__ import annotations

import zipfile

import docx
import pytest

from qrproc import http, scope
from qrproc.errors import LegacyEncodingError, ParseError, SourceError
from qrproc.sources import load_file, portal
from qrproc.vntext import TCVN3, VISCII, VNI, encode_legacy

from hostile_server import HostileServer
from portal_server import DETAIL_PATH, FakePortal, detail_for, fast_session, list_item
from test_archive import DOCUMENT, SHEET, document_parts, workbook_parts, write_zip, xml_bomb

LIST = (
    "Mã TTHC,Tên TTHC,Lĩnh vực,Cấp thực hiện\n"
    "1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,Cấp xã\n"
    '1.000894,"Thủ tục đăng ký kết hôn, ghi chú",Hộ tịch,"Cấp xã, Cấp tỉnh"\n'
    ",Chứng thực chữ ký người dịch,Chứng thực,Cấp xã\n"
)
KHAI_SINH = list_item("019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7", "1.001193", "Thủ tục đăng ký khai sinh")
#: What the importer says it needs when a table has no code and name headers.
HEADERS = ("'Mã TTHC' và 'Tên TTHC' (các cột khác đọc được: 'Lĩnh vực', 'Cấp thực hiện', "
           "'Cơ quan thực hiện', 'ID trên Cổng', 'Thời hạn giải quyết', 'Phí, lệ phí', 'QĐ Công bố', "
           "'Ngày quyết định', 'Ngày hiệu lực', 'Tình trạng', 'Loại thay đổi', 'Loại TTHC', "
           "'Cơ quan ban hành', 'Thay thế bởi', 'Số hồ sơ TTHC được thay thế')")


@pytest.fixture(autouse=True)
def vietnamese(monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "vi")


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def refusal(path, error=ParseError) -> str:
    with pytest.raises(error) as caught:
        load_file(path)
    return str(caught.value)


# -- CSV -----------------------------------------------------------------------------------------

def test_a_row_without_a_code_is_kept_with_a_vietnamese_warning(tmp_path):
    catalogue = load_file(write(tmp_path, "danh-muc.csv", LIST))
    # the origin is data (the same in every language); messages show it in Vietnamese
    assert catalogue.procedures[0].origin == "danh-muc.csv, row 2"
    assert catalogue.warnings == (
        "danh-muc.csv, dòng 4: không có mã TTHC cho 'Chứng thực chữ ký người dịch'; vẫn giữ lại "
        "trong danh mục, đánh dấu là dòng thiếu mã (no-code)",)


def test_a_code_listed_twice_with_different_names(tmp_path):
    path = write(tmp_path, "danh-muc.csv", LIST + "1.001193,Thủ tục đăng ký khai tử,Hộ tịch,Cấp xã\n")
    assert refusal(path) == ("danh-muc.csv: mã 1.001193 xuất hiện hai lần với nội dung khác nhau: "
                             "dòng 2 'Thủ tục đăng ký khai sinh' và dòng 5 'Thủ tục đăng ký khai tử'")


def test_a_code_listed_twice_with_different_dates_shows_them_day_first(tmp_path):
    path = write(tmp_path, "danh-muc.csv", "Mã TTHC,Tên TTHC,Ngày hiệu lực\n"
                 "1.001193,Thủ tục đăng ký khai sinh,01/07/2026\n"
                 "1.001193,Thủ tục đăng ký khai sinh,15/12/2026\n")
    assert refusal(path) == ("danh-muc.csv: mã 1.001193 xuất hiện hai lần với nội dung khác nhau: "
                             "dòng 2 '01/07/2026' và dòng 3 '15/12/2026' (khác nhau ở cột Ngày hiệu lực)")


def test_a_code_in_force_and_abolished_quotes_the_statuses_as_a_list_writes_them(tmp_path):
    document = docx.Document()
    for rows in ([["Mã số TTHC", "Tên TTHC"], ["1.001193", "Đăng ký khai sinh"]],
                 [["Mã số TTHC", "Tên TTHC"], ["1.001193", "Đăng ký khai sinh"]]):
        table = document.add_table(rows=2, cols=2)
        for cell, text in zip(table._cells, [t for row in rows for t in row]):
            cell.text = text
        document.add_paragraph("B. DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ")
    document.save(tmp_path / "qd-1766.docx")
    assert refusal(tmp_path / "qd-1766.docx") == (
        "qd-1766.docx: mã 1.001193 xuất hiện hai lần với nội dung khác nhau: bảng 1, dòng 2 "
        "'Còn hiệu lực' và bảng 2, dòng 2 'Bãi bỏ' (khác nhau ở cột Tình trạng)")


def test_a_file_cut_off_in_the_middle_of_a_row(tmp_path):
    path = write(tmp_path, "danh-muc.csv", LIST + "1.000656,Thủ tục đăng ký kh")
    assert refusal(path) == ("danh-muc.csv, dòng 5: tệp kết thúc giữa dòng này (mới có 2/4 cột); "
                             "có vẻ tệp bị cắt cụt: hãy lấy lại toàn bộ tệp")


def test_a_file_cut_off_inside_a_quoted_cell(tmp_path):
    path = write(tmp_path, "danh-muc.csv", LIST + '1.000656,"Thủ tục đăng ký kh')
    assert refusal(path) == ("danh-muc.csv, dòng 5: tệp kết thúc ngay trong một ô đang mở dấu ngoặc "
                             "kép; có vẻ tệp bị cắt cụt: hãy lấy lại toàn bộ tệp")


@pytest.mark.parametrize("encoding, named, sample", [
    (TCVN3, "TCVN3 (ABC)", "M· TTHC,Tªn TTHC,LÜnh vùc,CÊp thùc hiÖn"),
    (VNI, "VNI", "vöïc,Caáp thöïc hieän"),
    (VISCII, "VISCII", "vñc,C¤p thñc hi®n"),
])
def test_a_legacy_encoded_file_is_refused_naming_its_encoding(tmp_path, encoding, named, sample):
    path = write(tmp_path, "danh-muc.csv", encode_legacy(LIST, encoding))
    message = refusal(path, LegacyEncodingError)
    assert message == (f"danh-muc.csv, dòng 1: văn bản đang dùng bảng mã cũ {named} ('{sample}'); "
                       "hãy lưu lại tệp dưới dạng Unicode (UTF-8) rồi nhập lại")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = write(tmp_path, "danh-muc.csv", "Mã TTHC,Tên TTHC\n1.001193,Đăng ký\n".encode("utf-16-le"))
    assert refusal(path) == ("danh-muc.csv: không phải văn bản UTF-8 (byte 0xE3 ở vị trí 2); hãy lưu "
                             "lại tệp dưới dạng Unicode (UTF-8) rồi nhập lại")


def test_a_wrong_delimiter_finds_no_table_and_says_which_headers_it_needs(tmp_path):
    path = write(tmp_path, "danh-muc.csv", "Mã TTHC|Tên TTHC\n1.001193|Thủ tục đăng ký khai sinh\n")
    assert refusal(path) == ("danh-muc.csv: không tìm thấy bảng danh mục TTHC; cần có các tiêu đề "
                             f"cột {HEADERS}")


def test_wrong_headers_find_no_table(tmp_path):
    path = write(tmp_path, "danh-muc.csv", "Số hiệu,Tiêu đề\n1.001193,Thủ tục đăng ký khai sinh\n")
    assert refusal(path) == ("danh-muc.csv: không tìm thấy bảng danh mục TTHC; cần có các tiêu đề "
                             f"cột {HEADERS}")


def test_a_bad_date(tmp_path):
    path = write(tmp_path, "danh-muc.csv",
                 "Mã TTHC,Tên TTHC,Ngày hiệu lực\n1.001193,Thủ tục đăng ký khai sinh,31/13/2026\n")
    assert refusal(path) == ("danh-muc.csv, dòng 2: cột 'Ngày hiệu lực': không phải ngày hợp lệ: "
                             "'31/13/2026' (hãy ghi theo dạng 28/11/2026 hoặc 2026-11-28)")


def test_an_unknown_status_and_an_unused_column(tmp_path):
    path = write(tmp_path, "danh-muc.csv", "Mã TTHC,Tên TTHC,Tình trạng,Đối tượng\n"
                 "1.001193,Thủ tục đăng ký khai sinh,Tạm ngưng,Công dân\n")
    assert refusal(path) == ("danh-muc.csv, dòng 2: cột 'Tình trạng': không hiểu tình trạng 'Tạm ngưng' "
                             "(hãy ghi 'Còn hiệu lực', 'Bãi bỏ' hoặc 'Được thay thế')")
    path = write(tmp_path, "danh-muc.csv", "Mã TTHC,Tên TTHC,Đối tượng\n"
                 "1.001193,Thủ tục đăng ký khai sinh,Công dân\n")
    assert load_file(path).warnings == ("danh-muc.csv: các cột không được đọc: 'Đối tượng'",)


def test_a_file_of_an_old_or_unknown_type(tmp_path):
    assert refusal(write(tmp_path, "danh-muc.xls", b"\xd0\xcf\x11\xe0"), SourceError) == (
        "danh-muc.xls: không đọc được định dạng cũ Excel 97-2003 (.xls); hãy mở tệp bằng Office hoặc "
        "LibreOffice rồi lưu lại dưới dạng .xlsx")
    assert refusal(write(tmp_path, "danh-muc.pdf", b"%PDF-1.4"), SourceError) == (
        "danh-muc.pdf: không hỗ trợ loại tệp '.pdf'; hãy dùng tệp .csv, .xlsx, .docx hoặc .json")
    assert refusal(tmp_path / "khong-co.csv", SourceError) == (
        f"{tmp_path / 'khong-co.csv'}: không tìm thấy tệp")


# -- XLSX and DOCX --------------------------------------------------------------------------------

def test_a_workbook_too_large_once_unpacked(tmp_path):
    bomb = xml_bomb(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b"<sheetData>", b"<row><c><v>1</v></c></row>", b"</sheetData></worksheet>", 1 << 30)
    path = write_zip(tmp_path / "danh-muc.xlsx", dict(workbook_parts(), **{SHEET: bomb}))
    assert refusal(path) == ("danh-muc.xlsx: phần 'xl/worksheets/sheet1.xml' khi giải nén sẽ lên tới "
                             "1,1 GB (tối đa 25 MB mỗi phần); đã từ chối vì có thể là tệp nén độc hại "
                             "(zip bomb)")


def test_a_document_compressed_like_a_bomb(tmp_path):
    bomb = xml_bomb(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                    b"<w:body>", b"<w:p/>", b"</w:body></w:document>", 8 << 20)
    path = write_zip(tmp_path / "qd-1766.docx", dict(document_parts(), **{DOCUMENT: bomb}))
    message = refusal(path)
    assert message.startswith("qd-1766.docx: phần 'word/document.xml' có tỉ lệ nén ")
    assert message.endswith(" giải nén thành 8,4 MB; tối đa 300:1); đã từ chối vì có thể là tệp nén "
                            "độc hại (zip bomb)")


def test_a_zip_of_too_many_parts_counts_them_the_vietnamese_way(tmp_path):
    path = tmp_path / "danh-muc.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for n in range(1001):
            z.writestr(f"p{n}", b"")
    assert refusal(path) == ("danh-muc.xlsx: có hơn 1.000 phần (1.001 phần, phần tiếp theo là "
                             "'p1000'); đã từ chối")


def test_a_docx_row_without_a_code_names_its_table_and_row(tmp_path):
    d = docx.Document()
    d.add_paragraph("DANH MỤC THỦ TỤC HÀNH CHÍNH CẤP XÃ")
    table = d.add_table(rows=3, cols=2)
    for cell, text in zip(table._cells, ["Mã TTHC", "Tên TTHC", "1.001193", "Thủ tục đăng ký khai sinh",
                                         "", "Thủ tục đăng ký khai tử"]):
        cell.text = text
    d.save(tmp_path / "qd-1766.docx")
    assert load_file(tmp_path / "qd-1766.docx").warnings == (
        "qd-1766.docx, bảng 1, dòng 3: không có mã TTHC cho 'Thủ tục đăng ký khai tử'; vẫn giữ lại "
        "trong danh mục, đánh dấu là dòng thiếu mã (no-code)",)


def test_a_file_that_is_not_a_workbook(tmp_path):
    message = refusal(write(tmp_path, "danh-muc.xlsx", "Mã TTHC,Tên TTHC\n"))
    assert message.startswith("danh-muc.xlsx: không đọc được bảng tính .xlsx này (")


# -- JSON ------------------------------------------------------------------------------------------

def test_a_json_that_is_not_a_catalogue(tmp_path):
    assert refusal(write(tmp_path, "danh-muc.json", '{"ten_file": "bao-cao", "so_trang": 3}')) == (
        "danh-muc.json: không phải danh mục thủ tục (không có 'data', không có thông tin thủ tục, "
        "không có danh sách thủ tục)")


def test_a_json_list_of_numbers_and_broken_json_lines(tmp_path):
    assert refusal(write(tmp_path, "danh-muc.json", "[1, 2]")) == (
        "danh-muc.json, mục 1: cần một đối tượng thủ tục nhưng nhận được số nguyên")
    lines = '{"code": "1.001193", "name": "Thủ tục đăng ký khai sinh"}\n{"code": "1.000894", "name"\n'
    assert refusal(write(tmp_path, "danh-muc.jsonl", lines)) == (
        "danh-muc.jsonl, dòng 2: không phải JSON hợp lệ (Expecting ':' delimiter)")


def test_a_saved_portal_error(tmp_path):
    path = write(tmp_path, "danh-muc.json", '{"code": "UNAUTHORIZED", "message": "Phiên đã hết hạn", "data": null}')
    assert refusal(path) == "danh-muc.json: Cổng DVC trả lời 'UNAUTHORIZED': Phiên đã hết hạn"


# -- the portal ------------------------------------------------------------------------------------

def test_the_firewall_page_from_the_portal(tmp_path):
    with FakePortal([KHAI_SINH], {KHAI_SINH["id"]: detail_for(KHAI_SINH)}) as server:
        server.always("detail", "html")
        with pytest.raises(SourceError) as caught:
            portal.fetch_catalogue(fast_session(attempts=2), server.url, province="H31")
        assert str(caught.value) == (
            f"{server.url}{DETAIL_PATH}: Cổng DVC trả về trang tường lửa thay cho dữ liệu (yêu cầu "
            "bị chặn) sau 2 lần thử; đã tải chi tiết 0/1 thủ tục; chưa lưu gì, cơ sở dữ liệu vẫn giữ "
            "nguyên")


def test_a_listing_that_stops_half_way_keeps_what_it_got(tmp_path):
    from qrproc.sources.cache import DetailCache

    items = [list_item(f"019d2bfd-3fe0-70ac-b9d6-{n:012x}", f"1.00{n:04d}", f"Thủ tục {n}")
             for n in range(1, 8)]
    with FakePortal(items, {i["id"]: detail_for(i) for i in items}) as server:
        server.plan("list", ("sleep", 0))
        server.always("list", 503)
        with pytest.raises(SourceError) as caught:
            portal.fetch_catalogue(fast_session(attempts=2), server.url, province="H31",
                                   cache=DetailCache(tmp_path / "cache"), limit=3)
        assert str(caught.value) == (
            f"{server.url}{portal.LIST_PATH}: HTTP 503 sau 2 lần thử; đã tải 1 trên khoảng 3 trang "
            "danh sách (phần đã tải được giữ trong bộ nhớ đệm: hãy chạy lại lệnh tải để tải tiếp); "
            "chưa lưu gì, cơ sở dữ liệu vẫn giữ nguyên")


@pytest.fixture(scope="module")
def hostile():
    with HostileServer() as s:
        yield s


def test_a_redirect_to_another_host(hostile):
    port = hostile.server.server_address[1]
    target = f"http://localhost:{port}/ok"
    url = f"{hostile.url}/redirect?to={target}"
    with pytest.raises(SourceError) as caught:
        http.post_json(fast_session(), url, {})
    assert str(caught.value) == (f"{url}: bị chuyển hướng tới {target}, thuộc máy chủ khác; không đi "
                                 "theo chuyển hướng này")


def test_an_answer_that_is_not_json(hostile):
    url = f"{hostile.url}/xml"
    with pytest.raises(ParseError) as caught:
        http.post_json(fast_session(), url, {})
    assert str(caught.value).startswith(f"{url}: cần dữ liệu JSON nhưng nhận được '<?xml")


def test_an_unknown_province_code():
    with pytest.raises(ValueError) as caught:
        portal.find_province("H99")
    assert str(caught.value) == ("'H99' không phải mã tỉnh: hãy nhập mã H (H31) hoặc mã số thống kê "
                                 "(33) của một trong 34 tỉnh, thành phố")


def test_the_scope_reason_in_the_readers_language_and_in_english_for_json(monkeypatch):
    verdict = scope.Verdict(False, scope.OUT_OTHER_PROVINCE, "Đà Nẵng")
    assert verdict.reason_text == "TTHC riêng của tỉnh khác (Đà Nẵng)"
    assert verdict.reason == "specific to another province (Đà Nẵng)"
    monkeypatch.setenv("QRPROC_LANG", "en")
    assert verdict.reason_text == "specific to another province (Đà Nẵng)"


# -- English on request ----------------------------------------------------------------------------

def test_english_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "en")
    path = write(tmp_path, "danh-muc.csv",
                 "Mã TTHC,Tên TTHC,Ngày hiệu lực\n1.001193,Thủ tục đăng ký khai sinh,31/13/2026\n")
    assert refusal(path) == ("danh-muc.csv, row 2: column 'Ngày hiệu lực': not a date: '31/13/2026' "
                             "(write it as 2026-11-28 or 28/11/2026)")
    path = write(tmp_path, "danh-muc.csv", encode_legacy(LIST, TCVN3))
    assert refusal(path, LegacyEncodingError).startswith(
        "danh-muc.csv, line 1: text is in the legacy TCVN3 encoding (")
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for n in range(1001):
            z.writestr(f"p{n}", b"")
    assert refusal(path) == "many.xlsx: more than 1,000 parts (1,001, the next is 'p1000'); refused"


def test_english_from_an_english_locale(tmp_path, monkeypatch):
    monkeypatch.delenv("QRPROC_LANG")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    path = write(tmp_path, "danh-muc.json", "[1, 2]")
    assert refusal(path) == "danh-muc.json, item 1: expected a procedure object, found int"
