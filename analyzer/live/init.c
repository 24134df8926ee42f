/* The init of one case: PID 1 of a fresh PID namespace. It sets its disposition of the case's signal,
 * says it is ready, and on 'Q' acts (self, fault) and reports its handler runs and pending set. */
#include "live.h"

static volatile sig_atomic_t runs;
static struct handler_run run_log[MAX_RUNS];
static sigjmp_buf after_fault;
static volatile sig_atomic_t jump_after_fault;

static void on_signal(int signo, siginfo_t *info, void *context) {
    (void)signo;
    (void)context;
    if (runs < MAX_RUNS) {
        run_log[runs].signo = info->si_signo;
        run_log[runs].code = info->si_code;
        run_log[runs].pid = info->si_pid;
        run_log[runs].addr = (uint64_t)(uintptr_t)info->si_addr;
    }
    runs = runs + 1;
    /* Returning would run the faulting instruction again. */
    if (jump_after_fault) {
        jump_after_fault = 0;
        siglongjmp(after_fault, 1);
    }
}

struct trigger {
    int pipe_w;              /* SIGPIPE: write end of a pipe whose read end is closed */
    int file;                /* SIGXFSZ: a memfd written past RLIMIT_FSIZE */
    volatile char *past_end; /* SIGBUS: a mapped page beyond the end of its file */
    volatile int *unmapped;  /* SIGSEGV: an address nothing maps (below mmap_min_addr) */
};

static void say(int fd, struct message *m) {
    ssize_t n;
    do {
        n = write(fd, m, sizeof *m);
    } while (n < 0 && errno == EINTR);
}

static void setup_failed(int rep, const char *step) {
    struct message m = {.kind = 'E', .setup_errno = errno};
    strncpy(m.setup_step, step, sizeof m.setup_step - 1);
    say(rep, &m);
    _exit(3);
}

static int prepare_trigger(const struct job *job, struct trigger *t) {
    long page = sysconf(_SC_PAGESIZE);
    int fds[2];
    if (job->sender != SELF && job->sender != FAULT)
        return 0; /* a kill() case: nothing for init to do but wait */
    switch (job->signo) {
    case SIGPIPE:
        if (pipe(fds) < 0)
            return -1;
        close(fds[0]);
        t->pipe_w = fds[1];
        return 0;
    case SIGXFSZ:
        t->file = (int)syscall(SYS_memfd_create, "siganalyze-xfsz", 0);
        return t->file < 0 ? -1 : 0;
    case SIGBUS: {
        int fd = (int)syscall(SYS_memfd_create, "siganalyze-bus", 0);
        if (fd < 0 || ftruncate(fd, page) < 0)
            return -1;
        char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
            return -1;
        t->past_end = map + page; /* the file holds one page; the second is past its end */
        return 0;
    }
    case SIGSEGV:
        t->unmapped = (volatile int *)(uintptr_t)16;
        return 0;
    }
    return 0;
}

static void take_fault(int signo, const struct trigger *t) {
    switch (signo) {
    case SIGSEGV:
        *t->unmapped = 1;
        break;
    case SIGBUS:
        (void)*t->past_end;
        break;
#if defined(__x86_64__) || defined(__i386__)
    case SIGILL:
        __asm__ volatile("ud2");
        break;
    case SIGFPE:
        /* integer division by zero in asm: the compiler may neither fold nor drop it */
        __asm__ volatile("xorl %%ecx, %%ecx\n\tmovl $1, %%eax\n\tcltd\n\tidivl %%ecx" ::: "eax", "ecx", "edx", "cc");
        break;
    case SIGTRAP:
        __asm__ volatile("int3");
        break;
#endif
    }
}

static void act(const struct job *job, const struct trigger *t, struct message *m) {
    if (job->sender == SELF) {
        struct rlimit none = {0, RLIM_INFINITY};
        int fd = job->signo == SIGPIPE ? t->pipe_w : t->file;
        if (job->signo == SIGXFSZ && setrlimit(RLIMIT_FSIZE, &none) < 0)
            return;
        m->acted = 1;
        m->action_return = write(fd, "x", 1);
        m->action_errno = m->action_return < 0 ? errno : 0;
    } else if (job->sender == FAULT) {
        m->acted = 1;
        if (sigsetjmp(after_fault, 1) == 0) {
            jump_after_fault = job->disposition == HANDLER;
            take_fault(job->signo, t);
            jump_after_fault = 0; /* no fault: the instruction completed */
        } else {
            m->faulted = 1;
        }
    }
}

static void answer(int rep, const struct job *job, const struct trigger *t) {
    struct message m = {.kind = 'A'};
    act(job, t, &m);
    m.runs = runs;
    memcpy(m.run, run_log, sizeof m.run);
    syscall(SYS_rt_sigpending, &m.pending, sizeof m.pending);
    say(rep, &m);
}

_Noreturn void be_init(const struct job *job, int cmd, int rep) {
    struct trigger t = {.pipe_w = -1, .file = -1};
    struct rlimit no_core = {0, 0};
    struct sigaction sa;
    sigset_t set;
    char c;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* No core file in anyone's directory, whatever core_pattern says (RLIMIT_CORE alone does not stop a pipe). */
    prctl(PR_SET_DUMPABLE, 0);
    setrlimit(RLIMIT_CORE, &no_core);
    /* Start from nothing inherited: every signal default and unblocked. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < 65; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL); /* glibc refuses 32 and 33, its own: fine */
    sigemptyset(&set);
    if (sigprocmask(SIG_SETMASK, &set, NULL) < 0)
        setup_failed(rep, "sigprocmask(SETMASK)");
    if (prepare_trigger(job, &t) < 0)
        setup_failed(rep, "trigger setup");

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    switch (job->disposition) {
    case DEFAULT:
        break;
    case IGNORED:
        sa.sa_handler = SIG_IGN;
        if (sigaction(job->signo, &sa, NULL) < 0)
            setup_failed(rep, "sigaction(SIG_IGN)");
        break;
    case HANDLER:
        sa.sa_sigaction = on_signal;
        sa.sa_flags = SA_SIGINFO; /* no SA_RESETHAND: the handler stays; no SA_RESTART: read() returns EINTR */
        if (sigaction(job->signo, &sa, NULL) < 0)
            setup_failed(rep, "sigaction(handler)");
        break;
    case BLOCKED:
        sigaddset(&set, job->signo);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
            setup_failed(rep, "sigprocmask(BLOCK)");
        break;
    }
    struct message ready = {.kind = 'R'};
    say(rep, &ready);
    /* 'Q': act (self, fault) and answer. A signal queued before 'Q' arrives is delivered (handler run,
     * stop, death) before read() returns to user space, so the answer comes after it. EOF: done. */
    for (;;) {
        ssize_t n = read(cmd, &c, 1);
        if (n == 1 && c == 'Q')
            answer(rep, job, &t);
        else if (n == 0 || (n < 0 && errno != EINTR))
            _exit(0);
    }
}
