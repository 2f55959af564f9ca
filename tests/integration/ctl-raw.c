/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl-raw.c - send raw bytes to a control socket and print what comes back
 * (integration tests only; balloonctl never sends malformed requests).
 *
 *   ctl-raw SOCKET [HOLD_MS]
 *
 * Sends stdin exactly as given (NUL bytes, no newline, 5000 bytes, ...),
 * then waits HOLD_MS (default 0) before shutting down its write side, and
 * prints every byte the server sends until it closes the connection (or
 * 10 s pass: exit 2).  Exit 1 when it cannot connect.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    static char in[1 << 20];
    size_t len = 0, off = 0;
    long hold_ms = argc > 2 ? atol(argv[2]) : 0;
    time_t end;
    int fd;

    if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: ctl-raw SOCKET [HOLD_MS] < request\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    while (len < sizeof(in)) {
        ssize_t n = read(0, in + len, sizeof(in) - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "ctl-raw: connect %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    while (off < len) {
        ssize_t n = send(fd, in + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break; /* the server may close early: read what it said */
        off += (size_t)n;
    }
    if (hold_ms > 0) {
        struct timespec ts = {hold_ms / 1000, (hold_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    shutdown(fd, SHUT_WR);
    end = time(NULL) + 10;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char buf[4096];
        ssize_t n;

        if (time(NULL) > end) {
            fprintf(stderr, "ctl-raw: no EOF within 10 s\n");
            return 2;
        }
        if (poll(&p, 1, 1000) <= 0)
            continue;
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
    }
    close(fd);
    return 0;
}
