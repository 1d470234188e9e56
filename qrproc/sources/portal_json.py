"""JSON from the new national portal API (dichvucong.gov.vn/api/v1, design/sources.md §1.3-1.4).

Accepted shapes: a list response `{"code":"OK","data":{"items":[…],"lastId":…,"total":N}}`, a
bare list of items, JSON Lines of items, a detail response `{"code":"OK","data":{…}}`, or a list
of detail objects. List items and details share the fields qrproc needs (code, name, id, the
field); only details carry levels, processing times, fees and the publishing decision.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from qrproc.errors import ParseError
from qrproc.model import (
    FLAG_CODE_FIXED,
    FLAG_NO_CODE,
    IN_FORCE,
    Catalogue,
    Procedure,
    make_procedure,
    nfc,
    parse_date,
)
from qrproc.sources.tabular import build_catalogue, quote
from qrproc.vntext import check_cells, decode_bytes

ENVELOPE_OK = "OK"
#: Portal `state` values of a procedure in force.
LIVE_STATES = ("ACTIVE", "UPDATED")
#: Level flags of a detail -> Procedure level.
LEVEL_FLAGS = (("isWard", "commune"), ("isProvince", "province"), ("isMinistry", "central"),
               ("isOtherAgency", "other"), ("isVertical", "other"))
SUBMISSION_METHODS = {"DIRECT": "Trực tiếp", "ONLINE": "Trực tuyến",
                      "POSTAL": "Dịch vụ bưu chính"}
TIME_UNITS = {"WORKING_DAY": "ngày làm việc", "DAY": "ngày", "HOUR": "giờ", "MONTH": "tháng",
              "YEAR": "năm", "WEEK": "tuần"}
#: Unit meaning "see the cases": the per-case `processingDay` is authoritative then.
UNIT_OTHER = "OTHER"
NO_FEE = "Không"
CURRENCY = "đồng"


def load(path: str | Path, **kw) -> Catalogue:
    """Read a saved portal response (.json) or a JSON Lines catalogue (.jsonl)."""
    path = Path(path)
    return parse_portal_json(decode_bytes(path.read_bytes(), path.name), path.name)


def parse_portal_json(text: str, where: str) -> Catalogue:
    """Parse any of the portal's JSON shapes (or JSON Lines) into a Catalogue."""
    items, total = _items(text, where)
    procedures, warnings = [], []
    for place, obj in items:
        proc = procedure_from_portal(obj, f"{where}, {place}")
        procedures.append(proc)
        warnings.extend(_warnings(proc, obj))
    return build_catalogue(where, procedures, warnings, total=total, strict=False)


def procedure_from_portal(obj: dict, where: str) -> Procedure:
    """One portal list item or detail object as a Procedure (origin = `where`)."""
    if not isinstance(obj, dict):
        raise ParseError(f"{where}: expected a procedure object, found {type(obj).__name__}")
    name = nfc(obj.get("name"))
    if not name:
        raise ParseError(f"{where}: procedure {nfc(obj.get('code'))!r} has no name")
    try:
        return _procedure(obj, name, where)
    except (AttributeError, TypeError) as exc:  # a list where an object was expected, etc.
        raise ParseError(f"{where}: unexpected shape of a portal procedure ({exc})") from None
    except ValueError as exc:
        raise ParseError(f"{where}: {exc}") from None


def _procedure(obj: dict, name: str, where: str) -> Procedure:
    field, agency = _field(obj), _agency(obj)
    check_cells([name, field, agency], where)
    proposal = obj.get("procedureProposal") or {}
    code = obj.get("code") or obj.get("codeNotation")
    # Spaces inside the portal's code string are a data-entry slip (' 1.014325'): flag them.
    spaced = isinstance(code, str) and code != code.strip()
    return make_procedure(
        code=code,
        name=name,
        origin=where,
        flags=(FLAG_CODE_FIXED,) if spaced else (),
        field=field,
        levels=tuple(level for flag, level in LEVEL_FLAGS if obj.get(flag) is True),
        agency=agency,
        portal_id=nfc(obj.get("id")),
        processing_time=processing_time(obj),
        fees=fees_text(obj),
        decision=nfc(proposal.get("proposalNumber") or obj.get("decisionNo")),
        decision_date=parse_date(proposal.get("decisionDate")),
        status=_status(obj.get("state"), where),
    )


def processing_time(obj: dict) -> str:
    """'1 ngày làm việc', or 'Trực tiếp: 15 ngày; Trực tuyến: 10 ngày' when methods differ."""
    per_method: dict[str, list[str]] = {}
    for method in obj.get("executionMethods") or ():
        times = per_method.setdefault(_method(method), [])
        for text in _method_times(method, obj):
            if text not in times:
                times.append(text)
    return _by_method(per_method, " hoặc ")


def fees_text(obj: dict) -> str:
    """'Không' when every listed fee is zero, else the amounts ('100.000 đồng'); '' if none."""
    per_method: dict[str, list[str]] = {}
    listed = False
    for method in obj.get("executionMethods") or ():
        amounts = per_method.setdefault(_method(method), [])
        for fee in method.get("fees") or ():
            listed = True
            text = _amount(fee.get("value"))
            if text and text not in amounts:
                amounts.append(text)
    if not listed:
        return ""
    return _by_method({m: a or [NO_FEE] for m, a in per_method.items()}, ", ")


# --- shapes ---------------------------------------------------------------------------------


Items = list[tuple[str, object]]  # (place in the source, object): ('item 3', {...})


def _numbered(objs: list) -> Items:
    return [(f"item {n}", obj) for n, obj in enumerate(objs, 1)]


def _items(text: str, where: str) -> tuple[Items, int | None]:
    """The item objects with their places, and the envelope's `total`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise ParseError(f"{where}: not valid JSON (line {exc.lineno} column {exc.colno}: "
                             f"{exc.msg})") from None
        return _json_lines(text, where), None
    if isinstance(data, list):
        return _numbered(data), None
    if not isinstance(data, dict):
        raise ParseError(f"{where}: expected a JSON object or list, found {type(data).__name__}")
    if "data" not in data:
        if "name" in data and ("code" in data or "codeNotation" in data):
            return _numbered([data]), None
        raise ParseError(f"{where}: not a portal response (no 'data' and no procedure fields)")
    return _envelope(data, where)


def _envelope(envelope: dict, where: str) -> tuple[Items, int | None]:
    if envelope.get("code") not in (ENVELOPE_OK, None):
        message = nfc(envelope.get("message")) or "no message"
        raise ParseError(f"{where}: the portal answered {envelope.get('code')!r}: {message}")
    data = envelope["data"]
    if isinstance(data, list):
        return _numbered(data), None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return _numbered(data["items"]), _total(data.get("total"), where)
    if isinstance(data, dict) and data.get("name"):
        return _numbered([data]), None
    raise ParseError(f"{where}: the portal response holds no procedures "
                     "(expected data.items, a list, or one procedure)")


def _json_lines(text: str, where: str) -> Items:
    items: Items = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ParseError(f"{where}, line {number}: not valid JSON ({exc.msg})") from None
    return items


def _total(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ParseError(f"{where}: 'total' is not a number: {value!r}")


# --- fields ---------------------------------------------------------------------------------


def _names(objs: object) -> list[str]:
    return [nfc(o.get("name")) for o in objs or () if isinstance(o, dict) and nfc(o.get("name"))]


def _strings(values: object) -> list[str]:
    if isinstance(values, str):
        values = [values]
    return [nfc(v) for v in values or () if nfc(v)]


def _join(parts: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(parts))


def _field(obj: dict) -> str:
    return _join(_names(obj.get("categoriesDetails")) or _names([obj.get("category")])
                 or _strings(obj.get("categories")))


def _agency(obj: dict) -> str:
    parts = (_names(obj.get("unitGroupsExecuting")) + _names(obj.get("departmentsExecuting"))
             + _strings(obj.get("executingAgencies")) + _strings(obj.get("departments")))
    return _join(parts)


def _status(state: object, where: str) -> str:
    if state in (None, "") or state in LIVE_STATES:
        return IN_FORCE
    raise ParseError(f"{where}: unknown portal state {state!r} (known: {', '.join(LIVE_STATES)})")


def _method(method: dict) -> str:
    code = nfc(method.get("submissionMethod"))
    return SUBMISSION_METHODS.get(code, code)


def _method_times(method: dict, obj: dict) -> list[str]:
    """The processing times of one execution method; unit OTHER defers to the cases."""
    unit = method.get("processingTimeUnit")
    if unit == UNIT_OTHER:
        days = [case.get("processingDay") or {} for case in obj.get("cases") or ()]
        return list(dict.fromkeys(t for d in days if (t := _duration(d.get("qty"), d.get("type")))))
    text = _duration(method.get("processingTime"), unit)
    return [text] if text else []


def _duration(quantity: object, unit: object) -> str:
    """(15, 'DAY') -> '15 ngày'; (0.5, 'WORKING_DAY') -> '0,5 ngày làm việc'."""
    if not isinstance(quantity, (int, float)) or isinstance(quantity, bool) or quantity <= 0:
        return ""
    number = str(int(quantity)) if float(quantity).is_integer() else str(quantity).replace(".", ",")
    word = TIME_UNITS.get(str(unit), nfc(unit).lower())
    return f"{number} {word}".strip()


def _amount(value: object) -> str:
    """100000 -> '100.000 đồng'; 0 or missing -> ''."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        return ""
    whole = f"{int(value):,}".replace(",", ".")
    return f"{whole} {CURRENCY}"


def _by_method(per_method: dict[str, list[str]], joiner: str) -> str:
    """One text when every method says the same, else 'Method: text; Method: text'."""
    texts = {m: joiner.join(v) for m, v in per_method.items() if v}
    if not texts:
        return ""
    distinct = list(dict.fromkeys(texts.values()))
    if len(distinct) == 1:
        return distinct[0]
    return "; ".join(f"{m}: {t}" for m, t in texts.items())


def _warnings(proc: Procedure, obj: dict) -> list[str]:
    if FLAG_NO_CODE in proc.flags:
        return [f"{proc.origin}: no procedure code for '{quote(proc.name)}'; "
                f"kept and flagged {FLAG_NO_CODE}"]
    if FLAG_CODE_FIXED in proc.flags:
        raw = obj.get("code") or obj.get("codeNotation")
        return [f"{proc.origin}: code {raw!r} read as {proc.code}; flagged {FLAG_CODE_FIXED}, "
                "check it"]
    return []
