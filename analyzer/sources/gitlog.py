"""A git revision range read without touching a blob: its commits, their parents and the files they changed."""

from __future__ import annotations

import codecs
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analyzer.errors import SourceError, UsageError
from analyzer.sources import C_SUFFIXES, is_c_source

_ZERO = "0" * 40
_GITLINK = "160000"
_HEADER = "\x01"
_FIELD = "\x02"

Change = tuple[str, str | None, str | None]  # a C file: (path, old blob, new blob)


@dataclass(slots=True)
class Commit:
    """One commit of a range: its parents, author line, and the C files it changed."""

    sha: str
    parents: tuple[str, ...]
    date: str
    author: str
    subject: str
    changes: list[Change]  # against the first parent

    @property
    def merge(self) -> bool:
        """True for a commit with more than one parent."""
        return len(self.parents) > 1


def git_output(git_dir: str, *args: str, stdin: str | None = None) -> str:
    """Run a reading git command; a failure is one SourceError line."""
    proc = subprocess.run(
        ["git", "--git-dir", git_dir, *args],
        input=stdin.encode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise _failed(args[0], proc.stderr, proc.returncode)
    return proc.stdout.decode("utf-8", "surrogateescape")


def _failed(command: str, stderr: bytes, code: int) -> SourceError:
    message = stderr.decode("utf-8", "replace").strip().splitlines()
    return SourceError(f"git {command} failed: {message[-1] if message else code}")


def range_ends(spec: str) -> tuple[str, str]:
    """A..B split; anything else is a usage error."""
    if ".." not in spec or "..." in spec:
        raise UsageError(f"{spec!r} is not a range A..B", hint="log lists the commits reachable from B and not from A")
    low, _, high = spec.partition("..")
    if not low or not high:
        raise UsageError(f"{spec!r} names only one end", hint="write both: A..B")
    return low, high


def range_log(git_dir: str, low: str, high: str) -> list[Commit]:
    """Every commit of low..high, parents before children, each non-merge one with the C files it changed.

    One `git log --raw` over every path: tree diffs only, no blob read. A merge comes
    without changes: its diff against its first parent is taken for the files that matter
    only (`first_parent_changes`), which costs a fraction of diffing it whole.
    """
    fmt = _HEADER + _FIELD.join(("%H", "%P", "%aI", "%an", "%s"))
    # --topo-order without --reverse streams (git walks the commits first, then diffs one by
    # one), so the output is read while git works; reversed here, it is git's --reverse order.
    args = ["log", "--no-renames", "--no-abbrev", "--raw", "--diff-merges=off", "--topo-order"]
    args += [f"--format={fmt}", f"{low}..{high}", "--"]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(["git", "--git-dir", git_dir, *args], stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        with proc.stdout:
            commits = parse_log(line.decode("utf-8", "surrogateescape") for line in proc.stdout)
        if proc.wait() != 0:
            errors.seek(0)
            raise _failed("log", errors.read(), proc.returncode)
    commits.reverse()
    return commits


def parse_log(lines: Iterable[str]) -> list[Commit]:
    """Commits from the lines of range_log's git log, in git's order."""
    commits: list[Commit] = []
    changes: list[Change] = []
    for line in lines:
        if line.startswith(_HEADER):
            sha, parents, date, author, subject = line[1:].rstrip("\n").split(_FIELD, 4)
            changes = []
            commits.append(Commit(sha, tuple(parents.split()), date, author, subject, changes))
        # most changed files are no C source: a look at the line's end skips them cheaply
        elif line.startswith(":") and line.endswith(_C_ENDINGS) and (change := _raw_change(line)) is not None:
            changes.append(change)
    return commits


# How a raw line naming a C file ends (the path quoted or not).
_C_ENDINGS = tuple(f"{suffix}{quote}\n" for suffix in C_SUFFIXES for quote in ("", '"'))


def first_parent_changes(git_dir: str, merges: Sequence[Commit], paths: Sequence[str]) -> dict[str, list[Change]]:
    """Each merge's changes of `paths` against its first parent: one `git diff-tree --stdin`."""
    if not merges or not paths:
        return {}
    pairs = "".join(f"{merge.sha} {merge.parents[0]}\n" for merge in merges)
    args = ["diff-tree", "--stdin", "-r", "--no-renames", "--no-abbrev", "--"]
    out = git_output(git_dir, *args, *(f":(literal){path}" for path in paths), stdin=pairs)
    found: dict[str, list[Change]] = {}
    current: list[Change] = []
    for line in out.splitlines():
        if line.startswith(":"):
            if (change := _raw_change(line)) is not None:
                current.append(change)
        elif line:
            current = found.setdefault(line.split()[0], [])
    return found


def _raw_change(line: str) -> Change | None:
    """(path, old blob, new blob) of a raw diff line of a C file; None for any other file."""
    meta, _, path = line.rstrip("\n").partition("\t")
    path = unquote(path)
    if not is_c_source(path):
        return None
    old_mode, new_mode, old, new, _status = meta[1:].split()
    old_blob = None if old == _ZERO or old_mode == _GITLINK else old
    new_blob = None if new == _ZERO or new_mode == _GITLINK else new
    return path, old_blob, new_blob


def unquote(path: str) -> str:
    """A path as git prints it: C-quoted when it holds unusual bytes."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    raw = codecs.escape_decode(path[1:-1].encode("utf-8", "surrogateescape"))[0]
    return raw.decode("utf-8", "surrogateescape")
