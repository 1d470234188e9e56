"""Running `qrproc ARGS…` in a test, through click's runner (the tests' one way to do it)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from click.testing import CliRunner, Result

from qrproc.cli import cli


def cli_runner(db: Path | None = None, **invoke_options) -> Callable[..., Result]:
    """`run(*args, ok=True)`: the command's result; with `ok`, it must have exited 0 (else the
    assertion shows its output). `db` puts `--db DB` first; `invoke_options` go to click
    (prog_name, terminal_width…)."""
    runner = CliRunner()
    prefix = ["--db", str(db)] if db is not None else []

    def run(*args, ok=True) -> Result:
        result = runner.invoke(cli, [*prefix, *args], catch_exceptions=False, **invoke_options)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result
    return run
