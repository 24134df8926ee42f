"""What the scan and diff pages show, built from the report model and the registered families.

Records of a family whose records are statements (`Family.code`) and about a tracked name
become cards with their code in context; every other family becomes a table of its fields.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer import families
from analyzer.diff import ReportDiff
from analyzer.families import Change, Family
from analyzer.model import Report, SourceInfo, Status
from analyzer.report.html.code import CodePanel, Files, Statement, absent_panel, changed_tokens, panel, snippet
from analyzer.report.html.facts import (
    FieldView,
    Item,
    display_items,
    fact_grid,
    fact_side,
    field_names,
    sans_lines,
    table_grid,
)
from analyzer.report.html.links import Links
from analyzer.report.tables import init_tables
from analyzer.words import cell, counted, describe_source


@dataclass(frozen=True, slots=True)
class SiteCard:
    """One record with code, or one change of it: status, headline, code panels, and its other fields."""

    status: str
    ident: str
    kind: str
    function: str
    panels: tuple[CodePanel, ...]
    fields: tuple[tuple[str, tuple[tuple[Item, ...], ...], bool], ...]  # name, value per side, differs
    differences: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    """Cards under a heading; unchanged ones are folded away."""

    key: str
    title: str
    note: str
    kinds: tuple[tuple[str, tuple[SiteCard, ...], tuple[SiteCard, ...]], ...]  # group, shown, folded


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """Counts per status for one group or family (`key` as used in the JSON)."""

    key: str
    label: str
    counts: tuple[tuple[str, int], ...]
    total: int
    is_total: bool = False


@dataclass(frozen=True, slots=True)
class FactRow:
    """One change of a family shown as fields: status and each side's fields."""

    status: str
    label: str  # the record's first field (signal, mask name, target), when both sides agree on it
    sides: tuple[tuple[FieldView, ...] | None, tuple[FieldView, ...] | None]


@dataclass(frozen=True, slots=True)
class FamilyView:
    """One family's changes: shown rows and folded unchanged ones."""

    key: str
    title: str
    counts: str
    shown: tuple[FactRow, ...]
    folded: tuple[FactRow, ...]


def anchor(text: str) -> str:
    """An id for a heading: letters, digits, dashes."""
    return "s-" + re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _carded() -> list[Family]:
    """Families shown as cards: statements about a tracked name."""
    return [f for f in families.shown() if f.code and f.subject is not None]


def _about(family: Family, records: Sequence[Any], ident: str) -> list[Any]:
    subject = family.subject
    assert subject is not None
    return [r for r in records if subject(r) == ident]


# Record fields a card shows in its head or code, or leaves to the JSON as parser diagnostics.
_CARD_FIELDS_ELSEWHERE = frozenset(
    {"ident", "kind", "function", "location", "text", "normalized", "attributed_by", "construct"}
)


def _card_fields(
    records: Sequence[Statement | None], infos: Sequence[SourceInfo], links: Links
) -> tuple[tuple[str, tuple[tuple[Item, ...], ...], bool], ...]:
    """Every other field with a value on some side, with whether the sides differ."""
    rows = []
    for name in (n for n in field_names(*records) if n not in _CARD_FIELDS_ELSEWHERE):
        values = [getattr(r, name) if r else None for r in records]
        cells = tuple(display_items(v, info, links) for v, info in zip(values, infos, strict=True))
        if any(cells):
            differs = len(records) == 2 and all(records) and sans_lines(values[0]) != sans_lines(values[1])
            rows.append((name, cells, differs))
    return tuple(rows)


def _function(record: Statement | None) -> str:
    return getattr(record, "function", None) or "(no function)"


def _group_label(family: Family, record: Any) -> str:
    return family.group(record)[1] if family.group is not None else ""


# --- scan ----------------------------------------------------------------------------------


def report_view(report: Report, files: Files, links: Links) -> dict[str, Any]:
    """What report.html.j2 shows: counts, cards by name and group, then every other family's table."""
    groups = []
    for ident in report.tracked:
        for family in _carded():
            records = _about(family, report.of(family.name), ident)
            kinds: tuple[tuple[str, tuple[SiteCard, ...], tuple[SiteCard, ...]], ...]
            kinds = tuple(
                (label or "", tuple(_card(family, r, report.source, files, links, report.tracked) for r in members), ())
                for label, members in family.groups(records)
            )
            if kinds:
                groups.append(Group(anchor(ident), ident, counted(len(records), family.noun), kinds))
    absent = [ident for ident in report.tracked if report.occurrence_count(ident) == 0]
    grids = [table_grid(t) for t in init_tables(report)]
    grids += [
        fact_grid(anchor(f.title), f.title, found, report.source, links)
        for f in families.shown()
        if not (f.code and f.subject) and not f.summarize and (found := report.of(f.name))
    ]
    return {
        "source": describe_source(report.source),
        "summary": _scan_summary(report),
        "groups": groups,
        "grids": grids,
        "notes": [f"No occurrence anywhere in this tree: {', '.join(absent)}"] if absent else [],
        "warnings": report.warnings,
    }


def _card(
    family: Family, record: Statement, info: SourceInfo, files: Files, links: Links, tracked: Collection[str]
) -> SiteCard:
    """A scan's record: its code in context and its other fields."""
    shown = panel(record, snippet(record, files.get(info, record.location.path), tracked), info, links)
    subject = family.subject(record) if family.subject else ""
    fields = _card_fields([record], [info], links)
    return SiteCard("", subject, _group_label(family, record), _function(record), (shown,), fields)


def _scan_summary(report: Report) -> dict[str, Any]:
    """Records per tracked name and group, occurrences found by text search, then other families' counts."""
    carded = _carded()
    kinds = [label for f in carded for label in f.group_labels]
    rows = []
    for ident in report.tracked:
        records = [(f, r) for f in carded for r in _about(f, report.of(f.name), ident)]
        by_kind = [sum(1 for f, r in records if _group_label(f, r) == kind) for kind in kinds]
        rows.append((ident, anchor(ident) if records else "", by_kind, len(records), report.occurrence_count(ident)))
    facts = [
        (f.title, anchor(f.title), len(found))
        for f in families.shown()
        if f not in carded and (found := report.of(f.name))
    ]
    return {"kinds": kinds, "rows": rows, "facts": facts}


# --- diff ----------------------------------------------------------------------------------


def _summary_row(key: str, label: str, statuses: Sequence[Status], is_total: bool = False) -> SummaryRow:
    """Count `statuses` per Status."""
    counts = tuple((s.value, sum(1 for x in statuses if x is s)) for s in Status)
    return SummaryRow(key, label, counts, len(statuses), is_total)


def _diff_summary(result: ReportDiff) -> tuple[SummaryRow, ...]:
    """Counts per group of each carded family and its total, then per other family."""
    rows = []
    for family in families.shown():
        changes = result.of(family.name)
        if family in _carded():
            rows += [
                _summary_row(label, label, [c.status for c in changes if _group_label(family, c.latest) == label])
                for label in family.group_labels
                if any(_group_label(family, c.latest) == label for c in changes)
            ]
            if changes:  # a tree with no site (an init's) has no all-sites row of zeros
                rows.append(_summary_row(family.report_key, f"all {family.noun}s", [c.status for c in changes], True))
        elif changes:
            rows.append(_summary_row(family.name, family.title, [c.status for c in changes]))
    return tuple(rows)


def _change_card(family: Family, change: Change, result: ReportDiff, files: Files, links: Links) -> SiteCard:
    """A change: old and new code side by side, changed tokens marked, other fields compared."""
    old, new = change.old, change.new
    old_snip = snippet(old, files.get(result.old, old.location.path), result.tracked) if old else None
    new_snip = snippet(new, files.get(result.new, new.location.path), result.tracked) if new else None
    deleted, inserted = changed_tokens(old_snip, new_snip) if old_snip and new_snip else (set(), set())
    old_panel = panel(old, old_snip, result.old, links, deleted, "del") if old and old_snip else None
    new_panel = panel(new, new_snip, result.new, links, inserted, "ins") if new and new_snip else None
    panels = (old_panel or absent_panel(result.old, "not in"), new_panel or absent_panel(result.new, "gone in"))
    return SiteCard(
        change.status.value,
        family.subject(change.latest) if family.subject else "",
        _group_label(family, change.latest),
        " → ".join(dict.fromkeys(_function(r) for r in (old, new) if r)),
        panels,
        _card_fields([old, new], [result.old, result.new], links),
        ", ".join(change.differences),
    )


def _diff_groups(result: ReportDiff, files: Files, links: Links) -> list[Group]:
    """Changes by tracked name, then group; unchanged ones folded."""
    groups = []
    for ident in result.tracked:
        for family in _carded():
            subject = family.subject
            assert subject is not None
            rows = [c for c in result.of(family.name) if subject(c.latest) == ident]
            if not rows:
                continue  # listed once among the notes instead
            kinds = []
            for label in family.group_labels:
                cards = [
                    _change_card(family, c, result, files, links)
                    for c in rows
                    if _group_label(family, c.latest) == label
                ]
                if cards:
                    shown = tuple(c for c in cards if c.status != Status.UNCHANGED)
                    kinds.append((label, shown, tuple(c for c in cards if c.status == Status.UNCHANGED)))
            before, after = sum(1 for c in rows if c.old), sum(1 for c in rows if c.new)
            note = f"{counted(before, family.noun)} → {counted(after, family.noun)}"
            if ident in result.absent_in_old:
                note += f"; no occurrence at all in {result.old.label}"
            if ident in result.absent_in_new:
                note += f"; no occurrence at all in {result.new.label}"
            groups.append(Group(anchor(ident), ident, note, tuple(kinds)))
    return groups


def _fact_row(change: Change, result: ReportDiff, links: Links) -> FactRow:
    """A change shown as fields; the first field becomes the row's label when both sides agree on it."""
    first = field_names(change.latest)[0]
    values = {cell(getattr(record, first)) for record in (change.old, change.new) if record is not None}
    label, skip = (values.pop(), (first,)) if len(values) == 1 else ("", ())
    sides = (
        fact_side(change.old, change.new, result.old, links, skip),
        fact_side(change.new, change.old, result.new, links, skip),
    )
    return FactRow(change.status.value, label, sides)


def _family_views(result: ReportDiff, links: Links) -> list[FamilyView]:
    """Each other family's changes, old and new fields side by side."""
    views = []
    for family in (f for f in families.shown() if f not in _carded()):
        rows = [_fact_row(c, result, links) for c in result.of(family.name)]
        if not rows:
            continue
        counts = ", ".join(f"{sum(1 for r in rows if r.status == s.value)} {s.value}" for s in Status)
        shown = tuple(r for r in rows if r.status != Status.UNCHANGED.value)
        folded = tuple(r for r in rows if r.status == Status.UNCHANGED.value)
        views.append(FamilyView("f-" + family.name, family.title, counts, shown, folded))
    return views


def diff_view(result: ReportDiff, files: Files, links: Links) -> dict[str, Any]:
    """What diff.html.j2 shows: summary, changes with code, other changes side by side."""
    notes = [
        f"{ident}: not tracked in {info.label}, not compared"
        for info, names in ((result.old, result.untracked_in_old), (result.new, result.untracked_in_new))
        for ident in names
    ]
    carded = _carded()
    about = {family.subject(c.latest) for family in carded if family.subject for c in result.of(family.name)}
    if unseen := [i for i in result.tracked if i not in about]:
        notes.insert(0, f"No site in either tree: {', '.join(unseen)}")
    return {
        "old": describe_source(result.old),
        "new": describe_source(result.new),
        "old_label": result.old.label,
        "new_label": result.new.label,
        "statuses": [s.value for s in Status],
        "summary": _diff_summary(result),
        "groups": _diff_groups(result, files, links),
        "families": _family_views(result, links),
        "notes": notes,
    }
