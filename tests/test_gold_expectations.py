"""What the gold tables must say, typed by hand from reading fixtures/kernel/r2 and r3.

tests/test_report_tables.py compares tests/gold/ byte for byte with the renderer's output, but
the gold files were written by that renderer. This module states the expected facts
independently: every value below was read off the fixture C sources (file, line, enclosing
function, `if` chain, ...) and typed in, never copied from the tool's output. The rendered
md, rst and csv (made exactly as the gold test makes them) are parsed back generically (table
rows and cells, the csv module, docutils) and checked against these values. See
tests/gold/REVIEW.md for the review these expectations come from.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from analyzer.diff import diff_reports
from analyzer.report.tables import render_table
from analyzer.scan import scan_many
from analyzer.sources import open_source
from tests.conftest import make_repo

Row = dict[str, str]

# --- expectations typed from fixtures/kernel/r2 --------------------------------------------

SIG = "include/linux/signal.h"
SCHED = "include/linux/sched.h"

# (identifier, kind, function, location, guards, guarded, masked with, preproc) of every
# code occurrence of a tracked name in r2; comments, strings, `#if 0` and
# Documentation/ hits are not sites (see REVIEW.md for the grep and how each hit is accounted).
R2_SITES: list[tuple[str, str, str, str, str, str, str, str]] = [
    ("SIGNAL_UNKILLABLE", "define", "SIGNAL_UNKILLABLE", f"{SCHED}:35", "", "", "", ""),
    ("SIGNAL_UNKILLABLE", "other", "SIGNAL_PROTECTED_MASK", f"{SCHED}:38", "", "", "SIGNAL_GROUP_EXIT", ""),
    ("is_global_init", "define", "is_global_init", f"{SCHED}:73", "", "", "", ""),
    ("is_container_init", "other", "", f"{SCHED}:78", "", "", "", ""),  # extern prototype, file scope
    ("SIG_KERNEL_ONLY_MASK", "define", "SIG_KERNEL_ONLY_MASK", f"{SIG}:69", "", "", "", ""),
    ("SIG_KERNEL_STOP_MASK", "define", "SIG_KERNEL_STOP_MASK", f"{SIG}:73", "", "", "", ""),
    ("SIG_KERNEL_COREDUMP_MASK", "define", "SIG_KERNEL_COREDUMP_MASK", f"{SIG}:78", "", "", "", ""),
    ("SIG_KERNEL_IGNORE_MASK", "define", "SIG_KERNEL_IGNORE_MASK", f"{SIG}:86", "", "", "", ""),
    # the class macros: `#define sig_kernel_only(sig) \` on line 90, the mask on line 91
    ("SIG_KERNEL_ONLY_MASK", "other", "sig_kernel_only", f"{SIG}:91", "", "", "", ""),
    ("SIG_KERNEL_COREDUMP_MASK", "other", "sig_kernel_coredump", f"{SIG}:93", "", "", "", ""),
    ("SIG_KERNEL_IGNORE_MASK", "other", "sig_kernel_ignore", f"{SIG}:95", "", "", "", ""),
    ("SIG_KERNEL_STOP_MASK", "other", "sig_kernel_stop", f"{SIG}:97", "", "", "", ""),
    ("SIG_KERNEL_IGNORE_MASK", "other", "sig_fatal", f"{SIG}:101", "", "", "SIG_KERNEL_STOP_MASK", ""),
    ("SIG_KERNEL_STOP_MASK", "other", "sig_fatal", f"{SIG}:101", "", "", "SIG_KERNEL_IGNORE_MASK", ""),
    ("SIGNAL_UNKILLABLE", "set", "init_post", "init/main.c:53", "", "", "", ""),
    ("SIGNAL_UNKILLABLE", "set", "copy_signal", "kernel/fork.c:27", "if (clone_flags & CLONE_NEWPID)", "", "", ""),
    ("SIGNAL_UNKILLABLE", "test", "copy_process", "kernel/fork.c:66", "", "return ERR_PTR(-EINVAL);", "", ""),
    ("SIGNAL_UNKILLABLE", "test", "sig_task_ignored", "kernel/signal.c:29", "", "return 1;", "", ""),
    (
        "SIG_KERNEL_STOP_MASK",
        "other",
        "prepare_signal",
        "kernel/signal.c:117",
        "if (sig == SIGCONT) < else of if (sig_kernel_stop(sig))",
        "",
        "",
        "",
    ),
    (
        "SIGNAL_UNKILLABLE",
        "test",
        "complete_signal",
        "kernel/signal.c:151",
        "",
        "if (!sig_kernel_coredump(sig))",
        "SIGNAL_GROUP_EXIT",
        "",
    ),
    (
        "SIGNAL_UNKILLABLE",
        "clear",
        "force_sig_info",
        "kernel/signal.c:224",
        "if (action->sa.sa_handler == SIG_DFL)",
        "",
        "",
        "",
    ),
    (
        "SIGNAL_UNKILLABLE",
        "test",
        "may_ptrace_stop",
        "kernel/signal.c:286",
        "",
        "return 0;",
        "",
        "#else (of #ifdef CONFIG_PTRACE_RELAXED)",
    ),
    ("SIGNAL_UNKILLABLE", "test", "get_signal_to_deliver", "kernel/signal.c:346", "", "continue;", "", ""),
    ("is_global_init", "call", "oom_unkillable_task", "mm/oom_kill.c:16", "", "return true;", "", ""),
    (
        "is_container_init",
        "call",
        "oom_kill_task",
        "mm/oom_kill.c:58",
        "",
        'printk(KERN_WARNING "fixture: OOM kills namespace init %s[%d]\\n", p->comm, task_pid_nr(p));',
        "",
        "",
    ),
]
SITE_COLUMNS = ("identifier", "kind", "function", "location", "guards", "guarded", "masked with", "preproc")

# The flag's statements, whitespace-joined as in the source.
R2_FLAG_STATEMENTS = {
    f"{SCHED}:35": "#define SIGNAL_UNKILLABLE 0x00000040",
    f"{SCHED}:38": "#define SIGNAL_PROTECTED_MASK (SIGNAL_UNKILLABLE | SIGNAL_GROUP_EXIT)",
    "init/main.c:53": "current->signal->flags |= SIGNAL_UNKILLABLE;",
    "kernel/fork.c:27": "sig->flags |= SIGNAL_UNKILLABLE;",
    "kernel/fork.c:66": "if ((clone_flags & CLONE_PARENT) && current->signal->flags & SIGNAL_UNKILLABLE)",
    "kernel/signal.c:29": (
        "if (unlikely(t->signal->flags & SIGNAL_UNKILLABLE) && handler == SIG_DFL && !from_ancestor_ns)"
    ),
    "kernel/signal.c:151": (
        "if (sig_fatal(p, sig) && !(signal->flags & (SIGNAL_UNKILLABLE | SIGNAL_GROUP_EXIT))"
        " && !sigismember(&t->real_blocked, sig))"
    ),
    "kernel/signal.c:224": "t->signal->flags &= ~SIGNAL_UNKILLABLE;",
    "kernel/signal.c:286": "if (t->signal->flags & SIGNAL_UNKILLABLE)",
    "kernel/signal.c:346": "if (unlikely(signal->flags & SIGNAL_UNKILLABLE) && !sig_kernel_only(signr))",
}

R2_MASKS = {  # name: (location, signals, conditional)
    "SIG_KERNEL_ONLY_MASK": (f"{SIG}:69", "SIGKILL, SIGSTOP", ""),
    "SIG_KERNEL_STOP_MASK": (f"{SIG}:73", "SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU", ""),
    "SIG_KERNEL_COREDUMP_MASK": (
        f"{SIG}:78",
        "SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGSEGV, SIGBUS, SIGXCPU, SIGXFSZ",  # no SIGSYS in 2.6.34
        "SIGEMT (#ifdef SIGEMT)",
    ),
    "SIG_KERNEL_IGNORE_MASK": (f"{SIG}:86", "SIGCONT, SIGCHLD, SIGWINCH, SIGURG", ""),
}

# send_signal's from_ancestor_ns; want_core_dump's local `force` is never passed on: no row.
R2_FORCE = [  # (variable, value, function, location, guards, preproc)
    ("from_ancestor_ns", "0", "send_signal", "kernel/signal.c:179", "", ""),
    (
        "from_ancestor_ns",
        "si_fromuser(info) && !task_pid_nr_ns(current, task_active_pid_ns(t))",
        "send_signal",
        "kernel/signal.c:183",
        "",
        "#ifdef CONFIG_PID_NS",
    ),
]

# kill(2) down to each function that tests the flag and is reachable: (caller, callee, call line)
R2_TO_SEND = [
    ("sys_kill", "kill_something_info", 374),
    ("kill_something_info", "kill_pid_info", 265),  # the `pid > 0` branch
    ("kill_pid_info", "group_send_sig_info", 257),
    ("group_send_sig_info", "send_signal", 243),
]
R2_KILL_PATHS = {  # target: (hops, primary)
    "sig_task_ignored": (
        [
            *R2_TO_SEND,
            ("send_signal", "prepare_signal", 186),
            ("prepare_signal", "sig_ignored", 122),
            ("sig_ignored", "sig_task_ignored", 42),
        ],
        "yes",
    ),
    "complete_signal": ([*R2_TO_SEND, ("send_signal", "complete_signal", 195)], "no"),
}

# --- expectations typed from fixtures/kernel/r2 -> r3 --------------------------------------

SSIG = "include/linux/sched/signal.h"
# (status, identifier, kind, old function, new function, old location, new location, differences)
DIFF_ROWS: list[tuple[str, str, str, str, str, str, str, str]] = [
    # the flag's bits moved to <linux/sched/signal.h>
    (
        "moved",
        "SIGNAL_UNKILLABLE",
        "define",
        "SIGNAL_UNKILLABLE",
        "SIGNAL_UNKILLABLE",
        f"{SCHED}:35",
        f"{SSIG}:34",
        "path",
    ),
    (
        "moved",
        "SIGNAL_UNKILLABLE",
        "other",
        "SIGNAL_PROTECTED_MASK",
        "SIGNAL_PROTECTED_MASK",
        f"{SCHED}:38",
        f"{SSIG}:39",
        "path",
    ),
    # the set: init_post's and copy_signal's go, copy_process marks the child reaper instead
    ("added", "SIGNAL_UNKILLABLE", "set", "", "copy_process", "", "kernel/fork.c:150", ""),
    ("removed", "SIGNAL_UNKILLABLE", "set", "init_post", "", "init/main.c:53", "", ""),
    ("removed", "SIGNAL_UNKILLABLE", "set", "copy_signal", "", "kernel/fork.c:27", "", ""),
    # same statement in the renamed function, under a narrower condition (`!t->ptrace || ...`):
    # a change of logic, not a move (see test_diff_clear_with_a_narrower_guard_is_changed)
    (
        "changed",
        "SIGNAL_UNKILLABLE",
        "clear",
        "force_sig_info",
        "force_sig_info_to_task",
        "kernel/signal.c:224",
        "kernel/signal.c:243",
        "function, guards",
    ),
    (
        "unchanged",
        "SIGNAL_UNKILLABLE",
        "test",
        "copy_process",
        "copy_process",
        "kernel/fork.c:66",
        "kernel/fork.c:74",
        "",
    ),
    # !from_ancestor_ns -> !(force && sig_kernel_only(sig)); return 1 -> return true
    (
        "changed",
        "SIGNAL_UNKILLABLE",
        "test",
        "sig_task_ignored",
        "sig_task_ignored",
        "kernel/signal.c:29",
        "kernel/signal.c:41",
        "text, guarded",
    ),
    # the condition is the same text in r2 (lines 150-152) and r3 (lines 162-164)
    (
        "unchanged",
        "SIGNAL_UNKILLABLE",
        "test",
        "complete_signal",
        "complete_signal",
        "kernel/signal.c:151",
        "kernel/signal.c:163",
        "",
    ),
    (
        "unchanged",
        "SIGNAL_UNKILLABLE",
        "test",
        "may_ptrace_stop",
        "may_ptrace_stop",
        "kernel/signal.c:286",
        "kernel/signal.c:308",
        "",
    ),
    (
        "moved",
        "SIGNAL_UNKILLABLE",
        "test",
        "get_signal_to_deliver",
        "get_signal",
        "kernel/signal.c:346",
        "kernel/signal.c:355",
        "function",
    ),
    # SIGSYS joins the core-dump class; the class macros drop `((sig) < SIGRTMIN) &&`
    (
        "changed",
        "SIG_KERNEL_COREDUMP_MASK",
        "define",
        "SIG_KERNEL_COREDUMP_MASK",
        "SIG_KERNEL_COREDUMP_MASK",
        f"{SIG}:78",
        f"{SIG}:72",
        "text",
    ),
    (
        "changed",
        "SIG_KERNEL_COREDUMP_MASK",
        "other",
        "sig_kernel_coredump",
        "sig_kernel_coredump",
        f"{SIG}:93",
        f"{SIG}:86",
        "text",
    ),
    (
        "unchanged",
        "SIG_KERNEL_IGNORE_MASK",
        "define",
        "SIG_KERNEL_IGNORE_MASK",
        "SIG_KERNEL_IGNORE_MASK",
        f"{SIG}:86",
        f"{SIG}:81",
        "",
    ),
    (
        "changed",
        "SIG_KERNEL_IGNORE_MASK",
        "other",
        "sig_kernel_ignore",
        "sig_kernel_ignore",
        f"{SIG}:95",
        f"{SIG}:87",
        "text",
    ),
    ("unchanged", "SIG_KERNEL_IGNORE_MASK", "other", "sig_fatal", "sig_fatal", f"{SIG}:101", f"{SIG}:92", ""),
    (
        "unchanged",
        "SIG_KERNEL_ONLY_MASK",
        "define",
        "SIG_KERNEL_ONLY_MASK",
        "SIG_KERNEL_ONLY_MASK",
        f"{SIG}:69",
        f"{SIG}:63",
        "",
    ),
    (
        "changed",
        "SIG_KERNEL_ONLY_MASK",
        "other",
        "sig_kernel_only",
        "sig_kernel_only",
        f"{SIG}:91",
        f"{SIG}:85",
        "text",
    ),
    (
        "unchanged",
        "SIG_KERNEL_STOP_MASK",
        "define",
        "SIG_KERNEL_STOP_MASK",
        "SIG_KERNEL_STOP_MASK",
        f"{SIG}:73",
        f"{SIG}:67",
        "",
    ),
    (
        "changed",
        "SIG_KERNEL_STOP_MASK",
        "other",
        "sig_kernel_stop",
        "sig_kernel_stop",
        f"{SIG}:97",
        f"{SIG}:88",
        "text",
    ),
    ("unchanged", "SIG_KERNEL_STOP_MASK", "other", "sig_fatal", "sig_fatal", f"{SIG}:101", f"{SIG}:92", ""),
    # r3's prepare_signal flushes sigmask(SIGSTOP) instead of the whole stop class
    ("removed", "SIG_KERNEL_STOP_MASK", "other", "prepare_signal", "", "kernel/signal.c:117", "", ""),
    ("added", "is_child_reaper", "define", "", "is_child_reaper", "", "include/linux/pid.h:50", ""),
    ("added", "is_child_reaper", "call", "", "copy_process", "", "kernel/fork.c:148", ""),
    ("removed", "is_container_init", "call", "oom_kill_task", "", "mm/oom_kill.c:58", "", ""),
    ("changed", "is_container_init", "other", "", "", f"{SCHED}:78", f"{SCHED}:42", "text"),  # int -> bool
    ("changed", "is_global_init", "define", "is_global_init", "is_global_init", f"{SCHED}:73", f"{SCHED}:37", "text"),
    ("added", "is_global_init", "call", "", "do_exit", "", "kernel/exit.c:49", ""),
    ("added", "is_global_init", "call", "", "sig_task_ignored", "", "kernel/signal.c:38", ""),
    (
        "unchanged",
        "is_global_init",
        "call",
        "oom_unkillable_task",
        "oom_unkillable_task",
        "mm/oom_kill.c:16",
        "mm/oom_kill.c:17",
        "",
    ),
]
DIFF_COLUMNS = (
    "status",
    "identifier",
    "kind",
    "old function",
    "new function",
    "old location",
    "new location",
    "differences",
)

# every code site of a tracked name in r3, typed from the fixture (identifier, location)
R3_SITES = [
    ("is_child_reaper", "include/linux/pid.h:50"),
    ("is_global_init", f"{SCHED}:37"),
    ("is_container_init", f"{SCHED}:42"),
    ("SIGNAL_UNKILLABLE", f"{SSIG}:34"),
    ("SIGNAL_UNKILLABLE", f"{SSIG}:39"),
    ("SIG_KERNEL_ONLY_MASK", f"{SIG}:63"),
    ("SIG_KERNEL_STOP_MASK", f"{SIG}:67"),
    ("SIG_KERNEL_COREDUMP_MASK", f"{SIG}:72"),
    ("SIG_KERNEL_IGNORE_MASK", f"{SIG}:81"),
    ("SIG_KERNEL_ONLY_MASK", f"{SIG}:85"),
    ("SIG_KERNEL_COREDUMP_MASK", f"{SIG}:86"),
    ("SIG_KERNEL_IGNORE_MASK", f"{SIG}:87"),
    ("SIG_KERNEL_STOP_MASK", f"{SIG}:88"),
    ("SIG_KERNEL_IGNORE_MASK", f"{SIG}:92"),
    ("SIG_KERNEL_STOP_MASK", f"{SIG}:92"),
    ("is_global_init", "kernel/exit.c:49"),
    ("SIGNAL_UNKILLABLE", "kernel/fork.c:74"),
    ("is_child_reaper", "kernel/fork.c:148"),
    ("SIGNAL_UNKILLABLE", "kernel/fork.c:150"),
    ("is_global_init", "kernel/signal.c:38"),
    ("SIGNAL_UNKILLABLE", "kernel/signal.c:41"),
    ("SIGNAL_UNKILLABLE", "kernel/signal.c:163"),
    ("SIGNAL_UNKILLABLE", "kernel/signal.c:243"),
    ("SIGNAL_UNKILLABLE", "kernel/signal.c:308"),
    ("SIGNAL_UNKILLABLE", "kernel/signal.c:355"),
    ("is_global_init", "mm/oom_kill.c:17"),
]

# (family, status, differences) of the fact rows
FACT_ROWS = Counter(
    [
        ("mask", "unchanged", ""),  # ONLY, STOP, IGNORE: only their lines moved
        ("mask", "unchanged", ""),
        ("mask", "unchanged", ""),
        ("mask", "changed", "signals"),  # COREDUMP gains SIGSYS
        # send_signal's from_ancestor_ns (r2 lines 179, 183) and send_signal_locked's force (r3
        # lines 191, 196) play one role: the third argument of prepare_signal. Paired by it:
        # `= 0` with `= false`, the ancestor-namespace test with the one under SEND_SIG_NOINFO.
        ("force", "changed", "variable, function, value"),
        ("force", "changed", "variable, function, value, guards, preproc"),
        ("force", "added", ""),  # line 198: force = true for SEND_SIG_PRIV, a case r2 did not have
        ("kill_path", "changed", "hops"),  # do_send_sig_info added, send_signal -> send_signal_locked
        ("kill_path", "changed", "hops"),
    ]
)

# --- rendering, exactly as tests/test_report_tables.py makes the gold output ---------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """'report-v-r2.md', 'diff-v-r2-v-r3.csv', ...: the text the gold files must equal."""
    repo = make_repo(tmp_path_factory.mktemp("gold-expectations"), "kernel")
    old, new = scan_many([open_source(ref, str(repo)) for ref in ("v-r2", "v-r3")])
    subjects = {"report-v-r2": old, "diff-v-r2-v-r3": diff_reports(old, new)}
    return {f"{stem}.{fmt}": render_table(obj, fmt) for stem, obj in subjects.items() for fmt in ("md", "rst", "csv")}


# --- generic parsers: text -> {table title or name: [row as {column: cell}]} ----------------


def _md_split(line: str) -> list[str]:
    """Cells of one pipe-table row: split on unescaped pipes, drop the backslash escapes."""
    cells, current, chars = [], "", iter(line.strip()[1:-1])
    for ch in chars:
        if ch == "\\":
            current += next(chars, "")
        elif ch == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += ch
    return [*cells, current.strip()]


def md_tables(text: str) -> dict[str, list[Row]]:
    """Each `### Title` section's pipe table, rows keyed by the header cells."""
    found: dict[str, list[Row]] = {}
    title, header = "", None
    for line in text.splitlines():
        if line.startswith("### "):
            title, header = line[4:].strip(), None
        elif line.startswith("|"):
            cells = _md_split(line)
            if header is None:
                header = cells
                found[title] = []
            elif set(cells) != {"---"}:
                assert len(cells) == len(header), line
                found[title].append(dict(zip(header, cells, strict=True)))
    return found


def rst_tables(text: str) -> dict[str, list[Row]]:
    """Each section's table as docutils reads it, rows keyed by the header row."""
    nodes = pytest.importorskip("docutils.nodes")
    from docutils.core import publish_doctree

    tree = publish_doctree(text, settings_overrides={"report_level": 5, "halt_level": 5})
    found: dict[str, list[Row]] = {}
    for section in tree.findall(nodes.section):
        for table in section.findall(nodes.table):
            rows = [[e.astext() for e in row.findall(nodes.entry)] for row in table.findall(nodes.row)]
            found[section[0].astext()] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return found


def csv_tables(text: str) -> dict[str, list[Row]]:
    """The one CSV table split by its `table` column; header names with spaces, not underscores."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.replace("_", " ") for h in next(reader)]
    found: dict[str, list[Row]] = {}
    for record in reader:
        row = dict(zip(header, record, strict=True))
        found.setdefault(row["table"], []).append(row)
    return found


# The same table is called by its title in md/rst and by its name in csv.
TITLES = {
    "sites": "Sites",
    "mask": "Signal classes",
    "force": "Force decision",
    "kill_path": "Kill path",
    "changes": "Site changes",
    "fact_changes": "Fact changes",
}


def parsed(rendered: dict[str, str], stem: str, fmt: str) -> dict[str, list[Row]]:
    """Tables of one rendered file, keyed by the csv table name in every format."""
    text = rendered[f"{stem}.{fmt}"]
    if fmt == "csv":
        return csv_tables(text)
    by_title = md_tables(text) if fmt == "md" else rst_tables(text)
    return {name: by_title[title] for name, title in TITLES.items() if title in by_title}


def project(rows: list[Row], columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [tuple(row[c] for c in columns) for row in rows]


FORMATS = ("md", "rst", "csv")

# --- the scan of v-r2: report-v-r2.{md,rst,csv} --------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_r2_sites_are_exactly_the_fixture_sites(rendered: dict[str, str], fmt: str) -> None:
    sites = parsed(rendered, "report-v-r2", fmt)["sites"]
    assert sorted(project(sites, SITE_COLUMNS)) == sorted(R2_SITES)


@pytest.mark.parametrize("fmt", FORMATS)
def test_r2_rows_per_kind_and_per_table(rendered: dict[str, str], fmt: str) -> None:
    tables = parsed(rendered, "report-v-r2", fmt)
    assert Counter(row["kind"] for row in tables["sites"]) == {
        "define": 6,  # the flag, is_global_init, the four classes
        # SIGNAL_PROTECTED_MASK, is_container_init's prototype, 4 class macros, sig_fatal x2, prepare_signal
        "other": 9,
        "test": 5,  # copy_process, sig_task_ignored, complete_signal, may_ptrace_stop, get_signal_to_deliver
        "set": 2,  # init_post, copy_signal
        "clear": 1,  # force_sig_info
        "call": 2,  # is_global_init and is_container_init in mm/oom_kill.c
    }
    assert {name: len(rows) for name, rows in tables.items()} == {"sites": 25, "mask": 4, "force": 2, "kill_path": 2}
    flag = Counter(row["kind"] for row in tables["sites"] if row["identifier"] == "SIGNAL_UNKILLABLE")
    assert flag == {"define": 1, "other": 1, "set": 2, "clear": 1, "test": 5}


@pytest.mark.parametrize("fmt", FORMATS)
def test_r2_flag_statements_as_written(rendered: dict[str, str], fmt: str) -> None:
    sites = parsed(rendered, "report-v-r2", fmt)["sites"]
    statements = {row["location"]: row["statement"] for row in sites if row["identifier"] == "SIGNAL_UNKILLABLE"}
    assert statements == R2_FLAG_STATEMENTS


def test_r2_md_clear_row_in_force_sig_info(rendered: dict[str, str]) -> None:
    (row,) = [r for r in md_tables(rendered["report-v-r2.md"])["Sites"] if r["kind"] == "clear"]
    assert row == {
        "identifier": "SIGNAL_UNKILLABLE",
        "kind": "clear",
        "function": "force_sig_info",
        "location": "kernel/signal.c:224",
        "statement": "t->signal->flags &= ~SIGNAL_UNKILLABLE;",
        "guards": "if (action->sa.sa_handler == SIG_DFL)",
        "guarded": "",
        "masked with": "",
        "preproc": "",
    }


def test_r2_md_title_names_the_release(rendered: dict[str, str]) -> None:
    first = rendered["report-v-r2.md"].splitlines()[0]
    assert first.startswith("## siganalyze scan of v-r2 (Linux 2.6.34, commit ")  # VERSION 2, PATCHLEVEL 6, SUBLEVEL 34


@pytest.mark.parametrize("fmt", FORMATS)
def test_r2_signal_classes(rendered: dict[str, str], fmt: str) -> None:
    rows = parsed(rendered, "report-v-r2", fmt)["mask"]
    assert {r["name"]: (r["location"], r["signals"], r["conditional"]) for r in rows} == R2_MASKS
    assert all(r["unresolved"] == "" for r in rows)


@pytest.mark.parametrize("fmt", FORMATS)
def test_r2_force_decision(rendered: dict[str, str], fmt: str) -> None:
    rows = parsed(rendered, "report-v-r2", fmt)["force"]
    assert project(rows, ("variable", "value", "function", "location", "guards", "preproc")) == R2_FORCE
    assert rows[0]["text"] == "int from_ancestor_ns = 0;"


@pytest.mark.parametrize("fmt", FORMATS)
def test_r2_kill_paths(rendered: dict[str, str], fmt: str) -> None:
    rows = parsed(rendered, "report-v-r2", fmt)["kill_path"]
    expected = {
        target: (", ".join(f"{a} -> {b} (kernel/signal.c:{line})" for a, b, line in hops), primary)
        for target, (hops, primary) in R2_KILL_PATHS.items()
    }
    assert {r["target"]: (r["hops"], r["primary"]) for r in rows} == expected


# --- the diff v-r2 -> v-r3: diff-v-r2-v-r3.{md,rst,csv} ------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_diff_status_of_every_site_row(rendered: dict[str, str], fmt: str) -> None:
    rows = parsed(rendered, "diff-v-r2-v-r3", fmt)["changes"]
    assert sorted(project(rows, DIFF_COLUMNS)) == sorted(DIFF_ROWS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_diff_counts_per_status(rendered: dict[str, str], fmt: str) -> None:
    rows = parsed(rendered, "diff-v-r2-v-r3", fmt)["changes"]
    assert Counter(r["status"] for r in rows) == {"unchanged": 9, "changed": 9, "moved": 3, "added": 5, "removed": 4}
    flag = Counter(r["status"] for r in rows if r["identifier"] == "SIGNAL_UNKILLABLE")
    assert flag == {"unchanged": 3, "moved": 3, "changed": 2, "added": 1, "removed": 2}


def test_diff_pairs_each_old_and_new_site_once(rendered: dict[str, str]) -> None:
    rows = parsed(rendered, "diff-v-r2-v-r3", "csv")["changes"]
    old = Counter((r["identifier"], r["old location"]) for r in rows if r["old location"])
    new = Counter((r["identifier"], r["new location"]) for r in rows if r["new location"])
    assert old == Counter((s[0], s[3]) for s in R2_SITES)
    assert new == Counter(R3_SITES)


def test_diff_csv_complete_signal_test_is_unchanged(rendered: dict[str, str]) -> None:
    """Unlike Linux 2.6.34 -> 6.1 (README: removed), the fixture keeps the test word for word."""
    rows = csv_tables(rendered["diff-v-r2-v-r3.csv"])["changes"]
    (row,) = [r for r in rows if r["old function"] == "complete_signal"]
    condition = (
        "if (sig_fatal(p, sig) && !(signal->flags & (SIGNAL_UNKILLABLE | SIGNAL_GROUP_EXIT))"
        " && !sigismember(&t->real_blocked, sig))"
    )
    assert (row["status"], row["kind"], row["differences"]) == ("unchanged", "test", "")
    assert row["old statement"] == row["new statement"] == condition


def test_diff_md_changed_test_shows_both_conditions(rendered: dict[str, str]) -> None:
    rows = md_tables(rendered["diff-v-r2-v-r3.md"])["Site changes"]
    (row,) = [r for r in rows if r["new function"] == "sig_task_ignored" and r["kind"] == "test"]
    assert row["status"] == "changed"
    assert row["old statement"].endswith("handler == SIG_DFL && !from_ancestor_ns)")
    assert row["new statement"].endswith("handler == SIG_DFL && !(force && sig_kernel_only(sig)))")


def test_diff_rst_coredump_class_gains_sigsys(rendered: dict[str, str]) -> None:
    rows = rst_tables(rendered["diff-v-r2-v-r3.rst"])["Site changes"]
    (row,) = [r for r in rows if r["identifier"] == "SIG_KERNEL_COREDUMP_MASK" and r["kind"] == "define"]
    assert "rt_sigmask(SIGSYS)" not in row["old statement"] and "rt_sigmask(SIGSYS)" in row["new statement"]
    assert row["status"] == "changed" and row["differences"] == "text"


def test_diff_md_title_names_both_releases(rendered: dict[str, str]) -> None:
    first = rendered["diff-v-r2-v-r3.md"].splitlines()[0]
    assert first.startswith("## siganalyze diff: v-r2 (Linux 2.6.34, commit ")
    assert " -> v-r3 (Linux 6.1, commit " in first  # r3's Makefile: 6.1, SUBLEVEL 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_diff_fact_rows(rendered: dict[str, str], fmt: str) -> None:
    # The delivery table's cells are checked against hand-written tables in test_delivery_eras.py.
    rows = [r for r in parsed(rendered, "diff-v-r2-v-r3", fmt)["fact_changes"] if r["family"] != "delivery"]
    assert Counter(project(rows, ("family", "status", "differences"))) == FACT_ROWS
    force = [r for r in rows if r["family"] == "force"]
    where = [
        (
            r["status"],
            r["old"].split("location: ")[1].split(";")[0] if r["old"] else "",
            r["new"].split("location: ")[1].split(";")[0],
        )
        for r in force
    ]
    assert sorted(where) == [
        ("added", "", "kernel/signal.c:198"),  # else if (info == SEND_SIG_PRIV) force = true;
        ("changed", "kernel/signal.c:179", "kernel/signal.c:191"),  # = 0 -> bool force = false;
        ("changed", "kernel/signal.c:183", "kernel/signal.c:196"),  # the ancestor-namespace test
    ]
    assert all("variable: force;" in r["new"] and "function: send_signal_locked;" in r["new"] for r in force)
    assert all("variable: from_ancestor_ns;" in r["old"] for r in force if r["old"])
    (coredump,) = [r for r in rows if r["family"] == "mask" and r["status"] == "changed"]
    assert "SIG_KERNEL_COREDUMP_MASK" in coredump["old"] and "SIGSYS" not in coredump["old"]
    assert "SIGBUS, SIGSYS, SIGXCPU" in coredump["new"]
    primary = next(r for r in rows if r["family"] == "kill_path" and "target: sig_task_ignored" in r["new"])
    hops = (
        "group_send_sig_info -> do_send_sig_info (kernel/signal.c:267), "
        "do_send_sig_info -> send_signal_locked (kernel/signal.c:417), "
        "send_signal_locked -> prepare_signal (kernel/signal.c:200)"
    )
    assert hops in primary["new"]


def test_all_gold_files_are_checked_here(rendered: dict[str, str]) -> None:
    gold = Path(__file__).resolve().parent / "gold"
    outputs = [
        p.name for p in gold.iterdir() if not p.name.startswith(".") and p.name not in {"README.md", "REVIEW.md"}
    ]
    assert sorted(outputs) == sorted(rendered)


def test_diff_clear_with_a_narrower_guard_is_changed(rendered: dict[str, str]) -> None:
    rows = md_tables(rendered["diff-v-r2-v-r3.md"])["Site changes"]
    (row,) = [r for r in rows if r["kind"] == "clear"]
    assert (row["old function"], row["new function"], row["differences"]) == (
        "force_sig_info",
        "force_sig_info_to_task",
        "function, guards",
    )
    assert row["status"] == "changed"
