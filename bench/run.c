/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.c - one policy at one capacity on the v2 host (bench/MODEL.md).
 *
 * Design: the host is the simulator (sim/sim.h) with one guest per trace
 * VM; nothing here moves memory or decides anything.  A run steps the
 * model in virtual time and lets the policy act on it: the baselines
 * after every BD_BENCH_STEP_MS step (baselines.c), balloond through the
 * daemon's own cycle (run_balloond.c).  Every figure comes from the
 * model's own per-guest counters (shortfall, demand, time short, idle
 * memory, target changes), so all policies are measured alike.
 * oracle-min is not simulated: it is the bound computed per sample.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "sim/sim.h"



const char *const bd_bench_policy_name[BP_COUNT] = {
    "balloond", "static", "squeezed", "qmemman", "oracle-min",
};


/*
 * oracle-min: per sample, VM i needs x_i = clamp(d_i + overhead_i, min_i,
 * max_i) pages to hold its demand; the least shortfall any policy that
 * keeps every VM at or above its min can have is
 * max(0, sum x_i - C) + sum max(0, d_i + overhead_i - max_i).
 */
static void oracle_min(const struct bd_trace *t, uint64_t cap_kib,
                       uint64_t limit_ms, struct bd_bench_result *res)
{
    double sf = 0, dem = 0, step = (double)t->step_s * 1000.0;
    size_t n_s = t->n_samples;

    if (limit_ms && limit_ms / (t->step_s * 1000) < n_s)
        n_s = limit_ms / (t->step_s * 1000);
    for (size_t s = 0; s < n_s; s++) {
        uint64_t sum = 0, over = 0;
        for (size_t i = 0; i < t->n_vm; i++) {
            uint64_t m = t->max_kib[i], d = t->use_kib[s * t->n_vm + i];
            uint64_t need = d + bd_sim_linux_overhead_kib(m);
            sum += bd_bench_oracle_kib(d, m);
            over += need > m ? need - m : 0;
            dem += (double)t->use_kib[s * t->n_vm + i] * step;
        }
        sf += (double)((sum > cap_kib ? sum - cap_kib : 0) + over) * step;
    }
    res->shortfall_gib_h = sf / KIB_MS_PER_GIB_H;
    res->demand_gib_h = dem / KIB_MS_PER_GIB_H;
    res->shortfall_pct = dem > 0 ? 100.0 * sf / dem : 0;
    res->pressured_pct = -1;
    res->low_headroom_pct = -1;
    res->churn_per_vm_h = -1;
    res->idle_gib = -1;
}

/* Which report format each policy's guests use (MODEL.md). */
static int reporter_of(enum bd_bench_policy pol)
{
    switch (pol) {
    case BP_QMEMMAN:
        return BD_SIM_REP_QUBES;
    case BP_SQUEEZED:
        return BD_SIM_REP_XENSERVER;
    default:
        return BD_SIM_REP_AGENT;
    }
}

/* One step of the VM starts under a baseline: ask, make room its way,
 * build the VM once the memory is free, fail it after the wait. */
static int baseline_starts(struct bd_baseline *b, struct bd_sim *sim,
                           struct bd_bench_starts *st, int reporter)
{
    uint64_t now = bd_sim_now_ms(sim);
    bool free_now = false;
    int rc = bd_bench_starts_reap(st, sim, now);

    if (rc)
        return rc;
    bd_bench_start_due(st, sim, now);
    if (!st->waiting)
        return 0;
    rc = bd_baseline_request(b, sim, st->need_kib, &free_now);
    if (rc < 0)
        return rc;
    if (free_now) {
        rc = bd_bench_start_admit(st, sim, now, reporter);
    } else if (rc == 1 || bd_bench_start_expired(st, now)) {
        bd_bench_start_fail(st, rc == 1);
        rc = 0;
    }
    if (!st->waiting)
        bd_baseline_request(b, sim, 0, &free_now);
    return rc;
}

static int run_baseline(struct bd_sim *sim, enum bd_bench_policy pol,
                        struct bd_bench_obs *o, uint64_t end_ms,
                        struct bd_bench_starts *st)
{
    struct bd_baseline *b;
    uint64_t sample_ms = o->t->step_s * 1000;
    int rc = bd_baseline_new(pol, o->t, &b);

    while (rc == 0 && bd_sim_now_ms(sim) < end_ms) {
        const struct bd_sim_change *ch;
        bool changed = false;
        size_t n;

        rc = bd_sim_step(sim, BD_BENCH_STEP_MS);
        if (rc)
            break;
        n = bd_sim_changes(sim, &ch, NULL);
        for (size_t i = 0; i < n && !changed; i++)
            changed = ch[i].key == BD_SIM_XK_QUBES_MEMINFO ||
                      ch[i].key == BD_SIM_XK_XE_MEMINFO_FREE;
        bd_sim_changes_clear(sim);
        rc = bd_baseline_tick(b, sim, bd_sim_now_ms(sim), changed);
        if (rc == 0)
            rc = baseline_starts(b, sim, st, reporter_of(pol));
        if (rc == 0 && (bd_sim_now_ms(sim) % sample_ms == 0 ||
                        bd_sim_now_ms(sim) % 5000 == 0))
            bd_bench_observe(o, sim);
    }
    bd_baseline_free(b);
    return rc;
}

int bd_bench_run(const struct bd_trace *t, enum bd_bench_policy pol,
                 uint64_t capacity_kib, uint64_t limit_ms,
                 struct bd_bench_result *res, struct bd_bench_series *series)
{
    struct bd_bench_obs o = {.t = t, .series = series};
    uint64_t end_ms = t->n_samples * t->step_s * 1000;
    struct bd_bench_starts *st;
    struct bd_sim *sim;
    int rc;

    memset(res, 0, sizeof(*res));
    res->policy = pol;
    res->capacity_kib = capacity_kib;
    if (limit_ms && limit_ms < end_ms)
        end_ms = limit_ms;
    if (pol == BP_ORACLE_MIN) {
        oracle_min(t, capacity_kib, end_ms, res);
        return 0;
    }
    st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    bd_bench_starts_init(st, !t->no_starts);
    rc = bd_bench_sim_new(t, capacity_kib, reporter_of(pol), &sim);
    if (rc)
        goto out;
    if (pol == BP_BALLOOND) {
        rc = bd_bench_run_balloond(sim, &o, end_ms, st, res);
    } else {
        rc = run_baseline(sim, pol, &o, end_ms, st);
        if (rc == -EPROTO)
            fprintf(stderr, "bench: %s\n", bd_sim_error(sim));
        if (rc == 0)
            bd_bench_collect(sim, &o, res);
        bd_sim_free(sim);
    }
    if (rc == 0)
        bd_bench_starts_result(st, res);
out:
    free(st);
    return rc;
}
