"""Benchmark of PID 1's table through the parse unit: cold, warm, and warm per blob.

Usage: python tests/benchmarks/bench_init.py REPO REF [NEXT] [--project systemd|init] [--runs N]
  e.g. ~/siganalyze-corpus/systemd.git v257.13 v252.39 --project systemd

Rows (each run a fresh process, the result cache in a private temporary directory):
  cold             `siganalyze scan REF`, empty cache
  warm             the same scan again: its whole report is cached
  per blob         the same scan with the reports dropped from the cache, every file's facts kept
  NEXT after REF   `siganalyze scan NEXT` with REF's files' facts cached (a neighbouring release)
Then, in this process, how many per-file results each of those scans parsed and found cached.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
from pathlib import Path

from common import cold_env, timed  # tests/benchmarks/common.py, beside this script

from analyzer.cache import ResultCache
from analyzer.scan import RunStats, scan_many
from analyzer.sources import open_source


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("ref")
    parser.add_argument("next", nargs="?")
    parser.add_argument("--project", default="systemd")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tool = shutil.which("siganalyze") or sys.exit("siganalyze is not on PATH")

    def scan(ref: str) -> list[str]:
        return [tool, "scan", ref, "--repo", args.repo, "--project", args.project, "--format", "json"]

    rows: dict[str, list[float]] = {}
    for _ in range(args.runs):
        env = cold_env()
        database = Path(env["XDG_CACHE_HOME"]) / "siganalyze" / "results.sqlite"
        try:
            rows.setdefault("cold", []).append(timed(scan(args.ref), env)[0])
            rows.setdefault("warm", []).append(timed(scan(args.ref), env)[0])
            _drop_reports(database)
            rows.setdefault("per blob", []).append(timed(scan(args.ref), env)[0])
            if args.next:
                rows.setdefault(f"{args.next} after {args.ref}", []).append(timed(scan(args.next), env)[0])
        finally:
            shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)
    print(f"load {os.getloadavg()[0]:.2f}; median of {args.runs} runs")
    for name, times in rows.items():
        print(f"{name:<32} {statistics.median(times):7.2f} s")
    _counts(args)
    return 0


def _drop_reports(database: Path) -> None:
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM results WHERE kind = 'report'")


def _counts(args: argparse.Namespace) -> None:
    """Per-file results parsed and cached by each scan, reports never kept (as after `per blob`)."""
    env = cold_env()
    try:
        cache = ResultCache(Path(env["XDG_CACHE_HOME"]) / "results.sqlite")
        for ref in (args.ref, args.ref, *([args.next] if args.next else [])):
            stats = RunStats()
            scan_many([open_source(ref, args.repo)], project=args.project, cache=cache, stats=stats)
            print(f"{ref:<12} PID 1's per-file results: parsed {stats.init_parsed}, from the cache {stats.init_cached}")
            _drop_reports(Path(env["XDG_CACHE_HOME"]) / "results.sqlite")
        cache.close()
    finally:
        shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
