"""The unit of per-file work: one parsed file as extractors see it, and what it contributed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analyzer.model import FileStat, Location, Occurrence, Site

if TYPE_CHECKING:  # a cached result needs neither the parser nor the preprocessor
    import tree_sitter

    from analyzer import preprocess


@dataclass(frozen=True, slots=True)
class FileFacts:
    """One parsed file: its bytes, preprocessor layout, default parse (None if it failed) and sites."""

    path: str
    data: bytes
    layout: preprocess.Layout
    tree: tree_sitter.Tree | None
    sites: tuple[Site, ...]
    locate: Callable[[int], Location]  # byte offset -> Location


@dataclass(slots=True)
class FileResult:
    """What one file contributed: records per family, accounted occurrences, parse stats."""

    facts: dict[str, list[Any]] = field(default_factory=dict)
    occurrences: list[Occurrence] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stat: FileStat | None = None

    def of(self, family: str) -> list[Any]:
        """This file's records of one family."""
        return self.facts.get(family, [])

    @property
    def sites(self) -> list[Site]:
        """The sites the parse unit found."""
        return self.of(SITES)


def parse_bounded(data: bytes, conditionals: bool = True) -> tuple[bytes, tree_sitter.Tree | None]:
    """The one way any extractor parses a file: within the parse deadline, None past it.

    With `conditionals` (the default) the text is first rewritten at the same length with
    every #if resolved to its default branch and kernel macros made parseable, as for sites;
    without, the raw text is parsed (a header read for its #defines in every branch).
    Returns the text parsed and its tree.
    """
    from analyzer import parse, preprocess

    text = preprocess.variant(data, preprocess.lex(data)) if conditionals else data
    try:
        return text, parse.parse(text, parse.deadline_seconds())
    except parse.ParseTimeout:
        return text, None


FileExtractor = Callable[[FileFacts], Sequence[Any]]
SITES = "site"  # the parse unit's own records, kept under this family name: every code occurrence of a tracked name
