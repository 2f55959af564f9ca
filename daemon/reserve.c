/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reserve.c - reservations: `balloonctl reserve SIZE` frees host memory and
 * holds it (for a domain about to be created), `release` gives it back.
 *
 * Design: a reservation is memory the plan keeps free on top of the
 * configured reserve (bd_reserved_effective_kib() goes into the plan's
 * host input).  It waits until free memory covers it, in request order,
 * then is granted and held for reserve-hold; a new domain that claims
 * memory (xl's claim_mode) uses it up (bd_res_consume()), and so does a
 * `balloonctl set` that needs it for a grow (balloonctl reserves the memory
 * a pin lacks, with the same progress and timeout rules, then sets).  Admission is the
 * pure bd_admit_reserve() (decide.h).  The reply to the waiting client goes
 * out through the driver's hooks->reserve_done, so this file knows nothing
 * of sockets or event loops; bd_cycle() calls bd_res_progress().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/size.h"
#include "daemon/base/log.h"
#include "daemon/daemon.h"
#include "daemon/reserve.h"

uint64_t bd_reserved_kib(const struct bd_daemon *d)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < d->n_res; i++)
        sum += d->res[i].kib;
    return sum;
}

/* Reservations split as the plan takes them: hard (granted, or forced:
 * kept free whatever it costs) and soft (waiting without force: kept free
 * only from what guests hold above their use), less outstanding claims,
 * which are reservations in use (xl's claim_mode), hard ones first. */
static void res_split(const struct bd_daemon *d, uint64_t *hard_kib,
                      uint64_t *soft_kib)
{
    uint64_t hard = 0, soft = 0, claimed = d->phys.outstanding_kib;

    for (size_t i = 0; i < d->n_res; i++) {
        const struct bd_reservation *r = &d->res[i];
        if (r->granted || r->force)
            hard += r->kib;
        else
            soft += r->kib;
    }
    *hard_kib = bd_sub0(hard, claimed);
    *soft_kib = bd_sub0(soft, bd_sub0(claimed, hard));
}

uint64_t bd_reserved_effective_kib(const struct bd_daemon *d)
{
    uint64_t hard, soft;

    res_split(d, &hard, &soft);
    return hard;
}

uint64_t bd_reserved_soft_kib(const struct bd_daemon *d)
{
    uint64_t hard, soft;

    res_split(d, &hard, &soft);
    return soft;
}

/* Granted reservations are in the state file: a change is saved. */
static void res_remove(struct bd_daemon *d, size_t i)
{
    if (d->res[i].granted)
        d->state_dirty = true;
    d->res[i] = d->res[--d->n_res];
}

uint64_t bd_res_granted_kib(const struct bd_daemon *d)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < d->n_res; i++)
        if (d->res[i].granted)
            sum += d->res[i].kib;
    return sum;
}

void bd_res_consume(struct bd_daemon *d, uint64_t kib)
{
    for (size_t i = 0; i < d->n_res && kib > 0;) {
        struct bd_reservation *r = &d->res[i];
        uint64_t take;

        if (!r->granted) {
            i++;
            continue;
        }
        take = kib < r->kib ? kib : r->kib;
        r->kib -= take;
        kib -= take;
        d->state_dirty = true;
        if (r->kib == 0) {
            bd_info("reservation %" PRIu64 " taken by a new domain", r->id);
            res_remove(d, i);
            continue;
        }
        i++;
    }
}

static void res_finish(struct bd_daemon *d, struct bd_reservation *r, bool ok,
                       uint64_t achieved_kib, const char *err)
{
    struct bd_ctl_reserve_result out;

    if (!r->waiter)
        return;
    memset(&out, 0, sizeof(out));
    out.ok = ok;
    out.id = r->id;
    out.kib = r->kib;
    out.achieved_kib = achieved_kib;
    out.hold_ms = ok ? d->cfg->reserve_hold_ms : 0;
    if (err)
        snprintf(out.error, sizeof(out.error), "%s", err);
    if (d->hooks && d->hooks->reserve_done)
        d->hooks->reserve_done(d->hooks_ud, r->waiter, &out);
    r->waiter = NULL;
}

/* A domain a reservation may shrink: managed automatically, neither
 * pinned nor held, and with its use counted by the last plan (without a
 * report the policy never cuts it, so it has nothing to free). */
static bool res_cuttable(const struct bd_daemon *d,
                         const struct bd_domain *dom)
{
    return bd_domain_plannable(d, dom) && dom->limits.mode == BD_MODE_AUTO &&
           !dom->pin_kib && !dom->hold_kib && dom->has_dec &&
           dom->dec.state != BD_STATE_NO_STATS && dom->dec.use_kib;
}

uint64_t bd_res_freeable_kib(const struct bd_daemon *d,
                             const struct bd_domain *except)
{
    uint64_t can = bd_free_unclaimed_kib(d->phys.free_kib,
                                         d->phys.outstanding_kib);

    for (size_t i = 0; i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        if (dom == except || !res_cuttable(d, dom))
            continue;
        can += bd_sub0(dom->current_kib, dom->limits.min_kib);
    }
    return can;
}

/* The floor a reservation without force leaves a domain at: its minimum,
 * its counted use, the plan's own floor; 0 when it is not cut at all. */
static uint64_t safe_floor_kib(const struct bd_daemon *d,
                               const struct bd_domain *dom)
{
    uint64_t floor;

    if (!res_cuttable(d, dom))
        return 0;
    floor = dom->limits.min_kib;
    if (dom->dec.use_kib > floor)
        floor = dom->dec.use_kib;
    if (dom->dec.lo_kib > floor)
        floor = dom->dec.lo_kib;
    return floor;
}

uint64_t bd_res_safe_give_kib(const struct bd_daemon *d,
                              const struct bd_domain *dom)
{
    uint64_t floor = safe_floor_kib(d, dom);

    return floor ? bd_sub0(dom->current_kib, floor) : 0;
}

uint64_t bd_res_safe_kib(const struct bd_daemon *d)
{
    uint64_t can = bd_free_unclaimed_kib(d->phys.free_kib,
                                         d->phys.outstanding_kib);
    uint64_t short_kib = 0;

    for (size_t i = 0; i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        uint64_t floor = safe_floor_kib(d, dom);

        if (!floor)
            continue;
        can += bd_sub0(dom->current_kib, floor);
        /* a guest under its use (one that swaps counts it) takes free
         * memory up to it before anything is left to hold */
        short_kib += bd_sub0(floor, dom->current_kib);
    }
    return bd_sub0(can, short_kib);
}

void bd_res_capacity(const struct bd_daemon *d, uint64_t *now_kib,
                     uint64_t *reclaim_kib)
{
    struct bd_policy_params pp;
    uint64_t kept;

    bd_policy_params_now(d, &pp);
    kept = pp.reserve_kib + bd_reserved_kib(d);
    *now_kib = bd_sub0(bd_free_unclaimed_kib(d->phys.free_kib,
                                             d->phys.outstanding_kib),
                       kept);
    *reclaim_kib = bd_sub0(bd_res_safe_kib(d), kept);
}

/* The guests a reservation beyond bd_res_safe_kib() would cut below
 * their use, as "a (uses 310M), b", into buf. */
static void cut_names(const struct bd_daemon *d, char *buf, size_t len)
{
    size_t at = 0;
    char u[32];

    buf[0] = '\0';
    for (size_t i = 0; i < d->n_doms && at + 1 < len; i++) {
        const struct bd_domain *dom = d->doms[i];
        if (!res_cuttable(d, dom) || dom->current_kib <= dom->limits.min_kib)
            continue;
        int n = snprintf(buf + at, len - at, "%s%s (uses %s)", at ? ", " : "",
                         dom->name,
                         bd_format_kib(dom->dec.use_kib, u, sizeof(u)));
        if (n < 0 || (size_t)n >= len - at) {
            buf[at] = '\0';
            break;
        }
        at += (size_t)n;
    }
}

/* Without force, a reservation must fit in what can be freed without
 * cutting a guest below its use: 0, or -ENOSPC with err naming them. */
static int res_guard(const struct bd_daemon *d, uint64_t kib, uint64_t kept,
                     char *err, size_t errlen)
{
    uint64_t safe = bd_res_safe_kib(d);
    char a[32], b[32], c[32], names[128];

    if (safe >= kib + kept)
        return 0;
    cut_names(d, names, sizeof(names));
    snprintf(err, errlen,
             "%s would cut guests below their use (%s short; %s can be "
             "freed above what they use): %s; --force cuts them anyway",
             bd_format_kib(kib, a, sizeof(a)),
             bd_format_kib(kib + kept - safe, b, sizeof(b)),
             bd_format_kib(bd_sub0(safe, kept), c, sizeof(c)),
             names[0] ? names : "no guest reports its use");
    return -ENOSPC;
}

int bd_res_add(struct bd_daemon *d, uint64_t kib, uint64_t timeout_ms,
               bool force, void *waiter, uint64_t now_ms, char *err,
               size_t errlen)
{
    struct bd_policy_params pp;
    struct bd_reservation *r;
    uint64_t can, kept;
    char a[32], b[32];

    if (d->n_res >= BD_MAX_RESERVATIONS) {
        snprintf(err, errlen, "too many reservations (%d); release one first",
                 BD_MAX_RESERVATIONS);
        return -EBUSY;
    }
    bd_policy_params_now(d, &pp);
    kept = pp.reserve_kib + bd_reserved_kib(d);
    if (bd_admit_reserve(kib, bd_res_freeable_kib(d, NULL), kept, &can) < 0) {
        snprintf(err, errlen,
                 "cannot free %s: at most %s can be freed without going "
                 "below domain minimums or the host reserve",
                 bd_format_kib(kib, a, sizeof(a)),
                 bd_format_kib(can, b, sizeof(b)));
        return -ENOSPC;
    }
    if (!force && res_guard(d, kib, kept, err, errlen) < 0)
        return -ENOSPC;
    r = &d->res[d->n_res++];
    memset(r, 0, sizeof(*r));
    r->id = d->next_res_id++;
    r->kib = kib;
    r->force = force;
    r->expires_ms = now_ms + timeout_ms;
    r->waiter = waiter;
    bd_info("reservation %" PRIu64 ": %s requested", r->id,
            bd_format_kib(kib, a, sizeof(a)));
    return 0;
}

/* One waiting reservation: granted when free memory covers it on top of
 * what is already needed, failed when its time is up.  Returns true when
 * it was removed. */
static bool res_wait_step(struct bd_daemon *d, size_t i, uint64_t free_kib,
                          uint64_t *need_kib, bool *waiting, uint64_t now_ms)
{
    struct bd_reservation *r = &d->res[i];
    char a[32], b[32], msg[160];

    if (free_kib >= *need_kib + r->kib) {
        *need_kib += r->kib;
        r->granted = true;
        d->state_dirty = true;
        r->expires_ms = now_ms + d->cfg->reserve_hold_ms;
        bd_info("reservation %" PRIu64 ": %s free and held", r->id,
                bd_format_kib(r->kib, a, sizeof(a)));
        res_finish(d, r, true, r->kib, NULL);
        return false;
    }
    if (now_ms >= r->expires_ms) {
        uint64_t got = bd_sub0(free_kib, *need_kib);
        snprintf(msg, sizeof(msg), "timed out: only %s of %s could be freed",
                 bd_format_kib(got, a, sizeof(a)),
                 bd_format_kib(r->kib, b, sizeof(b)));
        bd_notice("reservation %" PRIu64 " %s", r->id, msg);
        res_finish(d, r, false, got, msg);
        res_remove(d, i);
        return true;
    }
    /* Later requests wait behind this one. */
    *need_kib += r->kib;
    *waiting = true;
    return false;
}

bool bd_res_progress(struct bd_daemon *d, uint64_t now_ms)
{
    struct bd_policy_params p;
    uint64_t need, fr;
    bool waiting = false;
    char a[32];

    bd_policy_params_now(d, &p);
    fr = bd_free_unclaimed_kib(d->phys.free_kib, d->phys.outstanding_kib);
    need = p.reserve_kib;
    /* Granted ones first: their memory is already counted as taken. */
    for (size_t i = 0; i < d->n_res; i++)
        if (d->res[i].granted)
            need += d->res[i].kib;
    for (size_t i = 0; i < d->n_res;) {
        struct bd_reservation *r = &d->res[i];

        if (!r->granted) {
            if (!res_wait_step(d, i, fr, &need, &waiting, now_ms))
                i++;
            continue;
        }
        if (now_ms >= r->expires_ms) {
            bd_info("reservation %" PRIu64 " (%s) expired", r->id,
                    bd_format_kib(r->kib, a, sizeof(a)));
            res_remove(d, i);
            continue;
        }
        i++;
    }
    return waiting;
}

int bd_res_release(struct bd_daemon *d, uint64_t id, uint64_t *kib)
{
    for (size_t i = 0; i < d->n_res; i++)
        if (d->res[i].id == id) {
            if (!d->res[i].granted)
                return -EBUSY;
            *kib = d->res[i].kib;
            res_remove(d, i);
            bd_info("reservation %" PRIu64 " released", id);
            return 0;
        }
    return -ENOENT;
}

void bd_res_abandon(struct bd_daemon *d, void *waiter)
{
    for (size_t i = 0; i < d->n_res; i++)
        if (d->res[i].waiter == waiter && !d->res[i].granted) {
            res_finish(d, &d->res[i], false, 0, "client went away");
            res_remove(d, i);
            return;
        }
}

void bd_res_finish_all(struct bd_daemon *d, const char *why)
{
    for (size_t i = 0; i < d->n_res; i++)
        res_finish(d, &d->res[i], false, 0, why);
    d->n_res = 0;
}
