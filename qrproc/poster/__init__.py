"""Verified QR posters for the reception desk.

`make_posters` is the library entry: it selects the procedures (what changed on the board, all,
one field, or given codes), lays them out (`layout`), writes a vector PDF (`render_pdf`) to a
temporary file beside the target, renders every QR code at the printed resolution, decodes it and
compares it module by module with the symbol drawn (`verify`), and only then moves the file into
place and records the print batch in the registry. A code that is missing, unreadable, decodes to
another payload or has a wrong module raises `VerificationError` naming the procedures, and no
PDF is left behind. Codes with modules too small for the wall (labels) come with a warning.

    from qrproc.poster import Selection, make_posters
    result = make_posters(registry, layout="grid", selection=Selection.changed(),
                          as_of=date(2026, 11, 28), at=datetime.now())
    print(result.path, result.verified)

Test hook (documented): `encoder=` replaces the QR encoder used by the renderers, e.g.
`payload.wrong_payload_encoder(["1.001193"])`, which prints a wrong payload for one card; the
CLI uses it when the environment variable QRPROC_TEST_WRONG_QR names codes.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterable, Sequence

from qrproc.board import board_diff, current_versions
from qrproc.catalogue import required_catalogue
from qrproc.diff import Item
from qrproc.errors import QrprocError, VerificationError
from qrproc.model import Procedure, fold, nfc
from qrproc.poster import layout as layoutmod
from qrproc.poster import payload as payloadmod
from qrproc.poster import render_pdf, render_png, verify
from qrproc.poster.fonts import Fonts, default_fonts
from qrproc.poster.workers import default_workers
from qrproc.poster.payload import Encoder, PayloadConfig
from qrproc.registry import Batch, Registry

log = logging.getLogger(__name__)

LAYOUTS = tuple(layoutmod.LAYOUTS)
PAPERS = tuple(layoutmod.PAPERS)
OUT_DIR = Path("posters")
FILE_STEMS = {"grid": "bang-niem-yet", "single": "thu-tuc", "labels": "nhan-qr"}
#: Printed for a processing time or fee the source does not state.
UNVERIFIED = "Chưa xác minh"
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
            raise QrprocError(f"unknown selection {self.kind!r} (one of {', '.join(SELECTIONS)})")
        if self.kind == "field" and not nfc(self.field):
            raise QrprocError("give the field (lĩnh vực) to print")
        if self.kind == "codes" and not self.codes:
            raise QrprocError("give at least one procedure code to print")

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
    """What a run produced. `path` is None when there was nothing to print."""

    path: Path | None
    layout: str
    paper: str
    as_of: date
    pages: int
    procedures: tuple[Procedure, ...]
    payloads: tuple[str, ...]
    takedown: tuple[Item, ...]
    report: verify.VerificationReport | None
    batch: Batch | None
    png_files: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    size: int = 0
    document: layoutmod.Document | None = field(default=None, repr=False, compare=False)
    own_pages: int = 0   # codes that link to the procedure's own page on the portal
    searches: int = 0    # codes that link to the portal's search by code

    @property
    def verified(self) -> int:
        return self.report.verified if self.report else 0


# -- settings -------------------------------------------------------------------------------------

def payload_config(registry: Registry) -> PayloadConfig:
    """The unit's payload settings (templates, extra hosts, error correction)."""
    return PayloadConfig.from_settings(registry.settings())


def set_payload(registry: Registry, *, template: str | None = None, template_code: str | None = None,
                allow_hosts: Sequence[str] = (), ec: str | None = None, reset: bool = False,
                at: datetime) -> PayloadConfig:
    """Change the payload settings: checked first (PayloadError), stored only if valid."""
    current = PayloadConfig() if reset else payload_config(registry)
    new = PayloadConfig(
        template=template.strip() if template else current.template,
        template_code=template_code.strip() if template_code else current.template_code,
        extra_hosts=tuple(dict.fromkeys(current.extra_hosts + payloadmod.parse_hosts(allow_hosts))),
        ec=(ec or current.ec).upper(),
    ).checked()
    registry.set_settings(new.to_settings(), at=at)
    return new


# -- selection ------------------------------------------------------------------------------------

def select(registry: Registry, selection: Selection, as_of: date) -> tuple[list[Procedure], list[Item]]:
    """The procedures to print and (for ``changed``) the labels to take down."""
    if selection.kind == "changed":
        d = board_diff(registry, as_of)
        return [i.procedure for i in d.to_post + d.to_reprint], list(d.to_take_down)
    if selection.kind == "codes":
        return current_versions(registry, selection.codes, as_of), []
    in_force = list(required_catalogue(registry, as_of).applicable)
    if selection.kind == "all":
        return in_force, []
    want = fold(selection.field)  # the remaining kind: one field
    chosen = [p for p in in_force if fold(p.field) == want]
    if not chosen:
        fields = sorted({p.field for p in in_force if p.field})
        near = [f for f in fields if want in fold(f)] or fields
        raise QrprocError(f"no procedure in force on {as_of.isoformat()} is in the field "
                          f"{selection.field!r}; fields: {', '.join(near[:12])}"
                          + (" …" if len(near) > 12 else ""))
    return chosen, []


def default_out(layout: str, as_of: date, folder: Path = OUT_DIR) -> Path:
    """posters/bang-niem-yet-2026-11-28.pdf, or …-2.pdf etc. if that file is already there (an
    earlier batch points to it)."""
    stem = f"{FILE_STEMS.get(layout, layout)}-{as_of.isoformat()}"
    path = folder / f"{stem}.pdf"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.pdf"
        n += 1
    return path


def _check_glyphs(fonts: Fonts, procs: Sequence[Procedure], takedown: Sequence[Item],
                  unit: str, layout: str) -> None:
    """Fail early, naming the procedure, on a character the font cannot print."""
    def check(code: str, what: str, text: str) -> None:
        missing = fonts.missing(text)
        if missing:
            chars = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
            raise QrprocError(f"{code}: the poster font has no glyph for {chars} in its {what} "
                              f"{text[:80]!r}; fix the source list (letters are never dropped)")

    check("unit", "name", unit)
    for p in procs:
        check(p.code, "name", p.name)
        check(p.code, "field", p.field)
        if layout == "single":
            check(p.code, "processing time", p.processing_time)
            check(p.code, "fees", p.fees)
    for i in takedown:
        check(i.procedure.code, "name", i.procedure.name)
        check(i.procedure.code, "takedown reason", i.reason_vi)


# -- the whole job ------------------------------------------------------------------------------------

def make_posters(registry: Registry, *, layout: str = "grid", selection: Selection | None = None,
                 as_of: date, out: str | Path | None = None, paper: str = "A4",
                 png_dir: str | Path | None = None, at: datetime,
                 on_progress: ProgressFn | None = None, grid: tuple[int, int] | None = None,
                 workers: int | None = None, encoder: Encoder | None = None,
                 fonts: Fonts | None = None) -> PosterResult:
    """Select, lay out, render, verify, move into place and record a print batch.

    `out` defaults to posters/<name>-<as_of>.pdf; `png_dir` also exports one verified PNG card
    per procedure; `grid` is (columns, rows); `workers` processes build and check the pages
    (default: up to 2); `encoder` replaces the QR encoder (a test hook, see the module doc).
    `on_progress(stage, done, total)` is called with stage 'render', 'verify' or 'png'.
    Raises PayloadError (a link is not allowed), VerificationError (a code did not read back;
    nothing is written), QrprocError (other problems).
    """
    registry.require_initialised()
    if layout not in layoutmod.LAYOUTS:
        raise QrprocError(f"unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")
    if paper not in layoutmod.PAPERS:
        raise QrprocError(f"unknown paper {paper!r} (one of {', '.join(PAPERS)})")
    selection = selection or Selection.changed()
    unit = registry.get_setting("unit") or ""
    config = payload_config(registry).checked()
    procs, takedown = select(registry, selection, as_of)
    if not procs and not takedown:
        return PosterResult(None, layout, paper, as_of, 0, (), (), (), None, None)

    fonts = fonts or default_fonts()
    _check_glyphs(fonts, procs, takedown, unit, layout)
    payloads = [payloadmod.payload_for(p.code, p.portal_id, config, p.kind) for p in procs]
    # What the source does not state is printed as unverified, never as "none" (a zero fee the
    # council sets, a time in an unknown unit: the importers leave those empty).
    specs = [layoutmod.CardSpec(p.code, p.name, p.field, url, config.ec,
                                payloadmod.version_bound(url, config.ec),
                                p.processing_time or UNVERIFIED, p.fees or UNVERIFIED)
             for p, url in zip(procs, payloads)]
    rows = [layoutmod.TakedownRow(i.procedure.code, i.procedure.name, i.procedure.field, i.reason_vi)
            for i in takedown]
    doc = layoutmod.build(layout, specs, unit=unit, as_of=as_of, paper=paper, grid=grid,
                          measure=fonts.measure, takedown=rows)

    workers = default_workers() if workers is None else max(1, workers)
    encoder = encoder or payloadmod.default_encoder
    out = Path(out) if out is not None else default_out(layout, as_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    names = {p.code: p.name for p in procs}
    png_files: list[Path] = []
    try:
        info = render_pdf.render(doc, tmp, fonts=fonts, encoder=encoder, workers=workers,
                                 on_progress=on_progress, created=at,
                                 title=f"{layoutmod.TITLE} – {unit} – {as_of:%d/%m/%Y}")
        report = verify.verify_pdf(tmp, doc, workers=workers, symbols=info.symbols,
                                    on_progress=on_progress)
        log.info("%s: %d pages, %d bytes; %d of %d QR codes read back at %.0f dpi", out,
                 info.pages, info.size, report.verified, report.expected, report.dpi)
        if not report.ok:
            raise VerificationError(
                f"verification failed: {report.expected - report.verified} of {report.expected} QR "
                f"codes did not read back exactly; no PDF was written ({out}).\n"
                + report.describe(names))
        if png_dir is not None:
            png_files = export_png(specs, unit=unit, folder=Path(png_dir), fonts=fonts,
                                   encoder=encoder, on_progress=on_progress, names=names)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)

    batch = registry.add_batch(layout=layout, path=str(out), as_of=as_of,
                               items=list(zip(procs, payloads)), at=at)
    own = sum(payloadmod.links_to_own_page(p.portal_id, config) for p in procs)
    warnings = payloadmod.version_warnings(info.versions) + module_warnings(report)
    return PosterResult(out, layout, paper, as_of, info.pages, tuple(procs), tuple(payloads),
                        tuple(takedown), report, batch, tuple(png_files), tuple(warnings),
                        info.size, doc, own_pages=own, searches=len(procs) - own)


def module_warnings(report: verify.VerificationReport) -> list[str]:
    """One line when codes were printed with modules too small for the wall board (empty when
    none): such labels are for the counter, scanned at hand distance."""
    small = [r for r in report.results if r.module < layoutmod.WALL_MODULE - 1e-9]
    if not small:
        return []
    smallest = min(r.module for r in small)
    return [f"{len(small)} QR code(s) have modules of {smallest:.2f} mm: labels for the counter, "
            f"scanned at hand distance, not for the wall board, which needs "
            f"{layoutmod.WALL_MODULE} mm or more (print the board with --layout grid or single)."]


def export_png(specs: Sequence[layoutmod.CardSpec], *, unit: str, folder: Path,
               fonts: Fonts | None = None, encoder: Encoder | None = None,
               on_progress: ProgressFn | None = None, names: dict[str, str] | None = None,
               dpi: int = render_png.DPI) -> list[Path]:
    """One PNG card per procedure (folder/<code>.png), each decoded before it is kept. If one
    fails, the PNGs written by this call are removed and VerificationError names it."""
    fonts = fonts or default_fonts()
    encoder = encoder or payloadmod.default_encoder
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for k, spec in enumerate(specs, start=1):
            page = layoutmod.share_card(spec, unit=unit, measure=fonts.measure)
            card = page.cards[0]
            image = render_png.render_card(page, width=card.box.w, height=card.box.h, fonts=fonts,
                                           encoder=encoder, dpi=dpi)
            area = page.qrs[0]
            symbol = encoder(area.code, area.payload, area.ec)
            problem = verify.verify_image(image, area, dpi, symbol=symbol,
                                          placement=render_png.qr_placement(area, symbol, dpi / 25.4))
            if problem is not None:
                raise VerificationError("PNG export failed verification; no PNG was kept:\n"
                                        + problem.describe((names or {}).get(spec.code, "")))
            written.append(render_png.save_png(image, folder / f"{spec.code}.png", dpi=dpi))
            if on_progress:
                on_progress("png", k, len(specs))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


__all__ = ["LAYOUTS", "PAPERS", "PosterResult", "Selection", "default_out", "export_png",
           "make_posters", "payload_config", "select", "set_payload"]
