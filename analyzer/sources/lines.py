"""Lines of a scanned file, for reports that show code: from the trees just read, or a saved report's commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from analyzer.errors import SiganalyzeError
from analyzer.model import SourceInfo, SourceKind
from analyzer.sources import Source
from analyzer.sources.git import GitSource, git_dir_of

SourceLines = Callable[[SourceInfo, str], "list[str] | None"]


def source_lines_from(sources: Iterable[Source] = ()) -> SourceLines:
    """A `source_lines` reading the trees just scanned, else a git report's commit again; None if unreadable."""
    opened: dict[SourceInfo, Source | None] = {source.info: source for source in sources}

    def lines(info: SourceInfo, path: str) -> list[str] | None:
        """The lines of `path` in the tree `info` describes, or None."""
        if info not in opened:
            opened[info] = _reopen(info)
        source = opened[info]
        if source is None:
            return None
        try:
            data = source.read(path)
        except SiganalyzeError:
            return None
        return [line.removesuffix("\r") for line in data.decode("utf-8", "replace").split("\n")]

    return lines


def _reopen(info: SourceInfo) -> Source | None:
    """The commit a saved report names, if its repository is still there; a directory may have changed."""
    if info.kind != SourceKind.GIT or not info.repo or not (info.commit or info.tree):
        return None

    try:
        return GitSource(git_dir_of(info.repo), info.commit or info.tree or "")
    except SiganalyzeError:
        return None
