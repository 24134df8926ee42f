"""HTML report: self-contained, escaped, generic over fact families, and checked in a real browser."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from analyzer import families, history, resources
from analyzer.diff import ReportDiff, diff_reports
from analyzer.errors import UsageError
from analyzer.families import Family, Level
from analyzer.history import Timeline, build_timeline
from analyzer.log import CommitLog, build_log
from analyzer.model import Attribution, Construct, Location, Report, Site, SiteKind, SourceInfo, SourceKind, Status
from analyzer.report import html as html_module
from analyzer.report import json as json_report
from analyzer.report.html import (
    CSP,
    SOURCE_URL_PRESETS,
    Links,
    c_tokens,
    render_html,
    source_url_template,
)
from analyzer.report.log import render_log
from analyzer.scan import scan_many
from analyzer.sources import Source, open_source
from analyzer.sources.git import open_repo
from analyzer.sources.lines import source_lines_from
from tests.conftest import make_repo, unavailable
from tests.history_repo import HistoryRepo

ACTUAL = Path(__file__).resolve().parent / "actual"
PAYLOAD = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# --- fixtures and helpers ----------------------------------------------------------------


@dataclasses.dataclass
class Scanned:
    """Sources and their reports, in the order given."""

    sources: list[Source]
    reports: list[Report]

    def lines(self) -> html_module.SourceLines:
        """A source_lines reader over these trees."""
        return source_lines_from(self.sources)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """The kernel fixture repo's v-r1, v-r2, v-r3."""
    repo = make_repo(tmp_path_factory.mktemp("html"), "kernel")
    sources = [open_source(ref, str(repo)) for ref in ("v-r1", "v-r2", "v-r3")]
    return Scanned(sources, scan_many(sources))


@pytest.fixture(scope="module")
def systemd(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """The systemd-like fixture repo's v-r1 and v-r2."""
    repo = make_repo(tmp_path_factory.mktemp("html-systemd"), "systemd")
    sources = [open_source(ref, str(repo)) for ref in ("v-r1", "v-r2")]
    return Scanned(sources, scan_many(sources))


HOSTILE_OLD = """\
static int evil(struct task_struct *t, const char *msg)
{
\tif (t->signal->flags & SIGNAL_UNKILLABLE)
\t\treturn 1;
\treturn 0;
}
"""
HOSTILE_NEW = f"""\
/* {PAYLOAD} */
static int evil(struct task_struct *t, const char *msg)
{{
\tif (t->signal->flags & SIGNAL_UNKILLABLE /* {PAYLOAD} */ &&
\t    !strcmp(msg, "</script><img src=x onerror='window.__pwned=3'>\u202e"))
\t\treturn 1;
\treturn 0;
}}
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """Two directory trees; the newer one has script and image markup in a comment and a string."""
    root = tmp_path_factory.mktemp("hostile")
    sources = []
    for name, code in (("old", HOSTILE_OLD), ("new", HOSTILE_NEW)):
        (root / name / "kernel").mkdir(parents=True)
        (root / name / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 1\n")
        (root / name / "kernel" / "evil.c").write_text(code, encoding="utf-8")
        sources.append(open_source(str(root / name)))
    return Scanned(sources, scan_many(sources))


class Page(HTMLParser):
    """A parsed page: start tags with attributes, the text outside <style>, and the summary's numbers."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.summary: dict[tuple[str, str], str] = {}
        self._in_style = False
        self._row = ""
        self._cell: tuple[str, str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        self._in_style = tag == "style"
        if tag == "tr":
            self._row = found.get("data-kind") or ""
        status = found.get("data-status")
        self._cell = (self._row, status) if tag == "td" and self._row and status else None

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False if tag == "style" else self._in_style
        self._cell = None if tag == "td" else self._cell

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.chunks.append(data)
        if self._cell is not None:
            self.summary[self._cell] = self.summary.get(self._cell, "") + data.strip()

    @property
    def text(self) -> str:
        """The document's text, as a reader sees the characters."""
        return "".join(self.chunks)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        """Attributes of every `tag` element."""
        return [attrs for name, attrs in self.tags if name == tag]


def expected_counts(data: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(row key, status) -> count, computed from a diff's JSON: per kind, all sites, per family."""
    counts: Counter[tuple[str, str]] = Counter()
    for change in data["changes"]:
        counts[(change["kind"], change["status"])] += 1
    for change in data["fact_changes"]:
        counts[(change["family"], change["status"])] += 1
    rows = {change["kind"] for change in data["changes"]} | {change["family"] for change in data["fact_changes"]}
    found = {(row, s.value): str(counts[(row, s.value)]) for row in rows for s in Status}
    found.update({("sites", status): str(n) for status, n in data["summary"].items()})
    return found


# --- self-contained and escaped ------------------------------------------------------------


def test_pages_are_self_contained_with_a_strict_policy(kernel: Scanned) -> None:
    old, new = kernel.reports[1:]
    for obj in (new, diff_reports(old, new), build_timeline(kernel.reports)):
        html = render_html(obj, kernel.lines(), "elixir")
        page = Page(html)
        assert page.tags[0][0] == "html" and html.startswith("<!DOCTYPE html>")
        metas = page.named("meta")
        assert metas[0] == {"charset": "utf-8"}
        assert metas[1] == {"http-equiv": "Content-Security-Policy", "content": CSP}
        assert CSP.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:;")
        assert not page.named("script") and not page.named("link") and not page.named("img")
        assert not any("src" in attrs for _tag, attrs in page.tags)
        assert "@import" not in html and "url(" not in html


def test_hostile_source_text_is_escaped_everywhere(hostile: Scanned) -> None:
    old, new = hostile.reports
    for lines in (hostile.lines(), None):
        for obj in (new, diff_reports(old, new)):
            html = render_html(obj, lines)
            page = Page(html)
            assert PAYLOAD not in html
            assert PAYLOAD in page.text
            assert "&lt;/script&gt;&lt;script&gt;window.__pwned=1" in html
            assert [tag for tag, _ in page.tags].count("script") == 0
            assert not page.named("img")


def test_invisible_characters_are_shown_by_code_point(hostile: Scanned) -> None:
    html = render_html(diff_reports(*hostile.reports), hostile.lines())
    assert "\u202e" not in html
    assert '<span class="ctl">U+202E</span>' in html


# --- summary -------------------------------------------------------------------------------


def test_summary_counts_equal_the_json(kernel: Scanned) -> None:
    result = diff_reports(kernel.reports[1], kernel.reports[2])
    shown = Page(render_html(result)).summary
    assert shown == expected_counts(json_report.to_json(result))
    assert shown[("sites", "changed")] == str(sum(c.status is Status.CHANGED for c in result.of("site")))


# --- code in context -----------------------------------------------------------------------


def test_changed_statement_in_context_with_changed_tokens_marked(kernel: Scanned) -> None:
    html = render_html(diff_reports(kernel.reports[1], kernel.reports[2]), kernel.lines())
    card = _card(html, "sig_task_ignored")
    assert '<span class="del">from_ancestor_ns</span>' in card
    assert '<span class="ins">force</span>' in card and '<span class="ins">sig_kernel_only</span>' in card
    assert '<tr class="focus"><td class="ln">29</td>' in card and '<tr class="focus"><td class="ln">42</td>' in card
    assert '<td class="ln">26</td>' in card  # three lines of context above the statement


def test_without_source_lines_only_the_statement_is_shown(kernel: Scanned) -> None:
    card = _card(render_html(diff_reports(kernel.reports[1], kernel.reports[2])), "sig_task_ignored")
    assert '<td class="ln"></td>' in card and '<td class="ln">26</td>' not in card
    assert '<span class="del">from_ancestor_ns</span>' in card


def _card(html: str, function: str) -> str:
    """The HTML of the first site card whose headline names `function`."""
    start = html.index(f'<code class="function">{function}')
    return html[start : html.index("</article>", start)]


def test_c_tokens_classify_comments_strings_preprocessor_keywords_and_tracked_names() -> None:
    code = '#define X 0x40 /* c */\nif (p->flags & SIGNAL_UNKILLABLE) return "s\\"";'
    found = [(cls, text) for cls, text in c_tokens(code, {"SIGNAL_UNKILLABLE"}) if text.strip()]
    assert found == [
        ("p", "#define"),
        ("", "X"),
        ("n", "0x40"),
        ("c", "/* c */"),
        ("k", "if"),
        ("", "("),
        ("", "p"),
        ("", "-"),
        ("", ">"),
        ("", "flags"),
        ("", "&"),
        ("t", "SIGNAL_UNKILLABLE"),
        ("", ")"),
        ("k", "return"),
        ("s", '"s\\""'),
        ("", ";"),
    ]


# --- links ---------------------------------------------------------------------------------


def test_presets_build_elixir_and_cgit_links(kernel: Scanned) -> None:
    info, where = kernel.reports[2].source, Location("kernel/signal.c", 41, 5)
    assert Links(SOURCE_URL_PRESETS["elixir"], "kernel").url(info, where) == (
        "https://elixir.bootlin.com/linux/v-r3/source/kernel/signal.c#L41"
    )
    assert Links(source_url_template("cgit"), "kernel").url(info, where, 43) == (
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/kernel/signal.c?h=v-r3#n43"
    )
    html = render_html(diff_reports(*kernel.reports[1:]), kernel.lines(), "elixir")
    assert 'href="https://elixir.bootlin.com/linux/v-r3/source/kernel/signal.c#L41"' in html


def test_link_fields_are_url_escaped() -> None:
    info = SourceInfo(kind="git", spec="x", ref='v1 "#?&/', commit="abc")
    links = Links("https://example.org/{project}/{ref}/{commit}/source/{path}#L{line}", "init")
    assert links.url(info, Location('a b/c"#?.c', 7, 1)) == (
        "https://example.org/init/v1%20%22%23%3F%26%2F/abc/source/a%20b/c%22%23%3F.c#L7"
    )
    no_commit = SourceInfo("directory", "d")
    assert Links("https://example.org/{commit}/{path}", "kernel").url(no_commit, Location("a", 1, 1)) is None


@pytest.mark.parametrize(
    "template",
    [
        "javascript:alert(1)//{path}",
        "JavaScript:alert(1)",
        "data:text/html,{path}",
        "java\tscript:alert(1)",
        " https://example.org/{path}",
        "https://example.org/{path}\n",
        "https://{path}/x",
        "https://example.org/{secret}",
        "https://example.org/{path.__class__}",
        "https://example.org/{line!r}",
        "https://example.org/{line:>9}",
        "https://example.org/{path",
        "elixir2",
    ],
)
def test_only_http_templates_with_known_fields_are_accepted(template: str) -> None:
    with pytest.raises(UsageError):
        source_url_template(template)
    with pytest.raises(UsageError):
        render_html(Timeline((), ()), source_url=template)


# --- generic over fact families -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Beacon:
    """A fact type this module was not written for."""

    name: str
    location: Location
    strength: int


def test_a_new_fact_family_appears_in_scan_diff_and_history(kernel: Scanned) -> None:
    def beacons(report: Report) -> Any:
        strength = 1 if report.source.ref == "v-r2" else 2
        return (Beacon("lighthouse <b>", Location("kernel/light.c", 3, 1), strength),)

    families.register(Family("beacon", "Beacons", Beacon, "beacons", compared=vars, levels=(Level(lambda b: b.name),)))
    try:
        old, new = (dataclasses.replace(r, facts={**r.facts, "beacon": beacons(r)}) for r in kernel.reports[1:])
        timeline = build_timeline([old, new])
        assert [row.cells for row in timeline.rows if row.family == "beacon"] == [("present", "changed")]
        for obj in (new, diff_reports(old, new), timeline):
            html = render_html(obj, source_url="elixir")
            assert ">Beacons" in html and "lighthouse &lt;b&gt;" in html
            assert "kernel/light.c" in html
        diff_html = render_html(diff_reports(old, new))
        assert 'data-kind="beacon"' in diff_html
        assert '<div class="field differs"><span class="fname">strength</span>' in diff_html
    finally:
        families.unregister("beacon")


def test_init_signal_tables_side_by_side(systemd: Scanned) -> None:
    old, new = systemd.reports
    result = diff_reports(old, new)
    html = render_html(result, systemd.lines())
    section = html[html.index('id="f-disposition"') :]
    assert "<th>v-r1</th><th>v-r2</th>" in section
    moved = [c for c in result.of("disposition") if c.status is Status.MOVED]
    assert moved and section.count('<tr class="st-moved">') == len(moved)
    assert "src/core/crash-handler.c:20" in section and "src/core/main.c:19" in section
    scan = render_html(new)
    assert ">PID 1 signal table</h2>" in scan and "<td>SIGRTMIN+7" not in scan  # cells are items
    assert '<span class="item">SIGRTMIN+7</span>' in scan


# --- history -------------------------------------------------------------------------------


def test_history_grid_columns_in_version_order(kernel: Scanned) -> None:
    timeline = build_timeline(kernel.reports)
    page = Page(render_html(timeline, source_url="elixir"))
    heads = [attrs.get("title") for attrs in page.named("th") if attrs.get("class") == "release"]
    assert heads[:3] == [f"v-r{n} (Linux {v}, commit {(r.source.commit or '')[:12]})" for n, v, r in _releases(kernel)]
    states = [attrs.get("data-state") for attrs in page.named("td") if attrs.get("data-state")]
    assert states == [cell or "absent" for row in _grouped(timeline) for cell in row.cells]
    hrefs = [attrs.get("href") or "" for attrs in page.named("a")]
    assert any(href.startswith("https://elixir.bootlin.com/linux/v-r3/") for href in hrefs)


def _releases(kernel: Scanned) -> list[tuple[int, str, Report]]:
    versions = [r.source.release or "" for r in kernel.reports]
    return [(n, version, report) for n, (version, report) in enumerate(zip(versions, kernel.reports, strict=True), 1)]


def _grouped(timeline: Timeline) -> list[history.TimelineRow]:
    """Rows in the page's order: grouped by family, first appearance first."""
    order = list(dict.fromkeys(row.family for row in timeline.rows))
    return sorted(timeline.rows, key=lambda row: order.index(row.family))


# --- in a real browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright; skipped where Chromium is not installed, failed under CI."""
    if CHROMIUM is None:
        unavailable("chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def open_page(browser: Any, tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    """Open an HTML string as a file:// page; collects console messages and page errors."""
    pages: list[Any] = []

    def opener(html: str) -> Any:
        path = tmp_path / f"page{len(pages)}.html"
        path.write_text(html, encoding="utf-8")
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(15_000)
        page.messages = []
        page.on("console", lambda message: page.messages.append(message.text))
        page.on("pageerror", lambda error: page.messages.append(str(error)))
        page.goto(path.as_uri())
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()


def test_browser_shows_the_json_summary_counts(open_page: Callable[[str], Any], kernel: Scanned) -> None:
    result = diff_reports(kernel.reports[1], kernel.reports[2])
    page = open_page(render_html(result, kernel.lines(), "elixir"))
    shown = page.eval_on_selector_all(
        "tr[data-kind] td[data-status]",
        "cells => cells.map(c => [c.parentElement.dataset.kind, c.dataset.status, c.innerText.trim()])",
    )
    assert {(kind, status): n for kind, status, n in shown} == expected_counts(json_report.to_json(result))
    assert page.locator("article.card").count() == len(result.of("site"))
    ACTUAL.mkdir(exist_ok=True)
    page.screenshot(path=str(ACTUAL / "html-diff.png"))
    assert (ACTUAL / "html-diff.png").stat().st_size > 10_000


def test_browser_displays_hostile_text_and_runs_nothing(open_page: Callable[[str], Any], hostile: Scanned) -> None:
    old, new = hostile.reports
    for obj in (diff_reports(old, new), new):
        page = open_page(render_html(obj, hostile.lines()))
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        assert PAYLOAD in page.inner_text("article.card")
        assert page.get_by_text(PAYLOAD).first.is_visible()
        assert not [m for m in page.messages if "Content Security Policy" in m]
    ACTUAL.mkdir(exist_ok=True)
    page.screenshot(path=str(ACTUAL / "html-hostile.png"), full_page=True)


def test_browser_history_grid(open_page: Callable[[str], Any], kernel: Scanned) -> None:
    timeline = build_timeline(kernel.reports)
    page = open_page(render_html(timeline, kernel.lines(), "elixir"))
    assert page.eval_on_selector_all("table.timeline", "ts => ts.length") == len({r.family for r in timeline.rows})
    heads = page.eval_on_selector_all("table.timeline th.release", "hs => hs.slice(0, 3).map(h => h.innerText.trim())")
    assert heads == ["v-r1", "v-r2", "v-r3"]
    assert page.locator("td.tl").count() == len(timeline.rows) * len(timeline.releases)
    ACTUAL.mkdir(exist_ok=True)
    page.screenshot(path=str(ACTUAL / "html-history.png"), full_page=True)


def test_browser_init_diff(open_page: Callable[[str], Any], systemd: Scanned) -> None:
    result: ReportDiff = diff_reports(*systemd.reports)
    page = open_page(render_html(result, systemd.lines()))
    assert page.locator("#f-disposition table.facts").first.is_visible()
    assert not page.locator("details.folded table.facts").is_visible()  # unchanged rows start folded
    page.locator("details.folded > summary").first.click()
    assert page.locator("details.folded table.facts").is_visible()
    ACTUAL.mkdir(exist_ok=True)
    page.screenshot(path=str(ACTUAL / "html-init-diff.png"), full_page=True)


def test_context_that_starts_inside_a_block_comment_is_still_a_comment() -> None:
    lines = ["/*", " * if (x) return SIGNAL_UNKILLABLE;", " * the end */", "void f(void)", "{"]
    lines += ["\tif (t->signal->flags & SIGNAL_UNKILLABLE)", "\t\treturn;", "}"]
    text = "if (t->signal->flags & SIGNAL_UNKILLABLE)"
    site = Site(
        "SIGNAL_UNKILLABLE", SiteKind.TEST, Location("k.c", 6, 25), "f", Attribution.PARSER, Construct.IF, text, text
    )
    report = Report(SourceInfo(SourceKind.GIT, "v1", ref="v1"), ("SIGNAL_UNKILLABLE",), {"site": (site,)}, (), ())
    card = _card(render_html(report, lambda _info, _path: lines), "f")
    assert '<td class="ln">3</td><td class="src"><span class="c"> * the end */</span></td>' in card
    assert '<td class="ln">2</td>' not in card  # three lines of context, no more
    assert card.count('<span class="t">SIGNAL_UNKILLABLE</span>') == 1


def test_a_saved_git_report_reads_its_commit_again(kernel: Scanned, tmp_path: Path) -> None:
    saved = tmp_path / "r3.json"
    saved.write_text(json_report.dumps(json_report.to_json(kernel.reports[2])))
    report = json_report.read_report(saved)
    card = _card(render_html(report, source_lines_from()), "sig_task_ignored")
    assert '<tr class="focus"><td class="ln">41</td>' in card and '<td class="ln">38</td>' in card
    gone = dataclasses.replace(report, source=dataclasses.replace(report.source, repo=str(tmp_path / "nowhere")))
    assert '<td class="ln">38</td>' not in _card(render_html(gone, source_lines_from()), "sig_task_ignored")


def test_browser_explain_cell_opens_to_its_reasons(open_page: Callable[[str], Any]) -> None:
    from analyzer.explain import explain
    from analyzer.report.html import render_explanation_html
    from analyzer.scan import scan_many
    from analyzer.sources import open_source

    force = Path(__file__).resolve().parent.parent / "fixtures" / "delivery" / "force"
    (report,) = scan_many([open_source(str(force), None)])
    page = open_page(render_explanation_html(explain(report)))
    assert not page.messages
    kill = page.locator("#container-init-ancestor-ns tr", has_text="SIGKILL").locator("td.o-killed details")
    assert not kill.locator("ol.because").is_visible()
    kill.locator("summary").click()
    reasons = kill.locator("ol.because li")
    assert reasons.count() > 5 and reasons.first.is_visible()
    texts = reasons.all_inner_texts()
    # the fixture's send_signal_locked gives the host's kill(2) force = true (hand-read, kernel/signal.c)
    assert any("force = true;" in t and t.endswith("= true") for t in texts)
    ACTUAL.mkdir(exist_ok=True)
    page.screenshot(path=str(ACTUAL / "html-explain.png"), full_page=True)


# --- the commit log ------------------------------------------------------------------------

LOG_SIGNAL_C = """\
int sig_task_ignored(struct task_struct *t, int sig)
{
\tif (t->signal->flags & SIGNAL_UNKILLABLE)
\t\treturn 1;
\treturn 0;
}
"""
LOG_FORK_C = """\
static int copy_signal(unsigned long clone_flags, struct signal_struct *sig)
{
\tif (clone_flags & CLONE_NEWPID)
\t\tsig->flags |= SIGNAL_UNKILLABLE;
\treturn 0;
}
"""
LOG_EXIT_C = """\
void do_exit(long code)
{
\tif (current->signal->flags & SIGNAL_UNKILLABLE)
\t\tpanic("init exited");
}
"""


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[CommitLog, dict[str, str]]:
    """v1..v2 of a repo written commit by commit: a comment edit, a changed guard, a new test (hostile subject)."""
    repo = HistoryRepo(tmp_path_factory.mktemp("log") / "repo")
    files = {"Makefile": "VERSION = 1\n", "include/linux/sched.h": "#define SIGNAL_UNKILLABLE 0x00000040\n"}
    repo.commit("base", {**files, "kernel/signal.c": LOG_SIGNAL_C, "kernel/fork.c": LOG_FORK_C})
    repo.tag("v1")
    ids = {"comment": repo.commit("signal: explain", {"kernel/signal.c": "/* SIGNAL_UNKILLABLE */\n" + LOG_SIGNAL_C})}
    guard = LOG_FORK_C.replace("clone_flags & CLONE_NEWPID", "clone_flags & (CLONE_NEWPID | CLONE_NEWNS)")
    ids["guard"] = repo.commit("fork: also for mount namespaces", {"kernel/fork.c": guard})
    ids["added"] = repo.commit(f"exit: init may not exit {PAYLOAD}", {"kernel/exit.c": LOG_EXIT_C})
    repo.tag("v2")
    return build_log(open_repo(str(repo.path)), "v1..v2"), ids


def test_log_page_lists_the_commits_and_shows_what_each_changed(logged: tuple[CommitLog, dict[str, str]]) -> None:
    log, ids = logged
    html = render_log(log, "html", source_lines=source_lines_from(), source_url="https://example.org/c/{commit}")
    page = Page(html)
    assert page.named("meta")[1] == {"http-equiv": "Content-Security-Policy", "content": CSP}
    assert not page.named("script") and not page.named("img")
    assert [row["data-commit"] for row in page.named("tr") if "data-commit" in row] == [ids["guard"], ids["added"]]
    reasons = {row["data-reason"] for row in page.named("tr") if "data-reason" in row}
    assert reasons == {"changed", "merge", "comments", "lines", "other code", "merged"}
    summary = "3 commits in the range; 3 changed a file that mentions a tracked name; 2 changed the analysed logic"
    assert summary in page.text
    # each listed commit's section: its one change, its code in context, ids unique on the page
    guard = html[html.index(f'id="c-{ids["guard"][:12]}"') : html.index(f'id="c-{ids["added"][:12]}"')]
    assert guard.count('<article class="card st-changed">') == 1 and "copy_signal" in guard
    assert '<tr class="differs"><th>guards</th>' in guard and "(CLONE_NEWPID | CLONE_NEWNS))</span></td></tr>" in guard
    # the statement's lines around it, read from its commit (a {commit} template links them to it)
    assert f'<td class="ln"><a href="https://example.org/c/{ids["guard"]}">1</a></td>' in guard
    added = html[html.index(f'id="c-{ids["added"][:12]}"') :]
    assert added.count('<article class="card st-added">') == 1 and "do_exit" in added
    assert f'<a href="https://example.org/c/{ids["added"]}">' in added
    assert "unchanged" not in guard + added  # a commit's section shows what it changed, nothing else
    element_ids = [attrs["id"] for _tag, attrs in page.tags if "id" in attrs]
    assert len(element_ids) == len(set(element_ids))
    assert PAYLOAD not in html and PAYLOAD in page.text  # the hostile subject is text


def test_log_page_with_all_says_why_a_commit_is_not_listed(logged: tuple[CommitLog, dict[str, str]]) -> None:
    log, ids = logged
    page = Page(render_log(dataclasses.replace(log, show_all=True), "html"))
    assert [row["data-commit"] for row in page.named("tr") if "data-commit" in row] == list(ids.values())
    assert "not a change of the logic: only comments or blank space changed" in page.text


def test_log_sarif_has_a_run_per_listed_commit(logged: tuple[CommitLog, dict[str, str]]) -> None:
    import jsonschema

    log, ids = logged
    sarif = json.loads(render_log(log, "sarif"))
    schema = json.loads((resources.reports_dir() / "sarif-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    runs = sarif["runs"]
    assert [run["properties"]["commit"] for run in runs] == [ids["guard"], ids["added"]]
    assert [run["versionControlProvenance"][0]["revisionId"] for run in runs] == [ids["guard"], ids["added"]]
    guard, added = (run["results"] for run in runs)
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in guard] == [
        ("site/changed", 4)
    ]
    assert [(r["ruleId"], r["level"], r["message"]["text"]) for r in added] == [
        ("site/added", "note", "SIGNAL_UNKILLABLE test added: if (current->signal->flags & SIGNAL_UNKILLABLE)")
    ]


def test_browser_log_page(open_page: Callable[[str], Any], logged: tuple[CommitLog, dict[str, str]]) -> None:
    log, ids = logged
    page = open_page(render_log(log, "html", source_lines=source_lines_from()))
    rows = page.eval_on_selector_all("table.commits tbody tr", "rows => rows.map(r => r.dataset.commit)")
    assert rows == [ids["guard"], ids["added"]]
    assert page.locator("section.commit").count() == 2 and page.locator("article.card").count() == 2
    page.locator(f'a[href="#c-{ids["added"][:12]}"]').click()
    assert page.locator(f"#c-{ids['added'][:12]} article.card.st-added").is_visible()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert not [m for m in page.messages if "Content Security Policy" in m]
    ACTUAL.mkdir(exist_ok=True)
    page.screenshot(path=str(ACTUAL / "html-log.png"), full_page=True)
    assert (ACTUAL / "html-log.png").stat().st_size > 10_000
