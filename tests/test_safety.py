"""Safe by default (issue 11): dry runs change nothing, every change can be undone (recorded as an
undo, never by deleting history), guards ask before harm, and ordinary mistakes and hostile input
get one Vietnamese-desk-friendly line instead of a traceback. All through the real command line."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qrproc.errors import RegistryError
from qrproc.registry import Registry

from test_registry import dump
from cli_runner import cli_runner

HEADER = ["STT", "Mã TTHC", "Tên TTHC", "Lĩnh vực", "Cấp thực hiện", "Ngày hiệu lực"]
ROWS = [["1", "1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", "Cấp xã", "01/07/2026"],
        ["2", "1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch", "Cấp xã", "01/07/2026"],
        ["3", "1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", "Cấp xã", "01/07/2026"],
        ["4", "2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực", "Cấp xã",
         "01/07/2026"]]


def write_csv(path: Path, rows, header=HEADER) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def state(db: Path) -> dict:
    """What the board and the catalogue are: every table but the append-only journals and the
    store of label versions, with withdrawn (undone) imports left out."""
    everything = dump(db)
    conn = sqlite3.connect(db)
    live = {r[0] for r in conn.execute("SELECT id FROM snapshots WHERE NOT withdrawn")}
    conn.close()
    # `versions` stores every label version ever seen (postings refer to it): content, not state
    out = {t: rows for t, rows in everything.items() if t not in ("events", "changes", "versions")}
    out["snapshots"] = [r for r in out["snapshots"] if r[0] in live]
    out["snapshot_items"] = [r for r in out["snapshot_items"] if r[0] in live]
    return out


@pytest.fixture
def desk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QRPROC_DB", raising=False)
    run = cli_runner()
    run("init", "--unit", "UBND xã Mẫu", "--province", "H31")
    write_csv(tmp_path / "v1.csv", ROWS)
    return run


def test_a_dry_run_of_every_changing_command_changes_nothing(desk, tmp_path):
    db = tmp_path / "qrproc.db"
    before = dump(db)
    r = desk("import", "v1.csv", "--dry-run")
    assert r.stdout.startswith("Dry run: what the command would do, without saving anything:\n"
                               "Imported v1.csv: 4 rows stored as a list")
    assert r.stdout.endswith("Dry run: nothing was changed.\n")
    assert dump(db) == before
    desk("import", "v1.csv")
    before = dump(db)
    for args in (("post", "--all-pending", "--date", "2026-07-01"),
                 ("scope", "--exclude-agency", "Công an cấp xã", "--reason", "niêm yết riêng"),
                 ("undo",)):
        r = desk(*args, "--dry-run")
        assert r.stdout.endswith("Dry run: nothing was changed.\n"), args
        assert dump(db) == before, args
    assert desk("post", "--all-pending", "--date", "2026-07-01", "--dry-run").stdout == (
        "Dry run: what the command would do, without saving anything:\n"
        "Posted 4 labels on 01/07/2026.\nDry run: nothing was changed.\n")
    desk("post", "--all-pending", "--date", "2026-07-01")
    before = dump(db)
    r = desk("takedown", "1.001193", "--date", "2026-08-01", "--force", "--dry-run")
    assert r.stdout == ("Dry run: what the command would do, without saving anything:\n"
                        "Took down 1 label on 01/08/2026.\nDry run: nothing was changed.\n")
    assert dump(db) == before


def test_undo_after_import_post_and_takedown_restores_the_state(desk, tmp_path):
    db = tmp_path / "qrproc.db"
    empty = state(db)
    desk("import", "v1.csv")
    imported = state(db)
    desk("post", "--all-pending", "--date", "2026-07-01")
    posted = state(db)
    desk("takedown", "1.001193,1.000894", "--date", "2026-08-01", "--force")
    log = desk("log").stdout.splitlines()
    assert [line.split()[3] for line in log] == ["init", "import", "post", "takedown"]
    assert log[3].endswith("2 labels taken down on 01/08/2026")

    assert desk("undo").stdout == "Undid change 4 (takedown): 2 labels taken down on 01/08/2026\n"
    assert state(db) == posted
    desk("undo")
    assert state(db) == imported
    r = desk("undo")
    assert r.stdout.startswith("Undid change 2 (import): list v1.csv: 4 rows")
    assert state(db) == {**empty, "settings": state(db)["settings"]} == empty
    with Registry(db, readonly=True) as reg:
        undos = reg.events("undo")
        assert [e.detail["change"] for e in undos] == [4, 3, 2]
        assert [c.undone_by for c in reg.changes()[:4]] == [None, 7, 6, 5]
    assert "[undone by 5]" in desk("log").stdout
    # the same file again is a new import, not "already imported": the earlier one was undone
    assert desk("import", "v1.csv").stdout.startswith("Imported v1.csv: 4 rows stored")


def test_undo_back_to_a_given_change(desk, tmp_path):
    db = tmp_path / "qrproc.db"
    desk("import", "v1.csv")
    imported = state(db)
    desk("post", "1.001193", "--date", "2026-07-01")
    desk("post", "1.000894", "--date", "2026-07-02")
    r = desk("undo", "3")
    assert r.stdout.splitlines() == ["Undid change 4 (post): 1 label put up on 02/07/2026",
                                     "Undid change 3 (post): 1 label put up on 01/07/2026"]
    assert state(db) == imported
    r = desk("undo", "3", ok=False)
    assert r.exit_code == 1 and r.stderr == (
        "Error: change 3 is not in the log or was already undone (qrproc log lists them)\n")


def test_taking_down_a_procedure_still_in_force_needs_force(desk, tmp_path):
    db = tmp_path / "qrproc.db"
    desk("import", "v1.csv")
    desk("post", "--all-pending", "--date", "2026-07-01")
    before = dump(db)
    r = desk("takedown", "1.001193", "--date", "2026-12-15", ok=False)
    assert r.exit_code == 1 and r.stderr == (
        "Error: 1.001193 is still in force on 2026-12-15: its label belongs on the board, so "
        "nothing was taken down. If it really came down (torn, lost), use --force: it then counts "
        "as missing until it is put up again\n")
    assert dump(db) == before


def test_fetching_another_provinces_list_needs_saying_so(desk, tmp_path):
    r = desk("fetch", "--province", "H17", "--base-url", "http://127.0.0.1:9", ok=False)
    assert r.exit_code == 1 and r.stderr == (
        "Error: this registry is for a unit in Hưng Yên (H31), not Đà Nẵng (H17); nothing was "
        "fetched (to do it on purpose, add --other-province)\n")


@pytest.mark.parametrize("args, message", [
    (("post", "1.001193", "--date", "2026-07-011"), "'2026-07-011' is not a date"),
    (("report", "--fail-under", "nan"), "'nan' is not a number from 0 to 100"),
    (("report", "--fail-under", "inf"), "'inf' is not a number from 0 to 100"),
    (("post", "--batch", "0"), "0 is not in the range x>=1"),
])
def test_bad_arguments_are_refused_not_guessed(desk, args, message):
    r = desk(*args, ok=False)
    assert r.exit_code == 2 and message in r.stderr, r.stderr


def test_control_characters_and_escape_sequences_never_reach_the_terminal(desk, tmp_path):
    rows = [["1", "1.001193", "Thủ tục đăng ký khai sinh\x1b[2J\x1b]0;pwned\x07\u202e", "Hộ tịch",
             "Cấp xã", "01/07/2026"]]
    write_csv(tmp_path / "hostile.csv", rows)
    desk("import", "hostile.csv")
    out = desk("diff", "--as-of", "2026-07-01").stdout
    assert "Thủ tục đăng ký khai sinh  [Hộ tịch]" in out
    assert not any(ch in out for ch in "\x1b\x07\u202e")


def test_a_locked_registry_waits_then_says_another_qrproc_is_working(tmp_path):
    db = tmp_path / "qrproc.db"
    with Registry(db) as reg:
        reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=reg_time())
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Registry(db, timeout=0.2) as reg, pytest.raises(RegistryError) as e:
            reg.set_settings({"unit": "x"}, at=reg_time())
        assert str(e.value) == (f"{db}: another qrproc is changing this registry right now; wait "
                                "until it has finished and run the command again")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def reg_time():
    from datetime import datetime
    return datetime(2026, 11, 28, 9)


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`qrproc diff | head -1`: the reader stops early; qrproc exits without a traceback."""
    rows = [[str(n), f"1.{100000 + n:06d}", f"Thủ tục thử nghiệm số {n} " + "dài " * 20, "Hộ tịch",
             "Cấp xã", "01/07/2026"] for n in range(1, 1500)]
    write_csv(tmp_path / "big.csv", rows)
    env = {"PATH": "/usr/bin:/bin", "QRPROC_DB": str(tmp_path / "qrproc.db"), "PYTHONIOENCODING": "utf-8"}
    qrproc = [sys.executable, "-m", "qrproc"]
    subprocess.run(qrproc + ["init", "--unit", "UBND xã Mẫu", "--province", "H31"], env=env, check=True,
                   capture_output=True)
    subprocess.run(qrproc + ["import", "big.csv"], env=env, check=True, capture_output=True, cwd=tmp_path)
    proc = subprocess.Popen(qrproc + ["diff", "--as-of", "2026-07-01"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    # nothing in the environment asks for English: the board speaks Vietnamese
    assert first.decode().startswith("Đối chiếu bảng niêm yết") and stderr == ""


def test_a_read_only_command_never_writes(desk, tmp_path):
    db = tmp_path / "qrproc.db"
    desk("import", "v1.csv")
    before = dump(db)
    mtime = db.stat().st_mtime_ns
    for args in (("diff",), ("status",), ("log",), ("scope",), ("payload",),
                 ("report", "--format", "json")):
        desk(*args)
    assert dump(db) == before and db.stat().st_mtime_ns == mtime
