"""Many releases -> a timeline: one row per site or fact, one column per release, in version order."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

import git

from analyzer.diff import diff_reports
from analyzer.errors import SourceError, UsageError
from analyzer.factdiff import FAMILIES, Fact
from analyzer.model import Report, Site, SourceInfo, Status
from analyzer.sources.git import version_key

PRESENT = "present"  # in the first release shown
ABSENT = ""


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One site or fact followed across releases; a cell per release."""

    family: str  # "site", or a fact family: "mask", "force", "kill_path", "disposition"
    label: str
    cells: tuple[str, ...]  # present | unchanged | changed | moved | added | "" (absent)
    facts: tuple[Site | Fact | None, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    """Releases in version order and what happened to every row between them."""

    releases: tuple[SourceInfo, ...]
    rows: tuple[TimelineRow, ...]


def build_timeline(reports: Sequence[Report]) -> Timeline:
    """Chain the diffs of consecutive releases into rows."""
    count = len(reports)
    cells: list[list[str]] = []
    facts: list[list[Site | Fact | None]] = []
    families: list[str] = []
    row_of: dict[int, int] = {}

    def start(family: str, release: int, fact: Site | Fact, state: str) -> None:
        row_of[id(fact)] = len(cells)
        families.append(family)
        cells.append([ABSENT] * count)
        facts.append([None] * count)
        cells[-1][release], facts[-1][release] = state, fact

    first = reports[0] if reports else None
    if first is not None:
        for site in first.sites:
            start("site", 0, site, PRESENT)
        for family in FAMILIES:
            for fact in family.facts(first):
                start(family.name, 0, fact, PRESENT)
    for i in range(1, count):
        result = diff_reports(reports[i - 1], reports[i])
        changes: list[tuple[str, Status, Site | Fact | None, Site | Fact | None]]
        changes = [("site", c.status, c.old, c.new) for c in result.changes]
        changes += [(c.family, c.status, c.old, c.new) for c in result.fact_changes]
        for family_name, status, old, new in changes:
            if new is None:
                continue  # removed: the row simply has no cell from here on
            if old is None or id(old) not in row_of:
                start(family_name, i, new, Status.ADDED.value)
                continue
            row = row_of[id(old)]
            row_of[id(new)] = row
            cells[row][i], facts[row][i] = status.value, new
    rows = [
        TimelineRow(family, _label(_latest(row_facts)), tuple(row_cells), tuple(row_facts))
        for family, row_cells, row_facts in zip(families, cells, facts, strict=True)
    ]
    tracked = list(dict.fromkeys(i for r in reports for i in r.tracked))
    return Timeline(tuple(r.source for r in reports), tuple(sorted(rows, key=lambda row: _row_order(row, tracked))))


_FAMILY_ORDER = ["site", *(family.name for family in FAMILIES)]
_KIND_ORDER = ["define", "set", "clear", "test", "call", "other"]


def _latest(facts: Sequence[Site | Fact | None]) -> Site | Fact:
    """A row's most recent fact: what its label describes."""
    return next(f for f in reversed(facts) if f is not None)


def _row_order(row: TimelineRow, tracked: list[str]) -> tuple[object, ...]:
    """Sites by identifier (tracked order), kind and first appearance; then each fact family."""
    fact = _latest(row.facts)
    if not isinstance(fact, Site):
        family = _FAMILY_ORDER.index(row.family) if row.family in _FAMILY_ORDER else len(_FAMILY_ORDER)
        return (family, 0, 0, 0, "", 0)
    first = next(i for i, f in enumerate(row.facts) if f is not None)
    ident = tracked.index(fact.ident) if fact.ident in tracked else len(tracked)
    return (0, ident, _KIND_ORDER.index(fact.kind.value), first, fact.location.path, fact.location.line)


def _label(fact: Site | Fact) -> str:
    """A row's name, from its latest state."""
    if isinstance(fact, Site):
        return f"{fact.ident} {fact.kind.value} {fact.function or '?'} ({fact.location.path}): {fact.normalized}"
    from analyzer.report.text import describe_fact

    return " ".join(describe_fact(fact)[0].split())


def resolve_refs(repo: git.Repo, specs: Sequence[str], pattern: str | None) -> list[str]:
    """Refs to show: a `A..B` range or a --tags glob over the repo's tags, else `specs`; version order."""
    tags = [tag.name for tag in repo.tags]
    if pattern is not None and specs:
        raise UsageError("name releases either as refs or a range, or with --tags, not both")
    if pattern is not None:
        chosen = [t for t in tags if fnmatch.fnmatchcase(t, pattern)]
        if not chosen:
            raise SourceError(f"no tag matches {pattern!r} in {repo.git_dir}")
        return sorted(chosen, key=version_key)
    if len(specs) == 1 and ".." in specs[0]:
        low, _, high = specs[0].partition("..")
        for end in (low, high):
            if end not in tags:
                raise SourceError(f"{end!r} is not a tag in {repo.git_dir}", hint="a range A..B names two tags")
        if version_key(high) < version_key(low):
            raise UsageError(f"{specs[0]!r} runs backwards", hint=f"write {high}..{low}")
        shape = _shape(low)
        same_shape = [t for t in tags if _shape(t) == shape]
        chosen = [t for t in same_shape if version_key(low) <= version_key(t) <= version_key(high)]
        return sorted(chosen, key=version_key)
    unique = list(dict.fromkeys(specs))  # a release named twice is shown once
    if all(re.match(r"v?\d", spec) for spec in unique):
        return sorted(unique, key=version_key)
    return unique


def _shape(tag: str) -> str:
    """v2.6.26 and v2.6.35 share a shape; v2.6.27-rc1 and v2.6.26.1 do not."""
    return re.sub(r"\d+", "N", tag)
