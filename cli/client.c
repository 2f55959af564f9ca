/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client.c - one request/reply exchange with balloond, and reply reading.
 *
 * Design: connect, write the request line, read until '\n' under a
 * deadline with poll(2), parse the line with yajl_tree and check the
 * protocol envelope ("version", "ok").  Everything that is not a proper
 * reply (no daemon, refused, closed early, timeout, garbage) is exit code
 * 3 with one line saying what to do about it.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "common/proto.h"

void bctl_err(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    fprintf(stderr, "balloonctl: %s\n", msg);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *connect_hint(int e)
{
    switch (e) {
    case ENOENT:
        return "is balloond running? (systemctl status balloond; or give "
               "--socket PATH)";
    case ECONNREFUSED:
        return "balloond is not running (stale socket); start it with "
               "systemctl start balloond";
    case EACCES:
    case EPERM:
        return "run as root or as a member of the group set by [control] "
               "group in balloond.conf";
    default:
        return "check that balloond is running";
    }
}

static int transport_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int transport_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (errbuf)
        snprintf(errbuf, errlen, "%s", msg);
    else
        bctl_err("%s", msg);
    return BCTL_EXIT_UNREACHABLE;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Deeper than any reply balloond writes (object, "domains" array, domain
 * object)?  yajl_tree has no depth limit and builds and frees trees
 * recursively, so a reply nested a few hundred thousand deep exhausts the
 * stack: count before parsing.  Only has to be right for text yajl would
 * accept up to the point where it stops (its strings and escapes are the
 * same), and stops at a NUL as yajl_tree_parse() does.
 */
static bool too_deep(const char *s, size_t len)
{
    bool in_str = false;
    int depth = 0;

    for (size_t i = 0; i < len && s[i]; i++) {
        if (in_str) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                in_str = false;
        } else if (s[i] == '"') {
            in_str = true;
        } else if (s[i] == '{' || s[i] == '[') {
            if (++depth > BCTL_MAX_REPLY_DEPTH)
                return true;
        } else if (s[i] == '}' || s[i] == ']') {
            depth--;
        }
    }
    return false;
}

int bctl_parse_reply(char *line, size_t len, yajl_val *reply, char *errbuf,
                     size_t errlen)
{
    char yerr[128];
    yajl_val v = NULL, ok;
    uint64_t ver = 0;
    int rc;

    *reply = NULL;
    if (len + 1 > BD_PROTO_MAX_REPLY)
        return transport_err(errbuf, errlen, "reply from balloond is larger "
                             "than %u bytes", BD_PROTO_MAX_REPLY);
    line[len] = '\0';
    if (too_deep(line, len))
        return transport_err(errbuf, errlen, "balloond sent a reply nested "
                             "deeper than %d levels; is that balloond?",
                             BCTL_MAX_REPLY_DEPTH);
    v = yajl_tree_parse(line, yerr, sizeof(yerr));
    ok = v ? bctl_get(v, "ok") : NULL;
    if (!v || !YAJL_IS_OBJECT(v) || !(YAJL_IS_TRUE(ok) || YAJL_IS_FALSE(ok))) {
        rc = transport_err(errbuf, errlen, "balloond sent a malformed "
                           "reply; is balloonctl the same version?");
        goto out;
    }
    if (!bctl_get_u64(v, "version", &ver) || ver != BD_PROTO_VERSION) {
        rc = transport_err(errbuf, errlen, "balloond speaks protocol "
                           "version %" PRIu64 ", balloonctl %d; install "
                           "matching versions", ver, BD_PROTO_VERSION);
        goto out;
    }
    *reply = v;
    v = NULL;
    rc = YAJL_IS_TRUE(ok) ? BCTL_EXIT_OK : BCTL_EXIT_FAILED;
out:
    yajl_tree_free(v);
    return rc;
}

int bctl_call(const char *path, yajl_gen g, uint64_t timeout_ms,
              yajl_val *reply, char *errbuf, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const unsigned char *req;
    size_t req_len, have = 0, cap = 0, scanned = 0;
    char *buf = NULL, *nl = NULL;
    uint64_t deadline = mono_ms() + timeout_ms;
    int fd = -1, rc, r, send_err;

    *reply = NULL;
    if (strlen(path) >= sizeof(sa.sun_path))
        return transport_err(errbuf, errlen, "socket path %s is too long",
                             path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (yajl_gen_map_close(g) != yajl_gen_status_ok ||
        yajl_gen_get_buf(g, &req, &req_len) != yajl_gen_status_ok) {
        bctl_err("internal error: cannot build the request");
        return BCTL_EXIT_FAILED;
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = transport_err(errbuf, errlen, "socket: %s", strerror(errno));
        goto out;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        rc = transport_err(errbuf, errlen, "cannot connect to %s: %s; %s",
                           path, strerror(e), connect_hint(e));
        goto out;
    }
    /* A failed send is reported only if no reply explains it: balloond
     * may have answered (too many connections) and closed already. */
    send_err = write_all(fd, req, req_len);
    if (!send_err)
        send_err = write_all(fd, (const unsigned char *)"\n", 1);

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        uint64_t now = mono_ms();
        ssize_t n;

        if (have > scanned)
            nl = memchr(buf + scanned, '\n', have - scanned);
        scanned = have;
        if (nl)
            break;
        if (now >= deadline) {
            rc = transport_err(errbuf, errlen,
                               "balloond did not answer within %" PRIu64
                               " s; check its log (journalctl -u balloond)",
                               (timeout_ms + 999) / 1000);
            goto out;
        }
        r = poll(&pfd, 1, (int)(deadline - now > 1000 ? 1000
                                                      : deadline - now));
        if (r < 0 && errno != EINTR) {
            rc = transport_err(errbuf, errlen, "poll: %s", strerror(errno));
            goto out;
        }
        if (r <= 0)
            continue;
        if (have + 65536 + 1 > cap) {
            char *nb;
            if (cap >= BD_PROTO_MAX_REPLY) {
                rc = transport_err(errbuf, errlen, "reply from balloond is "
                                   "larger than %u bytes",
                                   BD_PROTO_MAX_REPLY);
                goto out;
            }
            cap = cap ? cap * 2 : 65536 * 2;
            nb = realloc(buf, cap);
            if (!nb) {
                rc = transport_err(errbuf, errlen, "out of memory");
                goto out;
            }
            buf = nb;
        }
        n = recv(fd, buf + have, cap - have - 1, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (send_err)
                break;
            rc = transport_err(errbuf, errlen, "reading from balloond: %s",
                               strerror(errno));
            goto out;
        }
        if (n == 0 && send_err)
            break;
        if (n == 0) {
            rc = transport_err(errbuf, errlen,
                               "balloond closed the connection without an "
                               "answer; check its log (journalctl -u "
                               "balloond)");
            goto out;
        }
        have += (size_t)n;
    }
    if (!nl) {
        rc = transport_err(errbuf, errlen, "sending to balloond at %s: %s",
                           path, strerror(-send_err));
        goto out;
    }
    rc = bctl_parse_reply(buf, (size_t)(nl - buf), reply, errbuf, errlen);

out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

yajl_val bctl_get(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

const char *bctl_get_str(yajl_val obj, const char *key)
{
    yajl_val v = bctl_get(obj, key);

    return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

bool bctl_get_u64(yajl_val obj, const char *key, uint64_t *out)
{
    yajl_val v = bctl_get(obj, key);

    if (!YAJL_IS_INTEGER(v) || v->u.number.i < 0)
        return false;
    *out = (uint64_t)v->u.number.i;
    return true;
}

bool bctl_get_bool(yajl_val obj, const char *key)
{
    return YAJL_IS_TRUE(bctl_get(obj, key));
}

char *bctl_clean(const char *s, char *buf, size_t len)
{
    size_t i = 0;

    if (!len)
        return buf;
    for (; s && *s && i + 1 < len; s++)
        buf[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    buf[i] = '\0';
    return buf;
}
