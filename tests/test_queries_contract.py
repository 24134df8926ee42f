"""Every query compiles, uses only the documented captures, and matches annotated C."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer import resources
from analyzer.errors import UsageError
from analyzer.extract.kernel import analyze_file
from analyzer.queries import ANCHOR_PREFIXES, FIELD_CAPTURES, load_query
from tests.conftest import FIXTURES

QUERY_NAMES = sorted(
    p.relative_to(resources.queries_dir()).with_suffix("").as_posix() for p in resources.queries_dir().rglob("*.scm")
)
ANNOTATION = re.compile(r"^(?P<lead>[ \t]*//[ \t]*)\^ (?P<kind>\w+)(?: (?P<function>\w+))?\s*$")


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_compiles_with_vocabulary_captures(name: str) -> None:
    query = load_query(name, ("SIGNAL_UNKILLABLE", "PF_KTHREAD"))
    captures = {query.capture_name(i) for i in range(query.capture_count)}
    assert captures and all(c in FIELD_CAPTURES or c.startswith(ANCHOR_PREFIXES) for c in captures)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_query_and_capture_is_documented(name: str) -> None:
    readme = (resources.queries_dir() / "README.md").read_text()
    query = load_query(name, ("SIGNAL_UNKILLABLE",))
    assert f"`{name}.scm`" in readme
    for i in range(query.capture_count):
        assert f"`@{query.capture_name(i)}`" in readme


@pytest.mark.parametrize("bad", ['X" "Y', "1abc", "a-b", ""])
def test_tracked_names_must_be_c_identifiers(bad: str) -> None:
    with pytest.raises(UsageError, match="not a C identifier"):
        load_query("kernel/sites", (bad,))


def annotations(path: Path) -> list[tuple[int, int, str, str | None]]:
    """(line, display column, kind, function) asserted by the caret lines of an annotated file.

    Columns are compared with tabs expanded to 8, so `//<TAB>` lines up under `<TAB>`.
    """
    expected = []
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        if match := ANNOTATION.match(line):
            target = number - 1
            while ANNOTATION.match(lines[target - 1]):  # several carets under one code line
                target -= 1
            column = len(match.group("lead").expandtabs(8)) + 1
            expected.append((target, column, match.group("kind"), match.group("function")))
    return sorted(expected)


@pytest.mark.parametrize("path", sorted((FIXTURES / "annotated").glob("*.c")), ids=lambda p: p.name)
def test_annotated_fixture(path: Path) -> None:
    result = analyze_file(path.name, "blob", path.read_bytes(), ("SIGNAL_UNKILLABLE",))
    lines = path.read_text().splitlines()
    sites = {(s.location.line, s.location.column): s for s in result.sites}
    found = []
    for occ in result.occurrences:
        line, column = occ.location.line, occ.location.column
        if line <= 6 or ANNOTATION.match(lines[line - 1]):  # the format's own explanation
            continue
        display = len(lines[line - 1][: column - 1].expandtabs(8)) + 1
        site = sites.get((line, column))
        found.append(
            (line, display, site.kind.value if site else occ.accounted_as.value, site.function if site else None)
        )
    assert sorted(found) == annotations(path)
