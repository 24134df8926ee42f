"""What the log page shows: the range's counts, its commits, then each commit's changes as on a diff page."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from analyzer.log import LISTED, REASONS, WHY_NOT_LISTED, CommitLog, LogEntry
from analyzer.model import Status
from analyzer.report.html import render_page
from analyzer.report.html.code import Files, SourceLines
from analyzer.report.html.links import Links, commit_url, source_url_template
from analyzer.report.html.views import diff_view


@dataclass(frozen=True, slots=True)
class CommitView:
    """One shown commit: its line in the table and its section."""

    key: str  # the section's id
    sha: str
    date: str
    author: str
    subject: str
    reason: str
    changes: int  # not unchanged
    url: str | None  # its web page, from --source-url
    why: str  # why it is not listed (with --all), else ""
    view: dict[str, Any] | None  # its changes, as diff_view words them; None when not listed


def render_log_html(log: CommitLog, source_lines: SourceLines | None = None, source_url: str | None = None) -> str:
    """The log as one page: counts, the commits, and each listed commit's changes with code in context."""
    links = Links(source_url_template(source_url) if source_url else None, log.project.value)
    files = Files(source_lines, log.tracked)
    view = log_view(log, files, links, source_url)
    title = f"siganalyze log {log.spec}"
    return render_page("log.html.j2", title=title, h1="siganalyze log", view=view)


def log_view(log: CommitLog, files: Files, links: Links, source_url: str | None = None) -> dict[str, Any]:
    """What log.html.j2 shows."""
    counts = log.counts()
    return {
        "range": log.spec,
        "tracked": ", ".join(log.tracked),
        "summary": log.summary_lines(),
        "counts": [(reason, counts[reason], reason in LISTED) for reason in REASONS],
        "commits": [_commit(entry, files, links, source_url) for entry in log.shown],
    }


def _commit(entry: LogEntry, files: Files, links: Links, source_url: str | None) -> CommitView:
    changed = [c for c in entry.diff.changes if c.status is not Status.UNCHANGED]
    view = _changed_only(diff_view(entry.diff, files, links)) if entry.listed else None
    return CommitView(
        key=f"c-{entry.commit[:12]}",
        sha=entry.commit,
        date=entry.date,
        author=entry.author,
        subject=entry.subject,
        reason=entry.reason,
        changes=len(changed),
        url=commit_url(entry.commit, source_url),
        why=WHY_NOT_LISTED.get(entry.reason, "") if not entry.listed else "",
        view=view,
    )


def _changed_only(view: dict[str, Any]) -> dict[str, Any]:
    """A diff view without its unchanged records: a commit's page section shows what it changed."""
    groups = []
    for group in view["groups"]:
        kinds = tuple((kind, shown, ()) for kind, shown, _folded in group.kinds if shown)
        if kinds:
            groups.append(dataclasses.replace(group, kinds=kinds))
    families = [dataclasses.replace(f, folded=()) for f in view["families"] if f.shown]
    return {**view, "groups": groups, "families": families}
