"""Which header text means which `Procedure` field, shared by every tabular source.

Headers are matched on their folded form (no diacritics, lower case, punctuation as spaces), so
'Mã số TTHC', 'MÃ SỐ TTHC' and 'Ma so TTHC' are the same header. Column order never matters.
"""

from __future__ import annotations

from qrproc.model import fold

# canonical field -> header texts that mean it (written naturally; folded when used)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("Mã TTHC", "Mã số TTHC", "Mã thủ tục", "Mã số", "Mã TTHC gốc", "Mã thủ tục hành chính",
             "Mã", "code", "ma_tthc"),
    "name": ("Tên TTHC", "Tên thủ tục", "Tên thủ tục hành chính", "Tên", "name", "ten_tthc"),
    "field": ("Lĩnh vực", "Lĩnh vực thực hiện", "field", "linh_vuc"),
    "levels": ("Cấp thực hiện", "Cấp", "level", "levels", "cap_thuc_hien"),
    "agency": ("Cơ quan thực hiện", "Cơ quan giải quyết", "Cơ quan công khai", "Địa điểm thực hiện",
               "agency"),
    "portal_id": ("ID trên Cổng", "ID", "Mã trên Cổng", "portal_id", "uuid"),
    "processing_time": ("Thời hạn giải quyết", "Thời hạn giải quyết (Ngày làm việc)",
                        "Thời gian giải quyết", "processing_time"),
    "fees": ("Phí, lệ phí", "Phí, lệ phí (vnđ) (nếu có)", "Phí, lệ phí (nếu có)", "Lệ phí", "Phí",
             "fees"),
    "decision": ("QĐ Công bố", "Quyết định công bố", "Số quyết định", "decision"),
    "effective": ("Ngày hiệu lực", "Ngày có hiệu lực", "Hiệu lực từ", "effective"),
    "status": ("Tình trạng", "Tình trạng hiệu lực", "Trạng thái", "status"),
    "replaced_by": ("Thay thế bởi", "Được thay thế bởi", "Mã TTHC thay thế", "replaced_by"),
    "seq": ("TT", "STT", "Số TT", "Số thứ tự"),
    "note": ("Ghi chú", "note"),
}

#: Fields without which a table is not a procedure list.
REQUIRED = ("code", "name")

_FOLDED = {field: {fold(a) for a in aliases} for field, aliases in HEADER_ALIASES.items()}


def match_header(text: str) -> str | None:
    """The canonical field a header cell names, or None. 'Mã số TTHC' -> 'code'."""
    key = fold(text)
    if not key:
        return None
    for field, names in _FOLDED.items():
        if key in names:
            return field
    return None


def expected_headers() -> str:
    """Human list of the headers a table must have, for error messages."""
    return " and ".join(f"'{HEADER_ALIASES[f][0]}'" for f in REQUIRED) + (
        " (other columns recognised: " + ", ".join(
            f"'{HEADER_ALIASES[f][0]}'" for f in HEADER_ALIASES if f not in REQUIRED and f not in ("seq", "note")
        ) + ")"
    )
