"""The one careful HTTP client qrproc uses to talk to government servers.

`make_session()` builds a single `requests.Session` (a `PortalSession`) that every `fetch_*`
function is handed. It carries:

* the headers the national portal's firewall lets through: a full desktop-browser User-Agent and
  `Origin`/`Referer: https://dichvucong.gov.vn/` (a short User-Agent gets an HTML block page);
* default (connect, read) timeouts, because `requests` has none;
* a polite rate limit shared by every call made through the session (default 2 requests/s);
* a retry policy: exponential backoff on timeouts, dropped connections, 429 and 5xx, honouring
  `Retry-After`, and on the firewall's HTML page where JSON was expected.

Retries are done here rather than with urllib3's `Retry` so that the firewall page and
`Retry-After` go through the same loop, and so that the sleep function and the clock can be
injected (tests pass a tiny backoff base; the benchmark switches the rate limit off).

After the last attempt the caller gets one `SourceError` line naming the URL and what came
back, e.g. ``…/get-formality-by-citizen: HTTP 503 after 4 attempts``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
from typing import Any, Callable

import requests

from qrproc.errors import ParseError, SourceError

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


class PortalSession(requests.Session):
    """A `requests.Session` with the portal's headers, default timeouts, a shared rate limit and
    the retry settings that `post_json`, `post_form` and `get_text` follow.

    `requests_sent` counts every request that went out (retries included).
    """

    def __init__(self, *, rate: float | None = DEFAULT_RATE,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, attempts: int = DEFAULT_ATTEMPTS,
                 backoff: float = DEFAULT_BACKOFF, max_backoff: float = MAX_BACKOFF,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__()
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.headers.update(DEFAULT_HEADERS)
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.limiter = RateLimiter(rate, clock=clock, sleep=sleep)
        self.requests_sent = 0
        self._count_lock = threading.Lock()

    def request(self, method, url, *args, **kwargs):  # noqa: D102 - same as requests.Session
        kwargs.setdefault("timeout", self.timeout)
        self.limiter.wait()
        with self._count_lock:
            self.requests_sent += 1
        return super().request(method, url, *args, **kwargs)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)


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


FIREWALL = "the portal's firewall answered with an HTML page (blocked)"


def _check_status(response: requests.Response, url: str) -> None:
    status = response.status_code
    if status in RETRY_STATUSES:
        raise _Retry(f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After")))
    if status not in OK_STATUSES:
        if looks_like_html(response) and status in (401, 403):
            raise _Retry(f"{FIREWALL}, HTTP {status}")
        raise SourceError(f"{url}: HTTP {status} ({_snippet(response)})")


def _snippet(response: requests.Response, size: int = 80) -> str:
    text = " ".join(response.text.split())
    return (text[:size] + "…") if len(text) > size else (text or "empty body")


def _json_body(response: requests.Response, url: str) -> Any:
    if looks_like_html(response):
        raise _Retry(FIREWALL)
    try:
        return response.json()
    except ValueError as e:
        raise ParseError(f"{url}: expected JSON, got {_snippet(response)!r}") from e


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
        except requests.Timeout as e:
            reason = "timed out" + _timeout_detail(e, kwargs.get("timeout", getattr(session, "timeout", None)))
        # Pretty broad on purpose: a refused or reset connection, a body cut off half-way and a
        # bad chunk all mean "the server or the line hiccuped"; the next attempt may well work.
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as e:
            reason = f"connection failed ({_short_exc(e)})"
        if attempt < attempts:
            wait = session.delay(attempt, retry_after) if isinstance(session, PortalSession) else 0
            log.warning("%s: %s; retrying in %.1f s (attempt %d of %d)", url, reason, wait,
                        attempt + 1, attempts)
            if wait:
                session.sleep(wait)
    raise SourceError(f"{url}: {reason} after {attempts} attempt{'s' if attempts != 1 else ''}")


def _timeout_detail(exc: Exception, timeout) -> str:
    if isinstance(timeout, tuple):
        connect, read_ = timeout
    else:
        connect = read_ = timeout
    if isinstance(exc, requests.ConnectTimeout):
        return f" (no connection within {connect:g} s)" if connect else ""
    return f" (no answer within {read_:g} s)" if read_ else ""


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
            raise ParseError(f"{url}: expected the portal's {{\"code\": …, \"data\": …}} envelope, "
                             f"got {_snippet(response)!r}")
        if envelope.get("code") != "OK":
            message = envelope.get("message") or envelope.get("code")
            raise SourceError(f"{url}: the portal answered {envelope.get('code')!r} ({message})")
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
            raise _Retry(f"the page has no {must_contain!r} (blocked, or the page moved)")
        return text

    return call(session, "GET", url, read=read, params=params,
                headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
