"""Run live cases through the helper: one helper process, its cases fanned out over `jobs` drivers.

The helper starts in a session of its own, so a Ctrl-C at the terminal reaches only Python, which
then kills the session's process group: the helper, its drivers, every init and sender (a SIGKILL
from the host is forced, so a namespace init dies too). If Python itself is killed, each process
of the tree gets SIGKILL from PR_SET_PDEATHSIG when its parent goes.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analyzer.live import helper
from analyzer.live.cases import Case, number_of, unrunnable
from analyzer.live.observe import Observation, observation_of

DEFAULT_TIMEOUT = 10.0
DRIVER_GRACE = 8.0  # what a driver may take past its case's timeout: killing init, its alarm (driver.c)


def default_jobs() -> int:
    # Cases spend most of their time in fork, exit and namespace teardown, waiting on each other
    # as much as on the CPU: two per core keeps the cores busy.
    return 2 * len(os.sched_getaffinity(0))


def run(cases: Sequence[Case], *, jobs: int = 0, timeout: float = DEFAULT_TIMEOUT) -> list[Observation]:
    """Run each case in a fresh PID namespace; one Observation per case, in order.

    `jobs` cases run at once (0: two per CPU); `timeout` bounds each case's waits, in seconds.
    Cases that cannot be set up live come back unrun, with the reason as their error. Raises
    LiveUnavailable when nothing can run here: no namespaces, no permission, no compiler.
    """
    if jobs < 0 or timeout <= 0:
        raise ValueError(f"jobs must be >= 0 and timeout > 0, not {jobs} and {timeout}")
    cases = list(cases)
    reasons = [unrunnable(case) for case in cases]
    runnable = {index: case for index, case in enumerate(cases) if reasons[index] is None}
    lines: dict[int, dict[str, Any]] = {}
    failure = ""
    if runnable:
        helper.check_platform()
        binary = helper.build()
        helper.probe(binary)
        lines, failure = _run_helper(binary, runnable, jobs or default_jobs(), timeout)
    observations = []
    for index, case in enumerate(cases):
        if reason := reasons[index]:
            observations.append(Observation(case, None, {}, error=reason))
        elif index in lines:
            observations.append(observation_of(case, lines[index]))
        else:
            observations.append(Observation(case, None, {}, error=f"no result from the live helper: {failure}"))
    return observations


def _run_helper(
    binary: Path, cases: dict[int, Case], jobs: int, timeout: float
) -> tuple[dict[int, dict[str, Any]], str]:
    """The helper's line per case index, and why some are missing (empty when none is)."""
    request = "".join(f"{i} {c.sender} {c.disposition} {number_of(c.signal)}\n" for i, c in cases.items())
    waves = math.ceil(len(cases) / jobs)
    limit = (timeout + DRIVER_GRACE) * waves + 10
    command = [str(binary), "run", str(jobs), str(max(1, round(timeout * 1000))), str(os.getpid())]
    proc: subprocess.Popen[str] | None = None
    failure = ""
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            cwd="/",
        )
        try:
            out, err = proc.communicate(request, timeout=limit)
        except subprocess.TimeoutExpired:
            stop_session(proc)
            out, err = proc.communicate()
            failure = f"the run passed its overall limit of {limit:.0f} s and was stopped"
    except BaseException:
        if proc is not None:
            stop_session(proc)
        raise
    lines = {}
    for text in out.splitlines():
        try:
            line = json.loads(text)
            lines[int(line["index"])] = line
        except (ValueError, KeyError, TypeError):
            failure = f"an unreadable line from the helper: {text[:80]!r}"
    if not failure and len(lines) < len(cases):
        failure = f"the helper exited with status {proc.returncode}: {err.strip() or 'no message'}"
    return lines, failure


def stop_session(proc: subprocess.Popen[str]) -> None:
    """Kill the helper's whole process group and wait until none of its processes is left.

    The group is killed before the helper is reaped, so its id cannot have been reused.
    """
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while session_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def session_members(session: int) -> list[int]:
    """The pids of every live process in `session` (zombies excluded: they run nothing)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        # after the command name: state ppid pgrp session ...
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members
