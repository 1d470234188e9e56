"""The pure diff: catalogue in force on a date against the labels on the board."""

from datetime import date

from qrproc.diff import Upcoming, compute
from qrproc.model import ABOLISHED, REPLACED

from conftest import CHUNG_THUC, HOA_GIAI, KET_HON, KHAI_SINH, KHAI_TU, proc

D = date(2026, 12, 15)


def codes(items):
    return [i.code for i in items]


def test_new_changed_unchanged_and_gone():
    renamed = KET_HON.replace(name="Thủ tục đăng ký kết hôn (sửa đổi, bổ sung)")
    current = [KHAI_SINH, renamed, CHUNG_THUC]
    posted = {KHAI_SINH.code: KHAI_SINH, KET_HON.code: KET_HON, KHAI_TU.code: KHAI_TU}
    d = compute(current, posted, D)
    assert codes(d.to_post) == ["2.000815"]
    assert d.to_post[0].reason == "in force, not on the board"
    assert codes(d.to_reprint) == ["1.000894"] and d.to_reprint[0].reason == "label changed: tên"
    assert codes(d.to_take_down) == ["1.000656"]
    assert d.to_take_down[0].reason == "no longer listed in the catalogue"
    assert codes(d.unchanged) == ["1.001193"]
    assert d.not_yet_effective == ()


def test_abolished_and_replaced():
    old = KHAI_TU.replace(status=REPLACED, replaced_by="1.014057", decision="2345/QĐ-UBND")
    new = proc("1.014057", "Thủ tục đăng ký khai tử (liên thông)")
    gone = CHUNG_THUC.replace(status=ABOLISHED, decision="2345/QĐ-UBND")
    posted = {KHAI_TU.code: KHAI_TU, CHUNG_THUC.code: CHUNG_THUC}
    d = compute([old, new, gone], posted, D)
    assert {i.code: i.reason for i in d.to_take_down} == {
        "1.000656": "replaced by 1.014057 (QĐ 2345/QĐ-UBND)",
        "2.000815": "abolished (QĐ 2345/QĐ-UBND)",
    }
    assert codes(d.to_reprint) == ["1.014057"]
    assert d.to_reprint[0].reason == "replaces 1.000656, which is on the board"
    assert d.to_post == ()


def test_replacement_of_a_code_not_on_the_board_is_a_plain_post():
    old = KHAI_TU.replace(status=REPLACED, replaced_by="1.014057")
    new = proc("1.014057", "Thủ tục đăng ký khai tử (liên thông)")
    d = compute([old, new], {}, D)
    assert codes(d.to_post) == ["1.014057"] and d.to_reprint == () and d.to_take_down == ()


def test_later_decision_changes_nothing_before_its_date():
    current = [KHAI_SINH, KET_HON]
    posted = {KHAI_SINH.code: KHAI_SINH, KET_HON.code: KET_HON}
    later = Upcoming(D, "2345/QĐ-UBND", [
        KHAI_SINH.replace(name="Thủ tục đăng ký khai sinh (sửa đổi)"),
        KET_HON.replace(status=ABOLISHED),
        HOA_GIAI,
    ])
    d = compute(current, posted, date(2026, 12, 14), [later])
    assert d.is_clean and len(d.unchanged) == 2
    reasons = {i.code: i.reason for i in d.not_yet_effective}
    assert reasons == {
        "1.001193": "label changes from 15/12/2026 (QĐ 2345/QĐ-UBND): tên",
        "1.000894": "abolished from 15/12/2026 (QĐ 2345/QĐ-UBND)",
        "2.002080": "new from 15/12/2026 (QĐ 2345/QĐ-UBND)",
    }


def test_row_effective_after_the_date_is_not_yet_effective_and_early_label_is_taken_down():
    early = HOA_GIAI.replace(effective=date(2027, 1, 1))
    d = compute([KHAI_SINH, early], {HOA_GIAI.code: HOA_GIAI}, D)
    assert codes(d.not_yet_effective) == ["2.002080"]
    assert d.not_yet_effective[0].reason == "takes effect on 01/01/2027"
    assert codes(d.to_take_down) == ["2.002080"]
    assert d.to_take_down[0].reason.startswith("not yet in force: takes effect on 01/01/2027")
    assert codes(d.to_post) == ["1.001193"]
    # on its date it becomes a normal procedure
    d2 = compute([KHAI_SINH, early], {HOA_GIAI.code: HOA_GIAI}, date(2027, 1, 1))
    assert codes(d2.unchanged) == ["2.002080"]


def test_rows_without_code_are_listed_not_posted():
    nocode = proc("", "Chứng thực chữ ký", flags=("no-code",), origin="annex.docx, row 7")
    d = compute([KHAI_SINH, nocode], {}, D)
    assert codes(d.to_post) == ["1.001193"]
    assert [i.reason for i in d.needs_code] == ["no procedure code (annex.docx, row 7)"]


def test_json_shape():
    d = compute([KHAI_SINH], {KET_HON.code: KET_HON}, D)
    j = d.to_json()
    assert list(j) == ["as_of", "to_post", "to_reprint", "to_take_down", "not_yet_effective",
                       "unchanged", "needs_code", "out_of_scope"]
    assert j["as_of"] == "2026-12-15" and j["unchanged"] == 0
    assert j["to_post"] == [{"code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "field": "Hộ tịch",
                             "reason": "in force, not on the board"}]


def test_empty_catalogue_takes_everything_down_only_when_given_one():
    # The diff itself is honest; the import guards (test_catalogue) keep an empty list out.
    d = compute([], {KHAI_SINH.code: KHAI_SINH}, D)
    assert codes(d.to_take_down) == ["1.001193"]


def test_reasons_in_vietnamese_for_the_board():
    old = KHAI_TU.replace(status=REPLACED, replaced_by="1.014057", decision="2345/QĐ-UBND")
    gone = CHUNG_THUC.replace(status=ABOLISHED, decision="2345/QĐ-UBND")
    later = HOA_GIAI.replace(effective=date(2027, 1, 1))
    posted = {p.code: p for p in (KHAI_TU, CHUNG_THUC, HOA_GIAI, KET_HON)}
    d = compute([old, gone, later, proc("1.014057", "Thủ tục đăng ký khai tử (liên thông)")], posted, D)
    assert {i.code: i.reason_vi for i in d.to_take_down} == {
        "1.000656": "Được thay thế bởi 1.014057 (QĐ 2345/QĐ-UBND)",
        "2.000815": "Bãi bỏ (QĐ 2345/QĐ-UBND)",
        "2.002080": "Chưa có hiệu lực (áp dụng từ 01/01/2027)",
        "1.000894": "Không còn trong danh mục",
    }
    assert [i.reason_vi for i in d.to_reprint] == ["Thay thế 1.000656 đang niêm yết"]
