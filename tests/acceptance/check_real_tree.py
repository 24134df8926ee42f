"""Acceptance on a real repo (outside CI): every `git grep -w` hit is accounted for exactly once.

Usage: python tests/acceptance/check_real_tree.py REPO REF [REF ...]

For each ref and every tracked name (the default set) it compares the report's occurrences
with `git grep -n -o -w NAME` line by line, and prints every SIGNAL_UNKILLABLE site as kind,
function, path:line for reading against the code, plus per-name counts.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from analyzer.scan import scan_many
from analyzer.sources import open_source

FLAG = "SIGNAL_UNKILLABLE"


def grep_lines(repo: str, ref: str, name: str) -> Counter[tuple[str, int]]:
    """(path, line) of every line `git grep -w` finds, with the number of hits on the line."""
    out = subprocess.run(
        ["git", "--git-dir", repo, "grep", "-n", "-o", "-w", name, ref, "--"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    hits: Counter[tuple[str, int]] = Counter()
    for line in out.splitlines():
        _ref, path, number, _match = line.split(":", 3)
        hits[(path, int(number))] += 1
    return hits


def main(repo: str, refs: list[str]) -> int:
    failures = 0
    reports = scan_many([open_source(ref, repo) for ref in refs])
    for ref, report in zip(refs, reports, strict=True):
        problems = []
        for name in report.tracked:
            expected = grep_lines(repo, ref, name)
            found = Counter((o.location.path, o.location.line) for o in report.occurrences if o.ident == name)
            if found != expected:
                problems.append(f"{name}: differs from git grep: missing {expected - found}, extra {found - expected}")
        site_lines = Counter((s.location.path, s.location.line) for s in report.sites)
        code_occurrences = Counter(
            (o.location.path, o.location.line) for o in report.occurrences if o.accounted_as == "site"
        )
        if site_lines != code_occurrences:
            problems.append(f"sites differ from code occurrences: {site_lines ^ code_occurrences}")
        if report.warnings:
            problems += list(report.warnings)
        counts = Counter(s.ident for s in report.sites)
        print(f"== {ref} ({report.source.release}): {len(report.sites)} sites {dict(counts)}")
        print(f"   accounting {report.accounting()}")
        for site in (s for s in report.sites if s.ident == FLAG):
            print(f"   {site.kind.value:<6} {site.function or '-':<28} {site.location} [{site.attributed_by}]")
        for problem in problems:
            print(f"   PROBLEM: {problem}")
        failures += bool(problems)
    print(f"{len(refs) - failures}/{len(refs)} refs fully accounted for")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
