"""Optional checks on the real samples in ../shared/reference (beside the checkout; skipped
when it is absent). Nothing is copied from there: the files are read in place."""

import gzip
from pathlib import Path

import pytest

from qrproc.model import FLAG_NO_CODE
from qrproc.sources import load_file

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
CATALOGUE = REFERENCE / "new_portal" / "list-all-public-formality-by-citizen__catalog_5670_items.jsonl.gz"
DETAIL = REFERENCE / "new_portal" / "api_v1_configuring_formality_get-formality-by-citizen__1.001193_dang_ky_khai_sinh.json"

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference is not beside the checkout")


def test_the_whole_national_catalogue_imports(tmp_path):
    path = tmp_path / "catalog.jsonl"
    path.write_bytes(gzip.decompress(CATALOGUE.read_bytes()))
    cat = load_file(path)
    assert len(cat.procedures) == 5670
    coded = [p for p in cat.procedures if p.code]
    assert len({p.code for p in coded}) == len(coded)            # duplicates resolved, not merged away
    assert sum(FLAG_NO_CODE in p.flags for p in cat.procedures) == 5670 - len(coded) <= 10
    assert all(p.portal_id for p in cat.procedures)
    assert not any("ƣ" in p.name for p in cat.procedures)       # PDF artefact repaired on entry


def test_the_real_birth_registration_detail_maps_to_the_model():
    p = load_file(DETAIL).procedures[0]
    assert (p.code, p.name, p.field) == ("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch")
    assert p.portal_id == "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"
    assert "commune" in p.levels and p.decision == "163/QĐ-BTP"
