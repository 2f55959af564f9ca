/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lock.c - one balloond per host (see lock.h).
 *
 * The lock is taken before the daemon touches anything: the state file,
 * the control socket, a target.  The holder's line is written only once
 * the lock is ours, so a reader that finds the file locked reads the
 * holder's own words (or an empty file in the instant between, said as
 * "?").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/base/lock.h"

/* mkdir of path's parent, one level (/run/balloond when run by hand). */
static void make_parent(const char *path)
{
    char dir[4096];
    char *slash;

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return;
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return; /* open() says what is wrong */
}

/* The holder's "PID SOCKET" line, newline cut, "?" when there is none. */
static void read_holder(int fd, char *buf, size_t len)
{
    ssize_t n;

    if (!len)
        return;
    n = pread(fd, buf, len - 1, 0);
    if (n <= 0) {
        snprintf(buf, len, "?");
        return;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

int bd_lock_take(const char *path, const char *socket_path, int *fd,
                 char *holder, size_t holder_len)
{
    char line[4200];
    int f, r, n;

    *fd = -1;
    make_parent(path);
    f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0)
        return -errno;
    if (flock(f, LOCK_EX | LOCK_NB) < 0) {
        r = errno == EWOULDBLOCK ? -EBUSY : -errno;
        if (r == -EBUSY)
            read_holder(f, holder, holder_len);
        close(f);
        return r;
    }
    n = snprintf(line, sizeof(line), "%ld %s\n", (long)getpid(),
                 socket_path ? socket_path : "-");
    if (ftruncate(f, 0) < 0 || pwrite(f, line, (size_t)n, 0) != n) {
        r = -errno;
        close(f);
        return r ? r : -EIO;
    }
    *fd = f;
    return 0;
}
