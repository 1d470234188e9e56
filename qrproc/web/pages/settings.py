"""Cài đặt: the unit (its name, province and details; the first save sets the registry up), what
the QR codes link to and the hosts allowed, and the scope (agencies left out, codes added or
removed, each with the unit's reason)."""

from __future__ import annotations

from contextlib import closing

from flask import Blueprint, flash, redirect, render_template, request, url_for

from qrproc import board
from qrproc import scope as scopemod
from qrproc.catalogue import scope_rules, set_scope
from qrproc.model import vi_sort_key
from qrproc.provinces import PROVINCES, find_province
from qrproc.registry import Registry
from qrproc.web.desk import InputError, checked, desk, read_codes, reader, writer

bp = Blueprint("settings", __name__, url_prefix="/cai-dat")

#: The unit's details as the form names them (board.UNIT_DETAILS), with their labels.
DETAILS = (
    ("centre", "Tên Trung tâm Phục vụ hành chính công (in trên bảng)"),
    ("address", "Địa chỉ (in trên thẻ)"),
    ("hotline", "Đường dây nóng (in trên thẻ)"),
    ("preparer", "Người lập báo cáo"),
    ("head", "Thủ trưởng đơn vị ký báo cáo"),
    ("place", "Địa danh ghi nơi ký báo cáo"),
)


def provinces() -> list:
    return sorted(PROVINCES, key=lambda p: vi_sort_key(p.name))


@bp.get("/")
def index():
    d = desk()
    ready = d.exists and reader().initialised
    context = {"ready": ready, "provinces": provinces(), "details": DETAILS, "settings": {}}
    if ready:
        registry = reader()
        rules = scope_rules(registry)
        payload = board.payload_config(registry)
        context.update(settings=registry.settings(), payload=payload, rules=rules,
                       always_allowed=sorted(set(payload.allowed_hosts) - set(payload.extra_hosts)),
                       rule_text=scopemod.describe_rule(rules, registry.get_setting("unit") or ""))
    return render_template("settings.html", **context)


@bp.post("/don-vi")
def unit():
    """Save the unit; when there is no registry yet, this is the explicit set-up that creates it."""
    form = request.form
    name = (form.get("don_vi") or "").strip()
    if not name:
        raise InputError("Hãy nhập tên đơn vị, ví dụ: UBND xã Nghĩa Trụ.")
    try:
        province = find_province(form.get("tinh") or "").hcode
    except ValueError:
        raise InputError("Hãy chọn tỉnh, thành phố của đơn vị trong danh sách.") from None
    d = desk()
    first = not (d.exists and reader().initialised)
    details = {key: form.get(key, "") for key, _ in DETAILS}
    if d.exists:
        board.setup_unit(writer(), unit=name, province=province, at=d.now(), **details)
    else:
        with closing(Registry(d.db, create=True)) as registry:
            board.setup_unit(registry, unit=name, province=province, at=d.now(), **details)
    if first:
        flash(f"Đã tạo sổ đăng ký cho {name}. Bước tiếp theo: nhập danh mục TTHC.", "ok")
        return redirect(url_for("imports.index"))
    flash("Đã lưu thông tin đơn vị.", "ok")
    return redirect(url_for(".index"))


@bp.post("/lien-ket")
def links():
    form = request.form
    registry = writer()
    current = board.payload_config(registry)
    board.set_payload(registry, template=(form.get("mau") or "").strip() or None,
                template_code=(form.get("mau_ma") or "").strip() or None,
                allow_hosts=(form.get("ten_mien") or "").split(), ec=current.ec,
                reset=True, at=desk().now())
    flash("Đã lưu liên kết của mã QR.", "ok")
    return redirect(url_for(".index"))


@bp.post("/pham-vi")
def scope():
    form = request.form
    action = form.get("viec", "")
    reason = (form.get("ly_do") or "").strip()
    registry = writer()
    at = desk().now()
    if action in ("loai-co-quan", "them-ma", "bo-ma") and not reason:
        raise InputError("Hãy ghi lý do: lý do được in trong báo cáo, cạnh tỷ lệ niêm yết.")
    if action == "loai-co-quan":
        agency = (form.get("co_quan") or "").strip()
        if not agency:
            raise InputError("Hãy nhập tên cơ quan cần loại trừ, ví dụ: Công an cấp xã.")
        set_scope(registry, exclude=((agency, reason),), at=at)
    elif action == "bo-loai-tru":
        set_scope(registry, include=(form.get("co_quan") or "",), at=at)
    elif action in ("them-ma", "bo-ma"):
        codes = read_codes(form.get("ma") or "")
        if not codes:
            raise InputError("Hãy nhập mã TTHC.")
        pairs = tuple((code, reason) for code in codes)
        set_scope(registry, add=pairs if action == "them-ma" else (),
                  remove=pairs if action == "bo-ma" else (), at=at)
    elif action == "thoi-ma":
        # Taking a code's choice back: the same rules restated without it.
        code = form.get("ma", "")
        rules = scope_rules(registry)
        set_scope(registry, reset=True, province_received=rules.province_received,
                  exclude=tuple((e.agency, e.reason) for e in rules.exclusions),
                  add=tuple(a for a in rules.added if a[0] != code),
                  remove=tuple(r for r in rules.removed if r[0] != code), at=at)
    elif action == "tinh-tiep-nhan":
        set_scope(registry, province_received=checked(form, "co"), at=at)
    else:
        raise InputError("Không rõ cần thay đổi gì trong phạm vi niêm yết.")
    flash("Đã lưu phạm vi niêm yết.", "ok")
    return redirect(url_for(".index"))
