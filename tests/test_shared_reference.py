"""Optional checks on the real samples in ../shared/reference (beside the checkout; skipped
when it is absent). Nothing is copied from there: the files are read in place."""

import gzip
from datetime import date
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


# -- issue 9: the real files, counted as an officer would ------------------------------------------

LISTS = REFERENCE / "lists"
DETAILS = sorted((REFERENCE / "new_portal" / "details").glob("*.json")) + [
    DETAIL, REFERENCE / "new_portal" / "api_v1_configuring_formality_get-formality-by-citizen__1.009122_DaNang_SPECIFIC_ward.json"]


def _registry(province="H31"):
    from qrproc.registry import Registry
    from conftest import AT

    reg = Registry(":memory:")
    reg.set_settings({"unit": "UBND xã Thử", "province": province}, at=AT)
    return reg


def test_the_national_catalogue_is_not_taken_as_a_communes_list(tmp_path):
    from qrproc.catalogue import import_catalogue
    from qrproc.errors import ImportRefused
    from conftest import AT

    path = tmp_path / "catalog.jsonl"
    path.write_bytes(gzip.decompress(CATALOGUE.read_bytes()))
    cat = load_file(path)
    assert not cat.levels_given
    with pytest.raises(ImportRefused, match="no row says its level"):
        import_catalogue(_registry(), cat, at=AT)


def test_the_real_details_split_by_the_scope_rule(tmp_path):
    import json
    from qrproc.catalogue import catalogue_on, import_catalogue
    from conftest import AT, JUL

    objs = [json.loads(p.read_text(encoding="utf-8"))["data"] for p in DETAILS]
    path = tmp_path / "details.json"
    path.write_text(json.dumps(objs, ensure_ascii=False), encoding="utf-8")
    reg = _registry()
    import_catalogue(reg, load_file(path), effective=JUL, at=AT)
    view = catalogue_on(reg, JUL)
    assert {p.code for p in view.included} == {"1.000080", "1.000110", "1.004746", "1.013226",
                                               "1.002755", "1.004194", "1.001193"}
    assert {p.code: v.cause for p, v in view.excluded} == {
        "1.000736": "other_level", "2.000507": "other_level", "1.009122": "other_province"}
    fees = {p.code: p.fees for p in view.included}
    for code in ("1.000080", "1.000110", "1.004746"):   # value 0, the council decides
        assert fees[code].startswith("Theo mức do HĐND tỉnh quyết định"), code
    assert fees["1.013226"] == "Theo mức do HĐND tỉnh quyết định"
    assert "USD" in {p.code: p.fees for p, _ in view.excluded}["2.000507"]
    assert fees["1.001193"] == "Không"


def test_the_real_annex_csv_gives_its_eleven_commune_procedures():
    from qrproc.catalogue import import_catalogue
    from conftest import AT

    cat = load_file(LISTS / "binhthuan_qd1766_2020_annex_tthc.csv")
    out = import_catalogue(_registry("H36"), cat, effective=date(2020, 8, 3), at=AT)
    assert out.plan.counts["in_force"] == 11
    assert out.plan.rows == 50 and sum(out.plan.counts.values()) == 50
    # its url column holds old-portal links built from the code: no portal id, so search links
    assert out.plan.links_search == 11
    # said once for the file, not once a row (49 identical lines hid the other warnings)
    unlinked = [w for w in cat.warnings if "without a portal id" in w]
    assert len(unlinked) == 1
    assert unlinked[0].startswith("binhthuan_qd1766_2020_annex_tthc.csv, row 2 and 48 more rows: "
                                  "column 'url' holds links without a portal id (for example "
                                  "'https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu")


def test_the_real_verified_list_keeps_its_own_links():
    from qrproc.catalogue import import_catalogue
    from conftest import AT

    cat = load_file(LISTS / "dvcqg_commune_level_verified_national_standard.csv")
    out = import_catalogue(_registry(), cat, effective=date(2026, 7, 18), at=AT)
    assert (out.plan.counts["in_force"], out.plan.links_own, out.plan.links_search) == (63, 63, 0)


def test_the_real_province_specific_list_keeps_only_the_units_province():
    from qrproc.catalogue import import_catalogue
    from conftest import AT

    cat = load_file(LISTS / "dvcqg_commune_level_verified_province_specific.csv")
    # the 'source' column names the promulgating province only in prose; each row's link is its own
    out = import_catalogue(_registry("H24"), cat, effective=date(2026, 7, 18), at=AT)
    assert out.plan.links_own == out.plan.counts["in_force"] == 165


def test_the_real_gia_lai_excerpt_strips_list_numbers():
    cat = load_file(LISTS / "gialai_h21_index_excerpt.csv")
    assert cat.procedures[0].name.startswith("Sáp nhập đơn vị sự nghiệp công lập")
    assert sum("commune" in p.levels for p in cat.procedures) == 19
