/*
 * run_balloond.c - balloond in the benchmark: the real daemon, nothing
 * else.
 *
 * Design: the model goes to bd_simrun (daemon/simrun.h), which runs the
 * daemon's one cycle, bd_cycle(), on the simulated host in virtual time
 * exactly as its event loop would (ticks, kicks on reports, deferred
 * report reads).  The configuration is the default one except reserve =
 * 0, as capacity C is what the guests may have.  The model is stepped in
 * BD_BENCH_STEP_MS steps, as for the baselines.  Here we only advance
 * time sample by sample and look.
 */
#include <errno.h>
#include <stdio.h>

#include "bench/bench.h"
#include "daemon/simrun.h"

#define LOOK_MS 5000

static const char bench_config[] = "[host]\nreserve = 0\n";

int bd_bench_run_balloond(struct bd_sim *sim, struct bd_bench_obs *o,
                          uint64_t end_ms, struct bd_bench_result *res)
{
    struct bd_simrun r;
    int rc;

    bd_log_level = 3; /* a 30-day run logs thousands of lines */
    rc = bd_simrun_init(&r, sim, bench_config);
    if (rc < 0) {
        bd_simrun_dispose(&r);
        return rc;
    }
    r.step_ms = BD_BENCH_STEP_MS;
    while (rc == 0 && bd_sim_now_ms(r.sim) < end_ms) {
        uint64_t left = end_ms - bd_sim_now_ms(r.sim);

        rc = bd_simrun_advance(&r, left < LOOK_MS ? left : LOOK_MS);
        if (rc == 0)
            bd_bench_observe(o, r.sim);
    }
    if (rc == -EPROTO)
        fprintf(stderr, "bench: %s\n", bd_sim_error(r.sim));
    if (rc == 0)
        bd_bench_collect(r.sim, o, res);
    bd_simrun_dispose(&r);
    return rc;
}
