"""The catalogue on any date, composed from every list and amendment in effective-date order.

Pure: entries (what the registry stored for each accepted import) in, catalogues out. The order
of imports never decides what is in force; dates do:

* A **full list** (`kind='full'`) with list date E says: from E on, the catalogue is these rows
  (each keeps its own "in force since" date). A row dated before E changed on its own date (on
  top of what was in force then); a row dated after E is announced: until that date the code
  keeps what it had before the list, and a code new to the list is listed as not yet in force.
* An **amendment** (`kind='amend'`: a decision annex of changes, a change log) is one change per
  row, each on the row's own effective date, on top of whatever is in force then, whenever it
  was imported. Abolishing or replacing a procedure keeps its label fields and changes its
  status.
* Changes on the same date apply in import order. A later full list supersedes what an earlier
  full list announced for after its own date (it is the complete list, announcements included);
  amendments are never cancelled.

A row that restates a procedure unchanged (same label, still in force) keeps the date it has
been in force since, so re-importing a list does not make every label look late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

from qrproc.model import IN_FORCE, Procedure

FULL = "full"
AMEND = "amend"


@dataclass(frozen=True)
class Entry:
    """One stored import: its id (import order), kind, list date, decision and rows."""

    id: int
    kind: str
    effective: date
    decision: str
    source: str
    procedures: tuple[Procedure, ...]


@dataclass(frozen=True)
class _Event:
    day: date
    entry: Entry
    seq: int                          # -1: the reset of a full list; else the row's index
    row: Procedure | None = None

    @property
    def order(self) -> tuple:
        return (self.day, self.entry.id, self.seq)


@dataclass(frozen=True)
class State:
    """The catalogue in force on one date: the base list and every change applied on top."""

    day: date
    base: Entry
    procedures: tuple[Procedure, ...]    # coded rows, one per code, then uncoded rows
    applied: tuple[Entry, ...]           # the amendments with at least one change applied

    @property
    def by_code(self) -> dict[str, Procedure]:
        return {p.code: p for p in self.procedures if p.code}


def _events(entries: Sequence[Entry]) -> list[_Event]:
    events: list[_Event] = []
    for entry in entries:
        if entry.kind == FULL:
            events.append(_Event(entry.effective, entry, -1))
            for seq, row in enumerate(entry.procedures):
                # A row dated before the list's date changed then; one dated after is announced.
                if row.code and row.effective and row.effective != entry.effective:
                    events.append(_Event(row.effective, entry, seq, row))
        else:
            for seq, row in enumerate(entry.procedures):
                events.append(_Event(row.effective or entry.effective, entry, seq, row))
    events.sort(key=lambda e: e.order)
    return events


def _order(entry: Entry) -> tuple:
    return (entry.effective, entry.id)


def _apply(state: dict[str, Procedure], row: Procedure) -> None:
    old = state.get(row.code)
    if row.status != IN_FORCE and old is not None:
        # Abolished or replaced: the label stays what it was; its status and decision change.
        state[row.code] = old.replace(status=row.status,
                                      replaced_by=row.replaced_by or old.replaced_by,
                                      decision=row.decision or old.decision,
                                      decision_date=row.decision_date or old.decision_date,
                                      effective=row.effective or old.effective,
                                      change=row.change)
        return
    state[row.code] = _keep_since(row, old)


def _keep_since(row: Procedure, old: Procedure | None) -> Procedure:
    """`row`, keeping `old`'s in-force date when it restates `old` unchanged."""
    if (old is not None and old.in_force and row.in_force and old.effective
            and old.content_hash == row.content_hash
            and (row.effective is None or old.effective < row.effective)):
        return row.replace(effective=old.effective)
    return row


class Timeline:
    """Every stored import, composed by date. `on(day)` is the catalogue in force that day."""

    def __init__(self, entries: Iterable[Entry]):
        self.entries = tuple(sorted(entries, key=lambda e: e.id))
        self._events = _events(self.entries)

    def on(self, day: date) -> State | None:
        """The catalogue in force on `day`, or None before the first full list takes effect."""
        state: dict[str, Procedure] = {}
        uncoded: list[Procedure] = []
        base: Entry | None = None
        applied: dict[int, Entry] = {}
        for event in self._events:
            if event.day > day:
                break
            if event.seq < 0:
                base = event.entry
                applied.clear()
                previous, state, uncoded = state, {}, []
                for row in base.procedures:
                    if not row.code:
                        uncoded.append(row)
                    elif row.effective is None or row.effective <= base.effective:
                        state[row.code] = _keep_since(row, previous.get(row.code))
                    elif row.code in previous:
                        state[row.code] = previous[row.code]   # announced: the old one holds
                    else:
                        state[row.code] = row   # announced, new: listed, not yet in force
                continue
            if base is None:
                continue  # an amendment before any full list: nothing to amend yet
            if event.entry.kind == FULL and _order(event.entry) < _order(base):
                continue  # announced by a list that a later full list superseded
            row = event.row
            if not row.code:
                uncoded.append(row)
            else:
                _apply(state, row)
            if event.entry.kind == AMEND:
                applied[event.entry.id] = event.entry
        if base is None:
            return None
        return State(day, base, tuple(state.values()) + tuple(uncoded),
                     tuple(sorted(applied.values(), key=lambda e: (e.effective, e.id))))

    def change_days(self, after: date) -> list[date]:
        """The dates after `after` on which something is announced to change, in order."""
        return sorted({e.day for e in self._events if e.day > after})

    def first_day(self) -> date | None:
        """The date the first full list takes effect (when the catalogue starts)."""
        days = [e.effective for e in self.entries if e.kind == FULL]
        return min(days) if days else None

    def row_days(self) -> set[date]:
        """Every date a row or list takes effect on (for the coverage history)."""
        days = {e.day for e in self._events}
        for entry in self.entries:
            days.update(p.effective for p in entry.procedures if p.effective)
        return days
