/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * actuate.h - carrying a plan out (actuate.c).
 */
#ifndef BD_ACTUATE_H
#define BD_ACTUATE_H

#include "daemon/daemon.h"

/* Plan and apply: snapshot, bd_policy_plan(), bd_actuate().  0 or -errno.
 * Part of bd_cycle(); call that instead. */
int bd_rebalance(struct bd_daemon *d, uint64_t now_ms);
/* Apply decisions already in dom->dec following plan order. */
int bd_actuate(struct bd_daemon *d, struct bd_domain **doms, size_t n,
               const struct bd_plan *plan, uint64_t now_ms);

#endif /* BD_ACTUATE_H */
