/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.c - the few functions every file of the daemon's top calls: the
 * driver's clock, the error counter, a domain's history, whether a domain
 * takes part in planning, and the policy's parameters now.
 *
 * Design: kept apart from the cycle, the domain table and the actuator so
 * that those call this file and never each other in a circle
 * (tests/layering.sh checks it).  Nothing here does I/O.
 */
#include <stdarg.h>
#include <stdio.h>

#include "common/size.h"
#include "daemon/daemon.h"

uint64_t bd_daemon_now_ms(const struct bd_daemon *d)
{
    if (d->hooks && d->hooks->now_ms)
        return d->hooks->now_ms(d->hooks_ud);
    return 0;
}

void bd_daemon_error(struct bd_daemon *d, const char *fmt, ...)
{
    va_list ap;

    d->cnt.errors++;
    va_start(ap, fmt);
    vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
    va_end(ap);
}

void bd_domain_history_add(struct bd_domain *dom, uint64_t now_ms,
                           uint64_t from_kib, uint64_t to_kib, bool dry_run,
                           const char *reason)
{
    struct bd_target_change *c = &dom->hist[dom->n_hist % BD_HISTORY_MAX];

    c->at_ms = now_ms;
    c->from_kib = from_kib;
    c->to_kib = to_kib;
    c->dry_run = dry_run;
    snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
    dom->n_hist++;
}

bool bd_domain_plannable(const struct bd_daemon *d,
                         const struct bd_domain *dom)
{
    (void)d;
    return dom->usable && !dom->dying && dom->name[0] != '\0';
}

void bd_policy_params_now(const struct bd_daemon *d,
                          struct bd_policy_params *p)
{
    *p = d->cfg->policy;
    p->reserve_kib = bd_size_resolve(&d->cfg->reserve, d->phys.total_kib);
    p->start_pool_kib =
        bd_size_resolve(&d->cfg->start_pool, d->phys.total_kib);
    /* shrink-rate is per interval, however often a kick plans in between. */
    if (d->cfg->interval_ms)
        p->decay_interval_ms = d->cfg->interval_ms;
}
