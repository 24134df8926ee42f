"""Diff decisions with expectations written from the C of two small trees.

Each test writes an old and a new kernel tree into tmp_path, scans both and says, from
reading the C, how each site and fact must be classified. Report/diff fields other than
sites are read through tests/facts_api.py.
"""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

from analyzer.cli import main
from analyzer.diff import diff_reports
from analyzer.families.kernel import hop_changes
from analyzer.model import Hop, KillPath, Location, Report, Status
from analyzer.scan import scan
from analyzer.sources.directory import DirectorySource
from tests.facts_api import fact_changes, logic_changed, site_changes, write_tree

FLAG = "SIGNAL_UNKILLABLE"


def c(text: str) -> str:
    return textwrap.dedent(text)


def tree(root: Path, files: dict[str, str], tracked: tuple[str, ...] = (FLAG,)) -> Report:
    """Scan a kernel tree written from `files`."""
    write_tree(root, {name: c(text) for name, text in files.items()})
    return scan(DirectorySource(root), tracked, project="kernel")


def rows(old: Report, new: Report) -> list[tuple[str, str | None, str | None, tuple[str, ...]]]:
    """Site rows as (status, old function, new function, differences)."""
    return [
        (
            row.status.value,
            row.old.function if row.old else None,
            row.new.function if row.new else None,
            row.differences,
        )
        for row in site_changes(diff_reports(old, new))
    ]


# Sites


def test_a_change_only_in_the_guard_is_a_change(tmp_path: Path) -> None:
    old = tree(tmp_path / "a", {"k.c": "void f(struct t *t)\n{\n\tif (a(t))\n\t\tt->flags |= SIGNAL_UNKILLABLE;\n}\n"})
    new = tree(tmp_path / "b", {"k.c": "void f(struct t *t)\n{\n\tif (b(t))\n\t\tt->flags |= SIGNAL_UNKILLABLE;\n}\n"})
    assert rows(old, new) == [("changed", "f", "f", ("guards",))]
    assert logic_changed(diff_reports(old, new))


def test_a_change_only_in_what_a_test_guards_is_a_change(tmp_path: Path) -> None:
    old = tree(
        tmp_path / "a", {"k.c": "int f(struct t *t)\n{\n\tif (t->flags & SIGNAL_UNKILLABLE)\n\t\treturn 1;\n}\n"}
    )
    new = tree(
        tmp_path / "b", {"k.c": "int f(struct t *t)\n{\n\tif (t->flags & SIGNAL_UNKILLABLE)\n\t\treturn 0;\n}\n"}
    )
    assert rows(old, new) == [("changed", "f", "f", ("guarded",))]


def test_a_change_only_in_the_preprocessor_condition_is_a_change(tmp_path: Path) -> None:
    body = "void f(struct t *t)\n{\n#ifdef CONFIG_%s\n\tt->flags |= SIGNAL_UNKILLABLE;\n#endif\n}\n"
    old = tree(tmp_path / "a", {"k.c": body % "A"})
    new = tree(tmp_path / "b", {"k.c": body % "B"})
    assert rows(old, new) == [("changed", "f", "f", ("preproc",))]


def test_lines_that_only_moved_are_unchanged_and_do_not_fail_the_gate(tmp_path: Path) -> None:
    code = "void f(struct t *t)\n{\n\tif (a(t))\n\t\tt->flags |= SIGNAL_UNKILLABLE;\n}\n"
    old = tree(tmp_path / "a", {"k.c": code})
    new = tree(tmp_path / "b", {"k.c": "\n\n/* moved down */\n" + code})
    assert rows(old, new) == [("unchanged", "f", "f", ())]
    assert not logic_changed(diff_reports(old, new))


def test_fail_on_change_exit_status_follows_a_guard_change(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = "void f(struct t *t)\n{\n\tif (%s(t))\n\t\tt->flags |= SIGNAL_UNKILLABLE;\n}\n"
    write_tree(tmp_path / "a", {"k.c": code % "a"})
    write_tree(tmp_path / "b", {"k.c": code % "b"})
    write_tree(tmp_path / "c", {"k.c": "\n" + code % "a"})
    same = main(["diff", str(tmp_path / "a"), str(tmp_path / "c"), "--track", FLAG, "--fail-on-change"])
    changed = main(["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--track", FLAG, "--fail-on-change"])
    capsys.readouterr()
    assert (same, changed) == (0, 1)


def test_the_same_statement_in_a_renamed_function_is_moved(tmp_path: Path) -> None:
    stmt = "\tif (signal->flags & SIGNAL_UNKILLABLE)\n\t\tcontinue;\n"
    old = tree(tmp_path / "a", {"s.c": f"int get_signal_to_deliver(void)\n{{\n{stmt}}}\n"})
    new = tree(tmp_path / "b", {"s.c": f"int get_signal(void)\n{{\n{stmt}}}\n"})
    assert rows(old, new) == [("moved", "get_signal_to_deliver", "get_signal", ("function",))]


def test_the_same_function_in_another_file_is_moved(tmp_path: Path) -> None:
    code = "void f(struct t *t)\n{\n\tt->flags |= SIGNAL_UNKILLABLE;\n}\n"
    old = tree(tmp_path / "a", {"init/main.c": code})
    new = tree(tmp_path / "b", {"kernel/fork.c": code})
    assert rows(old, new) == [("moved", "f", "f", ("path",))]


def test_another_expression_in_the_same_function_is_changed(tmp_path: Path) -> None:
    old = tree(tmp_path / "a", {"k.c": "void f(struct t *t)\n{\n\tt->flags |= SIGNAL_UNKILLABLE;\n}\n"})
    new = tree(tmp_path / "b", {"k.c": "void f(struct t *t)\n{\n\tt->signal->flags |= SIGNAL_UNKILLABLE;\n}\n"})
    assert rows(old, new) == [("changed", "f", "f", ("text",))]


def test_a_function_that_keeps_a_site_was_not_renamed(tmp_path: Path) -> None:
    # alpha still has a site in the new tree: its old statement in beta is new there, not moved.
    old = tree(
        tmp_path / "a",
        {
            "k.c": """\
            void alpha(struct t *t)
            {
                t->flags |= SIGNAL_UNKILLABLE;
            }
            int beta(struct t *t)
            {
                return t->flags & SIGNAL_UNKILLABLE;
            }
            """
        },
    )
    new = tree(
        tmp_path / "b",
        {
            "k.c": """\
            void alpha(struct t *t)
            {
                t->signal->flags |= SIGNAL_UNKILLABLE;
            }
            int beta(struct t *t)
            {
                t->flags |= SIGNAL_UNKILLABLE;
                return t->flags & SIGNAL_UNKILLABLE;
            }
            """
        },
    )
    assert sorted(rows(old, new)) == [
        ("added", None, "beta", ()),
        ("changed", "alpha", "alpha", ("text",)),
        ("unchanged", "beta", "beta", ()),
    ]


def test_a_function_that_already_had_a_site_is_no_rename_target(tmp_path: Path) -> None:
    # alpha is gone; beta had a site before, so alpha's statement showing up in beta is no rename.
    old = tree(
        tmp_path / "a",
        {
            "k.c": """\
            void alpha(struct t *t)
            {
                t->flags |= SIGNAL_UNKILLABLE;
            }
            int beta(struct t *t)
            {
                return t->flags & SIGNAL_UNKILLABLE;
            }
            """
        },
    )
    new = tree(
        tmp_path / "b",
        {
            "k.c": """\
            int beta(struct t *t)
            {
                t->flags |= SIGNAL_UNKILLABLE;
                return t->flags & SIGNAL_UNKILLABLE;
            }
            """
        },
    )
    assert sorted(rows(old, new)) == [
        ("added", None, "beta", ()),
        ("removed", "alpha", None, ()),
        ("unchanged", "beta", "beta", ()),
    ]


def test_a_rename_prefers_the_candidate_in_the_same_file(tmp_path: Path) -> None:
    # f (b.c) is gone; g (b.c) and h (a.c) are new with its statement: g, in f's file, is the rename.
    stmt = "\tt->flags |= SIGNAL_UNKILLABLE;\n"
    old = tree(tmp_path / "a", {"b.c": f"void f(struct t *t)\n{{\n{stmt}}}\n"})
    new = tree(
        tmp_path / "b",
        {"a.c": f"void h(struct t *t)\n{{\n{stmt}}}\n", "b.c": f"void g(struct t *t)\n{{\n{stmt}}}\n"},
    )
    assert sorted(rows(old, new)) == [("added", None, "h", ()), ("moved", "f", "g", ("function",))]


def test_changed_sites_pair_with_their_look_alikes(tmp_path: Path) -> None:
    old = tree(
        tmp_path / "a",
        {
            "k.c": """\
            int f(struct t *t, struct t *p)
            {
                if (t->signal->flags & SIGNAL_UNKILLABLE)
                    return 1;
                while (p->flags & SIGNAL_UNKILLABLE)
                    wait();
                return 0;
            }
            """
        },
    )
    new = tree(
        tmp_path / "b",
        {
            "k.c": """\
            int f(struct t *t, struct t *p)
            {
                while (q->flags & SIGNAL_UNKILLABLE)
                    wait();
                if (unlikely(t->signal->flags & SIGNAL_UNKILLABLE))
                    return 1;
                return 0;
            }
            """
        },
    )
    pairs = [(r.old.normalized, r.new.normalized, r.status) for r in site_changes(diff_reports(old, new))]
    assert sorted(pairs) == [
        (
            "if (t->signal->flags & SIGNAL_UNKILLABLE)",
            "if (unlikely(t->signal->flags & SIGNAL_UNKILLABLE))",
            Status.CHANGED,
        ),
        ("while (p->flags & SIGNAL_UNKILLABLE)", "while (q->flags & SIGNAL_UNKILLABLE)", Status.CHANGED),
    ]


def test_a_name_only_one_side_tracked_is_neither_added_nor_removed(tmp_path: Path) -> None:
    code = "void f(struct t *t)\n{\n\tt->flags |= SIGNAL_UNKILLABLE | SIGNAL_GROUP_EXIT;\n}\n"
    old = tree(tmp_path / "a", {"k.c": code}, (FLAG,))
    new = tree(tmp_path / "b", {"k.c": code}, (FLAG, "SIGNAL_GROUP_EXIT"))
    assert rows(old, new) == [("unchanged", "f", "f", ())]
    assert not logic_changed(diff_reports(old, new))


# Facts around the flag

SIGNAL_H = """\
#define SIG_KERNEL_ONLY_MASK (\\
\trt_sigmask(SIGKILL)   |  rt_sigmask(SIGSTOP))
#define SIG_KERNEL_STOP_MASK (\\
\trt_sigmask(SIGSTOP)   |  rt_sigmask(SIGTSTP))
"""
MASKS = ("SIG_KERNEL_ONLY_MASK", "SIG_KERNEL_STOP_MASK")


def mask_rows(old: Report, new: Report) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted(
        ((r.new or r.old).name, r.status.value, r.differences) for r in fact_changes(diff_reports(old, new), "mask")
    )


def test_signal_classes_unchanged_changed_and_moved(tmp_path: Path) -> None:
    old = tree(tmp_path / "a", {"include/linux/signal.h": SIGNAL_H}, MASKS)
    same = tree(tmp_path / "b", {"include/linux/signal.h": "\n" + SIGNAL_H}, MASKS)
    more = tree(
        tmp_path / "c",
        {"include/linux/signal.h": SIGNAL_H.replace("SIGTSTP))", "SIGTSTP) | rt_sigmask(SIGTTIN))")},
        MASKS,
    )
    moved = tree(tmp_path / "d", {"include/linux/sched/signal.h": SIGNAL_H}, MASKS)
    assert mask_rows(old, same) == [
        ("SIG_KERNEL_ONLY_MASK", "unchanged", ()),
        ("SIG_KERNEL_STOP_MASK", "unchanged", ()),
    ]
    assert mask_rows(old, more) == [
        ("SIG_KERNEL_ONLY_MASK", "unchanged", ()),
        ("SIG_KERNEL_STOP_MASK", "changed", ("signals",)),
    ]
    assert mask_rows(old, moved) == [
        ("SIG_KERNEL_ONLY_MASK", "moved", ("path",)),
        ("SIG_KERNEL_STOP_MASK", "moved", ("path",)),
    ]
    assert not logic_changed(diff_reports(old, same)) and logic_changed(diff_reports(old, more))


SIGNAL_C = """\
static bool sig_task_ignored(struct task_struct *t, int sig)
{
	if (t->signal->flags & SIGNAL_UNKILLABLE)
		return true;
	return false;
}

static int %(sender)s(int sig, struct kernel_siginfo *info, struct task_struct *t)
{
	bool force = false;

	if (%(cond)s) {
		force = !task_pid_nr_ns(current, task_active_pid_ns(t));
	}
	if (sig_task_ignored(t, sig) && !force)
		return 0;
	return deliver(sig, info, t, force);
}

SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)
{
	return %(sender)s(sig, NULL, find_task_by_vpid(pid));
}
"""


def signal_c(root: Path, sender: str = "send_signal", cond: str = "info == SEND_SIG_NOINFO") -> Report:
    return tree(root, {"kernel/signal.c": SIGNAL_C % {"sender": sender, "cond": cond}})


def test_force_decision_unchanged_changed_and_moved(tmp_path: Path) -> None:
    old = signal_c(tmp_path / "a")

    def statuses(new: Report) -> list[tuple[str, str, tuple[str, ...]]]:
        return [(r.new.value, r.status.value, r.differences) for r in fact_changes(diff_reports(old, new), "force")]

    value = "!task_pid_nr_ns(current, task_active_pid_ns(t))"
    assert statuses(signal_c(tmp_path / "b")) == [("false", "unchanged", ()), (value, "unchanged", ())]
    assert statuses(signal_c(tmp_path / "c", cond="info == SEND_SIG_PRIV")) == [
        ("false", "unchanged", ()),
        (value, "changed", ("guards",)),
    ]
    assert statuses(signal_c(tmp_path / "d", sender="send_signal_locked")) == [
        ("false", "moved", ("function",)),
        (value, "moved", ("function",)),
    ]


def test_kill_path_unchanged_and_changed(tmp_path: Path) -> None:
    old = signal_c(tmp_path / "a")

    def statuses(new: Report) -> list[tuple[str, str, tuple[str, ...]]]:
        return [
            (r.new.target, r.status.value, r.differences) for r in fact_changes(diff_reports(old, new), "kill_path")
        ]

    assert statuses(signal_c(tmp_path / "b", cond="info == SEND_SIG_PRIV")) == [("sig_task_ignored", "unchanged", ())]
    renamed = diff_reports(old, signal_c(tmp_path / "c", sender="send_signal_locked"))
    assert [(r.status, r.differences) for r in fact_changes(renamed, "kill_path")] == [(Status.CHANGED, ("hops",))]
    (row,) = fact_changes(renamed, "kill_path")
    assert hop_changes(row.old, row.new) == ["renamed send_signal -> send_signal_locked"]


def path_of(*names: str) -> KillPath:
    where = Location("kernel/signal.c", 1, 1)
    return KillPath(names[-1], tuple(Hop(a, b, where) for a, b in itertools.pairwise(names)), True)


def test_hop_changes_name_added_removed_and_renamed_hops() -> None:
    old = path_of("sys_kill", "kill_something_info", "send_signal", "__send_signal", "sig_task_ignored")
    new = path_of("sys_kill", "kill_something_info", "kill_proc_info", "send_signal_locked", "sig_task_ignored")
    # kill_proc_info looks like nothing that left; send_signal_locked looks like send_signal.
    assert hop_changes(old, new) == [
        "added kill_proc_info",
        "renamed send_signal -> send_signal_locked",
        "removed __send_signal",
    ]
    assert hop_changes(old, old) == []
    assert hop_changes(path_of("sys_kill", "a", "t"), path_of("sys_kill", "t")) == ["removed a"]


def test_a_range_label_in_a_dispatch_summary_is_no_change() -> None:
    # systemd v247 -> v257: "default: SIGRTMIN+13..+16: m->objective = ..." became "..+17:":
    # the branch took one more row, the rows it already had do the same.
    from analyzer.diff import diff_records
    from analyzer.families import family
    from analyzer.model import Disposal, Disposition, Location

    where = Location("src/core/manager.c", 590, 1)

    def row(dispatch: str) -> Disposition:
        return Disposition("SIGRTMIN+13", Disposal.BLOCKED, "f", where, "g", "signalfd", dispatch)

    same = diff_records(
        family("disposition"), [row("default: SIGRTMIN+13..+16: x()")], [row("default: SIGRTMIN+13..+17: x()")]
    )
    other = diff_records(
        family("disposition"), [row("default: SIGRTMIN+13..+16: x()")], [row("default: SIGRTMIN+13..+16: y()")]
    )
    assert [c.status.value for c in same] == ["unchanged"]
    assert [(c.status.value, c.differences) for c in other] == [("changed", ("dispatch",))]
