"""The one careful HTTP client qrproc uses to talk to government servers.

`make_session()` builds a single `requests.Session` (a `PortalSession`) that every `fetch_*`
function is handed. It carries:

* the headers the national portal's firewall lets through: a full desktop-browser User-Agent and
  `Origin`/`Referer: https://dichvucong.gov.vn/` (a short User-Agent gets an HTML block page);
* default (connect, read) timeouts, because `requests` has none;
* a polite rate limit shared by every call made through the session (default 2 requests/s);
* a retry policy: exponential backoff on timeouts, dropped connections, 429 and 5xx, honouring
  `Retry-After`, and on the firewall's HTML page where JSON was expected;
* guards against a hostile or broken server: redirects are followed only to the same host (or to
  `allowed_hosts`), never from https to http; each answer is capped in size, counting the
  *decoded* bytes as they arrive (a gzip bomb is stopped after `max_bytes`, not after it has
  filled the memory); and each attempt has a deadline over connect, headers and the whole body
  (`deadline`), so a server that drips one byte per read, which never trips the read timeout,
  fails in time. A missed deadline is retried like a timeout; a refused redirect and a too
  large answer are final.

Retries are done here rather than with urllib3's `Retry` so that the firewall page and
`Retry-After` go through the same loop, and so that the sleep function and the clock can be
injected (tests pass a tiny backoff base; the benchmark switches the rate limit off).

After the last attempt the caller gets one `SourceError` line naming the URL and what came
back, e.g. ``…/get-formality-by-citizen: HTTP 503 after 4 attempts``.
"""

from __future__ import annotations

import email.utils
import heapq
import itertools
import json
import logging
import socket
import threading
import time
from typing import Any, Callable
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import parse_url

from qrproc.errors import ParseError, SourceError
from qrproc.i18n import N_, _, ngettext
from qrproc.vntext import number

log = logging.getLogger(__name__)

PORTAL_ORIGIN = "https://dichvucong.gov.vn"
#: A current desktop Chrome; the portal's firewall answers short or library User-Agents with HTML.
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
DEFAULT_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "vi-VN,vi;q=0.9,en;q=0.8",
    "Content-Type": "application/json",
    "Origin": PORTAL_ORIGIN,
    "Referer": PORTAL_ORIGIN + "/",
}

DEFAULT_TIMEOUT = (10.0, 60.0)   # (connect, read) seconds
DEFAULT_RATE = 2.0               # requests per second, shared by all calls of a session
DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF = 1.0            # seconds before the 2nd attempt; doubles each time
MAX_BACKOFF = 60.0
MAX_RETRY_AFTER = 300.0          # never sleep longer than this on a server's say-so

#: Decoded bytes accepted in one answer: JSON from the API, and HTML pages (the old portal's
#: detail page can pass 10 MB: it lists every province's and ward's version at the bottom).
DEFAULT_MAX_BYTES = 20_000_000
DEFAULT_MAX_PAGE_BYTES = 50_000_000
#: Seconds one attempt may take from connecting to the last byte of the body.
DEFAULT_DEADLINE = 120.0
#: Hosts a redirect may lead to besides the host asked: the national portal's own names.
PORTAL_HOSTS = ("dichvucong.gov.vn", "www.dichvucong.gov.vn", "thutuc.dichvucong.gov.vn")
_CHUNK = 64 * 1024

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
OK_STATUSES = frozenset({200, 201})   # the new API answers 201 Created to its POST queries


class RateLimiter:
    """A minimum interval between requests, shared by every thread using it.

    `rate` is in requests per second; None or 0 switches the limit off.
    """

    def __init__(self, rate: float | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = None

    def wait(self) -> None:
        """Block until the next request may go out, and book its slot."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            start = now if self._next is None else max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


class DeadlineExceeded(requests.Timeout):
    """An attempt took longer than the session's `deadline` (retried like any timeout)."""


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{number(n / 1e6, 'g')} MB"
    return f"{number(n / 1e3, 'g')} kB" if n >= 1000 else _("{n} bytes").format(n=n)


def _no_answer_within(seconds: float) -> str:
    return _("no complete answer within {seconds} s").format(seconds=number(seconds, "g"))


#: The message of each refused redirect, by what `_refuse_redirect` says.
_REDIRECT_REFUSED = {
    "which is not a valid URL": N_("{url}: redirected to {target}, which is not a valid URL; not followed"),
    "which drops https": N_("{url}: redirected to {target}, which drops https; not followed"),
    "another host": N_("{url}: redirected to {target}, another host; not followed"),
}


class _Attempt:
    """One attempt of one request: its URL, and a deadline that shuts the attempt's sockets down.

    requests has no overall deadline, and the read timeout is per read: a server that sends one
    byte every few seconds, in the headers or in the body, never trips it. So when the deadline
    passes, the socket of every connection the attempt uses is shut down; that wakes the blocked
    read at once (with an error, or an early end of the body) and `expired` says why. The
    connections find the attempt of their thread through `_Attempt.current()`.
    """

    _local = threading.local()

    def __init__(self, url: str, seconds: float | None):
        self.url = url
        self.seconds = seconds
        self.expired = False
        self._conns: list = []
        self._lock = threading.Lock()
        self._done = False

    @classmethod
    def current(cls) -> "_Attempt | None":
        return getattr(cls._local, "attempt", None)

    def __enter__(self) -> "_Attempt":
        self._local.attempt = self
        if self.seconds:
            _WATCHDOG.add(time.monotonic() + self.seconds, self)
        return self

    def __exit__(self, *exc) -> None:
        self._local.attempt = None
        with self._lock:
            self._done = True
            self._conns.clear()
        if self.seconds:
            _WATCHDOG.finished()

    @property
    def done(self) -> bool:
        return self._done

    def watch(self, conn) -> None:
        """Called by a connection as it connects or sends a request for this attempt."""
        with self._lock:
            if not self._done and conn not in self._conns:
                self._conns.append(conn)
            if self.expired:
                _shut(conn)

    def expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for conn in self._conns:
                _shut(conn)


class _Watchdog:
    """One thread for the whole process that expires attempts whose deadline has passed (a
    timer thread per request would cost about 0.2 ms each; this costs a heap push)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Attempt]] = []
        self._cond = threading.Condition()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._running = 0  # attempts added and not finished

    def add(self, when: float, attempt: _Attempt) -> None:
        with self._cond:
            self._running += 1
            if len(self._heap) > 64 + 2 * self._running:  # mostly finished ones: drop them
                self._heap = [entry for entry in self._heap if not entry[2].done]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (when, next(self._order), attempt))
            if self._thread is None or not self._thread.is_alive():  # not started, or forked
                self._thread = threading.Thread(target=self._run, name="qrproc-http-deadlines",
                                                daemon=True)
                self._thread.start()
            elif self._heap[0][2] is attempt:  # sooner than what the thread waits for
                self._cond.notify()

    def finished(self) -> None:
        with self._cond:
            self._running -= 1

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                when, _, attempt = self._heap[0]
                wait = when - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            attempt.expire()  # a finished attempt ignores it


_WATCHDOG = _Watchdog()


def _shut(conn) -> None:
    sock = getattr(conn, "sock", None)
    if sock is None:
        return
    try:
        if isinstance(sock, socket.socket):
            # The plain socket's shutdown, even under TLS: SSLSocket.shutdown would also drop its
            # TLS state, which the thread blocked in the read is still using.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _Watched:
    """Puts a connection under the deadline of the attempt that uses it (see `_Attempt`)."""

    def connect(self):
        attempt = _Attempt.current()
        if attempt is not None:
            attempt.watch(self)
        super().connect()

    def request(self, *args, **kwargs):
        attempt = _Attempt.current()
        if attempt is not None:
            attempt.watch(self)
        super().request(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter, making its connections (direct or through an HTTP proxy) `_Watched`."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **kwargs):
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools have classes of their own
            manager.pool_classes_by_scheme = _POOLS
        return manager


class PortalSession(requests.Session):
    """A `requests.Session` with the portal's headers, default timeouts, a shared rate limit and
    the retry settings that `post_json`, `post_form` and `get_text` follow.

    Every request made through it also follows redirects only to the same host or to
    `allowed_hosts` (and never from https to http), reads at most `max_bytes` decoded bytes of
    an answer (`get_text` pages: `max_page_bytes`), and gives up an attempt after `deadline`
    seconds in all (None: no deadline). The body is read before `request` returns.

    `requests_sent` counts every request that went out (retries included).
    """

    def __init__(self, *, rate: float | None = DEFAULT_RATE,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, attempts: int = DEFAULT_ATTEMPTS,
                 backoff: float = DEFAULT_BACKOFF, max_backoff: float = MAX_BACKOFF,
                 deadline: float | None = DEFAULT_DEADLINE, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
                 allowed_hosts: tuple[str, ...] = PORTAL_HOSTS,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__()
        if attempts < 1:
            raise ValueError("attempts must be at least 1")  # developers only
        self.headers.update(DEFAULT_HEADERS)
        self.mount("https://", _Adapter())
        self.mount("http://", _Adapter())
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_page_bytes = max_page_bytes
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.sleep = sleep
        self.limiter = RateLimiter(rate, clock=clock, sleep=sleep)
        self.requests_sent = 0
        self._count_lock = threading.Lock()

    def request(self, method, url, *args, max_bytes: int | None = None,
                **kwargs):  # noqa: D102 - same as requests.Session, plus the guards above
        kwargs.setdefault("timeout", self.timeout)
        kwargs["stream"] = True  # the body is read here, counted as it comes
        self.limiter.wait()
        with self._count_lock:
            self.requests_sent += 1
        limit = self.max_bytes if max_bytes is None else max_bytes
        with _Attempt(url, self.deadline) as attempt:
            response = None
            try:
                response = super().request(method, url, *args, **kwargs)
                _read_capped(response, url, limit)
            except requests.RequestException as e:
                if attempt.expired:
                    raise DeadlineExceeded(_no_answer_within(self.deadline)) from e
                raise
            finally:
                if response is not None:
                    response.close()
            if attempt.expired:  # the body ended early because its socket was shut down
                raise DeadlineExceeded(_no_answer_within(self.deadline))
        return response

    def get_redirect_target(self, resp):  # noqa: D102 - requests' hook for each redirect
        target = super().get_redirect_target(resp)
        if target is None:
            return None
        attempt = _Attempt.current()
        origin = attempt.url if attempt is not None else resp.url
        absolute = urljoin(resp.url, target)
        refusal = self._refuse_redirect(origin, absolute)
        resp.close()  # a redirect's body is never read: close its connection instead
        if refusal:
            raise SourceError(_(_REDIRECT_REFUSED[refusal]).format(url=origin, target=absolute))
        resp._content, resp._content_consumed = b"", True  # so requests does not read it either
        return target

    def _refuse_redirect(self, origin: str, target: str) -> str:
        """Why a redirect from `origin` to `target` is not followed ("" when it may be)."""
        try:
            old, new = parse_url(origin), parse_url(target)  # the parser urllib3 will use
        except ValueError:
            return "which is not a valid URL"
        if old.scheme == "https" and new.scheme != "https":
            return "which drops https"
        host = (new.host or "").lower()
        if host and (host == (old.host or "").lower() or host in self.allowed_hosts):
            return ""
        return "another host"

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)


def _read_capped(response: requests.Response, url: str, limit: int) -> None:
    """Read the body, decoded, stopping as soon as it passes `limit` bytes (SourceError)."""
    chunks, size = [], 0
    for chunk in response.iter_content(_CHUNK):  # decoded pieces of at most _CHUNK bytes
        size += len(chunk)
        if size > limit:
            raise SourceError(_("{url}: the answer is larger than {size}, the limit for one answer; "
                                "refused").format(url=url, size=_size(limit)))
        chunks.append(chunk)
    # What `response.content` would have read, so .text and .json() work as usual.
    response._content, response._content_consumed = b"".join(chunks), True


def make_session(*, rate: float | None = DEFAULT_RATE, **settings) -> PortalSession:
    """The one session to hand to every `fetch_*` function. See `PortalSession` for settings."""
    return PortalSession(rate=rate, **settings)


class _Retry(Exception):
    """One attempt failed in a way worth trying again; `reason` says what came back."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def looks_like_html(response: requests.Response) -> bool:
    """True when a response is an HTML page (what the firewall sends instead of JSON): served as
    text/html (or XHTML), or starting with a doctype or an <html>, <head> or <body> tag, after
    any byte-order mark, white space, XML declaration and comments. Other markup (XML, say) is
    not HTML, and is reported as what it is."""
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype in HTML_TYPES:
        return True
    head = response.content[:1024]
    for bom in _BOMS:
        head = head.removeprefix(bom)
    head = head.replace(b"\x00", b"").lstrip().lower()  # a UTF-16 page reads as ASCII this way
    while head.startswith((b"<?xml", b"<!--")):
        close = head.find(b"?>" if head.startswith(b"<?") else b"-->")
        if close < 0:
            return False
        head = head[close + (2 if head.startswith(b"<?") else 3):].lstrip()
    return head.startswith(_HTML_STARTS)


FIREWALL = N_("the portal's firewall answered with an HTML page (blocked)")


def _check_status(response: requests.Response, url: str) -> None:
    status = response.status_code
    if status in RETRY_STATUSES:
        raise _Retry(f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After")))
    if status not in OK_STATUSES:
        if looks_like_html(response) and status in (401, 403):
            raise _Retry(f"{_(FIREWALL)}, HTTP {status}")
        raise SourceError(_("{url}: HTTP {status} ({body})").format(url=url, status=status,
                                                                   body=_snippet(response)))


def _snippet(response: requests.Response, size: int = 80) -> str:
    text = " ".join(response.text.split())
    return (text[:size] + "…") if len(text) > size else (text or _("empty body"))


def _json_body(response: requests.Response, url: str) -> Any:
    if looks_like_html(response):
        raise _Retry(_(FIREWALL))
    try:
        return response.json()
    except ValueError as e:
        raise ParseError(_("{url}: expected JSON, got {body!r}").format(
            url=url, body=_snippet(response))) from e


def call(session: PortalSession, method: str, url: str, *,
         read: Callable[[requests.Response], Any], **kwargs) -> Any:
    """Send one request with the session's retry policy and return `read(response)`.

    `read` gets a response with an OK status; it raises `_Retry` for a retryable answer (the
    firewall page) and `SourceError` for a final one.
    """
    attempts = getattr(session, "attempts", DEFAULT_ATTEMPTS)
    reason = ""
    for attempt in range(1, attempts + 1):
        retry_after = None
        try:
            response = session.request(method, url, **kwargs)
            _check_status(response, url)
            return read(response)
        except _Retry as e:
            reason, retry_after = e.reason, e.retry_after
        except DeadlineExceeded as e:
            reason = _("timed out ({detail})").format(detail=e)
        except requests.Timeout as e:
            reason = _timed_out(e, kwargs.get("timeout", getattr(session, "timeout", None)))
        # Pretty broad on purpose: a refused or reset connection, a body cut off half-way and a
        # bad chunk all mean "the server or the line hiccuped"; the next attempt may well work.
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as e:
            reason = _("connection failed ({detail})").format(detail=_short_exc(e))
        if attempt < attempts:
            wait = session.delay(attempt, retry_after) if isinstance(session, PortalSession) else 0
            log.warning("%s", _("{url}: {reason}; retrying in {wait} s (attempt {attempt} of "
                                "{attempts})").format(url=url, reason=reason,
                                                      wait=number(wait, ".1f"),
                                                      attempt=attempt + 1, attempts=attempts))
            if wait:
                session.sleep(wait)
    raise SourceError(ngettext("{url}: {reason} after {attempts} attempt",
                               "{url}: {reason} after {attempts} attempts", attempts).format(
        url=url, reason=reason, attempts=attempts))


def _timed_out(exc: Exception, timeout) -> str:
    """'timed out (no answer within 60 s)'."""
    if isinstance(timeout, tuple):
        connect, read_ = timeout
    else:
        connect = read_ = timeout
    if isinstance(exc, requests.ConnectTimeout):
        if connect:
            return _("timed out (no connection within {seconds} s)").format(
                seconds=number(connect, "g"))
    elif read_:
        return _("timed out (no answer within {seconds} s)").format(seconds=number(read_, "g"))
    return _("timed out")


def _short_exc(e: Exception) -> str:
    text = str(e)
    # urllib3 wraps the useful part ("Connection refused", "Remote end closed connection") deep
    # inside a repr; keep the innermost phrase.
    for marker in ("Connection refused", "Remote end closed connection without response",
                   "Connection reset by peer", "Connection aborted", "IncompleteRead",
                   "Connection broken"):
        if marker in text:
            return marker
    return type(e).__name__


def post_json(session: PortalSession, url: str, body: dict) -> Any:
    """POST a JSON body to the new portal API and return the envelope's `data`.

    Success is HTTP 200/201 with `{"code": "OK"}`; any other `code` is a final SourceError.
    """

    def read(response: requests.Response) -> Any:
        envelope = _json_body(response, url)
        if not isinstance(envelope, dict) or "code" not in envelope:
            raise ParseError(_("{url}: expected the portal's {{\"code\": …, \"data\": …}} "
                               "envelope, got {body!r}").format(url=url, body=_snippet(response)))
        if envelope.get("code") != "OK":
            message = envelope.get("message") or envelope.get("code")
            raise SourceError(_("{url}: the portal answered {code!r} ({message})").format(
                url=url, code=envelope.get("code"), message=message))
        return envelope.get("data")

    return call(session, "POST", url, read=read, data=json.dumps(body, ensure_ascii=False).encode("utf-8"))


def post_form(session: PortalSession, url: str, form: dict[str, str]) -> Any:
    """POST a form (the old `rest.jsp` gateway) and return the JSON it answers."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
               "X-Requested-With": "XMLHttpRequest"}
    return call(session, "POST", url, read=lambda r: _json_body(r, url), data=form, headers=headers)


def get_text(session: PortalSession, url: str, *, must_contain: str | None = None,
             params: dict | None = None) -> str:
    """GET a page and return its text. A page without `must_contain` (say, the id of the block
    holding the data) is taken for the firewall's block page and retried."""

    def read(response: requests.Response) -> str:
        if not response.encoding or response.encoding.lower() == "iso-8859-1":
            response.encoding = "utf-8"  # the portals serve UTF-8 but do not always say so
        text = response.text
        if must_contain and must_contain not in text:
            raise _Retry(_("the page has no {marker!r} (blocked, or the page moved)").format(
                marker=must_contain))
        return text

    return call(session, "GET", url, read=read, params=params, max_bytes=session.max_page_bytes,
                headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
