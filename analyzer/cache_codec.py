"""What the result cache stores, as compact JSON: one file's results, or a whole report.

Records go through the one codec (analyzer.codec) that reports use too, per registered family.
A tuple of records that records hold (a delivery cell's reasons, a site's guards) is stored
once and referred to by number: a release's delivery table holds 25,000 reasons, about 150
distinct in 80 tuples, and a warm run decodes each once.
"""

from __future__ import annotations

import json
from typing import Any

from analyzer import codec, families
from analyzer.extract.unit import FileResult
from analyzer.model import FileStat, Occurrence, Report


class _Shared:
    """The tuples of records a text refers to by number, and the distinct records they hold."""

    def __init__(self, data: dict[str, list[Any]] | None = None) -> None:
        self.tuples: list[list[int]] = data["tuples"] if data else []  # record numbers
        self.records: list[dict[str, Any]] = data["records"] if data else []
        self._numbers: dict[Any, int] = {}  # writing: a tuple's or a record's number
        self._decoded: dict[tuple[type, str, int], Any] = {}  # reading: by class, table and number

    def number(self, values: tuple[Any, ...]) -> int:
        """The number of a tuple of records, storing it (and its new records) when new."""
        key = ("tuple", values)
        if key not in self._numbers:
            self._numbers[key] = len(self.tuples)
            self.tuples.append([self._record_number(record) for record in values])
        return self._numbers[key]

    def _record_number(self, record: Any) -> int:
        key = ("record", record)
        if key not in self._numbers:
            self._numbers[key] = len(self.records)
            self.records.append(codec.encode(record))
        return self._numbers[key]

    def values(self, cls: type, number: int) -> tuple[Any, ...]:
        """Tuple `number` decoded as records of `cls`, once."""
        key = (cls, "tuple", number)
        if key not in self._decoded:
            self._decoded[key] = tuple(self._record(cls, i) for i in self.tuples[number])
        result: tuple[Any, ...] = self._decoded[key]
        return result

    def _record(self, cls: type, number: int) -> Any:
        key = (cls, "record", number)
        if key not in self._decoded:
            self._decoded[key] = codec.decode(cls, self.records[number])
        return self._decoded[key]

    def to_json(self) -> dict[str, list[Any]]:
        return {"tuples": self.tuples, "records": self.records}


def _facts_to_json(facts: Any, shared: _Shared) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name, records in facts.items():
        rows = []
        for record in records:
            cls: Any = type(record)
            nested = codec.record_tuples(cls)
            row = codec.encode_without(record, frozenset(nested))
            rows.append(row | {field: shared.number(getattr(record, field)) for field in nested})
        out[name] = rows
    return out


def _facts_from_json(data: dict[str, Any], container: type = tuple) -> dict[str, Any]:
    """Records by family; a family no longer registered is dropped (its key would miss anyway)."""
    known = {f.name: f.record for f in families.families()}
    shared = _Shared(data["shared"])
    return {
        name: container(_record(known[name], row, shared) for row in rows)
        for name, rows in data["facts"].items()
        if name in known
    }


def _record(cls: type, row: dict[str, Any], shared: _Shared) -> Any:
    nested = codec.record_tuples(cls)
    if not nested:
        return codec.decode(cls, row)
    values = {field: shared.values(item, row[field]) for field, item in nested.items()}
    return codec.decode_given(cls, row | values, frozenset(nested))


def file_result_to_text(result: FileResult) -> str:
    """One file's extraction."""
    assert result.stat is not None
    shared = _Shared()
    return json.dumps(
        {
            "facts": _facts_to_json(result.facts, shared),
            "shared": shared.to_json(),
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
        facts=_facts_from_json(data, list),
        occurrences=[codec.decode(Occurrence, o) for o in data["occurrences"]],
        warnings=list(data["warnings"]),
        stat=codec.decode(FileStat, data["stat"]),
    )


def report_to_text(report: Report) -> str:
    """A whole report."""
    shared = _Shared()
    return json.dumps(
        {
            "source": codec.encode(report.source),
            "tracked": list(report.tracked),
            "facts": _facts_to_json(report.facts, shared),
            "shared": shared.to_json(),
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
    return codec.report_from(data, _facts_from_json(data))
