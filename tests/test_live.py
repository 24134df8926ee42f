"""Live delivery on the running kernel: the matrix, the decision, and real cases in PID namespaces.

The expectations of the live tests are DELIVERY.md's sanity anchors, written by hand: they hold
on every kernel from 2.6.30 on, whatever this machine runs. Tests that need root, PID namespaces
and a C compiler skip without them, and fail under CI=true (.ci/run installs the compiler).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer import live
from analyzer.errors import SiganalyzeError
from analyzer.live import Case, Observation, helper
from analyzer.live.cases import SIGNALS, name_of, number_of
from analyzer.live.observe import decide
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent
SI_USER = 0
SEGV_MAPERR, SEGV_ACCERR = 1, 2

# ---- the matrix and what cannot run ----


def test_the_matrix_has_every_runnable_cell_once() -> None:
    cases = live.matrix()
    assert len(cases) == len(set(cases)) == (31 * 4 + 2) * 2 + 5 * 4 + 2 * 4 == 280
    assert len(SIGNALS) == 33
    assert {c.disposition for c in cases if c.signal in ("SIGKILL", "SIGSTOP")} == {"default"}
    assert {c.signal for c in cases if c.sender == "fault"} == {"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP"}
    assert {c.signal for c in cases if c.sender == "self"} == {"SIGPIPE", "SIGXFSZ"}
    assert [live.unrunnable(c) for c in cases] == [None] * len(cases)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        (Case("kernel", "default", "SIGTERM"), "prediction only"),
        (Case("ancestor-ns", "ignored", "SIGKILL"), "SIGKILL can only be default"),
        (Case("same-ns", "blocked", "SIGSTOP"), "SIGSTOP can only be default"),
        (Case("fault", "default", "SIGTERM"), "no synchronous fault raises SIGTERM"),
        (Case("self", "handler", "SIGHUP"), "only SIGPIPE and SIGXFSZ, not SIGHUP"),
        (Case("same-ns", "default", "SIGPOLL"), "DELIVERY.md calls it SIGIO"),
        (Case("same-ns", "masked", "SIGTERM"), "unknown disposition 'masked'"),
        (Case("sibling-ns", "default", "SIGTERM"), "unknown sender 'sibling-ns'"),
    ],
)
def test_a_case_that_cannot_be_set_up_says_why(case: Case, reason: str) -> None:
    assert reason in (live.unrunnable(case) or "")


def test_unrunnable_cases_come_back_unrun_without_touching_the_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no cc: building the helper would fail
    case = Case("kernel", "default", "SIGTERM")
    [observation] = live.run([case])
    assert observation == Observation(case, None, {}, error=live.unrunnable(case))


def test_signal_numbers_are_glibcs() -> None:
    assert [number_of(s) for s in ("SIGHUP", "SIGIO", "SIGSYS", "SIGRTMIN", "SIGRTMIN+1")] == [1, 29, 31, 34, 35]
    names = ["SIGKILL", "SIGRTMIN", "SIGRTMIN+1", "SIGRTMIN+30", "signal 32"]
    assert [name_of(n) for n in (9, 34, 35, 64, 32)] == names


# ---- the decision, from hand-made helper lines ----


def raw_line(**fields: object) -> dict[str, object]:
    """A helper line for an init that answered with nothing to report."""
    base: dict[str, object] = {
        "answered": 1,
        "stopped": 0,
        "stop_status": -1,
        "status": 0,
        "timed_out": 0,
        "run": [],
        "runs": 0,
        "pending": 0,
    }
    return base | fields


TERM = Case("ancestor-ns", "default", "SIGTERM")


@pytest.mark.parametrize(
    ("raw", "outcome"),
    [
        (raw_line(answered=0, status=signal.SIGTERM), ("killed", None)),
        (raw_line(answered=0, stopped=1, stop_status=0x137F, status=signal.SIGKILL), ("stopped", None)),
        (raw_line(run=[{"signo": 15, "code": 0, "pid": 0, "addr": 0}], runs=1), ("handled", None)),
        (raw_line(pending=1 << 14), ("pending", None)),
        (raw_line(pending=1 << 13), ("dropped", None)),  # SIGPIPE pending says nothing about SIGTERM
        (raw_line(run=[{"signo": 10, "code": 0, "pid": 0, "addr": 0}], runs=1), ("dropped", None)),
        (raw_line(), ("dropped", None)),
        (raw_line(answered=0, timed_out=1, status=9), (None, "init neither answered nor ended before the timeout")),
    ],
)
def test_the_outcome_follows_delivery_md(raw: dict[str, object], outcome: tuple[str | None, str | None]) -> None:
    assert decide(TERM, raw) == outcome


def test_init_that_did_not_act_is_no_observation() -> None:
    pipe = Case("self", "default", "SIGPIPE")
    assert decide(pipe, raw_line(acted=0)) == (
        None,
        "init answered without doing what sends SIGPIPE: write(2) of 1 byte to a pipe whose read end is closed",
    )
    assert decide(pipe, raw_line(acted=1)) == ("dropped", None)
    segv = Case("fault", "handler", "SIGSEGV")
    assert decide(segv, raw_line(acted=1, faulted=0))[0] is None  # the store went through: no fault
    assert decide(segv, raw_line(acted=1, faulted=1, run=[{"signo": 11, "code": 1, "pid": 16, "addr": 16}])) == (
        "handled",
        None,
    )


def test_init_killed_by_another_signal_is_no_observation() -> None:
    observed, error = decide(TERM, raw_line(answered=0, status=signal.SIGKILL))
    assert observed is None
    assert error is not None and "not by SIGTERM" in error and "SIGKILL" in error


# ---- what stops a live run, as one line ----


def test_a_missing_compiler_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "no-such-cc")
    with pytest.raises(live.LiveUnavailable, match=r"^no C compiler: .*`cc`.* not on PATH$") as caught:
        helper.build()
    assert isinstance(caught.value, SiganalyzeError) and caught.value.hint


def test_no_namespace_permission_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "helper"
    fake.write_text("#!/bin/sh\necho unshare 1\n")
    fake.chmod(0o755)
    with pytest.raises(live.LiveUnavailable) as caught:
        helper.probe(fake)
    assert str(caught.value) == "cannot create a PID namespace: unshare(CLONE_NEWPID): Operation not permitted"


def test_kernel_release_is_unames() -> None:
    assert live.kernel_release() == os.uname().release


# ---- real cases on this kernel ----


@pytest.fixture(scope="module")
def live_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache with the helper built, once for the module; skip (fail under CI) when live runs cannot happen."""
    cache = tmp_path_factory.mktemp("live-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        try:
            helper.check_platform()
            helper.probe(helper.build())
        except live.LiveUnavailable as exc:
            unavailable(f"live runs are not possible here: {exc}")
    yield cache


@pytest.fixture
def binary(live_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The helper binary of live_cache, with XDG_CACHE_HOME pointing there for this test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(live_cache))
    return helper.binary_path()


@pytest.fixture(scope="module")
def full_run(live_cache: Path) -> dict[Case, Observation]:
    """The whole matrix, run once for the module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(live_cache))
        start = time.monotonic()
        observations = live.run(live.matrix())
        assert time.monotonic() - start < 60
    return {o.case: o for o in observations}


def running_copies(binary: Path) -> list[int]:
    """Live processes running `binary`: the helper, its drivers, every init and sender (none exec)."""
    pids = []
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and os.readlink(f"/proc/{entry.name}/exe") == str(binary):
                pids.append(int(entry.name))
        except OSError:
            continue  # gone, or a zombie
    return pids


def test_every_case_of_the_matrix_runs(full_run: dict[Case, Observation]) -> None:
    failed = {case: o.error for case, o in full_run.items() if o.observed is None}
    assert failed == {}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (Case("same-ns", "default", "SIGKILL"), "dropped"),
        (Case("ancestor-ns", "default", "SIGKILL"), "killed"),
        (Case("ancestor-ns", "default", "SIGTERM"), "dropped"),
        (Case("same-ns", "default", "SIGTERM"), "dropped"),
        (Case("fault", "default", "SIGSEGV"), "killed"),
        (Case("fault", "ignored", "SIGSEGV"), "killed"),  # a fault resets SIG_IGN ...
        (Case("fault", "blocked", "SIGSEGV"), "killed"),  # ... and unblocks, then clears SIGNAL_UNKILLABLE
        (Case("ancestor-ns", "blocked", "SIGTERM"), "pending"),
        (Case("ancestor-ns", "default", "SIGSTOP"), "stopped"),
        (Case("same-ns", "default", "SIGSTOP"), "dropped"),
        (Case("self", "handler", "SIGPIPE"), "handled"),
        (Case("same-ns", "default", "SIGCHLD"), "dropped"),
        (Case("ancestor-ns", "default", "SIGCHLD"), "dropped"),
    ],
)
def test_sanity_anchors(full_run: dict[Case, Observation], case: Case, expected: str) -> None:
    assert full_run[case].observed == expected, full_run[case]


def test_a_killed_init_shows_its_wait_status(full_run: dict[Case, Observation]) -> None:
    evidence = full_run[Case("ancestor-ns", "default", "SIGKILL")].evidence
    assert evidence["wait_status"] == 9
    assert evidence["wait"] == {"signaled": True, "term_signal": 9, "term_signal_name": "SIGKILL", "core_dump": False}
    assert evidence["kill"] == {
        "caller": "the host",
        "target": evidence["init_pid"],
        "return": 0,
        "errno": 0,
        "errno_name": None,
    }


def test_a_stopped_init_is_cleaned_up(full_run: dict[Case, Observation]) -> None:
    evidence = full_run[Case("ancestor-ns", "default", "SIGSTOP")].evidence
    assert evidence["stop"] == {"stopped": True, "stop_signal": 19, "stop_signal_name": "SIGSTOP"}
    assert evidence["wait"] == {"signaled": True, "term_signal": 9, "term_signal_name": "SIGKILL", "core_dump": False}


def test_any_sender_with_a_handler_is_handled(full_run: dict[Case, Observation]) -> None:
    handled = {case: o.observed for case, o in full_run.items() if case.disposition == "handler"}
    assert set(handled.values()) == {"handled"}


def test_kill_shows_si_user_and_the_senders_pid_as_init_sees_it(full_run: dict[Case, Observation]) -> None:
    inside = full_run[Case("same-ns", "handler", "SIGTERM")].evidence
    outside = full_run[Case("ancestor-ns", "handler", "SIGTERM")].evidence
    assert inside["handler_runs"] == [{"signo": 15, "si_code": SI_USER, "si_code_name": "SI_USER", "si_pid": 2}]
    assert inside["kill"] == {
        "caller": "pid 2 in init's namespace",
        "target": 1,
        "return": 0,
        "errno": 0,
        "errno_name": None,
    }
    # the host has no pid in init's namespace
    assert outside["handler_runs"] == [{"signo": 15, "si_code": SI_USER, "si_code_name": "SI_USER", "si_pid": 0}]


def test_a_blocked_signal_stays_pending_unless_a_fault_forces_it(full_run: dict[Case, Observation]) -> None:
    blocked = {case: o.observed for case, o in full_run.items() if case.disposition == "blocked"}
    assert {case.sender for case, outcome in blocked.items() if outcome != "pending"} == {"fault"}
    observation = full_run[Case("ancestor-ns", "blocked", "SIGRTMIN+1")]
    assert observation.evidence["pending_after"] == ["SIGRTMIN+1"]


def test_a_fault_handler_sees_a_real_fault(full_run: dict[Case, Observation]) -> None:
    runs = full_run[Case("fault", "handler", "SIGSEGV")].evidence["handler_runs"]
    assert isinstance(runs, list) and len(runs) == 1, runs
    assert runs[0]["signo"] == 11 and runs[0]["si_code"] in (SEGV_MAPERR, SEGV_ACCERR)
    assert runs[0]["si_addr"] == "0x10"  # the address the store went to
    faults = [o.evidence for case, o in full_run.items() if case.sender == "fault" and case.disposition == "handler"]
    assert [e["real_fault"] for e in faults] == [True] * 5
    assert {e["action"]["came_back_through_handler"] for e in faults} == {True}  # type: ignore[index]


def test_self_sigpipe_comes_from_inits_own_write(full_run: dict[Case, Observation]) -> None:
    evidence = full_run[Case("self", "handler", "SIGPIPE")].evidence
    assert evidence["action"]["errno_name"] == "EPIPE"  # type: ignore[index]
    assert [run["si_code_name"] for run in evidence["handler_runs"]] == ["SI_USER"]  # type: ignore[attr-defined]


def test_nothing_is_left_running_after_a_run(full_run: dict[Case, Observation], binary: Path) -> None:
    assert running_copies(binary) == []
    inits = {int(str(o.evidence["init_pid"])) for o in full_run.values()}
    assert inits.isdisjoint(running_copies(binary))


def test_cases_out_of_time_say_so_and_leave_nothing_behind(binary: Path) -> None:
    # 1 ms is too short for some cases to get through, and which ones varies: each case either
    # has an outcome or a one-line reason, and the drivers kill whatever init they gave up on.
    observations = live.run(live.matrix(), timeout=0.001)
    assert all((o.observed is None) != (o.error is None) for o in observations)
    assert all("\n" not in (o.error or "") for o in observations)
    assert running_copies(binary) == []


def when_running(binary: Path, then: object) -> threading.Thread:
    """A thread that calls `then()` once the helper has several processes up (a run well under way)."""

    def watch() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len(running_copies(binary)) >= 6:  # past the probe (3 at most): the cases are running
                time.sleep(0.1)
                then()  # type: ignore[operator]
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


class Interrupted(Exception):
    pass


def test_an_exception_in_the_middle_leaves_nothing_behind(binary: Path) -> None:
    def interrupt(_signum: int, _frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGUSR1, interrupt)
    finished = False
    try:
        watcher = when_running(binary, lambda: os.kill(os.getpid(), signal.SIGUSR1))
        with pytest.raises(Interrupted):
            live.run(live.matrix() * 40)
            finished = True
        watcher.join()
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert not finished
    assert running_copies(binary) == []


RUN_FOREVER = "from analyzer import live\nwhile True:\n    live.run(live.matrix())\n"


@pytest.mark.parametrize(("sig", "grace"), [(signal.SIGINT, 0.0), (signal.SIGKILL, 5.0)], ids=["ctrl-c", "kill-9"])
def test_stopping_python_in_the_middle_leaves_nothing_behind(binary: Path, sig: int, grace: float) -> None:
    """Ctrl-C: run() kills the helper's session before the exception leaves it. SIGKILL: nothing in Python
    runs, and the processes go one parent after the other (PR_SET_PDEATHSIG), within `grace` seconds."""
    python = subprocess.Popen([sys.executable, "-c", RUN_FOREVER], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        when_running(binary, lambda: python.send_signal(sig)).join()
        _, err = python.communicate(timeout=30)
    finally:
        python.kill()
        python.wait()
    assert python.returncode == -sig
    if sig == signal.SIGINT:
        assert err.rstrip().endswith("KeyboardInterrupt")
    deadline = time.monotonic() + grace
    while running_copies(binary) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_copies(binary) == []
