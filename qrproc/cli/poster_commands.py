"""Commands for the printed board: posters (verified QR posters, reprints of a batch) and
payload (what the codes link to)."""

from __future__ import annotations

import re

import click

from qrproc import board
from qrproc.cli import DATE, dry_run_option, split_codes, warning
from qrproc.cli.progress import StageProgress
from qrproc.diff import vn_date
from qrproc.i18n import N_, _, ngettext
from qrproc.poster import LAYOUTS, PAPERS, Selection
from qrproc.poster import payload as payloadmod

STAGES = {"render": N_("Drawing pages"), "verify": N_("Checking QR codes"),
          "png": N_("Writing PNG cards")}


def _grid(ctx, param, value):
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", value)
    if not m:
        raise click.BadParameter(_("{value!r} is not COLUMNSxROWS like 3x4").format(value=value))
    return int(m.group(1)), int(m.group(2))


@click.command()
@click.option("--layout", type=click.Choice(LAYOUTS), default="grid", show_default=True,
              help="grid: wall cards grouped by field; single: one page per procedure; labels: small counter labels, not for the wall.")
@click.option("--changed", "kind", flag_value="changed", default=True,
              help="New and to-reprint labels from the diff, plus a takedown sheet (default).")
@click.option("--all", "kind", flag_value="all", help="Every procedure in force.")
@click.option("--field", "field_name", metavar="NAME", help="Only the procedures of one field (lĩnh vực).")
@click.option("--codes", multiple=True, callback=split_codes, metavar="CODES",
              help="Only these procedure codes (comma or space separated; repeatable).")
@click.option("--batch", type=click.IntRange(min=1), metavar="N",
              help="Print batch N again exactly as it was (a lost or torn sheet), or with --png "
                   "export its cards: recorded in the same batch.")
@click.option("--no-pdf", is_flag=True, help="With --png: write the PNG cards only.")
@click.option("--as-of", type=DATE, help="Catalogue date (default: today).")
@click.option("--out", type=click.Path(dir_okay=False),
              help="PDF file (default: posters/thay-doi-<date>.pdf for the changes, "
                   "posters/bang-niem-yet-<date>.pdf for the whole board, …).")
@click.option("--paper", type=click.Choice(PAPERS), default="A4", show_default=True)
@click.option("--grid", "grid", callback=_grid, metavar="COLSxROWS",
              help="Cards per page (default 3x3 on A4, 4x5 on A3; labels 3x7 and 4x10).")
@click.option("--png", "png_dir", type=click.Path(file_okay=False),
              help="Also write one verified PNG card per procedure into this folder.")
@click.option("--silent", is_flag=True, help="No progress bars.")
@click.pass_obj
def posters(app, layout, kind, field_name, codes, batch, no_pdf, as_of, out, paper, grid, png_dir,
            silent):
    """Print verified QR posters: every code is decoded back before the PDF is kept.

    The changes (the default) come as their own document: a checklist of the cards to put up,
    each card saying what it replaces, and the takedown sheet. Records a print batch; after
    pinning the sheets up, run `qrproc post --batch N` and `qrproc takedown --batch N`.

    Example: qrproc posters --changed --as-of 2026-12-15 --png posters/png
    """
    if field_name and codes:
        raise click.UsageError(_("give --field or --codes, not both"))
    if no_pdf and not png_dir:
        raise click.UsageError(_("--no-pdf needs --png DIR"))
    if batch is not None and (field_name or codes or kind != "changed" or as_of):
        raise click.UsageError(_("--batch N prints that batch as it was: no --all, --field, "
                                 "--codes or --as-of with it"))
    if field_name:
        selection = Selection.of_field(field_name)
    elif codes:
        selection = Selection.of_codes(codes)
    else:
        selection = Selection(kind)
    progress = StageProgress(STAGES, hidden=silent)
    options = dict(out=out, paper=paper, png_dir=png_dir, on_progress=progress, grid=grid)
    try:
        if batch is not None:
            # the batch's own layout, unless --layout was given (even --layout grid, the default)
            given = click.get_current_context().get_parameter_source("layout") \
                is not click.core.ParameterSource.DEFAULT
            result = board.reprint_batch(app.registry, batch, at=app.now(), pdf=not no_pdf,
                                         layout=layout if given else None, **options)
        else:
            if no_pdf:
                raise click.UsageError(_("--no-pdf exports the cards of a batch: give --batch N"))
            result = board.print_posters(app.registry, layout=layout, selection=selection,
                                         as_of=as_of or app.today(), at=app.now(), **options)
    finally:
        progress.close()
    if result.path is None and not result.png_files:
        click.echo(_("Nothing to print: the board is up to date with the catalogue in force on "
                     "{day}.").format(day=vn_date(result.as_of)))
        return
    for w in result.warnings:
        warning(w)
    if result.report is not None and result.report.expected:
        click.echo(_("Verified {verified} of {expected} QR codes: each read back, module by "
                     "module, to the link printed under it.").format(
            verified=result.verified, expected=result.report.expected))
    if result.procedures:
        click.echo(_("Links: {own} to the procedure's own page on the portal, {search} to the "
                     "portal's search by code.").format(own=result.own_pages,
                                                        search=result.searches))
    if result.path is not None:
        pages = ngettext("{n} page", "{n} pages", result.pages).format(n=result.pages)
        n = len(result.procedures)
        procedures = ngettext("{n} procedure", "{n} procedures", n).format(n=n)
        if result.takedown:
            text = _("Wrote {path} ({layout}, {paper}, {pages}: {procedures} and a takedown sheet "
                     "of {takedown}).")
        else:
            text = _("Wrote {path} ({layout}, {paper}, {pages}: {procedures}).")
        click.echo(text.format(path=result.path, layout=result.layout, paper=result.paper,
                               pages=pages, procedures=procedures, takedown=len(result.takedown)))
    if result.png_files:
        n = len(result.png_files)
        click.echo(ngettext("Wrote {n} PNG card to {folder}.", "Wrote {n} PNG cards to {folder}.",
                            n).format(n=n, folder=png_dir))
    b = result.batch
    if result.reprint:
        click.echo(_("Recorded as a file of print batch {id} (no new batch).").format(id=b.id))
        return
    post = f"qrproc post --batch {b.id}"
    if result.layout in board.COUNTER_LAYOUTS:
        click.echo(_("Print batch {id}: labels for the counter, not for the notice board (they "
                     "do not count as posted).").format(id=b.id))
        if result.takedown:
            click.echo(_("Once the labels on its takedown sheet are down: {takedown}").format(
                takedown=f"qrproc takedown --batch {b.id}"))
        return
    if result.takedown:
        click.echo(_("Print batch {id}; once the sheets are up: {post} and {takedown}").format(
            id=b.id, post=post, takedown=f"qrproc takedown --batch {b.id}"))
    else:
        click.echo(_("Print batch {id}; once the sheets are up: {post}").format(id=b.id, post=post))


@click.command()
@click.option("--template", metavar="URL", help="Link with {id} (portal UUID) and/or {code}.")
@click.option("--template-code", metavar="URL",
              help="Link for procedures without a portal id; must contain {code}.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST",
              help="Also allow links to this host (repeatable).")
@click.option("--ec", type=click.Choice(payloadmod.EC_LEVELS, case_sensitive=False),
              help="QR error correction level (default Q).")
@click.option("--reset", is_flag=True, help="Back to the national portal defaults first.")
@dry_run_option
@click.pass_obj
def payload(app, template, template_code, allow_hosts, ec, reset, dry_run):
    """Show or set what the QR codes link to; links outside the allowed hosts are refused.

    Without options, shows the current settings.

    Example: qrproc payload --template "https://dichvucong.hungyen.gov.vn/tthc/{code}" --allow-host dichvucong.hungyen.gov.vn
    """
    if template or template_code or allow_hosts or ec or reset:
        with app.changing(dry_run) as registry:
            registry.require_initialised()
            config = board.set_payload(registry, template=template, template_code=template_code,
                                       allow_hosts=allow_hosts, ec=ec, reset=reset, at=app.now())
            if not dry_run:
                click.echo(_("Payload settings saved."))
    else:
        config = board.payload_config(app.reader)
    rows = [(_("Link (portal id known):"), config.template),
            (_("Link (by code):"), config.template_code),
            (_("Allowed hosts:"), ", ".join(sorted(config.allowed_hosts))),
            (_("Error correction:"), config.ec)]
    width = max(len(label) for label, _value in rows) + 1
    for label, value in rows:
        click.echo(f"{label:<{width}}{value}")
