"""The delivery table as fact families: the routines it is read from, and its cells."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analyzer.families.base import Change, Family, Level, Line
from analyzer.families.context import FileFacts, Release
from analyzer.model import DeliveryCell, Routine
from analyzer.vocab import Delivered, Outcome, Project, Sender, Target

if TYPE_CHECKING:
    from analyzer.delivery.positions import BandedTable


def _wanted() -> frozenset[str]:
    from analyzer.delivery.atoms import path_names

    names = path_names()
    return frozenset(n for key in ("ignore", "fatal", "dequeue", "forced") for n in names.get(key, ()))


def _routines(facts: FileFacts) -> list[Routine]:
    if facts.tree is None or not facts.path.endswith((".c", ".h")):
        return []
    from analyzer.extract.routines import defines_any, routines

    # The table reads a .c file's routines only where it defines a stage (_release_cells): the
    # others (most candidate files) are not worth their statements.
    if facts.path.endswith(".c") and not defines_any(facts.tree, _wanted()):
        return []
    return routines(facts.tree, facts.locate, _wanted())


ROUTINES = Family(
    name="routine",
    title="Routines",
    record=Routine,
    report_key="routines",
    compared=lambda r: {"body": r.body},
    per_file=_routines,
    shown=False,
)


def _release_cells(release: Release) -> list[DeliveryCell]:
    # The evaluator is imported only when a table is computed: a warm run reads it from the cache.
    from analyzer.delivery.atoms import path_names
    from analyzer.delivery.machine import Inputs, chosen_routines, table_of, table_with_names
    from analyzer.delivery.positions import BandedTable, apart, banded
    from analyzer.vocab import FLAG, SiteKind

    if release.project is not Project.KERNEL:
        return []
    routines = [r for result in release.files.values() for r in result.of("routine")]
    # The code the stages run: the files defining a stage's function, and headers. Another .c
    # file's static functions are not visible there, and leaving them out keeps the table's key
    # stable across commits that touch only other files.
    stages = {n for key in ("ignore", "fatal", "dequeue", "forced") for n in path_names().get(key, ())}
    homes = {r.location.path for r in routines if r.name in stages and r.kind == "function"}
    inputs = Inputs(
        routines=[r for r in routines if r.location.path in homes or r.location.path.endswith(".h")],
        force=release.of("force"),
        masks=release.of("mask"),
        sites=[s for s in release.of("site") if s.ident == FLAG and s.kind is SiteKind.SET],
    )
    if not inputs.routines:
        return []
    chosen = chosen_routines(inputs)
    placed = banded(chosen, inputs.force, inputs.sites)
    if placed is None:  # two routine names share a band: compute on real lines, keep nothing
        return table_of(inputs)
    # The machine reads of a class only its name and members, never where it is defined.
    rest = (placed.force, placed.sets, tuple((m.name, m.signals, m.unresolved) for m in inputs.masks))
    for memo in _TABLES:
        if memo.key == _key(memo.names, placed.routines, rest):
            if not apart(chosen, memo.names, inputs.force, inputs.sites):
                return table_of(inputs)
            return memo.banded.on(placed.starts)
    on_bands = Inputs(list(placed.routines.values()), placed.force, inputs.masks, placed.sets)
    cells, names = table_with_names(on_bands)
    if not apart(chosen, names, inputs.force, inputs.sites):
        return table_of(inputs)  # inputs that meet on a line: bands would say a reason twice
    memo = _Table(names, _key(names, placed.routines, rest), BandedTable(cells))
    _TABLES.insert(0, memo)
    del _TABLES[_TABLES_KEPT:]
    return memo.banded.on(placed.starts)


@dataclass(slots=True)
class _Table:
    """A table on banded lines and what it depends on."""

    names: frozenset[str]  # the routine names its evaluation looked up
    key: tuple[object, ...]
    banded: BandedTable


def _key(names: frozenset[str], chosen: Mapping[str, Routine], rest: tuple[object, ...]) -> tuple[object, ...]:
    """What a table depends on: the routines its evaluation looked up (or found missing), the rest of its inputs.

    Records, not their text: a routine on its band is one object from commit to commit, and
    a tuple compares the same object without reading it.
    """
    return (tuple((name, chosen.get(name)) for name in sorted(names)), rest)


# Tables of this process on banded lines (analyzer/delivery/positions.py), with the routine
# names they looked up: neighbouring commits of a `log` range, or releases of a history, that
# leave those routines alone, or only move them, share one computation.
_TABLES: list[_Table] = []
_TABLES_KEPT = 32  # a log goes back and forth between the versions its merged branches carry


def describe_cell(cell: DeliveryCell) -> list[str]:
    """A cell in one line, then why (when unknown, the expression that is)."""
    lines = [
        f"{cell.target.value:<15} {cell.sender.value:<12} {cell.disposition.value:<8} {cell.signal:<11} "
        + cell.outcome.value
    ]
    if cell.unknown:
        lines.append(f"    unknown: {cell.unknown}")
    if cell.init:
        lines.append(f"    init: {cell.init}")
    return lines


def _expression(unknown: str | None) -> str | None:
    """An unknown cell's expression without its place: moving it to another line changes nothing."""
    return re.sub(r" \([^()]*:\d+\)$", "", unknown) if unknown else unknown


def _name(cell: DeliveryCell) -> str:
    return cell.signal


def _full_name(cell: DeliveryCell) -> str:
    return f"{cell.signal} to {cell.target.value} from {cell.sender.value}, {cell.disposition.value}"


_DECISIONS = ("&&", "||", "==", "!=", "|=", "&=", " < ", " > ", "<=", ">=", "returns", "set in", "group exit")
_SHOWN_REASONS = 8


def _decisions(cell: DeliveryCell) -> dict[str, str]:
    """A cell's conditions and statements with their values, leaves left out (they repeat inside these)."""
    found: dict[str, str] = {}
    for reason in cell.because:
        if any(op in reason.text for op in _DECISIONS):
            found.setdefault(reason.text, reason.value)
    return found


def _describe_change(change: Change) -> list[Line]:
    """A changed cell: its outcomes, the conditions whose value changed, then those met on one side only."""
    old, new = change.old, change.new
    record = change.latest
    if old is None or new is None:
        sign = "-" if new is None else "+"
        return [("", _full_name(record)), (sign, record.outcome.value)]
    lines: list[Line] = [("", f"{_full_name(new)}: {old.outcome.value} -> {new.outcome.value}")]
    before, after = _decisions(old), _decisions(new)
    differ: list[Line] = [
        ("", f"{text}: {before[text]} -> {value}") for text, value in after.items() if before.get(text, value) != value
    ]
    differ += [("+", f"{text} = {value}") for text, value in after.items() if text not in before]
    differ += [("-", f"{text} = {value}") for text, value in before.items() if text not in after]
    lines += differ[:_SHOWN_REASONS]
    if len(differ) > _SHOWN_REASONS:
        lines.append(("", f"... {len(differ) - _SHOWN_REASONS} more (explain -v, or the JSON, has every condition)"))
    if new.unknown:
        lines.append(("", f"unknown: {new.unknown}"))
    return lines


def _outcome(cell: DeliveryCell | None) -> str:
    return cell.outcome.value if cell is not None else "absent"


def _severity(change: Change) -> str:
    new = change.new
    if (
        new is not None
        and new.outcome is Outcome.KILLED
        and (change.old is None or change.old.outcome is not Outcome.KILLED)
    ):
        return "warning"  # init became killable by this signal
    return "note"


def _order(cell: DeliveryCell) -> int:
    return _ranks().get((cell.target, cell.sender, cell.disposition, cell.signal), len(_ranks()))


@functools.cache
def _ranks() -> dict[tuple[Target, Sender, Delivered, str], int]:
    """Each cell's place in reading order: target, sender, disposition, then signal number.

    A dict read, not a key built per cell: a log sorts a table for each of its commits.
    """
    from analyzer.delivery.machine import SIGNALS

    cells = [(t, s, d, name) for t in Target for s in Sender for d in Delivered for name, _ in SIGNALS]
    return {cell: rank for rank, cell in enumerate(cells)}


def summarize(cells: Sequence[DeliveryCell]) -> list[str]:
    """The table in a few lines: how many cells, by outcome."""
    counts = {o: sum(1 for c in cells if c.outcome is o) for o in Outcome}
    shown = ", ".join(f"{n} {o.value}" for o, n in counts.items() if n)
    return [f"{len(cells)} cells: {shown}", "`siganalyze explain` shows the table"]


DELIVERY = Family(
    name="delivery",
    title="Delivery table",
    record=DeliveryCell,
    report_key="delivery",
    compared=lambda c: {"outcome": c.outcome, "unknown": _expression(c.unknown)},
    levels=(Level(lambda c: (c.target, c.sender, c.disposition, c.signal)),),
    describe=describe_cell,
    name_of=_name,
    per_release=_release_cells,
    order=_order,
    change_order=lambda change: _order(change.latest),
    describe_change=_describe_change,
    severity=_severity,
    message=lambda change: (
        f"delivery cell changed: {_name(change.latest)}: {_outcome(change.old)} -> {_outcome(change.new)}"
    ),
    columns={
        "target": lambda c: c.target.value,
        "sender": lambda c: c.sender.value,
        "disposition": lambda c: c.disposition.value,
        "signal": lambda c: c.signal,
        "outcome": lambda c: c.outcome.value,
        "unknown": lambda c: c.unknown or "",
    },
    change_columns=(
        {
            "target": lambda c: c.target.value,
            "sender": lambda c: c.sender.value,
            "disposition": lambda c: c.disposition.value,
            "signal": lambda c: c.signal,
        },
        {"outcome": lambda c: c.outcome.value, "unknown": lambda c: c.unknown or ""},
    ),
    noun="delivery cell",
    location=lambda c: None,
    summarize=summarize,
    unchanged_in_diff=False,
)
