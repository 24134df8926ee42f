"""The work tree of a clone as it is on disk (tracked files), for `diff HEAD --worktree`."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from pathlib import Path

import git

from analyzer.errors import SourceError
from analyzer.model import SourceInfo
from analyzer.sources.git import kernel_release_of


class WorktreeSource:
    """Uncommitted state: `git grep` over the work tree, files read from disk, nothing written."""

    def __init__(self, repo: git.Repo) -> None:
        if repo.bare or repo.working_tree_dir is None:
            raise SourceError(f"{repo.git_dir}: a bare repository has no work tree")
        self.root = Path(repo.working_tree_dir).resolve()
        makefile = self.root / "Makefile"
        self.info = SourceInfo(
            kind="worktree",
            spec="(work tree)",
            repo=str(repo.git_dir),
            path=str(self.root),
            release=kernel_release_of(makefile.read_bytes()) if makefile.is_file() else None,
        )

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        """Tracked files (as edited) that mention a word of `idents`, by sha256 of their content."""
        args = ["git", "-C", str(self.root), "grep", "-l", "-w"]
        for ident in idents:
            args += ["-e", ident]
        proc = subprocess.run([*args, "--"], capture_output=True, check=False)
        if proc.returncode not in (0, 1):
            reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise SourceError(f"{self.root}: text search failed: {reason[-1] if reason else proc.returncode}")
        paths = sorted(proc.stdout.decode("utf-8", "surrogateescape").splitlines())
        return {path: hashlib.sha256(self.read(path)).hexdigest() for path in paths}

    def read(self, path: str) -> bytes:
        """The file as it is on disk, refusing anything outside the work tree."""
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            raise SourceError(f"{path}: outside {self.root}")
        try:
            return target.read_bytes()
        except OSError as exc:
            raise SourceError(f"{target}: {exc.strerror}") from None
