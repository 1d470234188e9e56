"""Fetching the catalogue from the new portal API (issue 5): pagination, the province pre-filter,
the detail cache, resuming an interrupted fetch, and refusing an incomplete one. What a commune
receives is decided by the one scope rule (`qrproc.scope`), the same for a fetch and an import.
Every test talks to a real HTTP server on 127.0.0.1 (tests/portal_server.py)."""

from __future__ import annotations

import pytest

from qrproc import scope
from qrproc.catalogue import import_catalogue
from qrproc.errors import SourceError
from qrproc.sources import portal
from qrproc.sources.cache import DetailCache, version_key
from qrproc.sources.portal_json import procedure_from_portal

from conftest import AT
from portal_server import FakePortal, detail_for, fast_session, list_item

HY_ID = "019bad30-cd84-7750-aaa5-a4f8f67900ab"


def _id(n: int) -> str:
    return f"019d2bfd-3fe0-70ac-b9d6-{n:012x}"


# (list item, detail options) in list order; 10 items, modelled on the real catalogue
A = list_item(_id(1), "1.001193", "Thủ tục đăng ký khai sinh")
B = list_item(_id(2), "1.000894", "Thủ tục đăng ký kết hôn")
C = list_item(_id(3), "2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", field="Chứng thực")
P1 = list_item(_id(4), "1.004227", "Cấp giấy phép hoạt động điện lực", field="Điện",
               promulgator="Bộ Công thương")
G = list_item(_id(5), "2.001023", "Thủ tục thôi làm hòa giải viên", field="Hòa giải ở cơ sở")
HY = list_item(_id(6), "1.013300", "Thủ tục hỗ trợ nhà ở cho hộ nghèo", type="SPECIFIC",
               promulgator="UBND tỉnh Hưng Yên", field="Nhà ở")
HYN = list_item(_id(7), "1.013301", "Thủ tục xác nhận đất ở", type="SPECIFIC",
                promulgator="UBND tỉnh Hưng Yên", field="Đất đai")
DN = list_item(_id(8), "1.009122", "Cấp giấy phép xây dựng công trình", type="SPECIFIC",
               promulgator="UBND Thành phố Đà Nẵng", field="Xây dựng")
INT = list_item(_id(9), "5.000123", "Thủ tục nội bộ giữa các cơ quan", type="STANDARD_INTERNAL",
                promulgator="Bộ Nội vụ", field="Nội vụ")
TH = list_item(_id(10), "1.013302", "Thủ tục của tỉnh Thanh Hóa", type="SPECIFIC",
               promulgator="UBND tỉnh Thanh Hóa", field="Đất đai")
ITEMS = [A, B, C, P1, G, HY, HYN, DN, INT, TH]
DETAIL_OPTS = {
    P1["id"]: dict(ward=False, province=True, promulgate_code="G02", days=15, fee=100000),
    G["id"]: dict(ward=True, province=True),
    HY["id"]: dict(promulgate_code="H31", decision="12/QĐ-UBND"),
    HYN["id"]: dict(promulgate_code=""),           # matched by the promulgator's name only
    DN["id"]: dict(promulgate_code="H17"),
    INT["id"]: dict(promulgate_code="G09"),
    TH["id"]: dict(promulgate_code="H56"),         # H56 is Thanh Hóa, not Hưng Yên
}


def details(items=ITEMS) -> dict:
    return {i["id"]: detail_for(i, **DETAIL_OPTS.get(i["id"], {})) for i in items}


@pytest.fixture
def server():
    with FakePortal(ITEMS, details()) as fake:
        yield fake


@pytest.fixture
def cache(tmp_path):
    return DetailCache(tmp_path / "cache")


def fetch(server, cache=None, *, province="H31", session=None, **kw):
    return portal.fetch_catalogue(session or fast_session(), server.url, province=province,
                                  cache=cache, limit=3, **kw)


def codes(cat, province="H31") -> set[str]:
    """The codes a commune of `province` receives (the scope rule on the fetched catalogue)."""
    rules = scope.ScopeRules(province=portal.find_province(province).hcode)
    return {p.code for p in scope.split(cat.procedures, rules).included}


COMMUNE_H31 = {"1.001193", "1.000894", "2.000815", "2.001023", "1.013300", "1.013301"}


def test_list_is_paginated_with_last_id_until_an_empty_page(server):
    items, total = portal.fetch_list(fast_session(), server.url, limit=3)
    assert [i["id"] for i in items] == [i["id"] for i in ITEMS] and total == 10
    # pages of 3, 3, 3, 1, then the empty page that ends the list
    assert [k for kind, k in server.calls] == ["", _id(3), _id(6), _id(9), _id(10)]


def test_list_stops_when_last_id_does_not_move(server):
    # a server that keeps answering the same page with the same cursor
    server.list_page = lambda body: {"items": ITEMS[:3], "lastId": body.get("lastId") or _id(3), "total": 3}
    items, total = portal.fetch_list(fast_session(), server.url, limit=3)
    assert len(items) == 3 and server.count("list") == 2


@pytest.mark.parametrize("province", ["H31", "h31", "33", portal.find_province("H31")])
def test_commune_level_for_hung_yen_by_h_code_or_gso_number(server, province):
    cat = fetch(server, province=province)
    assert codes(cat) == COMMUNE_H31
    assert cat.total == 10 and cat.source == f"{server.url} (H31 Hưng Yên)"
    # other provinces' own procedures and internal ones are known from the list alone: no detail
    # is asked for them, and they are kept from their list items, for the scope to say why
    asked = {key for kind, key in server.calls if kind == "detail"}
    assert asked == {i["id"] for i in ITEMS} - {DN["id"], TH["id"], INT["id"]}
    assert {p.code for p in cat.procedures} == {i["code"] for i in ITEMS}


def test_what_is_left_out_says_why(server):
    rules = scope.ScopeRules(province="H31")
    out = {p.code: v.reason_vi for p, v in scope.split(fetch(server).procedures, rules).excluded}
    assert out == {"1.004227": "TTHC cấp tỉnh", "1.009122": "TTHC riêng của tỉnh khác (Đà Nẵng)",
                   "5.000123": "TTHC nội bộ", "1.013302": "TTHC riêng của tỉnh khác (Thanh Hóa)"}


def test_another_province_gets_its_own_and_the_national_ones(server):
    assert codes(fetch(server, province="48"), "48") == {
        "1.001193", "1.000894", "2.000815", "2.001023", "1.009122"}


def test_details_are_mapped_with_procedure_from_portal(server):
    by_code = {p.code: p for p in fetch(server).procedures}
    ks = by_code["1.001193"]
    assert ks.name == "Thủ tục đăng ký khai sinh" and ks.field == "Hộ tịch"
    assert ks.levels == ("commune",) and ks.portal_id == A["id"]
    assert ks.agency == "Ủy ban nhân dân cấp xã" and ks.decision == "163/QĐ-BTP"
    p1 = by_code["1.004227"]
    assert p1.levels == ("province",) and p1.processing_time == "15 ngày làm việc"
    assert p1.fees == "100.000 đồng"
    assert by_code["2.001023"].levels == ("commune", "province")
    assert by_code["1.013300"].decision == "12/QĐ-UBND"


def test_unknown_province_code():
    with pytest.raises(ValueError, match="'H99' is not a province code"):
        portal.find_province("H99")
    assert portal.find_province("H56").name == "Thanh Hóa" and portal.find_province("1").hcode == "H26"


def test_fewer_items_than_total_is_refused_before_any_detail(server, cache):
    server.total = 12
    with pytest.raises(SourceError) as e:
        fetch(server, cache)
    assert str(e.value).endswith("list-all-public-formality-by-citizen: fetched 10 of the 12 "
                                 "procedures the portal lists (the list ended early); nothing was "
                                 "stored and the registry is unchanged")
    assert server.count("detail") == 0
    # the short list is not resumed next time: the list is asked afresh
    server.total = None
    server.reset_calls()
    assert codes(fetch(server, cache)) == COMMUNE_H31
    assert server.count("list", "") == 1


def test_refetch_with_nothing_changed_makes_only_list_calls(server, cache):
    first = fetch(server, cache)
    assert cache.stored == 7 and server.count("detail") == 7
    server.reset_calls()
    again = fetch(server, DetailCache(cache.root))
    assert again == first
    assert server.count("detail") == 0
    assert server.count("list") == 5 and server.count("provinces") == 1


def test_refetch_asks_only_for_changed_items(server, cache):
    fetch(server, cache)
    changed = dict(B, state="UPDATED", name="Thủ tục đăng ký kết hôn (sửa đổi)")
    server.items = [changed if i["id"] == B["id"] else i for i in ITEMS]
    server.details[B["id"]] = detail_for(changed, updated_at=1781668478601)
    server.reset_calls()
    cat = fetch(server, DetailCache(cache.root))
    assert [k for kind, k in server.calls if kind == "detail"] == [B["id"]]
    assert {p.name for p in cat.procedures if p.code == "1.000894"} == {"Thủ tục đăng ký kết hôn (sửa đổi)"}


def test_connection_dropped_mid_fetch_then_resume(server, cache, registry):
    server.plan("detail", ("sleep", 0), ("sleep", 0), ("sleep", 0))  # three answers, then the line drops
    server.always("detail", "drop")
    with pytest.raises(SourceError) as e:
        cat = fetch(server, cache, session=fast_session(attempts=2))
        import_catalogue(registry, cat, at=AT)
    message = str(e.value)
    assert "get-formality-by-citizen: connection failed (Remote end closed connection without " \
           "response) after 2 attempts; fetched 3 of 7 details (kept in the cache: run the fetch " \
           "again to resume); nothing was stored and the registry is unchanged" in message
    assert "\n" not in message
    assert registry.snapshots() == []
    first_three = [k for kind, k in server.calls if kind == "detail"][:3]

    server.clear_faults()
    server.reset_calls()
    resumed = DetailCache(cache.root)
    cat = fetch(server, resumed)
    out = import_catalogue(registry, cat, at=AT)
    assert out.plan.counts["in_force"] == 6 and codes(cat) == COMMUNE_H31
    asked = [k for kind, k in server.calls if kind == "detail"]
    assert len(asked) == 4 and not set(asked) & set(first_three)
    assert server.count("list") == 0  # the list pages were on disk
    assert resumed.hits == 3


def test_listing_interrupted_resumes_at_the_page_it_stopped(server, cache):
    server.plan("list", ("sleep", 0))           # page 1 arrives
    server.always("list", 503)                  # then the portal falls over
    with pytest.raises(SourceError) as e:
        fetch(server, cache, session=fast_session(attempts=2))
    assert str(e.value).endswith(
        "list-all-public-formality-by-citizen: HTTP 503 after 2 attempts; listed 1 of about 4 pages "
        "(kept in the cache: run the fetch again to resume); nothing was stored and the registry is "
        "unchanged")
    assert server.count("detail") == 0
    server.clear_faults()
    server.reset_calls()
    assert codes(fetch(server, DetailCache(cache.root))) == COMMUNE_H31
    assert [k for kind, k in server.calls if kind == "list"] == [_id(3), _id(6), _id(9), _id(10)]


def test_old_progress_is_not_resumed(server, tmp_path):
    now = [1_800_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    server.plan("list", ("sleep", 0))
    server.always("list", 503)
    with pytest.raises(SourceError):
        fetch(server, DetailCache(tmp_path, clock=clock), session=fast_session(attempts=1))
    server.clear_faults()
    server.reset_calls()
    now[0] += 2 * 24 * 3600  # two days later the list may have changed: start again
    fetch(server, DetailCache(tmp_path, clock=clock))
    assert [k for kind, k in server.calls if kind == "list"][0] == ""


def test_cached_details_expire_after_max_age(server, tmp_path):
    now = [1_800_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    fetch(server, DetailCache(tmp_path, clock=clock, max_age=3600))
    server.reset_calls()
    now[0] += 7200
    fetch(server, DetailCache(tmp_path, clock=clock, max_age=3600))
    assert server.count("detail") == 7


def test_progress_is_reported(server):
    seen = []
    fetch(server, on_progress=lambda kind, done, total: seen.append((kind, done, total)))
    assert ("pages", 4, 4) in seen and seen[-1] == ("details", 7, 7)
    assert [s for s in seen if s[0] == "details"][0] == ("details", 0, 7)


def test_same_code_twice_keeps_the_provinces_own_version(server):
    twin = list_item(_id(11), "1.001193", "Thủ tục đăng ký khai sinh (Hưng Yên)", type="SPECIFIC",
                     promulgator="UBND tỉnh Hưng Yên")
    server.items = ITEMS + [twin]
    server.details[twin["id"]] = detail_for(twin, promulgate_code="H31")
    cat = fetch(server)
    ks = [p for p in cat.procedures if p.code == "1.001193"]
    assert len(ks) == 1 and ks[0].portal_id == twin["id"]
    assert cat.warnings == (f"1.001193 is listed twice by the portal; kept id {twin['id']}, "
                            f"left out id {A['id']}",)


def test_fetched_catalogue_becomes_a_snapshot_only_through_import(server, registry):
    cat = fetch(server)
    assert registry.snapshots() == []
    out = import_catalogue(registry, cat, at=AT)
    # every row is kept; the commune's six count, the four others are left out, each with why
    assert out.snapshot.total == 10 and set(out.added) == COMMUNE_H31
    assert out.plan.counts == {"in_force": 6, "announced": 0, "abolished": 0, "no_code": 0,
                               "out_of_scope": 4}
    assert out.plan.split.counts_out() == {"province_level": 1, "other_province": 2, "internal": 1}


# -- pure parts ------------------------------------------------------------------------------------
def test_parse_list_page_and_provinces():
    page = portal.parse_list_page({"items": [A, {"name": "no id"}], "lastId": A["id"], "total": "5670"})
    assert page.items == (A,) and page.last_id == A["id"] and page.total == 5670
    assert portal.parse_list_page({"items": [], "lastId": None, "total": 0}).last_id is None
    with pytest.raises(SourceError, match="expected"):
        portal.parse_list_page([A])
    assert portal.parse_provinces({"rows": [{"id": HY_ID, "name": "Tỉnh Hưng Yên", "code": "33"}]}) == {
        "33": "Tỉnh Hưng Yên"}


def test_names_province_matches_whole_names_without_accents():
    assert portal.names_province("UBND tỉnh Hưng Yên", "Tỉnh Hưng Yên")
    assert portal.names_province("Sở Xây dựng - tỉnh Quảng Ngãi", "Tỉnh Quảng Ngãi")
    assert portal.names_province("Trung tâm phục vụ hành chính công Thành phố Hà Nội", "Thành phố Hà Nội")
    assert not portal.names_province("UBND tỉnh Bắc Ninh", "Tỉnh Ninh Bình")
    assert not portal.names_province("UBND tỉnh Ninh Bình", "Tỉnh Bắc Ninh")
    assert not portal.names_province("Bộ Tư pháp", "Tỉnh Hưng Yên")


def test_might_apply_and_the_scope_rule_on_details():
    hy = portal.find_province("H31")
    others = ["Thành phố Đà Nẵng", "Tỉnh Thanh Hóa"]
    assert portal.might_apply(A, hy, "Tỉnh Hưng Yên", others)
    assert not portal.might_apply(DN, hy, "Tỉnh Hưng Yên", others)
    assert not portal.might_apply(INT, hy, "Tỉnh Hưng Yên", others)  # internal: never posted
    d = details()
    rules = scope.ScopeRules(province="H31")

    def verdict(item):
        return scope.judge(procedure_from_portal(d[item["id"]], "detail"), rules)

    assert verdict(A).included and verdict(HYN).included   # HYN by the promulgator's name
    assert verdict(INT).cause == scope.OUT_INTERNAL
    assert (verdict(TH).cause, verdict(TH).detail) == (scope.OUT_OTHER_PROVINCE, "Thanh Hóa")
    assert verdict(P1).cause == scope.OUT_PROVINCE_LEVEL
    assert scope.judge(procedure_from_portal(d[P1["id"]], "detail"),
                       scope.ScopeRules(province="H31", province_received=True)).cause == \
        scope.OUT_PROVINCE_LEVEL  # received at the commune only when the source says so


def test_version_key_uses_updated_at_when_the_item_has_one():
    assert version_key(dict(A, updatedAt=1776242191512)) == "updatedAt:1776242191512"
    assert version_key(A) == version_key(dict(A))
    assert version_key(A) != version_key(dict(A, state="UPDATED"))
    assert version_key(A).startswith("sha256:")
