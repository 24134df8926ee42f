"""Remote releases: only the named tags, shallow, into a bare cache repo; hostile URLs and refs refused."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from analyzer.errors import SourceError
from analyzer.scan import scan_many
from analyzer.sources import remote
from analyzer.sources.git import GitSource, open_repo
from analyzer.sources.remote import cache_dir, cache_repo, check_remote_url, fetch_tags, repo_for, terminal_progress


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the XDG cache at tmp_path, so no test writes to the real home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path / "xdg-cache"


@pytest.fixture
def upstream(repo_factory: Callable[..., Path]) -> Path:
    """A bare fixture repo with annotated tags v-r1..v-r3 and branch main, as a remote."""
    return repo_factory("kernel", bare=True)


def git_out(git_dir: Path, *args: str) -> str:
    """Run git on `git_dir` and return its stripped stdout."""
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def fetch_logged(url: str, *refs: str) -> tuple[Path, list[str]]:
    """fetch_tags, also returning the progress lines it reported."""
    lines: list[str] = []
    return fetch_tags(url, refs, lines.append), lines


def site_rows(repo: Path, ref: str) -> list[tuple[str, int, str, str | None, str]]:
    """The sites a scan of `ref` in `repo` finds."""
    (report,) = scan_many([GitSource(open_repo(str(repo)), ref)])
    return [(s.location.path, s.location.line, s.kind.value, s.function, s.normalized) for s in report.sites]


def test_only_the_named_tags_arrive_shallow_in_a_bare_cache(upstream: Path, cache_home: Path) -> None:
    cache, lines = fetch_logged(upstream.as_uri(), "v-r1", "v-r3")
    assert cache.parent == cache_home / "siganalyze" / "repos"
    assert git_out(cache, "tag").splitlines() == ["v-r1", "v-r3"]
    assert git_out(cache, "for-each-ref", "--format=%(refname)", "refs/heads") == ""
    for tag in ("v-r1", "v-r3"):
        assert git_out(cache, "rev-parse", f"{tag}^{{commit}}") == git_out(upstream, "rev-parse", f"{tag}^{{commit}}")
    assert git_out(cache, "rev-parse", "--is-shallow-repository") == "true"
    assert git_out(cache, "rev-parse", "--is-bare-repository") == "true"
    assert not (cache / ".git").exists() and (cache / "HEAD").is_file()
    # git's --progress, split on '\r', reaches the callback one redraw at a time
    counting = [line for line in lines if line.startswith("remote: Counting objects: ")]
    assert len(counting) > 2 and counting[-1].endswith(", done.")


def test_second_run_reuses_the_cache_without_the_remote(upstream: Path) -> None:
    url = upstream.as_uri()
    first, _ = fetch_logged(url, "v-r2")
    upstream.rename(upstream.with_name("gone.git"))  # any contact with the remote would now fail
    second, lines = fetch_logged(url, "v-r2")
    assert second == first
    assert lines == [f"v-r2: already cached in {first}"]
    with pytest.raises(SourceError, match=f"^cannot list the refs of {url}: "):
        fetch_tags(url, ["v-r3"])  # proof that the first call did not need it


def test_a_new_tag_is_added_next_to_cached_ones(upstream: Path) -> None:
    fetch_tags(upstream.as_uri(), ["v-r1"])
    cache, lines = fetch_logged(upstream.as_uri(), "v-r1", "v-r2")
    assert lines[0].startswith("v-r1: already cached")
    assert lines[1].startswith(f"fetching v-r2 from {upstream.as_uri()}")
    assert git_out(cache, "tag").splitlines() == ["v-r1", "v-r2"]


def test_a_name_that_is_no_tag_is_fetched_as_a_branch(upstream: Path) -> None:
    cache, lines = fetch_logged(upstream.as_uri(), "main")
    assert "main: no such tag, fetching branch refs/heads/main" in lines
    assert git_out(cache, "rev-parse", "refs/heads/main") == git_out(upstream, "rev-parse", "main")


def test_a_tag_of_a_bare_tree_is_fetched_and_readable(upstream: Path) -> None:
    # torvalds/linux.git tags v2.6.11 this way: a tree, before git had its history.
    subprocess.run(["git", "--git-dir", str(upstream), "tag", "v-tree", "v-r3^{tree}"], check=True)
    cache = fetch_tags(upstream.as_uri(), ["v-tree"])
    source = GitSource(open_repo(str(cache)), "v-tree")
    assert source.info.commit is None and source.info.tree == git_out(upstream, "rev-parse", "v-r3^{tree}")


def test_a_missing_tag_is_one_line_naming_the_url(upstream: Path) -> None:
    with pytest.raises(SourceError) as caught:
        fetch_tags(upstream.as_uri(), ["v-r1", "v-r9"])
    assert str(caught.value) == f"{upstream.as_uri()} has no tag or branch named v-r9"
    assert git_out(cache_repo(upstream.as_uri()), "tag") == ""  # all or nothing: v-r1 was not fetched either


def test_an_unreachable_remote_is_one_line_naming_the_url_and_why(tmp_path: Path) -> None:
    url = (tmp_path / "nowhere.git").as_uri()
    with pytest.raises(SourceError) as caught:
        fetch_tags(url, ["v-r1"])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot list the refs of {url}: ")
    assert "does not appear to be a git repository" in message


HOSTILE_URLS = [
    "ext::sh -c touch% /tmp/pwned",
    "fd::3",
    "foo::bar",
    "-oProxyCommand=x",
    "--upload-pack=x",
    "ssh://-oProxyCommand=x/repo",
    "ssh://user@-oProxyCommand=x/repo",
    "-oProxyCommand=x:repo",
    "user@-oProxyCommand=x:repo",
    "ftp://example.org/linux.git",
    "https://example.org/linux.git\n--upload-pack=x",
    "",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_refused_before_git_runs(url: str) -> None:
    pwned = Path("/tmp/pwned")
    existed = pwned.exists()
    with pytest.raises(SourceError) as caught:
        fetch_tags(url, ["v-r1"])
    assert "\n" not in str(caught.value)
    assert pwned.exists() == existed
    assert not cache_dir().exists()  # refused before even the cache repo was made


def test_git_refuses_ext_even_if_the_url_check_were_bypassed(
    upstream: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "check_remote_url", lambda _url: None)
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "ext:file")  # a user's wider setting does not count
    marker = tmp_path / "pwned"
    with pytest.raises(SourceError, match="transport 'ext' not allowed"):
        fetch_tags(f"ext::sh -c touch% {marker}", ["v-r1"])
    assert not marker.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git",
        "http://example.org/linux.git",
        "git://example.org/linux.git",
        "ssh://git@example.org:2222/linux.git",
        "git@github.com:systemd/systemd.git",
        "file:///srv/git/linux.git",
        "/srv/git/linux.git",
        "../linux.git",
        "/srv/my repos/linux.git",
    ],
)
def test_plain_urls_pass(url: str) -> None:
    check_remote_url(url)


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "-v", "v-r1:refs/heads/main", "v-r1^{tree}", "v..r1", "v*", ""])
def test_option_like_or_malformed_refs_are_refused(upstream: Path, ref: str) -> None:
    output = Path("/tmp/x")
    existed = output.exists()
    with pytest.raises(SourceError):
        fetch_tags(upstream.as_uri(), ["v-r1", ref])
    assert output.exists() == existed
    assert not cache_dir().exists()


def test_the_cache_repo_scans_like_the_original(upstream: Path) -> None:
    cache = fetch_tags(upstream.as_uri(), ["v-r2", "v-r3"])
    for tag in ("v-r2", "v-r3"):
        rows = site_rows(cache, tag)
        assert rows and rows == site_rows(upstream, tag)


def test_a_relative_path_remote_is_cached_under_its_absolute_path(
    upstream: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(upstream.parent)
    assert fetch_tags(upstream.name, ["v-r1"]) == cache_repo(str(upstream))


def test_repo_for_takes_the_remote_or_the_projects_default(upstream: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert repo_for(["v-r1"], upstream.as_uri(), "systemd") == cache_repo(upstream.as_uri())
    monkeypatch.setitem(remote.DEFAULT_REMOTES, "kernel", str(upstream))
    assert repo_for(["v-r1"], None, None) == cache_repo(str(upstream))
    with pytest.raises(SourceError, match="no default upstream for project 'init'") as caught:
        repo_for(["v1.0"], None, "init")
    assert caught.value.hint == "name one with --remote URL"


def test_cache_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert cache_dir() == tmp_path / "home" / ".cache" / "siganalyze" / "repos"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "siganalyze" / "repos"


def test_cache_repo_names_are_readable_distinct_and_hide_credentials() -> None:
    kernel = cache_repo(remote.DEFAULT_REMOTES["kernel"])
    assert kernel.name.startswith("git.kernel.org-pub-scm-linux-kernel-git-torvalds-linux-")
    assert kernel.name.endswith(".git")
    assert cache_repo("https://example.org/a/linux.git") != cache_repo("https://example.org/b/linux.git")
    with_token = cache_repo("https://me:s3cret@example.org/linux.git")
    assert "s3cret" not in str(with_token) and with_token == cache_repo("https://example.org/linux.git")
    with pytest.raises(SourceError) as caught:
        check_remote_url("ftp://me:s3cret@example.org/linux.git")
    assert "s3cret" not in str(caught.value)


def test_terminal_progress_prints_only_finished_lines_off_a_terminal() -> None:
    out = io.StringIO()
    show = terminal_progress(out)
    for line in ("Receiving objects:  50% (1/2)", "Receiving objects: 100% (2/2), done.", "From file:///x"):
        show(line)
    assert out.getvalue() == "Receiving objects: 100% (2/2), done.\nFrom file:///x\n"
