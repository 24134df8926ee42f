"""Where blocked signals are read back, from one file's tree: dispatch switches and if chains, summarised.

The labels stay as written (a macro is resolved later, across the tree); a real-time case of a
`switch (sig - SIGRTMIN)` and a default branch's ranges are rows already.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from analyzer import syntax
from analyzer.extract import signals
from analyzer.extract.init.records import Case, Switch
from analyzer.extract.init.summary import case_action, first_action
from analyzer.queries import iter_matches, load_query
from analyzer.syntax import function_node, node_text

SIGNO = re.compile(r"\b(?:ssi_signo|si_signo)\b")
_RANGE_LOW = re.compile(r">=\s*SIGRTMIN\s*\+\s*(\d+)")
_RANGE_HIGH = re.compile(r"<\s*SIGRTMIN((?:\s*\+\s*(?:\d+|ELEMENTSOF\s*\(\s*\w+\s*\)))+)")
_TERM = re.compile(r"\d+|ELEMENTSOF\s*\(\s*(\w+)\s*\)")


def switches(root: Node) -> list[Switch]:
    """Every switch of a file with its cases: which are on a received signal is decided later."""
    return [
        Switch(
            match["def.dispatch_switch"].start_byte,
            match["def.dispatch_switch"].end_byte,
            node_text(match["value"]),
            syntax.function_name(match["def.dispatch_switch"]),
            tuple(_switch_cases(match["def.dispatch_switch"])),
        )
        for match in iter_matches(load_query("init/dispatch"), root)
    ]


def if_chain(reader: Node, result: str) -> Iterator[tuple[str, str]]:
    """`if (sig == SIGHUP) reload();` and `if ((1 << sig) & ((1 << SIGUSR1) | ...))` after a reader.

    Yields (label, `if (label): action`) per label tested.
    """
    function = function_node(reader)
    if function is None:
        return
    variable = re.escape(result)
    equal = re.compile(rf"\b{variable}\s*==\s*(\w+)|(\w+)\s*==\s*{variable}\b")
    bit = re.compile(rf"1\s*<<\s*{variable}\b")
    stack = [function]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.named_children))
        if node.type != "if_statement" or node.start_byte < reader.end_byte:
            continue
        condition = node_text(node.child_by_field_name("condition"))
        if bit.search(condition):
            labels = [t for t in re.findall(r"1\s*<<\s*(\w+)", condition) if t != result]
        else:
            labels = [a or b for a, b in equal.findall(condition)]
        summary = first_action([node.child_by_field_name("consequence")])
        for label in labels:
            yield label, f"if ({label}): {summary}"


def _switch_cases(switch: Node) -> Iterator[Case]:
    """Each case label of a dispatch switch with its summary, defaults last as "*"."""
    condition = node_text(switch.child_by_field_name("condition"))
    relative = bool(re.search(r"-\s*SIGRTMIN\b", condition))
    cases = [c for c in (switch.child_by_field_name("body") or switch).named_children if c.type == "case_statement"]
    for index, case in enumerate(cases):
        value = case.child_by_field_name("value")
        summary = case_action(cases[index:])
        if value is None:
            yield from _default_cases(case, summary)
            continue
        label = node_text(value)
        if relative and label.isdigit():
            sig = signals.rt_name(int(label))
            yield Case("rt", sig, f"case {label} ({sig}): {summary}")
            continue
        yield Case("label", label, f"case {label}: {summary}")


def _default_cases(case: Node, summary: str) -> Iterator[Case]:
    """The default branch: real-time ranges it tests, nested switches, then the rest as "*"."""
    for node in _descendants(case):
        if node.type == "if_statement" and (span := _rt_range(node)) is not None:
            low, high = span
            action = first_action([node.child_by_field_name("consequence")])
            for offset in range(low, high):
                sig = signals.rt_name(offset)
                yield Case("fixed", sig, f"default: SIGRTMIN+{low}..+{high - 1}: {action}")
        elif node.type == "switch_statement" and SIGNO.search(node_text(node.child_by_field_name("condition"))):
            yield from _switch_cases(node)
    yield Case("fixed", "*", f"default: {summary}")


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
    condition = re.sub(r"\(\s*int\s*\)", " ", node_text(node.child_by_field_name("condition")))
    low, high = _RANGE_LOW.search(condition), _RANGE_HIGH.search(condition)
    if low is None or high is None or not SIGNO.search(condition):
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
    function = function_node(node)
    if function is None:
        return None
    for match in iter_matches(load_query("init/signal-arrays"), function):
        if node_text(match["variable"]) == name:
            return sum(1 for c in match["value"].named_children if c.type != "comment")
    return None
