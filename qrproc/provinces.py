"""The 34 provinces (since July 2025): their codes, and matching a province in an agency's name.

A province has three codes in the sources: the H-code of procedure codes and of the old portal
(H31), the GSO number the new portal's province list uses (33), and the old portal's agency id.
Pure: no I/O.
"""

from __future__ import annotations

import functools

import re
from dataclasses import dataclass

from qrproc.i18n import _
from qrproc.model import fold


@dataclass(frozen=True)
class Province:
    """One of the 34 provinces: the H-code used in procedure codes and by the old portal, the
    GSO code the new portal's province list uses, and the old portal's agency id."""

    hcode: str
    gso: str
    name: str
    legacy_agency_id: str


#: sources.md §3: the old gateway's agency table joined by name with the new API's province list.
PROVINCES: tuple[Province, ...] = tuple(Province(*row) for row in (
    ("H01", "91", "An Giang", "398126"),
    ("H05", "24", "Bắc Ninh", "401621"),
    ("H12", "96", "Cà Mau", "408562"),
    ("H13", "92", "Cần Thơ", "409587"),
    ("H14", "04", "Cao Bằng", "410516"),
    ("H15", "66", "Đắk Lắk", "381137"),
    ("H17", "48", "Đà Nẵng", "426100"),
    ("H18", "11", "Điện Biên", "383348"),
    ("H19", "75", "Đồng Nai", "426101"),
    ("H20", "82", "Đồng Tháp", "374613"),
    ("H21", "52", "Gia Lai", "384251"),
    ("H24", "31", "Hải Phòng", "387628"),
    ("H26", "01", "Hà Nội", "389181"),
    ("H27", "42", "Hà Tĩnh", "390693"),
    ("H29", "79", "Hồ Chí Minh", "411312"),
    ("H31", "33", "Hưng Yên", "426108"),
    ("H32", "56", "Khánh Hòa", "415139"),
    ("H35", "12", "Lai Châu", "420192"),
    ("H36", "68", "Lâm Đồng", "421149"),
    ("H37", "20", "Lạng Sơn", "417489"),
    ("H38", "15", "Lào Cai", "426105"),
    ("H41", "40", "Nghệ An", "418979"),
    ("H42", "37", "Ninh Bình", "393975"),
    ("H44", "25", "Phú Thọ", "422607"),
    ("H48", "51", "Quảng Ngãi", "365792"),
    ("H49", "22", "Quảng Ninh", "426106"),
    ("H50", "44", "Quảng Trị", "6715"),
    ("H52", "14", "Sơn La", "426103"),
    ("H53", "80", "Tây Ninh", "369810"),
    ("H55", "19", "Thái Nguyên", "370865"),
    ("H56", "38", "Thanh Hóa", "371854"),
    ("H57", "46", "Huế", "374087"),
    ("H60", "08", "Tuyên Quang", "384979"),
    ("H61", "86", "Vĩnh Long", "377087"),
))
_BY_H = {p.hcode: p for p in PROVINCES}
_BY_GSO = {p.gso: p for p in PROVINCES}


def find_province(code: str) -> Province:
    """'H31', 'h31', '33' or '033' → Hưng Yên. Raises ValueError for an unknown code."""
    text = str(code).strip().upper()
    if re.fullmatch(r"H\d{1,2}", text):
        found = _BY_H.get(f"H{int(text[1:]):02d}")
    elif text.isdigit():
        found = _BY_GSO.get(f"{int(text):02d}")
    else:
        found = None
    if found is None:
        raise ValueError(_("{code!r} is not a province code: give the H-code (H31) or the GSO "
                           "number (33) of one of the 34 provinces").format(code=code))
    return found


# -- pure: names ------------------------------------------------------------------------------
_NAME_PREFIXES = ("uy ban nhan dan ", "ubnd ", "tinh ", "thanh pho ", "tp ")


def core_name(name: str) -> str:
    """'Tỉnh Hưng Yên' → 'hung yen'; 'UBND Thành phố Đà Nẵng' → 'da nang'."""
    text = fold(name)
    changed = True
    while changed:
        changed = False
        for prefix in _NAME_PREFIXES:
            if text.startswith(prefix):
                text, changed = text[len(prefix):], True
    return text


def names_province(promulgator: str, province_name: str) -> bool:
    """Whether an agency name names the province: 'UBND tỉnh Hưng Yên', 'Sở Xây dựng - tỉnh
    Quảng Ngãi', 'Trung tâm phục vụ hành chính công Thành phố Hà Nội' (whole words, no accents)."""
    core = core_name(province_name)
    return bool(core) and f" {core} " in f" {fold(promulgator)} "


@functools.lru_cache(maxsize=1)
def _cores() -> tuple[tuple[str, Province], ...]:
    return tuple((f" {core_name(p.name)} ", p) for p in PROVINCES)


@functools.lru_cache(maxsize=4096)
def province_named_in(text: str) -> Province | None:
    """The province an agency name names ('UBND tỉnh Gia Lai' -> Gia Lai), or None.

    Whole words without accents; when two names fit, the longer wins. (Cached: a catalogue
    repeats a few dozen agency names across thousands of rows.)
    """
    folded = f" {fold(text)} "
    if folded.strip() == "":
        return None
    found = [(core, p) for core, p in _cores() if core in folded]
    return max(found, key=lambda f: len(f[0]))[1] if found else None


def province_of(code_or_name: str) -> Province | None:
    """A province from an H-code ('H21'), a local procedure code ('1.001193.000.00.00.H35') or an
    agency name; None when it names none."""
    text = str(code_or_name or "").strip()
    m = re.search(r"(?:^|\.)(H\d{2})$", text.upper())
    if m:
        return _BY_H.get(m.group(1))
    return province_named_in(text)
