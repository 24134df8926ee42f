"""Diff decisions with expectations written from the C of two small trees.

Each test writes an old and a new kernel tree into tmp_path, scans both and says, from
reading the C, how each site and fact must be classified. Report/diff fields other than
sites are read through tests/facts_api.py.
"""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from analyzer import families
from analyzer.cli import main
from analyzer.diff import diff_reports
from analyzer.families import Change, Family, change_lines, change_message, default_change_lines
from analyzer.families.kernel import hop_changes
from analyzer.model import (
    ConditionalSignal,
    Disposition,
    ForceAssignment,
    Guard,
    Hop,
    KillPath,
    Location,
    Report,
    SignalMask,
    Site,
    Status,
)
from analyzer.scan import scan
from analyzer.sources.directory import DirectorySource
from analyzer.vocab import Attribution, Branch, Construct, Disposal, SiteKind
from tests.facts_api import fact_changes, kill_paths, logic_changed, names_compared, site_changes, write_tree

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


def test_names_without_occurrences_and_names_one_side_tracked(tmp_path: Path) -> None:
    # old: the flag and SIGNAL_STOP set, is_global_init nowhere; new: only is_global_init called
    old = tree(
        tmp_path / "a",
        {"k.c": "void f(struct t *t)\n{\n\tt->flags |= SIGNAL_UNKILLABLE | SIGNAL_STOP;\n}\n"},
        (FLAG, "is_global_init", "SIGNAL_STOP"),
    )
    new = tree(
        tmp_path / "b",
        {"k.c": "int f(struct t *t)\n{\n\treturn is_global_init(t);\n}\n"},
        (FLAG, "is_global_init", "SIGNAL_GROUP_EXIT"),
    )
    diff = diff_reports(old, new)
    assert names_compared(diff) == {
        "tracked": (FLAG, "is_global_init"),
        "absent_in_old": ("is_global_init",),
        "absent_in_new": (FLAG,),
        "untracked_in_old": ("SIGNAL_GROUP_EXIT",),
        "untracked_in_new": ("SIGNAL_STOP",),
    }
    # only the names both sides searched for have rows: SIGNAL_STOP's set is no removal
    assert sorted((r.status.value, (r.old or r.new).ident) for r in site_changes(diff)) == [
        ("added", "is_global_init"),
        ("removed", FLAG),
    ]


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


def test_the_kill_path_goes_through_headers_but_not_other_c_files(tmp_path: Path) -> None:
    # send_signal (signal.c) calls sig_ignored, a static inline of a header that calls
    # unkillable, which tests the flag. fork.c has its own static send_signal calling a test
    # of the flag: another function of the same name, not on the kill path.
    report = tree(
        tmp_path,
        {
            "include/linux/sigignore.h": """\
            static inline bool unkillable(struct task_struct *t)
            {
                if (t->signal->flags & SIGNAL_UNKILLABLE)
                    return true;
                return false;
            }
            static inline bool sig_ignored(struct task_struct *t)
            {
                return unkillable(t);
            }
            """,
            "kernel/signal.c": """\
            static int send_signal(int sig, struct task_struct *t)
            {
                /* init (SIGNAL_UNKILLABLE) is handled in sig_ignored() */
                if (sig_ignored(t))
                    return 0;
                return deliver(sig, t);
            }
            SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)
            {
                return send_signal(sig, find_task_by_vpid(pid));
            }
            """,
            "kernel/fork.c": """\
            static bool fork_test(struct task_struct *t)
            {
                if (t->signal->flags & SIGNAL_UNKILLABLE)
                    return true;
                return false;
            }
            static int send_signal(int sig, struct task_struct *t)
            {
                return fork_test(t);
            }
            """,
        },
    )
    from analyzer.families.kernel import hop_names

    assert [(k.target, hop_names(k)[1:]) for k in kill_paths(report)] == [
        ("unkillable", ("send_signal", "sig_ignored", "unkillable"))
    ]


def test_a_same_named_static_function_of_another_file_is_no_kill_path_target(tmp_path: Path) -> None:
    # fork.c's static send_signal tests the flag; the send_signal kill(2) calls is signal.c's own,
    # which only calls sig_task_ignored. The one kill path is to sig_task_ignored.
    report = tree(
        tmp_path,
        {
            "kernel/signal.c": """\
            static bool sig_task_ignored(struct task_struct *t, int sig)
            {
                if (t->signal->flags & SIGNAL_UNKILLABLE)
                    return true;
                return false;
            }
            static int send_signal(int sig, struct task_struct *t)
            {
                if (sig_task_ignored(t, sig))
                    return 0;
                return deliver(sig, t);
            }
            SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)
            {
                return send_signal(sig, find_task_by_vpid(pid));
            }
            """,
            "kernel/fork.c": """\
            static int send_signal(struct task_struct *t)
            {
                if (t->signal->flags & SIGNAL_UNKILLABLE)
                    return 0;
                return 1;
            }
            """,
        },
    )
    assert [k.target for k in kill_paths(report)] == ["sig_task_ignored"]


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


def test_a_look_alike_at_the_threshold_is_a_rename() -> None:
    # send_signal / group_send_sig_info: "send_sig" and "n" in common, 9 of 11 + 19 characters,
    # 2 * 9 / 30 = 0.6, exactly the threshold
    old = path_of("sys_kill", "send_signal", "sig_task_ignored")
    new = path_of("sys_kill", "group_send_sig_info", "sig_task_ignored")
    assert hop_changes(old, new) == ["renamed send_signal -> group_send_sig_info"]
    # below it (do_tkill / send_signal: 4 characters in common of 19, 0.42), an addition and a removal
    assert hop_changes(old, path_of("sys_kill", "do_tkill", "sig_task_ignored")) == [
        "added do_tkill",
        "removed send_signal",
    ]


def test_a_chain_without_hops_names_no_function() -> None:
    from analyzer.families.kernel import hop_names

    assert hop_names(KillPath("__do_sys_kill", (), True)) == ()
    assert hop_names(path_of("sys_kill", "a", "t")) == ("sys_kill", "a", "t")


# Each family's levels and compared fields, on hand-built records. The `Family(...)`
# declarations are module-level tables mutmut does not mutate: these tests pin their keys
# (strict to loose), the status each level gives and the fields each family compares.

HERE, THERE = Location("kernel/signal.c", 10, 1), Location("kernel/exit.c", 20, 1)


def family_rows(name: str, old: list[object], new: list[object]) -> list[tuple[str, tuple[str, ...]]]:
    """(status, differences) of each change of one family, sorted."""
    from analyzer.diff import diff_records

    return sorted((c.status.value, c.differences) for c in diff_records(families.family(name), old, new))


def site(
    function: str | None = "f",
    where: Location = HERE,
    text: str = "t->flags |= SIGNAL_UNKILLABLE",
    kind: SiteKind = SiteKind.SET,
    **more: object,
) -> Site:
    fields: dict[str, Any] = dict(
        ident=FLAG,
        kind=kind,
        location=where,
        function=function,
        attributed_by=Attribution.PARSER,
        construct=Construct.ASSIGNMENT,
        text=text,
        normalized=text,
    )
    return Site(**(fields | more))


def test_site_levels_strict_then_moved_then_changed() -> None:
    guard = (Guard("a(t)", Branch.THEN),)
    # strict: same logic and file; another line, another column, combined_with and value are not compared
    moved_down = site(where=Location(HERE.path, 99, 5), combined_with=("X",), value="1")
    assert family_rows("site", [site()], [moved_down]) == [("unchanged", ())]
    assert family_rows("site", [site()], [site(guards=guard)]) == [("changed", ("guards",))]
    assert family_rows("site", [site()], [site(guarded="return 1;")]) == [("changed", ("guarded",))]
    assert family_rows("site", [site()], [site(preproc=("CONFIG_A",))]) == [("changed", ("preproc",))]
    # same text: moved when only its place differs, changed when its context differs too
    assert family_rows("site", [site()], [site(where=THERE)]) == [("moved", ("path",))]
    assert family_rows("site", [site()], [site("g")]) == [("moved", ("function",))]
    assert family_rows("site", [site()], [site("g", THERE)]) == [("moved", ("function", "path"))]
    assert family_rows("site", [site()], [site("g", guards=guard)]) == [("changed", ("function", "guards"))]
    assert family_rows("site", [site()], [site(where=THERE, preproc=("X",))]) == [("changed", ("path", "preproc"))]
    # same function, other text: changed; other file too
    other = "t->signal->flags |= SIGNAL_UNKILLABLE"
    assert family_rows("site", [site()], [site(text=other)]) == [("changed", ("text",))]
    assert family_rows("site", [site()], [site(where=THERE, text=other)]) == [("changed", ("path", "text"))]
    # another kind, or another text in another function, never pairs
    assert family_rows("site", [site()], [site(kind=SiteKind.CLEAR)]) == [("added", ()), ("removed", ())]
    assert family_rows("site", [site()], [site("g", text=other)]) == [("added", ()), ("removed", ())]


def test_site_rename_veto_on_records() -> None:
    # f keeps another site in the new release: its statement showing up in g is no rename
    kept = site(text="t->flags & SIGNAL_UNKILLABLE", kind=SiteKind.TEST)
    assert family_rows("site", [site(), kept], [site("g"), kept]) == [("added", ()), ("removed", ()), ("unchanged", ())]
    # g had a site of the name in the old release: no rename target either
    had = site("g", text="t->flags & SIGNAL_UNKILLABLE", kind=SiteKind.TEST)
    assert family_rows("site", [site(), had], [site("g"), had]) == [("added", ()), ("removed", ()), ("unchanged", ())]
    # a site of another tracked name in f or g does not veto
    other_name = site(text="is_global_init(t)", kind=SiteKind.CALL, ident="is_global_init")
    assert family_rows("site", [site(), other_name], [site("g"), other_name]) == [
        ("moved", ("function",)),
        ("unchanged", ()),
    ]
    # the same function in another file is always a move, whatever else f has
    assert family_rows("site", [site(), kept], [site(where=THERE), kept]) == [("moved", ("path",)), ("unchanged", ())]


def test_mask_levels_and_compared_fields() -> None:
    def mask(where: Location = HERE, signals: tuple[str, ...] = ("SIGKILL", "SIGSTOP"), **more: Any) -> SignalMask:
        return SignalMask("SIG_KERNEL_ONLY_MASK", where, signals, **more)

    assert family_rows("mask", [mask()], [mask(Location(HERE.path, 1, 1))]) == [("unchanged", ())]
    assert family_rows("mask", [mask()], [mask(signals=("SIGKILL",))]) == [("changed", ("signals",))]
    conditional = (ConditionalSignal("SIGEMT", "defined(SIGEMT)"),)
    assert family_rows("mask", [mask()], [mask(conditional=conditional)]) == [("changed", ("conditional",))]
    assert family_rows("mask", [mask()], [mask(unresolved=("SIGFOO",))]) == [("changed", ("unresolved",))]
    assert family_rows("mask", [mask()], [mask(THERE)]) == [("moved", ("path",))]
    assert family_rows("mask", [mask()], [mask(THERE, ("SIGKILL",))]) == [("changed", ("signals", "path"))]
    other = SignalMask("SIG_KERNEL_STOP_MASK", HERE, ("SIGKILL", "SIGSTOP"))
    assert family_rows("mask", [mask()], [other]) == [("added", ()), ("removed", ())]


def test_force_levels_and_compared_fields() -> None:
    guard = (Guard("info == SEND_SIG_NOINFO", Branch.THEN),)

    def force(function: str = "send_signal", where: Location = HERE, value: str = "!x", **more: Any) -> ForceAssignment:
        return ForceAssignment("force", value, function, where, f"force = {value};", **(dict(guards=guard) | more))

    assert family_rows("force", [force()], [force(where=Location(HERE.path, 1, 1))]) == [("unchanged", ())]
    assert family_rows("force", [force()], [force(where=THERE)]) == [("moved", ("path",))]
    assert family_rows("force", [force()], [force(preproc=("CONFIG_PID_NS",))]) == [("changed", ("preproc",))]
    assert family_rows("force", [force()], [force("send_signal_locked")]) == [("moved", ("function",))]
    assert family_rows("force", [force()], [force("g", preproc=("X",))]) == [("changed", ("function", "preproc"))]
    assert family_rows("force", [force()], [force(guards=())]) == [("changed", ("guards",))]
    # another value, another variable, or other guards in another function: no pair
    assert family_rows("force", [force()], [force(value="true")]) == [("added", ()), ("removed", ())]
    assert family_rows("force", [force()], [force("g", guards=())]) == [("added", ()), ("removed", ())]
    renamed = ForceAssignment("from_ancestor_ns", "!x", "send_signal", HERE, "from_ancestor_ns = !x;", guard)
    assert family_rows("force", [force()], [renamed]) == [("added", ()), ("removed", ())]


def test_kill_path_level_and_compared_fields() -> None:
    chain = path_of("sys_kill", "send_signal", "sig_task_ignored")
    assert family_rows("kill_path", [chain], [chain]) == [("unchanged", ())]
    longer = path_of("sys_kill", "kill_something_info", "send_signal", "sig_task_ignored")
    assert family_rows("kill_path", [chain], [longer]) == [("changed", ("hops",))]
    secondary = KillPath(chain.target, chain.hops, False)
    assert family_rows("kill_path", [chain], [secondary]) == [("changed", ("primary",))]
    # the same functions called from other lines: unchanged (hop places are not compared)
    elsewhere = KillPath(chain.target, tuple(Hop(h.caller, h.callee, THERE) for h in chain.hops), True)
    assert family_rows("kill_path", [chain], [elsewhere]) == [("unchanged", ())]
    assert family_rows("kill_path", [chain], [path_of("sys_kill", "send_signal", "other")]) == [
        ("added", ()),
        ("removed", ()),
    ]


def test_disposition_level_and_compared_fields() -> None:
    def row(where: Location | None = HERE, **more: Any) -> Disposition:
        fields: dict[str, Any] = dict(
            signal="SIGTERM",
            disposition=Disposal.HANDLER,
            handler="on_term",
            location=where,
            function="main",
            via="sigaction",
        )
        return Disposition(**(fields | more))

    assert family_rows("disposition", [row()], [row(Location(HERE.path, 1, 1))]) == [("unchanged", ())]
    assert family_rows("disposition", [row()], [row(note="after reset_all")]) == [("unchanged", ())]
    assert family_rows("disposition", [row()], [row(THERE)]) == [("moved", ("path",))]
    assert family_rows("disposition", [row()], [row(function="setup")]) == [("changed", ("function",))]
    assert family_rows("disposition", [row()], [row(handler="on_hup")]) == [("changed", ("handler",))]
    assert family_rows("disposition", [row()], [row(via="signal")]) == [("changed", ("via",))]
    assert family_rows("disposition", [row()], [row(dispatch="case SIGTERM: stop")]) == [("changed", ("dispatch",))]
    ignored = row(disposition=Disposal.IGNORED, handler=None)
    assert family_rows("disposition", [row()], [ignored]) == [("changed", ("disposition", "handler"))]
    assert family_rows("disposition", [row()], [row(signal="SIGINT")]) == [("added", ()), ("removed", ())]


# Reading order and words of a change (analyzer/families/base.py), on a family of notes.


@dataclass(frozen=True)
class Note:
    name: str
    location: Location | None
    value: int = 0


NOTES = Family(
    name="note",
    title="Notes",
    record=Note,
    report_key="notes",
    compared=lambda n: {"value": n.value, "path": n.location.path if n.location else None},
    describe=lambda n: [f"note   {n.name} ", f"   value {n.value}  ", "   end"],
)


def test_a_record_in_one_line() -> None:
    assert NOTES.line(Note("a", HERE)) == "note a"
    assert replace(NOTES, describe=lambda n: []).line(Note("a", HERE)) == "a"  # its first field
    assert replace(NOTES, label=lambda n: f"label {n.name}").line(Note("a", HERE)) == "label a"
    assert replace(NOTES, describe=lambda n: []).line(Hop("sys_kill", "x", HERE)) == "sys_kill"
    assert Family("n", "N", KillPath, "k", compared=lambda k: {}).line(path_of("a", "b")) == "b"


@dataclass(frozen=True)
class Named:
    name: str
    location: str  # not a Location: no place in the tree


def test_records_without_a_place_keep_their_order_before_the_removed() -> None:
    # neither a KillPath (no location field) nor Named (a location that is no Location) has a place
    paths = Family("k", "K", KillPath, "k", compared=lambda k: {})
    first, second = path_of("a", "b"), path_of("a", "c")
    changes = [Change("k", Status.REMOVED, first, None), Change("k", Status.ADDED, None, second)]
    assert paths.changes_in_order(changes) == changes[::-1]
    named = Family("n", "N", Named, "n", compared=lambda n: {})
    rows = [Change("n", Status.ADDED, None, Named("b", "x.c")), Change("n", Status.ADDED, None, Named("a", "w.c"))]
    assert named.changes_in_order(rows) == rows


def test_records_in_reading_order() -> None:
    notes = (Note("b", THERE), Note("a", HERE), Note("c", None))
    assert NOTES.sort(notes) == notes  # no order: as extracted
    assert replace(NOTES, order=lambda n: n.name).sort(notes) == (notes[1], notes[0], notes[2])


def test_changes_in_reading_order() -> None:
    down, up = Location(HERE.path, 50, 1), Location(HERE.path, 5, 1)
    changes = [
        Change("note", Status.REMOVED, Note("gone", up), None),
        Change("note", Status.ADDED, None, Note("new", down)),
        Change("note", Status.CHANGED, Note("x", THERE), Note("x", up)),
        Change("note", Status.UNCHANGED, Note("nowhere", None), Note("nowhere", None)),
        Change("note", Status.MOVED, Note("m", HERE), Note("m", THERE)),
        Change(
            "note", Status.UNCHANGED, Note("mk", Location("Makefile", 1, 1)), Note("mk", Location("Makefile", 1, 1))
        ),
    ]
    # removed last; else by the latest record's path, then line; a record nowhere first
    assert [c.latest.name for c in NOTES.changes_in_order(changes)] == ["nowhere", "mk", "m", "x", "new", "gone"]
    assert NOTES.changes_in_order(changes[::-1])[-1].latest.name == "gone"
    assert replace(NOTES, sorted_changes=False).changes_in_order(changes) == changes
    by_name = replace(NOTES, change_order=lambda c: c.latest.name)
    assert [c.latest.name for c in by_name.changes_in_order(changes)] == ["gone", "m", "mk", "new", "nowhere", "x"]
    # sites: by name, kind, then the removed ones of a kind last, then place
    clear, test_, set_ = site(kind=SiteKind.CLEAR), site(kind=SiteKind.TEST), site(where=THERE)
    other = site(ident="is_global_init", kind=SiteKind.CALL)
    rows = [
        Change("site", Status.ADDED, None, test_),
        Change("site", Status.REMOVED, set_, None),
        Change("site", Status.UNCHANGED, clear, clear),
        Change("site", Status.ADDED, None, site()),
        Change("site", Status.ADDED, None, other),
    ]
    # PID 1's rows keep the table's signal order (SIGHUP before SIGINT), whatever their places
    term, hup = (
        Disposition(sig, Disposal.HANDLER, "on", where, "main", "sigaction")
        for sig, where in (("SIGTERM", HERE), ("SIGHUP", THERE))
    )
    table = [Change("disposition", Status.REMOVED, hup, None), Change("disposition", Status.ADDED, None, term)]
    assert families.family("disposition").changes_in_order(table) == table
    ordered = families.family("site").changes_in_order(rows)
    assert [(c.latest.ident, c.latest.kind.value, c.status.value) for c in ordered] == [
        (FLAG, "set", "added"),
        (FLAG, "set", "removed"),
        (FLAG, "clear", "unchanged"),
        (FLAG, "test", "added"),
        ("is_global_init", "call", "added"),
    ]


def test_records_under_their_group_headings() -> None:
    assert NOTES.groups([Note("a", HERE)]) == [(None, [Note("a", HERE)])]
    assert NOTES.groups([]) == []
    sites = [site(kind=SiteKind.TEST), site(), site(kind=SiteKind.DEFINE), site(where=THERE)]
    assert families.family("site").groups(sites) == [
        ("define", [sites[2]]),
        ("set", [sites[1], sites[3]]),
        ("test", [sites[0]]),
    ]
    by_parity = replace(NOTES, group=lambda n: (n.value % 2, "odd" if n.value % 2 else "even"))
    notes = [Note("a", HERE, 3), Note("b", HERE, 2), Note("c", HERE, 4)]
    assert by_parity.groups(notes) == [("even", [notes[1], notes[2]]), ("odd", [notes[0]])]


def test_a_change_in_words() -> None:
    old, new = Note("a", HERE, 1), Note("a", THERE, 2)
    added = Change("note", Status.ADDED, None, old)
    removed = Change("note", Status.REMOVED, old, None)
    changed = Change("note", Status.CHANGED, old, new, ("value", "path"))
    same = Change("note", Status.UNCHANGED, old, old)
    assert default_change_lines(NOTES, added) == [("", "note   a "), ("+", "value 1"), ("+", "end")]
    assert default_change_lines(NOTES, removed) == [("", "note   a "), ("-", "value 1"), ("-", "end")]
    assert default_change_lines(NOTES, changed) == [
        ("", "note   a "),
        ("", "value: 1 -> 2"),
        ("", "path: kernel/signal.c -> kernel/exit.c"),
    ]
    assert default_change_lines(NOTES, replace(changed, differences=("path",)))[1:] == [
        ("", "path: kernel/signal.c -> kernel/exit.c")
    ]
    assert default_change_lines(NOTES, same) == [("", "note   a ")]
    wordless = replace(NOTES, describe=lambda n: [])
    assert default_change_lines(wordless, added) == [("", "a")]
    assert default_change_lines(wordless, replace(changed, old=Note("a", None, 1))) == [
        ("", "a"),
        ("", "value: 1 -> 2"),
        ("", "path: - -> kernel/exit.c"),
    ]
    assert change_lines(NOTES, changed) == default_change_lines(NOTES, changed)
    assert change_lines(replace(NOTES, describe_change=lambda c: [("", "own")]), changed) == [("", "own")]


def test_a_change_in_one_line() -> None:
    old, new = Note("a", HERE, 1), Note("b", None, 2)
    changed = Change("note", Status.CHANGED, old, new, ("value", "path"))
    assert change_message(NOTES, changed) == "Notes changed: b; value: 1 -> 2; path: kernel/signal.c -> -"
    assert change_message(NOTES, Change("note", Status.REMOVED, old, None)) == "Notes removed: a"
    assert change_message(NOTES, Change("note", Status.ADDED, None, new)) == "Notes added: b"
    assert change_message(replace(NOTES, message=lambda c: f"own {c.status.value}"), changed) == "own changed"


def test_losing_or_changing_a_test_or_clear_is_a_warning() -> None:
    severity = families.family("site").severity

    def level(status: Status, kind: SiteKind) -> str:
        record = site(kind=kind)
        old = None if status is Status.ADDED else record
        new = None if status is Status.REMOVED else record
        return severity(Change("site", status, old, new))

    warned = {(s, k) for s in Status for k in SiteKind if level(s, k) == "warning"}
    assert warned == {
        (Status.REMOVED, SiteKind.TEST),
        (Status.CHANGED, SiteKind.TEST),
        (Status.REMOVED, SiteKind.CLEAR),
        (Status.CHANGED, SiteKind.CLEAR),
    }
    assert level(Status.ADDED, SiteKind.TEST) == "note"
    assert families.family("mask").severity(Change("mask", Status.REMOVED, None, None)) == "note"


def _table_report(*cells: object) -> Report:
    from analyzer.model import SourceInfo
    from analyzer.vocab import SourceKind

    return Report(SourceInfo(SourceKind.DIRECTORY, "t"), (FLAG,), {"delivery": tuple(cells)}, (), ())


def test_a_family_listing_only_changes_lists_exactly_the_changed_records() -> None:
    """The delivery table lists only what changed: one cell of three changed, one added; every row on request."""
    from analyzer.model import DeliveryCell, Reason
    from analyzer.vocab import Delivered, Outcome, Sender, Target

    def cell(signal: str, outcome: Outcome, line: int = 5) -> DeliveryCell:
        return DeliveryCell(
            Target.GLOBAL_INIT, Sender.SAME_NS, Delivered.DEFAULT, signal, outcome, (Reason("k.c", line, "x", "1"),)
        )

    hup, term = cell("SIGHUP", Outcome.DROPPED), cell("SIGTERM", Outcome.DISCARDED)
    same = diff_reports(_table_report(hup, term), _table_report(hup, term))
    assert same.changes == () and not same.logic_changed
    equal = diff_reports(_table_report(hup, term), _table_report(cell("SIGHUP", Outcome.DROPPED), term))
    assert equal.changes == ()  # equal records, not the same objects: still nothing to list
    every = diff_reports(_table_report(hup, term), _table_report(hup, term), every_row=True)
    assert [(c.status, c.new.signal) for c in every.changes] == [
        (Status.UNCHANGED, "SIGHUP"),
        (Status.UNCHANGED, "SIGTERM"),
    ]
    killed = cell("SIGTERM", Outcome.KILLED)
    changed = diff_reports(_table_report(hup, term), _table_report(hup, killed))
    assert [(c.status, c.old.outcome, c.new.outcome) for c in changed.changes] == [
        (Status.CHANGED, Outcome.DISCARDED, Outcome.KILLED)
    ]
    moved_reason = diff_reports(_table_report(hup, term), _table_report(hup, cell("SIGTERM", Outcome.DISCARDED, 9)))
    assert moved_reason.changes == ()  # a reason on another line: the outcome is what is compared
    grown = diff_reports(_table_report(hup), _table_report(hup, term))
    assert [(c.status, c.new.signal) for c in grown.changes] == [(Status.ADDED, "SIGTERM")]
    every_changed = diff_reports(_table_report(hup, term), _table_report(hup, killed), every_row=True)
    assert [c.status for c in every_changed.changes] == [Status.UNCHANGED, Status.CHANGED]


def test_records_alike_side_by_side_are_unchanged_only_where_pairing_is_by_position() -> None:
    """A family that lists only changes skips the pairing of records alike side by side, unless a
    veto, a level's own status or a likeness could pair them otherwise."""
    from analyzer.diff import _alike
    from analyzer.families import Level

    keyed = replace(NOTES, levels=(Level(lambda n: n.name),))
    old = [Note("a", HERE, 1), Note("b", HERE, 2)]
    moved = [Note("a", Location("kernel/signal.c", 99, 1), 1), Note("b", HERE, 2)]  # only what is not compared differs
    assert _alike(keyed, old, moved)
    assert _alike(keyed, old, list(old))  # the very records
    assert not _alike(keyed, old, [Note("a", HERE, 1), Note("b", HERE, 3)])  # a value differs
    assert not _alike(keyed, old, old[::-1])  # keys not side by side
    assert not _alike(keyed, old, old[:1])  # one gone
    assert not _alike(replace(NOTES, levels=(Level(lambda n: n.name, Status.MOVED),)), old, old)
    assert not _alike(replace(NOTES, levels=(Level(lambda n: n.name, None, lambda o, n: lambda a, b: True),)), old, old)
    assert not _alike(replace(keyed, likeness=lambda a, b: 0), old, old)
