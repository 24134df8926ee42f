"""The scan pipeline: source -> candidate files -> per-file extraction -> Report.

Work is shared across the releases of one run and across runs: one text search per repo,
per-file results cached by blob id (a file unchanged between two releases is parsed once),
whole reports cached by tree id, and the files left to parse spread over the cores.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from analyzer import __version__, cache_codec, families, interrupts, resources
from analyzer.cache import ResultCache, cache_key, default_path
from analyzer.extract import detect_project
from analyzer.extract.unit import FileResult
from analyzer.families import Release
from analyzer.model import InitTable, Project, Report, SourceKind
from analyzer.progress import silent
from analyzer.queries import check_identifiers
from analyzer.sources import Source
from analyzer.sources.git import GitSource
from analyzer.vocab import FLAG

if TYPE_CHECKING:
    from analyzer.candidates import DeltaStats

PREDICATES = ("is_global_init", "is_child_reaper", "is_container_init")
SIGNAL_CLASSES = ("SIG_KERNEL_ONLY_MASK", "SIG_KERNEL_STOP_MASK", "SIG_KERNEL_COREDUMP_MASK", "SIG_KERNEL_IGNORE_MASK")
DEFAULT_TRACKED = (FLAG, *PREDICATES, *SIGNAL_CLASSES)


def tracked_for(project: Project, tracked: Sequence[str] | None, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The names to scan: `tracked`, else the kernel's default set (none for an init), plus `extra`."""
    base = tracked if tracked is not None else (DEFAULT_TRACKED if project == "kernel" else ())
    idents = tuple(dict.fromkeys((*base, *extra)))
    check_identifiers(idents)
    return idents


def _delta_stats() -> DeltaStats:
    from analyzer.candidates import DeltaStats  # the text search, which a warm run never loads

    return DeltaStats()


@dataclass(slots=True)
class RunStats:
    """How much work a run did: file results needed, found in the cache, and parsed."""

    release_files: int = 0  # (release, file) pairs that needed a result
    cached: int = 0
    parsed: int = 0  # distinct (path, blob) pairs parsed in this run
    cached_reports: int = 0
    init_cached: int = 0  # per-file facts of PID 1's files (and their #defines) found in the cache
    init_parsed: int = 0  # ... and parsed in this run
    candidates: DeltaStats = field(default_factory=_delta_stats)  # how candidate files were found


def scan_many(
    sources: Sequence[Source],
    tracked: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    project: Project | None = None,
    cache: ResultCache | None = None,
    stats: RunStats | None = None,
    progress: Callable[[str], None] = silent,
) -> list[Report]:
    """Scan several trees (project detected per tree unless given), sharing work between them."""
    if cache is None:
        own = ResultCache(default_path())
        try:
            return scan_many(sources, tracked, extra, project, own, stats, progress)
        finally:
            own.close()
    plans = []
    for source in sources:
        if source.info.kind is SourceKind.TARBALL:  # its first pass may as well look for the kernel's names
            from analyzer.sources.tarball import TarballSource

            assert isinstance(source, TarballSource)
            source.prefetch_hint = tracked_for(Project.KERNEL, tracked, extra)
        kind = Project(project) if project else detect_project(source)
        plans.append(_Plan(source, kind, tracked_for(kind, tracked, extra)))
    reports: dict[int, Report] = {}
    for i, plan in enumerate(plans):
        if plan.report_key and (text := cache.get("report", plan.report_key)) is not None:
            reports[i] = replace(cache_codec.report_from_text(text), source=plan.source.info)
    todo = [plan for i, plan in enumerate(plans) if i not in reports]
    if not todo and stats is None:  # every report from the cache: no search, nothing to count
        return [reports[i] for i in range(len(plans))]
    if todo:
        progress(f"searching {len(todo)} tree(s) for {len({i for p in todo for i in p.idents})} names")
    stats = stats if stats is not None else RunStats()
    _find_candidates(todo, cache, stats)
    stats.cached_reports += len(reports)
    results = _analyze(todo, cache, stats, progress)
    for i, plan in enumerate(plans):
        if i not in reports:
            if plan.project is not Project.KERNEL:
                progress(f"PID 1 signal table of {plan.source.info.label}")
            reports[i] = _assemble(plan, results, _InitRun(cache, stats, progress))
            if plan.report_key and not _timed_out(reports[i]):
                cache.put("report", plan.report_key, cache_codec.report_to_text(reports[i]))
    return [reports[i] for i in range(len(plans))]


def scan(source: Source, tracked: Sequence[str] = DEFAULT_TRACKED, project: Project = Project.KERNEL) -> Report:
    """Scan one tree for exactly `tracked`, without the persistent cache."""
    (report,) = scan_many([source], tracked, project=project, cache=ResultCache(None))
    return report


class _Plan:
    """One tree to scan: what it is, which names, and its content address if it has one."""

    def __init__(self, source: Source, project: Project, idents: tuple[str, ...]) -> None:
        self.source, self.project, self.idents = source, project, idents
        self.candidates: dict[str, str] = {}
        identity = source.info.tree if source.info.kind == "git" else source.info.content_hash
        self.report_key = cache_key("report", identity, project, *idents, *_family_names()) if identity else None


def _family_names() -> tuple[str, ...]:
    """Part of every result key: registering a family changes what a result holds."""
    return tuple(f.name for f in families.families())


def _file_key(path: str, blob: str, idents: tuple[str, ...]) -> str:
    return _known_file_key(path, blob, idents, _family_names(), resources.fingerprint())


@functools.lru_cache(maxsize=1 << 16)  # a log assembles a report per commit from the same few thousand files
def _known_file_key(path: str, blob: str, idents: tuple[str, ...], names: tuple[str, ...], _fingerprint: str) -> str:
    return cache_key("file", path, blob, *idents, *names)


def _find_candidates(plans: Sequence[_Plan], cache: ResultCache, stats: RunStats) -> None:
    """Candidate files of every plan; the git ones of one repo together, each blob read once."""
    groups: dict[tuple[str, tuple[str, ...]], list[GitSource]] = {}
    for plan in plans:
        if isinstance(plan.source, GitSource) and plan.idents:
            groups.setdefault((plan.source.git_dir, plan.idents), []).append(plan.source)
    for (_git_dir, idents), group in groups.items():
        from analyzer.candidates import find_candidates

        find_candidates(group, idents, cache, stats.candidates)
    for plan in plans:
        plan.candidates = plan.source.candidate_files(plan.idents) if plan.idents else {}


def _analyze(
    plans: Sequence[_Plan], cache: ResultCache, stats: RunStats, progress: Callable[[str], None]
) -> dict[str, FileResult]:
    """Per-file results of every plan by file key: cached ones, then the rest in parallel."""
    keys = {
        (plan.idents, path, blob): _file_key(path, blob, plan.idents)
        for plan in plans
        for path, blob in plan.candidates.items()
    }
    cached = cache.get_many("file", keys.values())
    results = {key: cache_codec.file_result_from_text(text) for key, text in cached.items()}
    jobs: list[tuple[str, str, bytes, tuple[str, ...]]] = []
    queued: set[str] = set()
    for plan in plans:
        missing = [p for p, b in plan.candidates.items() if keys[(plan.idents, p, b)] not in results]
        missing = [p for p in missing if keys[(plan.idents, p, plan.candidates[p])] not in queued]
        contents = _read(plan.source, missing)
        for path, data in zip(missing, contents, strict=True):
            queued.add(keys[(plan.idents, path, plan.candidates[path])])
            jobs.append((path, plan.candidates[path], data, plan.idents))
    stats.release_files += sum(len(plan.candidates) for plan in plans)
    stats.cached += len(cached)
    stats.parsed += len(jobs)
    fresh = _run_jobs(jobs, progress)
    new = {_file_key(path, blob, idents): result for (path, blob, _, idents), result in zip(jobs, fresh, strict=True)}
    # A parse that timed out depends on the machine's load, not on the blob: never keep it.
    keep = {key: result for key, result in new.items() if not (result.stat and result.stat.timed_out)}
    cache.put_many("file", {key: cache_codec.file_result_to_text(result) for key, result in keep.items()})
    return results | new


def _read(source: Source, paths: list[str]) -> list[bytes]:
    """File contents, in one git cat-file for a git source."""
    if isinstance(source, GitSource):
        return source.read_many(paths)
    return [source.read(path) for path in paths]


def _run_jobs(
    jobs: list[tuple[str, str, bytes, tuple[str, ...]]], progress: Callable[[str], None] = silent
) -> list[FileResult]:
    """Analyze files, over every core when there are enough of them."""
    if jobs:
        with interrupts.deferred():  # the parser, imported whole (and once, before workers fork)
            from analyzer.extract import kernel  # noqa: F401
    from analyzer.workers import map_jobs  # the process pool: a warm run never loads it

    return map_jobs(_analyze_job, jobs, lambda done, total: progress(f"parsing files {done}/{total}"))


def _analyze_job(job: tuple[str, str, bytes, tuple[str, ...]]) -> FileResult:
    return analyze_one(*job)


def analyze_one(path: str, blob: str, data: bytes, tracked: tuple[str, ...]) -> FileResult:
    """One file through the parse unit, with every per-file family's extractor (run in a worker)."""
    from analyzer.extract.kernel import analyze_file  # a warm run parses nothing

    extractors = {f.name: f.per_file for f in families.per_file() if f.per_file is not None}
    return analyze_file(path, blob, data, tracked, extractors=extractors)


def _assemble(plan: _Plan, results: dict[str, FileResult], run: _InitRun | None = None) -> Report:
    """One Report: each family's records from the per-file results, in registry order."""
    per_file = {path: results[_file_key(path, blob, plan.idents)] for path, blob in sorted(plan.candidates.items())}
    init = _extract_init(plan, run) if plan.project is not Project.KERNEL else None
    release = Release(plan.source.info, plan.project, plan.idents, per_file, init)
    checks: list[str] = []
    for family in families.families():
        if family.per_release is not None:
            records = family.per_release(release)
        else:
            records = [record for result in per_file.values() for record in result.of(family.name)]
        release.done[family.name] = family.sort(records)
        if family.check is not None:
            checks += family.check(release.done[family.name])
    return Report(
        source=plan.source.info,
        tracked=plan.idents,
        facts={f.name: release.done[f.name] for f in families.shown()},
        files=tuple(r.stat for r in per_file.values() if r.stat is not None),
        occurrences=tuple(
            sorted((o for r in per_file.values() for o in r.occurrences), key=lambda o: (o.location, o.ident))
        ),
        tool_version=__version__,
        warnings=(
            *getattr(plan.source, "warnings", ()),
            *(w for r in per_file.values() for w in r.warnings),
            *(f"{path}: parse timed out; PID 1's table lacks what it decides" for path in _init_timeouts(init)),
            *checks,
        ),
        project=plan.project,
        init=init.scope if init is not None else None,
    )


def assemble(
    source: Source,
    project: Project,
    idents: tuple[str, ...],
    candidates: dict[str, str],
    results: dict[str, FileResult],
) -> Report:
    """The report of a tree whose candidate files and their results (by `file_key`) are known."""
    plan = _Plan(source, project, idents)
    plan.candidates = candidates
    return _assemble(plan, results)


file_key = _file_key  # the result-cache key of one file's result
run_jobs = _run_jobs  # analyze (path, blob, bytes, names) jobs over every core


def _init_timeouts(init: InitTable | None) -> tuple[str, ...]:
    return init.scope.timed_out if init is not None else ()


def _timed_out(report: Report) -> bool:
    """A parse ran past its deadline: the report depends on the machine's load, never keep it."""
    return any(f.timed_out for f in report.files) or bool(report.init and report.init.timed_out)


@dataclass(frozen=True, slots=True)
class _InitRun:
    """What PID 1's files are read with: the result cache, the run's stats and progress."""

    cache: ResultCache
    stats: RunStats
    progress: Callable[[str], None]


def _extract_init(plan: _Plan, run: _InitRun | None) -> InitTable:
    """PID 1's table; in a scan its files' facts come from the cache, the rest parsed in the worker pool."""
    from analyzer.extract.init import extract_init  # the init extractor is not needed for kernels

    if run is None:  # `assemble` may run in a worker (log compares commits in a pool): parse here
        return extract_init(plan.source, plan.project)
    from analyzer.init_files import CachedInitFiles

    files = CachedInitFiles(plan.source, run.cache, run.progress)
    try:
        return extract_init(plan.source, plan.project, files)
    finally:
        run.stats.init_cached += files.cached
        run.stats.init_parsed += files.parsed
