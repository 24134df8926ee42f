"""A source tarball read member by member in memory: nothing is extracted to disk."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import io
import lzma
import posixpath
import tarfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import BinaryIO, Protocol

from analyzer.errors import SourceError
from analyzer.model import SourceInfo, SourceKind
from analyzer.sources import word_pattern
from analyzer.sources.git import KERNEL_MARKER, kernel_release_of

_TOP_FILES = frozenset({"Makefile", "meson.build"})
# Limits that keep a hostile archive bounded; reaching one is a warning, never a crash.
# A Linux 6.x tarball holds ~90,000 members, 1.5 GB uncompressed, no file over 20 MB.
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # a larger member is not source code: skipped unread
MAX_MEMBERS = 1_000_000  # members read before the rest of the archive is left unread
MAX_STREAM_BYTES = 8 * 1024**3  # uncompressed tar bytes streamed through, skipped data included
MAX_KEPT_BYTES = 1024**3  # bytes of matching members held in memory
HEADER_BYTES = 1024 * 1024  # headers of one member (pax records, GNU long names)

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# What the decompressors raise on corrupt or truncated data (bz2 and gzip also raise OSError).
_STREAM_ERRORS: tuple[type[Exception], ...] = (EOFError, lzma.LZMAError, zlib.error)


class _Reader(Protocol):
    """What the tar stream is read through: a plain file or a decompressor."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes; b"" at the end."""
        ...


class _LimitReached(Exception):
    """The archive went past a limit; what was read before it still counts."""


class _Metered:
    """The uncompressed tar stream, refusing bytes past what the members read so far allow."""

    def __init__(self, raw: _Reader, errors: tuple[type[Exception], ...]) -> None:
        self.raw, self.errors = raw, errors
        self.position = 0
        self.allowance = HEADER_BYTES

    def read(self, size: int = -1) -> bytes:
        """Read like a file; raise OSError on corrupt data and _LimitReached past the allowance."""
        try:
            data = self.raw.read(size)
        except self.errors as exc:
            raise OSError(f"corrupt compressed data: {exc}") from exc
        self.position += len(data)
        if self.position > self.allowance:
            raise _LimitReached(f"a member header runs past {HEADER_BYTES} bytes")
        return data

    def allow_through(self, member: tarfile.TarInfo) -> None:
        """Let the stream run through `member`'s data and the next member's headers."""
        # tarfile reads the next header right after the data; headers are the only part of
        # the stream it buffers whole (a pax record claiming 1 GB would be read at once).
        self.allowance = member.offset_data + member.size + HEADER_BYTES


class TarballSource:
    """A .tar(.gz|.xz|.bz2|.zst) read as a stream; paths are taken relative to its top folder."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        if not self.path.is_file():
            raise SourceError(f"{path}: no such file")
        self._files: dict[str, bytes] = {}  # every member any search kept, by path
        self._hits: dict[tuple[str, ...], list[str]] = {}  # paths per searched name set
        self.skipped: list[str] = []  # unsafe member names, reported rather than read
        self._seen_marker = False  # the kernel's own process code is in the archive: a kernel
        self.warnings: list[str] = []  # unsafe names and limits reached, for the report
        # Names the first pass over the archive also searches for, so that reading the top
        # Makefile (to tell what the tree is) does not cost a second pass later.
        self.prefetch_hint: tuple[str, ...] = ()
        self.info = SourceInfo(
            kind=SourceKind.TARBALL, spec=str(path), path=str(self.path), content_hash=_sha256(self.path)
        )

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
        kept = 0
        try:
            for relative, data in self._members():
                self._seen_marker = self._seen_marker or relative == KERNEL_MARKER
                # A plain substring test first: far faster than the word regex on 1 GB.
                if relative in _TOP_FILES or (any(lit in data for lit in literals) and pattern.search(data)):
                    files[relative] = data
                    kept += len(data)
                    if kept > MAX_KEPT_BYTES:
                        raise _LimitReached(f"matching members hold more than {MAX_KEPT_BYTES} bytes")
        except _LimitReached as exc:
            self._warn(f"{self.path}: {exc}; the rest of the archive is not read")
        except (tarfile.TarError, OSError) as exc:
            raise SourceError(f"{self.path}: cannot read tarball: {exc}") from None
        self._files.update(files)
        self._hits[idents] = [path for path in files if path not in _TOP_FILES or pattern.search(files[path])]
        if "Makefile" in files and self._seen_marker:
            self.info = replace(self.info, release=kernel_release_of(files["Makefile"]))

    def _members(self) -> Iterator[tuple[str, bytes]]:
        """Yield (path below the top folder, content) of each safe regular member within the limits."""
        top: str | None = None  # the folder every member of a source tarball sits in
        # typeshed wants a seekable, writable fileobj; stream mode ("r|") only ever reads.
        with _open_stream(self.path) as stream, tarfile.open(fileobj=stream, mode="r|") as archive:  # type: ignore[call-overload]
            for count, member in enumerate(iter(archive.next, None), start=1):
                # Read once, front to back: tarfile's list of every member seen only grows.
                archive.members.clear()
                _check_limits(count, member)
                stream.allow_through(member)
                name = _safe_name(member.name)
                if name is None:
                    self.skipped.append(member.name)
                    self._warn(f"{self.path}: member {member.name!r} is absolute or escapes the tree: skipped")
                    continue
                if top is None:
                    top = name.partition("/")[0] if ("/" in name or member.isdir()) else ""
                data = self._content(archive, member, name)
                if data is not None:
                    yield (name[len(top) + 1 :] if top and name.startswith(top + "/") else name), data

    def _content(self, archive: tarfile.TarFile, member: tarfile.TarInfo, name: str) -> bytes | None:
        """The bytes of a regular member of reasonable size; None for links, devices and the like."""
        if not member.isreg():
            return None
        if member.size > MAX_MEMBER_BYTES:
            self._warn(f"{self.path}: member {name} has {member.size} bytes, over {MAX_MEMBER_BYTES}: not read")
            return None
        handle = archive.extractfile(member)
        return handle.read() if handle is not None else None

    def _warn(self, message: str) -> None:
        """Record a warning once, however many passes over the archive meet it."""
        if message not in self.warnings:
            self.warnings.append(message)


def _check_limits(count: int, member: tarfile.TarInfo) -> None:
    """Raise _LimitReached when `member` is one too many, or its data ends past the stream limit."""
    if count > MAX_MEMBERS:
        raise _LimitReached(f"more than {MAX_MEMBERS} members")
    if member.offset_data + member.size > MAX_STREAM_BYTES:
        raise _LimitReached(f"member {member.name!r} ends past {MAX_STREAM_BYTES} uncompressed bytes")


@contextlib.contextmanager
def _open_stream(path: Path) -> Iterator[_Metered]:
    """The uncompressed tar stream of `path`, whichever compression its first bytes name."""
    with path.open("rb") as raw:
        magic = raw.read(6)
        raw.seek(0)
        if magic.startswith(_ZSTD_MAGIC):
            zstandard = _zstandard()
            # read_across_frames: parallel compressors (zstd -T, pzstd) write several frames.
            with zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True) as stream:
                yield _Metered(stream, (*_STREAM_ERRORS, zstandard.ZstdError))
            return
        with _decompressor(raw, magic) as stream:
            yield _Metered(stream, _STREAM_ERRORS)


def _decompressor(raw: BinaryIO, magic: bytes) -> io.BufferedIOBase | BinaryIO:
    """A gzip, xz or bzip2 reader over `raw`, as `magic` says; `raw` itself for a plain tar."""
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw)
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    return raw


def _zstandard() -> ModuleType:
    """The zstandard module, imported only when a .tar.zst is read."""
    try:
        import zstandard
    except ImportError:
        raise SourceError("reading a .tar.zst needs the zstandard package (pip install zstandard)") from None
    return zstandard


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
