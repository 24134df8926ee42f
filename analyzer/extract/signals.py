"""The Linux signal names: the 31 classic signals by number, aliases, and SIGRTMIN+n rows."""

from __future__ import annotations

import re

# Linux numbering (x86, arm, most others); the order of an InitTable's rows.
CLASSIC: tuple[tuple[str, int], ...] = (
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
)
NUMBERS = dict(CLASSIC)
NAMES = tuple(name for name, _ in CLASSIC)
BY_NUMBER = {number: name for name, number in CLASSIC}
ALIASES = {"SIGIOT": "SIGABRT", "SIGPOLL": "SIGIO", "SIGCLD": "SIGCHLD", "SIGUNUSED": "SIGSYS"}
# The kernel refuses to let these be caught, blocked or ignored.
UNCATCHABLE = frozenset({"SIGKILL", "SIGSTOP"})
# glibc reserves two real-time signals: SIGRTMIN is 34 and SIGRTMAX 64, so SIGRTMAX-n is SIGRTMIN+(30-n).
RT_SPAN = 30

_RT = re.compile(r"(SIGRTMIN|SIGRTMAX)(?:\s*([+-])\s*(\d+))?\Z")


def canonical(name: str) -> str | None:
    """The row name of a signal constant: aliases folded, SIGRTMIN/SIGRTMAX+-n spelled SIGRTMIN+n."""
    name = ALIASES.get(name, name)
    if name in NUMBERS:
        return name
    match = _RT.match(name)
    if match is None:
        return None
    base, sign, digits = match.groups()
    offset = int(digits or 0) * (-1 if sign == "-" else 1)
    if base == "SIGRTMAX":
        offset += RT_SPAN
    return rt_name(offset) if 0 <= offset <= RT_SPAN else None


def rt_name(offset: int) -> str:
    """`SIGRTMIN+n` for a real-time signal `n` above SIGRTMIN."""
    return f"SIGRTMIN+{offset}"


def from_number(number: int) -> str | None:
    """The name of classic signal `number`, e.g. 15 -> SIGTERM."""
    return BY_NUMBER.get(number)


def row_key(name: str) -> tuple[int, int]:
    """Sort key of a row: classic signals by number, then SIGRTMIN+n by n."""
    if name in NUMBERS:
        return (0, NUMBERS[name])
    return (1, int(name.rsplit("+", 1)[1]))


def is_signal_name(word: str) -> bool:
    """True for a known signal constant or an alias of one."""
    return word in NUMBERS or word in ALIASES or word in ("SIGRTMIN", "SIGRTMAX")
