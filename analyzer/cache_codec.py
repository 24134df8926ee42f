"""What the result cache stores, as compact JSON: one file's results, or a whole report.

Records go through the one codec (analyzer.codec) that reports use too, per registered family.
"""

from __future__ import annotations

import json
from typing import Any

from analyzer import codec, families
from analyzer.extract.unit import FileResult
from analyzer.model import FileStat, Occurrence, Report


def _facts_to_json(facts: Any) -> dict[str, list[dict[str, Any]]]:
    return {name: [codec.encode(record) for record in records] for name, records in facts.items()}


def _facts_from_json(data: dict[str, list[dict[str, Any]]], container: type = tuple) -> dict[str, Any]:
    """Records by family; a family no longer registered is dropped (its key would miss anyway)."""
    known = {f.name: f.record for f in families.families()}
    return {name: container(codec.decode(known[name], r) for r in rows) for name, rows in data.items() if name in known}


def file_result_to_text(result: FileResult) -> str:
    """One file's extraction."""
    assert result.stat is not None
    return json.dumps(
        {
            "facts": _facts_to_json(result.facts),
            "occurrences": [codec.encode(o) for o in result.occurrences],
            "warnings": result.warnings,
            "stat": codec.encode(result.stat),
        },
        separators=(",", ":"),
    )


def file_result_from_text(text: str) -> FileResult:
    """Rebuild a cached extraction."""
    data = json.loads(text)
    return FileResult(
        facts=_facts_from_json(data["facts"], list),
        occurrences=[codec.decode(Occurrence, o) for o in data["occurrences"]],
        warnings=list(data["warnings"]),
        stat=codec.decode(FileStat, data["stat"]),
    )


def report_to_text(report: Report) -> str:
    """A whole report."""
    return json.dumps(
        {
            "source": codec.encode(report.source),
            "tracked": list(report.tracked),
            "facts": _facts_to_json(report.facts),
            "files": [codec.encode(f) for f in report.files],
            "occurrences": [codec.encode(o) for o in report.occurrences],
            "tool_version": report.tool_version,
            "warnings": list(report.warnings),
            "project": report.project.value,
            "init": codec.encode(report.init) if report.init else None,
        },
        separators=(",", ":"),
    )


def report_from_text(text: str) -> Report:
    """Rebuild a cached report."""
    data = json.loads(text)
    return codec.report_from(data, _facts_from_json(data["facts"]))
