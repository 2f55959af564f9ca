/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen.c - the real host: libxl for the hypervisor, libxenstore for
 * keys and watches.
 *
 * Design: one libxl context (with a logger that forwards only libxl's
 * warnings and errors to our log) and one xenstore handle of our own for
 * reads and watches.  The xenstore handle's watch pipe (xs_fileno) goes
 * into the daemon's poll loop and is drained with xs_check_watch() until
 * it reports EAGAIN; nothing here blocks except the short synchronous
 * libxl calls.  Never libxl_wait_for_*: they sleep.
 *
 * Targets are written with libxl_set_memory_target(ctx, domid, kib,
 * relative=0, enforce=1), exactly as `xl mem-set`, so that maxmem follows
 * the target and libxl's checks (static-max, dom0 minimum) apply.  libxl
 * subtracts memory/videoram from an absolute target, so we add it back:
 * memory/target ends up holding exactly the value asked for.
 *
 * This is the only file that knows libxl's ERROR_* codes and xenstore's
 * errno conventions; they become -errno here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "common/size.h"
#include "daemon/base/log.h"
#include "daemon/host/host.h"
#include "daemon/policy/guest_stats.h"

struct xen_priv {
    xentoollog_logger logger; /* first: the callbacks get this pointer */
    libxl_ctx *ctx;
    struct xs_handle *xs;
    /* While a target is set, libxl's messages are held back: a domain
     * that vanished meanwhile is not worth an error, and a write that
     * keeps failing must not repeat the same lines every cycle. */
    bool capture;
    char captured[512];
    char last_logged[512];
};

static int xl_errno(int lrc)
{
    switch (lrc) {
    case 0: return 0;
    case ERROR_NOMEM: return -ENOMEM;
    case ERROR_INVAL: return -EINVAL;
    case ERROR_NI: return -ENOSYS;
    case ERROR_DOMAIN_NOTFOUND:
    case ERROR_NOTFOUND:
    case ERROR_DOMAIN_DESTROYED: return -ENOENT;
    case ERROR_LOCK_FAIL: return -EAGAIN;
    case ERROR_TIMEDOUT:
    case ERROR_GUEST_TIMEDOUT: return -ETIMEDOUT;
    case ERROR_NOT_READY: return -EAGAIN;
    case ERROR_ABORTED: return -ECANCELED;
    default: return -EIO;
    }
}

static void bd_xtl_vmessage(struct xentoollog_logger *logger,
                         xentoollog_level level, int errnoval,
                         const char *context, const char *format, va_list al)
{
    struct xen_priv *p = (struct xen_priv *)logger;
    char msg[400];
    int prio;

    if (level < XTL_WARN)
        return;
    prio = level >= XTL_ERROR ? 3 : 4;
    vsnprintf(msg, sizeof(msg), format, al);
    msg[strcspn(msg, "\n")] = '\0';
    if (p->capture) {
        if (!p->captured[0])
            snprintf(p->captured, sizeof(p->captured), "%s%s%s", msg,
                     errnoval >= 0 ? ": " : "",
                     errnoval >= 0 ? strerror(errnoval) : "");
        return;
    }
    if (errnoval >= 0)
        bd_log(prio, "%s: %s: %s", context ? context : "libxl", msg,
               strerror(errnoval));
    else
        bd_log(prio, "%s: %s", context ? context : "libxl", msg);
}

static void bd_xtl_progress(struct xentoollog_logger *logger,
                         const char *context, const char *doing_what,
                         int percent, unsigned long done,
                         unsigned long total)
{
    (void)logger;
    (void)context;
    (void)doing_what;
    (void)percent;
    (void)done;
    (void)total;
}

static void bd_xtl_destroy(struct xentoollog_logger *logger)
{
    (void)logger;
}

static struct xen_priv *P(struct bd_host *h)
{
    return h->priv;
}

static int xen_list_domains(struct bd_host *h, struct bd_host_dom **out,
                            size_t *n)
{
    struct xen_priv *p = P(h);
    libxl_dominfo *info;
    struct bd_host_dom *list;
    int nb = 0;

    *out = NULL;
    *n = 0;
    info = libxl_list_domain(p->ctx, &nb);
    if (!info)
        return -EIO;
    list = calloc(nb > 0 ? (size_t)nb : 1, sizeof(*list));
    if (!list) {
        libxl_dominfo_list_free(info, nb);
        return -ENOMEM;
    }
    for (int i = 0; i < nb; i++) {
        /* The domain's pages as they are: an HVM guest's video RAM is
         * among them and also inside its memory/target (libxl writes the
         * target less videoram; the Linux balloon driver keeps its own
         * pages at target less video RAM and a few hundred KiB, so the
         * domain holds memory/target).  Measured on Xen 4.17 with a PoD
         * HVM guest (tests/e2e s14); subtracting videoram showed it 16
         * MiB short of every target, "clipped", and balloond walked its
         * target down until the guest ran out of memory. */
        uint64_t cur = info[i].current_memkb;

        list[i].domid = info[i].domid;
        list[i].current_kib = cur;
        list[i].hv_max_kib = info[i].max_memkb;
        list[i].dying = info[i].dying;
        list[i].shutdown = info[i].shutdown;
    }
    libxl_dominfo_list_free(info, nb);
    *out = list;
    *n = (size_t)nb;
    return 0;
}

static int xen_physinfo(struct bd_host *h, struct bd_host_phys *out)
{
    libxl_physinfo pi;
    int lrc;

    libxl_physinfo_init(&pi);
    lrc = libxl_get_physinfo(P(h)->ctx, &pi);
    if (lrc == 0) {
        out->total_kib = pi.total_pages * 4;
        out->free_kib = (pi.free_pages + pi.scrub_pages) * 4;
        out->outstanding_kib = pi.outstanding_pages * 4;
    }
    libxl_physinfo_dispose(&pi);
    return xl_errno(lrc);
}

static int xen_domain_name(struct bd_host *h, uint32_t domid, char *buf,
                           size_t len)
{
    char *name = libxl_domid_to_name(P(h)->ctx, domid);

    if (!name)
        return -ENOENT;
    snprintf(buf, len, "%s", name);
    free(name);
    return 0;
}

/* One key, inside transaction t (XBT_NULL: none). */
static int read_in(struct bd_host *h, xs_transaction_t t, uint32_t domid,
                   const char *rel, char *buf, size_t len, size_t *vlen)
{
    char path[BD_HOST_PATH_MAX];
    unsigned int l = 0;
    char *v;

    if (len == 0)
        return -EINVAL;
    snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/%s", domid, rel);
    v = xs_read(P(h)->xs, t, path, &l);
    if (!v)
        return errno == ENOENT || errno == EACCES ? -ENOENT
                                                  : -(errno ? errno : EIO);
    if (l >= len) {
        free(v);
        return -E2BIG;
    }
    memcpy(buf, v, l);
    buf[l] = '\0';
    *vlen = l;
    free(v);
    return 0;
}

static int xen_read_key(struct bd_host *h, uint32_t domid, const char *rel,
                        char *buf, size_t len, size_t *vlen)
{
    return read_in(h, XBT_NULL, domid, rel, buf, len, vlen);
}

/* A busy writer can make every transaction end in EAGAIN: give up after
 * this many and let the caller try again later. */
#define READ_KEYS_TRIES 8

static int xen_read_keys(struct bd_host *h, uint32_t domid,
                         struct bd_host_key *keys, size_t n)
{
    struct xs_handle *xs = P(h)->xs;

    for (int tries = 0; tries < READ_KEYS_TRIES; tries++) {
        xs_transaction_t t = xs_transaction_start(xs);
        int rc = 0;

        if (t == XBT_NULL)
            return -(errno ? errno : EIO);
        for (size_t i = 0; i < n && rc == 0; i++) {
            keys[i].vlen = 0;
            keys[i].rc = read_in(h, t, domid, keys[i].rel, keys[i].buf,
                                 keys[i].len, &keys[i].vlen);
            if (keys[i].rc != -ENOENT && keys[i].rc != -E2BIG)
                rc = keys[i].rc; /* 0 goes on; a real error ends it */
        }
        /* Read-only: ending it normally is how xenstored says whether a
         * write came in between (EAGAIN: read them all again). */
        if (xs_transaction_end(xs, t, rc != 0))
            return rc;
        if (rc != 0)
            return rc;
        if (errno != EAGAIN)
            return -(errno ? errno : EIO);
    }
    return -EAGAIN;
}

static int xen_set_target(struct bd_host *h, uint32_t domid,
                          uint64_t target_kib)
{
    struct xen_priv *p = P(h);
    uint64_t video = 0;
    char buf[32];
    size_t vlen;
    const char *why;
    int lrc;

    if (xen_read_key(h, domid, "memory/videoram", buf, sizeof(buf), &vlen) ==
        0)
        bd_stat_parse_num(buf, vlen, BD_SIZE_MAX_KIB, &video, &why);
    if (target_kib + video > INT64_MAX)
        return -ERANGE;
    p->capture = true;
    p->captured[0] = '\0';
    lrc = libxl_set_memory_target(p->ctx, domid, (int64_t)(target_kib + video),
                                  0, 1);
    p->capture = false;
    if (lrc == ERROR_FAIL) {
        /* libxl says FAIL both for a vanished domain and for real
         * failures: tell them apart. */
        libxl_dominfo info;
        bool gone;
        int r;
        libxl_dominfo_init(&info);
        r = libxl_domain_info(p->ctx, &info, domid);
        gone = r == ERROR_DOMAIN_NOTFOUND || (r == 0 && info.dying);
        libxl_dominfo_dispose(&info);
        if (gone)
            return -ENOENT;
    }
    if (lrc && p->captured[0] && strcmp(p->captured, p->last_logged) != 0) {
        bd_warn("libxl: domain %" PRIu32 ": %s", domid, p->captured);
        snprintf(p->last_logged, sizeof(p->last_logged), "%s", p->captured);
    }
    return xl_errno(lrc);
}

static int xen_watch(struct bd_host *h, const char *path, const char *token)
{
    if (!xs_watch(P(h)->xs, path, token))
        return -(errno ? errno : EIO);
    return 0;
}

static int xen_unwatch(struct bd_host *h, const char *path, const char *token)
{
    if (!xs_unwatch(P(h)->xs, path, token))
        return -(errno ? errno : EIO);
    return 0;
}

static int xen_fd(struct bd_host *h)
{
    return xs_fileno(P(h)->xs);
}

static int xen_next_event(struct bd_host *h, struct bd_host_event *ev)
{
    char **vec;

    errno = 0;
    vec = xs_check_watch(P(h)->xs);
    /* EAGAIN: nothing pending.  A connection xenstored closed is closed
     * by libxenstore's reader thread and then gives EINVAL, without
     * making the watch pipe readable: the loop also drains on its tick
     * to notice it. */
    if (!vec)
        return errno == EAGAIN || errno == 0 ? -EAGAIN : -errno;
    snprintf(ev->path, sizeof(ev->path), "%s", vec[XS_WATCH_PATH]);
    snprintf(ev->token, sizeof(ev->token), "%s", vec[XS_WATCH_TOKEN]);
    free(vec);
    return 0;
}

static int xen_cmdline(struct bd_host *h, char *buf, size_t len)
{
    const libxl_version_info *vi = libxl_get_version_info(P(h)->ctx);

    if (!vi || !vi->commandline)
        return -ENOTSUP;
    snprintf(buf, len, "%s", vi->commandline);
    return 0;
}

static int xen_reconnect(struct bd_host *h)
{
    /* the new ones first: on failure the old handles stay, so that every
     * other call keeps a handle to fail on */
    struct xen_priv *p = P(h);
    struct xs_handle *xs = xs_open(0);
    libxl_ctx *ctx = NULL;
    int lrc;

    if (!xs)
        return -(errno ? errno : EIO);
    /* libxl keeps its own xenstore connection, which target writes go
     * through: it broke with ours */
    lrc = libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, &p->logger);
    if (lrc) {
        xs_close(xs);
        return xl_errno(lrc);
    }
    libxl_ctx_free(p->ctx);
    xs_close(p->xs);
    p->ctx = ctx;
    p->xs = xs;
    return 0;
}

static void xen_destroy(struct bd_host *h)
{
    struct xen_priv *p = P(h);

    if (p) {
        if (p->xs)
            xs_close(p->xs);
        if (p->ctx)
            libxl_ctx_free(p->ctx);
        free(p);
    }
    free(h);
}

static const struct bd_host_ops xen_ops = {
    .name = "xen",
    .list_domains = xen_list_domains,
    .physinfo = xen_physinfo,
    .domain_name = xen_domain_name,
    .read_key = xen_read_key,
    .read_keys = xen_read_keys,
    .set_target = xen_set_target,
    .watch = xen_watch,
    .unwatch = xen_unwatch,
    .fd = xen_fd,
    .next_event = xen_next_event,
    .reconnect = xen_reconnect,
    .step = NULL,
    .xen_cmdline = xen_cmdline,
    .destroy = xen_destroy,
};

int bd_host_xen_open(struct bd_host **out)
{
    struct bd_host *h = calloc(1, sizeof(*h));
    struct xen_priv *p = calloc(1, sizeof(*p));
    int lrc, rc;

    if (!h || !p) {
        rc = -ENOMEM;
        goto fail;
    }
    h->ops = &xen_ops;
    h->priv = p;
    p->logger.vmessage = bd_xtl_vmessage;
    p->logger.progress = bd_xtl_progress;
    p->logger.destroy = bd_xtl_destroy;
    lrc = libxl_ctx_alloc(&p->ctx, LIBXL_VERSION, 0, &p->logger);
    if (lrc) {
        p->ctx = NULL;
        bd_err("cannot open libxl (is this a Xen dom0 with privcmd?)");
        rc = xl_errno(lrc);
        goto fail;
    }
    p->xs = xs_open(0);
    if (!p->xs) {
        rc = -(errno ? errno : EIO);
        bd_err("cannot connect to xenstored: %s", strerror(-rc));
        goto fail;
    }
    *out = h;
    return 0;
fail:
    if (h) {
        h->priv = p;
        xen_destroy(h);
    } else
        free(p);
    return rc;
}
