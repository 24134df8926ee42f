"""The delivery table of each era's fixture against the table written by hand from its C.

fixtures/delivery/<era>.expected.tsv were written from reading the fixture's source, before
the evaluator ran on them (fixtures/delivery/README.md, <era>.reasons.md). The edits under
fixtures/delivery/edits/ prove the table comes from the source: each removes one term and
lists, by hand, exactly the cells that must change.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.delivery.machine import SIGNALS, cells_exist
from analyzer.vocab import Delivered, Sender, Target

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"
ERAS = ("pre-flag", "boot-only", "ancestor-ns", "force")
Key = tuple[str, str, str, str]  # target, sender, disposition, signal


def every_cell() -> list[Key]:
    return [
        (t.value, s.value, d.value, name)
        for t in Target
        for s in Sender
        for d in Delivered
        for name, _ in SIGNALS
        if cells_exist(t, s, d, name)
    ]


def read_rules(path: Path, explicit: bool = False) -> dict[Key, str]:
    """A hand-written table: `target sender disposition signals outcome`, `other` for the rest."""
    rules: list[tuple[str, str, str, list[str] | None, str]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        target, sender, disposition, signals, outcome = line.split("\t")
        listed = None if signals == "other" else signals.split(",")
        assert not (explicit and listed is None), f"{path.name}: `other` in a list of changed cells"
        rules.append((target, sender, disposition, listed, outcome))
    table: dict[Key, str] = {}
    for target, sender, disposition, listed, outcome in rules:
        for name in listed or ():
            key = (target, sender, disposition, name)
            assert key not in table, f"{path.name}: {key} twice"
            table[key] = outcome
    if explicit:
        return table
    for target, sender, disposition, listed, outcome in rules:
        if listed is None:
            for key in every_cell():
                if key[:3] == (target, sender, disposition) and key not in table:
                    table[key] = outcome
    return table


def predicted(tree: Path, tmp_path: Path) -> dict[Key, dict]:
    out = tmp_path / f"{tree.name}.json"
    assert main(["scan", str(tree), "--format", "json", "-o", str(out)]) == 0
    cells = json.loads(out.read_text())["delivery"]
    return {(c["target"], c["sender"], c["disposition"], c["signal"]): c for c in cells}


def test_the_hand_tables_cover_every_cell_once() -> None:
    for era in ERAS:
        assert set(read_rules(FIXTURES / f"{era}.expected.tsv")) == set(every_cell()), era


@pytest.mark.parametrize("era", ERAS)
def test_each_era_cell_by_cell(era: str, tmp_path: Path) -> None:
    expected = read_rules(FIXTURES / f"{era}.expected.tsv")
    cells = predicted(FIXTURES / era, tmp_path)
    wrong = {
        key: (cells[key]["outcome"], outcome, cells[key].get("unknown"))
        for key, outcome in expected.items()
        if cells[key]["outcome"] != outcome
    }
    assert not wrong, f"{len(wrong)} cells differ (predicted, by hand, unknown): {dict(list(wrong.items())[:8])}"
    assert set(cells) == set(expected)


def _edit(era: str, patch: Path, tmp_path: Path) -> Path:
    tree = tmp_path / era
    shutil.copytree(FIXTURES / era, tree)
    # `git apply` works outside a repository and is installed wherever the tests run.
    subprocess.run(["git", "apply", "-p1", str(patch)], cwd=tree, check=True, capture_output=True)
    return tree


EDITS = {
    "force-no-ancestor-term": "force",
    "ancestor-ns-no-newpid-flag": "ancestor-ns",
    "force-no-global-init-test": "force",
    "force-no-unkillable-clear": "force",
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edit_of_the_source_changes_exactly_the_cells_it_must(name: str, tmp_path: Path) -> None:
    era = EDITS[name]
    (tmp_path / "before").mkdir()
    before = predicted(FIXTURES / era, tmp_path / "before")
    after = predicted(_edit(era, FIXTURES / "edits" / f"{name}.patch", tmp_path), tmp_path)
    changed = {key: after[key]["outcome"] for key in before if after[key]["outcome"] != before[key]["outcome"]}
    assert changed == read_rules(FIXTURES / "edits" / f"{name}.changed.tsv", explicit=True)


def test_a_diff_names_exactly_the_cells_the_hand_tables_differ_in(tmp_path: Path) -> None:
    """boot-only (2.6.26) -> ancestor-ns (2.6.34): the flag set on CLONE_NEWPID and from_ancestor_ns."""
    old, new = read_rules(FIXTURES / "boot-only.expected.tsv"), read_rules(FIXTURES / "ancestor-ns.expected.tsv")
    expected = {key: (old[key], new[key]) for key in old if old[key] != new[key]}
    out = tmp_path / "diff.json"
    code = main(
        ["diff", str(FIXTURES / "boot-only"), str(FIXTURES / "ancestor-ns"), "--format", "json", "-o", str(out)]
    )
    assert code == 0
    changes = [c for c in json.loads(out.read_text())["fact_changes"] if c["family"] == "delivery"]
    found = {
        (c["new"]["target"], c["new"]["sender"], c["new"]["disposition"], c["new"]["signal"]): (
            c["old"]["outcome"],
            c["new"]["outcome"],
        )
        for c in changes
    }
    assert found == expected
    assert any(key[0] == "container-init" for key in expected)  # the change container inits got
    # a changed cell is a logic change for the review gate, and a SARIF result
    gate = ["diff", str(FIXTURES / "boot-only"), str(FIXTURES / "ancestor-ns"), "--fail-on-change", "--quiet"]
    assert main(gate) == 1
    sarif = tmp_path / "diff.sarif"
    main(["diff", str(FIXTURES / "boot-only"), str(FIXTURES / "ancestor-ns"), "--format", "sarif", "-o", str(sarif)])
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert sum(1 for r in results if r["ruleId"].startswith("delivery")) == len(expected)


def test_the_diff_text_says_cells_that_changed_alike_once_and_never_joins_other_cells(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """force-no-unkillable-clear changes 30 cells (its hand table): five fault signals in each of
    two targets x three dispositions, all killed -> dropped. Each line names one target and one
    disposition: cells of another target or disposition are never folded into it."""
    edited = _edit("force", FIXTURES / "edits" / "force-no-unkillable-clear.patch", tmp_path)
    assert main(["diff", str(FIXTURES / "force"), str(edited)]) == 0
    heads = [
        line for line in capsys.readouterr().out.splitlines() if line.startswith("  changed   ") and " from " in line
    ]
    expected = read_rules(FIXTURES / "edits" / "force-no-unkillable-clear.changed.tsv", explicit=True)
    named = set()
    for head in heads:
        words = head.split()
        target, disposition = words[words.index("to") + 1], words[words.index("from") + 2].rstrip(":")
        signals = head.split("changed", 1)[1].split(" to ", 1)[0].split(", ")
        named |= {(target, "fault", disposition, s.strip()) for s in signals}
    assert named == set(expected)
    assert len(heads) == 6
