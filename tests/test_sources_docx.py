"""DOCX annexes built with python-docx at test time, in the shape of real provincial decisions."""

import unicodedata
from datetime import date

import docx
import pytest

from qrproc.errors import LegacyEncodingError, ParseError
from qrproc.model import ABOLISHED, FLAG_NO_CODE, IN_FORCE
from qrproc.sources import docx_annex, load_file
from qrproc.sources.tabular import Defaults
from qrproc.vntext import TCVN3, encode_legacy


def add_table(document, rows, merges=()):
    """A table from rows of texts; `merges` are ((row, col), (row, col)) corner pairs."""
    width = max(len(r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    for row, texts in zip(table.rows, rows):  # row by row: table.cell() is slow on big tables
        cells = row.cells
        for c, text in enumerate(texts):
            if text:
                cells[c].text = text
    for (r1, c1), (r2, c2) in merges:
        table.cell(r1, c1).merge(table.cell(r2, c2))
    return table


def letterhead(document):
    add_table(document, [
        ["ỦY BAN NHÂN DÂN TỈNH BÌNH THUẬN\n--------",
         "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"],
        ["Số: 1766/QĐ-UBND", "Bình Thuận, ngày 03 tháng 8 năm 2020"],
    ])


PART_A_HEADER = ["TT", "Mã số TTHC", "Tên TTHC", "Thời hạn giải quyết (Ngày làm việc)",
                 "Cách thức thực hiện", "", "Địa điểm thực hiện", "Phí, lệ phí (vnđ) (nếu có)"]
PART_A_SUB = ["", "", "", "", "Mức độ DVC", "Thực hiện qua BCCI", "", ""]


def binh_thuan_annex(tmp_path):
    """Letterhead, body, annex part A (amended) and part B (abolished), 'Nơi nhận' box."""
    document = docx.Document()
    letterhead(document)
    document.add_paragraph("QUYẾT ĐỊNH")
    document.add_paragraph("Căn cứ Quyết định số 1329/QĐ-BTP ngày 01/6/2020 của Bộ Tư pháp về việc "
                           "công bố thủ tục hành chính được sửa đổi, bổ sung, bãi bỏ;")
    document.add_paragraph("Điều 1. Công bố kèm theo Quyết định này danh mục thủ tục hành chính.")
    add_table(document, [["Nơi nhận:\n- Như Điều 3;\n- Lưu: VT", "CHỦ TỊCH\nNguyễn Ngọc Hai"]])
    document.add_paragraph("PHỤ LỤC 01")
    document.add_paragraph("DANH MỤC THỦ TỤC HÀNH CHÍNH SỬA ĐỔI, BỔ SUNG, BÃI BỎ THUỘC PHẠM VI "
                           "CHỨC NĂNG QUẢN LÝ CỦA NGÀNH TƯ PHÁP TRÊN ĐỊA BÀN TỈNH")
    document.add_paragraph("A. DANH MỤC THỦ TỤC HÀNH CHÍNH SỬA ĐỔI, BỔ SUNG (4 TTHC)")
    add_table(document, [
        PART_A_HEADER,                                                      # row 1
        PART_A_SUB,                                                         # row 2
        ["I", "LĨNH VỰC CHỨNG THỰC (17 TTHC)"],                             # row 3
        ["I.1", "Thủ tục hành chính áp dụng chung (06 TTHC)"],              # row 4
        ["1", "2.000815", "Thủ tục chứng thực bản sao từ bản chính giấy tờ, văn bản",
         "Trong ngày", "2", "Không", "UBND cấp xã, UBND cấp huyện", "2.000 đồng/trang"],
        ["I.2", "Thủ tục hành chính cấp xã (05 TTHC)"],                     # row 6
        ["1", "2.001035", "Thủ tục chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản",
         "02 ngày", "2", "Không", "UBND cấp xã", "50.000 đồng/hợp đồng"],
        ["I. LĨNH VỰC HỘ TỊCH"],                                            # row 8
        ["1", "Không có mã số", "Đăng ký khai sinh lưu động", "05 ngày", "2", "Có",
         "UBND cấp xã", "Miễn"],
    ], merges=[((0, 4), (0, 5)),                                 # 'Cách thức thực hiện' over two
               ((0, 0), (1, 0)), ((0, 1), (1, 1)), ((0, 2), (1, 2)), ((0, 3), (1, 3)),
               ((0, 6), (1, 6)), ((0, 7), (1, 7)),               # the rest span both rows
               ((2, 1), (2, 7)), ((3, 1), (3, 7)), ((5, 1), (5, 7)),  # grouping rows
               ((7, 0), (7, 7))])                                # a grouping row merged whole
    document.add_paragraph("B. DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ (2 TTHC)")
    add_table(document, [
        ["TT", "Mã số TTHC", "Tên TTHC", "Ghi chú"],
        ["I", "LĨNH VỰC CHỨNG THỰC (02 TTHC)", "", ""],
        ["1", "2.001004", "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền",
         "TTHC bị bãi bỏ tại Quyết định số 1329/QĐ-BTP"],
        ["II", "LĨNH VỰC QUỐC TỊCH (01 TTHC)", "", ""],
        ["1", "1.004866", "Thủ tục thông báo có quốc tịch nước ngoài", ""],
    ], merges=[((1, 1), (1, 3)), ((3, 1), (3, 3))])
    path = tmp_path / "annex.docx"
    document.save(path)
    return path


@pytest.fixture
def annex(tmp_path):
    return docx_annex.load(binh_thuan_annex(tmp_path))


def test_every_procedure_table_is_read_in_order(annex):
    assert [p.code for p in annex.procedures] == ["2.000815", "2.001035", "", "2.001004", "1.004866"]
    assert annex.source == "annex.docx"


def test_grouping_rows_set_field_and_level(annex):
    fields = [(p.field, p.levels) for p in annex.procedures]
    assert fields == [("Chứng thực", ("shared",)), ("Chứng thực", ("commune",)), ("Hộ tịch", ()),
                      ("Chứng thực", ()), ("Quốc tịch", ())]


def test_merged_header_and_columns_after_it_line_up(annex):
    first = annex.procedures[0]
    assert (first.processing_time, first.agency, first.fees) == \
        ("Trong ngày", "UBND cấp xã, UBND cấp huyện", "2.000 đồng/trang")


def test_paragraph_heading_between_tables_marks_the_next_table_abolished(annex):
    assert [p.status for p in annex.procedures] == [IN_FORCE] * 3 + [ABOLISHED] * 2


def test_decision_number_and_date_come_from_the_letterhead(annex):
    assert {(p.decision, p.decision_date) for p in annex.procedures} == \
        {("1766/QĐ-UBND", date(2020, 8, 3))}


def test_row_without_code_is_kept_flagged_and_reported(annex):
    no_code = annex.procedures[2]
    assert (no_code.name, no_code.flags) == ("Đăng ký khai sinh lưu động", (FLAG_NO_CODE,))
    assert annex.warnings[0] == ("annex.docx, table 3 row 9: no procedure code for "
                                 "'Đăng ký khai sinh lưu động'; kept and flagged no-code")
    # the excerpt lists fewer rows than its headings state, and one header column is not read
    assert annex.warnings[1:3] == (
        "annex.docx: columns not used: 'Cách thức thực hiện'",
        "heading 'Thủ tục hành chính áp dụng chung (06 TTHC)' states 6 procedures; the table lists "
        "1 under it")


def test_origins_name_table_and_row(annex):
    assert [p.origin for p in annex.procedures] == [
        "annex.docx, table 3 row 5", "annex.docx, table 3 row 7", "annex.docx, table 3 row 9",
        "annex.docx, table 4 row 3", "annex.docx, table 4 row 5"]


def test_table_grid_blanks_horizontal_merges_and_repeats_vertical_ones():
    document = docx.Document()
    table = add_table(document, [PART_A_HEADER, PART_A_SUB],
                      merges=[((0, 4), (0, 5)), ((0, 0), (1, 0))])
    top, bottom = docx_annex.table_grid(table)
    assert top[4:6] == ["Cách thức thực hiện", ""]
    assert bottom[0] == "TT" and bottom[4:6] == ["Mức độ DVC", "Thực hiện qua BCCI"]


def test_annex_referring_to_its_decision(tmp_path):
    """Hà Giang's shape: no letterhead, 'Kèm theo Quyết định số …', level and field rows."""
    document = docx.Document()
    document.add_paragraph("Phần I.")
    document.add_paragraph("(Kèm theo Quyết định số 378/QĐ-UBND ngày 18 tháng 3 năm 2022 "
                           "của Chủ tịch UBND tỉnh Hà Giang)")
    document.add_paragraph("1. Danh mục thủ tục hành chính mới ban hành")
    add_table(document, [
        ["STT", "Mã TTHC gốc", "Tên thủ tục hành chính"],
        ["A.", "Danh mục thủ tục hành chính cấp tỉnh", ""],
        ["I.", "Lĩnh vực: Lưu thông hàng hóa trong nước", ""],
        ["1", "1.010696", "Cấp giấy tiếp nhận thông báo kinh doanh xăng dầu bằng thiết bị bán "
                          "xăng dầu quy mô nhỏ"],
    ])
    document.add_paragraph("2. Danh mục thủ tục hành chính sửa đổi, bổ sung")
    add_table(document, [
        ["STT", "Mã TTHC gốc", "Tên thủ tục hành chính",
         "Tên VBQPPL quy định nội dung sửa đổi, bổ sung"],
        ["A. Danh mục thủ tục hành chính cấp xã", "", "", ""],
        ["1", "2.000674", "Cấp Giấy xác nhận đủ điều kiện làm tổng đại lý kinh doanh xăng dầu",
         "Nghị định số 95/2021/NĐ-CP"],
    ], merges=[((1, 0), (1, 3))])
    path = tmp_path / "QD378.docx"
    document.save(path)
    catalogue = load_file(path)
    first, second = catalogue.procedures
    assert (first.code, first.field, first.levels) == \
        ("1.010696", "Lưu thông hàng hóa trong nước", ("province",))
    assert (second.field, second.levels) == ("", ("commune",))
    assert {(p.decision, p.decision_date) for p in catalogue.procedures} == \
        {("378/QĐ-UBND", date(2022, 3, 18))}


def test_table_continued_without_its_header(tmp_path):
    document = docx.Document()
    add_table(document, [["TT", "Mã số TTHC", "Tên TTHC"], ["1", "1.001193", "Đăng ký khai sinh"]])
    document.add_paragraph("")
    add_table(document, [["2", "1.000894", "Đăng ký kết hôn"]])
    path = tmp_path / "annex.docx"
    document.save(path)
    catalogue = docx_annex.load(path)
    assert [(p.code, p.origin) for p in catalogue.procedures] == [
        ("1.001193", "annex.docx, table 1 row 2"), ("1.000894", "annex.docx, table 2 row 1")]
    assert catalogue.procedures[0].decision == ""


def test_nfd_text_comes_out_nfc(tmp_path):
    nfd = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731
    document = docx.Document()
    add_table(document, [["TT", nfd("Mã số TTHC"), nfd("Tên TTHC")],
                         ["I", nfd("LĨNH VỰC HỘ TỊCH"), ""],
                         ["1", "1.001193", nfd("Thủ tục đăng ký khai sinh")]])
    path = tmp_path / "annex.docx"
    document.save(path)
    (proc,) = docx_annex.load(path).procedures
    assert (proc.name, proc.field) == ("Thủ tục đăng ký khai sinh", "Hộ tịch")


def test_conflicting_duplicate_across_tables_names_both_places(tmp_path):
    document = docx.Document()
    add_table(document, [["TT", "Mã số TTHC", "Tên TTHC"], ["1", "1.001193", "Đăng ký khai sinh"]])
    document.add_paragraph("B. DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ")
    add_table(document, [["TT", "Mã số TTHC", "Tên TTHC"], ["1", "1.001193", "Đăng ký khai sinh"]])
    path = tmp_path / "annex.docx"
    document.save(path)
    with pytest.raises(ParseError) as caught:
        docx_annex.load(path)
    assert str(caught.value) == ("annex.docx: code 1.001193 appears twice with different content: "
                                 "table 1 row 2 'in_force' and table 2 row 2 'abolished' "
                                 "(Tình trạng differs)")


def test_tcvn3_paragraph_is_refused(tmp_path):
    document = docx.Document()
    document.add_paragraph(encode_legacy("Cộng hòa xã hội chủ nghĩa Việt Nam", TCVN3).decode("cp1252"))
    add_table(document, [["TT", "Mã số TTHC", "Tên TTHC"], ["1", "1.001193", "Đăng ký khai sinh"]])
    path = tmp_path / "annex.docx"
    document.save(path)
    with pytest.raises(LegacyEncodingError) as caught:
        docx_annex.load(path)
    assert caught.value.where == "annex.docx, paragraph 1"
    assert caught.value.encoding == TCVN3


def test_document_without_procedure_table(tmp_path):
    document = docx.Document()
    letterhead(document)
    document.add_paragraph("QUYẾT ĐỊNH")
    path = tmp_path / "QD.docx"
    document.save(path)
    with pytest.raises(ParseError, match=r"^QD\.docx: no procedure table found; expected headers"):
        docx_annex.load(path)


def test_read_decision_ignores_cited_decisions():
    texts = ["Căn cứ Quyết định số 1217/QĐ-BTP ngày 22/5/2020 của Bộ Tư pháp;",
             "ỦY BAN NHÂN DÂN TỈNH BÌNH THUẬN -------- Số: 1766 /QĐ-UBND",
             "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Bình Thuận, ngày 3 tháng 8 năm 2020"]
    assert docx_annex.read_decision(texts) == Defaults("1766/QĐ-UBND", date(2020, 8, 3))
    assert docx_annex.read_decision(texts[:1]) == Defaults()
