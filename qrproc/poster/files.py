"""Output files written safely: names reserved exclusively (two runs at once never share one),
temporary files with unpredictable names beside the target, never opened through a symlink,
renamed into place only when complete."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def reserve(folder: Path, stem: str, suffix: str = ".pdf") -> Path:
    """Create `folder/stem.pdf` (or `stem-2.pdf`, …) exclusively and return it: a name no other
    run can take. The empty file is replaced by the finished PDF, or removed on failure."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        path = folder / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         0o644)
        except FileExistsError:
            n += 1
            continue
        os.close(fd)
        return path


def temp_beside(path: Path) -> Path:
    """A new empty file with an unpredictable name in `path`'s folder (created exclusively,
    never through a symlink), for writing before an atomic rename onto `path`."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def write_atomically(path: Path, write) -> Path:
    """Call `write(temporary_path)`, then rename the result onto `path`; on failure nothing is
    left behind."""
    tmp = temp_beside(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
