/*
 * storm: fork+exec benchmark driver for bench/exec_storm.sh.
 *
 * Usage: storm N [JOBS] < pathfile
 *
 * Reads the path of the program to execute from the first line of stdin (so
 * the path never appears in storm's own argv, which a tracer would record),
 * then N times: fork(), execv(path) in the child, waitpid() in the parent.
 * With JOBS > 1, that many workers share the N executions in parallel (the
 * fastest rate a multi-core machine produces). Prints the elapsed
 * wall-clock seconds on stdout. Exits non-zero if any fork/exec/wait failed
 * or any child exited unsuccessfully.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n x (fork, execv, waitpid); returns the number of failures. */
static long run_serial(const char *path, char *const child_argv[], long n)
{
    long failures = 0;

    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("storm: fork");
            failures++;
            continue;
        }
        if (pid == 0) {
            execv(path, child_argv);
            _exit(127);
        }
        int status = 0;
        pid_t r;
        while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
            ;
        if (r < 0) {
            perror("storm: waitpid");
            failures++;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failures++;
        }
    }
    return failures;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s N [JOBS] < pathfile\n", argv[0]);
        return 2;
    }
    long jobs = argc == 3 ? strtol(argv[2], NULL, 10) : 1;
    if (jobs < 1 || jobs > 64) {
        fprintf(stderr, "storm: bad JOBS '%s'\n", argv[2]);
        return 2;
    }
    char *end = NULL;
    long n = strtol(argv[1], &end, 10);
    if (!end || *end != '\0' || n <= 0) {
        fprintf(stderr, "storm: bad N '%s'\n", argv[1]);
        return 2;
    }

    char path[4096];
    if (!fgets(path, sizeof(path), stdin)) {
        fprintf(stderr, "storm: no path on stdin\n");
        return 2;
    }
    path[strcspn(path, "\r\n")] = '\0';
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "storm: %s: %s\n", path, strerror(errno));
        return 2;
    }

    char *child_argv[] = { path, NULL };
    double start = now();
    long failures = 0;

    if (jobs == 1) {
        failures = run_serial(path, child_argv, n);
    } else {
        /* Each worker runs its share and exits with 0 (all good) or 1. */
        for (long j = 0; j < jobs; j++) {
            long share = n / jobs + (j < n % jobs ? 1 : 0);
            pid_t w = fork();
            if (w < 0) {
                perror("storm: fork worker");
                return 1;
            }
            if (w == 0)
                _exit(run_serial(path, child_argv, share) ? 1 : 0);
        }
        int status = 0;
        pid_t r;
        while ((r = wait(&status)) > 0 || (r < 0 && errno == EINTR)) {
            if (r > 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                failures++;
        }
    }

    double elapsed = now() - start;
    printf("%.6f\n", elapsed);
    if (failures) {
        fprintf(stderr, "storm: %ld failures (executions or workers) of %ld\n", failures, n);
        return 1;
    }
    return 0;
}
