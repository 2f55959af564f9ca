/*
 * actuate.c - one rebalance: snapshot, plan, write the targets.
 *
 * Design: the policy (policy.c) decides, this file only carries the plan
 * out, carefully:
 *  - shrinks first, then grows, in the plan's order;
 *  - a grow takes only memory that is really free now: physinfo is read
 *    again after the shrinks were written, and growth already asked of
 *    other domains but not yet taken (target above current) is counted as
 *    spoken for, so the host reserve holds even while balloons move;
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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/size.h"
#include "daemon/daemon.h"

void bd_policy_params_now(const struct bd_daemon *d,
                          struct bd_policy_params *p)
{
    *p = d->cfg->policy;
    p->reserve_kib = bd_size_resolve(&d->cfg->reserve, d->phys.total_kib);
    /* shrink-rate is per interval, however often a kick plans in between. */
    if (d->cfg->interval_ms)
        p->decay_interval_ms = d->cfg->interval_ms;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

uint64_t bd_reserved_effective_kib(const struct bd_daemon *d)
{
    /* A domain being built claims its memory (xl's claim_mode): that is
     * the reservation being used, not more memory to free. */
    return sub0(bd_reserved_kib(d), d->phys.outstanding_kib);
}

/* Memory promised to domains (target above current) but not yet taken. */
static uint64_t pending_growth(const struct bd_daemon *d)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        if (dom->dying || !dom->usable)
            continue;
        if (dom->has_dec && (dom->dec.state == BD_STATE_CLIPPED ||
                             dom->dec.state == BD_STATE_STUCK))
            continue;
        sum += sub0(dom->target_kib, dom->current_kib);
    }
    return sum;
}

static void log_failure(struct bd_daemon *d, struct bd_domain *dom, int rc,
                        uint64_t target_kib)
{
    char a[32];

    d->cnt.errors++;
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
    bd_info("domain %s (%" PRIu32 "): target %s -> %s (%s)", dom->name,
            dom->domid, bd_format_kib(dom->target_kib, a, sizeof(a)),
            bd_format_kib(target_kib, b, sizeof(b)), reason);
    dom->written_kib = target_kib;
    dom->written_ms = now_ms;
    dom->target_kib = target_kib;
    d->cnt.target_writes++;
    return 0;
}

int bd_actuate(struct bd_daemon *d, struct bd_domain **doms, size_t n,
               const struct bd_plan *plan, uint64_t now_ms)
{
    struct bd_policy_params p;
    uint64_t reserve, free_now, budget = 0;
    bool budget_known = false, startup, short_now;
    size_t writes = 0;

    bd_policy_params_now(d, &p);
    reserve = p.reserve_kib + bd_reserved_effective_kib(d);
    free_now = sub0(d->phys.free_kib, d->phys.outstanding_kib);
    short_now = free_now < reserve;
    startup = now_ms < d->start_ms + p.shrink_delay_ms;

    /* Two passes (shrinks, then grows) even if a plan's order mixed them:
     * growth must never get ahead of the memory that funds it. */
    for (size_t k = 0; k < 2 * plan->n_order; k++) {
        bool grow_pass = k >= plan->n_order;
        size_t idx = plan->order[k % plan->n_order];
        struct bd_domain *dom;
        const struct bd_decision *dec;
        uint64_t planned_from, target, lo, hi;
        bool shrink;
        int rc;

        if (idx >= n)
            continue;
        dom = doms[idx];
        dec = &plan->dec[idx];
        /* Judged against the target now, not the plan's flag. */
        shrink = dec->target_kib < dom->target_kib;
        if (!dec->write || dom->limits.mode == BD_MODE_IGNORE ||
            dec->target_kib == dom->target_kib || shrink == grow_pass)
            continue;
        target = dec->target_kib;
        hi = dom->limits.max_kib;
        if (dom->static_max_kib && hi > dom->static_max_kib)
            hi = dom->static_max_kib;
        lo = dom->limits.min_kib < hi ? dom->limits.min_kib : hi;
        if (target < lo || target > hi || target == 0) {
            char a[32];
            if (dom->last_err != -ERANGE)
                bd_err("domain %s (%" PRIu32 "): refusing planned target %s "
                       "outside its limits", dom->name, dom->domid,
                       bd_format_kib(target, a, sizeof(a)));
            dom->last_err = -ERANGE;
            continue;
        }
        /* No history yet: keep what a previous run (or the admin) set,
         * unless the memory is needed now or the target breaks a limit. */
        if (shrink && startup && !short_now && dom->target_kib <= hi &&
            dom->target_kib >= lo && !dom->pin_kib &&
            dom->limits.mode == BD_MODE_AUTO) {
            bd_debug("domain %s: shrink deferred after start", dom->name);
            continue;
        }

        planned_from = dom->target_kib;
        rc = bd_domain_read_memory(d, dom, now_ms);
        if (rc == -ENOENT) {
            d->rescan_needed = true;
            continue;
        }
        if (rc < 0 || dom->target_kib != planned_from || dom->hold_kib)
            continue;

        if (!shrink) {
            uint64_t need = sub0(target, dom->target_kib), give;

            if (!budget_known) {
                struct bd_host_phys ph;
                if (!d->dry_run && writes > 0 &&
                    d->host->ops->physinfo(d->host, &ph) == 0)
                    d->phys = ph;
                budget = sub0(sub0(d->phys.free_kib,
                                   d->phys.outstanding_kib),
                              pending_growth(d));
                budget = sub0(budget, reserve);
                budget_known = true;
                bd_debug("growth budget %" PRIu64 "K (free %" PRIu64
                         "K, claimed %" PRIu64 "K, promised %" PRIu64
                         "K, reserve %" PRIu64 "K)",
                         budget, d->phys.free_kib, d->phys.outstanding_kib,
                         pending_growth(d), reserve);
            }
            give = need < budget ? need : budget;
            if (give < need) {
                /* Part now, the rest as shrinking domains let go. */
                if (give < p.hysteresis_kib || give == 0 ||
                    dom->target_kib + give < lo) {
                    bd_debug("domain %s: grow waits for free memory",
                             dom->name);
                    continue;
                }
                target = dom->target_kib + give;
            }
            budget -= give;
        }
        rc = write_target(d, dom, target, dec->reason, now_ms);
        if (rc == 0)
            writes++;
    }
    if (writes > 0) {
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
    d->last_plan_ms = now_ms;
    d->last_free_after_kib = plan.free_after_kib;
    d->last_want_kib = plan.want_total_kib;

    for (size_t i = 0; i < n; i++) {
        struct bd_domain *dom = doms[i];

        if (dom->has_dec && dom->dec.state != dec[i].state &&
            (dec[i].state == BD_STATE_STUCK ||
             dec[i].state == BD_STATE_CLIPPED ||
             dom->dec.state == BD_STATE_STUCK ||
             dom->dec.state == BD_STATE_CLIPPED))
            bd_notice("domain %s (%" PRIu32 "): %s (%s)", dom->name,
                      dom->domid, bd_state_name(dec[i].state),
                      dec[i].reason);
        dom->track = track[i];
        dom->dec = dec[i];
        dom->has_dec = true;
        dom->fresh = false;
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
