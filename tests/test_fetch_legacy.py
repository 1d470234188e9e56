"""The old portal (`--source legacy`): the rest.jsp search paged with AMOUNT, and the old detail
page's `#popupChitietTTHC .info-row` pairs with entity-encoded labels."""

from __future__ import annotations

import pytest

from qrproc import scope
from qrproc.errors import ParseError, SourceError
from qrproc.sources import legacy
from qrproc.sources.cache import DetailCache

from portal_server import FakePortal, fast_session, old_detail_page, search_row

ROWS = [  # (ID, code, name, Cấp thực hiện)
    ("5974", "1.001193", "Thủ tục đăng ký khai sinh", "Cấp Xã"),
    ("5975", "1.000894", "Thủ tục đăng ký kết hôn", "Cấp Xã"),
    ("5976", "1.000656", "Thủ tục đăng ký khai tử", "Cấp Xã"),
    ("7001", "2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Cấp Tỉnh, Cấp Xã"),
    ("7002", "1.004227", "Cấp giấy phép hoạt động điện lực", "Cấp Tỉnh"),
    ("7603", "3.000001", "Cấp điện mới từ lưới điện hạ áp", "Cấp Bộ, Cơ quan khác"),
    ("7700", "2.002080", "Thủ tục thôi làm hòa giải viên", "Cấp Xã"),
]


@pytest.fixture
def server():
    fake = FakePortal()
    fake.legacy_rows = [search_row(pid, code, name, amount=0, stt=0) for pid, code, name, _ in ROWS]
    fake.legacy_pages = {pid: old_detail_page(pid, code, name, level=level) for pid, code, name, level in ROWS}
    with fake:
        yield fake


def fetch(server, cache=None, **kw):
    return legacy.fetch_catalogue(fast_session(**kw), server.url, province="H31", cache=cache,
                                  per_page=3)


def commune(cat) -> list[str]:
    """The codes a commune of Hưng Yên receives: the scope rule on the fetched catalogue."""
    return [p.code for p in scope.split(cat.procedures, scope.ScopeRules(province="H31")).included]


def test_parse_detail_html_reads_the_modal_rows():
    page = old_detail_page("7603", "3.000001", "Cấp điện mới từ lưới điện hạ áp",
                           level="Cấp Bộ, Cơ quan khác", field="Dịch vụ cung cấp điện mới",
                           decision="4221/EVN-KDMBD", agency="Tập đoàn Điện lực Việt Nam")
    assert "M&atilde; thủ tục:" in page and "C&aacute;ch thức thực hiện:" in page  # as the portal writes them
    d = legacy.parse_detail_html(page)
    assert d["code"] == "3.000001" and d["name"] == "Cấp điện mới từ lưới điện hạ áp"
    assert d["decision"] == "4221/EVN-KDMBD" and d["level"] == "Cấp Bộ, Cơ quan khác"
    assert d["field"] == "Dịch vụ cung cấp điện mới" and d["agency"] == "Tập đoàn Điện lực Việt Nam"
    assert d["authority"] == ""  # "Không có thông tin"
    assert d["rows"]["Địa chỉ tiếp nhận HS"] == "" and d["rows"]["Trình tự thực hiện"] == ""
    assert d["methods"] == [
        {"method": "Trực tiếp", "time": "7 Ngày làm việc", "fees": "", "description": ""},
        {"method": "Trực tuyến", "time": "7 Ngày làm việc", "fees": "", "description": ""}]
    p = legacy.procedure_from_detail(d, where="old page 7603")
    assert (p.code, p.levels, p.processing_time, p.fees, p.decision) == (
        "3.000001", ("central", "other"), "7 Ngày làm việc", "", "4221/EVN-KDMBD")
    assert p.portal_id == "" and p.origin == "old page 7603"


def test_times_and_fees_that_differ_by_method():
    d = legacy.parse_detail_html(old_detail_page("1", "1.001193", "Khai sinh", fee="8.000 đồng"))
    d["methods"][1]["time"] = "5 Ngày làm việc"
    p = legacy.procedure_from_detail(d)
    assert p.processing_time == "Trực tiếp: 7 Ngày làm việc; Trực tuyến: 5 Ngày làm việc"
    assert p.fees == "8.000 đồng" and p.levels == ("commune",)


def test_a_page_without_the_modal_is_a_parse_error():
    with pytest.raises(ParseError, match="no #popupChitietTTHC block"):
        legacy.parse_detail_html("<html><body>Trang chủ</body></html>", "page 1")


def test_parse_search_page_takes_the_total_from_amount():
    rows, total = legacy.parse_search_page([search_row("5974", "1.001193", "Khai sinh", amount=2507, stt=1)])
    assert total == 2507 and rows[0]["PROCEDURE_CODE"] == "1.001193"
    assert legacy.parse_search_page([]) == ([], None)
    with pytest.raises(ParseError, match="expected a JSON array"):
        legacy.parse_search_page({"error": "x"})


def test_fetch_pages_the_search_and_keeps_the_level(server):
    cat = fetch(server)
    assert commune(cat) == ["1.001193", "1.000894", "1.000656", "2.000815", "2.002080"]
    assert len(cat.procedures) == 7  # every procedure read is kept; the scope says what counts
    assert cat.total == 7 and cat.source == f"{server.url} (old portal, H31 Hưng Yên)"
    assert [k for kind, k in server.calls if kind == "rest"] == ["1", "2", "3"]
    assert server.count("page") == 7
    sent = server.rest_params
    assert [p["pageIndex"] for p in sent] == [1, 2, 3]
    assert sent[0]["service"] == "procedure_advanced_search_service_v2"
    assert (sent[0]["impl_agency_id"], sent[0]["agency_type"], sent[0]["recordPerPage"]) == ("426108", "1", 3)
    by_code = {p.code: p for p in cat.procedures}
    assert by_code["1.004227"].levels == ("province",) and by_code["2.000815"].levels == (
        "province", "commune")


def test_refetch_reads_detail_pages_from_the_cache(server, tmp_path):
    fetch(server, DetailCache(tmp_path))
    server.reset_calls()
    cache = DetailCache(tmp_path)
    fetch(server, cache)
    assert server.count("page") == 0 and server.count("rest") == 3 and cache.hits == 7


def test_short_search_is_refused(server):
    server.legacy_amount = 9
    with pytest.raises(SourceError, match=r"rest.jsp: fetched 7 of the 9 procedures the gateway lists "
                                          r"\(the search ended early\); nothing was stored"):
        fetch(server)
    assert server.count("page") == 0


def test_block_page_instead_of_a_detail_is_retried(server):
    server.plan("page", "html", 503)
    assert len(commune(fetch(server))) == 5
    assert server.count("page") == 9


def test_detail_page_that_never_comes_is_one_error(server, tmp_path):
    server.plan("page", ("sleep", 0))
    server.always("page", "html")
    with pytest.raises(SourceError) as e:
        fetch(server, DetailCache(tmp_path), attempts=2)
    assert str(e.value) == (
        f"{server.url}/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=5975: the page has "
        "no 'popupChitietTTHC' (blocked, or the page moved) after 2 attempts; fetched 1 of 7 details "
        "(kept in the cache: run the fetch again to resume); nothing was stored and the registry is unchanged")
