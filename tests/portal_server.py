"""A small threaded HTTP server on 127.0.0.1 that imitates the national portal, for tests and the
benchmark. Responses follow the real shapes (see sources.md §1–2): the new JSON API's envelopes
(HTTP 201, `{"code": "OK", "data": …}`), the old `rest.jsp` gateway and the old detail page.

Faults are planned per kind of call ("list", "detail", "provinces", "rest", "page"):
`plan(kind, *actions)` applies the actions to the next requests of that kind, one each;
`always(kind, action)` applies it to every request until `clear_faults()`. Actions:
"html" (the firewall's block page), 503 / 429 / any status, ("status", code, retry_after),
("sleep", seconds) (answer late), "drop" (close the connection without answering).
Every request is recorded in `calls` as (kind, key).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LIST_PATH = "/api/v1/submitting/formality/list-all-public-formality-by-citizen"
DETAIL_PATH = "/api/v1/configuring/formality/get-formality-by-citizen"
PROVINCES_PATH = "/api/v1/configuring/province-vn/list-by-citizen"
REST_PATH = "/jsp/rest.jsp"
PAGE_PATH = "/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html"

FIREWALL_PAGE = (b"<html><head><title>Request Rejected</title></head><body>The requested URL was "
                 b"rejected. Please consult with your administrator.<br>Your support ID is: "
                 b"1234567890</body></html>")

PROVINCE_ROWS = [
    {"id": "019bad30-cd82-76ed-b1cc-14070f806e01", "name": "Thành phố Hà Nội", "code": "01", "state": "ACTIVE"},
    {"id": "019bad30-cd84-7750-aaa5-a4f8f67900ab", "name": "Tỉnh Hưng Yên", "code": "33", "state": "ACTIVE"},
    {"id": "019bad30-cd8a-7335-86b5-2a1f7f6f0f11", "name": "Thành phố Đà Nẵng", "code": "48", "state": "ACTIVE"},
    {"id": "019bad30-cd8b-71c2-9a3e-5c0e4a1b2c33", "name": "Tỉnh Thanh Hóa", "code": "38", "state": "ACTIVE"},
    {"id": "019bad30-cd8c-7a10-8f22-7d9e1b2c3d44", "name": "Thành phố Huế", "code": "46", "state": "ACTIVE"},
]


# -- builders in the real shapes ---------------------------------------------------------------
def list_item(pid: str, code: str, name: str, *, type: str = "STANDARD",
              promulgator: str = "Bộ Tư pháp", state: str = "ACTIVE",
              field: str = "Hộ tịch", departments: tuple[str, ...] = ()) -> dict:
    """One item of the public list, as `catalog.jsonl` has them (no updatedAt, no level)."""
    return {"id": pid, "name": name, "code": code, "codeNotation": code, "categories": [field],
            "categoryIds": ["019d2bbb-69ee-7079-a6b4-536173b5e483"], "departments": list(departments),
            "departmentPromulgate": promulgator,
            "departmentPromulgateId": "019d2be3-6a72-700f-a652-d603f1537007",
            "formalityTargetType": ["Công dân Việt Nam"], "state": state, "type": type}


def detail_for(item: dict, *, ward: bool = True, province: bool = False,
               promulgate_code: str = "G15", updated_at: int = 1776242191512,
               days: int = 1, fee: int = 0, decision: str = "163/QĐ-BTP") -> dict:
    """A detail (`data` of get-formality-by-citizen) for a list item, modelled on the real
    1.001193 and 1.009122 samples."""
    field = item["categories"][0] if item.get("categories") else "Hộ tịch"
    return {
        "id": item["id"], "code": item["code"], "codeNotation": item["code"], "name": item["name"],
        "executionSteps": [{"name": "", "description": "Bước 1: Nộp hồ sơ tại Bộ phận Một cửa."}],
        "executionMethods": [
            {"submissionMethod": "DIRECT", "processingTime": days, "processingTimeUnit": "WORKING_DAY",
             "description": "", "fees": [{"type": "FEE", "value": fee, "currencyId": "", "attachment": None,
                                           "description": "", "currencyName": "Việt Nam Đồng"}]},
            {"submissionMethod": "ONLINE", "processingTime": days, "processingTimeUnit": "WORKING_DAY",
             "description": "", "fees": [{"type": "FEE", "value": fee,
                                           "currencyId": "019b3fb2-b5b8-70ac-85e2-9409ec1eaffa",
                                           "attachment": None, "description": ""}]},
        ],
        "description": "", "decisionNo": "",
        "executionCases": [{"name": "* Giấy tờ phải nộp:", "profileComponents": [
            {"name": "Tờ khai theo mẫu", "originalQty": 1, "copyQty": 0, "required": True,
             "hasElectronicForm": False, "code": "000.00.00.G15-KQ0001", "attachments": []}]}],
        "formalityTargetType": [], "formalityType": "ASSIGNED_REGULATION",
        "state": item.get("state", "ACTIVE"), "isInternal": item.get("type") == "STANDARD_INTERNAL",
        "type": item.get("type", "STANDARD"),
        "isWard": ward, "isProvince": province, "isMinistry": False, "isOtherAgency": False,
        "isUndetermined": False, "isVertical": False,
        "categoriesDetails": [{"id": "019d2bbb-69ee-7079-a6b4-536173b5e483", "name": field, "code": "G15-TP07"}],
        "category": {"id": "019d2bbb-69ee-7079-a6b4-536173b5e483", "name": field, "code": "G15-TP07"},
        "departmentsExecuting": [],
        "unitGroupsExecuting": [{"id": "019d9015-9d25-73eb-a102-a33e4fe610da",
                                 "name": "Ủy ban nhân dân cấp xã" if ward else "Sở Tư pháp"}],
        "subjectTypesDetails": [{"id": "019b698a-6087-75ab-84ce-69f9a05c4feb", "name": "Công dân Việt Nam", "code": "ĐT1"}],
        "legalBasisesDetails": [{"id": "019d2bb3-5d7e-72d1-afe5-4a3d84ebccdb",
                                 "name": "Luật Hộ tịch số 60/2014/QH13", "code": "60/2014/QH13"}],
        "resultsDetails": [{"id": "019d2bb2-1c78-7725-a74f-c81331b081fe", "name": "Giấy khai sinh", "code": "KQ.G15.000031"}],
        "departmentPromulgateId": item.get("departmentPromulgateId", ""),
        "departmentPromulgateCode": promulgate_code,
        "departmentPromulgateName": item.get("departmentPromulgate", ""),
        "cases": [], "fees": [], "createdAt": 1775659978807, "updatedAt": updated_at,
        "executingAgencies": "", "dossierReceivingAddresses": "", "requirementsAndConditions": "",
        "procedureProposal": {"id": "019d2d8a-8b99-73fd-a62a-c413661246fd", "proposalNumber": decision,
                              "decisionDate": 1768496400000, "decisionNumber": None,
                              "publicationDate": 1775659978538,
                              "issuingAgency": {"id": "019d2be3-6a72-700f-a652-d603f1537007",
                                                "name": item.get("departmentPromulgate", "")},
                              "proposalType": item.get("type", "STANDARD")},
        "isOfflineOnly": False, "isNonTerritorial": False, "returningMethods": [],
    }


def search_row(pid: str, code: str, name: str, *, amount: int, stt: int,
               agency: str = "UBND tỉnh Hưng Yên", field: str = "Hộ tịch", qdcb: str = "115010") -> dict:
    """One row of rest.jsp `procedure_advanced_search_service_v2` (sources.md §2.2 field names)."""
    return {"ID": pid, "PROCEDURE_CODE": code, "PROCEDURE_NAME": name, "PUBLISHED_AGENCY": agency,
            "IMPLEMENTATION_AGENCY": "UBND cấp xã", "QDCBID": qdcb, "FIELD_NAME": field,
            "AMOUNT": str(amount), "ROW_STT": str(stt)}


def _entities(text: str) -> str:
    """Encode the way the old portal does: Latin-1 letters as named entities, the rest as is."""
    table = {"á": "&aacute;", "à": "&agrave;", "â": "&acirc;", "ã": "&atilde;", "é": "&eacute;",
             "ê": "&ecirc;", "ì": "&igrave;", "í": "&iacute;", "ò": "&ograve;", "ó": "&oacute;",
             "ô": "&ocirc;", "õ": "&otilde;", "ù": "&ugrave;", "ú": "&uacute;", "ý": "&yacute;",
             "<": "&lt;", ">": "&gt;"}
    return "".join(table.get(c, c) for c in text)


def old_detail_page(pid: str, code: str, name: str, *, level: str = "Cấp Xã",
                    field: str = "Hộ tịch", decision: str = "1234/QĐ-UBND",
                    agency: str = "Ủy ban nhân dân cấp xã", days: str = "7 Ngày làm việc",
                    fee: str = "") -> str:
    """A hand-written old detail page: the #popupChitietTTHC modal with .info-row pairs."""
    def row(label: str, value: str, cls: str = "") -> str:
        return (f'<div class="row info-row">\n<div class="col-sm-3 col-xs-12 key">\n{_entities(label)}\n'
                f'</div>\n<div class="col-sm-9 col-xs-12{cls}">\n{value}\n</div>\n</div>\n')

    methods = (
        '<div class="table-content"><table class="table-data"><thead><tr>'
        '<th style="width:10%;">H&igrave;nh thức nộp</th><th>Thời hạn giải quyết</th>'
        '<th>Ph&iacute;, lệ ph&iacute;</th><th>M&ocirc; tả</th></tr></thead><tbody>'
        f'<tr><td>Trực tiếp</td><td> {_entities(days)} </td><td> {_entities(fee)} </td><td class="content"></td></tr>'
        f'<tr><td>Trực tuyến</td><td> {_entities(days)} </td><td> {_entities(fee)} </td><td class="content"></td></tr>'
        '</tbody></table></div>')
    rows = "".join([
        row("Mã thủ tục:", code), row("Số quyết định:", decision), row("Tên thủ tục:", _entities(name)),
        row("Cấp thực hiện:", _entities(level)), row("Loại thủ tục:", "TTHC được luật giao quy định chi tiết"),
        row("Lĩnh vực:", _entities(field)), row("Trình tự thực hiện:", "", " cls-impl-orders"),
        row("Cách thức thực hiện:", methods),
        row("Đối tượng thực hiện:", "Công dân Việt Nam"), row("Cơ quan thực hiện:", _entities(agency)),
        row("Cơ quan có thẩm quyền:", "Không có thông tin"),
        row("Địa chỉ tiếp nhận HS:", "Không có thông tin"), row("Kết quả thực hiện:", "Giấy khai sinh"),
    ])
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Chi tiết thủ tục</title></head>'
        f'<body><h1 class="main-title">{_entities(name)}</h1>'
        f'<a href="/jsp/tthc/export/export_word_detail_tthc.jsp?maTTHC={code}&amp;idTTHC={pid}">Tải</a>'
        '<div id="popupChitietTTHC" class="modal fade popupChitietTTHC" role="dialog">'
        '<div class="modal-dialog"><div class="modal-content"><div class="modal-body">'
        '<h2 class="main-title">Chi tiết thủ tục h&agrave;nh ch&iacute;nh:</h2><div class="content">'
        f'{rows}</div></div></div></div></div>'
        f"<script>var obj = new Object(); obj.id = '{pid}'; obj.parent_id = '';</script></body></html>"
    )


# -- the server ----------------------------------------------------------------------------------
class FakePortal:
    """The state behind the server: catalogue, details, old-portal data, faults, and a call log."""

    def __init__(self, items: list[dict] | None = None, details: dict[str, dict] | None = None, *,
                 provinces: list[dict] | None = None, total: int | None = None):
        self.items = list(items or [])
        self.details = dict(details or {})
        self.provinces = list(PROVINCE_ROWS if provinces is None else provinces)
        self.total = total                 # None: len(items)
        self.legacy_rows: list[dict] = []
        self.legacy_amount: int | None = None
        self.legacy_pages: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.rest_params: list[dict] = []      # the decoded `params` JSON of each rest.jsp call
        self.headers: list[dict] = []
        self._planned: dict[str, deque] = defaultdict(deque)
        self._always: dict[str, object] = {}
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # faults
    def plan(self, kind: str, *actions) -> None:
        with self._lock:
            self._planned[kind].extend(actions)

    def always(self, kind: str, action) -> None:
        with self._lock:
            self._always[kind] = action

    def clear_faults(self) -> None:
        with self._lock:
            self._planned.clear()
            self._always.clear()

    def _fault(self, kind: str):
        with self._lock:
            if self._planned[kind]:
                return self._planned[kind].popleft()
            return self._always.get(kind)

    # counting
    def count(self, kind: str, key: str | None = None) -> int:
        return sum(1 for k, v in self.calls if k == kind and (key is None or v == key))

    def reset_calls(self) -> None:
        self.calls.clear()
        self.headers.clear()
        self.rest_params.clear()

    # answers
    def list_page(self, body: dict) -> dict:
        limit = int(body.get("limit") or 50)
        last = body.get("lastId") or ""
        ids = [i["id"] for i in self.items]
        start = ids.index(last) + 1 if last in ids else 0
        page = self.items[start:start + limit]
        return {"items": page, "lastId": page[-1]["id"] if page else last,
                "total": len(self.items) if self.total is None else self.total}

    # server
    def start(self) -> str:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> "FakePortal":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _handler(portal: FakePortal):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # headers and body go out in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK add 40 ms to every keep-alive request
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def _json(self, data, status: int = 201) -> None:
            self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                       "application/json; charset=utf-8")

        def _apply_fault(self, kind: str) -> bool:
            """True when the fault answered the request (nothing more to send)."""
            action = portal._fault(kind)
            if action is None:
                return False
            if action == "drop":
                self.close_connection = True
                return True
            if action == "html":
                self._send(200, FIREWALL_PAGE, "text/html; charset=utf-8")
                return True
            if isinstance(action, int):
                self._send(action, b"<html><body>Service Unavailable</body></html>", "text/html")
                return True
            if action[0] == "status":
                _, status, retry_after = action
                self._send(status, b"busy", "text/plain",
                           {"Retry-After": str(retry_after)} if retry_after is not None else None)
                return True
            if action[0] == "sleep":
                time.sleep(action[1])
                return False
            raise ValueError(f"unknown fault {action!r}")

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_POST(self):
            path = urlsplit(self.path).path
            raw = self._read_body()
            portal.headers.append(dict(self.headers))
            if path == REST_PATH:
                form = parse_qs(raw.decode("utf-8"))
                params = json.loads(form.get("params", ["{}"])[0])
                portal.calls.append(("rest", str(params.get("pageIndex"))))
                portal.rest_params.append(params)
                if self._apply_fault("rest"):
                    return
                self._json(self._legacy_page(params), status=200)
                return
            body = json.loads(raw or b"{}")
            if path == LIST_PATH:
                portal.calls.append(("list", body.get("lastId") or ""))
                if self._apply_fault("list"):
                    return
                self._json({"code": "OK", "data": portal.list_page(body), "message": "OK"})
            elif path == DETAIL_PATH:
                pid = str(body.get("id"))
                portal.calls.append(("detail", pid))
                if self._apply_fault("detail"):
                    return
                detail = portal.details.get(pid)
                if detail is None:
                    self._json({"code": "NOT_FOUND", "data": None, "message": "Không tìm thấy thủ tục"})
                else:
                    self._json({"code": "OK", "data": detail, "message": "OK"})
            elif path == PROVINCES_PATH:
                portal.calls.append(("provinces", ""))
                if self._apply_fault("provinces"):
                    return
                self._json({"code": "OK", "data": {"rows": portal.provinces, "count": len(portal.provinces),
                                                   "lastId": None}, "message": "OK"})
            else:
                self._send(404, b"not found", "text/plain")

        def _legacy_page(self, params: dict) -> list:
            size = int(params.get("recordPerPage") or 10)
            index = int(params.get("pageIndex") or 1)
            rows = portal.legacy_rows[(index - 1) * size:index * size]
            amount = len(portal.legacy_rows) if portal.legacy_amount is None else portal.legacy_amount
            return [dict(r, AMOUNT=str(amount), ROW_STT=str((index - 1) * size + n + 1))
                    for n, r in enumerate(rows)]

        def do_GET(self):
            parts = urlsplit(self.path)
            portal.headers.append(dict(self.headers))
            if parts.path == PAGE_PATH:
                pid = parse_qs(parts.query).get("ma_thu_tuc", [""])[0]
                portal.calls.append(("page", pid))
                if self._apply_fault("page"):
                    return
                page = portal.legacy_pages.get(pid)
                if page is None:
                    self._send(404, b"<html><body>404</body></html>", "text/html")
                else:
                    self._send(200, page.encode("utf-8"), "text/html;charset=UTF-8")
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


def fast_session(**settings):
    """A session for tests: no rate limit, a 1 ms backoff base (configuration, not a mock)."""
    from qrproc.http import make_session

    settings.setdefault("rate", None)
    settings.setdefault("backoff", 0.001)
    settings.setdefault("timeout", (2.0, 5.0))
    return make_session(**settings)
