"""Báo cáo: the coverage report exactly as the HTML report renders it, its downloads (HTML, CSV,
JSON) and the sentence for the periodic report, with a copy button."""

from __future__ import annotations


from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import NotFound

from qrproc import board
from qrproc import report as reportmod
from qrproc.web.desk import desk, optional_date, read_date, reader
from qrproc.web.security import REPORT_POLICY

bp = Blueprint("reports", __name__, url_prefix="/bao-cao")

#: format -> (render, MIME type)
FORMATS = {
    "html": (reportmod.render_html, "text/html; charset=utf-8"),
    "csv": (reportmod.render_csv, "text/csv; charset=utf-8"),
    "json": (reportmod.render_json, "application/json; charset=utf-8"),
}


def _report():
    d = desk()
    as_of = read_date(request.args.get("ngay"), d.today(), what="Ngày báo cáo")
    start = optional_date(request.args.get("tu"), what="Từ ngày")
    return board.coverage_report(reader(), as_of, start=start, today=d.today())


def _period_args(rep) -> dict:
    args = {"ngay": rep.as_of.isoformat()}
    if rep.period is not None:
        args["tu"] = rep.period.start.isoformat()
    return args


@bp.get("/")
def index():
    rep = _report()
    return render_template("reports.html", rep=rep, c=rep.coverage, text=reportmod.sentence(rep),
                           missing=len(rep.coverage.rows_in(reportmod.MISSING)),
                           args=_period_args(rep))


@bp.get("/xem")
def view():
    """The report page itself, shown inside the desk's page (inline CSS, no script)."""
    response = Response(reportmod.render_html(_report()), mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_POLICY
    return response


@bp.get("/tai/<fmt>")
def download(fmt):
    if fmt not in FORMATS:
        raise NotFound()
    rep = _report()
    render, mimetype = FORMATS[fmt]
    response = Response(render(rep), content_type=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bao-cao-niem-yet-{rep.as_of.isoformat()}.{fmt}"')
    if fmt == "html":
        response.headers["Content-Security-Policy"] = REPORT_POLICY
    return response
