"""The final table rows: each signal's last action and mask replayed in program order."""

from __future__ import annotations

from analyzer.extract import signals
from analyzer.extract.init.context import Decision
from analyzer.extract.init.dispatch import Dispatch
from analyzer.model import Disposal, Disposition


def final_rows(
    kept: list[tuple[tuple[int, ...], Decision]],
    dispatch: Dispatch,
    blocked_via: str,
    rt_rows: set[str],
    row_notes: dict[str, list[str]],
) -> tuple[Disposition, ...]:
    """Replay the ordered decisions per signal and turn the end state into rows."""
    rows = []
    for name in _row_names(rt_rows):
        action: Decision | None = None
        block: Decision | None = None
        history: list[str] = []
        for _, decision in kept:
            if not _applies(decision.signal, name):
                continue
            if decision.action in ("block", "unblock", "unblock_all"):
                block = decision if decision.action == "block" else None
            else:
                if action is not None and action.action == "reset_all":
                    history.append("after reset_all")
                action = decision
        rows.append(_row(name, action, block, dispatch, blocked_via, history, row_notes.get(name, [])))
    return tuple(rows)


def default_rows(rt_rows: set[str]) -> tuple[Disposition, ...]:
    """Rows for a tree with no decisions: every signal at its default."""
    return tuple(Disposition(name, Disposal.DEFAULT, None, None, None, "default") for name in _row_names(rt_rows))


def skip_entry(key: str, names: list[str]) -> str:
    """`path:line fn: why (SIGA, SIGB)`, with "every signal" for a filled set or a loop."""
    every = "*" in names or "*RT" in names or set(signals.NAMES) <= set(names)
    listed = "every signal" if every else ", ".join(dict.fromkeys(names))
    return f"{key} ({listed})"


def _row_names(rt_rows: set[str]) -> list[str]:
    """The classic signals by number, then the real-time rows seen."""
    return list(signals.NAMES) + sorted(rt_rows, key=signals.row_key)


def _applies(target: str, name: str) -> bool:
    """True when a decision about `target` ("*" every signal, "*RT" every real-time one) covers `name`."""
    return target == name or target == "*" or (target == "*RT" and name not in signals.NUMBERS)


def _row(
    name: str,
    action: Decision | None,
    block: Decision | None,
    dispatch: Dispatch,
    blocked_via: str,
    history: list[str],
    extra: list[str],
) -> Disposition:
    """One row from the last action and mask decisions of a signal."""
    notes = list(dict.fromkeys(history + extra))
    if name in signals.UNCATCHABLE:
        tried = action or block
        if tried is not None and tried.action not in ("default", "reset_all"):
            asked = " ".join(part for part in (tried.action, tried.handler) if part)
            notes.insert(0, f"cannot be caught, blocked or ignored (tree asks: {asked})")
            return Disposition(
                name, Disposal.DEFAULT, None, tried.location, tried.function, tried.via, None, _join(notes)
            )
        block = None
    if block is not None:
        function, summary = dispatch.get(name) or dispatch.get("*") or (None, None)
        if action is not None and action.action in ("handler", "ignored"):
            notes.append(f"also {action.action} {action.handler or ''} via {action.via}".replace("  ", " "))
        if function is None:
            notes.append("blocked; no reader dispatches it")
        via = f"{block.via}+{blocked_via}" if blocked_via and function else block.via
        return Disposition(name, Disposal.BLOCKED, function, block.location, block.function, via, summary, _join(notes))
    if action is None:
        return Disposition(name, Disposal.DEFAULT, None, None, None, "default", None, _join(notes))
    if action.action == "reset_all":
        return Disposition(
            name, Disposal.DEFAULT, None, action.location, action.function, "reset_all", None, _join(notes)
        )
    if action.note:
        notes.append(action.note)
    handler = action.handler if action.action == "handler" else None
    return Disposition(
        name, Disposal(action.action), handler, action.location, action.function, action.via, None, _join(notes)
    )


def _join(notes: list[str]) -> str | None:
    """Notes as one string, or None."""
    return "; ".join(dict.fromkeys(notes)) or None
