"""explain on the era fixtures: DELIVERY.md's words, every format, an init as PID 1, --strict.

Cell expectations are the hand-written ones of fixtures/delivery/*.expected.tsv and, with an
init, read from fixtures/inits/waitinit/waitinit.c (it blocks every signal but SIGFPE, SIGSEGV,
SIGBUS and SIGILL, and reads them with sigtimedwait).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.report import json as json_report

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FORCE = FIXTURES / "delivery" / "force"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cells_of(data: dict) -> dict[tuple[str, str, str, str], dict]:
    return {(c["target"], c["sender"], c["disposition"], c["signal"]): c for c in data["delivery"]}


def test_text_uses_delivery_words_and_groups_signals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", str(FORCE))
    assert code == 0
    assert out.startswith("Delivery table of ")
    assert "container-init <- ancestor-ns" in out and "global-init <- ancestor-ns" not in out
    assert "signal                            default   ignored   handler   blocked" in out
    block = out.split("container-init <- ancestor-ns")[1].split("\n\n")[0]
    assert "  SIGKILL                           killed    -         -         -" in block
    assert "  SIGSTOP                           stopped   -         -         -" in block
    assert "container-init: a container init's death kills every process of its pid namespace" in out
    assert "686 cells, 0 unknown" in out


def test_verbose_gives_each_cells_conditions_with_places(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "explain", str(FORCE), "-v")
    block = out.split("container-init <- ancestor-ns")[1].split("container-init <- kernel")[0]
    reasons = block.split("SIGKILL, default: killed")[1].split("      SIGSTOP")[0]
    # the force decision for a host's kill(2) and the ignore test it passes (fixture's lines)
    assert "task_pid_nr_ns(current, task_active_pid_ns(t)) = 0" in reasons
    assert "force = true; = true" in reasons
    assert "sig_ignored() returns = false" in reasons
    assert "kernel/signal.c:" in reasons


def test_json_contract(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "e.json"
    assert run(capsys, "explain", str(FORCE), "--format", "json", "-o", str(out))[0] == 0
    data = json.loads(out.read_text())
    json_report.validate(data, "test")
    assert data["schema"] == "siganalyze/explain" and data["init"] is None
    cell = cells_of(data)[("container-init", "ancestor-ns", "default", "SIGTERM")]
    assert {"target", "sender", "disposition", "signal", "outcome", "because"} <= set(cell)
    assert cell["outcome"] == "dropped"
    assert all(set(r) == {"path", "line", "text", "value"} for r in cell["because"])
    assert len(data["delivery"]) == 686


@pytest.mark.parametrize("fmt", ["md", "rst", "csv", "html"])
def test_every_table_format(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "explain", str(FORCE), "--format", fmt)
    assert code == 0
    if fmt == "html":
        assert "<details><summary>killed</summary>" in out and "container-init" in out
    elif fmt == "csv":
        rows = [line.split(",") for line in out.splitlines()]
        assert ["container_init", "ancestor-ns", "default", "SIGKILL", "killed", ""] in rows
    else:
        assert "SIGKILL" in out and "killed" in out and "container-init" in out


def test_with_an_init_each_signal_takes_the_inits_disposition(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "waitinit.json"
    init = FIXTURES / "inits" / "waitinit"
    assert run(capsys, "scan", str(init), "--format", "json", "-o", str(saved))[0] == 0
    out = tmp_path / "e.json"
    assert run(capsys, "explain", str(FORCE), "--init", str(saved), "--format", "json", "-o", str(out))[0] == 0
    data = json.loads(out.read_text())
    json_report.validate(data, "test")
    cells = cells_of(data)
    assert data["init"]["project"] == "init"
    # one cell per target, sender and signal: the disposition is init's
    assert len({k[:2] + k[3:] for k in cells}) == len(cells)
    assert cells[("container-init", "ancestor-ns", "blocked", "SIGTERM")]["outcome"] == "pending"
    assert cells[("container-init", "fault", "default", "SIGSEGV")]["outcome"] == "killed"
    assert cells[("container-init", "same-ns", "default", "SIGSEGV")]["outcome"] == "dropped"
    assert cells[("container-init", "ancestor-ns", "default", "SIGKILL")]["outcome"] == "killed"
    assert "waitinit.c" in cells[("container-init", "ancestor-ns", "blocked", "SIGTERM")]["init"]
    assert cells[("container-init", "ancestor-ns", "default", "SIGKILL")]["init"].startswith("cannot be caught")
    # text: the init's decision beside each outcome
    code, text, _ = run(capsys, "explain", str(FORCE), "--init", str(saved))
    assert code == 0 and "disposition  outcome    init" in text


def test_strict_turns_unknown_cells_into_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    # 2.6.25's job-control stop path asks is_current_pgrp_orphaned(): no meaning in the table
    code, out, err = run(capsys, "explain", str(FIXTURES / "delivery" / "pre-flag"), "--strict")
    assert code == 3
    assert "unknown: is_current_pgrp_orphaned()" in out
    assert "unknown cell(s)" in err


def test_an_init_tree_is_not_a_kernel(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", str(FIXTURES / "inits" / "waitinit"))
    assert code == 2 and "not a kernel" in err and "--init" in err


def test_an_ordinary_program_as_pid_1_leaves_everything_at_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    program = tmp_path / "app"
    program.mkdir()
    (program / "app.c").write_text("#include <unistd.h>\nint main(void) { for (;;) pause(); return 0; }\n")
    saved = tmp_path / "app.json"
    assert run(capsys, "scan", str(program), "--format", "json", "-o", str(saved))[0] == 0
    out = tmp_path / "e.json"
    assert run(capsys, "explain", str(FORCE), "--init", str(saved), "--format", "json", "-o", str(out))[0] == 0
    cells = cells_of(json.loads(out.read_text()))
    term = cells[("container-init", "ancestor-ns", "default", "SIGTERM")]
    assert term["outcome"] == "dropped" and term["init"] == "never set: left at default"
    # the init-side decision is the cell's first reason
    assert term["because"][0] == {
        "path": "",
        "line": 0,
        "text": "init never sets it (left at default)",
        "value": "default",
    }
    assert cells[("container-init", "ancestor-ns", "default", "SIGKILL")]["outcome"] == "killed"
    assert {k[2] for k in cells} == {"default"}
