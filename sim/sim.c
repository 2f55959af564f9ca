/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sim.c - the deterministic host/guest model behind sim.h.
 *
 * Design: guests live in one array kept sorted by domid, so every listing
 * and the growth order (domid order, like Xen's allocator serving whoever
 * asks first) are stable.  Demand noise is a hash of (seed, domid, 60 s
 * bucket) rather than a running PRNG, so the demand a guest sees at a given
 * virtual time does not depend on how the caller slices time into steps.
 * Scenarios are in sim/scenario.c; the only scenario logic here is the
 * optional schedule hook that bd_sim_step() calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "sim/calibration.h"
#include "sim/sim.h"
#include "sim/sim_int.h"

#define MIB 1024ULL
#define DEFAULT_SPEED_KIB_S (200 * MIB)
#define NOISE_BUCKET_MS 60000
/* A guest whose kernel holds memory outside MemTotal keeps at least this
 * much MemTotal: its balloon driver fails to take the last pages (the
 * kernel's own free reserve) rather than leave it nothing. */
#define KERNEL_FREE_KIB (16 * MIB)

uint64_t bd_sim_linux_overhead_kib(uint64_t static_max_kib)
{
    return bd_cal_kernel_overhead_kib(BD_CAL_PV, static_max_kib);
}

void bd_sim_guest_cfg_init(struct bd_sim_guest_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->speed_kib_s = DEFAULT_SPEED_KIB_S;
    cfg->has_psi = true;
    cfg->behaviour = BD_SIM_COOPERATIVE;
    cfg->demand.pattern = BD_SIM_CONST;
    cfg->domid = BD_SIM_DOMID_AUTO;
}

int bd_sim_new(uint64_t capacity_kib, uint64_t seed, struct bd_sim **out)
{
    struct bd_sim *sim;

    if (!out || capacity_kib == 0)
        return -EINVAL;
    sim = calloc(1, sizeof(*sim));
    if (!sim)
        return -ENOMEM;
    sim->capacity_kib = capacity_kib;
    sim->seed = seed;
    sim->next_domid = 1;
    *out = sim;
    return 0;
}

static void guest_dispose(struct bd_sim_guest *g)
{
    free(g->name);
    free(g->trace);
}

void bd_sim_free(struct bd_sim *sim)
{
    size_t i;

    if (!sim)
        return;
    for (i = 0; i < sim->n; i++)
        guest_dispose(&sim->g[i]);
    free(sim->g);
    free(sim->sched_state);
    free(sim->log);
    free(sim);
}

uint64_t bd_sim_used_kib(const struct bd_sim *sim)
{
    uint64_t sum = 0;
    size_t i;

    for (i = 0; i < sim->n; i++)
        sum += sim->g[i].current_kib;
    return sum;
}

static uint64_t free_kib(const struct bd_sim *sim)
{
    uint64_t used = bd_sim_used_kib(sim);

    return used >= sim->capacity_kib ? 0 : sim->capacity_kib - used;
}

/* splitmix64: a good 64-bit mix for hash-based noise. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Integer sine approximation (Bhaskara I), x in [0, 1000) of a period,
 * result in [0, 1000]: (1 + sin) / 2 scaled.  Avoids libm. */
static uint64_t sine_0_1000(uint64_t x)
{
    /* work in degrees 0..359 */
    uint64_t deg = x * 360 / 1000;
    int64_t s; /* sin * 1000 */

    if (deg < 180) {
        int64_t d = (int64_t)deg;
        s = 4000 * d * (180 - d) / (40500 - d * (180 - d));
    } else {
        int64_t d = (int64_t)deg - 180;
        s = -(4000 * d * (180 - d) / (40500 - d * (180 - d)));
    }
    return (uint64_t)((1000 + s) / 2);
}

static uint64_t demand_at(const struct bd_sim *sim,
                          const struct bd_sim_guest *g, uint64_t t)
{
    const struct bd_sim_demand *d = &g->cfg.demand;
    uint64_t v = d->base_kib;
    uint64_t span = d->peak_kib > d->base_kib ? d->peak_kib - d->base_kib : 0;

    switch (d->pattern) {
    case BD_SIM_CONST:
        break;
    case BD_SIM_SQUARE:
        if (d->period_ms) {
            uint64_t ph = (t + d->phase_ms) % d->period_ms;
            if (ph < d->period_ms * d->duty_pct / 100)
                v = d->peak_kib;
        }
        break;
    case BD_SIM_RAMP:
        if (t >= d->start_ms + d->ramp_ms)
            v = d->peak_kib;
        else if (t > d->start_ms && d->ramp_ms)
            v = d->base_kib + span * (t - d->start_ms) / d->ramp_ms;
        break;
    case BD_SIM_SINE:
        if (d->period_ms) {
            uint64_t ph = (t + d->phase_ms) % d->period_ms;
            v = d->base_kib +
                span * sine_0_1000(ph * 1000 / d->period_ms) / 1000;
        }
        break;
    case BD_SIM_TRACE:
        if (g->trace_len && d->trace_step_ms) {
            uint64_t i = t / d->trace_step_ms;
            v = g->trace[i < g->trace_len ? i : g->trace_len - 1];
        }
        break;
    }
    if (d->noise_pct && v) {
        uint64_t h = mix64(sim->seed ^ mix64(((uint64_t)g->domid << 32) ^
                                             (t / NOISE_BUCKET_MS)));
        uint64_t amp = v * (d->noise_pct > 100 ? 100 : d->noise_pct) / 100;
        uint64_t r = amp ? h % (2 * amp + 1) : 0;
        v = v + r >= amp ? v + r - amp : 0;
    }
    return v;
}

int bd_sim_add(struct bd_sim *sim, const struct bd_sim_guest_cfg *cfg)
{
    struct bd_sim_guest g, *arr;
    size_t i, pos;
    uint64_t avail;
    uint32_t domid;

    if (!sim || !cfg || !cfg->name || !*cfg->name || cfg->static_max_kib == 0 ||
        cfg->boot_kib == 0 || cfg->boot_kib > cfg->static_max_kib ||
        (cfg->demand.pattern == BD_SIM_TRACE &&
         (!cfg->demand.trace_kib || !cfg->demand.trace_len ||
          !cfg->demand.trace_step_ms)))
        return -EINVAL;
    domid = cfg->domid == BD_SIM_DOMID_AUTO ? sim->next_domid : cfg->domid;
    if (domid > BD_DOMID_MAX)
        return -EINVAL;
    if (bd_sim_find(sim, domid))
        return -EEXIST;
    avail = free_kib(sim);
    avail = avail > sim->outstanding_kib ? avail - sim->outstanding_kib : 0;
    if (cfg->boot_kib > avail)
        return -ENOMEM;

    memset(&g, 0, sizeof(g));
    g.cfg = *cfg;
    g.domid = domid;
    g.name = strdup(cfg->name);
    if (!g.name)
        return -ENOMEM;
    g.cfg.name = g.name;
    if (!g.cfg.speed_kib_s)
        g.cfg.speed_kib_s = DEFAULT_SPEED_KIB_S;
    if (!g.cfg.report_ms)
        g.cfg.report_ms = bd_sim_reporter_default_ms(g.cfg.reporter);
    if (cfg->demand.pattern == BD_SIM_TRACE) {
        g.trace = malloc(cfg->demand.trace_len * sizeof(*g.trace));
        if (!g.trace) {
            free(g.name);
            return -ENOMEM;
        }
        memcpy(g.trace, cfg->demand.trace_kib,
               cfg->demand.trace_len * sizeof(*g.trace));
        g.trace_len = cfg->demand.trace_len;
        g.cfg.demand.trace_kib = g.trace;
    }
    g.current_kib = cfg->boot_kib;
    g.target_kib = cfg->boot_kib;
    g.next_report_ms = sim->now_ms; /* first report at the next step */
    g.demand_kib = demand_at(sim, &g, sim->now_ms);

    arr = realloc(sim->g, (sim->n + 1) * sizeof(*arr));
    if (!arr) {
        guest_dispose(&g);
        return -ENOMEM;
    }
    sim->g = arr;
    for (pos = 0; pos < sim->n && sim->g[pos].domid < domid; pos++)
        ;
    for (i = sim->n; i > pos; i--)
        sim->g[i] = sim->g[i - 1];
    sim->g[pos] = g;
    sim->n++;
    if (domid >= sim->next_domid)
        sim->next_domid = domid + 1;
    bd_sim_log(sim, domid, BD_SIM_CH_INTRODUCE);
    return (int)domid;
}

int bd_sim_remove(struct bd_sim *sim, uint32_t domid)
{
    struct bd_sim_guest *g = sim ? bd_sim_find(sim, domid) : NULL;
    size_t pos;

    if (!g)
        return -ENOENT;
    pos = (size_t)(g - sim->g);
    guest_dispose(g);
    memmove(&sim->g[pos], &sim->g[pos + 1],
            (sim->n - pos - 1) * sizeof(*sim->g));
    sim->n--;
    bd_sim_log(sim, domid, BD_SIM_CH_RELEASE);
    return 0;
}

int bd_sim_set_target(struct bd_sim *sim, uint32_t domid, uint64_t kib)
{
    struct bd_sim_guest *g = sim ? bd_sim_find(sim, domid) : NULL;

    if (!g)
        return -ENOENT;
    /* libxl: rejects > static-max, and dom0 below 128 MiB */
    if (kib == 0 || kib > g->cfg.static_max_kib || (domid == 0 && kib < 131072))
        return -EINVAL;
    if (kib != g->target_kib) {
        g->stats.target_changes++;
        g->target_ms = sim->now_ms;
    }
    g->target_kib = kib;
    /* xenstored fires the watch on every write, changed or not */
    bd_sim_log(sim, domid, BD_SIM_XK_TARGET);
    return 0;
}

void bd_sim_set_outstanding(struct bd_sim *sim, uint64_t kib)
{
    if (sim)
        sim->outstanding_kib = kib;
}

static uint64_t speed_kib(const struct bd_sim_guest *g, uint64_t dt_ms,
                          bool shrink)
{
    uint64_t s = shrink && g->cfg.shrink_kib_s ? g->cfg.shrink_kib_s
                                               : g->cfg.speed_kib_s;

    if (g->cfg.behaviour == BD_SIM_SLOW)
        s = s / 50 ? s / 50 : 1;
    return s * dt_ms / 1000;
}

/* What the guest's own accounting sees: its pages less what its kernel
 * keeps outside MemTotal. */
static uint64_t usable_kib(const struct bd_sim_guest *g)
{
    return g->current_kib > g->cfg.overhead_kib
               ? g->current_kib - g->cfg.overhead_kib
               : 0;
}

/* Where g's shortfall sh (KiB) comes from, over dt_ms, with free_kib free
 * after this step: the causes of struct bd_sim_stats, in that order. */
static void short_causes(struct bd_sim_guest *g, uint64_t sh, uint64_t free_kib,
                         uint64_t dt_ms)
{
    struct bd_sim_stats *s = &g->stats;
    uint64_t need = g->demand_kib + g->cfg.overhead_kib, over, *to;

    over = need > g->cfg.static_max_kib ? need - g->cfg.static_max_kib : 0;
    over = over < sh ? over : sh;
    s->short_over_max_kib_ms += over * dt_ms;
    sh -= over;
    if (!sh)
        return;
    if (need > g->cfg.static_max_kib)
        need = g->cfg.static_max_kib;
    if (!g->has_report || g->report_ms < g->rise_ms)
        to = &s->short_unseen_kib_ms;
    else if (free_kib < sh)
        to = &s->short_not_free_kib_ms;
    else if (g->target_kib >= need)
        to = &s->short_moving_kib_ms;
    else if (g->target_ms > g->report_ms)
        to = &s->short_capped_kib_ms;
    else
        to = &s->short_waits_kib_ms;
    *to += sh * dt_ms;
}

/* Whether g, with use usable, has less than BD_SIM_HEADROOM_KIB above its
 * demand while free_kib (what is free after this step) and its static-max
 * would have covered the difference. */
static bool low_headroom(const struct bd_sim_guest *g, uint64_t use,
                         uint64_t free_kib)
{
    uint64_t want = g->demand_kib + BD_SIM_HEADROOM_KIB, gap;

    if (use >= want || g->current_kib >= g->cfg.static_max_kib)
        return false;
    gap = want - use;
    if (gap > g->cfg.static_max_kib - g->current_kib)
        gap = g->cfg.static_max_kib - g->current_kib;
    return free_kib >= gap;
}

static int check_invariants(struct bd_sim *sim)
{
    uint64_t used = bd_sim_used_kib(sim);
    size_t i;

    if (used > sim->capacity_kib) {
        snprintf(sim->err, sizeof(sim->err),
                 "t=%" PRIu64 "ms: guests hold %" PRIu64
                 " KiB > capacity %" PRIu64 " KiB",
                 sim->now_ms, used, sim->capacity_kib);
        return -EPROTO;
    }
    for (i = 0; i < sim->n; i++) {
        if (sim->g[i].current_kib > sim->g[i].cfg.static_max_kib) {
            snprintf(sim->err, sizeof(sim->err),
                     "t=%" PRIu64 "ms: dom%" PRIu32 " holds %" PRIu64
                     " KiB > static-max",
                     sim->now_ms, sim->g[i].domid, sim->g[i].current_kib);
            return -EPROTO;
        }
    }
    return 0;
}

int bd_sim_step(struct bd_sim *sim, uint64_t dt_ms)
{
    uint64_t used, avail;
    size_t i;
    int rc;

    if (!sim)
        return -EINVAL;
    if (sim->err[0])
        return -EPROTO;
    sim->now_ms += dt_ms;
    if (sim->schedule) {
        rc = sim->schedule(sim);
        if (rc)
            return rc;
    }
    for (i = 0; i < sim->n; i++) {
        struct bd_sim_guest *g = &sim->g[i];
        uint64_t was = g->demand_kib;
        g->demand_kib = demand_at(sim, g, sim->now_ms);
        /* a program sizing itself to what is available asks no more */
        if (g->cfg.demand.leave_kib &&
            g->demand_kib + g->cfg.demand.leave_kib > usable_kib(g))
            g->demand_kib = usable_kib(g) > g->cfg.demand.leave_kib
                                ? usable_kib(g) - g->cfg.demand.leave_kib
                                : 0;
        if (g->demand_kib > was)
            g->rise_ms = sim->now_ms;
    }

    /* shrinks first: released pages are free for growth in the same step */
    for (i = 0; i < sim->n; i++) {
        struct bd_sim_guest *g = &sim->g[i];
        uint64_t lb = g->target_kib, mv;

        if (g->current_kib <= lb || g->cfg.behaviour == BD_SIM_STUCK)
            continue;
        if (g->cfg.behaviour == BD_SIM_REFUSE_FLOOR && lb < g->cfg.floor_kib)
            lb = g->cfg.floor_kib;
        /* the balloon cannot take what the kernel holds for itself */
        if (g->cfg.overhead_kib && lb < g->cfg.overhead_kib + KERNEL_FREE_KIB)
            lb = g->cfg.overhead_kib + KERNEL_FREE_KIB;
        if (g->current_kib <= lb)
            continue;
        mv = speed_kib(g, dt_ms, true);
        if (mv > g->current_kib - lb)
            mv = g->current_kib - lb;
        g->current_kib -= mv;
    }
    used = bd_sim_used_kib(sim);
    avail = used < sim->capacity_kib ? sim->capacity_kib - used : 0;
    avail = avail > sim->outstanding_kib ? avail - sim->outstanding_kib : 0;
    for (i = 0; i < sim->n; i++) {
        struct bd_sim_guest *g = &sim->g[i];
        uint64_t ub = g->target_kib, mv;

        if (g->cfg.behaviour == BD_SIM_STUCK)
            continue;
        if (g->cfg.behaviour == BD_SIM_CLIP_BOOT && ub > g->cfg.boot_kib)
            ub = g->cfg.boot_kib;
        if (ub > g->cfg.static_max_kib)
            ub = g->cfg.static_max_kib;
        if (g->current_kib >= ub)
            continue;
        mv = speed_kib(g, dt_ms, false);
        if (mv > ub - g->current_kib)
            mv = ub - g->current_kib;
        if (mv > avail)
            mv = avail;
        g->current_kib += mv;
        avail -= mv;
    }

    for (i = 0; i < sim->n; i++) {
        struct bd_sim_guest *g = &sim->g[i];
        uint64_t use = usable_kib(g);
        uint64_t sh = g->demand_kib > use ? g->demand_kib - use : 0;

        g->stats.shortfall_kib_ms += sh * dt_ms;
        g->stats.demand_kib_ms += g->demand_kib * dt_ms;
        if (sh) {
            g->stats.short_ms += dt_ms;
            short_causes(g, sh, avail, dt_ms);
        } else
            g->stats.idle_kib_ms += (use - g->demand_kib) * dt_ms;
        if (low_headroom(g, use, avail))
            g->stats.low_headroom_ms += dt_ms;
        if (g->cfg.behaviour != BD_SIM_SILENT)
            bd_sim_reporter_run(sim, g);
    }
    rc = check_invariants(sim);
    return rc;
}

uint64_t bd_sim_now_ms(const struct bd_sim *sim)
{
    return sim->now_ms;
}

const char *bd_sim_error(const struct bd_sim *sim)
{
    return sim->err;
}

void bd_sim_physinfo(const struct bd_sim *sim, struct bd_sim_physinfo *out)
{
    out->total_kib = sim->capacity_kib;
    out->free_kib = free_kib(sim);
    out->outstanding_kib = sim->outstanding_kib;
}

size_t bd_sim_count(const struct bd_sim *sim)
{
    return sim->n;
}

static void fill_info(const struct bd_sim_guest *g, struct bd_sim_dominfo *o)
{
    o->domid = g->domid;
    o->name = g->name;
    o->current_kib = g->current_kib;
    o->target_kib = g->target_kib;
    o->static_max_kib = g->cfg.static_max_kib;
    o->demand_kib = g->demand_kib;
    o->behaviour = g->cfg.behaviour;
}

int bd_sim_dominfo_at(const struct bd_sim *sim, size_t idx,
                      struct bd_sim_dominfo *out)
{
    if (idx >= sim->n)
        return -ENOENT;
    fill_info(&sim->g[idx], out);
    return 0;
}

int bd_sim_dominfo(const struct bd_sim *sim, uint32_t domid,
                   struct bd_sim_dominfo *out)
{
    const struct bd_sim_guest *g = bd_sim_find(sim, domid);

    if (!g)
        return -ENOENT;
    fill_info(g, out);
    return 0;
}

int bd_sim_report(const struct bd_sim *sim, uint32_t domid,
                  struct bd_sim_report *out)
{
    const struct bd_sim_guest *g = bd_sim_find(sim, domid);

    if (!g || !g->has_report)
        return -ENOENT;
    if (g->cfg.behaviour == BD_SIM_GARBAGE)
        return -EBADMSG;
    *out = g->report;
    return 0;
}

int bd_sim_dom_stats(const struct bd_sim *sim, uint32_t domid,
                     struct bd_sim_stats *out)
{
    const struct bd_sim_guest *g = bd_sim_find(sim, domid);

    if (!g)
        return -ENOENT;
    *out = g->stats;
    return 0;
}

size_t bd_sim_changes(const struct bd_sim *sim,
                      const struct bd_sim_change **list, bool *overflow)
{
    *list = sim->log;
    if (overflow)
        *overflow = sim->log_overflow;
    return sim->n_log;
}

void bd_sim_changes_clear(struct bd_sim *sim)
{
    sim->n_log = 0;
    sim->log_overflow = false;
}
