"""A fact family is the one extension point: one defined here shows in every command and format."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzer import families
from analyzer.cli import main
from analyzer.families import Family, FileFacts, Level, Release
from analyzer.model import Location
from analyzer.report import json as json_report

# A family this package was not written for: every `printk(` call in a parsed C file, by the
# function it sits in. Expectations below come from reading fixtures/kernel/r2 and r3.
_PRINTK = re.compile(rb"\bprintk\s*\(")


@dataclass(frozen=True, slots=True)
class Printk:
    """A printk call."""

    function: str
    location: Location


def _printks(facts: FileFacts) -> list[Printk]:
    found = []
    for match in _PRINTK.finditer(facts.data):
        where = facts.locate(match.start())
        node = facts.tree.root_node.descendant_for_byte_range(match.start(), match.start()) if facts.tree else None
        while node is not None and node.type != "function_definition":
            node = node.parent
        name = node.child_by_field_name("declarator") if node is not None else None
        while name is not None and name.type != "identifier":
            name = name.child_by_field_name("declarator")
        if name is not None and name.text and not (where.path.endswith(".h")):
            found.append(Printk(name.text.decode(), where))
    return found


def _count(release: Release) -> list[Printk]:
    # A per-release extractor: sees the per-file records of every file of the release.
    return sorted((p for r in release.files.values() for p in r.of("printk")), key=lambda p: p.location)


PRINTKS = Family(
    name="printk",
    title="Kernel messages",
    record=Printk,
    report_key="printks",
    compared=lambda p: {"function": p.function, "path": p.location.path},
    levels=(Level(lambda p: (p.function, p.location.path)),),
    describe=lambda p: [f"printk in {p.function} at {p.location.path}:{p.location.line}"],
    per_file=_printks,
    per_release=_count,
)


@pytest.fixture
def printk_family() -> Iterator[Family]:
    families.register(PRINTKS)
    yield PRINTKS
    families.unregister(PRINTKS.name)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_a_family_of_a_test_shows_in_every_format(
    printk_family: Family, kernel_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = ("--repo", str(kernel_repo), "--track", "printk")
    # fixtures/kernel/r2 calls printk in init/main.c:34 try_program, kernel/signal.c:172
    # report_dropped_signal, mm/oom_kill.c:59 oom_kill_task and :79 out_of_memory.
    r2 = [
        ("try_program", "init/main.c", 34),
        ("report_dropped_signal", "kernel/signal.c", 172),
        ("oom_kill_task", "mm/oom_kill.c", 59),
        ("out_of_memory", "mm/oom_kill.c", 79),
    ]
    code, out = run(capsys, "scan", "v-r2", *repo, "--format", "json")
    data = json.loads(out)
    json_report.validate(data, "scan")
    assert code == 0 and [(p["function"], p["path"], p["line"]) for p in data["printks"]] == r2
    code, text = run(capsys, "scan", "v-r2", *repo)
    assert "Kernel messages" in text and "printk in report_dropped_signal at kernel/signal.c:172" in text
    for fmt in ("md", "rst", "html"):
        _, out = run(capsys, "scan", "v-r2", *repo, "--format", fmt)
        assert "Kernel messages" in out and "report_dropped_signal" in out and "mm/oom_kill.c:79" in out, fmt
    _, out = run(capsys, "scan", "v-r2", *repo, "--format", "csv")
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r["table"] == "printk"]
    assert [r["function"] for r in rows] == [name for name, _, _ in r2]


def test_a_family_of_a_test_is_diffed_and_followed(
    printk_family: Family, kernel_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = ("--repo", str(kernel_repo), "--track", "printk")
    # r3 keeps only try_program's printk (init/main.c:33); r1 had that one alone (line 27).
    code, out = run(capsys, "diff", "v-r2", "v-r3", *repo, "--format", "json")
    data = json.loads(out)
    json_report.validate(data, "diff")
    printk = {
        (c["status"], (c["new"] or c["old"])["function"]) for c in data["fact_changes"] if c["family"] == "printk"
    }
    assert code == 0 and printk == {
        ("unchanged", "try_program"),
        ("removed", "report_dropped_signal"),
        ("removed", "oom_kill_task"),
        ("removed", "out_of_memory"),
    }
    code, out = run(capsys, "diff", "v-r1", "v-r2", *repo, "--format", "sarif", "--fail-on-change")
    results = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"].startswith("printk/")]
    assert code == 1 and [r["ruleId"] for r in results] == ["printk/added"] * 3
    for fmt in ("text", "md", "rst", "csv", "html"):
        _, out = run(capsys, "diff", "v-r1", "v-r2", *repo, "--format", fmt)
        assert "printk" in out and "oom_kill_task" in out, fmt
    code, out = run(capsys, "history", "v-r1..v-r3", *repo, "--format", "json")
    data = json.loads(out)
    json_report.validate(data, "history")
    rows = sorted(
        (r["facts"][1] or r["facts"][0])["function"] + ":" + ",".join(r["cells"])
        for r in data["rows"]
        if r["family"] == "printk"
    )
    assert code == 0 and rows == [
        "oom_kill_task:,added,",
        "out_of_memory:,added,",
        "report_dropped_signal:,added,",
        "try_program:present,unchanged,unchanged",
    ]
    for fmt in ("text", "html", "md"):
        _, out = run(capsys, "history", "v-r1..v-r3", *repo, "--format", fmt)
        assert "Kernel messages" in out or "printk" in out, fmt


def test_an_unregistered_family_leaves_no_trace(kernel_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "scan", "v-r2", "--repo", str(kernel_repo), "--format", "json")
    assert "printks" not in json.loads(out)


def test_registry_refuses_a_second_family_of_one_name() -> None:
    with pytest.raises(ValueError, match="registered already"):
        families.register(Family("site", "Again", Printk, "again", compared=vars))


def names(found: Sequence[Family]) -> list[str]:
    return [f.name for f in found]


def test_built_in_families_in_extraction_order() -> None:
    # the kill path needs the sites and calls before it, the delivery table the routines, sites,
    # classes and force decision; calls and routines are never shown
    assert names(families.families()) == [
        "site",
        "mask",
        "force",
        "call",
        "kill_path",
        "disposition",
        "routine",
        "delivery",
    ]
    assert names(families.shown()) == ["site", "mask", "force", "kill_path", "disposition", "delivery"]
