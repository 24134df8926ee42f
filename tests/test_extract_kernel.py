"""Site extraction on inline C: kinds, context, accounting, and kernel parsing hazards."""

from __future__ import annotations

import textwrap

from analyzer.extract.kernel import analyze_file
from analyzer.extract.unit import FileResult
from analyzer.model import Accounting

FLAG = "SIGNAL_UNKILLABLE"


def analyze(c_source: str, tracked: tuple[str, ...] = (FLAG,), path: str = "t.c") -> FileResult:
    """Run extraction on a dedented C snippet."""
    return analyze_file(path, "blob", textwrap.dedent(c_source).encode(), tracked)


def sites_in(c_source: str) -> list[tuple[int, str, str | None]]:
    """Sites of a snippet as (line, kind, function)."""
    return [(s.location.line, s.kind.value, s.function) for s in analyze(c_source).sites]


def accounting_of(c_source: str) -> list[tuple[int, str]]:
    """Every occurrence of a snippet as (line, how it was accounted for)."""
    return [(o.location.line, o.accounted_as.value) for o in analyze(c_source).occurrences]


def test_set_clear_and_test_in_one_function() -> None:
    assert sites_in("""\
        static void reap(struct task_struct *t)
        {
            /* SIGNAL_UNKILLABLE in a comment is not a site */
            if (unlikely(t->signal->flags & SIGNAL_UNKILLABLE))
                return;
            t->signal->flags |= SIGNAL_UNKILLABLE;
            t->signal->flags &= ~SIGNAL_UNKILLABLE;
        }
        """) == [(4, "test", "reap"), (6, "set", "reap"), (7, "clear", "reap")]


def test_column_is_the_identifiers_own_not_the_statements() -> None:
    site = analyze("void f(void)\n{\n\tif (a &&\n\t    b->flags & SIGNAL_UNKILLABLE)\n\t\treturn;\n}\n").sites[0]
    assert (site.location.line, site.location.column) == (4, 17)
    assert site.normalized == "if (a && b->flags & SIGNAL_UNKILLABLE)"
    assert site.text == "if (a &&\n\t    b->flags & SIGNAL_UNKILLABLE)"


def test_mask_partners_and_negation() -> None:
    site = analyze("""\
        void f(struct signal_struct *signal)
        {
            if (!(signal->flags & (SIGNAL_GROUP_EXIT | SIGNAL_UNKILLABLE | SIGNAL_STOP)))
                go();
        }
        """).sites[0]
    assert site.kind == "test"
    assert site.combined_with == ("SIGNAL_GROUP_EXIT", "SIGNAL_STOP")
    assert site.guarded == "go();"


def test_clear_through_plain_assignment_and_set_with_partners() -> None:
    sites = analyze("""\
        void f(struct signal_struct *s)
        {
            s->flags = s->flags & ~SIGNAL_UNKILLABLE;
            s->flags |= SIGNAL_GROUP_EXIT | SIGNAL_UNKILLABLE;
        }
        """).sites
    assert [(s.kind.value, s.combined_with) for s in sites] == [("clear", ()), ("set", ("SIGNAL_GROUP_EXIT",))]


def test_use_as_a_call_argument_is_other() -> None:
    site = analyze("void f(void)\n{\n\tset_flags(current, SIGNAL_UNKILLABLE);\n}\n").sites[0]
    assert (site.kind.value, site.construct) == ("other", "call argument")


def test_guard_chain_innermost_first_with_else_branch() -> None:
    site = analyze("""\
        void f(struct task_struct *p)
        {
            if (likely(p->pid)) {
                if (is_child_reaper(pid)) {
                    reap();
                } else {
                    p->signal->flags |= SIGNAL_UNKILLABLE;
                }
            }
        }
        """).sites[0]
    assert [(g.condition, g.branch) for g in site.guards] == [
        ("is_child_reaper(pid)", "else"),
        ("likely(p->pid)", "then"),
    ]


def test_guarded_statement_skips_comments_and_shows_headers() -> None:
    site = analyze("""\
        void f(struct signal_struct *s)
        {
            while (s->flags & SIGNAL_UNKILLABLE) {
                /* wait */
                if (done(s))
                    break;
            }
        }
        """).sites[0]
    assert (site.construct, site.guarded) == ("while", "if (done(s))")


def test_define_records_value_without_its_comment() -> None:
    site = analyze("#define SIGNAL_UNKILLABLE\t0x00000040 /* for init */\n", path="s.h").sites[0]
    assert (site.kind.value, site.function, site.value) == ("define", FLAG, "0x00000040")
    assert site.normalized == "#define SIGNAL_UNKILLABLE 0x00000040"


def test_use_in_another_macro_body_is_classified_by_reparsing_it() -> None:
    sites = analyze(
        """\
        #define SIGNAL_PROTECTED (SIGNAL_UNKILLABLE | SIGNAL_GROUP_EXIT)
        #define mark_init(s) do { (s)->flags |= SIGNAL_UNKILLABLE; } while (0)
        """,
        path="s.h",
    ).sites
    assert [(s.kind.value, s.function, s.construct, s.combined_with) for s in sites] == [
        ("other", "SIGNAL_PROTECTED", "macro body", ("SIGNAL_GROUP_EXIT",)),
        ("set", "mark_init", "macro body", ()),
    ]


def test_comments_strings_and_if0_are_accounted_not_sites() -> None:
    assert accounting_of("""\
        // SIGNAL_UNKILLABLE
        /*
         * SIGNAL_UNKILLABLE
         */
        static const char *name = "SIGNAL_UNKILLABLE";
        #if 0
        void dead(void) { current->signal->flags |= SIGNAL_UNKILLABLE; }
        #endif
        #ifdef CONFIG_X /* SIGNAL_UNKILLABLE */
        #endif
        """) == [(1, "comment"), (3, "comment"), (5, "string"), (7, "inactive"), (9, "comment")]


def test_look_alike_identifiers_are_not_occurrences() -> None:
    result = analyze('int SIGNAL_UNKILLABLE_X, XSIGNAL_UNKILLABLE;\nchar *s = "SIGNAL_UNKILLABLES";\n')
    assert result.occurrences == [] and result.sites == []


def test_else_branch_of_split_if_header_is_parsed_in_its_own_variant() -> None:
    result = analyze("""\
        static int stop_ok(struct task_struct *t)
        {
        #ifdef CONFIG_RELAXED
            if (t->signal->flags & SIGNAL_GROUP_EXIT) {
        #else
            if (t->signal->flags & SIGNAL_UNKILLABLE) {
        #endif
                return 0;
            }
            return 1;
        }
        """)
    (site,) = result.sites
    assert (site.location.line, site.kind.value, site.function) == (6, "test", "stop_ok")
    assert site.preproc == ("#else (of #ifdef CONFIG_RELAXED)",)
    assert result.stat is not None and result.stat.parses == 2


def test_header_guard_is_not_reported_as_a_condition() -> None:
    site = analyze("#ifndef _S_H\n#define _S_H\n#define SIGNAL_UNKILLABLE 0x40\n#endif\n", path="s.h").sites[0]
    assert site.preproc == ()


def test_annotation_macros_do_not_hide_the_function() -> None:
    assert sites_in("""\
        static noinline int init_post(void)
        \t__releases(kernel_lock)
        {
            current->signal->flags |= SIGNAL_UNKILLABLE;
        }

        static int __init __attribute__((cold)) early(void __user *p)
        {
            current->signal->flags |= SIGNAL_UNKILLABLE;
        }
        """) == [(4, "set", "init_post"), (9, "set", "early")]


def test_syscall_definition_is_named_like_the_kernel_symbol() -> None:
    assert sites_in("""\
        SYSCALL_DEFINE2(kill, pid_t, pid,
        \t\tint, sig)
        {
            if (current->signal->flags & SIGNAL_UNKILLABLE)
                return 0;
        }
        """) == [(4, "test", "sys_kill")]


def test_loop_macro_closing_a_do_block_does_not_swallow_later_functions() -> None:
    functions = "".join(
        f"static int helper{i}(struct task_struct *t)\n{{\n\tif (t->signal->flags & SIGNAL_UNKILLABLE)\n"
        f"\t\treturn {i};\n\treturn 0;\n}}\n\n"
        for i in range(4)
    )
    source = (
        "static void wake_all(struct task_struct *p)\n{\n\tstruct task_struct *t = p;\n\tdo {\n"
        "\t\twake(t);\n\t} while_each_thread(p, t);\n}\n\n" + functions
    )
    assert [s.function for s in analyze(source).sites] == [f"helper{i}" for i in range(4)]


def test_a_site_outside_any_function_is_warned_about() -> None:
    result = analyze("  {\n    if (x & SIGNAL_UNKILLABLE) y();\n  }\n")
    assert [s.function for s in result.sites] == [None]
    assert result.warnings == ["t.c:2:11: site has no enclosing function"]


def test_file_scope_initializer_needs_no_function() -> None:
    result = analyze("static unsigned long init_flags = SIGNAL_UNKILLABLE;\n")
    assert [(s.function, s.construct) for s in result.sites] == [(None, "initializer")]
    assert result.warnings == []


def test_non_c_file_occurrences_are_counted_not_parsed() -> None:
    result = analyze("SIGNAL_UNKILLABLE is set for init.\n", path="Documentation/x.txt")
    assert [o.accounted_as for o in result.occurrences] == [Accounting.NOT_C]
    assert result.stat is not None and not result.stat.parsed


def test_latin1_bytes_keep_byte_columns() -> None:
    data = "/* caf\xe9 */ void f(void)\n{\n\tx = \xe9; y->flags |= SIGNAL_UNKILLABLE;\n}\n".encode("latin-1")
    (site,) = analyze_file("t.c", "b", data, (FLAG,)).sites
    assert (site.location.line, site.location.column) == (3, 21)
    assert "\ufffd" in site.text


def test_nested_conditionals_give_innermost_first_conditions() -> None:
    sites = analyze("""\
        void f(struct signal_struct *s)
        {
        #ifdef CONFIG_A
            if (a)
                x();
        #ifdef CONFIG_B
            s->flags |= SIGNAL_UNKILLABLE;
        #else
            s->flags &= ~SIGNAL_UNKILLABLE;
        #endif
        #endif
            s->flags |= SIGNAL_UNKILLABLE;
        }
        """).sites
    assert [(s.kind.value, s.function, s.preproc) for s in sites] == [
        ("set", "f", ("#ifdef CONFIG_B", "#ifdef CONFIG_A")),
        ("clear", "f", ("#else (of #ifdef CONFIG_B)", "#ifdef CONFIG_A")),
        ("set", "f", ()),
    ]


def test_a_masked_value_assigned_to_a_variable_is_a_test() -> None:
    (site,) = analyze("void f(void)\n{\n\tbool k = t->signal->flags & SIGNAL_UNKILLABLE;\n}\n").sites
    assert (site.kind.value, site.construct) == ("test", "initializer")


def test_definition_macros_from_the_table_name_the_function() -> None:
    assert sites_in("""\
        BPF_CALL_3(bpf_probe_write, void __user *, dst, const void *, src, u32, size)
        {
            if (current->signal->flags & SIGNAL_UNKILLABLE)
                return -EPERM;
            return 0;
        }
        """) == [(3, "test", "bpf_probe_write")]


def test_a_function_named_like_a_macro_is_warned_about() -> None:
    result = analyze("""\
        DEFINE_HANDLER_2(on_kill, int, sig)
        {
            if (current->signal->flags & SIGNAL_UNKILLABLE)
                return;
        }
        """)
    assert [s.function for s in result.sites] == ["DEFINE_HANDLER_2"]
    assert result.warnings == [
        "t.c:3:34: function named DEFINE_HANDLER_2 looks like a definition macro; the real name may differ"
    ]


def test_binary_file_occurrences_are_counted_and_warned_about() -> None:
    result = analyze_file("x.c", "b", b"int f(void)\n{\n\treturn x->flags & SIGNAL_UNKILLABLE;\n}\n\0\0bin", (FLAG,))
    assert [o.accounted_as for o in result.occurrences] == [Accounting.BINARY]
    assert result.sites == [] and result.warnings == [
        "x.c: binary file mentions SIGNAL_UNKILLABLE: 1 occurrence(s) not analysed"
    ]


def test_predicate_definition_call_and_prototype() -> None:
    result = analyze(
        """\
        extern int is_container_init(struct task_struct *tsk);

        static inline bool is_global_init(struct task_struct *tsk)
        {
            return task_tgid_nr(tsk) == 1;
        }

        static void oom(struct task_struct *p)
        {
            if (is_global_init(p) || is_container_init(p))
                return;
        }
        """,
        tracked=("is_global_init", "is_container_init"),
    )
    assert [(s.ident, s.kind.value, s.function, s.construct, s.value) for s in result.sites] == [
        ("is_container_init", "other", None, "declaration", None),
        ("is_global_init", "define", "is_global_init", "function definition", "task_tgid_nr(tsk) == 1"),
        ("is_global_init", "call", "oom", "if", None),
        ("is_container_init", "call", "oom", "if", None),
    ]
    assert result.sites[2].normalized == "if (is_global_init(p) || is_container_init(p))"
    assert result.sites[2].guarded == "return;"


def test_macro_parameters_are_not_mask_partners() -> None:
    (site,) = analyze("#define PROTECT(a) ((a) | SIGNAL_UNKILLABLE | SIGNAL_STOP)\n", path="s.h").sites
    assert site.combined_with == ("SIGNAL_STOP",)


def test_a_site_in_a_long_initializer_shows_its_own_line() -> None:
    fields = "".join(f"\t.field{i} = {i},\n" for i in range(20))
    source = f"struct signal_struct init_signals = {{\n{fields}\t.flags = SIGNAL_UNKILLABLE,\n{fields}}};\n"
    (site,) = analyze(source).sites
    assert (site.construct, site.normalized) == ("initializer", ".flags = SIGNAL_UNKILLABLE,")


def test_a_site_inside_a_parse_error_is_warned_about() -> None:
    result = analyze("void f(void)\n{\n\tif (x & SIGNAL_UNKILLABLE))) y();\n}\n")
    assert any("could not read" in warning for warning in result.warnings)
