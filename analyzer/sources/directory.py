"""A plain directory of sources, searched with `git grep --no-index`."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from pathlib import Path

from analyzer.errors import SourceError
from analyzer.model import SourceInfo, SourceKind
from analyzer.sources.git import KERNEL_MARKER, kernel_release_of


class DirectorySource:
    """A directory tree read as it is on disk."""

    # Every file below the root, tracked or not; no -I: binaries are accounted for.
    GREP: tuple[str, ...] = ("git", "grep", "--no-index", "-l", "-w")
    KIND = SourceKind.DIRECTORY

    def __init__(self, root: Path, spec: str | None = None, repo: str | None = None) -> None:
        self.root = root.resolve()
        if not self.root.is_dir():
            raise SourceError(f"{root}: not a directory")
        makefile = self.root / "Makefile"
        self.info = SourceInfo(
            kind=self.KIND,
            spec=spec or str(root),
            repo=repo,
            path=str(self.root),
            release=kernel_release_of(makefile.read_bytes())
            if makefile.is_file() and (self.root / KERNEL_MARKER).is_file()
            else None,
        )

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        """Map each file that mentions a word of `idents` to the sha256 of its content."""
        args = list(self.GREP)
        for ident in idents:
            args += ["-e", ident]
        proc = subprocess.run([*args, "--", "."], cwd=self.root, capture_output=True, check=False)
        if proc.returncode not in (0, 1):
            reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise SourceError(f"{self.root}: text search failed: {reason[-1] if reason else proc.returncode}")
        paths = sorted(proc.stdout.decode("utf-8", "surrogateescape").splitlines())
        return {path: hashlib.sha256(self.read(path)).hexdigest() for path in paths}

    def read(self, path: str) -> bytes:
        """Return the bytes of `path`, refusing anything outside the root."""
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            raise SourceError(f"{path}: outside {self.root}")
        try:
            return target.read_bytes()
        except OSError as exc:
            raise SourceError(f"{target}: {exc.strerror}") from None
