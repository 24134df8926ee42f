"""The commit log in every format: text, JSON, doc tables (md / rst / csv), SARIF and HTML."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from analyzer import __version__, families
from analyzer.errors import UsageError
from analyzer.families import Change, change_lines, change_message
from analyzer.log import WHY_NOT_LISTED, CommitLog, LogEntry
from analyzer.model import Status
from analyzer.report import SourceLines
from analyzer.report import json as json_report
from analyzer.report.html.links import commit_url
from analyzer.report.tables import Table, render_tables
from analyzer.report.text import SIGN_COLOUR, STATUS_COLOUR, change_runs, joined_head
from analyzer.words import counted


def render_log(
    log: CommitLog,
    fmt: str,
    color: bool = False,
    source_url: str | None = None,
    source_lines: SourceLines | None = None,
) -> str:
    """The log in `fmt`: text, json, md, rst, csv, sarif or html (`source_lines`: code in context for html)."""
    if fmt == "html":
        from analyzer.report.html.commits import render_log_html

        return render_log_html(log, source_lines, source_url)
    if fmt == "sarif":
        from analyzer.report.sarif import render_log_sarif

        return render_log_sarif(log)
    if fmt == "json":
        data = log_to_json(log)
        json_report.validate(data, "output")
        return json_report.dumps(data)
    if fmt in ("md", "rst", "csv"):
        return render_tables(f"siganalyze log {log.spec}", log_tables(log, source_url), fmt)
    if fmt == "text":
        return render_text(log, color)
    raise UsageError(f"log has no {fmt} output", hint="use text, json, md, rst, csv, sarif or html")


def log_to_json(log: CommitLog) -> dict[str, Any]:
    """The JSON form (reports/log.schema.json): each commit with its diff against its first parent."""
    return {
        "schema": json_report.LOG_SCHEMA,
        "schema_version": json_report.SCHEMA_VERSION,
        "tool_version": __version__,
        "range": log.spec,
        "tracked": list(log.tracked),
        "project": log.project.value,
        "commits_in_range": log.commits,
        "touched": len(log.entries),
        "counts": log.counts(),
        "commits": [
            {**entry.about(), "listed": entry.listed, "diff": json_report.to_json(entry.diff)} for entry in log.shown
        ],
    }


def summary_lines(log: CommitLog) -> list[str]:
    """How many commits the range holds, touched, listed, and why the others are not."""
    return log.summary_lines()


def work_line(log: CommitLog) -> str:
    """What the run read and parsed (stderr), as history says it: benchmarks read it."""
    stats = log.stats
    return (
        f"siganalyze: {counted(log.commits, 'commit')}; blobs read for candidates {stats.get('blobs_read', 0)} "
        f"(of {stats.get('blobs', 0)} versions of changed files and of the last tree); "
        f"file versions needed {stats.get('file_versions', 0)}, parsed {stats.get('parsed', 0)}"
    )


def _style(color: bool) -> Any:
    return (lambda text, code: f"\x1b[{code}m{text}\x1b[0m") if color else (lambda text, _code: text)


def render_text(log: CommitLog, color: bool = False) -> str:
    """Each listed commit: id, date, author, subject, then its changes as `diff` words them."""
    style = _style(color)
    names = ", ".join(log.tracked)
    lines = [style(f"Commits in {log.spec} that changed the analysed logic ({names})", "1")]
    lines += summary_lines(log)
    for entry in log.shown:
        lines += ["", style(f"{entry.commit[:12]}  {entry.date[:10]}  {entry.author}", "1"), f"    {entry.subject}"]
        if not entry.listed:
            lines.append(f"  not a change of the logic: {WHY_NOT_LISTED[entry.reason]}")
            continue
        if entry.reason == "merge":
            lines.append("  a merge: changes none of its parents had")
        for name, group in itertools.groupby(_changes(entry), key=lambda c: c.family):
            family, changes = families.family(name), list(group)
            # records not about a name (delivery cells) that read alike are said once, as in `diff`
            runs = change_runs(family, changes) if family.subject is None else [[c] for c in changes]
            for run in runs:
                lines += _change_lines(run[0], style, also=run[1:])
    return "\n".join(lines) + "\n"


def _changes(entry: LogEntry) -> list[Change]:
    return [c for c in entry.diff.changes if c.status is not Status.UNCHANGED]


def _change_lines(change: Change, style: Any, also: Sequence[Change] = ()) -> list[str]:
    family = families.family(change.family)
    (_, head), *body = change_lines(family, change)
    head = joined_head(family, head, change, also)
    record = change.latest
    if family.subject is not None:  # which name, and what kind of record: `SIGNAL_UNKILLABLE set:`
        kind = f" {family.group(record)[1]}" if family.group is not None else ""
        head = f"{family.subject(record)}{kind}: {head}"
    else:
        head = f"{family.title}: {head}"
    lines = [f"  {style(f'{change.status.value:<9}', STATUS_COLOUR[change.status])} {head}"]
    for sign, text in body:
        lines.append(style(f"            {sign} {text}", SIGN_COLOUR[sign]) if sign else f"            {text}")
    return lines


def log_tables(log: CommitLog, source_url: str | None = None) -> tuple[Table, ...]:
    """A table of commits and a table of their changes (one line each)."""
    commits = tuple(
        (
            _commit_link(entry.commit, source_url),
            entry.date[:10],
            entry.author,
            entry.subject,
            entry.reason,
            str(len(_changes(entry))),
        )
        for entry in log.shown
    )
    changes = tuple(
        (entry.commit[:12], change.family, change.status.value, change_message(families.family(change.family), change))
        for entry in log.shown
        for change in _changes(entry)
    )
    return (
        Table("commits", "Commits", ("commit", "date", "author", "subject", "reason", "changes"), commits),
        Table("changes", "Changes", ("commit", "family", "status", "change"), changes),
    )


def _commit_link(commit: str, source_url: str | None) -> str:
    """The commit id, or a commit URL when --source-url names a template with {commit} and no path."""
    return commit_url(commit, source_url) or commit[:12]
