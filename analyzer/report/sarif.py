"""SARIF 2.1.0 for code review: each changed site or fact a result on the new tree's line; a log, a run per commit."""

from __future__ import annotations

import json
from typing import Any

from analyzer import __version__, families
from analyzer.diff import ReportDiff
from analyzer.families import Change, change_message
from analyzer.log import CommitLog
from analyzer.model import Status

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_BASELINE = {Status.ADDED: "new", Status.REMOVED: "absent", Status.CHANGED: "updated", Status.MOVED: "updated"}


def render_sarif(result: ReportDiff) -> str:
    """One run whose results are the rows of the diff that are not unchanged."""
    return _dumps([_run(result)])


def render_log_sarif(log: CommitLog) -> str:
    """One run per listed commit (its changes, on the lines of its tree), the commit in the run's properties."""
    runs = []
    for entry in log.shown:
        run = _run(entry.diff)
        run["properties"] = entry.about()
        runs.append(run)
    return _dumps(runs)


def _dumps(runs: list[dict[str, Any]]) -> str:
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _run(result: ReportDiff) -> dict[str, Any]:
    """A run whose results are the rows of the diff that are not unchanged."""
    results = [_result(row, result) for row in result.changes if row.status is not Status.UNCHANGED]
    rules = sorted({r["ruleId"] for r in results})
    return {
        "tool": {
            "driver": {
                "name": "siganalyze",
                "version": __version__,
                "rules": [{"id": rule, "shortDescription": {"text": _rule_text(rule)}} for rule in rules],
            }
        },
        "originalUriBaseIds": {"SRCROOT": {"description": {"text": f"the tree of {result.new.label}"}}},
        "versionControlProvenance": _provenance(result),
        "results": results,
    }


def _result(row: Change, result: ReportDiff) -> dict[str, Any]:
    """A SARIF result: message, level, the location in the new release (or the old, if removed)."""
    family = families.family(row.family)
    where = family.location(row.latest)
    sarif: dict[str, Any] = {
        "ruleId": f"{row.family}/{row.status.value}",
        "level": family.severity(row),
        "message": {"text": change_message(family, row)},
        "baselineState": _BASELINE[row.status],
    }
    if where is not None:
        side = result.old.label if row.new is None else result.new.label
        sarif["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": where.path, "uriBaseId": "SRCROOT"},
                    "region": {"startLine": where.line, "startColumn": where.column},
                },
                "message": {"text": f"in {side}"},
            }
        ]
    return sarif


def _rule_text(rule: str) -> str:
    what, _, status = rule.partition("/")
    return f"a {what.replace('_', ' ')} was {status}"


def _provenance(result: ReportDiff) -> list[dict[str, Any]]:
    """The commit the locations refer to, when the new side is a git commit."""
    new = result.new
    if new.commit is None:
        return []
    return [{"repositoryUri": f"file://{new.repo}", "revisionId": new.commit, "revisionTag": new.ref or ""}]
