/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host_sim.c - the simulated host (--host=sim:SCENARIO, and the benchmark).
 *
 * Design: the deterministic model of sim/sim.h, stepped in the daemon's
 * time: the loop calls step(now) every step_ms and the model advances by
 * the time that passed.  The model logs every key its guests write, every
 * target written and every domain created or destroyed (bd_sim_changes());
 * this file turns that log into the watch events xenstored would send for
 * the paths the daemon watches, so the cost of a step is the number of
 * changes, not the number of domains.  Watches on a domain's keys are kept
 * per domid as a bit mask of the model's keys (a watch on a subtree such
 * as memory/ covers every key below it); other watches (@introduceDomain,
 * @releaseDomain, paths the model does not know) in a short list.  A
 * watch fires once when it is registered, as in xenstore.  The whole
 * daemon, the control socket and balloonctl thus run unchanged on a
 * machine without Xen.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xskeys.h"
#include "daemon/base/log.h"
#include "sim/host_sim.h"
#include "sim/sim.h"

#define SIM_DOMID_SLOTS 0x7ff0  /* highest domid + 1 */
#define SIM_MAX_TOKENS 8
#define SIM_MAX_OTHER 256       /* watches outside the per-domain table */
#define SIM_QUEUE_MAX (1u << 20) /* events queued before a forced rescan */
#define SIM_LIT_MAX 8192

struct sim_watch {
    char path[BD_HOST_PATH_MAX];
    char token[32];
};

/* One queued event: a model key of a domain (key >= 0) or a special. */
struct sim_qev {
    uint32_t domid;
    int32_t key; /* enum bd_sim_xkey, or BD_SIM_CH_INTRODUCE / _RELEASE */
    uint8_t tok;
};

struct sim_priv {
    struct bd_sim *sim;
    uint64_t base_ms;  /* daemon clock at virtual time 0 */
    uint32_t *mask;    /* [domid]: bit k = key k is watched */
    uint8_t *tok;      /* [domid]: token index of those watches */
    char tokens[SIM_MAX_TOKENS][32];
    size_t n_tokens;
    struct sim_watch other[SIM_MAX_OTHER];
    size_t n_other;
    struct sim_qev *q; /* ring of model events */
    size_t q_cap, q_head, q_len;
    struct bd_host_event *lit; /* ring of registration events */
    size_t lit_head, lit_len;
    bool overflow;     /* an event was lost: report a rescan */
    bool broken;       /* bd_host_sim_break(): the connection is gone */
};

static struct sim_priv *P(struct bd_host *h)
{
    return h->priv;
}

/* Keys of the model at or below rel ("" = all). */
static uint32_t keys_below(const char *rel)
{
    size_t l = strlen(rel);
    uint32_t m = 0;

    for (int k = 0; k < BD_SIM_XK_N; k++) {
        const char *p = bd_sim_xkey_path[k];
        if (l == 0 || (strncmp(p, rel, l) == 0 &&
                       (p[l] == '\0' || p[l] == '/')))
            m |= 1u << k;
    }
    return m;
}

static const struct sim_watch *other_match(const struct sim_priv *p,
                                           const char *path)
{
    for (size_t i = 0; i < p->n_other; i++) {
        size_t l = strlen(p->other[i].path);
        if (strncmp(path, p->other[i].path, l) == 0 &&
            (path[l] == '\0' || path[l] == '/'))
            return &p->other[i];
    }
    return NULL;
}

static void queue_lit(struct sim_priv *p, const char *path, const char *token)
{
    struct bd_host_event *ev;

    if (p->lit_len == SIM_LIT_MAX) {
        p->overflow = true;
        return;
    }
    ev = &p->lit[(p->lit_head + p->lit_len) % SIM_LIT_MAX];
    snprintf(ev->path, sizeof(ev->path), "%s", path);
    snprintf(ev->token, sizeof(ev->token), "%s", token);
    p->lit_len++;
}

static void queue_qev(struct sim_priv *p, uint32_t domid, int key, uint8_t tok)
{
    struct sim_qev *e;

    if (p->q_len == p->q_cap) {
        size_t ncap = p->q_cap ? p->q_cap * 2 : 1024;
        struct sim_qev *n;

        if (ncap > SIM_QUEUE_MAX || !(n = malloc(ncap * sizeof(*n)))) {
            p->overflow = true;
            return;
        }
        for (size_t i = 0; i < p->q_len; i++)
            n[i] = p->q[(p->q_head + i) % p->q_cap];
        free(p->q);
        p->q = n;
        p->q_cap = ncap;
        p->q_head = 0;
    }
    e = &p->q[(p->q_head + p->q_len) % p->q_cap];
    e->domid = domid;
    e->key = key;
    e->tok = tok;
    p->q_len++;
}

/* The event of one change, if anybody watches it. */
static void queue_change(struct sim_priv *p, uint32_t domid, int key)
{
    const struct sim_watch *w;
    char path[BD_HOST_PATH_MAX];

    if (key >= 0) {
        if (domid < SIM_DOMID_SLOTS && (p->mask[domid] & (1u << key))) {
            queue_qev(p, domid, key, p->tok[domid]);
            return;
        }
        if (p->n_other == 0)
            return;
        snprintf(path, sizeof(path), BD_XS_DOMAIN_PREFIX "%" PRIu32 "/%s",
                 domid, bd_sim_xkey_path[key]);
    } else {
        snprintf(path, sizeof(path), "%s",
                 key == BD_SIM_CH_INTRODUCE ? BD_XS_INTRODUCE : BD_XS_RELEASE);
    }
    w = other_match(p, path);
    if (w)
        queue_lit(p, path, w->token);
}

/* Turn the model's change log into watch events. */
static void drain_model(struct sim_priv *p)
{
    const struct bd_sim_change *ch;
    bool overflow, intro = false, rel = false;
    size_t n = bd_sim_changes(p->sim, &ch, &overflow);

    for (size_t i = 0; i < n; i++) {
        /* xenstored fires once per domain; the daemon rescans for all */
        if (ch[i].key == BD_SIM_CH_INTRODUCE)
            intro = true;
        else if (ch[i].key == BD_SIM_CH_RELEASE)
            rel = true;
        else
            queue_change(p, ch[i].domid, ch[i].key);
    }
    if (intro)
        queue_change(p, 0, BD_SIM_CH_INTRODUCE);
    if (rel || overflow)
        queue_change(p, 0, BD_SIM_CH_RELEASE);
    if (overflow)
        p->overflow = true;
    bd_sim_changes_clear(p->sim);
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
    drain_model(p);
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
        drain_model(p);
    return rc;
}

static int token_index(struct sim_priv *p, const char *token)
{
    for (size_t i = 0; i < p->n_tokens; i++)
        if (strcmp(p->tokens[i], token) == 0)
            return (int)i;
    if (p->n_tokens == SIM_MAX_TOKENS)
        return -1;
    snprintf(p->tokens[p->n_tokens], sizeof(p->tokens[0]), "%s", token);
    return (int)p->n_tokens++;
}

static int sim_watch(struct bd_host *h, const char *path, const char *token)
{
    struct sim_priv *p = P(h);
    const char *rel;
    uint32_t domid, m = 0;
    int t = -1;

    if (p->broken)
        return -ECONNRESET;
    if (strlen(path) >= BD_HOST_PATH_MAX || strlen(token) >= 32)
        return -EINVAL;
    if (bd_host_split_path(path, &domid, &rel) == 0 &&
        domid < SIM_DOMID_SLOTS && (m = keys_below(rel)) != 0 &&
        (t = token_index(p, token)) >= 0 &&
        (!p->mask[domid] || p->tok[domid] == (uint8_t)t)) {
        p->mask[domid] |= m;
        p->tok[domid] = (uint8_t)t;
    } else {
        if (p->n_other >= SIM_MAX_OTHER)
            return -E2BIG;
        snprintf(p->other[p->n_other].path, BD_HOST_PATH_MAX, "%s", path);
        snprintf(p->other[p->n_other].token, 32, "%s", token);
        p->n_other++;
    }
    /* xenstored fires a new watch once, with its own path. */
    queue_lit(p, path, token);
    return 0;
}

static int sim_unwatch(struct bd_host *h, const char *path, const char *token)
{
    struct sim_priv *p = P(h);
    const char *rel;
    uint32_t domid, m;
    int t;

    for (size_t i = 0; i < p->n_other; i++)
        if (strcmp(p->other[i].path, path) == 0 &&
            strcmp(p->other[i].token, token) == 0) {
            p->other[i] = p->other[--p->n_other];
            return 0;
        }
    if (bd_host_split_path(path, &domid, &rel) < 0 ||
        domid >= SIM_DOMID_SLOTS || (m = keys_below(rel)) == 0 ||
        (t = token_index(p, token)) < 0 || p->tok[domid] != (uint8_t)t ||
        !(p->mask[domid] & m))
        return -ENOENT;
    p->mask[domid] &= ~m;
    return 0;
}

static int sim_fd(struct bd_host *h)
{
    (void)h;
    return -1;
}

static int sim_next_event(struct bd_host *h, struct bd_host_event *ev)
{
    struct sim_priv *p = P(h);
    struct sim_qev *e;

    if (p->broken)
        return -ECONNRESET;
    if (p->overflow) {
        p->overflow = false;
        snprintf(ev->path, sizeof(ev->path), BD_XS_RELEASE);
        snprintf(ev->token, sizeof(ev->token), "overflow");
        return 0;
    }
    if (p->lit_len) {
        *ev = p->lit[p->lit_head];
        p->lit_head = (p->lit_head + 1) % SIM_LIT_MAX;
        p->lit_len--;
        return 0;
    }
    if (p->q_len == 0)
        return -EAGAIN;
    e = &p->q[p->q_head];
    snprintf(ev->path, sizeof(ev->path), BD_XS_DOMAIN_PREFIX "%" PRIu32 "/%s",
             e->domid, bd_sim_xkey_path[e->key]);
    snprintf(ev->token, sizeof(ev->token), "%s", p->tokens[e->tok]);
    p->q_head = (p->q_head + 1) % p->q_cap;
    p->q_len--;
    return 0;
}

/* Every watch and queued event dropped, as a new connection has none. */
static void drop_watches(struct sim_priv *p)
{
    memset(p->mask, 0, SIM_DOMID_SLOTS * sizeof(*p->mask));
    p->n_other = 0;
    p->q_len = p->lit_len = 0;
    p->overflow = false;
}

static int sim_reconnect(struct bd_host *h)
{
    drop_watches(P(h));
    P(h)->broken = false;
    return 0;
}

void bd_host_sim_break(struct bd_host *h)
{
    drop_watches(P(h));
    P(h)->broken = true;
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
        free(p->mask);
        free(p->tok);
        free(p->q);
        free(p->lit);
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
    .reconnect = sim_reconnect,
    .step = sim_step,
    .xen_cmdline = sim_cmdline,
    .destroy = sim_destroy,
};

int bd_host_sim_wrap(struct bd_sim *sim, uint64_t now_ms,
                     struct bd_host **out)
{
    struct bd_host *h = calloc(1, sizeof(*h));
    struct sim_priv *p = calloc(1, sizeof(*p));

    if (!h || !p || !(p->mask = calloc(SIM_DOMID_SLOTS, sizeof(*p->mask))) ||
        !(p->tok = calloc(SIM_DOMID_SLOTS, sizeof(*p->tok))) ||
        !(p->lit = calloc(SIM_LIT_MAX, sizeof(*p->lit)))) {
        if (p) {
            free(p->mask);
            free(p->tok);
        }
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
    /* what existed before anybody watched fires nothing */
    bd_sim_changes_clear(sim);
    *out = h;
    return 0;
}

struct bd_sim *bd_host_sim_release(struct bd_host *h)
{
    struct bd_sim *sim;

    if (!h || !h->priv)
        return NULL;
    sim = P(h)->sim;
    P(h)->sim = NULL; /* sim_destroy frees the rest, not the model */
    sim_destroy(h);
    return sim;
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
