"""CSV files end to end, and `load_file`'s choice of importer and its refusals."""

import unicodedata

import pytest

from qrproc.errors import LegacyEncodingError, ParseError, SourceError
from qrproc.model import FLAG_NO_CODE
from qrproc.sources import IMPORTERS, csvfile, load_file
from qrproc.sources.csvfile import parse_csv, sniff_delimiter
from qrproc.vntext import TCVN3, VISCII, VNI, encode_legacy

LIST = (
    "Mã TTHC,Tên TTHC,Lĩnh vực,Cấp thực hiện\n"
    "1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,Cấp xã\n"
    '1.000894,"Thủ tục đăng ký kết hôn, ghi chú",Hộ tịch,"Cấp xã, Cấp tỉnh"\n'
    ",Chứng thực chữ ký người dịch,Chứng thực,Cấp xã\n"
)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def summary(catalogue):
    return [(p.code, p.name, p.field, p.levels) for p in catalogue.procedures]


EXPECTED = [
    ("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", ("commune",)),
    ("1.000894", "Thủ tục đăng ký kết hôn, ghi chú", "Hộ tịch", ("commune", "province")),
    ("", "Chứng thực chữ ký người dịch", "Chứng thực", ("commune",)),
]


def test_utf8_csv_without_bom(tmp_path):
    catalogue = csvfile.load(write(tmp_path, "list.csv", LIST))
    assert catalogue.source == "list.csv"
    assert summary(catalogue) == EXPECTED
    assert catalogue.procedures[0].origin == "list.csv, row 2"
    assert catalogue.procedures[2].flags == (FLAG_NO_CODE,)
    assert catalogue.warnings == (
        "list.csv, row 4: no procedure code for 'Chứng thực chữ ký người dịch'; "
        "kept and flagged no-code",)


def test_utf8_csv_with_bom(tmp_path):
    catalogue = csvfile.load(write(tmp_path, "list.csv", b"\xef\xbb\xbf" + LIST.encode("utf-8")))
    assert summary(catalogue) == EXPECTED


def test_semicolon_csv_as_excel_writes_it(tmp_path):
    text = ("Mã TTHC;Tên TTHC;Lĩnh vực;Cấp thực hiện\r\n"
            "1.001193;Thủ tục đăng ký khai sinh;Hộ tịch;Cấp xã\r\n"
            '1.000894;Thủ tục đăng ký kết hôn, ghi chú;Hộ tịch;"Cấp xã, Cấp tỉnh"\r\n'
            ";Chứng thực chữ ký người dịch;Chứng thực;Cấp xã\r\n")
    assert sniff_delimiter(text) == ";"
    assert summary(csvfile.load(write(tmp_path, "list.csv", b"\xef\xbb\xbf" + text.encode()))) == EXPECTED


def test_tab_separated_csv():
    text = ("Mã TTHC\tTên TTHC\tLĩnh vực\tCấp thực hiện\n"
            "1.001193\tThủ tục đăng ký khai sinh\tHộ tịch\tCấp xã\n"
            "1.000894\tThủ tục đăng ký kết hôn, ghi chú\tHộ tịch\tCấp xã, Cấp tỉnh\n"
            "\tChứng thực chữ ký người dịch\tChứng thực\tCấp xã\n")
    assert sniff_delimiter(text) == "\t"
    assert summary(parse_csv(text, "list.csv")) == EXPECTED


def test_nfd_file_comes_out_nfc(tmp_path):
    catalogue = csvfile.load(write(tmp_path, "list.csv", unicodedata.normalize("NFD", LIST)))
    assert summary(catalogue) == EXPECTED
    assert all(unicodedata.is_normalized("NFC", p.name + p.field) for p in catalogue.procedures)


def test_headers_without_diacritics_in_another_order(tmp_path):
    text = ("ten thu tuc,ma so tthc,linh vuc\n"
            "Thủ tục đăng ký khai sinh,1.001193,Hộ tịch\n")
    (proc,) = csvfile.load(write(tmp_path, "list.csv", text)).procedures
    assert (proc.code, proc.name, proc.field) == ("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch")


def test_the_reference_list_shape_is_read(tmp_path):
    # code,name,field,level,url,source: the shape of the lists gathered for this project
    text = ("code,name,field,level,url,source\n"
            "1.013225,Cấp giấy phép xây dựng mới,Hoạt động xây dựng,Cấp xã,"
            "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfe-9088-744d-aa0a-e846b6dce3d5,crawl\n")
    (proc,) = csvfile.load(write(tmp_path, "candidates.csv", text)).procedures
    assert (proc.code, proc.levels) == ("1.013225", ("commune",))


@pytest.mark.parametrize("encoding", [TCVN3, VNI, VISCII])
def test_legacy_encoded_file_is_refused(tmp_path, encoding):
    path = write(tmp_path, "list.csv", encode_legacy(LIST, encoding))
    with pytest.raises(LegacyEncodingError) as caught:
        csvfile.load(path)
    assert caught.value.encoding == encoding
    assert str(caught.value).startswith(f"list.csv, line 1: text is in the legacy {encoding} encoding (")


def test_utf8_file_holding_tcvn3_mojibake_is_refused(tmp_path):
    mojibake = encode_legacy("Thủ tục đăng ký kết hôn của công dân Việt Nam", TCVN3).decode("cp1252")
    text = LIST + f"1.000000,{mojibake},Hộ tịch,Cấp xã\n"
    with pytest.raises(LegacyEncodingError) as caught:
        csvfile.load(write(tmp_path, "list.csv", text))
    assert caught.value.where == "list.csv, row 5"
    assert caught.value.encoding == TCVN3


def test_file_without_header_names_what_it_expected(tmp_path):
    path = write(tmp_path, "list.csv", "Số,Nội dung\n1,Đăng ký khai sinh\n")
    with pytest.raises(ParseError, match=r"^list\.csv: no procedure table found; expected headers "
                                         r"'Mã TTHC' and 'Tên TTHC' \("):
        csvfile.load(path)


def test_conflicting_duplicate_in_a_file(tmp_path):
    text = LIST + "1.001193,Thủ tục đăng ký khai tử,Hộ tịch,Cấp xã\n"
    with pytest.raises(ParseError) as caught:
        csvfile.load(write(tmp_path, "list.csv", text))
    assert str(caught.value) == ("list.csv: code 1.001193 appears twice with different content: "
                                 "row 2 'Thủ tục đăng ký khai sinh' and row 5 'Thủ tục đăng ký khai tử'")


# --- load_file --------------------------------------------------------------------------------


def test_importers_cover_the_supported_suffixes():
    assert sorted(IMPORTERS) == [".csv", ".docx", ".json", ".jsonl", ".xlsx"]


def test_load_file_dispatches_on_the_suffix_in_any_case(tmp_path):
    catalogue = load_file(write(tmp_path, "LIST.CSV", LIST))
    assert summary(catalogue) == EXPECTED


def test_unsupported_file_type(tmp_path):
    with pytest.raises(SourceError) as caught:
        load_file(tmp_path / "list.pdf")
    assert str(caught.value) == "list.pdf: unsupported file type '.pdf'; use .csv, .xlsx, .docx or .json"


@pytest.mark.parametrize("name, message", [
    ("annex.doc", "annex.doc: the old Word 97-2003 format (.doc) cannot be read; "
                  "open it in Office or LibreOffice and save it as .docx"),
    ("list.xls", "list.xls: the old Excel 97-2003 format (.xls) cannot be read; "
                 "open it in Office or LibreOffice and save it as .xlsx"),
])
def test_old_binary_office_formats_are_refused_with_advice(tmp_path, name, message):
    with pytest.raises(SourceError) as caught:
        load_file(write(tmp_path, name, b"\xd0\xcf\x11\xe0 old"))
    assert str(caught.value) == message


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match=r"list\.csv: file not found$"):
        load_file(tmp_path / "list.csv")


@pytest.mark.parametrize("name", ["list.xlsx", "annex.docx"])
def test_damaged_office_file_is_a_parse_error_naming_the_file(tmp_path, name):
    with pytest.raises(ParseError) as caught:
        load_file(write(tmp_path, name, "this is not a zip file"))
    message = str(caught.value)
    assert message.startswith(f"{name}: not a readable")
    assert "\n" not in message
