"""Catalogue sources. Each module reads one kind of input; `IMPORTERS` maps file suffixes to them."""

from __future__ import annotations

import importlib
import json
import zipfile
from pathlib import Path
from typing import Callable

from qrproc.errors import ParseError, QrprocError, SourceError
from qrproc.i18n import _
from qrproc.model import Catalogue

#: File suffix -> the source module whose `load(path)` reads it (imported when first needed, so
#: reading a CSV does not load openpyxl and python-docx).
IMPORTERS: dict[str, str] = {
    ".csv": "csvfile",
    ".xlsx": "xlsx",
    ".docx": "docx_annex",
    ".json": "portal_json",
    ".jsonl": "portal_json",
}

#: Old binary Office formats: what to save them as instead.
OLD_FORMATS = {
    ".doc": ("Word 97-2003", ".docx"),
    ".xls": ("Excel 97-2003", ".xlsx"),
}

#: Library errors that mean "this file is damaged or not what its name says".
_LIBRARY_ERRORS = (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, KeyError,
                   ValueError, OSError)


def load_file(path: str | Path) -> Catalogue:
    """Read a catalogue file, choosing the importer by its extension."""
    path = Path(path)
    importer = _importer(path)
    if not path.is_file():
        raise SourceError(_("{path}: file not found").format(path=path))
    try:
        return importer(path)
    except QrprocError:
        raise
    except _LIBRARY_ERRORS as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ParseError(_("{file}: cannot read this {suffix} file ({error}: {detail})").format(
            file=path.name, suffix=path.suffix.lower(), error=type(exc).__name__,
            detail=detail)) from None


def _importer(path: Path) -> Callable[..., Catalogue]:
    suffix = path.suffix.lower()
    if suffix in OLD_FORMATS:
        kind, new = OLD_FORMATS[suffix]
        raise SourceError(_("{file}: the old {kind} format ({suffix}) cannot be read; open it "
                            "in Office or LibreOffice and save it as {new}").format(
                                file=path.name, kind=kind, suffix=suffix, new=new))
    if suffix not in IMPORTERS:
        shown = f"'{suffix}'" if suffix else _("(none)")
        raise SourceError(_("{file}: unsupported file type {suffix}; use .csv, .xlsx, .docx or "
                            ".json").format(file=path.name, suffix=shown))
    return importlib.import_module(f"qrproc.sources.{IMPORTERS[suffix]}").load
