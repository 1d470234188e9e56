"""Kiểm tra ảnh: photos of the board are read in the background; the page shows what they show,
and how many postings applying it would change (a dry run of the apply); only a confirmation
applies it. The audit can also be kept as evidence without changing the board."""

from __future__ import annotations

import shutil
from contextlib import closing
from dataclasses import dataclass
from functools import partial

from flask import Blueprint, redirect, render_template, request, url_for

from qrproc import audit as auditmod
from qrproc import board
from qrproc.i18n import vietnamese
from qrproc.web.desk import (InputError, desk, ensure_unchanged, finished_job, journal_mark,
                             read_date, reader)
from qrproc.web.jobs import DONE, Job
from qrproc.web.uploads import PHOTO_SUFFIXES

bp = Blueprint("audits", __name__, url_prefix="/kiem-tra")
KIND = "audit"
PREVIEW, APPLY, RECORD = "preview", "apply", "record"

CAUSES = {cause: vietnamese(words) for cause, words in auditmod.CAUSE_WORDS.items()}
UNKNOWN = {reason: vietnamese(words) for reason, words in auditmod.UNKNOWN_WORDS.items()}
PHOTO_STATES = {
    auditmod.PHOTO_OK: "đọc được",
    auditmod.PHOTO_NO_CODE: "không tìm thấy mã QR nào",
    auditmod.PHOTO_UNREADABLE: "không đọc được ảnh",
}


@dataclass(frozen=True)
class AuditPreview:
    """What the photos show, and whether (and how) applying them is possible."""

    result: auditmod.AuditResult
    apply_error: str | None   # why applying is refused (nothing would be changed)
    mark: int

    @property
    def changes(self) -> int:
        return len(self.result.to_post) + len(self.result.to_close)


@bp.get("/")
def index():
    return render_template("audits.html", latest=reader().latest_audit())


@bp.post("/")
def upload():
    d = desk()
    day = read_date(request.form.get("ngay"), d.today(), what="Ngày chụp ảnh")
    folder, paths = d.uploads.save(request.files.getlist("anh"), PHOTO_SUFFIXES, "ảnh")
    job = d.jobs.start(KIND, partial(_preview, d), params={"paths": paths, "day": day, "mode": PREVIEW},
                       folder=folder)
    return redirect(url_for(".result", token=job.id))


def _preview(d, job: Job) -> AuditPreview:
    paths, day = job.params["paths"], job.params["day"]
    with closing(d.open_registry()) as registry:
        mark = journal_mark(registry)
        result, error = board.preview_audit(registry, paths, day=day, at=d.now(),
                                            on_progress=job.progress, names=_names(paths))
    return AuditPreview(result, error, mark)


def _save(d, job: Job):
    p = job.params
    with closing(d.open_registry()) as registry:
        ensure_unchanged(registry, p["mark"])
        return board.audit_board(registry, p["paths"], day=p["day"], apply=p["mode"] == APPLY,
                                 at=d.now(), on_progress=job.progress, names=_names(p["paths"]))


def _names(paths) -> list[str]:
    """The photos as the receptionist named them: an upload is kept in a temporary folder of
    the desk, whose path means nothing in the evidence or in a message."""
    return [path.name for path in paths]


@bp.get("/<token>")
def result(token):
    job = finished_job(KIND, token).view()  # one moment's state: the worker may finish meanwhile
    return render_template("audit_result.html", job=job, preview=job.result, causes=CAUSES,
                           unknown=UNKNOWN, photo_states=PHOTO_STATES, modes=(PREVIEW, APPLY, RECORD))


def _usable(job: Job) -> AuditPreview:
    if job.params["mode"] != PREVIEW or job.state != DONE or job.used:
        raise InputError("Kết quả kiểm tra này đã được lưu hoặc áp dụng rồi, hoặc chưa đọc xong.")
    return job.result


@bp.get("/<token>/ap-dung")
def confirm(token):
    job = finished_job(KIND, token)
    preview = _usable(job)
    return render_template("audit_confirm.html", job=job, preview=preview)


@bp.post("/<token>/ghi")
def save(token):
    old = finished_job(KIND, token)
    preview = _usable(old)
    mode = request.form.get("cach")
    if mode not in (APPLY, RECORD) or (mode == APPLY and preview.apply_error):
        raise InputError("Không áp dụng được kết quả kiểm tra này.")
    d = desk()
    params = {"paths": old.params["paths"], "day": old.params["day"], "mode": mode,
              "mark": preview.mark}
    # the photos pass to the new job before it starts: starting forgets the oldest jobs, and a
    # forgotten job's folder is removed with it
    folder, old.folder, old.used = old.folder, None, mode
    job = d.jobs.start(KIND, partial(_save, d), params=params, folder=folder)
    return redirect(url_for(".result", token=job.id))


@bp.post("/<token>/huy")
def cancel(token):
    job = finished_job(KIND, token)
    job.used = job.used or "cancelled"
    if job.folder is not None:
        shutil.rmtree(job.folder, ignore_errors=True)
        job.folder = None
    return redirect(url_for(".index"))
