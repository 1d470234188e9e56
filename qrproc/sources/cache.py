"""On-disk cache of procedure details, and the resume state of an unfinished fetch.

Layout of a cache folder (default `.qrproc-cache/` next to the registry)::

    details/<id>.json        {"version": …, "fetched_at": …, "detail": {…}}  one per procedure
    <scope>/progress.json    list pages fetched so far by an unfinished fetch
    <scope>/pages/00001.json one list page: {"after": lastId sent, "data": the page's data}

**Why details are keyed by a hash of the list item.** A detail is reused when the list item it
was fetched for is unchanged. The real list items of the new portal carry no `updatedAt` (only
the detail does; checked on all 5,670 items of the 2026-07 catalogue), so the version key is the
list item's `updatedAt` when present and otherwise a SHA-256 of the whole list item (name, code,
`state`, type, departments, promulgator, categories…): any change the list shows invalidates the
cached detail. A change that only the detail shows (a fee, a deadline) is picked up when the
cached copy is older than `max_age` (default 30 days); delete the folder to force a full refresh.

**Why list pages are kept.** A fetch interrupted half-way (a dropped line, the firewall, Ctrl-C)
restarts from the page it stopped at instead of page one; every detail is written the moment it
arrives. A finished fetch clears its progress, so the next fetch lists the catalogue afresh.
Progress older than `resume_max_age` (default one day) is not resumed: the list may have changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from qrproc.errors import SourceError
from qrproc.i18n import _

DEFAULT_DIRNAME = ".qrproc-cache"
DEFAULT_MAX_AGE = 30 * 24 * 3600.0       # seconds a cached detail is trusted without a list change
DEFAULT_RESUME_MAX_AGE = 24 * 3600.0     # seconds an unfinished fetch may be resumed

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def version_key(list_item: dict) -> str:
    """What identifies one version of a procedure as the list shows it (see module docstring)."""
    updated = list_item.get("updatedAt")
    if updated:
        return f"updatedAt:{updated}"
    payload = json.dumps(list_item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a crash leaves either the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def cache_error(folder: Path, error: OSError) -> str:
    return _("{folder}: cannot write the fetch cache ({problem})").format(
        folder=folder, problem=error.strerror or error)


def _read_json(path: Path) -> Any | None:
    """The JSON in `path`, or None when it is missing or unreadable (a torn write is a miss)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class DetailCache:
    """Procedure details on disk, keyed by id and version; counts hits and stores per run."""

    def __init__(self, root: str | Path, *, max_age: float | None = DEFAULT_MAX_AGE,
                 resume_max_age: float | None = DEFAULT_RESUME_MAX_AGE,
                 clock: Callable[[], float] = time.time):
        self.root = Path(root)
        self.max_age = max_age
        self.resume_max_age = resume_max_age
        self.clock = clock
        self.hits = 0
        self.stored = 0

    def _detail_path(self, proc_id: str) -> Path:
        return self.root / "details" / (_SAFE.sub("_", str(proc_id)) + ".json")

    def get(self, proc_id: str, version: str) -> dict | None:
        """The cached detail of `proc_id` at `version`, or None (absent, other version, too old)."""
        entry = _read_json(self._detail_path(proc_id))
        if not isinstance(entry, dict) or entry.get("version") != version:
            return None
        if self.max_age is not None and self.clock() - float(entry.get("fetched_at", 0)) > self.max_age:
            return None
        self.hits += 1
        return entry.get("detail")

    def put(self, proc_id: str, version: str, detail: Any) -> None:
        """Store a detail right away (an interrupted fetch keeps everything it got)."""
        try:
            write_json_atomic(self._detail_path(proc_id),
                              {"version": version, "fetched_at": self.clock(), "detail": detail})
        except OSError as e:
            raise SourceError(cache_error(self.root, e)) from e
        self.stored += 1

    def progress(self, scope: str, query: dict) -> "ListProgress":
        """The resume state of the list pages of one query (base URL + request body)."""
        return ListProgress(self.root / _SAFE.sub("_", scope), query, clock=self.clock,
                            max_age=self.resume_max_age)


class ListProgress:
    """List pages already fetched by an unfinished fetch of one query.

    `pages()` gives the saved pages in order; `add(after, data)` saves the next one;
    `finish()` marks the list complete; `clear()` forgets it all (after a finished fetch).
    """

    def __init__(self, folder: Path, query: dict, *, clock: Callable[[], float] = time.time,
                 max_age: float | None = DEFAULT_RESUME_MAX_AGE):
        self.folder = folder
        self.query = query
        self.clock = clock
        self.max_age = max_age
        self._state = self._load()

    @property
    def _file(self) -> Path:
        return self.folder / "progress.json"

    def _fresh_state(self) -> dict:
        return {"query": self.query, "started_at": self.clock(), "pages": 0, "complete": False}

    def _load(self) -> dict:
        state = _read_json(self._file)
        if (not isinstance(state, dict) or state.get("query") != self.query
                or (self.max_age is not None and self.clock() - float(state.get("started_at", 0)) > self.max_age)):
            self._wipe()
            return self._fresh_state()
        # every page the progress file counts must still be readable, else start over
        for n in range(1, int(state.get("pages", 0)) + 1):
            if _read_json(self._page_path(n)) is None:
                self._wipe()
                return self._fresh_state()
        return state

    def _page_path(self, n: int) -> Path:
        return self.folder / "pages" / f"{n:05d}.json"

    def _wipe(self) -> None:
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def complete(self) -> bool:
        return bool(self._state.get("complete"))

    def pages(self) -> list[dict]:
        """Saved pages in order: each `{"after": cursor sent, "data": page data}`."""
        return [_read_json(self._page_path(n)) for n in range(1, self._state["pages"] + 1)]

    def add(self, after: str, data: Any) -> None:
        n = self._state["pages"] + 1
        try:
            write_json_atomic(self._page_path(n), {"after": after, "data": data})
            self._state["pages"] = n
            write_json_atomic(self._file, self._state)
        except OSError as e:
            raise SourceError(cache_error(self.folder, e)) from e

    def finish(self) -> None:
        self._state["complete"] = True
        write_json_atomic(self._file, self._state)

    def clear(self) -> None:
        self._wipe()
        self._state = self._fresh_state()
