/*
 * host_sim.c - the simulated host (--host=sim:SCENARIO).
 *
 * Design: the deterministic model of sim/sim.h, stepped in real time: the
 * daemon's loop calls step(now) every step_ms and the model advances by
 * the wall time that passed.  The model has no watches, so this file makes
 * them: after each step it compares what it saw before (domain set, each
 * guest's report keys, each target) and queues the events xenstored would
 * have sent for the paths the daemon watches (a watch fires once when it is
 * registered, as in xenstore).  The whole daemon, the control socket and
 * balloonctl thus run unchanged on a machine without Xen.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "sim/sim.h"

#define SIM_MAX_WATCHES 4096
#define SIM_QUEUE 1024
#define SIM_MAX_SHADOW 1024

struct sim_watch {
    char path[BD_HOST_PATH_MAX];
    char token[32];
};

struct sim_shadow {
    uint32_t domid;
    uint64_t target_kib;
    uint64_t static_max_kib;
    char seq[32];  /* data/balloon/seq as read, or "" */
    char total[32];
};

struct sim_priv {
    struct bd_sim *sim;
    uint64_t base_ms; /* daemon clock at virtual time 0 */
    struct sim_watch *watches;
    size_t n_watches;
    struct bd_host_event queue[SIM_QUEUE];
    size_t q_head, q_len;
    bool overflow;    /* queue overflowed: report a rescan */
    struct sim_shadow shadow[SIM_MAX_SHADOW];
    size_t n_shadow;
    struct sim_shadow next[SIM_MAX_SHADOW]; /* diff()'s scratch */
};

static struct sim_priv *P(struct bd_host *h)
{
    return h->priv;
}

static bool watched(const struct sim_priv *p, const char *path,
                    const char **token)
{
    for (size_t i = 0; i < p->n_watches; i++) {
        size_t l = strlen(p->watches[i].path);
        if (strncmp(path, p->watches[i].path, l) == 0 &&
            (path[l] == '\0' || path[l] == '/')) {
            *token = p->watches[i].token;
            return true;
        }
    }
    return false;
}

static void queue_event(struct sim_priv *p, const char *path)
{
    const char *token;
    struct bd_host_event *ev;

    if (!watched(p, path, &token))
        return;
    if (p->q_len == SIM_QUEUE) {
        p->overflow = true;
        return;
    }
    ev = &p->queue[(p->q_head + p->q_len) % SIM_QUEUE];
    snprintf(ev->path, sizeof(ev->path), "%s", path);
    snprintf(ev->token, sizeof(ev->token), "%s", token);
    p->q_len++;
}

static void read_str(const struct bd_sim *sim, uint32_t domid,
                     const char *key, char *buf, size_t len)
{
    if (bd_sim_xs_read(sim, domid, key, buf, len) < 0)
        buf[0] = '\0';
}

/* Compare the model with what was seen last and queue watch events. */
static void diff(struct sim_priv *p)
{
    struct sim_shadow *next = p->next;
    size_t n = bd_sim_count(p->sim), nn = 0;
    bool introduced = false, released = false;
    char path[BD_HOST_PATH_MAX];

    for (size_t i = 0; i < n && nn < SIM_MAX_SHADOW; i++) {
        struct bd_sim_dominfo di;
        struct sim_shadow *s = &next[nn], *old = NULL;

        if (bd_sim_dominfo_at(p->sim, i, &di) < 0)
            continue;
        memset(s, 0, sizeof(*s));
        s->domid = di.domid;
        s->target_kib = di.target_kib;
        s->static_max_kib = di.static_max_kib;
        read_str(p->sim, di.domid, "data/balloon/seq", s->seq,
                 sizeof(s->seq));
        read_str(p->sim, di.domid, "data/balloon/mem-total", s->total,
                 sizeof(s->total));
        nn++;
        for (size_t j = 0; j < p->n_shadow; j++)
            if (p->shadow[j].domid == di.domid)
                old = &p->shadow[j];
        if (!old) {
            introduced = true;
            continue;
        }
        if (old->target_kib != s->target_kib) {
            snprintf(path, sizeof(path),
                     "/local/domain/%" PRIu32 "/memory/target", di.domid);
            queue_event(p, path);
        }
        if (strcmp(old->seq, s->seq) != 0 ||
            strcmp(old->total, s->total) != 0) {
            snprintf(path, sizeof(path),
                     "/local/domain/%" PRIu32 "/data/balloon/seq", di.domid);
            queue_event(p, path);
        }
    }
    for (size_t j = 0; j < p->n_shadow; j++) {
        bool found = false;
        for (size_t i = 0; i < nn; i++)
            if (next[i].domid == p->shadow[j].domid)
                found = true;
        if (!found)
            released = true;
    }
    memcpy(p->shadow, next, nn * sizeof(*next));
    p->n_shadow = nn;
    if (introduced)
        queue_event(p, "@introduceDomain");
    if (released)
        queue_event(p, "@releaseDomain");
}

static int sim_step(struct bd_host *h, uint64_t now_ms)
{
    struct sim_priv *p = P(h);
    uint64_t vnow = bd_sim_now_ms(p->sim);
    uint64_t want = now_ms > p->base_ms ? now_ms - p->base_ms : 0;
    int rc;

    if (want <= vnow)
        return 0;
    rc = bd_sim_step(p->sim, want - vnow);
    if (rc < 0) {
        bd_err("simulator: %s", bd_sim_error(p->sim));
        return rc;
    }
    diff(p);
    return 0;
}

static int sim_list_domains(struct bd_host *h, struct bd_host_dom **out,
                            size_t *n)
{
    struct sim_priv *p = P(h);
    size_t cnt = bd_sim_count(p->sim), k = 0;
    struct bd_host_dom *list = calloc(cnt ? cnt : 1, sizeof(*list));

    if (!list)
        return -ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        struct bd_sim_dominfo di;
        if (bd_sim_dominfo_at(p->sim, i, &di) < 0)
            continue;
        list[k].domid = di.domid;
        list[k].current_kib = di.current_kib;
        list[k].hv_max_kib = di.target_kib + 1024;
        k++;
    }
    *out = list;
    *n = k;
    return 0;
}

static int sim_physinfo(struct bd_host *h, struct bd_host_phys *out)
{
    struct bd_sim_physinfo pi;

    bd_sim_physinfo(P(h)->sim, &pi);
    out->total_kib = pi.total_kib;
    out->free_kib = pi.free_kib;
    out->outstanding_kib = pi.outstanding_kib;
    return 0;
}

static int sim_domain_name(struct bd_host *h, uint32_t domid, char *buf,
                           size_t len)
{
    struct bd_sim_dominfo di;

    if (bd_sim_dominfo(P(h)->sim, domid, &di) < 0)
        return -ENOENT;
    snprintf(buf, len, "%s", di.name);
    return 0;
}

static int sim_read_key(struct bd_host *h, uint32_t domid, const char *rel,
                        char *buf, size_t len, size_t *vlen)
{
    int r;

    if (len == 0)
        return -EINVAL;
    r = bd_sim_xs_read(P(h)->sim, domid, rel, buf, len);
    if (r < 0)
        return r;
    if ((size_t)r >= len)
        return -E2BIG;
    *vlen = (size_t)r;
    return 0;
}

static int sim_set_target(struct bd_host *h, uint32_t domid,
                          uint64_t target_kib)
{
    struct sim_priv *p = P(h);
    int rc = bd_sim_set_target(p->sim, domid, target_kib);

    if (rc == 0)
        diff(p);
    return rc;
}

static int sim_watch(struct bd_host *h, const char *path, const char *token)
{
    struct sim_priv *p = P(h);
    struct sim_watch *nw;

    if (strlen(path) >= BD_HOST_PATH_MAX || strlen(token) >= 32)
        return -EINVAL;
    if (p->n_watches >= SIM_MAX_WATCHES)
        return -E2BIG;
    nw = realloc(p->watches, (p->n_watches + 1) * sizeof(*nw));
    if (!nw)
        return -ENOMEM;
    p->watches = nw;
    snprintf(nw[p->n_watches].path, BD_HOST_PATH_MAX, "%s", path);
    snprintf(nw[p->n_watches].token, 32, "%s", token);
    p->n_watches++;
    /* xenstored fires a new watch once, with its own path. */
    queue_event(p, path);
    return 0;
}

static int sim_unwatch(struct bd_host *h, const char *path, const char *token)
{
    struct sim_priv *p = P(h);

    for (size_t i = 0; i < p->n_watches; i++)
        if (strcmp(p->watches[i].path, path) == 0 &&
            strcmp(p->watches[i].token, token) == 0) {
            p->watches[i] = p->watches[--p->n_watches];
            return 0;
        }
    return -ENOENT;
}

static int sim_fd(struct bd_host *h)
{
    (void)h;
    return -1;
}

static int sim_next_event(struct bd_host *h, struct bd_host_event *ev)
{
    struct sim_priv *p = P(h);

    if (p->overflow) {
        p->overflow = false;
        snprintf(ev->path, sizeof(ev->path), "@releaseDomain");
        snprintf(ev->token, sizeof(ev->token), "overflow");
        return 0;
    }
    if (p->q_len == 0)
        return -EAGAIN;
    *ev = p->queue[p->q_head];
    p->q_head = (p->q_head + 1) % SIM_QUEUE;
    p->q_len--;
    return 0;
}

static int sim_cmdline(struct bd_host *h, char *buf, size_t len)
{
    (void)h;
    (void)buf;
    (void)len;
    return -ENOTSUP;
}

static void sim_destroy(struct bd_host *h)
{
    struct sim_priv *p = P(h);

    if (p) {
        bd_sim_free(p->sim);
        free(p->watches);
        free(p);
    }
    free(h);
}

static const struct bd_host_ops sim_ops = {
    .name = "sim",
    .list_domains = sim_list_domains,
    .physinfo = sim_physinfo,
    .domain_name = sim_domain_name,
    .read_key = sim_read_key,
    .set_target = sim_set_target,
    .watch = sim_watch,
    .unwatch = sim_unwatch,
    .fd = sim_fd,
    .next_event = sim_next_event,
    .step = sim_step,
    .xen_cmdline = sim_cmdline,
    .destroy = sim_destroy,
};

int bd_host_sim_wrap(struct bd_sim *sim, uint64_t now_ms,
                     struct bd_host **out)
{
    struct bd_host *h = calloc(1, sizeof(*h));
    struct sim_priv *p = calloc(1, sizeof(*p));

    if (!h || !p) {
        free(p);
        free(h);
        bd_sim_free(sim);
        return -ENOMEM;
    }
    p->sim = sim;
    /* The daemon's now_ms is the model's virtual time plus base_ms. */
    p->base_ms = now_ms > bd_sim_now_ms(sim) ? now_ms - bd_sim_now_ms(sim)
                                             : 0;
    h->ops = &sim_ops;
    h->priv = p;
    h->step_ms = 100;
    diff(p);
    *out = h;
    return 0;
}

int bd_host_sim_open(const char *scenario, uint64_t now_ms,
                     struct bd_host **out)
{
    struct bd_sim *sim = NULL;
    int rc = bd_sim_scenario_new(scenario, &sim);

    if (rc < 0)
        return rc;
    return bd_host_sim_wrap(sim, now_ms, out);
}

struct bd_sim *bd_host_sim_model(struct bd_host *h)
{
    return h && h->ops == &sim_ops ? P(h)->sim : NULL;
}
