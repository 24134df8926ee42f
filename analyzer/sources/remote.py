"""Releases fetched from an upstream remote: only the named tags, shallow, into a bare cache repo."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from analyzer.errors import SourceError

Progress = Callable[[str], None]

# Where releases come from when there is no clone at hand (`--remote URL` overrides).
# torvalds/linux.git starts at v2.6.12-rc2, but releases older than that history are tags
# too: v2.6.11 (and v2.6.11-tree) name a bare tree, which fetch_tags and GitSource both
# handle. Releases before v2.6.11 are in no tag of it: point --remote at a history repo.
DEFAULT_REMOTES = {
    "kernel": "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git",
    "systemd": "https://github.com/systemd/systemd.git",
}

ALLOWED_PROTOCOLS = ("file", "https", "http", "git", "ssh")
# Every git call is pinned to these transports, whatever the user's config says (an
# url.*.insteadOf rewrite included), so no URL can reach ext::, fd:: or a remote helper.
_PROTOCOL_CONFIG = [
    "-c",
    "protocol.allow=never",
    *(arg for name in ALLOWED_PROTOCOLS for arg in ("-c", f"protocol.{name}.allow=always")),
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/]*)")
_TRANSPORT = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)::")  # <transport>::<address>: runs git-remote-<transport>
_SCP_LIKE = re.compile(r"([^/:]*):")  # git's scp-like syntax: a colon before the first slash
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@")
_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/@:]*):[^/@]*@")
_URL_HINT = "use an https://, http://, git://, ssh:// or file:// URL, user@host:path or a local path"
_COUNTER = re.compile(r"(remote: )?[A-Za-z ]+: +\d")  # "Receiving objects:  45% (2/5)", redrawn in place
# With no network the upstream is out of reach: the tree may well be on disk already.
_OFFLINE_HINT = "no network? name a local clone with --repo PATH, or scan a directory or a tarball"


def cache_dir() -> Path:
    """The directory holding cache repos: $XDG_CACHE_HOME (or ~/.cache)/siganalyze/repos."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative value is invalid and must be ignored.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "siganalyze" / "repos"


def cache_repo(url: str) -> Path:
    """The path of the bare cache repo for `url`: its host and path, sanitized, plus a short hash."""
    plain = _USERINFO.sub(r"\1", url)  # credentials neither name nor split the cache
    readable = re.sub(r"[^A-Za-z0-9._]+", "-", _SCHEME.sub(r"\2/", plain, count=1).removesuffix(".git"))
    readable = readable[-80:].strip("-.") or "repo"
    digest = hashlib.sha256(plain.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return cache_dir() / f"{readable}-{digest}.git"


def check_remote_url(url: str) -> None:
    """Refuse a URL that git could run a command from or read as an option."""
    shown = _public(url)
    if not url:
        raise SourceError("the remote URL is empty")
    if url.startswith("-"):
        raise SourceError(f"{shown!r} looks like an option, not a remote URL")
    if any(ord(char) < 0x20 or char == "\x7f" for char in url):
        raise SourceError(f"{shown!r}: control characters in a remote URL are refused")
    if transport := _TRANSPORT.match(url):
        raise SourceError(f"{shown!r}: the {transport.group(1)}:: transport is refused", hint=_URL_HINT)
    if scheme := _SCHEME.match(url):
        if scheme.group(1).lower() not in ALLOWED_PROTOCOLS:
            raise SourceError(f"{shown!r}: the {scheme.group(1)}:// scheme is refused", hint=_URL_HINT)
        if scheme.group(1).lower() != "file" or scheme.group(2):  # file:///path has no host
            _check_host(shown, scheme.group(2))
    elif scp := _SCP_LIKE.match(url):
        _check_host(shown, scp.group(1))


def _check_host(shown: str, authority: str) -> None:
    """Refuse a user or host that ssh would read as an option (`ssh://-oProxyCommand=...`)."""
    user, _, host = authority.rpartition("@")
    if not host or host.startswith("-") or user.startswith("-"):
        raise SourceError(f"{shown!r}: the host must be a name, not empty or an option")


def check_ref(ref: str) -> None:
    """Refuse a ref that git could read as an option or that is no valid tag or branch name."""
    if ref.startswith("-"):
        raise SourceError(f"{ref!r} looks like an option, not a ref")
    # Refs go into `src:dst` refspecs: a ':', '^', '..' or glob must never get that far.
    checked = subprocess.run(["git", "check-ref-format", f"refs/tags/{ref}"], capture_output=True, check=False)
    if checked.returncode:
        raise SourceError(f"{ref!r} is not a valid tag or branch name")


def fetch_tags(url: str, refs: Sequence[str], progress: Progress | None = None) -> Path:
    """Fetch the named tags (or, failing that, branches) of `url` at depth 1; return the cache repo.

    Tags already in the cache repo are reused without contacting the remote.
    """
    check_remote_url(url)
    url = _absolute(url)
    names = list(dict.fromkeys(refs))
    for ref in names:
        check_ref(ref)
    say = progress or (lambda _line: None)
    repo = cache_repo(url)
    _init_bare(repo)
    cached = _local_refs(repo)
    missing = []
    for ref in names:
        if f"refs/tags/{ref}" in cached:
            say(f"{ref}: already cached in {repo}")
        else:  # a branch moves, so it is fetched again every time
            missing.append(ref)
    if missing:
        _fetch(repo, url, _refspecs(repo, url, missing, say), say)
    return repo


def repo_for(
    refs: Sequence[str], remote: str | None, project_hint: str | None, progress: Progress | None = None
) -> Path:
    """The cache repo holding `refs`, fetched from `remote` or the project's default upstream."""
    if remote is None:
        project = project_hint or "kernel"
        if project not in DEFAULT_REMOTES:
            raise SourceError(f"no default upstream for project {project!r}", hint="name one with --remote URL")
        remote = DEFAULT_REMOTES[project]
    return fetch_tags(remote, refs, progress)


def terminal_progress(stream: TextIO | None = None) -> Progress:
    """A progress callback: git's counters redrawn in place on a terminal, finished lines elsewhere."""
    out = stream or sys.stderr
    tty = out.isatty()

    def show(line: str) -> None:
        finished = not _COUNTER.match(line) or line.endswith("done.")
        if tty:
            out.write(f"\r\x1b[K{line}" + ("\n" if finished else ""))
        elif finished:
            out.write(line + "\n")
        out.flush()

    return show


def _absolute(url: str) -> str:
    """`url`, with a relative local path made absolute so one cache repo never serves two remotes."""
    if _SCHEME.match(url) or _SCP_LIKE.match(url) or os.path.isabs(url):
        return url
    return os.path.abspath(url)


def _init_bare(repo: Path) -> None:
    """Create `repo` as a bare repository (never a work tree) unless it exists."""
    if (repo / "HEAD").is_file():
        return
    repo.parent.mkdir(parents=True, exist_ok=True)
    created = subprocess.run(["git", "init", "--bare", "--quiet", "--", str(repo)], capture_output=True, check=False)
    if created.returncode:
        raise SourceError(f"cannot create the cache repo {repo}: {_reason(_lines(created.stderr))}")


def _local_refs(repo: Path) -> set[str]:
    """The tag and branch names the cache repo holds, as full ref names."""
    listed = subprocess.run(
        ["git", "--git-dir", str(repo), "for-each-ref", "--format=%(refname)", "refs/tags", "refs/heads"],
        capture_output=True,
        check=False,
    )
    if listed.returncode:
        raise SourceError(f"cannot read the cache repo {repo}: {_reason(_lines(listed.stderr))}")
    return set(listed.stdout.decode("utf-8", "surrogateescape").splitlines())


def _refspecs(repo: Path, url: str, names: Sequence[str], say: Progress) -> list[str]:
    """Refspecs fetching each name as a tag, or as a branch when the remote has no such tag."""
    listed = subprocess.run(
        [*_git(repo), "ls-remote", "--refs", "--tags", "--heads", "--", url],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=_env(),
        check=False,
    )
    if listed.returncode:
        raise SourceError(
            f"cannot list the refs of {_public(url)}: {_reason(_lines(listed.stderr))}", hint=_OFFLINE_HINT
        )
    remote_refs = {line.partition("\t")[2] for line in listed.stdout.decode("utf-8", "surrogateescape").splitlines()}
    refspecs, absent = [], []
    for name in names:
        if f"refs/tags/{name}" in remote_refs:
            refspecs.append(f"refs/tags/{name}:refs/tags/{name}")
        elif f"refs/heads/{name}" in remote_refs:
            say(f"{name}: no such tag, fetching branch refs/heads/{name}")
            refspecs.append(f"+refs/heads/{name}:refs/heads/{name}")  # '+': branches may be rewound
        else:
            absent.append(name)
    if absent:
        raise SourceError(
            f"{_public(url)} has no tag or branch named {', '.join(absent)}",
            hint="check the release name, or name another upstream with --remote URL",
        )
    return refspecs


def _fetch(repo: Path, url: str, refspecs: Sequence[str], say: Progress) -> None:
    """Run one shallow `git fetch` of `refspecs`, streaming its progress lines to `say`."""
    say(f"fetching {', '.join(spec.rpartition('/')[2] for spec in refspecs)} from {_public(url)} into {repo}")
    args = [*_git(repo), "fetch", "--depth", "1", "--no-tags", "--progress", "--", url, *refspecs]
    tail: deque[str] = deque(maxlen=20)
    with subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env()
    ) as proc:
        assert proc.stderr is not None
        try:
            for line in _iter_lines(proc.stderr.fileno()):
                tail.append(line)
                say(line)
        except BaseException:  # Ctrl-C or a failing callback: do not leave git running
            proc.kill()
            raise
    if proc.returncode:
        raise SourceError(f"fetching from {_public(url)} failed: {_reason(list(tail))}", hint=_OFFLINE_HINT)


def _git(repo: Path) -> list[str]:
    """The start of a git command line on the cache repo, transports restricted."""
    return ["git", "--git-dir", str(repo), *_PROTOCOL_CONFIG]


def _env() -> dict[str, str]:
    """The environment for git calls that talk to a remote."""
    return {
        **os.environ,
        # GIT_ALLOW_PROTOCOL outranks protocol.* config, so a user's value could widen it.
        "GIT_ALLOW_PROTOCOL": ":".join(ALLOWED_PROTOCOLS),
        # A mistyped https URL makes some hosts ask for a password: fail instead of hanging.
        "GIT_TERMINAL_PROMPT": "0",
        # English messages, so the "fatal:" line that explains a failure can be picked out.
        "LC_ALL": "C",
    }


def _iter_lines(fd: int) -> Iterator[str]:
    """Yield the non-blank lines read from `fd`, split on '\\r' (progress redraws) and '\\n'."""
    pending = b""
    while chunk := os.read(fd, 65536):
        *lines, pending = re.split(rb"[\r\n]", pending + chunk)
        yield from (text for line in lines if (text := line.decode("utf-8", "replace").rstrip()))
    if text := pending.decode("utf-8", "replace").rstrip():
        yield text


def _lines(stderr: bytes) -> list[str]:
    """The non-blank lines of captured stderr."""
    return [line.rstrip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]


def _reason(lines: Sequence[str]) -> str:
    """The line of git's stderr that says why it failed: the first fatal/error line, else the last."""
    for line in lines:
        if line.startswith(("fatal: ", "error: ")):
            return line.partition(": ")[2]
    return lines[-1] if lines else "git failed without a message"


def _public(url: str) -> str:
    """`url` with any password replaced, fit to print."""
    return _PASSWORD.sub(r"\1:***@", url)


__all__ = [
    "DEFAULT_REMOTES",
    "cache_dir",
    "cache_repo",
    "check_ref",
    "check_remote_url",
    "fetch_tags",
    "repo_for",
    "terminal_progress",
]
