"""Signal classes resolved from hand-written headers, and signal names (aliases, SIGRTMIN+n)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.extract import signals
from analyzer.scan import analyze_one, scan
from analyzer.sources.directory import DirectorySource
from tests.facts_api import masks, write_tree

CLASSES = ("SIG_KERNEL_ONLY_MASK", "SIG_KERNEL_STOP_MASK", "SIG_KERNEL_COREDUMP_MASK", "SIG_KERNEL_IGNORE_MASK")

SIGNAL_H = """\
#ifdef __KERNEL__
#ifdef SIGEMT
#define SIGEMT_MASK	rt_sigmask(SIGEMT)
#else
#define SIGEMT_MASK	0
#endif
#define SIG_KERNEL_ONLY_MASK (\\
	rt_sigmask(SIGKILL)   |  rt_sigmask(SIGSTOP))
#define SIG_KERNEL_STOP_MASK (sigmask(SIGSTOP) | SIGTSTP)
#define SIG_KERNEL_COREDUMP_MASK ((rt_sigmask(SIGQUIT) | SIGEMT_MASK | rt_sigmask(SIGSYS)))
#define SIG_KERNEL_IGNORE_MASK (rt_sigmask(SIGCONT) | SIGWHAT_MASK | FROB_MASK | (x + 1))
#define FROB_MASK frob(SIGURG)
#endif
"""


@pytest.fixture
def classes(tmp_path: Path):  # type: ignore[no-untyped-def]
    write_tree(tmp_path, {"include/linux/signal.h": SIGNAL_H})
    return masks(scan(DirectorySource(tmp_path), CLASSES))


def test_plain_terms_resolve_in_order(classes) -> None:  # type: ignore[no-untyped-def]
    assert classes["SIG_KERNEL_ONLY_MASK"].signals == ("SIGKILL", "SIGSTOP")
    assert classes["SIG_KERNEL_STOP_MASK"].signals == ("SIGSTOP", "SIGTSTP")
    assert classes["SIG_KERNEL_ONLY_MASK"].conditional == () and classes["SIG_KERNEL_ONLY_MASK"].unresolved == ()


def test_an_arch_term_is_kept_as_conditional_under_its_own_condition_only(classes) -> None:  # type: ignore[no-untyped-def]
    coredump = classes["SIG_KERNEL_COREDUMP_MASK"]
    assert coredump.signals == ("SIGQUIT", "SIGSYS")
    # `#ifdef __KERNEL__` is around the mask itself too: it says nothing of SIGEMT.
    assert [(c.signal, c.condition) for c in coredump.conditional] == [("SIGEMT", "#ifdef SIGEMT")]
    assert coredump.unresolved == ()


def test_terms_without_a_signal_definition_are_unresolved(classes) -> None:  # type: ignore[no-untyped-def]
    ignore = classes["SIG_KERNEL_IGNORE_MASK"]
    assert ignore.signals == ("SIGCONT",)
    assert ignore.unresolved == ("SIGWHAT_MASK", "FROB_MASK", "(x + 1)")


@pytest.mark.parametrize(
    ("name", "row"),
    [
        ("SIGTERM", "SIGTERM"),
        ("SIGIOT", "SIGABRT"),
        ("SIGPOLL", "SIGIO"),
        ("SIGCLD", "SIGCHLD"),
        ("SIGRTMIN", "SIGRTMIN+0"),
        ("SIGRTMIN+4", "SIGRTMIN+4"),
        ("SIGRTMIN + 4", "SIGRTMIN+4"),
        ("SIGRTMAX", "SIGRTMIN+30"),
        ("SIGRTMAX-2", "SIGRTMIN+28"),
        ("SIGRTMIN+31", None),
        ("SIGRTMIN-1", None),
        ("SIGFOO", None),
    ],
)
def test_signal_rows(name: str, row: str | None) -> None:
    assert signals.canonical(name) == row


def test_signal_numbers_and_row_order() -> None:
    assert (signals.from_number(9), signals.from_number(15), signals.from_number(64)) == ("SIGKILL", "SIGTERM", None)
    names = ["SIGRTMIN+10", "SIGTERM", "SIGRTMIN+2", "SIGHUP"]
    assert sorted(names, key=signals.row_key) == ["SIGHUP", "SIGTERM", "SIGRTMIN+2", "SIGRTMIN+10"]
    assert (
        signals.is_signal_name("SIGIOT")
        and signals.is_signal_name("SIGRTMAX")
        and signals.is_signal_name("SIGRTMIN")
        and not signals.is_signal_name("SIGX")
    )


def test_signal_classes_of_the_early_2_6_shape_resolve() -> None:
    # 2.6.11 .. 2.6.24 kernel/signal.c built the classes from a local bit macro M(sig), with
    # SIGEMT through M_SIGEMT, 0 where the arch has no SIGEMT. Written after v2.6.20's shape.
    source = b"""\
#if SIGRTMIN > BITS_PER_LONG
#define M(sig) (1ULL << ((sig)-1))
#else
#define M(sig) (1UL << ((sig)-1))
#endif
#define T(sig, mask) (M(sig) & (mask))

#ifdef SIGEMT
#define M_SIGEMT\tM(SIGEMT)
#else
#define M_SIGEMT\t0
#endif

#define SIG_KERNEL_ONLY_MASK (\\
\tM(SIGKILL)   |  M(SIGSTOP)                                   )

#define SIG_KERNEL_COREDUMP_MASK (\\
        M(SIGQUIT)   |  M(SIGILL)    |  M(SIGTRAP)   |  M(SIGABRT)   | \\
        M(SIGXCPU)   |  M(SIGXFSZ)   |  M_SIGEMT                     )

#define SIG_KERNEL_ODD_MASK (M(SIGKILL) | WEIRD(SIGSTOP))
"""
    names = ("SIG_KERNEL_ONLY_MASK", "SIG_KERNEL_COREDUMP_MASK", "SIG_KERNEL_ODD_MASK")
    found = {m.name: m for m in analyze_one("kernel/signal.c", "b", source, names).of("mask")}
    assert found["SIG_KERNEL_ONLY_MASK"].signals == ("SIGKILL", "SIGSTOP")
    coredump = found["SIG_KERNEL_COREDUMP_MASK"]
    assert coredump.signals == ("SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGXCPU", "SIGXFSZ")
    assert [(c.signal, c.condition) for c in coredump.conditional] == [("SIGEMT", "#ifdef SIGEMT")]
    # a term built by a macro that is no bit shift is named, never dropped
    assert (found["SIG_KERNEL_ODD_MASK"].signals, found["SIG_KERNEL_ODD_MASK"].unresolved) == (
        ("SIGKILL",),
        ("WEIRD(SIGSTOP)",),
    )


def test_term_definitions_spread_over_lines_with_comments_and_branches(tmp_path: Path) -> None:
    header = (
        b"#define QUIT_MASK rt_sigmask(SIGQUIT)\n"
        b"#define EMT_MASK \\\n\trt_sigmask( SIGEMT ) /* some arches \xe9 only */\n"
        b"#ifndef SIGSTKFLT\n#define STKFLT_MASK 0\n#else\n#define STKFLT_MASK rt_sigmask(SIGSTKFLT)\n#endif\n"
        b"#ifdef CONFIG_ODD\n#define URG_MASK frob(SIGURG)\n#else\n#define URG_MASK rt_sigmask(SIGURG)\n#endif\n"
        b"#ifdef CONFIG_A\n#ifdef SIGPWR\n#define PWR_MASK rt_sigmask(SIGPWR)\n#endif\n#endif\n"
        b"#define SIG_KERNEL_COREDUMP_MASK \\\n"
        b"\t(QUIT_MASK | EMT_MASK | STKFLT_MASK | URG_MASK | PWR_MASK | rt_sigmask(SIGSYS))\n"
    )
    (tmp_path / "include" / "linux").mkdir(parents=True)
    (tmp_path / "include" / "linux" / "signal.h").write_bytes(header)
    mask = masks(scan(DirectorySource(tmp_path), ("SIG_KERNEL_COREDUMP_MASK",)))["SIG_KERNEL_COREDUMP_MASK"]
    # unconditional definitions, one continued on the next line with a comment (not UTF-8) after it
    assert mask.signals == ("SIGQUIT", "SIGEMT", "SIGSYS")
    # `0` adds nothing, the other branch still counts; a branch that does not resolve is named
    assert [(c.signal, c.condition) for c in mask.conditional] == [
        ("SIGSTKFLT", "#else (of #ifndef SIGSTKFLT)"),
        ("SIGURG", "#else (of #ifdef CONFIG_ODD)"),
        ("SIGPWR", "#ifdef CONFIG_A && #ifdef SIGPWR"),
    ]
    assert mask.unresolved == ("URG_MASK",)
