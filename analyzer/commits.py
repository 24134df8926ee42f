"""The commits of a git range that touch the analysis, and the candidate files of each, reading each blob once.

A file is a candidate at a commit when it mentions a tracked name there (a whole word, as
`git grep -w`). The files that ever are in the range are found from what the commits
changed, not from trees at a few tags, so a file that gains a name and loses it again
between two releases is seen too:

1. `git log` and `git diff-tree` name every commit of the range and, for every non-merge
   commit, the old and new blob of each C file it changed (no blob is read); `git ls-tree`
   names the C files of the range's last tree;
2. each distinct blob those name is read once and searched for the names, in the caller's
   worker pool (answers already in the cache are taken; the range's own are not stored: the
   range's result is, whole); the versions that mention a name are handed over at once, so
   that their parsing starts while the merges are diffed;
3. the candidate paths: those of the last tree (which also holds the files of the first
   that no commit changed), and those of a blob that mentions a name;
4. the merges' changes of those paths against their first parent (one `git diff-tree
   --stdin`: diffing every merge whole would cost three times as much);
5. every commit's candidates follow from its first parent's and its own changes, so they
   are known without reading a tree; a parent outside the range is looked up directly.

A commit *touches* the analysis when a candidate file it changed mentions a name before or
after. What was found is cached by the range's two commit ids and the names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from analyzer.cache import ResultCache, cache_key
from analyzer.candidates import SEARCH_POOL_FROM, blob_keys, match_chunk, pieces
from analyzer.sources import is_c_source
from analyzer.sources.git import regular_files
from analyzer.sources.gitlog import Change, Commit, first_parent_changes, git_output, range_log


@dataclass(slots=True)
class RangeCommits:
    """The commits of a range that touch the analysis, and the candidates of those and their parents."""

    count: int  # commits in the range
    paths: list[str]  # files that mention a tracked name at one commit of the range or at an end
    touched: list[Commit]  # parents before children; changes of candidate files only
    candidates: dict[str, dict[str, str]]  # commit -> candidate file -> blob, for touched commits and parents
    stats: dict[str, int] = field(default_factory=dict)


def range_commits(
    git_dir: str,
    first: str,
    last: str,
    last_tree: str,
    idents: tuple[str, ...],
    cache: ResultCache,
    progress: Callable[[str], None],
    pool: Executor,
    found: Callable[[list[tuple[str, str]]], None] = lambda pairs: None,
) -> RangeCommits:
    """What `first..last` did to the files that mention `idents`; `found` is handed (path, blob)
    versions that mention one as soon as they are known (not all: the result's candidates are)."""
    key = cache_key("log-range", first, last, *sorted(idents))
    if (text := cache.get("log-range", key)) is not None:
        return _decode(text)
    stats: dict[str, int] = {}
    progress(f"listing the commits of {first[:12]}..{last[:12]} and the files they changed")
    commits = range_log(git_dir, first, last)
    # an empty range (B before A) touches nothing: its last tree is not worth reading
    at_last = {path: b for path, b, _size in regular_files(git_dir, last_tree) if is_c_source(path)} if commits else {}
    changed = [change for commit in commits for change in commit.changes]
    answer = _search(git_dir, changed, at_last, idents, cache, stats, pool, progress)
    likely = {path for path, blob in at_last.items() if answer[blob]}
    found([(path, blob) for path, old, new in changed for blob in (old, new) if blob and answer[blob]])
    matching = {path for path, old, new in changed if (old and answer[old]) or (new and answer[new])}
    paths = sorted(matching | likely)
    wanted = set(paths)
    merges = [commit for commit in commits if commit.merge]
    progress(f"diffing {len(merges)} merges in {len(paths)} files")
    merged = first_parent_changes(git_dir, merges, paths)
    for commit in commits:
        commit.changes = merged.get(commit.sha, []) if commit.merge else _of(commit.changes, wanted)
    # the merges' new blobs (a merge of files both sides changed makes one), and any other not searched yet
    more = [blob for changes in merged.values() for _, *pair in changes for blob in pair if blob and blob not in answer]
    answer |= blob_answers(git_dir, list(dict.fromkeys(more)), idents, cache, stats, pool, "merge_")
    candidates, touched = _follow(git_dir, commits, paths, idents, answer, cache, stats, pool)
    stats |= {"commits": len(commits), "merges": len(merges), "paths": len(paths), "touched": len(touched)}
    result = RangeCommits(len(commits), paths, touched, candidates, stats)
    cache.put("log-range", key, _encode(result))
    return result


def _of(changes: list[Change], paths: set[str]) -> list[Change]:
    return [change for change in changes if change[0] in paths]


def _search(
    git_dir: str,
    changed: list[Change],
    at_last: dict[str, str],
    idents: tuple[str, ...],
    cache: ResultCache,
    stats: dict[str, int],
    pool: Executor,
    progress: Callable[[str], None],
) -> dict[str, bool]:
    """Whether each blob `changed` names, and each C file of the last tree, mentions a tracked name.

    From the cache, else read in the pool. Versions of one file are read side by side: git's
    delta-base cache then serves each from the last (in commit order the read costs seven
    times more). The last tree's files that no commit changed are few (2,303 of 28,009 in
    v2.6.25..v2.6.36-rc3): reading them beats a `git grep` of the whole tree.
    """
    path_of = {blob: path for path, blob in at_last.items()}
    path_of |= {blob: path for path, old, new in changed for blob in (old, new) if blob is not None}
    blobs = sorted(path_of, key=path_of.__getitem__)
    progress(f"searching {len(blobs)} file versions for {len(idents)} names")
    key = blob_keys(idents)
    keys = [key(blob) for blob in blobs]
    known = cache.get_many("blob-match", keys)
    answer = {blob: known[k] == "1" for blob, k in zip(blobs, keys, strict=True) if k in known}
    unknown = [blob for blob in blobs if blob not in answer]
    hits = _hits_in_pool(pool, git_dir, unknown, idents, 4 * (os.cpu_count() or 1))
    answer |= {blob: blob in hits for blob in unknown}
    stats["blobs"], stats["blobs_read"] = len(blobs), len(unknown)
    return answer


def blob_answers(
    git_dir: str,
    blobs: Sequence[str],
    idents: tuple[str, ...],
    cache: ResultCache,
    stats: dict[str, int],
    pool: Executor,
    prefix: str,
) -> dict[str, bool]:
    """Whether each of a few blobs mentions a tracked name: from the cache, else read in the pool."""
    key = blob_keys(idents)
    keys = {blob: key(blob) for blob in blobs}
    known = cache.get_many("blob-match", keys.values())
    answer = {blob: known[k] == "1" for blob, k in keys.items() if k in known}
    unknown = [blob for blob in blobs if blob not in answer]
    if len(unknown) < SEARCH_POOL_FROM:  # read here: the pool may have a queue of parses before them
        hits = set(match_chunk(git_dir, unknown, idents))
    else:
        hits = _hits_in_pool(pool, git_dir, unknown, idents, os.cpu_count() or 1)
    cache.put_many("blob-match", {keys[blob]: "1" if blob in hits else "0" for blob in unknown})
    stats[f"{prefix}blobs"], stats[f"{prefix}blobs_read"] = len(blobs), len(unknown)
    return answer | {blob: blob in hits for blob in unknown}


def _hits_in_pool(pool: Executor, git_dir: str, blobs: list[str], idents: tuple[str, ...], chunks: int) -> set[str]:
    """The blobs that mention a name, read in `chunks` tasks of the pool."""
    futures = [pool.submit(match_chunk, git_dir, chunk, idents) for chunk in pieces(blobs, chunks)]
    return {blob for future in futures for blob in future.result()}


def _follow(
    git_dir: str,
    commits: list[Commit],
    paths: list[str],
    idents: tuple[str, ...],
    answer: dict[str, bool],
    cache: ResultCache,
    stats: dict[str, int],
    pool: Executor,
) -> tuple[dict[str, dict[str, str]], list[Commit]]:
    """Each commit's candidates from its first parent's and its changes; the commits that touch them.

    Commits without a change of a candidate share their parent's dict. A parent outside the
    range (the range's start, the base of a side branch) is read with one `cat-file`.
    """
    inside = {commit.sha for commit in commits}
    outside = list(dict.fromkeys(p for commit in commits for p in commit.parents if p not in inside))
    state = _candidates_at(git_dir, outside, paths, idents, answer, cache, stats, pool)
    empty: dict[str, str] = {}
    touched: list[Commit] = []
    for commit in commits:
        base = state[commit.parents[0]] if commit.parents else empty
        if not commit.changes:
            state[commit.sha] = base
            continue
        files = dict(base)
        for path, _old, new in commit.changes:
            if new is not None and answer[new]:
                files[path] = new
            else:
                files.pop(path, None)
        state[commit.sha] = dict(sorted(files.items())) if files != base else base
        if any((old and answer[old]) or (new and answer[new]) for _, old, new in commit.changes):
            touched.append(commit)
    needed = dict.fromkeys(sha for commit in touched for sha in (*commit.parents, commit.sha))
    return {sha: state[sha] for sha in needed}, touched


def _candidates_at(
    git_dir: str,
    commits: list[str],
    paths: list[str],
    idents: tuple[str, ...],
    answer: dict[str, bool],
    cache: ResultCache,
    stats: dict[str, int],
    pool: Executor,
) -> dict[str, dict[str, str]]:
    """Candidate files of each commit among `paths`: their blobs (one cat-file), those that match."""
    if not commits or not paths:
        return {commit: {} for commit in commits}
    names = [f"{commit}:{path}" for commit in commits for path in paths]
    out = git_output(git_dir, "cat-file", "--batch-check=%(objectname) %(objecttype)", stdin="\n".join(names) + "\n")
    blobs: list[str | None] = []
    for line in out.splitlines():
        fields = line.split()
        blobs.append(fields[0] if len(fields) == 2 and fields[1] == "blob" else None)
    unknown = [blob for blob in dict.fromkeys(b for b in blobs if b is not None) if blob not in answer]
    answer |= blob_answers(git_dir, unknown, idents, cache, stats, pool, "outside_")
    result: dict[str, dict[str, str]] = {}
    for i, commit in enumerate(commits):
        row = blobs[i * len(paths) : (i + 1) * len(paths)]
        result[commit] = {path: blob for path, blob in zip(paths, row, strict=True) if blob and answer[blob]}
    return result


def _encode(found: RangeCommits) -> str:
    """The cache's text: candidate sets once each, commits pointing at them."""
    sets: dict[str, int] = {}
    table: list[dict[str, str]] = []
    for files in found.candidates.values():
        if (identity := json.dumps(files)) not in sets:
            sets[identity] = len(table)
            table.append(files)
    commits = [[c.sha, list(c.parents), c.date, c.author, c.subject, c.changes] for c in found.touched]
    at = {sha: sets[json.dumps(files)] for sha, files in found.candidates.items()}
    blobs = found.stats.get("blobs", 0)
    return json.dumps(
        {"count": found.count, "paths": found.paths, "touched": commits, "sets": table, "at": at, "blobs": blobs}
    )


def _decode(text: str) -> RangeCommits:
    data = json.loads(text)
    touched = [Commit(c[0], tuple(c[1]), c[2], c[3], c[4], [tuple(x) for x in c[5]]) for c in data["touched"]]
    sets = data["sets"]
    candidates = {sha: sets[index] for sha, index in data["at"].items()}
    stats = {"commits": data["count"], "blobs": data.get("blobs", 0), "blobs_read": 0}  # nothing read this time
    return RangeCommits(data["count"], data["paths"], touched, candidates, stats)
