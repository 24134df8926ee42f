"""A source tarball read member by member in memory: nothing is extracted to disk."""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
from collections.abc import Sequence
from pathlib import Path

from analyzer.errors import SourceError
from analyzer.model import SourceInfo
from analyzer.sources import word_pattern
from analyzer.sources.git import kernel_release_of

_TOP_FILES = frozenset({"Makefile", "meson.build"})
# A member larger than this is not source code; skipping it bounds memory.
MAX_MEMBER_BYTES = 64 * 1024 * 1024


class TarballSource:
    """A .tar(.gz|.xz|.bz2) read as a stream; paths are taken relative to its top folder."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        if not self.path.is_file():
            raise SourceError(f"{path}: no such file")
        self._files: dict[str, bytes] = {}  # every member any search kept, by path
        self._hits: dict[tuple[str, ...], list[str]] = {}  # paths per searched name set
        self.skipped: list[str] = []  # unsafe member names, reported rather than read
        # Names the first pass over the archive also searches for, so that reading the top
        # Makefile (to tell what the tree is) does not cost a second pass later.
        self.prefetch_hint: tuple[str, ...] = ()
        self.info = SourceInfo(kind="tarball", spec=str(path), path=str(self.path), content_hash=_sha256(self.path))

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        """Map each member that mentions a word of `idents` to the sha256 of its content."""
        key = tuple(idents)
        if key not in self._hits:
            self._scan(key)
        return {path: hashlib.sha256(self._files[path]).hexdigest() for path in sorted(self._hits[key])}

    def read(self, path: str) -> bytes:
        """Return the bytes of a candidate member, or of a top-level Makefile / meson.build."""
        if path in _TOP_FILES and not self._hits:
            self._scan(self.prefetch_hint)
        try:
            return self._files[path]
        except KeyError:
            raise SourceError(f"{path}: not a candidate file of {self.path}") from None

    def _scan(self, idents: tuple[str, ...]) -> None:
        """Stream every member once, keeping those that mention `idents` (and the Makefile)."""
        pattern = word_pattern(idents)
        literals = [ident.encode() for ident in idents]
        files: dict[str, bytes] = {}
        makefile: bytes | None = None
        top: str | None = None  # the folder every member of a source tarball sits in
        try:
            with tarfile.open(self.path, mode="r|*") as archive:
                for member in archive:
                    name = _safe_name(member.name)
                    if name is None:
                        self.skipped.append(member.name)
                        continue
                    if top is None:
                        top = name.partition("/")[0] if ("/" in name or member.isdir()) else ""
                    if not member.isreg() or member.size > MAX_MEMBER_BYTES:
                        continue
                    handle = archive.extractfile(member)
                    if handle is None:
                        continue
                    data = handle.read()
                    relative = name[len(top) + 1 :] if top and name.startswith(top + "/") else name
                    if relative == "Makefile":
                        makefile = data
                    if relative in _TOP_FILES:  # what project detection reads
                        files[relative] = data
                    # A plain substring test first: far faster than the word regex on 1 GB.
                    if any(lit in data for lit in literals) and pattern.search(data):
                        files[relative] = data
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SourceError(f"{self.path}: cannot read tarball: {exc}") from None
        self._files.update(files)
        self._hits[idents] = [path for path in files if path not in _TOP_FILES or pattern.search(files[path])]
        if makefile is not None:
            self.info = _with_release(self.info, kernel_release_of(makefile))


def _safe_name(name: str) -> str | None:
    """The member's normalized POSIX name, or None for absolute or escaping names."""
    if name.startswith("/") or "\\" in name:
        return None
    normalized = posixpath.normpath(name)
    if normalized == ".." or normalized.startswith("../"):
        return None
    return normalized


def _sha256(path: Path) -> str:
    """Hash a file in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _with_release(info: SourceInfo, release: str | None) -> SourceInfo:
    """A copy of `info` that states the kernel release."""
    from dataclasses import replace

    return replace(info, release=release)
