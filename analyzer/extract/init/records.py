"""One init file's facts as plain records: what the whole-program steps need, no tree-sitter node.

The per-file step (analyzer/extract/init/perfile.py) fills them from one parse, in a worker;
the result cache keeps them as JSON through the one codec. Offsets are bytes of the parsed
text, lines and columns 1-based.

They are not fact families: a family's per-file extractor runs on every file of a kernel
scan, found by the tracked names and parsed once, while these come from the files an init
extraction asks for, parsed twice (conditionals resolved, and raw for the #defines), and
never reach a report themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeVar

from analyzer import codec

_Record = TypeVar("_Record")

# (action, handler, note) of a struct sigaction: what an installation through it does.
StructAction = tuple[str, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Call:
    """Any call of a named function: what the walk from main() follows."""

    callee: str
    function: str | None  # the function whose body holds it
    start: int
    forked: bool  # in a forked child
    reaction: bool  # only once a signal was received (an if or case testing one)


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of a call that may decide: its text and what it points to in its file."""

    text: str
    kind: str  # the node type, e.g. subscript_expression
    line: int
    values: tuple[str, ...] | None  # `array[i]`: the array's initializer list in this file, if found
    literal: StructAction | None  # `&(struct sigaction) {...}`: what the literal sets
    struct: StructAction | None  # `&act`: the last handler set on `act` in this file before the call


@dataclass(frozen=True, slots=True)
class Decider:
    """A call of a name the file was read for (signal API, helper, installer macro), in full."""

    callee: str
    function: str | None
    start: int
    line: int
    column: int
    text: str
    forked: bool
    args: tuple[Arg, ...]
    skip: str | None  # the condition that keeps PID 1 out of its branch
    exec_after: str | None  # the exec*() its function calls after it
    words: tuple[str, ...]  # words of the conditions of the ifs around it (a reaction to a signal?)
    loops: tuple[str, ...]  # headers of the for loops around it
    result: str | None = None  # a sigwait-family reader: the variable the signal lands in
    if_chain: tuple[tuple[str, str], ...] = ()  # reader: (label, `if (label): action`) after it
    first_call: str | None = None  # reader: the first function called with its result


@dataclass(frozen=True, slots=True)
class Case:
    """One entry of a dispatch switch: `label` resolved through macros, `rt` a real-time row, else fixed."""

    kind: str  # "label", "rt" or "fixed"
    signal: str  # the case label as written ("label"), else the row name ("*" for the default)
    text: str


@dataclass(frozen=True, slots=True)
class Switch:
    """A switch statement of a file that reads signals back, its cases summarised."""

    start: int
    end: int
    condition: str
    function: str | None
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class StructDef:
    """A `struct sigaction NAME = {...}` definition, for callers in other files."""

    variable: str
    action: StructAction


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """One file parsed with its conditionals resolved: every fact the init extraction reads from it."""

    path: str
    timed_out: bool = False  # past the parse deadline: read as an empty file
    calls: tuple[Call, ...] = ()
    deciders: tuple[Decider, ...] = ()  # in call order
    static: tuple[str, ...] = ()  # functions defined static
    defined: tuple[str, ...] = ()  # functions defined
    mentioned: tuple[str, ...] = ()  # callees the file's text names as a word (as `git grep -w` finds)
    structs: tuple[StructDef, ...] = ()
    switches: tuple[Switch, ...] = ()  # only in files with a sigwait-family or signalfd call


def to_text(record: object) -> str:
    """A record as the compact JSON the result cache keeps."""
    return json.dumps(codec.encode(record), separators=(",", ":"))


def from_text(cls: type[_Record], text: str) -> _Record:
    """A record of type `cls` back from its JSON."""
    record: _Record = codec.decode(cls, json.loads(text))
    return record
