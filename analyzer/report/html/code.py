"""Source code in a page: C tokens for highlighting, a statement with lines around it, side-by-side panels."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.model import SourceInfo
from analyzer.report.html.links import Links
from analyzer.words import cell

CONTEXT_LINES = 3  # shown above and below a statement
# Lines of one file of one tree, split on "\n" (so line numbers match the scan), or None.
SourceLines = Callable[[SourceInfo, str], "list[str] | None"]
Token = tuple[str, str]  # CSS class ("" for none) and text
Statement = Any  # a record of a `code` family: location, text, normalized


_TOKEN = re.compile(
    r"""
    (?P<c>/\*.*?(?:\*/|\Z)|//[^\n]*)
  | (?P<s>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)
  | (?P<p>^[ \t]*\#[ \t]*[A-Za-z_]\w*)
  | (?P<n>\.?\d(?:[eEpP][+-]|[\w.])*)
  | (?P<i>[A-Za-z_]\w*)
  | (?P<w>\s+)
  | (?P<o>.)
    """,
    re.S | re.M | re.X,
)
_KEYWORDS = frozenset(
    re.findall(
        r"\S+",
        "auto bool break case char const continue default do double else enum extern float for goto if inline int "
        "long register restrict return short signed sizeof static struct switch typedef typeof union unsigned void "
        "volatile while _Bool __always_inline __attribute__ __init __user",
    )
)
# Bidi overrides and marks, zero-width characters and C0/C1 controls but tab: shown by code point.
_HIDDEN = re.compile("([\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\x00-\x08\x0a-\x1f\x7f-\x9f])")


def c_tokens(code: str, tracked: Collection[str] = ()) -> list[Token]:
    """C source as (class, text) tokens: k keyword, t tracked name, c comment, s string, p preprocessor, n number."""
    found: list[Token] = []
    for match in _TOKEN.finditer(code):
        kind, text = match.lastgroup or "o", match.group()
        if kind == "i":
            kind = "t" if text in tracked else "k" if text in _KEYWORDS else ""
        found.append(("" if kind in ("w", "o") else kind, text))
    return found


def _visible(cls: str, text: str) -> list[Token]:
    """Split out invisible characters as `U+XXXX` tokens, so the code cannot hide or reorder what it says."""
    parts = _HIDDEN.split(text)
    return [("ctl", f"U+{ord(part):04X}") if i % 2 else (cls, part) for i, part in enumerate(parts) if part]


# --- code snippets -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeLine:
    """One displayed source line: number and link when known, tokens, part of the statement or context."""

    number: int | None
    url: str | None
    focus: bool
    tokens: tuple[Token, ...]


@dataclass(frozen=True, slots=True)
class CodePanel:
    """A site's code in one release, or a note saying it is not there."""

    release: str
    place: str
    url: str | None
    lines: tuple[CodeLine, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Snippet:
    """Tokens of the shown lines; `focus` is the statement's range of line offsets, both ends included."""

    first: int | None  # number of the first shown line; None when only the statement's text is known
    tokens: list[tuple[str, str, int]]  # class, text, line offset
    focus: tuple[int, int]
    size: int  # lines shown

    def focus_indexes(self) -> list[int]:
        """Indexes of the statement's tokens a reader compares: no spaces, no comments."""
        low, high = self.focus
        return [i for i, (cls, text, n) in enumerate(self.tokens) if low <= n <= high and text.strip() and cls != "c"]


@dataclass(frozen=True, slots=True)
class _SourceFile:
    """A file's lines and its tokens numbered by 0-based line, tokenized whole so a comment is never cut."""

    lines: list[str]
    tokens: list[tuple[str, str, int]]


class Files:
    """`source_lines` read and tokenized once per tree and file."""

    def __init__(self, source_lines: SourceLines | None, tracked: Collection[str] = ()) -> None:
        self._read = source_lines
        self._tracked = tracked
        self._seen: dict[tuple[SourceInfo, str], _SourceFile | None] = {}

    def get(self, info: SourceInfo, path: str) -> _SourceFile | None:
        """The file, or None when no reader is given or it cannot read it."""
        if self._read is None:
            return None
        if (info, path) not in self._seen:
            lines = self._read(info, path)
            tokens = _with_lines(c_tokens("\n".join(lines), self._tracked)) if lines else []
            self._seen[(info, path)] = _SourceFile(lines, tokens) if lines else None
        return self._seen[(info, path)]


def snippet(site: Statement, source: _SourceFile | None, tracked: Collection[str]) -> Snippet:
    """The statement with CONTEXT_LINES around it when the file is known, else the statement alone."""
    if source and 1 <= site.location.line <= len(source.lines):
        start, end = _statement_span(site, source.lines)
        low, high = max(1, start - CONTEXT_LINES), min(len(source.lines), end + CONTEXT_LINES)
        tokens = [(cls, text, line - low + 1) for cls, text, line in source.tokens if low <= line + 1 <= high]
        return Snippet(low, tokens, (start - low, end - low), high - low + 1)
    text = site.text.replace("\r\n", "\n").strip("\n").split("\n") if site.text.strip() else [site.normalized]
    return Snippet(None, _with_lines(c_tokens("\n".join(text), tracked)), (0, len(text) - 1), len(text))


def _statement_span(site: Statement, lines: Sequence[str]) -> tuple[int, int]:
    """First and last line of the site's statement: where its first line's text sits, at or above the site."""
    text = site.text.strip().split("\n")
    first = text[0].strip()
    line = site.location.line
    for start in range(line, max(0, line - len(text)), -1):
        if first and first in lines[start - 1]:
            return start, min(len(lines), start + len(text) - 1)
    return line, line


def _with_lines(tokens: list[Token]) -> list[tuple[str, str, int]]:
    """Split tokens at line breaks and number each piece's line."""
    numbered, line = [], 0
    for cls, text in tokens:
        for i, part in enumerate(text.split("\n")):
            line += 1 if i else 0
            if part:
                numbered.append((cls, part, line))
    return numbered


def changed_tokens(old: Snippet, new: Snippet) -> tuple[set[int], set[int]]:
    """Token indexes of the old and new statement that a token-level diff deletes and inserts."""
    a, b = old.focus_indexes(), new.focus_indexes()
    matcher = difflib.SequenceMatcher(
        None, [old.tokens[i][1] for i in a], [new.tokens[i][1] for i in b], autojunk=False
    )
    deleted, inserted = set(), set()
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            deleted.update(a[i1:i2])
            inserted.update(b[j1:j2])
    return deleted, inserted


def panel(
    site: Statement, snippet: Snippet, info: SourceInfo, links: Links, marked: Collection[int] = (), mark: str = ""
) -> CodePanel:
    """A code panel: numbered, linked lines with the statement's lines and changed tokens marked."""
    rows: list[list[Token]] = [[] for _ in range(snippet.size)]
    for index, (cls, text, line) in enumerate(snippet.tokens):
        rows[line] += _visible(f"{cls} {mark}".strip() if index in marked else cls, text)
    lines = tuple(
        CodeLine(
            number=None if snippet.first is None else snippet.first + offset,
            url=None if snippet.first is None else links.url(info, site.location, snippet.first + offset),
            focus=snippet.focus[0] <= offset <= snippet.focus[1],
            tokens=tuple(row),
        )
        for offset, row in enumerate(rows)
    )
    return CodePanel(info.label, cell(site.location), links.url(info, site.location), lines)


def absent_panel(info: SourceInfo, words: str) -> CodePanel:
    """The side of a diff where the site does not exist."""
    return CodePanel(info.label, "", None, (), note=f"{words} {info.label}")
