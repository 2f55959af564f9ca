/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * atomic.h - writing a whole file so that readers never see half of it.
 *
 * Design: the state file and the metrics file are both written next to
 * their final name (PATH.tmp) and renamed over it; one function does it
 * for both, with the durability the caller asks for.
 */
#ifndef BD_ATOMIC_H
#define BD_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Replace path with buf[0..len) atomically (PATH.tmp, then rename), file
 * mode `mode`.  durable: fsync the file before and the directory after the
 * rename, so the new content survives a power cut.  mkdir_parent: create
 * a missing parent directory (0700).  0 or -errno; on failure path is
 * unchanged and no PATH.tmp is left behind. */
int bd_write_file_atomic(const char *path, const void *buf, size_t len,
                         mode_t mode, bool durable, bool mkdir_parent);

#endif /* BD_ATOMIC_H */
