"""The scope rule: which procedures a unit's one-stop centre receives, and why each is in or out.

One pure rule, applied alike to a fetch, to every imported file and to every catalogue the diff,
the posters and the report read (posting-rules.md §B4: the denominator must be explicit). A
procedure is in the scope of a commune's centre (Trung tâm Phục vụ hành chính công cấp xã) when

1. it is received at the commune: the source gives it the commune level (portal flag `isWard`,
   a level column "Cấp xã", an annex group "Thủ tục hành chính cấp xã" or "… áp dụng chung"), or
   the source gives no level and its executing agency is a commune body ("Ủy ban nhân dân cấp
   xã", "Công an cấp xã"); and
2. it is a national standard procedure, or one promulgated by the unit's own province; and
3. it is not an internal procedure (thủ tục nội bộ).

The unit can add or remove procedures by code and exclude agencies (e.g. procedures run by the
commune police), each with a stated reason. Province-level procedures that the commune centre
receives on the province's behalf (the source names a commune body where they are received) are
a separate part of the scope, off by default. Everything left out keeps a `Verdict` saying why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from qrproc.i18n import N_, _, vietnamese
from qrproc.model import (
    FLAG_LEVEL_ASSUMED,
    KIND_INTERNAL,
    KIND_NATIONAL,
    LEVEL_CENTRAL,
    LEVEL_COMMUNE,
    LEVEL_DISTRICT,
    LEVEL_OTHER,
    LEVEL_PROVINCE,
    LEVEL_SHARED,
    Procedure,
    fold,
    nfc,
)
from qrproc.provinces import Province, find_province, province_of

# Why a procedure is in the scope.
IN_COMMUNE = "commune_level"
IN_SHARED = "shared_level"
IN_COMMUNE_AGENCY = "commune_agency"
IN_OWN_LIST = "own_list"
IN_PROVINCE_RECEIVED = "province_received"
IN_ADDED = "added"
# Why it is out.
OUT_PROVINCE_LEVEL = "province_level"
OUT_DISTRICT_LEVEL = "district_level"
OUT_CENTRAL_LEVEL = "central_level"
OUT_OTHER_LEVEL = "other_level"
OUT_NO_LEVEL = "no_level"
OUT_OTHER_PROVINCE = "other_province"
OUT_INTERNAL = "internal"
OUT_EXCLUDED_AGENCY = "excluded_agency"
OUT_REMOVED = "removed"

#: Every cause, in the order summaries list them.
CAUSES_IN = (IN_COMMUNE, IN_SHARED, IN_COMMUNE_AGENCY, IN_OWN_LIST, IN_PROVINCE_RECEIVED, IN_ADDED)
CAUSES_OUT = (OUT_PROVINCE_LEVEL, OUT_DISTRICT_LEVEL, OUT_CENTRAL_LEVEL, OUT_OTHER_LEVEL,
              OUT_NO_LEVEL, OUT_OTHER_PROVINCE, OUT_INTERNAL, OUT_EXCLUDED_AGENCY, OUT_REMOVED)

_REASONS_EN = {
    IN_COMMUNE: N_("commune level"),
    IN_SHARED: N_("applies at every level, the commune included"),
    IN_COMMUNE_AGENCY: N_("carried out by a commune body"),
    IN_OWN_LIST: N_("on the unit's own list"),
    IN_PROVINCE_RECEIVED: N_("province level, received at the commune centre"),
    IN_ADDED: N_("added to the scope by the unit"),
    OUT_PROVINCE_LEVEL: N_("province level"),
    OUT_DISTRICT_LEVEL: N_("district level"),
    OUT_CENTRAL_LEVEL: N_("central level"),
    OUT_OTHER_LEVEL: N_("carried out by another agency"),
    OUT_NO_LEVEL: N_("the source gives no level"),
    OUT_OTHER_PROVINCE: N_("specific to another province"),
    OUT_INTERNAL: N_("internal procedure"),
    OUT_EXCLUDED_AGENCY: N_("its agency is excluded by the unit"),
    OUT_REMOVED: N_("removed from the scope by the unit"),
}

# Commune bodies named in an agency text (folded): UBND cấp xã, UBND xã/phường, Công an cấp xã,
# Ban chỉ huy quân sự cấp xã, Trung tâm phục vụ hành chính công cấp xã …
_COMMUNE_BODY = re.compile(
    r"\bcap xa\b|\b(?:uy ban nhan dan|ubnd|chu tich(?: uy ban nhan dan| ubnd)?|cong an) "
    r"(?:cap )?(?:xa|phuong)\b|\btrung tam phuc vu hanh chinh cong (?:cap )?xa\b")

_LEVEL_OUT = {LEVEL_PROVINCE: OUT_PROVINCE_LEVEL, LEVEL_DISTRICT: OUT_DISTRICT_LEVEL,
              LEVEL_CENTRAL: OUT_CENTRAL_LEVEL, LEVEL_OTHER: OUT_OTHER_LEVEL}

#: Registry settings key holding the unit's scope choices (JSON).
SETTING_SCOPE = "scope"


@dataclass(frozen=True)
class Exclusion:
    """Procedures whose executing agency names `agency` (folded, as a phrase) are left out."""

    agency: str
    reason: str

    def matches(self, agency_text: str) -> bool:
        key = fold(self.agency)
        return bool(key) and f" {key} " in f" {fold(agency_text)} "


@dataclass(frozen=True)
class ScopeRules:
    """The unit's scope: its province, and what it chose to add, remove or exclude."""

    province: str = ""  # H-code, e.g. 'H31'; '' when unknown (no province check then)
    province_received: bool = False
    exclusions: tuple[Exclusion, ...] = ()
    added: tuple[tuple[str, str], ...] = ()    # (code, reason)
    removed: tuple[tuple[str, str], ...] = ()  # (code, reason)

    @property
    def province_info(self) -> Province | None:
        try:
            return find_province(self.province) if self.province else None
        except ValueError:
            return None

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> "ScopeRules":
        data = json.loads(settings.get(SETTING_SCOPE) or "{}")
        return cls(
            province=settings.get("province", ""),
            province_received=bool(data.get("province_received")),
            exclusions=tuple(Exclusion(nfc(e["agency"]), nfc(e.get("reason", "")))
                             for e in data.get("exclusions", ())),
            added=tuple((c, nfc(r)) for c, r in data.get("added", ())),
            removed=tuple((c, nfc(r)) for c, r in data.get("removed", ())),
        )

    def to_setting(self) -> str:
        """The JSON kept under SETTING_SCOPE (the province is its own setting)."""
        return json.dumps({
            "province_received": self.province_received,
            "exclusions": [{"agency": e.agency, "reason": e.reason} for e in self.exclusions],
            "added": [list(a) for a in self.added],
            "removed": [list(r) for r in self.removed],
        }, ensure_ascii=False)


@dataclass(frozen=True)
class Verdict:
    """Whether a procedure is in the unit's scope, the cause, and a detail (the other province's
    name, the unit's own reason)."""

    included: bool
    cause: str
    detail: str = ""

    @property
    def reason_vi(self) -> str:
        base = vietnamese(_REASONS_EN[self.cause])
        return f"{base} ({self.detail})" if self.detail else base

    @property
    def reason(self) -> str:
        """The reason in English, for JSON and logs (a value for machines: never translated)."""
        base = _REASONS_EN[self.cause]
        return f"{base} ({self.detail})" if self.detail else base

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language, for messages."""
        base = _(_REASONS_EN[self.cause])
        return f"{base} ({self.detail})" if self.detail else base


def names_commune_body(agency: str) -> bool:
    """True when an agency text names a commune body ('Ủy ban nhân dân cấp xã', 'Công an cấp Xã',
    'Ủy ban Nhân dân xã, phường, thị trấn')."""
    return bool(_COMMUNE_BODY.search(fold(agency)))


def other_province(proc: Procedure, own: Province | None) -> Province | None:
    """The other province a procedure belongs to, or None (national, own province, or unknown)."""
    if own is None or proc.kind == KIND_NATIONAL:
        return None
    for clue in (proc.code, proc.promulgator):
        found = province_of(clue) if clue else None
        if found is not None:
            return None if found.hcode == own.hcode else found
    return None


def judge(proc: Procedure, rules: ScopeRules) -> Verdict:
    """The scope verdict for one procedure (pure)."""
    for code, reason in rules.removed:
        if proc.code == code:
            return Verdict(False, OUT_REMOVED, reason)
    for code, reason in rules.added:
        if proc.code == code:
            return Verdict(True, IN_ADDED, reason)
    if proc.kind == KIND_INTERNAL:
        return Verdict(False, OUT_INTERNAL)
    elsewhere = other_province(proc, rules.province_info)
    if elsewhere is not None:
        return Verdict(False, OUT_OTHER_PROVINCE, elsewhere.name)
    verdict = _level_verdict(proc, rules)
    if verdict.included:
        for exclusion in rules.exclusions:
            if exclusion.matches(proc.agency):
                return Verdict(False, OUT_EXCLUDED_AGENCY, exclusion.reason or exclusion.agency)
    return verdict


def _level_verdict(proc: Procedure, rules: ScopeRules) -> Verdict:
    levels = proc.levels
    if LEVEL_COMMUNE in levels:
        return Verdict(True, IN_COMMUNE)
    if LEVEL_SHARED in levels:
        return Verdict(True, IN_SHARED)
    known = [level for level in levels if level in _LEVEL_OUT]
    if known:
        if rules.province_received and LEVEL_PROVINCE in known and names_commune_body(proc.agency):
            return Verdict(True, IN_PROVINCE_RECEIVED)
        return Verdict(False, _LEVEL_OUT[known[0]])
    if names_commune_body(proc.agency):
        return Verdict(True, IN_COMMUNE_AGENCY)
    if FLAG_LEVEL_ASSUMED in proc.flags:
        return Verdict(True, IN_OWN_LIST)
    return Verdict(False, OUT_NO_LEVEL)


@dataclass(frozen=True)
class Split:
    """A list of procedures split by the scope rule: what is in, and what is out with why."""

    included: tuple[Procedure, ...]
    excluded: tuple[tuple[Procedure, Verdict], ...]
    verdicts: dict[int, Verdict] = field(default_factory=dict, repr=False, compare=False)

    def counts_out(self) -> dict[str, int]:
        """Procedures left out, by cause (only causes that occur, in CAUSES_OUT order)."""
        counts = {c: 0 for c in CAUSES_OUT}
        for _proc, v in self.excluded:
            counts[v.cause] += 1
        return {c: n for c, n in counts.items() if n}


def split(procedures: Iterable[Procedure], rules: ScopeRules) -> Split:
    """Judge every procedure; keep the order within each part."""
    included, excluded = [], []
    for proc in procedures:
        verdict = judge(proc, rules)
        if verdict.included:
            included.append(proc)
        else:
            excluded.append((proc, verdict))
    return Split(tuple(included), tuple(excluded))


def describe_rule(rules: ScopeRules, unit: str = "") -> str:
    """The rule in one Vietnamese sentence, for the report's denominator."""
    prov = rules.province_info
    whose = f"UBND tỉnh {prov.name}" if prov else "UBND tỉnh"
    text = ("TTHC cấp xã (theo cấp thực hiện, nhóm \"cấp xã\" hoặc \"áp dụng chung\" của danh mục, "
            "hoặc cơ quan thực hiện là cơ quan cấp xã), thuộc danh mục TTHC thống nhất toàn quốc "
            f"hoặc do {whose} công bố, không gồm TTHC nội bộ")
    parts = []
    if rules.province_received:
        parts.append("gồm cả TTHC cấp tỉnh tiếp nhận tại Trung tâm Phục vụ hành chính công xã")
    for e in rules.exclusions:
        parts.append(f"không gồm TTHC do {e.agency} thực hiện" + (f" ({e.reason})" if e.reason else ""))
    if rules.added:
        parts.append(f"bổ sung {len(rules.added)} TTHC theo quyết định của đơn vị")
    if rules.removed:
        parts.append(f"loại {len(rules.removed)} TTHC theo quyết định của đơn vị")
    return text + ("; " + "; ".join(parts) if parts else "")


def reason_words(cause: str) -> str:
    """The words for a cause (without detail) in the current language."""
    return _(_REASONS_EN[cause])


def reason_vi(cause: str) -> str:
    """The Vietnamese words for a cause (without detail)."""
    return vietnamese(_REASONS_EN[cause])
