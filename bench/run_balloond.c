/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run_balloond.c - balloond in the benchmark: the real daemon, nothing
 * else.
 *
 * Design: the model goes to bd_simrun (sim/simrun.h), which runs the
 * daemon's one cycle, bd_cycle(), on the simulated host in virtual time
 * exactly as its event loop would (ticks, kicks on reports, deferred
 * report reads).  The configuration is the default one except reserve =
 * 0, as capacity C is what the guests may have.  The model is stepped in
 * BD_BENCH_STEP_MS steps, as for the baselines.  Here we only advance
 * time sample by sample and look.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "daemon/base/log.h"
#include "daemon/cycle.h"
#include "daemon/reserve.h"
#include "sim/simrun.h"

#define LOOK_MS 5000

/* BENCH_DEBUG=1: every 5 minutes, each guest short of its demand, what
 * the daemon saw of it and why it got its target (stderr). */
static void debug_short(struct bd_simrun *r)
{
    struct bd_sim_physinfo pi;

    bd_sim_physinfo(r->sim, &pi);
    for (size_t i = 0; i < r->d.n_doms; i++) {
        const struct bd_domain *dom = r->d.doms[i];
        struct bd_sim_dominfo di;

        if (bd_sim_dominfo(r->sim, dom->domid, &di) < 0 ||
            di.demand_kib + 64 * 1024 < di.current_kib)
            continue;
        fprintf(stderr,
                "t=%" PRIu64 "s lastcyc=%" PRIu64 " free=%" PRIu64 "M dom%" PRIu32 " d=%" PRIu64
                "M cur=%" PRIu64 "M tgt=%" PRIu64 "M used=%" PRIu64
                "M swap=%" PRIu64 "M psi=%u rep@%" PRIu64 "s chg@%" PRIu64
                "s est=%" PRIu64 "M %s\n",
                r->now_ms / 1000, r->last_cycle_ms, pi.free_kib >> 10, dom->domid,
                di.demand_kib >> 10, di.current_kib >> 10, di.target_kib >> 10,
                dom->stats.used_kib >> 10, dom->stats.swap_used_kib >> 10,
                dom->stats.psi_some_x100, dom->stats.time_ms / 1000,
                dom->track.last_change_ms / 1000, dom->track.est_need_kib >> 10,
                dom->dec.reason);
    }
}

/* BENCH_DEBUG=2: the host's total shortfall against oracle-min's. */
static void debug_total(struct bd_simrun *r)
{
    struct bd_sim_physinfo pi;
    uint64_t sf = 0, need = 0, held = 0, idle = 0;

    bd_sim_physinfo(r->sim, &pi);
    for (size_t i = 0; i < bd_sim_count(r->sim); i++) {
        struct bd_sim_dominfo di;
        uint64_t oh, use, nd, lo;

        bd_sim_dominfo_at(r->sim, i, &di);
        oh = bd_sim_linux_overhead_kib(di.static_max_kib);
        use = di.current_kib > oh ? di.current_kib - oh : 0;
        lo = bd_bench_min_kib(di.static_max_kib);
        nd = di.demand_kib + oh;
        nd = nd < lo ? lo : nd > di.static_max_kib ? di.static_max_kib : nd;
        need += nd;
        held += di.current_kib;
        sf += di.demand_kib > use ? di.demand_kib - use : 0;
        idle += di.current_kib > nd ? di.current_kib - nd : 0;
    }
    fprintf(stderr, "t=%" PRIu64 " short=%" PRIu64 "M bound=%" PRIu64
            "M free=%" PRIu64 "M idle=%" PRIu64 "M\n",
            r->now_ms / 1000, sf >> 10,
            need > pi.total_kib ? (need - pi.total_kib) >> 10 : 0,
            pi.free_kib >> 10, idle >> 10);
}

/* The default configuration but reserve = 0 (capacity C is what the
 * guests may have); the started VMs are left alone, as the baselines
 * leave them.  BENCH_HOST_CONF="start-pool = 0" (lines for [host], '\n'
 * between them) runs it with other settings, e.g. to see what the start
 * pool costs.  NULL on -ENOMEM. */
static char *bench_config(void)
{
    const char *extra = getenv("BENCH_HOST_CONF");
    char *c = NULL;

    if (asprintf(&c, "[host]\nreserve = 0\n%s\n[domain start-*]\n"
                 "mode = ignore\n", extra ? extra : "") < 0)
        return NULL;
    return c;
}

/* One step of the VM starts: a start asks the daemon for what it needs,
 * as `balloonctl create` does (a refusal fails it at once); the VM is
 * built once the reservation is granted, which then goes (the domain
 * holds the memory); a reservation that timed out is a failed start. */
static int daemon_starts(struct bd_simrun *r, struct bd_bench_starts *st)
{
    struct bd_daemon *d = &r->d;
    char err[256];
    uint64_t kib;
    int rc = bd_bench_starts_reap(st, r->sim, r->now_ms);

    if (rc)
        return rc;
    if (bd_bench_start_due(st, r->sim, r->now_ms)) {
        if (bd_res_add(d, st->need_kib, BD_BENCH_START_WAIT_MS, false, NULL,
                       r->now_ms, err, sizeof(err)) < 0) {
            bd_bench_start_fail(st, true);
            return 0;
        }
        st->res_id = d->next_res_id - 1;
        d->hooks->kick(d->hooks_ud);
        return 0;
    }
    if (!st->waiting)
        return 0;
    for (size_t i = 0; i < d->n_res; i++) {
        if (d->res[i].id != st->res_id)
            continue;
        if (!d->res[i].granted)
            return 0;
        rc = bd_bench_start_admit(st, r->sim, r->now_ms, BD_SIM_REP_AGENT);
        bd_res_release(d, st->res_id, &kib);
        return rc;
    }
    bd_bench_start_fail(st, false); /* timed out: given back */
    return 0;
}

int bd_bench_run_balloond(struct bd_sim *sim, struct bd_bench_obs *o,
                          uint64_t end_ms, struct bd_bench_starts *st,
                          struct bd_bench_result *res)
{
    struct bd_simrun r;
    char *conf = bench_config();
    int rc;

    if (!conf) {
        bd_sim_free(sim);
        return -ENOMEM;
    }
    bd_log_level = 3; /* a 30-day run logs thousands of lines */
    rc = bd_simrun_init(&r, sim, conf);
    free(conf);
    if (rc < 0) {
        bd_simrun_dispose(&r);
        return rc;
    }
    r.step_ms = BD_BENCH_STEP_MS;
    bool debug = getenv("BENCH_DEBUG") != NULL;
    while (rc == 0 && bd_sim_now_ms(r.sim) < end_ms) {
        uint64_t left = end_ms - bd_sim_now_ms(r.sim);

        uint64_t look = st->waiting || st->next_ms <= r.now_ms + LOOK_MS
                            ? BD_BENCH_STEP_MS
                            : LOOK_MS;

        rc = bd_simrun_advance(&r, left < look ? left : look);
        if (rc == 0)
            rc = daemon_starts(&r, st);
        if (rc == 0)
            bd_bench_observe(o, r.sim);
        if (debug && (bd_sim_now_ms(r.sim) % 300000 == 60000 ||
                      getenv("BENCH_DEBUG_ALL")))
            debug_short(&r);
        if (getenv("BENCH_DEBUG2"))
            debug_total(&r);
    }
    if (rc == -EPROTO)
        fprintf(stderr, "bench: %s\n", bd_sim_error(r.sim));
    if (rc == 0)
        bd_bench_collect(r.sim, o, res);
    bd_simrun_dispose(&r);
    return rc;
}
