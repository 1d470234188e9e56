import unicodedata
from datetime import date

import pytest

from qrproc.model import (
    FLAG_CODE_FIXED, FLAG_NO_CODE, Procedure, make_procedure, normalise_code, parse_date,
    parse_levels, parse_status,
)


@pytest.mark.parametrize("raw, expected", [
    ("1.001193", ("1.001193", False)),
    (" 1.014325", ("1.014325", False)),
    ("1.001193.000.00.00.H35", ("1.001193.000.00.00.H35", False)),
    ("1.001193.000.00.00.h35", ("1.001193.000.00.00.H35", False)),
    ("1.0133611", ("1.013361", True)),
    ("1.014955-Xoa", ("1.014955", True)),
    ("2.009182739", ("2.009182", True)),
    ("Không có mã số", ("", False)),
    ("", ("", False)),
    (None, ("", False)),
])
def test_normalise_code(raw, expected):
    assert normalise_code(raw) == expected


def test_procedure_text_is_nfc():
    nfd = unicodedata.normalize("NFD", "Thủ tục đăng ký khai sinh")
    p = Procedure(code="1.001193", name=nfd, field=unicodedata.normalize("NFD", "Hộ tịch"))
    assert p.name == "Thủ tục đăng ký khai sinh"
    assert unicodedata.is_normalized("NFC", p.name) and p.field == "Hộ tịch"


def test_procedure_is_frozen_and_validates_code():
    p = Procedure(code="1.001193", name="x")
    with pytest.raises(Exception):
        p.name = "y"
    with pytest.raises(ValueError, match="not a procedure code"):
        Procedure(code="ABC-123", name="x")


def test_content_hash_covers_label_fields_only():
    a = Procedure(code="1.001193", name="Đăng ký khai sinh", field="Hộ tịch")
    assert a.content_hash == a.replace(decision="99/QĐ-UBND", effective=date(2026, 1, 1)).content_hash
    assert a.content_hash != a.replace(name="Đăng ký khai sinh (sửa đổi)").content_hash
    assert a.content_hash != a.replace(fees="8.000 đồng").content_hash
    # NFD and NFC spellings give the same label, hence the same hash
    b = Procedure(code="1.001193", name=unicodedata.normalize("NFD", "Đăng ký khai sinh"), field="Hộ tịch")
    assert a.content_hash == b.content_hash


def test_rows_without_code_are_kept_and_flagged():
    p = make_procedure(code="Không có mã số", name="Chứng thực chữ ký", origin="annex.docx, row 7")
    assert p.code == "" and FLAG_NO_CODE in p.flags and p.origin == "annex.docx, row 7"
    q = make_procedure(code="1.0133611", name="x")
    assert q.code == "1.013361" and FLAG_CODE_FIXED in q.flags


def test_round_trip_dict():
    p = Procedure(code="1.001193", name="Đăng ký khai sinh", levels=("commune",), effective=date(2026, 7, 1),
                  decision="1234/QĐ-UBND", status="replaced", replaced_by="1.014057")
    assert Procedure.from_dict(p.to_dict()) == p


def test_parsers():
    assert parse_levels("Cấp xã, Cấp tỉnh") == ("commune", "province")
    assert parse_status("Còn hiệu lực") == "in_force"
    assert parse_status("Bãi bỏ") == "abolished"
    assert parse_status("Được thay thế") == "replaced"
    with pytest.raises(ValueError, match="unknown status"):
        parse_status("không rõ")
    assert parse_date("15/12/2026") == date(2026, 12, 15)
    assert parse_date("2026-12-15") == date(2026, 12, 15)
    assert parse_date("ngày 03 tháng 8 năm 2020") == date(2020, 8, 3)
    assert parse_date(1768496400000) == date(2026, 1, 16)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("mai")


def test_pdf_conversion_artefact_is_repaired():
    # 'ƣ' (U+01A3) is what PDF conversions leave for 'ư'; four national catalogue names carry it
    p = Procedure(code="1.001193", name="Hỗ trợ ngƣời có công", field="Ngƣời có công")
    assert p.name == "Hỗ trợ người có công" and p.field == "Người có công"


def test_vietnamese_alphabetical_order():
    from qrproc.model import vi_sort_key
    fields = ["Đất đai", "Hộ tịch", "Dân tộc", "Ăn uống", "An toàn thực phẩm", "Hòa giải ở cơ sở", "Ưu đãi", "Uỷ thác"]
    assert sorted(fields, key=vi_sort_key) == [
        "An toàn thực phẩm", "Ăn uống", "Dân tộc", "Đất đai", "Hòa giải ở cơ sở", "Hộ tịch", "Uỷ thác", "Ưu đãi"]
