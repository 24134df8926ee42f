"""Locate the data shipped with siganalyze (queries/ and reports/, installed or in a checkout), and
fingerprint everything a result depends on."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from analyzer.errors import UsageError

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    """The installed copy (inside the package) first, else the checkout's top-level folder."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"siganalyze data folder {name!r} is missing: reinstall siganalyze")


@functools.cache
def queries_dir() -> Path:
    """The folder of .scm queries and macro tables; $SIGANALYZE_QUERIES names another copy (an edited atom table).

    Results computed from another copy never mix with the shipped one's: the cache key
    covers every file of the folder in use.
    """
    override = os.environ.get("SIGANALYZE_QUERIES")
    if override:
        folder = Path(override)
        if not (folder / "delivery" / "atoms.txt").is_file():
            raise UsageError(f"SIGANALYZE_QUERIES={override}: not a copy of siganalyze's queries/ folder")
        return folder.resolve()
    return _find("queries")


@functools.cache
def reports_dir() -> Path:
    """The folder of JSON Schemas and report templates."""
    return _find("reports")


def _result_inputs() -> list[tuple[str, str]]:
    """Every file a result can depend on, by a stable name: the package's own files (all of its
    code, and the data when installed inside it) and, in a checkout, queries/ and reports/."""
    roots = {"analyzer": _PACKAGE}
    for name, folder in (("queries", queries_dir()), ("reports", reports_dir())):
        if not folder.is_relative_to(_PACKAGE):  # a checkout: the data sits beside the package
            roots[name] = folder
    files = []
    for name, root in roots.items():
        # os.walk, not Path.rglob: a fifth of the time, and every run pays it. Neither enters a
        # symlinked folder.
        for where, subfolders, names in os.walk(root):
            subfolders[:] = [sub for sub in subfolders if sub != "__pycache__"]  # compiled copies follow their sources
            prefix = os.path.relpath(where, root).replace(os.sep, "/") + "/"
            for file in names:
                full = os.path.join(where, file)
                if file == "__pycache__" or os.path.splitext(file)[1] == ".pyc" or not os.path.isfile(full):
                    continue
                files.append((f"{name}/{prefix.removeprefix('./')}{file}", full))
    return sorted(files)


@functools.cache
def fingerprint() -> str:
    """A hash of the tool version and of every file of the package and its data, in a fixed order.

    Results are cached under it, so any change to the code or the queries that could change a
    result (an edited module in an installed copy included) makes the cache miss.
    """
    from analyzer import __version__

    digest = hashlib.sha256(__version__.encode())
    for name, path in _result_inputs():
        with open(path, "rb") as file:
            data = file.read()
        # Name and length first: no two different file sets can hash the same byte stream.
        digest.update(f"\0{name}\0{len(data)}\0".encode("utf-8", "surrogateescape"))
        digest.update(data)
    return digest.hexdigest()[:16]
