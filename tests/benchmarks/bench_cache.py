"""Benchmark of the work siganalyze shares and keeps, against a baseline in the same run.

Usage: python tests/benchmarks/bench_cache.py REPO OLD NEW RANGE [--runs N]
  e.g. ~/siganalyze-corpus/linux.git v2.6.34 v6.1.176 v2.6.26..v2.6.35

Rows (each run as a fresh process, the result cache in a private temporary directory):
  cold diff        `siganalyze diff OLD NEW`, empty cache, vs `git grep -l -w` of every
                   tracked name on OLD and NEW (target ratio <= 1.5)
  warm diff        the same diff again, cache filled (target < 0.5 s wall, interpreter
                   start included)
  history cold     `siganalyze history RANGE`, empty cache, vs running `siganalyze scan`
                   once per tag of the range (each with an empty cache)
  history blobs    file results needed (release x file pairs) vs blobs actually parsed
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys

from common import cold_env, timed  # tests/benchmarks/common.py, beside this script

from analyzer.scan import DEFAULT_TRACKED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("range")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tool = shutil.which("siganalyze") or sys.exit("siganalyze is not on PATH")
    diff = [tool, "diff", args.old, args.new, "--repo", args.repo]
    grep = ["git", "--git-dir", args.repo, "grep", "-l", "-w"]
    for ident in DEFAULT_TRACKED:
        grep += ["-e", ident]
    grep += [args.old, args.new, "--"]

    rows: list[tuple[str, float, str, float]] = []
    cold, warm, baseline = [], [], []
    for _ in range(args.runs):
        baseline.append(timed(grep, dict(os.environ))[0])
        env = cold_env()
        cold.append(timed(diff, env)[0])
        warm.append(timed(diff, env)[0])
    rows.append(("cold diff", statistics.median(cold), "git grep -l -w (both refs)", statistics.median(baseline)))
    rows.append(("warm diff (cache filled)", statistics.median(warm), "target", 0.5))

    env = cold_env()
    history_time, history_err = timed([tool, "history", args.range, "--repo", args.repo], env)
    low, _, high = args.range.partition("..")
    tags = _tags_in_range(args.repo, low, high)
    per_tag = sum(timed([tool, "scan", tag, "--repo", args.repo], cold_env())[0] for tag in tags)
    rows.append((f"history {args.range} cold ({len(tags)} tags)", history_time, "scan once per tag, cold", per_tag))

    print(f"{'measure':<44} {'seconds':>8}   {'baseline':<30} {'seconds':>8} {'ratio':>6}")
    for name, ours, base_name, base in rows:
        print(f"{name:<44} {ours:8.2f}   {base_name:<30} {base:8.2f} {ours / base:6.2f}")
    if match := re.search(r"file results needed (\d+), from the cache (\d+), parsed (\d+)", history_err):
        needed, cached, parsed = map(int, match.groups())
        print(f"history: {needed} release x file pairs needed a result; {parsed} blobs parsed, {cached} from the cache")
    return 0


def _tags_in_range(repo: str, low: str, high: str) -> list[str]:
    """The tags history resolves the range to (same code path)."""
    from analyzer.history import resolve_refs
    from analyzer.sources.git import open_repo

    return resolve_refs(open_repo(repo), [f"{low}..{high}"], None)


if __name__ == "__main__":
    sys.exit(main())
