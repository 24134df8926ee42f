"""JSON reports: round trip, validation on write and on load, deterministic text."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from analyzer.diff import diff_reports
from analyzer.errors import ReportError
from analyzer.report import json as json_report
from analyzer.scan import scan_many
from analyzer.sources import open_source


@pytest.fixture
def reports(kernel_repo: Path):  # type: ignore[no-untyped-def]
    return scan_many([open_source(ref, str(kernel_repo)) for ref in ("v-r2", "v-r3")])


def test_report_round_trips_through_json(reports) -> None:  # type: ignore[no-untyped-def]
    for report in reports:
        data = json.loads(json_report.dumps(json_report.to_json(report)))
        json_report.validate(data, "test")
        assert json_report.report_from_json(data) == report


def test_diff_round_trips_through_json(reports) -> None:  # type: ignore[no-untyped-def]
    result = diff_reports(*reports)
    data = json.loads(json_report.dumps(json_report.to_json(result)))
    json_report.validate(data, "test")
    assert json_report.diff_from_json(data) == result


def test_output_is_deterministic(reports) -> None:  # type: ignore[no-untyped-def]
    text = json_report.dumps(json_report.to_json(reports[0]))
    assert text == json_report.dumps(json_report.to_json(reports[0])) and text.endswith("}\n")


def test_invalid_data_names_the_failing_json_path(reports) -> None:  # type: ignore[no-untyped-def]
    data = json_report.to_json(reports[0])
    data["sites"][2]["line"] = 0
    with pytest.raises(ReportError, match=r"^here: \$\.sites\[2\]\.line: 0 is less than the minimum of 1$"):
        json_report.validate(data, "here")


def test_a_diff_file_is_not_accepted_as_a_scan_report(reports, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "d.json"
    path.write_text(json_report.dumps(json_report.to_json(diff_reports(*reports))))
    with pytest.raises(ReportError, match="a siganalyze/diff file, expected a scan report"):
        json_report.read_report(path)


def test_interrupted_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.json"
    target.write_text("previous report\n")

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C between writing the temp file and the rename

    monkeypatch.setattr(json_report.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        json_report.write_text("new report\n", target)
    assert target.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_keeps_permissions_symlinks_and_devices(tmp_path: Path) -> None:
    target = tmp_path / "keep.json"
    target.write_text("old\n")
    target.chmod(0o644)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    json_report.write_text("new\n", link)
    assert link.is_symlink() and target.read_text() == "new\n" and (target.stat().st_mode & 0o777) == 0o644
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    json_report.write_text("into the pipe\n", fifo)
    assert os.read(reader, 100) == b"into the pipe\n" and stat.S_ISFIFO(fifo.stat().st_mode)
    os.close(reader)


def test_a_directory_is_no_output_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=f"^{tmp_path}: is a directory$"):
        json_report.write_text("x", tmp_path)
    assert list(tmp_path.iterdir()) == []
