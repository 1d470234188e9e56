"""Check an Office file's zip before openpyxl or python-docx unpack it (against zip bombs).

An .xlsx or .docx is a zip of XML parts, and both libraries unpack the parts they need into
memory: a 27 KB workbook whose sheet inflates to 6 GB takes the machine down before a single
row is read. `check_zip(path)` reads only the zip's directory and refuses, with one line naming
the file and the part, a file with too many parts, a part that would unpack past
`MAX_PART_BYTES`, parts that add up past `MAX_TOTAL_BYTES`, a part compressed more than
`MAX_RATIO` to 1 (zip bombs are near 1000:1; the most repetitive real Word table measured
~180:1), parts that overlap in the file (the trick that lets one compressed block be
"many" parts), and a compression method Office files do not use.

The sizes in the directory are what the zip says, and could lie; they are still a bound on
what the readers get, because Python's zipfile stops each part at its declared size and inflates
deflate (the only method let through, with "stored") a bounded piece at a time. So a part
that says 1 KB and is really 6 GB reads as 1 KB of text (and then fails its CRC or its XML).

A file that is not a zip at all is left to the reader, which says so in its own words.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from qrproc.errors import ParseError
from qrproc.i18n import N_, _
from qrproc.vntext import number

#: At most this many parts (a workbook has a few per sheet; a document a few plus its images).
MAX_PARTS = 1000
#: At most this much unpacked, per part and in all. The national portal's list of all 5,670
#: procedures is a 3.7 MB sheet; openpyxl takes about 26 bytes of memory per byte of a dense
#: sheet (523 MB for 20 MB), so these bound a workbook that passes near 1.3 GB.
MAX_PART_BYTES = 25_000_000
MAX_TOTAL_BYTES = 50_000_000
#: A part larger than RATIO_FLOOR unpacked may be at most MAX_RATIO times its compressed size.
MAX_RATIO = 300
RATIO_FLOOR = 1_000_000
#: The compression methods Office applications write.
METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})

_REFUSED = N_("refused, it may be a zip bomb")


def _size(n: int) -> str:
    if n >= 1_000_000_000:
        return f"{number(round(n / 1e9, 1), 'g')} GB"
    if n >= 1_000_000:
        return f"{number(round(n / 1e6, 1), 'g')} MB"
    if n >= 1000:
        return f"{number(round(n / 1e3, 1), 'g')} kB"
    return _("{n} bytes").format(n=n)


def check_zip(path: str | Path, *, max_parts: int = MAX_PARTS,
              max_part_bytes: int = MAX_PART_BYTES, max_total_bytes: int = MAX_TOTAL_BYTES,
              max_ratio: float = MAX_RATIO, ratio_floor: int = RATIO_FLOOR) -> None:
    """Raise ParseError when the zip at `path` is too large or too odd to unpack (see above)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip (or not readable): the reader reports it
    name = path.name
    refused = _(_REFUSED)
    if len(parts) > max_parts:
        raise ParseError(_("{file}: more than {most} parts ({count}, the next is {next!r}); "
                           "refused").format(file=name, most=number(max_parts),
                                             count=number(len(parts)),
                                             next=parts[max_parts].filename))
    total = 0
    for part in parts:
        member = part.filename
        if part.compress_type not in METHODS:
            raise ParseError(_("{file}: part {part!r} is compressed with method {method}, which "
                               "Office files do not use; refused").format(
                                   file=name, part=member, method=part.compress_type))
        if part.file_size > max_part_bytes:
            raise ParseError(_("{file}: part {part!r} would unpack to {size} (at most {most} per "
                               "part); {refused}").format(
                                   file=name, part=member, size=_size(part.file_size),
                                   most=_size(max_part_bytes), refused=refused))
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > ratio_floor and ratio > max_ratio:
            raise ParseError(_("{file}: part {part!r} is compressed {ratio}:1 ({packed} unpacking "
                               "to {size}; at most {most}:1); {refused}").format(
                                   file=name, part=member, ratio=number(ratio, ",.0f"),
                                   packed=_size(part.compress_size), size=_size(part.file_size),
                                   most=number(max_ratio, ""), refused=refused))
        total += part.file_size
        if total > max_total_bytes:
            raise ParseError(_("{file}: the parts unpack to more than {most} in all (passed at "
                               "part {part!r}); {refused}").format(
                                   file=name, most=_size(max_total_bytes), part=member,
                                   refused=refused))
    in_file = sorted(parts, key=lambda p: p.header_offset)
    for part, after in zip(in_file, in_file[1:]):
        if part.header_offset + part.compress_size > after.header_offset:
            raise ParseError(_("{file}: parts {part!r} and {other!r} overlap in the file; "
                               "{refused}").format(file=name, part=part.filename,
                                                   other=after.filename, refused=refused))
