"""Benchmark: `siganalyze explain REF`, cold and warm, against a cold `scan` of the same release.

Usage: python tests/benchmarks/bench_explain.py REPO REF [--runs N] [--baseline-code DIR]

In one run, alternating: `git grep -l -w` of the tracked names (the floor), a cold `scan`, a
cold `explain` (each with an empty result cache) and a warm `explain` (the cache that a cold
run just filled). The delivery table is a family of the scan itself, so a scan pays for it
too; --baseline-code DIR (an export of an older commit, e.g. `git archive bbe6602 | tar -x
-C DIR`) also times a cold scan of that code, to say what computing the table added.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys

from common import cold_env, timed  # tests/benchmarks/common.py, beside this script

from analyzer.scan import DEFAULT_TRACKED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("ref")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-code", metavar="DIR")
    args = parser.parse_args()

    siganalyze = shutil.which("siganalyze") or sys.exit("siganalyze is not on PATH")
    grep = ["git", "--git-dir", args.repo, "grep", "-l", "-w"]
    for ident in DEFAULT_TRACKED:
        grep += ["-e", ident]
    grep += [args.ref, "--"]
    subprocess.run(grep, stdout=subprocess.DEVNULL, check=True)
    scan = [siganalyze, "scan", args.ref, "--repo", args.repo]
    explain = [siganalyze, "explain", args.ref, "--repo", args.repo]
    old_scan = [sys.executable, "-m", "analyzer", "scan", args.ref, "--repo", args.repo]

    times: dict[str, list[float]] = {"git grep": [], "scan, cold": [], "explain, cold": [], "explain, warm": []}
    if args.baseline_code:
        times["scan, cold, baseline code"] = []
    for _ in range(args.runs):
        times["git grep"].append(timed(grep)[0])
        times["scan, cold"].append(timed(scan, cold_env())[0])
        env = cold_env()
        times["explain, cold"].append(timed(explain, env)[0])
        times["explain, warm"].append(timed(explain, env)[0])
        if args.baseline_code:
            baseline_env = {**cold_env(), "PYTHONPATH": os.path.abspath(args.baseline_code)}
            times["scan, cold, baseline code"].append(timed(old_scan, baseline_env)[0])
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{'command':<34} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, values in times.items():
        print(f"{name:<34} {medians[name]:9.2f} {min(values):7.2f} {max(values):7.2f}")
    print(f"ratio cold explain / cold scan: {medians['explain, cold'] / medians['scan, cold']:.2f}")
    print(f"ratio cold explain / git grep: {medians['explain, cold'] / medians['git grep']:.2f}")
    print(f"warm explain: {medians['explain, warm']:.2f} s")
    if args.baseline_code:
        added = medians["scan, cold"] / medians["scan, cold, baseline code"]
        print(f"ratio cold scan now / cold scan of the baseline code: {added:.2f}")
    print(f"over {args.runs} runs of {args.ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
