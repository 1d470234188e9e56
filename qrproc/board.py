"""What is on the board, against what should be: the operations the CLI commands call."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from qrproc import diff as diffmod
from qrproc.catalogue import CatalogueView, catalogue_on, required_catalogue, upcoming
from qrproc.diff import shown_date
from qrproc.errors import RegistryError
from qrproc.i18n import N_, _, option
from qrproc.model import ABOLISHED, REPLACED, Procedure, vi_sort_key
from qrproc.registry import Registry, Summary


def board_diff(registry: Registry, as_of: date, view: CatalogueView | None = None) -> diffmod.Diff:
    """The diff between the catalogue in force on `as_of` (in the unit's scope; `view` when the
    caller has it already) and the labels on the board now."""
    registry.require_initialised()
    # Without a catalogue in force every label would look "no longer listed": refuse instead of
    # telling anyone to take the whole board down.
    view = view or required_catalogue(registry, as_of)
    # The board as it stood at the end of `as_of`: the same board the report counts that day.
    posted = {code: p.procedure for code, p in registry.posted(on=as_of).items()}
    return diffmod.compute(view.included, posted, as_of, upcoming(registry, as_of),
                           out_of_scope=view.excluded)


def current_versions(registry: Registry, codes: Iterable[str], day: date,
                     view: CatalogueView | None = None) -> list[Procedure]:
    """The versions of `codes` in force on `day`, in order; refuses a code not in force then."""
    view = view or required_catalogue(registry, day)
    current = {p.code: p for p in view.included if p.code}
    left_out = {p.code: v for p, v in view.excluded if p.code}
    chosen = []
    for code in codes:
        p = current.get(code)
        if p is None and code in left_out:
            raise RegistryError(_("{code} is not in the unit's scope on {day} ({reason})").format(
                code=code, day=shown_date(day), reason=left_out[code].reason_text))
        if p is None:
            raise RegistryError(_("{code} is not in the catalogue in force on {day}").format(
                code=code, day=shown_date(day)))
        if not p.applies_on(day):
            raise RegistryError(_not_in_force(p, day))
        chosen.append(p)
    return chosen


def _not_in_force(p: Procedure, day: date) -> str:
    if p.status == ABOLISHED:
        message = _("{code} is not in force on {day} (abolished)")
    elif p.status == REPLACED:
        message = _("{code} is not in force on {day} (replaced)")
    else:
        return _("{code} is not in force yet on {day}: it takes effect on {effective}").format(
            code=p.code, day=shown_date(day), effective=shown_date(p.effective))
    return message.format(code=p.code, day=shown_date(day))


#: Settings of the unit beside its name and province: the centre's name, address and hotline
#: (printed on the wall), who signs the report, and where.
SETTING_CENTRE = "centre"
SETTING_ADDRESS = "address"
SETTING_HOTLINE = "hotline"
SETTING_PREPARER = "preparer"
SETTING_HEAD = "head"
SETTING_PLACE = "place"
UNIT_DETAILS = (SETTING_CENTRE, SETTING_ADDRESS, SETTING_HOTLINE, SETTING_PREPARER, SETTING_HEAD,
                SETTING_PLACE)


def setup_unit(registry: Registry, *, unit: str, province: str, at: datetime,
               **details: str | None) -> None:
    """Create or change the unit's name and province (`qrproc init`), and any of its details
    (UNIT_DETAILS) given."""
    unknown = set(details) - set(UNIT_DETAILS)
    if unknown:
        raise ValueError(f"unknown unit detail(s): {', '.join(sorted(unknown))}")  # developers only
    values = {"unit": unit, "province": province}
    values.update({k: v.strip() for k, v in details.items() if v is not None})
    with registry.change("init", at=at) as change:
        registry.set_settings(values, at=at)
        change.summary = Summary(N_("unit {unit} ({province})"), {"unit": unit, "province": province})


def post_codes(registry: Registry, codes: Iterable[str], *, day: date, at: datetime,
               batch_id: int | None = None) -> tuple[list[str], list[str]]:
    """Record that the current labels of `codes` went up on `day`.

    Refuses (changing nothing) a code that is not in the catalogue in force on `day`, or not in
    force then. Returns (posted, already up to date).
    """
    registry.require_initialised()
    chosen = current_versions(registry, codes, day)
    return _post(registry, chosen, day=day, at=at, batch_id=batch_id)


def _post(registry: Registry, procs: list[Procedure], *, day: date, at: datetime,
          batch_id: int | None) -> tuple[list[str], list[str]]:
    with registry.change("post", at=at) as change:
        done, same = registry.post(procs, day=day, at=at, batch_id=batch_id)
        if batch_id is None:
            change.summary = Summary.counted(len(done), N_("{n} label put up on {day}"),
                                             N_("{n} labels put up on {day}"),
                                             day=diffmod.vn_date(day))
        else:
            change.summary = Summary.counted(
                len(done), N_("{n} label put up on {day} (print batch {batch})"),
                N_("{n} labels put up on {day} (print batch {batch})"),
                day=diffmod.vn_date(day), batch=batch_id)
    return done, same


def post_pending(registry: Registry, *, day: date, at: datetime) -> tuple[list[str], list[str]]:
    """Post everything the diff says to print or reprint on `day`."""
    d = board_diff(registry, day)
    codes = [i.code for i in d.to_post + d.to_reprint]
    return post_codes(registry, codes, day=day, at=at)


#: Layouts printed for the counter, not the wall board: their modules are too small to scan
#: from a step away (poster.module_warnings), so they never count as posted.
COUNTER_LAYOUTS = ("labels",)


def for_the_wall(files) -> bool:
    """Whether a batch's files (registry.BatchFile) include one for the wall board: a grid or
    single-procedure print or reprint, or PNG cards."""
    return any(f.layout not in COUNTER_LAYOUTS for f in files)


def post_batch(registry: Registry, batch_id: int, *, day: date, at: datetime) -> tuple[list[str], list[str]]:
    """Mark a print batch as put up: each label exactly as printed in that batch. Refuses a
    batch of counter labels only (reprinted for the wall, it can be marked)."""
    registry.require_initialised()
    registry.batch(batch_id)  # "no print batch N" for one that does not exist
    if not for_the_wall(registry.batch_files(batch_id)):
        raise RegistryError(_(
            "print batch {batch} holds only counter labels, which are too small for the notice "
            "board and do not count as posted; reprint the batch in the grid or single layout, "
            "put that up, then mark it").format(batch=batch_id))
    procs = registry.batch_procedures(batch_id)
    return _post(registry, procs, day=day, at=at, batch_id=batch_id)


def take_down(registry: Registry, codes: Iterable[str], *, day: date, at: datetime,
              force: bool = False) -> tuple[list[str], list[str]]:
    """Record that labels came down on `day`. Returns (taken down, were not up).

    A procedure still in force on `day` (in the unit's scope) is refused, changing nothing,
    unless `force`: its label belongs on the board, and coming down makes it missing.
    """
    registry.require_initialised()
    codes = list(codes)
    if not force:
        view = catalogue_on(registry, day)
        live = {p.code: p for p in view.applicable} if view else {}
        still = [c for c in codes if c in live]
        if still:
            p = live[still[0]]
            decision = f" ({p.decision})" if p.decision else ""
            if len(still) == 1:
                advice = "if_it_came_down"
                message = _(
                    "{code} is still in force on {day}{decision}: its label belongs on the board, "
                    "so nothing was taken down. {if_it_came_down}")
            else:
                advice = "if_they_came_down"
                message = _(
                    "{code} and {more} more are still in force on {day}{decision}: their labels "
                    "belong on the board, so nothing was taken down. {if_they_came_down}")
            raise RegistryError(message.format(code=still[0], more=len(still) - 1,
                                               day=shown_date(day), decision=decision,
                                               **{advice: option(advice)}))
    with registry.change("takedown", at=at) as change:
        done, absent = registry.take_down(codes, day=day, at=at)
        change.summary = Summary.counted(len(done), N_("{n} label taken down on {day}"),
                                         N_("{n} labels taken down on {day}"),
                                         day=diffmod.vn_date(day))
    return done, absent


def undo(registry: Registry, *, at: datetime, back_to: int | None = None):
    """Revert the latest change (or every change from `back_to` on); see Registry.undo."""
    registry.require_initialised()
    return registry.undo(at=at, back_to=back_to)


@dataclass(frozen=True)
class Status:
    unit: str
    province: str
    catalogue: CatalogueView | None       # None while no catalogue is in force
    upcoming: tuple[diffmod.Upcoming, ...]
    posted: int
    diff: diffmod.Diff | None  # None while no catalogue is in force
    coverage: object | None = None  # report.Coverage on the day, as the report counts it


def status(registry: Registry, day: date) -> Status:
    """A summary for `qrproc status`."""
    registry.require_initialised()
    s = registry.settings()
    from qrproc import report as reportmod

    view = catalogue_on(registry, day)
    board_then = registry.posted(on=day)
    diff = board_diff(registry, day, view) if view else None
    return Status(unit=s.get("unit", ""), province=s.get("province", ""), catalogue=view,
                  upcoming=tuple(upcoming(registry, day)),
                  posted=len(board_then), diff=diff,
                  coverage=reportmod.compute_coverage(view.included, board_then, day,
                                                      out_of_scope=_scope_reasons(view))
                  if view else None)


def _scope_reasons(view: CatalogueView | None) -> dict[str, str]:
    """Code -> why the unit's scope leaves it out (Vietnamese), for the catalogue in `view`."""
    return {p.code: v.reason_vi for p, v in view.excluded if p.code} if view else {}


# -- the coverage report and the board audit: registry reads and writes around pure modules ----

def coverage_report(registry: Registry, as_of: date, *, start: date | None = None,
                    today: date | None = None):
    """The coverage report for `as_of`: the board as it stood at the end of that day, against the
    catalogue in scope, with its history and the latest audit up to that day; with `start`, the
    figures of the period from `start` to `as_of`. `today` (when given) marks a report dated
    after it as a forecast."""
    from qrproc import report as reportmod
    from qrproc.catalogue import scope_rules, timeline, view_on

    registry.require_initialised()
    settings = registry.settings()
    tl, snapshots = timeline(registry)
    rules = scope_rules(registry)
    view = view_on(tl, snapshots, rules, as_of)
    unit = settings.get("unit", "")
    # History: the days of posts, take-downs and effective dates, from the first list on.
    days = {e.day for e in registry.events() if e.kind in ("post", "takedown", "import", "undo")
            and e.day}
    days.update(tl.row_days())
    first = tl.first_day() or as_of
    samples = []
    for day in sorted(d for d in days if first <= d < as_of) + [as_of]:
        on = view if day == as_of else view_on(tl, snapshots, rules, day)
        samples.append((day, on.included if on else (), registry.posted(on=day)))
    period = None
    if start is not None:
        if start > as_of:
            raise RegistryError(_("the period starts on {start}, after it ends ({end})").format(
                start=shown_date(start), end=shown_date(as_of)))
        before = view_on(tl, snapshots, rules, start - timedelta(days=1))
        period = reportmod.period_figures(start, as_of, registry.postings(),
                                          before.included if before else (),
                                          view.included if view else (),
                                          tracked_since=tl.first_day())
    sign_off = reportmod.SignOff(preparer=settings.get(SETTING_PREPARER, ""),
                                 head=settings.get(SETTING_HEAD, ""),
                                 place=settings.get(SETTING_PLACE, ""))
    return reportmod.make_report(
        as_of=as_of, unit=unit, province=settings.get("province", ""),
        catalogue=reportmod.CatalogueInfo.from_view(view, unit) if view else None,
        procedures=view.included if view else (), posted=registry.posted(on=as_of),
        history=reportmod.coverage_history(samples, as_of),
        audit=registry.latest_audit(on_or_before=as_of), tracked_since=tl.first_day(),
        known_codes={p.code for p in _versions(registry) if p.code}, period=period, today=today,
        sign_off=sign_off, centre=settings.get(SETTING_CENTRE, ""), out_of_scope=_scope_reasons(view))


def _versions(registry: Registry) -> list[Procedure]:
    """Every version any import stored, oldest first (so the newest of a code comes last)."""
    rows = registry.all_snapshot_procedures()
    out: list[Procedure] = []
    for snap in registry.snapshots():  # by effective date, then import order
        out.extend(rows.get(snap.id, ()))
    return out


def audit_board(registry: Registry, photos, *, day: date, apply: bool = False, force: bool = False,
                at: datetime, on_progress=None, thorough: bool = False, names=None):
    """Decode photos of the board, classify what they show for `day`, and record the audit as
    evidence (file names, SHA-256, codes found). `names`, one per photo, are the file names to
    record when the photos are kept under others (the desk's uploads); by default the paths.

    With `apply`, also make the posted set what was seen, in the same transaction and change:
    seen labels not on record are posted on `day`, postings not seen are closed on `day`.
    Refused (AuditError, nothing written) when a photo is unreadable or has no code, no code maps
    to a procedure, or (unless `force`) the change would close postings of fields no photo shows.
    `on_progress('decode', done, total)` follows the photos.
    """
    from qrproc import audit as auditmod

    registry.require_initialised()
    view = required_catalogue(registry, day)
    read = auditmod.read_photos(photos, thorough=thorough, on_progress=on_progress, names=names)
    return _record_audit(registry, read, view, day=day, apply=apply, force=force, at=at)


def _record_audit(registry: Registry, read, view=None, *, day: date, apply: bool, force: bool,
                  at: datetime):
    """Classify photos already read (`audit.read_photos`) against `view` (the catalogue on
    `day`; None: read it now) and record the audit (see `audit_board`)."""
    from qrproc import audit as auditmod
    from qrproc.poster.payload import PayloadConfig

    results, warnings = read
    view = view if view is not None else required_catalogue(registry, day)
    config = PayloadConfig.from_settings(registry.settings())
    result = auditmod.classify(auditmod.labels_seen_per_photo(results), view.included,
                               registry.posted(), day, config, history=_versions(registry),
                               out_of_scope=_scope_reasons(view))
    result = dataclasses.replace(result, photos=tuple(results), warnings=warnings, applied=apply)
    if apply:
        auditmod.apply_changes(result, force=force)
    with registry.change("audit", at=at) as change:
        record = registry.add_audit(day=day, at=at, files=auditmod.audit_files(result),
                                    summary=result.summary(), applied=apply)
        if apply:
            registry.post(result.to_post, day=day, at=at)
            registry.take_down(result.to_close, day=day, at=at)
            change.summary = Summary(
                N_("audit {id} applied on {day}: {posted} put up, {closed} taken down"),
                {"id": record.id, "day": diffmod.vn_date(day), "posted": len(result.to_post),
                 "closed": len(result.to_close)})
    return dataclasses.replace(result, audit_id=record.id)


def preview_audit(registry: Registry, photos, *, day: date, at: datetime, on_progress=None,
                  force: bool = False, names=None):
    """What `audit_board` would find, changing nothing: (the result, why applying it would be
    refused, or None when it may be applied). The photos are decoded once, before the dry run
    begins: decoding a dozen photos takes seconds, and the dry run's transaction would keep
    every other writer of the registry (the desk's other pages, the command line) waiting."""
    from qrproc import audit as auditmod
    from qrproc.errors import AuditError

    registry.require_initialised()
    required_catalogue(registry, day)  # before seconds of decoding, not after
    read = auditmod.read_photos(photos, on_progress=on_progress, names=names)
    with registry.dry_run():  # the catalogue read again inside, as the transaction sees it
        result = _record_audit(registry, read, day=day, apply=False, force=False, at=at)
    try:
        auditmod.apply_changes(result, force=force)
    except AuditError as e:
        return result, str(e)
    return result, None


# -- printing: the poster service ------------------------------------------------------------------

def payload_config(registry: Registry):
    """The unit's payload settings (templates, extra hosts, error correction)."""
    from qrproc.poster.payload import PayloadConfig

    return PayloadConfig.from_settings(registry.settings())


def set_payload(registry: Registry, *, template: str | None = None, template_code: str | None = None,
                allow_hosts: Iterable[str] = (), ec: str | None = None, reset: bool = False,
                at: datetime):
    """Change the payload settings: checked first (PayloadError), stored only if valid, as one
    change of the journal (`qrproc undo` reverts it)."""
    from qrproc.poster import payload as payloadmod

    current = payloadmod.PayloadConfig() if reset else payload_config(registry)
    new = payloadmod.PayloadConfig(
        template=template.strip() if template else current.template,
        template_code=template_code.strip() if template_code else current.template_code,
        extra_hosts=tuple(dict.fromkeys(current.extra_hosts + payloadmod.parse_hosts(allow_hosts))),
        ec=(ec or current.ec).upper(),
    ).checked()
    with registry.change("payload", at=at) as change:
        registry.set_settings(new.to_settings(), at=at)
        change.summary = Summary(N_("QR links: {template} (by code: {template_code}), EC {ec}"),
                                 {"template": new.template, "template_code": new.template_code,
                                  "ec": new.ec})
    return new


def furniture(registry: Registry, view: CatalogueView, *, changes: bool = False):
    """What every printed page says besides its cards: the decisions of the list in force and
    the centre's name, address and hotline."""
    from qrproc.poster.layout import Furniture

    settings = registry.settings()
    decisions = tuple(dict.fromkeys(
        d for d in [view.base.decision] + [a.decision for a in view.amendments] if d))
    return Furniture(decisions=decisions, centre=settings.get(SETTING_CENTRE, "") or "",
                     address=settings.get(SETTING_ADDRESS, "") or "",
                     hotline=settings.get(SETTING_HOTLINE, "") or "", changes=changes)


def poster_selection(registry: Registry, selection, as_of: date, view: CatalogueView | None = None):
    """(procedures to print, labels to take down, each card's note) for a `poster.Selection`.
    The changes (the default) say on every card what it does on the board: a new card, or the
    card it replaces."""
    from qrproc.model import fold

    view = view or required_catalogue(registry, as_of)
    if selection.kind == "changed":
        d = board_diff(registry, as_of, view)
        posted = {code: p.procedure for code, p in registry.posted(on=as_of).items()}
        replaced = {p.replaced_by: p.code for p in view.included
                    if p.replaced_by and p.code in posted}
        notes = {i.code: "Thẻ mới: dán thêm vào mục lĩnh vực" for i in d.to_post}
        for i in d.to_reprint:
            p = i.procedure
            if p.code in posted:
                changed = diffmod.changed_fields(p, posted[p.code])
                notes[p.code] = f"Thay thẻ cũ cùng mã (đổi {changed})" if changed else \
                    "Thay thẻ cũ cùng mã"
            else:
                notes[p.code] = f"Thay cho thẻ {replaced.get(p.code, '')}".strip()
        return [i.procedure for i in d.to_post + d.to_reprint], list(d.to_take_down), notes
    if selection.kind == "codes":
        return current_versions(registry, selection.codes, as_of, view), [], {}
    in_force = list(view.applicable)
    if selection.kind == "all":
        return in_force, [], {}
    want = fold(selection.field)  # the remaining kind: one field
    chosen = [p for p in in_force if fold(p.field) == want]
    if not chosen:
        fields = sorted({p.field for p in in_force if p.field})
        near = [f for f in fields if want in fold(f)] or fields
        raise RegistryError(_("no procedure in force on {day} is in the field {field!r}; fields: "
                              "{fields}").format(day=shown_date(as_of), field=selection.field,
                                                 fields=", ".join(near[:12])
                                                 + (" …" if len(near) > 12 else "")))
    return chosen, [], {}


def print_posters(registry: Registry, *, as_of: date, at: datetime, selection=None,
                  layout: str = "grid", folder=None, **options):
    """Select, lay out, render, verify and record a print batch: the one entry the command
    line and the web desk print through. `options` go to `poster.render_posters` (out, paper,
    png_dir, grid, workers, encoder, fonts, on_progress). The batch records the cards, their
    notes, the takedown sheet and the files (PNG cards included), so that `post --batch N`
    and `takedown --batch N` close the loop."""
    from qrproc import poster

    registry.require_initialised()
    selection = selection or poster.Selection.changed()
    config = payload_config(registry).checked()
    view = required_catalogue(registry, as_of)
    procs, takedown, notes = poster_selection(registry, selection, as_of, view)
    result = poster.render_posters(
        procs, unit=registry.get_setting("unit") or "", config=config, as_of=as_of, at=at,
        layout=layout, takedown=takedown, notes=notes,
        furniture=furniture(registry, view, changes=selection.kind == "changed"),
        folder=folder or poster.OUT_DIR, stem=poster.file_stem(selection, layout, as_of), **options)
    if result.path is None:
        return result
    batch = registry.add_batch(layout=layout, path=str(result.path), as_of=as_of,
                               items=list(zip(result.procedures, result.payloads)), at=at,
                               selection=selection.kind, notes=notes,
                               takedown=[(i.procedure, i.reason_vi) for i in result.takedown])
    if result.png_files:
        registry.add_batch_file(batch.id, path=str(result.png_files[0].parent), layout="png",
                                kind="png", at=at)
    return dataclasses.replace(result, batch=batch)


def reprint_batch(registry: Registry, batch_id: int, *, at: datetime, layout: str | None = None,
                  folder=None, pdf: bool = True, **options):
    """Print batch `batch_id` again, exactly as it was (the same versions, links, notes and
    takedown sheet), or export its PNG cards (`pdf=False`, `png_dir=`): recorded as a file of
    the same batch, never a new one."""
    from qrproc import poster
    from qrproc.diff import Item

    registry.require_initialised()
    batch = registry.batch(batch_id)
    cards = registry.batch_cards(batch_id)
    takedown = [Item(t.procedure, t.reason, t.reason) for t in registry.batch_takedowns(batch_id)]
    layout = layout or batch.layout
    view = catalogue_on(registry, batch.as_of)
    furn = furniture(registry, view, changes=batch.selection == "changed") if view else None
    selection = poster.Selection(batch.selection) if batch.selection in ("changed", "all") else \
        poster.Selection.all()
    stem = f"{poster.file_stem(selection, layout, batch.as_of)}-in-lai-dot-{batch_id}"
    result = poster.render_posters(
        [p for p, _, _ in cards], unit=registry.get_setting("unit") or "",
        config=payload_config(registry).checked(), as_of=batch.as_of, at=at, layout=layout,
        takedown=takedown, notes={p.code: n for p, _, n in cards if n},
        payloads=[url for _, url, _ in cards], furniture=furn, folder=folder or poster.OUT_DIR,
        stem=stem, pdf=pdf, **options)
    if result.path is not None:
        registry.add_batch_file(batch_id, path=str(result.path), layout=layout, kind="reprint", at=at)
    if result.png_files:
        registry.add_batch_file(batch_id, path=str(result.png_files[0].parent), layout="png",
                                kind="png", at=at)
    return dataclasses.replace(result, batch=batch, reprint=True)


@dataclass(frozen=True)
class BatchState:
    """Where a print batch stands on a day: its cards not yet up (still current), and the
    labels of its takedown sheet still on the board."""

    batch: object  # registry.Batch
    files: tuple  # registry.BatchFile
    printed: int
    up: int
    to_put_up: tuple[Procedure, ...]
    to_take_down: tuple[Procedure, ...]
    superseded: int  # cards no longer current (a later version or no longer applicable)

    @property
    def open(self) -> bool:
        return bool(self.to_put_up or self.to_take_down)

    @property
    def wall(self) -> bool:
        """False for a batch of counter labels only: nothing of it is to go up on the board."""
        return for_the_wall(self.files)


def batch_states(registry: Registry, day: date, *, only_open: bool = True) -> list[BatchState]:
    """Every print batch (the open ones by default), newest first: what is printed but not yet
    up, and what its takedown sheet says is still to come down."""
    registry.require_initialised()
    view = catalogue_on(registry, day)
    current = {p.code: p for p in view.applicable} if view else {}
    posted = {code: p.procedure for code, p in registry.posted(on=day).items()}
    out = []
    for batch in reversed(registry.batches()):
        cards = registry.batch_procedures(batch.id)
        files = tuple(registry.batch_files(batch.id))
        up = [p for p in cards if p.code in posted and posted[p.code].content_hash == p.content_hash]
        waiting = [p for p in cards if p not in up and p.code in current
                   and current[p.code].content_hash == p.content_hash]
        still = [t.procedure for t in registry.batch_takedowns(batch.id)
                 if t.code in posted and posted[t.code].content_hash == t.content_hash]
        order = lambda p: (vi_sort_key(p.field), p.code)  # noqa: E731 - as on the sheets
        # counter labels are never to go up: only their takedown sheet keeps them open
        state = BatchState(batch, files, len(cards), len(up),
                           tuple(sorted(waiting, key=order)) if for_the_wall(files) else (),
                           tuple(sorted(still, key=order)), len(cards) - len(up) - len(waiting))
        if state.open or not only_open:
            out.append(state)
    return out


def take_down_batch(registry: Registry, batch_id: int, *, day: date, at: datetime,
                    force: bool = False) -> tuple[list[str], list[str]]:
    """Take down what batch `batch_id`'s takedown sheet lists (the labels ticked on paper),
    with the same guard as `take_down`. Returns (taken down, not on the board)."""
    registry.require_initialised()
    codes = [t.code for t in registry.batch_takedowns(batch_id)]
    if not codes:
        raise RegistryError(_("print batch {batch} has no takedown sheet").format(batch=batch_id))
    return take_down(registry, codes, day=day, at=at, force=force)


# -- the province office: the catalogue going out, the commune's bundle coming back ---------------

def catalogue_export(registry: Registry, day: date):
    """The unit's catalogue in force on `day`, in its scope, as the province sends it to its
    communes (`exchange.CatalogueExport`)."""
    from qrproc.exchange import CatalogueExport

    registry.require_initialised()
    view = required_catalogue(registry, day)
    decisions = ((view.base.decision or view.base.source, view.base.effective),) + tuple(
        (a.decision or a.source, a.effective) for a in view.amendments)
    return CatalogueExport(registry.get_setting("province") or "", day, decisions, view.included)


def commune_bundle(registry: Registry, day: date, *, key: bytes | None = None) -> bytes:
    """The commune's bundle for `day` (`exchange.write_bundle`): its report, the catalogue it was
    measured against, and its latest audit's evidence."""
    from qrproc import exchange, report as reportmod

    rep = coverage_report(registry, day)
    view = required_catalogue(registry, day)
    catalogue_info = {
        "as_of": day.isoformat(), "content_sha256": exchange.content_sha256(view.included),
        "export_sha256": view.base.info.get("export_sha256", ""),
        "amended": bool(view.amendments), "base": {"source": view.base.source,
                                                    "decision": view.base.decision,
                                                    "effective": view.base.effective.isoformat()}}
    audit = registry.latest_audit(on_or_before=day)
    audit_info = None
    if audit is not None:
        audit_info = {"id": audit.id, "day": audit.day.isoformat(), "applied": audit.applied,
                      "photos": [{"name": f.name, "sha256": f.sha256, "status": f.status,
                                  "codes": [c.get("code") for c in f.codes]} for f in audit.files]}
    return exchange.write_bundle(reportmod.to_json(rep), catalogue_info, audit_info, key=key)
