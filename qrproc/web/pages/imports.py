"""Nhập danh mục: upload a catalogue file or fetch it from the national portal; a preview (what
would change, what is out of scope and why, warnings) comes first, computed by running the
import for real inside a dry run; confirming runs the same import with the same options."""

from __future__ import annotations

import shutil
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from functools import partial

from flask import Blueprint, flash, redirect, render_template, request, url_for

from qrproc import board
from qrproc import scope as scopemod
from qrproc.catalogue import ImportOutcome, catalogue_on, import_catalogue
from qrproc.diff import Diff, vn_date
from qrproc.http import make_session
from qrproc.provinces import find_province
from qrproc.sources import load_file
from qrproc.sources.cache import DetailCache
from qrproc.sources.portal import fetch_catalogue
from qrproc.web.desk import (InputError, checked, desk, ensure_unchanged, finished_job,
                             journal_mark, optional_date, reader, writer)
from qrproc.web.jobs import DONE, Job
from qrproc.web.uploads import CATALOGUE_SUFFIXES

bp = Blueprint("imports", __name__, url_prefix="/nhap")
KIND = "import"

#: Where the date the list takes effect came from (ImportPlan.effective_source).
DATE_SOURCES = {
    "option": "theo ngày đã nhập vào ô Ngày hiệu lực",
    "clause": "theo điều khoản hiệu lực của quyết định trong tệp",
    "rows": "theo ngày hiệu lực ghi ở các dòng của tệp",
    "today": "tệp không ghi ngày nên danh mục được tính từ hôm nay",
}


@dataclass(frozen=True)
class Preview:
    """What confirming will do, as the dry run found it."""

    outcome: ImportOutcome
    names: dict            # code -> name, for the added, changed and dropped codes
    after: Diff | None     # the board on the day the list takes effect, once it is saved
    stated_decision: str   # what the file itself says
    stated_effective: date | None
    clause: str
    mark: int              # the journal when the preview was made


def read_options(form) -> dict:
    decision = (form.get("quyet_dinh") or "").strip()
    return {"effective": optional_date(form.get("hieu_luc"), what="Ngày hiệu lực"),
            "decision": decision or None, "amend": checked(form, "sua_doi"),
            "accept_drop": checked(form, "chap_nhan_giam"), "own_list": checked(form, "danh_muc_rieng"),
            "other_province": checked(form, "tinh_khac")}


@bp.get("/")
def index():
    registry = reader()
    return render_template("imports.html", snapshots=list(reversed(registry.snapshots())),
                           province=find_province(registry.get_setting("province")), options={})


@bp.post("/tai-len")
def upload():
    options = read_options(request.form)
    folder, paths = desk().uploads.save(request.files.getlist("tep")[:1], CATALOGUE_SUFFIXES,
                                        "tệp danh mục")
    job = _start(lambda job: load_file(paths[0]), options, source=paths[0].name, folder=folder)
    return redirect(url_for(".preview", token=job.id))


@bp.post("/lay-tu-cong")
def fetch():
    d = desk()
    province = find_province(reader().get_setting("province"))
    job = _start(partial(_fetch, d, province), read_options(request.form),
                 source=f"Cổng Dịch vụ công quốc gia ({province.name})")
    return redirect(url_for(".preview", token=job.id))


def _fetch(d, province, job: Job):
    session = make_session(rate=d.fetch_rate)
    with session:
        return fetch_catalogue(session, d.portal_url, province=province,
                               cache=DetailCache(d.cache), on_progress=job.progress)


def _start(load, options: dict, *, source: str, folder=None, catalogue=None) -> Job:
    d = desk()
    params = {"options": options, "source": source, "catalogue": catalogue}
    return d.jobs.start(KIND, partial(_preview, d, load), params=params, folder=folder)


def _preview(d, load, job: Job) -> Preview:
    cat = job.params["catalogue"]
    if cat is None:
        job.progress("read", 0, 0)
        cat = job.params["catalogue"] = load(job)
    job.progress("preview", 0, 0)
    with closing(d.open_registry()) as registry:
        mark = journal_mark(registry)
        with registry.dry_run():
            out = import_catalogue(registry, cat, **job.params["options"], at=d.now())
            after = board.board_diff(registry, out.plan.effective) if out.snapshot else None
        before = catalogue_on(registry, out.plan.effective)
    names = {p.code: p.name for p in out.plan.procedures if p.code}
    if before is not None:
        names.update({p.code: p.name for p in before.included if p.code in out.dropped})
    return Preview(out, names, after, cat.decision or "", cat.effective, cat.effective_clause or "",
                   mark)


@bp.get("/<token>")
def preview(token):
    job = finished_job(KIND, token).view()  # one moment's state: the worker may finish meanwhile
    return render_template("import_preview.html", job=job, preview=job.result,
                           options=job.params["options"], date_sources=DATE_SOURCES,
                           reason_vi=scopemod.reason_vi)


@bp.post("/<token>/xem-lai")
def again(token):
    old = finished_job(KIND, token)
    if old.params.get("catalogue") is None or old.used:
        raise InputError("Không xem trước lại được bản này; hãy tải tệp lên lại.")
    options = read_options(request.form)
    # the upload passes to the new job before it starts (starting may forget the oldest jobs,
    # and a forgotten job's folder is removed with it)
    folder, old.folder, old.used = old.folder, None, "replaced"
    job = _start(None, options, source=old.params["source"], folder=folder,
                 catalogue=old.params["catalogue"])
    return redirect(url_for(".preview", token=job.id))


@bp.post("/<token>/xac-nhan")
def confirm(token):
    job = finished_job(KIND, token)
    if job.state != DONE or job.used:
        raise InputError("Bản xem trước này đã được xác nhận hoặc hủy rồi, hoặc chưa xong.")
    registry = writer()
    with registry.transaction():
        ensure_unchanged(registry, job.result.mark)
        out = import_catalogue(registry, job.params["catalogue"], **job.params["options"],
                               at=desk().now())
    job.used, job.params["saved"] = "saved", out
    _drop_upload(job)
    if out.snapshot is None:
        flash("Nội dung này đã được nhập trước đây; sổ đăng ký không thay đổi.", "ok")
    else:
        flash(f"Đã lưu danh mục {job.params['source']}, áp dụng từ ngày "
              f"{vn_date(out.plan.effective)}.", "ok")
    return redirect(url_for(".preview", token=token))


@bp.post("/<token>/huy")
def cancel(token):
    job = finished_job(KIND, token)
    if not job.used:
        job.used = "cancelled"
    _drop_upload(job)
    flash("Đã hủy: không có gì được lưu vào sổ đăng ký.", "ok")
    return redirect(url_for(".index"))


def _drop_upload(job: Job) -> None:
    if job.folder is not None:
        shutil.rmtree(job.folder, ignore_errors=True)
        job.folder = None
