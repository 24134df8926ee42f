"""The commits of a git revision range that changed the analysed logic, each against its first parent.

One `git log --raw` names, for every commit, the files it changed and their old and new
blob ids (trees only, no blob read). Only C files matter to the logic (sites and the facts
around them come from parsed C). A commit *touches* the analysis when a changed C file
mentions a tracked name before or after it: whether a blob does is one word search per
distinct blob (cached by blob id, shared with history). A touched commit's candidate files
follow from its first parent's, so the reports of a commit and of its first parent are
assembled from per-file results cached by blob: each distinct blob is parsed once, ever.

A touched commit is listed when its report differs from its first parent's by meaning
(`diff_reports`): a site added, removed, changed, or moved to another function or file, or
a fact changed. The others are counted by why: only comments or blank space changed, only
lines moved, or other code that the analysis does not see. A merge is listed only when it
changed something none of its parents had; one that only brings in a side's changes is
counted, the side's commits being listed themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import git

from analyzer import cache_codec, families
from analyzer.cache import ResultCache, default_path
from analyzer.commits import range_commits
from analyzer.diff import ReportDiff, diff_reports
from analyzer.errors import SourceError
from analyzer.extract import detect_project
from analyzer.families import Change
from analyzer.model import Project, Report, SourceInfo, SourceKind, Status
from analyzer.progress import silent
from analyzer.scan import assemble, file_key, run_jobs, tracked_for
from analyzer.sources.git import GitSource, read_blobs, run_grep
from analyzer.sources.gitlog import Commit, range_ends

# Why a touched commit is or is not listed.
CHANGED = "changed"  # listed: the logic differs from its first parent's
MERGE_OWN = "merge"  # listed: a merge that changed something none of its parents had
COMMENTS = "comments"  # counted: only comments or blank space of candidate files changed
LINES = "lines"  # counted: sites and facts the same, only their lines moved
OTHER_CODE = "other code"  # counted: code changed that the analysed logic does not depend on
MERGED = "merged"  # counted: a merge that only brings in what one of its parents had
REASONS = (CHANGED, MERGE_OWN, COMMENTS, LINES, OTHER_CODE, MERGED)
LISTED = (CHANGED, MERGE_OWN)


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
    found = range_commits(git_dir, first, last, str(ends[1].info.tree), idents, cache, progress)
    stats = dict(found.stats)
    reports = _reports(git_dir, kind, idents, found.candidates, cache, stats, progress)
    progress(f"comparing {len(found.touched)} commits with their parents")
    entries = [_classify(commit, reports, found.candidates) for commit in found.touched]
    # what a commit that changed no site or fact did: comments only, or code the analysis ignores
    unsure = [c for c, entry in zip(found.touched, entries, strict=True) if entry.reason in (LINES, OTHER_CODE)]
    comments = _comments_only(git_dir, unsure, found.candidates)
    entries = [replace(entry, reason=COMMENTS) if entry.commit in comments else entry for entry in entries]
    return CommitLog(spec, idents, kind, found.count, tuple(entries), show_all, stats)


def _reports(
    git_dir: str,
    kind: Project,
    idents: tuple[str, ...],
    candidates: dict[str, dict[str, str]],
    cache: ResultCache,
    stats: dict[str, int],
    progress: Callable[[str], None],
) -> dict[str, Report]:
    """The report of each commit, from per-file results cached by blob (each parsed once)."""
    pairs = sorted({(path, blob) for files in candidates.values() for path, blob in files.items()})
    keys = {pair: file_key(*pair, idents) for pair in pairs}
    cached = cache.get_many("file", keys.values())
    results = {key: cache_codec.file_result_from_text(text) for key, text in cached.items()}
    missing = [pair for pair in pairs if keys[pair] not in results]
    progress(f"parsing {len(missing)} file versions")
    contents = read_blobs(git_dir, [blob for _, blob in missing])
    # Largest first: the workers' last pieces of work are then the smallest, and they end together.
    jobs = sorted(
        ((path, blob, data, idents) for (path, blob), data in zip(missing, contents, strict=True)),
        key=lambda job: -len(job[2]),
    )
    new = {file_key(job[0], job[1], idents): result for job, result in zip(jobs, run_jobs(jobs), strict=True)}
    keep = {k: r for k, r in new.items() if not (r.stat and r.stat.timed_out)}
    cache.put_many("file", {k: cache_codec.file_result_to_text(r) for k, r in keep.items()})
    results |= new
    stats["file_versions"], stats["parsed"] = len(pairs), len(missing)
    progress(f"assembling the reports of {len(candidates)} commits")
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


__all__ = ["LISTED", "REASONS", "CommitLog", "LogEntry", "build_log", "code_lines"]
