"""The offline demo: the whole job on the bundled sample commune, start to finish.

1. import the commune's list (effective 01/07/2026) and mark it all posted that day;
2. import the amended list (effective 15/12/2026) and diff the board before and on that date;
3. print the verified board for 15/12/2026 and the changed labels with their takedown sheet;
4. put the changed labels up a day late and take the old ones down;
5. write the coverage report for that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Callable

from qrproc import board, catalogue, poster
from qrproc import report as reportmod
from qrproc.diff import Diff, vn_date
from qrproc.i18n import _
from qrproc.registry import Registry
from qrproc.sources import load_file

UNIT = "UBND xã Mẫu"
PROVINCE = "H31"
FIRST_LIST = "xa-mau-2026-07.csv"
AMENDED_LIST = "xa-mau-2026-12.csv"
#: The amended list is the catalogue as decision 2345/QĐ-UBND leaves it from 15/12/2026; the
#: file itself does not say so (its rows carry their own dates), so the demo gives the date as a
#: receptionist would: qrproc import xa-mau-2026-12.csv --effective 2026-12-15.
AMENDED_EFFECTIVE = date(2026, 12, 15)
AMENDED_DECISION = "2345/QĐ-UBND"
STEPS = 7


@dataclass(frozen=True)
class DemoResult:
    unit: str
    province: str
    db: str
    before: Diff
    after: Diff
    board_pdf: poster.PosterResult
    changed_pdf: poster.PosterResult
    posted_on: date
    report: reportmod.Report
    report_path: Path


def sample_path(name: str) -> Path:
    """Path of a bundled sample file (shipped inside the package)."""
    return Path(str(resources.files("qrproc").joinpath("sample", name)))


def run(out_dir: str | Path, *, at: datetime, on_step: Callable[[str], None] = lambda s: None,
        on_progress: poster.ProgressFn | None = None) -> DemoResult:
    """Build a fresh demo registry, posters and report in `out_dir`; return what each step gave."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "qrproc-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)

    def step(n: int, text: str) -> None:
        on_step(f"[{n}/{STEPS}] {text}")

    reg = Registry(db)
    try:
        reg.set_settings({"unit": UNIT, "province": PROVINCE}, at=at)
        step(1, _("Importing the sample commune list {file}").format(file=FIRST_LIST))
        first = catalogue.import_catalogue(reg, load_file(sample_path(FIRST_LIST)), at=at)
        start = first.snapshot.effective
        step(2, _("Marking its {n} procedures as posted on {day}").format(
            n=first.snapshot.in_force, day=vn_date(start)))
        board.post_pending(reg, day=start, at=at)
        step(3, _("Importing the amended list {file}").format(file=AMENDED_LIST))
        second = catalogue.import_catalogue(reg, load_file(sample_path(AMENDED_LIST)), at=at,
                                            effective=AMENDED_EFFECTIVE, decision=AMENDED_DECISION)
        change = second.snapshot.effective
        step(4, _("Comparing the board with the catalogue before and on {day}").format(
            day=vn_date(change)))
        before = board.board_diff(reg, change - timedelta(days=1))
        after = board.board_diff(reg, change)
        step(5, _("Printing and verifying the whole board, then the changed labels"))
        whole = board.print_posters(reg, selection=poster.Selection.all(), as_of=change,
                                    folder=out, at=at, on_progress=on_progress)
        changed = board.print_posters(reg, selection=poster.Selection.changed(), as_of=change,
                                      folder=out, at=at, on_progress=on_progress)
        posted_on = change + timedelta(days=1)
        step(6, _("Putting the changed labels up and taking the old ones down on {day}").format(
            day=vn_date(posted_on)))
        with reg.transaction():
            board.post_batch(reg, changed.batch.id, day=posted_on, at=at)
            board.take_down_batch(reg, changed.batch.id, day=posted_on, at=at)
        step(7, _("Writing the coverage report"))
        rep = board.coverage_report(reg, posted_on)
        report_path = out / f"bao-cao-niem-yet-{posted_on.isoformat()}.html"
        report_path.write_text(reportmod.render_html(rep), encoding="utf-8")
        return DemoResult(unit=UNIT, province=PROVINCE, db=str(db), before=before, after=after,
                          board_pdf=whole, changed_pdf=changed, posted_on=posted_on, report=rep,
                          report_path=report_path)
    finally:
        reg.close()
