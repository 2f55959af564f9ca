/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cycle.c - the one rebalance cycle, and what feeds it.
 *
 * Design: everything balloond does to the host happens in bd_cycle():
 * scan the domain table, read the reports that are due, expire holds,
 * plan (policy.c), write targets (actuate.c), move reservations on
 * (reserve.c), then save the state file and the metrics file.  It knows
 * no event loop: loop.c calls it from sd-event (tick, kick, reservation
 * poll), handlers.c after a change so that `balloonctl set` returns with
 * the target written, simrun.c from virtual time for the simulator tests
 * and the benchmark.  bd_daemon_drain() turns host watch events into
 * marks (domain table stale, report dirty) between cycles; it never plans.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/actuate.h"
#include "daemon/base/log.h"
#include "daemon/cycle.h"
#include "daemon/daemon.h"
#include "daemon/domains.h"
#include "daemon/metrics.h"
#include "daemon/reserve.h"
#include "daemon/state.h"

/* Events drained at most per call: the fd stays readable and the loop
 * comes back, so one flooding guest cannot starve the others. */
#define BD_DRAIN_MAX 4096
/* A watch connection that breaks again and again is logged once per
 * this long, not at each break. */
#define BD_WATCH_LOG_GAP_MS (10 * 60 * 1000)

int bd_daemon_drain(struct bd_daemon *d, uint64_t now_ms, bool *kick,
                    uint64_t *dirty_next_ms)
{
    struct bd_host *h = d->host;
    struct bd_host_event ev;
    int n = 0, rc = 0;

    while (n++ < BD_DRAIN_MAX && (rc = h->ops->next_event(h, &ev)) == 0)
        bd_domains_event(d, &ev, now_ms, kick);
    if (rc < 0 && rc != -EAGAIN && !d->watch_lost) {
        /* xenstored restarted, or the connection died: the next cycle
         * opens a new one (bd_daemon_rewatch) and rescans */
        d->watch_lost = true;
        d->watch_retry_rc = 0;
        d->cnt.errors++;
        d->watch_loss_logged = !d->watch_logged_ms ||
                               now_ms >= d->watch_logged_ms +
                                             BD_WATCH_LOG_GAP_MS;
        if (d->watch_loss_logged) {
            d->watch_logged_ms = now_ms ? now_ms : 1;
            bd_err("lost the xenstore watch connection: %s; connecting "
                   "again", strerror(-rc));
        }
        *kick = true;
    }
    *dirty_next_ms = bd_domains_process_dirty(d, now_ms, kick);
    if (d->rescan_needed)
        *kick = true;
    return rc < 0 && rc != -EAGAIN ? rc : 0;
}

bool bd_daemon_guard(struct bd_daemon *d, const struct bd_config *cfg,
                     struct bd_warnings *out)
{
    struct bd_guard_dom *g = calloc(d->n_doms + 1, sizeof(*g));
    size_t n = 0;

    out->n = 0;
    bd_guard_config(cfg, out);
    for (size_t i = 0; g && i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        struct bd_dom_limits l = dom->limits;

        if (!bd_domain_plannable(d, dom))
            continue;
        if (cfg != d->cfg)
            bd_config_limits(cfg, dom->domid, dom->name,
                             dom->static_max_kib, &l);
        g[n].name = dom->name;
        g[n].min_wanted_kib = l.min_wanted_kib;
        g[n].max_kib = l.max_kib;
        g[n].current_kib = dom->pin_kib ? dom->pin_kib : dom->current_kib;
        g[n].used_kib = dom->stats.present ? dom->stats.used_kib : 0;
        g[n].managed = l.mode == BD_MODE_AUTO && !dom->pin_kib &&
                       !dom->hold_kib;
        n++;
    }
    if (d->have_phys)
        bd_guard_host(d->phys.total_kib,
                      bd_size_resolve(&cfg->reserve, d->phys.total_kib), g,
                      n, out);
    free(g);
    return bd_warnings_fatal(out, NULL);
}

/* The same warning as before, even if its figures moved (what unmanaged
 * domains hold changes the sum of the minimums): logged once. */
static bool same_warning(const struct bd_warning *a, const struct bd_warning *b)
{
    if (a->kind != b->kind || a->line != b->line)
        return false;
    /* one per domain: told apart by their text */
    return a->kind != BD_WARN_MIN_ABOVE_MAX || !strcmp(a->text, b->text);
}

/* The cycle's guard: the list status and metrics show; new ones logged. */
static void guard(struct bd_daemon *d)
{
    struct bd_warnings w;

    bd_daemon_guard(d, d->cfg, &w);
    for (size_t i = 0; i < w.n; i++) {
        bool known = false;
        for (size_t k = 0; k < d->warnings.n && !known; k++)
            known = same_warning(&d->warnings.w[k], &w.w[i]);
        if (!known)
            bd_warn("%s", w.w[i].text);
    }
    d->warnings = w;
}

/* A file the cycle writes: count every failure, log only changes. */
static void file_result(struct bd_daemon *d, int rc, int *last_rc,
                        const char *what, const char *path)
{
    if (rc < 0) {
        bd_daemon_error(d, "cannot write %s %s: %s", what, path,
                        strerror(-rc));
        if (rc != *last_rc)
            bd_err("%s", d->last_error);
    } else if (*last_rc < 0) {
        bd_info("%s %s written again", what, path);
    }
    *last_rc = rc;
}

static void persist(struct bd_daemon *d, uint64_t now_ms)
{
    int rc;

    if (d->state_dirty && d->cfg->state_path && !d->dry_run) {
        rc = bd_state_save(d, d->cfg->state_path, now_ms);
        file_result(d, rc, &d->state_last_rc, "state file",
                    d->cfg->state_path);
        if (rc == 0)
            d->state_dirty = false;
    }
    /* At most once per interval: a scraper reads the file every 15 s or
     * more, while kicked cycles can come many times a second on a busy
     * host, and rendering the file was most of a cycle's cost.  The
     * socket's `metrics` answer is always live. */
    if (d->cfg->metrics_path &&
        (!d->metrics_written ||
         now_ms - d->metrics_at_ms >= d->cfg->interval_ms)) {
        d->metrics_written = true;
        d->metrics_at_ms = now_ms;
        rc = bd_metrics_write_file(d, d->cfg->metrics_path);
        file_result(d, rc, &d->metrics_last_rc, "metrics file",
                    d->cfg->metrics_path);
    }
}

/* A broken watch connection, opened again; a failure is logged once
 * and tried again on the next cycle. */
static void watch_recover(struct bd_daemon *d)
{
    int rc = bd_daemon_rewatch(d);

    if (rc == 0) {
        if (d->watch_loss_logged)
            bd_notice("xenstore watch connection open again: every watch "
                      "set again");
    } else if (rc != d->watch_retry_rc && d->watch_loss_logged) {
        d->watch_retry_rc = rc;
        bd_warn("cannot open a new xenstore watch connection: %s; trying "
                "again each cycle (changes are seen on the tick only)",
                strerror(-rc));
    }
}

int bd_cycle(struct bd_daemon *d, uint64_t now_ms,
             struct bd_cycle_result *out)
{
    struct bd_cycle_result res;
    uint64_t writes0 = d->cnt.target_writes;
    bool kick = false, first = !d->have_phys;
    int rc;

    memset(&res, 0, sizeof(res));
    if (d->watch_lost)
        watch_recover(d);
    rc = bd_domains_scan(d, now_ms);
    /* State entries apply to the domains of the first scan only. */
    if (rc == 0 && first)
        bd_state_pending_drop(d);
    res.dirty_next_ms = bd_domains_process_dirty(d, now_ms, &kick);
    if (rc == 0)
        guard(d);
    if (rc == 0) {
        rc = bd_rebalance(d, now_ms);
        if (rc == -EAGAIN)
            rc = 0;
    }
    res.res_waiting = bd_res_progress(d, now_ms);
    persist(d, now_ms);
    res.writes = (size_t)(d->cnt.target_writes - writes0);
    if (out)
        *out = res;
    return rc;
}

/* The first line of a parse error list into d->reload_error; every line
 * logged. */
static void reload_errors(struct bd_daemon *d, char *errs, int rc)
{
    char *p = errs, *nl;

    free(d->reload_error);
    d->reload_error = NULL;
    while (p && *p) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        if (*p) {
            bd_err("reload: %s", p);
            if (!d->reload_error)
                d->reload_error = strdup(p);
        }
        if (!nl)
            break;
        *nl = '\n';
        p = nl + 1;
    }
    if (!d->reload_error)
        d->reload_error = strdup(strerror(-rc));
    bd_daemon_error(d, "reload failed: %s",
                    d->reload_error ? d->reload_error : "out of memory");
    bd_err("reload failed; the previous configuration stays in force");
}

int bd_daemon_reload(struct bd_daemon *d, char **errors)
{
    struct bd_config *nc = NULL;
    struct bd_warnings w;
    char *errs = NULL;
    int rc;

    bd_info("reloading %s", d->cfg_path);
    rc = bd_config_load(d->cfg_path, &nc, &errs);
    if (rc < 0) {
        reload_errors(d, errs, rc);
        if (errors)
            *errors = errs;
        else
            free(errs);
        return rc;
    }
    free(errs);
    if (bd_daemon_guard(d, nc, &w)) {
        const struct bd_warning *f = NULL;
        char *line = NULL;

        bd_warnings_fatal(&w, &f);
        if (asprintf(&line, "%s: %s\n", d->cfg_path, f->text) < 0)
            line = NULL;
        bd_config_free(nc);
        reload_errors(d, line, -EINVAL);
        if (errors)
            *errors = line;
        else
            free(line);
        return -EINVAL;
    }
    if (nc->socket_path && d->cfg->socket_path &&
        strcmp(nc->socket_path, d->cfg->socket_path) != 0)
        bd_warn("reload: a new control socket path needs a restart");
    bd_daemon_use_config(d, nc);
    bd_info("configuration reloaded");
    return 0;
}

void bd_daemon_use_config(struct bd_daemon *d, struct bd_config *nc)
{
    bd_config_free(d->cfg);
    d->cfg = nc;
    free(d->reload_error);
    d->reload_error = NULL;
    bd_domains_apply_config(d);
}
