"""Model values as one line of words: what every renderer prints for a field.

A Location is `path:line`, a guard chain `if (a) < else of if (b)` (innermost first), a hop
`caller -> callee (path:line)`, other tuples are joined with ", ". Control and bidirectional-
override characters become U+FFFD and line breaks spaces, so no value can break a row or
reorder what a reader sees.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass
from typing import Any

from analyzer.model import Branch, ConditionalSignal, Guard, Hop, Location, SourceInfo


def place(location: Location) -> str:
    """`path:line`."""
    return f"{location.path}:{location.line}"


def guard(value: Guard) -> str:
    """`if (cond)`, or `else of if (cond)`."""
    return f"if ({value.condition})" if value.branch == Branch.THEN else f"else of if ({value.condition})"


def guard_chain(guards: Iterable[Guard]) -> str:
    """Enclosing ifs, innermost first."""
    return " < ".join(guard(g) for g in guards)


def counted(number: int, noun: str) -> str:
    """`1 site`, `2 sites`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


_VALUE_TEXT: dict[type, Callable[[Any], str]] = {
    Location: place,
    Guard: guard,
    Hop: lambda v: f"{v.caller} -> {v.callee} ({place(v.location)})",
    ConditionalSignal: lambda v: f"{v.signal} ({v.condition})",
}
# A guard chain reads innermost first, as in the text report; other sequences are lists.
_JOINERS: dict[type, str] = {Guard: " < "}
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def cell(value: object) -> str:
    """One value as one line of text."""
    return one_line(text(value))


def brief(value: object) -> str:
    """One value as one line, a dash for nothing: the two sides of a change."""
    return cell(value) or "-"


def text(value: object) -> str:
    """Readable text of a model value, by type; unknown dataclasses by their fields."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if (known := _VALUE_TEXT.get(type(value))) is not None:
        return known(value)
    if is_dataclass(value) and not isinstance(value, type):
        return f"{type(value).__name__}({describe(value, '=', ', ')})"
    if isinstance(value, (tuple, list, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        joiner = _JOINERS.get(type(items[0]), ", ") if items else ""
        return joiner.join(text(item) for item in items)
    return str(value)


def describe(record: Any, between: str = ": ", separator: str = "; ") -> str:
    """A dataclass as `field: value; ...`, empty fields left out."""
    pairs = ((f.name, text(getattr(record, f.name))) for f in fields(record))
    return separator.join(f"{name}{between}{words}" for name, words in pairs if words)


def one_line(words: str) -> str:
    """Join lines with a space; control and bidi-override characters become U+FFFD."""
    flat = " ".join(part.strip() for part in words.splitlines() if part.strip())
    return "".join(_visible(ch) for ch in flat)


def _visible(ch: str) -> str:
    if ch == "\t":
        return " "
    return "\ufffd" if ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc" else ch


def describe_source(info: SourceInfo) -> str:
    """One line naming a tree: ref or path, release, commit."""
    details = []
    if info.release:
        details.append(f"Linux {info.release}")
    if info.commit:
        details.append(f"commit {info.commit[:12]}")
    elif info.content_hash:
        details.append(f"sha256 {info.content_hash[:12]}")
    return f"{info.label} ({', '.join(details)})" if details else info.label
