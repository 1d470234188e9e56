"""Board audit: payloads back to procedures, the classification, the evidence in the registry,
the one-transaction --apply, bad photos, and the audit in the coverage report.

Photos here are small sheets of real QR codes (zxing-cpp's encoder) saved as PNG or JPEG; the
phone photos of a whole printed board are in test_audit_wall.py.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from qrproc import board, audit, report
from qrproc.catalogue import import_catalogue
from qrproc.cli import cli
from qrproc.errors import AuditError, RegistryError
from qrproc.model import ABOLISHED, REPLACED, Catalogue, Procedure
from qrproc.poster.payload import DEFAULT_TEMPLATE_CODE, PayloadConfig, fill, payload_for
from qrproc.registry import SCHEMA_VERSION, AuditFile, Registry, _MIGRATIONS, _split_sql

AT = datetime(2026, 12, 15, 10, 0, 0)
JUL = date(2026, 7, 1)
SEP = date(2026, 9, 1)
DAY = date(2026, 12, 15)
CONFIG = PayloadConfig()
FOREIGN = "https://example.com/thu-tuc/1.001193"


def proc(code, name, portal_id="", **kw):
    return Procedure(code=code, name=name, field="Hộ tịch", portal_id=portal_id,
                     levels=("commune",), **kw)


# Real codes and names; portal ids in the portal's UUID form.
KHAI_SINH = proc("1.001193", "Thủ tục đăng ký khai sinh", "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7")
KET_HON = proc("1.000894", "Thủ tục đăng ký kết hôn", "019d2bfd-41aa-7b01-9c11-7f3e1a2b3c4d")
KHAI_TU = proc("1.000656", "Thủ tục đăng ký khai tử", "019d2bfd-4a1c-7c2e-8d3f-0b1c2d3e4f50")
GIAM_HO = proc("1.001022", "Thủ tục đăng ký giám hộ")
NHAN_CHA_ME = proc("1.001695", "Thủ tục đăng ký nhận cha, mẹ, con")
HOA_GIAI = proc("2.002080", "Thủ tục thôi làm hòa giải viên", status=ABOLISHED)
LUU_DONG = proc("1.004746", "Thủ tục đăng ký khai sinh lưu động", effective=date(2027, 1, 1))
CAI_CHINH = proc("1.004859", "Thủ tục thay đổi, cải chính hộ tịch", status=REPLACED,
                 replaced_by="1.001695")
TRICH_LUC = proc("1.000689", "Thủ tục cấp bản sao trích lục hộ tịch")  # only in the old list

CURRENT_LIST = (KHAI_SINH, KET_HON, KHAI_TU, GIAM_HO, NHAN_CHA_ME, HOA_GIAI, LUU_DONG, CAI_CHINH)


def url(p: Procedure) -> str:
    return payload_for(p.code, p.portal_id, CONFIG)


@dataclass(frozen=True)
class Label:
    """A posting as `classify` needs it."""

    procedure: Procedure
    posted_on: date


# -- photos -------------------------------------------------------------------------------------

def sheet(payloads, *, scale: int = 5, per_row: int = 4) -> Image.Image:
    """A white sheet with one QR code per payload, in rows."""
    codes = [np.asarray(zxingcpp.create_barcode(p, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
                        .to_image(scale=scale, add_quiet_zones=True)) for p in payloads]
    side = max((c.shape[0] for c in codes), default=100) + 40
    rows = max(1, -(-len(codes) // per_row))
    img = Image.new("L", (side * per_row, side * rows), 255)
    for k, c in enumerate(codes):
        r, col = divmod(k, per_row)
        img.paste(Image.fromarray(c), (col * side + 20, r * side + 20))
    return img


def photo(tmp_path, name, payloads, **kw):
    path = tmp_path / name
    img = sheet(payloads, **kw)
    img.convert("RGB").save(path, quality=85) if name.endswith(".jpg") else img.save(path)
    return path


def new_registry(path=":memory:") -> Registry:
    """Two catalogues: the old one (with TRICH_LUC) from July, the current one from September."""
    reg = Registry(path)
    reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    import_catalogue(reg, Catalogue("cu.csv", (KHAI_SINH, KET_HON, KHAI_TU, GIAM_HO, NHAN_CHA_ME,
                                               TRICH_LUC, CAI_CHINH)), effective=JUL,
                     decision="100/QĐ-UBND", at=AT)
    import_catalogue(reg, Catalogue("moi.csv", CURRENT_LIST), effective=SEP, decision="200/QĐ-UBND",
                     at=AT)
    return reg


def registry_state(reg: Registry):
    """Everything an audit could change."""
    tables = ("postings", "audits", "audit_files", "events", "versions")
    return {t: [tuple(r) for r in reg.conn.execute(f"SELECT * FROM {t} ORDER BY rowid")] for t in tables}


@pytest.fixture
def reg():
    r = new_registry()
    yield r
    r.close()


# -- from a payload back to a procedure ------------------------------------------------------------

def test_read_payload_inverts_payload_for_by_portal_id_and_by_code():
    by_id = audit.read_payload(url(KHAI_SINH), CONFIG)
    assert (by_id.portal_id, by_id.code, by_id.reason) == (KHAI_SINH.portal_id, "", "")
    by_code = audit.read_payload(url(GIAM_HO), CONFIG)
    assert (by_code.code, by_code.portal_id, by_code.template) == ("1.001022", "", DEFAULT_TEMPLATE_CODE)
    # Scheme and host case do not matter; http counts as https.
    shouty = url(KHAI_SINH).replace("https://dichvucong.gov.vn", "HTTP://DichVuCong.gov.vn")
    assert audit.read_payload(shouty, CONFIG).portal_id == KHAI_SINH.portal_id


def test_a_unit_template_on_its_own_host_is_read_and_the_portal_defaults_still_are():
    config = PayloadConfig(template="https://dichvucong.hungyen.gov.vn/tthc/{code}",
                           extra_hosts=("dichvucong.hungyen.gov.vn",))
    assert audit.read_payload("https://dichvucong.hungyen.gov.vn/tthc/1.001193", config).code == "1.001193"
    # A label printed before the unit set its template still reads.
    assert audit.read_payload(url(KHAI_SINH), config).portal_id == KHAI_SINH.portal_id
    # classify takes the config, or just the template (its host then allowed).
    result = audit.classify(["https://dichvucong.hungyen.gov.vn/tthc/1.001193"], CURRENT_LIST, {},
                            DAY, "https://dichvucong.hungyen.gov.vn/tthc/{code}")
    assert [(f.code, f.state) for f in result.findings if f.code == KHAI_SINH.code] == [
        (KHAI_SINH.code, audit.CURRENT)]


@pytest.mark.parametrize("payload, reason, host", [
    (FOREIGN, audit.OTHER_HOST, "example.com"),
    ("https://dichvucong.gov.vn.example.com/thu-tuc-hanh-chinh/x", audit.OTHER_HOST,
     "dichvucong.gov.vn.example.com"),
    ("https://user@dichvucong.gov.vn/thu-tuc-hanh-chinh/x", audit.OTHER_HOST, "dichvucong.gov.vn"),
    ("https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", audit.UNRECOGNISED_LINK, "dichvucong.gov.vn"),
    ("Mã TTHC 1.001193", audit.NOT_A_LINK, ""),
    ("javascript:alert(1)", audit.NOT_A_LINK, ""),
])
def test_payloads_that_are_not_procedure_links_say_why(payload, reason, host):
    ref = audit.read_payload(payload, CONFIG)
    assert (ref.reason, ref.host, ref.code, ref.portal_id) == (reason, host, "", "")


# -- classification (pure) ------------------------------------------------------------------------

def test_classify_sorts_every_kind_of_label():
    old_ket_hon = KET_HON.replace(name="Đăng ký kết hôn (mẫu cũ)")
    posted = {KET_HON.code: Label(old_ket_hon, SEP), KHAI_TU.code: Label(KHAI_TU, SEP),
              TRICH_LUC.code: Label(TRICH_LUC, JUL)}
    unknown_id = fill(CONFIG.template, id="019d0000-0000-7000-8000-000000000000")
    seen = [url(KHAI_SINH), url(KHAI_SINH),  # two copies of one label
            url(old_ket_hon),  # the posted (older) version, confirmed by the photo
            payload_for(NHAN_CHA_ME.code, "", CONFIG),  # current, printed by code
            fill(DEFAULT_TEMPLATE_CODE, code=KHAI_SINH.code),  # a third copy, printed by code
            url(HOA_GIAI), url(LUU_DONG), url(CAI_CHINH), url(TRICH_LUC),
            unknown_id, FOREIGN, FOREIGN]
    result = audit.classify(seen, CURRENT_LIST, posted, DAY, CONFIG, history=(TRICH_LUC,))

    states = {f.code: (f.state, f.cause) for f in result.findings}
    assert states == {
        KHAI_SINH.code: (audit.CURRENT, audit.UP_TO_DATE),
        NHAN_CHA_ME.code: (audit.CURRENT, audit.UP_TO_DATE),
        KET_HON.code: (audit.STALE, audit.LABEL_CHANGED),
        HOA_GIAI.code: (audit.ORPHAN, audit.ABOLISHED),
        LUU_DONG.code: (audit.ORPHAN, audit.NOT_YET_IN_FORCE),
        CAI_CHINH.code: (audit.ORPHAN, audit.REPLACED),
        TRICH_LUC.code: (audit.ORPHAN, audit.NOT_LISTED),
        KHAI_TU.code: (audit.NOT_SEEN, audit.POSTED_NOT_SEEN),
        GIAM_HO.code: (audit.NOT_SEEN, audit.NOT_ON_BOARD),
    }
    khai_sinh = next(f for f in result.findings if f.code == KHAI_SINH.code)
    assert khai_sinh.copies == 3 and len(khai_sinh.payloads) == 2
    assert [(u.payload, u.reason, u.copies) for u in result.unknown] == [
        (unknown_id, audit.UNKNOWN_PROCEDURE, 1), (FOREIGN, audit.OTHER_HOST, 2)]
    assert [f.code for f in result.not_seen] == [KHAI_TU.code, GIAM_HO.code]
    # The plan: post what is up but not on record (the seen versions), close what is not seen.
    assert {p.code: p for p in result.to_post} == {
        KHAI_SINH.code: KHAI_SINH, NHAN_CHA_ME.code: NHAN_CHA_ME, HOA_GIAI.code: HOA_GIAI,
        LUU_DONG.code: LUU_DONG, CAI_CHINH.code: CAI_CHINH}
    assert result.to_close == (KHAI_TU.code,)
    assert FOREIGN not in result.codes and result.codes[url(HOA_GIAI)] == HOA_GIAI.code


def test_a_link_to_an_older_portal_id_or_without_one_is_a_stale_label():
    old_id = "019d2bfd-0000-7000-8000-00000000cafe"
    history = (KHAI_SINH.replace(portal_id=old_id),)
    seen = [fill(CONFIG.template, id=old_id), fill(DEFAULT_TEMPLATE_CODE, code=KET_HON.code)]
    result = audit.classify(seen, CURRENT_LIST, {}, DAY, CONFIG, history=history)
    stale = {f.code: f for f in result.stale}
    assert set(stale) == {KHAI_SINH.code, KET_HON.code}
    assert {f.cause for f in stale.values()} == {audit.LINK_CHANGED}
    # What --apply records is the label as it hangs: the old id, or none.
    assert {p.code: p.portal_id for p in result.to_post} == {KHAI_SINH.code: old_id, KET_HON.code: ""}
    # A code not known anywhere is never guessed into a procedure.
    assert audit.classify([fill(DEFAULT_TEMPLATE_CODE, code="1.999999")], CURRENT_LIST, {}, DAY,
                          CONFIG).unknown[0].reason == audit.UNKNOWN_PROCEDURE


# -- decoding -------------------------------------------------------------------------------------

def test_decode_image_reads_paths_arrays_and_pil_images_and_keeps_two_copies(tmp_path):
    payloads = [url(KHAI_SINH), url(KET_HON), url(KHAI_SINH)]
    path = photo(tmp_path, "a.jpg", payloads)
    for source in (path, str(path), np.asarray(Image.open(path)), Image.open(path)):
        seen = audit.decode_image(source)
        assert sorted(s.payload for s in seen) == sorted(payloads)
    a, b = [s for s in seen if s.payload == url(KHAI_SINH)]
    assert abs(a.centre[0] - b.centre[0]) > a.size  # two labels, two places


def test_flat_field_evens_out_a_shadow():
    light = np.full((600, 800), 240, np.uint8)
    light[:, 400:] = 90  # half the page in shadow
    flat = audit.flatten(light)
    assert abs(int(flat[300, 100]) - int(flat[300, 700])) <= 12


def test_decode_image_names_an_unreadable_file(tmp_path):
    bad = tmp_path / "ghi-chu.txt"
    bad.write_text("không phải ảnh")
    with pytest.raises(AuditError, match="ghi-chu.txt: not an image"):
        audit.decode_image(bad)
    truncated = tmp_path / "hong.jpg"
    photo(tmp_path, "full.jpg", [url(KHAI_SINH)])
    truncated.write_bytes((tmp_path / "full.jpg").read_bytes()[:400])
    with pytest.raises(AuditError, match="hong.jpg: cannot read the image"):
        audit.decode_image(truncated)


# -- the registry: schema 2 and the evidence -------------------------------------------------------

def test_a_version_1_registry_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in _split_sql(_MIGRATIONS[1]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO settings (key, value) VALUES ('unit', 'UBND xã Mẫu')")
    conn.commit()
    conn.close()
    reg = Registry(path)
    try:
        assert reg.schema_version == SCHEMA_VERSION == 7
        assert reg.get_setting("unit") == "UBND xã Mẫu"
        assert reg.latest_audit() is None
    finally:
        reg.close()


def test_audits_are_append_only_and_the_latest_is_by_audit_day(reg):
    f = AuditFile("bang.jpg", "ab" * 32, "ok", 800, 600, ({"payload": "x", "code": None, "x": 1, "y": 2},))
    first = reg.add_audit(day=date(2026, 12, 10), at=AT, files=[f], summary={"current": []})
    second = reg.add_audit(day=date(2026, 12, 1), at=AT, files=[f], summary={})  # recorded later
    assert reg.latest_audit().id == first.id
    assert reg.latest_audit(on_or_before=date(2026, 12, 5)).id == second.id
    assert reg.latest_audit(on_or_before=date(2026, 11, 30)) is None
    assert reg.audit(first.id).files == (f,)
    assert [e.detail["audit"] for e in reg.events("audit")] == [first.id, second.id]
    for sql in ("UPDATE audits SET day = '2026-01-01'", "DELETE FROM audits",
                "UPDATE audit_files SET sha256 = 'x'", "DELETE FROM audit_files"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            reg.conn.execute(sql)


# -- run_audit and --apply ---------------------------------------------------------------------------

def test_an_audit_records_its_evidence_without_changing_the_postings(reg, tmp_path):
    reg.post([KHAI_TU], day=SEP, at=AT)
    path = photo(tmp_path, "bang.png", [url(KHAI_SINH), url(HOA_GIAI), FOREIGN])
    before = [p.id for p in reg.postings()]
    result = board.audit_board(reg, [path], day=DAY, at=AT)
    assert [p.id for p in reg.postings()] == before and not result.applied
    rec = reg.latest_audit()
    assert rec.id == result.audit_id and rec.day == DAY and not rec.applied
    assert rec.files[0].name == str(path)
    assert rec.files[0].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert {(c["payload"], c["code"]) for c in rec.files[0].codes} == {
        (url(KHAI_SINH), KHAI_SINH.code), (url(HOA_GIAI), HOA_GIAI.code), (FOREIGN, None)}
    assert rec.summary["current"] == [KHAI_SINH.code] and rec.summary["orphan"] == [HOA_GIAI.code]
    assert rec.summary["posted_not_seen"] == [KHAI_TU.code]


def test_apply_opens_and_closes_exactly_what_the_photos_show(reg, tmp_path):
    reg.post([KHAI_SINH, KHAI_TU, TRICH_LUC], day=SEP, at=AT)
    left = photo(tmp_path, "trai.png", [url(KHAI_SINH), url(KET_HON)])
    right = photo(tmp_path, "phai.jpg", [url(KET_HON), url(HOA_GIAI)])  # photos overlap
    result = board.audit_board(reg, [left, right], day=DAY, at=AT, apply=True)
    assert [p.code for p in result.to_post] == sorted([KET_HON.code, HOA_GIAI.code])
    assert result.to_close == tuple(sorted([KHAI_TU.code, TRICH_LUC.code]))
    posted = reg.posted()
    assert set(posted) == {KHAI_SINH.code, KET_HON.code, HOA_GIAI.code}
    assert posted[KHAI_SINH.code].posted_on == SEP  # unchanged: it was already up
    assert posted[KET_HON.code].posted_on == DAY and posted[HOA_GIAI.code].posted_on == DAY
    closed = {p.code: p.taken_down_on for p in reg.postings() if p.taken_down_on}
    assert closed == {KHAI_TU.code: DAY, TRICH_LUC.code: DAY}
    assert reg.latest_audit().applied and reg.latest_audit().summary["closed"] == list(result.to_close)
    assert next(f for f in result.findings if f.code == KET_HON.code).copies == 1  # overlap: one label


def test_a_failure_in_the_middle_of_apply_leaves_the_registry_unchanged(reg, tmp_path):
    reg.post([KHAI_SINH], day=SEP, at=AT)
    # Recorded as put up after the audit day: closing it on that day is refused mid-apply, after
    # the audit was recorded and KET_HON posted.
    reg.post([KHAI_TU], day=date(2026, 12, 20), at=AT)
    path = photo(tmp_path, "bang.png", [url(KHAI_SINH), url(KET_HON)])
    before = registry_state(reg)
    with pytest.raises(RegistryError, match="1.000656 was put up on 2026-12-20, after 2026-12-15"):
        board.audit_board(reg, [path], day=DAY, at=AT, apply=True)
    assert registry_state(reg) == before
    assert reg.latest_audit() is None


def test_apply_is_refused_when_a_photo_shows_no_code_or_nothing_maps(reg, tmp_path):
    reg.post([KHAI_SINH], day=SEP, at=AT)
    good = photo(tmp_path, "bang.png", [url(KHAI_SINH)])
    blank = tmp_path / "trang.png"
    Image.new("L", (400, 300), 250).save(blank)
    foreign = photo(tmp_path, "la.png", [FOREIGN])
    before = registry_state(reg)
    with pytest.raises(AuditError, match="trang.png: no QR code found"):
        board.audit_board(reg, [good, blank], day=DAY, at=AT, apply=True)
    with pytest.raises(AuditError, match="the only code found does not link to a known procedure"):
        board.audit_board(reg, [foreign], day=DAY, at=AT, apply=True)
    assert registry_state(reg) == before


def test_apply_from_a_photo_of_one_field_does_not_close_the_others(reg, tmp_path):
    chung_thuc = Procedure(code="2.000815", name="Chứng thực bản sao từ bản chính",
                           field="Chứng thực", levels=("commune",))
    more = Catalogue("them.csv", (*CURRENT_LIST, chung_thuc))
    import_catalogue(reg, more, effective=DAY, decision="300/QĐ-UBND", at=AT)
    reg.post([KHAI_SINH, KET_HON, chung_thuc], day=DAY, at=AT)
    path = photo(tmp_path, "ho-tich.png", [url(KHAI_SINH)])  # one page: only Hộ tịch
    before = registry_state(reg)
    with pytest.raises(AuditError) as e:
        board.audit_board(reg, [path], day=DAY, at=AT, apply=True)
    assert str(e.value) == (
        "refusing to apply: the photos show labels of 1 field, but applying would also close 1 of "
        "the 2 postings to close, in 1 field no photo shows (Chứng thực). Photograph those parts "
        "of the board too, or use --force if those labels really are gone. Nothing was changed")
    assert registry_state(reg) == before
    # the desk, which has no --force, says what its own buttons and pages do instead
    from qrproc import i18n
    from qrproc.web.words import DESK_WORDS

    with i18n.speaking("vi"), i18n.naming(DESK_WORDS):
        result, refused = board.preview_audit(reg, [path], day=DAY, at=AT)
    assert refused.endswith(
        "Hãy chụp cả những phần đó của bảng niêm yết, hoặc bấm “Chỉ lưu làm bằng chứng”, rồi ghi "
        "gỡ ở trang “Đánh dấu” những thẻ thực sự không còn trên bảng. Sổ đăng ký không thay đổi")
    assert registry_state(reg) == before
    # with --force it applies, as one change that undo reverts in full
    postings = [tuple(r) for r in reg.conn.execute("SELECT * FROM postings ORDER BY id")]
    board.audit_board(reg, [path], day=DAY, at=AT, apply=True, force=True)
    assert set(reg.posted()) == {KHAI_SINH.code}
    (undone,) = board.undo(reg, at=AT)
    assert undone.command == "audit"
    assert [tuple(r) for r in reg.conn.execute("SELECT * FROM postings ORDER BY id")] == postings
    assert reg.latest_audit().applied  # the evidence stays; the undo is in the log
    assert [e.detail["command"] for e in reg.events("undo")] == ["audit"]


# -- the command ----------------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path):
    path = tmp_path / "qrproc.db"
    r = new_registry(path)
    r.post([KHAI_SINH, KHAI_TU], day=SEP, at=AT)
    r.close()
    return path


def run(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), "audit", *map(str, args)])


def test_a_preview_keeps_no_lock_while_it_reads_the_photos_and_changes_nothing(db, tmp_path):
    """Reading a dozen photos takes seconds; meanwhile another writer (the desk's marking page,
    the command line) must get in. Each photo's progress report is a moment of that reading."""
    one = photo(tmp_path, "trai.png", [url(KHAI_SINH)])
    two = photo(tmp_path, "phai.png", [url(KET_HON)])
    reg = Registry(db)
    other = Registry(db, timeout=0)
    wrote = []

    def meanwhile(stage, done, total):
        other.post([GIAM_HO], day=DAY, at=AT)  # raises RegistryError if the preview holds the lock
        wrote.append((stage, done, total))

    try:
        before = registry_state(reg)
        result, refused = board.preview_audit(reg, [one, two], day=DAY, at=AT,
                                              on_progress=meanwhile, names=["a.png", "b.png"])
        assert wrote == [("decode", 1, 2), ("decode", 2, 2)]
        after = registry_state(reg)
        # the preview itself wrote nothing: only the other writer's postings are new
        assert after["audits"] == before["audits"] and after["audit_files"] == before["audit_files"]
        assert [p.procedure.code for p in other.postings() if p.procedure.code == GIAM_HO.code]
        assert {KHAI_SINH.code, KET_HON.code} <= set(result.summary()["current"])
        assert [p.name for p in result.photos] == ["a.png", "b.png"]
    finally:
        other.close()
        reg.close()


def test_cli_lists_a_code_from_another_host_as_unknown_and_never_maps_it(db, tmp_path):
    path = photo(tmp_path, "bang.png", [url(KHAI_SINH), FOREIGN])
    r = run(db, path, "--date", "2026-12-15", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["unknown"] == [{"payload": FOREIGN, "reason": "other_host", "host": "example.com",
                                "copies": 1, "detail": ""}]
    assert [f["code"] for f in data["current"]] == [KHAI_SINH.code]  # 1.001193 only once
    assert {c["payload"]: c["code"] for c in data["photos"][0]["codes"]} == {
        url(KHAI_SINH): KHAI_SINH.code, FOREIGN: None}
    text = run(db, path, "--date", "2026-12-15")
    assert "Seen but unknown (1):" in text.stdout
    assert f"{FOREIGN}  — host example.com is neither the portal nor an allowed host" in text.stdout


def test_cli_skips_a_non_image_file_with_a_warning_naming_it(db, tmp_path):
    good = photo(tmp_path, "bang.png", [url(KHAI_SINH), url(KHAI_TU)])
    notes = tmp_path / "ghi-chu.txt"
    notes.write_text("danh sách cần in lại")
    r = run(db, good, notes, "--date", "2026-12-15", "-q")
    assert r.exit_code == 0, r.output
    assert f"Warning: {notes}: not an image (JPEG, PNG, WebP or TIFF) (skipped)" in r.stderr
    assert f"  {notes}: skipped: not an image" in r.stdout
    assert "Seen and current: 2" in r.stdout
    reg = Registry(db)
    try:
        files = reg.latest_audit().files
        assert [(f.name, f.status) for f in files] == [(str(good), "ok"), (str(notes), "unreadable")]
        assert files[1].sha256 == hashlib.sha256(notes.read_bytes()).hexdigest()
    finally:
        reg.close()


def test_cli_reports_a_photo_with_no_code_and_takes_nothing_down(db, tmp_path):
    blank = tmp_path / "tuong-trang.jpg"
    Image.new("RGB", (640, 480), (230, 225, 215)).save(blank)
    r = run(db, blank, "--date", "2026-12-15")
    assert r.exit_code == 0, r.output
    assert f"Warning: {blank}: no QR code found" in r.stderr
    assert f"  {blank}: no QR code found, sha256 {hashlib.sha256(blank.read_bytes()).hexdigest()}" in r.stdout
    reg = Registry(db)
    try:
        assert set(reg.posted()) == {KHAI_SINH.code, KHAI_TU.code}
        assert reg.latest_audit().files[0].status == "no_code"
    finally:
        reg.close()


def test_cli_apply_with_no_code_at_all_is_refused_and_changes_nothing(db, tmp_path):
    blank = tmp_path / "tuong-trang.jpg"
    Image.new("RGB", (640, 480), (230, 225, 215)).save(blank)
    reg = Registry(db)
    before = registry_state(reg)
    reg.close()
    r = run(db, blank, "--date", "2026-12-15", "--apply")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: no QR code was found in the photo; nothing was recorded or changed")
    reg = Registry(db)
    try:
        assert registry_state(reg) == before
    finally:
        reg.close()


def test_cli_apply_prints_what_it_changed(db, tmp_path):
    path = photo(tmp_path, "bang.jpg", [url(KHAI_SINH), url(KET_HON)])
    r = run(db, path, "--date", "2026-12-15", "--apply")
    assert r.exit_code == 0, r.output
    assert "Applied on 15/12/2026: 1 posting recorded, 1 closed (audit 1)." in r.stdout
    assert f"  {KHAI_TU.code:<24} {KHAI_TU.name}  — on record as posted, not in the photos" in r.stdout


def test_cli_needs_a_photo_and_says_so(db):
    r = run(db)
    assert r.exit_code == 2 and "Missing argument 'PHOTOS...'" in r.stderr


# -- the report -------------------------------------------------------------------------------------

def test_the_report_shows_the_latest_audit_next_to_the_figure(reg, tmp_path):
    rep = board.coverage_report(reg, DAY)
    assert rep.audit is None and "audit" not in report.to_json(rep)
    assert 'data-testid="audit-none"' in report.render_html(rep)

    path = photo(tmp_path, "bang-niem-yet.jpg", [url(KHAI_SINH), url(KET_HON)])
    board.audit_board(reg, [path], day=date(2026, 12, 10), at=AT, apply=True)
    board.audit_board(reg, [path], day=date(2026, 12, 20), at=AT)  # after the report date
    rep = board.coverage_report(reg, DAY)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    data = report.to_json(rep)["audit"]
    assert (data["date"], data["applied"], data["age_days"]) == ("2026-12-10", True, 5)
    assert (data["labels_seen"], data["current"], data["not_seen"]) == (2, 2, 3)
    assert data["photos"] == [{"name": str(path), "sha256": sha, "status": "ok", "codes": 2}]
    html = report.render_html(rep)
    head = html[html.index('aria-label="Tỷ lệ niêm yết"'):html.index('aria-label="Tóm tắt việc cần làm"')]
    assert '<strong data-testid="audit-date">10/12/2026</strong>' in head
    assert "(5 ngày trước ngày báo cáo)" in head
    assert f"Ảnh <b>bang-niem-yet.jpg</b>: 2 mã QR · SHA-256 <code>{sha}</code>" in head
    assert str(tmp_path) not in head  # the file's folders stay out of the page
    assert report.to_json(board.coverage_report(reg, date(2026, 12, 20)))["audit"]["date"] == "2026-12-20"
