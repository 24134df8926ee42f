"""A git revision range read without touching a blob: its commits, their parents and the files they changed."""

from __future__ import annotations

import codecs
import os
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from analyzer.errors import SourceError, UsageError
from analyzer.sources import C_SUFFIXES, is_c_source

_ZERO = "0" * 40
_GITLINK = "160000"
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


def range_log(git_dir: str, low: str, high: str, workers: int | None = None) -> list[Commit]:
    """Every commit of low..high, parents before children, each non-merge one with the C files it changed.

    Tree diffs only, no blob read: one `git log` lists the commits, then `git diff-tree
    --stdin` diffs the non-merge ones on every core, each process a run of them. A merge
    comes without changes: its diff against its first parent is taken for the files that
    matter only (`first_parent_changes`), which costs a fraction of diffing it whole.
    """
    fmt = _FIELD.join(("%H", "%P", "%aI", "%an", "%s"))
    # no signature lines, whatever log.showSignature says: every line is one commit
    args = ["log", "--no-show-signature", f"--format={fmt}", "--topo-order", "--reverse", f"{low}..{high}", "--"]
    out = git_output(git_dir, *args)
    commits = []
    for line in out.split("\n"):  # not splitlines(): a subject may hold \x1c or U+2028
        if not line:
            continue
        sha, parents, date, author, subject = line.split(_FIELD, 4)
        commits.append(Commit(sha, tuple(parents.split()), date, author, subject, []))
    plain = [commit for commit in commits if not commit.merge]
    count = max(1, min(workers or os.cpu_count() or 1, len(plain) // _DIFFS_PER_PROCESS))
    runs = [plain[i * len(plain) // count : (i + 1) * len(plain) // count] for i in range(count)]
    with ThreadPoolExecutor(max_workers=count) as threads:  # each thread only waits for its git
        outputs = list(threads.map(lambda run: _diff_trees(git_dir, run), runs))
    by_sha = {commit.sha: commit for commit in plain}
    for output in outputs:
        parse_diff_trees(output, by_sha)
    return commits


_DIFFS_PER_PROCESS = 2000  # fewer commits than this per core are diffed faster by one git


def _diff_trees(git_dir: str, commits: Sequence[Commit]) -> str:
    """The raw changes of each commit against its parent (a root commit's files all added)."""
    if not commits:
        return ""
    stdin = "".join(f"{commit.sha}\n" for commit in commits)
    return git_output(
        git_dir, "diff-tree", "--stdin", "-r", "--raw", "--root", "--no-renames", "--no-abbrev", stdin=stdin
    )


def parse_diff_trees(output: str, commits: dict[str, Commit]) -> None:
    """Give each commit the C files of its `git diff-tree --stdin` lines (a commit id, then its changes)."""
    changes: list[Change] = []
    for line in output.split("\n"):
        # most changed files are no C source: a look at the line's end skips them cheaply
        if line.startswith(":"):
            if line.endswith(_C_ENDINGS) and (change := _raw_change(line)) is not None:
                changes.append(change)
        elif line:
            changes = commits[line].changes


# How a raw line naming a C file ends (the path quoted or not).
_C_ENDINGS = tuple(f"{suffix}{quote}" for suffix in C_SUFFIXES for quote in ("", '"'))


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
