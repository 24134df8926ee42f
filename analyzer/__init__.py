"""siganalyze: where Linux and PID 1 decide that init survives `kill -9 1`, across releases."""

from __future__ import annotations

__version__ = "0.1.0"
