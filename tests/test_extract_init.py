"""The init-side table on hand-written trees: systemd-like releases, two small inits, a non-init."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.extract import signals
from analyzer.extract.init import Disposition, InitTable, extract_init
from analyzer.extract.macros import MacroResolver, split_list
from analyzer.sources import open_source
from analyzer.sources.directory import DirectorySource
from tests.conftest import FIXTURES, make_repo

CRASH_VIA = "sigaction_many(SIGNALS_CRASH_HANDLER)"


def table_of(relative: str, project: str) -> InitTable:
    """Extract the table of fixtures/<relative>."""
    return extract_init(DirectorySource(FIXTURES / relative), project)


def row(table: InitTable, name: str) -> tuple[str, str | None, str | None, str]:
    """One row as (disposition, handler, function, via)."""
    found = rows_by_name(table)[name]
    return found.disposition, found.handler, found.function, found.via


def rows_by_name(table: InitTable) -> dict[str, Disposition]:
    """Rows keyed by signal name."""
    return {d.signal: d for d in table.dispositions}


@pytest.fixture(scope="module")
def r1() -> InitTable:
    return table_of("systemd/r1", "systemd")


@pytest.fixture(scope="module")
def r2() -> InitTable:
    return table_of("systemd/r2", "systemd")


def test_rows_are_the_31_signals_then_the_rt_ones_mentioned(r1: InitTable) -> None:
    names = [d.signal for d in r1.dispositions]
    assert names[:31] == list(signals.NAMES)
    assert names[31:] == ["SIGRTMIN+0", "SIGRTMIN+1", "SIGRTMIN+4"]


def test_systemd_r1_crash_handler_from_a_header_macro_list(r1: InitTable) -> None:
    for name in ("SIGSEGV", "SIGILL", "SIGABRT"):  # SIGIOT in the list folds into SIGABRT
        assert row(r1, name) == ("handler", "on_crash", "install_crash_handler", CRASH_VIA)
    segv = rows_by_name(r1)["SIGSEGV"]
    assert segv.location is not None and (segv.location.path, segv.location.line) == ("src/core/main.c", 19)
    assert segv.note == "after reset_all"
    assert "src/basic/defs.h" in r1.scope.files


def test_systemd_r1_ignored_and_reset_rows(r1: InitTable) -> None:
    assert row(r1, "SIGPIPE") == ("ignored", None, "main", "ignore_signals(SIGNALS_IGNORE)")
    assert row(r1, "SIGALRM") == ("default", None, "main", "reset_all")
    assert row(r1, "SIGQUIT") == ("default", None, "main", "reset_all")


def test_systemd_r1_blocked_signals_dispatched_by_the_switch(r1: InitTable) -> None:
    by_name = rows_by_name(r1)
    assert row(r1, "SIGCHLD") == ("blocked", "manager_dispatch_signal", "manager_setup_signals", "sigprocmask+signalfd")
    assert by_name["SIGCHLD"].dispatch == "case SIGCHLD: manager_reap()"
    assert by_name["SIGTERM"].dispatch == "case SIGTERM: m->objective = 2"
    assert by_name["SIGHUP"].dispatch == "case SIGHUP: manager_reload()"


def test_sigrtmin_plus_n_with_literal_macro_and_spaces(r1: InitTable, r2: InitTable) -> None:
    by_name = rows_by_name(r1)
    assert by_name["SIGRTMIN+0"].dispatch == "case 0 (SIGRTMIN+0): manager_start_target()"  # empty case falls through
    assert by_name["SIGRTMIN+1"].dispatch == "case 1 (SIGRTMIN+1): manager_start_target()"  # SIGRTMIN+RT_RESCUE
    assert by_name["SIGRTMIN+4"].dispatch == "case 4 (SIGRTMIN+4): m->objective = 4"  # SIGRTMIN + 4
    assert rows_by_name(r2)["SIGRTMIN+7"].disposition == "blocked"  # SIGRTMIN+RT_SOFT_REBOOT, no -1 after it


def test_non_pid1_tool_is_excluded(r1: InitTable, r2: InitTable) -> None:
    for table in (r1, r2):
        assert table.scope.excluded == ("src/systemctl/systemctl.c",)
        assert row(table, "SIGINT") == ("default", None, "main", "reset_all")  # systemctl's handler is not PID 1's


def test_unresolved_macro_is_reported_not_dropped(r1: InitTable) -> None:
    assert r1.scope.unresolved == ("SIGNALS_VENDOR_QUIET",)
    note = rows_by_name(r1)["SIGPIPE"].note
    assert note is not None and "unresolved macro SIGNALS_VENDOR_QUIET" in note


def test_child_handler_and_pre_exec_decisions_are_set_aside(r1: InitTable) -> None:
    assert r1.scope.skipped == (
        "src/core/main.c:10 on_crash: inside signal handler on_crash() (SIGCHLD)",
        "src/core/main.c:24 reexecute: before execv(): applies to the next program (every signal)",
        "src/core/main.c:31 spawn_helper: in a forked child (SIGSEGV, SIGILL, SIGABRT, SIGPIPE)",
    )


def test_r2_follows_moved_crash_handler_and_macro_header(r1: InitTable, r2: InitTable) -> None:
    assert row(r2, "SIGSEGV") == ("handler", "on_crash", "install_crash_handler", CRASH_VIA)
    location = rows_by_name(r2)["SIGSEGV"].location
    assert location is not None and location.path == "src/core/crash-handler.c"
    assert "src/basic/constants.h" in r2.scope.files and "src/basic/defs.h" not in r2.scope.files
    same = [d.signal for d in r1.dispositions if d.signal in rows_by_name(r2)]
    assert [row(r1, s)[0] for s in same] == [row(r2, s)[0] for s in same]  # lists without -1 read the same


def test_minus_one_ends_a_variadic_list() -> None:
    resolver = MacroResolver(DirectorySource(FIXTURES / "systemd" / "r1"))
    resolved = resolver.resolve_list(["SIGSEGV", "-1", "SIGHUP"], "src/core/main.c")
    assert resolved.signals == ("SIGSEGV",) and resolved.terminated
    listed = resolver.resolve_list(split_list("SIGNALS_CRASH_HANDLER, SIGNALS_IGNORE, -1"), "src/core/main.c")
    assert listed.signals == ("SIGSEGV", "SIGILL", "SIGABRT", "SIGPIPE")
    assert listed.macros == ("SIGNALS_CRASH_HANDLER", "SIGNALS_IGNORE")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SIGRTMIN+3", "SIGRTMIN+3"),
        ("SIGRTMIN + 3", "SIGRTMIN+3"),
        ("SIGRTMAX-2", "SIGRTMIN+28"),
        ("SIGCLD", "SIGCHLD"),
        ("SIGPOLL", "SIGIO"),
        ("(int) SIGTERM", "SIGTERM"),
        ("15", "SIGTERM"),
        ("RTSIG_IF_AVAILABLE(SIGRTMIN+26)", "SIGRTMIN+26"),
    ],
)
def test_signal_expressions(text: str, expected: str) -> None:
    resolver = MacroResolver(DirectorySource(FIXTURES / "systemd" / "r1"))
    assert resolver.resolve(text, "src/core/main.c").signals == (expected,)


def test_systemd_fixture_as_git_history(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "systemd")
    old = extract_init(open_source("v-r1", str(repo)), "systemd")
    new = extract_init(open_source("v-r2", str(repo)), "systemd")
    assert rows_by_name(old)["SIGSEGV"].location != rows_by_name(new)["SIGSEGV"].location
    assert row(new, "SIGRTMIN+7")[0] == "blocked" and "SIGRTMIN+7" not in rows_by_name(old)


def test_signal_style_init() -> None:
    table = table_of("inits/minit", "init")
    assert row(table, "SIGCHLD") == ("handler", "on_child", "setup", "signal")  # SIGCLD, after the sigaction
    assert row(table, "SIGTERM") == ("handler", "on_term", "setup", "ON→sigaction")  # installer macro
    assert row(table, "SIGPIPE") == ("ignored", None, "setup", "signal")
    assert row(table, "SIGHUP") == ("default", None, "main", "signal")  # main resets it after setup()
    assert row(table, "SIGQUIT") == ("default", None, None, "default")
    assert rows_by_name(table)["SIGQUIT"].location is None
    assert table.scope.excluded == ("tests/check.c",)
    assert "minit.c:45 run: in a forked child (SIGPIPE)" in table.scope.skipped
    assert "minit.c:25 on_term: inside signal handler on_term() (SIGTERM)" in table.scope.skipped


def test_sigtimedwait_style_init() -> None:
    table = table_of("inits/waitinit", "init")
    by_name = rows_by_name(table)
    assert row(table, "SIGCHLD") == ("blocked", "wait_once", "block_all", "sigprocmask+sigtimedwait")
    assert by_name["SIGCHLD"].dispatch == "case SIGCHLD: reap_children()"
    assert by_name["SIGINT"].dispatch == "case SIGINT: forward_signal()"
    assert by_name["SIGUSR1"].dispatch == "default: forward_signal()"
    for name in ("SIGFPE", "SIGSEGV", "SIGBUS", "SIGILL"):  # removed from the set through the array loop
        assert row(table, name) == ("default", None, None, "default")
    assert by_name["SIGKILL"].disposition == "default" and "cannot be caught" in (by_name["SIGKILL"].note or "")
    assert by_name["SIGTTOU"].disposition == "blocked" and "also ignored" in (by_name["SIGTTOU"].note or "")


def test_tree_that_is_not_an_init(tmp_path: Path) -> None:
    (tmp_path / "calc.c").write_text("int add(int a, int b) { return a + b; }\nint main(void) { return add(1, 2); }\n")
    table = extract_init(DirectorySource(tmp_path), "init")
    assert table.scope.note == (
        "main() and what it calls never change a signal's disposition: every signal keeps its default"
        " action, as for an ordinary program run as a container's PID 1"
    )
    assert [d.disposition for d in table.dispositions] == ["default"] * 31
    assert all(d.location is None for d in table.dispositions)
