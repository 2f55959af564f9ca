/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handlers.c - balloond's answers to the control socket.
 *
 * Design: control.c hands over validated, typed requests; each handler
 * here checks the request against the domain and the host (the checks
 * themselves are the pure bd_admit_*() of decide.h), changes the daemon's
 * state and, for changes, runs the one cycle (bd_cycle()) at once so that
 * when `balloonctl set` returns, the new target is already written and the
 * state file saved.  A cycle rescans and may free domains that are gone:
 * after it, a handler looks its domain up again by domid and never keeps
 * a struct bd_domain pointer across it.  Every refusal is one clear line
 * saying what to do; nothing is silently clamped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proto.h"
#include "common/size.h"
#include "daemon/base/log.h"
#include "daemon/control/handlers.h"
#include "daemon/cycle.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/metrics.h"
#include "daemon/reserve.h"

static struct bd_daemon *D(struct bd_ctl_call *call)
{
    return call->userdata;
}

static struct bd_domain *find(struct bd_daemon *d,
                              const struct bd_ctl_domref *ref)
{
    if (ref->by_id)
        return bd_domain_find(d, ref->domid);
    return bd_domain_by_name(d, ref->name);
}

static int no_domain(struct bd_ctl_call *call, const struct bd_ctl_domref *r)
{
    if (r->by_id)
        return bd_ctl_fail(call, -ENOENT, "no domain with id %" PRIu32,
                           r->domid);
    return bd_ctl_fail(call, -ENOENT, "no domain named '%s'", r->name);
}

static int gen_dom(yajl_gen g, const struct bd_daemon *d,
                   const struct bd_domain *dom)
{
    struct bd_ctl_dom_info info;
    char reason[160], would[32];

    memset(&info, 0, sizeof(info));
    info.domid = dom->domid;
    info.name = dom->name;
    info.current_kib = dom->current_kib;
    info.target_kib = dom->target_kib;
    info.min_kib = dom->limits.min_kib;
    info.max_kib = dom->limits.max_kib;
    info.static_max_kib = dom->static_max_kib;
    info.weight = dom->limits.weight;
    info.mode = dom->limits.mode;
    info.state = bd_domain_state(dom);
    info.has_stats = dom->stats.present;
    if (dom->stats.present) {
        info.used_kib = dom->stats.used_kib;
        info.available_kib = dom->stats.total_kib > dom->stats.used_kib
                                 ? dom->stats.total_kib - dom->stats.used_kib
                                 : 0;
        /* Qubes' one number is the use alone: unknown, not 0 */
        info.available_unknown = dom->stats.total_kib == 0;
    }
    info.pressure = bd_domain_pressure(dom);
    /* --dry-run: what would have been written, and was not. */
    if (d->dry_run && dom->dry_logged_kib &&
        dom->dry_logged_kib != dom->target_kib)
        info.would_kib = dom->dry_logged_kib;
    if (dom->stats_err[0])
        snprintf(reason, sizeof(reason), "report ignored: %s",
                 dom->stats_err);
    else if (dom->hold_kib)
        snprintf(reason, sizeof(reason), "target set by another tool");
    else if (info.would_kib)
        snprintf(reason, sizeof(reason), "dry-run, would set %s (%s)",
                 bd_format_kib(info.would_kib, would, sizeof(would)),
                 dom->has_dec ? dom->dec.reason : "");
    else if (dom->has_dec && dom->act_note[0])
        snprintf(reason, sizeof(reason), "%s (%s)", dom->act_note,
                 dom->dec.reason);
    else if (dom->has_dec)
        snprintf(reason, sizeof(reason), "%s", dom->dec.reason);
    else
        reason[0] = '\0';
    info.reason = reason;
    info.pin_kib = dom->pin_kib;
    if (dom->stats.present) {
        enum bd_overhead_src src;
        info.overhead_kib = bd_domain_overhead_kib(dom, &src);
        if (src != BD_OVH_NONE)
            info.overhead_source = bd_overhead_src_name(src);
    }
    return bd_proto_gen_domain(g, &info);
}

/* Run the cycle now, so a change is applied (and saved) before the reply;
 * then the domain again by domid: the cycle may have freed it. */
static int apply_now(struct bd_ctl_call *call, uint32_t domid)
{
    struct bd_daemon *d = D(call);
    struct bd_domain *dom;
    int rc;

    bd_cycle(d, bd_daemon_now_ms(d), NULL);
    if (d->hooks && d->hooks->changed)
        d->hooks->changed(d->hooks_ud);
    dom = bd_domain_find(d, domid);
    if (!dom)
        return bd_ctl_fail(call, -ENOENT,
                           "domain %" PRIu32 " went away meanwhile", domid);
    rc = bd_gen_key(call->g, "domain");
    if (rc == 0)
        rc = gen_dom(call->g, d, dom);
    /* Done, but not kept across a restart: the client must say so. */
    if (rc == 0 && d->state_dirty && d->cfg->state_path && !d->dry_run &&
        d->state_last_rc < 0) {
        char msg[BD_PROTO_ERR_MAX];
        snprintf(msg, sizeof(msg), "not saved: cannot write state file "
                 "%s: %s", d->cfg->state_path, strerror(-d->state_last_rc));
        rc = bd_gen_str(call->g, "not_saved", msg);
    }
    return rc;
}

/* What the guest uses in target terms: its report plus the kernel
 * overhead counted for it (learned, estimated or configured); 0 without
 * a report. */
static uint64_t guest_use_kib(const struct bd_domain *dom)
{
    enum bd_overhead_src src;

    if (!dom->stats.present || dom->stats_err[0])
        return 0;
    return dom->stats.used_kib + bd_domain_overhead_kib(dom, &src);
}

/* A target (set) or max (limits) below the guest's use needs force. */
static int below_use(struct bd_ctl_call *call, const struct bd_domain *dom,
                     const char *what, uint64_t kib, bool force)
{
    uint64_t use = guest_use_kib(dom);
    enum bd_overhead_src src;
    uint64_t ovh = bd_domain_overhead_kib(dom, &src);
    const char *how = bd_overhead_src_name(src);
    char a[32], b[32], c[32], e[32];

    if (force || !bd_guard_below_use(kib, use))
        return 0;
    return bd_ctl_fail(call, -EPERM,
                       "%s %s is below what %s uses, %s (reported %s + "
                       "kernel overhead %s%s%s); the guest may swap or run "
                       "out of memory: use --force if that is meant",
                       what, bd_format_kib(kib, a, sizeof(a)), dom->name,
                       bd_format_kib(use, b, sizeof(b)),
                       bd_format_kib(dom->stats.used_kib, c, sizeof(c)),
                       bd_format_kib(ovh, e, sizeof(e)), how ? ", " : "",
                       how ? how : "");
}

static int h_status(struct bd_ctl_call *call)
{
    struct bd_daemon *d = D(call);
    struct bd_ctl_status_info s;
    struct bd_policy_params p;
    uint64_t now = bd_daemon_now_ms(d);
    uint32_t managed = 0;
    const char *warn[BD_WARN_MAX];
    struct bd_ctl_res_info res[BD_MAX_RESERVATIONS];

    bd_policy_params_now(d, &p);
    for (size_t i = 0; i < d->n_doms; i++)
        if (bd_domain_plannable(d, d->doms[i]) &&
            d->doms[i]->limits.mode == BD_MODE_AUTO)
            managed++;
    memset(&s, 0, sizeof(s));
    s.daemon_version = BD_VERSION;
    s.pid = (uint32_t)getpid();
    s.uptime_ms = now - d->start_ms;
    s.config_path = d->cfg_path;
    s.host = d->host_spec;
    s.dry_run = d->dry_run;
    s.host_total_kib = d->phys.total_kib;
    s.host_free_kib = d->phys.free_kib;
    s.reserve_kib = p.reserve_kib;
    s.reserved_kib = bd_reserved_kib(d);
    s.n_reservations = (uint32_t)d->n_res;
    s.start_pool_kib = p.start_pool_kib;
    bd_res_capacity(d, &s.capacity_now_kib, &s.capacity_reclaim_kib);
    s.domains = (uint32_t)d->n_doms;
    s.domains_managed = managed;
    s.has_last_rebalance = d->last_rebalance_ms != 0;
    s.last_rebalance_ago_ms = d->last_rebalance_ms ? now - d->last_rebalance_ms
                                                   : 0;
    s.rebalances = d->cnt.rebalances;
    s.target_writes = d->cnt.target_writes;
    s.errors = d->cnt.errors;
    s.last_error = d->last_error[0] ? d->last_error : NULL;
    for (size_t i = 0; i < d->warnings.n; i++)
        warn[i] = d->warnings.w[i].text;
    s.warnings = warn;
    s.n_warnings = d->warnings.n;
    for (size_t i = 0; i < d->n_res; i++) {
        res[i].id = d->res[i].id;
        res[i].kib = d->res[i].kib;
        res[i].granted = d->res[i].granted;
        res[i].left_ms = bd_sub0(d->res[i].expires_ms, now);
    }
    s.res = res;
    s.n_res = d->n_res;
    return bd_proto_gen_status(call->g, &s);
}

static int h_show(struct bd_ctl_call *call, const struct bd_ctl_domref *refs,
                  size_t n)
{
    struct bd_daemon *d = D(call);
    int rc;

    for (size_t k = 0; k < n; k++)
        if (!find(d, &refs[k]))
            return no_domain(call, &refs[k]);
    rc = bd_gen_key(call->g, "domains");
    if (rc == 0 && yajl_gen_array_open(call->g) != yajl_gen_status_ok)
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        bool match = n == 0;

        for (size_t k = 0; k < n && !match; k++)
            match = find(d, &refs[k]) == dom;
        if (match)
            rc = gen_dom(call->g, d, dom);
    }
    if (rc == 0 && yajl_gen_array_close(call->g) != yajl_gen_status_ok)
        rc = -ENOMEM;
    return rc;
}

/* Common checks for set/auto/limits. */
static int changeable(struct bd_ctl_call *call, struct bd_domain *dom)
{
    struct bd_daemon *d = D(call);

    if (dom->dying)
        return bd_ctl_fail(call, -ENOENT, "domain %s is shutting down",
                           dom->name);
    if (!bd_domain_plannable(d, dom))
        return bd_ctl_fail(call, -EAGAIN,
                           "domain %s has no memory/target or static-max in "
                           "xenstore yet; try again", dom->name);
    if (dom->domid == 0 && !d->cfg->manage_dom0)
        return bd_ctl_fail(call, -EPERM,
                           "Domain-0 is not managed (set manage-dom0 = yes "
                           "in the [host] section)");
    return 0;
}

/* Memory a pin may take now: free (after claims) less growth promised
 * to others, less the host reserve and the reservations still being
 * freed.  Granted reservations are held free for whoever takes them: a
 * pin may (balloonctl set reserves what it lacks first); *held_kib says
 * how much of the result they hold. */
static uint64_t set_available_kib(struct bd_daemon *d,
                                  const struct bd_domain *dom,
                                  uint64_t *held_kib)
{
    struct bd_policy_params p;
    uint64_t granted = bd_res_granted_kib(d), avail;

    bd_policy_params_now(d, &p);
    avail = bd_growth_budget(
        bd_free_unclaimed_kib(d->phys.free_kib, d->phys.outstanding_kib),
        bd_pending_growth_kib(d, dom),
        p.reserve_kib + bd_reserved_kib(d) - granted);
    *held_kib = granted < avail ? granted : avail;
    return avail;
}

/* A grow the free memory does not cover: can freeing other domains down
 * to their minimums cover it, as for `reserve` (bd_admit_reserve())?
 * 0 when it can (the caller pins and the plan frees it), otherwise the
 * refusal. */
static int set_freeable(struct bd_ctl_call *call, const struct bd_domain *dom,
                        uint64_t grow_kib)
{
    struct bd_daemon *d = D(call);
    struct bd_policy_params p;
    uint64_t can;
    char a[32], b[32];

    bd_policy_params_now(d, &p);
    if (bd_admit_reserve(grow_kib, bd_res_freeable_kib(d, dom),
                         p.reserve_kib + bd_reserved_kib(d), &can) == 0)
        return 0;
    return bd_ctl_fail(call, -ENOSPC,
                       "%s needs %s " BD_PROTO_MSG_SHORT " above the host "
                       "reserve, and at most %s can be freed without going "
                       "below domain minimums; pick a smaller size",
                       dom->name, bd_format_kib(grow_kib, a, sizeof(a)),
                       bd_format_kib(can, b, sizeof(b)));
}

static int h_set(struct bd_ctl_call *call, const struct bd_ctl_domref *ref,
                 uint64_t target_kib, bool force)
{
    struct bd_daemon *d = D(call);
    struct bd_domain *dom;
    struct bd_range range;
    uint64_t short_kib, avail, held, grow, waiting;
    char a[32], b[32], c[32];
    int rc;

    /* A fresh view of the host first; dom is found after it. */
    bd_domains_scan(d, bd_daemon_now_ms(d));
    if (!(dom = find(d, ref)))
        return no_domain(call, ref);
    if ((rc = changeable(call, dom)) < 0)
        return rc;
    if (dom->limits.mode == BD_MODE_IGNORE)
        return bd_ctl_fail(call, -EPERM,
                           "domain %s is in mode ignore; change its mode "
                           "with balloonctl limits first", dom->name);
    if ((rc = below_use(call, dom, "target", target_kib, force)) < 0)
        return rc;
    range = bd_domain_range(dom);
    avail = set_available_kib(d, dom, &held);
    rc = bd_admit_set(target_kib, dom->current_kib, range, avail,
                      &short_kib);
    if (rc == -ERANGE)
        return bd_ctl_fail(call, rc,
                           "%s is outside %s's limits [%s, %s]; change them "
                           "with balloonctl limits",
                           bd_format_kib(target_kib, a, sizeof(a)), dom->name,
                           bd_format_kib(range.lo_kib, b, sizeof(b)),
                           bd_format_kib(range.hi_kib, c, sizeof(c)));
    grow = bd_sub0(target_kib, dom->current_kib);
    waiting = 0;
    if (rc == -ENOSPC) {
        /* Short now but freeable: pinned at once, and the plan frees the
         * rest from other domains within their limits as it would for
         * `reserve`; the pin grows as memory frees (balloonctl set waits
         * for it, with reserve's timeout).  Reservations are not used. */
        if ((rc = set_freeable(call, dom, grow)) < 0)
            return rc;
        waiting = short_kib;
    }
    /* The part of the grow only held reservations cover is theirs. */
    if (!waiting && grow > avail - held) {
        bd_res_consume(d, grow - (avail - held));
        bd_info("domain %s (%" PRIu32 "): %s of held reservations used "
                "for its pin", dom->name, dom->domid,
                bd_format_kib(grow - (avail - held), a, sizeof(a)));
    }
    dom->pin_kib = target_kib;
    dom->hold_kib = 0;
    dom->hold_until_ms = 0;
    dom->hold_until_wall = 0;
    d->state_dirty = true;
    bd_info("domain %s (%" PRIu32 "): pinned at %s by uid %u%s", dom->name,
            dom->domid, bd_format_kib(target_kib, a, sizeof(a)),
            (unsigned)call->uid,
            waiting ? "; freeing memory from other domains for it" : "");
    rc = apply_now(call, dom->domid);
    if (rc == 0)
        rc = bd_gen_u64(call->g, "waiting_kib", waiting);
    return rc;
}

static int h_auto(struct bd_ctl_call *call, const struct bd_ctl_domref *ref)
{
    struct bd_daemon *d = D(call);
    struct bd_domain *dom = find(d, ref);

    if (!dom)
        return no_domain(call, ref);
    if (dom->pin_kib || dom->hold_kib)
        bd_info("domain %s (%" PRIu32 "): back to automatic (uid %u)",
                dom->name, dom->domid, (unsigned)call->uid);
    bd_domain_release(d, dom);
    return apply_now(call, dom->domid);
}

static int h_limits(struct bd_ctl_call *call,
                    const struct bd_ctl_limits_args *a)
{
    struct bd_daemon *d = D(call);
    struct bd_domain *dom = find(d, &a->domain);
    struct bd_override o;
    struct bd_dom_limits saved;
    char x[32], y[32];
    int rc;

    if (!dom)
        return no_domain(call, &a->domain);
    if (a->reset) {
        memset(&dom->ovr, 0, sizeof(dom->ovr));
        bd_domain_apply_limits(d, dom);
        d->state_dirty = true;
        bd_info("domain %s (%" PRIu32 "): runtime limits reset", dom->name,
                dom->domid);
        return apply_now(call, dom->domid);
    }
    if ((rc = changeable(call, dom)) < 0)
        return rc;
    o = dom->ovr;
    if (a->has_min) {
        o.has_min = true;
        o.min_kib = a->min_kib;
    }
    if (a->has_max) {
        if (dom->static_max_kib && a->max_kib > dom->static_max_kib)
            return bd_ctl_fail(call, -ERANGE,
                               "max %s is above %s's static-max %s",
                               bd_format_kib(a->max_kib, x, sizeof(x)),
                               dom->name,
                               bd_format_kib(dom->static_max_kib, y,
                                             sizeof(y)));
        if ((rc = below_use(call, dom, "max", a->max_kib, a->force)) < 0)
            return rc;
        o.has_max = true;
        o.max_kib = a->max_kib;
    }
    if (a->has_weight) {
        o.has_weight = true;
        o.weight = a->weight;
    }
    if (a->has_mode) {
        o.has_mode = true;
        o.mode = a->mode;
    }
    /* Check the effective pair before committing. */
    saved = dom->limits;
    {
        struct bd_override keep = dom->ovr;
        dom->ovr = o;
        bd_domain_apply_limits(d, dom);
        if (o.has_min && dom->limits.min_kib != o.min_kib) {
            uint64_t eff_max = dom->limits.max_kib;
            dom->ovr = keep;
            dom->limits = saved;
            return bd_ctl_fail(call, -ERANGE,
                               "min %s is above %s's effective max %s",
                               bd_format_kib(o.min_kib, x, sizeof(x)),
                               dom->name, bd_format_kib(eff_max, y,
                                                        sizeof(y)));
        }
        if (dom->pin_kib && (dom->pin_kib < dom->limits.min_kib ||
                             dom->pin_kib > dom->limits.max_kib)) {
            bd_info("domain %s: pin dropped, outside its new limits",
                    dom->name);
            dom->pin_kib = 0;
        }
    }
    d->state_dirty = true;
    bd_info("domain %s (%" PRIu32 "): runtime limits min %s max %s weight "
            "%" PRIu32 " mode %s (uid %u)",
            dom->name, dom->domid,
            bd_format_kib(dom->limits.min_kib, x, sizeof(x)),
            bd_format_kib(dom->limits.max_kib, y, sizeof(y)),
            dom->limits.weight, bd_mode_name(dom->limits.mode),
            (unsigned)call->uid);
    return apply_now(call, dom->domid);
}

static int h_reserve(struct bd_ctl_call *call, uint64_t kib,
                     uint64_t timeout_ms, bool force, struct bd_ctl_pending *p)
{
    struct bd_daemon *d = D(call);
    uint64_t now = bd_daemon_now_ms(d);
    char err[BD_PROTO_ERR_MAX];
    int rc;

    bd_domains_scan(d, now);
    rc = bd_res_add(d, kib, timeout_ms, force, p, now, err, sizeof(err));
    if (rc < 0)
        return bd_ctl_fail(call, rc, "%s", err);
    if (d->hooks && d->hooks->kick)
        d->hooks->kick(d->hooks_ud);
    return 0;
}

static void h_reserve_abandoned(void *userdata, struct bd_ctl_pending *p)
{
    bd_res_abandon(userdata, p);
}

static int h_release(struct bd_ctl_call *call, uint64_t id)
{
    uint64_t kib = 0;
    struct bd_daemon *d = D(call);
    int rc = bd_res_release(d, id, &kib);

    if (rc == -ENOENT)
        return bd_ctl_fail(call, rc, "no reservation %" PRIu64, id);
    if (rc == -EBUSY)
        return bd_ctl_fail(call, rc,
                           "reservation %" PRIu64 " is still being freed",
                           id);
    if (d->hooks && d->hooks->kick)
        d->hooks->kick(d->hooks_ud);
    if ((rc = bd_gen_u64(call->g, "id", id)) < 0)
        return rc;
    return bd_gen_u64(call->g, "kib", kib);
}

static int h_reload(struct bd_ctl_call *call)
{
    struct bd_daemon *d = D(call);
    char *errors = NULL;
    int rc = d->hooks && d->hooks->reload
                 ? d->hooks->reload(d->hooks_ud, &errors)
                 : bd_daemon_reload(d, &errors);

    if (rc < 0) {
        char msg[BD_PROTO_ERR_MAX], *o = msg;
        const char *q = errors ? errors : strerror(-rc);
        /* Several errors on one line (the protocol's errors are one
         * line), separated by "; ": balloonctl prints one per line. */
        while (*q && o + 3 < msg + sizeof(msg)) {
            if (*q == '\n') {
                if (q[1]) {
                    *o++ = ';';
                    *o++ = ' ';
                }
            } else {
                *o++ = *q;
            }
            q++;
        }
        *o = '\0';
        free(errors);
        return bd_ctl_fail(call, -EINVAL, "reload failed, old configuration "
                                          "kept: %s", msg);
    }
    return bd_gen_str(call->g, "config", d->cfg_path);
}

static int h_metrics(struct bd_ctl_call *call)
{
    char *text = bd_metrics_render(D(call));
    int rc;

    if (!text)
        return -ENOMEM;
    rc = bd_gen_str(call->g, "text", text);
    free(text);
    return rc;
}

static const char *const press_names[] = {NULL, "psi", "swap-in",
                                          "major-faults"};

static int h_explain(struct bd_ctl_call *call, const struct bd_ctl_domref *ref)
{
    struct bd_daemon *d = D(call);
    const struct bd_domain *dom = find(d, ref);
    struct bd_ctl_explain_plan pl;
    struct bd_ctl_change ch[BD_HISTORY_MAX];
    enum bd_overhead_src ovh_src;
    uint64_t now = bd_daemon_now_ms(d);
    size_t n, first;
    int rc;

    if (!dom)
        return no_domain(call, ref);
    memset(&pl, 0, sizeof(pl));
    pl.has_plan = dom->has_dec;
    pl.has_stats = dom->stats.present && !dom->stats_err[0];
    pl.reported_used_kib = dom->stats.used_kib;
    pl.overhead_kib = bd_domain_overhead_kib(dom, &ovh_src);
    pl.overhead_source = bd_overhead_src_name(ovh_src);
    pl.use_kib = dom->dec.use_kib;
    pl.need_kib = dom->dec.need_kib;
    pl.want_kib = dom->dec.want_kib;
    pl.share_kib = dom->dec.share_kib;
    pl.lo_kib = dom->dec.lo_kib;
    pl.hi_kib = dom->dec.hi_kib;
    pl.planned_kib = dom->dec.target_kib;
    if (dom->dec.press < sizeof(press_names) / sizeof(press_names[0]))
        pl.pressure_signal = press_names[dom->dec.press];
    pl.pressure_value = dom->dec.press_val;
    pl.note = dom->act_note;
    n = dom->n_hist < BD_HISTORY_MAX ? dom->n_hist : BD_HISTORY_MAX;
    first = dom->n_hist - n;
    for (size_t k = 0; k < n; k++) {
        const struct bd_target_change *c =
            &dom->hist[(first + k) % BD_HISTORY_MAX];
        ch[k].ago_ms = now >= c->at_ms ? now - c->at_ms : 0;
        ch[k].from_kib = c->from_kib;
        ch[k].to_kib = c->to_kib;
        ch[k].dry_run = c->dry_run;
        ch[k].reason = c->reason;
    }
    rc = bd_gen_key(call->g, "domain");
    if (rc == 0)
        rc = gen_dom(call->g, d, dom);
    if (rc == 0)
        rc = bd_proto_gen_explain(call->g, &pl, ch, n);
    return rc;
}

const struct bd_ctl_ops bd_handlers = {
    .status = h_status,
    .show = h_show,
    .set = h_set,
    .auto_ = h_auto,
    .limits = h_limits,
    .reserve = h_reserve,
    .reserve_abandoned = h_reserve_abandoned,
    .release = h_release,
    .reload = h_reload,
    .metrics = h_metrics,
    .explain = h_explain,
    .log = NULL,
};
