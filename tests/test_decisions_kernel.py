"""Site kinds and occurrence accounting, with expectations read off small C snippets."""

from __future__ import annotations

import textwrap

import pytest

from analyzer.extract.kernel import FileResult, analyze_file

FLAG = "SIGNAL_UNKILLABLE"


def analyze(c_source: str, tracked: tuple[str, ...] = (FLAG,), path: str = "t.c") -> FileResult:
    return analyze_file(path, "blob", textwrap.dedent(c_source).encode(), tracked)


def kinds_in(body: str, tracked: tuple[str, ...] = (FLAG,)) -> list[str]:
    """Kinds of the sites of statements put in a function body."""
    return [s.kind.value for s in analyze(f"void f(struct t *t)\n{{\n{body}}}\n", tracked).sites]


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        # Reading the flag into a variable tests it; it does not set anything.
        ("\tk = t->flags & SIGNAL_UNKILLABLE;\n", "test"),
        ("\tt->killable = !(t->flags & SIGNAL_UNKILLABLE);\n", "test"),
        ("\tk |= t->flags & SIGNAL_UNKILLABLE;\n", "test"),
        ("\treturn t->flags & SIGNAL_UNKILLABLE;\n", "test"),
        ("\tt->flags = SIGNAL_UNKILLABLE;\n", "set"),
        ("\tt->flags |= SIGNAL_UNKILLABLE;\n", "set"),
        ("\tt->flags = t->flags & ~SIGNAL_UNKILLABLE;\n", "clear"),
        ("\tt->flags &= ~SIGNAL_UNKILLABLE;\n", "clear"),
        ("\tt->flags &= ~(SIGNAL_GROUP_EXIT | SIGNAL_UNKILLABLE);\n", "clear"),
        ("\tn = t->flags ? SIGNAL_UNKILLABLE : 0;\n", "set"),
        ("\tx = (t->flags & SIGNAL_UNKILLABLE) ? 1 : 0;\n", "test"),
        ("\twhile (t->flags & SIGNAL_UNKILLABLE)\n\t\twait();\n", "test"),
        ("\tuse(SIGNAL_UNKILLABLE);\n", "other"),
    ],
)
def test_kind_of_a_statement(statement: str, kind: str) -> None:
    assert kinds_in(statement) == [kind]


def test_a_predicate_called_and_stored_is_a_call() -> None:
    assert kinds_in("\tk = is_global_init(t);\n\tif (is_global_init(t))\n\t\treturn;\n", ("is_global_init",)) == [
        "call",
        "call",
    ]


def test_kinds_inside_a_macro_body_follow_the_same_priority() -> None:
    sites = analyze("#define READ_IT(s) do { k = (s)->flags & SIGNAL_UNKILLABLE; } while (0)\n", path="s.h").sites
    assert [(s.kind.value, s.construct) for s in sites] == [("test", "macro body")]


def test_every_occurrence_is_accounted_once() -> None:
    result = analyze("""\
        /* SIGNAL_UNKILLABLE: comment */
        #ifdef SIGNAL_UNKILLABLE
        static const char *why = "SIGNAL_UNKILLABLE";
        #endif
        #if 0
        static int dead = SIGNAL_UNKILLABLE;
        #endif
        void f(struct t *t)
        {
            k = t->flags & SIGNAL_UNKILLABLE; // SIGNAL_UNKILLABLE
        }
        """)
    assert [(o.location.line, o.accounted_as.value) for o in result.occurrences] == [
        (1, "comment"),
        (2, "site"),
        (3, "string"),
        (6, "inactive"),
        (10, "site"),
        (10, "comment"),
    ]
    assert [(s.location.line, s.kind.value, s.construct) for s in result.sites] == [
        (2, "other", "preprocessor"),
        (10, "test", "assignment"),
    ]
    assert result.warnings == []
    assert result.stat is not None and result.stat.occurrences == 6 and result.stat.parsed


def test_a_site_in_an_else_branch_is_found_with_its_condition() -> None:
    result = analyze("""\
        void f(struct t *t)
        {
        #if defined(CONFIG_A)
            t->flags &= ~SIGNAL_UNKILLABLE;
        #elif defined(CONFIG_B)
            t->flags |= SIGNAL_UNKILLABLE;
        #endif
        }
        """)
    assert [(s.location.line, s.kind.value, s.function) for s in result.sites] == [(4, "clear", "f"), (6, "set", "f")]
    assert [o.accounted_as.value for o in result.occurrences] == ["site", "site"]


_HELPER_AND_CALLS = """\
static int helper(struct task_struct *t)
{
	return t->signal->flags & SIGNAL_UNKILLABLE;
}
"""


@pytest.mark.parametrize(
    ("path", "extra", "routines", "calls"),
    [
        # a .c file that defines no stage of the table and no sys_kill: neither is ever read
        ("kernel/exit.c", "", [], []),
        # a stage's home: every routine; still no sys_kill, so no call
        (
            "kernel/signal.c",
            "int sig_ignored(struct task_struct *t, int sig)\n{\n\treturn helper(t);\n}\n",
            ["helper", "sig_ignored"],
            [],
        ),
        # the file whose sys_kill calls: every call, no stage so no routine
        (
            "kernel/kill.c",
            "SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)\n{\n\treturn helper(0);\n}\n",
            [],
            [("sys_kill", "helper")],
        ),
        # a header: both, always
        (
            "include/linux/sched.h",
            "static inline int f(void)\n{\n\treturn helper(0);\n}\n",
            ["helper", "f"],
            [("f", "helper")],
        ),
    ],
)
def test_a_c_file_keeps_routines_only_where_a_stage_lives_and_calls_only_where_sys_kill_does(
    path: str, extra: str, routines: list[str], calls: list[tuple[str, str]]
) -> None:
    from analyzer import families

    extractors = {f.name: f.per_file for f in families.per_file() if f.per_file is not None}
    result = analyze_file(path, "b", (_HELPER_AND_CALLS + extra).encode(), ("SIGNAL_UNKILLABLE",), extractors)
    assert [r.name for r in result.of("routine")] == routines
    assert [(h.caller, h.callee) for h in result.of("call")] == calls
