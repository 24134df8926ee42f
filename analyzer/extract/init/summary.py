"""What a dispatch case does, in a few words: its first call or assignment, logging left out."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tree_sitter import Node

from analyzer import syntax
from analyzer.extract.init.conditions import value_in_pid1
from analyzer.extract.init.nodes import WORD
from analyzer.queries import iter_matches, load_query
from analyzer.syntax import function_node, node_text

_SKIP_CALL = re.compile(r"(?:log_|PRINT|assert|DEBUG)|[A-Z][A-Z0-9_]*\Z")
_TRIVIAL = re.compile(r"true|false|NULL|-?\d+")


def case_action(cases: list[Node]) -> str:
    """The first action of a case, following empty cases and fallthrough into the next."""
    for case in cases:
        body = [c for c in case.named_children if c.type != "comment" and c != case.child_by_field_name("value")]
        action = first_action(body)
        if action == "nothing":
            action = _first_condition_call(body) or action
        if action != "nothing" or any(c.type in ("break_statement", "return_statement") for c in body):
            return action
    return "nothing"


def first_action(statements: Sequence[Node | None]) -> str:
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
            # A branch PID 1 never takes (a user manager's) is not what PID 1 does.
            value = value_in_pid1(node_text(node.child_by_field_name("condition")))
            branches = [
                branch
                for branch, taken in (
                    (node.child_by_field_name("consequence"), True),
                    (node.child_by_field_name("alternative"), False),
                )
                if branch is not None and value in (None, taken)
            ]
            stack.extend(reversed(branches))
            continue
        if node.type in ("compound_statement", "else_clause", "labeled_statement"):
            stack.extend(reversed([c for c in node.named_children if c.type != "comment"]))
    return "nothing"


def first_call_with(reader: Node, variable: str) -> str | None:
    """The first function called after `reader` (in its function) with `variable` as an argument."""
    function = function_node(reader)
    if function is None:
        return None
    for match in iter_matches(load_query("init/calls"), function):
        call = match["call.function"]
        if call.start_byte > reader.end_byte and variable in WORD.findall(node_text(match["value"])):
            callee = node_text(match["callee"])
            if not _SKIP_CALL.match(callee):
                return callee
    return None


def _first_condition_call(statements: list[Node]) -> str | None:
    """The first call a case makes anywhere, conditions included: `if (kill(pid, sig)) ...` -> "kill()"."""
    for statement in statements:
        if statement.type == "break_statement":
            return None
        for match in iter_matches(load_query("init/calls"), statement):
            callee = node_text(match["callee"])
            if not _SKIP_CALL.match(callee) and not _inside_skipped_call(match["call.function"]):
                return f"{callee}()"
    return None


def _inside_skipped_call(node: Node) -> bool:
    """True for a call that is an argument of a logging call or macro: `PRINT(.., strsignal(s))`."""
    for parent in syntax.ancestors(node):
        if parent.type == "call_expression" and _SKIP_CALL.match(node_text(parent.child_by_field_name("function"))):
            return True
    return False


def _action_of(statement: Node) -> str | None:
    """`f();` -> "f()", `r = f(x);` -> "f()", `m->x = Y;` -> "m->x = Y"; logging and macros -> None."""
    expression = _unwrap(next((c for c in statement.named_children if c.type != "comment"), None))
    if expression is None:
        return None
    if expression.type == "assignment_expression":
        right = _unwrap(expression.child_by_field_name("right"))
        if right is not None and right.type == "call_expression":
            expression = right
        elif right is None or (
            _TRIVIAL.fullmatch(node_text(right)) and _is_local(expression.child_by_field_name("left"))
        ):
            return None  # a local flag such as `generic = true`, not what the case does
        else:
            return " ".join(node_text(expression).split())
    if expression.type == "call_expression":
        callee = node_text(expression.child_by_field_name("function"))
        if _SKIP_CALL.match(callee) or not WORD.fullmatch(callee):
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
