"""The coverage report (issue 4): states, counts, history and the JSON, CSV, text and HTML outputs.

Every scenario is built through the real registry API: catalogues imported with
`catalogue.import_catalogue`, labels put up with `board.post_codes` / `board.post_batch` and taken
down with `board.take_down`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from bs4 import BeautifulSoup

from qrproc import board, report
from qrproc.catalogue import catalogue_on, import_catalogue
from qrproc.model import ABOLISHED, REPLACED, Catalogue, Procedure
from qrproc.registry import Registry

AT = datetime(2026, 7, 1, 9, 0)
D0 = date(2026, 7, 1)     # first catalogue (QĐ 1234) takes effect; the board is put up
D1 = date(2026, 9, 1)     # amendment (QĐ 2345): E and K change, F replaced by G
D1_REPRINT = date(2026, 9, 6)
STRAY_DAY = date(2026, 10, 1)
TAKEDOWN_DAY = date(2026, 11, 18)
D2 = date(2026, 11, 28)   # amendment (QĐ 3456): C abolished on the report date
FUTURE = date(2027, 1, 15)
XSS = "Thủ tục <script>alert(1)</script> & “ngoặc”"

A = Procedure(levels=("commune",), code="1.000001", name="Đăng ký khai sinh", field="Hộ tịch")
B = Procedure(levels=("commune",), code="1.000002", name="Đăng ký kết hôn", field="Hộ tịch")
C = Procedure(levels=("commune",), code="1.000003", name="Cấp bản sao trích lục hộ tịch", field="Hộ tịch")
E = Procedure(levels=("commune",), code="1.000005", name="Hỗ trợ chi phí mai táng", field="Bảo trợ xã hội", fees="Không")
F = Procedure(levels=("commune",), code="1.000006", name="Chứng thực chữ ký", field="Chứng thực")
G = Procedure(levels=("commune",), code="1.000007", name="Chứng thực chữ ký trong giấy tờ", field="Chứng thực")
X = Procedure(levels=("commune",), code="1.000009", name=XSS, field="Ăn toàn thực phẩm")
K = Procedure(levels=("commune",), code="1.000012", name="Đăng ký giám hộ", field="Hộ tịch",
              processing_time="03 ngày làm việc")
F2 = Procedure(levels=("commune",), code="1.000010", name="Thủ tục công bố trước", field="Chứng thực", effective=FUTURE)
STRAY = Procedure(levels=("commune",), code="1.000011", name="Nhãn của danh mục khác", field="Đất đai")


def build_scenario(registry: Registry) -> Registry:
    """A commune whose board went through every case the report distinguishes."""
    registry.set_settings({"unit": "UBND xã Thử <Nghiệm>", "province": "H31"}, at=AT)
    import_catalogue(registry, Catalogue("qd-1234.xlsx", (A, B, C, E, F, X, K, F2)),
                     effective=D0, decision="1234/QĐ-UBND", at=AT)
    board.post_codes(registry, [A.code, B.code, C.code, E.code, F.code, K.code], day=D0, at=AT)
    import_catalogue(registry, Catalogue("qd-2345.docx", (
        E.replace(fees="50.000 đồng"),
        K.replace(processing_time="05 ngày làm việc"),
        F.replace(status=REPLACED, replaced_by=G.code),
        G,
    )), effective=D1, decision="2345/QĐ-UBND", amend=True, at=AT)
    # Labels printed ahead of time and put up: one announced for 2027, one from another list.
    early = registry.add_batch(layout="a4", path="early.pdf", as_of=D1, at=AT,
                               items=[(F2, "https://example.vn/q/1000010")])
    board.post_batch(registry, early.id, day=D1, at=AT)
    board.post_codes(registry, [E.code], day=D1_REPRINT, at=AT)  # reprinted 5 days late
    stray = registry.add_batch(layout="a4", path="stray.pdf", as_of=STRAY_DAY, at=AT,
                               items=[(STRAY, "https://example.vn/q/1000011")])
    board.post_batch(registry, stray.id, day=STRAY_DAY, at=AT)
    board.take_down(registry, [B.code], day=TAKEDOWN_DAY, at=AT, force=True)  # lost: now missing
    import_catalogue(registry, Catalogue("qd-3456.docx", (C.replace(status=ABOLISHED),)),
                     effective=D2, decision="3456/QĐ-UBND", amend=True, at=AT)
    return registry


@pytest.fixture
def registry():
    reg = Registry(":memory:")
    yield build_scenario(reg)
    reg.close()


@pytest.fixture
def rep(registry):
    return board.coverage_report(registry, D2)


def states(cov: report.Coverage) -> dict[str, str]:
    return {r.code: r.state for r in cov.rows}


# -- the scenario on the report date --------------------------------------------------------

def test_counts_and_lists_on_the_report_date(rep):
    c = rep.coverage
    assert (c.applicable, c.posted, c.coverage_percent) == (6, 2, 33.3)
    assert c.missing == ("1.000002", "1.000009")
    assert c.stale == ("1.000007", "1.000012")
    assert c.orphan == ("1.000003", "1.000010", "1.000011")
    assert c.late == ("1.000005",)
    assert c.applicable == c.posted + len(c.missing) + len(c.stale)


def test_every_procedure_gets_one_state_and_a_cause(rep):
    rows = {r.code: r for r in rep.coverage.rows}
    assert states(rep.coverage) == {
        "1.000001": "posted", "1.000005": "posted",
        "1.000002": "missing", "1.000009": "missing",
        "1.000007": "stale", "1.000012": "stale",
        "1.000003": "orphan", "1.000010": "orphan", "1.000011": "orphan",
        "1.000006": "not_applicable",
    }
    assert rows["1.000003"].cause == "abolished"
    assert rows["1.000010"].cause == "not_yet_in_force"
    assert rows["1.000011"].cause == "not_listed"
    assert rows["1.000012"].cause == "label_changed"
    assert "thời hạn" in rows["1.000012"].note
    # The replaced code's label stands in for its replacement: stale, not an orphan.
    assert rows["1.000007"].cause == "replaces_posted_code"
    assert rows["1.000007"].on_board == ("1.000006",)
    replaced = rows["1.000006"]
    assert (replaced.state, replaced.cause, replaced.on_board) == ("not_applicable", "replaced",
                                                                  ("1.000006",))
    assert "phiên bản cũ của 1.000007" in replaced.note


def test_abolished_on_the_report_date_was_applicable_the_day_before(registry):
    before = board.coverage_report(registry, date(2026, 11, 27)).coverage
    assert states(before)["1.000003"] == "posted"
    assert (before.applicable, before.posted) == (7, 3)
    on = board.coverage_report(registry, D2).coverage
    assert states(on)["1.000003"] == "orphan"
    assert on.excluded == {"abolished": 1, "replaced": 1, "not_yet_in_force": 1, "uncoded": 0}


def test_future_procedure_is_not_applicable_and_posted_early_is_an_orphan(registry):
    cov = board.coverage_report(registry, D2).coverage
    row = next(r for r in cov.rows if r.code == F2.code)
    assert (row.state, row.posted_on, row.effective) == ("orphan", D1, FUTURE)
    assert "15/01/2027" in row.note


def test_reprinted_late_is_posted_and_late_by_five_days(registry):
    before = board.coverage_report(registry, date(2026, 9, 3)).coverage
    assert states(before)["1.000005"] == "stale"
    after = board.coverage_report(registry, D2).coverage
    row = next(r for r in after.rows if r.code == E.code)
    assert (row.state, row.late, row.late_days, row.posted_on) == ("posted", True, 5, D1_REPRINT)
    on_time = next(r for r in after.rows if r.code == A.code)
    assert (on_time.late, on_time.late_days) == (False, 0)


def test_by_field_in_vietnamese_order(rep):
    assert [f.to_dict() for f in rep.coverage.by_field] == [
        {"field": "Ăn toàn thực phẩm", "applicable": 1, "posted": 0, "coverage_percent": 0.0,
         "missing": 1, "stale": 0},
        {"field": "Bảo trợ xã hội", "applicable": 1, "posted": 1, "coverage_percent": 100.0,
         "missing": 0, "stale": 0},
        {"field": "Chứng thực", "applicable": 1, "posted": 0, "coverage_percent": 0.0,
         "missing": 0, "stale": 1},
        {"field": "Hộ tịch", "applicable": 3, "posted": 1, "coverage_percent": 33.3,
         "missing": 1, "stale": 1},
    ]


def test_history_recomputes_at_each_change(registry):
    history = board.coverage_report(registry, D2).history
    assert [(h.date, h.applicable, h.posted, h.coverage_percent) for h in history] == [
        (D0, 7, 6, 85.7),
        (D1, 7, 3, 42.9),
        (D1_REPRINT, 7, 4, 57.1),
        # the stray label on STRAY_DAY changed nothing, so no point
        (TAKEDOWN_DAY, 7, 3, 42.9),
        (D2, 6, 2, 33.3),
    ]


def test_history_ends_on_the_as_of_date_even_without_change(registry):
    history = board.coverage_report(registry, date(2026, 12, 31)).history
    assert history[-1].date == date(2026, 12, 31)
    assert (history[-1].applicable, history[-1].posted) == (history[-2].applicable, history[-2].posted)


# -- outputs ------------------------------------------------------------------------------------

def test_json_keys_and_values(rep):
    data = report.to_json(rep)
    assert list(data) == [
        "as_of", "unit", "province", "denominator", "catalogue", "applicable", "posted",
        "coverage_percent", "missing", "no_valid_code", "stale", "orphan", "late", "excluded",
        "by_field", "history", "procedures",
    ]
    assert data["as_of"] == "2026-11-28"
    # The decision chain: the list in force, then each amendment applied on top, by date.
    assert data["catalogue"] == {
        "source": "qd-1234.xlsx", "decision": "1234/QĐ-UBND", "effective": "2026-07-01",
        "amendments": [
            {"source": "qd-2345.docx", "decision": "2345/QĐ-UBND", "effective": "2026-09-01"},
            {"source": "qd-3456.docx", "decision": "3456/QĐ-UBND", "effective": "2026-11-28"}],
        "scope_rule": data["catalogue"]["scope_rule"],
        "out_of_scope": {}}
    assert data["catalogue"]["scope_rule"].startswith("TTHC cấp xã (theo cấp thực hiện")
    assert (data["applicable"], data["posted"], data["coverage_percent"]) == (6, 2, 33.3)
    assert data["missing"] == ["1.000002", "1.000009"]
    assert data["stale"] == ["1.000007", "1.000012"]
    assert data["orphan"] == ["1.000003", "1.000010", "1.000011"]
    assert data["late"] == ["1.000005"]
    assert set(data["by_field"][0]) == {"field", "applicable", "posted", "coverage_percent",
                                        "missing", "stale"}
    assert data["history"][-1] == {"date": "2026-11-28", "coverage_percent": 33.3,
                                   "applicable": 6, "posted": 2}
    assert set(data["procedures"][0]) == {"code", "name", "field", "state", "cause", "note",
                                          "effective", "posted_on", "late", "late_days", "on_board"}
    assert data["denominator"] == (
        "TTHC thuộc phạm vi tiếp nhận của UBND xã Thử <Nghiệm> (TTHC cấp xã (theo cấp thực hiện, "
        "nhóm \"cấp xã\" hoặc \"áp dụng chung\" của danh mục, hoặc cơ quan thực hiện là cơ quan cấp "
        "xã), thuộc danh mục TTHC thống nhất toàn quốc hoặc do UBND tỉnh Hưng Yên công bố, không gồm "
        "TTHC nội bộ), có mã TTHC, còn hiệu lực tại ngày 28/11/2026")
    json.dumps(data)  # serialisable as is


def test_csv_has_one_row_per_procedure_with_its_state(rep):
    text = report.render_csv(rep)
    assert text.startswith("\ufeff") and text.count("\ufeff") == 1  # so Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert text.splitlines()[0] == ("\ufeffcode,name,field,state,cause,note,effective,posted_on,late,"
                                    "late_days,on_board")
    assert {r["code"]: r["state"] for r in rows} == states(rep.coverage)
    late = next(r for r in rows if r["code"] == "1.000005")
    assert (late["late"], late["late_days"], late["posted_on"], late["effective"]) == \
        ("yes", "5", "2026-09-06", "2026-09-01")
    stale = next(r for r in rows if r["code"] == "1.000007")
    assert stale["on_board"] == "1.000006"
    assert next(r for r in rows if r["code"] == "1.000009")["name"] == XSS


def test_text_sentence(rep):
    assert report.sentence(rep) == (
        "Tính đến ngày 28/11/2026, UBND xã Thử <Nghiệm> đã niêm yết công khai bằng mã QR 2/6 TTHC "
        "(33,3%) thuộc phạm vi tiếp nhận theo danh mục công bố tại Quyết định số 1234/QĐ-UBND (hiệu "
        "lực 01/07/2026), sửa đổi, bổ sung tại Quyết định số 2345/QĐ-UBND (hiệu lực 01/09/2026), "
        "Quyết định số 3456/QĐ-UBND (hiệu lực 28/11/2026); còn 2 TTHC chưa niêm yết; 2 TTHC đang "
        "niêm yết phiên bản cũ, cần in lại; 3 nhãn TTHC không còn áp dụng hoặc chưa có hiệu lực cần "
        "gỡ xuống (danh sách kèm theo).")
    # the text output follows the sentence with the lists it refers to
    assert report.render_text(rep).split("\n")[1:] == [
        "", "TTHC chưa niêm yết (2):", "- 1.000009: " + XSS, "- 1.000002: Đăng ký kết hôn",
        "", "TTHC đang niêm yết phiên bản cũ (2):", "- 1.000007: Chứng thực chữ ký trong giấy tờ",
        "- 1.000012: Đăng ký giám hộ",
        "", "Nhãn cần gỡ xuống (3):", "- 1.000010: Thủ tục công bố trước",
        "- 1.000011: Nhãn của danh mục khác", "- 1.000003: Cấp bản sao trích lục hộ tịch"]


def test_html_escapes_every_value_and_is_self_contained(rep):
    html = report.render_html(rep)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; “ngoặc”" in html
    assert "UBND xã Thử &lt;Nghiệm&gt;" in html
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html and "src=" not in html
    assert "@media print" in html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "vi"
    assert soup.select_one('[data-testid="applicable"]').text == "6"
    assert soup.select_one('[data-testid="posted"]').text == "2"
    assert soup.select_one('[data-testid="coverage"]').text == "33,3%"
    missing = soup.select_one('[data-testid="missing-list"]').get_text()
    assert XSS in missing and "1.000002" in missing
    assert [c.text for c in soup.select('[data-testid="by-field"] tbody tr td:first-child')] == [
        "Ăn toàn thực phẩm", "Bảo trợ xã hội", "Chứng thực", "Hộ tịch"]
    assert len(soup.select("svg circle.dot")) == 5
    assert soup.select_one('[data-testid="sentence"]').text == report.sentence(rep)


# -- edge cases, pure ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Label:
    procedure: Procedure
    posted_on: date


def test_no_applicable_procedures_means_undefined_coverage():
    reg = Registry(":memory:")
    reg.set_settings({"unit": "UBND xã Trống", "province": "H31"}, at=AT)
    rep = board.coverage_report(reg, D0)
    assert (rep.coverage.applicable, rep.coverage.ratio, rep.coverage.coverage_percent) == (0, None, None)
    assert report.to_json(rep)["coverage_percent"] is None
    assert report.to_json(rep)["catalogue"] is None
    assert "chưa tính được tỷ lệ" in report.render_text(rep)
    soup = BeautifulSoup(report.render_html(rep), "html.parser")
    assert soup.select_one('[data-testid="coverage"]').text == "Không xác định"
    # A catalogue whose every procedure takes effect later: still nothing applicable.
    import_catalogue(reg, Catalogue("later.csv", (F2,)), effective=D0, at=AT)
    rep = board.coverage_report(reg, D0)
    assert rep.coverage.coverage_percent is None and rep.coverage.rows[0].state == "not_applicable"
    assert report.render_text(rep) == (
        "Tính đến ngày 01/07/2026, theo danh mục công bố tại danh mục later.csv (hiệu lực "
        "01/07/2026), không có TTHC nào thuộc phạm vi tiếp nhận của UBND xã Trống còn hiệu lực nên "
        "chưa tính được tỷ lệ TTHC được niêm yết công khai bằng mã QR.")
    reg.close()


def test_replacement_with_its_own_label_makes_the_old_label_an_orphan():
    old = F.replace(status=REPLACED, replaced_by=G.code, effective=D0)
    new = G.replace(effective=D0)
    cov = report.compute_coverage([old, new], {old.code: Label(F, D0), new.code: Label(new, D0)}, D1)
    assert states(cov) == {G.code: "posted", F.code: "orphan"}
    assert next(r for r in cov.rows if r.code == F.code).cause == "replaced"


def test_rows_without_a_valid_code_stay_in_the_denominator_as_missing():
    nameless = Procedure(levels=("commune",), code="", name="Thủ tục không có mã", field="Hộ tịch",
                         raw_code="1.00000", origin="list.csv, row 3")
    abolished = Procedure(levels=("commune",), code="", name="Thủ tục đã bỏ", status=ABOLISHED)
    cov = report.compute_coverage([A, nameless, abolished], {}, D0)
    assert (cov.applicable, cov.uncoded, cov.missing) == (2, 1, ("1.000001",))
    (row,) = cov.no_valid_code
    assert (row.state, row.source_row, row.raw_code, row.suggestion) == (
        "missing", "list.csv, row 3", "1.00000", "1.000001")
    assert row.note == ("list.csv, dòng 3: mã '1.00000' không hợp lệ; có thể là 1.000001; chưa "
                        "niêm yết được")


def test_all_posted_reads_100_percent():
    cov = report.compute_coverage([A, B], {A.code: Label(A, D0), B.code: Label(B, D0)}, D0)
    assert (cov.coverage_percent, report.vn_percent(cov.coverage_percent)) == (100.0, "100%")


@pytest.mark.parametrize("part, whole, expected", [
    (398, 405, 98.3), (4049, 4050, 99.9), (1, 5000, 0.1), (0, 7, 0.0), (1, 3, 33.3), (3, 0, None),
])
def test_percent_never_rounds_to_a_false_100_or_0(part, whole, expected):
    assert report.percent(part, whole) == expected


def test_vn_percent_uses_a_decimal_comma():
    assert [report.vn_percent(v) for v in (98.3, 100.0, 0.0, None)] == [
        "98,3%", "100%", "0%", "không xác định"]


def test_chart_points_are_steps_on_a_time_axis(rep):
    chart = report.chart_points(rep.history, width=720, height=240)
    assert len(chart.dots) == 5 and len(chart.lines) == 1
    xs = [d[0] for d in chart.dots]
    assert xs == sorted(xs) and xs[0] == chart.left and xs[-1] == chart.left + chart.plot_width
    # 100% is the top of the plot, 0% the bottom.
    assert chart.y_ticks[-1] == (chart.top, "100%")
    assert chart.y_ticks[0] == (chart.top + chart.plot_height, "0%")
    # step line: 2 points per history point but the last
    assert len(chart.lines[0].split()) == 2 * 5 - 1
    assert chart.x_ticks[0][1] == "01/07/2026" and chart.x_ticks[-1][1] == "28/11/2026"


def test_catalogue_cited_is_the_chain_in_force(registry):
    view = catalogue_on(registry, date(2026, 11, 27))
    rep = board.coverage_report(registry, date(2026, 11, 27))
    assert rep.catalogue.decision == view.base.decision == "1234/QĐ-UBND"
    assert [a[1] for a in rep.catalogue.amendments] == ["2345/QĐ-UBND"]  # 3456 is not yet in force


def test_versions_older_than_the_registry_are_late_only_from_its_first_catalogue():
    old = Procedure(levels=("commune",), code="1.000020", name="Thủ tục từ năm 2020", field="Hộ tịch",
                    effective=date(2020, 1, 1))
    reg = Registry(":memory:")
    reg.set_settings({"unit": "UBND xã Cũ", "province": "H31"}, at=AT)
    import_catalogue(reg, Catalogue("list.csv", (old, A)), effective=D0, at=AT)
    board.post_codes(reg, [old.code], day=D0, at=AT)
    board.post_codes(reg, [A.code], day=date(2026, 7, 3), at=AT)
    rep = board.coverage_report(reg, D1)
    assert rep.coverage.late == (A.code,)
    assert next(r for r in rep.coverage.rows if r.code == A.code).late_days == 2
    # The 2020 date does not stretch the history back before the registry began.
    assert [h.date for h in rep.history] == [D0, date(2026, 7, 3), D1]
    # Without `tracked_since`, the pure function takes the effective date literally.
    literal = report.compute_coverage([old], {old.code: Label(old, D0)}, D1)
    assert literal.rows[0].late_days == (D0 - date(2020, 1, 1)).days
    reg.close()


def test_report_agrees_with_the_diff(registry):
    """What the diff says to print, reprint and take down is what the report counts against."""
    d = board.board_diff(registry, D2)  # the board now is the board at the end of D2
    cov = board.coverage_report(registry, D2).coverage
    assert cov.missing == tuple(sorted(i.code for i in d.to_post))
    assert cov.stale == tuple(sorted(i.code for i in d.to_reprint))
    stand_ins = {c for r in cov.rows_in("stale") for c in r.on_board if c != r.code}
    assert set(cov.orphan) | stand_ins == {i.code for i in d.to_take_down}


def test_a_label_the_scope_leaves_out_is_an_orphan_for_that_reason_not_unlisted(tmp_path):
    """The list still names the procedure, but at district level now: the report, the diff and
    the audit say it is outside the unit's scope (the officer will find it in the list), and a
    label of a procedure no list names still says it is not listed."""
    from qrproc import audit as auditmod
    from qrproc.poster.payload import PayloadConfig, payload_for

    reg = Registry(tmp_path / "qrproc.db")
    try:
        reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
        moved = Procedure(levels=("commune",), code="1.000020", name="Cấp phép đào đường",
                          field="Giao thông")
        import_catalogue(reg, Catalogue("qd-1234.xlsx", (A, moved)), effective=D0,
                         decision="1234/QĐ-UBND", at=AT)
        board.post_codes(reg, [A.code, moved.code], day=D0, at=AT)
        reg.post([STRAY], day=D0, at=AT)  # a label of another list
        import_catalogue(reg, Catalogue("qd-2345.xlsx", (moved.replace(levels=("district",)), B)),
                         effective=D1, decision="2345/QĐ-UBND", amend=True, at=AT)

        rows = {r.code: r for r in board.coverage_report(reg, D1).coverage.rows}
        assert (rows[moved.code].state, rows[moved.code].cause) == ("orphan", "out_of_scope")
        assert "ngoài phạm vi tiếp nhận của đơn vị" in rows[moved.code].note
        assert (rows[STRAY.code].state, rows[STRAY.code].cause) == ("orphan", "not_listed")
        assert set(board.status(reg, D1).coverage.orphan) == {moved.code, STRAY.code}

        gone = {i.code: i.reason_vi for i in board.board_diff(reg, D1).to_take_down}
        assert gone[moved.code].startswith("Ngoài phạm vi niêm yết của đơn vị")

        view = catalogue_on(reg, D1)
        config = PayloadConfig()
        seen = [payload_for(p.code, p.portal_id, config) for p in (A, moved, STRAY)]
        result = auditmod.classify(seen, view.included, reg.posted(), D1, config,
                                   history=[moved, STRAY],
                                   out_of_scope={p.code for p, _v in view.excluded})
        causes = {f.code: f.cause for f in result.findings}
        assert causes == {A.code: "up_to_date", moved.code: "out_of_scope",
                          STRAY.code: "not_listed", B.code: "not_on_board"}
    finally:
        reg.close()
