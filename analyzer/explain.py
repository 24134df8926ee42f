"""explain: a release's delivery table, optionally with a given init as PID 1.

The table itself is the `delivery` family of the release's scan; with an init, each signal's
disposition is the one in the init's own table, so each target, sender and signal has one cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from analyzer import __version__
from analyzer.errors import UsageError
from analyzer.model import DeliveryCell, Disposition, Reason, Report, SourceInfo
from analyzer.vocab import Delivered, Disposal, Outcome, Project, Sender, Target
from analyzer.words import describe_source, place

ASSUMPTIONS = (
    "x86_64 signal numbers; CONFIG_PID_NS=y; other #if blocks as a default x86_64 configuration takes them",
    "init is single-threaded, not traced, not a kernel thread, not exiting, not waiting in sigtimedwait",
    "handlers are installed with SA_SIGINFO and without SA_RESETHAND; `blocked` means blocked with SIG_DFL",
    "same-ns and ancestor-ns send with kill(2); kernel with SEND_SIG_PRIV, not forced (send_sig(sig, t, 1)); "
    "self is init's own write (SIGPIPE, SIGXFSZ); fault is a synchronous fault through the forced path",
    "out of scope: tgkill, pidfd_send_signal, rt_sigqueueinfo, kill(-1) and process groups",
)
KILLED_MEANS = {
    Target.GLOBAL_INIT: "the global init's death panics the kernel",
    Target.CONTAINER_INIT: "a container init's death kills every process of its pid namespace",
}
_DISPOSAL = {
    Disposal.DEFAULT: Delivered.DEFAULT,
    Disposal.IGNORED: Delivered.IGNORED,
    Disposal.HANDLER: Delivered.HANDLER,
    Disposal.BLOCKED: Delivered.BLOCKED,
}


@dataclass(frozen=True, slots=True)
class Explanation:
    """The delivery table of one kernel release, for init's four dispositions or for one init."""

    source: SourceInfo
    cells: tuple[DeliveryCell, ...]
    init: SourceInfo | None = None  # the init whose table decides each disposition
    init_project: Project | None = None
    warnings: tuple[str, ...] = ()
    tool_version: str = __version__

    @property
    def unknown(self) -> tuple[DeliveryCell, ...]:
        return tuple(c for c in self.cells if c.outcome is Outcome.UNKNOWN)

    def title(self) -> str:
        with_init = f" with {describe_source(self.init)} as PID 1" if self.init is not None else ""
        return f"Delivery table of {describe_source(self.source)}{with_init}"


def explain(kernel: Report, init: Report | None = None) -> Explanation:
    """The release's table; with `init`, one cell per target, sender and signal, its disposition init's."""
    if kernel.project is not Project.KERNEL:
        raise UsageError(
            f"{kernel.source.label} is a {kernel.project.value} tree, not a kernel: explain reads the kernel's source",
            hint="name the init with --init",
        )
    cells = tuple(kernel.of("delivery"))
    if not cells:
        raise UsageError(
            f"{kernel.source.label}: no delivery path found (no sig_ignored/get_signal in the files read)",
            hint="is this a Linux tree?",
        )
    if init is None:
        return Explanation(kernel.source, cells, warnings=kernel.warnings)
    if init.project is Project.KERNEL:
        raise UsageError(f"--init {init.source.label} is a kernel tree: name an init (systemd, busybox, ...)")
    return Explanation(
        kernel.source,
        with_init(cells, init.of("disposition")),
        init=init.source,
        init_project=init.project,
        warnings=(*kernel.warnings, *(f"init: {w}" for w in init.warnings)),
    )


def with_init(cells: Sequence[DeliveryCell], rows: Sequence[Disposition]) -> tuple[DeliveryCell, ...]:
    """One cell per target, sender and signal: the kernel's cell for the disposition init's table gives."""
    from analyzer.delivery.machine import SIGNALS, cells_exist

    by_key = {(c.target, c.sender, c.disposition, c.signal): c for c in cells}
    table = {_row_name(r.signal): r for r in rows}
    out = []
    for target in Target:
        for sender in Sender:
            for name, _ in SIGNALS:
                row = table.get(name)
                disposition, decided = _disposition(name, row)
                if not cells_exist(target, sender, disposition, name):
                    continue
                cell = by_key.get((target, sender, disposition, name))
                if cell is not None:
                    out.append(replace(cell, init=decided, because=(_init_reason(row, disposition), *cell.because)))
    return tuple(out)


def _init_reason(row: Disposition | None, disposition: Delivered) -> Reason:
    """The init-side decision as the first reason of a cell."""
    if row is None or row.location is None:
        return Reason("", 0, "init never sets it (left at default)", disposition.value)
    return Reason(row.location.path, row.location.line, f"init: {row.via} in {row.function}", disposition.value)


def _row_name(signal: str) -> str:
    return "SIGRTMIN" if signal == "SIGRTMIN+0" else signal


def _disposition(signal: str, row: Disposition | None) -> tuple[Delivered, str]:
    """The delivery disposition of one init table row, and how init decides it, in words."""
    if signal in ("SIGKILL", "SIGSTOP"):
        return Delivered.DEFAULT, "cannot be caught, blocked or ignored"
    if row is None or (row.disposition is Disposal.DEFAULT and row.location is None):
        return Delivered.DEFAULT, "never set: left at default"
    what = _DISPOSAL[row.disposition]
    words = {
        Disposal.HANDLER: f"handled by {row.handler}",
        Disposal.IGNORED: "ignored",
        Disposal.BLOCKED: f"blocked, read by {row.handler}" if row.handler else "blocked",
        Disposal.DEFAULT: "default",
    }[row.disposition]
    if row.dispatch:
        words += f", dispatched to {row.dispatch}"
    if row.location is not None:
        words += f" ({row.function + ', ' if row.function else ''}{place(row.location)}, {row.via})"
    return what, words
