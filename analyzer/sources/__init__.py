"""Version specs resolved to read-only trees: a git ref, a directory or a tarball."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from analyzer.errors import SourceError
from analyzer.model import SourceInfo

TARBALL_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tzst", ".tar")
C_SUFFIXES = (".c", ".h")


class Source(Protocol):
    """A read-only tree: which files mention an identifier, and their bytes."""

    info: SourceInfo

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        """Map each file that mentions a word of `idents` to its blob id or content hash."""
        ...

    def read(self, path: str) -> bytes:
        """Return the bytes of `path` (a candidate file)."""
        ...


def is_c_source(path: str) -> bool:
    """Tell whether the C parser reads `path`."""
    return path.endswith(C_SUFFIXES)


def read_many(source: Source, paths: Sequence[str]) -> list[bytes]:
    """The bytes of `paths`, in order: one `git cat-file` for a git source, else one read each."""
    batch = getattr(source, "read_many", None)
    return list(batch(paths)) if batch is not None and paths else [source.read(p) for p in paths]


def word_pattern(idents: Iterable[str]) -> re.Pattern[bytes]:
    """A bytes regex of whole-word hits, with git grep -w's idea of a word character."""
    alternatives = b"|".join(re.escape(i.encode()) for i in sorted(idents, key=len, reverse=True))
    return re.compile(rb"(?<![A-Za-z0-9_])(?:" + alternatives + rb")(?![A-Za-z0-9_])")


def looks_like_path(spec: str) -> bool:
    """A spec meant as a path, never as a ref: absolute, relative with ./, or a file suffix."""
    return spec.startswith(("/", "./", "../", "~")) or spec.endswith((".json", *TARBALL_SUFFIXES))


def open_source(spec: str, repo: str | None = None) -> Source:
    """Resolve `spec` to a Source: an existing directory or tarball path, else a git ref in `repo`."""
    if spec.startswith("-"):
        raise SourceError(f"{spec!r} looks like an option, not a version")
    path = Path(spec)
    if path.name.endswith(TARBALL_SUFFIXES) and (path.exists() or os.sep in spec):
        from analyzer.sources.tarball import TarballSource

        return TarballSource(path)
    if path.is_dir():
        from analyzer.sources.directory import DirectorySource

        return DirectorySource(path)
    if path.is_file():
        raise SourceError(f"{spec}: not a directory or a source tarball ({', '.join(TARBALL_SUFFIXES)})")
    if looks_like_path(spec):
        raise SourceError(f"{spec}: no such file or directory")
    from analyzer.sources.git import GitSource, git_dir_of

    return GitSource(git_dir_of(repo or None), spec)
