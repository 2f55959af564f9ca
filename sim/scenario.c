/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scenario.c - the named simulator scenarios (described at the top of
 * sim.h), used by `balloond --host=sim:NAME` and by the simulator tests.
 *
 * Design: a scenario is a function that fills an empty sim; a table maps
 * names to them.  Every scenario starts with a Domain-0 of 1 GiB so that
 * the daemon sees a host shaped like a real one (manage-dom0 defaults to
 * no).  Seeds are fixed per scenario: same name, same run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "sim/sim_int.h"

#define MIB 1024ULL
#define GIB (1024ULL * 1024)

/* The usual guest: cfg defaults plus what every scenario sets.  A guest
 * that needs one more field (a floor, an overhead) sets it on this cfg
 * and goes through add_cfg(). */
static void cfg_of(struct bd_sim_guest_cfg *c, uint32_t domid,
                   const char *name, uint64_t smax, uint64_t boot,
                   enum bd_sim_behaviour b, const struct bd_sim_demand *d)
{
    bd_sim_guest_cfg_init(c);
    c->domid = domid;
    c->name = name;
    c->static_max_kib = smax;
    c->boot_kib = boot;
    c->behaviour = b;
    if (d)
        c->demand = *d;
}

static int add_cfg(struct bd_sim *sim, const struct bd_sim_guest_cfg *c)
{
    int rc = bd_sim_add(sim, c);

    return rc < 0 ? rc : 0;
}

static int add(struct bd_sim *sim, uint32_t domid, const char *name,
               uint64_t smax, uint64_t boot, enum bd_sim_behaviour b,
               const struct bd_sim_demand *d)
{
    struct bd_sim_guest_cfg c;

    cfg_of(&c, domid, name, smax, boot, b, d);
    return add_cfg(sim, &c);
}

static struct bd_sim_demand dconst(uint64_t kib)
{
    struct bd_sim_demand d = {.pattern = BD_SIM_CONST, .base_kib = kib};
    return d;
}

static struct bd_sim_demand dsquare(uint64_t lo, uint64_t hi,
                                    uint64_t period_ms, uint32_t duty,
                                    uint64_t phase_ms)
{
    struct bd_sim_demand d = {.pattern = BD_SIM_SQUARE,
                              .base_kib = lo,
                              .peak_kib = hi,
                              .period_ms = period_ms,
                              .duty_pct = duty,
                              .phase_ms = phase_ms,
                              .noise_pct = 3};
    return d;
}

static int dom0(struct bd_sim *sim)
{
    struct bd_sim_demand d = dconst(600 * MIB);
    return add(sim, 0, "Domain-0", 1 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &d);
}

static int sc_basic(struct bd_sim *sim)
{
    struct bd_sim_demand a = dsquare(500 * MIB, 2500 * MIB, 600000, 40, 0);
    struct bd_sim_demand b = dsquare(400 * MIB, 2000 * MIB, 600000, 40, 200000);
    struct bd_sim_demand c = dsquare(300 * MIB, 1800 * MIB, 600000, 40, 400000);

    return add(sim, 1, "vm-a", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &a) ?:
           add(sim, 2, "vm-b", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &b) ?:
           add(sim, 3, "vm-c", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &c);
}

static int sc_pressure(struct bd_sim *sim)
{
    struct bd_sim_demand r = {.pattern = BD_SIM_RAMP,
                              .base_kib = 400 * MIB,
                              .peak_kib = 3 * GIB,
                              .start_ms = 60000,
                              .ramp_ms = 120000};
    struct bd_sim_demand idle = dconst(300 * MIB);

    return add(sim, 1, "vm-grow", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &r) ?:
           add(sim, 2, "vm-idle1", 4 * GIB, 2 * GIB, BD_SIM_COOPERATIVE,
               &idle) ?:
           add(sim, 3, "vm-idle2", 4 * GIB, 2 * GIB, BD_SIM_COOPERATIVE,
               &idle);
}

static int sc_stuck(struct bd_sim *sim)
{
    struct bd_sim_demand low = dconst(300 * MIB), need = dconst(3584 * MIB);

    return add(sim, 1, "vm-stuck", 4 * GIB, 3 * GIB, BD_SIM_STUCK, &low) ?:
           add(sim, 2, "vm-need", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE,
               &need) ?:
           add(sim, 3, "vm-idle", 4 * GIB, 2 * GIB, BD_SIM_COOPERATIVE, &low);
}

static int sc_hostile(struct bd_sim *sim)
{
    struct bd_sim_demand low = dconst(300 * MIB);
    struct bd_sim_demand a = dsquare(500 * MIB, 2000 * MIB, 300000, 50, 0);
    struct bd_sim_demand b = dsquare(500 * MIB, 2000 * MIB, 300000, 50, 150000);

    return add(sim, 1, "vm-liar", 4 * GIB, 1 * GIB, BD_SIM_HOSTILE, &low) ?:
           add(sim, 2, "vm-garbage", 4 * GIB, 1 * GIB, BD_SIM_GARBAGE,
               &low) ?:
           add(sim, 3, "vm-honest1", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE,
               &a) ?:
           add(sim, 4, "vm-honest2", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &b);
}

static int sc_tight(struct bd_sim *sim)
{
    struct bd_sim_demand d = dconst(3 * GIB);

    return add(sim, 1, "vm-a", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &d)
               ?: add(sim, 2, "vm-b", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &d);
}

static int sc_clip(struct bd_sim *sim)
{
    struct bd_sim_demand want = dconst(2 * GIB), low = dconst(500 * MIB);
    struct bd_sim_demand mid = dsquare(500 * MIB, 2500 * MIB, 600000, 50, 0);

    return add(sim, 1, "vm-clip", 4 * GIB, 1 * GIB, BD_SIM_CLIP_BOOT,
               &want) ?:
           add(sim, 2, "vm-other", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE,
               &mid) ?:
           add(sim, 3, "vm-idle", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &low);
}

static int sc_slow(struct bd_sim *sim)
{
    struct bd_sim_demand a = dsquare(300 * MIB, 3 * GIB, 600000, 50, 0);
    struct bd_sim_demand b = dsquare(300 * MIB, 3 * GIB, 600000, 50, 300000);

    return add(sim, 1, "vm-slow", 4 * GIB, 2 * GIB, BD_SIM_SLOW, &a)
               ?: add(sim, 2, "vm-fast", 4 * GIB, 2 * GIB, BD_SIM_COOPERATIVE,
                      &b);
}

static int sc_refuse(struct bd_sim *sim)
{
    struct bd_sim_demand low = dconst(300 * MIB), need = dconst(3584 * MIB);
    struct bd_sim_guest_cfg c;
    int rc;

    cfg_of(&c, 1, "vm-floor", 4 * GIB, 3 * GIB, BD_SIM_REFUSE_FLOOR, &low);
    c.floor_kib = 1536 * MIB;
    rc = add_cfg(sim, &c);
    if (rc)
        return rc;
    return add(sim, 2, "vm-need", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &need)
               ?: add(sim, 3, "vm-idle", 4 * GIB, 2 * GIB, BD_SIM_COOPERATIVE,
                      &low);
}

static int sc_silent(struct bd_sim *sim)
{
    struct bd_sim_demand low = dconst(800 * MIB);
    struct bd_sim_demand a = dsquare(500 * MIB, 2500 * MIB, 400000, 50, 0);
    struct bd_sim_demand b = dsquare(500 * MIB, 2500 * MIB, 400000, 50, 200000);

    return add(sim, 1, "vm-silent", 4 * GIB, 2 * GIB, BD_SIM_SILENT, &low) ?:
           add(sim, 2, "vm-a", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &a) ?:
           add(sim, 3, "vm-b", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &b);
}

/* churn: every 60 s the oldest churn guest goes and a new one comes. */
struct churn_state {
    uint64_t next_ms;
    unsigned serial;
};

static int churn_one(struct bd_sim *sim, unsigned serial)
{
    struct bd_sim_demand d = dsquare(300 * MIB, (1 + serial % 3) * GIB, 180000,
                                     40, serial * 37000ULL);
    char name[32];
    int rc;

    snprintf(name, sizeof(name), "vm-churn-%u", serial);
    rc = add(sim, BD_SIM_DOMID_AUTO, name, 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE,
             &d);
    /* a host too full to start a guest is part of the scenario */
    return rc == -ENOMEM ? 0 : rc;
}

static int churn_schedule(struct bd_sim *sim)
{
    struct churn_state *st = sim->sched_state;
    size_t i;
    int rc;

    while (sim->now_ms >= st->next_ms) {
        st->next_ms += 60000;
        if (sim->n > 5) {
            /* the oldest non-dom0 guest */
            for (i = 0; i < sim->n; i++)
                if (sim->g[i].domid != 0)
                    break;
            if (i < sim->n) {
                rc = bd_sim_remove(sim, sim->g[i].domid);
                if (rc)
                    return rc;
            }
        }
        rc = churn_one(sim, st->serial++);
        if (rc)
            return rc;
    }
    return 0;
}

static int sc_churn(struct bd_sim *sim)
{
    struct churn_state *st = calloc(1, sizeof(*st));
    unsigned i;
    int rc;

    if (!st)
        return -ENOMEM;
    st->next_ms = 60000;
    sim->sched_state = st;
    sim->schedule = churn_schedule;
    for (i = 0; i < 4; i++) {
        rc = churn_one(sim, st->serial++);
        if (rc)
            return rc;
    }
    return 0;
}

static int sc_mixed(struct bd_sim *sim)
{
    struct bd_sim_demand low = dconst(300 * MIB), want = dconst(2 * GIB);
    struct bd_sim_demand a = dsquare(500 * MIB, 3 * GIB, 600000, 40, 0);
    struct bd_sim_demand b = dsquare(500 * MIB, 3 * GIB, 600000, 40, 300000);
    struct bd_sim_guest_cfg c;
    int rc;

    rc = add(sim, 1, "vm-coop1", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &a) ?:
         add(sim, 2, "vm-coop2", 4 * GIB, 1 * GIB, BD_SIM_COOPERATIVE, &b) ?:
         add(sim, 3, "vm-slow", 4 * GIB, 1 * GIB, BD_SIM_SLOW, &a) ?:
         add(sim, 4, "vm-stuck", 4 * GIB, 2 * GIB, BD_SIM_STUCK, &low) ?:
         add(sim, 5, "vm-clip", 4 * GIB, 1 * GIB, BD_SIM_CLIP_BOOT, &want) ?:
         add(sim, 6, "vm-liar", 4 * GIB, 1 * GIB, BD_SIM_HOSTILE, &low) ?:
         add(sim, 7, "vm-garbage", 4 * GIB, 1 * GIB, BD_SIM_GARBAGE, &low) ?:
         add(sim, 8, "vm-silent", 4 * GIB, 1 * GIB, BD_SIM_SILENT, &low);
    if (rc)
        return rc;
    cfg_of(&c, 9, "vm-floor", 4 * GIB, 2 * GIB, BD_SIM_REFUSE_FLOOR, &low);
    c.floor_kib = 1536 * MIB;
    return add_cfg(sim, &c);
}

struct scenario {
    const char *name;
    uint64_t capacity_kib;
    uint64_t seed;
    int (*fill)(struct bd_sim *sim);
};

/*
 * overhead: Linux guests whose kernels keep part of their memory outside
 * MemTotal (the memmap for all of static-max, 1/64 of it, plus the kernel
 * image), as measured under real Xen.  vm-big (16G static-max, 272M of
 * overhead) holds a steady 1.5G; vm-burst bursts from 0.5 to 3.5G every
 * 10 minutes; 6G for guests.  Only what fits in MemTotal counts as held.
 */
static int sc_overhead(struct bd_sim *sim)
{
    static const struct {
        const char *name;
        uint64_t smax, boot;
    } g[] = {
        {"vm-big", 16 * GIB, 2 * GIB},
        {"vm-burst", 4 * GIB, 2 * GIB},
    };
    struct bd_sim_demand d[2] = {
        dconst(1536 * MIB),
        dsquare(512 * MIB, 3584 * MIB, 10 * 60000, 40, 0),
    };
    for (size_t i = 0; i < 2; i++) {
        struct bd_sim_guest_cfg c;
        int rc;

        cfg_of(&c, (uint32_t)i + 1, g[i].name, g[i].smax, g[i].boot,
               BD_SIM_COOPERATIVE, &d[i]);
        c.overhead_kib = bd_sim_linux_overhead_kib(g[i].smax);
        rc = add_cfg(sim, &c);
        if (rc)
            return rc;
    }
    return 0;
}

static const struct scenario scenarios[] = {
    {"basic", 8 * GIB, 1, sc_basic},   {"pressure", 8 * GIB, 2, sc_pressure},
    {"stuck", 8 * GIB, 3, sc_stuck},   {"hostile", 8 * GIB, 4, sc_hostile},
    {"tight", 5 * GIB, 5, sc_tight},   {"clip", 8 * GIB, 6, sc_clip},
    {"slow", 8 * GIB, 7, sc_slow},     {"refuse", 8 * GIB, 8, sc_refuse},
    {"silent", 8 * GIB, 9, sc_silent}, {"churn", 16 * GIB, 10, sc_churn},
    {"mixed", 16 * GIB, 11, sc_mixed}, {"overhead", 7 * GIB, 12, sc_overhead},
};

static const char *const scenario_names[] = {
    "basic", "pressure", "stuck",  "hostile", "tight", "clip",
    "slow",  "refuse",   "silent", "churn",   "mixed", "overhead", NULL,
};

const char *const *bd_sim_scenario_names(void)
{
    return scenario_names;
}

int bd_sim_scenario_new(const char *name, struct bd_sim **out)
{
    struct bd_sim *sim = NULL;
    size_t i;
    int rc;

    if (!name || !out)
        return -EINVAL;
    for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        if (!strcmp(scenarios[i].name, name))
            break;
    if (i == sizeof(scenarios) / sizeof(scenarios[0]))
        return -ENOENT;
    rc = bd_sim_new(scenarios[i].capacity_kib, scenarios[i].seed, &sim);
    if (rc)
        return rc;
    rc = dom0(sim);
    if (!rc)
        rc = scenarios[i].fill(sim);
    if (rc) {
        bd_sim_free(sim);
        return rc;
    }
    *out = sim;
    return 0;
}
