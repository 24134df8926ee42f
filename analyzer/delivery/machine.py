"""The delivery table of one release: each signal, sender and disposition taken down the kernel's path.

The stages and their order are the kernel's (a fault first takes the forced path; then the
send-time ignore test with the sender's `force`; a blocked signal stays pending; the group
exit a fatal signal may start at once; the dequeue loop). Every condition on the way is the
release's own, read from its routines and evaluated by analyzer.delivery.evaluate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.delivery.atoms import path_names, table
from analyzer.delivery.evaluate import Evaluator
from analyzer.delivery.expr import body_of, find_if, find_loop
from analyzer.delivery.values import SENDER_TASK, TARGET, Exit, Frame, Sig, Unknown, Value, World, truth
from analyzer.extract import signals
from analyzer.model import DeliveryCell, ForceAssignment, Guard, Reason, Routine, SignalMask, Site
from analyzer.vocab import FLAG, Branch, Delivered, Outcome, Sender, SiteKind, Target

# The signals of the table: the classic ones, then glibc's SIGRTMIN and SIGRTMIN+1.
SIGNALS: tuple[tuple[str, int], ...] = (*signals.CLASSIC, ("SIGRTMIN", 34), ("SIGRTMIN+1", 35))
HANDLER_FUNCTION = 0x1000  # any address: a handler that is a function
_INFO = {  # what each sender passes as siginfo (atoms.txt: `info`, `si_code`)
    Sender.SAME_NS: ("user_info", 0),
    Sender.ANCESTOR_NS: ("user_info", 0),
    Sender.KERNEL: ("priv", None),
    Sender.SELF: ("noinfo", None),
    Sender.FAULT: ("fault_info", 1),
}
_INFO_VALUES = {"noinfo": 0, "priv": 1, "forced": 2, "user_info": 0x2000, "fault_info": 0x3000}


def cells_exist(target: Target, sender: Sender, disposition: Delivered, signal: str) -> bool:
    """DELIVERY.md's cells: no ancestor of the global init; SIGKILL/SIGSTOP default only; senders' own signals."""
    if target is Target.GLOBAL_INIT and sender is Sender.ANCESTOR_NS:
        return False
    if signal in signals.UNCATCHABLE and disposition is not Delivered.DEFAULT:
        return False
    own = sender.signals
    return own is None or signal in own


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the table is computed from: one release's records."""

    routines: Sequence[Routine]
    force: Sequence[ForceAssignment]
    masks: Sequence[SignalMask]
    sites: Sequence[Site]


class Machine:
    """Computes cells for one release."""

    def __init__(self, inputs: Inputs) -> None:
        self.names = path_names()
        self.routines = Consulted(chosen_routines(inputs))
        members = {
            m.name: frozenset(signals.NUMBERS[s] for s in m.signals if s in signals.NUMBERS)
            for m in inputs.masks
            if not m.unresolved
        }
        self.evaluator = Evaluator(table(), self.routines, members)
        self.force = sorted(inputs.force, key=lambda f: f.location)
        self.sets = [s for s in inputs.sites if s.ident == FLAG and s.kind is SiteKind.SET]
        self._marks: dict[Target, tuple[Value, list[Reason]]] = {}

    def cells(self) -> list[DeliveryCell]:
        """Every cell of the release's delivery table, in reading order."""
        return _all_cells(self)

    # --- one cell ----------------------------------------------------------------------------

    def cell(self, target: Target, sender: Sender, disposition: Delivered, signal: str, number: int) -> DeliveryCell:
        info, si_code = _INFO[sender]
        marked, reasons = self._marked(target)
        world = World(
            state={
                "handler": {Delivered.IGNORED: 1, Delivered.HANDLER: HANDLER_FUNCTION}.get(disposition, 0),
                "blocked": int(disposition is Delivered.BLOCKED),
                "unkillable": marked,
                "group_exit": 0,
            },
            meaning={
                "target": target.value.replace("-", "_"),
                "global_init": "global_init",
                "container_init": "container_init",
                "sender": sender.value.replace("-", "_"),
                "same_ns": "same_ns",
                "ancestor_ns": "ancestor_ns",
                "kernel": "kernel",
                "self": "self",
                "fault": "fault",
                "signal": Sig(number),
                "info": _INFO_VALUES[info],
                **_INFO_VALUES,
                "si_code": si_code if si_code is not None else Unknown("si_code of a special siginfo", "", 0),
                # The kernel sends from whatever task runs: whether it is visible is not known.
                "visible": Unknown("the sending task's pid in init's namespace (a kernel send)", "", 0)
                if sender is Sender.KERNEL
                else int(sender is not Sender.ANCESTOR_NS),
                "pid": 1 if target is Target.GLOBAL_INIT else 2,
                "SIG_DFL": 0,
                "SIG_IGN": 1,
            },
            trail=list(reasons),
        )
        outcome, unknown = self._deliver(sender, number, world)
        return DeliveryCell(
            target=target,
            sender=sender,
            disposition=disposition,
            signal=signal,
            outcome=outcome,
            because=tuple(world.trail),
            unknown=str(unknown) if unknown is not None else None,
        )

    def _deliver(self, sender: Sender, number: int, world: World) -> tuple[Outcome, Unknown | None]:
        if sender is Sender.FAULT:
            exit_ = self._forced(number, world)
            if exit_ is not None and exit_.kind == "unknown":
                return Outcome.UNKNOWN, exit_.unknown
        force = self._force(sender, number, world)
        ignored = self._ignored(number, force, sender, world)
        if isinstance(ignored, Unknown):
            return Outcome.UNKNOWN, ignored
        if ignored:
            return Outcome.DROPPED, None
        blocked = world.state["blocked"]
        if isinstance(blocked, Unknown):
            return Outcome.UNKNOWN, blocked
        if blocked:
            return Outcome.PENDING, None
        fatal = self._fatal_now(number, world)
        if fatal is not None:
            return fatal
        return self._dequeue(number, world)

    # --- stages ------------------------------------------------------------------------------

    def _marked(self, target: Target) -> tuple[Value, list[Reason]]:
        """Whether the release marks `target` SIGNAL_UNKILLABLE, from its set sites and their guards."""
        if target in self._marks:
            return self._marks[target]
        boot, fork = set(self.names.get("boot", ())), set(self.names.get("fork", ()))
        world = World(
            {},
            {
                "target": target.value.replace("-", "_"),
                "global_init": "global_init",
                "container_init": "container_init",
                "pid": 1 if target is Target.GLOBAL_INIT else 2,
            },
        )
        marked: Value = 0
        for site in self.sets:
            where = f"{FLAG} set in {site.function or 'no function'}"
            if site.function in boot:
                names: dict[str, Any] = {"current": TARGET}
                applies: Value = int(target is Target.GLOBAL_INIT)
            elif site.function in fork:
                names = {name: TARGET for name in self.names.get("task", ())}
                names["current"] = SENDER_TASK
                applies = 1
            else:
                applies = Unknown(where, site.location.path, site.location.line)
            if truth(applies) is True:
                frame = Frame(site.location.path, site.location.line, names)
                applies = self._guards_hold(site.guards, frame, world)
            world.note(site.location.path, site.location.line, f"{site.normalized} ({where})", truth(applies))
            if truth(applies) is True:
                marked = 1
                break
            if isinstance(applies, Unknown):
                marked = applies
        self._marks[target] = (marked, world.trail)
        return marked, world.trail

    def _force(self, sender: Sender, number: int, world: World) -> Value | None:
        """`force` (`from_ancestor_ns`) for this sender, from its assignments; None if the release has none."""
        if not self.force:
            return None
        names: dict[str, Any] = {name: TARGET for name in self.names.get("task", ())}
        names.update({"current": TARGET if sender in (Sender.SELF, Sender.FAULT) else SENDER_TASK})
        names.update({name: Sig(number) for name in self.names.get("signal", ())})
        names.update({name: world.meaning["info"] for name in self.names.get("info", ())})
        value: Value | None = None
        for assignment in self.force:
            frame = Frame(assignment.location.path, assignment.location.line, dict(names))
            holds = self._guards_hold(assignment.guards, frame, world)
            if holds == 0:
                continue
            new = self.evaluator.value(assignment.value, frame, world)
            if isinstance(holds, Unknown):
                value = value if value == new else holds
                continue
            value = new
            world.note(assignment.location.path, assignment.location.line, assignment.text, truth(new))
        return value

    def _guards_hold(self, guards: Sequence[Guard], frame: Frame, world: World) -> Value:
        """1 when every enclosing if/else holds, 0 when one fails, else the unknown one (all are read)."""
        holds: Value = 1
        for guard in reversed(guards):  # outermost first, as the code reads
            test = truth(self.evaluator.value(guard.condition, frame, world))
            words = f"if ({guard.condition})" if guard.branch is Branch.THEN else f"else of if ({guard.condition})"
            if isinstance(test, Unknown):
                world.note(frame.path, frame.line, words, test)
                holds = test if holds == 1 else holds
                continue
            met = test == (guard.branch is Branch.THEN)
            world.note(frame.path, frame.line, words, met)
            if not met:
                return 0
        return holds

    def _ignored(self, number: int, force: Value | None, sender: Sender, world: World) -> Value:
        name, routine = self._first("ignore")
        if routine is None:
            return Unknown(f"no send-time ignore test ({name})", "", 0)
        frame = self._frame(
            routine, number, world, current=TARGET if sender in (Sender.SELF, Sender.FAULT) else SENDER_TASK
        )
        for param in routine.params:
            if param in self.names.get("force", ()):
                frame.names[param] = (
                    force if force is not None else Unknown(param, routine.location.path, routine.location.line)
                )
        exit_ = self.evaluator.run(body_of(routine), frame, world)
        if exit_.kind == "return" and exit_.value is not None:
            result = truth(exit_.value)
            world.note(routine.location.path, exit_.line, f"{routine.name}() returns", result)
            return result if isinstance(result, Unknown) else int(result)
        return exit_.unknown or Unknown(f"{routine.name}() has no return", routine.location.path, exit_.line)

    def _forced(self, number: int, world: World) -> Exit | None:
        """A fault's forced path: it may reset the handler, unblock, and clear the flag."""
        _name, routine = self._first("forced")
        if routine is None:
            return None
        frame = self._frame(routine, number, world, current=TARGET)
        for param in routine.params:
            if param in self.names.get("info", ()):
                frame.names[param] = world.meaning["info"]
            elif param == "handler":
                forced = self.names.get("forced-handler", ("HANDLER_CURRENT",))[0]
                frame.names[param] = self.evaluator.value(forced, frame, world)
        return self.evaluator.run(body_of(routine), frame, world, returns=False)

    def _fatal_now(self, number: int, world: World) -> tuple[Outcome, Unknown | None] | None:
        """The group exit complete_signal starts when a queued signal is fatal; None when it does not."""
        _name, routine = self._first("fatal")
        if routine is None:
            return None
        calls = self.names.get("fatal-test", ("sig_fatal",))
        test = find_if(body_of(routine), lambda text: any(f"{c}(" in text for c in calls))
        if test is None:
            return None
        frame = self._frame(routine, number, world, current=SENDER_TASK)
        exit_ = self.evaluator.run([test], frame, world)
        if exit_.kind == "decided":
            return Outcome(str(exit_.value)), None
        if exit_.kind == "unknown":
            return Outcome.UNKNOWN, exit_.unknown
        started = world.state.get("group_exit")
        if isinstance(started, Unknown):
            return Outcome.UNKNOWN, started
        if started:
            # A group exit queues SIGKILL to every thread: init dequeues that instead.
            world.note(routine.location.path, test[1], "group exit started: SIGKILL queued to init", 1)
            world.state.update(handler=0, blocked=0)
            world.meaning = {**world.meaning, "signal": Sig(signals.NUMBERS["SIGKILL"])}
            return self._dequeue(signals.NUMBERS["SIGKILL"], world)
        return None

    def _dequeue(self, number: int, world: World) -> tuple[Outcome, Unknown | None]:
        name, routine = self._first("dequeue")
        if routine is None:
            return Outcome.UNKNOWN, Unknown(f"no dequeue loop ({name})", "", 0)
        call = self.names.get("dequeue-call", ("dequeue_signal",))[0]
        found = find_loop(body_of(routine), call)
        if found is None:
            return Outcome.UNKNOWN, Unknown(
                f"no loop calling {call}() in {routine.name}", routine.location.path, routine.location.line
            )
        rest, variable = found
        frame = self._frame(routine, number, world, current=TARGET)
        frame.names[variable] = Sig(number)
        exit_ = self.evaluator.run(rest, frame, world)
        return _dequeue_outcome(exit_, routine.location.path)

    # --- helpers -----------------------------------------------------------------------------

    def _first(self, key: str) -> tuple[str, Routine | None]:
        names = self.names.get(key, ())
        for name in names:
            routine = self.routines.get(name)
            if routine is not None and routine.kind == "function":
                return name, routine
        return "/".join(names), None

    def _frame(self, routine: Routine, number: int, world: World, current: Any) -> Frame:
        names: dict[str, Any] = {"current": current}
        for param in routine.params:
            if param in self.names.get("task", ()):
                names[param] = TARGET
            elif param in self.names.get("signal", ()):
                names[param] = Sig(number)
            elif param in self.names.get("info", ()):
                names[param] = world.meaning["info"]
        for name in self.names.get("task", ()):
            names.setdefault(name, TARGET)
        return Frame(routine.location.path, routine.location.line, names)


def _dequeue_outcome(exit_: Exit, path: str) -> tuple[Outcome, Unknown | None]:
    """What leaving the dequeue loop's body means for the dequeued signal."""
    if exit_.kind == "decided":
        return Outcome(str(exit_.value)), None
    if exit_.kind == "continue":
        return Outcome.DISCARDED, None  # thrown away, the loop takes the next signal
    if exit_.kind == "break":
        return Outcome.HANDLED, None  # the loop is left with the signal: its handler is set up
    if exit_.kind == "goto":
        return Outcome.DISCARDED, None  # back to the top (relock) without acting on it
    if exit_.kind == "unknown":
        return Outcome.UNKNOWN, exit_.unknown
    return Outcome.UNKNOWN, Unknown(f"the dequeue loop ends with {exit_.kind}", path, exit_.line)


def _by_name(routines: Iterable[Routine], ignore: Sequence[str]) -> dict[str, Routine]:
    """One routine per name: the file defining the ignore test wins, then headers, then the rest."""
    home = next((r.location.path for r in routines if r.name in ignore and r.kind == "function"), None)

    def rank(r: Routine) -> tuple[int, str, int]:
        return (
            0 if r.location.path == home else 1 if r.location.path.endswith(".h") else 2,
            r.location.path,
            r.location.line,
        )

    chosen: dict[str, Routine] = {}
    for routine in sorted(routines, key=rank):
        chosen.setdefault(routine.name, routine)
    return chosen


class Consulted(dict[str, Routine]):
    """The routines by name, remembering every name looked up (found or not)."""

    def __init__(self, routines: Mapping[str, Routine]) -> None:
        super().__init__(routines)
        self.names: set[str] = set()

    def get(self, name: str, default: Routine | None = None) -> Routine | None:  # type: ignore[override]
        self.names.add(name)
        return super().get(name, default)


def chosen_routines(inputs: Inputs) -> dict[str, Routine]:
    """The one routine the evaluator takes for each name."""
    return _by_name(inputs.routines, path_names().get("ignore", ()))


def table_with_names(inputs: Inputs) -> tuple[list[DeliveryCell], frozenset[str]]:
    """The table, and every routine name its evaluation looked up: nothing else of the routines can change it."""
    machine = Machine(inputs)
    cells = machine.cells()
    return cells, frozenset(machine.routines.names)


def table_of(inputs: Inputs) -> list[DeliveryCell]:
    """Every cell of the release's delivery table, in reading order."""
    return Machine(inputs).cells()


def _all_cells(machine: Machine) -> list[DeliveryCell]:
    cells = []
    for target in Target:
        for sender in Sender:
            for disposition in Delivered:
                for name, number in SIGNALS:
                    if cells_exist(target, sender, disposition, name):
                        cells.append(machine.cell(target, sender, disposition, name, number))
    return cells
