"""What an installation sets: handler expressions, struct sigaction values, installer macros."""

from __future__ import annotations

import re

from tree_sitter import Node

from analyzer import syntax
from analyzer.extract.init.context import Context, Unit
from analyzer.extract.init.nodes import WORD
from analyzer.extract.init.scope import is_test
from analyzer.extract.macros import FunctionMacro
from analyzer.queries import anchor_of, iter_matches, load_query
from analyzer.sources import is_c_source
from analyzer.syntax import node_text

# (action, handler, note): what one installation does to the signals it names.
Action = tuple[str, str | None, str | None]
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


def struct_handler(ctx: Context, unit: Unit, call: Node, act: Node, variable: str | None) -> Action:
    """(action, handler, note) of the struct sigaction `act` points to."""
    literal = _compound_literal(act)
    if literal is not None:
        return _initializer_handler(literal)
    if variable is None:
        return "handler", None, f"struct sigaction not resolved: {node_text(act)}"
    function = syntax.function_name(call)
    best: Action | None = None
    for match in iter_matches(load_query("init/sigaction-structs"), unit.root):
        anchor = anchor_of(match)
        node = match[anchor]
        if node_text(match["variable"]) != variable or node.start_byte > call.start_byte:
            continue
        if syntax.function_name(node) not in (function, None):
            continue
        if anchor == "assign.sigaction_field":
            best = (*handler_action(node_text(match["handler"])), None)
        else:
            best = _initializer_handler(match["value"])
    if best is None:
        best = _global_struct(ctx, variable)
    return best or ("handler", None, f"struct sigaction {variable} not resolved")


def installer_macros(ctx: Context) -> Installers:
    """Function-like macros wrapping sigaction()/signal(): name -> (signal arg, handler arg, API)."""
    out: Installers = {}
    for path in ctx.source.candidate_files(("sigaction", "signal")):
        if is_c_source(path) and not is_test(path):
            for macro in ctx.resolver.defines_of(path)[1].values():
                if (shape := _installer_shape(macro)) is not None:
                    out.setdefault(macro.name, shape)
    return out


def _global_struct(ctx: Context, variable: str) -> Action | None:
    """A struct sigaction defined at file scope elsewhere in the tree (e.g. sigaction_ignore)."""
    for path in sorted(ctx.source.candidate_files((variable,))):
        if not is_c_source(path) or is_test(path):
            continue
        for match in iter_matches(load_query("init/sigaction-structs"), ctx.unit(path).root):
            if anchor_of(match) == "def.sigaction_struct" and node_text(match["variable"]) == variable:
                ctx.resolver.used_files.add(path)
                return _initializer_handler(match["value"])
    return None


def _initializer_handler(initializer: Node) -> Action:
    """The handler a struct sigaction initializer list sets."""
    for pair in initializer.named_children:
        if pair.type != "initializer_pair":
            continue
        designator = node_text(pair.child_by_field_name("designator") or pair.named_children[0])
        if designator.lstrip(".") in ("sa_handler", "sa_sigaction"):
            return (*handler_action(node_text(pair.child_by_field_name("value"))), None)
    return "default", None, "struct sigaction without a handler field (zero: SIG_DFL)"


def _compound_literal(node: Node) -> Node | None:
    """The initializer list of `&(struct sigaction) {...}`, if `node` is one."""
    for child in [node, *node.named_children]:
        if child.type == "compound_literal_expression":
            return child.child_by_field_name("value")
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
