"""Git refs read straight from objects: no checkout, the work tree and index untouched.

Reading a ref runs git itself; GitPython (a tenth of a second to import) is loaded only by
what needs its API: opening a repo found from the current directory, history, log.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer import interrupts
from analyzer.errors import SourceError
from analyzer.model import SourceInfo, SourceKind

if TYPE_CHECKING:
    import git

_MAKEFILE_VERSION = re.compile(rb"^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*=[ \t]*(\S*)", re.M)


def open_repo(path: str | None) -> git.Repo:
    """Open the repo at `path`, or the one containing the current directory."""
    with interrupts.deferred():  # a whole import, even on Ctrl-C
        import git
    where = Path(path) if path else Path.cwd()
    try:
        repo = git.Repo(where, search_parent_directories=path is None)
    except git.NoSuchPathError:
        raise SourceError(f"{where}: no such directory") from None
    except git.InvalidGitRepositoryError:
        if path:
            raise SourceError(f"{where}: not a git repository") from None
        raise SourceError(
            f"{where}: not inside a git repository",
            hint="run it in a kernel or systemd clone, or name one with --repo PATH",
        ) from None
    # A bare mirror without a config file looks non-bare to GitPython, which would then
    # run git in the parent directory; pinning GIT_DIR before the first read fixes it.
    repo.git.update_environment(GIT_DIR=repo.git_dir)
    return repo


def git_dir_of(path: str | None) -> str:
    """The git directory open_repo(path) finds (None: the repo around the current directory),
    without GitPython in the plain cases: a bare repo, a work tree with a .git directory."""
    start = os.getcwd() if path is None else path
    if path != "" and not any(c in start for c in "$%") and not any(v in os.environ for v in _GIT_ENV):
        where = os.path.normpath(os.path.abspath(os.path.expanduser(start)))
        while (found := _plain_repo(where)) == "" and path is None:  # nothing here: look further up
            where, tail = os.path.split(where)
            if not tail:
                break
        if found:
            return found
    return str(open_repo(path).git_dir)  # anything else as GitPython sees it, errors included


def _plain_repo(where: str) -> str | None:
    """The git dir of a plain repo at `where`; "" when plainly none is there; None when unsure."""
    dotgit = os.path.join(where, ".git")
    if os.path.lexists(dotgit):
        return dotgit if os.path.isdir(dotgit) and _plainly_git_dir(dotgit) else None
    if _plainly_git_dir(where):
        return where
    return "" if not os.path.lexists(os.path.join(where, "HEAD")) else None


# Variables that change where GitPython looks (or whether it warns): left to it.
_GIT_ENV = ("GIT_DIR", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_WORK_TREE")
_HEAD_SHA = re.compile(rb"(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40})")


def _plainly_git_dir(folder: str) -> bool:
    """A git dir by the test GitPython applies (git's is_git_directory), for the plain case
    only: a HEAD file, objects/ and refs/, no commondir (a linked work tree's)."""
    head = os.path.join(folder, "HEAD")
    if os.path.islink(head) or os.path.lexists(os.path.join(folder, "commondir")):
        return False
    try:
        with open(head, "rb") as f:
            text = f.read(256)
    except OSError:
        return False
    valid = (text.startswith(b"ref:") and text[4:].lstrip().startswith(b"refs/")) or bool(_HEAD_SHA.match(text))
    return valid and os.path.isdir(os.path.join(folder, "objects")) and os.path.isdir(os.path.join(folder, "refs"))


class GitSource:
    """One commit (or tagged tree) of a repository."""

    def __init__(self, repo: git.Repo | str, ref: str) -> None:
        """`repo`: an open repo, or its git directory (git_dir_of)."""
        if ref.startswith("-"):
            raise SourceError(f"{ref!r} looks like an option, not a ref")
        self.git_dir = repo if isinstance(repo, str) else str(repo.git_dir)
        commit, tree, release = _resolve(self.git_dir, ref)
        self.treeish = commit or tree  # what git grep and cat-file read
        self._candidates: dict[tuple[str, ...], dict[str, str]] = {}  # per searched name set
        self.info = SourceInfo(
            kind=SourceKind.GIT, spec=ref, repo=self.git_dir, ref=ref, commit=commit, tree=tree, release=release
        )

    def candidate_files(self, idents: Sequence[str]) -> dict[str, str]:
        """Map each file that mentions a word of `idents` to its blob id (one `git grep`)."""
        key = tuple(idents)
        if key not in self._candidates:
            prefetch_candidates([self], key)
        return self._candidates[key]

    def remember_candidates(self, idents: Sequence[str], found: dict[str, str]) -> None:
        """Take candidate files found earlier (the result cache) instead of searching again."""
        self._candidates[tuple(idents)] = found

    def read(self, path: str) -> bytes:
        """Return the bytes of `path` at this commit."""
        return read_blobs(self.git_dir, [f"{self.treeish}:{path}"])[0]

    def read_many(self, paths: Sequence[str]) -> list[bytes]:
        """Return the bytes of `paths` at this commit, through one `git cat-file --batch`."""
        return read_blobs(self.git_dir, [f"{self.treeish}:{p}" for p in paths])


def _resolve(git_dir: str, ref: str) -> tuple[str | None, str, str | None]:
    """(commit, tree, kernel release) of a ref; annotated tags are peeled, and a tag may name a bare tree."""
    # `^{}` peels tags; a name with a path (`rev:path`, `:/text`) names no tag and takes no suffix,
    # nor a path after it: its files are read in a second call.
    plain = ":" not in ref
    name = ref + "^{}" if plain else ref
    files = [f"{name}:{path}" for path in _RELEASE_FILES] if plain else []
    found = _objects(git_dir, [name, *files]) if "\n" not in ref else [None]
    if found[0] is None:
        raise SourceError(f"{ref!r} is not a ref or commit in {git_dir}", hint=_closest_tags(git_dir, ref))
    sha, kind, data = found[0]
    if kind == "commit":  # its first line: `tree <id>`
        commit, tree = sha, data[5 : data.index(b"\n")].decode("ascii")
    elif kind == "tree":  # e.g. v2.6.11, tagged before git had its history
        commit, tree = None, sha
    else:
        raise SourceError(f"{ref!r} names a {kind}, not a commit or tree, in {git_dir}")
    makefile, marker = found[1:] if plain else _objects(git_dir, [f"{sha}:{path}" for path in _RELEASE_FILES])
    return commit, tree, kernel_release_of(makefile[2]) if makefile is not None and marker is not None else None


def prefetch_candidates(sources: Sequence[GitSource], idents: Sequence[str]) -> None:
    """Find candidate files of several commits of one repo with a single `git grep`."""
    by_treeish = {s.treeish: s for s in sources}
    for treeish, found in run_grep(sources[0].git_dir, list(by_treeish), idents).items():
        by_treeish[treeish]._candidates[tuple(idents)] = found


def run_grep(git_dir: str, treeishes: Sequence[str], idents: Sequence[str]) -> dict[str, dict[str, str]]:
    """Per tree-ish, each file with a whole-word hit of `idents` and its blob id: one `git grep`."""
    if not treeishes:
        return {}  # git grep without a tree-ish would search the work tree
    # No -I: a binary file that mentions an identifier must be accounted for, not skipped.
    args = ["git", "--git-dir", git_dir, "grep", "-l", "-w"]
    for ident in idents:
        args += ["-e", ident]
    out = _run([*args, *treeishes, "--"], ok_codes=(0, 1))
    found: dict[str, list[str]] = {treeish: [] for treeish in treeishes}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        treeish, _, path = line.partition(":")
        found[treeish].append(path)
    return {
        treeish: dict(zip(paths, _blob_ids(git_dir, treeish, paths), strict=True)) for treeish, paths in found.items()
    }


def read_blobs(git_dir: str, object_names: Sequence[str]) -> list[bytes]:
    """Read objects named `commit:path` in one `git cat-file --batch` call."""
    blobs = []
    for name, found in zip(object_names, _objects(git_dir, object_names), strict=True):
        if found is None:
            raise SourceError(f"{name}: not found in {git_dir}")
        blobs.append(found[2])
    return blobs


def _objects(git_dir: str, object_names: Sequence[str]) -> list[tuple[str, str, bytes] | None]:
    """(id, type, content) of each named object, None for one git cannot find; one `git cat-file --batch`."""
    if not object_names:
        return []
    out = _run(["git", "--git-dir", git_dir, "cat-file", "--batch"], stdin="\n".join(object_names) + "\n")
    found: list[tuple[str, str, bytes] | None] = []
    pos = 0
    for _ in object_names:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or not header[2].isdigit():  # `<name> missing` (or ambiguous)
            found.append(None)
            continue
        size = int(header[2])
        found.append((header[0].decode("ascii"), header[1].decode("ascii"), out[pos : pos + size]))
        pos += size + 1
    return found


def regular_files(git_dir: str, treeish: str) -> list[tuple[str, str, int]]:
    """(path, blob id, size) of each regular file of a tree, in the order `git grep` visits them (one `git ls-tree`).

    Symbolic links and submodules are left out, as `git grep` leaves them.
    """
    out = _run(["git", "--git-dir", git_dir, "ls-tree", "-r", "-l", "-z", treeish])
    files = []
    for record in out.split(b"\0"):
        meta, _, path = record.partition(b"\t")
        if not path:
            continue
        mode, _kind, blob, size = meta.split()
        if int(mode, 8) & 0o170000 == 0o100000:
            files.append((path.decode("utf-8", "surrogateescape"), blob.decode(), int(size)))
    return files


def _blob_ids(git_dir: str, commit: str, paths: Sequence[str]) -> list[str]:
    """Blob ids of `paths` at `commit`, through one `git cat-file --batch-check`."""
    if not paths:
        return []
    names = "".join(f"{commit}:{p}\n" for p in paths)
    out = _run(["git", "--git-dir", git_dir, "cat-file", "--batch-check"], stdin=names)
    return [line.split()[0] for line in out.decode().splitlines()]


def _run(args: list[str], stdin: str | None = None, ok_codes: tuple[int, ...] = (0,)) -> bytes:
    """Run git, turning failure into a one-line SourceError."""
    # Restrict transports even for local reads: a repo config cannot smuggle one in.
    env_args = ["-c", "protocol.allow=never", "-c", "protocol.file.allow=always"]
    proc = subprocess.run(
        [args[0], *env_args, *args[1:]],
        input=stdin.encode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        check=False,
    )
    if proc.returncode not in ok_codes:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SourceError(f"git {args[3]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def _closest_tags(git_dir: str, ref: str) -> str | None:
    """A hint naming the tags that look most like `ref`."""
    out = _run(["git", "--git-dir", git_dir, "for-each-ref", "--format=%(refname:lstrip=2)", "refs/tags"])
    names = out.decode("utf-8", "surrogateescape").splitlines()
    # Releases extending what was typed first (v6.1 -> v6.1.176), then look-alikes.
    extending = sorted((n for n in names if n.startswith((f"{ref}.", f"{ref}-"))), key=version_key)[-3:]
    close = extending + [n for n in difflib.get_close_matches(ref, names, n=5, cutoff=0.5) if n not in extending]
    close = close[:5]
    if close:
        similarity = {name: difflib.SequenceMatcher(None, ref, name).ratio() for name in close}
        ranked = extending + sorted(close[len(extending) :], key=lambda name: (-similarity[name], name))
        return "closest tags: " + ", ".join(ranked)
    if names:
        return f"the repo has {len(names)} tags, e.g. " + ", ".join(sorted(names)[-3:])
    return "the repo has no tags"


def version_key(name: str) -> list[tuple[int, int | str]]:
    """Sort key for release names: v2.6.9 < v2.6.10-rc1 < v2.6.10 < v2.6.10.1 < v2.6.11."""
    key: list[tuple[int, int | str]] = []
    for part in re.split(r"[.-]", name.lstrip("v")):
        if part.isdigit():
            key.append((1, int(part)))
        elif (rc := re.fullmatch(r"rc(\d+)", part)) is not None:
            key.append((0, int(rc.group(1))))  # a release candidate comes before its release
        else:
            key.append((2, part))
    return [*key, (1, -1)]  # the release itself sorts before its point releases


# busybox and other kbuild-based trees state VERSION/PATCHLEVEL too: only a tree with the
# kernel's own process code is a kernel.
KERNEL_MARKER = "kernel/fork.c"
_RELEASE_FILES = ("Makefile", KERNEL_MARKER)  # the release a Makefile states counts in a kernel tree only


def kernel_release_of(makefile: bytes) -> str | None:
    """Read VERSION.PATCHLEVEL.SUBLEVEL from the head of a kernel Makefile (the caller checks KERNEL_MARKER)."""
    fields = dict(_MAKEFILE_VERSION.findall(makefile[:2048]))
    if b"VERSION" not in fields or b"PATCHLEVEL" not in fields:
        return None
    parts = [fields[b"VERSION"], fields[b"PATCHLEVEL"]]
    if fields.get(b"SUBLEVEL") not in (None, b"", b"0"):
        parts.append(fields[b"SUBLEVEL"])
    return b".".join(parts).decode("ascii", "replace") + fields.get(b"EXTRAVERSION", b"").decode("ascii", "replace")


__all__ = ["GitSource", "git_dir_of", "open_repo", "prefetch_candidates", "read_blobs", "run_grep"]
