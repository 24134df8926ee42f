"""Which files are PID 1: the main() that starts it, the files around it, and what is left out."""

from __future__ import annotations

import posixpath
import re

from analyzer.extract.init.context import Context
from analyzer.extract.init.nodes import mentions
from analyzer.extract.init.vocabulary import API, Helper, entry_rules, helpers
from analyzer.sources import is_c_source

_TEST_DIRS = frozenset({"test", "tests", "testsuite", "t"})
# systemd's PID 1 is the program whose main() creates the manager; its directory is the scope.
_SYSTEMD_PID1_MARK = "manager_new"


def choose_scope(ctx: Context, candidates: list[str]) -> None:
    """Split candidate files into the PID 1 scope and the excluded ones."""
    tests = [p for p in candidates if is_test(p)]
    rest = [p for p in candidates if not is_test(p)]
    ctx.excluded.update(p for p in tests if _installs(ctx, p))
    main_data = _defining(ctx, "main")
    mains = list(main_data)
    if ctx.project == "systemd":
        pid1 = [m for m in mains if mentions(main_data[m], _SYSTEMD_PID1_MARK)]
        ctx.main = pid1[0] if pid1 else None
        top = posixpath.dirname(ctx.main) + "/" if ctx.main else ""
        inside = [p for p in rest if p.startswith(top)] if ctx.main else []
    else:
        ctx.entry, ctx.main = _entry(ctx, main_data)
        # Other programs of the tree (their own main) are not PID 1.
        others = set(mains) - {ctx.main}
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
    return not ctx.unit(path).callees.isdisjoint((*API, *helpers()))


def helper_files(ctx: Context) -> set[str]:
    """Files defining the helpers the scope calls (as functions or macros)."""
    called = {c for path in ctx.scope for c in ctx.unit(path).callees if c in helpers()}
    if not called:
        return set()
    paths = [p for p in ctx.files.candidate_files(tuple(sorted(called))) if is_c_source(p) and not is_test(p)]
    ctx.load(paths)
    out = set()
    for path in paths:
        if ctx.unit(path).defined & called or ctx.resolver.function_macros_in(path) & called:
            out.add(path)
    return out


def _defining(ctx: Context, function: str) -> dict[str, bytes]:
    """Non-test C files defining `function` (returning int or void), sorted, with their text."""
    found = sorted(p for p in ctx.files.candidate_files((function,)) if is_c_source(p) and not is_test(p))
    name = re.escape(function.encode())
    # A definition, not a declaration: the body's brace comes before any semicolon.
    definition = re.compile(rb"^[ \t]*(?:static[ \t]+)?(?:int|void)[ \t]+" + name + rb"[ \t]*\([^;{]*\{", re.M)
    texts = ctx.files.texts(found)
    return {p: data for p, data in texts.items() if definition.search(data)}


def _entry(ctx: Context, mains: dict[str, bytes]) -> tuple[str, str | None]:
    """PID 1's entry function and its file, by the rules of queries/init/entry-points.txt."""
    for kind, name in entry_rules():
        if kind == "applet":  # a dispatch table next to a main(): { "init", pid1_entry }
            pattern = re.compile(rb'\{\s*"' + re.escape(name.encode()) + rb'"\s*,\s*&?\s*([A-Za-z_]\w*)\s*[,}]')
            for data in mains.values():
                if (match := pattern.search(data)) and (files := _defining(ctx, match.group(1).decode())):
                    return match.group(1).decode(), next(iter(files))
        elif files := (mains if name == "main" else _defining(ctx, name)):
            # Several programs with a main(): the one named like an init is PID 1 (sysvinit's init.c).
            initish = [p for p in files if re.search(r"init$|^init", posixpath.basename(p).rsplit(".", 1)[0])]
            return name, (initish or list(files))[0]
    return "main", None


def _installs(ctx: Context, path: str) -> bool:
    """True when `path` calls sigaction/signal or a disposition helper in code."""
    return any(
        callee in ("sigaction", "signal", "sigprocmask", "pthread_sigmask", "signalfd")
        or helpers().get(callee, Helper("", "", None)).effect in ("sigaction", "ignored", "default", "mask")
        for callee in ctx.unit(path).callees
    )


def _defines_helper(ctx: Context, path: str) -> bool:
    """True when `path` defines one of the helpers (a library file PID 1 links)."""
    return bool(ctx.unit(path).defined & set(helpers()))
