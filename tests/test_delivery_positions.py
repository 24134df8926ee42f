"""A delivery table computed once serves a release whose code only moved (analyzer/delivery/positions.py).

The expectations come from the edits, not from the code: lines inserted above the code the
table reads move every reason in that file by the number of lines inserted, and nothing else.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analyzer.delivery import machine
from analyzer.delivery.positions import BAND, BandedTable, _shift_statements, banded, real_line
from analyzer.families import delivery as delivery_family
from analyzer.model import DeliveryCell, ForceAssignment, Location, Reason, Routine
from analyzer.scan import scan
from analyzer.sources.directory import DirectorySource
from analyzer.vocab import Delivered, Outcome, Sender, Target

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"
FIXTURE = FIXTURES / "ancestor-ns"


def _cell(
    outcome: Outcome, because: tuple[Reason, ...], unknown: str | None = None, signal: str = "SIGTERM"
) -> DeliveryCell:
    """A global init's cell for a default signal from its own namespace."""
    return DeliveryCell(Target.GLOBAL_INIT, Sender.SAME_NS, Delivered.DEFAULT, signal, outcome, because, unknown)


def _cells(root: Path) -> list[DeliveryCell]:
    return list(scan(DirectorySource(root)).facts["delivery"])


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many tables the machine computed (the memo starts empty)."""
    monkeypatch.setattr(delivery_family, "_TABLES", [])
    calls: list[int] = []
    real = machine.table_with_names

    def counting(inputs: machine.Inputs) -> tuple[list[DeliveryCell], frozenset[str]]:
        calls.append(1)
        return real(inputs)

    monkeypatch.setattr(machine, "table_with_names", counting)
    return calls


def _prepend(path: Path, lines: int) -> None:
    path.write_text("/* moved */\n" * lines + path.read_text(encoding="utf-8"), encoding="utf-8")


def test_code_moved_down_reuses_the_table_with_its_reasons_on_the_new_lines(tmp_path: Path, counted: list[int]) -> None:
    before = _cells(FIXTURE)
    assert len(counted) == 1
    moved = tmp_path / "tree"
    shutil.copytree(FIXTURE, moved)
    _prepend(moved / "kernel" / "signal.c", 5)
    _prepend(moved / "kernel" / "fork.c", 2)
    after = _cells(moved)
    assert len(counted) == 1, "only lines moved: the table is not computed again"
    shift = {"kernel/signal.c": 5, "kernel/fork.c": 2}
    assert any(r.path == "kernel/signal.c" for c in before for r in c.because)
    assert any(r.path == "kernel/fork.c" for c in before for r in c.because)
    expected = [
        DeliveryCell(
            c.target,
            c.sender,
            c.disposition,
            c.signal,
            c.outcome,
            tuple(Reason(r.path, r.line + shift.get(r.path, 0), r.text, r.value) for r in c.because),
            c.unknown,
        )
        for c in before
    ]
    assert after == expected
    delivery_family._TABLES.clear()
    assert _cells(moved) == after, "the reused table is the one computed afresh"
    assert len(counted) == 2


def test_a_line_added_inside_a_routine_the_table_reads_computes_it_again(tmp_path: Path, counted: list[int]) -> None:
    _cells(FIXTURE)
    moved = tmp_path / "tree"
    shutil.copytree(FIXTURE, moved)
    signal_c = moved / "kernel" / "signal.c"
    text = signal_c.read_text(encoding="utf-8")
    head = "static int sig_ignored(struct task_struct *t, int sig, int from_ancestor_ns)\n{\n"
    assert head in text
    signal_c.write_text(text.replace(head, head + "\n"), encoding="utf-8")
    after = _cells(moved)
    assert len(counted) == 2
    delivery_family._TABLES.clear()
    assert _cells(moved) == after


def test_statements_move_by_the_shift_at_every_depth() -> None:
    body = [["if", 10, "a", [["return", 11, "1"]], [["loop", 12, "for (;;)", [["break", 13]]]]], ["expr", 14, "b()"]]
    assert _shift_statements(body, 100) == [
        ["if", 110, "a", [["return", 111, "1"]], [["loop", 112, "for (;;)", [["break", 113]]]]],
        ["expr", 114, "b()"],
    ]
    assert _shift_statements([["if", 3, "x", [], None]], -1) == [["if", 2, "x", [], None]]


def test_bands_and_the_way_back() -> None:
    routine = Routine("f", "function", ("t",), Location("k.c", 40, 1), json.dumps([["return", 42, "0"]]))
    force = ForceAssignment("force", "true", "g", Location("k.c", 90, 3), "force = true;")
    placed = banded({"f": routine}, [force], [])
    assert placed is not None
    (moved_force,) = placed.force
    assert moved_force.location == Location("k.c", BAND, 3)  # the first force slot
    moved = placed.routines["f"]
    (statement,) = json.loads(moved.body)
    assert statement[1] - moved.location.line == 2  # two lines into its routine, as before
    assert real_line(statement[1], placed.starts) == 42
    assert real_line(BAND + 1, placed.starts) == 91
    assert real_line(0, placed.starts) == 0  # outside every band
    cell = _cell(Outcome.UNKNOWN, (Reason("k.c", BAND, "force = true;", "true"),), f"x(y) (k.c:{statement[1]})")
    (back,) = BandedTable([cell]).on(placed.starts)
    assert back.because == (Reason("k.c", 90, "force = true;", "true"),)
    assert back.unknown == "x(y) (k.c:42)"


def test_two_names_in_one_band_fall_back_to_real_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.delivery import positions

    monkeypatch.setattr(positions.zlib, "crc32", lambda data: 7)
    one = Routine("f", "macro", ("x",), Location("k.h", 1, 1), "x")
    two = Routine("g", "macro", ("x",), Location("k.h", 2, 1), "x")
    assert banded({"f": one, "g": two}, [], []) is None


def _force(line: int) -> ForceAssignment:
    return ForceAssignment("force", "true", "g", Location("kernel/signal.c", line, 2), "force = true;")


def test_every_record_has_a_band_of_its_own_up_to_the_last_slot() -> None:
    """4095 force assignments fill slots 1 … 4095, 4096 flag sets fill 4096 … 8191: one more is refused."""
    from tests.test_delivery_machine import flag_set

    forces = [_force(line) for line in range(1, 4096)]
    sets = [flag_set("copy_process", line=line) for line in range(1, 4097)]
    placed = banded({}, forces, sets)
    assert placed is not None
    lines = [r.location.line for r in (*placed.force, *placed.sets)]
    assert len(set(lines)) == len(lines) == 4095 + 4096  # no band shared
    assert [real_line(r.location.line, placed.starts) for r in placed.force] == list(range(1, 4096))
    assert [real_line(r.location.line, placed.starts) for r in placed.sets] == list(range(1, 4097))
    assert banded({}, [*forces, _force(5000)], sets) is None
    assert banded({}, forces, [*sets, flag_set("copy_process", line=5000)]) is None


def test_a_table_moved_twice_onto_the_same_lines_is_moved_once() -> None:
    cell = DeliveryCell(
        Target.CONTAINER_INIT,
        Sender.ANCESTOR_NS,
        Delivered.BLOCKED,
        "SIGKILL",
        Outcome.KILLED,
        (Reason("k.c", BAND + 3, "a", "1"), Reason("", 0, "b", "true")),
        None,
        "sigprocmask in main.c:3",
    )
    table = BandedTable([cell])
    first = table.on({1: 100})
    assert first == [
        DeliveryCell(
            Target.CONTAINER_INIT,
            Sender.ANCESTOR_NS,
            Delivered.BLOCKED,
            "SIGKILL",
            Outcome.KILLED,
            (Reason("k.c", 103, "a", "1"), Reason("", 0, "b", "true")),
            None,
            "sigprocmask in main.c:3",
        )
    ]
    again = table.on({1: 100})
    assert again == first and again[0] is first[0]  # kept, not moved again
    elsewhere = table.on({1: 200})
    assert elsewhere[0].because[0] == Reason("k.c", 203, "a", "1")
    assert table.on({1: 100})[0].because[0].line == 103


def test_inputs_that_meet_on_one_line_are_computed_on_real_lines(
    tmp_path: Path, counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two force assignments on one line: on real lines the second `if (...)` reason is said once
    (the trail skips a reason it has just noted at the same place); on bands it would be said
    twice. The table must be the one computed on real lines, with no band at all."""
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "force", tree)
    signal_c = tree / "kernel" / "signal.c"
    line = "\t\tforce = !task_pid_nr_ns(current, task_active_pid_ns(t));\n"
    text = signal_c.read_text(encoding="utf-8")
    assert text.count(line) == 1
    signal_c.write_text(text.replace(line, "\t\tforce = mystery(t); if (other(t)) force = mystery(t);\n"))
    got = _cells(tree)
    from analyzer.delivery import positions

    monkeypatch.setattr(positions, "banded", lambda *args: None)  # every table on real lines
    delivery_family._TABLES.clear()
    assert got == _cells(tree)
    assert not delivery_family._TABLES  # a table on real lines is never kept for another commit


def test_an_unknown_cells_place_moves_back_whatever_its_path_holds() -> None:
    """A directory source's path may hold spaces or parentheses: the line after its last colon moves."""
    routine = Routine("f", "function", ("t",), Location("my dir (old)/k.c", 40, 1), json.dumps([["return", 42, "0"]]))
    placed = banded({"f": routine}, [], [])
    assert placed is not None
    (statement,) = json.loads(placed.routines["f"].body)
    cell = _cell(Outcome.UNKNOWN, (), f"g(t) (my dir (old)/k.c:{statement[1]})")
    (back,) = BandedTable([cell]).on(placed.starts)
    assert back.unknown == "g(t) (my dir (old)/k.c:42)"


def test_a_cell_whose_slots_did_not_move_is_kept_and_the_others_move() -> None:
    """Slot 1 holds a force assignment, slot 2 another: moving slot 2 moves only the cells that read it,
    an unknown cell's place included; the cells reading slot 1 alone (or no slot) are the last call's."""

    def cell(signal: str, lines: tuple[int, ...], unknown: str | None = None) -> DeliveryCell:
        reasons = tuple(Reason("k.c", line, f"r{line}", "1") for line in lines)
        return _cell(Outcome.UNKNOWN if unknown else Outcome.KILLED, reasons, unknown, signal)

    table = BandedTable(
        [
            cell("SIGHUP", (BAND + 1,)),
            cell("SIGINT", (BAND + 1, 2 * BAND + 4)),
            cell("SIGQUIT", (0,)),
            cell("SIGILL", (BAND + 2,), f"x (k.c:{2 * BAND + 9})"),
        ]
    )
    first = table.on({1: 10, 2: 50})
    second = table.on({1: 10, 2: 70})
    assert [c.because[-1].line if c.because else None for c in second] == [11, 74, 0, 12]
    assert second[3].unknown == "x (k.c:79)"
    assert [a is b for a, b in zip(first, second, strict=True)] == [True, False, True, False]
    third = table.on({1: 20, 2: 70})
    assert [c.because[0].line for c in third] == [21, 21, 0, 22]
    assert [a is b for a, b in zip(second, third, strict=True)] == [False, False, True, False]


def test_a_table_whose_cells_read_no_slot_is_moved_onto_no_lines_whole() -> None:
    """The first move, with no slot at all, gives every cell (found by review: an empty last move
    looked like this one)."""
    cell = _cell(Outcome.DROPPED, (Reason("", 0, "a", "1"),))
    assert BandedTable([cell]).on({}) == [cell]
