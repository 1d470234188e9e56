"""The README's typical session runs as written, on the bundled sample (the README says so)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from cli_runner import cli_runner

REPO = Path(__file__).resolve().parent.parent


def session_commands() -> list[list[str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^## A typical session\n.*?^```sh\n(.*?)^```", text, re.S | re.M).group(1)
    lines = [line.split("  #")[0].strip() for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("qrproc ")]


def test_the_typical_session_runs_as_written(tmp_path, monkeypatch):
    shutil.copytree(REPO / "data", tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QRPROC_DB", raising=False)
    run = cli_runner()
    commands = session_commands()
    assert len(commands) >= 10 and commands[0][0] == "init"
    for args in commands:
        run(*args)
    report = run("report", "--format", "json", "--as-of", "2026-12-16").stdout
    assert '"posted": 182' in report and '"applicable": 182' in report
    assert sorted(p.name for p in (tmp_path / "posters").glob("*.pdf")) == [
        "bang-niem-yet-2026-07-01.pdf", "thay-doi-2026-12-15.pdf"]
