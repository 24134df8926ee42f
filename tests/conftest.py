"""Fixture trees turned into throwaway git repos with one tagged commit per release."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import git
import pytest

from analyzer import codec

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
IDENTITY = {
    "GIT_AUTHOR_NAME": "siganalyze tests",
    "GIT_AUTHOR_EMAIL": "tests@siganalyze.invalid",
    "GIT_COMMITTER_NAME": "siganalyze tests",
    "GIT_COMMITTER_EMAIL": "tests@siganalyze.invalid",
}


def make_repo(tmp_path: Path, family: str, bare: bool = False) -> Path:
    """Commit fixtures/<family>/r1, r2, ... in order, tag each v-rN; return the repo path.

    Commits use fixed identities and dates, so their SHAs are the same on every run.
    """
    work = tmp_path / f"{family}-work"
    git.Repo.init(work, initial_branch="main")
    releases = sorted((FIXTURES / family).iterdir(), key=lambda p: int(p.name[1:]))
    for number, release in enumerate(releases, start=1):
        for child in work.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(release, work, dirs_exist_ok=True)
        date = f"2020-01-{number:02d}T00:00:00+0000"
        env = {**IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        # An emptied index makes git hash every file again: copies keep the checkout's
        # mtimes, so a same-size file (SUBLEVEL = 25 -> 34) would otherwise look unchanged.
        for args in (
            ["read-tree", "--empty"],
            ["add", "--all"],
            ["commit", "-q", "-m", release.name],
            ["tag", "-m", release.name, f"v-{release.name}"],
        ):
            subprocess.run(["git", *args], cwd=work, env={**os.environ, **env}, check=True)
    if not bare:
        return work
    target = tmp_path / f"{family}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(target)], check=True)
    return target


def under_ci() -> bool:
    """True in CI (CI=true, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """A tool a test needs is missing: skip on a developer machine, fail under CI.

    .ci/run installs every such tool, so a skip there would hide a broken install step.
    """
    if under_ci():
        pytest.fail(f"{reason}; CI=true, where nothing may be skipped: .ci/run must install it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own result cache, never the user's."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture(autouse=True)
def fresh_codec_plans() -> None:
    """The codec keeps one encoder and decoder per record type for the process; each test
    builds its own, so no test depends on an earlier one (and mutation testing, which forks
    every mutant from a process that ran the tests once, reaches the code that builds them)."""
    codec._encoders.cache_clear()
    codec._decoders.cache_clear()
    codec.record_tuples.cache_clear()


@pytest.fixture
def kernel_repo(tmp_path: Path) -> Path:
    """A work-tree repo of fixtures/kernel with tags v-r1, v-r2, v-r3."""
    return make_repo(tmp_path, "kernel")


@pytest.fixture
def repo_factory(tmp_path: Path) -> Callable[..., Path]:
    """make_repo bound to this test's tmp_path."""
    return lambda family, bare=False: make_repo(tmp_path, family, bare)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """$SIGANALYZE_MUTATION_TESTS (space-separated node-id globs) keeps only those tests.

    tests/mutation/run.sh --delivery sets it: the evaluator is also reached by the slow
    whole-tree tests of the fast selection (~60 s a surviving mutant), which its own unit tests
    make redundant there.
    """
    globs = os.environ.get("SIGANALYZE_MUTATION_TESTS", "").split()
    if not globs:
        return
    kept = [item for item in items if any(fnmatch.fnmatchcase(item.nodeid, g) for g in globs)]
    dropped = [item for item in items if item not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
