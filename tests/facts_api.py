"""The one place the decision tests (tests/test_decisions_*.py) reach into reports and diffs.

Reports hold records per fact family (`report.of(name)`), diffs one list of changes tagged
with their family (`diff.of(name)`). The decision tests read
`report.sites`, `Site` attributes and `Status` directly and everything else through the
functions below, so a new shape means editing this module only. Each adapter returns plain
values (tuples, dicts, the fact objects themselves), never the container it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from analyzer.diff import ReportDiff
from analyzer.model import (
    Disposition,
    FileStat,
    ForceAssignment,
    InitScope,
    InitTable,
    KillPath,
    Report,
    SignalMask,
    Status,
)


class Row(NamedTuple):
    """One row of a diff, site or fact: what happened and which compared fields differ."""

    status: Status
    old: Any
    new: Any
    differences: tuple[str, ...]


# Reports


def masks(report: Report) -> dict[str, SignalMask]:
    """Signal classes by name."""
    return {mask.name: mask for mask in report.of("mask")}


def force(report: Report) -> list[ForceAssignment]:
    """The force decision's assignments, in source order."""
    return list(report.of("force"))


def kill_paths(report: Report) -> list[KillPath]:
    """The kill paths, one per target."""
    return list(report.of("kill_path"))


def file_stats(report: Report) -> dict[str, FileStat]:
    """What happened to each candidate file, by path."""
    return {stat.path: stat for stat in report.files}


def occurrences(report: Report) -> list[tuple[str, int, str]]:
    """Every textual occurrence as (path, line, how it was accounted for)."""
    return [(o.location.path, o.location.line, o.accounted_as.value) for o in report.occurrences]


def init_scope(report_or_table: Report | InitTable) -> InitScope:
    """What PID 1's table of a report (or the table extract_init returns) was computed from."""
    if isinstance(report_or_table, InitTable):
        return report_or_table.scope
    assert report_or_table.init is not None
    return report_or_table.init


def dispositions(report_or_table: Report | InitTable) -> dict[str, Disposition]:
    """PID 1's rows by signal name."""
    rows = report_or_table.dispositions if isinstance(report_or_table, InitTable) else report_or_table.of("disposition")
    return {row.signal: row for row in rows}


def skipped(report_or_table: Report | InitTable) -> list[str]:
    """Decisions set aside as not PID 1's steady state, as "path:line fn: why" lines."""
    return list(init_scope(report_or_table).skipped)


# Diffs


def site_changes(diff: ReportDiff) -> list[Row]:
    """Rows of the site diff."""
    return [Row(c.status, c.old, c.new, c.differences) for c in diff.of("site")]


def fact_changes(diff: ReportDiff, family: str) -> list[Row]:
    """Rows of one fact family's diff: "mask", "force", "kill_path" or "disposition"."""
    return [Row(c.status, c.old, c.new, c.differences) for c in diff.of(family)]


def names_compared(diff: ReportDiff) -> dict[str, tuple[str, ...]]:
    """Which tracked names a diff compared, which had no occurrence on one side, which one side only tracked."""
    return {
        "tracked": diff.tracked,
        "absent_in_old": diff.absent_in_old,
        "absent_in_new": diff.absent_in_new,
        "untracked_in_old": diff.untracked_in_old,
        "untracked_in_new": diff.untracked_in_new,
    }


def logic_changed(diff: ReportDiff) -> bool:
    """What `--fail-on-change` exits 1 on."""
    return diff.logic_changed


# Building C trees to scan


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`; return `root`."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
