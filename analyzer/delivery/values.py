"""The values of three-valued evaluation: what an expression can be, where it is read, and what was noted on the way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.model import Reason
from analyzer.vocab import Outcome


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the analysis cannot decide, and the expression that made it so."""

    text: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.text} ({self.path}:{self.line})"


class Sig(int):
    """The signal being delivered (an int that remembers it holds the signal)."""


class Task(str):
    """A task: init (the target) or the sender."""


TARGET = Task("init")
SENDER_TASK = Task("sender")
Value = int | str | Unknown


class Decided(Exception):
    """An expression or statement decided the cell (killed, stopped)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


@dataclass(frozen=True, slots=True, eq=False)
class Lazy:
    """A local's initializer, read when the local is first used, against init's state as it was
    at the assignment (C reads it there); never read, it costs nothing (`ret = send_signal(...)`)."""

    text: str
    path: str
    line: int
    state: tuple[tuple[str, Value], ...]
    names: dict[str, Value | Lazy]  # the locals as they were (a later `x = 5` must not reach `y = x`)


@dataclass(slots=True)
class Frame:
    """Where the code being evaluated sits, and its local names."""

    path: str
    line: int  # line of the text being evaluated
    names: dict[str, Value | Lazy]
    depth: int = 0


@dataclass(slots=True)
class World:
    """Init's state as the delivery goes on, and the reasons gathered."""

    state: dict[str, Value]
    meaning: Mapping[str, Value]  # the fixed names of the meaning vocabulary
    trail: list[Reason] = field(default_factory=list)

    def fork(self) -> World:
        return World(dict(self.state), self.meaning, list(self.trail))

    def note(self, path: str, line: int, text: str, value: Value, handler: bool = False) -> None:
        shown = _HANDLERS.get(value, "a function") if handler and isinstance(value, int) else show(value)
        reason = Reason(path, line, " ".join(text.split()), shown)
        if any(r.path == path and r.line == line and r.text == reason.text for r in self.trail[-6:]):
            return  # said already (a leaf and then its condition, or a condition seen again)
        self.trail.append(reason)


_HANDLERS = {0: "SIG_DFL", 1: "SIG_IGN"}


def show(value: Value) -> str:
    """A value as a reader sees it."""
    if isinstance(value, Unknown):
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def truth(value: Value) -> bool | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        return True  # a task or a symbol: a non-null pointer
    return value != 0


@dataclass(frozen=True, slots=True)
class Exit:
    """How a statement list ended."""

    kind: str  # return | continue | break | goto | end | unknown
    line: int
    value: Value | None = None
    label: str | None = None
    unknown: Unknown | None = None

    def same(self, other: Exit) -> bool:
        return (self.kind, self.value, self.label) == (other.kind, other.value, other.label)
