"""Match sites of two reports by meaning, not by line: unchanged, moved, changed, added, removed."""

from __future__ import annotations

import difflib
import enum
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from analyzer.model import Report, Site, SourceInfo


class Status(enum.StrEnum):
    """What happened to a site between two releases."""

    UNCHANGED = "unchanged"
    MOVED = "moved"  # same expression, other function or file (covers renames)
    CHANGED = "changed"  # same function, other expression or context
    ADDED = "added"
    REMOVED = "removed"


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

    def count(self, status: Status) -> int:
        """How many rows have `status`."""
        return sum(1 for change in self.changes if change.status is status)

    @property
    def logic_changed(self) -> bool:
        """True when anything but unchanged rows exist."""
        return any(change.status is not Status.UNCHANGED for change in self.changes)


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
    remaining_old, remaining_new = list(old.sites), list(new.sites)
    changes: list[SiteChange] = []
    passes: list[tuple[Callable[[Site], Hashable], Callable[[tuple[str, ...]], Status]]] = [
        (lambda s: (*s.logic_key, s.location.path), lambda d: Status.CHANGED if d else Status.UNCHANGED),
        (lambda s: (s.ident, s.kind, s.normalized), lambda d: Status.MOVED),
        (lambda s: (s.ident, s.kind, s.function), lambda d: Status.CHANGED),
    ]
    for key, status_of in passes:
        pairs, remaining_old, remaining_new = _pair(remaining_old, remaining_new, key)
        for a, b in pairs:
            found = differences(a, b)
            changes.append(SiteChange(status_of(found), a.ident, a.kind, a, b, found))
    changes += [SiteChange(Status.REMOVED, s.ident, s.kind, s, None) for s in remaining_old]
    changes += [SiteChange(Status.ADDED, s.ident, s.kind, None, s) for s in remaining_new]
    tracked = tuple(dict.fromkeys(old.tracked + new.tracked))
    return ReportDiff(
        old=old.source,
        new=new.source,
        tracked=tracked,
        changes=tuple(sorted(changes, key=_row_order)),
        absent_in_old=tuple(i for i in tracked if i in old.tracked and old.occurrence_count(i) == 0),
        absent_in_new=tuple(i for i in tracked if i in new.tracked and new.occurrence_count(i) == 0),
    )


def _pair(
    old: list[Site], new: list[Site], key: Callable[[Site], Hashable]
) -> tuple[list[tuple[Site, Site]], list[Site], list[Site]]:
    """Pair sites with equal keys, most similar text first; return pairs and leftovers."""
    by_key: dict[Hashable, list[Site]] = defaultdict(list)
    for site in new:
        by_key[key(site)].append(site)
    pairs, left_old = [], []
    for site in old:
        candidates = by_key.get(key(site))
        if not candidates:
            left_old.append(site)
            continue
        best = max(candidates, key=lambda c: difflib.SequenceMatcher(None, site.normalized, c.normalized).ratio())
        candidates.remove(best)
        pairs.append((site, best))
    left_new = [site for sites in by_key.values() for site in sites]
    return pairs, left_old, sorted(left_new, key=lambda s: s.location)


_KIND_ORDER = {"define": 0, "set": 1, "clear": 2, "test": 3, "other": 4}


def _row_order(change: SiteChange) -> tuple[object, ...]:
    """Rows grouped by identifier and kind, then in the new release's order."""
    where = change.new or change.old
    assert where is not None
    return (change.ident, _KIND_ORDER.get(change.kind, 9), change.new is None, where.location)
