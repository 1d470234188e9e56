"""The HTTP client against a hostile server (a real one on the loopback, tests/hostile_server.py):
redirects to another host, a gzip bomb, an endless chunked body, a server that drips one byte at
a time in the body or in the headers, and bodies that look like markup but are not HTML."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import tracemalloc

import pytest
from click.testing import CliRunner

from qrproc import http
from qrproc.cli import cli
from qrproc.errors import ParseError, SourceError
from qrproc.sources.portal import PROVINCES_PATH

from hostile_server import HostileServer
from test_registry import dump


def session(**kw) -> http.PortalSession:
    kw.setdefault("rate", None)
    kw.setdefault("backoff", 0.001)
    kw.setdefault("timeout", (2.0, 5.0))
    return http.make_session(**kw)


@pytest.fixture(scope="module")
def server():
    with HostileServer() as s:
        yield s


@pytest.fixture(scope="module")
def other_host():
    """The same kind of server on another loopback address: another host, as far as URLs go."""
    try:
        with HostileServer("127.0.0.2") as s:
            yield s
    except OSError:  # a system that routes only 127.0.0.1
        pytest.skip("127.0.0.2 cannot be bound here")


def fresh(server) -> None:
    server.hits.clear()
    server.sent.clear()


# -- redirects -------------------------------------------------------------------------------------

def test_redirect_to_another_host_is_refused_and_its_answer_never_used(server, other_host):
    fresh(server), fresh(other_host)
    target = other_host.url + "/ok"
    url = f"{server.url}/redirect?to={target}"
    s = session()
    with pytest.raises(SourceError) as e:
        http.post_json(s, url, {"id": "x"})
    assert str(e.value) == f"{url}: redirected to {target}, another host; not followed"
    assert other_host.hits["/ok"] == 0  # not even asked
    assert server.hits["/redirect"] == 1 and s.requests_sent == 1  # final: not retried


def test_redirect_to_localhost_from_127_0_0_1_is_another_host(server):
    fresh(server)
    port = server.server.server_address[1]
    target = f"http://localhost:{port}/ok"
    url = f"{server.url}/redirect?to={target}"
    with pytest.raises(SourceError, match="another host; not followed$"):
        http.post_json(session(), url, {})
    assert server.hits["/ok"] == 0


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_on_the_same_host_is_followed(server, status):
    fresh(server)
    data = http.post_json(session(), f"{server.url}/redirect?status={status}&to=/ok", {"id": "x"})
    assert data["code"] == "1.001193"
    assert server.hits["/redirect"] == 1 and server.hits["/ok"] == 1


def test_allowed_host_may_be_redirected_to(server, other_host):
    fresh(other_host)
    s = session(allowed_hosts=("127.0.0.2",))
    data = http.post_json(s, f"{server.url}/redirect?to={other_host.url}/ok", {})
    assert data["code"] == "1.001193" and other_host.hits["/ok"] == 1


def test_the_portal_hosts_are_allowed_by_default_and_https_is_never_dropped():
    s = http.make_session()
    assert s.allowed_hosts == {"dichvucong.gov.vn", "www.dichvucong.gov.vn",
                               "thutuc.dichvucong.gov.vn"}
    portal = "https://dichvucong.gov.vn/api/x"
    assert s._refuse_redirect(portal, "https://www.dichvucong.gov.vn/api/x") == ""
    assert s._refuse_redirect("http://thutuc.dichvucong.gov.vn/jsp/rest.jsp",
                              "https://thutuc.dichvucong.gov.vn/jsp/rest.jsp") == ""
    assert s._refuse_redirect(portal, "http://dichvucong.gov.vn/api/x") == "which drops https"
    assert s._refuse_redirect(portal, "https://dichvucong.gov.vn.example.com/") == "another host"
    assert s._refuse_redirect(portal, "https://evil.example@dichvucong.gov.vn/") == ""
    assert s._refuse_redirect(portal, "https://dichvucong.gov.vn@evil.example/") == "another host"


def test_fetch_redirected_to_another_host_is_one_error_line_and_stores_nothing(server, other_host,
                                                                              db_path):
    fresh(other_host)
    before = dump(db_path)
    server.redirect_others_to = other_host.url
    try:
        r = CliRunner().invoke(cli, ["--db", str(db_path), "fetch", "--base-url", server.url,
                                     "--rate", "0", "--backoff", "0", "-q"])
    finally:
        server.redirect_others_to = ""
    assert r.exit_code == 1
    assert r.stderr == (f"Error: {server.url}{PROVINCES_PATH}: redirected to "
                        f"{other_host.url}{PROVINCES_PATH}, another host; not followed; nothing was "
                        "stored and the registry is unchanged\n")
    assert sum(other_host.hits.values()) == 0 and dump(db_path) == before


# -- size --------------------------------------------------------------------------------------------

def test_a_gzip_bomb_is_stopped_at_the_cap_counting_decoded_bytes(server):
    fresh(server)
    url = server.url + "/gzip-bomb"
    assert len(server.bomb) < 1_000_000 < server.bomb_bytes  # fits the cap as sent, not decoded
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(SourceError) as e:
            http.post_json(session(max_bytes=1_000_000), url, {})
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(e.value) == f"{url}: the answer is larger than 1 MB, the limit for one answer; refused"
    assert server.hits["/gzip-bomb"] == 1  # final: a bigger answer next time is no better
    assert elapsed < 2.0 and peak < 8_000_000, (elapsed, peak)  # 512 MiB unpacked otherwise


def test_the_default_cap_stops_the_gzip_bomb_too(server):
    with pytest.raises(SourceError, match="larger than 20 MB, the limit for one answer; refused$"):
        http.post_json(session(), server.url + "/gzip-bomb", {})


def test_an_endless_chunked_body_is_stopped_at_the_cap(server):
    fresh(server)
    url = server.url + "/chunked-forever"
    start = time.perf_counter()
    with pytest.raises(SourceError) as e:
        http.post_json(session(max_bytes=200_000), url, {})
    assert str(e.value) == f"{url}: the answer is larger than 200 kB, the limit for one answer; refused"
    assert time.perf_counter() - start < 2.0


def test_an_answer_just_under_the_cap_is_read_and_just_over_is_refused(server):
    data = http.post_json(session(max_bytes=100_000), server.url + "/big?size=100000", {})
    assert len(data) == 100_000 - 26
    with pytest.raises(SourceError, match="larger than 100 kB"):
        http.post_json(session(max_bytes=100_000), server.url + "/big?size=100001", {})


def test_pages_have_their_own_larger_cap(server):
    s = session(max_bytes=1000, max_page_bytes=200_000)
    assert len(http.get_text(s, server.url + "/big?size=150000")) == 150_000
    with pytest.raises(SourceError, match="larger than 1 kB"):
        http.post_json(s, server.url + "/big?size=150000", {})


# -- deadline ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers"])
def test_a_slow_drip_fails_within_the_deadline_and_is_retried(server, path):
    fresh(server)
    url = server.url + path
    s = session(deadline=0.4, timeout=(2.0, 2.0), attempts=2)
    start = time.perf_counter()
    with pytest.raises(SourceError) as e:
        http.post_json(s, url, {})
    elapsed = time.perf_counter() - start
    assert str(e.value) == f"{url}: timed out (no complete answer within 0.4 s) after 2 attempts"
    assert server.hits[path] == 2 and s.requests_sent == 2
    assert server.sent[path] > 2  # it did drip, each byte well inside the 2 s read timeout
    assert 0.8 <= elapsed < 2.5, elapsed  # the old client: 10 s, when the server gave up


def test_the_deadline_also_holds_on_a_reused_connection(server):
    s = session(deadline=0.3, attempts=1)
    assert http.post_json(s, server.url + "/ok", {})["code"] == "1.001193"  # keep-alive opened
    start = time.perf_counter()
    with pytest.raises(SourceError, match=r"timed out \(no complete answer within 0.3 s\)"):
        http.post_json(s, server.url + "/drip-body", {})
    assert time.perf_counter() - start < 1.5


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """The hostile server over https, with a self-signed certificate for 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    with HostileServer(tls=(str(cert), str(key))) as s:
        s.cert = str(cert)
        yield s


@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers"])
def test_the_deadline_holds_over_tls(tls_server, path, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_server.cert)  # it overrides session.verify
    s = session(deadline=0.4, attempts=1)
    s.verify = tls_server.cert
    assert http.post_json(s, tls_server.url + "/ok", {})["code"] == "1.001193"
    start = time.perf_counter()
    with pytest.raises(SourceError) as e:
        http.post_json(s, tls_server.url + path, {})
    assert str(e.value) == f"{tls_server.url}{path}: timed out (no complete answer within 0.4 s) after 1 attempt"
    assert time.perf_counter() - start < 2.0
    assert http.post_json(s, tls_server.url + "/ok", {})["code"] == "1.001193"


def test_a_drip_once_then_a_good_answer_succeeds_on_the_next_attempt(server):
    fresh(server)
    data = http.post_json(session(deadline=0.3), server.url + "/drip-once", {})
    assert data["code"] == "1.001193" and server.hits["/drip-once"] == 2


def test_the_deadline_holds_for_every_thread_separately(server):
    s = session(deadline=0.3, attempts=1)
    errors: list[str] = []

    def work():
        try:
            http.post_json(s, server.url + "/drip-body", {})
        except SourceError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=work) for _ in range(3)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(errors) == 3 and all("within 0.3 s" in e for e in errors)
    assert time.perf_counter() - start < 2.0
    assert http.post_json(s, server.url + "/ok", {})["code"] == "1.001193"  # the session still works


def test_a_fast_answer_is_not_cut_by_the_deadline(server):
    s = session(deadline=5.0)
    for _ in range(20):
        assert http.post_json(s, server.url + "/ok", {})["code"] == "1.001193"


def test_default_guards():
    s = http.make_session()
    assert (s.deadline, s.max_bytes, s.max_page_bytes) == (120.0, 20_000_000, 50_000_000)
    assert isinstance(s.get_adapter("https://dichvucong.gov.vn/"), http._Adapter)


# -- what HTML looks like --------------------------------------------------------------------------------

def test_xml_is_reported_as_what_it_is_not_as_the_firewall(server):
    fresh(server)
    url = server.url + "/xml"
    with pytest.raises(ParseError) as e:
        http.post_json(session(), url, {})
    assert str(e.value).startswith(f"{url}: expected JSON, got '<?xml version=\"1.0\"?><error>")
    assert server.hits["/xml"] == 1  # not retried as a block page


def test_html_served_as_text_html_is_the_firewall(server):
    with pytest.raises(SourceError, match="firewall answered with an HTML page"):
        http.post_json(session(attempts=1), server.url + "/xml?ctype=text/html", {})
