"""Benchmark: decoding speed and recovery of `qrproc audit` on synthetic 12-megapixel wall photos.

The walls are qrproc's own grid posters (printed with the poster library, rendered with
pypdfium2), pinned on cork and photographed as a phone would: tilted, seen at an angle, lit from
one side, noisy, blurred, downscaled to 12 MP and saved as JPEG quality 60. The synthesiser is
the one the tests use (tests/test_audit_wall.py).

* board A: 48 procedures on 6 card sheets, plus the index and a stranger's flyer (8 sheets, 4×2),
  two photos;
* board B: 96 procedures printed on 12 card sheets; ten of them pinned in one wide row of five
  by two (about a metre across), two photos: the codes get about 2.6 pixels per module, where the
  whole-image pass alone misses some and the enlarged tiles are needed.

For each photo it prints the decode time (median of --repeat runs, file read and JPEG decode
included), the codes found against the codes on the wall, false procedures, and which pass found
the codes. Usage: python bench/audit.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from test_audit_wall import (AUDIT_DAY, FOREIGN, SHOTS, board_procedures, build_board,  # noqa: E402
                             compose_wall, new_registry, photograph)

from qrproc import audit  # noqa: E402
from qrproc.board import payload_config  # noqa: E402


def doubled_procedures():
    """Board A's procedures and as many again (other codes, other portal ids)."""
    rng = random.Random(96)
    base = board_procedures()
    more = tuple(p.replace(code=f"{p.code[:2]}{int(p.code[2:]) + 450000:06d}",
                           name=f"{p.name} (cấp lại)",
                           portal_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)) if p.portal_id else "")
                 for p in base)
    return base + more


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="decode each photo this many times")
    args = ap.parse_args()
    config = payload_config(new_registry())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        boards = []
        t = time.perf_counter()
        (folder / "a").mkdir()
        (folder / "b").mkdir()
        a = build_board(folder / "a")
        boards.append(("A", a, compose_wall(a.sheets, cols=4), 8))
        b = build_board(folder / "b", doubled_procedures())
        boards.append(("B", b, compose_wall(b.sheets[:10], cols=5), 10))
        print(f"printed and pinned up two boards in {time.perf_counter() - t:.1f} s "
              f"(A: {len(a.payloads)} codes, B: {len(b.payloads)} codes); cpus: {os.cpu_count()}")
        for label, board, wall, n_sheets in boards:
            for name, kw in SHOTS.items():
                path = folder / f"{label}-{name}"
                path.write_bytes(photograph(wall, **kw))
                times, seen = [], []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    seen = audit.decode_image(path)
                    times.append(time.perf_counter() - start)
                result = audit.classify([s.payload for s in seen], board.procedures, {}, AUDIT_DAY,
                                        config)  # the whole catalogue: a code of another sheet is false
                expected = {c for codes in board.sheet_codes[:n_sheets] for c in codes}
                found = set(result.seen_codes)
                rows.append((f"{label}/{name}", n_sheets, wall.size, path.stat().st_size,
                             len(found & expected), len(expected), len(found - expected),
                             [u.payload for u in result.unknown], statistics.median(times),
                             Counter(s.method for s in seen),
                             min((s.module for s in seen if s.module), default=0.0)))
    print()
    print(f"{'photo':<18} {'sheets':>6} {'JPEG':>8} {'found':>9} {'rate':>7} {'false':>5} "
          f"{'foreign':>7} {'px/mod':>6} {'decode':>8}  passes that found codes")
    total_found = total_expected = 0
    for name, sheets, _, size, found, expected, false, unknown, secs, methods, module in rows:
        total_found += found
        total_expected += expected
        foreign = "yes" if FOREIGN in unknown else "-"
        passes = ", ".join(f"{m} {n}" for m, n in methods.most_common())
        print(f"{name:<18} {sheets:>6} {size / 1e6:>6.2f}MB {found:>4}/{expected:<4} "
              f"{100 * found / expected:>6.1f}% {false:>5} {foreign:>7} {module:>6.2f} "
              f"{secs:>7.2f}s  {passes}")
    print(f"\nrecovered {total_found}/{total_expected} codes "
          f"({100 * total_found / total_expected:.2f}%), "
          f"mean decode {statistics.mean(r[8] for r in rows):.2f} s per 12 MP photo")


if __name__ == "__main__":
    main()
