"""Signal arguments resolved to row names: macros, array elements, loops over every signal."""

from __future__ import annotations

import re

from tree_sitter import Node

from analyzer import syntax
from analyzer.extract import signals
from analyzer.extract.init.context import Context, Unit
from analyzer.extract.macros import Resolved
from analyzer.queries import iter_matches, load_query
from analyzer.syntax import node_text


def signals_of(ctx: Context, unit: Unit, arg: Node) -> tuple[list[str], str | None]:
    """Resolve one signal argument: (signals, note); loops over every signal give all 31."""
    if arg.type == "subscript_expression":
        array = arg.child_by_field_name("argument")
        values = _array_values(unit, arg, node_text(array)) if array is not None else None
        if values is not None:
            return from_resolved(ctx, ctx.resolver.resolve_list(values, unit.path), unit, arg)
    resolved = ctx.resolver.resolve(node_text(arg), unit.path)
    if not resolved.signals and resolved.unknown and _is_loop_variable(arg, resolved.unknown[0]):
        return list(signals.NAMES), "loop over every signal"
    return from_resolved(ctx, resolved, unit, arg)


def from_resolved(ctx: Context, resolved: Resolved, unit: Unit, node: Node) -> tuple[list[str], str | None]:
    """Record unresolved macros; return the signals and a note about what stayed unknown."""
    notes = []
    for name in resolved.unresolved:
        ctx.unresolved[name] = None
        notes.append(f"unresolved macro {name}")
    if not resolved.signals:
        what = ", ".join(resolved.unresolved + resolved.unknown) or node_text(node)
        ctx.skip(unit, node, f"signal not resolved: {what}")
    ctx.rt_rows.update(s for s in resolved.signals if s not in signals.NUMBERS)
    for sig in resolved.signals:
        ctx.row_notes.setdefault(sig, []).extend(n for n in notes if n not in ctx.row_notes.get(sig, []))
    return list(resolved.signals), None


def _array_values(unit: Unit, use: Node, name: str) -> list[str] | None:
    """The initializer list of array `name`, in the function of `use` or at file scope."""
    function = syntax.function_name(use)
    for match in iter_matches(load_query("init/signal-arrays"), unit.root):
        if node_text(match["variable"]) == name and syntax.function_name(match["value"]) in (function, None):
            return [node_text(c) for c in match["value"].named_children if c.type != "comment"]
    return None


def _is_loop_variable(node: Node, name: str) -> bool:
    """True when `name` is the variable a for loop around `node` steps through."""
    for parent in syntax.ancestors(node):
        if parent.type == "for_statement":
            header = parent.child_by_field_name("initializer") or parent.child_by_field_name("condition")
            if header is not None and re.search(rf"\b{re.escape(name)}\b", node_text(header)):
                return True
        if parent.type == "function_definition":
            return False
    return False
