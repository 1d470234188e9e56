"""Every importer on fixtures in the shapes of real public files (issue 9): what a commune
receives, per-row lifecycle, the file's own links, fees as stated, and the real shapes that
were refused or misread before. Each scenario goes through the real file readers and the real
registry, and counts what an officer would count by hand."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path

import docx
import pytest

from qrproc import board, scope
from qrproc.catalogue import catalogue_on, import_catalogue
from qrproc.errors import ImportRefused, ParseError
from qrproc.model import ABOLISHED, FLAG_CODE_FIXED, FLAG_NAME_BROKEN, IN_FORCE, REPLACED
from qrproc.registry import Registry
from qrproc.sources import load_file

from conftest import AT
from test_sources_docx import add_table

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import annex_qd1766  # noqa: E402  (the fixture module sits beside the JSON fixtures)

FIXTURES = Path(__file__).parent / "fixtures"
SIGNED = date(2020, 8, 3)


def registry(province="H31", unit="UBND xã Mẫu", **settings) -> Registry:
    reg = Registry(":memory:")
    reg.set_settings({"unit": unit, "province": province, **settings}, at=AT)
    return reg


def in_scope(reg: Registry, day: date) -> set[str]:
    view = catalogue_on(reg, day)
    return {p.code for p in view.included if p.code and p.applies_on(day)}


# -- a provincial decision annex (DOCX) ------------------------------------------------------------

A_HEADER = ["TT", "Mã số TTHC", "Tên TTHC", "Thời hạn giải quyết (Ngày làm việc)",
            "Cách thức thực hiện", "", "Địa điểm thực hiện", "Phí, lệ phí (vnđ) (nếu có)",
            "Căn cứ pháp lý"]
A_SUB = ["", "", "", "", "Mức độ DVC", "Thực hiện qua BCCI", "", "", ""]


def decision_annex(path: Path, *, effective_article: str | None) -> Path:
    """QĐ 1766/QĐ-UBND of Bình Thuận as a DOCX: letterhead, articles, Phụ lục 01 parts A and B."""
    document = docx.Document()
    add_table(document, [
        ["ỦY BAN NHÂN DÂN TỈNH BÌNH THUẬN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        ["Số: 1766/QĐ-UBND", "Bình Thuận, ngày 3 tháng 8 năm 2020"]])
    document.add_paragraph("QUYẾT ĐỊNH")
    document.add_paragraph("Về việc công bố danh mục thủ tục hành chính được sửa đổi, bổ sung, bãi bỏ "
                           "thuộc phạm vi chức năng quản lý của ngành Tư pháp trên địa bàn tỉnh")
    document.add_paragraph("Điều 1. Công bố kèm theo Quyết định này danh mục thủ tục hành chính.")
    if effective_article:
        document.add_paragraph(effective_article)
    document.add_paragraph("Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc Sở Tư pháp chịu "
                           "trách nhiệm thi hành Quyết định này./.")
    add_table(document, [["Nơi nhận: - Như Điều 3; - Lưu: VT", "CHỦ TỊCH Nguyễn Ngọc Hai"]])
    document.add_paragraph("PHỤ LỤC 01")
    document.add_paragraph("A. DANH MỤC THỦ TỤC HÀNH CHÍNH SỬA ĐỔI, BỔ SUNG (51 TTHC)")
    rows = [A_HEADER, A_SUB]
    for n, row in enumerate(annex_qd1766.PART_A, 1):
        if len(row) == 2:
            rows.append([row[0], row[1]])
        else:
            code, name, time, place, fee = row
            rows.append([str(n), code, name, time, "2", "Không", place, fee, "Nghị định số 23/2015/NĐ-CP"])
    add_table(document, rows, merges=[((0, 4), (0, 5))])
    document.add_paragraph("B. DANH MỤC THỦ TỤC HÀNH CHÍNH BỊ BÃI BỎ (21 TTHC)")
    rows = [["TT", "Mã số TTHC", "Tên TTHC", "Ghi chú"]]
    for n, row in enumerate(annex_qd1766.PART_B, 1):
        rows.append([row[0], row[1]] if len(row) == 2 else [str(n), *row])
    add_table(document, rows)
    document.save(path)
    return path


@pytest.fixture
def annex(tmp_path):
    return decision_annex(tmp_path / "qd-1766.docx",
                          effective_article="Điều 2. Quyết định này có hiệu lực kể từ ngày ký ban hành.")


def test_an_annex_gives_the_commune_only_its_groups(annex):
    cat = load_file(annex)
    assert len(cat.procedures) == 71
    assert (cat.decision, cat.decision_date, cat.effective) == ("1766/QĐ-UBND", SIGNED, SIGNED)
    assert cat.effective_clause == "có hiệu lực kể từ ngày ký ban hành"
    reg = registry(province="H36", unit="UBND xã Hàm Đức")
    out = import_catalogue(reg, cat, at=AT)
    assert (out.snapshot.effective, out.plan.effective_source) == (SIGNED, "clause")
    # 6 "áp dụng chung" + 5 "cấp xã" of part A; everything else is kept and says why it is out
    assert out.plan.counts == {"in_force": 11, "announced": 0, "abolished": 0, "no_code": 0,
                               "out_of_scope": 60}
    assert out.plan.split.counts_out() == {"province_level": 34, "district_level": 5, "no_level": 21}
    d = board.board_diff(reg, date(2020, 8, 3))
    assert len(d.to_post) == 11 and len(d.out_of_scope) == 60
    assert {i.procedure.levels for i in d.to_post} == {("shared",), ("commune",)}
    rep = board.coverage_report(reg, date(2020, 8, 3))
    assert (rep.coverage.applicable, rep.coverage.posted) == (11, 0)
    assert rep.denominator.endswith(
        "; không tính 60 TTHC ngoài phạm vi của danh mục (34 TTHC cấp tỉnh, 5 TTHC cấp huyện, 21 nguồn "
        "không ghi cấp thực hiện)")


def test_an_annex_checks_the_counts_its_headings_state(annex):
    warnings = load_file(annex).warnings
    assert ("heading 'DANH MỤC THỦ TỤC HÀNH CHÍNH SỬA ĐỔI, BỔ SUNG (51 TTHC)' states 51 procedures; "
            "the table lists 50 under it") in warnings
    assert ("heading 'LĨNH VỰC CHỨNG THỰC (17 TTHC)' states 17 procedures; the table lists 16 "
            "under it") in warnings
    assert not any("LUẬT SƯ" in w for w in warnings)  # 14 stated, 14 listed
    assert "qd-1766.docx: columns not used: 'Cách thức thực hiện', 'Căn cứ pháp lý'" in warnings


def test_an_annex_amending_a_commune_list_abolishes_from_its_date(annex):
    reg = registry(province="H36", unit="UBND xã Hàm Đức")
    base = load_file(annex)
    keep = [p.replace(status=IN_FORCE, levels=("commune",)) for p in base.procedures
            if p.code in ("2.001004", "2.001035", "2.000815")]
    from qrproc.model import Catalogue
    import_catalogue(reg, Catalogue("danh-muc-2019.xlsx", tuple(keep)), effective=date(2019, 7, 1), at=AT)
    out = import_catalogue(reg, base, amend=True, at=AT)
    assert out.snapshot.effective == SIGNED
    assert "2.001004" in in_scope(reg, date(2020, 8, 2))
    by_code = {p.code: p for p in catalogue_on(reg, SIGNED).included}
    # the abolished row gives no level of its own: it takes the procedure's, so it applies
    assert by_code["2.001004"].status == ABOLISHED and by_code["2.001004"].decision == "1766/QĐ-UBND"
    assert by_code["2.000815"].fees.startswith("2.000đồng/trang; từ trang thứ 3")


def test_an_annex_that_states_no_effective_date_is_refused(tmp_path):
    path = decision_annex(tmp_path / "qd-1766-khong-ngay.docx", effective_article=None)
    reg = registry(province="H36")
    with pytest.raises(ImportRefused) as e:
        import_catalogue(reg, load_file(path), at=AT)
    assert str(e.value).startswith("qd-1766-khong-ngay.docx: decision 1766/QĐ-UBND does not say "
                                   "when it takes effect")
    assert reg.snapshots() == []


@pytest.mark.parametrize("article, day", [
    ("Điều 2. Quyết định này có hiệu lực thi hành kể từ ngày 15/12/2026.", date(2026, 12, 15)),
    ("Điều 2. Quyết định này có hiệu lực kể từ ngày 01 tháng 3 năm 2027.", date(2027, 3, 1)),
    ("Điều 2. Quyết định này có hiệu lực từ ngày ký.", SIGNED),
])
def test_effective_articles(tmp_path, article, day):
    assert load_file(decision_annex(tmp_path / "qd.docx", effective_article=article)).effective == day


def test_a_province_level_only_annex_gives_nothing_to_a_commune(tmp_path):
    """Hà Giang QĐ 378/QĐ-UBND (2022): only 'Danh mục thủ tục hành chính cấp tỉnh', no date."""
    document = docx.Document()
    add_table(document, [["ỦY BAN NHÂN DÂN TỈNH HÀ GIANG", ""],
                         ["Số: 378/QĐ-UBND", "Hà Giang, ngày 18 tháng 3 năm 2022"]])
    document.add_paragraph("1. Danh mục thủ tục hành chính mới ban hành")
    add_table(document, [["STT", "Mã TTHC gốc", "Tên thủ tục hành chính"],
                         ["A.", "Danh mục thủ tục hành chính cấp tỉnh", ""],
                         ["I.", "Lĩnh vực: Lưu thông hàng hóa trong nước", ""],
                         ["1", "1.010696", "Cấp giấy tiếp nhận thông báo kinh doanh xăng dầu bằng "
                                           "thiết bị bán xăng dầu quy mô nhỏ"]])
    document.add_paragraph("2. Danh mục thủ tục hành chính sửa đổi, bổ sung")
    rows = [["STT", "Mã TTHC gốc", "Tên thủ tục hành chính", "Tên VBQPPL quy định nội dung sửa đổi, bổ sung"],
            ["A. Danh mục thủ tục hành chính cấp tỉnh", "", "", ""],
            ["I. Lĩnh vực: Lưu thông hàng hóa trong nước", "", "", ""]]
    for n, code in enumerate(("2.000674", "2.000666", "2.000664", "2.000673", "2.000669",
                              "2.000672", "2.000648", "2.000645", "2.000647"), 1):
        rows.append([str(n), code, f"Cấp Giấy xác nhận đủ điều kiện kinh doanh xăng dầu ({n})",
                     "Nghị định số 95/2021/NĐ-CP"])
    add_table(document, rows)
    path = tmp_path / "qd-378.docx"
    document.save(path)
    reg = registry(province="H60")
    with pytest.raises(ImportRefused) as e:
        import_catalogue(reg, load_file(path), effective=date(2022, 3, 18), at=AT)
    assert str(e.value) == ("qd-378.docx: none of its 10 procedures is received at the commune "
                            "(10 province level); nothing was imported")


# -- portal details (JSON) -------------------------------------------------------------------------

def details_file() -> Path:
    return FIXTURES / "portal" / "details_mixed.json"


def test_portal_details_give_what_a_commune_receives():
    reg = registry()
    out = import_catalogue(reg, load_file(details_file()), effective=date(2026, 7, 1), at=AT)
    view = catalogue_on(reg, date(2026, 7, 1))
    assert {p.code for p in view.included} == {"1.001193", "1.000080", "1.002755", "2.000815",
                                               "1.013401"}
    assert {p.code: v.reason_vi for p, v in view.excluded} == {
        "2.000507": "TTHC do cơ quan khác thực hiện",
        "1.000736": "TTHC do cơ quan khác thực hiện",
        "1.004227": "TTHC cấp tỉnh",
        "1.009122": "TTHC riêng của tỉnh khác (Đà Nẵng)",
        "5.000123": "TTHC nội bộ",
    }
    assert out.plan.links_own == 5 and out.plan.links_search == 0


def test_the_unit_can_exclude_the_commune_police_with_a_reason():
    rules = scope.ScopeRules(province="H31", exclusions=(
        scope.Exclusion("Công an cấp xã", "Công an xã niêm yết tại trụ sở Công an"),))
    reg = registry(scope=rules.to_setting())
    import_catalogue(reg, load_file(details_file()), effective=date(2026, 7, 1), at=AT)
    view = catalogue_on(reg, date(2026, 7, 1))
    left = {p.code: v for p, v in view.excluded}
    assert left["1.002755"].cause == scope.OUT_EXCLUDED_AGENCY
    assert left["1.002755"].reason_vi == ("cơ quan thực hiện được đơn vị loại khỏi phạm vi (Công an "
                                          "xã niêm yết tại trụ sở Công an)")
    assert "không gồm TTHC do Công an cấp xã thực hiện" in scope.describe_rule(rules)


def test_portal_fees_read_as_the_portal_states_them():
    procs = {p.code: p for p in load_file(details_file()).procedures}
    assert procs["1.001193"].fees == "Không"
    assert procs["1.000080"].fees == (
        "Theo mức do HĐND tỉnh quyết định. Miễn lệ phí cho người thuộc gia đình có công với cách "
        "mạng; người thuộc hộ nghèo; người khuyết tật")
    assert procs["2.000507"].fees == "120 USD (Đăng ký lại kết hôn)"
    assert procs["1.000736"].fees.startswith("20 USD (Ghi vào Sổ việc kết hôn")
    assert procs["2.000815"].fees == ("2.000 đồng/trang; từ trang thứ 3 trở lên thu 1.000 đồng/trang, "
                                      "tối đa thu không quá 200.000 đồng/bản")
    # a description that states the amount is printed alone, per method when methods differ
    assert procs["1.002755"].fees == (
        "Trực tuyến: Gia hạn tạm trú (cá nhân, hộ gia đình): + Trường hợp công dân nộp hồ sơ qua "
        "cổng dịch vụ công trực tuyến thu 7.000 đồng/lần đăng ký; Trực tiếp: 15.000 đồng")
    # no fee listed, and a processing time in a unit nobody knows: unknown, not "Không" / "10 session"
    assert (procs["1.013401"].fees, procs["1.013401"].processing_time) == ("", "")


def test_list_items_alone_are_not_taken_as_a_communes_list():
    text = "\n".join(json.dumps(item, ensure_ascii=False) for item in (
        {"id": "019f6f67-c3a8-7163-8167-02e782ebf1c2", "name": "Thủ tục đăng ký khai sinh",
         "code": "1.001193", "codeNotation": "1.001193", "categories": ["Hộ tịch"],
         "departments": ["Ủy ban nhân dân cấp xã"], "departmentPromulgate": "Bộ Tư pháp",
         "state": "ACTIVE", "type": "STANDARD"},
        {"id": "019f6f63-3888-70ce-88a1-5995946cec30", "name": "Thủ tục nội bộ", "code": "5.000123",
         "codeNotation": "5.000123", "categories": ["Nội vụ"], "departments": ["Sở Nội vụ"],
         "departmentPromulgate": "Bộ Nội vụ", "state": "ACTIVE", "type": "STANDARD_INTERNAL"}))
    from qrproc.sources.portal_json import parse_portal_json
    cat = parse_portal_json(text, "catalog.jsonl")
    assert not cat.levels_given
    with pytest.raises(ImportRefused, match=r"no row says its level .* use qrproc fetch"):
        import_catalogue(registry(), cat, at=AT)


# -- a change log (CSV) ------------------------------------------------------------------------------

def write_csv(path: Path, rows: list[list[str]], **kw) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, **kw).writerows(rows)
    return path


BASE = [["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Cấp thực hiện"],
        ["1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", "Cấp xã"],
        ["1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch", "Cấp xã"],
        ["1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", "Cấp xã"],
        ["1.012563", "Khai thác thông tin người gốc Việt Nam chưa xác định được quốc tịch", "Cấp, quản lý căn cước", "Cấp xã"],
        ["2.000986", "Liên thông thủ tục hành chính về đăng ký khai sinh, đăng ký thường trú", "Hộ tịch", "Cấp xã"]]
LOG = [["Ngày quyết định", "Số quyết định", "Mã TTHC", "Tên TTHC", "Lĩnh vực", "Loại thay đổi",
        "Số hồ sơ TTHC được thay thế", "Ngày hiệu lực"],
       ["10/11/2026", "2345/QĐ-UBND", "1.000894", "Thủ tục đăng ký kết hôn (sửa đổi)", "Hộ tịch",
        "Sửa đổi, bổ sung", "", "15/12/2026"],
       ["10/11/2026", "2345/QĐ-UBND", "1.014057", "Khai thác thông tin người gốc Việt Nam chưa xác định được "
        "quốc tịch trong Cơ sở dữ liệu căn cước", "Cấp, quản lý căn cước", "Thay thế", "1.012563", ""],
       ["10/11/2026", "2345/QĐ-UBND", "2.000986", "Liên thông thủ tục hành chính về đăng ký khai sinh, "
        "đăng ký thường trú", "Hộ tịch", "Bãi bỏ", "", ""],
       ["20/01/2027", "150/QĐ-UBND", "1.014027", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp hưu trí xã hội",
        "Bảo trợ xã hội", "Ban hành mới", "", "01/03/2027"],
       ["20/01/2027", "150/QĐ-UBND", "1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", "Bai bo", "",
        "01/03/2027"]]


def test_a_change_log_keeps_each_rows_decision_date_and_change(tmp_path):
    reg = registry()
    import_catalogue(reg, load_file(write_csv(tmp_path / "danh-muc.csv", BASE)),
                     effective=date(2026, 7, 1), at=AT)
    log = load_file(write_csv(tmp_path / "nhat-ky.csv", LOG))
    out = import_catalogue(reg, log, amend=True, own_list=True, at=AT)  # the commune's own log
    rows = {(p.code, p.status): p for p in reg.snapshot_procedures(out.snapshot.id)}
    # a row without its own date takes its own decision's, never the 01/03/2027 of another one
    assert rows[("1.014057", IN_FORCE)].effective == date(2026, 12, 15)
    assert rows[("2.000986", ABOLISHED)].effective == date(2026, 12, 15)
    replaced = rows[("1.012563", REPLACED)]
    assert (replaced.replaced_by, replaced.decision, replaced.effective) == \
        ("1.014057", "2345/QĐ-UBND", date(2026, 12, 15))
    assert rows[("1.014027", IN_FORCE)].decision == "150/QĐ-UBND"
    assert rows[("1.000894", IN_FORCE)].decision_date == date(2026, 11, 10)
    # "Bãi bỏ" rows are never in force: not on their date, and not before it as new procedures
    assert in_scope(reg, date(2026, 12, 14)) == {"1.001193", "1.000894", "1.000656", "1.012563",
                                                 "2.000986"}
    assert in_scope(reg, date(2026, 12, 15)) == {"1.001193", "1.000894", "1.000656", "1.014057"}
    assert in_scope(reg, date(2027, 3, 1)) == {"1.001193", "1.000894", "1.014057", "1.014027"}
    on = {p.code: p for p in catalogue_on(reg, date(2026, 12, 15)).included}
    assert on["1.000894"].name == "Thủ tục đăng ký kết hôn (sửa đổi)"
    assert on["2.000986"].status == ABOLISHED and on["2.000986"].decision == "2345/QĐ-UBND"


def test_a_change_log_without_levels_amends_what_is_listed_and_leaves_new_ones_out(tmp_path):
    reg = registry()
    import_catalogue(reg, load_file(write_csv(tmp_path / "danh-muc.csv", BASE)),
                     effective=date(2026, 7, 1), at=AT)
    out = import_catalogue(reg, load_file(write_csv(tmp_path / "nhat-ky.csv", LOG)), amend=True, at=AT)
    # the rows of listed procedures take their level; the two new ones cannot be placed
    assert out.plan.split.counts_out() == {"no_level": 2}
    assert {p.code for p, _ in out.plan.split.excluded} == {"1.014057", "1.014027"}
    assert in_scope(reg, date(2026, 12, 15)) == {"1.001193", "1.000894", "1.000656"}


# -- other real shapes ---------------------------------------------------------------------------

def test_a_crawler_index_is_read_by_its_keys(tmp_path):
    index = [
        {"id": "01a0fa90-0472-76f8-ba2c-195c9cbd1c4e", "ma_tthc": "5.003909",
         "ten_tthc": "1.\tSáp nhập đơn vị sự nghiệp công lập vào trường trung cấp",
         "cap_thuc_hien": "Cấp tỉnh", "isProvince": True, "isWard": False, "level_label": "Cấp tỉnh",
         "loai_tthc": "TTHC nội bộ", "linh_vuc": "Giáo dục nghề nghiệp",
         "co_quan_ban_hanh": "UBND tỉnh Gia Lai", "co_quan_thuc_hien": "Sở Giáo dục và Đào tạo",
         "url": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/01a0fa90-0472-76f8-ba2c-195c9cbd1c4e"},
        {"id": "01a0f66e-63a3-749a-a9d8-2dcbeda6af79", "ma_tthc": "1.116910",
         "ten_tthc": "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", "cap_thuc_hien": "Cấp xã",
         "isProvince": False, "isWard": True, "loai_tthc": "TTHC được luật giao cho địa phương",
         "linh_vuc": "Bảo trợ xã hội", "co_quan_ban_hanh": "UBND tỉnh Gia Lai",
         "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã",
         "url": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/01a0f66e-63a3-749a-a9d8-2dcbeda6af79"},
        {"id": "01a0f65f-4713-7199-9b0c-d57f794ef14d", "ma_tthc": "1.116908",
         "ten_tthc": "Tiếp nhận đối tượng cần bảo vệ khẩn cấp vào cơ sở trợ giúp xã hội",
         "cap_thuc_hien": "Cấp xã, Cấp tỉnh", "isProvince": True, "isWard": True,
         "loai_tthc": "Thủ tục hành chính thống nhất toàn quốc", "linh_vuc": "Bảo trợ xã hội",
         "co_quan_ban_hanh": "Bộ Y tế", "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã",
         "url": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/01a0f65f-4713-7199-9b0c-d57f794ef14d",
         "crawled_at": "2026-10-10"},
    ]
    path = tmp_path / "index.json"
    path.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    cat = load_file(path)
    first, second, third = cat.procedures
    assert first.name == "Sáp nhập đơn vị sự nghiệp công lập vào trường trung cấp"
    assert (first.kind, first.levels, first.promulgator) == ("internal", ("province",), "UBND tỉnh Gia Lai")
    assert second.portal_id == "01a0f66e-63a3-749a-a9d8-2dcbeda6af79" and second.kind == "specific"
    assert (third.kind, third.levels, third.field) == ("national", ("commune", "province"), "Bảo trợ xã hội")
    assert cat.warnings == ("index.json: columns not used: 'crawled_at'",)
    reg = registry(province="H21", unit="UBND xã Ia Grai")
    import_catalogue(reg, cat, effective=date(2026, 10, 10), at=AT)
    assert in_scope(reg, date(2026, 10, 10)) == {"1.116910", "1.116908"}
    # a Hưng Yên commune is told it is Gia Lai's list
    with pytest.raises(ImportRefused, match=r"^index.json: this is the list of Gia Lai"):
        import_catalogue(registry(), cat, effective=date(2026, 10, 10), at=AT)


def test_the_old_gateways_list_is_read_and_needs_a_level(tmp_path):
    rows = [{"TTHC_MA": "3.000323", "TYPE": "1", "NAME": "Đăng ký giám sát việc giám hộ",
             "ISNGANHDOC": "0", "WEIGHT": "74", "TOTAL_RECORDS": "2507"},
            {"TTHC_MA": "1.004194", "TYPE": "1", "NAME": "Đăng ký tạm trú", "ISNGANHDOC": "1",
             "WEIGHT": "15539622", "TOTAL_RECORDS": "2507"}]
    path = tmp_path / "rest.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    cat = load_file(path)
    assert [(p.code, p.name) for p in cat.procedures] == [
        ("3.000323", "Đăng ký giám sát việc giám hộ"), ("1.004194", "Đăng ký tạm trú")]
    assert cat.warnings == ("rest.json: columns not used: 'ISNGANHDOC', 'WEIGHT', 'TOTAL_RECORDS'",)
    reg = registry()
    with pytest.raises(ImportRefused, match="no row says its level"):
        import_catalogue(reg, cat, at=AT)
    out = import_catalogue(reg, cat, own_list=True, effective=date(2026, 7, 1), at=AT)
    assert out.plan.counts["in_force"] == 2


def test_a_master_list_with_camel_case_keys_and_english_status_words(tmp_path):
    rows = [{"maTTHC": "1.001193", "tenTTHC": "Thủ tục đăng ký khai sinh", "linhVuc": "Hộ tịch",
             "capThucHien": "Cấp xã", "status": "current"},
            {"maTTHC": "1.000894", "tenTTHC": "Thủ tục đăng ký kết hôn", "linhVuc": "Hộ tịch",
             "capThucHien": "Cấp xã", "status": "repealed"},
            {"maTTHC": "1.000656", "tenTTHC": "Thủ tục đăng ký khai tử", "linhVuc": "Hộ tịch",
             "capThucHien": "Cấp xã", "status": "modified"}]
    path = tmp_path / "master.json"
    path.write_text(json.dumps({"items": rows}, ensure_ascii=False), encoding="utf-8")
    procs = load_file(path).procedures
    assert [(p.field, p.status) for p in procs] == [
        ("Hộ tịch", IN_FORCE), ("Hộ tịch", ABOLISHED), ("Hộ tịch", IN_FORCE)]


def test_a_link_column_gives_each_procedure_its_own_page(tmp_path):
    ids = ["019d2c05-1111-7abc-8def-000000000001", "019d2c05-1111-7abc-8def-000000000002"]
    rows = [["code", "name", "field", "level", "url", "source"],
            ["1.013225", "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV", "Hoạt động xây dựng",
             "Cấp xã", f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{ids[0]}", "crawl"],
            ["1.013226", "Cấp điều chỉnh giấy phép xây dựng đối với công trình cấp III, cấp IV",
             "Hoạt động xây dựng", "Cấp xã", f"https://dichvucong.gov.vn/nop-ho-so?formalityId={ids[1]}",
             "crawl"],
            ["2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực", "Cấp xã",
             "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc=2.000815",
             "annex"]]
    cat = load_file(write_csv(tmp_path / "links.csv", rows))
    assert [p.portal_id for p in cat.procedures] == [ids[0], ids[1], ""]
    assert ("links.csv, row 4: column 'url': 'https://dichvucong.gov.vn/p/home/dvc-chi-tiết…' is a "
            "link without a portal id; the card links to the portal's search by code") not in cat.warnings
    assert any(w.startswith("links.csv, row 4: column 'url': ") and w.endswith(
        "is a link without a portal id; the card links to the portal's search by code") for w in cat.warnings)
    assert "links.csv: columns not used: 'source'" in cat.warnings
    out = import_catalogue(registry(), cat, effective=date(2026, 7, 1), at=AT)
    assert (out.plan.links_own, out.plan.links_search) == (2, 1)


def test_many_links_without_a_portal_id_are_one_warning_naming_the_first(tmp_path):
    search = "https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc="
    codes = ["2.000815", "2.000843", "2.000884", "2.000913", "2.000927"]
    rows = [["code", "name", "field", "level", "url"]] + [
        [c, f"Thủ tục chứng thực số {k}", "Chứng thực", "Cấp xã", search + c]
        for k, c in enumerate(codes, start=1)]
    cat = load_file(write_csv(tmp_path / "links.csv", rows))
    assert [p.portal_id for p in cat.procedures] == [""] * 5
    assert cat.warnings == (
        "links.csv, row 2 and 4 more rows: column 'url' holds links without a portal id (for "
        "example 'https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu…'); their cards link to the "
        "portal's search by code",)


def test_two_procedures_sharing_a_portal_id_are_refused(tmp_path):
    same = "019d2c05-1111-7abc-8def-000000000001"
    rows = [["Mã TTHC", "Tên TTHC", "Cấp thực hiện", "ID trên Cổng"],
            ["1.013225", "Cấp giấy phép xây dựng mới", "Cấp xã", same],
            ["1.013226", "Cấp điều chỉnh giấy phép xây dựng", "Cấp xã", same]]
    with pytest.raises(ParseError) as e:
        load_file(write_csv(tmp_path / "ids.csv", rows))
    assert str(e.value) == (
        f"ids.csv: portal id {same} is given to two procedures: row 2 (1.013225 'Cấp giấy phép xây "
        "dựng mới') and row 3 (1.013226 'Cấp điều chỉnh giấy phép xây dựng'); each procedure has its "
        "own id on the portal: correct the file")


def test_free_text_or_a_cut_off_id_is_not_encoded(tmp_path):
    rows = [["Mã TTHC", "Tên TTHC", "Cấp thực hiện", "ID trên Cổng"],
            ["1.013225", "Cấp giấy phép xây dựng mới", "Cấp xã", "019d2c05-1111-7abc-8def-00000000"],
            ["1.013226", "Cấp điều chỉnh giấy phép xây dựng", "Cấp xã", "xem trên Cổng"]]
    cat = load_file(write_csv(tmp_path / "ids.csv", rows))
    assert [p.portal_id for p in cat.procedures] == ["", ""]
    assert cat.warnings[0] == ("ids.csv, row 2: column 'ID trên Cổng': "
                               "'019d2c05-1111-7abc-8def-00000000' is not a portal id; the card links "
                               "to the portal's search by code")


def test_a_csv_cut_off_mid_row_is_refused(tmp_path):
    text = ("Mã TTHC,Tên TTHC,Lĩnh vực,Cấp thực hiện\r\n"
            "1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,Cấp xã\r\n"
            "1.000894,Thủ tục đăng ký kết h")
    path = tmp_path / "cut.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as e:
        load_file(path)
    assert str(e.value) == ("cut.csv, row 3: the file ends in the middle of this row (2 of 4 columns); "
                            "it looks cut off: get the whole file again")
    path.write_text(text.replace("1.000894,Thủ tục đăng ký kết h", '1.000894,"Thủ tục đăng ký kết'),
                    encoding="utf-8")
    with pytest.raises(ParseError, match=r"^cut.csv, row 3: the file ends inside a quoted cell"):
        load_file(path)


def test_a_semicolon_csv_whose_names_hold_commas(tmp_path):
    rows = [["Mã TTHC", "Tên TTHC", "Cấp thực hiện"],
            ["1.001776", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng, hỗ trợ kinh phí", "Cấp xã"],
            ["1.001731", "Hỗ trợ chi phí mai táng, an táng cho đối tượng bảo trợ xã hội", "Cấp xã"]]
    cat = load_file(write_csv(tmp_path / "excel.csv", rows, delimiter=";"))
    assert [p.code for p in cat.procedures] == ["1.001776", "1.001731"]


def test_names_numbers_and_odd_codes_are_cleaned_and_flagged(tmp_path):
    rows = [["Mã TTHC", "Tên TTHC", "Cấp thực hiện"],
            ["１.００１１９３", "1. Thủ tục đăng ký khai sinh", "Cấp xã"],
            ["1.000894", "Thủ tục đăng ký kết hôn, c ấp l ại giấy chứng nhận", "Cấp xã"]]
    cat = load_file(write_csv(tmp_path / "list.csv", rows))
    first, second = cat.procedures
    assert (first.code, first.name, first.flags) == ("1.001193", "Thủ tục đăng ký khai sinh",
                                                    (FLAG_CODE_FIXED,))
    assert FLAG_NAME_BROKEN in second.flags
    assert cat.warnings == (
        "list.csv, row 2: code '１.００１１９３' read as 1.001193; flagged code-fixed, check it",
        "list.csv, row 3: the name 'Thủ tục đăng ký kết hôn, c ấp l ại giấy chứng nhận' looks broken by "
        "PDF text extraction (split syllables); flagged name-broken, check it")


# -- fees and times on the printed page ------------------------------------------------------------

def test_single_page_posters_print_fees_as_the_source_states_them(tmp_path):
    """Council-set, USD per copy, per page with tiers, free, and unknown: read back with pdftotext."""
    from qrproc.poster import Selection
    from test_poster_pdf import pdftotext, squash

    added = scope.ScopeRules(province="H31", added=(("2.000507", "hồ sơ của người ở nước ngoài về"),))
    reg = registry(scope=added.to_setting())
    import_catalogue(reg, load_file(details_file()), effective=date(2026, 7, 1), at=AT)
    result = board.print_posters(reg, layout="single", selection=Selection.all(), as_of=date(2026, 7, 1),
                          out=tmp_path / "thu-tuc.pdf", at=AT)
    assert result.verified == 6 and (result.own_pages, result.searches) == (6, 0)
    pages = {}
    for n in range(1, result.pages + 1):
        text = squash(pdftotext(result.path, "-f", str(n), "-l", str(n)))
        code = next(c for c in ("1.001193", "1.000080", "1.002755", "2.000507", "2.000815", "1.013401")
                    if c in text)
        pages[code] = text
    assert "Phí, lệ phí Không" in pages["1.001193"]
    assert "Theo mức do HĐND tỉnh quyết định. Miễn lệ phí cho người thuộc gia đình có công" in pages["1.000080"]
    assert "Phí, lệ phí Không" not in pages["1.000080"]
    assert "120 USD (Đăng ký lại kết hôn)" in pages["2.000507"] and "đồng" not in pages["2.000507"].split(
        "Phí, lệ phí")[1]
    assert ("2.000 đồng/trang; từ trang thứ 3 trở lên thu 1.000 đồng/trang, tối đa thu không quá "
            "200.000 đồng/bản") in pages["2.000815"]
    assert "Trực tiếp: 15.000 đồng" in pages["1.002755"]
    # nothing stated: unverified, not "Không"
    assert "Thời hạn giải quyết Chưa xác minh" in pages["1.013401"]
    assert "Phí, lệ phí Chưa xác minh" in pages["1.013401"]
