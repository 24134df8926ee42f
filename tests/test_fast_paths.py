"""Each fast path finds what the plain way it replaces finds, on any input (property tests).

The lexer tries its pattern only where a lexeme can start; the macro rewriter finds its
words with an automaton, not a regex alternation; the queries whose every match holds a
tracked name run only around the names' places. Inputs: the C-like token soup of
test_hardening.py, which is also where every occurrence is checked to be accounted once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import example, given

from analyzer import cache_codec, families, preprocess, queries
from analyzer.extract import force as force_extract
from analyzer.extract import kernel as kernel_extract
from analyzer.extract.kernel import analyze_file
from analyzer.vocab import FLAG
from tests.test_hardening import _ANY_INPUT, _PROPERTY


@pytest.fixture(autouse=True)
def fresh_macro_table() -> Iterator[None]:
    """The table holds the word finder: a mutated finder must be built again, not taken from the memo."""
    preprocess.macro_table.cache_clear()
    yield
    preprocess.macro_table.cache_clear()


@_PROPERTY
@given(_ANY_INPUT)
@example(b"\n#if 0\nx\n#endif\n")  # a directive on the second line, the first one empty
@example(b"\f#if 0\n\r#if 1\nX#define A\n")  # no directive: only blanks and tabs may come before `#`
@example(b'a #"s" b /\'c\' /"t"')  # a lexeme right after a `#` or `/` that starts none
def test_lexing_tries_the_pattern_only_where_a_lexeme_starts_and_finds_what_trying_everywhere_finds(
    data: bytes,
) -> None:
    everywhere = [(m.span(), m.lastgroup) for m in preprocess._LEXEME.finditer(data)]
    assert [(m.span(), m.lastgroup) for m in preprocess._lexemes(data)] == everywhere


@_PROPERTY
@given(_ANY_INPUT)
@example(b"x__init __init")  # a name inside a word that starts the file is no word of its own
@example(b"xfor_each(p) a_for_each_b")
@example(b"__initdata y")  # a name that begins a longer name
def test_macro_words_are_what_a_regex_of_the_whole_words_finds(data: bytes) -> None:
    table = preprocess.macro_table()
    names = sorted(table.blank | table.blank_call | table.do_open | table.do_close | table.loop, key=len, reverse=True)
    regex = re.compile(rb"\b(?:" + b"|".join(re.escape(n) for n in names) + rb"|\w*for_each\w*)\b")
    assert table.words(data) == [m.span() for m in regex.finditer(data)]


@_PROPERTY
@given(_ANY_INPUT)
@example(
    b"void f(void)\n{\n\tbool force = false;\n\tforce = force | x;\n\tg(info, force);\n}\n"
)  # one match, two names
def test_queries_run_around_the_names_find_what_queries_over_the_whole_file_find(data: bytes) -> None:
    near = analyze_file("t.c", "b", data, (FLAG, "is_global_init"), extractors=_EXTRACTORS)
    real = queries.iter_matches
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(queries, "iter_matches", lambda query, node, spans=None: real(query, node))
        patch.setattr(kernel_extract, "iter_matches", lambda query, node, spans=None: real(query, node))
        patch.setattr(force_extract, "iter_matches", lambda query, node, spans=None: real(query, node))
        everywhere = analyze_file("t.c", "b", data, (FLAG, "is_global_init"), extractors=_EXTRACTORS)
    assert cache_codec.file_result_to_text(near) == cache_codec.file_result_to_text(everywhere)


_EXTRACTORS = {f.name: f.per_file for f in families.per_file() if f.per_file is not None}
