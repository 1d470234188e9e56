"""Bảng niêm yết: the board on a day — counts by field, and what to print, reprint, take down or
wait for, each with its reason; search by code or name."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request

from qrproc import board
from qrproc.model import fold, vi_sort_key
from qrproc.web.desk import desk, read_date, reader

bp = Blueprint("board", __name__)

#: The diff's lists as the page shows them: (attribute, title, what to do).
SECTIONS = (
    ("to_post", "Cần in và dán", "Thủ tục đang có hiệu lực nhưng chưa có trên bảng."),
    ("to_reprint", "Cần in lại", "Nhãn trên bảng là phiên bản cũ hoặc là mã đã được thay thế."),
    ("to_take_down", "Cần gỡ xuống", "Nhãn trên bảng không còn áp dụng."),
    ("not_yet_effective", "Chưa có hiệu lực", "Đã công bố, sẽ áp dụng từ ngày ghi bên cạnh."),
    ("needs_code", "Thiếu mã TTHC", "Dòng trong danh mục không có mã hợp lệ: cần sửa nguồn."),
)
COLUMNS = ("unchanged", "to_post", "to_reprint", "to_take_down", "not_yet_effective")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    hint: str
    items: tuple


@dataclass(frozen=True)
class FieldRow:
    field: str
    counts: dict


def field_rows(diff) -> list[FieldRow]:
    """How many labels of each field (lĩnh vực) are right, to print, reprint, take down, or wait."""
    table: dict[str, dict[str, int]] = {}
    for column in COLUMNS:
        for item in getattr(diff, column):
            row = table.setdefault(item.procedure.field or "", dict.fromkeys(COLUMNS, 0))
            row[column] += 1
    return [FieldRow(f, c) for f, c in sorted(table.items(), key=lambda kv: vi_sort_key(kv[0]))]


def matches(query: str):
    """A filter on code or name, without regard to case or accents."""
    key = fold(query)
    return lambda p: not key or key in fold(p.code) or key in fold(p.name)


@bp.get("/")
def index():
    day = read_date(request.args.get("ngay"), desk().today(), what="Ngày xem")
    query = (request.args.get("tim") or "").strip()
    st = board.status(reader(), day)
    d = st.diff
    wanted = matches(query)
    sections, unchanged, out_of_scope, fields = [], (), (), []
    if d is not None:
        sections = [Section(key, title, hint, tuple(i for i in getattr(d, key) if wanted(i.procedure)))
                    for key, title, hint in SECTIONS]
        unchanged = tuple(i for i in d.unchanged if wanted(i.procedure))
        out_of_scope = tuple((p, v) for p, v in d.out_of_scope if wanted(p))
        fields = field_rows(d)
    found = sum(len(s.items) for s in sections) + len(unchanged) + len(out_of_scope)
    return render_template("board.html", day=day, query=query, st=st, diff=d, sections=sections,
                           unchanged=unchanged, out_of_scope=out_of_scope, fields=fields,
                           columns=COLUMNS, found=found)
