"""The SQLite registry: schema, transactions, postings, the append-only log."""

import sqlite3
from datetime import date

import pytest

from qrproc.errors import RegistryError
from qrproc.registry import SCHEMA_VERSION, Registry

from conftest import AT, DEC, JUL, KET_HON, KHAI_SINH, catalogue


def dump(path):
    """Every row of every table, to compare a registry before and after."""
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    conn.close()
    return out


def test_schema_version_and_wal(db_path):
    reg = Registry(db_path)
    assert reg.schema_version == SCHEMA_VERSION
    assert reg.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert reg.settings() == {"unit": "UBND xã Mẫu", "province": "H31"}
    reg.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RegistryError, match="newer than this qrproc understands"):
        Registry(path)


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not sqlite " * 100)
    with pytest.raises(RegistryError, match="not a qrproc registry"):
        Registry(path)


def test_snapshots_timeline(registry):
    a = registry.add_snapshot(catalogue(KHAI_SINH), effective=JUL, decision="1234/QĐ-UBND", kind="full", at=AT)
    b = registry.add_snapshot(catalogue(KHAI_SINH, KET_HON), effective=DEC, decision="2345/QĐ-UBND",
                              kind="full", at=AT)
    assert registry.snapshot_as_of(date(2026, 6, 30)) is None
    assert registry.snapshot_as_of(date(2026, 12, 14)).id == a.id
    assert registry.snapshot_as_of(DEC).id == b.id
    assert [s.id for s in registry.future_snapshots(date(2026, 12, 1))] == [b.id]
    assert registry.snapshot_procedures(b.id) == (KHAI_SINH, KET_HON)
    assert (b.total, b.in_force, b.abolished, b.uncoded) == (2, 2, 0, 0)


def test_post_reprint_and_take_down(registry):
    registry.add_snapshot(catalogue(KHAI_SINH), effective=JUL, decision="", kind="full", at=AT)
    done, same = registry.post([KHAI_SINH], day=JUL, at=AT)
    assert done == ["1.001193"] and same == []
    assert registry.post([KHAI_SINH], day=JUL, at=AT) == ([], ["1.001193"])
    renamed = KHAI_SINH.replace(name="Thủ tục đăng ký khai sinh (sửa đổi)")
    registry.post([renamed], day=DEC, at=AT)
    assert registry.posted()["1.001193"].procedure == renamed
    # the board as it stood on a past day
    assert registry.posted(on=date(2026, 8, 1))["1.001193"].procedure == KHAI_SINH
    assert registry.posted(on=date(2026, 6, 1)) == {}
    assert registry.take_down(["1.001193", "1.000894"], day=DEC, at=AT) == (["1.001193"], ["1.000894"])
    assert registry.posted() == {}
    assert [e.kind for e in registry.events()] == ["settings", "import", "post", "post", "takedown"]


def test_event_log_is_append_only(registry):
    registry.log("note", at=AT, text="hello")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        registry.conn.execute("UPDATE events SET kind = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        registry.conn.execute("DELETE FROM events")


def test_a_failed_write_rolls_back_everything(db_path):
    reg = Registry(db_path)
    reg.add_snapshot(catalogue(KHAI_SINH), effective=JUL, decision="", kind="full", at=AT)
    before = dump(db_path)
    with pytest.raises(RuntimeError):
        with reg.transaction():
            reg.post([KHAI_SINH], day=JUL, at=AT)
            reg.add_snapshot(catalogue(KET_HON), effective=DEC, decision="", kind="full", at=AT)
            raise RuntimeError("power cut")
    reg.close()
    assert dump(db_path) == before


def test_post_without_code_is_refused(registry):
    from conftest import proc
    with pytest.raises(RegistryError, match="without a code"):
        registry.post([proc("", "Chứng thực chữ ký")], day=JUL, at=AT)


def test_batches(registry):
    b = registry.add_batch(layout="grid", path="posters/x.pdf", as_of=DEC,
                           items=[(KHAI_SINH, "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/x")], at=AT)
    assert registry.batch(b.id).count == 1
    assert registry.batch_procedures(b.id) == [KHAI_SINH]
    with pytest.raises(RegistryError, match="no print batch 99"):
        registry.batch(99)
