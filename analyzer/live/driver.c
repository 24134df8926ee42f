/* The driver of one case, in the host's namespace: it unshares, forks the init, sends (from the host or
 * from a sender inside), asks init to report, and writes the case's JSON line. */
#include "live.h"

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void emit(const char *line) {
    size_t len = strlen(line), done = 0;
    while (done < len) {
        ssize_t n = write(1, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(4);
        done += (size_t)n;
    }
}

static _Noreturn void fail(const struct job *job, const char *what, int err) {
    char line[256];
    snprintf(line, sizeof line, "{\"index\":%d,\"error\":\"%s\",\"errno\":%d}\n", job->index, what, err);
    emit(line);
    _exit(0);
}

struct driver {
    pid_t init;
    int rep, sfd;
    int rep_eof, reaped;
    int status, stop_status, stopped;
    int64_t deadline;
};

enum event { MESSAGE, STOPPED, ENDED, TIMED_OUT };

/* Wait for init's next message, its stop or its end, whichever comes first, until the deadline.
 * SIGCHLD is blocked and read through a signalfd, so a stop or death wakes poll() at once; the
 * 100 ms slices only guard against a notification missed between waitpid() and poll(). */
static enum event await_init(struct driver *d, struct message *m) {
    for (;;) {
        int st;
        if (waitpid(d->init, &st, WNOHANG | WUNTRACED) == d->init) {
            if (WIFSTOPPED(st)) {
                d->stop_status = st;
                d->stopped = 1;
                return STOPPED;
            }
            d->status = st;
            d->reaped = 1;
            return ENDED;
        }
        int64_t left = d->deadline - now_us();
        if (left <= 0)
            return TIMED_OUT;
        struct pollfd p[2] = {{.fd = d->sfd, .events = POLLIN}, {.fd = d->rep_eof ? -1 : d->rep, .events = POLLIN}};
        int slice = left > 100000 ? 100 : (int)(left / 1000) + 1;
        if (poll(p, 2, slice) < 0 && errno != EINTR)
            return TIMED_OUT;
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(d->sfd, &info, sizeof info) > 0) {
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(d->rep, m, sizeof *m);
            if (n == (ssize_t)sizeof *m)
                return MESSAGE;
            if (n == 0)
                d->rep_eof = 1; /* init is going; its SIGCHLD follows */
        }
    }
}

/* Kill init from here (the ancestor namespace: forced, so SIGKILL always works) and reap it. */
static void finish_off(struct driver *d) {
    struct message ignored;
    kill(d->init, SIGKILL);
    d->deadline = now_us() + 5000000;
    while (!d->reaped && await_init(d, &ignored) != TIMED_OUT) {
    }
    if (!d->reaped && waitpid(d->init, &d->status, 0) == d->init) /* SIGKILL is on its way: do not leave a zombie */
        d->reaped = 1;
}

struct sent {
    int done, ret, err, pid_in_ns;
};

/* The same-ns sender: PID 2 of the namespace, a child of the driver (outside it). */
static struct sent send_from_inside(const struct job *job, struct driver *d, int devnull, int cmd_w) {
    struct sent s = {0};
    int res[2];
    if (pipe(res) < 0)
        return s;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        close(d->sfd);
        close(d->rep);
        close(cmd_w);
        close(res[0]);
        struct sent r = {.done = 1, .pid_in_ns = getpid()};
        r.ret = kill(1, job->signo);
        r.err = r.ret < 0 ? errno : 0;
        if (write(res[1], &r, sizeof r) < 0)
            _exit(1);
        _exit(0);
    }
    close(res[1]);
    if (pid < 0) {
        close(res[0]);
        return s;
    }
    struct pollfd p = {.fd = res[0], .events = POLLIN};
    int64_t left = d->deadline - now_us();
    if (left > 0 && poll(&p, 1, (int)(left / 1000) + 1) == 1 && read(res[0], &s, sizeof s) != (ssize_t)sizeof s)
        s.done = 0;
    close(res[0]);
    kill(pid, SIGKILL); /* it has answered (or is stuck): either way it is done */
    waitpid(pid, NULL, 0);
    return s;
}

_Noreturn void drive(const struct job *job, int timeout_ms, pid_t runner) {
    int64_t t0 = now_us();
    struct driver d = {.deadline = t0 + (int64_t)timeout_ms * 1000, .status = -1, .stop_status = -1};
    struct sent s = {0};
    struct message ready, m = {0};
    int cmd[2], rep[2], answered = 0, timed_out = 0;
    int64_t t_ready = -1, t_sent = -1, t_observed = -1;
    sigset_t chld;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != runner)
        _exit(5);
    alarm((unsigned)(timeout_ms / 1000) + 7); /* last resort if a wait below misbehaves (finish_off takes <= 5 s) */
    signal(SIGPIPE, SIG_IGN);                 /* 'Q' to an init already killed: EPIPE, not death */
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    d.sfd = signalfd(-1, &chld, SFD_NONBLOCK);
    if (devnull < 0 || d.sfd < 0 || pipe(cmd) < 0 || pipe(rep) < 0)
        fail(job, "driver setup", errno);
    if (unshare(CLONE_NEWPID) < 0)
        fail(job, "unshare(CLONE_NEWPID)", errno);
    d.init = fork();
    if (d.init < 0)
        fail(job, "fork(init)", errno);
    if (d.init == 0) {
        dup2(devnull, 1);
        dup2(devnull, 2);
        close(devnull);
        close(d.sfd);
        close(cmd[1]);
        close(rep[0]);
        be_init(job, cmd[0], rep[1]);
    }
    close(cmd[0]);
    close(rep[1]);
    d.rep = rep[0];

    enum event e = await_init(&d, &ready);
    if (e != MESSAGE || ready.kind != 'R') {
        if (e == MESSAGE && ready.kind == 'E') {
            char what[64];
            finish_off(&d);
            snprintf(what, sizeof what, "init setup: %s", ready.setup_step);
            fail(job, what, ready.setup_errno);
        }
        finish_off(&d);
        fail(job, e == TIMED_OUT ? "init never became ready" : "init ended before it was ready", 0);
    }
    t_ready = now_us();
    if (job->sender == ANCESTOR_NS) {
        s.done = 1;
        s.ret = kill(d.init, job->signo);
        s.err = s.ret < 0 ? errno : 0;
    } else if (job->sender == SAME_NS) {
        s = send_from_inside(job, &d, devnull, cmd[1]);
        if (!s.done) {
            finish_off(&d);
            fail(job, "the same-ns sender did not report", 0);
        }
    }
    t_sent = now_us();
    /* kill() has queued (or dropped) the signal by now: ask init what it saw. */
    if (write(cmd[1], "Q", 1) < 0 && errno != EPIPE) {
        int err = errno;
        finish_off(&d);
        fail(job, "write to init", err);
    }
    e = await_init(&d, &m);
    t_observed = now_us();
    if (e == MESSAGE && m.kind == 'A') {
        answered = 1;
        close(cmd[1]); /* init reads EOF and exits 0 */
        while (!d.reaped && (e = await_init(&d, &ready)) != TIMED_OUT && e != STOPPED) {
        }
    } else {
        close(cmd[1]);
    }
    if (e == TIMED_OUT)
        timed_out = 1;
    if (!d.reaped)
        finish_off(&d); /* stopped, or timed out */
    int64_t t_reaped = now_us();

    char line[4000], sent[96] = "null";
    if (s.done)
        snprintf(sent, sizeof sent, "{\"return\":%d,\"errno\":%d,\"pid_in_ns\":%d}", s.ret, s.err, s.pid_in_ns);
    int n = snprintf(line, sizeof line,
                     "{\"index\":%d,\"sender\":\"%s\",\"disposition\":\"%s\",\"signo\":%d,\"init_pid\":%d,"
                     "\"kill\":%s,"
                     "\"answered\":%d,\"stopped\":%d,\"stop_status\":%d,\"status\":%d,\"timed_out\":%d,"
                     "\"acted\":%d,\"action_return\":%lld,\"action_errno\":%d,\"faulted\":%d,"
                     "\"pending\":%llu,\"runs\":%d,\"run\":[",
                     job->index, SENDERS[job->sender], DISPOSITIONS[job->disposition], job->signo, d.init, sent,
                     answered, d.stopped, d.stop_status, d.reaped ? d.status : -1, timed_out,
                     answered ? m.acted : 0, (long long)m.action_return, m.action_errno, m.faulted,
                     (unsigned long long)m.pending, answered ? m.runs : 0);
    for (int i = 0; answered && i < m.runs && i < MAX_RUNS; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s{\"signo\":%d,\"code\":%d,\"pid\":%d,\"addr\":%llu}",
                      i ? "," : "", m.run[i].signo, m.run[i].code, m.run[i].pid, (unsigned long long)m.run[i].addr);
    snprintf(line + n, sizeof line - (size_t)n,
             "],\"us\":{\"ready\":%lld,\"sent\":%lld,\"observed\":%lld,\"reaped\":%lld}}\n", (long long)(t_ready - t0),
             (long long)(t_sent - t0), (long long)(t_observed - t0), (long long)(t_reaped - t0));
    emit(line); /* one write() under PIPE_BUF: drivers share the runner's stdout without mixing lines */
    _exit(0);
}
