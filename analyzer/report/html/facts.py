"""Any record in a page: its fields as display items, linked where they name a place, marked where they differ."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from analyzer.model import Location, SourceInfo
from analyzer.report.html.links import Links
from analyzer.report.tables import Table
from analyzer.words import cell

Item = tuple[str, str | None, bool]  # text; its URL when it names a place; whether the other side lacks it


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


def display_items(value: object, info: SourceInfo, links: Links) -> tuple[Item, ...]:
    """A field's value for display: one item per element of a sequence of placed facts (hops), else one."""
    if isinstance(value, tuple) and value and all(location_of(v) for v in value):
        return tuple((cell(v), links.url(info, location_of(v)), False) for v in value)
    text = cell(value)
    return ((text, links.url(info, value if isinstance(value, Location) else None), False),) if text else ()


def _mark_items(items: tuple[Item, ...], value: object, other: object) -> tuple[Item, ...]:
    """Mark the elements of a sequence field (hops) that the other side does not have, lines aside."""
    if len(items) < 2 or not isinstance(value, tuple) or not isinstance(other, tuple):
        return items
    theirs = {sans_lines(v) for v in other}
    return tuple((text, url, sans_lines(v) not in theirs) for (text, url, _), v in zip(items, value, strict=True))


def location_of(value: object) -> Location | None:
    """The first Location inside a fact, looking into nested values (a kill path's first hop)."""
    if isinstance(value, Location):
        return value
    if isinstance(value, tuple):
        return next((found for v in value if (found := location_of(v))), None)
    if is_dataclass(value) and not isinstance(value, type):
        return next((found for f in fields(value) if (found := location_of(getattr(value, f.name)))), None)
    return None


def sans_lines(value: object) -> object:
    """A value compared across releases: places reduced to their file, since lines always move."""
    if isinstance(value, Location):
        return value.path
    if isinstance(value, tuple):
        return tuple(sans_lines(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return tuple(sans_lines(getattr(value, f.name)) for f in fields(value))
    return value


def field_names(*facts: object) -> list[str]:
    """Field names of the given dataclasses, in order of first appearance."""
    return list(dict.fromkeys(f.name for fact in facts if fact is not None for f in fields(fact)))  # type: ignore[arg-type]


def fact_side(
    fact: object, other: object, info: SourceInfo, links: Links, skip: Collection[str] = ()
) -> tuple[FieldView, ...] | None:
    """A fact's non-empty fields but `skip`, each marked when it differs from `other`'s."""
    if fact is None:
        return None
    views = []
    for name in (n for n in field_names(fact) if n not in skip):
        value = getattr(fact, name)
        theirs = getattr(other, name, None)
        differs = other is not None and sans_lines(value) != sans_lines(theirs)
        if shown := display_items(value, info, links):
            views.append(FieldView(name, _mark_items(shown, value, theirs) if differs else shown, differs))
    return tuple(views)


def fact_grid(key: str, title: str, facts: Sequence[Any], info: SourceInfo, links: Links) -> Grid:
    """A table of facts, one column per field, in field order."""
    columns = field_names(*facts)
    rows = tuple(tuple(display_items(getattr(f, c, None), info, links) for c in columns) for f in facts)
    return Grid(key, title, tuple(columns), rows)


def table_grid(table: Table) -> Grid:
    """A doc table (tables.py) as a grid of unlinked text."""
    rows = tuple(tuple(((text, None, False),) if text else () for text in row) for row in table.rows)
    return Grid(table.name, table.title, table.columns, rows)
