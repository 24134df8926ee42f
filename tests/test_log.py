"""log A..B: the commits that changed the analysed logic, on a history written commit by commit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.log import build_log, code_lines
from analyzer.report import json as json_report
from analyzer.sources import gitlog
from analyzer.sources.git import open_repo
from analyzer.sources.gitlog import range_log
from tests.conftest import unavailable
from tests.history_repo import HistoryRepo

MAKEFILE = "VERSION = 1\nPATCHLEVEL = 0\nSUBLEVEL = 0\n"
SCHED_H = "#define SIGNAL_UNKILLABLE 0x00000040\n"
SIGNAL_C = """\
int sig_task_ignored(struct task_struct *t, int sig)
{
	if (t->signal->flags & SIGNAL_UNKILLABLE)
		return 1;
	return 0;
}
"""
FORK_C = """\
static int copy_signal(unsigned long clone_flags, struct signal_struct *sig)
{
	if (clone_flags & CLONE_NEWPID)
		sig->flags |= SIGNAL_UNKILLABLE;
	return 0;
}
"""
EXIT_C = """\
void do_exit(long code)
{
	if (current->signal->flags & SIGNAL_UNKILLABLE)
		panic("init exited");
}
"""


@pytest.fixture
def history(tmp_path: Path) -> tuple[HistoryRepo, dict[str, str]]:
    """v1, then one commit per kind of change, a side branch and two merges, then v2.

    The expectation of each commit is written beside it.
    """
    repo = HistoryRepo(tmp_path / "repo")
    ids: dict[str, str] = {}
    repo.commit(
        "base",
        {
            "Makefile": MAKEFILE,
            "include/linux/sched.h": SCHED_H,
            "kernel/signal.c": SIGNAL_C,
            "kernel/fork.c": FORK_C,
            "init/main.c": "int main(void) { return 0; }\n",
        },
    )
    repo.tag("v1")
    # a comment naming the flag: counted as comments, not listed
    ids["comment"] = repo.commit(
        "signal: explain the flag",
        {"kernel/signal.c": "/* SIGNAL_UNKILLABLE: init only dies of what it asks for */\n" + SIGNAL_C},
    )
    # a new function above the test: the test's line moves, nothing else: counted as lines
    shifted = "int helper(void)\n{\n\treturn 1;\n}\n\n" + SIGNAL_C
    ids["shift"] = repo.commit("signal: add a helper", {"kernel/signal.c": "/* SIGNAL_UNKILLABLE: x */\n" + shifted})
    # the guard of the set changes: listed, changed
    ids["guard"] = repo.commit(
        "fork: also for new mount namespaces",
        {"kernel/fork.c": FORK_C.replace("clone_flags & CLONE_NEWPID", "clone_flags & (CLONE_NEWPID | CLONE_NEWNS)")},
        author="Bo Brancher",
    )
    # the test goes to a renamed function: listed, moved
    renamed = shifted.replace("sig_task_ignored", "sig_ignored_by_task")
    ids["rename"] = repo.commit("signal: rename", {"kernel/signal.c": "/* SIGNAL_UNKILLABLE: x */\n" + renamed})
    # code elsewhere in a file that mentions the flag, no line of a site moves: counted as other code
    fork_now = FORK_C.replace("clone_flags & CLONE_NEWPID", "clone_flags & (CLONE_NEWPID | CLONE_NEWNS)")
    ids["other"] = repo.commit(
        "fork: add a counter", {"kernel/fork.c": fork_now + "\nint nr_forks(void)\n{\n\treturn 0;\n}\n"}
    )
    # a side branch creates kernel/exit.c with a test of the flag: listed, added
    repo.branch("side")
    ids["side"] = repo.commit("exit: refuse to let init exit", {"kernel/exit.c": EXIT_C})
    repo.checkout("main")
    ids["main"] = repo.commit("init: unrelated", {"init/main.c": "int main(void) { return 1; }\n"})
    # merging it brings in nothing of its own: counted as merged
    ids["merge"] = repo.merge("side", "Merge branch 'side'")
    # a second branch, and a merge that adds a clear of the flag none of its parents had: listed
    repo.branch("side2")
    ids["side2"] = repo.commit("exit: comment", {"kernel/exit.c": "/* exit */\n" + EXIT_C})
    repo.checkout("main")
    ids["main2"] = repo.commit("init: unrelated again", {"init/main.c": "int main(void) { return 2; }\n"})
    evil = (
        "/* exit */\n"
        + EXIT_C
        + "\nvoid reap(struct task_struct *p)\n{\n\tp->signal->flags &= ~SIGNAL_UNKILLABLE;\n}\n"
    )
    ids["evil"] = repo.merge("side2", "Merge branch 'side2'", {"kernel/exit.c": evil})
    # the define is deleted: listed, removed
    ids["define"] = repo.commit("sched: drop the define", {"include/linux/sched.h": "/* nothing */\n"})
    repo.tag("v2")
    return repo, ids


def _changes(entry) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted(
        (c.status.value, f"{c.latest.kind.value} {c.latest.function}")
        for c in entry.diff.changes
        if c.status.value != "unchanged" and c.family == "site"
    )


def test_log_lists_what_changed_the_logic_and_counts_the_rest(history: tuple[HistoryRepo, dict[str, str]]) -> None:
    repo, ids = history
    log = build_log(open_repo(str(repo.path)), "v1..v2", extra=())
    reasons = {entry.commit: entry.reason for entry in log.entries}
    assert reasons == {
        ids["comment"]: "comments",
        ids["shift"]: "lines",
        ids["guard"]: "changed",
        ids["rename"]: "changed",
        ids["other"]: "other code",
        ids["side"]: "changed",
        ids["merge"]: "merged",
        ids["side2"]: "comments",
        ids["evil"]: "merge",
        ids["define"]: "changed",
    }  # the two commits to init/main.c touch no file that mentions a tracked name
    assert log.commits == 12 and log.logic_changed
    by_id = {entry.commit: entry for entry in log.entries}
    assert _changes(by_id[ids["guard"]]) == [("changed", "set copy_signal")]
    assert _changes(by_id[ids["rename"]]) == [("moved", "test sig_ignored_by_task")]
    assert _changes(by_id[ids["side"]]) == [("added", "test do_exit")]
    assert _changes(by_id[ids["evil"]]) == [("added", "clear reap")]  # not the side's added test
    assert _changes(by_id[ids["define"]]) == [("removed", "define SIGNAL_UNKILLABLE")]
    assert [e.commit for e in log.shown] == [ids[k] for k in ("guard", "rename", "side", "evil", "define")]
    guard = by_id[ids["guard"]]
    assert (guard.author, guard.subject, guard.date) == (
        "Bo Brancher",
        "fork: also for new mount namespaces",
        "2021-01-05T00:00:00+00:00",
    )


def test_log_of_a_range_is_gits_range(history: tuple[HistoryRepo, dict[str, str]]) -> None:
    repo, ids = history
    # from the side branch's commit: what main reached besides it
    log = build_log(open_repo(str(repo.path)), f"{ids['side']}..v2")
    assert ids["side"] not in {e.commit for e in log.entries}
    assert ids["guard"] not in {e.commit for e in log.entries}  # an ancestor of the side commit
    assert {ids["evil"], ids["define"]} <= {e.commit for e in log.shown}
    # the range backwards holds no commit, and nothing is read for it
    backwards = build_log(open_repo(str(repo.path)), "v2..v1")
    assert (backwards.commits, backwards.entries, backwards.stats["blobs"]) == (0, (), 0)


def test_log_command_formats_and_exit_codes(
    history: tuple[HistoryRepo, dict[str, str]], capsys, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    repo, ids = history
    args = ["log", "v1..v2", "--repo", str(repo.path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert (
        "12 commits in the range; 10 changed a file that mentions a tracked name; 5 changed the analysed logic" in out
    )
    assert f"{ids['guard'][:12]}  2021-01-05  Bo Brancher" in out
    assert "  moved     SIGNAL_UNKILLABLE test: sig_task_ignored -> sig_ignored_by_task  kernel/signal.c:" in out
    assert "  added     SIGNAL_UNKILLABLE clear: reap  kernel/exit.c:" in out and ids["comment"][:12] not in out
    assert main([*args, "--all"]) == 0
    assert ids["comment"][:12] in capsys.readouterr().out
    assert main([*args, "--fail-on-change"]) == 1
    capsys.readouterr()
    assert main(["log", f"{ids['define']}..v2", "--repo", str(repo.path), "--fail-on-change"]) == 0
    capsys.readouterr()
    assert main([*args, "--format", "json", "-o", str(tmp_path / "log.json")]) == 0
    data = json.loads((tmp_path / "log.json").read_text())
    json_report.validate(data, "test")
    assert [c["commit"] for c in data["commits"]] == [ids[k] for k in ("guard", "rename", "side", "evil", "define")]
    assert data["counts"] == {"changed": 4, "merge": 1, "comments": 2, "lines": 1, "other code": 1, "merged": 1}
    for fmt, marker in (("md", "| commit |"), ("rst", ".. list-table::"), ("csv", "table,commit,")):
        assert main([*args, "--format", fmt]) == 0
        assert marker in capsys.readouterr().out
    assert main([*args, "--format", "html", "-o", str(tmp_path / "log.html")]) == 0
    page = (tmp_path / "log.html").read_text()
    assert page.count('<section class="commit"') == 5 and f'<tr data-commit="{ids["evil"]}">' in page
    assert '<td class="ln">3</td>' in page  # code in context, read from each commit
    assert main([*args, "--format", "sarif"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    listed = [ids[k] for k in ("guard", "rename", "side", "evil", "define")]
    assert [run["properties"]["commit"] for run in runs] == listed
    assert main([*args, "--track", "CLONE_NEWPID", "--format", "json"]) == 0
    tracked = json.loads(capsys.readouterr().out)
    assert "CLONE_NEWPID" in tracked["tracked"]


@pytest.mark.parametrize("spec", ["v1", "v1..v-nope", "v1...v2", "..v2"])
def test_log_bad_input_is_one_line(history: tuple[HistoryRepo, dict[str, str]], capsys, spec: str) -> None:  # type: ignore[no-untyped-def]
    repo, _ = history
    assert main(["log", spec, "--repo", str(repo.path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert 1 <= len(err) <= 2 and err[0].startswith("siganalyze: error:")


def test_code_lines_ignore_comments_and_blank_space() -> None:
    before = b'int a; /* SIGNAL_UNKILLABLE */\n\n  char *s = "/* not a comment */";\n'
    after = b'int  a;\n// a new comment\nchar *s = "/* not a comment */"; /* x\n y */\n'
    assert code_lines(before) == code_lines(after)
    assert code_lines(b'char *s = "/* a */";') != code_lines(b'char *s = "/* b */";')


def test_a_second_log_reads_and_parses_nothing(history: tuple[HistoryRepo, dict[str, str]], tmp_path: Path) -> None:
    from analyzer.cache import ResultCache

    repo, _ = history
    cache = ResultCache(tmp_path / "cache.sqlite")
    cold = build_log(open_repo(str(repo.path)), "v1..v2", cache=cache)
    warm = build_log(open_repo(str(repo.path)), "v1..v2", cache=cache)
    assert [(e.commit, e.reason) for e in warm.entries] == [(e.commit, e.reason) for e in cold.entries]
    # versions of kernel/signal.c (4), kernel/fork.c (3), kernel/exit.c (3), sched.h (1)
    assert (cold.stats["parsed"], warm.stats["parsed"], warm.stats["blobs_read"]) == (11, 0, 0)


SYS_C = """\
int sys_reboot(int cmd)
{
	if (cmd == 0)
		return -1;
	return 0;
}
"""


def test_a_file_that_mentions_the_flag_only_between_the_ends_is_seen(tmp_path: Path) -> None:
    """kernel/sys.c gains a test of the flag and loses it again, and kernel/tmp.c comes and goes
    with a set of it, all between v1 and v2: at neither end, nor at any tag, does a tree mention
    the flag in those files, yet each of the four commits changed the logic."""
    repo = HistoryRepo(tmp_path / "repo")
    base = {"Makefile": MAKEFILE, "include/linux/sched.h": SCHED_H, "kernel/signal.c": SIGNAL_C, "kernel/sys.c": SYS_C}
    repo.commit("base", base)
    repo.tag("v1")
    guarded = SYS_C.replace("\tif (cmd == 0)\n", "\tif (cmd == 0 || (current->signal->flags & SIGNAL_UNKILLABLE))\n")
    added = repo.commit("sys: init may not reboot", {"kernel/sys.c": guarded})
    repo.commit("signal: unrelated", {"kernel/signal.c": SIGNAL_C + "\nint unrelated(void)\n{\n\treturn 0;\n}\n"})
    removed = repo.commit("sys: it may again", {"kernel/sys.c": SYS_C})
    tmp_c = "void mark(struct task_struct *p)\n{\n\tp->signal->flags |= SIGNAL_UNKILLABLE;\n}\n"
    created = repo.commit("tmp: a helper that marks a task", {"kernel/tmp.c": tmp_c})
    deleted = repo.commit("tmp: gone", {"kernel/tmp.c": None})
    repo.tag("v2")
    log = build_log(open_repo(str(repo.path)), "v1..v2")
    assert [(entry.commit, _changes(entry)) for entry in log.shown] == [
        (added, [("added", "test sys_reboot")]),
        (removed, [("removed", "test sys_reboot")]),
        (created, [("added", "set mark")]),
        (deleted, [("removed", "set mark")]),
    ]


DELIVERY = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"


def _tree_files(root: Path) -> dict[str, str | bytes | None]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _changed_cells(name: str) -> set[tuple[str, str, str, str, str]]:
    """The cells an edit changes, with their new outcome, as fixtures/delivery/edits lists them by hand."""
    rows = (DELIVERY / "edits" / f"{name}.changed.tsv").read_text(encoding="utf-8").splitlines()
    return {tuple(r.split("\t")) for r in rows if r and not r.startswith("#")}  # type: ignore[misc]


def _delivery_changes(entry) -> set[tuple[str, str, str, str, str]]:  # type: ignore[no-untyped-def]
    return {
        (c.new.target.value, c.new.sender.value, c.new.disposition.value, c.new.signal, c.new.outcome.value)
        for c in entry.diff.changes
        if c.family == "delivery"
    }


def test_a_merge_bringing_in_a_sides_delivery_change_is_counted_not_listed(tmp_path: Path) -> None:
    """The side commit changes two cells; merging it into a branch without them is no change of its own.

    A merge that makes the same edit itself, none of its parents having it, is listed with exactly those cells.
    """
    edited = tmp_path / "edited"
    shutil.copytree(DELIVERY / "force", edited)
    patch = DELIVERY / "edits" / "force-no-global-init-test.patch"
    subprocess.run(["git", "apply", "-p1", str(patch)], cwd=edited, check=True, capture_output=True)
    signal_c = (edited / "kernel" / "signal.c").read_bytes()
    fork_c = (DELIVERY / "force" / "kernel" / "fork.c").read_text(encoding="utf-8")
    repo = HistoryRepo(tmp_path / "repo")
    repo.commit("6.1's delivery code", _tree_files(DELIVERY / "force"))
    repo.tag("v1")
    repo.branch("side")
    side = repo.commit("signal: drop the global init test", {"kernel/signal.c": signal_c})
    repo.checkout("main")
    repo.commit("fork: a counter", {"kernel/fork.c": fork_c + "\nint nr_forks(void)\n{\n\treturn 0;\n}\n"})
    merge = repo.merge("side", "Merge branch 'side'")
    repo.branch("side2", "v1")
    repo.commit("fork: a comment", {"kernel/fork.c": "/* fork */\n" + fork_c})
    repo.checkout("main")
    repo.git("revert", "--no-edit", side)  # main without the edit again
    evil = repo.merge("side2", "Merge branch 'side2'", {"kernel/signal.c": signal_c})
    repo.tag("v2")
    log = build_log(open_repo(str(repo.path)), "v1..v2", extra=())
    by_id = {entry.commit: entry for entry in log.entries}
    expected = _changed_cells("force-no-global-init-test")
    assert len(expected) == 2
    assert by_id[side].reason == "changed" and _delivery_changes(by_id[side]) == expected
    assert by_id[merge].reason == "merged"
    assert by_id[evil].reason == "merge" and _delivery_changes(by_id[evil]) == expected


def test_log_says_cells_that_changed_alike_once(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Dropping the forced-path clear changes 30 cells (the edit's hand table): five signals from a fault,
    for two targets and three dispositions; the five signals of one line change alike."""
    edited = tmp_path / "edited"
    shutil.copytree(DELIVERY / "force", edited)
    patch = DELIVERY / "edits" / "force-no-unkillable-clear.patch"
    subprocess.run(["git", "apply", "-p1", str(patch)], cwd=edited, check=True, capture_output=True)
    repo = HistoryRepo(tmp_path / "repo")
    repo.commit("6.1's delivery code", _tree_files(DELIVERY / "force"))
    repo.tag("v1")
    repo.commit(
        "signal: keep the flag on forced signals", {"kernel/signal.c": (edited / "kernel/signal.c").read_bytes()}
    )
    repo.tag("v2")
    assert main(["log", "v1..v2", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    heads = [line for line in out.splitlines() if "Delivery table:" in line]
    assert len(heads) == 6, heads
    for target in ("global-init", "container-init"):
        for disposition in ("default", "ignored", "blocked"):
            head = f"SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV to {target} from fault, {disposition}: killed -> dropped"
            assert sum(head in line for line in heads) == 1, head


def test_a_range_is_read_alike_by_one_git_or_by_one_per_run_of_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commits in git's order, parents first; a root commit's files added; a merge without changes."""
    repo = HistoryRepo(tmp_path / "repo")
    repo.commit("base", {"a.c": "int a;\n", "notes.txt": "x\n"})
    repo.tag("v1")
    b1 = repo.commit("b: first", {"b.c": "int b;\n"})
    a2 = repo.commit("a: odd\x1csubject\u2028here", {"a.c": "int a2;\n", "notes.txt": "y\n"})
    repo.git("checkout", "-q", "--orphan", "other")
    repo.git("rm", "-q", "-r", "--cached", ".")
    (repo.path / "a.c").unlink()
    (repo.path / "b.c").unlink()
    (repo.path / "notes.txt").unlink()
    root = repo.commit("other: a root", {"c.h": "int c;\n"})
    repo.checkout("main")
    repo.git("merge", "-q", "--no-ff", "--allow-unrelated-histories", "-m", "Merge other", "other")
    merge = repo.git("rev-parse", "HEAD")
    gone = repo.commit("b: gone", {"b.c": None})
    git_dir = str(repo.path / ".git")

    def blob(commit: str, path: str) -> str:
        return repo.git("rev-parse", f"{commit}:{path}")

    expected = [
        (b1, "b: first", [("b.c", None, blob(b1, "b.c"))]),
        (a2, "a: odd\x1csubject\u2028here", [("a.c", blob(b1, "a.c"), blob(a2, "a.c"))]),
        (root, "other: a root", [("c.h", None, blob(root, "c.h"))]),
        (merge, "Merge other", []),
        (gone, "b: gone", [("b.c", blob(merge, "b.c"), None)]),
    ]
    one = range_log(git_dir, "v1", "main", workers=1)
    monkeypatch.setattr(gitlog, "_DIFFS_PER_PROCESS", 1)
    many = range_log(git_dir, "v1", "main", workers=3)
    for commits in (one, many):
        assert [(c.sha, c.subject, c.changes) for c in commits] == expected
        assert commits[3].parents == (a2, root)


def test_signature_lines_never_reach_the_commit_list(tmp_path: Path) -> None:
    """A repo whose config says log.showSignature: git log would print a signature check beside
    each commit; the range is read as if the setting were off."""
    if shutil.which("ssh-keygen") is None:
        unavailable("ssh-keygen (openssh-client) is needed to sign a commit")
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    repo = HistoryRepo(tmp_path / "repo")
    repo.commit("base", {"a.c": "int a;\n"})
    repo.tag("v1")
    for name, value in (("gpg.format", "ssh"), ("user.signingkey", f"{key}.pub"), ("commit.gpgsign", "true")):
        repo.git("config", name, value)
    signed = repo.commit("a: signed", {"a.c": "int a2;\n"})
    repo.git("config", "log.showSignature", "true")
    assert repo.git("log", "--format=%H", "v1..main").splitlines() == ["No signature", signed]  # what git prints
    commits = range_log(str(repo.path / ".git"), "v1", "main")
    assert [(c.sha, c.subject) for c in commits] == [(signed, "a: signed")]
