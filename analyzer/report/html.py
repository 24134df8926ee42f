"""One self-contained HTML file: a scan, a diff with old and new code side by side, or a history grid.

The page is rendered from the report model by the Jinja2 templates in `reports/templates/`
(autoescape on: every piece of source text reaches the page as text, never as markup). It
carries its CSS inline, no script at all, and a Content-Security-Policy that forbids loading
anything, so it opens the same offline and a hostile string in a C file cannot run.

Facts are shown generically, like the doc tables: a fact family's rows are the fields of its
dataclass, turned into text by `tables.cell`, so a new family or field appears without
changes here. Sites get more: the statement in its file, a few lines around it, highlighted
by a small C tokenizer, with the tokens a diff changed marked. The lines come from an
optional `source_lines(info, path)` callable; without it (a report loaded from JSON whose
tree is gone) only the statement is shown. Places link to a web view when a URL template is
given (`--source-url`, or a preset name from `SOURCE_URL_PRESETS`).
"""

from __future__ import annotations

import difflib
import functools
import re
import string
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any
from urllib.parse import quote

import jinja2

from analyzer import __version__
from analyzer.diff import ReportDiff, SiteChange
from analyzer.errors import SiganalyzeError, UsageError
from analyzer.factdiff import FAMILIES, FactChange
from analyzer.history import Timeline
from analyzer.model import Location, Report, Site, SiteKind, SourceInfo, Status
from analyzer.report.tables import Table, cell, heading, tables
from analyzer.report.text import describe_source
from analyzer.resources import reports_dir
from analyzer.sources import Source

SOURCE_URL_PRESETS: dict[str, str] = {
    "elixir": "https://elixir.bootlin.com/linux/{ref}/source/{path}#L{line}",
    "cgit": "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/{path}?h={ref}#n{line}",
}
URL_FIELDS = ("project", "ref", "commit", "path", "line")
CONTEXT_LINES = 3  # shown above and below a statement
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

# Lines of one file of one tree, split on "\n" (so line numbers match the scan), or None.
SourceLines = Callable[[SourceInfo, str], "list[str] | None"]
Item = tuple[str, str | None, bool]  # text; its URL when it names a place; whether the other side lacks it
Token = tuple[str, str]  # CSS class ("" for none) and text


# --- public API ----------------------------------------------------------------------------


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
        view = _timeline_view(obj, links)
        return _render("history.html.j2", title="siganalyze history", h1="siganalyze history", view=view)
    files = _Files(source_lines, obj.tracked)
    if isinstance(obj, ReportDiff):
        return _render("diff.html.j2", title=heading(obj), h1="siganalyze diff", view=_diff_view(obj, files, links))
    return _render("report.html.j2", title=heading(obj), h1="siganalyze scan", view=_report_view(obj, files, links))


def source_url_template(spec: str) -> str:
    """The template `spec` names: a preset, or an http(s) URL whose only fields are URL_FIELDS."""
    template = SOURCE_URL_PRESETS.get(spec, spec)
    presets = ", ".join(SOURCE_URL_PRESETS)
    hint = f"a preset ({presets}) or e.g. 'https://example.org/{{project}}/{{ref}}/source/{{path}}#L{{line}}'"
    # Browsers drop tabs and newlines inside URLs ("java\tscript:"): refuse any control or space.
    if not template.lower().startswith(("http://", "https://")) or any(ch <= " " or ch == "\x7f" for ch in template):
        raise UsageError(f"--source-url {spec!r}: not an http(s) URL template", hint=hint)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UsageError(f"--source-url {spec!r}: {exc}", hint=hint) from None
    for _literal, name, format_spec, conversion in parsed:
        if name is not None and (name not in URL_FIELDS or format_spec or conversion):
            fields_hint = f"fields: {', '.join(URL_FIELDS)}"
            raise UsageError(f"--source-url {spec!r}: unknown field {{{name}}}", hint=fields_hint)
    host = template.split("/", 3)[2]
    if not host or "{" in host:
        raise UsageError(f"--source-url {spec!r}: the host must be written out, not a field", hint=hint)
    return template


def source_lines_from(sources: Iterable[Source] = ()) -> SourceLines:
    """A `source_lines` reading the trees just scanned, else a git report's commit again; None if unreadable."""
    opened: dict[SourceInfo, Source | None] = {source.info: source for source in sources}

    def lines(info: SourceInfo, path: str) -> list[str] | None:
        """The lines of `path` in the tree `info` describes, or None."""
        if info not in opened:
            opened[info] = _reopen(info)
        source = opened[info]
        if source is None:
            return None
        try:
            data = source.read(path)
        except SiganalyzeError:
            return None
        return [line.removesuffix("\r") for line in data.decode("utf-8", "replace").split("\n")]

    return lines


def _reopen(info: SourceInfo) -> Source | None:
    """The commit a saved report names, if its repository is still there; a directory may have changed."""
    if info.kind != "git" or not info.repo or not (info.commit or info.tree):
        return None
    from analyzer.sources.git import GitSource, open_repo

    try:
        return GitSource(open_repo(info.repo), info.commit or info.tree or "")
    except SiganalyzeError:
        return None


# --- templates -----------------------------------------------------------------------------


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


# --- links ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Links:
    """file:line URLs from a template; None when there is no template or a field has no value."""

    template: str | None
    project: str

    def url(self, info: SourceInfo, location: Location | None, line: int | None = None) -> str | None:
        """The URL of `location` (or another `line` of its file) in the tree `info` describes."""
        if self.template is None or location is None:
            return None
        values = {
            "project": quote(self.project, safe=""),
            "ref": quote(info.ref or info.commit or "", safe=""),
            "commit": quote(info.commit or "", safe=""),
            "path": quote(location.path, safe="/"),
            "line": str(line or location.line),
        }
        used = {name for _text, name, _spec, _conv in string.Formatter().parse(self.template) if name}
        if any(not values[name] for name in used):
            return None
        return self.template.format(**values)


def _project_of(obj: Report | ReportDiff | Timeline) -> str:
    """The {project} of a URL: the scan's, else kernel when the trees have a kernel release."""
    if isinstance(obj, Report):
        return obj.project
    infos = obj.releases if isinstance(obj, Timeline) else (obj.old, obj.new)
    return "kernel" if any(info.release for info in infos) else "init"


# --- C tokens ------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<c>/\*.*?(?:\*/|\Z)|//[^\n]*)
  | (?P<s>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)
  | (?P<p>^[ \t]*\#[ \t]*[A-Za-z_]\w*)
  | (?P<n>\.?\d(?:[eEpP][+-]|[\w.])*)
  | (?P<i>[A-Za-z_]\w*)
  | (?P<w>\s+)
  | (?P<o>.)
    """,
    re.S | re.M | re.X,
)
_KEYWORDS = frozenset(
    re.findall(
        r"\S+",
        "auto bool break case char const continue default do double else enum extern float for goto if inline int "
        "long register restrict return short signed sizeof static struct switch typedef typeof union unsigned void "
        "volatile while _Bool __always_inline __attribute__ __init __user",
    )
)
# Bidi overrides and marks, zero-width characters and C0/C1 controls but tab: shown by code point.
_HIDDEN = re.compile("([\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\x00-\x08\x0a-\x1f\x7f-\x9f])")


def c_tokens(code: str, tracked: Collection[str] = ()) -> list[Token]:
    """C source as (class, text) tokens: k keyword, t tracked name, c comment, s string, p preprocessor, n number."""
    found: list[Token] = []
    for match in _TOKEN.finditer(code):
        kind, text = match.lastgroup or "o", match.group()
        if kind == "i":
            kind = "t" if text in tracked else "k" if text in _KEYWORDS else ""
        found.append(("" if kind in ("w", "o") else kind, text))
    return found


def _visible(cls: str, text: str) -> list[Token]:
    """Split out invisible characters as `U+XXXX` tokens, so the code cannot hide or reorder what it says."""
    parts = _HIDDEN.split(text)
    return [("ctl", f"U+{ord(part):04X}") if i % 2 else (cls, part) for i, part in enumerate(parts) if part]


# --- code snippets -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeLine:
    """One displayed source line: number and link when known, tokens, part of the statement or context."""

    number: int | None
    url: str | None
    focus: bool
    tokens: tuple[Token, ...]


@dataclass(frozen=True, slots=True)
class CodePanel:
    """A site's code in one release, or a note saying it is not there."""

    release: str
    place: str
    url: str | None
    lines: tuple[CodeLine, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class _Snippet:
    """Tokens of the shown lines; `focus` is the statement's range of line offsets, both ends included."""

    first: int | None  # number of the first shown line; None when only the statement's text is known
    tokens: list[tuple[str, str, int]]  # class, text, line offset
    focus: tuple[int, int]
    size: int  # lines shown

    def focus_indexes(self) -> list[int]:
        """Indexes of the statement's tokens a reader compares: no spaces, no comments."""
        low, high = self.focus
        return [i for i, (cls, text, n) in enumerate(self.tokens) if low <= n <= high and text.strip() and cls != "c"]


@dataclass(frozen=True, slots=True)
class _SourceFile:
    """A file's lines and its tokens numbered by 0-based line, tokenized whole so a comment is never cut."""

    lines: list[str]
    tokens: list[tuple[str, str, int]]


class _Files:
    """`source_lines` read and tokenized once per tree and file."""

    def __init__(self, source_lines: SourceLines | None, tracked: Collection[str] = ()) -> None:
        self._read = source_lines
        self._tracked = tracked
        self._seen: dict[tuple[SourceInfo, str], _SourceFile | None] = {}

    def get(self, info: SourceInfo, path: str) -> _SourceFile | None:
        """The file, or None when no reader is given or it cannot read it."""
        if self._read is None:
            return None
        if (info, path) not in self._seen:
            lines = self._read(info, path)
            tokens = _with_lines(c_tokens("\n".join(lines), self._tracked)) if lines else []
            self._seen[(info, path)] = _SourceFile(lines, tokens) if lines else None
        return self._seen[(info, path)]


def _snippet(site: Site, source: _SourceFile | None, tracked: Collection[str]) -> _Snippet:
    """The statement with CONTEXT_LINES around it when the file is known, else the statement alone."""
    if source and 1 <= site.location.line <= len(source.lines):
        start, end = _statement_span(site, source.lines)
        low, high = max(1, start - CONTEXT_LINES), min(len(source.lines), end + CONTEXT_LINES)
        tokens = [(cls, text, line - low + 1) for cls, text, line in source.tokens if low <= line + 1 <= high]
        return _Snippet(low, tokens, (start - low, end - low), high - low + 1)
    text = site.text.replace("\r\n", "\n").strip("\n").split("\n") if site.text.strip() else [site.normalized]
    return _Snippet(None, _with_lines(c_tokens("\n".join(text), tracked)), (0, len(text) - 1), len(text))


def _statement_span(site: Site, lines: Sequence[str]) -> tuple[int, int]:
    """First and last line of the site's statement: where its first line's text sits, at or above the site."""
    text = site.text.strip().split("\n")
    first = text[0].strip()
    line = site.location.line
    for start in range(line, max(0, line - len(text)), -1):
        if first and first in lines[start - 1]:
            return start, min(len(lines), start + len(text) - 1)
    return line, line


def _with_lines(tokens: list[Token]) -> list[tuple[str, str, int]]:
    """Split tokens at line breaks and number each piece's line."""
    numbered, line = [], 0
    for cls, text in tokens:
        for i, part in enumerate(text.split("\n")):
            line += 1 if i else 0
            if part:
                numbered.append((cls, part, line))
    return numbered


def _changed(old: _Snippet, new: _Snippet) -> tuple[set[int], set[int]]:
    """Token indexes of the old and new statement that a token-level diff deletes and inserts."""
    a, b = old.focus_indexes(), new.focus_indexes()
    matcher = difflib.SequenceMatcher(
        None, [old.tokens[i][1] for i in a], [new.tokens[i][1] for i in b], autojunk=False
    )
    deleted, inserted = set(), set()
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            deleted.update(a[i1:i2])
            inserted.update(b[j1:j2])
    return deleted, inserted


def _panel(
    site: Site, snippet: _Snippet, info: SourceInfo, links: Links, marked: Collection[int] = (), mark: str = ""
) -> CodePanel:
    """A code panel: numbered, linked lines with the statement's lines and changed tokens marked."""
    rows: list[list[Token]] = [[] for _ in range(snippet.size)]
    for index, (cls, text, line) in enumerate(snippet.tokens):
        rows[line] += _visible(f"{cls} {mark}".strip() if index in marked else cls, text)
    lines = tuple(
        CodeLine(
            number=None if snippet.first is None else snippet.first + offset,
            url=None if snippet.first is None else links.url(info, site.location, snippet.first + offset),
            focus=snippet.focus[0] <= offset <= snippet.focus[1],
            tokens=tuple(row),
        )
        for offset, row in enumerate(rows)
    )
    return CodePanel(info.label, cell(site.location), links.url(info, site.location), lines)


def _absent(info: SourceInfo, words: str) -> CodePanel:
    """The side of a diff where the site does not exist."""
    return CodePanel(info.label, "", None, (), note=f"{words} {info.label}")


# --- generic facts -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field of a fact: its name, display items, and whether it differs from the other side."""

    name: str
    items: tuple[Item, ...]
    differs: bool = False


@dataclass(frozen=True, slots=True)
class Grid:
    """A table of items: a title, column names, rows of cells (each a tuple of items)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[Item, ...], ...], ...]


def _items(value: object, info: SourceInfo, links: Links) -> tuple[Item, ...]:
    """A field's value for display: one item per element of a sequence of placed facts (hops), else one."""
    if isinstance(value, tuple) and value and all(_location_of(v) for v in value):
        return tuple((cell(v), links.url(info, _location_of(v)), False) for v in value)
    text = cell(value)
    return ((text, links.url(info, value if isinstance(value, Location) else None), False),) if text else ()


def _mark_items(items: tuple[Item, ...], value: object, other: object) -> tuple[Item, ...]:
    """Mark the elements of a sequence field (hops) that the other side does not have, lines aside."""
    if len(items) < 2 or not isinstance(value, tuple) or not isinstance(other, tuple):
        return items
    theirs = {_sans_lines(v) for v in other}
    return tuple((text, url, _sans_lines(v) not in theirs) for (text, url, _), v in zip(items, value, strict=True))


def _location_of(value: object) -> Location | None:
    """The first Location inside a fact, looking into nested values (a kill path's first hop)."""
    if isinstance(value, Location):
        return value
    if isinstance(value, tuple):
        return next((found for v in value if (found := _location_of(v))), None)
    if is_dataclass(value) and not isinstance(value, type):
        return next((found for f in fields(value) if (found := _location_of(getattr(value, f.name)))), None)
    return None


def _sans_lines(value: object) -> object:
    """A value compared across releases: places reduced to their file, since lines always move."""
    if isinstance(value, Location):
        return value.path
    if isinstance(value, tuple):
        return tuple(_sans_lines(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return tuple(_sans_lines(getattr(value, f.name)) for f in fields(value))
    return value


def _field_names(*facts: object) -> list[str]:
    """Field names of the given dataclasses, in order of first appearance."""
    return list(dict.fromkeys(f.name for fact in facts if fact is not None for f in fields(fact)))  # type: ignore[arg-type]


def _fact_side(
    fact: object, other: object, info: SourceInfo, links: Links, skip: Collection[str] = ()
) -> tuple[FieldView, ...] | None:
    """A fact's non-empty fields but `skip`, each marked when it differs from `other`'s."""
    if fact is None:
        return None
    views = []
    for name in (n for n in _field_names(fact) if n not in skip):
        value = getattr(fact, name)
        theirs = getattr(other, name, None)
        differs = other is not None and _sans_lines(value) != _sans_lines(theirs)
        if items := _items(value, info, links):
            views.append(FieldView(name, _mark_items(items, value, theirs) if differs else items, differs))
    return tuple(views)


def _fact_grid(key: str, title: str, facts: Sequence[Any], info: SourceInfo, links: Links) -> Grid:
    """A table of facts, one column per field, in field order."""
    columns = _field_names(*facts)
    rows = tuple(tuple(_items(getattr(f, c, None), info, links) for c in columns) for f in facts)
    return Grid(key, title, tuple(columns), rows)


def _table_grid(table: Table) -> Grid:
    """A doc table (tables.py) as a grid of unlinked text."""
    rows = tuple(tuple(((text, None, False),) if text else () for text in row) for row in table.rows)
    return Grid(table.name, table.title, table.columns, rows)


def family_title(name: str) -> str:
    """The heading of a timeline or diff family: its FAMILIES title, "Sites", or the name itself."""
    if name == "site":
        return "Sites"
    return next((f.title for f in FAMILIES if f.name == name), name.replace("_", " ").capitalize())


# --- scan ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteCard:
    """One site, or one site change: status, headline, code panels, and the other facts about it."""

    status: str
    ident: str
    kind: str
    function: str
    panels: tuple[CodePanel, ...]
    fields: tuple[tuple[str, tuple[tuple[Item, ...], ...], bool], ...]  # name, value per side, differs
    differences: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    """Cards under a heading; unchanged ones are folded away."""

    key: str
    title: str
    note: str
    kinds: tuple[tuple[str, tuple[SiteCard, ...], tuple[SiteCard, ...]], ...]  # kind, shown, folded


# Site fields a card shows in its head or code, or leaves to the JSON as parser diagnostics.
_CARD_FIELDS_ELSEWHERE = frozenset(
    {"ident", "kind", "function", "location", "text", "normalized", "attributed_by", "construct"}
)


def _site_fields(
    sites: Sequence[Site | None], infos: Sequence[SourceInfo], links: Links
) -> tuple[tuple[str, tuple[tuple[Item, ...], ...], bool], ...]:
    """Every other Site field with a value on some side, with whether the sides differ."""
    rows = []
    for name in (n for n in _field_names(*sites) if n not in _CARD_FIELDS_ELSEWHERE):
        values = [getattr(s, name) if s else None for s in sites]
        cells = tuple(_items(v, info, links) for v, info in zip(values, infos, strict=True))
        if any(cells):
            differs = len(sites) == 2 and all(sites) and _sans_lines(values[0]) != _sans_lines(values[1])
            rows.append((name, cells, differs))
    return tuple(rows)


def _site_card(site: Site, info: SourceInfo, files: _Files, links: Links, tracked: Collection[str]) -> SiteCard:
    """A scan's site: its code in context and its other facts."""
    panel = _panel(site, _snippet(site, files.get(info, site.location.path), tracked), info, links)
    fields_ = _site_fields([site], [info], links)
    return SiteCard("", site.ident, site.kind.value, site.function or "(no function)", (panel,), fields_)


def _report_view(report: Report, files: _Files, links: Links) -> dict[str, Any]:
    """What report.html.j2 shows: counts, sites by name and kind, then every fact table."""
    groups = []
    for ident in report.tracked:
        sites = [s for s in report.sites if s.ident == ident]
        kinds = tuple(
            (kind.value, tuple(_site_card(s, report.source, files, links, report.tracked) for s in of_kind), ())
            for kind in SiteKind
            if (of_kind := [s for s in sites if s.kind is kind])
        )
        if kinds:
            groups.append(Group(_anchor(ident), ident, _sites(len(sites)), kinds))
    absent = [ident for ident in report.tracked if report.occurrence_count(ident) == 0]
    notes = [f"No occurrence anywhere in this tree: {', '.join(absent)}"] if absent else []
    family_names = {f.name for f in FAMILIES}
    grids = [
        _fact_grid(
            _anchor(t.title), t.title, next(f for f in FAMILIES if f.name == t.name).facts(report), report.source, links
        )
        if t.name in family_names
        else _table_grid(t)
        for t in tables(report)[1:]
    ]
    return {
        "source": describe_source(report.source),
        "summary": _scan_summary(report),
        "groups": groups,
        "grids": grids,
        "notes": notes,
        "warnings": report.warnings,
    }


def _scan_summary(report: Report) -> dict[str, Any]:
    """Sites per tracked name and kind, and occurrences found by text search."""
    kinds = [k.value for k in SiteKind]
    rows = []
    for ident in report.tracked:
        sites = [s for s in report.sites if s.ident == ident]
        by_kind = [sum(1 for s in sites if s.kind == kind) for kind in kinds]
        rows.append((ident, _anchor(ident) if sites else "", by_kind, len(sites), report.occurrence_count(ident)))
    facts = [(f.title, _anchor(f.title), len(found)) for f in FAMILIES if (found := f.facts(report))]
    return {"kinds": kinds, "rows": rows, "facts": facts}


def _sites(count: int) -> str:
    """`1 site`, `2 sites`."""
    return f"{count} site" if count == 1 else f"{count} sites"


def _anchor(text: str) -> str:
    """An id for a heading: letters, digits, dashes."""
    return "s-" + re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


# --- diff ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """Counts per status for one site kind or fact family (`key` as used in the JSON)."""

    key: str
    label: str
    counts: tuple[tuple[str, int], ...]
    total: int
    is_total: bool = False


@dataclass(frozen=True, slots=True)
class FactRow:
    """One fact change: status and each side's fields."""

    status: str
    label: str  # the fact's first field (signal, mask name, target), when both sides agree on it
    sides: tuple[tuple[FieldView, ...] | None, tuple[FieldView, ...] | None]


@dataclass(frozen=True, slots=True)
class FamilyView:
    """One fact family's changes: shown rows and folded unchanged ones."""

    key: str
    title: str
    counts: str
    shown: tuple[FactRow, ...]
    folded: tuple[FactRow, ...]


def _summary_row(key: str, label: str, statuses: Sequence[Status], is_total: bool = False) -> SummaryRow:
    """Count `statuses` per Status."""
    counts = tuple((s.value, sum(1 for x in statuses if x is s)) for s in Status)
    return SummaryRow(key, label, counts, len(statuses), is_total)


def _diff_summary(result: ReportDiff) -> tuple[SummaryRow, ...]:
    """Counts per site kind, all sites (the JSON's summary), then per fact family."""
    rows = [
        _summary_row(kind.value, kind.value, [c.status for c in result.changes if c.kind == kind])
        for kind in SiteKind
        if any(c.kind == kind for c in result.changes)
    ]
    rows.append(_summary_row("sites", "all sites", [c.status for c in result.changes], is_total=True))
    rows += [
        _summary_row(name, family_title(name), [c.status for c in result.fact_changes if c.family == name])
        for name in _families_in(result.fact_changes)
    ]
    return tuple(rows)


def _families_in(changes: Iterable[FactChange]) -> list[str]:
    """Family names present, FAMILIES order first, then any other in order of appearance."""
    present = list(dict.fromkeys(c.family for c in changes))
    known = [f.name for f in FAMILIES if f.name in present]
    return known + [name for name in present if name not in known]


def _change_card(change: SiteChange, result: ReportDiff, files: _Files, links: Links) -> SiteCard:
    """A site change: old and new code side by side, changed tokens marked, other facts compared."""
    old, new = change.old, change.new
    old_snip = _snippet(old, files.get(result.old, old.location.path), result.tracked) if old else None
    new_snip = _snippet(new, files.get(result.new, new.location.path), result.tracked) if new else None
    deleted, inserted = _changed(old_snip, new_snip) if old_snip and new_snip else (set(), set())
    old_panel = _panel(old, old_snip, result.old, links, deleted, "del") if old and old_snip else None
    new_panel = _panel(new, new_snip, result.new, links, inserted, "ins") if new and new_snip else None
    panels = (old_panel or _absent(result.old, "not in"), new_panel or _absent(result.new, "gone in"))
    functions = list(dict.fromkeys(s.function or "(no function)" for s in (old, new) if s))
    return SiteCard(
        change.status.value,
        change.ident,
        str(change.kind),
        " → ".join(functions),
        panels,
        _site_fields([old, new], [result.old, result.new], links),
        ", ".join(change.differences),
    )


def _diff_groups(result: ReportDiff, files: _Files, links: Links) -> list[Group]:
    """Site changes by tracked name, then kind; unchanged ones folded."""
    groups = []
    for ident in result.tracked:
        rows = [c for c in result.changes if c.ident == ident]
        if not rows:
            continue  # listed once among the notes instead
        kinds = []
        for kind in SiteKind:
            cards = [_change_card(c, result, files, links) for c in rows if c.kind == kind]
            if cards:
                shown = tuple(c for c in cards if c.status != Status.UNCHANGED)
                kinds.append((kind.value, shown, tuple(c for c in cards if c.status == Status.UNCHANGED)))
        note = f"{_sites(sum(1 for c in rows if c.old))} → {_sites(sum(1 for c in rows if c.new))}"
        if ident in result.absent_in_old:
            note += f"; no occurrence at all in {result.old.label}"
        if ident in result.absent_in_new:
            note += f"; no occurrence at all in {result.new.label}"
        groups.append(Group(_anchor(ident), ident, note, tuple(kinds)))
    return groups


def _fact_row(change: FactChange, result: ReportDiff, links: Links) -> FactRow:
    """A fact change; its first field becomes the row's label when both sides agree on it."""
    first = _field_names(change.new or change.old)[0]
    values = {cell(getattr(fact, first)) for fact in (change.old, change.new) if fact is not None}
    label, skip = (values.pop(), (first,)) if len(values) == 1 else ("", ())
    sides = (
        _fact_side(change.old, change.new, result.old, links, skip),
        _fact_side(change.new, change.old, result.new, links, skip),
    )
    return FactRow(change.status.value, label, sides)


def _family_views(result: ReportDiff, links: Links) -> list[FamilyView]:
    """Each family's fact changes, old and new fields side by side."""
    views = []
    for name in _families_in(result.fact_changes):
        rows = [_fact_row(c, result, links) for c in result.fact_changes if c.family == name]
        counts = ", ".join(f"{sum(1 for r in rows if r.status == s.value)} {s.value}" for s in Status)
        shown = tuple(r for r in rows if r.status != Status.UNCHANGED.value)
        folded = tuple(r for r in rows if r.status == Status.UNCHANGED.value)
        views.append(FamilyView("f-" + name, family_title(name), counts, shown, folded))
    return views


def _diff_view(result: ReportDiff, files: _Files, links: Links) -> dict[str, Any]:
    """What diff.html.j2 shows: summary, site changes with code, fact changes side by side."""
    untracked = [
        f"{ident}: not tracked in {info.label}, not compared"
        for info, names in ((result.old, result.untracked_in_old), (result.new, result.untracked_in_new))
        for ident in names
    ]
    if unseen := [i for i in result.tracked if not any(c.ident == i for c in result.changes)]:
        untracked.insert(0, f"No site in either tree: {', '.join(unseen)}")
    return {
        "old": describe_source(result.old),
        "new": describe_source(result.new),
        "old_label": result.old.label,
        "new_label": result.new.label,
        "statuses": [s.value for s in Status],
        "summary": _diff_summary(result),
        "groups": _diff_groups(result, files, links),
        "families": _family_views(result, links),
        "notes": untracked,
    }


# --- history -------------------------------------------------------------------------------

_MARKS = {"present": "●", "unchanged": "=", "changed": "~", "moved": "→", "added": "+", "": ""}


@dataclass(frozen=True, slots=True)
class TimelineCell:
    """One release of one row: its state, a mark, a link to the place, and a tooltip."""

    state: str
    mark: str
    url: str | None
    tip: str


def _timeline_view(timeline: Timeline, links: Links) -> dict[str, Any]:
    """What history.html.j2 shows: releases as columns, rows grouped by family."""
    releases = [(info.label, describe_source(info)) for info in timeline.releases]
    groups: dict[str, list[tuple[str, list[TimelineCell]]]] = {}
    for row in timeline.rows:
        cells = [
            TimelineCell(
                state or "absent",
                _MARKS.get(state, "?"),
                links.url(info, _location_of(fact)) if fact is not None else None,
                f"{info.label}: {state or 'absent'}" + (f" — {cell(_location_of(fact))}" if _location_of(fact) else ""),
            )
            for state, fact, info in zip(row.cells, row.facts, timeline.releases, strict=True)
        ]
        groups.setdefault(row.family, []).append((row.label, cells))
    return {
        "releases": releases,
        "groups": [(_anchor(name), family_title(name), rows) for name, rows in groups.items()],
        "legend": [(state or "absent", mark) for state, mark in _MARKS.items()],
    }


__all__ = [
    "CSP",
    "SOURCE_URL_PRESETS",
    "URL_FIELDS",
    "Links",
    "SourceLines",
    "c_tokens",
    "family_title",
    "render_html",
    "source_lines_from",
    "source_url_template",
]
