"""PID 1's families: the signal table of systemd or another C init."""

from __future__ import annotations

import re

from analyzer.families.base import Family, Level
from analyzer.model import Disposal, Disposition
from analyzer.words import place


def _describe_disposition(row: Disposition) -> list[str]:
    what = {Disposal.HANDLER: row.handler, Disposal.BLOCKED: f"read in {row.handler}" if row.handler else "read back"}
    head = f"{row.signal:<12} {row.disposition.value:<8} {what.get(row.disposition) or '':<34}"
    where = f"{row.function}, {place(row.location)}, " if row.location and row.function else ""
    lines = [f"{head} ({where}{row.via})" if row.location else f"{head} (never set)"]
    if row.dispatch:
        lines.append(f"    dispatched: {row.dispatch}")
    if row.note:
        lines.append(f"    note: {row.note}")
    return lines


# "default: SIGRTMIN+0..+6: manager_start_target()": the range says which rows share the
# branch, not what it does; a row's action is compared without it.
_RANGE_LABEL = re.compile(r"^(default: )SIGRTMIN\+\d+\.\.\+\d+: ")


def _action(dispatch: str | None) -> str | None:
    return _RANGE_LABEL.sub(r"\1", dispatch) if dispatch else dispatch


DISPOSITIONS = Family(
    name="disposition",
    title="PID 1 signal table",
    record=Disposition,
    report_key="dispositions",
    compared=lambda d: {
        "disposition": d.disposition,
        "handler": d.handler,
        "dispatch": _action(d.dispatch),
        "function": d.function,
        "via": d.via,
        "path": d.location.path if d.location else None,
    },
    levels=(Level(lambda d: d.signal),),
    describe=_describe_disposition,
    name_of=lambda d: d.signal,
    per_release=lambda release: release.init.dispositions if release.init is not None else (),
    sorted_changes=False,  # rows keep the table's signal order
)
