/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * simrun.h - the real daemon on a simulated host, in virtual time.
 *
 * Design: the simulator tests, the benchmark and `make demo HOST=sim` need
 * balloond exactly as it runs, but faster than real time and the same on
 * every run.  A bd_simrun owns a model (sim/sim.h) behind the simulated
 * host backend (host_sim.c), a configuration and a struct bd_daemon, and
 * advances virtual time as loop.c advances real time: it steps the model,
 * drains the host's watch events with bd_daemon_drain(), and runs the one
 * cycle, bd_cycle(), on every tick (the config's interval) and on kicks
 * (bd_kick_at(), the loop's own rule).  Nothing else is simulated: the
 * plan, the actuation, the report parsing are the daemon's own.
 */
#ifndef BD_SIMRUN_H
#define BD_SIMRUN_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/daemon.h"
#include "sim/sim.h"

struct bd_simrun {
    struct bd_sim *sim;     /* the model; owned by host */
    struct bd_host *host;   /* host_sim.c over sim */
    struct bd_config *cfg;
    struct bd_daemon d;
    uint64_t now_ms;        /* virtual time */
    uint64_t step_ms;       /* model step (the host's step_ms by default) */
    uint64_t tick_at_ms;    /* next interval cycle */
    uint64_t kick_at_ms;    /* next kicked cycle, 0 = none */
    uint64_t dirty_at_ms;   /* next deferred report read, 0 = none */
    uint64_t last_cycle_ms;
    uint64_t cycles;        /* bd_cycle() calls so far */
    int last_rc;            /* the last cycle's result */
};

/* Take over sim (freed by bd_simrun_dispose(), even on failure) and start
 * a daemon on it with the configuration text cfg_text (balloond.conf
 * syntax; NULL = the defaults; no state file is kept) at virtual time
 * bd_sim_now_ms(sim).
 * 0, -EINVAL (config errors go to stderr), -ENOMEM. */
int bd_simrun_init(struct bd_simrun *r, struct bd_sim *sim,
                   const char *cfg_text);
/* Advance virtual time by ms, running the daemon as its loop would.
 * 0, or -errno when the model broke an invariant (-EPROTO). */
int bd_simrun_advance(struct bd_simrun *r, uint64_t ms);
/* Reload with the configuration text cfg_text, as `balloonctl reload`
 * does: the new limits apply at once, the tick restarts and a cycle runs
 * soon.  0, or -EINVAL (errors go to stderr; the old one stays). */
int bd_simrun_reload(struct bd_simrun *r, const char *cfg_text);
/* Restart the daemon as `systemctl restart balloond` does: the old one's
 * memory and watches go, the model stays, and a new one starts with the
 * configuration text cfg_text, the same state and metrics files, and
 * reads the state file back (pins, weights, reservations).  0, -EINVAL
 * (config errors go to stderr; the old daemon keeps running), -ENOMEM. */
int bd_simrun_restart(struct bd_simrun *r, const char *cfg_text);
void bd_simrun_dispose(struct bd_simrun *r);

#endif /* BD_SIMRUN_H */
