/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * host_sim.h - the simulated host behind the host interface (host_sim.c).
 *
 * Design: the model of sim.h seen through daemon/host/host.h, so the whole
 * daemon runs unchanged on it.  Only balloond-sim, the tests, the demo and
 * the benchmark link it.
 */
#ifndef BD_HOST_SIM_H
#define BD_HOST_SIM_H

#include <stdint.h>

#include "daemon/host/host.h"

struct bd_sim;

/* A simulated host running the named scenario (sim.h).  0, -ENOENT for an
 * unknown scenario, -ENOMEM. */
int bd_host_sim_open(const char *scenario, uint64_t now_ms,
                     struct bd_host **out);
/* A simulated host over a model built by the caller (taken over: freed
 * with the host, or at once on failure); the daemon's clock reads now_ms
 * at the model's current virtual time.  0 or -ENOMEM. */
int bd_host_sim_wrap(struct bd_sim *sim, uint64_t now_ms,
                     struct bd_host **out);
/* Destroy a simulated host made by the two above (its watches and queued
 * events go, as a daemon's xenstore connection does when it exits) and
 * hand back its model, which lives on.  NULL when h is NULL. */
struct bd_sim *bd_host_sim_release(struct bd_host *h);
/* The model behind a simulated host; NULL for other hosts. */
struct bd_sim *bd_host_sim_model(struct bd_host *h);
/* Break h's connection as a xenstored restart does: every watch gone,
 * next_event and watch fail with -ECONNRESET until reconnect. */
void bd_host_sim_break(struct bd_host *h);

#endif /* BD_HOST_SIM_H */
