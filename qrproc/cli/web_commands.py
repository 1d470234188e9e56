"""The `serve` command: the reception desk's web page, in Vietnamese, on this computer only."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from qrproc.errors import RegistryError
from qrproc.i18n import _


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port on 127.0.0.1 (default 8765; 0 picks a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open the browser.")
@click.pass_obj
def serve(app, port, no_browser):
    """Open the reception desk in the browser: a local web page in Vietnamese over this registry
    (board, import, print, mark, report, photo audit, settings). Only this computer can reach
    it (127.0.0.1). With no registry yet, its settings page sets one up.

    Example: qrproc serve --port 8765
    """
    from qrproc.web import create_app
    from qrproc.web.server import DEFAULT_PORT, can_open_browser, make_server, run, url_of

    try:
        path = app.registry.path  # an existing registry: opened once, so an old one is migrated
    except RegistryError:
        if app.given and Path(app.given).exists():
            raise
        path = app.db  # none yet: nothing is created until the settings page sets it up
    port = DEFAULT_PORT if port is None else port
    web = create_app(path)
    try:
        server = make_server(web, port)
    except OSError as e:
        web.extensions["qrproc"].close()
        raise click.ClickException(
            _("cannot listen on 127.0.0.1:{port} ({reason}); is another qrproc serve running? "
              "Choose another port with --port N").format(port=port, reason=e.strerror or e)) from e
    where, at = Path(path).resolve(), url_of(server)
    if Path(path).is_file():
        click.echo(_("Serving {path} at {url} — press Ctrl+C to stop.").format(path=where, url=at))
    else:
        click.echo(_("Serving {path} (no registry yet: set it up on the Cài đặt page) at {url} — "
                     "press Ctrl+C to stop.").format(path=where, url=at))
    opening = not no_browser and can_open_browser()
    if not no_browser and not opening:
        click.echo(_("No graphical session here: open the address above in a browser."), err=True)
    signal.signal(signal.SIGTERM, _stop)
    run(web, server, open_browser=opening)


def _stop(signum, frame):
    raise KeyboardInterrupt
