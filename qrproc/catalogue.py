"""The catalogue service: accept a list into the registry after the checks that keep the board
safe, and say which catalogue is in force on a date, split by the unit's scope.

Every read of "what applies on a date" goes through `catalogue_on`: the stored imports composed
by date (`qrproc.timeline`), then split by the scope rule (`qrproc.scope`). Every write goes
through `import_catalogue`, which plans the import purely (`plan_import`), refuses what would
mislead (an empty list, a list that silently drops a fifth of the one in force, a file from
which nothing applies, another province's list, a source that gives no level, a decision whose
effective date is unknown) and stores the rest in one transaction. A refused import changes
nothing; two imports at once are serialised by the registry's write lock, and amendments are
stored as their own rows, so neither is lost.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from qrproc import scope as scopemod
from qrproc.diff import Upcoming, shown_date, vn_date
from qrproc.errors import ImportRefused, QrprocError, RegistryError
from qrproc.i18n import N_, _, ngettext, option, place
from qrproc.model import (
    FLAG_CODE_CORRECTED,
    FLAG_CODE_FIXED,
    FLAG_LEVEL_ASSUMED,
    FLAG_NO_CODE,
    KIND_SPECIFIC,
    Catalogue,
    Procedure,
    fold,
    is_valid_code,
    normalise_code,
    suggest_code,
)
from qrproc.registry import Registry, Snapshot, Summary
from qrproc.scope import ScopeRules, Split
from qrproc.timeline import AMEND, FULL, Entry, Timeline

#: Refuse a list that drops more than this share of the previous list's procedures.
MAX_DROP = 0.20
#: A file is another province's list when its province-specific rows are all that province's and
#: number at least this many, or more than this share of its coded rows.
OTHER_PROVINCE_ROWS = 3
OTHER_PROVINCE_SHARE = 0.25

# Where a list's date came from (ImportPlan.effective_source).
FROM_OPTION = "option"        # --effective
FROM_CLAUSE = "clause"        # the decision's "có hiệu lực …" article
FROM_ROWS = "rows"            # the rows' own dates
FROM_TODAY = "today"          # nothing said: the import day


# -- reading: the catalogue in force ------------------------------------------------------------

@dataclass(frozen=True)
class CatalogueView:
    """The catalogue in force on `day`, split by the unit's scope.

    `base` is the full list in force and `amendments` the amending imports applied on top of it
    (the decision chain); `included` are the procedures in the unit's scope (the denominator's
    candidates: applicable or not on `day`, abolished and replaced ones included) and `excluded`
    the ones left out, each with its `scope.Verdict`.
    """

    day: date
    base: Snapshot
    amendments: tuple[Snapshot, ...]
    rules: ScopeRules
    split: Split

    @property
    def included(self) -> tuple[Procedure, ...]:
        return self.split.included

    @property
    def excluded(self) -> tuple[tuple[Procedure, scopemod.Verdict], ...]:
        return self.split.excluded

    @property
    def applicable(self) -> tuple[Procedure, ...]:
        """Coded procedures in scope that apply on `day`."""
        return tuple(p for p in self.included if p.code and p.applies_on(self.day))


def scope_rules(registry: Registry) -> ScopeRules:
    """The unit's scope rule (its province and its choices)."""
    return ScopeRules.from_settings(registry.settings())


def set_scope(registry: Registry, *, exclude: tuple[tuple[str, str], ...] = (),
              include: tuple[str, ...] = (), add: tuple[tuple[str, str], ...] = (),
              remove: tuple[tuple[str, str], ...] = (), province_received: bool | None = None,
              reset: bool = False, at: datetime) -> ScopeRules:
    """Change the unit's scope choices and store them (logged). `exclude` leaves out procedures
    whose agency names an agency, `include` takes an exclusion back; `add` / `remove` put a code in
    or out of the scope; each with the unit's reason. Returns the rules now in force."""
    current = ScopeRules(province=registry.get_setting("province", "")) if reset else scope_rules(registry)
    for name, reason in list(add) + list(remove):
        if not reason.strip():
            raise QrprocError(_("{name}: give the reason the unit adds or removes it "
                                "(--reason)").format(name=name))
    for agency, reason in exclude:
        if not reason.strip():
            raise QrprocError(_("'{agency}': give the reason the unit leaves it out "
                                "(--reason)").format(agency=agency))
    drop = {fold(a) for a in include} | {fold(a) for a, _ in exclude}
    exclusions = tuple(e for e in current.exclusions if fold(e.agency) not in drop) + tuple(
        scopemod.Exclusion(a.strip(), r.strip()) for a, r in exclude)
    changed = {c for c, _ in add} | {c for c, _ in remove}
    rules = ScopeRules(
        province=current.province,
        province_received=current.province_received if province_received is None else province_received,
        exclusions=exclusions,
        added=tuple(a for a in current.added if a[0] not in changed) + tuple(add),
        removed=tuple(r for r in current.removed if r[0] not in changed) + tuple(remove))
    with registry.change("scope", at=at) as change:
        registry.set_settings({scopemod.SETTING_SCOPE: rules.to_setting()}, at=at)
        change.summary = Summary(N_("scope: {rule}"), {"rule": scopemod.describe_rule(rules)[:200]})
    return rules


@dataclass(frozen=True)
class ExclusionEffect:
    """What one of the unit's agency exclusions leaves out of the catalogue in force: `matched`
    procedures name the agency; `no_agency` of the catalogue's procedures name none at all (a
    list without an agency column), so no exclusion can reach them."""

    exclusion: scopemod.Exclusion
    matched: int
    no_agency: int


def exclusion_effects(registry: Registry, day: date) -> list[ExclusionEffect]:
    """For each agency exclusion of the unit, how many procedures of the catalogue in force on
    `day` it leaves out (empty without exclusions or without a catalogue in force)."""
    view = catalogue_on(registry, day)
    if view is None or not view.rules.exclusions:
        return []
    procs = list(view.included) + [p for p, _v in view.excluded]
    no_agency = sum(1 for p in procs if not p.agency.strip())
    return [ExclusionEffect(e, sum(1 for p in procs if e.matches(p.agency)), no_agency)
            for e in view.rules.exclusions]


def timeline(registry: Registry) -> tuple[Timeline, dict[int, Snapshot]]:
    """Every stored import composed by date (with the codes corrected by hand applied), and the
    snapshots by id."""
    snapshots = {s.id: s for s in registry.snapshots()}
    rows = registry.all_snapshot_procedures()
    fixes, links = registry.corrections(), registry.links()
    entries = [Entry(s.id, s.timeline_kind, s.effective, s.decision, s.source,
                     _corrected(rows.get(s.id, ()), fixes, links) if fixes or links
                     else rows.get(s.id, ()))
               for s in snapshots.values()]
    return Timeline(entries), snapshots


def _corrected(rows: tuple[Procedure, ...], fixes: dict[tuple[str, str], str],
               links: dict[str, str]) -> tuple[Procedure, ...]:
    """Rows with the codes corrected by hand and the portal ids resolved by code applied."""
    out = []
    for p in rows:
        code = fixes.get((p.origin, p.raw_code)) if p.raw_code or not p.code else None
        if code:
            flags = tuple(f for f in p.flags if f not in (FLAG_NO_CODE, FLAG_CODE_FIXED))
            p = p.replace(code=code, flags=flags + (FLAG_CODE_CORRECTED,))
        if p.code and not p.portal_id and p.code in links:
            p = p.replace(portal_id=links[p.code])
        out.append(p)
    return tuple(out)


@dataclass(frozen=True)
class LinkPlan:
    """What resolving portal ids by code found for the catalogue in force: the ids found, the
    codes with more than one candidate (kept as search links), and those the list lacks."""

    found: dict[str, str]
    ambiguous: tuple[str, ...]
    absent: tuple[str, ...]


def codes_without_ids(registry: Registry, day: date) -> list[str]:
    """The codes in scope on `day` whose card would link to the portal's search."""
    view = required_catalogue(registry, day)
    return sorted({p.code for p in view.included if p.code and not p.portal_id})


def store_links(registry: Registry, plan: LinkPlan, *, source: str, at: datetime) -> int:
    """Record the ids `plan` found (one change in the journal); returns how many were new."""
    with registry.change("links", at=at) as change:
        added = registry.add_links(plan.found, source=source, at=at)
        change.summary = Summary(
            N_("{ids}; {several} and {absent} not in the list keep a search link"),
            {"ids": Summary.counted(added, N_("{n} portal id from {source}"),
                                    N_("{n} portal ids from {source}"), source=source),
             "several": Summary.counted(len(plan.ambiguous), N_("{n} code with several ids"),
                                        N_("{n} codes with several ids")),
             "absent": len(plan.absent)})
    return added


@dataclass(frozen=True)
class CodeProblem:
    """A row of the catalogue in force whose code is missing or invalid, and a suggestion."""

    origin: str
    name: str
    raw_code: str
    suggestion: str


def code_problems(registry: Registry, day: date) -> list[CodeProblem]:
    """The rows in scope on `day` without a valid code (they count as missing until corrected),
    each with the one known code it most likely meant."""
    view = required_catalogue(registry, day)
    known = {p.code for rows in registry.all_snapshot_procedures().values() for p in rows if p.code}
    return [CodeProblem(p.origin, p.name, p.raw_code, suggest_code(p.raw_code, known))
            for p in view.included if not p.code and p.applies_on(day)]


def correct_code(registry: Registry, origin: str, code: str, *, day: date, at: datetime) -> CodeProblem:
    """Give the row at `origin` (a row without a valid code in the catalogue in force on `day`)
    its code; recorded in the change journal, so `undo` takes it back. Refuses a code that is not
    valid or that another procedure of the catalogue already has."""
    clean, fixed = normalise_code(code)
    if not clean or fixed or not is_valid_code(clean):
        raise QrprocError(_("{code!r} is not a procedure code like 1.001193").format(code=code))
    # a row as the registry keeps it ('list.csv, row 12') or as it was shown ('…, dòng 12')
    problems = {}
    for p in code_problems(registry, day):
        problems[place(p.origin, "vi")] = problems[p.origin] = p
    origin = " ".join(str(origin).split())
    if origin not in problems:
        raise QrprocError(_("{origin}: no row without a valid code there in the catalogue in force "
                            "on {day} (qrproc codes lists them)").format(origin=origin,
                                                                         day=shown_date(day)))
    problem = problems[origin]
    origin = problem.origin
    view = required_catalogue(registry, day)
    taken = {p.code: p for p in view.included if p.code}
    if clean in taken:
        raise QrprocError(_("{code} is already the code of '{name}' ({origin}); nothing was "
                            "changed").format(code=clean, name=taken[clean].name,
                                              origin=place(taken[clean].origin)))
    with registry.change("correct", at=at) as change:
        registry.add_correction(origin, problem.raw_code, clean, at=at)
        change.summary = Summary(N_("{origin}: code '{raw}' corrected to {code}"),
                                 {"origin": origin, "raw": problem.raw_code or "—", "code": clean})
    return problem


def view_on(tl: Timeline, snapshots: dict[int, Snapshot], rules: ScopeRules,
            day: date) -> CatalogueView | None:
    """Pure: `catalogue_on` over an already loaded timeline."""
    state = tl.on(day)
    if state is None:
        return None
    return CatalogueView(day=day, base=snapshots[state.base.id],
                         amendments=tuple(snapshots[e.id] for e in state.applied), rules=rules,
                         split=scopemod.split(state.procedures, rules))


def catalogue_on(registry: Registry, day: date) -> CatalogueView | None:
    """The catalogue in force on `day` (None before the first list takes effect)."""
    tl, snapshots = timeline(registry)
    return view_on(tl, snapshots, scope_rules(registry), day)


def required_catalogue(registry: Registry, day: date) -> CatalogueView:
    """`catalogue_on`, or a RegistryError saying what to do when no list is in force on `day`."""
    tl, snapshots = timeline(registry)
    view = view_on(tl, snapshots, scope_rules(registry), day)
    if view is None:
        first = tl.first_day()
        if first is not None:
            raise RegistryError(_("no catalogue is in force on {day}: the first one takes effect "
                                  "on {first}").format(day=shown_date(day), first=shown_date(first)))
        raise RegistryError(_("no catalogue is in force on {day}; import one first {where}").format(
            day=shown_date(day), where=option("import_where")))
    return view


def upcoming(registry: Registry, day: date) -> list[Upcoming]:
    """The catalogue (in scope) on each later date something is announced to change."""
    tl, snapshots = timeline(registry)
    rules = scope_rules(registry)
    out = []
    for change_day in tl.change_days(day):
        view = view_on(tl, snapshots, rules, change_day)
        if view is None:
            continue
        decisions = sorted({p.decision for p in view.included
                            if p.decision and p.effective == change_day})
        out.append(Upcoming(change_day, ", ".join(decisions), view.included))
    return out


# -- writing: planning an import (pure) ---------------------------------------------------------

@dataclass(frozen=True)
class ImportPlan:
    """What an import will store, and what it says about the file. Pure data."""

    source: str
    kind: str                          # timeline.FULL or timeline.AMEND
    effective: date
    effective_source: str              # FROM_OPTION, FROM_CLAUSE, FROM_ROWS or FROM_TODAY
    decision: str
    procedures: tuple[Procedure, ...]  # every row, dates and decisions filled in
    split: Split
    counts: dict[str, int]             # disjoint: in_force, announced, abolished, no_code, out_of_scope
    links_own: int                     # in-scope procedures that link to their own portal page
    links_search: int                  # … and those that fall back to the portal's search
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    sha256: str = ""

    @property
    def rows(self) -> int:
        return len(self.procedures)


def _content_sha(kind: str, rows: tuple[Procedure, ...]) -> str:
    payload = json.dumps([kind] + [p.to_dict() for p in rows], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _list_date(new: Catalogue, *, effective: date | None, amend: bool, has_catalogue: bool,
               today: date) -> tuple[date | None, str]:
    """The file-level date and where it came from."""
    if effective is not None:
        return effective, FROM_OPTION
    if new.effective is not None:
        return new.effective, FROM_CLAUSE
    dated = sorted(p.effective for p in new.procedures if p.effective)
    if amend or new.decision:
        # A decision's annex takes effect when the decision says, never on the import day.
        return (dated[0], FROM_ROWS) if dated else (None, "")
    if dated and not has_catalogue:
        # The first list: the registry starts when its newest row took effect.
        past = [d for d in dated if d <= today]
        return (past[-1] if past else dated[0]), FROM_ROWS
    if dated and dated[0] > today:
        return dated[0], FROM_ROWS  # a whole list announced for later
    return today, FROM_TODAY


def _fill_rows(new: Catalogue, *, list_date: date | None, date_source: str, decision: str,
               amend: bool, inherit: dict[str, Procedure], own_list: bool) -> list[Procedure]:
    """Each row's decision and effective date, and, for an amendment, the level and kind of the
    procedure it amends.

    A row's own date wins; a row without one takes its own decision's (from the rows of that
    decision that have one), else the date given with --effective, else the file's date, which
    an amendment's row only takes when it belongs to the file's own decision: never another
    decision's date.
    """
    by_decision: dict[str, set[date]] = {}
    for p in new.procedures:
        if p.decision and p.effective:
            by_decision.setdefault(p.decision, set()).add(p.effective)
    rows, missing = [], []
    for p in new.procedures:
        changes: dict = {}
        dec = p.decision or decision
        if dec != p.decision:
            changes["decision"] = dec
        if p.effective is None:
            own = by_decision.get(p.decision, set()) if p.decision else set()
            mine = not p.decision or p.decision in (new.decision, decision)
            if len(own) == 1:
                changes["effective"] = next(iter(own))
            elif list_date is not None and (date_source == FROM_OPTION or not amend
                                            or (mine and date_source != FROM_ROWS)):
                changes["effective"] = list_date
            else:
                missing.append(p)
        if amend and p.code and not p.levels and p.code in inherit:
            old = inherit[p.code]
            changes.update(levels=old.levels, kind=p.kind or old.kind,
                           promulgator=p.promulgator or old.promulgator,
                           agency=p.agency or old.agency)
        if own_list and not p.levels and not changes.get("levels"):
            changes["flags"] = p.flags + (FLAG_LEVEL_ASSUMED,)
        rows.append(p.replace(**changes) if changes else p)
    if missing:
        decisions = sorted({p.decision for p in missing if p.decision})
        where = missing[0].origin or new.source
        named = (" (" + ngettext("decision {decisions}", "decisions {decisions}",
                                 len(decisions)).format(decisions=", ".join(decisions)) + ")"
                 if decisions else "")
        raise ImportRefused(ngettext(
            "{where}: {n} row{named} does not say when it takes effect; nothing was imported. "
            "Give the date {with_effective} (the date the decision's 'có hiệu lực' article "
            "gives), or fill the file's 'Ngày hiệu lực' column",
            "{where}: {n} rows{named} do not say when they take effect; nothing was imported. "
            "Give the date {with_effective} (the date the decision's 'có hiệu lực' article "
            "gives), or fill the file's 'Ngày hiệu lực' column",
            len(missing)).format(where=where, n=len(missing), named=named,
                                 with_effective=option("with_effective")))
    return rows


def _counts(split: Split, today: date) -> dict[str, int]:
    counts = Counter()
    for p in split.included:
        if not p.code:
            counts["no_code"] += 1
        elif not p.in_force:
            counts["abolished"] += 1
        elif p.effective and p.effective > today:
            counts["announced"] += 1
        else:
            counts["in_force"] += 1
    counts["out_of_scope"] = len(split.excluded)
    return {k: counts.get(k, 0) for k in ("in_force", "announced", "abolished", "no_code",
                                          "out_of_scope")}


def _refuse_scope(new: Catalogue, split: Split, rules: ScopeRules, unit: str, *,
                  other_province: bool = False) -> None:
    """Refuse a file from which nothing applies, or that is another province's list."""
    out = split.counts_out()
    specific = [(p, v) for p, v in split.excluded if v.cause == scopemod.OUT_OTHER_PROVINCE]
    own_specific = [p for p in split.included if p.kind == KIND_SPECIFIC]
    others = {v.detail for _, v in specific}
    prov = rules.province_info
    coded = sum(1 for p in new.procedures if p.code)
    # One stray procedure of another province in a mixed dump is just left out; a file whose
    # province-specific rows are another province's, and are more than a few, is that province's.
    theirs = len(specific) >= OTHER_PROVINCE_ROWS or len(specific) > OTHER_PROVINCE_SHARE * coded
    if (specific and theirs and not own_specific and len(others) == 1 and prov is not None
            and not other_province):
        other = others.pop()
        raise ImportRefused(ngettext(
            "{source}: this is the list of {other}: its {n} province-specific procedure is "
            "promulgated by {other}, none by {province}; this registry is for {unit} in "
            "{province} ({hcode}). Nothing was imported (if this is meant, import it "
            "{with_other_province})",
            "{source}: this is the list of {other}: its {n} province-specific procedures are "
            "promulgated by {other}, none by {province}; this registry is for {unit} in "
            "{province} ({hcode}). Nothing was imported (if this is meant, import it "
            "{with_other_province})", len(specific)).format(
                source=new.source, other=other, n=len(specific), province=prov.name,
                unit=unit or _("a unit"), hcode=prov.hcode,
                with_other_province=option("with_other_province")))
    if not any(p.code for p in split.included):
        why = ", ".join(f"{n} {scopemod.reason_words(c)}" for c, n in out.items()) or _("no procedures")
        raise ImportRefused(ngettext(
            "{source}: its only procedure is not received at the commune ({why}); nothing was "
            "imported",
            "{source}: none of its {n} procedures is received at the commune ({why}); nothing was "
            "imported", len(new.procedures)).format(source=new.source, n=len(new.procedures),
                                                     why=why))


def _previous_codes(view: CatalogueView | None) -> dict[str, Procedure]:
    return {p.code: p for p in view.included if p.code} if view else {}


def check_drop(new_codes: set[str], previous: dict[str, Procedure], source: str, *,
               accept_drop: bool) -> tuple[str, ...]:
    """Pure: refuse a list that silently drops > MAX_DROP of the procedures in force before.

    Returns the codes dropped (in force before, absent now; procedures the new list marks
    abolished or replaced are not "dropped": that is an explicit decision).
    """
    before = [c for c, p in previous.items() if p.in_force]
    dropped = tuple(c for c in before if c not in new_codes)
    if before and len(dropped) / len(before) > MAX_DROP and not accept_drop:
        raise ImportRefused(ngettext(
            "{source}: lists {listed} procedure but drops {dropped} of the {before} in force in "
            "the previous list ({share:.0%} > {limit:.0%}); nothing was imported. If the file "
            "lists only changes (a decision annex), {use_amend}; if the drop is real, "
            "{use_accept_drop}",
            "{source}: lists {listed} procedures but drops {dropped} of the {before} in force in "
            "the previous list ({share:.0%} > {limit:.0%}); nothing was imported. If the file "
            "lists only changes (a decision annex), {use_amend}; if the drop is real, "
            "{use_accept_drop}", len(new_codes)).format(
                source=source, listed=len(new_codes), dropped=len(dropped), before=len(before),
                share=len(dropped) / len(before), limit=MAX_DROP, use_amend=option("use_amend"),
                use_accept_drop=option("use_accept_drop")))
    return dropped


def plan_import(new: Catalogue, tl: Timeline, snapshots: dict[int, Snapshot], rules: ScopeRules,
                *, unit: str = "", effective: date | None = None, decision: str | None = None,
                amend: bool = False, accept_drop: bool = False, own_list: bool = False,
                other_province: bool = False, today: date) -> ImportPlan:
    """Pure: check `new` against the catalogue already stored and plan what to store."""
    empty = not new.procedures
    if empty and (amend or not accept_drop):
        raise ImportRefused((
            _("{source}: no procedures found; nothing was imported") if amend else
            _("{source}: no procedures found; nothing was imported ({use_accept_drop} to store "
              "an empty list anyway)")).format(source=new.source,
                                               use_accept_drop=option("use_accept_drop")))
    kind = AMEND if amend else FULL
    has_catalogue = bool(snapshots)
    if amend and tl.first_day() is None:
        raise ImportRefused(_("{source}: {amend} needs an earlier full list to amend; import the "
                              "full catalogue first").format(source=new.source,
                                                             amend=option("amend")))
    list_date, date_source = _list_date(new, effective=effective, amend=amend,
                                        has_catalogue=has_catalogue, today=today)
    if list_date is None and new.decision and not any(p.effective for p in new.procedures):
        raise ImportRefused(_(
            "{source}: decision {decision} does not say when it takes effect (no 'có hiệu lực …' "
            "article found) and its rows give no date; nothing was imported. Give the date "
            "{with_effective}").format(source=new.source, decision=new.decision,
                                       with_effective=option("with_effective")))
    file_decision = decision if decision is not None else new.decision
    before = view_on(tl, snapshots, rules, list_date) if list_date else None
    inherit = {p.code: p for p in before.split.included + tuple(p for p, _ in before.excluded)
               if p.code} if before else {}
    rows = _fill_rows(new, list_date=list_date, date_source=date_source,
                      decision=file_decision or "", amend=amend, inherit=inherit, own_list=own_list)
    if list_date is None:  # an amendment whose rows all carry their own dates
        list_date = min(p.effective for p in rows if p.effective)
        date_source = FROM_ROWS
    # An amendment's rows take the level of the procedures they amend; a source that gives no
    # level at all, and amends nothing it could take one from, cannot say what a commune receives.
    if not new.levels_given and not own_list and not empty and not any(p.levels for p in rows):
        raise ImportRefused(_(
            "{source}: no row says its level (cấp thực hiện), so qrproc cannot tell which "
            "procedures the commune receives; nothing was imported. If this file is the unit's own "
            "list, import it {with_own_list}; the portal's list items never carry the level: "
            "{use_fetch}, or import the detail objects").format(
                source=new.source, with_own_list=option("with_own_list"),
                use_fetch=option("use_fetch")))
    split = scopemod.split(rows, rules)
    if not empty:
        _refuse_scope(new, split, rules, unit, other_province=other_province)
    previous = _previous_codes(view_on(tl, snapshots, rules, list_date))
    now = {p.code: p for p in split.included if p.code}
    dropped = () if amend else check_drop(set(now), previous, new.source, accept_drop=accept_drop)
    added = tuple(c for c in now if c not in previous)
    changed = tuple(c for c, p in now.items() if c in previous and p.in_force
                    and previous[c].content_hash != p.content_hash)
    applying = [p for p in split.included if p.code and p.in_force]
    own_links = sum(bool(p.portal_id) for p in applying)
    warnings = list(new.warnings)
    if dropped and date_source == FROM_TODAY:
        warnings.append(ngettext(
            "{source}: {n} procedure in force is not in this file ({codes}); with no date given it "
            "counts as no longer listed from today, {day}. If it ends on a later decision's date, "
            "import the file again {with_effective}",
            "{source}: {n} procedures in force are not in this file ({codes}); with no date given "
            "they count as no longer listed from today, {day}. If they end on a later decision's "
            "date, import the file again {with_effective}", len(dropped)).format(
                source=new.source, n=len(dropped), day=vn_date(list_date),
                with_effective=option("with_effective"),
                codes=", ".join(dropped[:5]) + (" …" if len(dropped) > 5 else "")))
    if amend:
        base = tl.on(list_date)
        later_lists = [e for e in tl.entries if e.kind == FULL and e.effective > list_date]
        if base is not None and later_lists:
            first = min(later_lists, key=lambda e: e.effective)
            warnings.append(_(
                "{source}: takes effect on {day}, before the list in force from {first} "
                "({first_source}); from that date that list is what counts").format(
                    source=new.source, day=vn_date(list_date), first=vn_date(first.effective),
                    first_source=first.source))
    return ImportPlan(
        source=new.source, kind=kind, effective=list_date, effective_source=date_source,
        decision=file_decision or _newest_decision(rows) or "", procedures=tuple(rows),
        split=split, counts=_counts(split, today), links_own=own_links,
        links_search=len(applying) - own_links, added=added, changed=changed, dropped=dropped,
        warnings=tuple(warnings), sha256=_content_sha(kind, tuple(rows)))


def _newest_decision(rows: list[Procedure]) -> str | None:
    """The decision of the newest dated rows, when they agree on one."""
    dated = [p for p in rows if p.effective and p.decision]
    if not dated:
        return None
    newest = max(p.effective for p in dated)
    distinct = {p.decision for p in dated if p.effective == newest}
    return distinct.pop() if len(distinct) == 1 else None


# -- writing: the import ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportOutcome:
    """What an import stored (`snapshot`; None when the content was already the latest import)."""

    plan: ImportPlan
    snapshot: Snapshot | None
    already: Snapshot | None = None  # the earlier import with the same content

    @property
    def added(self) -> tuple[str, ...]:
        return self.plan.added

    @property
    def changed(self) -> tuple[str, ...]:
        return self.plan.changed

    @property
    def dropped(self) -> tuple[str, ...]:
        return self.plan.dropped

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.plan.warnings


def import_catalogue(registry: Registry, new: Catalogue, *, effective: date | None = None,
                     decision: str | None = None, amend: bool = False, accept_drop: bool = False,
                     own_list: bool = False, other_province: bool = False,
                     at: datetime) -> ImportOutcome:
    """Check `new` and store it, in one transaction; a refused import changes nothing.

    The whole check runs under the registry's write lock, so a second import at the same time
    waits and then plans against the first one's result.
    """
    registry.require_initialised()
    with registry.change("import", at=at) as change:
        tl, snapshots = timeline(registry)
        rules = scope_rules(registry)
        plan = plan_import(new, tl, snapshots, rules, unit=registry.get_setting("unit") or "",
                           effective=effective, decision=decision, amend=amend,
                           accept_drop=accept_drop, own_list=own_list,
                           other_province=other_province, today=at.date())
        latest = max(snapshots.values(), key=lambda s: s.id) if snapshots else None
        if latest is not None and latest.sha256 and latest.sha256 == plan.sha256:
            return ImportOutcome(plan, None, already=latest)
        info = {"effective_source": plan.effective_source, "clause": new.effective_clause,
                "file_decision": new.decision, "counts": plan.counts,
                "out_of_scope": plan.split.counts_out(), "export_sha256": new.export_sha256}
        snap = registry.add_snapshot(Catalogue(source=new.source, procedures=plan.procedures),
                                     effective=plan.effective, decision=plan.decision,
                                     kind=plan.kind, at=at, sha256=plan.sha256, info=info)
        if plan.kind == AMEND:
            forms = (N_("amendment {source}: {n} row, {in_force} in force for the unit, "
                        "effective {day}"),
                     N_("amendment {source}: {n} rows, {in_force} in force for the unit, "
                        "effective {day}"))
        else:
            forms = (N_("list {source}: {n} row, {in_force} in force for the unit, effective {day}"),
                     N_("list {source}: {n} rows, {in_force} in force for the unit, effective {day}"))
        change.summary = Summary.counted(plan.rows, *forms, source=new.source,
                                         in_force=plan.counts["in_force"],
                                         day=vn_date(plan.effective))
    return ImportOutcome(plan, snap)


__all__ = ["CatalogueView", "ImportOutcome", "ImportPlan", "MAX_DROP", "catalogue_on",
           "check_drop", "import_catalogue", "plan_import", "required_catalogue", "scope_rules",
           "set_scope",
           "timeline", "upcoming", "view_on"]
