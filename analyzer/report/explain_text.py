"""explain and verify as text: the delivery table per target and sender, signals with equal rows grouped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from analyzer.explain import ASSUMPTIONS, KILLED_MEANS, Explanation
from analyzer.model import DeliveryCell
from analyzer.vocab import Delivered, Outcome, Sender, Target

if TYPE_CHECKING:
    from analyzer.verify import Verification

# How the reader knows each sender (prose beside DELIVERY.md's word, which stays the heading).
SENDER_WORDS = {
    Sender.SAME_NS: "kill(2) from inside init's pid namespace",
    Sender.ANCESTOR_NS: "kill(2) from a parent pid namespace (the host)",
    Sender.KERNEL: "a kernel send, SEND_SIG_PRIV, not forced",
    Sender.SELF: "init's own write: broken pipe, file size limit",
    Sender.FAULT: "a synchronous fault of init, through the forced path",
}
_WIDTH = 10


def render_explanation(explanation: Explanation, verbose: bool = False) -> str:
    lines = [explanation.title(), ""]
    lines += ["assumptions:"] + [f"  {a}" for a in ASSUMPTIONS]
    lines += ["killed:"] + [f"  {t.value}: {KILLED_MEANS[t]}" for t in Target]
    for target in Target:
        for sender in Sender:
            cells = [c for c in explanation.cells if c.target is target and c.sender is sender]
            if not cells:
                continue
            lines += ["", f"{target.value} <- {sender.value}   ({SENDER_WORDS[sender]})"]
            lines += _with_init(cells, verbose) if explanation.init is not None else _grid(cells, verbose)
    unknown = explanation.unknown
    lines += ["", f"{len(explanation.cells)} cells, {len(unknown)} unknown"]
    for expression in sorted({c.unknown for c in unknown if c.unknown}):
        lines.append(f"  unknown: {expression}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _grid(cells: Sequence[DeliveryCell], verbose: bool) -> list[str]:
    """Rows of signals with the same outcome under each disposition; columns: the dispositions."""
    by_signal: dict[str, dict[Delivered, DeliveryCell]] = {}
    for cell in cells:
        by_signal.setdefault(cell.signal, {})[cell.disposition] = cell
    groups: dict[tuple[str, ...], list[str]] = {}
    for signal, row in by_signal.items():
        key = tuple(row[d].outcome.value if d in row else "-" for d in Delivered)
        groups.setdefault(key, []).append(signal)
    lines = ["  " + f"{'signal':<34}" + "".join(f"{d.value:<{_WIDTH}}" for d in Delivered)]
    for key, signals in groups.items():
        names = _names(signals)
        lines.append("  " + f"{names[0]:<34}" + "".join(f"{o:<{_WIDTH}}" for o in key))
        lines += [f"  {more}" for more in names[1:]]
        if verbose:
            row = by_signal[signals[0]]
            for disposition in Delivered:
                if disposition in row:
                    lines += _reasons(row[disposition], f"{signals[0]}, {disposition.value}")
    return lines


def _with_init(cells: Sequence[DeliveryCell], verbose: bool) -> list[str]:
    groups: dict[tuple[str, str, str], list[DeliveryCell]] = {}
    for cell in cells:
        groups.setdefault((cell.disposition.value, cell.outcome.value, cell.init or ""), []).append(cell)
    lines = ["  " + f"{'signal':<34}{'disposition':<13}{'outcome':<11}init"]
    for (disposition, outcome, decided), members in groups.items():
        names = _names([c.signal for c in members])
        lines.append("  " + f"{names[0]:<34}{disposition:<13}{outcome:<11}{decided}")
        lines += [f"  {more}" for more in names[1:]]
        if verbose:
            lines += _reasons(members[0], members[0].signal)
    return lines


def _reasons(cell: DeliveryCell, what: str) -> list[str]:
    lines = [f"      {what}: {cell.outcome.value}" + (f" (unknown: {cell.unknown})" if cell.unknown else "")]
    for reason in cell.because:
        where = f"{reason.path}:{reason.line}" if reason.path else ""
        lines.append(f"        {where:<26} {reason.text} = {reason.value}")
    return lines


def _names(signals: Sequence[str]) -> list[str]:
    """Signal names wrapped to the first column's width."""
    out, line = [], ""
    for name in signals:
        if line and len(line) + 1 + len(name) > 33:
            out.append(line)
            line = name
        else:
            line = f"{line} {name}".strip()
    return [*out, line] if line else out


def render_verification(result: Verification, verbose: bool = False) -> str:
    lines = [
        f"verify: {result.title()}",
        f"running kernel {result.kernel}; predictions from {result.predicted_from}",
    ]
    if result.mismatch:
        lines.append(f"warning: {result.mismatch}")
    lines.append("")
    counts = result.counts()
    lines.append(
        f"{counts['agree']} of {counts['compared']} cells agree; {counts['disagree']} disagree; "
        f"{counts['unknown']} unknown predictions counted apart; {counts['not_run']} cells cannot run live"
    )
    for case in result.cases:
        if case.agree is False or (verbose and case.observed is not None):
            mark = "DISAGREE" if case.agree is False else "agree"
            lines.append(
                f"  {mark:<9} {case.sender.value:<12} {case.disposition.value:<8} {case.signal:<11} "
                f"predicted {case.predicted.value:<10} observed {case.observed}"
            )
            if case.agree is False:
                lines += [f"      because {r.path}:{r.line} {r.text} = {r.value}" for r in case.because]
    unknown = [c for c in result.cases if c.predicted is Outcome.UNKNOWN]
    for case in unknown[:20]:
        where = f"{case.sender.value:<12} {case.disposition.value:<8} {case.signal:<11}"
        lines.append(f"  unknown   {where} observed {case.observed}")
    return "\n".join(line.rstrip() for line in lines) + "\n"
