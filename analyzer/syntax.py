"""Node helpers shared by extractors: enclosing function, statement, construct, guards."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from tree_sitter import Node

from analyzer.model import Branch, Construct, Guard

_STATEMENT_ENDS = frozenset(
    {
        "expression_statement",
        "return_statement",
        "declaration",
        "field_declaration",
        "compound_statement",
        "translation_unit",
        "function_definition",
        "preproc_def",
        "preproc_function_def",
    }
)
# Constructs a reader names a site by, keyed by node type; "condition" means only a site
# in the node's condition field sits in that construct.
_CONSTRUCTS = {
    "if_statement": (Construct.IF, "condition"),
    "while_statement": (Construct.WHILE, "condition"),
    "do_statement": (Construct.DO_WHILE, "condition"),
    "for_statement": (Construct.FOR, "condition"),
    "switch_statement": (Construct.SWITCH, "condition"),
    "conditional_expression": (Construct.TERNARY, "condition"),
    "assignment_expression": (Construct.ASSIGNMENT, None),
    "return_statement": (Construct.RETURN, None),
    "init_declarator": (Construct.INITIALIZER, None),
    "initializer_pair": (Construct.INITIALIZER, None),
    "function_declarator": (Construct.DECLARATION, "declarator"),
}
_HEADED = frozenset({"if_statement", "while_statement", "for_statement", "switch_statement"})
_SPACE_INSIDE_BRACKETS = re.compile(r"(?<=[(\[])\s+|\s+(?=[)\]])")


def ancestors(node: Node) -> Iterator[Node]:
    """The parents of `node`, innermost first."""
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def contains(outer: Node, inner: Node) -> bool:
    """True when `inner` lies within `outer`'s bytes."""
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def text_of(source: bytes, start: int, end: int) -> str:
    """Decode source bytes for display; bad bytes become U+FFFD."""
    return source[start:end].decode("utf-8", "replace")


def normalize(source: bytes, node_or_span: Node | tuple[int, int], comments: list[tuple[int, int]]) -> str:
    """The text without comments, whitespace collapsed, no space just inside brackets."""
    start, end = node_or_span if isinstance(node_or_span, tuple) else (node_or_span.start_byte, node_or_span.end_byte)
    pieces, pos = [], start
    first = max(0, bisect.bisect_left(comments, (start, start)) - 1)  # comments are sorted
    for c_start, c_end in comments[first:]:
        if c_start >= end:
            break
        if c_end <= start:
            continue
        pieces.append(source[pos : max(pos, c_start)])
        pos = max(pos, c_end)
    pieces.append(source[pos:end])
    # A line continuation is layout, like any other line break.
    text = " ".join(b" ".join(pieces).replace(b"\\\n", b" ").decode("utf-8", "replace").split())
    return _SPACE_INSIDE_BRACKETS.sub("", text)


def node_text(node: Node | None) -> str:
    """A node's text, bad bytes as U+FFFD; empty for no node."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def function_node(node: Node) -> Node | None:
    """The function definition around `node`."""
    return next((p for p in ancestors(node) if p.type == "function_definition"), None)


def function_name(node: Node) -> str | None:
    """Name of the function whose definition contains `node`, from the parse tree."""
    function = function_node(node)
    return declarator_name(function.child_by_field_name("declarator")) if function is not None else None


def declarator_name(declarator: Node | None) -> str | None:
    """The identifier a (possibly nested) declarator declares."""
    while declarator is not None:
        if declarator.type in ("identifier", "field_identifier", "type_identifier"):
            return declarator.text.decode("utf-8", "replace") if declarator.text else None
        inner = declarator.child_by_field_name("declarator")
        if inner is None:
            inner = next((c for c in declarator.named_children if c.type.endswith("declarator")), None)
        declarator = inner
    return None


def construct_of(ident: Node) -> tuple[Construct, Node | None]:
    """The construct a reader names the site by, and its node (None for a bare expression)."""
    through_call = False
    child = ident
    for parent in ancestors(ident):
        entry = _CONSTRUCTS.get(parent.type)
        if entry is not None:
            name, field = entry
            if field is None or _in_field(parent, field, child):
                return name, parent
        if parent.type == "call_expression":
            through_call = True
        if parent.type in _STATEMENT_ENDS:
            break
        child = parent
    return (Construct.CALL_ARGUMENT if through_call else Construct.EXPRESSION), None


def _in_field(parent: Node, field: str, child: Node) -> bool:
    """True when `child` is (inside) `parent`'s `field`."""
    target = parent.child_by_field_name(field)
    return target is not None and contains(target, child)


def statement_of(node: Node) -> Node:
    """The innermost statement (or declaration) around `node`."""
    for parent in ancestors(node):
        if parent.type.endswith("_statement") or parent.type in ("declaration", "field_declaration"):
            return parent
    return node


def header_span(statement: Node) -> tuple[int, int]:
    """For if/while/for/switch: from the keyword to the end of the condition; else the node."""
    if statement.type in _HEADED:
        condition = statement.child_by_field_name("condition")
        if statement.type == "for_statement":
            body = statement.child_by_field_name("body")
            end = body.start_byte if body is not None else statement.end_byte
            return statement.start_byte, end
        if condition is not None:
            return statement.start_byte, condition.end_byte
    if statement.type == "do_statement":
        condition = statement.child_by_field_name("condition")
        if condition is not None:
            return condition.start_byte - len("while "), condition.end_byte
    return statement.start_byte, statement.end_byte


def guards_of(node: Node, source: bytes, comments: list[tuple[int, int]]) -> tuple[Guard, ...]:
    """Enclosing if/else conditions inside the function, innermost first."""
    guards: list[Guard] = []
    for parent in ancestors(node):
        if parent.type == "function_definition":
            break
        if parent.type != "if_statement":
            continue
        condition = parent.child_by_field_name("condition")
        if condition is None or contains(condition, node):
            continue
        alternative = parent.child_by_field_name("alternative")
        branch = Branch.ELSE if alternative is not None and contains(alternative, node) else Branch.THEN
        guards.append(Guard(strip_parens(normalize(source, condition, comments)), branch))
    return tuple(guards)


def strip_parens(text: str) -> str:
    """`(a && b)` -> `a && b` when the outer parentheses enclose the whole text."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and i < len(text) - 1:
            return text
    return text[1:-1]


def sole_return_value(body: Node | None) -> Node | None:
    """The expression a function body returns when the body is that one return statement."""
    if body is None:
        return None
    statements = [c for c in body.named_children if c.type != "comment"]
    if len(statements) != 1 or statements[0].type != "return_statement":
        return None
    return next((c for c in statements[0].named_children if c.type != "comment"), None)


def first_statement(branch: Node | None) -> Node | None:
    """The first statement a branch runs: itself, or the first of its block."""
    if branch is None:
        return None
    if branch.type == "compound_statement":
        return next((c for c in branch.named_children if c.type != "comment"), None)
    return branch


def guarded_by(construct: Node | None) -> Node | None:
    """For a test, the statement its construct guards when it holds."""
    if construct is None:
        return None
    if construct.type == "if_statement":
        return first_statement(construct.child_by_field_name("consequence"))
    if construct.type in ("while_statement", "for_statement", "do_statement"):
        return first_statement(construct.child_by_field_name("body"))
    if construct.type == "conditional_expression":
        return construct.child_by_field_name("consequence")
    return None


def mask_partners(ident: Node) -> tuple[str, ...]:
    """Other operands OR-ed with `ident` in the same mask: `(A | FLAG | B)` -> (A, B)."""
    top = ident
    for parent in ancestors(ident):
        if parent.type == "parenthesized_expression" or _is_or(parent):
            top = parent
            continue
        break
    partners: list[tuple[int, str]] = []
    stack = [top] if top is not ident else []
    while stack:
        node = stack.pop()
        if node.type == "parenthesized_expression" or _is_or(node):
            stack.extend(node.named_children)
        elif node.start_byte != ident.start_byte and node.type != "comment" and node.text:
            partners.append((node.start_byte, " ".join(node.text.decode("utf-8", "replace").split())))
    return tuple(text for _, text in sorted(partners))


def _is_or(node: Node) -> bool:
    """A bitwise-or expression."""
    return node.type == "binary_expression" and _operator(node) == "|"


_HEADER_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_NOT_A_FUNCTION = frozenset({"if", "while", "for", "switch", "return", "sizeof", "typeof", "__typeof__", "defined"})


def function_from_header(source: bytes, offset: int, annotations: frozenset[str] = frozenset()) -> str | None:
    """The function around `offset` by kernel layout: a body opens with `{` in column 0.

    The fallback for sites the parser left outside any function_definition, and a
    cross-check for the others; `source` is the rewritten text, so syscall macros already
    read as `long sys_kill(...)`.
    """
    open_brace = source.rfind(b"\n{", 0, offset)
    if open_brace < 0 or source.find(b"\n}", open_brace, offset) >= 0:
        return None
    lines = source[max(0, open_brace - 2048) : open_brace].decode("utf-8", "replace").split("\n")
    header: list[str] = []
    for line in reversed(lines[-8:]):
        stripped = line.strip()
        if not stripped or stripped.endswith((";", "}", "*/")) or stripped.startswith("#"):
            break
        header.insert(0, stripped)
    for match in _HEADER_CALL.finditer(" ".join(header)):
        name = match.group(1)
        if name not in _NOT_A_FUNCTION and name not in annotations:
            return name
    return None


def _operator(node: Node) -> str | None:
    """The operator token of a binary or assignment expression."""
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else None
