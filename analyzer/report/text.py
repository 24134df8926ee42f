"""Terminal rendering of scans, diffs and timelines, every fact family in its own words.

Records about a tracked name (sites) are shown under that name, grouped (by kind); every
other family gets a section under its title. Colour only when asked (a TTY).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from analyzer import families
from analyzer.families import Change, Family, change_lines
from analyzer.model import Accounting, Report, Status
from analyzer.vocab import Cell
from analyzer.words import counted, describe_source

if TYPE_CHECKING:  # a scan's text needs neither module
    from analyzer.diff import ReportDiff
    from analyzer.history import Timeline

__all__ = [
    "SIGN_COLOUR",
    "STATUS_COLOUR",
    "counted",
    "describe_source",
    "render_diff",
    "render_report",
    "render_timeline",
]

STATUS_COLOUR = {
    Status.ADDED: "32",
    Status.REMOVED: "31",
    Status.CHANGED: "33",
    Status.MOVED: "36",
    Status.UNCHANGED: "2",
}
SIGN_COLOUR = {"-": "31", "+": "32"}


class _Style:
    """ANSI styling that is a no-op when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text


def render_report(report: Report, color: bool = False) -> str:
    """Each tracked name with its records and accounting, then PID 1's scope, then every other family."""
    style = _Style(color)
    about_names = [f for f in families.shown() if f.subject is not None]
    lines = []
    for ident in report.tracked:
        lines.append(style(f"{ident} in {describe_source(report.source)}", "1"))
        if report.occurrence_count(ident) == 0:
            lines += ["  absent: no occurrence anywhere in this tree", ""]
            continue
        for family in about_names:
            subject = family.subject
            assert subject is not None
            records = tuple(r for r in report.of(family.name) if subject(r) == ident)
            files = {where.path for r in records if (where := family.location(r))}
            lines.append(f"{counted(len(records), family.noun)} in {counted(len(files), 'file')}")
            for label, members in family.groups(records):
                lines += ["", style(label, "1")] if label else [""]
                lines += [f"  {line}" for record in members for line in family.describe(record)]
        lines += ["", _accounting_line(report, ident), ""]
    if report.init is not None:
        lines += _init_header(report, style)
    for family in families.shown():
        records = report.of(family.name)
        if family.subject is None and records:
            lines.append(style(family.title, "1"))
            body = (
                family.summarize(records)
                if family.summarize
                else [line for record in records for line in family.describe(record)]
            )
            lines += [f"  {line}" for line in body]
            lines.append("")
    lines += _parse_lines(report)
    return "\n".join(lines) + "\n"


def _init_header(report: Report, style: _Style) -> list[str]:
    """What the signal table was computed from: PID 1's files, what was left out, and why."""
    scope = report.init
    assert scope is not None
    lines = [style(f"PID 1 ({scope.project.value}) in {describe_source(report.source)}", "1")]
    if scope.note:
        lines.append(f"  note: {scope.note}")
    if scope.main:
        lines.append(f"  PID 1 is {scope.entry}() in {scope.main}; {counted(len(scope.files), 'file')} considered")
    if scope.excluded:
        more = f" and {len(scope.excluded) - 6} more" if len(scope.excluded) > 6 else ""
        lines.append(f"  not PID 1, left out: {', '.join(scope.excluded[:6])}{more}")
    if scope.unresolved:
        lines.append("  UNRESOLVED macros: " + ", ".join(scope.unresolved))
    if scope.skipped:
        set_aside = counted(len(scope.skipped), "decision")
        lines.append(f"  {set_aside} set aside (child processes, before exec, handlers): see JSON")
    lines.append("")
    return lines


def _accounting_line(report: Report, ident: str) -> str:
    """How the text search's hits of `ident` were accounted for."""
    counts = dict.fromkeys(Accounting, 0)
    for occ in report.occurrences:
        if occ.ident == ident:
            counts[occ.accounted_as] += 1
    parts = [
        counted(counts[c], "site") if c is Accounting.SITE else f"{counts[c]} {c.label}"
        for c in Accounting
        if counts[c]
    ]
    found = f"{ident}: {counted(sum(counts.values()), 'occurrence')} found by text search"
    return found + (f" = {' + '.join(parts)}" if parts else "")


def _parse_lines(report: Report) -> list[str]:
    """Parse confidence per file: ERROR/MISSING nodes left after the macro rewrites."""
    parsed = [f for f in report.files if f.parsed]
    if not parsed:
        return []
    detail = ", ".join(f"{f.path} {f.error_nodes}/{f.missing_nodes}" for f in parsed)
    return [f"Parsed {counted(len(parsed), 'file')}; ERROR/MISSING nodes left: {detail}"]


def _status_counts(changes: Sequence[Change]) -> str:
    return ", ".join(f"{sum(1 for c in changes if c.status is s)} {s.value}" for s in Status)


def render_diff(result: ReportDiff, color: bool = False, show_all: bool = False) -> str:
    """What changed: records about each tracked name by group, then each other family.

    Unchanged records about a tracked name are counted, not listed, unless `show_all`: a
    reviewer wants the changes.
    """
    style = _Style(color)
    lines = [style(f"{describe_source(result.old)}  ->  {describe_source(result.new)}", "1")]
    about_names = [f for f in families.shown() if f.subject is not None]
    for ident in result.tracked:
        for family in about_names:
            subject = family.subject
            assert subject is not None
            rows = [c for c in result.of(family.name) if subject(c.latest) == ident]
            old_n, new_n = sum(1 for c in rows if c.old), sum(1 for c in rows if c.new)
            lines += ["", style(ident, "1") + f": {counted(old_n, family.noun)} -> {counted(new_n, family.noun)}"]
            absent_old, absent_new = ident in result.absent_in_old, ident in result.absent_in_new
            if absent_old and absent_new:
                lines.append(f"  absent in both ({result.old.label}, {result.new.label}): no occurrence at all")
            elif absent_old:
                lines.append(f"  absent in OLD ({result.old.label}): no occurrence at all; every site below is new")
            elif absent_new:
                lines.append(f"  absent in NEW ({result.new.label}): no occurrence at all; every site below is gone")
            lines.append(f"  {_status_counts(rows)}")
            listed = [c for c in rows if show_all or c.status is not Status.UNCHANGED]
            by_record = {id(c.latest): c for c in listed}
            for label, members in family.groups([c.latest for c in listed]):
                lines += ["", style(label, "1")] if label else [""]
                for record in members:
                    lines += _change_lines(family, by_record[id(record)], style)
            if hidden := len(rows) - len(listed):
                lines += ["", f"  {counted(hidden, 'unchanged ' + family.noun)} not listed (--all lists them)"]
    for family in families.shown():
        rows = list(result.of(family.name))
        if family.subject is None and rows:
            lines += ["", style(family.title, "1") + f": {_status_counts(rows)}"]
            listed = [c for c in rows if c.status is not Status.UNCHANGED or family.list_unchanged]
            for run in change_runs(family, listed):
                lines += _change_lines(family, run[0], style, also=run[1:])
    for side, names in (("OLD", result.untracked_in_old), ("NEW", result.untracked_in_new)):
        label = result.old.label if side == "OLD" else result.new.label
        for ident in names:
            lines += ["", f"{ident}: not tracked in {side} ({label}), not compared"]
    return "\n".join(lines) + "\n"


def joined_head(family: Family, head: str, change: Change, also: Sequence[Change]) -> str:
    """A change's head line naming the records of `also` too (changes that read the same)."""
    if not also:
        return head
    names = [family.name_of(c.latest) for c in (change, *also)]
    joined = ", ".join(names) if len(names) <= 8 else f"{', '.join(names[:3])} … {names[-1]} ({len(names)})"
    return head.replace(names[0], joined, 1)


def change_runs(family: Family, changes: Sequence[Change]) -> list[list[Change]]:
    """Consecutive changes whose words differ only in the record's name: said once."""
    runs: list[list[Change]] = []
    last_words = None
    for change in changes:
        (_, head), *body = change_lines(family, change)
        # the name out, with the padding that aligns what follows it
        words = (change.status, re.sub(re.escape(family.name_of(change.latest)) + r" *", "\0", head, count=1), body)
        if runs and words == last_words and body:
            runs[-1].append(change)
        else:
            runs.append([change])
        last_words = words
    return runs


def _change_lines(family: Family, change: Change, style: _Style, also: Sequence[Change] = ()) -> list[str]:
    """One diff row: status and head line, then the family's words for what differs.

    `also` are further changes that read the same: their names join the first one's.
    """
    (_, head), *body = change_lines(family, change)
    head = joined_head(family, head, change, also)
    lines = [f"  {style(f'{change.status.value:<9}', STATUS_COLOUR[change.status])} {head}"]
    for sign, text in body:
        lines.append(style(f"            {sign} {text}", SIGN_COLOUR[sign]) if sign else f"            {text}")
    return lines


def render_timeline(timeline: Timeline, color: bool = False) -> str:
    """A grid: one row per record, one column per release, a mark per cell."""
    style = _Style(color)
    width = min(max((len(r.label) for r in timeline.rows), default=10), 90)
    lines = [style(f"History of {counted(len(timeline.releases), 'release')}", "1")]
    lines += [f"  {number:>2}  {describe_source(info)}" for number, info in enumerate(timeline.releases, start=1)]
    lines.append("")
    header = " ".join(f"{n:>2}" for n in range(1, len(timeline.releases) + 1))
    current = None
    for row in timeline.rows:
        if row.family != current:
            current = row.family
            lines += ["", style(f"{families.family(current).title:<{width}}", "1") + "  " + header]
        label = row.label if len(row.label) <= width else row.label[: width - 1] + "…"
        lines.append(f"{label:<{width}}  {' '.join(f'{cell.mark:>2}' for cell in row.cells)}")
    legend = ", ".join(f"{cell.mark} {cell.word}" for cell in Cell)
    lines += ["", f"Legend: {legend}"]
    return "\n".join(lines) + "\n"
