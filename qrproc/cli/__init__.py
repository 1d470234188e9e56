"""The `qrproc` command line: thin commands over the library.

Each command turns options into library arguments, calls the library, and prints the result.
Domain errors become one-line `Error: …` messages with exit code 1; bad arguments are usage
errors with exit code 2. Data goes to stdout; progress, warnings and logs go to stderr.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import math
import os
import sys
from datetime import date, datetime
from pathlib import Path

import click

from qrproc import __version__
from qrproc.cli.language import install as install_click_language
from qrproc.cli.language import translate_help
from qrproc.errors import QrprocError, RegistryError
from qrproc.i18n import N_, _, language, ngettext
from qrproc.model import is_valid_code, normalise_code, parse_date
from qrproc.registry import Registry

DEFAULT_DB = "qrproc.db"
#: How the registry is found when --db and QRPROC_DB are not given.
DISCOVERY = "./qrproc.db, then the nearest qrproc.db in the folders above"


class FiniteFloat(click.ParamType):
    """A number within [low, high]; 'nan' and 'inf' are refused (they would turn a check off)."""

    name = "number"

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(_("{value!r} is not a number").format(value=value), param, ctx)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            self.fail(_("{value!r} is not a number from {low:g} to {high:g}").format(
                value=value, low=self.low, high=self.high), param, ctx)
        return number


class DateType(click.ParamType):
    """A date written as 2026-11-28 or 28/11/2026."""

    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return parse_date(value)
        except ValueError:
            self.fail(_("{value!r} is not a date; write it as 2026-11-28 or 28/11/2026").format(
                value=value), param, ctx)


class CodeType(click.ParamType):
    """A procedure code: 1.001193 or a local version such as 1.001193.000.00.00.H35."""

    name = "code"

    def convert(self, value, param, ctx):
        code, fixed = normalise_code(value)
        if not code or fixed or not is_valid_code(code):
            self.fail(_("{value!r} is not a procedure code like 1.001193 or "
                        "1.001193.000.00.00.H35").format(value=value), param, ctx)
        return code


DATE = DateType()
CODE = CodeType()


def split_codes(ctx, param, values):
    """A callback for CODES arguments and options: each value may hold several codes separated by
    commas, semicolons or spaces ('1.001193,1.000894'), as ticked off a printed sheet."""
    import re

    out = []
    for value in values or ():
        for part in re.split(r"[,;\s]+", value):
            if part:
                out.append(CODE.convert(part, param, ctx))
    return tuple(dict.fromkeys(out))


def find_registry(start: Path | None = None) -> Path | None:
    """./qrproc.db, else the nearest qrproc.db in the folders above; None when there is none."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / DEFAULT_DB
        if path.is_file():
            return path
    return None


class AppContext:
    """What every command shares: where the registry is, and the clock.

    The registry is the one --db (or QRPROC_DB) names, else ./qrproc.db, else the nearest
    qrproc.db in the folders above. Only `init` creates one; a command that only reads opens it
    read-only (`reader`), so a wrong path never creates or alters a database.
    """

    def __init__(self, db: str | None, debug: bool):
        self.given = db
        self.debug = debug
        self._registry: Registry | None = None
        self._dry_run = False

    @property
    def db(self) -> str:
        if self.given:
            return self.given
        found = find_registry()
        return str(found) if found else DEFAULT_DB

    def _missing(self) -> RegistryError:
        if self.given:
            return RegistryError(_("{db}: no registry there; create it with: qrproc --db {db} init "
                                   "--unit \"UBND xã …\" --province H31").format(db=self.given))
        return RegistryError(_(
            "no registry found: looked for {file} in {folder} and every folder above it "
            "(QRPROC_DB is not set); create one here with: qrproc init --unit \"UBND xã …\" "
            "--province H31, or name it with --db FILE").format(file=DEFAULT_DB, folder=Path.cwd()))

    def _open(self, *, readonly: bool, create: bool = False) -> Registry:
        if self._registry is None:
            path = self.given or (str(find_registry() or "") if not create else self.db)
            if not path:
                raise self._missing()
            if not create and not Path(path).is_file():
                raise self._missing()
            self._registry = Registry(path, readonly=readonly, create=create)
        return self._registry

    @property
    def registry(self) -> Registry:
        """The registry, opened to change it (it must exist)."""
        return self._open(readonly=False)

    @property
    def reader(self) -> Registry:
        """The registry, opened read-only (it must exist)."""
        return self._open(readonly=True)

    def creating(self) -> Registry:
        """The registry `init` writes: created when it is not there yet."""
        return self._open(readonly=False, create=True)

    @contextlib.contextmanager
    def changing(self, dry_run: bool):
        """Run a changing command; with `dry_run` everything it did is rolled back at the end
        and a line says so (what it printed is exactly what it would change)."""
        registry = self.registry
        if not dry_run:
            yield registry
            return
        # said first, so that "Posted 4 labels" below reads as what would be done, not as done
        click.echo(_("Dry run: what the command would do, without saving anything:"))
        with registry.dry_run():
            yield registry
        click.echo(_("Dry run: nothing was changed."))

    @staticmethod
    def now() -> datetime:
        return datetime.now().replace(microsecond=0)

    @staticmethod
    def today() -> date:
        return date.today()


def dry_run_option(command):
    """--dry-run: show exactly what the command would change, and change nothing."""
    return click.option("--dry-run", is_flag=True,
                        help="Show what would change, and change nothing.")(command)


def clean_help(command: click.Command) -> click.Command:
    """Store `command`'s help (and, for a group, its commands') as `inspect.cleandoc` leaves it,
    before it is first translated: the English of the catalogue is the docstring without its
    indentation, whichever Python compiled it (3.13 strips docstrings, earlier ones do not)."""
    if not hasattr(command, "_qrproc_english"):
        for key in ("help", "short_help", "epilog"):
            text = getattr(command, key, None)
            if text:
                setattr(command, key, inspect.cleandoc(text))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            clean_help(sub)
    return command


def help_option_in_language(command: click.Command) -> click.Command:
    """Say `--help`'s own help in the current language: click keeps the option it made the first
    time, with the words of the language then (a process can change its language)."""
    option = getattr(command, "_help_option", None)
    if option is not None:
        option.help = _("Show this message and exit.")
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            help_option_in_language(sub)
    return command


class QrprocGroup(click.Group):
    """Loads commands lazily and turns library errors into one-line messages (exit 1)."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, cmd_name):
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, attr = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(f"qrproc.cli.{module}"), attr)
            self.add_command(command, cmd_name)
        command = super().get_command(ctx, cmd_name)
        if command is None:
            return None
        return help_option_in_language(translate_help(clean_help(command)))

    def get_help(self, ctx):
        translate_help(self)  # the group's own help and options (its commands come lazily)
        help_option_in_language(self)
        return super().get_help(ctx)

    def main(self, *args, **kwargs):
        install_click_language()
        return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QrprocError as e:
            raise click.ClickException(str(e)) from e
        except BrokenPipeError:
            _quiet_stdout()
            raise click.exceptions.Exit(0) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as e:  # a bug: say so in one line unless --debug asks for the traceback
            app = ctx.obj
            if app is not None and app.debug:
                raise
            raise click.ClickException(
                _("unexpected error ({kind}: {error}); run again with --debug for details").format(
                    kind=type(e).__name__, error=e)
            ) from e


@click.group(cls=QrprocGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False), envvar="QRPROC_DB", show_envvar=True,
              help=f"The registry file (SQLite). Default: {DISCOVERY}.")
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


clean_help(cli)


def warn(message: str) -> None:
    click.echo(message, err=True)


def warning(message: str) -> None:
    """`message` (already in the user's language) on stderr, as a warning."""
    warn(_("Warning: {message}").format(message=message))


def number(n: int) -> str:
    """A count with thousands grouped as the language writes them: 1,234 or 1.234."""
    from qrproc.vntext import number as grouped

    return grouped(n)


def percent(value: float | None) -> str:
    """A coverage percentage as the report writes it (98,3%), or 'undefined'."""
    from qrproc.report import vn_percent

    return _("undefined") if value is None else vn_percent(value)


def in_language(english: str, vietnamese: str) -> str:
    """The one of a library value's two wordings (`reason` and `reason_vi`) for the user."""
    return english if language() == "en" else vietnamese


def echo_comparison(outcome) -> None:
    """The line `import` and `fetch` print after storing a list: what changed against the last."""
    if outcome.added or outcome.changed or outcome.dropped:
        click.echo(_("Compared with the previous list: {added} new, {changed} changed, {dropped} "
                     "no longer listed.").format(added=len(outcome.added),
                                                 changed=len(outcome.changed),
                                                 dropped=len(outcome.dropped)))


_DATE_FROM = {
    "option": N_("as given with --effective"),
    "clause": N_("as the decision says"),
    "rows": N_("from the rows' own dates"),
}


def echo_import(outcome, what: str) -> None:
    """What `import` and `fetch` print: where the date came from, the counts (they add up to the
    rows read), what the scope left out and why, the links, and the comparison."""
    from qrproc.diff import vn_date

    plan = outcome.plan
    if outcome.snapshot is None:
        s = outcome.already
        click.echo(_("{what}: the same content was already imported on {at} ({source}); nothing "
                     "was changed.").format(what=what, at=f"{s.imported_at:%d/%m/%Y %H:%M}",
                                            source=s.source))
        return
    if plan.kind == "amend":
        stored = ngettext("{n} row stored as an amendment", "{n} rows stored as an amendment",
                          plan.rows)
    else:
        stored = ngettext("{n} row stored as a list", "{n} rows stored as a list", plan.rows)
    stored = stored.format(n=plan.rows)
    dec = _(", decision {decision}").format(decision=plan.decision) if plan.decision else ""
    if plan.effective_source == "today":
        when = _("the file gives no date, so it counts from today, {day} (give --effective DATE "
                 "to set another)").format(day=vn_date(plan.effective))
    else:
        when = _("effective {day} ({source})").format(
            day=vn_date(plan.effective), source=_(_DATE_FROM[plan.effective_source]))
    click.echo(_("{what}: {stored}{decision}; {when}.").format(what=what, stored=stored,
                                                               decision=dec, when=when))
    c = plan.counts
    in_scope = c["in_force"] + c["announced"] + c["abolished"] + c["no_code"]
    click.echo(_("  Received at the commune: {received} ({in_force} in force, {announced} "
                 "announced for later, {abolished} abolished or replaced, {no_code} without a "
                 "code).").format(received=in_scope, in_force=c["in_force"],
                                  announced=c["announced"], abolished=c["abolished"],
                                  no_code=c["no_code"]))
    out = plan.split.counts_out()
    if out:
        from qrproc.scope import reason_words

        parts = ", ".join(f"{n} {reason_words(cause)}" for cause, n in out.items())
        click.echo(_("  Left out of the scope: {n} ({reasons}).").format(n=c["out_of_scope"],
                                                                         reasons=parts))
    if plan.links_own or plan.links_search:
        click.echo(_("  QR links: {own} to the procedure's own page on the portal, {search} to "
                     "the portal's search by code.").format(own=plan.links_own,
                                                             search=plan.links_search))
    echo_comparison(outcome)


def _quiet_stdout() -> None:
    """`qrproc diff | head`: the reader left. Point stdout at /dev/null so that nothing more
    (not even the flush at exit) fails, and stop quietly with status 0."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test runner's): nothing to quieten
        pass


def main() -> None:
    try:
        cli(prog_name="qrproc")
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(0)


# Each command lives in a module of its own, imported only when that command runs (or when the
# whole list is shown), so `qrproc post` does not pay for the PDF, photo and portal libraries.
LAZY_COMMANDS = {
    "init": "board_commands:init",
    "import": "board_commands:import_",
    "diff": "board_commands:diff_",
    "post": "board_commands:post",
    "takedown": "board_commands:takedown",
    "batches": "board_commands:batches",
    "status": "board_commands:status",
    "scope": "board_commands:scope_",
    "log": "board_commands:log",
    "undo": "board_commands:undo",
    "migrate": "board_commands:migrate",
    "codes": "board_commands:codes",
    "correct": "board_commands:correct",
    "demo": "board_commands:demo",
    "fetch": "fetch_commands:fetch",
    "links": "fetch_commands:links",
    "catalogue": "province_commands:catalogue_group",
    "export": "province_commands:export",
    "province": "province_commands:province_",
    "posters": "poster_commands:posters",
    "payload": "poster_commands:payload",
    "report": "report_commands:report",
    "audit": "audit_commands:audit",
    "serve": "web_commands:serve",
}
