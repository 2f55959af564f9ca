/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * baselines.c - the policies balloond is compared with, as controllers of
 * the simulated host (bench/MODEL.md, v2).
 *
 * Design: each controller sees what the real one sees and nothing more:
 * the hypervisor's figures (bd_sim_dominfo: pages held and target; host
 * free memory) and, for qmemman, the guests' Qubes reports read from
 * their memory/meminfo keys and parsed with the daemon's strict number
 * parser.  squeezed reads no guest report at all (it balances on
 * hypervisor pages only), so its guests' XenServer keys are written but
 * unused.  Targets are set with bd_sim_set_target(), as libxl would.
 *  - static: sets nothing; every VM keeps its boot size.
 *  - squeezed (every 10 s): surplus = free + sum(max(0, actual - dmin)) -
 *    72 MiB; g = clamp(surplus / sum(dmax - dmin), 0, 1); target = dmin +
 *    g (dmax - dmin); while anyone must shrink, growth waits.
 *  - qmemman (on every memory/meminfo write): anchors.md's algorithm, as
 *    in v1, with the used memory the guest last wrote.
 * VM starts (bd_baseline_request()), each its own way:
 *  - static: the start finds the memory free or fails;
 *  - squeezed: reserve_memory: the reservation is kept free by its plan
 *    (surplus less the reservation), which runs every step while a start
 *    waits, shrinks first;
 *  - qmemman: its balloon request: while free < need + 25 MiB, donors
 *    (above pref) give (need + 50 MiB - free) x 1.05 between them in
 *    proportion to what they hold above pref; none to give: it fails at
 *    once, as qmemman does.  Its balancing waits meanwhile (it holds the
 *    lock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "common/xskeys.h"
#include "daemon/policy/guest_stats.h"
#include "sim/sim.h"

#define MIB UINT64_C(1024)
#define SQUEEZED_PERIOD_MS 10000

struct vm {
    uint64_t min_kib, max_kib;
    uint64_t actual_kib, target_kib;
    uint64_t used_kib; /* qmemman: as last reported */
};

struct bd_baseline {
    enum bd_bench_policy pol;
    size_t n;
    struct vm *vm;
    uint64_t *new_target;
    double *pref, *need;
    uint64_t next_ms;
    uint64_t reserved_kib; /* a VM start waiting (squeezed, qmemman) */
};

static uint64_t sub0(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t clampu(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int bd_baseline_new(enum bd_bench_policy pol, const struct bd_trace *t,
                    struct bd_baseline **out)
{
    struct bd_baseline *b;

    if (pol != BP_STATIC && pol != BP_SQUEEZED && pol != BP_QMEMMAN)
        return -EINVAL;
    b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->pol = pol;
    b->n = t->n_vm;
    b->vm = calloc(b->n, sizeof(*b->vm));
    b->new_target = calloc(b->n, sizeof(*b->new_target));
    b->pref = calloc(b->n, sizeof(*b->pref));
    b->need = calloc(b->n, sizeof(*b->need));
    if (!b->vm || !b->new_target || !b->pref || !b->need) {
        bd_baseline_free(b);
        return -ENOMEM;
    }
    for (size_t i = 0; i < b->n; i++) {
        b->vm[i].max_kib = t->max_kib[i];
        b->vm[i].min_kib = bd_bench_min_kib(t->max_kib[i]);
    }
    *out = b;
    return 0;
}

void bd_baseline_free(struct bd_baseline *b)
{
    if (!b)
        return;
    free(b->vm);
    free(b->new_target);
    free(b->pref);
    free(b->need);
    free(b);
}

/* What the hypervisor says (and, for qmemman, the last Qubes report). */
static int look(struct bd_baseline *b, const struct bd_sim *sim,
                uint64_t *free_kib)
{
    struct bd_sim_physinfo pi;

    for (size_t i = 0; i < b->n; i++) {
        struct bd_sim_dominfo di;
        char buf[64];
        const char *why;
        uint64_t used;
        int len;

        if (bd_sim_dominfo(sim, (uint32_t)i + 1, &di) < 0)
            return -ENOENT;
        b->vm[i].actual_kib = di.current_kib;
        b->vm[i].target_kib = di.target_kib;
        if (b->pol != BP_QMEMMAN)
            continue;
        len = bd_sim_xs_read(sim, (uint32_t)i + 1, BD_XS_QUBES_MEMINFO, buf,
                             sizeof(buf));
        if (len > 0 && (size_t)len < sizeof(buf) &&
            bd_stat_parse_num(buf, (size_t)len, b->vm[i].max_kib * 4, &used,
                              &why) == 0)
            b->vm[i].used_kib = used;
    }
    bd_sim_physinfo(sim, &pi);
    *free_kib = pi.free_kib;
    return 0;
}

static void plan_squeezed(struct bd_baseline *b, uint64_t free_kib)
{
    double surplus = (double)free_kib - 72.0 * MIB -
                     (double)b->reserved_kib, range = 0, g;
    bool shrinking = false;

    for (size_t i = 0; i < b->n; i++) {
        surplus += (double)sub0(b->vm[i].actual_kib, b->vm[i].min_kib);
        range += (double)(b->vm[i].max_kib - b->vm[i].min_kib);
    }
    g = range > 0 ? surplus / range : 0;
    g = g < 0 ? 0 : g > 1 ? 1 : g;
    for (size_t i = 0; i < b->n; i++) {
        const struct vm *v = &b->vm[i];
        b->new_target[i] =
            v->min_kib + (uint64_t)(g * (double)(v->max_kib - v->min_kib));
        if (b->new_target[i] < v->actual_kib)
            shrinking = true;
    }
    if (shrinking)
        for (size_t i = 0; i < b->n; i++)
            if (b->new_target[i] > b->vm[i].target_kib)
                b->new_target[i] = b->vm[i].target_kib;
}

/* Enough free memory: pref plus a share of the surplus in proportion to
 * pref (x 0.999), capped at max, the overflow re-split. */
static void qm_surplus(struct bd_baseline *b, double avail, double sum_pref)
{
    double left = 0, *tg = b->need;
    size_t acceptors = 0;

    for (size_t i = 0; i < b->n; i++) {
        double t = 0.999 * (b->pref[i] + b->pref[i] / sum_pref * avail);
        if (t > (double)b->vm[i].max_kib) {
            left += t - (double)b->vm[i].max_kib;
            t = (double)b->vm[i].max_kib;
        } else {
            acceptors++;
        }
        tg[i] = t;
    }
    for (int rounds = 0; left > 1 && acceptors > 0 && rounds < 10; rounds++) {
        double share = left / (double)acceptors;
        left = 0;
        acceptors = 0;
        for (size_t i = 0; i < b->n; i++) {
            if (tg[i] >= (double)b->vm[i].max_kib)
                continue;
            tg[i] += share;
            if (tg[i] > (double)b->vm[i].max_kib) {
                left += tg[i] - (double)b->vm[i].max_kib;
                tg[i] = (double)b->vm[i].max_kib;
            } else {
                acceptors++;
            }
        }
    }
    for (size_t i = 0; i < b->n; i++)
        b->new_target[i] = (uint64_t)tg[i];
}

/* Short: donors drop to pref (unless < 10 MiB away), acceptors split
 * what is free now in proportion to pref. */
static void qm_short(struct bd_baseline *b, uint64_t free_kib,
                     double sum_pref_acc)
{
    double freenow = (double)free_kib / 1.00781 - 50.0 * MIB;

    for (size_t i = 0; i < b->n; i++) {
        const struct vm *v = &b->vm[i];
        double mem = (double)(v->actual_kib > v->target_kib ? v->actual_kib
                                                            : v->target_kib);
        double nd = b->pref[i] - mem;
        if (nd < 0 || v->actual_kib >= v->max_kib) {
            if (-nd >= 10.0 * MIB)
                b->new_target[i] = (uint64_t)b->pref[i];
        } else if (freenow > 0 && sum_pref_acc > 0) {
            b->new_target[i] = (uint64_t)((double)v->actual_kib +
                                          b->pref[i] / sum_pref_acc * freenow);
        }
    }
}

static void plan_qmemman(struct bd_baseline *b, uint64_t free_kib)
{
    double xenfree, sum_need = 0, sum_pref = 0, sum_pref_acc = 0;
    double pending = 0, total_change = 0;
    bool significant = false;

    for (size_t i = 0; i < b->n; i++) {
        const struct vm *v = &b->vm[i];
        double mem = (double)(v->actual_kib > v->target_kib ? v->actual_kib
                                                            : v->target_kib);
        double p = (double)v->used_kib * 1.3;

        if (p > (double)v->max_kib)
            p = (double)v->max_kib;
        if (p < 200.0 * MIB)
            p = 200.0 * MIB;
        b->pref[i] = p;
        b->need[i] = p - mem;
        sum_need += b->need[i];
        sum_pref += p;
        if (b->need[i] > 0 && v->actual_kib < v->max_kib)
            sum_pref_acc += p;
        pending += (double)sub0(v->target_kib, v->actual_kib);
        b->new_target[i] = v->target_kib;
    }
    xenfree = (double)free_kib / 1.00781 - pending - 50.0 * MIB;
    if (xenfree > sum_need)
        qm_surplus(b, xenfree - sum_need, sum_pref);
    else
        qm_short(b, free_kib, sum_pref_acc);
    /* significance: > 150 MiB in all, or a domain below pref gains > 15 MiB */
    for (size_t i = 0; i < b->n; i++) {
        const struct vm *v = &b->vm[i];
        double delta = (double)b->new_target[i] - (double)v->target_kib;
        total_change += delta < 0 ? -delta : delta;
        if ((double)v->actual_kib < b->pref[i] && delta > 15.0 * MIB)
            significant = true;
    }
    if (total_change > 150.0 * MIB)
        significant = true;
    if (!significant)
        for (size_t i = 0; i < b->n; i++)
            b->new_target[i] = b->vm[i].target_kib;
}

static int set_targets(struct bd_baseline *b, struct bd_sim *sim)
{
    for (size_t i = 0; i < b->n; i++) {
        /* Xen refuses a target above static-max; both keep the min */
        uint64_t t = clampu(b->new_target[i], b->vm[i].min_kib,
                            b->vm[i].max_kib);
        if (t == b->vm[i].target_kib)
            continue;
        int rc = bd_sim_set_target(sim, (uint32_t)i + 1, t);
        if (rc)
            return rc;
        b->vm[i].target_kib = t;
    }
    return 0;
}

int bd_baseline_tick(struct bd_baseline *b, struct bd_sim *sim,
                     uint64_t now_ms, bool reports_changed)
{
    uint64_t free_kib;
    int rc;

    if (b->pol == BP_STATIC)
        return 0;
    /* squeezed: on RPC too (a reservation waits); qmemman: its lock is
     * held by the request */
    if (b->pol == BP_SQUEEZED && now_ms < b->next_ms && !b->reserved_kib)
        return 0;
    if (b->pol == BP_QMEMMAN && (!reports_changed || b->reserved_kib))
        return 0;
    b->next_ms = now_ms + SQUEEZED_PERIOD_MS;
    rc = look(b, sim, &free_kib);
    if (rc)
        return rc;
    if (b->pol == BP_SQUEEZED)
        plan_squeezed(b, free_kib);
    else
        plan_qmemman(b, free_kib);
    return set_targets(b, sim);
}

/* qmemman's balloon request, one round: donors above pref give what the
 * start lacks (x 1.05) in proportion to what they hold above it.
 * false: nobody can give enough (qmemman then fails the request). */
static bool qm_request(struct bd_baseline *b, uint64_t free_kib,
                       uint64_t need_kib)
{
    double lack = (double)need_kib + 50.0 * MIB - (double)free_kib;
    double avail = 0, scale;

    plan_qmemman(b, free_kib); /* for pref */
    for (size_t i = 0; i < b->n; i++) {
        const struct vm *v = &b->vm[i];
        b->new_target[i] = v->target_kib;
        if (v->used_kib && (double)v->actual_kib > b->pref[i])
            avail += (double)v->actual_kib - b->pref[i];
    }
    if (avail < lack)
        return false;
    scale = lack / avail * 1.05;
    for (size_t i = 0; i < b->n; i++) {
        const struct vm *v = &b->vm[i];
        double give;
        if (!v->used_kib || (double)v->actual_kib <= b->pref[i])
            continue;
        give = ((double)v->actual_kib - b->pref[i]) * scale;
        if (give > (double)v->actual_kib - b->pref[i])
            give = (double)v->actual_kib - b->pref[i];
        b->new_target[i] = (uint64_t)((double)v->actual_kib - give);
    }
    return true;
}

int bd_baseline_request(struct bd_baseline *b, struct bd_sim *sim,
                        uint64_t need_kib, bool *free_now)
{
    uint64_t free_kib;
    int rc;

    *free_now = false;
    b->reserved_kib = need_kib;
    if (!need_kib)
        return 0;
    rc = look(b, sim, &free_kib);
    if (rc)
        return rc;
    switch (b->pol) {
    case BP_QMEMMAN:
        if (free_kib >= need_kib + 25 * MIB) {
            *free_now = true;
            return 0;
        }
        if (!qm_request(b, free_kib, need_kib)) {
            b->reserved_kib = 0;
            return 1; /* qmemman fails the request at once */
        }
        return set_targets(b, sim);
    case BP_SQUEEZED:
    default:
        *free_now = free_kib >= need_kib;
        return 0;
    }
}
