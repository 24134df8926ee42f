"""Bytes to tree-sitter trees, and how much of a tree the parser had to guess."""

from __future__ import annotations

import tree_sitter
import tree_sitter_c

C_LANGUAGE = tree_sitter.Language(tree_sitter_c.language())
_PARSER = tree_sitter.Parser(C_LANGUAGE)


def parse(data: bytes) -> tree_sitter.Tree:
    """Parse C bytes (already rewritten by analyzer.preprocess)."""
    return _PARSER.parse(data)


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
