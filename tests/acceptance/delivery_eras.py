"""Acceptance on real trees: each release's delivery table against the hand-written table of its era.

Usage: python tests/acceptance/delivery_eras.py REPO [REF=ERA ...]

The era fixtures under fixtures/delivery/ are trimmed verbatim from real releases and their
tables were written by hand from their C; a release of the same shape must give the same
686 cells. Defaults: the corpus's releases of each era (fixtures/delivery/README.md says
which releases share a table). Not collected by pytest (it needs the corpus).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/
from test_delivery_eras import FIXTURES, read_rules

DEFAULT = {
    "v2.6.25": "pre-flag",
    "v2.6.26": "boot-only",
    "v2.6.29": "boot-only",
    "v2.6.30": "ancestor-ns",
    "v2.6.34": "ancestor-ns",
    "v5.10.223": "force",
    "v6.1.176": "force",
    "v6.12.107": "force",
    "v7.2.8": "force",
}


def main() -> int:
    repo, pairs = sys.argv[1], dict(arg.split("=", 1) for arg in sys.argv[2:]) or DEFAULT
    failed = 0
    for ref, era in pairs.items():
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "e.json"
            command = ["siganalyze", "explain", ref, "--repo", repo, "--format", "json", "-o", str(out)]
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
            cells = {
                (c["target"], c["sender"], c["disposition"], c["signal"]): c["outcome"]
                for c in json.loads(out.read_text())["delivery"]
            }
        expected = read_rules(FIXTURES / f"{era}.expected.tsv")
        wrong = {key: (cells.get(key), outcome) for key, outcome in expected.items() if cells.get(key) != outcome}
        failed += bool(wrong)
        print(f"{ref:<12} vs {era:<12} {len(expected) - len(wrong)} of {len(expected)} cells agree", end="")
        print(f"; first differences (predicted, by hand): {list(wrong.items())[:3]}" if wrong else "")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
