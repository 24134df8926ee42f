"""Renderers of the report model; `render` is the single dispatch from --format."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from analyzer.model import Report, SourceInfo

# Each kind of result is imported where it is told apart: a command loads only its own.
if TYPE_CHECKING:
    from analyzer.diff import ReportDiff
    from analyzer.explain import Explanation
    from analyzer.history import Timeline
    from analyzer.verify import Verification

SourceLines = Callable[[SourceInfo, str], "list[str] | None"]

FORMATS = ("text", "json", "md", "rst", "csv", "sarif", "html")


def render(
    obj: Report | ReportDiff | Timeline | Explanation | Verification,
    fmt: str,
    color: bool = False,
    source_lines: SourceLines | None = None,
    source_url: str | None = None,
    show_all: bool = False,
    view: str = "changes",
    verbose: bool = False,
) -> str:
    """Render a report, diff, timeline, delivery table or verification in `fmt` as one string.

    `show_all`: a text diff lists unchanged sites too; `view`: a timeline's text, "changes" or "grid";
    `verbose`: a delivery table's text gives each cell's conditions.
    """
    if not isinstance(obj, Report):
        from analyzer.explain import Explanation

        if isinstance(obj, Explanation):
            return _render_delivery(obj, fmt, verbose)
        from analyzer.verify import Verification

        if isinstance(obj, Verification):
            return _render_delivery(obj, fmt, verbose)
    if fmt == "html":
        from analyzer.report.html import render_html

        return render_html(obj, source_lines, source_url)
    if fmt == "sarif":
        from analyzer.diff import ReportDiff

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

    if isinstance(obj, Report):
        return text.render_report(obj, color)
    from analyzer.diff import ReportDiff

    if isinstance(obj, ReportDiff):
        return text.render_diff(obj, color, show_all)
    if view == "changes":  # a timeline
        from analyzer.report.history_text import render_changes

        return render_changes(obj, color)
    return text.render_timeline(obj, color)


def _render_delivery(obj: Explanation | Verification, fmt: str, verbose: bool) -> str:
    from analyzer.explain import Explanation
    from analyzer.report import explain_text

    if fmt == "json":
        from analyzer.report import json as json_report

        return json_report.dumps(json_report.delivery_json(obj))
    if not isinstance(obj, Explanation):
        return explain_text.render_verification(obj, verbose)
    if fmt in ("md", "rst", "csv"):
        from analyzer.report.tables import render_explanation

        return render_explanation(obj, fmt)
    if fmt == "html":
        from analyzer.report.html import render_explanation_html

        return render_explanation_html(obj)
    return explain_text.render_explanation(obj, verbose)


def to_json(obj: Report | ReportDiff | Timeline | Explanation | Verification) -> dict[str, object]:
    """The JSON form of any result."""
    from analyzer.report import json as json_report

    if not isinstance(obj, Report):
        from analyzer.explain import Explanation

        if isinstance(obj, Explanation):
            return json_report.delivery_json(obj)
        from analyzer.verify import Verification

        if isinstance(obj, Verification):
            return json_report.delivery_json(obj)
    return json_report.to_json(obj)
