"""Benchmark: the two choices under the posters' encoding, each against what it replaced, side by
side in one run, on the national catalogue's own links (../shared/reference/new_portal/
list-all-public-formality-by-citizen__catalog_5670_items.jsonl.gz beside the checkout):

* QR symbols: zxing-cpp choosing each symbol's mask itself, against `payload.encode_many`
  (zxing-cpp writes every symbol with mask 0, `qr_mask` scores the eight masks of a batch of
  symbols at once). Both must give the same symbols, bit for bit, in at most half the time.
* Page streams: zlib level 6 (the standard library), against libdeflate (the `deflate` package)
  at `pdf_writer.FLATE_LEVEL`, on the uncompressed content of the grid pages of the first
  `--procedures` procedures. Targets: no larger, and at most half the time.

Usage: python bench/encoding.py [--procedures N] [--repeat K]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
import zlib
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CATALOGUE = (REPO.parent / "shared" / "reference" / "new_portal"
             / "list-all-public-formality-by-citizen__catalog_5670_items.jsonl.gz")
TARGETS = {"encode_ratio": 0.5, "flate_ratio": 0.5}


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--procedures", type=int, default=400, help="Cards laid out for the flate part.")
    ap.add_argument("--repeat", type=int, default=3, help="Runs of each; the best is kept.")
    args = ap.parse_args(argv)
    if not CATALOGUE.exists():
        print(f"skipped: the shared catalogue is not there ({CATALOGUE})")
        return 0

    from qrproc.model import Procedure, is_valid_code
    from qrproc.poster import card_specs
    from qrproc.poster import layout as layoutmod
    from qrproc.poster import payload as pl
    from qrproc.poster.fonts import default_fonts
    from qrproc.poster.pdf_writer import FLATE_LEVEL, flate
    from qrproc.poster.render_pdf import page_content

    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as f:
        items = [json.loads(line) for line in f]
    config = pl.PayloadConfig()
    links = [pl.payload_for(d["code"], d.get("id", ""), config) for d in items
             if is_valid_code(d.get("code", ""))]
    ec = config.ec
    print(f"{len(links)} catalogue links, level {ec}, versions "
          f"{sorted({pl.version_bound(u, ec) for u in links})} (upper bounds)")

    # -- QR symbols ---------------------------------------------------------------------------
    pl.encode_many(links[:2], ec)  # warm: the mask differences of the versions met
    ours = best_of(args.repeat, lambda: [pl.encode_many(links[i:i + 50], ec)
                                         for i in range(0, len(links), 50)])
    theirs = best_of(args.repeat, lambda: [pl._write(u, ec) for u in links])
    mine = [s for i in range(0, len(links), 50) for s in pl.encode_many(links[i:i + 50], ec)]
    same = sum(bool((s.dark == pl._write(u, ec)).all()) for s, u in zip(mine, links))
    n = len(links)
    print(f"\nQR symbols ({n}):")
    print(f"  zxing-cpp, its own mask choice       {theirs:7.3f} s  {theirs / n * 1e3:.3f} ms each")
    print(f"  encode_many (mask 0 + qr_mask, by 50) {ours:7.3f} s  {ours / n * 1e3:.3f} ms each")
    print(f"  identical symbols: {same} of {n}")

    # -- page streams ---------------------------------------------------------------------------
    procs = []
    for d in items:
        if is_valid_code(d.get("code", "")) and len(procs) < args.procedures:
            procs.append(Procedure(code=d["code"], name=d["name"],
                                   field=(d.get("categories") or [""])[0], portal_id=d.get("id", ""),
                                   levels=("commune",)))
    fonts = default_fonts()
    specs = card_specs(procs, [pl.payload_for(p.code, p.portal_id, config) for p in procs], config)
    doc = layoutmod.build("grid", specs, unit="UBND xã Mẫu", as_of=date(2026, 11, 28), paper="A4",
                          measure=fonts.measure)
    raw = [page_content(page, doc.paper.height, fonts, pl.default_encoder)[0] for page in doc.pages]
    z_time = best_of(args.repeat, lambda: [zlib.compress(r, 6) for r in raw])
    d_time = best_of(args.repeat, lambda: [flate(r) for r in raw])
    z_size = sum(len(zlib.compress(r, 6)) for r in raw)
    d_size = sum(len(flate(r)) for r in raw)
    assert all(zlib.decompress(flate(r)) == r for r in raw)
    mb = 1024 * 1024
    print(f"\npage content of {len(procs)} procedures ({len(raw)} pages, "
          f"{sum(map(len, raw)) / mb:.2f} MB uncompressed):")
    print(f"  zlib level 6                 {z_time * 1e3:8.1f} ms  {z_size / mb:6.3f} MB")
    print(f"  libdeflate level {FLATE_LEVEL}            {d_time * 1e3:8.1f} ms  {d_size / mb:6.3f} MB")

    checks = [
        ("QR symbols: time ratio ours/zxing", ours / theirs, ours / theirs <= TARGETS["encode_ratio"],
         f"≤ {TARGETS['encode_ratio']:.2f}"),
        ("QR symbols: identical", same, same == n, f"= {n}"),
        ("flate: time ratio libdeflate/zlib", d_time / z_time,
         d_time / z_time <= TARGETS["flate_ratio"], f"≤ {TARGETS['flate_ratio']}"),
        ("flate: size ratio libdeflate/zlib", d_size / z_size, d_size <= z_size, "≤ 1"),
    ]
    print()
    for name, value, ok, target in checks:
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<38} {shown:>8}  (target {target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
