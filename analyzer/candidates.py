"""Candidate files of many releases of one repo, reading each distinct blob at most once.

A release's candidates (every file that mentions a tracked name as a whole word, by blob
id) follow from a neighbour's: a tree-to-tree diff (`git diff-tree`, which reads no blob)
names the files that differ, and only their new blobs need a word search. Results are
kept in the result cache by content: the candidates of a tree, and whether a blob mentions
one of the names, so a warm run reads nothing and a new release costs only its new blobs.
The first release of a run with nothing cached is searched whole with `git grep`.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TypeVar

from analyzer import interrupts
from analyzer.cache import ResultCache, cache_key
from analyzer.errors import SourceError
from analyzer.sources import word_pattern
from analyzer.sources.git import GitSource, run_grep

T = TypeVar("T")
_GITLINK = "160000"  # a submodule: git grep does not descend into it
SEARCH_POOL_FROM = 2000  # fewer blobs than this are read faster in one process than in a pool
_GREP_FROM = 40000  # more changed files than this, and most of the tree: grep the tree instead


@dataclass(slots=True)
class DeltaStats:
    """How the candidates were found: trees searched whole, diffs taken, blobs read."""

    trees_cached: int = 0
    trees_grepped: int = 0
    diffs: int = 0
    blobs_changed: int = 0  # (release, changed file) pairs named by the diffs
    blobs_cached: int = 0  # distinct blobs whose answer was in the cache
    blobs_read: int = 0  # distinct blobs read and searched in this run


def tree_key(tree: str, idents: Sequence[str]) -> str:
    """Cache key of a tree's candidates for a set of names."""
    return cache_key("tree-candidates", tree, *sorted(idents))


def blob_keys(idents: Sequence[str]) -> Callable[[str], str]:
    """Cache keys of whether a blob mentions a word of a set of names (one hash for all blobs)."""
    suffix = cache_key("blob-match", *sorted(idents))
    return lambda blob: f"{blob}:{suffix}"


def find_candidates(
    sources: Sequence[GitSource],
    idents: Sequence[str],
    cache: ResultCache,
    stats: DeltaStats | None = None,
) -> None:
    """Give every source (all of one repo, in version order) its candidate files for `idents`.

    A release not cached is derived from its neighbour, forwards from the first one known
    (or searched whole), then backwards. Every tree diff is taken first, so that the blobs
    of all of them are read in one pass over the cores, each distinct blob once, while the
    first tree is searched.
    """
    stats = stats if stats is not None else DeltaStats()
    idents = tuple(idents)
    git_dir = sources[0].git_dir
    trees = [source.info.tree or source.treeish for source in sources]
    by_key = {tree_key(tree, idents): tree for tree in trees}
    cached = cache.get_many("tree-candidates", by_key)
    found: dict[str, dict[str, str]] = {by_key[key]: json.loads(text) for key, text in cached.items()}
    stats.trees_cached += len(found)
    start = next((i for i, tree in enumerate(trees) if tree in found), 0)
    order = [(i - 1, i) for i in range(start + 1, len(trees))] + [(i + 1, i) for i in range(start - 1, -1, -1)]
    to_grep = [] if trees[start] in found else [trees[start]]
    steps: list[tuple[str, str, dict[str, str | None]]] = []
    for base, target in order:
        if trees[target] in found or trees[target] == trees[base] or trees[target] in to_grep:
            steps.append((trees[base], trees[target], {}))
            continue
        changed = tree_changes(git_dir, trees[base], trees[target])
        if len(changed) > _GREP_FROM and len(changed) > 0.8 * _tree_size(git_dir, trees[target]):
            to_grep.append(trees[target])  # releases years apart: git grep reads the tree faster
            continue
        stats.diffs += 1
        stats.blobs_changed += sum(1 for blob in changed.values() if blob is not None)
        steps.append((trees[base], trees[target], changed))
    # Versions of one file side by side: git's delta-base cache then serves each from the last.
    path_of = {blob: path for *_, changed in steps for path, blob in changed.items() if blob is not None}
    wanted = sorted(path_of, key=lambda blob: path_of[blob])
    blob_key = blob_keys(idents)
    keys = {blob: blob_key(blob) for blob in wanted}
    known = cache.get_many("blob-match", keys.values())
    answer = {blob: known[key] == "1" for blob, key in keys.items() if key in known}
    unknown = [blob for blob in wanted if blob not in answer]
    stats.blobs_cached += len(answer)
    stats.blobs_read += len(unknown)
    stats.trees_grepped += len(to_grep)
    # git grep runs while the blobs are read
    found_hits, grepped = match_blobs(
        git_dir, unknown, idents, lambda: run_grep(git_dir, to_grep, idents) if to_grep else {}
    )
    hits, searched = set(found_hits), grepped or {}
    found |= {tree: dict(sorted(files.items())) for tree, files in searched.items()}
    fresh = {blob: blob in hits for blob in unknown}
    # A tree searched whole tells which of its blobs match (not which do not): keep those too.
    fresh |= {blob: True for files in searched.values() for blob in files.values() if blob not in answer}
    cache.put_many("blob-match", {blob_key(blob): "1" if hit else "0" for blob, hit in fresh.items()})
    answer |= fresh
    for base_tree, tree, changed in steps:
        if tree not in found:
            found[tree] = _apply(found[base_tree], changed, answer)
    cache.put_many(
        "tree-candidates",
        {
            tree_key(tree, idents): json.dumps(found[tree])
            for tree in dict.fromkeys(trees)
            if tree_key(tree, idents) not in cached
        },
    )
    for source, tree in zip(sources, trees, strict=True):
        source.remember_candidates(idents, found[tree])


def _apply(base: dict[str, str], changed: dict[str, str | None], answer: dict[str, bool]) -> dict[str, str]:
    """A tree's candidates: its neighbour's, less the files that differ, plus those that match."""
    result = {path: blob for path, blob in base.items() if path not in changed}
    result |= {path: blob for path, blob in changed.items() if blob is not None and answer[blob]}
    return dict(sorted(result.items()))


def _tree_size(git_dir: str, tree: str) -> int:
    """How many files a tree holds (reads no blob)."""
    out = subprocess.run(
        ["git", "--git-dir", git_dir, "ls-tree", "-r", "-z", "--name-only", tree], capture_output=True, check=True
    ).stdout
    return out.count(b"\0")


def tree_changes(git_dir: str, old: str, new: str) -> dict[str, str | None]:
    """Paths whose content differs between two trees: the new blob id, None when gone.

    No rename detection and no blob is read; a submodule (gitlink) counts as gone, as git
    grep does not search it.
    """
    proc = subprocess.run(
        ["git", "--git-dir", git_dir, "diff-tree", "-r", "-z", "--raw", "--no-renames", old, new],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git diff-tree failed: {message[-1] if message else proc.returncode}")
    fields = proc.stdout.split(b"\0")
    changes: dict[str, str | None] = {}
    for i in range(0, len(fields) - 1, 2):
        meta, path = fields[i].decode(), fields[i + 1].decode("utf-8", "surrogateescape")
        _old_mode, new_mode, _old_blob, new_blob, status = meta.lstrip(":").split()
        gone = status.startswith("D") or new_mode == _GITLINK or set(new_blob) == {"0"}
        changes[path] = None if gone else new_blob
    return changes


def match_blobs(
    git_dir: str, blobs: Sequence[str], idents: Sequence[str], meanwhile: Callable[[], T] | None = None
) -> tuple[list[str], T | None]:
    """The blobs that hold a whole-word hit of one of `idents`, read over every core.

    `meanwhile` runs here while the workers read (started after them: no fork with a thread
    running), and its result is returned beside the hits.
    """
    workers = min(os.cpu_count() or 1, 1 + len(blobs) // SEARCH_POOL_FROM)
    if workers < 2:
        other = meanwhile() if meanwhile is not None else None
        return match_chunk(git_dir, list(blobs), tuple(idents)), other
    from concurrent.futures import ProcessPoolExecutor  # a warm run reads no blob

    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(match_chunk, git_dir, chunk, tuple(idents)) for chunk in pieces(blobs, 4 * workers)]
        other = meanwhile() if meanwhile is not None else None
        return [blob for future in futures for blob in future.result()], other


def pieces(items: Sequence[T], count: int) -> list[list[T]]:
    """`items` cut in `count` runs of about equal length, in order (several per worker: one that
    holds larger files than the others is then no bottleneck)."""
    if not items:
        return []
    size = max(1, -(-len(items) // max(1, count)))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def match_chunk(git_dir: str, blobs: list[str], idents: tuple[str, ...]) -> list[str]:
    """Stream `blobs` through one `git cat-file --batch` and keep those with a word hit."""
    if not blobs:
        return []
    finder = substring_finder(idents)
    pattern = word_pattern(idents)
    proc = subprocess.Popen(
        ["git", "--git-dir", git_dir, "cat-file", "--batch", "--buffer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        bufsize=1 << 20,
    )
    assert proc.stdin is not None and proc.stdout is not None
    writer = threading.Thread(target=_feed, args=(proc.stdin, blobs), daemon=True)
    writer.start()
    hits: list[str] = []
    try:
        for blob in blobs:
            header = proc.stdout.readline().split()
            if len(header) != 3:
                raise SourceError(f"{blob}: not found in {git_dir}")
            data = proc.stdout.read(int(header[2]) + 1)
            # A substring search first: most blobs mention none of the names.
            if finder(data) and pattern.search(data) is not None:
                hits.append(blob)
    finally:
        writer.join()
        proc.stdout.close()
        proc.wait()
    return hits


def substring_finder(idents: Sequence[str]) -> Callable[[bytes], bool]:
    """A test of whether bytes hold one of `idents` anywhere (words or not): one pass, whatever their number.

    An Aho-Corasick automaton reads each byte once; testing the names one by one with `in`
    reads the data once per name (three times slower for the kernel's eight).
    """
    with interrupts.deferred():  # a native module: a Ctrl-C inside its initialisation panics it
        import ahocorasick_rs
    automaton = ahocorasick_rs.BytesAhoCorasick(
        [ident.encode() for ident in idents], implementation=ahocorasick_rs.Implementation.DFA
    )
    return lambda data: bool(automaton.find_matches_as_indexes(data))


def _feed(stream: IO[bytes], blobs: Iterable[str]) -> None:
    """Write the object names to cat-file's stdin (in a thread: its output is read meanwhile)."""
    try:
        stream.write("".join(f"{blob}\n" for blob in blobs).encode())
        stream.close()
    except BrokenPipeError:
        pass
