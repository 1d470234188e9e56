"""The fonts embedded in a poster PDF pass a font sanitiser, and there are only the text fonts.

Browsers (pdf.js) and some viewers run embedded fonts through OTS, the OpenType Sanitizer, and
drop a font it rejects; fontTools reading every table back is a second, independent reader.
The fonts are taken out of a real PDF with `mutool extract` (mupdf-tools).
"""

from __future__ import annotations

import shutil
import subprocess

import ots
import pytest
from fontTools.ttLib import TTFont

from qrproc import board
from qrproc.poster import Selection

from test_poster_layout import every_letter
from test_poster_pdf import AT, BOARD, JUL, new_registry


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fonts")
    if shutil.which("mutool") is None:
        pytest.fail("mutool is not installed: apt-get install mupdf-tools")
    reg = new_registry()
    board.print_posters(reg, selection=Selection.all(), as_of=JUL, out=folder / "board.pdf", at=AT)
    subprocess.run(["mutool", "extract", "board.pdf"], cwd=folder, check=True, capture_output=True)
    return sorted(folder.glob("font-*"))


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
