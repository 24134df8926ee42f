"""Function bodies and function-like macros, kept as data for the delivery evaluator.

A body is a list of statements, each a JSON list whose expressions keep their text as
written (line breaks included, so a sub-expression's line can be found again):

    ["if", line, condition, then, else]     ["return", line, value | None]
    ["expr", line, text]                    ["decl", line, name, initializer | None]
    ["continue", line]  ["break", line]     ["goto", line, label]   ["label", line, name]
    ["loop", line, head, body]              for/while/do: entered only by a stage that asks
    ["opaque", line, text]                  a switch or anything else the evaluator cannot follow

Compound statements are flattened into their parent list.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import tree_sitter
from tree_sitter import Node

from analyzer import syntax
from analyzer.model import Location, Routine

Statement = list[Any]

# The evaluator's entry points are named in queries/delivery/path.txt; any other function is
# kept only when small enough to be a helper worth inlining.
_HELPER_STATEMENTS = 40


def routines(tree: tree_sitter.Tree, locate: Callable[[int], Location], wanted: frozenset[str]) -> list[Routine]:
    """Functions named in `wanted` and small helpers, with their bodies; function-like macros."""
    found: list[Routine] = []
    for node in _top_level(tree.root_node):
        if node.type == "function_definition":
            routine = _function(node, locate, wanted)
        elif node.type == "preproc_function_def":
            routine = _macro(node, locate)
        else:
            continue
        if routine is not None:
            found.append(routine)
    return found


def defines_any(tree: tree_sitter.Tree, names: frozenset[str]) -> bool:
    """True when a function definition at file level (as `routines` finds them) has one of `names`."""
    return any(
        syntax.declarator_name(node.child_by_field_name("declarator")) in names
        for node in _top_level(tree.root_node)
        if node.type == "function_definition"
    )


def _top_level(root: Node) -> list[Node]:
    """Definitions at file level, including those inside #if/#ifdef blocks."""
    out, stack = [], list(reversed(root.named_children))
    while stack:
        node = stack.pop()
        if node.type in ("function_definition", "preproc_function_def"):
            out.append(node)
        elif node.type.startswith("preproc_") or node.type in ("linkage_specification", "declaration_list"):
            stack.extend(reversed(node.named_children))
    return out


def _function(node: Node, locate: Callable[[int], Location], wanted: frozenset[str]) -> Routine | None:
    declarator = node.child_by_field_name("declarator")
    name = syntax.declarator_name(declarator)
    body = node.child_by_field_name("body")
    if name is None or body is None:
        return None
    statements = _statements(body)
    if name not in wanted and _size(statements) > _HELPER_STATEMENTS:
        return None
    return Routine(
        name=name,
        kind="function",
        params=_params(declarator),
        location=locate(node.start_byte),
        body=json.dumps(statements, separators=(",", ":")),
    )


def _macro(node: Node, locate: Callable[[int], Location]) -> Routine | None:
    name = syntax.node_text(node.child_by_field_name("name"))
    value = node.child_by_field_name("value")
    parameters = node.child_by_field_name("parameters")
    if not name or value is None or parameters is None:
        return None
    text = syntax.node_text(value).replace("\\\n", " \n")
    return Routine(
        name=name,
        kind="macro",
        params=tuple(syntax.node_text(p) for p in parameters.named_children if p.type == "identifier"),
        location=locate(value.start_byte),
        body=json.dumps(text),
    )


def _params(declarator: Node | None) -> tuple[str, ...]:
    while declarator is not None and declarator.type != "function_declarator":
        declarator = declarator.child_by_field_name("declarator")
    if declarator is None:
        return ()
    parameters = declarator.child_by_field_name("parameters")
    names = []
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type == "parameter_declaration":
            names.append(syntax.declarator_name(parameter.child_by_field_name("declarator")) or "")
    return tuple(names)


def _size(statements: list[Statement]) -> int:
    total = 0
    for statement in statements:
        total += 1
        if statement[0] == "if":
            total += _size(statement[3]) + _size(statement[4])
        elif statement[0] == "loop":
            total += _size(statement[3])
    return total


def _line(node: Node) -> int:
    return node.start_point.row + 1


def _text(node: Node | None) -> str:
    return syntax.node_text(node)


def _statements(node: Node | None) -> list[Statement]:
    """The statements of a body or branch, compound statements flattened."""
    if node is None:
        return []
    if node.type == "compound_statement":
        out: list[Statement] = []
        for child in node.named_children:
            out.extend(_statements(child))
        return out
    return _statement(node)


def _statement(node: Node) -> list[Statement]:
    kind, line = node.type, _line(node)
    if kind in ("comment", "preproc_call", "preproc_def", "preproc_function_def"):
        return []
    if kind.startswith("preproc_if") or kind.startswith("preproc_else") or kind == "preproc_elif":
        # An #if region the preprocessing step kept: its statements, in order.
        out: list[Statement] = []
        for child in node.named_children:
            if child.type not in ("identifier", "preproc_defined", "binary_expression", "unary_expression"):
                out.extend(_statements(child))
        return out
    if kind == "if_statement":
        condition = node.child_by_field_name("condition")
        alternative = node.child_by_field_name("alternative")
        if alternative is not None and alternative.type == "else_clause":
            alternative = next((c for c in alternative.named_children if c.type != "comment"), None)
        inner = condition.named_children[0] if condition is not None and condition.named_children else condition
        return [
            [
                "if",
                line,
                _text(inner),
                _statements(node.child_by_field_name("consequence")),
                _statements(alternative),
            ]
        ]
    if kind == "return_statement":
        value = next((c for c in node.named_children if c.type != "comment"), None)
        return [["return", line, _text(value) if value is not None else None]]
    if kind == "continue_statement":
        return [["continue", line]]
    if kind == "break_statement":
        return [["break", line]]
    if kind == "goto_statement":
        return [["goto", line, _text(node.child_by_field_name("label"))]]
    if kind == "labeled_statement":
        label = _text(node.child_by_field_name("label"))
        rest = [c for c in node.named_children if c.type not in ("statement_identifier", "comment")]
        out = [["label", line, label]]
        for child in rest:
            out.extend(_statements(child))
        return out
    if kind == "expression_statement":
        expression = next((c for c in node.named_children if c.type != "comment"), None)
        return [["expr", line, _text(expression)]] if expression is not None else []
    if kind == "declaration":
        out = []
        for declarator in node.children_by_field_name("declarator"):
            if declarator.type == "init_declarator":
                name = syntax.declarator_name(declarator.child_by_field_name("declarator"))
                value = declarator.child_by_field_name("value")
                out.append(["decl", _line(declarator), name, _text(value) if value is not None else None])
            else:
                out.append(["decl", _line(declarator), syntax.declarator_name(declarator), None])
        return out
    if kind == "compound_statement":
        return _statements(node)
    if kind in ("for_statement", "while_statement", "do_statement"):
        body = node.child_by_field_name("body")
        head = _text(node)[: (body.start_byte - node.start_byte)] if body is not None else _text(node)
        return [["loop", line, head.strip(), _statements(body)]]
    return [["opaque", line, _text(node)]]
