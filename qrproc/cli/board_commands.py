"""Commands for the registry and the board: init, import, diff, post, takedown, status, scope,
log, undo, migrate, demo."""

from __future__ import annotations

import json

import click

from qrproc import board, catalogue
from qrproc.cli import CODE, DATE, dry_run_option, echo_import, split_codes, warn
from qrproc.diff import Diff, vn_date
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
    click.echo(f"Registry {registry.path} ready for {unit.strip()} ({province}).")


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
            warn(f"Warning: {w}")
        echo_import(out, f"Imported {file}")


def _print_section(title: str, items) -> None:
    click.echo(f"{title} ({len(items)}):")
    for i in items:
        p = i.procedure
        click.echo(f"  {p.code or '-':<24} {p.name}  [{p.field or '-'}]  — {i.reason}")


def _echo_diff(d: Diff) -> None:
    click.echo(f"Board against the catalogue in force on {vn_date(d.as_of)}:")
    _print_section("To print", d.to_post)
    _print_section("To reprint", d.to_reprint)
    _print_section("To take down", d.to_take_down)
    _print_section("Announced, not yet in force", d.not_yet_effective)
    if d.needs_code:
        _print_section("Listed without a code (check the source)", d.needs_code)
    click.echo(f"Unchanged: {len(d.unchanged)}")
    if d.out_of_scope:
        click.echo(f"Out of the unit's scope (not counted, see diff --json): {len(d.out_of_scope)}")


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
        raise click.UsageError("give procedure CODES, --all-pending or --batch N (exactly one)")
    day = day or app.today()
    with app.changing(dry_run) as registry:
        if all_pending:
            done, same = board.post_pending(registry, day=day, at=app.now())
        elif batch is not None:
            done, same = board.post_batch(registry, batch, day=day, at=app.now())
        else:
            done, same = board.post_codes(registry, codes, day=day, at=app.now())
        click.echo(f"Posted {len(done)} labels on {vn_date(day)}" +
                   (f"; {len(same)} already up to date." if same else "."))


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

    Example: qrproc takedown 1.000775,1.012563 --date 2026-12-15
    Example: qrproc takedown --batch 3 --date 2026-12-15
    """
    if bool(codes) == (batch is not None):
        raise click.UsageError("give procedure CODES or --batch N (exactly one)")
    day = day or app.today()
    with app.changing(dry_run) as registry:
        if batch is not None:
            done, absent = board.take_down_batch(registry, batch, day=day, at=app.now(), force=force)
        else:
            done, absent = board.take_down(registry, codes, day=day, at=app.now(), force=force)
        for code in absent:
            warn(f"Warning: {code} was not on the board")
        click.echo(f"Took down {len(done)} labels on {vn_date(day)}.")


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
        click.echo(f"No open print batch on {vn_date(day)}: everything printed is up, and "
                   "everything on a takedown sheet is down.")
        return
    for st in states:
        b = st.batch
        click.echo(f"Batch {b.id}: {b.layout}, printed {b.created_at:%d/%m/%Y %H:%M} for "
                   f"{vn_date(b.as_of)}, {st.printed} cards ({st.up} up"
                   + (f", {st.superseded} no longer current" if st.superseded else "") + ")")
        for f in st.files:
            click.echo(f"  {f.kind}: {f.path}")
        if st.to_put_up:
            click.echo(f"  to put up ({len(st.to_put_up)}): "
                       + ", ".join(p.code for p in st.to_put_up[:10])
                       + (" …" if len(st.to_put_up) > 10 else "")
                       + f"  -> qrproc post --batch {b.id}")
        if st.to_take_down:
            click.echo(f"  to take down ({len(st.to_take_down)}): "
                       + ", ".join(p.code for p in st.to_take_down[:10])
                       + (" …" if len(st.to_take_down) > 10 else "")
                       + f"  -> qrproc takedown --batch {b.id}")


@click.command()
@click.option("--as-of", type=DATE, help="Date to report on (default: today).")
@click.pass_obj
def status(app, as_of):
    """Summarise the registry: unit, catalogue in force, labels on the board, pending work.

    Example: qrproc status
    """
    st = board.status(app.reader, as_of or app.today())
    click.echo(f"Unit: {st.unit} ({st.province})   registry: {app.reader.path}")
    view = st.catalogue
    if view:
        s = view.base
        click.echo(f"Catalogue in force: {s.source}, effective {vn_date(s.effective)}"
                   f"{', ' + s.decision if s.decision else ''} ({len(view.applicable)} procedures "
                   f"apply to the unit, {len(view.excluded)} left out of its scope)")
        for a in view.amendments:
            click.echo(f"  amended by {a.source}{', ' + a.decision if a.decision else ''}, "
                       f"effective {vn_date(a.effective)}")
    else:
        click.echo("Catalogue in force: none yet (qrproc import FILE)")
    for up in st.upcoming:
        click.echo(f"Announced: changes take effect {vn_date(up.effective)}"
                   f"{', ' + up.decision if up.decision else ''}")
    d = st.diff
    if d is None:
        click.echo(f"On the board: {st.posted} labels.")
    else:
        click.echo(f"On the board: {st.posted} labels; to print {len(d.to_post)}, to reprint "
                   f"{len(d.to_reprint)}, to take down {len(d.to_take_down)}, not yet in force "
                   f"{len(d.not_yet_effective)}.")
        from qrproc.report import vn_percent

        cov = st.coverage
        click.echo(f"Coverage on {vn_date(st.coverage.as_of)}: {cov.posted}/{cov.applicable} "
                   f"({vn_percent(cov.coverage_percent)}) posted, as the report counts it.")
    open_batches = board.batch_states(app.reader, as_of or app.today())
    if open_batches:
        click.echo(f"Open print batches: {', '.join(str(b.batch.id) for b in open_batches)} "
                   "(qrproc batches)")


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
    from qrproc.report import vn_percent

    progress = StageProgress(STAGES, hidden=silent)
    try:
        r = demomod.run(out_dir, at=app.now(), on_step=warn, on_progress=progress)
    finally:
        progress.close()
    click.echo(f"Sample unit: {r.unit} ({r.province}); registry {r.db}")
    click.echo(f"Before the amendment takes effect ({vn_date(r.before.as_of)}): "
               f"{len(r.before.to_post)} to print, {len(r.before.not_yet_effective)} "
               "announced changes not yet in force.")
    _echo_diff(r.after)
    for label, res in (("Whole board", r.board_pdf), ("Changed labels + takedown sheet", r.changed_pdf)):
        click.echo(f"{label}: {res.path} ({res.pages} pages, {res.verified} QR codes verified)")
    cov = r.report.coverage
    click.echo(f"Changed labels put up on {vn_date(r.posted_on)}; coverage {cov.posted}/{cov.applicable}"
               f" ({vn_percent(cov.coverage_percent)}), {len(cov.late)} put up late.")
    click.echo(f"Coverage report: {r.report_path}")


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
            click.echo("Scope saved.")
            _echo_scope(rules)
    else:
        app.reader.require_initialised()
        _echo_scope(catalogue.scope_rules(app.reader))


def _echo_scope(rules) -> None:
    from qrproc import scope as scopemod

    click.echo(f"Rule: {scopemod.describe_rule(rules)}.")
    for code, why in rules.added:
        click.echo(f"  added {code}: {why}")
    for code, why in rules.removed:
        click.echo(f"  removed {code}: {why}")


@click.command()
@click.pass_obj
def log(app):
    """List the changes made to the registry, newest last; `qrproc undo` reverts them.

    Example: qrproc log
    """
    changes = app.reader.changes()
    if not changes:
        click.echo("No change recorded yet.")
    for c in changes:
        state = f"  [undone by {c.undone_by}]" if c.undone_by else ""
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
            click.echo(f"Undid change {c.id} ({c.command}): {c.summary}")


@click.command()
@click.pass_obj
def migrate(app):
    """Bring a registry made by an older qrproc up to date (commands that change it do it too).

    Example: qrproc migrate
    """
    registry = app.registry
    click.echo(f"Registry {registry.path} is at schema version {registry.schema_version}.")


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
        click.echo("Every row has a valid procedure code.")
    for n, p in enumerate(problems, 1):
        written = f"'{p.raw_code}'" if p.raw_code else "no code"
        hint = f"; probably {p.suggestion}" if p.suggestion else ""
        click.echo(f"{n:>3}. {p.origin}: {written} — {p.name}{hint}")


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
            raise click.BadParameter(f"{row} is not a number from qrproc codes (1–{len(problems)})",
                                     param_hint="ROW")
        row = problems[int(row) - 1].origin
    with app.changing(dry_run) as registry:
        fixed = catalogue.correct_code(registry, row, code, day=day, at=app.now())
        click.echo(f"{fixed.origin}: code '{fixed.raw_code or '—'}' corrected to {code.strip()}.")
