"""What per-release extractors see: a whole release, its files' results and the families done so far."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.extract.unit import FileFacts, FileResult
from analyzer.model import InitTable, SourceInfo

__all__ = ["FileFacts", "FileResult", "Release"]


@dataclass(slots=True)
class Release:
    """One tree being assembled: its files' results and the families computed so far."""

    source: SourceInfo
    project: str
    tracked: tuple[str, ...]
    files: Mapping[str, FileResult]  # by path, sorted
    init: InitTable | None = None  # PID 1's table, for systemd and other inits
    done: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    entry: list[str | None] = field(default_factory=list)  # the file defining kill(2), once found

    def of(self, family: str) -> tuple[Any, ...]:
        """The records of a family computed earlier in registry order."""
        return self.done.get(family, ())
