"""PID 1's decisions, with each expected row read off a small init written into tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

from analyzer.extract.init import extract_init
from analyzer.model import Disposition
from analyzer.sources.directory import DirectorySource
from tests.facts_api import dispositions, skipped, write_tree

HEAD = "#include <signal.h>\n#include <unistd.h>\n"


def table(tmp_path: Path, code: str, extra: dict[str, str] | None = None) -> dict[str, Disposition]:
    """Rows of an init whose init.c is `code` (plus `extra` files)."""
    write_tree(tmp_path, {"init.c": HEAD + textwrap.dedent(code), **(extra or {})})
    return dispositions(extract_init(DirectorySource(tmp_path), "init"))


def state(rows: dict[str, Disposition], name: str) -> tuple[str, str | None]:
    return rows[name].disposition, rows[name].handler


def test_a_cast_around_sig_ign_still_ignores(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_usr(int sig) { (void) sig; }
        int main(void) {
                signal(SIGPIPE, (void (*)(int)) SIG_IGN);
                signal(SIGHUP, ( void ( * ) ( int ) )SIG_DFL);
                signal(SIGUSR1, (void (*)(int)) on_usr);
                signal(SIGTERM, SIG_IGN);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGPIPE") == ("ignored", None)
    assert state(rows, "SIGHUP") == ("default", None)
    assert state(rows, "SIGUSR1") == ("handler", "on_usr")
    assert state(rows, "SIGTERM") == ("ignored", None)


def test_a_typedef_cast_around_sig_ign_still_ignores(tmp_path: Path) -> None:
    rows = table(tmp_path, "int main(void) {\n\tsignal(SIGPIPE, (sighandler_t) SIG_IGN);\n\tfor (;;) pause();\n}\n")
    assert state(rows, "SIGPIPE") == ("ignored", None)


def test_sig_unblock_unblocks(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        int main(void) {
                sigset_t s, u;
                sigemptyset(&s);
                sigaddset(&s, SIGTERM);
                sigaddset(&s, SIGINT);
                sigprocmask(SIG_BLOCK, &s, NULL);
                sigemptyset(&u);
                sigaddset(&u, SIGINT);
                sigaddset(&u, SIGUSR2);
                sigprocmask(SIG_UNBLOCK, &u, NULL);
                for (;;) pause();
        }
        """,
    )
    assert rows["SIGTERM"].disposition == "blocked"
    assert rows["SIGINT"].disposition == "default"  # blocked, then unblocked
    assert rows["SIGUSR2"].disposition == "default"  # unblocking never blocks
    assert rows["SIGHUP"].disposition == "default"


def test_sigdelset_takes_a_signal_out_of_a_filled_set(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        int main(void) {
                sigset_t s;
                sigfillset(&s);
                sigdelset(&s, SIGSEGV);
                sigprocmask(SIG_BLOCK, &s, NULL);
                for (;;) pause();
        }
        """,
    )
    assert rows["SIGTERM"].disposition == "blocked"
    assert rows["SIGSEGV"].disposition == "default"
    assert rows["SIGKILL"].disposition == "default"  # the kernel never lets it be blocked
    assert rows["SIGKILL"].note is not None and "cannot be caught" in rows["SIGKILL"].note


def test_a_saved_and_restored_action_leaves_the_original(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_int(int sig) { (void) sig; }
        static void ask(void) {
                struct sigaction sa = { .sa_handler = on_int }, old;
                sigaction(SIGINT, &sa, &old);
                read_answer();
                sigaction(SIGINT, &old, NULL);
        }
        int main(void) {
                signal(SIGQUIT, SIG_IGN);
                ask();
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGINT") == ("default", None)
    assert state(rows, "SIGQUIT") == ("ignored", None)
    assert any(
        "temporary: restored from old" in line for line in skipped(extract_init(DirectorySource(tmp_path), "init"))
    )


def test_a_saved_and_restored_mask_leaves_the_signal_unblocked(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void critical(void) {
                sigset_t s, saved;
                sigemptyset(&s);
                sigaddset(&s, SIGCHLD);
                sigprocmask(SIG_BLOCK, &s, &saved);
                work();
                sigprocmask(SIG_SETMASK, &saved, NULL);
        }
        int main(void) {
                sigset_t t;
                sigemptyset(&t);
                sigaddset(&t, SIGTERM);
                sigprocmask(SIG_BLOCK, &t, NULL);
                critical();
                for (;;) pause();
        }
        """,
    )
    assert rows["SIGCHLD"].disposition == "default"
    assert rows["SIGTERM"].disposition == "blocked"


def test_a_restore_in_another_function_is_not_this_save(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_int(int sig) { (void) sig; }
        static struct sigaction old;
        static void install(void) {
                struct sigaction sa = { .sa_handler = on_int };
                sigaction(SIGINT, &sa, &old);
        }
        int main(void) {
                install();
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGINT") == ("handler", "on_int")


def test_a_forked_child_and_code_before_exec_are_not_pid_1(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_term(int sig) { (void) sig; }
        static void spawn(char **argv) {
                pid_t pid = fork();
                if (pid == 0) {
                        signal(SIGTERM, SIG_DFL);
                        signal(SIGPIPE, SIG_DFL);
                        execv(argv[0], argv);
                }
        }
        static void spawn3(char **argv) {
                pid_t p = vfork();
                if (!p)
                        signal(SIGUSR2, SIG_IGN);
        }
        static void run_shell(char **argv) {
                signal(SIGINT, SIG_IGN);
                execv("/bin/sh", argv);
        }
        int main(int argc, char **argv) {
                signal(SIGTERM, on_term);
                signal(SIGPIPE, SIG_IGN);
                spawn(argv);
                spawn3(argv);
                if (argc > 5)
                        run_shell(argv);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGTERM") == ("handler", "on_term")
    assert state(rows, "SIGPIPE") == ("ignored", None)
    assert state(rows, "SIGUSR2") == ("default", None)
    assert state(rows, "SIGINT") == ("default", None)


def test_a_fork_inside_the_if_condition_is_a_child(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void spawn(void) {
                pid_t child;
                if ((child = fork()) == 0)
                        signal(SIGUSR1, SIG_IGN);
        }
        int main(void) {
                spawn();
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGUSR1") == ("default", None)


def test_a_test_against_zero_without_a_fork_is_pid_1_itself(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        int main(int argc, char **argv) {
                int quiet = argc - 1;
                if (quiet == 0)
                        signal(SIGHUP, SIG_IGN);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGHUP") == ("ignored", None)


def test_decisions_inside_a_handler_or_a_reaction_are_set_aside(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static volatile int got;
        static void on_term(int sig) {
                got = sig;
                signal(SIGTERM, SIG_DFL);
        }
        static void on_usr(int sig) { got = sig; }
        int main(void) {
                signal(SIGTERM, on_term);
                signal(SIGUSR1, on_usr);
                for (;;) {
                        pause();
                        if (got == SIGUSR1)
                                signal(SIGUSR1, SIG_IGN);
                }
        }
        """,
    )
    assert state(rows, "SIGTERM") == ("handler", "on_term")
    assert state(rows, "SIGUSR1") == ("handler", "on_usr")
    assert rows["SIGUSR1"].note is not None and "once SIGUSR1 arrived" in rows["SIGUSR1"].note


def test_program_order_from_main_not_source_order(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_hup(int sig) { (void) sig; }
        static void late(void) { signal(SIGHUP, on_hup); }
        static void early(void) { signal(SIGHUP, SIG_IGN); signal(SIGALRM, SIG_IGN); }
        static void unused(void) { signal(SIGALRM, on_hup); }
        int main(void) {
                early();
                late();
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGHUP") == ("handler", "on_hup")
    assert state(rows, "SIGALRM") == ("ignored", None)  # unused() is never called from main


def test_sigaction_structs_field_initializer_literal_and_empty(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_usr(int sig) { (void) sig; }
        static void on_chld(int sig, siginfo_t *si, void *u) { (void) sig; }
        int main(void) {
                struct sigaction ign, usr = { .sa_handler = on_usr }, chld = { .sa_sigaction = on_chld }, none = { 0 };
                ign.sa_handler = SIG_IGN;
                sigaction(SIGPIPE, &ign, NULL);
                sigaction(SIGUSR1, &usr, NULL);
                sigaction(SIGCHLD, &chld, NULL);
                sigaction(SIGUSR2, &(struct sigaction) { .sa_handler = SIG_IGN }, NULL);
                sigaction(SIGWINCH, &none, NULL);
                sigaction(SIGHUP, NULL, &ign);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGPIPE") == ("ignored", None)
    assert state(rows, "SIGUSR1") == ("handler", "on_usr")
    assert state(rows, "SIGCHLD") == ("handler", "on_chld")
    assert state(rows, "SIGUSR2") == ("ignored", None)
    assert state(rows, "SIGWINCH") == ("default", None)
    assert state(rows, "SIGHUP") == ("default", None)  # a NULL action only reads the old one


def test_the_last_assignment_before_the_call_is_the_handler(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_a(int sig) { (void) sig; }
        static void on_b(int sig) { (void) sig; }
        int main(void) {
                struct sigaction sa;
                sa.sa_handler = on_a;
                sigaction(SIGUSR1, &sa, NULL);
                sa.sa_handler = on_b;
                sigaction(SIGUSR2, &sa, NULL);
                sa.sa_handler = SIG_IGN;
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGUSR1") == ("handler", "on_a")
    assert state(rows, "SIGUSR2") == ("handler", "on_b")


def test_a_loop_over_every_signal_resets_them_all(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_term(int sig) { (void) sig; }
        int main(void) {
                int sig;
                for (sig = 1; sig < _NSIG; sig++)
                        signal(sig, SIG_IGN);
                signal(SIGTERM, on_term);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGHUP") == ("ignored", None)
    assert state(rows, "SIGSYS") == ("ignored", None)
    assert state(rows, "SIGTERM") == ("handler", "on_term")
    assert state(rows, "SIGKILL") == ("default", None)


def test_signals_from_an_array_and_real_time_rows(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        int main(void) {
                static const int quiet[] = { SIGTTIN, SIGTTOU, SIGRTMIN+3, SIGRTMAX-1 };
                unsigned i;
                for (i = 0; i < 4; i++)
                        signal(quiet[i], SIG_IGN);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGTTIN") == ("ignored", None)
    assert state(rows, "SIGTTOU") == ("ignored", None)
    assert state(rows, "SIGRTMIN+3") == ("ignored", None)
    assert state(rows, "SIGRTMIN+29") == ("ignored", None)  # SIGRTMAX-1: RTMAX is RTMIN+30
    assert state(rows, "SIGTSTP") == ("default", None)
    assert [name for name in rows if name.startswith("SIGRTMIN")] == ["SIGRTMIN+3", "SIGRTMIN+29"]


def test_helpers_expand_their_lists(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_crash(int sig) { (void) sig; }
        int main(void) {
                struct sigaction sa = { .sa_handler = on_crash };
                sigset_t mask;
                reset_all_signal_handlers();
                sigaction_many(&sa, SIGSEGV, SIGABRT, -1);
                ignore_signals(SIGPIPE, -1);
                sigemptyset(&mask);
                sigset_add_many(&mask, SIGTERM, SIGINT, -1);
                sigprocmask(SIG_BLOCK, &mask, NULL);
                sigprocmask_many(SIG_BLOCK, NULL, SIGUSR1, -1);
                sigprocmask_many(SIG_UNBLOCK, NULL, SIGUSR1, SIGINT, -1);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGSEGV") == ("handler", "on_crash")
    assert state(rows, "SIGABRT") == ("handler", "on_crash")
    assert rows["SIGSEGV"].note == "after reset_all"
    assert state(rows, "SIGPIPE") == ("ignored", None)
    assert rows["SIGTERM"].disposition == "blocked"
    assert rows["SIGINT"].disposition == "default"
    assert rows["SIGUSR1"].disposition == "default"
    assert (rows["SIGHUP"].disposition, rows["SIGHUP"].via) == ("default", "reset_all")


def test_a_mask_built_elsewhere_is_set_aside_and_a_null_mask_only_reads(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void block(const sigset_t *set) {
                sigprocmask(SIG_BLOCK, set, NULL);
        }
        int main(void) {
                sigset_t s, old;
                sigemptyset(&s);
                sigaddset(&s, SIGTERM);
                sigprocmask(SIG_SETMASK, NULL, &old);
                pthread_sigmask(SIG_BLOCK, 0, &old);
                block(&s);
                sigprocmask(SIG_BLOCK, &s, NULL);
                for (;;) pause();
        }
        """,
    )
    assert rows["SIGTERM"].disposition == "blocked"
    assert (rows["SIGTERM"].function, rows["SIGTERM"].location.line) == ("main", 13)  # type: ignore[union-attr]
    # block() gets its set from its caller: set aside, with why; a NULL or 0 set only reads the mask
    assert skipped(extract_init(DirectorySource(tmp_path), "init")) == ["init.c:4 block: mask set not built in block"]


FILLED_AND_DISPATCHED = """\
int main(void) {
        sigset_t mask;
        struct signalfd_siginfo si;
        int fd;
        %s
        sigprocmask(SIG_BLOCK, &mask, NULL);
        fd = signalfd(-1, &mask, SFD_CLOEXEC);
        for (;;) {
                read(fd, &si, sizeof si);
                switch (si.ssi_signo - SIGRTMIN) {
                case 5:
                        halt();
                        break;
                }
        }
}
"""


def test_a_filled_mask_blocks_the_real_time_rows_a_dispatch_names(tmp_path: Path) -> None:
    # the SIGRTMIN+5 row only exists once the switch is read, after the mask: still blocked
    filled = table(tmp_path / "filled", FILLED_AND_DISPATCHED % "sigfillset(&mask);")
    assert (filled["SIGRTMIN+5"].disposition, filled["SIGRTMIN+5"].via) == ("blocked", "sigprocmask+signalfd")
    assert filled["SIGTERM"].disposition == "blocked"
    # a mask of SIGTERM alone leaves the real-time row at its default
    one = table(tmp_path / "one", FILLED_AND_DISPATCHED % "sigemptyset(&mask);\n        sigaddset(&mask, SIGTERM);")
    assert one["SIGRTMIN+5"].disposition == "default"
    assert one["SIGTERM"].disposition == "blocked"


def test_a_restore_puts_back_only_the_saved_change(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_int(int sig) { (void) sig; }
        static void on_term(int sig) { (void) sig; }
        static void setup(void) {
                struct sigaction sa = { .sa_handler = on_int }, term = { .sa_handler = on_term }, old;
                sigaction(SIGTERM, &term, NULL);
                sigaction(SIGINT, &sa, &old);
                read_answer();
                sigaction(SIGINT, &old, NULL);
        }
        int main(void) {
                setup();
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGINT") == ("default", None)
    assert state(rows, "SIGTERM") == ("handler", "on_term")  # same function, never saved: kept


def test_sigaction_rows_say_how_and_what_was_not_resolved(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_usr(int sig) { (void) sig; }
        int main(void) {
                struct sigaction usr = { .sa_handler = on_usr }, none = { 0 }, old;
                const struct sigaction *p = &usr;
                sigaction(SIGUSR1, &usr, NULL);
                sigaction(SIGWINCH, &none, NULL);
                sigaction(SIGUSR2, p, NULL);
                sigaction(SIGHUP, 0, &old);
                sigaction(SIGPIPE, &sigaction_ignore, NULL);
                for (;;) pause();
        }
        """,
        {"shared/util.c": HEAD + "const struct sigaction sigaction_ignore = { .sa_handler = SIG_IGN };\n"},
    )
    assert (rows["SIGUSR1"].disposition, rows["SIGUSR1"].handler, rows["SIGUSR1"].via) == (
        "handler",
        "on_usr",
        "sigaction",
    )
    assert (rows["SIGWINCH"].disposition, rows["SIGWINCH"].note) == (
        "default",
        "struct sigaction without a handler field (zero: SIG_DFL)",
    )
    # a pointer to a struct: the handler is not followed, and the row says so
    assert (rows["SIGUSR2"].disposition, rows["SIGUSR2"].handler, rows["SIGUSR2"].note) == (
        "handler",
        None,
        "struct sigaction not resolved: p",
    )
    assert state(rows, "SIGHUP") == ("default", None)  # a 0 action only reads the old one
    assert state(rows, "SIGPIPE") == ("ignored", None)  # a struct defined in another file


def test_handler_expressions_in_parentheses_and_not_a_name(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void on_usr(int sig) { (void) sig; }
        static void (*handlers[2])(int) = { on_usr, on_usr };
        int main(void) {
                signal(SIGPIPE, (SIG_IGN));
                signal(SIGUSR1, ( on_usr ));
                signal(SIGUSR2, handlers[1]);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGPIPE") == ("ignored", None)
    assert state(rows, "SIGUSR1") == ("handler", "on_usr")
    assert state(rows, "SIGUSR2") == ("handler", None)  # installed, but no function name to show


def test_only_a_variable_the_loop_steps_through_means_every_signal(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void quiet(int sig) {
                int i;
                for (i = 0; i < 3; i++)
                        signal(sig, SIG_IGN);
        }
        static void plain(int sig) {
                signal(sig, SIG_DFL);
        }
        int main(void) {
                int a, b;
                for (; a < _NSIG; a++)
                        signal(a, SIG_IGN);
                for (b = 1; ; b++) {
                        if (b >= _NSIG)
                                break;
                        signal(b, SIG_IGN);
                }
                signal(SIGNAL_NOWHERE, SIG_DFL);
                quiet(SIGHUP);
                plain(SIGHUP);
                for (;;) pause();
        }
        """,
    )
    # a loop with only a condition, and one with only an initializer, both step through every signal
    assert (rows["SIGHUP"].disposition, rows["SIGHUP"].location.line) == ("ignored", 18)  # type: ignore[union-attr]
    assert rows["SIGHUP"].note == "loop over every signal"
    assert state(rows, "SIGSYS") == ("ignored", None)
    # a parameter that no loop steps through, and a macro nothing defines, are set aside
    assert skipped(extract_init(DirectorySource(tmp_path), "init")) == [
        "init.c:6 quiet: signal not resolved: sig",
        "init.c:9 plain: signal not resolved: sig",
        "init.c:20 main: signal not resolved: SIGNAL_NOWHERE",
    ]


def test_the_array_named_in_the_call_is_the_one_read(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void other(void) {
                static const int quiet[] = { SIGWINCH };
                (void) quiet;
        }
        int main(void) {
                static const int loud[] = { SIGHUP };
                static const int quiet[] = { SIGTTIN, /* job control */ SIGTTOU };
                static const int odd[] = { SIGNAL_NOWHERE };
                unsigned i;
                for (i = 0; i < 2; i++)
                        signal(quiet[i], SIG_IGN);
                signal(odd[0], SIG_IGN);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGTTIN") == ("ignored", None)
    assert state(rows, "SIGTTOU") == ("ignored", None)
    assert state(rows, "SIGHUP") == ("default", None)  # another array of main
    assert state(rows, "SIGWINCH") == ("default", None)  # the same name in another function
    assert skipped(extract_init(DirectorySource(tmp_path), "init")) == [
        "init.c:14 main: signal not resolved: SIGNAL_NOWHERE"
    ]


def test_set_operations_on_a_pointer_a_set_never_emptied_and_a_set_emptied_again(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        int main(void) {
                sigset_t s, *p = &s, t, u;
                sigemptyset(p);
                sigaddset(p, SIGUSR1);
                sigprocmask(SIG_BLOCK, p, NULL);
                sigaddset(&t, SIGINT);
                sigprocmask(SIG_BLOCK, &t, NULL);
                sigfillset(&u);
                sigemptyset(&u);
                sigaddset(&u, SIGTERM);
                sigprocmask(SIG_BLOCK, &u, NULL);
                for (;;) pause();
        }
        """,
    )
    assert rows["SIGUSR1"].disposition == "blocked"  # the set through its pointer
    assert rows["SIGINT"].disposition == "blocked"  # added to without sigemptyset first: only SIGINT
    assert rows["SIGTERM"].disposition == "blocked"
    assert rows["SIGHUP"].disposition == "default"  # filled, then emptied again
    assert rows["SIGQUIT"].disposition == "default"


SIGWAIT_LOOP = """\
static void reload(void) {}
int main(void) {
        sigset_t set;
        int sig, fd;
        sigemptyset(&set);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        %s
}
"""


def test_sigwait_stores_the_signal_in_its_second_argument_and_signalfd_in_none(tmp_path: Path) -> None:
    waited = table(
        tmp_path / "sigwait",
        SIGWAIT_LOOP % "for (;;) {\n\t\tsigwait(&set, &sig);\n\t\tif (sig == SIGHUP)\n\t\t\treload();\n\t}",
    )
    assert (waited["SIGHUP"].disposition, waited["SIGHUP"].handler, waited["SIGHUP"].via) == (
        "blocked",
        "main",
        "sigprocmask+sigwait",
    )
    assert waited["SIGHUP"].dispatch == "if (SIGHUP): reload()"
    assert waited["SIGTERM"].dispatch is None
    # signalfd's second argument is the mask, not a received signal: no dispatch through it
    fd = table(tmp_path / "signalfd", SIGWAIT_LOOP % "fd = signalfd(-1, &set, 0);\n\twatch(fd, &set);")
    assert (fd["SIGHUP"].disposition, fd["SIGHUP"].dispatch) == ("blocked", None)


def test_busybox_helpers_unblock_all_bits_and_sigaction_set(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static void record_signo(int signo) { (void) signo; }
        static void on_quit(int signo) { (void) signo; }
        int main(void) {
                struct sigaction sa;
                sigset_t s;
                sigemptyset(&s);
                sigaddset(&s, SIGHUP);
                sigprocmask(SIG_BLOCK, &s, NULL);
                sigprocmask_allsigs(SIG_UNBLOCK);
                bb_signals((1 << SIGUSR1) + (1 << SIGTERM), record_signo);
                memset(&sa, 0, sizeof(sa));
                sa.sa_handler = on_quit;
                sigaction_set(SIGQUIT, &sa);
                for (;;) pause();
        }
        """,
    )
    assert rows["SIGHUP"].disposition == "default"  # blocked, then every signal unblocked
    assert (rows["SIGUSR1"].disposition, rows["SIGUSR1"].handler, rows["SIGUSR1"].via) == (
        "handler",
        "record_signo",
        "bb_signals",
    )
    assert state(rows, "SIGTERM") == ("handler", "record_signo")
    assert (rows["SIGQUIT"].disposition, rows["SIGQUIT"].handler, rows["SIGQUIT"].via) == (
        "handler",
        "on_quit",
        "sigaction_set",
    )
    assert rows["SIGQUIT"].location.line == 15  # type: ignore[union-attr]
    assert skipped(extract_init(DirectorySource(tmp_path), "init")) == []


def test_list_helpers_name_the_macro_of_the_call_keep_notes_and_saved_masks(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        #define SIGNALS_EXTRA SIGBUS
        #define SIGNALS_CRASH_HANDLER SIGSEGV, SIGNALS_EXTRA
        static void on_crash(int sig) { (void) sig; }
        int main(void) {
                struct sigaction sa = { .sa_handler = on_crash };
                const struct sigaction *p = &sa;
                sigset_t old, more;
                sigaction_many(&sa, SIGNALS_CRASH_HANDLER, -1);
                sigaction_many(p, SIGALRM, -1);
                ignore_signals(SIGPIPE, -1);
                sigset_add_many(&more, SIGURG, -1);
                sigprocmask(SIG_BLOCK, &more, NULL);
                sigprocmask_many(SIG_BLOCK, &old, SIGCHLD, -1);
                run_child();
                sigprocmask(SIG_SETMASK, &old, NULL);
                sigprocmask_many(SIG_BLOCK, NULL, SIGWINCH, -1);
                ignore_signals(SIGNALS_NOWHERE, -1);
                for (;;) pause();
        }
        """,
    )
    for name in ("SIGSEGV", "SIGBUS"):
        assert (rows[name].disposition, rows[name].handler, rows[name].via) == (
            "handler",
            "on_crash",
            "sigaction_many(SIGNALS_CRASH_HANDLER)",
        )
    # a pointer to a struct (a helper takes it as is): installed, handler not followed, the row says so
    assert (rows["SIGALRM"].disposition, rows["SIGALRM"].handler, rows["SIGALRM"].note) == (
        "handler",
        None,
        "struct sigaction p not resolved",
    )
    assert (rows["SIGPIPE"].disposition, rows["SIGPIPE"].via) == ("ignored", "ignore_signals")
    assert rows["SIGURG"].disposition == "blocked"  # a set added to without sigemptyset first
    assert rows["SIGCHLD"].disposition == "default"  # blocked into &old, then restored from it
    assert rows["SIGWINCH"].disposition == "blocked"
    assert sorted(skipped(extract_init(DirectorySource(tmp_path), "init"))) == [
        "init.c:15 main: temporary: restored from old at line 17 (SIGCHLD)",
        "init.c:19 main: signal not resolved: SIGNALS_NOWHERE",
    ]


def test_the_struct_of_this_function_and_a_struct_declared_without_value(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        extern struct sigaction missing;
        static void on_term(int sig) { (void) sig; }
        static void on_usr(int sig) { (void) sig; }
        static void quiet(void) {
                struct sigaction sa = { .sa_handler = SIG_IGN };
                sigaction(SIGPIPE, &sa, NULL);
        }
        int main(void) {
                struct sigaction old = { 0 }, sa = { .sa_handler = on_term };
                struct sigaction usr = { /* the only field set */ .sa_handler = on_usr };
                quiet();
                sigaction(SIGTERM, &sa, &old);
                sigaction(SIGUSR1, &usr, NULL);
                sigaction(SIGUSR2, &missing, NULL);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGPIPE") == ("ignored", None)
    assert state(rows, "SIGTERM") == ("handler", "on_term")  # main's sa, not quiet()'s
    assert state(rows, "SIGUSR1") == ("handler", "on_usr")  # a comment before the field
    assert (rows["SIGUSR2"].disposition, rows["SIGUSR2"].handler, rows["SIGUSR2"].note) == (
        "handler",
        None,
        "struct sigaction missing not resolved",
    )


def test_a_reader_in_a_forked_child_dispatches_nothing_for_pid_1(tmp_path: Path) -> None:
    code = """\
        static void reload(void) {}
        int main(void) {
                sigset_t set;
                int sig;
                pid_t pid;
                sigemptyset(&set);
                sigaddset(&set, SIGHUP);
                sigprocmask(SIG_BLOCK, &set, NULL);
                %s
                if (pid == 0) {
                        sigwait(&set, &sig);
                        if (sig == SIGHUP)
                                reload();
                        _exit(0);
                }
                for (;;) pause();
        }
        """
    for name, fork in (("fork", "pid = fork();"), ("spawn", 'spawn_fork("helper", &pid);')):
        rows = table(tmp_path / name, code % fork)
        assert (rows["SIGHUP"].disposition, rows["SIGHUP"].via, rows["SIGHUP"].dispatch) == (
            "blocked",
            "sigprocmask",
            None,
        ), name


def test_a_fork_after_the_zero_test_does_not_make_it_a_child(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        static int setup(void) { return 0; }
        int main(void) {
                int r;
                r = setup();
                if (r == 0)
                        signal(SIGINT, SIG_IGN);
                r = fork();
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGINT") == ("ignored", None)


def test_helper_words_unblock_all_several_macros_and_a_struct_elsewhere(tmp_path: Path) -> None:
    rows = table(
        tmp_path,
        """\
        #define SIGNALS_A SIGSEGV
        #define SIGNALS_B SIGBUS
        static void on_crash(int sig) { (void) sig; }
        int main(void) {
                struct sigaction sa = { .sa_handler = on_crash };
                sigset_t s;
                sigemptyset(&s);
                sigaddset(&s, SIGHUP);
                sigprocmask(SIG_BLOCK, &s, NULL);
                reset_signal_mask();
                sigaction_many(&sa, SIGNALS_A, SIGNALS_B, -1);
                sigaction_set(SIGPIPE, &sigaction_ignore);
                sigprocmask_many(SIG_BLOCK, NULL, SIGWINCH, -1);
                for (;;) pause();
        }
        """,
        {"shared/util.c": HEAD + "const struct sigaction sigaction_ignore = { .sa_handler = SIG_IGN };\n"},
    )
    assert rows["SIGHUP"].disposition == "default"  # blocked, then the whole mask reset
    assert rows["SIGSEGV"].via == "sigaction_many(SIGNALS_A, SIGNALS_B)"
    assert (rows["SIGPIPE"].disposition, rows["SIGPIPE"].via) == ("ignored", "sigaction_set")
    assert (rows["SIGWINCH"].disposition, rows["SIGWINCH"].via) == ("blocked", "sigprocmask_many")


def test_a_reader_ten_calls_below_the_first_callee_of_main_still_counts(tmp_path: Path) -> None:
    # the call chain from main() is followed at most _MAX_CHAIN (10) levels past main's callee
    calls = "".join(f"static void f{i}(void) {{ f{i + 1}(); }}\n" for i in range(10, 0, -1))
    rows = table(
        tmp_path,
        "static void reload(void) {}\n"
        "static void f11(void) {\n"
        "        sigset_t set;\n"
        "        int sig;\n"
        "        sigemptyset(&set);\n"
        "        sigaddset(&set, SIGHUP);\n"
        "        sigwait(&set, &sig);\n"
        "        if (sig == SIGHUP)\n"
        "                reload();\n"
        "}\n" + calls + "int main(void) {\n"
        "        sigset_t set;\n"
        "        sigemptyset(&set);\n"
        "        sigaddset(&set, SIGHUP);\n"
        "        sigprocmask(SIG_BLOCK, &set, NULL);\n"
        "        for (;;) f1();\n"
        "}\n",
    )
    assert (rows["SIGHUP"].disposition, rows["SIGHUP"].handler, rows["SIGHUP"].dispatch) == (
        "blocked",
        "f11",
        "if (SIGHUP): reload()",
    )


def test_busybox_blocks_every_signal_with_its_helper_and_leaves_a_variable_how_to_the_caller(tmp_path: Path) -> None:
    """sigprocmask_allsigs(how): SIG_BLOCK and SIG_SETMASK block every signal (each row says
    so, at the call, through the helper); a `how` passed in is no constant: set aside, named."""
    code = """\
        static void all(int how) { sigprocmask_allsigs(how); }
        int main(void) {
                sigprocmask_allsigs(%s);
                all(SIG_UNBLOCK);
                for (;;) pause();
        }
        """
    for how in ("SIG_BLOCK", "SIG_SETMASK"):
        rows = table(tmp_path / how, code % how)
        for name in ("SIGHUP", "SIGTERM", "SIGCHLD", "SIGUSR1"):
            row = rows[name]
            assert (row.disposition, row.via, row.function) == ("blocked", "sigprocmask_allsigs", "main"), (how, name)
            at = HEAD.count("\n") + 3  # the call in main, below the includes every test file starts with
            assert row.location is not None and (row.location.path, row.location.line) == ("init.c", at)
        notes = skipped(extract_init(DirectorySource(tmp_path / how), "init"))
        line = HEAD.count("\n") + 1
        assert notes == [f"init.c:{line} all: sigprocmask_allsigs(how): how is no constant, each caller decides"]
    unblocked = table(tmp_path / "unblock", code % "SIG_UNBLOCK")
    assert unblocked["SIGTERM"].disposition == "default"  # every signal unblocked: nothing blocked stays


def test_a_raw_sigprocmask_with_a_how_passed_in_is_set_aside_where_it_is(tmp_path: Path) -> None:
    """The how of sigprocmask() in a function that takes it is each caller's: set aside, named by file,
    line and function; a handler whose name ends in X (after a cast) is that function, whole."""
    rows = table(
        tmp_path,
        """\
        static void handleX(int sig) { (void) sig; }
        static void raw(int how) { sigset_t s; sigemptyset(&s); sigprocmask(how, &s, NULL); }
        int main(void) {
                signal(SIGHUP, (sighandler_t) handleX);
                raw(SIG_BLOCK);
                for (;;) pause();
        }
        """,
    )
    assert state(rows, "SIGHUP") == ("handler", "handleX")
    line = HEAD.count("\n") + 2
    assert skipped(extract_init(DirectorySource(tmp_path), "init")) == [
        f"init.c:{line} raw: sigprocmask(how, ...): how is no constant, each caller decides"
    ]
