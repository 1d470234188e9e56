"""QR payloads: URL templates, the host allow-list, QR version/EC checks, `qrproc payload`."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
import zxingcpp
from click.testing import CliRunner

from qrproc import board
from qrproc.cli import cli
from qrproc.errors import PayloadError
from qrproc.poster import payload as pl
from qrproc.registry import Registry

AT = datetime(2026, 11, 28, 9, 0, 0)
UUID = "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"


def test_default_template_uses_the_portal_id():
    url = pl.payload_for("1.001193", UUID, pl.PayloadConfig())
    assert url == f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{UUID}"


def test_without_a_portal_id_the_portal_search_by_code_is_used():
    url = pl.payload_for("1.001193", "", pl.PayloadConfig())
    assert url == ("https://dichvucong.gov.vn/tra-cuu-thu-tuc/danh-sach?keyword=1.001193"
                   "&showAdvanced=false&formalityType=STANDARD&limit=10&activeKey=STANDARD")


def test_a_template_with_only_code_is_used_for_every_procedure():
    cfg = pl.PayloadConfig(template="https://dichvucong.hungyen.gov.vn/tthc/{code}",
                           extra_hosts=("dichvucong.hungyen.gov.vn",))
    assert pl.payload_for("1.001193", UUID, cfg) == "https://dichvucong.hungyen.gov.vn/tthc/1.001193"
    assert pl.payload_for("1.001193", "", cfg) == "https://dichvucong.hungyen.gov.vn/tthc/1.001193"


@pytest.mark.parametrize("url", [
    "https://evil.example.com/thu-tuc-hanh-chinh/x",
    "https://dichvucong.gov.vn.evil.example.com/x",
    "https://dichvucong.gov.vn@evil.example.com/x",
    "ftp://dichvucong.gov.vn/x",
])
def test_links_off_the_allow_list_are_refused(url):
    with pytest.raises(PayloadError, match="refusing QR payload"):
        pl.check_url(url, pl.PORTAL_HOSTS)


def test_a_javascript_payload_is_refused():
    with pytest.raises(PayloadError, match="only https/http"):
        pl.check_url("javascript:alert(document.cookie)", pl.PORTAL_HOSTS)
    cfg = pl.PayloadConfig(template="javascript:alert('{code}')")
    with pytest.raises(PayloadError, match="only https/http"):
        pl.payload_for("1.001193", UUID, cfg)


def test_http_and_configured_hosts_are_allowed():
    assert pl.check_url("http://dichvucong.gov.vn/p/x", pl.PORTAL_HOSTS) == "http://dichvucong.gov.vn/p/x"
    cfg = pl.PayloadConfig(extra_hosts=pl.parse_hosts("dichvucong.hungyen.gov.vn, Qr.Xa.VN"))
    assert {"dichvucong.hungyen.gov.vn", "qr.xa.vn"} <= cfg.allowed_hosts
    assert pl.check_url("https://qr.xa.vn/q/1001193", cfg.allowed_hosts)


def test_bad_templates_and_hosts_are_refused():
    hosts = pl.PORTAL_HOSTS
    with pytest.raises(PayloadError, match="unknown placeholder"):
        pl.check_template("https://dichvucong.gov.vn/{name}", hosts)
    with pytest.raises(PayloadError, match="no {id} or {code}"):
        pl.check_template("https://dichvucong.gov.vn/", hosts)
    with pytest.raises(PayloadError, match="must contain {code}"):
        pl.check_template("https://dichvucong.gov.vn/{id}", hosts, needs=("code",))
    with pytest.raises(PayloadError, match="not a host name"):
        pl.parse_hosts("https://qr.xa.vn/")


def test_version_bound_is_an_upper_bound_and_the_ec_level_is_honoured():
    for url in (pl.payload_for("1.001193", UUID, pl.PayloadConfig()),
                pl.payload_for("1.001193.000.00.00.H35", "", pl.PayloadConfig())):
        for ec in pl.EC_LEVELS:
            sym = pl.encode(url, ec)
            assert sym.version <= pl.version_bound(url, ec)
            assert sym.size == pl.modules(sym.version)
            # Decode the symbol itself (quiet zone added) and read its level back.
            img = np.pad(np.where(sym.dark, 0, 255).astype(np.uint8), 4, constant_values=255)
            img = np.kron(img, np.ones((4, 4), dtype=np.uint8))
            got = zxingcpp.read_barcode(img, formats=zxingcpp.BarcodeFormat.QRCode)
            assert got.text == url and got.ec_level == ec


def test_versions_above_6_are_reported():
    assert pl.version_warnings({"1.001193": 6}) == []
    (line,) = pl.version_warnings({"1.001193": 7, "1.000894": 5})
    assert "above 6" in line and "1.001193" in line and "1.000894" not in line


def test_the_dense_code_warning_names_the_settings_box_on_the_desk():
    """The warning shows on the desk's print result page, which has no command line."""
    from qrproc import i18n
    from qrproc.web.words import DESK_WORDS

    with i18n.speaking("vi"):
        (cli,) = pl.version_warnings({"1.001193": 7})
        with i18n.naming(DESK_WORDS):
            (desk,) = pl.version_warnings({"1.001193": 7})
    assert "qrproc payload --template" in cli
    assert "qrproc" not in desk and "--" not in desk
    assert "ô “Mẫu liên kết khi biết mã thủ tục trên Cổng”, trang “Cài đặt”" in desk


def test_settings_round_trip_through_the_registry():
    reg = Registry(":memory:")
    reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    assert board.payload_config(reg) == pl.PayloadConfig()
    cfg = board.set_payload(reg, template="https://qr.xa.vn/q/{code}", allow_hosts=["qr.xa.vn"], ec="m", at=AT)
    assert board.payload_config(reg) == cfg
    assert cfg.ec == "M" and cfg.template == "https://qr.xa.vn/q/{code}"
    with pytest.raises(PayloadError):
        board.set_payload(reg, template="https://evil.example.com/{code}", at=AT)
    assert board.payload_config(reg) == cfg  # a refused change stores nothing


def test_payload_command_sets_and_refuses(db_path):
    runner = CliRunner()
    bad = runner.invoke(cli, ["--db", str(db_path), "payload", "--template", "https://evil.example.com/{code}"])
    assert bad.exit_code == 1
    assert "host 'evil.example.com' is not on the allow-list" in bad.output
    assert "add it with: qrproc payload --allow-host evil.example.com" in bad.output
    ok = runner.invoke(cli, ["--db", str(db_path), "payload", "--template", "https://qr.xa.vn/q/{code}",
                             "--allow-host", "qr.xa.vn"], catch_exceptions=False)
    assert ok.exit_code == 0, ok.output
    assert "Payload settings saved." in ok.output and "qr.xa.vn" in ok.output
    shown = runner.invoke(cli, ["--db", str(db_path), "payload"], catch_exceptions=False)
    assert "https://qr.xa.vn/q/{code}" in shown.output
    reg = Registry(db_path)
    try:
        assert reg.get_setting("payload_template") == "https://qr.xa.vn/q/{code}"
        assert reg.get_setting("allowed_hosts") == "qr.xa.vn"
    finally:
        reg.close()


def test_a_payload_change_can_be_previewed_and_undone(db_path):
    runner = CliRunner()

    def run(*args):
        r = runner.invoke(cli, ["--db", str(db_path), *args], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.output

    args = ("payload", "--template", "https://qr.xa.vn/q/{code}", "--allow-host", "qr.xa.vn")
    dry = run(*args, "--dry-run")
    assert "Link (portal id known): https://qr.xa.vn/q/{code}" in dry and "Dry run" in dry
    assert "Link (portal id known): https://dichvucong.gov.vn/" in run("payload")
    run(*args)
    assert "payload" in run("log")
    run("undo")
    shown = run("payload")
    assert "Link (portal id known): https://dichvucong.gov.vn/" in shown and "qr.xa.vn" not in shown
