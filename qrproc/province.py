"""The province office's roll-up: one table of every commune from the bundles they send back.

Pure: bundles (`exchange.read_bundle`) and, optionally, the province's current catalogue export
in; one `Rollup` out, rendered as HTML (self-contained, sortable), XLSX (Vietnamese headers, one
sheet per view), CSV (with a BOM) or JSON (stable keys, docs/province.md). A bundle that does not
verify is listed as such and left out of the totals, never merged silently.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Sequence

from qrproc.diff import vn_date
from qrproc.errors import ParseError
from qrproc.exchange import (Bundle, append_row, applicable_codes, province_codes, read_bundle,
                             read_catalogue_json)
from qrproc.i18n import _
from qrproc.model import Procedure
from qrproc.report import csv_text, percent, template_environment, vn_percent

# Flags of a commune's row.
FLAG_NOT_VERIFIED = "not_verified"
FLAG_OLD_CATALOGUE = "old_catalogue"
FLAG_DENOMINATOR_DIFFERS = "denominator_differs"
FLAG_NO_AUDIT = "no_audit"
FLAG_AUDIT_DISAGREES = "audit_disagrees"
FLAG_OTHER_PROVINCE = "other_province"
FLAG_SUPERSEDED = "superseded"
FLAG_WORDS = {
    FLAG_NOT_VERIFIED: "gói số liệu không xác minh được",
    FLAG_OLD_CATALOGUE: "đo theo danh mục khác danh mục hiện hành của tỉnh",
    FLAG_DENOMINATOR_DIFFERS: "mẫu số khác danh mục TTHC cấp xã của tỉnh",
    FLAG_NO_AUDIT: "chưa kiểm tra thực tế bằng ảnh",
    FLAG_AUDIT_DISAGREES: "kiểm tra ảnh không khớp sổ niêm yết",
    FLAG_OTHER_PROVINCE: "xã của tỉnh khác, không tính",
    FLAG_SUPERSEDED: "đã có gói mới hơn của cùng xã, không tính",
}
#: Flags that keep a verified row out of the totals.
NOT_COUNTED = (FLAG_NOT_VERIFIED, FLAG_OTHER_PROVINCE, FLAG_SUPERSEDED)


@dataclass(frozen=True)
class CommuneRow:
    """One commune as its bundle shows it."""

    bundle: str
    unit: str
    province: str
    as_of: date | None
    applicable: int
    posted: int
    missing: int
    stale: int
    orphan: int
    late: int
    last_audit: date | None
    audit_agrees: bool | None
    verified: bool
    catalogue_current: bool | None
    flags: tuple[str, ...]
    problem: str = ""
    missing_from_commune: tuple[str, ...] = ()
    not_in_province_list: tuple[str, ...] = ()

    @property
    def coverage_percent(self) -> float | None:
        return percent(self.posted, self.applicable) if self.verified else None

    @property
    def counted(self) -> bool:
        """In the province's totals: verified, of the province, the commune's latest bundle."""
        return not any(f in NOT_COUNTED for f in self.flags)

    @property
    def flag_text(self) -> str:
        return "; ".join(FLAG_WORDS[f] for f in self.flags)

    def to_dict(self) -> dict:
        return {"unit": self.unit, "province": self.province,
                "as_of": self.as_of.isoformat() if self.as_of else None,
                "applicable": self.applicable, "posted": self.posted,
                "coverage_percent": self.coverage_percent, "verified": self.verified,
                "catalogue_current": self.catalogue_current, "flags": list(self.flags),
                "missing": self.missing, "stale": self.stale, "orphan": self.orphan,
                "late": self.late,
                "last_audit": self.last_audit.isoformat() if self.last_audit else None,
                "audit_agrees": self.audit_agrees, "bundle": self.bundle, "problem": self.problem,
                "differs": {"missing_from_commune": list(self.missing_from_commune),
                            "not_in_province_list": list(self.not_in_province_list)}}


@dataclass(frozen=True)
class Rollup:
    """Every commune's row, the province's catalogue it was checked against, and totals over the
    verified bundles."""

    rows: tuple[CommuneRow, ...]
    catalogue_sha256: str = ""
    catalogue_as_of: date | None = None
    province: str = ""
    totals: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"province": self.province, "catalogue_sha256": self.catalogue_sha256 or None,
                "catalogue_as_of": self.catalogue_as_of.isoformat() if self.catalogue_as_of else None,
                "totals": self.totals, "communes": [r.to_dict() for r in self.rows]}


def _day(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _int(value: object) -> int:
    try:
        return max(0, int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _count(value: object) -> int:
    return len(value) if isinstance(value, (list, tuple)) else 0


def commune_row(bundle: Bundle, *, province_sha: str = "",
                province_list: Sequence[Procedure] | None = None,
                province: str = "") -> CommuneRow:
    """Pure: one bundle's row, checked against the province's catalogue when given."""
    rep = bundle.report
    as_of = _day(rep.get("as_of"))
    flags: list[str] = []
    if not bundle.verified:
        flags.append(FLAG_NOT_VERIFIED)
    elif province and str(rep.get("province", "")) != province:
        flags.append(FLAG_OTHER_PROVINCE)
    current = None
    missing_from: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    if province_sha:
        cat = bundle.catalogue
        current = (cat.get("export_sha256") == province_sha and not cat.get("amended")) or \
            cat.get("content_sha256") == province_sha
        if not current:
            flags.append(FLAG_OLD_CATALOGUE)
    if province_list is not None and as_of is not None:
        theirs, ours = applicable_codes(rep), province_codes(province_list, as_of)
        missing_from, extra = tuple(sorted(ours - theirs)), tuple(sorted(theirs - ours))
        if missing_from or extra:
            flags.append(FLAG_DENOMINATOR_DIFFERS)
    audit = rep.get("audit")
    audit = audit if isinstance(audit, dict) else None
    agrees = None
    if not audit:
        flags.append(FLAG_NO_AUDIT)
    else:
        agrees = bool(audit.get("agrees"))
        if not agrees:
            flags.append(FLAG_AUDIT_DISAGREES)
    return CommuneRow(
        bundle=bundle.name, unit=str(rep.get("unit", "")), province=str(rep.get("province", "")),
        as_of=as_of, applicable=_int(rep.get("applicable")), posted=_int(rep.get("posted")),
        missing=_count(rep.get("missing")) + _count(rep.get("no_valid_code")),
        stale=_count(rep.get("stale")), orphan=_count(rep.get("orphan")),
        late=_count(rep.get("late")), last_audit=_day(audit.get("date")) if audit else None,
        audit_agrees=agrees, verified=bundle.verified, catalogue_current=current,
        flags=tuple(flags), problem=bundle.problem, missing_from_commune=missing_from,
        not_in_province_list=extra)


def roll_up(bundles: Sequence[Bundle], *, province_sha: str = "",
            province_list: Sequence[Procedure] | None = None, province: str = "",
            catalogue_as_of: date | None = None) -> Rollup:
    """Pure: the table of every commune, sorted by coverage (lowest first, rows not counted last).
    When one commune sent several verified bundles, the one of the latest date counts and the
    others are listed as superseded; a commune of another province than the catalogue's is listed
    and not counted."""
    rows = [commune_row(b, province_sha=province_sha, province_list=province_list,
                        province=province) for b in bundles]
    latest: dict[tuple[str, str], CommuneRow] = {}
    for r in rows:
        if r.counted:
            key = (r.province, r.unit)
            if key not in latest or (r.as_of or date.min, r.bundle) > \
                    (latest[key].as_of or date.min, latest[key].bundle):
                latest[key] = r
    rows = [r if not r.counted or latest[(r.province, r.unit)] is r
            else replace(r, flags=(FLAG_SUPERSEDED, *r.flags)) for r in rows]
    rows.sort(key=lambda r: (not r.counted, r.coverage_percent if r.coverage_percent is not None
                             else 101.0, r.unit, r.bundle))
    good = [r for r in rows if r.counted]
    applicable, posted = sum(r.applicable for r in good), sum(r.posted for r in good)
    totals = {"communes": len(rows), "verified": sum(r.verified for r in rows),
              "counted": len(good), "applicable": applicable,
              "posted": posted, "coverage_percent": percent(posted, applicable),
              "full_coverage": sum(r.posted == r.applicable and r.applicable > 0 for r in good)}
    return Rollup(tuple(rows), province_sha, catalogue_as_of, province, totals)


# -- reading the files (I/O; the CLI and the web desk call these) ----------------------------------

def bundle_paths(paths: Sequence[Path]) -> list[Path]:
    """The bundles named: files as given, folders by their *.zip files (sorted)."""
    out: list[Path] = []
    for p in paths:
        out += sorted(p.glob("*.zip")) if p.is_dir() else [p]
    return out


def read_bundles(paths: Sequence[Path], *, key: bytes | None = None) -> list[Bundle]:
    """Every bundle read and checked; one that cannot be read is listed as not verified."""
    out = []
    for p in paths:
        try:
            data = p.read_bytes()
        except OSError as exc:
            out.append(Bundle(p.name, {}, {}, {}, False, _("cannot be read ({error})").format(
                error=exc.strerror or exc)))
            continue
        out.append(read_bundle(data, p.name, key=key))
    return out


def read_province_catalogue(path: Path) -> tuple[dict, tuple[Procedure, ...]]:
    """The manifest and rows of the province's catalogue export; ParseError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(_("{name}: cannot be read ({error})").format(
            name=path.name, error=getattr(exc, "strerror", None) or exc)) from None
    return read_catalogue_json(text, path.name)


def roll_up_files(paths: Sequence[Path], *, catalogue: Path | None = None,
                  key: bytes | None = None) -> Rollup:
    """`roll_up` of the bundle files and folders, checked against the province's catalogue
    export when given."""
    bundles = read_bundles(bundle_paths(paths), key=key)
    if catalogue is None:
        return roll_up(bundles)
    manifest, rows = read_province_catalogue(catalogue)
    return roll_up(bundles, province_sha=manifest["sha256"], province_list=rows,
                   province=str(manifest.get("province", "")),
                   catalogue_as_of=_day(manifest.get("as_of")))


# -- renderers --------------------------------------------------------------------------------------

COLUMNS = (("Xã, phường", "unit"), ("Tỉnh", "province"), ("Ngày số liệu", "as_of"),
           ("TTHC áp dụng", "applicable"), ("Đã niêm yết", "posted"), ("Tỷ lệ", "coverage"),
           ("Chưa niêm yết", "missing"), ("Phiên bản cũ", "stale"), ("Nhãn cần gỡ", "orphan"),
           ("Niêm yết muộn", "late"), ("Kiểm tra ảnh gần nhất", "last_audit"),
           ("Ảnh khớp sổ", "audit_agrees"), ("Xác minh được", "verified"),
           ("Đúng danh mục tỉnh", "catalogue_current"), ("Ghi chú", "flags"))


def _value(r: CommuneRow, key: str) -> object:
    if key == "coverage":
        return vn_percent(r.coverage_percent) if r.verified else "—"
    if key in ("as_of", "last_audit"):
        value = getattr(r, key)
        return vn_date(value) if value else ""
    if key in ("audit_agrees", "verified", "catalogue_current"):
        value = getattr(r, key)
        return "" if value is None else ("Có" if value else "Không")
    if key == "flags":
        return r.flag_text + (f" ({r.problem})" if r.problem else "")
    return getattr(r, key)


def render_csv(rollup: Rollup) -> str:
    """One row per commune, Vietnamese headers, UTF-8 with a BOM (so Excel reads Vietnamese); a
    commune's name is its own text, never read as a formula (report.csv_text)."""
    return csv_text([h for h, _ in COLUMNS],
                    ([_value(r, k) for _, k in COLUMNS] for r in rollup.rows))


def render_xlsx(rollup: Rollup) -> bytes:
    """Sheets: the table; the codes where a commune's denominator differs from the province's
    list; the bundles that did not verify."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.append([h for h, _ in COLUMNS])
    for r in rollup.rows:
        append_row(ws, [_value(r, k) for _, k in COLUMNS])
    diff = wb.create_sheet("Khác danh mục tỉnh")
    diff.append(["Xã, phường", "Mã TTHC", "Khác biệt"])
    for r in rollup.rows:
        for code in r.missing_from_commune:
            append_row(diff, [r.unit, code, "có trong danh mục của tỉnh, không có trong mẫu số của xã"])
        for code in r.not_in_province_list:
            append_row(diff, [r.unit, code, "có trong mẫu số của xã, không có trong danh mục của tỉnh"])
    bad = wb.create_sheet("Không xác minh được")
    bad.append(["Gói số liệu", "Xã, phường", "Lý do"])
    for r in rollup.rows:
        if not r.counted:
            append_row(bad, [r.bundle, r.unit, r.problem or r.flag_text])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render_json(rollup: Rollup) -> str:
    return json.dumps(rollup.to_json(), ensure_ascii=False, indent=2)


def render_html(rollup: Rollup) -> str:
    """One self-contained Vietnamese page (inline CSS, a few lines of inline script to sort the
    table by a column; no external URL)."""
    return template_environment().get_template("province.html").render(
        rollup=rollup, columns=COLUMNS, value=_value)
