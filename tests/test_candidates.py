"""Candidate files of many releases from tree diffs: each distinct blob read once, cached by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.cache import ResultCache
from analyzer.candidates import DeltaStats, find_candidates, tree_changes
from analyzer.sources.git import GitSource, open_repo, run_grep
from tests.history_repo import HistoryRepo

NAMES = ("SIGNAL_UNKILLABLE", "is_global_init")


@pytest.fixture
def releases(tmp_path: Path) -> HistoryRepo:
    """Four tagged releases; what each one's candidates are is written beside each step."""
    repo = HistoryRepo(tmp_path / "repo")
    repo.commit(
        "r1",
        {
            "kernel/signal.c": "int f(void) { return t->flags & SIGNAL_UNKILLABLE; }\n",
            "kernel/exit.c": "void g(void) { }\n",
            "init/main.c": "/* is_global_init is mentioned in a comment */\n",
            "lib/other.c": "int SIGNAL_UNKILLABLE_NOT = 1;\n",  # not a whole word
        },
    )
    repo.tag("v1.0")  # candidates: kernel/signal.c, init/main.c
    repo.commit(
        "r2",
        {
            "kernel/signal.c": "int f(void) { return 0; }\n",  # the word goes away
            "kernel/exit.c": "void g(void) { if (is_global_init(p)) return; }\n",  # and comes here
            "kernel/fork.c": "void h(void) { p->flags |= SIGNAL_UNKILLABLE; }\n",  # a new file
        },
    )
    repo.tag("v1.1")  # candidates: init/main.c, kernel/exit.c, kernel/fork.c
    repo.commit("r3", {"kernel/fork.c": None, "fw/blob.bin": b"\x00\x01SIGNAL_UNKILLABLE\x00"})
    repo.tag("v1.2")  # candidates: init/main.c, kernel/exit.c, fw/blob.bin (binary, still counted)
    repo.commit("r4", {"kernel/signal.c": "int f(void) { return t->flags & SIGNAL_UNKILLABLE; }\n"})
    repo.tag("v1.3")  # kernel/signal.c back with its r1 blob
    return repo


def _scan(repo: HistoryRepo, tags: list[str], cache: ResultCache) -> tuple[dict[str, list[str]], DeltaStats]:
    git_repo = open_repo(str(repo.path))
    sources = [GitSource(git_repo, tag) for tag in tags]
    stats = DeltaStats()
    find_candidates(sources, NAMES, cache, stats)
    return {tag: sorted(s.candidate_files(NAMES)) for tag, s in zip(tags, sources, strict=True)}, stats


def test_candidates_follow_the_tree_diffs(releases: HistoryRepo) -> None:
    found, stats = _scan(releases, ["v1.0", "v1.1", "v1.2", "v1.3"], ResultCache(None))
    assert found == {
        "v1.0": ["init/main.c", "kernel/signal.c"],
        "v1.1": ["init/main.c", "kernel/exit.c", "kernel/fork.c"],
        "v1.2": ["fw/blob.bin", "init/main.c", "kernel/exit.c"],
        "v1.3": ["fw/blob.bin", "init/main.c", "kernel/exit.c", "kernel/signal.c"],
    }
    # v1.0 is searched whole while the changed blobs are read: r2 three, r3 one, r4 one
    # (r1's kernel/signal.c again, which the search of v1.0 was finding at the same time)
    assert (stats.trees_grepped, stats.diffs, stats.blobs_changed, stats.blobs_read) == (1, 3, 5, 5)
    git_dir = str(releases.path / ".git")
    trees = [releases.git("rev-parse", f"{tag}^{{tree}}") for tag in found]
    assert {
        tag: sorted(run_grep(git_dir, [tree], NAMES)[tree]) for tag, tree in zip(found, trees, strict=True)
    } == found


def test_warm_and_added_releases_read_only_new_blobs(releases: HistoryRepo, tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache.sqlite")
    _scan(releases, ["v1.1", "v1.2"], cache)
    again, warm = _scan(releases, ["v1.1", "v1.2"], cache)
    assert (warm.trees_cached, warm.trees_grepped, warm.blobs_read) == (2, 0, 0)
    assert again["v1.2"] == ["fw/blob.bin", "init/main.c", "kernel/exit.c"]
    # v1.0 before the cached v1.1: derived backwards from it, reading only r1's kernel/signal.c
    # and kernel/exit.c (r1's init/main.c is the same blob in v1.1); v1.3 after v1.2 needs
    # r1's kernel/signal.c, read once for both; nothing searched whole.
    more, added = _scan(releases, ["v1.0", "v1.1", "v1.2", "v1.3"], cache)
    assert more["v1.0"] == ["init/main.c", "kernel/signal.c"]
    assert more["v1.3"] == ["fw/blob.bin", "init/main.c", "kernel/exit.c", "kernel/signal.c"]
    assert (added.trees_cached, added.trees_grepped, added.blobs_read, added.blobs_cached) == (2, 0, 2, 0)


def test_tree_changes_names_new_blobs_and_deletions(releases: HistoryRepo) -> None:
    git_dir = str(releases.path / ".git")
    changes = tree_changes(git_dir, "v1.1", "v1.2")
    assert set(changes) == {"kernel/fork.c", "fw/blob.bin"}
    assert changes["kernel/fork.c"] is None
    assert changes["fw/blob.bin"] == releases.git("rev-parse", "v1.2:fw/blob.bin")


def test_the_fingerprint_covers_the_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import analyzer.resources as resources

    package = tmp_path / "analyzer"
    package.mkdir()
    (package / "words.py").write_text("WORD = 1\n")
    monkeypatch.setattr(resources, "_PACKAGE", package)
    try:
        resources.fingerprint.cache_clear()
        before = resources.fingerprint()
        (package / "words.py").write_text("WORD = 2\n")
        resources.fingerprint.cache_clear()
        assert resources.fingerprint() != before
    finally:
        resources.fingerprint.cache_clear()


def test_the_fingerprint_reads_every_file_but_compiled_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import analyzer.resources as resources

    package = tmp_path / "analyzer"
    for name in ("words.py", "report/html/page.css", ".hidden", "__pycache__/words.cpython-311.pyc", "old.pyc"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(name)
    (package / "elsewhere").symlink_to(tmp_path / "outside", target_is_directory=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "never.py").write_text("")
    resources.queries_dir(), resources.reports_dir()  # found in this checkout before the package moves
    monkeypatch.setattr(resources, "_PACKAGE", package)
    names = [name for name, _ in resources._result_inputs() if name.startswith("analyzer/")]
    assert names == ["analyzer/.hidden", "analyzer/report/html/page.css", "analyzer/words.py"]
