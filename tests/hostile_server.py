"""A small HTTP server on the loopback that misbehaves on purpose, for the HTTP client's guards.

Each path is one kind of hostile answer (see `HostileServer.PATHS`). The server binds any
loopback address (127.0.0.1, 127.0.0.2, …), so a redirect can point at "another host" that is
still this machine. Every loop that writes is bounded in time, so a handler stops by itself
even when a client never hangs up. `hits` counts the requests per path.
"""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OK_ENVELOPE = {"code": "OK", "data": {"id": "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7",
                                      "code": "1.001193", "name": "Thủ tục đăng ký khai sinh"},
               "message": "OK"}
#: No handler writes for longer than this (seconds), whatever the client does.
MAX_HANDLER_SECONDS = 10.0


def gzip_bomb(expanded: int) -> bytes:
    """A valid gzip stream of `expanded` zero bytes, built in milliseconds: one 1 MiB block
    compressed after a full flush is the same bytes every time, so it is repeated."""
    mib = 1 << 20
    assert expanded % mib == 0
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = raw.compress(bytes(mib)) + raw.flush(zlib.Z_FULL_FLUSH)
    again = raw.compress(bytes(mib)) + raw.flush(zlib.Z_FULL_FLUSH)
    end = raw.flush()
    crc = 0
    for _ in range(expanded // mib):
        crc = zlib.crc32(bytes(mib), crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"
    trailer = struct.pack("<II", crc, expanded & 0xFFFFFFFF)
    return header + first + again * (expanded // mib - 1) + end + trailer


class HostileServer:
    """A threaded server on `host` (a loopback address); use it as a context manager."""

    PATHS = ("/ok", "/redirect", "/gzip-bomb", "/chunked-forever", "/drip-body", "/drip-headers",
             "/drip-once", "/xml", "/big")

    def __init__(self, host: str = "127.0.0.1", *, bomb_bytes: int = 512 << 20,
                 drip_interval: float = 0.05, tls: tuple[str, str] | None = None):
        self.host = host
        self.tls = tls  # (certificate file, key file): serve https
        self.bomb = gzip_bomb(bomb_bytes)
        self.bomb_bytes = bomb_bytes
        self.drip_interval = drip_interval
        self.redirect_others_to = ""  # when set, any other path is redirected there (same path)
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()  # body bytes written per path
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def __enter__(self) -> "HostileServer":
        self.server = _Server((self.host, 0), _handler(self))
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, path: str, sent: int = 0) -> None:
        with self._lock:
            if sent:
                self.sent[path] += sent
            else:
                self.hits[path] += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hangs up mid-request is what these tests do; anything else is shown."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


def _handler(state: HostileServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.do_GET()

        def do_GET(self):
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            state.count(parts.path)
            try:
                getattr(self, "answer_" + parts.path.strip("/").replace("-", "_"), self.not_found)(query)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client hung up: that is the point

        def head(self, status: int, ctype: str, **headers) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), str(value))
            self.end_headers()

        def body(self, status: int, data: bytes, ctype: str = "application/json", **headers) -> None:
            self.head(status, ctype, Content_Length=len(data), **headers)
            self.wfile.write(data)

        def not_found(self, query):
            if state.redirect_others_to:
                self.body(302, b"", "text/html", Location=state.redirect_others_to + self.path)
            else:
                self.body(404, b"not found", "text/plain")

        def answer_ok(self, query):
            self.body(201, json.dumps(OK_ENVELOPE, ensure_ascii=False).encode("utf-8"),
                      "application/json; charset=utf-8")

        def answer_redirect(self, query):
            self.body(int(query.get("status", 302)), b"<html>moved</html>", "text/html",
                      Location=query["to"])

        def answer_xml(self, query):
            self.body(200, b'<?xml version="1.0"?><error><code>SERVICE_DOWN</code></error>',
                      query.get("ctype", "application/xml"))

        def answer_big(self, query):
            """A plain (not compressed) JSON answer of `size` bytes, with its Content-Length."""
            head, tail = b'{"code": "OK", "data": "', b'"}'
            data = head + b"x" * (int(query["size"]) - len(head) - len(tail)) + tail
            self.body(201, data)

        def answer_gzip_bomb(self, query):
            self.head(200, "application/json", Content_Encoding="gzip",
                      Content_Length=len(state.bomb))
            view = memoryview(state.bomb)
            for start in range(0, len(view), 1 << 16):
                self.wfile.write(view[start:start + (1 << 16)])
                state.count("/gzip-bomb", 1 << 16)

        def answer_chunked_forever(self, query):
            self.head(200, "application/json", Transfer_Encoding="chunked")
            piece = b"[" + b"0," * 32767 + b"0"
            chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
            stop = time.monotonic() + MAX_HANDLER_SECONDS
            while time.monotonic() < stop:
                self.wfile.write(chunk)
                state.count("/chunked-forever", len(piece))
            self.close_connection = True

        def _drip(self, path: str, data: bytes) -> None:
            stop = time.monotonic() + MAX_HANDLER_SECONDS
            while time.monotonic() < stop:
                self.wfile.write(data)
                self.wfile.flush()
                state.count(path, len(data))
                time.sleep(state.drip_interval)
            self.close_connection = True

        def answer_drip_body(self, query):
            """Headers at once, then the body one byte at a time, for ever."""
            self.head(201, "application/json", Content_Length=10_000_000)
            self._drip("/drip-body", b" ")

        def answer_drip_headers(self, query):
            """The status line, then one header byte at a time, for ever."""
            self.wfile.write(b"HTTP/1.1 201 Created\r\nX-Drip: ")
            self._drip("/drip-headers", b"a")

        def answer_drip_once(self, query):
            """Drip on the first request only; answer at once afterwards (a passing hiccup)."""
            if state.hits["/drip-once"] == 1:
                self.answer_drip_body(query)
            else:
                self.answer_ok(query)

    return Handler
