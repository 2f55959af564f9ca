/*
 * loop.h - balloond's event loop (sd-event) and what runs in it.
 *
 * Design: loop.c owns the sd-event sources (xenstore watch fd or the
 * simulator's step timer, the policy tick, a rate-limited "kick" for
 * plans that should not wait for the tick, signals, the control socket)
 * and the cycle they all lead to: scan, read dirty guest reports, plan,
 * write, persist, report.  handlers.c answers the control socket with the
 * same functions.
 */
#ifndef BD_LOOP_H
#define BD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "daemon/control.h"
#include "daemon/daemon.h"

struct bd_loop {
    sd_event *ev;
    struct bd_daemon *d;
    const char *host_spec;
    sd_event_source *tick, *kick, *dirty, *step, *io, *res_timer;
    struct bd_ctl_server *ctl;
    bool ready_sent;
    bool stopping;
    uint64_t last_cycle_ms;
    char status[384];
};

/* Milliseconds on the loop's monotonic clock. */
uint64_t bd_loop_now_ms(struct bd_loop *l);

/* Set up every source; 0 or -errno. */
int bd_loop_init(struct bd_loop *l, struct bd_daemon *d, const char *host_spec);
/* Run until SIGTERM/SIGINT; returns the exit code. */
int bd_loop_run(struct bd_loop *l);
void bd_loop_dispose(struct bd_loop *l);

/* One full cycle now: scan, stats, plan, write, reservations, state. */
void bd_loop_cycle(struct bd_loop *l);
/* Ask for a cycle soon (rate-limited). */
void bd_loop_kick(struct bd_loop *l);
/* Re-read the config file; on failure keep the old one.  *errors (caller
 * frees) gets the parse errors. */
int bd_loop_reload(struct bd_loop *l, char **errors);
/* Send STATUS= with the current summary. */
void bd_loop_notify_status(struct bd_loop *l);

/* Reservations (loop.c). */
int bd_res_add(struct bd_loop *l, uint64_t kib, uint64_t timeout_ms,
               struct bd_ctl_pending *p, char *err, size_t errlen);
int bd_res_release(struct bd_loop *l, uint64_t id, uint64_t *kib);
void bd_res_abandon(struct bd_loop *l, struct bd_ctl_pending *p);
void bd_res_finish_all(struct bd_loop *l, const char *why);

/* handlers.c */
extern const struct bd_ctl_ops bd_handlers;

#endif /* BD_LOOP_H */
