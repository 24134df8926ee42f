"""Node and text helpers the steps of the init extraction share."""

from __future__ import annotations

import re

from tree_sitter import Node

WORD = re.compile(r"[A-Za-z_]\w*")


def call_args(argument_list: Node) -> list[Node]:
    """The arguments of a call, comments left out."""
    return [c for c in argument_list.named_children if c.type != "comment"]


def address_of(text: str) -> str | None:
    """`&name` -> name; a plain pointer variable -> itself; NULL -> None."""
    text = text.strip()
    if text in ("NULL", "0", ""):
        return None
    return text[1:].strip() if text.startswith("&") else text


def mentions(data: bytes, word: str) -> bool:
    """True when `data` has `word` between non-word characters, as `git grep -w` finds it."""
    pattern = rb"(?<![A-Za-z0-9_])" + re.escape(word.encode()) + rb"(?![A-Za-z0-9_])"
    return re.search(pattern, data) is not None
