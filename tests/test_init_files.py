"""PID 1's files through the scan's parse unit: per-file facts cached by blob, parsed in the pool, timeouts never kept.

A directory tree has no content address, so its whole report is never cached: every scan
below runs the init extraction again, and the run stats say which per-file facts it parsed.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer import parse, workers
from analyzer.cache import ResultCache
from analyzer.extract.init import InitFiles
from analyzer.extract.init import files as init_files_module
from analyzer.extract.macros import FileDefines, file_defines
from analyzer.model import Report
from analyzer.scan import RunStats, scan_many
from analyzer.sources import open_source
from analyzer.sources.directory import DirectorySource
from tests.conftest import FIXTURES
from tests.facts_api import dispositions, init_scope, write_tree


def scan_init(root: Path, cache: ResultCache, stats: RunStats) -> Report:
    (report,) = scan_many([DirectorySource(root)], project="init", cache=cache, stats=stats)
    return report


def multicall(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "inits" / "multicall", tmp_path / "multicall"))


def test_a_warm_rescan_parses_no_file(tmp_path: Path) -> None:
    root, cache = multicall(tmp_path), ResultCache(tmp_path / "c.sqlite")
    first, second = RunStats(), RunStats()
    cold = scan_init(root, cache, first)
    warm = scan_init(root, cache, second)
    # halt.c, init.c and tools/mkapplets.c name signal(): each is read for its calls and for its
    # #defines (installer macros); main.c and applets.h name no signal API and no helper.
    assert (first.init_parsed, first.init_cached) == (6, 0)
    assert (second.init_parsed, second.init_cached) == (0, 6)
    assert warm.init == cold.init and warm.of("disposition") == cold.of("disposition")
    assert dispositions(warm)["SIGTERM"].handler == "on_term" and init_scope(warm).main == "init.c"


def test_an_edited_file_alone_is_parsed_again(tmp_path: Path) -> None:
    root, cache = multicall(tmp_path), ResultCache(tmp_path / "c.sqlite")
    before = scan_init(root, cache, RunStats())
    halt = root / "halt.c"
    halt.write_text(halt.read_text() + "/* a new blob, the same code */\n")
    stats = RunStats()
    after = scan_init(root, cache, stats)
    # halt.c's new blob: its calls and its #defines; init.c's and tools/mkapplets.c's come from the cache
    assert (stats.init_parsed, stats.init_cached) == (2, 4)
    assert after.of("disposition") == before.of("disposition")


INIT_C = """#include <signal.h>

#define STOP_SIGNAL SIGTERM

static void on_term(int sig)
{
\t(void) sig;
}

int main(void)
{
\tsignal(STOP_SIGNAL, on_term);
\treturn 0;
}
"""


def test_a_timed_out_parse_is_used_but_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache = write_tree(tmp_path / "init", {"init.c": INIT_C}), ResultCache(tmp_path / "c.sqlite")
    real = parse.parse

    def late(data: bytes, deadline_seconds: float | None = None) -> object:
        if deadline_seconds is not None:  # every bounded parse runs past its deadline
            raise parse.ParseTimeout(deadline_seconds)
        return real(data)

    with monkeypatch.context() as patch:
        patch.setattr(parse, "parse", late)
        slow_stats = RunStats()
        slow = scan_init(root, cache, slow_stats)
    # init.c read for its calls and for its #defines (STOP_SIGNAL): both parses timed out, reported as before
    assert (slow_stats.init_parsed, slow_stats.init_cached) == (2, 0)
    assert init_scope(slow).timed_out == ("init.c",) and "SIGTERM" not in {
        name for name, row in dispositions(slow).items() if row.handler
    }
    assert slow.warnings == ("init.c: parse timed out; PID 1's table lacks what it decides",)
    stats = RunStats()
    report = scan_init(root, cache, stats)
    assert (stats.init_parsed, stats.init_cached) == (2, 0)  # nothing of the slow run was kept
    assert dispositions(report)["SIGTERM"].handler == "on_term" and init_scope(report).timed_out == ()
    again = RunStats()
    scan_init(root, cache, again)
    assert (again.init_parsed, again.init_cached) == (0, 2)


IGNORED = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGWINCH")


def setup_tree(root: Path) -> Path:
    """main() in init.c calls setupN() of setupN.c, each ignoring one signal: ten files naming signal()."""
    files = {
        f"setup{i}.c": f"#include <signal.h>\n\nvoid setup{i}(void)\n{{\n\tsignal({sig}, SIG_IGN);\n}}\n"
        for i, sig in enumerate(IGNORED)
    }
    calls = "".join(f"\tsetup{i}();\n" for i in range(len(IGNORED)))
    declarations = "".join(f"void setup{i}(void);\n" for i in range(len(IGNORED)))
    files["init.c"] = f"#include <signal.h>\n\n{declarations}\nint main(void)\n{{\n{calls}\treturn 0;\n}}\n"
    return write_tree(root, files)


def test_enough_files_are_parsed_in_the_worker_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = setup_tree(tmp_path / "init")
    pools: list[int | None] = []
    real_pool = workers.worker_pool

    @contextlib.contextmanager
    def counted(count: int | None = None) -> Iterator[object]:
        pools.append(count)
        with real_pool(count) as pool:
            yield pool

    monkeypatch.setattr(workers, "worker_pool", counted)
    monkeypatch.setattr(workers.os, "cpu_count", lambda: 2)
    stats = RunStats()
    pooled = scan_init(root, ResultCache(tmp_path / "pooled.sqlite"), stats)
    # ten files, each read for its #defines, then for its calls: two batches of ten, each over both cores
    assert pools == [2, 2] and stats.init_parsed == 20
    for i, sig in enumerate(IGNORED):
        row = dispositions(pooled)[sig]
        assert (row.disposition, row.function, row.via) == ("ignored", f"setup{i}", "signal")
    monkeypatch.setattr(workers, "PARALLEL_FROM", 1000)  # the same files parsed here, one by one
    serial = scan_init(root, ResultCache(tmp_path / "serial.sqlite"), RunStats())
    assert pools == [2, 2]
    assert serial.of("disposition") == pooled.of("disposition") and serial.init == pooled.init


def test_a_git_trees_word_search_finds_what_git_grep_finds(tmp_path: Path) -> None:
    work = tmp_path / "repo"
    write_tree(
        work,
        {
            "a.c": "void f(void) { signal(SIGTERM, SIG_IGN); }\n",
            "b.h": "#define signal_ok 1 /* signals, not the word */\n",
            "c.c": "int x = 1;\n",
            "d.txt": "signal\n",  # not C: no step reads it
            "e.c": "bin\0ary signal(\n",  # a binary C file is searched as git grep searches it
        },
    )
    (work / "link.h").symlink_to("a.c")  # git grep searches no symbolic link
    identity = ["-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-qm", "r1"]):
        subprocess.run(["git", *args], cwd=work, check=True)
    source = open_source("HEAD", str(work))
    files = InitFiles(source)
    found = files.candidate_files(("signal", "sigaction"))
    assert list(found) == ["a.c", "e.c"]
    grep = source.candidate_files(("signal", "sigaction"))
    assert found == {p: b for p, b in grep.items() if p.endswith((".c", ".h"))}
    assert list(files.candidate_files(("x",))) == ["c.c"] and files.candidate_files(("signal_o",)) == {}
    # a name git grep reads as a pattern (`.` any character) is left to git grep
    assert list(files.candidate_files(("signal.ok",))) == ["b.h"]


def test_a_git_tree_too_big_to_hold_is_searched_with_git_grep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = write_tree(tmp_path / "repo", {"a.c": "int main(void) { return signal(SIGTERM, SIG_IGN) == 0; }\n"})
    identity = ["-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-qm", "r1"]):
        subprocess.run(["git", *args], cwd=work, check=True)
    monkeypatch.setattr(init_files_module, "_HELD_BYTES", 0)
    monkeypatch.setattr(init_files_module, "read_blobs", None)  # the tree's C files are not read whole
    files = InitFiles(open_source("HEAD", str(work)))
    assert list(files.candidate_files(("signal",))) == ["a.c"] and files.texts(["a.c"])["a.c"].startswith(b"int main")


def test_a_file_without_define_is_not_parsed_for_its_defines(monkeypatch: pytest.MonkeyPatch) -> None:
    def late(data: bytes, deadline_seconds: float | None = None) -> object:
        raise parse.ParseTimeout(deadline_seconds or 0)

    monkeypatch.setattr(parse, "parse", late)
    assert file_defines("a.c", b"int f(void) { return signal(SIGTERM, SIG_IGN) != 0; }\n") == FileDefines("a.c")
    assert file_defines("b.h", b"#define A 1\n").timed_out  # one #define: parsed (and here it timed out)
