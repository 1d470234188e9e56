"""The `audit` command: what photos of the board prove is on the wall, recorded as evidence."""

from __future__ import annotations

import json

import click

from qrproc import audit as auditmod
from qrproc import board
from qrproc.cli import DATE, dry_run_option, warning
from qrproc.cli.progress import StageProgress
from qrproc.diff import vn_date
from qrproc.i18n import N_, _, ngettext

STAGES = {"decode": N_("Reading photos")}


def _findings(title: str, items, show_cause: bool = True) -> None:
    if not items:
        return
    click.echo(f"{_(title)} ({len(items)}):")
    for f in items:
        copies = f"  ×{f.copies}" if f.copies > 1 else ""
        cause = f"  — {_(auditmod.CAUSE_WORDS.get(f.cause, f.cause))}" if show_cause else ""
        if f.replaced_by and f.cause == auditmod.REPLACED:
            cause += _(" (replaced by {code})").format(code=f.replaced_by)
        click.echo(f"  {f.code:<24} {f.name}{copies}{cause}")


def _echo(result: auditmod.AuditResult) -> None:
    photos = result.photos
    click.echo(_("Board audit for {day}: {photos}, {codes}.").format(
        day=vn_date(result.as_of),
        photos=ngettext("{n} photo", "{n} photos", len(photos)).format(n=len(photos)),
        codes=ngettext("{n} QR code read", "{n} QR codes read",
                       result.labels_seen).format(n=result.labels_seen)))
    for p in photos:
        if p.status == auditmod.PHOTO_OK:
            what = ngettext("{n} code, sha256 {sha256}", "{n} codes, sha256 {sha256}",
                            len(p.seen)).format(n=len(p.seen), sha256=p.sha256)
        elif p.status == auditmod.PHOTO_NO_CODE:
            what = _("no QR code found, sha256 {sha256}").format(sha256=p.sha256)
        else:
            what = _("skipped: {note}").format(note=p.note)
        click.echo(f"  {p.name}: {what}")
    click.echo(_("Seen and current: {n}").format(n=len(result.current)))
    _findings(N_("Seen but stale (reprint)"), result.stale)
    _findings(N_("Seen but orphan (take down)"), result.orphan)
    if result.unknown:
        click.echo(_("Seen but unknown ({n}):").format(n=len(result.unknown)))
        for u in result.unknown:
            why = _(auditmod.UNKNOWN_WORDS.get(u.reason, u.reason)).format(host=u.host or "?",
                                                            detail=u.detail or _("it"))
            click.echo(f"  {u.payload}  — {why}" + (f"  ×{u.copies}" if u.copies > 1 else ""))
    _findings(N_("Applicable but not seen"), result.not_seen)
    gone = [f for f in result.posted_not_seen if not f.applicable]
    _findings(N_("On record as posted, not applicable, not seen"), gone, show_cause=False)
    if result.applied:
        click.echo(ngettext(
            "Applied on {day}: {n} posting recorded, {closed} closed (audit {audit}).",
            "Applied on {day}: {n} postings recorded, {closed} closed (audit {audit}).",
            len(result.to_post)).format(day=vn_date(result.as_of), n=len(result.to_post),
                                        closed=len(result.to_close), audit=result.audit_id))
    else:
        if result.to_post or result.to_close:
            plan = ngettext("--apply would record {n} posting and close {closed}",
                            "--apply would record {n} postings and close {closed}",
                            len(result.to_post)).format(n=len(result.to_post),
                                                        closed=len(result.to_close))
        else:
            plan = _("the posted set already matches the photos")
        click.echo(_("Recorded as audit {audit}; {plan}.").format(audit=result.audit_id, plan=plan))


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
        with StageProgress(STAGES, hidden=quiet or len(photos) < 2) as progress:
            result = board.audit_board(registry, list(photos), day=day or app.today(),
                                       apply=apply_, force=force, at=app.now(),
                                       on_progress=progress, thorough=thorough)
        for w in result.warnings:
            warning(w)
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            _echo(result)
