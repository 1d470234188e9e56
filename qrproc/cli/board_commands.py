"""Commands for the registry and the board: init, import, diff, post, takedown, status, scope,
log, undo, migrate, demo."""

from __future__ import annotations

import json

import click

from qrproc import board, catalogue
from qrproc.cli import (CODE, DATE, dry_run_option, echo_import, in_language, percent, split_codes,
                        warn, warning)
from qrproc.diff import Diff, shown_date, vn_date
from qrproc.i18n import N_, _, ngettext, place
from qrproc.provinces import find_province
from qrproc.sources import load_file


def _province(ctx, param, value):
    if value is None:
        return value
    try:
        return find_province(value).hcode
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@click.command()
@click.option("--unit", required=True, help='The unit whose board this is, e.g. "UBND xã Mẫu".')
@click.option("--province", required=True, callback=_province,
              help="Province code: H-code (H31) or GSO number (33).")
@click.option("--centre", help='The one-stop centre\'s name on the wall, e.g. "Trung tâm Phục vụ '
                               'hành chính công xã Nghĩa Trụ".')
@click.option("--address", help="The centre's address, printed on the cards.")
@click.option("--hotline", help="The centre's hotline, printed on the cards.")
@click.option("--preparer", help="Who prepares the coverage report (its sign-off block).")
@click.option("--head", help="The head of the unit who signs the report.")
@click.option("--place", help='Where the report is signed, e.g. "Nghĩa Trụ".')
@click.pass_obj
def init(app, unit, province, centre, address, hotline, preparer, head, place):
    """Create (or update) the registry for one unit.

    Example: qrproc init --unit "UBND xã Nghĩa Trụ" --province H31
    """
    registry = app.creating()
    board.setup_unit(registry, unit=unit.strip(), province=province, at=app.now(), centre=centre,
                     address=address, hotline=hotline, preparer=preparer, head=head, place=place)
    click.echo(_("Registry {path} ready for {unit} ({province}).").format(
        path=registry.path, unit=unit.strip(), province=province))


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--effective", type=DATE, help="Date the list takes effect (default: the list's own, else today).")
@click.option("--decision", help='Publication decision, e.g. "123/QĐ-UBND".')
@click.option("--amend", is_flag=True, help="The file lists only changes (a decision annex): apply them to the current list.")
@click.option("--accept-drop", is_flag=True, help="Accept a list that drops more than 20% of the previous one.")
@click.option("--own-list", is_flag=True,
              help="The file is the unit's own list: a row that gives no level counts as received here.")
@click.option("--other-province", is_flag=True,
              help="Import a list whose own procedures are another province's, on purpose.")
@dry_run_option
@click.pass_obj
def import_(app, file, effective, decision, amend, accept_drop, own_list, other_province, dry_run):
    """Import a catalogue from a CSV, XLSX, DOCX (decision annex) or JSON (portal) file.

    Only what the commune's centre receives counts (commune level, national or the province's
    own, not internal); the rest is kept and listed with the reason it is left out.

    Example: qrproc import danh-muc.xlsx --effective 2026-12-15 --decision "2345/QĐ-UBND"
    """
    app.registry.require_initialised()
    cat = load_file(file)
    with app.changing(dry_run) as registry:
        out = catalogue.import_catalogue(registry, cat, effective=effective, decision=decision,
                                         amend=amend, accept_drop=accept_drop, own_list=own_list,
                                         other_province=other_province, at=app.now())
        for w in out.warnings:
            warning(w)
        echo_import(out, _("Imported {file}").format(file=file))


def _print_section(title: str, items) -> None:
    click.echo(f"{_(title)} ({len(items)}):")
    for i in items:
        p = i.procedure
        why = in_language(i.reason, i.reason_vi)
        click.echo(f"  {p.code or '-':<24} {p.name}  [{p.field or '-'}]  — {why}")


def _echo_diff(d: Diff) -> None:
    click.echo(_("Board against the catalogue in force on {day}:").format(day=vn_date(d.as_of)))
    _print_section(N_("To print"), d.to_post)
    _print_section(N_("To reprint"), d.to_reprint)
    _print_section(N_("To take down"), d.to_take_down)
    _print_section(N_("Announced, not yet in force"), d.not_yet_effective)
    if d.needs_code:
        _print_section(N_("Listed without a code (check the source)"), d.needs_code)
    click.echo(_("Unchanged: {n}").format(n=len(d.unchanged)))
    if d.out_of_scope:
        click.echo(_("Out of the unit's scope (not counted, see diff --json): {n}").format(
            n=len(d.out_of_scope)))


@click.command("diff")
@click.option("--as-of", type=DATE, help="Date to compare on (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_obj
def diff_(app, as_of, as_json):
    """Show what to print, reprint and take down, and what is announced for later.

    Example: qrproc diff --as-of 2026-12-15 --json
    """
    d = board.board_diff(app.reader, as_of or app.today())
    if as_json:
        click.echo(json.dumps(d.to_json(), ensure_ascii=False, indent=2))
    else:
        _echo_diff(d)


@click.command()
@click.argument("codes", nargs=-1, callback=split_codes)
@click.option("--all-pending", is_flag=True, help="Post everything the diff says to print or reprint.")
@click.option("--batch", type=click.IntRange(min=1), help="Mark a print batch (from qrproc posters) as put up.")
@click.option("--date", "day", type=DATE, help="Day the labels went up (default: today).")
@dry_run_option
@click.pass_obj
def post(app, codes, all_pending, batch, day, dry_run):
    """Record that labels were put up on the board.

    Example: qrproc post 1.001193 1.004227 --date 2026-12-15
    """
    chosen = sum([bool(codes), all_pending, batch is not None])
    if chosen != 1:
        raise click.UsageError(_("give procedure CODES, --all-pending or --batch N (exactly one)"))
    day = day or app.today()
    with app.changing(dry_run) as registry:
        if all_pending:
            done, same = board.post_pending(registry, day=day, at=app.now())
        elif batch is not None:
            done, same = board.post_batch(registry, batch, day=day, at=app.now())
        else:
            done, same = board.post_codes(registry, codes, day=day, at=app.now())
        if same:
            text = ngettext("Posted {n} label on {day}; {same} already up to date.",
                            "Posted {n} labels on {day}; {same} already up to date.", len(done))
        else:
            text = ngettext("Posted {n} label on {day}.", "Posted {n} labels on {day}.", len(done))
        click.echo(text.format(n=len(done), day=vn_date(day), same=len(same)))


@click.command()
@click.argument("codes", nargs=-1, callback=split_codes)
@click.option("--batch", type=click.IntRange(min=1), metavar="N",
              help="Take down what print batch N's takedown sheet lists.")
@click.option("--date", "day", type=DATE, help="Day the labels came down (default: today).")
@click.option("--force", is_flag=True,
              help="Also record a label of a procedure still in force as taken down (it is then missing).")
@dry_run_option
@click.pass_obj
def takedown(app, codes, batch, day, force, dry_run):
    """Record that labels were taken down from the board: the CODES given (commas or spaces
    between them), or those on the takedown sheet of print batch N.

    \b
    Example: qrproc takedown 1.000775,1.012563 --date 2026-12-15
    Example: qrproc takedown --batch 3 --date 2026-12-15
    """
    if bool(codes) == (batch is not None):
        raise click.UsageError(_("give procedure CODES or --batch N (exactly one)"))
    day = day or app.today()
    with app.changing(dry_run) as registry:
        if batch is not None:
            done, absent = board.take_down_batch(registry, batch, day=day, at=app.now(), force=force)
        else:
            done, absent = board.take_down(registry, codes, day=day, at=app.now(), force=force)
        for code in absent:
            warning(_("{code} was not on the board").format(code=code))
        click.echo(ngettext("Took down {n} label on {day}.", "Took down {n} labels on {day}.",
                            len(done)).format(n=len(done), day=vn_date(day)))


#: What each file of a print batch is (the registry's kinds), as `batches` lists them.
FILE_KINDS = {"print": N_("print"), "reprint": N_("reprint"), "png": N_("png")}


@click.command()
@click.option("--as-of", type=DATE, help="Date of the board (default: today).")
@click.option("--all", "show_all", is_flag=True, help="Every batch, not only the open ones.")
@click.pass_obj
def batches(app, as_of, show_all):
    """List the print batches still open: cards printed but not yet put up, and labels on their
    takedown sheets still on the board.

    Example: qrproc batches
    """
    day = as_of or app.today()
    states = board.batch_states(app.reader, day, only_open=not show_all)
    if not states:
        click.echo(_("No open print batch on {day}: everything printed is up, and everything on a "
                     "takedown sheet is down.").format(day=vn_date(day)))
        return
    for st in states:
        b = st.batch
        if st.superseded:
            text = ngettext("Batch {id}: {layout}, printed {at} for {day}, {n} card ({up} up, "
                            "{superseded} no longer current)",
                            "Batch {id}: {layout}, printed {at} for {day}, {n} cards ({up} up, "
                            "{superseded} no longer current)", st.printed)
        else:
            text = ngettext("Batch {id}: {layout}, printed {at} for {day}, {n} card ({up} up)",
                            "Batch {id}: {layout}, printed {at} for {day}, {n} cards ({up} up)",
                            st.printed)
        click.echo(text.format(id=b.id, layout=b.layout, at=f"{b.created_at:%d/%m/%Y %H:%M}",
                               day=vn_date(b.as_of), n=st.printed, up=st.up,
                               superseded=st.superseded))
        for f in st.files:
            click.echo(f"  {_(FILE_KINDS.get(f.kind, f.kind))}: {f.path}")
        if st.to_put_up:
            click.echo(_("  to put up ({n}): {codes}  -> qrproc post --batch {id}").format(
                n=len(st.to_put_up), codes=_some_codes(st.to_put_up), id=b.id))
        if st.to_take_down:
            click.echo(_("  to take down ({n}): {codes}  -> qrproc takedown --batch {id}").format(
                n=len(st.to_take_down), codes=_some_codes(st.to_take_down), id=b.id))


def _some_codes(procedures) -> str:
    """The first ten codes, and '…' when there are more."""
    return ", ".join(p.code for p in procedures[:10]) + (" …" if len(procedures) > 10 else "")


@click.command()
@click.option("--as-of", type=DATE, help="Date to report on (default: today).")
@click.pass_obj
def status(app, as_of):
    """Summarise the registry: unit, catalogue in force, labels on the board, pending work.

    Example: qrproc status
    """
    st = board.status(app.reader, as_of or app.today())
    click.echo(_("Unit: {unit} ({province})   registry: {path}").format(
        unit=st.unit, province=st.province, path=app.reader.path))
    view = st.catalogue
    if view:
        s = view.base
        click.echo(ngettext(
            "Catalogue in force: {source}, effective {day}{decision} ({n} procedure applies to the "
            "unit, {left_out} left out of its scope)",
            "Catalogue in force: {source}, effective {day}{decision} ({n} procedures apply to the "
            "unit, {left_out} left out of its scope)", len(view.applicable)).format(
            source=s.source, day=vn_date(s.effective), decision=_decision(s.decision),
            n=len(view.applicable), left_out=len(view.excluded)))
        for a in view.amendments:
            click.echo(_("  amended by {source}{decision}, effective {day}").format(
                source=a.source, decision=_decision(a.decision), day=vn_date(a.effective)))
    else:
        click.echo(_("Catalogue in force: none yet (qrproc import FILE)"))
    for up in st.upcoming:
        click.echo(_("Announced: changes take effect {day}{decision}").format(
            day=vn_date(up.effective), decision=_decision(up.decision)))
    d = st.diff
    if d is None:
        click.echo(ngettext("On the board: {n} label.", "On the board: {n} labels.",
                            st.posted).format(n=st.posted))
    else:
        click.echo(ngettext(
            "On the board: {n} label; to print {to_print}, to reprint {to_reprint}, to take down "
            "{to_take_down}, not yet in force {later}.",
            "On the board: {n} labels; to print {to_print}, to reprint {to_reprint}, to take down "
            "{to_take_down}, not yet in force {later}.", st.posted).format(
            n=st.posted, to_print=len(d.to_post), to_reprint=len(d.to_reprint),
            to_take_down=len(d.to_take_down), later=len(d.not_yet_effective)))
        cov = st.coverage
        click.echo(_("Coverage on {day}: {posted}/{applicable} ({percent}) posted, as the report "
                     "counts it.").format(day=vn_date(cov.as_of), posted=cov.posted,
                                          applicable=cov.applicable,
                                          percent=percent(cov.coverage_percent)))
    open_batches = board.batch_states(app.reader, as_of or app.today())
    if open_batches:
        click.echo(_("Open print batches: {ids} (qrproc batches)").format(
            ids=", ".join(str(b.batch.id) for b in open_batches)))


def _decision(decision: str) -> str:
    """', 2345/QĐ-UBND' after a source, or nothing."""
    return f", {decision}" if decision else ""


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="qrproc-demo",
              show_default=True, help="Folder for the demo registry, posters and report.")
@click.option("--silent", is_flag=True, help="No progress bars.")
@click.pass_obj
def demo(app, out_dir, silent):
    """Run the whole job on the bundled sample commune, offline.

    Imports the commune's list and marks it posted, imports an amended list announced for a
    later date, shows the diff, prints and verifies the QR board and the changed labels, records
    them as put up, and writes the coverage report.

    Example: qrproc demo --out qrproc-demo
    """
    from qrproc import demo as demomod  # the PDF and report libraries, only when needed
    from qrproc.cli.poster_commands import STAGES
    from qrproc.cli.progress import StageProgress

    progress = StageProgress(STAGES, hidden=silent)
    try:
        r = demomod.run(out_dir, at=app.now(), on_step=warn, on_progress=progress)
    finally:
        progress.close()
    click.echo(_("Sample unit: {unit} ({province}); registry {path}").format(
        unit=r.unit, province=r.province, path=r.db))
    click.echo(_("Before the amendment takes effect ({day}): {to_print} to print, {later} "
                 "announced changes not yet in force.").format(
        day=vn_date(r.before.as_of), to_print=len(r.before.to_post),
        later=len(r.before.not_yet_effective)))
    _echo_diff(r.after)
    for label, res in ((N_("Whole board"), r.board_pdf),
                       (N_("Changed labels + takedown sheet"), r.changed_pdf)):
        pages = ngettext("{n} page", "{n} pages", res.pages).format(n=res.pages)
        verified = ngettext("{n} QR code verified", "{n} QR codes verified",
                            res.verified).format(n=res.verified)
        click.echo(_("{label}: {path} ({pages}, {verified})").format(
            label=_(label), path=res.path, pages=pages, verified=verified))
    cov = r.report.coverage
    click.echo(_("Changed labels put up on {day}; coverage {posted}/{applicable} ({percent}), "
                 "{late} put up late.").format(day=vn_date(r.posted_on), posted=cov.posted,
                                               applicable=cov.applicable,
                                               percent=percent(cov.coverage_percent),
                                               late=len(cov.late)))
    click.echo(_("Coverage report: {path}").format(path=r.report_path))


def _pairs(values, reason):
    return tuple((v.strip(), reason or "") for v in values)


@click.command("scope")
@click.option("--exclude-agency", "exclude", multiple=True, metavar="AGENCY",
              help='Leave out procedures run by this agency, e.g. "Công an cấp xã" (needs --reason).')
@click.option("--include-agency", "include", multiple=True, metavar="AGENCY",
              help="Take an agency exclusion back.")
@click.option("--add", "add", multiple=True, type=CODE, help="Put this procedure in the scope (needs --reason).")
@click.option("--remove", "remove", multiple=True, type=CODE,
              help="Take this procedure out of the scope (needs --reason).")
@click.option("--reason", help="Why: printed in the report next to the figure.")
@click.option("--province-received/--no-province-received", default=None,
              help="Count province-level procedures the commune centre receives for the province.")
@click.option("--reset", is_flag=True, help="Back to the plain rule first.")
@dry_run_option
@click.pass_obj
def scope_(app, exclude, include, add, remove, reason, province_received, reset, dry_run):
    """Show or change which procedures the unit's board must post (the report's denominator).

    The rule: commune-level procedures, national or promulgated by the unit's province, not
    internal ones. The unit may exclude agencies, add or remove procedures, each with a reason.

    Example: qrproc scope --exclude-agency "Công an cấp xã" --reason "Công an xã niêm yết riêng"
    """
    if exclude or include or add or remove or reset or province_received is not None:
        app.registry.require_initialised()
        with app.changing(dry_run) as registry:
            rules = catalogue.set_scope(registry, exclude=_pairs(exclude, reason),
                                        include=tuple(include), add=_pairs(add, reason),
                                        remove=_pairs(remove, reason),
                                        province_received=province_received, reset=reset,
                                        at=app.now())
            click.echo(_("Scope saved."))
            _echo_scope(rules)
            _echo_exclusions(catalogue.exclusion_effects(registry, app.today()), app.today())
    else:
        app.reader.require_initialised()
        _echo_scope(catalogue.scope_rules(app.reader))
        _echo_exclusions(catalogue.exclusion_effects(app.reader, app.today()), app.today())


def _echo_exclusions(effects, day) -> None:
    """What each agency exclusion leaves out today, and a warning where it leaves out nothing
    (the report's rule would otherwise claim an exclusion that excludes nothing)."""
    for e in effects:
        click.echo(ngettext("  '{agency}': {n} procedure of the catalogue in force on {day} "
                            "names it and is left out",
                            "  '{agency}': {n} procedures of the catalogue in force on {day} "
                            "name it and are left out", e.matched).format(
                                agency=e.exclusion.agency, n=e.matched, day=shown_date(day)))
        if not e.matched:
            warning(ngettext(
                "no procedure of the catalogue in force names '{agency}' as its agency, so the "
                "exclusion leaves nothing out ({n} procedure names no agency at all: the list may "
                "have no agency column; a portal fetch or its detail JSON has one)",
                "no procedure of the catalogue in force names '{agency}' as its agency, so the "
                "exclusion leaves nothing out ({n} procedures name no agency at all: the list may "
                "have no agency column; a portal fetch or its detail JSON has one)",
                e.no_agency).format(agency=e.exclusion.agency, n=e.no_agency))


def _echo_scope(rules) -> None:
    from qrproc import scope as scopemod

    click.echo(_("Rule: {rule}.").format(rule=scopemod.describe_rule(rules)))
    for code, why in rules.added:
        click.echo(_("  added {code}: {reason}").format(code=code, reason=why))
    for code, why in rules.removed:
        click.echo(_("  removed {code}: {reason}").format(code=code, reason=why))


@click.command()
@click.pass_obj
def log(app):
    """List the changes made to the registry, newest last; `qrproc undo` reverts them.

    Example: qrproc log
    """
    changes = app.reader.changes()
    if not changes:
        click.echo(_("No change recorded yet."))
    for c in changes:
        state = _("  [undone by {change}]").format(change=c.undone_by) if c.undone_by else ""
        click.echo(f"{c.id:>4}  {c.at:%d/%m/%Y %H:%M}  {c.command:<9} {c.summary}{state}")


@click.command()
@click.argument("change", required=False, type=click.IntRange(min=1))
@dry_run_option
@click.pass_obj
def undo(app, change, dry_run):
    """Revert the latest change, or every change from CHANGE on (numbers from `qrproc log`).

    The undo is recorded in the log too; nothing is deleted from the history.

    Example: qrproc undo 12
    """
    with app.changing(dry_run) as registry:
        for c in board.undo(registry, at=app.now(), back_to=change):
            click.echo(_("Undid change {id} ({command}): {summary}").format(
                id=c.id, command=c.command, summary=c.summary))


@click.command()
@click.pass_obj
def migrate(app):
    """Bring a registry made by an older qrproc up to date (commands that change it do it too).

    Example: qrproc migrate
    """
    registry = app.registry
    click.echo(_("Registry {path} is at schema version {version}.").format(
        path=registry.path, version=registry.schema_version))


@click.command()
@click.option("--as-of", type=DATE, help="Date of the catalogue (default: today).")
@click.pass_obj
def codes(app, as_of):
    """List the rows whose procedure code is missing or invalid: they count as missing until their
    code is corrected (qrproc correct), each with the known code it most likely meant.

    Example: qrproc codes
    """
    problems = catalogue.code_problems(app.reader, as_of or app.today())
    if not problems:
        click.echo(_("Every row has a valid procedure code."))
    for n, p in enumerate(problems, 1):
        written = f"'{p.raw_code}'" if p.raw_code else _("no code")
        hint = _("; probably {code}").format(code=p.suggestion) if p.suggestion else ""
        click.echo(f"{n:>3}. {place(p.origin)}: {written} — {p.name}{hint}")


@click.command()
@click.argument("row")
@click.argument("code")
@click.option("--as-of", type=DATE, help="Date of the catalogue (default: today).")
@dry_run_option
@click.pass_obj
def correct(app, row, code, as_of, dry_run):
    """Give ROW its procedure CODE: ROW is a number from `qrproc codes` or the row as it names it
    ("danh-muc.csv, row 12"). Recorded in the log; `qrproc undo` takes it back.

    Example: qrproc correct 1 1.001193
    """
    day = as_of or app.today()
    if row.isdigit():
        problems = catalogue.code_problems(app.registry, day)
        if not 1 <= int(row) <= len(problems):
            raise click.BadParameter(_("{row} is not a number from qrproc codes (1–{last})").format(
                row=row, last=len(problems)), param_hint="ROW")
        row = problems[int(row) - 1].origin
    with app.changing(dry_run) as registry:
        fixed = catalogue.correct_code(registry, row, code, day=day, at=app.now())
        click.echo(_("{row}: code '{old}' corrected to {new}.").format(
            row=place(fixed.origin), old=fixed.raw_code or "—", new=code.strip()))
