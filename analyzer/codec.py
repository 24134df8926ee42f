"""One record <-> JSON codec for every fact dataclass, driven by its type hints.

Rules, the same for reports and the result cache: enums become their value, tuples lists,
nested dataclasses objects, and a field of type Location (or Location | None) is flattened
into `path`, `line`, `column` beside the other fields, as readers of the reports expect.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable
from typing import Any

from analyzer.model import FileStat, InitScope, Location, Occurrence, Project, Report, SourceInfo

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]
_PLACE = ("path", "line", "column")


def encode(record: Any) -> dict[str, Any]:
    """The JSON object of a fact dataclass."""
    cls: Any = type(record)
    out: dict[str, Any] = _encoders(cls)(record)
    return out


def decode(cls: Any, data: dict[str, Any]) -> Any:
    """The dataclass `cls` rebuilt from its JSON object."""
    return _decoders(cls)(data)


def encode_without(record: Any, skip: frozenset[str]) -> dict[str, Any]:
    """The JSON object of a fact dataclass without the fields named in `skip` (the caller's to encode)."""
    cls: Any = type(record)
    out: dict[str, Any] = _encoders(cls, skip)(record)
    return out


def decode_given(cls: Any, data: dict[str, Any], given: frozenset[str]) -> Any:
    """`cls` rebuilt from its JSON object, whose fields named in `given` hold their values decoded."""
    return _decoders(cls, given)(data)


def report_from(data: dict[str, Any], facts: dict[str, tuple[Any, ...]]) -> Report:
    """A Report from its JSON object (a report's or the cache's), its facts decoded by the caller."""
    return Report(
        source=decode(SourceInfo, data["source"]),
        tracked=tuple(data["tracked"]),
        facts=facts,
        files=tuple(decode(FileStat, f) for f in data["files"]),
        occurrences=tuple(decode(Occurrence, o) for o in data["occurrences"]),
        tool_version=data["tool_version"],
        warnings=tuple(data["warnings"]),
        project=Project(data["project"]),
        init=decode(InitScope, data["init"]) if data["init"] else None,
    )


@functools.cache
def _hints(cls: type) -> list[tuple[str, Any]]:
    """(field name, resolved type) of a dataclass, in field order."""
    hints = typing.get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]


@functools.cache
def record_tuples(cls: type) -> dict[str, type]:
    """The fields of a dataclass that hold a tuple of records (a cell's reasons), with the records' class."""
    found = {}
    for name, hint in _hints(cls):
        item = typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else None
        if isinstance(item, type) and dataclasses.is_dataclass(item):
            found[name] = item
    return found


def _is_location(hint: Any) -> bool:
    return hint is Location or (_optional(hint) is Location)


def _optional(hint: Any) -> Any:
    """X for `X | None`, else None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else None
    return None


@functools.cache
def _encoders(cls: type, skip: frozenset[str] = frozenset()) -> Encoder:
    """An encoder for one dataclass, leaving out the fields named in `skip`."""
    plan = [(name, _is_location(hint), _value_encoder(hint)) for name, hint in _hints(cls) if name not in skip]
    if sum(flat for _, flat, _ in plan) > 1:
        raise TypeError(f"{cls.__name__}: more than one Location field cannot be flattened")

    def encode_record(record: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, flat, enc in plan:
            value = getattr(record, name)
            if flat:
                out.update(zip(_PLACE, (value.path, value.line, value.column) if value else (None,) * 3, strict=True))
            else:
                out[name] = enc(value)
        return out

    return encode_record


def _value_encoder(hint: Any) -> Encoder:
    """An encoder for one field's value."""
    if (inner := _optional(hint)) is not None:
        enc = _value_encoder(inner)
        return lambda v: None if v is None else enc(v)
    origin = typing.get_origin(hint)
    if origin is tuple or origin is list:
        item = _value_encoder(typing.get_args(hint)[0])
        return lambda v: [item(x) for x in v]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return lambda v: v.value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return encode
    return lambda v: v


@functools.cache
def _decoders(cls: type, given: frozenset[str] = frozenset()) -> Decoder:
    """A decoder for one dataclass; the fields named in `given` come decoded already."""
    plan = [(name, _is_location(hint), _same if name in given else _value_decoder(hint)) for name, hint in _hints(cls)]
    if all(dec is _same and not flat for _, flat, dec in plan):
        # Plain fields only (a reason has thousands of copies in a delivery table): the JSON
        # object is the keyword arguments.
        return lambda data: cls(**data)

    def decode_record(data: dict[str, Any]) -> Any:
        values = {}
        for name, flat, dec in plan:
            if flat:
                values[name] = (
                    Location(data["path"], data["line"], data["column"]) if data["path"] is not None else None
                )
            elif name in data:
                values[name] = dec(data[name])
        return cls(**values)

    return decode_record


def _value_decoder(hint: Any) -> Decoder:
    """A decoder for one field's value."""
    if (inner := _optional(hint)) is not None:
        dec = _value_decoder(inner)
        return lambda v: None if v is None else dec(v)
    origin = typing.get_origin(hint)
    if origin is tuple:
        item = _value_decoder(typing.get_args(hint)[0])
        return lambda v: tuple(item(x) for x in v)
    if origin is list:
        item = _value_decoder(typing.get_args(hint)[0])
        return lambda v: [item(x) for x in v]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum_decoder(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return functools.partial(decode, hint)
    return _same


def _enum_decoder(kind: type[enum.Enum]) -> Decoder:
    """The member of `kind` with a value: a dict lookup, where calling the enum costs ten times that."""
    members = {member.value: member for member in kind}

    def member(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            return kind(value)  # no such member: the enum's own error

    return member


def _same(value: Any) -> Any:
    """The decoder of a plain JSON value: the value itself."""
    return value
