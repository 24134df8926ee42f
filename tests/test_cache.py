"""The result cache: reuse across runs and releases, corruption, concurrency, parallel parsing."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from analyzer.cache import ResultCache, default_path
from analyzer.scan import RunStats, _run_jobs, scan_many
from analyzer.sources import open_source
from tests.conftest import FIXTURES


def scan_refs(repo: Path, refs: tuple[str, ...], stats: RunStats):  # type: ignore[no-untyped-def]
    return scan_many([open_source(ref, str(repo)) for ref in refs], stats=stats)


def test_cache_lives_under_xdg_cache_home(private_cache: Path) -> None:
    assert default_path() == private_cache / "siganalyze" / "results.sqlite"


def test_second_run_answers_from_cached_reports_with_the_same_facts(kernel_repo: Path) -> None:
    first, second = RunStats(), RunStats()
    before = scan_refs(kernel_repo, ("v-r2", "v-r3"), first)
    after = scan_refs(kernel_repo, ("v-r2", "v-r3"), second)
    assert first.parsed > 0 and first.cached_reports == 0
    assert second.cached_reports == 2 and second.parsed == 0
    assert after == before


def test_a_new_release_parses_only_the_files_that_changed(kernel_repo: Path) -> None:
    scan_refs(kernel_repo, ("v-r2",), RunStats())
    stats = RunStats()
    (report,) = scan_refs(kernel_repo, ("v-r3",), stats)
    # r3 shares pid_namespace.c (and its Documentation) with r2, byte for byte
    assert stats.cached >= 1 and stats.parsed == stats.release_files - stats.cached
    assert report.sites  # and the report is whole


def test_the_same_blob_in_two_releases_is_parsed_once(kernel_repo: Path) -> None:
    stats = RunStats()
    scan_refs(kernel_repo, ("v-r2", "v-r3"), stats)
    assert stats.parsed < stats.release_files


def test_a_corrupt_cache_is_moved_aside_and_rebuilt(kernel_repo: Path, private_cache: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = default_path()
    assert path is not None
    scan_refs(kernel_repo, ("v-r2",), RunStats())
    path.write_bytes(b"this is not a database" * 100)
    stats = RunStats()
    (report,) = scan_refs(kernel_repo, ("v-r2",), stats)
    assert report.sites and stats.cached_reports == 0
    assert "could not be read; moved aside" in capsys.readouterr().err
    assert any(p.name.startswith("results.sqlite.corrupt-") for p in path.parent.iterdir())
    assert ResultCache(path).get("report", "nothing") is None  # the new file works


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"

    def write(n: int) -> None:
        cache = ResultCache(path)
        for i in range(50):
            cache.put("file", f"{n}-{i}", "x" * 100)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM results").fetchone()[0]
    assert rows == 100


def test_without_a_cache_nothing_is_written(kernel_repo: Path, private_cache: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SIGANALYZE_NO_CACHE", "1")
    scan_refs(kernel_repo, ("v-r2",), RunStats())
    assert not (private_cache / "siganalyze").exists()


def test_parallel_and_serial_parsing_agree() -> None:
    files = sorted((FIXTURES / "kernel" / "r3").rglob("*.[ch]"))
    jobs = [
        (str(p.relative_to(FIXTURES)), "blob", p.read_bytes(), ("SIGNAL_UNKILLABLE", "is_global_init")) for p in files
    ]
    jobs = (jobs * 3)[:12]  # enough for the process pool
    assert len(jobs) >= 8
    parallel = _run_jobs(jobs)
    serial = [_run_jobs([job])[0] for job in jobs]
    assert parallel == serial


def test_a_locked_cache_is_not_mistaken_for_a_corrupt_one(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import analyzer.cache as cache_module

    path = tmp_path / "c.sqlite"
    ResultCache(path).put("file", "k", "v")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(cache_module, "_BUSY_SECONDS", 0.05)
    ResultCache(path).put("file", "k2", "v2")  # waits, gives up, keeps going
    holder.execute("ROLLBACK")
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []
    assert ResultCache(path).get("file", "k") == "v"
