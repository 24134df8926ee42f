"""The scan pipeline: source -> candidate files -> per-file extraction -> Report."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from analyzer import __version__
from analyzer.extract.callgraph import ENTRY, kill_paths
from analyzer.extract.kernel import analyze_file
from analyzer.model import Report
from analyzer.queries import check_identifiers
from analyzer.sources import Source
from analyzer.sources.git import GitSource, prefetch_candidates

FLAG = "SIGNAL_UNKILLABLE"
PREDICATES = ("is_global_init", "is_child_reaper", "is_container_init")
SIGNAL_CLASSES = ("SIG_KERNEL_ONLY_MASK", "SIG_KERNEL_STOP_MASK", "SIG_KERNEL_COREDUMP_MASK", "SIG_KERNEL_IGNORE_MASK")
DEFAULT_TRACKED = (FLAG, *PREDICATES, *SIGNAL_CLASSES)

Progress = Callable[[str], None]


def scan(source: Source, tracked: Sequence[str] = DEFAULT_TRACKED) -> Report:
    """Extract every site of `tracked` in one tree, accounting for each textual occurrence."""
    idents = tuple(dict.fromkeys(tracked))
    check_identifiers(idents)
    candidates = source.candidate_files(idents)
    paths = sorted(candidates)
    contents = source.read_many(paths) if isinstance(source, GitSource) else [source.read(p) for p in paths]
    sites, occurrences, files, warnings, masks = [], [], [], [], []
    results = {}
    for path, data in zip(paths, contents, strict=True):
        result = results[path] = analyze_file(path, candidates[path], data, idents)
        sites += result.sites
        occurrences += result.occurrences
        warnings += result.warnings
        masks += result.masks
        assert result.stat is not None
        files.append(result.stat)
    # The kill path and the force decision live in the file that defines the kill system
    # call; its call graph extends into headers, never into other .c files, whose static
    # functions may share names with it.
    entry = next((r for p, r in results.items() if p.endswith(".c") and any(h.caller == ENTRY for h in r.calls)), None)
    hops = [h for p, r in results.items() if p.endswith(".h") or r is entry for h in r.calls]
    return Report(
        source=source.info,
        tracked=idents,
        sites=tuple(sorted(sites, key=lambda s: (s.location, s.ident))),
        files=tuple(files),
        occurrences=tuple(sorted(occurrences, key=lambda o: (o.location, o.ident))),
        tool_version=__version__,
        warnings=tuple(warnings),
        masks=tuple(sorted(masks, key=lambda m: m.location)),
        force=tuple(entry.force) if entry else (),
        kill_paths=kill_paths(hops, [s for s in sites if s.ident == FLAG]) if entry else (),
    )


def scan_many(sources: Sequence[Source], tracked: Sequence[str] = DEFAULT_TRACKED) -> list[Report]:
    """Scan several trees; commits of one repo share a single text search."""
    idents = tuple(dict.fromkeys(tracked))
    check_identifiers(idents)
    by_repo: dict[str, list[GitSource]] = {}
    for source in sources:
        if isinstance(source, GitSource):
            by_repo.setdefault(source.git_dir, []).append(source)
    for group in by_repo.values():
        prefetch_candidates(group, idents)
    return [scan(source, idents) for source in sources]
