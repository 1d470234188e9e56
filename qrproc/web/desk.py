"""What every page of the desk shares: the registry it serves, the clock, the background jobs,
the upload folder, and reading dates and codes from a form (with Vietnamese messages).

Each request opens its own `Registry` (a sqlite3 connection must not cross threads) and closes
it when the request ends; a background job opens its own with `open_registry`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from flask import current_app, g

from qrproc.errors import QrprocError
from qrproc.model import is_valid_code, normalise_code, parse_date
from qrproc.registry import Registry
from qrproc.web.jobs import JobRunner
from qrproc.web.uploads import Uploads


class InputError(QrprocError):
    """A value typed into a form that cannot be used, or a preview gone stale; the message is
    Vietnamese. A QrprocError like the library's refusals, so pages and jobs show it the same way."""


@dataclass
class Desk:
    """The app's state: one registry, where its posters and fetch cache go, and its workers."""

    db: Path
    posters: Path
    cache: Path
    portal_url: str
    fetch_rate: float | None
    clock: Callable[[], datetime]
    jobs: JobRunner
    uploads: Uploads
    port: int | None = None

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def today(self) -> date:
        return self.now().date()

    @property
    def exists(self) -> bool:
        return self.db.is_file()

    def open_registry(self, *, readonly: bool = False) -> Registry:
        """A registry connection of its own (for a background job); never creates the file."""
        return Registry(self.db, readonly=readonly, create=False)

    def close(self) -> None:
        """Remove the uploads folder (jobs still running end with the process)."""
        self.uploads.cleanup()


def desk() -> Desk:
    return current_app.extensions["qrproc"]


def _opened(key: str, readonly: bool) -> Registry:
    if key not in g:
        setattr(g, key, desk().open_registry(readonly=readonly))
    return getattr(g, key)


def reader() -> Registry:
    """The registry, read-only, for this request."""
    return _opened("qrproc_reader", True)


def writer() -> Registry:
    """The registry, to change it, for this request."""
    return _opened("qrproc_writer", False)


def close_registries(_exc=None) -> None:
    for key in ("qrproc_reader", "qrproc_writer"):
        registry = g.pop(key, None)
        if registry is not None:
            registry.close()


def read_date(value: str | None, default: date | None = None, *, what: str = "Ngày") -> date:
    """A date typed as 2026-12-15 (what a date field sends) or 15/12/2026."""
    if value is None or not value.strip():
        if default is None:
            raise InputError(f"{what}: hãy nhập ngày (ví dụ 15/12/2026).")
        return default
    try:
        day = parse_date(value.strip())
    except ValueError:
        day = None
    if day is None:
        raise InputError(f"{what}: “{value.strip()}” không phải một ngày; hãy viết như 15/12/2026.")
    return day


def optional_date(value: str | None, *, what: str = "Ngày") -> date | None:
    if value is None or not value.strip():
        return None
    return read_date(value, what=what)


def read_codes(text: str | list[str]) -> list[str]:
    """Procedure codes typed or ticked: '1.001193, 1.000894' or a list of checkbox values."""
    parts = text if isinstance(text, list) else re.split(r"[,;\s]+", text or "")
    out = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        code, fixed = normalise_code(part)
        if not code or fixed or not is_valid_code(code):
            raise InputError(f"“{part}” không phải mã TTHC (ví dụ 1.001193 hoặc "
                             "1.001193.000.00.00.H31).")
        out.append(code)
    return list(dict.fromkeys(out))


def journal_mark(registry: Registry) -> int:
    """The newest entry of the change journal: a preview remembers it, and its confirmation is
    refused if the registry changed in between (the preview would no longer be what happens)."""
    changes = registry.changes()
    return changes[-1].id if changes else 0


def ensure_unchanged(registry: Registry, mark: int) -> None:
    if journal_mark(registry) != mark:
        raise InputError("Sổ đăng ký đã thay đổi kể từ lúc xem trước (vừa có người nhập danh "
                         "mục, đánh dấu hoặc hoàn tác). Hãy xem trước lại để thấy đúng những gì "
                         "sẽ thay đổi.")


def finished_job(kind: str, token: str):
    """The background job behind a page, or a 'not found' page."""
    from werkzeug.exceptions import NotFound

    job = desk().jobs.get(token, kind)
    if job is None:
        raise NotFound()
    return job


def checked(form, name: str) -> bool:
    return form.get(name) in ("1", "on", "true")
