"""Messages in the user's language: Vietnamese by default, English on request.

Every message a person reads is written in English in the code and wrapped in `_()` (or
`ngettext()` when it counts something); its Vietnamese lives in one message catalogue,
``qrproc/locale/vi/*.po`` (gettext PO files, one per area of the code), read with Babel on first
use. Strings defined before a language is known (constants, click help) are marked with `N_()`
and translated where they are shown. JSON keys, and JSON values meant for machines, are never
translated.

The language: ``QRPROC_LANG`` (``vi`` or ``en``) when set; otherwise English when ``LC_ALL``,
``LC_MESSAGES`` or ``LANG`` (the first one set) starts with ``en``; otherwise Vietnamese. A
process can fix it with `set_language`, and a piece of work with ``with speaking("vi"):`` (the
web desk answers every request and runs every job that way: its pages are Vietnamese whatever
the shell says).

Placeholders are named (``{code}``), so a translation can put them in its own order; the test
suite checks that every message in the code has a Vietnamese translation with the same
placeholders.

A message that tells the user what to do next names the option to use the way the front end in
use does (`option`): the command line's flags ("use --amend") by default, the desk's boxes and
pages ("đánh dấu ô “Tệp chỉ liệt kê các thay đổi”") inside ``with naming(words):`` (the desk's
are `qrproc.web.words.DESK_WORDS`). The library never knows which front end it serves.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
from pathlib import Path
from typing import Iterator, Mapping

LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("vi", "en")
DEFAULT = "vi"

_forced: str | None = None
_speaking: contextvars.ContextVar[str | None] = contextvars.ContextVar("qrproc_language",
                                                                      default=None)


def set_language(lang: str | None) -> None:
    """Fix the language of this process (None: back to the environment's)."""
    global _forced
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")  # developers only
    _forced = lang


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Messages in `lang` inside the block (this thread or task only)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")  # developers only
    token = _speaking.set(lang)
    try:
        yield
    finally:
        _speaking.reset(token)


def begin(lang: str) -> contextvars.Token:
    """Like `speaking`, for a framework's before/after hooks: returns the token for `end`."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (one of {', '.join(LANGUAGES)})")  # developers only
    return _speaking.set(lang)


def end(token: contextvars.Token) -> None:
    _speaking.reset(token)


def N_(message: str) -> str:
    """Mark `message` for translation where it is shown, not here."""
    return message


#: How the command line names the options that messages point to (translated where shown).
COMMAND_LINE_WORDS = {
    "import_where": N_("(qrproc import FILE)"),
    "with_effective": N_("with --effective DATE"),
    "with_other_province": N_("with --other-province"),
    "with_own_list": N_("with --own-list"),
    "use_amend": N_("use --amend"),
    "use_accept_drop": N_("use --accept-drop"),
    "amend": N_("--amend"),
    "use_fetch": N_("use qrproc fetch, which reads each procedure's detail"),
    "if_it_came_down": N_("If it really came down (torn, lost), use --force: it then counts as "
                          "missing until it is put up again"),
    "if_they_came_down": N_("If they really came down (torn, lost), use --force: they then count "
                            "as missing until they are put up again"),
    "again": N_("run the command again"),
    "use_single": N_("use --layout single"),
    "force_if_gone": N_("use --force if those labels really are gone"),
    "allow_host": N_("add it with: qrproc payload --allow-host {host}"),
    "set_template": N_("set with qrproc payload --template"),
    "find_links": N_("qrproc links finds the portal ids of the codes"),
}
_naming: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("qrproc_naming",
                                                                                 default=None)


def option(key: str) -> str:
    """How the front end in use names the option `key` of COMMAND_LINE_WORDS, in the current
    language: the front end's own words inside `naming`, else the command line's."""
    own = _naming.get()
    if own is not None and key in own:
        return own[key]
    return _(COMMAND_LINE_WORDS[key])


@contextlib.contextmanager
def naming(words: Mapping[str, str]) -> Iterator[None]:
    """Inside the block (this thread or task), messages name options with `words` (keys of
    COMMAND_LINE_WORDS; the rest keep the command line's)."""
    token = _naming.set(words)
    try:
        yield
    finally:
        _naming.reset(token)


def begin_naming(words: Mapping[str, str]) -> contextvars.Token:
    """Like `naming`, for a framework's before/after hooks: returns the token for `end_naming`."""
    return _naming.set(words)


def end_naming(token: contextvars.Token) -> None:
    _naming.reset(token)


def language() -> str:
    """'vi' or 'en' (see the module doc)."""
    here = _speaking.get()
    if here:
        return here
    if _forced:
        return _forced
    value = os.environ.get("QRPROC_LANG", "").strip().lower()
    if value:
        return "en" if value.startswith("en") else DEFAULT
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").strip().lower()
        if value:
            return "en" if value.startswith("en") else DEFAULT
    return DEFAULT


@functools.lru_cache(maxsize=None)
def catalogue(lang: str) -> dict:
    """{English message (or (singular, plural)): translation} of `lang`, from its PO files."""
    if lang == "en":
        return {}
    from babel.messages.pofile import read_po

    out: dict = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.po")):
        with path.open("rb") as f:
            for message in read_po(f, locale=lang):
                if message.id and message.string and not message.fuzzy:
                    out[message.id] = message.string
    return out


def _(message: str) -> str:
    """`message` in the current language."""
    lang = language()
    if lang == "en":
        return message
    return catalogue(lang).get(message) or message


def vietnamese(message: str) -> str:
    """`message` in Vietnamese whatever the language of the moment: for what is only ever read in
    Vietnamese (the wall, the signed report, the desk)."""
    return catalogue("vi").get(message) or message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for `n` (Vietnamese has one form)."""
    lang = language()
    if lang != "en":
        got = catalogue(lang).get((singular, plural))
        if got:
            return got[0] if isinstance(got, (tuple, list)) else got
    return singular if n == 1 else plural


_PLACES_VI = ((re.compile(r"\btable (\d+) row (\d+)"), r"bảng \1, dòng \2"),
              (re.compile(r"\b(?:row|line) (\d+)"), r"dòng \1"),
              (re.compile(r"\bitem (\d+)"), r"mục \1"),
              (re.compile(r", row$"), ", dòng không có mã"),
              (re.compile(r" \(replaced\)$"), " (thủ tục được thay thế)"),
              (re.compile(r" \(id ([^()]+)\)$"), r" (mã định danh \1)"))


def place(origin: str, lang: str | None = None) -> str:
    """Where a row came from, for a reader of `lang` (default: the current language).

    A row's origin ('annex.docx, table 2 row 14', 'list.csv, row 5') is data: the registry keeps
    it, and a hand correction is keyed by it, so it is written the same in every language and
    only translated when shown ('annex.docx, bảng 2, dòng 14')."""
    if (lang or language()) == "en" or not origin:
        return origin
    for pattern, vi in _PLACES_VI:
        origin = pattern.sub(vi, origin)
    return origin


__all__ = ["COMMAND_LINE_WORDS", "N_", "_", "begin", "begin_naming", "catalogue", "end",
           "end_naming", "language", "naming", "ngettext", "option", "place", "set_language",
           "speaking", "vietnamese"]
