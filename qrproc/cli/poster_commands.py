"""Commands for the printed board: posters (verified QR posters) and payload (what the codes link to).

Test hook: when the environment variable QRPROC_TEST_WRONG_QR names procedure codes (comma
separated), `posters` deliberately prints a wrong payload for them, so the test suite can show
end to end that verification fails the command and leaves no PDF. Never set it otherwise.
"""

from __future__ import annotations

import os
import re

import click

from qrproc.cli import DATE, warn
from qrproc.cli.progress import StageProgress
from qrproc.diff import vn_date
from qrproc.model import is_valid_code, normalise_code
from qrproc.poster import LAYOUTS, PAPERS, Selection, make_posters, payload_config, set_payload
from qrproc.poster import payload as payloadmod

TEST_HOOK_ENV = "QRPROC_TEST_WRONG_QR"
STAGES = {"render": "Drawing pages", "verify": "Checking QR codes", "png": "Writing PNG cards"}


def _grid(ctx, param, value):
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", value)
    if not m:
        raise click.BadParameter(f"{value!r} is not COLUMNSxROWS like 3x4")
    return int(m.group(1)), int(m.group(2))


def _codes(ctx, param, values):
    out = []
    for value in values:
        for part in re.split(r"[,;\s]+", value):
            if not part:
                continue
            code, fixed = normalise_code(part)
            if not code or fixed or not is_valid_code(code):
                raise click.BadParameter(f"{part!r} is not a procedure code like 1.001193")
            out.append(code)
    return tuple(out)


@click.command()
@click.option("--layout", type=click.Choice(LAYOUTS), default="grid", show_default=True,
              help="grid: wall cards grouped by field; single: one page per procedure; labels: small counter labels, not for the wall.")
@click.option("--changed", "kind", flag_value="changed", default=True,
              help="New and to-reprint labels from the diff, plus a takedown sheet (default).")
@click.option("--all", "kind", flag_value="all", help="Every procedure in force.")
@click.option("--field", "field_name", metavar="NAME", help="Only the procedures of one field (lĩnh vực).")
@click.option("--codes", multiple=True, callback=_codes, metavar="CODES",
              help="Only these procedure codes (comma or space separated; repeatable).")
@click.option("--as-of", type=DATE, help="Catalogue date (default: today).")
@click.option("--out", type=click.Path(dir_okay=False), help="PDF file (default: posters/<name>-<date>.pdf).")
@click.option("--paper", type=click.Choice(PAPERS), default="A4", show_default=True)
@click.option("--grid", "grid", callback=_grid, metavar="COLSxROWS",
              help="Cards per page (default 3x3 on A4, 4x5 on A3; labels 3x7 and 4x10).")
@click.option("--png", "png_dir", type=click.Path(file_okay=False),
              help="Also write one verified PNG card per procedure into this folder.")
@click.option("--silent", is_flag=True, help="No progress bars.")
@click.pass_obj
def posters(app, layout, kind, field_name, codes, as_of, out, paper, grid, png_dir, silent):
    """Print verified QR posters: every code is decoded back before the PDF is kept.

    Records a print batch; after pinning the sheets up, run `qrproc post --batch N`.

    Example: qrproc posters --changed --as-of 2026-12-15 --png posters/png
    """
    if field_name and codes:
        raise click.UsageError("give --field or --codes, not both")
    if field_name:
        selection = Selection.of_field(field_name)
    elif codes:
        selection = Selection.of_codes(codes)
    else:
        selection = Selection(kind)
    encoder = None
    if os.environ.get(TEST_HOOK_ENV):
        encoder = payloadmod.wrong_payload_encoder(os.environ[TEST_HOOK_ENV].replace(",", " ").split())
    progress = StageProgress(STAGES, hidden=silent)
    try:
        result = make_posters(app.registry, layout=layout, selection=selection,
                              as_of=as_of or app.today(), out=out, paper=paper, png_dir=png_dir,
                              at=app.now(), on_progress=progress, grid=grid, encoder=encoder)
    finally:
        progress.close()
    if result.path is None:
        click.echo(f"Nothing to print: the board is up to date with the catalogue in force on "
                   f"{vn_date(result.as_of)}.")
        return
    for w in result.warnings:
        warn(f"Warning: {w}")
    sheet = f" and a takedown sheet of {len(result.takedown)}" if result.takedown else ""
    if result.report.expected:
        click.echo(f"Verified {result.verified} of {result.report.expected} QR codes: every one reads "
                   f"back to its official link.")
    if result.procedures:
        click.echo(f"Links: {result.own_pages} to the procedure's own page on the portal, "
                   f"{result.searches} to the portal's search by code.")
    pages = f"{result.pages} page" + ("s" if result.pages != 1 else "")
    click.echo(f"Wrote {result.path} ({layout}, {paper}, {pages}: "
               f"{len(result.procedures)} procedures{sheet}).")
    if result.png_files:
        click.echo(f"Wrote {len(result.png_files)} PNG cards to {png_dir}.")
    click.echo(f"Print batch {result.batch.id}; once the sheets are up: qrproc post --batch {result.batch.id}")


@click.command()
@click.option("--template", metavar="URL", help="Link with {id} (portal UUID) and/or {code}.")
@click.option("--template-code", metavar="URL",
              help="Link for procedures without a portal id; must contain {code}.")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST",
              help="Also allow links to this host (repeatable).")
@click.option("--ec", type=click.Choice(payloadmod.EC_LEVELS, case_sensitive=False),
              help="QR error correction level (default Q).")
@click.option("--reset", is_flag=True, help="Back to the national portal defaults first.")
@click.pass_obj
def payload(app, template, template_code, allow_hosts, ec, reset):
    """Show or set what the QR codes link to; links outside the allowed hosts are refused.

    Without options, shows the current settings.

    Example: qrproc payload --template "https://dichvucong.hungyen.gov.vn/tthc/{code}" --allow-host dichvucong.hungyen.gov.vn
    """
    if template or template_code or allow_hosts or ec or reset:
        app.registry.require_initialised()
        config = set_payload(app.registry, template=template, template_code=template_code,
                             allow_hosts=allow_hosts, ec=ec, reset=reset, at=app.now())
        click.echo("Payload settings saved.")
    else:
        config = payload_config(app.reader)
    click.echo(f"Link (portal id known): {config.template}")
    click.echo(f"Link (by code):         {config.template_code}")
    click.echo(f"Allowed hosts:          {', '.join(sorted(config.allowed_hosts))}")
    click.echo(f"Error correction:       {config.ec}")
