"""The kill path: the call chain from the kill system call to the functions that test the flag."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

import tree_sitter

from analyzer import syntax
from analyzer.model import Hop, KillPath, Location, Site, SiteKind
from analyzer.queries import iter_matches, load_query

ENTRY = "sys_kill"  # what SYSCALL_DEFINE2(kill, ...) is rewritten to (analyzer/preprocess.py)
# A test whose branch returns one of these decides that the signal is ignored.
_IGNORE_RETURNS = frozenset({"return true;", "return 1;"})


def calls_in(tree: tree_sitter.Tree, locate: Callable[[int], Location]) -> list[Hop]:
    """Every direct call inside a function definition, as caller -> callee at the call."""
    hops = []
    for match in iter_matches(load_query("kernel/calls"), tree.root_node):
        callee = match["callee"]
        caller = syntax.function_name(callee)
        if caller is not None and callee.text:
            hops.append(Hop(caller, callee.text.decode("utf-8", "replace"), locate(callee.start_byte)))
    return hops


def kill_paths(hops: Iterable[Hop], flag_sites: Iterable[Site]) -> tuple[KillPath, ...]:
    """Call chains from sys_kill to each function holding a test of the flag.

    At every step the chain takes the first call, in source order, from which the target
    is still reachable: kernel code handles the common case first, so for kill(2) this
    follows `pid > 0` (kill_proc_info, kill_pid_info ...) rather than the shorter `kill -1`
    broadcast branch a plain shortest path would take.
    """
    graph: dict[str, list[Hop]] = {}
    for hop in sorted(hops, key=lambda h: h.location):
        graph.setdefault(hop.caller, []).append(hop)
    tests = [s for s in flag_sites if s.kind is SiteKind.TEST and s.function]
    primary = {s.function for s in tests if s.guarded in _IGNORE_RETURNS}
    paths = []
    for target in sorted({s.function for s in tests if s.function and s.function != ENTRY}):
        chain = _first_call_chain(graph, target)
        if chain is not None:
            paths.append(KillPath(target, chain, target in primary))
    return tuple(sorted(paths, key=lambda p: (not p.primary, len(p.hops), p.target)))


def _first_call_chain(graph: dict[str, list[Hop]], target: str) -> tuple[Hop, ...] | None:
    """Walk from ENTRY taking, at each function, its first call that can still reach `target`."""
    callers: dict[str, set[str]] = {}
    for caller, calls in graph.items():
        for hop in calls:
            callers.setdefault(hop.callee, set()).add(caller)
    reaches, queue = {target}, deque([target])
    while queue:
        for caller in callers.get(queue.popleft(), ()):
            if caller not in reaches:
                reaches.add(caller)
                queue.append(caller)
    if ENTRY not in reaches:
        return None
    chain: list[Hop] = []
    seen, current = {ENTRY}, ENTRY
    while current != target:
        step = next((h for h in graph.get(current, ()) if h.callee in reaches and h.callee not in seen), None)
        if step is None:
            return None
        chain.append(step)
        seen.add(step.callee)
        current = step.callee
    return tuple(chain)
