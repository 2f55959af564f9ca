/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl-attack.c - a hostile local client of balloond's control socket
 * (integration test ctl-attack.sh only).
 *
 *   ctl-attack SOCKET SECONDS
 *
 * For SECONDS, round after round, on the local Unix socket only: opens
 * more connections than one uid may hold (and checks the surplus is told
 * "too many connections from uid"), keeps a few idle ones open all along,
 * sends 1 MiB lines, trickles requests a byte at a time, sends random
 * bytes, deeply nested JSON, invalid UTF-8 (cut, overlong, surrogate) and
 * pipelined valid requests.  Every byte the daemon sends back must be
 * valid UTF-8 and every reply line a JSON object; an over-long line must
 * get its "too long" error, never a reset.  Bounded in count and time:
 * at most about 60 sockets at once, every wait at most 2 s.
 *
 * Exit 0 when every check held, 1 with a message on the first that did
 * not, 2 on bad usage or when the socket cannot be reached at all.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/proto.h"
#include "daemon/control/control.h"

#define HOG_IDLE 8       /* idle connections held for the whole attack */
#define BURST 30         /* opened at once: more than one uid may hold */

static const char *sock_path;
static unsigned long n_requests;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "ctl-attack: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int conn(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct timeval tv = {2, 0};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    strcpy(sa.sun_path, sock_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        die("connect: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Send what we can; the daemon may close early, which is fine. */
static void send_some(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

/* Read until EOF (after shutting down our side) or want lines; check
 * every line; return the text (static) for the caller to look into. */
static const char *replies(int fd, unsigned want, bool shut)
{
    static char buf[1 << 16];
    size_t have = 0;
    unsigned lines = 0;

    if (shut)
        shutdown(fd, SHUT_WR);
    while (have < sizeof(buf) - 1 && (shut || lines < want)) {
        ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
        if (n < 0 && errno == ECONNRESET)
            die("connection reset by balloond");
        if (n < 0)
            die("no reply within 2 s: %s", strerror(errno));
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            lines += buf[have + (size_t)i] == '\n';
        have += (size_t)n;
    }
    buf[have] = '\0';
    if (!bd_proto_utf8_valid(buf, have))
        die("reply is not valid UTF-8: %.200s", buf);
    for (char *l = buf; *l;) {
        char *nl = strchr(l, '\n');
        if (!nl)
            die("reply without its newline: %.200s", l);
        if (l[0] != '{' || nl[-1] != '}')
            die("reply line is not a JSON object: %.200s", l);
        l = nl + 1;
    }
    if (lines < want)
        die("%u replies, expected %u: %.200s", lines, want, buf);
    return buf;
}

static void one(const char *req, size_t len, const char *expect)
{
    struct timespec ts = {0, 20 * 1000000};
    const char *r;
    int fd;

    /* Connections just closed may not be reaped yet: try again. */
    for (int tries = 0;; tries++) {
        fd = conn();
        send_some(fd, req, len);
        r = replies(fd, 1, true);
        if (!strstr(r, "too many connections from uid") || tries == 50)
            break;
        close(fd);
        nanosleep(&ts, NULL);
    }
    if (expect && !strstr(r, expect))
        die("expected '%s' in reply to %.60s: %.200s", expect, req, r);
    close(fd);
    n_requests++;
}

/* More connections than one uid may hold: the surplus is refused. */
static void burst(void)
{
    int fds[BURST];
    unsigned refused = 0;

    for (int i = 0; i < BURST; i++) {
        struct pollfd p;
        fds[i] = conn();
        p.fd = fds[i];
        p.events = POLLIN;
        /* A refused one is answered at once, an accepted one not. */
        if (poll(&p, 1, 200) == 1) {
            const char *r = replies(fds[i], 1, false);
            if (!strstr(r, "too many connections from uid"))
                die("unexpected answer to an idle connection: %s", r);
            refused++;
        }
    }
    if (refused < BURST - (BD_CTL_MAX_PER_UID - HOG_IDLE))
        die("only %u of %d connections refused", refused, BURST);
    for (int i = 0; i < BURST; i++)
        close(fds[i]);
    {
        /* Let the daemon reap them before the next phase. */
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void oversized(void)
{
    static char big[1 << 20];

    memset(big, 'x', sizeof(big));
    big[sizeof(big) - 1] = '\n';
    one(big, sizeof(big), "longer than 4096 bytes");
}

static void trickle(void)
{
    static const char req[] = "{\"version\":1,\"cmd\":\"status\"}\n";
    struct timespec ts = {0, 5 * 1000000};
    int fd;

    nanosleep(&ts, NULL);
    fd = conn();

    for (size_t i = 0; i < sizeof(req) - 1; i++) {
        send_some(fd, req + i, 1);
        nanosleep(&ts, NULL);
    }
    if (!strstr(replies(fd, 1, true), "\"ok\":true"))
        die("trickled status failed");
    close(fd);
    n_requests++;
}

static void random_bytes(unsigned *seed)
{
    char buf[2048];

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (char)(rand_r(seed) & 0xff);
    buf[sizeof(buf) - 1] = '\n';
    one(buf, sizeof(buf), NULL);
}

static void nesting(void)
{
    char buf[4000];
    size_t n = (size_t)snprintf(buf, sizeof(buf),
                                "{\"version\":1,\"cmd\":\"show\",\"domains\":");

    memset(buf + n, '[', sizeof(buf) - n - 1);
    buf[sizeof(buf) - 1] = '\n';
    one(buf, sizeof(buf), "nested too deeply");
    memset(buf, '{', sizeof(buf) - 1);
    one(buf, sizeof(buf), "nested too deeply");
}

static void bad_utf8(void)
{
    static const char *const reqs[] = {
        "{\"version\":1,\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\"}\n",
        "{\"version\":1,\"cmd\":\"\xc0\xaf\"}\n",
        "{\"version\":1,\"cmd\":\"\xed\xa0\x80\"}\n",
        "{\"version\":1,\"cmd\":\"\\ud800\"}\n",
        "{\"version\":1,\"cmd\":\"status\",\"\xf4\x90\x80\x80\":1}\n",
        "{\"version\":1,\"cmd\":\"show\",\"domains\":[\"\xed\xb0\x80\"]}\n",
        "{\"version\":1,\"cmd\":\"show\",\"domains\":[\"no-such-\xc3\xa9\"]}\n",
        "\xff\xfe\xfd\n",
    };

    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
        one(reqs[i], strlen(reqs[i]), "\"ok\":false");
}

static void pipelined(void)
{
    static const char *const reqs[] = {
        "{\"version\":1,\"cmd\":\"status\"}\n",
        "{\"version\":1,\"cmd\":\"show\"}\n",
        "{\"version\":1,\"cmd\":\"metrics\"}\n",
        "{\"version\":1,\"cmd\":\"set\",\"domain\":\"vm-a\",\"target_kib\":1}\n",
    };
    int fd = conn();

    for (int i = 0; i < 40; i++) {
        const char *r = reqs[i % 4];
        send_some(fd, r, strlen(r));
        replies(fd, 1, false);
        n_requests++;
    }
    close(fd);
}

int main(int argc, char **argv)
{
    int idle[HOG_IDLE];
    unsigned seed = 14, rounds = 0;
    double end;

    if (argc != 3) {
        fprintf(stderr, "usage: ctl-attack SOCKET SECONDS\n");
        return 2;
    }
    sock_path = argv[1];
    if (strlen(sock_path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return 2;
    end = now_s() + atof(argv[2]);
    for (int i = 0; i < HOG_IDLE; i++) {
        idle[i] = conn();
        send_some(idle[i], "{\"version\"", 10);
    }
    do {
        burst();
        oversized();
        trickle();
        for (int i = 0; i < 20; i++)
            random_bytes(&seed);
        nesting();
        bad_utf8();
        pipelined();
        rounds++;
    } while (now_s() < end);
    for (int i = 0; i < HOG_IDLE; i++)
        close(idle[i]);
    printf("ctl-attack: %u rounds, %lu requests, every reply valid\n",
           rounds, n_requests);
    return 0;
}
