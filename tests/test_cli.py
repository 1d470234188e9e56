"""The command line: exact messages, exit codes, and the whole flow on real files."""

import csv
import json
from datetime import date

import click
import pytest
from click.testing import CliRunner

from qrproc.cli import cli

from test_registry import dump
from cli_runner import cli_runner

HEADER = ["STT", "Mã TTHC", "Tên TTHC", "Lĩnh vực", "Cấp thực hiện", "Ngày hiệu lực", "Tình trạng"]
ROWS = [
    ["1", "1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", "Cấp xã", "01/07/2026", "Còn hiệu lực"],
    ["2", "1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch", "Cấp xã", "01/07/2026", "Còn hiệu lực"],
    ["3", "1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", "Cấp xã", "01/07/2026", "Còn hiệu lực"],
    ["4", "2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực", "Cấp xã", "01/07/2026",
     "Còn hiệu lực"],
    ["5", "2.002080", "Thủ tục thôi làm hòa giải viên", "Hòa giải ở cơ sở", "Cấp xã", "01/07/2026", "Còn hiệu lực"],
]


def write_csv(path, rows, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QRPROC_DB", str(tmp_path / "qrproc.db"))
    return cli_runner()


@pytest.fixture
def board(run, tmp_path):
    run("init", "--unit", "UBND xã Mẫu", "--province", "H31")
    write_csv(tmp_path / "v1.csv", ROWS)
    run("import", "v1.csv")
    return tmp_path


def test_every_command_has_help_with_an_example():
    ctx = click.Context(cli)
    names = cli.list_commands(ctx)
    assert names == ["audit", "batches", "catalogue", "codes", "correct", "demo", "diff", "export", "fetch",
                     "import", "init", "links", "log", "migrate", "payload", "post", "posters",
                     "province", "report", "scope", "serve", "status", "takedown", "undo"]
    for name in names:
        command = cli.get_command(ctx, name)
        assert command.help and "Example: qrproc" in command.help, name


def test_init_and_import(run, tmp_path):
    r = run("init", "--unit", "UBND xã Mẫu", "--province", "h31")
    assert r.stdout == f"Registry {tmp_path / 'qrproc.db'} ready for UBND xã Mẫu (H31).\n"
    write_csv(tmp_path / "v1.csv", ROWS)
    r = run("import", "v1.csv", "--decision", "1234/QĐ-UBND")
    assert r.stdout == (
        "Imported v1.csv: 5 rows stored as a list, decision 1234/QĐ-UBND; effective 01/07/2026 "
        "(from the rows' own dates).\n"
        "  Received at the commune: 5 (5 in force, 0 announced for later, 0 abolished or replaced, "
        "0 without a code).\n"
        "  QR links: 0 to the procedure's own page on the portal, 5 to the portal's search by code.\n"
        "Compared with the previous list: 5 new, 0 changed, 0 no longer listed.\n")


def test_bad_arguments_are_usage_errors(run):
    r = run("init", "--unit", "x", "--province", "Hưng Yên", ok=False)
    assert r.exit_code == 2 and ("'Hưng Yên' is not a province code: give the H-code (H31) or the "
                                 "GSO number (33) of one of the 34 provinces") in r.stderr
    r = run("init", "--unit", "x", "--province", "H99", ok=False)
    assert r.exit_code == 2 and "'H99' is not a province code" in r.stderr
    r = run("diff", "--as-of", "tomorrow", ok=False)
    assert r.exit_code == 2 and "'tomorrow' is not a date; write it as 2026-11-28 or 28/11/2026" in r.stderr
    r = run("post", "ABC-1", ok=False)
    assert r.exit_code == 2 and "'ABC-1' is not a procedure code like 1.001193" in r.stderr
    r = run("post", ok=False)
    assert r.exit_code == 2 and "give procedure CODES, --all-pending or --batch N (exactly one)" in r.stderr


def test_commands_before_init_say_what_to_do(run, tmp_path):
    write_csv(tmp_path / "v1.csv", ROWS)
    r = run("import", "v1.csv", ok=False)
    assert r.exit_code == 1
    assert r.stderr == (f"Error: {tmp_path / 'qrproc.db'}: no registry there; create it with: qrproc "
                        f"--db {tmp_path / 'qrproc.db'} init --unit \"UBND xã …\" --province H31\n")
    assert not (tmp_path / "qrproc.db").exists()  # nothing was created


def test_the_registry_is_found_in_a_parent_folder_and_never_created_elsewhere(tmp_path, monkeypatch):
    monkeypatch.delenv("QRPROC_DB", raising=False)
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["init", "--unit", "UBND xã Mẫu", "--province", "33"]).exit_code == 0
    deep = tmp_path / "ho-so" / "2026"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    r = runner.invoke(cli, ["status"])
    assert r.exit_code == 0 and f"registry: {tmp_path / 'qrproc.db'}" in r.stdout
    assert not (deep / "qrproc.db").exists()
    other = tmp_path.parent / f"{tmp_path.name}-khac"
    other.mkdir()
    monkeypatch.chdir(other)
    r = runner.invoke(cli, ["diff"])
    assert r.exit_code == 1 and r.stderr.startswith(
        f"Error: no registry found: looked for qrproc.db in {other} and every folder above it")
    assert list(other.iterdir()) == []
    r = runner.invoke(cli, ["--db", str(other / "sai.db"), "report", "--format", "text"])
    assert r.exit_code == 1 and "sai.db: no registry there" in r.stderr
    assert list(other.iterdir()) == []


def test_diff_post_takedown_flow(run, board):
    d = json.loads(run("diff", "--as-of", "2026-07-01", "--json").stdout)
    assert [i["code"] for i in d["to_post"]] == ["2.000815", "2.002080", "1.000656", "1.000894", "1.001193"]
    assert d["unchanged"] == 0 and d["to_take_down"] == []
    r = run("post", "--all-pending", "--date", "2026-07-01")
    assert r.stdout == "Posted 5 labels on 01/07/2026.\n"
    assert run("post", "1.001193", "--date", "2026-07-02").stdout == \
        "Posted 0 labels on 02/07/2026; 1 already up to date.\n"
    # an amended list announced for 15/12: nothing changes before that date
    rows = [r[:] for r in ROWS]
    rows[1][2] = "Thủ tục đăng ký kết hôn (sửa đổi, bổ sung)"
    rows[1][5] = "15/12/2026"
    rows[2][5:7] = ["15/12/2026", "Bãi bỏ"]
    write_csv(board / "v2.csv", rows)
    run("import", "v2.csv", "--decision", "2345/QĐ-UBND")
    before = json.loads(run("diff", "--as-of", "2026-12-14", "--json").stdout)
    assert before["to_post"] == before["to_reprint"] == before["to_take_down"] == []
    assert {i["code"]: i["reason"] for i in before["not_yet_effective"]} == {
        "1.000894": "label changes from 15/12/2026 (QĐ 2345/QĐ-UBND): tên",
        "1.000656": "abolished from 15/12/2026 (QĐ 2345/QĐ-UBND)",
    }
    after = json.loads(run("diff", "--as-of", "2026-12-15", "--json").stdout)
    assert [(i["code"], i["reason"]) for i in after["to_reprint"]] == [("1.000894", "label changed: tên")]
    assert [(i["code"], i["reason"]) for i in after["to_take_down"]] == [("1.000656", "abolished (QĐ 2345/QĐ-UBND)")]
    assert after["unchanged"] == 3
    text = run("diff", "--as-of", "2026-12-15").stdout
    assert "To take down (1):\n  1.000656                 Thủ tục đăng ký khai tử  [Hộ tịch]  — abolished (QĐ 2345/QĐ-UBND)\n" in text
    r = run("takedown", "1.000656", "1.001612", "--date", "2026-12-15")
    assert r.stdout == "Took down 1 label on 15/12/2026.\n"
    assert r.stderr == "Warning: 1.001612 was not on the board\n"
    run("post", "--all-pending", "--date", "2026-12-15")
    clean = json.loads(run("diff", "--as-of", "2026-12-15", "--json").stdout)
    assert clean["to_post"] == clean["to_reprint"] == clean["to_take_down"] == [] and clean["unchanged"] == 4
    st = run("status", "--as-of", "2026-12-15").stdout
    assert "On the board: 4 labels; to print 0, to reprint 0, to take down 0, not yet in force 0." in st


def test_posting_a_code_not_in_force_is_refused(run, board):
    r = run("post", "1.014057", "--date", "2026-07-01", ok=False)
    assert r.exit_code == 1
    assert r.stderr == "Error: 1.014057 is not in the catalogue in force on 2026-07-01\n"
    r = run("post", "1.001193", "--date", "2026-06-30", ok=False)
    assert r.stderr == ("Error: no catalogue is in force on 2026-06-30: the first one takes effect on "
                        "2026-07-01\n")


def test_failed_imports_leave_the_registry_as_it_was(run, board):
    db = board / "qrproc.db"
    before = dump(db)
    write_csv(board / "short.csv", ROWS[:2])
    r = run("import", "short.csv", ok=False)
    assert r.exit_code == 1 and r.stderr.startswith("Error: short.csv: lists 2 procedures but drops 3 of the 5")
    assert len(r.stderr.strip().splitlines()) == 1
    # TCVN3 text (a legacy 8-bit encoding) is refused, naming the encoding
    (board / "tcvn3.csv").write_bytes("Mã TTHC,Tên TTHC\n".encode("utf-8") +
                                      "1.001193,Thñ tôc ®¨ng ký khai sinh\n".encode("utf-8"))
    r = run("import", "tcvn3.csv", ok=False)
    assert r.exit_code == 1 and "TCVN3" in r.stderr and "tcvn3.csv" in r.stderr
    assert "Traceback" not in r.output + r.stderr
    r = run("import", "missing.csv", ok=False)
    assert r.exit_code == 1
    assert dump(db) == before


def test_demo_runs_offline(run, tmp_path):
    r = run("demo", "--out", "demo", "--silent")
    out = r.stdout
    assert "Sample unit: UBND xã Mẫu (H31)" in out
    assert "Board against the catalogue in force on 15/12/2026:" in out
    assert "To print (6):" in out and "To reprint (2):" in out and "To take down (6):" in out
    assert "1.012563" in out and "replaced by 1.014057" in out
    assert (tmp_path / "demo" / "qrproc-demo.db").exists()
    assert "Whole board: demo/bang-niem-yet-2026-12-15.pdf (29 pages, 182 QR codes verified)" in out
    assert "Changed labels + takedown sheet: demo/thay-doi-2026-12-15.pdf (5 pages, 8 QR codes verified)" in out
    assert "Changed labels put up on 16/12/2026; coverage 182/182 (100%), 8 put up late." in out
    assert out.endswith("Coverage report: demo/bao-cao-niem-yet-2026-12-16.html\n")
    assert "[7/7] Writing the coverage report" in r.stderr
    html = (tmp_path / "demo" / "bao-cao-niem-yet-2026-12-16.html").read_text(encoding="utf-8")
    assert "UBND xã Mẫu" in html and "182" in html


def test_no_catalogue_in_force_never_means_take_everything_down(run, board):
    run("post", "--all-pending", "--date", "2026-07-01")
    r = run("diff", "--as-of", "2026-06-30", ok=False)
    assert r.exit_code == 1
    assert r.stderr == ("Error: no catalogue is in force on 2026-06-30: the first one takes effect on "
                        "2026-07-01\n")
    r = run("posters", "--as-of", "2026-06-30", ok=False)
    assert r.exit_code == 1 and "no catalogue is in force on 2026-06-30" in r.stderr
    st = run("status", "--as-of", "2026-06-30").stdout
    # the board as it stood that day: the labels went up on 01/07
    assert "Catalogue in force: none yet" in st and "On the board: 0 labels.\n" in st


def test_diff_status_and_report_give_the_same_numbers_for_the_same_date(run, board):
    run("post", "1.001193,1.000894", "--date", "2026-07-01")
    run("post", "1.000656", "--date", "2026-07-05")
    for day, posted in (("2026-07-02", 2), ("2026-07-05", 3)):
        d = json.loads(run("diff", "--as-of", day, "--json").stdout)
        rep = json.loads(run("report", "--format", "json", "--as-of", day).stdout)
        st = run("status", "--as-of", day).stdout
        assert d["unchanged"] == rep["posted"] == posted
        assert len(d["to_post"]) + d["unchanged"] == rep["applicable"] == 5
        assert f"Coverage on {day[8:]}/{day[5:7]}/{day[:4]}: {posted}/5 " in st


def test_status_and_diff_before_any_import(run):
    run("init", "--unit", "UBND xã Mẫu", "--province", "H31")
    r = run("diff", ok=False)
    assert r.exit_code == 1 and r.stderr.endswith("; import one first (qrproc import FILE)\n")
    assert "On the board: 0 labels.\n" in run("status").stdout


def test_scope_excludes_an_agency_with_a_reason_and_the_diff_follows(board, run):
    r = run("scope", "--exclude-agency", "Ủy ban nhân dân cấp xã", ok=False)
    assert r.exit_code == 1 and r.stderr == (
        "Error: 'Ủy ban nhân dân cấp xã': give the reason the unit leaves it out (--reason)\n")
    r = run("scope", "--add", "1,2", ok=False)
    assert r.exit_code == 2
    before = json.loads(run("diff", "--json", "--as-of", "2026-07-01").stdout)
    assert before["out_of_scope"] == []
    r = run("scope", "--remove", "1.001193", "--reason", "niêm yết tại Công an xã")
    assert r.stdout.splitlines()[0] == "Scope saved."
    assert "  removed 1.001193: niêm yết tại Công an xã" in r.stdout
    after = json.loads(run("diff", "--json", "--as-of", "2026-07-01").stdout)
    assert after["out_of_scope"] == [{"code": "1.001193", "name": "Thủ tục đăng ký khai sinh",
                                      "field": "Hộ tịch", "cause": "removed",
                                      "reason": "removed from the scope by the unit "
                                                "(niêm yết tại Công an xã)"}]
    assert "1.001193" not in {i["code"] for i in after["to_post"]}


def test_an_agency_exclusion_says_what_it_leaves_out_and_warns_when_nothing(board, run, tmp_path):
    """A list without an agency column: excluding 'Công an cấp xã' leaves nothing out, and the
    report's rule would claim it does; the scope command says so."""
    r = run("scope", "--exclude-agency", "Công an cấp xã", "--reason", "Công an xã niêm yết riêng")
    day = date.today().isoformat()
    assert f"  'Công an cấp xã': 0 procedures of the catalogue in force on {day} name it and are " \
           "left out\n" in r.stdout
    assert r.stderr == (
        "Warning: no procedure of the catalogue in force names 'Công an cấp xã' as its agency, so "
        "the exclusion leaves nothing out (5 procedures name no agency at all: the list may have no "
        "agency column; a portal fetch or its detail JSON has one)\n")
    header = HEADER + ["Cơ quan thực hiện"]
    rows = [row + ["Công an cấp xã" if row[1] == "1.001193" else "Ủy ban nhân dân cấp xã"]
            for row in ROWS]
    run("import", str(write_csv(tmp_path / "v2.csv", rows, header=header)))
    r = run("scope")
    assert f"  'Công an cấp xã': 1 procedure of the catalogue in force on {day} names it and is " \
           "left out\n" in r.stdout and r.stderr == ""
