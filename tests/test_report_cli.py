"""`qrproc report`: formats, where the output goes, and --fail-under exit codes."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from qrproc import board
from qrproc.catalogue import import_catalogue
from qrproc.cli import cli
from qrproc.model import Catalogue, Procedure
from qrproc.registry import Registry

from test_report import XSS, build_scenario

AT = datetime(2026, 7, 1, 9, 0)
D0 = date(2026, 7, 1)


@pytest.fixture
def scenario_db(tmp_path):
    db = tmp_path / "qrproc.db"
    build_scenario(Registry(db)).close()
    return str(db)


@pytest.fixture
def half_db(tmp_path):
    """Two applicable procedures, one posted: exactly 50%."""
    db = tmp_path / "half.db"
    reg = Registry(db)
    reg.set_settings({"unit": "UBND xã Nửa", "province": "H31"}, at=AT)
    import_catalogue(reg, Catalogue("list.csv", (
        Procedure(levels=("commune",), code="1.000001", name="Đăng ký khai sinh", field="Hộ tịch"),
        Procedure(levels=("commune",), code="1.000002", name="Đăng ký kết hôn", field="Hộ tịch"),
    )), effective=D0, at=AT)
    board.post_codes(reg, ["1.000001"], day=D0, at=AT)
    reg.close()
    return str(db)


def run(db, *args):
    return CliRunner().invoke(cli, ["--db", db, "report", *args], catch_exceptions=False)


def test_text_goes_to_stdout(scenario_db):
    result = run(scenario_db, "--as-of", "28/11/2026", "--format", "text")
    assert result.exit_code == 0
    assert result.stdout.startswith("Tính đến ngày 28/11/2026, UBND xã Thử <Nghiệm> đã niêm yết công "
                                    "khai bằng mã QR 2/6 TTHC (33,3%) thuộc phạm vi tiếp nhận")
    assert "cần gỡ xuống (danh sách kèm theo).\n\nTTHC chưa niêm yết (2):\n" in result.stdout


def test_json_goes_to_stdout(scenario_db):
    result = run(scenario_db, "--as-of", "2026-11-28", "--format", "json")
    data = json.loads(result.stdout)
    assert (data["applicable"], data["posted"], data["coverage_percent"]) == (6, 2, 33.3)
    assert data["missing"] == ["1.000002", "1.000009"]


def test_csv_to_a_file_has_a_bom_for_excel(scenario_db, tmp_path):
    out = tmp_path / "bao-cao.csv"
    result = run(scenario_db, "--as-of", "2026-11-28", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == f"Wrote the csv report to {out}\n"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcode,name,field,state")  # one mark, not two
    assert XSS in raw.decode("utf-8-sig")


def test_csv_to_stdout_has_the_bom_too(scenario_db, tmp_path):
    """`qrproc report --format csv > bao-cao.csv` gives Excel the same bytes as --out."""
    out = tmp_path / "bao-cao.csv"
    run(scenario_db, "--as-of", "2026-11-28", "--format", "csv", "--out", str(out))
    result = run(scenario_db, "--as-of", "2026-11-28", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfcode,name,field,state")
    assert result.stdout_bytes == out.read_bytes()


def test_html_defaults_to_a_dated_file_in_the_current_folder(scenario_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(scenario_db, "--as-of", "2026-11-28")
    assert result.exit_code == 0
    assert result.stdout == "bao-cao-niem-yet-2026-11-28.html\n"
    html = (tmp_path / "bao-cao-niem-yet-2026-11-28.html").read_text(encoding="utf-8")
    assert 'data-testid="coverage" id="coverage">33,3%<' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("pct, code", [("0", 0), ("49.9", 0), ("50", 0), ("50.1", 2), ("100", 2)])
def test_fail_under_exit_codes(half_db, pct, code):
    result = run(half_db, "--as-of", "2026-07-01", "--format", "text", "--fail-under", pct)
    assert result.exit_code == code
    # The output is written either way.
    assert result.stdout.startswith("Tính đến ngày 01/07/2026, UBND xã Nửa đã niêm yết công khai bằng "
                                    "mã QR 1/2 TTHC (50%)")
    if code:
        assert result.stderr == f"Coverage 1/2 (50.0%) is below --fail-under {float(pct):g}%.\n"
    else:
        assert result.stderr == ""


def test_fail_under_writes_the_file_before_failing(half_db, tmp_path):
    out = tmp_path / "r.html"
    result = run(half_db, "--as-of", "2026-07-01", "--out", str(out), "--fail-under", "100")
    assert result.exit_code == 2 and out.exists() and "below --fail-under 100%" in result.stderr


def test_fail_under_with_undefined_coverage_fails(tmp_path):
    db = tmp_path / "empty.db"
    reg = Registry(db)
    reg.set_settings({"unit": "UBND xã Trống", "province": "H31"}, at=AT)
    reg.close()
    result = run(str(db), "--as-of", "2026-07-01", "--format", "json", "--fail-under", "1")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["coverage_percent"] is None
    assert "Coverage is undefined on 2026-07-01" in result.stderr


def test_fail_under_out_of_range_is_a_usage_error(half_db):
    result = run(half_db, "--fail-under", "120")
    assert result.exit_code == 2 and "120" in result.stderr and "Invalid value" in result.stderr


def test_uninitialised_registry_is_a_one_line_error(tmp_path):
    result = run(str(tmp_path / "none.db"), "--format", "text")
    assert result.exit_code == 1 and "none.db: no registry there" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_report_command_has_help_with_an_example():
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0 and "Example: qrproc report" in result.stdout
