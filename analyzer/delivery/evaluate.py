"""Three-valued evaluation of a release's C: expressions and statement lists, with a trail of reasons.

A value is an int (C's truth: non-zero), a symbol of the meaning vocabulary (a str), or an
`Unknown` naming the first expression no atom, routine or arithmetic could give a value.
Control never guesses: an `if` whose condition is unknown runs both ways, and the result
stands only when both ways end alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from analyzer.delivery.atoms import Atom, squeeze
from analyzer.delivery.expr import (
    Expr,
    arithmetic,
    body_of,
    expression,
    first_child,
    is_or_of_names,
    leaves,
    leaves_any,
    number,
    or_names,
    substitute,
    text_of,
)
from analyzer.delivery.values import TARGET, Decided, Exit, Frame, Lazy, Sig, Task, Unknown, Value, World, truth
from analyzer.extract import signals
from analyzer.model import Routine
from analyzer.vocab import Outcome

_MAX_DEPTH = 12  # nested routine calls followed before giving up


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
            return self._eval(first_child(node), frame, world)
        line = frame.line + node.row
        text = text_of(node)
        if kind == "identifier" and text in frame.names:
            return self._local(text, frame, world)
        atom = self._atom(text, frame, world)
        if atom is not None:
            value = self._meaning(atom, frame, world, line, text)
            if kind not in ("number_literal",) and not text.isupper():
                world.note(frame.path, line, text, value, handler=atom.meaning == "handler")
            return value
        if kind == "number_literal":
            return number(text)
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
        operator = text_of(node.child_by_field_name("operator"))
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
        operator = text_of(node.child_by_field_name("operator"))
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
        if operator == "&" and right_node is not None and is_or_of_names(right_node):
            # `flags & (A | B)`: true when any `flags & A` is; each a flag test of the table.
            left_text = text_of(left_node)
            parts = [self.value(f"{left_text} & {name}", frame, world) for name in or_names(right_node)]
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
        result = arithmetic(operator, left, right)
        return result if result is not None else Unknown(" ".join(text.split()), frame.path, line)

    def _call(self, node: Expr, frame: Frame, world: World, line: int, text: str) -> Value:
        name = text_of(node.child_by_field_name("function"))
        arguments = node.child_by_field_name("arguments")
        args = [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
        if name in ("likely", "unlikely") and len(args) == 1:
            return self._eval(args[0], frame, world)
        routine = self.routines.get(name)
        if routine is None or frame.depth >= _MAX_DEPTH:
            return Unknown(" ".join(text.split()), frame.path, line)
        if routine.kind == "macro":
            body = str(body_of(routine))
            arg_texts = [text_of(a) for a in args]
            expanded = substitute(body, routine.params, arg_texts)
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
            return self._in_meaning(first_child(node), world, whole)
        if kind == "number_literal":
            return number(text_of(node))
        if kind == "identifier":
            name = text_of(node)
            if name in world.state:
                return world.state[name]
            if name in world.meaning:
                return world.meaning[name]
            raise ValueError(f"atom meaning {whole!r}: unknown name {name!r}")
        if kind == "call_expression" and text_of(node.child_by_field_name("function")) == "member":
            arguments = node.child_by_field_name("arguments")
            mask = text_of(arguments.named_children[0]) if arguments is not None else ""
            signal = world.meaning["signal"]
            if mask not in self.members:
                return Unknown(f"{mask} (no definition in this release)", "", 0)
            return int(signal in self.members[mask])
        if kind == "unary_expression":
            inner = self._in_meaning(node.child_by_field_name("argument"), world, whole)
            t = truth(inner)
            return t if isinstance(t, Unknown) else int(not t)
        if kind == "binary_expression":
            operator = text_of(node.child_by_field_name("operator"))
            a = self._in_meaning(node.child_by_field_name("left"), world, whole)
            b = self._in_meaning(node.child_by_field_name("right"), world, whole)
            if isinstance(a, Unknown):
                return a
            if isinstance(b, Unknown):
                return b
            if operator in ("&&", "||"):
                both = (bool(truth(a)), bool(truth(b)))
                return int(all(both) if operator == "&&" else any(both))
            result = arithmetic(operator, a, b)
            if result is not None:
                return result
        if kind == "conditional_expression":
            test = truth(self._in_meaning(node.child_by_field_name("condition"), world, whole))
            if isinstance(test, Unknown):
                return test
            branch = "consequence" if test else "alternative"
            return self._in_meaning(node.child_by_field_name(branch), world, whole)
        raise ValueError(f"atom meaning {whole!r}: cannot read {text_of(node)!r}")

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
                if leaves(statement[3]):
                    return Exit("unknown", line, unknown=Unknown(statement[2], frame.path, line))
            elif kind == "opaque" and leaves_any(statement[2]):
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
            operator = text_of(node.child_by_field_name("operator"))
            right = text_of(node.child_by_field_name("right"))
            name = text_of(left)
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
            callee = text_of(node.child_by_field_name("function"))
            if callee in ("likely", "unlikely"):
                self.value(text, frame, world)
