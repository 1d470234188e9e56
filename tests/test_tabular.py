"""The shared table core: header finding, headings, flags, duplicates, column mapping."""

import unicodedata
from datetime import date

import pytest

from qrproc.errors import LegacyEncodingError, ParseError
from qrproc.model import ABOLISHED, FLAG_CODE_FIXED, FLAG_NO_CODE, IN_FORCE, REPLACED
from qrproc.sources.columns import expected_headers
from qrproc.sources.tabular import (
    GroupState,
    NoTableError,
    apply_heading,
    find_decision,
    find_header,
    parse_table,
    sentence_case,
    split_decision,
)
from qrproc.vntext import TCVN3, encode_legacy

HEADER = ["STT", "Mã TTHC", "Tên TTHC", "Lĩnh vực"]


def by_code(catalogue):
    return {p.code: p for p in catalogue.procedures}


# --- header -----------------------------------------------------------------------------------


def test_header_without_diacritics_in_another_order():
    rows = [["Ten thu tuc", "linh vuc", "MA SO TTHC", "cap thuc hien"],
            ["Đăng ký khai sinh", "Hộ tịch", "1.001193", "Cấp xã"]]
    (proc,) = parse_table(rows, "list.csv").procedures
    assert (proc.code, proc.name, proc.field, proc.levels) == \
        ("1.001193", "Đăng ký khai sinh", "Hộ tịch", ("commune",))


def test_title_rows_above_the_header_are_skipped():
    rows = [["ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN"], ["DANH SÁCH THỦ TỤC HÀNH CHÍNH"], [],
            HEADER, ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch"]]
    catalogue = parse_table(rows, "list.csv")
    assert [p.origin for p in catalogue.procedures] == ["list.csv, row 5"]


def test_no_recognisable_header_names_the_expected_headers():
    rows = [["Số", "Nội dung"], ["1", "Đăng ký khai sinh"]]
    with pytest.raises(NoTableError) as caught:
        parse_table(rows, "list.csv")
    assert str(caught.value) == f"list.csv: no procedure table found; expected headers {expected_headers()}"
    assert str(caught.value).startswith(
        "list.csv: no procedure table found; expected headers 'Mã TTHC' and 'Tên TTHC' (")


def test_header_is_only_searched_near_the_top():
    rows = [["tiêu đề"]] * 20 + [HEADER, ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch"]]
    with pytest.raises(NoTableError):
        parse_table(rows, "list.csv")
    assert len(parse_table(rows, "list.csv", header_search=25).procedures) == 1


def test_two_row_header_with_a_merged_top_cell():
    # 'Cách thức thực hiện' spans two columns; code and name sit under 'Thông tin thủ tục'
    rows = [
        ["TT", "Thông tin thủ tục", "", "Cách thức thực hiện", "", "Địa điểm thực hiện",
         "Phí, lệ phí (vnđ) (nếu có)"],
        ["", "Mã số TTHC", "Tên TTHC", "Mức độ DVC", "Thực hiện qua BCCI", "", ""],
        ["1", "2.000815", "Chứng thực bản sao từ bản chính", "2", "Không", "UBND cấp xã",
         "2.000 đồng/trang"],
    ]
    header = find_header(rows)
    assert (header.first_row, header.last_row) == (0, 1)
    assert header.columns["code"] == 1 and header.columns["agency"] == 5
    (proc,) = parse_table(rows, "annex.csv").procedures
    assert (proc.code, proc.agency, proc.fees) == ("2.000815", "UBND cấp xã", "2.000 đồng/trang")
    assert proc.origin == "annex.csv, row 3"


def test_second_header_row_of_sub_columns_is_not_a_procedure():
    rows = [
        ["TT", "Mã số TTHC", "Tên TTHC", "Cách thức thực hiện", "", "Địa điểm thực hiện"],
        ["", "", "", "Mức độ DVC", "Thực hiện qua BCCI", ""],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
        ["1", "2.000815", "Chứng thực bản sao", "2", "Không", "UBND cấp xã"],
    ]
    catalogue = parse_table(rows, "annex.csv")
    assert [p.code for p in catalogue.procedures] == ["2.000815"]
    assert catalogue.warnings == ("annex.csv: columns not used: 'Cách thức thực hiện'",)


def test_header_repeated_on_a_new_page_is_skipped():
    rows = [HEADER, ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch"], HEADER,
            ["2", "1.000894", "Đăng ký kết hôn", "Hộ tịch"]]
    assert [p.code for p in parse_table(rows, "list.csv").procedures] == ["1.001193", "1.000894"]


# --- headings ---------------------------------------------------------------------------------


def test_grouping_rows_set_the_field_in_all_their_forms():
    rows = [
        ["TT", "Mã số TTHC", "Tên TTHC"],
        ["I", "LĨNH VỰC CHỨNG THỰC (17 TTHC)", ""],
        ["1", "2.000815", "Chứng thực bản sao"],
        ["II.", "Lĩnh vực: Lưu thông hàng hóa trong nước", ""],
        ["1", "1.010696", "Cấp giấy tiếp nhận thông báo kinh doanh xăng dầu"],
        ["I. LĨNH VỰC HỘ TỊCH", "I. LĨNH VỰC HỘ TỊCH", "I. LĨNH VỰC HỘ TỊCH"],  # merged
        ["1", "1.001193", "Đăng ký khai sinh"],
        ["", "LĨNH VỰC ĐĂNG KÝ BIỆN PHÁP BẢO ĐẢM (09 TTHC)", ""],
        ["1", "1.004583", "Đăng ký thế chấp quyền sử dụng đất"],
    ]
    catalogue = parse_table(rows, "annex.csv")
    assert [(p.code, p.field) for p in catalogue.procedures] == [
        ("2.000815", "Chứng thực"),
        ("1.010696", "Lưu thông hàng hóa trong nước"),
        ("1.001193", "Hộ tịch"),
        ("1.004583", "Đăng ký biện pháp bảo đảm"),
    ]
    # the headings state the full annex's counts; this excerpt lists one row under each
    assert catalogue.warnings == (
        "heading 'LĨNH VỰC CHỨNG THỰC (17 TTHC)' states 17 procedures; the table lists 1 under it",
        "heading 'LĨNH VỰC ĐĂNG KÝ BIỆN PHÁP BẢO ĐẢM (09 TTHC)' states 9 procedures; the table "
        "lists 1 under it")


def test_a_field_column_wins_over_the_heading():
    rows = [HEADER, ["I", "LĨNH VỰC HỘ TỊCH"], ["1", "1.001193", "Đăng ký khai sinh", ""],
            ["2", "2.000815", "Chứng thực bản sao", "Chứng thực"]]
    assert [p.field for p in parse_table(rows, "list.csv").procedures] == ["Hộ tịch", "Chứng thực"]


def test_sub_groups_set_the_level():
    rows = [
        ["TT", "Mã số TTHC", "Tên TTHC"],
        ["I", "LĨNH VỰC CHỨNG THỰC (17 TTHC)"],
        ["I.1", "Thủ tục hành chính áp dụng chung (06 TTHC)"],
        ["1", "2.000815", "Chứng thực bản sao"],
        ["I.2", "Thủ tục hành chính cấp xã (05 TTHC)"],
        ["1", "2.001035", "Chứng thực hợp đồng"],
        ["I.3", "Thủ tục hành chính dùng chung cho cấp tỉnh và cấp xã"],
        ["1", "1.004583", "Đăng ký thế chấp"],
    ]
    levels = {p.code: p.levels for p in parse_table(rows, "annex.csv").procedures}
    assert levels == {"2.000815": ("shared",), "2.001035": ("commune",),
                      "1.004583": ("province", "commune")}


def test_a_level_column_wins_over_the_sub_group():
    rows = [HEADER + ["Cấp thực hiện"], ["A.", "Thủ tục hành chính cấp xã"],
            ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch", "Cấp tỉnh"]]
    assert parse_table(rows, "list.csv").procedures[0].levels == ("province",)


def test_abolished_part_marks_the_procedures_below():
    rows = [
        ["TT", "Mã số TTHC", "Tên TTHC", "Ghi chú"],
        ["A. DANH MỤC THỦ TỤC HÀNH CHÍNH SỬA ĐỔI, BỔ SUNG (2 TTHC)"] * 4,
        ["1", "2.000815", "Chứng thực bản sao", ""],
        ["B.", "DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ (1 TTHC)", "", ""],
        ["I", "LĨNH VỰC QUỐC TỊCH (01 TTHC)", "", ""],
        ["1", "1.004866", "Thủ tục thông báo có quốc tịch nước ngoài", "TTHC cấp tỉnh"],
    ]
    procs = by_code(parse_table(rows, "annex.csv"))
    assert procs["2.000815"].status == IN_FORCE
    assert procs["1.004866"].status == ABOLISHED
    assert procs["1.004866"].field == "Quốc tịch"


def test_title_above_the_header_can_say_the_whole_list_is_abolished():
    abolished = [["DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ"], HEADER,
                 ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch"]]
    mixed = [["DANH MỤC THỦ TỤC HÀNH CHÍNH ĐƯỢC SỬA ĐỔI, BỔ SUNG, BÃI BỎ"], HEADER,
             ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch"]]
    assert parse_table(abolished, "list.csv").procedures[0].status == ABOLISHED
    assert parse_table(mixed, "list.csv").procedures[0].status == IN_FORCE


@pytest.mark.parametrize("text, field, levels, status", [
    ("LĨNH VỰC HỘ TỊCH", "Hộ tịch", (), IN_FORCE),
    ("I. LĨNH VỰC HỘ TỊCH", "Hộ tịch", (), IN_FORCE),
    ("Lĩnh vực: Hộ tịch", "Hộ tịch", (), IN_FORCE),
    ("LĨNH VỰC CHỨNG THỰC (17 TTHC)", "Chứng thực", (), IN_FORCE),
    ("Thủ tục hành chính cấp xã", "", ("commune",), IN_FORCE),
    ("A. Danh mục thủ tục hành chính cấp tỉnh", "", ("province",), IN_FORCE),
    ("B. DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ", "", (), ABOLISHED),
])
def test_apply_heading(text, field, levels, status):
    state = GroupState()
    assert apply_heading(text, state)
    assert (state.field, state.levels, state.status) == (field, levels, status)


@pytest.mark.parametrize("text", [
    "Điều 1. Công bố kèm theo Quyết định này danh mục thủ tục hành chính",
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015",
    "Đăng ký khai sinh",
    "PHỤ LỤC 01",
])
def test_body_text_is_not_a_heading(text):
    state = GroupState()
    assert not apply_heading(text, state)
    assert state == GroupState()


def test_sentence_case():
    assert sentence_case("ĐĂNG KÝ BIỆN PHÁP BẢO ĐẢM") == "Đăng ký biện pháp bảo đảm"
    assert sentence_case("Lưu thông hàng hóa") == "Lưu thông hàng hóa"


# --- flags and warnings -----------------------------------------------------------------------


def test_row_without_code_is_kept_and_flagged():
    rows = [["TT", "Mã số TTHC", "Tên TTHC", "Ghi chú"],
            ["11", "", "Chuyển đổi công ty luật trách nhiệm hữu hạn", "Cấp tỉnh"],
            ["2", "Không có mã số", "Chứng thực chữ ký trong các giấy tờ, văn bản", ""]]
    catalogue = parse_table(rows, "list.csv")
    assert [(p.code, p.flags) for p in catalogue.procedures] == [("", (FLAG_NO_CODE,))] * 2
    assert catalogue.coded == ()
    assert catalogue.warnings == (
        "list.csv, row 2: no procedure code for 'Chuyển đổi công ty luật trách nhiệm hữu hạn'; "
        "kept and flagged no-code",
        "list.csv, row 3: no procedure code for 'Chứng thực chữ ký trong các giấy tờ, văn bản'; "
        "kept and flagged no-code",
    )


def test_noisy_code_is_fixed_and_flagged():
    rows = [HEADER, ["1", "1.0133611", "Cấp phép thi công nút giao", "Đường bộ"],
            ["2", "1.014955-Xoa", "Hỗ trợ đổi mới công nghệ", "Khoa học"]]
    catalogue = parse_table(rows, "list.csv")
    assert [(p.code, p.flags) for p in catalogue.procedures] == [
        ("1.013361", (FLAG_CODE_FIXED,)), ("1.014955", (FLAG_CODE_FIXED,))]
    assert catalogue.warnings[0] == \
        "list.csv, row 2: code '1.0133611' read as 1.013361; flagged code-fixed, check it"


def test_local_code_is_kept_whole():
    rows = [HEADER, ["1", "1.001193.000.00.00.H35", "Đăng ký khai sinh", "Hộ tịch"]]
    assert parse_table(rows, "list.csv").procedures[0].code == "1.001193.000.00.00.H35"


def test_code_without_name_is_skipped_with_a_warning():
    rows = [HEADER, ["1", "1.001193", "", "Hộ tịch"]]
    catalogue = parse_table(rows, "list.csv")
    assert catalogue.procedures == ()
    assert catalogue.warnings == ("list.csv, row 2: code 1.001193 has no name; row skipped",)


# --- duplicates -------------------------------------------------------------------------------


def test_identical_duplicates_are_merged_silently():
    row = ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch"]
    catalogue = parse_table([HEADER, row, row, ["2", "1.000894", "Đăng ký kết hôn", "Hộ tịch"],
                             row], "list.csv")
    assert [p.code for p in catalogue.procedures] == ["1.001193", "1.000894"]
    assert catalogue.procedures[0].origin == "list.csv, row 2"
    assert catalogue.warnings == ()


def test_conflicting_duplicate_names_both_rows():
    rows = [HEADER, ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch"],
            ["2", "1.000894", "Đăng ký kết hôn", "Hộ tịch"],
            ["3", "1.001193", "Đăng ký khai tử", "Hộ tịch"]]
    with pytest.raises(ParseError) as caught:
        parse_table(rows, "list.csv")
    assert str(caught.value) == ("list.csv: code 1.001193 appears twice with different content: "
                                 "row 2 'Đăng ký khai sinh' and row 4 'Đăng ký khai tử'")


def test_conflict_in_another_column_says_which():
    rows = [HEADER, ["1", "1.001193", "Đăng ký khai sinh", "Hộ tịch"],
            ["2", "1.001193", "Đăng ký khai sinh", "Chứng thực"]]
    with pytest.raises(ParseError, match=r"row 2 'Hộ tịch' and row 3 'Chứng thực' \(Lĩnh vực differs\)"):
        parse_table(rows, "list.csv")


def test_a_fixed_code_that_clashes_loses_its_code():
    rows = [HEADER, ["1", "1.013361", "Phê duyệt giá dịch vụ truyền tải điện", "Điện"],
            ["2", "1.0133611", "Cấp phép thi công nút giao", "Đường bộ"]]
    catalogue = parse_table(rows, "list.csv")
    assert [(p.code, p.name) for p in catalogue.procedures] == [
        ("1.013361", "Phê duyệt giá dịch vụ truyền tải điện"), ("", "Cấp phép thi công nút giao")]
    assert FLAG_NO_CODE in catalogue.procedures[1].flags
    assert catalogue.warnings[-1] == (
        "list.csv, row 3: code 1.013361 is also used by row 2 for "
        "'Phê duyệt giá dịch vụ truyền tải điện'; kept without a code, check it")


# --- columns ----------------------------------------------------------------------------------


def test_status_date_decision_and_other_columns_map_to_fields():
    rows = [["Mã TTHC", "Tên TTHC", "Tình trạng", "Ngày hiệu lực", "Thay thế bởi", "QĐ Công bố",
             "ID", "Thời hạn giải quyết", "Phí, lệ phí", "Cơ quan thực hiện"],
            ["1.001193", "Đăng ký khai sinh", "Còn hiệu lực", "01/07/2025", "",
             "163/QĐ-BTP ngày 16/01/2026", "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7",
             "1 ngày làm việc", "Miễn lệ phí", "UBND cấp xã"],
            ["1.000894", "Đăng ký kết hôn", "Được thay thế", "2025-07-01", "1.013999", "1766/QĐ-UBND",
             "", "", "", ""],
            ["2.000815", "Chứng thực bản sao", "Bãi bỏ", "", "", "", "", "", "", ""]]
    procs = by_code(parse_table(rows, "list.csv"))
    first = procs["1.001193"]
    assert (first.status, first.effective, first.decision, first.decision_date) == \
        (IN_FORCE, date(2025, 7, 1), "163/QĐ-BTP", date(2026, 1, 16))
    assert (first.portal_id, first.processing_time, first.fees, first.agency) == \
        ("019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7", "1 ngày làm việc", "Miễn lệ phí", "UBND cấp xã")
    assert (procs["1.000894"].status, procs["1.000894"].replaced_by) == (REPLACED, "1.013999")
    assert (procs["1.000894"].decision, procs["1.000894"].decision_date) == ("1766/QĐ-UBND", None)
    assert procs["2.000815"].status == ABOLISHED


def test_bad_date_names_row_and_column():
    rows = [["Mã TTHC", "Tên TTHC", "Ngày hiệu lực"], ["1.001193", "Đăng ký khai sinh", "sắp tới"]]
    with pytest.raises(ParseError) as caught:
        parse_table(rows, "list.csv")
    assert str(caught.value) == ("list.csv, row 2: column 'Ngày hiệu lực': not a date: 'sắp tới' "
                                 "(write it as 2026-11-28 or 28/11/2026)")


def test_bad_status_names_row_and_column():
    rows = [["Mã TTHC", "Tên TTHC", "Tình trạng"], ["1.001193", "Đăng ký khai sinh", "Tạm dừng"]]
    with pytest.raises(ParseError, match=r"^list\.csv, row 2: column 'Tình trạng': unknown status 'Tạm dừng'"):
        parse_table(rows, "list.csv")


def test_nfd_cells_come_out_nfc():
    nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
    rows = [[nfd(h) for h in HEADER], ["1", "1.001193", nfd("Đăng ký khai sinh"), nfd("Hộ tịch")]]
    (proc,) = parse_table(rows, "list.csv").procedures
    assert proc.name == "Đăng ký khai sinh" and proc.field == "Hộ tịch"
    assert unicodedata.is_normalized("NFC", proc.name)


def test_legacy_encoded_row_is_refused_naming_the_row():
    mojibake = encode_legacy("Thủ tục đăng ký khai sinh", TCVN3).decode("cp1252")
    rows = [HEADER, ["1", "1.000894", "Đăng ký kết hôn", "Hộ tịch"],
            ["2", "1.001193", mojibake, "Hé tÞch"]]
    with pytest.raises(LegacyEncodingError) as caught:
        parse_table(rows, "list.csv")
    assert caught.value.where == "list.csv, row 3"
    assert caught.value.encoding == TCVN3


def test_split_decision():
    assert split_decision("1766 /QĐ-UBND ngày 03/8/2020") == ("1766/QĐ-UBND", date(2020, 8, 3))
    assert split_decision("Quyết định số 378/QĐ-UBND ngày 18 tháng 3 năm 2022") == \
        ("378/QĐ-UBND", date(2022, 3, 18))
    assert split_decision("Chưa công bố") == ("Chưa công bố", None)
    assert find_decision("Chưa công bố") == ("", None)
