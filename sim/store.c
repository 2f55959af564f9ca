/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store.c - the model's two tables: its guests by domid, and the log of
 * every change the host backend turns into watch events.
 *
 * Design: kept apart from the model's stepping (sim.c) and the guests'
 * reporters (report.c), which both use them, so that those two never call
 * each other in a circle.
 */
#include <stdlib.h>

#include "sim/sim_int.h"

struct bd_sim_guest *bd_sim_find(const struct bd_sim *sim, uint32_t domid)
{
    size_t lo = 0, hi = sim->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sim->g[mid].domid == domid)
            return &sim->g[mid];
        if (sim->g[mid].domid < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void bd_sim_log(struct bd_sim *sim, uint32_t domid, int key)
{
    if (sim->n_log == sim->cap_log) {
        size_t ncap = sim->cap_log ? sim->cap_log * 2 : 256;
        struct bd_sim_change *n;

        if (ncap > BD_SIM_LOG_MAX)
            ncap = BD_SIM_LOG_MAX;
        n = ncap > sim->cap_log ? realloc(sim->log, ncap * sizeof(*n)) : NULL;
        if (!n) {
            sim->log_overflow = true;
            return;
        }
        sim->log = n;
        sim->cap_log = ncap;
    }
    sim->log[sim->n_log].domid = domid;
    sim->log[sim->n_log].key = key;
    sim->n_log++;
}
