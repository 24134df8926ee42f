"""The live delivery cases: who sends which signal to a container init that did what with it.

Words are DELIVERY.md's. Signal numbers are x86's (the same on arm and most others), and the
real-time signals are glibc's: SIGRTMIN is 34, as user space sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSIC = (
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
)
SIGRTMIN = 34  # glibc keeps 32 and 33 for itself
REALTIME = ("SIGRTMIN", "SIGRTMIN+1")
SIGNALS = CLASSIC + REALTIME
ALIASES = {"SIGPOLL": "SIGIO", "SIGIOT": "SIGABRT", "SIGCLD": "SIGCHLD"}

KILL_SENDERS = ("same-ns", "ancestor-ns")
SENDERS = (*KILL_SENDERS, "self", "fault")
DISPOSITIONS = ("default", "ignored", "handler", "blocked")
OUTCOMES = ("killed", "stopped", "handled", "pending", "dropped")  # what a live run can tell apart
UNCATCHABLE = ("SIGKILL", "SIGSTOP")
SELF_SIGNALS = ("SIGPIPE", "SIGXFSZ")  # what init's own write(2) can make the kernel send it
FAULT_SIGNALS = ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP")
PREDICTION_ONLY = {
    "kernel": "a kernel send with SEND_SIG_PRIV (si_code SI_KERNEL) cannot be made on demand from user space",
}


@dataclass(frozen=True, slots=True)
class Case:
    """One cell to run: `sender` sends `signal` to a container init whose disposition of it is `disposition`."""

    sender: str  # "same-ns" | "ancestor-ns" | "self" | "fault"
    disposition: str  # "default" | "ignored" | "handler" | "blocked"
    signal: str  # "SIGTERM", "SIGRTMIN", "SIGRTMIN+1"


def number_of(signal: str) -> int | None:
    """The signal's number, or None for a name outside SIGNALS."""
    if signal in CLASSIC:
        return CLASSIC.index(signal) + 1
    if signal in REALTIME:
        return SIGRTMIN + REALTIME.index(signal)
    return None


def name_of(number: int) -> str:
    """The DELIVERY.md name of a signal number, "SIGRTMIN+n" above SIGRTMIN, else "signal N"."""
    if 1 <= number <= len(CLASSIC):
        return CLASSIC[number - 1]
    if number == SIGRTMIN:
        return "SIGRTMIN"
    if SIGRTMIN < number <= 64:
        return f"SIGRTMIN+{number - SIGRTMIN}"
    return f"signal {number}"


def matrix() -> list[Case]:
    """Every case a live run can set up: kill(2) from inside and from the host for each signal and
    disposition (SIGKILL and SIGSTOP default only), then init's own writes and its faults."""
    cases = [
        Case(sender, disposition, signal)
        for sender in KILL_SENDERS
        for signal in SIGNALS
        for disposition in DISPOSITIONS
        if signal not in UNCATCHABLE or disposition == "default"
    ]
    cases += [Case("self", disposition, signal) for signal in SELF_SIGNALS for disposition in DISPOSITIONS]
    cases += [Case("fault", disposition, signal) for signal in FAULT_SIGNALS for disposition in DISPOSITIONS]
    return cases


def unrunnable(case: Case) -> str | None:
    """Why `case` cannot be set up live, or None when it can."""
    if case.sender in PREDICTION_ONLY:
        return f"{PREDICTION_ONLY[case.sender]}: prediction only"
    if case.sender not in SENDERS:
        return f"unknown sender {case.sender!r} (one of {', '.join(SENDERS)})"
    if case.disposition not in DISPOSITIONS:
        return f"unknown disposition {case.disposition!r} (one of {', '.join(DISPOSITIONS)})"
    if number_of(case.signal) is None:
        known = f" (DELIVERY.md calls it {ALIASES[case.signal]})" if case.signal in ALIASES else ""
        return f"unknown signal {case.signal!r}{known}"
    if case.signal in UNCATCHABLE and case.disposition != "default":
        return f"{case.signal} can only be default: sigaction refuses to catch or ignore it; blocking it does nothing"
    if case.sender == "self" and case.signal not in SELF_SIGNALS:
        return f"init's own writes make the kernel send only {' and '.join(SELF_SIGNALS)}, not {case.signal}"
    if case.sender == "fault" and case.signal not in FAULT_SIGNALS:
        return f"no synchronous fault raises {case.signal} (faults: {', '.join(FAULT_SIGNALS)})"
    return None
