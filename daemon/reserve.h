/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reserve.h - reservations of free memory for domains about to start
 * (reserve.c).
 */
#ifndef BD_RESERVE_H
#define BD_RESERVE_H

#include "daemon/daemon.h"

/* Sum of reservations (waiting and granted). */
uint64_t bd_reserved_kib(const struct bd_daemon *d);
/* What the plan keeps free for them whatever it costs: granted and
 * forced ones, less outstanding claims (reservations in use). */
uint64_t bd_reserved_effective_kib(const struct bd_daemon *d);
/* What it keeps free for the waiting ones without force, only from what
 * guests hold above their use (they wait for the rest, or time out). */
uint64_t bd_reserved_soft_kib(const struct bd_daemon *d);
/* What could be freed at best: free memory plus every automatically
 * managed domain's memory above its min, for the domains whose use is
 * known (the others are never cut; except's excepted; NULL: none).
 * What reserve, and set for a grow, may ask for. */
uint64_t bd_res_freeable_kib(const struct bd_daemon *d,
                             const struct bd_domain *except);
/* What a domain could give without going below its minimum or its counted
 * use (last plan); 0 when its use is unknown (no report: never cut) or it
 * is not automatically managed. */
uint64_t bd_res_safe_give_kib(const struct bd_daemon *d,
                              const struct bd_domain *dom);
/* Free memory (less claims) plus every domain's bd_res_safe_give_kib(),
 * less what guests under their use lack: what could be freed without
 * squeezing anyone. */
uint64_t bd_res_safe_kib(const struct bd_daemon *d);
/* What a new domain could get: now, from free memory (less the host
 * reserve and the reservations), and after reclaim (plus what guests
 * hold above their use and minimum). */
void bd_res_capacity(const struct bd_daemon *d, uint64_t *now_kib,
                     uint64_t *reclaim_kib);
/* What granted reservations hold (free and kept for their taker). */
uint64_t bd_res_granted_kib(const struct bd_daemon *d);
/* A new domain, or a pin (balloonctl set), took kib that granted
 * reservations were holding for it. */
void bd_res_consume(struct bd_daemon *d, uint64_t kib);
/* Ask for kib of free memory within timeout_ms; the reply goes to
 * hooks->reserve_done(waiter) when granted or timed out.  0; -EBUSY (too
 * many), -ENOSPC (more than could ever be freed, or, unless force, more
 * than can be freed without cutting a guest below its use: err says why
 * and names those guests). */
int bd_res_add(struct bd_daemon *d, uint64_t kib, uint64_t timeout_ms,
               bool force, void *waiter, uint64_t now_ms, char *err,
               size_t errlen);
/* Grant what is free, time out what waited too long, expire holds.
 * Returns whether a reservation still waits. */
bool bd_res_progress(struct bd_daemon *d, uint64_t now_ms);
/* Release a granted reservation: 0, -ENOENT, -EBUSY (still waiting). */
int bd_res_release(struct bd_daemon *d, uint64_t id, uint64_t *kib);
/* The waiter of a pending reservation went away: give it up. */
void bd_res_abandon(struct bd_daemon *d, void *waiter);
/* Finish every reservation (shutdown), with why as the error. */
void bd_res_finish_all(struct bd_daemon *d, const char *why);

#endif /* BD_RESERVE_H */
