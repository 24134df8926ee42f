"""What one extraction shares between its steps: the files' facts, findings so far, calls set aside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from analyzer.extract.init.records import Call, Decider, StructDef, Switch, UnitFacts
from analyzer.extract.init.vocabulary import API, helpers
from analyzer.extract.macros import DefinesSource, MacroResolver
from analyzer.model import Location
from analyzer.sources import Source
from analyzer.vocab import Action


class Files(DefinesSource, Protocol):
    """Where the steps read files from (analyzer/extract/init/files.py): searches, texts, per-file facts."""

    def texts(self, paths: Sequence[str]) -> dict[str, bytes]:
        """The bytes of `paths`."""
        ...

    def units(self, paths: Sequence[str], names: tuple[str, ...]) -> dict[str, UnitFacts]:
        """The facts of `paths`, read for `names`."""
        ...


@dataclass(frozen=True, slots=True)
class Decision:
    """One call that changes a signal's action or mask, before ordering and filtering."""

    signal: str  # a row name, or "*" for every signal
    action: Action
    handler: str | None
    location: Location
    function: str | None
    via: str
    call: Decider
    path: str
    note: str | None = None
    saved: str | None = None  # the old-action / old-mask variable this call saved into


@dataclass(frozen=True, slots=True)
class Reader:
    """A signalfd / sigwait-family call: where blocked signals are read back."""

    kind: str
    result: str | None  # variable the received signal lands in (sigwait), if any
    call: Decider
    path: str


class Unit:
    """One file's facts, with the name sets the steps look things up in."""

    def __init__(self, facts: UnitFacts) -> None:
        self.path = facts.path
        self.calls: tuple[Call, ...] = facts.calls
        self.deciders: tuple[Decider, ...] = facts.deciders
        self.structs: tuple[StructDef, ...] = facts.structs
        self.switches: tuple[Switch, ...] = facts.switches
        self.callees = frozenset(c.callee for c in facts.calls)
        self.static = frozenset(facts.static)
        self.defined = frozenset(facts.defined)
        self.mentioned = frozenset(facts.mentioned)


@dataclass(slots=True)
class Context:
    """The state of one extraction: the files' facts, macro resolver, scope, notes and set-aside calls."""

    source: Source
    project: str
    files: Files
    resolver: MacroResolver = field(init=False)
    # The names each file is read for: a call of one of them is kept in full (a Decider).
    names: tuple[str, ...] = field(default_factory=lambda: (*API, *helpers()))
    units: dict[str, Unit] = field(default_factory=dict)
    scope: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    main: str | None = None  # the file defining PID 1's entry function
    entry: str = "main"  # PID 1's entry function (a multi-call binary's init applet: init_main)
    unresolved: dict[str, None] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    skipped_signals: dict[str, list[str]] = field(default_factory=dict)
    row_notes: dict[str, list[str]] = field(default_factory=dict)
    rt_rows: set[str] = field(default_factory=set)
    timed_out: set[str] = field(default_factory=set)  # files whose parse ran past the deadline

    def __post_init__(self) -> None:
        self.resolver = MacroResolver(self.source, self.files)

    def unit(self, path: str) -> Unit:
        """The facts of `path` (conditionals resolved to their default branches)."""
        if path not in self.units:
            facts = self.files.units([path], self.names)[path]
            if facts.timed_out:  # read as empty: what a timed-out file decides is unknown, and said so
                self.timed_out.add(path)
            self.units[path] = Unit(facts)
        return self.units[path]

    def load(self, paths: list[str]) -> None:
        """Have the facts of several files ready: one batch read, parsed together (in parallel, or cached).

        Only a file asked for by `unit` counts as read (its timeout reported), as when each was
        parsed on demand.
        """
        self.files.units([p for p in paths if p not in self.units], self.names)

    def skip(self, path: str, line: int, function: str | None, why: str) -> None:
        """Record an in-scope call set aside."""
        self.skipped.append(f"{path}:{line} {function}: {why}")

    def skip_decision(self, decision: Decision, why: str) -> None:
        """Record a decision set aside; the signals of one call and reason share an entry."""
        key = f"{decision.path}:{decision.location.line} {decision.function}: {why}"
        self.skipped_signals.setdefault(key, []).append(decision.signal)
