"""Board audit on phone photos of a real board: qrproc's own grid posters, photographed.

The board is printed with the poster library (48 procedures on six A4 sheets; one field has no
portal id, so its cards carry the long search-by-code link and denser codes), rendered with
pypdfium2, and pinned up with the index sheet and a stranger's flyer (a QR code to example.com) on
cork. Each "photo" of it is what a phone makes of the wall: tilted a few degrees, seen at an angle
(a perspective warp), lit from one side (a gradient multiply), with sensor noise, a 1 px blur,
downscaled to 12 megapixels and saved as JPEG at quality 60.

The synthesiser (`build_board`, `compose_wall`, `photograph`) is also used by bench/audit.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from qrproc import audit, report
from qrproc import board as boardmod
from qrproc.catalogue import import_catalogue
from qrproc.cli import cli
from qrproc.model import Catalogue, Procedure
from qrproc.poster import Selection
from qrproc.poster.render_pdf import default_fonts
from qrproc.registry import Registry

AT = datetime(2026, 11, 28, 9, 0, 0)
JUL = date(2026, 7, 1)
AUDIT_DAY = date(2026, 12, 1)
DPI = 150
FOREIGN = "https://example.com/khuyen-mai/1.001193?src=bang-niem-yet"

# Commune-level procedures as a catalogue names them, four fields of twelve.
NAMES = {
    "Hộ tịch": (
        "Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai tử", "Đăng ký nhận cha, mẹ, con",
        "Đăng ký giám hộ", "Đăng ký chấm dứt giám hộ",
        "Thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc",
        "Cấp bản sao trích lục hộ tịch", "Đăng ký lại khai sinh", "Đăng ký lại kết hôn",
        "Đăng ký lại khai tử", "Cấp Giấy xác nhận tình trạng hôn nhân"),
    "Chứng thực": (
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực chữ ký trong các giấy tờ, văn bản",
        "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản", "Chứng thực di chúc",
        "Chứng thực văn bản thỏa thuận phân chia di sản", "Chứng thực văn bản khai nhận di sản",
        "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch",
        "Sửa lỗi sai sót trong hợp đồng, giao dịch đã được chứng thực",
        "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực",
        "Chứng thực chữ ký người dịch", "Chứng thực văn bản từ chối nhận di sản",
        "Chứng thực hợp đồng ủy quyền"),
    "Bảo trợ xã hội": (
        "Trợ giúp xã hội khẩn cấp về hỗ trợ làm nhà ở", "Thực hiện trợ cấp xã hội hằng tháng",
        "Điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng", "Hỗ trợ chi phí mai táng",
        "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật",
        "Đổi, cấp lại Giấy xác nhận khuyết tật", "Chi trả trợ cấp xã hội khi thay đổi nơi cư trú",
        "Tiếp nhận đối tượng cần bảo vệ khẩn cấp vào cơ sở trợ giúp xã hội",
        "Đăng ký hoạt động đối với cơ sở trợ giúp xã hội dưới 10 đối tượng",
        "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm",
        "Công nhận hộ thoát nghèo, hộ thoát cận nghèo trong năm",
        "Hỗ trợ kinh phí chăm sóc, nuôi dưỡng đối tượng tại cộng đồng"),
    "Đất đai": (
        "Hòa giải tranh chấp đất đai", "Xác nhận nguồn gốc đất", "Đăng ký đất đai lần đầu",
        "Xác nhận hiện trạng sử dụng đất", "Giao đất làm nhà ở tại nông thôn",
        "Chuyển mục đích sử dụng đất trồng lúa", "Xác nhận hợp đồng tiếp cận đất liền kề",
        "Đính chính Giấy chứng nhận đã cấp", "Xác nhận đăng ký biến động đất đai",
        "Thu hồi đất do chấm dứt việc sử dụng đất theo pháp luật",
        "Gia hạn sử dụng đất nông nghiệp", "Tách thửa hoặc hợp thửa đất"),
}
#: This field's procedures have no portal id: their cards link to the portal's search by code.
NO_ID_FIELD = "Đất đai"


def board_procedures() -> tuple[Procedure, ...]:
    rng = random.Random(20261128)
    out = []
    for f, (field, names) in enumerate(NAMES.items()):
        for i, name in enumerate(names):
            pid = "" if field == NO_ID_FIELD else str(uuid.UUID(int=rng.getrandbits(128), version=4))
            out.append(Procedure(code=f"{1 + f % 2}.{100031 + 911 * (12 * f + i):06d}", name=name,
                                 field=field, portal_id=pid, levels=("commune",),
                                 processing_time="05 ngày làm việc", fees="Không"))
    return tuple(out)


#: Two procedures in the catalogue but not on the wall: one on record as posted, one never posted.
EXTRA_POSTED = Procedure(code="1.009901", name="Đăng ký khai sinh lưu động", field="Hộ tịch",
                         levels=("commune",))
EXTRA_MISSING = Procedure(code="1.009902", name="Đăng ký kết hôn lưu động", field="Hộ tịch",
                          levels=("commune",))


def new_registry(path=":memory:", procs=None) -> Registry:
    reg = Registry(path)
    reg.set_settings({"unit": "UBND xã Mẫu", "province": "H31"}, at=AT)
    import_catalogue(reg, Catalogue(source="danh-muc.csv", procedures=tuple(procs or board_procedures())),
                     effective=JUL, decision="1234/QĐ-UBND", at=AT)
    return reg


# -- the synthesiser ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Board:
    procedures: tuple[Procedure, ...]
    payloads: dict[str, str]  # code -> the payload printed on its card
    sheets: tuple[Image.Image, ...]  # the card pages, then the index page, then the flyer
    sheet_codes: tuple[tuple[str, ...], ...]  # the procedure codes on each sheet


def render_sheets(pdf_path: Path, dpi: int = DPI) -> list[Image.Image]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in pdf]
    finally:
        pdf.close()


def flyer(size: tuple[int, int], payload: str = FOREIGN) -> Image.Image:
    """A stranger's A4 flyer with a QR code to another site, pinned among the sheets."""
    import zxingcpp

    sheet = Image.new("RGB", size, (250, 246, 230))
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    qr = Image.fromarray(np.asarray(code.to_image(scale=9, add_quiet_zones=True))).convert("RGB")
    sheet.paste(qr, ((size[0] - qr.width) // 2, size[1] // 3))
    font = ImageFont.truetype(str(default_fonts().faces[True].path), size[0] // 10)
    ImageDraw.Draw(sheet).text((size[0] // 10, size[1] // 8), "KHUYẾN MÃI", fill=(180, 20, 20),
                               font=font)
    return sheet


def build_board(folder: Path, procs: tuple[Procedure, ...] | None = None) -> Board:
    """Print the board with qrproc's grid posters and render its sheets."""
    procs = procs or board_procedures()
    reg = new_registry(":memory:", procs)
    try:
        result = boardmod.print_posters(reg, layout="grid", selection=Selection.all(), as_of=JUL,
                              out=folder / "bang-niem-yet.pdf", at=AT, workers=1)
    finally:
        reg.close()
    pages = list(zip(render_sheets(result.path), result.document.pages))
    cards = [(img, tuple(q.code for q in page.qrs)) for img, page in pages if page.qrs]
    index = [(img, ()) for img, page in pages if page.kind == "index"][:1]
    sheets = cards + index + [(flyer(cards[0][0].size), ())]
    payloads = {p.code: url for p, url in zip(result.procedures, result.payloads)}
    return Board(procs, payloads, tuple(img for img, _ in sheets), tuple(c for _, c in sheets))


def compose_wall(sheets, cols: int, *, gap_mm: float = 8, margin_mm: float = 20,
                 dpi: int = DPI) -> Image.Image:
    """The sheets pinned in rows on a cork board."""
    px = dpi / 25.4
    w, h = sheets[0].size
    gap, margin = round(gap_mm * px), round(margin_mm * px)
    rows = math.ceil(len(sheets) / cols)
    W, H = 2 * margin + cols * w + (cols - 1) * gap, 2 * margin + rows * h + (rows - 1) * gap
    grain = Image.effect_noise((W // 4, H // 4), 18)
    cork = Image.merge("RGB", [ImageChops.add(grain, Image.new("L", grain.size, v), 1.0, -128)
                               for v in (196, 168, 128)])
    wall = cork.resize((W, H), Image.BILINEAR)
    for k, sheet in enumerate(sheets):
        r, c = divmod(k, cols)
        wall.paste(sheet, (margin + c * (w + gap), margin + r * (h + gap)))
    return wall


def _perspective(src, dst) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping `dst` corners back to `src` corners."""
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        a += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        b += [u, v]
    return np.linalg.solve(np.array(a, float), np.array(b, float)).tolist()


def photograph(wall: Image.Image, *, size=(4000, 3000), sensor: float = 1.25, angle: float = 3.0,
               keystone: float = 0.05, fill: float = 0.92, light=(1.0, 0.5), light_from="left",
               blur: float = 1.0, noise: int = 5, quality: int = 60, seed: int = 0) -> bytes:
    """A phone photo of the wall as JPEG bytes: tilted by `angle` degrees, seen from below
    (`keystone`: the top edge that much narrower), taken on a sensor `sensor` times larger and
    downscaled to `size` (12 MP), lit from one side, noisy, blurred and JPEG-compressed."""
    W, H = wall.size
    ow, oh = round(size[0] * sensor), round(size[1] * sensor)
    s = min(ow * fill / W, oh * fill / H)
    t = math.radians(angle)
    dst = []
    for x, y in ((-W / 2, -H / 2), (W / 2, -H / 2), (W / 2, H / 2), (-W / 2, H / 2)):
        k = 1 - keystone if y < 0 else 1 + keystone / 3
        x, y = x * s * k, y * s
        dst.append((ow / 2 + x * math.cos(t) - y * math.sin(t), oh / 2 + x * math.sin(t) + y * math.cos(t)))
    img = wall.transform((ow, oh), Image.PERSPECTIVE, _perspective([(0, 0), (W, 0), (W, H), (0, H)], dst),
                         Image.BILINEAR, fillcolor=(58, 54, 50))
    img = img.resize(size, Image.BOX)
    hi, lo = light
    gx = np.linspace(0, 0.7 * (hi - lo) * 255, size[0], dtype=np.float32)[None, :]
    gy = np.linspace(0, 0.3 * (hi - lo) * 255, size[1], dtype=np.float32)[:, None]
    if light_from == "right":
        gx = gx[:, ::-1]
    shade = Image.fromarray(np.clip(hi * 255 - gx - gy, 0, 255).astype(np.uint8))
    img = ImageChops.multiply(img, Image.merge("RGB", (shade,) * 3))
    grain = np.random.default_rng(seed).integers(0, 2 * noise + 1, (size[1], size[0]), dtype=np.uint8)
    grain_img = Image.fromarray(grain)
    img = ImageChops.add(img, Image.merge("RGB", (grain_img,) * 3), 1.0, -noise)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


#: Two photos of the whole board: tilted each way, lit from each side.
SHOTS = {
    "bang-trai.jpg": dict(angle=3.0, keystone=0.05, light=(1.0, 0.5), light_from="left", seed=1),
    "bang-phai.jpg": dict(angle=-4.0, keystone=-0.04, light=(1.0, 0.4), light_from="right",
                          blur=1.2, seed=2),
}


@pytest.fixture(scope="session")
def board(tmp_path_factory):
    return build_board(tmp_path_factory.mktemp("board"))


@pytest.fixture(scope="session")
def photos(board, tmp_path_factory):
    """name -> path of each photo of the whole board (8 sheets: 6 of cards, the index, a flyer)."""
    wall = compose_wall(board.sheets, cols=4)
    folder = tmp_path_factory.mktemp("photos")
    out = {}
    for name, kw in SHOTS.items():
        out[name] = folder / name
        out[name].write_bytes(photograph(wall, **kw))
    return out


# -- tests ----------------------------------------------------------------------------------------

def test_the_synthetic_photos_are_12_megapixel_jpegs_of_several_sheets(board, photos):
    assert len(board.sheets) == 8 and len(board.payloads) == 48
    assert sorted(c for codes in board.sheet_codes for c in codes) == sorted(board.payloads)
    for path in photos.values():
        with Image.open(path) as img:
            assert img.format == "JPEG" and img.size == (4000, 3000)
    # Some cards carry the long search-by-code link: denser codes than the portal-id ones.
    long_links = [u for u in board.payloads.values() if "keyword=" in u]
    assert len(long_links) == 12


def test_at_least_99_percent_of_codes_are_recovered_with_no_false_procedure(board, photos):
    config = boardmod.payload_config(new_registry())
    expected = set(board.payloads)
    found_total = 0
    for name, path in photos.items():
        seen = audit.decode_image(path)
        result = audit.classify([s.payload for s in seen], board.procedures, {}, AUDIT_DAY, config)
        codes = set(result.seen_codes)
        assert codes <= expected, f"{name}: false procedures {sorted(codes - expected)}"
        assert {s.payload for s in seen if s.payload != FOREIGN} <= set(board.payloads.values())
        found_total += len(codes & expected)
        assert len(codes & expected) / len(expected) >= 0.99, \
            f"{name}: {len(codes & expected)}/{len(expected)} codes; missed {sorted(expected - codes)}"
        # The flyer's code is listed as from another host, never mapped (though 1.001193 is in it).
        assert [(u.payload, u.reason, u.host) for u in result.unknown] == \
            [(FOREIGN, audit.OTHER_HOST, "example.com")]
        assert all(f.state == audit.CURRENT for f in result.findings if f.state != audit.NOT_SEEN)
    assert found_total / (len(expected) * len(photos)) >= 0.99


def test_apply_from_the_photos_makes_the_posted_set_what_the_wall_shows(board, photos, tmp_path):
    db = tmp_path / "qrproc.db"
    reg = new_registry(db, board.procedures + (EXTRA_POSTED, EXTRA_MISSING))
    by_code = {p.code: p for p in board.procedures}
    up_before = sorted(by_code)[:40]
    reg.post([by_code[c] for c in up_before] + [EXTRA_POSTED], day=date(2026, 9, 1), at=AT)
    reg.close()

    photo = photos["bang-trai.jpg"]
    result = CliRunner().invoke(cli, ["--db", str(db), "audit", str(photo), "--date", "2026-12-01",
                                      "--apply", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    new_codes = sorted(set(by_code) - set(up_before))
    assert data["applied"] is True
    assert data["to_post"] == new_codes
    assert data["to_close"] == [EXTRA_POSTED.code]
    assert [f["code"] for f in data["not_seen"]] == sorted([EXTRA_MISSING.code, EXTRA_POSTED.code])
    assert [u["reason"] for u in data["unknown"]] == ["other_host"]
    assert data["photos"][0]["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()

    reg = Registry(db)
    try:
        posted = reg.posted()
        assert set(posted) == set(by_code)
        assert {c for c, p in posted.items() if p.posted_on == AUDIT_DAY} == set(new_codes)
        closed = [p for p in reg.postings() if p.code == EXTRA_POSTED.code]
        assert [p.taken_down_on for p in closed] == [AUDIT_DAY]
        latest = reg.latest_audit()
        assert latest.applied and latest.day == AUDIT_DAY
        assert latest.files[0].sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
        assert len(latest.files[0].codes) == 49  # 48 cards and the flyer
        rep = report.to_json(boardmod.coverage_report(reg, AUDIT_DAY))
        assert rep["posted"] == 48 and rep["applicable"] == 50
        assert rep["audit"]["date"] == "2026-12-01"
        assert rep["audit"]["photos"][0]["sha256"] == latest.files[0].sha256
    finally:
        reg.close()
