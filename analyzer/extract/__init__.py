"""Extractors: from one tree's files to facts; which ones run depends on the project kind."""

from __future__ import annotations

import re

from analyzer.errors import SourceError
from analyzer.model import Project
from analyzer.sources import Source, is_c_source
from analyzer.vocab import FLAG

PROJECTS = tuple(Project)


def _is_kernel(source: Source) -> bool:
    """A kernel tree: its Makefile states a release and it has the kernel's own code."""
    if source.info.release is not None:
        return True
    try:
        source.read("Makefile")  # a tarball learns its release on this first pass
    except SourceError:
        return False
    return source.info.release is not None


# An out-of-tree module, or a part of a kernel tree, is kernel code (its sites are the
# answer), never an init: C that declares a module or uses the kernel's own flag.
_KERNEL_CODE_MARKS = ("MODULE_LICENSE", "module_init", FLAG)
_MESON_PROJECT = re.compile(rb"""^\s*project\s*\(\s*['"]([^'"]+)['"]""", re.M)


def detect_project(source: Source) -> Project:
    """kernel for a kernel tree, an out-of-tree module or kernel C, systemd for meson.build's
    project('systemd', ...), else init (any other C init)."""
    if _is_kernel(source):
        return Project.KERNEL
    try:
        meson = source.read("meson.build")
    except SourceError:
        meson = b""
    match = _MESON_PROJECT.search(meson[:4096])
    if match and match.group(1) == b"systemd":
        return Project.SYSTEMD
    if any(is_c_source(path) for path in source.candidate_files(_KERNEL_CODE_MARKS)):
        return Project.KERNEL
    return Project.INIT
