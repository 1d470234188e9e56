"""The desk is for the computer it runs on: the Host header must name this server (no DNS
rebinding), a state-changing request must come from one of its own pages (a CSRF token bound to
the browser's session, and the Origin when the browser sends one), and every answer carries
headers that keep other sites out (no framing, no scripts or styles from elsewhere).
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

from qrproc.web.desk import desk

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

#: The app's own pages: scripts, styles, fonts and frames from this server only.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
               "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
#: The coverage report as the library renders it: inline CSS and SVG, and no script at all.
REPORT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                 "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


def allowed_hosts() -> set[str]:
    port = desk().port
    names = ("127.0.0.1", "localhost")
    if port is None:  # not bound yet (no request can arrive then)
        return set()
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts.update(names)
    return hosts


def check_host() -> None:
    """Refuse a request whose Host header is not this server's own address."""
    host = (request.headers.get("Host") or "").strip().lower()
    if host not in allowed_hosts():
        abort(400, description="host")


def csrf_token() -> str:
    """The page's token, made once per browser session."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_origin_and_token() -> None:
    """A state-changing request must come from our own page: same Origin, valid token."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() not in {f"http://{h}" for h in allowed_hosts()}:
        abort(403, description="origin")
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD) or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, description="csrf")


def add_headers(response):
    response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
