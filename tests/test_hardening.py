"""Hostile and odd inputs: non-UTF-8 and binary sources, parse deadlines, Ctrl-C, hostile tarballs."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import cache_codec, parse, preprocess
from analyzer.cache import ResultCache
from analyzer.errors import SourceError
from analyzer.extract.kernel import analyze_file
from analyzer.extract.unit import FileResult
from analyzer.model import Accounting, Project
from analyzer.report import json as json_report
from analyzer.scan import analyze_one, scan, scan_many
from analyzer.sources import open_source, word_pattern
from analyzer.sources import tarball as tarball_module
from analyzer.sources.tarball import TarballSource
from tests.conftest import FIXTURES

FLAG = "SIGNAL_UNKILLABLE"
ROOT = Path(__file__).resolve().parent.parent
SAFE_CODE = b"void f(struct task_struct *t)\n{\n\tt->signal->flags |= SIGNAL_UNKILLABLE;\n}\n"
HELPER = (
    "static int helper_{i}(struct task_struct *t)\n{{\n"
    "\tif (t->pid > {i})\n\t\treturn kick(t, {i});\n\treturn 0;\n}}\n\n"
)


def expected_position(data: bytes, offset: int) -> tuple[int, int]:
    """(line, byte column) of `offset`, counted directly from the bytes."""
    return data.count(b"\n", 0, offset) + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def check_accounting(data: bytes, result: FileResult) -> None:
    """Each whole-word hit is one occurrence at its byte position; each site is one "site" occurrence."""
    offsets = [m.start() for m in word_pattern((FLAG,)).finditer(data)]
    assert [(o.location.line, o.location.column) for o in result.occurrences] == [
        expected_position(data, offset) for offset in offsets
    ]
    site_locations = [o.location for o in result.occurrences if o.accounted_as is Accounting.SITE]
    assert [s.location for s in result.sites] == site_locations
    assert result.stat is not None and result.stat.occurrences == len(offsets)


def generated_c(functions: int, flag_every: int = 100) -> bytes:
    """Kernel-style C with a flag-setting function every `flag_every` helpers."""
    parts = [
        SAFE_CODE.decode().replace("void f(", f"void f{i}(") if i % flag_every == 0 else HELPER.format(i=i)
        for i in range(functions)
    ]
    return "".join(parts).encode()


# Non-UTF-8 sources


def test_non_utf8_bytes_keep_byte_positions_and_show_replacement_characters() -> None:
    data = (
        b"/* caf\xe9 \xff\xfe */ void f(struct task_struct *t)\n{\n"
        b"\t/* \xe9t\xe9 */ t->flags |= /* caf\xe9 */ SIGNAL_UNKILLABLE; /* SIGNAL_UNKILLABLE \xe9 */\n"
        b'\ts = "\xe9\xe9 SIGNAL_UNKILLABLE";\n'
        b"\tif (/* d\xc3\xa9j\xc3\xa0 */ t->flags & SIGNAL_UNKILLABLE) g();\n}\n"
    )
    result = analyze_file("t.c", "b", data, (FLAG,))
    check_accounting(data, result)
    assert [o.accounted_as.value for o in result.occurrences] == ["site", "comment", "string", "site"]
    assert [(s.location.line, s.location.column) for s in result.sites] == [(3, 35), (5, 30)]  # é, à: 2 bytes
    assert result.sites[0].text == "t->flags |= /* caf\ufffd */ SIGNAL_UNKILLABLE;"
    assert result.sites[1].text == "if (/* déjà */ t->flags & SIGNAL_UNKILLABLE)"  # valid UTF-8 as it is
    cached = cache_codec.file_result_from_text(cache_codec.file_result_to_text(result))
    assert cached.sites == result.sites and cached.occurrences == result.occurrences


# Binary and very large .c files


def test_binary_file_named_c_is_counted_not_parsed() -> None:
    noise = random.Random(1).randbytes(200_000)
    data = noise[:50_000] + b" SIGNAL_UNKILLABLE \0" + noise[50_000:] + b"\nSIGNAL_UNKILLABLE"
    result = analyze_file("drivers/blob.c", "b", data, (FLAG,))
    check_accounting(data, result)
    assert {o.accounted_as for o in result.occurrences} == {Accounting.BINARY}
    assert result.stat is not None and not result.stat.parsed and not result.stat.timed_out
    assert result.warnings == ["drivers/blob.c: binary file mentions SIGNAL_UNKILLABLE: 2 occurrence(s) not analysed"]


def test_random_bytes_without_nul_named_c_parse_without_crashing() -> None:
    noise = bytearray(random.Random(2).randbytes(100_000).replace(b"\0", b" "))
    for at in range(5_000, 100_000, 10_000):
        noise[at : at + 19] = b" SIGNAL_UNKILLABLE "
    data = bytes(noise)
    result = analyze_file("t.c", "b", data, (FLAG,))
    check_accounting(data, result)
    assert result.stat is not None and result.stat.parsed and not result.stat.timed_out


def test_parse_past_the_deadline_leaves_code_occurrences_unaccounted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parse.DEADLINE_ENV, "0.001")
    data = b"/* SIGNAL_UNKILLABLE in a comment */\n" + generated_c(3000)
    result = analyze_one("big.c", "b", data, (FLAG,))
    check_accounting(data, result)
    kinds = [o.accounted_as for o in result.occurrences]
    assert kinds == [Accounting.COMMENT] + [Accounting.UNACCOUNTED] * 30
    assert result.sites == [] and result.of("call") == [] and result.of("force") == []
    assert result.stat is not None and result.stat.timed_out and not result.stat.parsed
    assert result.warnings[0] == "big.c: parse timed out after 0.001s; occurrences accounted as text only"
    assert result.warnings[1] == "big.c:4:22: occurrence of SIGNAL_UNKILLABLE not accounted for"


def test_a_later_variant_timing_out_keeps_the_sites_already_found(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def second_parse_times_out(data: bytes, deadline_seconds: float | None = None) -> object:
        calls.append(deadline_seconds)
        if len(calls) > 1:
            raise parse.ParseTimeout(deadline_seconds or 0)
        return real_parse(data, deadline_seconds)

    real_parse = parse.parse
    monkeypatch.setattr(parse, "parse", second_parse_times_out)
    data = (
        b"void f(struct task_struct *t)\n{\n"
        b"#ifdef A\n\tt->flags |= SIGNAL_UNKILLABLE;\n#else\n\tt->flags &= ~SIGNAL_UNKILLABLE;\n#endif\n}\n"
    )
    result = analyze_file("t.c", "b", data, (FLAG,))
    assert [o.accounted_as for o in result.occurrences] == [Accounting.SITE, Accounting.UNACCOUNTED]
    assert result.stat is not None and result.stat.parsed and result.stat.timed_out and result.stat.parses == 1
    assert calls == [parse.DEFAULT_DEADLINE_SECONDS] * 2


def test_parse_deadline_gives_the_same_tree_and_leaves_the_parser_clean() -> None:
    data = generated_c(400)
    assert str(parse.parse(data, 60).root_node) == str(parse.parse(data).root_node)
    assert parse.parse(data, 60).root_node.text == data
    with pytest.raises(parse.ParseTimeout, match=r"after 1e-06s"):
        parse.parse(data, 0.000001)
    # A cancelled parse must not resume into the next one.
    assert str(parse.parse(b"int x;", 60).root_node) == str(parse.parse(b"int x;").root_node)


@pytest.mark.parametrize(("value", "seconds"), [(None, 20.0), ("2.5", 2.5), ("0", 20.0), ("-1", 20.0), ("soon", 20.0)])
def test_deadline_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, seconds: float
) -> None:
    if value is None:
        monkeypatch.delenv(parse.DEADLINE_ENV, raising=False)
    else:
        monkeypatch.setenv(parse.DEADLINE_ENV, value)
    assert parse.deadline_seconds() == seconds


def test_timed_out_file_round_trips_through_a_validated_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "big.c").write_bytes(generated_c(2000))
    (tmp_path / "small.c").write_bytes(SAFE_CODE)
    monkeypatch.setenv(parse.DEADLINE_ENV, "0.001")
    report = scan(open_source(str(tmp_path)), (FLAG,))
    assert [(f.path, f.timed_out) for f in report.files] == [("big.c", True), ("small.c", False)]
    data = json_report.to_json(report)
    json_report.validate(data, "test")
    assert json_report.report_from_json(json.loads(json_report.dumps(data))).files == report.files
    del data["files"][0]["timed_out"]
    with pytest.raises(json_report.ReportError, match="timed_out"):
        json_report.validate(data, "test")


# Properties: any input is accounted for exactly, and rewriting keeps every position

_C_TOKENS = [
    FLAG.encode(),
    b"XSIGNAL_UNKILLABLE",
    b"SIGNAL_UNKILLABLE_2",
    b"t->signal->flags",
    b"if",
    b"else",
    b"return",
    b"void f(void)",
    b"(",
    b")",
    b"{",
    b"}",
    b";",
    b"|=",
    b"&= ~",
    b"&",
    b"|",
    b" ",
    b"\t",
    b"\n",
    b"\r\n",
    b"\\\n",
    b"/*",
    b"*/",
    b"//",
    b'"',
    b"'",
    b"#if 0\n",
    b"#ifdef CONFIG_X\n",
    b"#elif defined(Y)\n",
    b"#else\n",
    b"#endif\n",
    b"#define ",
    b"#define M(x) ((x) | SIGNAL_UNKILLABLE)\n",
    b"for_each_process(p)",
    b"SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)",
    b"SYSCALL_DEFINE0(",
    b"__must_hold(&lock)",
    b"__init",
    b"__initdata",
    b"x__init",
    b"do_each_thread(g, t)",
    b"while_each_thread(g, t);",
    b"list_for_each_entry(p, h, m)",
    b"for_each_",
    b"_for_each",
    b"scoped_guard(rcu)",
    b"# define X",
    b"  #",
    b"a / b",
    b"is_global_init(p)",
    b"static inline int is_global_init(struct t *p) { return 1; }",
    b"bool force = false;",
    b"force = !x;",
    b"g(info, force);",
    b"x = flags & SIGNAL_UNKILLABLE",
    b"\xe9",
    b"\xff\xfe",
    "é".encode(),
]
_C_ISH = st.lists(st.sampled_from(_C_TOKENS), max_size=60).map(b"".join)
_BYTES_AND_FLAGS = st.lists(st.one_of(st.binary(max_size=12), st.just(b" SIGNAL_UNKILLABLE")), max_size=30).map(
    b"".join
)
_ANY_INPUT = st.one_of(_C_ISH, _BYTES_AND_FLAGS, st.binary(max_size=300))
_PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(_ANY_INPUT)
def test_any_input_has_every_occurrence_accounted_once_at_its_byte_position(data: bytes) -> None:
    check_accounting(data, analyze_file("t.c", "b", data, (FLAG,)))


@_PROPERTY
@given(_ANY_INPUT)
def test_every_preprocessor_variant_keeps_length_and_newlines(data: bytes) -> None:
    layout = preprocess.lex(data)
    choices: list[dict[int, int | None]] = [{}]
    choices += [{ci: bi} for ci, cond in enumerate(layout.conditionals) for bi in range(len(cond.branches))]
    newlines = [i for i, byte in enumerate(data) if byte == ord("\n")]
    for chosen in choices:
        variant = preprocess.variant(data, layout, chosen)
        assert len(variant) == len(data)
        assert [i for i, byte in enumerate(variant) if byte == ord("\n")] == newlines


@settings(max_examples=100, deadline=None)
@given(_ANY_INPUT)
def test_a_parse_with_a_deadline_gives_the_same_tree(data: bytes) -> None:
    assert str(parse.parse(data, 60).root_node) == str(parse.parse(data).root_node)


# Ctrl-C


RUNS = 50
PHASES = ("start-up", "search", "parsing", "writing")


def write_tree(root: Path, files: int, noise: int) -> Path:
    """A kernel tree: `files` C files with many sites (work for the parser, a large report),
    and `noise` files without a tracked name (work for the text search)."""
    (root / "Makefile").parent.mkdir(parents=True, exist_ok=True)
    (root / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n")
    noise_code = "".join(HELPER.format(i=n) for n in range(400)).encode()
    for i in range(files + noise):
        folder = root / "kernel" / f"d{i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        code = generated_c(30, flag_every=2) if i < files else noise_code
        (folder / f"f{i}.c").write_bytes(code)
    return root


def takes_signals(pid: int) -> bool:
    """True once siganalyze's entrypoint has taken over Ctrl-C (it then catches SIGTERM too).

    The interpreter's own start-up before that line (about 20 ms) is no code of ours: a
    Ctrl-C there kills python by the default action, nothing opened, nothing written.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


def has_workers(pid: int) -> bool:
    """True while the process has a python child: a parsing worker, or the text search's grep
    between fork and exec (callers look twice)."""
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for child in children.read_text().split():
                with contextlib.suppress(OSError):
                    if Path(f"/proc/{child}/comm").read_text().startswith("python"):
                        return True
    return False


@dataclass
class Run:
    """One run of `siganalyze scan`, maybe interrupted."""

    code: int
    phase: str  # what it was doing when the signal was sent, or "finished"
    elapsed: float  # from taking over Ctrl-C to the end
    stderr: str


def run_scan(tree: Path, out: Path, cache_home: Path, delay: float | None) -> Run:
    """Scan `tree`; press Ctrl-C (to the whole process group, as a terminal does) `delay`
    seconds after siganalyze has taken over Ctrl-C, noting which phase that moment fell in."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "NO_PROGRESS": "1"}
    env.pop("SIGANALYZE_NO_CACHE", None)
    command = [sys.executable, "-m", "analyzer", "scan", str(tree), "--format", "json", "-o", str(out)]
    database = cache_home / "siganalyze" / "results.sqlite"
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.PIPE)
    while not takes_signals(process.pid) and process.poll() is None:
        time.sleep(0.001)
    origin = time.monotonic()
    phase, parsed, before = "finished", False, False
    while process.poll() is None:
        now = has_workers(process.pid)
        workers, before = now and before, now  # seen twice, 2 ms apart: no fork about to exec grep
        parsed = parsed or workers
        if delay is not None and time.monotonic() - origin >= delay:
            started = database.exists()  # the cache is opened right before the search
            phase = "start-up" if not started else "parsing" if workers else "writing" if parsed else "search"
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            break
        time.sleep(0.002)
    _, stderr = process.communicate(timeout=60)
    elapsed = time.monotonic() - origin
    assert process_group_ends(process.pid)  # no worker left behind
    return Run(process.returncode, phase if process.returncode else "finished", elapsed, stderr.decode())


def process_group_ends(pgid: int) -> bool:
    """Wait up to 5 s for every process of the group (workers too) to exit."""
    for _ in range(500):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.01)
    return False


def check_cache(cache_home: Path) -> None:
    """The cache, if the run got to create it, passes SQLite's integrity check and opens as is."""
    database = cache_home / "siganalyze" / "results.sqlite"
    if not database.exists():
        return
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cache = ResultCache(database)  # would move a file it cannot read aside
    assert cache.get("file", "no such key") is None
    cache.close()
    assert [p.name for p in database.parent.iterdir() if "corrupt" in p.name] == []


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc to time the signal (Linux)")
def test_ctrl_c_at_any_moment_exits_130_with_no_output_file_and_a_sound_cache(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "tree", files=60, noise=1500)  # 59 MB, 60 files to parse
    # Uninterrupted runs first: their length spreads the Ctrl-Cs over start-up (imports,
    # arguments), the text search, parsing in worker processes, and the report's assembly,
    # validation and writing. The machine's load varies: every run that finishes before its
    # Ctrl-C shortens the length the next moments are drawn from.
    baselines = [run_scan(tree, tmp_path / "baseline.json", tmp_path / f"baseline{i}", None) for i in range(2)]
    assert [run.code for run in baselines] == [0, 0], baselines
    json_report.validate(json.loads((tmp_path / "baseline.json").read_text()), "uninterrupted run")
    length = min(run.elapsed for run in baselines)
    rng = random.Random(20240509)
    slices = [(i + rng.random()) / RUNS for i in range(RUNS)]  # one moment in each 1/50 of a run
    rng.shuffle(slices)
    runs, delays = [], []

    def interrupt(delay: float) -> Any:
        nonlocal length
        i = len(runs)
        out_dir, cache_home = tmp_path / f"out{i}", tmp_path / f"cache{i}"
        out_dir.mkdir()
        run = run_scan(tree, out_dir / "out.json", cache_home, delay)
        where = f"run {i}, Ctrl-C after {delay:.3f} s in {run.phase}: exit {run.code}\n{run.stderr}"
        assert run.code in (0, 130), where  # never killed by the signal (-2), never an internal error
        if run.code == 130:
            assert list(out_dir.iterdir()) == [], where  # neither out.json nor its temp file
            assert run.stderr.strip().splitlines()[-1] == "siganalyze: interrupted", where
            assert "Traceback" not in run.stderr, where
        else:  # it had finished, or was putting its output in place: the whole report, no temp file
            assert [p.name for p in out_dir.iterdir()] == ["out.json"], where
            assert (out_dir / "out.json").read_bytes() == (tmp_path / "baseline.json").read_bytes(), where
            length = min(length, run.elapsed)
        check_cache(cache_home)
        runs.append(run)
        delays.append(delay)
        return run

    for part in slices:
        interrupt(part * length)
    # The machine's load moves the phases: a short one (writing) may have drawn one moment
    # only. Aim at it again by bisection between the latest moment that landed before it and
    # the earliest that landed after it (a few more runs, each checked alike).
    order = [*PHASES, "finished"]
    for phase in PHASES:
        for _ in range(12):
            if sum(run.phase == phase for run in runs) >= 2:
                break
            rank = order.index(phase)
            before = [d for run, d in zip(runs, delays, strict=True) if order.index(run.phase) < rank]
            after = [d for run, d in zip(runs, delays, strict=True) if order.index(run.phase) > rank]
            at = [d for run, d in zip(runs, delays, strict=True) if run.phase == phase]
            # No run landed past it yet (the load made every run slower than `length`): look later.
            low, high = max(before, default=0.0), min(after, default=1.5 * max(delays) + 0.1)
            guess = rng.choice(at) if at and rng.random() < 0.5 else (low + high) / 2
            interrupt(min(max(guess + (rng.random() - 0.5) * 0.02 * length, low), high))
    counts = Counter(run.phase for run in runs)
    slowest = max((run.elapsed - delay for run, delay in zip(runs, delays, strict=True) if run.code), default=0.0)
    print(f"Ctrl-C landed in: {dict(counts)}; slowest exit after the signal: {slowest:.2f} s")
    assert counts["finished"] <= RUNS // 3, counts  # most runs were really interrupted
    for phase in PHASES:
        assert counts[phase] >= 2, counts  # every phase was hit, more than once


DEFERRED = """
import os, signal
from analyzer import interrupts

interrupts.take_over()
try:
    with interrupts.deferred():
        raise RuntimeError("no signal: the error itself")
except RuntimeError as exc:
    print(exc)
try:
    with interrupts.deferred():
        os.kill(os.getpid(), signal.SIGINT)  # also kills the child the block runs, which then fails
        raise RuntimeError("git version: exit code -2")
except KeyboardInterrupt:
    print("interrupted")
interrupts.leave(0)
"""


def test_a_block_that_fails_once_a_signal_was_taken_stops_as_interrupted() -> None:
    done = subprocess.run([sys.executable, "-c", DEFERRED], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout == "no signal: the error itself\ninterrupted\n"


# Tarballs: .tar.zst, hostile members, bombs


def write_tar_zst(path: Path, members: Iterator[tuple[tarfile.TarInfo, bytes | None]], frames: int = 1) -> Path:
    """A zstd-compressed tar of `members`, in `frames` zstd frames as parallel compressors write."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = buffer.getvalue()
    step = -(-len(raw) // frames)
    compressor = zstandard.ZstdCompressor(level=1)
    path.write_bytes(b"".join(compressor.compress(raw[i : i + step]) for i in range(0, len(raw), step)))
    return path


def member(name: str, data: bytes | None = None, **fields: object) -> tuple[tarfile.TarInfo, bytes | None]:
    """A tar member named `name` with `data` (or no data) and any TarInfo fields set."""
    info = tarfile.TarInfo(name)
    info.size = len(data) if data is not None else 0
    for field, value in fields.items():
        setattr(info, field, value)
    return info, data


def listing(root: Path) -> list[str]:
    """Every path below `root`, to show that nothing was written."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def site_paths(source: TarballSource) -> list[str]:
    """Files with sites, from a full scan of `source`."""
    return sorted({s.location.path for s in scan(source, (FLAG,)).sites})


@pytest.mark.parametrize(("suffix", "frames"), [("tar.zst", 1), ("tzst", 3)])
def test_tar_zst_matches_the_directory(tmp_path: Path, suffix: str, frames: int) -> None:
    folder = FIXTURES / "kernel" / "r3"
    members = (
        member(f"linux-r3/{path.relative_to(folder).as_posix()}", path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )
    tarball = write_tar_zst(tmp_path / f"linux-r3.{suffix}", members, frames)
    from_tarball = scan(open_source(str(tarball)), (FLAG,))
    from_directory = scan(open_source(str(folder)), (FLAG,))
    assert from_tarball.source.release == "6.1"
    assert [(s.location, s.kind) for s in from_tarball.sites] == [(s.location, s.kind) for s in from_directory.sites]


def test_corrupt_tar_zst_is_a_source_error(tmp_path: Path) -> None:
    good = write_tar_zst(tmp_path / "good.tar.zst", iter([member("linux/kernel/ok.c", SAFE_CODE * 100)]))
    broken = tmp_path / "broken.tar.zst"
    broken.write_bytes(good.read_bytes()[:-20] + b"\xff" * 20)
    with pytest.raises(SourceError, match="cannot read tarball"):
        TarballSource(broken).candidate_files((FLAG,))


def test_hostile_members_write_nothing_and_the_safe_member_is_still_analysed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = [
        member("linux/kernel/ok.c", SAFE_CODE),
        member("/etc/evil.c", SAFE_CODE),
        member("linux/../../evil.c", SAFE_CODE),
        member("..", SAFE_CODE),
        member("linux\\..\\..\\evil.c", SAFE_CODE),
        member("linux/sym.c", type=tarfile.SYMTYPE, linkname="/etc/passwd"),
        member("linux/up.c", type=tarfile.SYMTYPE, linkname="../../../evil.c"),
        member("linux/hard.c", type=tarfile.LNKTYPE, linkname="../../etc/shadow"),
        member("linux/hard-in-tree.c", type=tarfile.LNKTYPE, linkname="linux/kernel/ok.c"),
        member("linux/null.c", type=tarfile.CHRTYPE, devmajor=1, devminor=3),
        member("linux/disk.c", type=tarfile.BLKTYPE, devmajor=8, devminor=0),
        member("linux/pipe.c", type=tarfile.FIFOTYPE),
        member("linux/kernel/after.c", SAFE_CODE),
    ]
    tarball = write_tar_zst(tmp_path / "evil.tar.zst", iter(members))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # a relative write would land here
    before = listing(tmp_path)
    source = TarballSource(tarball)
    assert site_paths(source) == ["kernel/after.c", "kernel/ok.c"]
    assert source.skipped == ["/etc/evil.c", "linux/../../evil.c", "..", "linux\\..\\..\\evil.c"]
    assert len(source.warnings) == 4 and all("absolute or escapes" in w for w in source.warnings)
    assert listing(tmp_path) == before
    assert not (tmp_path.parent / "evil.c").exists()


def test_too_many_members_stops_reading_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tarball_module, "MAX_MEMBERS", 100)
    members = [member("linux/kernel/ok.c", SAFE_CODE)]
    members += [member(f"linux/tiny/{i}.h", b"x\n") for i in range(2000)]
    members += [member("linux/kernel/late.c", SAFE_CODE)]
    source = TarballSource(write_tar_zst(tmp_path / "many.tar.zst", iter(members)))
    assert site_paths(source) == ["kernel/ok.c"]
    assert source.warnings == [f"{source.path}: more than 100 members; the rest of the archive is not read"]


def test_member_claiming_a_huge_size_stops_reading_with_a_warning(tmp_path: Path) -> None:
    huge = tarfile.TarInfo("linux/huge.c")
    huge.size = 1 << 40  # the header claims 1 TiB; the stream ends right after it
    raw = member("linux/kernel/ok.c", SAFE_CODE)[0].tobuf() + SAFE_CODE.ljust(512, b"\0") + huge.tobuf()
    tarball = tmp_path / "liar.tar.zst"
    tarball.write_bytes(zstandard.ZstdCompressor().compress(raw))
    source = TarballSource(tarball)
    assert site_paths(source) == ["kernel/ok.c"]
    assert source.warnings == [
        f"{source.path}: member 'linux/huge.c' ends past {tarball_module.MAX_STREAM_BYTES} uncompressed bytes;"
        " the rest of the archive is not read"
    ]


def test_zero_bomb_member_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    size = 256 * 1024 * 1024  # over the 64 MiB member limit, a few kB compressed
    tarball = tmp_path / "zeros.tar.zst"
    with (
        tarball.open("wb") as out,
        zstandard.ZstdCompressor(level=1).stream_writer(out) as compressed,
        tarfile.open(fileobj=compressed, mode="w|") as archive,
    ):
        info, _ = member("linux/zeros.c")
        info.size = size
        archive.addfile(info, io.BufferedReader(_Zeros(size), 1 << 20))
        archive.addfile(*_as_file(member("linux/kernel/ok.c", SAFE_CODE)))
    assert tarball.stat().st_size < 1024 * 1024
    tracemalloc.start()
    try:
        source = TarballSource(tarball)
        assert list(source.candidate_files((FLAG,))) == ["kernel/ok.c"]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    assert source.warnings == [f"{source.path}: member linux/zeros.c has {size} bytes, over 67108864: not read"]


def test_pax_header_bomb_stops_reading_with_a_warning(tmp_path: Path) -> None:
    bomb = member("linux/bomb.c", SAFE_CODE)
    bomb[0].pax_headers = {"comment": "x" * (2 * 1024 * 1024)}  # tarfile would read it whole
    members = iter([member("linux/kernel/ok.c", SAFE_CODE), bomb, member("linux/kernel/late.c", SAFE_CODE)])
    source = TarballSource(write_tar_zst(tmp_path / "pax.tar.zst", members))
    assert site_paths(source) == ["kernel/ok.c"]
    assert source.warnings == [
        f"{source.path}: a member header runs past 1048576 bytes; the rest of the archive is not read"
    ]


def test_matching_members_past_the_memory_limit_stop_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tarball_module, "MAX_KEPT_BYTES", 3 * len(SAFE_CODE))
    members = iter([member(f"linux/kernel/f{i}.c", SAFE_CODE) for i in range(10)])
    source = TarballSource(write_tar_zst(tmp_path / "wide.tar.zst", members))
    assert site_paths(source) == [f"kernel/f{i}.c" for i in range(4)]
    assert "matching members hold more than" in source.warnings[0]


class _Zeros(io.RawIOBase):
    """`size` zero bytes, made as they are read."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def _as_file(pair: tuple[tarfile.TarInfo, bytes | None]) -> tuple[tarfile.TarInfo, io.BytesIO]:
    """addfile's arguments for a member made by member()."""
    info, data = pair
    return info, io.BytesIO(data or b"")


def test_an_init_file_past_the_deadline_is_named_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The init side parses through the same deadline-bounded unit as the kernel's files.
    tree = tmp_path / "tinyinit"
    tree.mkdir()
    main_c = b"#include <signal.h>\nint main(void)\n{\n\tsignal(SIGTERM, SIG_IGN);\n\treturn 0;\n}\n"
    (tree / "init.c").write_bytes(main_c + generated_c(3000))
    tarball = tmp_path / "tinyinit.tar.gz"  # a tarball has a content address: its report could be cached
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(tree, arcname="tinyinit")
    cache = ResultCache(tmp_path / "cache.sqlite")
    monkeypatch.setenv(parse.DEADLINE_ENV, "0.001")
    (report,) = scan_many([open_source(str(tarball), None)], project=Project.INIT, cache=cache)
    assert report.init is not None and report.init.timed_out == ("init.c",)
    assert "init.c: parse timed out; PID 1's table lacks what it decides" in report.warnings
    assert _rows(cache, "report") == 0
    monkeypatch.setenv(parse.DEADLINE_ENV, "30")
    (report,) = scan_many([open_source(str(tarball), None)], project=Project.INIT, cache=cache)
    sigterm = next(d for d in report.of("disposition") if d.signal == "SIGTERM")
    assert report.init is not None and report.init.timed_out == () and sigterm.disposition == "ignored"
    assert _rows(cache, "report") == 1


def _rows(cache: ResultCache, kind: str) -> int:
    assert cache.path is not None
    with sqlite3.connect(cache.path) as db:
        return int(db.execute("SELECT count(*) FROM results WHERE kind = ?", (kind,)).fetchone()[0])
