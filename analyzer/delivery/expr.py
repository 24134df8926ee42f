"""C expressions as plain Python: parsed once, copied out of tree-sitter; the small helpers that read them."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

import tree_sitter
from tree_sitter import Node

from analyzer import parse
from analyzer.model import Routine


@functools.lru_cache(maxsize=4096)
def parsed(text: str) -> tuple[tree_sitter.Tree, Node]:
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
    return Expr(parsed(text)[1])


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


def arithmetic(operator: str, left: int | str, right: int | str) -> int | None:
    """C's comparison or integer arithmetic on two known values; None for an operator it is not."""
    if operator == "==":
        return int(left == right)
    if operator == "!=":
        return int(left != right)
    if isinstance(left, int) and isinstance(right, int) and operator in _INT_OPERATORS:
        return _INT_OPERATORS[operator](left, right)
    return None


def first_child(node: Expr) -> Expr:
    return next(c for c in node.named_children if c.type != "comment")


def text_of(node: Expr | None) -> str:
    return node.text if node is not None else ""


def number(text: str) -> int:
    digits = text.rstrip("uUlL")
    try:
        return int(digits, 0)
    except ValueError:
        return int(digits, 8) if digits.startswith("0") else 0


def is_or_of_names(node: Expr) -> bool:
    while node.type == "parenthesized_expression":
        node = first_child(node)
    if node.type == "identifier":
        return False
    return node.type == "binary_expression" and all(n.type == "identifier" for n in or_nodes(node))


def or_nodes(node: Expr | None) -> list[Expr]:
    if node is None:
        return []
    while node.type == "parenthesized_expression":
        node = first_child(node)
    if node.type == "binary_expression" and text_of(node.child_by_field_name("operator")) == "|":
        return or_nodes(node.child_by_field_name("left")) + or_nodes(node.child_by_field_name("right"))
    return [node]


def or_names(node: Expr) -> list[str]:
    return [text_of(n) for n in or_nodes(node)]


def substitute(body: str, params: tuple[str, ...], args: list[str]) -> str:
    """A macro body with each parameter replaced by its argument (whole words only)."""
    mapping = dict(zip(params, args, strict=False))
    if not mapping:
        return body
    pattern = re.compile(r"\b(" + "|".join(re.escape(p) for p in mapping) + r")\b")
    return pattern.sub(lambda m: f"({mapping[m.group(1)]})", body)


def leaves(statements: list[Any]) -> bool:
    """True when a loop body can leave its function (return or goto)."""
    for s in statements:
        if s[0] in ("return", "goto"):
            return True
        if s[0] == "if" and (leaves(s[3]) or leaves(s[4])):
            return True
        if s[0] == "loop" and leaves(s[3]):
            return True
    return False


def leaves_any(text: str) -> bool:
    return "return" in text or "goto" in text


# --- statement lists (analyzer/extract/routines.py) searched for a stage's test or loop ---


def find_if(statements: list[Any], wanted: Any) -> list[Any] | None:
    for statement in statements:
        if statement[0] == "if":
            if wanted(statement[2]):
                return statement
            found = find_if(statement[3], wanted) or find_if(statement[4], wanted)
            if found is not None:
                return found
        elif statement[0] == "loop":
            found = find_if(statement[3], wanted)
            if found is not None:
                return found
    return None


def mentions(statement: list[Any], call: str) -> bool:
    return call + "(" in json.dumps(statement)


def find_loop(statements: list[Any], call: str) -> tuple[list[Any], str] | None:
    """The statements after the dequeue call in the loop around it, and the variable it assigns."""
    for statement in statements:
        if statement[0] == "loop":
            body = statement[3]
            for i, inner in enumerate(body):
                if inner[0] != "loop" and mentions(inner, call):
                    found = re.search(rf"(\w+)\s*=\s*{re.escape(call)}\s*\(", json.dumps(inner))
                    if found is not None:
                        return body[i + 1 :], found.group(1)
            deeper = find_loop(body, call)
            if deeper is not None:
                return deeper
        elif statement[0] == "if":
            deeper = find_loop(statement[3], call) or find_loop(statement[4], call)
            if deeper is not None:
                return deeper
    return None
