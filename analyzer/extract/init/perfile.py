"""The per-file step of the init extraction: one file parsed (within the deadline), its facts kept as records.

It runs in a worker of the scan's pool and its records are cached by blob, so every answer
that needs the tree is taken here: where each call runs (a forked child, a reaction to a
received signal), and for the calls of the names the file is read for (the signal API, the
helpers, the tree's installer macros) their arguments, branch conditions, loops and the
struct sigaction or array they point to. The steps after it never see a tree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tree_sitter import Node

from analyzer import syntax
from analyzer.extract.init.branches import exec_after, in_fork_child, loop_headers, reaction, reaction_words
from analyzer.extract.init.conditions import branch_pid1_skips
from analyzer.extract.init.handlers import handler_action
from analyzer.extract.init.nodes import WORD, address_of, call_args, mentions
from analyzer.extract.init.records import (
    Arg,
    Call,
    Decider,
    StructAction,
    StructDef,
    UnitFacts,
    to_text,
)
from analyzer.extract.init.summary import first_call_with
from analyzer.extract.init.switches import if_chain, switches
from analyzer.extract.init.vocabulary import READERS
from analyzer.extract.macros import file_defines
from analyzer.extract.unit import parse_bounded
from analyzer.queries import anchor_of, iter_matches, load_query
from analyzer.syntax import node_text

# These return the signal they took (`int sig = sigtimedwait(&set, NULL, &ts);`).
_RETURN_THE_SIGNAL = frozenset({"sigtimedwait", "sigwaitinfo"})
_WORD_BYTES = re.compile(rb"[A-Za-z0-9_]+")  # what `git grep -w` counts as a word's characters
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_]+")
_FORK_CALL = re.compile(r"fork\w*\s*\(")  # what every test of a forked child needs to find

# (anchor, variable, start offset, function, action) of each place a struct sigaction gets a handler.
_StructSet = tuple[str, str, int, str | None, StructAction]


def unit_facts(path: str, data: bytes, names: Sequence[str]) -> UnitFacts:
    """The facts of one file, its conditionals resolved; calls of `names` kept in full."""
    text, tree = parse_bounded(data)
    if tree is None:  # read as empty: what a timed-out file decides is unknown, and said so
        return UnitFacts(path, timed_out=True)
    root = tree.root_node
    wanted = frozenset(names)
    forks = _Forks(text)
    sets = _struct_sets(root)
    calls: list[Call] = []
    deciders: list[Decider] = []
    for match in iter_matches(load_query("init/calls"), root):
        node = match["call.function"]
        callee = node_text(match["callee"])
        parents = _up_to_function(node)
        around = parents[-1] if parents and parents[-1].type == "function_definition" else None
        function = syntax.declarator_name(around.child_by_field_name("declarator")) if around is not None else None
        forked = forks.forked(node, around)
        calls.append(Call(callee, function, node.start_byte, forked, reaction(node, parents)))
        if callee in wanted:
            deciders.append(_decider(root, node, callee, function, forked, call_args(match["value"]), sets))
    static, defined = _functions(root)
    reads = any(d.callee in READERS and d.args for d in deciders)
    return UnitFacts(
        path,
        calls=tuple(calls),
        deciders=tuple(deciders),
        static=tuple(sorted(static)),
        defined=tuple(sorted(defined)),
        mentioned=_mentioned(data, {c.callee for c in calls}),
        structs=tuple(StructDef(var, action) for anchor, var, _, _, action in sets if anchor == "def.sigaction_struct"),
        # Only a file that reads signals back dispatches them.
        switches=tuple(switches(root)) if reads else (),
    )


def _up_to_function(node: Node) -> list[Node]:
    """The ancestors of `node`, innermost first, up to its function definition (all of them if none)."""
    parents = []
    for parent in syntax.ancestors(node):
        parents.append(parent)
        if parent.type == "function_definition":
            break
    return parents


class _Forks:
    """in_fork_child for every call of a file, asked only where a fork call could make it true.

    Each of its tests looks for a `...fork...(` call in the text of the call's function or
    in the condition of an `if` around the call: a file without one has no forked child,
    and neither has a function without one unless an `if` holds the function itself (a
    nested function).
    """

    def __init__(self, text: bytes) -> None:
        self.any = _FORK_CALL.search(text.decode("utf-8", "replace")) is not None
        self._functions: dict[tuple[int, int], bool] = {}  # function span -> a fork call could reach its calls

    def forked(self, node: Node, function: Node | None) -> bool:
        if not self.any or function is None:
            return False
        span = (function.start_byte, function.end_byte)
        if span not in self._functions:
            self._functions[span] = _FORK_CALL.search(node_text(function)) is not None or any(
                parent.type == "if_statement" for parent in syntax.ancestors(function)
            )
        return self._functions[span] and in_fork_child(node)


def unit_job(job: tuple[str, bytes, tuple[str, ...]]) -> str:
    """One file's facts as the cache keeps them (in a worker: the encoding is done beside the parse)."""
    return to_text(unit_facts(*job))


def defines_job(job: tuple[str, bytes]) -> str:
    """One file's #defines as the cache keeps them (in a worker)."""
    return to_text(file_defines(*job))


def _decider(
    root: Node, node: Node, callee: str, function: str | None, forked: bool, args: list[Node], sets: list[_StructSet]
) -> Decider:
    """A call that may decide, with every answer about it that needs the tree."""
    result, first = None, None
    chain: tuple[tuple[str, str], ...] = ()
    if callee in READERS and args:
        texts = [node_text(a) for a in args]
        result = _returned_into(node) if callee in _RETURN_THE_SIGNAL else _reader_result(callee, texts)
        if result:
            chain, first = tuple(if_chain(node, result)), first_call_with(node, result)
    return Decider(
        callee,
        function,
        node.start_byte,
        node.start_point.row + 1,
        node.start_point.column + 1,
        node_text(node),
        forked,
        tuple(_arg(root, arg, node.start_byte, function, sets) for arg in args),
        branch_pid1_skips(node),
        exec_after(node),
        tuple(sorted(reaction_words(node))),
        tuple(loop_headers(node)),
        result,
        chain,
        first,
    )


def _arg(root: Node, arg: Node, call: int, function: str | None, sets: list[_StructSet]) -> Arg:
    """One argument: text, the array it indexes, the struct sigaction it points to."""
    text = node_text(arg)
    values = None
    if arg.type == "subscript_expression":
        array = arg.child_by_field_name("argument")
        values = _array_values(root, function, node_text(array)) if array is not None else None
    literal = _compound_literal(arg)
    variable = address_of(text)
    return Arg(
        text,
        arg.type,
        arg.start_point.row + 1,
        tuple(values) if values is not None else None,
        _initializer_handler(literal) if literal is not None else None,
        _local_struct(sets, variable, call, function) if variable is not None else None,
    )


def _array_values(root: Node, function: str | None, name: str) -> list[str] | None:
    """The initializer list of array `name`, in `function` or at file scope."""
    for match in iter_matches(load_query("init/signal-arrays"), root):
        if node_text(match["variable"]) == name and syntax.function_name(match["value"]) in (function, None):
            return [node_text(c) for c in match["value"].named_children if c.type != "comment"]
    return None


def _struct_sets(root: Node) -> list[_StructSet]:
    """Every place a struct sigaction gets its handler, in source order."""
    out = []
    for match in iter_matches(load_query("init/sigaction-structs"), root):
        anchor = anchor_of(match)
        node = match[anchor]
        if anchor == "assign.sigaction_field":
            action: StructAction = (*handler_action(node_text(match["handler"])), None)
        else:
            action = _initializer_handler(match["value"])
        out.append((anchor, node_text(match["variable"]), node.start_byte, syntax.function_name(node), action))
    return out


def _local_struct(sets: list[_StructSet], variable: str, call: int, function: str | None) -> StructAction | None:
    """The last handler set on `variable` before the call, in its function or at file scope."""
    best = None
    for _, name, start, where, action in sets:
        if name == variable and start <= call and where in (function, None):
            best = action
    return best


def _initializer_handler(initializer: Node) -> StructAction:
    """The handler a struct sigaction initializer list sets."""
    for pair in initializer.named_children:
        if pair.type != "initializer_pair":
            continue
        designator = node_text(pair.child_by_field_name("designator") or pair.named_children[0])
        if designator.lstrip(".") in ("sa_handler", "sa_sigaction"):
            return (*handler_action(node_text(pair.child_by_field_name("value"))), None)
    return "default", None, "struct sigaction without a handler field (zero: SIG_DFL)"


def _compound_literal(node: Node) -> Node | None:
    """The initializer list of `&(struct sigaction) {...}`, if `node` is one."""
    for child in [node, *node.named_children]:
        if child.type == "compound_literal_expression":
            return child.child_by_field_name("value")
    return None


def _returned_into(call: Node) -> str | None:
    """The variable a call's value is stored in: `int sig = call(...)` or `sig = call(...)`."""
    parent = call.parent
    if parent is not None and parent.type == "init_declarator":
        return syntax.declarator_name(parent.child_by_field_name("declarator"))
    if parent is not None and parent.type == "assignment_expression":
        left = node_text(parent.child_by_field_name("left"))
        return left if WORD.fullmatch(left) else None
    return None


def _reader_result(callee: str, texts: list[str]) -> str | None:
    """The variable a sigwait-family call stores the received signal in."""
    if callee == "signalfd" or len(texts) < 2:
        return None
    return address_of(texts[1])


def _functions(root: Node) -> tuple[set[str], set[str]]:
    """(static functions, every function) the file defines."""
    static, defined = set(), set()
    for match in iter_matches(load_query("init/functions"), root):
        name = node_text(match["name"])
        defined.add(name)
        if any(node_text(c) == "static" for c in match["def.function"].children):
            static.add(name)
    return static, defined


def _mentioned(data: bytes, callees: set[str]) -> tuple[str, ...]:
    """The callees `data` names as a whole word: one pass over its words, not one search per name."""
    words = set(_WORD_BYTES.findall(data))
    return tuple(sorted(c for c in callees if (c.encode() in words if _PLAIN_WORD.fullmatch(c) else mentions(data, c))))
