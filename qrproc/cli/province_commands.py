"""Commands for a province office and its communes: the catalogue going out (catalogue export),
each commune's bundle coming back (export), and one table of all communes (province)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from qrproc import board, exchange
from qrproc import province as provincemod
from qrproc.cli import DATE, number, warning
from qrproc.i18n import _, ngettext

FORMATS = ("html", "xlsx", "csv", "json")
KEY_ENV = "QRPROC_BUNDLE_KEY"


def _key(key_file: str | None) -> bytes | None:
    if key_file:
        try:
            return Path(key_file).read_bytes().strip() or None
        except OSError as e:
            raise click.ClickException(_("cannot read the key file {file}: {error}").format(
                file=key_file, error=e.strerror or e)) from e
    value = os.environ.get(KEY_ENV, "")
    return value.encode() or None


def _write(path: Path, data: bytes | str) -> None:
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8", newline="")
    except OSError as e:
        raise click.ClickException(_("cannot write {file}: {error}").format(
            file=path, error=e.strerror or e)) from e


@click.group("catalogue")
def catalogue_group():
    """The province's catalogue for its communes.

    Example: qrproc catalogue export --out danh-muc-tinh.json
    """


@catalogue_group.command("export")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="File to write: .json (communes import it as is) or .xlsx (for people).")
@click.option("--as-of", type=DATE, help="Date of the catalogue (default: today).")
@click.pass_obj
def catalogue_export(app, out, as_of):
    """Write the catalogue in force (in the unit's scope: the province's commune-level list, with
    portal ids, fields, fees, decisions and dates) for communes to import as is, with a manifest:
    province, date, decisions, counts and a SHA-256 of the content.

    Example: qrproc catalogue export --out danh-muc-tinh.json
    """
    path = Path(out)
    if path.suffix.lower() not in (".json", ".xlsx"):
        raise click.BadParameter(_("{file}: write .json or .xlsx").format(file=out),
                                 param_hint="--out")
    export = board.catalogue_export(app.reader, as_of or app.today())
    _write(path, export.to_json() if path.suffix.lower() == ".json" else exchange.catalogue_xlsx(export))
    m = export.manifest
    c = m["counts"]
    click.echo(ngettext(
        "Wrote {file}: {n} procedure for {province} on {day} ({in_force} in force, {other} "
        "abolished or not yet in force; {with_id} with their portal id), SHA-256 {sha256}.",
        "Wrote {file}: {n} procedures for {province} on {day} ({in_force} in force, {other} "
        "abolished or not yet in force; {with_id} with their portal id), SHA-256 {sha256}.",
        c["procedures"]).format(
        file=path, n=c["procedures"], province=m["province"], day=f"{export.as_of:%d/%m/%Y}",
        in_force=c["in_force"], other=c["procedures"] - c["in_force"],
        with_id=c["with_portal_id"], sha256=m["sha256"]))


@click.command("export")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The bundle (.zip).")
@click.option("--as-of", type=DATE, help="Date of the report (default: today).")
@click.option("--key-file", type=click.Path(dir_okay=False),
              help=f"A key shared with the province, to sign the bundle (or set {KEY_ENV}).")
@click.pass_obj
def export(app, out, as_of, key_file):
    """Write the commune's bundle for the province office: its coverage report, the catalogue it
    was measured against and its latest audit's evidence, hashed in a manifest.

    Example: qrproc export --out xa-mau-2026-12-31.zip
    """
    data = board.commune_bundle(app.reader, as_of or app.today(), key=_key(key_file))
    _write(Path(out), data)
    click.echo(ngettext("Wrote {file} ({n} byte).", "Wrote {file} ({n} bytes).", len(data)).format(
        file=out, n=number(len(data))))


@click.command("province")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--catalogue", "catalogue_file", type=click.Path(exists=True, dir_okay=False),
              help="The province's current catalogue export (.json) to check the communes against.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write to this file (html and xlsx default: tong-hop-niem-yet.<ext>).")
@click.option("--key-file", type=click.Path(dir_okay=False),
              help=f"The key the communes signed their bundles with (or set {KEY_ENV}).")
def province_(bundles, catalogue_file, fmt, out, key_file):
    """Roll up the communes' bundles (files or folders of them) into one table: coverage,
    posted/applicable, missing, stale, orphan, late, the last audit, and flags where a commune
    was measured against another catalogue or its denominator differs from the province's list.

    Example: qrproc province bundles/ --catalogue danh-muc-tinh.json --format xlsx
    """
    rollup = provincemod.roll_up_files([Path(b) for b in bundles],
                                       catalogue=Path(catalogue_file) if catalogue_file else None,
                                       key=_key(key_file))
    if not rollup.rows:
        raise click.UsageError(_("no bundle (.zip) found in the paths given"))
    for r in rollup.rows:
        if not r.verified:
            warning(_("{bundle}: does not verify ({problem}); listed, not counted").format(
                bundle=r.bundle, problem=r.problem))
        elif not r.counted:
            warning(f"{r.bundle}: {r.flag_text}")
    rendered = {"html": provincemod.render_html, "xlsx": provincemod.render_xlsx,
                "csv": provincemod.render_csv, "json": provincemod.render_json}[fmt](rollup)
    if out is None and fmt in ("html", "xlsx"):
        out = f"tong-hop-niem-yet.{fmt}"
    if out is None:
        click.echo(rendered, nl=fmt == "json")
        return
    _write(Path(out), rendered)
    t = rollup.totals
    click.echo(ngettext(
        "Wrote {file}: {n} commune ({verified} verified), {posted}/{applicable} procedures posted.",
        "Wrote {file}: {n} communes ({verified} verified), {posted}/{applicable} procedures "
        "posted.", t["communes"]).format(file=out, n=t["communes"], verified=t["verified"],
                                         posted=t["posted"], applicable=t["applicable"]))
