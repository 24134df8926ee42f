"""Diff of the facts around the flag (signal classes, force decision, kill path), one family at a time.

Each family says how to recognise a fact across releases, from strict to loose keys, and
which fields a reader compares; pairing then works the same for every family.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from analyzer.model import Disposition, ForceAssignment, KillPath, Report, SignalMask, Status

Fact = SignalMask | ForceAssignment | KillPath | Disposition


@dataclass(frozen=True, slots=True)
class FactChange:
    """One row of a fact diff."""

    family: str
    status: Status
    old: Fact | None
    new: Fact | None
    differences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Family:
    """How one kind of fact is found in a report, matched across releases and compared."""

    name: str
    title: str
    facts: Callable[[Report], Sequence[Fact]]
    # (key, status when matched at this level); the first level's matches are unchanged
    # unless a compared field differs.
    passes: tuple[tuple[Callable[[Any], Hashable], Status], ...]
    compared: Callable[[Any], dict[str, object]]
    # What a reader calls one fact (a mask, a signal, a target); by default its first field.
    name_of: Callable[[Any], str] = lambda fact: str(getattr(fact, fields(fact)[0].name))
    in_source_order: bool = True  # else rows keep the report's own order (signal tables)


def _hop_names(path: KillPath) -> tuple[str, ...]:
    return (path.hops[0].caller, *(hop.callee for hop in path.hops)) if path.hops else ()


FAMILIES: tuple[Family, ...] = (
    Family(
        "mask",
        "Signal classes",
        lambda r: r.masks,
        ((lambda m: (m.name, m.location.path), Status.UNCHANGED), (lambda m: m.name, Status.MOVED)),
        lambda m: {
            "signals": m.signals,
            "conditional": m.conditional,
            "unresolved": m.unresolved,
            "path": m.location.path,
        },
        lambda m: m.name,
    ),
    Family(
        "force",
        "Force decision",
        lambda r: r.force,
        (
            (lambda f: (f.variable, f.function, f.value, f.guards), Status.UNCHANGED),
            (lambda f: (f.variable, f.value, f.guards), Status.MOVED),
            (lambda f: (f.variable, f.function, f.value), Status.CHANGED),
        ),
        lambda f: {
            "function": f.function,
            "value": f.value,
            "guards": f.guards,
            "preproc": f.preproc,
            "path": f.location.path,
        },
        lambda f: f"{f.function}: {f.variable} = {f.value}",
    ),
    Family(
        "kill_path",
        "Kill path",
        lambda r: r.kill_paths,
        ((lambda k: k.target, Status.UNCHANGED),),
        lambda k: {"hops": _hop_names(k), "primary": k.primary},
        lambda k: f"kill(2) -> {k.target}",
    ),
    Family(
        "disposition",
        "PID 1 signal table",
        lambda r: r.init.dispositions if r.init else (),
        ((lambda d: d.signal, Status.UNCHANGED),),
        lambda d: {
            "disposition": d.disposition,
            "handler": d.handler,
            "dispatch": d.dispatch,
            "function": d.function,
            "via": d.via,
            "path": d.location.path if d.location else None,
        },
        lambda d: d.signal,
        in_source_order=False,
    ),
)


def diff_facts(old: Report, new: Report) -> tuple[FactChange, ...]:
    """Pair every family's facts of two reports; leftovers are added or removed."""
    changes: list[FactChange] = []
    for family in FAMILIES:
        start = len(changes)
        left_old, left_new = list(family.facts(old)), list(family.facts(new))
        for level, (key, status) in enumerate(family.passes):
            pairs, left_old, left_new = _pair(left_old, left_new, key)
            for a, b in pairs:
                before, after = family.compared(a), family.compared(b)
                found = tuple(name for name in before if before[name] != after[name])
                # Only the file differs: the same decision moved (a crash handler leaving main.c).
                first_level_status = (
                    Status.UNCHANGED if not found else Status.MOVED if set(found) <= {"path"} else Status.CHANGED
                )
                changes.append(FactChange(family.name, first_level_status if level == 0 else status, a, b, found))
        changes += [FactChange(family.name, Status.REMOVED, fact, None) for fact in left_old]
        changes += [FactChange(family.name, Status.ADDED, None, fact) for fact in left_new]
        if family.in_source_order:
            changes[start:] = sorted(changes[start:], key=_row_order)
    return tuple(changes)


def _row_order(change: FactChange) -> tuple[object, ...]:
    """Kept and changed facts in the new release's order, then what was removed."""
    fact = change.new or change.old
    where = fact.hops[0].location if isinstance(fact, KillPath) and fact.hops else getattr(fact, "location", None)
    return (change.new is None, where.path if where else "", where.line if where else 0)


def _pair(
    old: list[Any], new: list[Any], key: Callable[[Any], Hashable]
) -> tuple[list[tuple[Any, Any]], list[Any], list[Any]]:
    """Pair facts with equal keys in source order; return pairs and leftovers."""
    by_key: dict[Hashable, list[Any]] = defaultdict(list)
    for fact in new:
        by_key[key(fact)].append(fact)
    pairs, left_old = [], []
    for fact in old:
        candidates = by_key.get(key(fact))
        if candidates:
            pairs.append((fact, candidates.pop(0)))
        else:
            left_old.append(fact)
    return pairs, left_old, [fact for facts in by_key.values() for fact in facts]


def hop_changes(old: KillPath, new: KillPath) -> list[str]:
    """Hops added, removed or renamed between two chains, in words, in the new chain's order."""
    before, after = _hop_names(old), _hop_names(new)
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
