/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cycle.h - the one rebalance cycle (cycle.c).
 */
#ifndef BD_CYCLE_H
#define BD_CYCLE_H

#include "daemon/daemon.h"

struct bd_cycle_result {
    size_t writes;          /* targets written (or logged, --dry-run) */
    uint64_t dirty_next_ms; /* a flooding guest's report is due then (0) */
    bool res_waiting;       /* a reservation still waits for memory */
};
/* Drain the host's pending watch events (bounded, so a flood cannot
 * starve the caller) and read the reports that are due.  *kick is set
 * when a cycle should run soon, *dirty_next_ms to when a deferred report
 * read is due (0 = none).  0, or -errno when the watch connection broke. */
int bd_daemon_drain(struct bd_daemon *d, uint64_t now_ms, bool *kick,
                    uint64_t *dirty_next_ms);
/* The one rebalance cycle at now_ms: scan the host, read due reports,
 * expire holds, plan, write targets, move reservations on, save the state
 * file and the metrics file.  The loop, the control handlers, the
 * simulator and the benchmark all run this.  0 or -errno (the host could
 * not be read; nothing was planned).  out may be NULL. */
int bd_cycle(struct bd_daemon *d, uint64_t now_ms,
             struct bd_cycle_result *out);
/* Recompute d->warnings for cfg (the daemon's or one about to replace it)
 * against the host and the domains as last scanned; log warnings that are
 * new.  Returns whether one is fatal. */
bool bd_daemon_guard(struct bd_daemon *d, const struct bd_config *cfg,
                     struct bd_warnings *out);
/* Replace the configuration with the file's; on failure keep the old one,
 * set d->reload_error and return -errno with the errors in *errors
 * (caller frees; may be NULL). */
int bd_daemon_reload(struct bd_daemon *d, char **errors);
/* Put nc in force (taking it; the old configuration is freed) and
 * recompute every domain's limits: the end of a successful reload. */
void bd_daemon_use_config(struct bd_daemon *d, struct bd_config *nc);

#endif /* BD_CYCLE_H */
