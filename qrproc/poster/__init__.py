"""Verified QR posters for the reception desk. Pure of the registry: the service layer
(`qrproc.board.print_posters`, `reprint_batch`) selects the procedures and records the batch.

`render_posters` lays the cards out (`layout`), writes a vector PDF (`render_pdf`) to a
temporary file with an unpredictable name beside the target, renders every QR code at the
printed resolution, decodes it and compares it pixel by pixel with the symbol drawn
(`verify`), and only then moves the file into place. A code that is missing, unreadable, decodes
to another payload or has a wrong module raises `VerificationError` naming the procedures, and no
PDF is left behind. Codes with modules too small for the wall (labels) come with a warning.

Output names: without `out`, a name from the selection (`thay-doi-2026-12-15.pdf` for the
changes, `bang-niem-yet-2026-12-15.pdf` for the whole board, `linh-vuc-ho-tich-….pdf` for one
field…) is reserved in the folder by creating it exclusively, so two runs at once never write
the same file: the second gets `…-2.pdf`.

`encoder=` replaces the QR encoder the renderers use (the tests pass one that prints a wrong
link for one card, to show that verification fails the run).
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from qrproc.diff import Item
from qrproc.errors import QrprocError, VerificationError
from qrproc.i18n import N_, _, ngettext
from qrproc.model import Procedure, fold, nfc
from qrproc.poster import layout as layoutmod
from qrproc.poster import payload as payloadmod
from qrproc.poster import render_pdf, render_png, verify
from qrproc.poster.files import reserve, temp_beside
from qrproc.poster.fonts import Fonts, default_fonts
from qrproc.poster.layout import UNVERIFIED, Furniture  # noqa: F401 - UNVERIFIED re-exported
from qrproc.poster.payload import Encoder, PayloadConfig, QrSymbol
from qrproc.poster.qr_geometry import with_paths
from qrproc.poster.workers import default_workers, fork_map_async

log = logging.getLogger(__name__)

LAYOUTS = tuple(layoutmod.LAYOUTS)
PAPERS = tuple(layoutmod.PAPERS)
OUT_DIR = Path("posters")
#: File name stems by selection; a layout other than the grid adds its own word.
SELECTION_STEMS = {"changed": "thay-doi", "all": "bang-niem-yet", "field": "linh-vuc",
                   "codes": "thu-tuc-chon"}
LAYOUT_SUFFIX = {"grid": "", "single": "-tung-thu-tuc", "labels": "-nhan-qr"}
SELECTIONS = ("changed", "all", "field", "codes")

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Selection:
    """Which procedures to print.

    * ``changed`` (default): new and to-reprint from the board diff, plus a takedown sheet;
    * ``all``: every procedure in force on the date;
    * ``field``: those of one field (lĩnh vực), matched without regard to case or accents;
    * ``codes``: the given procedure codes.
    """

    kind: str = "changed"
    field: str = ""
    codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in SELECTIONS:
            raise QrprocError(_("unknown selection {kind!r} (one of {choices})").format(
                kind=self.kind, choices=", ".join(SELECTIONS)))
        if self.kind == "field" and not nfc(self.field):
            raise QrprocError(_("give the field (lĩnh vực) to print"))
        if self.kind == "codes" and not self.codes:
            raise QrprocError(_("give at least one procedure code to print"))

    @classmethod
    def changed(cls) -> "Selection":
        return cls("changed")

    @classmethod
    def all(cls) -> "Selection":
        return cls("all")

    @classmethod
    def of_field(cls, name: str) -> "Selection":
        return cls("field", field=nfc(name))

    @classmethod
    def of_codes(cls, codes: Iterable[str]) -> "Selection":
        return cls("codes", codes=tuple(dict.fromkeys(codes)))


@dataclass(frozen=True)
class PosterResult:
    """What a run produced. `path` is None when there was nothing to print (or only PNG cards
    were asked for); `batch` is the print batch the service layer recorded it in."""

    path: Path | None
    layout: str
    paper: str
    as_of: date
    pages: int
    procedures: tuple[Procedure, ...]
    payloads: tuple[str, ...]
    takedown: tuple[Item, ...]
    report: verify.VerificationReport | None
    batch: object | None = None  # registry.Batch, set by the service layer
    png_files: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    size: int = 0
    document: layoutmod.Document | None = field(default=None, repr=False, compare=False)
    own_pages: int = 0   # codes that link to the procedure's own page on the portal
    searches: int = 0    # codes that link to the portal's search by code
    reprint: bool = False  # made again from an existing batch

    @property
    def verified(self) -> int:
        return self.report.verified if self.report else 0


def slug(text: str, limit: int = 40) -> str:
    """'Thủ tục đăng ký khai sinh' -> 'thu-tuc-dang-ky-khai-sinh' (ASCII, whole words, at most
    `limit` characters)."""
    out = ""
    for word in fold(text).split():
        if len(out) + len(word) + (1 if out else 0) > limit:
            break
        out = f"{out}-{word}" if out else word
    return out or fold(text).replace(" ", "-")[:limit]


def file_stem(selection: "Selection", layout: str, as_of: date) -> str:
    """thay-doi-2026-12-15, bang-niem-yet-nhan-qr-2026-12-15, linh-vuc-ho-tich-2026-12-15…"""
    stem = SELECTION_STEMS[selection.kind]
    if selection.kind == "field":
        stem += f"-{slug(selection.field, 30)}"
    return f"{stem}{LAYOUT_SUFFIX.get(layout, '-' + layout)}-{as_of.isoformat()}"


def card_specs(procedures: Sequence[Procedure], payloads: Sequence[str], config: PayloadConfig,
               notes: Mapping[str, str] | None = None) -> list[layoutmod.CardSpec]:
    """The layout's input. What the source does not state is printed as unverified, never as
    "none" (a zero fee the council sets, a time in an unknown unit: the importers leave those
    empty)."""
    notes = notes or {}
    return [layoutmod.CardSpec(p.code, p.name, p.field, url, config.ec,
                               payloadmod.version_bound(url, config.ec),
                               p.processing_time or UNVERIFIED, p.fees or UNVERIFIED,
                               notes.get(p.code, ""))
            for p, url in zip(procedures, payloads)]


#: The glyph error for each text a poster prints: the unit's (name, centre, decisions) and each
#: procedure's.
_NO_GLYPH = {
    ("unit", "name"): N_("unit: the poster font has no glyph for {chars} in its name {text!r}; fix "
                         "the source list (letters are never dropped)"),
    ("unit", "centre"): N_("unit: the poster font has no glyph for {chars} in its centre "
                           "{text!r}; fix the source list (letters are never dropped)"),
    ("unit", "decisions"): N_("unit: the poster font has no glyph for {chars} in its decisions "
                              "{text!r}; fix the source list (letters are never dropped)"),
    "name": N_("{code}: the poster font has no glyph for {chars} in its name {text!r}; fix the "
               "source list (letters are never dropped)"),
    "field": N_("{code}: the poster font has no glyph for {chars} in its field {text!r}; fix the "
                "source list (letters are never dropped)"),
    "processing time": N_("{code}: the poster font has no glyph for {chars} in its processing "
                          "time {text!r}; fix the source list (letters are never dropped)"),
    "fees": N_("{code}: the poster font has no glyph for {chars} in its fees {text!r}; fix the "
               "source list (letters are never dropped)"),
    "takedown reason": N_("{code}: the poster font has no glyph for {chars} in its takedown "
                          "reason {text!r}; fix the source list (letters are never dropped)"),
}


def _check_glyphs(fonts: Fonts, procs: Sequence[Procedure], takedown: Sequence[Item],
                  texts: Mapping[str, str], layout: str) -> None:
    """Fail early, naming the procedure, on a character the font cannot print."""
    every = [*texts.values()]
    for p in procs:
        every += [p.name, p.field] + ([p.processing_time, p.fees] if layout == "single" else [])
    for i in takedown:
        every += [i.procedure.name, i.reason_vi]
    if not fonts.missing("".join(set("".join(every)))):
        return  # the usual case, in one look at each distinct character

    def check(code: str | None, what: str, text: str) -> None:
        missing = fonts.missing(text)
        if missing:
            chars = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
            message = _NO_GLYPH[("unit", what) if code is None else what]
            raise QrprocError(_(message).format(code=code, chars=chars, text=text[:80]))

    for what, text in texts.items():
        check(None, what, text)
    for p in procs:
        check(p.code, "name", p.name)
        check(p.code, "field", p.field)
        if layout == "single":
            check(p.code, "processing time", p.processing_time)
            check(p.code, "fees", p.fees)
    for i in takedown:
        check(i.procedure.code, "name", i.procedure.name)
        check(i.procedure.code, "takedown reason", i.reason_vi)


# -- encoding ahead -----------------------------------------------------------------------------

#: Symbols a worker encodes before it sends them back, and how many it takes at once.
ENCODE_SHARE = 512
ENCODE_SLICE = 64


@contextlib.contextmanager
def encode_meanwhile(specs: Sequence[layoutmod.CardSpec], encoder: Encoder, workers: int):
    """Start encoding every card's symbol (and making its path) in `workers` processes; the
    context yields a function that waits for them and returns an encoder answering from those
    symbols (and from `encoder` for anything else). With one worker nothing starts early: the
    pages encode as they draw."""
    if workers <= 1 or len(specs) < 2:
        yield lambda: encoder
        return
    keys = list(dict.fromkeys((s.code, s.payload, s.ec) for s in specs))
    # Few, large shares (one per worker on a commune's board): a worker sending a share while
    # this process lays pages out waits for it to read the pipe (it reads between layout steps,
    # when it gets the GIL), 15-20 ms a share. Each share is encoded and drawn in slices, so
    # numpy's working arrays stay small.
    size = max(1, min(ENCODE_SHARE, -(-len(keys) // workers)))
    chunks = [keys[i:i + size] for i in range(0, len(keys), size)]
    # The paths too, for a board of a commune's size: for the whole catalogue they would hold
    # 28 MB more in this process while the pages are drawn (the page workers make them then).
    paths = len(keys) <= ENCODE_SHARE * workers

    def task(k: int) -> list[QrSymbol]:
        share = chunks[k]
        out: list[QrSymbol] = []
        for i in range(0, len(share), ENCODE_SLICE):
            part = payloadmod.encode_all(encoder, share[i:i + ENCODE_SLICE])
            out += with_paths(part) if paths else part
        return out

    with fork_map_async(task, len(chunks), workers) as results:
        def ready() -> Encoder:
            done = dict(zip(keys, (s for part in results() for s in part)))

            def known(code: str, payload: str, ec: str) -> QrSymbol:
                symbol = done.get((code, payload, ec))
                return symbol if symbol is not None else encoder(code, payload, ec)
            return known
        yield ready


# -- the whole job ------------------------------------------------------------------------------

def render_posters(procedures: Sequence[Procedure], *, unit: str, config: PayloadConfig,
                   as_of: date, at: datetime, layout: str = "grid", paper: str = "A4",
                   takedown: Sequence[Item] = (), notes: Mapping[str, str] | None = None,
                   payloads: Sequence[str] | None = None, furniture: Furniture | None = None,
                   out: str | Path | None = None, folder: str | Path = OUT_DIR,
                   stem: str = "bang-niem-yet", pdf: bool = True,
                   png_dir: str | Path | None = None, on_progress: ProgressFn | None = None,
                   grid: tuple[int, int] | None = None, workers: int | None = None,
                   encoder: Encoder | None = None, fonts: Fonts | None = None) -> PosterResult:
    """Lay out, render, verify and move into place; no registry involved.

    `payloads` are the links to print (default: from `config`; a reprint passes the batch's);
    `notes` a card's note by code; `out` the file (default: a name from `stem` reserved in
    `folder`); `pdf=False` with `png_dir` writes PNG cards only. `png_dir` also exports one
    verified PNG card per procedure; `grid` is (columns, rows); `workers` processes build and
    check the pages (default: up to 2). `on_progress(stage, done, total)` is called with stage
    'render', 'verify' or 'png'. Raises PayloadError (a link is not allowed), VerificationError
    (a code did not read back; nothing is written), QrprocError (other problems).
    """
    if layout not in layoutmod.LAYOUTS:
        raise QrprocError(_("unknown layout {layout!r} (one of {choices})").format(
            layout=layout, choices=", ".join(LAYOUTS)))
    if paper not in layoutmod.PAPERS:
        raise QrprocError(_("unknown paper {paper!r} (one of {choices})").format(
            paper=paper, choices=", ".join(PAPERS)))
    if not pdf and png_dir is None:
        raise QrprocError(_("nothing to write: no PDF and no PNG folder"))
    procs = list(procedures)
    takedown = list(takedown) if pdf else []
    if not procs and not takedown:
        return PosterResult(None, layout, paper, as_of, 0, (), (), (), None)

    furniture = furniture or Furniture()
    fonts = fonts or default_fonts()
    _check_glyphs(fonts, procs, takedown, {"name": unit, "centre": furniture.contact,
                                           "decisions": " ".join(furniture.decisions)}, layout)
    if payloads is None:
        payloads = [payloadmod.payload_for(p.code, p.portal_id, config, p.kind) for p in procs]
    else:
        # a reprint prints the links of its batch, still checked against today's allow-list
        payloads = [payloadmod.check_url(url, config.allowed_hosts) for url in payloads]
    specs = card_specs(procs, payloads, config, notes)
    rows = [layoutmod.TakedownRow(i.procedure.code, i.procedure.name, i.procedure.field, i.reason_vi)
            for i in takedown]
    workers = default_workers() if workers is None else max(1, workers)
    encoder = encoder or payloadmod.default_encoder
    names = {p.code: p.name for p in procs}
    own = sum(payloadmod.links_to_own_page(p.portal_id, config) for p in procs)
    if not pdf:
        png_files = export_png(specs, unit=unit, folder=Path(png_dir), fonts=fonts,
                               encoder=encoder, on_progress=on_progress, names=names)
        return PosterResult(None, layout, paper, as_of, 0, tuple(procs), tuple(payloads), (),
                            None, png_files=tuple(png_files), own_pages=own,
                            searches=len(procs) - own)

    # The symbols are encoded, and their paths made, by the workers while this process lays the
    # pages out (the layout needs only each link's version bound).
    with encode_meanwhile(specs, encoder, workers) as encoded:
        doc = layoutmod.build(layout, specs, unit=unit, as_of=as_of, paper=paper, grid=grid,
                              measure=fonts.measure, takedown=rows, furniture=furniture)
        encoder = encoded()
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        reserved = None
    else:
        out = reserved = reserve(Path(folder), stem)
    tmp = temp_beside(out)
    png_files: list[Path] = []
    done = False
    try:
        info = render_pdf.render(doc, tmp, fonts=fonts, encoder=encoder, workers=workers,
                                 on_progress=on_progress, created=at,
                                 title=f"{doc.title} – {unit} – {as_of:%d/%m/%Y}")
        report = verify.verify_pdf(tmp, doc, workers=workers, symbols=info.symbols,
                                    on_progress=on_progress)
        log.info("%s: %d pages, %d bytes; %d of %d QR codes read back at %.0f dpi", out,
                 info.pages, info.size, report.verified, report.expected, report.dpi)
        if not report.ok:
            raise VerificationError(ngettext(
                "verification failed: the QR code did not read back exactly; no PDF was written "
                "({path}).\n{problems}",
                "verification failed: {failed} of {expected} QR codes did not read back exactly; "
                "no PDF was written ({path}).\n{problems}", report.expected).format(
                    failed=report.expected - report.verified, expected=report.expected, path=out,
                    problems=report.describe(names)))
        if png_dir is not None:
            png_files = export_png(specs, unit=unit, folder=Path(png_dir), fonts=fonts,
                                   encoder=encoder, on_progress=on_progress, names=names)
        os.replace(tmp, out)
        done = True
    finally:
        tmp.unlink(missing_ok=True)
        if not done and reserved is not None:
            reserved.unlink(missing_ok=True)

    warnings = payloadmod.version_warnings(info.versions) + module_warnings(report)
    return PosterResult(out, layout, paper, as_of, info.pages, tuple(procs), tuple(payloads),
                        tuple(takedown), report, None, tuple(png_files), tuple(warnings),
                        info.size, doc, own_pages=own, searches=len(procs) - own)


def module_warnings(report: verify.VerificationReport) -> list[str]:
    """One line when codes were printed with modules too small for the wall board (empty when
    none): such labels are for the counter, scanned at hand distance."""
    small = [r for r in report.results if r.module < layoutmod.WALL_MODULE - 1e-9]
    if not small:
        return []
    smallest = min(r.module for r in small)
    return [ngettext(
        "{n} QR code has modules of {size} mm: labels for the counter, scanned at hand distance, "
        "not for the wall board, which needs {wall} mm or more (print the board with --layout "
        "grid or single).",
        "{n} QR codes have modules of {size} mm: labels for the counter, scanned at hand distance, "
        "not for the wall board, which needs {wall} mm or more (print the board with --layout "
        "grid or single).", len(small)).format(n=len(small), size=f"{smallest:.2f}",
                                               wall=layoutmod.WALL_MODULE)]


def export_png(specs: Sequence[layoutmod.CardSpec], *, unit: str, folder: Path,
               fonts: Fonts | None = None, encoder: Encoder | None = None,
               on_progress: ProgressFn | None = None, names: dict[str, str] | None = None,
               dpi: int = render_png.DPI) -> list[Path]:
    """One PNG card per procedure (folder/<code>-<short-name>.png, e.g.
    1.001193-dang-ky-khai-sinh.png), each decoded before it is kept. If one fails, the
    PNGs written by this call are removed and VerificationError names it."""
    fonts = fonts or default_fonts()
    encoder = encoder or payloadmod.default_encoder
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for k, spec in enumerate(specs, start=1):
            page = layoutmod.share_card(spec, unit=unit, measure=fonts.measure)
            card = page.cards[0]
            area = page.qrs[0]
            symbol = encoder(area.code, area.payload, area.ec)  # once: drawn, then checked
            image = render_png.render_card(page, width=card.box.w, height=card.box.h, fonts=fonts,
                                           encoder=lambda *_key: symbol, dpi=dpi)
            problem = verify.verify_image(image, area, dpi, symbol=symbol,
                                          placement=render_png.qr_placement(area, symbol, dpi / 25.4))
            if problem is not None:
                raise VerificationError(_(
                    "PNG export failed verification; no PNG was kept:\n{problem}").format(
                        problem=problem.describe((names or {}).get(spec.code, ""))))
            written.append(render_png.save_png(image, folder / png_name(spec.code, spec.name), dpi=dpi))
            if on_progress:
                on_progress("png", k, len(specs))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def png_name(code: str, name: str) -> str:
    """1.001193-dang-ky-khai-sinh.png ('Thủ tục đăng ký khai sinh'): the code first (sorts and
    finds), then enough of the name to tell the files apart by eye, without the "Thủ tục" most
    names start with."""
    words = nfc(name).split()
    if len(words) > 2 and fold(" ".join(words[:2])) == "thu tuc":
        words = words[2:]
    short = slug(" ".join(words))
    return f"{code}-{short}.png" if short else f"{code}.png"


__all__ = ["Furniture", "LAYOUTS", "PAPERS", "PosterResult", "Selection", "export_png",
           "file_stem", "png_name", "render_posters", "reserve"]
