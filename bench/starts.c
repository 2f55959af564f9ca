/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * starts.c - VM starts in the trace run (bench/MODEL.md, "VM starts").
 *
 * Design: a start is asked for every START_EVERY_MS of virtual time (the
 * first after START_FIRST_MS), of a VM sized in turn 512M, 1G, 2G, 4G,
 * that needs its size plus Xen's overhead free to be built.  Each policy
 * admits it its own way (the drivers: run.c for the baselines,
 * run_balloond.c for the daemon's own reservations); here is only what
 * they share: when a start is due, what it needs, the VM created once it
 * is admitted (a sim guest the policies leave alone, demand half its
 * size, gone after START_LIFE_MS), and the figures: starts asked,
 * admitted within START_WAIT_MS, the wait's p50 and p99.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "sim/calibration.h"
#include "sim/sim.h"

#define MIB UINT64_C(1024)
#define START_FIRST_MS (3600 * UINT64_C(1000))
#define START_EVERY_MS (2 * 3600 * UINT64_C(1000))
#define START_LIFE_MS (3600 * UINT64_C(1000))

static const uint64_t sizes_kib[] = {512 * MIB, 1024 * MIB, 2048 * MIB,
                                     4096 * MIB};

void bd_bench_starts_init(struct bd_bench_starts *s, bool on)
{
    memset(s, 0, sizeof(*s));
    s->next_ms = on ? START_FIRST_MS : UINT64_MAX;
}

uint64_t bd_bench_start_need_kib(uint64_t size_kib)
{
    /* libxl_domain_need_memory() for a PV guest of that static-max, as
     * the testbed measured it (bench/calibration.csv) */
    return size_kib + bd_cal_xen_overhead_kib(BD_CAL_PV, size_kib);
}

/* The bound at this moment: every domain's oracle-min need (demand plus
 * its kernel's overhead, within its min and static-max) and the start's
 * need together within the host. */
static bool bound_fits(const struct bd_sim *sim, uint64_t need_kib)
{
    struct bd_sim_physinfo pi;
    struct bd_sim_dominfo di;
    uint64_t sum = need_kib;

    bd_sim_physinfo(sim, &pi);
    for (size_t i = 0; i < bd_sim_count(sim); i++)
        if (!bd_sim_dominfo_at(sim, i, &di))
            sum += bd_bench_oracle_kib(di.demand_kib, di.static_max_kib);
    return sum <= pi.total_kib;
}

bool bd_bench_start_due(struct bd_bench_starts *s, const struct bd_sim *sim,
                        uint64_t now_ms)
{
    if (s->waiting || now_ms < s->next_ms ||
        s->requested >= BD_BENCH_MAX_STARTS || s->n_live >= BD_BENCH_MAX_LIVE)
        return false;
    s->waiting = true;
    s->req_ms = now_ms;
    s->size_kib = sizes_kib[s->requested % (sizeof(sizes_kib) /
                                            sizeof(sizes_kib[0]))];
    s->need_kib = bd_bench_start_need_kib(s->size_kib);
    s->fits = bound_fits(sim, s->need_kib);
    s->fit += s->fits;
    s->requested++;
    s->next_ms = now_ms + START_EVERY_MS;
    return true;
}

bool bd_bench_start_expired(const struct bd_bench_starts *s, uint64_t now_ms)
{
    return s->waiting && now_ms - s->req_ms >= BD_BENCH_START_WAIT_MS;
}

void bd_bench_start_fail(struct bd_bench_starts *s, bool refused)
{
    s->waiting = false;
    if (refused)
        s->refused++;
    if (refused && s->fits)
        s->fit_refused++;
}

int bd_bench_start_admit(struct bd_bench_starts *s, struct bd_sim *sim,
                         uint64_t now_ms, int reporter)
{
    struct bd_sim_guest_cfg g;
    char name[32];
    int rc;

    if (!s->waiting)
        return -EINVAL;
    s->waiting = false;
    snprintf(name, sizeof(name), "start-%u", s->requested);
    bd_sim_guest_cfg_init(&g);
    g.name = name;
    g.static_max_kib = s->size_kib;
    g.boot_kib = s->size_kib;
    g.reporter = (enum bd_sim_reporter)reporter;
    g.overhead_kib = bd_sim_linux_overhead_kib(s->size_kib);
    g.demand.pattern = BD_SIM_CONST;
    g.demand.base_kib = s->size_kib / 2;
    rc = bd_sim_add(sim, &g);
    if (rc == -ENOMEM)
        return 0; /* admitted but not buildable: a failed start */
    if (rc < 0)
        return rc;
    s->live[s->n_live].domid = (uint32_t)rc;
    s->live[s->n_live].end_ms = now_ms + START_LIFE_MS;
    s->n_live++;
    s->wait_ms[s->admitted++] = now_ms - s->req_ms;
    s->fit_admitted += s->fits;
    return 0;
}

int bd_bench_starts_reap(struct bd_bench_starts *s, struct bd_sim *sim,
                         uint64_t now_ms)
{
    for (size_t i = 0; i < s->n_live;) {
        if (now_ms < s->live[i].end_ms) {
            i++;
            continue;
        }
        int rc = bd_sim_remove(sim, s->live[i].domid);
        if (rc < 0 && rc != -ENOENT)
            return rc;
        s->live[i] = s->live[--s->n_live];
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void bd_bench_starts_result(struct bd_bench_starts *s,
                            struct bd_bench_result *res)
{
    res->starts = s->requested - (s->waiting ? 1 : 0);
    res->starts_admitted = s->admitted;
    res->starts_refused = s->refused;
    res->starts_fit = s->fit - (s->waiting && s->fits ? 1 : 0);
    res->starts_fit_admitted = s->fit_admitted;
    res->starts_fit_refused = s->fit_refused;
    res->start_p50_ms = res->start_p99_ms = 0;
    if (!s->admitted)
        return;
    qsort(s->wait_ms, s->admitted, sizeof(s->wait_ms[0]), cmp_u64);
    res->start_p50_ms = s->wait_ms[(s->admitted - 1) / 2];
    res->start_p99_ms = s->wait_ms[(s->admitted * 99 + 99) / 100 - 1];
}
