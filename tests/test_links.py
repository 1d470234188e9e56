"""Portal ids resolved by code (issue 13): an annex carries codes, not ids; `qrproc links` finds
each procedure's own page from the portal's public list (list calls only), never guessing: a code
with two province variants keeps its search link, and is counted. A real HTTP server on
127.0.0.1 stands in for the portal."""

from __future__ import annotations

import csv
import json

from click.testing import CliRunner

from qrproc.cli import cli
from qrproc.poster.payload import PayloadConfig, payload_for
from qrproc.registry import Registry

from portal_server import FakePortal, list_item


def _id(n: int) -> str:
    return f"019d2bfd-3fe0-70ac-b9d6-{n:012x}"


ITEMS = [
    list_item(_id(1), "1.001193", "Thủ tục đăng ký khai sinh"),
    list_item(_id(2), "1.000894", "Thủ tục đăng ký kết hôn"),
    # a national procedure and Hưng Yên's own variant of it: the province's own is its page
    list_item(_id(3), "2.000815", "Chứng thực bản sao từ bản chính"),
    list_item(_id(4), "2.000815", "Chứng thực bản sao từ bản chính (Hưng Yên)", type="SPECIFIC",
              promulgator="UBND tỉnh Hưng Yên"),
    # two variants of the province's own: no unambiguous page
    list_item(_id(5), "1.013300", "Hỗ trợ nhà ở cho hộ nghèo (đợt 1)", type="SPECIFIC",
              promulgator="UBND tỉnh Hưng Yên"),
    list_item(_id(6), "1.013300", "Hỗ trợ nhà ở cho hộ nghèo (đợt 2)", type="SPECIFIC",
              promulgator="UBND tỉnh Hưng Yên"),
    # another province's variant of a national code is not a candidate
    list_item(_id(7), "1.000894", "Thủ tục đăng ký kết hôn (Đà Nẵng)", type="SPECIFIC",
              promulgator="UBND Thành phố Đà Nẵng"),
]
ANNEX = [["STT", "Mã TTHC", "Tên TTHC", "Cấp thực hiện"],
         ["1", "1.001193", "Thủ tục đăng ký khai sinh", "Cấp xã"],
         ["2", "1.000894", "Thủ tục đăng ký kết hôn", "Cấp xã"],
         ["3", "2.000815", "Chứng thực bản sao từ bản chính", "Cấp xã"],
         ["4", "1.013300", "Hỗ trợ nhà ở cho hộ nghèo", "Cấp xã"],
         ["5", "1.000656", "Thủ tục đăng ký khai tử", "Cấp xã"]]


def test_links_gives_annex_codes_their_own_pages(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QRPROC_DB", raising=False)
    runner = CliRunner()

    def run(*args):
        r = runner.invoke(cli, list(args), catch_exceptions=False)
        assert r.exit_code == 0, r.output + r.stderr
        return r

    with (tmp_path / "phu-luc.csv").open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(ANNEX)
    run("init", "--unit", "UBND xã Mẫu", "--province", "H31")
    run("import", "phu-luc.csv", "--effective", "2026-07-01")
    run("post", "--all-pending", "--date", "2026-07-01")
    with FakePortal(ITEMS, {}) as portal:
        r = run("links", "--base-url", portal.url, "--rate", "0", "-q", "--as-of", "2026-07-01")
        assert portal.count("detail") == 0 and portal.count("list") >= 1
    assert r.stdout.splitlines() == [
        f"Links: 3 of 5 procedures now link to their own page on the portal ({len(portal.calls)} "
        "requests); 1 have more than one possible page and 1 are not in the portal's list: they "
        "keep the search link.",
        "  several pages: 1.013300"]
    with Registry(tmp_path / "qrproc.db", readonly=True) as reg:
        assert reg.links() == {"1.001193": _id(1), "1.000894": _id(2), "2.000815": _id(4)}
    diff = json.loads(run("diff", "--as-of", "2026-07-01", "--json").stdout)
    # the labels up link to a search: they are reprinted with the procedure's own page
    assert sorted(i["code"] for i in diff["to_reprint"]) == ["1.000894", "1.001193", "2.000815"]
    assert all(i["reason"] == "label changed: liên kết trên Cổng" for i in diff["to_reprint"])
    assert payload_for("2.000815", _id(4), PayloadConfig()) == \
        f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{_id(4)}"
    # undone like any change
    run("undo")
    with Registry(tmp_path / "qrproc.db", readonly=True) as reg:
        assert reg.links() == {}
