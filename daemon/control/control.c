/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control.c - the control socket server (see control.h for the contract).
 *
 * Design: one listening Unix stream socket and a small state machine per
 * connection, all driven by the daemon's sd-event loop.  Nothing here ever
 * blocks: sockets are non-blocking, a reply that does not fit in the socket
 * buffer is kept and written on EPOLLOUT, and a connection that makes no
 * progress (no complete request, reply not read) is dropped after an idle
 * timeout.  A connection handles one request at a time: while a reply is
 * being written or a reservation is pending it reads nothing more, so a
 * client can never make the daemon buffer more than one request line
 * (4096 bytes) and one reply.
 *
 * Per connection:
 *
 *   reading --line--> handling --reply--> writing --drained--> reading
 *                        |                                ^
 *                        +--reserve--> pending --finish---+
 *
 * While pending, the connection listens for no events at all, which epoll
 * still reports EPOLLHUP/EPOLLERR for: that is how a client that went away
 * is noticed (and the daemon told, through reserve_abandoned) without the
 * level-triggered EPOLLIN of unread data spinning the loop.
 *
 * The daemon's handlers are only ever called from this file's own event
 * callbacks, never from inside bd_ctl_reserve_finish(), so a handler can
 * never be re-entered from daemon code.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/control/control.h"

struct conn {
    struct bd_ctl_server *srv;
    struct conn *prev, *next;
    int fd;
    sd_event_source *io;
    sd_event_source *timer;
    struct ucred cred;
    bool may_write;

    char rbuf[BD_PROTO_MAX_LINE];
    size_t rlen;
    char *wbuf;
    size_t wlen, woff;

    struct bd_ctl_pending *pending;
    bool eof;                /* the peer will send nothing more */
    bool close_after_write;  /* protocol violation: reply, then close */
    bool draining;           /* ...reply written, EOF sent, input dropped */
    size_t drained;          /* bytes dropped so far */
    bool logged;             /* one warning per client */
};

struct bd_ctl_pending {
    struct conn *conn;       /* NULL once the client is gone */
    uint64_t kib;
    uint64_t timeout_ms;
    bool abandoned;
    /* finished from inside the reserve handler: the reply is sent when it
     * returns */
    bool in_handler;
    bool finished;
    struct bd_ctl_reserve_result result;
};

struct bd_ctl_server {
    sd_event *e;
    char *path;
    char *group;
    int fd;
    sd_event_source *listen_src;
    sd_event_source *retry_src;  /* re-enables accept after EMFILE */
    bool has_gid;
    gid_t gid;
    bool allow_readonly;
    const struct bd_ctl_ops *ops;
    void *userdata;
    struct conn *conns;
    unsigned n_conns;
    uint64_t idle_timeout_ms;
    bool logged_accept_error;
    /* Client warnings, rate-limited across clients: a flood of bad
     * connections must not become a flood of log lines. */
    uint64_t warn_window_us;
    unsigned warn_count;
    unsigned warn_dropped;
};

/* A connection being closed after a protocol violation reads and drops at
 * most this much more, for at most this long, before it is closed. */
#define DRAIN_MAX_BYTES (1024 * 1024)
#define DRAIN_MAX_MS 5000

#define WARN_WINDOW_US (60ull * 1000000)
#define WARN_PER_WINDOW 10

static void conn_run(struct conn *c);

static void slog(struct bd_ctl_server *s, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void slog(struct bd_ctl_server *s, int prio, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (s->ops && s->ops->log)
        s->ops->log(s->userdata, prio, msg);
    else
        fprintf(stderr, "<%d>control: %s\n", prio, msg);
}

/* Warn about a misbehaving client once; later problems only at debug. */
static void clog_once(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void clog_once(struct conn *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    struct bd_ctl_server *s = c->srv;
    int prio = c->logged ? LOG_DEBUG : LOG_WARNING;
    uint64_t now = 0;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->logged = true;
    if (prio == LOG_WARNING) {
        sd_event_now(s->e, CLOCK_MONOTONIC, &now);
        if (now - s->warn_window_us >= WARN_WINDOW_US) {
            if (s->warn_dropped)
                slog(s, LOG_WARNING, "%u more client warnings were "
                     "suppressed", s->warn_dropped);
            s->warn_window_us = now;
            s->warn_count = 0;
            s->warn_dropped = 0;
        }
        if (++s->warn_count > WARN_PER_WINDOW) {
            s->warn_dropped++;
            prio = LOG_DEBUG;
        }
    }
    slog(s, prio, "client pid %d uid %u: %s", (int)c->cred.pid,
         (unsigned)c->cred.uid, msg);
}

int bd_ctl_fail(struct bd_ctl_call *call, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(call->error, sizeof(call->error), fmt, ap);
    va_end(ap);
    return rc < 0 ? rc : -EINVAL;
}

/* ---- connections ------------------------------------------------------ */

static void conn_free(struct conn *c)
{
    struct bd_ctl_server *s = c->srv;

    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    sd_event_source_disable_unref(c->io);
    sd_event_source_disable_unref(c->timer);
    if (c->fd >= 0)
        close(c->fd);
    free(c->wbuf);
    free(c);
}

/* Close a connection; tell the daemon if a reservation lost its client. */
static void conn_close(struct conn *c, bool notify)
{
    struct bd_ctl_pending *p = c->pending;
    struct bd_ctl_server *s = c->srv;

    c->pending = NULL;
    conn_free(c);
    if (p) {
        p->conn = NULL;
        p->abandoned = true;
        /* Last: the daemon may finish (free) p in the callback. */
        if (notify && s->ops->reserve_abandoned)
            s->ops->reserve_abandoned(s->userdata, p);
    }
}

static void conn_arm_timer(struct conn *c, bool on)
{
    if (on) {
        sd_event_source_set_time_relative(c->timer,
                                          c->srv->idle_timeout_ms * 1000);
        sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
    } else {
        sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
    }
}

/* Queue one reply (without its '\n').  Only one reply is ever queued. */
static void conn_queue(struct conn *c, const unsigned char *buf, size_t len)
{
    free(c->wbuf);
    c->wlen = c->woff = 0;
    c->wbuf = malloc(len + 1);
    if (!c->wbuf) {
        /* Nothing sensible can be sent; drop the client. */
        c->close_after_write = true;
        return;
    }
    memcpy(c->wbuf, buf, len);
    c->wbuf[len] = '\n';
    c->wlen = len + 1;
}

static void conn_queue_gen(struct conn *c, yajl_gen g)
{
    const unsigned char *buf;
    size_t len;

    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
        conn_queue(c, buf, len);
    } else {
        slog(c->srv, LOG_ERR, "internal error: cannot finish a reply");
        c->close_after_write = true;
    }
}

static void conn_queue_error(struct conn *c, const char *msg)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if (!g || bd_proto_gen_error(g, msg)) {
        c->close_after_write = true;
    } else {
        conn_queue_gen(c, g);
    }
    if (g)
        yajl_gen_free(g);
}

static void conn_queue_reserve(struct conn *c,
                               const struct bd_ctl_reserve_result *r)
{
    yajl_gen g = yajl_gen_alloc(NULL);

    if (!g || bd_proto_gen_reserve_reply(g, r))
        c->close_after_write = true;
    else
        conn_queue_gen(c, g);
    if (g)
        yajl_gen_free(g);
}

static void conn_update_events(struct conn *c)
{
    uint32_t ev;

    if (c->woff < c->wlen)
        ev = EPOLLOUT;
    else if (c->pending)
        ev = 0;
    else
        ev = EPOLLIN;
    sd_event_source_set_io_events(c->io, ev);
}

/* ---- dispatch ---------------------------------------------------------- */

static void call_init(struct bd_ctl_call *call, struct conn *c, yajl_gen g)
{
    memset(call, 0, sizeof(*call));
    call->userdata = c->srv->userdata;
    call->uid = c->cred.uid;
    call->gid = c->cred.gid;
    call->pid = c->cred.pid;
    call->g = g;
}

static int run_handler(struct conn *c, const struct bd_ctl_request *req,
                       struct bd_ctl_call *call)
{
    const struct bd_ctl_ops *ops = c->srv->ops;

    switch (req->cmd) {
    case BD_CTL_STATUS:
        return ops->status(call);
    case BD_CTL_SHOW:
        return ops->show(call, req->domains, req->n_domains);
    case BD_CTL_SET:
        return ops->set(call, &req->domain, req->target_kib, req->force);
    case BD_CTL_AUTO:
        return ops->auto_(call, &req->domain);
    case BD_CTL_LIMITS:
        return ops->limits(call, &req->limits);
    case BD_CTL_RELEASE:
        return ops->release(call, req->id);
    case BD_CTL_RELOAD:
        return ops->reload(call);
    case BD_CTL_METRICS:
        return ops->metrics(call);
    case BD_CTL_EXPLAIN:
        if (!ops->explain)
            return bd_ctl_fail(call, -EOPNOTSUPP, "command not supported");
        return ops->explain(call, &req->domain);
    default:
        return bd_ctl_fail(call, -EINVAL, "command not supported");
    }
}

static void dispatch_reserve(struct conn *c, const struct bd_ctl_request *req)
{
    struct bd_ctl_pending *p = calloc(1, sizeof(*p));
    struct bd_ctl_call call;
    int rc;

    if (!p) {
        conn_queue_error(c, "out of memory");
        return;
    }
    p->conn = c;
    p->kib = req->kib;
    p->timeout_ms = req->timeout_ms;
    p->in_handler = true;
    c->pending = p;
    call_init(&call, c, NULL);
    rc = c->srv->ops->reserve(&call, req->kib, req->timeout_ms, req->force,
                              p);
    p->in_handler = false;
    if (p->finished) {
        /* Finished synchronously: whatever rc says, the result stands. */
        c->pending = NULL;
        conn_queue_reserve(c, &p->result);
        free(p);
        return;
    }
    if (rc < 0) {
        c->pending = NULL;
        free(p);
        conn_queue_error(c, call.error[0] ? call.error : strerror(-rc));
        return;
    }
    /* The daemon owns p now; no idle timeout while it works. */
    conn_arm_timer(c, false);
}

static void dispatch(struct conn *c, const struct bd_ctl_request *req)
{
    struct bd_ctl_call call;
    yajl_gen g;
    int rc;

    if (req->cmd == BD_CTL_RESERVE) {
        dispatch_reserve(c, req);
        return;
    }
    g = yajl_gen_alloc(NULL);
    if (!g) {
        conn_queue_error(c, "out of memory");
        return;
    }
    yajl_gen_map_open(g);
    bd_gen_u64(g, "version", BD_PROTO_VERSION);
    bd_gen_bool(g, "ok", true);
    call_init(&call, c, g);
    rc = run_handler(c, req, &call);
    if (rc > 0)
        rc = 0;
    /* Balanced iff closing our map completes the document: any further
     * token is then refused as generation_complete. */
    if (rc == 0 && yajl_gen_map_close(g) == yajl_gen_status_ok &&
        yajl_gen_null(g) == yajl_gen_generation_complete) {
        conn_queue_gen(c, g);
    } else {
        if (rc == 0) {
            /* The handler left the map unbalanced: a daemon bug. */
            slog(c->srv, LOG_ERR, "internal error: bad reply for '%s'",
                 bd_ctl_cmd_name(req->cmd));
            rc = bd_ctl_fail(&call, -EIO, "internal error building the "
                             "reply (see the daemon log)");
        }
        conn_queue_error(c, call.error[0] ? call.error : strerror(-rc));
    }
    yajl_gen_free(g);
}

static void handle_line(struct conn *c, const char *line, size_t len)
{
    struct bd_ctl_request req;
    char err[BD_PROTO_ERR_MAX];
    char msg[BD_PROTO_ERR_MAX];
    int rc;

    rc = bd_proto_parse_request(line, len, &req, err);
    if (rc) {
        clog_once(c, "%s", err);
        conn_queue_error(c, err);
        return;
    }
    if (!c->may_write &&
        !(c->srv->allow_readonly && bd_ctl_cmd_readonly(req.cmd))) {
        if (c->srv->has_gid)
            snprintf(msg, sizeof(msg),
                     "permission denied: '%s' needs root or membership "
                     "in group '%s'", bd_ctl_cmd_name(req.cmd),
                     c->srv->group);
        else
            snprintf(msg, sizeof(msg),
                     "permission denied: '%s' needs root",
                     bd_ctl_cmd_name(req.cmd));
        clog_once(c, "%s", msg);
        conn_queue_error(c, msg);
        return;
    }
    dispatch(c, &req);
}

/* Write what is queued.  Returns 1 when everything is written, 0 when
 * the socket is full, -errno when the client is gone. */
static int conn_flush(struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -errno;
        }
        c->woff += (size_t)n;
        conn_arm_timer(c, true);
    }
    free(c->wbuf);
    c->wbuf = NULL;
    c->wlen = c->woff = 0;
    return 1;
}

/*
 * The last reply of a connection that broke the protocol is written: send
 * EOF, then read and drop what the client still sends until it closes
 * (bounded in bytes and time).  Closing a socket with unread input resets
 * the connection, and a client still sending would then get an error
 * instead of the reply that explains it.  May free c.
 */
static void conn_drain(struct conn *c)
{
    char sink[4096];

    if (!c->draining) {
        c->draining = true;
        shutdown(c->fd, SHUT_WR);
        sd_event_source_set_time_relative(
            c->timer, (c->srv->idle_timeout_ms < DRAIN_MAX_MS
                           ? c->srv->idle_timeout_ms
                           : DRAIN_MAX_MS) * 1000);
        sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
    }
    for (;;) {
        ssize_t n = c->eof ? 0 : recv(c->fd, sink, sizeof(sink),
                                      MSG_DONTWAIT);

        if (n > 0) {
            c->drained += (size_t)n;
            if (c->drained <= DRAIN_MAX_BYTES)
                continue;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            sd_event_source_set_io_events(c->io, EPOLLIN);
            return;
        }
        conn_close(c, true);
        return;
    }
}

/*
 * Do everything that can be done without waiting: write what is queued,
 * handle complete lines, read more.  May free c.
 */
static void conn_run(struct conn *c)
{
    for (;;) {
        char *nl;
        ssize_t n;
        int r;

        if (c->woff < c->wlen) {
            r = conn_flush(c);
            if (r < 0) {
                conn_close(c, true);
                return;
            }
            if (r == 0)
                break;
        }
        if (c->close_after_write) {
            conn_drain(c);
            return;
        }
        if (c->pending)
            break;

        nl = memchr(c->rbuf, '\n', c->rlen);
        if (nl) {
            size_t len = (size_t)(nl - c->rbuf) + 1;
            handle_line(c, c->rbuf, len);
            memmove(c->rbuf, c->rbuf + len, c->rlen - len);
            c->rlen -= len;
            conn_arm_timer(c, !c->pending);
            continue;
        }
        if (c->rlen == sizeof(c->rbuf)) {
            char msg[BD_PROTO_ERR_MAX];
            snprintf(msg, sizeof(msg), "invalid request: longer than %d "
                     "bytes", BD_PROTO_MAX_LINE);
            clog_once(c, "%s; closing", msg);
            conn_queue_error(c, msg);
            c->close_after_write = true;
            c->rlen = 0;
            continue;
        }
        if (c->eof) {
            if (c->rlen == 0) {
                conn_close(c, true);
                return;
            }
            /* A last request without its '\n' still gets its answer. */
            handle_line(c, c->rbuf, c->rlen);
            c->rlen = 0;
            continue;
        }
        n = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen,
                 MSG_DONTWAIT);
        if (n > 0) {
            c->rlen += (size_t)n;
        } else if (n == 0) {
            c->eof = true;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else if (errno != EINTR) {
            conn_close(c, true);
            return;
        }
    }
    conn_update_events(c);
}

static int on_conn_io(sd_event_source *src, int fd, uint32_t revents,
                      void *ud)
{
    struct conn *c = ud;

    (void)src;
    (void)fd;
    if ((revents & (EPOLLHUP | EPOLLERR)) && c->pending) {
        /* Only these are reported while pending: the client is gone. */
        conn_close(c, true);
        return 0;
    }
    conn_run(c);
    return 0;
}

static int on_conn_idle(sd_event_source *src, uint64_t usec, void *ud)
{
    struct conn *c = ud;

    (void)src;
    (void)usec;
    if (c->pending)
        return 0;
    clog_once(c, "idle for %llu ms; closing",
              (unsigned long long)c->srv->idle_timeout_ms);
    conn_close(c, true);
    return 0;
}

/* ---- accepting ---------------------------------------------------------- */

static bool peer_in_group(struct bd_ctl_server *s, int fd,
                          const struct ucred *cred)
{
    gid_t small[64], *groups = small;
    socklen_t len = sizeof(small);
    bool found = false;
    int r;

    if (!s->has_gid)
        return false;
    if (cred->gid == s->gid)
        return true;
    r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
    if (r < 0 && errno == ERANGE && len > sizeof(small)) {
        groups = malloc(len);
        if (!groups)
            return false;
        r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
    }
    if (r == 0) {
        for (size_t i = 0; i < len / sizeof(gid_t); i++)
            if (groups[i] == s->gid)
                found = true;
    }
    if (groups != small)
        free(groups);
    return found;
}

static void refuse_busy(struct bd_ctl_server *s, int fd, const char *msg)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;

    if (g && !bd_proto_gen_error(g, msg) &&
        yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
        /* Best effort: a fresh socket buffer always has room for this. */
        if (send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)len)
            (void)!send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    if (g)
        yajl_gen_free(g);
    if (!s->logged_accept_error)
        slog(s, LOG_WARNING, "%s", msg);
    s->logged_accept_error = true;
    /* Drop a request already sent, so that closing does not reset the
     * connection under the reply (see conn_drain()). */
    shutdown(fd, SHUT_WR);
    {
        char sink[BD_PROTO_MAX_LINE];
        (void)!recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
    }
    close(fd);
}

static int on_retry_accept(sd_event_source *src, uint64_t usec, void *ud)
{
    struct bd_ctl_server *s = ud;

    (void)usec;
    (void)src;
    sd_event_source_set_enabled(s->listen_src, SD_EVENT_ON);
    return 0;
}

/*
 * Whether a new connection from uid may have a slot: root may use all
 * BD_CTL_MAX_CONNECTIONS, everyone else together all but
 * BD_CTL_ROOT_SLOTS of them and each uid at most BD_CTL_MAX_PER_UID, so
 * that no user (read-only or in the control group) can lock root out.
 * Returns 0, or -EBUSY with the reason in msg.
 */
static int slot_check(const struct bd_ctl_server *s, uid_t uid, char *msg,
                      size_t len)
{
    unsigned same = 0, others = 0;

    for (const struct conn *c = s->conns; c; c = c->next) {
        if (c->cred.uid != 0)
            others++;
        if (c->cred.uid == uid)
            same++;
    }
    if (s->n_conns >= BD_CTL_MAX_CONNECTIONS ||
        (uid != 0 && others >= BD_CTL_MAX_CONNECTIONS - BD_CTL_ROOT_SLOTS)) {
        snprintf(msg, len, "too many connections (%d); try again",
                 BD_CTL_MAX_CONNECTIONS);
        return -EBUSY;
    }
    if (uid != 0 && same >= BD_CTL_MAX_PER_UID) {
        snprintf(msg, len, "too many connections from uid %u (%d); close "
                 "some and try again", (unsigned)uid, BD_CTL_MAX_PER_UID);
        return -EBUSY;
    }
    return 0;
}

static int accept_one(struct bd_ctl_server *s)
{
    struct ucred cred;
    struct conn *c;
    socklen_t len;
    char msg[128];
    int fd, r;

    fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return -errno;
    len = sizeof(cred);
    r = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
    if (r < 0) {
        /* Unknown peer: nobody. */
        cred.pid = 0;
        cred.uid = (uid_t)-1;
        cred.gid = (gid_t)-1;
    }
    if (slot_check(s, cred.uid, msg, sizeof(msg))) {
        refuse_busy(s, fd, msg);
        return 0;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return 0;
    }
    c->srv = s;
    c->fd = fd;
    c->cred = cred;
    c->may_write = r == 0 && (c->cred.uid == 0 || c->cred.uid == geteuid() ||
                              peer_in_group(s, fd, &c->cred));
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;

    r = sd_event_add_io(s->e, &c->io, fd, EPOLLIN, on_conn_io, c);
    if (r >= 0)
        r = sd_event_add_time_relative(s->e, &c->timer, CLOCK_MONOTONIC,
                                       s->idle_timeout_ms * 1000, 0,
                                       on_conn_idle, c);
    if (r < 0) {
        slog(s, LOG_ERR, "cannot watch a client connection: %s",
             strerror(-r));
        conn_free(c);
    }
    return 0;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents,
                     void *ud)
{
    struct bd_ctl_server *s = ud;

    (void)fd;
    (void)revents;
    /* A bounded batch, so a flood cannot starve the rest of the loop. */
    for (int i = 0; i < 16; i++) {
        int rc = accept_one(s);
        if (rc == 0 && s->logged_accept_error) {
            /* the episode is over: the next one is logged again */
            s->logged_accept_error = false;
            slog(s, LOG_NOTICE, "accepting connections again");
        }
        if (rc == -EAGAIN || rc == -EWOULDBLOCK)
            break;
        if (rc == -EINTR || rc == -ECONNABORTED)
            continue;
        if (rc < 0) {
            /* Out of fds (or worse): the listening socket stays readable,
             * so pause accepting for a second instead of spinning. */
            if (!s->logged_accept_error)
                slog(s, LOG_ERR, "accept: %s; pausing for 1s",
                     strerror(-rc));
            s->logged_accept_error = true;
            sd_event_source_set_enabled(src, SD_EVENT_OFF);
            if (!s->retry_src)
                sd_event_add_time_relative(s->e, &s->retry_src,
                                           CLOCK_MONOTONIC, 1000000, 0,
                                           on_retry_accept, s);
            else {
                sd_event_source_set_time_relative(s->retry_src, 1000000);
                sd_event_source_set_enabled(s->retry_src, SD_EVENT_ONESHOT);
            }
            break;
        }
    }
    return 0;
}

/* ---- the socket file ---------------------------------------------------- */

static int resolve_group(const char *group, gid_t *gid)
{
    struct group gr, *res = NULL;
    char buf[4096];
    int r;

    r = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
    if (r != 0)
        return -r;
    if (!res)
        return -ENOENT;
    *gid = res->gr_gid;
    return 0;
}

static int apply_access(struct bd_ctl_server *s, bool has_gid, gid_t gid,
                        bool allow_readonly)
{
    mode_t mode = allow_readonly ? 0666 : has_gid ? 0660 : 0600;

    if (has_gid && chown(s->path, (uid_t)-1, gid) < 0)
        return -errno;
    if (chmod(s->path, mode) < 0)
        return -errno;
    return 0;
}

/* Is someone answering on the socket at path? */
static bool socket_alive(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    bool alive;

    if (fd < 0)
        return false;
    alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
            errno == EAGAIN || errno == EINPROGRESS;
    close(fd);
    return alive;
}

static int make_socket(struct bd_ctl_server *s)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    char *dir;
    mode_t old;
    int r;

    if (strlen(s->path) >= sizeof(sa.sun_path)) {
        slog(s, LOG_ERR, "socket path %s is too long (max %zu bytes)",
             s->path, sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);

    dir = strdup(s->path);
    if (!dir)
        return -ENOMEM;
    r = mkdir(dirname(dir), 0755);
    if (r < 0 && errno != EEXIST) {
        r = -errno;
        slog(s, LOG_ERR, "cannot create directory %s: %s", dir, strerror(-r));
        free(dir);
        return r;
    }
    free(dir);

    if (lstat(s->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            slog(s, LOG_ERR, "%s exists and is not a socket; remove it or "
                 "set [control] socket", s->path);
            return -EEXIST;
        }
        if (socket_alive(&sa)) {
            slog(s, LOG_ERR, "%s: another balloond is already answering "
                 "there", s->path);
            return -EADDRINUSE;
        }
        /* Left over from a balloond that died: replace it. */
        if (unlink(s->path) < 0 && errno != ENOENT) {
            r = -errno;
            slog(s, LOG_ERR, "cannot remove stale socket %s: %s", s->path,
                 strerror(-r));
            return r;
        }
    }

    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return -errno;
    /* Never visible with a wider mode than intended, not even briefly. */
    old = umask(0177);
    r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0) {
        r = -errno;
        slog(s, LOG_ERR, "cannot bind %s: %s", s->path, strerror(-r));
        return r;
    }
    r = apply_access(s, s->has_gid, s->gid, s->allow_readonly);
    if (r < 0) {
        slog(s, LOG_ERR, "cannot set owner/mode of %s: %s", s->path,
             strerror(-r));
        unlink(s->path);
        return r;
    }
    if (listen(s->fd, 32) < 0) {
        r = -errno;
        unlink(s->path);
        return r;
    }
    return 0;
}

int bd_ctl_server_new(sd_event *e, const char *path, const char *group,
                      bool allow_readonly, const struct bd_ctl_ops *ops,
                      void *userdata, struct bd_ctl_server **out)
{
    struct bd_ctl_server *s;
    int rc;

    if (!e || !path || !*path || !ops || !out || !ops->status ||
        !ops->show || !ops->set || !ops->auto_ || !ops->limits ||
        !ops->reserve || !ops->release || !ops->reload || !ops->metrics)
        return -EINVAL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->fd = -1;
    s->e = sd_event_ref(e);
    s->ops = ops;
    s->userdata = userdata;
    s->allow_readonly = allow_readonly;
    s->idle_timeout_ms = BD_CTL_IDLE_TIMEOUT_MS;
    s->path = strdup(path);
    if (!s->path) {
        rc = -ENOMEM;
        goto out;
    }
    if (group) {
        s->group = strdup(group);
        if (!s->group) {
            rc = -ENOMEM;
            goto out;
        }
        rc = resolve_group(group, &s->gid);
        if (rc) {
            slog(s, LOG_ERR, "control group '%s' does not exist; create it "
                 "or change [control] group", group);
            goto out;
        }
        s->has_gid = true;
    }
    rc = make_socket(s);
    if (rc)
        goto out;
    rc = sd_event_add_io(e, &s->listen_src, s->fd, EPOLLIN, on_accept, s);
    if (rc < 0) {
        unlink(s->path);
        goto out;
    }
    rc = 0;
    *out = s;

out:
    if (rc) {
        if (s->fd >= 0)
            close(s->fd);
        sd_event_unref(s->e);
        free(s->path);
        free(s->group);
        free(s);
    }
    return rc;
}

void bd_ctl_server_free(struct bd_ctl_server *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_close(s->conns, false);
    sd_event_source_disable_unref(s->listen_src);
    sd_event_source_disable_unref(s->retry_src);
    if (s->fd >= 0) {
        close(s->fd);
        unlink(s->path);
    }
    sd_event_unref(s->e);
    free(s->path);
    free(s->group);
    free(s);
}

int bd_ctl_server_set_access(struct bd_ctl_server *s, const char *group,
                             bool allow_readonly)
{
    gid_t gid = 0;
    char *copy = NULL;
    int rc;

    if (group) {
        rc = resolve_group(group, &gid);
        if (rc) {
            slog(s, LOG_ERR, "control group '%s' does not exist", group);
            return rc;
        }
        copy = strdup(group);
        if (!copy)
            return -ENOMEM;
    }
    rc = apply_access(s, group != NULL, gid, allow_readonly);
    if (rc) {
        slog(s, LOG_ERR, "cannot set owner/mode of %s: %s", s->path,
             strerror(-rc));
        free(copy);
        /* Put the old owner and mode back as far as possible. */
        apply_access(s, s->has_gid, s->gid, s->allow_readonly);
        return rc;
    }
    free(s->group);
    s->group = copy;
    s->has_gid = group != NULL;
    s->gid = gid;
    s->allow_readonly = allow_readonly;
    return 0;
}

void bd_ctl_server_set_idle_timeout(struct bd_ctl_server *s, uint64_t ms)
{
    s->idle_timeout_ms = ms ? ms : 1;
}

unsigned bd_ctl_server_n_connections(const struct bd_ctl_server *s)
{
    return s->n_conns;
}

/* ---- pending reservations ---------------------------------------------- */

void bd_ctl_reserve_finish(struct bd_ctl_pending *p,
                           const struct bd_ctl_reserve_result *r)
{
    struct conn *c;

    if (!p)
        return;
    if (p->in_handler) {
        /* dispatch_reserve() sends it when the handler returns. */
        p->result = *r;
        p->result.error[sizeof(p->result.error) - 1] = '\0';
        p->finished = true;
        return;
    }
    c = p->conn;
    free(p);
    if (!c)
        return;
    c->pending = NULL;
    conn_queue_reserve(c, r);
    conn_arm_timer(c, true);
    /* Written from the event loop (EPOLLOUT), never from here: this runs
     * inside daemon code, which must not be re-entered. */
    conn_update_events(c);
}

uint64_t bd_ctl_pending_kib(const struct bd_ctl_pending *p)
{
    return p->kib;
}

uint64_t bd_ctl_pending_timeout_ms(const struct bd_ctl_pending *p)
{
    return p->timeout_ms;
}

bool bd_ctl_pending_abandoned(const struct bd_ctl_pending *p)
{
    return p->abandoned;
}
