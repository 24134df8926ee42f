"""The registry of fact families, in the order every report shows them.

Register a family here (or call `register` at run time) and the scan, diff, history and
every output format pick it up; nothing else needs editing.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.families.base import Change, Family, Level, Line, change_lines, change_message, default_change_lines
from analyzer.families.context import FileFacts, FileResult, Release
from analyzer.families.delivery import DELIVERY, ROUTINES
from analyzer.families.init import DISPOSITIONS
from analyzer.families.kernel import CALLS, FORCE, KILL_PATHS, MASKS
from analyzer.families.sites import SITES

# Order matters twice: a per-release extractor sees the families before it (the kill path
# needs the sites and the calls), and reports show families in this order.
_REGISTRY: list[Family] = [SITES, MASKS, FORCE, CALLS, KILL_PATHS, DISPOSITIONS, ROUTINES, DELIVERY]


def families() -> tuple[Family, ...]:
    """Every registered family, extraction order."""
    return tuple(_REGISTRY)


def shown() -> tuple[Family, ...]:
    """The families a report shows."""
    return tuple(f for f in _REGISTRY if f.shown)


def family(name: str) -> Family:
    """The family called `name`."""
    for candidate in _REGISTRY:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def register(new: Family) -> None:
    """Add a family after the built-in ones."""
    if any(f.name == new.name or f.report_key == new.report_key for f in _REGISTRY):
        raise ValueError(f"a family named {new.name!r} or keyed {new.report_key!r} is registered already")
    _REGISTRY.append(new)


def unregister(name: str) -> None:
    """Remove a family added with `register`."""
    _REGISTRY[:] = [f for f in _REGISTRY if f.name != name]


def per_file() -> Iterator[Family]:
    """The families extracted from one parsed file."""
    return (f for f in _REGISTRY if f.per_file is not None)


__all__ = [
    "Change",
    "Family",
    "FileFacts",
    "FileResult",
    "Level",
    "Line",
    "Release",
    "change_lines",
    "change_message",
    "default_change_lines",
    "families",
    "family",
    "per_file",
    "register",
    "shown",
    "unregister",
]
