"""A git repo built commit by commit in a test: small C files, fixed identities and dates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class HistoryRepo:
    """A work-tree repo a test writes its history into, step by step.

    Every commit gets a fixed author and a date one day after the previous one, so commit
    ids are the same on every run.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.author = "Ada Author"
        self._day = 0
        path.mkdir(parents=True)
        self.git("init", "-q", "--initial-branch=main")

    def git(self, *args: str) -> str:
        """Run git in the repo with this commit's identity and date; return stdout."""
        stamp = f"{1609459200 + 86400 * self._day} +0000"
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": self.author,
            "GIT_AUTHOR_EMAIL": "ada@example.invalid",
            "GIT_COMMITTER_NAME": "Cy Committer",
            "GIT_COMMITTER_EMAIL": "cy@example.invalid",
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        proc = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True)
        return proc.stdout.strip()

    def write(self, files: dict[str, str | bytes | None]) -> None:
        """Write (or, for None, delete) files in the work tree."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)

    def commit(self, subject: str, files: dict[str, str | bytes | None], author: str = "Ada Author") -> str:
        """Write `files`, commit everything as `author`; return the commit id."""
        self.write(files)
        self._day += 1
        self.author = author
        self.git("add", "--all")
        self.git("commit", "-q", "--allow-empty", "-m", subject)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str) -> None:
        """An annotated tag on HEAD."""
        self.git("tag", "-m", name, name)

    def branch(self, name: str, start: str = "HEAD") -> None:
        """Create branch `name` at `start` and switch to it."""
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        """Switch to an existing branch."""
        self.git("checkout", "-q", name)

    def merge(self, branch: str, subject: str, files: dict[str, str | bytes | None] | None = None) -> str:
        """Merge `branch` into the current one (never fast-forward), with `files` changed in the merge."""
        self._day += 1
        self.git("merge", "-q", "--no-ff", "--no-commit", branch)
        if files:
            self.write(files)
            self.git("add", "--all")
        self.git("commit", "-q", "-m", subject)
        return self.git("rev-parse", "HEAD")
