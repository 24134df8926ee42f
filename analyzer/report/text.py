"""Terminal rendering: sites and diffs grouped by kind, colour only when asked (a TTY)."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.diff import ReportDiff, SiteChange, Status
from analyzer.model import Accounting, Report, Site, SiteKind, SourceInfo

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
        lines.append(f"{len(sites)} sites in {len(files)} files")
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
    lines += _parse_lines(report)
    return "\n".join(lines) + "\n"


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
        yield "under: " + " < ".join(
            f"if ({g.condition})" if g.branch == "then" else f"else of if ({g.condition})" for g in site.guards
        )
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
    return f"{ident}: {total} occurrences found by text search" + (f" = {' + '.join(parts)}" if parts else "")


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
        lines.append(style(ident, "1") + f": {old_n} sites -> {new_n} sites")
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
