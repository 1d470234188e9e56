"""`qrproc fetch` end to end: a local imitation of the portal, through CliRunner, into a registry
file. Exact success lines, exit codes, and one-line errors that leave the registry as it was."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from qrproc.cli import cli
from qrproc.registry import Registry

from portal_server import FakePortal, old_detail_page, search_row
from test_fetch_portal import ITEMS, details


@pytest.fixture
def server():
    with FakePortal(ITEMS, details()) as fake:
        yield fake


def invoke(db_path, *args, ok=True):
    result = CliRunner().invoke(cli, ["--db", str(db_path), "fetch", *args], catch_exceptions=not ok)
    return result


def fast(server, *extra):
    return ["--base-url", server.url, "--rate", "0", "--backoff", "0", "--effective", "2026-07-01",
            *extra]


def snapshot_codes(db_path) -> list[set[str]]:
    with Registry(db_path) as reg:
        return [{p.code for p in reg.snapshot_procedures(s.id)} for s in reg.snapshots()]


def test_fetch_stores_a_snapshot_and_says_so(server, db_path):
    result = invoke(db_path, *fast(server, "-q"))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Fetched the catalogue for H31 Hưng Yên from {server.url} (10 listed by the portal; 10 "
        "requests, 7 details downloaded, 0 taken from the cache).\n"
        "Fetched: 10 rows stored as a list; effective 01/07/2026 (as given with --effective).\n"
        "  Received at the commune: 6 (6 in force, 0 announced for later, 0 abolished or replaced, "
        "0 without a code).\n"
        "  Left out of the scope: 4 (1 province level, 2 specific to another province, 1 internal "
        "procedure).\n"
        "  QR links: 6 to the procedure's own page on the portal, 0 to the portal's search by code.\n"
        "Compared with the previous list: 6 new, 0 changed, 0 no longer listed.\n")
    # every row is stored; the scope rule picks the commune's six when the registry is read
    assert snapshot_codes(db_path) == [{i["code"] for i in ITEMS}]
    # the default cache sits next to the registry
    assert len(list((db_path.parent / ".qrproc-cache" / "details").iterdir())) == 7


def test_refetch_with_nothing_changed_uses_the_cache(server, db_path):
    invoke(db_path, *fast(server, "-q"))
    server.reset_calls()
    result = invoke(db_path, *fast(server, "-q"))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == (f"Fetched the catalogue for H31 Hưng Yên from {server.url} (10 listed by "
                        "the portal; 3 requests, 0 details downloaded, 7 taken from the cache).")
    assert lines[1].startswith("Fetched: the same content was already imported on ")
    assert lines[1].endswith(f"({server.url} (H31 Hưng Yên)); nothing was changed.") and len(lines) == 2
    assert server.count("detail") == 0 and server.count("list") == 2
    assert len(snapshot_codes(db_path)) == 1


def test_progress_goes_to_stderr_only(server, db_path):
    result = invoke(db_path, *fast(server))
    assert result.exit_code == 0
    assert result.stdout.startswith("Fetched the catalogue ") and "list pages" not in result.stdout
    assert "list pages" in result.stderr and "details" in result.stderr


def test_province_by_gso_number(server, db_path, tmp_path):
    result = invoke(db_path, *fast(server, "-q", "--province", "33", "--cache-dir", str(tmp_path / "c")))
    assert result.exit_code == 0
    assert result.stdout.startswith("Fetched the catalogue for H31 Hưng Yên")
    assert "  Received at the commune: 6 (6 in force" in result.stdout


def test_server_failure_is_one_line_and_changes_nothing(server, db_path, tmp_path):
    server.always("detail", 503)
    result = invoke(db_path, *fast(server, "-q", "--cache-dir", str(tmp_path / "c")))
    assert result.exit_code == 1
    url = f"{server.url}/api/v1/configuring/formality/get-formality-by-citizen"
    assert result.stderr == (
        f"Error: {url}: HTTP 503 after 4 attempts; fetched 0 of 7 details (kept in the cache: run "
        "the fetch again to resume); nothing was stored and the registry is unchanged\n")
    assert result.stdout == "" and snapshot_codes(db_path) == []


def test_interrupted_fetch_resumes_from_the_cli(server, db_path, tmp_path):
    cache = ["--cache-dir", str(tmp_path / "c")]
    server.plan("detail", ("sleep", 0), ("sleep", 0))
    server.always("detail", "drop")
    assert invoke(db_path, *fast(server, "-q", "--attempts", "2", *cache)).exit_code == 1
    assert snapshot_codes(db_path) == []
    server.clear_faults()
    server.reset_calls()
    result = invoke(db_path, *fast(server, "-q", *cache))
    assert result.exit_code == 0
    assert "(10 listed by the portal; 6 requests, 5 details downloaded, 2 taken from the cache)" in result.stdout
    assert snapshot_codes(db_path) == [{i["code"] for i in ITEMS}]


def test_short_list_is_refused(server, db_path):
    server.total = 5670
    result = invoke(db_path, *fast(server, "-q"))
    assert result.exit_code == 1
    assert result.stderr.endswith("list-all-public-formality-by-citizen: fetched 10 of the 5,670 "
                                  "procedures the portal lists (the list ended early); nothing was "
                                  "stored and the registry is unchanged\n")
    assert result.stderr.count("\n") == 1 and snapshot_codes(db_path) == []


def test_drop_guard_applies(server, db_path, tmp_path):
    invoke(db_path, *fast(server, "-q"))
    server.items = ITEMS[3:]  # the national standard hộ tịch and chứng thực procedures vanish
    result = invoke(db_path, *fast(server, "-q"))
    assert result.exit_code == 1 and "drops 3 of the 6 in force" in result.stderr
    assert len(snapshot_codes(db_path)) == 1
    result = invoke(db_path, *fast(server, "-q", "--accept-drop"))
    assert result.exit_code == 0 and "0 new, 0 changed, 3 no longer listed" in result.stdout


def test_bad_province_is_a_usage_error(db_path):
    result = invoke(db_path, "--province", "H99")
    assert result.exit_code == 2 and "Invalid value for '--province': 'H99' is not a province code" in result.stderr


def test_uninitialised_registry(tmp_path, server):
    result = invoke(tmp_path / "new.db", *fast(server, "-q"))
    assert result.exit_code == 1 and "new.db: no registry there; create it with: qrproc" in result.stderr
    assert not (tmp_path / "new.db").exists()


def test_legacy_source_end_to_end(db_path):
    fake = FakePortal()
    rows = [("5974", "1.001193", "Thủ tục đăng ký khai sinh", "Cấp Xã"),
            ("7002", "1.004227", "Cấp giấy phép hoạt động điện lực", "Cấp Tỉnh"),
            ("7700", "2.002080", "Thủ tục thôi làm hòa giải viên", "Cấp Xã")]
    fake.legacy_rows = [search_row(pid, code, name, amount=0, stt=0) for pid, code, name, _ in rows]
    fake.legacy_pages = {pid: old_detail_page(pid, code, name, level=lv) for pid, code, name, lv in rows}
    with fake:
        result = invoke(db_path, "--source", "legacy", *fast(fake, "-q"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"Fetched the catalogue for H31 Hưng Yên from {fake.url} (3 listed by the portal; "
        "4 requests, 3 details downloaded, 0 taken from the cache)")
    assert "  Received at the commune: 2 (2 in force" in result.stdout
    assert "  Left out of the scope: 1 (1 province level)." in result.stdout
