"""Locate the data shipped with siganalyze: queries/ and reports/, installed or in a checkout."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    """The installed copy (inside the package) first, else the checkout's top-level folder."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"siganalyze data folder {name!r} is missing: reinstall siganalyze")


@functools.cache
def queries_dir() -> Path:
    """The folder of .scm queries and macro tables."""
    return _find("queries")


@functools.cache
def reports_dir() -> Path:
    """The folder of JSON Schemas and report templates."""
    return _find("reports")


@functools.cache
def fingerprint() -> str:
    """A hash of the tool version, every query file and the analyzer's code: what results depend on."""
    from analyzer import __version__

    digest = hashlib.sha256(__version__.encode())
    for path in sorted(queries_dir().rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(queries_dir()).as_posix().encode())
            digest.update(path.read_bytes())
    for path in sorted(_PACKAGE.rglob("*.py")):  # a code change may change any result
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
