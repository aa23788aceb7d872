/* A tiny test harness for the C tests: checks that count instead of abort,
 * and a dev broker started as a child process. */
#ifndef GAZETTE_TEST_HARNESS_H
#define GAZETTE_TEST_HARNESS_H

#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gazette.h"

static int t_passed, t_failed, t_skipped;

/* Records one check; prints failures with their location. */
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            t_passed++;                                                      \
        } else {                                                             \
            t_failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                    \
    } while (0)

/* Checks a status, printing both names on mismatch. */
#define CHECK_STATUS(got, want)                                              \
    do {                                                                     \
        gazette_status got_ = (got);                                         \
        gazette_status want_ = (want);                                       \
        if (got_ == want_) {                                                 \
            t_passed++;                                                      \
        } else {                                                             \
            t_failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s = %s, want %s\n", __FILE__,      \
                    __LINE__, #got, gazette_status_name(got_),              \
                    gazette_status_name(want_));                             \
        }                                                                    \
    } while (0)

/* Passes a string literal or C string as (pointer, length). */
#define S(str) (str), strlen(str)

/* A dev broker child process and its first endpoint. */
struct broker {
    pid_t pid;
    int control; /* the broker's standard input: it exits when this closes */
    char endpoint[256];
    char store[256];
};

/* Starts `bin --listen 127.0.0.1:0 --brokers 1 --store DIR [extra...]` and
 * reads its one JSON line, taking the first "http://..." or "https://..."
 * string in it as the endpoint. `extra` is NULL or NULL-terminated (at most
 * 16). Returns 0 on success. */
static int broker_start_with(struct broker *b, const char *bin, const char *const *extra) {
    int fds[2], in[2];
    char line[4096];
    size_t n = 0;
    char *at, *end;
    snprintf(b->store, sizeof b->store, "/tmp/gazette-ctest-XXXXXX");
    if (!mkdtemp(b->store) || pipe(fds) != 0 || pipe(in) != 0) return -1;
    b->pid = fork();
    if (b->pid < 0) return -1;
    if (b->pid == 0) {
        dup2(fds[1], 1);
        dup2(in[0], 0);
        close(fds[0]);
        close(fds[1]);
        close(in[0]);
        close(in[1]);
        {   /* GAZETTE_TEST_DEVBROKER_VERSION picks the broker release to imitate. */
            const char *version = getenv("GAZETTE_TEST_DEVBROKER_VERSION");
            const char *argv[32] = {bin, "--listen", "127.0.0.1:0", "--brokers", "1", "--store",
                                    b->store, "--version",
                                    version && *version ? version : "current"};
            int argc = 9;
            while (extra && *extra && argc < 30) argv[argc++] = *extra++;
            argv[argc] = NULL;
            execv(bin, (char *const *)argv);
        }
        _exit(127);
    }
    close(fds[1]);
    close(in[0]);
    b->control = in[1];
    while (n + 1 < sizeof line) {
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0 || line[n] == '\n') break;
        n++;
    }
    line[n] = 0;
    close(fds[0]);
    at = strstr(line, "\"http");
    if (!at) {
        fprintf(stderr, "broker printed no endpoint: '%s'\n", line);
        kill(b->pid, SIGKILL);
        waitpid(b->pid, NULL, 0);
        b->pid = 0;
        return -1;
    }
    at++;
    end = strchr(at, '"');
    if (!end || (size_t)(end - at) >= sizeof b->endpoint) return -1;
    memcpy(b->endpoint, at, (size_t)(end - at));
    b->endpoint[end - at] = 0;
    return 0;
}

/* Starts a plain dev broker (see broker_start_with). */
static int broker_start(struct broker *b, const char *bin) {
    return broker_start_with(b, bin, NULL);
}

/* A TCP listener on 127.0.0.1 that never accepts or answers: calls to it
 * hang until their timeout. Writes "http://127.0.0.1:PORT" to `endpoint`;
 * returns the socket (close it when done) or -1. */
static int silent_listener(char *endpoint, size_t cap) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return -1;
    }
    snprintf(endpoint, cap, "http://127.0.0.1:%d", ntohs(addr.sin_port));
    return fd;
}

static void broker_stop(struct broker *b) {
    char cmd[300];
    if (b->control > 0) {
        close(b->control);
        b->control = 0;
    }
    if (b->pid > 0) {
        kill(b->pid, SIGTERM);
        waitpid(b->pid, NULL, 0);
        b->pid = 0;
    }
    if (b->store[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->store);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", b->store);
    }
}

#endif
