"""What PID 1 knows of a condition: queries/init/pid1-conditions.txt, evaluated three-valued."""

from __future__ import annotations

import functools
import re

from tree_sitter import Node

from analyzer import resources, syntax
from analyzer.syntax import node_text


@functools.cache
def _known() -> tuple[tuple[re.Pattern[str], bool], ...]:
    rules = []
    text = (resources.queries_dir() / "init" / "pid1-conditions.txt").read_text(encoding="utf-8")
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) >= 2 and words[-1] in ("true", "false"):
            rules.append((re.compile(" ".join(words[:-1])), words[-1] == "true"))
    return tuple(rules)


def value_in_pid1(condition: str) -> bool | None:
    """True or False when PID 1 knows the condition's value, else None (unknown: both branches)."""
    text = syntax.strip_parens(" ".join(condition.split()))
    for pattern, value in _known():
        if pattern.fullmatch(text):
            return value
    if text.startswith("!") and (inner := value_in_pid1(text[1:])) is not None:
        return not inner
    for operator, decides in (("||", True), ("&&", False)):
        parts = _split(text, operator)
        if len(parts) > 1:
            values = [value_in_pid1(part) for part in parts]
            if decides in values:
                return decides
            if None not in values:
                return not decides
    return None


def _split(text: str, operator: str) -> list[str]:
    """Top-level operands of `operator` (not inside parentheses)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith(operator, i):
            parts.append(text[start:i])
            start = i + len(operator)
    return [*parts, text[start:]] if parts else [text]


def branch_pid1_skips(node: Node) -> str | None:
    """The condition that keeps PID 1 out of the branch holding `node`, or None."""
    for parent in syntax.ancestors(node):
        if parent.type == "function_definition":
            return None
        if parent.type != "if_statement":
            continue
        condition = parent.child_by_field_name("condition")
        if condition is None or syntax.contains(condition, node):
            continue
        value = value_in_pid1(node_text(condition))
        consequence = parent.child_by_field_name("consequence")
        in_then = consequence is not None and syntax.contains(consequence, node)
        if value is not None and value != in_then:
            return syntax.strip_parens(" ".join(node_text(condition).split()))
    return None
