"""scan and diff end to end on the fixture releases, committed to a real git repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import parse, syntax
from analyzer.diff import Status, diff_reports
from analyzer.scan import scan_many
from analyzer.sources import open_source
from tests.conftest import FIXTURES

FLAG_ONLY = ("SIGNAL_UNKILLABLE",)
R2_SITES = [
    ("include/linux/sched.h", 35, "define", "SIGNAL_UNKILLABLE"),
    ("include/linux/sched.h", 38, "other", "SIGNAL_PROTECTED_MASK"),
    ("init/main.c", 53, "set", "init_post"),
    ("kernel/fork.c", 27, "set", "copy_signal"),
    ("kernel/fork.c", 66, "test", "copy_process"),
    ("kernel/signal.c", 29, "test", "sig_task_ignored"),
    ("kernel/signal.c", 151, "test", "complete_signal"),
    ("kernel/signal.c", 224, "clear", "force_sig_info"),
    ("kernel/signal.c", 286, "test", "may_ptrace_stop"),
    ("kernel/signal.c", 346, "test", "get_signal_to_deliver"),
]


def scan_ref(repo: Path, ref: str):  # type: ignore[no-untyped-def]
    (report,) = scan_many([open_source(ref, str(repo))], FLAG_ONLY)
    return report


def test_scan_r2_finds_every_site_with_kind_and_function(kernel_repo: Path) -> None:
    report = scan_ref(kernel_repo, "v-r2")
    assert [(s.location.path, s.location.line, s.kind.value, s.function) for s in report.sites] == R2_SITES
    assert report.warnings == ()


def test_every_occurrence_is_accounted_for(kernel_repo: Path) -> None:
    report = scan_ref(kernel_repo, "v-r2")
    counts = report.accounting()
    assert counts == {"site": 10, "comment": 3, "string": 1, "inactive": 1, "not_c": 1, "binary": 0, "unaccounted": 0}
    # the text search's own count: every whole-word hit in every candidate file
    assert sum(f.occurrences for f in report.files) == len(report.occurrences) == 16


def test_the_fixture_really_breaks_a_plain_parse() -> None:
    """Without the rewrites, the loop macro and the label before #endif lose functions."""
    data = (FIXTURES / "kernel/r2/kernel/signal.c").read_bytes()
    tree = parse.parse(data)
    offset = data.index(b"SIGNAL_UNKILLABLE | SIGNAL_GROUP_EXIT")
    node = tree.root_node.descendant_for_byte_range(offset, offset + 1)
    assert syntax.function_name(node) != "complete_signal"


def test_source_identity_is_recorded(kernel_repo: Path) -> None:
    info = scan_ref(kernel_repo, "v-r2").source
    assert info.kind == "git" and info.ref == "v-r2" and info.release == "2.6.34"
    assert info.commit is not None and len(info.commit) == 40 and info.tree is not None and len(info.tree) == 40


def test_release_without_the_flag_is_absent_not_an_error(kernel_repo: Path) -> None:
    old, new = scan_many([open_source(r, str(kernel_repo)) for r in ("v-r1", "v-r2")], FLAG_ONLY)
    assert old.sites == () and old.occurrence_count("SIGNAL_UNKILLABLE") == 0
    result = diff_reports(old, new)
    assert result.absent_in_old == ("SIGNAL_UNKILLABLE",)
    assert {c.status for c in result.changes} == {Status.ADDED}


def test_diff_matches_by_meaning(kernel_repo: Path) -> None:
    old, new = scan_many([open_source(r, str(kernel_repo)) for r in ("v-r2", "v-r3")], FLAG_ONLY)
    rows = {
        (c.status.value, c.latest.kind, c.old.function if c.old else None, c.new.function if c.new else None)
        for c in diff_reports(old, new).of("site")
    }
    assert rows == {
        ("moved", "define", "SIGNAL_UNKILLABLE", "SIGNAL_UNKILLABLE"),  # header moved
        ("moved", "other", "SIGNAL_PROTECTED_MASK", "SIGNAL_PROTECTED_MASK"),
        ("removed", "set", "init_post", None),
        ("removed", "set", "copy_signal", None),
        ("added", "set", None, "copy_process"),
        ("unchanged", "test", "copy_process", "copy_process"),  # lines moved, logic did not
        ("changed", "test", "sig_task_ignored", "sig_task_ignored"),
        ("unchanged", "test", "complete_signal", "complete_signal"),
        ("unchanged", "test", "may_ptrace_stop", "may_ptrace_stop"),
        ("moved", "test", "get_signal_to_deliver", "get_signal"),  # the rename
        ("changed", "clear", "force_sig_info", "force_sig_info_to_task"),  # renamed, and a narrower guard
    }


@pytest.mark.parametrize("bare", [False, True])
def test_bare_and_work_tree_repos_give_the_same_report(repo_factory, bare: bool) -> None:  # type: ignore[no-untyped-def]
    repo = repo_factory("kernel", bare=bare)
    sites = scan_ref(repo, "v-r3").sites
    assert [(s.location.path, s.location.line, s.kind.value) for s in sites][:3] == [
        ("include/linux/sched/signal.h", 34, "define"),
        ("include/linux/sched/signal.h", 39, "other"),
        ("kernel/fork.c", 74, "test"),
    ]
