"""verify: the container-init cells a release predicts, run live in fresh PID namespaces, and compared."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from analyzer import __version__
from analyzer.model import DeliveryCell, Reason, Report, SourceInfo
from analyzer.vocab import Delivered, Outcome, Sender, Target
from analyzer.words import describe_source

LIVE_SENDERS = (Sender.SAME_NS, Sender.ANCESTOR_NS, Sender.SELF, Sender.FAULT)


@dataclass(frozen=True, slots=True)
class VerifyCase:
    """One cell: what the source predicts, what the running kernel did, and the raw evidence."""

    target: Target
    sender: Sender
    disposition: Delivered
    signal: str
    predicted: Outcome
    observed: str | None  # None: not run (see error)
    agree: bool | None  # None: not compared (an unknown prediction, or the case could not run)
    evidence: dict[str, Any] = field(default_factory=dict)
    because: tuple[Reason, ...] = ()
    unknown: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Verification:
    """verify's result."""

    source: SourceInfo
    kernel: str  # the running kernel's release (uname -r)
    cases: tuple[VerifyCase, ...]
    not_runnable: tuple[tuple[str, str], ...] = ()  # (cell, why) for cells no live run can set up
    tool_version: str = __version__

    @property
    def predicted_from(self) -> str:
        return describe_source(self.source)

    @property
    def mismatch(self) -> str | None:
        """A warning when the running kernel is not the release the prediction read."""
        running = re.match(r"\d+(\.\d+)*", self.kernel)
        release = self.source.release
        if release is None:
            return f"the source names no release: the running kernel is {self.kernel}"
        if running is None or running.group() != release:
            return f"the running kernel ({self.kernel}) is not the release predicted from ({release})"
        return None

    def title(self) -> str:
        return f"delivery table of {self.predicted_from} against the running kernel"

    def counts(self) -> dict[str, int]:
        compared = [c for c in self.cases if c.agree is not None]
        return {
            "compared": len(compared),
            "agree": sum(1 for c in compared if c.agree),
            "disagree": sum(1 for c in compared if not c.agree),
            "unknown": sum(1 for c in self.cases if c.predicted is Outcome.UNKNOWN),
            "not_run": len(self.not_runnable) + sum(1 for c in self.cases if c.observed is None),
        }

    @property
    def passed(self) -> bool:
        counts = self.counts()
        return counts["disagree"] == 0 and counts["unknown"] == 0


def verify(report: Report, jobs: int = 0) -> Verification:
    """Run every container-init cell this machine can set up and compare it with the prediction."""
    from analyzer import live

    cells = [c for c in report.of("delivery") if c.target is Target.CONTAINER_INIT and c.sender in LIVE_SENDERS]
    runnable: list[tuple[DeliveryCell, live.Case]] = []
    skipped: list[tuple[str, str]] = []
    for cell in cells:
        case = live.Case(cell.sender.value, cell.disposition.value, cell.signal)
        why = live.unrunnable(case)
        if why is None:
            runnable.append((cell, case))
        else:
            skipped.append((f"{cell.sender.value} {cell.disposition.value} {cell.signal}", why))
    observations = live.run([case for _, case in runnable], jobs=jobs)
    cases = []
    for (cell, _case), seen in zip(runnable, observations, strict=True):
        agree = None
        if seen.observed is not None and cell.outcome is not Outcome.UNKNOWN:
            agree = cell.outcome.observable.value == seen.observed
        cases.append(
            VerifyCase(
                target=cell.target,
                sender=cell.sender,
                disposition=cell.disposition,
                signal=cell.signal,
                predicted=cell.outcome,
                observed=seen.observed,
                agree=agree,
                evidence=dict(seen.evidence),
                because=cell.because,
                unknown=cell.unknown,
                error=seen.error,
            )
        )
    return Verification(report.source, live.kernel_release(), tuple(cases), tuple(skipped))
