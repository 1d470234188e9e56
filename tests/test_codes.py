"""Every applicable row counts (issue 13): a hand-typed list with mistyped codes keeps those rows
in the denominator as missing, suggests the code they most likely meant, and lets the desk
correct a code in the registry (recorded, undoable). Through the real command line, on the
bundled sample commune's list."""

from __future__ import annotations

import csv
import json

import pytest

from qrproc.demo import FIRST_LIST, sample_path
from cli_runner import cli_runner

TYPOS = {"1.001731": "1,001731", "2.000282": "2.00028", "1.012564": "1.O12564"}


@pytest.fixture
def desk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QRPROC_DB", raising=False)
    run = cli_runner()
    run("init", "--unit", "UBND xã Mẫu", "--province", "H31")
    run("import", str(sample_path(FIRST_LIST)))          # the province's list, with its codes
    with sample_path(FIRST_LIST).open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    for row in rows[1:]:
        row[1] = TYPOS.get(row[1], row[1])                  # the desk's hand-typed copy
        row[10] = "15/12/2026"
    with (tmp_path / "go-tay.csv").open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    run("import", "go-tay.csv", "--effective", "2026-12-15")
    run("post", "--all-pending", "--date", "2026-12-15")
    return run


def report(run):
    return json.loads(run("report", "--format", "json", "--as-of", "2026-12-15").stdout)


def test_rows_with_mistyped_codes_stay_in_the_denominator(desk):
    rep = report(desk)
    assert (rep["posted"], rep["applicable"]) == (178, 181)
    assert rep["no_valid_code"] == [
        {"row": "go-tay.csv, row 2", "name": "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
         "field": "Bảo trợ xã hội", "raw_code": "1,001731", "suggestion": "1.001731"},
        {"row": "go-tay.csv, row 4", "name": "Tiếp nhận đối tượng cần bảo vệ khẩn cấp vào cơ sở trợ giúp xã hội",
         "field": "Bảo trợ xã hội", "raw_code": "2.00028", "suggestion": ""},  # 2.000282 or 2.000286: no guess
        {"row": "go-tay.csv, row 8",
         "name": "Điều chỉnh thông tin trong Cơ sở dữ liệu quốc gia về dân cư theo đề nghị của công dân (thực hiện tại cấp xã)",
         "field": "Cấp, quản lý căn cước", "raw_code": "1.O12564", "suggestion": "1.012564"},
    ]
    assert desk("codes", "--as-of", "2026-12-15").stdout.splitlines() == [
        "  1. go-tay.csv, row 2: '1,001731' — Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội; "
        "probably 1.001731",
        "  2. go-tay.csv, row 4: '2.00028' — Tiếp nhận đối tượng cần bảo vệ khẩn cấp vào cơ sở trợ "
        "giúp xã hội",
        "  3. go-tay.csv, row 8: '1.O12564' — Điều chỉnh thông tin trong Cơ sở dữ liệu quốc gia về "
        "dân cư theo đề nghị của công dân (thực hiện tại cấp xã); probably 1.012564"]


def test_a_corrected_code_is_posted_like_any_other_and_undo_takes_it_back(desk):
    r = desk("correct", "2", "2.000282", "--as-of", "2026-12-15")
    assert r.stdout == "go-tay.csv, row 4: code '2.00028' corrected to 2.000282.\n"
    rep = report(desk)
    assert (rep["posted"], rep["applicable"], len(rep["no_valid_code"])) == (178, 181, 2)
    assert "2.000282" in rep["missing"]
    diff = json.loads(desk("diff", "--as-of", "2026-12-15", "--json").stdout)
    assert [i["code"] for i in diff["to_post"]] == ["2.000282"]
    desk("post", "2.000282", "--date", "2026-12-16")
    assert report(desk)["posted"] == 178  # put up a day after the report date
    assert desk("undo").stdout.startswith("Undid change")        # the post
    r = desk("undo")
    assert r.stdout == ("Undid change 5 (correct): go-tay.csv, row 4: code '2.00028' corrected to "
                        "2.000282\n")
    assert len(report(desk)["no_valid_code"]) == 3


def test_a_correction_to_a_code_already_listed_is_refused(desk):
    r = desk("correct", "go-tay.csv, row 2", "1.001193", "--as-of", "2026-12-15", ok=False)
    assert r.exit_code == 1 and r.stderr == (
        "Error: 1.001193 is already the code of 'Thủ tục đăng ký khai sinh' (go-tay.csv, row 82); "
        "nothing was changed\n")
    r = desk("correct", "9", "1.001193", "--as-of", "2026-12-15", ok=False)
    assert r.exit_code == 2 and "9 is not a number from qrproc codes (1–3)" in r.stderr


def test_in_vietnamese_rows_are_shown_and_taken_as_the_desk_reads_them(desk, monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "vi")
    lines = desk("codes", "--as-of", "2026-12-15").stdout.splitlines()
    assert lines[0] == ("  1. go-tay.csv, dòng 2: '1,001731' — Hỗ trợ chi phí mai táng cho đối tượng "
                        "bảo trợ xã hội; có thể là 1.001731")
    r = desk("correct", "go-tay.csv,  dòng 8", "1.012564", "--as-of", "2026-12-15")
    assert r.stdout.startswith("go-tay.csv, dòng 8: ")
    rep = report(desk)
    assert [p["row"] for p in rep["no_valid_code"]] == ["go-tay.csv, row 2", "go-tay.csv, row 4"]
