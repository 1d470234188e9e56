"""The PDF file: objects, streams, the cross-reference table, and the embedded text fonts.

A minimal writer that knows what the posters contain: pages of one size whose content streams
are already built and compressed, and two fonts embedded as subset TrueType (CIDFontType2,
Identity-H, the font's CIDs mapped to its original glyph ids by a /CIDToGIDMap stream: see
`fonts`) with a ToUnicode map, so ``pdftotext`` gives back NFC Vietnamese. The catalogue
asks viewers to print at 100 % (/PrintScaling /None).

Why not pikepdf or fpdf2 (measured on the national catalogue, 761 pages whose streams exist):
this writes the file in about 20 ms; pikepdf takes 110 ms to add and save the pages alone,
without the fonts, and adds 12 MB of native libraries; fpdf2 would lay out and encode every page
itself, which the design notes measured at twice the cost per page (6.75 against 3 ms,
performance-detail.md §5).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Sequence

from qrproc.poster.fonts import Fonts, TrueTypeFont
from qrproc.poster.layout import Document

K = 72 / 25.4  # points per millimetre
#: libdeflate's level for every stream. On the page content of 400 catalogue procedures (2.5 MB,
#: mostly QR paths) it takes 45 ms for 0.463 MB where zlib's level 6 took 123 ms for 0.475 MB
#: (bench/encoding.py measures them side by side).
FLATE_LEVEL = 6


def flate(data: bytes) -> bytes:
    """`data` compressed for /FlateDecode (the zlib format), with libdeflate."""
    import deflate

    return deflate.zlib_compress(data, FLATE_LEVEL)


def _pdf_text(text: str) -> bytes:
    """A PDF text string (UTF-16BE with BOM, hex)."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _to_unicode(font: TrueTypeFont, codepoints: Sequence[int]) -> bytes:
    pairs = sorted({font.cid[cp]: cp for cp in codepoints if cp in font.cid}.items())
    out = [b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
           b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
           b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
           b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"]
    for i in range(0, len(pairs), 100):
        chunk = pairs[i:i + 100]
        out.append(b"%d beginbfchar\n" % len(chunk))
        for cid, cp in chunk:
            out.append(b"<%04X> <%s>\n" % (cid, chr(cp).encode("utf-16-be").hex().upper().encode()))
        out.append(b"endbfchar\n")
    out.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
    return b"".join(out)


def _widths(font: TrueTypeFont, codepoints: Sequence[int]) -> bytes:
    """The /W array's contents: each run of consecutive CIDs as ``first [w w …]``, in CID
    order, so the frequent characters come first (`fonts.CID_ORDER`)."""
    widths = sorted(font.width_of_cid(codepoints).items())
    runs: list[list[tuple[int, int]]] = []
    for cid, w in widths:
        if runs and runs[-1][-1][0] == cid - 1:
            runs[-1].append((cid, w))
        else:
            runs.append([(cid, w)])
    return b" ".join(b"%d [%s]" % (run[0][0], b" ".join(b"%d" % w for _c, w in run))
                     for run in runs)


class _Writer:
    def __init__(self, f):
        self.f = f
        self.pos = 0
        self.offsets: dict[int, int] = {}

    def write(self, data: bytes) -> None:
        self.f.write(data)
        self.pos += len(data)

    def obj(self, num: int, body: bytes) -> None:
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")

    def stream(self, num: int, entries: bytes, data: bytes) -> None:
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n<< %s /Length %d >>\nstream\n" % (num, entries, len(data)))
        self.write(data)
        self.write(b"\nendstream\nendobj\n")


def write_pdf(path: Path, doc: Document, streams: Sequence[bytes], fonts: Fonts,
              font_files: dict[bool, bytes], used: dict[bool, set[int]], *, title: str,
              created: datetime | None = None) -> int:
    """Assemble the file from page content streams; returns its size in bytes."""
    w_pt, h_pt = doc.paper.width * K, doc.paper.height * K
    n_pages = len(streams)
    font_base = 5
    per_font = 6
    page_base = font_base + 2 * per_font
    with open(path, "wb") as f:
        w = _Writer(f)
        w.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        kids = b" ".join(b"%d 0 R" % (page_base + 2 * i) for i in range(n_pages))
        # Print at 100 % by default (a "fit to printable area" of 94-97 % shrinks every module),
        # on paper of the page's size.
        w.obj(1, b"<< /Type /Catalog /Pages 2 0 R /ViewerPreferences << /DisplayDocTitle true "
                 b"/PrintScaling /None /PickTrayByPDFSize true >> >>")
        w.obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages))
        w.obj(3, b"<< /Font << /F1 %d 0 R /F2 %d 0 R >> /ProcSet [/PDF /Text] >>"
              % (font_base, font_base + per_font))
        when = (created or datetime(2000, 1, 1)).strftime("D:%Y%m%d%H%M%S").encode()
        w.obj(4, b"<< /Title %s /Producer (qrproc) /Creator (qrproc posters) /CreationDate (%s) >>"
              % (_pdf_text(title), when))
        for k, bold in enumerate((False, True)):
            face = fonts.faces[bold]
            cps = sorted(used[bold])
            tag = "".join(chr(65 + b % 26) for b in hashlib.sha1(repr(cps).encode()).digest()[:6])
            name = f"{tag}+{face.ps_name}".encode("ascii")
            base = font_base + per_font * k
            w.obj(base, b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
                        b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (name, base + 1, base + 4))
            w.obj(base + 1, b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "
                            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                            b"/FontDescriptor %d 0 R /CIDToGIDMap %d 0 R /DW 0 /W [%s] >>"
                  % (name, base + 2, base + 5, _widths(face, cps)))
            w.obj(base + 2, b"<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] "
                            b"/ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV %d "
                            b"/FontFile2 %d 0 R >>"
                  % ((name,) + face.bbox + (face.ascent, face.descent, face.cap_height,
                                            140 if bold else 80, base + 3)))
            data = font_files[bold]
            w.stream(base + 3, b"/Length1 %d /Filter /FlateDecode" % len(data), flate(data))
            w.stream(base + 4, b"/Filter /FlateDecode", flate(_to_unicode(face, cps)))
            w.stream(base + 5, b"/Filter /FlateDecode", flate(face.cid_to_gid(cps)))
        for i, content in enumerate(streams):
            num = page_base + 2 * i
            w.obj(num, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources 3 0 R "
                       b"/Contents %d 0 R >>" % (w_pt, h_pt, num + 1))
            w.stream(num + 1, b"/Filter /FlateDecode", content)
        size = page_base + 2 * n_pages
        xref = w.pos
        w.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        w.write(b"".join(b"%010d 00000 n \n" % w.offsets[i] for i in range(1, size)))
        digest = hashlib.md5(b"".join(streams[:4]) + title.encode()).hexdigest().encode()
        w.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
                % (size, digest, digest, xref))
        return w.pos
