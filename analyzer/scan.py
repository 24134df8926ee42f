"""The scan pipeline: source -> candidate files -> per-file extraction -> Report."""

from __future__ import annotations

from collections.abc import Sequence

from analyzer import __version__
from analyzer.extract import detect_project
from analyzer.extract.callgraph import ENTRY, kill_paths
from analyzer.extract.init import extract_init
from analyzer.extract.kernel import FileResult, analyze_file
from analyzer.model import Report
from analyzer.queries import check_identifiers
from analyzer.sources import Source
from analyzer.sources.git import GitSource, prefetch_candidates
from analyzer.sources.tarball import TarballSource

FLAG = "SIGNAL_UNKILLABLE"
PREDICATES = ("is_global_init", "is_child_reaper", "is_container_init")
SIGNAL_CLASSES = ("SIG_KERNEL_ONLY_MASK", "SIG_KERNEL_STOP_MASK", "SIG_KERNEL_COREDUMP_MASK", "SIG_KERNEL_IGNORE_MASK")
DEFAULT_TRACKED = (FLAG, *PREDICATES, *SIGNAL_CLASSES)


def tracked_for(project: str, tracked: Sequence[str] | None, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The names to scan: `tracked`, else the kernel's default set (none for an init), plus `extra`."""
    base = tracked if tracked is not None else (DEFAULT_TRACKED if project == "kernel" else ())
    idents = tuple(dict.fromkeys((*base, *extra)))
    check_identifiers(idents)
    return idents


def scan(source: Source, tracked: Sequence[str] = DEFAULT_TRACKED, project: str = "kernel") -> Report:
    """Extract every site of `tracked` in one tree; for an init, also PID 1's signal table."""
    idents = tuple(tracked)
    results = _analyze_files(source, idents) if idents else {}
    sites = [s for r in results.values() for s in r.sites]
    # The kill path and the force decision live in the file that defines the kill system
    # call; its call graph extends into headers, never into other .c files, whose static
    # functions may share names with it.
    entry = next((r for p, r in results.items() if p.endswith(".c") and any(h.caller == ENTRY for h in r.calls)), None)
    hops = [h for p, r in results.items() if p.endswith(".h") or r is entry for h in r.calls]
    return Report(
        source=source.info,
        tracked=idents,
        sites=tuple(sorted(sites, key=lambda s: (s.location, s.ident))),
        files=tuple(r.stat for r in results.values() if r.stat is not None),
        occurrences=tuple(
            sorted((o for r in results.values() for o in r.occurrences), key=lambda o: (o.location, o.ident))
        ),
        tool_version=__version__,
        warnings=tuple(w for r in results.values() for w in r.warnings),
        masks=tuple(sorted((m for r in results.values() for m in r.masks), key=lambda m: m.location)),
        force=tuple(entry.force) if entry else (),
        kill_paths=kill_paths(hops, [s for s in sites if s.ident == FLAG]) if entry else (),
        project=project,
        init=extract_init(source, project) if project != "kernel" else None,
    )


def _analyze_files(source: Source, idents: tuple[str, ...]) -> dict[str, FileResult]:
    """Run the per-file extraction on every file that mentions a tracked name."""
    candidates = source.candidate_files(idents)
    paths = sorted(candidates)
    contents = source.read_many(paths) if isinstance(source, GitSource) else [source.read(p) for p in paths]
    return {
        path: analyze_file(path, candidates[path], data, idents) for path, data in zip(paths, contents, strict=True)
    }


def scan_many(
    sources: Sequence[Source],
    tracked: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    project: str | None = None,
) -> list[Report]:
    """Scan several trees (project detected per tree unless given); one text search per repo."""
    plans = []
    for source in sources:
        if isinstance(source, TarballSource):  # its first pass may as well look for the kernel's names
            source.prefetch_hint = tracked_for("kernel", tracked, extra)
        kind = project or detect_project(source)
        plans.append((source, kind, tracked_for(kind, tracked, extra)))
    groups: dict[tuple[str, tuple[str, ...]], list[GitSource]] = {}
    for source, _kind, idents in plans:
        if isinstance(source, GitSource) and idents:
            groups.setdefault((source.git_dir, idents), []).append(source)
    for (_git_dir, idents), group in groups.items():
        prefetch_candidates(group, idents)
    return [scan(source, idents, kind) for source, kind, idents in plans]
