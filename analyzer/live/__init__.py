"""Live delivery: send signals to the PID 1 of fresh PID namespaces on the running kernel and see what happens.

A leaf package: it imports only the standard library and analyzer.errors. `verify` compares what
it observes with what `explain` predicts from a release's source.

    observations = run(matrix())  # raises LiveUnavailable when namespaces, root or cc are missing
"""

from __future__ import annotations

import os

from analyzer.live.cases import Case, matrix, unrunnable
from analyzer.live.helper import LiveUnavailable
from analyzer.live.observe import Observation
from analyzer.live.runner import run


def kernel_release() -> str:
    """The running kernel's release, as uname -r prints it."""
    return os.uname().release


__all__ = ["Case", "LiveUnavailable", "Observation", "kernel_release", "matrix", "run", "unrunnable"]
