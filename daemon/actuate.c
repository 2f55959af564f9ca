/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * actuate.c - one rebalance: snapshot, plan, write the targets.
 *
 * Design: the policy (policy.c) decides, this file only carries the plan
 * out, carefully; each rule below is a pure function of decide.h:
 *  - shrinks first, then grows, in the plan's order;
 *  - a stuck domain the policy retries gets the same target written
 *    again (its balloon driver may have missed the first write);
 *  - a grow takes only memory that is really free now: physinfo is read
 *    again after the shrinks were written, and growth already asked of
 *    other domains but not yet taken (target above current) is counted as
 *    spoken for, so the host reserve holds even while balloons move; a
 *    part of a grow is written once it is worth a write (at least
 *    hysteresis and a quarter of what is missing), not a sliver per cycle
 *    behind a slowly shrinking donor;
 *  - a domain's memory/target is read again just before it is written: if
 *    someone else changed it meanwhile, their value wins (external hold);
 *  - a domain that vanished mid-cycle is dropped quietly (rescan);
 *  - a target outside [min, min(max, static-max)] is never written, even
 *    if a plan asked for it;
 *  - failures are logged once per domain and error (not on every tick);
 *  - right after start, balloond knows no history: shrinks are deferred
 *    for shrink-delay unless the host needs the memory now, so a restart
 *    (even after kill -9) causes no burst of writes;
 *  - --dry-run logs each would-be write once and writes nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/size.h"
#include "daemon/actuate.h"
#include "daemon/base/log.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/reserve.h"

static void log_failure(struct bd_daemon *d, struct bd_domain *dom, int rc,
                        uint64_t target_kib)
{
    char a[32];

    bd_daemon_error(d, "domain %s (%" PRIu32 "): cannot set target %s: %s",
                    dom->name, dom->domid,
                    bd_format_kib(target_kib, a, sizeof(a)), strerror(-rc));
    if (dom->last_err == rc)
        return;
    dom->last_err = rc;
    bd_err("domain %s (%" PRIu32 "): cannot set target %s: %s", dom->name,
           dom->domid, bd_format_kib(target_kib, a, sizeof(a)),
           strerror(-rc));
}

static int write_target(struct bd_daemon *d, struct bd_domain *dom,
                        uint64_t target_kib, const char *reason,
                        uint64_t now_ms)
{
    char a[32], b[32];
    int rc;

    if (d->dry_run) {
        if (dom->dry_logged_kib != target_kib)
            bd_domain_history_add(dom, now_ms, dom->target_kib, target_kib,
                                  true, reason);
        if (dom->dry_logged_kib != target_kib)
            bd_info("domain %s (%" PRIu32 "): would set target %s -> %s "
                    "(%s) [dry-run]",
                    dom->name, dom->domid,
                    bd_format_kib(dom->target_kib, a, sizeof(a)),
                    bd_format_kib(target_kib, b, sizeof(b)), reason);
        dom->dry_logged_kib = target_kib;
        return 0;
    }
    rc = d->host->ops->set_target(d->host, dom->domid, target_kib);
    if (rc == -ENOENT) {
        d->rescan_needed = true;
        return rc;
    }
    if (rc < 0) {
        log_failure(d, dom, rc, target_kib);
        return rc;
    }
    if (dom->last_err)
        bd_info("domain %s (%" PRIu32 "): target writes work again",
                dom->name, dom->domid);
    dom->last_err = 0;
    bd_log_dom(6, BD_ABOUT(BD_EV_TARGET, dom->name, dom->domid),
               "domain %s (%" PRIu32 "): target %s -> %s (%s)", dom->name,
               dom->domid, bd_format_kib(dom->target_kib, a, sizeof(a)),
               bd_format_kib(target_kib, b, sizeof(b)), reason);
    bd_domain_history_add(dom, now_ms, dom->target_kib, target_kib, false,
                          reason);
    dom->written_kib = target_kib;
    dom->target_kib = target_kib;
    d->cnt.target_writes++;
    return 0;
}

/* One bd_actuate() call's running figures. */
struct act {
    struct bd_daemon *d;
    struct bd_policy_params p;
    uint64_t now_ms;
    uint64_t keep_free_kib; /* reserve + reservations in force */
    bool host_short;        /* free (after claims) below keep_free now */
    bool asked;             /* a pin above its target or a reservation
                               waits for memory */
    bool budget_known;
    uint64_t budget_kib;    /* growth budget left in this call */
    size_t writes;
};

/* The growth budget, taken once per call after the shrinks were written
 * (physinfo read again: their pages may be free already). */
static uint64_t grow_budget(struct act *a)
{
    struct bd_daemon *d = a->d;
    struct bd_host_phys ph;
    uint64_t promised;

    if (a->budget_known)
        return a->budget_kib;
    if (!d->dry_run && a->writes > 0 &&
        d->host->ops->physinfo(d->host, &ph) == 0)
        d->phys = ph;
    promised = bd_pending_growth_kib(d, NULL);
    a->budget_kib = bd_growth_budget(
        bd_free_unclaimed_kib(d->phys.free_kib, d->phys.outstanding_kib),
        promised, a->keep_free_kib);
    a->budget_known = true;
    bd_debug("growth budget %" PRIu64 "K (free %" PRIu64 "K, claimed %" PRIu64
             "K, promised %" PRIu64 "K, keep free %" PRIu64 "K)",
             a->budget_kib, d->phys.free_kib, d->phys.outstanding_kib,
             promised, a->keep_free_kib);
    return a->budget_kib;
}

static bool defer_shrink(const struct act *a, const struct bd_domain *dom,
                         struct bd_range range)
{
    struct bd_defer_in in = {
        .now_ms = a->now_ms,
        .start_ms = a->d->start_ms,
        .shrink_delay_ms = a->p.shrink_delay_ms,
        .host_short = a->host_short,
        .asked = a->asked,
        .target_in_range = dom->target_kib >= range.lo_kib &&
                           dom->target_kib <= range.hi_kib,
        .pinned = dom->pin_kib != 0,
        .mode = dom->limits.mode,
    };
    return bd_defer_shrink(&in);
}

/* Carry out one domain's decision of the given kind. */
static void act_one(struct act *a, struct bd_domain *dom,
                    const struct bd_decision *dec, enum bd_write_kind kind)
{
    struct bd_daemon *d = a->d;
    struct bd_range range = bd_domain_range(dom);
    uint64_t target = dec->target_kib, planned_from;
    char x[32];
    int rc;

    if (target < range.lo_kib || target > range.hi_kib || target == 0) {
        if (dom->last_err != -ERANGE)
            bd_err("domain %s (%" PRIu32 "): refusing planned target %s "
                   "outside its limits", dom->name, dom->domid,
                   bd_format_kib(target, x, sizeof(x)));
        dom->last_err = -ERANGE;
        snprintf(dom->act_note, sizeof(dom->act_note),
                 "not written: %s is outside its limits",
                 bd_format_kib(target, x, sizeof(x)));
        return;
    }
    if (kind == BD_WRITE_SHRINK && defer_shrink(a, dom, range)) {
        bd_debug("domain %s: shrink deferred after start", dom->name);
        snprintf(dom->act_note, sizeof(dom->act_note),
                 "deferred: no shrink in the first shrink-delay");
        return;
    }
    /* Somebody else may have written the target since the snapshot:
     * their value wins (read_memory turns it into an external hold). */
    planned_from = dom->target_kib;
    rc = bd_domain_read_memory(d, dom, a->now_ms);
    if (rc == -ENOENT)
        d->rescan_needed = true;
    if (rc < 0 || dom->target_kib != planned_from || dom->hold_kib) {
        snprintf(dom->act_note, sizeof(dom->act_note), "not written: %s",
                 rc < 0 ? "the domain could not be read"
                        : "another tool changed the target");
        return;
    }
    if (kind == BD_WRITE_GROW) {
        target = bd_grow_target(dom->target_kib, target, grow_budget(a),
                                a->p.hysteresis_kib, range.lo_kib);
        if (target == 0) {
            bd_debug("domain %s: grow waits for free memory", dom->name);
            snprintf(dom->act_note, sizeof(dom->act_note),
                     "deferred: waits for free memory");
            return;
        }
        if (target != dec->target_kib)
            snprintf(dom->act_note, sizeof(dom->act_note),
                     "partial grow toward %s",
                     bd_format_kib(dec->target_kib, x, sizeof(x)));
        a->budget_kib -= target - dom->target_kib;
    }
    if (write_target(d, dom, target, dec->reason, a->now_ms) == 0)
        a->writes++;
}

int bd_actuate(struct bd_daemon *d, struct bd_domain **doms, size_t n,
               const struct bd_plan *plan, uint64_t now_ms)
{
    struct act a;

    memset(&a, 0, sizeof(a));
    a.d = d;
    a.now_ms = now_ms;
    bd_policy_params_now(d, &a.p);
    a.keep_free_kib = a.p.reserve_kib + bd_reserved_effective_kib(d);
    a.host_short = bd_free_unclaimed_kib(d->phys.free_kib,
                                         d->phys.outstanding_kib) <
                   a.keep_free_kib;
    for (size_t i = 0; i < n; i++) {
        doms[i]->act_note[0] = '\0';
        if (doms[i]->pin_kib > doms[i]->target_kib)
            a.asked = true;
    }
    for (size_t i = 0; i < d->n_res; i++)
        if (!d->res[i].granted)
            a.asked = true;
    /* Two passes (shrinks and retries, then grows) even if a plan's order
     * mixed them: growth must never get ahead of the memory that funds
     * it.  The kind is judged against the target now, not the plan. */
    for (int grow_pass = 0; grow_pass < 2; grow_pass++)
        for (size_t k = 0; k < plan->n_order; k++) {
            size_t idx = plan->order[k];
            enum bd_write_kind kind;

            if (idx >= n)
                continue;
            kind = bd_write_kind_of(&plan->dec[idx], doms[idx]->target_kib,
                                    doms[idx]->limits.mode);
            if (kind != BD_WRITE_NONE &&
                (kind == BD_WRITE_GROW) == (grow_pass == 1))
                act_one(&a, doms[idx], &plan->dec[idx], kind);
        }
    if (a.writes > 0) {
        d->cnt.rebalances++;
        d->last_rebalance_ms = now_ms;
        d->last_rebalance_wall = (int64_t)time(NULL);
    }
    return 0;
}

int bd_rebalance(struct bd_daemon *d, uint64_t now_ms)
{
    struct bd_dom_input *in = NULL;
    struct bd_dom_track *track = NULL;
    struct bd_decision *dec = NULL;
    struct bd_domain **doms = NULL;
    size_t *order = NULL;
    struct bd_policy_params p;
    struct bd_host_input host;
    struct bd_plan plan;
    size_t n = 0;
    int rc;

    if (!d->have_phys)
        return -EAGAIN;
    bd_domains_expire(d, now_ms);

    if (d->n_doms > 0) {
        in = calloc(d->n_doms, sizeof(*in));
        track = calloc(d->n_doms, sizeof(*track));
        dec = calloc(d->n_doms, sizeof(*dec));
        doms = calloc(d->n_doms, sizeof(*doms));
        order = calloc(d->n_doms, sizeof(*order));
        if (!in || !track || !dec || !doms || !order) {
            rc = -ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < d->n_doms; i++) {
        struct bd_domain *dom = d->doms[i];
        struct bd_dom_input *x = &in[n];

        if (!bd_domain_plannable(d, dom))
            continue;
        x->domid = dom->domid;
        x->name = dom->name;
        x->current_kib = dom->current_kib;
        x->target_kib = dom->target_kib;
        x->static_max_kib = dom->static_max_kib;
        x->min_kib = dom->limits.min_kib;
        x->max_kib = dom->limits.max_kib;
        x->weight = dom->limits.weight;
        x->mode = dom->limits.mode;
        x->fixed_kib = dom->limits.fixed_kib;
        x->pin_kib = dom->pin_kib;
        x->hold_kib = dom->hold_kib;
        x->has_overhead = dom->limits.has_overhead;
        x->overhead_kib = dom->limits.overhead_kib;
        x->stats = dom->stats;
        track[n] = dom->track;
        doms[n] = dom;
        n++;
    }

    bd_policy_params_now(d, &p);
    host.total_kib = d->phys.total_kib;
    host.free_kib = d->phys.free_kib;
    host.outstanding_kib = d->phys.outstanding_kib;
    host.reserved_kib = bd_reserved_effective_kib(d);
    host.soft_reserved_kib = bd_reserved_soft_kib(d);
    memset(&plan, 0, sizeof(plan));
    plan.dec = dec;
    plan.order = order;

    if (n == 0) {
        rc = 0;
        goto out;
    }
    rc = bd_policy_plan(&p, &host, in, track, n, now_ms, &plan);
    if (rc < 0) {
        bd_err("policy failed: %s", strerror(-rc));
        d->cnt.errors++;
        goto out;
    }
    d->cnt.plans++;

    for (size_t i = 0; i < n; i++) {
        struct bd_domain *dom = doms[i];

        if (dom->has_dec && dom->dec.state != dec[i].state &&
            (dec[i].state == BD_STATE_STUCK ||
             dec[i].state == BD_STATE_CLIPPED ||
             dom->dec.state == BD_STATE_STUCK ||
             dom->dec.state == BD_STATE_CLIPPED))
            bd_log_dom(5, BD_ABOUT(BD_EV_STUCK, dom->name, dom->domid),
                       "domain %s (%" PRIu32 "): %s (%s)", dom->name,
                       dom->domid, bd_state_name(dec[i].state),
                       dec[i].reason);
        dom->track = track[i];
        dom->dec = dec[i];
        dom->has_dec = true;
    }
    rc = bd_actuate(d, doms, n, &plan, now_ms);
out:
    free(in);
    free(track);
    free(dec);
    free(doms);
    free(order);
    return rc;
}
