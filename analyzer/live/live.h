/* What the three parts of the live helper share: a case, init's message to its driver, the entry points. */
#ifndef SIGANALYZE_LIVE_H
#define SIGANALYZE_LIVE_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum sender { SAME_NS, ANCESTOR_NS, SELF, FAULT };
enum disposition { DEFAULT, IGNORED, HANDLER, BLOCKED };
extern const char *const SENDERS[4];
extern const char *const DISPOSITIONS[4];

struct job {
    int index;
    enum sender sender;
    enum disposition disposition;
    int signo;
};

/* What init tells its driver, in one write() (well under PIPE_BUF, so never split). */
#define MAX_RUNS 4
struct handler_run {
    int32_t signo, code, pid;
    uint64_t addr;
};
struct message {
    char kind;           /* 'R' ready, 'E' setup failed, 'A' answer */
    int32_t setup_errno; /* for 'E' */
    char setup_step[24];
    int32_t runs; /* handler runs, of which the first MAX_RUNS are recorded */
    struct handler_run run[MAX_RUNS];
    uint64_t pending;      /* rt_sigpending() after the case: bit n-1 is signal n */
    int32_t acted;         /* self/fault: the action ran (and returned, or the handler jumped back) */
    int64_t action_return; /* self: write()'s return */
    int32_t action_errno;
    int32_t faulted; /* fault: came back through the handler, not past the instruction */
};

_Noreturn void be_init(const struct job *job, int cmd, int rep); /* init.c */
_Noreturn void drive(const struct job *job, int timeout_ms, pid_t runner); /* driver.c */
void emit(const char *line);                                       /* driver.c */

#endif
