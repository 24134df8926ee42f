"""The command in-process: outputs, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.report import json as json_report
from tests.conftest import FIXTURES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_text_names_kinds_functions_and_accounting(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "scan", "v-r3", "--repo", str(kernel_repo))
    assert code == 0 and err == ""
    assert "SIGNAL_UNKILLABLE in v-r3 (Linux 6.1" in out
    assert "kernel/fork.c:150" in out and "under: if (is_child_reaper(pid)) < if (thread_group_leader(p))" in out
    assert (
        "SIGNAL_UNKILLABLE: 15 occurrences found by text search = 9 sites + 3 in comments + 1 in strings + 1 in #if 0"
        in out
    )


def test_json_output_is_valid_and_written_atomically(kernel_repo: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "out").mkdir()
    out_file = tmp_path / "out" / "r2.json"
    code, out, _ = run(capsys, "scan", "v-r2", "--repo", str(kernel_repo), "--format", "json", "-o", str(out_file))
    assert code == 0 and out == ""
    data = json.loads(out_file.read_text())
    json_report.validate(data, "test")
    flag_hits = [o for o in data["occurrences"] if o["ident"] == "SIGNAL_UNKILLABLE"]
    assert data["schema"] == "siganalyze/report" and len(flag_hits) == 16
    assert data["accounting"]["total"] == len(data["occurrences"])
    assert [p.name for p in out_file.parent.iterdir()] == ["r2.json"]  # no temp file left behind


def test_diff_accepts_a_saved_report(kernel_repo: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    saved = tmp_path / "old.json"
    run(capsys, "scan", "v-r2", "--repo", str(kernel_repo), "--format", "json", "-o", str(saved))
    code, out, _ = run(capsys, "diff", str(saved), "v-r3", "--repo", str(kernel_repo), "--format", "json")
    data = json.loads(out)
    json_report.validate(data, "test")
    flag_rows = Counter(c["status"] for c in data["changes"] if c["ident"] == "SIGNAL_UNKILLABLE")
    assert code == 0 and flag_rows == {"unchanged": 3, "moved": 3, "changed": 2, "added": 1, "removed": 2}
    assert sum(data["summary"].values()) == len(data["changes"])


def test_diff_text_shows_the_rename(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "diff", "v-r2", "v-r3", "--repo", str(kernel_repo))
    assert code == 0
    assert "moved     get_signal_to_deliver -> get_signal  kernel/signal.c:346 -> kernel/signal.c:355" in out


def test_diff_from_before_the_flag_says_absent(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "diff", "v-r1", "v-r2", "--repo", str(kernel_repo))
    assert code == 0 and "absent in OLD (v-r1): no occurrence at all" in out


def test_unknown_ref_names_the_repo_and_closest_tags(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "scan", "v-r9", "--repo", str(kernel_repo))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"siganalyze: error: 'v-r9' is not a ref or commit in {kernel_repo / '.git'}",
        "siganalyze: hint: closest tags: v-r1, v-r2, v-r3",
    ]


def test_not_a_repo(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "scan", "v6.1", "--repo", str(tmp_path))
    assert code == 2 and err == f"siganalyze: error: {tmp_path}: not a git repository\n"


def test_ref_that_looks_like_an_option_is_refused(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "--repo", str(kernel_repo), "--", "--output=/tmp/x"])
    assert exit_info.value.code == 2
    assert "looks like an option" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not-json.json", "not JSON"),
        ("other-schema.json", "$.schema: not a siganalyze report"),
        ("future-version.json", "$.schema_version: 99, this siganalyze reads 4"),
        ("bad-site-kind.json", "$.sites[0].kind: 'toggle' is not one of"),
    ],
)
def test_invalid_report_files_give_one_line(kernel_repo: Path, capsys, name: str, message: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "diff", str(FIXTURES / "reports" / name), "v-r2", "--repo", str(kernel_repo))
    assert code == 2
    assert err.startswith(f"siganalyze: error: {FIXTURES / 'reports' / name}: ")
    assert message in err.splitlines()[0]


def test_strict_turns_unaccounted_sites_into_exit_3(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "odd.c").write_text("  {\n    if (x & SIGNAL_UNKILLABLE) y();\n  }\n")
    code, _, err = run(capsys, "scan", str(tmp_path), "--project", "kernel")
    assert code == 0 and "odd.c:2:13: site has no enclosing function" in err
    code, _, err = run(capsys, "scan", str(tmp_path), "--project", "kernel", "--strict")
    assert code == 3 and "siganalyze: error: 1 occurrence(s) not fully accounted for" in err


def test_module_runs_with_help() -> None:
    proc = subprocess.run([sys.executable, "-m", "analyzer", "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "siganalyze diff v2.6.34 v6.1" in proc.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", ""], "argument -o/--output: empty output path"),
        (["--track", "foo bar"], "siganalyze: error: not a C identifier: 'foo bar'"),
        (["-o", "."], "siganalyze: error: .: is a directory"),
    ],
)
def test_bad_options_are_user_errors(kernel_repo: Path, capsys, argv: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    try:
        code = main(["scan", "v-r2", "--repo", str(kernel_repo), *argv])
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    assert code == 2 and message in capsys.readouterr().err


def test_a_tag_naming_a_tree_is_read_as_that_tree(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import git

    repo = git.Repo(kernel_repo)
    repo.create_tag("v-tree", ref=repo.commit("v-r2").tree.hexsha, message="a tree, as v2.6.11 is")
    code, out, _ = run(capsys, "scan", "v-tree", "--repo", str(kernel_repo), "--format", "json")
    data = json.loads(out)
    flag_sites = [site for site in data["sites"] if site["ident"] == "SIGNAL_UNKILLABLE"]
    assert code == 0 and data["source"]["commit"] is None and len(flag_sites) == 10


def test_hint_prefers_releases_extending_the_typed_name(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "scan", "v", "--repo", str(kernel_repo))
    assert code == 2 and "hint: closest tags: v-r1, v-r2, v-r3" in err


def test_an_existing_file_that_is_no_tarball(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "notes.txt").write_text("x")
    code, _, err = run(capsys, "scan", str(tmp_path / "notes.txt"))
    assert code == 2 and "notes.txt: not a directory or a source tarball" in err


def test_diff_reports_with_other_tracked_names_compares_only_the_common_ones(
    kernel_repo: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    saved = tmp_path / "r3.json"
    run(capsys, "scan", "v-r3", "--repo", str(kernel_repo), "--format", "json", "-o", str(saved))
    code, out, _ = run(capsys, "diff", str(saved), "v-r3", "--repo", str(kernel_repo), "--track", "SIGNAL_GROUP_EXIT")
    assert code == 0 and "SIGNAL_GROUP_EXIT: not tracked in OLD (v-r3), not compared" in out
    assert "added" not in out.replace("0 added", "")


def test_systemd_tree_is_detected_and_its_table_printed(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "scan", str(FIXTURES / "systemd" / "r2"), "--format", "json")
    data = json.loads(out)
    json_report.validate(data, "test")
    rows = {row["signal"]: row for row in data["dispositions"]}
    assert code == 0 and data["project"] == "systemd" and data["sites"] == []
    assert rows["SIGSEGV"]["disposition"] == "handler" and rows["SIGSEGV"]["path"] == "src/core/crash-handler.c"
    assert rows["SIGPIPE"]["disposition"] == "ignored"
    assert "src/systemctl/systemctl.c" in data["init"]["excluded"]


def test_systemd_diff_says_the_crash_handler_moved(repo_factory, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = repo_factory("systemd")
    code, out, _ = run(capsys, "diff", "v-r1", "v-r2", "--repo", str(repo))
    assert code == 0 and "PID 1 signal table:" in out
    # SIGSEGV, SIGILL and SIGABRT (SIGIOT) moved alike: said once, every name listed
    assert (
        "moved     SIGILL, SIGABRT, SIGSEGV " in out
        and out.count("path: src/core/main.c -> src/core/crash-handler.c") == 1
    )
    code, out, _ = run(capsys, "diff", "v-r1", "v-r2", "--repo", str(repo), "--format", "json")
    moved = [c["old"]["signal"] for c in json.loads(out)["fact_changes"] if c["status"] == "moved"]
    assert "SIGSEGV" in moved


def test_project_can_be_forced(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "scan", str(FIXTURES / "inits" / "waitinit"), "--format", "json")
    assert code == 0 and json.loads(out)["project"] == "init"
    # A kernel forced to be read as an init has no program in it: one line, exit 2, no invented table.
    code, out, err = run(capsys, "scan", str(FIXTURES / "kernel" / "r2"), "--project", "init", "--format", "json")
    assert (code, out) == (2, "") and "no C file defines main() or an init applet's entry" in err


def test_fetch_then_diff_outside_a_clone_uses_the_cache_repo(repo_factory, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    upstream = repo_factory("kernel", bare=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    code, out, _ = run(capsys, "fetch", "v-r2", "--remote", f"file://{upstream}")
    cache = Path(out.strip())
    assert code == 0 and cache.is_relative_to(tmp_path / "cache") and (cache / "HEAD").is_file()
    code, out, _ = run(capsys, "diff", "v-r2", "v-r3", "--remote", f"file://{upstream}")
    assert code == 0 and "moved     get_signal_to_deliver -> get_signal" in out
    tags = subprocess.run(["git", "--git-dir", str(cache), "tag"], capture_output=True, text=True).stdout.split()
    assert tags == ["v-r2", "v-r3"]  # only what was named, never v-r1


def test_a_failed_fetch_names_the_url(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "scan", "v6.1", "--remote", f"file://{tmp_path}/missing.git")
    assert code == 2 and f"file://{tmp_path}/missing.git" in err.splitlines()[0]


def test_progress_is_shown_on_a_terminal_only() -> None:
    import io

    from analyzer.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown, hidden = Terminal(), io.StringIO()
    for stream in (shown, hidden):
        progress = Progress(stream)
        progress("parsing files 1/2")
        progress.done()
    assert shown.getvalue() == "\r\x1b[Kparsing files 1/2\r\x1b[K" and hidden.getvalue() == ""


def test_each_subcommand_offers_exactly_what_it_reads(capsys) -> None:  # type: ignore[no-untyped-def]
    helps = {}
    for command in ("scan", "diff", "history", "fetch"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps[command] = capsys.readouterr().out
    fetch_options = helps["fetch"].split("examples:")[0]
    for option in ("--format", "--track", "--strict", "--source-url", "-o FILE", "--repo"):
        assert option not in fetch_options, option
    options = {command: text.split("examples:")[0] for command, text in helps.items()}
    assert "sarif" in options["diff"] and "sarif" not in options["scan"] and "sarif" not in options["history"]
    assert "--quiet" in options["diff"] and "--quiet" not in options["scan"]
    for text in helps.values():
        assert "1 the logic changed" in text and "130 interrupted" in text
    assert "siganalyze history v2.6.26..v2.6.35" not in helps["scan"]  # each its own examples


def test_output_into_a_missing_directory_fails_before_any_work(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as stop:
        main(["history", "v-r1..v-r3", "-o", str(tmp_path / "missing" / "out.txt")])
    assert stop.value.code == 2 and "does not exist" in capsys.readouterr().err


def test_quiet_diff_prints_nothing_and_sets_the_status(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    same = main(["diff", "v-r2", "v-r2", "--repo", str(kernel_repo), "--quiet"])
    changed = main(["diff", "v-r2", "v-r3", "--repo", str(kernel_repo), "--quiet"])
    out, err = capsys.readouterr()
    assert (same, changed, out, err) == (0, 1, "", "")


def test_a_diff_lists_changes_and_counts_what_did_not_change(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "diff", "v-r2", "v-r2", "--repo", str(kernel_repo), "--fail-on-change")
    # fixtures/kernel/r2: SIGNAL_UNKILLABLE in code at kernel/signal.c:29, 151, 224, 286, 346,
    # kernel/fork.c:27, 66, init/main.c:53, include/linux/sched.h:35, 38 (signal.c:275 is in
    # #if 0, the others are comments and a string): 10 sites, all unchanged, none listed.
    flag = out.split("\nSIGNAL_UNKILLABLE:")[1].split("\nis_global_init:")[0]
    assert code == 0 and "  10 unchanged sites not listed (--all lists them)" in flag
    assert "  unchanged " not in flag
    code, out, _ = run(capsys, "diff", "v-r2", "v-r2", "--repo", str(kernel_repo), "--all")
    flag = out.split("\nSIGNAL_UNKILLABLE:")[1].split("\nis_global_init:")[0]
    assert code == 0 and flag.count("  unchanged ") == 10


def test_a_misspelled_track_name_is_a_warning(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "scan", "v-r2", "--repo", str(kernel_repo), "--track", "SIGNAL_UNKILABLE")
    assert code == 0
    assert "siganalyze: warning: --track SIGNAL_UNKILABLE: no occurrence in any tree of this run; misspelled?" in err


def test_an_unreachable_upstream_suggests_repo(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # outside any clone: the named tag would be fetched
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, out, err = run(capsys, "scan", "v6.1", "--remote", f"file://{tmp_path}/no-such-repo")
    assert (code, out) == (2, "")
    assert "siganalyze: hint: no network? name a local clone with --repo PATH" in err


def test_a_long_list_in_pid1s_table_is_cut_in_doc_tables(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # eight other programs with a main() each: all left out of PID 1's scope
    (tmp_path / "init.c").write_text("#include <signal.h>\nint main(void)\n{\n\tsignal(SIGPIPE, SIG_IGN);\n}\n")
    for i in range(8):
        (tmp_path / f"tool{i}.c").write_text("#include <signal.h>\nint main(void)\n{\n\tsignal(SIGINT, SIG_IGN);\n}\n")
    code, out, _ = run(capsys, "scan", str(tmp_path), "--format", "md")
    assert code == 0 and "tool0.c, tool1.c, tool2.c, tool3.c, tool4.c, tool5.c, and 2 more (see the JSON report)" in out
    code, out, _ = run(capsys, "scan", str(tmp_path), "--format", "json")
    assert len(json.loads(out)["init"]["excluded"]) == 8
