"""Sites of tracked identifiers in kernel C, with every textual occurrence accounted for."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import tree_sitter
from tree_sitter import Node

from analyzer import parse, preprocess, syntax
from analyzer.extract.unit import SITES, FileExtractor, FileFacts, FileResult
from analyzer.model import Accounting, Attribution, Construct, FileStat, Location, Occurrence, Site, SiteKind
from analyzer.queries import anchor_of, iter_matches, load_query
from analyzer.sources import is_c_source, word_pattern

# Prefix that turns a macro body into a function body the grammar can classify.
_FRAGMENT_HEAD = b"void __siganalyze_macro(void) {\n"
_NEWLINE = re.compile(b"\n")
_MAX_STATEMENT_LINES = 8  # longer statements are shown by the site's own line
_MACRO_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")  # DEFINE_HANDLER_2: a macro the table lacks
_HEADED_CONSTRUCTS = frozenset({"if", "while", "for", "switch", "do-while"})
_GUARDING = frozenset({"if", "while", "for", "do-while", "ternary"})  # a site in their condition guards


Selection = tuple[tuple[int, int], ...]  # (conditional, branch) choices of one parse variant


@dataclass(slots=True)
class _Parsed:
    """One preprocessor variant of a file, parsed, with its matches indexed by offset."""

    text: bytes
    tree: tree_sitter.Tree
    idents: dict[int, Node]
    definitions: dict[int, tuple[Node, Node | None]]  # name offset -> (definition, #define value)
    kinds: dict[tuple[int, int], SiteKind]


def analyze_file(
    path: str, blob: str, data: bytes, tracked: tuple[str, ...], extractors: Mapping[str, FileExtractor] = {}
) -> FileResult:
    """Find and account for every whole-word occurrence of `tracked` in one file; run `extractors` on it.

    The sites found on the way are `FileFacts.sites`; each extractor's records are kept
    under its name (a fact family's), so cached results hold every family at once.
    """
    result = FileResult()
    sites: list[Site] = []
    hits = [(m.start(), m.group().decode()) for m in word_pattern(tracked).finditer(data)]
    lines = _Lines(path, data)
    binary = b"\0" in data
    if binary or not is_c_source(path):
        category = Accounting.BINARY if binary else Accounting.NOT_C
        result.occurrences = [Occurrence(ident, lines.location(off), category) for off, ident in hits]
        result.stat = FileStat(path, blob, parsed=False, occurrences=len(hits))
        if binary and hits:
            result.warnings.append(f"{path}: binary file mentions {hits[0][1]}: {len(hits)} occurrence(s) not analysed")
        return result

    layout = preprocess.lex(data)
    spans = [(offset, offset + len(ident)) for offset, ident in hits]
    variants = _Variants(data, layout, tracked, spans, parse.deadline_seconds())
    default = variants.get(())
    for offset, ident in hits:
        location = lines.location(offset)
        accounted = _account(offset, ident, location, data, layout, variants.get, result, sites)
        result.occurrences.append(Occurrence(ident, location, accounted))
        if accounted is Accounting.UNACCOUNTED:
            result.warnings.append(f"{location}: occurrence of {ident} not accounted for")
    if variants.timed_out:
        result.warnings.insert(
            0, f"{path}: parse timed out after {variants.deadline:g}s; occurrences accounted as text only"
        )
    facts = FileFacts(path, data, layout, default.tree if default else None, tuple(sites), lines.location)
    result.facts = {SITES: sites, **{name: list(extract(facts)) for name, extract in extractors.items()}}
    errors, missing = parse.error_counts(default.tree) if default is not None else (0, 0)
    result.stat = FileStat(
        path,
        blob,
        parsed=default is not None,
        parses=len(variants.parsed),
        error_nodes=errors,
        missing_nodes=missing,
        occurrences=len(hits),
        timed_out=variants.timed_out,
    )
    return result


class _Variants:
    """The parsed variants of one file, made on demand; none more once one parse times out."""

    def __init__(
        self,
        data: bytes,
        layout: preprocess.Layout,
        tracked: tuple[str, ...],
        spans: list[tuple[int, int]],
        deadline: float,
    ) -> None:
        self.data, self.layout, self.tracked, self.spans, self.deadline = data, layout, tracked, spans, deadline
        self.parsed: dict[Selection, _Parsed] = {}
        self.timed_out = False

    def get(self, selection: Selection) -> _Parsed | None:
        """The variant choosing `selection`, or None when parsing (this or an earlier one) timed out."""
        if selection not in self.parsed and not self.timed_out:
            text = preprocess.variant(self.data, self.layout, dict(selection))
            try:
                self.parsed[selection] = _parse_variant(text, self.tracked, self.spans, self.deadline)
            except parse.ParseTimeout:
                # Each further variant would likely take as long: the file is treated as
                # unparsed from here on rather than multiplying the wait.
                self.timed_out = True
        return self.parsed.get(selection)


def _account(
    offset: int,
    ident: str,
    location: Location,
    data: bytes,
    layout: preprocess.Layout,
    parsed: Callable[[Selection], _Parsed | None],
    result: FileResult,
    sites: list[Site],
) -> Accounting:
    """Explain one occurrence; build its Site when it is code (unaccounted when its parse timed out)."""
    if layout.is_inactive(offset):
        return Accounting.INACTIVE
    if preprocess.in_spans(layout.comments, offset):
        return Accounting.COMMENT
    if preprocess.in_spans(layout.strings, offset):
        return Accounting.STRING
    variant = parsed(preprocess.selection_for(layout, offset))
    if variant is None:
        return Accounting.UNACCOUNTED
    node = variant.idents.get(offset)
    if node is not None:
        site = _site(node, ident, location, data, layout, variant, result)
    else:
        leaf = variant.tree.root_node.descendant_for_byte_range(offset, offset + len(ident))
        macro = _enclosing_macro(leaf)
        if macro is not None:
            site = _macro_body_site(macro, offset, ident, location, data, layout)
        elif layout.in_directive(offset):
            span = _line_span(data, offset)
            site = Site(
                ident,
                SiteKind.OTHER,
                location,
                None,
                Attribution.NONE,
                Construct.PREPROCESSOR,
                syntax.text_of(data, *span),
                syntax.normalize(data, span, layout.comments),
                preproc=layout.conditions_at(offset),
            )
        else:
            return Accounting.UNACCOUNTED
    sites.append(site)
    return Accounting.SITE


def _parse_variant(text: bytes, tracked: tuple[str, ...], spans: list[tuple[int, int]], deadline: float) -> _Parsed:
    """Parse one rewritten variant and index what the queries match around the tracked names' places.

    A variant keeps every byte where it was, and a site is only ever looked up at the place
    of a name (`spans`): matches elsewhere would never be read.
    """
    tree = parse.parse(text, deadline)
    root = tree.root_node
    sites = iter_matches(load_query("kernel/sites", tracked), root, spans)
    idents = {m["ident"].start_byte: m["ident"] for m in sites}
    definitions = {
        m["ident"].start_byte: (m[anchor_of(m)], m.get("value"))
        for m in iter_matches(load_query("kernel/defines", tracked), root, spans)
    }
    return _Parsed(text, tree, idents, definitions, _kind_spans(root, spans))


# When one node is the operand of two constructs, e.g. `x = flags & FLAG` (the right side of
# an assignment and a mask test at once), reading the flag is what the site does.
_KIND_PRIORITY = {SiteKind.SET: 0, SiteKind.CLEAR: 1, SiteKind.TEST: 2, SiteKind.CALL: 3}


def _kind_spans(root: Node, around: list[tuple[int, int]] | None = None) -> dict[tuple[int, int], SiteKind]:
    """Kind decided by each construct operand, keyed by the operand's byte span (of those `around` these places)."""
    kinds: dict[tuple[int, int], SiteKind] = {}
    for m in iter_matches(load_query("kernel/site-kinds"), root, around):
        span = (m["operand"].start_byte, m["operand"].end_byte)
        kind = SiteKind(anchor_of(m).removeprefix("kind."))
        if span not in kinds or _KIND_PRIORITY[kind] > _KIND_PRIORITY[kinds[span]]:
            kinds[span] = kind
    return kinds


def _kind_at(kinds: dict[tuple[int, int], SiteKind], node: Node) -> SiteKind:
    """The kind of the innermost construct operand holding `node`; "other" outside all."""
    for candidate in (node, *syntax.ancestors(node)):
        kind = kinds.get((candidate.start_byte, candidate.end_byte))
        if kind is not None:
            return kind
    return SiteKind.OTHER


def _site(
    node: Node,
    ident: str,
    location: Location,
    data: bytes,
    layout: preprocess.Layout,
    variant: _Parsed,
    result: FileResult,
) -> Site:
    """Build the Site of a code identifier."""
    comments = layout.comments
    conditions = layout.conditions_at(node.start_byte)
    if node.start_byte in variant.definitions:
        return _definition_site(node, ident, location, data, layout, *variant.definitions[node.start_byte])
    kind = _kind_at(variant.kinds, node)
    construct, construct_node = syntax.construct_of(node)
    statement = construct_node if construct in _HEADED_CONSTRUCTS and construct_node else syntax.statement_of(node)
    span = syntax.header_span(statement)
    if data.count(b"\n", *span) > _MAX_STATEMENT_LINES:  # e.g. a whole struct initializer
        span = _line_span(data, node.start_byte)
    if statement.has_error or any(parent.type == "ERROR" for parent in syntax.ancestors(node)):
        result.warnings.append(f"{location}: site lies in a region the parser could not read; kind may be wrong")
    function, attributed_by = _attribute(node, location, variant, result)
    guarded = None
    if construct in _GUARDING and (target := syntax.guarded_by(construct_node)) is not None:
        guarded = syntax.normalize(data, syntax.header_span(target), comments)
    return Site(
        ident,
        kind,
        location,
        function,
        attributed_by,
        construct,
        syntax.text_of(data, *span),
        syntax.normalize(data, span, comments),
        guards=syntax.guards_of(node, data, comments),
        guarded=guarded,
        combined_with=syntax.mask_partners(node),
        preproc=conditions,
    )


def _definition_site(
    node: Node,
    ident: str,
    location: Location,
    data: bytes,
    layout: preprocess.Layout,
    definition: Node,
    macro_value: Node | None,
) -> Site:
    """A `#define` of the name, or a function definition (a predicate: value is what it returns)."""
    comments = layout.comments
    if definition.type == "function_definition":
        body = definition.child_by_field_name("body")
        span = (definition.start_byte, body.start_byte if body is not None else definition.end_byte)
        returned = syntax.sole_return_value(body)
        value = syntax.normalize(data, returned, comments) if returned is not None else None
        attributed_by, construct = Attribution.PARSER, Construct.FUNCTION_DEFINITION
    else:
        span = (definition.start_byte, macro_value.end_byte if macro_value is not None else node.end_byte)
        value = syntax.normalize(data, macro_value, comments) if macro_value is not None else None
        attributed_by, construct = Attribution.MACRO, Construct.DEFINE
    return Site(
        ident,
        SiteKind.DEFINE,
        location,
        ident,
        attributed_by,
        construct,
        syntax.text_of(data, *span),
        syntax.normalize(data, span, comments),
        value=value,
        preproc=layout.conditions_at(node.start_byte),
    )


def _attribute(node: Node, location: Location, variant: _Parsed, result: FileResult) -> tuple[str | None, Attribution]:
    """The enclosing function from the tree, checked against (or else taken from) its header."""
    annotations = frozenset(n.decode() for n in preprocess.macro_table().blank_call)
    by_header = syntax.function_from_header(variant.text, node.start_byte, annotations)
    by_parser = syntax.function_name(node)
    if by_parser is not None and by_header is not None and by_header != by_parser:
        result.warnings.append(f"{location}: parser says function {by_parser}, its header says {by_header}")
    name, attributed_by = (by_parser, Attribution.PARSER) if by_parser is not None else (by_header, Attribution.HEADER)
    if name is None:
        if _expects_function(node):
            result.warnings.append(f"{location}: site has no enclosing function")
        return None, Attribution.NONE
    if _MACRO_NAME.match(name):
        result.warnings.append(
            f"{location}: function named {name} looks like a definition macro; the real name may differ"
        )
    return name, attributed_by


def _expects_function(node: Node) -> bool:
    """A site inside a block or a parse error should have a function; a file-scope one need not."""
    return any(parent.type in ("compound_statement", "ERROR") for parent in syntax.ancestors(node))


def _enclosing_macro(leaf: Node | None) -> Node | None:
    """The #define whose body holds `leaf`, if any."""
    while leaf is not None:
        if leaf.type in ("preproc_def", "preproc_function_def"):
            return leaf
        leaf = leaf.parent
    return None


def _macro_body_site(
    macro: Node, offset: int, ident: str, location: Location, data: bytes, layout: preprocess.Layout
) -> Site:
    """A use inside another macro's body: classified by parsing the body as a function body."""
    name_node = macro.child_by_field_name("name")
    value = macro.child_by_field_name("value")
    name = name_node.text.decode("utf-8", "replace") if name_node is not None and name_node.text else None
    kind = SiteKind.OTHER
    partners: tuple[str, ...] = ()
    if value is not None:
        body = data[value.start_byte : value.end_byte].replace(b"\\\n", b" \n")
        fragment = parse.parse(_FRAGMENT_HEAD + body + b"\n;}")
        at = len(_FRAGMENT_HEAD) + offset - value.start_byte
        leaf = fragment.root_node.descendant_for_byte_range(at, at + len(ident))
        if leaf is not None and leaf.type == "identifier":
            kind = _kind_at(_kind_spans(fragment.root_node), leaf)
            parameters = macro.child_by_field_name("parameters")
            names = {p.text for p in parameters.named_children} if parameters is not None else set()
            partners = tuple(p for p in syntax.mask_partners(leaf) if p.encode() not in names)
    end = value.end_byte if value is not None else macro.end_byte
    span = (macro.start_byte, end)
    return Site(
        ident,
        kind,
        location,
        name,
        Attribution.MACRO,
        Construct.MACRO_BODY,
        syntax.text_of(data, *span),
        syntax.normalize(data, span, layout.comments),
        combined_with=partners,
        preproc=layout.conditions_at(offset),
    )


def _line_span(data: bytes, offset: int) -> tuple[int, int]:
    """The line holding `offset`, without its newline."""
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    return start, len(data) if end < 0 else end


class _Lines:
    """Offsets of a file's newlines, to turn byte offsets into lines without rescanning."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.newlines = [m.start() for m in _NEWLINE.finditer(data)]

    def location(self, offset: int) -> Location:
        """1-based line and byte column of `offset`."""
        line = bisect.bisect_left(self.newlines, offset)
        line_start = self.newlines[line - 1] + 1 if line else 0
        return Location(self.path, line + 1, offset - line_start + 1)
