"""SARIF 2.1.0 for code review: each changed site or fact a result on the new release's line."""

from __future__ import annotations

import json
from typing import Any

from analyzer import __version__
from analyzer.diff import ReportDiff, SiteChange
from analyzer.factdiff import FAMILIES, FactChange, hop_changes
from analyzer.model import KillPath, Location, Site, SiteKind, Status
from analyzer.report.tables import brief

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_BASELINE = {Status.ADDED: "new", Status.REMOVED: "absent", Status.CHANGED: "updated", Status.MOVED: "updated"}
# Losing or changing a test or clear of the flag can weaken init's protection: worth a warning.
_GUARDING_KINDS = frozenset({SiteKind.TEST, SiteKind.CLEAR})


def render_sarif(result: ReportDiff) -> str:
    """One run whose results are the rows of the diff that are not unchanged."""
    rows: list[SiteChange | FactChange] = [c for c in result.changes if c.status is not Status.UNCHANGED]
    rows += [c for c in result.fact_changes if c.status is not Status.UNCHANGED]
    results = [_result(row, result) for row in rows]
    rules = sorted({r["ruleId"] for r in results})
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
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
        ],
    }
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _result(row: SiteChange | FactChange, result: ReportDiff) -> dict[str, Any]:
    """A SARIF result: message, level, the location in the new release (or the old, if removed)."""
    fact = row.new if row.new is not None else row.old
    where: Location | None = getattr(fact, "location", None)
    if isinstance(fact, KillPath) and fact.hops:
        where = fact.hops[0].location  # the kill system call, where the chain starts
    if isinstance(row, SiteChange):
        rule = f"site/{row.status.value}"
        site = row.new or row.old
        assert isinstance(site, Site)
        message = f"{row.ident} {row.kind} {row.status.value}: {site.normalized}"
        if row.old and row.new and row.old.function != row.new.function:
            message += f" (was in {row.old.function})"
        level = "warning" if row.kind in _GUARDING_KINDS and row.status in (Status.REMOVED, Status.CHANGED) else "note"
    else:
        rule = f"{row.family}/{row.status.value}"
        message = _fact_message(row)
        level = "note"
    sarif: dict[str, Any] = {
        "ruleId": rule,
        "level": level,
        "message": {"text": message},
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


def _fact_message(row: FactChange) -> str:
    """`PID 1 signal table changed: SIGWINCH; dispatch: a -> b`: which fact, and what differs."""
    family = next(f for f in FAMILIES if f.name == row.family)
    fact = row.new if row.new is not None else row.old
    message = f"{family.title} {row.status.value}: {family.name_of(fact)}"
    if isinstance(row.old, KillPath) and isinstance(row.new, KillPath):
        return message + "".join(f"; {words}" for words in hop_changes(row.old, row.new))
    if row.old is not None and row.new is not None:
        before, after = family.compared(row.old), family.compared(row.new)
        changes = [f"{name}: {brief(before[name])} -> {brief(after[name])}" for name in row.differences]
        message += "".join(f"; {change}" for change in changes)
    return message


def _rule_text(rule: str) -> str:
    what, _, status = rule.partition("/")
    return f"a {what.replace('_', ' ')} was {status}"


def _provenance(result: ReportDiff) -> list[dict[str, Any]]:
    """The commit the locations refer to, when the new side is a git commit."""
    new = result.new
    if new.commit is None:
        return []
    return [{"repositoryUri": f"file://{new.repo}", "revisionId": new.commit, "revisionTag": new.ref or ""}]
