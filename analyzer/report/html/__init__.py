"""One self-contained HTML file: a scan, a diff with old and new code side by side, a history grid, or a log.

The page is rendered from the report model by the Jinja2 templates in `reports/templates/`
(autoescape on: every piece of source text reaches the page as text, never as markup). It
carries its CSS inline, no script at all, and a Content-Security-Policy that forbids loading
anything, so it opens the same offline and a hostile string in a C file cannot run.

Records are shown generically, like the doc tables: a family's rows are the fields of its
dataclass, turned into text by `words.cell`, so a new family or field appears without
changes here. Families of statements (sites) get more: the statement in its file, a few lines around it, highlighted
by a small C tokenizer, with the tokens a diff changed marked. The lines come from an
optional `source_lines(info, path)` callable the caller passes (renderers never open a
repository); without it (a report loaded from JSON whose tree is gone) only the statement
is shown. Places link to a web view when a URL template is
given (`--source-url`, or a preset name from `SOURCE_URL_PRESETS`).
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from analyzer import __version__
from analyzer.diff import ReportDiff
from analyzer.explain import Explanation
from analyzer.history import Timeline
from analyzer.model import Report
from analyzer.report.html.code import CONTEXT_LINES, Files, SourceLines, c_tokens
from analyzer.report.html.links import SOURCE_URL_PRESETS, URL_FIELDS, Links, source_url_template
from analyzer.report.html.timeline import timeline_view
from analyzer.report.html.views import diff_view, report_view
from analyzer.report.tables import heading
from analyzer.resources import reports_dir

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def render_html(
    obj: Report | ReportDiff | Timeline,
    source_lines: SourceLines | None = None,
    source_url: str | None = None,
    project: str | None = None,
) -> str:
    """Render a scan, a diff or a timeline as one HTML page.

    `source_url` is a preset name or a template (see `source_url_template`); `project` fills
    its {project} field and defaults to the scan's project, else a guess from the trees.
    """
    links = Links(source_url_template(source_url) if source_url else None, project or _project_of(obj))
    if isinstance(obj, Timeline):
        view = timeline_view(obj, links)
        return _render("history.html.j2", title="siganalyze history", h1="siganalyze history", view=view)
    files = Files(source_lines, obj.tracked)
    if isinstance(obj, ReportDiff):
        return _render("diff.html.j2", title=heading(obj), h1="siganalyze diff", view=diff_view(obj, files, links))
    return _render("report.html.j2", title=heading(obj), h1="siganalyze scan", view=report_view(obj, files, links))


def render_explanation_html(explanation: Explanation) -> str:
    """explain's table as one page: a table per target and sender, each cell opening to its reasons."""
    from analyzer.report.html.delivery import explanation_view

    view = explanation_view(explanation)
    return _render("explain.html.j2", title=explanation.title(), h1="siganalyze explain", view=view)


def _project_of(obj: Report | ReportDiff | Timeline) -> str:
    """The {project} of a URL: the scan's, else kernel when the trees have a kernel release."""
    if isinstance(obj, Report):
        return obj.project.value
    infos = obj.releases if isinstance(obj, Timeline) else (obj.old, obj.new)
    return "kernel" if any(info.release for info in infos) else "init"


@functools.cache
def _environment() -> jinja2.Environment:
    """Jinja2 over reports/templates, escaping everything, failing on undefined names."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(reports_dir() / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["zip"] = lambda a, b: zip(a, b, strict=True)
    return environment


def _render(template: str, **context: Any) -> str:
    """Render `template` with the stylesheet inlined."""
    css = (reports_dir() / "templates" / "style.css").read_text(encoding="utf-8")
    if "</" in css:  # it goes inside <style> unescaped (`| safe` in base.html.j2)
        raise ValueError("reports/templates/style.css must not contain '</'")
    return _environment().get_template(template).render(css=css, csp=CSP, version=__version__, **context)


render_page = _render  # for the pages rendered by the package's other modules (the log's)


__all__ = [
    "CONTEXT_LINES",
    "CSP",
    "SOURCE_URL_PRESETS",
    "URL_FIELDS",
    "Links",
    "SourceLines",
    "c_tokens",
    "render_explanation_html",
    "render_html",
    "render_page",
    "source_url_template",
]
