"""Renderers of the report model; `render` is the single dispatch from --format."""

from __future__ import annotations

from collections.abc import Callable

from analyzer.diff import ReportDiff
from analyzer.history import Timeline
from analyzer.model import Report, SourceInfo

SourceLines = Callable[[SourceInfo, str], "list[str] | None"]

FORMATS = ("text", "json", "md", "rst", "csv", "sarif", "html")


def render(
    obj: Report | ReportDiff | Timeline,
    fmt: str,
    color: bool = False,
    source_lines: SourceLines | None = None,
    source_url: str | None = None,
    show_all: bool = False,
    view: str = "changes",
) -> str:
    """Render a report, diff or timeline in `fmt` as one string.

    `show_all`: a text diff lists unchanged sites too; `view`: a timeline's text, "changes" or "grid".
    """
    if fmt == "html":
        from analyzer.report.html import render_html

        return render_html(obj, source_lines, source_url)
    if fmt == "sarif":
        if not isinstance(obj, ReportDiff):
            from analyzer.errors import UsageError

            raise UsageError("SARIF output is for diff: it marks what changed on the new release's lines")
        from analyzer.report.sarif import render_sarif

        return render_sarif(obj)
    if fmt in ("md", "rst", "csv"):
        from analyzer.report.tables import render_table

        return render_table(obj, fmt)
    if fmt == "json":
        from analyzer.report import json as json_report

        return json_report.dumps(json_report.to_json(obj))
    from analyzer.report import text

    if isinstance(obj, Timeline):
        if view == "changes":
            from analyzer.report.history_text import render_changes

            return render_changes(obj, color)
        return text.render_timeline(obj, color)
    return text.render_diff(obj, color, show_all) if isinstance(obj, ReportDiff) else text.render_report(obj, color)
