"""Ctrl-C and SIGTERM for the siganalyze command: one clean exit, whatever they interrupt.

Python's own handling leaves gaps a signal can fall through and kill the process (exit
status -2 instead of 130): a KeyboardInterrupt raised while the except clause that handles
the first one runs, or during the interpreter's shutdown, when the default action is back.
Here the first signal raises KeyboardInterrupt once and later ones are dropped, so cleanup
(closing the cache, removing a temp file, stopping workers) always runs to its end; once
the output is being put in place nothing interrupts any more; and the exit status is
128 + the signal's number whenever a signal was taken, set by os._exit: CPython 3.11 kills
itself with SIGINT at exit after a KeyboardInterrupt crossed code run by exec() (a
dataclass being built, say), even one that was handled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType

TAKEN = (signal.SIGINT, signal.SIGTERM)

_received: int | None = None  # the signal taken, if any
_owner = 0  # the process that took over: a forked worker inherits the handler, not the job
_finishing = False  # True once the run is past the point where a signal may stop it
_deferring = False  # True while work runs that must not stop half-way


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    global _received
    if os.getpid() != _owner:
        return  # a worker (forked before its initializer ran): its parent stops the run
    if _finishing or _received is not None:
        return  # finishing, or already stopping: let that finish
    _received = signum
    # What a library's destructor says about an object the interrupt left half-built
    # ("Exception ignored in ...") is noise now: the run is stopping.
    sys.unraisablehook = lambda _unraisable: None
    if not _deferring:
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A signal taken inside stops the run at the end of the block, not half-way through it.

    For imports: a KeyboardInterrupt inside a native module's initialisation can turn into
    that module's own error (jsonschema-rs panics), with a Rust backtrace on stderr. An error
    out of the block once a signal was taken is the signal's doing (GitPython's import runs
    `git version`, which the same Ctrl-C kills): the run stops as interrupted.
    """
    global _deferring
    _deferring = True
    try:
        yield
    except Exception:
        if _received is not None and not _finishing:
            raise KeyboardInterrupt from None
        raise
    finally:
        _deferring = False
    if _received is not None and not _finishing:
        raise KeyboardInterrupt


def take_over() -> None:
    """Handle SIGINT and SIGTERM from now on; one ignored at start (nohup, `cmd &`) stays ignored."""
    global _received, _finishing, _owner
    _received, _finishing, _owner = None, False, os.getpid()
    for signum in TAKEN:
        if signal.getsignal(signum) != signal.SIG_IGN:
            signal.signal(signum, _on_signal)


def finishing() -> None:
    """The output is being put in place: from now on a signal no longer stops the run."""
    global _finishing
    _finishing = True


def checkpoint() -> None:
    """Stop here if a signal was taken but its KeyboardInterrupt got lost.

    The handler can run inside a finalizer (`__del__` of a library object, run by the
    garbage collector): the interrupt it raises there is swallowed as "unraisable", and
    the run would go on to write a whole report and still exit 130.
    """
    if _received is not None and not _finishing:
        raise KeyboardInterrupt


def received() -> int | None:
    """The signal taken so far, if any."""
    return _received


def settle() -> int | None:
    """Ignore the signals to the end of the process; return the one taken, if any.

    Handlers of signals delivered but not yet run run first (pthread_sigmask runs them), then
    SIG_IGN replaces the handler: the interpreter's shutdown would restore the default action.
    """
    finishing()
    ours = [s for s in TAKEN if signal.getsignal(s) is _on_signal]
    signal.pthread_sigmask(signal.SIG_BLOCK, ours)
    for signum in ours:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, ours)
    return _received


def leave(code: int) -> None:
    """End the process with `code`, flushing output first but running no interpreter shutdown."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
