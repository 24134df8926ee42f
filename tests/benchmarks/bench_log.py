"""Benchmark of `siganalyze log` against `git log -S NAME` over the same range, measured in the same run.

Usage: python tests/benchmarks/bench_log.py REPO RANGE [--runs N] [--name NAME]
  e.g. ~/siganalyze-corpus/linux.git v2.6.25..v2.6.36-rc3 --runs 2

Each run times, one after the other, `git log -S NAME --format=%H RANGE` (the baseline: text
only, one name) and `siganalyze log RANGE` cold, a fresh process with XDG_CACHE_HOME at a new
empty directory, and prints both, their ratio (target < 1), the load average before each,
and the work log did: blobs read to find the candidate files, file versions parsed.
Then, from a warm run with --all --format json, the commits `-S` finds that log does not
list (with log's reason, or "not touched": no C file mentioning a tracked name changed), and
the commits log lists that `-S` does not find. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from typing import Any

from common import cold_env, timed  # tests/benchmarks/common.py, beside this script


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("range", help="git's A..B")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--name", default="SIGNAL_UNKILLABLE", help="the name git log -S looks for")
    args = parser.parse_args()
    tool = shutil.which("siganalyze") or sys.exit("siganalyze is not on PATH")
    pickaxe = ["git", "--git-dir", args.repo, "log", "-S", args.name, "--format=%H", args.range]
    ours = [tool, "log", args.range, "--repo", args.repo]
    print(f"{'run':<4} {'load':>5} {'git log -S':>11} {'log cold':>9} {'ratio':>6}  work")
    env: dict[str, str] = {}
    homes: list[str] = []
    for run in range(1, args.runs + 1):
        load = os.getloadavg()[0]
        baseline, _ = timed(pickaxe)
        env = cold_env()
        homes.append(env["XDG_CACHE_HOME"])
        seconds, err = timed(ours, env)
        print(f"{run:<4} {load:5.2f} {baseline:10.2f}s {seconds:8.2f}s {seconds / baseline:6.2f}  {_work(err)}")
    _compare([*pickaxe[:-2], "--format=%H %s", args.range], [*ours, "--all", "--format", "json"], env, args.name)
    for cache_home in homes:
        shutil.rmtree(cache_home, ignore_errors=True)  # the runs' caches: tens of MB each
    return 0


def _work(stderr: str) -> str:
    """Blobs read and file versions parsed, from log's stderr line."""
    found = re.search(r"blobs read for candidates (\d+) \(of (\d+).*needed (\d+), parsed (\d+)", stderr)
    if found is None:
        return ""
    read, changed, needed, parsed = found.groups()
    where = "in changed files and the last tree"
    return f"{read} blobs read for candidates (of {changed} {where}), {parsed} of {needed} versions parsed"


def _compare(pickaxe: list[str], ours: list[str], env: dict[str, str], name: str) -> None:
    """Which commits each finds that the other does not (log's from the last run's cache: warm)."""
    lines = subprocess.run(pickaxe, capture_output=True, text=True, check=True).stdout.splitlines()
    found = dict(line.split(" ", 1) for line in lines)
    log = json.loads(subprocess.run(ours, capture_output=True, text=True, env=env, check=True).stdout)
    touched = {c["commit"]: c for c in log["commits"]}
    listed = [c for c in log["commits"] if c["listed"]]
    print(f"\ngit log -S finds {len(found)} commits; log lists {len(listed)}")
    print("found by -S, not listed by log (log's reason; 'not touched': it changed no C file naming a tracked name):")
    for sha, subject in found.items():
        if sha not in touched or not touched[sha]["listed"]:
            why = touched[sha]["reason"] if sha in touched else "not touched"
            print(f"  {sha[:12]}  {why:<11}  {subject}")
    print(f"listed by log, not found by -S (what changed; {name} first):")
    for commit in sorted(listed, key=lambda c: name not in _changed(c)):
        if commit["commit"] not in found:
            print(f"  {commit['commit'][:12]}  {commit['subject']}\n      {_changed(commit)}")


def _changed(commit: dict[str, Any]) -> str:
    """What a listed commit changed: each site change by name and kind, then each other family."""
    diff = commit["diff"]
    sites = [f"{c['ident']} {c['kind']} {c['status']}" for c in diff["changes"] if c["status"] != "unchanged"]
    facts = [f"{c['family']} {c['status']}" for c in diff["fact_changes"] if c["status"] != "unchanged"]
    return "; ".join(dict.fromkeys(sites + facts))


if __name__ == "__main__":
    sys.exit(main())
