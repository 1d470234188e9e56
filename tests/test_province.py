"""The province office (issue 14): one catalogue out to every commune, one table back. A province
registry exports its catalogue; three communes import it as is, post different subsets, and send
bundles; the roll-up is checked figure by figure, a tampered bundle is flagged, and a commune on an
old catalogue is flagged with the codes that differ. All through the real command line and files;
the HTML roll-up is opened in Debian's Chromium."""

from __future__ import annotations

import csv
import io
import hashlib
import json
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import numpy as np
import zxingcpp
from PIL import Image

from qrproc.cli import cli
from qrproc.poster.payload import PayloadConfig, payload_for
from qrproc.demo import AMENDED_LIST, FIRST_LIST, sample_path
from qrproc.sources import load_file

from test_report_browser import ARGS, CHROMIUM
from cli_runner import cli_runner

DAY = "2026-12-20"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The province's registry and two exports: before and after decision 2345/QĐ-UBND."""
    tmp = tmp_path_factory.mktemp("tinh")
    run = runner(tmp / "tinh.db")
    run("init", "--unit", "Văn phòng UBND tỉnh Hưng Yên", "--province", "H31")
    run("import", str(sample_path(FIRST_LIST)))
    run("catalogue", "export", "--out", str(tmp / "tinh-v1.json"), "--as-of", "2026-07-01")
    run("import", str(sample_path(AMENDED_LIST)), "--effective", "2026-12-15", "--decision", "2345/QĐ-UBND")
    r = run("catalogue", "export", "--out", str(tmp / "tinh-v2.json"), "--as-of", DAY)
    assert r.stdout.startswith(f"Wrote {tmp / 'tinh-v2.json'}: 186 procedures for H31 on 20/12/2026 "
                               "(182 in force, 4 abolished or not yet in force; 186 with their portal id), "
                               "SHA-256 ")
    run("catalogue", "export", "--out", str(tmp / "tinh-v2.xlsx"), "--as-of", DAY)
    return tmp


def runner(db: Path):
    return cli_runner(db)


def wall_photo(path: Path, codes, catalogue: Path) -> Path:
    """A photo-like sheet of the labels of `codes`, as the commune printed them (their links)."""
    by_code = {p.code: p for p in load_file(catalogue).procedures}
    links = [payload_for(c, by_code[c].portal_id, PayloadConfig(), by_code[c].kind) for c in codes]
    images = [np.asarray(zxingcpp.create_barcode(u, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
                         .to_image(scale=4, add_quiet_zones=True)) for u in links]
    side, per_row = max(i.shape[0] for i in images) + 30, 10
    sheet = Image.new("L", (side * per_row, side * -(-len(images) // per_row)), 255)
    for k, i in enumerate(images):
        r, c = divmod(k, per_row)
        sheet.paste(Image.fromarray(i), (c * side + 15, r * side + 15))
    sheet.save(path)
    return path


@pytest.fixture(scope="module")
def communes(office):
    """Three communes: A posts everything on time, B half of it late, C stays on the old list.
    B photographs its whole board; A photographs three labels only (the audit cannot vouch for
    the rest); C has no audit."""
    out = office / "goi"
    out.mkdir()
    for name, export in (("a", "tinh-v2.json"), ("b", "tinh-v2.json"), ("c", "tinh-v1.json")):
        run = runner(office / f"xa-{name}.db")
        run("init", "--unit", f"UBND xã {name.upper()}", "--province", "H31")
        run("import", str(office / export))
        if name == "a":
            run("post", "--all-pending", "--date", "2026-07-01")
            run("post", "--all-pending", "--date", "2026-12-15")
            diff = json.loads(run("diff", "--as-of", "2026-12-15", "--json").stdout)
            gone = [i["code"] for i in diff["to_take_down"]]
            if gone:
                run("takedown", ",".join(gone), "--date", "2026-12-15")
            three = ["1.013750", "1.014027", "1.001193"]
            run("audit", str(wall_photo(office / "a.png", three, office / "tinh-v2.json")),
                "--date", "2026-12-18")
        elif name == "b":
            diff = json.loads(run("diff", "--as-of", DAY, "--json").stdout)
            half = [i["code"] for i in diff["to_post"]][::2]
            run("post", ",".join(half), "--date", DAY)
            run("audit", str(wall_photo(office / "b.png", half, office / "tinh-v2.json")), "--date", DAY)
        else:
            run("post", "--all-pending", "--date", "2026-07-01")
        run("export", "--out", str(out / f"xa-{name}.zip"), "--as-of", DAY)
    return out


def test_a_commune_importing_the_export_gets_exactly_the_provinces_list(office):
    cat = load_file(office / "tinh-v2.json")
    # the list in force plus the rows the decision abolished, so a commune knows what to take down
    assert len(cat.procedures) == 186 and all(p.portal_id for p in cat.procedures)
    assert sum(p.in_force for p in cat.procedures) == 182
    manifest = json.loads((office / "tinh-v2.json").read_text(encoding="utf-8"))["manifest"]
    assert cat.export_sha256 == manifest["sha256"]
    assert [d["decision"] for d in manifest["decisions"]] == ["2345/QĐ-UBND"]
    assert manifest["counts"] == {"procedures": 186, "in_force": 182, "with_portal_id": 186}
    # the XLSX for people reads back with the same codes, ids and fees
    xlsx = load_file(office / "tinh-v2.xlsx")
    assert [(p.code, p.portal_id, p.fees) for p in xlsx.procedures] == \
        [(p.code, p.portal_id, p.fees) for p in cat.procedures]


def test_an_edited_export_is_refused(office, tmp_path):
    data = json.loads((office / "tinh-v2.json").read_text(encoding="utf-8"))
    data["procedures"][0]["name"] = "Đã sửa"
    path = tmp_path / "sua.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    run = runner(tmp_path / "x.db")
    run("init", "--unit", "UBND xã X", "--province", "H31")
    r = run("import", str(path), ok=False)
    assert r.exit_code == 1 and r.stderr == (
        "Error: sua.json: its content does not match the SHA-256 its manifest states: the file was "
        "changed after the province exported it; ask for it again\n")


def roll_up(office, communes, *extra):
    r = CliRunner().invoke(cli, ["province", str(communes), "--catalogue", str(office / "tinh-v2.json"),
                                 "--format", "json", *extra], catch_exceptions=False)
    assert r.exit_code == 0, r.output + r.stderr
    return json.loads(r.stdout), r


def test_the_roll_up_gives_every_communes_figures_and_flags(office, communes):
    data, _ = roll_up(office, communes)
    rows = {c["unit"]: c for c in data["communes"]}
    a, b, c = rows["UBND xã A"], rows["UBND xã B"], rows["UBND xã C"]
    keys = ["unit", "province", "as_of", "applicable", "posted", "coverage_percent", "verified",
            "catalogue_current", "flags"]
    assert list(a)[:9] == keys
    assert {k: a[k] for k in keys} == {
        "unit": "UBND xã A", "province": "H31", "as_of": DAY, "applicable": 182, "posted": 182,
        "coverage_percent": 100.0, "verified": True, "catalogue_current": True,
        "flags": ["audit_disagrees"]}
    assert (a["missing"], a["stale"], a["orphan"], a["late"]) == (0, 0, 0, 0)
    # A's photo showed 3 of its 182 labels: the audit cannot vouch for the board
    assert (a["last_audit"], a["audit_agrees"]) == ("2026-12-18", False)
    assert {k: b[k] for k in keys} == {
        "unit": "UBND xã B", "province": "H31", "as_of": DAY, "applicable": 182, "posted": 91,
        "coverage_percent": 50.0, "verified": True, "catalogue_current": True, "flags": []}
    assert (b["missing"], b["late"]) == (91, 91)
    assert (b["last_audit"], b["audit_agrees"]) == (DAY, True)
    assert (c["last_audit"], c["audit_agrees"]) == (None, None)
    assert c["catalogue_current"] is False
    assert c["flags"] == ["old_catalogue", "denominator_differs", "no_audit"]
    # the codes where C's denominator differs: the amendment's new ones, and the ones it ended
    assert c["differs"]["missing_from_commune"] == [
        "1.013750", "1.014027", "1.014028", "1.014034", "1.014035", "1.014057", "3.000412"]
    assert c["differs"]["not_in_province_list"] == [
        "1.010101", "1.012563", "1.012566", "1.013239", "2.000986", "2.001023"]
    assert data["totals"] == {"communes": 3, "verified": 3, "counted": 3, "applicable": 545, "posted": 454,
                              "coverage_percent": 83.3, "full_coverage": 2}
    # sorted by coverage, lowest first
    assert [x["unit"] for x in data["communes"]] == ["UBND xã B", "UBND xã A", "UBND xã C"]


def test_a_tampered_bundle_is_listed_and_not_counted(office, communes, tmp_path):
    folder = tmp_path / "goi"
    folder.mkdir()
    for p in communes.glob("*.zip"):
        (folder / p.name).write_bytes(p.read_bytes())
    with zipfile.ZipFile(communes / "xa-b.zip") as z:
        members = {n: z.read(n) for n in z.namelist()}
    report = json.loads(members["report.json"])
    report["posted"] = 182
    members["report.json"] = json.dumps(report).encode()
    with zipfile.ZipFile(folder / "xa-b.zip", "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    data, r = roll_up(office, folder)
    b = next(c for c in data["communes"] if c["unit"] == "UBND xã B")
    assert b["verified"] is False and b["coverage_percent"] is None and b["flags"][0] == "not_verified"
    assert b["problem"] == "report.json changed after export (SHA-256 does not match the manifest)"
    assert data["totals"]["verified"] == 2 and data["totals"]["posted"] == 182 + 181
    assert "Warning: xa-b.zip: does not verify" in r.stderr


def test_a_bundle_signed_with_the_provinces_key(office, communes, tmp_path):
    key = tmp_path / "khoa.txt"
    key.write_text("bí mật của tỉnh")
    run = runner(office / "xa-a.db")
    run("export", "--out", str(tmp_path / "xa-a.zip"), "--as-of", DAY, "--key-file", str(key))
    ok, _ = roll_up(office, tmp_path / "xa-a.zip", "--key-file", str(key))
    assert ok["communes"][0]["verified"] is True
    other = tmp_path / "khac.txt"
    other.write_text("khóa khác")
    bad, _ = roll_up(office, tmp_path / "xa-a.zip", "--key-file", str(other))
    assert bad["communes"][0]["problem"] == "the manifest's HMAC does not match the province's key"


def test_csv_and_xlsx_outputs(office, communes, tmp_path):
    r = CliRunner().invoke(cli, ["province", str(communes), "--catalogue", str(office / "tinh-v2.json"),
                                 "--format", "csv"], catch_exceptions=False)
    assert r.stdout.startswith("\ufeff\"Xã, phường\",Tỉnh,Ngày số liệu,TTHC áp dụng,Đã niêm yết,Tỷ lệ,")
    rows = list(csv.reader(io.StringIO(r.stdout.lstrip("\ufeff"))))
    assert rows[1][:6] == ["UBND xã B", "H31", "20/12/2026", "182", "91", "50%"]
    from openpyxl import load_workbook

    out = tmp_path / "tong-hop.xlsx"
    r = CliRunner().invoke(cli, ["province", str(communes), "--catalogue", str(office / "tinh-v2.json"),
                                 "--format", "xlsx", "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["Tổng hợp", "Khác danh mục tỉnh", "Không xác minh được"]
    assert wb["Tổng hợp"]["A2"].value == "UBND xã B"
    assert wb["Khác danh mục tỉnh"].max_row == 1 + 13


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium")
def test_the_html_roll_up_in_chromium(office, communes, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "tong-hop.html"
    r = CliRunner().invoke(cli, ["province", str(communes), "--catalogue", str(office / "tinh-v2.json"),
                                 "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0
    requests, errors = [], []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("request", lambda q: requests.append(q.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(out.as_uri())
            assert page.locator("html").get_attribute("lang") == "vi"
            assert page.get_by_test_id("communes").inner_text() == "3"
            assert page.get_by_test_id("total-coverage").inner_text() == "83,3%"
            first = page.get_by_test_id("row-1").locator("td")
            assert first.nth(0).inner_text() == "UBND xã B" and first.nth(5).inner_text() == "50%"
            page.locator("th[data-key=coverage]").click()      # sort by coverage, ascending
            page.locator("th[data-key=coverage]").click()      # then descending
            top = page.locator("#communes tbody tr").first.locator("td")
            assert top.nth(5).inner_text() == "100%"
            page.locator("th[data-key=as_of]").click()         # by date: as dates, not as text
            days = page.locator("#communes tbody tr").evaluate_all(
                "rows => rows.map(r => r.children[2].dataset.sort)")
            assert all(len(d) == 8 for d in days) and days == sorted(days)
            c_row = page.locator("#communes tbody tr", has_text="UBND xã C")
            assert "thiếu: 1.013750" in c_row.inner_text()
        finally:
            browser.close()
    assert requests == [out.as_uri()] and errors == []


def test_a_commune_sending_twice_counts_once_and_another_province_is_not_counted(office, communes,
                                                                                tmp_path):
    folder = tmp_path / "goi"
    folder.mkdir()
    for p in communes.glob("*.zip"):
        (folder / p.name).write_bytes(p.read_bytes())
    run = runner(office / "xa-b.db")
    # B's earlier bundle, sent before the later one: the later date counts
    run("export", "--out", str(folder / "xa-b-cu.zip"), "--as-of", "2026-12-16")
    other = runner(tmp_path / "khac.db")
    other("init", "--unit", "UBND xã Khác", "--province", "H01")
    other("import", str(office / "tinh-v2.json"), "--other-province")
    other("export", "--out", str(folder / "xa-khac.zip"), "--as-of", DAY)
    data, r = roll_up(office, folder)
    rows = {(c["unit"], c["bundle"]): c for c in data["communes"]}
    assert rows[("UBND xã B", "xa-b-cu.zip")]["flags"][0] == "superseded"
    assert "superseded" not in rows[("UBND xã B", "xa-b.zip")]["flags"]
    assert rows[("UBND xã Khác", "xa-khac.zip")]["flags"][0] == "other_province"
    assert data["totals"] == {"communes": 5, "verified": 5, "counted": 3, "applicable": 545,
                              "posted": 454, "coverage_percent": 83.3, "full_coverage": 2}
    assert "Warning: xa-khac.zip: xã của tỉnh khác, không tính" in r.stderr
    # rows not counted come last
    assert [c["bundle"] for c in data["communes"]][-2:] == ["xa-b-cu.zip", "xa-khac.zip"]


def test_a_file_that_is_not_a_bundle_is_listed_not_verified(office, tmp_path):
    (tmp_path / "rac.zip").write_bytes(b"not a zip")
    with zipfile.ZipFile(tmp_path / "list.zip", "w") as z:
        z.writestr("manifest.json", "[]")
        for n in ("report.json", "catalogue.json", "audit.json"):
            z.writestr(n, "[1, 2]")
    data, r = roll_up(office, tmp_path)
    assert [(c["bundle"], c["verified"]) for c in data["communes"]] == [
        ("list.zip", False), ("rac.zip", False)]
    assert data["totals"]["counted"] == 0 and data["totals"]["coverage_percent"] is None
    assert r.stderr.count("does not verify") == 2


def test_a_hand_made_bundle_of_the_wrong_shapes_is_listed_never_a_crash(office, tmp_path):
    def bundle(path, manifest_files, report):
        members = {"report.json": json.dumps(report).encode(), "catalogue.json": b"{}",
                   "audit.json": b"{}"}
        if manifest_files is None:  # a manifest that matches its members: anyone can write one
            manifest_files = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("manifest.json", json.dumps({"format": "qrproc-bundle/1",
                                                    "files": manifest_files}))
            for n, data in members.items():
                z.writestr(n, data)

    bundle(tmp_path / "danh-sach.zip", ["report.json"], {"unit": "UBND xã D"})
    bundle(tmp_path / "chu.zip", None, {"unit": "UBND xã E", "province": "H31",
                                         "as_of": DAY, "procedures": "1.001193"})
    data, r = roll_up(office, tmp_path)
    rows = {c["bundle"]: c for c in data["communes"]}
    assert rows["danh-sach.zip"]["verified"] is False
    assert rows["danh-sach.zip"]["problem"] == "a part is not a JSON object"
    assert rows["chu.zip"]["verified"] is True and rows["chu.zip"]["applicable"] == 0


def test_a_missing_or_edited_province_catalogue_is_one_line(office, communes, tmp_path):
    bad = tmp_path / "danh-muc.json"
    bad.write_text("{", encoding="utf-8")
    r = CliRunner().invoke(cli, ["province", str(communes), "--catalogue", str(bad)])
    assert r.exit_code == 1 and r.stderr.startswith("Error: danh-muc.json: not a readable qrproc "
                                                    "catalogue export")


def test_a_name_that_looks_like_a_formula_stays_text_in_the_spreadsheets(tmp_path):
    from openpyxl import load_workbook

    from qrproc import exchange, province
    from qrproc.model import Procedure

    row = province.CommuneRow(
        bundle="x.zip", unit='=HYPERLINK("http://x.example","Bấm")', province="H31", as_of=None,
        applicable=1, posted=1, missing=0, stale=0, orphan=0, late=0, last_audit=None,
        audit_agrees=None, verified=True, catalogue_current=None, flags=())
    book = tmp_path / "r.xlsx"
    book.write_bytes(province.render_xlsx(province.Rollup((row,))))
    cell = load_workbook(book)["Tổng hợp"]["A2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x.example","Bấm")', "s")
    assert province.render_csv(province.Rollup((row,))).splitlines()[1].startswith(
        '"\'=HYPERLINK(')
    export = exchange.CatalogueExport("H31", date(2026, 12, 20), (), (
        Procedure(code="1.001193", name="=1+1", levels=("commune",)),))
    book.write_bytes(exchange.catalogue_xlsx(export))
    cell = load_workbook(book)["Danh mục TTHC"]["B2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
