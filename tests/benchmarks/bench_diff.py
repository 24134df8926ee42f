"""Benchmark: `siganalyze diff OLD NEW` against `git grep -l -w` of the same refs, in one run.

Usage: python tests/benchmarks/bench_diff.py REPO OLD NEW [--runs N] [--track IDENT ...]

The baseline greps the same identifiers siganalyze tracks (the default set: the flag, the
init predicates, the signal classes, plus any --track); it is the floor the analysis
starts from, and the ratio says what parsing and reporting add on top. Both commands run
as fresh processes (interpreter start included), alternating, and the medians are
compared; siganalyze starts with an empty result cache every run (bench_cache.py measures
the warm case). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys

from common import cold_env, timed  # tests/benchmarks/common.py, beside this script

from analyzer.scan import DEFAULT_TRACKED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--track", action="append", default=[])
    args = parser.parse_args()

    idents = [*DEFAULT_TRACKED, *args.track]
    siganalyze = shutil.which("siganalyze") or sys.exit("siganalyze is not on PATH")
    ours = [siganalyze, "diff", args.old, args.new, "--repo", args.repo]
    for ident in args.track:
        ours += ["--track", ident]
    grep = ["git", "--git-dir", args.repo, "grep", "-l", "-w"]
    for ident in idents:
        grep += ["-e", ident]
    grep += [args.old, args.new, "--"]
    # git grep exits 1 when nothing matches; the benchmark needs matches to mean anything.
    subprocess.run(grep, stdout=subprocess.DEVNULL, check=True)

    ours_times, grep_times = [], []
    for _ in range(args.runs):
        grep_times.append(timed(grep)[0])
        ours_times.append(timed(ours, cold_env())[0])
    ours_median, grep_median = statistics.median(ours_times), statistics.median(grep_times)
    print(f"{'command':<46} {'median s':>9} {'min s':>7} {'max s':>7}")
    label = f"git grep -l -w ({len(idents)} names, both refs)"
    print(f"{label:<46} {grep_median:9.2f} {min(grep_times):7.2f} {max(grep_times):7.2f}")
    print(f"{'siganalyze diff (cold cache)':<46} {ours_median:9.2f} {min(ours_times):7.2f} {max(ours_times):7.2f}")
    print(
        f"ratio siganalyze / git grep: {ours_median / grep_median:.2f} over {args.runs} runs ({args.old} -> {args.new})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
