"""Terminal rendering: sites and diffs grouped by kind, colour only when asked (a TTY)."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.diff import ReportDiff, SiteChange, Status
from analyzer.factdiff import FAMILIES, FactChange, hop_changes
from analyzer.history import Timeline
from analyzer.model import (
    Accounting,
    Disposition,
    ForceAssignment,
    Guard,
    KillPath,
    Location,
    Report,
    SignalMask,
    Site,
    SiteKind,
    SourceInfo,
)

_KIND_ORDER = list(SiteKind)
_STATUS_COLOUR = {
    Status.ADDED: "32",
    Status.REMOVED: "31",
    Status.CHANGED: "33",
    Status.MOVED: "36",
    Status.UNCHANGED: "2",
}


class _Style:
    """ANSI styling that is a no-op when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text


def counted(number: int, noun: str) -> str:
    """`1 site`, `2 sites`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def describe_source(info: SourceInfo) -> str:
    """One line naming a tree: ref or path, release, commit."""
    parts = [info.label]
    details = []
    if info.release:
        details.append(f"Linux {info.release}")
    if info.commit:
        details.append(f"commit {info.commit[:12]}")
    elif info.content_hash:
        details.append(f"sha256 {info.content_hash[:12]}")
    if details:
        parts.append(f"({', '.join(details)})")
    return " ".join(parts)


def render_report(report: Report, color: bool = False) -> str:
    """The site table of one scan, then the accounting of every occurrence."""
    style = _Style(color)
    lines = []
    for ident in report.tracked:
        sites = [s for s in report.sites if s.ident == ident]
        files = {s.location.path for s in sites}
        lines.append(style(f"{ident} in {describe_source(report.source)}", "1"))
        if report.occurrence_count(ident) == 0:
            lines.append("  absent: no occurrence anywhere in this tree")
            lines.append("")
            continue
        lines.append(f"{counted(len(sites), 'site')} in {counted(len(files), 'file')}")
        for kind in _KIND_ORDER:
            of_kind = [s for s in sites if s.kind is kind]
            if of_kind:
                lines.append("")
                lines.append(style(kind.value, "1"))
                for site in of_kind:
                    lines += _site_lines(site)
        lines.append("")
        lines.append(_accounting_line(report, ident))
        lines.append("")
    if report.init is not None:
        lines += _init_header(report, style)
    lines += _fact_sections(report, style)
    lines += _parse_lines(report)
    return "\n".join(lines) + "\n"


def _place(location: Location) -> str:
    return f"{location.path}:{location.line}"


def _init_header(report: Report, style: _Style) -> list[str]:
    """What the signal table was computed from: PID 1's files, what was left out, and why."""
    table = report.init
    assert table is not None
    lines = [style(f"PID 1 ({table.project}) in {describe_source(report.source)}", "1")]
    if table.note:
        lines.append(f"  note: {table.note}")
    if table.main:
        lines.append(f"  PID 1 is main() in {table.main}; {counted(len(table.files), 'file')} considered")
    if table.excluded:
        shown = ", ".join(table.excluded[:6]) + (
            f" and {len(table.excluded) - 6} more" if len(table.excluded) > 6 else ""
        )
        lines.append(f"  not PID 1, left out: {shown}")
    if table.unresolved:
        lines.append("  UNRESOLVED macros: " + ", ".join(table.unresolved))
    if table.skipped:
        lines.append(f"  {len(table.skipped)} decisions set aside (child processes, before exec, handlers): see JSON")
    lines.append("")
    return lines


def _fact_sections(report: Report, style: _Style) -> list[str]:
    """Signal classes, force decision and kill path, each under its family's title."""
    lines = []
    for family in FAMILIES:
        facts = family.facts(report)
        if not facts:
            continue
        lines.append(style(family.title, "1"))
        for fact in facts:
            lines += [f"  {line}" for line in describe_fact(fact)]
        lines.append("")
    return lines


def describe_fact(fact: SignalMask | ForceAssignment | KillPath | Disposition) -> list[str]:
    """A fact in a few readable lines."""
    if isinstance(fact, Disposition):
        what = {"handler": fact.handler, "blocked": f"read in {fact.handler}" if fact.handler else "read back"}
        head = f"{fact.signal:<12} {fact.disposition:<8} {what.get(fact.disposition) or '':<34}"
        where = f"{fact.function}, {_place(fact.location)}, " if fact.location and fact.function else ""
        lines = [f"{head} ({where}{fact.via})" if fact.location else f"{head} (never set)"]
        if fact.dispatch:
            lines.append(f"    dispatched: {fact.dispatch}")
        if fact.note:
            lines.append(f"    note: {fact.note}")
        return lines
    if isinstance(fact, SignalMask):
        lines = [f"{fact.name:<26} {_place(fact.location)}", f"    {' '.join(fact.signals)}"]
        lines += [f"    + {c.signal} only {c.condition}" for c in fact.conditional]
        lines += [f"    unresolved term: {term}" for term in fact.unresolved]
        return lines
    if isinstance(fact, ForceAssignment):
        lines = [f"{_place(fact.location):<24} {fact.function}: {fact.variable} = {fact.value}"]
        if fact.guards:
            lines.append("    under: " + _guard_chain(fact.guards))
        if fact.preproc:
            lines.append("    only " + " < ".join(fact.preproc))
        return lines
    if not isinstance(fact, KillPath):  # a family this renderer has no words for yet
        from analyzer.report.tables import describe

        return [describe(fact)]
    heading = "decides the signal is ignored" if fact.primary else "tests the flag"
    lines = [f"kill(2) -> {fact.target} ({heading}), {len(fact.hops)} hops:"]
    if fact.hops:
        lines.append(f"    {fact.hops[0].caller}")
    lines += [f"    -> {hop.callee:<28} called at {_place(hop.location)}" for hop in fact.hops]
    return lines


def _guard_chain(guards: Iterable[Guard]) -> str:
    return " < ".join(f"if ({g.condition})" if g.branch == "then" else f"else of if ({g.condition})" for g in guards)


def _site_lines(site: Site, prefix: str = "") -> list[str]:
    """A site: location and function, the statement, then its context."""
    where = f"{site.location.path}:{site.location.line}"
    function = site.function or "(no function)"
    lines = [f"  {where:<40} {function}", f"      {prefix}{site.normalized}"]
    lines += [f"      {line}" for line in _context(site)]
    return lines


def _context(site: Site) -> Iterable[str]:
    """Guard chain, guarded statement, mask partners, preprocessor conditions."""
    if site.guards:
        yield "under: " + _guard_chain(site.guards)
    if site.guarded:
        yield f"when true: {site.guarded}"
    if site.combined_with:
        yield "masked with: " + ", ".join(site.combined_with)
    if site.preproc:
        yield "only " + " < ".join(site.preproc)


def _accounting_line(report: Report, ident: str) -> str:
    """How the text search's hits of `ident` were accounted for."""
    counts = {category.value: 0 for category in Accounting}
    for occ in report.occurrences:
        if occ.ident == ident:
            counts[occ.accounted_as.value] += 1
    labels = {
        Accounting.SITE: "sites",
        Accounting.COMMENT: "in comments",
        Accounting.STRING: "in strings",
        Accounting.INACTIVE: "in #if 0",
        Accounting.NOT_C: "in non-C files",
        Accounting.BINARY: "in binary files",
        Accounting.UNACCOUNTED: "UNACCOUNTED",
    }
    parts = [f"{counts[c.value]} {labels[c]}" for c in Accounting if counts[c.value]]
    total = sum(counts.values())
    found = f"{ident}: {counted(total, 'occurrence')} found by text search"
    return found + (f" = {' + '.join(parts)}" if parts else "")


def _parse_lines(report: Report) -> list[str]:
    """Parse confidence per file: ERROR/MISSING nodes left after the macro rewrites."""
    parsed = [f for f in report.files if f.parsed]
    if not parsed:
        return []
    detail = ", ".join(f"{f.path} {f.error_nodes}/{f.missing_nodes}" for f in parsed)
    return [f"Parsed {len(parsed)} files; ERROR/MISSING nodes left: {detail}"]


def render_diff(result: ReportDiff, color: bool = False) -> str:
    """What changed, grouped by identifier and kind, readable at a glance."""
    style = _Style(color)
    lines = [style(f"{describe_source(result.old)}  ->  {describe_source(result.new)}", "1")]
    for ident in result.tracked:
        rows = [c for c in result.changes if c.ident == ident]
        lines.append("")
        old_n = sum(1 for c in rows if c.old)
        new_n = sum(1 for c in rows if c.new)
        lines.append(style(ident, "1") + f": {counted(old_n, 'site')} -> {counted(new_n, 'site')}")
        if ident in result.absent_in_old:
            lines.append(f"  absent in OLD ({result.old.label}): no occurrence at all; every site below is new")
        if ident in result.absent_in_new:
            lines.append(f"  absent in NEW ({result.new.label}): no occurrence at all; every site below is gone")
        counts = ", ".join(f"{sum(1 for c in rows if c.status is s)} {s.value}" for s in Status)
        lines.append(f"  {counts}")
        for kind in _KIND_ORDER:
            of_kind = [c for c in rows if c.kind == kind]
            if of_kind:
                lines.append("")
                lines.append(style(kind.value, "1"))
                for change in of_kind:
                    lines += _change_lines(change, style)
    for family in FAMILIES:
        fact_rows = [c for c in result.fact_changes if c.family == family.name]
        if fact_rows:
            counts = ", ".join(f"{sum(1 for c in fact_rows if c.status is s)} {s.value}" for s in Status)
            lines += ["", style(family.title, "1") + f": {counts}"]
            for fact_change in fact_rows:
                if fact_change.status is not Status.UNCHANGED or family.name in ("mask", "kill_path"):
                    lines += _fact_change_lines(fact_change, style)
    for side, names in (("OLD", result.untracked_in_old), ("NEW", result.untracked_in_new)):
        label = result.old.label if side == "OLD" else result.new.label
        for ident in names:
            lines += ["", f"{ident}: not tracked in {side} ({label}), not compared"]
    return "\n".join(lines) + "\n"


def _change_lines(change: SiteChange, style: _Style) -> list[str]:
    """One diff row: status, function and place (old -> new), then what differs."""
    old, new = change.old, change.new
    status = style(f"{change.status.value:<9}", _STATUS_COLOUR[change.status])
    lines = [f"  {status} {_where(old, new)}"]
    if old and new:
        if old.normalized != new.normalized:
            lines.append(style(f"            - {old.normalized}", "31"))
            lines.append(style(f"            + {new.normalized}", "32"))
        else:
            lines.append(f"              {new.normalized}")
        old_context, new_context = list(_context(old)), list(_context(new))
        if old_context != new_context:
            lines += [style(f"            - {line}", "31") for line in old_context if line not in new_context]
            lines += [style(f"            + {line}", "32") for line in new_context if line not in old_context]
    else:
        site = old or new
        assert site is not None
        sign = "-" if old else "+"
        lines.append(style(f"            {sign} {site.normalized}", "31" if old else "32"))
        lines += [f"              {line}" for line in _context(site)]
    return lines


def _fact_change_lines(change: FactChange, style: _Style) -> list[str]:
    """One fact row: status, then the old and new fact, or what differs between them."""
    status = style(f"{change.status.value:<9}", _STATUS_COLOUR[change.status])
    old, new = change.old, change.new
    if old is None or new is None:
        fact = old or new
        assert fact is not None
        sign = "-" if old else "+"
        body = describe_fact(fact)
        return [f"  {status} {body[0]}"] + [
            style(f"            {sign} {line.strip()}", "31" if old else "32") for line in body[1:]
        ]
    head = describe_fact(new)[0]
    lines = [f"  {status} {head}"]
    if isinstance(old, SignalMask) and isinstance(new, SignalMask):
        gone = [s for s in old.signals if s not in new.signals]
        came = [s for s in new.signals if s not in old.signals]
        lines += [style(f"            - {s}", "31") for s in gone] + [style(f"            + {s}", "32") for s in came]
        if old.location.path != new.location.path:
            lines.append(f"            moved from {_place(old.location)}")
    elif isinstance(old, KillPath) and isinstance(new, KillPath):
        lines += [f"            {words}" for words in hop_changes(old, new)]
    elif change.status is not Status.UNCHANGED:
        from analyzer.report.tables import brief  # tables imports this module

        family = next(f for f in FAMILIES if f.name == change.family)
        before, after = family.compared(old), family.compared(new)
        for name in change.differences:
            lines.append(f"            {name}: {brief(before[name])} -> {brief(after[name])}")
    return lines


def _where(old: Site | None, new: Site | None) -> str:
    """`function  path:line`, with arrows where the function or place changed."""

    def place(site: Site) -> str:
        return f"{site.location.path}:{site.location.line}"

    if old and new:
        function = old.function if old.function == new.function else f"{old.function} -> {new.function}"
        return f"{function or '(no function)'}  {place(old)} -> {place(new)}"
    site = old or new
    assert site is not None
    return f"{site.function or '(no function)'}  {place(site)}"


_TIMELINE_MARKS = {"present": "*", "unchanged": "=", "changed": "~", "moved": ">", "added": "+", "": "."}


def render_timeline(timeline: Timeline, color: bool = False) -> str:
    """A grid: one row per site or fact, one column per release, a mark per cell."""
    style = _Style(color)
    width = max((len(r.label) for r in timeline.rows), default=10)
    width = min(width, 90)
    lines = [style(f"History of {counted(len(timeline.releases), 'release')}", "1")]
    for number, info in enumerate(timeline.releases, start=1):
        lines.append(f"  {number:>2}  {describe_source(info)}")
    lines.append("")
    header = " ".join(f"{n:>2}" for n in range(1, len(timeline.releases) + 1))
    current = None
    for row in timeline.rows:
        if row.family != current:
            current = row.family
            title = "Sites" if current == "site" else next(f.title for f in FAMILIES if f.name == current)
            lines += ["", style(f"{title:<{width}}", "1") + "  " + header]
        label = row.label if len(row.label) <= width else row.label[: width - 1] + "…"
        marks = " ".join(f"{_TIMELINE_MARKS[cell]:>2}" for cell in row.cells)
        lines.append(f"{label:<{width}}  {marks}")
    legend = ", ".join(f"{mark} {name or 'absent'}" for name, mark in _TIMELINE_MARKS.items())
    lines += ["", f"Legend: {legend}"]
    return "\n".join(lines) + "\n"
