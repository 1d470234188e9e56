"""What is on the board, against what should be: the operations the CLI commands call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from qrproc import diff as diffmod
from qrproc.catalogue import catalogue_as_of
from qrproc.errors import RegistryError
from qrproc.model import Procedure
from qrproc.registry import Registry, Snapshot


def board_diff(registry: Registry, as_of: date) -> diffmod.Diff:
    """The diff between the catalogue in force on `as_of` and the labels on the board now."""
    registry.require_initialised()
    # Without a catalogue in force every label would look "no longer listed": refuse instead of
    # telling anyone to take the whole board down.
    current = required_catalogue(registry, as_of)
    posted = {code: p.procedure for code, p in registry.posted().items()}
    upcoming = [diffmod.Upcoming(s.effective, s.decision, registry.snapshot_procedures(s.id))
                for s in registry.future_snapshots(as_of)]
    return diffmod.compute(current, posted, as_of, upcoming)


def required_catalogue(registry: Registry, day: date) -> tuple[Procedure, ...]:
    """The catalogue in force on `day`; a RegistryError saying what to do when there is none."""
    snap, current = catalogue_as_of(registry, day)
    if snap is None:
        later = registry.future_snapshots(day)
        if later:
            first = later[0].effective.isoformat()
            raise RegistryError(f"no catalogue is in force on {day.isoformat()}: the first one takes "
                                f"effect on {first}")
        raise RegistryError(f"no catalogue is in force on {day.isoformat()}; import one first "
                            "(qrproc import FILE)")
    return current


def current_versions(registry: Registry, codes: Iterable[str], day: date) -> list[Procedure]:
    """The versions of `codes` in force on `day`, in order; refuses a code not in force then."""
    current = {p.code: p for p in required_catalogue(registry, day) if p.code}
    chosen = []
    for code in codes:
        p = current.get(code)
        if p is None:
            raise RegistryError(f"{code} is not in the catalogue in force on {day.isoformat()}")
        if not p.applies_on(day):
            raise RegistryError(f"{code} is not in force on {day.isoformat()} ({p.status})")
        chosen.append(p)
    return chosen


def post_codes(registry: Registry, codes: Iterable[str], *, day: date, at: datetime,
               batch_id: int | None = None) -> tuple[list[str], list[str]]:
    """Record that the current labels of `codes` went up on `day`.

    Refuses (changing nothing) a code that is not in the catalogue in force on `day`, or not in
    force then. Returns (posted, already up to date).
    """
    registry.require_initialised()
    chosen = current_versions(registry, codes, day)
    return registry.post(chosen, day=day, at=at, batch_id=batch_id)


def post_pending(registry: Registry, *, day: date, at: datetime) -> tuple[list[str], list[str]]:
    """Post everything the diff says to print or reprint on `day`."""
    d = board_diff(registry, day)
    codes = [i.code for i in d.to_post + d.to_reprint]
    return post_codes(registry, codes, day=day, at=at)


def post_batch(registry: Registry, batch_id: int, *, day: date, at: datetime) -> tuple[list[str], list[str]]:
    """Mark a print batch as put up: each label exactly as printed in that batch."""
    registry.require_initialised()
    procs = registry.batch_procedures(batch_id)
    return registry.post(procs, day=day, at=at, batch_id=batch_id)


def take_down(registry: Registry, codes: Iterable[str], *, day: date, at: datetime) -> tuple[list[str], list[str]]:
    """Record that labels came down on `day`. Returns (taken down, were not up)."""
    registry.require_initialised()
    return registry.take_down(list(codes), day=day, at=at)


@dataclass(frozen=True)
class Status:
    unit: str
    province: str
    in_force: Snapshot | None
    upcoming: tuple[Snapshot, ...]
    posted: int
    diff: diffmod.Diff | None  # None while no catalogue is in force


def status(registry: Registry, day: date) -> Status:
    """A summary for `qrproc status`."""
    registry.require_initialised()
    s = registry.settings()
    in_force = registry.snapshot_as_of(day)
    return Status(unit=s.get("unit", ""), province=s.get("province", ""), in_force=in_force,
                  upcoming=tuple(registry.future_snapshots(day)), posted=len(registry.posted()),
                  diff=board_diff(registry, day) if in_force else None)
