"""What is on the board, against what should be: the operations the CLI commands call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from qrproc import diff as diffmod
from qrproc.catalogue import CatalogueView, catalogue_on, required_catalogue, upcoming
from qrproc.errors import RegistryError
from qrproc.model import Procedure
from qrproc.registry import Registry


def board_diff(registry: Registry, as_of: date) -> diffmod.Diff:
    """The diff between the catalogue in force on `as_of` (in the unit's scope) and the labels
    on the board now."""
    registry.require_initialised()
    # Without a catalogue in force every label would look "no longer listed": refuse instead of
    # telling anyone to take the whole board down.
    view = required_catalogue(registry, as_of)
    posted = {code: p.procedure for code, p in registry.posted().items()}
    return diffmod.compute(view.included, posted, as_of, upcoming(registry, as_of),
                           out_of_scope=view.excluded)


def current_versions(registry: Registry, codes: Iterable[str], day: date) -> list[Procedure]:
    """The versions of `codes` in force on `day`, in order; refuses a code not in force then."""
    view = required_catalogue(registry, day)
    current = {p.code: p for p in view.included if p.code}
    left_out = {p.code: v for p, v in view.excluded if p.code}
    chosen = []
    for code in codes:
        p = current.get(code)
        if p is None and code in left_out:
            raise RegistryError(f"{code} is not in the unit's scope on {day.isoformat()} "
                                f"({left_out[code].reason})")
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
    catalogue: CatalogueView | None       # None while no catalogue is in force
    upcoming: tuple[diffmod.Upcoming, ...]
    posted: int
    diff: diffmod.Diff | None  # None while no catalogue is in force


def status(registry: Registry, day: date) -> Status:
    """A summary for `qrproc status`."""
    registry.require_initialised()
    s = registry.settings()
    view = catalogue_on(registry, day)
    return Status(unit=s.get("unit", ""), province=s.get("province", ""), catalogue=view,
                  upcoming=tuple(upcoming(registry, day)), posted=len(registry.posted()),
                  diff=board_diff(registry, day) if view else None)
