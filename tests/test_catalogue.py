"""Accepting catalogues: the drop guard, effective dates, amendments composed by date (whatever
the import order, two at once), the scope refusals; refused imports change nothing."""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime

import pytest

from qrproc import scope
from qrproc.catalogue import catalogue_on, import_catalogue, plan_import, timeline
from qrproc.errors import ImportRefused, RegistryError
from qrproc.model import ABOLISHED, REPLACED, Catalogue, Procedure
from qrproc.registry import Registry

from conftest import AT, CHUNG_THUC, DEC, HOA_GIAI, JUL, KET_HON, KHAI_SINH, KHAI_TU, catalogue, proc
from test_registry import dump

FIVE = (KHAI_SINH, KET_HON, KHAI_TU, CHUNG_THUC, HOA_GIAI)
DEC_1 = date(2026, 12, 1)


def in_force(reg: Registry, day: date) -> dict[str, Procedure]:
    view = catalogue_on(reg, day)
    return {p.code: p for p in view.included if p.code and p.applies_on(day)}


def test_first_import_and_effective_from_rows(registry):
    rows = [p.replace(effective=JUL, decision="1234/QĐ-UBND") for p in FIVE]
    out = import_catalogue(registry, catalogue(*rows), at=AT)
    assert out.snapshot.effective == JUL and out.snapshot.decision == "1234/QĐ-UBND"
    assert out.plan.effective_source == "rows"
    assert out.added == tuple(p.code for p in FIVE) and out.dropped == ()


def test_effective_defaults_to_today_and_flag_wins(registry):
    out = import_catalogue(registry, catalogue(*FIVE), at=AT)
    assert out.snapshot.effective == AT.date() and out.plan.effective_source == "today"
    out = import_catalogue(registry, catalogue(*FIVE), effective=DEC, decision="2345/QĐ-UBND", at=AT)
    assert out.snapshot.effective == DEC and out.snapshot.decision == "2345/QĐ-UBND"
    # rows that did not change keep the date they have been in force since
    assert {p.effective for p in in_force(registry, DEC).values()} == {AT.date()}


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


def test_an_amendment_is_stored_as_its_own_rows_and_composed_when_read(registry):
    import_catalogue(registry, catalogue(*(p.replace(effective=JUL) for p in FIVE)), at=AT)
    annex = catalogue(KET_HON.replace(status=ABOLISHED), proc("1.014057", "Thủ tục mới"),
                      source="annex.docx")
    out = import_catalogue(registry, annex, effective=DEC, decision="2345/QĐ-UBND", amend=True, at=AT)
    assert out.snapshot.delta and len(registry.snapshot_procedures(out.snapshot.id)) == 2
    view = catalogue_on(registry, DEC)
    procs = {p.code: p for p in view.included}
    assert len(procs) == 6 and procs["1.000894"].status == ABOLISHED
    # abolishing keeps the label it had; its status, decision and date change
    assert procs["1.000894"].name == KET_HON.name
    assert procs["1.000894"].effective == DEC and procs["1.000894"].decision == "2345/QĐ-UBND"
    assert procs["1.001193"].effective == JUL and procs["1.001193"].decision == ""
    assert out.added == ("1.014057",)
    assert [a.decision for a in view.amendments] == ["2345/QĐ-UBND"]
    assert set(in_force(registry, date(2026, 12, 14))) == {p.code for p in FIVE}


def test_amend_needs_a_previous_list(registry):
    with pytest.raises(ImportRefused, match="--amend needs an earlier full list"):
        import_catalogue(registry, catalogue(KHAI_SINH), amend=True, at=AT)


def test_amendments_imported_out_of_date_order_compose_by_date(registry):
    """The decision effective 15/12 is imported before the one effective 01/12."""
    import_catalogue(registry, catalogue(*(p.replace(effective=JUL) for p in FIVE)), at=AT)
    later = catalogue(KHAI_TU.replace(status=ABOLISHED), source="qd-15-12.docx")
    earlier = catalogue(KHAI_TU.replace(name="Thủ tục đăng ký khai tử (sửa đổi)"),
                        CHUNG_THUC.replace(fees="2.000 đồng/trang"), source="qd-01-12.docx")
    import_catalogue(registry, later, effective=DEC, decision="200/QĐ-UBND", amend=True, at=AT)
    import_catalogue(registry, earlier, effective=DEC_1, decision="100/QĐ-UBND", amend=True, at=AT)
    on_dec_1 = in_force(registry, DEC_1)
    # on 01/12 the procedure abolished from 15/12 is still in force, in its amended version
    assert set(on_dec_1) == {p.code for p in FIVE}
    assert on_dec_1[KHAI_TU.code].name == "Thủ tục đăng ký khai tử (sửa đổi)"
    assert on_dec_1[CHUNG_THUC.code].fees == "2.000 đồng/trang"
    # from 15/12 it is gone, and the 01/12 change to the other procedure is not undone
    on_dec = catalogue_on(registry, DEC)
    by_code = {p.code: p for p in on_dec.included}
    assert by_code[KHAI_TU.code].status == ABOLISHED
    assert by_code[CHUNG_THUC.code].fees == "2.000 đồng/trang"
    assert [a.decision for a in on_dec.amendments] == ["100/QĐ-UBND", "200/QĐ-UBND"]
    assert len(in_force(registry, DEC)) == 4


def _import_amendment(args):
    path, source, code, barrier = args
    reg = Registry(path)
    barrier.wait()
    annex = Catalogue(source, (proc(code, f"Thủ tục {code}"),))
    out = import_catalogue(reg, annex, effective=DEC, decision=f"{source}/QĐ-UBND", amend=True,
                           at=datetime(2026, 11, 28, 9))
    reg.close()
    return out.snapshot.id


def test_two_amendments_imported_at_once_are_both_kept(db_path):
    reg = Registry(db_path)
    import_catalogue(reg, catalogue(*FIVE), effective=JUL, at=AT)
    reg.close()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            ids = pool.map(_import_amendment, [(str(db_path), "11", "1.014001", barrier),
                                               (str(db_path), "22", "1.014002", barrier)])
    assert sorted(ids) == [2, 3]
    with Registry(db_path) as reg:
        assert {"1.014001", "1.014002"} <= set(in_force(reg, DEC))
        assert sorted(a.decision for a in catalogue_on(reg, DEC).amendments) == \
            ["11/QĐ-UBND", "22/QĐ-UBND"]


def test_importing_the_same_content_again_changes_nothing(db_path):
    reg = Registry(db_path)
    first = import_catalogue(reg, catalogue(*FIVE), effective=JUL, at=AT)
    before = dump(db_path)
    again = import_catalogue(reg, catalogue(*FIVE), effective=JUL, at=AT)
    reg.close()
    assert again.snapshot is None and again.already.id == first.snapshot.id
    assert dump(db_path) == before


def test_a_decision_that_does_not_say_when_it_takes_effect_is_refused(db_path):
    reg = Registry(db_path)
    import_catalogue(reg, catalogue(*FIVE), effective=JUL, at=AT)
    before = dump(db_path)
    annex = Catalogue("qd-378.docx", (KET_HON.replace(name="Đăng ký kết hôn (sửa đổi)"),),
                      decision="378/QĐ-UBND", decision_date=date(2026, 11, 18))
    with pytest.raises(ImportRefused) as e:
        import_catalogue(reg, annex, amend=True, at=AT)
    assert str(e.value) == (
        "qd-378.docx: decision 378/QĐ-UBND does not say when it takes effect (no 'có hiệu lực …' "
        "article found) and its rows give no date; nothing was imported. Give the date with "
        "--effective DATE")
    assert dump(db_path) == before
    out = import_catalogue(reg, annex, amend=True, effective=DEC, at=AT)
    assert out.plan.effective_source == "option" and out.snapshot.decision == "378/QĐ-UBND"
    reg.close()


def test_the_decisions_own_clause_gives_the_date(registry):
    import_catalogue(registry, catalogue(*FIVE), effective=JUL, at=AT)
    annex = Catalogue("qd-1766.docx", (KET_HON.replace(name="Đăng ký kết hôn (sửa đổi)"),),
                      decision="1766/QĐ-UBND", decision_date=date(2026, 8, 3),
                      effective=date(2026, 8, 3),
                      effective_clause="có hiệu lực kể từ ngày ký ban hành")
    out = import_catalogue(registry, annex, amend=True, at=AT)
    assert (out.snapshot.effective, out.plan.effective_source) == (date(2026, 8, 3), "clause")
    assert in_force(registry, date(2026, 8, 3))[KET_HON.code].effective == date(2026, 8, 3)


def test_change_log_rows_keep_their_own_decisions_and_dates(registry):
    import_catalogue(registry, catalogue(*(p.replace(effective=JUL) for p in FIVE)), at=AT)
    log = catalogue(
        KET_HON.replace(name="Đăng ký kết hôn (sửa đổi)", decision="10/QĐ-UBND",
                        effective=date(2026, 9, 1), change="amended"),
        KHAI_TU.replace(status=ABOLISHED, decision="20/QĐ-UBND", effective=date(2027, 3, 1),
                        change="abolished"),
        # no date of its own: it takes its own decision's (from the other row of 10/QĐ-UBND)
        proc("1.014057", "Thủ tục mới", decision="10/QĐ-UBND", change="new"),
        source="nhat-ky.csv")
    out = import_catalogue(registry, log, amend=True, at=AT)
    rows = {p.code: p for p in registry.snapshot_procedures(out.snapshot.id)}
    assert rows["1.014057"].effective == date(2026, 9, 1)
    assert rows[KHAI_TU.code].effective == date(2027, 3, 1)
    sep = in_force(registry, date(2026, 9, 1))
    assert sep[KET_HON.code].decision == "10/QĐ-UBND" and "1.014057" in sep
    assert KHAI_TU.code in sep  # abolished only from 01/03/2027
    assert KHAI_TU.code not in in_force(registry, date(2027, 3, 1))


def test_a_change_log_row_whose_decision_has_no_date_is_refused(registry):
    import_catalogue(registry, catalogue(*FIVE), effective=JUL, at=AT)
    log = catalogue(KET_HON.replace(decision="10/QĐ-UBND", effective=date(2026, 9, 1)),
                    KHAI_TU.replace(status=ABOLISHED, decision="20/QĐ-UBND",
                                    origin="nhat-ky.csv, row 3"), source="nhat-ky.csv")
    with pytest.raises(ImportRefused) as e:
        import_catalogue(registry, log, amend=True, at=AT)
    assert str(e.value).startswith(
        "nhat-ky.csv, row 3: 1 row (decision 20/QĐ-UBND) does not say when it takes effect; "
        "nothing was imported. Give the date with --effective DATE")


def test_a_file_from_which_nothing_applies_is_refused(db_path):
    reg = Registry(db_path)
    province = Procedure(code="1.000627", name="Đăng ký hoạt động của Trung tâm tư vấn pháp luật",
                         field="Tư vấn pháp luật", levels=("province",))
    internal = Procedure(code="5.000123", name="Thủ tục nội bộ", levels=("commune",), kind="internal")
    with pytest.raises(ImportRefused) as e:
        import_catalogue(reg, catalogue(province, internal, source="tinh.docx"), at=AT)
    assert str(e.value) == ("tinh.docx: none of its 2 procedures is received at the commune "
                            "(1 province level, 1 internal procedure); nothing was imported")
    reg.close()


def test_another_provinces_list_is_refused_naming_it(registry):
    gia_lai = [Procedure(code=f"1.11690{i}", name=f"Thủ tục riêng {i}", levels=("commune",),
                         kind="specific", promulgator="UBND tỉnh Gia Lai") for i in range(3)]
    with pytest.raises(ImportRefused) as e:
        import_catalogue(registry, catalogue(KHAI_SINH, *gia_lai, source="gia-lai.json"), at=AT)
    assert str(e.value) == (
        "gia-lai.json: this is the list of Gia Lai: its 3 province-specific procedures are "
        "promulgated by Gia Lai, none by Hưng Yên; this registry is for UBND xã Mẫu in Hưng Yên "
        "(H31). Nothing was imported (if this is meant, import it with --other-province)")
    out = import_catalogue(registry, catalogue(KHAI_SINH, *gia_lai, source="gia-lai.json"),
                           other_province=True, at=AT)
    assert out.plan.split.counts_out() == {"other_province": 3}


def test_a_source_without_levels_is_refused_unless_it_is_the_units_own_list(registry):
    bare = [Procedure(code=p.code, name=p.name, field=p.field) for p in FIVE]
    cat = Catalogue("danh-sach.csv", tuple(bare), levels_given=False)
    with pytest.raises(ImportRefused) as e:
        import_catalogue(registry, cat, at=AT)
    assert str(e.value) == (
        "danh-sach.csv: no row says its level (cấp thực hiện), so qrproc cannot tell which "
        "procedures the commune receives; nothing was imported. If this file is the unit's own "
        "list, import it with --own-list; the portal's list items never carry the level: use "
        "qrproc fetch, which reads each procedure's detail, or import the detail objects")
    out = import_catalogue(registry, cat, own_list=True, effective=JUL, at=AT)
    assert out.plan.counts["in_force"] == 5
    assert {scope.judge(p, scope.ScopeRules(province="H31")).cause
            for p in catalogue_on(registry, JUL).included} == {scope.IN_OWN_LIST}


def test_the_summary_counts_add_up_to_the_rows(registry):
    rows = (KHAI_SINH.replace(effective=JUL), KET_HON.replace(effective=date(2027, 1, 1)),
            KHAI_TU.replace(status=REPLACED, replaced_by="1.014057", effective=JUL),
            Procedure(code="", name="Chứng thực chữ ký", levels=("commune",), flags=("no-code",)),
            Procedure(code="1.000627", name="Đăng ký hoạt động tư vấn", levels=("province",)),
            Procedure(code="2.000282", name="Thủ tục của huyện", levels=("district",)))
    out = import_catalogue(registry, catalogue(*rows), at=AT)
    assert out.plan.counts == {"in_force": 1, "announced": 1, "abolished": 1, "no_code": 1,
                               "out_of_scope": 2}
    assert sum(out.plan.counts.values()) == len(rows) == out.plan.rows
    assert out.plan.split.counts_out() == {"province_level": 1, "district_level": 1}


def test_plan_import_is_pure(registry):
    tl, snapshots = timeline(registry)
    new = Catalogue("x.csv", (KHAI_SINH.replace(effective=DEC, decision="2"), KET_HON.replace(effective=JUL)))
    plan = plan_import(new, tl, snapshots, scope.ScopeRules(province="H31"), today=date(2026, 12, 20))
    assert (plan.effective, plan.decision) == (DEC, "2")
    assert [p.decision for p in plan.procedures] == ["2", ""]
    assert registry.snapshots() == []


def test_a_list_without_a_date_says_what_it_drops_from_today(registry):
    import_catalogue(registry, catalogue(*FIVE), effective=JUL, at=AT)
    out = import_catalogue(registry, catalogue(*FIVE[:4], source="moi.csv"), at=AT)
    assert out.plan.effective_source == "today" and out.dropped == ("2.002080",)
    assert out.warnings[-1] == (
        "moi.csv: 1 procedure in force is not in this file (2.002080); with no date given it "
        "counts as no longer listed from today, 28/11/2026. If it ends on a later decision's date, "
        "import the file again with --effective DATE")
