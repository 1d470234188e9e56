"""Benchmark `qrproc fetch` against a local imitation of the portal holding the real catalogue.

Serves the 5,670-item public list of 2026-07 (from the shared reference folder beside the
checkout) as 50-item pages, with a synthetic detail for every item (about 30 % commune level),
then measures a first fetch for Hưng Yên (H31; the scope rule keeps the commune's) and a re-fetch after 1 % of the
items changed. The rate limit is off here; the output says what it would cost at the default.

    python bench/fetch.py
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
NEW_PORTAL = SHARED / "reference" / "new_portal"
CATALOGUE = NEW_PORTAL / "list-all-public-formality-by-citizen__catalog_5670_items.jsonl.gz"
PROVINCE_LIST = NEW_PORTAL / "api_v1_configuring_province-vn_list-by-citizen.json"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from portal_server import FakePortal, detail_for  # noqa: E402

from qrproc.catalogue import import_catalogue  # noqa: E402
from qrproc.http import DEFAULT_RATE, make_session  # noqa: E402
from qrproc.registry import Registry  # noqa: E402
from qrproc.sources import portal  # noqa: E402
from qrproc.sources.cache import DetailCache  # noqa: E402

PROVINCE = "H31"
CHANGED_SHARE = 0.01


def _fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF


def synthetic_detail(item: dict, updated_at: int = 1776242191512) -> dict:
    """A detail in the real shape; ~30 % commune level, promulgator code from its name."""
    ward = _fraction("ward:" + item["id"]) < 0.30
    prov = _fraction("prov:" + item["id"]) < 0.40
    code = "G15"
    for p in portal.PROVINCES:
        if portal.names_province(item.get("departmentPromulgate") or "", p.name):
            code = p.hcode
            break
    return detail_for(item, ward=ward, province=prov, promulgate_code=code, updated_at=updated_at)


def run_fetch(server: FakePortal, cache_dir: Path) -> tuple[object, int, float, DetailCache]:
    server.reset_calls()
    cache = DetailCache(cache_dir)
    session = make_session(rate=None)
    start = time.perf_counter()
    cat = portal.fetch_catalogue(session, server.url, province=PROVINCE, cache=cache)
    return cat, len(server.calls), time.perf_counter() - start, cache


def describe(server: FakePortal, requests: int, seconds: float, cache: DetailCache) -> str:
    return (f"{requests:,} requests ({server.count('provinces')} province list, {server.count('list')} "
            f"list pages, {server.count('detail'):,} details; {cache.hits:,} details from the cache) "
            f"in {seconds:.1f} s")


def main() -> None:
    for needed in (CATALOGUE, PROVINCE_LIST):
        if not needed.exists():
            sys.exit(f"bench/fetch.py: the reference data is not there: {needed}\n"
                     "(expected the shared folder `shared/` beside the checkout)")
    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    provinces = json.loads(PROVINCE_LIST.read_text(encoding="utf-8"))["data"]["rows"]
    details = {i["id"]: synthetic_detail(i) for i in items}
    ward = sum(d["isWard"] for d in details.values())
    print(f"Catalogue: {len(items):,} list items and {len(provinces)} provinces (real, 2026-07); synthetic details, "
          f"{ward:,} commune level ({ward / len(items):.0%}).")
    print("Rate limit: OFF for this benchmark (the CLI default is "
          f"{DEFAULT_RATE:g} requests/s); server on 127.0.0.1, no network.")

    with FakePortal(items, details, provinces=provinces) as server, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reg = Registry(tmp / "bench.db")
        reg.set_settings({"unit": "UBND xã Mẫu", "province": PROVINCE}, at=datetime(2026, 11, 28, 9))

        cat, requests, seconds, cache = run_fetch(server, tmp / "cache")
        out = import_catalogue(reg, cat, at=datetime(2026, 11, 28, 9))
        print(f"First fetch:   {describe(server, requests, seconds, cache)}; "
              f"{out.plan.counts['in_force']:,} procedures a commune of {PROVINCE} receives "
              f"({len(cat.procedures):,} kept) -> snapshot {out.snapshot.id}.")
        at_rate = requests / DEFAULT_RATE
        print(f"               at {DEFAULT_RATE:g} requests/s this would take about {at_rate / 60:.0f} min.")

        n_changed = round(len(items) * CHANGED_SHARE)
        changed_ids = {i["id"] for i in sorted(items, key=lambda i: _fraction("chg:" + i["id"]))[:n_changed]}
        new_items = []
        for item in items:
            if item["id"] in changed_ids:
                item = dict(item, state="UPDATED", name=item["name"] + " (sửa đổi)")
                server.details[item["id"]] = synthetic_detail(item, updated_at=1781668478601)
            new_items.append(item)
        server.items = new_items

        cat2, requests2, seconds2, cache2 = run_fetch(server, tmp / "cache")
        out2 = import_catalogue(reg, cat2, at=datetime(2026, 11, 29, 9))
        print(f"Re-fetch ({n_changed} items = {CHANGED_SHARE:.0%} changed): "
              f"{describe(server, requests2, seconds2, cache2)}; "
              f"{len(out2.changed)} procedures changed on the board list.")
        print(f"               at {DEFAULT_RATE:g} requests/s this would take about "
              f"{requests2 / DEFAULT_RATE / 60:.1f} min.")
        reg.close()


if __name__ == "__main__":
    main()
