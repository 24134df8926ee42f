"""Load and compile queries/*.scm once, with the tracked identifiers substituted."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence

import tree_sitter

from analyzer import resources
from analyzer.errors import QueryError, UsageError

# The capture vocabulary (queries/README.md): field captures fill the dataclass field of the
# same name; anchor captures name what a match means.
FIELD_CAPTURES = frozenset({"ident", "operand", "value", "name", "callee", "variable", "term", "signal", "handler"})
ANCHOR_PREFIXES = ("kind.", "def.", "call.", "assign.")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
PLACEHOLDER = '"@TRACKED@"'


def check_identifiers(idents: tuple[str, ...]) -> None:
    """Refuse anything that is not a C identifier before it reaches a query or git."""
    if bad := [ident for ident in idents if not IDENTIFIER.match(ident)]:
        raise UsageError(f"not a C identifier: {bad[0]!r}")


@functools.cache
def load_query(name: str, tracked: tuple[str, ...] = ()) -> tree_sitter.Query:
    """Compile queries/<name>.scm, with the placeholder replaced by the quoted `tracked` names."""
    from analyzer.parse import C_LANGUAGE  # the grammar loads with the first query: scan checks names without it

    check_identifiers(tracked)
    text = (resources.queries_dir() / f"{name}.scm").read_text(encoding="utf-8")
    text = text.replace(PLACEHOLDER, " ".join(f'"{ident}"' for ident in tracked))
    try:
        query = tree_sitter.Query(C_LANGUAGE, text)
    except tree_sitter.QueryError as exc:
        raise QueryError(f"queries/{name}.scm: {exc}") from exc
    for i in range(query.capture_count):
        capture = query.capture_name(i)
        if capture not in FIELD_CAPTURES and not capture.startswith(ANCHOR_PREFIXES):
            raise QueryError(f"queries/{name}.scm: capture @{capture} is not in the vocabulary")
    return query


def iter_matches(
    query: tree_sitter.Query, node: tree_sitter.Node, spans: Sequence[tuple[int, int]] | None = None
) -> Iterator[dict[str, tree_sitter.Node]]:
    """Yield {capture: node} per match in source order (tree-sitter does not promise it).

    With `spans`, only the matches that overlap one of these byte ranges, each once: a
    query whose every match holds a word (a name a predicate asks for) then visits the
    nodes around that word's places, not the whole tree.
    """
    if spans is None:
        found = tree_sitter.QueryCursor(query).matches(node)
    else:
        found, seen = [], set()
        cursor = tree_sitter.QueryCursor(query)
        for start, end in spans:
            cursor.set_byte_range(start, end)
            for match in cursor.matches(node):
                identity = (match[0], *((n.start_byte, n.end_byte, n.type) for ns in match[1].values() for n in ns))
                if identity not in seen:
                    seen.add(identity)
                    found.append(match)
    matches = [{name: nodes[0] for name, nodes in captures.items()} for _pattern, captures in found]
    yield from sorted(matches, key=lambda m: min(n.start_byte for n in m.values()))


def anchor_of(match: dict[str, tree_sitter.Node]) -> str:
    """The anchor capture of a match, e.g. "kind.set"."""
    return next(name for name in match if name.startswith(ANCHOR_PREFIXES))
