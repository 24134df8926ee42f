"""Many releases -> a timeline: one row per site or fact, one column per release, in version order."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analyzer import families
from analyzer.diff import diff_reports, differences
from analyzer.errors import SourceError, UsageError
from analyzer.families import Change
from analyzer.model import Report, SourceInfo, Status
from analyzer.sources.git import version_key
from analyzer.vocab import Cell

if TYPE_CHECKING:
    import git


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """One record followed across releases; a cell per release."""

    family: str
    label: str
    cells: tuple[Cell, ...]
    records: tuple[Any, ...]  # the record in each release, None where absent


@dataclass(frozen=True, slots=True)
class Timeline:
    """Releases in version order and what happened to every row between them."""

    releases: tuple[SourceInfo, ...]
    rows: tuple[TimelineRow, ...]


def build_timeline(reports: Sequence[Report]) -> Timeline:
    """Chain the diffs of consecutive releases into rows, every family alike."""
    count = len(reports)
    cells: list[list[Cell]] = []
    records: list[list[Any]] = []
    row_family: list[str] = []
    row_of: dict[int, int] = {}

    def start(family: str, release: int, record: Any, state: Cell) -> None:
        row_of[id(record)] = len(cells)
        row_family.append(family)
        cells.append([Cell.ABSENT] * count)
        records.append([None] * count)
        cells[-1][release], records[-1][release] = state, record

    if reports:
        for family in families.shown():
            for record in reports[0].of(family.name):
                start(family.name, 0, record, Cell.PRESENT)
    for i in range(1, count):
        for change in diff_reports(reports[i - 1], reports[i], every_row=True).changes:
            if change.new is None:
                continue  # removed: the row simply has no cell from here on
            if change.old is None or id(change.old) not in row_of:
                start(change.family, i, change.new, Cell.ADDED)
                continue
            row = row_of[id(change.old)]
            row_of[id(change.new)] = row
            cells[row][i], records[row][i] = Cell(change.status.value), change.new
    rows = [
        TimelineRow(name, families.family(name).line(_latest(row_records)), tuple(row_cells), tuple(row_records))
        for name, row_cells, row_records in zip(row_family, cells, records, strict=True)
        if families.family(name).unchanged_in_diff or not _steady(row_cells)
    ]
    tracked = list(dict.fromkeys(i for r in reports for i in r.tracked))
    return Timeline(tuple(r.source for r in reports), tuple(sorted(rows, key=lambda row: _row_order(row, tracked))))


@dataclass(frozen=True, slots=True)
class RowEvent:
    """What happened to a row in one release: added, changed, moved or removed, as a diff says it."""

    release: int  # index into Timeline.releases
    change: Change


def row_events(row: TimelineRow) -> list[RowEvent]:
    """A row's events in release order: each added, changed, moved or removed cell as a Change.

    The first release shown adds nothing (its records are simply present); a row whose record
    is gone in a release is removed there.
    """
    family = families.family(row.family)
    events: list[RowEvent] = []
    previous: Any = None
    for i, (state, record) in enumerate(zip(row.cells, row.records, strict=True)):
        if record is None:
            if previous is not None:
                events.append(RowEvent(i, Change(row.family, Status.REMOVED, previous, None)))
            previous = None
            continue
        if state is Cell.ADDED:
            events.append(RowEvent(i, Change(row.family, Status.ADDED, None, record)))
        elif state in (Cell.CHANGED, Cell.MOVED) and previous is not None:
            found = differences(family, previous, record)
            events.append(RowEvent(i, Change(row.family, Status(state.value), previous, record, found)))
        previous = record
    return events


def _steady(row: Sequence[Cell]) -> bool:
    """True when a row is present, unchanged, in every release (a table's cell that never moved)."""
    return all(cell in (Cell.PRESENT, Cell.UNCHANGED) for cell in row)


def _latest(records: Sequence[Any]) -> Any:
    """A row's most recent record: what its label describes."""
    return next(r for r in reversed(records) if r is not None)


def _row_order(row: TimelineRow, tracked: list[str]) -> tuple[object, ...]:
    """Families in registry order; within one, the family's own order (sites: name, kind, first seen)."""
    names = [f.name for f in families.shown()]
    first = next(i for i, r in enumerate(row.records) if r is not None)
    key = families.family(row.family).timeline_key(_latest(row.records), tracked, first)
    return (names.index(row.family), *key)


def resolve_refs(repo: git.Repo, specs: Sequence[str], pattern: str | None, rc: bool = False) -> list[str]:
    """Refs to show, in version order: a `A..B` range or a --tags glob over the repo's tags, else `specs`.

    A range holds every tag between A and B in version order. In a range or a glob, release
    candidates are left out unless `rc`, and a stable point release is left out when its
    final release is chosen too (v2.6.34.6 beside v2.6.34), kept when it is not (v6.1.176).
    The ends of a range, and refs named one by one, are always taken.
    """
    tags = [tag.name for tag in repo.tags]
    if pattern is not None and specs:
        raise UsageError("name releases either as refs or a range, or with --tags, not both")
    if pattern is not None:
        chosen = [t for t in tags if fnmatch.fnmatchcase(t, pattern)]
        if not chosen:
            raise SourceError(f"no tag matches {pattern!r} in {repo.git_dir}")
        selected = select_releases(chosen, set(tags), rc)
        if not selected:
            raise SourceError(
                f"no release among the tags matching {pattern!r}", hint="-rc tags are left out unless --rc"
            )
        return selected
    if len(specs) == 1 and ".." in specs[0]:
        low, _, high = specs[0].partition("..")
        for end in (low, high):
            if end not in tags:
                raise SourceError(f"{end!r} is not a tag in {repo.git_dir}", hint="a range A..B names two tags")
        if version_key(high) < version_key(low):
            raise UsageError(f"{specs[0]!r} runs backwards", hint=f"write {high}..{low}")
        between = [t for t in tags if version_key(low) <= version_key(t) <= version_key(high)]
        return sorted({*select_releases(between, set(tags), rc), low, high}, key=version_key)
    unique = list(dict.fromkeys(specs))  # a release named twice is shown once
    if all(re.match(r"v?\d", spec) for spec in unique):
        return sorted(unique, key=version_key)
    return unique


def select_releases(tags: Sequence[str], known: set[str], rc: bool = False) -> list[str]:
    """Of `tags`, the releases a range or glob stands for, in version order (see resolve_refs)."""
    # A version with another suffix than -rcN is no release (v2.6.11-tree, a tag of a bare tree).
    chosen = {t for t in tags if not _NOT_RELEASE.fullmatch(t) and (rc or not is_release_candidate(t))}
    chosen = {t for t in chosen if final_release_of(t, known) not in chosen}
    return sorted(chosen, key=version_key)


_NOT_RELEASE = re.compile(r"v?\d+(?:\.\d+)*-(?!rc\d+$).*")


def is_release_candidate(tag: str) -> bool:
    """v2.6.35-rc3, v6.2-rc1."""
    return re.search(r"-rc\d+$", tag) is not None


def final_release_of(tag: str, known: set[str]) -> str | None:
    """The final release a stable point release belongs to (v2.6.34.6 -> v2.6.34), else None.

    A point release adds one number to its final release: a fourth to 2.6 kernels, a third
    to kernels from 3.0 on, or one to any tag the repo has (systemd's v257.13 of v257).
    """
    match = re.fullmatch(r"(v?)((?:\d+\.)+)(\d+)", tag)
    if match is None:
        return None
    prefix, head = match.group(1), match.group(2).rstrip(".")
    numbers = [int(n) for n in head.split(".")]
    final = prefix + head
    kernel_point = (numbers[:2] == [2, 6] and len(numbers) == 3) or (numbers[0] >= 3 and len(numbers) == 2)
    return final if kernel_point or final in known else None
