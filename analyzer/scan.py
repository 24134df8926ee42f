"""The scan pipeline: source -> candidate files -> per-file extraction -> Report.

Work is shared across the releases of one run and across runs: one text search per repo,
per-file results cached by blob id (a file unchanged between two releases is parsed once),
whole reports cached by tree id, and the files left to parse spread over the cores.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from analyzer import __version__
from analyzer.cache import ResultCache, cache_key, default_path
from analyzer.extract import detect_project
from analyzer.extract.callgraph import ENTRY, kill_paths
from analyzer.extract.kernel import FileResult, analyze_file
from analyzer.model import Report
from analyzer.progress import silent
from analyzer.queries import check_identifiers
from analyzer.sources import Source
from analyzer.sources.git import GitSource, prefetch_candidates
from analyzer.sources.tarball import TarballSource

FLAG = "SIGNAL_UNKILLABLE"
PREDICATES = ("is_global_init", "is_child_reaper", "is_container_init")
SIGNAL_CLASSES = ("SIG_KERNEL_ONLY_MASK", "SIG_KERNEL_STOP_MASK", "SIG_KERNEL_COREDUMP_MASK", "SIG_KERNEL_IGNORE_MASK")
DEFAULT_TRACKED = (FLAG, *PREDICATES, *SIGNAL_CLASSES)
_PARALLEL_FROM = 8  # fewer files than this parse faster than a process pool starts


def tracked_for(project: str, tracked: Sequence[str] | None, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The names to scan: `tracked`, else the kernel's default set (none for an init), plus `extra`."""
    base = tracked if tracked is not None else (DEFAULT_TRACKED if project == "kernel" else ())
    idents = tuple(dict.fromkeys((*base, *extra)))
    check_identifiers(idents)
    return idents


@dataclass(slots=True)
class RunStats:
    """How much work a run did: file results needed, found in the cache, and parsed."""

    release_files: int = 0  # (release, file) pairs that needed a result
    cached: int = 0
    parsed: int = 0  # distinct (path, blob) pairs parsed in this run
    cached_reports: int = 0


def scan_many(
    sources: Sequence[Source],
    tracked: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    project: str | None = None,
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
        if isinstance(source, TarballSource):  # its first pass may as well look for the kernel's names
            source.prefetch_hint = tracked_for("kernel", tracked, extra)
        kind = project or detect_project(source)
        plans.append(_Plan(source, kind, tracked_for(kind, tracked, extra)))
    reports: dict[int, Report] = {}
    for i, plan in enumerate(plans):
        if plan.report_key and (text := cache.get("report", plan.report_key)) is not None:
            reports[i] = _report_from_cache(text, plan.source)
    todo = [plan for i, plan in enumerate(plans) if i not in reports]
    if todo:
        progress(f"searching {len(todo)} tree(s) for {len({i for p in todo for i in p.idents})} names")
    _find_candidates(todo, cache)
    stats = stats if stats is not None else RunStats()
    stats.cached_reports += len(reports)
    results = _analyze(todo, cache, stats, progress)
    for i, plan in enumerate(plans):
        if i not in reports:
            if plan.project != "kernel":
                progress(f"PID 1 signal table of {plan.source.info.label}")
            reports[i] = _assemble(plan, results)
            if plan.report_key and not any(f.timed_out for f in reports[i].files):
                cache.put("report", plan.report_key, _report_to_cache(reports[i]))
    return [reports[i] for i in range(len(plans))]


def scan(source: Source, tracked: Sequence[str] = DEFAULT_TRACKED, project: str = "kernel") -> Report:
    """Scan one tree for exactly `tracked`, without the persistent cache."""
    (report,) = scan_many([source], tracked, project=project, cache=ResultCache(None))
    return report


class _Plan:
    """One tree to scan: what it is, which names, and its content address if it has one."""

    def __init__(self, source: Source, project: str, idents: tuple[str, ...]) -> None:
        self.source, self.project, self.idents = source, project, idents
        self.candidates: dict[str, str] = {}
        identity = source.info.tree if source.info.kind == "git" else source.info.content_hash
        self.report_key = cache_key("report", identity, project, *idents) if identity else None


def _find_candidates(plans: Sequence[_Plan], cache: ResultCache) -> None:
    """Candidate files of every plan: cached by tree id, else one git grep per repo."""
    pending: dict[tuple[str, tuple[str, ...]], list[GitSource]] = {}
    for plan in plans:
        source = plan.source
        if isinstance(source, GitSource) and plan.idents:
            key = cache_key("candidates", source.treeish, *plan.idents)
            if (text := cache.get("candidates", key)) is not None:
                source.remember_candidates(plan.idents, json.loads(text))
            else:
                pending.setdefault((source.git_dir, plan.idents), []).append(source)
    for (_git_dir, idents), group in pending.items():
        prefetch_candidates(group, idents)
        for source in group:
            found = source.candidate_files(idents)
            cache.put("candidates", cache_key("candidates", source.treeish, *idents), json.dumps(found))
    for plan in plans:
        plan.candidates = plan.source.candidate_files(plan.idents) if plan.idents else {}


def _analyze(
    plans: Sequence[_Plan], cache: ResultCache, stats: RunStats, progress: Callable[[str], None]
) -> dict[str, FileResult]:
    """Per-file results of every plan by file key: cached ones, then the rest in parallel."""
    from analyzer.report import json as json_report

    keys = {
        (plan.idents, path, blob): cache_key("file", path, blob, *plan.idents)
        for plan in plans
        for path, blob in plan.candidates.items()
    }
    cached = cache.get_many("file", keys.values())
    results = {key: json_report.file_result_from_text(text) for key, text in cached.items()}
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
    new = {
        cache_key("file", path, blob, *idents): result
        for (path, blob, _, idents), result in zip(jobs, fresh, strict=True)
    }
    # A parse that timed out depends on the machine's load, not on the blob: never keep it.
    keep = {key: result for key, result in new.items() if not (result.stat and result.stat.timed_out)}
    cache.put_many("file", {key: json_report.file_result_to_text(result) for key, result in keep.items()})
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
    workers = min(os.cpu_count() or 1, len(jobs))
    if len(jobs) < _PARALLEL_FROM or workers < 2:
        results = (analyze_file(*job) for job in jobs)
        return [_tick(progress, i, len(jobs), result) for i, result in enumerate(results, start=1)]
    # Ctrl-C only while waiting for results: raised inside the pool's own bookkeeping
    # (submitting, forking workers, shutting down) it can deadlock it. Its threads and workers
    # start with the signals blocked, so the main thread alone takes them.
    stop = {signal.SIGINT, signal.SIGTERM}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_worker_signals) as pool:
            done = pool.map(_analyze_job, jobs, chunksize=max(1, len(jobs) // (4 * workers)))
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                return [_tick(progress, i, len(jobs), result) for i, result in enumerate(done, start=1)]
            except BaseException:
                pool.shutdown(cancel_futures=True)  # the files not started yet are dropped
                raise
            finally:
                signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal that came meanwhile is raised here


def _tick(progress: Callable[[str], None], done: int, total: int, result: FileResult) -> FileResult:
    progress(f"parsing files {done}/{total}")
    return result


def _worker_signals() -> None:
    """Ctrl-C reaches the workers too: they ignore it and their parent stops the run.

    A worker that died of it would break the pool, and Python 3.11 can hang at exit when a
    pool breaks while the parent cancels the files not yet started.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def _analyze_job(job: tuple[str, str, bytes, tuple[str, ...]]) -> FileResult:
    return analyze_file(*job)


def _assemble(plan: _Plan, results: dict[str, FileResult]) -> Report:
    """One Report from the per-file results of its candidates."""
    per_file = {
        path: results[cache_key("file", path, blob, *plan.idents)] for path, blob in sorted(plan.candidates.items())
    }
    sites = [s for r in per_file.values() for s in r.sites]
    # The kill path and the force decision live in the file that defines the kill system
    # call; its call graph extends into headers, never into other .c files, whose static
    # functions may share names with it.
    entry = next((r for p, r in per_file.items() if p.endswith(".c") and any(h.caller == ENTRY for h in r.calls)), None)
    hops = [h for p, r in per_file.items() if p.endswith(".h") or r is entry for h in r.calls]
    return Report(
        source=plan.source.info,
        tracked=plan.idents,
        sites=tuple(sorted(sites, key=lambda s: (s.location, s.ident))),
        files=tuple(r.stat for r in per_file.values() if r.stat is not None),
        occurrences=tuple(
            sorted((o for r in per_file.values() for o in r.occurrences), key=lambda o: (o.location, o.ident))
        ),
        tool_version=__version__,
        warnings=(*getattr(plan.source, "warnings", ()), *(w for r in per_file.values() for w in r.warnings)),
        masks=tuple(sorted((m for r in per_file.values() for m in r.masks), key=lambda m: m.location)),
        force=tuple(entry.force) if entry else (),
        kill_paths=kill_paths(hops, [s for s in sites if s.ident == FLAG]) if entry else (),
        project=plan.project,
        init=_extract_init(plan) if plan.project != "kernel" else None,
    )


def _extract_init(plan: _Plan):  # type: ignore[no-untyped-def]
    from analyzer.extract.init import extract_init

    return extract_init(plan.source, plan.project)


def _report_to_cache(report: Report) -> str:
    from analyzer.report import json as json_report

    return json.dumps(json_report.to_json(report), separators=(",", ":"))


def _report_from_cache(text: str, source: Source) -> Report:
    """A cached report, under the name this run used for the same tree."""
    from analyzer.report import json as json_report

    return replace(json_report.report_from_json(json.loads(text)), source=source.info)
