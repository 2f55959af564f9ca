/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * simrun.c - the real daemon on a simulated host, in virtual time (see
 * simrun.h).
 *
 * Design: the same schedule as loop.c, with virtual time in place of
 * sd-event's timers: the model is stepped every step_ms, watch events are
 * drained after each step, a tick cycle runs every interval and a kicked
 * cycle at bd_kick_at().  Time jumps straight to the next thing due.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cycle.h"
#include "daemon/domains.h"
#include "sim/host_sim.h"
#include "daemon/state.h"
#include "sim/simrun.h"

static int sr_start(struct bd_simrun *r);

static uint64_t sr_now(void *ud)
{
    return ((struct bd_simrun *)ud)->now_ms;
}

static void sr_kick(void *ud)
{
    struct bd_simrun *r = ud;

    if (!r->kick_at_ms)
        r->kick_at_ms = bd_kick_at(r->now_ms, r->last_cycle_ms);
}

static const struct bd_daemon_hooks simrun_hooks = {
    .now_ms = sr_now,
    .kick = sr_kick,
};

int bd_simrun_init(struct bd_simrun *r, struct bd_sim *sim,
                   const char *cfg_text)
{
    char *errs = NULL;
    int rc;

    memset(r, 0, sizeof(*r));
    r->now_ms = bd_sim_now_ms(sim);
    rc = bd_config_load_string("simrun", cfg_text ? cfg_text : "", &r->cfg,
                               &errs);
    if (rc < 0) {
        fprintf(stderr, "simrun: configuration: %s", errs ? errs : "");
        free(errs);
        bd_sim_free(sim);
        return rc;
    }
    free(errs);
    /* virtual time keeps no state file: the default path is the real
     * daemon's, on a dom0 that may run one */
    free(r->cfg->state_path);
    r->cfg->state_path = NULL;
    rc = bd_host_sim_wrap(sim, r->now_ms, &r->host);
    if (rc < 0) {
        bd_config_free(r->cfg);
        r->cfg = NULL;
        return rc;
    }
    r->sim = sim;
    r->step_ms = r->host->step_ms ? r->host->step_ms : 100;
    return sr_start(r);
}

/* The daemon's start on r->host with r->cfg, as main.c's. */
static int sr_start(struct bd_simrun *r)
{
    bd_daemon_init(&r->d, r->cfg, r->host);
    r->d.hooks = &simrun_hooks;
    r->d.hooks_ud = r;
    r->d.host_spec = "sim";
    r->d.start_ms = r->now_ms;
    r->tick_at_ms = r->now_ms;
    r->kick_at_ms = r->dirty_at_ms = 0;
    /* As loop.c: domains coming and going are watched from the start. */
    return bd_daemon_watch_domains(&r->d);
}

/* cfg_text as a configuration, with the files the caller chose for r
 * (none by default) instead of the text's.  0, -EINVAL (the errors go to
 * stderr after "simrun: WHAT: "), -ENOMEM. */
static int sr_load_config(const struct bd_simrun *r, const char *cfg_text,
                          const char *what, struct bd_config **out)
{
    struct bd_config *nc = NULL;
    char *errs = NULL;
    int rc =
        bd_config_load_string("simrun", cfg_text ? cfg_text : "", &nc, &errs);

    if (rc < 0) {
        fprintf(stderr, "simrun: %s: %s", what, errs ? errs : "");
        free(errs);
        return rc;
    }
    free(errs);
    free(nc->state_path);
    free(nc->metrics_path);
    nc->state_path = r->cfg->state_path ? strdup(r->cfg->state_path) : NULL;
    nc->metrics_path =
        r->cfg->metrics_path ? strdup(r->cfg->metrics_path) : NULL;
    if ((r->cfg->state_path && !nc->state_path) ||
        (r->cfg->metrics_path && !nc->metrics_path)) {
        bd_config_free(nc);
        return -ENOMEM;
    }
    *out = nc;
    return 0;
}

int bd_simrun_restart(struct bd_simrun *r, const char *cfg_text)
{
    struct bd_config *nc = NULL;
    struct bd_sim *sim;
    uint64_t step_ms = r->step_ms;
    int rc = sr_load_config(r, cfg_text, "restart", &nc);

    if (rc < 0)
        return rc;
    /* the old process goes, its watches with its xenstore connection */
    bd_daemon_dispose(&r->d);
    bd_config_free(r->cfg);
    sim = bd_host_sim_release(r->host);
    r->host = NULL;
    r->cfg = nc;
    rc = bd_host_sim_wrap(sim, r->now_ms, &r->host);
    if (rc < 0) {
        r->sim = NULL;
        return rc;
    }
    r->step_ms = step_ms;
    memset(&r->d, 0, sizeof(r->d));
    rc = sr_start(r);
    if (rc == 0 && r->cfg->state_path)
        bd_state_load(&r->d, r->cfg->state_path, r->now_ms);
    return rc;
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}

/* Step the model to now and turn what changed into marks and kicks. */
static int sr_poll(struct bd_simrun *r)
{
    uint64_t dirty_next = 0;
    bool kick = false;
    int rc = r->host->ops->step(r->host, r->now_ms);

    if (rc < 0)
        return rc;
    bd_daemon_drain(&r->d, r->now_ms, &kick, &dirty_next);
    r->dirty_at_ms = dirty_next;
    if (kick)
        sr_kick(r);
    return 0;
}

static void sr_cycle(struct bd_simrun *r)
{
    struct bd_cycle_result res;

    if (r->kick_at_ms && r->now_ms >= r->kick_at_ms)
        r->kick_at_ms = 0;
    if (r->now_ms >= r->tick_at_ms)
        r->tick_at_ms = r->now_ms + r->cfg->interval_ms;
    r->last_cycle_ms = r->now_ms;
    r->last_rc = bd_cycle(&r->d, r->now_ms, &res);
    r->cycles++;
    r->dirty_at_ms = earliest(r->dirty_at_ms, res.dirty_next_ms);
    /* A waiting reservation looks again soon, as the loop's poll. */
    if (res.res_waiting)
        sr_kick(r);
}

int bd_simrun_advance(struct bd_simrun *r, uint64_t ms)
{
    uint64_t end = r->now_ms + ms;
    int rc;

    do {
        uint64_t next = earliest(r->kick_at_ms, r->tick_at_ms);

        next = earliest(next, r->dirty_at_ms);
        next = earliest(next, r->now_ms + r->step_ms);
        if (next > end)
            next = end;
        if (next > r->now_ms)
            r->now_ms = next;
        if ((rc = sr_poll(r)) < 0)
            return rc;
        if (r->now_ms >= r->tick_at_ms ||
            (r->kick_at_ms && r->now_ms >= r->kick_at_ms))
            sr_cycle(r);
    } while (r->now_ms < end);
    return 0;
}

int bd_simrun_reload(struct bd_simrun *r, const char *cfg_text)
{
    struct bd_config *nc = NULL;
    int rc = sr_load_config(r, cfg_text, "reload", &nc);

    if (rc < 0)
        return rc;
    /* The daemon owns its configuration from here; r->cfg follows it. */
    bd_daemon_use_config(&r->d, nc);
    r->cfg = nc;
    r->tick_at_ms = r->now_ms + nc->interval_ms;
    sr_kick(r);
    return 0;
}

void bd_simrun_dispose(struct bd_simrun *r)
{
    bd_daemon_dispose(&r->d);
    if (r->host)
        r->host->ops->destroy(r->host);
    bd_config_free(r->cfg);
    memset(r, 0, sizeof(*r));
}
