/*
 * llmgw-launch: runs one program as its child and makes sure the child dies with the supervisor.
 *
 *   llmgw-launch [--grace-ms N] [--join FILE]... [--cpus LIST] [--sched-idle] -- PROGRAM [ARGS...]
 *
 * The supervisor (the gateway) starts this with stdin a pipe whose write end it keeps open and never
 * writes to. When the supervisor dies, even by SIGKILL, the kernel closes that write end and stdin
 * reads EOF: the launcher then stops the child (SIGTERM, SIGKILL after the grace period) and exits.
 * On Linux the child additionally gets PR_SET_PDEATHSIG(SIGKILL), so it also dies if the launcher
 * itself is killed. This process is single-threaded, so the "parent thread exited" trap of
 * PDEATHSIG (it fires when the forking *thread* exits) cannot hit here, unlike in .NET.
 *
 * CPU confinement happens in the child between fork and exec, so PROGRAM runs under it from its first
 * instruction and every thread it creates inherits it: --join writes the child's PID into FILE (a
 * cgroup's cgroup.procs; repeatable, one per hierarchy), --cpus sets its CPU affinity ("0-1,3"),
 * --sched-idle makes it SCHED_IDLE. --cpus and --sched-idle are Linux-only. A failure there is the
 * child's exec failure (exit 127 with a message), never an unconfined PROGRAM.
 *
 * stderr: the first line is "llmgw-launch: child PID". Exit code: the child's, 128+N if a signal N
 * killed it, 127 if PROGRAM could not be run, 2 on usage errors.
 */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>
#endif

#define MAX_JOINS 8

static int sig_pipe[2] = {-1, -1}; /* self-pipe: handlers write the signal number, poll() reads it */

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    /* Non-blocking: if the pipe is full, a wake-up is already pending, and losing a byte is harmless. */
    if (write(sig_pipe[1], &b, 1) < 0) { /* nothing to do */ }
    errno = saved;
}

static void usage(void)
{
    fputs("usage: llmgw-launch [--grace-ms N] [--join FILE]... [--cpus LIST] [--sched-idle] -- PROGRAM [ARGS...]\n"
          "  Runs PROGRAM and stops it (SIGTERM, then SIGKILL after N ms, default 3000) when stdin\n"
          "  reaches EOF, i.e. when the process holding the write end of the stdin pipe is gone.\n"
          "  Before exec, the child writes its PID to each FILE (cgroup.procs), takes CPU affinity\n"
          "  LIST (e.g. 0-1,3) and SCHED_IDLE, so PROGRAM starts confined. Linux: --cpus, --sched-idle.\n",
          stderr);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_flags(int fd)
{
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

#ifdef __linux__
/* "0-1,3" into a CPU set; 0 on success, -1 on a malformed list or a CPU beyond CPU_SETSIZE. */
static int parse_cpus(const char *list, cpu_set_t *set)
{
    CPU_ZERO(set);
    const char *p = list;
    int any = 0;
    while (*p) {
        char *end;
        errno = 0;
        long first = strtol(p, &end, 10), last = first;
        if (errno || end == p || first < 0 || first >= CPU_SETSIZE) return -1;
        p = end;
        if (*p == '-') {
            last = strtol(++p, &end, 10);
            if (errno || end == p || last < first || last >= CPU_SETSIZE) return -1;
            p = end;
        }
        for (long c = first; c <= last; c++) CPU_SET((int)c, set);
        any = 1;
        if (*p == ',') p++;
        else if (*p) return -1;
    }
    return any ? 0 : -1;
}
#endif

/* In the child before exec: plain write(), not stdio, whose buffers are copies of the parent's. */
static void child_fail(const char *what, const char *program)
{
    const char *err = strerror(errno);
    const char *parts[] = {"llmgw-launch: ", what, " ", program, ": ", err, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        if (write(STDERR_FILENO, parts[i], strlen(parts[i])) < 0) break;
    _exit(127);
}

int main(int argc, char **argv)
{
    long grace_ms = 3000;
    const char *joins[MAX_JOINS];
    int join_count = 0;
    const char *cpus = NULL;
    int sched_idle = 0;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (strcmp(argv[i], "--grace-ms") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            grace_ms = strtol(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || grace_ms < 0 || grace_ms > INT_MAX) {
                fprintf(stderr, "llmgw-launch: --grace-ms wants milliseconds, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--join") == 0 && i + 1 < argc) {
            if (join_count == MAX_JOINS) {
                fprintf(stderr, "llmgw-launch: at most %d --join\n", MAX_JOINS);
                return 2;
            }
            joins[join_count++] = argv[++i];
        } else if (strcmp(argv[i], "--cpus") == 0 && i + 1 < argc) {
            cpus = argv[++i];
        } else if (strcmp(argv[i], "--sched-idle") == 0) {
            sched_idle = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "llmgw-launch: unexpected argument '%s'\n", argv[i]);
            usage();
            return 2;
        }
    }
    if (i >= argc) { /* no "--", or nothing after it */
        fputs("llmgw-launch: missing '-- PROGRAM'\n", stderr);
        usage();
        return 2;
    }
    char **child_argv = &argv[i];

#ifdef __linux__
    cpu_set_t cpu_set;
    if (cpus && parse_cpus(cpus, &cpu_set) != 0) {
        fprintf(stderr, "llmgw-launch: --cpus wants a CPU list such as 0-1,3, got '%s'\n", cpus);
        return 2;
    }
#else
    if (cpus || sched_idle) {
        fputs("llmgw-launch: --cpus and --sched-idle are Linux-only\n", stderr);
        return 2;
    }
#endif

    /* Without an open stdin there is nothing to watch: the child would be stopped at once. */
    struct stat st;
    if (fstat(STDIN_FILENO, &st) != 0) {
        fputs("llmgw-launch: stdin must be a pipe kept open by the supervisor\n", stderr);
        return 2;
    }

    if (pipe(sig_pipe) != 0) { perror("llmgw-launch: pipe"); return 1; }
    set_flags(sig_pipe[0]);
    set_flags(sig_pipe[1]);

    /* Block the signals until the child's PID is known and the child has reset them; signals that
     * arrive meanwhile stay pending and are handled (forwarded) once unblocked. */
    sigset_t watched, old_mask;
    sigemptyset(&watched);
    sigaddset(&watched, SIGCHLD);
    sigaddset(&watched, SIGTERM);
    sigaddset(&watched, SIGINT);
    sigprocmask(SIG_BLOCK, &watched, &old_mask);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* A closed stderr must not kill the launcher (the child would lose its guard). */
    signal(SIGPIPE, SIG_IGN);

    /* The child waits for EOF on this pipe, i.e. until the parent has printed the PID line, so
     * that line is always the first one on stderr, even before an exec error message. */
    int go[2];
    if (pipe(go) != 0) { perror("llmgw-launch: pipe"); return 1; }

    pid_t launcher = getpid();
    fflush(stderr);
    pid_t child = fork();
    if (child < 0) { perror("llmgw-launch: fork"); return 1; }

    if (child == 0) {
        close(go[1]);
        char c;
        while (read(go[0], &c, 1) < 0 && errno == EINTR) {}
        close(go[0]);
#ifdef __linux__
        /* Dies with the launcher. Checking the parent afterwards closes the race where the launcher
         * died before prctl() took effect (we would have been reparented already). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail("cannot set PR_SET_PDEATHSIG for", child_argv[0]);
#endif
        if (getppid() != launcher) _exit(1);

        /* Confinement before exec: PROGRAM's first instruction already runs under it. */
        char pid_text[32];
        int pid_len = snprintf(pid_text, sizeof pid_text, "%ld\n", (long)getpid());
        for (int j = 0; j < join_count; j++) {
            int fd = open(joins[j], O_WRONLY | O_CLOEXEC);
            if (fd < 0 || write(fd, pid_text, (size_t)pid_len) != pid_len) child_fail("cannot join", joins[j]);
            close(fd);
        }
#ifdef __linux__
        if (cpus && sched_setaffinity(0, sizeof cpu_set, &cpu_set) != 0) child_fail("cannot set --cpus for", child_argv[0]);
        if (sched_idle) {
            struct sched_param param = {.sched_priority = 0};
            if (sched_setscheduler(0, SCHED_IDLE, &param) != 0) child_fail("cannot set SCHED_IDLE for", child_argv[0]);
        }
#endif

        /* The watch pipe is the launcher's business: the child reads /dev/null instead. */
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd < 0) child_fail("cannot open /dev/null for", child_argv[0]);
        if (null_fd != STDIN_FILENO) {
            if (dup2(null_fd, STDIN_FILENO) < 0) child_fail("cannot redirect stdin of", child_argv[0]);
            close(null_fd);
        }

        /* Handled signals reset at exec anyway; the ignored SIGPIPE and the mask would not. */
        signal(SIGCHLD, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);

        execvp(child_argv[0], child_argv);
        child_fail("cannot run", child_argv[0]);
    }

    close(go[0]);
    char line[64];
    int n = snprintf(line, sizeof line, "llmgw-launch: child %ld\n", (long)child);
    if (write(STDERR_FILENO, line, (size_t)n) < 0) { /* stderr gone: keep guarding anyway */ }
    close(go[1]);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);

    int watching_stdin = 1;
    long long deadline = -1; /* when the child gets SIGKILL; -1 while nobody asked it to stop */
    int status = 0;

    for (;;) {
        /* Reap on every wake-up, not only on SIGCHLD bytes: the self-pipe may have dropped some. */
        pid_t r = waitpid(child, &status, WNOHANG);
        if (r == child) break;
        if (r < 0 && errno != EINTR) { perror("llmgw-launch: waitpid"); return 1; }

        if (deadline >= 0 && now_ms() >= deadline) {
            kill(child, SIGKILL);
            deadline = -1; /* SIGKILL cannot be refused: just wait for SIGCHLD now */
        }

        struct pollfd fds[2] = {
            {.fd = sig_pipe[0], .events = POLLIN},
            {.fd = STDIN_FILENO, .events = POLLIN},
        };
        int timeout = -1;
        if (deadline >= 0) {
            long long left = deadline - now_ms();
            timeout = left < 0 ? 0 : (int)left;
        }
        if (poll(fds, watching_stdin ? 2 : 1, timeout) < 0) {
            if (errno == EINTR) continue;
            perror("llmgw-launch: poll");
            kill(child, SIGKILL); /* cannot watch any more: do not leave the child unguarded */
            continue;
        }

        if (fds[0].revents & POLLIN) {
            unsigned char sigs[32];
            ssize_t got;
            while ((got = read(sig_pipe[0], sigs, sizeof sigs)) > 0) {
                for (ssize_t k = 0; k < got; k++) {
                    if (sigs[k] != SIGTERM && sigs[k] != SIGINT) continue; /* SIGCHLD: reaped above */
                    kill(child, sigs[k]);
                    if (deadline < 0) deadline = now_ms() + grace_ms;
                }
            }
        }

        if (watching_stdin && (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
            char buf[512];
            ssize_t got = read(STDIN_FILENO, buf, sizeof buf); /* data is not expected; dropped */
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                /* The supervisor is gone: stop the child, then leave with its status. */
                watching_stdin = 0;
                kill(child, SIGTERM);
                if (deadline < 0) deadline = now_ms() + grace_ms;
            }
        }
    }

    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}
