"""Around the flag: init predicates, signal classes, the force decision and the kill path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzer.diff import diff_reports
from analyzer.extract.callgraph import kill_paths
from analyzer.families.kernel import hop_changes
from analyzer.model import Report, Status
from analyzer.scan import analyze_one, scan_many
from analyzer.sources import open_source


@pytest.fixture
def releases(kernel_repo: Path) -> dict[str, Report]:
    refs = ("v-r2", "v-r3")
    return dict(zip(refs, scan_many([open_source(ref, str(kernel_repo)) for ref in refs]), strict=True))


def chain(report: Report, target: str) -> list[str]:
    (path,) = [p for p in report.of("kill_path") if p.target == target]
    return [path.hops[0].caller, *(hop.callee for hop in path.hops)]


def test_signal_classes_resolve_with_the_conditional_term(releases: dict[str, Report]) -> None:
    masks = {m.name: m for m in releases["v-r2"].of("mask")}
    assert masks["SIG_KERNEL_ONLY_MASK"].signals == ("SIGKILL", "SIGSTOP")
    coredump = masks["SIG_KERNEL_COREDUMP_MASK"]
    assert "SIGSYS" not in coredump.signals and len(coredump.signals) == 9
    assert [(c.signal, c.condition) for c in coredump.conditional] == [("SIGEMT", "#ifdef SIGEMT")]
    assert coredump.unresolved == ()


def test_signal_class_diff_shows_the_set_change(releases: dict[str, Report]) -> None:
    result = diff_reports(releases["v-r2"], releases["v-r3"])
    rows = {(c.old.name if c.old else c.new.name, c.status) for c in result.of("mask")}  # type: ignore[union-attr]
    assert ("SIG_KERNEL_COREDUMP_MASK", Status.CHANGED) in rows
    assert ("SIG_KERNEL_ONLY_MASK", Status.UNCHANGED) in rows


def test_predicates_are_defined_with_their_expression_and_called(releases: dict[str, Report]) -> None:
    r2, r3 = releases["v-r2"], releases["v-r3"]
    defines = {(s.ident, s.value) for s in r3.sites if s.kind == "define" and s.ident.startswith("is_")}
    assert defines == {("is_global_init", "tsk->pid == 1"), ("is_child_reaper", "pid->numbers[pid->level].nr == 1")}
    calls = {(s.ident, s.function, s.location.path) for s in r2.sites if s.kind == "call"}
    assert ("is_global_init", "oom_unkillable_task", "mm/oom_kill.c") in calls
    assert ("is_container_init", "oom_kill_task", "mm/oom_kill.c") in calls
    exit_call = next(s for s in r3.sites if s.kind == "call" and s.function == "do_exit")
    assert exit_call.normalized == "if (unlikely(is_global_init(tsk)))" and exit_call.guarded.startswith("panic(")  # type: ignore[union-attr]


def test_force_decision_in_2_6_style(releases: dict[str, Report]) -> None:
    rows = [(f.function, f.variable, f.value, f.preproc) for f in releases["v-r2"].of("force")]
    assert rows[0] == ("send_signal", "from_ancestor_ns", "0", ())
    assert rows[1][:2] == ("send_signal", "from_ancestor_ns") and rows[1][3] == ("#ifdef CONFIG_PID_NS",)
    assert all(f.function != "want_core_dump" for f in releases["v-r3"].of("force"))  # a local never passed on


def test_force_decision_keeps_its_else_if_chain() -> None:
    source = textwrap.dedent("""\
        int send_signal_locked(int sig, struct kernel_siginfo *info, struct task_struct *t)
        {
            bool force = false;

            if (info == SEND_SIG_NOINFO) {
                force = !task_pid_nr_ns(current, task_active_pid_ns(t));
            } else if (info == SEND_SIG_PRIV) {
                force = true;
            }
            return deliver(sig, info, t, force);
        }
        """).encode()
    force = analyze_one("kernel/signal.c", "b", source, ("SIGNAL_UNKILLABLE",)).of("force")
    assert [(f.value, [(g.condition, g.branch) for g in f.guards]) for f in force] == [
        ("false", []),
        ("!task_pid_nr_ns(current, task_active_pid_ns(t))", [("info == SEND_SIG_NOINFO", "then")]),
        ("true", [("info == SEND_SIG_PRIV", "then"), ("info == SEND_SIG_NOINFO", "else")]),
    ]


def test_kill_path_per_release_and_its_diff(releases: dict[str, Report]) -> None:
    r2, r3 = releases["v-r2"], releases["v-r3"]
    assert chain(r2, "sig_task_ignored") == [
        "sys_kill",
        "kill_something_info",
        "kill_pid_info",
        "group_send_sig_info",
        "send_signal",
        "prepare_signal",
        "sig_ignored",
        "sig_task_ignored",
    ]
    assert chain(r3, "sig_task_ignored")[4:6] == ["do_send_sig_info", "send_signal_locked"]
    primary = next(p for p in r3.of("kill_path") if p.primary)
    assert primary.target == "sig_task_ignored"
    old = next(p for p in r2.of("kill_path") if p.target == "sig_task_ignored")
    assert hop_changes(old, primary) == ["added do_send_sig_info", "renamed send_signal -> send_signal_locked"]


def test_kill_path_follows_the_first_call_not_the_shortest() -> None:
    source = textwrap.dedent("""\
        static bool sig_task_ignored(struct task_struct *t, int sig)
        {
            if (t->signal->flags & SIGNAL_UNKILLABLE)
                return true;
            return false;
        }
        static int send_one(int sig, struct task_struct *t) { return sig_task_ignored(t, sig); }
        static int kill_pid_info(int sig, struct pid *pid) { return via_pid(sig, pid); }
        static int via_pid(int sig, struct pid *pid) { return send_one(sig, pid_task(pid)); }
        static int kill_something_info(int sig, pid_t pid)
        {
            if (pid > 0)
                return kill_pid_info(sig, find_vpid(pid));
            for_each_process(p)
                send_one(sig, p);
            return 0;
        }
        SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)
        {
            return kill_something_info(sig, pid);
        }
        """).encode()
    result = analyze_one("kernel/signal.c", "b", source, ("SIGNAL_UNKILLABLE",))
    (path,) = kill_paths(result.of("call"), result.sites)
    assert [path.hops[0].caller, *(h.callee for h in path.hops)] == [
        "sys_kill",
        "kill_something_info",
        "kill_pid_info",
        "via_pid",
        "send_one",
        "sig_task_ignored",
    ]
    assert path.primary


def test_any_identifier_can_be_tracked(kernel_repo: Path) -> None:
    (report,) = scan_many([open_source("v-r2", str(kernel_repo))], ("SIGNAL_GROUP_EXIT",))
    kinds = {(s.kind.value, s.function) for s in report.sites}
    assert ("define", "SIGNAL_GROUP_EXIT") in kinds
    assert ("test", "complete_signal") in kinds
    assert report.warnings == ()
