"""The kernel's families: sites of the tracked names, signal classes, the force decision, the kill path."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence

from analyzer import resources
from analyzer.extract import unit
from analyzer.extract.callgraph import ENTRY, calls_in, kill_paths
from analyzer.extract.force import force_assignments
from analyzer.extract.masks import masks_from_sites
from analyzer.families.base import Change, Family, Level, Line, Pairing, default_change_lines
from analyzer.families.context import Release
from analyzer.model import ForceAssignment, Hop, KillPath, Location, SignalMask, Site, SiteKind, Status
from analyzer.vocab import FLAG
from analyzer.words import brief, guard_chain, place

# --- sites ---------------------------------------------------------------------------------


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

# --- signal classes ------------------------------------------------------------------------


def _describe_mask(mask: SignalMask) -> list[str]:
    lines = [f"{mask.name:<26} {place(mask.location)}", f"    {' '.join(mask.signals)}"]
    lines += [f"    + {c.signal} only {c.condition}" for c in mask.conditional]
    return lines + [f"    unresolved term: {term}" for term in mask.unresolved]


def _mask_change(change: Change) -> list[Line]:
    old, new = change.old, change.new
    if old is None or new is None:
        return default_change_lines(MASKS, change)
    lines: list[Line] = [("", _describe_mask(new)[0])]
    lines += [("-", s) for s in old.signals if s not in new.signals]
    lines += [("+", s) for s in new.signals if s not in old.signals]
    if old.location.path != new.location.path:
        lines.append(("", f"moved from {place(old.location)}"))
    return lines


MASKS = Family(
    name="mask",
    title="Signal classes",
    record=SignalMask,
    report_key="masks",
    compared=lambda m: {
        "signals": m.signals,
        "conditional": m.conditional,
        "unresolved": m.unresolved,
        "path": m.location.path,
    },
    levels=(Level(lambda m: (m.name, m.location.path)), Level(lambda m: m.name, Status.MOVED)),
    describe=_describe_mask,
    name_of=lambda m: m.name,
    per_file=lambda facts: masks_from_sites(list(facts.sites), facts.data, facts.layout),
    order=lambda m: m.location,
    describe_change=_mask_change,
    list_unchanged=True,
)

# --- the kill path's raw material: every call in the file that defines kill(2), and headers --


def _entry_file(release: Release) -> str | None:
    """The .c file defining the kill system call: the kill path and the force decision live there."""
    return next(
        (p for p, r in release.files.items() if p.endswith(".c") and any(h.caller == ENTRY for h in r.of("call"))),
        None,
    )


def _release_calls(release: Release) -> list[Hop]:
    # The call graph extends into headers, never into other .c files, whose static
    # functions may share names with it.
    entry = _entry_file(release)
    if entry is None:
        return []
    return [h for p, r in release.files.items() if p.endswith(".h") or p == entry for h in r.of("call")]


CALLS = Family(
    name="call",
    title="Calls",
    record=Hop,
    report_key="calls",
    compared=lambda h: {"callee": h.callee},
    per_file=lambda facts: calls_in(facts.tree, facts.locate) if facts.tree is not None else [],
    per_release=_release_calls,
    shown=False,
)

# --- the force decision --------------------------------------------------------------------


def _describe_force(force: ForceAssignment) -> list[str]:
    lines = [f"{place(force.location):<24} {force.function}: {force.variable} = {force.value}"]
    if force.guards:
        lines.append("    under: " + guard_chain(force.guards))
    if force.preproc:
        lines.append("    only " + " < ".join(force.preproc))
    return lines


def _role(force: ForceAssignment) -> str | None:
    return force.feeds.rpartition("#")[2] if force.feeds else None


def _alike(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and difflib.SequenceMatcher(None, a, b).ratio() >= 0.6


def _same_role(_old: Sequence[ForceAssignment], _new: Sequence[ForceAssignment]) -> Pairing:
    def allowed(a: ForceAssignment, b: ForceAssignment) -> bool:
        callee = (a.feeds or "").rpartition("#")[0], (b.feeds or "").rpartition("#")[0]
        return a.feeds is not None and _alike(*callee) and _alike(a.function, b.function)

    return allowed


def _force_likeness(a: ForceAssignment, b: ForceAssignment) -> float:
    """What decides, compared as text: the value and the conditions it is assigned under."""
    before, after = (f"{f.value} {guard_chain(f.guards)}" for f in (a, b))
    return difflib.SequenceMatcher(None, before, after).ratio()


def _release_force(release: Release) -> list[ForceAssignment]:
    entry = _entry_file(release)
    return list(release.files[entry].of("force")) if entry is not None else []


FORCE = Family(
    name="force",
    title="Force decision",
    record=ForceAssignment,
    report_key="force",
    compared=lambda f: {
        "variable": f.variable,
        "function": f.function,
        "value": f.value,
        "guards": f.guards,
        "preproc": f.preproc,
        "path": f.location.path,
    },
    levels=(
        Level(lambda f: (f.variable, f.function, f.value, f.guards)),
        Level(lambda f: (f.variable, f.value, f.guards), Status.MOVED),
        Level(lambda f: (f.variable, f.function, f.value), Status.CHANGED),
        # The same role under another name (from_ancestor_ns in 2.6, force later): the same
        # argument of a look-alike call in a look-alike function.
        Level(_role, None, _same_role),
    ),
    likeness=_force_likeness,
    describe=_describe_force,
    name_of=lambda f: f"{f.function}: {f.variable} = {f.value}",
    per_file=lambda facts: (
        force_assignments(facts.tree, facts.data, facts.layout, facts.locate) if facts.tree is not None else []
    ),
    per_release=_release_force,
)

# --- the kill path -------------------------------------------------------------------------


def hop_names(path: KillPath) -> tuple[str, ...]:
    """The functions a chain passes through, from the system call on."""
    return (path.hops[0].caller, *(hop.callee for hop in path.hops)) if path.hops else ()


def hop_changes(old: KillPath, new: KillPath) -> list[str]:
    """Hops added, removed or renamed between two chains, in words, in the new chain's order."""
    before, after = hop_names(old), hop_names(new)
    words = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        gone, came = list(before[i1:i2]), list(after[j1:j2])
        renamed_from = _pair_renames(gone, came)
        for name in came:
            words.append(f"renamed {renamed_from[name]} -> {name}" if name in renamed_from else f"added {name}")
        words += [f"removed {name}" for name in gone if name not in renamed_from.values()]
    return words


def _pair_renames(gone: list[str], came: list[str]) -> dict[str, str]:
    """new name -> old name for look-alike names (send_signal -> send_signal_locked)."""
    renames: dict[str, str] = {}
    for old_name in gone:
        scored = [(difflib.SequenceMatcher(None, old_name, n).ratio(), n) for n in came if n not in renames]
        if scored and (best := max(scored))[0] >= 0.6:
            renames[best[1]] = old_name
    return renames


def _describe_kill_path(path: KillPath) -> list[str]:
    heading = "decides the signal is ignored" if path.primary else "tests the flag"
    lines = [f"kill(2) -> {path.target} ({heading}), {len(path.hops)} hops:"]
    if path.hops:
        lines.append(f"    {path.hops[0].caller}")
    return lines + [f"    -> {hop.callee:<28} called at {place(hop.location)}" for hop in path.hops]


def _kill_path_change(change: Change) -> list[Line]:
    if change.old is None or change.new is None:
        return default_change_lines(KILL_PATHS, change)
    return [("", _describe_kill_path(change.new)[0]), *(("", w) for w in hop_changes(change.old, change.new))]


def _first_hop(path: KillPath) -> Location | None:
    return path.hops[0].location if path.hops else None  # the kill system call, where the chain starts


def _release_kill_paths(release: Release) -> tuple[KillPath, ...]:
    entry = _entry_file(release)
    if entry is None:
        return ()
    # A call from the entry file to a name it defines reaches its own function, never a
    # same-named static one of another .c file: that one's tests are no target.
    own = {hop.caller for hop in release.files[entry].of("call")}
    tests = [
        s
        for s in release.of("site")
        if s.ident == FLAG and (s.location.path == entry or not s.location.path.endswith(".c") or s.function not in own)
    ]
    return kill_paths(release.of("call"), tests)


KILL_PATHS = Family(
    name="kill_path",
    title="Kill path",
    record=KillPath,
    report_key="kill_paths",
    compared=lambda k: {"hops": hop_names(k), "primary": k.primary},
    levels=(Level(lambda k: k.target),),
    describe=_describe_kill_path,
    name_of=lambda k: f"kill(2) -> {k.target}",
    per_release=_release_kill_paths,
    location=_first_hop,
    describe_change=_kill_path_change,
    list_unchanged=True,
)

__all__ = ["CALLS", "FORCE", "KILL_PATHS", "MASKS", "SITES", "brief", "hop_changes", "hop_names", "site_context"]
