"""One file's calls turned into decisions: installs, helpers, sigsets and masks, and the readers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from analyzer.extract import signals
from analyzer.extract.init.arguments import from_resolved, signals_of
from analyzer.extract.init.context import Context, Decision, Reader, Unit
from analyzer.extract.init.handlers import Installers, handler_action, struct_handler
from analyzer.extract.init.nodes import address_of
from analyzer.extract.init.records import Arg, Decider
from analyzer.extract.init.vocabulary import READERS, Helper, helpers
from analyzer.model import Location
from analyzer.vocab import Action


@dataclass(slots=True)
class _SigSet:
    """A sigset_t being built: filled or empty, plus additions and removals."""

    filled: bool = False
    members: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)

    def names(self, rt_rows: Iterable[str]) -> list[str]:
        """The signals in the set, the real-time ones among `rt_rows` when filled."""
        universe = (*signals.NAMES, *rt_rows) if self.filled else ()
        return [s for s in dict.fromkeys((*universe, *sorted(self.members))) if s not in self.removed]


def decisions_in(ctx: Context, unit: Unit, installers: Installers) -> tuple[list[Decision], list[Reader]]:
    """Every decision and reader call of one file, in source order."""
    calls = _Calls(ctx, unit)
    for call in unit.deciders:  # no other call decides: each branch of `read` names what it reads
        calls.read(call, installers)
    return calls.out, calls.readers


@dataclass(slots=True)
class _Calls:
    """The calls of one file read in order, with the sets its functions build."""

    ctx: Context
    unit: Unit
    out: list[Decision] = field(default_factory=list)
    readers: list[Reader] = field(default_factory=list)
    sets: dict[tuple[str | None, str], _SigSet] = field(default_factory=dict)

    def read(self, call: Decider, installers: Installers) -> None:
        """Add the decisions, set changes or reader of one call."""
        callee, function, args = call.callee, call.function, call.args
        texts = [a.text for a in args]
        if callee in installers:
            sig_i, handler_i, api = installers[callee]
            if max(sig_i, handler_i) < len(args):
                action, handler = handler_action(texts[handler_i])
                self.out += self._per_signal(call, args[sig_i], action, handler, f"{callee}→{api}")
        elif callee == "signal" and len(args) >= 2:
            action, handler = handler_action(texts[1])
            self.out += self._per_signal(call, args[0], action, handler, "signal")
        elif callee == "sigaction" and len(args) >= 2:
            self.out += self._sigaction(call, args)
        elif callee in helpers():
            self.out += self._helper(call, helpers()[callee], args)
        elif callee in ("sigemptyset", "sigfillset", "sigaddset", "sigdelset") and args:
            self._set_op(call, callee, function, args)
        elif callee in ("sigprocmask", "pthread_sigmask") and len(args) >= 2:
            self.out += self._mask(call, texts)
        elif callee in READERS and args:
            self.readers.append(Reader(callee, call.result, call, self.unit.path))

    def _per_signal(
        self, call: Decider, arg: Arg, action: str, handler: str | None, via: str, saved: str | None = None
    ) -> list[Decision]:
        """One decision per signal named by `arg`."""
        sigs, note = signals_of(self.ctx, self.unit.path, call, arg)
        return [self._decision(call, s, action, handler, via, note, saved) for s in sigs]

    def _decision(
        self,
        call: Decider,
        sig: str,
        action: str,
        handler: str | None,
        via: str,
        note: str | None = None,
        saved: str | None = None,
    ) -> Decision:
        """A decision at `call`."""
        where = Location(self.unit.path, call.line, call.column)
        return Decision(sig, Action(action), handler, where, call.function, via, call, self.unit.path, note, saved)

    def _sigaction(self, call: Decider, args: tuple[Arg, ...]) -> list[Decision]:
        """sigaction(sig, act, old): the handler comes from the struct `act` points to."""
        act = args[1].text.strip()
        if act in ("NULL", "0"):
            return []
        variable = act[1:].strip() if act.startswith("&") else None
        function = call.function
        if variable and any(d.saved == variable and d.function == function for d in self.out):
            self._restore(call, variable, function)
            return []
        saved = address_of(args[2].text) if len(args) > 2 else None
        action, handler, note = struct_handler(self.ctx, args[1], variable)
        out = self._per_signal(call, args[0], action, handler, "sigaction", saved)
        return [replace(d, note=d.note or note) for d in out]

    def _restore(self, call: Decider, variable: str, function: str | None) -> None:
        """A saved action or mask put back: the earlier change was temporary."""
        for decision in [d for d in self.out if d.saved == variable and d.function == function]:
            self.out.remove(decision)
            self.ctx.skip_decision(decision, f"temporary: restored from {variable} at line {call.line}")

    def _helper(self, call: Decider, helper: Helper, args: tuple[Arg, ...]) -> list[Decision]:
        """A variadic helper call: expand its list (macros, -1 end) into decisions."""
        if helper.effect in ("reset_all", "unblock_all"):
            return [self._decision(call, "*", helper.effect, None, helper.effect)]
        if helper.effect == "mask_all" and args:  # how in argument 0, every signal
            return self._mask_all(call, helper, args[0].text.strip())
        if helper.effect == "bits" and len(args) >= 2:  # (1 << SIGA) + (1 << SIGB), then the handler
            return self._bits(call, helper, args)
        if helper.effect == "sigaction_of" and len(args) >= 2:  # sigaction(argument 0, argument 1, NULL)
            action, handler, note = struct_handler(self.ctx, args[1], address_of(args[1].text))
            return self._per_signal(call, args[0], action, handler, helper.name)
        first = helper.first or 0
        if len(args) <= first:
            return []
        texts = [a.text for a in args[first:]]
        resolved = self.ctx.resolver.resolve_list(texts, self.unit.path)
        listed = [m for m in resolved.macros if any(m in t.split() or m == t.strip() for t in texts)]
        via = f"{helper.name}({', '.join(listed)})" if listed else helper.name
        sigs, _ = from_resolved(self.ctx, resolved, self.unit.path, call)
        function = call.function
        if helper.effect == "add":
            target = self.sets.setdefault((function, _set_name(args[0])), _SigSet())
            target.members.update(sigs)
            target.removed.difference_update(sigs)
            return []
        if helper.effect == "mask":
            how = args[0].text
            action = "unblock" if "UNBLOCK" in how else "block"
            saved = address_of(args[1].text)
            return [self._decision(call, s, action, None, via, saved=saved) for s in sigs]
        if helper.effect == "sigaction":
            act = args[0]
            action, handler, note = struct_handler(self.ctx, act, address_of(act.text))
            return [self._decision(call, s, action, handler, via, note) for s in sigs]
        return [self._decision(call, s, helper.effect, None, via) for s in sigs]

    def _mask_all(self, call: Decider, helper: Helper, how: str) -> list[Decision]:
        """Every signal blocked or unblocked; a `how` that is no constant is each caller's to decide."""
        if how in ("SIG_BLOCK", "SIG_SETMASK"):
            return [self._decision(call, "*", "block", None, helper.name)]
        if how == "SIG_UNBLOCK":
            return [self._decision(call, "*", "unblock_all", None, helper.name)]
        self.ctx.skip(
            self.unit.path, call.line, call.function, f"{helper.name}({how}): how is no constant, each caller decides"
        )
        return []

    def _bits(self, call: Decider, helper: Helper, args: tuple[Arg, ...]) -> list[Decision]:
        """A handler for each signal of a bit mask: bb_signals((1 << SIGINT) + (1 << SIGTERM), f)."""
        action, handler = handler_action(args[1].text)
        names = re.findall(r"1\s*<<\s*(\w+)", args[0].text)
        resolved = self.ctx.resolver.resolve_list(names, self.unit.path)
        sigs, note = from_resolved(self.ctx, resolved, self.unit.path, call)
        return [self._decision(call, s, action, handler, helper.name, note) for s in sigs]

    def _set_op(self, call: Decider, callee: str, function: str | None, args: tuple[Arg, ...]) -> None:
        """sigemptyset / sigfillset / sigaddset / sigdelset on a set variable of `function`."""
        key = (function, _set_name(args[0]))
        if callee in ("sigemptyset", "sigfillset"):
            self.sets[key] = _SigSet(filled=callee == "sigfillset")
            return
        if len(args) < 2:
            return
        sigs, _ = signals_of(self.ctx, self.unit.path, call, args[1])
        target = self.sets.setdefault(key, _SigSet())
        if callee == "sigaddset":
            target.members.update(sigs)
            target.removed.difference_update(sigs)
        else:
            target.removed.update(sigs)

    def _mask(self, call: Decider, texts: list[str]) -> list[Decision]:
        """sigprocmask(how, set, old): block or unblock the members of `set`, or restore a saved mask."""
        function = call.function
        how, variable = texts[0].strip(), address_of(texts[1]) or texts[1]
        if how not in ("SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"):
            self.ctx.skip(
                self.unit.path, call.line, function, f"sigprocmask({how}, ...): how is no constant, each caller decides"
            )
            return []
        if any(d.saved == variable and d.function == function for d in self.out):
            self._restore(call, variable, function)
            return []
        built = self.sets.get((function, variable))
        if built is None:
            if variable not in ("NULL", "0"):
                self.ctx.skip(self.unit.path, call.line, function, f"mask {variable} not built in {function}")
            return []
        action = "unblock" if "UNBLOCK" in how else "block"
        saved = address_of(texts[2]) if len(texts) > 2 else None
        names = built.names(sorted(self.ctx.rt_rows)) + (["*RT"] if built.filled else [])
        return [self._decision(call, s, action, None, "sigprocmask", saved=saved) for s in names]


def _set_name(arg: Arg) -> str:
    """The sigset variable a set operation works on: `&set` -> set."""
    return address_of(arg.text) or arg.text
