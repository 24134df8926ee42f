"""Which files are PID 1: the main() that starts it, the files around it, and what is left out."""

from __future__ import annotations

import posixpath
import re

from analyzer.extract.init.context import Context
from analyzer.extract.init.nodes import mentions
from analyzer.extract.init.vocabulary import API, Helper, helpers
from analyzer.sources import is_c_source

_TEST_DIRS = frozenset({"test", "tests", "testsuite", "t"})
_MAIN_DEF = re.compile(rb"^[ \t]*(?:int|void)[ \t]+main[ \t]*\(", re.M)
# systemd's PID 1 is the program whose main() creates the manager; its directory is the scope.
_SYSTEMD_PID1_MARK = "manager_new"


def choose_scope(ctx: Context, candidates: list[str]) -> None:
    """Split candidate files into the PID 1 scope and the excluded ones."""
    tests = [p for p in candidates if is_test(p)]
    rest = [p for p in candidates if not is_test(p)]
    ctx.excluded.update(p for p in tests if _installs(ctx, p))
    main_data = _main_files(ctx)
    mains = list(main_data)
    if ctx.project == "systemd":
        pid1 = [m for m in mains if mentions(main_data[m], _SYSTEMD_PID1_MARK)]
        ctx.main = pid1[0] if pid1 else None
        top = posixpath.dirname(ctx.main) + "/" if ctx.main else ""
        inside = [p for p in rest if p.startswith(top)] if ctx.main else []
    else:
        initish = [m for m in mains if re.search(r"init$|^init", posixpath.basename(m).rsplit(".", 1)[0])]
        chosen = initish if len(mains) > 1 and initish else mains
        ctx.main = chosen[0] if chosen else None
        others = set(mains) - set(chosen)
        inside = [p for p in rest if p not in others]
    ctx.scope = inside
    ctx.excluded.update(p for p in rest if p not in inside and _installs(ctx, p) and not _defines_helper(ctx, p))


def is_test(path: str) -> bool:
    """Test code: a test directory, or a file named test-* / test_* / *_test.c."""
    parts = path.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return bool(_TEST_DIRS & set(parts[:-1])) or stem.startswith(("test-", "test_")) or stem.endswith("_test")


def relevant(ctx: Context, path: str) -> bool:
    """True when `path` calls the signal API or a helper (not only mentions a word)."""
    names = set(API) | set(helpers())
    return any(callee in names for callee, _, _ in ctx.unit(path).calls)


def helper_files(ctx: Context) -> set[str]:
    """Files defining the helpers the scope calls (as functions or macros)."""
    called = {c for path in ctx.scope for c, _, _ in ctx.unit(path).calls if c in helpers()}
    if not called:
        return set()
    out = set()
    for path in ctx.source.candidate_files(tuple(sorted(called))):
        if is_c_source(path) and not is_test(path):
            unit = ctx.unit(path)
            if unit.defined & called or ctx.resolver.function_macros_in(path) & called:
                out.add(path)
    return out


def _main_files(ctx: Context) -> dict[str, bytes]:
    """Non-test C files defining main(), sorted, with their text."""
    found = sorted(p for p in ctx.source.candidate_files(("main",)) if is_c_source(p) and not is_test(p))
    texts = {p: ctx.source.read(p) for p in found}
    return {p: data for p, data in texts.items() if _MAIN_DEF.search(data)}


def _installs(ctx: Context, path: str) -> bool:
    """True when `path` calls sigaction/signal or a disposition helper in code."""
    unit = ctx.unit(path)
    return any(
        callee in ("sigaction", "signal", "sigprocmask", "pthread_sigmask", "signalfd")
        or helpers().get(callee, Helper("", "", None)).effect in ("sigaction", "ignored", "default", "mask")
        for callee, _, _ in unit.calls
    )


def _defines_helper(ctx: Context, path: str) -> bool:
    """True when `path` defines one of the helpers (a library file PID 1 links)."""
    return bool(ctx.unit(path).defined & set(helpers()))
