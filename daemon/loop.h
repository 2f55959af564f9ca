/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.h - balloond's event loop (sd-event) and what runs in it.
 *
 * Design: loop.c owns the sd-event sources (xenstore watch fd or the
 * simulator's step timer, the policy tick, a rate-limited "kick" for
 * plans that should not wait for the tick, signals, the control socket)
 * and the one cycle they all lead to, bd_cycle() (cycle.c).  It gives the
 * daemon its hooks (clock, kick, reservation replies); handlers.c answers
 * the control socket with the daemon alone.
 */
#ifndef BD_LOOP_H
#define BD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "daemon/control/control.h"
#include "daemon/daemon.h"
#include "daemon/control/handlers.h"

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


#endif /* BD_LOOP_H */
