"""Match the records of two reports by meaning, not by line, one family at a time.

Each family says how to recognise a record across releases, from strict to loose keys
(`Level`s), and which fields a reader compares; pairing and classification are the same for
every family: unchanged, moved, changed, added, removed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer import families
from analyzer.families import Change, Family
from analyzer.model import Report, SourceInfo, Status


@dataclass(frozen=True, slots=True)
class ReportDiff:
    """Everything that changed between two scans."""

    old: SourceInfo
    new: SourceInfo
    tracked: tuple[str, ...]
    changes: tuple[Change, ...]  # every family's, in registry order, each family in reading order
    absent_in_old: tuple[str, ...]  # tracked names with no occurrence at all in the old tree
    absent_in_new: tuple[str, ...]
    # Names only one side searched for (a saved report with other --track options): they are
    # listed, never reported as added or removed.
    untracked_in_old: tuple[str, ...] = ()
    untracked_in_new: tuple[str, ...] = ()

    def of(self, family: str) -> tuple[Change, ...]:
        """The changes of one family."""
        return tuple(c for c in self.changes if c.family == family)

    @property
    def logic_changed(self) -> bool:
        """True when anything but unchanged rows exist."""
        return any(change.status is not Status.UNCHANGED for change in self.changes)


def diff_reports(old: Report, new: Report, every_row: bool = False) -> ReportDiff:
    """Pair every family's records of two reports and classify each pair or leftover.

    A family that lists only what changed keeps its unchanged pairs too with `every_row`
    (a history chains them).
    """
    common = tuple(i for i in dict.fromkeys(old.tracked + new.tracked) if i in old.tracked and i in new.tracked)
    changes: list[Change] = []
    for family in families.shown():
        before, after = old.of(family.name), new.of(family.name)
        if family.subject is not None:  # records about a tracked name: compare only names both sides searched
            subject = family.subject
            before = tuple(r for r in before if subject(r) in common)
            after = tuple(r for r in after if subject(r) in common)
        if not family.unchanged_in_diff and not every_row:
            # records alike on both sides (a log's neighbouring commits): nothing to list
            if _alike(family, before, after):
                found = []
            else:
                found = [c for c in diff_records(family, before, after) if c.status is not Status.UNCHANGED]
        else:
            found = diff_records(family, before, after)
        changes += family.changes_in_order(found)
    return ReportDiff(
        old=old.source,
        new=new.source,
        tracked=common,
        changes=tuple(changes),
        absent_in_old=tuple(i for i in common if old.occurrence_count(i) == 0),
        absent_in_new=tuple(i for i in common if new.occurrence_count(i) == 0),
        untracked_in_old=tuple(i for i in new.tracked if i not in old.tracked),
        untracked_in_new=tuple(i for i in old.tracked if i not in new.tracked),
    )


def diff_records(family: Family, old: Sequence[Any], new: Sequence[Any]) -> list[Change]:
    """Pair records level by level, strict keys first; leftovers are removed or added."""
    left_old, left_new = list(old), list(new)
    changes: list[Change] = []
    for level in family.levels:
        # A veto looks at all records, not the leftovers: a function that had a site before
        # is no rename target even after that site paired up on a stricter level.
        allowed = level.allowed(old, new) if level.allowed is not None else None
        pairs, left_old, left_new = _pair(left_old, left_new, level.key, allowed, family.likeness)
        for a, b in pairs:
            found = differences(family, a, b)
            changes.append(Change(family.name, _status(level.status, found, family.place_fields), a, b, found))
    changes += [Change(family.name, Status.REMOVED, record, None) for record in left_old]
    changes += [Change(family.name, Status.ADDED, None, record) for record in left_new]
    return changes


def differences(family: Family, old: Any, new: Any) -> tuple[str, ...]:
    """Names of the compared fields that differ between two matched records."""
    if old is new:  # one record in both reports (a file both trees share): nothing to compare
        return ()
    before, after = family.compared(old), family.compared(new)
    return tuple(name for name in before if before[name] != after[name])


def _alike(family: Family, old: Sequence[Any], new: Sequence[Any]) -> bool:
    """Whether pairing would call every record unchanged: equal keys side by side, no compared field differing.

    Only where pairing is by position among equal keys (no veto, no likeness between
    candidates); it spares a table of a thousand cells the pairing (or a full comparison of
    cells whose reasons only moved to other lines).
    """
    level = family.levels[0]
    if len(old) != len(new) or level.allowed is not None or level.status is not None or family.likeness is not None:
        return False
    key, compared = level.key, family.compared
    return all(a is b or (key(a) == key(b) and compared(a) == compared(b)) for a, b in zip(old, new, strict=True))


def _status(at_level: Status | None, found: tuple[str, ...], place: tuple[str, ...]) -> Status:
    """The status of a pair: what its level says, unless more than its place differs.

    On the strictest key a pair is unchanged, moved when only the file differs, else changed.
    A pair a looser level calls moved is changed when anything but its place (function,
    file) differs too: a test that moved into a renamed function with a new guard is a
    change of logic, not a move.
    """
    if at_level is None:
        if not found:
            return Status.UNCHANGED
        return Status.MOVED if set(found) <= {"path"} else Status.CHANGED
    if at_level is Status.MOVED and not set(found) <= set(place):
        return Status.CHANGED
    return at_level


def _pair(
    old: list[Any],
    new: list[Any],
    key: Callable[[Any], Hashable],
    allowed: Callable[[Any, Any], bool] | None,
    likeness: Callable[[Any, Any], Any] | None,
) -> tuple[list[tuple[Any, Any]], list[Any], list[Any]]:
    """Pair records with equal keys (the most alike, else the first); return pairs and leftovers."""
    by_key: dict[Hashable, list[Any]] = defaultdict(list)
    for record in new:
        by_key[key(record)].append(record)
    pairs, left_old = [], []
    for record in old:
        candidates = [c for c in by_key.get(key(record), []) if allowed is None or allowed(record, c)]
        if not candidates:
            left_old.append(record)
            continue
        if likeness is None or len(candidates) == 1:  # likeness is costly, and one candidate needs none
            best = candidates[0]
        else:
            best = max(candidates, key=lambda c: likeness(record, c))
        by_key[key(record)].remove(best)
        pairs.append((record, best))
    left_new = [record for records in by_key.values() for record in records]
    return pairs, left_old, left_new


__all__ = ["Change", "ReportDiff", "Status", "diff_records", "diff_reports", "differences"]
