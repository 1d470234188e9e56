"""Which header text means which `Procedure` field, shared by every tabular source.

Headers are matched on their folded form (no diacritics, lower case, punctuation as spaces), so
'Mã số TTHC', 'MÃ SỐ TTHC' and 'Ma so TTHC' are the same header. Column order never matters.
"""

from __future__ import annotations

import re

from qrproc.i18n import _
from qrproc.model import fold

# canonical field -> header texts that mean it (written naturally; folded when used)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("Mã TTHC", "Mã số TTHC", "Mã thủ tục", "Mã số", "Mã TTHC gốc", "Mã thủ tục hành chính",
             "Số hồ sơ TTHC", "Mã số hồ sơ TTHC", "Mã", "code", "ma_tthc", "ma_thu_tuc", "maTTHC",
             "TTHC_MA", "PROCEDURE_CODE", "procedure_code"),
    "name": ("Tên TTHC", "Tên thủ tục", "Tên thủ tục hành chính", "Tên", "name", "ten_tthc",
             "ten_thu_tuc", "tenTTHC", "tenThuTuc", "PROCEDURE_NAME", "NAME"),
    "field": ("Lĩnh vực", "Lĩnh vực thực hiện", "field", "linh_vuc", "linhVuc", "FIELD_NAME",
              "category", "categories"),
    "levels": ("Cấp thực hiện", "Cấp", "level", "levels", "cap_thuc_hien", "capThucHien",
               "level_label", "Cấp giải quyết"),
    "agency": ("Cơ quan thực hiện", "Cơ quan giải quyết", "Cơ quan công khai", "Địa điểm thực hiện",
               "Địa chỉ tiếp nhận", "agency", "co_quan_thuc_hien", "coQuanThucHien",
               "IMPLEMENTATION_AGENCY", "departments"),
    "portal_id": ("ID trên Cổng", "ID", "Mã trên Cổng", "portal_id", "uuid", "formalityId",
                  "formality_id", "url", "link", "Đường dẫn", "Liên kết", "Đường dẫn trên Cổng",
                  "Link Cổng DVC", "URL trên Cổng"),
    "processing_time": ("Thời hạn giải quyết", "Thời hạn giải quyết (Ngày làm việc)",
                        "Thời gian giải quyết", "processing_time", "thoi_han_giai_quyet"),
    "fees": ("Phí, lệ phí", "Phí, lệ phí (vnđ) (nếu có)", "Phí, lệ phí (nếu có)", "Lệ phí", "Phí",
             "Phí, lệ phí (đồng)", "fees", "phi_le_phi"),
    "decision": ("QĐ Công bố", "Quyết định công bố", "Số quyết định", "Số QĐ", "Số quyết định công bố",
                 "decision", "so_quyet_dinh", "decisionNo"),
    "decision_date": ("Ngày quyết định", "Ngày ban hành", "Ngày QĐ", "Ngày ký", "decision_date",
                      "ngay_quyet_dinh"),
    "effective": ("Ngày hiệu lực", "Ngày có hiệu lực", "Hiệu lực từ", "effective",
                  "ngay_hieu_luc", "effective_date"),
    "status": ("Tình trạng", "Tình trạng hiệu lực", "Trạng thái", "status", "state", "trang_thai"),
    "change": ("Loại thay đổi", "Hình thức thay đổi", "Loại công bố", "change", "change_type",
               "loai_thay_doi"),
    "kind": ("Loại TTHC", "Loại thủ tục", "Loại thủ tục hành chính", "loai_tthc", "loaiTTHC",
             "type", "kind"),
    "promulgator": ("Cơ quan ban hành", "Cơ quan công bố", "Đơn vị ban hành", "co_quan_ban_hanh",
                    "departmentPromulgate", "promulgator", "PUBLISHED_AGENCY"),
    "replaced_by": ("Thay thế bởi", "Được thay thế bởi", "Mã TTHC thay thế", "replaced_by"),
    "replaces": ("Số hồ sơ TTHC được thay thế", "Mã TTHC được thay thế", "Mã số TTHC được thay thế",
                 "Mã TTHC bị thay thế", "replaces"),
    "replaces_name": ("Tên TTHC được thay thế", "Tên thủ tục được thay thế", "Tên TTHC bị thay thế"),
    "seq": ("TT", "STT", "Số TT", "Số thứ tự", "ROW_STT"),
    "note": ("Ghi chú", "note"),
}

#: Fields without which a table is not a procedure list.
REQUIRED = ("code", "name")



_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def header_key(text: str) -> str:
    """A header cell or JSON key as compared: camelCase split, then folded ('linhVuc' -> 'linh vuc')."""
    return fold(_CAMEL.sub(" ", str(text)))


_FOLDED = {field: {header_key(a) for a in aliases} for field, aliases in HEADER_ALIASES.items()}


def match_header(text: str) -> str | None:
    """The canonical field a header cell names, or None. 'Mã số TTHC' -> 'code'."""
    key = header_key(text)
    if not key:
        return None
    for field, names in _FOLDED.items():
        if key in names:
            return field
    return None


def expected_headers() -> str:
    """Human list of the headers a table must have, for error messages."""
    code, name = (f"'{HEADER_ALIASES[f][0]}'" for f in REQUIRED)
    others = ", ".join(f"'{HEADER_ALIASES[f][0]}'" for f in HEADER_ALIASES
                       if f not in REQUIRED and f not in ("seq", "note", "replaces_name"))
    return _("{code} and {name} (other columns recognised: {others})").format(
        code=code, name=name, others=others)
