"""The careful HTTP client: headers, retries with backoff, Retry-After, the firewall page,
timeouts, dropped connections, and the shared rate limit. All against a real local server."""

from __future__ import annotations

import time

import pytest
import requests

from qrproc import http
from qrproc.errors import ParseError, SourceError

from portal_server import DETAIL_PATH, LIST_PATH, REST_PATH, FakePortal, detail_for, list_item

KHAI_SINH = list_item("019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7", "1.001193", "Thủ tục đăng ký khai sinh")


class Sleeps(list):
    """Records the waits the client asks for and waits only a tiny bit (configuration: a fast
    clock for the test, not a mock of the code under test)."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))
        time.sleep(min(seconds, 0.001))


@pytest.fixture
def server():
    portal = FakePortal([KHAI_SINH], {KHAI_SINH["id"]: detail_for(KHAI_SINH)})
    with portal:
        yield portal


def session(**kw) -> http.PortalSession:
    kw.setdefault("rate", None)
    kw.setdefault("backoff", 0.01)
    kw.setdefault("sleep", Sleeps())
    return http.make_session(**kw)


def detail_url(server) -> str:
    return server.url + DETAIL_PATH


def test_success_is_201_with_code_ok_and_sends_browser_headers(server):
    s = session()
    data = http.post_json(s, detail_url(server), {"id": KHAI_SINH["id"]})
    assert data["code"] == "1.001193" and data["isWard"] is True
    sent = server.headers[-1]
    assert sent["User-Agent"].startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    assert "Chrome/" in sent["User-Agent"]
    assert sent["Origin"] == "https://dichvucong.gov.vn"
    assert sent["Referer"] == "https://dichvucong.gov.vn/"
    assert sent["Content-Type"] == "application/json"
    assert s.requests_sent == 1 and s.sleep == []


def test_firewall_html_is_retried_then_succeeds(server):
    server.plan("detail", "html", "html")
    s = session()
    data = http.post_json(s, detail_url(server), {"id": KHAI_SINH["id"]})
    assert data["id"] == KHAI_SINH["id"]
    assert server.count("detail") == 3
    assert s.sleep == [0.01, 0.02]  # exponential backoff from the configured base


def test_firewall_html_every_time_is_one_clear_error(server):
    server.always("detail", "html")
    with pytest.raises(SourceError) as e:
        http.post_json(session(), detail_url(server), {"id": KHAI_SINH["id"]})
    assert str(e.value) == (f"{detail_url(server)}: the portal's firewall answered with an HTML page "
                            "(blocked) after 4 attempts")
    assert server.count("detail") == 4


def test_503_then_success(server):
    server.plan("detail", 503)
    data = http.post_json(session(), detail_url(server), {"id": KHAI_SINH["id"]})
    assert data["code"] == "1.001193" and server.count("detail") == 2


def test_503_every_time_names_url_status_and_attempts(server):
    server.always("detail", 503)
    s = session()
    with pytest.raises(SourceError) as e:
        http.post_json(s, detail_url(server), {"id": KHAI_SINH["id"]})
    assert str(e.value) == f"{detail_url(server)}: HTTP 503 after 4 attempts"
    assert s.sleep == [0.01, 0.02, 0.04] and s.requests_sent == 4


def test_retry_after_is_honoured(server):
    server.plan("detail", ("status", 429, 2), ("status", 503, 0))
    s = session()
    http.post_json(s, detail_url(server), {"id": KHAI_SINH["id"]})
    assert s.sleep == [2.0] and server.count("detail") == 3  # Retry-After: 0 means no wait at all


def test_retry_after_as_http_date():
    assert http.parse_retry_after("Wed, 21 Oct 2026 07:28:10 GMT",
                                  now=time.mktime((2026, 10, 21, 7, 28, 0, 0, 0, 0)) - time.timezone) == 10.0
    assert http.parse_retry_after("soon") is None and http.parse_retry_after(None) is None
    assert http.parse_retry_after("-3") == 0.0


def test_read_timeout_is_retried(server):
    server.plan("detail", ("sleep", 0.6))
    s = session(timeout=(2.0, 0.2))
    data = http.post_json(s, detail_url(server), {"id": KHAI_SINH["id"]})
    assert data["id"] == KHAI_SINH["id"] and server.count("detail") == 2


def test_read_timeout_every_time(server):
    server.always("detail", ("sleep", 0.4))
    with pytest.raises(SourceError) as e:
        http.post_json(session(timeout=(2.0, 0.15), attempts=2), detail_url(server), {"id": "x"})
    assert str(e.value) == f"{detail_url(server)}: timed out (no answer within 0.15 s) after 2 attempts"


def test_dropped_connection_is_retried(server):
    server.plan("detail", "drop")
    data = http.post_json(session(), detail_url(server), {"id": KHAI_SINH["id"]})
    assert data["id"] == KHAI_SINH["id"] and server.count("detail") == 2


def test_refused_connection_after_attempts():
    with FakePortal() as gone:
        url = gone.url + LIST_PATH
    with pytest.raises(SourceError) as e:
        http.post_json(session(attempts=2), url, {})
    assert str(e.value) == f"{url}: connection failed (Connection refused) after 2 attempts"


def test_envelope_error_is_final_and_not_retried(server):
    s = session()
    with pytest.raises(SourceError) as e:
        http.post_json(s, detail_url(server), {"id": "no-such-id"})
    assert str(e.value) == f"{detail_url(server)}: the portal answered 'NOT_FOUND' (Không tìm thấy thủ tục)"
    assert server.count("detail") == 1


def test_client_error_is_final(server):
    s = session()
    with pytest.raises(SourceError, match=r"/nowhere: HTTP 404 \(not found\)$"):
        http.post_json(s, server.url + "/nowhere", {})
    assert s.requests_sent == 1


def test_non_json_that_is_not_html_is_a_parse_error(server):
    server.plan("detail", ("status", 200, None))  # text/plain "busy"
    with pytest.raises(ParseError, match="expected JSON, got 'busy'"):
        http.post_json(session(), detail_url(server), {"id": KHAI_SINH["id"]})


def test_post_form_and_get_text_use_the_same_retries(server):
    server.legacy_rows = [{"ID": "7603", "PROCEDURE_CODE": "3.000001"}]
    server.plan("rest", "html", 502)
    rows = http.post_form(session(), server.url + REST_PATH, {"params": '{"pageIndex": 1, "recordPerPage": 10}'})
    assert rows[0]["ID"] == "7603" and server.count("rest") == 3
    assert server.headers[-1]["Content-Type"].startswith("application/x-www-form-urlencoded")
    server.legacy_pages["7603"] = "<html><div id='popupChitietTTHC'>ok</div></html>"
    server.plan("page", "html")  # the block page lacks the marker: retried
    text = http.get_text(session(), server.url + "/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html",
                         params={"ma_thu_tuc": "7603"}, must_contain="popupChitietTTHC")
    assert "ok" in text and server.count("page") == 2


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_rate_limiter_spaces_calls():
    clock = FakeClock()
    limiter = http.RateLimiter(2.0, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        limiter.wait()
    assert clock.slept == [0.5, 0.5, 0.5]
    clock.now += 10  # idle: no wait for the next one
    limiter.wait()
    assert clock.slept == [0.5, 0.5, 0.5]


def test_rate_limit_is_shared_by_all_calls_of_a_session(server):
    s = http.make_session(rate=20.0)
    start = time.monotonic()
    for _ in range(3):
        http.post_json(s, detail_url(server), {"id": KHAI_SINH["id"]})
    http.post_json(s, server.url + LIST_PATH, {"limit": 50, "lastId": ""})
    assert time.monotonic() - start >= 0.15 - 0.01  # 4 calls at 20/s: three gaps of 0.05 s


def test_rate_off_makes_no_waits():
    limiter = http.RateLimiter(None, clock=FakeClock(), sleep=pytest.fail)
    limiter.wait()
    limiter.wait()
    assert limiter.interval == 0.0


def test_default_session_settings():
    s = http.make_session()
    assert s.timeout == http.DEFAULT_TIMEOUT and s.attempts == 4
    assert s.limiter.interval == 0.5
    assert isinstance(s, requests.Session)


# -- what HTML looks like: the firewall's page, not any body that starts with '<' --------------

def response(body: bytes, ctype: str = "") -> requests.Response:
    r = requests.Response()
    r._content = body
    if ctype:
        r.headers["Content-Type"] = ctype
    return r


@pytest.mark.parametrize("body, ctype", [
    (b"<!DOCTYPE html><html><body>blocked</body></html>", ""),
    (b"\xef\xbb\xbf\r\n  <html><head><title>Request Rejected</title>", "application/json"),
    (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"><html>', ""),
    (b"<!-- F5 --><HTML><BODY>The requested URL was rejected", ""),
    (b"<body>x</body>", "text/plain"),
    (b"{}", "text/html; charset=utf-8"),
    (b"{}", "application/xhtml+xml"),
    ("\ufeff<html>".encode("utf-16-le"), ""),
])
def test_looks_like_html(body, ctype):
    assert http.looks_like_html(response(body, ctype))


@pytest.mark.parametrize("body, ctype", [
    (b'<?xml version="1.0"?><error/>', "application/xml"),
    (b"<error>busy</error>", ""),
    (b"<", ""),
    (b'{"code": "OK"}', "application/json"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    (b"<!-- a comment that never ends", ""),
    (b"", ""),
])
def test_does_not_look_like_html(body, ctype):
    assert not http.looks_like_html(response(body, ctype))
