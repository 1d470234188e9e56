"""In: verified QR posters for the changes, one field, some codes or the whole board, drawn and
checked in the background with progress; the PDFs to download, with the takedown sheet."""

from __future__ import annotations

from contextlib import closing
from functools import partial
from pathlib import Path

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import NotFound

from qrproc import board
from qrproc.catalogue import catalogue_on
from qrproc.errors import QrprocError
from qrproc.model import vi_sort_key
from qrproc.poster import Selection
from qrproc.web.desk import InputError, desk, finished_job, read_codes, read_date, reader
from qrproc.web.jobs import Job

bp = Blueprint("printing", __name__, url_prefix="/in")
KIND = "print"

SELECTIONS = {
    "changed": "Phần thay đổi: thẻ mới, thẻ cần in lại và danh sách nhãn cần gỡ",
    "all": "Toàn bộ bảng niêm yết",
    "field": "Một lĩnh vực",
    "codes": "Một số thủ tục (theo mã)",
}
LAYOUTS = {
    "grid": "Lưới thẻ, xếp theo lĩnh vực, có trang mục lục",
    "single": "Mỗi thủ tục một trang (có thời hạn và phí, lệ phí)",
    "labels": "Nhãn nhỏ",
}
PAPERS = ("A4", "A3")


def fields_in_force(registry, day) -> list[str]:
    view = catalogue_on(registry, day)
    names = {p.field for p in view.applicable if p.field} if view else set()
    return sorted(names, key=vi_sort_key)


def printed_file(batch) -> str:
    """The name of a batch's PDF, '' when it is no longer in the posters folder."""
    path = Path(batch.path)
    return path.name if path.is_file() else ""


@bp.get("/")
def index():
    registry = reader()
    day = read_date(request.args.get("ngay"), desk().today(), what="Ngày in")
    states = board.batch_states(registry, day, only_open=False)
    return render_template("printing.html", day=day, fields=fields_in_force(registry, day),
                           batches=[(st, printed_file(st.batch)) for st in states],
                           selections=SELECTIONS, layouts=LAYOUTS, papers=PAPERS)


def read_selection(form) -> Selection:
    kind = form.get("chon", "changed")
    if kind == "field":
        if not (form.get("linh_vuc") or "").strip():
            raise InputError("Hãy chọn lĩnh vực cần in.")
        return Selection.of_field(form["linh_vuc"])
    if kind == "codes":
        codes = read_codes(form.get("ma") or "")
        if not codes:
            raise InputError("Hãy nhập ít nhất một mã TTHC cần in.")
        return Selection.of_codes(codes)
    if kind not in SELECTIONS:
        raise InputError("Hãy chọn in những gì.")
    return Selection(kind)


@bp.post("/")
def start():
    form = request.form
    selection = read_selection(form)
    layout = form.get("kieu", "grid")
    paper = form.get("giay", "A4")
    if layout not in LAYOUTS or paper not in PAPERS:
        raise InputError("Hãy chọn kiểu trình bày và khổ giấy trong danh sách.")
    day = read_date(form.get("ngay"), desk().today(), what="Ngày in")
    params = {"selection": selection, "layout": layout, "paper": paper, "day": day}
    job = desk().jobs.start(KIND, partial(_print, desk()), params=params)
    return redirect(url_for(".result", token=job.id))


def _print(d, job: Job):
    p = job.params
    with closing(d.open_registry()) as registry:
        return board.print_posters(registry, layout=p["layout"], selection=p["selection"],
                                   as_of=p["day"], folder=d.posters, paper=p["paper"], at=d.now(),
                                   on_progress=job.progress)


@bp.get("/<token>")
def result(token):
    job = finished_job(KIND, token).view()  # one moment's state: the worker may finish meanwhile
    return render_template("printing_result.html", job=job, result=job.result,
                           selections=SELECTIONS, layouts=LAYOUTS)


@bp.get("/tep/<int:batch_id>")
def download(batch_id):
    try:
        batch = reader().batch(batch_id)
    except QrprocError:
        raise NotFound() from None
    path = Path(batch.path).resolve()
    if not path.is_file() or not path.is_relative_to(desk().posters):
        raise NotFound()
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=path.name)
