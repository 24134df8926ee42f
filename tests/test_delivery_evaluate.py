"""The three-valued evaluator on hand-written C (analyzer/delivery/evaluate.py).

Every expectation is read off the C in the test: the atom table is tests/delivery_kit.ATOMS,
`mystery()` and `other()` are leaves nothing gives a value (unknown), `known()` is 1,
`zero()` is 0, `seven()` is 7.
"""

from __future__ import annotations

from typing import Any

import pytest

from analyzer.delivery.atoms import parse_table
from analyzer.delivery.evaluate import Evaluator
from analyzer.delivery.expr import body_of
from analyzer.delivery.values import SENDER_TASK, TARGET, Decided, Exit, Frame, Lazy, Sig, Unknown, World, show, truth
from analyzer.model import Reason
from analyzer.vocab import Outcome
from tests.delivery_kit import clear_memos, evaluator, frame, world


@pytest.fixture(autouse=True)
def _fresh_memos() -> None:
    clear_memos()


def val(text: str, source: str = "", **names: Any) -> Any:
    return evaluator(source).value(text, frame(**names), world())


def is_unknown(value: Any, text: str) -> bool:
    return isinstance(value, Unknown) and value.text == text


# --- values ----------------------------------------------------------------------------------


def test_truth_and_show() -> None:
    u = Unknown("x()", "k.c", 3)
    assert truth(u) is u
    assert truth("init") is True and truth(0) is False and truth(2) is True and truth(-1) is True
    assert show(u) == "unknown" and show(True) == "true" and show(False) == "false" and show(3) == "3"
    assert str(u) == "x() (k.c:3)"


def test_three_valued_and_or_not() -> None:
    assert val("mystery() && zero()") == 0  # the right side decides
    assert is_unknown(val("mystery() && known()"), "mystery()")
    assert val("zero() && mystery()") == 0  # short circuit: mystery() is never read
    assert is_unknown(val("known() && mystery()"), "mystery()")
    assert val("known() && seven()") == 1  # C's && gives 1, not the right value
    assert val("known() && zero()") == 0
    assert val("mystery() || known()") == 1
    assert is_unknown(val("mystery() || zero()"), "mystery()")
    assert val("known() || mystery()") == 1
    assert val("zero() || seven()") == 1
    assert val("zero() || zero()") == 0
    assert is_unknown(val("zero() || mystery()"), "mystery()")
    assert val("!known()") == 0 and val("!zero()") == 1 and val("!seven()") == 0
    assert is_unknown(val("!mystery()"), "mystery()")
    assert val("!t") == 0  # a task is a non-null pointer


def test_conditional_expression() -> None:
    assert val("known() ? 3 : 4") == 3
    assert val("zero() ? 3 : 4") == 4
    assert val("mystery() ? 3 : 3") == 3  # both ways alike
    assert is_unknown(val("mystery() ? 3 : 4"), "mystery()")
    assert is_unknown(val("mystery() ? other() : other()"), "mystery()")


def test_arithmetic_and_comparisons() -> None:
    cases = {
        "1 + 2 == 3": 1,
        "5 - 2": 3,
        "2 < 3": 1,
        "3 < 3": 0,
        "3 <= 3": 1,
        "4 <= 3": 0,
        "3 > 3": 0,
        "4 > 3": 1,
        "3 >= 3": 1,
        "3 >= 4": 0,
        "6 & 3": 2,
        "4 | 1": 5,
        "3 != 3": 0,
        "3 != 4": 1,
        "-5": -5,
        "~0": -1,
        "+7": 7,
        "0x10": 16,
        "10UL": 10,
        "010": 8,
        "(1)": 1,
        "((seven()))": 7,
        "true": 1,
        "false": 0,
        "(int)seven()": 7,
        "SIGKILL": 9,
        "SIGTERM + 0": 15,
        "t == t": 1,
        "t != t": 0,
    }
    for text, expected in cases.items():
        assert val(text) == expected, text
    assert is_unknown(val("mystery() == 1"), "mystery()")
    assert is_unknown(val("1 == mystery()"), "mystery()")
    assert is_unknown(val("mystery() + other()"), "mystery()")
    assert is_unknown(val("2 * 3"), "2 * 3")  # no arithmetic the evaluator does not know
    assert is_unknown(val("t + 1"), "t + 1")  # a task is no number
    assert is_unknown(val("&t"), "&t")
    assert is_unknown(val("x->y"), "x->y")
    assert isinstance(val("a["), Unknown)  # not a whole expression
    unknown = val("2 *\n   3")
    assert is_unknown(unknown, "2 * 3") and unknown.path == "k.c" and unknown.line == 100


def test_flag_tests_over_an_or_of_names() -> None:
    assert val("t->flags & (PF_A | PF_B)") == 1  # any flag test true
    assert val("t->flags & (PF_B | PF_A)") == 1
    assert val("t->flags & (PF_B | PF_B)") == 0
    assert val("t->flags & (PF_B)") == 0  # one name: the plain flag test
    # `t->flags & PF_C` is no row: its first unknown part is `t->flags` itself.
    assert is_unknown(val("t->flags & (PF_B | PF_C)"), "t->flags")
    assert val("t->flags & (PF_C | PF_A)") == 1  # a true part decides even with an unknown one
    assert is_unknown(val("t->flags & (PF_A | 2)"), "t->flags")  # not only names: plain `&`


def test_atoms_bind_roles() -> None:
    ev = evaluator()
    w = world(blocked=1)
    f = frame(s=SENDER_TASK, n=9)
    assert ev.value("sigismember(&t->blocked, sig)", f, w) == 1
    # $S wants a name holding the signal: SIGKILL, a plain int, or an unbound name never match.
    assert is_unknown(ev.value("sigismember(&t->blocked, SIGKILL)", f, w), "sigismember(&t->blocked, SIGKILL)")
    assert isinstance(ev.value("sigismember(&t->blocked, n)", f, w), Unknown)
    assert isinstance(ev.value("sigismember(&t->blocked, nope)", f, w), Unknown)
    # $T wants the target: the sender's mask is not init's.
    assert isinstance(ev.value("sigismember(&s->blocked, sig)", f, w), Unknown)
    assert isinstance(ev.value("sigismember(&u->blocked, sig)", f, w), Unknown)
    # A lazy local holding init or the signal binds once read.
    f.names["task"] = Lazy("t", "k.c", 1, (), dict(f.names))
    f.names["signo"] = Lazy("sig", "k.c", 1, (), dict(f.names))
    assert ev.value("sigismember(&task->blocked, signo)", f, w) == 1


def test_atom_values_and_their_reasons() -> None:
    ev = evaluator(members={"SIG_KERNEL_ONLY_MASK": frozenset({9, 19})})
    w = world(handler=1)
    assert ev.value("t->sighand->action[sig-1].sa.sa_handler == SIG_IGN", frame(), w) == 1
    assert w.trail == [Reason("k.c", 100, "t->sighand->action[sig-1].sa.sa_handler", "SIG_IGN")]
    w = world(handler=0x1000)
    ev.value("t->sighand->action[sig - 1].sa.sa_handler", frame(), w)
    assert w.trail[-1].value == "a function"
    w = world(handler=0)
    ev.value("t->sighand->action[sig - 1].sa.sa_handler", frame(), w)
    assert w.trail[-1].value == "SIG_DFL"
    assert ev.value("sig_kernel_only(sig)", frame(), world()) == 1
    # member(M) asks about the cell's signal; $S only checks the argument holds it.
    sigterm = world()
    sigterm.meaning = {**sigterm.meaning, "signal": Sig(15)}
    assert ev.value("sig_kernel_only(sig)", frame(sig=Sig(15)), sigterm) == 0
    assert is_unknown(
        evaluator().value("sig_kernel_only(sig)", frame(), world()),
        "SIG_KERNEL_ONLY_MASK (no definition in this release)",
    )
    # Upper-case constants and numbers are not reasons; a call is, once, on its own line.
    w = world()
    assert ev.value("LOUD + known()", frame(), w) == 6
    assert w.trail == [Reason("k.c", 100, "known()", "1")]
    w = world()
    ev.value("known() +\n  known()", frame(), w)
    assert [(r.line, r.text) for r in w.trail] == [(100, "known()"), (101, "known()")]
    w = world()
    ev.value("known() + known()", frame(), w)
    assert len(w.trail) == 1  # said already


def test_a_state_change_in_an_expression() -> None:
    w = world(blocked=1)
    assert evaluator().value("sigdelset(&t->blocked, sig)", frame(), w) == 0
    assert w.state["blocked"] == 0


def test_is_global_init_reads_the_target() -> None:
    w = world()
    assert val("is_global_init(t)") == 1
    w.meaning = {**w.meaning, "target": "container_init"}
    assert evaluator().value("is_global_init(t)", frame(), w) == 0
    assert isinstance(evaluator().value("is_global_init(u)", frame(u=SENDER_TASK), w), Unknown)


def test_the_meaning_language() -> None:
    ev = evaluator()
    w = world(blocked=1, handler=1)
    w.meaning = {**w.meaning, "si_code": -6, "flag": Unknown("why", "", 0)}
    cases = {
        "blocked": 1,
        "!blocked": 0,
        "!0": 1,
        "(handler)": 1,
        "0x2": 2,
        "blocked && handler": 1,
        "blocked && 0": 0,
        "0 || handler": 1,
        "0 || 0": 0,
        "si_code <= 0": 1,
        "si_code < -6": 0,
        "si_code >= -6": 1,
        "si_code > 0": 0,
        "target == global_init": 1,
        "target != global_init": 0,
        "blocked ? 3 : 4": 3,
        "blocked ? handler : 4": 1,
        "0 && 1": 0,
        "1 || 0": 1,
        "si_code <= -6": 1,
        "si_code < -5": 1,
        "si_code > -7": 1,
        "si_code >= -5": 0,
        "si_code > -6": 0,
        "0 ? 3 : 4": 4,
    }
    for text, expected in cases.items():
        assert ev._meaning_value(text, w) == expected, text
    assert isinstance(ev._meaning_value("flag", w), Unknown)
    assert isinstance(ev._meaning_value("!flag", w), Unknown)
    assert isinstance(ev._meaning_value("flag == 1", w), Unknown)
    assert isinstance(ev._meaning_value("1 == flag", w), Unknown)
    assert isinstance(ev._meaning_value("flag ? 1 : 1", w), Unknown)
    bad = {
        "nowhere": "unknown name 'nowhere'",
        "(nowhere)": "unknown name 'nowhere'",
        "!nowhere": "unknown name 'nowhere'",
        "nowhere == 1": "unknown name 'nowhere'",
        "1 == nowhere": "unknown name 'nowhere'",
        "nowhere ? 1 : 0": "unknown name 'nowhere'",
        "blocked ? nowhere : 0": "unknown name 'nowhere'",
        "blocked ?: 1": "incomplete",
        "blocked * 2": "cannot read 'blocked * 2'",
        "f(x)": "cannot read 'f(x)'",
        "target < 1": "cannot read 'target < 1'",
    }
    for text, why in bad.items():
        with pytest.raises(ValueError) as error:
            ev._meaning_value(text, w)
        assert str(error.value) == f"atom meaning {text!r}: {why}"
    assert w.state == {"handler": 1, "blocked": 1, "unkillable": 0}


# --- routines --------------------------------------------------------------------------------

HELPERS = """
#define IS_KO(s) sig_kernel_only(s)
#define TWICE(a) ((a) + (a))
#define NOARGS() seven()
static int blocked_in(struct task_struct *p, int sig)
{
	if (sigismember(&p->blocked, sig))
		return 1;
	return 0;
}
static int lost(struct task_struct *p)
{
	return mystery();
}
static int silent(struct task_struct *p)
{
	known();
}
static int who(void)
{
	return is_global_init(current);
}
static int stopper(int sig)
{
	do_signal_stop(sig);
	return 0;
}
static int inner_kill(int sig)
{
	if (known())
		do_group_exit(sig);
	return 0;
}
"""


def test_routine_calls_bind_their_parameters() -> None:
    ev = evaluator(HELPERS, members={"SIG_KERNEL_ONLY_MASK": frozenset({9})})
    w = world(blocked=1)
    assert ev.value("blocked_in(t, sig)", frame(), w) == 1
    assert Reason("k.c", 8, "blocked_in() returns", "1") in w.trail
    assert isinstance(ev.value("blocked_in(s, sig)", frame(s=SENDER_TASK), w), Unknown)
    assert ev.value("IS_KO(sig)", frame(), w) == 1  # the argument comes back as `(sig)`
    sigterm = world()
    sigterm.meaning = {**sigterm.meaning, "signal": Sig(15)}
    assert ev.value("IS_KO(sig)", frame(sig=Sig(15)), sigterm) == 0
    assert ev.value("TWICE(3)", frame(), w) == 6
    assert ev.value("NOARGS()", frame(), w) == 7
    assert ev.value("unlikely(known())", frame(), w) == 1
    assert ev.value("likely(zero())", frame(), w) == 0


def test_current_runs_its_callees() -> None:
    ev = evaluator(HELPERS)
    assert ev.value("who()", frame(current=TARGET), world()) == 1
    assert isinstance(ev.value("who()", frame(), world()), Unknown)  # no current bound


def test_an_unknown_inside_a_routine_names_the_call() -> None:
    ev = evaluator(HELPERS)
    w = world()
    assert is_unknown(ev.value("lost(t)", frame(), w), "lost(t)")
    assert w.trail[-1] == Reason("k.c", 13, "mystery() (in lost)", "unknown")
    assert is_unknown(ev.value("silent(t)", frame(), world()), "silent(t)")  # no return
    assert is_unknown(ev.value("nowhere(t)", frame(), world()), "nowhere(t)")


def test_a_decided_routine_decides_the_caller() -> None:
    ev = evaluator(HELPERS)
    with pytest.raises(Decided) as stopped:
        ev.value("stopper(sig) == 0", frame(), world())
    assert stopped.value.outcome is Outcome.STOPPED
    exit_ = ev.run([["if", 7, "inner_kill(sig)", [], []]], frame(), world())
    assert exit_ == Exit("decided", 100, value="killed")
    exit_ = ev.run([["expr", 7, "do_signal_stop(sig)"]], frame(), world())
    assert (exit_.kind, exit_.value) == ("decided", "stopped")


def _chain(depth: int) -> str:
    parts = [f"static int c{i}(void) {{ return c{i + 1}(); }}" for i in range(1, depth)]
    parts.append(f"static int c{depth}(void) {{ return 1; }}")
    return "\n".join(parts)


def test_nested_calls_are_followed_twelve_deep() -> None:
    assert evaluator(_chain(12)).value("c1()", frame(), world()) == 1
    assert isinstance(evaluator(_chain(13)).value("c1()", frame(), world()), Unknown)
    macros = "\n".join(f"#define M{i}(x) M{i + 1}(x)" for i in range(1, 12)) + "\n#define M12(x) (x)"
    assert evaluator(macros).value("M1(3)", frame(), world()) == 3
    macros = "\n".join(f"#define M{i}(x) M{i + 1}(x)" for i in range(1, 13)) + "\n#define M13(x) (x)"
    assert isinstance(evaluator(macros).value("M1(3)", frame(), world()), Unknown)


# --- statements ------------------------------------------------------------------------------


def run(source: str, name: str = "f", returns: bool = True, w: World | None = None, **names: Any) -> Exit:
    ev = evaluator(source)
    routine = ev.routines[name]
    f = Frame("k.c", routine.location.line, {"t": TARGET, "sig": Sig(9), **names})
    return ev.run(body_of(routine), f, w if w is not None else world(), returns)


def test_locals_are_read_lazily_and_x_equals_f_of_x_now() -> None:
    source = """
static int f(void)
{
	int x = mystery();
	int y;
	int z = 1;
	z = z + 1;
	z = z + 1;
	if (known())
		return z;
	return x;
}
static int g(void)
{
	int y;
	return y;
}
static int h(void)
{
	int x = 1;
	x += 1;
	return x;
}
"""
    assert run(source) == Exit("return", 10, value=3)  # x never read: its unknown does not matter
    assert run(source, "g").value == Unknown("y", "k.c", 15)  # declared without a value
    assert is_unknown(run(source, "h").value, "x += 1")


def test_an_unknown_if_whose_ways_end_alike_stands() -> None:
    source = """
static int f(void)
{
	if (mystery())
		known();
	else
		zero();
	return 4;
}
static int g(void)
{
	if (mystery())
		return 1;
	return 0;
}
static int h(void)
{
	if (mystery())
		sigdelset(&t->blocked, sig);
	return 0;
}
static int k(void)
{
	if (mystery())
		return other();
	return other();
}
"""
    w = world()
    assert run(source, w=w) == Exit("return", 8, value=4)
    assert w.trail[-1] == Reason("k.c", 4, "either way of mystery()", "same result")
    assert Reason("k.c", 5, "known()", "1") in w.trail  # the first way's reasons are kept
    assert Reason("k.c", 7, "zero()", "0") not in w.trail
    exit_ = run(source, "g")
    assert (exit_.kind, exit_.line, exit_.unknown) == ("unknown", 12, Unknown("mystery()", "k.c", 12))
    w = world(blocked=1)
    exit_ = run(source, "h", w=w)  # the ways end alike but leave init's state differently
    assert exit_.kind == "unknown" and w.state["blocked"] == 1
    # `other()` either way, but two unknowns at two lines are not the same value.
    assert run(source, "k").unknown == Unknown("mystery()", "k.c", 24)


def test_a_state_change_both_ways_alike_is_kept() -> None:
    source = """
static int f(void)
{
	if (mystery())
		sigdelset(&t->blocked, sig);
	else
		sigdelset(&t->blocked, sig);
	return 0;
}
"""
    w = world(blocked=1)
    assert run(source, w=w).kind == "return"
    assert w.state["blocked"] == 0


def test_goto_labels_continue_and_break() -> None:
    source = """
static int f(void)
{
	if (known())
		goto out;
	return 0;
out:
	return 1;
}
static int g(void)
{
	goto done;
	return 0;
done:
	return 2;
}
static int h(void)
{
	if (known())
		goto elsewhere;
	return 0;
}
static int k(void)
{
	if (zero())
		return 0;
	else
		continue;
	return 1;
}
static int m(void)
{
	if (known())
		break;
	return 1;
}
static int n(void)
{
	if (known())
		known();
	return 5;
}
"""
    assert run(source) == Exit("return", 8, value=1)
    assert run(source, "g") == Exit("return", 15, value=2)
    assert run(source, "h") == Exit("goto", 20, label="elsewhere")
    assert run(source, "k") == Exit("continue", 28)
    assert run(source, "m") == Exit("break", 34)
    assert run(source, "n") == Exit("return", 41, value=5)  # a branch that ends goes on


def test_loops_and_opaque_statements() -> None:
    source = """
static int f(void)
{
	int i = 0;
	while (i < 3)
		i++;
	for (;;) {
		if (zero())
			known();
	}
	return 1;
}
static int g(void)
{
	for (;;) {
		if (known())
			return 1;
	}
	return 0;
}
static int h(void)
{
	while (1) {
		while (zero())
			goto out;
	}
	return 0;
out:
	return 1;
}
static int k(void)
{
	while (1) {
		if (zero())
			known();
		else
			return 3;
	}
	return 0;
}
static int m(void)
{
	switch (sig) {
	case 1:
		return 0;
	}
	return 1;
}
static int n(void)
{
	switch (sig) {
	case 1:
		known();
	}
	return 1;
}
"""
    assert run(source) == Exit("return", 11, value=1)  # loops that cannot leave: skipped
    assert run(source, "g") == Exit("unknown", 15, unknown=Unknown("for (;;)", "k.c", 15))
    assert run(source, "h").unknown == Unknown("while (1)", "k.c", 23)
    assert run(source, "k").unknown == Unknown("while (1)", "k.c", 33)
    assert run(source, "m") == Exit("unknown", 43, unknown=Unknown("switch (sig) {", "k.c", 43))
    assert run(source, "n") == Exit("return", 55, value=1)


def test_returns_off_does_not_read_the_value() -> None:
    source = """
static int f(void)
{
	return mystery();
}
static void g(void)
{
	return;
}
static void h(void)
{
}
"""
    assert run(source, returns=False) == Exit("return", 4, value=0)
    assert run(source) == Exit("return", 4, value=Unknown("mystery()", "k.c", 4))
    assert run(source, "g") == Exit("return", 8, value=0)
    assert run(source, "h") == Exit("end", 10)  # an empty body ends where it starts


def test_assignments_to_init_state_and_locals() -> None:
    source = """
static int f(void)
{
	t->sighand->action[sig - 1].sa.sa_handler = SIG_IGN;
	t->sighand->action[sig - 1].sa.sa_handler |= SIG_DFL;
	nothing->field = 3;
	likely(known());
	mystery();
	return t->sighand->action[sig - 1].sa.sa_handler;
}
"""
    w = world()
    assert run(source, w=w).value == 1
    assert w.state["handler"] == 1
    assert Reason("k.c", 4, "t->sighand->action[sig - 1].sa.sa_handler = SIG_IGN;", "1") not in w.trail
    assert Reason("k.c", 4, "t->sighand->action[sig - 1].sa.sa_handler = SIG_IGN", "1") in w.trail
    assert Reason("k.c", 7, "known()", "1") in w.trail
    assert all("mystery" not in r.text for r in w.trail)  # a bare call is not read


def test_a_table_effect_as_a_statement_is_a_reason() -> None:
    w = world(blocked=1)
    exit_ = evaluator().run([["expr", 7, "sigdelset(&t->blocked, sig)"]], frame(), w)
    assert exit_ == Exit("end", 7)
    assert w.state["blocked"] == 0
    assert w.trail == [Reason("k.c", 7, "sigdelset(&t->blocked, sig)", "0")]


def test_the_trail_does_not_repeat_itself() -> None:
    w = World({}, {})
    for _ in range(3):
        w.note("a.c", 1, "x  y", 1)
    assert w.trail == [Reason("a.c", 1, "x y", "1")]
    for i in range(6):
        w.note("a.c", 10 + i, "z", 0)
    w.note("a.c", 1, "x y", 1)  # seven reasons back: said again
    assert len(w.trail) == 8
    w.note("a.c", 2, "x y", 1)
    w.note("b.c", 2, "x y", 1)
    w.note("b.c", 2, "x z", 1)
    assert len(w.trail) == 11
    fork = w.fork()
    fork.state["a"] = 1
    fork.note("c.c", 1, "q", 0)
    assert "a" not in w.state and len(w.trail) == 11


def test_a_local_keeps_the_value_it_had_when_assigned() -> None:
    source = """
static int f(void)
{
	int x = 1;
	int y = x;
	x = 5;
	return y;
}
static int g(void)
{
	void *handler = t->sighand->action[sig - 1].sa.sa_handler;
	t->sighand->action[sig - 1].sa.sa_handler = SIG_DFL;
	return handler == SIG_IGN;
}
"""
    assert run(source).value == 1  # C: y is 1
    assert run(source, "g", w=world(handler=1)).value == 1  # C: handler was SIG_IGN when read


# --- more corners (each pins one decision) -----------------------------------------------------


def test_the_trail_window_is_six_reasons() -> None:
    w = World({}, {})
    w.note("a.c", 1, "x", 1)
    for i in range(5):
        w.note("a.c", 10 + i, "z", 0)
    w.note("a.c", 1, "x", 1)  # six back: still said
    assert len(w.trail) == 6


def test_a_lazy_local_is_read_once_where_it_was_assigned() -> None:
    source = """
static int f(void)
{
	int b = sigismember(&t->blocked, sig);

	if (b)
		sigdelset(&t->blocked, sig);
	return b;
}
static int g(void)
{
	int x = mystery();

	return x;
}
static int h(void)
{
	int x;

	x = 0;
	if (mystery())
		x = 1;
	return x;
}
"""
    w = world(blocked=1)
    assert run(source, w=w).value == 1  # read at the `if`, kept after the state changed
    assert w.state["blocked"] == 0
    assert run(source, "g").value == Unknown("mystery()", "k.c", 12)
    assert run(source, "h").unknown == Unknown("mystery()", "k.c", 21)  # each way its own locals


def test_an_unknown_if_before_a_loop_that_can_leave_names_the_if() -> None:
    source = """
static int f(void)
{
	if (mystery())
		known();
	for (;;) {
		if (zero())
			return 1;
	}
}
"""
    assert run(source) == Exit("unknown", 4, unknown=Unknown("mystery()", "k.c", 4))


def test_an_unknown_inside_a_called_routine_names_its_condition() -> None:
    source = """
static int amb(void)
{
	if (mystery())
		return 1;
	return 0;
}
"""
    w = world()
    assert is_unknown(evaluator(source).value("amb()", frame(), w), "amb()")
    assert Reason("k.c", 4, "mystery() (in amb)", "unknown") in w.trail


def test_macro_parameters_are_whole_words_and_calls_need_their_arguments() -> None:
    source = """
#define PLUS(s) (s + seven())
static int two(int a, int b)
{
	return a + b;
}
"""
    ev = evaluator(source)
    assert ev.value("PLUS(3)", frame(), world()) == 10
    assert ev.value("two(1, 2)", frame(), world()) == 3
    assert ev.value("two(seven(), 1)", frame(), world()) == 8
    assert isinstance(ev.value("two(1)", frame(), world()), Unknown)  # b never bound


def test_opaque_statements_that_jump_and_unary_on_a_task() -> None:
    source = """
static int f(void)
{
	switch (sig) {
	case 1:
		goto out;
	}
	return 1;
out:
	return 2;
}
"""
    assert run(source).unknown == Unknown("switch (sig) {", "k.c", 4)
    assert is_unknown(val("-t"), "-t")
    assert is_unknown(val("~t"), "~t")


def test_comparison_meanings_are_not_assignments() -> None:
    table = parse_table("le() => signal <= 9\nne() => signal != 1\nge() => signal >= 10\nlt() => signal < 10\n")
    ev = Evaluator(table, {}, {})
    w = world()
    assert [ev.value(f"{n}()", frame(), w) for n in ("le", "ne", "ge", "lt")] == [1, 1, 0, 1]
    assert set(w.state) == {"handler", "blocked", "unkillable"}


def test_a_number_that_is_a_row_is_not_a_reason() -> None:
    ev = Evaluator(parse_table("42 => 7\nLOUD => 3\nquiet => 4"), {}, {})
    w = world()
    assert ev.value("42 + LOUD + quiet", frame(quiet=0), w) == 7 + 3 + 0  # a local wins over a row
    assert w.trail == []
    assert ev.value("quiet", frame(), w) == 4
    assert w.trail == [Reason("k.c", 100, "quiet", "4")]


def test_comments_inside_expressions_are_skipped() -> None:
    assert val("known() /* why */ && zero()") == 0
    assert val("(/* c */ seven())") == 7
    assert val("seven(/* nothing */)") == 7


def test_numbers() -> None:
    assert val("1.5") == 0  # not an integer: no value C would use as a flag
    assert val("0x1fUL") == 31
    assert val("07") == 7
    assert val("017") == 15
    assert val("10ul") == 10


def test_unary_operators_on_values() -> None:
    assert val("-seven()") == -7
    assert val("+seven()") == 7
    assert val("~seven()") == -8
    assert val("!!seven()") == 1


def test_an_and_inside_the_parentheses_is_no_flag_list() -> None:
    assert is_unknown(val("t->flags & (PF_A & PF_B)"), "t->flags")


def test_variadic_macros_and_decided_words() -> None:
    source = "#define FIRST(a, ...) (a)\n#define TWICE(a) ((a) + (a))\n"
    ev = evaluator(source)
    assert ev.value("FIRST(3, 4, 5)", frame(), world()) == 3
    assert ev.value("TWICE(3, 4)", frame(), world()) == 6  # an extra argument is not read
    assert str(Decided(Outcome.KILLED)) == "killed"


def test_both_ways_keep_their_frame() -> None:
    source = """
static int helper(void)
{
	return 5;
}
static int f(void)
{
	if (mystery())
		known();
	return other();
}
static int g(void)
{
	if (mystery())
		known();
	return helper();
}
static int h(void)
{
	if (mystery())
		return other();
	return other();
}
"""
    w = world()
    assert run(source, w=w) == Exit("return", 10, value=Unknown("other()", "k.c", 10))
    assert w.trail[0] == Reason("k.c", 8, "mystery()", "unknown")  # said before the ways part
    assert run(source, "g") == Exit("return", 16, value=5)
    assert run(source, "h", returns=False) == Exit("return", 21, value=0)  # values not read either way
    ev = evaluator()
    assert ev.run([["if", 7, "mystery()", [], []]], frame(), world()) == Exit("end", 100)


def test_conditions_and_effects_are_reasons() -> None:
    w = world()
    exit_ = evaluator().run(
        [["if", 7, "zero() || seven()", [["expr", 8, "unlikely(known())"]], []], ["expr", 9, "do_group_exit(sig)"]],
        frame(),
        w,
    )
    assert exit_ == Exit("decided", 100, value="killed")
    assert w.trail == [
        Reason("k.c", 7, "zero()", "0"),
        Reason("k.c", 7, "seven()", "7"),
        Reason("k.c", 7, "zero() || seven()", "true"),
        Reason("k.c", 8, "known()", "1"),
        Reason("k.c", 9, "do_group_exit(sig)", "killed"),
    ]


def test_assignments_read_their_value_late_unless_they_name_themselves() -> None:
    source = """
static int f(void)
{
	int b;
	int x = 1;

	b = sigismember(&t->blocked, sig);
	x += x;
	return x;
}
static int g(void)
{
	int h = known() ? SIG_IGN : SIG_DFL;
	struct task_struct *p = known() ? t : t;

	p->sighand->action[sig - 1].sa.sa_handler = h;
	return 0;
}
"""
    w = world()
    assert run(source, w=w) == Exit("return", 9, value=Unknown("x += x", "k.c", 8))
    assert all("sigismember" not in r.text for r in w.trail)  # b is never read
    w = world()
    assert run(source, "g", w=w).kind == "return"
    assert w.state["handler"] == 1


def test_unknowns_carry_the_text_place_and_line() -> None:
    assert evaluator().value("", frame(), world()) == Unknown("", "k.c", 100)  # not an expression
    assert val("seven() ?: 3") == Unknown("(missing expression)", "k.c", 100)  # GNU `?:`: no middle
    assert val("zero() ?: 3") == 3
    assert val("-t") == Unknown("-t", "k.c", 100)
    assert val("- \n t") == Unknown("- t", "k.c", 100)
    assert val("a->b\n  ->c") == Unknown("a->b ->c", "k.c", 100)
    source = "#define LOST(a) other()\nstatic int lost(void)\n{\n\treturn mystery();\n}\n"
    assert evaluator(source).value("LOST(1)", frame(), world()) == Unknown("other()", "k.c", 100)
    assert evaluator(source).value("lost(\n  )", frame(), world()) == Unknown("lost( )", "k.c", 100)


def test_branches_of_a_conditional_are_read_in_the_world() -> None:
    w = world()
    assert evaluator().value("known() ? seven() : 4", frame(), w) == 7
    assert evaluator().value("mystery() ? seven() : seven()", frame(), w) == 7
    assert Reason("k.c", 100, "seven()", "7") in w.trail
    w = world()
    with pytest.raises(Decided):
        evaluator().value("do_signal_stop(sig) || 1", frame(), w)
    assert w.trail[-1] == Reason("k.c", 100, "do_signal_stop(sig)", "stopped")
    base = frame()
    lazy = frame(task=Lazy("known() ? t : t", "k.c", 1, (), dict(base.names)))
    assert evaluator().value("sigismember(&task->blocked, sig)", lazy, world(blocked=1)) == 1


def test_and_or_give_c_ints() -> None:
    source = "static int both(void)\n{\n\treturn known() && seven();\n}\n"
    w = world()
    assert evaluator(source).value("both()", frame(), w) == 1
    assert w.trail[-1] == Reason("k.c", 3, "both() returns", "1")


def test_a_lazy_local_is_read_at_its_depth() -> None:
    parts = [f"static int c{i}(void) {{ return c{i + 1}(); }}" for i in range(1, 11)]
    parts.append("static int c11(void) { int x = c12(); return x; }")
    parts.append("static int c12(void) { return c13(); }")
    parts.append("static int c13(void) { return 1; }")
    assert isinstance(evaluator("\n".join(parts)).value("c1()", frame(), world()), Unknown)  # 13 deep
    assert evaluator("\n".join(parts)).value("c3()", frame(), world()) == 1


def test_a_state_change_can_copy_another_state() -> None:
    ev = Evaluator(parse_table("copy() => blocked = handler"), {}, {})
    w = world(handler=1)
    assert ev.value("copy()", frame(), w) == 0
    assert w.state["blocked"] == 1
