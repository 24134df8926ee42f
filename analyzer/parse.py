"""Bytes to tree-sitter trees, and how much of a tree the parser had to guess."""

from __future__ import annotations

import os
import time

import tree_sitter
import tree_sitter_c

C_LANGUAGE = tree_sitter.Language(tree_sitter_c.language())
_PARSER = tree_sitter.Parser(C_LANGUAGE)
DEFAULT_DEADLINE_SECONDS = 20.0
DEADLINE_ENV = "SIGANALYZE_PARSE_TIMEOUT"


class ParseTimeout(Exception):
    """A parse that ran past its deadline and was cancelled."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"parse timed out after {seconds:g}s")
        self.seconds = seconds


def deadline_seconds() -> float:
    """The time one parse may take: $SIGANALYZE_PARSE_TIMEOUT seconds when positive, else 20."""
    try:
        seconds = float(os.environ.get(DEADLINE_ENV, ""))
    except ValueError:
        return DEFAULT_DEADLINE_SECONDS
    return seconds if seconds > 0 else DEFAULT_DEADLINE_SECONDS


def parse(data: bytes, deadline_seconds: float | None = None) -> tree_sitter.Tree:
    """Parse C bytes (already rewritten by analyzer.preprocess); past the deadline raise ParseTimeout."""
    if deadline_seconds is None:
        return _PARSER.parse(data)
    view = memoryview(data)
    expires = time.monotonic() + deadline_seconds
    cancelled = False

    def read(offset: int, _point: tuple[int, int]) -> memoryview:
        return view[offset:]

    def progress(_offset: int, _has_error: bool) -> bool:
        nonlocal cancelled
        cancelled = time.monotonic() > expires
        return cancelled

    # py-tree-sitter 0.26 dropped Parser.timeout_micros; progress_callback is only honoured
    # with a read callback, never with plain bytes.
    try:
        tree = _PARSER.parse(read, progress_callback=progress)
    except ValueError:
        if not cancelled:
            raise
        # A cancelled parser resumes the old parse on its next call unless reset.
        _PARSER.reset()
        raise ParseTimeout(deadline_seconds) from None
    # A tree read through a callback holds no source, and Node.text on it crashes the
    # interpreter; reparsing the bytes with it as the old tree reuses every node (~1% of a parse).
    return _PARSER.parse(data, old_tree=tree)


def error_counts(tree: tree_sitter.Tree) -> tuple[int, int]:
    """(ERROR nodes, MISSING nodes) in `tree`, visiting only subtrees that hold errors."""
    errors = missing = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error:
            errors += 1
        if node.is_missing:
            missing += 1
        stack.extend(child for child in node.children if child.has_error or child.is_missing)
    return errors, missing
