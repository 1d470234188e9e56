"""Board audit: prove what is actually on the wall from photos of it.

Three layers, I/O kept apart from the logic:

* `decode_image(path_or_image) -> list[Seen]` reads one photo and finds every QR code in it with
  zxing-cpp, in passes: the whole image; a flat-field version (each pixel divided by the local
  paper white, so a shadowed corner reads like a lit one); overlapping tiles of that version,
  sharpened (an unsharp mask against the camera's blur); and, when the first passes hint that
  codes were missed (a symbol detected but not decoded, modules under 3 pixels, or nothing at
  all), those tiles enlarged 2×. Results are de-duplicated by payload and
  position, so two copies of one label on the wall stay two. zxing-cpp releases the GIL, so the
  tiles are read on a few threads.
* `classify(seen_payloads, catalogue, posted, as_of, template) -> AuditResult` is pure: it maps
  each payload back to a procedure through the unit's payload templates (`read_payload`, the
  inverse of `poster.payload.payload_for`) and sorts what was seen against the catalogue in force
  and the posted set: seen and current, seen but stale, seen but orphan, seen but unknown, and
  applicable but not seen. Links to other hosts and unknown procedures are listed, never guessed.
* `board.audit_board(registry, photos, *, day, apply, at, on_progress)` hashes and decodes the photos,
  classifies, and records the audit (file names, SHA-256, codes found) as evidence. With
  ``apply=True`` it also makes the posted set what the photos show, in the same transaction: seen
  labels not on record are posted on the audit day, postings not seen are closed that day.

A photo with no code at all is reported, never read as "everything was taken down": applying an
audit is refused when any photo is unreadable or shows no code, or when no code maps to a
procedure.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from qrproc.errors import AuditError, PayloadError
from qrproc import model
from qrproc.i18n import N_, _, ngettext, option
from qrproc.model import AuditFile, PostedLabel, Procedure, normalise_code
from qrproc.states import (ABOLISHED, CURRENT, LABEL_CHANGED, LINK_CHANGED, NOT_LISTED,  # noqa: F401
                           NOT_ON_BOARD, NOT_SEEN, NOT_YET_IN_FORCE, ORPHAN, OUT_OF_SCOPE,
                           POSTED_NOT_SEEN,
                           REPLACED, STALE, UP_TO_DATE)
from qrproc.poster.payload import (NOT_A_LINK, OTHER_HOST, UNRECOGNISED_LINK,  # noqa: F401
                                   PayloadConfig, PayloadRef, payload_for, read_payload, templates)


# -- states -------------------------------------------------------------------------------------

STATES = (STALE, ORPHAN, NOT_SEEN, CURRENT)

# Why a payload is not mapped to a procedure (the first three come from payload.read_payload).
UNKNOWN_PROCEDURE = "unknown_procedure"  # a procedure link, but no such id or code is known

#: What each finding means for the board, and why a code seen maps to no procedure: the command
#: line shows them in the user's language, the desk in Vietnamese.
CAUSE_WORDS = {
    UP_TO_DATE: N_("current version"),
    LABEL_CHANGED: N_("the posted label is an older version: reprint"),
    LINK_CHANGED: N_("the code links to an older version's page: reprint"),
    ABOLISHED: N_("abolished: take it down"),
    REPLACED: N_("replaced: take it down"),
    NOT_YET_IN_FORCE: N_("not yet in force: take it down until it is"),
    NOT_LISTED: N_("not in the catalogue in force: take it down"),
    OUT_OF_SCOPE: N_("in the catalogue, but outside the unit's scope: take it down"),
    NOT_ON_BOARD: N_("not on the board: print and post it"),
    POSTED_NOT_SEEN: N_("on record as posted, not in the photos"),
}
UNKNOWN_WORDS = {
    NOT_A_LINK: N_("not a link"),
    OTHER_HOST: N_("host {host} is neither the portal nor an allowed host"),
    UNRECOGNISED_LINK: N_("a {host} link that is not a procedure page of the unit's "
                                   "template"),
    UNKNOWN_PROCEDURE: N_("no procedure with {detail} is known"),
}

# Photo status (as the registry stores it).
PHOTO_OK = "ok"
PHOTO_NO_CODE = "no_code"
PHOTO_UNREADABLE = "unreadable"

# -- decoding parameters ------------------------------------------------------------------------

#: Tiles per side of the photo in the tile pass, and in the enlarged pass.
TILES_PER_SIDE = 3
FINE_TILES_PER_SIDE = 4
#: Tiles overlap by at least this many pixels, and by more than the largest code found.
MIN_OVERLAP = 256
#: The enlarged pass scales tiles by this factor.
FINE_SCALE = 2.0
#: Codes decoded with fewer pixels per module than this suggest that smaller ones were missed.
FINE_MODULE_PX = 3.0
#: Photos above this many pixels are decoded at half size (a 50 or 200 MP phone photo).
MAX_PIXELS = 60_000_000
#: The short side of the image the paper-white estimate is computed on.
FLAT_SIDE = 96
#: Unsharp mask of the tile passes (radius in pixels, strength in percent).
SHARPEN_RADIUS = 1.5
SHARPEN_PERCENT = 150

ProgressFn = Callable[[str, int, int], None]


# -- decoding -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seen:
    """One QR code found in a photo: its text and where it is (four corners, image pixels)."""

    payload: str
    corners: tuple[tuple[float, float], ...]
    ec: str = ""
    version: int | None = None
    method: str = "full"  # the pass that found it: full, flat, tiles or fine

    @property
    def centre(self) -> tuple[float, float]:
        xs, ys = zip(*self.corners)
        return sum(xs) / len(xs), sum(ys) / len(ys)

    @property
    def size(self) -> float:
        """Mean side of the symbol, in pixels."""
        pts = self.corners
        return sum(math.dist(pts[i], pts[(i + 1) % len(pts)]) for i in range(len(pts))) / len(pts)

    @property
    def module(self) -> float | None:
        """Pixels per module, when the version is known."""
        return self.size / (17 + 4 * self.version) if self.version else None


def _read(gray, *, downscale: bool = True, errors: bool = False):
    import zxingcpp

    return zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False,
                                  try_downscale=downscale, return_errors=errors)


class _Found:
    """The codes found so far, de-duplicated by payload and position."""

    def __init__(self) -> None:
        self.items: list[Seen] = []
        self.missed: list[tuple[float, float]] = []  # centres of symbols detected, not decoded

    def add(self, results, method: str, dx: float = 0.0, dy: float = 0.0, scale: float = 1.0) -> None:
        for r in results:
            p = r.position
            corners = tuple(((pt.x / scale) + dx, (pt.y / scale) + dy)
                            for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            if not r.valid:
                xs, ys = zip(*corners)
                self.missed.append((sum(xs) / 4, sum(ys) / 4))
                continue
            try:
                version = int((r.extra or {}).get("Version", 0)) or None
            except (TypeError, ValueError):
                version = None
            seen = Seen(r.text, corners, r.ec_level or "", version, method)
            if not any(s.payload == seen.payload and
                       math.dist(s.centre, seen.centre) < 0.5 * max(s.size, seen.size)
                       for s in self.items):
                self.items.append(seen)

    def uncovered_misses(self) -> int:
        return sum(1 for m in self.missed
                   if not any(math.dist(m, s.centre) < 0.75 * s.size for s in self.items))

    @property
    def largest(self) -> float:
        return max((s.size for s in self.items), default=0.0)

    @property
    def smallest_module(self) -> float | None:
        sizes = [s.module for s in self.items if s.module]
        return min(sizes) if sizes else None


def flatten(gray):
    """Divide each pixel by the local paper white (a max filter on a small copy), so uneven light
    (a window on one side, a shadow below the frame) becomes an evenly lit page."""
    import numpy as np
    from PIL import Image, ImageFilter

    h, w = gray.shape
    image = Image.fromarray(gray)
    factor = max(1, min(h, w) // FLAT_SIDE)
    small = image.reduce(factor) if factor > 1 else image
    white = (small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.BoxBlur(3))
             .resize((w, h), Image.BILINEAR))
    scale = np.float32(255.0) / np.maximum(np.asarray(white, dtype=np.float32), np.float32(24.0))
    out = np.asarray(gray, dtype=np.float32) * scale
    return np.clip(out, 0, 255, out=out).astype(np.uint8)


def sharpen(gray):
    """An unsharp mask against the camera's blur: module edges a pixel or two soft get steep again."""
    import numpy as np
    from PIL import Image, ImageFilter

    return np.asarray(Image.fromarray(gray).filter(
        ImageFilter.UnsharpMask(radius=SHARPEN_RADIUS, percent=SHARPEN_PERCENT, threshold=0)))


def _tiles(h: int, w: int, size: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) boxes of about size×size covering the image, overlapping by `overlap`."""
    def starts(n: int) -> list[int]:
        if n <= size:
            return [0]
        step = max(1, size - overlap)
        out = list(range(0, n - size, step))
        return out + [n - size]

    return [(y, min(h, y + size), x, min(w, x + size)) for y in starts(h) for x in starts(w)]


def _tile_pass(found: _Found, image, boxes, method: str, scale: float, workers: int) -> None:
    import numpy as np
    from PIL import Image

    def work(box):
        y0, y1, x0, x1 = box
        tile = np.ascontiguousarray(image[y0:y1, x0:x1])
        if scale != 1.0:
            tile = np.asarray(Image.fromarray(tile).resize(
                (round((x1 - x0) * scale), round((y1 - y0) * scale)), Image.BICUBIC))
        return box, _read(tile, downscale=scale == 1.0)  # a code cut by the edge is no miss

    with ThreadPoolExecutor(max_workers=workers) as pool:  # zxing-cpp releases the GIL
        for (y0, _y1, x0, _x1), results in pool.map(work, boxes):
            found.add(results, method, x0, y0, scale)


def decode_gray(gray, *, thorough: bool = False, workers: int | None = None) -> list[Seen]:
    """Every QR code in a greyscale array (see the module doc for the passes), top to bottom."""
    import numpy as np

    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    workers = workers or min(4, os.cpu_count() or 1)
    h, w = gray.shape
    found = _Found()
    with ThreadPoolExecutor(max_workers=2) as pool:  # read each version while making the next
        full = pool.submit(_read, gray, errors=True)
        flat = flatten(gray)
        flat_read = pool.submit(_read, flat, errors=True)
        sharp = sharpen(flat)
        found.add(full.result(), "full")
        found.add(flat_read.result(), "flat")
    overlap = int(max(MIN_OVERLAP, 1.25 * found.largest))
    size = max(2 * overlap, math.ceil(max(h, w) / TILES_PER_SIDE) + overlap)
    if max(h, w) > size:
        _tile_pass(found, sharp, _tiles(h, w, size, overlap), "tiles", 1.0, workers)
    small = found.smallest_module
    if thorough or not found.items or found.uncovered_misses() or (small and small < FINE_MODULE_PX):
        size = max(2 * overlap, math.ceil(max(h, w) / FINE_TILES_PER_SIDE) + overlap)
        _tile_pass(found, sharp, _tiles(h, w, size, overlap), "fine", FINE_SCALE, workers)
    return sorted(found.items, key=lambda s: (round(s.centre[1]), round(s.centre[0])))


#: The only formats a photo is opened as, decided by its content, never by its name. Pillow knows
#: many more; some run programs (a PostScript file named .jpg makes it start Ghostscript, and a
#: looping one hangs), and each is more code reading a file from outside.
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF")
_ACCEPTED = N_("JPEG, PNG, WebP or TIFF")
#: What a file that is not a photo probably is, by its first bytes, to say so in the note.
_KINDS = (
    (0, b"%!PS", N_("a PostScript file")),
    (0, b"\xc5\xd0\xd3\xc6", N_("a PostScript (EPS) file")),
    (0, b"%PDF", N_("a PDF document")),
    (0, b"GIF8", N_("a GIF image")),
    (0, b"BM", N_("a BMP image")),
    (0, b"PK\x03\x04", N_("a zip archive (or Office file)")),
    (0, b"<svg", N_("an SVG drawing")),
    (0, b"<?xml", N_("an XML file")),
    (4, b"ftypavif", N_("an AVIF image")),
)
_HEIF_BRANDS = (b"ftypheic", b"ftypheix", b"ftyphevc", b"ftypmif1", b"ftypmsf1")


def _what_it_is(head: bytes) -> str:
    """A note for a file Pillow may not open: what it seems to be, and what is accepted."""
    accepted = _(_ACCEPTED)
    if head[4:12] in _HEIF_BRANDS:
        return _("a HEIC photo, which is not read here ({accepted} are); on an iPhone choose "
                 "Settings > Camera > Formats > Most Compatible, or export the photo as "
                 "JPEG").format(accepted=accepted)
    for offset, magic, kind in _KINDS:
        if head[offset:offset + len(magic)] == magic:
            return _("{kind}, not a photo ({accepted}); not opened").format(kind=_(kind),
                                                                            accepted=accepted)
    return _("not an image ({accepted})").format(accepted=accepted)


def _unreadable(name: str | None, note: str) -> AuditError:
    """The error for a photo that cannot be opened (`name` None: bytes); `note` (what is wrong,
    without the name) is what the audit records for it."""
    error = AuditError(f"{name}: {note}" if name is not None else _("image: {note}").format(note=note))
    error.note = note
    return error


def _open(source):
    """A greyscale array from a path, bytes, a PIL image or an array; AuditError if unreadable.

    Files are opened only as PHOTO_FORMATS, and only within Pillow's decompression-bomb limit
    (`Image.MAX_IMAGE_PIXELS`; its warning, for a size between the limit and twice it, is an
    error here too).
    """
    import warnings

    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(source, np.ndarray):
        if source.ndim == 2:
            return source
        return np.asarray(Image.fromarray(source).convert("L"))
    if isinstance(source, Image.Image):
        return np.asarray(source.convert("L"))
    name = None if isinstance(source, (bytes, bytearray)) else str(source)
    fp = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=PHOTO_FORMATS)
            with image:
                if image.width * image.height > MAX_PIXELS and image.format in ("JPEG", "MPO"):
                    image.draft("L", (image.width // 2, image.height // 2))
                image = ImageOps.exif_transpose(image)
                return np.asarray(image.convert("L"))
    except UnidentifiedImageError:
        raise _unreadable(name, _what_it_is(_head(source))) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        found = re.search(r"\((\d+) pixels\)", str(e))
        size = f"{int(found.group(1)) / 1e6:,.0f} MP" if found else _("too many pixels")
        raise _unreadable(name, _("{size}, more than the {limit} MP a photo may have (a "
                                  "decompression bomb?); not opened").format(
            size=size, limit=f"{Image.MAX_IMAGE_PIXELS / 1e6:,.0f}")) from None
    except (OSError, ValueError, SyntaxError) as e:
        raise _unreadable(name, _("cannot read the image ({error})").format(error=e)) from None


def _head(source, size: int = 16) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[:size])
    try:
        with open(source, "rb") as f:
            return f.read(size)
    except (OSError, TypeError):
        return b""


def decode_image(path_or_image, *, thorough: bool = False, workers: int | None = None) -> list[Seen]:
    """Read one photo (a path, bytes, a PIL image or a numpy array) and find every QR code in it.

    Raises AuditError when the file is not an image that can be read. `thorough` runs every pass
    even when the first ones look complete.
    """
    return decode_gray(_open(path_or_image), thorough=thorough, workers=workers)


# -- from a payload back to a procedure ------------------------------------------------------------

# -- classification (pure) -------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One procedure in the audit: seen (with its payloads and number of copies) or expected.

    `label` is the version the wall shows (what `--apply` records as posted); `applicable` says
    whether the procedure applies on the day; `posted_on` is the open posting's date, if any.
    """

    code: str
    name: str
    field: str
    state: str
    cause: str
    applicable: bool
    payloads: tuple[str, ...] = ()
    copies: int = 0
    posted_on: date | None = None
    replaced_by: str = ""
    label: Procedure | None = dataclasses.field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "field": self.field, "state": self.state,
                "cause": self.cause, "applicable": self.applicable, "copies": self.copies,
                "payloads": list(self.payloads), "replaced_by": self.replaced_by,
                "posted_on": self.posted_on.isoformat() if self.posted_on else None}


@dataclass(frozen=True)
class Unknown:
    """A code seen that maps to no procedure: listed with why, never guessed."""

    payload: str
    reason: str
    host: str = ""
    copies: int = 1
    detail: str = ""  # the id or code the link carries, when it is a procedure link

    def to_dict(self) -> dict:
        return {"payload": self.payload, "reason": self.reason, "host": self.host,
                "copies": self.copies, "detail": self.detail}


@dataclass(frozen=True)
class PhotoResult:
    """One photo: its evidence (name, SHA-256, size) and the codes found in it."""

    name: str
    sha256: str | None
    status: str
    width: int | None = None
    height: int | None = None
    seen: tuple[Seen, ...] = ()
    note: str = ""
    seconds: float = 0.0

    def to_dict(self, codes: Mapping[str, str] | None = None) -> dict:
        codes = codes or {}
        return {"name": self.name, "sha256": self.sha256, "status": self.status,
                "width": self.width, "height": self.height, "note": self.note,
                "seconds": round(self.seconds, 3),
                "codes": [{"payload": s.payload, "code": codes.get(s.payload),
                           "x": round(s.centre[0]), "y": round(s.centre[1])} for s in self.seen]}


@dataclass(frozen=True)
class AuditResult:
    """What an audit found for `as_of`, and (after `board.audit_board`) its evidence and what it changed.

    `to_post` and `to_close` are the plan that makes the posted set what was seen: label versions
    to record as up, and codes whose postings to close. `applied` says whether they were carried
    out; `audit_id` is the recorded audit.
    """

    as_of: date
    findings: tuple[Finding, ...]
    unknown: tuple[Unknown, ...] = ()
    to_post: tuple[Procedure, ...] = ()
    to_close: tuple[str, ...] = ()
    codes: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)
    photos: tuple[PhotoResult, ...] = ()
    warnings: tuple[str, ...] = ()
    applied: bool = False
    audit_id: int | None = None

    def _state(self, state: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.state == state)

    @property
    def current(self) -> tuple[Finding, ...]:
        return self._state(CURRENT)

    @property
    def stale(self) -> tuple[Finding, ...]:
        return self._state(STALE)

    @property
    def orphan(self) -> tuple[Finding, ...]:
        return self._state(ORPHAN)

    @property
    def not_seen(self) -> tuple[Finding, ...]:
        """Applicable procedures not in any photo."""
        return tuple(f for f in self._state(NOT_SEEN) if f.applicable)

    @property
    def posted_not_seen(self) -> tuple[Finding, ...]:
        """Procedures on record as posted that no photo shows (closed by --apply)."""
        return tuple(f for f in self._state(NOT_SEEN) if f.cause == POSTED_NOT_SEEN)

    @property
    def seen_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings if f.state != NOT_SEEN)

    @property
    def labels_seen(self) -> int:
        """Labels seen (copies counted), unknown codes included."""
        return sum(f.copies for f in self.findings) + sum(u.copies for u in self.unknown)

    def summary(self) -> dict:
        """The short account stored with the audit and shown by the report."""
        return {
            "as_of": self.as_of.isoformat(),
            "photos": len(self.photos),
            "labels_seen": self.labels_seen,
            "current": [f.code for f in self.current],
            "stale": [f.code for f in self.stale],
            "orphan": [f.code for f in self.orphan],
            "unknown": [u.payload for u in self.unknown],
            "not_seen": [f.code for f in self.not_seen],
            "posted_not_seen": [f.code for f in self.posted_not_seen],
            "opened": [p.code for p in self.to_post] if self.applied else [],
            "closed": list(self.to_close) if self.applied else [],
        }

    def to_dict(self) -> dict:
        """The JSON of `qrproc audit --json`."""
        return {
            "as_of": self.as_of.isoformat(),
            "audit_id": self.audit_id,
            "applied": self.applied,
            "photos": [p.to_dict(self.codes) for p in self.photos],
            "counts": {"labels_seen": self.labels_seen, "current": len(self.current),
                       "stale": len(self.stale), "orphan": len(self.orphan),
                       "unknown": len(self.unknown), "not_seen": len(self.not_seen),
                       "posted_not_seen": len(self.posted_not_seen)},
            "current": [f.to_dict() for f in self.current],
            "stale": [f.to_dict() for f in self.stale],
            "orphan": [f.to_dict() for f in self.orphan],
            "unknown": [u.to_dict() for u in self.unknown],
            "not_seen": [f.to_dict() for f in self.not_seen],
            "posted_not_seen": [f.to_dict() for f in self.posted_not_seen],
            "to_post": [p.code for p in self.to_post],
            "to_close": list(self.to_close),
            "warnings": list(self.warnings),
        }


def _payload_of(p: Procedure, config: PayloadConfig) -> str | None:
    try:
        return payload_for(p.code, p.portal_id, config, p.kind)
    except PayloadError:
        return None


def _label(refs: Sequence[PayloadRef], base: Procedure, posted: Procedure | None,
           current: Procedure | None, config: PayloadConfig) -> tuple[Procedure, bool]:
    """The version of the label the wall shows, and whether it was rebuilt from its link.

    The posted set is believed when its version prints a payload that was seen; else the current
    version when its payload was seen; else the label is rebuilt from the link: the base version
    with the portal id the link carries (or none, for a link by code).
    """
    payloads = {r.payload for r in refs}
    for candidate in (posted, current):
        if candidate is not None and _payload_of(candidate, config) in payloads:
            return candidate, False
    ref = refs[0]
    uses_id = "{id}" in config.template
    if ref.portal_id:
        if ref.portal_id.lower() == base.portal_id.lower():
            return base, False
        return base.replace(portal_id=ref.portal_id), True
    if uses_id and base.portal_id:
        return base.replace(portal_id=""), True  # printed by code: the id was not known then
    return base, False


def _why_not_applicable(p: Procedure, as_of: date, listed: bool, out_of_scope: bool = False) -> str:
    if not listed:
        if out_of_scope:
            return OUT_OF_SCOPE
        return NOT_YET_IN_FORCE if p.effective and p.effective > as_of else NOT_LISTED
    if p.status == model.ABOLISHED:
        return ABOLISHED
    if p.status == model.REPLACED:
        return REPLACED
    return NOT_YET_IN_FORCE


def classify(seen_payloads: Iterable[str], catalogue: Sequence[Procedure],
             posted: Mapping[str, PostedLabel], as_of: date, template: PayloadConfig | str, *,
             history: Sequence[Procedure] = (), out_of_scope: Iterable[str] = ()) -> AuditResult:
    """Pure: sort the payloads seen (one per label; repeat a payload for each copy) against the
    catalogue in force on `as_of` in the unit's scope (`catalogue.catalogue_on`) and the open postings (`Registry.posted()`).

    `template` is the unit's `PayloadConfig` (or just its URL template, whose host is then
    allowed). `history` holds
    procedure versions from other catalogues (newest last): they identify links by an older
    portal id, and procedures not listed now or not yet in force. `out_of_scope` holds the codes
    of the catalogue in force that the unit's scope leaves out (any iterable of codes, such as
    the code -> reason map the report takes): a label of one is an orphan for that reason.
    """
    if isinstance(template, PayloadConfig):
        config = template
    else:  # a bare template: its own host is allowed too
        host = (urlsplit(template).hostname or "").lower()
        config = PayloadConfig(template=template, extra_hosts=(host,) if host else ())
    cat = {p.code: p for p in catalogue if p.code}
    scoped_out = set(out_of_scope)
    known: dict[str, Procedure] = {}
    for p in history:
        if p.code:
            known[p.code] = p
    for code, label in posted.items():
        known.setdefault(code, label.procedure)
    by_id: dict[str, str] = {}
    for p in list(known.values()) + list(cat.values()):  # the catalogue in force wins
        if p.portal_id:
            by_id[p.portal_id.lower()] = p.code

    refs: dict[str, list[PayloadRef]] = {}
    unknown: dict[str, Unknown] = {}
    for payload in seen_payloads:
        ref = read_payload(payload, config)
        code = ""
        if ref.ok:
            if ref.code:
                clean, fixed = normalise_code(ref.code)
                code = clean if clean and not fixed and (clean in cat or clean in known) else ""
            elif ref.portal_id:
                code = by_id.get(ref.portal_id.lower(), "")
        if code:
            refs.setdefault(code, []).append(ref)
            continue
        if payload in unknown:
            unknown[payload] = dataclasses.replace(unknown[payload], copies=unknown[payload].copies + 1)
        else:
            reason = ref.reason or UNKNOWN_PROCEDURE
            unknown[payload] = Unknown(payload, reason, ref.host, 1, ref.code or ref.portal_id)

    findings: list[Finding] = []
    to_post: list[Procedure] = []
    for code, rs in refs.items():
        current = cat.get(code)
        label_up = posted.get(code)
        up = label_up.procedure if label_up is not None else None
        base = current or up or known[code]
        label, rebuilt = _label(rs, base, up, current, config)
        applies = current is not None and current.applies_on(as_of)
        if applies:
            if label.content_hash == current.content_hash:
                state, cause = CURRENT, UP_TO_DATE
            else:
                state, cause = STALE, LINK_CHANGED if rebuilt else LABEL_CHANGED
        else:
            state, cause = ORPHAN, _why_not_applicable(current or known.get(code, base), as_of,
                                                       current is not None, code in scoped_out)
        findings.append(Finding(code, base.name, base.field, state, cause, applies,
                                tuple(dict.fromkeys(r.payload for r in rs)), len(rs),
                                label_up.posted_on if label_up is not None else None,
                                base.replaced_by, label))
        if up is None or up.content_hash != label.content_hash:
            to_post.append(label)

    to_close = []
    for code, p in cat.items():
        if code not in refs and p.applies_on(as_of):
            label_up = posted.get(code)
            findings.append(Finding(code, p.name, p.field, NOT_SEEN,
                                    POSTED_NOT_SEEN if label_up is not None else NOT_ON_BOARD, True,
                                    posted_on=label_up.posted_on if label_up is not None else None,
                                    replaced_by=p.replaced_by))
    for code, label_up in posted.items():
        if code in refs:
            continue
        to_close.append(code)
        current = cat.get(code)
        if current is None or not current.applies_on(as_of):
            p = label_up.procedure
            findings.append(Finding(code, p.name, p.field, NOT_SEEN, POSTED_NOT_SEEN, False,
                                    posted_on=label_up.posted_on, replaced_by=p.replaced_by))

    order = {s: i for i, s in enumerate(STATES)}
    findings.sort(key=lambda f: (order[f.state], f.code))
    codes = {r.payload: code for code, rs in refs.items() for r in rs}
    return AuditResult(as_of=as_of, findings=tuple(findings), unknown=tuple(unknown.values()),
                       to_post=tuple(sorted(to_post, key=lambda p: p.code)),
                       to_close=tuple(sorted(to_close)), codes=codes)


# -- the whole job (I/O) --------------------------------------------------------------------------

def read_photo(path: str | Path, *, thorough: bool = False, name: str | None = None) -> PhotoResult:
    """Hash and decode one photo file. An unreadable file gives status 'unreadable' and a note.
    `name` is what the evidence calls it (default: the path as given)."""
    name = str(path) if name is None else name
    start = time.perf_counter()
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return PhotoResult(name, None, PHOTO_UNREADABLE,
                           note=_("cannot read the file: {error}").format(error=e.strerror or e))
    digest = hashlib.sha256(data).hexdigest()
    try:
        gray = _open(data)
    except AuditError as e:
        return PhotoResult(name, digest, PHOTO_UNREADABLE, note=getattr(e, "note", str(e)))
    seen = tuple(decode_gray(gray, thorough=thorough))
    h, w = gray.shape
    return PhotoResult(name, digest, PHOTO_OK if seen else PHOTO_NO_CODE, w, h, seen,
                       "" if seen else _("no QR code found"), time.perf_counter() - start)


def labels_seen_per_photo(photos: Sequence[PhotoResult]) -> list[str]:
    """One payload per label: copies within a photo count; overlapping photos do not add up."""
    most: dict[str, int] = {}
    for photo in photos:
        counts: dict[str, int] = {}
        for s in photo.seen:
            counts[s.payload] = counts.get(s.payload, 0) + 1
        for payload, n in counts.items():
            most[payload] = max(most.get(payload, 0), n)
    return [payload for payload, n in most.items() for _ in range(n)]


def _refuse_apply(result: AuditResult) -> None:
    photos = result.photos
    if not any(p.seen for p in photos):
        raise AuditError(ngettext(
            "no QR code was found in the photo; nothing was recorded or changed (a photo without "
            "codes is not proof that the board is empty: retake it closer and sharper)",
            "no QR code was found in any of the {n} photos; nothing was recorded or changed (a "
            "photo without codes is not proof that the board is empty: retake it closer and "
            "sharper)", len(photos)).format(n=len(photos)))
    bad = [p for p in photos if p.status != PHOTO_OK]
    if bad:
        raise AuditError(_(
            "refusing to apply: {problems}. Every photo must show codes, or labels in it would be "
            "recorded as taken down; retake those photos or leave them out. Nothing was "
            "changed").format(problems="; ".join(f"{p.name}: {p.note}" for p in bad)))
    if not result.seen_codes:
        raise AuditError(ngettext(
            "refusing to apply: the only code found does not link to a known procedure; nothing "
            "was changed",
            "refusing to apply: none of the {n} codes found links to a known procedure; nothing "
            "was changed", len(result.unknown)).format(n=len(result.unknown)))


def apply_changes(result: AuditResult, *, force: bool = False) -> None:
    """Pure check before an audit is applied: refuse (AuditError) when a photo is unreadable or
    has no code, when no code maps to a procedure, or, unless `force`, when applying would close
    postings the photos could not have shown: postings of fields (lĩnh vực) of which no label was
    seen. One photo of one poster page must never take the rest of the board down."""
    _refuse_apply(result)
    if force:
        return
    seen_fields = {f.field for f in result.findings if f.copies}
    unseen = [f for f in result.findings
              if f.code in result.to_close and f.field not in seen_fields]
    if unseen:
        fields = sorted({f.field or _("(no field)") for f in unseen})
        raise AuditError(_(
            "refusing to apply: the photos show labels of {seen}, but applying would also close "
            "{unseen} of the {total} postings to close, in {fields} no photo shows ({names}). "
            "Photograph those parts of the board too, or {force_if_gone}. Nothing was "
            "changed").format(
                seen=ngettext("{n} field", "{n} fields", len(seen_fields)).format(
                    n=len(seen_fields)),
                unseen=len(unseen), total=len(result.to_close),
                fields=ngettext("{n} field", "{n} fields", len(fields)).format(n=len(fields)),
                names=", ".join(fields[:4]) + (" …" if len(fields) > 4 else ""),
                force_if_gone=option("force_if_gone")))


def audit_files(result: AuditResult) -> list[AuditFile]:
    """The evidence rows for an audit's photos."""
    return [AuditFile(name=p.name, sha256=p.sha256, status=p.status, width=p.width,
                      height=p.height, note=p.note,
                      codes=tuple(d for d in p.to_dict(result.codes)["codes"]))
            for p in result.photos]


def read_photos(photos: Sequence[str | Path], *, thorough: bool = False,
                on_progress: ProgressFn | None = None, names: Sequence[str] | None = None
                ) -> tuple[list[PhotoResult], tuple[str, ...]]:
    """Hash and decode each photo; the warnings for the ones that showed nothing. Raises
    AuditError when none is readable. `names` (one per photo) are what the evidence and the
    messages call them, for photos kept under another name (an upload's temporary copy); by
    default, the paths as given."""
    if not photos:
        raise AuditError(_("give at least one photo of the board"))
    if names is not None and len(names) != len(photos):
        raise ValueError("one name per photo")  # developers only
    results: list[PhotoResult] = []
    for k, path in enumerate(photos, start=1):
        results.append(read_photo(path, thorough=thorough,
                                  name=None if names is None else names[k - 1]))
        if on_progress:
            on_progress("decode", k, len(photos))
    warnings = tuple(_("{name}: {note} (skipped)").format(name=p.name, note=p.note)
                     if p.status == PHOTO_UNREADABLE else f"{p.name}: {p.note}"
                     for p in results if p.status != PHOTO_OK)
    if all(p.status == PHOTO_UNREADABLE for p in results):
        raise AuditError(_("no readable photo: {problems}").format(
            problems="; ".join(f"{p.name}: {p.note}" for p in results)))
    return results, warnings


__all__ = ["AuditResult", "Finding", "PayloadRef", "PhotoResult", "Seen", "Unknown", "classify",
           "apply_changes", "audit_files", "decode_gray", "decode_image", "flatten",
           "read_payload", "read_photo", "read_photos",
           "sharpen", "templates"]
