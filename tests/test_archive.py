"""Zip bombs dressed as Office files: real workbooks and documents (openpyxl, python-docx) with one
part swapped for a huge one, refused before openpyxl or python-docx unpack anything, with one
line naming the file and the part; and through `qrproc import`, with nothing stored."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from qrproc.cli import cli
from qrproc.errors import ParseError
from qrproc.sources import archive, docx_annex, load_file, xlsx

from test_registry import dump

MIB = 1 << 20
SHEET = "xl/worksheets/sheet1.xml"
DOCUMENT = "word/document.xml"


# -- building real files -------------------------------------------------------------------------

def workbook_parts() -> dict[str, bytes]:
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã TTHC", "Tên TTHC", "Lĩnh vực", "Cấp thực hiện"])
    ws.append(["1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", "Cấp xã"])
    out = io.BytesIO()
    wb.save(out)
    with zipfile.ZipFile(out) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def document_parts() -> dict[str, bytes]:
    d = docx.Document()
    table = d.add_table(rows=2, cols=2)
    for cell, text in zip(table._cells, ["Mã TTHC", "Tên TTHC", "1.001193", "Thủ tục đăng ký khai sinh"]):
        cell.text = text
    out = io.BytesIO()
    d.save(out)
    with zipfile.ZipFile(out) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


class Deflated:
    """A part given as its raw deflate stream, its CRC and unpacked size (for parts too big to
    hold: a block compressed after a full flush is the same bytes each time, so it repeats)."""

    def __init__(self, head: bytes, block: bytes, times: int, tail: bytes):
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        first = c.compress(head + block) + c.flush(zlib.Z_FULL_FLUSH)
        again = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
        self.data = first + again * (times - 1) + c.compress(tail) + c.flush()
        crc = zlib.crc32(head)
        for _ in range(times):
            crc = zlib.crc32(block, crc)
        self.crc = zlib.crc32(tail, crc)
        self.size = len(head) + len(block) * times + len(tail)


def xml_bomb(open_tags: bytes, repeated: bytes, close_tags: bytes, size: int) -> Deflated:
    """Valid XML that unpacks to about `size` bytes: `repeated` over and over inside the tags."""
    block = repeated * (MIB // len(repeated))
    return Deflated(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + open_tags,
                    block, max(1, size // len(block)), close_tags)


def write_zip(path: Path, parts: dict, *, declared: dict[str, int] | None = None,
              same_data: tuple[str, str] | None = None) -> Path:
    """Write a zip by hand: `parts` maps names to bytes or Deflated; `declared` overrides the
    unpacked size the directory states (a lying directory); `same_data=(a, b)` makes the
    directory entry of b point at a's data (overlapping parts)."""
    declared = declared or {}
    out = io.BytesIO()
    central = []
    offsets = {}
    for name, part in parts.items():
        raw = part if isinstance(part, Deflated) else None
        if raw is None:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            data, crc, size = c.compress(part) + c.flush(), zlib.crc32(part), len(part)
        else:
            data, crc, size = raw.data, raw.crc, raw.size
        size = declared.get(name, size)
        encoded = name.encode("utf-8")
        offsets[name] = (out.tell(), crc, len(data), size)
        out.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x21, crc, len(data),
                              size, len(encoded), 0) + encoded + data)
    for name in parts:
        offset, crc, csize, size = offsets[same_data[0] if same_data and name == same_data[1] else name]
        encoded = name.encode("utf-8")
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 8, 0, 0x21, crc,
                                   csize, size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    directory = b"".join(central)
    out.write(directory + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central),
                                      len(directory), start, 0))
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture(scope="module")
def sheet_bomb() -> Deflated:
    """A worksheet of 1 GiB of cells (openpyxl would need some 26 GB to hold them)."""
    return xml_bomb(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b"<sheetData>", b"<row><c><v>1</v></c></row>", b"</sheetData></worksheet>", 1 << 30)


@pytest.fixture(scope="module")
def document_bomb() -> Deflated:
    return xml_bomb(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                    b"<w:body>", b"<w:p><w:r><w:t>x</w:t></w:r></w:p>", b"</w:body></w:document>", 1 << 30)


def refused(load, path: Path) -> tuple[str, float, int]:
    """The message, seconds and peak traced memory of a refused load."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ParseError) as e:
            load(path)
        return str(e.value), time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- the bombs -----------------------------------------------------------------------------------------

def test_a_workbook_bomb_is_refused_before_openpyxl_opens_it(tmp_path, sheet_bomb):
    path = write_zip(tmp_path / "danh-muc.xlsx", dict(workbook_parts(), **{SHEET: sheet_bomb}))
    assert path.stat().st_size < 3_000_000  # 2.6 MB that unpacks to 1 GiB (about 400:1)
    message, seconds, peak = refused(xlsx.load, path)
    assert message == ("danh-muc.xlsx: part 'xl/worksheets/sheet1.xml' would unpack to 1.1 GB "
                       "(at most 25 MB per part); refused, it may be a zip bomb")
    assert seconds < 1.0 and peak < 2_000_000, (seconds, peak)


def test_a_document_bomb_is_refused_before_python_docx_opens_it(tmp_path, document_bomb):
    path = write_zip(tmp_path / "qd-1766.docx", dict(document_parts(), **{DOCUMENT: document_bomb}))
    message, seconds, peak = refused(docx_annex.load, path)
    assert message == ("qd-1766.docx: part 'word/document.xml' would unpack to 1.1 GB "
                       "(at most 25 MB per part); refused, it may be a zip bomb")
    assert seconds < 1.0 and peak < 2_000_000, (seconds, peak)


def test_a_small_part_compressed_like_a_bomb_is_refused_by_its_ratio(tmp_path):
    bomb = xml_bomb(b"<worksheet><sheetData>", b"<row/>", b"</sheetData></worksheet>", 8 * MIB)
    path = write_zip(tmp_path / "ratio.xlsx", dict(workbook_parts(), **{SHEET: bomb}))
    message, _, _ = refused(xlsx.load, path)
    assert message.startswith("ratio.xlsx: part 'xl/worksheets/sheet1.xml' is compressed ")
    assert message.endswith(" unpacking to 8.4 MB; at most 300:1); refused, it may be a zip bomb")


def test_parts_adding_up_past_the_total_are_refused(tmp_path):
    parts = dict(workbook_parts(), **{f"xl/worksheets/sheet{n}.xml": bytes(range(256)) * 4000
                                      for n in (2, 3, 4)})  # 1 MB each, not compressible much
    path = write_zip(tmp_path / "many.xlsx", parts)
    with pytest.raises(ParseError) as e:
        archive.check_zip(path, max_total_bytes=2_500_000)
    assert str(e.value) == ("many.xlsx: the parts unpack to more than 2.5 MB in all (passed at part "
                            "'xl/worksheets/sheet4.xml'); refused, it may be a zip bomb")
    archive.check_zip(path)  # 3 MB is nothing by default


def test_too_many_parts_are_refused(tmp_path):
    parts = dict(workbook_parts(), **{f"xl/media/image{n}.png": b"x" for n in range(1, 1001)})
    path = write_zip(tmp_path / "parts.xlsx", parts)
    message, _, _ = refused(xlsx.load, path)
    assert message == ("parts.xlsx: more than 1,000 parts (1,009, the next is 'xl/media/image992.png'); "
                       "refused")


def test_overlapping_parts_are_refused(tmp_path):
    parts = dict(workbook_parts(), **{"xl/worksheets/sheet2.xml": b"<worksheet/>"})
    path = write_zip(tmp_path / "overlap.xlsx", parts, same_data=(SHEET, "xl/worksheets/sheet2.xml"))
    message, _, _ = refused(xlsx.load, path)
    assert message.startswith("overlap.xlsx: parts ") and message.endswith(
        "overlap in the file; refused, it may be a zip bomb")


def test_a_compression_method_office_does_not_use_is_refused(tmp_path):
    path = tmp_path / "bzip2.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in workbook_parts().items():
            z.writestr(name, data, compress_type=zipfile.ZIP_BZIP2 if name == SHEET else zipfile.ZIP_DEFLATED)
    message, _, _ = refused(xlsx.load, path)
    assert message == ("bzip2.xlsx: part 'xl/worksheets/sheet1.xml' is compressed with method 12, which "
                       "Office files do not use; refused")


def test_a_lying_directory_only_ever_gives_the_declared_size(tmp_path, sheet_bomb):
    """The directory says 2 kB; the data unpacks to 1 GiB. zipfile stops at the declared size, so
    openpyxl gets 2 kB of XML and fails on it: one line, quickly, in little memory."""
    path = write_zip(tmp_path / "lies.xlsx", dict(workbook_parts(), **{SHEET: sheet_bomb}),
                     declared={SHEET: 2000})
    archive.check_zip(path)  # nothing to see in the directory
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ParseError) as e:
            load_file(path)
        seconds, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(e.value).startswith("lies.xlsx: ") and "\n" not in str(e.value)
    assert seconds < 2.0 and peak < 20_000_000, (seconds, peak)


def test_real_files_pass_the_check(tmp_path):
    wb = write_zip(tmp_path / "ok.xlsx", workbook_parts())
    assert [p.code for p in xlsx.load(wb).procedures] == ["1.001193"]
    doc = write_zip(tmp_path / "ok.docx", document_parts())
    assert [p.code for p in docx_annex.load(doc).procedures] == ["1.001193"]


def test_a_file_that_is_not_a_zip_is_left_to_the_reader(tmp_path):
    path = tmp_path / "text.xlsx"
    path.write_text("Mã TTHC,Tên TTHC\n", encoding="utf-8")
    archive.check_zip(path)
    with pytest.raises(ParseError, match=r"^text.xlsx: not a readable .xlsx workbook"):
        xlsx.load(path)


# -- through the command line ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, parts, part", [
    ("danh-muc.xlsx", workbook_parts, SHEET),
    ("qd-1766.docx", document_parts, DOCUMENT),
])
def test_import_of_a_bomb_is_one_error_line_and_stores_nothing(tmp_path, monkeypatch, sheet_bomb,
                                                                  document_bomb, name, parts, part):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    db = tmp_path / "qrproc.db"
    assert runner.invoke(cli, ["--db", str(db), "init", "--unit", "UBND xã Mẫu", "--province", "H31"]).exit_code == 0
    before = dump(db)
    bomb = sheet_bomb if part == SHEET else document_bomb
    write_zip(tmp_path / name, dict(parts(), **{part: bomb}))
    start = time.perf_counter()
    result = runner.invoke(cli, ["--db", str(db), "import", name])
    assert time.perf_counter() - start < 2.0
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {name}: part '{part}' would unpack to 1.1 GB (at most 25 MB per "
                             "part); refused, it may be a zip bomb\n")
    assert result.stdout == ""
    assert dump(db) == before
