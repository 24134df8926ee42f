"""What an installation sets: handler expressions, struct sigaction values, installer macros."""

from __future__ import annotations

import re

from analyzer.extract.init.context import Context
from analyzer.extract.init.nodes import WORD
from analyzer.extract.init.records import Arg, StructAction
from analyzer.extract.init.scope import is_test
from analyzer.extract.macros import FunctionMacro
from analyzer.sources import is_c_source

# Installer macro name -> (signal parameter, handler parameter, API it wraps).
Installers = dict[str, tuple[int, int, str]]

_HANDLER_CAST = re.compile(r"\(\s*\w+\s*\(\s*\*\s*\)\s*\([^()]*\)\s*\)")
_TYPEDEF_CAST = re.compile(r"^\(\s*\w+\s*\)\s*(?=\w)")  # `(sighandler_t) SIG_IGN`


def handler_action(text: str) -> tuple[str, str | None]:
    """("ignored"|"default"|"handler", function) of a handler expression."""
    value = " ".join(_HANDLER_CAST.sub(" ", text).split()).strip()
    value = _TYPEDEF_CAST.sub("", value).strip("() ")
    if value == "SIG_IGN":
        return "ignored", None
    if value == "SIG_DFL":
        return "default", None
    return "handler", value if WORD.fullmatch(value) else None


def struct_handler(ctx: Context, arg: Arg, variable: str | None) -> StructAction:
    """(action, handler, note) of the struct sigaction `arg` points to (`variable`: `&act` -> act)."""
    if arg.literal is not None:
        return arg.literal
    if variable is None:
        return "handler", None, f"struct sigaction not resolved: {arg.text}"
    # The file's own answer was found for address_of(arg.text), which is `variable` here.
    best = arg.struct if arg.struct is not None else _global_struct(ctx, variable)
    return best or ("handler", None, f"struct sigaction {variable} not resolved")


def installer_macros(ctx: Context) -> Installers:
    """Function-like macros wrapping sigaction()/signal(): name -> (signal arg, handler arg, API)."""
    out: Installers = {}
    paths = [p for p in ctx.files.candidate_files(("sigaction", "signal")) if is_c_source(p) and not is_test(p)]
    ctx.resolver.prefetch(paths)
    for path in paths:
        for macro in ctx.resolver.defines_of(path)[1].values():
            if (shape := _installer_shape(macro)) is not None:
                out.setdefault(macro.name, shape)
    return out


def _global_struct(ctx: Context, variable: str) -> StructAction | None:
    """A struct sigaction defined at file scope elsewhere in the tree (e.g. sigaction_ignore)."""
    paths = [p for p in sorted(ctx.files.candidate_files((variable,))) if is_c_source(p) and not is_test(p)]
    ctx.load(paths)
    for path in paths:
        for struct in ctx.unit(path).structs:
            if struct.variable == variable:
                ctx.resolver.used_files.add(path)
                return struct.action
    return None


def _installer_shape(macro: FunctionMacro) -> tuple[int, int, str] | None:
    """(signal parameter, handler parameter, API) when a macro body installs a handler it is given."""
    params = list(macro.params)
    body = macro.body
    if (match := re.search(r"\bsignal\s*\(\s*(\w+)\s*,\s*(\w+)", body)) and set(match.groups()) <= set(params):
        return params.index(match.group(1)), params.index(match.group(2)), "signal"
    call = re.search(r"\bsigaction\s*\(\s*(\w+)\s*,", body)
    field_set = re.search(r"\.\s*sa_(?:handler|sigaction)\s*=\s*(\w+)", body)
    if call and field_set and call.group(1) in params and field_set.group(1) in params:
        return params.index(call.group(1)), params.index(field_set.group(1)), "sigaction"
    return None
