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
 *      min   -> guaranteed;
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
 *    SHARE_SLACK_PCT of the pool stays free so that the next growth needs
 *    no cut.  Without share_spare, spare memory stays free on the host,
 *    where `xl create` can use it without a reservation.
 *
 * 3c. Stickiness, against churn and ping-pong: a target that lies in a
 *    band around its allocation is kept (between need and want while the
 *    wants do not fit; between want and a wide band around the share when
 *    they do).  Kept targets that no longer fit together are brought back
 *    to their allocations, furthest-above first.  When needs do not fit,
 *    there is no band: fairness decides.
 *
 * 4. Hysteresis: grows smaller than hysteresis_kib are dropped, unless the
 *    guest is under pressure or uses more than its target; then shrinks
 *    smaller than that are dropped while the budget still closes.  A
 *    target outside the domain's limits is always corrected.
 *
 * 5. Writes are ordered shrinks first, then grows.
 *
 * Cost: O(n) passes and at most two O(n) radix sorts (the split tier, and
 * the shares), no allocation but one scratch block.  About 0.5 ms for
 * 4,096 domains on the build machine (`make bench`).
 *
 * The numbers behind the defaults and the tuning constants below come
 * from `make bench` (bench/README.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/policy.h"

#define KIB_CAP (UINT64_C(1) << 40) /* 1 PiB: no sum of 4096 overflows */
#define MIB UINT64_C(1024)
#define GIB (UINT64_C(1024) * 1024)

/* Pressure thresholds.  PSI "some" avg10 of 2% or 500 pages/s swapped in
 * means the working set does not fit; ten times that is severe. */
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

enum press {
    PRESS_NONE = 0,
    PRESS_PSI,
    PRESS_SWAPIN,
    PRESS_MAJFLT,
};

enum { TIER_MIN = 0, TIER_USED, TIER_NEED, TIER_WANT, TIER_KEEP, N_TIERS };

/* Scratch per domain, for one plan. */
struct work {
    uint64_t lo, hi;        /* planning bounds: hi includes a learned clip,
                               lo includes what a stuck domain cannot free */
    uint64_t lo0;           /* min clamped to min(max, static-max) */
    uint64_t floor;         /* held whatever the target (stuck: current) */
    uint64_t tier[N_TIERS]; /* cumulative caps, nondecreasing, in [lo,hi] */
    uint64_t alloc;
    uint64_t base;  /* alloc from the tiers, before any share */
    uint64_t share; /* base + share of the surplus */
    uint64_t hist;  /* long-memory peak, weights the share */
    uint64_t target;
    uint64_t used; /* clamped report, for reasons */
    uint64_t w;    /* water-filling weight (config weight, or the
                      surplus share's) */
    uint32_t cw;   /* configured weight, 1..10000 */
    uint32_t press_val;
    uint8_t cls;
    uint8_t press;
    bool stats;
    bool stuck;
    bool clipped;
    bool retry;
    bool limited; /* held growth cut by the budget */
};

/* ---- sizes and times in reasons ---------------------------------------- */

/* Reasons are built for every domain on every plan: plain string work,
 * no printf, so 4096 domains stay cheap. */
static char *put_u64(char *p, char *end, uint64_t v)
{
    char tmp[24];
    size_t k = 0;

    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k && p < end)
        *p++ = tmp[--k];
    return p;
}

static char *put_str(char *p, char *end, const char *s)
{
    while (*s && p < end)
        *p++ = *s++;
    return p;
}

static const char *fmt_kib(uint64_t kib, char *buf, size_t len)
{
    char *p = buf, *end = buf + len - 1;

    if (kib >= 10 * GIB) {
        p = put_u64(p, end, kib / GIB);
        p = put_str(p, end, "G");
    } else if (kib >= GIB) {
        p = put_u64(p, end, kib / GIB);
        p = put_str(p, end, ".");
        p = put_u64(p, end, kib % GIB * 10 / GIB);
        p = put_str(p, end, "G");
    } else if (kib >= MIB) {
        p = put_u64(p, end, kib / MIB);
        p = put_str(p, end, "M");
    } else {
        p = put_u64(p, end, kib);
        p = put_str(p, end, "K");
    }
    *p = '\0';
    return buf;
}

static const char *fmt_ms(uint64_t ms, char *buf, size_t len)
{
    char *p = buf, *end = buf + len - 1;

    if (ms < 120 * 1000) {
        p = put_u64(p, end, ms / 1000);
        p = put_str(p, end, " s");
    } else if (ms < 120 * 60 * 1000) {
        p = put_u64(p, end, ms / 60000);
        p = put_str(p, end, " min");
    } else {
        p = put_u64(p, end, ms / 3600000);
        p = put_str(p, end, " h");
    }
    *p = '\0';
    return buf;
}

static const char *fmt_u32(uint32_t v, char *buf, size_t len)
{
    char *p = put_u64(buf, buf + len - 1, v);
    *p = '\0';
    return buf;
}

/* PSI in hundredths of a percent as "12.34%" */
static const char *fmt_pct100(uint32_t v, char *buf, size_t len)
{
    char *p = buf, *end = buf + len - 1;

    p = put_u64(p, end, v / 100);
    p = put_str(p, end, ".");
    if (v % 100 < 10)
        p = put_str(p, end, "0");
    p = put_u64(p, end, v % 100);
    p = put_str(p, end, "%");
    *p = '\0';
    return buf;
}

/* ---- water-filling ----------------------------------------------------- */

/* Stable sort of (key, val) pairs by key: insertion sort for a handful,
 * else an LSD radix sort, 8 bits a pass, skipping digits that order
 * nothing.  O(m); stable, so ties stay in domain order. */
static void radix_sort(uint64_t *key, size_t *val, size_t m, uint64_t *key2,
                       size_t *val2)
{
    size_t count[256];
    size_t k;

    if (m < 48) {
        for (k = 1; k < m; k++) {
            uint64_t kk = key[k];
            size_t vv = val[k], j = k;
            while (j > 0 && key[j - 1] > kk) {
                key[j] = key[j - 1];
                val[j] = val[j - 1];
                j--;
            }
            key[j] = kk;
            val[j] = vv;
        }
        return;
    }
    for (unsigned shift = 0; shift < 64; shift += 8) {
        uint64_t first = (key[0] >> shift) & 0xff;
        bool same = true;

        for (k = 1; k < m && same; k++)
            same = ((key[k] >> shift) & 0xff) == first;
        if (same)
            continue;
        memset(count, 0, sizeof(count));
        for (k = 0; k < m; k++)
            count[(key[k] >> shift) & 0xff]++;
        for (size_t c = 0, sum = 0; c < 256; c++) {
            size_t t = count[c];
            count[c] = sum;
            sum += t;
        }
        for (k = 0; k < m; k++) {
            size_t pos = count[(key[k] >> shift) & 0xff]++;
            key2[pos] = key[k];
            val2[pos] = val[k];
        }
        memcpy(key, key2, m * sizeof(*key));
        memcpy(val, val2, m * sizeof(*val));
    }
}

/* Sort idx[0..m) by room per weight, ascending, on a fixed-point key
 * (room * 2^20 / weight fits in 61 bits).  Keys that compare equal only
 * after rounding are harmless: water_fill() re-checks every domain
 * exactly and caps each at its room. */
static void sort_by_room(size_t *idx, size_t m, const struct work *w,
                         const uint64_t *room, uint64_t *key, uint64_t *key2,
                         size_t *idx2)
{
    for (size_t k = 0; k < m; k++)
        key[k] = (room[idx[k]] << 20) / w[idx[k]].w;
    radix_sort(key, idx, m, key2, idx2);
}

/*
 * Weighted max-min fairness above the minimums, for one tier: every
 * domain in idx[0..m) gets clamp(lo + weight * L, floor, cap), floor being
 * what it already has (w[i].alloc) and cap[i] what the tier would give
 * it, with the level L as high as `extra` (added to the floors) allows.
 * A domain that already holds more than the level keeps it and gets no
 * more; everyone below the level is raised to it.  The level is found by
 * a sweep over the sorted points where domains start and stop rising,
 * then every allocation is computed exactly and any rounding excess is
 * taken back, so the total never exceeds the budget.  ek/ek2/ev/ev2 are
 * scratch of 2m.  Returns what was added.
 */
static uint64_t level_fill(struct work *w, const size_t *idx, size_t m,
                           const uint64_t *cap, uint64_t extra, uint64_t *ek,
                           uint64_t *ek2, size_t *ev, size_t *ev2)
{
    unsigned __int128 slope = 0, got = 0, want = (unsigned __int128)extra << 20;
    unsigned __int128 level = 0;
    uint64_t prev = 0, added = 0;
    bool all = true;
    size_t ne = 0, k;

    for (k = 0; k < m; k++) {
        const struct work *x = &w[idx[k]];
        if (cap[idx[k]] <= x->alloc)
            continue;
        ek[ne] = ((x->alloc - x->lo) << 20) / x->w;
        ev[ne++] = idx[k] * 2;
        ek[ne] = ((cap[idx[k]] - x->lo) << 20) / x->w;
        ev[ne++] = idx[k] * 2 + 1;
    }
    if (ne == 0)
        return 0;
    radix_sort(ek, ev, ne, ek2, ev2);
    for (k = 0; k < ne; k++) {
        unsigned __int128 seg = slope * (ek[k] - prev);
        if (got + seg >= want) {
            level = prev + (slope ? (want - got) / slope : 0);
            all = false;
            break;
        }
        got += seg;
        prev = ek[k];
        if (ev[k] % 2 == 0)
            slope += w[ev[k] / 2].w;
        else
            slope -= w[ev[k] / 2].w;
    }
    for (k = 0; k < m; k++) {
        struct work *x = &w[idx[k]];
        uint64_t c = cap[idx[k]], a;
        if (c <= x->alloc)
            continue;
        if (all) {
            a = c;
        } else {
            unsigned __int128 v = x->lo + ((level * x->w) >> 20);
            a = v > c ? c : (uint64_t)v;
            if (a < x->alloc)
                a = x->alloc;
        }
        added += a - x->alloc;
        x->alloc = a;
    }
    /* rounding may overshoot by a few KiB: take it back, in order */
    for (k = 0; k < m && added > extra; k++) {
        struct work *x = &w[idx[k]];
        uint64_t floor0 = x->base, give;
        if (x->alloc <= floor0)
            continue;
        give = minu(x->alloc - floor0, added - extra);
        x->alloc -= give;
        added -= give;
    }
    return added;
}

/*
 * Give `budget` among the auto domains in idx[0..m) (room[i] each, weights
 * w[i].w) by weighted max-min fairness; adds to w[i].alloc.  key, key2
 * and idx2 are scratch of m.  Returns what was handed out (<= budget).
 */
static uint64_t water_fill(struct work *w, size_t *idx, size_t m,
                           uint64_t *room, uint64_t budget, uint64_t *key,
                           uint64_t *key2, size_t *idx2)
{
    unsigned __int128 wsum = 0;
    uint64_t given = 0;
    size_t k;

    if (m == 0)
        return 0;
    sort_by_room(idx, m, w, room, key, key2, idx2);
    for (k = 0; k < m; k++)
        wsum += w[idx[k]].w;
    for (k = 0; k < m; k++) {
        size_t i = idx[k];
        /* room/w <= budget/wsum: the level covers this domain entirely */
        if ((unsigned __int128)room[i] * wsum <=
            (unsigned __int128)budget * w[i].w) {
            w[i].alloc += room[i];
            budget -= room[i];
            given += room[i];
            wsum -= w[i].w;
            continue;
        }
        /* everyone from here on is cut at the level budget/wsum */
        {
            /* the level in KiB per weight unit, 20 fractional bits; one
             * division, and floor() keeps the sum within the budget */
            unsigned __int128 level = ((unsigned __int128)budget << 20) / wsum;
            size_t j;
            for (j = k; j < m; j++) {
                size_t q = idx[j];
                uint64_t x = (uint64_t)((level * w[q].w) >> 20);
                if (x > room[q])
                    x = room[q];
                w[q].alloc += x;
                budget -= x;
                given += x;
            }
        }
        break;
    }
    return given;
}

/*
 * Retention is not a fair-share matter but a churn one: when kept memory
 * must go, take it from as few domains as possible, those holding most
 * above their want per weight first, each cut to its want in one step.
 * The over-cut stays free and absorbs the next growths without writes.
 */
static uint64_t greedy_cut(struct work *w, size_t *idx, size_t m,
                           uint64_t *room, uint64_t budget, uint64_t *key,
                           uint64_t *key2, size_t *idx2)
{
    uint64_t total = 0, given = 0;
    size_t k, keep;

    if (m == 0)
        return 0;
    sort_by_room(idx, m, w, room, key, key2, idx2);
    for (k = 0; k < m; k++)
        total += room[idx[k]];
    for (keep = m; keep > 0 && total > budget; keep--)
        total -= room[idx[keep - 1]];
    for (k = 0; k < keep; k++) {
        w[idx[k]].alloc += room[idx[k]];
        given += room[idx[k]];
    }
    return given;
}

/* ---- per-domain tracking ----------------------------------------------- */

static enum press pressure_of(const struct bd_guest_stats *s, uint32_t *val,
                              uint32_t *boost_pct)
{
    enum press kind = PRESS_NONE;
    uint32_t boost = 0;

    *val = 0;
    if (s->has_psi && s->psi_some_x100 >= PSI_MILD_X100) {
        kind = PRESS_PSI;
        *val = s->psi_some_x100;
        boost = s->psi_some_x100 >= PSI_EXTREME_X100  ? BOOST_EXTREME_PCT
                : s->psi_some_x100 >= PSI_SEVERE_X100 ? BOOST_SEVERE_PCT
                                                      : BOOST_MILD_PCT;
    }
    if (s->has_rates && s->swapin_per_s >= SWAPIN_MILD) {
        uint32_t b = s->swapin_per_s >= SWAPIN_SEVERE ? BOOST_SEVERE_PCT
                                                      : BOOST_MILD_PCT;
        if (b > boost || kind == PRESS_NONE) {
            kind = PRESS_SWAPIN;
            *val = s->swapin_per_s;
            boost = b;
        }
    }
    if (s->has_rates && s->majflt_per_s >= MAJFLT_MILD) {
        uint32_t b = s->majflt_per_s >= MAJFLT_SEVERE ? BOOST_SEVERE_PCT
                                                      : BOOST_MILD_PCT;
        if (b > boost || kind == PRESS_NONE) {
            kind = PRESS_MAJFLT;
            *val = s->majflt_per_s;
            boost = b;
        }
    }
    *boost_pct = boost;
    return kind;
}

static bool stats_fresh(const struct bd_policy_params *p,
                        const struct bd_guest_stats *s, uint64_t now_ms)
{
    if (!s->present || s->time_ms > now_ms)
        return false;
    return p->stats_max_age_ms == 0 ||
           now_ms - s->time_ms <= p->stats_max_age_ms;
}

static void clamp_times(struct bd_dom_track *t, uint64_t now_ms)
{
    uint64_t *const f[] = {&t->want_peak_ms,   &t->progress_ms,
                           &t->stuck_since_ms, &t->last_change_ms,
                           &t->retry_ms,       &t->decay_ms,
                           &t->hist_ms};

    for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
        if (*f[k] > now_ms)
            *f[k] = now_ms;
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
 * OOM-panics.  So use is counted in target terms: reported use + overhead.
 *
 * current - MemTotal is only meaningful when the report was taken with
 * the balloon at rest; a report that predates the last target change (the
 * balloon may still be moving) keeps the overhead learned before.  The
 * first report is taken as it is: over-counting is the safe direction.
 * A guest that lies about MemTotal to inflate this still gets no more
 * than its fair share: its use competes at the same tier as everyone's.
 */
static uint64_t overhead_of(const struct bd_policy_params *p,
                            const struct bd_dom_input *d,
                            struct bd_dom_track *t)
{
    const struct bd_guest_stats *s = &d->stats;
    uint64_t cur = capk(d->current_kib), tot = capk(s->total_kib);
    uint64_t tin = capk(d->target_kib);
    uint64_t slack = 4 * (p->progress_kib ? p->progress_kib : MIB);
    bool at_rest = (cur > tin ? cur - tin : tin - cur) <= slack &&
                   s->time_ms > t->last_change_ms;

    if (tot && tot <= cur && (!t->overhead_kib || at_rest))
        t->overhead_kib = cur - tot;
    return minu(t->overhead_kib, cur);
}

/* need and peak-held want of an auto domain with fresh stats */
static void estimate(const struct bd_policy_params *p,
                     const struct bd_dom_input *d, struct bd_dom_track *t,
                     struct work *w, uint64_t now_ms, uint64_t *need,
                     uint64_t *want)
{
    const struct bd_guest_stats *s = &d->stats;
    uint64_t used = capk(capk(s->used_kib) + overhead_of(p, d, t));
    uint64_t cur = capk(d->current_kib);
    uint64_t head, n;
    uint32_t boost;
    uint32_t pct = p->headroom_pct > 1000 ? 1000 : p->headroom_pct;

    head = maxu(used * pct / 100, capk(p->headroom_min_kib));
    n = capk(used + head);
    w->used = used;
    w->press = (uint8_t)pressure_of(s, &w->press_val, &boost);
    if (w->press != PRESS_NONE) {
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
    *need = n;
    t->est_used_kib = w->used;
    t->est_need_kib = n;

    if (!t->seen || n >= t->want_peak_kib || w->press != PRESS_NONE) {
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
    *want = maxu(n, t->want_peak_kib);

    /* the long memory: exponential decay toward the need, time constant
     * HIST_TAU_MS, so a guest that burst yesterday still gets a bigger
     * share of spare memory than one that never did */
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
    w->hist = maxu(*want, t->hist_peak_kib);
}

/* ---- the plan ---------------------------------------------------------- */

/* The reason is the concatenation of up to five strings (NULL ends). */
static void set_reason(struct bd_decision *dec, const char *s1, const char *s2,
                       const char *s3, const char *s4, const char *s5)
{
    const char *parts[5] = {s1, s2, s3, s4, s5};
    char *p = dec->reason, *end = dec->reason + sizeof(dec->reason) - 1;

    for (size_t k = 0; k < 5 && parts[k]; k++)
        p = put_str(p, end, parts[k]);
    *p = '\0';
}

static void explain(const struct bd_policy_params *p,
                    const struct bd_dom_input *d, const struct bd_dom_track *t,
                    const struct work *w, struct bd_decision *dec,
                    uint64_t now_ms)
{
    char a[24], b[24];
    uint64_t tin = capk(d->target_kib);

    switch (dec->state) {
    case BD_STATE_IGNORED:
        set_reason(dec, "ignored", NULL, NULL, NULL, NULL);
        return;
    case BD_STATE_PINNED:
        set_reason(dec, "pinned at ", fmt_kib(w->tier[TIER_KEEP], a, sizeof(a)),
                   w->limited ? ", grows as memory frees" : NULL, NULL, NULL);
        return;
    case BD_STATE_FIXED:
        set_reason(dec, "fixed at ", fmt_kib(w->tier[TIER_KEEP], a, sizeof(a)),
                   w->limited ? ", grows as memory frees" : NULL, NULL, NULL);
        return;
    case BD_STATE_EXTERNAL:
        set_reason(dec, "external target ",
                   fmt_kib(w->tier[TIER_KEEP], a, sizeof(a)), " held",
                   w->limited ? ", grows as memory frees" : NULL, NULL);
        return;
    case BD_STATE_STUCK:
        set_reason(dec, "stuck: no progress ",
                   fmt_ms(now_ms - t->progress_ms, a, sizeof(a)),
                   w->retry ? ", retrying" : NULL, NULL, NULL);
        return;
    default:
        break;
    }

    if (dec->target_kib == w->lo && w->tier[TIER_NEED] <= w->lo && w->stats &&
        dec->target_kib != tin) {
        set_reason(dec, "clamped to min ", fmt_kib(w->lo, a, sizeof(a)), NULL,
                   NULL, NULL);
        return;
    }
    if (!dec->write) {
        if (dec->state == BD_STATE_CLIPPED)
            set_reason(dec, "clipped at ", fmt_kib(t->clip_kib, a, sizeof(a)),
                       " (no hot-plug?)", NULL, NULL);
        else if (!w->stats)
            set_reason(dec, "no stats: target kept", NULL, NULL, NULL, NULL);
        else if (w->alloc < w->tier[TIER_NEED])
            set_reason(dec, "fair share: uses ", fmt_kib(w->used, a, sizeof(a)),
                       ", host short", NULL, NULL);
        else
            set_reason(dec, "steady: uses ", fmt_kib(w->used, a, sizeof(a)),
                       NULL, NULL, NULL);
        return;
    }
    if (dec->state == BD_STATE_CLIPPED && dec->target_kib < tin) {
        set_reason(dec, "clipped at ", fmt_kib(t->clip_kib, a, sizeof(a)),
                   " (no hot-plug?)", NULL, NULL);
        return;
    }
    if (tin > w->hi && dec->target_kib == w->hi) {
        set_reason(dec, "clamped to max ", fmt_kib(w->hi, a, sizeof(a)), NULL,
                   NULL, NULL);
        return;
    }
    if (tin < w->lo && dec->target_kib == w->lo) {
        set_reason(dec, "clamped to min ", fmt_kib(w->lo, a, sizeof(a)), NULL,
                   NULL, NULL);
        return;
    }
    if (!w->stats) {
        set_reason(dec, "no stats: kept within limits", NULL, NULL, NULL, NULL);
        return;
    }
    if (!dec->shrink) {
        const char *fair = w->alloc < w->tier[TIER_NEED] ? ", fair share" : "";
        switch (w->press) {
        case PRESS_PSI:
            set_reason(dec, "grow: psi ",
                       fmt_pct100(w->press_val, a, sizeof(a)), fair, NULL,
                       NULL);
            return;
        case PRESS_SWAPIN:
            set_reason(dec, "grow: swap-in ",
                       fmt_u32(w->press_val, a, sizeof(a)), "/s", fair, NULL);
            return;
        case PRESS_MAJFLT:
            set_reason(dec, "grow: major faults ",
                       fmt_u32(w->press_val, a, sizeof(a)), "/s", fair, NULL);
            return;
        default:
            set_reason(dec, "grow: uses ", fmt_kib(w->used, a, sizeof(a)), fair,
                       NULL, NULL);
            return;
        }
    }
    if (w->alloc < w->tier[TIER_NEED] && dec->target_kib == w->lo0) {
        set_reason(dec, "shrink to min ", fmt_kib(w->lo0, a, sizeof(a)),
                   ": host short, uses ", fmt_kib(w->used, b, sizeof(b)), NULL);
        return;
    }
    if (w->alloc < w->tier[TIER_NEED]) {
        set_reason(dec, "shrink: fair share, uses ",
                   fmt_kib(w->used, a, sizeof(a)), ", host short", NULL, NULL);
        return;
    }
    if (now_ms - t->want_peak_ms >= p->shrink_delay_ms &&
        w->used < t->want_peak_kib / 2) {
        set_reason(dec, "shrink: idle ",
                   fmt_ms(now_ms - t->want_peak_ms, a, sizeof(a)), ", uses ",
                   fmt_kib(w->used, b, sizeof(b)), NULL);
        return;
    }
    if (now_ms - t->want_peak_ms >= p->shrink_delay_ms) {
        set_reason(dec, "shrink: peak ",
                   fmt_ms(now_ms - t->want_peak_ms, a, sizeof(a)),
                   " ago, uses ", fmt_kib(w->used, b, sizeof(b)), NULL);
        return;
    }
    set_reason(dec, "shrink: memory needed elsewhere, uses ",
               fmt_kib(w->used, a, sizeof(a)), NULL, NULL, NULL);
}

static uint64_t committed(const struct work *w, uint64_t target)
{
    return maxu(target, w->floor);
}

int bd_policy_plan(const struct bd_policy_params *p,
                   const struct bd_host_input *host,
                   const struct bd_dom_input *doms, struct bd_dom_track *track,
                   size_t n, uint64_t now_ms, struct bd_plan *plan)
{
    struct work *w = NULL;
    uint64_t *room = NULL, *key, *key2;
    size_t *idx2, *evx;
    void *scratch = NULL;
    uint64_t free_now, pool_all = 0, budget, fixed_use = 0, want_total = 0;
    uint64_t lo_sum = 0, held_base = 0, left, sum_commit;
    size_t i, m, k;
    int partial; /* the tier the budget ran out in, N_TIERS: none */
    uint64_t pool_budget;
    int rc;

    if (!p || !host || !plan || !doms || !track || !plan->dec || !plan->order)
        return -EINVAL;
    plan->n_order = 0;
    plan->free_after_kib = 0;
    plan->want_total_kib = 0;
    free_now = sub0(capk(host->free_kib), capk(host->outstanding_kib));
    if (n == 0) {
        plan->free_after_kib = free_now;
        return 0;
    }
    /* one block: the work array and the water-filling scratch */
    if (n > SIZE_MAX / 2 /
                (sizeof(*w) + 4 * sizeof(uint64_t) + 2 * sizeof(size_t))) {
        rc = -ENOMEM;
        goto out;
    }
    scratch = malloc(n * (sizeof(*w) + sizeof(uint64_t) +
                          2 * (2 * sizeof(uint64_t) + 2 * sizeof(size_t))));
    if (!scratch) {
        rc = -ENOMEM;
        goto out;
    }
    w = scratch;
    room = (uint64_t *)(w + n);
    key = room + n;
    key2 = key + 2 * n;
    idx2 = (size_t *)(key2 + 2 * n);
    evx = idx2 + 2 * n;

    /* 1. bounds, tracking, estimates */
    for (i = 0; i < n; i++) {
        const struct bd_dom_input *d = &doms[i];
        struct bd_dom_track *t = &track[i];
        struct work *x = &w[i];
        uint64_t cur = capk(d->current_kib), tin = capk(d->target_kib);
        uint64_t smax = capk(d->static_max_kib);
        uint64_t hi, lo, need, want;

        memset(x, 0, sizeof(*x));
        pool_all += cur;
        hi = d->max_kib ? capk(d->max_kib) : smax;
        if (smax && hi > smax)
            hi = smax;
        if (hi == 0)
            hi = maxu(tin, cur); /* no limits known at all: stay put */
        lo = minu(capk(d->min_kib), hi);
        x->cw = d->weight == 0 ? 1 : d->weight > 10000 ? 10000 : d->weight;
        x->w = x->cw;
        x->hi = hi;
        x->lo = lo;
        x->lo0 = lo;

        /* times in the future (a track restored from another run, a
         * clock that went back) are taken as now, never as "long ago" */
        clamp_times(t, now_ms);

        if (d->mode == BD_MODE_IGNORE) {
            x->cls = CLS_IGNORE;
            x->target = tin;
            fixed_use += maxu(cur, tin);
            /* track it anyway, so a later switch to auto starts clean */
            t->seen = true;
            t->last_target_kib = tin;
            t->progress_ms = now_ms;
            t->progress_cur_kib = cur;
            t->stuck_since_ms = 0;
            continue;
        }
        track_progress(p, d, t, x, free_now, now_ms);
        if (x->clipped)
            x->hi = maxu(lo, minu(hi, t->clip_kib));
        if (x->stuck)
            x->floor = cur;

        if (d->pin_kib || d->mode == BD_MODE_FIXED || d->hold_kib) {
            uint64_t want_t;
            x->cls = CLS_HELD;
            if (d->pin_kib)
                want_t = capk(d->pin_kib);
            else if (d->mode == BD_MODE_FIXED)
                want_t = d->fixed_kib ? capk(d->fixed_kib) : tin;
            else
                want_t = capk(d->hold_kib);
            /* a pin may go above a learned clip: the admin asked */
            want_t = clampu(want_t, lo, hi);
            x->tier[TIER_KEEP] = want_t;
            want_total += want_t;
            continue;
        }

        x->cls = CLS_AUTO;
        x->stats = stats_fresh(p, &d->stats, now_ms);
        if (x->stats) {
            estimate(p, d, t, x, now_ms, &need, &want);
        } else {
            /* keep the target, within limits; not squeezed below min */
            need = want = tin;
            t->want_peak_kib = tin;
            t->want_peak_ms = now_ms;
        }
        /* what a stuck domain cannot give back is not available */
        x->lo = maxu(lo, minu(x->floor, x->hi));
        x->tier[TIER_MIN] = x->lo;
        x->tier[TIER_USED] = x->stats ? clampu(x->used, x->lo, x->hi) : x->lo;
        x->tier[TIER_NEED] = clampu(need, x->tier[TIER_USED], x->hi);
        x->tier[TIER_WANT] = clampu(want, x->tier[TIER_NEED], x->hi);
        x->tier[TIER_KEEP] = clampu(tin, x->tier[TIER_WANT], x->hi);
        if (!x->stats) {
            /* no report: its target is its need, not something to trade */
            x->tier[TIER_USED] = x->tier[TIER_NEED] = x->tier[TIER_WANT] =
                x->tier[TIER_KEEP];
        }
        want_total += x->tier[TIER_WANT];
        lo_sum += x->lo;
        fixed_use += sub0(x->floor, x->hi); /* stuck above its max */
    }

    {
        uint64_t reserve = capk(p->reserve_kib) + capk(host->reserved_kib);
        budget = sub0(free_now + pool_all, reserve);
    }

    /* 2. held domains: shrinks and kept memory first, growth from what is
     * left above every auto minimum, in domain order */
    for (i = 0; i < n; i++) {
        struct work *x = &w[i];
        uint64_t cur;
        if (x->cls != CLS_HELD)
            continue;
        cur = capk(doms[i].current_kib);
        x->alloc = maxu(maxu(x->lo, x->floor), minu(x->tier[TIER_KEEP], cur));
        held_base += x->alloc;
    }
    left = sub0(budget, fixed_use + held_base + lo_sum);
    for (i = 0; i < n; i++) {
        struct work *x = &w[i];
        uint64_t grow, give;
        if (x->cls != CLS_HELD)
            continue;
        grow = sub0(x->tier[TIER_KEEP], x->alloc);
        give = minu(grow, left);
        x->alloc += give;
        left -= give;
        x->limited = give < grow;
        x->target = x->limited ? x->alloc : x->tier[TIER_KEEP];
        fixed_use += committed(x, x->alloc);
    }

    /* 3. auto domains by tiers */
    pool_budget = sub0(budget, fixed_use);
    left = sub0(pool_budget, lo_sum);
    for (i = 0; i < n; i++)
        if (w[i].cls == CLS_AUTO)
            w[i].alloc = w[i].lo;
    partial = N_TIERS;
    for (int tier = TIER_USED; tier <= TIER_WANT; tier++) {
        uint64_t ask = 0;
        for (i = 0; i < n; i++)
            if (w[i].cls == CLS_AUTO)
                ask += w[i].tier[tier] - w[i].alloc;
        if (ask <= left) {
            for (i = 0; i < n; i++)
                if (w[i].cls == CLS_AUTO)
                    w[i].alloc = w[i].tier[tier];
            left -= ask;
            continue;
        }
        m = 0;
        for (i = 0; i < n; i++) {
            if (w[i].cls != CLS_AUTO || w[i].tier[tier] == w[i].alloc)
                continue;
            room[i] = w[i].tier[tier]; /* the cap */
            w[i].base = w[i].alloc;
            plan->order[m++] = i; /* the caller's array as scratch */
        }
        left -= level_fill(w, plan->order, m, room, left, key, key2, idx2, evx);
        partial = tier;
        break;
    }
    for (i = 0; i < n; i++)
        w[i].base = w[i].alloc;

    /* 3b. every want fits: the rest is shared in proportion to the
     * long-memory peak x weight (the big, bursty guests get the big
     * buffers, as qmemman does); a little stays free so that the next
     * growth needs no cut */
    if (partial == N_TIERS && p->share_spare) {
        m = 0;
        for (i = 0; i < n; i++) {
            struct work *x = &w[i];
            if (x->cls != CLS_AUTO || !x->stats || x->stuck ||
                x->alloc >= x->hi)
                continue;
            room[i] = x->hi - x->alloc;
            x->w = (minu(x->hist, x->hi) / MIB + 1) * x->cw;
            plan->order[m++] = i;
        }
        water_fill(w, plan->order, m, room,
                   sub0(left, pool_budget / 100 * SHARE_SLACK_PCT), key, key2,
                   idx2);
        for (k = 0; k < m; k++)
            w[plan->order[k]].w = w[plan->order[k]].cw;
    }

    /* 3c. stickiness: a target that lies in a band around the planned
     * allocation is kept, so that wants decaying or shares sloshing cause
     * no writes.  The band is only where nobody's need is at stake:
     *   all wants fit:   [want, HI% of share], and below LO% of its share
     *                    a domain is raised to it;
     *   wants do not:    [need, want] (the peak-held luxury);
     *   needs do not:    no band, fairness decides. */
    if (partial >= TIER_WANT) {
        uint64_t sum_t = 0, excess = 0;

        for (i = 0; i < n; i++) {
            struct work *x = &w[i];
            uint64_t tin = capk(doms[i].target_kib), blo, bhi;
            if (x->cls != CLS_AUTO)
                continue;
            x->share = x->alloc;
            if (partial == N_TIERS && p->share_spare) {
                blo = maxu(x->base, x->share / 100 * SHARE_LO_PCT);
                bhi = x->share / 100 * SHARE_HI_PCT;
            } else if (partial == N_TIERS) {
                /* spare memory stays free: a narrow band above the want
                 * absorbs the noise of steady guests without parking
                 * memory nobody wants */
                blo = x->base;
                bhi = x->base + x->base / 4 + p->hysteresis_kib;
            } else {
                blo = x->tier[TIER_NEED];
                bhi = x->tier[TIER_WANT];
            }
            if (x->stats && !x->stuck && tin >= blo && tin <= bhi &&
                tin >= x->lo && tin <= x->hi)
                x->alloc = tin;
            sum_t += x->alloc;
            excess += x->alloc - minu(x->alloc, x->share);
        }
        /* kept targets above their allocations may not fit together:
         * bring back the ones furthest above (per allocation) first */
        if (sum_t > pool_budget) {
            uint64_t over = sum_t - pool_budget;
            m = 0;
            for (i = 0; i < n; i++) {
                struct work *x = &w[i];
                if (x->cls != CLS_AUTO || x->alloc <= x->share)
                    continue;
                room[i] = x->alloc - x->share;
                x->w = x->share / MIB + 1;
                x->alloc = x->share;
                plan->order[m++] = i;
            }
            /* greedy_cut keeps the smallest rooms whole within what may
             * stay and zeroes the rest */
            greedy_cut(w, plan->order, m, room, sub0(excess, over), key, key2,
                       idx2);
            for (k = 0; k < m; k++)
                w[plan->order[k]].w = w[plan->order[k]].cw;
        }
    }

    /* a stuck domain that got no more than it holds keeps being asked for
     * its lower target; it is not moved around while it does not move */
    for (i = 0; i < n; i++) {
        struct work *x = &w[i];
        if (x->cls != CLS_AUTO)
            continue;
        x->target = x->alloc;
        if (x->stuck && x->alloc <= capk(doms[i].current_kib))
            x->target = clampu(capk(doms[i].target_kib), x->lo0, x->hi);
    }

    /* 4. hysteresis: small grows are dropped (that only frees budget),
     * then small shrinks while the budget still closes */
    sum_commit = 0;
    for (i = 0; i < n; i++) {
        struct work *x = &w[i];
        uint64_t tin = capk(doms[i].target_kib);
        if (x->cls != CLS_AUTO) {
            if (x->cls == CLS_HELD)
                sum_commit += committed(x, x->target);
            continue;
        }
        /* a guest under pressure or using more than its target is not
         * kept waiting for the threshold */
        if (!x->stuck && x->target > tin && tin >= x->lo && tin <= x->hi &&
            x->target - tin < p->hysteresis_kib && x->press == PRESS_NONE &&
            (!x->stats || x->used <= tin))
            x->target = tin;
        sum_commit += committed(x, x->target);
    }
    {
        uint64_t ign = 0;
        for (i = 0; i < n; i++)
            if (w[i].cls == CLS_IGNORE)
                ign +=
                    maxu(capk(doms[i].current_kib), capk(doms[i].target_kib));
        sum_commit += ign;
    }
    for (i = 0; i < n; i++) {
        struct work *x = &w[i];
        uint64_t tin = capk(doms[i].target_kib), extra;
        if (x->cls != CLS_AUTO || x->stuck || x->target >= tin || tin < x->lo ||
            tin > x->hi || tin - x->target >= p->hysteresis_kib)
            continue;
        extra = committed(x, tin) - committed(x, x->target);
        if (sum_commit + extra <= budget) {
            x->target = tin;
            sum_commit += extra;
        }
    }
    /* 5. decisions and order: shrinks first, then grows */
    m = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (i = 0; i < n; i++) {
            const struct bd_dom_input *d = &doms[i];
            struct bd_dom_track *t = &track[i];
            struct work *x = &w[i];
            struct bd_decision *dec = &plan->dec[i];
            uint64_t tin = capk(d->target_kib);

            if (pass == 0) {
                memset(dec, 0, sizeof(*dec));
                dec->target_kib = x->target;
                if (x->cls == CLS_IGNORE) {
                    dec->target_kib = d->target_kib;
                    dec->state = BD_STATE_IGNORED;
                } else {
                    dec->write = x->target != d->target_kib || x->retry;
                    dec->shrink = x->target < d->target_kib;
                    if (x->stuck)
                        dec->state = BD_STATE_STUCK;
                    else if (d->pin_kib)
                        dec->state = BD_STATE_PINNED;
                    else if (d->mode == BD_MODE_FIXED)
                        dec->state = BD_STATE_FIXED;
                    else if (d->hold_kib)
                        dec->state = BD_STATE_EXTERNAL;
                    else if (x->clipped)
                        dec->state = BD_STATE_CLIPPED;
                    else if (!x->stats)
                        dec->state = BD_STATE_NO_STATS;
                    else
                        dec->state = BD_STATE_OK;
                }
                explain(p, d, t, x, dec, now_ms);
                if (x->cls != CLS_IGNORE) {
                    if (dec->write && x->target != tin) {
                        t->last_change_ms = now_ms;
                        /* the move toward the new target starts now */
                        if (!x->stuck) {
                            t->progress_ms = now_ms;
                            t->progress_cur_kib = capk(d->current_kib);
                        }
                    }
                    t->last_target_kib = x->target;
                    t->seen = true;
                }
                if (dec->write && dec->shrink)
                    plan->order[m++] = i;
            } else if (plan->dec[i].write && !plan->dec[i].shrink) {
                plan->order[m++] = i;
            }
        }
    }
    plan->n_order = m;

    sum_commit = 0;
    for (i = 0; i < n; i++) {
        if (w[i].cls == CLS_IGNORE)
            sum_commit +=
                maxu(capk(doms[i].current_kib), capk(doms[i].target_kib));
        else
            sum_commit += committed(&w[i], w[i].target);
    }
    plan->free_after_kib = sub0(free_now + pool_all, sum_commit);
    plan->want_total_kib = want_total;
    rc = 0;
out:
    free(scratch);
    return rc;
}
