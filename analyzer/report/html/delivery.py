"""The view model of explain's HTML page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analyzer.explain import ASSUMPTIONS, KILLED_MEANS, Explanation
from analyzer.model import DeliveryCell
from analyzer.report.explain_text import SENDER_WORDS
from analyzer.vocab import Delivered, Sender, Target


def explanation_view(explanation: Explanation) -> dict[str, Any]:
    blocks = []
    for target in Target:
        for sender in Sender:
            cells = [c for c in explanation.cells if c.target is target and c.sender is sender]
            if not cells:
                continue
            rows = _init_rows(cells) if explanation.init is not None else _rows(cells)
            heads = ["outcome"] if explanation.init is not None else [d.value for d in Delivered]
            blocks.append(
                {
                    "anchor": f"{target.value}-{sender.value}",
                    "target": target.value,
                    "sender": sender.value,
                    "words": SENDER_WORDS[sender],
                    "heads": heads,
                    "rows": rows,
                }
            )
    return {
        "title": explanation.title(),
        "assumptions": ASSUMPTIONS,
        "killed": [(t.value, words) for t, words in KILLED_MEANS.items()],
        "count": len(explanation.cells),
        "unknown": len(explanation.unknown),
        "blocks": blocks,
        "warnings": explanation.warnings,
    }


def _cell(cell: DeliveryCell | None, extra: str = "") -> dict[str, Any]:
    if cell is None:
        return {"outcome": "-", "extra": "", "unknown": None, "because": []}
    because = [
        {"place": f"{r.path}:{r.line}" if r.path else "", "text": r.text, "value": r.value} for r in cell.because
    ]
    return {"outcome": cell.outcome.value, "extra": extra, "unknown": cell.unknown, "because": because}


def _rows(cells: Sequence[DeliveryCell]) -> list[dict[str, Any]]:
    by_signal: dict[str, dict[Delivered, DeliveryCell]] = {}
    for cell in cells:
        by_signal.setdefault(cell.signal, {})[cell.disposition] = cell
    groups: dict[tuple[str, ...], list[str]] = {}
    for signal, row in by_signal.items():
        groups.setdefault(tuple(row[d].outcome.value if d in row else "-" for d in Delivered), []).append(signal)
    return [
        {"signals": " ".join(signals), "cells": [_cell(by_signal[signals[0]].get(d)) for d in Delivered]}
        for signals in groups.values()
    ]


def _init_rows(cells: Sequence[DeliveryCell]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], list[DeliveryCell]] = {}
    for cell in cells:
        groups.setdefault((cell.disposition.value, cell.outcome.value, cell.init or ""), []).append(cell)
    return [
        {
            "signals": " ".join(c.signal for c in members),
            "cells": [_cell(members[0], f"{key[0]}: {key[2]}")],
        }
        for key, members in groups.items()
    ]
