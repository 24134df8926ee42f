"""The stages of the delivery machine on tiny hand-written releases (analyzer/delivery/machine.py).

Each release below is a few functions written for the test, named as queries/delivery/path.txt
names the stages, and read with the shipped atom table. The expected outcomes are worked out
by hand from that C, stage by stage, in the comments.
"""

from __future__ import annotations

import pytest

from analyzer.delivery.expr import find_if, find_loop
from analyzer.delivery.machine import (
    Inputs,
    Machine,
    _by_name,
    _dequeue_outcome,
    cells_exist,
    table_of,
)
from analyzer.delivery.values import Exit, Unknown, World
from analyzer.model import ForceAssignment, Guard, Location, Reason, Routine, SignalMask, Site
from analyzer.vocab import FLAG, Attribution, Branch, Construct, Delivered, Outcome, Sender, SiteKind, Target
from tests.delivery_kit import c_routines, clear_memos

CI, GI = Target.CONTAINER_INIT, Target.GLOBAL_INIT
SAME, ANCESTOR, KERNEL, SELF, FAULT = Sender.SAME_NS, Sender.ANCESTOR_NS, Sender.KERNEL, Sender.SELF, Sender.FAULT
DFL, IGN, HANDLER, BLOCKED = Delivered.DEFAULT, Delivered.IGNORED, Delivered.HANDLER, Delivered.BLOCKED
NUMBER = {
    "SIGQUIT": 3,
    "SIGSEGV": 11,
    "SIGKILL": 9,
    "SIGUSR1": 10,
    "SIGPIPE": 13,
    "SIGTERM": 15,
    "SIGCHLD": 17,
    "SIGSTOP": 19,
}


@pytest.fixture(autouse=True)
def _fresh_memos() -> None:
    clear_memos()


# 6.1-like: the send-time test drops what init cannot receive unless forced.
IGNORE_NEW = """
static bool sig_ignored(struct task_struct *t, int sig, bool force)
{
	void __user *handler;

	if (sigismember(&t->blocked, sig))
		return false;
	handler = t->sighand->action[sig - 1].sa.sa_handler;
	if (unlikely(t->signal->flags & SIGNAL_UNKILLABLE) &&
		handler == SIG_DFL && !(force && sig_kernel_only(sig)))
		return true;
	return handler == SIG_IGN || (handler == SIG_DFL && sig_kernel_ignore(sig));
}
"""

# 2.6.34-like: only the handler decides at send time.
IGNORE_OLD = """
static int sig_ignored(struct task_struct *t, int sig, int from_ancestor_ns)
{
	void __user *handler;

	if (sigismember(&t->blocked, sig))
		return 0;
	handler = t->sighand->action[sig - 1].sa.sa_handler;
	return handler == SIG_IGN || (handler == SIG_DFL && sig_kernel_ignore(sig));
}
"""

FATAL = """
#define sig_fatal(t, signr) \\
	(!siginmask(signr, SIG_KERNEL_IGNORE_MASK|SIG_KERNEL_STOP_MASK) && \\
	(t)->sighand->action[(signr)-1].sa.sa_handler == SIG_DFL)

static void complete_signal(int sig, struct task_struct *p, int group)
{
	struct signal_struct *signal = p->signal;

	if (sig_fatal(p, sig) &&
		!(signal->flags & (SIGNAL_STOP_DEQUEUED | SIGNAL_GROUP_EXIT)) &&
		!sigismember(&p->real_blocked, sig)) {
		if (!sig_kernel_coredump(sig)) {
			signal->flags = SIGNAL_GROUP_EXIT;
			return;
		}
	}
}
"""

DEQUEUE = """
int get_signal(struct ksignal *ksig)
{
	for (;;) {
		struct k_sigaction *ka;
		int signr;

		signr = dequeue_signal(current, &current->blocked, &ksig->info);
		if (!signr)
			break;
		ka = &current->sighand->action[signr - 1];
		if (ka->sa.sa_handler == SIG_IGN)
			continue;
		if (ka->sa.sa_handler != SIG_DFL) {
			break;
		}
		if (sig_kernel_ignore(signr))
			continue;
		if (unlikely(current->signal->flags & SIGNAL_UNKILLABLE) && !sig_kernel_only(signr))
			continue;
		if (sig_kernel_stop(signr)) {
			do_signal_stop(ksig->info.si_signo);
			continue;
		}
		do_group_exit(ksig->info.si_signo);
	}
	return 0;
}
"""

FORCED = """
int force_sig_info_to_task(struct kernel_siginfo *info, struct task_struct *t, enum sig_handler handler)
{
	int sig = info->si_signo;
	struct k_sigaction *action;
	int ignored, blocked, ret;

	action = &t->sighand->action[sig - 1];
	ignored = action->sa.sa_handler == SIG_IGN;
	blocked = sigismember(&t->blocked, sig);
	if (blocked || ignored || (handler != HANDLER_CURRENT)) {
		action->sa.sa_handler = SIG_DFL;
		if (blocked)
			sigdelset(&t->blocked, sig);
	}
	if (action->sa.sa_handler == SIG_DFL && (!t->ptrace || (handler == HANDLER_EXIT)))
		t->signal->flags &= ~SIGNAL_UNKILLABLE;
	ret = send_signal(sig, info, t, PIDTYPE_PID);
	return ret;
}
"""

HERE = Location("kernel/signal.c", 1, 1)
MASKS = (
    SignalMask("SIG_KERNEL_ONLY_MASK", HERE, ("SIGKILL", "SIGSTOP")),
    SignalMask("SIG_KERNEL_STOP_MASK", HERE, ("SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU")),
    SignalMask("SIG_KERNEL_IGNORE_MASK", HERE, ("SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH")),
    SignalMask("SIG_KERNEL_COREDUMP_MASK", HERE, ("SIGQUIT", "SIGILL", "SIGABRT", "SIGFPE", "SIGSEGV", "SIGBUS")),
)


def flag_set(function: str, *guards: Guard, line: int = 10) -> Site:
    text = "sig->flags |= SIGNAL_UNKILLABLE;"
    return Site(
        ident=FLAG,
        kind=SiteKind.SET,
        location=Location("kernel/fork.c", line, 2),
        function=function,
        attributed_by=Attribution.PARSER,
        construct=Construct.ASSIGNMENT,
        text=text,
        normalized=text,
        guards=guards,
    )


NEWPID = Guard("clone_flags & CLONE_NEWPID", Branch.THEN)


def force_at(line: int, value: str, *guards: Guard, variable: str = "force") -> ForceAssignment:
    return ForceAssignment(
        variable=variable,
        value=value,
        function="__send_signal",
        location=Location("kernel/signal.c", line, 2),
        text=f"{variable} = {value};",
        guards=guards,
    )


# 6.1's force: from an ancestor namespace (kill(2)), or any kernel send with SEND_SIG_PRIV.
FORCE_NEW = (
    force_at(900, "false"),
    force_at(903, "!task_pid_nr_ns(current, task_active_pid_ns(t))", Guard("has_si_pid_and_uid(info)", Branch.THEN)),
    force_at(
        906,
        "true",
        Guard("info == SEND_SIG_PRIV", Branch.THEN),
        Guard("has_si_pid_and_uid(info)", Branch.ELSE),
    ),
)


def release(
    *parts: str,
    sites: tuple[Site, ...] = (flag_set("copy_process", NEWPID),),
    force: tuple[ForceAssignment, ...] = FORCE_NEW,
    masks: tuple[SignalMask, ...] = MASKS,
) -> Machine:
    routines: list[Routine] = []
    for part in parts:
        routines.extend(c_routines(part, "kernel/signal.c", frozenset({"get_signal"})).values())
    return Machine(Inputs(routines=routines, force=force, masks=masks, sites=sites))


def outcome(machine: Machine, target: Target, sender: Sender, disposition: Delivered, signal: str) -> Outcome:
    return machine.cell(target, sender, disposition, signal, NUMBER[signal]).outcome


NEW = (IGNORE_NEW, FATAL, DEQUEUE, FORCED)


# --- marking ---------------------------------------------------------------------------------


def test_a_set_guarded_by_clone_newpid_marks_only_the_container_init() -> None:
    machine = release(*NEW)
    marked, reasons = machine._marked(CI)
    assert marked == 1
    assert [(r.text, r.value) for r in reasons] == [
        ("clone_flags & CLONE_NEWPID", "1"),  # the leaf, then the guard as the code reads it
        ("if (clone_flags & CLONE_NEWPID)", "true"),
        ("sig->flags |= SIGNAL_UNKILLABLE; (SIGNAL_UNKILLABLE set in copy_process)", "true"),
    ]
    assert machine._marked(GI)[0] == 0
    assert machine._marked(CI) is machine._marked(CI)  # once per target


def test_marking_by_site_function_and_guard_branch() -> None:
    assert release(*NEW, sites=(flag_set("kernel_init"),))._marked(GI)[0] == 1  # init itself runs the boot path
    assert release(*NEW, sites=(flag_set("kernel_init"),))._marked(CI)[0] == 0
    assert release(*NEW, sites=(flag_set("copy_signal"),))._marked(GI)[0] == 1  # an unguarded fork set
    # The else branch of the CLONE_NEWPID test: the global init only.
    other = Guard("clone_flags & CLONE_NEWPID", Branch.ELSE)
    assert release(*NEW, sites=(flag_set("copy_process", other),))._marked(GI)[0] == 1
    assert release(*NEW, sites=(flag_set("copy_process", other),))._marked(CI)[0] == 0
    # Every guard must hold (a boot set's guard is read with current = init).
    two = (Guard("is_global_init(current)", Branch.THEN), Guard("mystery()", Branch.THEN))
    assert release(*NEW, sites=(flag_set("kernel_init", *two),))._marked(CI)[0] == 0  # a boot set: never CI
    marked = release(*NEW, sites=(flag_set("copy_signal", *two),))._marked(CI)[0]
    # In a fork set current is the forking sender, not init: `is_global_init(current)` has no meaning;
    # every guard is read, outermost first, and the first unknown one is named.
    assert marked == Unknown("mystery()", "kernel/fork.c", 10)
    marked = release(*NEW, sites=(flag_set("kernel_init", *two),))._marked(GI)[0]
    assert marked == Unknown("mystery()", "kernel/fork.c", 10)
    # A set elsewhere is unknown, and the sites are read in order until one marks.
    odd = flag_set("elsewhere", line=20)
    marked = release(*NEW, sites=(odd,))._marked(CI)[0]
    assert marked == Unknown(f"{FLAG} set in elsewhere", "kernel/fork.c", 20)
    assert release(*NEW, sites=(odd, flag_set("copy_process", NEWPID)))._marked(CI)[0] == 1
    assert release(*NEW, sites=(flag_set("copy_process", NEWPID), odd))._marked(CI)[0] == 1
    assert isinstance(release(*NEW, sites=(odd, flag_set("copy_process", NEWPID)))._marked(GI)[0], Unknown)
    assert release(*NEW, sites=())._marked(CI) == (0, [])
    # A clear or a test of the flag marks nothing.
    cleared = flag_set("copy_process")
    cleared = Site(**{**{f: getattr(cleared, f) for f in Site.__slots__}, "kind": SiteKind.CLEAR})
    assert release(*NEW, sites=(cleared,))._marked(CI)[0] == 0


# --- whole cells -----------------------------------------------------------------------------


def test_cells_of_a_6_1_like_release() -> None:
    machine = release(*NEW)
    expected = {
        # container init, marked: the send-time test drops what is not forced and kernel-only.
        (CI, SAME, DFL, "SIGTERM"): Outcome.DROPPED,
        (CI, SAME, DFL, "SIGKILL"): Outcome.DROPPED,  # same-ns: force false
        (CI, ANCESTOR, DFL, "SIGKILL"): Outcome.KILLED,  # forced; fatal: group exit, SIGKILL dequeued
        (CI, ANCESTOR, DFL, "SIGTERM"): Outcome.DROPPED,  # forced, but not kernel-only
        (CI, ANCESTOR, DFL, "SIGSTOP"): Outcome.STOPPED,  # forced; not fatal (stop class); dequeued: stop
        (CI, KERNEL, DFL, "SIGKILL"): Outcome.KILLED,  # SEND_SIG_PRIV: force true
        (CI, SAME, HANDLER, "SIGTERM"): Outcome.HANDLED,
        (CI, SAME, IGN, "SIGTERM"): Outcome.DROPPED,
        (CI, SAME, BLOCKED, "SIGTERM"): Outcome.PENDING,
        (CI, SELF, DFL, "SIGPIPE"): Outcome.DROPPED,  # noinfo: force stays false
        # a fault: the forced path resets the handler and clears the flag.
        (CI, FAULT, DFL, "SIGSEGV"): Outcome.KILLED,  # coredump class: no group exit; dequeue kills
        (CI, FAULT, IGN, "SIGSEGV"): Outcome.KILLED,
        (CI, FAULT, BLOCKED, "SIGSEGV"): Outcome.KILLED,
        (CI, FAULT, HANDLER, "SIGSEGV"): Outcome.HANDLED,  # a handler with HANDLER_CURRENT is kept
        # global init: never marked here.
        (GI, SAME, DFL, "SIGTERM"): Outcome.KILLED,
        (GI, SAME, DFL, "SIGQUIT"): Outcome.KILLED,
        (GI, SAME, DFL, "SIGCHLD"): Outcome.DROPPED,  # ignore class with SIG_DFL
        (GI, SAME, HANDLER, "SIGCHLD"): Outcome.HANDLED,
        (GI, SAME, DFL, "SIGSTOP"): Outcome.STOPPED,
        (GI, KERNEL, DFL, "SIGTERM"): Outcome.KILLED,
    }
    for (target, sender, disposition, signal), want in expected.items():
        assert outcome(machine, target, sender, disposition, signal) is want, (target, sender, disposition, signal)


def test_the_group_exit_dequeues_sigkill_instead() -> None:
    # 2.6.34-like send test (no drop), container init marked: SIGTERM from the host is queued;
    # complete_signal (which here does not look at SIGNAL_UNKILLABLE) starts a group exit, so
    # SIGKILL is dequeued, which the unkillable test in the loop lets through: killed.
    machine = release(IGNORE_OLD, FATAL, DEQUEUE, force=())
    cell = machine.cell(CI, ANCESTOR, DFL, "SIGTERM", 15)
    assert cell.outcome is Outcome.KILLED
    texts = [r.text for r in cell.because]
    assert Reason("kernel/signal.c", 10, "group exit started: SIGKILL queued to init", "1") in cell.because
    assert texts[-1] == "do_group_exit(ksig->info.si_signo)"
    # No group exit in a release without complete_signal: SIGTERM itself is dequeued, discarded.
    machine = release(IGNORE_OLD, DEQUEUE, force=())
    assert outcome(machine, CI, ANCESTOR, DFL, "SIGTERM") is Outcome.DISCARDED
    # A coredump signal starts none either: dequeued and discarded for the marked init.
    machine = release(IGNORE_OLD, FATAL, DEQUEUE, force=())
    assert outcome(machine, CI, SAME, DFL, "SIGQUIT") is Outcome.DISCARDED
    assert outcome(machine, GI, SAME, DFL, "SIGQUIT") is Outcome.KILLED


def test_a_group_exit_already_under_way_is_not_started_again() -> None:
    fatal = FATAL.replace("!(signal->flags & (SIGNAL_STOP_DEQUEUED | SIGNAL_GROUP_EXIT))", "!zero_flags(signal)")
    zero = "static int zero_flags(struct signal_struct *s) { return 0; }\n"
    machine = release(IGNORE_OLD, zero + fatal, DEQUEUE, force=())
    assert outcome(machine, CI, SAME, DFL, "SIGTERM") is Outcome.KILLED
    unknown = "static int zero_flags(struct signal_struct *s) { return mystery(); }\n"
    machine = release(IGNORE_OLD, unknown + fatal, DEQUEUE, force=())
    cell = machine.cell(CI, SAME, DFL, "SIGTERM", 15)
    assert cell.outcome is Outcome.UNKNOWN and cell.unknown is not None and "zero_flags" in cell.unknown


def test_a_fatal_test_that_decides_or_cannot_be_read() -> None:
    deciding = """
static void complete_signal(int sig, struct task_struct *p, int group)
{
	if (sig_fatal(p, sig) && zero_then_stop(sig))
		known();
}
static int zero_then_stop(int sig) { do_signal_stop(sig); return 0; }
#define sig_fatal(t, s) 1
"""
    machine = release(IGNORE_OLD, deciding, DEQUEUE, force=())
    assert outcome(machine, GI, SAME, DFL, "SIGTERM") is Outcome.STOPPED
    blind = deciding.replace("zero_then_stop(sig)", "mystery()").replace(
        "known();", "p->signal->flags = SIGNAL_GROUP_EXIT;"
    )
    cell = release(IGNORE_OLD, blind, DEQUEUE, force=()).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert (cell.outcome, cell.unknown) == (Outcome.UNKNOWN, "mystery() (kernel/signal.c:4)")
    # complete_signal without a sig_fatal test: no group exit, straight to the dequeue loop.
    plain = "static void complete_signal(int sig, struct task_struct *p) { if (known()) return; }"
    assert outcome(release(IGNORE_OLD, plain, DEQUEUE, force=()), GI, SAME, DFL, "SIGTERM") is Outcome.KILLED


def _force(sender: Sender, assignments: tuple[ForceAssignment, ...] = FORCE_NEW) -> object:
    info = {SAME: 0x2000, ANCESTOR: 0x2000, KERNEL: 1, SELF: 0}[sender]
    meaning = {"info": info, "user_info": 0x2000, "visible": int(sender is not ANCESTOR)}
    meaning |= {"target": "global_init", "global_init": "global_init"}
    return release(*NEW, force=assignments)._force(sender, 15, World({}, meaning))


def test_force_from_its_assignments() -> None:
    assert _force(ANCESTOR) == 1  # kill(2) from the host: has_si_pid_and_uid, not visible
    assert _force(SAME) == 0
    assert _force(KERNEL) == 1  # SEND_SIG_PRIV
    assert _force(SELF) == 0  # noinfo: only the first `force = false`
    assert release(*NEW, force=())._force(SAME, 15, World({}, {})) is None
    # An unknown guard: the value stands only when it equals what was already there.
    maybe = (force_at(900, "false"), force_at(903, "true", Guard("mystery()", Branch.THEN)))
    assert isinstance(_force(SAME, maybe), Unknown)
    same = (force_at(900, "true"), force_at(903, "true", Guard("mystery()", Branch.THEN)))
    assert _force(SAME, same) == 1
    # A false guard skips the assignment, whichever branch it guards; later assignments win.
    skipped = (force_at(900, "true"), force_at(903, "false", Guard("0", Branch.THEN)))
    assert _force(SAME, skipped) == 1
    other = (force_at(900, "true"), force_at(903, "false", Guard("1", Branch.ELSE)))
    assert _force(SAME, other) == 1
    taken = (force_at(900, "true"), force_at(903, "false", Guard("SIG_DFL", Branch.ELSE)))
    assert _force(SAME, taken) == 0
    later = (force_at(903, "false"), force_at(900, "true"))  # sorted by place: line 903 last
    assert _force(SAME, later) == 0
    # The sender's current: init itself for its own sends.
    mine = (force_at(900, "is_global_init(current)"),)
    assert _force(SELF, mine) == 1
    assert isinstance(_force(SAME, mine), Unknown)


def test_the_force_of_old_releases_is_from_ancestor_ns() -> None:
    old = (
        force_at(
            900,
            "!task_pid_nr_ns(current, task_active_pid_ns(t))",
            Guard("SI_FROMUSER(info)", Branch.THEN),
            variable="from_ancestor_ns",
        ),
    )
    ignore = IGNORE_OLD.replace(
        "return handler == SIG_IGN",
        "if (from_ancestor_ns && sig_kernel_only(sig))\n\t\treturn 0;\n\treturn handler == SIG_IGN",
    )
    assert "from_ancestor_ns &&" in ignore
    machine = release(ignore, FATAL, DEQUEUE, force=old)
    assert outcome(machine, GI, SAME, DFL, "SIGTERM") is Outcome.KILLED
    # A kernel send: no assignment applies (si_code of priv is unknown): force unknown, but the
    # handler still decides SIGCHLD's drop.
    assert outcome(machine, GI, KERNEL, IGN, "SIGCHLD") is Outcome.DROPPED


def test_missing_stages() -> None:
    cell = release(DEQUEUE).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert (cell.outcome, cell.unknown) == (Outcome.UNKNOWN, "no send-time ignore test (sig_ignored) (:0)")
    cell = release(IGNORE_OLD).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert cell.unknown == "no dequeue loop (get_signal/get_signal_to_deliver) (:0)"
    no_loop = "int get_signal(struct ksignal *ksig)\n{\n\treturn 0;\n}\n"
    cell = release(IGNORE_OLD, no_loop).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert cell.unknown == "no loop calling dequeue_signal() in get_signal (kernel/signal.c:1)"
    no_return = "static int sig_ignored(struct task_struct *t, int sig) { known(); }"
    cell = release(no_return, DEQUEUE).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert cell.unknown == "sig_ignored() has no return (kernel/signal.c:1)"
    blind = "static int sig_ignored(struct task_struct *t, int sig) { if (mystery()) return 1; return 0; }"
    cell = release(blind, DEQUEUE).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert cell.unknown == "mystery() (kernel/signal.c:1)"
    # The ignore test named by a macro of that name is no function: still missing.
    macro = "#define sig_ignored(t, sig) 0\n"
    assert release(macro, DEQUEUE).cell(GI, SAME, DFL, "SIGTERM", 15).outcome is Outcome.UNKNOWN
    # A forced path that cannot be followed makes a fault's cell unknown.
    forced = (
        "int force_sig_info(struct kernel_siginfo *info, struct task_struct *t)\n"
        "{\n\tfor (;;) { if (known()) return 0; }\n}\n"
    )
    cell = release(IGNORE_OLD, DEQUEUE, forced).cell(CI, FAULT, DFL, "SIGSEGV", 11)
    assert (cell.outcome, cell.unknown) == (Outcome.UNKNOWN, "for (;;) (kernel/signal.c:3)")
    # Without a forced path a fault is an ordinary send: the flag stays, the loop discards it.
    assert outcome(release(IGNORE_OLD, DEQUEUE), CI, FAULT, DFL, "SIGSEGV") is Outcome.DISCARDED


def test_blocked_unknown_is_an_unknown_cell() -> None:
    machine = release(IGNORE_OLD, DEQUEUE)
    forced = """
int force_sig_info(struct kernel_siginfo *info, struct task_struct *t)
{
	int sig = info->si_signo;

	if (mystery())
		sigdelset(&t->blocked, sig);
	return 0;
}
"""
    machine = release(IGNORE_OLD, DEQUEUE, forced)
    cell = machine.cell(CI, FAULT, BLOCKED, "SIGSEGV", 11)
    assert cell.outcome is Outcome.UNKNOWN


def test_a_mask_with_unresolved_terms_is_not_used() -> None:
    masks = (*MASKS[:2], SignalMask("SIG_KERNEL_IGNORE_MASK", HERE, ("SIGCHLD",), unresolved=("SIGFOO",)), MASKS[3])
    cell = release(*NEW, masks=masks).cell(GI, SAME, DFL, "SIGCHLD", 17)
    assert cell.outcome is Outcome.UNKNOWN
    assert cell.unknown == "SIG_KERNEL_IGNORE_MASK (no definition in this release) (:0)"


def test_the_dequeue_outcome_of_each_exit() -> None:
    assert _dequeue_outcome(Exit("decided", 3, value="stopped"), "k.c") == (Outcome.STOPPED, None)
    assert _dequeue_outcome(Exit("continue", 3), "k.c") == (Outcome.DISCARDED, None)
    assert _dequeue_outcome(Exit("break", 3), "k.c") == (Outcome.HANDLED, None)
    assert _dequeue_outcome(Exit("goto", 3, label="relock"), "k.c") == (Outcome.DISCARDED, None)
    why = Unknown("x", "a.c", 2)
    assert _dequeue_outcome(Exit("unknown", 3, unknown=why), "k.c") == (Outcome.UNKNOWN, why)
    assert _dequeue_outcome(Exit("return", 7), "k.c") == (
        Outcome.UNKNOWN,
        Unknown("the dequeue loop ends with return", "k.c", 7),
    )


def test_finding_the_fatal_test_and_the_dequeue_loop() -> None:
    body = [
        ["expr", 1, "a()"],
        ["loop", 2, "for (;;)", [["if", 3, "b(x)", [], [["if", 4, "sig_fatal(p, sig)", [], []]]]]],
    ]
    assert find_if(body, lambda t: "sig_fatal(" in t) == ["if", 4, "sig_fatal(p, sig)", [], []]
    assert find_if(body, lambda t: "b(" in t) == body[1][3][0]
    assert find_if([["if", 1, "a", [["if", 2, "c(1)", [], []]], []]], lambda t: "c(" in t) == ["if", 2, "c(1)", [], []]
    assert find_if(body, lambda t: "zzz(" in t) is None
    loop = [
        ["expr", 1, "signr = dequeue_signal(a)"],  # not in a loop
        [
            "if",
            2,
            "x",
            [],
            [
                [
                    "loop",
                    3,
                    "for (;;)",
                    [
                        ["loop", 4, "while (y)", [["expr", 5, "other = dequeue_signal(b)"]]],
                        ["expr", 6, "n  =  dequeue_signal(c)"],
                        ["return", 7, "n"],
                    ],
                ]
            ],
        ],
    ]
    assert find_loop(loop, "dequeue_signal") == ([["return", 7, "n"]], "n")
    assert find_loop(
        [["if", 1, "x", [["loop", 2, "h", [["expr", 3, "s = dequeue_signal()"]]]], []]], "dequeue_signal"
    ) == ([], "s")
    nested = [["loop", 1, "h", [["loop", 2, "i", [["expr", 3, "q = dequeue_signal()"], ["break", 4]]]]]]
    assert find_loop(nested, "dequeue_signal") == ([["break", 4]], "q")
    assert find_loop([["loop", 1, "h", [["expr", 2, "dequeue_signal()"]]]], "dequeue_signal") is None
    assert find_loop([["loop", 1, "h", [["expr", 2, "x = my_dequeue_signal2()"]]]], "dequeue_signal") is None


def test_one_routine_per_name() -> None:
    def r(name: str, path: str, line: int, kind: str = "function") -> Routine:
        return Routine(name, kind, (), Location(path, line, 1), "[]")

    chosen = _by_name(
        [
            r("f", "a/z.c", 1),
            r("f", "include/x.h", 9),
            r("g", "a/z.c", 5),
            r("g", "a/z.c", 2),
            r("f", "kernel/signal.c", 30),
            r("sig_ignored", "kernel/signal.c", 10),
            r("h", "b.c", 1),
            r("h", "a.c", 1),
        ],
        ("sig_ignored",),
    )
    assert chosen["f"].location.path == "kernel/signal.c"  # the ignore test's file first
    assert chosen["g"].location.line == 2
    assert chosen["h"].location.path == "a.c"
    headers = _by_name([r("f", "a.c", 1), r("f", "x.h", 1), r("sig_ignored", "s.c", 1, "macro")], ("sig_ignored",))
    assert headers["f"].location.path == "x.h"  # the ignore test is a macro: no home file


def test_which_cells_exist_and_the_whole_table() -> None:
    assert not cells_exist(GI, ANCESTOR, DFL, "SIGTERM")
    assert cells_exist(CI, ANCESTOR, DFL, "SIGTERM")
    assert not cells_exist(CI, SAME, HANDLER, "SIGKILL")
    assert cells_exist(CI, SAME, DFL, "SIGKILL")
    assert not cells_exist(CI, SELF, DFL, "SIGTERM")
    assert cells_exist(CI, SELF, DFL, "SIGPIPE")
    cells = table_of(Inputs(routines=[], force=(), masks=(), sites=()))
    assert len(cells) == 686  # the count README gives for each era
    assert (cells[0].target, cells[0].sender, cells[0].disposition, cells[0].signal) == (CI, SAME, DFL, "SIGHUP")
    assert {c.outcome for c in cells} == {Outcome.UNKNOWN}


# --- what each cell passes in: a send-time test that returns the expression asked about ------


def probe(expression: str, target: Target, sender: Sender, disposition: Delivered, signal: str, **kw: object) -> object:
    """True when `expression` holds at send time (the cell is dropped), False when it does not
    (no dequeue loop: unknown naming it), else the unknown's text."""
    params = kw.pop("params", "struct task_struct *t, int sig, struct kernel_siginfo *info, bool force")
    source = f"static int sig_ignored({params})\n{{\n\treturn {expression};\n}}\n"
    cell = release(source, **kw).cell(target, sender, disposition, signal, NUMBER[signal])  # type: ignore[arg-type]
    if cell.outcome is Outcome.DROPPED:
        return True
    assert cell.outcome is Outcome.UNKNOWN
    if cell.unknown == "no dequeue loop (get_signal/get_signal_to_deliver) (:0)":
        return False
    return cell.unknown


def test_what_each_sender_passes() -> None:
    assert probe("has_si_pid_and_uid(info)", CI, SAME, DFL, "SIGTERM") is True  # kill(2): user_info
    assert probe("has_si_pid_and_uid(info)", CI, ANCESTOR, DFL, "SIGTERM") is True
    assert probe("has_si_pid_and_uid(info)", CI, KERNEL, DFL, "SIGTERM") is False
    assert probe("has_si_pid_and_uid(info)", CI, SELF, DFL, "SIGPIPE") is False
    assert probe("has_si_pid_and_uid(info)", CI, FAULT, DFL, "SIGSEGV") is False
    assert probe("info == SEND_SIG_PRIV", CI, KERNEL, DFL, "SIGTERM") is True
    assert probe("info == SEND_SIG_PRIV", CI, SAME, DFL, "SIGTERM") is False
    assert probe("info == SEND_SIG_NOINFO", CI, SELF, DFL, "SIGPIPE") is True
    assert probe("info == SEND_SIG_NOINFO", CI, KERNEL, DFL, "SIGTERM") is False
    assert probe("info == SEND_SIG_FORCED", CI, KERNEL, DFL, "SIGTERM") is False
    assert probe("SI_FROMUSER(info)", CI, SAME, DFL, "SIGTERM") is True  # si_code SI_USER (0)
    assert probe("SI_FROMUSER(info)", CI, FAULT, DFL, "SIGSEGV") is False  # si_code > 0
    assert probe("SI_FROMUSER(info)", CI, KERNEL, DFL, "SIGTERM") == "si_code of a special siginfo (:0)"
    assert probe("SI_FROMUSER(info)", CI, SELF, DFL, "SIGPIPE") == "si_code of a special siginfo (:0)"
    assert probe("info->si_code == 1", CI, FAULT, DFL, "SIGSEGV") is True
    visible = "task_pid_nr_ns(current, task_active_pid_ns(t))"
    assert probe(visible, CI, SAME, DFL, "SIGTERM") is True
    assert probe(visible, CI, ANCESTOR, DFL, "SIGTERM") is False
    assert probe(visible, GI, SELF, DFL, "SIGPIPE") is True
    assert (
        probe(visible, CI, KERNEL, DFL, "SIGTERM") == "the sending task's pid in init's namespace (a kernel send) (:0)"
    )
    # The sender runs the send unless init sends to itself.
    assert probe("is_global_init(current)", GI, SELF, DFL, "SIGPIPE") is True
    assert probe("is_global_init(current)", GI, FAULT, DFL, "SIGSEGV") is True
    assert probe("is_global_init(current)", GI, SAME, DFL, "SIGTERM") == "is_global_init(current) (kernel/signal.c:3)"


def test_what_each_target_and_disposition_is() -> None:
    assert probe("t->pid == 1", GI, SAME, DFL, "SIGTERM") is True
    assert probe("t->pid == 2", CI, SAME, DFL, "SIGTERM") is True
    assert probe("is_global_init(t)", CI, SAME, DFL, "SIGTERM") is False
    assert probe("is_global_init(t)", GI, SAME, DFL, "SIGTERM") is True
    handler = "t->sighand->action[sig - 1].sa.sa_handler"
    assert probe(f"{handler} == SIG_DFL", CI, SAME, DFL, "SIGTERM") is True
    assert probe(f"{handler} == SIG_DFL", CI, SAME, BLOCKED, "SIGTERM") is True  # blocked keeps SIG_DFL
    assert probe(f"{handler} == SIG_IGN", CI, SAME, IGN, "SIGTERM") is True
    assert probe(f"{handler} > SIG_IGN", CI, SAME, HANDLER, "SIGTERM") is True  # a function
    assert probe("sigismember(&t->blocked, sig)", CI, SAME, BLOCKED, "SIGTERM") is True
    assert probe("sigismember(&t->blocked, sig)", CI, SAME, HANDLER, "SIGTERM") is False
    assert probe("t->signal->flags & SIGNAL_UNKILLABLE", CI, SAME, DFL, "SIGTERM") is True
    assert probe("t->signal->flags & SIGNAL_UNKILLABLE", GI, SAME, DFL, "SIGTERM") is False
    assert probe("t->signal->flags & SIGNAL_GROUP_EXIT", GI, SAME, DFL, "SIGTERM") is False
    assert probe("sig_kernel_only(sig)", GI, SAME, DFL, "SIGKILL") is True
    assert probe("sig_kernel_only(sig)", GI, SAME, DFL, "SIGSTOP") is True
    assert probe("sig_kernel_only(sig)", GI, SAME, DFL, "SIGTERM") is False
    assert probe("sig == SIGTERM", GI, SAME, DFL, "SIGTERM") is True
    # Parameters named in path.txt are bound by role, and `t` is init even when not a parameter.
    assert (
        probe(
            "sig_kernel_only(signr) && p->pid == 1", GI, SAME, DFL, "SIGKILL", params="int signr, struct task_struct *p"
        )
        is True
    )
    assert probe("tsk->pid == 1", GI, SAME, DFL, "SIGKILL", params="int sig") is True
    assert probe("info == SEND_SIG_PRIV", GI, KERNEL, DFL, "SIGKILL", params="int sig, void *info") is True


def test_force_reaches_the_send_time_test() -> None:
    assert probe("force", CI, ANCESTOR, DFL, "SIGTERM") is True
    assert probe("force", CI, SAME, DFL, "SIGTERM") is False
    assert probe("force", CI, SAME, DFL, "SIGTERM", force=()) == "force (kernel/signal.c:1)"
    # The signal is bound in the force assignments too.
    only = (force_at(900, "sig_kernel_only(sig)"),)
    assert (
        probe("from_ancestor_ns", CI, SAME, DFL, "SIGKILL", force=only, params="int sig, int from_ancestor_ns") is True
    )
    assert (
        probe("from_ancestor_ns", CI, SAME, DFL, "SIGTERM", force=only, params="int sig, int from_ancestor_ns") is False
    )
    # The reason names the assignment and its value.
    cell = release(*NEW).cell(CI, ANCESTOR, DFL, "SIGKILL", 9)
    assert (
        Reason("kernel/signal.c", 903, "force = !task_pid_nr_ns(current, task_active_pid_ns(t));", "true")
        in cell.because
    )
    assert Reason("kernel/signal.c", 12, "sig_ignored() returns", "false") in cell.because


def test_a_group_exit_resets_the_handler() -> None:
    # A release whose fatal test ignores the handler: a handled SIGTERM still starts a group
    # exit, and the SIGKILL dequeued has SIG_DFL: killed.
    fatal = """
#define sig_fatal(t, s) 1
static void complete_signal(int sig, struct task_struct *p)
{
	if (sig_fatal(p, sig))
		p->signal->flags = SIGNAL_GROUP_EXIT;
}
"""
    assert outcome(release(IGNORE_OLD, fatal, DEQUEUE, force=()), GI, SAME, HANDLER, "SIGTERM") is Outcome.KILLED
    assert outcome(release(IGNORE_OLD, DEQUEUE, force=()), GI, SAME, HANDLER, "SIGTERM") is Outcome.HANDLED
    # The fatal test is read with the sender as current.
    fatal = fatal.replace("if (sig_fatal(p, sig))", "if (sig_fatal(p, sig) && is_global_init(current))")
    cell = release(IGNORE_OLD, fatal, DEQUEUE, force=()).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert cell.unknown == "is_global_init(current) (kernel/signal.c:5)"


# --- every stage found by the names path.txt gives (none of them the built-in default) -------

RENAMED = {
    "boot": ("start_init",),
    "fork": ("make_task",),
    "ignore": ("my_ignored",),
    "fatal": ("my_complete",),
    "fatal-test": ("is_fatal",),
    "dequeue": ("my_get",),
    "dequeue-call": ("take_signal",),
    "forced": ("my_force",),
    "task": ("tk",),
    "signal": ("sn",),
    "info": ("inf",),
    "force": ("fz",),
    "forced-handler": ("HANDLER_EXIT",),
}

RENAMED_C = """
#define is_fatal(t, s) ((s) == SIGTERM)

static int my_ignored(struct task_struct *tk, int sn, int fz)
{
	if (fz && sn == SIGTERM)
		return 1;
	return sn == SIGQUIT || tk->pid == 7;
}

static void my_complete(int sn, struct task_struct *tk, struct kernel_siginfo *inf)
{
	if (is_fatal(tk, sn) && inf != SEND_SIG_PRIV)
		tk->signal->flags = SIGNAL_GROUP_EXIT;
}

int my_get(struct kernel_siginfo *inf)
{
	for (;;) {
		int sn;
		struct k_sigaction *ka;

		sn = take_signal(current);
		ka = &current->sighand->action[sn - 1];
		if (ka->sa.sa_handler != SIG_DFL)
			break;
		if (sn == SIGKILL || sn == SIGSEGV)
			do_group_exit(sn);
		if (inf == SEND_SIG_PRIV)
			do_signal_stop(sn);
		continue;
	}
	return 0;
}

int my_force(int sn, struct kernel_siginfo *inf, struct task_struct *tk, enum sig_handler handler)
{
	if (handler == HANDLER_EXIT && inf > SEND_SIG_FORCED)
		tk->sighand->action[sn - 1].sa.sa_handler = SIG_DFL;
	return send_it(sn);
}

static int send_it(int sn)
{
	do_group_exit(sn);
	return 0;
}
"""


def test_stages_are_found_by_their_path_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.delivery import machine as machine_module

    monkeypatch.setattr(machine_module, "path_names", lambda: RENAMED)
    force = (force_at(900, "inf == SEND_SIG_PRIV && sn == SIGTERM && tk->pid == 1", variable="fz"),)
    sites = (flag_set("start_init"), flag_set("make_task", NEWPID, line=11))
    m = release(RENAMED_C, force=force, sites=sites)
    assert m._marked(GI)[0] == 1 and m._marked(CI)[0] == 1
    # SIGTERM from the same namespace: not forced, not ignored, fatal: the group exit kills.
    assert outcome(m, GI, SAME, DFL, "SIGTERM") is Outcome.KILLED
    assert outcome(m, GI, SAME, DFL, "SIGQUIT") is Outcome.DROPPED
    # A kernel SIGTERM is forced (fz), and the send-time test drops it.
    assert outcome(m, GI, KERNEL, DFL, "SIGTERM") is Outcome.DROPPED
    # pid 2: not forced; a kernel send starts no group exit here (inf is priv); the loop stops it.
    assert outcome(m, CI, KERNEL, DFL, "SIGTERM") is Outcome.STOPPED
    # SIGUSR1: not fatal; the loop stops it for a kernel send (inf is priv), else discards it.
    assert outcome(m, GI, KERNEL, DFL, "SIGUSR1") is Outcome.STOPPED
    assert outcome(m, GI, SAME, DFL, "SIGUSR1") is Outcome.DISCARDED
    assert outcome(m, GI, SAME, HANDLER, "SIGUSR1") is Outcome.HANDLED
    # A fault with a handler: HANDLER_EXIT resets it; the forced path's own send is not run.
    assert outcome(m, GI, FAULT, HANDLER, "SIGSEGV") is Outcome.KILLED
    no_exit = {**RENAMED, "forced-handler": ("HANDLER_CURRENT",)}
    monkeypatch.setattr(machine_module, "path_names", lambda: no_exit)
    m = release(RENAMED_C, force=force, sites=sites)
    assert outcome(m, GI, FAULT, HANDLER, "SIGSEGV") is Outcome.HANDLED


SPARSE = {"ignore": ("my_ignored",), "dequeue": ("my_get",), "forced": ("my_force",), "fatal": ("my_complete",)}
SPARSE_C = """
#define sig_fatal(s) 1
static int my_ignored(int sig) { return 0; }
static void my_complete(int sig) { if (sig_fatal(sig)) do_signal_stop(0); }
int my_get(void) { for (;;) { int s; s = dequeue_signal(current); break; } return 0; }
int my_force(struct kernel_siginfo *info, int handler)
{
	if (handler == HANDLER_CURRENT && is_global_init(current))
		return 0;
	do_group_exit(0);
}
"""


def test_built_in_names_when_path_txt_leaves_keys_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.delivery import machine as machine_module

    monkeypatch.setattr(machine_module, "path_names", lambda: SPARSE)
    # The fatal test is `sig_fatal(`, the forced handler HANDLER_CURRENT, the dequeue call
    # dequeue_signal; no roles are bound (the send-time test takes no force).
    assert outcome(release(SPARSE_C, sites=(), force=()), GI, SAME, DFL, "SIGTERM") is Outcome.STOPPED
    assert outcome(release(SPARSE_C, sites=(), force=()), GI, FAULT, DFL, "SIGSEGV") is Outcome.STOPPED
    no_fatal = SPARSE_C.replace("my_complete", "other_complete")
    assert outcome(release(no_fatal, sites=(), force=()), GI, SAME, DFL, "SIGTERM") is Outcome.HANDLED
    assert release(no_fatal, sites=(flag_set("kernel_init"),), force=())._marked(GI)[0] != 1  # no boot names
    # A force assignment with no role names bound; no forced path, no fatal stage.
    assert (
        outcome(release(no_fatal, sites=(), force=(force_at(900, "1"),)), GI, SAME, DFL, "SIGTERM") is Outcome.HANDLED
    )
    monkeypatch.setattr(machine_module, "path_names", lambda: {"ignore": ("my_ignored",), "dequeue": ("my_get",)})
    assert outcome(release(SPARSE_C, sites=(), force=()), GI, FAULT, DFL, "SIGSEGV") is Outcome.HANDLED


# --- the last survivors of the mutation run (tests/mutation/README.md) -----------------------

VOCABULARY = """
s_same() => sender == same_ns
s_anc() => sender == ancestor_ns
s_kernel() => sender == kernel
s_self() => sender == self
s_fault() => sender == fault
t_global() => target == global_init
t_container() => target == container_init
dfl() => SIG_DFL
ign() => SIG_IGN
"""


def test_the_meaning_vocabulary_of_each_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    from analyzer.delivery import machine as machine_module
    from analyzer.delivery.atoms import parse_table

    monkeypatch.setattr(machine_module, "table", lambda: parse_table(VOCABULARY))
    cells = [(CI, SAME, "SIGTERM"), (CI, ANCESTOR, "SIGTERM"), (CI, KERNEL, "SIGTERM"), (GI, SELF, "SIGPIPE")]
    cells.append((GI, FAULT, "SIGSEGV"))
    for row, (target, sender, _signal) in zip(("s_same", "s_anc", "s_kernel", "s_self", "s_fault"), cells, strict=True):
        for other_target, other_sender, other_signal in cells:
            want = (other_target, other_sender) == (target, sender)
            assert probe(f"{row}()", other_target, other_sender, DFL, other_signal, force=()) is want, (
                row,
                other_sender,
            )
    assert probe("t_global()", GI, SAME, DFL, "SIGTERM", force=()) is True
    assert probe("t_global()", CI, SAME, DFL, "SIGTERM", force=()) is False
    assert probe("t_container()", CI, SAME, DFL, "SIGTERM", force=()) is True
    assert probe("t_container()", GI, SAME, DFL, "SIGTERM", force=()) is False
    assert probe("dfl() == 0 && ign() == 1", GI, SAME, DFL, "SIGTERM", force=()) is True


def test_a_cell_keeps_the_marking_reasons_and_no_unknown_when_known() -> None:
    cell = release(*NEW).cell(CI, SAME, DFL, "SIGTERM", 15)
    assert cell.because[:3] == (
        Reason("kernel/fork.c", 10, "clone_flags & CLONE_NEWPID", "1"),
        Reason("kernel/fork.c", 10, "if (clone_flags & CLONE_NEWPID)", "true"),
        Reason("kernel/fork.c", 10, "sig->flags |= SIGNAL_UNKILLABLE; (SIGNAL_UNKILLABLE set in copy_process)", "true"),
    )
    assert cell.unknown is None
    cell = release(*NEW).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert cell.because[1].value == "false"  # the global init is forked without CLONE_NEWPID


def test_marking_guards_read_the_new_task_and_say_their_value() -> None:
    pid = Guard("p->pid == 1", Branch.THEN)
    assert release(*NEW, sites=(flag_set("copy_process", pid),))._marked(GI)[0] == 1
    assert release(*NEW, sites=(flag_set("copy_process", pid),))._marked(CI)[0] == 0
    both = Guard("clone_flags & CLONE_NEWPID && p->pid == 2", Branch.THEN)
    marked, reasons = release(*NEW, sites=(flag_set("copy_process", both),))._marked(CI)
    assert marked == 1
    assert Reason("kernel/fork.c", 10, "if (clone_flags & CLONE_NEWPID && p->pid == 2)", "true") in reasons
    nowhere = Site(**{**{f: getattr(flag_set("x"), f) for f in Site.__slots__}, "function": None})
    assert release(*NEW, sites=(nowhere,))._marked(CI)[0] == Unknown(f"{FLAG} set in no function", "kernel/fork.c", 10)


def test_force_corners() -> None:
    never = (force_at(900, "1", Guard("0", Branch.THEN)),)
    assert probe("force", CI, SAME, DFL, "SIGTERM", force=never) == "force (kernel/signal.c:1)"
    assert (
        probe("force", CI, SAME, DFL, "SIGTERM", force=(force_at(900, "mystery()"),))
        == "mystery() (kernel/signal.c:900)"
    )
    skipped_first = (force_at(900, "0", Guard("0", Branch.THEN)), force_at(903, "1"))
    assert probe("force", CI, SAME, DFL, "SIGTERM", force=skipped_first) is True
    mine = (force_at(900, "is_global_init(current)"),)
    assert probe("force", GI, SELF, DFL, "SIGPIPE", force=mine) is True  # init sends to itself
    cell = release(*NEW).cell(CI, SAME, DFL, "SIGKILL", 9)
    assert (
        Reason("kernel/signal.c", 903, "force = !task_pid_nr_ns(current, task_active_pid_ns(t));", "false")
        in cell.because
    )


def test_a_deciding_send_time_test_is_no_answer() -> None:
    source = "static int sig_ignored(struct task_struct *t, int sig)\n{\n\tdo_signal_stop(sig);\n\treturn 0;\n}\n"
    cell = release(source).cell(GI, SAME, DFL, "SIGTERM", 15)
    assert (cell.outcome, cell.unknown) == (Outcome.UNKNOWN, "sig_ignored() has no return (kernel/signal.c:1)")


def test_helpers_of_the_ignore_tests_file_win(monkeypatch: pytest.MonkeyPatch) -> None:
    here = c_routines(IGNORE_OLD + "static int h(void) { return 1; }\n", "kernel/signal.c")
    header = c_routines("static int h(void) { return 0; }\n", "include/linux/a.h")
    m = Machine(Inputs(routines=[*here.values(), *header.values()], force=(), masks=MASKS, sites=()))
    assert m.routines["h"].location.path == "kernel/signal.c"
