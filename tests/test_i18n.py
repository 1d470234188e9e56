"""The message catalogue (qrproc.i18n): Vietnamese by default, English on request.

File by file, every message the code marks (`_`, `ngettext`, `N_`) has a Vietnamese
translation with the same placeholders, and no message a user reads is left unmarked (an
English literal handed to click.echo, warn, a click exception, `self.fail`, a raised error or a
list of warnings); every command's and option's help is translated; click's own messages are
Vietnamese; the language follows QRPROC_LANG, then LANG.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from click.testing import CliRunner

from qrproc import i18n
from qrproc.cli import cli

PACKAGE = Path(i18n.__file__).parent
LOCALE = PACKAGE / "locale" / "vi"
ALL_SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
#: The modules whose messages go through the catalogue so far (the sweep goes area by area).
TRANSLATED = {"qrproc/__init__.py", "qrproc/__main__.py", "qrproc/i18n.py", "qrproc/cli/language.py",
              # the service and output area
              "qrproc/catalogue.py", "qrproc/board.py", "qrproc/registry.py", "qrproc/audit.py",
              "qrproc/diff.py", "qrproc/report.py", "qrproc/province.py", "qrproc/timeline.py",
              "qrproc/states.py", "qrproc/errors.py", "qrproc/poster/__init__.py",
              "qrproc/poster/files.py", "qrproc/poster/fonts.py", "qrproc/poster/layout.py",
              "qrproc/poster/payload.py", "qrproc/poster/pdf_writer.py",
              "qrproc/poster/qr_geometry.py", "qrproc/poster/render_pdf.py",
              "qrproc/poster/render_png.py", "qrproc/poster/verify.py", "qrproc/poster/workers.py",
              # the input area: file readers, portal fetchers, model, text checks
              "qrproc/sources/__init__.py", "qrproc/sources/archive.py", "qrproc/sources/cache.py",
              "qrproc/sources/columns.py", "qrproc/sources/csvfile.py",
              "qrproc/sources/docx_annex.py", "qrproc/sources/legacy.py",
              "qrproc/sources/paging.py", "qrproc/sources/portal.py",
              "qrproc/sources/portal_json.py", "qrproc/sources/tabular.py",
              "qrproc/sources/xlsx.py", "qrproc/model.py", "qrproc/vntext.py", "qrproc/http.py",
              "qrproc/exchange.py", "qrproc/provinces.py", "qrproc/scope.py",
              # the command line
              "qrproc/cli/__init__.py", "qrproc/cli/progress.py",
              "qrproc/cli/board_commands.py", "qrproc/demo.py",
              "qrproc/cli/poster_commands.py", "qrproc/cli/fetch_commands.py",
              "qrproc/cli/province_commands.py", "qrproc/cli/report_commands.py",
              "qrproc/cli/audit_commands.py", "qrproc/cli/web_commands.py"}
SOURCES = [p for p in ALL_SOURCES if p.relative_to(PACKAGE.parent).as_posix() in TRANSLATED]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}|%\((\w+)\)[sdr]")


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def marked(path: Path) -> list[tuple[int, str | tuple[str, str]]]:
    """(line, msgid) of every message `path` marks for translation."""
    with path.open("rb") as f:
        return [(line, msgid) for line, msgid, _, _ in
                extract_from_file("python", f.name, keywords=KEYWORDS)]


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def vietnamese() -> dict:
    return i18n.catalogue("vi")


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_every_marked_message_has_a_vietnamese_translation(path, vietnamese):
    problems = []
    for line, msgid in marked(path):
        got = vietnamese.get(msgid)
        if not got:
            problems.append(f"{rel(path)}:{line}: no Vietnamese for {msgid!r}")
            continue
        english = msgid if isinstance(msgid, str) else msgid[1]
        vi = got if isinstance(got, str) else got[0]
        if placeholders(vi) != placeholders(english if isinstance(msgid, str) else msgid[0]) \
                and placeholders(vi) != placeholders(english):
            problems.append(f"{rel(path)}:{line}: placeholders differ: {msgid!r} -> {vi!r}")
    assert not problems, "\n".join(problems)


# -- messages left unmarked --------------------------------------------------------------------

#: Calls whose first argument a person reads.
USER_CALLS = {"echo", "secho", "warn", "fail", "ClickException", "UsageError", "BadParameter",
              "FileError", "step"}
ENGLISH = re.compile(r"[A-Za-z]{3,}")
#: A line ending in this comment holds a message for developers only (a programming error).
DEVELOPER = "# developers only"


def _literal_text(node: ast.AST) -> str:
    """The literal text of a str constant, f-string or concatenation of them ('' otherwise)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _literal_text(node.left) + " " + _literal_text(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_text(node.body) + " " + _literal_text(node.orelse)
    return ""


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def unmarked(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    found = []

    def check(node: ast.AST, where: ast.AST) -> None:
        text = _literal_text(node)
        if ENGLISH.search(text) and not lines[where.lineno - 1].rstrip().endswith(DEVELOPER):
            found.append(f"{rel(path)}:{where.lineno}: {text[:70]!r}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = _name(node.func)
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if name in USER_CALLS:
                check(node.args[-1] if name == "step" else node.args[0], node)
            elif name == "append" and "warn" in ast.unparse(receiver or node).lower():
                check(node.args[0], node)
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            if re.search(r"(Error|Exception)$", _name(node.exc.func)):
                check(node.exc.args[0], node)
        if isinstance(node, ast.Call) and _name(node.func) in ("_", "N_") and node.args \
                and isinstance(node.args[0], ast.JoinedStr):
            found.append(f"{rel(path)}:{node.lineno}: an f-string cannot be looked up; "
                         "use _('… {name} …').format(name=…)")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_no_message_a_user_reads_is_left_unmarked(path):
    problems = unmarked(path)
    assert not problems, "\n".join(problems)


def test_the_catalogue_holds_no_message_the_code_no_longer_has(vietnamese):
    in_code = {msgid for path in SOURCES for _, msgid in marked(path)}
    in_code |= {text for text in help_texts()}
    stale = []
    for path in sorted(LOCALE.glob("*.po")):
        if path.name == "click.po":  # click's own messages, not in our code
            continue
        with path.open("rb") as f:
            for m in read_po(f):
                if m.id and m.id not in in_code:
                    stale.append(f"{path.name}: {m.id!r}")
    assert not stale, "\n".join(stale)


# -- help --------------------------------------------------------------------------------------

def commands(group: click.Group, ctx: click.Context):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield command
        if isinstance(command, click.Group):
            yield from commands(command, ctx)


def help_texts() -> list[str]:
    """The English help of the group, every command and every option."""
    from qrproc.cli.language import translate_help

    ctx = click.Context(cli)
    out = []
    for command in [cli, *commands(cli, ctx)]:
        translate_help(command)
        english = getattr(command, "_qrproc_english")
        out += [t for t in (english["help"], english["short_help"], english["epilog"]) if t]
        out += [t for t in english["params"] if t]
    return out


@pytest.mark.skipif("qrproc/cli/__init__.py" not in TRANSLATED, reason="the CLI's help comes with its sweep")
def test_every_command_and_option_help_is_translated(vietnamese):
    missing = [t for t in help_texts() if not vietnamese.get(t)]
    assert not missing, "\n".join(repr(t[:80]) for t in missing)


# -- the language ------------------------------------------------------------------------------

@pytest.mark.parametrize("env, lang", [
    ({}, "vi"), ({"LANG": "C.UTF-8"}, "vi"), ({"LANG": "vi_VN.UTF-8"}, "vi"),
    ({"LANG": "en_US.UTF-8"}, "en"), ({"LC_ALL": "en_GB.UTF-8", "LANG": "vi_VN"}, "en"),
    ({"QRPROC_LANG": "vi", "LANG": "en_US.UTF-8"}, "vi"), ({"QRPROC_LANG": "en"}, "en"),
])
def test_the_language_follows_qrproc_lang_then_the_locale(monkeypatch, env, lang):
    for var in ("QRPROC_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.language() == lang


def test_a_process_can_fix_its_language(monkeypatch):
    monkeypatch.setenv("QRPROC_LANG", "en")
    i18n.set_language("vi")
    try:
        assert i18n.language() == "vi"
    finally:
        i18n.set_language(None)
    assert i18n.language() == "en"
    with pytest.raises(ValueError):
        i18n.set_language("fr")


def run_vi(*args: str, lang: str = "vi") -> subprocess.CompletedProcess:
    env = dict(os.environ, QRPROC_LANG=lang)
    return subprocess.run([sys.executable, "-m", "qrproc", *args], capture_output=True, text=True,
                          env=env)


def test_click_usage_errors_and_help_headings_are_vietnamese(tmp_path):
    r = run_vi("--db", str(tmp_path / "x.db"), "status", "--bogus")
    assert r.returncode == 2
    assert r.stderr == ("Cách dùng: qrproc status [TÙY CHỌN]\n"
                        "Xem hướng dẫn: 'qrproc status --help'.\n\n"
                        "Lỗi: Không có tùy chọn '--bogus'.\n")
    head = run_vi("--help").stdout
    assert head.startswith("Cách dùng: qrproc [TÙY CHỌN] COMMAND [ARGS]...") and "\nTùy chọn:\n" in head
    assert "\nCác lệnh:\n" in head
    english = run_vi("status", "--bogus", lang="en")
    assert english.stderr.endswith("Error: No such option '--bogus'.\n")


def test_in_process_the_language_can_change_between_commands(monkeypatch):
    runner = CliRunner()
    monkeypatch.setenv("QRPROC_LANG", "vi")
    assert "Cách dùng:" in runner.invoke(cli, ["--help"]).output
    monkeypatch.setenv("QRPROC_LANG", "en")
    assert "Usage:" in runner.invoke(cli, ["--help"]).output


def test_a_block_speaks_its_language_whatever_the_environment(monkeypatch):
    import threading

    monkeypatch.setenv("QRPROC_LANG", "en")
    seen = []
    with i18n.speaking("vi"):
        assert i18n._("Usage:") == "Cách dùng:"
        # another thread (a desk job) speaks its own language unless it says so too
        worker = threading.Thread(target=lambda: seen.append(i18n._("Usage:")))
        worker.start()
        worker.join()
    assert seen == ["Usage:"] and i18n._("Usage:") == "Usage:"
    token = i18n.begin("vi")
    try:
        assert i18n.language() == "vi"
    finally:
        i18n.end(token)
    assert i18n.language() == "en"


def test_a_rows_origin_is_data_the_same_in_every_language(tmp_path, monkeypatch):
    """A hand correction is keyed by the row's origin: made on the Vietnamese desk, it must still
    apply when an English shell re-imports the list; only its display is translated."""
    from qrproc.sources import load_file

    path = tmp_path / "danh-muc.csv"
    path.write_text("STT,Mã TTHC,Tên TTHC,Lĩnh vực,Cấp thực hiện\n"
                    "1,1.0011934,Thủ tục đăng ký khai sinh,Hộ tịch,Cấp xã\n", encoding="utf-8")
    origins = {}
    for lang in ("vi", "en"):
        monkeypatch.setenv("QRPROC_LANG", lang)
        cat = load_file(path)
        origins[lang] = [p.origin for p in cat.procedures]
        if lang == "vi":
            assert any("danh-muc.csv, dòng 2" in w for w in cat.warnings)
    assert origins["vi"] == origins["en"] == ["danh-muc.csv, row 2"]
    assert i18n.place("danh-muc.csv, row 2", "vi") == "danh-muc.csv, dòng 2"
    assert i18n.place("qd-2345.docx, table 2 row 14", "vi") == "qd-2345.docx, bảng 2, dòng 14"
    assert i18n.place("qd-2345.docx, table 2 row 14", "en") == "qd-2345.docx, table 2 row 14"


def test_json_items_and_portal_ids_are_origins_the_same_in_every_language(tmp_path, monkeypatch):
    from qrproc.errors import ParseError
    from qrproc.sources import load_file

    good = tmp_path / "tthc.json"
    good.write_text('[{"code": "1.001193", "name": "Thủ tục đăng ký khai sinh"}]', encoding="utf-8")
    lines = tmp_path / "tthc.jsonl"
    lines.write_text('{"code": "1.001193", "name": "Thủ tục đăng ký khai sinh"}\n'
                     '{"code": "1.000894", "name": "Thủ tục đăng ký kết hôn"}\n', encoding="utf-8")
    bad = tmp_path / "hong.json"
    bad.write_text('[{"code": "1.001193", "name": "Thủ tục đăng ký khai sinh"}, 7]', encoding="utf-8")
    origins = {}
    for lang in ("vi", "en"):
        monkeypatch.setenv("QRPROC_LANG", lang)
        origins[lang] = [p.origin for f in (good, lines) for p in load_file(f).procedures]
        with pytest.raises(ParseError) as refused:
            load_file(bad)
        assert str(refused.value).startswith(
            {"vi": "hong.json, mục 2: ", "en": "hong.json, item 2: "}[lang])
    assert origins["vi"] == origins["en"] == ["tthc.json, item 1", "tthc.jsonl, line 1",
                                                "tthc.jsonl, line 2"]
    url = "https://dichvucong.gov.vn/jsp/rest.jsp (id 019d3c1e)"
    assert i18n.place(url, "vi") == "https://dichvucong.gov.vn/jsp/rest.jsp (mã định danh 019d3c1e)"


def test_no_message_has_two_translations():
    """The PO files of the areas share one namespace: the same English must read the same."""
    seen, conflicts = {}, []
    for path in sorted(LOCALE.glob("*.po")):
        with path.open("rb") as f:
            for m in read_po(f):
                if m.id and m.id in seen and seen[m.id][1] != m.string:
                    conflicts.append(f"{m.id!r}: {seen[m.id][0]} and {path.name} differ")
                elif m.id:
                    seen[m.id] = (path.name, m.string)
    assert not conflicts, "\n".join(conflicts)
