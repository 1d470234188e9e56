"""Pure layout: wrapping, cards that hold every Vietnamese letter and very long names, pages."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest

from qrproc.errors import PayloadError
from qrproc.poster import layout as L
from qrproc.poster import payload as pl
from qrproc.poster.fonts import default_fonts

AS_OF = date(2026, 11, 28)
MEASURE = default_fonts().measure

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def every_letter() -> list[str]:
    """The 146 precomposed Vietnamese letters (12 vowels × 6 tones + đ, both cases)."""
    lower = [unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES] + ["đ"]
    return lower + [c.upper() for c in lower]


ALL_LETTERS_NAME = "Thủ tục thử đủ chữ " + " ".join(
    "".join(every_letter()[i:i + 6]) for i in range(0, len(every_letter()), 6))
LONG_WORD_NAME = ("Cấp Giấychứngnhậnquyềnsửdụngđấtquyềnsởhữunhàở và tài sản khác gắn liền "
                  "với đất lần đầu")
VERY_LONG_NAME = (
    "Giao đất ở có thu tiền sử dụng đất không thông qua đấu giá, không đấu thầu lựa chọn nhà đầu tư "
    "thực hiện dự án có sử dụng đất đối với cá nhân là cán bộ, công chức, viên chức, sĩ quan tại ngũ, "
    "quân nhân chuyên nghiệp, công chức quốc phòng, công nhân và viên chức quốc phòng, sĩ quan, hạ sĩ "
    "quan, công nhân công an, người làm công tác cơ yếu và người làm công tác khác trong tổ chức cơ yếu "
    "hưởng lương từ ngân sách nhà nước mà chưa được giao đất ở, nhà ở; giáo viên, nhân viên y tế đang "
    "công tác tại các xã biên giới, hải đảo thuộc vùng có điều kiện kinh tế - xã hội khó khăn, vùng có "
    "điều kiện kinh tế - xã hội đặc biệt khó khăn nhưng chưa có đất ở, nhà ở tại nơi công tác hoặc chưa "
    "được hưởng chính sách hỗ trợ về nhà ở theo quy định của pháp luật về nhà ở")


def spec(code: str, name: str, field: str = "Hộ tịch", payload: str | None = None) -> L.CardSpec:
    url = payload or pl.payload_for(code, "019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7", pl.PayloadConfig())
    return L.CardSpec(code, name, field, url, "Q", pl.version_bound(url, "Q"), "05 ngày làm việc",
                      "8.000 đồng/bản sao")


SPECS = [spec("1.001193", "Thủ tục đăng ký khai sinh"),
         spec("1.000894", "Thủ tục đăng ký kết hôn"),
         spec("1.000656", ALL_LETTERS_NAME),
         spec("1.004227", LONG_WORD_NAME, field="Đất đai"),
         spec("1.115763", VERY_LONG_NAME, field="Đất đai"),
         spec("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", field="Chứng thực")]


def check_card(card: L.Card, name: str) -> None:
    # Every line fits the box it belongs to, and that box lies inside the card.
    for t in card.texts:
        assert MEASURE(t.text, t.bold, t.size) <= t.box.w + 1e-6, t.text
        assert t.x >= t.box.x - 1e-6 and t.x + t.width <= t.box.right + 1e-6
        assert card.box.contains(t.box)
        assert t.top >= t.box.y - 1e-6 and t.baseline <= t.box.bottom + 1e-6
        assert not t.box.overlaps(card.qr.box)  # no text in the QR or its quiet zone,
        assert not t.ink.overlaps(card.qr.box)  # not even the top of an "Ẳ"
    # The name is all there, in order, broken only between words.
    words = name.split()
    assert " ".join(t.text for t in card.name_lines) == " ".join(words)
    for t in card.name_lines:
        assert all(w in words for w in t.text.split())
    assert card.box.contains(card.qr.box)


def test_wrap_never_breaks_a_word():
    lines = L.wrap(VERY_LONG_NAME, 50.0, MEASURE, bold=True, size=8)
    assert lines and " ".join(lines) == " ".join(VERY_LONG_NAME.split())
    assert all(MEASURE(line, True, 8) <= 50.0 for line in lines)
    assert L.wrap("Giấychứngnhậnquyềnsửdụngđất", 10.0, MEASURE, size=9) is None  # too wide: no split


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.code)
def test_grid_cards_hold_the_whole_name(s):
    doc = L.build("grid", [s], unit="UBND xã Mẫu", as_of=AS_OF, measure=MEASURE)
    (card,) = [c for p in doc.pages for c in p.cards]
    check_card(card, s.name)
    assert min(t.size for t in card.name_lines) >= 7  # a long name widens the card instead


def test_every_vietnamese_letter_survives_layout():
    doc = L.build("grid", SPECS, unit="UBND xã Mẫu", as_of=AS_OF, measure=MEASURE)
    (card,) = [c for p in doc.pages for c in p.cards if c.code == "1.000656"]
    text = "".join(t.text for t in card.name_lines)
    assert all(letter in text for letter in every_letter())


def test_very_long_name_takes_a_wider_card_and_smaller_type():
    doc = L.build("grid", SPECS, unit="UBND xã Mẫu", as_of=AS_OF, measure=MEASURE)
    cards = {c.code: c for p in doc.pages for c in p.cards}
    assert cards["1.001193"].span == 1 and cards["1.115763"].span >= 2
    assert cards["1.115763"].name_lines[0].size < cards["1.001193"].name_lines[0].size


@pytest.mark.parametrize("layout", ["grid", "labels", "single"])
@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_every_layout_keeps_text_in_its_boxes_and_on_the_page(layout, paper):
    doc = L.build(layout, SPECS, unit="UBND xã Mẫu", as_of=AS_OF, paper=paper, measure=MEASURE,
                  takedown=[L.TakedownRow("1.000775", "Thủ tục đăng ký giám hộ", "Hộ tịch", "abolished")])
    page_box = L.Box(0, 0, doc.paper.width, doc.paper.height)
    assert doc.paper == L.PAPERS[paper]
    for page in doc.pages:
        for t in page.texts:
            assert MEASURE(t.text, t.bold, t.size) <= t.box.w + 1e-6, (page.number, t.text)
            assert page_box.contains(t.box)
        for card in page.cards:
            check_card(card, card.name)
        for q in page.qrs:
            assert page_box.contains(q.box)
            assert not any(t.ink.overlaps(q.box) for t in page.texts)
            module = q.box.w / (pl.modules(pl.version_bound(q.payload, q.ec)) + 8)
            # Modules keep their minimum even when a print dialog fits the page to 94 %.
            assert module * L.FIT_SCALE >= q.min_module - 1e-9
            assert q.min_module >= (0.8 if layout != "labels" else 0.5)
    assert sorted(q.code for p in doc.pages for q in p.qrs) == sorted(s.code for s in SPECS)
    assert doc.pages[-1].kind == "takedown" and doc.pages[-1].codes == ("1.000775",)


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.code)
def test_a_shared_card_keeps_its_text_out_of_the_qr_area(s):
    page = L.share_card(s, unit="UBND xã Mẫu", measure=MEASURE)
    (card,) = page.cards
    check_card(card, s.name)
    assert not any(t.ink.overlaps(page.qrs[0].box) for t in page.texts)


def test_grid_pages_name_every_field_on_them_and_the_index_points_to_them():
    def cards(field, n, first):
        return [spec(f"1.{first + i:06d}", f"Thủ tục số {i + 1}", field=field) for i in range(n)]

    specs = (cards("Hộ tịch", 14, 100000) + cards("Chứng thực", 1, 200000)
             + cards("Đất đai", 4, 300000) + cards("Hòa giải ở cơ sở", 3, 400000))
    # A3: a 3×4 grid of wall cards (on A4 their cells would be too short for a card with its
    # scan instruction, and each card would span two cells)
    doc = L.build("grid", specs, unit="UBND xã Mẫu", as_of=AS_OF, paper="A3", grid=(3, 4),
                  measure=MEASURE)
    assert doc.pages[0].kind == "index"
    card_pages = [p for p in doc.pages if p.kind == "cards"]
    field_of = {s.code: s.field for s in specs}
    for p in card_pages:
        assert {field_of[c.code] for c in p.cards} == set(p.fields)
        texts = [t.text for t in p.texts]
        assert all(f"Lĩnh vực: {f}" in texts for f in p.fields)
        assert "BẢNG NIÊM YẾT THỦ TỤC HÀNH CHÍNH" in texts and "UBND XÃ MẪU" in texts
        assert f"Trang {p.number}/{len(doc.pages)}" in texts
        assert any(t.startswith("Danh mục thủ tục hành chính áp dụng ngày 28/11/2026") for t in texts)
        boxes = [c.box for c in p.cards]  # cards never overlap each other or a band
        bands = [r.box for r in p.rects if r.fill == 0.9]
        assert len(bands) == len(p.fields)
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:] + bands)
    # Vietnamese order: Chứng thực < Đất đai < Hòa giải < Hộ tịch (đ after d, o before ô).
    # Small fields share a page; Hòa giải does not fit whole under Đất đai, so it starts page 3;
    # Hộ tịch (5 rows, longer than a page) starts under it and runs onto page 4.
    assert [p.fields for p in card_pages] == [("Chứng thực", "Đất đai"), ("Hòa giải ở cơ sở", "Hộ tịch"),
                                              ("Hộ tịch",)]
    assert [(e.field, e.count, e.first_page, e.last_page) for e in doc.index] == [
        ("Chứng thực", 1, 2, 2), ("Đất đai", 4, 2, 2), ("Hòa giải ở cơ sở", 3, 3, 3), ("Hộ tịch", 14, 3, 4)]
    index_text = [t.text for t in doc.pages[0].texts]
    assert "Hộ tịch" in index_text and "3–4" in index_text
    assert "14 thủ tục · tờ 2/2" in [t.text for t in card_pages[2].texts]


def test_a_link_too_long_for_any_card_is_refused_with_the_code():
    url = "https://dichvucong.gov.vn/?" + "x" * 900
    with pytest.raises(PayloadError, match="1.001193"):
        L.build("labels", [spec("1.001193", "Thủ tục đăng ký khai sinh", payload=url)], unit="UBND xã Mẫu",
                as_of=AS_OF, measure=MEASURE)
    with pytest.raises(PayloadError) as refused:
        L.build("labels", [spec("1.001193", "Thủ tục đăng ký khai sinh", payload=url)], unit="UBND xã Mẫu",
                as_of=AS_OF, measure=MEASURE)
    # the figures it gives agree with the refusal: what the code needs is more than the room
    need, room = (float(x) for x in re.search(
        r": ([\d.]+) mm at the minimum module size .* more than the ([\d.]+) mm", str(refused.value)).groups())
    assert need > room and "qrproc links" in str(refused.value)
