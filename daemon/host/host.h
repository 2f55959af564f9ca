/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host.h - the one small interface between balloond and a Xen host.
 *
 * Design: everything balloond needs from the hypervisor and xenstore goes
 * through one ops table, so the daemon runs unchanged against real Xen
 * (xen.c: libxl + libxenstore), against the deterministic simulator
 * (sim/host_sim.c, in balloond-sim and the tests) and against the fake
 * host of the unit tests (tests/fake_host.c).  Every op returns 0 or -errno: libxl's ERROR_* codes and
 * xenstore's errno are translated inside the backend and nowhere else.
 *
 * Sizes are KiB.  A domain's current_kib is comparable with its
 * memory/target: for PV, PVH and HVM guests alike, what the domain holds
 * (an HVM guest's video RAM is inside both).
 *
 * Watches: the backend reports changes below /local/domain/N and the
 * special paths @introduceDomain / @releaseDomain as events read with
 * next_event() until it returns -EAGAIN.  fd() is readable while events
 * are pending (-1 when the backend has no fd: then the loop calls
 * step() from a timer).
 */
#ifndef BD_HOST_H
#define BD_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest value balloond ever reads from xenstore (the protocol's own
 * limit is 4096 bytes); longer values are rejected as hostile. */
#define BD_HOST_VALUE_MAX 4096
#define BD_HOST_PATH_MAX 256
#define BD_DOMAIN_NAME_MAX 128 /* as the control protocol: 127 + NUL */

struct bd_host_dom {
    uint32_t domid;
    uint64_t current_kib;   /* pages held now */
    uint64_t hv_max_kib;    /* hypervisor maxmem */
    bool dying;
    bool shutdown;
};

struct bd_host_phys {
    uint64_t total_kib;
    uint64_t free_kib;        /* free + scrub */
    uint64_t outstanding_kib; /* claims of domains being built */
};

struct bd_host_event {
    char path[BD_HOST_PATH_MAX]; /* full path, truncated when longer */
    char token[32];
};

/* One key of a read_keys() call. */
struct bd_host_key {
    const char *rel; /* below /local/domain/DOMID */
    char *buf;       /* the value, NUL-terminated */
    size_t len;      /* size of buf */
    size_t vlen;     /* out: the value's length */
    int rc;          /* out: 0, -ENOENT or -E2BIG, as read_key() */
};

struct bd_host;

struct bd_host_ops {
    const char *name;
    /* All domains that exist now, sorted by domid; *out is malloc'ed. */
    int (*list_domains)(struct bd_host *h, struct bd_host_dom **out,
                        size_t *n);
    int (*physinfo)(struct bd_host *h, struct bd_host_phys *out);
    /* NUL-terminated name into buf; -ENOENT when the domain is gone. */
    int (*domain_name)(struct bd_host *h, uint32_t domid, char *buf,
                       size_t len);
    /*
     * Read /local/domain/DOMID/REL.  The value (NUL-terminated, may
     * contain any bytes) goes into buf; *vlen gets its length.  -ENOENT
     * when absent, -E2BIG when longer than len - 1 (nothing useful in buf).
     */
    int (*read_key)(struct bd_host *h, uint32_t domid, const char *rel,
                    char *buf, size_t len, size_t *vlen);
    /*
     * Read n keys of one domain as one snapshot: one xenstore transaction,
     * redone while its end says EAGAIN (a writer got in between).  Each
     * key's result is in keys[i].rc; returns 0, or -errno when no snapshot
     * could be taken.  NULL for a host whose keys cannot change between
     * two reads (the simulator): the caller then reads key by key.
     */
    int (*read_keys)(struct bd_host *h, uint32_t domid,
                     struct bd_host_key *keys, size_t n);
    /* Set memory/target as `xl mem-set` would (maxmem follows). */
    int (*set_target)(struct bd_host *h, uint32_t domid, uint64_t target_kib);
    /* Watch a full path (or @introduceDomain, @releaseDomain). */
    int (*watch)(struct bd_host *h, const char *path, const char *token);
    int (*unwatch)(struct bd_host *h, const char *path, const char *token);
    int (*fd)(struct bd_host *h);
    /* 0 and one event, or -EAGAIN when none is pending. */
    int (*next_event)(struct bd_host *h, struct bd_host_event *ev);
    /* A new xenstore connection for one that broke (next_event failed:
     * xenstored restarted): the old one's watches are gone with it, and
     * fd() may change.  0 or -errno.  NULL: the host cannot reconnect. */
    int (*reconnect)(struct bd_host *h);
    /* Advance a simulated host to now_ms (NULL for real hosts). */
    int (*step)(struct bd_host *h, uint64_t now_ms);
    /* The hypervisor's command line into buf (for xl's autoballoon=auto
     * rule); -ENOTSUP when the host has none. */
    int (*xen_cmdline)(struct bd_host *h, char *buf, size_t len);
    void (*destroy)(struct bd_host *h);
};

struct bd_host {
    const struct bd_host_ops *ops;
    void *priv;
    uint64_t step_ms; /* how often step() wants to run, 0 = never */
};

/* The real backend: libxl and libxenstore (xen.c). */
int bd_host_xen_open(struct bd_host **out);
/* The host --host SPEC names: "xen", or "sim:SCENARIO" in a build that
 * links the simulated host (balloond-sim: sim/open.c; balloond's own
 * daemon/host/open.c says -EPROTONOSUPPORT).  0 or -errno. */
int bd_host_open(const char *spec, uint64_t now_ms, struct bd_host **out);
void bd_host_close(struct bd_host *h);

/* "/local/domain/12/memory/target" -> 12 and "memory/target".
 * Returns 0, or -EINVAL for other paths. */
int bd_host_split_path(const char *path, uint32_t *domid, const char **rel);

#endif /* BD_HOST_H */
