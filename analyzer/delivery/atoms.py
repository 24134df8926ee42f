"""The atom table (queries/delivery/atoms.txt): what a leaf of a delivery condition means."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from analyzer import resources
from analyzer.errors import QueryError

_PLACEHOLDER = re.compile(r"\$([TS_*])")
_GROUPS = {"T": r"(?P<T{n}>[A-Za-z_]\w*)", "S": r"(?P<S{n}>[A-Za-z_]\w*)", "_": r"[A-Za-z_]\w*", "*": r".*?"}


@dataclass(frozen=True, slots=True)
class Atom:
    """One row: a pattern over whitespace-free C text and the meaning it gives."""

    pattern: str
    meaning: str
    line: int
    regex: re.Pattern[str]

    def match(self, squeezed: str) -> tuple[list[str], list[str]] | None:
        """The identifiers bound to $T and to $S when `squeezed` matches, else None."""
        found = self.regex.fullmatch(squeezed)
        if found is None:
            return None
        groups = found.groupdict()
        tasks = [v for k, v in groups.items() if k.startswith("T")]
        signals = [v for k, v in groups.items() if k.startswith("S")]
        return tasks, signals


def squeeze(text: str) -> str:
    """C text without whitespace or comments: the form patterns are matched against."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)
    text = re.sub(r"\s+", "", text)
    # A macro's arguments come back parenthesized: `((sig))` reads as `sig`.
    previous = None
    while previous != text:
        previous, text = text, _BARE_PARENS.sub(r"\1", text)
    return text


_BARE_PARENS = re.compile(r"(?<![\w\])])\(([A-Za-z_]\w*)\)")


def _compile(pattern: str) -> re.Pattern[str]:
    out, pos = [], 0
    for count, m in enumerate(_PLACEHOLDER.finditer(pattern)):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(_GROUPS[m.group(1)].format(n=count))
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out))


def parse_table(text: str, name: str = "queries/delivery/atoms.txt") -> tuple[Atom, ...]:
    """The rows of an atom table, in file order (the first row that matches wins)."""
    atoms = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if "=>" not in line:
            raise QueryError(f"{name}:{number}: expected `pattern => meaning`")
        pattern, meaning = (part.strip() for part in line.split("=>", 1))
        if not pattern or not meaning:
            raise QueryError(f"{name}:{number}: expected `pattern => meaning`")
        squeezed = squeeze(pattern)
        atoms.append(Atom(squeezed, meaning, number, _compile(squeezed)))
    return tuple(atoms)


@functools.cache
def table() -> tuple[Atom, ...]:
    """The shipped atom table."""
    path = resources.queries_dir() / "delivery" / "atoms.txt"
    return parse_table(path.read_text(encoding="utf-8"))


@functools.cache
def path_names() -> dict[str, tuple[str, ...]]:
    """queries/delivery/path.txt: stage key -> function or parameter names."""
    path = resources.queries_dir() / "delivery" / "path.txt"
    names: dict[str, tuple[str, ...]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, rest = line.partition(":")
        if not sep or not rest.split():
            raise QueryError(f"queries/delivery/path.txt:{number}: expected `key: names`")
        names[key.strip()] = tuple(rest.split())
    return names
