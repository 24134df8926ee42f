"""Dependencies point one way: sources -> parse -> extract -> families -> pipeline/diff/history -> report -> cli.

Read from the source with ast, so imports inside functions (lazy ones) count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "analyzer"

# Lower layers never import higher ones; a module may import its own layer (no cycle, below).
LAYERS: list[tuple[str, ...]] = [
    (
        "analyzer.vocab",
        "analyzer.errors",
        "analyzer.model",
        "analyzer.resources",
        "analyzer.progress",
        "analyzer.interrupts",
    ),
    ("analyzer.live",),  # a leaf: live runs need only the standard library and errors
    ("analyzer.codec", "analyzer.words"),
    ("analyzer.sources",),
    ("analyzer.preprocess", "analyzer.parse", "analyzer.queries", "analyzer.syntax"),
    ("analyzer.extract",),
    ("analyzer.delivery",),
    ("analyzer.families",),
    (
        "analyzer.cache",
        "analyzer.cache_codec",
        "analyzer.candidates",
        "analyzer.commits",
        "analyzer.comments",
        "analyzer.scan",
        "analyzer.diff",
        "analyzer.history",
        "analyzer.log",
        "analyzer.explain",
        "analyzer.verify",
        "analyzer.workers",
        "analyzer.init_files",
    ),
    ("analyzer.report",),
    ("analyzer.cli", "analyzer.__main__", "analyzer.arguments"),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The analyzer modules `name` imports anywhere in its body."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in found if m in MODULES and m != name and m != "analyzer"}


def layer_of(name: str) -> int:
    for rank, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{name} is in no layer: add it to LAYERS")


def test_every_module_has_a_layer() -> None:
    for name in MODULES:
        if name != "analyzer":
            layer_of(name)


def test_no_import_points_to_a_higher_layer() -> None:
    wrong = [
        f"{name} -> {target}"
        for name in MODULES
        if name != "analyzer"
        for target in imports_of(name)
        if layer_of(target) > layer_of(name)
    ]
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = {name: imports_of(name) for name in MODULES}
    # a package's __init__ importing its own submodules is how a package is assembled, not a cycle
    edges = {n: {t for t in targets if not t.startswith(n + ".")} for n, targets in graph.items()}
    seen: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for target in sorted(edges[node]):
            if seen.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in seen:
                visit(target, [*path, target])
        seen[node] = 2

    for name in sorted(edges):
        if name not in seen:
            visit(name, [name])
    assert cycles == []


def test_renderers_never_open_repositories() -> None:
    for name in (n for n in MODULES if n.startswith("analyzer.report")):
        opened = {t for t in imports_of(name) if t.startswith("analyzer.sources")}
        assert not opened, f"{name} imports {opened}"
