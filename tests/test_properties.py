"""Property-based tests (hypothesis): the table parser reads back what a spreadsheet writes,
whatever the separator and the punctuation in the names; the diff sorts every procedure into
exactly one place and, once carried out, leaves nothing to do; amendments compose the same in
any import order."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrproc import diff
from qrproc.model import ABOLISHED, IN_FORCE, Procedure, nfc
from qrproc.sources.csvfile import parse_csv
from qrproc.timeline import AMEND, FULL, Entry, Timeline

LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐ"
words = st.text(alphabet=LETTERS, min_size=1, max_size=8)
punctuation = st.sampled_from([", ", "; ", " (", ") ", " - ", "/", " \"", "\" ", " "])
names = st.lists(st.tuples(words, punctuation), min_size=1, max_size=6).map(
    lambda parts: "".join(w + p for w, p in parts) + "x")
codes = st.integers(min_value=1000, max_value=999999).map(lambda n: f"1.{n:06d}")


@st.composite
def procedure_rows(draw):
    chosen = draw(st.lists(codes, min_size=1, max_size=12, unique=True))
    return [(c, draw(names), draw(st.sampled_from(["Hộ tịch", "Chứng thực", "Đất đai, nhà ở"])))
            for c in chosen]


@given(rows=procedure_rows(), delimiter=st.sampled_from([",", ";", "\t"]),
       bom=st.booleans(), crlf=st.booleans())
@settings(max_examples=150, deadline=None)
def test_a_csv_reads_back_what_was_written(rows, delimiter, bom, crlf):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["STT", "Mã TTHC", "Tên TTHC", "Lĩnh vực", "Cấp thực hiện"])
    for n, (code, name, field) in enumerate(rows, 1):
        writer.writerow([n, code, name, field, "Cấp xã"])
    text = ("\ufeff" if bom else "") + out.getvalue()
    cat = parse_csv(text.lstrip("\ufeff"), "list.csv")
    assert [(p.code, p.name, p.field) for p in cat.procedures] == \
        [(code, nfc(name), field) for code, name, field in rows]
    assert all(p.levels == ("commune",) for p in cat.procedures)


# -- the diff ---------------------------------------------------------------------------------

DAY = date(2026, 12, 15)


@st.composite
def boards(draw):
    """A catalogue in force and a board: some labels current, some old versions, some of codes
    abolished, announced or no longer listed."""
    chosen = draw(st.lists(codes, min_size=1, max_size=15, unique=True))
    catalogue, posted = [], {}
    for code in chosen:
        status = draw(st.sampled_from([IN_FORCE, IN_FORCE, IN_FORCE, ABOLISHED]))
        later = draw(st.booleans()) and status == IN_FORCE
        p = Procedure(code=code, name=f"Thủ tục {code}", field="Hộ tịch", levels=("commune",),
                      status=status, effective=DAY + timedelta(days=30) if later else DAY)
        listed = draw(st.integers(0, 5)) > 0
        if listed:
            catalogue.append(p)
        label = draw(st.sampled_from(["none", "current", "old"]))
        if label == "current" or (label == "old" and not listed):
            posted[code] = p
        elif label == "old":
            posted[code] = p.replace(name=p.name + " (cũ)")
    return catalogue, posted


@given(boards())
@settings(max_examples=300, deadline=None)
def test_the_diff_places_every_procedure_once_and_carrying_it_out_leaves_nothing(board):
    catalogue, posted = board
    d = diff.compute(catalogue, posted, DAY)
    action = [i.code for i in d.to_post + d.to_reprint + d.to_take_down + d.unchanged]
    assert len(action) == len(set(action))
    applicable = {p.code for p in catalogue if p.applies_on(DAY)}
    assert {i.code for i in d.to_post + d.to_reprint + d.unchanged} == applicable
    assert {i.code for i in d.to_take_down} == set(posted) - applicable
    after = {c: p for c, p in posted.items() if c in applicable}
    after.update({i.code: i.procedure for i in d.to_post + d.to_reprint})
    assert diff.compute(catalogue, after, DAY).is_clean


# -- amendments in any import order -------------------------------------------------------------

@st.composite
def amendments(draw):
    base_codes = draw(st.lists(codes, min_size=2, max_size=8, unique=True))
    base = tuple(Procedure(code=c, name=f"Thủ tục {c}", levels=("commune",), effective=date(2026, 7, 1))
                 for c in base_codes)
    days = draw(st.lists(st.integers(1, 200), min_size=2, max_size=4, unique=True))
    changes = []
    for k, offset in enumerate(days):
        code = draw(st.sampled_from(base_codes))
        when = date(2026, 7, 1) + timedelta(days=offset)
        if draw(st.booleans()):
            row = Procedure(code=code, name=f"Thủ tục {code} (sửa {k})", levels=("commune",),
                            effective=when)
        else:
            row = Procedure(code=code, name=f"Thủ tục {code}", levels=("commune",), effective=when,
                            status=ABOLISHED)
        changes.append(row)
    return base, changes


@given(amendments())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_amendments_compose_the_same_in_any_import_order(case):
    base, changes = case
    results = set()
    for order in itertools.permutations(changes):
        entries = [Entry(1, FULL, date(2026, 7, 1), "", "list", base)]
        entries += [Entry(k + 2, AMEND, row.effective, "", f"qd-{k}", (row,)) for k, row in enumerate(order)]
        tl = Timeline(entries)
        snapshot = tuple(
            tuple(sorted((p.code, p.name, p.status) for p in tl.on(date(2026, 7, 1) + timedelta(days=d)).procedures))
            for d in range(0, 205, 5))
        results.add(snapshot)
    assert len(results) == 1
