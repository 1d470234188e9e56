"""How the desk names the choices that the library's messages point to (`i18n.option`).

The library's refusals say what to do next; on the command line that is a flag ("use
--amend"), on the desk it is a box on the import form. Every request and every background job
of the desk runs inside ``i18n.naming(DESK_WORDS)``, so the same refusal reads "hãy đánh dấu ô
“Tệp chỉ liệt kê các thay đổi”" here. The labels quoted are those of
templates/_import.html and imports.html, and of pages/printing.py's choices.
"""

from __future__ import annotations

OTHER_OPTIONS = "“Tùy chọn khác”"
BY_CODE = "“Một số thủ tục (theo mã)”"

DESK_WORDS = {
    "import_where": "(trang “Nhập danh mục”)",
    "with_effective": "vào ô “Ngày hiệu lực”",
    "with_other_province": ("sau khi đánh dấu ô “Nhập danh mục của tỉnh khác (có chủ ý)” trong "
                            f"{OTHER_OPTIONS}"),
    "with_own_list": ("sau khi đánh dấu ô “Đây là danh mục riêng của đơn vị” trong "
                      f"{OTHER_OPTIONS}"),
    "use_amend": "đánh dấu ô “Tệp chỉ liệt kê các thay đổi”",
    "use_accept_drop": ("đánh dấu ô “Chấp nhận danh mục thiếu hơn 20% số thủ tục của danh mục trước” "
                        f"trong {OTHER_OPTIONS}"),
    "amend": "ô “Tệp chỉ liệt kê các thay đổi”",
    "use_fetch": ("lấy danh mục ở phần “Lấy từ Cổng Dịch vụ công quốc gia” (việc này đọc thông tin "
                  "chi tiết của từng thủ tục)"),
    # the desk does not record a label in force as taken down: a torn or lost one is replaced
    "if_it_came_down": ("Nếu thẻ đã bị rách hoặc mất, hãy in lại thẻ đó ở trang “In” (chọn "
                        f"{BY_CODE}) rồi dán lại; thẻ vẫn được tính là đang niêm yết"),
    "if_they_came_down": ("Nếu các thẻ đã bị rách hoặc mất, hãy in lại ở trang “In” (chọn "
                          f"{BY_CODE}) rồi dán lại; các thẻ vẫn được tính là đang niêm yết"),
    "again": "thử lại",
    "use_single": "chọn kiểu “Mỗi thủ tục một trang” ở trang “In”",
    "force_if_gone": ("bấm “Chỉ lưu làm bằng chứng”, rồi ghi gỡ ở trang “Đánh dấu” những thẻ thực sự "
                      "không còn trên bảng"),
    "allow_host": "hãy thêm {host} vào ô “Tên miền được phép thêm” ở trang “Cài đặt”",
    "set_template": "đặt ở ô “Mẫu liên kết khi biết mã thủ tục trên Cổng”, trang “Cài đặt”",
    "find_links": ("danh mục lấy ở phần “Lấy từ Cổng Dịch vụ công quốc gia” ghi trang riêng của "
                   "từng thủ tục"),
}
