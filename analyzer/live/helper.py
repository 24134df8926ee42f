"""The compiled helper that runs live cases: built with cc once per source, then probed.

The binary is cached under $XDG_CACHE_HOME/siganalyze/live/<hash of the sources and machine>/, so
an edited source is rebuilt and two versions never share a binary.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from analyzer.errors import SiganalyzeError

BINARY_NAME = "siganalyze-live"  # 15 characters: the whole of it shows as the process name (comm)
MACHINES = ("x86_64", "i686", "i386")  # the fault instructions are x86's (ud2, int3, idiv)
CC_FLAGS = ("-O2", "-std=gnu11", "-Wall")
SOURCES = ("live.h", "helper.c", "driver.c", "init.c")  # shipped in the package, beside this module


class LiveUnavailable(SiganalyzeError):
    """Live runs cannot happen here: no PID namespaces, no permission, no compiler, another architecture."""


def _cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    return Path(base) if base else Path.home() / ".cache"


def sources() -> dict[str, bytes]:
    package = importlib.resources.files("analyzer.live")
    return {name: package.joinpath(name).read_bytes() for name in SOURCES}


def binary_path() -> Path:
    """Where the binary for these sources and this machine lives (built or not)."""
    digest = hashlib.sha256(platform.machine().encode())
    for name, text in sources().items():
        digest.update(f"\0{name}\0{len(text)}\0".encode())
        digest.update(text)
    return _cache_home() / "siganalyze" / "live" / digest.hexdigest()[:16] / BINARY_NAME


def check_platform() -> None:
    if sys.platform != "linux" or platform.machine() not in MACHINES:
        raise LiveUnavailable(
            f"live runs need Linux on x86 (x86 signal numbers and fault instructions); this is {sys.platform} "
            f"on {platform.machine()}"
        )


def build() -> Path:
    """The helper binary, compiled now if this source has no binary in the cache yet."""
    target = binary_path()
    if os.access(target, os.X_OK):
        return target
    compiler = shutil.which(os.environ.get("CC") or "cc")
    if compiler is None:
        raise LiveUnavailable(
            "no C compiler: live runs compile a small helper with `cc`, which is not on PATH",
            hint="install one (Debian: apt-get install gcc), or set CC",
        )
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        for name, text in sources().items():
            (Path(work) / name).write_bytes(text)
        output = Path(work) / BINARY_NAME
        units = [name for name in SOURCES if name.endswith(".c")]
        done = subprocess.run(
            [compiler, *CC_FLAGS, "-o", str(output), *units], cwd=work, capture_output=True, text=True
        )
        if done.returncode != 0:
            first = next((line for line in done.stderr.splitlines() if "error" in line), done.stderr.strip())
            raise LiveUnavailable(f"{compiler} could not build the live helper: {first}")
        os.replace(output, target)  # atomic: a concurrent run sees no binary or a whole one
    return target


def probe(binary: Path) -> None:
    """Raise LiveUnavailable unless this process may create a PID namespace and fork its init."""
    try:
        done = subprocess.run([str(binary), "probe"], capture_output=True, text=True, timeout=30, cwd="/")
    except subprocess.TimeoutExpired as exc:
        raise LiveUnavailable("the live helper's namespace probe did not finish in 30 s") from exc
    answer = done.stdout.split()
    if answer == ["ok"]:
        return
    if len(answer) == 2 and answer[1].isdigit():
        call = "unshare(CLONE_NEWPID)" if answer[0] == "unshare" else "fork() into a new PID namespace"
        raise LiveUnavailable(
            f"cannot create a PID namespace: {call}: {os.strerror(int(answer[1]))}",
            hint="live runs need root (CAP_SYS_ADMIN) and PID namespaces; a container must allow unshare",
        )
    raise LiveUnavailable(f"the live helper's namespace probe failed (exit {done.returncode}): {done.stderr.strip()}")
