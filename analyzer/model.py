"""The facts siganalyze extracts, as plain immutable values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.vocab import (
    Accounting,
    Attribution,
    Branch,
    Construct,
    Delivered,
    Disposal,
    Outcome,
    Project,
    Sender,
    SiteKind,
    SourceKind,
    Status,
    Target,
)


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A point in a tree: POSIX `path` from the root, 1-based `line`, 1-based byte `column`."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Guard:
    """An enclosing `if` of a site: its condition and the branch the site sits in."""

    condition: str  # normalized, without the outer parentheses
    branch: Branch


@dataclass(frozen=True, slots=True)
class Site:
    """One code occurrence of a tracked identifier."""

    ident: str
    kind: SiteKind
    location: Location
    function: str | None  # enclosing function; for a define or macro body, the macro's name
    attributed_by: Attribution
    construct: Construct
    text: str  # the statement or condition as written
    normalized: str  # `text` without comments, whitespace collapsed: what diff compares
    guards: tuple[Guard, ...] = ()  # enclosing if/else inside the function, innermost first
    guarded: str | None = None  # for a test: first statement of the branch it guards
    combined_with: tuple[str, ...] = ()  # other names OR-ed with it in one mask
    value: str | None = None  # for a define: its value
    preproc: tuple[str, ...] = ()  # enclosing #if conditions, innermost first

    @property
    def logic_key(self) -> tuple[str, str, str | None, str]:
        """Identity across releases. Never includes the location: lines move."""
        return (self.ident, self.kind, self.function, self.normalized)


@dataclass(frozen=True, slots=True)
class ConditionalSignal:
    """A mask term that holds only under a preprocessor condition (SIGEMT on some arches)."""

    signal: str
    condition: str


@dataclass(frozen=True, slots=True)
class SignalMask:
    """A signal class such as SIG_KERNEL_ONLY_MASK, resolved to signal names."""

    name: str
    location: Location
    signals: tuple[str, ...]  # in signal-number order
    conditional: tuple[ConditionalSignal, ...] = ()
    unresolved: tuple[str, ...] = ()  # terms no definition could be found for


@dataclass(frozen=True, slots=True)
class ForceAssignment:
    """An assignment deciding whether a signal to a namespace init is forced."""

    variable: str  # `force`, or `from_ancestor_ns` in 2.6.x
    value: str  # normalized right-hand side
    function: str | None
    location: Location
    text: str  # the statement as written
    guards: tuple[Guard, ...] = ()
    preproc: tuple[str, ...] = ()
    feeds: str | None = None  # its role: `callee#position` of the call the variable is passed to


@dataclass(frozen=True, slots=True)
class Hop:
    """One call on the kill path: `caller` calls `callee` at `location`."""

    caller: str
    callee: str
    location: Location


@dataclass(frozen=True, slots=True)
class KillPath:
    """The call chain from the kill system call to a function that tests the flag."""

    target: str
    hops: tuple[Hop, ...]
    primary: bool  # the target decides that a signal is ignored (its test returns true)


@dataclass(frozen=True, slots=True)
class Routine:
    """A function or function-like macro kept for the delivery evaluator (analyzer/extract/routines.py)."""

    name: str
    kind: str  # "function" or "macro"
    params: tuple[str, ...]
    location: Location
    body: str  # JSON: a function's statements, or a macro's expression text


@dataclass(frozen=True, slots=True)
class Reason:
    """One condition met on the way to a delivery outcome, with the value it had."""

    path: str
    line: int
    text: str
    value: str


@dataclass(frozen=True, slots=True)
class DeliveryCell:
    """What happens to `signal` sent to PID 1 (`target`) by `sender` when init's disposition is `disposition`."""

    target: Target
    sender: Sender
    disposition: Delivered
    signal: str
    outcome: Outcome
    because: tuple[Reason, ...] = ()
    unknown: str | None = None  # for an unknown outcome: the expression whose meaning is not known
    init: str | None = None  # with --init: how init decides the disposition ("sigaction in main.c:120 ...")


@dataclass(frozen=True, slots=True)
class Disposition:
    """What PID 1 ends up doing with one signal, and where that is decided."""

    signal: str  # "SIGTERM", "SIGRTMIN+5"
    disposition: Disposal
    handler: str | None  # handler function; for "blocked", the function that dispatches it
    location: Location | None  # the call or initializer deciding it; None when never mentioned
    function: str | None  # the function making the decision
    via: str  # "sigaction", "signal", "sigaction_many(SIGNALS_CRASH_HANDLER)", "reset_all", "default" ...
    dispatch: str | None = None  # for blocked signals: "case SIGTERM: first action"
    note: str | None = None  # e.g. "after reset_all", "unresolved macro SIGNALS_FOO"


@dataclass(frozen=True, slots=True)
class InitScope:
    """What PID 1's signal table was computed from: its files, what was left out, and why."""

    project: Project
    files: tuple[str, ...]  # files considered (the PID 1 scope), sorted
    excluded: tuple[str, ...]  # files installing handlers outside the PID 1 scope, sorted
    unresolved: tuple[str, ...]  # macro names no #define in the tree explains
    note: str | None = None  # e.g. "no sigaction/signal use found: not an init"
    skipped: tuple[str, ...] = ()  # in-scope decisions set aside, "path:line function: why"
    main: str | None = None  # the file defining PID 1's entry function
    timed_out: tuple[str, ...] = ()  # files whose parse ran past the deadline: what they decide is missing
    entry: str = "main"  # PID 1's entry function: main, or a multi-call binary's init applet (init_main)


@dataclass(frozen=True, slots=True)
class InitTable:
    """One init's signal table: a row per classic signal, then per SIGRTMIN+n mentioned."""

    scope: InitScope
    dispositions: tuple[Disposition, ...]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A whole-word textual hit of a tracked identifier and how it was explained."""

    ident: str
    location: Location
    accounted_as: Accounting


@dataclass(frozen=True, slots=True)
class FileStat:
    """What happened to one candidate file: parse quality and occurrence accounting."""

    path: str
    blob: str  # git blob id, or sha256 of the content outside git
    parsed: bool
    parses: int = 0  # one per preprocessor variant needed to reach every occurrence
    error_nodes: int = 0
    missing_nodes: int = 0
    occurrences: int = 0
    timed_out: bool = False  # a parse ran past its deadline: code occurrences left unaccounted


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where a tree came from: a git commit, a directory or a tarball."""

    kind: SourceKind
    spec: str  # what the user typed
    repo: str | None = None
    ref: str | None = None
    commit: str | None = None
    tree: str | None = None
    path: str | None = None
    content_hash: str | None = None
    release: str | None = None  # e.g. "2.6.34", read from the top Makefile when present

    @property
    def label(self) -> str:
        """A short name for headings: the ref, or the path."""
        return self.ref or self.path or self.spec


@dataclass(frozen=True, slots=True)
class Report:
    """Everything one scan found in one tree: the records of every fact family, by family name."""

    source: SourceInfo
    tracked: tuple[str, ...]
    facts: Mapping[str, tuple[Any, ...]]
    files: tuple[FileStat, ...]
    occurrences: tuple[Occurrence, ...]
    tool_version: str = ""
    warnings: tuple[str, ...] = field(default=())
    project: Project = Project.KERNEL
    init: InitScope | None = None  # for systemd and other inits: what PID 1's table was computed from

    def of(self, family: str) -> tuple[Any, ...]:
        """The records of one family (none when it did not run on this tree)."""
        return self.facts.get(family, ())

    @property
    def sites(self) -> tuple[Site, ...]:
        """The sites of the tracked names: the facts every kernel report is about."""
        return self.of("site")

    def occurrence_count(self, ident: str) -> int:
        """How many whole-word textual hits of `ident` the text search found."""
        return sum(1 for occ in self.occurrences if occ.ident == ident)

    def accounting(self) -> dict[str, int]:
        """Occurrences per accounting category, every category present."""
        counts = {category.value: 0 for category in Accounting}
        for occ in self.occurrences:
            counts[occ.accounted_as.value] += 1
        return counts


__all__ = [
    "Accounting",
    "Attribution",
    "Branch",
    "ConditionalSignal",
    "Construct",
    "Disposal",
    "Disposition",
    "FileStat",
    "ForceAssignment",
    "Guard",
    "Hop",
    "InitScope",
    "InitTable",
    "KillPath",
    "Location",
    "Occurrence",
    "Project",
    "Report",
    "SignalMask",
    "Site",
    "SiteKind",
    "SourceInfo",
    "SourceKind",
    "Status",
]
