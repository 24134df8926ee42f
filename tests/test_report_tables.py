"""Doc tables (md, rst, csv): gold files, validity of each format, escaping, generic fact tables."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer import families
from analyzer.diff import ReportDiff, diff_reports
from analyzer.errors import UsageError
from analyzer.families import Family
from analyzer.history import Timeline, build_timeline
from analyzer.model import (
    Branch,
    ConditionalSignal,
    Disposal,
    Disposition,
    Guard,
    Hop,
    InitScope,
    Location,
    Project,
    Report,
    Site,
    SiteKind,
    SourceInfo,
    Status,
)
from analyzer.report.tables import FORMATS, cell, csv_safe, md_escape, render_table, rst_cell, rst_title, tables
from analyzer.scan import scan_many
from analyzer.sources import open_source
from tests.conftest import make_repo, unavailable

GOLD = Path(__file__).resolve().parent / "gold"
ACTUAL = Path(__file__).resolve().parent / "actual"
UPDATE_GOLD = os.environ.get("SIGANALYZE_UPDATE_GOLD") == "1"
NASTY = "x |= `tick` ``two`` *bold* _u_ [l](u) $m$ &amp; </script><img src=x onerror=alert(1)>\n|| \\| \u202eend"


# --- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report, Report]:
    """The fixture repo and its scans of v-r2 and v-r3 (every default tracked name)."""
    repo = make_repo(tmp_path_factory.mktemp("tables"), "kernel")
    old, new = scan_many([open_source(ref, str(repo)) for ref in ("v-r2", "v-r3")])
    return repo, old, new


def subjects(reports: tuple[Path, Report, Report]) -> dict[str, Report | ReportDiff]:
    """The gold subjects by file stem."""
    _repo, old, new = reports
    return {"report-v-r2": old, "diff-v-r2-v-r3": diff_reports(old, new)}


def check_gold(name: str, actual: str) -> None:
    """Compare with tests/gold/<name> byte for byte; save a mismatch to tests/actual/."""
    gold = GOLD / name
    if UPDATE_GOLD:
        gold.write_text(actual, encoding="utf-8", newline="")
        return
    expected = None
    if gold.exists():
        with gold.open(encoding="utf-8", newline="") as stored:
            expected = stored.read()
    if actual != expected:
        ACTUAL.mkdir(exist_ok=True)
        (ACTUAL / name).write_text(actual, encoding="utf-8", newline="")
        pytest.fail(
            f"{name} differs from tests/gold/{name}; see tests/actual/{name}, "
            "and re-run with SIGANALYZE_UPDATE_GOLD=1 if the change is intended (tests/gold/README.md)"
        )


def site(text: str, **changes: Any) -> Site:
    """A test site whose statement is `text`."""
    base = Site(
        ident="SIGNAL_UNKILLABLE",
        kind=SiteKind.TEST,
        location=Location("kernel/signal.c", 7, 3),
        function="f",
        attributed_by="parser",
        construct="if",
        text=text,
        normalized=text,
    )
    return dataclasses.replace(base, **changes)


def report_of(*sites: Site) -> Report:
    """A report of `sites` from a repo whose path must never be printed."""
    source = SourceInfo(kind="git", spec="v1", repo="/secret/repo/.git", ref="v1", commit="a" * 40, release="6.1")
    return Report(source=source, tracked=("SIGNAL_UNKILLABLE",), facts={"site": sites}, files=(), occurrences=())


def md_cells(line: str) -> list[str]:
    """Split a GFM table row on unescaped pipes and undo the backslash escapes."""
    assert line.startswith("| ") and line.endswith(" |"), line
    cells, current, chars = [], "", iter(line[1:-1])
    for ch in chars:
        if ch == "\\":
            current += next(chars)
        elif ch == "|":
            cells.append(current.strip())
            current = ""
        else:
            current += ch
    return [*cells, current.strip()]


def md_tables(text: str) -> list[list[list[str]]]:
    """Every pipe table in a Markdown document, as rows of unescaped cells."""
    found: list[list[list[str]]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                found.append([])
            found[-1].append(md_cells(line))
        previous = line
    return found


def docutils_nodes() -> Any:
    """docutils.nodes, or a skip naming what to install (a failure under CI)."""
    try:
        import docutils.nodes
    except ImportError:
        unavailable("pip install docutils to validate reST output")
    return docutils.nodes


def doctree(text: str) -> Any:
    """Parse reST with docutils; fail on any system message of level WARNING or above."""
    nodes = docutils_nodes()
    from docutils.core import publish_doctree

    tree = publish_doctree(text, settings_overrides={"report_level": 5, "halt_level": 5})
    problems = [m.astext() for m in tree.findall(nodes.system_message) if m["level"] >= 2]
    assert not problems, problems
    return tree


def rst_tables(text: str) -> list[list[list[str]]]:
    """Every table docutils finds in a reST document, as rows of cell texts."""
    tree, nodes = doctree(text), docutils_nodes()
    return [
        [[e.astext() for e in row.findall(nodes.entry)] for row in t.findall(nodes.row)]
        for t in tree.findall(nodes.table)
    ]


def section_titles(text: str) -> list[str]:
    """The section titles docutils finds in a reST document."""
    tree, nodes = doctree(text), docutils_nodes()
    return [section[0].astext() for section in tree.findall(nodes.section)]


def expected_rows(obj: Report | ReportDiff | Timeline) -> list[list[list[str]]]:
    """Header and rows of every table that has rows, as the renderers must show them."""
    return [[[c.replace("_", " ") for c in t.columns], *map(list, t.rows)] for t in tables(obj) if t.rows]


def csv_records(text: str) -> list[list[str]]:
    """Parse CSV back, checking RFC 4180 line ends and one field count for every record."""
    assert text.endswith("\r\n")
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert len({len(r) for r in records}) == 1
    return records


# --- gold files --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("stem", ["report-v-r2", "diff-v-r2-v-r3"])
def test_gold(kernel_reports: tuple[Path, Report, Report], stem: str, fmt: str) -> None:
    check_gold(f"{stem}.{fmt}", render_table(subjects(kernel_reports)[stem], fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_repo_path_is_never_printed(kernel_reports: tuple[Path, Report, Report], fmt: str) -> None:
    repo = kernel_reports[0]
    for obj in subjects(kernel_reports).values():
        assert str(repo) not in render_table(obj, fmt)
        assert str(repo.parent) not in render_table(obj, fmt)


# --- each format is valid and shows exactly the table cells ----------------------------


def test_markdown_tables_have_one_column_count_and_the_exact_cells(kernel_reports: tuple[Path, Report, Report]) -> None:
    for obj in subjects(kernel_reports).values():
        text = render_table(obj, "md")
        parsed = md_tables(text)
        for table in parsed:
            assert len({len(row) for row in table}) == 1
            assert set(table[1]) == {"---"}
        assert [[t[0], *t[2:]] for t in parsed] == expected_rows(obj)
        headings = [line for line in text.splitlines() if line.startswith("### ")]
        assert headings == [f"### {t.title}" for t in tables(obj)]


def test_rst_is_valid_for_docutils_and_shows_the_exact_cells(kernel_reports: tuple[Path, Report, Report]) -> None:
    for obj in subjects(kernel_reports).values():
        assert rst_tables(render_table(obj, "rst")) == expected_rows(obj)


def test_rst_sections_are_the_table_titles(kernel_reports: tuple[Path, Report, Report]) -> None:
    _repo, old, _new = kernel_reports
    text = render_table(old, "rst")
    assert doctree(text)["title"].startswith("siganalyze scan of v-r2 (Linux 2.6.34, commit ")
    # a family summarized in a scan (the delivery table) has its own command's tables
    assert section_titles(text) == [f.title for f in families.shown() if old.of(f.name) and not f.summarize]


def test_csv_is_one_table_keyed_by_the_table_column(kernel_reports: tuple[Path, Report, Report]) -> None:
    for obj in subjects(kernel_reports).values():
        header, *records = csv_records(render_table(obj, "csv"))
        assert header[0] == "table"
        for table in tables(obj):
            mine = [r for r in records if r[0] == table.name]
            back = [[r[header.index(c)] for c in table.columns] for r in mine]
            assert back == [[csv_safe(v) for v in row] for row in table.rows]
        assert len(records) == sum(len(t.rows) for t in tables(obj))


def test_report_tables_cover_sites_and_every_fact_family(kernel_reports: tuple[Path, Report, Report]) -> None:
    _repo, old, _new = kernel_reports
    by_name = {t.name: t for t in tables(old)}
    assert list(by_name) == ["sites", "mask", "force", "kill_path"]  # a kernel has no PID 1 table
    assert len(by_name["sites"].rows) == len(old.sites)
    kill = by_name["kill_path"]
    assert kill.columns == ("target", "hops", "primary")
    first = dict(zip(kill.columns, kill.rows[0], strict=True))
    assert first["hops"].startswith("sys_kill -> kill_something_info (kernel/signal.c:")
    mask = dict(zip(by_name["mask"].columns, by_name["mask"].rows[2], strict=True))
    assert mask["conditional"] == "SIGEMT (#ifdef SIGEMT)"


def test_diff_tables_name_old_and_new(kernel_reports: tuple[Path, Report, Report]) -> None:
    _repo, old, new = kernel_reports
    changes, cells, facts = tables(diff_reports(old, new))
    rows = [dict(zip(changes.columns, row, strict=True)) for row in changes.rows]
    clear = next(r for r in rows if r["old_function"] == "force_sig_info")
    assert clear["status"] == "changed" and clear["new_function"] == "force_sig_info_to_task"
    assert clear["differences"] == "function, guards"
    assert {row[0] for row in facts.rows} == {"mask", "force", "kill_path"}
    # the delivery table's changed cells have a table of their own, old and new outcome side by side
    assert cells.name == "delivery_changes"
    kill = next(
        dict(zip(cells.columns, r, strict=True))
        for r in cells.rows
        if r[1:5] == ("container-init", "kernel", "default", "SIGKILL")
    )
    # v-r2 (2.6.34 shape) calls si_fromuser() but does not define it, and a kernel send's task
    # may or may not be visible: from_ancestor_ns is unknown; v-r3 (6.1 shape): force is true
    # for SEND_SIG_PRIV, SIGKILL goes through
    assert (kill["old_outcome"], kill["new_outcome"]) == ("unknown", "killed")
    assert kill["old_unknown"].startswith("sig_task_ignored(t, sig, from_ancestor_ns)")


# --- escaping ----------------------------------------------------------------------------


def test_malicious_statement_is_inert_in_every_format() -> None:
    obj = report_of(site(NASTY, guards=(Guard("a | b", "then"),)))
    flat = cell(NASTY)
    assert "\n" not in flat and "\u202e" not in flat
    md = render_table(obj, "md")
    assert re.search(r"(?<!\\)<", md) is None and "\\</script>\\<img" in md
    (table,) = md_tables(md)
    assert len({len(row) for row in table}) == 1 and table[2][4] == flat
    assert rst_tables(render_table(obj, "rst"))[0][1][4] == flat
    header, record = csv_records(render_table(obj, "csv"))
    assert record[header.index("statement")] == flat
    for fmt in FORMATS:
        assert "/secret/repo" not in render_table(obj, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_report_renders(fmt: str) -> None:
    text = render_table(report_of(), fmt)
    if fmt == "csv":
        assert csv_records(text) == [["table", *tables(report_of())[0].columns]]
    elif fmt == "rst":
        assert rst_tables(text) == []
    else:
        assert md_tables(text) == [] and "### Sites\n\nNone." in text


PRINTABLE = st.text(st.characters(codec="utf-8"), max_size=40)
PUNCTUATION = st.text(st.sampled_from("ab _*`|\\<>&;#[]():$~-=+.!0\n"), max_size=30)


@settings(max_examples=150, deadline=None, database=None)
@given(st.one_of(PRINTABLE, PUNCTUATION))
def test_rst_cells_render_exactly_their_text(text: str) -> None:
    flat = cell(text)
    source = f".. list-table::\n   :header-rows: 1\n\n   * - h\n   * - {rst_cell(flat)}".rstrip() + "\n"
    assert rst_tables(source) == [[["h"], [flat]]]


@settings(max_examples=150, deadline=None, database=None)
@given(st.one_of(PRINTABLE, PUNCTUATION))
def test_rst_titles_render_exactly_their_text(text: str) -> None:
    flat = cell(text)
    if not flat:
        return
    # two sections, so docutils promotes neither to document title or subtitle
    source = f"{rst_title(flat, '-')}\n\ntext\n\nOther\n-----\n\ntext\n"
    assert section_titles(source) == [flat, "Other"]


@settings(database=None)
@given(st.one_of(PRINTABLE, PUNCTUATION))
def test_markdown_cells_split_back_exactly(text: str) -> None:
    flat = cell(text)
    assert md_cells(f"| {md_escape(flat)} | x |") == [flat.strip(), "x"]


def test_markdown_escapes_only_what_can_start_markup() -> None:
    assert md_escape("p->flags & SIGNAL_UNKILLABLE") == "p->flags & SIGNAL_UNKILLABLE"
    assert md_escape("__init *p `x` a|b <b> &lt; ~x $y$") == r"\_\_init \*p \`x\` a\|b \<b> \&lt; \~x \$y\$"


def test_csv_defuses_spreadsheet_formulas() -> None:
    assert [csv_safe(t) for t in ("=1+1", "+x", "-EINVAL", "@SUM(A1)", "a=b")] == [
        "'=1+1",
        "'+x",
        "'-EINVAL",
        "'@SUM(A1)",
        "a=b",
    ]


# --- values and generic tables -----------------------------------------------------------


def test_cells_of_model_values() -> None:
    guards = (Guard("a", "then"), Guard("b", "else"))
    assert cell(guards) == "if (a) < else of if (b)"
    assert cell(Hop("sys_kill", "kill_pid_info", Location("kernel/signal.c", 9, 1))) == (
        "sys_kill -> kill_pid_info (kernel/signal.c:9)"
    )
    assert cell((ConditionalSignal("SIGEMT", "#ifdef SIGEMT"),)) == "SIGEMT (#ifdef SIGEMT)"
    assert [cell(v) for v in (None, True, False, Status.MOVED, ("a", "b"), (), 3)] == [
        "",
        "yes",
        "no",
        "moved",
        "a, b",
        "",
        "3",
    ]
    assert cell("a\r\n  b\n\n\tc\x1b[31m") == "a b c\ufffd[31m"


@dataclasses.dataclass(frozen=True)
class Inner:
    """A value type no renderer knows."""

    x: int
    y: str


@dataclasses.dataclass(frozen=True)
class NewFact:
    """A fact type added after this module was written."""

    name: str
    location: Location
    hops: tuple[Hop, ...]
    guards: tuple[Guard, ...]
    inner: Inner
    flag: bool
    missing: str | None = None


def test_a_new_fact_family_appears_in_every_format() -> None:
    hop = Hop("a", "b", Location("k.c", 3, 1))
    fact = NewFact("n|1", Location("k.c", 2, 5), (hop, hop), (Guard("c", Branch.THEN),), Inner(1, "z"), False)
    family = Family("new_family", "New family", NewFact, "new_facts", compared=vars)
    families.register(family)
    try:
        obj = dataclasses.replace(report_of(), facts={"new_family": (fact,)})
        table = tables(obj)[-1]
        assert (table.name, table.title) == ("new_family", "New family")
        assert table.columns == ("name", "location", "hops", "guards", "inner", "flag", "missing")
        row = ("n|1", "k.c:2", "a -> b (k.c:3), a -> b (k.c:3)", "if (c)", "Inner(x=1, y=z)", "no", "")
        assert table.rows == (row,)
        assert md_tables(render_table(obj, "md"))[-1][2] == list(table.rows[0])
        assert rst_tables(render_table(obj, "rst"))[-1][1] == list(table.rows[0])
        header, record = csv_records(render_table(obj, "csv"))
        assert record[0] == "new_family" and record[header.index("hops")] == table.rows[0][2]
    finally:
        families.unregister("new_family")


def init_report() -> Report:
    """A report with a two-row PID 1 table."""
    rows = (
        Disposition("SIGTERM", Disposal.HANDLER, "on_term", Location("src/core/main.c", 10, 1), "main", "sigaction"),
        Disposition("SIGKILL", Disposal.DEFAULT, None, None, None, "default"),
    )
    scope = InitScope(Project.SYSTEMD, ("src/core/main.c",), ("src/x.c", "src/y.c"), (), main="src/core/main.c")
    return dataclasses.replace(report_of(), init=scope, facts={"disposition": rows})


def test_pid1_gets_a_summary_row_and_its_signal_table_once() -> None:
    found = {t.name: t for t in tables(init_report())}
    assert list(found) == ["sites", "init", "disposition"]
    init = found["init"]
    assert (init.title, init.columns) == (
        "PID 1 (systemd)",
        ("project", "files", "excluded", "unresolved", "note", "skipped", "main", "timed_out", "entry"),
    )
    row = ("systemd", "src/core/main.c", "src/x.c, src/y.c", "", "", "", "src/core/main.c", "", "main")
    assert init.rows == (row,)
    assert found["disposition"].rows[1] == ("SIGKILL", "default", "", "", "", "default", "", "")
    assert [t[-1] for t in rst_tables(render_table(init_report(), "rst"))] == [
        list(init.rows[0]),
        list(found["disposition"].rows[1]),
    ]


def test_a_real_init_scan_renders_in_every_format(repo_factory: Any) -> None:
    (report,) = scan_many([open_source("v-r2", str(repo_factory("systemd")))])
    assert report.init is not None and report.of("disposition")
    expected = expected_rows(report)
    assert rst_tables(render_table(report, "rst")) == expected
    assert [[t[0], *t[2:]] for t in md_tables(render_table(report, "md"))] == expected
    _header, *records = csv_records(render_table(report, "csv"))
    assert sum(r[0] == "disposition" for r in records) == len(report.of("disposition"))


def test_unknown_format_is_a_user_error() -> None:
    with pytest.raises(UsageError, match="unknown table format 'html'"):
        render_table(report_of(), "html")


def test_gold_readme_names_the_update_switch() -> None:
    assert "SIGANALYZE_UPDATE_GOLD=1" in (GOLD / "README.md").read_text(encoding="utf-8")


def test_markdown_headings_follow_the_document_title(kernel_reports: tuple[Path, Report, Report]) -> None:
    _repo, old, new = kernel_reports
    first = render_table(diff_reports(old, new), "md").splitlines()[0]
    assert re.fullmatch(r"## siganalyze diff: v-r2 \(Linux 2\.6\.34, commit \w{12}\) -> v-r3 \(.*\)", first)


def test_timeline_tables_in_every_format(kernel_reports: tuple[Path, Report, Report]) -> None:
    _repo, old, new = kernel_reports
    timeline = build_timeline([old, new])
    table, changes = tables(timeline)
    assert table.columns == ("family", "row", "v-r2", "v-r3")
    assert changes.columns == ("subject", "row", "release", "status", "change")
    # every event is in v-r3, the second release: the first one only holds what is present
    assert {row[2] for row in changes.rows} == {"v-r3"}
    moved = [row for row in changes.rows if row[3] == "moved" and row[0] == "SIGNAL_UNKILLABLE"]
    assert len(moved) == 3 and all(" -> " in row[4] for row in moved)
    assert [row[4] for row in moved if row[1].startswith("SIGNAL_UNKILLABLE define")] == [
        "SIGNAL_UNKILLABLE include/linux/sched.h:35 -> include/linux/sched/signal.h:34"
    ]
    states = {row[2:] for row in table.rows}
    assert ("present", "moved") in states and ("absent", "added") in states  # absent cells stay visible
    assert rst_tables(render_table(timeline, "rst")) == expected_rows(timeline)
    assert [t[:1] + t[2:] for t in md_tables(render_table(timeline, "md"))] == expected_rows(timeline)
    records = csv_records(render_table(timeline, "csv"))
    assert records[0][:3] == ["table", "family", "row"]
    assert len(records) == len(table.rows) + len(changes.rows) + 1
