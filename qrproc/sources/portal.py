"""The national public-service portal's JSON API (dichvucong.gov.vn, 2026 generation).

Three calls, all `POST` with a JSON body, answered with `{"code": "OK", "data": …}`:

* the public list, cursor-paginated with `lastId` (`fetch_list_page`);
* one procedure's detail by id (`fetch_detail`) — the only place the level flags
  (`isWard`, `isProvince`) and the promulgating province's code live;
* the province list (`fetch_provinces`), whose names are matched against promulgators.

`fetch_*` functions do the I/O and take the session from `qrproc.http.make_session()`; the
`parse_*` functions and the filters (`might_apply`, `applies`) are pure functions of response
dicts. `fetch_catalogue` puts them together, with the on-disk cache (`qrproc.sources.cache`), so
that a re-fetch costs the list calls plus one detail call per procedure that changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from qrproc import http
from qrproc.errors import ParseError, SourceError
from qrproc.i18n import N_, _, ngettext
from qrproc.i18n import place as shown
from qrproc.model import FLAG_CODE_FIXED, FLAG_NO_CODE, Catalogue, Procedure
from qrproc.provinces import PROVINCES, Province, core_name, find_province, names_province  # noqa: F401
from qrproc.sources.cache import DetailCache, version_key
from qrproc.sources.paging import KEPT, Page, Pager, collect_pages
from qrproc.sources.portal_json import json_type, not_a_number, procedure_from_portal
from qrproc.sources.tabular import code_fixed_warning
from qrproc.vntext import number

DEFAULT_BASE_URL = "https://dichvucong.gov.vn"
LIST_PATH = "/api/v1/submitting/formality/list-all-public-formality-by-citizen"
DETAIL_PATH = "/api/v1/configuring/formality/get-formality-by-citizen"
PROVINCES_PATH = "/api/v1/configuring/province-vn/list-by-citizen"
#: Crawler authors report the server accepts up to about 50 items a page.
PAGE_SIZE = 50
#: Guard against a server whose cursor never ends: pages beyond ceil(total / size) + this.
EXTRA_PAGES = 5

NATIONAL_TYPE = "STANDARD"   # a national standard procedure applies in every province
INTERNAL_TYPE = "STANDARD_INTERNAL"  # an internal procedure is never posted
UNCHANGED = N_("nothing was stored and the registry is unchanged")

OnProgress = Callable[[str, int, "int | None"], None]


# -- pure: responses --------------------------------------------------------------------------
@dataclass(frozen=True)
class ListPage:
    items: tuple[dict, ...]
    last_id: str | None
    total: int | None


def parse_list_page(data: object, where: str = "list") -> ListPage:
    """The `data` of a list response → its items, cursor and the portal's `total`."""
    if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
        raise ParseError(_("{where}: expected {{\"items\": […], \"lastId\": …, \"total\": N}}, "
                           "got {type}").format(where=shown(where), type=json_type(data)))
    items = tuple(i for i in data.get("items") or () if isinstance(i, dict) and i.get("id"))
    total = data.get("total")
    try:
        total = int(total) if total is not None else None
    except (TypeError, ValueError):
        raise ParseError(not_a_number(where, "total", total)) from None
    last_id = data.get("lastId")
    return ListPage(items=items, last_id=str(last_id) if last_id else None, total=total)


def parse_provinces(data: object, where: str = "provinces") -> dict[str, str]:
    """The `data` of the province list → {GSO code: name}."""
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ParseError(_("{where}: expected {{\"rows\": [{{\"code\", \"name\"}}…]}}").format(
            where=shown(where)))
    return {str(r["code"]).zfill(2): str(r.get("name") or "") for r in rows
            if isinstance(r, dict) and r.get("code")}


def parse_detail(data: object, where: str = "detail") -> dict:
    """The `data` of a detail response, checked to be one procedure."""
    if not isinstance(data, dict) or not data.get("id"):
        raise ParseError(_("{where}: expected one procedure with an 'id', got {type}").format(
            where=shown(where), type=json_type(data)))
    return data


# -- pure: which procedures apply -------------------------------------------------------------
def promulgated_by(obj: dict, province: Province, province_name: str) -> bool:
    """Whether a detail (or list item) was promulgated by `province` (code or name)."""
    if str(obj.get("departmentPromulgateCode") or "").strip().upper() == province.hcode:
        return True
    name = obj.get("departmentPromulgateName") or obj.get("departmentPromulgate") or ""
    return names_province(name, province_name)


def might_apply(item: dict, province: Province, province_name: str,
                other_provinces: Iterable[str]) -> bool:
    """Pure pre-filter on a list item: False only when the list already shows the procedure
    cannot apply (an internal one, or not a national standard one and promulgated by another
    province), so its detail is never requested. Anything unsure gets its detail looked at."""
    if item.get("type") == INTERNAL_TYPE:
        return False
    if item.get("type") == NATIONAL_TYPE or promulgated_by(item, province, province_name):
        return True
    promulgator = item.get("departmentPromulgate") or ""
    return not any(names_province(promulgator, other) for other in other_provinces)


def ids_by_code(items: Iterable[dict], codes: Iterable[str], province: Province,
                province_name: str, other_provinces: Iterable[str]) -> tuple[dict[str, str], list[str], list[str]]:
    """Pure: the portal id of each code, from the public list's items, never guessed.

    A code's candidates are its items that might apply in `province` (national, or promulgated by
    it). One item of the province's own is taken; else one national item; anything else (two
    variants, two national items) is ambiguous. Returns (ids found, ambiguous codes, codes the
    list does not have)."""
    wanted = set(codes)
    others = list(other_provinces)
    candidates: dict[str, list[dict]] = {}
    for item in items:
        code = str(item.get("codeNotation") or item.get("code") or "").strip()
        if code in wanted and item.get("id") and might_apply(item, province, province_name, others):
            candidates.setdefault(code, []).append(item)
    found, ambiguous = {}, []
    for code, found_items in candidates.items():
        own = [i for i in found_items if promulgated_by(i, province, province_name)]
        national = [i for i in found_items if i.get("type") == NATIONAL_TYPE]
        pick = own if own else national
        if len(pick) == 1:
            found[code] = str(pick[0]["id"]).lower()
        else:
            ambiguous.append(code)
    absent = sorted(wanted - set(candidates))
    return found, sorted(ambiguous), absent


# -- I/O ----------------------------------------------------------------------------------------
def list_body(last_id: str = "", *, limit: int = PAGE_SIZE) -> dict:
    return {"limit": limit, "lastId": last_id, "q": "", "categoryId": "", "departmentCode": ""}


def fetch_list_page(session, base_url: str, last_id: str = "", *, limit: int = PAGE_SIZE) -> object:
    """One page of the public list (the envelope's `data`)."""
    return http.post_json(session, base_url.rstrip("/") + LIST_PATH, list_body(last_id, limit=limit))


def fetch_detail(session, base_url: str, proc_id: str) -> dict:
    """One procedure's full detail."""
    url = base_url.rstrip("/") + DETAIL_PATH
    return parse_detail(http.post_json(session, url, {"id": proc_id}), with_id(url, proc_id))


def with_id(url: str, proc_id: str) -> str:
    """'…/get-formality-by-citizen (id 019d…)': where a portal procedure came from."""
    return f"{url} (id {proc_id})"  # data, like every origin; i18n.place shows it translated


def ended_early(url: str, got: int, total: int, lister: str) -> str:
    """The message of a list that gave fewer procedures than it announced (`lister` one of
    'portal', 'gateway')."""
    if lister == "gateway":
        message = _("{url}: fetched {got} of the {total} procedures the gateway lists (the search "
                    "ended early); {unchanged}")
    else:
        message = _("{url}: fetched {got} of the {total} procedures the portal lists (the list "
                    "ended early); {unchanged}")
    return message.format(url=url, got=number(got), total=number(total), unchanged=_(UNCHANGED))


def details_failed(error: object, done: int, total: int, kept: bool) -> str:
    """The message of a fetch stopped by a detail that could not be had."""
    return ngettext("{error}; fetched {done} of {total} detail{kept}; {unchanged}",
                    "{error}; fetched {done} of {total} details{kept}; {unchanged}", total).format(
        error=error, done=number(done), total=number(total), kept=_(KEPT) if kept else "",
        unchanged=_(UNCHANGED))


def fetch_provinces(session, base_url: str) -> dict[str, str]:
    """{GSO code: name} of the portal's provinces."""
    url = base_url.rstrip("/") + PROVINCES_PATH
    return parse_provinces(http.post_json(session, url, {}), url)


def no_progress(kind: str, done: int, total: int | None) -> None:
    """The default `on_progress`: ignore progress."""


def fetch_list(session, base_url: str, *, cache: DetailCache | None = None,
               limit: int = PAGE_SIZE, on_progress: OnProgress = no_progress) -> tuple[list[dict], int | None]:
    """Every list item (deduplicated by id, in list order) and the portal's `total`.

    Pages go on disk as they arrive (when a cache is given), so an interrupted listing resumes
    at the page it stopped at. Stops when a page is empty or the cursor does not move.
    """
    url = base_url.rstrip("/") + LIST_PATH
    progress = cache.progress("list", {"url": url, "body": list_body(limit=limit)}) if cache else None

    def read(data: object, cursor: str) -> Page:
        page = parse_list_page(data, url)
        return Page(page.items, page.total, page.last_id or None)

    pager = Pager(fetch=lambda cursor: fetch_list_page(session, base_url, cursor, limit=limit),
                  read=read, first="", key="id", per_page=limit, where=url,
                  says=N_("the portal says"), slack=EXTRA_PAGES)
    return collect_pages(pager, progress=progress, on_progress=on_progress)


def fetch_links(session, base_url: str, codes: Iterable[str], *, province: str | Province,
                cache: DetailCache | None = None, limit: int = PAGE_SIZE,
                on_progress: OnProgress = no_progress) -> tuple[dict[str, str], list[str], list[str]]:
    """Portal ids for `codes` from the public list alone (about one request per 50 procedures,
    no detail calls; pages cached and resumable like a fetch). See `ids_by_code`."""
    prov = province if isinstance(province, Province) else find_province(province)
    base_url = base_url.rstrip("/")
    names = fetch_provinces(session, base_url)
    items, total = fetch_list(session, base_url, cache=cache, limit=limit, on_progress=on_progress)
    if total is not None and len(items) < total:
        raise SourceError(ended_early(base_url + LIST_PATH, len(items), total, "portal"))
    prov_name = names.get(prov.gso) or prov.name
    others = [n for code, n in names.items() if code != prov.gso]
    if cache is not None:
        cache.progress("list", {"url": base_url + LIST_PATH, "body": list_body(limit=limit)}).clear()
    return ids_by_code(items, codes, prov, prov_name, others)


def fetch_catalogue(session, base_url: str = DEFAULT_BASE_URL, *, province: str | Province,
                    cache: DetailCache | None = None, on_progress: OnProgress = no_progress,
                    limit: int = PAGE_SIZE) -> Catalogue:
    """The portal's catalogue as `province` sees it, as a `Catalogue` for
    `catalogue.import_catalogue` (which alone turns it into a snapshot, and whose scope rule
    decides what the commune receives).

    Every national and own-province procedure comes from its detail (the only place its level
    is); an internal procedure or another province's comes from its list item (the list already
    says it cannot apply, so its detail is never asked for). `total` is the number of
    procedures the portal lists in all. Raises SourceError when the list or a detail could not
    be had: an incomplete fetch never becomes a catalogue. Details fetched before the failure
    stay in `cache`, so running again resumes.
    """
    prov = province if isinstance(province, Province) else find_province(province)
    base_url = base_url.rstrip("/")
    unchanged = _(UNCHANGED)
    try:
        names = fetch_provinces(session, base_url)
        items, total = fetch_list(session, base_url, cache=cache, limit=limit, on_progress=on_progress)
    except SourceError as e:
        raise SourceError(f"{e}; {unchanged}") from e
    prov_name = names.get(prov.gso) or prov.name
    others = [n for code, n in names.items() if code != prov.gso] or [
        p.name for p in PROVINCES if p is not prov]
    if total is None:
        raise SourceError(_("{url}: the portal did not say how many procedures it lists (no "
                            "'total'); {unchanged}").format(url=base_url + LIST_PATH,
                                                            unchanged=unchanged))
    if len(items) < total:
        if cache is not None:  # a short list must be listed afresh next time, not resumed
            cache.progress("list", {"url": base_url + LIST_PATH, "body": list_body(limit=limit)}).clear()
        raise SourceError(ended_early(base_url + LIST_PATH, len(items), total, "portal"))

    wanted = [i for i in items if might_apply(i, prov, prov_name, others)]
    details: dict[str, dict] = {}
    on_progress("details", 0, len(wanted))
    for n, item in enumerate(wanted, 1):
        proc_id = str(item["id"])
        version = version_key(item)
        detail = cache.get(proc_id, version) if cache is not None else None
        if detail is None:
            try:
                detail = fetch_detail(session, base_url, proc_id)
            except SourceError as e:
                raise SourceError(details_failed(e, n - 1, len(wanted), cache is not None)) from e
            if cache is not None:
                cache.put(proc_id, version, detail)
        details[proc_id] = detail
        on_progress("details", n, len(wanted))

    procedures, warnings = build(items, details, prov, prov_name, base_url)
    if cache is not None:
        cache.progress("list", {"url": base_url + LIST_PATH, "body": list_body(limit=limit)}).clear()
    return Catalogue(source=f"{base_url} ({prov.hcode} {prov.name})",
                     procedures=tuple(procedures), warnings=tuple(warnings), total=total)


def build(items: list[dict], details: dict[str, dict], prov: Province, prov_name: str,
          base_url: str) -> tuple[list[Procedure], list[str]]:
    """Pure: one procedure per code, from its detail when it was fetched, else from its list
    item (the scope rule leaves those out, saying why). The province's own version of a code
    wins over the national one, and a fetched detail over a list item."""
    by_code: dict[str, tuple[Procedure, bool, str]] = {}
    uncoded: list[Procedure] = []
    warnings: list[str] = []
    for item in items:
        proc_id = str(item.get("id"))
        detail = details.get(proc_id)
        if detail is None:
            proc = procedure_from_portal(item, with_id(base_url + LIST_PATH, proc_id))
            if proc.code and proc.code not in by_code:
                by_code[proc.code] = (proc, False, proc_id)
            continue
        proc = procedure_from_portal(detail, with_id(base_url + DETAIL_PATH, proc_id))
        place = _("portal id {id}").format(id=proc_id)
        if FLAG_CODE_FIXED in proc.flags:
            warnings.append(code_fixed_warning(place, repr(detail.get("code")), proc.code))
        if not proc.code:
            warnings.append(_("{origin}: no procedure code for {name!r}; kept and flagged {flag}")
                            .format(origin=place, name=proc.name, flag=FLAG_NO_CODE))
            uncoded.append(proc)
            continue
        own = promulgated_by(detail, prov, prov_name)
        if proc.code not in by_code or by_code[proc.code][2] not in details:
            by_code[proc.code] = (proc, own, proc_id)  # new, or a detail over a list item
            continue
        old = by_code[proc.code]
        keep, drop = ((proc, own, proc_id), old) if own and not old[1] else (old, (proc, own, proc_id))
        by_code[proc.code] = keep
        warnings.append(_("{code} is listed twice by the portal; kept id {kept}, left out id "
                          "{dropped}").format(code=proc.code, kept=keep[2], dropped=drop[2]))
    return [entry[0] for entry in by_code.values()] + uncoded, warnings
