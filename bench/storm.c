/*
 * storm: fork+exec benchmark driver for bench/exec_storm.sh.
 *
 * Usage: storm N < pathfile
 *
 * Reads the path of the program to execute from the first line of stdin (so
 * the path never appears in storm's own argv, which a tracer would record),
 * then N times: fork(), execv(path) in the child, waitpid() in the parent.
 * Prints the elapsed wall-clock seconds on stdout. Exits non-zero if any
 * fork/exec/wait failed or any child exited unsuccessfully.
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s N < pathfile\n", argv[0]);
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
    long failures = 0;
    double start = now();

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

    double elapsed = now() - start;
    printf("%.6f\n", elapsed);
    if (failures) {
        fprintf(stderr, "storm: %ld of %ld executions failed\n", failures, n);
        return 1;
    }
    return 0;
}
