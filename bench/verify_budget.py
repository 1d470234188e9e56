"""Benchmark: the verification stage now (module by module at 150 dpi or more) against the check
it replaced (decode only, at about 80 dpi; commit aa356e7^), side by side in one run.

Issue 10 asks that the module-exact check keep within the old check's time. Each tree prints
its own posters (the old tree its text-clip symbols, this one plain vector paths) for a
registry it makes itself from the national catalogue (../shared beside the checkout), and
`verify.verify_pdf` is timed inside the run: for a 400-procedure commune board (the median of
5 runs) and, with --national, the whole catalogue (one run each round); the trees take turns,
and the figure is the median over the rounds. Beside the wall time it gives the CPU time of the
verifying process and its workers (getrusage), which a shared machine's other load disturbs
less. The old tree is checked out with `git worktree` into a temporary folder and removed
afterwards.

Usage: python bench/verify_budget.py [--national] [--rounds K] [--national-rounds K]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OLD = "aa356e7^"  # the commit before "Verify every code module by module at 150 dpi"

CHILD = textwrap.dedent("""
    import json, statistics, sys, tempfile, time
    root, which = sys.argv[1], sys.argv[2]
    sys.path[:0] = [root + "/bench", root]
    import posters as B
    from pathlib import Path
    B.CATALOGUE = Path(sys.argv[3])  # the old tree looks for ../shared beside itself
    from qrproc.poster import verify
    import qrproc.poster as P
    assert verify.__file__.startswith(root), verify.__file__
    import resource
    times = []
    real = verify.verify_pdf
    def cpu():
        own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    def timed(*a, **k):
        c, t = cpu(), time.perf_counter()
        report = real(*a, **k)
        times.append((time.perf_counter() - t, cpu() - c, report.dpi, report.expected,
                      report.verified))
        return report
    verify.verify_pdf = timed
    tmp = Path(tempfile.mkdtemp())
    procs = B.to_procedures(B.load_items())
    if which == "board":
        procs = B.commune_board(procs, 400)
    B.make_registry(tmp / "r.db", procs)
    from qrproc.registry import Registry
    reg = Registry(tmp / "r.db")
    jobs = []
    for k in range(5 if which == "board" else 1):
        out = tmp / f"o{k}.pdf"
        t = time.perf_counter()
        if hasattr(P, "make_posters"):  # the old tree
            P.make_posters(reg, layout="grid", selection=P.Selection.all(), as_of=B.AS_OF, out=out, at=B.AT)
        else:
            from qrproc import board
            board.print_posters(reg, layout="grid", selection=P.Selection.all(), as_of=B.AS_OF,
                                out=out, at=B.AT)
        jobs.append(time.perf_counter() - t)
    print(json.dumps({"walls": [t[0] for t in times], "cpus": [t[1] for t in times], "jobs": jobs,
                      "dpi": times[0][2], "codes": times[0][3], "verified": times[0][4]}))
""")


def run(root: Path, which: str, catalogue: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, str(root), which, str(catalogue)],
                         capture_output=True,
                         text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{root} {which} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--national", action="store_true", help="Also the whole catalogue (slow).")
    ap.add_argument("--rounds", type=int, default=2, help="Rounds of old, new (alternating).")
    ap.add_argument("--national-rounds", type=int, default=1,
                    help="Rounds for the whole catalogue (each about 40 s).")
    args = ap.parse_args(argv)
    catalogue = (REPO.parent / "shared" / "reference" / "new_portal"
                 / "list-all-public-formality-by-citizen__catalog_5670_items.jsonl.gz")
    if not catalogue.exists():
        print(f"skipped: the shared catalogue is not there ({catalogue})")
        return 0
    with tempfile.TemporaryDirectory(prefix="qrproc-old-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(old), OLD],
                       check=True)
        try:
            jobs = ["board"] + (["national"] if args.national else [])
            for which in jobs:
                found: dict[str, list[float]] = {"old": [], "new": []}
                cpus: dict[str, list[float]] = {"old": [], "new": []}
                jobs: dict[str, list[float]] = {"old": [], "new": []}
                info = {}
                for _ in range(args.rounds if which == "board" else args.national_rounds):
                    for name, root in (("old", old), ("new", REPO)):
                        r = run(root, which, catalogue)
                        found[name].append(statistics.median(r["walls"]))
                        cpus[name].append(statistics.median(r["cpus"]))
                        jobs[name].append(statistics.median(r["jobs"]))
                        info[name] = r
                o, n = statistics.median(found["old"]), statistics.median(found["new"])
                oc, nc = statistics.median(cpus["old"]), statistics.median(cpus["new"])
                print(f"{which}: {info['new']['codes']} codes; wall s, and CPU s of this process "
                      "and its workers")
                print(f"  old check (decode only, {info['old']['dpi']:.0f} dpi)       "
                      f"{o:7.3f} s  CPU {oc:6.3f} s  (wall medians "
                      f"{', '.join(f'{w:.3f}' for w in found['old'])})")
                print(f"  module by module ({info['new']['dpi']:.0f} dpi), decode too  "
                      f"{n:7.3f} s  CPU {nc:6.3f} s  (wall medians "
                      f"{', '.join(f'{w:.3f}' for w in found['new'])})")
                print(f"  {'PASS' if n <= o else 'FAIL'}  ratio new/old {n / o:.2f} (target ≤ 1.00); "
                      f"CPU ratio {nc / oc:.2f}")
                oj, nj = statistics.median(jobs["old"]), statistics.median(jobs["new"])
                print(f"  the whole job (lay out, write, check, record): old {oj:.3f} s, "
                      f"now {nj:.3f} s, ratio {nj / oj:.2f}")
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)],
                           check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
