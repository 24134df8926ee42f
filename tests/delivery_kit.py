"""Small helpers for the fast delivery tests: C snippets to routines, a hand atom table, frames."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer import parse
from analyzer.delivery import atoms, expr, positions
from analyzer.delivery.atoms import parse_table
from analyzer.delivery.evaluate import Evaluator
from analyzer.delivery.values import TARGET, Frame, Sig, Value, World
from analyzer.extract.routines import routines
from analyzer.extract.unit import parse_bounded
from analyzer.families import delivery as delivery_family
from analyzer.model import Location, Routine

# A hand table for the evaluator tests (the shipped one is tested through the machine).
ATOMS = parse_table(
    """
SIG_DFL                                  => 0
SIG_IGN                                  => 1
NULL                                     => 0
sigismember(&$T->blocked,$S)             => blocked
sigdelset(&$T->blocked,$S)               => blocked = 0
$T->sighand->action[$S-1].sa.sa_handler  => handler
$T->signal->flags&SIGNAL_UNKILLABLE      => unkillable
$T->flags&PF_A                           => 1
$T->flags&PF_B                           => 0
sig_kernel_only($S)                      => member(SIG_KERNEL_ONLY_MASK)
is_global_init($T)                       => target == global_init
known()                                  => 1
zero()                                   => 0
seven()                                  => 7
LOUD                                     => 5
do_group_exit($*)                        => killed
do_signal_stop($*)                       => stopped
""",
    "test-atoms",
)


def c_routines(
    source: str, path: str = "k.c", wanted: frozenset[str] = frozenset(), raw: bool = False
) -> dict[str, Routine]:
    """The routines of a C snippet, by name (lines counted from the snippet's first line).

    `raw`: parse the text as written, every #if branch kept (else as the extractor sees it).
    """
    data = source.encode()
    text, tree = (data, parse.parse(data)) if raw else parse_bounded(data)
    assert tree is not None

    def locate(offset: int) -> Location:
        return Location(path, text[:offset].count(b"\n") + 1, 1)

    return {r.name: r for r in routines(tree, locate, wanted)}


def evaluator(source: str = "", members: Mapping[str, frozenset[int]] | None = None) -> Evaluator:
    return Evaluator(ATOMS, c_routines(source) if source else {}, members or {})


def world(**state: Value) -> World:
    base: dict[str, Value] = {"handler": 0, "blocked": 0, "unkillable": 0}
    base.update(state)
    meaning: dict[str, Value] = {
        "target": "global_init",
        "global_init": "global_init",
        "container_init": "container_init",
        "signal": Sig(9),
    }
    return World(base, meaning)


def frame(**names: Any) -> Frame:
    bound: dict[str, Any] = {"t": TARGET, "sig": Sig(9)}
    bound.update(names)
    return Frame("k.c", 100, bound)


def clear_memos() -> None:
    """mutmut forks each mutant from a warmed process: memos filled there hide mutants."""
    expr.expression.cache_clear()
    expr.parsed.cache_clear()
    expr.body_of.cache_clear()
    positions._routine_on_band.cache_clear()
    delivery_family._TABLES.clear()
    atoms.table.cache_clear()
    atoms.path_names.cache_clear()
