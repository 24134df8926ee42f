"""Tables that survive line shifts: the evaluator runs on positions relative to its inputs.

Every routine, force assignment and flag set gets a band of lines of its own (its slot), the
table is computed on those bands, and then moved onto the release's real lines. A commit that
only moves the code the table reads (a line added above a routine) gives the same banded
inputs, so the same key and one computation, with the reasons still naming the real lines.
The evaluator only ever adds a row offset to a frame's line, so the move back is exact.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from analyzer.delivery.expr import body_of
from analyzer.model import DeliveryCell, ForceAssignment, Location, Reason, Routine, Site

BAND = 1 << 20  # more lines than any source file has
_FORCE_SLOTS = 1  # slots 1 …: force assignments in reading order
_SET_SLOTS = 1 << 12  # then the flag's set sites
_ROUTINE_SLOTS = 1 << 13  # then routines, by a hash of their name (a slot not shared with others)
_PLACE = re.compile(r":(\d+)\)$")  # the line of the place an unknown cell's expression ends with: `(path:line)`


@dataclass(frozen=True, slots=True)
class Banded:
    """Inputs on banded lines, and the real first line of each slot."""

    routines: dict[str, Routine]  # the chosen routine of each name
    force: tuple[ForceAssignment, ...]
    sets: tuple[Site, ...]
    starts: dict[int, int]  # slot -> its real first line


def banded(routines: Mapping[str, Routine], force: Sequence[ForceAssignment], sets: Sequence[Site]) -> Banded | None:
    """The inputs moved to their bands; None when two routine names hash to one slot (use real lines)."""
    starts: dict[int, int] = {}
    ordered = sorted(force, key=lambda f: f.location)
    if len(ordered) > _SET_SLOTS - _FORCE_SLOTS or len(sets) > _ROUTINE_SLOTS - _SET_SLOTS:
        return None  # more records than slots: a band would be shared
    moved_force = tuple(_move_record(f, _FORCE_SLOTS + i, starts) for i, f in enumerate(ordered))
    moved_sets = tuple(_move_record(s, _SET_SLOTS + i, starts) for i, s in enumerate(sets))
    moved: dict[str, Routine] = {}
    for name, routine in routines.items():
        slot = _ROUTINE_SLOTS + zlib.crc32(name.encode())
        if slot in starts:
            return None
        moved[name] = _move_routine(routine, slot, starts)
    return Banded(moved, moved_force, moved_sets, starts)


def apart(
    routines: Mapping[str, Routine], names: Iterable[str], force: Sequence[ForceAssignment], sets: Sequence[Site]
) -> bool:
    """Whether no two of the inputs an evaluation read can name one real line.

    Reasons from two inputs that meet on a line (a force assignment inside a routine the
    evaluation also ran, two records on one line) are said once on real lines, twice on
    bands: the caller then computes on real lines. A line is the input's first line plus a
    row offset, so each input covers its first line to its last statement's last row, plus
    the rows of the longest macro that may be expanded there.
    """
    read = [routines[name] for name in names if name in routines]
    margin = max((routine.body.count("\n") for routine in read if routine.kind == "macro"), default=0)
    spans: dict[str, list[tuple[int, int]]] = {}
    for routine in read:
        start = routine.location.line
        if routine.kind == "function":
            end = max(start, _last_row(body_of(routine)))
        else:
            end = start + routine.body.count("\n")
        spans.setdefault(routine.location.path, []).append((start, end + margin))
    records: list[tuple[Location, tuple[str, ...]]] = [
        (f.location, (f.text, f.value, *(g.condition for g in f.guards))) for f in force
    ]
    records += [(s.location, (s.text, s.normalized, *(g.condition for g in s.guards))) for s in sets]
    for location, texts in records:
        rows = max(text.count("\n") for text in texts)
        spans.setdefault(location.path, []).append((location.line, location.line + rows + margin))
    for ranges in spans.values():
        ranges.sort()
        for (_, end), (start, _) in itertools.pairwise(ranges):
            if start <= end:
                return False
    return True


def _last_row(statements: list[Any]) -> int:
    """The last line a statement list's text reaches (a statement's line plus the rows of its text)."""
    last = 0
    for statement in statements:
        rows = max((part.count("\n") for part in statement[2:] if isinstance(part, str)), default=0)
        last = max(last, statement[1] + rows)
        last = max([last, *(_last_row(part) for part in statement[2:] if isinstance(part, list))])
    return last


class BandedTable:
    """A table on banded lines, ready to be moved onto any release's lines many times over.

    Cells share most of their reasons (init's marking, the stages every signal goes through):
    each distinct reason is moved once per release, and cells are rebuilt from indices.
    """

    def __init__(self, cells: list[DeliveryCell]) -> None:
        self.cells = cells
        index: dict[Reason, int] = {}
        self.indices = [tuple(index.setdefault(r, len(index)) for r in cell.because) for cell in cells]
        self.reasons = list(index)
        # the slots each cell's lines lie in: a cell whose slots kept their start is the same cell
        self.slots = [
            (frozenset(r.line // BAND for r in cell.because) | _unknown_slot(cell.unknown)) - {0} for cell in cells
        ]
        self._last: tuple[dict[int, int], list[DeliveryCell]] | None = None

    def on(self, starts: Mapping[int, int]) -> list[DeliveryCell]:
        """The cells on the real lines of `starts`.

        Neighbouring commits move few slots, or none: a cell none of whose slots moved since
        the last call is the last call's cell (the same object, which a diff need not read).
        """
        if self._last is not None and self._last[0] == starts:
            return list(self._last[1])
        last_starts, last_cells = self._last if self._last is not None else ({}, [])
        moved_slots = {slot for slot in starts.keys() | last_starts.keys() if starts.get(slot) != last_starts.get(slot)}
        moved = [Reason(r.path, real_line(r.line, starts), r.text, r.value) for r in self.reasons]
        pick = moved.__getitem__
        cells = [
            last_cells[i]
            if last_cells and slots.isdisjoint(moved_slots)
            else DeliveryCell(
                cell.target,
                cell.sender,
                cell.disposition,
                cell.signal,
                cell.outcome,
                tuple(map(pick, indices)),
                _real_place(cell.unknown, starts),
                cell.init,
            )
            for i, (cell, indices, slots) in enumerate(zip(self.cells, self.indices, self.slots, strict=True))
        ]
        self._last = (dict(starts), cells)
        return list(cells)


def real_line(line: int, starts: Mapping[int, int]) -> int:
    """A banded line on its real line (a line outside every band, such as 0, stays)."""
    slot, offset = divmod(line, BAND)
    return starts[slot] + offset if slot else line


def _unknown_slot(unknown: str | None) -> frozenset[int]:
    """The slot of the place an unknown cell's expression names, if any."""
    place = _PLACE.search(unknown) if unknown is not None else None
    return frozenset({int(place[1]) // BAND}) if place is not None else frozenset()


def _real_place(unknown: str | None, starts: Mapping[int, int]) -> str | None:
    if unknown is None:
        return None
    return _PLACE.sub(lambda m: f":{real_line(int(m[1]), starts)})", unknown)


def _move_record(record: Any, slot: int, starts: dict[int, int]) -> Any:
    starts[slot] = record.location.line
    return replace(record, location=_banded_location(record.location, slot))


def _move_routine(routine: Routine, slot: int, starts: dict[int, int]) -> Routine:
    starts[slot] = routine.location.line
    return _routine_on_band(routine, slot)


@functools.lru_cache(maxsize=8192)
def _routine_on_band(routine: Routine, slot: int) -> Routine:
    """A routine moved to its band (the same routine recurs in every commit of a log: moved once)."""
    shift = slot * BAND - routine.location.line
    body = routine.body
    if routine.kind == "function":
        body = json.dumps(_shift_statements(json.loads(body), shift), separators=(",", ":"))
    return replace(routine, location=_banded_location(routine.location, slot), body=body)


def _banded_location(location: Location, slot: int) -> Location:
    return replace(location, line=slot * BAND)


def _shift_statements(statements: list[Any], shift: int) -> list[Any]:
    """Statements (analyzer/extract/routines.py) with every line moved by `shift`."""
    out = []
    for statement in statements:
        moved = [statement[0], statement[1] + shift]
        moved += [_shift_statements(part, shift) if isinstance(part, list) else part for part in statement[2:]]
        out.append(moved)
    return out
