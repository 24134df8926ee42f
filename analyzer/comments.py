"""Which commits changed only comments or blank space in the files the analysis reads."""

from __future__ import annotations

import re
from collections.abc import Sequence

from analyzer.sources.git import read_blobs
from analyzer.sources.gitlog import Commit

_COMMENT_OR_LITERAL = re.compile(rb'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)


def code_lines(data: bytes) -> list[bytes]:
    """A C file's lines without comments and blank space: equal for edits of comments only."""

    def keep(match: re.Match[bytes]) -> bytes:
        text = match.group(0)
        return b" " if text.startswith(b"/") else text

    stripped = _COMMENT_OR_LITERAL.sub(keep, data)
    return [b" ".join(line.split()) for line in stripped.splitlines() if line.strip()]


def comments_only(git_dir: str, commits: Sequence[Commit], candidates: dict[str, dict[str, str]]) -> set[str]:
    """The commits whose every changed candidate file differs from its old version in comments or blank space only.

    The versions to compare are read together, in one `git cat-file`.
    """
    pairs: dict[str, list[tuple[str, str]]] = {}
    for commit in commits:
        if len(commit.parents) != 1:
            continue
        before, after = candidates[commit.parents[0]], candidates[commit.sha]
        changed = [(old, new) for path, old, new in commit.changes if path in before or path in after]
        if changed and all(old is not None and new is not None for old, new in changed):
            pairs[commit.sha] = [(str(old), str(new)) for old, new in changed]
    blobs = list(dict.fromkeys(blob for each in pairs.values() for pair in each for blob in pair))
    code = {blob: code_lines(data) for blob, data in zip(blobs, read_blobs(git_dir, blobs), strict=True)}
    return {sha for sha, each in pairs.items() if all(code[old] == code[new] for old, new in each)}
