"""The app factory: one Flask app over one registry, its pages, its checks and its error pages."""

from __future__ import annotations

import logging
import secrets
from importlib import resources
from datetime import datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from flask import Flask, flash, g, jsonify, redirect, render_template, request, send_from_directory, url_for
from werkzeug.exceptions import HTTPException, NotFound

from qrproc import i18n
from qrproc.diff import vn_date
from qrproc.errors import QrprocError
from qrproc.http import DEFAULT_RATE
from qrproc.report import vn_percent
from qrproc.sources.cache import DEFAULT_DIRNAME
from qrproc.sources.portal import DEFAULT_BASE_URL
from qrproc.web import security
from qrproc.web.desk import Desk, close_registries, desk, reader
from qrproc.web.jobs import STAGE_LABELS, JobRunner, status
from qrproc.web.uploads import UploadError, Uploads
from qrproc.web.words import DESK_WORDS

log = logging.getLogger(__name__)

#: A whole upload (a catalogue file, or all the photos of one audit) may be this big.
DEFAULT_MAX_UPLOAD_MB = 80
#: The pages, in the order of the menu.
NAV = (
    ("board.index", "Bảng niêm yết"),
    ("imports.index", "Nhập danh mục"),
    ("printing.index", "In"),
    ("marking.index", "Đánh dấu"),
    ("reports.index", "Báo cáo"),
    ("audits.index", "Kiểm tra ảnh"),
    ("settings.index", "Cài đặt"),
)
#: What a page without a unit may still show: the set-up page and what every page needs.
OPEN_WITHOUT_UNIT = ("settings.", "static", "font", "favicon", "job_status")
FONTS = {"thuong.ttf": "BeVietnamPro-Regular.ttf", "dam.ttf": "BeVietnamPro-SemiBold.ttf"}
#: Mistakes are said in full, but a flashed message lives in the session cookie (about 4 KB).
MAX_FLASH = 1500

HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    403: "Yêu cầu bị từ chối.",
    404: "Không tìm thấy trang này.",
    405: "Trang này không nhận yêu cầu kiểu đó.",
}
REFUSALS = {
    "host": ("Địa chỉ truy cập không hợp lệ. Hãy mở trang bằng địa chỉ chương trình in ra khi khởi "
             "động (http://127.0.0.1:…/)."),
    "origin": "Yêu cầu bị từ chối: nó không được gửi từ một trang của chương trình này.",
    "csrf": ("Yêu cầu bị từ chối: thiếu mã bảo vệ của trang, hoặc trang đã cũ (chương trình vừa "
             "khởi động lại). Hãy tải lại trang rồi làm lại."),
}
APOLOGY = ("Xin lỗi, chương trình gặp một lỗi ngoài dự kiến nên chưa làm xong việc này. Hãy thử "
           "lại; nếu vẫn lỗi, hãy báo cho cán bộ kỹ thuật (chi tiết lỗi đã được ghi vào nhật ký "
           "của chương trình).")


def create_app(db: str | Path, *, clock: Callable[[], datetime] | None = None,
               portal_url: str = DEFAULT_BASE_URL, fetch_rate: float | None = DEFAULT_RATE,
               posters: str | Path | None = None, cache: str | Path | None = None,
               max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, port: int | None = None,
               workers: int = 2) -> Flask:
    """The desk for the registry at `db` (which need not exist yet: the Cài đặt page sets it up).

    `clock` gives the time (default: now); `portal_url` is where a fetch goes; posters go to
    `posters` (default: posters/ next to the registry) and fetched details to `cache`; `port` is
    the port the server listens on (only 127.0.0.1:PORT and localhost:PORT are answered; the
    server sets it once it is bound).
    """
    from qrproc.web.pages import PAGES

    db = Path(db).resolve()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        MAX_CONTENT_LENGTH=int(max_upload_mb * 1024 * 1024),
        SESSION_COOKIE_NAME="qrproc",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["qrproc"] = Desk(
        db=db, posters=Path(posters).resolve() if posters else db.parent / "posters",
        cache=Path(cache).resolve() if cache else db.parent / DEFAULT_DIRNAME,
        portal_url=portal_url.rstrip("/"), fetch_rate=fetch_rate,
        clock=clock or datetime.now, jobs=JobRunner(workers), uploads=Uploads())
    set_port(app, port)
    for blueprint in PAGES:
        app.register_blueprint(blueprint)

    app.before_request(_speak_vietnamese)
    app.before_request(security.check_host)
    app.before_request(security.check_origin_and_token)
    app.before_request(_require_unit)
    app.after_request(security.add_headers)
    app.teardown_appcontext(close_registries)
    app.teardown_request(_stop_speaking)
    app.register_error_handler(QrprocError, _refused)
    app.register_error_handler(UploadError, _refused)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _bug)
    app.add_template_filter(lambda d: vn_date(d) if d else "", "vn_date")
    app.add_template_filter(vn_percent, "vn_percent")
    app.add_template_filter(lambda dt: f"{dt:%d/%m/%Y %H:%M}" if dt else "", "vn_time")
    app.add_template_global(security.csrf_token)
    app.add_template_global(NAV, "NAV")
    app.add_template_global(lambda job: STAGE_LABELS.get(job.stage, job.stage), "job_label")
    app.context_processor(_page_context)
    app.add_url_rule("/viec/<job_id>", "job_status", _job_status)
    app.add_url_rule("/phong-chu/<name>", "font", _font)
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg"))
    return app


def _speak_vietnamese():
    """The desk is Vietnamese whatever the shell's language: the library's messages too, and
    they name the desk's own boxes and pages, not the command line's flags (`words`)."""
    g.qrproc_language = i18n.begin("vi")
    g.qrproc_naming = i18n.begin_naming(DESK_WORDS)


def _stop_speaking(_exc=None):
    token = g.pop("qrproc_naming", None)
    if token is not None:
        i18n.end_naming(token)
    token = g.pop("qrproc_language", None)
    if token is not None:
        i18n.end(token)


def set_port(app: Flask, port: int | None) -> None:
    """Tell the app the port it is served on: the Host check and the session cookie use it (two
    desks on two ports must not share a cookie)."""
    app.extensions["qrproc"].port = port
    if port is not None:
        app.config["SESSION_COOKIE_NAME"] = f"qrproc-{port}"


def _require_unit():
    """Every page but the set-up page needs a registry with a unit."""
    endpoint = request.endpoint
    if endpoint is None:  # no such page: the 'not found' page says so
        return None
    if any(endpoint == p or endpoint.startswith(p) for p in OPEN_WITHOUT_UNIT):
        return None
    if not desk().exists or not reader().initialised:
        return redirect(url_for("settings.index"))
    return None


def _page_context() -> dict:
    d = desk()
    unit = ""
    if d.exists:
        # The header must render even on the page that says the registry cannot be read: that
        # page's own error is the one to show, not a second one from the header.
        try:
            unit = reader().get_setting("unit") or ""
        except Exception:  # noqa: BLE001 - see above; the request's own error is logged
            unit = ""
    return {"unit_name": unit, "desk": d, "today": d.today()}


def back_to(default: str = "/") -> str:
    """Where a form came from (its hidden `back` field), if that is a page of this app."""
    target = request.form.get("back") or request.args.get("back") or ""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc \
            or "\\" in target:
        return default
    return target


def _refused(error: Exception):
    """A deliberate refusal (the library's, or a bad value in a form): said on the page."""
    message = str(error)
    if request.method == "POST":
        flash(message[:MAX_FLASH] + ("…" if len(message) > MAX_FLASH else ""), "error")
        return redirect(back_to(_index_of_blueprint()))
    return render_template("error.html", message=message, title="Không thực hiện được"), 400


def _index_of_blueprint() -> str:
    try:
        return url_for(f"{request.blueprint}.index") if request.blueprint else "/"
    except Exception:  # noqa: BLE001 - a blueprint without an index page: go home
        return "/"


def _http_error(error: HTTPException):
    code = error.code or 400
    if code == 413:
        limit = (request.max_content_length or 0) / (1024 * 1024)
        message = (f"Tệp tải lên quá lớn: mỗi lần tải lên tối đa {limit:g} MB. Hãy chọn tệp nhỏ "
                   "hơn, hoặc tải ảnh lên thành nhiều lần.")
    elif error.description in REFUSALS:
        message = REFUSALS[error.description]
    else:
        message = HTTP_MESSAGES.get(code, f"Yêu cầu không thực hiện được (mã {code}).")
    if error.description == "host":
        # Not our page: answer briefly, without the registry's name in the header.
        return render_template("refused.html", message=message), code
    return render_template("error.html", message=message, title="Không thực hiện được",
                           plain=True), code


def _bug(error: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return render_template("error.html", message=APOLOGY, title="Xin lỗi", plain=True), 500


def _job_status(job_id: str):
    job = desk().jobs.get(job_id)
    if job is None:
        raise NotFound()
    return jsonify(status(job))


def _font(name: str):
    if name not in FONTS:
        raise NotFound()
    # The posters' own typeface, from its PyPI package: no font is ever fetched from elsewhere.
    folder = resources.files("fontpkg_be_vietnam_pro") / "files"
    return send_from_directory(str(folder), FONTS[name], mimetype="font/ttf", max_age=86400)
