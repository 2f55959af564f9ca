/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host.c - the v2 host of the benchmark (bench/MODEL.md): the model built
 * from a trace, and the figures read off it.
 *
 * Design: every policy's run (run.c, run_balloond.c, baselines.c) uses
 * these, and they call none of those back, so the benchmark's files call
 * one way.  Nothing here decides anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "sim/sim.h"

uint64_t bd_bench_min_kib(uint64_t max_kib)
{
    return max_kib < BD_BENCH_MIN_KIB ? max_kib : BD_BENCH_MIN_KIB;
}

uint64_t bd_bench_oracle_kib(uint64_t demand_kib, uint64_t max_kib)
{
    uint64_t lo = bd_bench_min_kib(max_kib);
    uint64_t need = demand_kib + bd_sim_linux_overhead_kib(max_kib);

    return need < lo ? lo : need > max_kib ? max_kib : need;
}

int bd_bench_sim_new(const struct bd_trace *t, uint64_t capacity_kib,
                     int rep, struct bd_sim **out)
{
    struct bd_sim *sim;
    uint64_t *col;
    int rc;

    col = malloc(t->n_samples * sizeof(*col));
    if (!col)
        return -ENOMEM;
    rc = bd_sim_new(capacity_kib, 1, &sim);
    for (size_t i = 0; rc == 0 && i < t->n_vm; i++) {
        struct bd_sim_guest_cfg c;
        uint64_t share = capacity_kib / t->n_vm;
        char name[32];

        for (size_t k = 0; k < t->n_samples; k++)
            col[k] = t->use_kib[k * t->n_vm + i];
        snprintf(name, sizeof(name), "vm%" PRIu32, t->vm_id[i]);
        bd_sim_guest_cfg_init(&c);
        c.domid = (uint32_t)i + 1;
        c.name = name;
        c.static_max_kib = t->max_kib[i];
        c.boot_kib = share < t->max_kib[i] ? share : t->max_kib[i];
        c.overhead_kib = bd_sim_linux_overhead_kib(t->max_kib[i]);
        c.speed_kib_s = bd_cal_balloon_kib_s(BD_CAL_PV, true, t->speeds);
        c.shrink_kib_s = bd_cal_balloon_kib_s(BD_CAL_PV, false, t->speeds);
        c.swap_kib = t->max_kib[i];
        c.reporter = (enum bd_sim_reporter)rep;
        c.demand.pattern = BD_SIM_TRACE;
        c.demand.trace_kib = col;
        c.demand.trace_len = t->n_samples;
        c.demand.trace_step_ms = t->step_s * 1000;
        rc = bd_sim_add(sim, &c);
        rc = rc > 0 ? 0 : rc ? rc : -EINVAL;
    }
    free(col);
    if (rc) {
        bd_sim_free(sim);
        return rc;
    }
    *out = sim;
    return 0;
}

void bd_bench_observe(struct bd_bench_obs *o, const struct bd_sim *sim)
{
    const struct bd_trace *t = o->t;
    uint64_t now = bd_sim_now_ms(sim), step_ms = t->step_s * 1000;

    for (size_t i = 0; i < t->n_vm; i++) {
        struct bd_sim_dominfo di;

        if (bd_sim_dominfo(sim, (uint32_t)i + 1, &di) < 0) {
            o->violations++;
            continue;
        }
        if (di.target_kib < bd_bench_min_kib(t->max_kib[i]) ||
            di.target_kib > t->max_kib[i])
            o->violations++;
        if (o->series && now % step_ms == 0 && now / step_ms >= 1 &&
            now / step_ms <= t->n_samples)
            for (size_t j = 0; j < o->series->n_vm; j++)
                if (o->series->vm_idx[j] == i)
                    o->series->alloc_kib[(now / step_ms - 1) *
                                             o->series->n_vm +
                                         j] = di.current_kib;
    }
}

const char *const bd_bench_cause_name[BD_BENCH_CAUSES] = {
    "over-max", "unseen", "waits", "capped", "moving", "not-free"};

void bd_bench_collect(const struct bd_sim *sim, const struct bd_bench_obs *o,
                      struct bd_bench_result *res)
{
    double sf = 0, dem = 0, short_ms = 0, idle = 0, changes = 0, low_ms = 0;
    double vm_ms = (double)bd_sim_now_ms(sim) * (double)o->t->n_vm;

    for (size_t i = 0; i < o->t->n_vm; i++) {
        struct bd_sim_stats st;

        if (bd_sim_dom_stats(sim, (uint32_t)i + 1, &st) < 0)
            continue;
        sf += (double)st.shortfall_kib_ms;
        dem += (double)st.demand_kib_ms;
        short_ms += (double)st.short_ms;
        low_ms += (double)st.low_headroom_ms;
        idle += (double)st.idle_kib_ms;
        changes += (double)st.target_changes;
        const uint64_t c[BD_BENCH_CAUSES] = {
            st.short_over_max_kib_ms, st.short_unseen_kib_ms,
            st.short_waits_kib_ms, st.short_capped_kib_ms,
            st.short_moving_kib_ms, st.short_not_free_kib_ms};
        for (size_t k = 0; k < BD_BENCH_CAUSES; k++)
            res->cause_gib_h[k] += (double)c[k] / KIB_MS_PER_GIB_H;
    }
    res->shortfall_gib_h = sf / KIB_MS_PER_GIB_H;
    res->demand_gib_h = dem / KIB_MS_PER_GIB_H;
    res->shortfall_pct = dem > 0 ? 100.0 * sf / dem : 0;
    res->pressured_pct = vm_ms > 0 ? 100.0 * short_ms / vm_ms : 0;
    res->low_headroom_pct = vm_ms > 0 ? 100.0 * low_ms / vm_ms : 0;
    res->churn_per_vm_h = vm_ms > 0 ? changes / (vm_ms / 3600000.0) : 0;
    res->idle_gib = bd_sim_now_ms(sim)
                        ? idle / (double)bd_sim_now_ms(sim) / 1048576.0
                        : 0;
    res->violations = o->violations;
}
