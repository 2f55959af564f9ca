/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control.h - balloond's control socket: the server mechanics, and the
 * interface to the daemon that answers the requests.
 *
 * Design: control.c owns everything about the socket (creating it with the
 * right owner and mode, accepting, SO_PEERCRED checks, line framing with a
 * hard 4096-byte cap, per-connection buffers, non-blocking writes, idle
 * timeouts, logging a misbehaving client once) and hands the daemon only
 * requests that common/proto.c has fully validated, as typed arguments.
 * The daemon never sees a file descriptor, a partial line or raw JSON.
 *
 * One request is handled at a time per connection; a client may send
 * several requests in a row on one connection.  Everything runs in the
 * caller's sd-event loop and never blocks it: a slow reader gets its reply
 * buffered and written as the socket allows, a client that sends nothing
 * or reads nothing for BD_CTL_IDLE_TIMEOUT_MS is dropped.
 *
 * Access: root (uid 0), the daemon's own user, and members of `group`
 * (primary or supplementary, via SO_PEERCRED/SO_PEERGROUPS) may send every
 * command; rights are fixed when a connection is accepted.  With
 * allow_readonly, anyone may connect (the socket is then mode 0666) and run
 * the read-only commands (status, show, metrics); otherwise the socket is
 * mode 0660 root:group (0600-ish root:root without a group) and others are
 * refused.  Connection slots are shared out per uid (BD_CTL_MAX_PER_UID,
 * BD_CTL_ROOT_SLOTS) so that root can always connect.
 *
 * A request longer than the cap gets its error reply, then EOF; what the
 * client still sends is read and dropped (bounded) until it closes, so the
 * reply is never lost to a connection reset.
 */
#ifndef BD_CONTROL_H
#define BD_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>
#include <yajl/yajl_gen.h>

#include "common/proto.h"

/* A connection that neither completes a request nor reads its reply for
 * this long is closed (not applied while a reservation is pending). */
#define BD_CTL_IDLE_TIMEOUT_MS 30000
/* More simultaneous connections than this are refused with an error. */
#define BD_CTL_MAX_CONNECTIONS 64
/* Of them, this many are only for root (uid 0): other users together get
 * the rest, each uid at most BD_CTL_MAX_PER_UID, so that no user can lock
 * root's balloonctl out by holding connections open. */
#define BD_CTL_ROOT_SLOTS 4
#define BD_CTL_MAX_PER_UID 16

struct bd_ctl_server;
struct bd_ctl_pending;

/*
 * The context of one synchronous request, passed to every handler.
 *
 *   userdata  the pointer given to bd_ctl_server_new()
 *   uid, gid, pid  the peer (SO_PEERCRED), for log lines
 *   g         the reply generator.  On entry the reply map is open and
 *             "version" and "ok":true are already written: a handler adds
 *             its own "key": value pairs (bd_gen_*() helpers in
 *             common/proto.h) and must leave the map open (do not close
 *             it, do not free g).  On failure whatever was written is
 *             discarded.
 *
 * A handler returns 0 (reply ok:true with what it wrote into g), or a
 * negative errno after setting the message with bd_ctl_fail() (reply
 * ok:false).  A negative return without a message gets strerror(); a
 * positive one counts as 0.
 * The call, g and every argument pointer are valid only during the call.
 */
struct bd_ctl_call {
    void *userdata;
    uid_t uid;
    gid_t gid;
    pid_t pid;
    yajl_gen g;
    char error[BD_PROTO_ERR_MAX]; /* use bd_ctl_fail() */
};

/* Sets call->error from a format (one line; newlines are flattened when the
 * reply is written) and returns rc, so a handler can say
 *     return bd_ctl_fail(call, -ENOENT, "no domain named '%s'", name);
 * rc must be negative. */
int bd_ctl_fail(struct bd_ctl_call *call, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * What the daemon implements.  Every pointer must be set except log and
 * reserve_abandoned.  The reply keys listed are the ones balloonctl reads;
 * handlers may add more.
 */
struct bd_ctl_ops {
    /* Keys: bd_proto_gen_status(). */
    int (*status)(struct bd_ctl_call *call);

    /* Keys: "domains": [bd_proto_gen_domain(), ...] sorted by domid.
     * doms[0..n) as named by the client; n == 0: every domain.  A name or
     * id that matches no domain fails the request ("no domain 'x'"). */
    int (*show)(struct bd_ctl_call *call, const struct bd_ctl_domref *doms,
                size_t n);

    /* Pin the domain's target at target_kib until `auto` (state pinned).
     * Must fail with a clear message, not clamp, when target_kib is outside
     * the domain's [min, max] or more than the host can give while keeping
     * its reserve, and, unless force, when it is below what the guest
     * uses.  Keys: "domain": bd_proto_gen_domain() (after the change). */
    int (*set)(struct bd_ctl_call *call, const struct bd_ctl_domref *dom,
               uint64_t target_kib, bool force);

    /* Drop a pin or an external hold.  Keys: "domain": as for set. */
    int (*auto_)(struct bd_ctl_call *call, const struct bd_ctl_domref *dom);

    /* Runtime limits (see struct bd_ctl_limits_args: validated for type,
     * range and min <= max when both are given; the handler checks them
     * against the domain, e.g. max <= static-max, and the effective pair).
     * Keys: "domain": as for set. */
    int (*limits)(struct bd_ctl_call *call,
                  const struct bd_ctl_limits_args *a);

    /*
     * Free kib of host memory (asynchronous); unless force, only what can
     * be freed without cutting a guest below its use.
     *
     * Return a negative errno (with bd_ctl_fail()) to refuse at once; then
     * p is freed by the server and must not be kept.
     *
     * Return 0 to accept: from then on the daemon owns p and must call
     * bd_ctl_reserve_finish(p, ...) exactly once, when the memory is free
     * (ok) or at the latest when timeout_ms has passed (!ok, with what was
     * achieved).  It may do so before returning.  The daemon runs the
     * timeout itself (it knows what was achieved).  p stays valid until
     * finished, even if the client goes away or the server is freed; only
     * finishing frees it.  Finish every pending reservation on shutdown.
     */
    int (*reserve)(struct bd_ctl_call *call, uint64_t kib,
                   uint64_t timeout_ms, bool force, struct bd_ctl_pending *p);

    /* Optional: the client of a pending reservation disconnected (at most
     * once per p).  The daemon may give up and finish p right here (the
     * reply is then discarded); p is still owned by the daemon. */
    void (*reserve_abandoned)(void *userdata, struct bd_ctl_pending *p);

    /* Release a held reservation.  Keys: "id", "kib". */
    int (*release)(struct bd_ctl_call *call, uint64_t id);

    /* Re-read the configuration (as SIGHUP).  On error the old config stays
     * and the handler fails with the parse errors.  Keys: "config" (path).
     * May call bd_ctl_server_set_access() (not bd_ctl_server_free()). */
    int (*reload)(struct bd_ctl_call *call);

    /* Keys: "text": the Prometheus exposition text (format 0.0.4). */
    int (*metrics)(struct bd_ctl_call *call);

    /* Optional (NULL: "not supported"): why a domain's target is where it
     * is.  Keys: "domain": bd_proto_gen_domain(), "plan": the inputs of
     * the last plan, "history": the last target changes. */
    int (*explain)(struct bd_ctl_call *call, const struct bd_ctl_domref *dom);

    /* Optional: where the server logs (priority as in syslog: LOG_ERR ...,
     * msg is one line without prefix or newline).  NULL: stderr with an
     * sd-daemon "<N>" prefix. */
    void (*log)(void *userdata, int priority, const char *msg);
};

/*
 * Create the socket at path and start serving it in e.
 *
 * An existing socket nobody answers on is replaced; one a live process
 * answers on gives -EADDRINUSE; a non-socket file at path gives -EEXIST.
 * The parent directory is created (0755) if missing.  group (NULL: none)
 * must exist (-ENOENT otherwise).  ops and userdata must outlive the
 * server; path and group are copied.  Returns 0 and *out, or -errno (the
 * reason is logged through ops->log as well).
 */
int bd_ctl_server_new(sd_event *e, const char *path, const char *group,
                      bool allow_readonly, const struct bd_ctl_ops *ops,
                      void *userdata, struct bd_ctl_server **out);

/* Close every connection (pending reservations are detached, not freed:
 * the daemon still finishes them), remove the socket file, free.  NULL is
 * fine.  Must not be called from inside a handler. */
void bd_ctl_server_free(struct bd_ctl_server *s);

/* Change group and allow_readonly on a running server (reload): re-owns and
 * re-modes the socket; existing connections keep their rights.  On error
 * (-ENOENT unknown group, -errno from chown/chmod) the old settings stay.
 * A changed socket path needs a restart. */
int bd_ctl_server_set_access(struct bd_ctl_server *s, const char *group,
                             bool allow_readonly);

/* Tests: a shorter idle timeout (default BD_CTL_IDLE_TIMEOUT_MS). */
void bd_ctl_server_set_idle_timeout(struct bd_ctl_server *s, uint64_t ms);

/* Number of open connections (tests, status). */
unsigned bd_ctl_server_n_connections(const struct bd_ctl_server *s);

/*
 * Complete a pending reservation and free p.  The reply
 * (bd_proto_gen_reserve_reply()) is sent if the client is still connected,
 * otherwise dropped.  r is copied.
 */
void bd_ctl_reserve_finish(struct bd_ctl_pending *p,
                           const struct bd_ctl_reserve_result *r);

/* The request of a pending reservation, and whether its client is gone. */
uint64_t bd_ctl_pending_kib(const struct bd_ctl_pending *p);
uint64_t bd_ctl_pending_timeout_ms(const struct bd_ctl_pending *p);
bool bd_ctl_pending_abandoned(const struct bd_ctl_pending *p);

#endif /* BD_CONTROL_H */
