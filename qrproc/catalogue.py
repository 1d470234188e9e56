"""Accept a catalogue into the registry, after the checks that keep the board safe.

A catalogue that comes back empty, or that silently lost more than a fifth of the procedures of
the list before it (a partial fetch, the wrong sheet, a filtered export), is refused: otherwise
the next diff would tell the receptionist to take half the board down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from qrproc.errors import ImportRefused
from qrproc.model import Catalogue, Procedure
from qrproc.registry import Registry, Snapshot

#: Refuse a list that drops more than this share of the previous list's procedures.
MAX_DROP = 0.20


@dataclass(frozen=True)
class ImportOutcome:
    snapshot: Snapshot
    dropped: tuple[str, ...]
    added: tuple[str, ...]
    changed: tuple[str, ...]
    warnings: tuple[str, ...]


def _newest_decision(rows: list[Procedure]) -> str | None:
    """The decision of the newest dated rows, when they agree on one."""
    dated = [p for p in rows if p.effective and p.decision]
    if not dated:
        distinct = {p.decision for p in rows if p.decision}
        return distinct.pop() if len(distinct) == 1 else None
    newest = max(p.effective for p in dated)
    distinct = {p.decision for p in dated if p.effective == newest}
    return distinct.pop() if len(distinct) == 1 else None


def plan_snapshot(new: Catalogue, previous: tuple[Procedure, ...] | None, *, effective: date | None,
                  decision: str | None, amend: bool, today: date) -> tuple[Catalogue, date, str]:
    """Pure: the full list to store, its effective date and decision.

    An amending list (a decision annex of changes) is merged onto `previous`. Rows without an
    effective date of their own get the snapshot's, unless they are unchanged from `previous`, in
    which case they keep the date they already had.
    """
    rows = list(new.procedures)
    # A list whose rows carry their own dates takes effect with its newest row.
    eff = effective or max((p.effective for p in rows if p.effective), default=None) or today
    dec = decision if decision is not None else (_newest_decision(rows) or "")
    prev_by_code = {p.code: p for p in previous or () if p.code}
    if amend:
        merged = dict(prev_by_code)
        uncoded = [p for p in previous or () if not p.code]
        for p in rows:
            if p.code:
                merged[p.code] = p
            else:
                uncoded.append(p)
        rows = list(merged.values()) + uncoded
        touched = {p.code for p in new.procedures if p.code}
    else:
        touched = None
    out = []
    for p in rows:
        old = prev_by_code.get(p.code)
        if touched is not None and p.code not in touched:
            out.append(p)  # untouched by the amendment: exactly as before
            continue
        changes: dict = {}
        if p.effective is None:
            same = old is not None and old.content_hash == p.content_hash and old.status == p.status
            changes["effective"] = old.effective if same and old.effective else eff
        if not p.decision and dec and not (old is not None and old.content_hash == p.content_hash
                                          and old.status == p.status):
            changes["decision"] = dec
        out.append(p.replace(**changes) if changes else p)
    return Catalogue(source=new.source, procedures=tuple(out), warnings=new.warnings,
                     total=new.total), eff, dec


def check_drop(new: Catalogue, previous: tuple[Procedure, ...] | None, *, accept_drop: bool) -> tuple[str, ...]:
    """Pure: refuse an empty list or one that silently drops > MAX_DROP of the previous list.

    Returns the codes dropped (listed before, absent now; procedures the new list marks abolished
    or replaced are not "dropped": that is an explicit decision).
    """
    if not new.coded and not accept_drop:
        raise ImportRefused(f"{new.source}: no procedures found; nothing was imported "
                            "(use --accept-drop to store an empty list anyway)")
    if not previous:
        return ()
    now = {p.code for p in new.procedures if p.code}
    before = [p.code for p in previous if p.code and p.in_force]
    dropped = tuple(c for c in before if c not in now)
    if before and len(dropped) / len(before) > MAX_DROP and not accept_drop:
        raise ImportRefused(
            f"{new.source}: lists {len(now)} procedures but drops {len(dropped)} of the "
            f"{len(before)} in force in the previous list ({len(dropped) / len(before):.0%} > "
            f"{MAX_DROP:.0%}); nothing was imported. If the file lists only changes (a decision "
            "annex), use --amend; if the drop is real, use --accept-drop")
    return dropped


def import_catalogue(registry: Registry, new: Catalogue, *, effective: date | None = None,
                     decision: str | None = None, amend: bool = False, accept_drop: bool = False,
                     at: datetime) -> ImportOutcome:
    """Check `new` and store it as a snapshot, in one transaction; refused imports change nothing."""
    registry.require_initialised()
    latest = registry.latest_snapshot()
    previous = registry.snapshot_procedures(latest.id) if latest else None
    if amend and previous is None:
        raise ImportRefused(f"{new.source}: --amend needs an earlier full list to amend; "
                            "import the full catalogue first")
    if amend and not new.procedures:
        raise ImportRefused(f"{new.source}: no procedures found; nothing was imported")
    planned, eff, dec = plan_snapshot(new, previous, effective=effective, decision=decision,
                                      amend=amend, today=at.date())
    dropped = check_drop(planned, previous, accept_drop=accept_drop)
    before = {p.code: p for p in previous or () if p.code}
    added = tuple(p.code for p in planned.procedures if p.code and p.code not in before)
    changed = tuple(p.code for p in planned.procedures
                    if p.code in before and before[p.code].content_hash != p.content_hash)
    snap = registry.add_snapshot(planned, effective=eff, decision=dec,
                                 kind="amend" if amend else "full", at=at)
    return ImportOutcome(snapshot=snap, dropped=dropped, added=added, changed=changed,
                         warnings=new.warnings)


def catalogue_as_of(registry: Registry, day: date) -> tuple[Snapshot | None, tuple[Procedure, ...]]:
    """The snapshot in force on `day` and its procedures (empty before the first one)."""
    snap = registry.snapshot_as_of(day)
    return snap, registry.snapshot_procedures(snap.id) if snap else ()
