"""Match sites of two reports by meaning, not by line: unchanged, moved, changed, added, removed."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from analyzer.factdiff import FactChange, diff_facts
from analyzer.model import Report, Site, SourceInfo, Status


@dataclass(frozen=True, slots=True)
class SiteChange:
    """One row of a diff: a site in the old release, the new one, or both."""

    status: Status
    ident: str
    kind: str
    old: Site | None
    new: Site | None
    differences: tuple[str, ...] = ()  # which facts differ: function, path, text, guards, guarded, preproc


@dataclass(frozen=True, slots=True)
class ReportDiff:
    """Everything that changed between two scans."""

    old: SourceInfo
    new: SourceInfo
    tracked: tuple[str, ...]
    changes: tuple[SiteChange, ...]
    absent_in_old: tuple[str, ...]  # tracked names with no occurrence at all in the old tree
    absent_in_new: tuple[str, ...]
    # Names only one side searched for (a saved report with other --track options): they are
    # listed, never reported as added or removed.
    untracked_in_old: tuple[str, ...] = ()
    untracked_in_new: tuple[str, ...] = ()
    fact_changes: tuple[FactChange, ...] = ()  # signal classes, force decision, kill path

    def count(self, status: Status) -> int:
        """How many rows have `status`."""
        return sum(1 for change in self.changes if change.status is status)

    @property
    def logic_changed(self) -> bool:
        """True when anything but unchanged rows exist."""
        rows: tuple[SiteChange | FactChange, ...] = (*self.changes, *self.fact_changes)
        return any(change.status is not Status.UNCHANGED for change in rows)


_COMPARED = ("function", "path", "text", "guards", "guarded", "preproc")


def _facts(site: Site) -> dict[str, object]:
    """The facts a diff compares, by name."""
    return {
        "function": site.function,
        "path": site.location.path,
        "text": site.normalized,
        "guards": site.guards,
        "guarded": site.guarded,
        "preproc": site.preproc,
    }


def differences(old: Site, new: Site) -> tuple[str, ...]:
    """Names of the compared facts that differ between two matched sites."""
    before, after = _facts(old), _facts(new)
    return tuple(name for name in _COMPARED if before[name] != after[name])


def diff_reports(old: Report, new: Report) -> ReportDiff:
    """Pair the sites of two reports and classify each pair or leftover."""
    common = tuple(i for i in dict.fromkeys(old.tracked + new.tracked) if i in old.tracked and i in new.tracked)
    remaining_old = [s for s in old.sites if s.ident in common]
    remaining_new = [s for s in new.sites if s.ident in common]
    renamable = _rename_filter(remaining_old, remaining_new)
    changes: list[SiteChange] = []
    passes: list[tuple[Callable[[Site], Hashable], Callable[[tuple[str, ...]], Status], Pairable]] = [
        (lambda s: (*s.logic_key, s.location.path), _unchanged_unless_different, _any_pair),
        (lambda s: (s.ident, s.kind, s.normalized), lambda d: Status.MOVED, renamable),
        (lambda s: (s.ident, s.kind, s.function), lambda d: Status.CHANGED, _any_pair),
    ]
    for key, status_of, allowed in passes:
        pairs, remaining_old, remaining_new = _pair(remaining_old, remaining_new, key, allowed)
        for a, b in pairs:
            found = differences(a, b)
            changes.append(SiteChange(status_of(found), a.ident, a.kind, a, b, found))
    changes += [SiteChange(Status.REMOVED, s.ident, s.kind, s, None) for s in remaining_old]
    changes += [SiteChange(Status.ADDED, s.ident, s.kind, None, s) for s in remaining_new]
    return ReportDiff(
        old=old.source,
        new=new.source,
        tracked=common,
        changes=tuple(sorted(changes, key=_row_order)),
        absent_in_old=tuple(i for i in common if old.occurrence_count(i) == 0),
        absent_in_new=tuple(i for i in common if new.occurrence_count(i) == 0),
        untracked_in_old=tuple(i for i in new.tracked if i not in old.tracked),
        untracked_in_new=tuple(i for i in old.tracked if i not in new.tracked),
        fact_changes=diff_facts(old, new),
    )


Pairable = Callable[[Site, Site], bool]


def _unchanged_unless_different(found: tuple[str, ...]) -> Status:
    return Status.CHANGED if found else Status.UNCHANGED


def _any_pair(_old: Site, _new: Site) -> bool:
    return True


def _rename_filter(old: list[Site], new: list[Site]) -> Pairable:
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


def _pair(
    old: list[Site], new: list[Site], key: Callable[[Site], Hashable], allowed: Pairable
) -> tuple[list[tuple[Site, Site]], list[Site], list[Site]]:
    """Pair sites with equal keys, most alike first; return pairs and leftovers."""
    by_key: dict[Hashable, list[Site]] = defaultdict(list)
    for site in new:
        by_key[key(site)].append(site)
    pairs, left_old = [], []
    for site in old:
        candidates = [c for c in by_key.get(key(site), []) if allowed(site, c)]
        if not candidates:
            left_old.append(site)
            continue
        best = max(candidates, key=lambda c: _likeness(site, c))
        by_key[key(site)].remove(best)
        pairs.append((site, best))
    left_new = [site for sites in by_key.values() for site in sites]
    return pairs, left_old, sorted(left_new, key=lambda s: s.location)


def _likeness(a: Site, b: Site) -> tuple[bool, bool, float]:
    """Same file, then same function, then textual similarity."""
    ratio = difflib.SequenceMatcher(None, a.normalized, b.normalized).ratio()
    return (a.location.path == b.location.path, a.function == b.function, ratio)


_KIND_ORDER = {"define": 0, "set": 1, "clear": 2, "test": 3, "call": 4, "other": 5}


def _row_order(change: SiteChange) -> tuple[object, ...]:
    """Rows grouped by identifier and kind, then in the new release's order."""
    where = change.new or change.old
    assert where is not None
    return (change.ident, _KIND_ORDER.get(change.kind, 9), change.new is None, where.location)


__all__ = ["FactChange", "ReportDiff", "SiteChange", "Status", "diff_reports", "differences"]
