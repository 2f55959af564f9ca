/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * atomic.c - bd_write_file_atomic() (see atomic.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/base/atomic.h"

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t r = write(fd, buf, len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += r;
        len -= (size_t)r;
    }
    return 0;
}

static int open_tmp(const char *tmp, const char *path, mode_t mode,
                    bool mkdir_parent)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    if (fd < 0 && errno == ENOENT && mkdir_parent) {
        /* First run: create the directory (systemd's StateDirectory=
         * normally has). */
        char *dircopy = strdup(path);
        if (!dircopy)
            return -ENOMEM;
        if (mkdir(dirname(dircopy), 0700) == 0 || errno == EEXIST)
            fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        free(dircopy);
    }
    return fd < 0 ? -errno : fd;
}

static void sync_dir(const char *path)
{
    char *dircopy = strdup(path);
    int dfd;

    if (!dircopy)
        return;
    dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dircopy);
}

int bd_write_file_atomic(const char *path, const void *buf, size_t len,
                         mode_t mode, bool durable, bool mkdir_parent)
{
    char *tmp = NULL;
    int fd = -1, rc;

    if (asprintf(&tmp, "%s.tmp", path) < 0)
        return -ENOMEM;
    fd = open_tmp(tmp, path, mode, mkdir_parent);
    if (fd < 0) {
        rc = fd;
        fd = -1;
        goto out;
    }
    rc = write_all(fd, buf, len);
    if (rc == 0 && durable && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    fd = -1;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc == 0 && durable)
        sync_dir(path);
out:
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}
