"""Closed vocabularies: every word a fact, a report or a renderer may use, each order and mark defined once.

Each enum is a StrEnum whose values are the JSON strings, so a member compares equal to the
word it stands for; the member order is the reading order wherever a list is shown.
"""

from __future__ import annotations

import enum


class SiteKind(enum.StrEnum):
    """What a site does with the tracked identifier (in reading order: define first)."""

    DEFINE = "define"
    SET = "set"
    CLEAR = "clear"
    TEST = "test"
    CALL = "call"  # the tracked name is a function being called
    OTHER = "other"

    @property
    def rank(self) -> int:
        """Position in reading order."""
        return list(SiteKind).index(self)


class Status(enum.StrEnum):
    """What happened to a fact between two releases."""

    UNCHANGED = "unchanged"
    MOVED = "moved"  # same expression, other function or file (covers renames)
    CHANGED = "changed"  # same function, other expression or context
    ADDED = "added"
    REMOVED = "removed"


class Cell(enum.StrEnum):
    """A history cell: the state of one row in one release."""

    PRESENT = "present"  # in the first release shown
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    MOVED = "moved"
    ADDED = "added"
    ABSENT = ""

    @property
    def mark(self) -> str:
        """The ASCII mark of text output."""
        return _CELL_MARKS[self][0]

    @property
    def symbol(self) -> str:
        """The mark of the HTML grid."""
        return _CELL_MARKS[self][1]

    @property
    def word(self) -> str:
        """A visible word for the state ("absent" for the empty one)."""
        return self.value or "absent"


_CELL_MARKS = {
    Cell.PRESENT: ("*", "●"),
    Cell.UNCHANGED: ("=", "="),
    Cell.CHANGED: ("~", "~"),
    Cell.MOVED: (">", "→"),
    Cell.ADDED: ("+", "+"),
    Cell.ABSENT: (".", ""),
}


class Accounting(enum.StrEnum):
    """How one whole-word textual occurrence was explained."""

    SITE = "site"
    COMMENT = "comment"
    STRING = "string"
    INACTIVE = "inactive"  # inside `#if 0`: text no configuration compiles
    NOT_C = "not_c"  # a file the C parser does not read (docs, scripts)
    BINARY = "binary"  # a file with NUL bytes: counted and warned about, never parsed
    UNACCOUNTED = "unaccounted"

    @property
    def label(self) -> str:
        """How the accounting line of a text report names the category."""
        return _ACCOUNTING_LABELS[self]


_ACCOUNTING_LABELS = {
    Accounting.SITE: "sites",
    Accounting.COMMENT: "in comments",
    Accounting.STRING: "in strings",
    Accounting.INACTIVE: "in #if 0",
    Accounting.NOT_C: "in non-C files",
    Accounting.BINARY: "in binary files",
    Accounting.UNACCOUNTED: "UNACCOUNTED",
}


class Construct(enum.StrEnum):
    """The construct a reader names a site by."""

    IF = "if"
    WHILE = "while"
    DO_WHILE = "do-while"
    FOR = "for"
    SWITCH = "switch"
    TERNARY = "ternary"
    ASSIGNMENT = "assignment"
    RETURN = "return"
    INITIALIZER = "initializer"
    DECLARATION = "declaration"
    CALL_ARGUMENT = "call argument"
    EXPRESSION = "expression"
    FUNCTION_DEFINITION = "function definition"
    DEFINE = "define"
    MACRO_BODY = "macro body"
    PREPROCESSOR = "preprocessor"


class Attribution(enum.StrEnum):
    """How a site's enclosing function was found."""

    PARSER = "parser"
    HEADER = "header"  # the parser lost the function; read back from its header
    MACRO = "macro"  # a #define: the function is the macro's name
    NONE = "none"


class Branch(enum.StrEnum):
    """The branch of an enclosing `if` a site sits in."""

    THEN = "then"
    ELSE = "else"


class Action(enum.StrEnum):
    """What one init call does to a signal, before ordering."""

    HANDLER = "handler"
    IGNORED = "ignored"
    DEFAULT = "default"
    BLOCK = "block"
    UNBLOCK = "unblock"
    RESET_ALL = "reset_all"
    UNBLOCK_ALL = "unblock_all"


class Disposal(enum.StrEnum):
    """What PID 1 ends up doing with a signal: a row of its signal table."""

    HANDLER = "handler"
    IGNORED = "ignored"
    BLOCKED = "blocked"
    DEFAULT = "default"


class SourceKind(enum.StrEnum):
    """Where a tree was read from."""

    GIT = "git"
    DIRECTORY = "directory"
    TARBALL = "tarball"
    WORKTREE = "worktree"


class Project(enum.StrEnum):
    """What a tree is: which extractors apply."""

    KERNEL = "kernel"
    SYSTEMD = "systemd"
    INIT = "init"


FLAG = "SIGNAL_UNKILLABLE"  # the flag that makes init unkillable: what every kernel report is about


# --- the delivery table (../shared/DELIVERY.md fixes these words) ---------------------------


class Target(enum.StrEnum):
    """Which PID 1 a signal is sent to."""

    CONTAINER_INIT = "container-init"  # PID 1 of a child pid namespace
    GLOBAL_INIT = "global-init"  # PID 1 of the initial namespace (prediction only)


class Sender(enum.StrEnum):
    """Who sends the signal, as the kernel tells senders apart."""

    SAME_NS = "same-ns"  # kill(2) from inside the target's pid namespace
    ANCESTOR_NS = "ancestor-ns"  # kill(2) from a parent pid namespace (the host)
    KERNEL = "kernel"  # a kernel send with SEND_SIG_PRIV, not forced (prediction only)
    SELF = "self"  # init's own action: SIGPIPE, SIGXFSZ
    FAULT = "fault"  # a synchronous fault of init, through the forced path

    @property
    def signals(self) -> frozenset[str] | None:
        """The only signals this sender sends (None: any)."""
        return _SENDER_SIGNALS.get(self)


_SENDER_SIGNALS = {
    Sender.SELF: frozenset({"SIGPIPE", "SIGXFSZ"}),
    Sender.FAULT: frozenset({"SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGTRAP"}),
}


class Delivered(enum.StrEnum):
    """Init's disposition of the signal when it is sent."""

    DEFAULT = "default"  # SIG_DFL, not blocked
    IGNORED = "ignored"  # SIG_IGN
    HANDLER = "handler"  # a function
    BLOCKED = "blocked"  # in the blocked mask (handler SIG_DFL), read by signalfd or sigwait


class Outcome(enum.StrEnum):
    """What happens to the signal (in reading order)."""

    DROPPED = "dropped"  # discarded at send time
    DISCARDED = "discarded"  # queued, thrown away on dequeue
    HANDLED = "handled"
    PENDING = "pending"
    KILLED = "killed"
    STOPPED = "stopped"
    UNKNOWN = "unknown"

    @property
    def observable(self) -> Outcome:
        """What a live run sees of this outcome for a signal not unblocked later."""
        return Outcome.DROPPED if self is Outcome.DISCARDED else self
