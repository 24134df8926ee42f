"""Benchmark of live delivery runs (analyzer/live) against bare PID namespaces in the same run.

Usage: python tests/benchmarks/bench_verify.py [--runs N] [--jobs J]   (as root)

Rows (median of N runs each, the helper already built, the result cache in a private directory):
  full matrix      live.run(live.matrix()): every case in a fresh PID namespace, probe included
                   (target: <= 60 s on 2 cores)
  bare namespaces  as many fork + unshare(CLONE_NEWPID) + fork + exit + reap cycles, as many at
                   once, by the same helper binary: what a case costs at the very least
  build            compiling the helper into an empty cache (once per helper source)
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from common import cold_env, timed  # tests/benchmarks/common.py, beside this script

from analyzer import live
from analyzer.live import helper
from analyzer.live.runner import default_jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=0, help="cases at once (default: live's, two per CPU)")
    args = parser.parse_args()
    jobs = args.jobs or default_jobs()
    os.environ["XDG_CACHE_HOME"] = cold_env()["XDG_CACHE_HOME"]
    start = time.perf_counter()
    try:
        binary = helper.build()
        helper.probe(binary)
    except live.LiveUnavailable as exc:
        sys.exit(f"bench_verify: {exc}")
    build = time.perf_counter() - start

    cases = live.matrix()
    ours, bare, failed = [], [], 0
    for _ in range(args.runs):
        start = time.perf_counter()
        failed += sum(o.observed is None for o in live.run(cases, jobs=jobs))
        ours.append(time.perf_counter() - start)
        bare.append(timed([str(binary), "baseline", str(len(cases)), str(jobs), str(os.getpid())])[0])
    matrix, baseline = statistics.median(ours), statistics.median(bare)

    print(f"kernel {live.kernel_release()}, {os.cpu_count()} CPUs, {jobs} cases at once, median of {args.runs} runs")
    print(f"{'measure':<34} {'seconds':>8} {'cases/s':>9}")
    print(f"{f'full matrix ({len(cases)} cases)':<34} {matrix:8.3f} {len(cases) / matrix:9.0f}")
    print(f"{f'bare namespaces ({len(cases)} cycles)':<34} {baseline:8.3f} {len(cases) / baseline:9.0f}")
    print(f"{'ratio full / bare':<34} {matrix / baseline:8.2f}")
    print(f"{'build (cc, empty cache)':<34} {build:8.3f}")
    print(f"cases without an observation: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
