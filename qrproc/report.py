"""The coverage report: how much of the applicable catalogue is on the board, and the evidence.

Definitions (posting-rules.md §B4), for a report date D:

* **applicable**: a coded procedure of the catalogue in force on D (`catalogue.catalogue_on`: the
  imports composed by date), in the unit's scope (`qrproc.scope`), that applies on D (`Procedure.applies_on`: in force, effective on or before D). This is
  the denominator. A row without a valid code counts too: it is missing (it cannot be posted
  until its code is corrected), listed with its row, the code as written and a suggestion.
* **posted**: applicable, and its label is on the board at the end of D with the current version
  (same content hash). This is the numerator.
* **stale**: applicable, and on the board with a superseded label: the label's content changed, or
  the board still carries the label of the code it replaces (the row then names that old code in
  ``on_board``). Stale procedures are not counted as posted.
* **missing**: applicable, and nothing on the board for it.
* **orphan**: a label on the board for a procedure that is abolished, replaced (when the new code
  has a label of its own or is not applicable), not yet in force, or not listed in the catalogue
  in force on D.
* **late**: posted, but the current label went up after the version's effective date (or after the
  first catalogue's effective date, for versions older than the registry).

So applicable = posted + stale + missing, and the board = posted + stale labels + orphans. A
replaced code whose label stands in for its replacement keeps a row of its own, in state
``not_applicable`` with the label in ``on_board``, so that its label is counted once (as stale).
Catalogue rows that do not apply and have no label are ``not_applicable`` too.
Coverage = posted ÷ applicable; it is undefined (None) when nothing is applicable.

Everything here is pure: `board.coverage_report` reads the registry and hands the values to
`make_report` (`compute_coverage`, `coverage_history`). The report also carries the latest board audit (`qrproc audit`: photos of the wall, their SHA-256 and what
they showed) up to its date, shown next to the figure as evidence. The renderers
turn a `Report` into JSON, HTML (a Jinja2 template with autoescape), CSV or one Vietnamese sentence.
"""

from __future__ import annotations

import csv
import json
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from jinja2 import Environment, PackageLoader

from qrproc import scope as scopemod
from qrproc.diff import FIELD_LABELS, vn_date
from qrproc import model
from qrproc.i18n import place
from qrproc.model import PostedLabel, Procedure, vi_sort_key
from qrproc.states import NO_FIELD
from qrproc.states import (ABOLISHED, LABEL_CHANGED, MISSING, NO_VALID_CODE, NOT_APPLICABLE,
                           NOT_LISTED, NOT_ON_BOARD, OUT_OF_SCOPE,
                           NOT_YET_IN_FORCE, ORPHAN, POSTED, REPLACED, REPLACES_POSTED, STALE,
                           UP_TO_DATE)

if TYPE_CHECKING:  # plain values from the service layer; this module reads no registry
    from qrproc.catalogue import CatalogueView
    from qrproc.registry import Audit

#: Every state a row can have, in report order.
STATES = (MISSING, STALE, ORPHAN, POSTED, NOT_APPLICABLE)


CSV_COLUMNS = ("code", "name", "field", "state", "cause", "note", "effective", "posted_on",
               "late", "late_days", "on_board")


@dataclass(frozen=True)
class Row:
    """One procedure in the report and its state.

    `on_board` lists the codes of the labels on the board this row accounts for: its own code, or
    for a stale replacement the old code(s) still up. `posted_on` is when the label now up went up;
    `late_days` how many days after it was due (posted rows only).
    """

    code: str
    name: str
    field: str
    state: str
    cause: str
    note: str
    effective: date | None = None
    posted_on: date | None = None
    on_board: tuple[str, ...] = ()
    replaced_by: str = ""
    late_days: int = 0
    source_row: str = ""     # for a row without a valid code: where it is ('list.csv, row 12')
    raw_code: str = ""       # … the code as written there
    suggestion: str = ""     # … and the known code it most likely meant

    @property
    def applicable(self) -> bool:
        return self.state in (POSTED, STALE, MISSING)

    @property
    def late(self) -> bool:
        return self.late_days > 0

    def to_dict(self) -> dict:
        return {
            "code": self.code, "name": self.name, "field": self.field, "state": self.state,
            "cause": self.cause, "note": self.note,
            "effective": self.effective.isoformat() if self.effective else None,
            "posted_on": self.posted_on.isoformat() if self.posted_on else None,
            "late": self.late, "late_days": self.late_days, "on_board": list(self.on_board),
        }


@dataclass(frozen=True)
class FieldCoverage:
    """Coverage of one lĩnh vực (field)."""

    field: str
    applicable: int
    posted: int
    missing: int
    stale: int

    @property
    def coverage_percent(self) -> float | None:
        return percent(self.posted, self.applicable)

    def to_dict(self) -> dict:
        return {"field": self.field, "applicable": self.applicable, "posted": self.posted,
                "coverage_percent": self.coverage_percent, "missing": self.missing,
                "stale": self.stale}


@dataclass(frozen=True)
class Coverage:
    """The state of every procedure on one date, and the counts derived from it."""

    as_of: date
    rows: tuple[Row, ...]
    uncoded: int = 0  # rows without a valid code that do not apply (abolished, not yet in force)

    def _codes(self, state: str) -> tuple[str, ...]:
        return tuple(sorted(r.code for r in self.rows if r.state == state and r.code))

    @property
    def no_valid_code(self) -> tuple[Row, ...]:
        """Applicable rows whose code is missing or invalid: missing until corrected."""
        return tuple(r for r in self.rows if r.cause == NO_VALID_CODE)

    def rows_in(self, state: str) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.state == state)

    @property
    def applicable(self) -> int:
        return sum(r.applicable for r in self.rows)

    @property
    def posted(self) -> int:
        return sum(r.state == POSTED for r in self.rows)

    @property
    def ratio(self) -> float | None:
        """posted ÷ applicable, unrounded; None when nothing is applicable."""
        return self.posted / self.applicable if self.applicable else None

    @property
    def coverage_percent(self) -> float | None:
        return percent(self.posted, self.applicable)

    @property
    def missing(self) -> tuple[str, ...]:
        return self._codes(MISSING)

    @property
    def stale(self) -> tuple[str, ...]:
        return self._codes(STALE)

    @property
    def orphan(self) -> tuple[str, ...]:
        return self._codes(ORPHAN)

    @property
    def late(self) -> tuple[str, ...]:
        return tuple(sorted(r.code for r in self.rows if r.late))

    @property
    def late_rows(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.late)

    @property
    def excluded(self) -> dict[str, int]:
        """Catalogue rows left out of the denominator, by cause (on the board or not)."""
        out = {ABOLISHED: 0, REPLACED: 0, NOT_YET_IN_FORCE: 0}
        for r in self.rows:
            if not r.applicable and r.cause in out:
                out[r.cause] += 1
        out["uncoded"] = self.uncoded
        return out

    @property
    def by_field(self) -> tuple[FieldCoverage, ...]:
        groups: dict[str, list[Row]] = {}
        for r in self.rows:
            if r.applicable:
                groups.setdefault(r.field, []).append(r)
        return tuple(
            FieldCoverage(field=f, applicable=len(rs), posted=sum(r.state == POSTED for r in rs),
                          missing=sum(r.state == MISSING for r in rs),
                          stale=sum(r.state == STALE for r in rs))
            for f, rs in sorted(groups.items(), key=lambda kv: vi_sort_key(kv[0])))


def percent(part: int, whole: int) -> float | None:
    """part ÷ whole as a percentage with one decimal; None when whole is 0.

    Never rounds up to 100 or down to 0: 404/405 is 99.8, and 4049/4050 is 99.9, not 100.0 (a
    "100%" must mean every procedure).
    """
    if not whole:
        return None
    value = round(100 * part / whole, 1)
    if value >= 100 and part < whole:
        return 99.9
    if value <= 0 and part > 0:
        return 0.1
    return value


def vn_percent(value: float | None) -> str:
    """98.3 -> '98,3%', 100.0 -> '100%', None -> 'không xác định'."""
    if value is None:
        return "không xác định"
    text = f"{value:.1f}".replace(".", ",")
    return (text[:-2] if text.endswith(",0") else text) + "%"


def _note_changed(current: Procedure, on_board: Procedure) -> str:
    changed = ", ".join(FIELD_LABELS.get(f, f) for f in current.label_changes(on_board))
    return f"nhãn đang niêm yết là phiên bản cũ (thay đổi: {changed})"


def _since(p: Procedure) -> str:
    return f"có hiệu lực từ {vn_date(p.effective)}" if p.effective else "đang có hiệu lực"


def _why_not_applicable(p: Procedure) -> tuple[str, str]:
    decision = f" (QĐ {p.decision})" if p.decision else ""
    if p.status == model.ABOLISHED:
        return ABOLISHED, f"đã bị bãi bỏ{decision}"
    if p.status == model.REPLACED:
        by = f" bằng {p.replaced_by}" if p.replaced_by else ""
        return REPLACED, f"đã được thay thế{by}{decision}"
    return NOT_YET_IN_FORCE, f"chưa có hiệu lực: có hiệu lực từ {vn_date(p.effective)}{decision}"


def _late_days(p: Procedure, posted_on: date, tracked_since: date | None) -> int:
    due = p.effective
    if due is not None and tracked_since is not None and due < tracked_since:
        due = tracked_since
    return max(0, (posted_on - due).days) if due is not None else 0


def compute_coverage(applicable_catalogue: Sequence[Procedure], posted: Mapping[str, PostedLabel],
                     as_of: date, *, tracked_since: date | None = None,
                     known_codes: Iterable[str] = (),
                     out_of_scope: Mapping[str, str] | None = None) -> Coverage:
    """Pure: the state of every procedure on `as_of`.

    `applicable_catalogue` is the catalogue applicable to the unit on that date: every row of the
    catalogue in force, in scope (`CatalogueView.included`), abolished, replaced and
    not-yet-effective rows included;
    which rows apply on `as_of` is decided here. `out_of_scope` maps the codes of the catalogue
    in force that the unit's scope leaves out to why (in Vietnamese): a label of one of them is
    an orphan for that reason, not "not in the catalogue". `posted` maps a code to the label on the board
    at the end of `as_of` (`Registry.posted(on=as_of)`).

    A posted label is late when it went up after the version's effective date. `tracked_since`
    (the day the registry's first catalogue took effect) moves that date forward for versions that
    took effect before it: nothing is known of the board before the registry started.
    A row without a valid code that applies is missing (it cannot be posted), with a suggestion
    from `known_codes` when one known code fits the code as written.
    """
    by_code: dict[str, Procedure] = {}
    uncoded = 0
    no_code: list[Row] = []
    known = set(known_codes) | {p.code for p in applicable_catalogue if p.code}
    for p in applicable_catalogue:
        if p.code:
            by_code[p.code] = p
        elif p.applies_on(as_of):
            suggestion = model.suggest_code(p.raw_code, known) if p.raw_code else ""
            written = f"mã '{p.raw_code}' không hợp lệ" if p.raw_code else "không có mã TTHC"
            hint = f"; có thể là {suggestion}" if suggestion else ""
            no_code.append(Row(code="", name=p.name, field=p.field, state=MISSING,
                               cause=NO_VALID_CODE, effective=p.effective,
                               note=f"{place(p.origin, 'vi')}: {written}{hint}; chưa niêm yết được",
                               source_row=p.origin, raw_code=p.raw_code, suggestion=suggestion))
        else:
            uncoded += 1
    applies = {c: p for c, p in by_code.items() if p.applies_on(as_of)}
    # A replaced code still on the board stands in for its replacement when the replacement has
    # no label of its own: that label is stale (reprint), not an orphan (take down).
    stands_in: dict[str, list[str]] = {}
    for c, p in by_code.items():
        if (p.status == model.REPLACED and p.replaced_by in applies and p.replaced_by not in posted
                and c in posted):
            stands_in.setdefault(p.replaced_by, []).append(c)
    rows: list[Row] = []

    for code, p in by_code.items():
        label = posted.get(code)
        base = dict(code=code, name=p.name, field=p.field, effective=p.effective,
                    replaced_by=p.replaced_by)
        if code in applies:
            if label is not None and label.procedure.content_hash == p.content_hash:
                rows.append(Row(state=POSTED, cause=UP_TO_DATE, posted_on=label.posted_on,
                                on_board=(code,), note="đã niêm yết phiên bản hiện hành",
                                late_days=_late_days(p, label.posted_on, tracked_since), **base))
            elif label is not None:
                rows.append(Row(state=STALE, cause=LABEL_CHANGED, posted_on=label.posted_on,
                                on_board=(code,), note=_note_changed(p, label.procedure), **base))
            elif code in stands_in:
                olds = tuple(sorted(stands_in[code]))
                rows.append(Row(state=STALE, cause=REPLACES_POSTED,
                                posted_on=min(posted[o].posted_on for o in olds), on_board=olds,
                                note=f"thay thế {', '.join(olds)}, nhãn cũ vẫn đang niêm yết",
                                **base))
            else:
                rows.append(Row(state=MISSING, cause=NOT_ON_BOARD,
                                note=f"{_since(p)}, chưa niêm yết", **base))
        else:
            cause, note = _why_not_applicable(p)
            if code in stands_in.get(p.replaced_by, ()):
                # Counted once, as the stale label of its replacement (see there).
                rows.append(Row(state=NOT_APPLICABLE, cause=cause, posted_on=label.posted_on,
                                on_board=(code,), **base,
                                note=f"{note}, nhãn cũ vẫn đang niêm yết: tính là phiên bản cũ "
                                     f"của {p.replaced_by}"))
            elif label is not None:
                rows.append(Row(state=ORPHAN, cause=cause, note=f"{note}, nhãn vẫn đang niêm yết",
                                posted_on=label.posted_on, on_board=(code,), **base))
            else:
                rows.append(Row(state=NOT_APPLICABLE, cause=cause, note=note, **base))

    for code, label in posted.items():
        if code in by_code:
            continue
        p = label.procedure
        why = (out_of_scope or {}).get(code)
        if why is not None:
            cause, note = OUT_OF_SCOPE, f"ngoài phạm vi tiếp nhận của đơn vị ({why}), nhãn vẫn đang niêm yết"
        else:
            cause, note = NOT_LISTED, "không có trong danh mục đang áp dụng, nhãn vẫn đang niêm yết"
        rows.append(Row(code=code, name=p.name, field=p.field, state=ORPHAN, cause=cause,
                        note=note, effective=p.effective, posted_on=label.posted_on,
                        on_board=(code,)))

    rows.extend(no_code)
    order = {s: i for i, s in enumerate(STATES)}
    rows.sort(key=lambda r: (order[r.state], vi_sort_key(r.field), r.code, r.source_row))
    return Coverage(as_of=as_of, rows=tuple(rows), uncoded=uncoded)


@dataclass(frozen=True)
class HistoryPoint:
    """Coverage on one date of the history."""

    date: date
    applicable: int
    posted: int

    @property
    def coverage_percent(self) -> float | None:
        return percent(self.posted, self.applicable)

    def to_dict(self) -> dict:
        return {"date": self.date.isoformat(), "coverage_percent": self.coverage_percent,
                "applicable": self.applicable, "posted": self.posted}


def coverage_history(samples: Iterable[tuple[date, Sequence[Procedure], Mapping[str, PostedLabel]]],
                     as_of: date) -> tuple[HistoryPoint, ...]:
    """Pure: coverage on each sampled day, in date order, keeping a day only when applicable or
    posted differ from the last day kept; `as_of` is always the last point.

    Each sample is (day, the catalogue in scope on that day, the board at the end of that day);
    `board.coverage_report` samples the days of posts, take-downs and effective dates.
    """
    points: list[HistoryPoint] = []
    for day, procedures, posted in sorted(samples, key=lambda s: s[0]):
        cov = compute_coverage(procedures, posted, day)
        point = HistoryPoint(date=day, applicable=cov.applicable, posted=cov.posted)
        if points and day != as_of and \
                (points[-1].applicable, points[-1].posted) == (point.applicable, point.posted):
            continue
        points.append(point)
    return tuple(points)


@dataclass(frozen=True)
class CatalogueInfo:
    """Which catalogue the denominator comes from: the list in force and the amendments on it,
    the scope rule, and how many procedures the rule left out (by cause)."""

    source: str
    decision: str
    effective: date
    amendments: tuple[tuple[str, str, date], ...] = ()  # (source, decision, effective)
    rule: str = ""
    left_out: tuple[tuple[str, int], ...] = ()            # (cause, count)

    @classmethod
    def from_view(cls, view: "CatalogueView", unit: str) -> "CatalogueInfo":
        base = view.base
        return cls(base.source, base.decision, base.effective,
                   tuple((a.source, a.decision, a.effective) for a in view.amendments),
                   scopemod.describe_rule(view.rules, unit),
                   tuple(view.split.counts_out().items()))

    @property
    def chain_text(self) -> str:
        """'danh mục công bố tại Quyết định số 1234/QĐ-UBND (hiệu lực 01/07/2026), sửa đổi, bổ
        sung tại Quyết định số 2345/QĐ-UBND (hiệu lực 15/12/2026)'."""
        def one(decision: str, source: str, effective: date) -> str:
            what = f"Quyết định số {decision}" if decision else f"danh mục {source}"
            return f"{what} (hiệu lực {vn_date(effective)})"

        text = "danh mục công bố tại " + one(self.decision, self.source, self.effective)
        if self.amendments:
            text += ", sửa đổi, bổ sung tại " + ", ".join(one(d, s, e) for s, d, e in self.amendments)
        return text

    @property
    def left_out_total(self) -> int:
        return sum(n for _, n in self.left_out)

    @property
    def left_out_text(self) -> str:
        """'12 TTHC cấp tỉnh, 3 TTHC riêng của tỉnh khác' ('' when none was left out)."""
        return ", ".join(f"{n} {scopemod.reason_vi(c)}" for c, n in self.left_out)

    def to_dict(self) -> dict:
        return {"source": self.source, "decision": self.decision,
                "effective": self.effective.isoformat(),
                "amendments": [{"source": s, "decision": d, "effective": e.isoformat()}
                               for s, d, e in self.amendments],
                "scope_rule": self.rule,
                "out_of_scope": {c: n for c, n in self.left_out}}


@dataclass(frozen=True)
class AuditPhoto:
    """One photo behind an audit: the evidence a reader can check (name, SHA-256, codes read)."""

    name: str
    sha256: str | None
    status: str
    codes: int

    @property
    def file_name(self) -> str:
        """The name without its folders, for display."""
        return PurePath(self.name).name or self.name

    def to_dict(self) -> dict:
        return {"name": self.name, "sha256": self.sha256, "status": self.status, "codes": self.codes}


@dataclass(frozen=True)
class AuditInfo:
    """The latest board audit on or before the report date (`qrproc audit`): what photos of the
    wall showed, next to what the registry says."""

    id: int
    day: date
    at: datetime
    applied: bool
    photos: tuple[AuditPhoto, ...]
    labels_seen: int
    current: int
    stale: int
    orphan: int
    unknown: int
    not_seen: int
    age_days: int  # days between the audit and the report date
    posted_not_seen: int = 0  # on the board by the registry, not in any photo

    @property
    def agrees(self) -> bool:
        """The photos show exactly the board the registry records: no stale or unknown-to-the-
        registry label, and every posted label seen."""
        return not (self.stale or self.orphan or self.posted_not_seen)

    @classmethod
    def from_audit(cls, audit: "Audit", as_of: date) -> "AuditInfo":
        s = audit.summary
        photos = tuple(AuditPhoto(f.name, f.sha256, f.status, len(f.codes)) for f in audit.files)
        return cls(id=audit.id, day=audit.day, at=audit.at, applied=audit.applied, photos=photos,
                   labels_seen=int(s.get("labels_seen", sum(p.codes for p in photos))),
                   current=len(s.get("current", ())), stale=len(s.get("stale", ())),
                   orphan=len(s.get("orphan", ())), unknown=len(s.get("unknown", ())),
                   not_seen=len(s.get("not_seen", ())), age_days=(as_of - audit.day).days,
                   posted_not_seen=len(s.get("posted_not_seen", ())))

    def to_dict(self) -> dict:
        return {"id": self.id, "date": self.day.isoformat(),
                "recorded_at": self.at.isoformat(timespec="seconds"), "applied": self.applied,
                "age_days": self.age_days, "labels_seen": self.labels_seen,
                "current": self.current, "stale": self.stale, "orphan": self.orphan,
                "unknown": self.unknown, "not_seen": self.not_seen,
                "posted_not_seen": self.posted_not_seen, "agrees": self.agrees,
                "photos": [p.to_dict() for p in self.photos]}


@dataclass(frozen=True)
class Period:
    """What happened between two dates (both included): labels put up and taken down, the ones
    put up late, and the catalogue's changes in force in the period (new, changed, ended)."""

    start: date
    end: date
    posted: int
    taken_down: int
    late: int
    new: int
    changed: int
    ended: int

    def to_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "posted": self.posted,
                "taken_down": self.taken_down, "late": self.late,
                "catalogue": {"new": self.new, "changed": self.changed, "ended": self.ended}}


@dataclass(frozen=True)
class SignOff:
    """Who signs the report: the officer who prepared it and the head of the unit (names may be
    left blank to write by hand), and where it is signed."""

    preparer: str = ""
    head: str = ""
    place: str = ""


@dataclass(frozen=True)
class Report:
    """Everything the renderers show. `audit` is the latest board audit up to `as_of`, if any;
    `period` the figures of a reporting period (--from/--to); `future` is True when the report
    date is after the day it was made (its figures are a forecast from the registry)."""

    as_of: date
    unit: str
    province: str
    catalogue: CatalogueInfo | None
    coverage: Coverage
    history: tuple[HistoryPoint, ...]
    audit: AuditInfo | None = None
    period: Period | None = None
    future: bool = False
    sign_off: SignOff = SignOff()
    centre: str = ""

    @property
    def denominator(self) -> str:
        """The denominator in words, as the report states it: the scope rule, the date, and how
        many procedures of the catalogue in force the rule left out."""
        unit = self.unit or "đơn vị"
        text = f"TTHC thuộc phạm vi tiếp nhận của {unit}"
        info = self.catalogue
        if info is not None and info.rule:
            text += f" ({info.rule})"
        text += f", có mã TTHC, còn hiệu lực tại ngày {vn_date(self.as_of)}"
        if info is not None and info.left_out:
            text += (f"; không tính {info.left_out_total} TTHC ngoài phạm vi của danh mục "
                     f"({info.left_out_text})")
        return text


def make_report(*, as_of: date, unit: str, province: str, catalogue: CatalogueInfo | None,
                procedures: Sequence[Procedure], posted: Mapping[str, PostedLabel],
                history: Sequence[HistoryPoint], audit: "Audit | None" = None,
                tracked_since: date | None = None, known_codes: Iterable[str] = (),
                period: Period | None = None, today: date | None = None,
                sign_off: SignOff = SignOff(), centre: str = "",
                out_of_scope: Mapping[str, str] | None = None) -> Report:
    """Pure: the report for `as_of` from plain values (`board.coverage_report` gathers them)."""
    coverage = compute_coverage(procedures, posted, as_of, tracked_since=tracked_since,
                                known_codes=known_codes, out_of_scope=out_of_scope)
    return Report(as_of=as_of, unit=unit, province=province, catalogue=catalogue,
                  coverage=coverage, history=tuple(history),
                  audit=AuditInfo.from_audit(audit, as_of) if audit else None, period=period,
                  future=today is not None and as_of > today, sign_off=sign_off, centre=centre)


def period_figures(start: date, end: date, postings: Iterable, before: Sequence[Procedure],
                   after: Sequence[Procedure], *, tracked_since: date | None = None) -> Period:
    """Pure: the figures of the period [start, end]. `postings` are every posting ever made
    (`registry.Posting`), `before` / `after` the catalogue in scope the day before `start` and
    on `end`."""
    postings = list(postings)
    up = [p for p in postings if start <= p.posted_on <= end]
    down = [p for p in postings if p.taken_down_on and start <= p.taken_down_on <= end]
    late = sum(1 for p in up if _late_days(p.procedure, p.posted_on, tracked_since) > 0)
    old = {p.code: p for p in before if p.code and p.applies_on(start - timedelta(days=1))}
    new = {p.code: p for p in after if p.code and p.applies_on(end)}
    return Period(start, end, posted=len(up), taken_down=len(down), late=late,
                  new=sum(1 for c in new if c not in old),
                  changed=sum(1 for c, p in new.items() if c in old
                              and old[c].content_hash != p.content_hash),
                  ended=sum(1 for c in old if c not in new))


# -- renderers ---------------------------------------------------------------------------------

def to_json(report: Report) -> dict:
    """The documented JSON shape of `qrproc report --format json` (docs/report.md).

    ``audit`` (the latest board audit up to the report date: its date, photos with their SHA-256,
    and what they showed) follows ``catalogue`` once an audit has been recorded; registries
    without one keep the earlier shape.
    """
    c = report.coverage
    data = {
        "as_of": report.as_of.isoformat(),
        "unit": report.unit,
        "province": report.province,
        "denominator": report.denominator,
        "catalogue": report.catalogue.to_dict() if report.catalogue else None,
    }
    if report.audit is not None:
        data["audit"] = report.audit.to_dict()
    if report.period is not None:
        data["period"] = report.period.to_dict()
    return data | {
        "applicable": c.applicable,
        "posted": c.posted,
        "coverage_percent": c.coverage_percent,
        "missing": list(c.missing),
        "no_valid_code": [{"row": r.source_row, "name": r.name, "field": r.field,
                           "raw_code": r.raw_code, "suggestion": r.suggestion}
                          for r in c.no_valid_code],
        "stale": list(c.stale),
        "orphan": list(c.orphan),
        "late": list(c.late),
        "excluded": c.excluded,
        "by_field": [f.to_dict() for f in c.by_field],
        "history": [h.to_dict() for h in report.history],
        "procedures": [r.to_dict() for r in c.rows],
    }


#: A cell starting with one of these is a formula to Excel and LibreOffice (OWASP, "CSV
#: Injection"): a name imported from a hostile list could run one on the officer's machine.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """The CSV text of a value; one that a spreadsheet would take for a formula gets a leading
    single quote, so it is shown as text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV for spreadsheets: a UTF-8 byte-order mark first, so that Excel reads the Vietnamese
    right wherever it is written (a file, or stdout redirected to one); CRLF line ends; cells a
    spreadsheet would take for formulas neutralised (`FORMULA_STARTS`)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def render_csv(report: Report) -> str:
    """One row per procedure (and per orphan label) with its state; header in CSV_COLUMNS (see
    `csv_text`)."""
    def cells(r: Row) -> list:
        d = r.to_dict()
        d["late"] = "yes" if r.late else ""
        d["late_days"] = r.late_days or ""
        d["on_board"] = " ".join(r.on_board)
        return [d[k] for k in CSV_COLUMNS]
    return csv_text(CSV_COLUMNS, (cells(r) for r in report.coverage.rows))


def sentence(report: Report) -> str:
    """The sentence for the periodic report: unit, date, the decisions behind the list, the
    figure, and what is still to do in counts (the lists follow it in `render_text`)."""
    c = report.coverage
    day = vn_date(report.as_of)
    unit = report.unit or "đơn vị"
    if report.catalogue is None:
        return (f"Tính đến ngày {day}, {unit} chưa có danh mục TTHC nào có hiệu lực được nhập nên "
                "chưa tính được tỷ lệ TTHC được niêm yết công khai bằng mã QR.")
    chain = report.catalogue.chain_text
    if not c.applicable:
        return (f"Tính đến ngày {day}, theo {chain}, không có TTHC nào thuộc phạm vi tiếp nhận "
                f"của {unit} còn hiệu lực nên chưa tính được tỷ lệ TTHC được niêm yết công khai "
                "bằng mã QR.")
    text = (f"Tính đến ngày {day}, {unit} đã niêm yết công khai bằng mã QR {c.posted}/"
            f"{c.applicable} TTHC ({vn_percent(c.coverage_percent)}) thuộc phạm vi tiếp nhận theo "
            f"{chain}")
    todo = []
    n_missing = sum(r.state == MISSING for r in c.rows)
    if n_missing:
        todo.append(f"{n_missing} TTHC chưa niêm yết")
    if c.stale:
        todo.append(f"{len(c.stale)} TTHC đang niêm yết phiên bản cũ, cần in lại")
    if c.orphan:
        todo.append(f"{len(c.orphan)} nhãn TTHC không còn áp dụng hoặc chưa có hiệu lực cần gỡ xuống")
    if todo:
        text += "; còn " + "; ".join(todo) + " (danh sách kèm theo)"
    return text + "."


def render_json(report: Report) -> str:
    """The report for machines (stable English keys), as the CLI prints it and the desk offers it."""
    return json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n"


def render_text(report: Report) -> str:
    """The sentence, then the lists it refers to (one line per procedure)."""
    c = report.coverage
    lines = [sentence(report)]
    lists = (("TTHC chưa niêm yết", c.rows_in(MISSING)), ("TTHC đang niêm yết phiên bản cũ",
             c.rows_in(STALE)), ("Nhãn cần gỡ xuống", c.rows_in(ORPHAN)))
    for title, rows in lists:
        if rows:
            lines += ["", f"{title} ({len(rows)}):"]
            lines += [f"- {r.code or r.source_row}: {r.name}" for r in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Chart:
    """A step chart of coverage over time, in SVG user units; the template draws it."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    lines: tuple[str, ...]  # each an SVG polyline `points` value
    dots: tuple[tuple[float, float, str], ...]  # x, y, tooltip
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]


def chart_points(history: Sequence[HistoryPoint], *, width: int = 720, height: int = 240) -> Chart:
    """Pure: place the history on a time axis (x) against 0–100% (y).

    Coverage holds from one point to the next, so the line is drawn as steps. Points with undefined
    coverage break the line.
    """
    left, right, top, bottom = 48, 40, 12, 28
    pw, ph = width - left - right, height - top - bottom
    days = [h.date for h in history]
    first = min(days) if days else date.min
    span = max((max(days) - first).days, 1) if days else 1

    def x(d: date) -> float:
        if len(set(days)) <= 1:
            return round(left + pw / 2, 1)
        return round(left + pw * (d - first).days / span, 1)

    def y(v: float) -> float:
        return round(top + ph * (1 - v / 100), 1)

    lines, current, dots = [], [], []
    for i, h in enumerate(history):
        v = h.coverage_percent
        if v is None:
            if current:
                lines.append(" ".join(current))
            current = []
            continue
        current.append(f"{x(h.date)},{y(v)}")
        if i + 1 < len(history):
            current.append(f"{x(history[i + 1].date)},{y(v)}")
        dots.append((x(h.date), y(v), f"{vn_date(h.date)}: {h.posted}/{h.applicable} "
                                      f"({vn_percent(v)})"))
    if current:
        lines.append(" ".join(current))

    ticks: list[tuple[float, str]] = []
    if days:
        n = min(5, len(set(days)) - 1)
        wanted = [first + timedelta(days=round(span * k / n)) for k in range(n + 1)] if n else [first]
        for d in dict.fromkeys(wanted):
            ticks.append((x(d), vn_date(d)))
    y_ticks = tuple((y(v), f"{v}%") for v in (0, 25, 50, 75, 100))
    return Chart(width=width, height=height, left=left, top=top, plot_width=pw, plot_height=ph,
                 lines=tuple(lines), dots=tuple(dots), x_ticks=tuple(ticks), y_ticks=y_ticks)


_ENV: Environment | None = None


def template_environment() -> Environment:
    """The Jinja environment of the package's templates (autoescaped, with the Vietnamese date
    and percent filters), shared by the commune report and the province roll-up."""
    global _ENV
    if _ENV is None:
        _ENV = Environment(loader=PackageLoader("qrproc", "templates"), autoescape=True,
                           trim_blocks=True, lstrip_blocks=True)
        _ENV.filters["vn_date"] = lambda d: vn_date(d) if d else ""
        _ENV.filters["vn_percent"] = vn_percent
    return _ENV


def render_html(report: Report) -> str:
    """One self-contained Vietnamese HTML page (inline CSS and SVG, no script, no external URL)."""
    c = report.coverage
    return template_environment().get_template("report.html").render(
        report=report, coverage=c, chart=chart_points(report.history), text=sentence(report),
        no_field=NO_FIELD, MISSING=MISSING, STALE=STALE, ORPHAN=ORPHAN)
