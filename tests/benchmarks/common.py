"""What the benchmark scripts share: timing a fresh process, and an empty result cache."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall time and stderr of one run of `command`, which must succeed."""
    start = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, check=True)
    return time.perf_counter() - start, proc.stderr


def cold_env() -> dict[str, str]:
    """The environment with XDG_CACHE_HOME at a new empty directory: the run starts cold."""
    return {**os.environ, "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="siganalyze-bench-")}
