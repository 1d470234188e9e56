"""The `audit` command: what photos of the board prove is on the wall, recorded as evidence."""

from __future__ import annotations

import json

import click

from qrproc import audit as auditmod
from qrproc import board
from qrproc.cli import DATE, dry_run_option, warn
from qrproc.cli.progress import StageProgress
from qrproc.diff import vn_date

CAUSES = {
    auditmod.UP_TO_DATE: "current version",
    auditmod.LABEL_CHANGED: "the posted label is an older version: reprint",
    auditmod.LINK_CHANGED: "the code links to an older version's page: reprint",
    auditmod.ABOLISHED: "abolished: take it down",
    auditmod.REPLACED: "replaced: take it down",
    auditmod.NOT_YET_IN_FORCE: "not yet in force: take it down until it is",
    auditmod.NOT_LISTED: "not in the catalogue in force: take it down",
    auditmod.NOT_ON_BOARD: "not on the board: print and post it",
    auditmod.POSTED_NOT_SEEN: "on record as posted, not in the photos",
}
REASONS = {
    auditmod.NOT_A_LINK: "not a link",
    auditmod.OTHER_HOST: "host {host} is neither the portal nor an allowed host",
    auditmod.UNRECOGNISED_LINK: "a {host} link that is not a procedure page of the unit's template",
    auditmod.UNKNOWN_PROCEDURE: "no procedure with {detail} is known",
}


def _findings(title: str, items, show_cause: bool = True) -> None:
    if not items:
        return
    click.echo(f"{title} ({len(items)}):")
    for f in items:
        copies = f"  ×{f.copies}" if f.copies > 1 else ""
        cause = f"  — {CAUSES.get(f.cause, f.cause)}" if show_cause else ""
        if f.replaced_by and f.cause == auditmod.REPLACED:
            cause += f" (replaced by {f.replaced_by})"
        click.echo(f"  {f.code:<24} {f.name}{copies}{cause}")


def _echo(result: auditmod.AuditResult) -> None:
    photos = result.photos
    click.echo(f"Board audit for {vn_date(result.as_of)}: {len(photos)} photo"
               f"{'s' if len(photos) != 1 else ''}, {result.labels_seen} QR codes read.")
    for p in photos:
        if p.status == auditmod.PHOTO_OK:
            what = f"{len(p.seen)} codes, sha256 {p.sha256}"
        elif p.status == auditmod.PHOTO_NO_CODE:
            what = f"no QR code found, sha256 {p.sha256}"
        else:
            what = f"skipped: {p.note}"
        click.echo(f"  {p.name}: {what}")
    click.echo(f"Seen and current: {len(result.current)}")
    _findings("Seen but stale (reprint)", result.stale)
    _findings("Seen but orphan (take down)", result.orphan)
    if result.unknown:
        click.echo(f"Seen but unknown ({len(result.unknown)}):")
        for u in result.unknown:
            why = REASONS.get(u.reason, u.reason).format(host=u.host or "?", detail=u.detail or "it")
            click.echo(f"  {u.payload}  — {why}" + (f"  ×{u.copies}" if u.copies > 1 else ""))
    _findings("Applicable but not seen", result.not_seen)
    gone = [f for f in result.posted_not_seen if not f.applicable]
    _findings("On record as posted, not applicable, not seen", gone, show_cause=False)
    if result.applied:
        click.echo(f"Applied on {vn_date(result.as_of)}: {len(result.to_post)} postings recorded, "
                   f"{len(result.to_close)} closed (audit {result.audit_id}).")
    else:
        plan = (f"--apply would record {len(result.to_post)} postings and close "
                f"{len(result.to_close)}") if (result.to_post or result.to_close) else \
            "the posted set already matches the photos"
        click.echo(f"Recorded as audit {result.audit_id}; {plan}.")


@click.command()
@click.argument("photos", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--date", "day", type=DATE, help="The day the photos were taken (default: today).")
@click.option("--apply", "apply_", is_flag=True,
              help="Make the posted set what the photos show: post seen labels not on record, "
                   "close postings not seen (one transaction).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--force", is_flag=True,
              help="With --apply: also close postings of fields no photo shows.")
@click.option("--thorough", is_flag=True, help="Run every decoding pass on every photo (slower).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@dry_run_option
@click.pass_context
def audit(ctx, photos, day, apply_, as_json, force, thorough, quiet, dry_run):
    """Audit the board from PHOTOS: decode every QR code, compare with the catalogue and the
    posted set, and record the photos (name, SHA-256, codes found) as evidence.

    Reports, for the date: seen and current, seen but stale, seen but orphan, seen but unknown,
    and applicable but not seen. A photo without any code is reported, never read as "all taken
    down"; --apply is refused unless every photo shows codes.

    Example: qrproc audit bang-1.jpg bang-2.jpg --date 2026-11-28 --apply
    """
    app = ctx.obj
    with app.changing(dry_run) as registry:
        with StageProgress({"decode": "Reading photos"}, hidden=quiet or len(photos) < 2) as progress:
            result = board.audit_board(registry, list(photos), day=day or app.today(),
                                       apply=apply_, force=force, at=app.now(),
                                       on_progress=progress, thorough=thorough)
        for w in result.warnings:
            warn(f"Warning: {w}")
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            _echo(result)
