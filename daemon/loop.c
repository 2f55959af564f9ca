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
#include "daemon/loop.h"

#define BD_KICK_GAP_MS 1000
#define BD_KICK_DELAY_MS 50
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

/* ---- reservations ------------------------------------------------------ */

static uint64_t free_now(const struct bd_daemon *d)
{
    return d->phys.free_kib > d->phys.outstanding_kib
               ? d->phys.free_kib - d->phys.outstanding_kib
               : 0;
}

static void res_remove(struct bd_daemon *d, size_t i)
{
    d->res[i] = d->res[--d->n_res];
}

static void res_finish(struct bd_loop *l, struct bd_reservation *r, bool ok,
                       uint64_t achieved, const char *err)
{
    struct bd_ctl_reserve_result out;

    if (!r->waiter)
        return;
    memset(&out, 0, sizeof(out));
    out.ok = ok;
    out.id = r->id;
    out.kib = r->kib;
    out.achieved_kib = achieved;
    out.hold_ms = ok ? l->d->cfg->reserve_hold_ms : 0;
    if (err)
        snprintf(out.error, sizeof(out.error), "%s", err);
    bd_ctl_reserve_finish(r->waiter, &out);
    r->waiter = NULL;
}

/* Grant what is free, time out what waited too long, expire holds.
 * Returns whether a reservation still waits. */
static bool res_progress(struct bd_loop *l, uint64_t now_ms)
{
    struct bd_daemon *d = l->d;
    struct bd_policy_params p;
    uint64_t need, fr;
    bool waiting = false;

    bd_policy_params_now(d, &p);
    fr = free_now(d);
    need = p.reserve_kib;
    /* Granted ones first: their memory is already counted as taken. */
    for (size_t i = 0; i < d->n_res; i++)
        if (d->res[i].granted)
            need += d->res[i].kib;
    for (size_t i = 0; i < d->n_res;) {
        struct bd_reservation *r = &d->res[i];
        char a[32], b[32], msg[160];

        if (r->granted) {
            if (now_ms >= r->expires_ms) {
                bd_info("reservation %" PRIu64 " (%s) expired", r->id,
                        bd_format_kib(r->kib, a, sizeof(a)));
                res_remove(d, i);
                continue;
            }
            i++;
            continue;
        }
        if (fr >= need + r->kib) {
            need += r->kib;
            r->granted = true;
            r->expires_ms = now_ms + d->cfg->reserve_hold_ms;
            bd_info("reservation %" PRIu64 ": %s free and held", r->id,
                    bd_format_kib(r->kib, a, sizeof(a)));
            res_finish(l, r, true, r->kib, NULL);
            i++;
            continue;
        }
        if (now_ms >= r->expires_ms) {
            uint64_t got = fr > need ? fr - need : 0;
            snprintf(msg, sizeof(msg),
                     "timed out: only %s of %s could be freed",
                     bd_format_kib(got, a, sizeof(a)),
                     bd_format_kib(r->kib, b, sizeof(b)));
            bd_notice("reservation %" PRIu64 " %s", r->id, msg);
            res_finish(l, r, false, got, msg);
            res_remove(d, i);
            continue;
        }
        /* Later requests wait behind this one. */
        need += r->kib;
        waiting = true;
        i++;
    }
    return waiting;
}

static int on_res_timer(sd_event_source *s, uint64_t usec, void *ud)
{
    (void)s;
    (void)usec;
    bd_loop_cycle(ud);
    return 0;
}

int bd_res_add(struct bd_loop *l, uint64_t kib, uint64_t timeout_ms,
               struct bd_ctl_pending *p, char *err, size_t errlen)
{
    struct bd_daemon *d = l->d;
    struct bd_policy_params pp;
    struct bd_reservation *r;
    uint64_t can = free_now(d), now = bd_loop_now_ms(l);
    char a[32], b[32];

    if (d->n_res >= BD_MAX_RESERVATIONS) {
        snprintf(err, errlen, "too many reservations (%d); release one first",
                 BD_MAX_RESERVATIONS);
        return -EBUSY;
    }
    /* What could be freed at best: everything above the minimums. */
    bd_policy_params_now(d, &pp);
    for (size_t i = 0; i < d->n_doms; i++) {
        const struct bd_domain *dom = d->doms[i];
        if (!bd_domain_plannable(d, dom) ||
            dom->limits.mode != BD_MODE_AUTO || dom->pin_kib || dom->hold_kib)
            continue;
        if (dom->current_kib > dom->limits.min_kib)
            can += dom->current_kib - dom->limits.min_kib;
    }
    can = can > pp.reserve_kib + bd_reserved_kib(d)
              ? can - pp.reserve_kib - bd_reserved_kib(d)
              : 0;
    if (kib > can) {
        snprintf(err, errlen,
                 "cannot free %s: at most %s can be freed without going "
                 "below domain minimums or the host reserve",
                 bd_format_kib(kib, a, sizeof(a)),
                 bd_format_kib(can, b, sizeof(b)));
        return -ENOSPC;
    }
    r = &d->res[d->n_res++];
    memset(r, 0, sizeof(*r));
    r->id = d->next_res_id++;
    r->kib = kib;
    r->expires_ms = now + timeout_ms;
    r->waiter = p;
    bd_info("reservation %" PRIu64 ": %s requested", r->id,
            bd_format_kib(kib, a, sizeof(a)));
    bd_loop_kick(l);
    return 0;
}

int bd_res_release(struct bd_loop *l, uint64_t id, uint64_t *kib)
{
    struct bd_daemon *d = l->d;

    for (size_t i = 0; i < d->n_res; i++)
        if (d->res[i].id == id) {
            if (!d->res[i].granted)
                return -EBUSY;
            *kib = d->res[i].kib;
            res_remove(d, i);
            bd_info("reservation %" PRIu64 " released", id);
            bd_loop_kick(l);
            return 0;
        }
    return -ENOENT;
}

void bd_res_abandon(struct bd_loop *l, struct bd_ctl_pending *p)
{
    struct bd_daemon *d = l->d;

    for (size_t i = 0; i < d->n_res; i++)
        if (d->res[i].waiter == p && !d->res[i].granted) {
            res_finish(l, &d->res[i], false, 0, "client went away");
            res_remove(d, i);
            return;
        }
}

void bd_res_finish_all(struct bd_loop *l, const char *why)
{
    struct bd_daemon *d = l->d;

    for (size_t i = 0; i < d->n_res; i++)
        res_finish(l, &d->res[i], false, 0, why);
    d->n_res = 0;
}

/* ---- the cycle ---------------------------------------------------------- */

static uint64_t process_dirty(struct bd_loop *l, uint64_t now, bool *kick);

void bd_loop_cycle(struct bd_loop *l)
{
    struct bd_daemon *d = l->d;
    uint64_t now = bd_loop_now_ms(l);
    bool kick = false, waiting;

    l->last_cycle_ms = now;
    bd_domains_scan(d, now);
    if (!l->ready_sent)
        bd_state_pending_drop(d);
    process_dirty(l, now, &kick);
    bd_rebalance(d, now);
    waiting = res_progress(l, now);
    if (waiting)
        arm(l, &l->res_timer, now + BD_RES_POLL_MS, on_res_timer);

    if (d->state_dirty && d->cfg->state_path) {
        int rc = bd_state_save(d, d->cfg->state_path, now);
        if (rc < 0)
            bd_err("cannot write state file %s: %s", d->cfg->state_path,
                   strerror(-rc));
        else
            d->state_dirty = false;
    }
    if (d->cfg->metrics_path) {
        int rc = bd_metrics_write_file(d, d->cfg->metrics_path);
        static int last_rc;
        if (rc < 0 && rc != last_rc)
            bd_err("cannot write metrics file %s: %s", d->cfg->metrics_path,
                   strerror(-rc));
        last_rc = rc;
    }
    if (!l->ready_sent && d->have_phys) {
        char st[384];
        bd_status_line(d, st, sizeof(st));
        sd_notifyf(0, "READY=1\nSTATUS=%s", st);
        snprintf(l->status, sizeof(l->status), "%s", st);
        l->ready_sent = true;
        bd_info("ready: %s", st);
    } else {
        char st[384];
        bd_status_line(d, st, sizeof(st));
        if (strcmp(st, l->status) != 0) {
            snprintf(l->status, sizeof(l->status), "%s", st);
            sd_notifyf(0, "STATUS=%s", st);
        }
    }
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
    uint64_t now = bd_loop_now_ms(l), at = now + BD_KICK_DELAY_MS;

    if (l->stopping || armed(l->kick))
        return;
    if (l->last_cycle_ms && at < l->last_cycle_ms + BD_KICK_GAP_MS)
        at = l->last_cycle_ms + BD_KICK_GAP_MS;
    arm(l, &l->kick, at, on_kick);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *ud)
{
    struct bd_loop *l = ud;
    uint64_t now = bd_loop_now_ms(l);

    (void)s;
    (void)usec;
    bd_loop_cycle(l);
    arm(l, &l->tick, now + l->d->cfg->interval_ms, on_tick);
    return 0;
}

static int on_dirty(sd_event_source *s, uint64_t usec, void *ud);

static uint64_t process_dirty(struct bd_loop *l, uint64_t now, bool *kick)
{
    uint64_t next = bd_domains_process_dirty(l->d, now, kick);

    if (next)
        arm(l, &l->dirty, next, on_dirty);
    return next;
}

static int on_dirty(sd_event_source *s, uint64_t usec, void *ud)
{
    struct bd_loop *l = ud;
    bool kick = false;

    (void)s;
    (void)usec;
    process_dirty(l, bd_loop_now_ms(l), &kick);
    if (kick)
        bd_loop_kick(l);
    return 0;
}

/* Drain the host's events; bounded so one flood cannot starve the loop
 * (the fd stays readable and we come back). */
static void drain_events(struct bd_loop *l)
{
    struct bd_host *h = l->d->host;
    struct bd_host_event ev;
    uint64_t now = bd_loop_now_ms(l);
    bool kick = false;
    int n = 0;

    int rc = 0;

    while (n++ < 4096 && (rc = h->ops->next_event(h, &ev)) == 0)
        bd_domains_event(l->d, &ev, now, &kick);
    if (rc < 0 && rc != -EAGAIN && l->io) {
        /* The watch connection broke (xenstored gone): stop polling a
         * dead fd rather than spin; ticks keep running. */
        bd_err("lost the xenstore watch connection: %s; balloond keeps "
               "planning on its tick but sees changes late; restart it",
               strerror(-rc));
        sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
        l->d->cnt.errors++;
    }
    process_dirty(l, now, &kick);
    if (kick || l->d->rescan_needed)
        bd_loop_kick(l);
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
    struct bd_config *nc = NULL;
    char *errs = NULL;
    uint64_t now;
    int rc;

    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
               bd_loop_now_ms(l) * 1000);
    bd_info("reloading %s", d->cfg_path);
    rc = bd_config_load(d->cfg_path, &nc, &errs);
    if (rc < 0) {
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
        bd_err("reload failed; the previous configuration stays in force");
        if (errors)
            *errors = errs;
        else
            free(errs);
        bd_loop_notify_status(l);
        sd_notify(0, "READY=1");
        return rc;
    }
    free(errs);
    if (nc->socket_path && d->cfg->socket_path &&
        strcmp(nc->socket_path, d->cfg->socket_path) != 0)
        bd_warn("reload: a new control socket path needs a restart");
    if (l->ctl &&
        bd_ctl_server_set_access(l->ctl, nc->socket_group,
                                 nc->allow_readonly) < 0)
        bd_warn("reload: cannot apply the control socket's new access");
    bd_config_free(d->cfg);
    d->cfg = nc;
    free(d->reload_error);
    d->reload_error = NULL;
    bd_domains_apply_config(d);
    now = bd_loop_now_ms(l);
    arm(l, &l->tick, now + d->cfg->interval_ms, on_tick);
    bd_info("configuration reloaded");
    bd_loop_kick(l);
    bd_loop_notify_status(l);
    sd_notify(0, "READY=1");
    return 0;
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
    d->loop = l;
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
    r = h->ops->watch(h, "@introduceDomain", "intro");
    if (r >= 0)
        r = h->ops->watch(h, "@releaseDomain", "release");
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
                              &ops, l, &l->ctl);
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

    bd_res_finish_all(l, "balloond is stopping");
    if (l->d->state_dirty && l->d->cfg->state_path)
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
