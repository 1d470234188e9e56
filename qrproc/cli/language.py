"""The command line in the user's language (`qrproc.i18n`): click's own messages ("Usage:",
"Error: …", "Missing argument", "No such option …") and every command's help, translated when
shown.

Click marks its messages with the standard library's gettext, bound in each of its modules at
import and with no hook to hand it a catalogue; `install` binds those names to `qrproc.i18n`
instead (its catalogue holds click's messages in ``locale/vi/click.po``). The test suite checks a
Vietnamese usage error, so a click release that renames them is noticed.
"""

from __future__ import annotations

import importlib

import click

from qrproc.i18n import _, ngettext

_CLICK_MODULES = ("core", "exceptions", "parser", "types", "formatting", "decorators", "termui",
                  "utils")
_installed = False


def install() -> None:
    """Route click's messages through `qrproc.i18n` (once)."""
    global _installed
    if _installed:
        return
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
    _installed = True


_ORIGINAL = "_qrproc_english"


def translate_help(command: click.Command) -> click.Command:
    """Set `command`'s help texts (its own, its options' and, for a group, its commands') in the
    current language, from the English written in the code (kept on first call)."""
    texts = getattr(command, _ORIGINAL, None)
    if texts is None:
        texts = {"help": command.help, "short_help": command.short_help, "epilog": command.epilog,
                 "params": [getattr(p, "help", None) for p in command.params],
                 "options_metavar": command.options_metavar}
        setattr(command, _ORIGINAL, texts)
    for key in ("help", "short_help", "epilog"):
        if texts[key]:
            setattr(command, key, _(texts[key]))
    for param, text in zip(command.params, texts["params"]):
        if text:
            param.help = _(text)
    if texts["options_metavar"] == "[OPTIONS]":  # click writes it in the usage line as it is
        command.options_metavar = _("[OPTIONS]")
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            translate_help(sub)
    return command
