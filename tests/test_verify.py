"""verify: predictions of a release's source against live runs on this kernel, and a table that lies.

Needs root, PID namespaces and a C compiler: skipped without them, failed under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import live
from analyzer.cli import main
from analyzer.live import helper
from analyzer.report import json as json_report
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent
FORCE = ROOT / "fixtures" / "delivery" / "force"  # trimmed from 6.1.176: the shape of every kernel since 4.x


@pytest.fixture(scope="module", autouse=True)
def live_runs(tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("verify-cache")))
        try:
            helper.check_platform()
            helper.probe(helper.build())
        except live.LiveUnavailable as exc:
            unavailable(f"live runs are not possible here: {exc}")


def test_the_6_1_shape_agrees_with_this_kernel_cell_by_cell(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    code = main(["verify", str(FORCE), "--format", "json", "-o", str(out)])
    data = json.loads(out.read_text())
    json_report.validate(data, "test")
    disagree = [c for c in data["cases"] if c["agree"] is False]
    assert code == 0 and not disagree, disagree[:3]
    assert data["summary"] == {"compared": 280, "agree": 280, "disagree": 0, "unknown": 0, "not_run": 0}
    assert data["kernel"] == os.uname().release
    assert data["warning"].startswith(f"the running kernel ({os.uname().release}) is not the release predicted from")
    kill = next(
        c
        for c in data["cases"]
        if (c["sender"], c["disposition"], c["signal"]) == ("ancestor-ns", "default", "SIGKILL")
    )
    assert (kill["predicted"], kill["observed"]) == ("killed", "killed")
    assert kill["evidence"]  # the raw wait status and what init saw, for a reader to check


def test_an_atom_table_with_one_meaning_flipped_disagrees_and_says_why(tmp_path: Path) -> None:
    # Pretend the flag test means nothing: every unkillable init looks killable.
    queries = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", queries)
    atoms = queries / "delivery" / "atoms.txt"
    text = atoms.read_text()
    flipped = text.replace(
        "$T->signal->flags&SIGNAL_UNKILLABLE            => unkillable",
        "$T->signal->flags&SIGNAL_UNKILLABLE            => 0",
    )
    assert flipped != text
    atoms.write_text(flipped)
    env = {**os.environ, "SIGANALYZE_QUERIES": str(queries), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "verify", str(FORCE)], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 1, done.stderr
    # a same-ns SIGTERM with SIG_DFL now looks fatal; the kernel drops it
    line = next(x for x in done.stdout.splitlines() if "same-ns" in x and " default " in x and "SIGTERM" in x)
    assert "DISAGREE" in line and "predicted killed" in line and "observed dropped" in line
    assert "t->signal->flags & SIGNAL_UNKILLABLE = 0" in done.stdout  # the reason names the flipped atom
