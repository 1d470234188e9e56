"""The offline demo: the whole job on the bundled sample commune, start to finish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Callable

from qrproc import board, catalogue
from qrproc.diff import Diff
from qrproc.registry import Registry
from qrproc.sources import load_file

UNIT = "UBND xã Mẫu"
PROVINCE = "H31"
FIRST_LIST = "xa-mau-2026-07.csv"
AMENDED_LIST = "xa-mau-2026-12.csv"


@dataclass(frozen=True)
class DemoResult:
    unit: str
    province: str
    db: str
    before: Diff
    after: Diff
    extra_lines: list[str] = field(default_factory=list)


def sample_path(name: str) -> Path:
    """Path of a bundled sample file (shipped inside the package)."""
    return Path(str(resources.files("qrproc").joinpath("sample", name)))


def run(out_dir: str | Path, *, at: datetime, on_step: Callable[[str], None] = lambda s: None) -> DemoResult:
    """Build a fresh demo registry in `out_dir` and return the diffs before and on the amendment date."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    db = out / "qrproc-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    reg = Registry(db)
    try:
        reg.set_settings({"unit": UNIT, "province": PROVINCE}, at=at)
        on_step(f"[1/4] Importing the sample commune list {FIRST_LIST}")
        first = catalogue.import_catalogue(reg, load_file(sample_path(FIRST_LIST)), at=at)
        posted_on = first.snapshot.effective
        on_step(f"[2/4] Marking its {first.snapshot.in_force} procedures as posted on {posted_on:%d/%m/%Y}")
        board.post_pending(reg, day=posted_on, at=at)
        on_step(f"[3/4] Importing the amended list {AMENDED_LIST}")
        second = catalogue.import_catalogue(reg, load_file(sample_path(AMENDED_LIST)), at=at)
        change_day = second.snapshot.effective
        on_step(f"[4/4] Comparing the board with the catalogue before and on {change_day:%d/%m/%Y}")
        before = board.board_diff(reg, change_day - timedelta(days=1))
        after = board.board_diff(reg, change_day)
        return DemoResult(unit=UNIT, province=PROVINCE, db=str(db), before=before, after=after)
    finally:
        reg.close()
