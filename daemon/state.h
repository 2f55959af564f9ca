/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.h - the state file: pins, runtime limits, external holds and
 * granted reservations (state.c).
 */
#ifndef BD_STATE_H
#define BD_STATE_H

#include "daemon/daemon.h"

/* Write pins, runtime limits, external holds and granted reservations
 * atomically (temp file, fsync, rename, fsync of the directory). */
int bd_state_save(const struct bd_daemon *d, const char *path,
                  uint64_t now_ms);
/* Load them; they are applied to domains that match (domid, name) when
 * those domains are first seen; reservations are held again at once, for
 * what was left of them (at most reserve-hold).  Missing file: 0.
 * Corrupt file: -EINVAL (logged; nothing applied). */
int bd_state_load(struct bd_daemon *d, const char *path, uint64_t now_ms);
/* Apply the loaded entry for a newly seen domain, if any. */
void bd_state_apply_pending(struct bd_daemon *d, struct bd_domain *dom);
/* Forget entries of domains that did not come back. */
void bd_state_pending_drop(struct bd_daemon *d);

#endif /* BD_STATE_H */
