"""The kernel's families around the flag: signal classes, the force decision, the kill path."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from analyzer.families.base import Change, Family, Level, Line, Pairing, default_change_lines
from analyzer.families.context import FileFacts, Release
from analyzer.model import ForceAssignment, Hop, KillPath, Location, SignalMask, Status
from analyzer.vocab import FLAG
from analyzer.words import guard_chain, place

# Extractors are imported where they run: a report read from the cache runs none.

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


def _masks_in(facts: FileFacts) -> list[SignalMask]:
    from analyzer.extract.masks import masks_from_sites

    return masks_from_sites(list(facts.sites), facts.data, facts.layout)


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
    per_file=_masks_in,
    order=lambda m: m.location,
    describe_change=_mask_change,
    list_unchanged=True,
)

# --- the kill path's raw material: every call in the file that defines kill(2), and headers --


def _entry_file(release: Release) -> str | None:
    """The .c file defining the kill system call: the kill path and the force decision live there."""
    from analyzer.extract.callgraph import ENTRY

    if not release.entry:  # three families ask
        files = release.files.items()
        found = next((p for p, r in files if p.endswith(".c") and any(h.caller == ENTRY for h in r.of("call"))), None)
        release.entry.append(found)
    return release.entry[0]


def _release_calls(release: Release) -> list[Hop]:
    # The call graph extends into headers, never into other .c files, whose static
    # functions may share names with it.
    entry = _entry_file(release)
    if entry is None:
        return []
    return [h for p, r in release.files.items() if p.endswith(".h") or p == entry for h in r.of("call")]


def _calls_in(facts: FileFacts) -> list[Hop]:
    from analyzer.extract.callgraph import ENTRY, calls_in

    if facts.tree is None:
        return []
    # The call graph reads headers and the file whose sys_kill calls something (_entry_file):
    # a file whose parsed text never names sys_kill is neither.
    if not facts.path.endswith(".h") and ENTRY.encode() not in (facts.tree.root_node.text or b""):
        return []
    return calls_in(facts.tree, facts.locate)


CALLS = Family(
    name="call",
    title="Calls",
    record=Hop,
    report_key="calls",
    compared=lambda h: {"callee": h.callee},
    per_file=_calls_in,
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


def _force_in(facts: FileFacts) -> list[ForceAssignment]:
    from analyzer.delivery.atoms import path_names
    from analyzer.extract.force import force_assignments

    if facts.tree is None:
        return []
    return force_assignments(facts.tree, facts.data, facts.layout, facts.locate, path_names()["force"])


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
    per_file=_force_in,
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
    from analyzer.extract.callgraph import kill_paths

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

__all__ = ["CALLS", "FORCE", "KILL_PATHS", "MASKS", "hop_changes", "hop_names"]
