"""The init extraction's files through the scan's parse unit: cached by blob, parsed in the worker pool.

Each file's facts (analyzer/extract/init/records.py) and #defines are kept in the result
cache under its path, blob and the names it was read for, with the analyzer fingerprint (any
change of code or queries misses); the files not found there are read in one batch and
parsed over every core, each parse within the deadline. A parse that timed out depends on
the machine's load, not on the blob: it is used for this run and never kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from analyzer.cache import ResultCache, cache_key
from analyzer.extract.init.files import InitFiles
from analyzer.extract.init.perfile import defines_job, unit_job
from analyzer.extract.init.records import UnitFacts, from_text
from analyzer.extract.macros import FileDefines
from analyzer.progress import silent
from analyzer.sources import Source
from analyzer.workers import map_jobs

UNIT, DEFINES = "init-unit", "init-defines"  # the cache's kinds


class _Timed(Protocol):
    @property
    def timed_out(self) -> bool: ...


_Record = TypeVar("_Record", bound=_Timed)


class CachedInitFiles(InitFiles):
    """InitFiles whose per-file facts come from the result cache, the rest from the worker pool."""

    def __init__(self, source: Source, cache: ResultCache, progress: Callable[[str], None] = silent) -> None:
        super().__init__(source)
        self.cache, self.progress = cache, progress
        self.parsed = self.cached = 0  # per-file results computed in this run / found in the cache

    def compute_units(self, paths: list[str], names: tuple[str, ...]) -> dict[str, UnitFacts]:
        keys = {p: cache_key(UNIT, p, self.blobs[p], *names) for p in paths if p in self.blobs}
        return self._through_cache(UNIT, UnitFacts, keys, paths, lambda p, data: (p, data, names), unit_job)

    def compute_defines(self, paths: list[str]) -> dict[str, FileDefines]:
        keys = {p: cache_key(DEFINES, p, self.blobs[p]) for p in paths if p in self.blobs}
        return self._through_cache(DEFINES, FileDefines, keys, paths, lambda p, data: (p, data), defines_job)

    def _through_cache(
        self,
        kind: str,
        record: type[_Record],
        keys: dict[str, str],
        paths: Sequence[str],
        job: Callable[[str, bytes], Any],
        work: Callable[[Any], str],
    ) -> dict[str, _Record]:
        """Each path's record: from the cache, else made by `work` (record text) in the pool and kept.

        A path of no known blob (never found by a search) is made and not kept.
        """
        found = self.cache.get_many(kind, keys.values())
        texts = {p: found[keys[p]] for p in paths if p in keys and keys[p] in found}
        missing = [p for p in paths if p not in texts]
        data = self.texts(missing)
        texts |= zip(missing, map_jobs(work, [job(p, data[p]) for p in missing], self._tick), strict=True)
        out = {p: from_text(record, texts[p]) for p in paths}
        # A timed-out parse says nothing lasting about the blob.
        self.cache.put_many(kind, {keys[p]: texts[p] for p in missing if p in keys and not out[p].timed_out})
        self.cached += len(paths) - len(missing)
        self.parsed += len(missing)
        return out

    def _tick(self, done: int, total: int) -> None:
        self.progress(f"parsing PID 1's files {done}/{total}")
