"""The old national portal (JSP generation): the `rest.jsp` gateway and the old detail page.

* The procedure search, `procedure_advanced_search_service_v2`, is `POST /jsp/rest.jsp` with the
  form body `params=<json>`; it answers a JSON array of rows, paged with `pageIndex` /
  `recordPerPage`, the total in the first row's `AMOUNT`. We ask for the procedures the
  province's agency carries out (`agency_type: "1"`, `impl_agency_id` = the province's old agency
  id from `portal.PROVINCES`), as the Hồ Chí Minh City crawler in the wild does.
* The level of a procedure is only on its detail page
  (`/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=<ID>`): the modal
  `#popupChitietTTHC` holds `.info-row` label/value pairs, labels HTML-entity encoded.

Same shape as `portal`: `fetch_*` do I/O with the shared session, `parse_*` are pure, and
`fetch_catalogue` puts them together with the on-disk cache. Old numeric ids are not the new
portal's UUIDs, so procedures from here carry no `portal_id`; `origin` keeps the detail URL.
"""

from __future__ import annotations

import json
from typing import Any

from bs4 import BeautifulSoup

from qrproc import http
from qrproc.errors import ParseError, SourceError
from qrproc.i18n import N_, _
from qrproc.model import Catalogue, Procedure, fold, make_procedure, parse_kind, parse_levels
from qrproc.sources.paging import Page, Pager, collect_pages
from qrproc.sources.cache import DetailCache, version_key
from qrproc.sources.portal import (
    UNCHANGED,
    OnProgress,
    Province,
    details_failed,
    ended_early,
    find_province,
    no_progress,
)
from qrproc.sources.portal_json import json_type, not_a_number

DEFAULT_BASE_URL = "https://thutuc.dichvucong.gov.vn"
REST_PATH = "/jsp/rest.jsp"
DETAIL_PATH = "/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html"
SEARCH_SERVICE = "procedure_advanced_search_service_v2"
PAGE_SIZE = 50

POPUP_ID = "popupChitietTTHC"
ROW_SELECTOR = f"#{POPUP_ID} .info-row"
METHODS_HEADER = "hinh thuc nop"   # folded header of the "Cách thức thực hiện" table

#: folded label on the detail page → key of the dict `parse_detail_html` returns
LABELS = {
    "ma thu tuc": "code",
    "so quyet dinh": "decision",
    "ten thu tuc": "name",
    "cap thuc hien": "level",
    "loai thu tuc": "type",
    "linh vuc": "field",
    "co quan thuc hien": "agency",
    "co quan co tham quyen": "authority",
    "doi tuong thuc hien": "subjects",
    "ket qua thuc hien": "result",
}
NO_INFO = "khong co thong tin"


# -- pure -------------------------------------------------------------------------------------
def search_params(page_index: int, *, agency_id: str, per_page: int = PAGE_SIZE) -> dict:
    """The `params` JSON of one search page."""
    return {"type": "ref", "provider": "dvcquocgia", "service": SEARCH_SERVICE,
            "recordPerPage": per_page, "pageIndex": page_index, "is_connected": 0, "keyword": "",
            "agency_type": "1", "impl_agency_id": str(agency_id), "object_id": "-1",
            "field_id": "-1", "impl_level_id": "-1"}


def parse_search_page(rows: object, where: str = "search") -> tuple[list[dict], int | None]:
    """A search answer → (rows with an ID, the total from the first row's AMOUNT)."""
    if rows in (None, ""):
        return [], None
    if not isinstance(rows, list):
        raise ParseError(_("{where}: expected a JSON array of procedures, got {type}").format(
            where=where, type=json_type(rows)))
    kept = [r for r in rows if isinstance(r, dict) and r.get("ID")]
    total = None
    if kept and kept[0].get("AMOUNT") not in (None, ""):
        try:
            total = int(str(kept[0]["AMOUNT"]).strip())
        except ValueError:
            raise ParseError(not_a_number(where, "AMOUNT", kept[0]["AMOUNT"])) from None
    return kept, total


def _text(node) -> str:
    return " ".join(node.get_text(" ").split()) if node is not None else ""


def parse_detail_html(html: str, where: str = "detail page") -> dict[str, Any]:
    """The old detail page → a dict: `code`, `name`, `decision`, `level`, `field`, `agency`, …
    (see `LABELS`), every row under `rows` by its label as written, and the "Cách thức thực hiện"
    table under `methods` as [{method, time, fees, description}]. "Không có thông tin" is ''."""
    soup = BeautifulSoup(html, "html.parser")
    if soup.find(id=POPUP_ID) is None:
        raise ParseError(_("{where}: no #{block} block; not an old-portal detail page").format(
            where=where, block=POPUP_ID))
    out: dict[str, Any] = {key: "" for key in LABELS.values()}
    out["rows"] = {}
    out["methods"] = []
    for row in soup.select(ROW_SELECTOR):
        cells = row.find_all("div", recursive=False)
        if len(cells) < 2:
            continue
        label = _text(cells[0]).rstrip(":").strip()
        value_cell = cells[1]
        table = _methods_table(value_cell)
        if table is not None:
            out["methods"] = _parse_methods(table)
        value = _text(value_cell)
        if fold(value) == NO_INFO:
            value = ""
        out["rows"][label] = value
        key = LABELS.get(fold(label))
        if key and not out[key]:
            out[key] = value
    if not out["code"] and not out["name"]:
        raise ParseError(_("{where}: the #{block} block has no 'Mã thủ tục' nor 'Tên thủ tục'")
                         .format(where=where, block=POPUP_ID))
    return out


def _methods_table(cell):
    for table in cell.find_all("table"):
        headers = " ".join(fold(_text(th)) for th in table.find_all("th"))
        if METHODS_HEADER in headers:
            return table
    return None


def _parse_methods(table) -> list[dict[str, str]]:
    out = []
    body = table.find("tbody") or table
    for tr in body.find_all("tr"):
        cells = [_text(td) for td in tr.find_all("td")]
        if not cells:
            continue
        cells += [""] * (4 - len(cells))
        out.append({"method": cells[0], "time": cells[1], "fees": cells[2], "description": cells[3]})
    return out


def _per_method(methods: list[dict[str, str]], key: str) -> str:
    """'7 Ngày làm việc' when every way of submitting agrees, else 'Trực tiếp: 7 …; Trực tuyến: 5 …'."""
    values = [(m["method"], m[key]) for m in methods if m[key]]
    distinct = list(dict.fromkeys(v for _, v in values))
    if len(distinct) <= 1:
        return distinct[0] if distinct else ""
    return "; ".join(f"{method}: {value}" if method else value for method, value in values)


def procedure_from_detail(detail: dict[str, Any], *, where: str = "") -> Procedure:
    """Pure: a parsed old detail page (`parse_detail_html`) → Procedure."""
    methods = detail.get("methods") or []
    return make_procedure(
        kind=parse_kind(detail.get("type", "")),
        code=detail.get("code", ""),
        name=detail.get("name", ""),
        field=detail.get("field", ""),
        levels=parse_levels(detail.get("level", "")),
        agency=detail.get("agency", ""),
        processing_time=_per_method(methods, "time"),
        fees=_per_method(methods, "fees"),
        decision=detail.get("decision", ""),
        origin=where,
    )


# -- I/O ----------------------------------------------------------------------------------------
def fetch_search_page(session, base_url: str, page_index: int, *, agency_id: str,
                      per_page: int = PAGE_SIZE) -> object:
    """One page of the gateway's procedure search (the raw JSON array)."""
    params = search_params(page_index, agency_id=agency_id, per_page=per_page)
    return http.post_form(session, base_url.rstrip("/") + REST_PATH,
                          {"params": json.dumps(params, ensure_ascii=False)})


def detail_url(base_url: str, proc_id: str) -> str:
    return f"{base_url.rstrip('/')}{DETAIL_PATH}?ma_thu_tuc={proc_id}"


def fetch_detail_html(session, base_url: str, proc_id: str) -> str:
    """The old detail page of one procedure (by its internal numeric ID)."""
    return http.get_text(session, detail_url(base_url, proc_id), must_contain=POPUP_ID)


def fetch_search(session, base_url: str, *, agency_id: str, per_page: int = PAGE_SIZE,
                 cache: DetailCache | None = None,
                 on_progress: OnProgress = no_progress) -> tuple[list[dict], int | None]:
    """Every search row of the agency (deduplicated by ID) and the total the gateway gave.

    Pages go on disk as they arrive (when a cache is given) so an interrupted search resumes.
    """
    url = base_url.rstrip("/") + REST_PATH
    progress = (cache.progress("legacy-search", {"url": url, "params": search_params(0, agency_id=agency_id, per_page=per_page)})
                if cache else None)

    def read(rows: object, cursor: str) -> Page:  # the cursor is the page number
        kept, total = parse_search_page(rows, url)
        return Page(kept, total, str(int(cursor) + 1))

    pager = Pager(fetch=lambda cursor: fetch_search_page(session, base_url, int(cursor), agency_id=agency_id,
                                                         per_page=per_page),
                  read=read, first="1", key="ID", per_page=per_page, where=url,
                  says=N_("the gateway says"), stop_at_total=True)
    return collect_pages(pager, progress=progress, on_progress=on_progress)


def fetch_catalogue(session, base_url: str = DEFAULT_BASE_URL, *, province: str | Province,
                    cache: DetailCache | None = None, on_progress: OnProgress = no_progress,
                    per_page: int = PAGE_SIZE) -> Catalogue:
    """The procedures the province's agencies carry out, from the old portal, each with the
    level its detail page states (the scope rule decides what the commune receives).

    Same contract as `portal.fetch_catalogue`: an incomplete fetch raises SourceError and never
    becomes a catalogue; detail pages already read stay in the cache for the next run.
    """
    prov = province if isinstance(province, Province) else find_province(province)
    base_url = base_url.rstrip("/")
    unchanged = _(UNCHANGED)
    try:
        rows, total = fetch_search(session, base_url, agency_id=prov.legacy_agency_id,
                                   per_page=per_page, cache=cache, on_progress=on_progress)
    except SourceError as e:
        raise SourceError(f"{e}; {unchanged}") from e
    url = base_url + REST_PATH
    scope = {"url": url, "params": search_params(0, agency_id=prov.legacy_agency_id, per_page=per_page)}
    if total is None and rows:
        raise SourceError(_("{url}: the gateway gave no AMOUNT (total); {unchanged}").format(
            url=url, unchanged=unchanged))
    if total and len(rows) < total:
        if cache is not None:
            cache.progress("legacy-search", scope).clear()
        raise SourceError(ended_early(url, len(rows), total, "gateway"))

    procedures: list[Procedure] = []
    on_progress("details", 0, len(rows))
    for n, row in enumerate(rows, 1):
        proc_id = str(row["ID"])
        version = version_key(row)
        detail = cache.get(f"legacy-{proc_id}", version) if cache is not None else None
        where = detail_url(base_url, proc_id)
        if detail is None:
            try:
                detail = parse_detail_html(fetch_detail_html(session, base_url, proc_id), where)
            except SourceError as e:
                raise SourceError(details_failed(e, n - 1, len(rows), bool(cache))) from e
            if cache is not None:
                cache.put(f"legacy-{proc_id}", version, detail)
        procedures.append(procedure_from_detail(detail, where=where))
        on_progress("details", n, len(rows))
    if cache is not None:
        cache.progress("legacy-search", scope).clear()
    procedures, warnings = _one_per_code(procedures)
    return Catalogue(source=_("{url} (old portal, {hcode} {province})").format(
                         url=base_url, hcode=prov.hcode, province=prov.name),
                     procedures=tuple(procedures), warnings=tuple(warnings), total=total or 0)


def _one_per_code(procs: list[Procedure]) -> tuple[list[Procedure], list[str]]:
    seen: dict[str, Procedure] = {}
    out, warnings = [], []
    for p in procs:
        if p.code and p.code in seen:
            warnings.append(_("{code} is listed twice by the old portal; kept {kept}, left out "
                              "{dropped}").format(code=p.code, kept=seen[p.code].origin,
                                                  dropped=p.origin))
            continue
        if p.code:
            seen[p.code] = p
        out.append(p)
    return out, warnings
