"""Where a call runs, read from its parse tree: a forked child, after a received signal, before an exec.

Per-file facts (analyzer/extract/init/perfile.py) keep these answers for each call, so the
program order from main() is computed without trees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from analyzer import syntax
from analyzer.extract.init.nodes import WORD
from analyzer.queries import iter_matches, load_query
from analyzer.syntax import function_node, node_text

_EXEC = frozenset({"execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "fexecve", "execveat"})


def in_fork_child(node: Node) -> bool:
    """True inside `if (pid == 0)` / `if (r == 0)` after `pid = fork()` (or safe_fork...) in the same
    function, or after `if (pid) return ...;` (the parent left: what follows is the child)."""
    function = function_node(node)
    if function is None:
        return False
    for parent in syntax.ancestors(node):
        if parent is function:
            return False
        if parent.type == "compound_statement" and _after_parent_left(function, parent, node):
            return True
        if parent.type != "if_statement":
            continue
        consequence = parent.child_by_field_name("consequence")
        if consequence is None or not syntax.contains(consequence, node):
            continue
        condition = node_text(parent.child_by_field_name("condition"))
        variable = _zero_test(condition)
        # `if ((pid = fork()) == 0)` assigns in the condition itself; else look before the if.
        if variable and (
            _FORK_IN_CONDITION.search(condition) or _assigned_from_fork(function, variable, parent.start_byte)
        ):
            return True
    return False


_FORK_IN_CONDITION = re.compile(r"\w+\s*=\s*\w*fork\w*\s*\(")


_NONZERO_TEST = re.compile(r"\(\s*(\w+)\s*(?:!=\s*0\s*|>\s*0\s*)?\)")


def _after_parent_left(function: Node, block: Node, node: Node) -> bool:
    """`if (pid) { ... return pid; }` earlier in `block`, pid from fork: `node` runs in the child."""
    for statement in block.named_children:
        if statement.end_byte > node.start_byte:  # reached the statement holding `node`
            return False
        if statement.type != "if_statement":
            continue
        tested = _NONZERO_TEST.fullmatch(" ".join(node_text(statement.child_by_field_name("condition")).split()))
        consequence = statement.child_by_field_name("consequence")
        leaves = consequence is not None and (
            consequence.type == "return_statement"
            or any(c.type == "return_statement" for c in consequence.named_children)
        )
        if tested and leaves and _assigned_from_fork(function, tested.group(1), statement.start_byte):
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
    body = node_text(function)[: before - function.start_byte]
    if re.search(rf"\b{re.escape(variable)}\s*=\s*\w*fork\w*\s*\(", body):
        return True
    return bool(re.search(rf"\w*fork\w*\s*\([^;]*&\s*{re.escape(variable)}\s*\)", body))


def exec_after(node: Node) -> str | None:
    """The exec*() the same function calls after `node` in the same process, if any."""
    function = function_node(node)
    if function is None:
        return None
    for match in iter_matches(load_query("init/calls"), function):
        callee = node_text(match["callee"])
        call = match["call.function"]
        if callee in _EXEC and call.start_byte > node.end_byte and not in_fork_child(call):
            return callee
    return None


_RECEIVED = re.compile(r"\b\w+\s*==\s*SIG\w+|\bSIG\w+\s*==\s*\w+|\b1\s*<<\s*[a-z_]\w*")


def reaction(node: Node, parents: Iterable[Node] | None = None) -> bool:
    """True inside an `if` or `case` of its function that tests which signal was received.

    `parents`: the ancestors of `node` up to its function, when the caller has them already.
    """
    for parent in parents if parents is not None else syntax.ancestors(node):
        if parent.type == "function_definition":
            return False
        if parent.type == "case_statement":
            value = parent.child_by_field_name("value")
            if value is not None and node_text(value).startswith("SIG") and not syntax.contains(value, node):
                return True
        if parent.type == "if_statement":
            condition = parent.child_by_field_name("condition")
            if (
                condition is not None
                and not syntax.contains(condition, node)
                and _RECEIVED.search(node_text(condition))
            ):
                return True
    return False


def reaction_words(node: Node) -> set[str]:
    """The words of the conditions of the ifs around `node` (a signal among them: a reaction to it)."""
    words: set[str] = set()
    for parent in syntax.ancestors(node):
        if parent.type == "function_definition":
            return words
        if parent.type == "if_statement":
            condition = parent.child_by_field_name("condition")
            if condition is not None and not syntax.contains(condition, node):
                words.update(WORD.findall(node_text(condition)))
    return words


def loop_headers(node: Node) -> list[str]:
    """The headers (initializer, else condition) of the for loops around `node` in its function."""
    headers = []
    for parent in syntax.ancestors(node):
        if parent.type == "for_statement":
            header = parent.child_by_field_name("initializer") or parent.child_by_field_name("condition")
            if header is not None:
                headers.append(node_text(header))
        if parent.type == "function_definition":
            break
    return headers
