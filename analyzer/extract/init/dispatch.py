"""Where blocked signals are read back: the switch on the received signal, summarised per signal."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tree_sitter import Node

from analyzer import syntax
from analyzer.extract import signals
from analyzer.extract.init.context import Context, Reader, Unit
from analyzer.extract.init.nodes import WORD
from analyzer.extract.init.summary import case_action, first_action, first_call_with
from analyzer.queries import iter_matches, load_query
from analyzer.syntax import function_node, node_text

# Signal -> (dispatching function, what its case does); "*" for the default branch.
Dispatch = dict[str, tuple[str | None, str]]

_SIGNO = re.compile(r"\b(?:ssi_signo|si_signo)\b")
_RANGE_LOW = re.compile(r">=\s*SIGRTMIN\s*\+\s*(\d+)")
_RANGE_HIGH = re.compile(r"<\s*SIGRTMIN((?:\s*\+\s*(?:\d+|ELEMENTSOF\s*\(\s*\w+\s*\)))+)")
_TERM = re.compile(r"\d+|ELEMENTSOF\s*\(\s*(\w+)\s*\)")


def find_dispatch(ctx: Context, readers: list[Reader]) -> tuple[Dispatch, set[str]]:
    """Signal -> (dispatching function, first action), and the files dispatching."""
    out: Dispatch = {}
    paths: set[str] = set()
    results = {r.result for r in readers if r.result}
    for path in dict.fromkeys(r.path for r in readers):
        unit = ctx.unit(path)
        switches = [m for m in iter_matches(load_query("init/dispatch"), unit.root) if _on_signal(m, results)]
        outer = [
            m
            for m in switches
            if not any(_strictly_inside(m["def.dispatch_switch"], o["def.dispatch_switch"]) for o in switches)
        ]
        for match in outer:
            for sig, summary in _switch_cases(ctx, unit, match["def.dispatch_switch"]):
                out.setdefault(sig, (syntax.function_name(match["def.dispatch_switch"]), summary))
                paths.add(path)
    for reader in readers:
        if reader.result:
            for sig, summary in _if_chain(ctx, reader):
                out.setdefault(sig, (syntax.function_name(reader.node), summary))
                paths.add(reader.path)
    for reader in readers:
        if reader.result and not out:
            call = first_call_with(reader.node, reader.result)
            if call is not None:
                out.setdefault("*", (call, f"{call}({reader.result})"))
                paths.add(reader.path)
    return out, paths


def _if_chain(ctx: Context, reader: Reader) -> Iterator[tuple[str, str]]:
    """`if (sig == SIGHUP) reload();` and `if ((1 << sig) & ((1 << SIGUSR1) | ...))` after a reader."""
    function = function_node(reader.node)
    if function is None or reader.result is None:
        return
    variable = re.escape(reader.result)
    equal = re.compile(rf"\b{variable}\s*==\s*(\w+)|(\w+)\s*==\s*{variable}\b")
    bit = re.compile(rf"1\s*<<\s*{variable}\b")
    stack = [function]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.named_children))
        if node.type != "if_statement" or node.start_byte < reader.node.end_byte:
            continue
        condition = node_text(node.child_by_field_name("condition"))
        if bit.search(condition):
            labels = [t for t in re.findall(r"1\s*<<\s*(\w+)", condition) if t != reader.result]
        else:
            labels = [a or b for a, b in equal.findall(condition)]
        summary = first_action([node.child_by_field_name("consequence")])
        for label in labels:
            for sig in ctx.resolver.resolve(label, reader.path).signals:
                yield sig, f"if ({label}): {summary}"


def reader_via(readers: list[Reader]) -> str:
    """How blocked signals are read back: "signalfd", "sigtimedwait"..."""
    return "+".join(dict.fromkeys(r.kind for r in readers))


def _switch_cases(ctx: Context, unit: Unit, switch: Node) -> Iterator[tuple[str, str]]:
    """(signal, summary) for each case label of a dispatch switch, defaults last as "*"."""
    condition = node_text(switch.child_by_field_name("condition"))
    relative = bool(re.search(r"-\s*SIGRTMIN\b", condition))
    cases = [c for c in (switch.child_by_field_name("body") or switch).named_children if c.type == "case_statement"]
    for index, case in enumerate(cases):
        value = case.child_by_field_name("value")
        summary = case_action(cases[index:])
        if value is None:
            yield from _default_cases(ctx, unit, case, summary)
            continue
        label = node_text(value)
        if relative and label.isdigit():
            sig = signals.rt_name(int(label))
            ctx.rt_rows.add(sig)
            yield sig, f"case {label} ({sig}): {summary}"
            continue
        for sig in ctx.resolver.resolve(label, unit.path).signals:
            yield sig, f"case {label}: {summary}"


def _default_cases(ctx: Context, unit: Unit, case: Node, summary: str) -> Iterator[tuple[str, str]]:
    """The default branch: real-time ranges it tests, nested switches, then the rest as "*"."""
    for node in _descendants(case):
        if node.type == "if_statement" and (span := _rt_range(node)) is not None:
            low, high = span
            action = first_action([node.child_by_field_name("consequence")])
            for offset in range(low, high):
                sig = signals.rt_name(offset)
                yield sig, f"default: SIGRTMIN+{low}..+{high - 1}: {action}"
        elif node.type == "switch_statement" and _SIGNO.search(node_text(node.child_by_field_name("condition"))):
            yield from _switch_cases(ctx, unit, node)
    yield "*", f"default: {summary}"


def _on_signal(match: dict[str, Node], results: set[str]) -> bool:
    """True for a switch on a received signal."""
    condition = node_text(match["value"])
    return bool(_SIGNO.search(condition)) or bool(set(WORD.findall(condition)) & results)


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
    condition = re.sub(r"\(\s*int\s*\)", " ", node_text(node.child_by_field_name("condition")))
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
    function = function_node(node)
    if function is None:
        return None
    for match in iter_matches(load_query("init/signal-arrays"), function):
        if node_text(match["variable"]) == name:
            return sum(1 for c in match["value"].named_children if c.type != "comment")
    return None
