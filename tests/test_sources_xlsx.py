"""XLSX workbooks built with openpyxl at test time: the portal's list export and annex tables."""

from datetime import date, datetime

import pytest
from openpyxl import Workbook

from qrproc.errors import LegacyEncodingError, ParseError
from qrproc.model import ABOLISHED, FLAG_NO_CODE, IN_FORCE
from qrproc.sources import load_file, xlsx
from qrproc.vntext import VNI, encode_legacy

EXPORT_COLUMNS = ["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Đối tượng", "Cơ quan công khai",
                  "Cấp thực hiện", "Tình trạng", "QĐ Công bố"]


def save(workbook, tmp_path, name="list.xlsx"):
    path = tmp_path / name
    workbook.save(path)
    return path


def portal_export(tmp_path):
    """The national portal's list export: two title rows, a two-row merged header, data."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách TTHC"
    ws.append(["DANH SÁCH THỦ TỤC HÀNH CHÍNH"])
    ws.merge_cells("A1:I1")
    ws.append(["Cơ quan: UBND tỉnh Hưng Yên"])
    ws.merge_cells("A2:I2")
    ws.append(["STT", "Thông tin thủ tục", None] + EXPORT_COLUMNS[2:])
    ws.append([None, "Mã TTHC", "Tên TTHC"])
    ws.merge_cells("B3:C3")  # 'Thông tin thủ tục' spans code and name
    for col in "ADEFGHI":  # the other header cells span both header rows
        ws.merge_cells(f"{col}3:{col}4")
    ws.append([1, "1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", "Công dân Việt Nam",
               "Ủy ban nhân dân cấp xã", "Cấp Xã", "Còn hiệu lực", "163/QĐ-BTP"])
    ws.append([2, "2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", "Công dân Việt Nam",
               "Ủy ban nhân dân cấp xã", "Cấp Xã, Cấp Tỉnh", "Còn hiệu lực",
               "1766/QĐ-UBND ngày 03/08/2020"])
    ws.append([3, "1.004866", "Thủ tục thông báo có quốc tịch nước ngoài", "Quốc tịch",
               "Công dân Việt Nam", "Sở Tư pháp", "Cấp Tỉnh", "Hết hiệu lực", ""])
    return save(wb, tmp_path)


def test_portal_export_with_title_rows_and_merged_two_row_header(tmp_path):
    catalogue = xlsx.load(portal_export(tmp_path))
    assert catalogue.source == "list.xlsx"
    first, second, third = catalogue.procedures
    assert (first.code, first.name, first.field, first.agency, first.levels, first.status,
            first.decision) == ("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch",
                                "Ủy ban nhân dân cấp xã", ("commune",), IN_FORCE, "163/QĐ-BTP")
    assert first.origin == "list.xlsx, row 5"
    assert second.levels == ("commune", "province")
    assert (second.decision, second.decision_date) == ("1766/QĐ-UBND", date(2020, 8, 3))
    assert third.status == ABOLISHED
    assert catalogue.warnings == ("list.xlsx: columns not used: 'Đối tượng'",)


def test_load_file_reads_xlsx(tmp_path):
    assert [p.code for p in load_file(portal_export(tmp_path)).procedures] == \
        ["1.001193", "2.000815", "1.004866"]


def annex_workbook(tmp_path):
    """An annex table typed into Excel: 'Cách thức thực hiện' merged over two sub-columns,
    grouping rows merged across the table."""
    wb = Workbook()
    ws = wb.active
    ws.append(["TT", "Mã số TTHC", "Tên TTHC", "Thời hạn giải quyết (Ngày làm việc)",
               "Cách thức thực hiện", None, "Địa điểm thực hiện", "Phí, lệ phí (vnđ) (nếu có)"])
    ws.append([None, None, None, None, "Mức độ DVC", "Thực hiện qua BCCI"])
    ws.merge_cells("E1:F1")
    for col in "ABCDGH":
        ws.merge_cells(f"{col}1:{col}2")
    ws.append(["I", "LĨNH VỰC CHỨNG THỰC (17 TTHC)"])
    ws.merge_cells("B3:H3")
    ws.append(["I.1", "Thủ tục hành chính cấp xã (05 TTHC)"])
    ws.merge_cells("B4:H4")
    ws.append([1, 2.00081, "Thủ tục chứng thực bản sao", "Trong ngày", 2, "Không",
               "UBND cấp xã", "2.000 đồng/trang"])
    ws.append(["II. LĨNH VỰC HỘ TỊCH"])
    ws.merge_cells("A6:H6")
    ws.append([1, "Không có mã số", "Đăng ký khai sinh lưu động", "05 ngày", 2, "Có",
               "UBND cấp xã", "Miễn"])
    return save(wb, tmp_path, "annex.xlsx")


def test_merged_sub_columns_and_merged_grouping_rows(tmp_path):
    catalogue = xlsx.load(annex_workbook(tmp_path))
    first, second = catalogue.procedures
    assert (first.code, first.field, first.levels, first.processing_time, first.agency,
            first.fees) == ("2.000810", "Chứng thực", ("commune",), "Trong ngày", "UBND cấp xã",
                            "2.000 đồng/trang")
    assert (second.code, second.field, second.flags) == ("", "Hộ tịch", (FLAG_NO_CODE,))
    assert catalogue.warnings == (
        "annex.xlsx, row 7: no procedure code for 'Đăng ký khai sinh lưu động'; "
        "kept and flagged no-code",
        "annex.xlsx: columns not used: 'Cách thức thực hiện'",
        # the headings state counts of the full annex; this excerpt lists one row under each
        "heading 'Thủ tục hành chính cấp xã (05 TTHC)' states 5 procedures; the table lists 1 "
        "under it",
        "heading 'LĨNH VỰC CHỨNG THỰC (17 TTHC)' states 17 procedures; the table lists 1 under it")


def test_first_sheet_holding_a_table_is_used(tmp_path):
    wb = Workbook()
    wb.active.title = "Ghi chú"
    wb.active.append(["Danh sách cập nhật tháng 11"])
    ws = wb.create_sheet("TTHC cấp xã")
    ws.append(["Ma TTHC", "Ten TTHC", "Ngay hieu luc"])
    ws.append(["1.001193", "Thủ tục đăng ký khai sinh", datetime(2025, 7, 1)])
    catalogue = xlsx.load(save(wb, tmp_path))
    (proc,) = catalogue.procedures
    assert proc.effective == date(2025, 7, 1)
    assert proc.origin == "list.xlsx, sheet 'TTHC cấp xã', row 2"
    assert catalogue.source == "list.xlsx"


def test_workbook_without_a_table(tmp_path):
    wb = Workbook()
    wb.active.append(["Số", "Nội dung"])
    with pytest.raises(ParseError, match=r"^list\.xlsx: no procedure table found; expected headers "
                                         r"'Mã TTHC' and 'Tên TTHC'"):
        xlsx.load(save(wb, tmp_path))


def test_vni_text_in_cells_is_refused(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(EXPORT_COLUMNS[:3])
    vni = encode_legacy("Thủ tục đăng ký khai sinh", VNI).decode("cp1252")
    ws.append(["1.001193", vni, encode_legacy("Hộ tịch", VNI).decode("cp1252")])
    with pytest.raises(LegacyEncodingError) as caught:
        xlsx.load(save(wb, tmp_path))
    assert (caught.value.encoding, caught.value.where) == (VNI, "list.xlsx, row 2")


def test_not_a_workbook(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_text("Mã TTHC,Tên TTHC\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"^list\.xlsx: not a readable \.xlsx workbook \("):
        xlsx.load(path)
