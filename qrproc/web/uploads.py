"""Uploaded files: written to a temporary folder of the app, one subfolder per upload.

The size of a whole request is capped by Flask (MAX_CONTENT_LENGTH); here each file gets a safe
name (its own name without folders or odd characters, so messages and the registry still name
the file the receptionist chose) and an allowed extension.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import unicodedata
from pathlib import Path

from werkzeug.datastructures import FileStorage

CATALOGUE_SUFFIXES = (".csv", ".xlsx", ".docx", ".json")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")
_UNSAFE = re.compile(r"[^\w.()\- ]+")


class UploadError(Exception):
    """An upload that cannot be taken (the message is Vietnamese, for the page)."""


def safe_name(filename: str, fallback: str) -> str:
    """The file's own name, without folders, control characters or leading dots."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" ._")[:120]
    return name or fallback


class Uploads:
    """The app's temporary folder for uploads; removed when the app stops."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root or tempfile.mkdtemp(prefix="qrproc-web-"))

    def save(self, files: list[FileStorage], suffixes: tuple[str, ...], what: str) -> tuple[Path, list[Path]]:
        """Write the files into a new folder; returns the folder and the paths, in order."""
        files = [f for f in files if f and f.filename]
        if not files:
            raise UploadError(f"Chưa chọn {what} nào để tải lên.")
        for f in files:
            suffix = Path(safe_name(f.filename, "tep")).suffix.lower()
            if suffix not in suffixes:
                raise UploadError(f"Tệp {safe_name(f.filename, '?')} không phải {what} được hỗ trợ "
                                  f"(chỉ nhận {', '.join(s.lstrip('.') for s in suffixes)}).")
        folder = self.root / secrets.token_urlsafe(9)
        folder.mkdir(parents=True)
        paths, taken = [], set()
        for k, f in enumerate(files, start=1):
            name = safe_name(f.filename, f"tep-{k}")
            if name.lower() in taken:  # two photos with the same name from two folders
                name = f"{Path(name).stem}-{k}{Path(name).suffix}"
            taken.add(name.lower())
            path = folder / name
            f.save(path)
            paths.append(path)
        return folder, paths

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
