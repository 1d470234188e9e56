"""Legacy Vietnamese encodings (TCVN3, VNI, VISCII): tables, detection on phrases, file bytes."""

import unicodedata

import pytest

from qrproc import vntext
from qrproc.errors import LegacyEncodingError, ParseError
from qrproc.vntext import (
    TCVN3,
    VISCII,
    VNI,
    VIETNAMESE_LETTERS,
    check_text,
    decode_bytes,
    decode_legacy,
    detect_text,
    encode_legacy,
)

MOTTO = "Cộng hòa xã hội chủ nghĩa Việt Nam"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"

# The real fingerprints of posting-rules.md §E4, as a Windows-1252 program shows them.
FINGERPRINTS = [
    ("Céng hoµ x· héi chñ nghÜa ViÖt Nam", TCVN3),
    ("§éc lËp - Tù do - H¹nh phóc", TCVN3),
    ("Hµ néi, ngµy 22 th¸ng 11 n¨m 2002", TCVN3),
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", VNI),
    ("Ñoäc laäp - Töï do - Haïnh phuùc", VNI),
    ("Xin chaøo caùc baïn", VNI),
]


def shown_as_cp1252(data: bytes) -> str:
    """Legacy bytes the way a Windows program (or a careless converter) displays them."""
    return data.decode("cp1252", errors="replace")


def shown_as_latin1(data: bytes) -> str:
    return data.decode("latin-1")


# --- tables -----------------------------------------------------------------------------------


def test_there_are_134_precomposed_vietnamese_letters():
    assert len(VIETNAMESE_LETTERS) == 134
    assert {"ạ", "Ữ", "đ", "Đ", "ơ", "Ư", "ỹ", "Ỵ"} <= VIETNAMESE_LETTERS


@pytest.mark.parametrize("encoding", [VNI, VISCII])
def test_vni_and_viscii_round_trip_every_letter(encoding):
    letters = "".join(sorted(VIETNAMESE_LETTERS))
    assert decode_legacy(encode_legacy(letters, encoding), encoding) == letters


def test_tcvn3_round_trips_lower_case_and_writes_capitals_in_the_lower_case_slots():
    lower = "".join(sorted(c for c in VIETNAMESE_LETTERS if c.islower()))
    assert decode_legacy(encode_legacy(lower, TCVN3), TCVN3) == lower
    assert encode_legacy("Ấ", TCVN3) == encode_legacy("ấ", TCVN3) == b"\xca"
    # base capitals have their own codes
    assert encode_legacy("ĐĂÂÊÔƠƯ", TCVN3) == b"\xa7\xa1\xa2\xa3\xa4\xa5\xa6"


def test_encoders_reproduce_the_real_fingerprints():
    assert shown_as_cp1252(encode_legacy("Cộng hoà xã hội chủ nghĩa Việt Nam", TCVN3)) == \
        "Céng hoµ x· héi chñ nghÜa ViÖt Nam"
    assert shown_as_cp1252(encode_legacy(MOTTO_2, TCVN3)) == "§éc lËp - Tù do - H¹nh phóc"
    assert shown_as_cp1252(encode_legacy(MOTTO, VNI)) == "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam"
    assert shown_as_cp1252(encode_legacy(MOTTO_2, VNI)) == "Ñoäc laäp - Töï do - Haïnh phuùc"


def test_viscii_follows_rfc_1456():
    table = vntext.VISCII_TO_UNICODE
    assert (table[0x80], table[0xFF], table[0xA0], table[0xB4], table[0xDF]) == \
        ("Ạ", "Ữ", "Õ", "Ơ", "ư")
    # six capitals live in the C0 control range
    assert {table[b] for b in (0x02, 0x05, 0x06, 0x14, 0x19, 0x1E)} == set("ẲẴẪỶỸỴ")
    assert encode_legacy("Việt", VISCII) == b"Vi\xaet"


def test_encode_rejects_what_the_table_cannot_hold():
    with pytest.raises(ValueError, match="cannot be written in VISCII"):
        encode_legacy("“Hộ tịch”", VISCII)
    with pytest.raises(ValueError, match="unknown encoding"):
        encode_legacy("a", "KOI8-R")


# --- check_text -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, encoding", FINGERPRINTS)
def test_real_fingerprints_are_refused(text, encoding):
    with pytest.raises(LegacyEncodingError) as caught:
        check_text(text, "list.csv, row 3")
    assert caught.value.encoding == encoding
    assert caught.value.where == "list.csv, row 3"


def test_refusal_message_names_encoding_place_and_sample():
    with pytest.raises(LegacyEncodingError) as caught:
        check_text("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "list.csv, row 3")
    assert str(caught.value) == (
        "list.csv, row 3: text is in the legacy TCVN3 encoding "
        "('Céng hoµ x· héi chñ nghÜa ViÖt Nam'); "
        "convert the file to Unicode (UTF-8) and import it again"
    )


def test_viscii_text_read_as_latin1_is_refused():
    text = shown_as_latin1(encode_legacy(MOTTO, VISCII))
    assert text == "Cµng hòa xã hµi chü nghîa Vi®t Nam"
    with pytest.raises(LegacyEncodingError) as caught:
        check_text(text, "list.xlsx, row 2")
    assert caught.value.encoding == VISCII


def test_tcvn3_from_pdf_extraction_is_refused():
    # PDF text extraction turns TCVN3 ư (soft hyphen slot) into U+2212: 'nhµ n−íc' = nhà nước
    assert detect_text("Quü nhµ n\u2212íc cÊp huyÖn") == TCVN3


def test_every_precomposed_letter_passes():
    letters = "".join(sorted(VIETNAMESE_LETTERS))
    check_text(letters, "x")
    check_text(" ".join(letters), "x")
    assert detect_text(letters) is None


@pytest.mark.parametrize("text", [
    MOTTO,
    MOTTO_2,
    "Thủ tục đăng ký khai sinh; cấp bản sao trích lục hộ tịch của Ủy ban nhân dân cấp xã",
    "Tây Ninh, Cà Mau, Bà Rịa - Vũng Tàu",
    "Tây Ninh Cà Mau",  # Vietnamese written with Latin-1 letters only
    unicodedata.normalize("NFD", "Người yêu cầu đăng ký khai sinh nộp hồ sơ"),
])
def test_real_unicode_vietnamese_passes(text):
    check_text(text, "x")
    assert detect_text(text) is None


@pytest.mark.parametrize("text", [
    "Señor", "Müller", "Señor Müller", "Straße, Größe, übermäßig",
    "El niño está en la casa de José", "Où est la gare ? À côté de l'hôtel, près du café",
    "naïve café résumé façade", "Ångström, Øresund, Æbleskiver, São Paulo",
    "Kích thước 5 µm · 2 bản",
])
def test_other_languages_and_symbols_pass(text):
    check_text(text, "x")
    assert detect_text(text) is None


def test_check_cells_reads_the_suspect_cells_of_a_row_together():
    # each mojibake cell is too short alone, and the Unicode cells must not hide them
    row = ["1.001193", "Hé tÞch", "Chøng thùc", "Cấp xã", "Ủy ban nhân dân cấp xã"]
    assert detect_text("Hé tÞch") is None
    with pytest.raises(LegacyEncodingError) as caught:
        vntext.check_cells(row, "list.csv, row 7")
    assert (caught.value.encoding, caught.value.where) == (TCVN3, "list.csv, row 7")
    vntext.check_cells(["1.001193", "Hộ tịch", "Chứng thực", "Señor Müller"], "x")


def test_detection_works_on_phrases_not_single_words():
    # one mojibake word proves nothing; a phrase does
    assert detect_text("Thñ tôc") is None
    assert detect_text("Thñ tôc ®¨ng ký khai sinh") == TCVN3


# --- decode_bytes -----------------------------------------------------------------------------


def test_utf8_with_and_without_bom_decode_to_the_same_nfc_text():
    text = "Mã TTHC,Tên TTHC\n1.001193,Đăng ký khai sinh\n"
    plain = decode_bytes(text.encode("utf-8"), "list.csv")
    with_bom = decode_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"), "list.csv")
    assert plain == with_bom == text


def test_nfd_utf8_becomes_nfc():
    nfd = unicodedata.normalize("NFD", "Đăng ký khai sinh")
    assert nfd != "Đăng ký khai sinh"
    assert decode_bytes(nfd.encode("utf-8"), "list.csv") == "Đăng ký khai sinh"


def test_utf16_with_bom_is_read():
    assert decode_bytes("Hộ tịch".encode("utf-16"), "list.csv") == "Hộ tịch"


LEGACY_FILE = "Mã TTHC,Tên TTHC,Lĩnh vực\n1.001193,Thủ tục đăng ký khai sinh,Hộ tịch\n" \
              "1.000894,Thủ tục đăng ký kết hôn,Hộ tịch\n"


@pytest.mark.parametrize("encoding", [TCVN3, VNI, VISCII])
def test_legacy_bytes_are_refused_naming_the_encoding_and_line(encoding):
    with pytest.raises(LegacyEncodingError) as caught:
        decode_bytes(encode_legacy(LEGACY_FILE, encoding), "list.csv")
    assert caught.value.encoding == encoding
    assert caught.value.where == "list.csv, line 1"
    assert f"legacy {encoding} encoding" in str(caught.value)


def cp1258(text: str) -> bytes:
    """Windows-1258 as Word writes it: base letter (â, ơ …) plus a combining tone mark."""
    out = b""
    for char in text:
        nfd = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in nfd if c in "\u0300\u0301\u0303\u0309\u0323")
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in tones))
        out += (base + tones).encode("cp1258")
    return out


def test_windows_1258_bytes_are_refused():
    data = cp1258(LEGACY_FILE)
    with pytest.raises(LegacyEncodingError) as caught:
        decode_bytes(data, "list.csv")
    assert caught.value.encoding == "Windows-1258"


def test_latin1_spanish_is_not_utf8_but_not_legacy_vietnamese():
    data = "Señor Müller, calle Mayor 5\n".encode("latin-1")
    with pytest.raises(ParseError) as caught:
        decode_bytes(data, "list.csv")
    assert not isinstance(caught.value, LegacyEncodingError)
    assert str(caught.value) == (
        "list.csv: not UTF-8 text (byte 0xF1 at offset 2); save the file as UTF-8 and import it again"
    )
