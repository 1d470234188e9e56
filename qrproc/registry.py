"""The registry: one SQLite file holding what the catalogue said and what is on the board.

This is the only module that touches SQL. Tables:

* ``settings``: unit name, province code, payload template;
* ``snapshots`` + ``snapshot_items``: every accepted import with the date it takes effect: a full
  list, or (schema 3) an amendment's own rows, composed with the lists by date when read
  (`qrproc.timeline`);
* ``versions``: each procedure version seen, keyed by code + content hash of its label fields;
* ``batches`` + ``batch_items``: print runs;
* ``postings``: which version of which code went up on the board on which day, and when it
  came down;
* ``events``: an append-only log (triggers refuse UPDATE and DELETE);
* ``audits`` + ``audit_files`` (schema 2): board audits from photos, the evidence behind them
  (each photo's name, SHA-256 and the codes found in it); append-only like the log.

Every public method that writes runs in one transaction; `transaction()` lets a caller group
several writes into one.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Iterator

from qrproc.diff import shown_date
from qrproc.errors import RegistryError
from qrproc.i18n import N_, _, option
from qrproc.model import AuditFile, Catalogue, Procedure  # noqa: F401 - AuditFile re-exported

SCHEMA_VERSION = 7

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('full', 'amend')),
        imported_at TEXT NOT NULL,
        effective TEXT NOT NULL,
        decision TEXT NOT NULL DEFAULT '',
        total INTEGER NOT NULL,
        in_force INTEGER NOT NULL,
        abolished INTEGER NOT NULL,
        uncoded INTEGER NOT NULL
    );
    CREATE TABLE versions (
        code TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        data TEXT NOT NULL,
        first_snapshot INTEGER REFERENCES snapshots(id),
        PRIMARY KEY (code, content_hash)
    );
    CREATE TABLE snapshot_items (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
        seq INTEGER NOT NULL,
        code TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (snapshot_id, seq)
    );
    CREATE INDEX snapshot_items_code ON snapshot_items(code);
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        layout TEXT NOT NULL,
        path TEXT NOT NULL,
        as_of TEXT NOT NULL,
        count INTEGER NOT NULL
    );
    CREATE TABLE batch_items (
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        code TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (batch_id, code)
    );
    CREATE TABLE postings (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        posted_on TEXT NOT NULL,
        taken_down_on TEXT,
        batch_id INTEGER REFERENCES batches(id),
        FOREIGN KEY (code, content_hash) REFERENCES versions(code, content_hash)
    );
    CREATE UNIQUE INDEX postings_one_open ON postings(code) WHERE taken_down_on IS NULL;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        day TEXT,
        kind TEXT NOT NULL,
        code TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    """,
    2: """
    CREATE TABLE audits (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        applied INTEGER NOT NULL CHECK (applied IN (0, 1)),
        summary TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audits_day ON audits(day);
    CREATE TABLE audit_files (
        audit_id INTEGER NOT NULL REFERENCES audits(id),
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT,
        status TEXT NOT NULL CHECK (status IN ('ok', 'no_code', 'unreadable')),
        width INTEGER,
        height INTEGER,
        codes TEXT NOT NULL DEFAULT '[]',
        note TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (audit_id, seq)
    );
    CREATE TRIGGER audits_no_update BEFORE UPDATE ON audits
        BEGIN SELECT RAISE(ABORT, 'audits are evidence: append-only'); END;
    CREATE TRIGGER audits_no_delete BEFORE DELETE ON audits
        BEGIN SELECT RAISE(ABORT, 'audits are evidence: append-only'); END;
    CREATE TRIGGER audit_files_no_update BEFORE UPDATE ON audit_files
        BEGIN SELECT RAISE(ABORT, 'audits are evidence: append-only'); END;
    CREATE TRIGGER audit_files_no_delete BEFORE DELETE ON audit_files
        BEGIN SELECT RAISE(ABORT, 'audits are evidence: append-only'); END;
    """,
    # Schema 3: an amendment is stored as its own rows (`delta` = 1) and composed with the lists
    # by date when read (qrproc.timeline); amendments stored before were merged onto the list
    # they amended, so they read as full lists. `sha256` identifies the content imported, `info`
    # keeps what the import said (where its date came from, the file-level decision).
    3: """
    ALTER TABLE snapshots ADD COLUMN delta INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE snapshots ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
    ALTER TABLE snapshots ADD COLUMN info TEXT NOT NULL DEFAULT '{}';
    """,
    # Schema 4: the change journal behind `qrproc log` and `qrproc undo`. Each change a command
    # made is one row with what reverts it; an undo is a change of its own that names the one it
    # reverts (append-only, like the event log). An undone import is withdrawn, never deleted.
    4: """
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        command TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        undo TEXT NOT NULL DEFAULT '{}',
        reverts INTEGER REFERENCES changes(id)
    );
    CREATE UNIQUE INDEX changes_reverted_once ON changes(reverts) WHERE reverts IS NOT NULL;
    CREATE TRIGGER changes_no_update BEFORE UPDATE ON changes
        BEGIN SELECT RAISE(ABORT, 'the change journal is append-only'); END;
    CREATE TRIGGER changes_no_delete BEFORE DELETE ON changes
        BEGIN SELECT RAISE(ABORT, 'the change journal is append-only'); END;
    ALTER TABLE snapshots ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
    """,
    # Schema 5: codes corrected by hand for rows whose code was missing or mistyped, keyed by the
    # row (its origin) and the code as written, so a re-import of the same file keeps them.
    5: """
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        origin TEXT NOT NULL,
        raw_code TEXT NOT NULL,
        code TEXT NOT NULL,
        at TEXT NOT NULL,
        UNIQUE (origin, raw_code)
    );
    """,
    # Schema 6: portal ids resolved by code from the portal's public list (`qrproc links`), for
    # rows that came without one (a decision annex carries codes, not ids).
    6: """
    CREATE TABLE links (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        portal_id TEXT NOT NULL,
        source TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
    # Schema 7: the paper loop. A batch says what it printed (the selection: changes, the whole
    # board, a field, codes), each card's note ("Thay thẻ 1.001193"), the takedown sheet printed
    # with it (so `takedown --batch N` takes down what was ticked), and every file made from it
    # (the first print, reprints, PNG exports: one batch, not one per file).
    7: """
    ALTER TABLE batches ADD COLUMN selection TEXT NOT NULL DEFAULT '';
    ALTER TABLE batch_items ADD COLUMN note TEXT NOT NULL DEFAULT '';
    CREATE TABLE batch_takedowns (
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        code TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (batch_id, code)
    );
    CREATE TABLE batch_files (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        path TEXT NOT NULL,
        layout TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL
    );
    INSERT INTO batch_files (batch_id, path, layout, kind, at)
        SELECT id, path, layout, 'print', created_at FROM batches;
    """,
}

#: Seconds a write waits for another qrproc to finish before giving up.
LOCK_TIMEOUT = 5.0


@dataclass(frozen=True)
class Snapshot:
    """One accepted catalogue."""

    id: int
    source: str
    kind: str
    imported_at: datetime
    effective: date
    decision: str
    total: int
    in_force: int
    abolished: int
    uncoded: int
    delta: bool = False
    sha256: str = ""
    info: dict = field(default_factory=dict, compare=False)

    @property
    def timeline_kind(self) -> str:
        """How the timeline composes it: an amendment's own rows, or a full list (lists, and
        amendments stored merged before schema 3)."""
        return "amend" if self.delta else "full"


@dataclass(frozen=True)
class Posting:
    """One label on the board: which version of a procedure, since when (until when)."""

    id: int
    code: str
    content_hash: str
    posted_on: date
    taken_down_on: date | None
    batch_id: int | None
    procedure: Procedure


@dataclass(frozen=True)
class Batch:
    """One print run. `selection` is what it printed ('changed', 'all', 'field', 'codes'; '' in
    registries older than schema 7)."""

    id: int
    created_at: datetime
    layout: str
    path: str
    as_of: date
    count: int
    selection: str = ""


@dataclass(frozen=True)
class BatchFile:
    """A file made from a batch: its first print, a reprint or a PNG export."""

    batch_id: int
    path: str
    layout: str
    kind: str  # 'print', 'reprint' or 'png'
    at: datetime


@dataclass(frozen=True)
class BatchTakedown:
    """A label on a batch's takedown sheet: the version that was on the board, and why."""

    code: str
    content_hash: str
    reason: str
    procedure: Procedure


@dataclass(frozen=True)
class Audit:
    """One recorded board audit: when, for which day, its photos, and what it found."""

    id: int
    at: datetime
    day: date
    applied: bool
    summary: dict
    files: tuple[AuditFile, ...]


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    day: date | None
    kind: str
    code: str | None
    detail: dict


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _locked(path: str) -> str:
    return _("{path}: another qrproc is changing this registry right now; wait until it has "
             "finished and {again}").format(path=path, again=option("again"))


def _english(message: str) -> str:
    return message


def _posted_after(code: str, posted_on: str, day: date) -> str:
    return _("{code} was put up on {posted}, after {day}").format(
        code=code, posted=shown_date(date.fromisoformat(posted_on)), day=shown_date(day))


@dataclass(frozen=True)
class Summary:
    """A change's summary in words of no language yet: the English message (marked with `N_`;
    `plural` is its form for a count `n` other than 1) and its arguments (text, numbers, or
    summaries of their own), shown in the reader's language.

    The journal keeps its English text in ``changes.summary`` (what any tool reading the file
    sees) and this form beside it, in the entry's ``undo`` JSON under ``"summary"``, so that
    `Registry.changes` gives each entry in the language of whoever reads it (the web desk in
    Vietnamese, a shell set to English in English). Entries written before keep their text.
    """

    text: str
    args: dict = field(default_factory=dict)
    plural: str = ""
    n: int = 1

    @classmethod
    def counted(cls, n: int, singular: str, plural: str, **args) -> "Summary":
        """A summary counting `n` things (`{n}` in the messages)."""
        return cls(singular, {"n": n, **args}, plural, n)

    def render(self, translate=None) -> str:
        """The text in the current language (`translate` maps an English message to another)."""
        translate = translate or _
        message = self.plural if self.plural and self.n != 1 else self.text
        values = {k: v.render(translate) if isinstance(v, Summary) else v
                  for k, v in self.args.items()}
        return translate(message).format(**values)

    def __str__(self) -> str:
        return self.render()

    def to_json(self) -> dict:
        return {"text": self.text, "plural": self.plural, "n": self.n,
                "args": {k: v.to_json() if isinstance(v, Summary) else v
                         for k, v in self.args.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "Summary":
        args = {k: cls.from_json(v) if isinstance(v, dict) else v
                for k, v in (data.get("args") or {}).items()}
        return cls(str(data.get("text", "")), args, str(data.get("plural", "")),
                   int(data.get("n", 1)))


def _form(summary: str, undo: str) -> "Summary | str":
    """A journal entry's summary as a `Summary`, or the text it was stored with (an entry written
    before, or a form this qrproc cannot read)."""
    try:
        form = json.loads(undo or "{}").get("summary")
        return Summary.from_json(form) if isinstance(form, dict) else summary
    except (ValueError, TypeError, AttributeError):
        return summary


def _shown(summary: str, undo: str) -> str:
    """A journal entry's summary in the reader's language."""
    form = _form(summary, undo)
    if isinstance(form, str):
        return form
    try:
        return form.render()
    except (KeyError, IndexError, ValueError):  # a translation that does not fit its arguments
        return summary


@dataclass
class _Change:
    """What one command changed, collected as it writes, and how to revert it. `summary` is a
    `Summary` (or plain text, stored as it is)."""

    command: str
    summary: "Summary | str" = ""
    snapshots: list[int] = field(default_factory=list)
    posted: list[int] = field(default_factory=list)    # postings created
    closed: list[int] = field(default_factory=list)    # postings closed
    settings: dict[str, str | None] = field(default_factory=dict)  # key -> value before
    corrections: list[int] = field(default_factory=list)
    links: list[int] = field(default_factory=list)

    def recipe(self) -> dict:
        out = {"snapshots": self.snapshots, "posted": self.posted, "closed": self.closed,
               "settings": self.settings, "corrections": self.corrections, "links": self.links}
        if isinstance(self.summary, Summary):
            out["summary"] = self.summary.to_json()
        return out

    @property
    def text(self) -> str:
        """The summary's English text, as the journal stores it."""
        if isinstance(self.summary, Summary):
            return self.summary.render(_english)
        return self.summary

    @property
    def empty(self) -> bool:
        return not (self.snapshots or self.posted or self.closed or self.settings
                    or self.corrections or self.links)


@dataclass(frozen=True)
class Change:
    """One entry of the change journal (`qrproc log`); `summary` in the reader's language."""

    id: int
    at: datetime
    command: str
    summary: str
    reverts: int | None
    undone_by: int | None


class Registry:
    """The SQLite registry of one unit (a commune's one-stop centre).

    `Registry(":memory:")` gives a throw-away registry for tests.
    """

    def __init__(self, path: str | Path = ":memory:", *, readonly: bool = False,
                 create: bool = True, timeout: float = LOCK_TIMEOUT):
        """Open (or create) a registry. `readonly` opens an existing file without ever writing
        to it (a read-only command never creates or alters a database); `create=False` refuses
        a path where no registry exists; `timeout` is how long a write waits for another
        qrproc to finish."""
        self.path = str(path)
        self.readonly = readonly
        self._depth = 0
        self._change: _Change | None = None
        memory = self.path == ":memory:"
        if not memory and (readonly or not create) and not Path(self.path).is_file():
            raise RegistryError(_("{path}: no registry there").format(path=self.path))
        try:
            if readonly and not memory:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self.conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                            timeout=timeout)
            else:
                self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=timeout)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA foreign_keys = ON")
            if readonly:
                self._check_version()
            else:
                if not memory:
                    self.conn.execute("PRAGMA journal_mode = WAL")
                self._migrate()
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                raise RegistryError(_locked(self.path)) from e
            raise RegistryError(_("{path}: not a qrproc registry ({error})").format(
                path=self.path, error=e)) from e
        except sqlite3.DatabaseError as e:
            raise RegistryError(_("{path}: not a qrproc registry ({error})").format(
                path=self.path, error=e)) from e

    # -- plumbing -------------------------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Registry"]:
        """Group writes into one transaction: all of them happen, or none (nestable).

        Another qrproc writing the same registry is waited for LOCK_TIMEOUT seconds, then a
        RegistryError says so."""
        if self.readonly:
            raise RegistryError(_("{path}: opened read-only; this command cannot change it").format(
                path=self.path))
        if self._depth == 0:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                if "locked" in str(e) or "busy" in str(e):
                    raise RegistryError(_locked(self.path)) from e
                raise
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("COMMIT")

    def _too_new(self, current: int) -> RegistryError:
        return RegistryError(_(
            "{path}: registry schema version {version} is newer than this qrproc understands "
            "({known}); upgrade qrproc").format(path=self.path, version=current,
                                                known=SCHEMA_VERSION))

    def _check_version(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise self._too_new(current)
        if current < SCHEMA_VERSION:
            tables = self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if not tables:
                raise RegistryError(_("{path}: not a qrproc registry (an empty file)").format(
                    path=self.path))
            raise RegistryError(_(
                "{path}: this registry was made by an older qrproc (schema {version}); run a "
                "command that changes it once (for example qrproc migrate) to bring it up to "
                "date").format(path=self.path, version=current))

    @contextlib.contextmanager
    def dry_run(self) -> Iterator["Registry"]:
        """Run writes for real inside one transaction, then roll all of them back: what the
        writes reported is exactly what they would change."""
        if self._depth:
            raise RegistryError("a dry run cannot start inside a transaction")  # developers only
        with self.transaction():
            try:
                yield self
            finally:
                self.conn.execute("ROLLBACK")
                self.conn.execute("BEGIN")  # the transaction() exit commits this empty one

    def _migrate(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise self._too_new(current)
        for version in range(current + 1, SCHEMA_VERSION + 1):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(_MIGRATIONS[version]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version}")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _log(self, kind: str, *, at: datetime, day: date | None = None, code: str | None = None,
             **detail) -> None:
        self.conn.execute(
            "INSERT INTO events (at, day, kind, code, detail) VALUES (?, ?, ?, ?, ?)",
            (at.isoformat(timespec="seconds"), _iso(day), kind, code,
             json.dumps(detail, ensure_ascii=False, default=str)),
        )

    # -- settings -------------------------------------------------------------------------
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def settings(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self.conn.execute("SELECT key, value FROM settings")}

    def set_settings(self, values: dict[str, str], *, at: datetime) -> None:
        """Store settings (unit, province, …) and log the change."""
        with self.transaction():
            for key, value in values.items():
                if self._change is not None and key not in self._change.settings:
                    self._change.settings[key] = self.get_setting(key)
                self.conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
            self._log("settings", at=at, **values)

    @property
    def initialised(self) -> bool:
        return self.get_setting("unit") is not None

    def require_initialised(self) -> None:
        if not self.initialised:
            raise RegistryError(_(
                "{path}: registry not initialised; run: qrproc init --unit \"UBND xã …\" "
                "--province H31").format(path=self.path))

    # -- snapshots ------------------------------------------------------------------------
    def add_snapshot(self, catalogue: Catalogue, *, effective: date, decision: str, kind: str,
                     at: datetime, sha256: str = "", info: dict | None = None) -> Snapshot:
        """Store an accepted import (already checked by the caller) as a new snapshot: a full
        list (`kind='full'`) or an amendment's own rows (`kind='amend'`)."""
        procs = catalogue.procedures
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO snapshots (source, kind, imported_at, effective, decision, total, "
                "in_force, abolished, uncoded, delta, sha256, info) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (catalogue.source, kind, at.isoformat(timespec="seconds"), effective.isoformat(),
                 decision, len(procs), sum(p.in_force and bool(p.code) for p in procs),
                 sum(not p.in_force for p in procs), sum(not p.code for p in procs),
                 int(kind == "amend"), sha256, json.dumps(info or {}, ensure_ascii=False,
                                                          default=str)),
            )
            sid = cur.lastrowid
            if self._change is not None:
                self._change.snapshots.append(sid)
            rows = []
            for seq, p in enumerate(procs):
                data = json.dumps(p.to_dict(), ensure_ascii=False)
                rows.append((sid, seq, p.code, p.content_hash, data))
                if p.code:
                    self.conn.execute(
                        "INSERT OR IGNORE INTO versions (code, content_hash, data, first_snapshot) "
                        "VALUES (?, ?, ?, ?)", (p.code, p.content_hash, data, sid))
            self.conn.executemany(
                "INSERT INTO snapshot_items (snapshot_id, seq, code, content_hash, data) "
                "VALUES (?, ?, ?, ?, ?)", rows)
            self._log("import", at=at, day=effective, snapshot=sid, source=catalogue.source,
                      mode=kind, decision=decision, total=len(procs))
        return self.snapshot(sid)

    def _snapshot_from_row(self, r: sqlite3.Row) -> Snapshot:
        return Snapshot(
            id=r["id"], source=r["source"], kind=r["kind"],
            imported_at=datetime.fromisoformat(r["imported_at"]),
            effective=date.fromisoformat(r["effective"]), decision=r["decision"],
            total=r["total"], in_force=r["in_force"], abolished=r["abolished"], uncoded=r["uncoded"],
            delta=bool(r["delta"]), sha256=r["sha256"], info=json.loads(r["info"] or "{}"))

    def snapshot(self, snapshot_id: int) -> Snapshot:
        r = self.conn.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        if r is None:
            raise RegistryError(_("{path}: no snapshot {id}").format(
                path=self.path, id=snapshot_id))
        return self._snapshot_from_row(r)

    def snapshots(self) -> list[Snapshot]:
        """All snapshots in timeline order (effective date, then import order)."""
        rows = self.conn.execute("SELECT * FROM snapshots WHERE NOT withdrawn ORDER BY effective, id")
        return [self._snapshot_from_row(r) for r in rows]

    def snapshot_procedures(self, snapshot_id: int) -> tuple[Procedure, ...]:
        rows = self.conn.execute(
            "SELECT data FROM snapshot_items WHERE snapshot_id = ? ORDER BY seq", (snapshot_id,))
        return tuple(Procedure.from_dict(json.loads(r["data"])) for r in rows)

    def all_snapshot_procedures(self) -> dict[int, tuple[Procedure, ...]]:
        """The rows of every snapshot, by snapshot id (one query, for the timeline)."""
        out: dict[int, list[Procedure]] = {}
        rows = self.conn.execute(
            "SELECT i.snapshot_id, i.data FROM snapshot_items i JOIN snapshots s ON s.id = i.snapshot_id "
            "WHERE NOT s.withdrawn ORDER BY i.snapshot_id, i.seq")
        for r in rows:
            out.setdefault(r["snapshot_id"], []).append(Procedure.from_dict(json.loads(r["data"])))
        return {sid: tuple(procs) for sid, procs in out.items()}

    # -- postings -------------------------------------------------------------------------
    def _posting_from_row(self, r: sqlite3.Row) -> Posting:
        return Posting(
            id=r["id"], code=r["code"], content_hash=r["content_hash"],
            posted_on=date.fromisoformat(r["posted_on"]), taken_down_on=_day(r["taken_down_on"]),
            batch_id=r["batch_id"], procedure=Procedure.from_dict(json.loads(r["data"])))

    def posted(self, on: date | None = None) -> dict[str, Posting]:
        """The labels on the board: now (open postings), or as they stood at the end of `on`."""
        sql = ("SELECT p.*, v.data FROM postings p JOIN versions v "
               "ON v.code = p.code AND v.content_hash = p.content_hash ")
        if on is None:
            rows = self.conn.execute(sql + "WHERE p.taken_down_on IS NULL")
        else:
            d = on.isoformat()
            rows = self.conn.execute(
                sql + "WHERE p.posted_on <= ? AND (p.taken_down_on IS NULL OR p.taken_down_on > ?) "
                "ORDER BY p.id", (d, d))
        return {r["code"]: self._posting_from_row(r) for r in rows}

    def postings(self) -> list[Posting]:
        """Every posting ever made, in order."""
        rows = self.conn.execute(
            "SELECT p.*, v.data FROM postings p JOIN versions v "
            "ON v.code = p.code AND v.content_hash = p.content_hash ORDER BY p.id")
        return [self._posting_from_row(r) for r in rows]

    def post(self, procedures: Iterable[Procedure], *, day: date, at: datetime,
             batch_id: int | None = None) -> tuple[list[str], list[str]]:
        """Put labels up on `day`. Returns (posted codes, codes already up with that version).

        A code already up with another version is replaced (its old posting closes on `day`).
        """
        done, same = [], []
        procedures = list(procedures)
        with self.transaction():
            for p in procedures:
                if not p.code:
                    raise RegistryError(f"cannot post a procedure without a code: {p.name!r}")  # developers only
            self._store_versions(procedures)
            for p in procedures:
                open_ = self.conn.execute(
                    "SELECT id, content_hash, posted_on FROM postings "
                    "WHERE code = ? AND taken_down_on IS NULL", (p.code,)).fetchone()
                if open_ and open_["content_hash"] == p.content_hash:
                    same.append(p.code)
                    continue
                if open_:
                    if date.fromisoformat(open_["posted_on"]) > day:
                        raise RegistryError(_posted_after(p.code, open_["posted_on"], day))
                    self.conn.execute("UPDATE postings SET taken_down_on = ? WHERE id = ?",
                                      (day.isoformat(), open_["id"]))
                    self._record("closed", open_["id"])
                cur = self.conn.execute(
                    "INSERT INTO postings (code, content_hash, posted_on, batch_id) VALUES (?, ?, ?, ?)",
                    (p.code, p.content_hash, day.isoformat(), batch_id))
                self._record("posted", cur.lastrowid)
                self._log("post", at=at, day=day, code=p.code, version=p.content_hash,
                          batch=batch_id, replaced=open_["content_hash"] if open_ else None)
                done.append(p.code)
        return done, same

    def take_down(self, codes: Iterable[str], *, day: date, at: datetime) -> tuple[list[str], list[str]]:
        """Take labels down on `day`. Returns (codes taken down, codes that were not up)."""
        done, absent = [], []
        with self.transaction():
            for code in codes:
                r = self.conn.execute(
                    "SELECT id, posted_on FROM postings WHERE code = ? AND taken_down_on IS NULL",
                    (code,)).fetchone()
                if r is None:
                    absent.append(code)
                    continue
                if date.fromisoformat(r["posted_on"]) > day:
                    raise RegistryError(_posted_after(code, r["posted_on"], day))
                self.conn.execute("UPDATE postings SET taken_down_on = ? WHERE id = ?",
                                  (day.isoformat(), r["id"]))
                self._record("closed", r["id"])
                self._log("takedown", at=at, day=day, code=code)
                done.append(code)
        return done, absent

    # -- print batches ---------------------------------------------------------------------
    def _store_versions(self, procs: Iterable[Procedure]) -> None:
        """Keep each procedure's version (code, content hash, fields) for later reprints; those
        already stored (most, after an import) are not serialised again."""
        procs = list(procs)
        codes = sorted({p.code for p in procs})
        stored: set[tuple[str, str]] = set()
        for i in range(0, len(codes), 500):  # SQLite's limit of bound parameters is 999 at least
            part = codes[i:i + 500]
            stored.update((r[0], r[1]) for r in self.conn.execute(
                f"SELECT code, content_hash FROM versions WHERE code IN ({','.join('?' * len(part))})",
                part))
        self.conn.executemany(
            "INSERT OR IGNORE INTO versions (code, content_hash, data) VALUES (?, ?, ?)",
            [(p.code, p.content_hash, json.dumps(p.to_dict(), ensure_ascii=False))
             for p in procs if (p.code, p.content_hash) not in stored])

    def add_batch(self, *, layout: str, path: str, as_of: date, items: Iterable[tuple[Procedure, str]],
                  at: datetime, selection: str = "", notes: dict[str, str] | None = None,
                  takedown: Iterable[tuple[Procedure, str]] = ()) -> Batch:
        """Record a print run: each (procedure, QR payload) that went into the file, each card's
        note, and the takedown sheet printed with it ((the version on the board, reason))."""
        items = list(items)
        notes = notes or {}
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO batches (created_at, layout, path, as_of, count, selection) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (at.isoformat(timespec="seconds"), layout, path, as_of.isoformat(), len(items),
                 selection))
            bid = cur.lastrowid
            self._store_versions(p for p, _payload in items)
            self.conn.executemany(
                "INSERT INTO batch_items (batch_id, code, content_hash, payload, note) "
                "VALUES (?, ?, ?, ?, ?)",
                [(bid, p.code, p.content_hash, payload, notes.get(p.code, "")) for p, payload in items])
            takedown = list(takedown)
            self._store_versions(p for p, _reason in takedown)
            for p, reason in takedown:
                self.conn.execute(
                    "INSERT OR IGNORE INTO batch_takedowns (batch_id, code, content_hash, reason) "
                    "VALUES (?, ?, ?, ?)", (bid, p.code, p.content_hash, reason))
            self.conn.execute(
                "INSERT INTO batch_files (batch_id, path, layout, kind, at) VALUES (?, ?, ?, 'print', ?)",
                (bid, path, layout, at.isoformat(timespec="seconds")))
            self._log("print", at=at, day=as_of, batch=bid, layout=layout, path=path, count=len(items))
        return self.batch(bid)

    def add_batch_file(self, batch_id: int, *, path: str, layout: str, kind: str,
                       at: datetime) -> None:
        """Record a reprint or an export made from an existing batch (no new batch)."""
        self.batch(batch_id)
        with self.transaction():
            self.conn.execute(
                "INSERT INTO batch_files (batch_id, path, layout, kind, at) VALUES (?, ?, ?, ?, ?)",
                (batch_id, path, layout, kind, at.isoformat(timespec="seconds")))
            self._log(kind, at=at, batch=batch_id, layout=layout, path=path)

    def batch(self, batch_id: int) -> Batch:
        r = self.conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if r is None:
            raise RegistryError(_("{path}: no print batch {batch}").format(path=self.path,
                                                                          batch=batch_id))
        return self._batch_from_row(r)

    @staticmethod
    def _batch_from_row(r) -> Batch:
        return Batch(id=r["id"], created_at=datetime.fromisoformat(r["created_at"]), layout=r["layout"],
                     path=r["path"], as_of=date.fromisoformat(r["as_of"]), count=r["count"],
                     selection=r["selection"] if "selection" in r.keys() else "")

    def batches(self) -> list[Batch]:
        """Every print batch, oldest first."""
        return [self._batch_from_row(r) for r in self.conn.execute("SELECT * FROM batches ORDER BY id")]

    def batch_files(self, batch_id: int) -> list[BatchFile]:
        rows = self.conn.execute("SELECT * FROM batch_files WHERE batch_id = ? ORDER BY id", (batch_id,))
        return [BatchFile(r["batch_id"], r["path"], r["layout"], r["kind"],
                          datetime.fromisoformat(r["at"])) for r in rows]

    def batch_takedowns(self, batch_id: int) -> list[BatchTakedown]:
        """The batch's takedown sheet, in the order it was printed."""
        self.batch(batch_id)
        rows = self.conn.execute(
            "SELECT t.code, t.content_hash, t.reason, v.data FROM batch_takedowns t JOIN versions v "
            "ON v.code = t.code AND v.content_hash = t.content_hash WHERE t.batch_id = ? ORDER BY t.rowid",
            (batch_id,))
        return [BatchTakedown(r["code"], r["content_hash"], r["reason"],
                              Procedure.from_dict(json.loads(r["data"]))) for r in rows]

    def batch_procedures(self, batch_id: int) -> list[Procedure]:
        """The procedures of a batch's cards, as printed, in order."""
        return [p for p, _payload, _note in self.batch_cards(batch_id)]

    def batch_cards(self, batch_id: int) -> list[tuple[Procedure, str, str]]:
        """(procedure as printed, its QR payload, its note) of every card of a batch, in order."""
        self.batch(batch_id)
        rows = self.conn.execute(
            "SELECT v.data, b.payload, b.note FROM batch_items b JOIN versions v "
            "ON v.code = b.code AND v.content_hash = b.content_hash WHERE b.batch_id = ? ORDER BY b.rowid",
            (batch_id,))
        return [(Procedure.from_dict(json.loads(r["data"])), r["payload"], r["note"]) for r in rows]

    # -- audits ---------------------------------------------------------------------------
    def add_audit(self, *, day: date, at: datetime, files: Iterable[AuditFile], summary: dict,
                  applied: bool = False) -> Audit:
        """Record a board audit (its photos and what they showed) and log it, in one transaction.

        Recording changes no posting; a caller applying the audit groups this with its posts and
        take-downs in `transaction()`.
        """
        files = list(files)
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO audits (at, day, applied, summary) VALUES (?, ?, ?, ?)",
                (at.isoformat(timespec="seconds"), day.isoformat(), int(applied),
                 json.dumps(summary, ensure_ascii=False, default=str)))
            aid = cur.lastrowid
            self.conn.executemany(
                "INSERT INTO audit_files (audit_id, seq, name, sha256, status, width, height, codes, "
                "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(aid, seq, f.name, f.sha256, f.status, f.width, f.height,
                  json.dumps(list(f.codes), ensure_ascii=False), f.note)
                 for seq, f in enumerate(files)])
            self._log("audit", at=at, day=day, audit=aid, applied=applied,
                      files=[f.name for f in files],
                      codes=sum(len(f.codes) for f in files))
        return self.audit(aid)

    def _audit_from_row(self, r: sqlite3.Row) -> Audit:
        rows = self.conn.execute(
            "SELECT * FROM audit_files WHERE audit_id = ? ORDER BY seq", (r["id"],))
        files = tuple(AuditFile(name=f["name"], sha256=f["sha256"], status=f["status"],
                                width=f["width"], height=f["height"],
                                codes=tuple(json.loads(f["codes"])), note=f["note"]) for f in rows)
        return Audit(id=r["id"], at=datetime.fromisoformat(r["at"]), day=date.fromisoformat(r["day"]),
                     applied=bool(r["applied"]), summary=json.loads(r["summary"]), files=files)

    def audit(self, audit_id: int) -> Audit:
        r = self.conn.execute("SELECT * FROM audits WHERE id = ?", (audit_id,)).fetchone()
        if r is None:
            raise RegistryError(_("{path}: no audit {id}").format(path=self.path,
                                                                        id=audit_id))
        return self._audit_from_row(r)

    def latest_audit(self, on_or_before: date | None = None) -> Audit | None:
        """The audit of the latest day (the last recorded that day), up to `on_or_before`."""
        sql, args = "SELECT * FROM audits", ()
        if on_or_before is not None:
            sql, args = sql + " WHERE day <= ?", (on_or_before.isoformat(),)
        r = self.conn.execute(sql + " ORDER BY day DESC, id DESC LIMIT 1", args).fetchone()
        return self._audit_from_row(r) if r else None

    # -- corrected codes ----------------------------------------------------------------------
    def add_correction(self, origin: str, raw_code: str, code: str, *, at: datetime) -> None:
        """Record that the row at `origin`, whose code was written `raw_code`, is `code`."""
        with self.transaction():
            old = self.conn.execute("SELECT code FROM corrections WHERE origin = ? AND raw_code = ?",
                                    (origin, raw_code)).fetchone()
            if old is not None:
                raise RegistryError(_("{origin}: already corrected to {code}; undo that "
                                      "correction first (qrproc log, qrproc undo)").format(
                                          origin=origin, code=old["code"]))
            cur = self.conn.execute(
                "INSERT INTO corrections (origin, raw_code, code, at) VALUES (?, ?, ?, ?)",
                (origin, raw_code, code, at.isoformat(timespec="seconds")))
            if self._change is not None:
                self._change.corrections.append(cur.lastrowid)
            self._log("correct", at=at, code=code, origin=origin, raw_code=raw_code)

    def corrections(self) -> dict[tuple[str, str], str]:
        """{(origin, raw code): corrected code}."""
        return {(r["origin"], r["raw_code"]): r["code"]
                for r in self.conn.execute("SELECT origin, raw_code, code FROM corrections")}

    # -- portal ids resolved by code ------------------------------------------------------------
    def add_links(self, ids: dict[str, str], *, source: str, at: datetime) -> int:
        """Record the portal id of each code (codes that have one already are left as they are).
        Returns how many were added."""
        added = 0
        with self.transaction():
            for code, portal_id in ids.items():
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO links (code, portal_id, source, at) VALUES (?, ?, ?, ?)",
                    (code, portal_id, source, at.isoformat(timespec="seconds")))
                if cur.rowcount:
                    added += 1
                    if self._change is not None:
                        self._change.links.append(cur.lastrowid)
            self._log("links", at=at, source=source, added=added)
        return added

    def links(self) -> dict[str, str]:
        """{code: portal id} resolved from the portal's list."""
        return {r["code"]: r["portal_id"] for r in self.conn.execute("SELECT code, portal_id FROM links")}

    # -- the change journal: log and undo ------------------------------------------------------
    def _record(self, what: str, posting_id: int) -> None:
        if self._change is not None:
            getattr(self._change, what).append(posting_id)

    @contextlib.contextmanager
    def change(self, command: str, *, at: datetime) -> Iterator[_Change]:
        """Group one command's writes into one transaction and one entry of the change journal,
        with what reverts it. Nested calls join the outer change."""
        with self.transaction():
            if self._change is not None:
                yield self._change
                return
            self._change = recorder = _Change(command)
            try:
                yield recorder
            finally:
                self._change = None
            if not recorder.empty:
                self.conn.execute(
                    "INSERT INTO changes (at, command, summary, undo) VALUES (?, ?, ?, ?)",
                    (at.isoformat(timespec="seconds"), command, recorder.text,
                     json.dumps(recorder.recipe(), ensure_ascii=False)))

    def changes(self) -> list[Change]:
        """Every entry of the change journal, in order, each with the undo that reverted it and
        its summary in the reader's language."""
        rows = self.conn.execute("SELECT * FROM changes ORDER BY id").fetchall()
        undone = {r["reverts"]: r["id"] for r in rows if r["reverts"] is not None}
        return [Change(r["id"], datetime.fromisoformat(r["at"]), r["command"],
                       _shown(r["summary"], r["undo"]), r["reverts"], undone.get(r["id"]))
                for r in rows]

    def open_changes(self) -> list[Change]:
        """The changes still in force (neither an undo nor undone), in order."""
        return [c for c in self.changes() if c.reverts is None and c.undone_by is None]

    def _summary_form(self, change_id: int) -> "Summary | str":
        row = self.conn.execute("SELECT summary, undo FROM changes WHERE id = ?",
                                (change_id,)).fetchone()
        return _form(row["summary"], row["undo"])

    def undo(self, *, at: datetime, back_to: int | None = None) -> list[Change]:
        """Revert the latest change still in force, or every one from `back_to` on (newest
        first), in one transaction; each undo is a change of its own in the journal and the
        event log. Returns the changes reverted."""
        with self.transaction():
            open_ = self.open_changes()
            if back_to is not None:
                if not any(c.id == back_to for c in open_):
                    raise RegistryError(_("change {id} is not in the log or was already undone "
                                          "(qrproc log lists them)").format(id=back_to))
                targets = [c for c in open_ if c.id >= back_to]
            else:
                targets = open_[-1:]
            if not targets:
                raise RegistryError(_("nothing to undo: no change is recorded (qrproc log)"))
            for target in reversed(targets):
                recipe = json.loads(self.conn.execute(
                    "SELECT undo FROM changes WHERE id = ?", (target.id,)).fetchone()["undo"])
                self._revert(recipe)
                form = self._summary_form(target.id)
                summary = Summary(N_("undo of {id}: {summary}"), {"id": target.id, "summary": form})
                english = summary.render(_english)
                self.conn.execute(
                    "INSERT INTO changes (at, command, summary, undo, reverts) "
                    "VALUES (?, 'undo', ?, ?, ?)",
                    (at.isoformat(timespec="seconds"), english,
                     json.dumps({"summary": summary.to_json()}, ensure_ascii=False), target.id))
                self._log("undo", at=at, change=target.id, command=target.command,
                          summary=form.render(_english) if isinstance(form, Summary) else form)
        return list(reversed(targets))

    def _revert(self, recipe: dict) -> None:
        for posting in recipe.get("posted", ()):
            self.conn.execute("DELETE FROM postings WHERE id = ?", (posting,))
        for posting in recipe.get("closed", ()):
            self.conn.execute("UPDATE postings SET taken_down_on = NULL WHERE id = ?", (posting,))
        for cid in recipe.get("corrections", ()):
            self.conn.execute("DELETE FROM corrections WHERE id = ?", (cid,))
        for lid in recipe.get("links", ()):
            self.conn.execute("DELETE FROM links WHERE id = ?", (lid,))
        for sid in recipe.get("snapshots", ()):
            self.conn.execute("UPDATE snapshots SET withdrawn = 1 WHERE id = ?", (sid,))
        for key, value in recipe.get("settings", {}).items():
            if value is None:
                self.conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                self.conn.execute("UPDATE settings SET value = ? WHERE key = ?", (value, key))

    # -- events ---------------------------------------------------------------------------
    def events(self, kind: str | None = None) -> list[Event]:
        sql, args = "SELECT * FROM events", ()
        if kind:
            sql, args = sql + " WHERE kind = ?", (kind,)
        rows = self.conn.execute(sql + " ORDER BY id", args)
        return [Event(id=r["id"], at=datetime.fromisoformat(r["at"]), day=_day(r["day"]), kind=r["kind"],
                      code=r["code"], detail=json.loads(r["detail"])) for r in rows]

    def log(self, kind: str, *, at: datetime, day: date | None = None, code: str | None = None,
            **detail) -> None:
        """Append one event to the log in its own transaction."""
        with self.transaction():
            self._log(kind, at=at, day=day, code=code, **detail)


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements, keeping trigger bodies whole."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if "\n".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out
