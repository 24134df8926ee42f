"""Score of the last mutmut run per module, from mutants/**/*.meta (tests/mutation/README.md).

score.py GLOB...                 killed / survived / timeout / no tests / total per module
score.py --not-killed GLOB...    names of the mutants not killed, one a line (for --again)
score.py --survivors GLOB...     the mutants run and not killed, with their status and diff (mutmut show)
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 36: "timeout", 24: "timeout"}
STATUS.update({-24: "timeout", 152: "timeout", 255: "timeout", 37: "killed", None: "not run"})
COLUMNS = ("killed", "survived", "timeout", "no tests", "other", "not run")


def results(globs: list[str]) -> dict[str, str]:
    """Mutant name -> status, for the mutants matching one of `globs`."""
    found: dict[str, str] = {}
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if any(fnmatch.fnmatchcase(name, g) for g in globs):
                found[name] = STATUS.get(code, "other")
    return found


def module_of(name: str) -> str:
    return name.split(".x_")[0].split(".xǁ")[0]


def main(argv: list[str]) -> int:
    mode = argv[0] if argv and argv[0].startswith("--") else None
    globs = argv[1:] if mode else argv
    found = results(globs)
    if mode in ("--not-killed", "--survivors"):
        for name, status in sorted(found.items()):
            if status != "killed" and not (mode == "--survivors" and status == "not run"):
                print(name)
                if mode == "--survivors":
                    show = subprocess.run([".venv/bin/mutmut", "show", name], capture_output=True, text=True)
                    print(f"  [{status}]\n" + "\n".join("  " + line for line in show.stdout.splitlines()[2:]))
        return 0
    per_module: dict[str, Counter[str]] = {}
    for name, status in found.items():
        per_module.setdefault(module_of(name), Counter())[status] += 1
    print(f"{'module':40} " + " ".join(f"{c:>8}" for c in (*COLUMNS, "total", "score")))
    total: Counter[str] = Counter()
    for module, counts in sorted(per_module.items()):
        total.update(counts)
        print(_line(module, counts))
    print(_line("all", total))
    return 0


def _line(name: str, counts: Counter[str]) -> str:
    n = sum(counts.values())
    score = f"{100 * counts['killed'] / n:.0f}%" if n else "-"
    return f"{name:40} " + " ".join(f"{counts[c]:>8}" for c in COLUMNS) + f" {n:>8} {score:>8}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
