"""PID 1's signal table: which signals an init handles, ignores, blocks (and dispatches) or leaves alone."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from tree_sitter import Node

from analyzer import parse, preprocess, resources, syntax
from analyzer.extract import signals
from analyzer.extract.macros import FunctionMacro, MacroResolver, Resolved
from analyzer.model import Disposition, InitTable, Location
from analyzer.queries import anchor_of, iter_matches, load_query
from analyzer.sources import Source, is_c_source


@dataclass(frozen=True, slots=True)
class Helper:
    """A helper from queries/init/helpers.txt: its effect and where its signal list starts."""

    name: str
    effect: str
    first: int | None


@dataclass(frozen=True, slots=True)
class _Decision:
    """One call that changes a signal's action or mask, before ordering and filtering."""

    signal: str  # a row name, or "*" for every signal
    action: str  # handler | ignored | default | block | unblock | reset_all | unblock_all
    handler: str | None
    location: Location
    function: str | None
    via: str
    node: Node
    path: str
    note: str | None = None
    saved: str | None = None  # the old-action / old-mask variable this call saved into


@dataclass(frozen=True, slots=True)
class _Reader:
    """A signalfd / sigwait-family call: where blocked signals are read back."""

    kind: str
    result: str | None  # variable the received signal lands in (sigwait), if any
    node: Node
    path: str


@dataclass(slots=True)
class _Unit:
    """One parsed file and what the queries found in it."""

    path: str
    text: bytes
    root: Node
    calls: list[tuple[str, Node, list[Node]]]
    static: set[str]
    defined: set[str]


@dataclass(slots=True)
class _SigSet:
    """A sigset_t being built: filled or empty, plus additions and removals."""

    filled: bool = False
    members: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)

    def names(self, rt_rows: Iterable[str]) -> list[str]:
        """The signals in the set, the real-time ones among `rt_rows` when filled."""
        universe = (*signals.NAMES, *rt_rows) if self.filled else ()
        return [s for s in dict.fromkeys((*universe, *sorted(self.members))) if s not in self.removed]


_API = (
    "sigaction",
    "signal",
    "sigprocmask",
    "pthread_sigmask",
    "sigemptyset",
    "sigfillset",
    "sigaddset",
    "sigdelset",
    "signalfd",
    "sigwait",
    "sigwaitinfo",
    "sigtimedwait",
)
_READERS = frozenset({"signalfd", "sigwait", "sigwaitinfo", "sigtimedwait"})
_EXEC = frozenset({"execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "fexecve", "execveat"})
_FORK = re.compile(r"fork")
_TEST_DIRS = frozenset({"test", "tests", "testsuite", "t"})
_MAIN_DEF = re.compile(rb"^[ \t]*(?:int|void)[ \t]+main[ \t]*\(", re.M)
_HANDLER_CAST = re.compile(r"\(\s*\w+\s*\(\s*\*\s*\)\s*\([^()]*\)\s*\)")
_SIGNO = re.compile(r"\b(?:ssi_signo|si_signo)\b")
_SKIP_CALL = re.compile(r"(?:log_|PRINT|assert|DEBUG)|[A-Z][A-Z0-9_]*\Z")
_RANGE_LOW = re.compile(r">=\s*SIGRTMIN\s*\+\s*(\d+)")
_RANGE_HIGH = re.compile(r"<\s*SIGRTMIN((?:\s*\+\s*(?:\d+|ELEMENTSOF\s*\(\s*\w+\s*\)))+)")
_TERM = re.compile(r"\d+|ELEMENTSOF\s*\(\s*(\w+)\s*\)")
_TRIVIAL = re.compile(r"true|false|NULL|-?\d+")
_WORD = re.compile(r"[A-Za-z_]\w*")
# systemd's PID 1 is the program whose main() creates the manager; its directory is the scope.
_SYSTEMD_PID1_MARK = "manager_new"
_MAX_CHAIN = 10


@functools.cache
def helpers() -> dict[str, Helper]:
    """The helper table of queries/init/helpers.txt."""
    table = {}
    for raw in (resources.queries_dir() / "init" / "helpers.txt").read_text(encoding="utf-8").splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) == 3:
            table[words[0]] = Helper(words[0], words[1], None if words[2] == "-" else int(words[2]))
    return table


def extract_init(source: Source, project: str) -> InitTable:
    """Build the signal table of the PID 1 program in `source` ("systemd" or another init)."""
    return _Extraction(source, project).run()


@dataclass(slots=True)
class _Extraction:
    """The state of one extraction: parsed files, macro resolver, decisions, notes."""

    source: Source
    project: str
    resolver: MacroResolver = field(init=False)
    units: dict[str, _Unit] = field(default_factory=dict)
    scope: list[str] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    main: str | None = None
    unresolved: dict[str, None] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    skipped_signals: dict[str, list[str]] = field(default_factory=dict)
    row_notes: dict[str, list[str]] = field(default_factory=dict)
    rt_rows: set[str] = field(default_factory=set)
    _chains: dict[tuple[str, str], tuple[int, ...] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.resolver = MacroResolver(self.source)

    def run(self) -> InitTable:
        """Find the scope, read every decision in it, order them and build the rows."""
        installers = self._installer_macros()
        names = (*_API, *helpers(), *sorted(installers))
        candidates = sorted(p for p in self.source.candidate_files(names) if is_c_source(p))
        self._choose_scope(candidates)
        decisions: list[_Decision] = []
        readers: list[_Reader] = []
        for path in self.scope:
            found, read = self._decisions_in(self._unit(path), installers)
            decisions += found
            readers += read
        if not decisions:
            return self._table(_default_rows(self.rt_rows), "no sigaction/signal use found: not an init")
        kept = self._filter(decisions)
        readers = [r for r in readers if self._reader_counts(r)]
        dispatch, paths = self._dispatch(readers)
        blocked_via = _reader_via([r for r in readers if r.path in paths] or readers)
        rows = _final_rows(kept, dispatch, blocked_via, self.rt_rows, self.row_notes)
        return self._table(rows, None)

    def _table(self, rows: tuple[Disposition, ...], note: str | None) -> InitTable:
        """Assemble the InitTable from the rows and what was learnt on the way."""
        relevant = {p for p in self.scope if self._relevant(p)}
        files = relevant | self.resolver.used_files | self._helper_files() | ({self.main} if self.main else set())
        return InitTable(
            project=self.project,
            dispositions=rows,
            files=tuple(sorted(files - self.excluded)),
            excluded=tuple(sorted(self.excluded)),
            unresolved=tuple(sorted(self.unresolved)),
            note=note,
            skipped=tuple(self.skipped) + tuple(_skip_entry(k, v) for k, v in self.skipped_signals.items()),
            main=self.main,
        )

    # Scope

    def _choose_scope(self, candidates: list[str]) -> None:
        """Split candidate files into the PID 1 scope and the excluded ones."""
        tests = [p for p in candidates if _is_test(p)]
        rest = [p for p in candidates if not _is_test(p)]
        self.excluded.update(p for p in tests if self._installs(p))
        mains = self._main_files()
        if self.project == "systemd":
            marked = set(self.source.candidate_files((_SYSTEMD_PID1_MARK,)))
            pid1 = [m for m in mains if m in marked]
            self.main = pid1[0] if pid1 else None
            top = posixpath.dirname(self.main) + "/" if self.main else ""
            inside = [p for p in rest if p.startswith(top)] if self.main else []
        else:
            initish = [m for m in mains if re.search(r"init$|^init", posixpath.basename(m).rsplit(".", 1)[0])]
            chosen = initish if len(mains) > 1 and initish else mains
            self.main = chosen[0] if chosen else None
            others = set(mains) - set(chosen)
            inside = [p for p in rest if p not in others]
        self.scope = inside
        self.excluded.update(p for p in rest if p not in inside and self._installs(p) and not self._defines_helper(p))

    def _main_files(self) -> list[str]:
        """Non-test C files defining main()."""
        found = self.source.candidate_files(("main",))
        return sorted(p for p in found if is_c_source(p) and not _is_test(p) and _MAIN_DEF.search(self.source.read(p)))

    def _installs(self, path: str) -> bool:
        """True when `path` calls sigaction/signal or a disposition helper in code."""
        unit = self._unit(path)
        return any(
            callee in ("sigaction", "signal", "sigprocmask", "pthread_sigmask", "signalfd")
            or helpers().get(callee, Helper("", "", None)).effect in ("sigaction", "ignored", "default", "mask")
            for callee, _, _ in unit.calls
        )

    def _relevant(self, path: str) -> bool:
        """True when `path` calls the signal API or a helper (not only mentions a word)."""
        names = set(_API) | set(helpers())
        return any(callee in names for callee, _, _ in self._unit(path).calls)

    def _defines_helper(self, path: str) -> bool:
        """True when `path` defines one of the helpers (a library file PID 1 links)."""
        return bool(self._unit(path).defined & set(helpers()))

    def _helper_files(self) -> set[str]:
        """Files defining the helpers the scope calls (as functions or macros)."""
        called = {c for path in self.scope for c, _, _ in self._unit(path).calls if c in helpers()}
        if not called:
            return set()
        out = set()
        for path in self.source.candidate_files(tuple(sorted(called))):
            if is_c_source(path) and not _is_test(path):
                unit = self._unit(path)
                if unit.defined & called or self.resolver.function_macros_in(path) & called:
                    out.add(path)
        return out

    def _installer_macros(self) -> dict[str, tuple[int, int, str]]:
        """Function-like macros wrapping sigaction()/signal(): name -> (signal arg, handler arg, API)."""
        out: dict[str, tuple[int, int, str]] = {}
        for path in self.source.candidate_files(("sigaction", "signal")):
            if is_c_source(path) and not _is_test(path):
                for macro in self.resolver.defines_of(path)[1].values():
                    if (shape := _installer_shape(macro)) is not None:
                        out.setdefault(macro.name, shape)
        return out

    # Parsing

    def _unit(self, path: str) -> _Unit:
        """Parse `path` once (conditionals resolved to their default branches)."""
        if path not in self.units:
            data = self.source.read(path)
            text = preprocess.variant(data, preprocess.lex(data))
            root = parse.parse(text).root_node
            calls = [
                (_text(m["callee"]), m["call.function"], _args(m["value"]))
                for m in iter_matches(load_query("init/calls"), root)
            ]
            static, defined = set(), set()
            for match in iter_matches(load_query("init/functions"), root):
                name = _text(match["name"])
                defined.add(name)
                if any(_text(c) == "static" for c in match["def.function"].children):
                    static.add(name)
            self.units[path] = _Unit(path, text, root, calls, static, defined)
        return self.units[path]

    # Decisions

    def _decisions_in(
        self, unit: _Unit, installers: dict[str, tuple[int, int, str]]
    ) -> tuple[list[_Decision], list[_Reader]]:
        """Every decision and reader call of one file, in source order."""
        out: list[_Decision] = []
        readers: list[_Reader] = []
        sets: dict[tuple[str | None, str], _SigSet] = {}
        for callee, node, args in unit.calls:
            function = syntax.function_name(node)
            texts = [_text(a) for a in args]
            if callee in installers:
                sig_i, handler_i, api = installers[callee]
                if max(sig_i, handler_i) < len(args):
                    action, handler = _handler_action(texts[handler_i])
                    out += self._per_signal(unit, node, args[sig_i], action, handler, f"{callee}→{api}")
            elif callee == "signal" and len(args) >= 2:
                action, handler = _handler_action(texts[1])
                out += self._per_signal(unit, node, args[0], action, handler, "signal")
            elif callee == "sigaction" and len(args) >= 2:
                out += self._sigaction(unit, node, args, out)
            elif callee in helpers():
                out += self._helper(unit, node, helpers()[callee], args, sets)
            elif callee in ("sigemptyset", "sigfillset", "sigaddset", "sigdelset") and args:
                self._set_op(unit, callee, function, args, sets)
            elif callee in ("sigprocmask", "pthread_sigmask") and len(args) >= 2:
                out += self._mask(unit, node, texts, sets, out)
            elif callee in _READERS and args:
                readers.append(_Reader(callee, _reader_result(callee, texts), node, unit.path))
        return out, readers

    def _location(self, unit: _Unit, node: Node) -> Location:
        """The file position of `node`."""
        return Location(unit.path, node.start_point.row + 1, node.start_point.column + 1)

    def _signals(self, unit: _Unit, arg: Node) -> tuple[list[str], str | None]:
        """Resolve one signal argument: (signals, note); loops over every signal give all 31."""
        if arg.type == "subscript_expression":
            array = arg.child_by_field_name("argument")
            values = self._array_values(unit, arg, _text(array)) if array is not None else None
            if values is not None:
                return self._from_resolved(self.resolver.resolve_list(values, unit.path), unit, arg)
        resolved = self.resolver.resolve(_text(arg), unit.path)
        if not resolved.signals and resolved.unknown and _is_loop_variable(arg, resolved.unknown[0]):
            return list(signals.NAMES), "loop over every signal"
        return self._from_resolved(resolved, unit, arg)

    def _from_resolved(self, resolved: Resolved, unit: _Unit, node: Node) -> tuple[list[str], str | None]:
        """Record unresolved macros; return the signals and a note about what stayed unknown."""
        notes = []
        for name in resolved.unresolved:
            self.unresolved[name] = None
            notes.append(f"unresolved macro {name}")
        if not resolved.signals:
            what = ", ".join(resolved.unresolved + resolved.unknown) or _text(node)
            self._skip(unit, node, f"signal not resolved: {what}")
        self.rt_rows.update(s for s in resolved.signals if s not in signals.NUMBERS)
        for sig in resolved.signals:
            self.row_notes.setdefault(sig, []).extend(n for n in notes if n not in self.row_notes.get(sig, []))
        return list(resolved.signals), None

    def _per_signal(
        self, unit: _Unit, node: Node, arg: Node, action: str, handler: str | None, via: str, saved: str | None = None
    ) -> list[_Decision]:
        """One decision per signal named by `arg`."""
        sigs, note = self._signals(unit, arg)
        return [self._decision(unit, node, s, action, handler, via, note, saved) for s in sigs]

    def _decision(
        self,
        unit: _Unit,
        node: Node,
        sig: str,
        action: str,
        handler: str | None,
        via: str,
        note: str | None = None,
        saved: str | None = None,
    ) -> _Decision:
        """A decision at `node`."""
        location = self._location(unit, node)
        return _Decision(sig, action, handler, location, syntax.function_name(node), via, node, unit.path, note, saved)

    def _sigaction(self, unit: _Unit, node: Node, args: list[Node], earlier: list[_Decision]) -> list[_Decision]:
        """sigaction(sig, act, old): the handler comes from the struct `act` points to."""
        act = _text(args[1]).strip()
        if act in ("NULL", "0"):
            return []
        variable = act[1:].strip() if act.startswith("&") else None
        function = syntax.function_name(node)
        if variable and any(d.saved == variable and d.function == function for d in earlier):
            self._restore(unit, node, variable, function, earlier)
            return []
        saved = _address_of(_text(args[2])) if len(args) > 2 else None
        action, handler, note = self._struct_handler(unit, node, args[1], variable)
        out = self._per_signal(unit, node, args[0], action, handler, "sigaction", saved)
        return [replace(d, note=d.note or note) for d in out]

    def _restore(self, unit: _Unit, node: Node, variable: str, function: str | None, earlier: list[_Decision]) -> None:
        """A saved action or mask put back: the earlier change was temporary."""
        for decision in [d for d in earlier if d.saved == variable and d.function == function]:
            earlier.remove(decision)
            where = self._location(unit, node)
            self._skip_decision(decision, f"temporary: restored from {variable} at line {where.line}")

    def _struct_handler(
        self, unit: _Unit, call: Node, act: Node, variable: str | None
    ) -> tuple[str, str | None, str | None]:
        """(action, handler, note) of the struct sigaction `act` points to."""
        literal = _compound_literal(act)
        if literal is not None:
            return _initializer_handler(literal)
        if variable is None:
            return "handler", None, f"struct sigaction not resolved: {_text(act)}"
        function = syntax.function_name(call)
        best: tuple[str, str | None, str | None] | None = None
        for match in iter_matches(load_query("init/sigaction-structs"), unit.root):
            anchor = anchor_of(match)
            node = match[anchor]
            if _text(match["variable"]) != variable or node.start_byte > call.start_byte:
                continue
            if syntax.function_name(node) not in (function, None):
                continue
            if anchor == "assign.sigaction_field":
                best = (*_handler_action(_text(match["handler"])), None)
            else:
                best = _initializer_handler(match["value"])
        if best is None:
            best = self._global_struct(variable)
        return best or ("handler", None, f"struct sigaction {variable} not resolved")

    def _global_struct(self, variable: str) -> tuple[str, str | None, str | None] | None:
        """A struct sigaction defined at file scope elsewhere in the tree (e.g. sigaction_ignore)."""
        for path in sorted(self.source.candidate_files((variable,))):
            if not is_c_source(path) or _is_test(path):
                continue
            for match in iter_matches(load_query("init/sigaction-structs"), self._unit(path).root):
                if anchor_of(match) == "def.sigaction_struct" and _text(match["variable"]) == variable:
                    self.resolver.used_files.add(path)
                    return _initializer_handler(match["value"])
        return None

    def _helper(
        self, unit: _Unit, node: Node, helper: Helper, args: list[Node], sets: dict[tuple[str | None, str], _SigSet]
    ) -> list[_Decision]:
        """A variadic helper call: expand its list (macros, -1 end) into decisions."""
        if helper.effect in ("reset_all", "unblock_all"):
            return [self._decision(unit, node, "*", helper.effect, None, helper.effect)]
        first = helper.first or 0
        if len(args) <= first:
            return []
        texts = [_text(a) for a in args[first:]]
        resolved = self.resolver.resolve_list(texts, unit.path)
        listed = [m for m in resolved.macros if any(m in t.split() or m == t.strip() for t in texts)]
        via = f"{helper.name}({', '.join(listed)})" if listed else helper.name
        sigs, _ = self._from_resolved(resolved, unit, node)
        function = syntax.function_name(node)
        if helper.effect == "add":
            target = sets.setdefault((function, _address_of(_text(args[0])) or _text(args[0])), _SigSet())
            target.members.update(sigs)
            target.removed.difference_update(sigs)
            return []
        if helper.effect == "mask":
            how = _text(args[0])
            action = "unblock" if "UNBLOCK" in how else "block"
            saved = _address_of(_text(args[1]))
            return [self._decision(unit, node, s, action, None, via, saved=saved) for s in sigs]
        if helper.effect == "sigaction":
            action, handler, note = self._struct_handler(unit, node, args[0], _address_of(_text(args[0])))
            return [self._decision(unit, node, s, action, handler, via, note) for s in sigs]
        return [self._decision(unit, node, s, helper.effect, None, via) for s in sigs]

    def _set_op(
        self,
        unit: _Unit,
        callee: str,
        function: str | None,
        args: list[Node],
        sets: dict[tuple[str | None, str], _SigSet],
    ) -> None:
        """sigemptyset / sigfillset / sigaddset / sigdelset on a set variable of `function`."""
        key = (function, _address_of(_text(args[0])) or _text(args[0]))
        if callee in ("sigemptyset", "sigfillset"):
            sets[key] = _SigSet(filled=callee == "sigfillset")
            return
        if len(args) < 2:
            return
        sigs, _ = self._signals(unit, args[1])
        target = sets.setdefault(key, _SigSet())
        if callee == "sigaddset":
            target.members.update(sigs)
            target.removed.difference_update(sigs)
        else:
            target.removed.update(sigs)

    def _mask(
        self,
        unit: _Unit,
        node: Node,
        texts: list[str],
        sets: dict[tuple[str | None, str], _SigSet],
        earlier: list[_Decision],
    ) -> list[_Decision]:
        """sigprocmask(how, set, old): block or unblock the members of `set`, or restore a saved mask."""
        function = syntax.function_name(node)
        how, variable = texts[0], _address_of(texts[1]) or texts[1]
        if any(d.saved == variable and d.function == function for d in earlier):
            self._restore(unit, node, variable, function, earlier)
            return []
        built = sets.get((function, variable))
        if built is None:
            if variable not in ("NULL", "0"):
                self._skip(unit, node, f"mask {variable} not built in {function}")
            return []
        action = "unblock" if "UNBLOCK" in how else "block"
        saved = _address_of(texts[2]) if len(texts) > 2 else None
        names = built.names(sorted(self.rt_rows)) + (["*RT"] if built.filled else [])
        return [self._decision(unit, node, s, action, None, "sigprocmask", saved=saved) for s in names]

    def _array_values(self, unit: _Unit, use: Node, name: str) -> list[str] | None:
        """The initializer list of array `name`, in the function of `use` or at file scope."""
        function = syntax.function_name(use)
        for match in iter_matches(load_query("init/signal-arrays"), unit.root):
            if _text(match["variable"]) == name and syntax.function_name(match["value"]) in (function, None):
                return [_text(c) for c in match["value"].named_children if c.type != "comment"]
        return None

    def _skip(self, unit: _Unit, node: Node, why: str) -> None:
        """Record an in-scope call set aside."""
        where = self._location(unit, node)
        self.skipped.append(f"{where.path}:{where.line} {syntax.function_name(node)}: {why}")

    def _skip_decision(self, decision: _Decision, why: str) -> None:
        """Record a decision set aside; the signals of one call and reason share an entry."""
        key = f"{decision.path}:{decision.location.line} {decision.function}: {why}"
        self.skipped_signals.setdefault(key, []).append(decision.signal)

    # Program order

    def _filter(self, decisions: list[_Decision]) -> list[tuple[tuple[int, ...], _Decision]]:
        """Drop what does not shape PID 1's table; key the rest by program order from main()."""
        handlers = {d.handler for d in decisions if d.action == "handler" and d.handler}
        kept = []
        for decision in decisions:
            why = self._why_not(decision, handlers)
            if why is not None:
                self._skip_decision(decision, why)
                continue
            chain = self._chain(decision.function or "", decision.path, 0)
            if chain is None:
                self._skip_decision(decision, f"not reached from main() of {self.main}")
                continue
            kept.append(((*chain, decision.node.start_byte), decision))
        return sorted(kept, key=lambda item: item[0])

    def _reader_counts(self, reader: _Reader) -> bool:
        """True for a reader PID 1 itself runs (reached from main, not in a child)."""
        function = syntax.function_name(reader.node)
        if _in_fork_child(reader.node) or function is None:
            return False
        return self._chain(function, reader.path, 0) is not None

    def _why_not(self, decision: _Decision, handlers: set[str]) -> str | None:
        """Why a decision is not PID 1's own steady state, or None."""
        if decision.function in handlers:
            return f"inside signal handler {decision.function}()"
        if _in_fork_child(decision.node):
            return "in a forked child"
        if (exec_call := _exec_after(decision.node)) is not None:
            return f"before {exec_call}(): applies to the next program"
        if decision.signal not in ("*", "*RT") and _reacts_to(decision.node, decision.signal):
            self.row_notes.setdefault(decision.signal, []).append(
                f"{decision.action} in {decision.function}() once {decision.signal} arrived"
            )
            return f"reaction to receiving {decision.signal}"
        return None

    def _chain(self, function: str, path: str, depth: int) -> tuple[int, ...] | None:
        """Call-site offsets from PID 1's main() down to `function`; None when not reached."""
        if function == "main":
            return () if path == self.main or self.main is None else None
        key = (function, path)
        if key in self._chains:
            return self._chains[key]
        self._chains[key] = None  # cycles end here
        if depth > _MAX_CHAIN or not function:
            return None
        best: tuple[int, ...] | None = None
        for caller_path in self._caller_files(function, path):
            for callee, node, _ in self._unit(caller_path).calls:
                if callee != function or _in_fork_child(node):
                    continue
                caller = syntax.function_name(node)
                if caller is None or caller == function:
                    continue
                chain = self._chain(caller, caller_path, depth + 1)
                if chain is not None and (best is None or (*chain, node.start_byte) < best):
                    best = (*chain, node.start_byte)
        self._chains[key] = best
        return best

    def _caller_files(self, function: str, path: str) -> list[str]:
        """Scope files that may call `function`: its own file when static, else any mentioning it."""
        if function in self._unit(path).static:
            return [path]
        scope = set(self.scope)
        return sorted(p for p in self.source.candidate_files((function,)) if p in scope)

    # Dispatch

    def _dispatch(self, readers: list[_Reader]) -> tuple[dict[str, tuple[str | None, str]], set[str]]:
        """Signal -> (dispatching function, first action), and the files dispatching."""
        out: dict[str, tuple[str | None, str]] = {}
        paths: set[str] = set()
        results = {r.result for r in readers if r.result}
        for path in dict.fromkeys(r.path for r in readers):
            unit = self._unit(path)
            switches = [m for m in iter_matches(load_query("init/dispatch"), unit.root) if _on_signal(m, results)]
            outer = [
                m
                for m in switches
                if not any(_strictly_inside(m["def.dispatch_switch"], o["def.dispatch_switch"]) for o in switches)
            ]
            for match in outer:
                for sig, summary in self._switch_cases(unit, match["def.dispatch_switch"]):
                    out.setdefault(sig, (syntax.function_name(match["def.dispatch_switch"]), summary))
                    paths.add(path)
        for reader in readers:
            if reader.result and not out:
                call = _first_call_with(reader.node, reader.result)
                if call is not None:
                    out.setdefault("*", (call, f"{call}({reader.result})"))
                    paths.add(reader.path)
        return out, paths

    def _switch_cases(self, unit: _Unit, switch: Node) -> Iterator[tuple[str, str]]:
        """(signal, summary) for each case label of a dispatch switch, defaults last as "*"."""
        condition = _text(switch.child_by_field_name("condition"))
        relative = bool(re.search(r"-\s*SIGRTMIN\b", condition))
        cases = [c for c in (switch.child_by_field_name("body") or switch).named_children if c.type == "case_statement"]
        for index, case in enumerate(cases):
            value = case.child_by_field_name("value")
            summary = _case_action(cases[index:])
            if value is None:
                yield from self._default_cases(unit, case, summary)
                continue
            label = _text(value)
            if relative and label.isdigit():
                sig = signals.rt_name(int(label))
                self.rt_rows.add(sig)
                yield sig, f"case {label} ({sig}): {summary}"
                continue
            for sig in self.resolver.resolve(label, unit.path).signals:
                yield sig, f"case {label}: {summary}"

    def _default_cases(self, unit: _Unit, case: Node, summary: str) -> Iterator[tuple[str, str]]:
        """The default branch: real-time ranges it tests, nested switches, then the rest as "*"."""
        for node in _descendants(case):
            if node.type == "if_statement" and (span := _rt_range(node)) is not None:
                low, high = span
                action = _first_action([node.child_by_field_name("consequence")])
                for offset in range(low, high):
                    sig = signals.rt_name(offset)
                    yield sig, f"default: SIGRTMIN+{low}..+{high - 1}: {action}"
            elif node.type == "switch_statement" and _SIGNO.search(_text(node.child_by_field_name("condition"))):
                yield from self._switch_cases(unit, node)
        yield "*", f"default: {summary}"


def _skip_entry(key: str, names: list[str]) -> str:
    """`path:line fn: why (SIGA, SIGB)`, with "every signal" for a filled set or a loop."""
    every = "*" in names or "*RT" in names or set(signals.NAMES) <= set(names)
    listed = "every signal" if every else ", ".join(dict.fromkeys(names))
    return f"{key} ({listed})"


def _default_rows(rt_rows: set[str]) -> tuple[Disposition, ...]:
    """Rows for a tree with no decisions: every signal at its default."""
    names = list(signals.NAMES) + sorted(rt_rows, key=signals.row_key)
    return tuple(Disposition(name, "default", None, None, None, "default") for name in names)


def _final_rows(
    kept: list[tuple[tuple[int, ...], _Decision]],
    dispatch: dict[str, tuple[str | None, str]],
    blocked_via: str,
    rt_rows: set[str],
    row_notes: dict[str, list[str]],
) -> tuple[Disposition, ...]:
    """Replay the ordered decisions per signal and turn the end state into rows."""
    names = list(signals.NAMES) + sorted(rt_rows, key=signals.row_key)
    rows = []
    for name in names:
        action: _Decision | None = None
        block: _Decision | None = None
        history: list[str] = []
        for _, decision in kept:
            if not _applies(decision.signal, name):
                continue
            if decision.action in ("block", "unblock", "unblock_all"):
                block = decision if decision.action == "block" else None
            else:
                if action is not None and action.action == "reset_all":
                    history.append("after reset_all")
                action = decision
        rows.append(_row(name, action, block, dispatch, blocked_via, history, row_notes.get(name, [])))
    return tuple(rows)


def _applies(target: str, name: str) -> bool:
    """True when a decision about `target` ("*" every signal, "*RT" every real-time one) covers `name`."""
    return target == name or target == "*" or (target == "*RT" and name not in signals.NUMBERS)


def _row(
    name: str,
    action: _Decision | None,
    block: _Decision | None,
    dispatch: dict[str, tuple[str | None, str]],
    blocked_via: str,
    history: list[str],
    extra: list[str],
) -> Disposition:
    """One row from the last action and mask decisions of a signal."""
    notes = list(dict.fromkeys(history + extra))
    if name in signals.UNCATCHABLE:
        tried = action or block
        if tried is not None and tried.action not in ("default", "reset_all"):
            notes.insert(
                0, f"cannot be caught, blocked or ignored (tree asks: {tried.action} {tried.handler or ''})".strip()
            )
            return Disposition(name, "default", None, tried.location, tried.function, tried.via, None, _join(notes))
        block = None
    if block is not None:
        function, summary = dispatch.get(name) or dispatch.get("*") or (None, None)
        if action is not None and action.action in ("handler", "ignored"):
            notes.append(f"also {action.action} {action.handler or ''} via {action.via}".replace("  ", " "))
        if function is None:
            notes.append("blocked; no reader dispatches it")
        via = f"{block.via}+{blocked_via}" if blocked_via and function else block.via
        return Disposition(name, "blocked", function, block.location, block.function, via, summary, _join(notes))
    if action is None:
        return Disposition(name, "default", None, None, None, "default", None, _join(notes))
    if action.action == "reset_all":
        return Disposition(name, "default", None, action.location, action.function, "reset_all", None, _join(notes))
    if action.note:
        notes.append(action.note)
    handler = action.handler if action.action == "handler" else None
    return Disposition(name, action.action, handler, action.location, action.function, action.via, None, _join(notes))


def _join(notes: list[str]) -> str | None:
    """Notes as one string, or None."""
    return "; ".join(dict.fromkeys(notes)) or None


def _reader_via(readers: list[_Reader]) -> str:
    """How blocked signals are read back: "signalfd", "sigtimedwait"..."""
    return "+".join(dict.fromkeys(r.kind for r in readers))


# Node helpers


def _text(node: Node | None) -> str:
    """A node's text."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _args(argument_list: Node) -> list[Node]:
    """The arguments of a call, comments left out."""
    return [c for c in argument_list.named_children if c.type != "comment"]


def _address_of(text: str) -> str | None:
    """`&name` -> name; a plain pointer variable -> itself; NULL -> None."""
    text = text.strip()
    if text in ("NULL", "0", ""):
        return None
    return text[1:].strip() if text.startswith("&") else text


def _handler_action(text: str) -> tuple[str, str | None]:
    """("ignored"|"default"|"handler", function) of a handler expression."""
    value = " ".join(_HANDLER_CAST.sub(" ", text).split()).strip("() ")
    if value == "SIG_IGN":
        return "ignored", None
    if value == "SIG_DFL":
        return "default", None
    return "handler", value if _WORD.fullmatch(value) else None


def _initializer_handler(initializer: Node) -> tuple[str, str | None, str | None]:
    """The handler a struct sigaction initializer list sets."""
    for pair in initializer.named_children:
        if pair.type != "initializer_pair":
            continue
        designator = _text(pair.child_by_field_name("designator") or pair.named_children[0])
        if designator.lstrip(".") in ("sa_handler", "sa_sigaction"):
            return (*_handler_action(_text(pair.child_by_field_name("value"))), None)
    return "default", None, "struct sigaction without a handler field (zero: SIG_DFL)"


def _compound_literal(node: Node) -> Node | None:
    """The initializer list of `&(struct sigaction) {...}`, if `node` is one."""
    for child in [node, *node.named_children]:
        if child.type == "compound_literal_expression":
            return child.child_by_field_name("value")
    return None


def _installer_shape(macro: FunctionMacro) -> tuple[int, int, str] | None:
    """(signal parameter, handler parameter, API) when a macro body installs a handler it is given."""
    params = list(macro.params)
    body = macro.body
    if (match := re.search(r"\bsignal\s*\(\s*(\w+)\s*,\s*(\w+)", body)) and set(match.groups()) <= set(params):
        return params.index(match.group(1)), params.index(match.group(2)), "signal"
    call = re.search(r"\bsigaction\s*\(\s*(\w+)\s*,", body)
    field_set = re.search(r"\.\s*sa_(?:handler|sigaction)\s*=\s*(\w+)", body)
    if call and field_set and call.group(1) in params and field_set.group(1) in params:
        return params.index(call.group(1)), params.index(field_set.group(1)), "sigaction"
    return None


def _reader_result(callee: str, texts: list[str]) -> str | None:
    """The variable a sigwait-family call stores the received signal in."""
    if callee == "signalfd" or len(texts) < 2:
        return None
    return _address_of(texts[1])


def _is_test(path: str) -> bool:
    """Test code: a test directory, or a file named test-* / test_* / *_test.c."""
    parts = path.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return bool(_TEST_DIRS & set(parts[:-1])) or stem.startswith(("test-", "test_")) or stem.endswith("_test")


def _is_loop_variable(node: Node, name: str) -> bool:
    """True when `name` is the variable a for loop around `node` steps through."""
    for parent in syntax.ancestors(node):
        if parent.type == "for_statement":
            header = parent.child_by_field_name("initializer") or parent.child_by_field_name("condition")
            if header is not None and re.search(rf"\b{re.escape(name)}\b", _text(header)):
                return True
        if parent.type == "function_definition":
            return False
    return False


def _in_fork_child(node: Node) -> bool:
    """True inside `if (pid == 0)` / `if (r == 0)` after `pid = fork()` (or safe_fork...) in the same function."""
    function = next((p for p in syntax.ancestors(node) if p.type == "function_definition"), None)
    if function is None:
        return False
    for parent in syntax.ancestors(node):
        if parent is function:
            return False
        if parent.type != "if_statement":
            continue
        consequence = parent.child_by_field_name("consequence")
        if consequence is None or not syntax.contains(consequence, node):
            continue
        variable = _zero_test(_text(parent.child_by_field_name("condition")))
        if variable and _assigned_from_fork(function, variable, parent.start_byte):
            return True
    return False


def _zero_test(condition: str) -> str | None:
    """`(pid == 0)` / `(!pid)` / `((pid = fork()) == 0)` -> the variable tested against zero."""
    text = " ".join(condition.split())
    match = re.fullmatch(r"\(\s*\(?\s*(\w+)(?:\s*=\s*\w*fork\w*\([^()]*\))?\s*\)?\s*==\s*0\s*\)", text)
    if match:
        return match.group(1)
    match = re.fullmatch(r"\(\s*!\s*(\w+)\s*\)", text)
    return match.group(1) if match else None


def _assigned_from_fork(function: Node, variable: str, before: int) -> bool:
    """True when `variable` is assigned the result of a *fork* call in `function` before `before`."""
    body = _text(function)[: before - function.start_byte]
    if re.search(rf"\b{re.escape(variable)}\s*=\s*\w*fork\w*\s*\(", body):
        return True
    return bool(re.search(rf"\w*fork\w*\s*\([^;]*&\s*{re.escape(variable)}\s*\)", body))


def _exec_after(node: Node) -> str | None:
    """The exec*() the same function calls after `node` in the same process, if any."""
    function = next((p for p in syntax.ancestors(node) if p.type == "function_definition"), None)
    if function is None:
        return None
    for match in iter_matches(load_query("init/calls"), function):
        callee = _text(match["callee"])
        call = match["call.function"]
        if callee in _EXEC and call.start_byte > node.end_byte and not _in_fork_child(call):
            return callee
    return None


def _reacts_to(node: Node, signal: str) -> bool:
    """True inside an `if` whose condition tests that `signal` was received."""
    for parent in syntax.ancestors(node):
        if parent.type == "function_definition":
            return False
        if parent.type == "if_statement":
            condition = parent.child_by_field_name("condition")
            if (
                condition is not None
                and not syntax.contains(condition, node)
                and signal in _WORD.findall(_text(condition))
            ):
                return True
    return False


def _on_signal(match: dict[str, Node], results: set[str]) -> bool:
    """True for a switch on a received signal."""
    condition = _text(match["value"])
    return bool(_SIGNO.search(condition)) or bool(set(_WORD.findall(condition)) & results)


def _strictly_inside(inner: Node, outer: Node) -> bool:
    """True when `inner` is a proper descendant of `outer`."""
    return inner.start_byte != outer.start_byte and syntax.contains(outer, inner)


def _descendants(node: Node) -> Iterator[Node]:
    """Nodes below `node` in source order; nested switches and real-time range ifs are not entered."""
    stack = list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        yield current
        if current.type != "switch_statement" and _rt_range(current) is None:
            stack.extend(reversed(current.named_children))


def _rt_range(node: Node) -> tuple[int, int] | None:
    """`if (sig >= SIGRTMIN+a && sig < SIGRTMIN+b [+ ELEMENTSOF(t)])` -> (a, b), t counted in its function."""
    if node.type != "if_statement":
        return None
    condition = re.sub(r"\(\s*int\s*\)", " ", _text(node.child_by_field_name("condition")))
    low, high = _RANGE_LOW.search(condition), _RANGE_HIGH.search(condition)
    if low is None or high is None or not _SIGNO.search(condition):
        return None
    total = 0
    for term in _TERM.finditer(high.group(1)):
        if term.group(1) is None:
            total += int(term.group())
            continue
        size = _array_size(node, term.group(1))
        if size is None:
            return None
        total += size
    return int(low.group(1)), total


def _array_size(node: Node, name: str) -> int | None:
    """Entries of the initialized array `name` declared in the function around `node`."""
    function = next((p for p in syntax.ancestors(node) if p.type == "function_definition"), None)
    if function is None:
        return None
    for match in iter_matches(load_query("init/signal-arrays"), function):
        if _text(match["variable"]) == name:
            return sum(1 for c in match["value"].named_children if c.type != "comment")
    return None


def _case_action(cases: list[Node]) -> str:
    """The first action of a case, following empty cases and fallthrough into the next."""
    for case in cases:
        body = [c for c in case.named_children if c.type != "comment" and c != case.child_by_field_name("value")]
        action = _first_action(body)
        if action == "nothing":
            action = _first_condition_call(body) or action
        if action != "nothing" or any(c.type in ("break_statement", "return_statement") for c in body):
            return action
    return "nothing"


def _first_condition_call(statements: list[Node]) -> str | None:
    """The first call a case makes anywhere, conditions included: `if (kill(pid, sig)) ...` -> "kill()"."""
    for statement in statements:
        if statement.type == "break_statement":
            return None
        for match in iter_matches(load_query("init/calls"), statement):
            callee = _text(match["callee"])
            if not _SKIP_CALL.match(callee) and not _inside_skipped_call(match["call.function"]):
                return f"{callee}()"
    return None


def _inside_skipped_call(node: Node) -> bool:
    """True for a call that is an argument of a logging call or macro: `PRINT(.., strsignal(s))`."""
    for parent in syntax.ancestors(node):
        if parent.type == "call_expression" and _SKIP_CALL.match(_text(parent.child_by_field_name("function"))):
            return True
    return False


def _first_action(statements: Sequence[Node | None]) -> str:
    """The first call (not logging or a macro) or assignment a list of statements performs."""
    stack = [s for s in reversed(statements) if s is not None]
    while stack:
        node = stack.pop()
        if node.type == "break_statement" and node.parent is not None and node.parent.type == "case_statement":
            return "nothing"
        if node.type in ("break_statement", "declaration"):
            continue
        if node.type in ("expression_statement", "return_statement"):
            summary = _action_of(node)
            if summary:
                return summary
            continue
        if node.type == "if_statement":
            stack.extend(
                reversed(
                    [n for n in (node.child_by_field_name("consequence"), node.child_by_field_name("alternative")) if n]
                )
            )
            continue
        if node.type in ("compound_statement", "else_clause", "labeled_statement"):
            stack.extend(reversed([c for c in node.named_children if c.type != "comment"]))
    return "nothing"


def _action_of(statement: Node) -> str | None:
    """`f();` -> "f()", `r = f(x);` -> "f()", `m->x = Y;` -> "m->x = Y"; logging and macros -> None."""
    expression = _unwrap(next((c for c in statement.named_children if c.type != "comment"), None))
    if expression is None:
        return None
    if expression.type == "assignment_expression":
        right = _unwrap(expression.child_by_field_name("right"))
        if right is not None and right.type == "call_expression":
            expression = right
        elif right is None or (_TRIVIAL.fullmatch(_text(right)) and _is_local(expression.child_by_field_name("left"))):
            return None  # a local flag such as `generic = true`, not what the case does
        else:
            return " ".join(_text(expression).split())
    if expression.type == "call_expression":
        callee = _text(expression.child_by_field_name("function"))
        if _SKIP_CALL.match(callee) or not _WORD.fullmatch(callee):
            return None
        return f"{callee}()"
    return None


def _unwrap(node: Node | None) -> Node | None:
    """`(void) f(x)` and `(f(x))` -> the call."""
    while node is not None and node.type in ("cast_expression", "parenthesized_expression"):
        node = node.child_by_field_name("value") or (node.named_children[-1] if node.named_children else None)
    return node


def _is_local(node: Node | None) -> bool:
    """A plain variable (not a field of a struct the program keeps)."""
    return node is not None and node.type == "identifier"


def _first_call_with(reader: Node, variable: str) -> str | None:
    """The first function called after `reader` (in its function) with `variable` as an argument."""
    function = next((p for p in syntax.ancestors(reader) if p.type == "function_definition"), None)
    if function is None:
        return None
    for match in iter_matches(load_query("init/calls"), function):
        call = match["call.function"]
        if call.start_byte > reader.end_byte and variable in _WORD.findall(_text(match["value"])):
            callee = _text(match["callee"])
            if not _SKIP_CALL.match(callee):
                return callee
    return None
