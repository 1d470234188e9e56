"""The `qrproc` command line: thin commands over the library.

Each command turns options into library arguments, calls the library, and prints the result.
Domain errors become one-line `Error: …` messages with exit code 1; bad arguments are usage
errors with exit code 2. Data goes to stdout; progress, warnings and logs go to stderr.
"""

from __future__ import annotations

import importlib
import logging
from datetime import date, datetime

import click

from qrproc import __version__
from qrproc.errors import QrprocError
from qrproc.model import is_valid_code, normalise_code, parse_date
from qrproc.registry import Registry

DEFAULT_DB = "qrproc.db"


class DateType(click.ParamType):
    """A date written as 2026-11-28 or 28/11/2026."""

    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return parse_date(value)
        except ValueError:
            self.fail(f"{value!r} is not a date; write it as 2026-11-28 or 28/11/2026", param, ctx)


class CodeType(click.ParamType):
    """A procedure code: 1.001193 or a local version such as 1.001193.000.00.00.H35."""

    name = "code"

    def convert(self, value, param, ctx):
        code, fixed = normalise_code(value)
        if not code or fixed or not is_valid_code(code):
            self.fail(f"{value!r} is not a procedure code like 1.001193 "
                      "or 1.001193.000.00.00.H35", param, ctx)
        return code


DATE = DateType()
CODE = CodeType()


class AppContext:
    """What every command shares: where the registry is, and the clock."""

    def __init__(self, db: str, debug: bool):
        self.db = db
        self.debug = debug
        self._registry: Registry | None = None

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry(self.db)
        return self._registry

    @staticmethod
    def now() -> datetime:
        return datetime.now().replace(microsecond=0)

    @staticmethod
    def today() -> date:
        return date.today()


class QrprocGroup(click.Group):
    """Loads commands lazily and turns library errors into one-line messages (exit 1)."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, cmd_name):
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, attr = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(f"qrproc.cli.{module}"), attr)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QrprocError as e:
            raise click.ClickException(str(e)) from e
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as e:  # a bug: say so in one line unless --debug asks for the traceback
            app = ctx.obj
            if app is not None and app.debug:
                raise
            raise click.ClickException(
                f"unexpected error ({type(e).__name__}: {e}); run again with --debug for details"
            ) from e


@click.group(cls=QrprocGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False), envvar="QRPROC_DB", default=DEFAULT_DB,
              show_default=True, show_envvar=True, help="The registry file (SQLite).")
@click.option("-v", "--verbose", is_flag=True, help="Log more (to stderr).")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected errors.")
@click.version_option(__version__, prog_name="qrproc")
@click.pass_context
def cli(ctx, db, verbose, debug):
    """Keep the commune's QR notice board of administrative procedures (TTHC) in step with the
    official catalogue, and prove it.

    Example: qrproc demo
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = AppContext(db, debug)
    ctx.call_on_close(lambda: ctx.obj._registry and ctx.obj._registry.close())


def warn(message: str) -> None:
    click.echo(message, err=True)


def echo_comparison(outcome) -> None:
    """The line `import` and `fetch` print after storing a list: what changed against the last."""
    if outcome.added or outcome.changed or outcome.dropped:
        click.echo(f"Compared with the previous list: {len(outcome.added)} new, "
                   f"{len(outcome.changed)} changed, {len(outcome.dropped)} no longer listed.")


_DATE_FROM = {
    "option": "as given with --effective",
    "clause": "as the decision says",
    "rows": "from the rows' own dates",
}


def echo_import(outcome, what: str) -> None:
    """What `import` and `fetch` print: where the date came from, the counts (they add up to the
    rows read), what the scope left out and why, the links, and the comparison."""
    from qrproc import scope as scopemod
    from qrproc.diff import vn_date

    plan = outcome.plan
    if outcome.snapshot is None:
        s = outcome.already
        click.echo(f"{what}: the same content was already imported on "
                   f"{s.imported_at:%d/%m/%Y %H:%M} ({s.source}); nothing was changed.")
        return
    kind = "amendment" if plan.kind == "amend" else "list"
    dec = f", decision {plan.decision}" if plan.decision else ""
    if plan.effective_source == "today":
        when = (f"the file gives no date, so it counts from today, {vn_date(plan.effective)} "
                "(give --effective DATE to set another)")
    else:
        when = f"effective {vn_date(plan.effective)} ({_DATE_FROM[plan.effective_source]})"
    click.echo(f"{what}: {plan.rows} rows stored as a {kind}{dec}; {when}.")
    c = plan.counts
    in_scope = c["in_force"] + c["announced"] + c["abolished"] + c["no_code"]
    click.echo(f"  Received at the commune: {in_scope} ({c['in_force']} in force, {c['announced']} "
               f"announced for later, {c['abolished']} abolished or replaced, {c['no_code']} "
               "without a code).")
    out = plan.split.counts_out()
    if out:
        parts = ", ".join(f"{n} {scopemod.reason_vi(cause)}" for cause, n in out.items())
        click.echo(f"  Left out of the scope: {c['out_of_scope']} ({parts}).")
    if plan.links_own or plan.links_search:
        click.echo(f"  QR links: {plan.links_own} to the procedure's own page on the portal, "
                   f"{plan.links_search} to the portal's search by code.")
    echo_comparison(outcome)


def main() -> None:
    cli(prog_name="qrproc")


# Each command lives in a module of its own, imported only when that command runs (or when the
# whole list is shown), so `qrproc post` does not pay for the PDF, photo and portal libraries.
LAZY_COMMANDS = {
    "init": "board_commands:init",
    "import": "board_commands:import_",
    "diff": "board_commands:diff_",
    "post": "board_commands:post",
    "takedown": "board_commands:takedown",
    "status": "board_commands:status",
    "scope": "board_commands:scope_",
    "demo": "board_commands:demo",
    "fetch": "fetch_commands:fetch",
    "posters": "poster_commands:posters",
    "payload": "poster_commands:payload",
    "report": "report_commands:report",
    "audit": "audit_commands:audit",
}
