/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.c - the sd-event loop and the rebalance cycle.
 *
 * Design: balloond sleeps until something happens.  Sources:
 *  - the host's watch fd (xenstore) or, on the simulated host, a step
 *    timer; watch events only mark things (domain table stale, guest
 *    report dirty), they never plan by themselves;
 *  - the tick (config interval): a full cycle;
 *  - the kick: a one-shot cycle asked for by a guest that reports it needs
 *    memory, a domain that came or went, a reservation; rate-limited to
 *    one per BD_KICK_GAP_MS so that no guest can make balloond spin;
 *  - the dirty timer: re-reads a flooding guest's report when its gap has
 *    passed;
 *  - SIGTERM/SIGINT (stop: targets are left where they are), SIGHUP
 *    (reload), the control socket, and the systemd watchdog.
 * With nothing changing, a cycle reads domains and physinfo and writes
 * nothing to xenstore (the policy's hysteresis keeps targets still).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "common/size.h"
#include "daemon/base/log.h"
#include "daemon/cycle.h"
#include "daemon/domains.h"
#include "daemon/loop.h"
#include "daemon/metrics.h"
#include "daemon/reserve.h"
#include "daemon/state.h"

/* How often a waiting reservation looks at free memory again. */
#define BD_RES_POLL_MS 500

uint64_t bd_loop_now_ms(struct bd_loop *l)
{
    uint64_t usec = 0;

    if (sd_event_now(l->ev, CLOCK_MONOTONIC, &usec) < 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    }
    return usec / 1000;
}

static int arm(struct bd_loop *l, sd_event_source **src, uint64_t at_ms,
               sd_event_time_handler_t cb)
{
    int r;

    if (*src) {
        r = sd_event_source_set_time(*src, at_ms * 1000);
        if (r >= 0)
            r = sd_event_source_set_enabled(*src, SD_EVENT_ONESHOT);
        return r;
    }
    return sd_event_add_time(l->ev, src, CLOCK_MONOTONIC, at_ms * 1000,
                             10 * 1000, cb, l);
}

static bool armed(sd_event_source *src)
{
    int en = SD_EVENT_OFF;

    if (!src)
        return false;
    sd_event_source_get_enabled(src, &en);
    return en != SD_EVENT_OFF;
}

void bd_loop_notify_status(struct bd_loop *l)
{
    bd_status_line(l->d, l->status, sizeof(l->status));
    sd_notifyf(0, "STATUS=%s", l->status);
}

/* ---- the cycle ---------------------------------------------------------- */

static int on_res_timer(sd_event_source *s, uint64_t usec, void *ud);
static int on_dirty(sd_event_source *s, uint64_t usec, void *ud);
static int on_io(sd_event_source *s, int fd, uint32_t revents, void *ud);
static void drain_events(struct bd_loop *l);

/* After a reconnect: poll the new connection's fd.  The old source goes
 * first, as the new fd may have the old one's number. */
static void rebind_io(struct bd_loop *l)
{
    struct bd_host *h = l->d->host;
    int fd = h->ops->fd(h);

    l->io = sd_event_source_unref(l->io);
    if (fd >= 0 && sd_event_add_io(l->ev, &l->io, fd, EPOLLIN, on_io, l) < 0) {
        l->io = NULL;
        bd_err("cannot poll the new xenstore connection; changes are seen "
               "on the tick only");
    }
}

void bd_loop_cycle(struct bd_loop *l)
{
    struct bd_daemon *d = l->d;
    struct bd_cycle_result res;
    uint64_t now = bd_loop_now_ms(l);
    char st[384];

    l->last_cycle_ms = now;
    bd_cycle(d, now, &res);
    if (d->host_fd_changed) {
        d->host_fd_changed = false;
        rebind_io(l);
    }
    if (res.dirty_next_ms)
        arm(l, &l->dirty, res.dirty_next_ms, on_dirty);
    if (res.res_waiting)
        arm(l, &l->res_timer, now + BD_RES_POLL_MS, on_res_timer);

    bd_status_line(d, st, sizeof(st));
    if (!l->ready_sent && d->have_phys) {
        sd_notifyf(0, "READY=1\nSTATUS=%s", st);
        snprintf(l->status, sizeof(l->status), "%s", st);
        l->ready_sent = true;
        bd_info("ready: %s", st);
    } else if (strcmp(st, l->status) != 0) {
        snprintf(l->status, sizeof(l->status), "%s", st);
        sd_notifyf(0, "STATUS=%s", st);
    }
}

static int on_res_timer(sd_event_source *s, uint64_t usec, void *ud)
{
    (void)s;
    (void)usec;
    bd_loop_cycle(ud);
    return 0;
}

static int on_kick(sd_event_source *s, uint64_t usec, void *ud)
{
    (void)s;
    (void)usec;
    bd_loop_cycle(ud);
    return 0;
}

void bd_loop_kick(struct bd_loop *l)
{
    if (l->stopping || armed(l->kick))
        return;
    arm(l, &l->kick, bd_kick_at(bd_loop_now_ms(l), l->last_cycle_ms),
        on_kick);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *ud)
{
    struct bd_loop *l = ud;
    uint64_t now = bd_loop_now_ms(l);

    (void)s;
    (void)usec;
    /* a broken xenstore connection makes no fd readable: look on each
     * tick (xen.c's next_event) */
    drain_events(l);
    bd_loop_cycle(l);
    arm(l, &l->tick, now + l->d->cfg->interval_ms, on_tick);
    return 0;
}

/* Drain the host's events into marks; a cycle follows on a kick. */
static void drain_events(struct bd_loop *l)
{
    uint64_t now = bd_loop_now_ms(l), next = 0;
    bool kick = false;
    int rc = bd_daemon_drain(l->d, now, &kick, &next);

    /* The watch connection broke (logged by the drain): stop polling a
     * dead fd rather than spin; the next cycle connects again and
     * bd_loop_cycle() polls the new one. */
    if (rc < 0 && l->io)
        sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
    if (next)
        arm(l, &l->dirty, next, on_dirty);
    if (kick)
        bd_loop_kick(l);
}

static int on_dirty(sd_event_source *s, uint64_t usec, void *ud)
{
    (void)s;
    (void)usec;
    drain_events(ud);
    return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
    (void)s;
    (void)fd;
    (void)revents;
    drain_events(ud);
    return 0;
}

static int on_step(sd_event_source *s, uint64_t usec, void *ud)
{
    struct bd_loop *l = ud;
    struct bd_host *h = l->d->host;
    uint64_t now = bd_loop_now_ms(l);

    (void)s;
    (void)usec;
    if (h->ops->step(h, now) < 0) {
        bd_err("simulated host failed; stopping");
        sd_event_exit(l->ev, 1);
        return 0;
    }
    drain_events(l);
    arm(l, &l->step, now + h->step_ms, on_step);
    return 0;
}

int bd_loop_reload(struct bd_loop *l, char **errors)
{
    struct bd_daemon *d = l->d;
    int rc;

    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
               bd_loop_now_ms(l) * 1000);
    rc = bd_daemon_reload(d, errors);
    if (rc == 0) {
        if (l->ctl &&
            bd_ctl_server_set_access(l->ctl, d->cfg->socket_group,
                                     d->cfg->allow_readonly) < 0)
            bd_warn("reload: cannot apply the control socket's new access");
        arm(l, &l->tick, bd_loop_now_ms(l) + d->cfg->interval_ms, on_tick);
        bd_loop_kick(l);
    }
    bd_loop_notify_status(l);
    sd_notify(0, "READY=1");
    return rc;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
                     void *ud)
{
    struct bd_loop *l = ud;

    (void)s;
    if (si->ssi_signo == SIGHUP) {
        bd_loop_reload(l, NULL);
        return 0;
    }
    bd_info("stopping on signal %u; targets are left as they are",
            si->ssi_signo);
    sd_notify(0, "STOPPING=1");
    l->stopping = true;
    sd_event_exit(l->ev, 0);
    return 0;
}

static uint64_t hook_now(void *ud)
{
    return bd_loop_now_ms(ud);
}

static void hook_kick(void *ud)
{
    bd_loop_kick(ud);
}

static void hook_changed(void *ud)
{
    bd_loop_notify_status(ud);
}

static int hook_reload(void *ud, char **errors)
{
    return bd_loop_reload(ud, errors);
}

static void hook_reserve_done(void *ud, void *waiter,
                              const struct bd_ctl_reserve_result *r)
{
    (void)ud;
    bd_ctl_reserve_finish(waiter, r);
}

static const struct bd_daemon_hooks loop_hooks = {
    .now_ms = hook_now,
    .kick = hook_kick,
    .changed = hook_changed,
    .reload = hook_reload,
    .reserve_done = hook_reserve_done,
};

static void ctl_log(void *ud, int prio, const char *msg)
{
    (void)ud;
    bd_log(prio, "control: %s", msg);
}

int bd_loop_init(struct bd_loop *l, struct bd_daemon *d, const char *host_spec)
{
    static struct bd_ctl_ops ops;
    struct bd_host *h = d->host;
    uint64_t now;
    int r, fd;

    memset(l, 0, sizeof(*l));
    l->d = d;
    l->host_spec = host_spec;
    d->hooks = &loop_hooks;
    d->hooks_ud = l;
    d->host_spec = host_spec;
    r = sd_event_default(&l->ev);
    if (r < 0)
        return r;
    now = bd_loop_now_ms(l);
    d->start_ms = now;

    fd = h->ops->fd(h);
    if (fd >= 0) {
        r = sd_event_add_io(l->ev, &l->io, fd, EPOLLIN, on_io, l);
        if (r < 0)
            return r;
    }
    if (h->ops->step) {
        r = arm(l, &l->step, now + h->step_ms, on_step);
        if (r < 0)
            return r;
    }
    r = bd_daemon_watch_domains(d);
    if (r < 0) {
        bd_err("cannot watch for domains coming and going: %s",
               strerror(-r));
        return r;
    }
    r = sd_event_add_signal(l->ev, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK,
                            on_signal, l);
    if (r >= 0)
        r = sd_event_add_signal(l->ev, NULL,
                                SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_signal,
                                l);
    if (r >= 0)
        r = sd_event_add_signal(l->ev, NULL,
                                SIGHUP | SD_EVENT_SIGNAL_PROCMASK, on_signal,
                                l);
    if (r < 0)
        return r;
    r = sd_event_set_watchdog(l->ev, true);
    if (r < 0)
        bd_warn("cannot enable the systemd watchdog: %s", strerror(-r));

    if (d->cfg->socket_path) {
        ops = bd_handlers;
        ops.log = ctl_log;
        r = bd_ctl_server_new(l->ev, d->cfg->socket_path,
                              d->cfg->socket_group, d->cfg->allow_readonly,
                              &ops, d, &l->ctl);
        if (r < 0) {
            bd_err("cannot serve the control socket %s: %s",
                   d->cfg->socket_path, strerror(-r));
            return r;
        }
    }
    /* The first cycle right away: READY=1 follows the first snapshot. */
    r = arm(l, &l->tick, now, on_tick);
    return r < 0 ? r : 0;
}

int bd_loop_run(struct bd_loop *l)
{
    int r = sd_event_loop(l->ev);

    bd_res_finish_all(l->d, "balloond is stopping");
    if (l->d->state_dirty && l->d->cfg->state_path && !l->d->dry_run)
        bd_state_save(l->d, l->d->cfg->state_path, bd_loop_now_ms(l));
    return r < 0 ? 1 : r;
}

void bd_loop_dispose(struct bd_loop *l)
{
    bd_ctl_server_free(l->ctl);
    l->ctl = NULL;
    sd_event_source_unref(l->tick);
    sd_event_source_unref(l->kick);
    sd_event_source_unref(l->dirty);
    sd_event_source_unref(l->step);
    sd_event_source_unref(l->io);
    sd_event_source_unref(l->res_timer);
    sd_event_unref(l->ev);
    memset(l, 0, sizeof(*l));
}
