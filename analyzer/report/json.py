"""Reports to and from JSON: versioned, validated against reports/*.schema.json, written atomically."""

from __future__ import annotations

import functools
import json
import os
import stat
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import jsonschema_rs

from analyzer import __version__, resources
from analyzer.diff import ReportDiff, SiteChange, Status
from analyzer.errors import ReportError
from analyzer.extract.kernel import FileResult
from analyzer.factdiff import FAMILIES, Fact, FactChange
from analyzer.history import Timeline
from analyzer.model import (
    Accounting,
    ConditionalSignal,
    Disposition,
    FileStat,
    ForceAssignment,
    Guard,
    Hop,
    InitTable,
    KillPath,
    Location,
    Occurrence,
    Report,
    SignalMask,
    Site,
    SiteKind,
    SourceInfo,
)

REPORT_SCHEMA = "siganalyze/report"
DIFF_SCHEMA = "siganalyze/diff"
HISTORY_SCHEMA = "siganalyze/history"
# Bump for any change a reader of old reports would notice, and say why here.
# 1: sites (kind, location, function, construct, text, guards, guarded, masks, preproc),
#    per-file parse stats, and the accounting of every textual occurrence.
# 2: site kind "call"; signal classes (masks), force decision and kill path in reports and
#    diffs; accounting category "binary"; diffs list names only one side tracked.
#    PID 1's signal table (`project`, `init`) for systemd and other inits; files[].timed_out.
#    Version-1 files are refused with a hint to re-run the scan: their absent sections
#    would read as facts that vanished.
SCHEMA_VERSION = 2
_SCHEMA_FILES = {
    REPORT_SCHEMA: "report.schema.json",
    DIFF_SCHEMA: "diff.schema.json",
    HISTORY_SCHEMA: "history.schema.json",
}


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    """Our JSON Schemas by schema name."""
    return {
        name: json.loads((resources.reports_dir() / file).read_text(encoding="utf-8"))
        for name, file in _SCHEMA_FILES.items()
    }


@functools.cache
def _fast_validator(schema_name: str) -> Any:
    """jsonschema-rs: validates a 40,000-site report in 0.04 s where jsonschema takes 9 s."""
    schemas = _schemas()
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas.values()])
    return jsonschema_rs.validator_for(schemas[schema_name], registry=registry)


@functools.cache
def _validator(schema_name: str) -> Any:
    """jsonschema, run only on invalid data: it names the failing JSON path the way users read it."""
    import jsonschema  # imported here: 50 ms of start-up that valid data never needs
    import referencing

    schemas = _schemas()
    registry: referencing.Registry = referencing.Registry().with_resources(
        (schema["$id"], referencing.Resource.from_contents(schema)) for schema in schemas.values()
    )
    return jsonschema.Draft202012Validator(schemas[schema_name], registry=registry)


def validate(data: dict[str, Any], origin: str) -> None:
    """Check schema name, then version, then the JSON Schema; raise ReportError naming the JSON path."""
    name = data.get("schema") if isinstance(data, dict) else None
    if name not in _SCHEMA_FILES:
        raise ReportError(f"{origin}: $.schema: not a siganalyze report (schema {name!r})")
    version = data.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise ReportError(
            f"{origin}: $.schema_version: {version!r}, this siganalyze reads {SCHEMA_VERSION}",
            hint="re-run the scan with this version of siganalyze",
        )
    if _fast_validator(name).is_valid(data):
        _check_consistency(data, origin)
        return
    errors = sorted(_validator(name).iter_errors(data), key=lambda e: e.json_path)
    if errors:
        raise ReportError(f"{origin}: {errors[0].json_path}: {errors[0].message}")
    raise ReportError(f"{origin}: does not match its JSON Schema")  # the two validators disagree


def _check_consistency(data: dict[str, Any], origin: str) -> None:
    """What a schema cannot say: the accounting adds up to the occurrences listed."""
    if data["schema"] != REPORT_SCHEMA:
        return
    accounting, occurrences = data["accounting"], data["occurrences"]
    if accounting["total"] != len(occurrences):
        raise ReportError(f"{origin}: $.accounting.total: {accounting['total']}, but {len(occurrences)} occurrences")
    for category in (key for key in accounting if key != "total"):
        listed = sum(1 for occ in occurrences if occ["accounted_as"] == category)
        if accounting[category] != listed:
            raise ReportError(f"{origin}: $.accounting.{category}: {accounting[category]}, but {listed} listed")


def to_json(obj: Report | ReportDiff | Timeline) -> dict[str, Any]:
    """The JSON form of a report, a diff or a timeline."""
    if isinstance(obj, Timeline):
        return {
            "schema": HISTORY_SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "tool_version": __version__,
            "releases": [_source(info) for info in obj.releases],
            "rows": [
                {
                    "family": row.family,
                    "label": row.label,
                    "cells": list(row.cells),
                    "facts": [None if f is None else _site(f) if isinstance(f, Site) else _fact(f) for f in row.facts],
                }
                for row in obj.rows
            ],
        }
    if isinstance(obj, ReportDiff):
        return {
            "schema": DIFF_SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "tool_version": __version__,
            "old": _source(obj.old),
            "new": _source(obj.new),
            "tracked": list(obj.tracked),
            "absent_in_old": list(obj.absent_in_old),
            "absent_in_new": list(obj.absent_in_new),
            "untracked_in_old": list(obj.untracked_in_old),
            "untracked_in_new": list(obj.untracked_in_new),
            "summary": {status.value: obj.count(status) for status in Status},
            "changes": [
                {
                    "status": c.status.value,
                    "ident": c.ident,
                    "kind": str(c.kind),
                    "old": _site(c.old) if c.old else None,
                    "new": _site(c.new) if c.new else None,
                    "differences": list(c.differences),
                }
                for c in obj.changes
            ],
            "fact_changes": [
                {
                    "family": c.family,
                    "status": c.status.value,
                    "old": _fact(c.old) if c.old else None,
                    "new": _fact(c.new) if c.new else None,
                    "differences": list(c.differences),
                }
                for c in obj.fact_changes
            ],
        }
    accounting: dict[str, int] = {"total": len(obj.occurrences), **obj.accounting()}
    return {
        "schema": REPORT_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool_version": obj.tool_version or __version__,
        "source": _source(obj.source),
        "tracked": list(obj.tracked),
        "sites": [_site(s) for s in obj.sites],
        "files": [{f.name: getattr(stat, f.name) for f in fields(FileStat)} for stat in obj.files],
        "occurrences": [
            {"ident": o.ident, **_position(o.location), "accounted_as": o.accounted_as.value} for o in obj.occurrences
        ],
        "accounting": accounting,
        "warnings": list(obj.warnings),
        "masks": [_fact(m) for m in obj.masks],
        "force": [_fact(f) for f in obj.force],
        "kill_paths": [_fact(k) for k in obj.kill_paths],
        "project": obj.project,
        "init": _init(obj.init) if obj.init else None,
    }


def report_from_json(data: dict[str, Any]) -> Report:
    """Rebuild a Report from its (validated) JSON form."""
    return Report(
        source=SourceInfo(**data["source"]),
        tracked=tuple(data["tracked"]),
        sites=tuple(_site_from(s) for s in data["sites"]),
        files=tuple(FileStat(**f) for f in data["files"]),
        occurrences=tuple(
            Occurrence(o["ident"], _location_from(o), Accounting(o["accounted_as"])) for o in data["occurrences"]
        ),
        tool_version=data["tool_version"],
        warnings=tuple(data["warnings"]),
        masks=tuple(_mask_from(m) for m in data["masks"]),
        force=tuple(_force_from(f) for f in data["force"]),
        kill_paths=tuple(_kill_path_from(k) for k in data["kill_paths"]),
        project=data["project"],
        init=_init_from(data["init"]) if data["init"] else None,
    )


def diff_from_json(data: dict[str, Any]) -> ReportDiff:
    """Rebuild a ReportDiff from its (validated) JSON form."""
    return ReportDiff(
        old=SourceInfo(**data["old"]),
        new=SourceInfo(**data["new"]),
        tracked=tuple(data["tracked"]),
        changes=tuple(
            SiteChange(
                Status(c["status"]),
                c["ident"],
                SiteKind(c["kind"]),
                _site_from(c["old"]) if c["old"] else None,
                _site_from(c["new"]) if c["new"] else None,
                tuple(c["differences"]),
            )
            for c in data["changes"]
        ),
        absent_in_old=tuple(data["absent_in_old"]),
        absent_in_new=tuple(data["absent_in_new"]),
        untracked_in_old=tuple(data["untracked_in_old"]),
        untracked_in_new=tuple(data["untracked_in_new"]),
        fact_changes=tuple(
            FactChange(
                c["family"],
                Status(c["status"]),
                _FACT_READERS[c["family"]](c["old"]) if c["old"] else None,
                _FACT_READERS[c["family"]](c["new"]) if c["new"] else None,
                tuple(c["differences"]),
            )
            for c in data["fact_changes"]
        ),
    )


def read_report(path: Path) -> Report:
    """Load and validate a scan report file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{path}: {exc.strerror.lower() if exc.strerror else 'cannot read'}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not JSON: {exc}") from None
    validate(data, str(path))
    if data["schema"] != REPORT_SCHEMA:
        raise ReportError(f"{path}: $.schema: a {data['schema']} file, expected a scan report")
    return report_from_json(data)


def dumps(data: dict[str, Any]) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_text(text: str, path: Path) -> None:
    """Write `text` to `path` so that readers never see half a file and nothing is lost.

    A regular file (or a new one) is replaced in one step by renaming a finished temp file,
    keeping the old file's permissions; a symlink is followed, so the link survives; a
    device or FIFO (/dev/stdout, /dev/null) is written into, never replaced.
    """
    if path.is_dir():
        raise ReportError(f"{path}: is a directory")
    try:
        # Decide on what the path leads to (stat follows links): /dev/stdout on a pipe resolves
        # to a /proc name that cannot be opened again by name, but can be written through.
        if path.exists() and not path.is_file():
            with path.open("w", encoding="utf-8") as out:
                out.write(text)
            return
        target = path.resolve() if path.is_symlink() else path
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise ReportError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"{path}: cannot write: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask (reading it means setting it; set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _source(info: SourceInfo) -> dict[str, Any]:
    return {f.name: getattr(info, f.name) for f in fields(SourceInfo)}


def _position(location: Location) -> dict[str, Any]:
    return {"path": location.path, "line": location.line, "column": location.column}


def _location_from(data: dict[str, Any]) -> Location:
    return Location(data["path"], data["line"], data["column"])


def _site(site: Site) -> dict[str, Any]:
    return {
        "ident": site.ident,
        "kind": site.kind.value,
        **_position(site.location),
        "function": site.function,
        "attributed_by": site.attributed_by,
        "construct": site.construct,
        "text": site.text,
        "normalized": site.normalized,
        "guards": [{"condition": g.condition, "branch": g.branch} for g in site.guards],
        "guarded": site.guarded,
        "combined_with": list(site.combined_with),
        "value": site.value,
        "preproc": list(site.preproc),
    }


def _site_from(data: dict[str, Any]) -> Site:
    return Site(
        ident=data["ident"],
        kind=SiteKind(data["kind"]),
        location=_location_from(data),
        function=data["function"],
        attributed_by=data["attributed_by"],
        construct=data["construct"],
        text=data["text"],
        normalized=data["normalized"],
        guards=tuple(Guard(g["condition"], g["branch"]) for g in data["guards"]),
        guarded=data["guarded"],
        combined_with=tuple(data["combined_with"]),
        value=data["value"],
        preproc=tuple(data["preproc"]),
    )


def _fact(fact: Fact) -> dict[str, Any]:
    """A mask, force assignment or kill path as JSON: locations flattened, like sites."""
    if isinstance(fact, SignalMask):
        return {
            "name": fact.name,
            **_position(fact.location),
            "signals": list(fact.signals),
            "conditional": [{"signal": c.signal, "condition": c.condition} for c in fact.conditional],
            "unresolved": list(fact.unresolved),
        }
    if isinstance(fact, Disposition):
        where = _position(fact.location) if fact.location else {"path": None, "line": None, "column": None}
        return {
            "signal": fact.signal,
            "disposition": fact.disposition,
            "handler": fact.handler,
            **where,
            "function": fact.function,
            "via": fact.via,
            "dispatch": fact.dispatch,
            "note": fact.note,
        }
    if isinstance(fact, ForceAssignment):
        return {
            "variable": fact.variable,
            "value": fact.value,
            "function": fact.function,
            **_position(fact.location),
            "text": fact.text,
            "guards": [{"condition": g.condition, "branch": g.branch} for g in fact.guards],
            "preproc": list(fact.preproc),
        }
    return {
        "target": fact.target,
        "primary": fact.primary,
        "hops": [{"caller": h.caller, "callee": h.callee, **_position(h.location)} for h in fact.hops],
    }


def _mask_from(data: dict[str, Any]) -> SignalMask:
    return SignalMask(
        data["name"],
        _location_from(data),
        tuple(data["signals"]),
        tuple(ConditionalSignal(c["signal"], c["condition"]) for c in data["conditional"]),
        tuple(data["unresolved"]),
    )


def _force_from(data: dict[str, Any]) -> ForceAssignment:
    return ForceAssignment(
        data["variable"],
        data["value"],
        data["function"],
        _location_from(data),
        data["text"],
        tuple(Guard(g["condition"], g["branch"]) for g in data["guards"]),
        tuple(data["preproc"]),
    )


def _kill_path_from(data: dict[str, Any]) -> KillPath:
    hops = tuple(Hop(h["caller"], h["callee"], _location_from(h)) for h in data["hops"])
    return KillPath(data["target"], hops, data["primary"])


def _disposition_from(data: dict[str, Any]) -> Disposition:
    return Disposition(
        data["signal"],
        data["disposition"],
        data["handler"],
        _location_from(data) if data["path"] is not None else None,
        data["function"],
        data["via"],
        data["dispatch"],
        data["note"],
    )


def _init(table: InitTable) -> dict[str, Any]:
    return {
        "project": table.project,
        "dispositions": [_fact(d) for d in table.dispositions],
        "files": list(table.files),
        "excluded": list(table.excluded),
        "unresolved": list(table.unresolved),
        "note": table.note,
        "skipped": list(table.skipped),
        "main": table.main,
    }


def _init_from(data: dict[str, Any]) -> InitTable:
    return InitTable(
        data["project"],
        tuple(_disposition_from(d) for d in data["dispositions"]),
        tuple(data["files"]),
        tuple(data["excluded"]),
        tuple(data["unresolved"]),
        data["note"],
        tuple(data["skipped"]),
        data["main"],
    )


_FACT_READERS: dict[str, Any] = {
    "mask": _mask_from,
    "force": _force_from,
    "kill_path": _kill_path_from,
    "disposition": _disposition_from,
}
assert set(_FACT_READERS) == {family.name for family in FAMILIES}


def file_result_to_text(result: FileResult) -> str:
    """One file's extraction as compact JSON, for the result cache."""
    assert result.stat is not None
    return json.dumps(
        {
            "sites": [_site(s) for s in result.sites],
            "occurrences": [
                {"ident": o.ident, **_position(o.location), "accounted_as": o.accounted_as.value}
                for o in result.occurrences
            ],
            "warnings": result.warnings,
            "stat": {f.name: getattr(result.stat, f.name) for f in fields(FileStat)},
            "masks": [_fact(m) for m in result.masks],
            "force": [_fact(f) for f in result.force],
            "calls": [{"caller": h.caller, "callee": h.callee, **_position(h.location)} for h in result.calls],
        },
        separators=(",", ":"),
    )


def file_result_from_text(text: str) -> FileResult:
    """Rebuild a cached extraction."""
    data = json.loads(text)
    return FileResult(
        sites=[_site_from(s) for s in data["sites"]],
        occurrences=[
            Occurrence(o["ident"], _location_from(o), Accounting(o["accounted_as"])) for o in data["occurrences"]
        ],
        warnings=list(data["warnings"]),
        stat=FileStat(**data["stat"]),
        masks=[_mask_from(m) for m in data["masks"]],
        force=[_force_from(f) for f in data["force"]],
        calls=[Hop(h["caller"], h["callee"], _location_from(h)) for h in data["calls"]],
    )
