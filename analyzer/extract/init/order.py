"""Program order from PID 1's main(), and the calls set aside as not PID 1's own steady state."""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.extract.init.context import Context, Decision, Reader

_MAX_CHAIN = 10


@dataclass(slots=True)
class ProgramOrder:
    """Call chains from main() to the functions that decide, cached per (function, file)."""

    ctx: Context
    _chains: dict[tuple[str, str], tuple[int, ...] | None] = field(default_factory=dict)

    def keep(self, decisions: list[Decision]) -> list[tuple[tuple[int, ...], Decision]]:
        """Drop what does not shape PID 1's table; key the rest by program order from main()."""
        handlers = {d.handler for d in decisions if d.action == "handler" and d.handler}
        kept = []
        for decision in decisions:
            why = self._why_not(decision, handlers)
            if why is not None:
                self.ctx.skip_decision(decision, why)
                continue
            chain = self._chain(decision.function or "", decision.path, 0)
            if chain is None:
                self.ctx.skip_decision(decision, f"not reached from {self.ctx.entry}() of {self.ctx.main}")
                continue
            kept.append(((*chain, decision.call.start), decision))
        return sorted(kept, key=lambda item: item[0])

    def runs(self, reader: Reader) -> bool:
        """True for a reader PID 1 itself runs (reached from main, not in a child)."""
        function = reader.call.function
        if reader.call.forked or function is None:
            return False
        return self._chain(function, reader.path, 0) is not None

    def _why_not(self, decision: Decision, handlers: set[str]) -> str | None:
        """Why a decision is not PID 1's own steady state, or None."""
        if decision.function in handlers:
            return f"inside signal handler {decision.function}()"
        call = decision.call
        if (condition := call.skip) is not None:
            return f"under {condition}: PID 1 never takes this branch"
        if call.forked:
            return "in a forked child"
        if (exec_call := call.exec_after) is not None:
            return f"before {exec_call}(): applies to the next program"
        if decision.signal not in ("*", "*RT") and decision.signal in call.words:
            self.ctx.row_notes.setdefault(decision.signal, []).append(
                f"{decision.action} in {decision.function}() once {decision.signal} arrived"
            )
            return f"reaction to receiving {decision.signal}"
        return None

    def _chain(self, function: str, path: str, depth: int) -> tuple[int, ...] | None:
        """Call-site offsets from PID 1's main() down to `function`; None when not reached."""
        if function == self.ctx.entry:
            return () if path == self.ctx.main or self.ctx.main is None else None
        key = (function, path)
        if key in self._chains:
            return self._chains[key]
        self._chains[key] = None  # cycles end here
        if depth > _MAX_CHAIN or not function:
            return None
        best: tuple[int, ...] | None = None
        for caller_path in self._caller_files(function, path):
            for call in self.ctx.unit(caller_path).calls:
                # A call made in a forked child, or only once a signal arrived (busybox's
                # `if (sig == SIGQUIT) exec_restart_action();`), is no path of the steady state.
                if call.callee != function or call.forked or call.reaction:
                    continue
                caller = call.function
                if caller is None or caller == function:
                    continue
                chain = self._chain(caller, caller_path, depth + 1)
                if chain is not None and (best is None or (*chain, call.start) < best):
                    best = (*chain, call.start)
        self._chains[key] = best
        return best

    def _caller_files(self, function: str, path: str) -> list[str]:
        """Scope files that may call `function`: its own file when static, else any mentioning it."""
        if function in self.ctx.unit(path).static:
            return [path]
        # Only scope files count and all are read by now: the callees each one's text names as a
        # word (its facts) are what a tree-wide `git grep -w` per function would keep.
        return sorted(p for p in self.ctx.scope if function in self.ctx.unit(p).mentioned)
