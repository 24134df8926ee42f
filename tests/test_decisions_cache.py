"""Cache identity and never keeping timed-out work, through scan_many and ResultCache."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

import analyzer.resources
from analyzer import parse
from analyzer.cache import ResultCache, cache_key
from analyzer.scan import RunStats, scan_many
from analyzer.sources import open_source
from analyzer.sources.directory import DirectorySource
from tests.facts_api import file_stats, write_tree

FLAG = "SIGNAL_UNKILLABLE"
CODE = "void f(struct t *t)\n{\n\tt->flags |= SIGNAL_UNKILLABLE;\n}\n"


def test_a_key_depends_on_every_part_and_on_the_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    key = cache_key("file", "k.c", "blob1", FLAG)
    assert key == cache_key("file", "k.c", "blob1", FLAG)
    assert len({key, cache_key("file", "k.c", "blob2", FLAG), cache_key("file", "k.c", "blob1", "OTHER")}) == 3
    assert cache_key("file", "ab", "c") != cache_key("file", "a", "bc")  # parts are separated
    assert cache_key("report", "x") != cache_key("file", "x")
    monkeypatch.setattr(analyzer.resources, "fingerprint", lambda: "another-analyzer")
    assert cache_key("file", "k.c", "blob1", FLAG) != key


def scan_dir(root: Path, cache: ResultCache, stats: RunStats, tracked: tuple[str, ...] = (FLAG,)):  # type: ignore[no-untyped-def]
    (report,) = scan_many([DirectorySource(root)], tracked, project="kernel", cache=cache, stats=stats)
    return report


def test_a_new_analyzer_fingerprint_parses_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "tree", {"k.c": CODE})
    cache = ResultCache(tmp_path / "c.sqlite")
    first, same, other = RunStats(), RunStats(), RunStats()
    scan_dir(root, cache, first)
    scan_dir(root, cache, same)
    monkeypatch.setattr(analyzer.resources, "fingerprint", lambda: "another-analyzer")
    report = scan_dir(root, cache, other)
    assert (first.parsed, same.parsed, same.cached, other.parsed, other.cached) == (1, 0, 1, 1, 0)
    assert [s.kind.value for s in report.sites] == ["set"]


def test_other_tracked_names_are_another_result(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", {"k.c": CODE.replace("SIGNAL_UNKILLABLE", "SIGNAL_UNKILLABLE | SIGNAL_STOP")})
    cache = ResultCache(tmp_path / "c.sqlite")
    scan_dir(root, cache, RunStats())
    stats = RunStats()
    report = scan_dir(root, cache, stats, (FLAG, "SIGNAL_STOP"))
    assert (stats.parsed, stats.cached) == (1, 0)
    assert sorted(s.ident for s in report.sites) == ["SIGNAL_STOP", FLAG]


def time_out_every_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def late(data: bytes, deadline_seconds: float | None = None) -> object:
        raise parse.ParseTimeout(deadline_seconds or 0)

    monkeypatch.setattr(parse, "parse", late)


def test_a_timed_out_file_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "tree", {"k.c": CODE})
    cache = ResultCache(tmp_path / "c.sqlite")
    with monkeypatch.context() as patch:
        time_out_every_parse(patch)
        slow = scan_dir(root, cache, RunStats())
    assert file_stats(slow)["k.c"].timed_out and slow.sites == ()
    stats = RunStats()
    report = scan_dir(root, cache, stats)
    assert (stats.parsed, stats.cached) == (1, 0)
    assert [s.kind.value for s in report.sites] == ["set"] and not file_stats(report)["k.c"].timed_out


def test_a_report_with_a_timed_out_file_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "src", {"k.c": CODE})
    tarball = tmp_path / "linux.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(tmp_path / "src" / "k.c", arcname="linux/k.c")
    cache = ResultCache(tmp_path / "c.sqlite")

    def once() -> tuple[RunStats, object]:
        stats = RunStats()
        (report,) = scan_many([open_source(str(tarball))], (FLAG,), project="kernel", cache=cache, stats=stats)
        return stats, report

    with monkeypatch.context() as patch:
        time_out_every_parse(patch)
        once()
    stats, report = once()
    assert stats.cached_reports == 0 and [s.kind.value for s in report.sites] == ["set"]  # type: ignore[attr-defined]
    again, _ = once()
    assert again.cached_reports == 1  # a whole report is kept once nothing timed out
