"""The facts siganalyze extracts, as plain immutable values."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class SiteKind(enum.StrEnum):
    """What a site does with the tracked identifier."""

    DEFINE = "define"
    SET = "set"
    CLEAR = "clear"
    TEST = "test"
    CALL = "call"  # the tracked name is a function being called
    OTHER = "other"


class Status(enum.StrEnum):
    """What happened to a fact between two releases."""

    UNCHANGED = "unchanged"
    MOVED = "moved"  # same expression, other function or file (covers renames)
    CHANGED = "changed"  # same function, other expression or context
    ADDED = "added"
    REMOVED = "removed"


class Accounting(enum.StrEnum):
    """How one whole-word textual occurrence was explained."""

    SITE = "site"
    COMMENT = "comment"
    STRING = "string"
    INACTIVE = "inactive"  # inside `#if 0`: text no configuration compiles
    NOT_C = "not_c"  # a file the C parser does not read (docs, scripts)
    BINARY = "binary"  # a file with NUL bytes: counted and warned about, never parsed
    UNACCOUNTED = "unaccounted"


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
    branch: str  # "then" or "else"


@dataclass(frozen=True, slots=True)
class Site:
    """One code occurrence of a tracked identifier."""

    ident: str
    kind: SiteKind
    location: Location
    function: str | None  # enclosing function; for a define or macro body, the macro's name
    attributed_by: str  # "parser", "header" (fallback on the function's header), "macro" or "none"
    construct: str  # if / while / for / do / switch / return / assignment / ternary / ...
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
class Disposition:
    """What PID 1 ends up doing with one signal, and where that is decided."""

    signal: str  # "SIGTERM", "SIGRTMIN+5"
    disposition: str  # "handler" | "ignored" | "blocked" | "default"
    handler: str | None  # handler function; for "blocked", the function that dispatches it
    location: Location | None  # the call or initializer deciding it; None when never mentioned
    function: str | None  # the function making the decision
    via: str  # "sigaction", "signal", "sigaction_many(SIGNALS_CRASH_HANDLER)", "reset_all", "default" ...
    dispatch: str | None = None  # for blocked signals: "case SIGTERM: first action"
    note: str | None = None  # e.g. "after reset_all", "unresolved macro SIGNALS_FOO"


@dataclass(frozen=True, slots=True)
class InitTable:
    """One init's signal table: a row per classic signal, then per SIGRTMIN+n mentioned."""

    project: str  # "systemd" or "init"
    dispositions: tuple[Disposition, ...]
    files: tuple[str, ...]  # files considered (the PID 1 scope), sorted
    excluded: tuple[str, ...]  # files installing handlers outside the PID 1 scope, sorted
    unresolved: tuple[str, ...]  # macro names no #define in the tree explains
    note: str | None = None  # e.g. "no sigaction/signal use found: not an init"
    skipped: tuple[str, ...] = ()  # in-scope decisions set aside, "path:line function: why"
    main: str | None = None  # the file whose main() is PID 1


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

    kind: str  # "git", "directory", "tarball" or "worktree"
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
    """Everything one scan found in one tree."""

    source: SourceInfo
    tracked: tuple[str, ...]
    sites: tuple[Site, ...]
    files: tuple[FileStat, ...]
    occurrences: tuple[Occurrence, ...]
    tool_version: str = ""
    warnings: tuple[str, ...] = field(default=())
    masks: tuple[SignalMask, ...] = ()
    force: tuple[ForceAssignment, ...] = ()
    kill_paths: tuple[KillPath, ...] = ()
    project: str = "kernel"  # "kernel", "systemd" or "init"
    init: InitTable | None = None  # PID 1's signal table, for systemd and other inits

    def occurrence_count(self, ident: str) -> int:
        """How many whole-word textual hits of `ident` the text search found."""
        return sum(1 for occ in self.occurrences if occ.ident == ident)

    def accounting(self) -> dict[str, int]:
        """Occurrences per accounting category, every category present."""
        counts = {category.value: 0 for category in Accounting}
        for occ in self.occurrences:
            counts[occ.accounted_as.value] += 1
        return counts
