"""The reception desk's web page (`qrproc serve`): Flask pages in Vietnamese over the same
service layer as the command line, served by waitress on 127.0.0.1.

    from qrproc.web import create_app
    from qrproc.web.server import make_server
    app = create_app("qrproc.db")
    server = make_server(app, port=0)   # 127.0.0.1 only
    server.run()

Modules: `app` (the factory, checks and error pages), `security` (Host, Origin and CSRF checks,
headers), `desk` (what pages share: the registry per request, the clock, form values), `jobs`
(background work with progress), `uploads` (the temporary upload folder), `server` (waitress),
and `pages/` (one module per page).
"""

from qrproc.web.app import create_app

__all__ = ["create_app"]
