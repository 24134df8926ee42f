"""Three-valued evaluation of a release's C: expressions and statement lists, with a trail of reasons.

A value is an int (C's truth: non-zero), a symbol of the meaning vocabulary (a str), or an
`Unknown` naming the first expression no atom, routine or arithmetic could give a value.
Control never guesses: an `if` whose condition is unknown runs both ways, and the result
stands only when both ways end alike.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import tree_sitter
from tree_sitter import Node

from analyzer import parse
from analyzer.delivery.atoms import Atom, squeeze
from analyzer.extract import signals
from analyzer.model import Reason, Routine
from analyzer.vocab import Outcome

_MAX_DEPTH = 12  # nested routine calls followed before giving up


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the analysis cannot decide, and the expression that made it so."""

    text: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.text} ({self.path}:{self.line})"


class Sig(int):
    """The signal being delivered (an int that remembers it holds the signal)."""


class Task(str):
    """A task: init (the target) or the sender."""


TARGET = Task("init")
SENDER_TASK = Task("sender")
Value = int | str | Unknown


class Decided(Exception):
    """An expression or statement decided the cell (killed, stopped)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


@dataclass(frozen=True, slots=True, eq=False)
class Lazy:
    """A local's initializer, read when the local is first used, against init's state as it was
    at the assignment (C reads it there); never read, it costs nothing (`ret = send_signal(...)`)."""

    text: str
    path: str
    line: int
    state: tuple[tuple[str, Value], ...]
    names: dict[str, Value | Lazy]  # the locals as they were (a later `x = 5` must not reach `y = x`)


@dataclass(slots=True)
class Frame:
    """Where the code being evaluated sits, and its local names."""

    path: str
    line: int  # line of the text being evaluated
    names: dict[str, Value | Lazy]
    depth: int = 0


@dataclass(slots=True)
class World:
    """Init's state as the delivery goes on, and the reasons gathered."""

    state: dict[str, Value]
    meaning: Mapping[str, Value]  # the fixed names of the meaning vocabulary
    trail: list[Reason] = field(default_factory=list)

    def fork(self) -> World:
        return World(dict(self.state), self.meaning, list(self.trail))

    def note(self, path: str, line: int, text: str, value: Value, handler: bool = False) -> None:
        shown = _HANDLERS.get(value, "a function") if handler and isinstance(value, int) else show(value)
        reason = Reason(path, line, " ".join(text.split()), shown)
        if any(r.path == path and r.line == line and r.text == reason.text for r in self.trail[-6:]):
            return  # said already (a leaf and then its condition, or a condition seen again)
        self.trail.append(reason)


_HANDLERS = {0: "SIG_DFL", 1: "SIG_IGN"}


def show(value: Value) -> str:
    """A value as a reader sees it."""
    if isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def truth(value: Value) -> bool | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        return True  # a task or a symbol: a non-null pointer
    return value != 0


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> tuple[tree_sitter.Tree, Node]:
    source = f"void __e(void){{{text};}}".encode()
    tree = parse.parse(source)
    function = tree.root_node.named_children[0]
    body = function.child_by_field_name("body")
    statement = body.named_children[0] if body is not None and body.named_children else None
    expression = statement.named_children[0] if statement is not None and statement.named_children else None
    if expression is None:
        raise ValueError(text)
    return tree, expression


@functools.lru_cache(maxsize=1024)
def body_of(routine: Routine) -> Any:
    """A routine's statements (or a macro's text), decoded once."""
    return json.loads(routine.body)


class Expr:
    """A syntax node copied out of tree-sitter once: its type, text, row and fields as plain Python.

    Evaluating the same expression for hundreds of cells then costs no native calls.
    """

    __slots__ = ("fields", "named_children", "row", "text", "type")

    def __init__(self, node: Node) -> None:
        self.type = node.type
        self.row = node.start_point.row
        self.text = node.text.decode("utf-8", "replace") if node.text is not None else ""
        self.fields: dict[str, Expr] = {}
        self.named_children: list[Expr] = []
        for i, child in enumerate(node.children):
            if child.type == "comment":
                continue
            copy = Expr(child)
            name = node.field_name_for_child(i)
            if name is not None and name not in self.fields:
                self.fields[name] = copy
            if child.is_named:
                self.named_children.append(copy)

    def child_by_field_name(self, name: str) -> Expr | None:
        return self.fields.get(name)


@functools.lru_cache(maxsize=8192)
def expression(text: str) -> Expr:
    """The syntax tree of one C expression (cached by text)."""
    return Expr(_parsed(text)[1])


class Evaluator:
    """Evaluates one release's expressions and statements against the atom table."""

    def __init__(self, atoms: tuple[Atom, ...], routines: Mapping[str, Routine], members: Mapping[str, frozenset[int]]):
        self.atoms = atoms
        self.routines = routines
        self.members = members  # signal class -> member numbers
        self._matches: dict[str, list[tuple[Atom, list[str], list[str]]]] = {}

    # --- expressions -----------------------------------------------------------------------

    def value(self, text: str, frame: Frame, world: World) -> Value:
        """The value of C expression `text` in `frame`."""
        try:
            node = expression(text)
        except ValueError:
            return Unknown(" ".join(text.split()), frame.path, frame.line)
        return self._eval(node, frame, world)

    def _eval(self, node: Expr | None, frame: Frame, world: World) -> Value:
        if node is None:
            return Unknown("(missing expression)", frame.path, frame.line)
        kind = node.type
        if kind in ("parenthesized_expression", "expression_statement") and node.named_children:
            return self._eval(_first(node), frame, world)
        line = frame.line + node.row
        text = _text(node)
        if kind == "identifier" and text in frame.names:
            return self._local(text, frame, world)
        atom = self._atom(text, frame, world)
        if atom is not None:
            value = self._meaning(atom, frame, world, line, text)
            if kind not in ("number_literal",) and not text.isupper():
                world.note(frame.path, line, text, value, handler=atom.meaning == "handler")
            return value
        if kind == "number_literal":
            return _number(text)
        if kind in ("true", "false"):
            return int(kind == "true")
        if kind == "identifier" and text in signals.NUMBERS:
            return signals.NUMBERS[text]
        if kind == "unary_expression":
            return self._unary(node, frame, world, line, text)
        if kind == "binary_expression":
            return self._binary(node, frame, world, line, text)
        if kind == "conditional_expression":
            test = truth(self._eval(node.child_by_field_name("condition"), frame, world))
            if isinstance(test, Unknown):
                either = self._eval(node.child_by_field_name("consequence"), frame, world)
                other = self._eval(node.child_by_field_name("alternative"), frame, world)
                return either if either == other and not isinstance(either, Unknown) else test
            branch = "consequence" if test else "alternative"
            return self._eval(node.child_by_field_name(branch), frame, world)
        if kind == "cast_expression":
            return self._eval(node.child_by_field_name("value"), frame, world)
        if kind == "call_expression":
            return self._call(node, frame, world, line, text)
        return Unknown(" ".join(text.split()), frame.path, line)

    def _local(self, name: str, frame: Frame, world: World) -> Value:
        value = frame.names[name]
        if isinstance(value, Lazy):
            now = world.state
            world.state = dict(value.state)  # the state the assignment saw; its own writes are dropped
            try:
                value = self.value(value.text, Frame(value.path, value.line, value.names, frame.depth), world)
            finally:
                world.state = now
            frame.names[name] = value
        return value

    def _unary(self, node: Expr, frame: Frame, world: World, line: int, text: str) -> Value:
        operator = _text(node.child_by_field_name("operator"))
        operand = self._eval(node.child_by_field_name("argument"), frame, world)
        if isinstance(operand, Unknown):
            return operand
        if operator == "!":
            t = truth(operand)
            return t if isinstance(t, Unknown) else int(not t)
        if isinstance(operand, int) and operator in ("-", "~", "+"):
            return {"-": -operand, "~": ~operand, "+": operand}[operator]
        return Unknown(" ".join(text.split()), frame.path, line)

    def _binary(self, node: Expr, frame: Frame, world: World, line: int, text: str) -> Value:
        operator = _text(node.child_by_field_name("operator"))
        left_node, right_node = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator in ("&&", "||"):
            first = truth(self._eval(left_node, frame, world))
            if isinstance(first, Unknown):
                # Unknown on the left: the right side may still decide.
                second = truth(self._eval(right_node, frame, world))
                if operator == "&&" and second is False:
                    return 0
                if operator == "||" and second is True:
                    return 1
                return first
            if operator == "&&" and not first:
                return 0
            if operator == "||" and first:
                return 1
            second = truth(self._eval(right_node, frame, world))
            return second if isinstance(second, Unknown) else int(second)
        if operator == "&" and right_node is not None and _is_or_of_names(right_node):
            # `flags & (A | B)`: true when any `flags & A` is; each a flag test of the table.
            left_text = _text(left_node)
            parts = [self.value(f"{left_text} & {name}", frame, world) for name in _or_names(right_node)]
            if any(truth(p) is True for p in parts):
                return 1
            unknown = next((p for p in parts if isinstance(p, Unknown)), None)
            return unknown if unknown is not None else 0
        left = self._eval(left_node, frame, world)
        right = self._eval(right_node, frame, world)
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        result = _arithmetic(operator, left, right)
        return result if result is not None else Unknown(" ".join(text.split()), frame.path, line)

    def _call(self, node: Expr, frame: Frame, world: World, line: int, text: str) -> Value:
        name = _text(node.child_by_field_name("function"))
        arguments = node.child_by_field_name("arguments")
        args = [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
        if name in ("likely", "unlikely") and len(args) == 1:
            return self._eval(args[0], frame, world)
        routine = self.routines.get(name)
        if routine is None or frame.depth >= _MAX_DEPTH:
            return Unknown(" ".join(text.split()), frame.path, line)
        if routine.kind == "macro":
            body = str(body_of(routine))
            arg_texts = [_text(a) for a in args]
            expanded = _substitute(body, routine.params, arg_texts)
            names = {k: v for k, v in frame.names.items()}
            inner = Frame(frame.path, line, names, frame.depth + 1)
            return self.value(expanded, inner, world)
        values: dict[str, Value | Lazy] = {}
        if "current" in frame.names:  # the task running the code runs its callees too
            values["current"] = frame.names["current"]
        for param, arg in zip(routine.params, args, strict=False):
            if param:
                values[param] = self._eval(arg, frame, world)
        inner = Frame(routine.location.path, routine.location.line, values, frame.depth + 1)
        result = self.run(body_of(routine), inner, world)
        if result.kind == "decided":
            raise Decided(Outcome(str(result.value)))
        if result.kind == "return" and result.value is not None and not isinstance(result.value, Unknown):
            world.note(routine.location.path, result.line, f"{name}() returns", result.value)
            return result.value
        # Name the call as written; the trail keeps what inside it could not be followed.
        why = result.unknown or (result.value if isinstance(result.value, Unknown) else None)
        if why is not None:
            world.note(why.path, why.line, f"{why.text} (in {name})", why)
        return Unknown(" ".join(text.split()), frame.path, line)

    def _atom(self, text: str, frame: Frame, world: World) -> Atom | None:
        for atom, tasks, sigs in self._candidates(text):
            if all(self._holds(name, frame, Task, world) for name in tasks) and all(
                self._holds(name, frame, Sig, world) for name in sigs
            ):
                return atom
        return None

    def _candidates(self, text: str) -> list[tuple[Atom, list[str], list[str]]]:
        """The rows whose pattern `text` matches, with the names bound to $T and $S (cached by text)."""
        found = self._matches.get(text)
        if found is None:
            squeezed = squeeze(text)
            found = []
            for atom in self.atoms:
                bound = atom.match(squeezed)
                if bound is not None:
                    found.append((atom, *bound))
            self._matches[text] = found
        return found

    def _holds(self, name: str, frame: Frame, kind: type, world: World) -> bool:
        if name not in frame.names:
            return False
        value = self._local(name, frame, world)
        if kind is Task:
            return value == TARGET
        return isinstance(value, Sig)

    def _meaning(self, atom: Atom, frame: Frame, world: World, line: int, text: str) -> Value:
        meaning = atom.meaning
        if meaning in ("killed", "stopped"):
            world.note(frame.path, line, text, meaning)
            raise Decided(Outcome(meaning))
        if "=" in meaning and not any(op in meaning for op in ("==", "!=", "<=", ">=")):
            target, _, value_text = meaning.partition("=")
            value = self._meaning_value(value_text.strip(), world)
            world.state[target.strip()] = value
            return 0
        return self._meaning_value(meaning, world)

    def _meaning_value(self, text: str, world: World) -> Value:
        node = expression(text)
        return self._in_meaning(node, world, text)

    def _in_meaning(self, node: Expr | None, world: World, whole: str) -> Value:
        if node is None:
            raise ValueError(f"atom meaning {whole!r}: incomplete")
        kind = node.type
        if kind == "parenthesized_expression":
            return self._in_meaning(_first(node), world, whole)
        if kind == "number_literal":
            return _number(_text(node))
        if kind == "identifier":
            name = _text(node)
            if name in world.state:
                return world.state[name]
            if name in world.meaning:
                return world.meaning[name]
            raise ValueError(f"atom meaning {whole!r}: unknown name {name!r}")
        if kind == "call_expression" and _text(node.child_by_field_name("function")) == "member":
            arguments = node.child_by_field_name("arguments")
            mask = _text(arguments.named_children[0]) if arguments is not None else ""
            signal = world.meaning["signal"]
            if mask not in self.members:
                return Unknown(f"{mask} (no definition in this release)", "", 0)
            return int(signal in self.members[mask])
        if kind == "unary_expression":
            inner = self._in_meaning(node.child_by_field_name("argument"), world, whole)
            t = truth(inner)
            return t if isinstance(t, Unknown) else int(not t)
        if kind == "binary_expression":
            operator = _text(node.child_by_field_name("operator"))
            a = self._in_meaning(node.child_by_field_name("left"), world, whole)
            b = self._in_meaning(node.child_by_field_name("right"), world, whole)
            if isinstance(a, Unknown):
                return a
            if isinstance(b, Unknown):
                return b
            if operator in ("&&", "||"):
                both = (bool(truth(a)), bool(truth(b)))
                return int(all(both) if operator == "&&" else any(both))
            result = _arithmetic(operator, a, b)
            if result is not None:
                return result
        if kind == "conditional_expression":
            test = truth(self._in_meaning(node.child_by_field_name("condition"), world, whole))
            if isinstance(test, Unknown):
                return test
            branch = "consequence" if test else "alternative"
            return self._in_meaning(node.child_by_field_name(branch), world, whole)
        raise ValueError(f"atom meaning {whole!r}: cannot read {_text(node)!r}")

    # --- statements ------------------------------------------------------------------------

    def run(self, statements: list[Any], frame: Frame, world: World, returns: bool = True) -> Exit:
        """Run a statement list to its first exit (return, continue, break, goto, end, decided).

        With `returns` False a return's value is not evaluated (a stage run for its effects).
        """
        try:
            return self._run(statements, frame, world, returns)
        except Decided as decided:
            return Exit("decided", frame.line, value=decided.outcome.value)

    def _run(self, statements: list[Any], frame: Frame, world: World, returns: bool) -> Exit:
        labels = {s[2]: i for i, s in enumerate(statements) if s[0] == "label"}
        i = 0
        while i < len(statements):
            statement = statements[i]
            kind, line = statement[0], statement[1]
            here = Frame(frame.path, line, frame.names, frame.depth)
            if kind == "if":
                test = truth(self.value(statement[2], here, world))
                world.note(frame.path, line, statement[2], test)
                if isinstance(test, Unknown):
                    return self._both_ways(statement, statements[i + 1 :], frame, world, test, returns)
                branch = statement[3] if test else statement[4]
                exit_ = self._run(branch, frame, world, returns)
                if exit_.kind == "goto" and exit_.label in labels:
                    i = labels[exit_.label]
                    continue
                if exit_.kind != "end":
                    return exit_
            elif kind == "return":
                value = self.value(statement[2], here, world) if statement[2] is not None and returns else 0
                return Exit("return", line, value=value)
            elif kind in ("continue", "break"):
                return Exit(kind, line)
            elif kind == "goto":
                if statement[2] in labels:
                    i = labels[statement[2]]
                    continue
                return Exit("goto", line, label=statement[2])
            elif kind == "decl":
                frame.names[statement[2]] = (
                    Lazy(statement[3], frame.path, line, tuple(world.state.items()), dict(frame.names))
                    if statement[3] is not None
                    else Unknown(statement[2], frame.path, line)
                )
            elif kind == "expr":
                self._statement(statement[2], here, world)
            elif kind == "loop":
                if _leaves(statement[3]):
                    return Exit("unknown", line, unknown=Unknown(statement[2], frame.path, line))
            elif kind == "opaque" and _leaves_any(statement[2]):
                return Exit("unknown", line, unknown=Unknown(statement[2].split("\n")[0], frame.path, line))
            i += 1
        return Exit("end", statements[-1][1] if statements else frame.line)

    def _both_ways(
        self, statement: list[Any], rest: list[Any], frame: Frame, world: World, why: Unknown, returns: bool
    ) -> Exit:
        first, second = world.fork(), world.fork()
        a = self.run(statement[3] + rest, Frame(frame.path, frame.line, dict(frame.names), frame.depth), first, returns)
        b = self.run(
            statement[4] + rest, Frame(frame.path, frame.line, dict(frame.names), frame.depth), second, returns
        )
        if a.same(b) and a.kind != "unknown" and first.state == second.state:
            world.state.update(first.state)
            world.trail[:] = first.trail
            world.note(frame.path, statement[1], f"either way of {statement[2]}", "same result")
            return a
        return Exit("unknown", statement[1], unknown=why)

    def _statement(self, text: str, frame: Frame, world: World) -> None:
        """An expression statement: an effect from the table, an assignment to a local, or nothing."""
        atom = self._atom(text, frame, world)
        if atom is not None:
            value = self._meaning(atom, frame, world, frame.line, text)
            world.note(frame.path, frame.line, text, value)
            return
        try:
            node = expression(text)
        except ValueError:
            return
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            operator = _text(node.child_by_field_name("operator"))
            right = _text(node.child_by_field_name("right"))
            name = _text(left)
            if left is not None and left.type == "identifier":
                if operator == "=" and re.search(rf"\b{re.escape(name)}\b", right):
                    frame.names[name] = self.value(right, frame, world)  # `x = f(x)`: read x now
                elif operator == "=":
                    frame.names[name] = Lazy(
                        right, frame.path, frame.line, tuple(world.state.items()), dict(frame.names)
                    )
                else:
                    frame.names[name] = Unknown(" ".join(text.split()), frame.path, frame.line)
                return
            target = self._atom(name, frame, world)
            if target is not None and target.meaning in world.state and operator == "=":
                world.state[target.meaning] = self.value(right, frame, world)
                world.note(frame.path, frame.line, text, world.state[target.meaning])
        elif node.type == "call_expression":
            # A call kept for its effect only matters through the table (do_group_exit, ...).
            callee = _text(node.child_by_field_name("function"))
            if callee in ("likely", "unlikely"):
                self.value(text, frame, world)


@dataclass(frozen=True, slots=True)
class Exit:
    """How a statement list ended."""

    kind: str  # return | continue | break | goto | end | unknown
    line: int
    value: Value | None = None
    label: str | None = None
    unknown: Unknown | None = None

    def same(self, other: Exit) -> bool:
        return (self.kind, self.value, self.label) == (other.kind, other.value, other.label)


_INT_OPERATORS: dict[str, Callable[[int, int], int]] = {
    "<": lambda a, b: int(a < b),
    "<=": lambda a, b: int(a <= b),
    ">": lambda a, b: int(a > b),
    ">=": lambda a, b: int(a >= b),
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
}


def _arithmetic(operator: str, left: int | str, right: int | str) -> int | None:
    """C's comparison or integer arithmetic on two known values; None for an operator it is not."""
    if operator == "==":
        return int(left == right)
    if operator == "!=":
        return int(left != right)
    if isinstance(left, int) and isinstance(right, int) and operator in _INT_OPERATORS:
        return _INT_OPERATORS[operator](left, right)
    return None


def _first(node: Expr) -> Expr:
    return next(c for c in node.named_children if c.type != "comment")


def _text(node: Expr | None) -> str:
    return node.text if node is not None else ""


def _number(text: str) -> int:
    digits = text.rstrip("uUlL")
    try:
        return int(digits, 0)
    except ValueError:
        return int(digits, 8) if digits.startswith("0") else 0


def _is_or_of_names(node: Expr) -> bool:
    while node.type == "parenthesized_expression":
        node = _first(node)
    if node.type == "identifier":
        return False
    return node.type == "binary_expression" and all(n.type == "identifier" for n in _or_nodes(node))


def _or_nodes(node: Expr | None) -> list[Expr]:
    if node is None:
        return []
    while node.type == "parenthesized_expression":
        node = _first(node)
    if node.type == "binary_expression" and _text(node.child_by_field_name("operator")) == "|":
        return _or_nodes(node.child_by_field_name("left")) + _or_nodes(node.child_by_field_name("right"))
    return [node]


def _or_names(node: Expr) -> list[str]:
    return [_text(n) for n in _or_nodes(node)]


def _substitute(body: str, params: tuple[str, ...], args: list[str]) -> str:
    """A macro body with each parameter replaced by its argument (whole words only)."""
    mapping = dict(zip(params, args, strict=False))
    if not mapping:
        return body
    pattern = re.compile(r"\b(" + "|".join(re.escape(p) for p in mapping) + r")\b")
    return pattern.sub(lambda m: f"({mapping[m.group(1)]})", body)


def _leaves(statements: list[Any]) -> bool:
    """True when a loop body can leave its function (return or goto)."""
    for s in statements:
        if s[0] in ("return", "goto"):
            return True
        if s[0] == "if" and (_leaves(s[3]) or _leaves(s[4])):
            return True
        if s[0] == "loop" and _leaves(s[3]):
            return True
    return False


def _leaves_any(text: str) -> bool:
    return "return" in text or "goto" in text
