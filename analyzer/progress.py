"""A one-line progress display on stderr for long work, shown only on a terminal."""

from __future__ import annotations

import os
import sys
from typing import TextIO


class Progress:
    """Rewrites one status line in place; silent when stderr is not a TTY or NO_PROGRESS is set."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() and "NO_PROGRESS" not in os.environ
        self._shown = False

    def __call__(self, message: str) -> None:
        """Show `message` in place of the previous one."""
        if self.enabled:
            width = 78
            text = message if len(message) <= width else message[: width - 1] + "…"
            self.stream.write(f"\r\033[K{text}")
            self.stream.flush()
            self._shown = True

    def done(self) -> None:
        """Clear the line so that output and warnings start clean."""
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False


def silent(_message: str) -> None:
    """A progress callback that shows nothing."""
