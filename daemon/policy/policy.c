/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.c - balloond's decision core (see policy.h for the contract).
 *
 * Design.  Every plan is one pass over a snapshot:
 *
 * 1. Accounting.  The memory the listed domains can share is what they hold
 *    now plus what the host has free (less outstanding claims); the budget
 *    is that less the reserve and `balloonctl reserve` holds.  A planned
 *    target commits a domain to holding that much once writes complete,
 *    except that a stuck domain (no progress toward a lower target for
 *    stuck_timeout_ms) is committed to what it holds now: memory it has not
 *    released is never spent twice.  Ignored domains are committed to the
 *    larger of their current memory and their target.
 *
 * 2. Held domains (pinned, fixed, external target) get their targets
 *    first; their growth is only what the budget has left above everybody
 *    else's minimum, so a pin can never squeeze an auto domain below min.
 *
 * 3. Auto domains share the rest by tiers, each filled completely before
 *    the next gets anything; the tier where the budget runs out is split
 *    by weighted max-min fairness above the minimums (a level L: every
 *    domain gets min + weight * L, but never less than it already got
 *    from the tiers before and never more than this tier asks):
 *      min   -> guaranteed, and never less than what the guest's kernel
 *               holds outside MemTotal plus headroom-min (a clamp: the
 *               level still counts from min, so a share above that floor
 *               does not move when the learned overhead does);
 *      used  -> what the guest uses: its report, plus what it had to swap
 *               out while under pressure (use that does not fit);
 *      need  -> used + headroom, or on pressure (PSI, swap-in, major
 *               faults) a boost over what it holds: grow fast, at once;
 *      want  -> the need's peak, held for shrink_delay_ms, then giving
 *               back shrink_pct of the excess per decay interval.
 *    A guest's reported use is thus a floor for its target up to its fair
 *    share, and a guest that lies about its use or pressure gets at most
 *    that share: its claim competes at the same level as everyone's.
 *    A report older than the last grow (or taken while that grow is still
 *    arriving) cannot say whether it was enough: the estimate it gave
 *    then is kept, so a lagging signal neither boosts twice nor flaps.
 *
 * 3b. When every want fits and share_spare is set, the spare memory is
 *    shared in proportion to a long-memory peak (decaying over a day)
 *    times weight, so the guests whose bursts are big get the big buffers
 *    before the burst comes (qmemman shares by current use);
 *    SHARE_SLACK_PCT of the pool, or the start pool (start_pool_kib) when
 *    that is more, stays free so that the next growth needs no cut and a
 *    plain `xl create` finds its memory.  Lent memory is taken back at
 *    once when the start pool runs short (a domain started in it): the
 *    kept targets are cut to their shares (3c), and hysteresis keeps no
 *    shrink that would leave the pool short.  Without share_spare, spare
 *    memory stays free on the host, where `xl create` can use it.
 *
 * 3c. Stickiness, against churn and ping-pong: a target that lies in a
 *    band around its allocation is kept (between need and want while the
 *    wants do not fit; between want and a wide band around the share when
 *    they do).  Kept targets that no longer fit together are brought back
 *    to their allocations, furthest-above first.  When needs do not fit,
 *    there is no band: fairness decides.
 *
 * 4. Hysteresis: grows smaller than hysteresis_kib are dropped, unless the
 *    guest is under pressure or uses more than its target (then only grows
 *    smaller than progress_kib are, as slivers); then shrinks
 *    smaller than that are dropped while the budget still closes.  A
 *    target outside the domain's limits is always corrected.
 *
 * 5. Writes are ordered shrinks first, then grows.
 *
 * bd_policy_plan() runs these steps as named phases, in this order.  The
 * fill algorithms (steps 3 to 3c) are in fill.c, the words of the reasons
 * in reason.c.
 *
 * Cost: O(n) passes and at most two O(n) radix sorts (the split tier, and
 * the shares), no allocation but one scratch block.  About 0.5 ms for
 * 4,096 domains on the build machine (`make bench`).
 *
 * The numbers behind the defaults and the tuning constants below come
 * from `make bench` (bench/README.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy/fill.h"
#include "daemon/policy/policy.h"
#include "daemon/policy/reason.h"

#define OVERHEAD_SAME_KIB (4 * UINT64_C(1024))
#define KIB_CAP BD_FILL_MAX_KIB /* 1 PiB: no sum of 4096 overflows */
#define MIB UINT64_C(1024)

/* Pressure thresholds.  PSI "some" avg10 of 2%, 100 pages/s swapped in or
 * 500 major faults/s means the working set does not fit; ten times that is
 * severe. */
#define PSI_MILD_X100 200
#define PSI_SEVERE_X100 1000
#define SWAPIN_MILD 100
#define SWAPIN_SEVERE 1000
#define MAJFLT_MILD 500
#define MAJFLT_SEVERE 5000
#define BOOST_MILD_PCT 25
#define BOOST_SEVERE_PCT 50
#define PSI_EXTREME_X100 4000 /* 40%: stalled most of the time */
#define BOOST_EXTREME_PCT 100

/* Sharing spare memory (once every want fits): a share is in proportion
 * to the long-memory peak (time constant HIST_TAU_MS) times weight;
 * SHARE_SLACK_PCT of the pool stays free so that the next growth needs no
 * cut; a target within [LO%, HI%] of its share is kept. */
#ifndef HIST_TAU_MS
#define HIST_TAU_MS (UINT64_C(24) * 3600 * 1000)
#endif
#ifndef SHARE_SLACK_PCT
#define SHARE_SLACK_PCT 6
#endif
#ifndef SHARE_LO_PCT
#define SHARE_LO_PCT 50
#endif
#ifndef SHARE_HI_PCT
#define SHARE_HI_PCT 300
#endif

void bd_policy_params_default(struct bd_policy_params *p)
{
    memset(p, 0, sizeof(*p));
    p->reserve_kib = 256 * MIB;
    p->headroom_pct = 15;
    p->headroom_min_kib = 64 * MIB;
    p->hysteresis_kib = 64 * MIB;
    p->shrink_delay_ms = 2 * 60 * 1000;
    p->shrink_pct = 10;
    p->stuck_timeout_ms = 30 * 1000;
    p->stuck_retry_ms = 5 * 60 * 1000;
    p->stats_max_age_ms = 5 * 60 * 1000;
    p->progress_kib = 1 * MIB;
    p->decay_interval_ms = 5000;
    /* Memory nobody wants goes to the guests with burst history, as
     * qmemman and squeezed do (`make bench`: without it, bursts wait for
     * growth and the shortfall at 119 GiB is 0.005% instead of 0.0000%).
     * A new domain then needs `balloonctl reserve` first. */
    p->share_spare = true;
}

static uint64_t capk(uint64_t v)
{
    return v > KIB_CAP ? KIB_CAP : v;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t clampu(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static uint64_t maxu(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t minu(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

enum cls {
    CLS_AUTO = 0,
    CLS_HELD, /* pinned, fixed, external hold */
    CLS_IGNORE,
};

enum { TIER_MIN = 0, TIER_USED, TIER_NEED, TIER_WANT, TIER_KEEP, N_TIERS };

/* Scratch per domain, for one plan. */
struct work {
    uint64_t lo, hi;        /* planning bounds: hi includes a learned clip,
                               lo includes what a stuck domain cannot free */
    uint64_t lo0;           /* min clamped to min(max, static-max) */
    uint64_t fair_lo;       /* the fair level counts from here: lo without
                               the kernel floor (a clamp, not a base) */
    uint64_t floor;         /* held whatever the target (stuck: current) */
    uint64_t tier[N_TIERS]; /* cumulative caps, nondecreasing, in [lo,hi] */
    uint64_t alloc;
    uint64_t base;  /* alloc from the tiers, before any share */
    uint64_t share; /* base + share of the surplus */
    uint64_t hist;  /* long-memory peak, weights the share */
    uint64_t target;
    uint64_t used; /* clamped report, for reasons */
    uint32_t cw;   /* configured weight, 1..10000 */
    uint32_t press_val;
    uint8_t cls;
    uint8_t press; /* enum bd_press */
    bool stats;
    bool stuck;
    bool clipped;
    bool retry;
    bool limited; /* held growth cut by the budget */
};

/* The scratch block: per domain its work, a fill item and fill scratch. */
#define SCRATCH_PER_DOMAIN                                                     \
    (sizeof(struct work) + sizeof(struct bd_fill_item) +                       \
     BD_FILL_SCRATCH_WORDS * sizeof(uint64_t))
#if SIZE_MAX == UINT64_MAX
_Static_assert(SCRATCH_PER_DOMAIN == BD_POLICY_SCRATCH_PER_DOMAIN,
               "policy.h states the scratch size: update it");
#endif

/* ---- pressure and per-domain tracking ---------------------------------- */

static enum bd_press pressure_of(const struct bd_guest_stats *s, uint32_t *val,
                                 uint32_t *boost_pct)
{
    enum bd_press kind = BD_PRESS_NONE;
    uint32_t boost = 0;

    *val = 0;
    if (s->has_psi && s->psi_some_x100 >= PSI_MILD_X100) {
        kind = BD_PRESS_PSI;
        *val = s->psi_some_x100;
        boost = s->psi_some_x100 >= PSI_EXTREME_X100  ? BOOST_EXTREME_PCT
                : s->psi_some_x100 >= PSI_SEVERE_X100 ? BOOST_SEVERE_PCT
                                                      : BOOST_MILD_PCT;
    }
    if (s->has_rates && s->swapin_per_s >= SWAPIN_MILD) {
        uint32_t b = s->swapin_per_s >= SWAPIN_SEVERE ? BOOST_SEVERE_PCT
                                                      : BOOST_MILD_PCT;
        if (b > boost || kind == BD_PRESS_NONE) {
            kind = BD_PRESS_SWAPIN;
            *val = s->swapin_per_s;
            boost = b;
        }
    }
    if (s->has_rates && s->majflt_per_s >= MAJFLT_MILD) {
        uint32_t b = s->majflt_per_s >= MAJFLT_SEVERE ? BOOST_SEVERE_PCT
                                                      : BOOST_MILD_PCT;
        if (b > boost || kind == BD_PRESS_NONE) {
            kind = BD_PRESS_MAJFLT;
            *val = s->majflt_per_s;
            boost = b;
        }
    }
    *boost_pct = boost;
    return kind;
}

bool bd_guest_pressure(const struct bd_guest_stats *s)
{
    uint32_t val, boost;

    return s && s->present && pressure_of(s, &val, &boost) != BD_PRESS_NONE;
}

static bool stats_fresh(const struct bd_policy_params *p,
                        const struct bd_guest_stats *s, uint64_t now_ms)
{
    if (!s->present || s->time_ms > now_ms)
        return false;
    /* a quiet write-on-change reporter has nothing new to say */
    return s->until_changed || p->stats_max_age_ms == 0 ||
           now_ms - s->time_ms <= p->stats_max_age_ms;
}

static void clamp_times(struct bd_dom_track *t, uint64_t now_ms)
{
    uint64_t *const f[] = {&t->want_peak_ms,   &t->progress_ms,
                           &t->stuck_since_ms, &t->last_change_ms,
                           &t->retry_ms,       &t->decay_ms,
                           &t->hist_ms,        &t->rest_ms};

    for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
        if (*f[k] > now_ms)
            *f[k] = now_ms;
}

/* How far current may be from the target and the balloon still count as
 * at rest (balloon drivers stop a few pages short). */
static uint64_t rest_slack(const struct bd_policy_params *p)
{
    return 4 * (p->progress_kib ? p->progress_kib : MIB);
}

/* Progress, stuck and clip detection from how current moved toward the
 * target in force.  free_kib is host free less claims, to excuse a guest
 * that cannot grow because the host has nothing to give. */
static void track_progress(const struct bd_policy_params *p,
                           const struct bd_dom_input *d, struct bd_dom_track *t,
                           struct work *w, uint64_t free_kib, uint64_t now_ms)
{
    uint64_t cur = capk(d->current_kib), tin = capk(d->target_kib);
    uint64_t pk = p->progress_kib ? p->progress_kib : 1;
    bool down = cur > tin + pk, up = tin > cur + pk;

    if (!t->seen) {
        t->progress_ms = now_ms;
        t->progress_cur_kib = cur;
        t->last_target_kib = tin;
    }
    if (t->clip_kib && cur > t->clip_kib + pk)
        t->clip_kib = 0; /* it grew after all: forget the ceiling */
    if (t->seen && tin != t->last_target_kib) {
        /* a new target (ours took effect, or someone else's): a fresh
         * clock for the move toward it */
        t->progress_ms = now_ms;
        t->progress_cur_kib = cur;
    }
    if (!down && !up) {
        t->progress_ms = now_ms;
        t->progress_cur_kib = cur;
        t->stuck_since_ms = 0;
    } else if ((down && cur + pk <= t->progress_cur_kib) ||
               (up && cur >= t->progress_cur_kib + pk)) {
        t->progress_ms = now_ms;
        t->progress_cur_kib = cur;
        t->stuck_since_ms = 0;
    } else if (up && free_kib < tin - cur) {
        /* the host has nothing to give: not the guest's fault */
        t->progress_ms = now_ms;
        t->progress_cur_kib = cur;
    }
    if (down && !t->stuck_since_ms &&
        now_ms - t->progress_ms >= p->stuck_timeout_ms)
        t->stuck_since_ms = now_ms ? now_ms : 1;
    if (!down)
        t->stuck_since_ms = 0;
    if (up && now_ms - t->progress_ms >= p->stuck_timeout_ms &&
        d->mode != BD_MODE_IGNORE)
        t->clip_kib = cur;

    /* the balloon at rest: from the first plan that sees it there after
     * the last target change, a report the daemon receives was taken at
     * rest (one before may have been sampled while it still moved) */
    if ((cur > tin ? cur - tin : tin - cur) > rest_slack(p))
        t->rest_ms = 0;
    else if (!t->rest_ms || t->rest_ms <= t->last_change_ms ||
             tin != t->last_target_kib)
        t->rest_ms = now_ms ? now_ms : 1;

    w->stuck = t->stuck_since_ms != 0;
    w->clipped = t->clip_kib != 0;
    if (w->stuck) {
        uint64_t since = maxu(t->stuck_since_ms, t->retry_ms);
        if (now_ms - since >= p->stuck_retry_ms) {
            w->retry = true;
            t->retry_ms = now_ms;
        }
    }
}

/*
 * What the domain holds outside the guest's own accounting.  A guest counts
 * its use against MemTotal, which leaves out what its kernel reserved at
 * boot (the memmap for all of static-max, the kernel image, hot-plug
 * space): measured at 57 MiB on a 297 MiB Linux PV guest with a 512 MiB
 * static-max under real Xen.  A target that covers the reported use but not
 * this leaves the guest a MemTotal below its use, and a Linux guest then
 * OOM-panics.  So use is counted in target terms: reported use + overhead
 * (bd_overhead_kib(): learned here, else estimated for a report without
 * MemTotal, or configured).
 *
 * current - MemTotal is only meaningful when the report was taken with
 * the balloon at rest: one received before a plan saw the balloon at rest
 * at its target (it may have been sampled while the balloon still moved,
 * and a reporter that writes on a 2% change leaves MemTotal that stale)
 * keeps the overhead learned before; so does one that predates the last
 * target change.  The first report is taken as it is: over-counting is
 * the safe direction.  A wrong overhead moves the guest's use, the fair
 * level of everyone and its floor: each wobble was a write.  So a figure
 * more than OVERHEAD_SAME_KIB away from the known one is adopted only
 * when a later report at rest agrees with it: one odd report (seen on
 * real Xen: 0 -> 176M -> 0 within a minute) moves nothing.
 * A guest that lies about MemTotal to inflate this still gets no more
 * than its fair share: its use competes at the same tier as everyone's.
 */
/* Two overhead figures that are the same kernel's (rounding, a page
 * table or two). */
static bool near(uint64_t a, uint64_t b)
{
    return (a > b ? a - b : b - a) <= OVERHEAD_SAME_KIB;
}

static void learn_overhead(const struct bd_dom_input *d,
                           struct bd_dom_track *t)
{
    const struct bd_guest_stats *s = &d->stats;
    uint64_t cur = capk(d->current_kib), tot = capk(s->total_kib), ovh;
    bool at_rest =
        t->rest_ms && s->time_ms > t->rest_ms && s->time_ms > t->last_change_ms;

    if (!tot || tot > cur)
        return;
    ovh = cur - tot;
    if (!t->overhead_known || (at_rest && near(ovh, t->overhead_kib))) {
        /* the first figure, or the known one drifting a little */
        t->overhead_kib = ovh;
        t->overhead_known = true;
        t->overhead_cand_ms = 0;
    } else if (at_rest && t->overhead_cand_ms &&
               s->time_ms > t->overhead_cand_ms &&
               near(ovh, t->overhead_cand_kib)) {
        /* a second report at rest confirms the new figure */
        t->overhead_kib = ovh;
        t->overhead_cand_ms = 0;
    } else if (at_rest && s->time_ms != t->overhead_cand_ms) {
        t->overhead_cand_kib = ovh;
        t->overhead_cand_ms = s->time_ms ? s->time_ms : 1;
    }
}

uint64_t bd_overhead_estimate_kib(uint64_t static_max_kib)
{
    return BD_OVERHEAD_EST_FIXED_KIB +
           capk(static_max_kib) / BD_OVERHEAD_EST_SMAX_DIV;
}

uint64_t bd_overhead_kib(const struct bd_dom_input *d, uint64_t learned_kib,
                         enum bd_overhead_src *src)
{
    const struct bd_guest_stats *s = &d->stats;
    uint64_t learned = capk(learned_kib);

    /* a configured figure replaces the estimate; below a learned one it
     * would squeeze the guest under what its own report proves */
    if (d->has_overhead && capk(d->overhead_kib) >= learned) {
        *src = BD_OVH_CONFIGURED;
        return capk(d->overhead_kib);
    }
    /* a report with MemTotal teaches it, 0 included */
    if (learned || (s->present && s->total_kib)) {
        *src = BD_OVH_LEARNED;
        return learned;
    }
    if (s->present && !s->total_kib) {
        *src = BD_OVH_ESTIMATED;
        return bd_overhead_estimate_kib(d->static_max_kib);
    }
    *src = BD_OVH_NONE;
    return 0;
}

/* The overhead counted for an auto domain in this plan. */
static uint64_t overhead_of(const struct bd_dom_input *d,
                            const struct bd_dom_track *t)
{
    enum bd_overhead_src src;

    return bd_overhead_kib(d, t->overhead_kib, &src);
}

/* The need of an auto domain with fresh stats: use (with the kernel's
 * overhead) plus headroom, or on pressure a boost over what it holds. */
static uint64_t estimate_need(const struct bd_policy_params *p,
                              const struct bd_dom_input *d,
                              struct bd_dom_track *t, struct work *w)
{
    const struct bd_guest_stats *s = &d->stats;
    uint64_t cur = capk(d->current_kib);
    uint64_t used;
    uint64_t head, n;
    uint32_t boost;
    uint32_t pct = p->headroom_pct > 1000 ? 1000 : p->headroom_pct;

    learn_overhead(d, t);
    /* nothing holds more outside MemTotal than the domain holds */
    used = capk(capk(s->used_kib) + minu(overhead_of(d, t), cur));
    head = maxu(used * pct / 100, capk(p->headroom_min_kib));
    n = capk(used + head);
    w->used = used;
    w->press = (uint8_t)pressure_of(s, &w->press_val, &boost);
    if (w->press != BD_PRESS_NONE) {
        uint64_t tin = capk(d->target_kib);
        uint64_t pk = p->progress_kib ? p->progress_kib : 1;

        if (t->seen && t->est_need_kib &&
            (tin > cur + pk || s->time_ms <= t->last_change_ms)) {
            /* the last grow is still arriving, or this report predates
             * it: it cannot tell whether that was enough.  Keep the
             * estimate of the report that asked for the grow rather
             * than boost again on a stale signal (or flap between the
             * two readings). */
            w->used = t->est_used_kib;
            n = maxu(t->est_need_kib, tin);
        } else {
            /* the guest cannot report use above what it holds: grow
             * from what it holds, or by what it had to swap out when
             * that says more */
            uint64_t sw = capk(s->swap_used_kib);
            n = maxu(n, capk(cur + cur * boost / 100));
            if (sw) {
                /* what it had to swap out is use that does not fit: it
                 * counts as use, competing fairly at the first tier */
                w->used = capk(used + sw);
                n = maxu(n, capk(w->used + maxu(w->used * pct / 100,
                                                capk(p->headroom_min_kib))));
            }
        }
    }
    t->est_used_kib = w->used;
    t->est_need_kib = n;
    return n;
}

/* The want: the need's peak, held for shrink_delay_ms, then giving back
 * shrink_pct of the excess per decay interval. */
static uint64_t hold_peak(const struct bd_policy_params *p,
                          struct bd_dom_track *t, const struct work *w,
                          uint64_t n, uint64_t now_ms)
{
    if (!t->seen || n >= t->want_peak_kib || w->press != BD_PRESS_NONE) {
        /* a new peak, or pressure: hold from now */
        t->want_peak_kib = maxu(n, t->seen ? t->want_peak_kib : 0);
        t->want_peak_ms = now_ms;
        t->decay_ms = now_ms;
    } else if (now_ms - t->want_peak_ms >= p->shrink_delay_ms) {
        /* give back shrink_pct of the excess per decay interval */
        uint32_t sp = p->shrink_pct > 100 ? 100 : p->shrink_pct;
        uint64_t steps = 1, since;

        if (t->decay_ms < t->want_peak_ms + p->shrink_delay_ms)
            t->decay_ms = t->want_peak_ms + p->shrink_delay_ms;
        since = sub0(now_ms, t->decay_ms);
        if (p->decay_interval_ms) {
            steps = since / p->decay_interval_ms;
            t->decay_ms += steps * p->decay_interval_ms;
            if (steps > 200)
                steps = 200;
        }
        while (steps-- > 0 && t->want_peak_kib > n) {
            uint64_t excess = t->want_peak_kib - n;
            uint64_t give = excess * sp / 100;
            if (give < MIB || sp == 100)
                give = excess; /* the last crumbs at once */
            t->want_peak_kib -= give;
        }
        if (t->want_peak_kib < n)
            t->want_peak_kib = n;
    }
    return maxu(n, t->want_peak_kib);
}

/* The long memory: exponential decay toward the need, time constant
 * HIST_TAU_MS, so a guest that burst yesterday still gets a bigger share
 * of spare memory than one that never did.  Returns the peak to share by. */
static uint64_t track_history(struct bd_dom_track *t, uint64_t n, uint64_t want,
                              uint64_t now_ms)
{
    if (!t->seen || n >= t->hist_peak_kib) {
        t->hist_peak_kib = n;
    } else if (now_ms > t->hist_ms) {
        uint64_t dt = now_ms - t->hist_ms;
        uint64_t ex = t->hist_peak_kib - n;
        uint64_t give =
            dt >= HIST_TAU_MS
                ? ex
                : (uint64_t)((unsigned __int128)ex * dt / HIST_TAU_MS);
        t->hist_peak_kib -= give;
    }
    t->hist_ms = now_ms;
    return maxu(want, t->hist_peak_kib);
}

/* ---- the plan ---------------------------------------------------------- */

/* One plan: its inputs, the scratch, and the totals that pass from one
 * phase to the next. */
struct planner {
    const struct bd_policy_params *p;
    const struct bd_host_input *host;
    const struct bd_dom_input *doms;
    struct bd_dom_track *track;
    size_t n;
    uint64_t now_ms;
    struct bd_plan *out;
    struct work *w;          /* n of them */
    struct bd_fill_item *fi; /* n, for the fills */
    uint64_t *fill_scratch;  /* n * BD_FILL_SCRATCH_WORDS */
    uint64_t free_now;       /* host free less outstanding claims */
    uint64_t pool_all;       /* what the listed domains hold now */
    uint64_t budget;         /* free_now + pool_all less the reserves */
    uint64_t fixed_use;      /* committed outside the auto domains' pool */
    uint64_t lo_sum;         /* the auto domains' lower bounds */
    uint64_t want_total;
    uint64_t pool_budget; /* what the auto domains share */
    uint64_t left;        /* of pool_budget, not given out by the tiers */
    uint64_t soft;        /* of soft_reserved_kib, kept free by this plan */
    int partial;          /* the tier the budget ran out in, N_TIERS: none */
};

static uint64_t committed(const struct work *w, uint64_t target)
{
    return maxu(target, w->floor);
}

/* Limits and weight from the input: [lo, hi] within min, max, static-max. */
static void set_bounds(const struct bd_dom_input *d, struct work *x)
{
    uint64_t cur = capk(d->current_kib), tin = capk(d->target_kib);
    uint64_t smax = capk(d->static_max_kib);
    uint64_t hi = d->max_kib ? capk(d->max_kib) : smax;

    memset(x, 0, sizeof(*x));
    if (smax && hi > smax)
        hi = smax;
    if (hi == 0)
        hi = maxu(tin, cur); /* no limits known at all: stay put */
    x->hi = hi;
    x->lo = x->lo0 = minu(capk(d->min_kib), hi);
    x->cw = d->weight == 0 ? 1 : d->weight > 10000 ? 10000 : d->weight;
}

/* An ignored domain's memory is simply used.  It is tracked anyway, so
 * that a later switch to auto starts clean. */
static void prepare_ignored(struct planner *pl, size_t i)
{
    const struct bd_dom_input *d = &pl->doms[i];
    struct bd_dom_track *t = &pl->track[i];
    struct work *x = &pl->w[i];
    uint64_t cur = capk(d->current_kib), tin = capk(d->target_kib);

    x->cls = CLS_IGNORE;
    x->target = tin;
    pl->fixed_use += maxu(cur, tin);
    t->seen = true;
    t->last_target_kib = tin;
    t->progress_ms = pl->now_ms;
    t->progress_cur_kib = cur;
    t->stuck_since_ms = 0;
}

/* A pinned, fixed or externally held domain keeps the held target, within
 * its limits (hi before any learned clip: the admin asked). */
static void prepare_held(struct planner *pl, size_t i, uint64_t hi)
{
    const struct bd_dom_input *d = &pl->doms[i];
    struct work *x = &pl->w[i];
    uint64_t want_t;

    x->cls = CLS_HELD;
    if (d->pin_kib)
        want_t = capk(d->pin_kib);
    else if (d->mode == BD_MODE_FIXED)
        want_t = d->fixed_kib ? capk(d->fixed_kib) : capk(d->target_kib);
    else
        want_t = capk(d->hold_kib);
    x->tier[TIER_KEEP] = clampu(want_t, x->lo0, hi);
    pl->want_total += x->tier[TIER_KEEP];
}

/* An auto domain's tiers: min, used, need, want, keep (its target now). */
static void prepare_auto(struct planner *pl, size_t i)
{
    const struct bd_dom_input *d = &pl->doms[i];
    struct bd_dom_track *t = &pl->track[i];
    struct work *x = &pl->w[i];
    uint64_t tin = capk(d->target_kib), need, want, ovh;

    x->cls = CLS_AUTO;
    x->stats = stats_fresh(pl->p, &d->stats, pl->now_ms);
    if (x->stats) {
        need = estimate_need(pl->p, d, t, x);
        want = hold_peak(pl->p, t, x, need, pl->now_ms);
        x->hist = track_history(t, need, want, pl->now_ms);
    } else {
        /* keep the target, within limits; not squeezed below min */
        need = want = tin;
        t->want_peak_kib = tin;
        t->want_peak_ms = pl->now_ms;
    }
    /* what a stuck domain cannot give back is not available */
    x->lo = x->fair_lo = maxu(x->lo0, minu(x->floor, x->hi));
    /* and whatever min says, a guest keeps what its kernel holds outside
     * MemTotal plus headroom-min: below that its MemTotal is next to
     * nothing and it cannot even report.  A clamp, not a base: fairness
     * still counts from fair_lo, so a share above the floor does not move
     * with it (the floor follows a learned, noisy overhead) */
    ovh = overhead_of(d, t);
    if (ovh)
        x->lo = maxu(x->lo, minu(capk(ovh + capk(pl->p->headroom_min_kib)),
                                 x->hi));
    x->tier[TIER_MIN] = x->lo;
    x->tier[TIER_USED] = x->stats ? clampu(x->used, x->lo, x->hi) : x->lo;
    x->tier[TIER_NEED] = clampu(need, x->tier[TIER_USED], x->hi);
    x->tier[TIER_WANT] = clampu(want, x->tier[TIER_NEED], x->hi);
    x->tier[TIER_KEEP] = clampu(tin, x->tier[TIER_WANT], x->hi);
    if (!x->stats) {
        /* no report: its target is its need, not something to trade, and
         * not something to cut either (its use is unknown: a guest started
         * before its agent, or without one, must not be squeezed by a
         * reserve or a reservation) */
        x->lo = x->fair_lo = x->tier[TIER_MIN] = x->tier[TIER_KEEP];
        x->tier[TIER_USED] = x->tier[TIER_NEED] = x->tier[TIER_WANT] =
            x->tier[TIER_KEEP];
    }
    pl->want_total += x->tier[TIER_WANT];
    pl->lo_sum += x->lo;
    pl->fixed_use += sub0(x->floor, x->hi); /* stuck above its max */
}

/* 1. Accounting: bounds, tracking and estimates of every domain. */
static void plan_prepare(struct planner *pl)
{
    for (size_t i = 0; i < pl->n; i++) {
        const struct bd_dom_input *d = &pl->doms[i];
        struct bd_dom_track *t = &pl->track[i];
        struct work *x = &pl->w[i];
        uint64_t hi;

        pl->pool_all += capk(d->current_kib);
        set_bounds(d, x);
        hi = x->hi;
        /* times in the future (a track restored from another run, a
         * clock that went back) are taken as now, never as "long ago" */
        clamp_times(t, pl->now_ms);
        if (d->mode == BD_MODE_IGNORE) {
            prepare_ignored(pl, i);
            continue;
        }
        track_progress(pl->p, d, t, x, pl->free_now, pl->now_ms);
        if (x->clipped)
            x->hi = maxu(x->lo0, minu(hi, t->clip_kib));
        if (x->stuck)
            x->floor = capk(d->current_kib);
        if (d->pin_kib || d->mode == BD_MODE_FIXED || d->hold_kib)
            prepare_held(pl, i, hi);
        else
            prepare_auto(pl, i);
    }
    pl->budget = sub0(pl->free_now + pl->pool_all,
                      capk(pl->p->reserve_kib) + capk(pl->host->reserved_kib));
}

/* 2. Held domains: shrinks and kept memory first, growth from what is left
 * above every auto minimum, in domain order. */
static void plan_held(struct planner *pl)
{
    uint64_t held_base = 0, left;
    size_t i;

    for (i = 0; i < pl->n; i++) {
        struct work *x = &pl->w[i];
        if (x->cls != CLS_HELD)
            continue;
        x->alloc =
            maxu(maxu(x->lo, x->floor),
                 minu(x->tier[TIER_KEEP], capk(pl->doms[i].current_kib)));
        held_base += x->alloc;
    }
    left = sub0(pl->budget, pl->fixed_use + held_base + pl->lo_sum);
    for (i = 0; i < pl->n; i++) {
        struct work *x = &pl->w[i];
        uint64_t grow, give;
        if (x->cls != CLS_HELD)
            continue;
        grow = sub0(x->tier[TIER_KEEP], x->alloc);
        give = minu(grow, left);
        x->alloc += give;
        left -= give;
        x->limited = give < grow;
        x->target = x->limited ? x->alloc : x->tier[TIER_KEEP];
        pl->fixed_use += committed(x, x->alloc);
    }
}

/* Domain i is the m-th item of the next fill (the caller's order array
 * is scratch until the decisions). */
static size_t fill_add(struct planner *pl, size_t m, size_t i, uint64_t alloc,
                       uint64_t cap, uint64_t weight)
{
    pl->fi[m] = (struct bd_fill_item){
        .alloc = alloc, .cap = cap, .lo = pl->w[i].fair_lo, .weight = weight};
    pl->out->order[m] = i;
    return m + 1;
}

/* The fill's results back to the domains. */
static void fill_take(struct planner *pl, size_t m)
{
    for (size_t k = 0; k < m; k++)
        pl->w[pl->out->order[k]].alloc = pl->fi[k].alloc;
}

/* Once every use is covered, what is left keeps the reservations that
 * may not cut below use free, as far as it goes: out of the budget for
 * every later step (shares, stickiness, hysteresis). */
static void keep_soft(struct planner *pl)
{
    pl->soft = minu(capk(pl->host->soft_reserved_kib), pl->left);
    pl->left -= pl->soft;
    pl->pool_budget -= pl->soft;
    pl->budget -= pl->soft;
}

/* 3. Auto domains by tiers, each filled completely before the next; the
 * tier where the budget runs out is split by fairness above the mins. */
static void plan_tiers(struct planner *pl)
{
    struct work *w = pl->w;
    size_t i, m;

    pl->pool_budget = sub0(pl->budget, pl->fixed_use);
    pl->left = sub0(pl->pool_budget, pl->lo_sum);
    for (i = 0; i < pl->n; i++)
        if (w[i].cls == CLS_AUTO)
            w[i].alloc = w[i].lo;
    pl->partial = N_TIERS;
    for (int tier = TIER_USED; tier <= TIER_WANT; tier++) {
        uint64_t ask = 0;
        for (i = 0; i < pl->n; i++)
            if (w[i].cls == CLS_AUTO)
                ask += w[i].tier[tier] - w[i].alloc;
        if (ask <= pl->left) {
            for (i = 0; i < pl->n; i++)
                if (w[i].cls == CLS_AUTO)
                    w[i].alloc = w[i].tier[tier];
            pl->left -= ask;
            if (tier == TIER_USED)
                keep_soft(pl);
            continue;
        }
        m = 0;
        for (i = 0; i < pl->n; i++)
            if (w[i].cls == CLS_AUTO && w[i].tier[tier] != w[i].alloc)
                m = fill_add(pl, m, i, w[i].alloc, w[i].tier[tier], w[i].cw);
        pl->left -= bd_fill_level(pl->fi, m, pl->left, pl->fill_scratch);
        fill_take(pl, m);
        pl->partial = tier;
        break;
    }
    for (i = 0; i < pl->n; i++)
        w[i].base = w[i].alloc;
}

/* The start pool beyond what reservations already keep free: a
 * reservation is a start drawing on the pool, not a second pool. */
static uint64_t pool_left(const struct planner *pl)
{
    return sub0(capk(pl->p->start_pool_kib),
                capk(pl->host->reserved_kib) + pl->soft);
}

/* What the domains may hold of cap (a budget) while spare memory is lent:
 * cap less the start pool, which lending never takes; cap itself when
 * nothing is lent (the pool is then free anyway, or needed by wants). */
static uint64_t lend_cap(const struct planner *pl, uint64_t cap)
{
    if (pl->partial != N_TIERS || !pl->p->share_spare)
        return cap;
    return sub0(cap, pool_left(pl));
}

/* 3b. Every want fits: the rest is shared in proportion to the long-memory
 * peak x weight (the big, bursty guests get the big buffers, as qmemman
 * does); a little stays free so that the next growth needs no cut. */
static void plan_share(struct planner *pl)
{
    size_t m = 0;

    if (pl->partial != N_TIERS || !pl->p->share_spare)
        return;
    for (size_t i = 0; i < pl->n; i++) {
        const struct work *x = &pl->w[i];
        if (x->cls != CLS_AUTO || !x->stats || x->stuck || x->alloc >= x->hi)
            continue;
        m = fill_add(pl, m, i, x->alloc, x->hi,
                     (minu(x->hist, x->hi) / MIB + 1) * x->cw);
    }
    bd_fill_water(pl->fi, m, sub0(pl->left, maxu(pl->pool_budget / 100 *
                                                     SHARE_SLACK_PCT,
                                                 pool_left(pl))),
                  pl->fill_scratch);
    fill_take(pl, m);
}

/* The stickiness band of an auto domain around its allocation. */
static void band_of(const struct planner *pl, const struct work *x,
                    uint64_t *blo, uint64_t *bhi)
{
    if (pl->partial == N_TIERS && pl->p->share_spare) {
        *blo = maxu(x->base, x->share / 100 * SHARE_LO_PCT);
        *bhi = x->share / 100 * SHARE_HI_PCT;
    } else if (pl->partial == N_TIERS) {
        /* spare memory stays free: a narrow band above the want absorbs
         * the noise of steady guests without parking memory nobody
         * wants */
        *blo = x->base;
        *bhi = x->base + x->base / 4 + pl->p->hysteresis_kib;
    } else {
        *blo = x->tier[TIER_NEED];
        *bhi = x->tier[TIER_WANT];
    }
}

/* Kept targets above their allocations may not fit together: bring back
 * the ones furthest above (per allocation) first.  The cut keeps the
 * smallest rooms whole within what may stay and zeroes the rest. */
static void cut_kept(struct planner *pl, uint64_t over, uint64_t excess)
{
    size_t m = 0;

    for (size_t i = 0; i < pl->n; i++) {
        const struct work *x = &pl->w[i];
        if (x->cls != CLS_AUTO || x->alloc <= x->share)
            continue;
        m = fill_add(pl, m, i, x->share, x->alloc, x->share / MIB + 1);
    }
    bd_fill_cut(pl->fi, m, sub0(excess, over), pl->fill_scratch);
    fill_take(pl, m);
}

/* 3c. Stickiness: a target that lies in a band around the planned
 * allocation is kept, so that wants decaying or shares sloshing cause no
 * writes.  The band is only where nobody's need is at stake:
 *   all wants fit:   [want, HI% of share], and below LO% of its share a
 *                    domain is raised to it;
 *   wants do not:    [need, want] (the peak-held luxury);
 *   needs do not:    no band, fairness decides. */
static void plan_sticky(struct planner *pl)
{
    uint64_t sum_t = 0, excess = 0;

    if (pl->partial < TIER_WANT)
        return;
    for (size_t i = 0; i < pl->n; i++) {
        struct work *x = &pl->w[i];
        uint64_t tin = capk(pl->doms[i].target_kib), blo, bhi;
        if (x->cls != CLS_AUTO)
            continue;
        x->share = x->alloc;
        band_of(pl, x, &blo, &bhi);
        if (x->stats && !x->stuck && tin >= blo && tin <= bhi && tin >= x->lo &&
            tin <= x->hi)
            x->alloc = tin;
        sum_t += x->alloc;
        excess += x->alloc - minu(x->alloc, x->share);
    }
    if (sum_t > lend_cap(pl, pl->pool_budget))
        cut_kept(pl, sum_t - lend_cap(pl, pl->pool_budget), excess);
}

/* Targets from allocations.  A stuck domain that got no more than it holds
 * keeps being asked for its lower target; it is not moved around while it
 * does not move. */
static void plan_targets(struct planner *pl)
{
    for (size_t i = 0; i < pl->n; i++) {
        struct work *x = &pl->w[i];
        if (x->cls != CLS_AUTO)
            continue;
        x->target = x->alloc;
        if (x->stuck && x->alloc <= capk(pl->doms[i].current_kib))
            x->target = clampu(capk(pl->doms[i].target_kib), x->lo0, x->hi);
    }
}

/* What every domain is committed to hold once the planned writes complete. */
static uint64_t sum_committed(const struct planner *pl)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < pl->n; i++) {
        const struct bd_dom_input *d = &pl->doms[i];
        if (pl->w[i].cls == CLS_IGNORE)
            sum += maxu(capk(d->current_kib), capk(d->target_kib));
        else
            sum += committed(&pl->w[i], pl->w[i].target);
    }
    return sum;
}

/* Whether the target in force breaks x's headroom promise: x reports and
 * the target is below its use + headroom-min (and its need).  The part of
 * the need above that (headroom's percentage) is damped by hysteresis. */
static bool short_of_need(const struct planner *pl, const struct work *x,
                          uint64_t tin)
{
    uint64_t promise = x->used + capk(pl->p->headroom_min_kib);

    return x->stats && tin < minu(x->tier[TIER_NEED], promise);
}

/* A grow that keeps the headroom promise goes hysteresis beyond the need
 * when every want fits and the budget has it, so that use creeping up by
 * less than the hysteresis asks for no write of its own. */
static void plan_margin(struct planner *pl, uint64_t sum_commit,
                        uint64_t limit)
{
    uint64_t hyst = pl->p->hysteresis_kib;

    if (pl->partial != N_TIERS)
        return;
    for (size_t i = 0; i < pl->n; i++) {
        struct work *x = &pl->w[i];
        uint64_t tin = capk(pl->doms[i].target_kib), to, extra;
        if (x->cls != CLS_AUTO || x->stuck || x->target <= tin ||
            !short_of_need(pl, x, tin))
            continue;
        to = minu(x->hi, x->tier[TIER_NEED] + hyst);
        if (to <= x->target)
            continue;
        extra = committed(x, to) - committed(x, x->target);
        if (sum_commit + extra <= limit) {
            x->target = to;
            sum_commit += extra;
        }
    }
}

/* 4. Hysteresis: small grows are dropped (that only frees budget), but
 * not those that keep the headroom promise; then small shrinks are kept
 * while the budget still closes; then promise grows get their margin. */
static void plan_hysteresis(struct planner *pl)
{
    uint64_t hyst = pl->p->hysteresis_kib, sum_commit, limit;
    size_t i;

    for (i = 0; i < pl->n; i++) {
        struct work *x = &pl->w[i];
        uint64_t tin = capk(pl->doms[i].target_kib);
        bool urgent = x->press != BD_PRESS_NONE || short_of_need(pl, x, tin);
        /* a guest under pressure or short of its headroom is not kept
         * waiting for the threshold (headroom is a promise, hysteresis
         * only damps it), but a grow smaller than what counts as
         * progress is a sliver (rounding after a shrink), not help:
         * never worth a write */
        if (x->cls == CLS_AUTO && !x->stuck && x->target > tin &&
            tin >= x->lo && tin <= x->hi &&
            x->target - tin < (urgent ? pl->p->progress_kib : hyst))
            x->target = tin;
    }
    sum_commit = sum_committed(pl);
    /* a small shrink is kept (not written) only while the budget still
     * closes, and while lending, the start pool too: lent memory goes
     * back to the pool even in steps below the hysteresis */
    limit = lend_cap(pl, pl->budget);
    if (sum_commit > limit)
        limit = pl->budget;
    for (i = 0; i < pl->n; i++) {
        struct work *x = &pl->w[i];
        uint64_t tin = capk(pl->doms[i].target_kib), extra;
        if (x->cls != CLS_AUTO || x->stuck || x->target >= tin || tin < x->lo ||
            tin > x->hi || tin - x->target >= hyst)
            continue;
        extra = committed(x, tin) - committed(x, x->target);
        if (sum_commit + extra <= limit) {
            x->target = tin;
            sum_commit += extra;
        }
    }
    plan_margin(pl, sum_commit, lend_cap(pl, pl->budget));
}

static enum bd_state state_of(const struct bd_dom_input *d,
                              const struct work *x)
{
    if (x->cls == CLS_IGNORE)
        return BD_STATE_IGNORED;
    if (x->stuck)
        return BD_STATE_STUCK;
    if (d->pin_kib)
        return BD_STATE_PINNED;
    if (d->mode == BD_MODE_FIXED)
        return BD_STATE_FIXED;
    if (d->hold_kib)
        return BD_STATE_EXTERNAL;
    if (x->clipped)
        return BD_STATE_CLIPPED;
    if (!x->stats)
        return BD_STATE_NO_STATS;
    return BD_STATE_OK;
}

/* The facts behind decision i, worded by reason.c. */
static void explain(const struct planner *pl, size_t i, struct bd_decision *dec)
{
    const struct bd_dom_track *t = &pl->track[i];
    const struct work *x = &pl->w[i];
    const struct bd_reason_facts f = {
        .state = dec->state,
        .write = dec->write,
        .shrink = dec->shrink,
        .stats = x->stats,
        .limited = x->limited,
        .retry = x->retry,
        .press = (enum bd_press)x->press,
        .press_val = x->press_val,
        .target_kib = dec->target_kib,
        .in_force_kib = capk(pl->doms[i].target_kib),
        .held_kib = x->tier[TIER_KEEP],
        .lo_kib = x->lo,
        .hi_kib = x->hi,
        .min_kib = x->lo0,
        .need_kib = x->tier[TIER_NEED],
        .want_kib = x->tier[TIER_WANT],
        .alloc_kib = x->alloc,
        .used_kib = x->used,
        .clip_kib = t->clip_kib,
        .stalled_ms = pl->now_ms - t->progress_ms,
        .peak_age_ms = pl->now_ms - t->want_peak_ms,
        .peak_kib = t->want_peak_kib,
        .shrink_delay_ms = pl->p->shrink_delay_ms,
    };

    bd_reason_write(&f, dec->reason, sizeof(dec->reason));
    if (x->cls != CLS_AUTO)
        return;
    dec->use_kib = x->stats ? x->used : 0;
    dec->need_kib = x->tier[TIER_NEED];
    dec->want_kib = x->tier[TIER_WANT];
    dec->share_kib = x->alloc;
    dec->lo_kib = x->lo;
    dec->hi_kib = x->hi;
    dec->press = x->press;
    dec->press_val = x->press_val;
}

/* Decision i, its reason, and the tracking of the target it sets. */
static void decide(struct planner *pl, size_t i)
{
    const struct bd_dom_input *d = &pl->doms[i];
    struct bd_dom_track *t = &pl->track[i];
    const struct work *x = &pl->w[i];
    struct bd_decision *dec = &pl->out->dec[i];

    memset(dec, 0, sizeof(*dec));
    dec->target_kib = x->target;
    dec->state = state_of(d, x);
    if (x->cls == CLS_IGNORE) {
        dec->target_kib = d->target_kib;
    } else {
        dec->write = x->target != d->target_kib || x->retry;
        dec->shrink = x->target < d->target_kib;
    }
    explain(pl, i, dec);
    if (x->cls == CLS_IGNORE)
        return;
    if (dec->write && x->target != capk(d->target_kib)) {
        t->last_change_ms = pl->now_ms;
        /* the move toward the new target starts now */
        if (!x->stuck) {
            t->progress_ms = pl->now_ms;
            t->progress_cur_kib = capk(d->current_kib);
        }
    }
    t->last_target_kib = x->target;
    t->seen = true;
}

/* 5. Decisions, and the writes in order: shrinks first, then grows. */
static void plan_decide(struct planner *pl)
{
    const struct bd_decision *dec = pl->out->dec;
    size_t i, m = 0;

    for (i = 0; i < pl->n; i++)
        decide(pl, i);
    for (i = 0; i < pl->n; i++)
        if (dec[i].write && dec[i].shrink)
            pl->out->order[m++] = i;
    for (i = 0; i < pl->n; i++)
        if (dec[i].write && !dec[i].shrink)
            pl->out->order[m++] = i;
    pl->out->n_order = m;
    pl->out->free_after_kib =
        sub0(pl->free_now + pl->pool_all, sum_committed(pl));
    pl->out->want_total_kib = pl->want_total;
}

int bd_policy_plan(const struct bd_policy_params *p,
                   const struct bd_host_input *host,
                   const struct bd_dom_input *doms, struct bd_dom_track *track,
                   size_t n, uint64_t now_ms, struct bd_plan *plan)
{
    struct planner pl = {.p = p,
                         .host = host,
                         .doms = doms,
                         .track = track,
                         .n = n,
                         .now_ms = now_ms,
                         .out = plan};

    if (!p || !host || !plan || !doms || !track || !plan->dec || !plan->order)
        return -EINVAL;
    plan->n_order = 0;
    plan->want_total_kib = 0;
    pl.free_now = sub0(capk(host->free_kib), capk(host->outstanding_kib));
    plan->free_after_kib = pl.free_now;
    if (n == 0)
        return 0;
    /* one block: the work array, the fill items and the fills' scratch */
    if (n > SIZE_MAX / SCRATCH_PER_DOMAIN)
        return -ENOMEM;
    pl.w = malloc(n * SCRATCH_PER_DOMAIN);
    if (!pl.w)
        return -ENOMEM;
    pl.fi = (struct bd_fill_item *)(pl.w + n);
    pl.fill_scratch = (uint64_t *)(pl.fi + n);

    plan_prepare(&pl);
    plan_held(&pl);
    plan_tiers(&pl);
    plan_share(&pl);
    plan_sticky(&pl);
    plan_targets(&pl);
    plan_hysteresis(&pl);
    plan_decide(&pl);

    free(pl.w);
    return 0;
}
