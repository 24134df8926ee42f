"""The sites of the tracked names: every code occurrence, matched across releases by meaning."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence

from analyzer import resources
from analyzer.extract import unit
from analyzer.families.base import Change, Family, Level, Line, Pairing
from analyzer.model import Site, SiteKind, Status
from analyzer.vocab import FLAG
from analyzer.words import guard_chain, place


def site_context(site: Site) -> list[str]:
    """Guard chain, guarded statement, mask partners, preprocessor conditions."""
    lines = []
    if site.guards:
        lines.append("under: " + guard_chain(site.guards))
    if site.guarded:
        lines.append(f"when true: {site.guarded}")
    if site.combined_with:
        lines.append("masked with: " + ", ".join(site.combined_with))
    if site.preproc:
        lines.append("only " + " < ".join(site.preproc))
    return lines


def _describe_site(site: Site) -> list[str]:
    where = f"{site.location.path}:{site.location.line}"
    head = f"{where:<40} {site.function or '(no function)'}"
    return [head, f"    {site.normalized}", *(f"    {line}" for line in site_context(site))]


def _site_where(old: Site | None, new: Site | None) -> str:
    """`function  path:line`, with arrows where the function or place changed."""
    if old and new:
        function = old.function if old.function == new.function else f"{old.function} -> {new.function}"
        return f"{function or '(no function)'}  {place(old.location)} -> {place(new.location)}"
    site = old or new
    assert site is not None
    return f"{site.function or '(no function)'}  {place(site.location)}"


def _site_change(change: Change) -> list[Line]:
    """Where, then the statement (- old, + new when it changed), then context that changed."""
    old, new = change.old, change.new
    lines: list[Line] = [("", _site_where(old, new))]
    if old and new:
        if old.normalized != new.normalized:
            lines += [("-", old.normalized), ("+", new.normalized)]
        else:
            lines.append(("", f"  {new.normalized}"))
        before, after = site_context(old), site_context(new)
        lines += [("-", line) for line in before if line not in after]
        lines += [("+", line) for line in after if line not in before]
        return lines
    site = change.latest
    lines.append(("-" if old else "+", site.normalized))
    return lines + [("", f"  {line}") for line in site_context(site)]


def _renamable(old: Sequence[Site], new: Sequence[Site]) -> Pairing:
    """Which same-text pairs may be called moved.

    The same function in another file always; another function only when it looks like a
    rename: the old function has no site of that name left in the new release, and the new
    one had none in the old. Otherwise `if (is_global_init(p))` in two unrelated functions
    would read as a rename.
    """
    old_functions = {(s.ident, s.function) for s in old}
    new_functions = {(s.ident, s.function) for s in new}

    def allowed(a: Site, b: Site) -> bool:
        if a.function == b.function:
            return True
        return (a.ident, a.function) not in new_functions and (b.ident, b.function) not in old_functions

    return allowed


def _site_likeness(a: Site, b: Site) -> tuple[bool, bool, float]:
    """Same file, then same function, then textual similarity."""
    ratio = difflib.SequenceMatcher(None, a.normalized, b.normalized).ratio()
    return (a.location.path == b.location.path, a.function == b.function, ratio)


def _site_severity(change: Change) -> str:
    # Losing or changing a test or clear of the flag can weaken init's protection.
    guarding = change.latest.kind in (SiteKind.TEST, SiteKind.CLEAR)
    return "warning" if guarding and change.status in (Status.REMOVED, Status.CHANGED) else "note"


def _site_message(change: Change) -> str:
    site = change.latest
    message = f"{site.ident} {site.kind.value} {change.status.value}: {site.normalized}"
    if change.old and change.new and change.old.function != change.new.function:
        message += f" (was in {change.old.function})"
    return message


@functools.cache
def forced_clears() -> frozenset[str]:
    """The functions of queries/kernel/forced-clears.txt: where the kernel itself clears the flag."""
    text = (resources.queries_dir() / "kernel" / "forced-clears.txt").read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() for word in line.split("#", 1)[0].split()[:1])


def _stray_clears(sites: Sequence[Site]) -> list[str]:
    """A clear of the flag outside the forced-signal path: init loses its protection."""
    path = ", ".join(sorted(forced_clears()))
    return [
        f"{s.location.path}:{s.location.line}: {s.function or '(no function)'} clears {FLAG} outside the kernel's"
        f" forced-signal path ({path}): the init it runs on becomes killable, and a `kill -9 1` then kills"
        " it (the global init's death panics the kernel)"
        for s in sites
        if s.ident == FLAG and s.kind is SiteKind.CLEAR and s.function not in forced_clears()
    ]


def _site_timeline_key(site: Site, tracked: Sequence[str], first: int) -> tuple[object, ...]:
    ident = tracked.index(site.ident) if site.ident in tracked else len(tracked)
    return (ident, site.kind.rank, first, site.location.path, site.location.line)


SITES = Family(
    name=unit.SITES,  # the parse unit finds sites itself (analyzer.extract.kernel)
    title="Sites",
    record=Site,
    report_key="sites",
    compared=lambda s: {
        "function": s.function,
        "path": s.location.path,
        "text": s.normalized,
        "guards": s.guards,
        "guarded": s.guarded,
        "preproc": s.preproc,
    },
    levels=(
        Level(lambda s: (*s.logic_key, s.location.path)),
        Level(lambda s: (s.ident, s.kind, s.normalized), Status.MOVED, _renamable),
        Level(lambda s: (s.ident, s.kind, s.function), Status.CHANGED),
    ),
    describe=_describe_site,
    name_of=lambda s: f"{s.ident} {s.kind.value}: {s.normalized}",
    order=lambda s: (s.location, s.ident),
    change_order=lambda c: (c.latest.ident, c.latest.kind.rank, c.new is None, c.latest.location),
    likeness=_site_likeness,
    subject=lambda s: s.ident,
    group=lambda s: (s.kind.rank, s.kind.value),
    group_labels=tuple(kind.value for kind in SiteKind),
    noun="site",
    label=lambda s: f"{s.ident} {s.kind.value} {s.function or '?'} ({s.location.path}): {s.normalized}",
    timeline_key=_site_timeline_key,
    describe_change=_site_change,
    diff_key="changes",
    change_fields=lambda s: {"ident": s.ident, "kind": s.kind.value},
    severity=_site_severity,
    message=_site_message,
    check=_stray_clears,
    columns={
        "identifier": lambda s: s.ident,
        "kind": lambda s: s.kind,
        "function": lambda s: s.function,
        "location": lambda s: s.location,
        "statement": lambda s: s.normalized,
        "guards": lambda s: s.guards,
        "guarded": lambda s: s.guarded,
        "masked_with": lambda s: s.combined_with,
        "preproc": lambda s: s.preproc,
    },
    change_columns=(
        {"identifier": lambda s: s.ident, "kind": lambda s: s.kind},
        {
            "function": lambda s: s.function,
            "location": lambda s: s.location,
            "statement": lambda s: s.normalized,
            "guards": lambda s: s.guards,
        },
    ),
    code=True,
)
