"""What a province office and its communes exchange: the province's catalogue going out, each
commune's bundle coming back. Pure: values in, bytes or values out; the service layer
(`qrproc.board`) reads the registry and the CLI writes the files.

* **The catalogue export** (`qrproc catalogue export`): the province's commune-level catalogue in
  force on a date, every row as the registry holds it (portal ids, fields, fees, decisions,
  effective dates), with a manifest: the province, the date, the decisions it reflects, counts,
  and the SHA-256 of its content. JSON for machines (imported as is: `sources.exchange_json`
  checks the hash and keeps every field), XLSX for people (headers the importers read).
* **The commune bundle** (`qrproc export`): a zip with the commune's coverage report (JSON), the
  catalogue it was measured against (content hash), its latest audit's evidence (photo hashes,
  codes seen), and a manifest of every member's SHA-256. With a key shared by the province, the
  manifest carries an HMAC, so an edited bundle cannot be re-hashed to pass.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping, Sequence

from qrproc.errors import ParseError
from qrproc.i18n import _
from qrproc.model import CELL_WORDS_VI, Procedure
from qrproc.states import MISSING, POSTED, STALE

CATALOGUE_FORMAT = "qrproc-catalogue/1"
BUNDLE_FORMAT = "qrproc-bundle/1"
BUNDLE_MEMBERS = ("report.json", "catalogue.json", "audit.json")
#: Member size cap when a bundle is read (a report of 430 procedures is about 200 kB).
MAX_MEMBER = 20_000_000


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def content_sha256(procedures: Iterable[Procedure]) -> str:
    """The SHA-256 of a catalogue's content (its rows as the registry holds them, in order)."""
    return hashlib.sha256(_canonical([p.to_dict() for p in procedures])).hexdigest()


# -- the province's catalogue ---------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogueExport:
    """The province's catalogue for communes on `as_of`, and its manifest."""

    province: str
    as_of: date
    decisions: tuple[tuple[str, date], ...]   # (decision, effective) of the list and amendments
    procedures: tuple[Procedure, ...]

    @property
    def sha256(self) -> str:
        return content_sha256(self.procedures)

    @property
    def manifest(self) -> dict:
        return {"format": CATALOGUE_FORMAT, "province": self.province,
                "as_of": self.as_of.isoformat(),
                "decisions": [{"decision": d, "effective": e.isoformat()} for d, e in self.decisions],
                "counts": {"procedures": len(self.procedures),
                           "in_force": sum(p.applies_on(self.as_of) for p in self.procedures),
                           "with_portal_id": sum(bool(p.portal_id) for p in self.procedures)},
                "sha256": self.sha256}

    def to_json(self) -> str:
        return json.dumps({"manifest": self.manifest,
                           "procedures": [p.to_dict() for p in self.procedures]},
                          ensure_ascii=False, indent=1)


#: XLSX columns: header text (as the importers read it) and the Procedure field.
XLSX_COLUMNS = (("Mã TTHC", "code"), ("Tên TTHC", "name"), ("Lĩnh vực", "field"),
                ("Cấp thực hiện", "levels"), ("Cơ quan thực hiện", "agency"),
                ("ID trên Cổng", "portal_id"), ("Thời hạn giải quyết", "processing_time"),
                ("Phí, lệ phí", "fees"), ("Quyết định công bố", "decision"),
                ("Ngày quyết định", "decision_date"), ("Ngày hiệu lực", "effective"),
                ("Tình trạng", "status"), ("Loại TTHC", "kind"), ("Cơ quan ban hành", "promulgator"))
def _cell(p: Procedure, name: str) -> object:
    value = getattr(p, name)
    if name == "levels":
        return ", ".join(CELL_WORDS_VI["levels"].get(v, v) for v in value)
    if name == "status":
        return CELL_WORDS_VI["status"][value]
    if name == "kind":
        return CELL_WORDS_VI["kind"].get(value, value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value or ""


def append_row(ws, values: Sequence[object]) -> None:
    """Append a row of values to an openpyxl sheet as values: a text starting with '=' stays
    text (openpyxl would otherwise store it as a formula for the spreadsheet to run)."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def catalogue_xlsx(export: CatalogueExport) -> bytes:
    """The export as a workbook for people: the list, then the manifest on a sheet of its own."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Danh mục TTHC"
    ws.append([h for h, _ in XLSX_COLUMNS])
    for p in export.procedures:
        append_row(ws, [_cell(p, f) for _, f in XLSX_COLUMNS])
    info = wb.create_sheet("Thông tin")
    m = export.manifest
    for key, value in (("Định dạng", m["format"]), ("Tỉnh", m["province"]),
                       ("Danh mục tại ngày", export.as_of.strftime("%d/%m/%Y")),
                       ("Quyết định", "; ".join(f"{d['decision']} (hiệu lực {d['effective']})"
                                                for d in m["decisions"])),
                       ("Số TTHC", m["counts"]["procedures"]), ("SHA-256", m["sha256"])):
        info.append([key, value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_catalogue_json(text: str, where: str) -> tuple[dict, tuple[Procedure, ...]]:
    """The manifest and rows of a catalogue export; ParseError when its content does not match
    the SHA-256 its manifest states (the file was changed after export)."""
    try:
        data = json.loads(text)
        manifest = data["manifest"]
        rows = tuple(Procedure.from_dict(d) for d in data["procedures"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(_("{where}: not a readable qrproc catalogue export ({problem})").format(
            where=where, problem=exc)) from None
    if manifest.get("format") != CATALOGUE_FORMAT:
        raise ParseError(_("{where}: unknown export format {format!r}").format(
            where=where, format=manifest.get("format")))
    if content_sha256(rows) != manifest.get("sha256"):
        raise ParseError(_("{where}: its content does not match the SHA-256 its manifest states: the "
                           "file was changed after the province exported it; ask for it again")
                         .format(where=where))
    return manifest, rows


def is_catalogue_export(data: object) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("manifest"), dict)
            and data["manifest"].get("format") == CATALOGUE_FORMAT)


# -- the commune's bundle -------------------------------------------------------------------------

def write_bundle(report_json: Mapping, catalogue_info: Mapping, audit_info: Mapping | None, *,
                 key: bytes | None = None) -> bytes:
    """A zip of the commune's report, the catalogue it was measured against and its latest
    audit, with a manifest of their SHA-256 (and an HMAC of the manifest with `key`)."""
    members = {"report.json": _canonical(report_json), "catalogue.json": _canonical(catalogue_info),
               "audit.json": _canonical(audit_info or {})}
    manifest = {"format": BUNDLE_FORMAT,
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}}
    if key:
        manifest["hmac_sha256"] = hmac.new(key, _canonical(manifest["files"]), "sha256").hexdigest()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("manifest.json", json.dumps(manifest, indent=1))
    return out.getvalue()


@dataclass(frozen=True)
class Bundle:
    """A commune's bundle as read back: what it says, and whether it verifies (`problem` says
    why not)."""

    name: str
    report: dict
    catalogue: dict
    audit: dict
    verified: bool
    problem: str = ""


def read_bundle(data: bytes, name: str, *, key: bytes | None = None) -> Bundle:
    """Read a bundle and check every member against the manifest (and its HMAC with `key`). A
    bundle that does not verify is returned with `verified=False` and the reason, never dropped."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = {i.filename: i for i in z.infolist()}
            if any(i.file_size > MAX_MEMBER for i in infos.values()):
                return Bundle(name, {}, {}, {}, False, _("a member is too large to be a bundle"))
            blobs = {n: z.read(n) for n in infos if n in (*BUNDLE_MEMBERS, "manifest.json")}
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        return Bundle(name, {}, {}, {}, False,
                      _("not a readable bundle ({problem})").format(problem=exc))
    try:
        manifest = json.loads(blobs["manifest.json"])
        parts = {n: json.loads(blobs[n]) for n in BUNDLE_MEMBERS}
    except (KeyError, ValueError) as exc:
        return Bundle(name, {}, {}, {}, False,
                      _("a part is missing or unreadable ({problem})").format(problem=exc))
    if not isinstance(manifest, dict) or not all(isinstance(v, dict) for v in parts.values()):
        return Bundle(name, {}, {}, {}, False, _("a part is not a JSON object"))
    files = manifest.get("files") or {}
    if not isinstance(files, dict):
        return Bundle(name, {}, {}, {}, False, _("a part is not a JSON object"))
    problem = ""
    changed = [n for n in BUNDLE_MEMBERS if hashlib.sha256(blobs[n]).hexdigest() != files.get(n)]
    if manifest.get("format") != BUNDLE_FORMAT:
        problem = _("unknown bundle format {format!r}").format(format=manifest.get("format"))
    elif changed:
        problem = _("{members} changed after export (SHA-256 does not match the manifest)").format(
            members=", ".join(changed))
    elif key is not None:
        expected = hmac.new(key, _canonical(files), "sha256").hexdigest()
        if not hmac.compare_digest(expected, str(manifest.get("hmac_sha256", ""))):
            problem = _("the manifest's HMAC does not match the province's key")
    return Bundle(name, parts["report.json"], parts["catalogue.json"], parts["audit.json"],
                  not problem, problem)


def applicable_codes(report_json: Mapping) -> set[str]:
    """The codes a commune's report counts in its denominator."""
    rows = report_json.get("procedures")
    return {r["code"] for r in (rows if isinstance(rows, list) else ())
            if isinstance(r, dict) and r.get("code") and r.get("state") in (POSTED, STALE, MISSING)}


def province_codes(export_procedures: Sequence[Procedure], day: date) -> set[str]:
    """The codes of the province's list that apply to communes on `day`."""
    return {p.code for p in export_procedures if p.code and p.applies_on(day)}
