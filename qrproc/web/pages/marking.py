"""Đánh dấu: record each card as put up and each old label as taken down (or a whole print batch
at once), with the day; undo the last change. Each of these is first shown as it would be
recorded (a dry run), then confirmed."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for

from qrproc import board
from qrproc.catalogue import catalogue_on
from qrproc.diff import vn_date
from qrproc.web.desk import (InputError, desk, ensure_unchanged, journal_mark, read_codes,
                             read_date, reader, writer)

bp = Blueprint("marking", __name__, url_prefix="/danh-dau")

#: dán: cards ticked; lô: a print batch's cards; gỡ: labels ticked; gỡ-lô: a batch's takedown
#: sheet; hoàn tác: the latest change.
ACTIONS = ("dan", "lo", "go", "go-lo", "hoan-tac")
#: The journal's commands, as the page names them.
COMMANDS = {
    "init": "Thiết lập đơn vị", "import": "Nhập danh mục", "post": "Ghi nhận dán nhãn",
    "takedown": "Ghi nhận gỡ nhãn", "audit": "Kiểm tra ảnh", "scope": "Đổi phạm vi niêm yết",
    "undo": "Hoàn tác", "correct": "Sửa mã TTHC", "links": "Liên kết trang thủ tục",
    "settings": "Đổi cài đặt", "payload": "Đổi liên kết mã QR",
}


@dataclass(frozen=True)
class Plan:
    """One marking, as the dry run recorded it."""

    action: str
    day: object
    codes: tuple[str, ...]
    number: int | None          # the print batch, or the change an undo reverts
    done: tuple[str, ...]       # recorded
    same: tuple[str, ...]       # already so (up to date, or not on the board)
    undone: tuple = ()          # the changes an undo reverts
    names: dict | None = None


@bp.get("/")
def index():
    registry = reader()
    day = read_date(request.args.get("ngay"), desk().today(), what="Ngày")
    diff = board.board_diff(registry, day) if catalogue_on(registry, day) else None
    changes = registry.changes()
    last = registry.open_changes()[-1:] or [None]
    return render_template("marking.html", day=day, diff=diff,
                           open_batches=board.batch_states(registry, day),
                           last=last[0], changes=list(reversed(changes))[:8], commands=COMMANDS)


def _read(form) -> tuple[str, object, tuple[str, ...], int | None]:
    action = form.get("viec", "")
    if action not in ACTIONS:
        raise InputError("Hãy chọn việc cần ghi nhận.")
    day = read_date(form.get("ngay"), desk().today() if action == "hoan-tac" else None,
                    what="Ngày dán hoặc gỡ")
    codes = tuple(read_codes(form.getlist("ma"))) if action in ("dan", "go") else ()
    if action in ("dan", "go") and not codes:
        raise InputError("Chưa đánh dấu thẻ nào: hãy tích vào các thẻ đã dán hoặc đã gỡ.")
    number = None
    if action in ("lo", "go-lo"):
        try:
            number = int(form.get("lo", ""))
        except ValueError:
            raise InputError("Hãy chọn đợt in đã dán.") from None
    if action == "hoan-tac":
        try:
            number = int(form.get("thay_doi", ""))  # the change the page showed as the latest
        except ValueError:
            raise InputError("Không rõ thay đổi nào cần hoàn tác; hãy tải lại trang.") from None
    return action, day, codes, number


def _record(registry, action, day, codes, number) -> Plan:
    at = desk().now()
    if action == "dan":
        done, same = board.post_codes(registry, codes, day=day, at=at)
    elif action == "lo":
        done, same = board.post_batch(registry, number, day=day, at=at)
    elif action == "go":
        done, same = board.take_down(registry, codes, day=day, at=at)
    elif action == "go-lo":
        done, same = board.take_down_batch(registry, number, day=day, at=at)
    else:
        latest = registry.open_changes()[-1:]
        if not latest or latest[0].id != number:
            raise InputError("Thay đổi gần nhất không còn là thay đổi trang đã hiện (vừa có thay "
                             "đổi mới, hoặc đã hoàn tác rồi). Hãy tải lại trang.")
        undone = board.undo(registry, at=at, back_to=number)
        return Plan(action, day, codes, number, (), (), tuple(undone))
    return Plan(action, day, codes, number, tuple(done), tuple(same))


@bp.post("/xem-truoc")
def preview():
    action, day, codes, number = _read(request.form)
    registry = writer()
    mark = journal_mark(registry)
    with registry.dry_run():
        plan = _record(registry, action, day, codes, number)
    names = _names(registry, day)
    return render_template("marking_confirm.html", plan=plan, mark=mark, names=names,
                           commands=COMMANDS)


@bp.post("/ghi")
def record():
    action, day, codes, number = _read(request.form)
    try:
        mark = int(request.form.get("moc", ""))
    except ValueError:
        raise InputError("Thiếu thông tin của bản xem trước; hãy làm lại từ trang Đánh dấu.") from None
    registry = writer()
    with registry.transaction():
        ensure_unchanged(registry, mark)
        plan = _record(registry, action, day, codes, number)
    flash(_said(plan), "ok")
    return redirect(url_for(".index", ngay=day.isoformat()))


def _said(plan: Plan) -> str:
    day = vn_date(plan.day)
    if plan.action == "hoan-tac":
        return "Đã hoàn tác thay đổi số " + ", ".join(str(c.id) for c in plan.undone) + "."
    if plan.action in ("go", "go-lo"):
        return f"Đã ghi nhận gỡ {len(plan.done)} nhãn ngày {day}."
    return f"Đã ghi nhận dán {len(plan.done)} thẻ ngày {day}."


def _names(registry, day) -> dict:
    """Code -> name of what the board and the catalogue know, for the confirmation page."""
    names = {code: p.procedure.name for code, p in registry.posted().items()}
    view = catalogue_on(registry, day)
    if view is not None:
        names.update({p.code: p.name for p in view.included if p.code})
    return names
