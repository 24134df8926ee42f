"""Cache identity and never keeping timed-out work, through scan_many and ResultCache."""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

import analyzer
import analyzer.resources
from analyzer import cache_codec, codec, families, parse
from analyzer.cache import ResultCache, cache_key
from analyzer.extract.unit import FileResult
from analyzer.model import (
    ConditionalSignal,
    DeliveryCell,
    Disposition,
    FileStat,
    ForceAssignment,
    Guard,
    Hop,
    InitScope,
    KillPath,
    Location,
    Occurrence,
    Reason,
    Report,
    SignalMask,
    Site,
    SourceInfo,
)
from analyzer.scan import RunStats, scan_many
from analyzer.sources import open_source
from analyzer.sources.directory import DirectorySource
from analyzer.vocab import (
    Accounting,
    Attribution,
    Branch,
    Construct,
    Delivered,
    Disposal,
    Outcome,
    Project,
    Sender,
    SiteKind,
    SourceKind,
    Target,
)
from tests.facts_api import dispositions, file_stats, init_scope, write_tree

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


# What the cache stores: every record through the one codec, written here by hand.

HERE = Location("kernel/signal.c", 3, 2)
SITE = Site(
    FLAG, SiteKind.TEST, HERE, "sig_task_ignored", Attribution.PARSER, Construct.IF,
    "if (t->signal->flags &  SIGNAL_UNKILLABLE)", "if (t->signal->flags & SIGNAL_UNKILLABLE)",
    guards=(Guard("sig == SIGKILL", Branch.ELSE),), guarded="return true;", preproc=("CONFIG_X",),
)  # fmt: skip


def test_the_codec_flattens_the_location_and_spells_enums_by_value() -> None:
    assert codec.encode(SITE) == {
        "ident": FLAG,
        "kind": "test",
        "path": "kernel/signal.c",
        "line": 3,
        "column": 2,
        "function": "sig_task_ignored",
        "attributed_by": "parser",
        "construct": "if",
        "text": "if (t->signal->flags &  SIGNAL_UNKILLABLE)",
        "normalized": "if (t->signal->flags & SIGNAL_UNKILLABLE)",
        "guards": [{"condition": "sig == SIGKILL", "branch": "else"}],
        "guarded": "return true;",
        "combined_with": [],
        "value": None,
        "preproc": ["CONFIG_X"],
    }
    never = Disposition("SIGPIPE", Disposal.DEFAULT, None, None, None, "default")
    assert codec.encode(never) == {
        "signal": "SIGPIPE",
        "disposition": "default",
        "handler": None,
        "path": None,
        "line": None,
        "column": None,
        "function": None,
        "via": "default",
        "dispatch": None,
        "note": None,
    }
    assert codec.decode(Site, codec.encode(SITE)) == SITE
    assert codec.decode(Disposition, codec.encode(never)) == never
    # a field missing from the JSON (a report written before it existed) takes its default
    assert codec.decode(Guard, {"condition": "a", "branch": "then"}) == Guard("a", Branch.THEN)
    assert codec.decode(FileStat, {"path": "k.c", "blob": "b", "parsed": True}) == FileStat("k.c", "b", True)


def test_the_codec_handles_any_fact_dataclass() -> None:
    # lists as well as tuples, enums and dataclasses inside them, optional nested records
    @dataclass(frozen=True)
    class Fact:
        branches: list[Guard]
        guards: tuple[Guard, ...]
        where: Location
        guard: Guard | None = None

    fact = Fact([Guard("c", Branch.ELSE)], (Guard("a", Branch.THEN),), HERE, Guard("b", Branch.ELSE))
    assert codec.encode(fact) == {
        "branches": [{"condition": "c", "branch": "else"}],
        "guards": [{"condition": "a", "branch": "then"}],
        "path": "kernel/signal.c",
        "line": 3,
        "column": 2,
        "guard": {"condition": "b", "branch": "else"},
    }
    assert codec.decode(Fact, codec.encode(fact)) == fact
    assert codec.decode(Fact, codec.encode(replace(fact, guard=None))) == replace(fact, guard=None)


def test_a_record_with_two_locations_cannot_be_flattened() -> None:
    @dataclass(frozen=True)
    class Twice:
        a: Location
        b: Location | None

    with pytest.raises(TypeError, match="more than one Location"):
        codec.encode(Twice(HERE, None))


def every_family_report() -> Report:
    hop = Hop("__do_sys_kill", "sig_task_ignored", HERE)
    return Report(
        source=SourceInfo(SourceKind.GIT, "v6.1", repo="/r", ref="v6.1", commit="c" * 40, tree="t" * 40),
        tracked=(FLAG, "is_global_init"),
        facts={
            "site": (SITE,),
            "mask": (SignalMask("SIG_KERNEL_ONLY_MASK", HERE, ("SIGKILL",), (ConditionalSignal("SIGEMT", "X"),)),),
            "force": (ForceAssignment("force", "true", "send_signal", HERE, "force = true;", SITE.guards, ("A",)),),
            "kill_path": (KillPath("sig_task_ignored", (hop,), True),),
            "disposition": (Disposition("SIGTERM", Disposal.BLOCKED, "on_signal", HERE, "main", "sigprocmask", "x"),),
        },
        files=(FileStat("kernel/signal.c", "b" * 40, True, 2, 1, 0, 3, True),),
        occurrences=(Occurrence(FLAG, HERE, Accounting.COMMENT),),
        tool_version="9.9",
        warnings=("w",),
        project=Project.SYSTEMD,
        init=InitScope(
            Project.SYSTEMD, ("src/core/main.c",), ("x.c",), ("M",), "n", ("s",), "src/core/main.c", ("t.c",)
        ),
    )


def test_a_report_comes_back_from_the_cache_as_it_went_in() -> None:
    report = every_family_report()
    back = cache_codec.report_from_text(cache_codec.report_to_text(report))
    assert back == report
    assert all(type(records) is tuple for records in back.facts.values())
    kernel = replace(report, project=Project.KERNEL, init=None)
    assert cache_codec.report_from_text(cache_codec.report_to_text(kernel)) == kernel


def test_a_file_result_comes_back_from_the_cache_as_it_went_in() -> None:
    report = every_family_report()
    result = FileResult(
        facts={name: list(records) for name, records in report.facts.items()},
        occurrences=list(report.occurrences),
        warnings=["k.c: 1 error node"],
        stat=report.files[0],
    )
    back = cache_codec.file_result_from_text(cache_codec.file_result_to_text(result))
    assert back == result
    assert all(type(records) is list for records in back.facts.values())


def test_a_tuple_of_records_many_records_hold_is_stored_and_decoded_once() -> None:
    pid = Reason("kernel/fork.c", 2541, "p->pid", "2")
    unkillable = Reason("kernel/signal.c", 90, "unkillable(t)", "true")
    first, second = (pid, unkillable), (pid, replace(unkillable, value="false"))
    cells = tuple(
        DeliveryCell(Target.CONTAINER_INIT, sender, Delivered.DEFAULT, signal, Outcome.DROPPED, because)
        for sender, because in ((Sender.SAME_NS, first), (Sender.KERNEL, second), (Sender.ANCESTOR_NS, ()))
        for signal in ("SIGHUP", "SIGTERM")
    )
    report = replace(every_family_report(), facts={**every_family_report().facts, "delivery": cells})
    text = cache_codec.report_to_text(report)
    assert text.count('"kernel/fork.c"') == 1 and text.count("unkillable(t)") == 2
    back = cache_codec.report_from_text(text)
    assert back == report
    assert len({id(cell.because) for cell in back.of("delivery")}) == 3  # two tuples and the empty one
    assert back.of("delivery")[0].because[0] is back.of("delivery")[2].because[0]  # one Reason decoded


def test_records_of_a_family_no_longer_registered_are_dropped() -> None:
    text = cache_codec.report_to_text(every_family_report())
    data = json.loads(text)
    data["facts"]["retired"] = [{"anything": 1}]
    assert set(cache_codec.report_from_text(json.dumps(data)).facts) == {
        "site",
        "mask",
        "force",
        "kill_path",
        "disposition",
    }


# Cache identity and assembly through scan_many


def test_two_files_with_the_same_text_keep_their_own_paths(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", {"a.c": CODE, "b.c": CODE})
    stats = RunStats()
    report = scan_dir(root, ResultCache(tmp_path / "c.sqlite"), stats)
    assert sorted(s.location.path for s in report.sites) == ["a.c", "b.c"]
    assert (stats.release_files, stats.parsed) == (2, 2)  # same blob, two results: the path is part of the key


@dataclass(frozen=True)
class Lines:
    path: str
    count: int


def test_registering_a_family_parses_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", {"k.c": CODE})
    cache = ResultCache(tmp_path / "c.sqlite")
    scan_dir(root, cache, RunStats(), (FLAG, "SIGNAL_STOP"))
    lines = families.Family(
        name="lines",
        title="Lines",
        record=Lines,
        report_key="lines",
        compared=lambda r: {"count": r.count},
        per_file=lambda facts: [Lines(facts.path, facts.data.count(b"\n"))],
    )
    # a per-release family sees the release: its source, project and tracked names
    seen = families.Family(
        name="seen",
        title="Seen",
        record=Lines,
        report_key="seen",
        compared=lambda r: {"count": r.count},
        per_release=lambda release: [
            Lines(f"{release.source.kind.value} {release.project} {' '.join(release.tracked)}", len(release.files))
        ],
    )
    families.register(lines)
    families.register(seen)
    try:
        stats = RunStats()
        report = scan_dir(root, cache, stats, (FLAG, "SIGNAL_STOP"))
    finally:
        families.unregister("lines")
        families.unregister("seen")
    assert (stats.parsed, stats.cached) == (1, 0)
    assert report.of("lines") == (Lines("k.c", 4),)
    assert report.of("seen") == (Lines(f"directory kernel {FLAG} SIGNAL_STOP", 1),)


def test_counts_add_up_over_the_scans_of_one_run(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", {"k.c": CODE})
    cache, stats = ResultCache(tmp_path / "c.sqlite"), RunStats()
    messages: list[str] = []
    for _ in range(3):
        scan_many(
            [DirectorySource(root)], (FLAG,), project="kernel", cache=cache, stats=stats, progress=messages.append
        )
    assert (stats.release_files, stats.parsed, stats.cached) == (3, 1, 2)
    assert messages.count("parsing files 1/1") == 1


INIT_C = """\
#include <signal.h>
static void on_term(int sig) { (void) sig; }
int main(void) {
        signal(SIGTERM, on_term);
        for (;;) pause();
}
"""


def test_an_init_gets_pid_1s_table_and_a_kernel_none(tmp_path: Path) -> None:
    init_root = write_tree(tmp_path / "init", {"init.c": INIT_C})
    kernel_root = write_tree(tmp_path / "kernel", {"k.c": CODE})
    (init,) = scan_many([DirectorySource(init_root)], project="init", cache=ResultCache(None))
    (kernel,) = scan_many([DirectorySource(kernel_root)], project="kernel", cache=ResultCache(None))
    assert (init.project, kernel.project) == (Project.INIT, Project.KERNEL)
    row = dispositions(init)["SIGTERM"]
    assert (row.disposition, row.handler, row.function) == ("handler", "on_term", "main")
    assert init_scope(init).files == ("init.c",)
    assert kernel.init is None and kernel.of("disposition") == ()
    assert init.tool_version == kernel.tool_version == analyzer.__version__


def test_an_init_report_with_a_timed_out_parse_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "src", {"init.c": INIT_C})
    tarball = tmp_path / "init.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(tmp_path / "src" / "init.c", arcname="init/init.c")
    cache = ResultCache(tmp_path / "c.sqlite")

    def once() -> tuple[RunStats, Report]:
        stats = RunStats()
        (report,) = scan_many([open_source(str(tarball))], project="init", cache=cache, stats=stats)
        return stats, report

    real = parse.parse

    def late(data: bytes, deadline_seconds: float | None = None) -> object:
        if data:  # the empty text a timed-out file is read as still parses
            raise parse.ParseTimeout(deadline_seconds or 0)
        return real(data)

    with monkeypatch.context() as patch:
        patch.setattr(parse, "parse", late)
        _, slow = once()
    assert init_scope(slow).timed_out == ("init.c",) and slow.files == ()
    assert slow.warnings == ("init.c: parse timed out; PID 1's table lacks what it decides",)
    stats, report = once()
    assert stats.cached_reports == 0 and dispositions(report)["SIGTERM"].handler == "on_term"
    again, _ = once()
    assert again.cached_reports == 1


def test_a_path_with_undecodable_bytes_has_its_own_key() -> None:
    # a git path that is not UTF-8 reaches the cache as surrogate escapes (b"caf\xe9.c")
    latin1 = b"caf\xe9.c".decode("utf-8", "surrogateescape")
    assert cache_key("file", latin1, "blob") != cache_key("file", "café.c", "blob")
    assert cache_key("file", latin1, "blob") == cache_key("file", latin1, "blob")


def test_what_the_source_warns_about_is_in_the_report(tmp_path: Path) -> None:
    write_tree(tmp_path / "src", {"k.c": CODE})
    tarball = tmp_path / "linux.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(tmp_path / "src" / "k.c", arcname="linux/k.c")
        tar.add(tmp_path / "src" / "k.c", arcname="../evil.c")
    (report,) = scan_many([open_source(str(tarball))], (FLAG,), project="kernel", cache=ResultCache(None))
    assert report.warnings == (f"{tarball}: member '../evil.c' is absolute or escapes the tree: skipped",)
    assert [s.location.path for s in report.sites] == ["k.c"]
