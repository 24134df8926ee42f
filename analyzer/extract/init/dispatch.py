"""Where blocked signals are read back: the switch on the received signal, summarised per signal."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from analyzer.extract.init.context import Context, Reader
from analyzer.extract.init.nodes import WORD
from analyzer.extract.init.records import Case, Switch
from analyzer.extract.init.switches import SIGNO

# Signal -> (dispatching function, what its case does); "*" for the default branch.
Dispatch = dict[str, tuple[str | None, str]]


def find_dispatch(ctx: Context, readers: list[Reader]) -> tuple[Dispatch, set[str]]:
    """Signal -> (dispatching function, first action), and the files dispatching."""
    out: Dispatch = {}
    paths: set[str] = set()
    results = {r.result for r in readers if r.result}
    for path in dict.fromkeys(r.path for r in readers):
        switches = [s for s in ctx.unit(path).switches if _on_signal(s.condition, results)]
        outer = [s for s in switches if not any(_strictly_inside(s, o) for o in switches)]
        for switch in outer:
            for sig, summary in _resolved(ctx, path, switch.cases):
                out.setdefault(sig, (switch.function, summary))
                paths.add(path)
    for reader in readers:
        if reader.result:
            for sig, summary in _resolved(ctx, reader.path, (Case("label", *pair) for pair in reader.call.if_chain)):
                out.setdefault(sig, (reader.call.function, summary))
                paths.add(reader.path)
    for reader in readers:
        if reader.result and not out:
            call = reader.call.first_call
            if call is not None:
                out.setdefault("*", (call, f"{call}({reader.result})"))
                paths.add(reader.path)
    return out, paths


def reader_via(readers: list[Reader]) -> str:
    """How blocked signals are read back: "signalfd", "sigtimedwait"..."""
    return "+".join(dict.fromkeys(r.kind for r in readers))


def _resolved(ctx: Context, path: str, cases: Iterable[Case]) -> Iterator[tuple[str, str]]:
    """(signal, summary) of each case: labels through the file's macros, real-time rows noted."""
    for case in cases:
        if case.kind == "label":
            for sig in ctx.resolver.resolve(case.signal, path).signals:
                yield sig, case.text
            continue
        if case.kind == "rt":
            ctx.rt_rows.add(case.signal)
        yield case.signal, case.text


def _on_signal(condition: str, results: set[str]) -> bool:
    """True for a switch on a received signal."""
    return bool(SIGNO.search(condition)) or bool(set(WORD.findall(condition)) & results)


def _strictly_inside(inner: Switch, outer: Switch) -> bool:
    """True when `inner` is a proper descendant of `outer`."""
    return inner.start != outer.start and outer.start <= inner.start and inner.end <= outer.end
