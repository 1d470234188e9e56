"""Benchmark: qrproc's verified grid posters against the naive design-card pipeline.

Both run on the whole national catalogue (../shared/reference/new_portal/
list-all-public-formality-by-citizen__catalog_5670_items.jsonl.gz beside the checkout), each as
its own subprocess, side by side in one run:

* qrproc: `qrproc posters --all` on a registry holding the catalogue: lay out, write the vector
  PDF on two processes, render every page and decode every QR code, record the batch;
* naive: python-qrcode images pasted on Pillow pages at 300 dpi (the same cards per page,
  grouped by field the same way), saved as one PDF, no verification.

It prints wall time, peak RSS (the largest process of each run, from
getrusage(RUSAGE_CHILDREN) in a wrapper process), PDF size and the ratios, then times a
400-procedure commune board through the library. Targets: wall ratio ≤ 0.10, peak RSS ≤ 200 MB,
PDF ≤ 8 MB (each QR symbol is a plain filled path: about 900 bytes for a version 7 code), the
400-procedure board under 1 s.

Usage: python bench/posters.py [--limit N] [--skip-naive]

Data note: four catalogue names carry 'ƣ' (U+01A3), a PDF-conversion artefact for 'ư'; qrproc's
model repairs it on entry (model.nfc), the naive pipeline draws it as it comes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
CATALOGUE = (SHARED / "reference" / "new_portal"
             / "list-all-public-formality-by-citizen__catalog_5670_items.jsonl.gz")
AS_OF = date(2026, 11, 28)
AT = datetime(2026, 11, 28, 9, 0, 0)
UNIT = "UBND xã Mẫu"
TARGETS = {"wall_ratio": 0.10, "rss_mb": 200.0, "pdf_mb": 8.0, "board400_s": 1.0}


def load_items(limit: int | None = None) -> list[dict]:
    """The catalogue's list items (id, name, code, categories…)."""
    items = []
    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            items.append(d)
            if limit and len(items) >= limit:
                break
    return items


def to_procedures(items: list[dict]):
    from qrproc.model import Procedure, is_valid_code

    out = []
    for d in items:
        if not is_valid_code(d.get("code", "")):
            continue
        # every procedure as if the commune received it: the benchmark prints the whole catalogue
        out.append(Procedure(code=d["code"], name=d["name"], field=(d.get("categories") or [""])[0],
                             portal_id=d.get("id", ""), levels=("commune",)))
    return list({p.code: p for p in out}.values())  # one card per code


def commune_board(procs, n: int):
    """`n` procedures from the fields of the sample commune's list (data/xa-mau-2026-07.csv),
    taken round-robin across those fields so that no single field (Đất đai) swamps the board."""
    import csv

    sample = REPO / "data" / "xa-mau-2026-07.csv"
    with open(sample, encoding="utf-8-sig", newline="") as f:
        fields = list(dict.fromkeys(row["Lĩnh vực"] for row in csv.DictReader(f)))
    by_field: dict[str, list] = {}
    for p in procs:
        by_field.setdefault(p.field, []).append(p)
    queues = [list(by_field.get(f, [])) for f in fields]
    out = []
    while len(out) < n and any(queues):
        for q in queues:
            if q and len(out) < n:
                out.append(q.pop(0))
    if len(out) < n:  # the sample's fields hold fewer: top up from the rest of the catalogue
        chosen = {p.code for p in out}
        out += [p for p in procs if p.code not in chosen][:n - len(out)]
    return out


def make_registry(db: Path, procs) -> None:
    from qrproc.catalogue import import_catalogue
    from qrproc.model import Catalogue
    from qrproc.registry import Registry

    reg = Registry(db)
    try:
        reg.set_settings({"unit": UNIT, "province": "H31"}, at=AT)
        import_catalogue(reg, Catalogue(source=CATALOGUE.name, procedures=tuple(procs)),
                         effective=date(2026, 7, 1), decision="bench", at=AT)
    finally:
        reg.close()


# -- the naive pipeline (runs in its own process) -------------------------------------------------

def naive(out: Path, limit: int | None) -> None:
    """python-qrcode images pasted onto 300 dpi Pillow pages, 12 cards per A4 page grouped by
    field, text drawn with Pillow, all pages saved as one PDF. No verification."""
    import qrcode
    from PIL import Image, ImageDraw, ImageFont

    from qrproc.poster.fonts import FONT_FILES, font_dir

    dpi = 300
    px = lambda mm: round(mm * dpi / 25.4)  # noqa: E731
    page_w, page_h = px(210), px(297)
    regular = ImageFont.truetype(str(font_dir() / FONT_FILES[False]), px(2.6))
    bold = ImageFont.truetype(str(font_dir() / FONT_FILES[True]), px(3.2))
    title = ImageFont.truetype(str(font_dir() / FONT_FILES[True]), px(5.0))
    groups: dict[str, list[dict]] = {}
    for d in load_items(limit):
        groups.setdefault((d.get("categories") or [""])[0], []).append(d)
    pages = []
    for field in sorted(groups):
        cards = sorted(groups[field], key=lambda d: d["code"])
        for start in range(0, len(cards), 12):
            page = Image.new("1", (page_w, page_h), 1)
            draw = ImageDraw.Draw(page)
            draw.text((px(10), px(8)), UNIT.upper(), font=bold, fill=0)
            draw.text((px(40), px(14)), "BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH", font=title, fill=0)
            draw.text((px(10), px(22)), f"Lĩnh vực: {field}", font=bold, fill=0)
            for k, d in enumerate(cards[start:start + 12]):
                x, y = px(8 + (k % 3) * 65), px(30 + (k // 3) * 64)
                draw.rectangle((x, y, x + px(62), y + px(61)), outline=0, width=2)
                qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, box_size=10, border=4)
                qr.add_data(f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{d['id']}")
                qr.make(fit=True)
                img = qr.make_image(fill_color="black", back_color="white").get_image()
                img = img.convert("1").resize((px(40), px(40)), Image.NEAREST)
                page.paste(img, (x + px(11), y + px(1)))
                ty = y + px(42)
                for line in textwrap.wrap(d["name"], 38)[:3]:
                    draw.text((x + px(2), ty), line, font=regular, fill=0)
                    ty += px(3.4)
                draw.text((x + px(2), y + px(55)), f"Mã TTHC: {d['code']}", font=regular, fill=0)
            pages.append(page)
    pages[0].save(out, save_all=True, append_images=pages[1:], resolution=dpi)


# -- measuring -------------------------------------------------------------------------------------

def measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run `cmd` under a small wrapper process that reports wall time and the peak RSS of the
    largest process below it (getrusage RUSAGE_CHILDREN counts every waited-for descendant)."""
    wrapper = textwrap.dedent("""
        import json, resource, subprocess, sys, time
        t = time.perf_counter()
        rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(json.dumps({"rc": rc, "wall": wall, "rss_kb": ru.ru_maxrss}))
    """)
    res = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True,
                         env=env, check=False)
    if res.returncode != 0 or not res.stdout.strip():
        raise SystemExit(f"benchmark step failed: {' '.join(cmd)}\n{res.stderr}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    if out["rc"] != 0:
        raise SystemExit(f"benchmark step exited {out['rc']}: {' '.join(cmd)}\n{res.stderr}")
    return out


def pdf_pages(path: Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def board400(db: Path, out: Path, runs: int = 5) -> dict:
    """Library time of a 400-procedure board (grid, verified), in a fresh process: the median of
    `runs` runs, the first of them cold (imports, fonts); this machine is shared and single runs
    drift by a tenth."""
    import statistics

    from qrproc import board
    from qrproc.poster import Selection
    from qrproc.registry import Registry

    reg = Registry(db)
    walls = []
    try:
        for k in range(runs):
            t = time.perf_counter()
            result = board.print_posters(reg, layout="grid", selection=Selection.all(), as_of=AS_OF,
                                  out=out.with_name(f"{out.stem}-{k}.pdf"), at=AT)
            walls.append(time.perf_counter() - t)
    finally:
        reg.close()
    return {"wall": statistics.median(walls), "walls": walls, "pages": result.pages,
            "verified": result.verified, "expected": result.report.expected, "size": result.size}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="Use only the first N catalogue items.")
    ap.add_argument("--skip-naive", action="store_true", help="Run qrproc only.")
    ap.add_argument("--naive-child", metavar="OUT", help=argparse.SUPPRESS)
    ap.add_argument("--board400-child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.naive_child:
        naive(Path(args.naive_child), args.limit)
        return 0
    if args.board400_child:
        print(json.dumps(board400(Path(args.board400_child[0]), Path(args.board400_child[1]))))
        return 0
    if not CATALOGUE.exists():
        print(f"skipped: the shared catalogue is not there ({CATALOGUE}); it lives in ../shared "
              "beside the checkout")
        return 0

    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryDirectory(prefix="qrproc-bench-") as tmp:
        tmp = Path(tmp)
        items = load_items(args.limit)
        procs = to_procedures(items)
        db = tmp / "bench.db"
        make_registry(db, procs)
        print(f"catalogue: {len(items)} items, {len(procs)} procedures with a code, "
              f"{len({p.field for p in procs})} fields")

        ours_pdf = tmp / "qrproc.pdf"
        ours = measured([sys.executable, "-m", "qrproc", "--db", str(db), "posters", "--all",
                         "--as-of", AS_OF.isoformat(), "--out", str(ours_pdf), "--silent"], env)
        ours["size"] = ours_pdf.stat().st_size
        ours["pages"] = pdf_pages(ours_pdf)
        naive_run = None
        if not args.skip_naive:
            naive_pdf = tmp / "naive.pdf"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--naive-child", str(naive_pdf)]
            if args.limit:
                cmd += ["--limit", str(args.limit)]
            naive_run = measured(cmd, env)
            naive_run["size"] = naive_pdf.stat().st_size
            naive_run["pages"] = pdf_pages(naive_pdf)

        # A commune-sized board: 400 procedures of the fields a commune's board has.
        small_db = tmp / "board400.db"
        make_registry(small_db, commune_board(procs, 400))
        res = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--board400-child",
                              str(small_db), str(tmp / "board400.pdf")],
                             capture_output=True, text=True, env=env, check=True)
        b400 = json.loads(res.stdout.strip().splitlines()[-1])
        b400_cli = measured([sys.executable, "-m", "qrproc", "--db", str(small_db), "posters", "--all",
                             "--as-of", AS_OF.isoformat(), "--out", str(tmp / "board400-cli.pdf"),
                             "--silent"], env)

    mb = 1024 * 1024
    print()
    print(f"{'pipeline':<44} {'wall s':>8} {'peak RSS MB':>12} {'PDF MB':>8} {'pages':>6}")
    print(f"{'qrproc posters --all (grid, verified, 2 proc)':<44} {ours['wall']:>8.2f} "
          f"{ours['rss_kb'] / 1024:>12.1f} {ours['size'] / mb:>8.2f} {ours['pages']:>6}")
    if naive_run:
        print(f"{'naive: qrcode + Pillow 300 dpi, no checks':<44} {naive_run['wall']:>8.2f} "
              f"{naive_run['rss_kb'] / 1024:>12.1f} {naive_run['size'] / mb:>8.2f} {naive_run['pages']:>6}")
    print()
    checks = []
    if naive_run:
        ratio = ours["wall"] / naive_run["wall"]
        checks.append(("wall ratio qrproc/naive", f"{ratio:.3f}", ratio <= TARGETS["wall_ratio"],
                       f"≤ {TARGETS['wall_ratio']}"))
        print(f"ratios qrproc/naive: wall {ratio:.3f}, peak RSS "
              f"{ours['rss_kb'] / naive_run['rss_kb']:.3f}, PDF size {ours['size'] / naive_run['size']:.3f}")
    checks.append(("peak RSS (MB)", f"{ours['rss_kb'] / 1024:.1f}", ours["rss_kb"] / 1024 <= TARGETS["rss_mb"],
                   f"≤ {TARGETS['rss_mb']:.0f}"))
    checks.append(("PDF size (MB)", f"{ours['size'] / mb:.2f}", ours["size"] / mb <= TARGETS["pdf_mb"],
                   f"≤ {TARGETS['pdf_mb']:.0f}"))
    checks.append(("400-procedure board, library, median (s)", f"{b400['wall']:.2f}",
                   b400["wall"] < TARGETS["board400_s"], f"< {TARGETS['board400_s']:.0f}"))
    print(f"400-procedure board: {b400['pages']} pages, {b400['verified']}/{b400['expected']} codes "
          f"verified, library median {b400['wall']:.2f} s (runs, the first cold: "
          f"{', '.join(f'{w:.2f}' for w in b400['walls'])}), whole CLI process {b400_cli['wall']:.2f} s "
          f"(peak RSS {b400_cli['rss_kb'] / 1024:.0f} MB)")
    print()
    for name, value, ok, target in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<42} {value:>8}  (target {target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
