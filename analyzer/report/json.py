"""Reports to and from JSON: versioned, validated against reports/*.schema.json, written atomically."""

from __future__ import annotations

import functools
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analyzer import __version__, codec, families, interrupts, resources
from analyzer.errors import ReportError
from analyzer.model import Report, SourceInfo, Status

# Each kind of result is imported where it is told apart: a command loads only its own.
if TYPE_CHECKING:
    from analyzer.diff import Change, ReportDiff
    from analyzer.explain import Explanation
    from analyzer.history import Timeline
    from analyzer.verify import Verification

REPORT_SCHEMA = "siganalyze/report"
DIFF_SCHEMA = "siganalyze/diff"
HISTORY_SCHEMA = "siganalyze/history"
LOG_SCHEMA = "siganalyze/log"
EXPLAIN_SCHEMA = "siganalyze/explain"
VERIFY_SCHEMA = "siganalyze/verify"
# Bump for any change a reader of old reports would notice, and say why here.
# 1: sites (kind, location, function, construct, text, guards, guarded, masks, preproc),
#    per-file parse stats, and the accounting of every textual occurrence.
# 2: site kind "call"; signal classes (masks), force decision and kill path in reports and
#    diffs; accounting category "binary"; diffs list names only one side tracked.
#    PID 1's signal table (`project`, `init`) for systemd and other inits; files[].timed_out.
#    Version-1 files are refused with a hint to re-run the scan: their absent sections
#    would read as facts that vanished.
# 3: every fact family is a top-level list named by the family (PID 1's rows moved from
#    `init.dispositions` to `dispositions`); every diff change names its `family`; a family
#    registered beyond the built-in ones adds its own list. Version-2 files are refused
#    with a hint, as above.
# 4: the delivery table (`delivery`: one cell per target, sender, disposition and signal, with
#    the conditions that decide it); diffs list its changed cells with family "delivery".
#    Version-3 files are refused with a hint: their missing table would read as cells removed.
SCHEMA_VERSION = 4
_SCHEMA_FILES = {
    REPORT_SCHEMA: "report.schema.json",
    DIFF_SCHEMA: "diff.schema.json",
    HISTORY_SCHEMA: "history.schema.json",
    LOG_SCHEMA: "log.schema.json",
    EXPLAIN_SCHEMA: "explain.schema.json",
    VERIFY_SCHEMA: "verify.schema.json",
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
    with interrupts.deferred():  # a native module: a Ctrl-C inside its initialisation panics it
        import jsonschema_rs
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
    if isinstance(obj, Report):
        return _report_json(obj)
    from analyzer.diff import ReportDiff

    if isinstance(obj, ReportDiff):
        return _diff_json(obj)
    return {
        "schema": HISTORY_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "releases": [codec.encode(info) for info in obj.releases],
        "rows": [
            {
                "family": row.family,
                "label": row.label,
                "cells": [cell.value for cell in row.cells],
                "facts": [None if r is None else codec.encode(r) for r in row.records],
            }
            for row in obj.rows
        ],
    }


def _diff_json(obj: ReportDiff) -> dict[str, Any]:
    lists: dict[str, list[dict[str, Any]]] = {"changes": [], "fact_changes": []}
    for change in obj.changes:
        lists.setdefault(families.family(change.family).diff_key, []).append(_change(change))
    return {
        "schema": DIFF_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "old": codec.encode(obj.old),
        "new": codec.encode(obj.new),
        "tracked": list(obj.tracked),
        "absent_in_old": list(obj.absent_in_old),
        "absent_in_new": list(obj.absent_in_new),
        "untracked_in_old": list(obj.untracked_in_old),
        "untracked_in_new": list(obj.untracked_in_new),
        "summary": {status.value: sum(c["status"] == status for c in lists["changes"]) for status in Status},
        **lists,
    }


def _report_json(obj: Report) -> dict[str, Any]:
    accounting: dict[str, int] = {"total": len(obj.occurrences), **obj.accounting()}
    return {
        "schema": REPORT_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool_version": obj.tool_version or __version__,
        "source": codec.encode(obj.source),
        "tracked": list(obj.tracked),
        **{f.report_key: [codec.encode(r) for r in obj.of(f.name)] for f in families.shown()},
        "files": [codec.encode(stat) for stat in obj.files],
        "occurrences": [codec.encode(o) for o in obj.occurrences],
        "accounting": accounting,
        "warnings": list(obj.warnings),
        "project": obj.project.value,
        "init": codec.encode(obj.init) if obj.init else None,
    }


def delivery_json(obj: Explanation | Verification) -> dict[str, Any]:
    """explain's table or verify's cases as JSON."""
    from analyzer.explain import ASSUMPTIONS, KILLED_MEANS, Explanation

    if not isinstance(obj, Explanation):
        return {
            "schema": VERIFY_SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "tool_version": obj.tool_version,
            "kernel": obj.kernel,
            "source": codec.encode(obj.source),
            "warning": obj.mismatch,
            "summary": obj.counts(),
            "cases": [
                {
                    "target": c.target.value,
                    "sender": c.sender.value,
                    "disposition": c.disposition.value,
                    "signal": c.signal,
                    "predicted": c.predicted.value,
                    "observed": c.observed,
                    "agree": c.agree,
                    "evidence": c.evidence,
                    "because": [codec.encode(r) for r in c.because],
                    "unknown": c.unknown,
                    "error": c.error,
                }
                for c in obj.cases
            ],
            "not_runnable": [{"cell": cell, "why": why} for cell, why in obj.not_runnable],
        }
    return {
        "schema": EXPLAIN_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool_version": obj.tool_version,
        "source": codec.encode(obj.source),
        "init": None
        if obj.init is None
        else {"source": codec.encode(obj.init), "project": obj.init_project.value if obj.init_project else None},
        "assumptions": list(ASSUMPTIONS),
        "killed": {target.value: words for target, words in KILLED_MEANS.items()},
        "delivery": [codec.encode(c) for c in obj.cells],
        "warnings": list(obj.warnings),
    }


def _change(change: Change) -> dict[str, Any]:
    """One change: its family, status, both sides and what differs (plus the family's own keys)."""
    family = families.family(change.family)
    extra = family.change_fields(change.latest) if family.change_fields is not None else {}
    return {
        "family": change.family,
        "status": change.status.value,
        **extra,
        "old": codec.encode(change.old) if change.old is not None else None,
        "new": codec.encode(change.new) if change.new is not None else None,
        "differences": list(change.differences),
    }


def report_from_json(data: dict[str, Any]) -> Report:
    """Rebuild a Report from its (validated) JSON form."""
    facts = {
        f.name: tuple(codec.decode(f.record, r) for r in data[f.report_key])
        for f in families.shown()
        if f.report_key in data
    }
    return codec.report_from(data, facts)


def diff_from_json(data: dict[str, Any]) -> ReportDiff:
    """Rebuild a ReportDiff from its (validated) JSON form."""
    from analyzer.diff import Change, ReportDiff

    known = {f.name: f.record for f in families.families()}
    changes = tuple(
        Change(
            c["family"],
            Status(c["status"]),
            codec.decode(known[c["family"]], c["old"]) if c["old"] else None,
            codec.decode(known[c["family"]], c["new"]) if c["new"] else None,
            tuple(c["differences"]),
        )
        for c in (*data["changes"], *data["fact_changes"])
        if c["family"] in known
    )
    return ReportDiff(
        old=codec.decode(SourceInfo, data["old"]),
        new=codec.decode(SourceInfo, data["new"]),
        tracked=tuple(data["tracked"]),
        changes=tuple(sorted(changes, key=lambda c: list(known).index(c.family))),
        absent_in_old=tuple(data["absent_in_old"]),
        absent_in_new=tuple(data["absent_in_new"]),
        untracked_in_old=tuple(data["untracked_in_old"]),
        untracked_in_new=tuple(data["untracked_in_new"]),
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
        import tempfile  # with -o only: it brings shutil and the compressors

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
