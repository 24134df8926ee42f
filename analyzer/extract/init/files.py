"""The files of one tree as the init extraction reads them: texts in batches, per-file facts once each.

This class computes the facts in this process; the scan pipeline's subclass
(analyzer/init_files.py) takes them from the result cache and parses the rest in a worker
pool. Either way a file is read once, by one `git cat-file` per batch.

Every step reads C files only, so a search finds C files only. In a git tree the C files
are read once, together, and each kept as its set of words: the extraction's dozen
searches for identifiers then cost no `git grep` of the whole tree each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from analyzer.extract.init.perfile import unit_facts
from analyzer.extract.init.records import UnitFacts
from analyzer.extract.macros import FileDefines, file_defines
from analyzer.sources import Source, is_c_source, read_many
from analyzer.sources.git import GitSource, read_blobs, regular_files

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # `git grep -w` reads it literally, as a word
_WORD = re.compile(rb"[A-Za-z0-9_]+")  # `git grep -w`'s word characters: a whole-word hit is one of these runs
_HELD_BYTES = 256 << 20  # a tree with more C than this (a kernel's) is searched with git grep, not held


class InitFiles:
    """Candidate searches, texts, per-file facts and #defines of one tree, each computed once."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.blobs: dict[str, str] = {}  # blob id (or content hash) of every file a search found
        self._found: dict[tuple[str, ...], dict[str, str]] = {}
        self._tree: dict[str, str] = {}  # a git tree's C files, path -> blob id
        self._words: dict[str, frozenset[bytes]] | None = None  # ... and the words of each
        self._texts: dict[str, bytes] = {}
        self._units: dict[str, UnitFacts] = {}
        self._defines: dict[str, FileDefines] = {}

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        """Each C file mentioning a word of `idents`, with its blob id (kept: it keys the file's facts)."""
        key = tuple(idents)
        if key not in self._found:
            words = self._word_sets() if all(_IDENTIFIER.fullmatch(i) for i in key) else None
            if words is not None:
                wanted = [i.encode() for i in key]
                self._found[key] = {p: b for p, b in self._tree.items() if not words[p].isdisjoint(wanted)}
            else:  # other sources search their own way; a name with regex characters goes to git grep
                self._found[key] = {p: b for p, b in self.source.candidate_files(key).items() if is_c_source(p)}
            self.blobs.update(self._found[key])
        return self._found[key]

    def _word_sets(self) -> dict[str, frozenset[bytes]] | None:
        """Each C file of a git tree as its words, read once; None for another source or a tree too big to hold."""
        if self._words is None and isinstance(self.source, GitSource):
            files = [f for f in regular_files(self.source.git_dir, self.source.treeish) if is_c_source(f[0])]
            if sum(size for _, _, size in files) <= _HELD_BYTES:
                self._tree = {p: b for p, b, _ in files}
                texts = read_blobs(self.source.git_dir, list(self._tree.values()))
                self._texts.update(zip(self._tree, texts, strict=True))
                # What `git grep -l -w` finds among them, in its order, for names that are identifiers.
                self._words = {p: frozenset(_WORD.findall(data)) for p, data in zip(self._tree, texts, strict=True)}
            else:
                self._words = {}  # searched with git grep
        return self._words if self._tree else None

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
