"""The force decision: who may send SIGKILL/SIGSTOP to a namespace init and have it delivered."""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter
from tree_sitter import Node

from analyzer import preprocess, syntax
from analyzer.model import ForceAssignment, Location
from analyzer.queries import anchor_of, iter_matches, load_query


def force_assignments(
    tree: tree_sitter.Tree, data: bytes, layout: preprocess.Layout, locate: Callable[[int], Location]
) -> list[ForceAssignment]:
    """Assignments to `force`/`from_ancestor_ns` in functions that pass the value on to a call."""
    found = []
    for match in iter_matches(load_query("kernel/force"), tree.root_node):
        variable, value = match["variable"], match["value"]
        function = syntax.function_node(variable)
        name = variable.text.decode() if variable.text else ""
        if function is None or not _passed_to_a_call(function, name):
            continue  # a local that decides nothing about delivery
        anchor = match[anchor_of(match)]
        statement = syntax.statement_of(anchor) if anchor_of(match) == "assign.set" else anchor.parent or anchor
        span = (statement.start_byte, statement.end_byte)
        found.append(
            ForceAssignment(
                variable=name,
                value=syntax.normalize(data, value, layout.comments),
                function=syntax.declarator_name(function.child_by_field_name("declarator")),
                location=locate(variable.start_byte),
                text=syntax.text_of(data, *span),
                guards=syntax.guards_of(variable, data, layout.comments),
                preproc=layout.conditions_at(variable.start_byte),
            )
        )
    return found


def _passed_to_a_call(function: Node, name: str) -> bool:
    """True when `name` is an argument of some call in `function`."""
    stack = [function]
    while stack:
        node = stack.pop()
        if node.type == "argument_list" and any(
            child.type == "identifier" and child.text == name.encode() for child in node.named_children
        ):
            return True
        stack.extend(node.named_children)
    return False
