"""Serving the desk: waitress (a production WSGI server, pure Python, also on Windows) bound to
127.0.0.1 only."""

from __future__ import annotations

import os
import sys
import threading
import webbrowser

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from qrproc.web.app import set_port

HOST = "127.0.0.1"
#: The desk's usual port (a bookmark keeps working); `--port` chooses another.
DEFAULT_PORT = 8765
THREADS = 6


def make_server(app: Flask, port: int = DEFAULT_PORT):
    """Bind the app on 127.0.0.1:`port` (0: any free port) and tell it its port. Raises OSError
    when the port is taken. Run it with `server.run()`, stop it with `server.close()`."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    server = create_server(app, host=HOST, port=port, threads=THREADS, ident="qrproc",
                           # A body a little over the app's own cap still reaches the app, which
                           # refuses it with a Vietnamese page; waitress cuts off anything far larger.
                           max_request_body_size=limit * 2 + 1024 * 1024,
                           clear_untrusted_proxy_headers=True)
    set_port(app, server.effective_port)
    return server


def stop(server) -> None:
    """Stop a server that `run` is serving on another thread (tests do this)."""
    # waitress has no public call that ends run() from another thread: its trigger runs a thunk
    # on the loop's own thread, which closes every channel of the socket map (the listening one
    # included); the map is then empty and the loop returns.
    close = lambda: wasyncore.close_all(server._map)  # noqa: E731
    try:
        server.trigger.pull_trigger(close)
    except OSError:  # the loop is no longer running: close from here
        close()
    server.task_dispatcher.shutdown()


def url_of(server) -> str:
    return f"http://{HOST}:{server.effective_port}/"


def can_open_browser() -> bool:
    """Windows and macOS always have one; elsewhere only a graphical session does (without one,
    Python's webbrowser would start a text browser in the terminal the server logs to)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(app: Flask, server, *, open_browser: bool) -> None:
    """Serve until Ctrl+C; then remove the uploads folder."""
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url_of(server),)).start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        app.extensions["qrproc"].close()
