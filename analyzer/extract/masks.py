"""Signal classes (SIG_KERNEL_*_MASK) resolved to signal names, conditional terms kept."""

from __future__ import annotations

import re

from analyzer import preprocess, syntax
from analyzer.model import ConditionalSignal, SignalMask, Site, SiteKind

# `rt_sigmask(SIGKILL)`, `sigmask(SIGKILL)`, or a bare signal name.
_SIGNAL_TERM = re.compile(r"^(?:(?:rt_)?sigmask\s*\(\s*(SIG\w+)\s*\)|(SIG[A-Z0-9]+))$")
# A helper macro of the file around one signal, `M(SIGKILL)` in 2.6.11 .. 2.6.24 kernel/signal.c.
_MACRO_TERM = re.compile(r"^(\w+)\s*\(\s*(SIG[A-Z0-9]+)\s*\)$")
_BIT_MACRO = rb"^[ \t]*#[ \t]*define[ \t]+%s\(\s*(\w+)\s*\)[^\n]*<<[^\n]*\b\1\b"
_DEFINE = rb"^[ \t]*#[ \t]*define[ \t]+%s\b[ \t]*((?:\\\n|[^\n])*)"


def masks_from_sites(sites: list[Site], data: bytes, layout: preprocess.Layout) -> list[SignalMask]:
    """Resolve every tracked define whose value is an OR of signal terms."""
    masks = []
    for site in sites:
        if site.kind is not SiteKind.DEFINE or site.value is None or site.construct != "define":
            continue
        terms = _terms(site.value)
        # A class of signals however it is built: a term naming a signal makes it one, and a
        # term that does not resolve is listed as unresolved, never dropped.
        if not terms or not any("SIG" in term for term in terms):
            continue
        signals: list[str] = []
        conditional: list[ConditionalSignal] = []
        unresolved: list[str] = []
        for term in terms:
            _resolve(term, data, layout, set(site.preproc), signals, conditional, unresolved)
        masks.append(SignalMask(site.ident, site.location, tuple(signals), tuple(conditional), tuple(unresolved)))
    return masks


def _signal_of(term: str, data: bytes) -> str | None:
    """The signal a term stands for: `rt_sigmask(SIGX)`, `SIGX`, or `M(SIGX)` where M shifts a bit."""
    if match := _SIGNAL_TERM.match(term):
        return match.group(1) or match.group(2)
    if (call := _MACRO_TERM.match(term)) and re.search(_BIT_MACRO % re.escape(call.group(1).encode()), data, re.M):
        return call.group(2)
    return None


def _terms(value: str) -> list[str]:
    """`(A | B | C)` -> [A, B, C], line continuations and outer parentheses removed."""
    body = " ".join(value.replace("\\", " ").split())
    while (inner := syntax.strip_parens(body).strip()) != body:
        body = inner
    return [term.strip() for term in body.split("|") if term.strip()]


def _resolve(
    term: str,
    data: bytes,
    layout: preprocess.Layout,
    shared: set[str],
    signals: list[str],
    conditional: list[ConditionalSignal],
    unresolved: list[str],
) -> None:
    """Add one term's signal, plain or under the #if conditions of its definitions."""
    if (signal := _signal_of(term, data)) is not None:
        signals.append(signal)
        return
    if not re.fullmatch(r"\w+", term):
        unresolved.append(term)
        return
    definitions = list(re.finditer(_DEFINE % re.escape(term.encode()), data, re.M))
    if not definitions:
        unresolved.append(term)
        return
    for definition in definitions:
        value = " ".join(definition.group(1).decode("utf-8", "replace").replace("\\", " ").split())
        value = value.split("/*")[0].strip()
        if value == "0":
            continue  # the configuration where the term adds nothing
        signal = _signal_of(value, data)
        if signal is None:
            unresolved.append(term)
            continue
        # Conditions around the mask's own define (e.g. #ifdef __KERNEL__) say nothing of the term.
        conditions = [c for c in layout.conditions_at(definition.start()) if c not in shared]
        if conditions:
            conditional.append(ConditionalSignal(signal, " && ".join(reversed(conditions))))
        else:
            signals.append(signal)
