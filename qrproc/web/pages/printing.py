"""In: verified QR posters for the changes, one field, some codes or the whole board, drawn and
checked in the background with progress; the PDFs to download, with the takedown sheet."""

from __future__ import annotations

import re
import threading
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import NotFound

from qrproc import board
from qrproc.catalogue import catalogue_on
from qrproc.errors import QrprocError
from qrproc.model import fold, vi_sort_key
from qrproc.poster import Selection
from qrproc.registry import Batch
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
#: File names of the PDFs, by selection: posters/<stem>-<date>.pdf.
STEMS = {"changed": "thay-doi", "all": "bang-niem-yet", "field": "linh-vuc", "codes": "thu-tuc"}
_naming = threading.Lock()


def fields_in_force(registry, day) -> list[str]:
    view = catalogue_on(registry, day)
    names = {p.field for p in view.applicable if p.field} if view else set()
    return sorted(names, key=vi_sort_key)


@dataclass(frozen=True)
class BatchRow:
    batch: Batch
    posted: int          # of its labels, how many are up now (that very version)
    file: str            # the PDF's name, '' when it is no longer in the posters folder


def batches(registry) -> list[BatchRow]:
    """Every print batch, newest first, with how many of its labels are up now."""
    up = registry.posted()
    out = []
    for event in reversed(registry.events("print")):
        batch = registry.batch(event.detail["batch"])
        procs = registry.batch_procedures(batch.id)
        posted = sum(1 for p in procs if p.code in up and up[p.code].content_hash == p.content_hash)
        path = Path(batch.path)
        out.append(BatchRow(batch, posted, path.name if path.is_file() else ""))
    return out


@bp.get("/")
def index():
    registry = reader()
    day = read_date(request.args.get("ngay"), desk().today(), what="Ngày in")
    return render_template("printing.html", day=day, fields=fields_in_force(registry, day),
                           batches=batches(registry), selections=SELECTIONS, layouts=LAYOUTS,
                           papers=PAPERS)


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
    out = _new_file(d.posters, p["selection"], p["day"])
    try:
        with closing(d.open_registry()) as registry:
            return board.print_posters(registry, layout=p["layout"], selection=p["selection"],
                                       as_of=p["day"], out=out, paper=p["paper"], at=d.now(),
                                       on_progress=job.progress)
    finally:
        if out.is_file() and out.stat().st_size == 0:  # nothing printed: drop the placeholder
            out.unlink()


def _new_file(folder: Path, selection: Selection, day) -> Path:
    """posters/thay-doi-2026-12-15.pdf, or …-2.pdf when that name is taken; the name is held by
    an empty file until the PDF replaces it, so two print jobs never write the same file."""
    stem = f"{STEMS[selection.kind]}-{day.isoformat()}"
    if selection.kind == "field":
        stem = f"{STEMS['field']}-{re.sub(r'[^a-z0-9]+', '-', fold(selection.field)).strip('-')[:40]}-{day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    with _naming:
        path, n = folder / f"{stem}.pdf", 2
        while path.exists():
            path, n = folder / f"{stem}-{n}.pdf", n + 1
        path.touch()
    return path


@bp.get("/<token>")
def result(token):
    job = finished_job(KIND, token)
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
