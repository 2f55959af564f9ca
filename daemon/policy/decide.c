/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * decide.c - the pure decisions around the plan (contracts in decide.h).
 *
 * Design: every function here is a few lines of arithmetic on its
 * arguments, so that the rule a reader finds is the rule the daemon, the
 * simulator and the benchmark all follow.
 */
#include <errno.h>

#include "daemon/policy/decide.h"

uint64_t bd_sub0(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

struct bd_range bd_target_range(uint64_t min_kib, uint64_t max_kib,
                                uint64_t static_max_kib)
{
    struct bd_range r;

    r.hi_kib = max_kib;
    if (static_max_kib && r.hi_kib > static_max_kib)
        r.hi_kib = static_max_kib;
    r.lo_kib = min_kib < r.hi_kib ? min_kib : r.hi_kib;
    return r;
}

uint64_t bd_free_unclaimed_kib(uint64_t free_kib, uint64_t outstanding_kib)
{
    return bd_sub0(free_kib, outstanding_kib);
}

uint64_t bd_growth_budget(uint64_t free_unclaimed_kib, uint64_t promised_kib,
                          uint64_t keep_free_kib)
{
    return bd_sub0(bd_sub0(free_unclaimed_kib, promised_kib), keep_free_kib);
}

enum bd_write_kind bd_write_kind_of(const struct bd_decision *dec,
                                    uint64_t target_now_kib, enum bd_mode mode)
{
    if (!dec->write || mode == BD_MODE_IGNORE)
        return BD_WRITE_NONE;
    if (dec->target_kib < target_now_kib)
        return BD_WRITE_SHRINK;
    if (dec->target_kib > target_now_kib)
        return BD_WRITE_GROW;
    /* The policy asks for the same target again only to retry a stuck
     * domain (policy.h); anything else equal is nothing to do. */
    return dec->state == BD_STATE_STUCK ? BD_WRITE_RETRY : BD_WRITE_NONE;
}

bool bd_defer_shrink(const struct bd_defer_in *in)
{
    if (in->now_ms >= in->start_ms + in->shrink_delay_ms)
        return false;
    return !in->host_short && !in->asked && in->target_in_range &&
           !in->pinned && in->mode == BD_MODE_AUTO;
}

uint64_t bd_grow_target(uint64_t target_now_kib, uint64_t planned_kib,
                        uint64_t budget_kib, uint64_t hysteresis_kib,
                        uint64_t lo_kib)
{
    uint64_t need = bd_sub0(planned_kib, target_now_kib);

    if (need <= budget_kib)
        return planned_kib;
    /* Part now, the rest as shrinking domains let go.  Behind a slow
     * donor the budget grows a little every cycle: a write per sliver
     * would be churn, so a part is written once it is worth a write (at
     * least hysteresis and a quarter of the grow).  A target below min is
     * never written. */
    if (budget_kib == 0 || budget_kib < hysteresis_kib ||
        budget_kib < need / 4 || target_now_kib + budget_kib < lo_kib)
        return 0;
    return target_now_kib + budget_kib;
}

bool bd_report_wants_growth(const struct bd_policy_params *p,
                            const struct bd_guest_stats *st,
                            uint64_t target_kib)
{
    uint64_t head;

    if (!st->present)
        return false;
    if (bd_guest_pressure(st))
        return true;
    head = st->used_kib * p->headroom_pct / 100;
    if (head < p->headroom_min_kib)
        head = p->headroom_min_kib;
    return st->used_kib + head > target_kib + p->hysteresis_kib;
}

int bd_admit_set(uint64_t target_kib, uint64_t current_kib,
                 struct bd_range range, uint64_t available_kib,
                 uint64_t *short_kib)
{
    uint64_t grow = bd_sub0(target_kib, current_kib);

    *short_kib = 0;
    if (target_kib < range.lo_kib || target_kib > range.hi_kib)
        return -ERANGE;
    if (grow > available_kib) {
        *short_kib = grow - available_kib;
        return -ENOSPC;
    }
    return 0;
}

int bd_admit_reserve(uint64_t kib, uint64_t freeable_kib,
                     uint64_t keep_free_kib, uint64_t *can_kib)
{
    *can_kib = bd_sub0(freeable_kib, keep_free_kib);
    return kib > *can_kib ? -ENOSPC : 0;
}

uint64_t bd_kick_at(uint64_t now_ms, uint64_t last_cycle_ms)
{
    uint64_t at = now_ms + BD_KICK_DELAY_MS;

    if (last_cycle_ms && at < last_cycle_ms + BD_KICK_GAP_MS)
        at = last_cycle_ms + BD_KICK_GAP_MS;
    return at;
}
