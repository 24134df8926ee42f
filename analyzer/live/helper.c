/* siganalyze live helper: runs signal-delivery cases against the PID 1 of fresh PID namespaces.
 *
 *   helper probe                         can this process create a PID namespace? prints "ok" or "unshare ERRNO"
 *   helper run JOBS TIMEOUT_MS PARENT    cases on stdin ("INDEX SENDER DISPOSITION SIGNO" lines), one JSON line
 *                                        per case on stdout, up to JOBS cases at once
 *   helper baseline COUNT JOBS PARENT    COUNT bare fork+unshare(CLONE_NEWPID)+fork+exit cycles, for benchmarks
 *
 * Process tree of one case: the runner forks a driver; the driver unshares its PID namespace, forks the
 * init (PID 1 there) and, for a same-ns send, a sender (PID 2 there) whose parent is the driver, outside
 * the namespace, so the sender's exit never sends SIGCHLD to init. Every process asks for SIGKILL when its
 * parent dies, so killing the runner (or the Python process that started it) takes the whole tree down.
 * Written for analyzer/live (Python decodes and classifies the lines); compiled at run time with cc from
 * helper.c (this runner), driver.c (one case, host side), init.c (one case, PID 1 side) and live.h.
 */
#include "live.h"

const char *const SENDERS[4] = {"same-ns", "ancestor-ns", "self", "fault"};
const char *const DISPOSITIONS[4] = {"default", "ignored", "handler", "blocked"};

static int parse_word(const char *word, const char *const *words, int count) {
    for (int i = 0; i < count; i++)
        if (strcmp(word, words[i]) == 0)
            return i;
    return -1;
}

static int read_jobs(struct job **out) {
    size_t cap = 64, n = 0;
    struct job *jobs = malloc(cap * sizeof *jobs);
    char sender[32], disposition[32];
    int index, signo;
    while (jobs && scanf("%d %31s %31s %d", &index, sender, disposition, &signo) == 4) {
        int s = parse_word(sender, SENDERS, 4), disp = parse_word(disposition, DISPOSITIONS, 4);
        if (s < 0 || disp < 0 || signo < 1 || signo > 64) {
            fprintf(stderr, "siganalyze-live: bad case line %d\n", index);
            exit(2);
        }
        if (n == cap) {
            cap *= 2;
            jobs = realloc(jobs, cap * sizeof *jobs);
            if (!jobs)
                break;
        }
        jobs[n++] = (struct job){index, (enum sender)s, (enum disposition)disp, signo};
    }
    if (!jobs) {
        fprintf(stderr, "siganalyze-live: out of memory\n");
        exit(2);
    }
    *out = jobs;
    return (int)n;
}

static void lost(int index, const char *what, int err, int status) {
    char line[160];
    snprintf(line, sizeof line, "{\"index\":%d,\"error\":\"%s\",\"errno\":%d,\"driver_status\":%d}\n", index, what,
             err, status);
    emit(line);
}

/* The baseline a case costs at least: a PID namespace whose init exits at once. */
static _Noreturn void bare_cycle(void) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (unshare(CLONE_NEWPID) < 0)
        _exit(1);
    pid_t init = fork();
    if (init == 0)
        _exit(0);
    _exit(init > 0 && waitpid(init, NULL, 0) == init ? 0 : 1);
}

/* Run `count` children, at most `jobs` at a time; a driver that dies without writing its line gets one. */
static int fan_out(const struct job *all, int count, int jobs, int timeout_ms, int bare) {
    pid_t *pids = calloc((size_t)count + 1, sizeof *pids);
    pid_t me = getpid();
    int next = 0, active = 0, failures = 0;
    if (!pids)
        return 2;
    while (next < count || active > 0) {
        while (active < jobs && next < count) {
            pid_t pid = fork();
            if (pid == 0) {
                if (bare)
                    bare_cycle();
                drive(&all[next], timeout_ms, me);
            }
            if (pid < 0) {
                failures++;
                if (!bare)
                    lost(all[next].index, "fork(driver)", errno, -1);
            }
            pids[next++] = pid > 0 ? pid : 0;
            active += pid > 0;
        }
        int st;
        pid_t done = wait(&st);
        if (done < 0)
            break;
        active--;
        for (int i = 0; i < next; i++) {
            if (pids[i] != done)
                continue;
            pids[i] = 0;
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                failures++;
                if (!bare)
                    lost(all[i].index, "driver died", 0, st);
            }
            break;
        }
    }
    free(pids);
    return failures ? 1 : 0;
}

static int probe(void) {
    pid_t me = getpid(), pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != me)
            _exit(5);
        if (unshare(CLONE_NEWPID) < 0) {
            dprintf(1, "unshare %d\n", errno);
            _exit(0);
        }
        pid_t init = fork();
        if (init == 0)
            _exit(getpid() == 1 ? 0 : 7);
        int st;
        if (init < 0 || waitpid(init, &st, 0) != init || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            dprintf(1, "fork %d\n", errno);
        else
            dprintf(1, "ok\n");
        _exit(0);
    }
    return pid > 0 && waitpid(pid, NULL, 0) == pid ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "probe") == 0)
        return probe();
    if (argc != 5 || (strcmp(argv[1], "run") != 0 && strcmp(argv[1], "baseline") != 0)) {
        fprintf(stderr, "usage: %s probe | run JOBS TIMEOUT_MS PARENT | baseline COUNT JOBS PARENT\n", argv[0]);
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != (pid_t)atoi(argv[4]))
        return 5; /* the parent is already gone: nobody would stop us */
    signal(SIGPIPE, SIG_DFL);
    if (strcmp(argv[1], "baseline") == 0) {
        int count = atoi(argv[2]);
        struct job *none = calloc((size_t)(count > 0 ? count : 1), sizeof *none);
        return none ? fan_out(none, count, atoi(argv[3]), 0, 1) : 2;
    }
    struct job *jobs;
    int count = read_jobs(&jobs);
    return fan_out(jobs, count, atoi(argv[2]), atoi(argv[3]), 0);
}
