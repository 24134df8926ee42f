"""The commits of a git revision range that changed the analysed logic, each against its first parent.

`analyzer.commits` finds the commits that *touch* the analysis (a C file they changed
mentions a tracked name before or after) and the candidate files of each, from one `git
log --raw` and one read of each distinct blob. The reports of a commit and of its first
parent are assembled from per-file results cached by blob: each distinct blob is parsed
once, ever, in worker processes that start on the versions of the files known to matter
while the rest of the range is still searched.

A touched commit is listed when its report differs from its first parent's by meaning
(`diff_reports`): a site added, removed, changed, or moved to another function or file, or
a fact changed. The others are counted by why: only comments or blank space changed, only
lines moved, or other code that the analysis does not see. A merge is listed only when it
changed something none of its parents had; one that only brings in a side's changes is
counted, the side's commits being listed themselves. The commits are compared over every
core, each worker assembling the reports of a run of consecutive commits.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from typing import Any

import git

from analyzer import cache_codec, families
from analyzer.cache import ResultCache, default_path
from analyzer.candidates import pieces
from analyzer.commits import range_commits
from analyzer.diff import ReportDiff, diff_reports
from analyzer.errors import SourceError
from analyzer.extract import detect_project
from analyzer.extract.unit import FileResult
from analyzer.families import Change
from analyzer.model import Project, Report, SourceInfo, SourceKind, Status
from analyzer.progress import silent
from analyzer.scan import analyze_one, assemble, file_key, tracked_for
from analyzer.sources.git import GitSource, read_blobs, run_grep
from analyzer.sources.gitlog import Commit, range_ends
from analyzer.words import counted
from analyzer.workers import worker_pool

# Why a touched commit is or is not listed.
CHANGED = "changed"  # listed: the logic differs from its first parent's
MERGE_OWN = "merge"  # listed: a merge that changed something none of its parents had
COMMENTS = "comments"  # counted: only comments or blank space of candidate files changed
LINES = "lines"  # counted: sites and facts the same, only their lines moved
OTHER_CODE = "other code"  # counted: code changed that the analysed logic does not depend on
MERGED = "merged"  # counted: a merge that only brings in what one of its parents had
REASONS = (CHANGED, MERGE_OWN, COMMENTS, LINES, OTHER_CODE, MERGED)
LISTED = (CHANGED, MERGE_OWN)
# Why a commit that touched the analysis is not listed, in the words every format uses.
WHY_NOT_LISTED = {
    COMMENTS: "only comments or blank space changed",
    LINES: "only lines moved",
    OTHER_CODE: "code the analysed logic does not depend on",
    MERGED: "a merge bringing in what a parent had",
}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One commit that changed a candidate file, and what that did to the analysis."""

    commit: str
    parents: tuple[str, ...]
    date: str  # author date, ISO 8601
    author: str
    subject: str
    reason: str  # one of REASONS
    diff: ReportDiff  # against the first parent; for a listed merge, only its own changes

    @property
    def listed(self) -> bool:
        """True when the commit changed the analysed logic."""
        return self.reason in LISTED

    def about(self) -> dict[str, object]:
        """The commit in JSON words: id, parents, date, author, subject, reason."""
        return {
            "commit": self.commit,
            "parents": list(self.parents),
            "date": self.date,
            "author": self.author,
            "subject": self.subject,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CommitLog:
    """The touched commits of a range, oldest first (parents before children)."""

    spec: str
    tracked: tuple[str, ...]
    project: Project
    commits: int  # commits in the range
    entries: tuple[LogEntry, ...]  # every touched commit
    show_all: bool = False  # list the commits that did not change the logic too
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def shown(self) -> tuple[LogEntry, ...]:
        """The entries to list: those that changed the logic (all touched ones with show_all)."""
        return self.entries if self.show_all else tuple(e for e in self.entries if e.listed)

    @property
    def logic_changed(self) -> bool:
        """True when a commit of the range changed the analysed logic."""
        return any(entry.listed for entry in self.entries)

    def counts(self) -> dict[str, int]:
        """Touched commits by reason."""
        return {reason: sum(1 for e in self.entries if e.reason == reason) for reason in REASONS}

    def summary_lines(self) -> list[str]:
        """How many commits the range holds, touched, listed, and why the others are not."""
        counts = self.counts()
        listed = sum(1 for e in self.entries if e.listed)
        lines = [
            f"{counted(self.commits, 'commit')} in the range; {len(self.entries)} changed a file that mentions "
            f"a tracked name; {listed} changed the analysed logic"
        ]
        others = [f"{counts[reason]} {why}" for reason, why in WHY_NOT_LISTED.items() if counts[reason]]
        if others:
            lines.append("not listed" + (" (shown with --all)" if not self.show_all else "") + ": " + "; ".join(others))
        return lines


class _CommitTree:
    """A commit as a Source, its candidate files known: the report's source, never re-searched."""

    def __init__(self, git_dir: str, commit: str, candidates: dict[str, str], idents: tuple[str, ...]) -> None:
        self.git_dir, self.commit = git_dir, commit
        self.info = SourceInfo(kind=SourceKind.GIT, spec=commit[:12], repo=git_dir, commit=commit)
        self._known = {idents: candidates}

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        key = tuple(idents)
        if key not in self._known:
            self._known[key] = run_grep(self.git_dir, [self.commit], key)[self.commit]
        return self._known[key]

    def read(self, path: str) -> bytes:
        return read_blobs(self.git_dir, [f"{self.commit}:{path}"])[0]


def build_log(
    repo: git.Repo,
    spec: str,
    extra: Sequence[str] = (),
    project: Project | None = None,
    show_all: bool = False,
    cache: ResultCache | None = None,
    progress: Callable[[str], None] = silent,
) -> CommitLog:
    """The touched commits of `spec` (git's A..B: reachable from B, not from A)."""
    if cache is None:
        own = ResultCache(default_path())
        try:
            return build_log(repo, spec, extra, project, show_all, own, progress)
        finally:
            own.close()
    low, high = range_ends(spec)
    git_dir = str(repo.git_dir)
    ends = [GitSource(repo, end) for end in (low, high)]  # unknown refs fail here, with a hint
    for end in ends:
        if end.info.commit is None:
            raise SourceError(f"{end.info.ref!r} names a tree with no commit history", hint="start the range later")
    kind = Project(project) if project else detect_project(ends[1])
    idents = tracked_for(kind, None, extra)
    first, last = str(ends[0].info.commit), str(ends[1].info.commit)
    with worker_pool() as pool:
        parses = _Parses(pool, git_dir, idents, cache)
        found = range_commits(git_dir, first, last, str(ends[1].info.tree), idents, cache, progress, pool, parses.want)
        parses.want({(path, blob) for files in found.candidates.values() for path, blob in files.items()})
        progress(f"parsing {parses.parsed} file versions")
        results = parses.wait()
    stats = found.stats | {"file_versions": len(parses.asked), "parsed": parses.parsed}
    progress(f"comparing {len(found.touched)} commits with their parents")
    entries = _compare(git_dir, kind, idents, found.touched, found.candidates, results)
    return CommitLog(spec, idents, kind, found.count, tuple(entries), show_all, stats)


class _Parses:
    """File versions parsed in the pool as soon as they are known to be needed: each once, cached by blob."""

    def __init__(self, pool: Executor, git_dir: str, idents: tuple[str, ...], cache: ResultCache) -> None:
        self.pool, self.git_dir, self.idents, self.cache = pool, git_dir, idents, cache
        self.asked: set[tuple[str, str]] = set()
        self.parsed = 0
        self.results: dict[str, FileResult] = {}  # by file_key
        self._pending: list[Future[list[tuple[str, FileResult, str | None]]]] = []

    def want(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Parse these (path, blob) versions unless cached or asked for already."""
        new = sorted(set(pairs) - self.asked)
        self.asked.update(new)
        keys = {pair: file_key(*pair, self.idents) for pair in new}
        cached = self.cache.get_many("file", keys.values())
        self.results |= {key: cache_codec.file_result_from_text(text) for key, text in cached.items()}
        missing = [pair for pair in new if keys[pair] not in cached]
        self.parsed += len(missing)
        # small tasks (versions of one file side by side, read in one cat-file): the workers end together
        for batch in pieces(missing, -(-len(missing) // _BATCH)):
            self._pending.append(self.pool.submit(_parse_batch, self.git_dir, batch, self.idents))

    def wait(self) -> dict[str, FileResult]:
        """Every result asked for; the new ones stored in the cache."""
        fresh: dict[str, str] = {}
        for future in self._pending:
            for key, result, text in future.result():
                self.results[key] = result
                if text is not None:
                    fresh[key] = text
        self._pending = []
        self.cache.put_many("file", fresh)
        return self.results


_BATCH = 12  # file versions per parsing task


def _parse_batch(
    git_dir: str, pairs: list[tuple[str, str]], idents: tuple[str, ...]
) -> list[tuple[str, FileResult, str | None]]:
    """Read and analyze (path, blob) versions in a worker: each one's cache key, result and cache text.

    The cache text is made here, beside the parse, not in the parent that waits for all; a
    result past the parse deadline depends on the machine's load and is never kept.
    """
    contents = read_blobs(git_dir, [blob for _, blob in pairs])
    done = []
    for (path, blob), data in zip(pairs, contents, strict=True):
        result = analyze_one(path, blob, data, idents)
        text = None if result.stat and result.stat.timed_out else cache_codec.file_result_to_text(result)
        done.append((file_key(path, blob, idents), result, text))
    return done


# What the comparing workers read, set before they fork (a fork shares it, nothing is copied).
_SHARED: tuple[str, Project, tuple[str, ...], list[Commit], dict[str, dict[str, str]], dict[str, FileResult]] | None
_SHARED = None


def _compare(
    git_dir: str,
    kind: Project,
    idents: tuple[str, ...],
    touched: list[Commit],
    candidates: dict[str, dict[str, str]],
    results: dict[str, FileResult],
) -> list[LogEntry]:
    """Every touched commit classified, over every core: each worker takes runs of consecutive commits."""
    global _SHARED
    _SHARED = (git_dir, kind, idents, touched, candidates, results)
    try:
        workers = min(os.cpu_count() or 1, 1 + len(touched) // _COMPARE_FROM)
        if workers < 2:
            return _compare_run(0, len(touched))
        bounds = [i * len(touched) // (2 * workers) for i in range(2 * workers + 1)]
        with worker_pool(workers) as pool:
            runs = [pool.submit(_compare_run, a, b) for a, b in itertools.pairwise(bounds)]
            return [entry for run in runs for entry in run.result()]
    finally:
        _SHARED = None


_COMPARE_FROM = 200  # fewer commits than this are compared faster than a pool starts


def _compare_run(start: int, end: int) -> list[LogEntry]:
    """Classify touched[start:end] (in a worker, or here), assembling the reports it needs."""
    assert _SHARED is not None
    git_dir, kind, idents, touched, candidates, results = _SHARED
    commits = touched[start:end]
    needed = {sha: candidates[sha] for commit in commits for sha in (*commit.parents, commit.sha)}
    reports = _reports(git_dir, kind, idents, needed, results)
    entries = [_classify(commit, reports, candidates) for commit in commits]
    # what a commit that changed no site or fact did: comments only, or code the analysis ignores
    unsure = [c for c, entry in zip(commits, entries, strict=True) if entry.reason in (LINES, OTHER_CODE)]
    comments = _comments_only(git_dir, unsure, candidates)
    return [replace(entry, reason=COMMENTS) if entry.commit in comments else entry for entry in entries]


def _reports(
    git_dir: str,
    kind: Project,
    idents: tuple[str, ...],
    candidates: dict[str, dict[str, str]],
    results: dict[str, FileResult],
) -> dict[str, Report]:
    """The report of each commit, assembled from its files' results; once per set of candidate files."""
    reports: dict[str, Report] = {}
    by_set: dict[tuple[tuple[str, str], ...], Report] = {}
    for sha, files in candidates.items():
        identity = tuple(files.items())
        if identity not in by_set:
            source = _CommitTree(git_dir, sha, files, idents)
            by_set[identity] = assemble(source, kind, idents, files, results)
        report = by_set[identity]
        reports[sha] = report if report.source.commit == sha else replace(report, source=_info(git_dir, sha))
    return reports


def _info(git_dir: str, sha: str) -> SourceInfo:
    return SourceInfo(kind=SourceKind.GIT, spec=sha[:12], repo=git_dir, commit=sha)


def _classify(commit: Commit, reports: dict[str, Report], candidates: dict[str, dict[str, str]]) -> LogEntry:
    """Why a touched commit is listed or only counted (until its comments are looked at: see _comments_only)."""
    first = reports[commit.parents[0]] if commit.parents else _empty(reports[commit.sha])
    diff = diff_reports(first, reports[commit.sha])
    entry = LogEntry(commit.sha, commit.parents, commit.date, commit.author, commit.subject, OTHER_CODE, diff)
    if len(commit.parents) > 1:
        if not diff.logic_changed or any(candidates[p] == candidates[commit.sha] for p in commit.parents[1:]):
            return replace(entry, reason=MERGED)  # the same files as another parent: nothing of its own
        own = _own_changes(diff, [diff_reports(reports[p], reports[commit.sha]) for p in commit.parents[1:]])
        if not own:
            return replace(entry, reason=MERGED)
        return replace(entry, reason=MERGE_OWN, diff=replace(diff, changes=own))
    if diff.logic_changed:
        return replace(entry, reason=CHANGED)
    moved = any(c.old is not None and c.new is not None and _where(c.old) != _where(c.new) for c in diff.changes)
    return replace(entry, reason=LINES if moved else OTHER_CODE)


def _empty(report: Report) -> Report:
    return replace(report, facts={name: () for name in report.facts}, occurrences=(), files=())


def _where(record: Any) -> object:
    return getattr(record, "location", None)


def _own_changes(first: ReportDiff, others: list[ReportDiff]) -> tuple[Change, ...]:
    """The changes against the first parent that no other parent explains.

    A record of the merge that one other parent holds unchanged came from that parent; a
    record gone from the merge that one other parent lacks too went on that parent's side.
    """
    kept: list[Change] = []
    for change in first.changes:
        if change.status is Status.UNCHANGED:
            continue
        if change.new is not None:
            explained = any(
                c.new is change.new and c.status is Status.UNCHANGED for other in others for c in other.changes
            )
        else:
            family = families.family(change.family)
            explained = any(
                not any(
                    c.old is not None and family.compared(c.old) == family.compared(change.old)
                    for c in other.of(change.family)
                )
                for other in others
            )
        if not explained:
            kept.append(change)
    return tuple(kept)


_COMMENT_OR_LITERAL = re.compile(rb'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)


def code_lines(data: bytes) -> list[bytes]:
    """A C file's lines without comments and blank space: equal for edits of comments only."""

    def keep(match: re.Match[bytes]) -> bytes:
        text = match.group(0)
        return b" " if text.startswith(b"/") else text

    stripped = _COMMENT_OR_LITERAL.sub(keep, data)
    return [b" ".join(line.split()) for line in stripped.splitlines() if line.strip()]


def _comments_only(git_dir: str, commits: Sequence[Commit], candidates: dict[str, dict[str, str]]) -> set[str]:
    """The commits whose every changed candidate file differs from its old version in comments or blank space only.

    The versions to compare are read together, in one `git cat-file`.
    """
    pairs: dict[str, list[tuple[str, str]]] = {}
    for commit in commits:
        if len(commit.parents) != 1:
            continue
        before, after = candidates[commit.parents[0]], candidates[commit.sha]
        changed = [(old, new) for path, old, new in commit.changes if path in before or path in after]
        if changed and all(old is not None and new is not None for old, new in changed):
            pairs[commit.sha] = [(str(old), str(new)) for old, new in changed]
    blobs = list(dict.fromkeys(blob for each in pairs.values() for pair in each for blob in pair))
    code = {blob: code_lines(data) for blob, data in zip(blobs, read_blobs(git_dir, blobs), strict=True)}
    return {sha for sha, each in pairs.items() if all(code[old] == code[new] for old, new in each)}


__all__ = ["LISTED", "REASONS", "WHY_NOT_LISTED", "CommitLog", "LogEntry", "build_log", "code_lines"]
