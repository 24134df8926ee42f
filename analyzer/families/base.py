"""A fact family: the one extension point of siganalyze.

A family declares its record type, how records are extracted (from one parsed file, or from
the whole release's facts), how they are recognised across releases (diff levels, strict to
loose), and how one is described in words. The pipeline, the diff, the history and every
renderer loop over the registered families; none of them knows a family by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analyzer.model import Location, Status
from analyzer.words import brief

if TYPE_CHECKING:
    from analyzer.families.context import FileFacts, Release

Record = Any
Pairing = Callable[[Record, Record], bool]


@dataclass(frozen=True, slots=True)
class Level:
    """One diff pass: records with equal keys pair up.

    `status` None means unchanged unless a compared field differs (moved when only the path
    does, else changed); `allowed`, built from all old and new records, vetoes pairs.
    """

    key: Callable[[Record], Hashable]
    status: Status | None = None
    allowed: Callable[[Sequence[Record], Sequence[Record]], Pairing] | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One row of a diff: a record of `family` in the old release, the new one, or both."""

    family: str
    status: Status
    old: Record | None
    new: Record | None
    differences: tuple[str, ...] = ()  # names of the compared fields that differ

    @property
    def latest(self) -> Record:
        """The new record, else the old one."""
        return self.new if self.new is not None else self.old


Line = tuple[str, str]  # (sign, text): sign "-" for the old side, "+" for the new, "" for neither


def _first_field(record: Record) -> str:
    return str(getattr(record, dataclasses.fields(record)[0].name))


def _location(record: Record) -> Location | None:
    value = getattr(record, "location", None)
    return value if isinstance(value, Location) else None


def _no_lines(_record: Record) -> list[str]:
    return []


@dataclass(frozen=True)
class Family:
    """How one kind of fact is extracted, matched across releases, compared and described."""

    name: str  # the `family` of a JSON change, and a SARIF rule's prefix
    title: str  # a section heading
    record: type  # a frozen dataclass
    report_key: str  # the key of its list in a scan report
    compared: Callable[[Record], dict[str, object]]  # the fields a diff compares, by name
    levels: tuple[Level, ...] = (Level(lambda record: record),)
    describe: Callable[[Record], list[str]] = _no_lines  # the record in a few lines of words
    name_of: Callable[[Record], str] = _first_field  # what a reader calls one record
    per_file: Callable[[FileFacts], Sequence[Record]] | None = None
    per_release: Callable[[Release], Sequence[Record]] | None = None
    order: Callable[[Record], Any] | None = None  # reading order of records in a report (None: as extracted)
    # Reading order of a diff's changes; None: removed last, else by place. `sorted_changes`
    # False keeps the pairing order (rows of a table that has its own order).
    change_order: Callable[[Change], Any] | None = None
    sorted_changes: bool = True
    likeness: Callable[[Record, Record], Any] | None = None  # best pair among equal keys
    location: Callable[[Record], Location | None] = _location  # where a record sits in the tree
    # Records about one tracked name (sites): shown under that name, in groups (their kind).
    subject: Callable[[Record], str] | None = None
    group: Callable[[Record], tuple[int, str]] | None = None
    group_labels: tuple[str, ...] = ()  # every group a record can fall in, in order (summary columns)
    noun: str = "record"
    label: Callable[[Record], str] | None = None  # a one-line name in history; default: describe's first line
    timeline_key: Callable[[Record, Sequence[str], int], tuple[Any, ...]] = lambda _r, _t, _f: ()
    describe_change: Callable[[Change], list[Line]] | None = None  # default: each differing field old -> new
    place_fields: tuple[str, ...] = ("function", "path")  # compared fields that say where a record is
    list_unchanged: bool = False  # text diffs list its unchanged records too (they say what holds)
    diff_key: str = "fact_changes"  # the JSON list its changes go to
    change_fields: Callable[[Record], dict[str, Any]] | None = None  # extra JSON keys of a change
    check: Callable[[Sequence[Record]], list[str]] | None = None  # warnings about one release's records
    severity: Callable[[Change], str] = lambda _change: "note"  # SARIF level
    message: Callable[[Change], str] | None = None  # a change in one line (SARIF); default: name and differences
    # Doc-table columns (name -> value); None: one column per dataclass field.
    columns: Mapping[str, Callable[[Record], object]] | None = None
    # Change-table columns: shared ones from the latest record, paired ones as old_/new_.
    change_columns: tuple[Mapping[str, Callable[[Record], object]], Mapping[str, Callable[[Record], object]]] | None = (
        None
    )
    code: bool = False  # records are statements: HTML shows them in their source
    shown: bool = True  # False: intermediate records that only feed other families
    # A scan report's text, tables and HTML give these lines instead of every record (a table
    # of a thousand cells has its own command); JSON, diff and history keep every record.
    summarize: Callable[[Sequence[Record]], list[str]] | None = None
    unchanged_in_diff: bool = True  # False: a diff lists only what changed (a table of a thousand cells)

    def line(self, record: Record) -> str:
        """The record as one line (history labels, messages)."""
        if self.label is not None:
            return self.label(record)
        lines = self.describe(record)
        return " ".join(lines[0].split()) if lines else self.name_of(record)

    def sort(self, records: Sequence[Record]) -> tuple[Record, ...]:
        """Records in reading order (extraction order when the family has none)."""
        return tuple(sorted(records, key=self.order)) if self.order is not None else tuple(records)

    def groups(self, records: Sequence[Record]) -> list[tuple[str | None, list[Record]]]:
        """Records under their group headings, in group order (one unnamed group if ungrouped)."""
        if self.group is None:
            return [(None, list(records))] if records else []
        group = self.group
        keys = sorted({group(r) for r in records})
        return [(label, [r for r in records if group(r) == (rank, label)]) for rank, label in keys]

    def changes_in_order(self, changes: Sequence[Change]) -> list[Change]:
        """A diff's changes of this family in reading order."""
        if not self.sorted_changes:
            return list(changes)
        key = self.change_order or self._by_place
        return sorted(changes, key=key)

    def _by_place(self, change: Change) -> tuple[bool, str, int]:
        where = self.location(change.latest)
        return (change.new is None, where.path if where else "", where.line if where else 0)


def default_change_lines(family: Family, change: Change) -> list[Line]:
    """A change in words: the record's first line, then what was added or removed, or what differs."""
    record = change.latest
    body = family.describe(record)
    lines: list[Line] = [("", body[0] if body else family.name_of(record))]
    if change.old is None or change.new is None:
        sign = "-" if change.new is None else "+"
        return lines + [(sign, line.strip()) for line in body[1:]]
    if change.status is not Status.UNCHANGED:
        before, after = family.compared(change.old), family.compared(change.new)
        lines += [("", f"{name}: {brief(before[name])} -> {brief(after[name])}") for name in change.differences]
    return lines


def change_message(family: Family, change: Change) -> str:
    """A change in one line: `PID 1 signal table changed: SIGWINCH; dispatch: a -> b`."""
    if family.message is not None:
        return family.message(change)
    message = f"{family.title} {change.status.value}: {family.name_of(change.latest)}"
    if change.old is not None and change.new is not None:
        before, after = family.compared(change.old), family.compared(change.new)
        message += "".join(f"; {name}: {brief(before[name])} -> {brief(after[name])}" for name in change.differences)
    return message


def change_lines(family: Family, change: Change) -> list[Line]:
    """The family's words for a change: a head line first (sign ""), then the body."""
    return (family.describe_change or (lambda c: default_change_lines(family, c)))(change)
