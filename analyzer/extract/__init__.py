"""Extractors: from one tree's files to facts; which ones run depends on the project kind."""

from __future__ import annotations

import re

from analyzer.errors import SourceError
from analyzer.model import Project
from analyzer.sources import Source
from analyzer.sources.git import kernel_release_of

PROJECTS = tuple(Project)


def _kernel_makefile(source: Source) -> bool:
    """True when the top Makefile states a kernel release (a tarball knows only once read)."""
    try:
        return kernel_release_of(source.read("Makefile")) is not None
    except SourceError:
        return False


_MESON_PROJECT = re.compile(rb"""^\s*project\s*\(\s*['"]([^'"]+)['"]""", re.M)


def detect_project(source: Source) -> Project:
    """ "kernel" for a tree whose top Makefile states VERSION/PATCHLEVEL, "systemd" for
    meson.build's project('systemd', ...), else "init" (any other C init)."""
    if source.info.release is not None or _kernel_makefile(source):
        return Project.KERNEL
    try:
        meson = source.read("meson.build")
    except SourceError:
        return Project.INIT
    match = _MESON_PROJECT.search(meson[:4096])
    return Project.SYSTEMD if match and match.group(1) == b"systemd" else Project.INIT
