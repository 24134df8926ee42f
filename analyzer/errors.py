"""One error type per failure family, each carrying the exit code the CLI returns."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit codes of the siganalyze command."""

    OK = 0
    CHANGED = 1  # reserved for `diff --fail-on-change`, as diff(1) does
    USER_ERROR = 2
    INTERNAL_ERROR = 3  # also: --strict found occurrences it could not account for
    INTERRUPTED = 130  # Ctrl-C (SIGINT); SIGTERM gives 128 + 15, as a shell reports a killed command


class SiganalyzeError(Exception):
    """An error the user can act on: one line, an optional hint, an exit code."""

    exit_code: ExitCode = ExitCode.USER_ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class SourceError(SiganalyzeError):
    """A version spec that names no readable tree (bad ref, not a repo, bad path)."""


class ReportError(SiganalyzeError):
    """A report file that cannot be read or does not match its schema."""


class UsageError(SiganalyzeError):
    """An option value the command cannot use, e.g. a --track name that is no C identifier."""


class QueryError(SiganalyzeError):
    """A query file that does not compile or breaks the capture contract: a bug."""

    exit_code = ExitCode.INTERNAL_ERROR


class StrictError(SiganalyzeError):
    """--strict: some occurrence was not accounted for or lacks its function."""

    exit_code = ExitCode.INTERNAL_ERROR
