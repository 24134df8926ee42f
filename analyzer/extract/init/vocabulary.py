"""The signal API an init calls, and the helper table of queries/init/helpers.txt."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from analyzer import resources

API = (
    "sigaction",
    "signal",
    "sigprocmask",
    "pthread_sigmask",
    "sigemptyset",
    "sigfillset",
    "sigaddset",
    "sigdelset",
    "signalfd",
    "sigwait",
    "sigwaitinfo",
    "sigtimedwait",
)
READERS = frozenset({"signalfd", "sigwait", "sigwaitinfo", "sigtimedwait"})


@dataclass(frozen=True, slots=True)
class Helper:
    """A helper from queries/init/helpers.txt: its effect and where its signal list starts."""

    name: str
    effect: str
    first: int | None


@functools.cache
def helpers() -> dict[str, Helper]:
    """The helper table of queries/init/helpers.txt."""
    table = {}
    for raw in (resources.queries_dir() / "init" / "helpers.txt").read_text(encoding="utf-8").splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) == 3:
            table[words[0]] = Helper(words[0], words[1], None if words[2] == "-" else int(words[2]))
    return table


@functools.cache
def entry_rules() -> tuple[tuple[str, str], ...]:
    """(kind, name) rules of queries/init/entry-points.txt: how PID 1's program is entered, in order."""
    rules = []
    for raw in (resources.queries_dir() / "init" / "entry-points.txt").read_text(encoding="utf-8").splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) == 2 and words[0] in ("applet", "function"):
            rules.append((words[0], words[1]))
    return tuple(rules)
