"""What a tree is, and which program in it is PID 1: expectations typed from the fixture C."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.extract import detect_project
from analyzer.extract.init import extract_init
from analyzer.model import Project
from analyzer.sources.directory import DirectorySource
from tests.conftest import FIXTURES


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def rows(table_or_report: object) -> dict[str, tuple[str, str | None, str | None]]:
    """Rows that are not default, as signal -> (disposition, handler, dispatch)."""
    found = table_or_report.dispositions  # type: ignore[attr-defined]
    return {d.signal: (d.disposition.value, d.handler, d.dispatch) for d in found if d.disposition != "default"}


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_a_multi_call_init_runs_its_init_applet_as_pid1() -> None:
    # fixtures/inits/multicall: main.c's table pairs "init" with pid1_entry (init.c); halt.c's
    # halt_entry and tools/mkapplets.c's main() are other programs.
    table = extract_init(DirectorySource(FIXTURES / "inits" / "multicall"), "init")
    assert (table.scope.entry, table.scope.main) == ("pid1_entry", "init.c")
    assert rows(table) == {
        "SIGHUP": ("ignored", None, None),  # init.c:23 signal(SIGHUP, SIG_IGN)
        "SIGUSR1": ("blocked", "pid1_entry", "if (SIGUSR1): reload()"),  # sigwait, then if (sig == SIGUSR1)
        "SIGTERM": ("handler", "on_term", None),  # init.c:22 signal(SIGTERM, on_term)
    }
    assert table.scope.excluded == ("tools/mkapplets.c",)
    assert table.scope.skipped == ("halt.c:8 halt_entry: not reached from pid1_entry() of init.c (SIGTERM)",)


def test_a_busybox_style_init_main_is_pid1(tmp_path: Path) -> None:
    # busybox builds its applet table at build time: its init applet is found by its name.
    tree = write(
        tmp_path,
        {
            "include/applets.h": "int init_main(int argc, char **argv);\n",
            "libbb/appletlib.c": "int main(int argc, char **argv)\n{\n\treturn run_applet(argv);\n}\n",
            "init/init.c": (
                "#include <signal.h>\n"
                "int init_main(int argc, char **argv)\n"
                "{\n"
                "\tsignal(SIGINT, SIG_IGN);\n"
                "\treturn 0;\n"
                "}\n"
            ),
            "Makefile": "VERSION = 1\nPATCHLEVEL = 38\nSUBLEVEL = 0\n",  # kbuild-style, yet no kernel
        },
    )
    source = DirectorySource(tree)
    assert source.info.release is None and detect_project(source) is Project.INIT
    table = extract_init(source, "init")
    assert (table.scope.entry, table.scope.main) == ("init_main", "init/init.c")
    assert rows(table) == {"SIGINT": ("ignored", None, None)}


@pytest.mark.parametrize(
    "files", [{}, {"README": "no code here\n"}, {"lib.c": "int add(int a, int b) { return a + b; }\n"}]
)
def test_a_tree_with_no_program_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str]
) -> None:
    code, out, err = run(capsys, "scan", str(write(tmp_path, files)))
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == (
        f"siganalyze: error: no program in {tmp_path}: no C file defines main() or an init applet's entry"
        " (queries/init/entry-points.txt)"
    )


def test_a_program_that_touches_no_signal_is_a_valid_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = write(tmp_path, {"app.c": "int main(void)\n{\n\treturn 0;\n}\n"})
    code, out, _ = run(capsys, "scan", str(tree), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["project"] == "init"
    assert {row["disposition"] for row in data["dispositions"]} == {"default"}
    assert "never change a signal's disposition" in data["init"]["note"]


def test_an_out_of_tree_module_is_kernel_code_and_its_clear_is_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    # fixtures/kmod/unkill/unkill.c:12 clears the flag in the module's init function.
    code, out, err = run(capsys, "scan", str(FIXTURES / "kmod" / "unkill"), "--format", "json")
    data = json.loads(out)
    sites = [(s["kind"], s["function"], s["path"], s["line"]) for s in data["sites"]]
    assert code == 0 and data["project"] == "kernel" and data["init"] is None
    assert sites == [("clear", "unkill_init", "unkill.c", 12)]
    assert "siganalyze: warning: unkill.c:12: unkill_init clears SIGNAL_UNKILLABLE outside the kernel's" in err
    assert "becomes killable" in err


def test_the_kernels_own_clear_is_no_warning(kernel_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # fixtures/kernel/r2 clears the flag in force_sig_info only: the forced-signal path.
    code, _, err = run(capsys, "scan", "v-r2", "--repo", str(kernel_repo))
    assert code == 0 and "clears SIGNAL_UNKILLABLE" not in err


# A busybox-shaped init, written for these tests: its libbb-style helpers, a parent that
# blocks every signal around vfork and unblocks it, a child that resets handlers, a
# shutdown reached only once a signal arrived, and a debug block compiled out by a
# `#define ... 0` in the same file.
BUSYBOX_SHAPED = {
    "include/libbb.h": (
        "int sigprocmask_allsigs(int how);\n"
        "void bb_signals(int sigs, void (*f)(int));\n"
        "void bb_signals_recursive_norestart(int sigs, void (*f)(int));\n"
        "int sigaction_set(int sig, const struct sigaction *act);\n"
    ),
    "libbb/signals.c": (
        "#include <signal.h>\n"
        "int sigprocmask_allsigs(int how)\n{\n\tsigset_t set;\n\tsigfillset(&set);\n"
        "\treturn sigprocmask(how, &set, NULL);\n}\n"
    ),
    "init/init.c": """\
#include <signal.h>
#include "libbb.h"
#define DEBUG_SEGV_HANDLER 0

static volatile int got;
static void record_signo(int sig) { got = sig; }
static void stop_handler(int sig) { got = sig; }

static void reset_sighandlers_and_unblock_sigs(void)
{
	bb_signals((1 << SIGTSTP) | (1 << SIGSTOP), SIG_DFL);
	sigprocmask_allsigs(SIG_UNBLOCK);
}

static int run(void)
{
	int pid;

	sigprocmask_allsigs(SIG_BLOCK);
	pid = vfork();
	if (pid) {
		sigprocmask_allsigs(SIG_UNBLOCK);
		return pid;
	}
	reset_sighandlers_and_unblock_sigs();
	return 0;
}

static void halt_reboot_pwoff(int sig)
{
	reset_sighandlers_and_unblock_sigs();
}

int init_main(int argc, char **argv)
{
	struct sigaction sa;

#if DEBUG_SEGV_HANDLER
	sa.sa_handler = record_signo;
	sigaction_set(SIGSEGV, &sa);
#endif
	sa.sa_handler = stop_handler;
	sigaction_set(SIGTSTP, &sa);
	bb_signals_recursive_norestart((1 << SIGINT) + (1 << SIGTERM), record_signo);
	for (;;) {
		run();
		if (got == SIGTERM)
			halt_reboot_pwoff(got);
	}
}
""",
    "libbb/appletlib.c": "int main(int argc, char **argv)\n{\n\treturn run_applet(argv);\n}\n",
}


def test_a_busybox_shaped_init(tmp_path: Path) -> None:
    table = extract_init(DirectorySource(write(tmp_path, BUSYBOX_SHAPED)), "init")
    assert (table.scope.entry, table.scope.main) == ("init_main", "init/init.c")
    # init_main: TSTP -> stop_handler; INT, TERM -> record_signo. run() blocks every signal
    # and the parent unblocks it again; the child's reset and the shutdown's reset (only once
    # SIGTERM arrived) are not PID 1's steady state; SIGSEGV's handler is compiled out.
    assert rows(table) == {
        "SIGINT": ("handler", "record_signo", None),
        "SIGTERM": ("handler", "record_signo", None),
        "SIGTSTP": ("handler", "stop_handler", None),
    }
    skipped = "\n".join(table.scope.skipped)
    assert "libbb/signals.c:6 sigprocmask_allsigs: sigprocmask(how, ...): how is no constant" in skipped


def test_a_branch_only_a_user_manager_takes_is_not_pid1s(tmp_path: Path) -> None:
    # fixtures/systemd/r2/src/core/manager.c: `case SIGUSR2: if (MANAGER_IS_USER(m)) { m->objective
    # = MANAGER_EXIT; break; } manager_dump(m);` -- PID 1, the system manager, dumps its state.
    table = extract_init(DirectorySource(FIXTURES / "systemd" / "r2"), "systemd")
    usr2 = next(d for d in table.dispositions if d.signal == "SIGUSR2")
    assert (usr2.disposition, usr2.dispatch) == ("blocked", "case SIGUSR2: manager_dump()")


@pytest.mark.parametrize(
    ("condition", "value"),
    [
        ("(MANAGER_IS_USER(m))", False),
        ("(!MANAGER_IS_SYSTEM(manager))", False),
        ("(MANAGER_IS_SYSTEM(m) && arg_show_status)", None),
        ("(MANAGER_IS_USER(m) || getpid_cached() == 1)", True),
        ("(MANAGER_IS_USER(m) && arg_x)", False),
        ("(arg_x)", None),
    ],
)
def test_what_pid1_knows_of_a_condition(condition: str, value: bool | None) -> None:
    from analyzer.extract.init.conditions import value_in_pid1

    assert value_in_pid1(condition) is value
