"""The new national portal's JSON shapes (fixtures are hand-written in the real shapes)."""

import copy
import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from qrproc.errors import LegacyEncodingError, ParseError
from qrproc.model import FLAG_CODE_FIXED, FLAG_NO_CODE, IN_FORCE
from qrproc.sources import load_file, portal_json
from qrproc.sources.portal_json import parse_portal_json, procedure_from_portal
from qrproc.vntext import TCVN3, encode_legacy

FIXTURES = Path(__file__).parent / "fixtures" / "portal"
VND = "019b3fb2-b5b8-70ac-85e2-9409ec1eaffa"  # the portal's currency id of Việt Nam Đồng


def fixture_text(name):
    return (FIXTURES / name).read_text(encoding="utf-8")


def detail():
    return json.loads(fixture_text("detail_khai_sinh.json"))["data"]


def building_permit():
    """A detail whose methods state times in days and charge fees (Đà Nẵng's shape)."""
    obj = detail()
    obj.update(
        id="019dbd96-088e-74a9-9877-cf19204905ca", code="1.009122", codeNotation="1.009122",
        name="Cấp giấy phép xây dựng có thời hạn đối với công trình, nhà ở riêng lẻ",
        state="ACTIVE", isProvince=True,
        categoriesDetails=[{"name": "Hoạt động xây dựng", "code": "G17-XD11"}], category=None,
        unitGroupsExecuting=[{"name": "Ủy ban nhân dân cấp xã"}],
        departmentsExecuting=[{"name": "Sở Xây dựng"}],
        executingAgencies="Ủy ban nhân dân cấp xã",
        executionMethods=[
            {"submissionMethod": "DIRECT", "processingTime": 15, "processingTimeUnit": "DAY",
             "fees": [{"type": "FEE", "value": 100000, "currencyId": VND, "currencyName": "Việt Nam Đồng"}]},
            {"submissionMethod": "ONLINE", "processingTime": 10, "processingTimeUnit": "WORKING_DAY",
             "fees": [{"type": "FEE", "value": 50000, "currencyId": VND, "currencyName": "Việt Nam Đồng"}]},
        ],
        procedureProposal={"proposalNumber": "2298/QĐ-UBND", "decisionDate": 1777050000000},
    )
    return obj


def test_list_envelope(tmp_path):
    catalogue = parse_portal_json(fixture_text("list_envelope.json"), "list.json")
    assert catalogue.total == 5670
    first, second = catalogue.procedures
    assert (first.code, first.name, first.field, first.agency, first.portal_id, first.status) == (
        "1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", "Ủy ban nhân dân cấp xã",
        "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7", IN_FORCE)
    assert first.levels == ()  # list items carry no level flags
    assert second.agency == "Ủy ban nhân dân cấp xã; Sở Xây dựng"
    assert first.origin == "list.json, item 1"


def test_json_lines(tmp_path):
    path = tmp_path / "catalog.jsonl"
    path.write_text(fixture_text("catalog.jsonl"), encoding="utf-8")
    catalogue = load_file(path)
    assert [p.code for p in catalogue.procedures] == ["3.000616", "1.001193", "1.013361"]
    assert catalogue.procedures[2].origin == "catalog.jsonl, line 4"
    assert catalogue.procedures[2].flags == (FLAG_CODE_FIXED,)
    assert catalogue.warnings == (
        "catalog.jsonl, line 4: code '1.0133611' read as 1.013361; flagged code-fixed, check it",)
    assert catalogue.total is None


def test_detail_envelope_is_mapped_fully():
    (proc,) = parse_portal_json(fixture_text("detail_khai_sinh.json"), "detail.json").procedures
    assert proc.code == "1.001193"
    assert proc.name == "Thủ tục đăng ký khai sinh"
    assert proc.field == "Hộ tịch"
    assert proc.levels == ("commune",)
    assert proc.agency == "Ủy ban nhân dân cấp xã"
    assert proc.portal_id == "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"
    assert proc.processing_time == "1 ngày làm việc"  # unit OTHER: the cases' processingDay
    assert proc.fees == "Không"
    assert (proc.decision, proc.decision_date) == ("163/QĐ-BTP", date(2026, 1, 16))
    assert proc.status == IN_FORCE
    assert proc.flags == ()


def test_methods_that_differ_are_named():
    proc = procedure_from_portal(building_permit(), "detail.json")
    assert proc.processing_time == "Trực tiếp: 15 ngày; Trực tuyến: 10 ngày làm việc"
    assert proc.fees == "Trực tiếp: 100.000 đồng; Trực tuyến: 50.000 đồng"
    assert proc.levels == ("commune", "province")
    assert proc.agency == "Ủy ban nhân dân cấp xã; Sở Xây dựng"
    assert proc.field == "Hoạt động xây dựng"
    assert (proc.decision, proc.decision_date) == ("2298/QĐ-UBND", date(2026, 4, 25))
    assert proc.origin == "detail.json"


def test_same_time_for_every_method_is_said_once():
    obj = building_permit()
    for method in obj["executionMethods"]:
        method.update(processingTime=15, processingTimeUnit="DAY",
                      fees=[{"value": 100000, "currencyName": "Việt Nam Đồng"}])
    obj["executionMethods"].append({"submissionMethod": "POSTAL", "processingTime": 15,
                                    "processingTimeUnit": "DAY",
                                    "fees": [{"value": 100000, "currencyId": VND}]})
    proc = procedure_from_portal(obj, "detail.json")
    assert (proc.processing_time, proc.fees) == ("15 ngày", "100.000 đồng")


def test_bare_list_of_details_and_a_bare_detail():
    text = json.dumps([detail(), building_permit()], ensure_ascii=False)
    assert [p.code for p in parse_portal_json(text, "details.json").procedures] == \
        ["1.001193", "1.009122"]
    (one,) = parse_portal_json(json.dumps(detail()), "detail.json").procedures
    assert one.code == "1.001193"


def test_nfd_input_comes_out_nfc():
    obj = detail()
    obj["name"] = unicodedata.normalize("NFD", obj["name"])
    obj["categoriesDetails"][0]["name"] = unicodedata.normalize("NFD", "Hộ tịch")
    text = json.dumps({"code": "OK", "data": obj}, ensure_ascii=False)
    (proc,) = parse_portal_json(text, "detail.json").procedures
    assert proc.name == "Thủ tục đăng ký khai sinh" and proc.field == "Hộ tịch"
    assert unicodedata.is_normalized("NFC", proc.name + proc.field)


def test_item_without_code_is_kept_and_flagged():
    obj = detail()
    obj["code"] = obj["codeNotation"] = ""
    catalogue = parse_portal_json(json.dumps([obj]), "list.json")
    assert catalogue.procedures[0].flags == (FLAG_NO_CODE,)
    assert catalogue.warnings == ("list.json, item 1: no procedure code for "
                                  "'Thủ tục đăng ký khai sinh'; kept and flagged no-code",)


def test_noisy_codes_that_clash_lose_their_code():
    # The real catalogue lists ' 1.014325' and '1.014325' for two different procedures.
    clean, spaced = detail(), building_permit()
    clean["code"] = "1.014325"
    spaced["code"] = " 1.014325"
    catalogue = parse_portal_json(json.dumps([spaced, clean], ensure_ascii=False), "list.json")
    assert [(p.code, p.name) for p in catalogue.procedures] == [
        ("1.014325", clean["name"]), ("", spaced["name"])]
    assert catalogue.warnings[-1] == ("list.json, item 1: code 1.014325 is also used by item 2 "
                                      "for 'Thủ tục đăng ký khai sinh'; kept without a code, check it")


def test_the_portal_catalogue_is_loaded_even_with_duplicate_codes():
    first, second = detail(), building_permit()
    second["code"] = "1.001193"
    catalogue = parse_portal_json(json.dumps([first, second]), "list.json")
    assert [p.code for p in catalogue.procedures] == ["1.001193", ""]


def test_error_envelope():
    text = json.dumps({"code": "ERROR", "message": "Không tìm thấy", "data": None})
    with pytest.raises(ParseError) as caught:
        parse_portal_json(text, "detail.json")
    assert str(caught.value) == "detail.json: the portal answered 'ERROR': Không tìm thấy"


def test_unknown_state_is_refused():
    obj = detail()
    obj["state"] = "DELETED"
    with pytest.raises(ParseError, match=r"^list\.json, item 1: unknown portal state 'DELETED'"):
        parse_portal_json(json.dumps([obj]), "list.json")


def test_invalid_json_names_the_place():
    with pytest.raises(ParseError) as caught:
        parse_portal_json('{"code": "OK", "data": ', "detail.json")
    assert str(caught.value).startswith("detail.json: not valid JSON (line 1 column")
    with pytest.raises(ParseError, match=r"^catalog\.jsonl, line 2: not valid JSON"):
        parse_portal_json('{"code": "1.001193", "name": "A"}\n{"code": \n', "catalog.jsonl")


def test_response_without_procedures():
    provinces = json.dumps({"code": "OK", "data": {"rows": [{"id": "x", "name": "Hưng Yên"}]}})
    with pytest.raises(ParseError, match="holds no procedures"):
        parse_portal_json(provinces, "provinces.json")


def test_legacy_text_in_a_name_is_refused():
    obj = detail()
    obj["name"] = encode_legacy("Thủ tục đăng ký khai sinh cho người", TCVN3).decode("cp1252")
    with pytest.raises(LegacyEncodingError) as caught:
        parse_portal_json(json.dumps([obj]), "list.json")
    assert caught.value.where == "list.json, item 1"


def test_procedure_from_portal_rejects_what_is_not_a_procedure():
    with pytest.raises(ParseError, match=r"^x\.json, item 3: expected a procedure object"):
        procedure_from_portal(["a"], "x.json, item 3")
    nameless = copy.deepcopy(detail())
    nameless["name"] = ""
    with pytest.raises(ParseError, match="has no name"):
        procedure_from_portal(nameless, "x.json, item 3")


def test_unexpected_shape_is_a_parse_error():
    obj = detail()
    obj["executionMethods"] = ["DIRECT"]
    with pytest.raises(ParseError, match=r"^x\.json, item 1: unexpected shape of a portal procedure"):
        procedure_from_portal(obj, "x.json, item 1")


def test_load_reads_a_saved_response(tmp_path):
    path = tmp_path / "detail.json"
    path.write_bytes(b"\xef\xbb\xbf" + fixture_text("detail_khai_sinh.json").encode("utf-8"))
    assert portal_json.load(path).procedures[0].code == "1.001193"
    assert load_file(path).source == "detail.json"
