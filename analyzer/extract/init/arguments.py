"""Signal arguments resolved to row names: macros, array elements, loops over every signal."""

from __future__ import annotations

import re

from analyzer.extract import signals
from analyzer.extract.init.context import Context
from analyzer.extract.init.records import Arg, Decider
from analyzer.extract.macros import Resolved


def signals_of(ctx: Context, path: str, call: Decider, arg: Arg) -> tuple[list[str], str | None]:
    """Resolve one signal argument: (signals, note); loops over every signal give all 31."""
    if arg.values is not None:  # `array[i]` of an array initialized in the file
        return from_resolved(ctx, ctx.resolver.resolve_list(list(arg.values), path), path, call, arg)
    resolved = ctx.resolver.resolve(arg.text, path)
    if not resolved.signals and resolved.unknown and _is_loop_variable(call, resolved.unknown[0]):
        return list(signals.NAMES), "loop over every signal"
    return from_resolved(ctx, resolved, path, call, arg)


def from_resolved(
    ctx: Context, resolved: Resolved, path: str, call: Decider, arg: Arg | None = None
) -> tuple[list[str], str | None]:
    """Record unresolved macros; return the signals and a note about what stayed unknown.

    What stayed unknown is said at `arg`, or at the whole call.
    """
    notes = []
    for name in resolved.unresolved:
        ctx.unresolved[name] = None
        notes.append(f"unresolved macro {name}")
    if not resolved.signals:
        what = ", ".join(resolved.unresolved + resolved.unknown) or (arg or call).text
        ctx.skip(path, (arg or call).line, call.function, f"signal not resolved: {what}")
    ctx.rt_rows.update(s for s in resolved.signals if s not in signals.NUMBERS)
    for sig in resolved.signals:
        ctx.row_notes.setdefault(sig, []).extend(n for n in notes if n not in ctx.row_notes.get(sig, []))
    return list(resolved.signals), None


def _is_loop_variable(call: Decider, name: str) -> bool:
    """True when `name` is the variable a for loop around the call steps through."""
    return any(re.search(rf"\b{re.escape(name)}\b", header) for header in call.loops)
