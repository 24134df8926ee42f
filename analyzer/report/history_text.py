"""History as changes, readable at 25 to 200 releases: per tracked name, each row and what happened to it.

Each row (a site or fact followed across releases) reads: what it is now (or was last),
the releases it is in, then one line per event — the release where it was added, changed,
moved or removed, and, for a change, what changed to what, in the words `diff` uses.
Rows about a tracked name are grouped under that name; other families under their title.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from analyzer import families
from analyzer.families import Change, change_lines
from analyzer.history import Timeline, TimelineRow, row_events
from analyzer.model import SourceInfo, Status
from analyzer.words import counted

_STATUS_COLOUR = {Status.ADDED: "32", Status.REMOVED: "31", Status.CHANGED: "33", Status.MOVED: "36"}
_SIGN_COLOUR = {"-": "31", "+": "32"}


def _styler(color: bool) -> Callable[[str, str], str]:
    if color:
        return lambda text, code: f"\x1b[{code}m{text}\x1b[0m"
    return lambda text, _code: text


def groups(timeline: Timeline) -> list[tuple[str, list[TimelineRow]]]:
    """Rows under headings: one per tracked name (in tracked order), then one per other family."""
    tracked: list[str] = []
    grouped: dict[str, list[TimelineRow]] = {}
    for row in timeline.rows:
        family = families.family(row.family)
        latest = next(r for r in reversed(row.records) if r is not None)
        heading = family.subject(latest) if family.subject is not None else family.title
        if family.subject is not None and heading not in tracked:
            tracked.append(heading)
        grouped.setdefault(heading, []).append(row)
    return list(grouped.items())


def span(row: TimelineRow, releases: Sequence[SourceInfo]) -> str:
    """The releases a row is in: `v2.6.26 to v2.6.35`, `in all 25 releases`, `v2.6.26 only`."""
    present = [i for i, record in enumerate(row.records) if record is not None]
    first, last = present[0], present[-1]
    if first == 0 and last == len(releases) - 1:
        return f"in all {counted(len(releases), 'release')}"
    if first == last:
        return f"{releases[first].label} only"
    gaps = len(present) != last - first + 1
    return f"{releases[first].label} to {releases[last].label}" + (", with gaps" if gaps else "")


def render_changes(timeline: Timeline, color: bool = False) -> str:
    """The change view: per group, each row's span and its events with what changed."""
    style = _styler(color)
    releases = timeline.releases
    labels = [info.label for info in releases]
    lines = [style(f"History of {counted(len(releases), 'release')}, in version order", "1")]
    lines += _wrap(labels, "  ")
    quiet = 0
    for heading, rows in groups(timeline):
        lines += ["", style(heading, "1")]
        family = families.family(rows[0].family)
        if family.summarize is not None:  # a table of many cells: rows that read alike are said once
            lines += _merged(rows, releases, style)
            continue
        for row in rows:
            events = row_events(row)
            label = row.label[len(heading) + 1 :] if row.label.startswith(f"{heading} ") else row.label
            lines.append(f"  {label}")
            lines.append(f"      {span(row, releases)}")
            if not events:
                quiet += 1
            for event in events:
                change = event.change
                status = style(f"{change.status.value:<8}", _STATUS_COLOUR[change.status])
                lines.append(f"      {labels[event.release]:<12} {status} {_words(change)}")
    lines += ["", f"{counted(quiet, 'row')} without an event: present and unchanged in every release shown"]
    return "\n".join(lines) + "\n"


def _merged(rows: Sequence[TimelineRow], releases: Sequence[SourceInfo], style: Callable[[str, str], str]) -> list[str]:
    """Rows whose span and events read the same but for the record's name, said once with every name."""
    labels = [info.label for info in releases]
    merged: dict[tuple[str, tuple[tuple[int, Status, str], ...]], list[str]] = {}
    for row in rows:
        family = families.family(row.family)
        name = family.name_of(next(r for r in reversed(row.records) if r is not None))
        events = tuple(
            (e.release, e.change.status, change_lines(family, e.change)[0][1].replace(name, "{}", 1))
            for e in row_events(row)
        )
        merged.setdefault((span(row, releases), events), []).append(name)
    lines = []
    for (where, events), names in merged.items():
        joined = ", ".join(names) if len(names) <= 8 else f"{', '.join(names[:3])} … {names[-1]} ({len(names)})"
        for release, status, head in events:
            coloured = style(f"{status.value:<8}", _STATUS_COLOUR[status])
            lines.append(f"  {labels[release]:<12} {coloured} {' '.join(head.format(joined).split())}")
        lines.append(f"      {where}")
    return lines


def _words(change: Change) -> str:
    """What changed, in one line: the differing fields old -> new, or the record added or removed."""
    family = families.family(change.family)
    (_, head), *body = change_lines(family, change)
    if change.status in (Status.CHANGED, Status.MOVED):
        # a statement family's unsigned lines are context (the statement as it stands); others' say what changed
        said = _pairs([(sign, text) for sign, text in body if sign or not family.code])
        return "; ".join([" ".join(head.split()).rstrip(":"), *said])
    return " ".join(head.split()).rstrip(":")


def _pairs(body: list[tuple[str, str]]) -> list[str]:
    """Body lines as `old -> new` where a `-` line is followed by its `+` line."""
    out: list[str] = []
    i = 0
    while i < len(body):
        sign, text = body[i]
        if sign == "-" and i + 1 < len(body) and body[i + 1][0] == "+":
            out.append(f"{text} -> {body[i + 1][1]}")
            i += 2
            continue
        out.append(f"{sign} {text}".strip() if sign else text)
        i += 1
    return out


def change_words(change: Change) -> str:
    """A change in one line, for tooltips and tables."""
    return _words(change)


def _wrap(words: list[str], indent: str, width: int = 100) -> list[str]:
    lines, current = [], indent
    for word in words:
        if len(current) + len(word) + 1 > width and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += word + " "
    if current.strip():
        lines.append(current.rstrip())
    return lines
