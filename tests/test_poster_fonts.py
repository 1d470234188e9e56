"""The fonts embedded in a poster PDF pass a font sanitiser, and there are only the text fonts.

Browsers (pdf.js) and some viewers run embedded fonts through OTS, the OpenType Sanitizer, and
drop a font it rejects; fontTools reading every table back is a second, independent reader.
The fonts are taken out of a real PDF with `mutool extract` (mupdf-tools). The character codes
of the text are the fonts' own CIDs, mapped to glyph ids by a /CIDToGIDMap stream: MuPDF's trace
of the page shows which glyph each character is drawn with.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import ots
import pytest
from fontTools.ttLib import TTFont

from qrproc import board
from qrproc.poster import Selection
from qrproc.poster.fonts import default_fonts
from qrproc.vntext import VIETNAMESE_LETTERS

from test_poster_layout import every_letter
from test_poster_pdf import AT, BOARD, JUL, new_registry


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    return sorted(_board(tmp_path_factory).glob("font-*"))


@pytest.fixture(scope="module")
def board_pdf(tmp_path_factory):
    return _board(tmp_path_factory) / "board.pdf"


_made: dict[str, object] = {}


def _board(tmp_path_factory):
    if "folder" not in _made:
        folder = tmp_path_factory.mktemp("fonts")
        if shutil.which("mutool") is None:
            pytest.fail("mutool is not installed: apt-get install mupdf-tools")
        reg = new_registry()
        board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=folder / "board.pdf",
                            at=AT)
        subprocess.run(["mutool", "extract", "board.pdf"], cwd=folder, check=True,
                       capture_output=True)
        _made["folder"] = folder
    return _made["folder"]


def test_only_the_two_text_fonts_are_embedded(embedded):
    assert [p.suffix for p in embedded] == [".ttf", ".ttf"]  # no font for the QR symbols
    names = {TTFont(p)["name"].getDebugName(6) for p in embedded}
    assert names == {"BeVietnamPro-Regular", "BeVietnamPro-Bold"}


def test_the_opentype_sanitizer_accepts_them(embedded, tmp_path):
    for path in embedded:
        res = ots.sanitize(str(path), str(tmp_path / path.name), capture_output=True)
        assert res.returncode == 0, (path.name, res.stderr.decode())


def test_fonttools_reads_every_table_back_with_the_letters_used(embedded):
    used = {ord(c) for p in BOARD for c in p.name if not c.isspace()}
    assert {ord(c) for c in every_letter()} <= used  # the board uses every Vietnamese letter
    for path in embedded:
        font = TTFont(path)
        font.ensureDecompiled()
        assert {"OS/2", "cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name", "post"} <= set(font.keys())
        glyf, cmap = font["glyf"], font.getBestCmap()
        bold = "Bold" in font["name"].getDebugName(6)
        faced = {ord(c) for p in BOARD for c in (p.name if bold else p.field + p.code)}
        for cp in faced - {32}:
            assert glyf[cmap[cp]].numberOfContours != 0, (path.name, chr(cp))  # outline kept


def test_every_character_is_drawn_with_its_own_glyph(board_pdf):
    """MuPDF reads each character's glyph through the /CIDToGIDMap and its Unicode value
    through the ToUnicode map: the glyph must be the one the font's cmap gives that letter."""
    trace = subprocess.run(["mutool", "draw", "-F", "trace", "-o", "-", str(board_pdf)],
                           check=True, capture_output=True, text=True).stdout
    fonts = default_fonts().faces
    checked: set[tuple[bool, str]] = set()
    for span in re.finditer(r'<span font="[A-Z]{6}\+([^"]+)"(.*?)</span>', trace, re.S):
        bold = span.group(1).endswith("-Bold")
        face = fonts[bold]
        assert face.ps_name == span.group(1)
        for char, glyph in re.findall(r'<g unicode="([^"]*)" glyph="(\d+)"', span.group(2)):
            char = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"'}.get(char, char)
            assert face.gid[ord(char)] == int(glyph), (span.group(1), char, glyph)
            checked.add((bold, char))
    letters = {c for bold, c in checked if c in VIETNAMESE_LETTERS}
    assert len(letters) == len(VIETNAMESE_LETTERS)  # the board uses every Vietnamese letter
    assert {bold for bold, _c in checked} == {False, True}


def test_vietnamese_letters_and_ascii_have_codes_below_256():
    """pdfium keeps a character's box only for codes below 256 (see `fonts`)."""
    for face in default_fonts().faces.values():
        assert len(set(face.cid.values())) == len(face.cid)
        for c in VIETNAMESE_LETTERS | {chr(i) for i in range(0x20, 0x7F)}:
            assert face.cid[ord(c)] < 256, c
