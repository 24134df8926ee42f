"""The files of one tree as the init extraction reads them: texts in batches, per-file facts once each.

This class computes the facts in this process; the scan pipeline's subclass
(analyzer/init_files.py) takes them from the result cache and parses the rest in a worker
pool. Either way a file is read once, by one `git cat-file` per batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.extract.init.perfile import unit_facts
from analyzer.extract.init.records import UnitFacts
from analyzer.extract.macros import FileDefines, file_defines
from analyzer.sources import Source, read_many


class InitFiles:
    """Candidate searches, texts, per-file facts and #defines of one tree, each computed once."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.blobs: dict[str, str] = {}  # blob id (or content hash) of every file a search found
        self._texts: dict[str, bytes] = {}
        self._units: dict[str, UnitFacts] = {}
        self._defines: dict[str, FileDefines] = {}

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        """Each file mentioning a word of `idents`, with its blob id (kept: it keys the file's facts)."""
        found = self.source.candidate_files(idents)
        self.blobs.update(found)
        return found

    def texts(self, paths: Sequence[str]) -> dict[str, bytes]:
        """The bytes of `paths`, the ones not read yet in one batch."""
        missing = [p for p in dict.fromkeys(paths) if p not in self._texts]
        self._texts.update(zip(missing, read_many(self.source, missing), strict=True))
        return {p: self._texts[p] for p in paths}

    def units(self, paths: Sequence[str], names: tuple[str, ...]) -> dict[str, UnitFacts]:
        """The facts of `paths`, read for `names` (a call of one is kept in full)."""
        missing = [p for p in dict.fromkeys(paths) if p not in self._units]
        if missing:
            self._units.update(self.compute_units(missing, names))
        return {p: self._units[p] for p in paths}

    def defines(self, paths: Sequence[str]) -> dict[str, FileDefines]:
        """The #defines of `paths`."""
        missing = [p for p in dict.fromkeys(paths) if p not in self._defines]
        if missing:
            self._defines.update(self.compute_defines(missing))
        return {p: self._defines[p] for p in paths}

    def compute_units(self, paths: list[str], names: tuple[str, ...]) -> dict[str, UnitFacts]:
        """Facts of files not known yet: here, one after the other."""
        texts = self.texts(paths)
        return {p: unit_facts(p, texts[p], names) for p in paths}

    def compute_defines(self, paths: list[str]) -> dict[str, FileDefines]:
        """#defines of files not known yet: here, one after the other."""
        texts = self.texts(paths)
        return {p: file_defines(p, texts[p]) for p in paths}
