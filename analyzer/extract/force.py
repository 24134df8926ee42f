"""The force decision: who may send SIGKILL/SIGSTOP to a namespace init and have it delivered."""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter
from tree_sitter import Node

from analyzer import preprocess, syntax
from analyzer.model import ForceAssignment, Location
from analyzer.queries import anchor_of, iter_matches, load_query
from analyzer.sources import word_pattern


def force_assignments(
    tree: tree_sitter.Tree,
    data: bytes,
    layout: preprocess.Layout,
    locate: Callable[[int], Location],
    variables: tuple[str, ...],
) -> list[ForceAssignment]:
    """Assignments to `variables` (`force`, `from_ancestor_ns`) in functions that pass the value on to a call."""
    found = []
    # every match names one: the query visits only the nodes around their places
    spans = [(hit.start(), hit.end()) for hit in word_pattern(variables).finditer(data)]
    for match in iter_matches(load_query("kernel/force", variables), tree.root_node, spans):
        variable, value = match["variable"], match["value"]
        function = syntax.function_node(variable)
        name = variable.text.decode() if variable.text else ""
        feeds = _feeds(function, name) if function is not None else None
        if function is None or feeds is None:
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
                feeds=feeds,
            )
        )
    return found


def _feeds(function: Node, name: str) -> str | None:
    """`callee#position` of the first call in `function` that takes `name` as an argument, else None."""
    stack = [function]
    while stack:
        node = stack.pop()
        if node.type == "argument_list":
            for position, child in enumerate(node.named_children):
                if child.type == "identifier" and child.text == name.encode():
                    callee = node.parent.child_by_field_name("function") if node.parent is not None else None
                    return f"{syntax.node_text(callee)}#{position}"
        stack.extend(reversed(node.named_children))
    return None
