"""Signal expressions resolved through the tree: macro lists, SIGRTMIN+n, numbers, -1 ends."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import tree_sitter

from analyzer import syntax
from analyzer.extract import signals
from analyzer.extract.unit import parse_bounded
from analyzer.queries import anchor_of, iter_matches, load_query
from analyzer.sources import Source, is_c_source, read_many
from analyzer.syntax import node_text

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_CAST = re.compile(r"\(\s*(?:unsigned\s+)?(?:int|long|short|unsigned)\s*\)")
_IDENT = re.compile(r"[A-Za-z_]\w*\Z")
_INT = re.compile(r"\d+\Z")
_WRAPPED = re.compile(r"([A-Za-z_]\w*)\s*\((.*)\)\Z", re.S)
_RT_PLUS = re.compile(r"(SIGRTMIN|SIGRTMAX)\s*([+-])\s*(.+)\Z", re.S)
_MACRO_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Resolved:
    """What an expression (or an argument list) names: signals, and what stayed unknown."""

    signals: tuple[str, ...] = ()
    unresolved: tuple[str, ...] = ()  # macro names no #define in the tree explains
    unknown: tuple[str, ...] = ()  # other expressions that are not constants (variables, parameters)
    macros: tuple[str, ...] = ()  # list macros expanded on the way, e.g. SIGNALS_CRASH_HANDLER
    terminated: bool = False  # a -1 ended the variadic list

    def __add__(self, other: Resolved) -> Resolved:
        return Resolved(
            _unique(self.signals + other.signals),
            _unique(self.unresolved + other.unresolved),
            _unique(self.unknown + other.unknown),
            _unique(self.macros + other.macros),
            self.terminated or other.terminated,
        )


@dataclass(frozen=True, slots=True)
class FunctionMacro:
    """A function-like macro: its parameters and raw body."""

    name: str
    params: tuple[str, ...]
    body: str
    path: str


@dataclass(frozen=True, slots=True)
class FileDefines:
    """The #defines of one file, as records: what a resolver reads from it."""

    path: str
    objects: tuple[tuple[str, str], ...] = ()  # (name, value), first definition of each name
    functions: tuple[FunctionMacro, ...] = ()
    timed_out: bool = False  # past the parse deadline: no #define known


def file_defines(path: str, data: bytes) -> FileDefines:
    """The #defines of one file's raw text, every branch of its conditionals (the per-file step)."""
    if b"define" not in data:  # the grammar's #define token spells it out: nothing to parse for
        return FileDefines(path)
    _, tree = parse_bounded(data, conditionals=False)
    if tree is None:
        return FileDefines(path, timed_out=True)
    objects, functions = _scan_defines(path, tree)
    return FileDefines(path, tuple(objects.items()), tuple(functions.values()))


class DefinesSource(Protocol):
    """Where a resolver finds files and their #defines: computed here, or cached and parsed in a pool."""

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        """Each file that mentions a word of `idents`, with its blob id or content hash."""
        ...

    def defines(self, paths: Sequence[str]) -> dict[str, FileDefines]:
        """The #defines of each of `paths`."""
        ...


@dataclass(slots=True)
class _Here:
    """#defines parsed in this process, the files read in one batch."""

    source: Source

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        return self.source.candidate_files(idents)

    def defines(self, paths: Sequence[str]) -> dict[str, FileDefines]:
        return {p: file_defines(p, data) for p, data in zip(paths, read_many(self.source, paths), strict=True)}


class MacroResolver:
    """Resolve signal expressions, finding #defines in the current file first, then in the tree."""

    def __init__(self, source: Source, files: DefinesSource | None = None) -> None:
        self.source = source
        self.files: DefinesSource = files if files is not None else _Here(source)  # default: parse here
        self._defines: dict[str, tuple[dict[str, str], dict[str, FunctionMacro]]] = {}
        self._global: dict[str, tuple[str, str] | None] = {}
        self._fetched: dict[str, FileDefines] = {}  # read ahead, not yet asked for
        self.used_files: set[str] = set()  # files whose #defines explained something
        self.timed_out: set[str] = set()  # files whose parse ran past the deadline

    def defines_of(self, path: str) -> tuple[dict[str, str], dict[str, FunctionMacro]]:
        """Object-like and function-like macros defined in `path` (first definition wins)."""
        if path not in self._defines:
            found = self._fetched.pop(path, None)
            if found is None:
                found = self.files.defines([path])[path]
            if found.timed_out:
                self.timed_out.add(path)
            self._defines[path] = (dict(found.objects), {m.name: m for m in found.functions})
        return self._defines[path]

    def prefetch(self, paths: Sequence[str]) -> None:
        """Have the #defines of several files ready at once (one batch read; a pool or the cache).

        Only a file asked for by `defines_of` counts as read (its timeout reported).
        """
        wanted = [p for p in dict.fromkeys(paths) if p not in self._defines and p not in self._fetched]
        if wanted:
            self._fetched.update(self.files.defines(wanted))

    def value_of(self, name: str, path: str) -> tuple[str, str] | None:
        """(value, defining file) of object-like macro `name`, from `path` or else the tree."""
        local = self.defines_of(path)[0] if is_c_source(path) else {}
        if name in local:
            return local[name], path
        if name not in self._global:
            self._global[name] = self._search(name)
        return self._global[name]

    def _search(self, name: str) -> tuple[str, str] | None:
        """The tree's #define of `name`; headers first, then by path, for a stable answer."""
        paths = sorted(
            (p for p in self.files.candidate_files((name,)) if is_c_source(p)), key=lambda p: (not p.endswith(".h"), p)
        )
        self.prefetch(paths)
        for path in paths:
            defines = self.defines_of(path)[0]
            if name in defines:
                return defines[name], path
        return None

    def resolve_list(self, args: list[str], path: str) -> Resolved:
        """Resolve a variadic signal list; a -1 ends it, as in `sigaction_many(&sa, A, B, -1)`."""
        total = Resolved()
        for arg in args:
            part = self.resolve(arg, path)
            total = total + part
            if part.terminated:
                break
        return total

    def resolve(self, text: str, path: str, depth: int = 0) -> Resolved:
        """Resolve one expression to the signals it names."""
        expr = _clean(text)
        if expr in ("-1", "(-1)"):
            return Resolved(terminated=True)
        if _INT.match(expr):
            name = signals.from_number(int(expr))
            return Resolved((name,)) if name else Resolved(unknown=(expr,))
        name = signals.canonical(expr)
        if name is not None:
            return Resolved((name,))
        if (rt := _RT_PLUS.match(expr)) is not None:
            return self._rt_offset(rt, path, depth)
        if _IDENT.match(expr):
            return self._identifier(expr, path, depth)
        if (wrapped := _WRAPPED.match(expr)) is not None:
            # A wrapper such as RTSIG_IF_AVAILABLE(SIGRTMIN+26): the signals are its arguments.
            inner = self.resolve_list(split_list(wrapped.group(2)), path)
            if inner.signals:
                return Resolved(inner.signals, inner.unresolved, inner.unknown, inner.macros)
        return Resolved(unknown=(expr,))

    def _identifier(self, name: str, path: str, depth: int) -> Resolved:
        """A macro name (expanded, maybe to a list) or a variable."""
        found = self.value_of(name, path) if depth < _MAX_DEPTH else None
        if found is None:
            return Resolved(unresolved=(name,)) if _MACRO_NAME.match(name) else Resolved(unknown=(name,))
        value, where = found
        self.used_files.add(where)
        parts = split_list(value)
        inner = Resolved()
        for part in parts:
            inner = inner + self.resolve(part, where, depth + 1)
        if not inner.signals:
            return Resolved(unresolved=(name,), macros=inner.macros) if _MACRO_NAME.match(name) else inner
        return Resolved(inner.signals, inner.unresolved, inner.unknown, (*inner.macros, name))

    def _rt_offset(self, match: re.Match[str], path: str, depth: int) -> Resolved:
        """SIGRTMIN+n with n a literal or a macro that is one."""
        base, sign, rest = match.groups()
        offset = _clean(rest)
        if not _INT.match(offset) and _IDENT.match(offset) and depth < _MAX_DEPTH:
            found = self.value_of(offset, path)
            if found is not None and _INT.match(_clean(found[0])):
                self.used_files.add(found[1])
                offset = _clean(found[0])
        if not _INT.match(offset):
            return Resolved(unknown=(f"{base}{sign}{rest.strip()}",))
        name = signals.canonical(f"{base}{sign}{offset}")
        return Resolved((name,)) if name else Resolved(unknown=(f"{base}{sign}{offset}",))

    def function_macros_in(self, path: str) -> set[str]:
        """Names of the function-like macros `path` defines."""
        return set(self.defines_of(path)[1])

    def function_macros(self) -> dict[str, FunctionMacro]:
        """Every function-like macro seen so far, by name."""
        seen: dict[str, FunctionMacro] = {}
        for _, functions in self._defines.values():
            for name, macro in functions.items():
                seen.setdefault(name, macro)
        return seen


def split_list(text: str) -> list[str]:
    """Split `text` on commas outside parentheses and braces."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in _COMMENT.sub(" ", text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _clean(text: str) -> str:
    """Drop comments, integer casts, line continuations, outer parentheses and extra spaces."""
    expr = _CAST.sub(" ", _COMMENT.sub(" ", text).replace("\\\n", " "))
    expr = " ".join(expr.split())
    # strip_parens does not check the whole text balances; an unbalanced one stays as written.
    while expr.count("(") == expr.count(")") and (inner := syntax.strip_parens(expr)) != expr:
        expr = inner.strip()
    return expr


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    """`items` without repeats, first occurrence kept."""
    return tuple(dict.fromkeys(items))


def _scan_defines(path: str, tree: tree_sitter.Tree) -> tuple[dict[str, str], dict[str, FunctionMacro]]:
    """The #defines of one file, read with queries/init/macros.scm on the raw text."""
    objects: dict[str, str] = {}
    functions: dict[str, FunctionMacro] = {}
    for match in iter_matches(load_query("init/macros"), tree.root_node):
        name = node_text(match["name"])
        value = node_text(match["value"]) if "value" in match else ""
        if anchor_of(match) == "def.macro":
            objects.setdefault(name, value)
        else:
            params = tuple(p.strip() for p in node_text(match["term"]).strip("()").split(","))
            functions.setdefault(name, FunctionMacro(name, params, value, path))
    return objects, functions
