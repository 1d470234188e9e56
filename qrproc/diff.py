"""Compare the catalogue in force on a date with what is on the board. Pure: no I/O.

The result says what to print (new), reprint (label content changed, or a code replaced by a new
one), take down (abolished, replaced, no longer listed, not yet in force) and what is announced
for a later date. A decision that takes effect later changes nothing before that date: its
changes only appear under `not_yet_effective`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from qrproc.i18n import place
from qrproc.model import ABOLISHED, REPLACED, Procedure, vi_sort_key
from qrproc.vntext import date_text as shown_date  # noqa: F401 - the name messages use

if TYPE_CHECKING:  # the scope module imports nothing from here; only the type is needed
    from qrproc.scope import Verdict

FIELD_LABELS = {
    "code": "mã", "name": "tên", "field": "lĩnh vực", "portal_id": "liên kết trên Cổng",
    "processing_time": "thời hạn", "fees": "phí, lệ phí",
}


def vn_date(day: date) -> str:
    """28/11/2026."""
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Item:
    """One line of a diff: the procedure concerned and why it is there.

    `reason` is for the command line and JSON; `reason_vi` says the same in Vietnamese for what
    is printed for the board (the takedown sheet).
    """

    procedure: Procedure
    reason: str
    reason_vi: str

    @property
    def code(self) -> str:
        return self.procedure.code

    def to_dict(self) -> dict:
        p = self.procedure
        return {"code": p.code, "name": p.name, "field": p.field, "reason": self.reason}


@dataclass(frozen=True)
class Upcoming:
    """A catalogue announced to take effect after the diff date."""

    effective: date
    decision: str
    procedures: Sequence[Procedure]


@dataclass(frozen=True)
class Diff:
    as_of: date
    to_post: tuple[Item, ...]
    to_reprint: tuple[Item, ...]
    to_take_down: tuple[Item, ...]
    not_yet_effective: tuple[Item, ...]
    unchanged: tuple[Item, ...]
    needs_code: tuple[Item, ...] = ()
    out_of_scope: tuple[tuple[Procedure, "Verdict"], ...] = ()

    @property
    def is_clean(self) -> bool:
        """Nothing to print, reprint or take down."""
        return not (self.to_post or self.to_reprint or self.to_take_down)

    def to_json(self) -> dict:
        """The documented JSON shape of `qrproc diff --json`."""
        return {
            "as_of": self.as_of.isoformat(),
            "to_post": [i.to_dict() for i in self.to_post],
            "to_reprint": [i.to_dict() for i in self.to_reprint],
            "to_take_down": [i.to_dict() for i in self.to_take_down],
            "not_yet_effective": [i.to_dict() for i in self.not_yet_effective],
            "unchanged": len(self.unchanged),
            "needs_code": [i.to_dict() for i in self.needs_code],
            "out_of_scope": [{"code": p.code, "name": p.name, "field": p.field, "cause": v.cause,
                              "reason": v.reason} for p, v in self.out_of_scope],
        }


def _why_gone(on_board: Procedure, p: Procedure) -> Item:
    when = f" (QĐ {p.decision})" if p.decision else ""
    if p.status == ABOLISHED:
        return Item(on_board, f"abolished{when}", f"Bãi bỏ{when}")
    if p.status == REPLACED and p.replaced_by:
        return Item(on_board, f"replaced by {p.replaced_by}{when}",
                    f"Được thay thế bởi {p.replaced_by}{when}")
    if p.status == REPLACED:
        return Item(on_board, f"replaced{when}", f"Được thay thế{when}")
    day = vn_date(p.effective)
    return Item(on_board, f"not yet in force: takes effect on {day}{when}",
                f"Chưa có hiệu lực (áp dụng từ {day}){when}")


def changed_fields(p: Procedure, older: Procedure) -> str:
    """What of the label changed, in Vietnamese: 'tên, phí, lệ phí'."""
    return ", ".join(FIELD_LABELS.get(f, f) for f in p.label_changes(older))


_changed = changed_fields


def compute(current: Iterable[Procedure], posted: Mapping[str, Procedure], as_of: date,
            upcoming: Sequence[Upcoming] = (),
            out_of_scope: Sequence[tuple[Procedure, "Verdict"]] = ()) -> Diff:
    """Diff the catalogue in force on `as_of` against the posted labels (code -> version).

    `current` is the catalogue in the unit's scope; `out_of_scope` the rows the scope rule left
    out, with their verdicts (a label of one of those is taken down, saying why).
    """
    current = list(current)
    by_code = {p.code: p for p in current if p.code}
    replaces = {p.replaced_by: p.code for p in current if p.status == REPLACED and p.replaced_by}
    to_post, to_reprint, to_take_down, unchanged, later = [], [], [], [], []

    for code, p in by_code.items():
        on_board = posted.get(code)
        if p.applies_on(as_of):
            if on_board is None:
                old = replaces.get(code)
                if old and old in posted:
                    to_reprint.append(Item(p, f"replaces {old}, which is on the board",
                                           f"Thay thế {old} đang niêm yết"))
                elif p.effective:
                    day = vn_date(p.effective)
                    to_post.append(Item(p, f"in force since {day}, not on the board",
                                        f"Có hiệu lực từ {day}, chưa niêm yết"))
                else:
                    to_post.append(Item(p, "in force, not on the board", "Đang có hiệu lực, chưa niêm yết"))
            elif on_board.content_hash == p.content_hash:
                unchanged.append(Item(p, "on the board, up to date", "Đã niêm yết, đúng nội dung"))
            else:
                to_reprint.append(Item(p, f"label changed: {_changed(p, on_board)}",
                                       f"Nội dung thay đổi: {_changed(p, on_board)}"))
        else:
            if p.in_force:  # effective after as_of
                when = f" (QĐ {p.decision})" if p.decision else ""
                day = vn_date(p.effective)
                later.append(Item(p, f"takes effect on {day}{when}", f"Có hiệu lực từ {day}{when}"))
            if on_board is not None:
                to_take_down.append(_why_gone(on_board, p))

    left_out = {p.code: v for p, v in out_of_scope if p.code}
    for code, on_board in posted.items():
        if code in by_code:
            continue
        if code in left_out:
            v = left_out[code]
            to_take_down.append(Item(on_board, f"out of the unit's scope: {v.reason}",
                                     f"Ngoài phạm vi niêm yết của đơn vị: {v.reason_vi}"))
        else:
            to_take_down.append(Item(on_board, "no longer listed in the catalogue",
                                     "Không còn trong danh mục"))

    later.extend(_upcoming_changes(by_code, as_of, upcoming))
    needs_code = [Item(p, f"no procedure code ({p.origin})" if p.origin else "no procedure code",
                       f"Không có mã TTHC ({place(p.origin, 'vi')})" if p.origin else "Không có mã TTHC")
                  for p in current if not p.code]
    key = lambda i: (vi_sort_key(i.procedure.field), i.code)  # noqa: E731
    return Diff(
        as_of=as_of,
        to_post=tuple(sorted(to_post, key=key)),
        to_reprint=tuple(sorted(to_reprint, key=key)),
        to_take_down=tuple(sorted(to_take_down, key=key)),
        not_yet_effective=tuple(sorted(later, key=lambda i: (i.reason, vi_sort_key(i.procedure.field), i.code))),
        unchanged=tuple(sorted(unchanged, key=key)),
        needs_code=tuple(needs_code),
        out_of_scope=tuple(sorted(out_of_scope, key=lambda pv: (pv[1].cause, pv[0].code))),
    )


def _upcoming_changes(base: Mapping[str, Procedure], as_of: date,
                      upcoming: Sequence[Upcoming]) -> list[Item]:
    """What each later catalogue will change, each compared with the one before it."""
    out: list[Item] = []
    # Announced rows of the list in force count as known already: they are listed as "takes
    # effect on …" once, not again as new on their date.
    before = {c: p for c, p in base.items() if p.in_force}
    for up in upcoming:
        dec = f" (QĐ {up.decision})" if up.decision else ""
        when, vi = f"from {vn_date(up.effective)}{dec}", f"từ {vn_date(up.effective)}{dec}"
        after = {p.code: p for p in up.procedures if p.code and p.in_force}
        gone = {p.code: p for p in up.procedures if p.code and not p.in_force}
        for code, p in after.items():
            if code not in before:
                out.append(Item(p, f"new {when}", f"Mới, áp dụng {vi}"))
            elif before[code].content_hash != p.content_hash:
                changed = _changed(p, before[code])
                out.append(Item(p, f"label changes {when}: {changed}", f"Nội dung thay đổi {vi}: {changed}"))
        for code, p in before.items():
            if code not in after:
                g = gone.get(code)
                if g is not None and g.status == REPLACED and g.replaced_by:
                    out.append(Item(p, f"replaced by {g.replaced_by} {when}",
                                    f"Được thay thế bởi {g.replaced_by} {vi}"))
                elif g is not None:
                    out.append(Item(p, f"abolished {when}", f"Bãi bỏ {vi}"))
                else:
                    out.append(Item(p, f"no longer listed {when}", f"Không còn trong danh mục {vi}"))
        before = after
    return out
