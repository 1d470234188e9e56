"""The `report` command: the coverage figure with its numerator, denominator and evidence."""

from __future__ import annotations

from pathlib import Path

import click

from qrproc import board
from qrproc import report as reportmod
from qrproc.cli import DATE, FiniteFloat, warn, warning
from qrproc.diff import shown_date
from qrproc.i18n import _, language
from qrproc.vntext import number

FORMATS = ("html", "json", "csv", "text")


def _render(report: reportmod.Report, fmt: str) -> str:
    if fmt == "json":
        return reportmod.render_json(report)
    if fmt == "csv":
        return reportmod.render_csv(report)
    if fmt == "text":
        return reportmod.render_text(report) + "\n"
    return reportmod.render_html(report)


@click.command()
@click.option("--as-of", "--to", "as_of", type=DATE, help="Date to report on (default: today).")
@click.option("--from", "start", type=DATE,
              help="Start of the reporting period: adds what was put up, taken down, late and "
                   "changed from this date to --as-of.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: a self-contained page; json, csv, text: data to stdout unless --out.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file "
              "(html default: bao-cao-niem-yet-YYYY-MM-DD.html in the current folder).")
@click.option("--fail-under", type=FiniteFloat(0, 100), metavar="PCT",
              help="Exit with code 2 when coverage is below PCT percent (after writing the output).")
@click.pass_context
def report(ctx, as_of, start, fmt, out, fail_under):
    """Report posting coverage: posted ÷ applicable procedures, and what is missing, stale,
    orphaned or late.

    Example: qrproc report --as-of 2026-12-31 --format text --fail-under 100
    """
    app = ctx.obj
    as_of = as_of or app.today()
    rep = board.coverage_report(app.reader, as_of, start=start, today=app.today())
    if rep.future:
        warning(_("{day} is after today: the figures say what the registry expects then, not "
                  "what is on the wall.").format(day=shown_date(as_of)))
    content = _render(rep, fmt)
    if fmt == "html" and out is None:
        out = f"bao-cao-niem-yet-{as_of.isoformat()}.html"
    if out is None:
        click.echo(content, nl=False)
    else:
        # Not utf-8-sig for CSV: render_csv's text brings its own byte-order mark (for Excel).
        encoding = "utf-8"
        try:
            Path(out).write_text(content, encoding=encoding, newline="")
        except OSError as e:
            raise click.ClickException(_("cannot write {file}: {error}").format(
                file=out, error=e.strerror or e)) from e
        click.echo(out if fmt == "html" else _("Wrote the {format} report to {file}").format(
            format=fmt, file=out))
    cov = rep.coverage
    if fail_under is not None:
        if cov.ratio is None:
            warn(_("Coverage is undefined on {day} (no applicable procedures); --fail-under {limit} "
                   "is not met.").format(day=shown_date(as_of), limit=number(fail_under, "g")))
            ctx.exit(2)
        if cov.posted * 100 < fail_under * cov.applicable:
            shown = f"{cov.coverage_percent}%" if language() == "en" else \
                reportmod.vn_percent(cov.coverage_percent)
            warn(_("Coverage {posted}/{applicable} ({percent}) is below --fail-under {limit}%.").format(
                posted=cov.posted, applicable=cov.applicable, percent=shown,
                limit=number(fail_under, "g")))
            ctx.exit(2)
