"""The atom table and the stage names (analyzer/delivery/atoms.py), and routines as data
(analyzer/extract/routines.py), on hand-written text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from analyzer.delivery import atoms
from analyzer.delivery.atoms import parse_table, squeeze
from analyzer.errors import QueryError
from tests.delivery_kit import c_routines, clear_memos


@pytest.fixture(autouse=True)
def _fresh_memos() -> Iterator[None]:
    clear_memos()
    yield
    clear_memos()


def test_squeeze_drops_space_comments_and_bare_parentheses() -> None:
    assert squeeze("a  ->\n b /* c */ & // d\n e") == "a->b&e"
    assert squeeze("sig_kernel_only((sig))") == "sig_kernel_only(sig)"
    assert squeeze("(((x)))") == "x"
    assert squeeze("f(x)") == "f(x)"  # a call's parentheses stay
    assert squeeze("a[(i)]") == "a[i]"
    assert squeeze("a[i](j)") == "a[i](j)"  # called through a subscript
    assert squeeze("(f)(x)") == "f(x)"
    assert squeeze("g(h)(x)") == "g(h)(x)"
    assert squeeze("(x + 1)") == "(x+1)"
    assert squeeze("/* a */x/* b\n c */") == "x"


def test_rows_roles_and_first_match() -> None:
    table = parse_table(
        """
# a comment line
   # an indented comment
sigismember(&$T->blocked,$S)   => blocked     # trailing comment
$_->sa.sa_handler              => handler
f($*)                          => 1
f(  x ) => 2
a#b => 3
"""
    )
    assert [(a.pattern, a.meaning, a.line) for a in table] == [
        ("sigismember(&$T->blocked,$S)", "blocked", 4),
        ("$_->sa.sa_handler", "handler", 5),
        ("f($*)", "1", 6),
        ("f(x)", "2", 7),
        ("a#b", "3", 8),  # a `#` not after a space is text
    ]
    member, handler, anything, _, _ = table
    assert member.match(squeeze("sigismember(&t->blocked, sig)")) == (["t"], ["sig"])
    assert member.match("sigismember(&t->blocked,SIGKILL)") == (["t"], ["SIGKILL"])
    assert member.match("sigismember(&t->blocked,sig)x") is None  # whole text only
    assert member.match("xsigismember(&t->blocked,sig)") is None
    assert member.match("sigismember(&t->blocked,1sig)") is None  # an identifier, not a number
    assert member.match("sigismember(&t->p->blocked,sig)") is None
    assert handler.match("ka->sa.sa_handler") == ([], [])
    assert handler.match("ka.sa.sa_handler") is None  # `.` is literal, not any character
    assert anything.match("f(a,b->c)") == ([], [])
    assert anything.match("f()") == ([], [])
    two = parse_table("g($T,$T,$S) => 1")[0]
    assert two.match("g(a,b,c)") == (["a", "b"], ["c"])


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("x", "t.txt:1"),
        ("\n\nx => ", "t.txt:3"),
        (" => y", "t.txt:1"),
        ("ok => 1\nno arrow here", "t.txt:2"),
    ],
)
def test_a_bad_row_is_a_one_line_query_error(text: str, where: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_table(text, "t.txt")
    assert str(error.value) == f"{where}: expected `pattern => meaning`"
    assert "\n" not in str(error.value)


def test_a_row_with_two_arrows_splits_at_the_first() -> None:
    assert [(a.pattern, a.meaning) for a in parse_table("a => b => c")] == [("a", "b => c")]


def test_the_default_name_in_errors() -> None:
    with pytest.raises(QueryError, match=r"^queries/delivery/atoms.txt:1: "):
        parse_table("nothing")


def _queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path_txt: str, atoms_txt: str = "SIG_DFL => 0\n") -> None:
    (tmp_path / "delivery").mkdir()
    (tmp_path / "delivery" / "path.txt").write_text(path_txt, encoding="utf-8")
    (tmp_path / "delivery" / "atoms.txt").write_text(atoms_txt, encoding="utf-8")
    monkeypatch.setattr(atoms.resources, "queries_dir", lambda: tmp_path)


def test_path_names_and_table_from_the_queries_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _queries(tmp_path, monkeypatch, "# comment\n\nboot:  a  b # why\nfork:c\n", "NULL => 0 # nothing\n")
    assert atoms.path_names() == {"boot": ("a", "b"), "fork": ("c",)}
    assert [(a.pattern, a.meaning, a.line) for a in atoms.table()] == [("NULL", "0", 1)]


@pytest.mark.parametrize(("text", "line"), [("boot a b\n", 1), ("\nfork:\n", 2), ("x: # nothing\n", 1)])
def test_a_bad_path_line_is_a_one_line_query_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int
) -> None:
    _queries(tmp_path, monkeypatch, text)
    with pytest.raises(QueryError) as error:
        atoms.path_names()
    assert str(error.value) == f"queries/delivery/path.txt:{line}: expected `key: names`"


def test_the_shipped_tables_read() -> None:
    names = atoms.path_names()
    assert names["ignore"] == ("sig_ignored",)
    assert names["task"] == ("t", "p", "tsk")
    rows = {a.pattern: a.meaning for a in atoms.table()}
    assert rows["sigismember(&$T->blocked,$S)"] == "blocked"


# --- routines as data ------------------------------------------------------------------------

SOURCE = """
#define TWO(a, b) ((a) + \\
	(b))
#define CONST 3
#define EMPTY()
static int f(struct task_struct *t, int sig, unsigned long *flags)
{
	int a = 1, b;
	/* a comment */
	if (sigismember(&t->blocked, sig)) {
		return 1;
	} else if (a)
		goto out;
	else {
		;
	}
	for (a = 0; a < 3; a++) {
		if (a)
			continue;
		break;
	}
	while (b)
		b--;
	do {
		b++;
	} while (0);
	switch (sig) {
	case 1:
		break;
	}
out:
	b = 2;
	{
		return;
	}
}
#ifdef CONFIG_X
static void g(void) { h(); }
#endif
static void k(void);
int (*fp)(void);
"""


def test_routines_keep_bodies_as_data() -> None:
    found = c_routines(SOURCE)
    assert set(found) == {"TWO", "f", "g"}  # no CONST (no parameters), no EMPTY (no value)
    two = found["TWO"]
    assert (two.kind, two.params, two.location.line) == ("macro", ("a", "b"), 2)
    assert json.loads(two.body) == "((a) +  \n\t(b))"  # the backslash becomes a space
    f = found["f"]
    assert (f.kind, f.params, f.location.line) == ("function", ("t", "sig", "flags"), 6)
    assert json.loads(f.body) == [
        ["decl", 8, "a", "1"],
        ["decl", 8, "b", None],
        [
            "if",
            10,
            "sigismember(&t->blocked, sig)",
            [["return", 11, "1"]],
            [
                ["if", 12, "a", [["goto", 13, "out"]], []],
            ],
        ],
        ["loop", 17, "for (a = 0; a < 3; a++)", [["if", 18, "a", [["continue", 19]], []], ["break", 20]]],
        ["loop", 22, "while (b)", [["expr", 23, "b--"]]],
        ["loop", 24, "do", [["expr", 25, "b++"]]],
        ["opaque", 27, "switch (sig) {\n\tcase 1:\n\t\tbreak;\n\t}"],
        ["label", 31, "out"],
        ["expr", 32, "b = 2"],
        ["return", 34, None],
    ]
    assert json.loads(found["g"].body) == [["expr", 38, "h()"]]
    assert found["g"].params == ("",)  # `(void)`: one parameter without a name


def test_big_functions_are_kept_only_when_wanted() -> None:
    body = "\n".join(f"\tx{i}();" for i in range(40))
    source = f"static void big(void)\n{{\n{body}\n}}\nstatic void bigger(void)\n{{\n{body}\n\tx();\n}}\n"
    assert set(c_routines(source)) == {"big"}  # 40 statements: still a helper
    assert set(c_routines(source, wanted=frozenset({"bigger"}))) == {"big", "bigger"}
    nested = "static void n(void)\n{\n" + "\tif (a) {\n" + body + "\n\t}\n}\n"
    assert set(c_routines(nested)) == set()  # 41 with the if
    nested_else = "static void n(void)\n{\n\tif (a) ; else {\n" + body + "\n\t}\n}\n"
    assert set(c_routines(nested_else)) == set()
    looped = "static void n(void)\n{\n\twhile (a) {\n" + body + "\n\t}\n}\n"
    assert set(c_routines(looped)) == set()


def test_routines_corners() -> None:
    source = """
#define V(a, ...) (a)
static int *ptr(struct task_struct *t, ...)
{
#ifdef CONFIG_A
	a();
#else
	b();
#endif
	if (x) /* why */
		return 1; /* one */
	else /* c */
		return 2;
lbl: /* here */
	return /* r */ 3;
}
"""
    found = c_routines(source)
    assert found["V"].params == ("a",)
    assert found["ptr"].params == ("t",)
    assert json.loads(found["ptr"].body) == [
        ["expr", 6, "a()"],  # the default branch of the #ifdef only
        ["if", 10, "x", [["return", 11, "1"]], [["return", 13, "2"]]],
        ["label", 14, "lbl"],
        ["return", 15, "3"],
    ]
    # As written, an #if region's statements are kept in order, without its condition.
    raw = c_routines(source, raw=True)
    assert json.loads(raw["ptr"].body) == [
        ["expr", 6, "a()"],
        ["expr", 8, "b()"],
        ["if", 10, "x", [["return", 11, "1"]], [["return", 13, "2"]]],
        ["label", 14, "lbl"],
        ["return", 15, "3"],
    ]


def test_a_row_comment_starts_at_the_first_space_hash() -> None:
    assert [(a.pattern, a.meaning) for a in parse_table("a => b # c # d\n")] == [("a", "b")]
    assert parse_table("\t# a comment after a tab\n\tx => 1\n")[0].line == 2


def test_routines_as_written_with_conditionals() -> None:
    source = """
#ifdef CONFIG_X
static void g(void) { h(); }
#endif
static void f(void)
{
#undef FOO
#define INNER(x) (x)
#if defined(A) && B
	a();
#elif !C
	b();
#else
	c();
#endif
}
"""
    found = c_routines(source, raw=True)
    assert found["g"].body == '[["expr",3,"h()"]]'  # compact JSON
    assert json.loads(found["f"].body) == [["expr", 10, "a()"], ["expr", 12, "b()"], ["expr", 14, "c()"]]


def test_routines_in_extern_blocks_and_object_defines_in_bodies() -> None:
    source = """
extern "C" {
static int z(void)
{
#define BAR 1
#if defined(D)
	d();
#endif
	return 1;
}
}
"""
    found = c_routines(source, raw=True)
    assert json.loads(found["z"].body) == [["expr", 7, "d()"], ["return", 9, "1"]]
