"""history: releases in version order, rows followed across them."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from analyzer.cli import main
from analyzer.history import build_timeline, resolve_refs
from analyzer.report import json as json_report
from analyzer.scan import scan_many
from analyzer.sources import open_source


def test_range_keeps_release_tags_in_version_order(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "r")
    repo.index.commit("x")
    for tag in ("v2.6.9", "v2.6.10", "v2.6.11", "v2.6.10-rc1", "v2.6.10.1", "v2.6.8", "v2.6.12"):
        repo.create_tag(tag)
    assert resolve_refs(repo, ["v2.6.9..v2.6.11"], None) == ["v2.6.9", "v2.6.10", "v2.6.11"]
    assert resolve_refs(repo, [], "v2.6.1*") == ["v2.6.10", "v2.6.11", "v2.6.12"]
    assert resolve_refs(repo, [], "v2.6.1*", rc=True) == ["v2.6.10-rc1", "v2.6.10", "v2.6.11", "v2.6.12"]
    assert resolve_refs(repo, ["v2.6.10", "v2.6.9"], None) == ["v2.6.9", "v2.6.10"]
    # named one by one, a point release and a release candidate are taken
    assert resolve_refs(repo, ["v2.6.10.1", "v2.6.10-rc1", "v2.6.10"], None) == ["v2.6.10-rc1", "v2.6.10", "v2.6.10.1"]


def test_selection_folds_point_releases_and_orders_versions(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "r")
    repo.index.commit("x")
    tags = ["v2.6.34", "v2.6.34.6", "v2.6.35-rc1", "v2.6.35", "v2.6.35.4", "v2.6.36-rc3", "v5.10.223", "v6.1.176"]
    tags += ["v6.12.107", "v7.2.8", "v3.0-rc1", "v3.0", "v3.0.1", "v2.6.34-tree"]
    for tag in tags:
        repo.create_tag(tag)
    # v2.6.34.6 and v2.6.35.4 go (their finals are there); the 6.x/7.x point releases stay;
    # v2.6.34-tree is no release
    assert resolve_refs(repo, [], "v*") == [
        "v2.6.34", "v2.6.35", "v3.0", "v5.10.223", "v6.1.176", "v6.12.107", "v7.2.8",
    ]  # fmt: skip
    # a range is version order, not git ancestry; its ends are taken even when an -rc
    assert resolve_refs(repo, ["v2.6.34..v2.6.36-rc3"], None) == ["v2.6.34", "v2.6.35", "v2.6.36-rc3"]
    assert resolve_refs(repo, ["v2.6.34.6..v6.1.176"], None) == [
        "v2.6.34.6", "v2.6.35", "v3.0", "v5.10.223", "v6.1.176",
    ]  # fmt: skip
    assert resolve_refs(repo, ["v2.6.34..v2.6.36-rc3"], None, rc=True) == [
        "v2.6.34", "v2.6.35-rc1", "v2.6.35", "v2.6.36-rc3",
    ]  # fmt: skip


def test_timeline_follows_sites_through_renames(kernel_repo: Path) -> None:
    reports = scan_many(
        [open_source(ref, str(kernel_repo)) for ref in ("v-r1", "v-r2", "v-r3")], ("SIGNAL_UNKILLABLE",)
    )
    timeline = build_timeline(reports)
    rows = {row.label.split(":")[0]: row.cells for row in timeline.rows if row.family == "site"}
    assert rows["SIGNAL_UNKILLABLE test get_signal (kernel/signal.c)"] == ("", "added", "moved")
    assert rows["SIGNAL_UNKILLABLE set init_post (init/main.c)"] == ("", "added", "")
    assert rows["SIGNAL_UNKILLABLE set copy_process (kernel/fork.c)"] == ("", "", "added")
    # rows read in order: the define first, then sets, clears, tests; facts after the sites
    kinds = [row.label.split()[1] for row in timeline.rows if row.family == "site"]
    assert kinds[0] == "define" and kinds == sorted(kinds, key=["define", "set", "clear", "test", "other"].index)
    families = [row.family for row in timeline.rows]
    assert families == sorted(families, key=["site", "mask", "force", "kill_path", "disposition", "delivery"].index)


def test_history_command_text_and_json(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["history", "v-r1", "v-r2", "v-r3", "--repo", str(kernel_repo)]) == 0
    out, err = capsys.readouterr()
    assert "History of 3 releases" in out and "Kill path" in out and "parsed" in err
    assert main(["history", "--tags", "v-r*", "--repo", str(kernel_repo), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    json_report.validate(data, "test")
    assert [r["ref"] for r in data["releases"]] == ["v-r1", "v-r2", "v-r3"]


@pytest.mark.parametrize(
    "argv",
    [
        ["history"],
        ["history", "v-r1..v-nope"],
        ["history", "--tags", "zzz*"],
        ["history", "v-r3..v-r1"],
        ["history", "v-r1", "--tags", "v-r*"],
    ],
)
def test_history_bad_input_is_one_line(kernel_repo: Path, capsys, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert main([*argv, "--repo", str(kernel_repo)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) <= 2


def test_change_view_says_where_and_what_changed(kernel_repo: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["history", "v-r1", "v-r2", "v-r3", "--repo", str(kernel_repo)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[:2] == ["History of 3 releases, in version order", "  v-r1 v-r2 v-r3"]
    # grouped under the name, each row with its span, then one line per event
    start = lines.index("  test get_signal (kernel/signal.c): if (unlikely(signal->flags & SIGNAL_UNKILLABLE) && "
                        "!sig_kernel_only(signr))")  # fmt: skip
    assert lines[start + 1 : start + 4] == [
        "      v-r2 to v-r3",
        "      v-r2         added    get_signal_to_deliver kernel/signal.c:346",
        "      v-r3         moved    get_signal_to_deliver -> get_signal kernel/signal.c:346 -> kernel/signal.c:355",
    ]
    start = lines.index("  set init_post (init/main.c): current->signal->flags |= SIGNAL_UNKILLABLE;")
    assert lines[start + 1 : start + 4] == [
        "      v-r2 only",
        "      v-r2         added    init_post init/main.c:53",
        "      v-r3         removed  init_post init/main.c:53",
    ]
    assert lines.index("SIGNAL_UNKILLABLE") < lines.index("is_global_init") < lines.index("Kill path")
    assert main(["history", "v-r1", "v-r2", "v-r3", "--repo", str(kernel_repo), "--view", "grid"]) == 0
    assert "History of 3 releases\n" in capsys.readouterr().out
    assert main(["history", "v-r1", "v-r2", "v-r3", "--repo", str(kernel_repo), "--format", "html"]) == 0
    page = capsys.readouterr().out
    # the grid's moved cell says what moved, in its tooltip
    assert "v-r3: moved — kernel/signal.c:355 — get_signal_to_deliver -&gt; get_signal kernel/signal.c:346" in page
