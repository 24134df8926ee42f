"""What one extraction shares between its steps: parsed files, findings so far, calls set aside."""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from analyzer import parse, syntax
from analyzer.extract.init.nodes import call_args
from analyzer.extract.macros import MacroResolver
from analyzer.extract.unit import parse_bounded
from analyzer.model import Location
from analyzer.queries import iter_matches, load_query
from analyzer.sources import Source
from analyzer.syntax import node_text
from analyzer.vocab import Action


@dataclass(frozen=True, slots=True)
class Decision:
    """One call that changes a signal's action or mask, before ordering and filtering."""

    signal: str  # a row name, or "*" for every signal
    action: Action
    handler: str | None
    location: Location
    function: str | None
    via: str
    node: Node
    path: str
    note: str | None = None
    saved: str | None = None  # the old-action / old-mask variable this call saved into


@dataclass(frozen=True, slots=True)
class Reader:
    """A signalfd / sigwait-family call: where blocked signals are read back."""

    kind: str
    result: str | None  # variable the received signal lands in (sigwait), if any
    node: Node
    path: str


@dataclass(slots=True)
class Unit:
    """One parsed file and what the queries found in it."""

    path: str
    data: bytes  # as stored: what a text search of the tree sees
    text: bytes  # conditionals resolved: what was parsed
    root: Node
    calls: list[tuple[str, Node, list[Node]]]
    static: set[str]
    defined: set[str]


@dataclass(slots=True)
class Context:
    """The state of one extraction: parsed files, macro resolver, scope, notes and set-aside calls."""

    source: Source
    project: str
    resolver: MacroResolver = field(init=False)
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
        self.resolver = MacroResolver(self.source)

    def unit(self, path: str) -> Unit:
        """Parse `path` once (conditionals resolved to their default branches)."""
        if path not in self.units:
            data = self.source.read(path)
            text, tree = parse_bounded(data)
            if tree is None:  # read as empty: what a timed-out file decides is unknown, and said so
                self.timed_out.add(path)
                tree = parse.parse(b"")
            root = tree.root_node
            calls = [
                (node_text(m["callee"]), m["call.function"], call_args(m["value"]))
                for m in iter_matches(load_query("init/calls"), root)
            ]
            static, defined = set(), set()
            for match in iter_matches(load_query("init/functions"), root):
                name = node_text(match["name"])
                defined.add(name)
                if any(node_text(c) == "static" for c in match["def.function"].children):
                    static.add(name)
            self.units[path] = Unit(path, data, text, root, calls, static, defined)
        return self.units[path]

    def skip(self, unit: Unit, node: Node, why: str) -> None:
        """Record an in-scope call set aside."""
        where = location(unit, node)
        self.skipped.append(f"{where.path}:{where.line} {syntax.function_name(node)}: {why}")

    def skip_decision(self, decision: Decision, why: str) -> None:
        """Record a decision set aside; the signals of one call and reason share an entry."""
        key = f"{decision.path}:{decision.location.line} {decision.function}: {why}"
        self.skipped_signals.setdefault(key, []).append(decision.signal)


def location(unit: Unit, node: Node) -> Location:
    """The file position of `node`."""
    return Location(unit.path, node.start_point.row + 1, node.start_point.column + 1)
