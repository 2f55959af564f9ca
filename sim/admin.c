/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - what an administrator changes in the model from outside the
 * daemon: xl rename, xl mem-max, and a guest whose reporter stops, lies or
 * floods (see sim.h).
 *
 * Design: each change edits one guest and logs the key xenstored would
 * fire a watch on, as the model's own writes do (store.c), so the
 * simulated host turns it into the same event the daemon gets on Xen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

int bd_sim_rename(struct bd_sim *sim, uint32_t domid, const char *name)
{
    struct bd_sim_guest *g = sim ? bd_sim_find(sim, domid) : NULL;
    char *n;

    if (!g)
        return -ENOENT;
    if (!name || !*name)
        return -EINVAL;
    n = strdup(name);
    if (!n)
        return -ENOMEM;
    free(g->name);
    g->name = n;
    g->cfg.name = n;
    bd_sim_log(sim, domid, BD_SIM_XK_NAME);
    return 0;
}

int bd_sim_set_static_max(struct bd_sim *sim, uint32_t domid, uint64_t kib)
{
    struct bd_sim_guest *g = sim ? bd_sim_find(sim, domid) : NULL;

    if (!g)
        return -ENOENT;
    /* libxl_domain_setmaxmem: static-max must stay >= the target */
    if (kib == 0 || kib < g->target_kib || kib < g->current_kib)
        return -EINVAL;
    g->cfg.static_max_kib = kib;
    bd_sim_log(sim, domid, BD_SIM_XK_STATIC_MAX);
    return 0;
}

int bd_sim_set_behaviour(struct bd_sim *sim, uint32_t domid,
                         enum bd_sim_behaviour b, uint64_t report_ms)
{
    struct bd_sim_guest *g = sim ? bd_sim_find(sim, domid) : NULL;

    if (!g)
        return -ENOENT;
    g->cfg.behaviour = b;
    if (report_ms)
        g->cfg.report_ms = report_ms;
    /* a reporter that starts again samples at its next step */
    if (g->next_report_ms > sim->now_ms + g->cfg.report_ms)
        g->next_report_ms = sim->now_ms + g->cfg.report_ms;
    return 0;
}
