"""What the history page shows: releases as columns, one row per record, rows grouped by family."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzer import families
from analyzer.history import Timeline, row_events
from analyzer.report.html.facts import location_of
from analyzer.report.html.links import Links
from analyzer.report.html.views import anchor
from analyzer.vocab import Cell
from analyzer.words import cell, describe_source


@dataclass(frozen=True, slots=True)
class TimelineCell:
    """One release of one row: its state, a mark, a link to the place, and a tooltip."""

    state: str
    mark: str
    url: str | None
    tip: str


def timeline_view(timeline: Timeline, links: Links) -> dict[str, Any]:
    """Releases, then each family's rows with a cell per release."""
    releases = [(info.label, describe_source(info)) for info in timeline.releases]
    groups: dict[str, list[tuple[str, list[TimelineCell]]]] = {}
    from analyzer.report.history_text import change_words

    for row in timeline.rows:
        cells = []
        said = {event.release: change_words(event.change) for event in row_events(row)}
        for i, (state, record, info) in enumerate(zip(row.cells, row.records, timeline.releases, strict=True)):
            where = location_of(record) if record is not None else None
            tip = f"{info.label}: {state.word}" + (f" — {cell(where)}" if where else "")
            if i in said:  # what changed, in the diff's words (a removal shows on the absent cell)
                tip += f" — {said[i]}"
            cells.append(TimelineCell(state.word, state.symbol, links.url(info, where), tip))
        groups.setdefault(row.family, []).append((row.label, cells))
    return {
        "releases": releases,
        "groups": [(anchor(name), families.family(name).title, rows) for name, rows in groups.items()],
        "legend": [(state.word, state.symbol) for state in Cell],
    }
