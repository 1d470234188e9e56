"""The SQLite registry: schema, transactions, postings, the append-only log."""

import json
import sqlite3
from datetime import date

import pytest

from qrproc.errors import RegistryError
from qrproc.catalogue import catalogue_on
from qrproc.registry import _MIGRATIONS, SCHEMA_VERSION, Registry, _split_sql

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
    assert catalogue_on(registry, date(2026, 6, 30)) is None
    assert catalogue_on(registry, date(2026, 12, 14)).base.id == a.id
    assert catalogue_on(registry, DEC).base.id == b.id
    assert registry.snapshot_procedures(b.id) == (KHAI_SINH, KET_HON)
    assert registry.all_snapshot_procedures() == {a.id: (KHAI_SINH,), b.id: (KHAI_SINH, KET_HON)}
    assert (b.total, b.in_force, b.abolished, b.uncoded) == (2, 2, 0, 0)
    assert (a.timeline_kind, b.delta) == ("full", False)


def test_a_version_2_amendment_stored_merged_reads_as_a_full_list(tmp_path):
    """Before schema 3 an amendment was stored merged onto the list it amended: after the
    migration it still composes as the full list it is."""
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    for version in (1, 2):
        for statement in _split_sql(_MIGRATIONS[version]):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO settings (key, value) VALUES ('unit', 'UBND xã Mẫu'), ('province', 'H31')")
    for sid, kind, eff, procs in ((1, "full", JUL, (KHAI_SINH,)), (2, "amend", DEC, (KHAI_SINH, KET_HON))):
        conn.execute("INSERT INTO snapshots VALUES (?, 'x.csv', ?, '2026-11-28T09:00:00', ?, '', ?, ?, 0, 0)",
                     (sid, kind, eff.isoformat(), len(procs), len(procs)))
        for seq, p in enumerate(procs):
            conn.execute("INSERT INTO snapshot_items VALUES (?, ?, ?, ?, ?)",
                         (sid, seq, p.code, p.content_hash, json.dumps(p.to_dict(), ensure_ascii=False)))
    conn.commit()
    conn.close()
    with Registry(path) as reg:
        assert reg.schema_version == SCHEMA_VERSION == 7
        merged = reg.snapshot(2)
        assert merged.kind == "amend" and merged.timeline_kind == "full"
        assert {p.code for p in catalogue_on(reg, DEC).included} == {KHAI_SINH.code, KET_HON.code}
        assert {p.code for p in catalogue_on(reg, JUL).included} == {KHAI_SINH.code}


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
