"""JSON procedure lists: the new national portal's API (dichvucong.gov.vn/api/v1, design/sources.md
§1.3-1.4), and the other shapes public crawls and exports write.

Accepted shapes: a list response `{"code":"OK","data":{"items":[…],"lastId":…,"total":N}}`, a
bare list of items, JSON Lines of items, a detail response `{"code":"OK","data":{…}}`, or a list
of detail objects. List items and details share the fields qrproc needs (code, name, id, the
field, the type and promulgator); only details carry the level flags, processing times, fees and
the publishing decision, so a file of list items says nothing of what a commune receives
(`Catalogue.levels_given` is False).

Objects that are not the portal's own (a crawler's index with `ma_tthc`, `ten_tthc`, `linh_vuc`,
`cap_thuc_hien`, `isWard`, `url`; the old gateway's list with `TTHC_MA`, `NAME`; a master list
with `linhVuc` and English status words) are read by their keys, matched like table headers
(`columns.match_header`: Vietnamese with or without diacritics, camelCase or snake_case); keys
nothing reads are named in a warning.

Fees are printed as the portal states them: the amount with its currency (USD is not "đồng") and
the fee's own description (per page, tiers, exemptions); a zero whose description says the
provincial council sets the amount reads "Theo mức do HĐND tỉnh quyết định"; "Không" only for a
fee the portal lists as zero with nothing more said.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import re

from qrproc.errors import ParseError
from qrproc.i18n import N_, _
from qrproc.i18n import place as shown
from qrproc.model import (
    FLAG_CODE_FIXED,
    FLAG_NAME_BROKEN,
    FLAG_NO_CODE,
    IN_FORCE,
    KIND_INTERNAL,
    KIND_NATIONAL,
    KIND_SPECIFIC,
    Catalogue,
    Procedure,
    fold,
    looks_broken,
    make_procedure,
    nfc,
    parse_date,
    parse_kind,
    parse_levels,
    parse_status,
    portal_id_in,
    strip_list_number,
)
from qrproc.sources.columns import header_key, match_header
from qrproc.sources.tabular import (
    build_catalogue,
    code_fixed_warning,
    ignored_warning,
    no_code_warning,
    quote,
    split_decision,
)
from qrproc.vntext import check_cells, decode_bytes, line_place

ENVELOPE_OK = "OK"
#: Portal `state` values of a procedure in force.
LIVE_STATES = ("ACTIVE", "UPDATED")
#: Level flags of a detail -> Procedure level.
LEVEL_FLAGS = (("isWard", "commune"), ("isProvince", "province"), ("isMinistry", "central"),
               ("isOtherAgency", "other"), ("isVertical", "other"))
#: The portal's `type` -> Procedure.kind.
PORTAL_TYPES = {"STANDARD": KIND_NATIONAL, "SPECIFIC": KIND_SPECIFIC,
                "STANDARD_INTERNAL": KIND_INTERNAL}
SUBMISSION_METHODS = {"DIRECT": "Trực tiếp", "ONLINE": "Trực tuyến",
                      "POSTAL": "Dịch vụ bưu chính"}
TIME_UNITS = {"WORKING_DAY": "ngày làm việc", "DAY": "ngày", "HOUR": "giờ", "MONTH": "tháng",
              "YEAR": "năm", "WEEK": "tuần"}
#: Unit meaning "see the cases": the per-case `processingDay` is authoritative then.
UNIT_OTHER = "OTHER"
NO_FEE = "Không"
CURRENCY = "đồng"
#: Printed for a fee whose amount the provincial council sets (the portal writes value 0).
COUNCIL_FEE = "Theo mức do HĐND tỉnh quyết định"
#: Currency ids seen in the portal's fee objects (when `currencyName` is missing).
CURRENCY_IDS = {"019b3fb2-b5b8-70ac-85e2-9409ec1eaffa": CURRENCY,
                "019b3fb2-dee2-76ab-aa53-22d4d903a2bb": "USD"}
#: Folded currency names -> what the poster prints.
CURRENCY_NAMES = {"viet nam dong": CURRENCY, "vnd": CURRENCY, "dong": CURRENCY, "vnd dong": CURRENCY,
                  "usd": "USD", "do la my": "USD", "eur": "EUR", "euro": "EUR"}
_COUNCIL = re.compile(r"\b(?:hoi dong nhan dan|hdnd)\b")
#: Keys of the portal's own objects that say a detail's level (a list item has none of them).
LEVEL_KEYS = tuple(flag for flag, _ in LEVEL_FLAGS) + ("isUndetermined",)


def load(path: str | Path, **kw) -> Catalogue:
    """Read a saved portal response (.json) or a JSON Lines catalogue (.jsonl)."""
    path = Path(path)
    return parse_portal_json(decode_bytes(path.read_bytes(), path.name), path.name)


def parse_portal_json(text: str, where: str) -> Catalogue:
    """Parse any of the accepted JSON shapes (or JSON Lines) into a Catalogue."""
    if '"qrproc-catalogue/' in text[:4000]:
        return _province_export(text, where)
    items, total = _items(text, where)
    procedures, warnings, ignored = [], [], []
    levels_given = False
    for spot, obj in items:
        if is_portal_object(obj):
            proc = procedure_from_portal(obj, f"{where}, {spot}")
            levels_given = levels_given or any(k in obj for k in LEVEL_KEYS)
        else:
            proc, unused = procedure_from_record(obj, f"{where}, {spot}")
            ignored.extend(unused)
            levels_given = levels_given or bool(proc.levels)
        procedures.append(proc)
        warnings.extend(_warnings(proc, obj))
    return build_catalogue(where, procedures, warnings + ignored_warning(where, ignored),
                           total=total, strict=False, levels_given=levels_given)


def _province_export(text: str, where: str) -> Catalogue:
    """The province's catalogue export (`qrproc catalogue export`): every row as the province's
    registry holds it, checked against the SHA-256 its manifest states."""
    from qrproc.exchange import read_catalogue_json

    manifest, rows = read_catalogue_json(text, where)
    rows = tuple(p.replace(origin=f"{where}, {p.code or 'row'}") if not p.origin else p
                 for p in rows)
    return Catalogue(source=where, procedures=rows, levels_given=True,
                     export_sha256=manifest["sha256"])


def is_portal_object(obj: object) -> bool:
    """True for the portal's own list items and details (`name` with `code`/`codeNotation`)."""
    return isinstance(obj, dict) and "name" in obj and ("code" in obj or "codeNotation" in obj)


def procedure_from_portal(obj: dict, where: str) -> Procedure:
    """One portal list item or detail object as a Procedure (origin = `where`)."""
    if not isinstance(obj, dict):
        raise ParseError(not_an_object(where, obj))
    name = strip_list_number(nfc(obj.get("name")))
    if not name:
        raise ParseError(_("{where}: procedure {code!r} has no name").format(
            where=shown(where), code=nfc(obj.get("code"))))
    try:
        return _procedure(obj, name, where)
    except (AttributeError, TypeError) as exc:  # a list where an object was expected, etc.
        raise ParseError(_("{where}: unexpected shape of a portal procedure ({problem})").format(
            where=shown(where), problem=exc)) from None
    except ValueError as exc:
        raise ParseError(f"{shown(where)}: {exc}") from None


#: The Python type of a JSON value, as a message names it (the English is the type's own name).
_JSON_TYPES = {"dict": N_("dict"), "list": N_("list"), "str": N_("str"), "int": N_("int"),
               "float": N_("float"), "bool": N_("bool"), "NoneType": N_("NoneType")}


def json_type(value: object) -> str:
    """What kind of JSON value `value` is, for a message: 'int' (in Vietnamese 'số')."""
    name = type(value).__name__
    return _(_JSON_TYPES[name]) if name in _JSON_TYPES else name


def not_an_object(where: str, obj: object) -> str:
    return _("{where}: expected a procedure object, found {type}").format(
        where=shown(where), type=json_type(obj))


def not_a_number(where: str, key: str, value: object) -> str:
    return _("{where}: '{key}' is not a number: {value!r}").format(where=shown(where), key=key, value=value)


# Boolean keys of crawler indexes that give a level ('isWard': true).
_RECORD_FLAGS = {header_key(flag): level for flag, level in LEVEL_FLAGS}
_TRUE = ("true", "1", "yes", "có", "x")


def procedure_from_record(obj: object, where: str) -> tuple[Procedure, list[str]]:
    """An object that is not the portal's own, read by its keys; and the keys nothing read."""
    if not isinstance(obj, dict):
        raise ParseError(not_an_object(where, obj))
    values: dict[str, object] = {}
    ids: list[object] = []
    levels: list[str] = []
    unused: list[str] = []
    for key, value in obj.items():
        flag = _RECORD_FLAGS.get(header_key(key))
        if flag is not None:
            if value is True or str(value).strip().lower() in _TRUE:
                levels.append(flag)
            continue
        name = match_header(str(key))
        if name == "portal_id":
            ids.append(value)
        elif name is not None and name not in values:
            values[name] = value
        elif name is None:
            unused.append(str(key))
    text = {k: _record_text(v) for k, v in values.items()}
    name = strip_list_number(text.get("name", ""))
    if not name:
        keys = ", ".join(repr(k) for k in list(obj)[:8])
        raise ParseError(_("{where}: procedure {code!r} has no name (looked for 'name', "
                           "'ten_tthc', 'Tên TTHC'…; the object has {keys})").format(
                               where=shown(where), code=text.get("code", ""), keys=keys))
    check_cells([name, text.get("field", ""), text.get("agency", "")], shown(where))
    decision, decision_date = split_decision(text.get("decision", ""))
    try:
        levels[:0] = parse_levels(text["levels"]) if text.get("levels") else ()
        proc = make_procedure(
            code=text.get("code", ""), name=name, origin=where,
            flags=(FLAG_NAME_BROKEN,) if looks_broken(name) else (),
            field=text.get("field", ""), levels=tuple(dict.fromkeys(levels)),
            agency=text.get("agency", ""),
            portal_id=next((found for v in ids if (found := portal_id_in(_record_text(v)))), ""),
            processing_time=text.get("processing_time", ""), fees=text.get("fees", ""),
            decision=decision, decision_date=parse_date(values.get("decision_date")) or decision_date,
            effective=parse_date(values.get("effective")),
            status=parse_status(text.get("status", "")),
            replaced_by=text.get("replaced_by", ""), kind=parse_kind(text.get("kind", "")),
            promulgator=text.get("promulgator", ""))
    except ValueError as exc:
        raise ParseError(f"{shown(where)}: {exc}") from None
    return proc, unused


def _record_text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(nfc(v.get("name") if isinstance(v, dict) else v) for v in value if v)
    if isinstance(value, dict):
        return nfc(value.get("name"))
    return nfc(value)


def _procedure(obj: dict, name: str, where: str) -> Procedure:
    field, agency = _field(obj), _agency(obj)
    check_cells([name, field, agency], shown(where))
    proposal = obj.get("procedureProposal") or {}
    code = obj.get("code") or obj.get("codeNotation")
    # Spaces inside the portal's code string are a data-entry slip (' 1.014325'): flag them.
    spaced = isinstance(code, str) and code != code.strip()
    flags = ((FLAG_CODE_FIXED,) if spaced else ()) + ((FLAG_NAME_BROKEN,) if looks_broken(name) else ())
    kind = PORTAL_TYPES.get(str(obj.get("type") or ""), "")
    if obj.get("isInternal") is True:
        kind = KIND_INTERNAL
    return make_procedure(
        code=code,
        name=name,
        origin=where,
        flags=flags,
        kind=kind,
        promulgator=_promulgator(obj),
        field=field,
        levels=tuple(level for flag, level in LEVEL_FLAGS if obj.get(flag) is True),
        agency=agency,
        portal_id=portal_id_in(obj.get("id")),
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
    """The fees as the portal states them, one text per execution method when they differ.

    '' when the detail lists no fee at all (unknown: the poster says it is unverified).
    """
    per_method: dict[str, list[str]] = {}
    for method in obj.get("executionMethods") or ():
        texts = per_method.setdefault(_method(method), [])
        for fee in method.get("fees") or ():
            text = fee_text(fee).rstrip(" ;.") if isinstance(fee, dict) else ""
            if text and text not in texts:
                texts.append(text)
    return _by_method(per_method, "; ")


def fee_text(fee: dict) -> str:
    """One fee object as the poster prints it.

    * value > 0: '10 USD', '100.000 đồng', followed by the description in brackets ('20 USD (Ghi
      vào Sổ việc kết hôn …)'); the description alone when it already states the amount
      ('2.000 đồng/trang; từ trang thứ 3 trở lên …, tối đa …').
    * value 0 and a description saying the council decides: 'Theo mức do HĐND tỉnh quyết
      định', then the rest of the description (exemptions).
    * value 0 and another description: the description ('Miễn phí - Trường hợp …').
    * value 0 and nothing said: 'Không'. No value at all: '' (unknown).
    """
    value = fee.get("value")
    description = _fee_description(fee.get("description"))
    amount = _amount(value, fee)
    if amount:
        number = amount.split()[0]
        if description and (number in description or description[:1].isdigit()):
            return description
        return f"{amount} ({description})" if description else amount
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        return description
    if description and _COUNCIL.search(fold(description)):
        rest = [s for s in _sentences(description) if not _COUNCIL.search(fold(s))]
        who = COUNCIL_FEE if "tinh" in fold(description) else COUNCIL_FEE.replace(" tỉnh", "")
        return ". ".join([who] + rest) + ("." if rest else "")
    return description or NO_FEE


def _sentences(text: str) -> list[str]:
    return [s.strip(" .") for s in re.split(r"(?<=\.)\s+(?=[A-ZĐÀ-Ỹ])", text) if s.strip(" .")]


def _fee_description(value: object) -> str:
    """A fee description without the portal's artefacts: a leading '- ', a stray 'Đồng'
    ('Đồng (Mức lệ phí …)', 'Miễn phí Đồng - Trường hợp …'), brackets around the whole."""
    text = nfc(value)
    text = re.sub(r"^[-+–•\s]+", "", text)
    text = re.sub(r"^Đồng\s*(?=\()", "", text)
    text = re.sub(r"^(Miễn (?:lệ )?phí)\s+Đồng\b", r"\1", text)
    if text.startswith("(") and _closing(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str) -> int:
    """The index of the bracket that closes the one at 0 (-1 when none does)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            return i
    return -1


# --- shapes ---------------------------------------------------------------------------------


Items = list[tuple[str, object]]  # (place in the source, object): ('item 3', {...}); the place is
                                  # data, written in English like every origin


def _numbered(objs: list) -> Items:
    return [(f"item {n}", obj) for n, obj in enumerate(objs, 1)]  # data: shown through place()


def _items(text: str, where: str) -> tuple[Items, int | None]:
    """The item objects with their places, and the envelope's `total`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise ParseError(_("{where}: not valid JSON (line {line} column {column}: {problem})")
                             .format(where=shown(where), line=exc.lineno, column=exc.colno,
                                     problem=exc.msg)) from None
        return _json_lines(text, where), None
    if isinstance(data, list):
        return _numbered(data), None
    if not isinstance(data, dict):
        raise ParseError(_("{where}: expected a JSON object or list, found {type}").format(
            where=shown(where), type=json_type(data)))
    if "data" not in data:
        if is_portal_object(data) or any(match_header(str(k)) == "name" for k in data):
            return _numbered([data]), None
        lists = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) == 1:  # an index wrapped in one key: {"items": […]}, {"data_gl": […]}
            return _numbered(lists[0]), None
        raise ParseError(_("{where}: not a procedure list (no 'data', no procedure fields, no list "
                           "of procedures)").format(where=shown(where)))
    return _envelope(data, where)


def _envelope(envelope: dict, where: str) -> tuple[Items, int | None]:
    if envelope.get("code") not in (ENVELOPE_OK, None):
        message = nfc(envelope.get("message")) or _("no message")
        raise ParseError(_("{where}: the portal answered {code!r}: {message}").format(
            where=shown(where), code=envelope.get("code"), message=message))
    data = envelope["data"]
    if isinstance(data, list):
        return _numbered(data), None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return _numbered(data["items"]), _total(data.get("total"), where)
    if isinstance(data, dict) and (data.get("name") or data.get("code")):
        return _numbered([data]), None
    raise ParseError(_("{where}: the portal response holds no procedures (expected data.items, a "
                       "list, or one procedure)").format(where=shown(where)))


def _json_lines(text: str, where: str) -> Items:
    items: Items = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ParseError(_("{where}: not valid JSON ({problem})").format(
                where=line_place(where, number), problem=exc.msg)) from None
    return items


def _total(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ParseError(not_a_number(where, "total", value))


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


def _promulgator(obj: dict) -> str:
    """Who promulgated it: the province's H-code or a ministry's code, else its name."""
    code = nfc(obj.get("departmentPromulgateCode"))
    name = nfc(obj.get("departmentPromulgateName") or obj.get("departmentPromulgate"))
    if not name:
        issuing = (obj.get("procedureProposal") or {}).get("issuingAgency") or {}
        name = nfc(issuing.get("name")) if isinstance(issuing, dict) else ""
    return code if re.fullmatch(r"H\d{2}", code) else (name or code)


def _agency(obj: dict) -> str:
    parts = (_names(obj.get("unitGroupsExecuting")) + _names(obj.get("departmentsExecuting"))
             + _strings(obj.get("executingAgencies")) + _strings(obj.get("departments")))
    return _join(parts)


def _status(state: object, where: str) -> str:
    if state in (None, "") or state in LIVE_STATES:
        return IN_FORCE
    raise ParseError(_("{where}: unknown portal state {state!r} (known: {known})").format(
        where=shown(where), state=state, known=", ".join(LIVE_STATES)))


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
    """(15, 'DAY') -> '15 ngày'; (0.5, 'WORKING_DAY') -> '0,5 ngày làm việc'; '' for a unit
    nobody knows (the poster then says the time is unverified, never '15 session')."""
    if not isinstance(quantity, (int, float)) or isinstance(quantity, bool) or quantity <= 0:
        return ""
    word = TIME_UNITS.get(str(unit))
    if word is None:
        return ""
    number = str(int(quantity)) if float(quantity).is_integer() else str(quantity).replace(".", ",")
    return f"{number} {word}"


def _amount(value: object, fee: dict | None = None) -> str:
    """100000 -> '100.000 đồng', 20 with currency USD -> '20 USD'; 0 or missing -> ''."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        return ""
    whole = (f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}").replace(
        ",", "\0").replace(".", ",").replace("\0", ".")
    return f"{whole} {_currency(fee or {})}"


def _currency(fee: dict) -> str:
    name = fold(nfc(fee.get("currencyName")))
    if name:
        return CURRENCY_NAMES.get(name, nfc(fee.get("currencyName")))
    by_id = CURRENCY_IDS.get(str(fee.get("currencyId") or ""))
    return by_id or "(chưa rõ đơn vị tiền)"


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
        return [no_code_warning(proc.origin, quote(proc.name))]
    if FLAG_CODE_FIXED in proc.flags:
        raw = obj.get("code") or obj.get("codeNotation")
        return [code_fixed_warning(proc.origin, repr(raw), proc.code)]
    return []
