"""From the helper's raw line for one case to an Observation: the evidence decoded, then the outcome decided.

The decision follows DELIVERY.md for a live run: killed (init ended by the signal), stopped, handled
(the handler ran), pending (in init's pending set afterwards), dropped (init alive, not stopped, no
handler run, nothing pending). It reads only the evidence, so it is the same for every kernel.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from typing import Any

from analyzer.live.cases import Case, name_of, number_of

# si_code values (include/uapi/asm-generic/siginfo.h): the generic ones, then each fault signal's own.
GENERIC_CODES = {
    0: "SI_USER",
    0x80: "SI_KERNEL",
    -1: "SI_QUEUE",
    -2: "SI_TIMER",
    -3: "SI_MESGQ",
    -4: "SI_ASYNCIO",
    -5: "SI_SIGIO",
    -6: "SI_TKILL",
}
FAULT_CODES = {  # numbered from 1
    "SIGSEGV": ["SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
    "SIGBUS": ["BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"],
    "SIGILL": [
        "ILL_ILLOPC",
        "ILL_ILLOPN",
        "ILL_ILLADR",
        "ILL_ILLTRP",
        "ILL_PRVOPC",
        "ILL_PRVREG",
        "ILL_COPROC",
        "ILL_BADSTK",
    ],
    "SIGFPE": [
        "FPE_INTDIV",
        "FPE_INTOVF",
        "FPE_FLTDIV",
        "FPE_FLTOVF",
        "FPE_FLTUND",
        "FPE_FLTRES",
        "FPE_FLTINV",
        "FPE_FLTSUB",
    ],
    "SIGTRAP": ["TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"],
}
ACTIONS = {
    "SIGPIPE": "write(2) of 1 byte to a pipe whose read end is closed",
    "SIGXFSZ": "write(2) of 1 byte to a memfd at offset 0 with RLIMIT_FSIZE 0",
    "SIGSEGV": "store to address 0x10, which nothing maps",
    "SIGBUS": "load from the second page of a 2-page shared mapping of a 1-page memfd",
    "SIGILL": "ud2",
    "SIGFPE": "idiv by a zero register",
    "SIGTRAP": "int3",
}


@dataclass(frozen=True, slots=True)
class Observation:
    """What one case did on the running kernel, with the raw evidence it was decided from.

    `evidence` keys (JSON-ready values): signal_number; init_pid (as the host sees it); answered
    (init was alive and reported after the send); kill (same-ns, ancestor-ns: caller, target,
    return, errno, errno_name); action (self, fault: what init did, completed, and for self
    write()'s return/errno, for fault came_back_through_handler); handler_runs ([{signo, si_code,
    si_code_name, si_pid}], fault: + si_addr); real_fault (fault with a handler: the handler saw a
    kernel si_code, > 0); pending_after (signal names) and pending_mask (None when init did not
    answer); stop_status and stop (when init stopped); wait_status and wait (init's final waitpid()
    status, decoded); timings_ms (ready, sent, observed, reaped: since the case's driver started);
    notes. A case that could not run has the helper's error fields instead.
    """

    case: Case
    observed: str | None  # "killed" | "stopped" | "handled" | "pending" | "dropped"; None when it could not run
    evidence: dict[str, object]
    error: str | None = None  # why it could not run


def code_name(signal: str, code: int) -> str:
    """The si_code's name for `signal`: a fault signal's own codes are positive and below SI_KERNEL."""
    if code in GENERIC_CODES:
        return GENERIC_CODES[code]
    own = FAULT_CODES.get(signal, [])
    return own[code - 1] if 0 < code <= len(own) else str(code)


def decode_status(status: int) -> dict[str, object]:
    """A waitpid() status word, spelled out."""
    if os.WIFSTOPPED(status):
        return {"stopped": True, "stop_signal": os.WSTOPSIG(status), "stop_signal_name": name_of(os.WSTOPSIG(status))}
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return {
            "signaled": True,
            "term_signal": number,
            "term_signal_name": name_of(number),
            "core_dump": os.WCOREDUMP(status),
        }
    return {"exited": True, "exit_code": os.WEXITSTATUS(status)}


def errno_name(number: int) -> str | None:
    return errno.errorcode.get(number) if number else None


def pending_names(mask: int) -> list[str]:
    return [name_of(bit + 1) for bit in range(64) if mask >> bit & 1]


def handler_runs(raw: dict[str, Any]) -> list[dict[str, object]]:
    """Each recorded run: signo, si_code (and its name), and si_pid; for a fault si_addr, which shares
    si_pid's place in the siginfo union (si_pid then holds the address's low bits)."""
    runs = []
    for run in raw["run"]:
        name = code_name(name_of(run["signo"]), run["code"])
        entry: dict[str, object] = {"signo": run["signo"], "si_code": run["code"], "si_code_name": name}
        entry["si_pid"] = run["pid"]
        if raw["sender"] == "fault":
            entry["si_addr"] = hex(run["addr"])
        runs.append(entry)
    if raw["runs"] > len(runs):
        runs.append({"not_recorded": raw["runs"] - len(runs)})
    return runs


def evidence_of(case: Case, raw: dict[str, Any]) -> dict[str, object]:
    """The evidence of one run, raw values kept beside their decoding."""
    answered = bool(raw["answered"])
    evidence: dict[str, object] = {"signal_number": raw["signo"], "init_pid": raw["init_pid"], "answered": answered}
    if kill := raw["kill"]:
        inside = case.sender == "same-ns"
        evidence["kill"] = {
            "caller": f"pid {kill['pid_in_ns']} in init's namespace" if inside else "the host",
            "target": 1 if inside else raw["init_pid"],
            "return": kill["return"],
            "errno": kill["errno"],
            "errno_name": errno_name(kill["errno"]),
        }
    if case.sender in ("self", "fault"):
        action: dict[str, object] = {"what": ACTIONS[case.signal], "completed": bool(raw["acted"])}
        if case.sender == "self" and raw["acted"]:
            action |= {
                "return": raw["action_return"],
                "errno": raw["action_errno"],
                "errno_name": errno_name(raw["action_errno"]),
            }
        if case.sender == "fault" and raw["acted"]:
            action["came_back_through_handler"] = bool(raw["faulted"])
        evidence["action"] = action
    evidence["handler_runs"] = handler_runs(raw)
    if case.sender == "fault" and case.disposition == "handler":
        # kill(), sigqueue() and raise() give si_code <= 0; only the kernel gives a positive one
        evidence["real_fault"] = any(run["signo"] == raw["signo"] and run["code"] > 0 for run in raw["run"])
    evidence["pending_after"] = pending_names(raw["pending"]) if answered else None
    evidence["pending_mask"] = hex(raw["pending"]) if answered else None
    if raw["stopped"]:
        evidence["stop_status"] = raw["stop_status"]
        evidence["stop"] = decode_status(raw["stop_status"])
    evidence["wait_status"] = raw["status"] if raw["status"] >= 0 else None
    evidence["wait"] = decode_status(raw["status"]) if raw["status"] >= 0 else None
    evidence["timings_ms"] = {step: round(us / 1000, 3) for step, us in raw["us"].items()}
    evidence["notes"] = notes_of(case, raw)
    return evidence


def notes_of(case: Case, raw: dict[str, Any]) -> list[str]:
    notes = []
    if raw["stopped"]:
        notes.append("init stopped; the host killed it with SIGKILL to clean up (wait_status)")
    if raw["timed_out"]:
        notes.append("timed out waiting for init; the host killed it with SIGKILL")
    status = raw["status"]
    if raw["answered"] and status >= 0 and not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        notes.append("init answered, then did not exit 0 when told to")
    if not raw["answered"] and status >= 0 and os.WIFSIGNALED(status):
        notes.append("core dumps are off in init (PR_SET_DUMPABLE 0), so core_dump is always false")
    if case.sender == "fault" and case.disposition != "handler":
        notes.append("no handler to read si_code: the fault is known from the instruction run, not from siginfo")
    return notes


def decide(case: Case, raw: dict[str, Any]) -> tuple[str | None, str | None]:
    """(observed, error) from the helper's raw line alone."""
    number = number_of(case.signal)
    if raw["stopped"]:
        return "stopped", None
    if not raw["answered"]:
        status = raw["status"]
        if status >= 0 and os.WIFSIGNALED(status) and os.WTERMSIG(status) == number:
            return "killed", None
        if raw["timed_out"]:
            return None, "init neither answered nor ended before the timeout"
        ended = decode_status(status) if status >= 0 else "not reaped"
        return None, f"init ended without answering, and not by {case.signal}: {ended}"
    if case.sender in ("self", "fault") and not raw["acted"]:
        return None, f"init answered without doing what sends {case.signal}: {ACTIONS[case.signal]}"
    if case.sender == "fault" and not raw["faulted"]:
        return None, f"the fault did not happen: {ACTIONS[case.signal]} completed"
    if any(run["signo"] == number for run in raw["run"]):
        return "handled", None
    if number is not None and raw["pending"] >> (number - 1) & 1:
        return "pending", None
    return "dropped", None


def observation_of(case: Case, raw: dict[str, Any]) -> Observation:
    """Turn one helper line into an Observation."""
    if "error" in raw:
        evidence: dict[str, object] = {key: value for key, value in raw.items() if key not in ("index", "error")}
        reason = raw["error"] + (f": {os.strerror(raw['errno'])}" if raw.get("errno") else "")
        if raw.get("driver_status", -1) >= 0:
            evidence["driver_wait"] = decode_status(raw["driver_status"])
        return Observation(case, None, evidence, error=reason)
    observed, error = decide(case, raw)
    return Observation(case, observed, evidence_of(case, raw), error)
