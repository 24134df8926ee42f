"""Sources: git refs read from objects, directories, tarballs in memory; nothing is modified."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import git
import gitdb.exc
import pytest

from analyzer.errors import SourceError
from analyzer.scan import scan_many
from analyzer.sources import open_source
from analyzer.sources.git import GitSource, git_dir_of, open_repo
from analyzer.sources.tarball import TarballSource
from tests.conftest import FIXTURES


def site_rows(spec: str, repo: str | None = None) -> list[tuple[str, int, str, str | None]]:
    (report,) = scan_many([open_source(spec, repo)], ("SIGNAL_UNKILLABLE",))
    return [(s.location.path, s.location.line, s.kind.value, s.function) for s in report.sites]


def git_state(repo: Path) -> tuple[str, bytes, str]:
    """What a user could lose: work-tree status, index bytes, HEAD."""
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=repo, capture_output=True, text=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True)
    return status.stdout, (repo / ".git" / "index").read_bytes(), head.stdout


def test_reading_refs_never_touches_work_tree_or_index(kernel_repo: Path) -> None:
    (kernel_repo / "kernel" / "signal.c").write_text("/* uncommitted edit */\n")  # the user's work
    before = git_state(kernel_repo)
    scan_many([open_source(ref, str(kernel_repo)) for ref in ("v-r2", "v-r3")])
    assert git_state(kernel_repo) == before
    assert (kernel_repo / "kernel" / "signal.c").read_text() == "/* uncommitted edit */\n"


def test_default_repo_is_the_one_containing_the_current_directory(kernel_repo: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(kernel_repo / "kernel")
    assert site_rows("v-r2")[0] == ("include/linux/sched.h", 35, "define", "SIGNAL_UNKILLABLE")


def test_tags_branches_and_shas_resolve_to_the_same_commit(kernel_repo: Path) -> None:
    sha = subprocess.run(["git", "rev-parse", "v-r3^{commit}"], cwd=kernel_repo, capture_output=True, text=True)
    infos = [open_source(spec, str(kernel_repo)).info for spec in ("v-r3", "main", sha.stdout.strip())]
    assert len({info.commit for info in infos}) == 1 and len({info.tree for info in infos}) == 1


def test_bare_mirror_without_a_config_file(repo_factory) -> None:  # type: ignore[no-untyped-def]
    bare = repo_factory("kernel", bare=True)
    (bare / "config").unlink()  # as in a fetched mirror: git still reads it, GitPython must too
    assert ("kernel/fork.c", 150, "set", "copy_process") in site_rows("v-r3", str(bare))


def test_directory_source_matches_the_git_ref(kernel_repo: Path) -> None:
    assert site_rows(str(FIXTURES / "kernel" / "r3")) == site_rows("v-r3", str(kernel_repo))


@pytest.mark.parametrize("suffix", ["tar.gz", "tar.xz", "tar.bz2"])
def test_tarball_source_matches_the_directory(tmp_path: Path, suffix: str) -> None:
    tarball = tmp_path / f"linux-r3.{suffix}"
    with tarfile.open(tarball, f"w:{suffix.split('.')[1]}") as archive:
        archive.add(FIXTURES / "kernel" / "r3", arcname="linux-r3")
    (report,) = scan_many([open_source(str(tarball))])
    assert report.source.kind == "tarball" and report.source.release == "6.1" and report.project == "kernel"
    assert report.source.content_hash is not None and len(report.source.content_hash) == 64
    assert site_rows(str(tarball)) == site_rows(str(FIXTURES / "kernel" / "r3"))


def test_hostile_tarball_members_are_skipped_and_nothing_is_written(tmp_path: Path) -> None:
    tarball = tmp_path / "evil.tar.gz"
    code = b"void f(void)\n{\n\tcurrent->signal->flags |= SIGNAL_UNKILLABLE;\n}\n"
    with tarfile.open(tarball, "w:gz") as archive:
        for name in ("top/kernel/ok.c", "/etc/evil.c", "top/../../evil.c"):
            member = tarfile.TarInfo(name)
            member.size = len(code)
            archive.addfile(member, io.BytesIO(code))
        link = tarfile.TarInfo("top/escape.c")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    before = sorted(p.name for p in tmp_path.iterdir())
    source = TarballSource(tarball)
    assert list(source.candidate_files(("SIGNAL_UNKILLABLE",))) == ["kernel/ok.c"]
    assert sorted(source.skipped) == ["/etc/evil.c", "top/../../evil.c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_unreadable_inputs_give_source_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        open_source(str(tmp_path / "missing.tar.xz"))
    (tmp_path / "broken.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(SourceError, match="cannot read tarball"):
        open_source(str(tmp_path / "broken.tar.gz")).candidate_files(("SIGNAL_UNKILLABLE",))


def _gitpython_resolution(repo: Path, ref: str) -> tuple[str | None, str] | str:
    """(commit, tree) of `ref` as GitPython's rev_parse reads it (how refs were resolved before
    git itself did it), or the kind of object it names, or "bad" when it names none."""
    handle = git.Repo(repo)
    try:
        target = handle.rev_parse(ref)
        while isinstance(target, git.TagObject):
            target = target.object
    except (gitdb.exc.BadName, gitdb.exc.BadObject, ValueError):
        return "bad"
    if isinstance(target, git.Commit):
        return target.hexsha, target.tree.hexsha
    return (None, target.hexsha) if isinstance(target, git.Tree) else target.type


def test_refs_resolve_as_gitpython_resolves_them(kernel_repo: Path) -> None:
    def run(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=kernel_repo, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    run("tag", "tree-tag", "v-r1^{tree}")  # a tag naming a bare tree, as v2.6.11 does
    run("tag", "-m", "again", "tag-of-tag", "v-r2")
    sha = run("rev-parse", "v-r3^{commit}")
    refs = [
        *("v-r1", "main", "HEAD", sha, sha[:10], "v-r3~1", "main^", "tree-tag", "tag-of-tag", "v-r2^{tree}"),
        *("v-r2:kernel", "v-r2:Makefile", "v-r9", "v-r2^{blob}", "nope:Makefile", "v-r1 main"),
    ]
    for ref in refs:
        expected = _gitpython_resolution(kernel_repo, ref)
        try:
            info = GitSource(str(kernel_repo / ".git"), ref).info
            got: tuple[str | None, str | None] | str = (info.commit, info.tree)
        except SourceError as exc:
            got = "bad" if "is not a ref or commit" in str(exc) else str(exc).split(" names a ")[1].split(",")[0]
        assert got == expected, ref
    git_dir = str(kernel_repo / ".git")
    releases = {ref: GitSource(git_dir, ref).info.release for ref in ("v-r1", sha, "tree-tag", "v-r2:kernel")}
    assert releases == {"v-r1": "2.6.25", sha: "6.1", "tree-tag": "2.6.25", "v-r2:kernel": None}


def test_a_repo_path_finds_the_git_dir_open_repo_finds(
    kernel_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(kernel_repo), str(bare)], check=True)
    mirror = tmp_path / "mirror.git"
    shutil.copytree(bare, mirror)
    (mirror / "config").unlink()
    linked = tmp_path / "linked"
    subprocess.run(["git", "worktree", "add", "-q", str(linked), "v-r1"], cwd=kernel_repo, check=True)
    separate = tmp_path / "separate"
    elsewhere = str(tmp_path / "separate.git")
    subprocess.run(["git", "init", "-q", "--separate-git-dir", elsewhere, str(separate)], check=True)
    paths = [kernel_repo, bare, mirror, linked, separate, kernel_repo / ".git", kernel_repo / "kernel", tmp_path]
    paths += [tmp_path / "missing", linked / ".git"]
    (tmp_path / "not-a-repo" / "HEAD").mkdir(parents=True)  # a HEAD of no repo, on the way up

    def found(finder: Callable[[str | None], str], path: str | None) -> str:
        try:
            return finder(path)
        except SourceError as exc:
            return str(exc)

    def gitpython(path: str | None) -> str:
        return str(open_repo(path).git_dir)

    for path in [*paths, *(Path(f"{p}/") for p in paths[:3])]:
        assert found(git_dir_of, str(path)) == found(gitpython, str(path)), path
    # No path: the repo around the current directory, looked for upwards.
    below = [kernel_repo / "kernel", bare / "objects", linked / "kernel", tmp_path / "not-a-repo"]
    for cwd in [*paths[:6], *below, tmp_path]:
        monkeypatch.chdir(cwd)
        assert found(git_dir_of, None) == found(gitpython, None), cwd
