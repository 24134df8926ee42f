"""Same-length rewrites that let a C grammar parse kernel C: lines and columns stay exact.

Two jobs. Preprocessor conditionals are resolved to one configuration at a time (the
directive lines and the branches not chosen become spaces), so an `#ifdef` that splits an
`if` header no longer breaks the parse; a site in another branch is parsed in a variant
that chooses that branch. Kernel macros the grammar does not know (annotations, syscall
definitions, loop macros) are rewritten in place, as queries/kernel/annotations.txt says.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from analyzer import interrupts, resources
from analyzer.errors import QueryError

# Comments, string and char literals, and preprocessor lines (with continuations), in the
# order a C lexer sees them. Directive lines are cut before any comment they hold, so the
# comment is lexed as a comment and may run on past the line.
_LEXEME = re.compile(
    rb"(?P<comment>/\*.*?(?:\*/|\Z)|//(?:\\\n|[^\n])*)"
    rb"|(?P<string>\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')"
    rb"|(?P<directive>^[ \t]*\#[ \t]*(?P<name>[A-Za-z_]*)(?:\\\n|/(?![/*])|[^\n/])*)",
    re.S | re.M,
)
_LEXEME_START = re.compile(rb"[/\"'#]")
_CONDITIONAL_OPEN = {b"if", b"ifdef", b"ifndef"}
_CONDITIONAL_NEXT = {b"elif", b"else", b"elifdef", b"elifndef"}
_NOT_NEWLINE = re.compile(rb"[^\n]")
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_IDENT_AFTER = re.compile(rb"\s*([A-Za-z_])")
_KERNEL_BUILD_GUARDS = frozenset({"#ifdef __KERNEL__", "#if defined(__KERNEL__)", "#if defined __KERNEL__"})
_ZERO_CONDITION = re.compile(rb"^[ \t]*\#[ \t]*if[ \t]+0[ \t]*$")
# `#define DEBUG_SEGV_HANDLER 0` then `#if DEBUG_SEGV_HANDLER` (busybox): as dead as `#if 0`.
_ZERO_DEFINE = re.compile(rb"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+0[ \t]*$", re.M)
_NAMED_IF = re.compile(rb"#\s*if\s+(\w+)")


@dataclass(slots=True)
class Branch:
    """One branch of a conditional: its directive line and the text it governs."""

    directive_start: int
    directive_end: int  # end of the directive's code, before any trailing comment
    content_start: int
    content_end: int = -1
    text: str = ""  # the directive, whitespace-normalized: "#ifdef CONFIG_NUMA"
    zero_macro: bool = False  # `#if NAME` where the file itself says `#define NAME 0`

    @property
    def never_compiled(self) -> bool:
        """`#if 0` (or `#if NAME` after `#define NAME 0`): dead text in every configuration."""
        return self.zero_macro or bool(_ZERO_CONDITION.match(self.text.encode()))


@dataclass(slots=True)
class Conditional:
    """An #if/#ifdef/#ifndef ... #endif group."""

    branches: list[Branch] = field(default_factory=list)
    end_directive: tuple[int, int] = (-1, -1)  # the #endif's code span
    header_guard: bool = False
    parent: tuple[int, int] | None = None  # (conditional, branch) this group is nested in
    index: int = 0  # position in Layout.conditionals

    def default_branch(self) -> int | None:
        """The branch a plain parse keeps: the first, unless it is `#if 0`."""
        if not self.branches[0].never_compiled:
            return 0
        return 1 if len(self.branches) > 1 else None

    def describe(self, index: int) -> str:
        """How a site in branch `index` is conditioned, for readers."""
        branch = self.branches[index]
        return branch.text if index == 0 else f"{branch.text} (of {self.branches[0].text})"


@dataclass(slots=True)
class Layout:
    """The lexical map of one file: comments, strings, directives and conditionals."""

    comments: list[tuple[int, int]]
    strings: list[tuple[int, int]]
    directives: list[tuple[int, int]]  # every preprocessor line, code part only
    conditionals: list[Conditional]
    # Every branch as (content_start, conditional, branch), sorted: groups nest properly, so
    # the last branch starting before an offset is the innermost one holding it, or nested
    # inside it; walking up the parents finds the rest in O(depth).
    _starts: list[tuple[int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._starts = sorted(
            (branch.content_start, ci, bi)
            for ci, cond in enumerate(self.conditionals)
            for bi, branch in enumerate(cond.branches)
        )

    def branch_path(self, offset: int) -> list[tuple[int, int]]:
        """(conditional index, branch index) pairs containing `offset`, outermost first."""
        i = bisect.bisect_right(self._starts, (offset, len(self.conditionals), 0)) - 1
        path: list[tuple[int, int]] = []
        where = (self._starts[i][1], self._starts[i][2]) if i >= 0 else None
        while where is not None:
            ci, bi = where
            branch = self.conditionals[ci].branches[bi]
            if branch.content_start <= offset < branch.content_end:
                path.append(where)
            where = self.conditionals[ci].parent
        return path[::-1]

    def is_inactive(self, offset: int) -> bool:
        """True inside an `#if 0` branch."""
        return any(self.conditionals[ci].branches[bi].never_compiled for ci, bi in self.branch_path(offset))

    def in_directive(self, offset: int) -> bool:
        """True on a preprocessor line's code part."""
        return in_spans(self.directives, offset)

    def conditions_at(self, offset: int) -> tuple[str, ...]:
        """The enclosing conditions of `offset`, innermost first; header guards and the
        kernel-build guard (`#ifdef __KERNEL__`, true in every kernel build) left out."""
        return tuple(
            self.conditionals[ci].describe(bi)
            for ci, bi in reversed(self.branch_path(offset))
            if not self.conditionals[ci].header_guard
            and not (bi == 0 and self.conditionals[ci].branches[0].text in _KERNEL_BUILD_GUARDS)
        )


def lex(data: bytes) -> Layout:
    """Map comments, strings, directive lines and conditional groups of `data`."""
    comments: list[tuple[int, int]] = []
    strings: list[tuple[int, int]] = []
    directives: list[tuple[int, int]] = []
    conditionals: list[Conditional] = []
    stack: list[Conditional] = []
    for match in _lexemes(data):
        start, end = match.span()
        if match.lastgroup == "comment":
            comments.append((start, end))
        elif match.lastgroup == "string":
            strings.append((start, end))
        else:
            directives.append((start, end))
            _track_conditional(data, match, stack, conditionals)
    for cond in stack:  # unterminated at end of file
        cond.branches[-1].content_end = len(data)
    zeros = {m.group(1) for m in _ZERO_DEFINE.finditer(data)}
    for cond in conditionals:
        cond.header_guard = _is_header_guard(data, cond)
        if zeros and (named := _NAMED_IF.fullmatch(cond.branches[0].text.encode())):
            cond.branches[0].zero_macro = named.group(1) in zeros
    return Layout(comments, strings, directives, conditionals)


def _lexemes(data: bytes) -> Iterator[re.Match[bytes]]:
    """What `_LEXEME.finditer(data)` yields, trying the pattern only where a lexeme can start.

    A comment or string starts at its first character; a directive at the start of a line
    whose first other character is `#`. Trying the alternation at every byte took half a
    file's lexing.
    """
    pos = 0
    while (found := _LEXEME_START.search(data, pos)) is not None:
        at = found.start()
        if data[at] == ord("#"):
            line_start = data.rfind(b"\n", 0, at) + 1
            if data[line_start:at].strip(b" \t"):
                pos = at + 1  # not first on its line: no directive
                continue
            at = line_start
        match = _LEXEME.match(data, at)
        if match is None:
            pos = at + 1
            continue
        yield match
        pos = match.end()


def _track_conditional(data: bytes, match: re.Match[bytes], stack: list[Conditional], out: list[Conditional]) -> None:
    """Open, continue or close a conditional group at a directive line."""
    name = match.group("name")
    start, end = match.span()
    line_end = data.find(b"\n", end)
    content_start = len(data) if line_end < 0 else line_end + 1
    text = " ".join(data[start:end].decode("utf-8", "replace").replace("\\\n", " ").split())
    if name in _CONDITIONAL_OPEN:
        cond = Conditional(parent=(stack[-1].index, len(stack[-1].branches) - 1) if stack else None, index=len(out))
        cond.branches.append(Branch(start, end, content_start, text=text))
        stack.append(cond)
        out.append(cond)
    elif name in _CONDITIONAL_NEXT and stack:
        stack[-1].branches[-1].content_end = start
        stack[-1].branches.append(Branch(start, end, content_start, text=text))
    elif name == b"endif" and stack:
        cond = stack.pop()
        cond.branches[-1].content_end = start
        cond.end_directive = (start, end)


def _is_header_guard(data: bytes, cond: Conditional) -> bool:
    """`#ifndef X` / `#define X` at the top of a header, closed at the end."""
    first = cond.branches[0]
    words = first.text.split()
    if len(words) != 2 or words[0] != "#ifndef" or len(cond.branches) != 1:
        return False
    following = data[first.content_start : first.content_start + 200].lstrip()
    return bool(re.match(rb"#[ \t]*define[ \t]+" + re.escape(words[1].encode()) + rb"\b", following))


def variant(data: bytes, layout: Layout, chosen: Mapping[int, int | None] | None = None) -> bytes:
    """Resolve conditionals (default branches, overridden by `chosen`) and rewrite macros."""
    chosen = chosen or {}
    out = bytearray(data)
    for ci, cond in enumerate(layout.conditionals):
        keep = chosen.get(ci, cond.default_branch())
        for bi, branch in enumerate(cond.branches):
            _blank(out, branch.directive_start, branch.directive_end)
            if bi != keep:
                _blank(out, branch.content_start, branch.content_end)
        if cond.end_directive[0] >= 0:
            _blank(out, *cond.end_directive)
    _rewrite_macros(out, layout)
    return bytes(out)


def selection_for(layout: Layout, offset: int) -> tuple[tuple[int, int], ...]:
    """The branch choices that make `offset` part of the parsed text, minimal."""
    return tuple((ci, bi) for ci, bi in layout.branch_path(offset) if layout.conditionals[ci].default_branch() != bi)


def _blank(buf: bytearray, start: int, end: int) -> None:
    """Turn buf[start:end] into spaces, keeping newlines."""
    if end > start:
        buf[start:end] = _NOT_NEWLINE.sub(b" ", bytes(buf[start:end]))


@dataclass(frozen=True, slots=True)
class MacroTable:
    """The sections of queries/kernel/annotations.txt, and one regex finding any of them."""

    blank: frozenset[bytes]
    blank_call: frozenset[bytes]
    do_open: frozenset[bytes]
    do_close: frozenset[bytes]
    loop: frozenset[bytes]
    words: Callable[[bytes], list[tuple[int, int]]]  # spans of words that are a name above or hold `for_each`
    define_fn: dict[bytes, bytes]  # definition macro stem -> prefix of the function's name
    define_fn_pattern: re.Pattern[bytes]  # STEMn( for any stem


@functools.cache
def macro_table() -> MacroTable:
    """Read the annotation macro table once."""
    sections: dict[str, list[bytes]] = {}
    current: list[bytes] | None = None
    for raw in (resources.queries_dir() / "kernel" / "annotations.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif line and current is not None:
            current.append(line.encode())
    groups = [frozenset(sections.get(name, ())) for name in ("blank", "blank-call", "do-open", "do-close", "loop")]
    every = sorted(frozenset().union(*groups))
    if bad := [name for name in every if not _WORD.fullmatch(name)]:
        raise QueryError(f"queries/kernel/annotations.txt: {bad[0].decode()!r} is not a C identifier")
    blank, blank_call, do_open, do_close, loop = groups
    define_fn = {parts[0]: parts[1] if len(parts) > 1 else b"" for parts in map(bytes.split, sections["define-fn"])}
    stems = b"|".join(re.escape(stem) for stem in sorted(define_fn, key=len, reverse=True))
    define_fn_pattern = re.compile(rb"\b(" + stems + rb")([0-6])\s*\(")
    return MacroTable(blank, blank_call, do_open, do_close, loop, _word_finder(every), define_fn, define_fn_pattern)


def _word_finder(names: Sequence[bytes]) -> Callable[[bytes], list[tuple[int, int]]]:
    """The spans of whole words that are one of `names` or hold `for_each`, in order.

    An Aho-Corasick pass over every occurrence: a regex alternation of a hundred names, tried
    at every word, took a tenth of a file's whole analysis.
    """
    with interrupts.deferred():  # a native module: a Ctrl-C inside its initialisation panics it
        import ahocorasick_rs
    automaton = ahocorasick_rs.BytesAhoCorasick([*names, _FOR_EACH])
    loop_word = len(names)

    def words(data: bytes) -> list[tuple[int, int]]:
        spans: dict[int, int] = {}
        for index, start, end in automaton.find_matches_as_indexes(data, overlapping=True):
            if index == loop_word:
                start, end = _word_start(data, start), _word_end(data, end)
            elif _word_start(data, start) != start or _word_end(data, end) != end:
                continue  # part of a longer word
            spans[start] = end
        return sorted(spans.items())

    return words


_FOR_EACH = b"for_each"
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _word_start(data: bytes, at: int) -> int:
    while at > 0 and data[at - 1] in _WORD_BYTES:
        at -= 1
    return at


def _word_end(data: bytes, at: int) -> int:
    while at < len(data) and data[at] in _WORD_BYTES:
        at += 1
    return at


def _rewrite_macros(buf: bytearray, layout: Layout) -> None:
    """Rewrite the macros the grammar does not know, in code only, at the same length."""
    table = macro_table()
    data = bytes(buf)
    skip = sorted(layout.comments + layout.strings + layout.directives)
    for start, end in table.words(data):
        if in_spans(skip, start):
            continue
        name = data[start:end]
        if name in table.blank:
            _blank(buf, start, end)
        elif name in table.blank_call:
            close = _matching_paren(data, end)
            _blank(buf, start, close if close > 0 else end)
        elif name in table.do_open:
            close = _matching_paren(data, end)
            if close > 0:
                _blank(buf, start, close)
                buf[start : start + 2] = b"do"
        elif name in table.do_close or _statement_follows(data, end):
            buf[start:end] = b"while".ljust(end - start)
    for match in table.define_fn_pattern.finditer(data):
        if not in_spans(skip, match.start()):
            _rewrite_definition(buf, data, match, table.define_fn[match.group(1)])


def _rewrite_definition(buf: bytearray, data: bytes, match: re.Match[bytes], prefix: bytes) -> None:
    """`SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)` -> `long sys_kill(pid_t  pid, int  sig)`."""
    close = _matching_paren(data, match.end() - 1)
    if close < 0:
        return
    args_start = match.end()
    commas = _top_level_commas(data, args_start, close - 1)
    name_start = args_start + len(data[args_start:]) - len(data[args_start:].lstrip())
    if not commas:  # SYSCALL_DEFINE0(name): no room for "(" after the name, so shift it left
        name = data[name_start : close - 1].strip()
        text = b"long " + prefix + name + b"()"
        if b"\n" in data[match.start() : close] or len(text) > close - match.start():
            return
        buf[match.start() : close] = text.rjust(close - match.start())
        return
    # The name keeps its column: "long" and the prefix fill the room the macro name left.
    if name_start - match.start() < len(b"long ") + len(prefix):
        return
    buf[match.start() : name_start] = b"long" + b" " * (name_start - match.start() - 4 - len(prefix)) + prefix
    buf[commas[0]] = ord("(")
    for type_comma in commas[1::2]:  # the comma between each argument's type and its name
        buf[type_comma] = ord(" ")


def _top_level_commas(data: bytes, start: int, end: int) -> list[int]:
    """Offsets of commas in data[start:end] outside nested parentheses."""
    depth, commas = 0, []
    for i in range(start, end):
        char = data[i]
        if char in b"([":
            depth += 1
        elif char in b")]":
            depth -= 1
        elif char == ord(",") and depth == 0:
            commas.append(i)
    return commas


def _matching_paren(data: bytes, pos: int) -> int:
    """Offset just past the `)` closing the `(` that starts at or after `pos`, or -1."""
    open_at = data.find(b"(", pos)
    if open_at < 0 or data[pos:open_at].strip():
        return -1
    depth = 0
    for i in range(open_at, min(len(data), open_at + 4096)):
        if data[i] == ord("("):
            depth += 1
        elif data[i] == ord(")"):
            depth -= 1
            if depth == 0:
                return i + 1
    return -1


def _statement_follows(data: bytes, name_end: int) -> bool:
    """True when a call is followed by `{` or a statement: a loop macro, not a function call."""
    close = _matching_paren(data, name_end)
    if close < 0:
        return False
    rest = data[close : close + 200].lstrip()
    return rest.startswith(b"{") or bool(_IDENT_AFTER.match(rest))


def in_spans(spans: list[tuple[int, int]], offset: int) -> bool:
    """True when `offset` lies in one of the sorted, non-overlapping `spans`."""
    i = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= offset < spans[i][1]
