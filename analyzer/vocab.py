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
