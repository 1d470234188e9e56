"""Benchmark: a province office rolls up 170 communes' bundles of 430 procedures each.

Setup (not timed): a province catalogue of 430 commune-level procedures (generated: real field
names, codes in the national formats, portal ids) is imported into a province registry and
exported (`qrproc catalogue export`); 170 commune registries import that export as is, post a
different subset each (30-100 % of the list, on different dates; a few communes stay on an older
export) and write their bundles (`qrproc export`), all through the library the CLI calls.

Timed, side by side in one run:
* the roll-up in this process (`province.roll_up_files`: read and verify every bundle, compare
  each denominator with the province's list) and each renderer, median of --repeat runs;
* the whole `qrproc province FOLDER --catalogue FILE --format F` command as a child process per
  format: wall time and the child's peak RSS (from wait4).

Usage: python bench/province.py [--communes 170] [--procedures 430] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from qrproc import board
from qrproc import province as provincemod
from qrproc.catalogue import import_catalogue
from qrproc.model import Catalogue, Procedure
from qrproc.registry import Registry
from qrproc.sources import load_file

FIELDS = ("Hộ tịch", "Chứng thực", "Đất đai", "Bảo trợ xã hội", "Người có công", "Thành lập và "
          "hoạt động của hộ kinh doanh", "Nuôi con nuôi", "Phổ biến giáo dục pháp luật",
          "Giáo dục và Đào tạo", "Văn hóa cơ sở", "Tôn giáo Chính phủ", "Lâm nghiệp", "Thủy lợi",
          "Trẻ em", "Đường thủy nội địa", "Môi trường", "Đăng ký, quản lý cư trú")
AT = datetime(2026, 12, 1, 9, 0)
FIRST, AMENDED, DAY = date(2026, 7, 1), date(2026, 12, 15), date(2026, 12, 20)
TARGET_SECONDS = 5.0   # "rolls up in seconds": the whole command for 170 communes


def province_list(n: int, rng: random.Random, *, effective: date, decision: str) -> Catalogue:
    procs = []
    for k in range(n):
        code = f"1.{10000 + 37 * k:06d}" if k % 3 else f"2.{1000 + k:06d}"
        procs.append(Procedure(
            code=code, name=f"Thủ tục hành chính số {k + 1} về {FIELDS[k % len(FIELDS)].lower()}",
            field=FIELDS[k % len(FIELDS)], levels=("commune",), agency="Ủy ban nhân dân cấp xã",
            portal_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            processing_time="05 ngày làm việc", fees="Không" if k % 4 else "50.000 đồng/hồ sơ",
            decision=decision, decision_date=effective - timedelta(days=10), effective=effective))
    return Catalogue(procedures=tuple(procs), source="danh-muc-tinh.xlsx", decision=decision,
                     effective=effective)


def build(folder: Path, communes: int, procedures: int) -> tuple[Path, float]:
    rng = random.Random(170)
    t0 = time.perf_counter()
    tinh = Registry(":memory:")
    board.setup_unit(tinh, unit="Văn phòng UBND tỉnh", province="H31", at=AT)
    first = province_list(procedures, rng, effective=FIRST, decision="1234/QĐ-UBND")
    import_catalogue(tinh, first, at=AT)
    old = folder / "danh-muc-cu.json"
    old.write_text(board.catalogue_export(tinh, FIRST).to_json(), encoding="utf-8")
    # the amendment: ten new procedures, five abolished
    rows = list(first.procedures)
    new = province_list(procedures + 10, rng, effective=AMENDED, decision="2345/QĐ-UBND").procedures
    rows = [p.replace(status="abolished", decision="2345/QĐ-UBND", effective=AMENDED)
            if k < 5 else p for k, p in enumerate(rows)] + list(new[procedures:])
    import_catalogue(tinh, Catalogue(procedures=tuple(rows), source="qd-2345.docx",
                                     decision="2345/QĐ-UBND", effective=AMENDED), at=AT)
    current = folder / "danh-muc-tinh.json"
    current.write_text(board.catalogue_export(tinh, DAY).to_json(), encoding="utf-8")
    bundles = folder / "goi"
    bundles.mkdir()
    exports = {path: load_file(path) for path in (old, current)}
    for n in range(communes):
        reg = Registry(":memory:")
        board.setup_unit(reg, unit=f"UBND xã Số {n + 1:03d}", province="H31", at=AT)
        source = old if n % 17 == 0 else current     # ten communes on the older export
        import_catalogue(reg, exports[source], at=AT)
        codes = [p.code for p in board.board_diff(reg, DAY).to_post]
        share = rng.uniform(0.3, 1.0) if n % 5 else 1.0
        chosen = rng.sample(codes, round(len(codes) * share))
        half = len(chosen) // 2
        board.post_codes(reg, chosen[:half], day=AMENDED, at=AT)
        board.post_codes(reg, chosen[half:], day=DAY, at=AT)
        (bundles / f"xa-{n + 1:03d}.zip").write_bytes(board.commune_bundle(reg, DAY))
    return current, time.perf_counter() - t0


def median_seconds(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def command(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `qrproc` child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "qrproc", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"qrproc {' '.join(args)} failed: {proc.stderr.read().decode()}")
    proc.stderr.close()
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communes", type=int, default=170)
    ap.add_argument("--procedures", type=int, default=430)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        catalogue, setup = build(folder, args.communes, args.procedures)
        bundles = folder / "goi"
        size = sum(p.stat().st_size for p in bundles.glob("*.zip"))
        print(f"setup: {args.communes} communes x {args.procedures} procedures, bundles "
              f"{size / 1e6:.1f} MB, built in {setup:.1f} s (not timed below)")
        rollup = provincemod.roll_up_files([bundles], catalogue=catalogue)
        t = rollup.totals
        flagged = sum("old_catalogue" in r.flags for r in rollup.rows)
        print(f"roll-up: {t['counted']}/{t['communes']} communes counted, {t['posted']}/"
              f"{t['applicable']} posted ({t['coverage_percent']} %), {flagged} on an older catalogue")
        print(f"\n{'in process (median of ' + str(args.repeat) + ')':44s} {'s':>8s}")
        read = median_seconds(lambda: provincemod.roll_up_files([bundles], catalogue=catalogue),
                              args.repeat)
        print(f"{'read, verify and compare every bundle':44s} {read:8.3f}")
        for fmt, render in (("html", provincemod.render_html), ("xlsx", provincemod.render_xlsx),
                            ("csv", provincemod.render_csv), ("json", provincemod.render_json)):
            print(f"{'render ' + fmt:44s} {median_seconds(lambda: render(rollup), args.repeat):8.3f}")
        print(f"\n{'whole command (child process)':44s} {'wall s':>8s} {'peak RSS MB':>12s}")
        worst = 0.0
        for fmt in ("html", "xlsx", "csv", "json"):
            out = folder / f"tong-hop.{fmt}"
            wall, rss = command(["province", str(bundles), "--catalogue", str(catalogue),
                                 "--format", fmt, "--out", str(out)])
            worst = max(worst, wall)
            print(f"{'qrproc province --format ' + fmt:44s} {wall:8.2f} {rss:12.1f}")
        verdict = "PASS" if worst <= TARGET_SECONDS else "FAIL"
        print(f"\n  {verdict}  slowest whole command {worst:.2f} s (target <= {TARGET_SECONDS:.0f} s)")


if __name__ == "__main__":
    main()
