"""A git revision range read without touching a blob: its commits, their parents and the files they changed."""

from __future__ import annotations

import codecs
import subprocess
from dataclasses import dataclass

from analyzer.errors import SourceError, UsageError
from analyzer.sources import is_c_source
from analyzer.sources.git import version_key

_ZERO = "0" * 40
_GITLINK = "160000"
_HEADER = "\x01"
_FIELD = "\x02"


@dataclass(slots=True)
class Commit:
    """One commit of a range: its parents, author line, and the C files it changed."""

    sha: str
    parents: tuple[str, ...]
    date: str
    author: str
    subject: str
    changes: list[tuple[str, str | None, str | None]]  # C files: (path, old blob, new blob)


def rev_list(git_dir: str, low: str, high: str) -> set[str]:
    """The commits of low..high."""
    out = git_output(git_dir, "rev-list", f"{low}..{high}", "--")
    return set(out.split())


def tags_in(git_dir: str, in_range: set[str]) -> list[tuple[str, str]]:
    """(tag, commit) of every tag on a commit of the range, in version order."""
    tagged = git_output(git_dir, "for-each-ref", "--format=%(objectname) %(*objectname) %(refname:short)", "refs/tags")
    found = []
    for line in tagged.splitlines():
        target, *rest = line.split()
        name = rest[-1] if rest else ""
        commit = rest[0] if len(rest) == 2 else target
        if commit in in_range:
            found.append((name, commit))
    return sorted(found, key=lambda pair: version_key(pair[0]))


def git_output(git_dir: str, *args: str, stdin: str | None = None) -> str:
    """Run a reading git command; a failure is one SourceError line."""
    proc = subprocess.run(
        ["git", "--git-dir", git_dir, *args],
        input=stdin.encode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def range_ends(spec: str) -> tuple[str, str]:
    """A..B split; anything else is a usage error."""
    if ".." not in spec or "..." in spec:
        raise UsageError(f"{spec!r} is not a range A..B", hint="log lists the commits reachable from B and not from A")
    low, _, high = spec.partition("..")
    if not low or not high:
        raise UsageError(f"{spec!r} names only one end", hint="write both: A..B")
    return low, high


def raw_log(git_dir: str, low: str, high: str, paths: list[str]) -> list[Commit]:
    """The commits of low..high that changed one of `paths`, parents first, with those changes.

    Each commit's changes are taken against its first parent (a merge's too); every commit
    that changed a path is there, on any branch (--full-history).
    """
    if not paths:
        return []
    fmt = _HEADER + _FIELD.join(("%H", "%P", "%aI", "%an", "%s"))
    args = ["log", "--full-history", "--no-renames", "--no-abbrev", "--raw", "--diff-merges=first-parent"]
    args += ["--topo-order", "--reverse", f"--format={fmt}", f"{low}..{high}", "--"]
    return parse_log(git_output(git_dir, *args, *(f":(literal){path}" for path in paths)))


def parse_log(text: str) -> list[Commit]:
    """Commits from the output of raw_log's git log."""
    commits: list[Commit] = []
    for chunk in text.split(_HEADER)[1:]:
        head, _, raw = chunk.partition("\n")
        sha, parents, date, author, subject = head.split(_FIELD, 4)
        changes: list[tuple[str, str | None, str | None]] = []
        for line in raw.splitlines():
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            old_mode, new_mode, old, new, _status = meta[1:].split()
            path = unquote(path)
            if not is_c_source(path):
                continue
            old_blob = None if old == _ZERO or old_mode == _GITLINK else old
            new_blob = None if new == _ZERO or new_mode == _GITLINK else new
            changes.append((path, old_blob, new_blob))
        commits.append(Commit(sha, tuple(parents.split()), date, author, subject, changes))
    return commits


def unquote(path: str) -> str:
    """A path as git prints it: C-quoted when it holds unusual bytes."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    raw = codecs.escape_decode(path[1:-1].encode("utf-8", "surrogateescape"))[0]
    return raw.decode("utf-8", "surrogateescape")
