/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lock.h - one balloond per host.
 *
 * Design: an flock(2) on a small file, held for the daemon's life (the
 * kernel drops it when the process dies, kill -9 included, so there is
 * no stale lock to clean up).  The file holds the holder's pid and
 * control socket, so that a second daemon can say who is running.  On
 * Xen the file is host-wide (BD_HOST_LOCK, under /run/balloond, the
 * unit's RuntimeDirectory); on a simulated host it sits beside the state
 * file, which is what two daemons there would fight over.
 */
#ifndef BD_LOCK_H
#define BD_LOCK_H

#include <stddef.h>
#include <sys/types.h>

#define BD_HOST_LOCK "/run/balloond/balloond.lock"
#define BD_LOCK_SUFFIX ".lock" /* beside the state file, simulated hosts */

/* Take the lock at path (its directory made 0755 if missing), then write
 * "PID SOCKET\n" into it.  0 and *fd (keep it open: the lock lasts as long
 * as the descriptor); -EBUSY when another process holds it, its pid and
 * socket in holder (a text, "?" when unreadable); other -errno on I/O
 * errors. */
int bd_lock_take(const char *path, const char *socket_path, int *fd,
                 char *holder, size_t holder_len);

#endif /* BD_LOCK_H */
