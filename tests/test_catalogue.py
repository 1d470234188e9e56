"""Accepting catalogues: drop guard, amendments, effective dates; refused imports change nothing."""

from datetime import date

import pytest

from qrproc.catalogue import import_catalogue, plan_snapshot
from qrproc.errors import ImportRefused, RegistryError
from qrproc.model import ABOLISHED, Catalogue
from qrproc.registry import Registry

from conftest import AT, CHUNG_THUC, DEC, HOA_GIAI, JUL, KET_HON, KHAI_SINH, KHAI_TU, catalogue, proc
from test_registry import dump

FIVE = (KHAI_SINH, KET_HON, KHAI_TU, CHUNG_THUC, HOA_GIAI)


def test_first_import_and_effective_from_rows(registry):
    rows = [p.replace(effective=JUL, decision="1234/QĐ-UBND") for p in FIVE]
    out = import_catalogue(registry, catalogue(*rows), at=AT)
    assert out.snapshot.effective == JUL and out.snapshot.decision == "1234/QĐ-UBND"
    assert out.added == tuple(p.code for p in FIVE) and out.dropped == ()


def test_effective_defaults_to_today_and_flag_wins(registry):
    out = import_catalogue(registry, catalogue(*FIVE), at=AT)
    assert out.snapshot.effective == AT.date()
    out = import_catalogue(registry, catalogue(*FIVE), effective=DEC, decision="2345/QĐ-UBND", at=AT)
    assert out.snapshot.effective == DEC and out.snapshot.decision == "2345/QĐ-UBND"
    # rows that did not change keep the date they had; new versions get the new one
    assert all(p.effective == AT.date() for p in registry.snapshot_procedures(out.snapshot.id))


def test_uninitialised_registry_is_refused():
    reg = Registry(":memory:")
    with pytest.raises(RegistryError, match="registry not initialised; run: qrproc init"):
        import_catalogue(reg, catalogue(*FIVE), at=AT)


def test_empty_import_is_refused_and_changes_nothing(db_path):
    reg = Registry(db_path)
    import_catalogue(reg, catalogue(*FIVE), effective=JUL, at=AT)
    before = dump(db_path)
    with pytest.raises(ImportRefused, match=r"^empty.csv: no procedures found; nothing was imported"):
        import_catalogue(reg, catalogue(source="empty.csv"), at=AT)
    reg.close()
    assert dump(db_path) == before


def test_drop_guard(db_path):
    reg = Registry(db_path)
    import_catalogue(reg, catalogue(*FIVE), effective=JUL, at=AT)
    before = dump(db_path)
    with pytest.raises(ImportRefused) as e:
        import_catalogue(reg, catalogue(KHAI_SINH, KET_HON, KHAI_TU, source="short.csv"), at=AT)
    assert str(e.value) == (
        "short.csv: lists 3 procedures but drops 2 of the 5 in force in the previous list "
        "(40% > 20%); nothing was imported. If the file lists only changes (a decision annex), "
        "use --amend; if the drop is real, use --accept-drop")
    assert dump(db_path) == before
    out = import_catalogue(reg, catalogue(KHAI_SINH, KET_HON, KHAI_TU), accept_drop=True, at=AT)
    assert out.dropped == ("2.000815", "2.002080")
    reg.close()


def test_explicit_abolitions_are_not_a_drop(registry):
    import_catalogue(registry, catalogue(*FIVE), effective=JUL, at=AT)
    rows = [KHAI_SINH, KET_HON, KHAI_TU.replace(status=ABOLISHED), CHUNG_THUC.replace(status=ABOLISHED),
            HOA_GIAI]
    out = import_catalogue(registry, catalogue(*rows), effective=DEC, at=AT)
    assert out.dropped == () and out.snapshot.abolished == 2


def test_amend_merges_onto_the_previous_list(registry):
    import_catalogue(registry, catalogue(*(p.replace(effective=JUL) for p in FIVE)), at=AT)
    annex = catalogue(KET_HON.replace(status=ABOLISHED), proc("1.014057", "Thủ tục mới"), source="annex.docx")
    out = import_catalogue(registry, annex, effective=DEC, decision="2345/QĐ-UBND", amend=True, at=AT)
    procs = {p.code: p for p in registry.snapshot_procedures(out.snapshot.id)}
    assert len(procs) == 6 and procs["1.000894"].status == ABOLISHED
    assert procs["1.000894"].effective == DEC and procs["1.000894"].decision == "2345/QĐ-UBND"
    assert procs["1.001193"].effective == JUL and procs["1.001193"].decision == ""
    assert out.added == ("1.014057",)


def test_amend_needs_a_previous_list(registry):
    with pytest.raises(ImportRefused, match="--amend needs an earlier full list"):
        import_catalogue(registry, catalogue(KHAI_SINH), amend=True, at=AT)


def test_plan_snapshot_is_pure():
    new = Catalogue("x.csv", (KHAI_SINH.replace(effective=DEC, decision="2"), KET_HON.replace(effective=JUL)))
    planned, eff, dec = plan_snapshot(new, None, effective=None, decision=None, amend=False, today=date(2026, 1, 1))
    assert eff == DEC and dec == "2"
    assert [p.decision for p in planned.procedures] == ["2", "2"]
