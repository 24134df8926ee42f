"""Review mode: a CI gate (--fail-on-change), the uncommitted work tree, SARIF for annotations."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from analyzer import resources
from analyzer.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def git_state(repo: Path) -> tuple[str, bytes]:
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    return status, (repo / ".git" / "index").read_bytes()


def test_fail_on_change_gates_on_logic_not_on_lines(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "diff", "v-r2", "v-r3", "--repo", str(kernel_repo), "--fail-on-change")[0] == 1
    assert run(capsys, "diff", "v-r3", "v-r3", "--repo", str(kernel_repo), "--fail-on-change")[0] == 0
    assert run(capsys, "diff", "v-r3", "v-nope", "--repo", str(kernel_repo), "--fail-on-change")[0] == 2


def test_worktree_diff_sees_uncommitted_edits_and_touches_nothing(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    subprocess.run(["git", "checkout", "-q", "v-r3"], cwd=kernel_repo, check=True)
    signal_c = kernel_repo / "kernel" / "signal.c"
    edited = signal_c.read_text().replace("!sig_kernel_only(signr))", "!sig_kernel_only(signr) && !forced)")
    signal_c.write_text(edited)
    before = git_state(kernel_repo)
    code, out, _ = run(capsys, "diff", "HEAD", "--worktree", "--repo", str(kernel_repo), "--fail-on-change")
    assert code == 1 and "changed   get_signal" in out and "!sig_kernel_only(signr) && !forced)" in out
    assert git_state(kernel_repo) == before and signal_c.read_text() == edited
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=kernel_repo, check=True)
    assert run(capsys, "diff", "HEAD", "--worktree", "--repo", str(kernel_repo), "--fail-on-change")[0] == 0


def test_diff_needs_new_or_worktree(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "diff", "v-r2", "--repo", str(kernel_repo))
    assert code == 2 and "name NEW, or compare OLD with the work tree with --worktree" in err


def test_sarif_is_valid_and_points_at_the_new_lines(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "diff", "v-r2", "v-r3", "--repo", str(kernel_repo), "--format", "sarif")
    log = json.loads(out)
    schema = json.loads((resources.reports_dir() / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    moved = next(r for r in results if "get_signal" in r["message"]["text"])
    region = moved["locations"][0]["physicalLocation"]
    assert code == 0 and moved["ruleId"] == "site/moved" and moved["baselineState"] == "updated"
    assert (region["artifactLocation"]["uri"], region["region"]["startLine"]) == ("kernel/signal.c", 355)
    # a changed test of the flag may weaken init's protection: a warning; a moved one is a note
    changed_test = next(
        r
        for r in results
        if r["ruleId"] == "site/changed" and r["message"]["text"].startswith("SIGNAL_UNKILLABLE test")
    )
    assert changed_test["level"] == "warning" and moved["level"] == "note"
    assert not any(r["baselineState"] == "unchanged" for r in results)


def test_sarif_is_refused_for_a_scan(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # scan does not offer the format at all: argparse refuses it before any work
    with pytest.raises(SystemExit) as stop:
        run(capsys, "scan", "v-r2", "--repo", str(kernel_repo), "--format", "sarif")
    assert stop.value.code == 2 and "invalid choice: 'sarif'" in capsys.readouterr().err


def test_sarif_names_the_fact_and_what_changed(repo_factory, capsys) -> None:  # type: ignore[no-untyped-def]
    repo = repo_factory("systemd")
    code, out, _ = run(capsys, "diff", "v-r1", "v-r2", "--repo", str(repo), "--format", "sarif")
    messages = [r["message"]["text"] for r in json.loads(out)["runs"][0]["results"]]
    assert code == 0
    assert "PID 1 signal table moved: SIGSEGV; path: src/core/main.c -> src/core/crash-handler.c" in messages


def test_a_kernel_is_not_compared_with_an_init(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import FIXTURES

    code, _, err = run(capsys, "diff", "v-r3", str(FIXTURES / "systemd" / "r2"), "--repo", str(kernel_repo))
    assert code == 2 and "OLD is a kernel tree and NEW a systemd tree" in err


def test_output_to_dev_stdout_through_a_pipe(kernel_repo: Path) -> None:
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "analyzer", "scan", "v-r2", "--repo", str(kernel_repo), "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "SIGNAL_UNKILLABLE in v-r2" in proc.stdout
