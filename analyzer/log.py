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

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import git

from analyzer import cache_codec, families
from analyzer.cache import ResultCache, cache_key, default_path
from analyzer.candidates import DeltaStats, blob_keys, find_candidates, match_blobs
from analyzer.diff import ReportDiff, diff_reports
from analyzer.errors import SourceError
from analyzer.extract import detect_project
from analyzer.families import Change
from analyzer.model import Project, Report, SourceInfo, SourceKind, Status
from analyzer.progress import silent
from analyzer.scan import assemble, file_key, run_jobs, tracked_for
from analyzer.sources import is_c_source
from analyzer.sources.git import GitSource, read_blobs, run_grep
from analyzer.sources.gitlog import Commit, git_output, range_ends, raw_log, rev_list, tags_in

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
    stats: dict[str, int] = {}
    first, last = str(ends[0].info.commit), str(ends[1].info.commit)
    in_range = rev_list(git_dir, first, last)
    names = tags_in(git_dir, in_range)
    progress(f"finding the files that mention {len(idents)} names in the releases of {spec}")
    paths = _candidate_paths(repo, ends, names, idents, cache, stats)
    progress(f"listing the commits of {spec} that change {len(paths)} files")
    commits = _cached_raw_log(git_dir, first, last, paths, cache)
    # versions of one file side by side: git's delta-base cache then serves each from the last
    path_of = {b: path for c in commits for path, old, new in c.changes for b in (old, new) if b is not None}
    blobs = sorted(path_of, key=lambda blob: path_of[blob])
    answer = _blob_answers(git_dir, blobs, idents, cache, stats)
    touched = [c for c in commits if any((old and answer[old]) or (new and answer[new]) for _, old, new in c.changes)]
    needed = list(dict.fromkeys(sha for c in touched for sha in (*c.parents, c.sha)))
    candidates = _candidates_at(git_dir, needed, paths, idents, answer, cache, stats)
    stats["commits"], stats["logged"], stats["touched"] = len(in_range), len(commits), len(touched)
    reports = _reports(git_dir, kind, idents, candidates, cache, stats, progress)
    entries = [_classify(git_dir, commit, reports, candidates) for commit in touched]
    return CommitLog(spec, idents, kind, len(in_range), tuple(entries), show_all, stats)


def _candidate_paths(
    repo: git.Repo,
    ends: list[GitSource],
    names: list[tuple[str, str]],
    idents: tuple[str, ...],
    cache: ResultCache,
    stats: dict[str, int],
) -> list[str]:
    """C files that mention a tracked name at either end or at any tag inside the range.

    Found like history's candidates (tree diffs, each blob searched once, cached), so a
    file created inside the range is found when a tag holds it.
    """
    sources = [ends[0], *(GitSource(repo, name) for name, _ in names), ends[1]]
    delta = DeltaStats()
    find_candidates(sources, idents, cache, delta)
    stats["tags"], stats["tag_blobs_read"] = len(names), delta.blobs_read
    found = {path for source in sources for path in source.candidate_files(idents) if is_c_source(path)}
    return sorted(found)


def _candidates_at(
    git_dir: str,
    commits: list[str],
    paths: list[str],
    idents: tuple[str, ...],
    answer: dict[str, bool],
    cache: ResultCache,
    stats: dict[str, int],
) -> dict[str, dict[str, str]]:
    """Candidate files of each commit among `paths`: their blobs (one cat-file), those that match."""
    names = [f"{commit}:{path}" for commit in commits for path in paths]
    out = git_output(git_dir, "cat-file", "--batch-check=%(objectname) %(objecttype)", stdin="\n".join(names) + "\n")
    blobs: list[str | None] = []
    for line in out.splitlines():
        fields = line.split()
        blobs.append(fields[0] if len(fields) == 2 and fields[1] == "blob" else None)
    unknown = [blob for blob in dict.fromkeys(b for b in blobs if b is not None) if blob not in answer]
    answer |= _blob_answers(git_dir, unknown, idents, cache, stats, "at_commits_")
    result: dict[str, dict[str, str]] = {}
    for i, commit in enumerate(commits):
        row = blobs[i * len(paths) : (i + 1) * len(paths)]
        result[commit] = {path: blob for path, blob in zip(paths, row, strict=True) if blob and answer[blob]}
    return result


def _cached_raw_log(git_dir: str, low: str, high: str, paths: list[str], cache: ResultCache) -> list[Commit]:
    """raw_log, kept in the result cache: commit ids and paths fix its answer."""
    key = cache_key("log-raw", low, high, *paths)
    if (text := cache.get("log-raw", key)) is not None:
        return [Commit(c[0], tuple(c[1]), c[2], c[3], c[4], [tuple(x) for x in c[5]]) for c in json.loads(text)]
    commits = raw_log(git_dir, low, high, paths)
    rows = [[c.sha, list(c.parents), c.date, c.author, c.subject, [list(x) for x in c.changes]] for c in commits]
    cache.put("log-raw", key, json.dumps(rows))
    return commits


def _blob_answers(
    git_dir: str, blobs: list[str], idents: tuple[str, ...], cache: ResultCache, stats: dict[str, int], prefix: str = ""
) -> dict[str, bool]:
    """Whether each blob mentions a tracked name: from the cache, else read (each blob once)."""
    key = blob_keys(idents)
    keys = {blob: key(blob) for blob in blobs}
    known = cache.get_many("blob-match", keys.values())
    answer = {blob: known[k] == "1" for blob, k in keys.items() if k in known}
    unknown = [blob for blob in blobs if blob not in answer]
    hits = set(match_blobs(git_dir, unknown, idents)[0])
    cache.put_many("blob-match", {keys[blob]: "1" if blob in hits else "0" for blob in unknown})
    stats[f"{prefix}blobs"], stats[f"{prefix}blobs_read"] = len(blobs), len(unknown)
    return answer | {blob: blob in hits for blob in unknown}


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
    fresh = run_jobs([(path, blob, data, idents) for (path, blob), data in zip(missing, contents, strict=True)])
    new = {keys[pair]: result for pair, result in zip(missing, fresh, strict=True)}
    keep = {k: r for k, r in new.items() if not (r.stat and r.stat.timed_out)}
    cache.put_many("file", {k: cache_codec.file_result_to_text(r) for k, r in keep.items()})
    results |= new
    stats["file_versions"], stats["parsed"] = len(pairs), len(missing)
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


def _classify(
    git_dir: str, commit: Commit, reports: dict[str, Report], candidates: dict[str, dict[str, str]]
) -> LogEntry:
    """Why a touched commit is listed or only counted."""
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
    if _comments_only(git_dir, commit, candidates, commit.parents[0] if commit.parents else None):
        return replace(entry, reason=COMMENTS)
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


def _comments_only(git_dir: str, commit: Commit, candidates: dict[str, dict[str, str]], parent: str | None) -> bool:
    """True when every changed candidate file differs from its old version in comments or blank space only."""
    if parent is None:
        return False
    before, after = candidates[parent], candidates[commit.sha]
    pairs = [(old, new) for path, old, new in commit.changes if path in before or path in after]
    if not pairs or any(old is None or new is None for old, new in pairs):
        return False
    texts = read_blobs(git_dir, [blob for pair in pairs for blob in pair if blob is not None])
    return all(code_lines(texts[2 * i]) == code_lines(texts[2 * i + 1]) for i in range(len(pairs)))


__all__ = ["LISTED", "REASONS", "CommitLog", "LogEntry", "build_log", "code_lines"]
