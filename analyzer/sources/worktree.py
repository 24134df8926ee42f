"""The work tree of a clone as it is on disk (tracked files), for `diff HEAD --worktree`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.errors import SourceError
from analyzer.model import SourceKind
from analyzer.sources.directory import DirectorySource

if TYPE_CHECKING:
    import git


class WorktreeSource(DirectorySource):
    """Uncommitted state: `git grep` over the tracked files as edited; nothing is written."""

    # Without --no-index git grep searches the work tree's tracked files, skipping build output.
    GREP = ("git", "grep", "-l", "-w")
    KIND = SourceKind.WORKTREE

    def __init__(self, repo: git.Repo) -> None:
        if repo.bare or repo.working_tree_dir is None:
            raise SourceError(f"{repo.git_dir}: a bare repository has no work tree")
        super().__init__(Path(repo.working_tree_dir), spec="(work tree)", repo=str(repo.git_dir))
