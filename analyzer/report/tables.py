"""Doc tables of a scan or a diff: GitHub Markdown, reST list-tables for Sphinx, or one CSV file.

Every format renders the same `Table` values, built from the report model only:

- a scan gives, for an init, what its PID 1 table was computed from (`report.init`), and one
  table per registered fact family that has records (sites first);
- a diff gives a change table per family that declares change columns (sites), then one
  table of the changes of every other family.

Tables are generic: a family's columns are the ones it declares, else its dataclass's
fields, so a new family or a new field shows up without touching this module. Values become
one line of text by type (`analyzer.words.cell`). The repository path is never printed.

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
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from analyzer import families
from analyzer.diff import ReportDiff
from analyzer.errors import UsageError
from analyzer.explain import Explanation
from analyzer.families import Change, Family
from analyzer.history import Timeline
from analyzer.model import Report
from analyzer.vocab import Target
from analyzer.words import brief, cell, describe, describe_source, one_line

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


def render_tables(title: str, items: Sequence[Table], fmt: str) -> str:
    """Render tables built elsewhere (the log's) in `fmt` ("md", "rst" or "csv")."""
    if fmt not in _RENDERERS:
        raise UsageError(f"unknown table format {fmt!r}", hint=f"choose one of {', '.join(FORMATS)}")
    return _RENDERERS[fmt](title, items)


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
        return (_timeline_table(obj), _timeline_changes_table(obj))
    if isinstance(obj, ReportDiff):
        with_columns = [f for f in families.shown() if f.change_columns is not None]
        # The first such family's table keeps the name "changes"; later ones are named by their key.
        own = [
            _change_table(f, obj.of(f.name), "changes" if i == 0 else f"{f.report_key}_changes")
            for i, f in enumerate(with_columns)
        ]
        shared = [c for f in families.shown() if f.change_columns is None for c in obj.of(f.name)]
        return (*own, _fact_change_table(shared))
    # A family with no record is left out, as in the text report (a kernel has no PID 1 table),
    # except one about the tracked names when names were tracked: "None." answers the question.
    about_names = [family_table(f, obj.of(f.name)) for f in families.shown() if f.subject and obj.tracked]
    others = [
        family_table(f, records)
        for f in families.shown()
        if not f.subject and not f.summarize and (records := obj.of(f.name))
    ]
    return (*about_names, *init_tables(obj), *others)


def _timeline_table(timeline: Timeline) -> Table:
    """One row per record, one column per release in version order."""
    columns = ("family", "row", *(info.label for info in timeline.releases))
    rows = tuple((row.family, cell(row.label), *(state.word for state in row.cells)) for row in timeline.rows)
    return Table("timeline", "Timeline", columns, rows)


def _timeline_changes_table(timeline: Timeline) -> Table:
    """One row per event: which row, in which release, what happened and what changed to what."""
    from analyzer.history import row_events
    from analyzer.report.history_text import change_words, groups

    rows = tuple(
        (heading, cell(row.label), timeline.releases[event.release].label, event.change.status.value,
         cell(change_words(event.change)))
        for heading, members in groups(timeline)
        for row in members
        for event in row_events(row)
    )  # fmt: skip
    return Table("history_changes", "Changes", ("subject", "row", "release", "status", "change"), rows)


def family_table(family: Family, records: Sequence[Any]) -> Table:
    """One row per record: the family's columns, else one per dataclass field."""
    if family.columns is None:
        return dataclass_table(family.name, family.title, records)
    rows = tuple(tuple(cell(get(r)) for get in family.columns.values()) for r in records)
    return Table(family.report_key, family.title, tuple(family.columns), rows)


def dataclass_table(name: str, title: str, items: Sequence[Any]) -> Table:
    """A table of dataclass instances, one column per field, in field order."""
    columns = tuple(dict.fromkeys(f.name for item in items for f in fields(item)))
    rows = tuple(tuple(cell(getattr(item, column, None)) for column in columns) for item in items)
    return Table(name, title, columns, rows)


def init_tables(report: Report) -> list[Table]:
    """PID 1's scope: one row saying what its signal table was computed from."""
    if report.init is None:
        return []
    about = {f.name: _few(getattr(report.init, f.name)) for f in fields(report.init)}
    return [Table("init", f"PID 1 ({report.init.project.value})", tuple(about), (tuple(map(cell, about.values())),))]


def _few(value: object, most: int = 6) -> object:
    """A long list (47 files left out of PID 1's scope) as its first items and a count: the JSON has all."""
    if isinstance(value, tuple) and len(value) > most:
        return (*value[:most], f"and {len(value) - most} more (see the JSON report)")
    return value


def _change_table(family: Family, changes: Iterable[Change], name: str) -> Table:
    """One row per change, the family's shared columns once and its paired ones old and new."""
    assert family.change_columns is not None
    shared, paired = family.change_columns
    columns = (
        "status",
        *shared,
        *(f"{side}_{name}" for name in paired for side in ("old", "new")),
        "differences",
    )
    rows = tuple(
        (
            cell(c.status),
            *(cell(get(c.latest)) for get in shared.values()),
            *(cell(get(side)) if side is not None else "" for get in paired.values() for side in (c.old, c.new)),
            cell(c.differences),
        )
        for c in changes
    )
    return Table(name, f"{family.noun.capitalize()} changes", columns, rows)


def _fact_change_table(changes: Iterable[Change]) -> Table:
    """One row per change of any other family; old and new records described field by field."""
    rows = tuple(
        (c.family, cell(c.status), one_line(_record(c.old)), one_line(_record(c.new)), cell(c.differences))
        for c in changes
    )
    return Table("fact_changes", "Fact changes", ("family", "status", "old", "new", "differences"), rows)


def _record(record: object) -> str:
    return "" if record is None else describe(record)


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
    "brief",
    "cell",
    "csv_safe",
    "dataclass_table",
    "describe",
    "family_table",
    "heading",
    "md_escape",
    "render_table",
    "render_tables",
    "rst_cell",
    "rst_title",
    "tables",
]


def render_explanation(explanation: Explanation, fmt: str) -> str:
    """explain's table as doc tables: one per target, a row per cell (DELIVERY.md's words as heads)."""
    columns: tuple[str, ...] = ("sender", "disposition", "signal", "outcome", "unknown")
    if explanation.init is not None:
        columns += ("init",)
    items = []
    for target in Target:
        cells = [c for c in explanation.cells if c.target is target]
        if cells:
            rows = tuple(
                tuple(
                    cell(v)
                    for v in (c.sender.value, c.disposition.value, c.signal, c.outcome.value, c.unknown or "", c.init)[
                        : len(columns)
                    ]
                )
                for c in cells
            )
            items.append(Table(target.value.replace("-", "_"), target.value, columns, rows))
    return render_tables(f"siganalyze explain: {explanation.title()}", items, fmt)
