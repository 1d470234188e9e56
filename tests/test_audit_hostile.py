"""Hostile files handed to the board audit as photos: PostScript named .jpg (which Pillow would
render by starting Ghostscript), decompression-bomb PNGs, and other things that are not photos.
Each is an 'unreadable' photo with a one-line note; no program is started, nothing is stored."""

from __future__ import annotations

import os
import struct
import time
import zlib

import pytest
from click.testing import CliRunner
from PIL import EpsImagePlugin, Image

from qrproc import audit
from qrproc.cli import cli
from qrproc.registry import Registry

from test_audit import KHAI_SINH, db, photo, registry_state, url  # noqa: F401 - db is a fixture

ACCEPTED = "JPEG, PNG, WebP or TIFF"
#: A PostScript program that never ends: Ghostscript rendering it would hang.
LOOPING_PS = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 595 842\n%%EndComments\n"
              b"{ 1 1 add pop } loop\nshowpage\n%%EOF\n")


@pytest.fixture
def ghostscript_spy(tmp_path, monkeypatch):
    """A `gs` first on PATH that only writes down that it ran, and Pillow made to look for
    Ghostscript afresh: if anything asks Pillow to render PostScript, the file shows it."""
    folder = tmp_path / "bin"
    folder.mkdir()
    ran = tmp_path / "gs-ran.txt"
    gs = folder / "gs"
    gs.write_text(f'#!/bin/sh\necho "$@" >> "{ran}"\n')
    gs.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(EpsImagePlugin, "gs_binary", None)
    return ran


def png(path, width: int, height: int):
    """A real 1-bit greyscale PNG of width × height white pixels (a few kB for any size)."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    c = zlib.compressobj(9)
    data = b"".join(c.compress(row) for _ in range(height)) + c.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def test_postscript_named_jpg_is_unreadable_and_ghostscript_never_runs(tmp_path, ghostscript_spy):
    path = tmp_path / "bang-niem-yet.jpg"
    path.write_bytes(LOOPING_PS)
    start = time.perf_counter()
    result = audit.read_photo(path)
    assert not ghostscript_spy.exists()  # no gs was started
    assert EpsImagePlugin.gs_binary is None  # Pillow never even looked for it
    assert time.perf_counter() - start < 1.0
    assert (result.status, result.note) == (
        "unreadable", f"a PostScript file, not a photo ({ACCEPTED}); not opened")
    assert result.sha256 and not result.seen


def test_a_real_eps_made_by_pillow_is_refused_the_same_way(tmp_path, ghostscript_spy):
    path = tmp_path / "anh.jpg"
    Image.new("L", (64, 64), 255).save(path, "EPS")
    with pytest.raises(audit.AuditError) as e:
        audit.decode_image(path)
    assert not ghostscript_spy.exists()
    assert str(e.value) == f"{path}: a PostScript file, not a photo ({ACCEPTED}); not opened"


@pytest.mark.parametrize("size, pixels", [((20000, 20000), "400 MP"), ((10000, 9000), "90 MP")])
def test_a_decompression_bomb_png_is_unreadable(tmp_path, size, pixels):
    """400 MP is past twice Pillow's limit (its error); 90 MP is just past it (only a warning in
    Pillow, an error here): neither is decoded."""
    path = png(tmp_path / "bom.png", *size)
    assert path.stat().st_size < 100_000
    start = time.perf_counter()
    result = audit.read_photo(path)
    assert time.perf_counter() - start < 1.0
    assert (result.status, result.note) == (
        "unreadable", f"{pixels}, more than the 89 MP a photo may have (a decompression bomb?); not opened")


def test_a_heic_photo_is_unreadable_with_what_to_do(tmp_path):
    path = tmp_path / "IMG_0042.HEIC"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))
    result = audit.read_photo(path)
    assert result.status == "unreadable"
    assert result.note.startswith(f"a HEIC photo, which is not read here ({ACCEPTED} are); on an iPhone")


@pytest.mark.parametrize("head, kind", [
    (b"%PDF-1.7\n", "a PDF document"),
    (b"GIF89a\x01\x00\x01\x00", "a GIF image"),
    (b"BM\x1e\x00\x00\x00", "a BMP image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'>", "an SVG drawing"),
])
def test_other_formats_pillow_knows_are_not_photos(tmp_path, head, kind):
    path = tmp_path / "anh.jpg"
    path.write_bytes(head + bytes(200))
    assert audit.read_photo(path).note == f"{kind}, not a photo ({ACCEPTED}); not opened"


def test_a_real_gif_is_not_opened_though_pillow_reads_gifs(tmp_path):
    path = tmp_path / "anh.jpg"
    Image.new("L", (32, 32), 255).save(path, "GIF")
    assert audit.read_photo(path).note == f"a GIF image, not a photo ({ACCEPTED}); not opened"


@pytest.mark.parametrize("name, fmt", [("bang.webp", "WEBP"), ("bang.tif", "TIFF"),
                                        ("bang.png", "PNG"), ("bang.jpg", "JPEG"),
                                        ("bang-la-png.jpg", "PNG")])
def test_photo_formats_are_read_by_content_whatever_the_name(tmp_path, name, fmt):
    sheet = photo(tmp_path, "mau.png", [url(KHAI_SINH)])
    path = tmp_path / name
    Image.open(sheet).convert("RGB").save(path, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    result = audit.read_photo(path)
    assert result.status == "ok" and [s.payload for s in result.seen] == [url(KHAI_SINH)]


def test_cli_audit_of_postscript_named_jpg_is_one_error_line_and_stores_nothing(db, tmp_path,  # noqa: F811
                                                                               ghostscript_spy):
    path = tmp_path / "bang.jpg"
    path.write_bytes(LOOPING_PS)
    reg = Registry(db)
    before = registry_state(reg)
    reg.close()
    start = time.perf_counter()
    r = CliRunner().invoke(cli, ["--db", str(db), "audit", str(path), "--date", "2026-12-15"])
    assert time.perf_counter() - start < 2.0
    assert r.exit_code == 1
    assert r.stderr == (f"Error: no readable photo: {path}: a PostScript file, not a photo "
                        f"({ACCEPTED}); not opened\n")
    assert r.stdout == "" and "Traceback" not in r.output
    assert not ghostscript_spy.exists()
    reg = Registry(db)
    try:
        assert registry_state(reg) == before
    finally:
        reg.close()
