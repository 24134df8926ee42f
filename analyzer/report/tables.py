"""Doc tables of a scan or a diff: GitHub Markdown, reST list-tables for Sphinx, or one CSV file.

Every format renders the same `Table` values, built from the report model only:

- a scan gives the site table, for an init what its PID 1 table was computed from
  (`report.init`), then one table per fact family in `analyzer.factdiff.FAMILIES` that has
  facts (PID 1's signal table is one of them);
- a diff gives the site changes, then the fact changes of every family.

Fact tables are generic: their columns are the fact dataclass's fields, so a new family or a
new field shows up without touching this module. Values become text by type (`cell`): a
Location is `path:line`, a guard chain `if (a) < else of if (b)`, a hop `caller -> callee
(path:line)`, other tuples are joined with ", ". Every cell is one line: line breaks become
spaces, and control and bidirectional-override characters become U+FFFD, so no cell can
break a row or reorder what a reader sees. The repository path is never printed.

CSV can hold only one table, and RFC 4180 wants every record to have as many fields as the
header. So the CSV output is one table: the first column, `table`, names the table a row
comes from (`sites`, `init`, `mask`, `force`, `kill_path`, `disposition`; `changes`,
`fact_changes` for a diff), and the other columns are the union of all tables' columns in
order of first appearance, empty where a table has no such column. Columns share a name only
when they mean the same thing (`function`, `location`, `guards` ...), so one filter on `table`
gives back any table, and the whole file opens as one sheet or one DataFrame. CSV has no
title: the file carries rows only. A cell a spreadsheet would run as a formula (starting
with `=`, `+`, `-` or `@`) is prefixed with `'`, as OWASP advises against CSV injection;
programs wanting exact values should read the JSON report.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from analyzer.diff import ReportDiff, SiteChange
from analyzer.errors import UsageError
from analyzer.factdiff import FAMILIES, FactChange
from analyzer.history import Timeline
from analyzer.model import ConditionalSignal, Guard, Hop, Location, Report, Site
from analyzer.report.text import describe_source

FORMATS = ("md", "rst", "csv")
NO_ROWS = "None."


@dataclass(frozen=True, slots=True)
class Table:
    """One table: `name` for CSV's `table` column, `title` for headings, one-line text cells."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def render_table(obj: Report | ReportDiff | Timeline, fmt: str) -> str:
    """Render a report, diff or timeline as doc tables in `fmt` ("md", "rst" or "csv")."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise UsageError(f"unknown table format {fmt!r}", hint=f"choose one of {', '.join(FORMATS)}")
    return renderer(heading(obj), tables(obj))


def heading(obj: Report | ReportDiff | Timeline) -> str:
    """The document title: which tree, or which two trees, the tables describe."""
    if isinstance(obj, Timeline):
        releases = [info.label for info in obj.releases]
        return f"siganalyze history of {len(releases)} releases: {', '.join(releases)}"
    if isinstance(obj, ReportDiff):
        return f"siganalyze diff: {describe_source(obj.old)} -> {describe_source(obj.new)}"
    return f"siganalyze scan of {describe_source(obj.source)}"


def tables(obj: Report | ReportDiff | Timeline) -> tuple[Table, ...]:
    """The tables of a report, diff or timeline, in output order."""
    if isinstance(obj, Timeline):
        return (_timeline_table(obj),)
    if isinstance(obj, ReportDiff):
        return (_change_table(obj.changes), _fact_change_table(obj.fact_changes))
    # Families with no fact are left out, as in the text report: a kernel has no PID 1 table.
    families = [dataclass_table(f.name, f.title, facts) for f in FAMILIES if (facts := f.facts(obj))]
    return (_site_table(obj.sites), *_init_tables(obj), *families)


_TIMELINE_WORDS = {"": "absent"}  # a visible word in every format (a "-" reads as a formula in CSV)


def _timeline_table(timeline: Timeline) -> Table:
    """One row per site or fact, one column per release in version order."""
    columns = ("family", "row", *(info.label for info in timeline.releases))
    rows = tuple(
        (row.family, cell(row.label), *(_TIMELINE_WORDS.get(state, state) for state in row.cells))
        for row in timeline.rows
    )
    return Table("timeline", "Timeline", columns, rows)


# --- cells -------------------------------------------------------------------------------

_VALUE_TEXT: dict[type, Callable[[Any], str]] = {
    Location: lambda v: f"{v.path}:{v.line}",
    Guard: lambda v: f"if ({v.condition})" if v.branch == "then" else f"else of if ({v.condition})",
    Hop: lambda v: f"{v.caller} -> {v.callee} ({_text(v.location)})",
    ConditionalSignal: lambda v: f"{v.signal} ({v.condition})",
}
# A guard chain reads innermost first, as in the text report; other sequences are lists.
_JOINERS: dict[type, str] = {Guard: " < "}
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def cell(value: object) -> str:
    """One value as one line of text."""
    return _one_line(_text(value))


def brief(value: object) -> str:
    """One value as one line, a dash for nothing: the two sides of a change."""
    return cell(value) or "-"


def _text(value: object) -> str:
    """Readable text of a model value, by type; unknown dataclasses by their fields."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if (known := _VALUE_TEXT.get(type(value))) is not None:
        return known(value)
    if is_dataclass(value) and not isinstance(value, type):
        return f"{type(value).__name__}({describe(value, '=', ', ')})"
    if isinstance(value, (tuple, list, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        joiner = _JOINERS.get(type(items[0]), ", ") if items else ""
        return joiner.join(_text(item) for item in items)
    return str(value)


def describe(fact: Any, between: str = ": ", separator: str = "; ") -> str:
    """A dataclass as `field: value; ...`, empty fields left out."""
    pairs = ((f.name, _text(getattr(fact, f.name))) for f in fields(fact))
    return separator.join(f"{name}{between}{text}" for name, text in pairs if text)


def _one_line(text: str) -> str:
    """Join lines with a space; control and bidi-override characters become U+FFFD."""
    flat = " ".join(part.strip() for part in text.splitlines() if part.strip())
    return "".join(_visible(ch) for ch in flat)


def _visible(ch: str) -> str:
    if ch == "\t":
        return " "
    return "\ufffd" if ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc" else ch


# --- tables ------------------------------------------------------------------------------

_SITE_COLUMNS: dict[str, Callable[[Site], object]] = {
    "identifier": lambda s: s.ident,
    "kind": lambda s: s.kind,
    "function": lambda s: s.function,
    "location": lambda s: s.location,
    "statement": lambda s: s.normalized,
    "guards": lambda s: s.guards,
    "guarded": lambda s: s.guarded,
    "masked_with": lambda s: s.combined_with,
    "preproc": lambda s: s.preproc,
}
# Site fields shown above, or left to the JSON report on purpose: `text` repeats the statement
# with comments and line breaks, `value` is in a define's statement, the others are parser
# diagnostics. Any other field is appended as a column of its own.
_SITE_FIELDS_SHOWN = frozenset(
    {"ident", "kind", "function", "location", "normalized", "guards", "guarded", "combined_with", "preproc"}
    | {"text", "value", "attributed_by", "construct"}
)


def _site_table(sites: Sequence[Site]) -> Table:
    """One row per site: where it is, what it says, and the context it runs in."""
    extra = tuple(f.name for f in fields(Site) if f.name not in _SITE_FIELDS_SHOWN)
    rows = tuple(
        tuple(cell(get(site)) for get in _SITE_COLUMNS.values()) + tuple(cell(getattr(site, n)) for n in extra)
        for site in sites
    )
    return Table("sites", "Sites", (*_SITE_COLUMNS, *extra), rows)


def dataclass_table(name: str, title: str, items: Sequence[Any]) -> Table:
    """A table of dataclass instances, one column per field, in field order."""
    columns = tuple(dict.fromkeys(f.name for item in items for f in fields(item)))
    rows = tuple(tuple(cell(getattr(item, column, None)) for column in columns) for item in items)
    return Table(name, title, columns, rows)


def _init_tables(report: Report) -> list[Table]:
    """PID 1's table: one row saying what it was computed from; its rows unless a family shows them."""
    init = getattr(report, "init", None)
    if init is None or not is_dataclass(init) or isinstance(init, type):
        return []
    about = {f.name: getattr(init, f.name) for f in fields(init) if f.name != "dispositions"}
    title = f"PID 1 ({about['project']})" if about.get("project") else "PID 1"
    found = [Table("init", title, tuple(about), (tuple(map(cell, about.values())),))]
    dispositions = getattr(init, "dispositions", ())
    if dispositions and not any(dispositions is family.facts(report) for family in FAMILIES):
        found.append(dataclass_table("dispositions", "PID 1 signal table", dispositions))
    return found


_CHANGE_COLUMNS = (
    "status",
    "identifier",
    "kind",
    "old_function",
    "new_function",
    "old_location",
    "new_location",
    "old_statement",
    "new_statement",
    "differences",
)


def _change_table(changes: Iterable[SiteChange]) -> Table:
    """One row per site change, old and new side by side."""
    rows = tuple(
        tuple(
            cell(value)
            for value in (
                c.status,
                c.ident,
                c.kind,
                c.old and c.old.function,
                c.new and c.new.function,
                c.old and c.old.location,
                c.new and c.new.location,
                c.old and c.old.normalized,
                c.new and c.new.normalized,
                c.differences,
            )
        )
        for c in changes
    )
    return Table("changes", "Site changes", _CHANGE_COLUMNS, rows)


def _fact_change_table(changes: Iterable[FactChange]) -> Table:
    """One row per fact change; old and new facts described field by field."""
    rows = tuple(
        (c.family, cell(c.status), _one_line(_fact(c.old)), _one_line(_fact(c.new)), cell(c.differences))
        for c in changes
    )
    return Table("fact_changes", "Fact changes", ("family", "status", "old", "new", "differences"), rows)


def _fact(fact: object) -> str:
    return "" if fact is None else describe(fact)


# --- Markdown (GitHub / GitLab flavoured) ----------------------------------------------

# Backslash-escape what could start inline markup in a cell: code, emphasis, strikethrough,
# links, raw HTML and autolinks, math, entities, and the cell separator. `>` alone starts
# nothing inside a row, and an underscore between two letters or digits cannot emphasize, so
# `p->flags` and SIGNAL_UNKILLABLE stay readable in the source.
_MD_SPECIAL = re.compile(r"[\\`*~\[\]<|$]|&(?=#?\w+;)|_(?![^\W_])|(?<![^\W_])_")


def md_escape(text: str) -> str:
    """Text safe inside a GFM table cell or heading: literal, never markup."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(), text)


def _markdown(title: str, items: Sequence[Table]) -> str:
    """A `##` title, then a `###` heading and a pipe table per table."""
    parts = [f"## {md_escape(title)}"]
    for table in items:
        parts += [f"### {md_escape(table.title)}", _md_table(table) if table.rows else NO_ROWS]
    return "\n\n".join(parts) + "\n"


def _md_table(table: Table) -> str:
    header = _md_row(column.replace("_", " ") for column in table.columns)
    rule = _md_row("---" for _ in table.columns)
    return "\n".join([header, rule, *(_md_row(row) for row in table.rows)])


def _md_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(md_escape(text) for text in cells) + " |"


# --- reStructuredText (Sphinx) -----------------------------------------------------------

# Cells of words and commas only are left as they are; anything else is an inline literal.
_RST_PLAIN = re.compile(r"[^\W_]+(?:,? [^\W_]+)*")
# In a title, escape what could start inline markup (emphasis, literals, roles, references,
# substitutions); a leading punctuation mark could start a list or directive.
_RST_SPECIAL = re.compile(r"[\\*`_|]|^[^\w\s]")


def rst_cell(text: str) -> str:
    """Cell text as reST that renders exactly `text`: plain words, or an inline literal."""
    if not text or _RST_PLAIN.fullmatch(text):
        return text
    if "`" not in text:
        return f"``{text}``"
    # Inside an inline literal nothing can be escaped; in the literal role backslash can.
    escaped = text.replace("\\", "\\\\").replace("`", "\\`")
    return f":literal:`{escaped}`"


def rst_title(text: str, underline: str) -> str:
    """A section title with an underline at least as wide as the title."""
    # A title of punctuation only (`\\`, `--`) would read as a section adornment.
    plain = any(ch.isalnum() for ch in text)
    escaped = _RST_SPECIAL.sub(lambda m: "\\" + m.group(), text) if plain else rst_cell(text)
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in escaped)
    return f"{escaped}\n{underline * width}"


def _rst(title: str, items: Sequence[Table]) -> str:
    """A document title, then a section with a list-table per table."""
    parts = [rst_title(title, "=")]
    for table in items:
        parts += [rst_title(table.title, "-"), _rst_table(table) if table.rows else NO_ROWS]
    return "\n\n".join(parts) + "\n"


def _rst_table(table: Table) -> str:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in (tuple(column.replace("_", " ") for column in table.columns), *table.rows):
        for i, text in enumerate(row):
            bullet = "   * -" if i == 0 else "     -"
            lines.append(f"{bullet} {rst_cell(text)}".rstrip())
    return "\n".join(lines)


# --- CSV (RFC 4180) ----------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@")


def _csv(_title: str, items: Sequence[Table]) -> str:
    """One CSV: a `table` column naming each row's table, then the union of all columns."""
    columns = tuple(dict.fromkeys(column for table in items for column in table.columns))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("table", *columns))
    for table in items:
        for row in table.rows:
            values = dict(zip(table.columns, row, strict=True))
            writer.writerow((table.name, *(csv_safe(values.get(column, "")) for column in columns)))
    return out.getvalue()


def csv_safe(text: str) -> str:
    """Text a spreadsheet shows as text: a would-be formula gets a leading `'`."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


_RENDERERS: dict[str, Callable[[str, Sequence[Table]], str]] = {"md": _markdown, "rst": _rst, "csv": _csv}

__all__ = [
    "FORMATS",
    "Table",
    "cell",
    "csv_safe",
    "dataclass_table",
    "describe",
    "heading",
    "md_escape",
    "render_table",
    "rst_cell",
    "rst_title",
    "tables",
]
