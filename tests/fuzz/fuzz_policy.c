/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_policy.c - the planner, bd_policy_plan() (daemon/policy/policy.h), fed
 * hostile but in-range snapshots: any parameters the config accepts, any
 * host, one to eight domains with any limits, modes, pins, holds and
 * guest reports (a guest may claim anything up to BD_SIZE_MAX_KIB), over
 * a few successive plans with the caller's tracking state.
 *
 * Invariants (policy.h): every target of a domain not in IGNORE mode is
 * within [min, min(max, static-max)] (min clamped down to that bound); an
 * ignored domain keeps its target; the order lists each write exactly
 * once; and the plan is deterministic: the same snapshot and tracking
 * state give the same decisions, order, totals and new tracking state.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/size.h"
#include "daemon/policy/policy.h"
#include "tests/fuzz/fuzz.h"

#define MAX_DOMS 8
#define GIB (UINT64_C(1024) * 1024)
#define HOUR_MS (UINT64_C(3600) * 1000)

static void read_params(struct fuzz_in *in, struct bd_policy_params *p)
{
    bd_policy_params_default(p);
    if (!fuzz_u64(in, 1))
        return; /* the defaults, half of the time */
    p->reserve_kib = fuzz_range(in, 0, 64 * GIB);
    p->headroom_pct = (uint32_t)fuzz_range(in, 0, 100);
    p->headroom_min_kib = fuzz_range(in, 0, 8 * GIB);
    p->hysteresis_kib = fuzz_range(in, 0, 2 * GIB);
    p->shrink_delay_ms = fuzz_range(in, 0, 24 * HOUR_MS);
    p->shrink_pct = (uint32_t)fuzz_range(in, 1, 100);
    p->stuck_timeout_ms = fuzz_range(in, 1000, HOUR_MS);
    p->stuck_retry_ms = fuzz_range(in, p->stuck_timeout_ms, 2 * HOUR_MS);
    p->stats_max_age_ms = fuzz_range(in, 1000, HOUR_MS);
    p->progress_kib = fuzz_range(in, 0, GIB);
    p->share_spare = fuzz_u64(in, 1) & 1;
    p->decay_interval_ms = fuzz_range(in, 0, 60000);
}

static void read_dom(struct fuzz_in *in, struct bd_dom_input *d, uint32_t i,
                     uint64_t now_ms)
{
    uint64_t smax = fuzz_range(in, 1024, 256 * GIB);
    struct bd_guest_stats *st = &d->stats;

    memset(d, 0, sizeof(*d));
    d->domid = i;
    d->name = "guest";
    d->static_max_kib = smax;
    d->current_kib = fuzz_range(in, 0, smax + GIB);
    d->target_kib = fuzz_range(in, 0, smax);
    d->min_kib = fuzz_range(in, 0, 2 * smax);
    d->max_kib = fuzz_range(in, 1, 2 * smax);
    d->weight = (uint32_t)fuzz_range(in, 1, 10000);
    d->mode = (enum bd_mode)fuzz_range(in, 0, 2);
    d->fixed_kib = fuzz_u64(in, 1) & 1 ? fuzz_range(in, 0, 2 * smax) : 0;
    d->pin_kib = fuzz_u64(in, 1) & 1 ? fuzz_range(in, 1, 2 * smax) : 0;
    d->hold_kib = fuzz_u64(in, 1) & 1 ? fuzz_range(in, 1, 2 * smax) : 0;
    d->has_overhead = fuzz_u64(in, 1) & 1; /* kernel-overhead configured */
    d->overhead_kib = d->has_overhead ? fuzz_range(in, 0, BD_SIZE_MAX_KIB) : 0;
    st->present = fuzz_u64(in, 1) & 1;
    if (!st->present)
        return;
    st->time_ms = fuzz_range(in, 0, now_ms);
    st->used_kib = fuzz_range(in, 0, BD_SIZE_MAX_KIB);
    st->total_kib = fuzz_range(in, 0, BD_SIZE_MAX_KIB);
    st->has_rates = fuzz_u64(in, 1) & 1;
    st->swapin_per_s = (uint32_t)fuzz_range(in, 0, 10000000);
    st->swapout_per_s = (uint32_t)fuzz_range(in, 0, 10000000);
    st->majflt_per_s = (uint32_t)fuzz_range(in, 0, 10000000);
    st->has_psi = fuzz_u64(in, 1) & 1;
    st->psi_some_x100 = (uint32_t)fuzz_range(in, 0, 10000);
    st->swap_used_kib = fuzz_range(in, 0, BD_SIZE_MAX_KIB);
}

static void check_plan(const struct bd_dom_input *doms, size_t n,
                       const struct bd_plan *plan)
{
    size_t writes = 0;

    for (size_t i = 0; i < n; i++) {
        const struct bd_dom_input *d = &doms[i];
        const struct bd_decision *dec = &plan->dec[i];
        uint64_t hi = d->max_kib < d->static_max_kib ? d->max_kib
                                                     : d->static_max_kib;
        uint64_t lo = d->min_kib < hi ? d->min_kib : hi;

        if (d->mode == BD_MODE_IGNORE) {
            FUZZ_CHECK(dec->target_kib == d->target_kib);
        } else {
            FUZZ_CHECK(dec->target_kib >= lo);
            FUZZ_CHECK(dec->target_kib <= hi);
        }
        FUZZ_CHECK(memchr(dec->reason, '\0', sizeof(dec->reason)));
        if (dec->write)
            writes++;
    }
    FUZZ_CHECK(plan->n_order == writes);
    for (size_t k = 0; k < plan->n_order; k++) {
        FUZZ_CHECK(plan->order[k] < n);
        FUZZ_CHECK(plan->dec[plan->order[k]].write);
        for (size_t j = 0; j < k; j++)
            FUZZ_CHECK(plan->order[j] != plan->order[k]);
    }
}

/* Field by field: struct padding is not part of a plan. */
static bool same_dec(const struct bd_decision *a, const struct bd_decision *b)
{
    return a->target_kib == b->target_kib && a->write == b->write &&
           a->shrink == b->shrink && a->state == b->state &&
           strncmp(a->reason, b->reason, sizeof(a->reason)) == 0;
}

static bool same_track(const struct bd_dom_track *a,
                       const struct bd_dom_track *b)
{
    return a->seen == b->seen && a->last_target_kib == b->last_target_kib &&
           a->want_peak_kib == b->want_peak_kib &&
           a->want_peak_ms == b->want_peak_ms &&
           a->progress_ms == b->progress_ms &&
           a->progress_cur_kib == b->progress_cur_kib &&
           a->stuck_since_ms == b->stuck_since_ms &&
           a->clip_kib == b->clip_kib &&
           a->last_change_ms == b->last_change_ms &&
           a->overhead_kib == b->overhead_kib &&
           a->retry_ms == b->retry_ms && a->decay_ms == b->decay_ms &&
           a->hist_peak_kib == b->hist_peak_kib &&
           a->hist_ms == b->hist_ms && a->est_used_kib == b->est_used_kib &&
           a->est_need_kib == b->est_need_kib;
}

static void plan_twice(const struct bd_policy_params *p,
                       const struct bd_host_input *host,
                       const struct bd_dom_input *doms,
                       struct bd_dom_track *track, size_t n, uint64_t now,
                       struct bd_plan *plan)
{
    struct bd_decision dec2[MAX_DOMS];
    struct bd_dom_track track2[MAX_DOMS];
    size_t order2[MAX_DOMS];
    struct bd_plan plan2 = {.dec = dec2, .order = order2};
    int rc, rc2;

    memcpy(track2, track, n * sizeof(*track));
    memset(plan->dec, 0, n * sizeof(*plan->dec));
    memset(dec2, 0, sizeof(dec2));
    rc = bd_policy_plan(p, host, doms, track, n, now, plan);
    rc2 = bd_policy_plan(p, host, doms, track2, n, now, &plan2);
    FUZZ_CHECK(rc == rc2);
    FUZZ_CHECK(rc == 0 || rc == -ENOMEM);
    if (rc)
        return;
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(same_dec(&plan->dec[i], &dec2[i]));
        FUZZ_CHECK(same_track(&track[i], &track2[i]));
    }
    FUZZ_CHECK(plan->n_order == plan2.n_order);
    FUZZ_CHECK(memcmp(plan->order, order2,
                      plan->n_order * sizeof(*order2)) == 0);
    FUZZ_CHECK(plan->free_after_kib == plan2.free_after_kib);
    FUZZ_CHECK(plan->want_total_kib == plan2.want_total_kib);
    check_plan(doms, n, plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    struct bd_policy_params p;
    struct bd_host_input host;
    struct bd_dom_input doms[MAX_DOMS];
    struct bd_dom_track track[MAX_DOMS];
    struct bd_decision dec[MAX_DOMS];
    size_t order[MAX_DOMS];
    struct bd_plan plan = {.dec = dec, .order = order};
    size_t n = (size_t)fuzz_range(&in, 1, MAX_DOMS);
    unsigned rounds = (unsigned)fuzz_range(&in, 1, 4);
    uint64_t now = fuzz_range(&in, 0, 30ull * 24 * HOUR_MS);

    read_params(&in, &p);
    memset(track, 0, sizeof(track));
    for (unsigned r = 0; r < rounds; r++) {
        host.total_kib = fuzz_range(&in, GIB, BD_SIZE_MAX_KIB / 1024);
        host.free_kib = fuzz_range(&in, 0, host.total_kib);
        host.outstanding_kib = fuzz_range(&in, 0, host.free_kib);
        host.reserved_kib = fuzz_range(&in, 0, host.total_kib);
        /* The same domains again, with new reports and sizes. */
        for (size_t i = 0; i < n; i++)
            read_dom(&in, &doms[i], (uint32_t)i, now);
        plan_twice(&p, &host, doms, track, n, now, &plan);
        now += fuzz_range(&in, 0, 10 * 60 * 1000);
    }
    return 0;
}
