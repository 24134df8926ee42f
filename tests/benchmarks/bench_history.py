"""Benchmark of history and log against their baselines, measured in the same run.

Usage: python tests/benchmarks/bench_history.py REPO --scan REF [--history SPEC]... [--log A..B]
  e.g. ~/siganalyze-corpus/linux.git --scan v2.6.35 --history v2.6.26..v2.6.35 \\
       --history v2.6.11..v2.6.35 --history "tags:v2.6.*:--rc" --log v2.6.25..v2.6.36-rc3

Rows (each run a fresh process; "cold" means XDG_CACHE_HOME at a new empty directory):
  scan REF cold                  the baseline of every history row
  history SPEC cold              ratio to the cold scan; blobs read for candidates, files parsed
  history SPEC warm              the same again on the filled cache (target <= 1 s)
  log A..B cold                  ratio to `git log -S SIGNAL_UNKILLABLE A..B` (text only)
A history SPEC is a range A..B, or tags:GLOB[:--rc] for `--tags GLOB [--rc]`.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys

from common import cold_env, timed  # tests/benchmarks/common.py, beside this script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("--scan", required=True, help="the release whose cold scan is the baseline")
    parser.add_argument("--history", action="append", default=[], help="A..B or tags:GLOB[:--rc]")
    parser.add_argument("--log", help="a git range for log, against git log -S")
    args = parser.parse_args()
    tool = shutil.which("siganalyze") or sys.exit("siganalyze is not on PATH")
    scan_time, _ = timed([tool, "scan", args.scan, "--repo", args.repo], cold_env())
    print(f"{'measure':<48} {'seconds':>8} {'ratio':>7}  work")
    print(f"{'scan ' + args.scan + ' cold (baseline)':<48} {scan_time:8.2f} {1.0:7.2f}")
    for spec in args.history:
        if spec.startswith("tags:"):
            _, glob, *rest = spec.split(":")
            command = [tool, "history", "--tags", glob, *rest, "--repo", args.repo]
        else:
            command = [tool, "history", spec, "--repo", args.repo]
        env = cold_env()
        cold, err = timed(command, env)
        warm, _ = timed(command, env)
        work = _work(err)
        print(f"{'history ' + spec + ' cold':<48} {cold:8.2f} {cold / scan_time:7.2f}  {work}")
        print(f"{'history ' + spec + ' warm':<48} {warm:8.2f} {warm / scan_time:7.2f}  target <= 1 s")
    if args.log:
        grep = ["git", "--git-dir", args.repo, "log", "-S", "SIGNAL_UNKILLABLE", "--format=%H", args.log]
        pickaxe, _ = timed(grep)
        ours, _ = timed([tool, "log", args.log, "--repo", args.repo], cold_env())
        print(f"{'git log -S SIGNAL_UNKILLABLE ' + args.log:<48} {pickaxe:8.2f} {1.0:7.2f}")
        print(f"{'log ' + args.log + ' cold':<48} {ours:8.2f} {ours / pickaxe:7.2f}  ratio to git log -S")
    return 0


def _work(stderr: str) -> str:
    """Releases, blobs read for candidates and files parsed, from history's stderr line."""
    match = re.search(r"(\d+) releases?;.*parsed (\d+);.*blobs read for candidates (\d+) \(of (\d+)", stderr)
    if match is None:
        return ""
    releases, parsed, read, changed = match.groups()
    return f"{releases} releases, {read} blobs read for candidates (of {changed} changed files), {parsed} files parsed"


if __name__ == "__main__":
    sys.exit(main())
